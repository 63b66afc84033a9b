/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file prf.c
 * TLS 1.2 PRF, master secret, key block, Finished and transcript hash
 * (RFC 5246 §5, §6.3, §7.4.9, §8.1; RFC 7627 §4) on OpenSSL 3.0 EVP.
 */
/*
 * tg_hmac() runs SHA-256 and SHA-384 on libcrypto's SHA256_* / SHA384_*
 * functions, deprecated in OpenSSL 3.0 (not removed; the default
 * provider's digests are built on them), for their caller-owned state:
 * see tg_hmac().
 */
#define OPENSSL_SUPPRESS_DEPRECATED

#include "tg_prf.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "tg_wipe.h"

/* Largest digest block size among our PRF hashes (SHA-384: 128 bytes). */
#define PRF_MAX_BLOCK 128

/*
 * Algorithms fetched once per process. Implicit fetches (EVP_sha256(),
 * algorithms by name per call) go through the method store each time; an
 * explicitly fetched object is used as is.
 */
static struct {
	EVP_MD *md[TG_HASH__COUNT];    /* SHA256, SHA384, SHA512, SHA224 */
	pthread_key_t scratch_key;     /* struct scratch, per thread */
	bool key_ok;
	bool ok;
} algs;
static pthread_once_t algs_once = PTHREAD_ONCE_INIT;

/*
 * Per-thread digest contexts, reused from call to call so that a PRF or a
 * digest costs no EVP_MD_CTX allocation. Between calls they hold nothing:
 * every user resets them before returning (EVP_MD_CTX_reset() frees the
 * provider state, which the default provider clears on free), so no key
 * material outlives a call.
 */
struct scratch {
	EVP_MD_CTX *ipad;  /* H state after (K ^ ipad) */
	EVP_MD_CTX *opad;  /* H state after (K ^ opad) */
	EVP_MD_CTX *work;  /* copy of one of them, one HMAC or digest */
};

static void scratch_free(void *p)
{
	struct scratch *s = p;

	if (s == NULL)
		return;
	EVP_MD_CTX_free(s->ipad);
	EVP_MD_CTX_free(s->opad);
	EVP_MD_CTX_free(s->work);
	free(s);
}

static void algs_free(void)
{
	if (algs.key_ok) {
		/* The exiting thread's scratch; other threads' go with their
		 * thread-exit destructor. The key itself stays. */
		scratch_free(pthread_getspecific(algs.scratch_key));
		(void)pthread_setspecific(algs.scratch_key, NULL);
	}
	for (int i = 0; i < TG_HASH__COUNT; i++) {
		EVP_MD_free(algs.md[i]);
		algs.md[i] = NULL;
	}
	algs.ok = false;
}

static void algs_init(void)
{
	for (int i = 0; i < TG_HASH__COUNT; i++)
		algs.md[i] = EVP_MD_fetch(NULL, tg_hash_name((enum tg_hash)i),
					  NULL);
	algs.key_ok = pthread_key_create(&algs.scratch_key, scratch_free) == 0;
	algs.ok = algs.key_ok;
	for (int i = 0; i < TG_HASH__COUNT; i++)
		algs.ok = algs.ok && algs.md[i] != NULL &&
			  EVP_MD_get_block_size(algs.md[i]) <= PRF_MAX_BLOCK &&
			  EVP_MD_get_size(algs.md[i]) <= EVP_MAX_MD_SIZE;
	/* Released at exit so leak checkers stay quiet. */
	atexit(algs_free);
}

static bool algs_ready(void)
{
	return pthread_once(&algs_once, algs_init) == 0 && algs.ok;
}

/* This thread's scratch contexts (algs_ready() already true), or NULL. */
static struct scratch *scratch_get(void)
{
	struct scratch *s = pthread_getspecific(algs.scratch_key);

	if (__builtin_expect(s != NULL, 1))
		return s;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->ipad = EVP_MD_CTX_new();
	s->opad = EVP_MD_CTX_new();
	s->work = EVP_MD_CTX_new();
	if (s->ipad == NULL || s->opad == NULL || s->work == NULL ||
	    pthread_setspecific(algs.scratch_key, s) != 0) {
		scratch_free(s);
		return NULL;
	}
	return s;
}

