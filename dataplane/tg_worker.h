/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_worker.h
 * A dataplane worker over kernel sockets (dataplane/sock/): one per
 * lcore, each with its own SO_REUSEPORT listeners and epoll set, serving
 * a flow engine (dataplane/flow) as its transport: listeners, epoll and
 * system calls here, every TLS flow decision there.
 */
#ifndef TG_WORKER_H
#define TG_WORKER_H

#include <stdatomic.h>

#include "tg_addr.h"
#include "tg_flow.h"

/** Process-wide run state, set by the signal handling of app/. */
enum tg_run_state {
	TG_RUN = 0,
	TG_DRAIN,   /**< stop accepting, finish flows until the deadline */
	TG_STOP,    /**< close everything now */
};

/** A round of the socket worker that read less than this is light. */
#define TG_WORKER_COALESCE_BYTES 16384u

/** What a worker needs; filled by app/ before launch. */
struct tg_worker_conf {
	struct tg_flow_conf flow;      /**< its engine (ops and tctx are the
					    worker's own: left empty) */
	const struct tg_addr *listen;  /**< addresses to listen on */
	unsigned n_listen;
	int wake_fd;                   /**< eventfd the control thread writes
					    when it queues for this worker, or -1 */
	atomic_int *run;               /**< enum tg_run_state */
	/** Sockets transport: after a round of application data that read
	 *  under ::TG_WORKER_COALESCE_BYTES and waited less than this for
	 *  its events, wait this many microseconds before polling again, so
	 *  that small records gather into fewer reads and backend writes
	 *  (0: poll again at once). */
	unsigned coalesce_us;
	/** Start-up barrier: every worker counts itself in once its
	 *  listeners are bound; worker 0 then calls @ref ready (drop
	 *  privileges, tell the service manager) and lets all of them serve. */
	atomic_uint *started;
	unsigned n_workers;            /**< how many count in */
	/** Called once, by worker 0, when every worker listens; false stops
	 *  tlsgate (NULL: nothing to do). */
	bool (*ready)(void *arg);
	void *ready_arg;
};

/**
 * The start-up barrier of every transport's workers: count this worker in
 * once its listeners are bound, wait for all of them; worker 0 calls
 * tg_worker_conf::ready in between, before any worker serves.
 * @param wc  the worker's configuration
 * @return false when the ready hook failed or tlsgate is stopping
 */
bool tg_worker_barrier(const struct tg_worker_conf *wc);

/** The worker loop (an lcore function): returns when run is TG_STOP or
 *  when draining and no flow is left. @p arg is a struct tg_worker_conf. */
int tg_worker_main(void *arg);

#endif
