/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file test_net.c
 * dataplane/net on a pair of net_ring ports (two of our ports talking, or
 * the test playing one side with frames it builds): ARP (request, reply,
 * cache, timeout, give-up, gratuitous), ICMP echo, IPv4 checks (fragments,
 * checksums, lengths, addresses), software dispatch between instances,
 * and the seeded impairment layer.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "net_int.h"
#include "tg_eal.h"
#include "tg_net.h"
#include "tg_test.h"
#include "tg_test_net.h"

#define A 0
#define B 1

static const struct tg_net_stats *st(struct tn_pair *x, int s)
{
	return tg_net_stats(x->n[s][0]);
}

/* ---- addresses and specs ---------------------------------------------------------- */

static void test_addr(void)
{
	struct tg_net_addr a;
	char buf[64];

	TG_ASSERT_OK(tg_net_addr_parse("198.18.0.1", &a));
	CU_ASSERT(tg_net_addr_is_v4(&a));
	CU_ASSERT_EQUAL(tg_net_addr_v4(&a), htonl(0xc6120001));
	CU_ASSERT_STRING_EQUAL(tg_net_addr_str(&a, buf, sizeof(buf)), "198.18.0.1");
	TG_ASSERT_OK(tg_net_addr_parse("2001:db8::1", &a));
	CU_ASSERT(!tg_net_addr_is_v4(&a));
	CU_ASSERT_STRING_EQUAL(tg_net_addr_str(&a, buf, sizeof(buf)), "2001:db8::1");
	TG_ASSERT_ERR(tg_net_addr_parse("198.18.0", &a), TG_E_INVAL);
}

/* our checksum is rte_raw_cksum()'s, at any length and alignment */
static void test_cksum(void)
{
	static uint8_t buf[2100];

	tg_test_fill(buf, sizeof(buf));
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len + off <= sizeof(buf); len += len < 64 ? 1 : 37)
			CU_ASSERT_EQUAL(tg_raw_cksum(buf + off, len), rte_raw_cksum(buf + off, len));
	memset(buf, 0xff, sizeof(buf));
	CU_ASSERT_EQUAL(tg_raw_cksum(buf, 2048), rte_raw_cksum(buf, 2048));
	/* the scalar sum and the dispatched one (AVX-512 or AVX2 where the
	 * CPU has it; meson runs this binary again with TG_NET_CKSUM=scalar
	 * and =avx2) agree once folded (the AVX-512 kernel adds the last
	 * bytes as one 32-bit word: 2^16 and 1 are the same in one's
	 * complement) */
	tg_test_fill(buf, sizeof(buf));
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len + off <= sizeof(buf); len += len < 300 ? 1 : 29)
			CU_ASSERT_EQUAL(tg_cksum_fold(tg_cksum_add_long(buf + off, len, 7)),
					tg_cksum_fold(tg_cksum_add_scalar(buf + off, len, 7)));
	memset(buf, 0xff, sizeof(buf));
	CU_ASSERT_EQUAL(tg_cksum_fold(tg_cksum_add_long(buf, 2048, 0xffffffffu)),
			tg_cksum_fold(tg_cksum_add_scalar(buf, 2048, 0xffffffffu)));
}

/* The sum of a chain (a TCP segment's headers, then slices of the send
 * buffer at any offset, odd ones too) is the sum of the same bytes flat,
 * over random splits and random start offsets. */
static void test_cksum_chain(void)
{
	static uint8_t flat[2100]; /* a piece fits one mbuf from any offset */
	struct rte_mempool *mp = rte_pktmbuf_pool_create("ckchain", 63, 0, 0,
							 RTE_MBUF_DEFAULT_BUF_SIZE,
							 SOCKET_ID_ANY);

	CU_ASSERT_PTR_NOT_NULL_FATAL(mp);
	for (int iter = 0; iter < 2000; iter++) {
		uint32_t len = 1 + (uint32_t)(tg_test_rand() % sizeof(flat));
		unsigned nseg = 1 + (unsigned)(tg_test_rand() % 6);
		uint32_t cut[8], off, sum_len;
		struct rte_mbuf *head = NULL, *last = NULL;
		uint16_t got = 0, want;

		tg_test_fill(flat, len);
		/* nseg - 1 cut points, sorted: pieces of any length, 0 too */
		cut[0] = 0;
		for (unsigned i = 1; i < nseg; i++)
			cut[i] = (uint32_t)(tg_test_rand() % (len + 1));
		cut[nseg] = len;
		for (unsigned i = 1; i < nseg; i++)
			for (unsigned j = i + 1; j < nseg; j++)
				if (cut[j] < cut[i]) {
					uint32_t t = cut[i];

					cut[i] = cut[j];
					cut[j] = t;
				}
		for (unsigned i = 0; i < nseg; i++) {
			uint32_t k = cut[i + 1] - cut[i];
			struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
			uint8_t *p;

			CU_ASSERT_PTR_NOT_NULL_FATAL(m);
			/* any start address: odd, even, unaligned */
			m->data_off = (uint16_t)(tg_test_rand() % 64);
			CU_ASSERT_FATAL(k <= rte_pktmbuf_tailroom(m));
			p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)k);
			if (k > 0)
				memcpy(p, flat + cut[i], k);
			if (head == NULL) {
				head = m;
			} else {
				last->next = m;
				head->nb_segs++;
				head->pkt_len += k;
			}
			last = m;
		}
		off = (uint32_t)(tg_test_rand() % len);
		sum_len = (uint32_t)(tg_test_rand() % (len - off + 1));
		want = tg_raw_cksum(flat + off, sum_len);
		CU_ASSERT_FATAL(tg_raw_cksum_mbuf(head, off, sum_len, &got));
		CU_ASSERT_EQUAL(got, want);
		/* (not rte_raw_cksum_mbuf() as a second opinion: DPDK
		 * 22.11's byte-swaps the unfolded sum of a piece at an odd
		 * offset, and is wrong for most of these chains) */
		/* past the end: not there */
		CU_ASSERT(!tg_raw_cksum_chain(head, off, len - off + 1, &got));
		rte_pktmbuf_free(head);
	}
	CU_ASSERT_EQUAL(rte_mempool_avail_count(mp), 63u);
	rte_mempool_free(mp);
}

/* The fused copy and sum: the bytes copied, the sum the one of the bytes
 * (AVX-512, and with TG_NET_CKSUM=avx2 or =scalar the AVX2 or the
 * scalar one), from any alignment, any length. */
static void test_cksum_copy(void)
{
	static uint8_t src[2100], dst[2100];

	tg_test_fill(src, sizeof(src));
	for (size_t so = 0; so < 4; so++)
		for (size_t d = 0; d < 3; d++)
			for (size_t len = 0; len + so + d <= 2048; len += len < 300 ? 1 : 61) {
				uint64_t s;

				memset(dst, 0, sizeof(dst));
				s = tg_net_cksum_copy(dst + d, src + so, len, 5);
				CU_ASSERT_EQUAL(tg_cksum_fold(s),
						tg_cksum_fold(tg_cksum_add_scalar(src + so, len, 5)));
				CU_ASSERT_EQUAL(memcmp(dst + d, src + so, len), 0);
				CU_ASSERT_EQUAL(dst[d + len], 0);
			}
}

/* The IPv4 pseudo-header sum and the header's sum: the values of
 * rte_ipv4_phdr_cksum() and rte_ipv4_cksum(), over random headers. */
