/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_backend.h
 * Backend pools: selection (round robin, least connections), SNI routing,
 * health. A struct tg_backends is built from the config and shared by all
 * workers; health flags and connection counts are atomics, the rest is
 * read-only. A reload builds a new one and swaps the pointer.
 */
#ifndef TG_BACKEND_H
#define TG_BACKEND_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "tg_addr.h"
#include "tg_result.h"

#define TG_BE_MAX_SERVERS 32  /**< backends in one pool */
#define TG_BE_MAX_POOLS 16    /**< pools */
#define TG_BE_MAX_ROUTES 32   /**< SNI routes */

/** Backend selection policy of a pool. */
enum tg_lb_policy {
	TG_LB_ROUND_ROBIN = 0,
	TG_LB_LEAST_CONN,
};

/** A group of backends as configured. Pool 0 is the default pool. */
struct tg_pool_conf {
	char name[64];
	struct tg_addr be[TG_BE_MAX_SERVERS];
	unsigned n_be;
	enum tg_lb_policy policy;
};

/** SNI routing: a server name (exact, or "*.example.com") to a pool. */
struct tg_route_conf {
	char sni[256];
	unsigned pool; /**< index into tg_backends_conf::pools */
};

/** The backends as configured: what tg_backends_new() builds from. */
struct tg_backends_conf {
	struct tg_pool_conf pools[TG_BE_MAX_POOLS];
	unsigned n_pools;                /**< >= 1; pool 0 is the default */
	struct tg_route_conf routes[TG_BE_MAX_ROUTES];
	unsigned n_routes;
};

/** One backend server. */
struct tg_backend {
	struct tg_addr addr;
	atomic_bool up;          /**< last health check passed (true at start) */
	atomic_uint conns;       /**< connections open now */
	atomic_ulong failures;   /**< connect failures */
};

/** A pool of backends. */
struct tg_backend_pool {
	char name[64];
	enum tg_lb_policy policy;
	unsigned n;
	struct tg_backend *be;
	atomic_uint rr;          /**< round robin cursor */
};

/** All pools and routes. */
struct tg_backends {
	unsigned n_pools;
	struct tg_backend_pool *pools;
	unsigned n_routes;
	struct tg_route_conf *routes;
	atomic_uint refs;
};

/** Build from validated settings (one reference held by the caller). */
TG_MUST_CHECK tg_result tg_backends_new(const struct tg_backends_conf *cfg,
					struct tg_backends **out);

/** Take / drop a reference. */
struct tg_backends *tg_backends_ref(struct tg_backends *b);
void tg_backends_unref(struct tg_backends *b);

/**
 * The current list, which a reload replaces while workers, the admin and
 * the health thread use it. A reader takes its own reference with
 * tg_backends_cur_get() (under a lock: a reference is never taken on a
 * list whose last one is being dropped); a worker checks each round, with
 * no lock, whether the list changed (tg_backends_cur_is()) and only then
 * takes one. The old list is freed by its last holder, no grace sleep.
 */
struct tg_backends_cur {
	pthread_mutex_t mu;
	struct tg_backends *_Atomic b;
};

/**
 * @param c      the holder to set up
 * @param first  the first list (its reference is taken over)
 */
void tg_backends_cur_init(struct tg_backends_cur *c, struct tg_backends *first);

/**
 * Release the holder's reference (readers keep theirs).
 * @param c  the holder
 */
void tg_backends_cur_fini(struct tg_backends_cur *c);

/**
 * @param c  the holder
 * @return a new reference to the current list (tg_backends_unref() it)
 */
struct tg_backends *tg_backends_cur_get(struct tg_backends_cur *c);

/**
 * Lock-free: is @p b still the current list? (compares pointers only)
 * @param c  the holder
 * @param b  a list the caller holds a reference to
 * @return true when @p b is current
 */
bool tg_backends_cur_is(struct tg_backends_cur *c, const struct tg_backends *b);

/**
 * Make @p next current (its reference is taken over) and drop the
 * holder's reference to the old list.
 * @param c     the holder
 * @param next  the new list
 */
void tg_backends_cur_set(struct tg_backends_cur *c, struct tg_backends *next);

/** Pool for a server name (exact route, then "*." wildcard, else pool 0). */
unsigned tg_backends_route(const struct tg_backends *b, const char *sni);

/**
 * Pick a backend of @p pool by its policy among those up (all when none
 * is up), skipping the indexes in @p tried (a bit set of tries so far).
 * Returns the index or -1 when every one was tried.
 */
int tg_backends_pick(struct tg_backends *b, unsigned pool, uint64_t tried);

/**
 * One round of health checks: a TCP connect to each backend with
 * @p timeout_ms; marks them up or down and logs changes.
 */
void tg_backends_check(struct tg_backends *b, unsigned timeout_ms);

#endif
