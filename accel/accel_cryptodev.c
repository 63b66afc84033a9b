/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file accel_cryptodev.c
 * The "cryptodev" backend: AEAD through any DPDK crypto PMD (symmetric
 * AEAD sessions, enqueue/dequeue bursts), e.g. crypto_aesni_mb or
 * crypto_openssl.
 *
 * Argument (what followed "cryptodev:" in the config):
 *
 *     <device>[+sessions=<n>][+nosgl][+desc=<n>][+<vdev devarg>...]
 *
 * Options are separated by '+' (or ','; but the engine's backend list is
 * itself comma separated, so use '+' there), e.g.
 * "cryptodev:crypto_aesni_mb+sessions=65536+max_nb_queue_pairs=16".
 * <device> is a crypto device name ("crypto_aesni_mb", "crypto_openssl0").
 * When no device has that name and it starts with "crypto_", the vdev is
 * created, passing the options we do not know as its devargs (e.g.
 * "max_nb_queue_pairs=16"), and removed again by fini(). It is created
 * with rte_eal_hotplug_add("vdev", ...), which does what rte_vdev_init()
 * does but lives in the EAL library itself: librte_bus_vdev is not among
 * the libraries that pkg-config's libdpdk links.
 * "sessions" is the number of backend sessions the instance can hold
 * (default ::CDEV_DEF_SESSIONS); "nosgl" forces the linearisation path
 * even when the PMD does scatter-gather; "desc" is the number of
 * descriptors per queue pair (a power of two, default ::CDEV_NB_DESC). A
 * NULL or empty argument picks the first crypto device the EAL knows.
 *
 * A crypto_scheduler vdev names its workers (worker=NAME devargs, attached
 * when it is created): those that do not exist yet and whose name starts
 * with a crypto driver's are created first, as vdevs of their own, and
 * removed with the instance. Without a mode= devarg the scheduler gets
 * mode=round-robin (a scheduler without a mode does not start). E.g.
 * "cryptodev:crypto_scheduler+worker=crypto_aesni_mb_w0+worker=crypto_openssl_w1".
 *
 * Fault injection, for tests of the asynchronous path: "fail=<n>" makes
 * every n-th op enqueued on an asynchronous queue fail (TG_REC_E_BACKEND)
 * without the device seeing it (a seal's payload stays plaintext);
 * "hold=<n>" hands an asynchronous queue's completions back only on every
 * n-th dequeue, in reverse order (late and out of order).
 *
 * One instance per device: probing the same device again returns the same
 * instance with a reference taken, so two engines in one process share it.
 *
 * Resources, all allocated in probe() from EAL memory:
 *  - a session pool of 2 * sessions (+ 4 for the self-test) device
 *    sessions: each backend session holds two, because the AAD length
 *    (13 bytes for TLS 1.2, 5 for TLS 1.3) is part of a cryptodev AEAD
 *    session and the record layer only gives us suite, key and direction,
 *    so both are created eagerly;
 *  - per queue pair, ::CDEV_ROUND crypto ops and ::CDEV_ROUND mbufs,
 *    taken once from an op pool and an mbuf pool and kept for the life of
 *    the instance: burst() never allocates, so it cannot run dry;
 *  - per queue pair, a few linearisation slots of ::CDEV_LIN_SZ bytes in
 *    one IOVA-contiguous memzone (more of them when the PMD lacks in-place
 *    SGL).
 *
 * Crypto op private area (struct cdev_priv, right after the sym op): the
 * IV (12-byte nonce), the AAD (zero-padded to 32 bytes, as GCM PMDs may
 * read whole blocks), a 16-byte digest scratch (seal: tag out, copied to
 * op->tag; open: op->tag copied in, the PMD verifies), and the op's index
 * in its queue pair.
 *
 * Queue pairs and threads, for bursts: nb_sqp = min(what the asynchronous
 * queue pairs leave, rte_lcore_count() + 1). The k-th EAL lcore (in RTE_LCORE_FOREACH order,
 * main lcore included) uses queue pair k % (nb_sqp - 1); the last of them
 * is the fallback, used by every thread without an EAL lcore id (or with
 * one registered after probe). A queue pair used by more than one thread
 * (the fallback always; lcore ones when the device has fewer queue pairs
 * than lcores) is taken under its spinlock for the whole burst; an
 * exclusive one is used lock-free. With nb_sqp == 1 everyone shares queue
 * pair 0 (locked).
 *
 * Asynchronous queues (struct tg_accel_q, backend q_open/enqueue/dequeue):
 * up to rte_lcore_count() + 1 more queue pairs, taken first (all of the
 * device's but one at most: nb_sqp is what is left, at least one), each
 * with ::CDEV_AQ_OPS crypto ops and carriers of its own. A queue claims one for itself (a thread of its own, no
 * lock, and no burst ever dequeues its ops); when none is left q_open()
 * says TG_E_NOSPACE and the record layer runs this backend synchronously
 * for that queue. enqueue() prepares ops as a burst round does and
 * enqueues them without waiting: what the device refuses (its queue pair
 * full, no crypto op or linearisation slot free) is left to the caller,
 * which offers it again later. dequeue() finishes what the device gave
 * back (status, tag, copy back from a slot) and returns it with the ops
 * failed without the device (layout, refused after processing by
 * crypto_openssl, fault injection). When the device returns nothing for
 * ::CDEV_TIMEOUT_MS while it holds ops, they fail and the queue pair is
 * wedged, as for bursts.
 *
 * Payload forms (struct tg_aead_op), decided per op by cdev_check():
 *  - contiguous form (nseg == 1): seg[0] is attached to one of the queue
 *    pair's carrier mbufs as an external buffer (IOVA = VA in IOVA-as-VA
 *    mode, as with --no-huge; RTE_BAD_IOVA for software PMDs otherwise);
 *    a hardware PMD in IOVA-as-PA mode gets a linearised copy instead,
 *    since user memory has no usable IOVA; nseg > 1 is linearised too;
 *  - mbuf form, payload inside one segment: a one-segment packet goes as
 *    is (m_src = op->m, offset op->m_off); a segment of a chain is
 *    attached to a carrier (with the segment's IOVA);
 *  - mbuf form, payload across segments: m_src = op->m when the PMD's
 *    in-place SGL works for AEAD, else linearised. The feature flag
 *    RTE_CRYPTODEV_FF_IN_PLACE_SGL is not trusted: probe() seals and opens
 *    a 3-segment chain per suite and compares with the one-segment result
 *    (crypto_openssl in 22.11 sets the flag but fails AEAD on chains;
 *    crypto_aesni_mb passes);
 *  - empty payload (len 0): a carrier over a zero-length buffer (an offset
 *    at the end of a chain makes crypto_aesni_mb 22.11 walk off it).
 * Linearised ops are copied into a slot, processed there and copied back
 * (open: only when the tag verified; the slot is wiped otherwise). A burst
 * is cut into rounds of at most ::CDEV_ROUND ops and as many linearised
 * ops as the queue pair has slots.
 *
 * Completion: a round is enqueued and dequeued until every op is back.
 * When the device makes no progress for ::CDEV_TIMEOUT_MS, the ops still
 * out fail with TG_REC_E_BACKEND and the queue pair is marked wedged (the
 * device still owns those ops, so they can never be reused): every later
 * burst on it fails with TG_REC_E_BACKEND.
 *
 * Status mapping: SUCCESS -> TG_REC_OK, AUTH_FAILED on open ->
 * TG_REC_E_BAD_MAC, anything else -> TG_REC_E_BACKEND. The tag comparison
 * is the PMD's (crypto_aesni_mb in 22.11 uses memcmp(); a TLS connection
 * dies at its first bad record, which leaves that timing nothing to leak
 * across attempts).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_crypto.h>
#include <rte_cryptodev.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memzone.h>
#include <rte_mempool.h>
#include <rte_pause.h>
#include <rte_spinlock.h>

#include "backend.h"
#include "tg_eal.h"
#include "tg_log.h"
#include "tg_result.h"
#include "tg_wipe.h"

/** Ops per enqueue round (and crypto ops / mbufs kept per queue pair). */
#define CDEV_ROUND TG_ACCEL_BURST_MAX
/** Descriptors per queue pair. */
#define CDEV_NB_DESC 2048
/** Default number of backend sessions per instance (two device sessions
 *  each). */
#define CDEV_DEF_SESSIONS 8192
/** Upper bound for the "sessions" option. */
#define CDEV_MAX_SESSIONS (1u << 20)
/** Largest payload the linearisation path handles: 2^14 + 256 (TLS 1.3
 *  ciphertext: plaintext, content type and padding). */
#define CDEV_LIN_SZ (TG_REC_MAX_PLAIN + 256)
/** Device sessions the SGL self-test of probe() needs on top. */
#define CDEV_SELFTEST_SESS 4
/** Linearisation slots per queue pair when the PMD does in-place SGL (only
 *  the rare contiguous nseg > 1 form needs them). */
#define CDEV_LIN_SLOTS_SGL 2
/** Linearisation slots per queue pair when every chain must be copied. */
#define CDEV_LIN_SLOTS 16
/** A round fails when the device returns nothing for this long. */
#define CDEV_TIMEOUT_MS 1000
/** Crypto ops (and carrier mbufs) of an asynchronous queue pair: the most
 *  ops one asynchronous queue keeps in flight on the device. */
#define CDEV_AQ_OPS 256
/** Scheduler workers created with a crypto_scheduler vdev. */
#define CDEV_MAX_WORKERS 8
/** AEAD nonce, tag and AAD lengths. */
#define CDEV_IV_LEN 12
#define CDEV_TAG_LEN 16
#define CDEV_AAD_TLS12 13
#define CDEV_AAD_TLS13 5

_Static_assert(CDEV_ROUND <= 64, "a round is tracked in a 64-bit mask");
_Static_assert(TG_REC_TAG_LEN == CDEV_TAG_LEN, "tag length");

/** Private area of each crypto op, right after its sym op. */
struct cdev_priv {
	uint8_t iv[16];                /**< nonce (12 bytes used) */
	uint8_t aad[32];               /**< AAD, zero padded to blocks */
	uint8_t digest[CDEV_TAG_LEN];  /**< tag out (seal) / in (open) */
	uint16_t idx;                  /**< index in the queue pair arrays */
};

/** Offset of struct cdev_priv from the start of a crypto op. */
#define CDEV_PRIV_OFF                                                          \
	(sizeof(struct rte_crypto_op) + sizeof(struct rte_crypto_sym_op))
/** IV offset from the start of a crypto op (session xform). */
#define CDEV_IV_OFF (CDEV_PRIV_OFF + offsetof(struct cdev_priv, iv))

/** A queue pair and what one thread needs to run rounds on it. */
struct cdev_qp {
	rte_spinlock_t lock;  /**< taken when @ref shared */
	uint16_t id;          /**< queue pair id on the device */
	bool shared;          /**< used by more than one thread */
	bool wedged;          /**< the device kept ops: unusable */
	bool async;           /**< for an asynchronous queue (cdev_aq) */
	bool claimed;         /**< async: a queue holds it */
	uint16_t nb;          /**< ops it owns: ::CDEV_ROUND, or
				   ::CDEV_AQ_OPS when async */
	uint16_t nb_lin;      /**< linearisation slots */
	uint8_t *lin;         /**< nb_lin slots of CDEV_LIN_SZ bytes */
	rte_iova_t lin_iova;  /**< IOVA of lin */
	const struct rte_memzone *lin_mz; /**< memory of lin */
	struct rte_crypto_op **cop; /**< our crypto ops (nb) */
	struct rte_mbuf **mb;       /**< extbuf carriers (nb) */
	struct rte_crypto_op **deq; /**< dequeue array (nb) */
	struct tg_aead_op **rop;    /**< op of cop[k] (nb) */
	int16_t *rlin;              /**< slot of cop[k] or -1 (nb) */
	uint8_t *rdir;              /**< direction of cop[k] (nb) */
};

/** One instance: one crypto device. */
struct cdev_ctx {
	char name[RTE_CRYPTODEV_NAME_MAX_LEN]; /**< device name */
	uint8_t dev_id;   /**< crypto device id */
	bool created;     /**< we plugged the vdev: remove it in fini */
	bool started;     /**< rte_cryptodev_start() succeeded */
	bool configured;  /**< rte_cryptodev_configure() succeeded */
	bool sgl;         /**< chains go to the PMD as they are */
	bool ext_direct;  /**< contiguous buffers attach without copying */
	bool va;          /**< IOVA as VA: an address is its IOVA */
	bool suite[TG_SUITE__COUNT]; /**< suites the device implements */
	unsigned refcnt;  /**< probes holding the instance */
	int socket;       /**< NUMA socket for our memory */
	uint16_t nb_qp;   /**< queue pairs configured: nb_sqp + nb_aqp */
	uint16_t nb_sqp;  /**< for bursts: [0, nb_sqp) */
	uint16_t nb_aqp;  /**< for asynchronous queues: [nb_sqp, nb_qp) */
	uint16_t fallback;/**< queue pair of non-EAL threads */
	uint32_t nb_desc; /**< descriptors per queue pair */
	uint32_t fail_every; /**< test: fail every n-th async op (0: never) */
	uint32_t hold;    /**< test: async completions every n-th dequeue */
	unsigned n_workers; /**< worker vdevs we created (scheduler) */
	char workers[CDEV_MAX_WORKERS][RTE_CRYPTODEV_NAME_MAX_LEN]; /**< them */
	uint32_t nb_sess; /**< backend sessions the pool holds */
	uint64_t timeout; /**< no-progress limit of a round, timer cycles */
	struct rte_mempool *sess_mp; /**< device sessions */
	struct rte_mempool *op_mp;   /**< crypto ops */
	struct rte_mempool *mb_mp;   /**< extbuf carrier mbufs */
	struct cdev_qp *qp;          /**< nb_qp queue pairs */
	uint16_t qp_of_lcore[RTE_MAX_LCORE]; /**< lcore id -> queue pair */
};

/** A backend session: the device sessions for both AAD lengths. */
struct cdev_sess {
	struct cdev_ctx *ctx; /**< owner */
	void *ds[2];          /**< [0]: AAD 13 (TLS 1.2), [1]: AAD 5 (1.3) */
	uint8_t suite;        /**< ::tg_suite */
	uint8_t dir;          /**< ::tg_dir */
};

/** Instances by device id; probe/fini run under cdev_reg_lock. */
static struct cdev_ctx *cdev_reg[RTE_CRYPTO_MAX_DEVS];
static pthread_mutex_t cdev_reg_lock = PTHREAD_MUTEX_INITIALIZER;

/** The private area of crypto op @p cop. */
static inline struct cdev_priv *cdev_priv(struct rte_crypto_op *cop)
{
	return (struct cdev_priv *)((uint8_t *)cop + CDEV_PRIV_OFF);
}

/** Free callback of our external buffers: the memory is the caller's. */
static void cdev_extbuf_free(void *addr, void *opaque)
{
	RTE_SET_USED(addr);
	RTE_SET_USED(opaque);
}

/** Key length of @p suite. */
static uint8_t cdev_key_len(enum tg_suite suite)
{
	return suite == TG_SUITE_AES128GCM ? 16 : 32;
}

/** DPDK AEAD algorithm of @p suite. */
static enum rte_crypto_aead_algorithm cdev_algo(enum tg_suite suite)
{
	return suite == TG_SUITE_CHACHA20POLY1305 ?
		       RTE_CRYPTO_AEAD_CHACHA20_POLY1305 :
		       RTE_CRYPTO_AEAD_AES_GCM;
}

/** True when device @p dev implements @p suite with both AAD lengths. */
static bool cdev_dev_has(uint8_t dev, enum tg_suite suite)
{
	const struct rte_cryptodev_symmetric_capability *cap;
	struct rte_cryptodev_sym_capability_idx idx = {
		.type = RTE_CRYPTO_SYM_XFORM_AEAD,
		.algo.aead = cdev_algo(suite),
	};
	uint16_t kl = cdev_key_len(suite);

	cap = rte_cryptodev_sym_capability_get(dev, &idx);
	if (cap == NULL)
		return false;
	return rte_cryptodev_sym_capability_check_aead(cap, kl, CDEV_TAG_LEN,
						       CDEV_AAD_TLS12,
						       CDEV_IV_LEN) == 0 &&
	       rte_cryptodev_sym_capability_check_aead(cap, kl, CDEV_TAG_LEN,
						       CDEV_AAD_TLS13,
						       CDEV_IV_LEN) == 0;
}

/* ------------------------------------------------------------------ */
/* probe / fini                                                        */
/* ------------------------------------------------------------------ */

/** Parsed probe argument. */
struct cdev_arg {
	char name[RTE_CRYPTODEV_NAME_MAX_LEN]; /**< device name, or "" */
	char devargs[256];                     /**< for the vdev we create */
	uint32_t nb_sess;                      /**< backend sessions */
	bool nosgl;                            /**< force linearisation */
	uint32_t nb_desc;                      /**< descriptors per qp */
	uint32_t fail_every;                   /**< test: fail=N */
	uint32_t hold;                         /**< test: hold=N */
	bool has_mode;                         /**< a mode= devarg given */
	unsigned n_workers;                    /**< worker= devargs */
	char workers[CDEV_MAX_WORKERS][RTE_CRYPTODEV_NAME_MAX_LEN]; /**< them */
};

/** Parse "key=N" as a number in [lo, hi]. */
static bool cdev_opt_num(const char *tok, const char *key, uint32_t lo,
			 uint32_t hi, uint32_t *out)
{
	size_t kl = strlen(key);
	char *end = NULL;
	unsigned long v;

	if (strncmp(tok, key, kl) != 0 || tok[kl] != '=')
		return false;
	v = strtoul(tok + kl + 1, &end, 0);
	if (end == NULL || *end != '\0' || end == tok + kl + 1 || v < lo ||
	    v > hi)
		return false;
	*out = (uint32_t)v;
	return true;
}

/** Split "name[+opt...]" (or ',') into struct cdev_arg. */
static TG_MUST_CHECK tg_result cdev_parse_arg(const char *arg, struct cdev_arg *a)
{
	char tmp[512];
	char *save = NULL;
	char *tok;
	size_t used = 0;

	memset(a, 0, sizeof(*a));
	a->nb_sess = CDEV_DEF_SESSIONS;
	a->nb_desc = CDEV_NB_DESC;
	if (arg == NULL || arg[0] == '\0')
		return TG_OK;
	TG_ENSURE(strlen(arg) < sizeof(tmp), TG_E_INVAL);
	strcpy(tmp, arg);

	tok = strtok_r(tmp, ",+", &save);
	TG_ENSURE(tok != NULL && tok == tmp, TG_E_INVAL);
	TG_ENSURE(strlen(tok) < sizeof(a->name), TG_E_INVAL);
	strcpy(a->name, tok);

	while ((tok = strtok_r(NULL, ",+", &save)) != NULL) {
		if (strncmp(tok, "sessions=", 9) == 0) {
			TG_ENSURE(cdev_opt_num(tok, "sessions", 1,
					       CDEV_MAX_SESSIONS, &a->nb_sess),
				  TG_E_INVAL);
		} else if (strncmp(tok, "desc=", 5) == 0) {
			TG_ENSURE(cdev_opt_num(tok, "desc", 2, 1u << 16,
					       &a->nb_desc) &&
					  rte_is_power_of_2(a->nb_desc),
				  TG_E_INVAL);
		} else if (strncmp(tok, "fail=", 5) == 0) {
			TG_ENSURE(cdev_opt_num(tok, "fail", 1, UINT32_MAX,
					       &a->fail_every),
				  TG_E_INVAL);
		} else if (strncmp(tok, "hold=", 5) == 0) {
			TG_ENSURE(cdev_opt_num(tok, "hold", 1, 1000, &a->hold),
				  TG_E_INVAL);
		} else if (strcmp(tok, "nosgl") == 0) {
			a->nosgl = true;
		} else {
			int n = snprintf(a->devargs + used,
					 sizeof(a->devargs) - used, "%s%s",
					 used ? "," : "", tok);

			TG_ENSURE(n >= 0 && (size_t)n < sizeof(a->devargs) - used,
				  TG_E_INVAL);
			used += (size_t)n;
			if (strncmp(tok, "mode=", 5) == 0)
				a->has_mode = true;
			if (strncmp(tok, "worker=", 7) == 0) {
				TG_ENSURE(a->n_workers < CDEV_MAX_WORKERS &&
						  strlen(tok + 7) <
							  sizeof(a->workers[0]),
					  TG_E_INVAL);
				strcpy(a->workers[a->n_workers++], tok + 7);
			}
		}
	}
	/* a scheduler without a mode does not start: round robin, the one
	 * that needs no other parameter */
	if (strncmp(a->name, "crypto_scheduler", 16) == 0 && !a->has_mode) {
		int n = snprintf(a->devargs + used, sizeof(a->devargs) - used,
				 "%smode=round-robin", used ? "," : "");

		TG_ENSURE(n >= 0 && (size_t)n < sizeof(a->devargs) - used,
			  TG_E_INVAL);
	}
	return TG_OK;
}

/** Release everything an instance holds (any stage of cdev_open). */
static void cdev_teardown(struct cdev_ctx *ctx)
{
	if (ctx->started)
		rte_cryptodev_stop(ctx->dev_id);
	if (ctx->configured && rte_cryptodev_close(ctx->dev_id) != 0)
		TG_WARN("cryptodev %s: close failed", ctx->name);
	if (ctx->qp != NULL) {
		for (uint16_t q = 0; q < ctx->nb_qp; q++) {
			rte_memzone_free(ctx->qp[q].lin_mz);
			rte_free(ctx->qp[q].cop);
		}
		rte_free(ctx->qp);
	}
	if (ctx->sess_mp != NULL) {
		unsigned used = rte_mempool_in_use_count(ctx->sess_mp);

		if (used != 0)
			TG_WARN("cryptodev %s: %u device sessions not freed",
				ctx->name, used);
		rte_mempool_free(ctx->sess_mp);
	}
	/* Our ops and mbufs are still out of their pools: freeing the pools
	 * releases them with the rest. */
	rte_mempool_free(ctx->op_mp);
	rte_mempool_free(ctx->mb_mp);
	if (ctx->created && rte_eal_hotplug_remove("vdev", ctx->name) != 0)
		TG_WARN("cryptodev %s: vdev removal failed", ctx->name);
	for (unsigned w = 0; w < ctx->n_workers; w++)
		if (rte_eal_hotplug_remove("vdev", ctx->workers[w]) != 0)
			TG_WARN("cryptodev %s: worker vdev %s removal failed",
				ctx->name, ctx->workers[w]);
	free(ctx);
}

/** Take a queue pair's @p nb crypto ops and carrier mbufs. */
static TG_MUST_CHECK tg_result cdev_qp_init(struct cdev_ctx *ctx, struct cdev_qp *qp,
			      uint16_t id, uint16_t nb)
{
	size_t ptrs = sizeof(void *) * nb;
	uint8_t *mem;

	rte_spinlock_init(&qp->lock);
	qp->id = id;
	qp->nb = nb;
	/* one block: cop, mb, deq, rop, rlin, rdir (freed through cop) */
	mem = rte_zmalloc_socket("tgcd_qpa", 4 * ptrs + 3u * nb,
				 RTE_CACHE_LINE_SIZE, ctx->socket);
	TG_ENSURE(mem != NULL, TG_E_NOMEM);
	qp->cop = (struct rte_crypto_op **)(void *)mem;
	qp->mb = (struct rte_mbuf **)(void *)(mem + ptrs);
	qp->deq = (struct rte_crypto_op **)(void *)(mem + 2 * ptrs);
	qp->rop = (struct tg_aead_op **)(void *)(mem + 3 * ptrs);
	qp->rlin = (int16_t *)(void *)(mem + 4 * ptrs);
	qp->rdir = mem + 4 * ptrs + 2u * nb;
	TG_ENSURE(rte_crypto_op_bulk_alloc(ctx->op_mp,
					   RTE_CRYPTO_OP_TYPE_SYMMETRIC,
					   qp->cop, nb) == nb,
		  TG_E_NOMEM);
	TG_ENSURE(rte_pktmbuf_alloc_bulk(ctx->mb_mp, qp->mb, nb) == 0,
		  TG_E_NOMEM);
	for (uint16_t k = 0; k < nb; k++) {
		struct rte_mbuf_ext_shared_info *sh =
			rte_mbuf_to_priv(qp->mb[k]);

		cdev_priv(qp->cop[k])->idx = k;
		sh->free_cb = cdev_extbuf_free;
		sh->fcb_opaque = NULL;
		rte_mbuf_ext_refcnt_set(sh, 1);
	}
	return TG_OK;
}

/** Reserve a queue pair's linearisation slots (once ctx->sgl is known). */
static TG_MUST_CHECK tg_result cdev_qp_lin(struct cdev_ctx *ctx, struct cdev_qp *qp)
{
	char mzname[RTE_MEMZONE_NAMESIZE];

	qp->nb_lin = ctx->sgl && ctx->ext_direct ? CDEV_LIN_SLOTS_SGL :
						   CDEV_LIN_SLOTS;
	snprintf(mzname, sizeof(mzname), "tgcd%u_l%u", ctx->dev_id, qp->id);
	qp->lin_mz = rte_memzone_reserve_aligned(
		mzname, (size_t)qp->nb_lin * CDEV_LIN_SZ, ctx->socket,
		RTE_MEMZONE_IOVA_CONTIG, RTE_CACHE_LINE_SIZE);
	TG_ENSURE(qp->lin_mz != NULL, TG_E_NOMEM);
	qp->lin = qp->lin_mz->addr;
	qp->lin_iova = qp->lin_mz->iova;
	return TG_OK;
}

/** Map lcores to queue pairs (see the file comment). */
static void cdev_map_lcores(struct cdev_ctx *ctx)
{
	uint16_t nlc = ctx->nb_sqp > 1 ? ctx->nb_sqp - 1 : 1;
	unsigned lc;
	unsigned k = 0;

	ctx->fallback = ctx->nb_sqp - 1;
	for (unsigned i = 0; i < RTE_MAX_LCORE; i++)
		ctx->qp_of_lcore[i] = ctx->fallback;
	RTE_LCORE_FOREACH(lc) {
		uint16_t q = (uint16_t)(k % nlc);

		if (k >= nlc)
			ctx->qp[q].shared = true;
		ctx->qp_of_lcore[lc] = q;
		k++;
	}
	ctx->qp[ctx->fallback].shared = true;
}

static bool cdev_sgl_selftest(struct cdev_ctx *ctx);

/** Configure and start device @p dev into a new instance. */
static TG_MUST_CHECK tg_result cdev_open(uint8_t dev, const struct cdev_arg *a,
			   bool created, struct cdev_ctx **out)
{
	struct rte_cryptodev_info info;
	struct rte_cryptodev_config conf;
	struct rte_cryptodev_qp_conf qpc;
	struct cdev_ctx *ctx;
	char pname[RTE_MEMPOOL_NAMESIZE];
	unsigned lcores = rte_lcore_count() + 1;
	unsigned sess_sz;
	bool any = false;
	tg_result r = tg_error(TG_E_BACKEND);

	ctx = calloc(1, sizeof(*ctx));
	TG_ENSURE(ctx != NULL, TG_E_NOMEM);
	ctx->dev_id = dev;
	ctx->created = created;
	snprintf(ctx->name, sizeof(ctx->name), "%s",
		 rte_cryptodev_name_get(dev));
	ctx->nb_sess = a->nb_sess;
	ctx->nb_desc = a->nb_desc;
	ctx->n_workers = a->n_workers;
	memcpy(ctx->workers, a->workers, sizeof(ctx->workers));
	ctx->fail_every = a->fail_every;
	ctx->hold = a->hold;

	memset(&info, 0, sizeof(info));
	rte_cryptodev_info_get(dev, &info);
	if (!(info.feature_flags & RTE_CRYPTODEV_FF_SYMMETRIC_CRYPTO)) {
		r = tg_error(TG_E_UNSUPPORTED);
		goto fail;
	}
	for (int s = 0; s < TG_SUITE__COUNT; s++) {
		ctx->suite[s] = cdev_dev_has(dev, (enum tg_suite)s);
		any |= ctx->suite[s];
	}
	if (!any) {
		TG_NOTICE("cryptodev %s: no TLS AEAD suite", ctx->name);
		r = tg_error(TG_E_UNSUPPORTED);
		goto fail;
	}

	ctx->va = rte_eal_iova_mode() == RTE_IOVA_VA;
	ctx->ext_direct = ctx->va ||
			  !(info.feature_flags & RTE_CRYPTODEV_FF_HW_ACCELERATED);
	ctx->sgl = !a->nosgl &&
		   (info.feature_flags & RTE_CRYPTODEV_FF_IN_PLACE_SGL) != 0;
	ctx->socket = rte_cryptodev_socket_id(dev);
	if (ctx->socket < 0)
		ctx->socket = SOCKET_ID_ANY;
	ctx->timeout = rte_get_timer_hz() / 1000 * CDEV_TIMEOUT_MS;
	if (lcores > RTE_MAX_LCORE)
		lcores = RTE_MAX_LCORE;
	/* asynchronous queues first (one per thread that opens one: the
	 * dataplane lcores), all but one queue pair at most; bursts get
	 * the rest (they share them, under a lock, when too few) */
	ctx->nb_aqp = info.max_nb_queue_pairs < 2 ? 0 :
		(uint16_t)RTE_MIN((unsigned)info.max_nb_queue_pairs - 1, lcores);
	ctx->nb_sqp = (uint16_t)RTE_MIN((unsigned)info.max_nb_queue_pairs -
						ctx->nb_aqp,
					lcores);
	ctx->nb_qp = ctx->nb_sqp + ctx->nb_aqp;
	if (ctx->nb_qp == 0) {
		TG_ERR("cryptodev %s: no queue pairs", ctx->name);
		goto fail;
	}

	/* Pools. */
	sess_sz = rte_cryptodev_sym_get_private_session_size(dev);
	snprintf(pname, sizeof(pname), "tgcd%u_s", dev);
	ctx->sess_mp = rte_cryptodev_sym_session_pool_create(
		pname,
		/* a scheduler's session holds one of each worker's */
		(2 * ctx->nb_sess + CDEV_SELFTEST_SESS) * (1 + a->n_workers),
		sess_sz, 0, 0,
		ctx->socket);
	snprintf(pname, sizeof(pname), "tgcd%u_o", dev);
	ctx->op_mp = rte_crypto_op_pool_create(
		pname, RTE_CRYPTO_OP_TYPE_SYMMETRIC,
		(unsigned)ctx->nb_sqp * CDEV_ROUND +
			(unsigned)ctx->nb_aqp * CDEV_AQ_OPS,
		0,
		(uint16_t)RTE_ALIGN_CEIL(sizeof(struct cdev_priv), 8),
		ctx->socket);
	snprintf(pname, sizeof(pname), "tgcd%u_m", dev);
	ctx->mb_mp = rte_pktmbuf_pool_create(
		pname,
		(unsigned)ctx->nb_sqp * CDEV_ROUND +
			(unsigned)ctx->nb_aqp * CDEV_AQ_OPS,
		0,
		(uint16_t)RTE_ALIGN_CEIL(
			sizeof(struct rte_mbuf_ext_shared_info),
			RTE_MBUF_PRIV_ALIGN),
		0, ctx->socket);
	if (ctx->sess_mp == NULL || ctx->op_mp == NULL || ctx->mb_mp == NULL) {
		TG_ERR("cryptodev %s: pool creation failed: %s", ctx->name,
		       rte_strerror(rte_errno));
		r = tg_error(TG_E_NOMEM);
		goto fail;
	}

	/* Device. */
	memset(&conf, 0, sizeof(conf));
	conf.socket_id = ctx->socket;
	conf.nb_queue_pairs = ctx->nb_qp;
	conf.ff_disable = RTE_CRYPTODEV_FF_ASYMMETRIC_CRYPTO |
			  RTE_CRYPTODEV_FF_SECURITY;
	if (rte_cryptodev_configure(dev, &conf) < 0) {
		TG_ERR("cryptodev %s: configure failed", ctx->name);
		goto fail;
	}
	ctx->configured = true;
	memset(&qpc, 0, sizeof(qpc));
	qpc.nb_descriptors = ctx->nb_desc;
	qpc.mp_session = ctx->sess_mp;
	for (uint16_t q = 0; q < ctx->nb_qp; q++) {
		if (rte_cryptodev_queue_pair_setup(dev, q, &qpc,
						   ctx->socket) < 0) {
			TG_ERR("cryptodev %s: queue pair %u setup failed",
			       ctx->name, q);
			goto fail;
		}
	}
	if (rte_cryptodev_start(dev) < 0) {
		TG_ERR("cryptodev %s: start failed", ctx->name);
		goto fail;
	}
	ctx->started = true;

	/* Queue pairs. */
	ctx->qp = rte_zmalloc_socket("tgcd_qp",
				     sizeof(*ctx->qp) * ctx->nb_qp,
				     RTE_CACHE_LINE_SIZE, ctx->socket);
	if (ctx->qp == NULL) {
		r = tg_error(TG_E_NOMEM);
		goto fail;
	}
	for (uint16_t q = 0; q < ctx->nb_qp; q++) {
		ctx->qp[q].async = q >= ctx->nb_sqp;
		r = cdev_qp_init(ctx, &ctx->qp[q], q,
				 ctx->qp[q].async ? CDEV_AQ_OPS : CDEV_ROUND);
		if (tg_failed(r)) {
			TG_ERR("cryptodev %s: queue pair %u: out of memory",
			       ctx->name, q);
			goto fail;
		}
	}
	cdev_map_lcores(ctx);
	if (ctx->sgl && !cdev_sgl_selftest(ctx)) {
		TG_INFO("cryptodev %s: in-place SGL unusable for AEAD: "
			"chains are linearised", ctx->name);
		ctx->sgl = false;
	}
	for (uint16_t q = 0; q < ctx->nb_qp; q++) {
		if (ctx->qp[q].wedged) {
			TG_ERR("cryptodev %s: device failed its self-test",
			       ctx->name);
			r = tg_error(TG_E_BACKEND);
			goto fail;
		}
		r = cdev_qp_lin(ctx, &ctx->qp[q]);
		if (tg_failed(r)) {
			TG_ERR("cryptodev %s: queue pair %u: out of memory",
			       ctx->name, q);
			goto fail;
		}
	}

	TG_INFO("cryptodev %s: %u queue pairs (%u for asynchronous queues), "
		"%u sessions, sgl %s%s%s%s",
		ctx->name, ctx->nb_qp, ctx->nb_aqp, ctx->nb_sess,
		ctx->sgl ? "yes" : "no",
		ctx->suite[TG_SUITE_AES128GCM] ? ", aes128gcm" : "",
		ctx->suite[TG_SUITE_AES256GCM] ? ", aes256gcm" : "",
		ctx->suite[TG_SUITE_CHACHA20POLY1305] ? ", chacha20poly1305" :
							 "");
	ctx->refcnt = 1;
	*out = ctx;
	return TG_OK;

fail:
	cdev_teardown(ctx);
	return r;
}

/**
 * True when @p name starts with the name of a registered crypto driver,
 * which is how the vdev bus matches a vdev to its driver.
 */
static bool cdev_vdev_driver_known(const char *name)
{
	for (unsigned id = 0; id <= UINT8_MAX; id++) {
		const char *dn = rte_cryptodev_driver_name_get((uint8_t)id);

		if (dn == NULL)
			break;
		if (strncmp(name, dn, strlen(dn)) == 0)
			return true;
	}
	return false;
}

/**
 * A crypto_scheduler vdev attaches its workers (worker=NAME devargs) by
 * name when it is created: create those that do not exist yet as vdevs
 * of their own (a name that starts with a crypto driver's). Afterwards
 * a->workers lists only the ones created here (removed with the
 * instance).
 */
static void cdev_make_workers(struct cdev_arg *a)
{
	unsigned made = 0;

	for (unsigned w = 0; w < a->n_workers; w++) {
		const char *wn = a->workers[w];

		if (rte_cryptodev_get_dev_id(wn) >= 0 ||
		    strncmp(wn, "crypto_", 7) != 0 || !cdev_vdev_driver_known(wn))
			continue;
		if (rte_eal_hotplug_add("vdev", wn, "") != 0) {
			TG_NOTICE("cryptodev %s: cannot create worker vdev %s",
				  a->name, wn);
			continue;
		}
		memmove(a->workers[made++], wn, strlen(wn) + 1);
	}
	a->n_workers = made;
}

/** Remove the worker vdevs cdev_make_workers() created. */
static void cdev_unmake_workers(struct cdev_arg *a)
{
	for (unsigned w = 0; w < a->n_workers; w++)
		(void)rte_eal_hotplug_remove("vdev", a->workers[w]);
	a->n_workers = 0;
}

/** First valid crypto device, or -1. */
static int cdev_first_dev(void)
{
	for (unsigned d = 0; d < RTE_CRYPTO_MAX_DEVS; d++)
		if (rte_cryptodev_is_valid_dev((uint8_t)d))
			return (int)d;
	return -1;
}

/** backend probe(): see the file comment for @p arg. */
static TG_MUST_CHECK tg_result cdev_probe(const char *arg, void **out)
{
	struct cdev_arg a;
	struct cdev_ctx *ctx = NULL;
	bool created = false;
	tg_result r;
	int dev;

	TG_ENSURE_REF(out);
	*out = NULL;
	if (!tg_eal_up() || rte_eal_process_type() != RTE_PROC_PRIMARY)
		return tg_error(TG_E_UNSUPPORTED);
	TG_GUARD(cdev_parse_arg(arg, &a));

	pthread_mutex_lock(&cdev_reg_lock);
	if (a.name[0] == '\0') {
		dev = cdev_first_dev();
	} else {
		dev = rte_cryptodev_get_dev_id(a.name);
		if (dev < 0 && strncmp(a.name, "crypto_", 7) == 0 &&
		    cdev_vdev_driver_known(a.name)) {
			cdev_make_workers(&a);
			if (rte_eal_hotplug_add("vdev", a.name, a.devargs) ==
			    0) {
				created = true;
				dev = rte_cryptodev_get_dev_id(a.name);
			} else {
				TG_NOTICE("cryptodev %s: cannot create vdev",
					  a.name);
			}
		} else {
			a.n_workers = 0; /* created by someone else */
		}
	}
	if (dev < 0 || dev >= RTE_CRYPTO_MAX_DEVS) {
		if (created)
			rte_eal_hotplug_remove("vdev", a.name);
		cdev_unmake_workers(&a);
		pthread_mutex_unlock(&cdev_reg_lock);
		return tg_error(TG_E_UNSUPPORTED);
	}
	if (cdev_reg[dev] != NULL) {
		cdev_reg[dev]->refcnt++;
		*out = cdev_reg[dev];
		pthread_mutex_unlock(&cdev_reg_lock);
		return TG_OK;
	}
	r = cdev_open((uint8_t)dev, &a, created, &ctx);
	if (tg_ok(r)) {
		cdev_reg[dev] = ctx;
		*out = ctx;
	}
	pthread_mutex_unlock(&cdev_reg_lock);
	return r;
}

/** backend fini(): drop a reference; the last one closes the device. */
static void cdev_fini(void *vctx)
{
	struct cdev_ctx *ctx = vctx;

	if (ctx == NULL)
		return;
	pthread_mutex_lock(&cdev_reg_lock);
	if (--ctx->refcnt == 0) {
		cdev_reg[ctx->dev_id] = NULL;
		cdev_teardown(ctx);
	}
	pthread_mutex_unlock(&cdev_reg_lock);
}

/** backend has_suite(). */
static bool cdev_has_suite(void *vctx, enum tg_suite suite)
{
	const struct cdev_ctx *ctx = vctx;

	return ctx != NULL && (unsigned)suite < TG_SUITE__COUNT &&
	       ctx->suite[suite];
}

/* ------------------------------------------------------------------ */
/* sessions                                                            */
/* ------------------------------------------------------------------ */

/** Create one device session for an AAD length. */
static TG_MUST_CHECK tg_result cdev_dsess_create(struct cdev_ctx *ctx, enum tg_suite suite,
				   const uint8_t *key, uint8_t key_len,
				   enum tg_dir dir, uint16_t aad_len,
				   void **ds)
{
	struct rte_crypto_sym_xform x;

	memset(&x, 0, sizeof(x));
	x.type = RTE_CRYPTO_SYM_XFORM_AEAD;
	x.next = NULL;
	x.aead.op = dir == TG_DIR_SEAL ? RTE_CRYPTO_AEAD_OP_ENCRYPT :
					 RTE_CRYPTO_AEAD_OP_DECRYPT;
	x.aead.algo = cdev_algo(suite);
	x.aead.key.data = key;
	x.aead.key.length = key_len;
	x.aead.iv.offset = (uint16_t)CDEV_IV_OFF;
	x.aead.iv.length = CDEV_IV_LEN;
	x.aead.digest_length = CDEV_TAG_LEN;
	x.aead.aad_length = aad_len;

	*ds = rte_cryptodev_sym_session_create(ctx->dev_id, &x, ctx->sess_mp);
	if (*ds != NULL)
		return TG_OK;
	switch (rte_errno) {
	case ENOMEM:
		return tg_error(TG_E_NOMEM);
	case ENOTSUP:
		return tg_error(TG_E_UNSUPPORTED);
	default:
		TG_WARN("cryptodev %s: session create failed: %s", ctx->name,
			rte_strerror(rte_errno));
		return tg_error(TG_E_BACKEND);
	}
}

/** backend sess_create(): two device sessions (AAD 13 and 5). */
static TG_MUST_CHECK tg_result cdev_sess_create(void *vctx, enum tg_suite suite,
				  const uint8_t *key, uint8_t key_len,
				  enum tg_dir dir, void **bsess)
{
	static const uint16_t aad_len[2] = { CDEV_AAD_TLS12, CDEV_AAD_TLS13 };
	struct cdev_ctx *ctx = vctx;
	struct cdev_sess *s;

	TG_ENSURE(ctx != NULL && key != NULL && bsess != NULL, TG_E_INVAL);
	TG_ENSURE((unsigned)suite < TG_SUITE__COUNT, TG_E_INVAL);
	TG_ENSURE(dir == TG_DIR_SEAL || dir == TG_DIR_OPEN, TG_E_INVAL);
	TG_ENSURE(ctx->suite[suite], TG_E_UNSUPPORTED);
	TG_ENSURE(key_len == cdev_key_len(suite), TG_E_INVAL);

	s = calloc(1, sizeof(*s));
	TG_ENSURE(s != NULL, TG_E_NOMEM);
	s->ctx = ctx;
	s->suite = (uint8_t)suite;
	s->dir = (uint8_t)dir;
	for (int v = 0; v < 2; v++) {
		tg_result r = cdev_dsess_create(ctx, suite, key, key_len, dir,
						aad_len[v], &s->ds[v]);

		if (tg_failed(r)) {
			if (v == 1)
				rte_cryptodev_sym_session_free(ctx->dev_id,
							       s->ds[0]);
			free(s);
			return r;
		}
	}
	*bsess = s;
	return TG_OK;
}

/**
 * backend sess_free(). The PMD's session clear and the library wipe the
 * device session (key schedule) before it goes back to the pool.
 */
static void cdev_sess_free(void *vctx, void *bsess)
{
	struct cdev_sess *s = bsess;

	RTE_SET_USED(vctx);
	if (s == NULL)
		return;
	for (int v = 0; v < 2; v++)
		if (s->ds[v] != NULL &&
		    rte_cryptodev_sym_session_free(s->ctx->dev_id,
						   s->ds[v]) != 0)
			TG_WARN("cryptodev %s: session free failed",
				s->ctx->name);
	tg_wipe(s, sizeof(*s));
	free(s);
}

/* ------------------------------------------------------------------ */
/* burst                                                               */
/* ------------------------------------------------------------------ */

/** Queue pair of the calling thread, locked when shared. */
static inline struct cdev_qp *cdev_qp_enter(struct cdev_ctx *ctx)
{
	unsigned lc = rte_lcore_id();
	uint16_t q = lc < RTE_MAX_LCORE ? ctx->qp_of_lcore[lc] : ctx->fallback;
	struct cdev_qp *qp = &ctx->qp[q];

	if (qp->shared)
		rte_spinlock_lock(&qp->lock);
	return qp;
}

/** Leave a queue pair taken by cdev_qp_enter(). */
static inline void cdev_qp_leave(struct cdev_qp *qp)
{
	if (qp->shared)
		rte_spinlock_unlock(&qp->lock);
}

/**
 * Copy an op's payload to (@p to_lin) or from a linear buffer. The layout
 * was validated by cdev_check().
 */
static void cdev_copy(const struct tg_aead_op *op, uint8_t *lin, bool to_lin)
{
	uint32_t left = op->len;

	if (op->m != NULL) {
		struct rte_mbuf *m = op->m;
		uint32_t off = op->m_off;

		while (m != NULL && off >= m->data_len && left != 0) {
			off -= m->data_len;
			m = m->next;
		}
		for (; m != NULL && left != 0; m = m->next, off = 0) {
			uint32_t n = RTE_MIN((uint32_t)m->data_len - off, left);
			uint8_t *p = rte_pktmbuf_mtod_offset(m, uint8_t *, off);

			if (to_lin)
				memcpy(lin, p, n);
			else
				memcpy(p, lin, n);
			lin += n;
			left -= n;
		}
		return;
	}
	for (unsigned i = 0; i < op->nseg && left != 0; i++) {
		uint32_t n = RTE_MIN(op->seg[i].n, left);

		if (n == 0)
			continue;
		if (to_lin)
			memcpy(lin, op->seg[i].p, n);
		else
			memcpy(op->seg[i].p, lin, n);
		lin += n;
		left -= n;
	}
}

/** How an op's payload reaches the PMD. */
enum cdev_mode {
	CDEV_SRC_MBUF = 0, /**< m_src = op->m as it is */
	CDEV_SRC_PTR,      /**< one piece, on a carrier mbuf as extbuf */
	CDEV_SRC_LIN,      /**< copied to a linearisation slot and back */
};

/** Where an op's payload is, as cdev_check() found it. */
struct cdev_src {
	enum cdev_mode mode;
	uint8_t *p;       /**< CDEV_SRC_PTR: the piece (NULL: empty) */
	rte_iova_t iova;  /**< CDEV_SRC_PTR: its IOVA */
};

/**
 * Validate @p op for this instance and direction; pick its device session
 * and how its payload goes to the PMD. Returns TG_REC_OK or the status to
 * fail it with.
 */
static uint8_t cdev_check(const struct cdev_ctx *ctx, enum tg_dir dir,
			  const struct tg_aead_op *op, void **ds,
			  struct cdev_src *src)
{
	const struct cdev_sess *s = op->bsess;

	if (s == NULL || s->ctx != ctx || s->dir != (uint8_t)dir)
		return TG_REC_E_BACKEND;
	if (op->aad_len == CDEV_AAD_TLS12)
		*ds = s->ds[0];
	else if (op->aad_len == CDEV_AAD_TLS13)
		*ds = s->ds[1];
	else
		return TG_REC_E_BACKEND;

	src->mode = CDEV_SRC_PTR;
	src->p = NULL;
	src->iova = RTE_BAD_IOVA;
	if (op->m != NULL) {
		const struct rte_mbuf *m = op->m;
		uint32_t off = op->m_off;

		if ((uint64_t)op->m_off + op->len > m->pkt_len)
			return TG_REC_E_BACKEND;
		if (op->len == 0)
			return TG_REC_OK; /* empty piece */
		while (m != NULL && off >= m->data_len) {
			off -= m->data_len;
			m = m->next;
		}
		if (m == NULL)
			return TG_REC_E_BACKEND;
		if (off + op->len <= m->data_len) {
			/* In one segment: no SGL needed (PMDs have bugs with
			 * an offset past the first segment). */
			if (m == op->m && m->nb_segs == 1) {
				src->mode = CDEV_SRC_MBUF;
			} else {
				src->p = rte_pktmbuf_mtod_offset(m, uint8_t *,
								 off);
				src->iova = rte_pktmbuf_iova_offset(m, off);
			}
		} else {
			src->mode = ctx->sgl ? CDEV_SRC_MBUF : CDEV_SRC_LIN;
		}
	} else {
		uint64_t sum = 0;

		if (op->nseg > TG_ACCEL_MAX_SEGS)
			return TG_REC_E_BACKEND;
		for (unsigned i = 0; i < op->nseg; i++) {
			if (op->seg[i].p == NULL && op->seg[i].n != 0)
				return TG_REC_E_BACKEND;
			sum += op->seg[i].n;
		}
		if (sum != op->len)
			return TG_REC_E_BACKEND;
		if (op->len == 0)
			return TG_REC_OK; /* empty piece */
		if (op->nseg == 1 && ctx->ext_direct) {
			src->p = op->seg[0].p;
			if (ctx->va)
				src->iova = (rte_iova_t)(uintptr_t)src->p;
		} else {
			src->mode = CDEV_SRC_LIN;
		}
	}
	if (src->mode == CDEV_SRC_LIN && op->len > CDEV_LIN_SZ)
		return TG_REC_E_BACKEND;
	if (src->mode == CDEV_SRC_PTR && op->len > UINT16_MAX)
		return TG_REC_E_BACKEND; /* extbuf length is 16 bits */
	return TG_REC_OK;
}

/** Attach @p len bytes at @p p to carrier mbuf @p m as an external buffer. */
static inline void cdev_attach(struct rte_mbuf *m, void *p, rte_iova_t iova,
			       uint32_t len)
{
	struct rte_mbuf_ext_shared_info *sh = rte_mbuf_to_priv(m);

	rte_mbuf_ext_refcnt_set(sh, 1);
	rte_pktmbuf_attach_extbuf(m, p, iova, (uint16_t)len, sh);
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	m->nb_segs = 1;
	m->next = NULL;
}

/** Build crypto op @p k of the round for @p op (slot @p lin, or -1). */
static void cdev_prepare(struct cdev_qp *qp, uint16_t k, enum tg_dir dir,
			 struct tg_aead_op *op, void *ds,
			 const struct cdev_src *src, int lin)
{
	struct rte_crypto_op *cop = qp->cop[k];
	struct rte_crypto_sym_op *sym = cop->sym;
	struct cdev_priv *pv = cdev_priv(cop);
	rte_iova_t pv_iova = cop->phys_addr + CDEV_PRIV_OFF;

	cop->status = RTE_CRYPTO_OP_STATUS_NOT_PROCESSED;
	memset(sym, 0, sizeof(*sym));
	rte_crypto_op_attach_sym_session(cop, ds);

	memcpy(pv->iv, op->nonce, CDEV_IV_LEN);
	memset(pv->aad, 0, sizeof(pv->aad));
	memcpy(pv->aad, op->aad, op->aad_len);
	if (dir == TG_DIR_OPEN)
		memcpy(pv->digest, op->tag, CDEV_TAG_LEN);
	sym->aead.aad.data = pv->aad;
	sym->aead.aad.phys_addr = pv_iova + offsetof(struct cdev_priv, aad);
	sym->aead.digest.data = pv->digest;
	sym->aead.digest.phys_addr =
		pv_iova + offsetof(struct cdev_priv, digest);
	sym->aead.data.length = op->len;

	switch (src->mode) {
	case CDEV_SRC_MBUF:
		sym->m_src = op->m;
		sym->aead.data.offset = op->m_off;
		break;
	case CDEV_SRC_PTR:
		if (src->p != NULL) /* else empty: any valid memory will do */
			cdev_attach(qp->mb[k], src->p, src->iova, op->len);
		else
			cdev_attach(qp->mb[k], qp->lin, qp->lin_iova, 0);
		sym->m_src = qp->mb[k];
		sym->aead.data.offset = 0;
		break;
	case CDEV_SRC_LIN: {
		size_t off = (size_t)lin * CDEV_LIN_SZ;

		cdev_copy(op, qp->lin + off, true);
		cdev_attach(qp->mb[k], qp->lin + off, qp->lin_iova + off,
			    op->len);
		sym->m_src = qp->mb[k];
		sym->aead.data.offset = 0;
		break;
	}
	}
	qp->rop[k] = op;
	qp->rlin[k] = (int16_t)(src->mode == CDEV_SRC_LIN ? lin : -1);
}

/** Finish op @p k of the round: status, tag, copy back, carrier detach. */
static void cdev_complete(struct cdev_qp *qp, uint16_t k, enum tg_dir dir)
{
	struct rte_crypto_op *cop = qp->cop[k];
	struct tg_aead_op *op = qp->rop[k];
	int lin = qp->rlin[k];
	uint8_t *slot = lin >= 0 ? qp->lin + (size_t)lin * CDEV_LIN_SZ : NULL;

	switch (cop->status) {
	case RTE_CRYPTO_OP_STATUS_SUCCESS:
		if (dir == TG_DIR_SEAL)
			memcpy(op->tag, cdev_priv(cop)->digest, CDEV_TAG_LEN);
		if (slot != NULL)
			cdev_copy(op, slot, false);
		op->status = TG_REC_OK;
		break;
	case RTE_CRYPTO_OP_STATUS_AUTH_FAILED:
		op->status = dir == TG_DIR_OPEN ? TG_REC_E_BAD_MAC :
						  TG_REC_E_BACKEND;
		break;
	default:
		op->status = TG_REC_E_BACKEND;
		break;
	}
	if (slot != NULL && op->status != TG_REC_OK)
		tg_wipe(slot, op->len); /* unverified plaintext */
	if (RTE_MBUF_HAS_EXTBUF(qp->mb[k]))
		rte_pktmbuf_detach(qp->mb[k]);
}

/** Finish op @p k of the round and record it in @p done. */
static inline void cdev_done(struct cdev_qp *qp, uint16_t k, enum tg_dir dir,
			     uint64_t *done)
{
	cdev_complete(qp, k, dir);
	*done |= UINT64_C(1) << k;
}

/**
 * Run the @p cnt prepared ops of a round: enqueue them all, dequeue until
 * all are back or the device stops making progress for ctx->timeout.
 * Ops the device still holds then fail and wedge the queue pair; ops it
 * never accepted just fail.
 */
static void cdev_run(const struct cdev_ctx *ctx, struct cdev_qp *qp,
		     enum tg_dir dir, uint16_t cnt)
{
	uint16_t enq = 0; /* cop[0, enq) were given to the device or refused */
	uint16_t fin = 0; /* ops finished */
	uint64_t done = 0;
	uint64_t deadline = 0;

	while (fin < cnt) {
		bool progress = false;
		uint16_t got = 0;

		if (enq < cnt) {
			uint16_t e = rte_cryptodev_enqueue_burst(
				ctx->dev_id, qp->id, &qp->cop[enq], cnt - enq);

			enq += e;
			progress = e != 0;
			/* A PMD that processes at enqueue (crypto_openssl)
			 * refuses an op that failed and sets its status: the
			 * op stays ours, finish it here and go on. */
			if (enq < cnt && qp->cop[enq]->status !=
						 RTE_CRYPTO_OP_STATUS_NOT_PROCESSED) {
				cdev_done(qp, enq, dir, &done);
				enq++;
				fin++;
				progress = true;
			}
		}
		if (enq > fin)
			got = rte_cryptodev_dequeue_burst(ctx->dev_id, qp->id,
							  qp->deq, enq - fin);
		for (uint16_t j = 0; j < got; j++) {
			uint16_t k = cdev_priv(qp->deq[j])->idx;

			if (k >= enq || qp->cop[k] != qp->deq[j] ||
			    (done & (UINT64_C(1) << k))) {
				TG_ERR("cryptodev %s: stray op from qp %u",
				       ctx->name, qp->id);
				continue;
			}
			cdev_done(qp, k, dir, &done);
			fin++;
			progress = true;
		}
		if (progress) {
			deadline = 0;
		} else if (fin < cnt) {
			uint64_t now = rte_get_timer_cycles();

			if (deadline == 0)
				deadline = now + ctx->timeout;
			else if (now > deadline)
				break;
			rte_pause();
		}
	}
	if (fin == cnt)
		return;

	for (uint16_t k = 0; k < cnt; k++)
		if (!(done & (UINT64_C(1) << k)))
			qp->rop[k]->status = TG_REC_E_BACKEND;
	for (uint16_t k = enq; k < cnt; k++)
		if (RTE_MBUF_HAS_EXTBUF(qp->mb[k]))
			rte_pktmbuf_detach(qp->mb[k]);
	if (enq == fin) {
		TG_ERR("cryptodev %s: qp %u refuses ops", ctx->name, qp->id);
		return;
	}
	/* The device owns cop[k] / mb[k] of the missing ops for good. */
	TG_ERR("cryptodev %s: qp %u: %u of %u ops not returned, queue pair "
	       "disabled",
	       ctx->name, qp->id, (unsigned)(enq - fin), (unsigned)cnt);
	qp->wedged = true;
}

/** backend burst(). */
static void cdev_burst(void *vctx, enum tg_dir dir, struct tg_aead_op *ops,
		       uint16_t n)
{
	struct cdev_ctx *ctx = vctx;
	struct cdev_qp *qp;
	uint16_t i = 0;

	if (ops == NULL || n == 0)
		return;
	if (ctx == NULL || (dir != TG_DIR_SEAL && dir != TG_DIR_OPEN)) {
		for (i = 0; i < n; i++)
			ops[i].status = TG_REC_E_BACKEND;
		return;
	}

	qp = cdev_qp_enter(ctx);
	while (i < n) {
		uint16_t cnt = 0;
		uint16_t nlin = 0;

		if (qp->wedged) {
			for (; i < n; i++)
				ops[i].status = TG_REC_E_BACKEND;
			break;
		}
		while (i < n && cnt < CDEV_ROUND) {
			struct tg_aead_op *op = &ops[i];
			void *ds = NULL;
			struct cdev_src src;
			uint8_t st = cdev_check(ctx, dir, op, &ds, &src);

			if (st != TG_REC_OK) {
				op->status = st;
				i++;
				continue;
			}
			if (src.mode == CDEV_SRC_LIN) {
				if (qp->nb_lin == 0) { /* only in the self-test */
					op->status = TG_REC_E_BACKEND;
					i++;
					continue;
				}
				if (nlin == qp->nb_lin)
					break; /* next round */
				cdev_prepare(qp, cnt, dir, op, ds, &src,
					     nlin++);
			} else {
				cdev_prepare(qp, cnt, dir, op, ds, &src, -1);
			}
			cnt++;
			i++;
		}
		if (cnt != 0)
			cdev_run(ctx, qp, dir, cnt);
	}
	cdev_qp_leave(qp);
}

/**
 * Check the PMD's in-place SGL for AEAD. A PMD may advertise
 * RTE_CRYPTODEV_FF_IN_PLACE_SGL and still refuse chains for AEAD
 * (crypto_openssl in 22.11 fails them with status ERROR: its SGL is for
 * plain ciphers). For every suite, seal then open the same record as one
 * segment and as a 3-segment chain whose payload starts in the first
 * segment after a 13-byte header, and compare. Runs in probe, before the
 * instance is published.
 */
static bool cdev_sgl_selftest(struct cdev_ctx *ctx)
{
	enum { HDR = 13, LEN = 300, TOT = HDR + LEN };
	static const uint16_t piece[3] = { HDR + 40, 1, LEN - 41 };
	struct cdev_qp *qp = &ctx->qp[0];
	struct rte_mbuf *mr = qp->mb[CDEV_ROUND - 4];
	struct rte_mbuf **ms = &qp->mb[CDEV_ROUND - 3];
	const struct rte_memzone *mz;
	char mzname[RTE_MEMZONE_NAMESIZE];
	uint8_t key[32];
	bool ok = true;

	snprintf(mzname, sizeof(mzname), "tgcd%u_t", ctx->dev_id);
	mz = rte_memzone_reserve_aligned(mzname, 2 * TOT, ctx->socket,
					 RTE_MEMZONE_IOVA_CONTIG,
					 RTE_CACHE_LINE_SIZE);
	if (mz == NULL)
		return false;
	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0x42 + i);

	for (int s = 0; s < TG_SUITE__COUNT && ok; s++) {
		uint8_t *ref = mz->addr;
		uint8_t *sg = ref + TOT;
		struct tg_aead_op op[2];
		void *bs[2] = { NULL, NULL };
		uint32_t off = 0;

		if (!ctx->suite[s])
			continue;
		for (int d = 0; d < 2 && ok; d++)
			ok = tg_ok(cdev_sess_create(ctx, (enum tg_suite)s, key,
						    cdev_key_len((enum tg_suite)s),
						    (enum tg_dir)d, &bs[d]));
		for (unsigned i = 0; i < TOT; i++)
			ref[i] = sg[i] = (uint8_t)(i * 7 + 3);

		cdev_attach(mr, ref, mz->iova, TOT);
		for (int j = 0; j < 3; j++) {
			cdev_attach(ms[j], sg + off, mz->iova + TOT + off,
				    piece[j]);
			off += piece[j];
		}
		ms[0]->next = ms[1];
		ms[1]->next = ms[2];
		ms[0]->nb_segs = 3;
		ms[0]->pkt_len = TOT;

		memset(op, 0, sizeof(op));
		for (int j = 0; j < 2; j++) {
			memset(op[j].nonce, 0x24, sizeof(op[j].nonce));
			memset(op[j].aad, 0x17, sizeof(op[j].aad));
			op[j].aad_len = CDEV_AAD_TLS12;
			op[j].bsess = bs[TG_DIR_SEAL];
			op[j].len = LEN;
			op[j].m = j == 0 ? mr : ms[0];
			op[j].m_off = HDR;
		}
		if (ok) {
			cdev_burst(ctx, TG_DIR_SEAL, op, 2);
			ok = op[0].status == TG_REC_OK &&
			     op[1].status == TG_REC_OK &&
			     memcmp(op[0].tag, op[1].tag, CDEV_TAG_LEN) == 0 &&
			     memcmp(ref, sg, TOT) == 0;
		}
		if (ok) {
			op[0].bsess = op[1].bsess = bs[TG_DIR_OPEN];
			cdev_burst(ctx, TG_DIR_OPEN, op, 2);
			ok = op[0].status == TG_REC_OK &&
			     op[1].status == TG_REC_OK &&
			     memcmp(ref, sg, TOT) == 0 &&
			     ref[HDR + LEN - 1] == (uint8_t)((TOT - 1) * 7 + 3);
		}

		rte_pktmbuf_detach(mr);
		for (int j = 0; j < 3; j++) {
			rte_pktmbuf_detach(ms[j]);
			ms[j]->next = NULL;
			ms[j]->nb_segs = 1;
		}
		cdev_sess_free(ctx, bs[0]);
		cdev_sess_free(ctx, bs[1]);
	}
	rte_memzone_free(mz);
	tg_wipe(key, sizeof(key));
	return ok;
}