static void test_cksum_ip4(void)
{
	for (unsigned i = 0; i < 20000; i++) {
		struct rte_ipv4_hdr ip;
		uint16_t l4_len = (uint16_t)(tg_test_rand() % (65535 - 20));
		uint64_t pre = tg_test_rand() & 0xffff;

		tg_test_fill(&ip, sizeof(ip));
		ip.src_addr = (uint32_t)tg_test_rand();
		ip.dst_addr = i & 1 ? 0xffffffffu : (uint32_t)tg_test_rand();
		ip.next_proto_id = (uint8_t)tg_test_rand();
		ip.version_ihl = RTE_IPV4_VHL_DEF;
		ip.total_length = rte_cpu_to_be_16((uint16_t)(20 + l4_len));
		ip.hdr_checksum = 0;
		CU_ASSERT_EQUAL(tg_cksum_fold(tg_ip4_phdr_add(&ip, l4_len, pre)),
				tg_cksum_fold(pre + rte_ipv4_phdr_cksum(&ip, 0)));
		CU_ASSERT_EQUAL((uint16_t)~tg_raw_cksum(&ip, sizeof(ip)), rte_ipv4_cksum(&ip));
	}
}

static void test_impair_parse(void)
{
	struct tg_net_impair_conf c;

	TG_ASSERT_OK(tg_net_impair_parse("seed=7,loss=1%,rx.dup=0.5,tx.delay=2ms,"
					 "jitter=300us,rate=100m,gap=5,reorder=2%",
					 &c));
	CU_ASSERT_EQUAL(c.seed, 7);
	CU_ASSERT_EQUAL(c.dir[TG_NET_RX].loss_ppm, 10000);
	CU_ASSERT_EQUAL(c.dir[TG_NET_TX].loss_ppm, 10000);
	CU_ASSERT_EQUAL(c.dir[TG_NET_RX].dup_ppm, 5000);
	CU_ASSERT_EQUAL(c.dir[TG_NET_TX].dup_ppm, 0);
	CU_ASSERT_EQUAL(c.dir[TG_NET_TX].delay_us, 2000);
	CU_ASSERT_EQUAL(c.dir[TG_NET_RX].delay_us, 0);
	CU_ASSERT_EQUAL(c.dir[TG_NET_RX].jitter_us, 300);
	CU_ASSERT_EQUAL(c.dir[TG_NET_TX].rate_bps, 100000000ULL);
	CU_ASSERT_EQUAL(c.dir[TG_NET_TX].reorder_gap, 5);
	CU_ASSERT_EQUAL(c.dir[TG_NET_TX].reorder_ppm, 20000);
	CU_ASSERT(tg_net_impair_active(&c));
	TG_ASSERT_OK(tg_net_impair_parse("seed=1", &c));
	CU_ASSERT(!tg_net_impair_active(&c));
	TG_ASSERT_ERR(tg_net_impair_parse("loss=101%", &c), TG_E_INVAL);
	TG_ASSERT_ERR(tg_net_impair_parse("lost=1%", &c), TG_E_INVAL);
	TG_ASSERT_ERR(tg_net_impair_parse("delay=5h", &c), TG_E_INVAL);
	TG_ASSERT_ERR(tg_net_impair_parse("loss", &c), TG_E_INVAL);
	TG_ASSERT_ERR(tg_net_impair_parse("rate=fast", &c), TG_E_INVAL);
}

/* ---- ARP and ICMP ------------------------------------------------------------------- */

static const struct rte_arp_hdr *arp_of(struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	if (eth->ether_type != htons(RTE_ETHER_TYPE_ARP))
		return NULL;
	return (const struct rte_arp_hdr *)(eth + 1);
}

