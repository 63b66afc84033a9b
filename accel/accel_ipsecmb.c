/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file accel_ipsecmb.c
 * AEAD backend on Intel(R) Multi-Buffer Crypto for IPsec (libIPSec_MB),
 * called directly, without DPDK cryptodev in between.
 *
 * Suites: AES-128-GCM and AES-256-GCM (NIST SP 800-38D, RFC 5116 §5.1 and
 * §5.2, as used by RFC 5288 and RFC 8446) and ChaCha20-Poly1305 (RFC 8439,
 * RFC 7905). All with a 96-bit nonce and a 128-bit tag.
 *
 * Paths (ipsecmb_pass()):
 *  - AES-GCM, contiguous payload (nseg <= 1): the one-shot direct API
 *    (IMB_AES128_GCM_ENC / _DEC and the AES-256 pair). A GCM job is run
 *    synchronously in 1.3 by the same code, so the job queue only adds
 *    overhead: about 1.5x the records/s at 64 bytes, measured.
 *  - ChaCha20-Poly1305, contiguous payload: the job API, one job per op,
 *    submitted with IMB_SUBMIT_JOB_NOCHECK (every field is set and checked
 *    here, see ipsecmb_op_check()), flushed at the end of each pass;
 *    completed jobs are matched back to their op through job->user_data.
 *  - scattered payload (nseg > 1): the direct init / update / finalize API,
 *    one update per segment; it carries partial blocks (GCM) and partial
 *    keystream / Poly1305 blocks (ChaCha20-Poly1305) across segments of any
 *    length.
 *
 * An open whose tag does not match leaves status TG_REC_E_BAD_MAC and its
 * payload zeroed (it was decrypted in place; RFC 5116 §2.2 forbids
 * releasing that plaintext).
 *
 * Threading: each thread gets its own IMB_MGR on first use (allocated once,
 * freed at thread exit through a pthread key). Sessions are read-only after
 * creation, so any thread may run bursts on any sessions concurrently. The
 * precomputed GCM key layout depends on the manager's architecture; every
 * manager here is initialised by init_mb_mgr_auto() and checked to pick the
 * same architecture as the one seen at probe time.
 */
#include <pthread.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <intel-ipsec-mb.h>

#include "backend.h"
#include "tg_log.h"
#include "tg_result.h"
#include "tg_wipe.h"

#define IPSECMB_IV_LEN 12  /**< RFC 5116 N_MIN = N_MAX = 12 (both AEADs) */
#define IPSECMB_TAG_LEN 16 /**< TG_REC_TAG_LEN */
#define IPSECMB_KEY_MAX 32

/**
 * Ops handled per pass: the job queue is flushed after each pass, so at
 * most this many jobs are in flight (IMB_MAX_JOBS is 256 in 1.3), and the
 * computed tags of a pass live on the stack.
 */
#define IPSECMB_CHUNK TG_ACCEL_BURST_MAX

_Static_assert(IPSECMB_CHUNK <= IMB_MAX_JOBS / 2, "chunk over the job queue");
_Static_assert(IPSECMB_TAG_LEN == TG_REC_TAG_LEN, "tag length");
_Static_assert(sizeof(((struct tg_aead_op *)0)->nonce) == IPSECMB_IV_LEN,
	       "nonce length");

#define ipsecmb_likely(x) __builtin_expect(!!(x), 1)
#define ipsecmb_unlikely(x) __builtin_expect(!!(x), 0)

/**
 * A session: one key, one direction.
 *
 * The key material comes first and is 64-byte aligned: intel-ipsec-mb.h
 * only declares struct gcm_key_data aligned when LINUX is defined (the
 * library's own build flag), so the alignment is forced here.
 */
