/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file sig.c
 * Handshake signatures (RFC 5246 §4.7, §7.4.8; RFC 8422 §5.4; RFC 8446
 * §4.2.3 for the scheme definitions) on OpenSSL 3.0 EVP_PKEY.
 *
 * Both the message and the digest forms run through one path: hash with
 * the cached EVP_MD, then EVP_PKEY_sign / EVP_PKEY_verify with the
 * signature digest set, which is what EVP_DigestSign does internally.
 */
#include "tg_sig.h"

#include <string.h>

#include <openssl/rsa.h>

#include "tg_prf.h"
#include "tg_wipe.h"

tg_result tg_sig_key_info(const EVP_PKEY *key, enum tg_key_type *type,
			  uint16_t *curve)
{
	char name[64];
	size_t n = 0;
	const struct tg_group_info *g;

	TG_ENSURE(key != NULL && type != NULL && curve != NULL, TG_E_INVAL);
	if (EVP_PKEY_is_a(key, "RSA")) {
		*type = TG_KEY_RSA;
		*curve = 0;
		return TG_OK;
	}
	if (EVP_PKEY_is_a(key, "RSA-PSS")) {
		*type = TG_KEY_RSA_PSS;
		*curve = 0;
		return TG_OK;
	}
	TG_ENSURE(EVP_PKEY_is_a(key, "EC"), TG_E_UNSUPPORTED);
	*type = TG_KEY_EC;
	*curve = 0;
	if (EVP_PKEY_get_group_name(key, name, sizeof(name), &n) == 1) {
		g = tg_group_by_name(name);
		if (g != NULL && g->id != TG_GROUP_X25519)
			*curve = g->id;
	}
	return TG_OK;
}

static EVP_PKEY_CTX *op_ctx(const struct tg_sigalg_info *s, EVP_PKEY *key,
			    bool sign);

/* The scheme's table entry, checked against a key's type (TLS 1.2: the
 * curve does not matter, see tg_sig.h). An RSASSA-PSS key may restrict
 * its hash, MGF1 hash and salt length (RFC 4055 §3.1): a context for the
 * scheme is set up to ask it. */
static TG_MUST_CHECK tg_result sigalg_for_info(uint16_t sigalg,
					       enum tg_key_type type,
					       EVP_PKEY *key,
					       const struct tg_sigalg_info **out)
{
	const struct tg_sigalg_info *s = tg_sigalg_by_id(sigalg);

	TG_ENSURE(s != NULL, TG_E_ILLEGAL_PARAM);
	TG_ENSURE(type == s->key_type, TG_E_ILLEGAL_PARAM);
	if (type == TG_KEY_RSA_PSS) {
		EVP_PKEY_CTX *ctx = op_ctx(s, key, false);

		TG_ENSURE(ctx != NULL, TG_E_ILLEGAL_PARAM);
		EVP_PKEY_CTX_free(ctx);
	}
	*out = s;
	return TG_OK;
}

/* The scheme's table entry, checked against the key. */
static TG_MUST_CHECK tg_result sigalg_for_key(uint16_t sigalg, EVP_PKEY *key,
				const struct tg_sigalg_info **out)
{
	enum tg_key_type type;
	uint16_t curve;

	TG_ENSURE(key != NULL, TG_E_INVAL);
	if (tg_failed(tg_sig_key_info(key, &type, &curve)))
		return tg_error(TG_E_ILLEGAL_PARAM);
	return sigalg_for_info(sigalg, type, key, out);
}

tg_result tg_sig_check_key(uint16_t sigalg, EVP_PKEY *key)
{
	const struct tg_sigalg_info *s;

	return sigalg_for_key(sigalg, key, &s);
}

size_t tg_sig_max_len(const EVP_PKEY *key)
{
	int n = key != NULL ? EVP_PKEY_get_size(key) : 0;

	return n > 0 ? (size_t)n : 0;
}

bool tg_sigalg_in(uint16_t id, const uint16_t *list, size_t n)
{
	for (size_t i = 0; list != NULL && i < n; i++)
		if (list[i] == id)
			return true;
	return false;
}

tg_result tg_sig_choose(EVP_PKEY *key, uint32_t offered, const uint16_t *ours,
			size_t n_ours, uint16_t *out)
{
	const struct tg_sigalg_info *s;
	enum tg_key_type type;
	uint16_t curve;

	TG_ENSURE(key != NULL && out != NULL, TG_E_INVAL);
	TG_ENSURE(ours != NULL || n_ours == 0, TG_E_INVAL);
	/* The key's type and curve once, not once per candidate. */
	if (tg_failed(tg_sig_key_info(key, &type, &curve)))
		return tg_error(TG_E_HANDSHAKE_FAIL);
	/* pass 0: for an EC key, the schemes of its own curve (the hash
	 * that matches its strength); pass 1: any that fits (TLS 1.2) */
	for (int pass = type == TG_KEY_EC ? 0 : 1; pass < 2; pass++) {
		for (size_t i = 0; i < n_ours; i++) {
			if (!(tg_sigalg_bit(ours[i]) & offered))
				continue;
			if (tg_failed(sigalg_for_info(ours[i], type, key, &s)))
				continue;
			if (pass == 0 && s->curve != curve)
				continue;
			*out = ours[i];
			return TG_OK;
		}
	}
	return tg_error(TG_E_HANDSHAKE_FAIL);
}