static void test_garp(void)
{
	struct tn_pair x;
	struct tn_opts o = { .garp = { true, false } };
	struct rte_mbuf *m[8];
	const struct rte_arp_hdr *a;
	const struct rte_ether_hdr *eth;
	unsigned k;

	tn_up(&x, &o);
	tg_net_flush(x.n[A][0]);
	k = tn_take(&x, A, m, 8);
	CU_ASSERT_EQUAL_FATAL(k, 1);
	eth = rte_pktmbuf_mtod(m[0], const struct rte_ether_hdr *);
	CU_ASSERT(rte_is_broadcast_ether_addr(&eth->dst_addr));
	CU_ASSERT_EQUAL(m[0]->pkt_len, 60);
	a = arp_of(m[0]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(a->arp_opcode, htons(RTE_ARP_OP_REQUEST));
	CU_ASSERT_EQUAL(a->arp_data.arp_sip, tg_net_addr_v4(&x.addr[A]));
	CU_ASSERT_EQUAL(a->arp_data.arp_tip, tg_net_addr_v4(&x.addr[A]));
	/* B sees it, answers nothing (not for B's address), learns nothing
	 * new (RFC 826 merges only what it has) */
	tg_net_inject(x.n[B][0], m, 1);
	tg_net_flush(x.n[B][0]);
	CU_ASSERT_EQUAL(st(&x, B)->arp_rx, 1);
	CU_ASSERT_EQUAL(tn_take(&x, B, m, 8), 0);
	CU_ASSERT(!tg_net_arp_lookup(x.n[B][0], &x.addr[A], NULL));
	tn_down(&x);
}

static void test_ping(void)
{
	struct tn_pair x;
	struct tn_opts o = { 0 };
	uint8_t mac[6];

	tn_up(&x, &o);
	TG_ASSERT_OK(tg_net_ping(x.n[A][0], &x.addr[B], 0x1234, 1, 56));
	tn_run(&x, 4);
	/* A asked, B answered and learned A (the request was for it) */
	CU_ASSERT_EQUAL(st(&x, A)->arp_tx, 1);
	CU_ASSERT_EQUAL(st(&x, B)->arp_tx, 1);
	CU_ASSERT(tg_net_arp_lookup(x.n[A][0], &x.addr[B], mac));
	CU_ASSERT_EQUAL(memcmp(mac, x.mac[B], 6), 0);
	CU_ASSERT(tg_net_arp_lookup(x.n[B][0], &x.addr[A], NULL));
	/* the echo request waited for the answer, then went */
	CU_ASSERT_EQUAL(st(&x, B)->icmp_echo_rx, 1);
	CU_ASSERT_EQUAL(st(&x, A)->icmp_echo_reply_rx, 1);
	CU_ASSERT_EQUAL(st(&x, A)->last_echo_id, 0x1234);
	CU_ASSERT_EQUAL(st(&x, A)->last_echo_seq, 1);
	/* the next one needs no ARP */
	TG_ASSERT_OK(tg_net_ping(x.n[A][0], &x.addr[B], 0x1234, 2, 1400));
	tn_run(&x, 2);
	CU_ASSERT_EQUAL(st(&x, A)->icmp_echo_reply_rx, 2);
	CU_ASSERT_EQUAL(st(&x, A)->last_echo_seq, 2);
	CU_ASSERT_EQUAL(st(&x, A)->arp_tx, 1);
	/* too large for the MTU: refused, never fragmented */
	TG_ASSERT_ERR(tg_net_ping(x.n[A][0], &x.addr[B], 1, 3, 1480), TG_E_INVAL);
	tn_down(&x);
}

static void test_arp_give_up(void)
{
	struct tn_pair x;
	struct tn_opts o = { 0 };
	struct tg_net_addr nobody;
	struct rte_mbuf *m[8];

	tn_up(&x, &o);
	TG_ASSERT_OK(tg_net_addr_parse("198.18.0.99", &nobody));
	for (int i = 0; i < 6; i++)
		TG_ASSERT_OK(tg_net_ping(x.n[A][0], &nobody, 1, (uint16_t)i, 8));
	tg_net_flush(x.n[A][0]);
	/* one request; four wait, two are dropped */
	CU_ASSERT_EQUAL(tn_take(&x, A, m, 8), 1);
	tn_free(m, 1);
	CU_ASSERT_EQUAL(st(&x, A)->arp_queue_drop, 2);
	/* a request a second, three in all, then the waiting ones go */
	for (int s = 1; s <= 4; s++) {
		tn_now += 1000000;
		tg_net_poll(x.n[A][0]);
		tg_net_flush(x.n[A][0]);
		CU_ASSERT_EQUAL(tn_take(&x, A, m, 8), s < 3 ? 1u : 0u);
		if (s < 3)
			tn_free(m, 1);
	}
	CU_ASSERT_EQUAL(st(&x, A)->arp_tx, 3);
	CU_ASSERT_EQUAL(st(&x, A)->arp_unresolved, 4);
	tn_down(&x);
}

static void test_arp_refresh(void)
{
	struct tn_pair x;
	struct tn_opts o = { 0 };
	struct rte_mbuf *m[8];
	unsigned k, arps = 0;

	tn_up(&x, &o);
	TG_ASSERT_OK(tg_net_ping(x.n[A][0], &x.addr[B], 1, 1, 8));
	tn_run(&x, 4);
	CU_ASSERT_EQUAL(st(&x, A)->icmp_echo_reply_rx, 1);
	/* past the timeout the entry is still used, and asked for again */
	tn_now += 61 * 1000000ULL;
	tg_net_poll(x.n[A][0]);
	TG_ASSERT_OK(tg_net_ping(x.n[A][0], &x.addr[B], 1, 2, 8));
	tg_net_flush(x.n[A][0]);
	k = tn_take(&x, A, m, 8);
	for (unsigned i = 0; i < k; i++)
		arps += arp_of(m[i]) != NULL;
	CU_ASSERT_EQUAL(k, 2);
	CU_ASSERT_EQUAL(arps, 1);
	tn_free(m, k);
	/* nobody answers: three seconds later the entry is gone */
	tn_now += 4 * 1000000ULL;
	tg_net_poll(x.n[A][0]);
	CU_ASSERT(!tg_net_arp_lookup(x.n[A][0], &x.addr[B], NULL));
	tn_down(&x);
}

static void test_static_arp_and_route(void)
{
	struct tn_pair x;
	struct tn_opts o = { .static_arp = true, .with_gateway = true };
	struct tg_net_addr far;
	struct rte_mbuf *m[8];
	const struct rte_arp_hdr *a;

	tn_up(&x, &o);
	TG_ASSERT_OK(tg_net_ping(x.n[A][0], &x.addr[B], 9, 1, 8));
	tn_run(&x, 2);
	CU_ASSERT_EQUAL(st(&x, A)->arp_tx, 0);
	CU_ASSERT_EQUAL(st(&x, A)->icmp_echo_reply_rx, 1);
	/* off the prefix: through the gateway (its address is asked for) */
	TG_ASSERT_OK(tg_net_addr_parse("192.0.2.1", &far));
	TG_ASSERT_OK(tg_net_ping(x.n[A][0], &far, 9, 2, 8));
	tg_net_flush(x.n[A][0]);
	CU_ASSERT_EQUAL_FATAL(tn_take(&x, A, m, 8), 1);
	a = arp_of(m[0]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(a->arp_data.arp_tip, htonl(0xc61200fe));
	tn_free(m, 1);
	/* B has no gateway */
	TG_ASSERT_ERR(tg_net_ping(x.n[B][0], &far, 9, 2, 8), TG_E_IO);
	CU_ASSERT_EQUAL(st(&x, B)->no_route, 1);
	tn_down(&x);
}

/* ---- IPv4 checks ------------------------------------------------------------------------ */

static struct rte_mbuf *echo_frame(struct tn_pair *x, uint16_t seq)
{
	uint8_t icmp[16] = { RTE_IP_ICMP_ECHO_REQUEST, 0, 0, 0, 0, 7,
			     (uint8_t)(seq >> 8), (uint8_t)seq };

	return tn_ip_frame(x, A, IPPROTO_ICMP, icmp, sizeof(icmp));
}

static void inject_b(struct tn_pair *x, struct rte_mbuf *m)
{
	tg_net_inject(x->n[B][0], &m, 1);
}

static void test_ip_checks(void)
{
	struct tn_pair x;
	struct tn_opts o = { .static_arp = true };
	struct rte_mbuf *m;
	struct rte_ipv4_hdr *ip;
	struct rte_ether_hdr *eth;
	const struct tg_net_stats *b;

	tn_up(&x, &o);
	b = st(&x, B);
	/* a good one */
	inject_b(&x, echo_frame(&x, 1));
	CU_ASSERT_EQUAL(b->icmp_echo_rx, 1);
	/* fragments: dropped and counted (first, middle, last) */
	for (int i = 0; i < 3; i++) {
		m = echo_frame(&x, 2);
		ip = tn_ip(m);
		ip->fragment_offset = htons(i == 0 ? RTE_IPV4_HDR_MF_FLAG
				      : i == 1 ? (RTE_IPV4_HDR_MF_FLAG | 8)
					       : 16);
		tn_fix_cksums(m);
		inject_b(&x, m);
	}
	CU_ASSERT_EQUAL(b->rx_frag, 3);
	/* a wrong header checksum */
	m = echo_frame(&x, 3);
	tn_ip(m)->hdr_checksum ^= 1;
	inject_b(&x, m);
	CU_ASSERT_EQUAL(b->rx_bad_cksum, 1);
	/* a wrong ICMP checksum */
	m = echo_frame(&x, 4);
	*rte_pktmbuf_mtod_offset(m, uint8_t *, 14 + 20 + 8) ^= 0x40;
	inject_b(&x, m);
	CU_ASSERT_EQUAL(b->rx_bad_cksum, 2);
	/* lengths: total length past the frame, below the header, IHL < 5,
	 * IHL past the frame, version 6 in an IPv4 frame, a runt */
	m = echo_frame(&x, 5);
	tn_ip(m)->total_length = htons(200);
	tn_fix_cksums(m);
	inject_b(&x, m);
	m = echo_frame(&x, 6);
	tn_ip(m)->total_length = htons(12);
	tn_ip(m)->hdr_checksum = 0;
	tn_ip(m)->hdr_checksum = rte_ipv4_cksum(tn_ip(m));
	inject_b(&x, m);
	m = echo_frame(&x, 7);
	tn_ip(m)->version_ihl = 0x44;
	inject_b(&x, m);
	m = echo_frame(&x, 8);
	tn_ip(m)->version_ihl = 0x4f;
	inject_b(&x, m);
	m = echo_frame(&x, 9);
	tn_ip(m)->version_ihl = 0x65;
	inject_b(&x, m);
	m = echo_frame(&x, 10);
	rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - 20));
	inject_b(&x, m);
	CU_ASSERT_EQUAL(b->rx_malformed, 6);
	/* Ethernet padding after the IP packet is fine */
	m = echo_frame(&x, 11);
	memset(tn_append(m, 30), 0xee, 30);
	inject_b(&x, m);
	CU_ASSERT_EQUAL(b->icmp_echo_rx, 2);
	/* not ours: another IP, another MAC */
	m = echo_frame(&x, 12);
	tn_ip(m)->dst_addr = htonl(0xc6120009);
	tn_fix_cksums(m);
	inject_b(&x, m);
	m = echo_frame(&x, 13);
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	eth->dst_addr.addr_bytes[5] ^= 0x10;
	inject_b(&x, m);
	CU_ASSERT_EQUAL(b->rx_not_ours, 2);
	/* a source that is no host */
	m = echo_frame(&x, 14);
	tn_ip(m)->src_addr = htonl(0xe0000001);
	tn_fix_cksums(m);
	inject_b(&x, m);
	CU_ASSERT_EQUAL(b->rx_malformed, 7);
	/* unknown EtherType, unknown protocol (no UDP input registered) */
	m = echo_frame(&x, 15);
	rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type = htons(0x88b5);
	inject_b(&x, m);
	m = echo_frame(&x, 16);
	tn_ip(m)->next_proto_id = IPPROTO_UDP;
	tn_fix_cksums(m);
	inject_b(&x, m);
	CU_ASSERT_EQUAL(b->rx_unknown, 2);
	/* our own frames looped back */
	m = echo_frame(&x, 17);
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	memcpy(eth->src_addr.addr_bytes, x.mac[B], 6);
	inject_b(&x, m);
	CU_ASSERT_EQUAL(b->rx_own, 1);
	CU_ASSERT_EQUAL(b->icmp_echo_rx, 2);
	tg_net_flush(x.n[B][0]);
	tn_down(&x);
}

