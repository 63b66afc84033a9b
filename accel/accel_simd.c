/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file accel_simd.c
 * The simd backend: tlsgate's own vector code, for the suites where the
 * libraries leave speed on the table. Today that is ChaCha20-Poly1305
 * on AVX2 (simd_chacha20poly1305.c): ipsec-mb 1.3's ChaCha20 is slower
 * than libcrypto's, and libcrypto runs ChaCha20 and Poly1305 one after
 * the other, while the kernel here runs Poly1305 on the integer units in
 * the shadow of ChaCha20 on the vector units (docs/decisions.md).
 *
 * The kernels are built for AVX2 and BMI2; this file is not, and probes
 * the CPU before anything calls them.
 */
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "simd.h"
#include "tg_wipe.h"

struct tg_simd_sess {
	uint8_t key[32];
	bool seal;
};

static TG_MUST_CHECK tg_result tg_simd_probe(const char *arg, void **ctx)
{
	TG_ENSURE(arg == NULL || *arg == '\0', TG_E_INVAL);
	__builtin_cpu_init();
	TG_ENSURE(__builtin_cpu_supports("avx2") &&
			  __builtin_cpu_supports("bmi2"),
		  TG_E_UNSUPPORTED);
	*ctx = NULL; /* stateless */
	return TG_OK;
}

static void tg_simd_fini(void *ctx)
{
	(void)ctx;
}

static bool tg_simd_has_suite(void *ctx, enum tg_suite suite)
{
	(void)ctx;
	return suite == TG_SUITE_CHACHA20POLY1305;
}

static TG_MUST_CHECK tg_result tg_simd_sess_create(void *ctx, enum tg_suite suite,
				     const uint8_t *key, uint8_t key_len,
				     enum tg_dir dir, void **bsess)
{
	struct tg_simd_sess *s;

	(void)ctx;
	TG_ENSURE(suite == TG_SUITE_CHACHA20POLY1305, TG_E_UNSUPPORTED);
	TG_ENSURE(key_len == sizeof(s->key), TG_E_INVAL);
	s = malloc(sizeof(*s));
	TG_ENSURE(s != NULL, TG_E_NOMEM);
	memcpy(s->key, key, sizeof(s->key));
	s->seal = dir == TG_DIR_SEAL;
	*bsess = s;
	return TG_OK;
}

static void tg_simd_sess_free(void *ctx, void *bsess)
{
	(void)ctx;
	if (bsess == NULL)
		return;
	tg_wipe(bsess, sizeof(struct tg_simd_sess));
	free(bsess);
}

static void tg_simd_burst(void *ctx, enum tg_dir dir, struct tg_aead_op *ops,
			  uint16_t n)
{
	uint8_t tag[16];

	(void)ctx;
	for (uint16_t i = 0; i < n; i++) {
		struct tg_aead_op *op = &ops[i];
		const struct tg_simd_sess *s = op->bsess;

		if (s->seal != (dir == TG_DIR_SEAL)) {
			op->status = TG_REC_E_BACKEND;
			continue;
		}
		tg_simd_cc20p(s->key, op->nonce, op->aad, op->aad_len, op->seg,
			      op->nseg, s->seal, s->seal ? op->tag : tag);
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