struct ipsecmb_sess {
	union {
		/** AES-GCM: round keys and GHASH key powers (IMB_AESx_GCM_PRE) */
		struct gcm_key_data gcm;
		/** ChaCha20-Poly1305: the raw 256-bit key */
		uint8_t chacha[IPSECMB_KEY_MAX];
	} k;
	IMB_CIPHER_MODE mode; /**< IMB_CIPHER_GCM / IMB_CIPHER_CHACHA20_POLY1305 */
	uint8_t suite;        /**< ::tg_suite */
	uint8_t dir;          /**< ::tg_dir */
	uint8_t key_len;      /**< 16 or 32 */
} __attribute__((aligned(64)));

/** An instance: what probe found. Read-only. */
struct ipsecmb_ctx {
	IMB_ARCH arch;
	bool aes_ok; /**< AES-GCM offered (false on the no-AES-NI arch) */
};

/** What the one-time initialisation found; written once, under pthread_once. */
static struct {
	pthread_key_t key;
	bool key_ok;
	int err;         /**< imb_get_errno() of the probe manager, or -1 */
	IMB_ARCH arch;
	uint64_t features;
} ipsecmb_glob;

static pthread_once_t ipsecmb_once = PTHREAD_ONCE_INIT;

/** This thread's manager; NULL until its first use. */
static __thread IMB_MGR *ipsecmb_tls_mgr;

/** pthread key destructor: free the exiting thread's manager. */
static void ipsecmb_tls_free(void *p)
{
	ipsecmb_tls_mgr = NULL;
	free_mb_mgr(p);
}

/**
 * Allocate and initialise a manager for the best architecture of this CPU.
 * @param[out] arch the architecture chosen
 * @return the manager, or NULL (allocation or initialisation failed; @p err
 *         then holds imb_get_errno() or -1)
 */
static IMB_MGR *ipsecmb_mgr_new(IMB_ARCH *arch, int *err)
{
	IMB_MGR *mgr = alloc_mb_mgr(0);

	*arch = IMB_ARCH_NONE;
	if (mgr == NULL) {
		*err = -1;
		return NULL;
	}
	init_mb_mgr_auto(mgr, arch);
	*err = imb_get_errno(mgr);
	if (*err == 0 && (mgr->features & IMB_FEATURE_SELF_TEST) &&
	    !(mgr->features & IMB_FEATURE_SELF_TEST_PASS))
		*err = IMB_ERR_SELFTEST;
	if (*err != 0 || *arch == IMB_ARCH_NONE) {
		if (*err == 0)
			*err = -1;
		free_mb_mgr(mgr);
		return NULL;
	}
	return mgr;
}

/** One-time set-up: the thread-exit key and the architecture check. */
static void ipsecmb_once_init(void)
{
	IMB_MGR *mgr;

	ipsecmb_glob.key_ok =
		pthread_key_create(&ipsecmb_glob.key, ipsecmb_tls_free) == 0;
	mgr = ipsecmb_mgr_new(&ipsecmb_glob.arch, &ipsecmb_glob.err);
	if (mgr != NULL) {
		ipsecmb_glob.features = mgr->features;
		free_mb_mgr(mgr);
	}
}

/**
 * Slow path of ipsecmb_mgr(): create this thread's manager.
 * Allocates once per thread (the first burst or session on that thread).
 */
static __attribute__((noinline, cold)) IMB_MGR *ipsecmb_mgr_slow(void)
{
	IMB_ARCH arch;
	IMB_MGR *mgr;
	int err;

	(void)pthread_once(&ipsecmb_once, ipsecmb_once_init);
	if (ipsecmb_glob.err != 0)
		return NULL;
	mgr = ipsecmb_mgr_new(&arch, &err);
	if (mgr == NULL)
		return NULL;
	if (arch != ipsecmb_glob.arch) {
		/* GCM key data precomputed by another arch would not match */
		free_mb_mgr(mgr);
		return NULL;
	}
	if (ipsecmb_glob.key_ok)
		(void)pthread_setspecific(ipsecmb_glob.key, mgr);
	ipsecmb_tls_mgr = mgr;
	return mgr;
}

/** This thread's manager, created on first use; NULL on failure. */
static inline IMB_MGR *ipsecmb_mgr(void)
{
	IMB_MGR *mgr = ipsecmb_tls_mgr;

	if (ipsecmb_likely(mgr != NULL))
		return mgr;
	return ipsecmb_mgr_slow();
}

