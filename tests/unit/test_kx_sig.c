/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for control/kx.c (ECDHE, static RSA key exchange) and
 * control/sig.c (handshake signatures).
 *
 * Known answers: RFC 7748 §6.1 (X25519) and the x25519 exchange of "The
 * Illustrated TLS 1.2 Connection" (tls12.xargs.org). Signatures are
 * cross-checked against libcrypto's EVP_DigestSign/EVP_DigestVerify.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "tg_accel.h"
#include "tg_kx.h"
#include "tg_prf.h"
#include "tg_sig.h"
#include "tg_suite.h"
#include "tg_test.h"
#include "tg_tls.h"
#include "tg_wipe.h"

static EVP_PKEY *rsa_key, *p256_key, *p384_key, *x25519_key;
/* RSASSA-PSS keys (RFC 4055): unrestricted, and restricted to SHA-256
 * (hash and MGF1) with a 32-byte salt */
static EVP_PKEY *pss_key, *pss256_key;

static EVP_PKEY *pss_keygen(bool restrict256)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
	EVP_PKEY *k = NULL;

	if (c == NULL || EVP_PKEY_keygen_init(c) != 1 ||
	    (restrict256 &&
	     (EVP_PKEY_CTX_set_rsa_pss_keygen_md(c, EVP_sha256()) != 1 ||
	      EVP_PKEY_CTX_set_rsa_pss_keygen_mgf1_md(c, EVP_sha256()) != 1 ||
	      EVP_PKEY_CTX_set_rsa_pss_keygen_saltlen(c, 32) != 1)) ||
	    EVP_PKEY_generate(c, &k) != 1)
		k = NULL;
	EVP_PKEY_CTX_free(c);
	return k;
}

static int keys_init(void)
{
	rsa_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	p256_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	p384_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	x25519_key = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	pss_key = pss_keygen(false);
	pss256_key = pss_keygen(true);
	return rsa_key && p256_key && p384_key && x25519_key && pss_key &&
			       pss256_key
		       ? 0
		       : 1;
}

static int keys_cleanup(void)
{
	EVP_PKEY_free(pss_key);
	EVP_PKEY_free(pss256_key);
	EVP_PKEY_free(rsa_key);
	EVP_PKEY_free(p256_key);
	EVP_PKEY_free(p384_key);
	EVP_PKEY_free(x25519_key);
	tg_kx_thread_cleanup();
	return 0;
}

static const uint16_t groups[] = { TG_GROUP_X25519, TG_GROUP_SECP256R1,
				   TG_GROUP_SECP384R1 };

/* ---- ECDHE ----------------------------------------------------------- */

static void test_ecdhe_agree(void)
{
	for (size_t g = 0; g < 3; g++) {
		const struct tg_group_info *gi = tg_group_by_id(groups[g]);

		for (int i = 0; i < 10; i++) {
			struct tg_kx a, b;
			uint8_t pa[TG_KX_MAX_PUB], pb[TG_KX_MAX_PUB];
			uint8_t sa[TG_KX_MAX_SECRET], sb[TG_KX_MAX_SECRET];
			size_t la, lb, na, nb;

			TG_ASSERT_OK(tg_kx_keygen(&a, groups[g]));
			TG_ASSERT_OK(tg_kx_keygen(&b, groups[g]));
			TG_ASSERT_OK(tg_kx_public(&a, pa, sizeof(pa), &la));
			TG_ASSERT_OK(tg_kx_public(&b, pb, sizeof(pb), &lb));
			CU_ASSERT_EQUAL(la, gi->pub_len);
			CU_ASSERT_EQUAL(lb, gi->pub_len);
			if (groups[g] != TG_GROUP_X25519)
				CU_ASSERT_EQUAL(pa[0], 0x04);
			/* Two keys from the cached context differ. */
			CU_ASSERT_NOT_EQUAL(memcmp(pa, pb, la), 0);
			TG_ASSERT_OK(tg_kx_derive(&a, pb, lb, sa, sizeof(sa),
						  &na));
			TG_ASSERT_OK(tg_kx_derive(&b, pa, la, sb, sizeof(sb),
						  &nb));
			CU_ASSERT_EQUAL(na, gi->secret_len);
			CU_ASSERT_EQUAL(nb, na);
			CU_ASSERT_EQUAL(memcmp(sa, sb, na), 0);
			TG_ASSERT_ERR(tg_kx_public(&a, pa, gi->pub_len - 1,
						   &la),
				      TG_E_NOSPACE);
			TG_ASSERT_ERR(tg_kx_derive(&a, pb, lb, sa,
						   gi->secret_len - 1, &na),
				      TG_E_NOSPACE);
			tg_kx_free(&a);
			tg_kx_free(&b);
			tg_kx_free(&b); /* twice is fine */
		}
	}
}

/* A struct tg_kx around a fixed X25519 private key. */
static void x25519_fixed(struct tg_kx *kx, const char *priv_hex)
{
	uint8_t priv[32];

	CU_ASSERT_EQUAL_FATAL(tg_test_hex(priv_hex, priv, 32), 32);
	kx->group = TG_GROUP_X25519;
	kx->key = EVP_PKEY_new_raw_private_key_ex(NULL, "X25519", NULL, priv,
						  32);
	CU_ASSERT_PTR_NOT_NULL_FATAL(kx->key);
}

