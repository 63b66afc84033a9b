/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file netpeer.c
 * Our stack on a real port, for the tests against Linux: the EAL with one
 * vdev (net_af_packet on a veth end in the test's namespace), one
 * instance, serving ARP and ICMP echo, and with --echo a TCP echo server,
 * with --send a TCP client that sends pseudo-random bytes and checks
 * what comes back, for a bounded time.
 *
 *   tg_netpeer --vdev net_af_packet0,iface=vA --addr 198.18.0.2/24
 *              [--addr6 2001:2::2/64] [--gw ADDR] [--impair SPEC]
 *              [--seconds N] [--echo PORT]
 *              [--send ADDR:PORT|[ADDR6]:PORT --bytes N[,N...] [--conns K]]
 *              [--max-conns N] [--buf BYTES]
 *   tg_netpeer --vdev ARGS --fwd ARGS2 [--seconds N]
 *
 * --fwd: no stack, a wire: every frame port 0 receives is sent on port 1
 * (the second vdev) and back the same way, for the tests of a port kind
 * that cannot reach Linux by itself (net_virtio_user over vhost-user:
 * net_vhost here, net_af_packet on a veth end to Linux).
 *
 * --bytes with several sizes: one connection each, at once (--conns K:
 * K connections taking the sizes in turn).
 *
 * Prints "ready" once the port is up; with --send one line per
 * connection, "sent N sha256 HEX back N sha256 HEX ok|MISMATCH"; its
 * counters at the end ("name value" lines). Exits when the time is up,
 * when every --send connection is done, or on SIGTERM/SIGINT.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <rte_ethdev.h>

#include "tg_eal.h"
#include "tg_net.h"
#include "tg_tcp.h"

#define MAXC_MAX 20000

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

struct conn {
	struct tg_tcp_conn *c;
	bool used;
	/* echo */
	uint8_t *buf;
	size_t len;
	bool eof, shut;
	/* send */
	bool client;
	uint64_t sent, back, total;
	uint64_t rng;
	EVP_MD_CTX *h_out, *h_in;
	bool done;
};

static struct conn *conns;
static unsigned maxc = 64;
static size_t echo_buf = 256 * 1024;

static uint8_t next_byte(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint8_t)(*s >> 24);
}

static struct conn *slot(void)
{
	for (unsigned i = 0; i < maxc; i++)
		if (!conns[i].used) {
			struct conn *x = &conns[i];

			x->used = true;
			x->len = 0;
			x->eof = x->shut = x->done = false;
			x->sent = x->back = 0;
			return x;
		}
	return NULL;
}

