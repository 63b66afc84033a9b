/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file net.c
 * A stack instance: its receive round (queue, impairment, dispatch to the
 * owning instance, Ethernet, IPv4, ICMP, the protocols), its transmit
 * queue and its clock.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "net_int.h"
#include "tg_log.h"

#define TG_ETH_LEN ((uint16_t)sizeof(struct rte_ether_hdr))
#define TG_IP4_LEN ((uint16_t)sizeof(struct rte_ipv4_hdr))
#define TG_ICMP_UNREACH 3   /* RFC 792 destination unreachable */
#define TG_ICMP_TIMXCEED 11 /* RFC 792 time exceeded */

/* ---- addresses ---------------------------------------------------------------- */

tg_result tg_net_addr_parse(const char *s, struct tg_net_addr *out)
{
	struct in_addr a4;

	TG_ENSURE(s != NULL && out != NULL, TG_E_INVAL);
	if (inet_pton(AF_INET, s, &a4) == 1) {
		tg_net_addr_set_v4(out, a4.s_addr);
		return TG_OK;
	}
	TG_ENSURE(inet_pton(AF_INET6, s, out->b) == 1, TG_E_INVAL);
	return TG_OK;
}

char *tg_net_addr_str(const struct tg_net_addr *a, char *buf, size_t n)
{
	if (tg_net_addr_is_v4(a)) {
		uint32_t v = tg_net_addr_v4(a);

		if (inet_ntop(AF_INET, &v, buf, (socklen_t)n) == NULL && n > 0)
			buf[0] = '\0';
	} else if (inet_ntop(AF_INET6, a->b, buf, (socklen_t)n) == NULL && n > 0) {
		buf[0] = '\0';
	}
	return buf;
}

/* ---- instances ------------------------------------------------------------------ */

static uint64_t tg_net_tsc_us(struct tg_net *n)
{
	return rte_get_tsc_cycles() / (n->tsc_hz / 1000000u);
}

uint64_t tg_net_clock(struct tg_net *n)
{
	n->now = n->now_fn != NULL ? n->now_fn(n->clock_ctx) : tg_net_tsc_us(n);
	return n->now;
}

tg_result tg_net_new(const struct tg_net_conf *c, struct tg_net **out)
{
	struct tg_net *n;
	unsigned ents;

	TG_ENSURE(c != NULL && out != NULL && c->port != NULL && c->pool != NULL,
		  TG_E_INVAL);
	TG_ENSURE(c->queue < c->port->n_queues && c->port->inst[c->queue] == NULL,
		  TG_E_INVAL);
	n = rte_zmalloc("tg_net", sizeof(*n), RTE_CACHE_LINE_SIZE);
	TG_ENSURE(n != NULL, TG_E_NOMEM);
	n->port = c->port;
	n->queue = c->queue;
	n->port_id = c->port->port_id;
	n->pool = c->pool;
	n->now_fn = c->now_us;
	n->clock_ctx = c->clock_ctx;
	n->tsc_hz = rte_get_tsc_hz();
	if (n->tsc_hz < 1000000u)
		n->tsc_hz = 1000000u;
	n->arp_timeout = (uint64_t)(c->arp_timeout_ms ? c->arp_timeout_ms : 60000) * 1000u;
	ents = c->arp_entries ? c->arp_entries : 256;
	n->arp_sets = (ents + TG_NET_ARP_WAYS - 1) / TG_NET_ARP_WAYS;
	n->arp = rte_zmalloc("tg_arp", sizeof(*n->arp) * n->arp_sets * TG_NET_ARP_WAYS,
			     RTE_CACHE_LINE_SIZE);
	if (n->arp == NULL)
		goto nomem;
	if (c->impair != NULL) {
		for (int d = 0; d < 2; d++) {
			const struct tg_net_impair *x = &c->impair->dir[d];

			if (x->loss_ppm == 0 && x->dup_ppm == 0 &&
			    x->reorder_ppm == 0 && x->corrupt_ppm == 0 &&
			    x->delay_us == 0 && x->jitter_us == 0 &&
			    x->rate_bps == 0)
				continue;
			/* a stream of its own per instance and direction */
			if (tg_failed(tg_imp_init(&n->imp[d], x,
						  c->impair->seed ^
							  (0x9E3779B97F4A7C15ULL *
							   (2u * c->queue + (unsigned)d + 1)))))
				goto nomem;
		}
	}
	n->ip_id = (uint16_t)(c->queue << 12);
	n->garp_due = !c->no_garp && c->queue == 0;
	tg_net_clock(n);
	n->pool_avail = rte_mempool_avail_count(n->pool);
	c->port->inst[c->queue] = n;
	*out = n;
	return TG_OK;
nomem:
	tg_net_free(n);
	return tg_error(TG_E_NOMEM);
}