static void test_x25519_known(void)
{
	struct tg_kx kx;
	uint8_t peer[32], want[32], got[32], pub[32];
	size_t n;

	/* RFC 7748 §6.1: Alice's key, Bob's public key, the shared K. */
	x25519_fixed(&kx, "77076d0a7318a57d3c16c17251b26645"
			  "df4c2f87ebc0992ab177fba51db92c2a");
	TG_ASSERT_OK(tg_kx_public(&kx, pub, sizeof(pub), &n));
	tg_test_hex("8520f0098930a754748b7ddcb43ef75a"
		    "0dbf3a0d26381af4eba4a98eaa9b4e6a",
		    want, 32);
	CU_ASSERT_EQUAL(memcmp(pub, want, 32), 0);
	tg_test_hex("de9edb7d7b7dc1b4d35b61c2ece43537"
		    "3f8343c85b78674dadfc7e146f882b4f",
		    peer, 32);
	tg_test_hex("4a5d9d5ba4ce2de1728e3bf480350f25"
		    "e07e21c947d19e3376f09b3c1e161742",
		    want, 32);
	TG_ASSERT_OK(tg_kx_derive(&kx, peer, 32, got, sizeof(got), &n));
	CU_ASSERT_EQUAL(n, 32);
	CU_ASSERT_EQUAL(memcmp(got, want, 32), 0);
	tg_kx_free(&kx);

	/* tls12.xargs.org: client key 0x20..0x3f, the server's public key,
	 * the premaster of that trace (test_prf.c takes it from there). */
	x25519_fixed(&kx, "202122232425262728292a2b2c2d2e2f"
			  "303132333435363738393a3b3c3d3e3f");
	TG_ASSERT_OK(tg_kx_public(&kx, pub, sizeof(pub), &n));
	tg_test_hex("358072d6365880d1aeea329adf912138"
		    "3851ed21a28e3b75e965d0d2cd166254",
		    want, 32);
	CU_ASSERT_EQUAL(memcmp(pub, want, 32), 0);
	tg_test_hex("9fd7ad6dcff4298dd3f96d5b1b2af910"
		    "a0535b1488d7f8fabb349a982880b615",
		    peer, 32);
	tg_test_hex("df4a291baa1eb7cfa6934b29b474baad"
		    "2697e29f1f920dcc77c8a0a088447624",
		    want, 32);
	TG_ASSERT_OK(tg_kx_derive(&kx, peer, 32, got, sizeof(got), &n));
	CU_ASSERT_EQUAL(memcmp(got, want, 32), 0);
	tg_kx_free(&kx);
}

static void test_x25519_bad(void)
{
	/* u-coordinates whose result is all zeros (RFC 7748 §6.1): 0, 1,
	 * p-1 (order 2), p and p+1 (non-canonical 0 and 1), and a point of
	 * order 8. */
	static const char *low[] = {
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	};
	struct tg_kx kx;
	uint8_t peer[40], s[32];
	size_t n;

	TG_ASSERT_OK(tg_kx_keygen(&kx, TG_GROUP_X25519));
	for (size_t i = 0; i < sizeof(low) / sizeof(low[0]); i++) {
		tg_test_hex(low[i], peer, 32);
		TG_ASSERT_ERR(tg_kx_derive(&kx, peer, 32, s, sizeof(s), &n),
			      TG_E_ILLEGAL_PARAM);
	}
	tg_test_fill(peer, sizeof(peer));
	TG_ASSERT_ERR(tg_kx_derive(&kx, peer, 31, s, sizeof(s), &n),
		      TG_E_ILLEGAL_PARAM);
	TG_ASSERT_ERR(tg_kx_derive(&kx, peer, 33, s, sizeof(s), &n),
		      TG_E_ILLEGAL_PARAM);
	TG_ASSERT_ERR(tg_kx_derive(&kx, peer, 0, s, sizeof(s), &n),
		      TG_E_ILLEGAL_PARAM);
	tg_kx_free(&kx);
	TG_ASSERT_ERR(tg_kx_derive(&kx, peer, 32, s, sizeof(s), &n),
		      TG_E_STATE);
	TG_ASSERT_ERR(tg_kx_keygen(&kx, 25 /* secp521r1 */), TG_E_UNSUPPORTED);
	TG_ASSERT_ERR(tg_kx_public(&kx, peer, sizeof(peer), &n), TG_E_STATE);
}

static void test_ec_bad_points(void)
{
	for (size_t g = 1; g < 3; g++) {
		const struct tg_group_info *gi = tg_group_by_id(groups[g]);
		size_t L = gi->pub_len, fl = (L - 1) / 2;
		struct tg_kx a, b;
		uint8_t pub[TG_KX_MAX_PUB + 1], bad[TG_KX_MAX_PUB + 1];
		uint8_t s[TG_KX_MAX_SECRET];
		size_t n;

		TG_ASSERT_OK(tg_kx_keygen(&a, groups[g]));
		TG_ASSERT_OK(tg_kx_keygen(&b, groups[g]));
		TG_ASSERT_OK(tg_kx_public(&b, pub, sizeof(pub), &n));
		/* Sanity: the good point works. */
		TG_ASSERT_OK(tg_kx_derive(&a, pub, L, s, sizeof(s), &n));

		/* Wrong lengths, including the compressed form's. */
		TG_ASSERT_ERR(tg_kx_derive(&a, pub, L - 1, s, sizeof(s), &n),
			      TG_E_ILLEGAL_PARAM);
		TG_ASSERT_ERR(tg_kx_derive(&a, pub, L + 1, s, sizeof(s), &n),
			      TG_E_ILLEGAL_PARAM);
		TG_ASSERT_ERR(tg_kx_derive(&a, pub, 1 + fl, s, sizeof(s), &n),
			      TG_E_ILLEGAL_PARAM);
		TG_ASSERT_ERR(tg_kx_derive(&a, pub, 0, s, sizeof(s), &n),
			      TG_E_ILLEGAL_PARAM);
		/* Infinity's encoding. */
		bad[0] = 0x00;
		TG_ASSERT_ERR(tg_kx_derive(&a, bad, 1, s, sizeof(s), &n),
			      TG_E_ILLEGAL_PARAM);
		/* Right length, 0x04 missing: compressed / hybrid / junk. */
		static const uint8_t forms[] = { 0x00, 0x02, 0x03, 0x06, 0x07,
						 0x05 };
		for (size_t i = 0; i < sizeof(forms); i++) {
			memcpy(bad, pub, L);
			bad[0] = forms[i];
			TG_ASSERT_ERR(tg_kx_derive(&a, bad, L, s, sizeof(s),
						   &n),
				      TG_E_ILLEGAL_PARAM);
		}
		/* Off the curve: y changed. */
		memcpy(bad, pub, L);
		bad[L - 1] ^= 0x01;
		TG_ASSERT_ERR(tg_kx_derive(&a, bad, L, s, sizeof(s), &n),
			      TG_E_ILLEGAL_PARAM);
		/* Off the curve: x changed. */
		memcpy(bad, pub, L);
		bad[1] ^= 0x80;
		TG_ASSERT_ERR(tg_kx_derive(&a, bad, L, s, sizeof(s), &n),
			      TG_E_ILLEGAL_PARAM);
		/* (0, 0) and coordinates >= p (all ones). */
		memset(bad, 0, L);
		bad[0] = 0x04;
		TG_ASSERT_ERR(tg_kx_derive(&a, bad, L, s, sizeof(s), &n),
			      TG_E_ILLEGAL_PARAM);
		memset(bad, 0xff, L);
		bad[0] = 0x04;
		TG_ASSERT_ERR(tg_kx_derive(&a, bad, L, s, sizeof(s), &n),
			      TG_E_ILLEGAL_PARAM);
		/* A point of the other curve. */
		{
			struct tg_kx o;
			uint8_t op[TG_KX_MAX_PUB];
			size_t on;

			TG_ASSERT_OK(tg_kx_keygen(&o, groups[3 - g]));
			TG_ASSERT_OK(tg_kx_public(&o, op, sizeof(op), &on));
			TG_ASSERT_ERR(tg_kx_derive(&a, op, on, s, sizeof(s),
						   &n),
				      TG_E_ILLEGAL_PARAM);
			tg_kx_free(&o);
		}
		/* Still usable after all the rejections. */
		TG_ASSERT_OK(tg_kx_derive(&a, pub, L, s, sizeof(s), &n));
		tg_kx_free(&a);
		tg_kx_free(&b);
	}
}