static const char *ipsecmb_arch_name(IMB_ARCH arch)
{
	switch (arch) {
	case IMB_ARCH_NOAESNI:
		return "NOAESNI";
	case IMB_ARCH_SSE:
		return "SSE";
	case IMB_ARCH_AVX:
		return "AVX";
	case IMB_ARCH_AVX2:
		return "AVX2";
	case IMB_ARCH_AVX512:
		return "AVX512";
	default:
		return "none";
	}
}

/**
 * Load the backend: check that intel-ipsec-mb initialises on this CPU.
 * @p arg is unused. TG_E_UNSUPPORTED when the library cannot run here.
 */
static TG_MUST_CHECK tg_result ipsecmb_probe(const char *arg, void **ctx)
{
	struct ipsecmb_ctx *c;
	uint64_t f;

	(void)arg;
	TG_ENSURE_REF(ctx);
	(void)pthread_once(&ipsecmb_once, ipsecmb_once_init);
	if (ipsecmb_glob.err != 0) {
		TG_NOTICE("ipsecmb: intel-ipsec-mb %s cannot initialise: %s",
			  imb_get_version_str(),
			  ipsecmb_glob.err > 0 ?
				  imb_get_strerror(ipsecmb_glob.err) :
				  "no memory or no usable architecture");
		return tg_error(TG_E_UNSUPPORTED);
	}
	c = calloc(1, sizeof(*c));
	TG_ENSURE(c != NULL, TG_E_NOMEM);
	c->arch = ipsecmb_glob.arch;
	c->aes_ok = c->arch != IMB_ARCH_NOAESNI;
	f = ipsecmb_glob.features;
	TG_INFO("ipsecmb: intel-ipsec-mb %s, arch %s%s%s%s%s%s",
		imb_get_version_str(), ipsecmb_arch_name(c->arch),
		(f & IMB_FEATURE_VAES) ? " +VAES" : "",
		(f & IMB_FEATURE_VPCLMULQDQ) ? " +VPCLMULQDQ" : "",
		(f & IMB_FEATURE_GFNI) ? " +GFNI" : "",
		(f & IMB_FEATURE_SHANI) ? " +SHANI" : "",
		(f & IMB_FEATURE_AVX512_IFMA) ? " +IFMA" : "");
	if (!c->aes_ok)
		TG_WARN("ipsecmb: no AES-NI: AES-GCM not offered by this backend "
			"(software AES emulation), ChaCha20-Poly1305 only");
	*ctx = c;
	return TG_OK;
}

/** Release an instance; also frees the calling thread's manager. */
static void ipsecmb_fini(void *ctx)
{
	IMB_MGR *mgr = ipsecmb_tls_mgr;

	if (mgr != NULL) {
		ipsecmb_tls_mgr = NULL;
		if (ipsecmb_glob.key_ok)
			(void)pthread_setspecific(ipsecmb_glob.key, NULL);
		free_mb_mgr(mgr);
	}
	free(ctx);
}

static bool ipsecmb_has_suite(void *ctx, enum tg_suite suite)
{
	const struct ipsecmb_ctx *c = ctx;

	switch (suite) {
	case TG_SUITE_AES128GCM:
	case TG_SUITE_AES256GCM:
		return c != NULL && c->aes_ok;
	case TG_SUITE_CHACHA20POLY1305:
		return c != NULL;
	default:
		return false;
	}
}

/**
 * Create a session. For AES-GCM the round keys and the GHASH key powers
 * are precomputed here (IMB_AES128_GCM_PRE / IMB_AES256_GCM_PRE) with the
 * calling thread's manager; ChaCha20-Poly1305 keeps the raw key.
 */
static TG_MUST_CHECK tg_result ipsecmb_sess_create(void *ctx, enum tg_suite suite,
				     const uint8_t *key, uint8_t key_len,
				     enum tg_dir dir, void **bsess)
{
	struct ipsecmb_sess *s;
	IMB_MGR *mgr;

