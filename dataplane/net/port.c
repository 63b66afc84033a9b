/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file port.c
 * Ports: configure an ethdev for our stack instances (one rx/tx queue
 * pair each), take the checksum offloads it has, program RSS with a
 * symmetric Toeplitz key where it has RSS, and create the dispatch rings
 * for the ports where it has not.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_thash.h>

#include "net_int.h"
#include "tg_eal.h"
#include "tg_log.h"

/*
 * The symmetric Toeplitz key (Woo and Park, "Scalable TCP Session
 * Monitoring with Symmetric Receive-side Scaling"): 0x6d5a repeated. With
 * a key whose 16-bit halves repeat, swapping source and destination
 * addresses (32-bit words) and ports (16-bit halves) leaves the hash
 * unchanged, so both directions of a flow land on one queue.
 */
static void tg_port_sym_key(uint8_t *key, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		key[i] = (i & 1) ? 0x5a : 0x6d;
}

uint16_t tg_net_port_owner(const struct tg_net_port *p,
			   const struct tg_net_addr *a,
			   const struct tg_net_addr *b, uint16_t aport,
			   uint16_t bport)
{
	uint32_t t[9];
	uint32_t h;

	if (p->n_queues <= 1)
		return 0;
	if (tg_net_addr_is_v4(a) && tg_net_addr_is_v4(b)) {
		/* the tuple as a NIC hashes it: addresses, then ports */
		t[0] = ntohl(tg_net_addr_v4(a));
		t[1] = ntohl(tg_net_addr_v4(b));
		t[2] = ((uint32_t)aport << 16) | bport;
		h = rte_softrss(t, 3, p->key);
	} else {
		for (int i = 0; i < 4; i++) {
			uint32_t x, y;

			memcpy(&x, &a->b[4 * i], 4);
			memcpy(&y, &b->b[4 * i], 4);
			t[i] = ntohl(x);
			t[4 + i] = ntohl(y);
		}
		t[8] = ((uint32_t)aport << 16) | bport;
		h = rte_softrss(t, 9, p->key);
	}
	return p->reta[h & (uint32_t)(p->reta_size - 1)];
}

bool tg_net_port_rss(const struct tg_net_port *p)
{
	return p->rss;
}

uint16_t tg_net_port_queues(const struct tg_net_port *p)
{
	return p->n_queues;
}

void tg_net_port_test_tso(struct tg_net_port *p, uint16_t seg_mtu)
{
	p->tso = p->tso6 = true;
	p->tso_seg_mtu = seg_mtu != 0 ? seg_mtu : p->mtu;
	p->tso_slices = TG_NET_TSO_SEGS - 1;
}

void tg_net_port_mac(const struct tg_net_port *p, uint8_t mac[6])
{
	memcpy(mac, p->mac.addr_bytes, 6);
}

/* Touch a pool's memory once at start: without hugepages it is ordinary
 * anonymous memory, and the first use of each page would be a page fault
 * on the fast path. */
static void tg_pool_touch(struct rte_mempool *mp, void *opaque,
			  struct rte_mempool_memhdr *memhdr, unsigned idx)
{
	volatile uint8_t *p = memhdr->addr;

	(void)mp;
	(void)opaque;
	(void)idx;
	for (size_t off = 0; off < memhdr->len; off += 4096)
		p[off] = p[off];
}

struct rte_mempool *tg_net_pool_create(const char *name, unsigned n,
				       uint16_t mtu, int socket)
{
	unsigned room = RTE_MBUF_DEFAULT_BUF_SIZE;
	unsigned need = RTE_PKTMBUF_HEADROOM + (mtu ? mtu : 1500) +
			RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN + 64;
	struct rte_mempool *mp;

	if (need > room)
		room = need;
	if (room > UINT16_MAX)
		room = UINT16_MAX;
	mp = rte_pktmbuf_pool_create(name, n, n >= 1024 ? 256 : 0, 0,
				     (uint16_t)room,
				     socket < 0 ? (int)SOCKET_ID_ANY : socket);
	if (mp == NULL)
		TG_ERR("net: pool %s (%u mbufs): %s", name, n,
		       rte_strerror(rte_errno));
	else
		rte_mempool_mem_iter(mp, tg_pool_touch, NULL);
	return mp;
}

/* RSS with our key and redirection table, when the device has it for
 * TCP over IPv4 and we have more than one queue. False: software
 * dispatch. */
static bool tg_port_rss_setup(struct tg_net_port *p,
			      const struct rte_eth_dev_info *di,
			      struct rte_eth_conf *ec, bool no_rss)
{
	uint64_t hf = RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV6_TCP;
	static uint8_t devkey[64];