/* ------------------------------------------------------------------ */
/* asynchronous queues                                                 */
/* ------------------------------------------------------------------ */

/** An asynchronous queue: a queue pair of its own and its ops in flight. */
struct cdev_aq {
	struct cdev_ctx *ctx;
	struct cdev_qp *qp;      /**< claimed: this queue's alone */
	uint16_t nb;             /**< ops usable: min(depth, qp->nb) */
	uint16_t nfree;          /**< free op indices in @ref freei */
	uint16_t nlfree;         /**< free slots in @ref freel */
	uint32_t cap;            /**< room of @ref done and @ref held */
	uint32_t inflight;       /**< ops the device holds */
	uint32_t ndone;          /**< ops in @ref done */
	uint32_t nheld;          /**< test (hold): ops in @ref held */
	uint32_t nrel;           /**< test (hold): of them, let go */
	uint32_t deq_calls;      /**< test (hold): dequeue() calls */
	uint64_t enq_count;      /**< test (fail): ops checked for enqueue */
	uint64_t last;           /**< timer cycles of the last progress */
	bool *out;               /**< op k is with the device (nb) */
	uint16_t *freei;         /**< free op indices (nb) */
	uint16_t *freel;         /**< free linearisation slots (qp->nb_lin) */
	struct tg_aead_op **done; /**< done, not yet dequeued (cap) */
	struct tg_aead_op **held; /**< test (hold): done, held back (cap) */
	struct rte_crypto_op *batch[CDEV_ROUND]; /**< being enqueued */
};

