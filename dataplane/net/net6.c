/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file net6.c
 * IPv6 on the same paths as IPv4: the header (RFC 8200; no extension
 * headers are taken, fragments are dropped and counted), ICMPv6 (RFC 4443:
 * echo, errors for the protocols), and neighbour discovery (RFC 4861:
 * solicitations answered, advertisements learned, our own solicitations
 * to the solicited-node group, an unsolicited advertisement at start),
 * with the neighbour cache of arp.c. Our addresses: a configured global
 * one and a link-local one from the MAC (RFC 4291 appendix A, EUI-64).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "net_int.h"

#define TG_ETH_LEN 14u
#define TG_IP6_LEN 40u
#define TG_ND_NS 135
#define TG_ND_NA 136
#define TG_ICMP6_ECHO 128
#define TG_ICMP6_ECHO_REPLY 129
#define TG_ICMP6_UNREACH 1
#define TG_ICMP6_TOO_BIG 2
#define TG_ICMP6_TIMXCEED 3
#define TG_ND_OPT_SLLA 1
#define TG_ND_OPT_TLLA 2
#define TG_NA_ROUTER 0x80
#define TG_NA_SOLICITED 0x40
#define TG_NA_OVERRIDE 0x20

static const uint8_t tg_all_nodes[16] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0,
					  0, 0, 0, 0, 0, 0, 0, 1 };

void tg_net6_port_init(struct tg_net_port *p)
{
	uint8_t *a = p->ll6.b;

	/* RFC 4291 appendix A: fe80::/64 and the MAC as a modified EUI-64 */
	memset(a, 0, 16);
	a[0] = 0xfe;
	a[1] = 0x80;
	a[8] = p->mac.addr_bytes[0] ^ 0x02;
	a[9] = p->mac.addr_bytes[1];
	a[10] = p->mac.addr_bytes[2];
	a[11] = 0xff;
	a[12] = 0xfe;
	a[13] = p->mac.addr_bytes[3];
	a[14] = p->mac.addr_bytes[4];
	a[15] = p->mac.addr_bytes[5];
}

static bool tg_is_ll(const uint8_t *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/* ff02::1:ffXX:XXXX of @p a (RFC 4291 §2.7.1) */
static void tg_solicited(const uint8_t *a, uint8_t *out)
{
	static const uint8_t pre[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0,
					 0, 0, 0, 1, 0xff };

	memcpy(out, pre, 13);
	memcpy(out + 13, a + 13, 3);
}

bool tg_net6_mine(const struct tg_net_port *p, const uint8_t *a)
{
	return memcmp(a, p->addr6.b, 16) == 0 || memcmp(a, p->ll6.b, 16) == 0;
}

/* a destination we take: ours, all-nodes, or one of our solicited-node
 * groups */
static bool tg_net6_for_us(const struct tg_net_port *p, const uint8_t *a)
{
	uint8_t sn[16];

	if (tg_net6_mine(p, a) || memcmp(a, tg_all_nodes, 16) == 0)
		return true;
	tg_solicited(p->addr6.b, sn);
	if (memcmp(a, sn, 16) == 0)
		return true;
	tg_solicited(p->ll6.b, sn);
	return memcmp(a, sn, 16) == 0;
}

static void tg_mcast_mac(const uint8_t *a, struct rte_ether_addr *mac)
{
	/* RFC 2464 §7: 33:33 and the group's last four bytes */
	mac->addr_bytes[0] = 0x33;
	mac->addr_bytes[1] = 0x33;
	memcpy(&mac->addr_bytes[2], a + 12, 4);
}

/* A whole ICMPv6 message of ours (NDP: hop limit 255) to @p dst at @p mac. */
static void tg_icmp6_emit(struct tg_net *n, const struct rte_ether_addr *mac,
			  const uint8_t *src, const uint8_t *dst, const uint8_t *msg,
			  uint16_t len)
{
	struct rte_mbuf *m = tg_net_alloc(n);
	struct rte_ether_hdr *eth;
	struct rte_ipv6_hdr *ip;
	uint16_t *ck;

	if (m == NULL)
		return;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)(TG_ETH_LEN +
								   TG_IP6_LEN + len));
	if (eth == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	rte_ether_addr_copy(mac, &eth->dst_addr);
	rte_ether_addr_copy(&n->port->mac, &eth->src_addr);
	eth->ether_type = htons(RTE_ETHER_TYPE_IPV6);
	ip = (struct rte_ipv6_hdr *)(eth + 1);
	ip->vtc_flow = htonl(6u << 28);
	ip->payload_len = htons(len);
	ip->proto = IPPROTO_ICMPV6;
	ip->hop_limits = 255; /* RFC 4861 §7.1: NDP only from the link */
	memcpy(ip->src_addr, src, 16);
	memcpy(ip->dst_addr, dst, 16);
	memcpy(ip + 1, msg, len);
	ck = (uint16_t *)((uint8_t *)(ip + 1) + 2);
	*ck = 0;
	*ck = rte_ipv6_udptcp_cksum(ip, ip + 1);
	n->st.nd_tx++;
	tg_net_txq_push(n, m);
}