/* a TCP input that counts what reaches it */
static unsigned tcp_seen[2][TN_MAXQ];

static void count_in(void *ctx, struct rte_mbuf *m, const struct tg_net_rx *rx)
{
	unsigned *c = ctx;

	(void)rx;
	(*c)++;
	rte_pktmbuf_free(m);
}

static struct rte_mbuf *tcp_frame(struct tn_pair *x, uint16_t sport, uint16_t dport)
{
	struct rte_tcp_hdr t;

	memset(&t, 0, sizeof(t));
	t.src_port = htons(sport);
	t.dst_port = htons(dport);
	t.data_off = 5 << 4;
	t.tcp_flags = RTE_TCP_SYN_FLAG;
	t.rx_win = htons(1000);
	return tn_ip_frame(x, A, IPPROTO_TCP, &t, sizeof(t));
}

static void test_tcp_cksum(void)
{
	struct tn_pair x;
	struct tn_opts o = { .static_arp = true };
	struct rte_mbuf *m;

	tn_up(&x, &o);
	memset(tcp_seen, 0, sizeof(tcp_seen));
	tg_net_set_proto(x.n[B][0], IPPROTO_TCP, count_in, NULL, &tcp_seen[B][0]);
	inject_b(&x, tcp_frame(&x, 1000, 80));
	CU_ASSERT_EQUAL(tcp_seen[B][0], 1);
	m = tcp_frame(&x, 1000, 80);
	*rte_pktmbuf_mtod_offset(m, uint8_t *, 14 + 20 + 4) ^= 1;
	inject_b(&x, m);
	CU_ASSERT_EQUAL(tcp_seen[B][0], 1);
	CU_ASSERT_EQUAL(st(&x, B)->rx_bad_cksum, 1);
	tn_down(&x);
}

/* ---- dispatch between instances ------------------------------------------------------- */

static void test_owner_symmetric(void)
{
	struct tn_pair x;
	struct tn_opts o = { .nq = 2 };
	unsigned per[2] = { 0, 0 };

	tn_up(&x, &o);
	for (int i = 0; i < 2000; i++) {
		struct tg_net_addr a, b;
		uint16_t pa = (uint16_t)tg_test_rand(), pb = (uint16_t)tg_test_rand();
		uint16_t q;

		tg_net_addr_set_v4(&a, (uint32_t)tg_test_rand());
		tg_net_addr_set_v4(&b, (uint32_t)tg_test_rand());
		q = tg_net_port_owner(x.p[A], &a, &b, pa, pb);
		CU_ASSERT(q < 2);
		CU_ASSERT_EQUAL(q, tg_net_port_owner(x.p[A], &b, &a, pb, pa));
		per[q]++;
	}
	/* both instances get a fair share */
	CU_ASSERT(per[0] > 800 && per[1] > 800);
	CU_ASSERT(!tg_net_port_rss(x.p[A])); /* net_ring: software dispatch */
	tn_down(&x);
}

static void test_dispatch(void)
{
	struct tn_pair x;
	struct tn_opts o = { .nq = 2, .static_arp = true };
	unsigned want[2] = { 0, 0 };

	tn_up(&x, &o);
	memset(tcp_seen, 0, sizeof(tcp_seen));
	for (uint16_t q = 0; q < 2; q++)
		tg_net_set_proto(x.n[B][q], IPPROTO_TCP, count_in, NULL, &tcp_seen[B][q]);
	/* every frame arrives on queue 0; each is served by its owner */
	for (uint16_t p = 0; p < 64; p++) {
		uint16_t own = tg_net_port_owner(x.p[B], &x.addr[A], &x.addr[B],
						 (uint16_t)(40000 + p), 443);

		want[own]++;
		tn_put(&x, B, 0, tcp_frame(&x, (uint16_t)(40000 + p), 443));
	}
	tn_run(&x, 6);
	CU_ASSERT_EQUAL(tcp_seen[B][0], want[0]);
	CU_ASSERT_EQUAL(tcp_seen[B][1], want[1]);
	CU_ASSERT_EQUAL(tg_net_stats(x.n[B][0])->disp_out, want[1]);
	CU_ASSERT_EQUAL(tg_net_stats(x.n[B][1])->disp_in, want[1]);
	/* ARP arriving at one instance teaches every instance */
	TG_ASSERT_OK(tg_net_ping(x.n[A][0], &x.addr[B], 1, 1, 8));
	tn_run(&x, 4);
	{
		struct tg_net_addr c;
		struct rte_mbuf *m[4];
		uint8_t arp[28];
		struct rte_arp_hdr *ah = (struct rte_arp_hdr *)arp;
		struct rte_ether_hdr *eth;
		struct rte_mbuf *f = rte_pktmbuf_alloc(x.pool[A][0]);
		uint8_t cmac[6] = { 0x02, 0, 0, 0, 0, 0x33 };

		TG_ASSERT_OK(tg_net_addr_parse("198.18.0.3", &c));
		memset(arp, 0, sizeof(arp));
		ah->arp_hardware = htons(RTE_ARP_HRD_ETHER);
		ah->arp_protocol = htons(RTE_ETHER_TYPE_IPV4);
		ah->arp_hlen = 6;
		ah->arp_plen = 4;
		ah->arp_opcode = htons(RTE_ARP_OP_REQUEST);
		memcpy(ah->arp_data.arp_sha.addr_bytes, cmac, 6);
		ah->arp_data.arp_sip = tg_net_addr_v4(&c);
		ah->arp_data.arp_tip = tg_net_addr_v4(&x.addr[B]);
		eth = tn_append(f, 60);
		memset(eth, 0, 60);
		memset(&eth->dst_addr, 0xff, 6);
		memcpy(eth->src_addr.addr_bytes, cmac, 6);
		eth->ether_type = htons(RTE_ETHER_TYPE_ARP);
		memcpy(eth + 1, arp, sizeof(arp));
		tn_put(&x, B, 0, f);
		tn_run(&x, 3);
		CU_ASSERT(tg_net_arp_lookup(x.n[B][0], &c, NULL));
		CU_ASSERT(tg_net_arp_lookup(x.n[B][1], &c, NULL));
		/* one reply, from the instance that received it */
		CU_ASSERT_EQUAL(tg_net_stats(x.n[B][0])->arp_tx, 1);
		CU_ASSERT_EQUAL(tg_net_stats(x.n[B][1])->arp_tx, 0);
		tn_free(m, tn_take(&x, B, m, 4));
	}
	tn_down(&x);
}

