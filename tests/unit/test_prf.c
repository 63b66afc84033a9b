/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for control/prf.c (TLS 1.2 PRF, master secret, key block,
 * Finished, transcript) and control/suite.c (tables, list parsing).
 *
 * Known answers:
 *  - the TLS 1.2 PRF vectors posted to the IETF TLS WG list
 *    (mail-archive/web/tls/current/msg03416.html), SHA-256 and SHA-384;
 *    also reproduced with `openssl kdf ... TLS1-PRF`;
 *  - "The Illustrated TLS 1.2 Connection" (tls12.xargs.org): premaster,
 *    randoms, master secret, key block and client Finished.
 * Cross-check: an independent P_hash written here with HMAC() on random
 * inputs.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tg_accel.h"
#include "tg_prf.h"
#include "tg_suite.h"
#include "tg_test.h"
#include "tg_tls.h"
#include "tg_wipe.h"

/* ---- reference P_hash (RFC 5246 §5), independent of prf.c ------------ */

static void ref_prf(const EVP_MD *md, const uint8_t *secret, size_t slen,
		    const char *label, const uint8_t *seed, size_t seed_len,
		    uint8_t *out, size_t out_len)
{
	uint8_t ls[512], a[EVP_MAX_MD_SIZE], buf[EVP_MAX_MD_SIZE + 512],
		blk[EVP_MAX_MD_SIZE];
	size_t lslen = strlen(label) + seed_len, hl = (size_t)EVP_MD_get_size(md);
	unsigned int n;

	CU_ASSERT_FATAL(lslen <= sizeof(ls));
	memcpy(ls, label, strlen(label));
	memcpy(ls + strlen(label), seed, seed_len);
	/* A(1) = HMAC(secret, A(0)), A(0) = label + seed */
	HMAC(md, secret, (int)slen, ls, lslen, a, &n);
	for (size_t off = 0; off < out_len; off += hl) {
		size_t take = out_len - off < hl ? out_len - off : hl;

		memcpy(buf, a, hl);
		memcpy(buf + hl, ls, lslen);
		HMAC(md, secret, (int)slen, buf, hl + lslen, blk, &n);
		memcpy(out + off, blk, take);
		HMAC(md, secret, (int)slen, a, hl, a, &n);
	}
}

static size_t hex(const char *h, uint8_t *out, size_t cap)
{
	return tg_test_hex(h, out, cap);
}

/* ---- PRF known answers ----------------------------------------------- */

static void test_prf_vector_sha256(void)
{
	uint8_t secret[16], seed[16], want[100], out[100];

	CU_ASSERT_EQUAL(hex("9bbe436ba940f017b17652849a71db35", secret, 16), 16);
	CU_ASSERT_EQUAL(hex("a0ba9f936cda311827a6f796ffd5198c", seed, 16), 16);
	CU_ASSERT_EQUAL(
		hex("e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4"
		    "e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17"
		    "abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d1"
		    "22ee42c5a72e5a5110fff70187347b66",
		    want, sizeof(want)),
		100);
	TG_ASSERT_OK(tg_prf(TG_HASH_SHA256, secret, 16, "test label", seed,
			    16, NULL, 0, out, sizeof(out)));
	CU_ASSERT_EQUAL(memcmp(out, want, 100), 0);
	/* Seed split over the two seed arguments: same output. */
	memset(out, 0, sizeof(out));
	TG_ASSERT_OK(tg_prf(TG_HASH_SHA256, secret, 16, "test label", seed, 5,
			    seed + 5, 11, out, sizeof(out)));
	CU_ASSERT_EQUAL(memcmp(out, want, 100), 0);
	/* A prefix of the output is the output of a shorter call. */
	memset(out, 0, sizeof(out));
	TG_ASSERT_OK(tg_prf(TG_HASH_SHA256, secret, 16, "test label", seed,
			    16, NULL, 0, out, 33));
	CU_ASSERT_EQUAL(memcmp(out, want, 33), 0);
	/* The reference agrees with the vector. */
	ref_prf(EVP_sha256(), secret, 16, "test label", seed, 16, out, 100);
	CU_ASSERT_EQUAL(memcmp(out, want, 100), 0);
}

static void test_prf_vector_sha384(void)
{
	uint8_t secret[16], seed[16], want[148], out[148];

	CU_ASSERT_EQUAL(hex("b80b733d6ceefcdc71566ea48e5567df", secret, 16), 16);
	CU_ASSERT_EQUAL(hex("cd665cf6a8447dd6ff8b27555edb7465", seed, 16), 16);
	CU_ASSERT_EQUAL(
		hex("7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107"
		    "e81c83cde9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700"
		    "884f9dc236f80edd8bfa961144c9e8d792eca722a7b32fc3d416d473"
		    "ebc2c5fd4abfdad05d9184259b5bf8cd4d90fa0d31e2dec479e4f1a2"
		    "6066f2eea9a69236a3e52655c9e9aee691c8f3a26854308d5eaa3be8"
		    "5e0990703d73e56f",
		    want, sizeof(want)),
		148);
	TG_ASSERT_OK(tg_prf(TG_HASH_SHA384, secret, 16, "test label", seed,
			    16, NULL, 0, out, sizeof(out)));
	CU_ASSERT_EQUAL(memcmp(out, want, 148), 0);
	ref_prf(EVP_sha384(), secret, 16, "test label", seed, 16, out, 148);
	CU_ASSERT_EQUAL(memcmp(out, want, 148), 0);
}

