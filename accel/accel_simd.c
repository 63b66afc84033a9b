/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file accel_simd.c
 * The simd backend: tlsgate's own vector code, for the suites where the
 * libraries on the target leave speed on the table (docs/decisions.md):
 *
 * - ChaCha20-Poly1305 on AVX2 + BMI2 (simd_chacha20poly1305.c): Poly1305
 *   runs on the integer units in the shadow of ChaCha20 on the vector
 *   units, where libcrypto runs them one after the other.
 * - AES-128/256-GCM on VAES + VPCLMULQDQ at 256 bits (simd_aesgcm.c),
 *   sixteen blocks per pass with GHASH stitched in: ipsec-mb 1.3 only has
 *   VAES GCM for AVX-512, so on CPUs with VAES but not AVX-512 (AMD Zen
 *   3) it runs its 128-bit code.
 *
 * The kernels are built for their instruction sets; this file is not,
 * and checks the CPU before anything calls them. A suite whose
 * instructions the CPU lacks is simply not offered.
 */
#include <cpuid.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "simd.h"
#include "tg_wipe.h"

/* What this CPU runs (the instance). */
struct tg_simd_ctx {
	bool chacha; /* AVX2, BMI2 */
	bool gcm;    /* AVX2, AES-NI, PCLMULQDQ, VAES, VPCLMULQDQ */
};

struct tg_simd_sess {
	bool seal;
	bool gcm;
	uint8_t key[32];            /* ChaCha20 */
	struct tg_simd_gcm_key *K;  /* AES-GCM */
};

/* CPUID and XCR0: which kernels this CPU and OS run. */
static struct tg_simd_ctx tg_simd_cpu(void)
{
	struct tg_simd_ctx c = { false, false };
	unsigned a, b, cx, d, b7 = 0, c7 = 0;
	bool ymm_os;

	if (!__get_cpuid(1, &a, &b, &cx, &d))
		return c;
	/* the OS saves the ymm registers (OSXSAVE, then XCR0 bits 1-2) */
	ymm_os = (cx >> 27 & 1) != 0;
	if (ymm_os) {
		unsigned lo, hi;

		__asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		ymm_os = (lo & 6) == 6;
	}
	if (__get_cpuid_max(0, NULL) >= 7) {
		unsigned a7, d7;

		__cpuid_count(7, 0, a7, b7, c7, d7);
	}
	bool avx2 = ymm_os && (b7 >> 5 & 1), bmi2 = b7 >> 8 & 1;
	bool aes = cx >> 25 & 1, pclmul = cx >> 1 & 1;
	bool vaes = c7 >> 9 & 1, vpclmul = c7 >> 10 & 1;

	c.chacha = avx2 && bmi2;
	c.gcm = avx2 && aes && pclmul && vaes && vpclmul;
	return c;
}

bool tg_simd_cpu_chacha(void)
{
	return tg_simd_cpu().chacha;
}

bool tg_simd_cpu_gcm(void)
{
	return tg_simd_cpu().gcm;
}

static TG_MUST_CHECK tg_result tg_simd_probe(const char *arg, void **ctx)
{
	struct tg_simd_ctx c = tg_simd_cpu();

	TG_ENSURE(arg == NULL || *arg == '\0', TG_E_INVAL);
	TG_ENSURE(c.chacha || c.gcm, TG_E_UNSUPPORTED);
	*ctx = malloc(sizeof(c));
	TG_ENSURE(*ctx != NULL, TG_E_NOMEM);
	memcpy(*ctx, &c, sizeof(c));
	return TG_OK;
}

static void tg_simd_fini(void *ctx)
{
	free(ctx);
}

static bool tg_simd_has_suite(void *ctx, enum tg_suite suite)
{
	const struct tg_simd_ctx *c = ctx;

	switch (suite) {
	case TG_SUITE_CHACHA20POLY1305:
		return c->chacha;
	case TG_SUITE_AES128GCM:
	case TG_SUITE_AES256GCM:
		return c->gcm;
	default:
		return false;
	}
}

static void tg_simd_sess_free(void *ctx, void *bsess)
{
	struct tg_simd_sess *s = bsess;

	(void)ctx;
	if (s == NULL)
		return;
	tg_simd_gcm_key_free(s->K);
	tg_wipe(s, sizeof(*s));
	free(s);
}

static TG_MUST_CHECK tg_result tg_simd_sess_create(void *ctx, enum tg_suite suite,
				     const uint8_t *key, uint8_t key_len,
				     enum tg_dir dir, void **bsess)
{
	struct tg_simd_sess *s;

	TG_ENSURE(tg_simd_has_suite(ctx, suite), TG_E_UNSUPPORTED);
	TG_ENSURE(key_len == tg_suite_key_len(suite), TG_E_INVAL);
	s = calloc(1, sizeof(*s));
	TG_ENSURE(s != NULL, TG_E_NOMEM);
	s->seal = dir == TG_DIR_SEAL;
	s->gcm = suite != TG_SUITE_CHACHA20POLY1305;
	if (s->gcm) {
		s->K = tg_simd_gcm_key_new();
		if (s->K == NULL) {
			free(s);
			return tg_error(TG_E_NOMEM);
		}
		tg_simd_gcm_init(s->K, key, key_len);
	} else {
		memcpy(s->key, key, sizeof(s->key));
	}
	*bsess = s;
	return TG_OK;
}

static void tg_simd_burst(void *ctx, enum tg_dir dir, struct tg_aead_op *ops,
			  uint16_t n)
{
	uint8_t tag[16];

	(void)ctx;
	for (uint16_t i = 0; i < n; i++) {
		struct tg_aead_op *op = &ops[i];
		const struct tg_simd_sess *s = op->bsess;
		uint8_t *out = s->seal ? op->tag : tag;

		if (s->seal != (dir == TG_DIR_SEAL)) {
			op->status = TG_REC_E_BACKEND;
			continue;
		}
		if (s->gcm)
			tg_simd_gcm(s->K, op->nonce, op->aad, op->aad_len,
				    op->seg, op->nseg, s->seal, out);
		else
			tg_simd_cc20p(s->key, op->nonce, op->aad, op->aad_len,
				      op->seg, op->nseg, s->seal, out);
		if (s->seal)
			op->status = TG_REC_OK;
		else
			op->status = tg_ct_cmp(tag, op->tag, sizeof(tag)) == 0
					     ? TG_REC_OK
					     : TG_REC_E_BAD_MAC;
	}
	TG_WIPE_OBJ(tag);
}

const struct tg_accel_backend tg_accel_backend_simd = {
	.name = "simd",
	.probe = tg_simd_probe,
	.fini = tg_simd_fini,
	.has_suite = tg_simd_has_suite,
	.sess_create = tg_simd_sess_create,
	.sess_free = tg_simd_sess_free,
	.burst = tg_simd_burst,
};
