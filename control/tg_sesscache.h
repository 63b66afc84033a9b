/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_sesscache.h
 * Server-side session-ID cache (RFC 5246 §7.3, §7.4.1.2) and the resumable
 * session state it shares with session tickets (tg_ticket.h).
 *
 * One cache serves every connection of the process: it is bounded
 * (max_entries, allocated up front), evicts the least recently used entry
 * when full, and expires entries @c ttl_s seconds after their creation
 * time. All functions are thread-safe (one mutex; this is control-plane
 * work). Values are copied in and out, so no pointer into the cache ever
 * escapes. Master secrets are wiped when an entry is replaced, evicted,
 * expired, removed, cleared or when the cache is freed.
 *
 * Session IDs inserted are the server's own random IDs, so the bucket hash
 * is a seeded FNV-1a, not a keyed PRF: a client chooses only the IDs it
 * looks up, which cannot lengthen a chain.
 */
#ifndef TG_SESSCACHE_H
#define TG_SESSCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tg_result.h"
#include "tg_tls.h"

/** Longest SNI host name kept with a session (bytes, without NUL). */
#define TG_SESS_SNI_MAX 255
/** Longest ALPN protocol name kept with a session (RFC 7301: 1..255). */
#define TG_SESS_ALPN_MAX 255

/**
 * Resumable state of one TLS 1.2 session: what a session-ID cache entry
 * or a session ticket carries. Plain data; copy it by assignment and wipe
 * it with TG_WIPE_OBJ() when done (it holds the master secret).
 */
struct tg_sess_state {
	uint8_t master_secret[TG_TLS_MASTER_SECRET_LEN]; /**< secret */
	uint16_t cipher_suite;  /**< ::tg_cipher_suite negotiated */
	bool ems;               /**< extended_master_secret (RFC 7627) used */
	bool peer_verified;     /**< the peer's certificate was verified */
	uint8_t ca_id[8];       /**< under this trust-anchor set (tg_ca_id())
				     when @c peer_verified */
	uint8_t sni_len;        /**< bytes in @c sni (0: no SNI) */
	char sni[TG_SESS_SNI_MAX + 1]; /**< SNI host name, NUL-terminated */
	uint8_t alpn_len;       /**< bytes in @c alpn (0: no ALPN) */
	uint8_t alpn[TG_SESS_ALPN_MAX]; /**< selected ALPN protocol */
	/**
	 * Creation time in seconds (of the clock of the cache or key set
	 * that stored it). 0 when storing: stamped with "now".
	 */
	uint64_t created;
	/* TLS 1.3 tickets (RFC 8446 §4.6.1): master_secret holds the PSK
	 * (the suite's hash length), cipher_suite a TLS 1.3 suite */
	bool tls13;             /**< a TLS 1.3 resumption PSK */
	uint32_t age_add;       /**< the ticket's ticket_age_add */
	uint64_t issued;        /**< when the ticket was issued, seconds
				     (the key set's clock) */
};

/**
 * A clock in seconds. The default (a NULL function) is CLOCK_REALTIME:
 * ticket creation times must survive restarts when keys come from files.
 * Tests inject a fake one to move time forward.
 */
typedef uint64_t (*tg_clock_fn)(void *arg);

/** The default clock: CLOCK_REALTIME in whole seconds. */
uint64_t tg_clock_realtime(void *arg);

/**
 * Set the SNI of @p st from @p len bytes at @p name (not NUL-terminated).
 *
 * @param st   state to update
 * @param name host name bytes (may be NULL when @p len is 0)
 * @param len  0..TG_SESS_SNI_MAX
 * @return TG_E_INVAL when @p len is too long or the name holds a NUL.
 */
TG_MUST_CHECK tg_result tg_sess_set_sni(struct tg_sess_state *st,
					const void *name, size_t len);

/**
 * Set the ALPN protocol of @p st.
 *
 * @param st    state to update
 * @param proto protocol name bytes (may be NULL when @p len is 0)
 * @param len   0..TG_SESS_ALPN_MAX
 * @return TG_E_INVAL when @p len is too long.
 */