	TG_ENSURE_REF(key);
	TG_ENSURE_REF(bsess);
	TG_ENSURE(dir == TG_DIR_SEAL || dir == TG_DIR_OPEN, TG_E_INVAL);
	TG_ENSURE(ipsecmb_has_suite(ctx, suite), TG_E_UNSUPPORTED);
	TG_ENSURE(key_len == (suite == TG_SUITE_AES128GCM ? 16 : 32),
		  TG_E_INVAL);
	mgr = ipsecmb_mgr();
	TG_ENSURE(mgr != NULL, TG_E_BACKEND);

	s = aligned_alloc(64, sizeof(*s)); /* sizeof is a multiple of 64 */
	TG_ENSURE(s != NULL, TG_E_NOMEM);
	memset(s, 0, sizeof(*s));
	s->suite = (uint8_t)suite;
	s->dir = (uint8_t)dir;
	s->key_len = key_len;
	switch (suite) {
	case TG_SUITE_AES128GCM:
		s->mode = IMB_CIPHER_GCM;
		IMB_AES128_GCM_PRE(mgr, key, &s->k.gcm);
		break;
	case TG_SUITE_AES256GCM:
		s->mode = IMB_CIPHER_GCM;
		IMB_AES256_GCM_PRE(mgr, key, &s->k.gcm);
		break;
	default: /* TG_SUITE_CHACHA20POLY1305, checked above */
		s->mode = IMB_CIPHER_CHACHA20_POLY1305;
		memcpy(s->k.chacha, key, IPSECMB_KEY_MAX);
		break;
	}
	*bsess = s;
	return TG_OK;
}

/** Wipe and free a session. */
static void ipsecmb_sess_free(void *ctx, void *bsess)
{
	(void)ctx;
	if (bsess == NULL)
		return;
	tg_wipe(bsess, sizeof(struct ipsecmb_sess));
	free(bsess);
}

/**
 * Check an op before it reaches the library (jobs are submitted without
 * the library's checks, and the direct API cannot report a failure):
 * session of this direction, AAD within its array, segment count within
 * the array and, for a contiguous payload, the one segment covering
 * @c len.
 */
static inline bool ipsecmb_op_check(const struct tg_aead_op *op,
				    enum tg_dir dir)
{
	const struct ipsecmb_sess *s = op->bsess;

	if (ipsecmb_unlikely(s == NULL || s->dir != (uint8_t)dir ||
			     op->aad_len > sizeof(op->aad) ||
			     op->nseg > TG_ACCEL_MAX_SEGS))
		return false;
	if (op->nseg == 0)
		return op->len == 0;
	if (op->nseg == 1)
		return op->seg[0].n == op->len &&
		       (op->seg[0].p != NULL || op->len == 0);
	return true; /* scattered: checked by ipsecmb_sgl() */
}

/**
 * Open failed: the payload was decrypted in place but must not be released
 * (RFC 5116 §2.2: no plaintext on authentication failure); zero it.
 */
static __attribute__((cold)) void ipsecmb_scrub(struct tg_aead_op *op)
{
	for (unsigned i = 0; i < op->nseg && i < TG_ACCEL_MAX_SEGS; i++)
		if (op->seg[i].p != NULL)
			tg_wipe(op->seg[i].p, op->seg[i].n);
}

/**
 * Scattered payload: the direct API, one update per segment. The update
 * functions take any length and keep partial blocks in the context, so
 * segments of 1, 7, ... bytes are fine. Sets op->status.
 */
