/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_kback.h
 * Kernel backends of the DPDK transport (dpdk.backend_transport =
 * "kernel"): the backend side of a worker's flows on kernel TCP sockets
 * owned by one helper thread, while the client side stays on our TCP on
 * the lcore.
 *
 * One instance per DPDK worker (lcore): its helper thread, its slots and
 * its two queues are that worker's alone, so every ring and queue has a
 * single producer and a single consumer, and the instance starts and
 * stops with its worker (no sharing, no locks, no cross-lcore start-up
 * order). The price is one helper thread per worker, not per process.
 *
 * Per backend connection (a slot): two single-producer single-consumer
 * byte rings of tg_kback_conf::ring_size bytes, lcore -> helper (bytes to
 * send) and helper -> lcore (bytes received). Per instance two queues of
 * slot numbers, lcore -> helper (ops: connect, kick, shutdown, close,
 * abort, room freed in the receive ring) and helper -> lcore (events:
 * connected, failed, readable, writable, freed). What is asked of a slot
 * is a bit in an atomic mask of the slot; the slot's number is queued
 * only when its mask goes from empty to not empty, so a queue holds each
 * slot at most once and never overflows.
 *
 * The lcore makes no system call for a byte: it copies into and out of
 * the rings, and writes the helper's eventfd only when the helper said it
 * is about to sleep (a busy helper is never woken by a syscall). The
 * helper runs epoll (edge-triggered) and wakes the worker's eventfd only
 * when the worker said it is about to wait (tg_kback_sleep()).
 *
 * Back-pressure: a full send ring takes fewer bytes (tg_kback_send()
 * returns what it took, 0 when none: the engine waits for writable); a
 * full receive ring stops the helper reading its socket until the lcore
 * consumes. Nothing is dropped or reordered.
 *
 * Ownership of a slot: the lcore takes a free slot at tg_kback_connect()
 * and gives it up with tg_kback_close() or tg_kback_abort() (exactly
 * once; then it queues nothing more for it). The helper closes the
 * socket and answers TG_KB_FREED; only then is the slot free again on the
 * lcore (tg_kback_events() puts it back). So a socket is closed exactly
 * once, by the helper, and a slot's rings are never reused while the
 * helper may still touch them.
 */
#ifndef TG_KBACK_H
#define TG_KBACK_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "tg_result.h"

struct tg_kback;

/** Bytes of each of a connection's two rings when not configured. */
#define TG_KB_RING_DEFAULT (64u * 1024u)

/** What an instance needs. */
struct tg_kback_conf {
	unsigned max_conns;  /**< backend connections at once (slots) */
	uint32_t ring_size;  /**< bytes per ring, a power of two >= 4096
				  (0: TG_KB_RING_DEFAULT) */
	int wake_fd;         /**< the worker's eventfd, written when the
				  worker waits and events came (-1: none) */
	unsigned id;         /**< for the thread's name and logs */
	/** CPUs of the helper thread (NULL: those of the thread that
	 *  creates it, the worker's lcore) */
	const cpu_set_t *cpus;
};

/** What tg_kback_events() reports of a connection. */
enum tg_kback_ev {
	TG_KB_CONNECTED = 1,  /**< the connect succeeded */
	TG_KB_FAILED = 2,     /**< the connect failed (refused, unreachable) */
	TG_KB_READABLE = 4,   /**< bytes or the end of the stream to read */
	TG_KB_WRITABLE = 8,   /**< room in the send ring */
	TG_KB_ERROR = 16,     /**< the connection failed (reset), once;
				   the bytes before it are still read */
};

/** One event of a connection, with the user data of its connect. */
struct tg_kback_event {
	uint64_t udata;
	uint32_t id;         /**< the connection (tg_kback_connect()'s) */
	uint32_t ev;         /**< enum tg_kback_ev bits */
};

/** Counters and fill levels (read by the worker to publish them). */
struct tg_kback_stats {
	uint64_t connects;        /**< connects that succeeded */
	uint64_t connect_failed;  /**< connects that failed */
	uint64_t conns;           /**< slots in use (gauge) */
	uint64_t tx_bytes;        /**< bytes in the send rings (gauge) */
	uint64_t rx_bytes;        /**< bytes in the receive rings (gauge) */
	uint64_t ring_bytes;      /**< capacity of one ring */
	uint64_t q_ops;           /**< slots queued to the helper (gauge) */
	uint64_t q_events;        /**< slots queued to the worker (gauge) */
};