/* Drop (and, through the provider's free, clear) all digest state. */
static void scratch_reset(struct scratch *s)
{
	EVP_MD_CTX_reset(s->ipad);
	EVP_MD_CTX_reset(s->opad);
	EVP_MD_CTX_reset(s->work);
}

const EVP_MD *tg_hash_md(enum tg_hash h)
{
	if ((unsigned)h >= TG_HASH__COUNT || !algs_ready())
		return NULL;
	return algs.md[h];
}

tg_result tg_hash(enum tg_hash h, const void *data, size_t len,
		  uint8_t out[TG_HASH_MAX_LEN])
{
	const EVP_MD *md = tg_hash_md(h);
	struct scratch *s;
	unsigned int n = 0;
	bool ok;

	TG_ENSURE(md != NULL, TG_E_INVAL);
	TG_ENSURE(out != NULL && (data != NULL || len == 0), TG_E_INVAL);
	s = scratch_get();
	TG_ENSURE(s != NULL, TG_E_NOMEM);
	ok = EVP_DigestInit_ex(s->work, md, NULL) == 1 &&
	     EVP_DigestUpdate(s->work, data, len) == 1 &&
	     EVP_DigestFinal_ex(s->work, out, &n) == 1;
	EVP_MD_CTX_reset(s->work);
	TG_ENSURE(ok, TG_E_CRYPTO);
	return TG_OK;
}

/* ---- random bytes from per-thread blocks ---------------------------- */

#define PUBRAND_BLOCK 1024
/* Secrets: a smaller block (eight X25519 keys), so that few future keys
 * wait in memory. */
#define PRIVRAND_BLOCK 256

/* left: the unused bytes at the end of b */
static __thread struct {
	uint8_t b[PUBRAND_BLOCK];
	size_t left;
} pubrand;

static __thread struct {
	uint8_t b[PRIVRAND_BLOCK];
	size_t left;
} privrand;

/* In a forked child (the forking thread only): never reuse the parent's
 * blocks. */
static void rand_atfork_child(void)
{
	tg_wipe(&pubrand, sizeof(pubrand));
	tg_wipe(&privrand, sizeof(privrand));
}

static pthread_once_t rand_once = PTHREAD_ONCE_INIT;

static void rand_init(void)
{
	(void)pthread_atfork(NULL, NULL, rand_atfork_child);
}

/*
 * @p n bytes (0 < n <= size / 4) from the block @p b of @p size bytes
 * with @p *left unused at its end, refilled by @p fill (RAND_bytes or
 * RAND_priv_bytes) when short; each byte handed out once and cleared.
 */
static TG_MUST_CHECK tg_result rand_take(uint8_t *b, size_t *left, size_t size,
					 int (*fill)(unsigned char *, int),
					 void *out, size_t n)
{
	uint8_t *p;

	if (*left < n) {
		TG_ENSURE(pthread_once(&rand_once, rand_init) == 0,
			  TG_E_INTERNAL);
		if (fill(b, (int)size) != 1) {
			tg_wipe(b, size);
			*left = 0;
			return tg_error(TG_E_CRYPTO);
		}
		*left = size;
	}
	p = b + size - *left;
	memcpy(out, p, n);
	tg_wipe(p, n);
	*left -= n;
	return TG_OK;
}

tg_result tg_rand_public(void *out, size_t n)
{
	TG_ENSURE(out != NULL || n == 0, TG_E_INVAL);
	TG_ENSURE(n <= INT_MAX, TG_E_INVAL);
	if (n == 0)
		return TG_OK; /* out may be NULL: no memcpy to it */
	if (n > PUBRAND_BLOCK / 4) {
		TG_ENSURE(RAND_bytes(out, (int)n) == 1, TG_E_CRYPTO);
		return TG_OK;
	}
	return rand_take(pubrand.b, &pubrand.left, PUBRAND_BLOCK, RAND_bytes,
			 out, n);
}