void tg_net_free(struct tg_net *n)
{
	if (n == NULL)
		return;
	if (n->port != NULL && n->port->inst[n->queue] == n)
		n->port->inst[n->queue] = NULL;
	while (n->txq_cnt > 0) {
		rte_pktmbuf_free(n->txq[n->txq_head]);
		n->txq_head = (n->txq_head + 1) % TG_NET_TXQ;
		n->txq_cnt--;
	}
	if (n->port != NULL && n->port->disp[n->queue] != NULL) {
		struct rte_mbuf *m;

		while (rte_ring_dequeue(n->port->disp[n->queue], (void **)&m) == 0)
			rte_pktmbuf_free(m);
	}
	if (n->arp != NULL)
		tg_arp_free_all(n);
	for (int d = 0; d < 2; d++)
		tg_imp_free(n->imp[d]);
	rte_free(n->arp);
	rte_free(n);
}

void tg_net_set_proto(struct tg_net *n, uint8_t proto, tg_net_input_fn in,
		      tg_net_err_fn err, void *ctx)
{
	struct tg_net_proto *p = proto == IPPROTO_TCP ? &n->tcp
			       : proto == IPPROTO_UDP ? &n->udp
						      : NULL;

	if (p == NULL)
		return;
	p->in = in;
	p->err = err;
	p->ctx = ctx;
}

uint64_t tg_net_now_us(const struct tg_net *n)
{
	return n->now;
}

const struct tg_net_stats *tg_net_stats(const struct tg_net *n)
{
	return &n->st;
}

struct tg_net_port *tg_net_port(const struct tg_net *n)
{
	return n->port;
}

uint16_t tg_net_queue(const struct tg_net *n)
{
	return n->queue;
}

const struct tg_net_addr *tg_net_local(const struct tg_net *n)
{
	return &n->port->addr;
}

const struct tg_net_addr *tg_net_local6(const struct tg_net *n)
{
	return n->port->has6 ? &n->port->addr6 : NULL;
}

bool tg_net_is_local(const struct tg_net *n, const struct tg_net_addr *a)
{
	if (tg_net_addr_is_v4(a))
		return tg_net_addr_v4(a) == n->port->ip4;
	return n->port->has6 && tg_net6_mine(n->port, a->b);
}

const struct tg_net_addr *tg_net_src_for(const struct tg_net *n,
					 const struct tg_net_addr *dst)
{
	if (tg_net_addr_is_v4(dst))
		return &n->port->addr;
	if (!n->port->has6)
		return NULL;
	/* RFC 6724: a link-local destination gets our link-local source */
	if (dst->b[0] == 0xfe && (dst->b[1] & 0xc0) == 0x80)
		return &n->port->ll6;
	return &n->port->addr6;
}

uint16_t tg_net_mtu(const struct tg_net *n)
{
	return n->port->mtu;
}

struct rte_mempool *tg_net_pool(const struct tg_net *n)
{
	return n->pool;
}

unsigned tg_net_pool_avail(const struct tg_net *n)
{
	return n->pool_avail;
}

uint32_t tg_net_tx_chain_min(const struct tg_net *n)
{
	return n->port->tx_chain_min;
}

bool tg_net_tso(const struct tg_net *n, bool v6, uint32_t l4_hdr,
		struct tg_net_tso *out)
{
	const struct tg_net_port *p = n->port;
	uint32_t l3 = v6 ? (uint32_t)sizeof(struct rte_ipv6_hdr) : TG_IP4_LEN;

	/* the tx impairment decides each wire packet's fate: see tg_net.h */
	if (!(v6 ? p->tso6 : p->tso) || n->imp[TG_NET_TX] != NULL ||
	    p->tso_seg_mtu <= l3 + l4_hdr)
		return false;
	/* the IP length field: IPv4's counts its header, IPv6's not */
	out->max = UINT16_MAX - l4_hdr - (v6 ? 0 : l3);
	out->seg = (uint16_t)(p->tso_seg_mtu - l3 - l4_hdr);
	out->slices = p->tso_slices;
	return true;
}

struct rte_mbuf *tg_net_alloc(struct tg_net *n)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(n->pool);

	if (m == NULL)
		n->st.no_mbuf++;
	return m;
}

/* ---- transmit ------------------------------------------------------------------ */

void tg_net_txq_push(struct tg_net *n, struct rte_mbuf *m)
{
	if (n->txq_cnt == TG_NET_TXQ)
		tg_net_flush(n);
	if (n->txq_cnt == TG_NET_TXQ) {
		n->st.tx_drop++;
		rte_pktmbuf_free(m);
		return;
	}
	n->txq[(n->txq_head + n->txq_cnt) % TG_NET_TXQ] = m;
	n->txq_cnt++;
}