	if (no_rss || p->n_queues <= 1 || di->reta_size == 0 ||
	    di->reta_size > TG_NET_RETA_MAX ||
	    (di->reta_size & (di->reta_size - 1)) != 0 ||
	    !(di->flow_type_rss_offloads & RTE_ETH_RSS_NONFRAG_IPV4_TCP) ||
	    di->hash_key_size < TG_NET_KEY_LEN || di->hash_key_size > 64)
		return false;
	tg_port_sym_key(devkey, di->hash_key_size);
	ec->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	ec->rx_adv_conf.rss_conf.rss_key = devkey;
	ec->rx_adv_conf.rss_conf.rss_key_len = di->hash_key_size;
	ec->rx_adv_conf.rss_conf.rss_hf = hf & di->flow_type_rss_offloads;
	p->reta_size = di->reta_size;
	return true;
}

static bool tg_port_reta_program(struct tg_net_port *p)
{
	struct rte_eth_rss_reta_entry64 r[TG_NET_RETA_MAX / RTE_ETH_RETA_GROUP_SIZE];

	memset(r, 0, sizeof(r));
	for (unsigned i = 0; i < p->reta_size; i++) {
		r[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ULL << (i % RTE_ETH_RETA_GROUP_SIZE);
		r[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] =
			p->reta[i];
	}
	return rte_eth_dev_rss_reta_update(p->port_id, r, p->reta_size) == 0;
}

static tg_result tg_port_check_conf(const struct tg_net_port_conf *c)
{
	TG_ENSURE(c->n_queues >= 1 && c->n_queues <= TG_NET_MAX_QUEUES,
		  TG_E_INVAL);
	TG_ENSURE(rte_eth_dev_is_valid_port(c->port_id), TG_E_INVAL);
	TG_ENSURE(tg_net_addr_is_v4(&c->addr) && tg_net_addr_v4(&c->addr) != 0,
		  TG_E_INVAL);
	TG_ENSURE(c->prefix >= 1 && c->prefix <= 32, TG_E_INVAL);
	for (int i = 0; i < 16; i++)
		if (c->addr6.b[i] != 0) {
			TG_ENSURE(!tg_net_addr_is_v4(&c->addr6) && c->addr6.b[0] != 0xff &&
					  c->prefix6 >= 1 && c->prefix6 <= 128,
				  TG_E_INVAL);
			break;
		}
	for (unsigned q = 0; q < c->n_queues; q++)
		TG_ENSURE(c->pools[q] != NULL, TG_E_INVAL);
	return TG_OK;
}

tg_result tg_net_port_start(const struct tg_net_port_conf *c,
			    struct tg_net_port **out)
{
	struct rte_eth_dev_info di;
	struct rte_eth_conf ec;
	struct tg_net_port *p;
	uint16_t nb_rxd, nb_txd, mtu = 0;
	int socket, rc;
	bool rss, tap;

	TG_ENSURE_REF(c);
	TG_ENSURE_REF(out);
	TG_GUARD(tg_port_check_conf(c));
	if (rte_eth_dev_info_get(c->port_id, &di) != 0)
		return tg_error(TG_E_IO);
	if (c->n_queues > di.max_rx_queues || c->n_queues > di.max_tx_queues) {
		TG_ERR("net: port %u has %u/%u queues, %u asked", c->port_id,
		       di.max_rx_queues, di.max_tx_queues, c->n_queues);
		return tg_error(TG_E_INVAL);
	}
	p = calloc(1, sizeof(*p));
	TG_ENSURE(p != NULL, TG_E_NOMEM);
	p->port_id = c->port_id;
	p->n_queues = c->n_queues;
	p->addr = c->addr;
	p->prefix = c->prefix;
	p->ip4 = tg_net_addr_v4(&c->addr);
	p->mask4 = htonl(c->prefix == 32 ? 0xffffffffu
					 : ~(0xffffffffu >> c->prefix));
	if (tg_net_addr_is_v4(&c->gateway))
		p->gw4 = tg_net_addr_v4(&c->gateway);
	tg_port_sym_key(p->key, TG_NET_KEY_LEN);
	p->reta_size = 128;
	for (int i = 0; i < 16; i++)
		if (c->addr6.b[i] != 0)
			p->has6 = true;
	if (p->has6) {
		p->addr6 = c->addr6;
		p->prefix6 = c->prefix6;
		p->gw6 = c->gateway6;
	}

	memset(&ec, 0, sizeof(ec));
	if (c->mtu != 0)
		mtu = c->mtu;
	else if (rte_eth_dev_get_mtu(c->port_id, &mtu) != 0 || mtu == 0)
		mtu = RTE_ETHER_MTU;
	p->mtu = mtu;
	ec.rxmode.mtu = mtu;
	if (!c->no_offloads) {
		/* RFC 1122 §4.2.2.7: a checksum the device computes or
		 * verifies is as good as ours */
		uint64_t rxc = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM |
			       RTE_ETH_RX_OFFLOAD_TCP_CKSUM |
			       RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
		uint64_t txc = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM |
			       RTE_ETH_TX_OFFLOAD_TCP_CKSUM |
			       RTE_ETH_TX_OFFLOAD_UDP_CKSUM;

		if ((di.rx_offload_capa & rxc) == rxc) {
			ec.rxmode.offloads |= rxc;
			p->rx_cksum = true;
		}
		if ((di.tx_offload_capa & txc) == txc) {
			ec.txmode.offloads |= txc;
			p->tx_ip_cksum = p->tx_l4_cksum = true;
		}
	}
	/* a TCP segment goes out as its headers chained to slices of the
	 * send buffer (no copy) where the device takes chains (DPDK 22.11:
	 * net_memif, net_af_packet, net_tap and net_ring do, net_null does
	 * not) and the payload is large enough to pay for the slices;
	 * elsewhere TCP copies the payload behind the headers */
	p->tx_chain_min = UINT32_MAX;
	if (di.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) {
		ec.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
		p->tx_chain_min = c->tx_chain_min != 0 ? c->tx_chain_min : TG_NET_TX_CHAIN_MIN;
	}
	/* TCP segmentation offload where the device has it with the
	 * checksums and chains it needs (a frame is the headers chained to
	 * up to 64 KiB of the send buffer's slices) */
	tap = strcmp(di.driver_name, "net_tap") == 0;
	if (!c->no_offloads && !c->no_tso && p->tx_l4_cksum && p->tx_ip_cksum &&
	    p->tx_chain_min != UINT32_MAX &&
	    (di.tx_offload_capa & RTE_ETH_TX_OFFLOAD_TCP_TSO) &&
	    di.tx_desc_lim.nb_seg_max >= 3) {
		ec.txmode.offloads |= RTE_ETH_TX_OFFLOAD_TCP_TSO;
		p->tso = true;
		/* net_tap segments in software with librte_gso, which in
		 * DPDK 22.11 cuts TCP over IPv4 only: an IPv6 frame comes
		 * back uncut and the PMD writes nothing of it. And it
		 * refuses a frame whose segment, Ethernet header counted,
		 * is over the MTU (tso_segsz + l2 + l3 + l4 > mtu), and a
		 * refused frame stops the burst for good: its segments are
		 * made 14 bytes shorter than the MTU allows */
		p->tso6 = !tap;
		p->tso_seg_mtu = (uint16_t)(tap ? mtu - RTE_ETHER_HDR_LEN : mtu);
		p->tso_slices = (uint16_t)(RTE_MIN(di.tx_desc_lim.nb_seg_max, TG_NET_TSO_SEGS) - 1);
	}
	rss = tg_port_rss_setup(p, &di, &ec, c->no_rss);
	for (unsigned i = 0; i < p->reta_size; i++)
		p->reta[i] = (uint16_t)(i % p->n_queues);

	rc = rte_eth_dev_configure(c->port_id, c->n_queues, c->n_queues, &ec);
	if (rc != 0 && rss) {
		/* a device that advertises RSS and refuses our key */
		TG_WARN("net: port %u refused RSS (%s): software dispatch",
			c->port_id, rte_strerror(-rc));
		rss = false;
		memset(&ec.rx_adv_conf, 0, sizeof(ec.rx_adv_conf));
		ec.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
		p->reta_size = 128;
		for (unsigned i = 0; i < p->reta_size; i++)
			p->reta[i] = (uint16_t)(i % p->n_queues);
		rc = rte_eth_dev_configure(c->port_id, c->n_queues, c->n_queues,
					   &ec);
	}
	if (rc != 0) {
		TG_ERR("net: port %u configure: %s", c->port_id, rte_strerror(-rc));
		goto fail;
	}
	nb_rxd = c->nb_rxd ? c->nb_rxd : 1024;
	nb_txd = c->nb_txd ? c->nb_txd : 1024;
	if (rte_eth_dev_adjust_nb_rx_tx_desc(c->port_id, &nb_rxd, &nb_txd) != 0)
		goto fail;
	socket = rte_eth_dev_socket_id(c->port_id);
	if (socket < 0)
		socket = (int)SOCKET_ID_ANY;
	for (uint16_t q = 0; q < c->n_queues; q++) {
		struct rte_eth_rxconf rxc = di.default_rxconf;
		struct rte_eth_txconf txc = di.default_txconf;

		rxc.offloads = ec.rxmode.offloads;
		txc.offloads = ec.txmode.offloads;
		rc = rte_eth_rx_queue_setup(c->port_id, q, nb_rxd, (unsigned)socket,
					    &rxc, c->pools[q]);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(c->port_id, q, nb_txd,
						    (unsigned)socket, &txc);
		if (rc != 0) {
			TG_ERR("net: port %u queue %u: %s", c->port_id, q,
			       rte_strerror(-rc));
			goto fail;
		}
	}
	if (rss && !tg_port_reta_program(p)) {
		/* the device keeps its own table: we cannot predict it */
		TG_WARN("net: port %u: RETA not programmable, software dispatch",
			c->port_id);
		rss = false;
	}
	p->rss = rss;
	for (uint16_t q = 0; q < c->n_queues && c->n_queues > 1; q++) {
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "tgd%u_%u_%u", (unsigned)getpid() % 100000,
			 c->port_id, q);
		p->disp[q] = rte_ring_create(name, TG_NET_DISP_RING, socket,
					     RING_F_SC_DEQ);
		if (p->disp[q] == NULL) {
			TG_ERR("net: ring %s: %s", name, rte_strerror(rte_errno));
			goto fail;
		}
	}
	rc = rte_eth_dev_start(c->port_id);
	if (rc != 0) {
		TG_ERR("net: port %u start: %s", c->port_id, rte_strerror(-rc));
		goto fail;
	}
	p->started = true;
	/* net_tap gives the kernel's end of the tap the device's own
	 * address, and changing one changes both: that end is another host
	 * to us (the Linux peer), and every frame from it would carry our
	 * source address (dropped as our own). Ours is the one given
	 * (set_mac) or the device's with its last bit flipped, and the
	 * device is not told: it passes every frame to us anyway. */
	if (c->set_mac && tap) {
		memcpy(p->mac.addr_bytes, c->mac, 6);
	} else if (c->set_mac) {
		memcpy(p->mac.addr_bytes, c->mac, 6);
		rc = rte_eth_dev_default_mac_addr_set(c->port_id, &p->mac);
		if (rc != 0 && rc != -ENOTSUP) {
			TG_ERR("net: port %u: MAC address: %s", c->port_id,
			       rte_strerror(-rc));
			goto fail;
		}
	} else if (rte_eth_macaddr_get(c->port_id, &p->mac) != 0) {
		goto fail;
	} else if (tap) {
		p->mac.addr_bytes[5] ^= 1;
	}
	if (rte_is_zero_ether_addr(&p->mac))
		rte_eth_random_addr(p->mac.addr_bytes);
	if (p->has6) {
		tg_net6_port_init(p);
		/* NDP needs its solicited-node groups: all multicast in (the
		 * IPv6 input filters by address); a port that cannot still
		 * has the groups it was told, or passes everything */
		(void)rte_eth_allmulticast_enable(c->port_id);
	}
	TG_INFO("net: port %u up (%s): mtu %u, %u queue(s), %s, checksums %s/%s, tx %s%s%s",
		c->port_id, di.driver_name, p->mtu, p->n_queues,
		p->rss ? "RSS (symmetric key)" : "software dispatch",
		p->rx_cksum ? "rx offload" : "rx software",
		p->tx_l4_cksum ? "tx offload" : "tx software",
		p->tx_chain_min != UINT32_MAX ? "chains" : "flat",
		!p->tso ? ", no TSO" : p->tso6 ? ", TSO" : ", TSO (IPv4)",
		p->has6 ? ", IPv6" : "");
	*out = p;
	return TG_OK;
fail:
	tg_net_port_stop(p);
	return tg_error(TG_E_IO);
}

static void tg_port_dev_stop(void *arg)
{
	const struct tg_net_port *p = arg;

	(void)rte_eth_dev_stop(p->port_id);
}

void tg_net_port_stop(struct tg_net_port *p)
{
	if (p == NULL)
		return;
	if (p->started) {
		/* on the interrupt thread, after whatever the driver has
		 * there: net_memif's stop (memif_disconnect) and its handling
		 * of the peer's disconnect, run there, free the same regions,
		 * and from two threads at once free them twice */
		tg_eal_ctrl_run(tg_port_dev_stop, p);
		p->started = false;
	}
	for (unsigned q = 0; q < TG_NET_MAX_QUEUES; q++) {
		if (p->disp[q] != NULL) {
			struct rte_mbuf *m;

			while (rte_ring_dequeue(p->disp[q], (void **)&m) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(p->disp[q]);
		}
	}
	free(p);
}