static void test_prf_random_crosscheck(void)
{
	static const char *labels[] = { "master secret", "key expansion",
					"client finished", "x" };
	uint8_t secret[100], seed[200], got[400], want[400];

	for (int i = 0; i < 200; i++) {
		enum tg_hash h = (i & 1) ? TG_HASH_SHA384 : TG_HASH_SHA256;
		size_t slen = 1 + tg_test_rand() % sizeof(secret);
		size_t s1 = tg_test_rand() % 100, s2 = tg_test_rand() % 100;
		size_t olen = 1 + tg_test_rand() % sizeof(got);
		const char *label = labels[tg_test_rand() % 4];

		tg_test_fill(secret, slen);
		tg_test_fill(seed, s1 + s2);
		TG_ASSERT_OK(tg_prf(h, secret, slen, label, seed, s1,
				    seed + s1, s2, got, olen));
		ref_prf(h == TG_HASH_SHA384 ? EVP_sha384() : EVP_sha256(),
			secret, slen, label, seed, s1 + s2, want, olen);
		CU_ASSERT_EQUAL(memcmp(got, want, olen), 0);
	}
}

static void test_prf_args(void)
{
	uint8_t s[4] = { 1, 2, 3, 4 }, out[8];

	TG_ASSERT_ERR(tg_prf(TG_HASH__COUNT, s, 4, "l", NULL, 0, NULL, 0, out,
			     8),
		      TG_E_INVAL);
	TG_ASSERT_ERR(tg_prf(TG_HASH_SHA256, NULL, 0, "l", NULL, 0, NULL, 0,
			     out, 8),
		      TG_E_INVAL);
	TG_ASSERT_ERR(tg_prf(TG_HASH_SHA256, s, 4, "", NULL, 0, NULL, 0, out,
			     8),
		      TG_E_INVAL);
	TG_ASSERT_ERR(tg_prf(TG_HASH_SHA256, s, 4, "l", NULL, 3, NULL, 0, out,
			     8),
		      TG_E_INVAL);
	TG_ASSERT_ERR(tg_prf(TG_HASH_SHA256, s, 4, "l", NULL, 0, NULL, 0, out,
			     0),
		      TG_E_INVAL);
	TG_ASSERT_ERR(tg_prf(TG_HASH_SHA256, s, 4, "l", NULL, 0, NULL, 0, out,
			     TG_PRF_MAX_OUT + 1),
		      TG_E_INVAL);
	CU_ASSERT_PTR_NOT_NULL(tg_hash_md(TG_HASH_SHA256));
	CU_ASSERT_PTR_NOT_NULL(tg_hash_md(TG_HASH_SHA384));
	CU_ASSERT_PTR_NULL(tg_hash_md(TG_HASH__COUNT));
	/* Cached: the same object every time. */
	CU_ASSERT_PTR_EQUAL(tg_hash_md(TG_HASH_SHA256),
			    tg_hash_md(TG_HASH_SHA256));
}

/* Output lengths around the hash-length boundaries, and secrets around
 * the HMAC block size (a longer key is hashed first, RFC 2104 §2). */
static void test_prf_boundaries(void)
{
	static const size_t slens[] = { 1, 32, 47, 48, 63, 64, 65, 127, 128,
					129, 200 };
	static uint8_t got[TG_PRF_MAX_OUT], want[TG_PRF_MAX_OUT];
	uint8_t secret[200], seed[64];

	tg_test_fill(seed, sizeof(seed));
	for (int h = 0; h < TG_HASH_PRF_COUNT; h++) {
		const EVP_MD *md = h ? EVP_sha384() : EVP_sha256();
		size_t hl = tg_hash_len((enum tg_hash)h);
		const size_t olens[] = { 1,	     hl - 1,	     hl,
					 hl + 1,     2 * hl,	     2 * hl + 1,
					 3 * hl - 1, TG_PRF_MAX_OUT - 1,
					 TG_PRF_MAX_OUT };

		for (size_t i = 0; i < sizeof(slens) / sizeof(slens[0]); i++) {
			for (size_t j = 0; j < sizeof(olens) / sizeof(olens[0]);
			     j++) {
				tg_test_fill(secret, slens[i]);
				memset(got, 0xaa, sizeof(got));
				TG_ASSERT_OK(tg_prf((enum tg_hash)h, secret,
						    slens[i], "boundary", seed,
						    32, seed + 32, 32, got,
						    olens[j]));
				ref_prf(md, secret, slens[i], "boundary", seed,
					64, want, olens[j]);
				CU_ASSERT_EQUAL(memcmp(got, want, olens[j]), 0);
				/* Nothing written past out_len. */
				if (olens[j] < sizeof(got))
					CU_ASSERT_EQUAL(got[olens[j]], 0xaa);
			}
		}
	}
}

/* tg_hash() against EVP_Digest(), empty input included. */
static void test_hash_oneshot(void)
{
	static const size_t lens[] = { 0, 1, 55, 56, 63, 64, 111, 112, 128,
				       2048, 5000 };
	static uint8_t data[5000];
	uint8_t got[TG_HASH_MAX_LEN], want[EVP_MAX_MD_SIZE];
	unsigned int n;

	tg_test_fill(data, sizeof(data));
	for (int h = 0; h < TG_HASH__COUNT; h++) {
		const EVP_MD *md = EVP_get_digestbyname(tg_hash_name((enum tg_hash)h));

		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			TG_ASSERT_OK(tg_hash((enum tg_hash)h, data, lens[i],
					     got));
			EVP_Digest(data, lens[i], want, &n, md, NULL);
			CU_ASSERT_EQUAL(n, tg_hash_len((enum tg_hash)h));
			CU_ASSERT_EQUAL(memcmp(got, want, n), 0);
		}
		TG_ASSERT_OK(tg_hash((enum tg_hash)h, NULL, 0, got));
		EVP_Digest("", 0, want, &n, md, NULL);
		CU_ASSERT_EQUAL(memcmp(got, want, n), 0);
	}
	TG_ASSERT_ERR(tg_hash(TG_HASH__COUNT, data, 1, got), TG_E_INVAL);
	TG_ASSERT_ERR(tg_hash(TG_HASH_SHA256, NULL, 1, got), TG_E_INVAL);
	TG_ASSERT_ERR(tg_hash(TG_HASH_SHA256, data, 1, NULL), TG_E_INVAL);
}

