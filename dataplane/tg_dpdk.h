/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_dpdk.h
 * The DPDK transport of the flow engine (dataplane/dpdk/): one worker per
 * lcore, each with its own network instance (dataplane/net, its queue of
 * the port), its own userspace TCP (dataplane/tcp) and its own flow
 * engine (dataplane/flow), nothing shared but the port's dispatch rings,
 * the rings to the control plane and the backends list.
 *
 * The worker implements struct tg_flow_ops on tg_tcp: listeners on the
 * configured ports of the port's address, accepted connections handed to
 * the engine (tg_flow_accept), backends reached through the same port by
 * our TCP's active open (the source port chosen so that the replies come
 * back to this lcore), receive into the engine's iovecs or in place
 * (peek/consume on the received mbufs), level-triggered TCP events turned
 * into the engine's events. Its run, drain, stop and start-up barrier are
 * those of the kernel-socket worker (tg_worker.h).
 *
 * With tg_dpdk_conf::kernel_backends (dpdk.backend_transport = kernel)
 * the backend side of each flow is a kernel TCP socket instead, owned by
 * a helper thread of the worker (tg_kback.h): the worker copies bytes
 * into and out of per-connection rings and turns the helper's events into
 * the engine's, with no system call per byte; the client side stays on
 * our TCP.
 *
 * A round:
 *   tg_tcp_poll()      packets in (dispatch to other lcores), timers, output
 *   tg_tcp_events()    accepted / connected / readable / writable / error
 *                      into tg_flow_accept() and tg_flow_on_*()
 *   health probes      (the worker that checks the backends)
 *   tg_flow_engine_round()   control-plane messages, record bursts, timers
 *   tg_tcp_flush()     what the engine's sends queued
 *
 * A worker with nothing to do for a while waits on the control plane's
 * eventfd, first for tg_dpdk_conf::idle_first_us, then, while the waits
 * find nothing, twice as long each time up to tg_dpdk_conf::idle_us, so
 * that a poll-mode worker does not hold a CPU of a shared machine at
 * 100 % when there is no traffic, and an idle one wakes seldom (0: poll
 * without pause, as DPDK applications usually do). Ports such as
 * net_memif and net_af_packet offer no receive interrupt in DPDK 22.11,
 * so a packet can wait up to the current wait.
 */
#ifndef TG_DPDK_H
#define TG_DPDK_H

/** Large mbufs per worker for records sealed and opened in the TCP send
 *  streams (tg_tcp_send_reserve, 18.1 KiB of data each, about 19 MiB
 *  with their headers; when they run out, flows wait for writable). */
#define TG_DPDK_BIG_MBUFS_DEFAULT 1024u

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "tg_kback.h"
#include "tg_net.h"
#include "tg_result.h"
#include "tg_tcp.h"
#include "tg_worker.h"

struct rte_mempool;
struct tg_dpdk_port;
struct tg_dpdk_worker;
struct tg_flow_engine;

/** The port of the DPDK transport, as configured (app/ fills it). */
struct tg_dpdk_port_conf {
	char dev[64];              /**< ethdev name ("net_af_packet0") or
					number ("0"); "" = the first port */
	struct tg_net_addr addr;   /**< our IPv4 address (v4-mapped) */
	uint8_t prefix;            /**< its prefix length */
	struct tg_net_addr gateway; /**< IPv4 next hop (all zero: none) */
	struct tg_net_addr addr6;  /**< our IPv6 address (all zero: none) */
	uint8_t prefix6;           /**< its prefix length */
	struct tg_net_addr gateway6; /**< IPv6 next hop (all zero: none) */
	uint16_t mtu;              /**< 0: the port's */
	unsigned mbufs;            /**< packet buffers per lcore (0: 32768) */
	bool no_rss;               /**< software dispatch even with RSS */
	bool no_tso;               /**< no TCP segmentation offload even where
					the port has it */
};

/** Counters of one worker's network instance and TCP, published by the
 *  worker every few milliseconds for /metrics (read without locks). */
