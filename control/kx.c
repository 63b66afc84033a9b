/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file kx.c
 * ECDHE (RFC 8422, RFC 7748) and static RSA key exchange (RFC 5246
 * §7.4.7.1) on OpenSSL 3.0 EVP_PKEY.
 */
#include "tg_kx.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "tg_prf.h"
#include "tg_suite.h"
#include "tg_wipe.h"

/* Index of a group in the per-thread cache. */
enum { KX_X25519 = 0, KX_P256, KX_P384, KX__COUNT };

static int group_index(uint16_t group)
{
	switch (group) {
	case TG_GROUP_X25519:
		return KX_X25519;
	case TG_GROUP_SECP256R1:
		return KX_P256;
	case TG_GROUP_SECP384R1:
		return KX_P384;
	default:
		return -1;
	}
}

/*
 * Per-thread key generation contexts. An EVP_PKEY_CTX set up for keygen
 * (algorithm fetched, group parsed and set up) can generate any number of
 * keys, but only on one thread at a time; keeping one per thread saves the
 * fetch and the EC_GROUP setup on every handshake.
 */
struct kx_cache {
	EVP_PKEY_CTX *gen[KX__COUNT];
	EVP_PKEY_CTX *imp25519; /* X25519 key import (EVP_PKEY_fromdata) */
	EVP_PKEY *peer25519;    /* the peer's X25519 public key, refilled */
};

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static bool cache_key_ok;

static void cache_free(void *p)
{
	struct kx_cache *c = p;

	if (c == NULL)
		return;
	for (int i = 0; i < KX__COUNT; i++)
		EVP_PKEY_CTX_free(c->gen[i]);
	EVP_PKEY_CTX_free(c->imp25519);
	EVP_PKEY_free(c->peer25519);
	free(c);
}

static void cache_init(void)
{
	cache_key_ok = pthread_key_create(&cache_key, cache_free) == 0;
}

static struct kx_cache *cache_get(void)
{
	struct kx_cache *c;

	if (pthread_once(&cache_once, cache_init) != 0 || !cache_key_ok)
		return NULL;
	c = pthread_getspecific(cache_key);
	if (c != NULL)
		return c;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	if (pthread_setspecific(cache_key, c) != 0) {
		free(c);
		return NULL;
	}
	return c;
}

void tg_kx_thread_cleanup(void)
{
	if (pthread_once(&cache_once, cache_init) != 0 || !cache_key_ok)
		return;
	cache_free(pthread_getspecific(cache_key));
	(void)pthread_setspecific(cache_key, NULL);
}

static EVP_PKEY_CTX *new_gen_ctx(int idx, const struct tg_group_info *g)
{
	EVP_PKEY_CTX *ctx;
	OSSL_PARAM params[2];

	ctx = EVP_PKEY_CTX_new_from_name(NULL, idx == KX_X25519 ? "X25519"
								: "EC",
					 NULL);
	if (ctx == NULL)
		return NULL;
	if (EVP_PKEY_keygen_init(ctx) != 1)
		goto fail;
	if (idx != KX_X25519) {
		params[0] = OSSL_PARAM_construct_utf8_string(
			OSSL_PKEY_PARAM_GROUP_NAME, (char *)g->ossl, 0);
		params[1] = OSSL_PARAM_construct_end();
		if (EVP_PKEY_CTX_set_params(ctx, params) != 1)
			goto fail;
	}
	return ctx;
fail:
	EVP_PKEY_CTX_free(ctx);
	return NULL;
}

/*
 * X25519: the private key is 32 random bytes (RFC 7748 §5; the scalar
 * function clamps them, at import and at every derive), here from a
 * per-thread block of RAND_priv_bytes() output, imported through a
 * per-thread EVP_PKEY_fromdata context, which computes the public key.
 * EVP_PKEY_generate draws its 32 bytes with a RAND_priv_bytes() call of
 * its own per key (a DRBG call and a getpid() system call each):
 * `tlsgate-bench handshakes` measured the import about 10% cheaper than
 * the generation.
 */
static TG_MUST_CHECK tg_result x25519_keygen(struct tg_kx *kx,
					     struct kx_cache *c)
{
	uint8_t priv[32];
	OSSL_PARAM params[2];
	EVP_PKEY *key = NULL;
	int ok;