/* Each thread does ECDHE with its own cached contexts, then ends (the
 * thread-exit destructor frees them; ASan would see a leak or a race). */
static void *kx_thread(void *arg)
{
	uintptr_t bad = 0;

	(void)arg;
	for (int i = 0; i < 30; i++) {
		struct tg_kx a, b;
		uint8_t pa[TG_KX_MAX_PUB], pb[TG_KX_MAX_PUB];
		uint8_t sa[TG_KX_MAX_SECRET], sb[TG_KX_MAX_SECRET];
		size_t la, lb, na, nb;
		uint16_t g = groups[i % 2];

		if (tg_failed(tg_kx_keygen(&a, g)) ||
		    tg_failed(tg_kx_keygen(&b, g)) ||
		    tg_failed(tg_kx_public(&a, pa, sizeof(pa), &la)) ||
		    tg_failed(tg_kx_public(&b, pb, sizeof(pb), &lb)) ||
		    tg_failed(tg_kx_derive(&a, pb, lb, sa, sizeof(sa), &na)) ||
		    tg_failed(tg_kx_derive(&b, pa, la, sb, sizeof(sb), &nb)) ||
		    na != nb || memcmp(sa, sb, na) != 0)
			bad++;
		tg_kx_free(&a);
		tg_kx_free(&b);
	}
	return (void *)bad;
}

static void test_ecdhe_threads(void)
{
	pthread_t t[4];

	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, kx_thread,
						     NULL),
				      0);
	for (int i = 0; i < 4; i++) {
		void *ret = (void *)1;

		CU_ASSERT_EQUAL(pthread_join(t[i], &ret), 0);
		CU_ASSERT_PTR_NULL(ret);
	}
}

/* ---- static RSA ------------------------------------------------------ */

/* Raw PKCS#1 v1.5 encryption of @p len bytes, for malformed premasters. */
static size_t raw_encrypt(const uint8_t *in, size_t len, uint8_t *out,
			  size_t cap)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, rsa_key, NULL);
	size_t n = cap;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(EVP_PKEY_encrypt_init(c), 1);
	CU_ASSERT_EQUAL_FATAL(EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING),
			      1);
	CU_ASSERT_EQUAL_FATAL(EVP_PKEY_encrypt(c, out, &n, in, len), 1);
	EVP_PKEY_CTX_free(c);
	return n;
}

/* Decrypting must succeed with a premaster unlike @p orig, and a second
 * run must give yet another one (fresh random each time). */
static void expect_random(const uint8_t *enc, size_t len,
			  const uint8_t *orig)
{
	uint8_t p1[48], p2[48];

	TG_ASSERT_OK(tg_kx_rsa_decrypt(rsa_key, enc, len, TG_TLS12, p1));
	TG_ASSERT_OK(tg_kx_rsa_decrypt(rsa_key, enc, len, TG_TLS12, p2));
	if (orig != NULL) {
		CU_ASSERT_NOT_EQUAL(memcmp(p1, orig, 48), 0);
		CU_ASSERT_NOT_EQUAL(memcmp(p2, orig, 48), 0);
	}
	CU_ASSERT_NOT_EQUAL(memcmp(p1, p2, 48), 0);
}

static void test_rsa_kx(void)
{
	uint8_t pms[48], got[48], enc[512], bad[64];
	size_t n;

	/* Round trip. */
	TG_ASSERT_OK(tg_kx_rsa_encrypt(rsa_key, TG_TLS12, pms, enc,
				       sizeof(enc), &n));
	CU_ASSERT_EQUAL(n, 256);
	CU_ASSERT_EQUAL(pms[0], 0x03);
	CU_ASSERT_EQUAL(pms[1], 0x03);
	TG_ASSERT_OK(tg_kx_rsa_decrypt(rsa_key, enc, n, TG_TLS12, got));
	CU_ASSERT_EQUAL(memcmp(pms, got, 48), 0);
	/* Same ciphertext, but the ClientHello said another version: the
	 * version check fails, a random premaster comes back. */
	TG_ASSERT_OK(tg_kx_rsa_decrypt(rsa_key, enc, n, 0x0302, got));
	CU_ASSERT_NOT_EQUAL(memcmp(pms, got, 48), 0);

	/* Wrong version inside the premaster (RFC 5246 §7.4.7.1). */
	memcpy(bad, pms, 48);
	bad[1] = 0x02;
	n = raw_encrypt(bad, 48, enc, sizeof(enc));
	expect_random(enc, n, bad);
	/* Wrong premaster length: 47 and 49 bytes. */
	n = raw_encrypt(pms, 47, enc, sizeof(enc));
	expect_random(enc, n, pms);
	memcpy(bad, pms, 48);
	bad[48] = 0x55;
	n = raw_encrypt(bad, 49, enc, sizeof(enc));
	expect_random(enc, n, pms);
	/* Bad padding: a random value below the modulus. */
	tg_test_fill(enc, 256);
	enc[0] = 0x00;
	expect_random(enc, 256, NULL);
	/* Public failures also give a random premaster, no error: a value
	 * above the modulus, a longer ciphertext, an empty one. */
	memset(enc, 0xff, 257);
	expect_random(enc, 256, NULL);
	expect_random(enc, 257, NULL);
	expect_random(enc, 0, NULL);

	/* Not an RSA key. */
	TG_ASSERT_ERR(tg_kx_rsa_decrypt(p256_key, enc, 256, TG_TLS12, got),
		      TG_E_INVAL);
	TG_ASSERT_ERR(tg_kx_rsa_encrypt(p256_key, TG_TLS12, pms, enc,
					sizeof(enc), &n),
		      TG_E_INVAL);
	TG_ASSERT_ERR(tg_kx_rsa_encrypt(rsa_key, TG_TLS12, pms, enc, 255, &n),
		      TG_E_NOSPACE);
}