/** Give op index @p k (and its linearisation slot) back. */
static void cdev_aq_put(struct cdev_aq *aq, uint16_t k)
{
	struct cdev_qp *qp = aq->qp;

	if (qp->rlin[k] >= 0)
		aq->freel[aq->nlfree++] = (uint16_t)qp->rlin[k];
	qp->rlin[k] = -1;
	aq->freei[aq->nfree++] = k;
}

/** @p op is done without the device: it comes back from dequeue(). */
static void cdev_aq_done(struct cdev_aq *aq, struct tg_aead_op *op)
{
	aq->done[aq->ndone++] = op;
}

/**
 * Hand the @p nb crypto ops of aq->batch to the device. Returns how many
 * it took, from the first on (an op it refused after processing it, as
 * crypto_openssl does with a failed op, counts as taken and done); the
 * rest are undone (their indices and slots back).
 */
static uint16_t cdev_aq_push(struct cdev_aq *aq, uint16_t nb)
{
	struct cdev_ctx *ctx = aq->ctx;
	struct cdev_qp *qp = aq->qp;
	uint16_t sent = 0;

	while (sent < nb) {
		uint16_t e = rte_cryptodev_enqueue_burst(ctx->dev_id, qp->id,
							 &aq->batch[sent],
							 nb - sent);

		for (uint16_t j = sent; j < sent + e; j++)
			aq->out[cdev_priv(aq->batch[j])->idx] = true;
		if (aq->inflight == 0 && e > 0)
			aq->last = rte_get_timer_cycles();
		aq->inflight += e;
		sent += e;
		if (sent < nb && aq->batch[sent]->status !=
					 RTE_CRYPTO_OP_STATUS_NOT_PROCESSED) {
			uint16_t k = cdev_priv(aq->batch[sent])->idx;

			cdev_complete(qp, k, (enum tg_dir)qp->rdir[k]);
			cdev_aq_done(aq, qp->rop[k]);
			cdev_aq_put(aq, k);
			sent++;
			continue;
		}
		if (e == 0)
			break; /* the queue pair is full */
	}
	for (uint16_t j = sent; j < nb; j++) {
		uint16_t k = cdev_priv(aq->batch[j])->idx;

		if (RTE_MBUF_HAS_EXTBUF(qp->mb[k]))
			rte_pktmbuf_detach(qp->mb[k]);
		cdev_aq_put(aq, k);
	}
	return sent;
}

