/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internals of dataplane/net shared by its files (not installed, not for
 * other modules).
 */
#ifndef TG_NET_INT_H
#define TG_NET_INT_H

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ip.h>
#include <rte_ring.h>

#include "tg_net.h"

#define TG_NET_RETA_MAX 512   /* largest redirection table we follow */
#define TG_NET_KEY_LEN 40     /* Toeplitz key bytes we hash with */
#define TG_NET_DISP_RING 2048 /* dispatch ring entries per instance */
#define TG_NET_TXQ 1024       /* frames an instance queues for transmit */
#define TG_NET_ARP_WAYS 8     /* ARP cache: ways per set */
#define TG_NET_ARP_PEND 4     /* packets waiting per unresolved address */
#define TG_NET_ARP_TRIES 3    /* requests before giving up */
#define TG_NET_ARP_RETRY_US 1000000u
#define TG_NET_IMP_QCAP 4096  /* packets the impairment layer holds */
#define TG_NET_TSO_SEGS 64   /* mbufs of a TSO frame at most (its headers' too) */
#define TG_NET_IMP_HELD 32    /* packets held back for reordering */

struct tg_net_port {
	uint16_t port_id;
	uint16_t n_queues;
	uint16_t mtu;
	struct rte_ether_addr mac;
	uint32_t ip4;          /* network order */
	uint32_t mask4;        /* network order */
	uint32_t gw4;          /* network order, 0: none */
	struct tg_net_addr addr;
	uint8_t prefix;
	bool has6;             /* IPv6 configured */
	struct tg_net_addr addr6;  /* global */
	struct tg_net_addr ll6;    /* link-local (fe80::/64 + EUI-64) */
	struct tg_net_addr gw6;    /* all zero: none */
	uint8_t prefix6;
	bool rss;              /* the device places flows */
	bool tx_ip_cksum;      /* offloads enabled */
	bool tx_l4_cksum;
	bool rx_cksum;         /* the device reports checksum status */
	uint32_t tx_chain_min; /* tg_net_tx_chain_min() */
	bool tso;              /* TCP segmentation offload, IPv4 */
	bool tso6;             /* and IPv6 */
	uint16_t tso_seg_mtu;  /* the largest IP packet of a segment */
	uint16_t tso_slices;   /* mbufs behind the headers at most */
	bool started;
	uint8_t key[TG_NET_KEY_LEN] __rte_aligned(4); /* rte_softrss reads it in 32-bit words */
	uint16_t reta_size;    /* entries in use (a power of two) */
	uint16_t reta[TG_NET_RETA_MAX];
	struct rte_ring *disp[TG_NET_MAX_QUEUES];
	struct tg_net *inst[TG_NET_MAX_QUEUES];
};

/* One direction of the impairment layer. */
struct tg_imp_pkt {
	struct rte_mbuf *m;
	uint64_t at;           /* release time (us) */
	uint32_t left;         /* reorder: packets still to pass it */
};

struct tg_imp {
	struct tg_net_impair c;
	bool on;
	uint64_t rng;
	uint64_t link_free;    /* rate limit: the link is busy until */
	struct tg_imp_pkt q[TG_NET_IMP_QCAP]; /* by release time */
	unsigned q_head, q_cnt;
	struct tg_imp_pkt held[TG_NET_IMP_HELD];
	unsigned n_held;
};

/* the neighbour cache (ARP for IPv4, NDP for IPv6), one per instance */
struct tg_arp_ent {
	struct tg_net_addr ip; /* v4-mapped or IPv6 */
	uint8_t state;         /* enum below */
	uint8_t tries;
	uint8_t n_pend;
	struct rte_ether_addr mac;
	uint64_t updated;      /* us: last confirmed */
	uint64_t next_try;     /* us: next request */
	struct rte_mbuf *pend[TG_NET_ARP_PEND];
};

enum { TG_ARP_FREE = 0, TG_ARP_INCOMPLETE, TG_ARP_REACHABLE, TG_ARP_STATIC };

struct tg_net_proto {
	tg_net_input_fn in;
	tg_net_err_fn err;
	void *ctx;
};

struct tg_net {
	struct tg_net_port *port;
	uint16_t queue;
	uint16_t port_id;
	struct rte_mempool *pool;
	uint64_t (*now_fn)(void *ctx);
	void *clock_ctx;
	uint64_t now;                  /* us, this round */
	uint64_t tsc_hz;
	unsigned pool_avail;
	uint64_t pool_at;              /* us: pool_avail read then */
	uint16_t ip_id;
	bool garp_due;
	uint64_t arp_timeout;          /* us */
	uint64_t next_arp_sweep;       /* us */
	struct tg_net_proto tcp, udp;
	struct tg_net_stats st;
	struct tg_imp *imp[2];         /* NULL: off */
	struct tg_arp_ent *arp;
	unsigned arp_sets;
	unsigned txq_head, txq_cnt;
	struct rte_mbuf *txq[TG_NET_TXQ];
};

/*
 * The Internet checksum (RFC 1071) over a buffer: 32-bit words summed in
 * a 64-bit accumulator, four at a time, then folded; the same value as
 * rte_raw_cksum() (native byte order) at several bytes a cycle, where
 * rte_raw_cksum() adds 16 bits at a time.
 */
static inline uint64_t tg_cksum_add_scalar(const void *buf, size_t len, uint64_t sum)
{
	const uint8_t *p = (const uint8_t *)buf;

	while (len >= 16) {
		uint32_t w[4];

		memcpy(w, p, 16);
		sum += (uint64_t)w[0] + w[1] + w[2] + w[3];
		p += 16;
		len -= 16;
	}
	while (len >= 4) {
		uint32_t w;

		memcpy(&w, p, 4);
		sum += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t h;

		memcpy(&h, p, 2);
		sum += h;
		p += 2;
		len -= 2;
	}
	if (len == 1) {
		uint16_t left = 0;

		*(uint8_t *)&left = *p;
		sum += left;
	}
	return sum;
}