/* Give @p pkts to the device; returns how many it took (the rest stay
 * the caller's). */
static uint16_t tg_net_wire(struct tg_net *n, struct rte_mbuf **pkts, uint16_t cnt)
{
	uint16_t sent = 0;

	for (int tries = 0; tries < 4 && sent < cnt; tries++) {
		uint16_t k = rte_eth_tx_burst(n->port_id, n->queue, pkts + sent,
					      (uint16_t)(cnt - sent));

		for (uint16_t i = 0; i < k; i++) {
			n->st.tx_pkts++;
			n->st.tx_bytes += pkts[sent + i]->pkt_len;
		}
		sent = (uint16_t)(sent + k);
		if (k == 0)
			break;
	}
	return sent;
}

bool tg_net_tx_pending(const struct tg_net *n)
{
	return n->txq_cnt > 0;
}

void tg_net_flush(struct tg_net *n)
{
	if (n->imp[TG_NET_TX] != NULL)
		tg_net_clock(n); /* delays and the rate run on the clock */
	if (n->garp_due) {
		/* RFC 5227 §2.3 announcement: a request with our address as
		 * sender and target */
		n->garp_due = false;
		tg_arp_send(n, RTE_ARP_OP_REQUEST, n->port->ip4, NULL);
		if (n->port->has6)
			tg_nd_announce(n); /* RFC 4861 §7.2.6 */
	}
	if (n->imp[TG_NET_TX] == NULL) {
		/* the device takes from the queue where the frames lie: a
		 * full device costs one refused burst, not a run taken off
		 * the queue and put back frame by frame */
		while (n->txq_cnt > 0) {
			uint16_t k = (uint16_t)RTE_MIN(RTE_MIN(n->txq_cnt, TG_NET_TXQ - n->txq_head),
						       4u * TG_NET_BURST);
			uint16_t sent = tg_net_wire(n, &n->txq[n->txq_head], k);

			n->txq_head = (n->txq_head + sent) % TG_NET_TXQ;
			n->txq_cnt -= sent;
			if (sent < k)
				return;
		}
		return;
	}
	for (int round = 0; round < 64; round++) {
		struct rte_mbuf *b[TG_NET_BURST * 2];
		uint16_t k = 0, sent;

		/* take a contiguous run of the queue */
		while (k < TG_NET_BURST && n->txq_cnt > 0) {
			b[k++] = n->txq[n->txq_head];
			n->txq_head = (n->txq_head + 1) % TG_NET_TXQ;
			n->txq_cnt--;
		}
		if (n->imp[TG_NET_TX] != NULL)
			k = tg_imp_run(n, TG_NET_TX, b, k, b, (uint16_t)RTE_DIM(b));
		if (k == 0)
			return;
		sent = tg_net_wire(n, b, k);
		if (sent < k) {
			/* the device is full: the rest waits at the queue's
			 * head, in order, for the next flush */
			for (uint16_t i = k; i > sent; i--) {
				if (n->txq_cnt == TG_NET_TXQ) {
					n->st.tx_drop++;
					rte_pktmbuf_free(b[i - 1]);
					continue;
				}
				n->txq_head = (n->txq_head + TG_NET_TXQ - 1) % TG_NET_TXQ;
				n->txq[n->txq_head] = b[i - 1];
				n->txq_cnt++;
			}
			return;
		}
	}
}

tg_result tg_net_output(struct tg_net *n, struct rte_mbuf *m,
			const struct tg_net_addr *dst, uint8_t proto)
{
	return tg_net_output_sum(n, m, dst, proto, UINT32_MAX, 0);
}