/** backend enqueue(): prepare and enqueue without waiting. */
static uint16_t cdev_enqueue(void *vctx, void *bq, struct tg_aead_op **ops,
			     uint16_t n)
{
	struct cdev_ctx *ctx = vctx;
	struct cdev_aq *aq = bq;
	struct cdev_qp *qp = aq->qp;
	uint16_t i0 = 0; /* ops[0, i0) taken */
	uint16_t nb = 0; /* ops[i0, i0 + nb) prepared in aq->batch */

	while (i0 + nb < n) {
		struct tg_aead_op *op = ops[i0 + nb];
		void *ds = NULL;
		struct cdev_src src;
		uint8_t st = qp->wedged ? TG_REC_E_BACKEND :
					   cdev_check(ctx, (enum tg_dir)op->dir,
						      op, &ds, &src);
		uint16_t k;

		/* test: every fail-th op fails, never processed (its
		 * payload stays as it was: plaintext when sealing) */
		if (st == TG_REC_OK && ctx->fail_every != 0 &&
		    ++aq->enq_count % ctx->fail_every == 0)
			st = TG_REC_E_BACKEND;
		if (st != TG_REC_OK) {
			/* done at once, after the ops before it */
			uint16_t took = nb ? cdev_aq_push(aq, nb) : 0;

			i0 += took;
			if (took < nb)
				return i0;
			nb = 0;
			op->status = st;
			cdev_aq_done(aq, op);
			i0++;
			continue;
		}
		if (aq->nfree == 0 || nb == CDEV_ROUND ||
		    (src.mode == CDEV_SRC_LIN && aq->nlfree == 0)) {
			uint16_t took = nb ? cdev_aq_push(aq, nb) : 0;

			i0 += took;
			if (took < nb || took == 0)
				return i0; /* out of ops, slots or descriptors */
			nb = 0;
			continue;
		}
		k = aq->freei[--aq->nfree];
		cdev_prepare(qp, k, (enum tg_dir)op->dir, op, ds, &src,
			     src.mode == CDEV_SRC_LIN ? aq->freel[--aq->nlfree] : -1);
		qp->rdir[k] = op->dir;
		aq->batch[nb++] = qp->cop[k];
	}
	if (nb != 0)
		i0 += cdev_aq_push(aq, nb);
	return i0;
}