tg_result tg_rand_secret(void *out, size_t n)
{
	TG_ENSURE(out != NULL || n == 0, TG_E_INVAL);
	TG_ENSURE(n <= INT_MAX, TG_E_INVAL);
	if (n == 0)
		return TG_OK;
	if (n > PRIVRAND_BLOCK / 4) {
		TG_ENSURE(RAND_priv_bytes(out, (int)n) == 1, TG_E_CRYPTO);
		return TG_OK;
	}
	return rand_take(privrand.b, &privrand.left, PRIVRAND_BLOCK,
			 RAND_priv_bytes, out, n);
}

/* ---- PRF ------------------------------------------------------------- */

/* One piece of an HMAC message. */
struct seg {
	const void *p;
	size_t n;
};

/*
 * HMAC(K, a || seg[0] || ... || seg[nseg - 1]) into @p out (hl bytes),
 * from the pad states of @p s: RFC 2104 H((K ^ opad) || H((K ^ ipad) ||
 * text)). @p a may be empty. With @p last the pad states themselves are
 * finished instead of copied (no HMAC under this key follows).
 */
static bool hmac_pads(struct scratch *s, bool last, const uint8_t *a,
		      size_t alen, const struct seg *seg, size_t nseg,
		      uint8_t out[EVP_MAX_MD_SIZE], size_t hl)
{
	EVP_MD_CTX *in = last ? s->ipad : s->work;
	EVP_MD_CTX *on = last ? s->opad : s->work;
	unsigned int n = 0;

	if (!last && EVP_MD_CTX_copy_ex(s->work, s->ipad) != 1)
		return false;
	if (alen && EVP_DigestUpdate(in, a, alen) != 1)
		return false;
	for (size_t i = 0; i < nseg; i++)
		if (seg[i].n && EVP_DigestUpdate(in, seg[i].p, seg[i].n) != 1)
			return false;
	if (EVP_DigestFinal_ex(in, out, &n) != 1 || n != hl)
		return false;
	if (!last && EVP_MD_CTX_copy_ex(s->work, s->opad) != 1)
		return false;
	return EVP_DigestUpdate(on, out, hl) == 1 &&
	       EVP_DigestFinal_ex(on, out, &n) == 1 && n == hl;
}

/*
 * RFC 5246 §5 P_hash(secret, seed) over HMAC-H, first @p out_len bytes:
 * A(0) = seed, A(i) = HMAC(secret, A(i-1)),
 * P_hash = HMAC(secret, A(1) + seed) + HMAC(secret, A(2) + seed) + ...
 * The HMAC key's pad states are computed once per call and copied for each
 * HMAC (RFC 2104 §4 "precomputed" variant), so the key block is hashed
 * twice in all rather than twice per HMAC.
 */
/*
 * The HMAC key's pad states (RFC 2104 §2): a key longer than the block
 * is hashed first, then zero-padded to the block size; ipad and opad
 * states are left in s->ipad / s->opad.
 */
static bool hmac_key(struct scratch *s, const EVP_MD *md, const uint8_t *secret,
		     size_t secret_len)
{
	uint8_t pad[PRF_MAX_BLOCK];
	size_t bs = (size_t)EVP_MD_get_block_size(md);
	unsigned int n = 0;
	bool ok = false;

	memset(pad, 0, sizeof(pad));
	if (secret_len > bs) {
		if (EVP_DigestInit_ex(s->work, md, NULL) != 1 ||
		    EVP_DigestUpdate(s->work, secret, secret_len) != 1 ||
		    EVP_DigestFinal_ex(s->work, pad, &n) != 1)
			goto out;
	} else if (secret_len > 0) {
		memcpy(pad, secret, secret_len);
	}
	/* Whole buffer (fixed trip count, vectorised); only bs bytes count. */
	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36;
	if (EVP_DigestInit_ex(s->ipad, md, NULL) != 1 ||
	    EVP_DigestUpdate(s->ipad, pad, bs) != 1)
		goto out;
	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36 ^ 0x5c;
	if (EVP_DigestInit_ex(s->opad, md, NULL) != 1 ||
	    EVP_DigestUpdate(s->opad, pad, bs) != 1)
		goto out;
	ok = true;
out:
	TG_WIPE_OBJ(pad);
	return ok;
}