/* RFC 4861 §7.2.2: who has @p target? To its solicited-node group. */
void tg_nd_send_ns(struct tg_net *n, const struct tg_net_addr *target)
{
	uint8_t msg[32], dst[16];
	struct rte_ether_addr mac;
	const uint8_t *src = tg_is_ll(target->b) ? n->port->ll6.b : n->port->addr6.b;

	memset(msg, 0, sizeof(msg));
	msg[0] = TG_ND_NS;
	memcpy(msg + 8, target->b, 16);
	msg[24] = TG_ND_OPT_SLLA;
	msg[25] = 1;
	memcpy(msg + 26, n->port->mac.addr_bytes, 6);
	tg_solicited(target->b, dst);
	tg_mcast_mac(dst, &mac);
	tg_icmp6_emit(n, &mac, src, dst, msg, sizeof(msg));
}

static void tg_nd_send_na(struct tg_net *n, const struct rte_ether_addr *mac,
			  const uint8_t *dst, const uint8_t *target, uint8_t flags)
{
	uint8_t msg[32];

	memset(msg, 0, sizeof(msg));
	msg[0] = TG_ND_NA;
	msg[4] = flags;
	memcpy(msg + 8, target, 16);
	msg[24] = TG_ND_OPT_TLLA;
	msg[25] = 1;
	memcpy(msg + 26, n->port->mac.addr_bytes, 6);
	tg_icmp6_emit(n, mac, target, dst, msg, sizeof(msg));
}

/* RFC 4861 §7.2.6: unsolicited advertisements of our addresses */
void tg_nd_announce(struct tg_net *n)
{
	struct rte_ether_addr mac;

	tg_mcast_mac(tg_all_nodes, &mac);
	tg_nd_send_na(n, &mac, tg_all_nodes, n->port->ll6.b, TG_NA_OVERRIDE);
	tg_nd_send_na(n, &mac, tg_all_nodes, n->port->addr6.b, TG_NA_OVERRIDE);
}

/* The link-layer address option of type @p want in the options at @p o. */
static const uint8_t *tg_nd_lla(const uint8_t *o, unsigned len, uint8_t want)
{
	while (len >= 2) {
		unsigned ol = o[1] * 8u;

		/* RFC 4861 §4.6: a zero length is invalid: drop the message */
		if (ol == 0 || ol > len)
			return NULL;
		if (o[0] == want && ol >= 8)
			return o + 2;
		o += ol;
		len -= ol;
	}
	return NULL;
}

static bool tg_nd_opts_ok(const uint8_t *o, unsigned len)
{
	while (len >= 2) {
		unsigned ol = o[1] * 8u;

		if (ol == 0 || ol > len)
			return false;
		o += ol;
		len -= ol;
	}
	return len == 0;
}