/* ---- impairment --------------------------------------------------------------------------- */

/* Send @p n echo requests A -> B through A's tx impairment and record
 * the sequence numbers of what reaches the wire, in order. */
static unsigned impaired_run(const char *spec, unsigned n, uint16_t *seqs,
			     unsigned cap, uint64_t step_us, struct tg_net_stats *out)
{
	struct tg_net_impair_conf ic;
	struct tn_pair x;
	struct tn_opts o = { .static_arp = true };
	struct rte_mbuf *m[64];
	unsigned got = 0;

	TG_ASSERT_OK(tg_net_impair_parse(spec, &ic));
	o.imp[A] = &ic;
	tn_now = 1000000;
	tn_up(&x, &o);
	for (unsigned i = 0; i < n; i++) {
		unsigned k;

		TG_ASSERT_OK(tg_net_ping(x.n[A][0], &x.addr[B], 1, (uint16_t)i, 100));
		tg_net_flush(x.n[A][0]);
		tn_now += step_us;
		k = tn_take(&x, A, m, 64);
		for (unsigned j = 0; j < k; j++) {
			struct rte_ipv4_hdr *ip = tn_ip(m[j]);
			const struct rte_icmp_hdr *ic2 = (const struct rte_icmp_hdr *)(ip + 1);

			if (got < cap)
				seqs[got] = ntohs(ic2->icmp_seq_nb);
			got++;
		}
		tn_free(m, k);
	}
	/* what is still held comes out when the time is up */
	for (int r = 0; r < 50; r++) {
		unsigned k;

		tn_now += 10000;
		tg_net_flush(x.n[A][0]);
		k = tn_take(&x, A, m, 64);
		for (unsigned j = 0; j < k; j++) {
			const struct rte_icmp_hdr *ic2 =
				(const struct rte_icmp_hdr *)(tn_ip(m[j]) + 1);

			if (got < cap)
				seqs[got] = ntohs(ic2->icmp_seq_nb);
			got++;
		}
		tn_free(m, k);
	}
	*out = *tg_net_stats(x.n[A][0]);
	tn_down(&x);
	return got;
}

static void test_impair_loss_replays(void)
{
	uint16_t s1[400], s2[400], s3[400];
	struct tg_net_stats t1, t2, t3;
	unsigned n1, n2, n3;

	n1 = impaired_run("seed=42,tx.loss=20%", 400, s1, 400, 0, &t1);
	n2 = impaired_run("seed=42,tx.loss=20%", 400, s2, 400, 0, &t2);
	n3 = impaired_run("seed=43,tx.loss=20%", 400, s3, 400, 0, &t3);
	/* the same seed loses the same packets */
	CU_ASSERT_EQUAL(n1, n2);
	CU_ASSERT_EQUAL(memcmp(s1, s2, n1 * sizeof(s1[0])), 0);
	CU_ASSERT_EQUAL(t1.imp_drop[TG_NET_TX], 400 - n1);
	/* about a fifth of them */
	CU_ASSERT(n1 > 280 && n1 < 360);
	/* another seed, other packets */
	CU_ASSERT(n1 != n3 || memcmp(s1, s3, n1 * sizeof(s1[0])) != 0);
}

static void test_impair_dup_reorder(void)
{
	uint16_t s[300];
	struct tg_net_stats t;
	unsigned n, inversions = 0, dups = 0;

	n = impaired_run("seed=5,tx.dup=100%", 50, s, 300, 0, &t);
	CU_ASSERT_EQUAL(n, 100);
	for (unsigned i = 0; i + 1 < n; i += 2)
		dups += s[i] == s[i + 1];
	CU_ASSERT_EQUAL(dups, 50);
	CU_ASSERT_EQUAL(t.imp_dup[TG_NET_TX], 50);

	n = impaired_run("seed=5,tx.reorder=20%,gap=2", 200, s, 300, 0, &t);
	CU_ASSERT_EQUAL(n, 200);
	for (unsigned i = 0; i + 1 < n; i++)
		inversions += s[i] > s[i + 1];
	CU_ASSERT(inversions > 10);
	CU_ASSERT(t.imp_reorder[TG_NET_TX] >= inversions);
	/* every packet came through exactly once */
	{
		uint8_t seen[200] = { 0 };

		for (unsigned i = 0; i < n; i++)
			seen[s[i]]++;
		for (unsigned i = 0; i < 200; i++)
			CU_ASSERT_EQUAL(seen[i], 1);
	}
}

static void test_impair_delay_rate_corrupt(void)
{
	struct tg_net_impair_conf ic;
	struct tn_pair x;
	struct tn_opts o = { .static_arp = true };
	struct rte_mbuf *m[64];
	unsigned k;

	/* a 5 ms delay: nothing before, everything after */
	TG_ASSERT_OK(tg_net_impair_parse("tx.delay=5ms", &ic));
	o.imp[A] = &ic;
	tn_up(&x, &o);
	for (int i = 0; i < 3; i++)
		TG_ASSERT_OK(tg_net_ping(x.n[A][0], &x.addr[B], 1, (uint16_t)i, 8));
	tg_net_flush(x.n[A][0]);
	CU_ASSERT_EQUAL(tn_take(&x, A, m, 64), 0);
	tn_now += 4999;
	tg_net_flush(x.n[A][0]);
	CU_ASSERT_EQUAL(tn_take(&x, A, m, 64), 0);
	tn_now += 1;
	tg_net_flush(x.n[A][0]);
	k = tn_take(&x, A, m, 64);
	CU_ASSERT_EQUAL(k, 3);
	tn_free(m, k);
	tn_down(&x);

	/* 1 Mbit/s: a 1042-byte frame takes 8.3 ms; over 100 ms of queue
	 * is dropped */
	TG_ASSERT_OK(tg_net_impair_parse("tx.rate=1m", &ic));
	tn_up(&x, &o);
	for (int i = 0; i < 20; i++)
		TG_ASSERT_OK(tg_net_ping(x.n[A][0], &x.addr[B], 1, (uint16_t)i, 1000));
	tg_net_flush(x.n[A][0]);
	CU_ASSERT_EQUAL(tn_take(&x, A, m, 64), 1);
	tn_free(m, 1);
	/* the 13th would leave 100.03 ms from now */
	CU_ASSERT_EQUAL(tg_net_stats(x.n[A][0])->imp_rate_drop[TG_NET_TX], 8);
	tn_now += 50000;
	tg_net_flush(x.n[A][0]);
	k = tn_take(&x, A, m, 64);
	CU_ASSERT_EQUAL(k, 5);
	tn_free(m, k);
	tn_now += 1000000;
	tg_net_flush(x.n[A][0]);
	k = tn_take(&x, A, m, 64);
	CU_ASSERT_EQUAL(k, 6);
	tn_free(m, k);
	tn_down(&x);

	/* corruption: every frame B gets fails a check */
	TG_ASSERT_OK(tg_net_impair_parse("seed=9,rx.corrupt=100%", &ic));
	o.imp[A] = NULL;
	o.imp[B] = &ic;
	tn_up(&x, &o);
	for (int i = 0; i < 50; i++)
		TG_ASSERT_OK(tg_net_ping(x.n[A][0], &x.addr[B], 1, (uint16_t)i, 64));
	tn_run(&x, 4);
	{
		const struct tg_net_stats *b = st(&x, B);

		CU_ASSERT_EQUAL(b->imp_corrupt[TG_NET_RX], 50);
		CU_ASSERT_EQUAL(b->rx_pkts, 50);
		CU_ASSERT_EQUAL(b->icmp_echo_rx, 0);
		CU_ASSERT_EQUAL(b->rx_bad_cksum + b->rx_malformed + b->rx_not_ours +
					b->rx_frag + b->rx_unknown + b->icmp_other,
				50);
	}
	tn_down(&x);
}