/* A sign or verify context for @p s, padding and digest set. */
static EVP_PKEY_CTX *op_ctx(const struct tg_sigalg_info *s, EVP_PKEY *key,
			    bool sign)
{
	const EVP_MD *md = tg_hash_md((enum tg_hash)s->hash);
	EVP_PKEY_CTX *ctx;

	if (md == NULL)
		return NULL;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	if (ctx == NULL)
		return NULL;
	if ((sign ? EVP_PKEY_sign_init(ctx) : EVP_PKEY_verify_init(ctx)) != 1)
		goto fail;
	if (EVP_PKEY_CTX_set_signature_md(ctx, md) != 1)
		goto fail;
	switch (s->pad) {
	case TG_SIGPAD_PKCS1:
		/* RFC 8446 §4.2.3 / RFC 8017 §8.2: RSASSA-PKCS1-v1_5. */
		if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1)
			goto fail;
		break;
	case TG_SIGPAD_PSS:
		/* RFC 8446 §4.2.3: MGF1 with the same hash, salt length equal
		 * to the digest length (exactly, when verifying). */
		if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) !=
			    1 ||
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx,
						     RSA_PSS_SALTLEN_DIGEST) !=
			    1 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) != 1)
			goto fail;
		break;
	default:
		break;
	}
	return ctx;
fail:
	EVP_PKEY_CTX_free(ctx);
	return NULL;
}

/* tg_sig_sign_digest() with the scheme already checked against the key. */
static TG_MUST_CHECK tg_result sign_digest(const struct tg_sigalg_info *s, EVP_PKEY *key,
			     const uint8_t *dgst, size_t dlen, uint8_t *sig,
			     size_t cap, size_t *sig_len)
{
	EVP_PKEY_CTX *ctx;
	size_t n = cap;
	int rc;

	TG_ENSURE(dlen == tg_hash_len((enum tg_hash)s->hash), TG_E_INVAL);
	TG_ENSURE(cap >= tg_sig_max_len(key), TG_E_NOSPACE);
	ctx = op_ctx(s, key, true);
	TG_ENSURE(ctx != NULL, TG_E_CRYPTO);
	rc = EVP_PKEY_sign(ctx, sig, &n, dgst, dlen);
	EVP_PKEY_CTX_free(ctx);
	TG_ENSURE(rc == 1, TG_E_CRYPTO);
	*sig_len = n;
	return TG_OK;
}

tg_result tg_sig_sign_digest(uint16_t sigalg, EVP_PKEY *key,
			     const uint8_t *dgst, size_t dlen, uint8_t *sig,
			     size_t cap, size_t *sig_len)
{
	const struct tg_sigalg_info *s;

	TG_ENSURE(dgst != NULL && sig != NULL && sig_len != NULL, TG_E_INVAL);
	TG_GUARD(sigalg_for_key(sigalg, key, &s));
	return sign_digest(s, key, dgst, dlen, sig, cap, sig_len);
}

tg_result tg_sig_verify_digest(uint16_t sigalg, EVP_PKEY *key,
			       const uint8_t *dgst, size_t dlen,
			       const uint8_t *sig, size_t sig_len)
{
	const struct tg_sigalg_info *s;
	EVP_PKEY_CTX *ctx;
	int rc;

	TG_ENSURE(dgst != NULL, TG_E_INVAL);
	TG_ENSURE(sig != NULL || sig_len == 0, TG_E_INVAL);
	TG_GUARD(sigalg_for_key(sigalg, key, &s));
	TG_ENSURE(dlen == tg_hash_len((enum tg_hash)s->hash), TG_E_INVAL);
	/* An empty or oversized signature cannot be right. */
	TG_ENSURE(sig_len > 0 && sig_len <= TG_SIG_MAX_LEN,
		  TG_E_DECRYPT_ERROR);
	ctx = op_ctx(s, key, false);
	TG_ENSURE(ctx != NULL, TG_E_CRYPTO);
	/* 1: good; 0: bad signature; < 0: malformed (bad DER, wrong RSA
	 * length). Both of the latter are a signature that does not verify. */
	rc = EVP_PKEY_verify(ctx, sig, sig_len, dgst, dlen);
	EVP_PKEY_CTX_free(ctx);
	TG_ENSURE(rc == 1, TG_E_DECRYPT_ERROR);
	return TG_OK;
}

tg_result tg_sig_sign(uint16_t sigalg, EVP_PKEY *key, const void *msg,
		      size_t len, uint8_t *sig, size_t cap, size_t *sig_len)
{
	const struct tg_sigalg_info *s;
	uint8_t dgst[TG_HASH_MAX_LEN];
	tg_result r;

	TG_ENSURE(msg != NULL || len == 0, TG_E_INVAL);
	TG_ENSURE(sig != NULL && sig_len != NULL, TG_E_INVAL);
	TG_GUARD(sigalg_for_key(sigalg, key, &s));
	TG_GUARD(tg_hash((enum tg_hash)s->hash, msg, len, dgst));
	r = sign_digest(s, key, dgst, tg_hash_len((enum tg_hash)s->hash), sig,
			cap, sig_len);
	TG_WIPE_OBJ(dgst);
	return r;
}

tg_result tg_sig_verify(uint16_t sigalg, EVP_PKEY *key, const void *msg,
			size_t len, const uint8_t *sig, size_t sig_len)
{
	const struct tg_sigalg_info *s;
	uint8_t dgst[TG_HASH_MAX_LEN];

	TG_ENSURE(msg != NULL || len == 0, TG_E_INVAL);
	TG_GUARD(sigalg_for_key(sigalg, key, &s));
	TG_GUARD(tg_hash((enum tg_hash)s->hash, msg, len, dgst));
	return tg_sig_verify_digest(sigalg, key, dgst,
				    tg_hash_len((enum tg_hash)s->hash), sig,
				    sig_len);
}