static bool p_hash(struct scratch *s, const EVP_MD *md, const uint8_t *secret,
		   size_t secret_len, const struct seg *seed, size_t nseed,
		   uint8_t *out, size_t out_len)
{
	uint8_t a[EVP_MAX_MD_SIZE], blk[EVP_MAX_MD_SIZE];
	size_t hl = (size_t)EVP_MD_get_size(md);
	bool ok = false;

	if (!hmac_key(s, md, secret, secret_len))
		goto out;
	/* A(1) = HMAC(secret, seed) */
	if (!hmac_pads(s, false, NULL, 0, seed, nseed, a, hl))
		goto out;
	for (size_t off = 0;;) {
		size_t left = out_len - off;
		bool last = left <= hl;

		if (!hmac_pads(s, last, a, hl, seed, nseed, blk, hl))
			goto out;
		memcpy(out + off, blk, last ? left : hl);
		if (last)
			break;
		off += hl;
		/* A(i + 1) = HMAC(secret, A(i)) */
		if (!hmac_pads(s, false, a, hl, NULL, 0, a, hl))
			goto out;
	}
	ok = true;
out:
	TG_WIPE_OBJ(a);
	TG_WIPE_OBJ(blk);
	scratch_reset(s);
	return ok;
}

/*
 * HMAC-SHA-256 / HMAC-SHA-384 (RFC 2104, RFC 4231) on SHA256_CTX /
 * SHA512_CTX held on the stack: an EVP_MD_CTX in OpenSSL 3.0 allocates
 * and frees its provider state at each init and reset (four of each per
 * HMAC here before), and a TLS 1.3 handshake makes about thirty HMACs
 * (tg_ks.h). The same compression functions run either way. The states
 * (key-derived) are cleared before returning.
 */
union hmac_sha {
	SHA256_CTX s256;
	SHA512_CTX s512;
};

static void sha_init(enum tg_hash h, union hmac_sha *c)
{
	if (h == TG_HASH_SHA256)
		SHA256_Init(&c->s256);
	else
		SHA384_Init(&c->s512);
}

static void sha_update(enum tg_hash h, union hmac_sha *c, const void *p,
		       size_t n)
{
	if (h == TG_HASH_SHA256)
		SHA256_Update(&c->s256, p, n);
	else
		SHA384_Update(&c->s512, p, n);
}

static void sha_final(enum tg_hash h, union hmac_sha *c, uint8_t *out)
{
	if (h == TG_HASH_SHA256)
		SHA256_Final(out, &c->s256);
	else
		SHA384_Final(out, &c->s512);
}

static void hmac_sha(enum tg_hash h, const uint8_t *key, size_t key_len,
		     const struct tg_hmac_seg *seg, size_t nseg,
		     uint8_t out[TG_HASH_MAX_LEN])
{
	size_t bs = h == TG_HASH_SHA256 ? SHA256_CBLOCK : SHA512_CBLOCK;
	uint8_t pad[PRF_MAX_BLOCK], inner[TG_HASH_MAX_LEN];
	union hmac_sha c;

	/* RFC 2104 §2: a key longer than the block is hashed first */
	memset(pad, 0, sizeof(pad));
	if (key_len > bs) {
		sha_init(h, &c);
		sha_update(h, &c, key, key_len);
		sha_final(h, &c, pad);
	} else if (key_len > 0) {
		memcpy(pad, key, key_len);
	}
	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36;
	sha_init(h, &c);
	sha_update(h, &c, pad, bs);
	for (size_t i = 0; i < nseg; i++)
		if (seg[i].n)
			sha_update(h, &c, seg[i].p, seg[i].n);
	sha_final(h, &c, inner);
	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36 ^ 0x5c;
	sha_init(h, &c);
	sha_update(h, &c, pad, bs);
	sha_update(h, &c, inner, tg_hash_len(h));
	sha_final(h, &c, out);
	TG_WIPE_OBJ(pad);
	TG_WIPE_OBJ(inner);
	TG_WIPE_OBJ(c);
}