/* ---- IPv6 ----------------------------------------------------------------------------------- */

static void ll_of(const uint8_t mac[6], struct tg_net_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->b[0] = 0xfe;
	a->b[1] = 0x80;
	a->b[8] = mac[0] ^ 2;
	a->b[9] = mac[1];
	a->b[10] = mac[2];
	a->b[11] = 0xff;
	a->b[12] = 0xfe;
	a->b[13] = mac[3];
	a->b[14] = mac[4];
	a->b[15] = mac[5];
}

static void test_ping6(void)
{
	struct tn_pair x;
	struct tn_opts o = { .v6 = true };
	struct tg_net_addr ll;
	uint8_t mac[6];

	tn_up(&x, &o);
	/* NDP: A solicits B's address, B answers and learns A */
	TG_ASSERT_OK(tg_net_ping(x.n[A][0], &x.addr6[B], 0x66, 1, 56));
	tn_run(&x, 4);
	CU_ASSERT(tg_net_arp_lookup(x.n[A][0], &x.addr6[B], mac));
	CU_ASSERT_EQUAL(memcmp(mac, x.mac[B], 6), 0);
	CU_ASSERT(tg_net_arp_lookup(x.n[B][0], &x.addr6[A], NULL));
	CU_ASSERT_EQUAL(st(&x, A)->nd_tx, 1);
	CU_ASSERT_EQUAL(st(&x, B)->nd_tx, 1);
	CU_ASSERT_EQUAL(st(&x, B)->icmp_echo_rx, 1);
	CU_ASSERT_EQUAL(st(&x, A)->icmp_echo_reply_rx, 1);
	CU_ASSERT_EQUAL(st(&x, A)->last_echo_seq, 1);
	/* B's link-local address, from its MAC; a large echo */
	ll_of(x.mac[B], &ll);
	TG_ASSERT_OK(tg_net_ping(x.n[A][0], &ll, 0x66, 2, 1400));
	tn_run(&x, 4);
	CU_ASSERT_EQUAL(st(&x, A)->icmp_echo_reply_rx, 2);
	CU_ASSERT_EQUAL(st(&x, A)->last_echo_seq, 2);
	/* too large for the MTU (IPv6 never fragments at the source here) */
	TG_ASSERT_ERR(tg_net_ping(x.n[A][0], &x.addr6[B], 1, 3, 1460), TG_E_INVAL);
	CU_ASSERT(tg_net_is_local(x.n[B][0], &ll));
	CU_ASSERT(tg_net_is_local(x.n[B][0], &x.addr6[B]));
	CU_ASSERT(!tg_net_is_local(x.n[B][0], &x.addr6[A]));
	tn_down(&x);
}

static void test_nd_announce_and_checks(void)
{
	struct tn_pair x;
	struct tn_opts o = { .v6 = true, .garp = { true, false }, .static_arp = true };
	struct rte_mbuf *m[8];
	unsigned k, na = 0;

	tn_up(&x, &o);
	/* at start: a gratuitous ARP and unsolicited advertisements of the
	 * link-local and global addresses (RFC 4861 §7.2.6) */
	tg_net_flush(x.n[A][0]);
	k = tn_take(&x, A, m, 8);
	CU_ASSERT_EQUAL(k, 3);
	for (unsigned i = 0; i < k; i++) {
		const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m[i], const struct rte_ether_hdr *);

		if (eth->ether_type == htons(RTE_ETHER_TYPE_IPV6)) {
			const uint8_t *ip6 = (const uint8_t *)(eth + 1);

			CU_ASSERT_EQUAL(ip6[7], 255);          /* hop limit */
			CU_ASSERT_EQUAL(ip6[40], 136);         /* NA */
			CU_ASSERT_EQUAL(ip6[44], 0x20);        /* override */
			CU_ASSERT_EQUAL(eth->dst_addr.addr_bytes[0], 0x33);
			na++;
		}
	}
	CU_ASSERT_EQUAL(na, 2);
	tn_free(m, k);
	/* a neighbour solicitation from beyond the link (hop limit 64):
	 * ignored; a fragment: dropped and counted */
	{
		struct rte_mbuf *f = rte_pktmbuf_alloc(x.pool[A][0]);
		uint8_t *p = tn_append(f, 14 + 40 + 32);
		uint8_t *ip6 = p + 14;

		memset(p, 0, 14 + 40 + 32);
		memcpy(p, x.mac[B], 6);
		memcpy(p + 6, x.mac[A], 6);
		p[12] = 0x86;
		p[13] = 0xdd;
		ip6[0] = 0x60;
		ip6[5] = 32;
		ip6[6] = IPPROTO_ICMPV6;
		ip6[7] = 64;
		memcpy(ip6 + 8, x.addr6[A].b, 16);
		memcpy(ip6 + 24, x.addr6[B].b, 16);
		ip6[40] = 135;
		memcpy(ip6 + 48, x.addr6[B].b, 16);
		{
			uint16_t ck = rte_ipv6_udptcp_cksum((struct rte_ipv6_hdr *)ip6, ip6 + 40);

			memcpy(ip6 + 42, &ck, 2);
		}
		tg_net_inject(x.n[B][0], &f, 1);
		CU_ASSERT_EQUAL(st(&x, B)->rx_malformed, 1);
		CU_ASSERT_EQUAL(st(&x, B)->nd_tx, 0);
		f = rte_pktmbuf_alloc(x.pool[A][0]);
		p = tn_append(f, 14 + 40 + 8);
		memset(p, 0, 14 + 40 + 8);
		memcpy(p, x.mac[B], 6);
		memcpy(p + 6, x.mac[A], 6);
		p[12] = 0x86;
		p[13] = 0xdd;
		p[14] = 0x60;
		p[14 + 5] = 8;
		p[14 + 6] = IPPROTO_FRAGMENT;
		p[14 + 7] = 64;
		memcpy(p + 14 + 8, x.addr6[A].b, 16);
		memcpy(p + 14 + 24, x.addr6[B].b, 16);
		tg_net_inject(x.n[B][0], &f, 1);
		CU_ASSERT_EQUAL(st(&x, B)->rx_frag, 1);
	}
	tg_net_flush(x.n[B][0]);
	tn_down(&x);
}

/* ---- IPv6 extension headers (RFC 8200 §4) ---------------------------------------------- */

/* what the TCP input last got */
static struct {
	unsigned n;
	uint32_t l4_len;
	uint8_t first[4];
} seen6;

static void record_in(void *ctx, struct rte_mbuf *m, const struct tg_net_rx *rx)
{
	(void)ctx;
	seen6.n++;
	seen6.l4_len = rx->l4_len;
	memcpy(seen6.first, rte_pktmbuf_mtod_offset(m, uint8_t *, rx->l4_off), 4);
	rte_pktmbuf_free(m);
}