static __attribute__((noinline)) void
ipsecmb_sgl(IMB_MGR *mgr, enum tg_dir dir, struct tg_aead_op *op)
{
	const struct ipsecmb_sess *s = op->bsess;
	const struct gcm_key_data *gk = &s->k.gcm;
	const bool seal = dir == TG_DIR_SEAL;
	alignas(16) uint8_t tag[IPSECMB_TAG_LEN];
	union {
		struct gcm_context_data gcm;
		struct chacha20_poly1305_context_data cp;
	} c;
	uint64_t total = 0;
	unsigned i;

	for (i = 0; i < op->nseg; i++) {
		if (op->seg[i].p == NULL && op->seg[i].n != 0)
			break;
		total += op->seg[i].n;
	}
	if (ipsecmb_unlikely(i != op->nseg || total != op->len)) {
		op->status = TG_REC_E_INVAL;
		return;
	}

	switch (s->suite) {
	case TG_SUITE_AES128GCM:
	case TG_SUITE_AES256GCM: {
		/* the manager's functions for the key size (what the
		 * IMB_AES128_GCM_* / IMB_AES256_GCM_* macros call) */
		bool k128 = s->suite == TG_SUITE_AES128GCM;
		aes_gcm_init_var_iv_t init = k128 ? mgr->gcm128_init_var_iv
						  : mgr->gcm256_init_var_iv;
		aes_gcm_enc_dec_update_t update =
			seal ? (k128 ? mgr->gcm128_enc_update : mgr->gcm256_enc_update)
			     : (k128 ? mgr->gcm128_dec_update : mgr->gcm256_dec_update);
		aes_gcm_enc_dec_finalize_t fin =
			seal ? (k128 ? mgr->gcm128_enc_finalize : mgr->gcm256_enc_finalize)
			     : (k128 ? mgr->gcm128_dec_finalize : mgr->gcm256_dec_finalize);

		init(gk, &c.gcm, op->nonce, IPSECMB_IV_LEN, op->aad, op->aad_len);
		for (i = 0; i < op->nseg; i++)
			if (op->seg[i].n != 0)
				update(gk, &c.gcm, op->seg[i].p, op->seg[i].p,
				       op->seg[i].n);
		fin(gk, &c.gcm, tag, IPSECMB_TAG_LEN);
		break;
	}
	default: /* TG_SUITE_CHACHA20POLY1305 */
		IMB_CHACHA20_POLY1305_INIT(mgr, s->k.chacha, &c.cp, op->nonce,
					   op->aad, op->aad_len);
		for (i = 0; i < op->nseg; i++) {
			uint8_t *p = op->seg[i].p;

			if (op->seg[i].n == 0)
				continue;
			if (seal)
				IMB_CHACHA20_POLY1305_ENC_UPDATE(
					mgr, s->k.chacha, &c.cp, p, p,
					op->seg[i].n);
			else
				IMB_CHACHA20_POLY1305_DEC_UPDATE(
					mgr, s->k.chacha, &c.cp, p, p,
					op->seg[i].n);
		}
		if (seal)
			IMB_CHACHA20_POLY1305_ENC_FINALIZE(mgr, &c.cp, tag,
							   IPSECMB_TAG_LEN);
		else
			IMB_CHACHA20_POLY1305_DEC_FINALIZE(mgr, &c.cp, tag,
							   IPSECMB_TAG_LEN);
		break;
	}
	/* the context holds keystream and the Poly1305 one-time key */
	TG_WIPE_OBJ(c);

	if (seal) {
		memcpy(op->tag, tag, IPSECMB_TAG_LEN);
		op->status = TG_REC_OK;
	} else if (tg_ct_cmp(tag, op->tag, IPSECMB_TAG_LEN) == 0) {
		op->status = TG_REC_OK;
	} else {
		op->status = TG_REC_E_BAD_MAC;
		ipsecmb_scrub(op);
	}
	TG_WIPE_OBJ(tag);
}

/** Payload pointer of a contiguous op; never NULL (len 0: nothing read). */
static inline uint8_t *ipsecmb_payload(struct tg_aead_op *op)
{
	return (op->nseg != 0 && op->seg[0].p != NULL) ? op->seg[0].p :
							 op->tag;
}

/**
 * Fill a ChaCha20-Poly1305 job (RFC 8439 §2.8) for a contiguous op (nseg
 * <= 1, checked). Every field the job path reads is set: job slots are
 * reused and keep whatever the previous job left.
 *
 * @param tag where the tag goes: op->tag on seal, a scratch on open
 */