/* ---- signatures ------------------------------------------------------ */

static EVP_PKEY *key_for(uint16_t sigalg)
{
	const struct tg_sigalg_info *s = tg_sigalg_by_id(sigalg);

	if (s->key_type == TG_KEY_RSA)
		return rsa_key;
	if (s->key_type == TG_KEY_RSA_PSS)
		return pss_key;
	/* TLS 1.2: any curve; the other one than the RFC 8446 pairing
	 * for half of them */
	return s->curve == TG_GROUP_SECP384R1 || s->hash == TG_HASH_SHA224
		       ? p256_key
		       : p384_key;
}

/* libcrypto's own verification of @p sig, PSS with salt length @p salt. */
static int ossl_verify(uint16_t sigalg, EVP_PKEY *key, const uint8_t *msg,
		       size_t len, const uint8_t *sig, size_t sig_len,
		       int salt)
{
	const struct tg_sigalg_info *s = tg_sigalg_by_id(sigalg);
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	int rc = -1;

	if (EVP_DigestVerifyInit_ex(m, &pc, tg_hash_name(s->hash), NULL, NULL,
				    key, NULL) != 1)
		goto out;
	if (s->pad == TG_SIGPAD_PSS &&
	    (EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) != 1 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, salt) != 1 ||
	     EVP_PKEY_CTX_set_rsa_mgf1_md_name(pc, tg_hash_name(s->hash),
					       NULL) != 1))
		goto out;
	rc = EVP_DigestVerify(m, sig, sig_len, msg, len);
out:
	EVP_MD_CTX_free(m);
	return rc;
}

static const uint16_t all_sigalgs[] = {
	TG_SIG_ECDSA_SECP256R1_SHA256, TG_SIG_ECDSA_SECP384R1_SHA384,
	TG_SIG_ECDSA_SECP521R1_SHA512, TG_SIG_ECDSA_SHA224,
	TG_SIG_RSA_PSS_RSAE_SHA256,    TG_SIG_RSA_PSS_RSAE_SHA384,
	TG_SIG_RSA_PSS_RSAE_SHA512,    TG_SIG_RSA_PSS_PSS_SHA256,
	TG_SIG_RSA_PSS_PSS_SHA384,     TG_SIG_RSA_PSS_PSS_SHA512,
	TG_SIG_RSA_PKCS1_SHA256,       TG_SIG_RSA_PKCS1_SHA384,
	TG_SIG_RSA_PKCS1_SHA512,       TG_SIG_RSA_PKCS1_SHA224,
};
#define N_ALL (sizeof(all_sigalgs) / sizeof(all_sigalgs[0]))

static void test_sig_roundtrip(void)
{
	uint8_t msg[300], sig[TG_SIG_MAX_LEN], dg[TG_HASH_MAX_LEN];
	size_t n;
	const uint16_t *dflt;

	/* every scheme is in the table and in the default order */
	CU_ASSERT_EQUAL(tg_sigalg_default(&dflt), N_ALL);
	for (size_t i = 0; i < N_ALL; i++)
		CU_ASSERT(tg_sigalg_in(all_sigalgs[i], dflt, N_ALL));
	tg_test_fill(msg, sizeof(msg));
	for (size_t i = 0; i < N_ALL; i++) {
		uint16_t alg = all_sigalgs[i];
		const struct tg_sigalg_info *s = tg_sigalg_by_id(alg);
		EVP_PKEY *key = key_for(alg);
		size_t hl = tg_hash_len(s->hash);

		TG_ASSERT_OK(tg_sig_check_key(alg, key));
		TG_ASSERT_OK(tg_sig_sign(alg, key, msg, sizeof(msg), sig,
					 sizeof(sig), &n));
		CU_ASSERT(n <= tg_sig_max_len(key));
		TG_ASSERT_OK(tg_sig_verify(alg, key, msg, sizeof(msg), sig, n));
		/* Independent check by libcrypto (PSS: salt = hash length). */
		CU_ASSERT_EQUAL(ossl_verify(alg, key, msg, sizeof(msg), sig, n,
					    (int)hl),
				1);
		if (s->pad == TG_SIGPAD_PSS) {
			/* Salt length is exactly the hash length. */
			CU_ASSERT_NOT_EQUAL(ossl_verify(alg, key, msg,
							sizeof(msg), sig, n,
							(int)hl + 1),
					    1);
			CU_ASSERT_NOT_EQUAL(ossl_verify(alg, key, msg,
							sizeof(msg), sig, n,
							20),
					    1);
		}
		/* Tampered message, signature, truncation, empty. */
		msg[7] ^= 1;
		TG_ASSERT_ERR(tg_sig_verify(alg, key, msg, sizeof(msg), sig,
					    n),
			      TG_E_DECRYPT_ERROR);
		msg[7] ^= 1;
		sig[n / 2] ^= 0x10;
		TG_ASSERT_ERR(tg_sig_verify(alg, key, msg, sizeof(msg), sig,
					    n),
			      TG_E_DECRYPT_ERROR);
		sig[n / 2] ^= 0x10;
		TG_ASSERT_ERR(tg_sig_verify(alg, key, msg, sizeof(msg), sig,
					    n - 1),
			      TG_E_DECRYPT_ERROR);
		TG_ASSERT_ERR(tg_sig_verify(alg, key, msg, sizeof(msg), sig, 0),
			      TG_E_DECRYPT_ERROR);
		TG_ASSERT_OK(tg_sig_verify(alg, key, msg, sizeof(msg), sig, n));
		/* Digest form: same verification either way. */
		EVP_Digest(msg, sizeof(msg), dg, NULL,
			   EVP_get_digestbyname(tg_hash_name(s->hash)), NULL);
		TG_ASSERT_OK(tg_sig_verify_digest(alg, key, dg, hl, sig, n));
		TG_ASSERT_OK(tg_sig_sign_digest(alg, key, dg, hl, sig,
						sizeof(sig), &n));
		TG_ASSERT_OK(tg_sig_verify(alg, key, msg, sizeof(msg), sig, n));
		TG_ASSERT_ERR(tg_sig_sign_digest(alg, key, dg, hl - 1, sig,
						 sizeof(sig), &n),
			      TG_E_INVAL);
		TG_ASSERT_ERR(tg_sig_sign(alg, key, msg, sizeof(msg), sig,
					  tg_sig_max_len(key) - 1, &n),
			      TG_E_NOSPACE);
	}
}