/* A frame from A to B: IPv6 with next header @p nh, then @p ext (the
 * extension headers, @p elen bytes), then an upper-layer message of
 * @p proto (@p ulen bytes of @p up, whose checksum at @p ck_off is set
 * over the upper-layer pseudo-header, RFC 8200 §8.1). */
static struct rte_mbuf *frame6(struct tn_pair *x, uint8_t nh, const uint8_t *ext,
			       uint16_t elen, uint8_t proto, const uint8_t *up,
			       uint16_t ulen, uint16_t ck_off)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(x->pool[A][0]);
	uint8_t *p = tn_append(m, (uint16_t)(14 + 40 + elen + ulen));
	uint8_t *ip6 = p + 14;
	struct rte_ipv6_hdr ph;
	uint16_t ck;

	memset(p, 0, 14 + 40);
	memcpy(p, x->mac[B], 6);
	memcpy(p + 6, x->mac[A], 6);
	p[12] = 0x86;
	p[13] = 0xdd;
	ip6[0] = 0x60;
	ip6[4] = (uint8_t)((elen + ulen) >> 8);
	ip6[5] = (uint8_t)(elen + ulen);
	ip6[6] = nh;
	ip6[7] = 64;
	memcpy(ip6 + 8, x->addr6[A].b, 16);
	memcpy(ip6 + 24, x->addr6[B].b, 16);
	memcpy(ip6 + 40, ext, elen);
	memcpy(ip6 + 40 + elen, up, ulen);
	memcpy(&ph, ip6, sizeof(ph));
	ph.payload_len = htons(ulen);
	ph.proto = proto;
	ip6[40 + elen + ck_off] = 0;
	ip6[40 + elen + ck_off + 1] = 0;
	ck = rte_ipv6_udptcp_cksum(&ph, ip6 + 40 + elen);
	memcpy(ip6 + 40 + elen + ck_off, &ck, 2);
	return m;
}

static struct rte_mbuf *syn6(struct tn_pair *x, uint8_t nh, const uint8_t *ext, uint16_t elen)
{
	uint8_t t[20] = { 0x03, 0xe8, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0,
			  5 << 4, RTE_TCP_SYN_FLAG, 0x03, 0xe8 };

	return frame6(x, nh, ext, elen, IPPROTO_TCP, t, sizeof(t), 16);
}

static void test_ext6(void)
{
	struct tn_pair x;
	struct tn_opts o = { .v6 = true, .static_arp = true };
	const struct tg_net_stats *b;
	/* Destination Options: PadN over its 6 bytes; then TCP */
	const uint8_t dst_pad[8] = { IPPROTO_TCP, 0, 1, 4, 0, 0, 0, 0 };
	/* Hop-by-Hop: Router Alert (type 5: skip if unknown), Pad1, Pad1,
	 * then a Destination Options header (16 bytes: an unknown option
	 * of type 0x1e, "skip", 12 bytes long), then TCP */
	const uint8_t hbh_dst[24] = { IPPROTO_DSTOPTS, 0, 5, 2, 0, 0, 0, 0,
				      IPPROTO_TCP, 1, 0x1e, 12, 9, 9, 9, 9,
				      9, 9, 9, 9, 9, 9, 9, 9 };
	/* Routing header, no segments left: ignored (§4.4) */
	uint8_t rt[24] = { IPPROTO_TCP, 2, 0, 0 };
	/* an unknown option with action 10: discard */
	const uint8_t dst_disc[8] = { IPPROTO_TCP, 0, 0x80, 4, 0, 0, 0, 0 };
	/* Hop-by-Hop after a Destination Options header (§4.1: first only) */
	const uint8_t late_hbh[16] = { IPPROTO_HOPOPTS, 0, 1, 4, 0, 0, 0, 0,
				       IPPROTO_TCP, 0, 1, 4, 0, 0, 0, 0 };
	/* an option running past its header */
	const uint8_t dst_over[8] = { IPPROTO_TCP, 0, 1, 9, 0, 0, 0, 0 };
	/* a Fragment header after Destination Options */
	const uint8_t dst_frag[16] = { IPPROTO_FRAGMENT, 0, 1, 4, 0, 0, 0, 0,
				       IPPROTO_TCP, 0, 0, 1, 0, 0, 0, 7 };
	/* No Next Header */
	const uint8_t dst_none[8] = { IPPROTO_NONE, 0, 1, 4, 0, 0, 0, 0 };
	/* an echo request behind a Destination Options header */
	const uint8_t dst_icmp[8] = { IPPROTO_ICMPV6, 0, 1, 4, 0, 0, 0, 0 };
	const uint8_t echo[16] = { 128, 0, 0, 0, 0, 7, 0, 1 };
	uint64_t malformed, unknown;

	tn_up(&x, &o);
	b = st(&x, B);
	memset(&seen6, 0, sizeof(seen6));
	tg_net_set_proto(x.n[B][0], IPPROTO_TCP, record_in, NULL, NULL);
	/* taken off: TCP sees its own 20 bytes, the checksum over them holds */
	inject_b(&x, syn6(&x, IPPROTO_DSTOPTS, dst_pad, sizeof(dst_pad)));
	CU_ASSERT_EQUAL(seen6.n, 1);
	CU_ASSERT_EQUAL(seen6.l4_len, 20);
	CU_ASSERT_EQUAL(seen6.first[0], 0x03);
	CU_ASSERT_EQUAL(seen6.first[1], 0xe8);
	inject_b(&x, syn6(&x, IPPROTO_HOPOPTS, hbh_dst, sizeof(hbh_dst)));
	CU_ASSERT_EQUAL(seen6.n, 2);
	CU_ASSERT_EQUAL(seen6.l4_len, 20);
	inject_b(&x, syn6(&x, IPPROTO_ROUTING, rt, sizeof(rt)));
	CU_ASSERT_EQUAL(seen6.n, 3);
	CU_ASSERT_EQUAL(b->rx_bad_cksum, 0);
	/* dropped: segments left, discard option, late Hop-by-Hop, No Next Header */
	unknown = b->rx_unknown;
	rt[3] = 1;
	inject_b(&x, syn6(&x, IPPROTO_ROUTING, rt, sizeof(rt)));
	inject_b(&x, syn6(&x, IPPROTO_DSTOPTS, dst_disc, sizeof(dst_disc)));
	inject_b(&x, syn6(&x, IPPROTO_DSTOPTS, late_hbh, sizeof(late_hbh)));
	inject_b(&x, syn6(&x, IPPROTO_DSTOPTS, dst_none, sizeof(dst_none)));
	CU_ASSERT_EQUAL(b->rx_unknown, unknown + 4);
	/* malformed: an option past its header; a header past the payload */
	malformed = b->rx_malformed;
	inject_b(&x, syn6(&x, IPPROTO_DSTOPTS, dst_over, sizeof(dst_over)));
	{
		uint8_t big[8] = { IPPROTO_TCP, 7, 1, 4, 0, 0, 0, 0 }; /* 64 bytes said */

		inject_b(&x, syn6(&x, IPPROTO_DSTOPTS, big, sizeof(big)));
	}
	CU_ASSERT_EQUAL(b->rx_malformed, malformed + 2);
	/* a fragment behind an extension header: dropped as fragments are */
	inject_b(&x, syn6(&x, IPPROTO_DSTOPTS, dst_frag, sizeof(dst_frag)));
	CU_ASSERT_EQUAL(b->rx_frag, 1);
	CU_ASSERT_EQUAL(seen6.n, 3);
	/* ICMPv6 behind one: answered */
	inject_b(&x, frame6(&x, IPPROTO_DSTOPTS, dst_icmp, sizeof(dst_icmp),
			    IPPROTO_ICMPV6, echo, sizeof(echo), 2));
	CU_ASSERT_EQUAL(b->icmp_echo_rx, 1);
	CU_ASSERT_EQUAL(b->rx_bad_cksum, 0);
	tg_net_flush(x.n[B][0]);
	tn_down(&x);
}

