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

#include <stdatomic.h>
#include <stdbool.h>

#include "tg_config.h"
#include "tg_result.h"

/** One backend server. */
struct tg_backend {
	struct tg_cfg_addr addr;
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
	struct tg_cfg_route *routes;
	atomic_uint refs;
};

/** Build from a validated config (one reference held by the caller). */
TG_MUST_CHECK tg_result tg_backends_new(const struct tg_config *cfg,
					struct tg_backends **out);

/** Take / drop a reference. */
struct tg_backends *tg_backends_ref(struct tg_backends *b);
void tg_backends_unref(struct tg_backends *b);

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
