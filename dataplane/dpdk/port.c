/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file port.c
 * The DPDK transport's port: the configured ethdev found among the EAL's
 * ports, one packet pool per worker, the port started through
 * dataplane/net (RSS or software dispatch).
 */
#include "dpdk_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mempool.h>

#include "tg_log.h"

/* "net_af_packet0 (0), net_tap0 (1)" for an error message */
static void tg_dp_port_list(char *buf, size_t cap)
{
	uint16_t id;
	size_t pos = 0;

	buf[0] = '\0';
	RTE_ETH_FOREACH_DEV(id) {
		char name[RTE_ETH_NAME_MAX_LEN];
		int n;

		if (rte_eth_dev_get_name_by_port(id, name) != 0)
			continue;
		n = snprintf(buf + pos, cap - pos, "%s%s (%u)", pos ? ", " : "",
			     name, id);
		if (n < 0 || (size_t)n >= cap - pos)
			break;
		pos += (size_t)n;
	}
	if (pos == 0)
		snprintf(buf, cap, "none");
}

static tg_result tg_dp_port_find(const char *dev, uint16_t *id)
{
	char list[512];
	bool digits = dev[0] != '\0';

	for (const char *p = dev; *p != '\0'; p++)
		digits = digits && isdigit((unsigned char)*p);
	if (dev[0] == '\0') {
		uint16_t first = RTE_MAX_ETHPORTS;
		uint16_t i;

		RTE_ETH_FOREACH_DEV(i) {
			first = i;
			break;
		}
		if (first != RTE_MAX_ETHPORTS) {
			*id = first;
			return TG_OK;
		}
		TG_ERR("dpdk: the EAL found no network port: give one with --eal "
		       "\"--vdev=net_af_packet0,iface=IFACE\" (or a NIC bound to "
		       "vfio-pci with dpdk.hugepages = true; docs/deployment.md)");
		return tg_error(TG_E_INVAL);
	}
	if (digits) {
		unsigned long v = strtoul(dev, NULL, 10);

		if (v < RTE_MAX_ETHPORTS && rte_eth_dev_is_valid_port((uint16_t)v)) {
			*id = (uint16_t)v;
			return TG_OK;
		}
	} else if (rte_eth_dev_get_port_by_name(dev, id) == 0) {
		return TG_OK;
	}
	tg_dp_port_list(list, sizeof(list));
	TG_ERR("dpdk: no port '%s' (ports the EAL found: %s)", dev, list);
	return tg_error(TG_E_INVAL);
}

tg_result tg_dpdk_port_open(const struct tg_dpdk_port_conf *c, unsigned n_queues,
			    struct tg_dpdk_port **out)
{
	struct tg_net_port_conf pc;
	struct tg_dpdk_port *p;
	unsigned mbufs;
	tg_result r;
	int socket;

	TG_ENSURE(c != NULL && out != NULL, TG_E_INVAL);
	if (n_queues < 1 || n_queues > TG_NET_MAX_QUEUES) {
		TG_ERR("dpdk: %u workers: a port serves 1..%u (one queue each)",
		       n_queues, TG_NET_MAX_QUEUES);
		return tg_error(TG_E_INVAL);
	}
	p = calloc(1, sizeof(*p));
	TG_ENSURE(p != NULL, TG_E_NOMEM);
	p->n_queues = n_queues;
	r = tg_dp_port_find(c->dev, &p->port_id);
	if (tg_failed(r)) {
		free(p);
		return r;
	}
	(void)rte_eth_dev_get_name_by_port(p->port_id, p->name);
	{
		struct rte_eth_dev_info di;

		if (rte_eth_dev_info_get(p->port_id, &di) == 0 &&
		    (n_queues > di.max_rx_queues || n_queues > di.max_tx_queues)) {
			TG_ERR("dpdk: port %s has %u rx and %u tx queues; %u workers "
			       "need one each (net_af_packet: qpairs=%u in its --vdev)",
			       p->name, di.max_rx_queues, di.max_tx_queues, n_queues,
			       n_queues);
			free(p);
			return tg_error(TG_E_INVAL);
		}
	}
	socket = rte_eth_dev_socket_id(p->port_id);
	mbufs = c->mbufs ? c->mbufs : TG_DPDK_MBUFS_DEFAULT;
	memset(&pc, 0, sizeof(pc));
	for (unsigned q = 0; q < n_queues; q++) {
		char name[RTE_MEMPOOL_NAMESIZE];

		snprintf(name, sizeof(name), "tgdp%u_%u", p->port_id, q);
		p->pools[q] = tg_net_pool_create(name, mbufs, c->mtu, socket);
		if (p->pools[q] == NULL) {
			TG_ERR("dpdk: no memory for %u packet buffers of worker %u "
			       "(dpdk.mbufs; without hugepages the EAL's memory is "
			       "sized from it)", mbufs, q);
			tg_dpdk_port_close(p);
			return tg_error(TG_E_NOMEM);
		}
		pc.pools[q] = p->pools[q];
	}
	pc.port_id = p->port_id;
	pc.n_queues = (uint16_t)n_queues;
	pc.addr = c->addr;
	pc.prefix = c->prefix;
	pc.gateway = c->gateway;
	pc.addr6 = c->addr6;
	pc.prefix6 = c->prefix6;
	pc.gateway6 = c->gateway6;
	pc.mtu = c->mtu;
	pc.no_rss = c->no_rss;
	pc.no_tso = c->no_tso;
	r = tg_net_port_start(&pc, &p->port);
	if (tg_failed(r)) {
		TG_ERR("dpdk: port %s did not start (%s)", p->name,
		       r.code == TG_E_INVAL ? "bad settings: address, prefix or queues"
					    : "the device refused; see above");
		tg_dpdk_port_close(p);
		return r;
	}
	{
		uint16_t mtu = 0;

		(void)rte_eth_dev_get_mtu(p->port_id, &mtu);
		TG_NOTICE("dpdk: port %s (%u) up, %u queue%s, %s, MTU %u", p->name,
			  p->port_id, n_queues, n_queues == 1 ? "" : "s",
			  n_queues == 1 ? "one worker"
			  : tg_net_port_rss(p->port) ? "RSS" : "software dispatch",
			  c->mtu ? c->mtu : mtu);
	}
	*out = p;
	return TG_OK;
}

void tg_dpdk_port_close(struct tg_dpdk_port *p)
{
	if (p == NULL)
		return;
	tg_net_port_stop(p->port);
	for (unsigned q = 0; q < TG_NET_MAX_QUEUES; q++)
		rte_mempool_free(p->pools[q]);
	free(p);
}

struct tg_net_port *tg_dpdk_port_net(const struct tg_dpdk_port *p)
{
	return p->port;
}

const char *tg_dpdk_port_name(const struct tg_dpdk_port *p)
{
	return p->name;
}