	if (c->imp25519 == NULL) {
		c->imp25519 = EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL);
		if (c->imp25519 != NULL &&
		    EVP_PKEY_fromdata_init(c->imp25519) != 1) {
			EVP_PKEY_CTX_free(c->imp25519);
			c->imp25519 = NULL;
		}
		TG_ENSURE(c->imp25519 != NULL, TG_E_CRYPTO);
	}
	TG_GUARD(tg_rand_secret(priv, sizeof(priv)));
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PRIV_KEY,
						      priv, sizeof(priv));
	params[1] = OSSL_PARAM_construct_end();
	ok = EVP_PKEY_fromdata(c->imp25519, &key, EVP_PKEY_KEYPAIR, params) ==
		     1 &&
	     key != NULL;
	TG_WIPE_OBJ(priv);
	TG_ENSURE(ok, TG_E_CRYPTO);
	kx->group = TG_GROUP_X25519;
	kx->key = key;
	return TG_OK;
}

tg_result tg_kx_keygen(struct tg_kx *kx, uint16_t group)
{
	const struct tg_group_info *g = tg_group_by_id(group);
	int idx = group_index(group);
	struct kx_cache *c;
	EVP_PKEY *key = NULL;

	TG_ENSURE_REF(kx);
	kx->group = 0;
	kx->key = NULL;
	TG_ENSURE(g != NULL && idx >= 0, TG_E_UNSUPPORTED);
	c = cache_get();
	TG_ENSURE(c != NULL, TG_E_NOMEM);
	if (idx == KX_X25519)
		return x25519_keygen(kx, c);
	if (c->gen[idx] == NULL) {
		c->gen[idx] = new_gen_ctx(idx, g);
		TG_ENSURE(c->gen[idx] != NULL, TG_E_CRYPTO);
	}
	TG_ENSURE(EVP_PKEY_generate(c->gen[idx], &key) == 1 && key != NULL,
		  TG_E_CRYPTO);
	kx->group = group;
	kx->key = key;
	return TG_OK;
}

tg_result tg_kx_public(const struct tg_kx *kx, uint8_t *out, size_t cap,
		       size_t *len)
{
	const struct tg_group_info *g;
	size_t n = 0;

	TG_ENSURE(kx != NULL && out != NULL && len != NULL, TG_E_INVAL);
	TG_ENSURE(kx->key != NULL, TG_E_STATE);
	g = tg_group_by_id(kx->group);
	TG_ENSURE(g != NULL, TG_E_STATE);
	TG_ENSURE(cap >= g->pub_len, TG_E_NOSPACE);
	if (kx->group == TG_GROUP_X25519) {
		/* RFC 7748 §5: the 32-byte little-endian u-coordinate. */
		n = cap;
		TG_ENSURE(EVP_PKEY_get_raw_public_key(kx->key, out, &n) == 1,
			  TG_E_CRYPTO);
	} else {
		/* RFC 8422 §5.4: uncompressed point, OpenSSL's default. */
		TG_ENSURE(EVP_PKEY_get_octet_string_param(
				  kx->key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
				  out, cap, &n) == 1,
			  TG_E_CRYPTO);
		TG_ENSURE(n > 0 && out[0] == 0x04, TG_E_INTERNAL);
	}
	TG_ENSURE(n == g->pub_len, TG_E_INTERNAL);
	*len = n;
	return TG_OK;
}

/*
 * The peer's EC point as an EVP_PKEY on our key's group; NULL when it is
 * not a valid point. EVP_PKEY_set1_encoded_public_key decodes with
 * EC_POINT_oct2point, which rejects coordinates >= p and points not on
 * the curve. Copying the group from our key is about three times cheaper
 * than EVP_PKEY_fromdata with a group name (which rebuilds the EC_GROUP).
 */
static EVP_PKEY *import_ec_point(const struct tg_kx *kx, const uint8_t *peer,
				 size_t peer_len)
{
	EVP_PKEY *pk = EVP_PKEY_new();

	if (pk == NULL)
		return NULL;
	if (EVP_PKEY_copy_parameters(pk, kx->key) != 1 ||
	    EVP_PKEY_set1_encoded_public_key(pk, peer, peer_len) != 1) {
		EVP_PKEY_free(pk);
		return NULL;
	}
	return pk;
}

/* Constant-time: 1 when the @p n bytes at @p p are all zero. */
static int ct_is_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return (int)((((unsigned)acc) - 1) >> 8) & 1;
}