/* An NS behind a Destination Options header with two instances: handled
 * as a plain NS is (test_nd_dispatch): every instance learns, the one
 * that got it answers (a shared packet is copied before it is changed). */
static void test_ext6_nd_dispatch(void)
{
	struct tn_pair x;
	struct tn_opts o = { .nq = 2, .v6 = true };
	const uint8_t dst_icmp[8] = { IPPROTO_ICMPV6, 0, 1, 4, 0, 0, 0, 0 };
	uint8_t ns[32] = { 135, 0 };
	struct rte_mbuf *m;

	tn_up(&x, &o);
	memcpy(ns + 8, x.addr6[B].b, 16);       /* target: B */
	ns[24] = 1;                             /* source link-layer address */
	ns[25] = 1;
	memcpy(ns + 26, x.mac[A], 6);
	m = frame6(&x, IPPROTO_DSTOPTS, dst_icmp, sizeof(dst_icmp), IPPROTO_ICMPV6,
		   ns, sizeof(ns), 2);
	rte_pktmbuf_mtod_offset(m, uint8_t *, 14)[7] = 255; /* hop limit (not in the checksum) */
	tn_put(&x, B, 0, m);
	tn_run(&x, 6);
	CU_ASSERT(tg_net_arp_lookup(x.n[B][0], &x.addr6[A], NULL));
	CU_ASSERT(tg_net_arp_lookup(x.n[B][1], &x.addr6[A], NULL));
	CU_ASSERT_EQUAL(tg_net_stats(x.n[B][0])->rx_unknown, 0);
	/* one answer, from the instance that got it */
	CU_ASSERT_EQUAL(tg_net_stats(x.n[B][0])->nd_tx, 1);
	CU_ASSERT_EQUAL(tg_net_stats(x.n[B][1])->nd_tx, 0);
	tn_down(&x);
}

/* Placement of an ICMPv6 error behind an extension header reads the
 * quoted ports only within the frame: one cut 4 bytes before them stays
 * with the queue that got it (the ports in the buffer past data_len
 * would pick queue 1). */
static void test_ext6_classify_bounds(void)
{
	struct tn_pair x;
	struct tn_opts o = { .nq = 2, .v6 = true, .static_arp = true };
	const uint8_t dst_icmp[8] = { IPPROTO_ICMPV6, 0, 1, 4, 0, 0, 0, 0 };
	uint8_t err[8 + 40 + 4] = { 1, 4 };
	struct rte_mbuf *m;
	uint8_t *ip6;
	uint16_t sp = 40000;

	tn_up(&x, &o);
	while (tg_net_port_owner(x.p[B], &x.addr6[B], &x.addr6[A], sp, 443) != 1)
		sp++;
	err[8] = 0x60;
	err[8 + 6] = IPPROTO_TCP;
	memcpy(err + 8 + 8, x.addr6[B].b, 16);
	memcpy(err + 8 + 24, x.addr6[A].b, 16);
	err[48] = (uint8_t)(sp >> 8);
	err[49] = (uint8_t)sp;
	err[50] = 443 >> 8;
	err[51] = 443 & 0xff;
	m = frame6(&x, IPPROTO_DSTOPTS, dst_icmp, sizeof(dst_icmp), IPPROTO_ICMPV6,
		   err, sizeof(err), 2);
	CU_ASSERT_EQUAL(rte_pktmbuf_trim(m, 4), 0);  /* data_len 110 */
	ip6 = rte_pktmbuf_mtod_offset(m, uint8_t *, 14);
	ip6[5] = 8 + 48;
	CU_ASSERT_EQUAL(m->data_len, 110);
	tn_put(&x, B, 0, m);
	tn_run(&x, 2);
	/* too short for the quoted ports: stays with the queue that got it */
	CU_ASSERT_EQUAL(tg_net_stats(x.n[B][0])->disp_out, 0);
	CU_ASSERT_EQUAL(tg_net_stats(x.n[B][1])->disp_in, 0);
	tn_down(&x);
}

static void test_nd_dispatch(void)
{
	struct tn_pair x;
	struct tn_opts o = { .nq = 2, .v6 = true };

	tn_up(&x, &o);
	/* A's solicitation reaches B's queue 0; both B instances learn A */
	TG_ASSERT_OK(tg_net_ping(x.n[A][0], &x.addr6[B], 1, 1, 8));
	tn_run(&x, 6);
	CU_ASSERT(tg_net_arp_lookup(x.n[B][0], &x.addr6[A], NULL));
	CU_ASSERT(tg_net_arp_lookup(x.n[B][1], &x.addr6[A], NULL));
	CU_ASSERT_EQUAL(tg_net_stats(x.n[A][0])->icmp_echo_reply_rx, 1);
	/* one answer, from the instance that got it */
	CU_ASSERT_EQUAL(tg_net_stats(x.n[B][0])->nd_tx + tg_net_stats(x.n[B][1])->nd_tx, 1);
	tn_down(&x);
}

static CU_TestInfo net_tests[] = {
	{ "addresses", test_addr },
	{ "checksum: the same as rte_raw_cksum", test_cksum },
	{ "checksum of a chain: the same as flat, any split", test_cksum_chain },
	{ "checksum and copy in one pass", test_cksum_copy },
	{ "IPv4 header and pseudo-header sums", test_cksum_ip4 },
	{ "impairment spec", test_impair_parse },
	{ "gratuitous ARP at start", test_garp },
	{ "ARP then ICMP echo between two ports", test_ping },
	{ "ARP gives up after three requests", test_arp_give_up },
	{ "ARP entry refreshed after its timeout", test_arp_refresh },
	{ "static ARP, gateway, no route", test_static_arp_and_route },
	{ "IPv4 checks: fragments, checksums, lengths, addresses", test_ip_checks },
	{ "TCP checksum checked before the protocol", test_tcp_cksum },
	{ "flow owner is symmetric and fair", test_owner_symmetric },
	{ "software dispatch to the owning instance, ARP to all", test_dispatch },
	{ "IPv6: NDP then ICMPv6 echo, global and link-local", test_ping6 },
	{ "IPv6: unsolicited advertisements, NDP and fragment checks", test_nd_announce_and_checks },
	{ "IPv6: NDP to every instance", test_nd_dispatch },
	{ "IPv6: extension headers passed over, taken off or dropped", test_ext6 },
	{ "IPv6: NDP behind an extension header, two instances", test_ext6_nd_dispatch },
	{ "IPv6: placement past extension headers stays in the frame", test_ext6_classify_bounds },
	{ "impairment: seeded loss replays", test_impair_loss_replays },
	{ "impairment: duplication and reordering", test_impair_dup_reorder },
	{ "impairment: delay, rate, corruption", test_impair_delay_rate_corrupt },
	CU_TEST_INFO_NULL,
};

static const struct tg_test_suite suites[] = {
	{ "net", NULL, NULL, net_tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	struct tg_eal_opts o = { .mem_mb = 256 };
	int rc;

	if (tg_failed(tg_eal_start("test_net", &o))) {
		fprintf(stderr, "test_net: EAL set-up failed\n");
		return 1;
	}
	rc = tg_test_main(argc, argv, suites);
	tg_eal_stop();
	return rc;
}