/* Several threads at once (prf.c keeps per-thread digest contexts): each
 * gets the reference answers; threads that exit release theirs. */
#define PRF_THREADS 4
#define PRF_THREAD_ROUNDS 200

struct prf_job {
	uint8_t secret[48], seed[64];
	uint8_t want[100], want_hash[48];
	enum tg_hash h;
	int bad;
};

static void *prf_thread(void *arg)
{
	struct prf_job *j = arg;
	uint8_t out[100], dg[TG_HASH_MAX_LEN];

	for (int i = 0; i < PRF_THREAD_ROUNDS; i++) {
		if (tg_failed(tg_prf(j->h, j->secret, sizeof(j->secret),
				     "thread", j->seed, 40, j->seed + 40, 24,
				     out, sizeof(out))) ||
		    memcmp(out, j->want, sizeof(out)) != 0)
			j->bad++;
		if (tg_failed(tg_hash(j->h, j->seed, sizeof(j->seed), dg)) ||
		    memcmp(dg, j->want_hash, tg_hash_len(j->h)) != 0)
			j->bad++;
	}
	return NULL;
}

static void test_prf_threads(void)
{
	struct prf_job jobs[PRF_THREADS];
	pthread_t tid[PRF_THREADS];
	unsigned int n;

	for (int round = 0; round < 2; round++) {
		for (int t = 0; t < PRF_THREADS; t++) {
			struct prf_job *j = &jobs[t];
			const EVP_MD *md;

			memset(j, 0, sizeof(*j));
			j->h = (t & 1) ? TG_HASH_SHA384 : TG_HASH_SHA256;
			md = (t & 1) ? EVP_sha384() : EVP_sha256();
			tg_test_fill(j->secret, sizeof(j->secret));
			tg_test_fill(j->seed, sizeof(j->seed));
			ref_prf(md, j->secret, sizeof(j->secret), "thread",
				j->seed, sizeof(j->seed), j->want,
				sizeof(j->want));
			EVP_Digest(j->seed, sizeof(j->seed), j->want_hash, &n,
				   md, NULL);
		}
		for (int t = 0; t < PRF_THREADS; t++)
			CU_ASSERT_EQUAL_FATAL(pthread_create(&tid[t], NULL,
							     prf_thread,
							     &jobs[t]),
					      0);
		for (int t = 0; t < PRF_THREADS; t++) {
			CU_ASSERT_EQUAL(pthread_join(tid[t], NULL), 0);
			CU_ASSERT_EQUAL(jobs[t].bad, 0);
		}
	}
}

/* ---- the Illustrated TLS 1.2 Connection (tls12.xargs.org) ------------ */

/* ECDHE-RSA-AES128-CBC-SHA over x25519; PRF SHA-256. */
#define X_CR "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define X_SR "707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f"
#define X_PMS "df4a291baa1eb7cfa6934b29b474baad2697e29f1f920dcc77c8a0a088447624"
#define X_MS                                                                   \
	"916abf9da55973e13614ae0a3f5d3f37b023ba129aee02cc9134338127cd7049"    \
	"781c8e19fc1eb2a7387ac06ae237344c"

static void test_trace_master_and_keys(void)
{
	uint8_t cr[32], sr[32], pms[32], ms[48], want[48], kb[104], w[20];
	struct tg_key_block blk;

	hex(X_CR, cr, 32);
	hex(X_SR, sr, 32);
	hex(X_PMS, pms, 32);
	hex(X_MS, want, 48);
	TG_ASSERT_OK(tg_prf_master_secret(TG_HASH_SHA256, pms, 32, cr, sr, ms));
	CU_ASSERT_EQUAL(memcmp(ms, want, 48), 0);

	/* The CBC suite's key block: 2 x 20-byte MAC keys, 2 x 16-byte keys,
	 * 2 x 16-byte IVs (RFC 5246 §6.3), from the published values. */
	TG_ASSERT_OK(tg_prf(TG_HASH_SHA256, ms, 48, "key expansion", sr, 32,
			    cr, 32, kb, sizeof(kb)));
	hex("1b7d117c7d5f690bc263cae8ef60af0f1878acc2", w, 20);
	CU_ASSERT_EQUAL(memcmp(kb, w, 20), 0);
	hex("2ad8bdd8c601a617126f63540eb20906f781fad2", w, 20);
	CU_ASSERT_EQUAL(memcmp(kb + 20, w, 20), 0);
	hex("f656d037b173ef3e11169f27231a84b6", w, 16);
	CU_ASSERT_EQUAL(memcmp(kb + 40, w, 16), 0);
	hex("752a18e7a9fcb7cbcdd8f98dd8f769eb", w, 16);
	CU_ASSERT_EQUAL(memcmp(kb + 56, w, 16), 0);
	hex("a0d2550c9238eebfef5c32251abb67d6", w, 16);
	CU_ASSERT_EQUAL(memcmp(kb + 72, w, 16), 0);
	hex("434528db4937d540d393135e06a11bb8", w, 16);
	CU_ASSERT_EQUAL(memcmp(kb + 88, w, 16), 0);

	/* Our AEAD split of the same master secret: no MAC keys, so the keys
	 * start the block, then the 4-byte GCM salts. */
	TG_ASSERT_OK(tg_prf_key_block(
		tg_cs_by_id(TG_CS_ECDHE_RSA_AES_128_GCM_SHA256), ms, cr, sr,
		&blk));
	CU_ASSERT_EQUAL(blk.key_len, 16);
	CU_ASSERT_EQUAL(blk.iv_len, 4);
	CU_ASSERT_EQUAL(memcmp(blk.client_key, kb, 16), 0);
	CU_ASSERT_EQUAL(memcmp(blk.server_key, kb + 16, 16), 0);
	CU_ASSERT_EQUAL(memcmp(blk.client_iv, kb + 32, 4), 0);
	CU_ASSERT_EQUAL(memcmp(blk.server_iv, kb + 36, 4), 0);
	/* ChaCha20: 32-byte keys, 12-byte IVs. */
	TG_ASSERT_OK(tg_prf_key_block(
		tg_cs_by_id(TG_CS_ECDHE_RSA_CHACHA20_POLY1305_SHA256), ms, cr,
		sr, &blk));
	CU_ASSERT_EQUAL(blk.key_len, 32);
	CU_ASSERT_EQUAL(blk.iv_len, 12);
	CU_ASSERT_EQUAL(memcmp(blk.client_key, kb, 32), 0);
	CU_ASSERT_EQUAL(memcmp(blk.server_key, kb + 32, 32), 0);
	CU_ASSERT_EQUAL(memcmp(blk.client_iv, kb + 64, 12), 0);
	CU_ASSERT_EQUAL(memcmp(blk.server_iv, kb + 76, 12), 0);
	TG_WIPE_OBJ(blk);
}