/* NS and NA (RFC 4861 §7.1 checks, §7.2.3-5) */
static void tg_nd_input(struct tg_net *n, struct rte_mbuf *m,
			const struct rte_ipv6_hdr *ip, const uint8_t *msg,
			uint16_t len, bool copy)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const uint8_t *target = msg + 8, *lla;
	struct rte_ether_addr mac;
	struct tg_net_addr a;
	static const uint8_t any[16];

	if (ip->hop_limits != 255 || msg[1] != 0 || len < 24 ||
	    !tg_nd_opts_ok(msg + 24, len - 24u) || target[0] == 0xff) {
		tg_net_drop(m, &n->st.rx_malformed);
		return;
	}
	n->st.nd_rx++;
	if (msg[0] == TG_ND_NS) {
		bool from_any = memcmp(ip->src_addr, any, 16) == 0;

		if (!tg_net6_mine(n->port, target)) {
			rte_pktmbuf_free(m);
			return;
		}
		lla = tg_nd_lla(msg + 24, len - 24u, TG_ND_OPT_SLLA);
		if (from_any) {
			/* duplicate address detection: we own it; defend */
			if (!copy)
				tg_nd_send_na(n, &(struct rte_ether_addr){ { 0x33, 0x33, 0, 0, 0, 1 } },
					      tg_all_nodes, target, TG_NA_OVERRIDE);
			rte_pktmbuf_free(m);
			return;
		}
		memcpy(a.b, ip->src_addr, 16);
		rte_ether_addr_copy(&eth->src_addr, &mac);
		if (lla != NULL)
			memcpy(mac.addr_bytes, lla, 6);
		tg_nb_learn(n, &a, &mac, true);
		if (!copy)
			tg_nd_send_na(n, &mac, ip->src_addr, target,
				      TG_NA_SOLICITED | TG_NA_OVERRIDE);
		rte_pktmbuf_free(m);
		return;
	}
	/* NA: update what we asked for (and what we have) */
	lla = tg_nd_lla(msg + 24, len - 24u, TG_ND_OPT_TLLA);
	memcpy(a.b, target, 16);
	rte_ether_addr_copy(&eth->src_addr, &mac);
	if (lla != NULL)
		memcpy(mac.addr_bytes, lla, 6);
	if (tg_net6_mine(n->port, target)) {
		n->st.arp_conflict++;
		rte_pktmbuf_free(m);
		return;
	}
	tg_nb_learn(n, &a, &mac, false);
	rte_pktmbuf_free(m);
}