/** Take what the device has done; fail what it has kept too long. */
static void cdev_aq_reap(struct cdev_aq *aq, uint16_t max)
{
	struct cdev_ctx *ctx = aq->ctx;
	struct cdev_qp *qp = aq->qp;
	uint16_t got;
	uint64_t now;

	if (aq->inflight == 0)
		return;
	got = rte_cryptodev_dequeue_burst(ctx->dev_id, qp->id, qp->deq,
					  RTE_MIN(max, aq->nb));
	for (uint16_t j = 0; j < got; j++) {
		uint16_t k = cdev_priv(qp->deq[j])->idx;

		if (k >= aq->nb || qp->cop[k] != qp->deq[j] || !aq->out[k]) {
			TG_ERR("cryptodev %s: stray op from qp %u", ctx->name,
			       qp->id);
			continue;
		}
		aq->out[k] = false;
		aq->inflight--;
		cdev_complete(qp, k, (enum tg_dir)qp->rdir[k]);
		cdev_aq_done(aq, qp->rop[k]);
		cdev_aq_put(aq, k);
	}
	now = rte_get_timer_cycles();
	if (got != 0 || aq->inflight == 0) {
		aq->last = now;
		return;
	}
	if (now - aq->last <= ctx->timeout)
		return;
	/* The device keeps them: they fail, and it owns their crypto ops and
	 * carriers for good (the queue pair is not used again). */
	TG_ERR("cryptodev %s: qp %u: %u ops not returned, queue pair disabled",
	       ctx->name, qp->id, aq->inflight);
	for (uint16_t k = 0; k < aq->nb; k++) {
		if (!aq->out[k])
			continue;
		aq->out[k] = false;
		qp->rop[k]->status = TG_REC_E_BACKEND;
		cdev_aq_done(aq, qp->rop[k]);
	}
	aq->inflight = 0;
	qp->wedged = true;
}