static void test_sig_ossl_made(void)
{
	/* Signatures made by libcrypto verify with ours; PKCS#1 v1.5 is
	 * deterministic, so ours must be byte-identical. */
	uint8_t msg[100], a[TG_SIG_MAX_LEN], b[TG_SIG_MAX_LEN];

	tg_test_fill(msg, sizeof(msg));
	for (size_t i = 0; i < N_ALL; i++) {
		uint16_t alg = all_sigalgs[i];
		const struct tg_sigalg_info *s = tg_sigalg_by_id(alg);
		EVP_PKEY *key = key_for(alg);
		EVP_MD_CTX *m = EVP_MD_CTX_new();
		EVP_PKEY_CTX *pc = NULL;
		size_t na = sizeof(a), nb;

		CU_ASSERT_EQUAL_FATAL(
			EVP_DigestSignInit_ex(m, &pc, tg_hash_name(s->hash),
					      NULL, NULL, key, NULL),
			1);
		if (s->pad == TG_SIGPAD_PSS) {
			EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING);
			EVP_PKEY_CTX_set_rsa_pss_saltlen(pc,
							 RSA_PSS_SALTLEN_DIGEST);
		}
		CU_ASSERT_EQUAL_FATAL(EVP_DigestSign(m, a, &na, msg,
						     sizeof(msg)),
				      1);
		EVP_MD_CTX_free(m);
		TG_ASSERT_OK(tg_sig_verify(alg, key, msg, sizeof(msg), a, na));
		if (s->pad == TG_SIGPAD_PKCS1) {
			TG_ASSERT_OK(tg_sig_sign(alg, key, msg, sizeof(msg), b,
						 sizeof(b), &nb));
			CU_ASSERT_EQUAL(nb, na);
			CU_ASSERT_EQUAL(memcmp(a, b, na), 0);
		}
	}

	/* PSS with a 20-byte salt is not rsa_pss_rsae_sha256 (RFC 8446
	 * §4.2.3 fixes the salt to the hash length). */
	{
		EVP_MD_CTX *m = EVP_MD_CTX_new();
		EVP_PKEY_CTX *pc = NULL;
		size_t na = sizeof(a);

		CU_ASSERT_EQUAL_FATAL(EVP_DigestSignInit_ex(m, &pc, "SHA256",
							    NULL, NULL,
							    rsa_key, NULL),
				      1);
		EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING);
		EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, 20);
		CU_ASSERT_EQUAL_FATAL(EVP_DigestSign(m, a, &na, msg,
						     sizeof(msg)),
				      1);
		EVP_MD_CTX_free(m);
		TG_ASSERT_ERR(tg_sig_verify(TG_SIG_RSA_PSS_RSAE_SHA256, rsa_key,
					    msg, sizeof(msg), a, na),
			      TG_E_DECRYPT_ERROR);
		/* And PKCS#1 v1.5 is not PSS. */
		TG_ASSERT_OK(tg_sig_sign(TG_SIG_RSA_PKCS1_SHA256, rsa_key, msg,
					 sizeof(msg), a, sizeof(a), &na));
		TG_ASSERT_ERR(tg_sig_verify(TG_SIG_RSA_PSS_RSAE_SHA256, rsa_key,
					    msg, sizeof(msg), a, na),
			      TG_E_DECRYPT_ERROR);
	}
}