static void tg_icmp6_err(struct tg_net *n, struct rte_mbuf *m, const uint8_t *msg,
			 uint16_t len)
{
	const uint8_t *q = msg + 8;
	struct tg_net_icmp_err e;
	struct tg_net_proto *pr;

	if (len < 8 + TG_IP6_LEN + 8 || (q[0] >> 4) != 6 ||
	    !tg_net6_mine(n->port, q + 8)) {
		tg_net_drop(m, &n->st.rx_malformed);
		return;
	}
	pr = q[6] == IPPROTO_TCP ? &n->tcp : q[6] == IPPROTO_UDP ? &n->udp : NULL;
	if (pr == NULL || pr->err == NULL) {
		tg_net_drop(m, &n->st.icmp_other);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.type = msg[0];
	e.code = msg[1];
	if (msg[0] == TG_ICMP6_TOO_BIG) {
		uint32_t mtu = ((uint32_t)msg[4] << 24) | ((uint32_t)msg[5] << 16) |
			       ((uint32_t)msg[6] << 8) | msg[7];

		/* RFC 8201 §4: never below 1280 */
		e.mtu = (uint16_t)RTE_MIN(RTE_MAX(mtu, 1280u), 65535u);
		e.too_big = true;
	}
	/* RFC 4443 §3.1 code 4: port unreachable */
	e.hard = msg[0] == TG_ICMP6_UNREACH && msg[1] == 4;
	memcpy(e.src.b, q + 8, 16);
	memcpy(e.dst.b, q + 24, 16);
	e.l4 = q + TG_IP6_LEN;
	e.l4_len = (uint16_t)(len - 8 - TG_IP6_LEN);
	n->st.icmp_err_rx++;
	pr->err(pr->ctx, &e);
	rte_pktmbuf_free(m);
}

static void tg_icmp6_input(struct tg_net *n, struct rte_mbuf *m,
			   struct rte_ipv6_hdr *ip, uint16_t l4_off, uint16_t len,
			   bool copy)
{
	uint8_t *msg;

	if (len < 8 || m->data_len < l4_off + len ||
	    rte_ipv6_udptcp_cksum_mbuf_verify(m, ip, l4_off) != 0) {
		tg_net_drop(m, len < 8 || m->data_len < l4_off + len ? &n->st.rx_malformed
								 : &n->st.rx_bad_cksum);
		return;
	}
	msg = rte_pktmbuf_mtod_offset(m, uint8_t *, l4_off);
	switch (msg[0]) {
	case TG_ICMP6_ECHO: {
		struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
		uint8_t dst[16];
		uint16_t *ck = (uint16_t *)(msg + 2);

		if (msg[1] != 0 || copy || !RTE_MBUF_DIRECT(m) ||
		    rte_mbuf_refcnt_read(m) != 1) {
			tg_net_drop(m, &n->st.icmp_other);
			return;
		}
		/* RFC 4443 §4.2: the reply from the address asked (ours
		 * when it was a group) */
		memcpy(dst, ip->src_addr, 16);
		if (!tg_net6_mine(n->port, ip->dst_addr))
			memcpy(ip->dst_addr, tg_is_ll(dst) ? n->port->ll6.b : n->port->addr6.b, 16);
		memcpy(ip->src_addr, ip->dst_addr, 16);
		memcpy(ip->dst_addr, dst, 16);
		ip->hop_limits = 64;
		msg[0] = TG_ICMP6_ECHO_REPLY;
		*ck = 0;
		*ck = rte_ipv6_udptcp_cksum_mbuf(m, ip, l4_off);
		rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
		rte_ether_addr_copy(&n->port->mac, &eth->src_addr);
		m->ol_flags = 0;
		n->st.icmp_echo_rx++;
		tg_net_txq_push(n, m);
		return;
	}
	case TG_ICMP6_ECHO_REPLY:
		n->st.icmp_echo_reply_rx++;
		n->st.last_echo_id = (uint16_t)((msg[4] << 8) | msg[5]);
		n->st.last_echo_seq = (uint16_t)((msg[6] << 8) | msg[7]);
		rte_pktmbuf_free(m);
		return;
	case TG_ND_NS:
	case TG_ND_NA:
		tg_nd_input(n, m, ip, msg, len, copy);
		return;
	case TG_ICMP6_UNREACH:
	case TG_ICMP6_TOO_BIG:
	case TG_ICMP6_TIMXCEED:
		if (copy) {
			rte_pktmbuf_free(m);
			return;
		}
		tg_icmp6_err(n, m, msg, len);
		return;
	default:
		/* router solicitations and advertisements, MLD ...: we take
		 * our addresses and routes from the configuration */
		tg_net_drop(m, &n->st.icmp_other);
	}
}

/* Extension headers passed over at most (a bound on the work a packet
 * can ask for). */
#define TG_IP6_EXT_MAX 8

/* What tg_ip6_upper() found after the extension headers. */
enum tg_ip6_walk {
	TG_IP6_UPPER = 0,  /* an upper-layer header */
	TG_IP6_FRAG,       /* a Fragment header */
	TG_IP6_DISCARD,    /* an option, header or count that says drop */
	TG_IP6_TRUNC,      /* a header past the payload or the frame */
};

/* RFC 8200 §4.2: the options of a Hop-by-Hop or Destination Options
 * header of @p len bytes at @p h: TG_IP6_UPPER when all are ones we may
 * skip (Pad1, PadN, or an unknown type whose two high bits are 00, "skip
 * over this option"), TG_IP6_DISCARD when one says to discard the packet
 * (we know no other option), TG_IP6_TRUNC when one runs past the header. */
static enum tg_ip6_walk tg_ip6_opts(const uint8_t *h, uint32_t len)
{
	uint32_t i = 2;

	while (i < len) {
		uint8_t type = h[i];

		if (type == 0) { /* Pad1 */
			i++;
			continue;
		}
		if (i + 2 > len || i + 2 + (uint32_t)h[i + 1] > len)
			return TG_IP6_TRUNC;
		if (type != 1 && (type >> 6) != 0)
			return TG_IP6_DISCARD;
		i += 2 + (uint32_t)h[i + 1];
	}
	return TG_IP6_UPPER;
}

/*
 * RFC 8200 §4: walk the extension headers a destination processes before
 * the upper layer, reading only: Hop-by-Hop Options (only right after
 * the IPv6 header, §4.1), Destination Options, and a Routing header
 * with no segments left (§4.4; with segments left it is for a router,
 * and we route nothing). @p ip heads @p avail bytes of the frame; sets
 * the upper-layer protocol and its offset from the end of the IPv6
 * header. A Fragment header ends the walk (TG_IP6_FRAG); an option that
 * asks for the packet to be discarded, No Next Header and more than
 * TG_IP6_EXT_MAX headers are TG_IP6_DISCARD.
 */
static enum tg_ip6_walk tg_ip6_upper(const struct rte_ipv6_hdr *ip, uint32_t avail,
				     uint8_t *proto, uint32_t *off)
{
	uint32_t plen = ntohs(ip->payload_len), o = 0;
	uint8_t nh = ip->proto;

	avail = avail > TG_IP6_LEN ? avail - TG_IP6_LEN : 0;
	for (unsigned k = 0;; k++) {
		const uint8_t *h = (const uint8_t *)(ip + 1) + o;
		uint32_t hlen;

		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_DSTOPTS &&
		    nh != IPPROTO_ROUTING)
			break;
		if (k == TG_IP6_EXT_MAX || (nh == IPPROTO_HOPOPTS && k != 0))
			return TG_IP6_DISCARD;
		if (o + 8 > plen || o + 8 > avail)
			return TG_IP6_TRUNC;
		hlen = 8 + 8 * (uint32_t)h[1];
		if (o + hlen > plen || o + hlen > avail)
			return TG_IP6_TRUNC;
		if (nh == IPPROTO_ROUTING) {
			if (h[3] != 0) /* segments left */
				return TG_IP6_DISCARD;
		} else {
			enum tg_ip6_walk r = tg_ip6_opts(h, hlen);

			if (r != TG_IP6_UPPER)
				return r;
		}
		nh = h[0];
		o += hlen;
	}
	*proto = nh;
	*off = o;
	if (nh == IPPROTO_FRAGMENT)
		return TG_IP6_FRAG;
	return nh == IPPROTO_NONE ? TG_IP6_DISCARD : TG_IP6_UPPER;
}