static void test_trace_finished(void)
{
	uint8_t ms[48], hs[32], vd[12], want[12];

	hex(X_MS, ms, 48);
	/* SHA-256 of ClientHello..ClientKeyExchange in the trace. */
	hex("061dda04b3c2217ff73bd79b9cf88a2bb6ec505404aac8722db03ef417b54cb4",
	    hs, 32);
	hex("cf919626f1360c536aaad73a", want, 12);
	TG_ASSERT_OK(tg_prf_finished(TG_HASH_SHA256, ms, TG_SIDE_CLIENT, hs,
				     32, vd));
	CU_ASSERT_EQUAL(memcmp(vd, want, 12), 0);
	TG_ASSERT_OK(tg_prf_finished_check(TG_HASH_SHA256, ms, TG_SIDE_CLIENT,
					   hs, 32, want, 12));
	/* The server label gives something else. */
	TG_ASSERT_OK(tg_prf_finished(TG_HASH_SHA256, ms, TG_SIDE_SERVER, hs,
				     32, vd));
	CU_ASSERT_NOT_EQUAL(memcmp(vd, want, 12), 0);
	TG_ASSERT_ERR(tg_prf_finished_check(TG_HASH_SHA256, ms, TG_SIDE_SERVER,
					    hs, 32, want, 12),
		      TG_E_DECRYPT_ERROR);
	want[11] ^= 1;
	TG_ASSERT_ERR(tg_prf_finished_check(TG_HASH_SHA256, ms, TG_SIDE_CLIENT,
					    hs, 32, want, 12),
		      TG_E_DECRYPT_ERROR);
	TG_ASSERT_ERR(tg_prf_finished_check(TG_HASH_SHA256, ms, TG_SIDE_CLIENT,
					    hs, 32, want, 11),
		      TG_E_DECODE);
	/* Hash length must match the PRF hash. */
	TG_ASSERT_ERR(tg_prf_finished(TG_HASH_SHA384, ms, TG_SIDE_CLIENT, hs,
				      32, vd),
		      TG_E_INVAL);
}

static void test_ems(void)
{
	uint8_t pms[48], sh[48], ms[48], want[48];

	for (int h = 0; h < TG_HASH_PRF_COUNT; h++) {
		size_t hl = tg_hash_len((enum tg_hash)h);

		tg_test_fill(pms, sizeof(pms));
		tg_test_fill(sh, hl);
		TG_ASSERT_OK(tg_prf_ems((enum tg_hash)h, pms, 48, sh, hl, ms));
		ref_prf(h ? EVP_sha384() : EVP_sha256(), pms, 48,
			"extended master secret", sh, hl, want, 48);
		CU_ASSERT_EQUAL(memcmp(ms, want, 48), 0);
		TG_ASSERT_ERR(tg_prf_ems((enum tg_hash)h, pms, 48, sh, hl - 1,
					 ms),
			      TG_E_INVAL);
	}
}

static void test_export_keys(void)
{
	uint8_t ms[48], cr[32], sr[32];

	tg_test_fill(ms, 48);
	tg_test_fill(cr, 32);
	tg_test_fill(sr, 32);
	for (size_t i = 0; i < tg_cs_count(); i++) {
		const struct tg_cs_info *cs = tg_cs_at(i);
		struct tg_keys cw, crd, sw, srd;
		struct tg_key_block kb;

		TG_ASSERT_OK(tg_prf_derive_keys(cs, ms, cr, sr, TG_SIDE_CLIENT,
						0, 0, &cw, &crd));
		TG_ASSERT_OK(tg_prf_derive_keys(cs, ms, cr, sr, TG_SIDE_SERVER,
						5, 7, &sw, &srd));
		TG_ASSERT_OK(tg_prf_key_block(cs, ms, cr, sr, &kb));
		/* Client writes with client_write_*, server reads with them. */
		CU_ASSERT_EQUAL(memcmp(cw.key, kb.client_key, cs->key_len), 0);
		CU_ASSERT_EQUAL(memcmp(cw.iv, kb.client_iv, cs->fixed_iv_len),
				0);
		CU_ASSERT_EQUAL(memcmp(srd.key, kb.client_key, cs->key_len), 0);
		CU_ASSERT_EQUAL(memcmp(srd.iv, kb.client_iv, cs->fixed_iv_len),
				0);
		CU_ASSERT_EQUAL(memcmp(sw.key, kb.server_key, cs->key_len), 0);
		CU_ASSERT_EQUAL(memcmp(crd.key, kb.server_key, cs->key_len), 0);
		CU_ASSERT_EQUAL(memcmp(crd.iv, kb.server_iv, cs->fixed_iv_len),
				0);
		CU_ASSERT_NOT_EQUAL(memcmp(kb.client_key, kb.server_key,
					   cs->key_len),
				    0);
		CU_ASSERT_EQUAL(cw.version, TG_TLS12);
		CU_ASSERT_EQUAL(cw.suite, cs->suite);
		CU_ASSERT_EQUAL(cw.dir, TG_DIR_SEAL);
		CU_ASSERT_EQUAL(crd.dir, TG_DIR_OPEN);
		CU_ASSERT_EQUAL(sw.dir, TG_DIR_SEAL);
		CU_ASSERT_EQUAL(srd.dir, TG_DIR_OPEN);
		CU_ASSERT_EQUAL(cw.key_len,
				tg_suite_key_len((enum tg_suite)cs->suite));
		CU_ASSERT_EQUAL(cw.iv_len,
				tg_suite_iv_len(TG_TLS12,
						(enum tg_suite)cs->suite));
		CU_ASSERT_EQUAL(cw.seq, 0);
		CU_ASSERT_EQUAL(sw.seq, 5);
		CU_ASSERT_EQUAL(srd.seq, 7);
		TG_WIPE_OBJ(cw);
		TG_WIPE_OBJ(crd);
		TG_WIPE_OBJ(sw);
		TG_WIPE_OBJ(srd);
		TG_WIPE_OBJ(kb);
	}
}