static inline void ipsecmb_fill(IMB_JOB *job, enum tg_dir dir,
				struct tg_aead_op *op, uint8_t *tag)
{
	const struct ipsecmb_sess *s = op->bsess;
	uint8_t *p = ipsecmb_payload(op);

	job->enc_keys = s->k.chacha;
	job->dec_keys = s->k.chacha;
	job->key_len_in_bytes = IPSECMB_KEY_MAX;
	job->src = p;
	job->dst = p;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = op->len;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = op->len;
	job->iv = op->nonce;
	job->iv_len_in_bytes = IPSECMB_IV_LEN;
	job->auth_tag_output = tag;
	job->auth_tag_output_len_in_bytes = IPSECMB_TAG_LEN;
	job->u.CHACHA20_POLY1305.aad = op->aad;
	job->u.CHACHA20_POLY1305.aad_len_in_bytes = op->aad_len;
	job->u.CHACHA20_POLY1305.ctx = NULL;
	job->cipher_mode = IMB_CIPHER_CHACHA20_POLY1305;
	job->hash_alg = IMB_AUTH_CHACHA20_POLY1305;
	if (dir == TG_DIR_SEAL) {
		job->cipher_direction = IMB_DIR_ENCRYPT;
		job->chain_order = IMB_ORDER_CIPHER_HASH;
	} else {
		job->cipher_direction = IMB_DIR_DECRYPT;
		job->chain_order = IMB_ORDER_HASH_CIPHER;
	}
	job->sgl_state = IMB_SGL_ALL;
	job->user_data = op;
}

/** A job came back: set its op's status (open: compare the tag). */
static inline void ipsecmb_done(const IMB_JOB *job, enum tg_dir dir)
{
	struct tg_aead_op *op = job->user_data;

	if (ipsecmb_unlikely(job->status != IMB_STATUS_COMPLETED)) {
		op->status = TG_REC_E_BACKEND;
		if (dir == TG_DIR_OPEN)
			ipsecmb_scrub(op);
		return;
	}
	if (dir == TG_DIR_OPEN &&
	    tg_ct_cmp(job->auth_tag_output, op->tag, IPSECMB_TAG_LEN) != 0) {
		op->status = TG_REC_E_BAD_MAC;
		ipsecmb_scrub(op);
		return;
	}
	op->status = TG_REC_OK;
}

/**
 * AES-GCM on a contiguous op: the one-shot direct API (IMB_AESx_GCM_ENC /
 * IMB_AESx_GCM_DEC with a 96-bit IV, SP 800-38D §7.1 J0 = IV || 0^31 || 1).
 * In 1.3 a GCM job is processed synchronously by the same code anyway; the
 * direct call skips the job queue and makes fewer library calls (each of
 * which stores to a global error variable in 1.3, see the report). Sets
 * op->status.
 *
 * @param gctx scratch context, wiped by the caller at the end of the pass
 */
static inline void ipsecmb_gcm(IMB_MGR *mgr, enum tg_dir dir,
			       struct tg_aead_op *op,
			       struct gcm_context_data *gctx)
{
	const struct ipsecmb_sess *s = op->bsess;
	const struct gcm_key_data *gk = &s->k.gcm;
	uint8_t *p = ipsecmb_payload(op);
	alignas(16) uint8_t tag[IPSECMB_TAG_LEN];