/* The upper-layer header of IPv6 frame @p m (at least its fixed header
 * in the first segment) past its extension headers, when @p need bytes
 * of it are in the first segment too; sets @p proto. NULL for a
 * fragment, a truncated header, one that says discard. Reads only. */
static const uint8_t *tg_ip6_l4(const struct rte_mbuf *m, uint32_t need, uint8_t *proto)
{
	const struct rte_ipv6_hdr *ip =
		rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, TG_ETH_LEN);
	uint32_t off;

	if (tg_ip6_upper(ip, m->data_len - TG_ETH_LEN, proto, &off) != TG_IP6_UPPER ||
	    m->data_len < TG_ETH_LEN + TG_IP6_LEN + off + need)
		return NULL;
	return (const uint8_t *)(ip + 1) + off;
}

/*
 * The extension headers tg_ip6_upper() passes over are taken off the
 * packet: the Ethernet and IPv6 headers move up over them, next header
 * becomes the upper-layer protocol and the payload length its length,
 * so the rest of the input sees a plain IPv6 packet and its
 * pseudo-header (§8.1) is right. A fragment is dropped (rx_frag) as IPv4
 * fragments are; a truncated header is malformed; what says discard is
 * rx_unknown. A packet shared with other instances (an NDP message
 * handed to each) is not changed: this instance goes on with a copy of
 * its own (no mbuf for it: no_mbuf). No ICMPv6 Parameter Problem is sent
 * (this stack sends no ICMP errors). Returns NULL when the packet was
 * dropped, else the packet to go on with, *@p ipp its (moved) IPv6
 * header.
 */