tg_result tg_net_output_sum(struct tg_net *n, struct rte_mbuf *m,
			    const struct tg_net_addr *dst, uint8_t proto,
			    uint32_t sum_off, uint64_t sum)
{
	struct tg_net_port *p = n->port;
	struct rte_ipv4_hdr *ip;
	struct rte_ether_hdr *eth;
	struct tg_net_addr nha;
	uint32_t d4, nh;
	uint32_t l4_len = m->pkt_len;
	uint16_t csum_off = proto == IPPROTO_TCP ? 16 : proto == IPPROTO_UDP ? 6 : 0;
	/* a TCP frame the device cuts into segments (tg_net_tso()) */
	bool tso = (m->ol_flags & RTE_MBUF_F_TX_TCP_SEG) != 0;

	if (!tg_net_addr_is_v4(dst))
		return tg_net_output6(n, m, dst, proto, sum_off, sum);
	if (TG_IP4_LEN + l4_len > (tso ? UINT16_MAX : p->mtu) ||
	    (csum_off != 0 && m->data_len < csum_off + 2u)) {
		rte_pktmbuf_free(m);
		return tg_error(TG_E_INVAL);
	}
	d4 = tg_net_addr_v4(dst);
	nh = ((d4 ^ p->ip4) & p->mask4) == 0 ? d4 : p->gw4;
	if (nh == 0) {
		n->st.no_route++;
		rte_pktmbuf_free(m);
		return tg_error(TG_E_IO);
	}
	ip = (struct rte_ipv4_hdr *)rte_pktmbuf_prepend(m, TG_IP4_LEN);
	if (ip == NULL) {
		rte_pktmbuf_free(m);
		return tg_error(TG_E_INVAL);
	}
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = htons((uint16_t)(TG_IP4_LEN + l4_len));
	ip->packet_id = htons(n->ip_id++);
	/* RFC 791: DF, we never fragment (RFC 1191 path MTU instead) */
	ip->fragment_offset = htons(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->hdr_checksum = 0;
	ip->src_addr = p->ip4;
	ip->dst_addr = d4;
	m->ol_flags &= ~(RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK |
			 RTE_MBUF_F_TX_IPV4);
	if (csum_off != 0) {
		uint16_t *ck = rte_pktmbuf_mtod_offset(m, uint16_t *,
						       TG_IP4_LEN + csum_off);

		*ck = 0;
		if (p->tx_l4_cksum || tso) {
			/* with TX_TCP_SEG the pseudo-header sum leaves the
			 * length out: each segment's is the device's */
			m->l2_len = TG_ETH_LEN;
			m->l3_len = TG_IP4_LEN;
			m->ol_flags |= RTE_MBUF_F_TX_IPV4 |
				       (proto == IPPROTO_TCP ? RTE_MBUF_F_TX_TCP_CKSUM
							     : RTE_MBUF_F_TX_UDP_CKSUM);
			*ck = rte_ipv4_phdr_cksum(ip, m->ol_flags);
		} else {
			uint16_t raw;

			if (tg_l4_raw_cksum(m, TG_IP4_LEN, l4_len, sum_off, sum, &raw)) {
				uint16_t c = (uint16_t)~tg_cksum_fold(
					tg_ip4_phdr_add(ip, (uint16_t)l4_len, raw));

				/* RFC 768: zero is sent as all ones for UDP */
				*ck = (c == 0 && proto == IPPROTO_UDP) ? 0xffff : c;
			} else {
				*ck = rte_ipv4_udptcp_cksum_mbuf(m, ip, TG_IP4_LEN);
			}
		}
	}
	if (p->tx_ip_cksum || tso) {
		m->l2_len = TG_ETH_LEN;
		m->l3_len = TG_IP4_LEN;
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	} else {
		ip->hdr_checksum = (uint16_t)~tg_raw_cksum(ip, TG_IP4_LEN);
	}
	eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, TG_ETH_LEN);
	if (eth == NULL) {
		rte_pktmbuf_free(m);
		return tg_error(TG_E_INVAL);
	}
	rte_ether_addr_copy(&p->mac, &eth->src_addr);
	eth->ether_type = htons(RTE_ETHER_TYPE_IPV4);
	tg_net_addr_set_v4(&nha, nh);
	tg_arp_resolve_out(n, m, &nha);
	return TG_OK;
}

tg_result tg_net_ping(struct tg_net *n, const struct tg_net_addr *dst,
		      uint16_t id, uint16_t seq, uint16_t len)
{
	struct rte_mbuf *m = tg_net_alloc(n);
	struct rte_icmp_hdr *ic;
	uint8_t *pl;

	TG_ENSURE(m != NULL, TG_E_NOMEM);
	if (len > n->port->mtu - (tg_net_addr_is_v4(dst) ? TG_IP4_LEN : 40u) - sizeof(*ic) ||
	    (ic = (struct rte_icmp_hdr *)rte_pktmbuf_append(
		     m, (uint16_t)(sizeof(*ic) + len))) == NULL) {
		rte_pktmbuf_free(m);
		return tg_error(TG_E_INVAL);
	}
	ic->icmp_type = tg_net_addr_is_v4(dst) ? RTE_IP_ICMP_ECHO_REQUEST : 128;
	ic->icmp_code = 0;
	ic->icmp_cksum = 0;
	ic->icmp_ident = htons(id);
	ic->icmp_seq_nb = htons(seq);
	pl = (uint8_t *)(ic + 1);
	for (uint16_t i = 0; i < len; i++)
		pl[i] = (uint8_t)i;
	if (!tg_net_addr_is_v4(dst)) /* ICMPv6: the checksum covers a pseudo-header */
		return tg_net_output(n, m, dst, IPPROTO_ICMPV6);
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, sizeof(*ic) + len);
	return tg_net_output(n, m, dst, IPPROTO_ICMP);
}