static void hex(const uint8_t *d, unsigned n, char *out)
{
	for (unsigned i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void send_done(struct conn *x, const char *why)
{
	uint8_t a[32], b[32];
	unsigned la = 0, lb = 0;
	char ha[65], hb[65];

	EVP_DigestFinal_ex(x->h_out, a, &la);
	EVP_DigestFinal_ex(x->h_in, b, &lb);
	hex(a, 32, ha);
	hex(b, 32, hb);
	printf("sent %llu sha256 %s back %llu sha256 %s %s\n",
	       (unsigned long long)x->sent, ha, (unsigned long long)x->back, hb,
	       why != NULL ? why
	       : (x->sent == x->total && x->back == x->total && memcmp(a, b, 32) == 0)
		       ? "ok"
		       : "MISMATCH");
	fflush(stdout);
	x->done = true;
}

/* the echo server's work for one connection */
static void echo_step(struct conn *x)
{
	if (x->len < echo_buf && !x->eof) {
		struct iovec iov = { x->buf + x->len, echo_buf - x->len };
		ssize_t r = tg_tcp_recv(x->c, &iov, 1);

		if (r > 0)
			x->len += (size_t)r;
		else if (r == 0)
			x->eof = true;
	}
	if (x->len > 0) {
		ssize_t w = tg_tcp_send(x->c, x->buf, x->len);

		if (w > 0) {
			memmove(x->buf, x->buf + w, x->len - (size_t)w);
			x->len -= (size_t)w;
		}
	}
	if (x->eof && x->len == 0 && !x->shut) {
		tg_tcp_shutdown(x->c);
		x->shut = true;
	}
	tg_tcp_want(x->c, x->len < echo_buf && !x->eof, x->len > 0);
}

/* the client's work: send the stream, hash what comes back */
static void send_step(struct conn *x)
{
	uint8_t tmp[16384];

	while (x->sent < x->total) {
		size_t n = x->total - x->sent < sizeof(tmp) ? (size_t)(x->total - x->sent)
							    : sizeof(tmp);
		uint64_t save = x->rng;
		ssize_t w;

		for (size_t i = 0; i < n; i++)
			tmp[i] = next_byte(&x->rng);
		w = tg_tcp_send(x->c, tmp, n);
		if (w <= 0) {
			x->rng = save;
			break;
		}
		/* give back the bytes not taken */
		x->rng = save;
		for (ssize_t i = 0; i < w; i++)
			(void)next_byte(&x->rng);
		EVP_DigestUpdate(x->h_out, tmp, (size_t)w);
		x->sent += (uint64_t)w;
		if ((size_t)w < n)
			break;
	}
	if (x->sent == x->total && !x->shut) {
		tg_tcp_shutdown(x->c);
		x->shut = true;
	}
	for (;;) {
		struct iovec iov = { tmp, sizeof(tmp) };
		ssize_t r = tg_tcp_recv(x->c, &iov, 1);

		if (r > 0) {
			EVP_DigestUpdate(x->h_in, tmp, (size_t)r);
			x->back += (uint64_t)r;
			continue;
		}
		if (r == 0)
			send_done(x, NULL);
		else if (r != -EAGAIN)
			send_done(x, "RESET");
		break;
	}
	if (!x->done)
		tg_tcp_want(x->c, true, x->sent < x->total);
}

/* --fwd: two ports joined frame for frame, until the time is up or a
 * signal; prints "ready" once both are started and the frames forwarded
 * each way at the end. */
static int fwd_main(const char *vdev, const char *vdev2, double seconds)
{
	struct tg_eal_opts eo = { .mem_mb = 256 };
	struct rte_eth_conf ec;
	struct rte_mempool *mp;
	uint64_t moved[2] = { 0, 0 }, dropped[2] = { 0, 0 };
	unsigned idle = 0;
	double end;

	eo.vdevs[0] = vdev;
	eo.vdevs[1] = vdev2;
	if (tg_failed(tg_eal_start("tg_netpeer", &eo)) || rte_eth_dev_count_avail() < 2) {
		fprintf(stderr, "tg_netpeer: EAL or ports failed\n");
		return 1;
	}
	mp = tg_net_pool_create("fwd", 8192, 0, -1);
	if (mp == NULL)
		return 1;
	memset(&ec, 0, sizeof(ec));
	for (uint16_t pid = 0; pid < 2; pid++) {
		if (rte_eth_dev_configure(pid, 1, 1, &ec) != 0 ||
		    rte_eth_rx_queue_setup(pid, 0, 1024, (unsigned)rte_eth_dev_socket_id(pid),
					   NULL, mp) != 0 ||
		    rte_eth_tx_queue_setup(pid, 0, 1024, (unsigned)rte_eth_dev_socket_id(pid),
					   NULL) != 0 ||
		    rte_eth_dev_start(pid) != 0) {
			fprintf(stderr, "tg_netpeer: fwd port %u failed\n", pid);
			return 1;
		}
		(void)rte_eth_promiscuous_enable(pid);
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("ready\n");
	fflush(stdout);
	end = mono() + seconds;
	while (!stop) {
		unsigned n = 0;

		for (uint16_t pid = 0; pid < 2; pid++) {
			struct rte_mbuf *m[64];
			uint16_t k = rte_eth_rx_burst(pid, 0, m, 64), w;

			if (k == 0)
				continue;
			w = rte_eth_tx_burst((uint16_t)(1 - pid), 0, m, k);
			moved[pid] += w;
			dropped[pid] += (uint64_t)(k - w);
			for (uint16_t i = w; i < k; i++)
				rte_pktmbuf_free(m[i]);
			n += k;
		}
		if (n != 0) {
			idle = 0;
			continue;
		}
		if (++idle > 256) {
			usleep(50);
			if (mono() > end)
				break;
		}
	}
	printf("fwd_0_1 %llu\nfwd_1_0 %llu\nfwd_drop_0_1 %llu\nfwd_drop_1_0 %llu\n",
	       (unsigned long long)moved[0], (unsigned long long)moved[1],
	       (unsigned long long)dropped[0], (unsigned long long)dropped[1]);
	for (uint16_t pid = 0; pid < 2; pid++)
		(void)rte_eth_dev_stop(pid);
	tg_eal_stop();
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: tg_netpeer --vdev ARGS --addr A/PREFIX [--gw ADDR] "
			"[--impair SPEC] [--seconds N] [--echo PORT] [--no-tso] "
			"[--send ADDR:PORT --bytes N[,N...] [--conns K]]\n"
			"       tg_netpeer --vdev ARGS --fwd ARGS2 [--seconds N]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "vdev", required_argument, NULL, 'v' },
		{ "addr", required_argument, NULL, 'a' },
		{ "gw", required_argument, NULL, 'g' },
		{ "addr6", required_argument, NULL, '6' },
		{ "impair", required_argument, NULL, 'i' },
		{ "seconds", required_argument, NULL, 's' },
		{ "echo", required_argument, NULL, 'e' },
		{ "send", required_argument, NULL, 'S' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "conns", required_argument, NULL, 'c' },
		{ "max-conns", required_argument, NULL, 'M' },
		{ "buf", required_argument, NULL, 'B' },
		{ "fwd", required_argument, NULL, 'F' },
		{ "no-tso", no_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct tg_eal_opts eo = { .mem_mb = 512 };
	struct tg_net_port_conf pc;
	struct tg_net_impair_conf ic;
	struct tg_net_conf nc;
	struct tg_tcp_conf tc;
	struct tg_net_port *port;
	struct tg_net *net;
	struct tg_tcp *tcp = NULL;
	const char *vdev = NULL, *addr = NULL, *gw = NULL, *impair = NULL, *dst = NULL;
	const char *addr6 = NULL, *fwd = NULL;
	double seconds = 10, end;
	unsigned idle = 0, echo_port = 0, nconns = 1, left = 0;
	uint64_t sizes[16] = { 0 };
	unsigned nsizes = 1;
	bool conns_given = false, no_tso = false;
	struct timespec cpu0;
	char *slash;
	char abuf[64];
	int o, rc = 0;

	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 'v': vdev = optarg; break;
		case 'a': addr = optarg; break;
		case 'g': gw = optarg; break;
		case '6': addr6 = optarg; break;
		case 'i': impair = optarg; break;
		case 's': seconds = atof(optarg); break;
		case 'e': echo_port = (unsigned)atoi(optarg); break;
		case 'S': dst = optarg; break;
		case 'b': {
			char *e = optarg;

			for (nsizes = 0; nsizes < 16; e++) {
				sizes[nsizes++] = strtoull(e, &e, 0);
				if (*e != ',')
					break;
			}
			if (*e != '\0')
				return usage();
			break;
		}
		case 'c': nconns = (unsigned)atoi(optarg); conns_given = true; break;
		case 'M': maxc = (unsigned)atoi(optarg); break;
		case 'B': echo_buf = (size_t)atoi(optarg); break;
		case 'F': fwd = optarg; break;
		case 'T': no_tso = true; break;
		default: return usage();
		}
	}
	if (vdev != NULL && fwd != NULL)
		return fwd_main(vdev, fwd, seconds);
	if (!conns_given)
		nconns = nsizes;
	if (vdev == NULL || addr == NULL || strlen(addr) >= sizeof(abuf) ||
	    nconns == 0 || nconns > maxc || maxc > MAXC_MAX)
		return usage();
	memset(&pc, 0, sizeof(pc));
	pc.no_tso = no_tso;
	strcpy(abuf, addr);
	slash = strchr(abuf, '/');
	if (slash == NULL)
		return usage();
	*slash = '\0';
	pc.prefix = (uint8_t)atoi(slash + 1);
	if (tg_failed(tg_net_addr_parse(abuf, &pc.addr)) ||
	    (gw != NULL && tg_failed(tg_net_addr_parse(gw, &pc.gateway))))
		return usage();
	if (addr6 != NULL) {
		if (strlen(addr6) >= sizeof(abuf))
			return usage();
		strcpy(abuf, addr6);
		slash = strchr(abuf, '/');
		if (slash == NULL)
			return usage();
		*slash = '\0';
		pc.prefix6 = (uint8_t)atoi(slash + 1);
		if (tg_failed(tg_net_addr_parse(abuf, &pc.addr6)))
			return usage();
	}
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
	pc.pools[0] = tg_net_pool_create("netpeer", maxc > 1024 ? 65536 : 16384, 0, -1);
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
	if (echo_port != 0 || dst != NULL) {
		memset(&tc, 0, sizeof(tc));
		tc.net = net;
		tc.max_conns = maxc + 64;
		tc.max_tw = maxc + 64;
		/* RACK-TLP off, for comparisons (RFC 8985 vs DupThresh and RTO) */
		tc.no_rack = getenv("TG_TCP_NO_RACK") != NULL;
		if (tg_failed(tg_tcp_new(&tc, &tcp)) ||
		    (echo_port != 0 &&
		     tg_failed(tg_tcp_listen(tcp, (uint16_t)echo_port, NULL, NULL)))) {
			fprintf(stderr, "tg_netpeer: tcp failed\n");
			return 1;
		}
	}
	conns = calloc(maxc, sizeof(*conns));
	if (conns == NULL || echo_buf < 1024 || echo_buf > 16 * 1024 * 1024)
		return 1;
	for (unsigned i = 0; i < maxc; i++) {
		conns[i].buf = malloc(echo_buf);
		conns[i].h_out = EVP_MD_CTX_new();
		conns[i].h_in = EVP_MD_CTX_new();
		if (conns[i].buf == NULL || conns[i].h_out == NULL || conns[i].h_in == NULL)
			return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	tg_net_flush(net); /* the gratuitous ARP */
	/* the process's CPU time from here (cpu_us at the end: what the
	 * transfers cost, the EAL's start left out) */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu0);
	printf("ready\n");
	fflush(stdout);
	if (dst != NULL) {
		struct tg_net_addr da;
		char host[64];
		char *colon;

		if (strlen(dst) >= sizeof(host))
			return usage();
		strcpy(host, dst);
		colon = strrchr(host, ':');
		if (colon == NULL)
			return usage();
		*colon = '\0';
		/* [v6]:port */
		if (host[0] == '[' && colon[-1] == ']') {
			colon[-1] = '\0';
			memmove(host, host + 1, strlen(host));
		}
		if (tg_failed(tg_net_addr_parse(host, &da)))
			return usage();
		for (unsigned i = 0; i < nconns; i++) {
			struct conn *x = slot();

			x->total = sizes[i % nsizes];
			x->client = true;
			x->rng = 0x9E3779B97F4A7C15ULL + i;
			EVP_DigestInit_ex(x->h_out, EVP_sha256(), NULL);
			EVP_DigestInit_ex(x->h_in, EVP_sha256(), NULL);
			if (tg_failed(tg_tcp_connect(tcp, &da, (uint16_t)atoi(colon + 1), x, &x->c))) {
				fprintf(stderr, "tg_netpeer: connect failed\n");
				return 1;
			}
			tg_tcp_want(x->c, true, true);
			left++;
		}
	}
	end = mono() + seconds;
	while (!stop) {
		unsigned n;

		if (tcp != NULL) {
			struct tg_tcp_event ev[64];
			unsigned k;

			n = tg_tcp_poll(tcp);
			k = tg_tcp_events(tcp, ev, 64);
			for (unsigned i = 0; i < k; i++) {
				struct conn *x = ev[i].udata;

				if (ev[i].ev & TG_TCP_EV_ACCEPTED) {
					x = slot();
					if (x == NULL) {
						tg_tcp_abort(ev[i].c);
						continue;
					}
					x->c = ev[i].c;
					x->total = 0;
					x->client = false;
					tg_tcp_set_udata(x->c, x);
				}
				if (x == NULL || x->done)
					continue;
				if (!x->client) {
					if (ev[i].ev & (TG_TCP_EV_ERROR | TG_TCP_EV_CLOSED)) {
						tg_tcp_close(x->c);
						x->used = false;
						continue;
					}
					echo_step(x);
				} else {
					send_step(x);
					if (x->done) {
						tg_tcp_close(x->c);
						left--;
					}
				}
			}
			tg_tcp_flush(tcp);
			if (dst != NULL && left == 0)
				break;
		} else {
			n = tg_net_poll(net);
			tg_net_flush(net);
		}
		if (n != 0) {
			idle = 0;
			continue;
		}
		/* a shared test machine: poll hard only while busy */
		if (++idle > 256) {
			usleep(100);
			if (mono() > end)
				break;
		}
	}
	if (dst != NULL && left > 0) {
		for (unsigned i = 0; i < maxc; i++)
			if (conns[i].used && !conns[i].done && conns[i].client)
				send_done(&conns[i], "TIMEOUT");
		rc = 1;
	}
	{
		const struct tg_net_stats *s = tg_net_stats(net);

		printf("rx_pkts %llu\ntx_pkts %llu\narp_rx %llu\narp_tx %llu\n"
		       "icmp_echo_rx %llu\nrx_bad_cksum %llu\nrx_malformed %llu\n"
		       "rx_not_ours %llu\nrx_unknown %llu\nimp_drop_rx %llu\n"
		       "imp_drop_tx %llu\n",
		       (unsigned long long)s->rx_pkts, (unsigned long long)s->tx_pkts,
		       (unsigned long long)s->arp_rx, (unsigned long long)s->arp_tx,
		       (unsigned long long)s->icmp_echo_rx,
		       (unsigned long long)s->rx_bad_cksum,
		       (unsigned long long)s->rx_malformed,
		       (unsigned long long)s->rx_not_ours,
		       (unsigned long long)s->rx_unknown,
		       (unsigned long long)s->imp_drop[TG_NET_RX],
		       (unsigned long long)s->imp_drop[TG_NET_TX]);
	}
	{
		struct timespec cpu1;

		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu1);
		printf("cpu_us %lld\n", (long long)(cpu1.tv_sec - cpu0.tv_sec) * 1000000 +
					 (cpu1.tv_nsec - cpu0.tv_nsec) / 1000);
	}
	if (tcp != NULL) {
		const struct tg_tcp_stats *s = tg_tcp_stats(tcp);

		printf("accepted %llu\nconnected %llu\nretransmits %llu\nrto %llu\n"
		       "fast_retransmits %llu\nmalformed %llu\nsegs_in %llu\nsegs_out %llu\n"
		       "syncookies_sent %llu\nsyncookies_ok %llu\ntlp %llu\nrack_lost %llu\n"
		       "dsack_in %llu\ndsack_out %llu\ndsack_undo %llu\n"
		       "tso_frames %llu\ntso_segs %llu\nbytes_out %llu\n",
		       (unsigned long long)s->accepted, (unsigned long long)s->connected,
		       (unsigned long long)s->retransmits, (unsigned long long)s->rto,
		       (unsigned long long)s->fast_retransmits,
		       (unsigned long long)s->malformed, (unsigned long long)s->segs_in,
		       (unsigned long long)s->segs_out,
		       (unsigned long long)s->syncookies_sent,
		       (unsigned long long)s->syncookies_ok, (unsigned long long)s->tlp,
		       (unsigned long long)s->rack_lost,
		       (unsigned long long)s->dsack_in, (unsigned long long)s->dsack_out,
		       (unsigned long long)s->dsack_undo,
		       (unsigned long long)s->tso_frames,
		       (unsigned long long)s->tso_segs, (unsigned long long)s->bytes_out);
		tg_tcp_free(tcp);
	}
	for (unsigned i = 0; i < maxc; i++) {
		free(conns[i].buf);
		EVP_MD_CTX_free(conns[i].h_out);
		EVP_MD_CTX_free(conns[i].h_in);
	}
	free(conns);
	tg_net_free(net);
	tg_net_port_stop(port);
	tg_eal_stop();
	return rc;
}