/**
 * Create an instance and start its helper thread.
 * @param c    the settings
 * @param out  the instance
 * @return TG_OK; TG_E_INVAL (bad ring size, no slots); TG_E_NOMEM;
 *         TG_E_IO (epoll, eventfd or the thread)
 */
TG_MUST_CHECK tg_result tg_kback_new(const struct tg_kback_conf *c,
				     struct tg_kback **out);

/**
 * Stop and join the helper, close every socket left, free everything.
 * Call once the worker no longer uses the instance.
 * @param k  an instance (NULL is a no-op)
 */
void tg_kback_free(struct tg_kback *k);

/**
 * Start a connect to @p sa (non-blocking, by the helper).
 * @param k      an instance
 * @param sa     an IPv4 or IPv6 address and port
 * @param udata  given back with the connection's events
 * @param id     the connection, on success
 * @return TG_OK (TG_KB_CONNECTED or TG_KB_FAILED follows); TG_E_INVAL
 *         (not an IP address); TG_E_NOMEM (no free slot)
 */
TG_MUST_CHECK tg_result tg_kback_connect(struct tg_kback *k,
					 const struct sockaddr_storage *sa,
					 uint64_t udata, uint32_t *id);

/**
 * A connect's state as the helper left it.
 * @return 1 connected, 0 under way, -1 failed
 */
int tg_kback_connect_state(struct tg_kback *k, uint32_t id);

/**
 * Bytes received into @p iov, as recv(2).
 * @return bytes (> 0); 0 at the end of the stream; -EAGAIN none now;
 *         -errno the connection failed (after every byte before it)
 */
ssize_t tg_kback_recv(struct tg_kback *k, uint32_t id, const struct iovec *iov,
		      int iovcnt);

/**
 * The received bytes that lie contiguous in the receive ring, from the
 * first not consumed (valid and in place until consumed).
 * @return their count (0: none)
 */
uint32_t tg_kback_peek(struct tg_kback *k, uint32_t id, uint8_t **p);

/** @p n bytes of what tg_kback_peek() gave were used. */
void tg_kback_consume(struct tg_kback *k, uint32_t id, uint32_t n);

/** @return bytes received and not read yet */
uint32_t tg_kback_pending(struct tg_kback *k, uint32_t id);

/**
 * Queue bytes to send.
 * @return bytes taken (0: the ring is full, TG_KB_WRITABLE follows once
 *         there is room and writable is wanted); -1 the connection failed
 */
ssize_t tg_kback_send(struct tg_kback *k, uint32_t id, const uint8_t *p,
		      size_t len);

/** Which of TG_KB_READABLE / TG_KB_WRITABLE the worker wants now
 *  (level-triggered, as the flow engine's events; before the connect's
 *  end they are kept and apply once it is up). */
void tg_kback_want(struct tg_kback *k, uint32_t id, bool readable,
		   bool writable);

/** Shut the write side down after what is queued (FIN). */
void tg_kback_shutdown(struct tg_kback *k, uint32_t id);

/** Give the connection up: its queued bytes go out, then the FIN (the
 *  helper waits up to about two seconds for a backend that does not
 *  read); the slot is freed by the helper. */
void tg_kback_close(struct tg_kback *k, uint32_t id);

/** Give the connection up with a reset, at once. */
void tg_kback_abort(struct tg_kback *k, uint32_t id);

/**
 * The helper's answers and the connections with something to report
 * (readable while wanted and bytes, an end or an error wait; writable
 * while wanted and there is room), at most @p n.
 * @return events written to @p ev
 */
unsigned tg_kback_events(struct tg_kback *k, struct tg_kback_event *ev,
			 unsigned n);

/**
 * The worker is about to wait on its eventfd: from now on the helper
 * writes it when it has news.
 * @return false when news is already there (do not wait; call
 *         tg_kback_awake() all the same)
 */
bool tg_kback_sleep(struct tg_kback *k);

/** The worker's wait is over. */
void tg_kback_awake(struct tg_kback *k);

/** @return true when work is waiting for tg_kback_events() */
bool tg_kback_busy(const struct tg_kback *k);

/** Counters and fill levels now. */
void tg_kback_stats(const struct tg_kback *k, struct tg_kback_stats *st);

#endif
