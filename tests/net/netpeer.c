/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file netpeer.c
 * Our stack on a real port, for the tests against Linux: the EAL with one
 * vdev (net_af_packet on a veth end in the test's namespace), one
 * instance, serving ARP and ICMP echo for a bounded time.
 *
 *   tg_netpeer --vdev net_af_packet0,iface=vA --addr 198.18.0.2/24
 *              [--gw ADDR] [--impair SPEC] [--seconds N]
 *
 * Prints "ready" once the port is up, and its counters at the end
 * ("name value" lines). Exits when the time is up or on SIGTERM/SIGINT.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>

#include "tg_eal.h"
#include "tg_net.h"

static volatile sig_atomic_t stop;

static void on_signal(int s)
{
	(void)s;
	stop = 1;
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(void)
{
	fprintf(stderr, "usage: tg_netpeer --vdev ARGS --addr A/PREFIX [--gw ADDR] "
			"[--impair SPEC] [--seconds N]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "vdev", required_argument, NULL, 'v' },
		{ "addr", required_argument, NULL, 'a' },
		{ "gw", required_argument, NULL, 'g' },
		{ "impair", required_argument, NULL, 'i' },
		{ "seconds", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct tg_eal_opts eo = { .mem_mb = 256 };
	struct tg_net_port_conf pc;
	struct tg_net_impair_conf ic;
	struct tg_net_conf nc;
	struct tg_net_port *port;
	struct tg_net *net;
	const char *vdev = NULL, *addr = NULL, *gw = NULL, *impair = NULL;
	double seconds = 10, end;
	unsigned idle = 0;
	char *slash;
	char abuf[64];
	int o;

	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 'v': vdev = optarg; break;
		case 'a': addr = optarg; break;
		case 'g': gw = optarg; break;
		case 'i': impair = optarg; break;
		case 's': seconds = atof(optarg); break;
		default: return usage();
		}
	}
	if (vdev == NULL || addr == NULL || strlen(addr) >= sizeof(abuf))
		return usage();
	memset(&pc, 0, sizeof(pc));
	strcpy(abuf, addr);
	slash = strchr(abuf, '/');
	if (slash == NULL)
		return usage();
	*slash = '\0';
	pc.prefix = (uint8_t)atoi(slash + 1);
	if (tg_failed(tg_net_addr_parse(abuf, &pc.addr)) ||
	    (gw != NULL && tg_failed(tg_net_addr_parse(gw, &pc.gateway))))
		return usage();
	memset(&ic, 0, sizeof(ic));
	if (impair != NULL && tg_failed(tg_net_impair_parse(impair, &ic))) {
		fprintf(stderr, "tg_netpeer: bad --impair\n");
		return 2;
	}
	eo.vdevs[0] = vdev;
	if (tg_failed(tg_eal_start("tg_netpeer", &eo)) || rte_eth_dev_count_avail() < 1) {
		fprintf(stderr, "tg_netpeer: EAL or port failed\n");
		return 1;
	}
	pc.port_id = 0;
	pc.n_queues = 1;
	pc.pools[0] = tg_net_pool_create("netpeer", 8192, 0, -1);
	if (pc.pools[0] == NULL || tg_failed(tg_net_port_start(&pc, &port))) {
		fprintf(stderr, "tg_netpeer: port start failed\n");
		return 1;
	}
	memset(&nc, 0, sizeof(nc));
	nc.port = port;
	nc.queue = 0;
	nc.pool = pc.pools[0];
	nc.impair = impair != NULL ? &ic : NULL;
	if (tg_failed(tg_net_new(&nc, &net))) {
		fprintf(stderr, "tg_netpeer: instance failed\n");
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	tg_net_flush(net); /* the gratuitous ARP */
	printf("ready\n");
	fflush(stdout);
	end = mono() + seconds;
	while (!stop) {
		unsigned n = tg_net_poll(net);

		tg_net_flush(net);
		if (n != 0) {
			idle = 0;
			continue;
		}
		/* a shared test machine: poll hard only while busy */
		if (++idle > 256) {
			usleep(200);
			if (mono() > end)
				break;
		}
	}
	{
		const struct tg_net_stats *s = tg_net_stats(net);

		printf("rx_pkts %llu\ntx_pkts %llu\narp_rx %llu\narp_tx %llu\n"
		       "icmp_echo_rx %llu\nrx_bad_cksum %llu\nrx_malformed %llu\n"
		       "rx_not_ours %llu\nrx_unknown %llu\n",
		       (unsigned long long)s->rx_pkts, (unsigned long long)s->tx_pkts,
		       (unsigned long long)s->arp_rx, (unsigned long long)s->arp_tx,
		       (unsigned long long)s->icmp_echo_rx,
		       (unsigned long long)s->rx_bad_cksum,
		       (unsigned long long)s->rx_malformed,
		       (unsigned long long)s->rx_not_ours,
		       (unsigned long long)s->rx_unknown);
	}
	tg_net_free(net);
	tg_net_port_stop(port);
	tg_eal_stop();
	return 0;
}
