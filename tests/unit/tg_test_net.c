/* SPDX-License-Identifier: BSD-3-Clause */
#include "tg_test_net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "tg_test.h"

#define TN_POOL 4096

uint64_t tn_now = 1000000;

uint64_t tn_clock(void *ctx)
{
	(void)ctx;
	return tn_now;
}

/* ethdev ports and pools live for the whole process, by queue count */
static struct {
	bool made;
	uint16_t port[2];
	struct rte_ring *ring[2][TN_MAXQ];
} tn_devs[2][TN_MAXQ + 1];
static struct rte_mempool *tn_pools[2][TN_MAXQ];

/* @p cross: what side s sends on queue q arrives at the other side's
 * queue q + 1 (mod nq): every packet lands on an instance that does not
 * own its flow */
static int tn_make(uint16_t nq, bool cross)
{
	char name[64];
	typeof(tn_devs[0][0]) *d = &tn_devs[cross][nq];
#define tn_dev (d - nq)

	if (tn_dev[nq].made)
		return 0;
	for (int s = 0; s < 2; s++) {
		for (uint16_t q = 0; q < nq; q++) {
			snprintf(name, sizeof(name), "tn_r%u%c_%d_%u", nq, cross ? 'x' : 's', s, q);
			tn_dev[nq].ring[s][q] = rte_ring_create(name, 4096, SOCKET_ID_ANY,
							       RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (tn_dev[nq].ring[s][q] == NULL)
				return -1;
		}
	}
	for (int s = 0; s < 2; s++) {
		struct rte_ring *rx[TN_MAXQ], *tx[TN_MAXQ];
		int id;

		for (uint16_t q = 0; q < nq; q++) {
			tx[q] = tn_dev[nq].ring[s][q];
			rx[(q + (cross ? 1 : 0)) % nq] = tn_dev[nq].ring[1 - s][q];
		}
		snprintf(name, sizeof(name), "net_tn%u%c_%c", nq, cross ? 'x' : 's',
			 s ? 'b' : 'a');
		id = rte_eth_from_rings(name, rx, nq, tx, nq, (unsigned)rte_socket_id());
		if (id < 0) {
			fprintf(stderr, "rte_eth_from_rings: %s\n", rte_strerror(rte_errno));
			return -1;
		}
		tn_dev[nq].port[s] = (uint16_t)id;

	}
	for (int s = 0; s < 2; s++) {
		for (uint16_t q = 0; q < TN_MAXQ; q++) {
			if (tn_pools[s][q] != NULL)
				continue;
			snprintf(name, sizeof(name), "tn_pool%d_%u", s, q);
			tn_pools[s][q] = tg_net_pool_create(name, TN_POOL, 0, -1);
			if (tn_pools[s][q] == NULL)
				return -1;
		}
	}
	tn_dev[nq].made = true;
	return 0;
#undef tn_dev
}

int tn_up(struct tn_pair *x, const struct tn_opts *o)
{
	uint16_t nq = o->nq ? o->nq : 1;

	memset(x, 0, sizeof(*x));
	CU_ASSERT_FATAL(nq <= TN_MAXQ);
	CU_ASSERT_EQUAL_FATAL(tn_make(nq, o->cross), 0);
	x->nq = nq;
	for (int s = 0; s < 2; s++) {
		struct tg_net_port_conf pc;
		char a[32];

		memset(&pc, 0, sizeof(pc));
		x->port[s] = tn_devs[o->cross][nq].port[s];
		for (uint16_t q = 0; q < nq; q++) {
			x->ring[s][q] = tn_devs[o->cross][nq].ring[s][q];
			x->pool[s][q] = tn_pools[s][q];
			pc.pools[q] = tn_pools[s][q];
		}
		snprintf(a, sizeof(a), "198.18.0.%d", s + 1);
		CU_ASSERT_FATAL(tg_ok(tg_net_addr_parse(a, &x->addr[s])));
		pc.port_id = x->port[s];
		pc.set_mac = true;
		memcpy(pc.mac, (uint8_t[6]){ 0x02, 0x54, 0x47, 0, (uint8_t)nq,
					       (uint8_t)(s + 1) }, 6);
		pc.n_queues = nq;
		pc.addr = x->addr[s];
		pc.prefix = 24;
		pc.mtu = o->mtu;
		pc.tx_chain_min = o->tx_chain_min;
		if (o->v6) {
			snprintf(a, sizeof(a), "2001:2::%d", s + 1);
			CU_ASSERT_FATAL(tg_ok(tg_net_addr_parse(a, &x->addr6[s])));
			pc.addr6 = x->addr6[s];
			pc.prefix6 = 64;
		}
		if (s == 0 && o->with_gateway)
			CU_ASSERT_FATAL(tg_ok(tg_net_addr_parse("198.18.0.254", &pc.gateway)));
		/* a test that failed half way left it started */
		(void)rte_eth_dev_stop(x->port[s]);
		CU_ASSERT_FATAL(tg_ok(tg_net_port_start(&pc, &x->p[s])));
		tg_net_port_mac(x->p[s], x->mac[s]);
	}
	CU_ASSERT_FATAL(memcmp(x->mac[0], x->mac[1], 6) != 0);
	for (int s = 0; s < 2; s++) {
		if (o->no_instance[s])
			continue;
		for (uint16_t q = 0; q < nq; q++) {
			struct tg_net_conf nc = {
				.port = x->p[s],
				.queue = q,
				.pool = x->pool[s][q],
				.now_us = o->real_clock ? NULL : tn_clock,
				.impair = o->imp[s],
				.no_garp = !o->garp[s],
			};

			CU_ASSERT_FATAL(tg_ok(tg_net_new(&nc, &x->n[s][q])));
			if (o->static_arp)
				CU_ASSERT_FATAL(tg_ok(tg_net_arp_add(x->n[s][q], &x->addr[1 - s],
								     x->mac[1 - s])));
			if (o->static_arp && o->v6)
				CU_ASSERT_FATAL(tg_ok(tg_net_arp_add(x->n[s][q], &x->addr6[1 - s],
								     x->mac[1 - s])));
		}
	}
	return 0;
}

void tn_free(struct rte_mbuf **m, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		rte_pktmbuf_free(m[i]);
}

void tn_down(struct tn_pair *x)
{
	struct rte_mbuf *m[64];

	for (int s = 0; s < 2; s++)
		for (uint16_t q = 0; q < x->nq; q++) {
			tg_net_free(x->n[s][q]);
			x->n[s][q] = NULL;
		}
	for (int s = 0; s < 2; s++)
		for (uint16_t q = 0; q < x->nq; q++) {
			unsigned k;

			while ((k = rte_ring_dequeue_burst(x->ring[s][q], (void **)m, 64,
							   NULL)) > 0)
				tn_free(m, k);
		}
	for (int s = 0; s < 2; s++) {
		tg_net_port_stop(x->p[s]);
		x->p[s] = NULL;
	}
	/* every mbuf is back: nothing leaked, nothing held */
	for (int s = 0; s < 2; s++)
		for (uint16_t q = 0; q < TN_MAXQ; q++)
			if (rte_mempool_avail_count(tn_pools[s][q]) != TN_POOL) {
				fprintf(stderr, "pool %d/%u: %u of %u\n", s, q,
					rte_mempool_avail_count(tn_pools[s][q]), TN_POOL);
				CU_FAIL("mbufs leaked");
			}
}

void tn_run(struct tn_pair *x, int rounds)
{
	for (int r = 0; r < rounds; r++)
		for (int s = 0; s < 2; s++)
			for (uint16_t q = 0; q < x->nq; q++) {
				if (x->n[s][q] == NULL)
					continue;
				tg_net_poll(x->n[s][q]);
				tg_net_flush(x->n[s][q]);
			}
}

unsigned tn_take(struct tn_pair *x, int s, struct rte_mbuf **m, unsigned cap)
{
	unsigned got = 0;

	for (uint16_t q = 0; q < x->nq && got < cap; q++)
		got += rte_ring_dequeue_burst(x->ring[s][q], (void **)(m + got),
					      cap - got, NULL);
	return got;
}

void tn_put(struct tn_pair *x, int s, uint16_t q, struct rte_mbuf *m)
{
	/* what side s receives on queue q is what the other side sent on it */
	CU_ASSERT_EQUAL(rte_ring_enqueue(x->ring[1 - s][q], m), 0);
}

void *tn_append(struct rte_mbuf *m, uint16_t len)
{
	void *p = rte_pktmbuf_append(m, len);

	if (p == NULL)
		abort(); /* a test frame larger than an mbuf: the test is wrong */
	return p;
}

struct rte_ipv4_hdr *tn_ip(struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	if (m->data_len < sizeof(*eth) + sizeof(struct rte_ipv4_hdr) ||
	    eth->ether_type != htons(RTE_ETHER_TYPE_IPV4))
		return NULL;
	return (struct rte_ipv4_hdr *)(eth + 1);
}

void tn_fix_cksums(struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = tn_ip(m);
	uint16_t hl;
	uint8_t *l4;

	if (ip == NULL)
		return;
	hl = (uint16_t)((ip->version_ihl & 0xf) * 4);
	l4 = (uint8_t *)ip + hl;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	switch (ip->next_proto_id) {
	case IPPROTO_TCP:
		((struct rte_tcp_hdr *)l4)->cksum = 0;
		((struct rte_tcp_hdr *)l4)->cksum = rte_ipv4_udptcp_cksum(ip, l4);
		break;
	case IPPROTO_UDP:
		((struct rte_udp_hdr *)l4)->dgram_cksum = 0;
		((struct rte_udp_hdr *)l4)->dgram_cksum = rte_ipv4_udptcp_cksum(ip, l4);
		break;
	case IPPROTO_ICMP:
		((struct rte_icmp_hdr *)l4)->icmp_cksum = 0;
		((struct rte_icmp_hdr *)l4)->icmp_cksum = (uint16_t)~rte_raw_cksum(
			l4, ntohs(ip->total_length) - hl);
		break;
	}
}

struct rte_mbuf *tn_ip_frame(struct tn_pair *x, int from, uint8_t proto,
			     const void *l4, uint16_t l4_len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(x->pool[from][0]);
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	eth = tn_append(m, (uint16_t)(sizeof(*eth) + sizeof(*ip) + l4_len));
	memcpy(eth->dst_addr.addr_bytes, x->mac[1 - from], 6);
	memcpy(eth->src_addr.addr_bytes, x->mac[from], 6);
	eth->ether_type = htons(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = htons((uint16_t)(sizeof(*ip) + l4_len));
	ip->fragment_offset = htons(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = tg_net_addr_v4(&x->addr[from]);
	ip->dst_addr = tg_net_addr_v4(&x->addr[1 - from]);
	memcpy(ip + 1, l4, l4_len);
	tn_fix_cksums(m);
	return m;
}
