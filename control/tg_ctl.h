/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_ctl.h
 * The control-plane thread and its messages (DESIGN.md: "the control
 * thread never touches a flow directly: it sends messages on one ring per
 * lcore, and receives handshake records on one ring per lcore").
 *
 * Worker -> control (ring to_ctl[w]): TG_CTL_HS_DATA (bytes from a client
 * in handshake), TG_CTL_HS_CLOSE (the flow is gone).
 * Control -> worker (ring to_wk[w]): TG_CTL_HS_OUT (bytes to send),
 * TG_CTL_KEY_INSTALL (struct tg_keys both ways, what was negotiated, and
 * the client bytes that followed Finished), TG_CTL_HS_FAIL (send what was
 * queued, then close).
 *
 * Flows are named by (worker, slot, generation), so a late message for a
 * slot that was reused is recognised and dropped.
 */
#ifndef TG_CTL_H
#define TG_CTL_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "tg_accel.h"
#include "tg_hs.h"
#include "tg_result.h"

struct rte_ring;

/** Message kinds. */
enum tg_ctl_type {
	TG_CTL_HS_DATA = 1,   /**< worker -> ctl: client bytes */
	TG_CTL_HS_CLOSE,      /**< worker -> ctl: forget the flow; ctl ->
				   worker: the handshake was left unfinished
				   (after HS_EOF): close */
	TG_CTL_HS_OUT,        /**< ctl -> worker: bytes to the client */
	TG_CTL_KEY_INSTALL,   /**< ctl -> worker: handshake done, keys */
	TG_CTL_HS_FAIL,       /**< ctl -> worker: failed; close after output */
	TG_CTL_HS_LATE,       /**< ctl -> worker: client bytes that reached the
				   control thread after its handshake completed
				   (they are records for the dataplane) */
	TG_CTL_HS_EOF,        /**< worker -> ctl: the client closed after the
				   bytes sent so far; answer HS_CLOSE unless
				   they completed the handshake (KEY_INSTALL) */
};

/** One message; @c data holds @c len bytes (allocated with the message). */
struct tg_ctl_msg {
	uint8_t type;
	uint16_t worker;
	uint32_t slot;
	uint32_t gen;
	uint32_t len;
	/* KEY_INSTALL only */
	uint32_t n_data; /**< the flow's HS_DATA messages taken in, this
			      one included: any the worker sent after them
			      come back as HS_LATE, in order */
	struct tg_keys tx, rx;
	struct tg_hs_secrets13 s13; /**< TLS 1.3: for KeyUpdate (len 0: 1.2) */
	struct tg_hs_info info;
	struct tg_ctl_msg *next; /**< free for the receiver's own lists */
	uint8_t data[];
};

/** Allocate a message with room for @p len bytes (NULL when out of memory). */
struct tg_ctl_msg *tg_ctl_msg_new(uint8_t type, uint16_t worker, uint32_t slot,
				  uint32_t gen, const void *data, uint32_t len);

/** Free a message, wiping any keys it carried. */
void tg_ctl_msg_free(struct tg_ctl_msg *m);

/** A handshake configuration shared by connections, reference counted so
 *  that a reload (SIGHUP) swaps it without touching handshakes in flight. */
struct tg_ctl_hscfg {
	struct tg_hs_config hs;
	_Atomic unsigned refs;
	void (*release)(struct tg_ctl_hscfg *c); /**< frees what hs points to */
};

/** The control thread. */
struct tg_ctl;

/**
 * Create the control plane for @p n_workers workers, each with at most
 * @p max_slots flows, and rings of
 * @p ring_size entries each way. @p cfg is the first handshake config
 * (one reference is taken over).
 */
TG_MUST_CHECK tg_result tg_ctl_create(unsigned n_workers, unsigned max_slots,
				      unsigned ring_size,
				      struct tg_ctl_hscfg *cfg,
				      struct tg_ctl **out);

/**
 * Start the control thread, on @p cpus (NULL: the creating thread's
 * affinity). It polls the workers' rings and sleeps on an eventfd when
 * they are empty. It is named "tg-ctl" when this returns (whether or not
 * it has run yet), so a lookup by name right after finds it.
 */
TG_MUST_CHECK tg_result tg_ctl_start(struct tg_ctl *ctl, const cpu_set_t *cpus);

/**
 * Run without a thread (one worker only): the worker calls tg_ctl_poll()
 * each round, so a handshake costs no thread switch and no wake-up; for
 * a worker that would share its CPU with the control thread anyway.
 * tg_ctl_destroy() must then be called by that worker's thread.
 */
TG_MUST_CHECK tg_result tg_ctl_start_inline(struct tg_ctl *ctl);

/** True after tg_ctl_start_inline(). */
bool tg_ctl_is_inline(const struct tg_ctl *ctl);

/**
 * One pass over every worker's ring: handle what is queued (at most 32
 * messages per worker), queue the replies. Returns the messages handled.
 * The control thread's loop; called by the worker when inline.
 */
unsigned tg_ctl_poll(struct tg_ctl *ctl);

/** Stop and join the thread; free everything. */
void tg_ctl_destroy(struct tg_ctl *ctl);

/** Replace the handshake config for new handshakes (takes a reference). */
void tg_ctl_set_hscfg(struct tg_ctl *ctl, struct tg_ctl_hscfg *cfg);

/** The ring a worker sends on / receives from. */
struct rte_ring *tg_ctl_ring_to_ctl(struct tg_ctl *ctl, unsigned worker);
struct rte_ring *tg_ctl_ring_to_worker(struct tg_ctl *ctl, unsigned worker);

/** Handshakes in flight (gauge). */
unsigned tg_ctl_inflight(const struct tg_ctl *ctl);

/**
 * Tell the control thread that a worker queued a message. The thread
 * sleeps on an eventfd when it has nothing to do; this wakes it (a
 * syscall only when it is asleep).
 */
void tg_ctl_notify(struct tg_ctl *ctl);

/**
 * The eventfd the control thread writes when it queues a message for
 * @p worker on an empty ring: a worker polls it with its sockets.
 */
int tg_ctl_worker_fd(const struct tg_ctl *ctl, unsigned worker);

#endif