/* Seal one contiguous record with @p w and open it with @p r; returns the
 * open status (TG_REC_OK when the plaintext came back unchanged). */
static uint8_t seal_open(struct tg_accel_sess *w, struct tg_accel_sess *r,
			 const uint8_t *pt, uint32_t len)
{
	uint8_t buf[256];
	uint32_t hdr = tg_accel_hdr_len(w), tail = tg_accel_tail_len(w, 0);
	struct tg_rec rec = { .sess = w, .type = TG_CT_APPLICATION_DATA };
	struct tg_rec *rp = &rec;

	CU_ASSERT_FATAL(hdr + len + tail <= sizeof(buf));
	memcpy(buf + hdr, pt, len);
	rec.buf = buf;
	rec.cap = hdr + len + tail;
	rec.off = hdr;
	rec.len = len;
	CU_ASSERT_EQUAL_FATAL(tg_accel_seal_burst(&rp, 1), 1);
	memset(&rec, 0, sizeof(rec));
	rec.sess = r;
	rec.buf = buf;
	rec.cap = sizeof(buf);
	rec.rec_off = 0;
	rec.rec_len = hdr + len + tail;
	if (tg_accel_open_burst(&rp, 1) != 1)
		return rec.status;
	CU_ASSERT_EQUAL(rec.len, len);
	CU_ASSERT_EQUAL(memcmp(buf + rec.off, pt, len), 0);
	return rec.status;
}

/* The exported keys drive the record layer: what the client seals the
 * server opens and back; a record opened with the wrong direction's keys
 * fails. */
static void test_export_records(void)
{
	struct tg_accel_conf conf = { .backends = "evp", .no_calibrate = true };
	struct tg_accel *acc = NULL;
	uint8_t ms[48], cr[32], sr[32], pt[100];

	TG_ASSERT_OK(tg_accel_create(&conf, &acc));
	tg_test_fill(ms, 48);
	tg_test_fill(cr, 32);
	tg_test_fill(sr, 32);
	tg_test_fill(pt, sizeof(pt));
	for (size_t i = 0; i < tg_cs_count(); i++) {
		const struct tg_cs_info *cs = tg_cs_at(i);
		struct tg_keys k[4]; /* client wr, rd; server wr, rd */
		struct tg_accel_sess *s[4] = { NULL };

		TG_ASSERT_OK(tg_prf_derive_keys(cs, ms, cr, sr, TG_SIDE_CLIENT,
						0, 0, &k[0], &k[1]));
		TG_ASSERT_OK(tg_prf_derive_keys(cs, ms, cr, sr, TG_SIDE_SERVER,
						0, 0, &k[2], &k[3]));
		for (int j = 0; j < 4; j++) {
			TG_ASSERT_OK(tg_accel_sess_create(acc, &k[j], &s[j]));
			TG_WIPE_OBJ(k[j]);
		}
		CU_ASSERT_EQUAL(seal_open(s[0], s[3], pt, sizeof(pt)),
				TG_REC_OK);
		CU_ASSERT_EQUAL(seal_open(s[2], s[1], pt, 17), TG_REC_OK);
		/* Client's record opened with the server's write keys. */
		CU_ASSERT_EQUAL(seal_open(s[0], s[1], pt, 10),
				TG_REC_E_BAD_MAC);
		for (int j = 0; j < 4; j++)
			tg_accel_sess_free(s[j]);
	}
	tg_accel_destroy(acc);
}

/* ---- transcript ------------------------------------------------------ */