tg_result tg_hmac(enum tg_hash h, const uint8_t *key, size_t key_len,
		  const struct tg_hmac_seg *seg, size_t nseg,
		  uint8_t out[TG_HASH_MAX_LEN])
{
	const EVP_MD *md = tg_hash_md(h);
	struct scratch *s;
	struct seg in[8];
	bool ok;

	TG_ENSURE(md != NULL && out != NULL, TG_E_INVAL);
	TG_ENSURE(key != NULL || key_len == 0, TG_E_INVAL);
	TG_ENSURE(nseg <= 8 && (seg != NULL || nseg == 0), TG_E_INVAL);
	for (size_t i = 0; i < nseg; i++) {
		TG_ENSURE(seg[i].p != NULL || seg[i].n == 0, TG_E_INVAL);
		in[i] = (struct seg){ seg[i].p, seg[i].n };
	}
	if (h == TG_HASH_SHA256 || h == TG_HASH_SHA384) {
		hmac_sha(h, key, key_len, seg, nseg, out);
		return TG_OK;
	}
	s = scratch_get();
	TG_ENSURE(s != NULL, TG_E_NOMEM);
	ok = hmac_key(s, md, key, key_len) &&
	     hmac_pads(s, true, NULL, 0, in, nseg, out, tg_hash_len(h));
	scratch_reset(s);
	TG_ENSURE(ok, TG_E_CRYPTO);
	return TG_OK;
}

tg_result tg_prf(enum tg_hash h, const uint8_t *secret, size_t secret_len,
		 const char *label, const uint8_t *seed1, size_t seed1_len,
		 const uint8_t *seed2, size_t seed2_len, uint8_t *out,
		 size_t out_len)
{
	const EVP_MD *md = tg_hash_md(h);
	struct scratch *s;
	struct seg seed[3];

	TG_ENSURE(md != NULL, TG_E_INVAL);
	TG_ENSURE(secret != NULL && secret_len > 0, TG_E_INVAL);
	TG_ENSURE(label != NULL && label[0] != '\0', TG_E_INVAL);
	TG_ENSURE(seed1 != NULL || seed1_len == 0, TG_E_INVAL);
	TG_ENSURE(seed2 != NULL || seed2_len == 0, TG_E_INVAL);
	TG_ENSURE(out != NULL && out_len > 0 && out_len <= TG_PRF_MAX_OUT,
		  TG_E_INVAL);
	s = scratch_get();
	TG_ENSURE(s != NULL, TG_E_NOMEM);

	/* RFC 5246 §5: PRF(secret, label, seed) = P_<hash>(secret,
	 * label + seed); the pieces are hashed in place, without a copy. */
	seed[0] = (struct seg){ label, strlen(label) };
	seed[1] = (struct seg){ seed1, seed1_len };
	seed[2] = (struct seg){ seed2, seed2_len };
	if (!p_hash(s, md, secret, secret_len, seed, 3, out, out_len)) {
		tg_wipe(out, out_len);
		return tg_error(TG_E_CRYPTO);
	}
	return TG_OK;
}

tg_result tg_prf_master_secret(enum tg_hash h, const uint8_t *pms,
			       size_t pms_len,
			       const uint8_t client_random[TG_TLS_RANDOM_LEN],
			       const uint8_t server_random[TG_TLS_RANDOM_LEN],
			       uint8_t ms[TG_TLS_MASTER_SECRET_LEN])
{
	TG_ENSURE(client_random != NULL && server_random != NULL, TG_E_INVAL);
	/* RFC 5246 §8.1: client random first, then server random. */
	return tg_prf(h, pms, pms_len, "master secret", client_random,
		      TG_TLS_RANDOM_LEN, server_random, TG_TLS_RANDOM_LEN, ms,
		      TG_TLS_MASTER_SECRET_LEN);
}

