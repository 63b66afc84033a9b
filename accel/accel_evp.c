/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file accel_evp.c
 * The portable backend: OpenSSL EVP AEAD, one EVP_CIPHER_CTX per session,
 * keyed once at session creation; each record only sets its nonce.
 *
 * TLS 1.2 ChaCha20-Poly1305 records in one buffer take libcrypto's TLS
 * record mode instead (the one libssl uses): the fixed IV is set once,
 * then per record one parameter (the 13-byte AAD, whose sequence number
 * makes the nonce, RFC 7905 §2) and one EVP_Cipher() call that encrypts
 * and writes the tag, or decrypts and checks it. The general path costs
 * an IV reset, an AAD update, a final and a tag parameter per record:
 * about 40% of a 64-byte record and 4% of a 16 KiB one.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "backend.h"
#include "tg_wipe.h"

struct tg_evp_sess {
	EVP_CIPHER_CTX *ctx;
	int enc; /* 1 = seal, 0 = open */
	bool chacha;
	bool tls_mode;  /* the fixed IV below is set in ctx */
	bool no_tls_mode; /* the provider refused it: general path only */
	uint8_t iv[12]; /* RFC 7905: nonce = iv xor (0^32 || seq) */
};

static TG_MUST_CHECK tg_result tg_evp_probe(const char *arg, void **ctx)
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
	tg_wipe(s, sizeof(*s));
	free(s);
}

static TG_MUST_CHECK tg_result tg_evp_sess_create(void *ctx, enum tg_suite suite,
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
	s->chacha = suite == TG_SUITE_CHACHA20POLY1305;
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

/*
 * A TLS 1.2 ChaCha20-Poly1305 record in libcrypto's TLS mode (see the
 * file comment). Returns TG_REC_E_INVAL, without touching the record, when
 * this op cannot take that path: the caller then runs the general one.
 */
static uint8_t tg_evp_tls12_chacha(struct tg_evp_sess *s,
				   struct tg_aead_op *op)
{
	uint8_t iv[12], aad[13];
	uint32_t plen = op->seg[0].n;
	OSSL_PARAM p[2];
	bool same;

	if (s->no_tls_mode || op->aad_len != 13 || op->nseg != 1 ||
	    op->tag_at == NULL || op->tag_at != op->seg[0].p + plen ||
	    plen > UINT32_MAX - 16)
		return TG_REC_E_INVAL;
	/* the fixed IV is the nonce without the AAD's sequence number */
	memcpy(iv, op->nonce, sizeof(iv));
	for (int i = 0; i < 8; i++)
		iv[4 + i] ^= op->aad[i];
	if (!s->tls_mode) {
		if (EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_AEAD_SET_IV_FIXED,
					sizeof(iv), iv) != 1) {
			s->no_tls_mode = true;
			ERR_clear_error();
			TG_WIPE_OBJ(iv);
			return TG_REC_E_INVAL;
		}
		memcpy(s->iv, iv, sizeof(iv));
		s->tls_mode = true;
	}
	same = tg_ct_cmp(iv, s->iv, sizeof(iv)) == 0;
	TG_WIPE_OBJ(iv);
	if (!same)
		return TG_REC_E_INVAL; /* not this session's IV: general path */
	memcpy(aad, op->aad, sizeof(aad));
	if (!s->enc) {
		/* libcrypto takes the record's length here and removes the
		 * tag's 16 bytes itself */
		aad[11] = (uint8_t)((plen + 16) >> 8);
		aad[12] = (uint8_t)(plen + 16);
	}
	p[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_AAD,
						 aad, sizeof(aad));
	p[1] = OSSL_PARAM_construct_end();
	if (EVP_CIPHER_CTX_set_params(s->ctx, p) != 1)
		return TG_REC_E_BACKEND;
	/* in place, payload then tag; the tag is checked in constant time
	 * and a forged record's output is cleared by libcrypto */
	if (EVP_Cipher(s->ctx, op->seg[0].p, op->seg[0].p, plen + 16) < 0)
		return s->enc ? TG_REC_E_BACKEND : TG_REC_E_BAD_MAC;
	if (s->enc)
		memcpy(op->tag, op->tag_at, 16);
	return TG_REC_OK;
}

/* One AEAD operation; returns a tg_rec_status. */
static uint8_t tg_evp_one(struct tg_evp_sess *s, struct tg_aead_op *op)
{
	uint8_t fin[16]; /* AEAD finals write nothing; never NULL anyway */
	int outl;

	if (s->chacha) {
		uint8_t st = tg_evp_tls12_chacha(s, op);

		if (st != TG_REC_E_INVAL)
			return st;
		/* the IV set below replaces the fixed one */
		s->tls_mode = false;
	}

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