/* ---- receive ---------------------------------------------------------------------- */

void tg_net_drop(struct rte_mbuf *m, uint64_t *counter)
{
	(*counter)++;
	rte_pktmbuf_free(m);
}

/* RFC 792 echo: answered in place (the request becomes the reply). */
static void tg_icmp_echo(struct tg_net *n, struct rte_mbuf *m,
			 struct rte_ipv4_hdr *ip, uint16_t l4_off, uint16_t l4_len)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_icmp_hdr *ic = rte_pktmbuf_mtod_offset(m, struct rte_icmp_hdr *,
							  l4_off);
	uint16_t ck;

	if (!RTE_MBUF_DIRECT(m) || rte_mbuf_refcnt_read(m) != 1) {
		tg_net_drop(m, &n->st.rx_malformed);
		return;
	}
	n->st.icmp_echo_rx++;
	ic->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	ic->icmp_cksum = 0;
	if (rte_raw_cksum_mbuf(m, l4_off, l4_len, &ck) != 0) {
		tg_net_drop(m, &n->st.rx_malformed);
		return;
	}
	ic->icmp_cksum = (uint16_t)~ck;
	ip->dst_addr = ip->src_addr;
	ip->src_addr = n->port->ip4;
	ip->time_to_live = 64;
	ip->fragment_offset = htons(RTE_IPV4_HDR_DF_FLAG);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&n->port->mac, &eth->src_addr);
	m->ol_flags = 0;
	tg_net_txq_push(n, m);
}

/* An ICMP error quotes the IP header and at least 8 bytes of the packet
 * that caused it (RFC 792; RFC 1191 adds the next-hop MTU). */
static void tg_icmp_error(struct tg_net *n, struct rte_mbuf *m,
			  const struct rte_icmp_hdr *ic, uint16_t l4_off,
			  uint16_t l4_len)
{
	const struct rte_ipv4_hdr *q;
	struct tg_net_icmp_err e;
	struct tg_net_proto *pr;
	uint16_t qoff = (uint16_t)(l4_off + sizeof(*ic)), qhl;

	if (l4_len < sizeof(*ic) + TG_IP4_LEN + 8 ||
	    m->data_len < qoff + TG_IP4_LEN) {
		tg_net_drop(m, &n->st.rx_malformed);
		return;
	}
	q = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, qoff);
	qhl = (uint16_t)((q->version_ihl & 0xf) * 4);
	if ((q->version_ihl >> 4) != 4 || qhl < TG_IP4_LEN ||
	    l4_len < sizeof(*ic) + qhl + 8 || m->data_len < qoff + qhl + 8 ||
	    q->src_addr != n->port->ip4) {
		tg_net_drop(m, &n->st.rx_malformed);
		return;
	}
	pr = q->next_proto_id == IPPROTO_TCP ? &n->tcp
	   : q->next_proto_id == IPPROTO_UDP ? &n->udp
					     : NULL;
	if (pr == NULL || pr->err == NULL) {
		tg_net_drop(m, &n->st.icmp_other);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.type = ic->icmp_type;
	e.code = ic->icmp_code;
	if (ic->icmp_type == TG_ICMP_UNREACH && ic->icmp_code == 4) {
		e.mtu = ntohs(ic->icmp_seq_nb); /* RFC 1191 §4: next-hop MTU */
		e.too_big = true;
	}
	/* RFC 1122 §4.2.3.9: protocol and port unreachable are hard */
	e.hard = ic->icmp_type == TG_ICMP_UNREACH &&
		 (ic->icmp_code == 2 || ic->icmp_code == 3);
	tg_net_addr_set_v4(&e.src, q->src_addr);
	tg_net_addr_set_v4(&e.dst, q->dst_addr);
	e.l4 = rte_pktmbuf_mtod_offset(m, const uint8_t *, qoff + qhl);
	e.l4_len = (uint16_t)RTE_MIN((unsigned)(l4_len - sizeof(*ic) - qhl),
				     (unsigned)(m->data_len - qoff - qhl));
	n->st.icmp_err_rx++;
	pr->err(pr->ctx, &e);
	rte_pktmbuf_free(m);
}

static void tg_icmp_input(struct tg_net *n, struct rte_mbuf *m,
			  struct rte_ipv4_hdr *ip, uint16_t l4_off, uint16_t l4_len)
{
	const struct rte_icmp_hdr *ic;
	uint16_t ck;