tg_result tg_prf_ems(enum tg_hash h, const uint8_t *pms, size_t pms_len,
		     const uint8_t *session_hash, size_t hash_len,
		     uint8_t ms[TG_TLS_MASTER_SECRET_LEN])
{
	/* RFC 7627 §4: the session hash is the PRF hash of the transcript. */
	TG_ENSURE(session_hash != NULL && hash_len == tg_hash_len(h),
		  TG_E_INVAL);
	return tg_prf(h, pms, pms_len, "extended master secret", session_hash,
		      hash_len, NULL, 0, ms, TG_TLS_MASTER_SECRET_LEN);
}

tg_result tg_prf_key_block(const struct tg_cs_info *cs,
			   const uint8_t ms[TG_TLS_MASTER_SECRET_LEN],
			   const uint8_t client_random[TG_TLS_RANDOM_LEN],
			   const uint8_t server_random[TG_TLS_RANDOM_LEN],
			   struct tg_key_block *kb)
{
	uint8_t block[2 * (32 + 12)];
	size_t klen, ilen, off = 0;
	tg_result r;

	TG_ENSURE(cs != NULL && ms != NULL && kb != NULL, TG_E_INVAL);
	TG_ENSURE(client_random != NULL && server_random != NULL, TG_E_INVAL);
	klen = cs->key_len;
	ilen = cs->fixed_iv_len;
	TG_ENSURE(klen <= sizeof(kb->client_key) &&
			  ilen <= sizeof(kb->client_iv),
		  TG_E_INVAL);

	/* RFC 5246 §6.3: server random first for the key expansion. */
	r = tg_prf((enum tg_hash)cs->prf_hash, ms, TG_TLS_MASTER_SECRET_LEN,
		   "key expansion", server_random, TG_TLS_RANDOM_LEN,
		   client_random, TG_TLS_RANDOM_LEN, block,
		   2 * (klen + ilen));
	if (tg_failed(r))
		return r;

	/* RFC 5246 §6.3 order; MAC keys are empty for AEAD (§6.2.3.3). */
	memset(kb, 0, sizeof(*kb));
	kb->key_len = (uint8_t)klen;
	kb->iv_len = (uint8_t)ilen;
	memcpy(kb->client_key, block + off, klen);
	off += klen;
	memcpy(kb->server_key, block + off, klen);
	off += klen;
	memcpy(kb->client_iv, block + off, ilen);
	off += ilen;
	memcpy(kb->server_iv, block + off, ilen);
	TG_WIPE_OBJ(block);
	return TG_OK;
}

static void fill_keys(struct tg_keys *k, const struct tg_cs_info *cs,
		      enum tg_dir dir, const uint8_t *key, const uint8_t *iv,
		      size_t key_len, size_t iv_len, uint64_t seq)
{
	memset(k, 0, sizeof(*k));
	k->version = TG_TLS12;
	k->suite = cs->suite;
	k->dir = (uint8_t)dir;
	k->key_len = (uint8_t)key_len;
	k->iv_len = (uint8_t)iv_len;
	memcpy(k->key, key, key_len);
	memcpy(k->iv, iv, iv_len);
	k->seq = seq;
}

tg_result tg_prf_export_keys(const struct tg_cs_info *cs,
			     const struct tg_key_block *kb, enum tg_side side,
			     uint64_t write_seq, uint64_t read_seq,
			     struct tg_keys *wr, struct tg_keys *rd)
{
	bool client;

	TG_ENSURE(cs != NULL && kb != NULL && wr != NULL && rd != NULL,
		  TG_E_INVAL);
	TG_ENSURE(side == TG_SIDE_CLIENT || side == TG_SIDE_SERVER,
		  TG_E_INVAL);
	TG_ENSURE(kb->key_len == cs->key_len && kb->iv_len == cs->fixed_iv_len,
		  TG_E_INVAL);
	/* The record layer's own idea of the lengths must agree. */
	TG_ENSURE(tg_suite_key_len((enum tg_suite)cs->suite) == cs->key_len &&
			  tg_suite_iv_len(TG_TLS12, (enum tg_suite)cs->suite) ==
				  cs->fixed_iv_len,
		  TG_E_INTERNAL);
	client = side == TG_SIDE_CLIENT;
	/* We write with our side's keys and read with the peer's. */
	fill_keys(wr, cs, TG_DIR_SEAL, client ? kb->client_key : kb->server_key,
		  client ? kb->client_iv : kb->server_iv, kb->key_len,
		  kb->iv_len, write_seq);
	fill_keys(rd, cs, TG_DIR_OPEN, client ? kb->server_key : kb->client_key,
		  client ? kb->server_iv : kb->client_iv, kb->key_len,
		  kb->iv_len, read_seq);
	return TG_OK;
}

