/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file accel_evp.c
 * The portable backend: OpenSSL EVP AEAD, one EVP_CIPHER_CTX per session,
 * keyed once at session creation; each record only sets its nonce.
 */
#include <stdlib.h>

#include <openssl/evp.h>

#include "backend.h"
#include "tg_wipe.h"

struct tg_evp_sess {
	EVP_CIPHER_CTX *ctx;
	int enc; /* 1 = seal, 0 = open */
};

static tg_result tg_evp_probe(const char *arg, void **ctx)
{
	TG_ENSURE(arg == NULL || *arg == '\0', TG_E_INVAL);
	*ctx = NULL; /* stateless */
	return TG_OK;
}

static void tg_evp_fini(void *ctx)
{
	(void)ctx;
}

static const EVP_CIPHER *tg_evp_cipher(enum tg_suite suite)
{
	switch (suite) {
	case TG_SUITE_AES128GCM:
		return EVP_aes_128_gcm();
	case TG_SUITE_AES256GCM:
		return EVP_aes_256_gcm();
	case TG_SUITE_CHACHA20POLY1305:
		return EVP_chacha20_poly1305();
	default:
		return NULL;
	}
}

static bool tg_evp_has_suite(void *ctx, enum tg_suite suite)
{
	(void)ctx;
	return tg_evp_cipher(suite) != NULL;
}

static void tg_evp_sess_free(void *ctx, void *bsess)
{
	struct tg_evp_sess *s = bsess;

	(void)ctx;
	if (s == NULL)
		return;
	EVP_CIPHER_CTX_free(s->ctx); /* cleans the key schedule */
	free(s);
}

static tg_result tg_evp_sess_create(void *ctx, enum tg_suite suite,
				    const uint8_t *key, uint8_t key_len,
				    enum tg_dir dir, void **bsess)
{
	const EVP_CIPHER *c = tg_evp_cipher(suite);
	struct tg_evp_sess *s;

	(void)ctx;
	TG_ENSURE(c != NULL, TG_E_UNSUPPORTED);
	TG_ENSURE(EVP_CIPHER_get_key_length(c) == key_len, TG_E_INVAL);
	s = calloc(1, sizeof(*s));
	TG_ENSURE(s != NULL, TG_E_NOMEM);
	s->enc = dir == TG_DIR_SEAL;
	s->ctx = EVP_CIPHER_CTX_new();
	if (s->ctx == NULL ||
	    EVP_CipherInit_ex(s->ctx, c, NULL, NULL, NULL, s->enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1 ||
	    EVP_CipherInit_ex(s->ctx, NULL, NULL, key, NULL, s->enc) != 1) {
		tg_evp_sess_free(NULL, s);
		return tg_error(TG_E_CRYPTO);
	}
	*bsess = s;
	return TG_OK;
}

/* One AEAD operation; returns a tg_rec_status. */
static uint8_t tg_evp_one(struct tg_evp_sess *s, struct tg_aead_op *op)
{
	uint8_t fin[16]; /* AEAD finals write nothing; never NULL anyway */
	int outl;

	if (EVP_CipherInit_ex(s->ctx, NULL, NULL, NULL, op->nonce, s->enc) != 1)
		return TG_REC_E_BACKEND;
	if (EVP_CipherUpdate(s->ctx, NULL, &outl, op->aad, op->aad_len) != 1)
		return TG_REC_E_BACKEND;
	for (unsigned i = 0; i < op->nseg; i++) {
		if (op->seg[i].n == 0)
			continue;
		if (EVP_CipherUpdate(s->ctx, op->seg[i].p, &outl, op->seg[i].p,
				     (int)op->seg[i].n) != 1)
			return TG_REC_E_BACKEND;
	}
	if (s->enc) {
		if (EVP_CipherFinal_ex(s->ctx, fin, &outl) != 1 ||
		    EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_AEAD_GET_TAG, 16,
					op->tag) != 1)
			return TG_REC_E_BACKEND;
		return TG_REC_OK;
	}
	if (EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_AEAD_SET_TAG, 16, op->tag) != 1)
		return TG_REC_E_BACKEND;
	/* The tag check is OpenSSL's, in constant time. */
	if (EVP_CipherFinal_ex(s->ctx, fin, &outl) != 1)
		return TG_REC_E_BAD_MAC;
	return TG_REC_OK;
}

static void tg_evp_burst(void *ctx, enum tg_dir dir, struct tg_aead_op *ops,
			 uint16_t n)
{
	(void)ctx;
	(void)dir;
	for (uint16_t i = 0; i < n; i++)
		ops[i].status = tg_evp_one(ops[i].bsess, &ops[i]);
}

const struct tg_accel_backend tg_accel_backend_evp = {
	.name = "evp",
	.probe = tg_evp_probe,
	.fini = tg_evp_fini,
	.has_suite = tg_evp_has_suite,
	.sess_create = tg_evp_sess_create,
	.sess_free = tg_evp_sess_free,
	.burst = tg_evp_burst,
};