	if (l4_len < sizeof(*ic) || m->data_len < l4_off + sizeof(*ic) ||
	    rte_raw_cksum_mbuf(m, l4_off, l4_len, &ck) != 0) {
		tg_net_drop(m, &n->st.rx_malformed);
		return;
	}
	if (ck != 0xffff) {
		tg_net_drop(m, &n->st.rx_bad_cksum);
		return;
	}
	ic = rte_pktmbuf_mtod_offset(m, const struct rte_icmp_hdr *, l4_off);
	switch (ic->icmp_type) {
	case RTE_IP_ICMP_ECHO_REQUEST:
		if (ic->icmp_code != 0) {
			tg_net_drop(m, &n->st.icmp_other);
			return;
		}
		tg_icmp_echo(n, m, ip, l4_off, l4_len);
		return;
	case RTE_IP_ICMP_ECHO_REPLY:
		n->st.icmp_echo_reply_rx++;
		n->st.last_echo_id = ntohs(ic->icmp_ident);
		n->st.last_echo_seq = ntohs(ic->icmp_seq_nb);
		rte_pktmbuf_free(m);
		return;
	case TG_ICMP_UNREACH:
	case TG_ICMP_TIMXCEED:
		tg_icmp_error(n, m, ic, l4_off, l4_len);
		return;
	default:
		tg_net_drop(m, &n->st.icmp_other);
	}
}

