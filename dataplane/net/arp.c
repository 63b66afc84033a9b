/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file arp.c
 * ARP (RFC 826) for one instance, and the neighbour cache IPv4 and IPv6
 * (net6.c, NDP) share: requests and replies, a set-associative
 * cache (8 ways per set, the least recently confirmed entry replaced)
 * with a timeout, packets waiting for an answer (four per address, the
 * address given up after three unanswered requests a second apart), and
 * the gratuitous announcement at start (RFC 5227 §2.3).
 */
#include <arpa/inet.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_ether.h>

#include "net_int.h"

#define TG_ARP_FRAME 60 /* minimum Ethernet frame without FCS */

static unsigned tg_arp_set(const struct tg_net *n, const struct tg_net_addr *ip)
{
	uint32_t a, b;

	memcpy(&a, &ip->b[12], 4);
	memcpy(&b, &ip->b[8], 4);
	return (unsigned)(((a ^ (b * 31u)) * 0x9E3779B1u) >> 7) % n->arp_sets;
}

static struct tg_arp_ent *tg_arp_find(const struct tg_net *n,
				      const struct tg_net_addr *ip)
{
	struct tg_arp_ent *s = &n->arp[tg_arp_set(n, ip) * TG_NET_ARP_WAYS];

	for (unsigned w = 0; w < TG_NET_ARP_WAYS; w++)
		if (s[w].state != TG_ARP_FREE && tg_net_addr_eq(&s[w].ip, ip))
			return &s[w];
	return NULL;
}

/* ask for @p ip: an ARP request or an NDP neighbour solicitation */
static void tg_nb_ask(struct tg_net *n, const struct tg_net_addr *ip)
{
	if (tg_net_addr_is_v4(ip))
		tg_arp_send(n, RTE_ARP_OP_REQUEST, tg_net_addr_v4(ip), NULL);
	else
		tg_nd_send_ns(n, ip);
}

static void tg_arp_drop_pending(struct tg_net *n, struct tg_arp_ent *e)
{
	for (unsigned i = 0; i < e->n_pend; i++) {
		rte_pktmbuf_free(e->pend[i]);
		n->st.arp_unresolved++;
	}
	e->n_pend = 0;
}

/* A way for @p ip: a free one, else the least recently confirmed entry
 * that is not static. NULL when the whole set is static. */
static struct tg_arp_ent *tg_arp_take(struct tg_net *n, const struct tg_net_addr *ip)
{
	struct tg_arp_ent *s = &n->arp[tg_arp_set(n, ip) * TG_NET_ARP_WAYS];
	struct tg_arp_ent *v = NULL;

	for (unsigned w = 0; w < TG_NET_ARP_WAYS; w++) {
		if (s[w].state == TG_ARP_FREE) {
			v = &s[w];
			break;
		}
		if (s[w].state != TG_ARP_STATIC && (v == NULL || s[w].updated < v->updated))
			v = &s[w];
	}
	if (v == NULL)
		return NULL;
	tg_arp_drop_pending(n, v);
	memset(v, 0, sizeof(*v));
	v->ip = *ip;
	return v;
}

