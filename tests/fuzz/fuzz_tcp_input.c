/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the packet input path of dataplane/net and
 * dataplane/tcp: Ethernet frames and TCP segments in, through ARP, IPv4,
 * ICMP and every TCP state, with the user's calls and the clock between
 * them. Our output goes to a net_null port, where a transmit callback
 * notes the sequence numbers we used, so that the fuzzer's segments can
 * be relative to them and reach the synchronized states.
 *
 * Input: steps, each an op byte then its arguments:
 *   op % 8 == 0  a segment from the peer 198.18.0.1: flags, seq, ack
 *                (both relative to what we sent last when op & 0x80),
 *                window, port selector, option bytes, payload
 *   op % 8 == 1  a raw Ethernet frame (length, bytes)
 *   op % 8 == 2  the clock moves (2 bytes: ms)
 *   op % 8 == 3  connect to 198.18.0.1:8080
 *   op % 8 == 4  the user reads everything and sends N bytes
 *   op % 8 == 5  the user shuts down, closes or aborts a connection
 *   op % 8 == 6  raw TCP bytes (header of the fuzzer's making) in a good
 *                IPv4 packet from the peer; with op & 0x80 in a good IPv6
 *                packet from 2001:2::1, TCP or (op & 0x40) ICMPv6 (hop
 *                limit 255: NDP is taken)
 *   op % 8 == 7  an ICMP error quoting one of our segments
 * After each step the stack runs a round.
 *
 * Invariants, abort() on violation: no crash or sanitizer report; after
 * the stack and its network instance are freed every mbuf is back in the
 * pool (nothing leaked, nothing held twice); counters stay consistent.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "tg_eal.h"
#include "tg_net.h"
#include "tg_tcp.h"

#define POOL 2048
#define MAXC 8

static struct rte_mempool *pool;
static struct tg_net_port *port;
static uint64_t now_us;
static uint8_t our_mac[6];
static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static struct tg_net_addr peer, ours, peer6, ours6;
/* what we sent last, seen by the transmit callback */
static uint32_t last_seq_end, last_ack;
static uint16_t last_sport;

static void check(bool ok)
{
	if (!ok)
		abort();
}

static uint64_t fclock(void *ctx)
{
	(void)ctx;
	return now_us;
}

static uint16_t tx_seen(uint16_t port_id, uint16_t q, struct rte_mbuf **pkts,
			uint16_t n, void *arg)
{
	(void)port_id;
	(void)q;
	(void)arg;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct rte_ipv4_hdr *ip;
		const struct rte_tcp_hdr *th;
		unsigned hl, doff, len;

		if (m->data_len < 14 + 20 + 20)
			continue;
		ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, 14);
		if (ip->next_proto_id != IPPROTO_TCP)
			continue;
		hl = (ip->version_ihl & 0xf) * 4u;
		th = (const struct rte_tcp_hdr *)((const uint8_t *)ip + hl);
		doff = (th->data_off >> 4) * 4u;
		len = ntohs(ip->total_length) - hl - doff;
		last_seq_end = ntohl(th->sent_seq) + len +
			       !!(th->tcp_flags & (RTE_TCP_SYN_FLAG)) +
			       !!(th->tcp_flags & RTE_TCP_FIN_FLAG);
		last_ack = ntohl(th->recv_ack);
		last_sport = ntohs(th->src_port);
	}
	return n;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct tg_eal_opts eo = { .mem_mb = 128 };
	struct tg_net_port_conf pc;

	(void)argc;
	(void)argv;
	eo.vdevs[0] = "net_null0,no-rx=1";
	eo.log_level = "emerg";
	if (tg_failed(tg_eal_start("fuzz_tcp_input", &eo)) || rte_eth_dev_count_avail() < 1)
		abort();
	pool = tg_net_pool_create("fuzz", POOL, 0, -1);
	memset(&pc, 0, sizeof(pc));
	pc.port_id = 0;
	pc.n_queues = 1;
	pc.pools[0] = pool;
	pc.prefix = 24;
	pc.prefix6 = 64;
	if (pool == NULL || tg_failed(tg_net_addr_parse("198.18.0.2", &pc.addr)) ||
	    tg_failed(tg_net_addr_parse("198.18.0.1", &peer)) ||
	    tg_failed(tg_net_addr_parse("2001:2::2", &pc.addr6)) ||
	    tg_failed(tg_net_addr_parse("2001:2::1", &peer6)) ||
	    tg_failed(tg_net_port_start(&pc, &port)))
		abort();
	ours = pc.addr;
	ours6 = pc.addr6;
	tg_net_port_mac(port, our_mac);
	if (rte_eth_add_tx_callback(0, 0, tx_seen, NULL) == NULL)
		abort();
	return 0;
}

struct in {
	const uint8_t *p;
	size_t n, off;
};

static uint8_t u8(struct in *in)
{
	return in->off < in->n ? in->p[in->off++] : 0;
}

static uint16_t u16(struct in *in)
{
	uint16_t v = (uint16_t)(u8(in) << 8);

	return (uint16_t)(v | u8(in));
}