static void tg_ip4_input(struct tg_net *n, struct rte_mbuf *m)
{
	const uint16_t off = TG_ETH_LEN;
	struct rte_ipv4_hdr *ip;
	struct tg_net_proto *pr;
	struct tg_net_rx rx;
	uint16_t hl, tot, l4_off, l4_len;
	uint32_t src;

	if (m->data_len < off + TG_IP4_LEN) {
		tg_net_drop(m, &n->st.rx_malformed);
		return;
	}
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, off);
	hl = (uint16_t)((ip->version_ihl & 0xf) * 4);
	tot = ntohs(ip->total_length);
	/* RFC 791 §3.1 / RFC 1122 §3.2.1: version, header and total length */
	if ((ip->version_ihl >> 4) != 4 || hl < TG_IP4_LEN ||
	    m->data_len < off + hl || tot < hl || off + (uint32_t)tot > m->pkt_len) {
		tg_net_drop(m, &n->st.rx_malformed);
		return;
	}
	if (m->pkt_len > off + (uint32_t)tot &&
	    rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - off - tot)) != 0) {
		/* Ethernet padding across segments */
		tg_net_drop(m, &n->st.rx_malformed);
		return;
	}
	if (n->port->rx_cksum &&
	    (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_BAD) {
		tg_net_drop(m, &n->st.rx_bad_cksum);
		return;
	}
	if (!(n->port->rx_cksum &&
	      (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD) &&
	    tg_raw_cksum(ip, hl) != 0xffff) {
		tg_net_drop(m, &n->st.rx_bad_cksum);
		return;
	}
	if (ip->dst_addr != n->port->ip4) {
		tg_net_drop(m, &n->st.rx_not_ours);
		return;
	}
	src = ip->src_addr;
	/* RFC 1122 §3.2.1.3: a source that cannot be a host */
	if (src == 0 || src == n->port->ip4 || src == 0xffffffffu ||
	    (ntohl(src) >> 28) == 0xe) {
		tg_net_drop(m, &n->st.rx_malformed);
		return;
	}
	if ((ntohs(ip->fragment_offset) & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0) {
		/* we never reassemble: TCP segments fit our MTU */
		tg_net_drop(m, &n->st.rx_frag);
		return;
	}
	l4_off = (uint16_t)(off + hl);
	l4_len = (uint16_t)(tot - hl);
	if (ip->next_proto_id == IPPROTO_ICMP) {
		tg_icmp_input(n, m, ip, l4_off, l4_len);
		return;
	}
	pr = ip->next_proto_id == IPPROTO_TCP ? &n->tcp
	   : ip->next_proto_id == IPPROTO_UDP ? &n->udp
					      : NULL;
	if (pr == NULL || pr->in == NULL) {
		tg_net_drop(m, &n->st.rx_unknown);
		return;
	}
	if (n->port->rx_cksum &&
	    (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_BAD) {
		tg_net_drop(m, &n->st.rx_bad_cksum);
		return;
	}
	if (!(n->port->rx_cksum &&
	      (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD)) {
		/* RFC 768: a UDP checksum of zero is "none" */
		bool none = false;

		if (ip->next_proto_id == IPPROTO_UDP) {
			if (l4_len < sizeof(struct rte_udp_hdr) ||
			    m->data_len < l4_off + sizeof(struct rte_udp_hdr)) {
				tg_net_drop(m, &n->st.rx_malformed);
				return;
			}
			none = rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *,
						       l4_off)->dgram_cksum == 0;
		}
		if (!none) {
			uint16_t raw;

			if (!tg_raw_cksum_mbuf(m, l4_off, l4_len, &raw) ||
			    tg_cksum_fold(tg_ip4_phdr_add(ip, l4_len, raw)) != 0xffff) {
				tg_net_drop(m, &n->st.rx_bad_cksum);
				return;
			}
		}
	}
	tg_net_addr_set_v4(&rx.src, src);
	tg_net_addr_set_v4(&rx.dst, ip->dst_addr);
	rx.l4_off = l4_off;
	rx.l4_len = l4_len;
	rx.ttl = ip->time_to_live;
	pr->in(pr->ctx, m, &rx);
}

/* One frame for this instance. @p copy: an ARP copy another instance
 * handed over (learn only, never answer). */
static void tg_net_input(struct tg_net *n, struct rte_mbuf *m, bool copy)
{
	const struct rte_ether_hdr *eth;

	if (m->data_len < TG_ETH_LEN) {
		tg_net_drop(m, &n->st.rx_malformed);
		return;
	}
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (rte_is_same_ether_addr(&eth->src_addr, &n->port->mac)) {
		tg_net_drop(m, &n->st.rx_own);
		return;
	}
	if (!rte_is_same_ether_addr(&eth->dst_addr, &n->port->mac) &&
	    !rte_is_broadcast_ether_addr(&eth->dst_addr) &&
	    !(n->port->has6 && eth->dst_addr.addr_bytes[0] == 0x33 &&
	      eth->dst_addr.addr_bytes[1] == 0x33)) {
		tg_net_drop(m, &n->st.rx_not_ours);
		return;
	}
	switch (ntohs(eth->ether_type)) {
	case RTE_ETHER_TYPE_ARP:
		tg_arp_input(n, m, copy);
		return;
	case RTE_ETHER_TYPE_IPV6:
		if (!n->port->has6) {
			tg_net_drop(m, &n->st.rx_unknown);
			return;
		}
		tg_ip6_input(n, m, copy);
		return;
	case RTE_ETHER_TYPE_IPV4:
		if (rte_is_broadcast_ether_addr(&eth->dst_addr) ||
		    rte_is_multicast_ether_addr(&eth->dst_addr)) {
			tg_net_drop(m, &n->st.rx_not_ours);
			return;
		}
		tg_ip4_input(n, m);
		return;
	default:
		tg_net_drop(m, &n->st.rx_unknown);
	}
}

/* The owner of a frame: a queue, or TG_NET_MAX_QUEUES for "every
 * instance" (ARP). What cannot be parsed stays here (and is dropped by
 * the input with its counter). */
static uint16_t tg_net_classify(const struct tg_net *n, const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth;
	const struct rte_ipv4_hdr *ip;
	const uint16_t *ports;
	struct tg_net_addr a, b;
	uint16_t hl, type;

	if (m->data_len < TG_ETH_LEN)
		return n->queue;
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	type = ntohs(eth->ether_type);
	if (type == RTE_ETHER_TYPE_ARP)
		return TG_NET_MAX_QUEUES;
	if (type == RTE_ETHER_TYPE_IPV6)
		return tg_net6_classify(n, m);
	if (type != RTE_ETHER_TYPE_IPV4 || m->data_len < TG_ETH_LEN + TG_IP4_LEN)
		return n->queue;
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, TG_ETH_LEN);
	hl = (uint16_t)((ip->version_ihl & 0xf) * 4);
	if (hl < TG_IP4_LEN || m->data_len < TG_ETH_LEN + hl + 4u ||
	    (ntohs(ip->fragment_offset) & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0)
		return n->queue;
	if (ip->next_proto_id == IPPROTO_ICMP) {
		/* an error quoting one of our TCP segments goes to the
		 * segment's owner */
		const struct rte_icmp_hdr *ic;
		const struct rte_ipv4_hdr *q;
		uint16_t qoff = (uint16_t)(TG_ETH_LEN + hl + sizeof(*ic)), qhl;

		if (m->data_len < qoff + TG_IP4_LEN)
			return n->queue;
		ic = rte_pktmbuf_mtod_offset(m, const struct rte_icmp_hdr *,
					     TG_ETH_LEN + hl);
		if (ic->icmp_type != TG_ICMP_UNREACH && ic->icmp_type != TG_ICMP_TIMXCEED)
			return n->queue;
		q = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, qoff);
		qhl = (uint16_t)((q->version_ihl & 0xf) * 4);
		if (qhl < TG_IP4_LEN || m->data_len < qoff + qhl + 4u ||
		    (q->next_proto_id != IPPROTO_TCP && q->next_proto_id != IPPROTO_UDP))
			return n->queue;
		ports = rte_pktmbuf_mtod_offset(m, const uint16_t *, qoff + qhl);
		tg_net_addr_set_v4(&a, q->src_addr);
		tg_net_addr_set_v4(&b, q->dst_addr);
		return tg_net_port_owner(n->port, &a, &b, ntohs(ports[0]),
					 ntohs(ports[1]));
	}
	if (ip->next_proto_id != IPPROTO_TCP && ip->next_proto_id != IPPROTO_UDP)
		return n->queue;
	ports = rte_pktmbuf_mtod_offset(m, const uint16_t *, TG_ETH_LEN + hl);
	tg_net_addr_set_v4(&a, ip->src_addr);
	tg_net_addr_set_v4(&b, ip->dst_addr);
	return tg_net_port_owner(n->port, &a, &b, ntohs(ports[0]), ntohs(ports[1]));
}

/* Hand @p m to instance @p q's ring; false (and @p m untouched) when it
 * is full or gone. */
static bool tg_net_handover(struct tg_net *n, uint16_t q, struct rte_mbuf *m)
{
	struct rte_ring *r = n->port->disp[q];

	if (r == NULL || n->port->inst[q] == NULL || rte_ring_enqueue(r, m) != 0) {
		n->st.disp_drop++;
		return false;
	}
	n->st.disp_out++;
	return true;
}

static void tg_net_dispatch(struct tg_net *n, struct rte_mbuf *m)
{
	uint16_t owner;

	if (n->port->n_queues <= 1) {
		tg_net_input(n, m, false);
		return;
	}
	owner = tg_net_classify(n, m);
	if (owner == TG_NET_MAX_QUEUES) {
		/* ARP: every instance keeps its own cache, so each learns
		 * from a shared reference (read only); we answer */
		for (uint16_t q = 0; q < n->port->n_queues; q++) {
			if (q == n->queue)
				continue;
			rte_mbuf_refcnt_update(m, 1);
			if (!tg_net_handover(n, q, m))
				rte_mbuf_refcnt_update(m, -1);
		}
		tg_net_input(n, m, false);
		return;
	}
	if (owner == n->queue) {
		tg_net_input(n, m, false);
		return;
	}
	if (!tg_net_handover(n, owner, m))
		rte_pktmbuf_free(m);
}

void tg_net_inject(struct tg_net *n, struct rte_mbuf **m, uint16_t cnt)
{
	for (uint16_t i = 0; i < cnt; i++) {
		n->st.rx_pkts++;
		n->st.rx_bytes += m[i]->pkt_len;
		tg_net_input(n, m[i], false);
	}
}

unsigned tg_net_poll(struct tg_net *n)
{
	struct rte_mbuf *b[TG_NET_BURST * 2];
	uint16_t cnt, k;
	unsigned done = 0;

	tg_net_clock(n);
	/* the pool's level: counting walks every lcore's cache, so at most
	 * every 50 us */
	if (n->now - n->pool_at >= 50) {
		n->pool_avail = rte_mempool_avail_count(n->pool);
		n->pool_at = n->now;
	}
	if (n->now >= n->next_arp_sweep) {
		n->next_arp_sweep = n->now + 100000u;
		tg_arp_sweep(n);
	}
	cnt = rte_eth_rx_burst(n->port_id, n->queue, b, TG_NET_BURST);
	if (n->imp[TG_NET_RX] != NULL)
		cnt = tg_imp_run(n, TG_NET_RX, b, cnt, b, (uint16_t)RTE_DIM(b));
	for (uint16_t i = 0; i < cnt; i++) {
		n->st.rx_pkts++;
		n->st.rx_bytes += b[i]->pkt_len;
		tg_net_dispatch(n, b[i]);
	}
	done += cnt;
	if (n->port->disp[n->queue] != NULL) {
		k = (uint16_t)rte_ring_dequeue_burst(n->port->disp[n->queue],
						     (void **)b, TG_NET_BURST, NULL);
		for (uint16_t i = 0; i < k; i++) {
			const struct rte_ether_hdr *eth =
				rte_pktmbuf_mtod(b[i], const struct rte_ether_hdr *);
			/* ARP and NDP come here as copies: learn, not answer */
			bool copy = b[i]->data_len >= TG_ETH_LEN &&
				    (eth->ether_type == htons(RTE_ETHER_TYPE_ARP) ||
				     tg_net6_is_nd(b[i]));

			n->st.disp_in++;
			tg_net_input(n, b[i], copy);
		}
		done += k;
	}
	return done;
}