/** backend dequeue(). */
static uint16_t cdev_dequeue(void *vctx, void *bq, struct tg_aead_op **ops,
			     uint16_t max)
{
	struct cdev_aq *aq = bq;
	uint16_t m = 0;

	RTE_SET_USED(vctx);
	cdev_aq_reap(aq, max);
	if (aq->ctx->hold != 0) {
		/* test: completions come late (all those held on every
		 * hold-th call), in reverse order */
		if (aq->nrel == 0) {
			memcpy(aq->held + aq->nheld, aq->done,
			       sizeof(*aq->done) * aq->ndone);
			aq->nheld += aq->ndone;
			aq->ndone = 0;
			if (++aq->deq_calls % aq->ctx->hold != 0)
				return 0;
			aq->nrel = aq->nheld;
		}
		while (m < max && aq->nrel > 0) {
			ops[m++] = aq->held[--aq->nheld];
			aq->nrel--;
		}
		return m;
	}
	m = (uint16_t)RTE_MIN((uint32_t)max, aq->ndone);
	memcpy(ops, aq->done, sizeof(*ops) * m);
	memmove(aq->done, aq->done + m, sizeof(*aq->done) * (aq->ndone - m));
	aq->ndone -= m;
	return m;
}

static void cdev_q_close(void *vctx, void *bq);

