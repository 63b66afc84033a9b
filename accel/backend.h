/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file backend.h
 * The interface between the record layer (record.c) and a crypto backend.
 *
 * A backend is a const descriptor (struct tg_accel_backend), as picotls
 * does for its crypto providers. It only runs AEAD: the record layer has
 * already built the nonce and the AAD, located the payload and, on open,
 * copied the received tag out. Adding a backend touches its own file and
 * one line of the table in record.c.
 */
#ifndef TG_ACCEL_BACKEND_H
#define TG_ACCEL_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tg_accel.h"

struct rte_mbuf;

/** A piece of payload in memory. */
struct tg_iov {
	uint8_t *p;
	uint32_t n;
};

/** One AEAD operation, in place. */
struct tg_aead_op {
	void *bsess;             /**< the backend's session */
	uint8_t nonce[12];       /**< full 96-bit nonce */
	uint8_t aad[13];         /**< 13 bytes (TLS 1.2) or 5 (TLS 1.3) */
	uint8_t aad_len;
	uint8_t status;          /**< ::tg_rec_status, set by the backend */
	uint8_t dir;             /**< ::tg_dir (enqueue() reads it) */
	uint8_t nseg;            /**< number of entries in seg */
	uint8_t tag[16];         /**< seal: tag out; open: received tag in */
	/** Contiguous records: where the tag sits in the record, right after
	 *  the payload (seg[0]); a backend may write (seal) or read (open) it
	 *  there directly. NULL for mbuf chains. */
	uint8_t *tag_at;
	uint32_t len;            /**< payload length (sum of seg[].n) */
	/** Payload as memory pieces (contiguous: one piece). */
	struct tg_iov seg[TG_ACCEL_MAX_SEGS];
	/** mbuf form: the chain and the payload's offset in it (for
	 *  backends that need mbufs); NULL for the contiguous form. */
	struct rte_mbuf *m;
	uint32_t m_off;
};

/** A crypto backend. All functions may be called from any lcore. */
struct tg_accel_backend {
	const char *name; /**< "ipsecmb", "simd", "cryptodev", "evp" */
	/**
	 * Load the backend. @p arg is what followed "name:" in the config
	 * (e.g. the crypto device name for cryptodev), or NULL. On success
	 * *ctx is the backend's instance. TG_E_UNSUPPORTED when the backend
	 * cannot run here (no CPU support, no device): the engine skips it.
	 */
	TG_MUST_CHECK tg_result (*probe)(const char *arg, void **ctx);
	/** Release an instance. */
	void (*fini)(void *ctx);
	/** True when the instance implements @p suite. */
	bool (*has_suite)(void *ctx, enum tg_suite suite);
	/** Create a session for one key and direction. */
	TG_MUST_CHECK tg_result (*sess_create)(void *ctx, enum tg_suite suite,
				 const uint8_t *key, uint8_t key_len,
				 enum tg_dir dir, void **bsess);
	/** Free and wipe a session. */
	void (*sess_free)(void *ctx, void *bsess);
	/**
	 * Run @p n operations (all of one direction, any sessions of this
	 * instance). Sets ops[i].status for every op: TG_REC_OK, or
	 * TG_REC_E_BAD_MAC (open: tag mismatch, compared in constant time),
	 * or TG_REC_E_BACKEND.
	 */
	void (*burst)(void *ctx, enum tg_dir dir, struct tg_aead_op *ops,
		      uint16_t n);
	/**
	 * Optional (NULL for backends that only run burst()): open an
	 * asynchronous queue for one thread (struct tg_accel_q). Ops in
	 * flight per queue: at most @p depth. TG_E_NOSPACE when the
	 * instance has no room for another (no free device queue pair):
	 * the record queue then runs this backend through burst().
	 */
	TG_MUST_CHECK tg_result (*q_open)(void *ctx, unsigned depth, void **bq);
	/** Close a queue of q_open(); waits for the ops still in flight (at
	 *  most the backend's timeout) and forgets them. */
	void (*q_close)(void *ctx, void *bq);
	/**
	 * Hand @p n ops (each with its tg_aead_op::dir) to queue @p bq.
	 * Returns how many were taken, from the first on; the rest are left
	 * untouched (back-pressure: offered again later). A taken op
	 * belongs to the backend until enqueue's caller gets it back from
	 * dequeue(), with its status set (it may be done and failed at
	 * once: it comes back from the next dequeue()).
	 */
	uint16_t (*enqueue)(void *ctx, void *bq, struct tg_aead_op **ops,
			    uint16_t n);
	/**
	 * Ops of queue @p bq that are done, at most @p max, in any order,
	 * status set as burst() sets it. An op the backend cannot get back
	 * from its device within its timeout comes back failed
	 * (TG_REC_E_BACKEND).
	 */
	uint16_t (*dequeue)(void *ctx, void *bq, struct tg_aead_op **ops,
			    uint16_t max);
};

/** The backends compiled in; the table lives in record.c. */
extern const struct tg_accel_backend tg_accel_backend_evp;
#ifdef TG_HAVE_IPSECMB
extern const struct tg_accel_backend tg_accel_backend_ipsecmb;
#endif
#ifdef TG_HAVE_SIMD
extern const struct tg_accel_backend tg_accel_backend_simd;
#endif
extern const struct tg_accel_backend tg_accel_backend_cryptodev;

#endif