static void test_transcript(void)
{
	uint8_t data[3000], want[48], got[48];
	struct tg_transcript t;
	unsigned int n;
	size_t len;

	tg_test_fill(data, sizeof(data));
	for (int h = 0; h < TG_HASH_PRF_COUNT; h++) {
		const EVP_MD *md = h ? EVP_sha384() : EVP_sha256();

		/* Undecided: both run; peek needs a selection. */
		TG_ASSERT_OK(tg_transcript_init(&t, TG_TRANSCRIPT_UNDECIDED));
		CU_ASSERT_EQUAL(tg_transcript_hash(&t), TG_TRANSCRIPT_UNDECIDED);
		TG_ASSERT_OK(tg_transcript_update(&t, data, 100));
		TG_ASSERT_ERR(tg_transcript_peek(&t, got, sizeof(got), &len),
			      TG_E_STATE);
		/* peek_as works on either while undecided. */
		TG_ASSERT_OK(tg_transcript_peek_as(&t, TG_HASH_SHA384, got,
						   sizeof(got), &len));
		CU_ASSERT_EQUAL(len, 48);
		EVP_Digest(data, 100, want, &n, EVP_sha384(), NULL);
		CU_ASSERT_EQUAL(memcmp(got, want, 48), 0);
		TG_ASSERT_OK(tg_transcript_select(&t, (enum tg_hash)h));
		TG_ASSERT_OK(tg_transcript_select(&t, (enum tg_hash)h));
		TG_ASSERT_ERR(tg_transcript_select(&t, (enum tg_hash)!h),
			      TG_E_STATE);
		TG_ASSERT_ERR(tg_transcript_peek_as(&t, (enum tg_hash)!h, got,
						    sizeof(got), &len),
			      TG_E_STATE);
		/* Random chunks; a peek after each must not end the hash. */
		for (size_t off = 100; off < sizeof(data);) {
			size_t c = 1 + tg_test_rand() % 400;

			if (c > sizeof(data) - off)
				c = sizeof(data) - off;
			TG_ASSERT_OK(tg_transcript_update(&t, data + off, c));
			off += c;
			TG_ASSERT_OK(tg_transcript_peek(&t, got, sizeof(got),
							&len));
			CU_ASSERT_EQUAL(len, tg_hash_len((enum tg_hash)h));
			EVP_Digest(data, off, want, &n, md, NULL);
			CU_ASSERT_EQUAL(memcmp(got, want, len), 0);
		}
		TG_ASSERT_ERR(tg_transcript_peek(&t, got, 16, &len),
			      TG_E_NOSPACE);
		tg_transcript_free(&t);
		tg_transcript_free(&t); /* twice is fine */

		/* Decided from the start. */
		TG_ASSERT_OK(tg_transcript_init(&t, h));
		TG_ASSERT_OK(tg_transcript_update(&t, data, sizeof(data)));
		TG_ASSERT_OK(tg_transcript_peek(&t, got, sizeof(got), &len));
		EVP_Digest(data, sizeof(data), want, &n, md, NULL);
		CU_ASSERT_EQUAL(memcmp(got, want, len), 0);
		tg_transcript_free(&t);
	}
	TG_ASSERT_ERR(tg_transcript_init(&t, 7), TG_E_INVAL);
	tg_transcript_free(&t);
}

/* ---- suite tables ---------------------------------------------------- */

/* tg_rand_public and tg_rand_secret: values differ, big requests bypass
 * the block, the block refills, and a forked child does not repeat the
 * parent's bytes. */
static void check_rand_block(tg_result (*rnd)(void *, size_t))
{
	uint8_t a[32], b[32], big[4096], zero[32] = { 0 };
	int pfd[2];
	pid_t pid;

	CU_ASSERT_EQUAL(rnd(NULL, 1).code, TG_E_INVAL);
	CU_ASSERT_TRUE(tg_ok(rnd(NULL, 0)));
	CU_ASSERT_TRUE(tg_ok(rnd(a, sizeof(a))));
	CU_ASSERT_TRUE(tg_ok(rnd(b, sizeof(b))));
	CU_ASSERT_NOT_EQUAL(memcmp(a, b, sizeof(a)), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(a, zero, sizeof(a)), 0);
	/* more than a block's worth, in both sizes: all distinct from the
	 * previous value */
	for (int i = 0; i < 100; i++) {
		CU_ASSERT_TRUE(tg_ok(rnd(b, sizeof(b))));
		CU_ASSERT_NOT_EQUAL(memcmp(a, b, sizeof(a)), 0);
		memcpy(a, b, sizeof(a));
	}
	CU_ASSERT_TRUE(tg_ok(rnd(big, sizeof(big))));
	CU_ASSERT_NOT_EQUAL(memcmp(big, big + 2048, 32), 0);

	/* the child's next value is not the parent's next value */
	CU_ASSERT_EQUAL_FATAL(pipe(pfd), 0);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		uint8_t c[32];
		ssize_t w = -1;

		if (tg_ok(rnd(c, sizeof(c))))
			w = write(pfd[1], c, sizeof(c));
		_exit(w == (ssize_t)sizeof(c) ? 0 : 1);
	}
	close(pfd[1]);
	CU_ASSERT_TRUE(tg_ok(rnd(a, sizeof(a))));
	CU_ASSERT_EQUAL(read(pfd[0], b, sizeof(b)), (ssize_t)sizeof(b));
	close(pfd[0]);
	{
		int st = 0;

		CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
		CU_ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	CU_ASSERT_NOT_EQUAL(memcmp(a, b, sizeof(a)), 0);
}

static void test_rand_public(void)
{
	check_rand_block(tg_rand_public);
}

static void test_rand_secret(void)
{
	check_rand_block(tg_rand_secret);
}

/* tg_hmac: RFC 4231 cases 2 (short key) and 6 (a 131-byte key, longer
 * than either block), then libcrypto's HMAC on random keys of every
 * length around the blocks, the message cut into several pieces. */