static struct rte_mbuf *tg_ip6_ext(struct tg_net *n, struct rte_mbuf *m,
				   struct rte_ipv6_hdr **ipp)
{
	struct rte_ipv6_hdr *ip = *ipp;
	uint32_t off = 0;
	uint8_t nh = 0;

	switch (tg_ip6_upper(ip, m->data_len - TG_ETH_LEN, &nh, &off)) {
	case TG_IP6_UPPER:
		break;
	case TG_IP6_FRAG:
		tg_net_drop(m, &n->st.rx_frag);
		return NULL;
	case TG_IP6_TRUNC:
		tg_net_drop(m, &n->st.rx_malformed);
		return NULL;
	default:
		tg_net_drop(m, &n->st.rx_unknown);
		return NULL;
	}
	if (off == 0)
		return m;
	if (!RTE_MBUF_DIRECT(m) || rte_mbuf_refcnt_read(m) != 1) {
		struct rte_mbuf *c = rte_pktmbuf_copy(m, n->pool, 0, UINT32_MAX);

		if (c == NULL) {
			tg_net_drop(m, &n->st.no_mbuf);
			return NULL;
		}
		rte_pktmbuf_free(m);
		m = c;
		if (m->data_len < TG_ETH_LEN + TG_IP6_LEN + off) {
			tg_net_drop(m, &n->st.rx_malformed);
			return NULL;
		}
	}
	memmove(rte_pktmbuf_mtod_offset(m, uint8_t *, off),
		rte_pktmbuf_mtod(m, uint8_t *), TG_ETH_LEN + TG_IP6_LEN);
	rte_pktmbuf_adj(m, (uint16_t)off);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, TG_ETH_LEN);
	ip->payload_len = htons((uint16_t)(ntohs(ip->payload_len) - off));
	ip->proto = nh;
	*ipp = ip;
	return m;
}