/* cksum.c: tg_cksum_add_scalar(), with AVX2 where the CPU has it */
uint64_t tg_cksum_add_long(const void *buf, size_t len, uint64_t sum);

/* The raw sum of @p len bytes added to @p sum (not folded). */
static inline uint64_t tg_cksum_add(const void *buf, size_t len, uint64_t sum)
{
	if (len >= 256)
		return tg_cksum_add_long(buf, len, sum);
	return tg_cksum_add_scalar(buf, len, sum);
}

static inline uint16_t tg_cksum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)sum;
}

/* rte_raw_cksum(), faster */
static inline uint16_t tg_raw_cksum(const void *buf, size_t len)
{
	return tg_cksum_fold(tg_cksum_add(buf, len, 0));
}

/* RFC 9293 §3.1 / RFC 768: the IPv4 pseudo-header (addresses, protocol,
 * @p l4_len) added to @p sum; rte_ipv4_phdr_cksum() with ol_flags 0
 * adds the same 12 bytes 16 bits at a time in a loop */
static inline uint64_t tg_ip4_phdr_add(const struct rte_ipv4_hdr *ip, uint16_t l4_len,
				       uint64_t sum)
{
	return sum + ip->src_addr + ip->dst_addr +
	       rte_cpu_to_be_16((uint16_t)ip->next_proto_id) + rte_cpu_to_be_16(l4_len);
}

/* The L4 sum for tg_net_output_sum(): the first @p pre_off bytes from
 * @p off summed, @p pre added for the rest (@p pre_off >= @p len: all
 * of it summed here). */
static inline bool tg_l4_raw_cksum(const struct rte_mbuf *m, uint32_t off, uint32_t len,
				   uint32_t pre_off, uint64_t pre, uint16_t *out);

/* cksum.c: tg_raw_cksum_mbuf() over a chain of segments */
bool tg_raw_cksum_chain(const struct rte_mbuf *m, uint32_t off, uint32_t len,
			uint16_t *out);

/* The raw sum of @p len bytes of @p m from @p off (false: not there); a
 * chain (headers, then the send buffer's slices) summed segment by
 * segment, each with the fast sum */
static inline bool tg_raw_cksum_mbuf(const struct rte_mbuf *m, uint32_t off,
				     uint32_t len, uint16_t *out)
{
	if (off + len <= m->data_len) {
		*out = tg_raw_cksum(rte_pktmbuf_mtod_offset(m, const uint8_t *, off), len);
		return true;
	}
	return tg_raw_cksum_chain(m, off, len, out);
}

static inline bool tg_l4_raw_cksum(const struct rte_mbuf *m, uint32_t off, uint32_t len,
				   uint32_t pre_off, uint64_t pre, uint16_t *out)
{
	if (pre_off >= len)
		return tg_raw_cksum_mbuf(m, off, len, out);
	if (off + pre_off > m->data_len || (pre_off & 1))
		return false;
	*out = tg_cksum_fold(tg_cksum_add(rte_pktmbuf_mtod_offset(m, const uint8_t *, off),
					  pre_off, pre));
	return true;
}

/* arp.c: ARP and the neighbour cache both families share */
void tg_arp_input(struct tg_net *n, struct rte_mbuf *m, bool copy);
void tg_arp_resolve_out(struct tg_net *n, struct rte_mbuf *m,
			const struct tg_net_addr *nh);
/* a neighbour's link-layer address was heard: update the entry (and
 * send what waits for it); @p create: make one if there is none */
void tg_nb_learn(struct tg_net *n, const struct tg_net_addr *ip,
		 const struct rte_ether_addr *mac, bool create);
void tg_arp_sweep(struct tg_net *n);
void tg_arp_send(struct tg_net *n, uint16_t op, uint32_t tip,
		 const struct rte_ether_addr *tha);
void tg_arp_free_all(struct tg_net *n);

/* net.c */
void tg_net_txq_push(struct tg_net *n, struct rte_mbuf *m);
void tg_net_drop(struct rte_mbuf *m, uint64_t *counter);

/* net6.c: IPv6, ICMPv6, NDP */
void tg_ip6_input(struct tg_net *n, struct rte_mbuf *m, bool copy);
tg_result tg_net_output6(struct tg_net *n, struct rte_mbuf *m,
			 const struct tg_net_addr *dst, uint8_t proto,
			 uint32_t sum_off, uint64_t sum);
void tg_nd_send_ns(struct tg_net *n, const struct tg_net_addr *target);
void tg_nd_announce(struct tg_net *n);
bool tg_net6_mine(const struct tg_net_port *p, const uint8_t *a);
void tg_net6_port_init(struct tg_net_port *p);
/* the owner of an IPv6 frame (as tg_net_classify) */
uint16_t tg_net6_classify(const struct tg_net *n, const struct rte_mbuf *m);
/* an ICMPv6 neighbour solicitation or advertisement (copied to every
 * instance) */
bool tg_net6_is_nd(const struct rte_mbuf *m);

/* impair.c */
tg_result tg_imp_init(struct tg_imp **out, const struct tg_net_impair *c,
		      uint64_t seed);
/* Run @p cnt packets through @p s; due packets go to @p out (room for
 * @p cap); returns how many. Packets that do not fit stay queued. */
uint16_t tg_imp_run(struct tg_net *n, enum tg_net_dir d, struct rte_mbuf **in,
		    uint16_t cnt, struct rte_mbuf **out, uint16_t cap);
void tg_imp_free(struct tg_imp *s);

#endif