void tg_arp_send(struct tg_net *n, uint16_t op, uint32_t tip,
		 const struct rte_ether_addr *tha)
{
	struct rte_mbuf *m = tg_net_alloc(n);
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *a;

	if (m == NULL)
		return;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, TG_ARP_FRAME);
	if (eth == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	memset(eth, 0, TG_ARP_FRAME);
	a = (struct rte_arp_hdr *)(eth + 1);
	if (op == RTE_ARP_OP_REPLY && tha != NULL)
		rte_ether_addr_copy(tha, &eth->dst_addr);
	else
		memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
	rte_ether_addr_copy(&n->port->mac, &eth->src_addr);
	eth->ether_type = htons(RTE_ETHER_TYPE_ARP);
	a->arp_hardware = htons(RTE_ARP_HRD_ETHER);
	a->arp_protocol = htons(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = RTE_ETHER_ADDR_LEN;
	a->arp_plen = 4;
	a->arp_opcode = htons(op);
	rte_ether_addr_copy(&n->port->mac, &a->arp_data.arp_sha);
	a->arp_data.arp_sip = n->port->ip4;
	if (op == RTE_ARP_OP_REPLY && tha != NULL)
		rte_ether_addr_copy(tha, &a->arp_data.arp_tha);
	a->arp_data.arp_tip = tip;
	n->st.arp_tx++;
	tg_net_txq_push(n, m);
}

static void tg_arp_release(struct tg_net *n, struct tg_arp_ent *e)
{
	for (unsigned i = 0; i < e->n_pend; i++) {
		struct rte_ether_hdr *eth =
			rte_pktmbuf_mtod(e->pend[i], struct rte_ether_hdr *);

		rte_ether_addr_copy(&e->mac, &eth->dst_addr);
		tg_net_txq_push(n, e->pend[i]);
	}
	e->n_pend = 0;
}

void tg_arp_resolve_out(struct tg_net *n, struct rte_mbuf *m,
			const struct tg_net_addr *nh)
{
	struct tg_arp_ent *e = tg_arp_find(n, nh);
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	if (e != NULL && (e->state == TG_ARP_REACHABLE || e->state == TG_ARP_STATIC)) {
		rte_ether_addr_copy(&e->mac, &eth->dst_addr);
		tg_net_txq_push(n, m);
		/* stale: keep using it, ask again (at most once a second) */
		if (e->state == TG_ARP_REACHABLE && n->now - e->updated > n->arp_timeout &&
		    n->now >= e->next_try) {
			e->next_try = n->now + TG_NET_ARP_RETRY_US;
			tg_nb_ask(n, nh);
		}
		return;
	}
	if (e == NULL) {
		e = tg_arp_take(n, nh);
		if (e == NULL) {
			n->st.arp_queue_drop++;
			rte_pktmbuf_free(m);
			return;
		}
		e->state = TG_ARP_INCOMPLETE;
		e->updated = n->now;
		e->next_try = n->now;
	}
	if (e->n_pend == TG_NET_ARP_PEND) {
		n->st.arp_queue_drop++;
		rte_pktmbuf_free(m);
	} else {
		e->pend[e->n_pend++] = m;
	}
	if (n->now >= e->next_try && e->tries < TG_NET_ARP_TRIES) {
		e->tries++;
		e->next_try = n->now + TG_NET_ARP_RETRY_US;
		tg_nb_ask(n, nh);
	}
}

void tg_arp_sweep(struct tg_net *n)
{
	for (unsigned i = 0; i < n->arp_sets * TG_NET_ARP_WAYS; i++) {
		struct tg_arp_ent *e = &n->arp[i];

		if (e->state == TG_ARP_INCOMPLETE && n->now >= e->next_try) {
			if (e->tries >= TG_NET_ARP_TRIES) {
				tg_arp_drop_pending(n, e);
				e->state = TG_ARP_FREE;
				continue;
			}
			e->tries++;
			e->next_try = n->now + TG_NET_ARP_RETRY_US;
			tg_nb_ask(n, &e->ip);
		} else if (e->state == TG_ARP_REACHABLE &&
			   n->now - e->updated >
				   n->arp_timeout + TG_NET_ARP_TRIES * TG_NET_ARP_RETRY_US) {
			/* asked again and nobody answered */
			e->state = TG_ARP_FREE;
		}
	}
}

void tg_arp_free_all(struct tg_net *n)
{
	for (unsigned i = 0; i < n->arp_sets * TG_NET_ARP_WAYS; i++) {
		struct tg_arp_ent *e = &n->arp[i];

		for (unsigned k = 0; k < e->n_pend; k++)
			rte_pktmbuf_free(e->pend[k]);
		e->n_pend = 0;
	}
}

void tg_arp_input(struct tg_net *n, struct rte_mbuf *m, bool copy)
{
	const struct rte_arp_hdr *a;
	struct rte_ether_addr sha;
	uint32_t spa, tpa;
	uint16_t op;

	if (m->data_len < sizeof(struct rte_ether_hdr) + sizeof(*a)) {
		n->st.rx_malformed++;
		rte_pktmbuf_free(m);
		return;
	}
	a = rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *,
				    sizeof(struct rte_ether_hdr));
	op = ntohs(a->arp_opcode);
	/* RFC 826: Ethernet hardware, IPv4 protocol, their lengths */
	if (ntohs(a->arp_hardware) != RTE_ARP_HRD_ETHER ||
	    ntohs(a->arp_protocol) != RTE_ETHER_TYPE_IPV4 ||
	    a->arp_hlen != RTE_ETHER_ADDR_LEN || a->arp_plen != 4 ||
	    (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY)) {
		n->st.rx_malformed++;
		rte_pktmbuf_free(m);
		return;
	}
	n->st.arp_rx++;
	rte_ether_addr_copy(&a->arp_data.arp_sha, &sha);
	spa = a->arp_data.arp_sip;
	tpa = a->arp_data.arp_tip;
	rte_pktmbuf_free(m);
	if (rte_is_same_ether_addr(&sha, &n->port->mac) ||
	    !rte_is_unicast_ether_addr(&sha))
		return;
	if (spa == n->port->ip4) {
		/* RFC 5227 §2.4: a conflict; we keep our address */
		n->st.arp_conflict++;
		return;
	}
	/* RFC 826 "merge": update what we already have; add the sender
	 * when we are the target */
	if (spa != 0) {
		struct tg_net_addr a;

		tg_net_addr_set_v4(&a, spa);
		tg_nb_learn(n, &a, &sha, tpa == n->port->ip4);
	}
	if (tpa != n->port->ip4)
		return;
	if (op == RTE_ARP_OP_REQUEST && !copy)
		tg_arp_send(n, RTE_ARP_OP_REPLY, spa, &sha);
}