struct tg_dpdk_stats {
	struct tg_net_stats net;   /**< its network instance */
	struct tg_tcp_stats tcp;   /**< its TCP */
	uint64_t pool_avail;       /**< free packet buffers (gauge) */
	uint64_t pool_size;        /**< packet buffers in its pool */
	uint64_t health_probes;    /**< backend health probes started */
	/** Kernel backends (dpdk.backend_transport = kernel; all zero
	 *  otherwise): connects, rings' fill levels */
	struct tg_kback_stats kb;
} __attribute__((aligned(64)));

/** What a DPDK worker needs; filled by app/ (or a test) before launch. */
struct tg_dpdk_conf {
	/** The engine, the listen addresses (their ports; an address must
	 *  be the port's or a wildcard), the run state and the start-up
	 *  barrier, as for the kernel-socket worker; wake_fd is waited on
	 *  when idle. */
	struct tg_worker_conf w;
	struct tg_dpdk_port *port;  /**< opened by tg_dpdk_port_open() */
	uint16_t queue;             /**< this worker's queue (instance) */
	/** Impairment of this worker's instance (NULL: none; a debug
	 *  option, docs/tcp.md). */
	const struct tg_net_impair_conf *impair;
	unsigned idle_us;           /**< longest idle wait (0: busy poll) */
	unsigned idle_first_us;     /**< the first idle wait after work; each
					 one that finds nothing doubles it up to
					 idle_us (0: every wait idle_us) */
	/** Backend health checks through this worker's TCP every so many
	 *  ms (0: none; one worker does them). */
	unsigned health_interval_ms;
	struct tg_dpdk_stats *stats; /**< published counters (NULL: none) */
	/** Workers that are done and wait for the others before freeing
	 *  (every worker polls until all are done: packets of its flows
	 *  may arrive on another's queue). NULL: one worker. */
	atomic_uint *finished;
	unsigned linger_ms;         /**< after the engine stopped: longest
					 time its FINs and close_notify
					 alerts are given to leave (0: 2000) */
	/** Clock in microseconds for the network instance (NULL: the TSC);
	 *  tests step it. */
	uint64_t (*now_us)(void *ctx);
	void *clock_ctx;            /**< given to now_us */
	uint64_t tcp_seed;          /**< 0: random ISN secret (tests replay) */
	/** Backends on kernel sockets owned by a helper thread of this
	 *  worker (tg_kback.h) instead of our TCP through the port; health
	 *  checks are then not the worker's (health_interval_ms 0). */
	bool kernel_backends;
	uint32_t kback_ring;        /**< bytes per ring (0: 64 KiB) */
	/** Records across segments opened in the received mbufs and sent
	 *  on to the backend as that chain (the flow engine's recv_chain /
	 *  send_chain), rather than copied once into the backend's send
	 *  stream and opened there: no copy, but slower with CPU crypto
	 *  here (docs/decisions.md, "rx chains"); off by default */
	bool rx_chain;
	/** CPUs of its helper thread (NULL: the worker's lcore's) */
	const cpu_set_t *kback_cpus;
};

/**
 * Find the configured port among the EAL's ethdevs, create one packet
 * pool per queue and start the port with @p n_queues queues (RSS where it
 * has it and more than one queue, else software dispatch). Every error
 * is logged with what to change.
 * @param c         the port settings
 * @param n_queues  workers (one queue each), 1..TG_NET_MAX_QUEUES
 * @param out       the port
 * @return TG_OK; TG_E_INVAL (no such port, bad addresses, too many
 *         queues); TG_E_IO (the device refused); TG_E_NOMEM (pools)
 */
TG_MUST_CHECK tg_result tg_dpdk_port_open(const struct tg_dpdk_port_conf *c,
					  unsigned n_queues,
					  struct tg_dpdk_port **out);

/**
 * Stop the port and free its pools; every worker on it must be freed.
 * @param p  a port (NULL is a no-op)
 */
void tg_dpdk_port_close(struct tg_dpdk_port *p);

/**
 * @param p  a port
 * @return its network port (RSS, owners, MAC)
 */
struct tg_net_port *tg_dpdk_port_net(const struct tg_dpdk_port *p);

/**
 * @param p  a port
 * @return its ethdev name
 */
const char *tg_dpdk_port_name(const struct tg_dpdk_port *p);