/** backend q_open(): claim an asynchronous queue pair. */
static TG_MUST_CHECK tg_result cdev_q_open(void *vctx, unsigned depth, void **bq)
{
	struct cdev_ctx *ctx = vctx;
	struct cdev_qp *qp = NULL;
	struct cdev_aq *aq;

	TG_ENSURE(ctx != NULL && bq != NULL && depth > 0, TG_E_INVAL);
	pthread_mutex_lock(&cdev_reg_lock);
	for (uint16_t q = ctx->nb_sqp; q < ctx->nb_qp && qp == NULL; q++)
		if (!ctx->qp[q].claimed && !ctx->qp[q].wedged)
			qp = &ctx->qp[q];
	if (qp != NULL)
		qp->claimed = true;
	pthread_mutex_unlock(&cdev_reg_lock);
	TG_ENSURE(qp != NULL, TG_E_NOSPACE);

	aq = calloc(1, sizeof(*aq));
	if (aq != NULL) {
		aq->ctx = ctx;
		aq->qp = qp;
		aq->nb = (uint16_t)RTE_MIN(depth, (unsigned)qp->nb);
		aq->cap = depth + aq->nb;
		aq->out = calloc(aq->nb, sizeof(*aq->out));
		aq->freei = calloc(aq->nb, sizeof(*aq->freei));
		aq->freel = calloc(qp->nb_lin + 1u, sizeof(*aq->freel));
		aq->done = calloc(aq->cap, sizeof(*aq->done));
		aq->held = calloc(aq->cap, sizeof(*aq->held));
	}
	if (aq == NULL || aq->out == NULL || aq->freei == NULL ||
	    aq->freel == NULL || aq->done == NULL || aq->held == NULL) {
		cdev_q_close(ctx, aq);
		if (aq == NULL) {
			pthread_mutex_lock(&cdev_reg_lock);
			qp->claimed = false;
			pthread_mutex_unlock(&cdev_reg_lock);
		}
		return tg_error(TG_E_NOMEM);
	}
	for (uint16_t k = 0; k < aq->nb; k++) {
		aq->freei[aq->nfree++] = (uint16_t)(aq->nb - 1 - k);
		qp->rlin[k] = -1;
	}
	for (uint16_t l = 0; l < qp->nb_lin; l++)
		aq->freel[aq->nlfree++] = l;
	*bq = aq;
	return TG_OK;
}

