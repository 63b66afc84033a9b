/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_net.h
 * The DPDK poll-mode network path (dataplane/net): ports on any ethdev,
 * Ethernet, ARP, IPv4 and ICMP, software dispatch of flows to the lcore
 * that owns them, and a seeded impairment layer for tests.
 *
 * Ownership: a port (struct tg_net_port) is set up once and is read-only
 * afterwards; it has one rx/tx queue pair per stack instance. A stack
 * instance (struct tg_net) belongs to one thread (its lcore): it polls
 * its own queue, owns its ARP cache, its transmit queue, its clock and
 * its impairment state, and is touched by nothing else. The only object
 * instances share is each instance's dispatch ring (multi-producer,
 * single consumer): where the port cannot place flows by RSS, an
 * instance that receives a packet of a flow another instance owns hands
 * it over on the owner's ring, and ARP packets are copied to every
 * instance so that each cache learns.
 *
 * Flow placement: tg_net_port_owner() hashes a flow's addresses and ports
 * with a symmetric Toeplitz key (both directions of a flow give the same
 * hash) and looks the hash up in the port's redirection table. Where the
 * port does RSS, the table and key are programmed into it, so packets
 * arrive at their owner; elsewhere the same function drives the software
 * dispatch. Connections opened by the upper layer pick a source port
 * whose hash maps back to the opening instance.
 *
 * Addresses: IPv4 addresses are kept as v4-mapped IPv6 addresses
 * (\::ffff:a.b.c.d, struct tg_net_addr), so the upper layers have one
 * address type.
 *
 * IPv4 never fragments (DF is set on every packet; the upper layer sizes
 * its segments to the MTU); received fragments are dropped and counted
 * (RFC 791 reassembly is not done).
 *
 * Buffers: every instance allocates from its own mempool (one per lcore,
 * sized at start); nothing on the fast path calls malloc.
 */
#ifndef TG_NET_H
#define TG_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tg_result.h"

struct rte_mbuf;
struct rte_mempool;
struct tg_net;
struct tg_net_port;

/** Most stack instances (queue pairs) one port serves. */
#define TG_NET_MAX_QUEUES 16
/** Packets taken from a queue per poll. */
#define TG_NET_BURST 32
/** Headroom the upper layer leaves for the IPv4/IPv6 and Ethernet headers. */
#define TG_NET_HDR_ROOM (14 + 40)

/** An IP address; IPv4 as v4-mapped IPv6 (\::ffff:a.b.c.d). */
struct tg_net_addr {
	uint8_t b[16]; /**< network byte order */
};

/**
 * @param a      the address to set
 * @param v4_be  an IPv4 address in network byte order
 */
static inline void tg_net_addr_set_v4(struct tg_net_addr *a, uint32_t v4_be)
{
	for (int i = 0; i < 10; i++)
		a->b[i] = 0;
	a->b[10] = 0xff;
	a->b[11] = 0xff;
	__builtin_memcpy(&a->b[12], &v4_be, 4);
}

/**
 * @param a  an address
 * @return true when @p a is a v4-mapped (IPv4) address
 */