static void test_sig_mismatch(void)
{
	uint8_t msg[10] = { 0 }, sig[TG_SIG_MAX_LEN];
	size_t n;
	enum tg_key_type t;
	uint16_t curve;

	/* Key type. */
	TG_ASSERT_ERR(tg_sig_check_key(TG_SIG_RSA_PSS_RSAE_SHA256, p256_key),
		      TG_E_ILLEGAL_PARAM);
	TG_ASSERT_ERR(tg_sig_check_key(TG_SIG_ECDSA_SECP256R1_SHA256, rsa_key),
		      TG_E_ILLEGAL_PARAM);
	TG_ASSERT_ERR(tg_sig_check_key(TG_SIG_RSA_PKCS1_SHA256, x25519_key),
		      TG_E_ILLEGAL_PARAM);
	/* rsa_pss_rsae_* and PKCS#1 v1.5 need an rsaEncryption key, and
	 * rsa_pss_pss_* an RSASSA-PSS one (RFC 8446 §4.2.3) */
	TG_ASSERT_ERR(tg_sig_check_key(TG_SIG_RSA_PSS_PSS_SHA256, rsa_key),
		      TG_E_ILLEGAL_PARAM);
	TG_ASSERT_ERR(tg_sig_check_key(TG_SIG_RSA_PSS_RSAE_SHA256, pss_key),
		      TG_E_ILLEGAL_PARAM);
	TG_ASSERT_ERR(tg_sig_check_key(TG_SIG_RSA_PKCS1_SHA256, pss_key),
		      TG_E_ILLEGAL_PARAM);
	TG_ASSERT_ERR(tg_sig_sign(TG_SIG_RSA_PSS_RSAE_SHA256, pss_key, msg,
				  sizeof(msg), sig, sizeof(sig), &n),
		      TG_E_ILLEGAL_PARAM);
	/* an RSASSA-PSS key restricted to SHA-256 (RFC 4055 §3.1): the
	 * other hashes do not fit it */
	TG_ASSERT_OK(tg_sig_check_key(TG_SIG_RSA_PSS_PSS_SHA256, pss256_key));
	TG_ASSERT_ERR(tg_sig_check_key(TG_SIG_RSA_PSS_PSS_SHA384, pss256_key),
		      TG_E_ILLEGAL_PARAM);
	TG_ASSERT_ERR(tg_sig_check_key(TG_SIG_RSA_PSS_PSS_SHA512, pss256_key),
		      TG_E_ILLEGAL_PARAM);
	TG_ASSERT_OK(tg_sig_sign(TG_SIG_RSA_PSS_PSS_SHA256, pss256_key, msg,
				 sizeof(msg), sig, sizeof(sig), &n));
	TG_ASSERT_OK(tg_sig_verify(TG_SIG_RSA_PSS_PSS_SHA256, pss256_key, msg,
				   sizeof(msg), sig, n));
	/* Unknown scheme (rsa_pkcs1_sha1). */
	TG_ASSERT_ERR(tg_sig_check_key(0x0201, rsa_key), TG_E_ILLEGAL_PARAM);
	/* A good ECDSA signature with SHA-256 is not one with SHA-384:
	 * the hash is the scheme's, the curve is not (TLS 1.2) */
	TG_ASSERT_OK(tg_sig_sign(TG_SIG_ECDSA_SECP256R1_SHA256, p256_key, msg,
				 sizeof(msg), sig, sizeof(sig), &n));
	TG_ASSERT_ERR(tg_sig_verify(TG_SIG_ECDSA_SECP384R1_SHA384, p256_key,
				    msg, sizeof(msg), sig, n),
		      TG_E_DECRYPT_ERROR);
	TG_ASSERT_ERR(tg_sig_verify(TG_SIG_ECDSA_SECP256R1_SHA256, p384_key,
				    msg, sizeof(msg), sig, n),
		      TG_E_DECRYPT_ERROR);
	/* Key classification. */
	TG_ASSERT_OK(tg_sig_key_info(p384_key, &t, &curve));
	CU_ASSERT_EQUAL(t, TG_KEY_EC);
	CU_ASSERT_EQUAL(curve, TG_GROUP_SECP384R1);
	TG_ASSERT_OK(tg_sig_key_info(rsa_key, &t, &curve));
	CU_ASSERT_EQUAL(t, TG_KEY_RSA);
	TG_ASSERT_OK(tg_sig_key_info(pss_key, &t, &curve));
	CU_ASSERT_EQUAL(t, TG_KEY_RSA_PSS);
	TG_ASSERT_ERR(tg_sig_key_info(x25519_key, &t, &curve),
		      TG_E_UNSUPPORTED);
}

/*
 * RFC 5246 §7.4.1.4.1 and RFC 8422 §5.1.3: in TLS 1.2 a scheme is a
 * (hash, signature) pair, and an ECDSA one fits a key on any curve
 * (RFC 8446 binds ecdsa_secp256r1_sha256 to P-256; TLS 1.2 does not).
 */
static void test_sig_any_curve(void)
{
	static const uint16_t ecdsa[] = {
		TG_SIG_ECDSA_SECP256R1_SHA256, TG_SIG_ECDSA_SECP384R1_SHA384,
		TG_SIG_ECDSA_SECP521R1_SHA512, TG_SIG_ECDSA_SHA224,
	};
	EVP_PKEY *keys[2] = { p256_key, p384_key };
	uint8_t msg[64], sig[TG_SIG_MAX_LEN];
	size_t n;

	tg_test_fill(msg, sizeof(msg));
	for (size_t k = 0; k < 2; k++) {
		for (size_t i = 0; i < 4; i++) {
			TG_ASSERT_OK(tg_sig_check_key(ecdsa[i], keys[k]));
			TG_ASSERT_OK(tg_sig_sign(ecdsa[i], keys[k], msg,
						 sizeof(msg), sig, sizeof(sig),
						 &n));
			TG_ASSERT_OK(tg_sig_verify(ecdsa[i], keys[k], msg,
						   sizeof(msg), sig, n));
			CU_ASSERT_EQUAL(ossl_verify(ecdsa[i], keys[k], msg,
						    sizeof(msg), sig, n, 0),
					1);
		}
	}
}

