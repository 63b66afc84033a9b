/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_worker.h
 * A dataplane worker over kernel sockets (dataplane/sock/): one per
 * lcore, each with its own SO_REUSEPORT listeners, flow table and epoll
 * set. Handshake bytes go to the control thread over a ring; key installs
 * come back; application records of all the worker's flows are sealed and
 * opened in cross-flow bursts.
 */
#ifndef TG_WORKER_H
#define TG_WORKER_H

#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>

#include "tg_accel.h"
#include "tg_backend.h"
#include "tg_config.h"
#include "tg_stats.h"

struct rte_ring;
struct tg_ctl;

/** Process-wide run state, set by the signal handling of app/. */
enum tg_run_state {
	TG_RUN = 0,
	TG_DRAIN,   /**< stop accepting, finish flows until the deadline */
	TG_STOP,    /**< close everything now */
};

/** What a worker needs; filled by app/ before launch. */
struct tg_worker_conf {
	unsigned id;
	const struct tg_config *cfg;
	struct tg_accel *acc;
	struct rte_ring *to_ctl;       /**< handshake bytes out */
	struct rte_ring *from_ctl;     /**< key installs and output in */
	struct tg_ctl *ctl;            /**< to wake the control thread */
	int wake_fd;                   /**< eventfd the control thread writes */
	struct tg_backends *_Atomic *backends; /**< current backends (reload swaps) */
	struct tg_wk_stats *stats;
	atomic_int *run;               /**< enum tg_run_state */
	atomic_uint *conns_total;      /**< global connection count */
	FILE *access_log;              /**< NULL = off */
};

/** The worker loop (an lcore function): returns when run is TG_STOP or
 *  when draining and no flow is left. @p arg is a struct tg_worker_conf. */
int tg_worker_main(void *arg);

#endif