	if (dir == TG_DIR_SEAL) {
		if (s->key_len == 16)
			IMB_AES128_GCM_ENC(mgr, gk, gctx, p, p, op->len,
					   op->nonce, op->aad, op->aad_len,
					   op->tag, IPSECMB_TAG_LEN);
		else
			IMB_AES256_GCM_ENC(mgr, gk, gctx, p, p, op->len,
					   op->nonce, op->aad, op->aad_len,
					   op->tag, IPSECMB_TAG_LEN);
		op->status = TG_REC_OK;
		return;
	}
	if (s->key_len == 16)
		IMB_AES128_GCM_DEC(mgr, gk, gctx, p, p, op->len, op->nonce,
				   op->aad, op->aad_len, tag, IPSECMB_TAG_LEN);
	else
		IMB_AES256_GCM_DEC(mgr, gk, gctx, p, p, op->len, op->nonce,
				   op->aad, op->aad_len, tag, IPSECMB_TAG_LEN);
	if (ipsecmb_likely(tg_ct_cmp(tag, op->tag, IPSECMB_TAG_LEN) == 0)) {
		op->status = TG_REC_OK;
	} else {
		op->status = TG_REC_E_BAD_MAC;
		ipsecmb_scrub(op);
	}
}

/**
 * One pass over at most IPSECMB_CHUNK ops: AES-GCM ops run at once through
 * the direct API, contiguous ChaCha20-Poly1305 ops are submitted as jobs
 * (faster than the direct init/update/finalize triple for one buffer),
 * scattered ops run through ipsecmb_sgl(); then the job queue is flushed.
 */
static void ipsecmb_pass(IMB_MGR *mgr, enum tg_dir dir,
			 struct tg_aead_op *ops, unsigned n)
{
	alignas(16) uint8_t tags[IPSECMB_CHUNK][IPSECMB_TAG_LEN];
	struct gcm_context_data gctx;
	bool gcm = false, jobs = false;
	IMB_JOB *job;
	unsigned i;

	for (i = 0; i < n; i++) {
		struct tg_aead_op *op = &ops[i];

		if (ipsecmb_unlikely(!ipsecmb_op_check(op, dir))) {
			op->status = TG_REC_E_INVAL;
			continue;
		}
		if (ipsecmb_unlikely(op->nseg > 1)) {
			ipsecmb_sgl(mgr, dir, op);
			continue;
		}
		if (((const struct ipsecmb_sess *)op->bsess)->mode ==
		    IMB_CIPHER_GCM) {
			ipsecmb_gcm(mgr, dir, op, &gctx);
			gcm = true;
			continue;
		}
		job = IMB_GET_NEXT_JOB(mgr);
		ipsecmb_fill(job, dir, op,
			     dir == TG_DIR_SEAL ? op->tag : tags[i]);
		job = IMB_SUBMIT_JOB_NOCHECK(mgr);
		jobs = true;
		while (job != NULL) {
			ipsecmb_done(job, dir);
			job = IMB_GET_COMPLETED_JOB(mgr);
		}
	}
	if (jobs)
		while ((job = IMB_FLUSH_JOB(mgr)) != NULL)
			ipsecmb_done(job, dir);
	/* the context holds the last partial block's keystream */
	if (gcm)
		TG_WIPE_OBJ(gctx);
}

/**
 * The fast path: run @p n ops of direction @p dir, in passes of
 * IPSECMB_CHUNK. No allocation (except this thread's manager, once, on
 * its first call).
 */
static void ipsecmb_burst(void *ctx, enum tg_dir dir, struct tg_aead_op *ops,
			  uint16_t n)
{
	IMB_MGR *mgr = ipsecmb_mgr();
	unsigned done = 0;

	(void)ctx;
	if (ipsecmb_unlikely(mgr == NULL)) {
		for (unsigned i = 0; i < n; i++)
			ops[i].status = TG_REC_E_BACKEND;
		return;
	}
	while (done < n) {
		unsigned k = n - done;

		if (k > IPSECMB_CHUNK)
			k = IPSECMB_CHUNK;
		ipsecmb_pass(mgr, dir, ops + done, k);
		done += k;
	}
}

const struct tg_accel_backend tg_accel_backend_ipsecmb = {
	.name = "ipsecmb",
	.probe = ipsecmb_probe,
	.fini = ipsecmb_fini,
	.has_suite = ipsecmb_has_suite,
	.sess_create = ipsecmb_sess_create,
	.sess_free = ipsecmb_sess_free,
	.burst = ipsecmb_burst,
};