/**
 * backend q_close(): wait for the ops the device holds (at most its
 * timeout), forget them (their records' memory is not touched: they are
 * dropped), give the queue pair back.
 */
static void cdev_q_close(void *vctx, void *bq)
{
	struct cdev_aq *aq = bq;
	struct cdev_qp *qp;
	uint64_t deadline;

	RTE_SET_USED(vctx);
	if (aq == NULL)
		return;
	qp = aq->qp;
	deadline = rte_get_timer_cycles() + aq->ctx->timeout;
	while (aq->inflight > 0 && rte_get_timer_cycles() < deadline) {
		uint16_t got = rte_cryptodev_dequeue_burst(
			aq->ctx->dev_id, qp->id, qp->deq, aq->nb);

		for (uint16_t j = 0; j < got; j++) {
			uint16_t k = cdev_priv(qp->deq[j])->idx;

			if (k >= aq->nb || qp->cop[k] != qp->deq[j] ||
			    !aq->out[k])
				continue;
			aq->out[k] = false;
			aq->inflight--;
			if (qp->rlin[k] >= 0)
				tg_wipe(qp->lin + (size_t)qp->rlin[k] * CDEV_LIN_SZ,
					CDEV_LIN_SZ);
			if (RTE_MBUF_HAS_EXTBUF(qp->mb[k]))
				rte_pktmbuf_detach(qp->mb[k]);
		}
		if (got == 0)
			rte_pause();
	}
	if (aq->inflight > 0) {
		TG_ERR("cryptodev %s: qp %u: %u ops not returned at close, "
		       "queue pair disabled", aq->ctx->name, qp->id,
		       aq->inflight);
		qp->wedged = true;
	}
	pthread_mutex_lock(&cdev_reg_lock);
	qp->claimed = false;
	pthread_mutex_unlock(&cdev_reg_lock);
	free(aq->out);
	free(aq->freei);
	free(aq->freel);
	free(aq->done);
	free(aq->held);
	free(aq);
}

/** The cryptodev backend descriptor. */
const struct tg_accel_backend tg_accel_backend_cryptodev = {
	.name = "cryptodev",
	.probe = cdev_probe,
	.fini = cdev_fini,
	.has_suite = cdev_has_suite,
	.sess_create = cdev_sess_create,
	.sess_free = cdev_sess_free,
	.burst = cdev_burst,
	.q_open = cdev_q_open,
	.q_close = cdev_q_close,
	.enqueue = cdev_enqueue,
	.dequeue = cdev_dequeue,
};