static inline bool tg_net_addr_is_v4(const struct tg_net_addr *a)
{
	static const uint8_t pre[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return __builtin_memcmp(a->b, pre, 12) == 0;
}

/**
 * @param a  a v4-mapped address
 * @return its IPv4 address in network byte order
 */
static inline uint32_t tg_net_addr_v4(const struct tg_net_addr *a)
{
	uint32_t v;

	__builtin_memcpy(&v, &a->b[12], 4);
	return v;
}

/**
 * @param a  an address
 * @param b  another
 * @return true when they are the same
 */
static inline bool tg_net_addr_eq(const struct tg_net_addr *a,
				  const struct tg_net_addr *b)
{
	return __builtin_memcmp(a->b, b->b, 16) == 0;
}

/**
 * Parse a numeric IPv4 ("198.18.0.1") or IPv6 address.
 * @param s    the text
 * @param out  the address
 * @return TG_OK, TG_E_INVAL when @p s is not an address
 */
TG_MUST_CHECK tg_result tg_net_addr_parse(const char *s, struct tg_net_addr *out);

/**
 * Write @p a as text (dotted quad for IPv4).
 * @param a    an address
 * @param buf  where to write
 * @param n    its size (46 is always enough)
 * @return @p buf
 */
char *tg_net_addr_str(const struct tg_net_addr *a, char *buf, size_t n);

/* ---- impairment --------------------------------------------------------------- */

/** The two directions the impairment layer works on. */
enum tg_net_dir {
	TG_NET_RX = 0, /**< packets received from the port */
	TG_NET_TX = 1, /**< packets sent to the port */
};

/** Impairment of one direction; all zero: none. Rates in parts per million. */
struct tg_net_impair {
	uint32_t loss_ppm;    /**< packets dropped */
	uint32_t dup_ppm;     /**< packets sent twice */
	uint32_t reorder_ppm; /**< packets held back behind later ones */
	uint32_t reorder_gap; /**< how many packets pass a held one (0 = 3) */
	uint32_t corrupt_ppm; /**< packets with one bit flipped */
	uint32_t delay_us;    /**< fixed delay */
	uint32_t jitter_us;   /**< extra delay, uniform in 0..jitter_us */
	uint64_t rate_bps;    /**< bits per second (0 = unlimited); a packet
				   that would wait over 100 ms is dropped */
};

/**
 * The impairment layer of one stack instance: a seed and both directions.
 * The decisions for the n-th packet of a direction depend only on the
 * seed, the instance's queue and n, so a run replays exactly; delays and
 * the rate limit follow the instance's clock (a stepped clock in tests).
 */
struct tg_net_impair_conf {
	uint64_t seed;                  /**< PRNG seed */
	struct tg_net_impair dir[2];    /**< by enum tg_net_dir */
};

/**
 * Parse an impairment spec: comma-separated `key=value`, a key optionally
 * prefixed with `rx.` or `tx.` (else it sets both directions). Keys: seed,
 * loss, dup, reorder (percent, "1%" or "0.5"), gap (packets), corrupt
 * (percent), delay, jitter ("5ms", "200us"), rate ("100m", "1g", bits/s).
 * Example: `seed=7,loss=1%,reorder=0.5%,tx.delay=2ms`.
 * @param spec  the text
 * @param out   the configuration (zeroed first)
 * @return TG_OK, TG_E_INVAL on an unknown key or a bad value
 */
TG_MUST_CHECK tg_result tg_net_impair_parse(const char *spec,
					    struct tg_net_impair_conf *out);

/**
 * @param c  a configuration
 * @return true when it impairs anything
 */
bool tg_net_impair_active(const struct tg_net_impair_conf *c);

/* ---- ports ------------------------------------------------------------------------ */

/** How to set up a port. */
struct tg_net_port_conf {
	uint16_t port_id;       /**< an ethdev port (probed, not started) */
	uint16_t n_queues;      /**< stack instances on it (1..TG_NET_MAX_QUEUES) */
	struct rte_mempool *pools[TG_NET_MAX_QUEUES]; /**< rx pool of each queue:
							  its instance's pool */
	struct tg_net_addr addr; /**< our IPv4 address (v4-mapped) */
	uint8_t prefix;         /**< its prefix length (1..32) */
	struct tg_net_addr gateway; /**< next hop off the prefix (all zero: none) */
	struct tg_net_addr addr6; /**< our global IPv6 address (all zero: no
				       IPv6); the link-local one is derived
				       from the MAC (EUI-64) */
	uint8_t prefix6;        /**< its prefix length (1..128) */
	struct tg_net_addr gateway6; /**< IPv6 next hop off the prefix (all
					  zero: none) */
	uint16_t mtu;           /**< 0: the port's current MTU */
	uint16_t nb_rxd;        /**< rx descriptors per queue (0: 1024) */
	uint16_t nb_txd;        /**< tx descriptors per queue (0: 1024) */
	uint8_t mac[6];         /**< our Ethernet address when @ref set_mac */
	bool set_mac;           /**< use @ref mac (the device is told if it
				     can be; a device that cannot, such as
				     net_ring, passes every frame anyway); a
				     device without an address gets a random
				     locally administered one */
	bool no_offloads;       /**< compute checksums in software even where
				     the port offloads them */
	bool no_rss;            /**< dispatch in software even where the port
				     has RSS */
	bool no_tso;            /**< no TCP segmentation offload even where
				     the port has it (TCP sends one segment
				     a frame); @ref no_offloads turns it off
				     too */
	uint32_t tx_chain_min;  /**< the smallest TCP payload sent as slices of
				     the send buffer chained behind the
				     headers (no copy), where the port takes
				     chains; 0: @ref TG_NET_TX_CHAIN_MIN,
				     UINT32_MAX: always copied */
};

/**
 * The default of tg_net_port_conf::tx_chain_min. On net_memif (copy
 * mode, DPDK 22.11, MTU 1500) a segment of 1448 bytes costs about 8 %
 * more as slices (two or three mbufs, their references, memif walking
 * the chain) than copied behind its headers (bench/RESULTS.md, "TCP
 * segments without a copy"): only larger payloads (a larger MTU) go as
 * slices by default.
 */
#define TG_NET_TX_CHAIN_MIN 4096u

/**
 * Configure and start a port: offloads it has (checksums), RSS with the
 * symmetric key and our redirection table where it has RSS and more than
 * one queue, one rx/tx queue pair per instance, the dispatch rings.
 * @param conf  the settings (copied)
 * @param out   the port
 * @return TG_OK; TG_E_INVAL for bad settings (queues, prefix, pools);
 *         TG_E_IO when the device refuses (its message is logged);
 *         TG_E_NOMEM
 */
TG_MUST_CHECK tg_result tg_net_port_start(const struct tg_net_port_conf *conf,
					  struct tg_net_port **out);

/**
 * Stop the device and free the port. Its instances must be freed first,
 * and no lcore may poll it any more (rte_eal_wait_lcore). The device is
 * stopped on the EAL's interrupt thread (tg_eal_ctrl_run), one after the
 * other with the driver's own work there: net_memif handles a peer's
 * disconnect on that thread, and stopping one of a connected pair from
 * another thread raced with it. The device stays open (it may be started
 * again); tg_eal_stop() closes it. The order at the end of a program: join
 * the lcores, free the stacks (tg_tcp_free, tg_net_free) of every port,
 * stop the ports, tg_eal_stop().
 * @param p  a port (NULL is a no-op)
 */
void tg_net_port_stop(struct tg_net_port *p);

/**
 * The instance (queue) that owns a flow: the symmetric Toeplitz hash of
 * its addresses and ports through the port's redirection table. The same
 * for both directions of the flow.
 * @param p      a port
 * @param a      one end's address
 * @param b      the other end's address
 * @param aport  one end's port (host order)
 * @param bport  the other end's port (host order)
 * @return the owning queue, 0 .. queues - 1
 */
uint16_t tg_net_port_owner(const struct tg_net_port *p,
			   const struct tg_net_addr *a,
			   const struct tg_net_addr *b, uint16_t aport,
			   uint16_t bport);

/**
 * @param p  a port
 * @return true when the device itself places flows (RSS programmed)
 */
bool tg_net_port_rss(const struct tg_net_port *p);

/**
 * @param p  a port
 * @return its number of queues (instances)
 */
uint16_t tg_net_port_queues(const struct tg_net_port *p);

/**
 * @param p    a port
 * @param mac  its six-byte Ethernet address (out)
 */
void tg_net_port_mac(const struct tg_net_port *p, uint8_t mac[6]);

/**
 * Create a packet pool for one instance, sized to hold frames of @p mtu.
 * Its memory is touched once here, so that no page fault happens on the
 * fast path (without hugepages it is ordinary anonymous memory).
 * @param name     a unique name
 * @param n        how many mbufs
 * @param mtu      the port's MTU (0: 1500)
 * @param socket   NUMA socket (-1: any)
 * @return the pool, or NULL (logged)
 */
struct rte_mempool *tg_net_pool_create(const char *name, unsigned n,
				       uint16_t mtu, int socket);

/* ---- stack instances ------------------------------------------------------------ */

/** An instance's counters. */
struct tg_net_stats {
	uint64_t rx_pkts;          /**< taken from the port (after rx impairment) */
	uint64_t rx_bytes;         /**< their bytes */
	uint64_t tx_pkts;          /**< given to the port */
	uint64_t tx_bytes;         /**< their bytes */
	uint64_t rx_not_ours;      /**< other MAC or IP address */
	uint64_t rx_own;           /**< our own source MAC (a loop) */
	uint64_t rx_malformed;     /**< too short, bad header or lengths */
	uint64_t rx_bad_cksum;     /**< IPv4 header or L4 checksum wrong */
	uint64_t rx_frag;          /**< IPv4 fragments (dropped) */
	uint64_t rx_unknown;       /**< EtherType or protocol we do not serve */
	uint64_t arp_rx;           /**< ARP packets handled */
	uint64_t nd_rx;            /**< NDP solicitations and advertisements handled */
	uint64_t nd_tx;            /**< NDP messages sent */
	uint64_t arp_tx;           /**< ARP packets sent */
	uint64_t arp_learn;        /**< cache entries added or updated */
	uint64_t arp_conflict;     /**< someone else claims our address */
	uint64_t arp_unresolved;   /**< packets dropped: no answer to ARP */
	uint64_t arp_queue_drop;   /**< packets dropped: too many await ARP */
	uint64_t no_route;         /**< off-prefix destination, no gateway */
	uint64_t icmp_echo_rx;     /**< echo requests answered */
	uint64_t icmp_echo_reply_rx; /**< echo replies received */
	uint64_t icmp_err_rx;      /**< ICMP errors passed to their protocol */
	uint64_t icmp_other;       /**< other ICMP (dropped) */
	uint64_t disp_out;         /**< packets handed to their owner */
	uint64_t disp_in;          /**< packets taken from our dispatch ring */
	uint64_t disp_drop;        /**< an owner's ring was full */
	uint64_t tx_drop;          /**< transmit queue full */
	uint64_t no_mbuf;          /**< the pool was empty */
	uint64_t imp_drop[2];      /**< impairment: lost, by direction */
	uint64_t imp_dup[2];       /**< impairment: duplicated */
	uint64_t imp_reorder[2];   /**< impairment: held back */
	uint64_t imp_corrupt[2];   /**< impairment: a bit flipped */
	uint64_t imp_delayed[2];   /**< impairment: delayed (delay or rate) */
	uint64_t imp_rate_drop[2]; /**< impairment: over the rate's queue */
	uint16_t last_echo_id;     /**< identifier of the last echo reply */
	uint16_t last_echo_seq;    /**< its sequence number */
};

/** What an instance needs. */
struct tg_net_conf {
	struct tg_net_port *port;  /**< its port (started) */
	uint16_t queue;            /**< its queue on the port */
	struct rte_mempool *pool;  /**< its packet pool (the queue's rx pool) */
	/** Clock in microseconds (NULL: the TSC); tests step it. */
	uint64_t (*now_us)(void *ctx);
	void *clock_ctx;           /**< given to now_us */
	const struct tg_net_impair_conf *impair; /**< NULL: none (copied) */
	unsigned arp_entries;      /**< ARP cache size (0: 256; rounded up
				        to a multiple of 8) */
	unsigned arp_timeout_ms;   /**< an entry is refreshed after (0: 60000) */
	bool no_garp;              /**< no gratuitous ARP at start */
};

/** A received packet as the upper layer sees it (from tg_net's parse). */
struct tg_net_rx {
	struct tg_net_addr src;  /**< sender */
	struct tg_net_addr dst;  /**< us */
	uint16_t l4_off;         /**< offset of the L4 header in the packet */
	uint16_t l4_len;         /**< L4 header and payload, in bytes */
	uint8_t ttl;             /**< IPv4 TTL / IPv6 hop limit */
};

/**
 * An ICMP error (destination unreachable, time exceeded, packet too big)
 * about a packet we sent, for its protocol.
 */
struct tg_net_icmp_err {
	uint8_t type;            /**< ICMP type */
	uint8_t code;            /**< ICMP code */
	uint16_t mtu;            /**< next-hop MTU of "fragmentation needed"
				      (RFC 1191) or "packet too big" (RFC 8201),
				      else 0 */
	bool too_big;            /**< the path MTU is @ref mtu */
	bool hard;               /**< port or protocol unreachable (RFC 1122
				      §4.2.3.9: ends a connection attempt) */
	struct tg_net_addr src;  /**< our address in the quoted packet */
	struct tg_net_addr dst;  /**< the destination of the quoted packet */
	const uint8_t *l4;       /**< the quoted L4 header's first bytes */
	uint16_t l4_len;         /**< how many (at least 8) */
};

/**
 * A protocol's input: @p m is the whole packet (Ethernet header first),
 * its L3 checksum and (for TCP and UDP) its L4 checksum verified. The
 * function owns @p m.
 */
typedef void (*tg_net_input_fn)(void *ctx, struct rte_mbuf *m,
				const struct tg_net_rx *rx);

/** A protocol's ICMP error input (nothing to free). */
typedef void (*tg_net_err_fn)(void *ctx, const struct tg_net_icmp_err *e);

/**
 * Create an instance on its port and queue. The instance of queue 0 sends
 * a gratuitous ARP (RFC 5227 announcement) at its first flush.
 * @param conf  the settings (copied)
 * @param out   the instance
 * @return TG_OK, TG_E_INVAL (no port, queue out of range or taken, no
 *         pool), TG_E_NOMEM
 */
TG_MUST_CHECK tg_result tg_net_new(const struct tg_net_conf *conf,
				   struct tg_net **out);

/**
 * Free an instance: packets it holds (transmit queue, ARP queue, delayed
 * by impairment) are freed, its dispatch ring drained.
 * @param n  an instance (NULL is a no-op)
 */
void tg_net_free(struct tg_net *n);

/**
 * Register a protocol's input and ICMP error input.
 * @param n      an instance
 * @param proto  IPPROTO_TCP or IPPROTO_UDP
 * @param in     its input (NULL: the protocol's packets are dropped)
 * @param err    its ICMP error input (NULL: none)
 * @param ctx    given to both
 */
void tg_net_set_proto(struct tg_net *n, uint8_t proto, tg_net_input_fn in,
		      tg_net_err_fn err, void *ctx);

/**
 * One receive round: read the clock, take a burst from the queue and the
 * dispatch ring (through the rx impairment), hand other instances' flows
 * to them, answer ARP and ICMP echo, pass the rest to the protocols.
 * @param n  an instance
 * @return packets handled (0: idle)
 */
unsigned tg_net_poll(struct tg_net *n);

/**
 * Send what is queued (through the tx impairment); what the device does
 * not take now stays queued for the next flush.
 * @param n  an instance
 */
void tg_net_flush(struct tg_net *n);

/**
 * @param n  an instance
 * @return true when frames wait in its queue for the device (a flush
 *         found the device's ring full): the owner has work to retry
 */
bool tg_net_tx_pending(const struct tg_net *n);

/**
 * Take packets as if received from the port (no rx impairment, no
 * dispatch): for tests and the fuzzer. Takes ownership of each packet.
 * @param n    an instance
 * @param m    packets (Ethernet frames)
 * @param cnt  how many
 */
void tg_net_inject(struct tg_net *n, struct rte_mbuf **m, uint16_t cnt);

/**
 * @param n  an instance
 * @return the time of its current round, in microseconds
 */
uint64_t tg_net_now_us(const struct tg_net *n);

/**
 * Read the clock again (between rounds: a caller that stepped it).
 * @param n  an instance
 * @return the time now, in microseconds
 */
uint64_t tg_net_clock(struct tg_net *n);

/**
 * A packet for the upper layer to fill from its data start: the headroom
 * takes the IP and Ethernet headers.
 * @param n  an instance
 * @return an mbuf, or NULL when the pool is empty (counted)
 */
struct rte_mbuf *tg_net_alloc(struct tg_net *n);

/**
 * Send an L4 packet: @p m holds the L4 header and payload. Adds the IPv4
 * header (DF set, never fragmented) or the IPv6 header (RFC 8200, no
 * extension headers), computes the L4 checksum (TCP, UDP, ICMPv6) or has
 * the port do it, resolves the next hop (ARP or NDP; the packet waits
 * for the answer, up to four per address) and queues the frame.
 * @param n      an instance
 * @param m      the packet (ownership passes, on failure too)
 * @param dst    destination
 * @param proto  IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP or IPPROTO_ICMPV6
 * @return TG_OK (queued or waiting for the neighbour); TG_E_INVAL (IPv6
 *         without an IPv6 address, too large for the MTU); TG_E_IO (no
 *         route); the packet is freed on failure
 */
TG_MUST_CHECK tg_result tg_net_output(struct tg_net *n, struct rte_mbuf *m,
				      const struct tg_net_addr *dst,
				      uint8_t proto);

/**
 * Send an ICMP echo request (RFC 792; ICMPv6, RFC 4443, to an IPv6
 * address) with @p len bytes of payload.
 * Replies are counted (icmp_echo_reply_rx, last_echo_id/seq).
 * @param n    an instance
 * @param dst  destination
 * @param id   identifier
 * @param seq  sequence number
 * @param len  payload bytes (up to the MTU)
 * @return as tg_net_output(); TG_E_NOMEM when the pool is empty
 */
TG_MUST_CHECK tg_result tg_net_ping(struct tg_net *n,
				    const struct tg_net_addr *dst, uint16_t id,
				    uint16_t seq, uint16_t len);

/**
 * Add a static neighbour entry, ARP or NDP (never times out, never
 * replaced).
 * @param n    an instance
 * @param ip   an IPv4 (v4-mapped) or IPv6 address
 * @param mac  its Ethernet address
 * @return TG_OK, TG_E_INVAL, TG_E_NOSPACE (its set is all static)
 */
TG_MUST_CHECK tg_result tg_net_arp_add(struct tg_net *n,
				       const struct tg_net_addr *ip,
				       const uint8_t mac[6]);

/**
 * @param n    an instance
 * @param ip   an IPv4 (v4-mapped) or IPv6 address
 * @param mac  its Ethernet address, when known (out; may be NULL)
 * @return true when the cache has a usable entry
 */
bool tg_net_arp_lookup(const struct tg_net *n, const struct tg_net_addr *ip,
		       uint8_t mac[6]);

/**
 * @param n  an instance
 * @return its counters
 */
const struct tg_net_stats *tg_net_stats(const struct tg_net *n);

/**
 * @param n  an instance
 * @return its port
 */
struct tg_net_port *tg_net_port(const struct tg_net *n);

/**
 * @param n  an instance
 * @return its queue on the port
 */
uint16_t tg_net_queue(const struct tg_net *n);

/**
 * @param n  an instance
 * @return our address on its port
 */
const struct tg_net_addr *tg_net_local(const struct tg_net *n);

/**
 * @param n  an instance
 * @return our global IPv6 address, or NULL without IPv6
 */
const struct tg_net_addr *tg_net_local6(const struct tg_net *n);

/**
 * @param n  an instance
 * @param a  an address
 * @return true when @p a is one of ours (IPv4, IPv6 global or link-local)
 */
bool tg_net_is_local(const struct tg_net *n, const struct tg_net_addr *a);

/**
 * The source address for a destination (RFC 6724 in short: our IPv4
 * address, our link-local address for a link-local destination, else our
 * global IPv6 address).
 * @param n    an instance
 * @param dst  a destination
 * @return the address, or NULL (IPv6 destination, no IPv6)
 */
const struct tg_net_addr *tg_net_src_for(const struct tg_net *n,
					 const struct tg_net_addr *dst);

/**
 * @param n  an instance
 * @return its port's MTU
 */
uint16_t tg_net_mtu(const struct tg_net *n);

/**
 * @param n  an instance
 * @return its packet pool
 */
struct rte_mempool *tg_net_pool(const struct tg_net *n);

/**
 * Free mbufs in the instance's pool, as read at the start of its round
 * (the upper layer closes receive windows when it runs low).
 * @param n  an instance
 * @return the count
 */
unsigned tg_net_pool_avail(const struct tg_net *n);

/**
 * Copy @p len bytes and sum them in the same pass: the raw (unfolded)
 * one's-complement sum of the bytes as 16-bit words in network order
 * from @p src (an odd @p len: the last byte the first of a word), added
 * to @p sum. For tg_net_output_sum().
 * @param dst  where to
 * @param src  from
 * @param len  bytes
 * @param sum  a sum to add to (0)
 * @return the sum
 */
uint64_t tg_net_cksum_copy(void *dst, const void *src, size_t len, uint64_t sum);

/**
 * tg_net_output() for a packet whose L4 bytes from @p sum_off on were
 * summed as they were written (tg_net_cksum_copy()): a software
 * checksum sums only the first @p sum_off bytes (the L4 header; in the
 * first segment, an even count) and adds @p sum. A port that computes
 * checksums ignores it.
 * @param n        an instance
 * @param m        the packet (ownership passes, on failure too)
 * @param dst      destination
 * @param proto    IPPROTO_TCP or IPPROTO_UDP
 * @param sum_off  where the bytes @p sum covers start (to the end)
 * @param sum      their raw sum (not folded)
 * @return as tg_net_output()
 */
TG_MUST_CHECK tg_result tg_net_output_sum(struct tg_net *n, struct rte_mbuf *m,
					  const struct tg_net_addr *dst, uint8_t proto,
					  uint32_t sum_off, uint64_t sum);

/**
 * The smallest payload the upper layer sends as an mbuf chain (headers,
 * then indirect mbufs on the payload's buffers) on the instance's port;
 * smaller ones it copies behind the headers, in one flat segment.
 * @param n  an instance
 * @return bytes; UINT32_MAX where the port takes no chains
 */
uint32_t tg_net_tx_chain_min(const struct tg_net *n);

/** What a TCP frame sent for segmentation by the port may be. */
struct tg_net_tso {
	uint32_t max;     /**< TCP payload bytes of one frame at most */
	uint16_t seg;     /**< payload bytes of one of its segments at most
			       (the device's segment fits the MTU) */
	uint16_t slices;  /**< mbufs chained behind its headers at most */
};

/**
 * TCP segmentation offload (issue 17) on the instance's port, for a frame
 * to an address of the family @p v6 with @p l4_hdr bytes of TCP header:
 * the frame is one mbuf chain (headers, then the payload's slices) with
 * RTE_MBUF_F_TX_TCP_SEG, tso_segsz and l4_len set, which
 * tg_net_output_sum() completes (IP length, the flags, the pseudo-header
 * sum without the length, as DPDK asks) and the device cuts into
 * segments. Never while the instance's tx impairment is on: it decides
 * the fate of each packet on the wire, and a frame of many segments
 * would be lost, delayed or corrupted as one (a corrupted frame even
 * summed by the device after the bit flipped, so no checksum would
 * catch it).
 * @param n       an instance
 * @param v6      an IPv6 destination
 * @param l4_hdr  TCP header bytes with options
 * @param out     the limits
 * @return false: no TSO (the port has none, not for this family, turned
 *         off, or the tx impairment is on)
 */
bool tg_net_tso(const struct tg_net *n, bool v6, uint32_t l4_hdr,
		struct tg_net_tso *out);

/**
 * For tests: make a started port act as if it had TSO for both families
 * (net_ring has none; its frames come out as the TCP built them, for the
 * test to check and cut). @p seg_mtu: the largest IP packet of a segment
 * (0: the port's MTU).
 * @param p        a port
 * @param seg_mtu  bytes
 */
void tg_net_port_test_tso(struct tg_net_port *p, uint16_t seg_mtu);

#endif