tg_result tg_kx_derive(const struct tg_kx *kx, const uint8_t *peer,
		       size_t peer_len, uint8_t *secret, size_t cap,
		       size_t *secret_len)
{
	const struct tg_group_info *g;
	EVP_PKEY *pk = NULL, *peer_key;
	EVP_PKEY_CTX *dctx = NULL, *cctx = NULL;
	uint8_t buf[TG_KX_MAX_SECRET];
	size_t n = sizeof(buf);
	tg_result r = tg_error(TG_E_CRYPTO);

	TG_ENSURE(kx != NULL && secret != NULL && secret_len != NULL,
		  TG_E_INVAL);
	TG_ENSURE(peer != NULL || peer_len == 0, TG_E_INVAL);
	TG_ENSURE(kx->key != NULL, TG_E_STATE);
	g = tg_group_by_id(kx->group);
	TG_ENSURE(g != NULL, TG_E_STATE);
	TG_ENSURE(cap >= g->secret_len, TG_E_NOSPACE);
	/* Length and format first (RFC 8422 §5.4, RFC 7748 §5). */
	TG_ENSURE(peer_len == g->pub_len, TG_E_ILLEGAL_PARAM);

	if (kx->group == TG_GROUP_X25519) {
		/*
		 * Any 32-byte string is a u-coordinate (RFC 7748 §5). The
		 * thread's peer key takes each new value in place (its
		 * provider keeps the 32 bytes): a new EVP_PKEY per derive
		 * costs a key-type fetch and a name-map walk. The derive
		 * context holding it is freed below, before any next use.
		 */
		struct kx_cache *c = cache_get();

		TG_ENSURE(c != NULL, TG_E_NOMEM);
		if (c->peer25519 == NULL) {
			c->peer25519 = EVP_PKEY_new_raw_public_key_ex(
				NULL, "X25519", NULL, peer, peer_len);
			TG_ENSURE(c->peer25519 != NULL, TG_E_CRYPTO);
		} else {
			TG_ENSURE(EVP_PKEY_set1_encoded_public_key(
					  c->peer25519, peer, peer_len) == 1,
				  TG_E_CRYPTO);
		}
		peer_key = c->peer25519;
	} else {
		/* Uncompressed only; this also rules out the encoding of the
		 * point at infinity (a single 0x00). */
		TG_ENSURE(peer[0] == 0x04, TG_E_ILLEGAL_PARAM);
		pk = import_ec_point(kx, peer, peer_len);
		TG_ENSURE(pk != NULL, TG_E_ILLEGAL_PARAM);
		peer_key = pk;
		/*
		 * RFC 8422 §5.11: not at infinity, coordinates in range, on
		 * the curve. The "quick" check is that (NIST SP 800-56A
		 * §5.6.2.3.4); the order check it leaves out is implied for
		 * curves of cofactor 1 such as P-256 and P-384.
		 */
		cctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
		if (cctx == NULL)
			goto out;
		if (EVP_PKEY_public_check_quick(cctx) != 1) {
			r = tg_error(TG_E_ILLEGAL_PARAM);
			goto out;
		}
	}

	dctx = EVP_PKEY_CTX_new_from_pkey(NULL, kx->key, NULL);
	if (dctx == NULL || EVP_PKEY_derive_init(dctx) != 1)
		goto out;
	/* Peer validated above: no second check in set_peer. */
	if (EVP_PKEY_derive_set_peer_ex(dctx, peer_key, 0) != 1) {
		r = tg_error(TG_E_ILLEGAL_PARAM);
		goto out;
	}
	if (EVP_PKEY_derive(dctx, buf, &n) != 1) {
		/* libcrypto's X25519 refuses an all-zero result (RFC 7748
		 * §6.1); an EC point that passed the checks cannot fail. */
		r = tg_error(kx->group == TG_GROUP_X25519 ? TG_E_ILLEGAL_PARAM
							  : TG_E_CRYPTO);
		goto out;
	}
	if (n != g->secret_len) {
		r = tg_error(TG_E_INTERNAL);
		goto out;
	}
	/* RFC 7748 §6.1: abort on the all-zero X25519 output (checked here
	 * too, whatever the libcrypto version does). */
	if (kx->group == TG_GROUP_X25519 && ct_is_zero(buf, n)) {
		r = tg_error(TG_E_ILLEGAL_PARAM);
		goto out;
	}
	memcpy(secret, buf, n);
	*secret_len = n;
	r = TG_OK;
out:
	TG_WIPE_OBJ(buf);
	EVP_PKEY_CTX_free(cctx);
	EVP_PKEY_CTX_free(dctx);
	EVP_PKEY_free(pk);
	return r;
}

void tg_kx_free(struct tg_kx *kx)
{
	if (kx == NULL)
		return;
	/* Frees and clears the private key (BN_clear_free / cleanse). */
	EVP_PKEY_free(kx->key);
	kx->key = NULL;
	kx->group = 0;
}

/* ---- static RSA ------------------------------------------------------ */