static void test_sig_choose(void)
{
	const uint16_t *ours;
	size_t n_ours = tg_sigalg_default(&ours);
	uint16_t out;
	static const uint16_t p1[] = { TG_SIG_RSA_PKCS1_SHA384,
				       TG_SIG_RSA_PSS_RSAE_SHA256,
				       TG_SIG_ECDSA_SECP256R1_SHA256 };
	static const uint16_t p2[] = { 0x0201, 0x0203,
				       TG_SIG_ECDSA_SECP256R1_SHA256 };
	static const uint16_t p3[] = { TG_SIG_RSA_PKCS1_SHA384 };
	static const uint16_t p4[] = { TG_SIG_ECDSA_SECP521R1_SHA512,
				       TG_SIG_ECDSA_SECP256R1_SHA256,
				       TG_SIG_ECDSA_SECP384R1_SHA384 };
	static const uint16_t p5[] = { TG_SIG_RSA_PSS_RSAE_SHA512,
				       TG_SIG_RSA_PSS_PSS_SHA384,
				       TG_SIG_RSA_PSS_PSS_SHA256 };
#define SET(a) tg_sigalg_set((a), sizeof(a) / sizeof((a)[0]))

	TG_ASSERT_OK(tg_sig_choose(p256_key, SET(p1), ours, n_ours, &out));
	CU_ASSERT_EQUAL(out, TG_SIG_ECDSA_SECP256R1_SHA256);
	/* Our order wins: PSS before PKCS#1. */
	TG_ASSERT_OK(tg_sig_choose(rsa_key, SET(p1), ours, n_ours, &out));
	CU_ASSERT_EQUAL(out, TG_SIG_RSA_PSS_RSAE_SHA256);
	TG_ASSERT_OK(tg_sig_choose(rsa_key, SET(p3), ours, n_ours, &out));
	CU_ASSERT_EQUAL(out, TG_SIG_RSA_PKCS1_SHA384);
	/* P-384 key, peer does ECDSA with SHA-256 only (and SHA-1, which
	 * we do not): TLS 1.2 lets it sign with SHA-256 */
	TG_ASSERT_OK(tg_sig_choose(p384_key, SET(p2), ours, n_ours, &out));
	CU_ASSERT_EQUAL(out, TG_SIG_ECDSA_SECP256R1_SHA256);
	/* several ECDSA hashes offered: the key's own curve's first, then
	 * our order */
	TG_ASSERT_OK(tg_sig_choose(p384_key, SET(p4), ours, n_ours, &out));
	CU_ASSERT_EQUAL(out, TG_SIG_ECDSA_SECP384R1_SHA384);
	TG_ASSERT_OK(tg_sig_choose(p256_key, SET(p4), ours, n_ours, &out));
	CU_ASSERT_EQUAL(out, TG_SIG_ECDSA_SECP256R1_SHA256);
	/* RSASSA-PSS keys take rsa_pss_pss_* only, as their restrictions
	 * allow */
	TG_ASSERT_OK(tg_sig_choose(pss_key, SET(p5), ours, n_ours, &out));
	CU_ASSERT_EQUAL(out, TG_SIG_RSA_PSS_PSS_SHA256);
	TG_ASSERT_OK(tg_sig_choose(pss256_key, SET(p5), ours, n_ours, &out));
	CU_ASSERT_EQUAL(out, TG_SIG_RSA_PSS_PSS_SHA256);
	TG_ASSERT_OK(tg_sig_choose(rsa_key, SET(p5), ours, n_ours, &out));
	CU_ASSERT_EQUAL(out, TG_SIG_RSA_PSS_RSAE_SHA512);
	TG_ASSERT_ERR(tg_sig_choose(pss_key, SET(p1), ours, n_ours, &out),
		      TG_E_HANDSHAKE_FAIL);
	/* No signature_algorithms extension: SHA-1 implied, none fits. */
	TG_ASSERT_ERR(tg_sig_choose(rsa_key, 0, ours, n_ours, &out),
		      TG_E_HANDSHAKE_FAIL);
	/* Our list restricted. */
	TG_ASSERT_ERR(tg_sig_choose(rsa_key, SET(p1), ours, 2, &out),
		      TG_E_HANDSHAKE_FAIL);
	CU_ASSERT_TRUE(tg_sigalg_in(0x0203, p2, 3));
	CU_ASSERT_FALSE(tg_sigalg_in(0x0403, p3, 1));
	/* the set: one bit per scheme we have, none for the others */
	CU_ASSERT_EQUAL(SET(p2), tg_sigalg_bit(TG_SIG_ECDSA_SECP256R1_SHA256));
	CU_ASSERT_EQUAL(tg_sigalg_bit(0x0201), 0);
	CU_ASSERT_EQUAL(tg_sigalg_bit(0xfe03), 0);
	for (size_t i = 0; i < N_ALL; i++)
		for (size_t j = 0; j < N_ALL; j++)
			CU_ASSERT_EQUAL(tg_sigalg_bit(all_sigalgs[i]) ==
						tg_sigalg_bit(all_sigalgs[j]),
					i == j);
#undef SET
}

/*
 * The pieces together, as the engine will use them, for an
 * ECDHE_ECDSA / ECDHE_RSA suite with extended master secret: the server
 * signs its ECDHE parameters (RFC 8422 §5.4: client_random +
 * server_random + ServerECDHParams), both sides agree on the premaster,
 * the EMS session hash, the keys and both Finished messages.
 */
