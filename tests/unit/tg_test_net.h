/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_test_net.h
 * Shared by the network and TCP tests: a pair of DPDK ports joined by
 * rings (net_ring: what one sends the other receives), our stack
 * instances on them with a stepped clock, and frames built and read by
 * hand for the tests that play the peer.
 */
#ifndef TG_TEST_NET_H
#define TG_TEST_NET_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "tg_net.h"

/** Most queues per port the tests use. */
#define TN_MAXQ 2

/** Two ports joined by rings, with our instances on them. */
struct tn_pair {
	uint16_t nq;                          /**< queues per port */
	uint16_t port[2];                     /**< ethdev ports A, B */
	struct rte_ring *ring[2][TN_MAXQ];    /**< ring[s][q]: what side s
						   sends on queue q */
	struct rte_mempool *pool[2][TN_MAXQ]; /**< per instance */
	struct tg_net_port *p[2];             /**< our ports */
	struct tg_net *n[2][TN_MAXQ];         /**< our instances */
	struct tg_net_addr addr[2];           /**< 198.18.0.1, 198.18.0.2 */
	struct tg_net_addr addr6[2];          /**< 2001:2::1, 2001:2::2 (RFC
						   5180), with tn_opts::v6 */
	uint8_t mac[2][6];                    /**< their MACs */
};

/** The stepped clock every instance of the tests reads (us). */
extern uint64_t tn_now;

/** The clock function given to instances. */
uint64_t tn_clock(void *ctx);

/** Options of tn_up(). */
struct tn_opts {
	uint16_t nq;                              /**< 0: 1 */
	bool garp[2];                             /**< gratuitous ARP at start, per side */
	bool static_arp;                          /**< each side knows the other */
	const struct tg_net_impair_conf *imp[2];  /**< per side, or NULL */
	uint16_t mtu;                             /**< 0: 1500 */
	uint32_t tx_chain_min;                    /**< tg_net_port_conf's (0: its
						       default) */
	bool with_gateway;                        /**< A's gateway is .254 */
	bool v6;                                  /**< IPv6 addresses too */
	bool cross;                               /**< queue q's frames arrive at
						       the other side's queue q+1:
						       none at its owner */
	bool real_clock;                          /**< the TSC, not tn_now (for
						       tests on several lcores) */
	bool no_instance[2];                      /**< leave a side's instances
						       to the test (its port
						       is started) */
};

/**
 * Start both ports and their instances (the ethdev ports and pools are
 * made once per process and reused).
 * @return 0, or -1 (CUnit assertion already failed)
 */
int tn_up(struct tn_pair *x, const struct tn_opts *o);

/** Free instances, drain the rings, stop the ports; asserts that every
 *  mbuf went back to its pool. */
void tn_down(struct tn_pair *x);

/** Poll every instance of both sides and flush, @p rounds times. */
void tn_run(struct tn_pair *x, int rounds);

/** Take up to @p cap frames side @p s sent (on any queue), leaving the
 *  other side's instances out of it. */
unsigned tn_take(struct tn_pair *x, int s, struct rte_mbuf **m, unsigned cap);

/** Put a frame on the wire towards side @p s (its queue @p q; with
 *  cross, its queue q + 1). */
void tn_put(struct tn_pair *x, int s, uint16_t q, struct rte_mbuf *m);

/** Free @p n frames. */
void tn_free(struct rte_mbuf **m, unsigned n);

/** A frame from side @p from to side @p to: Ethernet + IPv4 (DF) with
 *  the L4 bytes @p l4 (checksums filled for TCP/UDP/ICMP). */
struct rte_mbuf *tn_ip_frame(struct tn_pair *x, int from, uint8_t proto,
			     const void *l4, uint16_t l4_len);

/** Fix the IPv4 header checksum and (TCP/UDP/ICMP) the L4 checksum of
 *  an Ethernet/IPv4 frame after a test changed it. */
void tn_fix_cksums(struct rte_mbuf *m);

/** rte_pktmbuf_append() that cannot fail (aborts: a test bug). */
void *tn_append(struct rte_mbuf *m, uint16_t len);

/** The IPv4 header of an Ethernet frame, or NULL. */
struct rte_ipv4_hdr *tn_ip(struct rte_mbuf *m);

#endif