void tg_ip6_input(struct tg_net *n, struct rte_mbuf *m, bool copy)
{
	struct rte_ipv6_hdr *ip;
	struct tg_net_proto *pr;
	struct tg_net_rx rx;
	uint16_t plen, l4_off = TG_ETH_LEN + TG_IP6_LEN;

	if (m->data_len < l4_off) {
		tg_net_drop(m, &n->st.rx_malformed);
		return;
	}
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, TG_ETH_LEN);
	plen = ntohs(ip->payload_len);
	/* RFC 8200 §3: version, payload length within the frame */
	if ((ntohl(ip->vtc_flow) >> 28) != 6 || l4_off + (uint32_t)plen > m->pkt_len) {
		tg_net_drop(m, &n->st.rx_malformed);
		return;
	}
	/* the Ethernet padding off; not from a packet shared with other
	 * instances (an NDP message handed to each: they read it at once),
	 * whose readers go by the payload length */
	if (m->pkt_len > l4_off + (uint32_t)plen && RTE_MBUF_DIRECT(m) &&
	    rte_mbuf_refcnt_read(m) == 1 &&
	    rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - l4_off - plen)) != 0) {
		tg_net_drop(m, &n->st.rx_malformed);
		return;
	}
	if (!tg_net6_for_us(n->port, ip->dst_addr)) {
		tg_net_drop(m, &n->st.rx_not_ours);
		return;
	}
	if (ip->src_addr[0] == 0xff || tg_net6_mine(n->port, ip->src_addr)) {
		tg_net_drop(m, &n->st.rx_malformed);
		return;
	}
	m = tg_ip6_ext(n, m, &ip);
	if (m == NULL)
		return;
	plen = ntohs(ip->payload_len);
	if (ip->proto == IPPROTO_ICMPV6) {
		tg_icmp6_input(n, m, ip, l4_off, plen, copy);
		return;
	}
	pr = ip->proto == IPPROTO_TCP ? &n->tcp : ip->proto == IPPROTO_UDP ? &n->udp : NULL;
	/* a transport protocol only to our own addresses, not to a group */
	if (pr == NULL || pr->in == NULL || !tg_net6_mine(n->port, ip->dst_addr)) {
		tg_net_drop(m, &n->st.rx_unknown);
		return;
	}
	if (n->port->rx_cksum &&
	    (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_BAD) {
		tg_net_drop(m, &n->st.rx_bad_cksum);
		return;
	}
	/* RFC 8200 §8.1: the checksum is mandatory, UDP's too */
	if (!(n->port->rx_cksum &&
	      (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD)) {
		uint16_t raw;

		if (!tg_raw_cksum_mbuf(m, l4_off, plen, &raw) ||
		    tg_cksum_fold((uint64_t)raw + rte_ipv6_phdr_cksum(ip, 0)) != 0xffff) {
			tg_net_drop(m, &n->st.rx_bad_cksum);
			return;
		}
	}
	memcpy(rx.src.b, ip->src_addr, 16);
	memcpy(rx.dst.b, ip->dst_addr, 16);
	rx.l4_off = l4_off;
	rx.l4_len = plen;
	rx.ttl = ip->hop_limits;
	pr->in(pr->ctx, m, &rx);
}

tg_result tg_net_output6(struct tg_net *n, struct rte_mbuf *m,
			 const struct tg_net_addr *dst, uint8_t proto,
			 uint32_t sum_off, uint64_t sum)
{
	struct tg_net_port *p = n->port;
	uint32_t l4_len = m->pkt_len;
	uint16_t csum_off = proto == IPPROTO_TCP ? 16
			  : proto == IPPROTO_UDP ? 6
			  : proto == IPPROTO_ICMPV6 ? 2
						   : 0;
	const struct tg_net_addr *nh = dst;
	struct rte_ether_hdr *eth;
	struct rte_ipv6_hdr *ip;
	bool tso = (m->ol_flags & RTE_MBUF_F_TX_TCP_SEG) != 0; /* tg_net_tso() */

	if (!p->has6 || TG_IP6_LEN + l4_len > (tso ? TG_IP6_LEN + UINT16_MAX : p->mtu) ||
	    (csum_off != 0 && m->data_len < csum_off + 2u)) {
		rte_pktmbuf_free(m);
		return tg_error(TG_E_INVAL);
	}
	if (dst->b[0] != 0xff && !tg_is_ll(dst->b)) {
		/* on the prefix, or through the gateway */
		unsigned bits = p->prefix6;
		bool on = true;

		for (unsigned i = 0; i < 16 && bits > 0; i++, bits = bits > 8 ? bits - 8 : 0) {
			uint8_t mask = (uint8_t)(bits >= 8 ? 0xff : (0xff << (8 - bits)));

			if ((dst->b[i] ^ p->addr6.b[i]) & mask)
				on = false;
		}
		if (!on) {
			static const struct tg_net_addr zero;

			if (tg_net_addr_eq(&p->gw6, &zero)) {
				n->st.no_route++;
				rte_pktmbuf_free(m);
				return tg_error(TG_E_IO);
			}
			nh = &p->gw6;
		}
	}
	ip = (struct rte_ipv6_hdr *)rte_pktmbuf_prepend(m, TG_IP6_LEN);
	if (ip == NULL) {
		rte_pktmbuf_free(m);
		return tg_error(TG_E_INVAL);
	}
	ip->vtc_flow = htonl(6u << 28);
	ip->payload_len = htons((uint16_t)l4_len);
	ip->proto = proto;
	ip->hop_limits = 64;
	memcpy(ip->src_addr, tg_is_ll(dst->b) ? p->ll6.b : p->addr6.b, 16);
	memcpy(ip->dst_addr, dst->b, 16);
	m->ol_flags &= ~(RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK |
			 RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6);
	if (csum_off != 0) {
		uint16_t *ck = rte_pktmbuf_mtod_offset(m, uint16_t *, TG_IP6_LEN + csum_off);

		*ck = 0;
		if ((p->tx_l4_cksum || tso) && proto != IPPROTO_ICMPV6) {
			m->l2_len = TG_ETH_LEN;
			m->l3_len = TG_IP6_LEN;
			m->ol_flags |= RTE_MBUF_F_TX_IPV6 |
				       (proto == IPPROTO_TCP ? RTE_MBUF_F_TX_TCP_CKSUM
							     : RTE_MBUF_F_TX_UDP_CKSUM);
			*ck = rte_ipv6_phdr_cksum(ip, m->ol_flags);
		} else {
			uint16_t raw;

			if (tg_l4_raw_cksum(m, TG_IP6_LEN, l4_len, sum_off, sum, &raw)) {
				uint16_t c = (uint16_t)~tg_cksum_fold(
					(uint64_t)raw + rte_ipv6_phdr_cksum(ip, 0));

				*ck = (c == 0 && proto == IPPROTO_UDP) ? 0xffff : c;
			} else {
				*ck = rte_ipv6_udptcp_cksum_mbuf(m, ip, TG_IP6_LEN);
			}
		}
	}
	eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, TG_ETH_LEN);
	if (eth == NULL) {
		rte_pktmbuf_free(m);
		return tg_error(TG_E_INVAL);
	}
	rte_ether_addr_copy(&p->mac, &eth->src_addr);
	eth->ether_type = htons(RTE_ETHER_TYPE_IPV6);
	if (dst->b[0] == 0xff) {
		tg_mcast_mac(dst->b, &eth->dst_addr);
		tg_net_txq_push(n, m);
		return TG_OK;
	}
	tg_arp_resolve_out(n, m, nh);
	return TG_OK;
}