tg_result tg_prf_derive_keys(const struct tg_cs_info *cs,
			     const uint8_t ms[TG_TLS_MASTER_SECRET_LEN],
			     const uint8_t client_random[TG_TLS_RANDOM_LEN],
			     const uint8_t server_random[TG_TLS_RANDOM_LEN],
			     enum tg_side side, uint64_t write_seq,
			     uint64_t read_seq, struct tg_keys *wr,
			     struct tg_keys *rd)
{
	struct tg_key_block kb;
	tg_result r;

	r = tg_prf_key_block(cs, ms, client_random, server_random, &kb);
	if (tg_ok(r))
		r = tg_prf_export_keys(cs, &kb, side, write_seq, read_seq, wr,
				       rd);
	TG_WIPE_OBJ(kb);
	if (tg_failed(r)) {
		if (wr != NULL)
			tg_wipe(wr, sizeof(*wr));
		if (rd != NULL)
			tg_wipe(rd, sizeof(*rd));
	}
	return r;
}

tg_result tg_prf_finished(enum tg_hash h,
			  const uint8_t ms[TG_TLS_MASTER_SECRET_LEN],
			  enum tg_side sender, const uint8_t *hs_hash,
			  size_t hash_len,
			  uint8_t verify_data[TG_TLS_VERIFY_DATA_LEN])
{
	TG_ENSURE(hs_hash != NULL && hash_len == tg_hash_len(h), TG_E_INVAL);
	TG_ENSURE(sender == TG_SIDE_CLIENT || sender == TG_SIDE_SERVER,
		  TG_E_INVAL);
	/* RFC 5246 §7.4.9; verify_data_length is 12 for our suites. */
	return tg_prf(h, ms, TG_TLS_MASTER_SECRET_LEN,
		      sender == TG_SIDE_CLIENT ? "client finished"
					       : "server finished",
		      hs_hash, hash_len, NULL, 0, verify_data,
		      TG_TLS_VERIFY_DATA_LEN);
}

tg_result tg_prf_finished_check(enum tg_hash h,
				const uint8_t ms[TG_TLS_MASTER_SECRET_LEN],
				enum tg_side sender, const uint8_t *hs_hash,
				size_t hash_len, const uint8_t *received,
				size_t len)
{
	uint8_t want[TG_TLS_VERIFY_DATA_LEN];
	int diff;

	TG_ENSURE(received != NULL || len == 0, TG_E_INVAL);
	TG_ENSURE(len == TG_TLS_VERIFY_DATA_LEN, TG_E_DECODE);
	TG_GUARD(tg_prf_finished(h, ms, sender, hs_hash, hash_len, want));
	diff = tg_ct_cmp(want, received, sizeof(want));
	TG_WIPE_OBJ(want);
	TG_ENSURE(diff == 0, TG_E_DECRYPT_ERROR);
	return TG_OK;
}

/* ---- transcript ------------------------------------------------------ */