static void flow(uint16_t suite, uint16_t group, EVP_PKEY *cert_key)
{
	const struct tg_cs_info *cs = tg_cs_by_id(suite);
	const uint16_t *ours;
	size_t n_ours = tg_sigalg_default(&ours);
	/* The client offers everything we do, in its own order. */
	static const uint16_t offered[] = {
		TG_SIG_RSA_PKCS1_SHA384, TG_SIG_RSA_PSS_RSAE_SHA384,
		TG_SIG_ECDSA_SECP384R1_SHA384, TG_SIG_ECDSA_SECP256R1_SHA256,
		TG_SIG_RSA_PSS_RSAE_SHA256, TG_SIG_RSA_PKCS1_SHA256,
	};
	struct tg_transcript tc, ts;
	struct tg_kx skx, ckx;
	uint8_t cr[32], sr[32], ske[200], sig[TG_SIG_MAX_LEN], cpub[128];
	uint8_t cpms[TG_KX_MAX_SECRET], spms[TG_KX_MAX_SECRET];
	uint8_t hash[TG_HASH_MAX_LEN], cms[48], sms[48], vd[12];
	size_t pub_len, sig_len, cpub_len, cn, sn, hl;
	uint16_t alg;
	struct tg_keys k[4];

	tg_test_fill(cr, 32);
	tg_test_fill(sr, 32);
	TG_ASSERT_OK(tg_transcript_init(&tc, TG_TRANSCRIPT_UNDECIDED));
	TG_ASSERT_OK(tg_transcript_init(&ts, TG_TRANSCRIPT_UNDECIDED));
	TG_ASSERT_OK(tg_transcript_update(&tc, "ClientHello", 11));
	TG_ASSERT_OK(tg_transcript_update(&ts, "ClientHello", 11));
	/* Suite chosen: both settle the hash. */
	TG_ASSERT_OK(tg_transcript_select(&tc, cs->prf_hash));
	TG_ASSERT_OK(tg_transcript_select(&ts, cs->prf_hash));

	/* Server: ServerKeyExchange = cr || sr || curve_type, group, point */
	TG_ASSERT_OK(tg_kx_keygen(&skx, group));
	memcpy(ske, cr, 32);
	memcpy(ske + 32, sr, 32);
	ske[64] = 3; /* named_curve */
	ske[65] = (uint8_t)(group >> 8);
	ske[66] = (uint8_t)group;
	TG_ASSERT_OK(tg_kx_public(&skx, ske + 68, sizeof(ske) - 68, &pub_len));
	ske[67] = (uint8_t)pub_len;
	TG_ASSERT_OK(tg_sig_choose(cert_key, tg_sigalg_set(offered, 6), ours,
				   n_ours, &alg));
	TG_ASSERT_OK(tg_sig_sign(alg, cert_key, ske, 68 + pub_len, sig,
				 sizeof(sig), &sig_len));
	TG_ASSERT_OK(tg_transcript_update(&ts, ske + 64, 4 + pub_len));

	/* Client: checks the scheme was offered and fits the key, verifies. */
	CU_ASSERT_TRUE(tg_sigalg_in(alg, offered, 6));
	TG_ASSERT_OK(tg_sig_verify(alg, cert_key, ske, 68 + pub_len, sig,
				   sig_len));
	TG_ASSERT_OK(tg_transcript_update(&tc, ske + 64, 4 + pub_len));
	TG_ASSERT_OK(tg_kx_keygen(&ckx, group));
	TG_ASSERT_OK(tg_kx_public(&ckx, cpub, sizeof(cpub), &cpub_len));
	TG_ASSERT_OK(tg_kx_derive(&ckx, ske + 68, pub_len, cpms, sizeof(cpms),
				  &cn));
	tg_kx_free(&ckx);
	TG_ASSERT_OK(tg_transcript_update(&tc, cpub, cpub_len)); /* CKE */
	TG_ASSERT_OK(tg_transcript_peek(&tc, hash, sizeof(hash), &hl));
	TG_ASSERT_OK(tg_prf_ems(cs->prf_hash, cpms, cn, hash, hl, cms));
	tg_wipe(cpms, sizeof(cpms));

	/* Server. */
	TG_ASSERT_OK(tg_kx_derive(&skx, cpub, cpub_len, spms, sizeof(spms),
				  &sn));
	tg_kx_free(&skx);
	TG_ASSERT_OK(tg_transcript_update(&ts, cpub, cpub_len));
	TG_ASSERT_OK(tg_transcript_peek(&ts, hash, sizeof(hash), &hl));
	TG_ASSERT_OK(tg_prf_ems(cs->prf_hash, spms, sn, hash, hl, sms));
	tg_wipe(spms, sizeof(spms));
	CU_ASSERT_EQUAL(memcmp(cms, sms, 48), 0);

	TG_ASSERT_OK(tg_prf_derive_keys(cs, cms, cr, sr, TG_SIDE_CLIENT, 0, 0,
					&k[0], &k[1]));
	TG_ASSERT_OK(tg_prf_derive_keys(cs, sms, cr, sr, TG_SIDE_SERVER, 0, 0,
					&k[2], &k[3]));
	CU_ASSERT_EQUAL(memcmp(k[0].key, k[3].key, k[0].key_len), 0);
	CU_ASSERT_EQUAL(memcmp(k[1].iv, k[2].iv, k[1].iv_len), 0);

	/* Client Finished, then the server's over a transcript including
	 * the client's Finished message. */
	TG_ASSERT_OK(tg_transcript_peek(&tc, hash, sizeof(hash), &hl));
	TG_ASSERT_OK(tg_prf_finished(cs->prf_hash, cms, TG_SIDE_CLIENT, hash,
				     hl, vd));
	TG_ASSERT_OK(tg_transcript_peek(&ts, hash, sizeof(hash), &hl));
	TG_ASSERT_OK(tg_prf_finished_check(cs->prf_hash, sms, TG_SIDE_CLIENT,
					   hash, hl, vd, 12));
	TG_ASSERT_OK(tg_transcript_update(&tc, vd, 12));
	TG_ASSERT_OK(tg_transcript_update(&ts, vd, 12));
	TG_ASSERT_OK(tg_transcript_peek(&ts, hash, sizeof(hash), &hl));
	TG_ASSERT_OK(tg_prf_finished(cs->prf_hash, sms, TG_SIDE_SERVER, hash,
				     hl, vd));
	TG_ASSERT_OK(tg_transcript_peek(&tc, hash, sizeof(hash), &hl));
	TG_ASSERT_OK(tg_prf_finished_check(cs->prf_hash, cms, TG_SIDE_SERVER,
					   hash, hl, vd, 12));
	tg_wipe(cms, sizeof(cms));
	tg_wipe(sms, sizeof(sms));
	for (int j = 0; j < 4; j++)
		TG_WIPE_OBJ(k[j]);
	tg_transcript_free(&tc);
	tg_transcript_free(&ts);
}

static void test_flow(void)
{
	flow(TG_CS_ECDHE_ECDSA_AES_128_GCM_SHA256, TG_GROUP_X25519, p256_key);
	flow(TG_CS_ECDHE_ECDSA_AES_256_GCM_SHA384, TG_GROUP_SECP384R1,
	     p384_key);
	flow(TG_CS_ECDHE_RSA_CHACHA20_POLY1305_SHA256, TG_GROUP_SECP256R1,
	     rsa_key);
	flow(TG_CS_ECDHE_RSA_AES_256_GCM_SHA384, TG_GROUP_X25519, rsa_key);
}

static CU_TestInfo kx_tests[] = {
	{ "ECDHE both sides agree, each group", test_ecdhe_agree },
	{ "X25519 known answers (RFC 7748, trace)", test_x25519_known },
	{ "X25519 bad values", test_x25519_bad },
	{ "P-256/P-384 bad points", test_ec_bad_points },
	{ "ECDHE on several threads", test_ecdhe_threads },
	{ "static RSA and the countermeasure", test_rsa_kx },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo sig_tests[] = {
	{ "sign/verify every scheme, tampering", test_sig_roundtrip },
	{ "libcrypto-made signatures", test_sig_ossl_made },
	{ "scheme/key mismatch", test_sig_mismatch },
	{ "TLS 1.2: ECDSA with any hash on any curve", test_sig_any_curve },
	{ "choosing a scheme", test_sig_choose },
	{ "ECDHE handshake flow with EMS", test_flow },
	CU_TEST_INFO_NULL,
};

static const struct tg_test_suite suites[] = {
	{ "kx", keys_init, NULL, kx_tests },
	{ "sig", NULL, keys_cleanup, sig_tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return tg_test_main(argc, argv, suites);
}