bool tg_net6_is_nd(const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const uint8_t *msg;
	uint8_t proto;

	if (m->data_len < TG_ETH_LEN + TG_IP6_LEN + 1 ||
	    eth->ether_type != htons(RTE_ETHER_TYPE_IPV6))
		return false;
	/* past extension headers, as the placement reads it */
	msg = tg_ip6_l4(m, 1, &proto);
	return msg != NULL && proto == IPPROTO_ICMPV6 &&
	       (msg[0] == TG_ND_NS || msg[0] == TG_ND_NA);
}

uint16_t tg_net6_classify(const struct tg_net *n, const struct rte_mbuf *m)
{
	const struct rte_ipv6_hdr *ip;
	const uint8_t *l4;
	uint8_t proto;
	struct tg_net_addr a, b;

	if (m->data_len < TG_ETH_LEN + TG_IP6_LEN + 8)
		return n->queue;
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, TG_ETH_LEN);
	/* past extension headers to the ports (the owner strips them) */
	l4 = tg_ip6_l4(m, 8, &proto);
	if (l4 == NULL)
		return n->queue;
	if (proto == IPPROTO_ICMPV6) {
		if (l4[0] == TG_ND_NS || l4[0] == TG_ND_NA)
			return TG_NET_MAX_QUEUES;
		if ((l4[0] == TG_ICMP6_UNREACH || l4[0] == TG_ICMP6_TOO_BIG ||
		     l4[0] == TG_ICMP6_TIMXCEED) &&
		    m->data_len >= (uint32_t)(l4 - rte_pktmbuf_mtod(m, const uint8_t *)) +
				   8 + TG_IP6_LEN + 4 &&
		    (l4[8 + 6] == IPPROTO_TCP || l4[8 + 6] == IPPROTO_UDP)) {
			const uint8_t *q = l4 + 8;

			memcpy(a.b, q + 8, 16);
			memcpy(b.b, q + 24, 16);
			return tg_net_port_owner(n->port, &a, &b,
						 (uint16_t)((q[40] << 8) | q[41]),
						 (uint16_t)((q[42] << 8) | q[43]));
		}
		return n->queue;
	}
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return n->queue;
	memcpy(a.b, ip->src_addr, 16);
	memcpy(b.b, ip->dst_addr, 16);
	return tg_net_port_owner(n->port, &a, &b, (uint16_t)((l4[0] << 8) | l4[1]),
				 (uint16_t)((l4[2] << 8) | l4[3]));
}