static uint32_t u32(struct in *in)
{
	uint32_t v = (uint32_t)u16(in) << 16;

	return v | u16(in);
}

/* an Ethernet + IPv4 frame from the peer around @p l4 */
static struct rte_mbuf *frame(uint8_t proto, const uint8_t *l4, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;

	if (m == NULL)
		return NULL;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)(14 + 20 + len));
	if (eth == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memcpy(eth->dst_addr.addr_bytes, our_mac, 6);
	memcpy(eth->src_addr.addr_bytes, peer_mac, 6);
	eth->ether_type = htons(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = htons((uint16_t)(20 + len));
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = tg_net_addr_v4(&peer);
	ip->dst_addr = tg_net_addr_v4(&ours);
	memcpy(ip + 1, l4, len);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	if (proto == IPPROTO_TCP && len >= 20) {
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);

		th->cksum = 0;
		th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	} else if (proto == IPPROTO_ICMP && len >= 8) {
		struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(ip + 1);

		ic->icmp_cksum = 0;
		ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, len);
	}
	return m;
}

/* an Ethernet + IPv6 frame from the peer around @p l4 */
static struct rte_mbuf *frame6(uint8_t proto, const uint8_t *l4, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *eth;
	struct rte_ipv6_hdr *ip;

	if (m == NULL)
		return NULL;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)(14 + 40 + len));
	if (eth == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memcpy(eth->dst_addr.addr_bytes, our_mac, 6);
	memcpy(eth->src_addr.addr_bytes, peer_mac, 6);
	eth->ether_type = htons(RTE_ETHER_TYPE_IPV6);
	ip = (struct rte_ipv6_hdr *)(eth + 1);
	ip->vtc_flow = htonl(6u << 28);
	ip->payload_len = htons(len);
	ip->proto = proto;
	ip->hop_limits = 255;
	memcpy(ip->src_addr, peer6.b, 16);
	memcpy(ip->dst_addr, ours6.b, 16);
	memcpy(ip + 1, l4, len);
	if (proto == IPPROTO_TCP && len >= 20) {
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);

		th->cksum = 0;
		th->cksum = rte_ipv6_udptcp_cksum(ip, th);
	} else if (proto == IPPROTO_ICMPV6 && len >= 4) {
		uint16_t *ck = (uint16_t *)((uint8_t *)(ip + 1) + 2);

		*ck = 0;
		*ck = rte_ipv6_udptcp_cksum(ip, ip + 1);
	}
	return m;
}