void tg_nb_learn(struct tg_net *n, const struct tg_net_addr *ip,
		 const struct rte_ether_addr *mac, bool create)
{
	struct tg_arp_ent *e = tg_arp_find(n, ip);

	if (e != NULL && e->state == TG_ARP_STATIC)
		return;
	if (e == NULL && (!create || (e = tg_arp_take(n, ip)) == NULL))
		return;
	rte_ether_addr_copy(mac, &e->mac);
	e->state = TG_ARP_REACHABLE;
	e->updated = n->now;
	e->tries = 0;
	e->next_try = 0;
	n->st.arp_learn++;
	tg_arp_release(n, e);
}

tg_result tg_net_arp_add(struct tg_net *n, const struct tg_net_addr *ip,
			 const uint8_t mac[6])
{
	struct tg_arp_ent *e;

	TG_ENSURE(n != NULL && ip != NULL && mac != NULL, TG_E_INVAL);
	e = tg_arp_find(n, ip);
	if (e == NULL)
		e = tg_arp_take(n, ip);
	TG_ENSURE(e != NULL, TG_E_NOSPACE);
	memcpy(e->mac.addr_bytes, mac, 6);
	e->state = TG_ARP_STATIC;
	e->updated = n->now;
	tg_arp_release(n, e);
	return TG_OK;
}

bool tg_net_arp_lookup(const struct tg_net *n, const struct tg_net_addr *ip,
		       uint8_t mac[6])
{
	const struct tg_arp_ent *e;

	e = tg_arp_find(n, ip);
	if (e == NULL || (e->state != TG_ARP_REACHABLE && e->state != TG_ARP_STATIC))
		return false;
	if (mac != NULL)
		memcpy(mac, e->mac.addr_bytes, 6);
	return true;
}