static void test_hmac(void)
{
	static const struct {
		enum tg_hash h;
		const char *key, *data, *mac;
	} kat[] = {
		{ TG_HASH_SHA256, "4a656665",
		  "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
		  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
		{ TG_HASH_SHA384, "4a656665",
		  "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
		  "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec373"
		  "6322445e8e2240ca5e69e2c78b3239ecfab21649" },
		{ TG_HASH_SHA256, NULL,
		  "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
		  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
		{ TG_HASH_SHA384, NULL,
		  "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
		  "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05"
		  "033ac4c60c2ef6ab4030fe8296248df163f44952" },
	};
	uint8_t key[200], data[200], want[TG_HASH_MAX_LEN], got[TG_HASH_MAX_LEN];

	for (size_t i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
		size_t kl = 131, dl, ml;
		struct tg_hmac_seg seg;

		if (kat[i].key != NULL)
			kl = tg_test_hex(kat[i].key, key, sizeof(key));
		else
			memset(key, 0xaa, kl);
		dl = tg_test_hex(kat[i].data, data, sizeof(data));
		ml = tg_test_hex(kat[i].mac, want, sizeof(want));
		CU_ASSERT_EQUAL(ml, tg_hash_len(kat[i].h));
		seg = (struct tg_hmac_seg){ data, dl };
		TG_ASSERT_OK(tg_hmac(kat[i].h, key, kl, &seg, 1, got));
		CU_ASSERT_EQUAL(memcmp(got, want, ml), 0);
	}
	for (int hi = 0; hi < 2; hi++) {
		enum tg_hash h = hi ? TG_HASH_SHA384 : TG_HASH_SHA256;

		for (size_t kl = 0; kl <= sizeof(key); kl += 7) {
			struct tg_hmac_seg seg[3];
			unsigned int n = 0;

			tg_test_fill(key, kl);
			tg_test_fill(data, sizeof(data));
			seg[0] = (struct tg_hmac_seg){ data, kl % 50 };
			seg[1] = (struct tg_hmac_seg){ NULL, 0 };
			seg[2] = (struct tg_hmac_seg){ data + kl % 50, 150 };
			CU_ASSERT_PTR_NOT_NULL(HMAC(tg_hash_md(h), key, (int)kl,
						    data, kl % 50 + 150, want,
						    &n));
			TG_ASSERT_OK(tg_hmac(h, kl ? key : NULL, kl, seg, 3,
					     got));
			CU_ASSERT_EQUAL(n, tg_hash_len(h));
			CU_ASSERT_EQUAL(memcmp(got, want, n), 0);
		}
	}
}

static void test_suite_table(void)
{
	const uint16_t *def;
	size_t n;

	CU_ASSERT_EQUAL(tg_cs_count(), 8);
	for (size_t i = 0; i < tg_cs_count(); i++) {
		const struct tg_cs_info *c = tg_cs_at(i);

		CU_ASSERT_PTR_EQUAL(tg_cs_by_id(c->id), c);
		CU_ASSERT_PTR_EQUAL(tg_cs_by_name(c->iana), c);
		CU_ASSERT_PTR_EQUAL(tg_cs_by_name(c->ossl), c);
		/* The record layer agrees on the lengths. */
		CU_ASSERT_EQUAL(c->key_len,
				tg_suite_key_len((enum tg_suite)c->suite));
		CU_ASSERT_EQUAL(c->fixed_iv_len,
				tg_suite_iv_len(TG_TLS12,
						(enum tg_suite)c->suite));
		/* The name says the PRF hash. */
		CU_ASSERT_EQUAL(c->prf_hash == TG_HASH_SHA384,
				strstr(c->iana, "SHA384") != NULL);
		CU_ASSERT_EQUAL(c->by_default, c->kx != TG_KX_RSA);
	}
	CU_ASSERT_PTR_NULL(tg_cs_at(tg_cs_count()));
	CU_ASSERT_PTR_NULL(tg_cs_by_id(0x002F));
	CU_ASSERT_PTR_NULL(tg_cs_by_id(TG_CS_EMPTY_RENEGOTIATION_INFO_SCSV));
	CU_ASSERT_PTR_EQUAL(tg_cs_by_name("ecdhe-ecdsa-aes128-gcm-sha256"),
			    tg_cs_by_id(TG_CS_ECDHE_ECDSA_AES_128_GCM_SHA256));
	CU_ASSERT_PTR_NULL(tg_cs_by_name("AES128-SHA"));
	CU_ASSERT_PTR_NULL(tg_cs_by_name(NULL));
	n = tg_cs_default(&def);
	CU_ASSERT_EQUAL(n, 6);
	CU_ASSERT_EQUAL(def[0], TG_CS_ECDHE_ECDSA_AES_128_GCM_SHA256);
	CU_ASSERT_EQUAL(def[1], TG_CS_ECDHE_ECDSA_CHACHA20_POLY1305_SHA256);
	CU_ASSERT_EQUAL(def[2], TG_CS_ECDHE_ECDSA_AES_256_GCM_SHA384);
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_NOT_EQUAL(tg_cs_by_id(def[i])->kx, TG_KX_RSA);

	CU_ASSERT_EQUAL(tg_group_by_name("P-256")->id, TG_GROUP_SECP256R1);
	CU_ASSERT_EQUAL(tg_group_by_name("prime256v1")->id,
			TG_GROUP_SECP256R1);
	CU_ASSERT_EQUAL(tg_group_by_name("secp256r1")->id, TG_GROUP_SECP256R1);
	CU_ASSERT_EQUAL(tg_group_by_name("X25519")->id, TG_GROUP_X25519);
	CU_ASSERT_EQUAL(tg_group_by_name("p-384")->id, TG_GROUP_SECP384R1);
	CU_ASSERT_PTR_NULL(tg_group_by_name("secp521r1"));
	CU_ASSERT_EQUAL(tg_group_by_id(TG_GROUP_SECP384R1)->pub_len, 97);
	n = tg_group_default(&def);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(def[0], TG_GROUP_X25519);

	CU_ASSERT_EQUAL(tg_sigalg_by_name("rsa_pss_rsae_sha256")->id,
			TG_SIG_RSA_PSS_RSAE_SHA256);
	CU_ASSERT_EQUAL(tg_sigalg_by_id(TG_SIG_ECDSA_SECP384R1_SHA384)->curve,
			TG_GROUP_SECP384R1);
	CU_ASSERT_EQUAL(tg_sigalg_by_id(TG_SIG_RSA_PKCS1_SHA384)->hash,
			TG_HASH_SHA384);
	CU_ASSERT_PTR_NULL(tg_sigalg_by_id(0x0201)); /* rsa_pkcs1_sha1 */
	n = tg_sigalg_default(&def);
	CU_ASSERT_EQUAL(n, 14);
	CU_ASSERT_EQUAL(tg_hash_len(TG_HASH_SHA256), 32);
	CU_ASSERT_EQUAL(tg_hash_len(TG_HASH_SHA384), 48);
	CU_ASSERT_EQUAL(tg_hash_len(TG_HASH_SHA512), 64);
	CU_ASSERT_EQUAL(tg_hash_len(TG_HASH_SHA224), 28);
	CU_ASSERT_EQUAL(tg_hash_len(TG_HASH__COUNT), 0);
	/* TLS 1.2 signature pairs (RFC 5246 §7.4.1.4.1) beyond RFC 8446's */
	CU_ASSERT_EQUAL(tg_sigalg_by_id(TG_SIG_ECDSA_SHA224)->hash, TG_HASH_SHA224);
	CU_ASSERT_EQUAL(tg_sigalg_by_id(TG_SIG_RSA_PSS_PSS_SHA512)->key_type,
			TG_KEY_RSA_PSS);
	CU_ASSERT_EQUAL(tg_sigalg_by_name("rsa_pss_rsae_sha512")->id,
			TG_SIG_RSA_PSS_RSAE_SHA512);
}

static void test_suite_lists(void)
{
	uint16_t out[TG_CS_MAX];
	char err[128];
	size_t n;

	TG_ASSERT_OK(tg_cs_parse_list(
		"ECDHE-RSA-AES256-GCM-SHA384:TLS_RSA_WITH_AES_128_GCM_SHA256",
		out, TG_CS_MAX, &n, err, sizeof(err)));
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(out[0], TG_CS_ECDHE_RSA_AES_256_GCM_SHA384);
	CU_ASSERT_EQUAL(out[1], TG_CS_RSA_AES_128_GCM_SHA256);
	TG_ASSERT_OK(tg_cs_parse_list(" ECDHE-ECDSA-CHACHA20-POLY1305, "
				      "ecdhe-rsa-chacha20-poly1305 ",
				      out, TG_CS_MAX, &n, NULL, 0));
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(out[1], TG_CS_ECDHE_RSA_CHACHA20_POLY1305_SHA256);
	TG_ASSERT_ERR(tg_cs_parse_list("ECDHE-RSA-AES128-GCM-SHA256:RC4-MD5",
				       out, TG_CS_MAX, &n, err, sizeof(err)),
		      TG_E_NOTFOUND);
	CU_ASSERT_STRING_EQUAL(err, "unknown cipher suite 'RC4-MD5'");
	TG_ASSERT_ERR(tg_cs_parse_list("AES128-GCM-SHA256:AES128-GCM-SHA256",
				       out, TG_CS_MAX, &n, err, sizeof(err)),
		      TG_E_INVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "duplicate"));
	TG_ASSERT_ERR(tg_cs_parse_list(" : ", out, TG_CS_MAX, &n, err,
				       sizeof(err)),
		      TG_E_INVAL);
	TG_ASSERT_ERR(tg_cs_parse_list("AES128-GCM-SHA256:AES256-GCM-SHA384",
				       out, 1, &n, err, sizeof(err)),
		      TG_E_NOSPACE);
	TG_ASSERT_ERR(tg_cs_parse_list("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
				       "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
				       out, TG_CS_MAX, &n, err, sizeof(err)),
		      TG_E_NOTFOUND);

	TG_ASSERT_OK(tg_group_parse_list("P-384:x25519:prime256v1", out,
					 TG_GROUP_MAX, &n, err, sizeof(err)));
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(out[0], TG_GROUP_SECP384R1);
	CU_ASSERT_EQUAL(out[2], TG_GROUP_SECP256R1);
	TG_ASSERT_ERR(tg_group_parse_list("x448", out, TG_GROUP_MAX, &n, err,
					  sizeof(err)),
		      TG_E_NOTFOUND);
	CU_ASSERT_STRING_EQUAL(err, "unknown group 'x448'");
	/* secp256r1 and P-256 are the same group. */
	TG_ASSERT_ERR(tg_group_parse_list("secp256r1:P-256", out, TG_GROUP_MAX,
					  &n, err, sizeof(err)),
		      TG_E_INVAL);

	TG_ASSERT_OK(tg_sigalg_parse_list(
		"rsa_pss_rsae_sha256:ecdsa_secp256r1_sha256:rsa_pkcs1_sha384",
		out, TG_SIGALG_MAX, &n, err, sizeof(err)));
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(out[2], TG_SIG_RSA_PKCS1_SHA384);
	TG_ASSERT_ERR(tg_sigalg_parse_list("ed25519", out, TG_SIGALG_MAX, &n,
					   err, sizeof(err)),
		      TG_E_NOTFOUND);
	CU_ASSERT_STRING_EQUAL(err, "unknown signature algorithm 'ed25519'");
}

static CU_TestInfo prf_tests[] = {
	{ "PRF SHA-256 vector (IETF TLS WG)", test_prf_vector_sha256 },
	{ "PRF SHA-384 vector (IETF TLS WG)", test_prf_vector_sha384 },
	{ "PRF vs HMAC P_hash on random input", test_prf_random_crosscheck },
	{ "PRF argument checks", test_prf_args },
	{ "PRF output and secret length boundaries", test_prf_boundaries },
	{ "one-shot digest", test_hash_oneshot },
	{ "PRF and digest from several threads", test_prf_threads },
	{ "trace: master secret, key block", test_trace_master_and_keys },
	{ "trace: client Finished", test_trace_finished },
	{ "extended master secret", test_ems },
	{ "key export to struct tg_keys", test_export_keys },
	{ "exported keys work in the record layer", test_export_records },
	{ "transcript hash", test_transcript },
	{ "public random bytes", test_rand_public },
	{ "secret random bytes", test_rand_secret },
	{ "HMAC-SHA-256/384 (RFC 4231, libcrypto)", test_hmac },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo suite_tests[] = {
	{ "tables and lookups", test_suite_table },
	{ "preference lists", test_suite_lists },
	CU_TEST_INFO_NULL,
};

static const struct tg_test_suite suites[] = {
	{ "prf", NULL, NULL, prf_tests },
	{ "suite", NULL, NULL, suite_tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return tg_test_main(argc, argv, suites);
}