tg_result tg_kx_rsa_decrypt(EVP_PKEY *key, const uint8_t *enc, size_t enc_len,
			    uint16_t client_version,
			    uint8_t pms[TG_TLS_PREMASTER_RSA_LEN])
{
	uint8_t out[TG_TLS_PREMASTER_RSA_LEN];
	size_t out_len = sizeof(out);
	EVP_PKEY_CTX *ctx = NULL;
	OSSL_PARAM params[3];
	unsigned int cv = client_version;
	int pad = RSA_PKCS1_WITH_TLS_PADDING;
	int ok = 0;

	TG_ENSURE(key != NULL && pms != NULL, TG_E_INVAL);
	TG_ENSURE(enc != NULL || enc_len == 0, TG_E_INVAL);
	TG_ENSURE(EVP_PKEY_is_a(key, "RSA"), TG_E_INVAL);

	/*
	 * RFC 5246 §7.4.7.1: generate a random premaster first and use it
	 * whenever the decryption or any check fails. libcrypto's TLS
	 * padding mode does the same inside, in constant time, for padding,
	 * length and version failures; the random below only covers an
	 * outright failure of the RSA operation (public conditions).
	 */
	TG_ENSURE(RAND_priv_bytes(pms, TG_TLS_PREMASTER_RSA_LEN) == 1,
		  TG_E_CRYPTO);

	params[0] = OSSL_PARAM_construct_int(OSSL_ASYM_CIPHER_PARAM_PAD_MODE,
					     &pad);
	params[1] = OSSL_PARAM_construct_uint(
		OSSL_ASYM_CIPHER_PARAM_TLS_CLIENT_VERSION, &cv);
	/*
	 * OSSL_ASYM_CIPHER_PARAM_TLS_NEGOTIATED_VERSION is deliberately not
	 * set: libcrypto treats it as a second acceptable version (libssl's
	 * SSL_OP_TLS_ROLLBACK_BUG workaround), which would undo the version
	 * rollback check of RFC 5246 §7.4.7.1.
	 */
	params[2] = OSSL_PARAM_construct_end();

	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	if (ctx == NULL) {
		tg_wipe(pms, TG_TLS_PREMASTER_RSA_LEN);
		return tg_error(TG_E_NOMEM);
	}
	if (EVP_PKEY_decrypt_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_params(ctx, params) != 1) {
		EVP_PKEY_CTX_free(ctx);
		tg_wipe(pms, TG_TLS_PREMASTER_RSA_LEN);
		return tg_error(TG_E_CRYPTO);
	}
	if (enc_len > 0)
		ok = EVP_PKEY_decrypt(ctx, out, &out_len, enc, enc_len) == 1 &&
		     out_len == TG_TLS_PREMASTER_RSA_LEN;
	EVP_PKEY_CTX_free(ctx);
	/* Not secret-dependent: ok is 0 only for public failures. */
	if (ok)
		memcpy(pms, out, TG_TLS_PREMASTER_RSA_LEN);
	TG_WIPE_OBJ(out);
	return TG_OK;
}

tg_result tg_kx_rsa_encrypt(EVP_PKEY *peer, uint16_t client_version,
			    uint8_t pms[TG_TLS_PREMASTER_RSA_LEN],
			    uint8_t *out, size_t cap, size_t *out_len)
{
	EVP_PKEY_CTX *ctx;
	size_t n;
	int ok;

	TG_ENSURE(peer != NULL && pms != NULL && out != NULL &&
			  out_len != NULL,
		  TG_E_INVAL);
	TG_ENSURE(EVP_PKEY_is_a(peer, "RSA"), TG_E_INVAL);
	n = (size_t)EVP_PKEY_get_size(peer);
	TG_ENSURE(cap >= n, TG_E_NOSPACE);

	/* RFC 5246 §7.4.7.1: client_version (the ClientHello's) and 46
	 * random bytes. */
	pms[0] = (uint8_t)(client_version >> 8);
	pms[1] = (uint8_t)client_version;
	TG_ENSURE(RAND_priv_bytes(pms + 2, TG_TLS_PREMASTER_RSA_LEN - 2) == 1,
		  TG_E_CRYPTO);

	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, peer, NULL);
	if (ctx == NULL) {
		tg_wipe(pms, TG_TLS_PREMASTER_RSA_LEN);
		return tg_error(TG_E_NOMEM);
	}
	ok = EVP_PKEY_encrypt_init(ctx) == 1 &&
	     EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
	     EVP_PKEY_encrypt(ctx, out, &n, pms, TG_TLS_PREMASTER_RSA_LEN) ==
		     1;
	EVP_PKEY_CTX_free(ctx);
	if (!ok) {
		tg_wipe(pms, TG_TLS_PREMASTER_RSA_LEN);
		return tg_error(TG_E_CRYPTO);
	}
	*out_len = n;
	return TG_OK;
}