/**
 * Create a worker on its queue: network instance, TCP, flow engine,
 * listeners. Call on the thread that will poll it.
 * @param c    the configuration (kept by pointer)
 * @param out  the worker
 * @return TG_OK; TG_E_INVAL (a listen address that is not the port's);
 *         TG_E_NOMEM; an error of the parts (logged)
 */
TG_MUST_CHECK tg_result tg_dpdk_worker_new(const struct tg_dpdk_conf *c,
					   struct tg_dpdk_worker **out);

/**
 * One round (see the file comment).
 * @param w  a worker
 * @return packets and events handled (0: idle)
 */
unsigned tg_dpdk_worker_poll(struct tg_dpdk_worker *w);

/**
 * Stop accepting: the listeners are closed (connections stay).
 * @param w  a worker
 */
void tg_dpdk_worker_unlisten(struct tg_dpdk_worker *w);

/**
 * Stop the engine (close_notify to every flow past its handshake, every
 * flow closed) and give the TCP up to @p linger_ms to deliver what is
 * queued and finish the closes, polling.
 * @param w          a worker
 * @param linger_ms  longest time to poll
 */
void tg_dpdk_worker_stop(struct tg_dpdk_worker *w, unsigned linger_ms);

/**
 * Free a worker (its flows are closed without a goodbye: stop first).
 * @param w  a worker (NULL is a no-op)
 */
void tg_dpdk_worker_free(struct tg_dpdk_worker *w);

/**
 * @param w  a worker
 * @return its flow engine
 */
struct tg_flow_engine *tg_dpdk_worker_engine(const struct tg_dpdk_worker *w);

/**
 * @param w  a worker
 * @return its TCP
 */
struct tg_tcp *tg_dpdk_worker_tcp(const struct tg_dpdk_worker *w);

/**
 * The length of an idle worker's next wait: after work (@p last 0) the
 * conf's idle_first_us (its idle_us when that is 0 or longer), after a
 * wait that found nothing twice @p last, up to idle_us. A handshake
 * answer from the control plane ends a wait at once and starts over.
 * @param c     the worker's settings (idle_us > 0)
 * @param last  the last wait in us, 0 when there was work since
 * @return the next wait in us
 */
unsigned tg_dpdk_idle_next(const struct tg_dpdk_conf *c, unsigned last);

/** Rounds without work before an idle lcore's first wait (a burst of
 *  traffic never waits). */
#define TG_DPDK_IDLE_ROUNDS 64

/** A polling lcore's idle state for tg_dpdk_idle_round() (zeroed: work
 *  just now). */
struct tg_dpdk_idle {
	unsigned rounds;   /**< rounds without work */
	unsigned wait_us;  /**< the last wait (0: none since work) */
	/** optional, before a wait: false when work came meanwhile (no
	 *  wait); after() then follows all the same */
	bool (*before)(void *arg);
	void (*after)(void *arg);  /**< optional, after the wait */
	void *arg;                 /**< before's and after's */
};

/**
 * The end of a poll round, the worker's idle policy for any polling
 * lcore: with @p work, start over; without, after TG_DPDK_IDLE_ROUNDS
 * such rounds, wait (tg_dpdk_idle_next(): c->idle_first_us, doubled up
 * to c->idle_us) on c->w.wake_fd when it is >= 0, else sleep. Nothing
 * when c->idle_us is 0 (busy poll).
 * @param c     the settings (idle_us, idle_first_us, w.wake_fd)
 * @param s     the lcore's state
 * @param work  whether the round found or left work
 * @return true when it waited
 */
bool tg_dpdk_idle_round(const struct tg_dpdk_conf *c, struct tg_dpdk_idle *s, bool work);

/**
 * The worker loop (an lcore function, @p arg a struct tg_dpdk_conf): the
 * start-up barrier, rounds until TG_STOP or, draining, until no flow is
 * left, then the stop and the linger; returns 0, or -1 when the worker
 * could not start (the run state is set to TG_STOP).
 * @param arg  a struct tg_dpdk_conf
 * @return 0 or -1
 */
int tg_dpdk_worker_main(void *arg);

#endif