tg_result tg_transcript_init(struct tg_transcript *t, int hash)
{
	TG_ENSURE_REF(t);
	memset(t, 0, sizeof(*t));
	t->hash = TG_TRANSCRIPT_UNDECIDED;
	TG_ENSURE(hash == TG_TRANSCRIPT_UNDECIDED ||
			  (hash >= 0 && hash < TG_HASH__COUNT),
		  TG_E_INVAL);
	TG_ENSURE(algs_ready(), TG_E_CRYPTO);
	for (int i = 0; i < TG_HASH__COUNT; i++) {
		/* undecided: the PRF hashes, one of which the suite picks */
		if (hash == TG_TRANSCRIPT_UNDECIDED ? i >= TG_HASH_PRF_COUNT
						    : hash != i)
			continue;
		t->ctx[i] = EVP_MD_CTX_new();
		if (t->ctx[i] == NULL ||
		    EVP_DigestInit_ex(t->ctx[i], algs.md[i], NULL) != 1) {
			tg_transcript_free(t);
			return tg_error(TG_E_NOMEM);
		}
	}
	t->tmp = EVP_MD_CTX_new();
	if (t->tmp == NULL) {
		tg_transcript_free(t);
		return tg_error(TG_E_NOMEM);
	}
	t->hash = hash;
	return TG_OK;
}

tg_result tg_transcript_select(struct tg_transcript *t, enum tg_hash h)
{
	TG_ENSURE_REF(t);
	TG_ENSURE((unsigned)h < TG_HASH__COUNT, TG_E_INVAL);
	if (t->hash == (int)h)
		return TG_OK;
	TG_ENSURE(t->hash == TG_TRANSCRIPT_UNDECIDED && t->ctx[h] != NULL,
		  TG_E_STATE);
	for (int i = 0; i < TG_HASH__COUNT; i++) {
		if (i != (int)h) {
			EVP_MD_CTX_free(t->ctx[i]);
			t->ctx[i] = NULL;
		}
	}
	t->hash = (int)h;
	return TG_OK;
}

tg_result tg_transcript_update(struct tg_transcript *t, const void *data,
			       size_t len)
{
	TG_ENSURE_REF(t);
	TG_ENSURE(data != NULL || len == 0, TG_E_INVAL);
	TG_ENSURE(t->tmp != NULL, TG_E_STATE);
	if (len == 0)
		return TG_OK;
	for (int i = 0; i < TG_HASH__COUNT; i++)
		if (t->ctx[i] != NULL)
			TG_ENSURE(EVP_DigestUpdate(t->ctx[i], data, len) == 1,
				  TG_E_CRYPTO);
	return TG_OK;
}

tg_result tg_transcript_peek_as(struct tg_transcript *t, enum tg_hash h,
				uint8_t *out, size_t cap, size_t *len)
{
	unsigned int n = 0;
	size_t hl;

	TG_ENSURE(t != NULL && out != NULL && len != NULL, TG_E_INVAL);
	TG_ENSURE((unsigned)h < TG_HASH__COUNT, TG_E_INVAL);
	TG_ENSURE(t->ctx[h] != NULL && t->tmp != NULL, TG_E_STATE);
	hl = tg_hash_len(h);
	TG_ENSURE(cap >= hl, TG_E_NOSPACE);
	/* Copy the running state into the scratch context and finish that:
	 * the transcript itself goes on. */
	TG_ENSURE(EVP_MD_CTX_copy_ex(t->tmp, t->ctx[h]) == 1, TG_E_CRYPTO);
	TG_ENSURE(EVP_DigestFinal_ex(t->tmp, out, &n) == 1 && n == hl,
		  TG_E_CRYPTO);
	*len = hl;
	return TG_OK;
}

tg_result tg_transcript_peek(struct tg_transcript *t, uint8_t *out,
			     size_t cap, size_t *len)
{
	TG_ENSURE_REF(t);
	TG_ENSURE(t->hash != TG_TRANSCRIPT_UNDECIDED, TG_E_STATE);
	return tg_transcript_peek_as(t, (enum tg_hash)t->hash, out, cap, len);
}

int tg_transcript_hash(const struct tg_transcript *t)
{
	return t != NULL ? t->hash : TG_TRANSCRIPT_UNDECIDED;
}

void tg_transcript_free(struct tg_transcript *t)
{
	if (t == NULL)
		return;
	for (int i = 0; i < TG_HASH__COUNT; i++) {
		EVP_MD_CTX_free(t->ctx[i]);
		t->ctx[i] = NULL;
	}
	EVP_MD_CTX_free(t->tmp);
	t->tmp = NULL;
	t->hash = TG_TRANSCRIPT_UNDECIDED;
}