TG_MUST_CHECK tg_result tg_sess_set_alpn(struct tg_sess_state *st,
					 const void *proto, size_t len);

/** Cache sizing and clock. */
struct tg_sesscache_cfg {
	size_t max_entries; /**< 1..(1 << 24); entries allocated up front */
	uint32_t ttl_s;     /**< lifetime from creation, seconds, > 0 */
	tg_clock_fn clock;  /**< NULL: tg_clock_realtime() */
	void *clock_arg;    /**< passed to @c clock */
};

/** Counters since creation (never reset by tg_sesscache_clear()). */
struct tg_sesscache_stats {
	uint64_t hits;      /**< get found a live entry */
	uint64_t misses;    /**< get found nothing (expired ones included) */
	uint64_t evictions; /**< live entries dropped to make room (LRU) */
	uint64_t expired;   /**< entries dropped because their TTL passed */
	uint64_t puts;      /**< successful puts (replacements included) */
	size_t entries;     /**< entries held now */
};

struct tg_sesscache;

/**
 * Create a cache.
 *
 * @param cfg sizing and clock
 * @param out receives the cache; free with tg_sesscache_free()
 * @return TG_E_INVAL on a bad @p cfg, TG_E_NOMEM.
 */
TG_MUST_CHECK tg_result tg_sesscache_new(const struct tg_sesscache_cfg *cfg,
					 struct tg_sesscache **out);

/**
 * Free a cache, wiping every entry. No other thread may use it any more.
 *
 * @param c cache (NULL is a no-op)
 */
void tg_sesscache_free(struct tg_sesscache *c);

/**
 * Store (or replace) the state for a session ID. When the cache is full
 * the least recently used entry is evicted. A @c created of 0 in @p st is
 * stamped with the cache clock's "now"; the entry expires at
 * created + ttl_s.
 *
 * @param c      cache
 * @param id     session ID
 * @param id_len 1..TG_TLS_SESSION_ID_MAX
 * @param st     state to copy in
 * @return TG_E_INVAL on a bad ID length or state (sni_len/alpn_len out of
 *         range), TG_E_NOTFOUND when @p st is already expired.
 */
TG_MUST_CHECK tg_result tg_sesscache_put(struct tg_sesscache *c,
					 const uint8_t *id, size_t id_len,
					 const struct tg_sess_state *st);

/**
 * Look up a session ID and copy its state out; a hit makes the entry the
 * most recently used. An expired entry is dropped and reported as a miss.
 *
 * @param c      cache
 * @param id     session ID (as received: any bytes)
 * @param id_len length; 0 or more than TG_TLS_SESSION_ID_MAX is a miss
 * @param out    receives a copy of the state (wipe it after use)
 * @return TG_E_NOTFOUND on a miss.
 */
TG_MUST_CHECK tg_result tg_sesscache_get(struct tg_sesscache *c,
					 const uint8_t *id, size_t id_len,
					 struct tg_sess_state *out);

/**
 * Remove a session ID (e.g. after a fatal alert, RFC 5246 §7.2.2).
 *
 * @param c      cache
 * @param id     session ID
 * @param id_len its length
 * @return TG_E_NOTFOUND when it was not there.
 */
TG_MUST_CHECK tg_result tg_sesscache_remove(struct tg_sesscache *c,
					    const uint8_t *id, size_t id_len);

/**
 * Drop every entry (wiped). Counters are kept.
 *
 * @param c cache
 */
void tg_sesscache_clear(struct tg_sesscache *c);

/**
 * Drop every expired entry now (otherwise they go on lookup or when
 * evicted). Call it from a periodic control-plane timer if wanted.
 *
 * @param c cache
 * @return the number of entries dropped.
 */
size_t tg_sesscache_expire(struct tg_sesscache *c);

/**
 * Read the counters.
 *
 * @param c   cache
 * @param out receives a consistent snapshot
 */
void tg_sesscache_stats(struct tg_sesscache *c, struct tg_sesscache_stats *out);

#endif