static void inject(struct tg_net *n, struct rte_mbuf *m)
{
	if (m != NULL)
		tg_net_inject(n, &m, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size, 0 };
	struct tg_net_conf nc;
	struct tg_tcp_conf tc;
	struct tg_net *n;
	struct tg_tcp *t;
	struct tg_tcp_conn *cs[MAXC];
	unsigned nconns = 0;
	unsigned steps = 0;

	now_us = 1000000;
	memset(&nc, 0, sizeof(nc));
	nc.port = port;
	nc.pool = pool;
	nc.now_us = fclock;
	nc.no_garp = true;
	check(tg_ok(tg_net_new(&nc, &n)));
	check(tg_ok(tg_net_arp_add(n, &peer, peer_mac)));
	memset(&tc, 0, sizeof(tc));
	tc.net = n;
	tc.max_conns = 16;
	tc.max_tw = 4;
	tc.snd_buf = 32768;
	tc.rcv_buf = 32768;
	tc.secret_seed = 1;
	tc.keepalive_ms = 5000;
	check(tg_ok(tg_tcp_new(&tc, &t)));
	check(tg_ok(tg_tcp_listen(t, 80, NULL, NULL)));
	while (in.off < in.n && steps++ < 256) {
		uint8_t op = u8(&in);
		uint8_t l4[1600];

		switch (op % 8) {
		case 0: {
			struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)l4;
			uint8_t flags = u8(&in);
			uint32_t seq = u32(&in), ack = u32(&in);
			uint16_t wnd = u16(&in);
			uint8_t sel = u8(&in);
			uint8_t olen = u8(&in) % 41;
			unsigned ol4 = (olen + 3u) & ~3u;
			uint16_t plen = u16(&in) % 1400;

			memset(l4, 0, 20 + ol4);
			if (op & 0x80) {
				seq += last_ack;
				ack += last_seq_end;
			}
			th->src_port = htons((op & 0x40) && last_sport ? 8080
					      : (uint16_t)(40000 + (sel & 3)));
			th->dst_port = htons((op & 0x40) && last_sport ? last_sport
					      : (sel & 4) ? 8080 : 80);
			th->sent_seq = htonl(seq);
			th->recv_ack = htonl(ack);
			th->data_off = (uint8_t)(((20 + ol4) / 4) << 4);
			th->tcp_flags = flags;
			th->rx_win = htons(wnd);
			for (unsigned i = 0; i < olen; i++)
				l4[20 + i] = u8(&in);
			for (unsigned i = 0; i < plen; i++)
				l4[20 + ol4 + i] = u8(&in);
			inject(n, frame(IPPROTO_TCP, l4, (uint16_t)(20 + ol4 + plen)));
			break;
		}
		case 1: {
			uint16_t len = u16(&in) % 1600;
			struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
			uint8_t *p;

			if (m == NULL)
				break;
			p = (uint8_t *)rte_pktmbuf_append(m, len);
			if (p == NULL) {
				rte_pktmbuf_free(m);
				break;
			}
			for (unsigned i = 0; i < len; i++)
				p[i] = u8(&in);
			if (len >= 12 && (op & 0x80)) {
				memcpy(p, our_mac, 6);
				memcpy(p + 6, peer_mac, 6);
			}
			inject(n, m);
			break;
		}
		case 2:
			now_us += (uint64_t)u16(&in) * 1000u;
			break;
		case 3:
			if (nconns < MAXC &&
			    tg_ok(tg_tcp_connect(t, &peer, 8080, NULL, &cs[nconns])))
				tg_tcp_want(cs[nconns++], true, true);
			break;
		case 4: {
			uint16_t k = u16(&in) % 40000;
			static uint8_t buf[40000];

			for (unsigned i = 0; i < nconns; i++) {
				struct iovec iov = { buf, sizeof(buf) };
				uint8_t *pp;

				while (tg_tcp_recv(cs[i], &iov, 1) > 0)
					;
				if (tg_tcp_peek(cs[i], &pp) > 0)
					tg_tcp_consume(cs[i], 1);
				(void)tg_tcp_send(cs[i], buf, k);
			}
			break;
		}
		case 5: {
			uint8_t sel = u8(&in);
			unsigned i = nconns ? sel % nconns : 0;

			if (nconns == 0)
				break;
			switch ((sel >> 4) % 3) {
			case 0:
				tg_tcp_shutdown(cs[i]);
				break;
			case 1:
				tg_tcp_close(cs[i]);
				cs[i] = cs[--nconns];
				break;
			default:
				tg_tcp_abort(cs[i]);
				cs[i] = cs[--nconns];
				break;
			}
			break;
		}
		case 6: {
			uint16_t len = u16(&in) % 1500;

			for (unsigned i = 0; i < len; i++)
				l4[i] = u8(&in);
			if (op & 0x80) {
				/* bits 3-5: extension headers first, which the
				 * input walks and takes off (RFC 8200 §4) */
				static const uint8_t ext[] = {
					IPPROTO_HOPOPTS, IPPROTO_DSTOPTS,
					IPPROTO_ROUTING, IPPROTO_FRAGMENT,
				};
				unsigned e = (op >> 3) & 7;

				inject(n, frame6(e != 0 ? ext[(e - 1) % sizeof(ext)]
						 : (op & 0x40) ? IPPROTO_ICMPV6 : IPPROTO_TCP,
						 l4, len));
			}
			else
				inject(n, frame(IPPROTO_TCP, l4, len));
			break;
		}
		case 7: {
			/* destination unreachable quoting our last segment */
			uint8_t code = u8(&in);
			uint16_t mtu = u16(&in);
			struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)l4;
			struct rte_ipv4_hdr *q = (struct rte_ipv4_hdr *)(ic + 1);
			uint8_t *qt = (uint8_t *)(q + 1);
			uint32_t s = htonl(last_seq_end - 1);
			uint16_t sp = htons(last_sport), dp = htons(8080);

			memset(l4, 0, 8 + 20 + 8);
			ic->icmp_type = (op & 0x80) ? 11 : 3;
			ic->icmp_code = code % 16;
			ic->icmp_seq_nb = htons(mtu);
			q->version_ihl = RTE_IPV4_VHL_DEF;
			q->next_proto_id = IPPROTO_TCP;
			q->src_addr = tg_net_addr_v4(&ours);
			q->dst_addr = tg_net_addr_v4(&peer);
			memcpy(qt, &sp, 2);
			memcpy(qt + 2, &dp, 2);
			memcpy(qt + 4, &s, 4);
			inject(n, frame(IPPROTO_ICMP, l4, 8 + 20 + 8));
			break;
		}
		}
		/* a round, and the user takes what the events say */
		tg_tcp_poll(t);
		{
			struct tg_tcp_event ev[16];
			unsigned k = tg_tcp_events(t, ev, 16);

			for (unsigned i = 0; i < k; i++) {
				if ((ev[i].ev & TG_TCP_EV_ACCEPTED) && nconns < MAXC) {
					cs[nconns++] = ev[i].c;
					tg_tcp_want(ev[i].c, true, false);
				} else if (ev[i].ev & TG_TCP_EV_ACCEPTED) {
					tg_tcp_abort(ev[i].c);
				}
			}
		}
		tg_tcp_flush(t);
	}
	{
		const struct tg_tcp_stats *st = tg_tcp_stats(t);

		check(st->active <= tc.max_conns);
		check(st->time_wait <= tc.max_tw);
	}
	for (unsigned i = 0; i < nconns; i++)
		tg_tcp_close(cs[i]);
	tg_tcp_free(t);
	tg_net_flush(n);
	tg_net_free(n);
	/* every mbuf is back */
	check(rte_mempool_avail_count(pool) == POOL);
	return 0;
}
