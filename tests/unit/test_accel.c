/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for accel/: TLS record seal/open (tg_accel.h) over every
 * backend the engine loads (ipsecmb, simd, cryptodev:<each PMD>, evp).
 *
 * Chain of trust: a reference sealer written here from the RFC formulas
 * (RFC 5288, RFC 7905, RFC 8446 §5.2) on raw OpenSSL EVP is first checked
 * against published known answers (GCM spec test cases 3/4/15/16, RFC 8439
 * §2.8.2, RFC 8448 records); every backend's records are then compared
 * byte for byte with it, with pinned TLS 1.2/1.3 records (computed once
 * with an independent implementation, Python 'cryptography') and with the
 * RFC 8448 records, and opened by every other backend.
 *
 * Environment: TG_TEST_SEED (PRNG seed), TG_TEST_ACCEL_RECORDS (plaintext
 * records of the cross-backend test, default 4000).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "tg_accel.h"
#include "tg_eal.h"
#ifdef TG_HAVE_SIMD
#include "simd.h"
#endif
#include "tg_result.h"
#include "tg_test.h"
#include "tg_wipe.h"

#define MAXB 8               /* backends tracked by the tests */
#define NB_MBUFS 8192
#define SEG_MAX 2048         /* largest mbuf segment the tests build */
#define REC_MAX (TG_REC_HDR_LEN + TG_REC_MAX_PLAIN + 256 + 64)

static struct rte_mempool *g_pool;
static struct tg_accel *g_acc;  /* "all", no calibration */
static unsigned g_nb;           /* backends in g_acc */
static uint16_t g_room;         /* mbuf data room */
static unsigned g_fail_prints;

/* Assert with details on stderr (first few failures only). */
#define EXPECT(cond, ...)                                                      \
	do {                                                                   \
		bool ok_ = (cond);                                             \
		CU_ASSERT(ok_);                                                \
		if (!ok_ && g_fail_prints++ < 40) {                            \
			fprintf(stderr, "%s:%d: [%s] ", __FILE__, __LINE__,    \
				#cond);                                        \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
		}                                                              \
	} while (0)

static const uint16_t versions[2] = { TG_TLS12, TG_TLS13 };

static uint32_t rnd(uint32_t n) /* [0, n) */
{
	return n ? (uint32_t)(tg_test_rand() % n) : 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const char *vname(uint16_t v)
{
	return v == TG_TLS13 ? "TLS1.3" : "TLS1.2";
}

static uint8_t *xmalloc(size_t n)
{
	uint8_t *p = malloc(n ? n : 1);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	return p;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* Largest TLSCiphertext.length accepted (RFC 8446 §5.2; 2^14 + AEAD
 * expansion for TLS 1.2). */
static uint32_t max_ct_len(uint16_t v, enum tg_suite s)
{
	if (v == TG_TLS13)
		return TG_REC_MAX_PLAIN + 256;
	return TG_REC_MAX_PLAIN + tg_accel_hdr_len_for(v, s) - TG_REC_HDR_LEN +
	       TG_REC_TAG_LEN;
}

/* ---- reference: RFC formulas on raw EVP --------------------------------- */

static const EVP_CIPHER *ref_cipher(enum tg_suite s)
{
	switch (s) {
	case TG_SUITE_AES128GCM:
		return EVP_aes_128_gcm();
	case TG_SUITE_AES256GCM:
		return EVP_aes_256_gcm();
	default:
		return EVP_chacha20_poly1305();
	}
}

/* One AEAD operation; returns 1 (open: tag verified) or 0. */
static int ref_aead(enum tg_suite s, int enc, const uint8_t *key,
		    const uint8_t nonce[12], const uint8_t *aad, int aad_len,
		    const uint8_t *in, int len, uint8_t *out, uint8_t tag[16])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t fin[32];
	int outl, ok = 0;

	if (c == NULL)
		return 0;
	if (EVP_CipherInit_ex(c, ref_cipher(s), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1 ||
	    EVP_CipherInit_ex(c, NULL, NULL, key, nonce, enc) != 1)
		goto out;
	if (aad_len > 0 && EVP_CipherUpdate(c, NULL, &outl, aad, aad_len) != 1)
		goto out;
	if (len > 0 && EVP_CipherUpdate(c, out, &outl, in, len) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(c, fin, &outl) != 1)
		goto out;
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, tag) != 1)
		goto out;
	ok = 1;
out:
	EVP_CIPHER_CTX_free(c);
	return ok;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* RFC 7905 §2 / RFC 8446 §5.3: iv xor (0^32 || seq). */
static void ref_nonce_xor(uint8_t n[12], const uint8_t iv[12], uint64_t seq)
{
	uint8_t s[8];

	put_be64(s, seq);
	memcpy(n, iv, 12);
	for (int i = 0; i < 8; i++)
		n[4 + i] ^= s[i];
}

/*
 * TLS 1.2 record (RFC 5246 §6.2.3.3 AAD; RFC 5288 nonce salt||explicit for
 * AES-GCM, RFC 7905 nonce for ChaCha20-Poly1305). Returns the record length.
 */
static uint32_t ref_seal12(enum tg_suite s, const uint8_t *key,
			   const uint8_t *iv, uint64_t seq, uint64_t explicit_n,
			   uint8_t type, const uint8_t *pt, uint32_t len,
			   uint8_t *out)
{
	bool gcm = s != TG_SUITE_CHACHA20POLY1305;
	uint32_t h = gcm ? 13 : 5;
	uint32_t ct_len = len + (gcm ? 8 : 0) + 16;
	uint8_t nonce[12], aad[13];

	out[0] = type;
	out[1] = 3;
	out[2] = 3;
	out[3] = (uint8_t)(ct_len >> 8);
	out[4] = (uint8_t)ct_len;
	if (gcm) {
		memcpy(nonce, iv, 4);
		put_be64(nonce + 4, explicit_n);
		memcpy(out + 5, nonce + 4, 8);
	} else {
		ref_nonce_xor(nonce, iv, seq);
	}
	put_be64(aad, seq);
	aad[8] = type;
	aad[9] = 3;
	aad[10] = 3;
	aad[11] = (uint8_t)(len >> 8);
	aad[12] = (uint8_t)len;
	CU_ASSERT_FATAL(ref_aead(s, 1, key, nonce, aad, 13, pt, (int)len,
				 out + h, out + h + len) == 1);
	return h + len + 16;
}

/* TLS 1.3 record from a complete TLSInnerPlaintext (RFC 8446 §5.2). */
static uint32_t ref_seal13_inner(enum tg_suite s, const uint8_t *key,
				 const uint8_t *iv, uint64_t seq,
				 const uint8_t *inner, uint32_t ilen,
				 uint8_t *out)
{
	uint32_t ct_len = ilen + 16;
	uint8_t nonce[12];

	out[0] = TG_CT_APPLICATION_DATA;
	out[1] = 3;
	out[2] = 3;
	out[3] = (uint8_t)(ct_len >> 8);
	out[4] = (uint8_t)ct_len;
	ref_nonce_xor(nonce, iv, seq);
	CU_ASSERT_FATAL(ref_aead(s, 1, key, nonce, out, 5, inner, (int)ilen,
				 out + 5, out + 5 + ilen) == 1);
	return 5 + ilen + 16;
}

/* Reference record as our engine must build it (explicit nonce = seq). */
static uint32_t ref_seal(uint16_t v, enum tg_suite s, const uint8_t *key,
			 const uint8_t *iv, uint64_t seq, uint8_t type,
			 uint8_t pad, const uint8_t *pt, uint32_t len,
			 uint8_t *out)
{
	uint8_t *inner;
	uint32_t n;

	if (v == TG_TLS12)
		return ref_seal12(s, key, iv, seq, seq, type, pt, len, out);
	inner = xmalloc((size_t)len + 1 + pad);
	if (len)
		memcpy(inner, pt, len);
	inner[len] = type;
	memset(inner + len + 1, 0, pad);
	n = ref_seal13_inner(s, key, iv, seq, inner, len + 1u + pad, out);
	free(inner);
	return n;
}

/* ---- mbuf chains ---------------------------------------------------------- */

/* Chain of @p n segments of @p sizes holding @p flat; headroom @p head in
 * the first segment, none in the others. */
static struct rte_mbuf *chain_from_sizes(const uint8_t *flat,
					 const uint32_t *sizes, unsigned n,
					 uint16_t head)
{
	struct rte_mbuf *h = NULL, *prev = NULL;
	uint32_t pos = 0;

	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(g_pool);

		if (m == NULL) {
			rte_pktmbuf_free(h);
			CU_FAIL_FATAL("mbuf pool exhausted");
		}
		m->data_off = i == 0 ? head : 0;
		CU_ASSERT_FATAL(m->data_off + sizes[i] <= m->buf_len);
		if (sizes[i])
			memcpy(rte_pktmbuf_mtod(m, uint8_t *), flat + pos,
			       sizes[i]);
		m->data_len = (uint16_t)sizes[i];
		pos += sizes[i];
		if (prev != NULL)
			prev->next = m;
		else
			h = m;
		prev = m;
	}
	h->nb_segs = (uint16_t)n;
	h->pkt_len = pos;
	return h;
}

/*
 * Chain holding @p pre random bytes, @p data, @p post random bytes, split
 * at random into segments of 1..SEG_MAX bytes (at most TG_ACCEL_MAX_SEGS,
 * at most about @p maxsegs), @p head bytes of headroom in the first
 * segment and at least @p tail bytes of tailroom in the last.
 */
static struct rte_mbuf *chain_new(const uint8_t *data, uint32_t len,
				  uint32_t pre, uint32_t post, uint16_t head,
				  uint16_t tail, unsigned maxsegs)
{
	uint32_t total = pre + len + post;
	uint32_t sizes[TG_ACCEL_MAX_SEGS + 1];
	unsigned need = (total + SEG_MAX - 1) / SEG_MAX, n = 0, budget;
	uint32_t left = total, last_off;
	uint8_t *flat = xmalloc(total);
	struct rte_mbuf *m;

	if (maxsegs < need + 1)
		maxsegs = need + 1;
	if (maxsegs > TG_ACCEL_MAX_SEGS)
		maxsegs = TG_ACCEL_MAX_SEGS;
	budget = maxsegs - 1; /* one kept for the tailroom split */
	while (left > 0) {
		uint32_t hi = left < SEG_MAX ? left : SEG_MAX;
		uint32_t lo = (uint64_t)(budget - 1) * SEG_MAX >= left ?
				      1 : left - (budget - 1) * SEG_MAX;
		uint32_t s = lo + rnd(hi - lo + 1);

		sizes[n++] = s;
		left -= s;
		budget--;
	}
	if (n == 0)
		sizes[n++] = 0;
	last_off = n == 1 ? head : 0;
	if ((uint32_t)g_room - last_off - sizes[n - 1] < tail) {
		uint32_t s = sizes[n - 1];

		sizes[n - 1] = s / 2;
		sizes[n++] = s - s / 2;
	}
	tg_test_fill(flat, pre);
	if (len)
		memcpy(flat + pre, data, len);
	tg_test_fill(flat + pre + len, post);
	m = chain_from_sizes(flat, sizes, n, head);
	free(flat);
	CU_ASSERT_FATAL(rte_pktmbuf_tailroom(rte_pktmbuf_lastseg(m)) >= tail);
	return m;
}

/* Copy @p len bytes at @p off of a chain out. */
static bool chain_read(const struct rte_mbuf *m, uint32_t off, uint32_t len,
		       uint8_t *out)
{
	const uint8_t *p;

	if (len == 0)
		return off <= rte_pktmbuf_pkt_len(m);
	p = rte_pktmbuf_read(m, off, len, out);
	if (p == NULL)
		return false;
	if (p != out)
		memcpy(out, p, len);
	return true;
}

static unsigned rand_maxsegs(void)
{
	static const unsigned choices[] = { 1, 2, 3, 4, 8, 16, 32 };

	return choices[rnd(sizeof(choices) / sizeof(choices[0]))];
}

/* ---- keys, sessions, one-record helpers ---------------------------------- */

static struct tg_keys mk_keys(uint16_t v, enum tg_suite s, enum tg_dir d,
			      const uint8_t *key, const uint8_t *iv,
			      uint64_t seq)
{
	struct tg_keys k;

	memset(&k, 0, sizeof(k));
	k.version = v;
	k.suite = (uint8_t)s;
	k.dir = (uint8_t)d;
	k.key_len = tg_suite_key_len(s);
	k.iv_len = tg_suite_iv_len(v, s);
	memcpy(k.key, key, k.key_len);
	memcpy(k.iv, iv, k.iv_len);
	k.seq = seq;
	return k;
}

static struct tg_accel_sess *sess_on(struct tg_accel *acc, unsigned b,
				     const struct tg_keys *k)
{
	struct tg_accel_sess *s = NULL;

	TG_ASSERT_OK(tg_accel_sess_create_on(acc, k, b, &s));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	return s;
}

/* Backend @p b of g_acc implements @p s. */
static bool has(unsigned b, enum tg_suite s)
{
	return tg_accel_backend_has(g_acc, b, s);
}

/*
 * Seal one record (form 0: contiguous, 1: mbuf chain). On success the
 * record bytes go to @p out and the descriptor to @p res. Returns the
 * status (and checks the burst return value agrees).
 */
static uint8_t seal_one(struct tg_accel_sess *s, int form, uint8_t type,
			uint8_t pad, const uint8_t *pt, uint32_t len,
			uint8_t *out, uint32_t *out_len, struct tg_rec *res)
{
	uint32_t hdr = tg_accel_hdr_len(s), tail = tg_accel_tail_len(s, pad);
	struct tg_rec r = { .sess = s, .type = type, .pad = pad };
	struct tg_rec *rp = &r;
	uint8_t *buf = NULL;
	uint16_t n;

	if (form == 0) {
		r.cap = hdr + len + tail;
		buf = xmalloc(r.cap);
		if (len)
			memcpy(buf + hdr, pt, len);
		r.buf = buf;
		r.off = hdr;
		r.len = len;
	} else {
		r.m = chain_new(pt, len, 0, 0, (uint16_t)(hdr + rnd(40)),
				(uint16_t)tail, rand_maxsegs());
	}
	n = tg_accel_seal_burst(&rp, 1);
	CU_ASSERT_EQUAL(n, r.status == TG_REC_OK ? 1 : 0);
	if (r.status == TG_REC_OK) {
		if (form == 0) {
			CU_ASSERT_EQUAL(r.rec_off, 0);
			CU_ASSERT_EQUAL(r.rec_len, hdr + len + tail);
			memcpy(out, buf + r.rec_off, r.rec_len);
		} else {
			CU_ASSERT_EQUAL(r.rec_off, 0);
			CU_ASSERT_EQUAL(r.rec_len, rte_pktmbuf_pkt_len(r.m));
			CU_ASSERT_EQUAL(r.rec_len, hdr + len + tail);
			CU_ASSERT(chain_read(r.m, 0, r.rec_len, out));
		}
		*out_len = r.rec_len;
	}
	free(buf);
	rte_pktmbuf_free(r.m);
	r.m = NULL;
	r.buf = NULL;
	if (res != NULL)
		*res = r;
	return r.status;
}

/* Open one record; the plaintext goes to @p pt. Returns the status. */
static uint8_t open_one(struct tg_accel_sess *s, int form, const uint8_t *rec,
			uint32_t rec_len, uint8_t *pt, struct tg_rec *res)
{
	uint32_t pre = rnd(32), post = rnd(32);
	struct tg_rec r = { .sess = s, .rec_off = pre, .rec_len = rec_len };
	struct tg_rec *rp = &r;
	uint8_t *buf = NULL;
	uint16_t n;

	if (form == 0) {
		r.cap = pre + rec_len + post;
		buf = xmalloc(r.cap);
		tg_test_fill(buf, r.cap);
		memcpy(buf + pre, rec, rec_len);
		r.buf = buf;
	} else {
		r.m = chain_new(rec, rec_len, pre, post, RTE_PKTMBUF_HEADROOM, 0,
				rand_maxsegs());
	}
	n = tg_accel_open_burst(&rp, 1);
	CU_ASSERT_EQUAL(n, r.status == TG_REC_OK ? 1 : 0);
	if (r.status == TG_REC_OK) {
		CU_ASSERT(r.off >= r.rec_off && r.off + r.len <= r.rec_off + rec_len);
		if (form == 0)
			memcpy(pt, buf + r.off, r.len);
		else
			CU_ASSERT(chain_read(r.m, r.off, r.len, pt));
	}
	free(buf);
	rte_pktmbuf_free(r.m);
	r.m = NULL;
	r.buf = NULL;
	if (res != NULL)
		*res = r;
	return r.status;
}

/* ---- suite set-up ---------------------------------------------------------- */

static int accel_init(void)
{
	struct tg_eal_opts o = { 0 };
	struct tg_accel_conf conf = { .backends = "all", .no_calibrate = true };

	o.vdevs[0] = "crypto_aesni_mb";
	o.vdevs[1] = "crypto_openssl";
	if (tg_failed(tg_eal_start("test_accel", &o)))
		return 1;
	g_pool = rte_pktmbuf_pool_create("tg_test_accel", NB_MBUFS, 0, 0,
					 SEG_MAX + RTE_PKTMBUF_HEADROOM,
					 SOCKET_ID_ANY);
	if (g_pool == NULL)
		return 1;
	g_room = rte_pktmbuf_data_room_size(g_pool);
	if (tg_failed(tg_accel_create(&conf, &g_acc)))
		return 1;
	g_nb = tg_accel_backend_count(g_acc);
	if (g_nb == 0 || g_nb > MAXB)
		return 1;
	printf("\naccel backends:");
	for (unsigned b = 0; b < g_nb; b++) {
		printf(" %s(", tg_accel_backend_name(g_acc, b));
		for (unsigned s = 0; s < TG_SUITE__COUNT; s++)
			if (has(b, s))
				printf("%s%s", s ? " " : "", tg_suite_name(s));
		printf(")");
	}
	printf("\n");
	return 0;
}

/* Returns the number of mbufs still out of the pool (leaked by a test). */
static unsigned accel_cleanup(void)
{
	unsigned used = 0;

	tg_accel_destroy(g_acc);
	g_acc = NULL;
	if (g_pool != NULL) {
		used = rte_mempool_in_use_count(g_pool);
		rte_mempool_free(g_pool);
		g_pool = NULL;
	}
	tg_eal_stop();
	return used;
}

/* ==== 1. known answers ======================================================= */

static size_t hex(const char *h, uint8_t *out, size_t cap)
{
	return tg_test_hex(h, out, cap);
}

/* The reference against the GCM spec test cases and RFC 8439 §2.8.2. */
static void test_reference_known_answers(void)
{
	static const char *const gcm_p =
		"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
		"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
	static const struct {
		const char *name, *k, *a, *c, *t;
		size_t plen;
		enum tg_suite s;
	} tv[] = {
		{ "GCM test case 3", "feffe9928665731c6d6a8f9467308308", "",
		  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
		  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
		  "4d5c2af327cd64a62cf35abd2ba6fab4", 64, TG_SUITE_AES128GCM },
		{ "GCM test case 4", "feffe9928665731c6d6a8f9467308308",
		  "feedfacedeadbeeffeedfacedeadbeefabaddad2",
		  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
		  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
		  "5bc94fbc3221a5db94fae95ae7121a47", 60, TG_SUITE_AES128GCM },
		{ "GCM test case 15",
		  "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
		  "",
		  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
		  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
		  "b094dac5d93471bdec1a502270e3cc6c", 64, TG_SUITE_AES256GCM },
		{ "GCM test case 16",
		  "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
		  "feedfacedeadbeeffeedfacedeadbeefabaddad2",
		  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
		  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
		  "76fc6ece0f4e1768cddf8853bb2d551b", 60, TG_SUITE_AES256GCM },
	};
	static const char rfc8439_pt[] =
		"Ladies and Gentlemen of the class of '99: If I could offer you "
		"only one tip for the future, sunscreen would be it.";
	static const char *const rfc8439_ct =
		"d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
		"3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
		"92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
		"3ff4def08e4b7a9de576d26586cec64b6116";
	uint8_t key[32], iv[12], p[128], a[32], c[128], t[16], out[128], tag[16];
	size_t alen, clen;

	for (size_t i = 0; i < sizeof(tv) / sizeof(tv[0]); i++) {
		CU_ASSERT_EQUAL(hex(tv[i].k, key, sizeof(key)),
				tg_suite_key_len(tv[i].s));
		CU_ASSERT_EQUAL(hex("cafebabefacedbaddecaf888", iv, 12), 12);
		CU_ASSERT_EQUAL(hex(gcm_p, p, sizeof(p)), 64);
		alen = hex(tv[i].a, a, sizeof(a));
		clen = hex(tv[i].c, c, sizeof(c));
		CU_ASSERT_EQUAL(hex(tv[i].t, t, 16), 16);
		CU_ASSERT_EQUAL(clen, tv[i].plen);
		CU_ASSERT_FATAL(ref_aead(tv[i].s, 1, key, iv, a, (int)alen, p,
					 (int)tv[i].plen, out, tag) == 1);
		EXPECT(memcmp(out, c, clen) == 0 && memcmp(tag, t, 16) == 0,
		       "%s", tv[i].name);
		memset(out, 0, sizeof(out));
		CU_ASSERT(ref_aead(tv[i].s, 0, key, iv, a, (int)alen, c,
				   (int)clen, out, t) == 1);
		CU_ASSERT(memcmp(out, p, clen) == 0);
		t[15] ^= 1;
		CU_ASSERT(ref_aead(tv[i].s, 0, key, iv, a, (int)alen, c,
				   (int)clen, out, t) == 0);
	}

	/* RFC 8439 §2.8.2: the AEAD_CHACHA20_POLY1305 example. */
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(0x80 + i);
	hex("070000004041424344454647", iv, 12);
	alen = hex("50515253c0c1c2c3c4c5c6c7", a, sizeof(a));
	clen = hex(rfc8439_ct, c, sizeof(c));
	CU_ASSERT_EQUAL(clen, 114);
	CU_ASSERT_EQUAL(strlen(rfc8439_pt), 114);
	CU_ASSERT_FATAL(ref_aead(TG_SUITE_CHACHA20POLY1305, 1, key, iv, a,
				 (int)alen, (const uint8_t *)rfc8439_pt, 114,
				 out, tag) == 1);
	CU_ASSERT(memcmp(out, c, 114) == 0);
	hex("1ae10b594f09e26a7e902ecbd0600691", t, 16);
	CU_ASSERT(memcmp(tag, t, 16) == 0);
	CU_ASSERT(ref_aead(TG_SUITE_CHACHA20POLY1305, 0, key, iv, a, (int)alen,
			   c, 114, out, t) == 1);
	CU_ASSERT(memcmp(out, rfc8439_pt, 114) == 0);
}

/* RFC 8448 §3 (Simple 1-RTT Handshake): application traffic keys. */
static const char *const rfc8448_ckey = "17422dda596ed5d9acd890e3c63f5051";
static const char *const rfc8448_civ = "5b78923dee08579033e523d9";
static const char *const rfc8448_skey = "9f02283b6c9c07efc26bb9f2ac92e356";
static const char *const rfc8448_siv = "cf782b88dd83549aadf1e984";
/* {client} send application_data record (seq 0): payload 00..31 */
static const char *const rfc8448_crec =
	"1703030043a23f7054b62c94d0affafe8228ba55cbefacea42f914aa66bcab3f"
	"2b9819a8a5b46b395bd54a9a20441e2b62974e1f5a6292a2977014bd1e3deae6"
	"3aeebb21694915e4";
/* {client} send alert record (seq 1): close_notify 01 00 */
static const char *const rfc8448_calert =
	"1703030013c9872760655666b74d7ff1153efd6db6d0b0e3";
/* {server} send application_data record (seq 1, after NewSessionTicket) */
static const char *const rfc8448_srec =
	"17030300432e937e11ef4ac740e538ad36005fc4a46932fc3225d05f82aa1b36"
	"e30efaf97d90e6dffc602dcb501a59a8fcc49c4bf2e5f0a21c0047c2abf33254"
	"0dd032e167c2955d";

struct kat {
	const char *name;
	uint16_t v;
	enum tg_suite s;
	const char *key, *iv;
	uint64_t seq;
	uint8_t type, pad;
	const uint8_t *pt;
	uint32_t len;
	const char *rec;
};

/* Every backend seals @p k byte for byte (both forms), and opens it. */
static void kat_check(const struct kat *k)
{
	uint8_t key[32], iv[12], want[256], got[256], pt[256];
	uint32_t wlen, glen = 0;
	struct tg_rec res;

	memset(iv, 0, sizeof(iv));
	CU_ASSERT_EQUAL_FATAL(hex(k->key, key, sizeof(key)),
			      tg_suite_key_len(k->s));
	CU_ASSERT_EQUAL_FATAL(hex(k->iv, iv, sizeof(iv)),
			      tg_suite_iv_len(k->v, k->s));
	wlen = (uint32_t)hex(k->rec, want, sizeof(want));
	/* the reference (RFC formulas) gives the published record */
	glen = ref_seal(k->v, k->s, key, iv, k->seq, k->type, k->pad, k->pt,
			k->len, got);
	EXPECT(glen == wlen && memcmp(got, want, wlen) == 0, "reference %s",
	       k->name);
	for (unsigned b = 0; b < g_nb; b++) {
		struct tg_keys ks, ko;

		if (!has(b, k->s))
			continue;
		ks = mk_keys(k->v, k->s, TG_DIR_SEAL, key, iv, k->seq);
		ko = mk_keys(k->v, k->s, TG_DIR_OPEN, key, iv, k->seq);
		for (int form = 0; form < 2; form++) {
			struct tg_accel_sess *s = sess_on(g_acc, b, &ks);
			struct tg_accel_sess *o = sess_on(g_acc, b, &ko);
			uint8_t st;

			memset(got, 0, sizeof(got));
			st = seal_one(s, form, k->type, k->pad, k->pt, k->len,
				      got, &glen, &res);
			EXPECT(st == TG_REC_OK && glen == wlen &&
				       memcmp(got, want, wlen) == 0 &&
				       res.seq == k->seq && res.backend == b,
			       "%s: seal on %s form %d: %s", k->name,
			       tg_accel_backend_name(g_acc, b), form,
			       tg_rec_status_name(st));
			CU_ASSERT_EQUAL(tg_accel_sess_seq(s), k->seq + 1);
			memset(pt, 0xee, sizeof(pt));
			st = open_one(o, form, want, wlen, pt, &res);
			EXPECT(st == TG_REC_OK && res.len == k->len &&
				       res.type == k->type &&
				       res.seq == k->seq && res.backend == b &&
				       memcmp(pt, k->pt, k->len) == 0,
			       "%s: open on %s form %d: %s", k->name,
			       tg_accel_backend_name(g_acc, b), form,
			       tg_rec_status_name(st));
			CU_ASSERT_EQUAL(tg_accel_sess_seq(o), k->seq + 1);
			tg_accel_sess_free(s);
			tg_accel_sess_free(o);
		}
	}
}

static void test_kat_rfc8448(void)
{
	uint8_t payload[50];
	static const uint8_t close_notify[2] = { 1, 0 };

	for (int i = 0; i < 50; i++)
		payload[i] = (uint8_t)i;
	const struct kat kats[] = {
		{ "RFC 8448 client application data", TG_TLS13,
		  TG_SUITE_AES128GCM, rfc8448_ckey, rfc8448_civ, 0,
		  TG_CT_APPLICATION_DATA, 0, payload, 50, rfc8448_crec },
		{ "RFC 8448 client close_notify", TG_TLS13, TG_SUITE_AES128GCM,
		  rfc8448_ckey, rfc8448_civ, 1, TG_CT_ALERT, 0, close_notify, 2,
		  rfc8448_calert },
		{ "RFC 8448 server application data", TG_TLS13,
		  TG_SUITE_AES128GCM, rfc8448_skey, rfc8448_siv, 1,
		  TG_CT_APPLICATION_DATA, 0, payload, 50, rfc8448_srec },
	};

	for (size_t i = 0; i < sizeof(kats) / sizeof(kats[0]); i++)
		kat_check(&kats[i]);

	/* The client's two records in a row on one session: seq 0 then 1. */
	for (unsigned b = 0; b < g_nb; b++) {
		uint8_t key[16], iv[12], got[128], want[128];
		uint32_t glen, wlen;
		struct tg_keys k;
		struct tg_accel_sess *s;

		if (!has(b, TG_SUITE_AES128GCM))
			continue;
		hex(rfc8448_ckey, key, 16);
		hex(rfc8448_civ, iv, 12);
		k = mk_keys(TG_TLS13, TG_SUITE_AES128GCM, TG_DIR_SEAL, key, iv, 0);
		s = sess_on(g_acc, b, &k);
		CU_ASSERT_EQUAL(seal_one(s, 0, TG_CT_APPLICATION_DATA, 0,
					 payload, 50, got, &glen, NULL),
				TG_REC_OK);
		wlen = (uint32_t)hex(rfc8448_crec, want, sizeof(want));
		CU_ASSERT(glen == wlen && memcmp(got, want, wlen) == 0);
		CU_ASSERT_EQUAL(seal_one(s, 1, TG_CT_ALERT, 0, close_notify, 2,
					 got, &glen, NULL),
				TG_REC_OK);
		wlen = (uint32_t)hex(rfc8448_calert, want, sizeof(want));
		CU_ASSERT(glen == wlen && memcmp(got, want, wlen) == 0);
		tg_accel_sess_free(s);
	}
}

/*
 * TLS 1.2 (RFC 5288 / RFC 7905) and more TLS 1.3 records, computed once
 * with Python 'cryptography' AESGCM / ChaCha20Poly1305 from the RFC
 * formulas (explicit nonce = sequence number) and pinned here.
 */
static void test_kat_pinned(void)
{
	static const char http[] =
		"GET /index.html HTTP/1.1\r\nHost: tlsgate.example\r\n\r\n";
	uint8_t p64[64], p17[17];
	static const uint8_t close_notify[2] = { 1, 0 };

	CU_ASSERT_EQUAL_FATAL(strlen(http), 51);
	for (int i = 0; i < 64; i++)
		p64[i] = (uint8_t)i;
	for (int i = 0; i < 17; i++)
		p17[i] = (uint8_t)i;
	const struct kat kats[] = {
		{ "TLS 1.2 AES-128-GCM", TG_TLS12, TG_SUITE_AES128GCM,
		  "000102030405060708090a0b0c0d0e0f", "a0a1a2a3",
		  0x0102030405060708ULL, TG_CT_APPLICATION_DATA, 0,
		  (const uint8_t *)http, 51,
		  "170303004b01020304050607085b78cfea14a1f2a0e3dfd9686c695a2ff563d7"
		  "02862c582d660f2dc1f6d18d7a6cafe8357bc3ceff473d0257e46aec1180434c"
		  "a29b1813fb32a6f4827fcb97c763a17e" },
		{ "TLS 1.2 AES-256-GCM", TG_TLS12, TG_SUITE_AES256GCM,
		  "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
		  "01020304", 0, TG_CT_HANDSHAKE, 0, p64, 64,
		  "16030300580000000000000000f2fa2f05db7a40fa818f07afeb2c60904df052"
		  "6ee0ef5238dd0dd44870ec5de4ba925721e183993420395d9536267833e12ed8"
		  "a3dedc2089a1f4f52e0d204915747b75082ffafa9b9d73d2e44ff917a6" },
		{ "TLS 1.2 ChaCha20-Poly1305", TG_TLS12,
		  TG_SUITE_CHACHA20POLY1305,
		  "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f",
		  "606162636465666768696a6b", 5, TG_CT_ALERT, 0, close_notify, 2,
		  "1503030012a87c8c13bcc94e863ed4a946ab5fdd74e900" },
		{ "TLS 1.3 AES-256-GCM padded", TG_TLS13, TG_SUITE_AES256GCM,
		  "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
		  "707172737475767778797a7b", 3, TG_CT_HANDSHAKE, 7,
		  (const uint8_t *)http, 51,
		  "170303004b2ef2a7b4c663ad0de145f66653bace5d936094447177748918b3e8"
		  "8c515878a63db1be838cc111a9aee4a02e9b514b8c8cffebe1aa53deedea25bc"
		  "e5ad95c91c5c41cd54f03719e5999a0e" },
		{ "TLS 1.3 ChaCha20-Poly1305 seq 2^32", TG_TLS13,
		  TG_SUITE_CHACHA20POLY1305,
		  "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f",
		  "606162636465666768696a6b", 0x100000000ULL,
		  TG_CT_APPLICATION_DATA, 0, p17, 17,
		  "170303002281c6b072dbec346f1ea5dc8aea215576391bb46626752abb4a690c"
		  "fa58c7cec53c20" },
	};

	for (size_t i = 0; i < sizeof(kats) / sizeof(kats[0]); i++)
		kat_check(&kats[i]);
}

/* TLS 1.2 AES-GCM: the explicit nonce is the sender's choice (RFC 5288 §3);
 * a record whose explicit nonce is not the sequence number opens. */
static void test_explicit_nonce_any(void)
{
	for (unsigned s = 0; s < TG_SUITE_CHACHA20POLY1305; s++) {
		uint8_t key[32], iv[12], pt[300], rec[400], out[400];
		uint64_t seq = tg_test_rand() >> 8;
		uint32_t rl;

		tg_test_fill(key, sizeof(key));
		tg_test_fill(iv, sizeof(iv));
		tg_test_fill(pt, sizeof(pt));
		rl = ref_seal12(s, key, iv, seq, tg_test_rand(), TG_CT_HANDSHAKE,
				pt, sizeof(pt), rec);
		for (unsigned b = 0; b < g_nb; b++) {
			struct tg_keys k;
			struct tg_accel_sess *o;
			struct tg_rec res;

			if (!has(b, s))
				continue;
			k = mk_keys(TG_TLS12, s, TG_DIR_OPEN, key, iv, seq);
			for (int form = 0; form < 2; form++) {
				o = sess_on(g_acc, b, &k);
				CU_ASSERT_EQUAL(open_one(o, form, rec, rl, out,
							 &res),
						TG_REC_OK);
				CU_ASSERT(res.len == sizeof(pt) &&
					  memcmp(out, pt, sizeof(pt)) == 0 &&
					  res.type == TG_CT_HANDSHAKE);
				tg_accel_sess_free(o);
			}
		}
	}
}

/* ==== 2. cross-backend random records ====================================== */

#define XF 18 /* flows */

struct xflow {
	uint16_t v;
	enum tg_suite s;
	uint8_t key[32], iv[12];
	uint64_t seq;                          /* next sequence number */
	unsigned nedge;                        /* edge sizes used */
	struct tg_accel_sess *seal[MAXB];      /* NULL: suite not there */
	struct tg_accel_sess *open[MAXB][MAXB];/* [sealer][opener] */
};

struct xrec {
	struct xflow *f;
	unsigned fi;
	uint32_t len;
	uint8_t type, pad;
	uint64_t seq;
	uint8_t *pt;
	uint8_t *ref;
	uint32_t ref_len;
};

struct xdesc {
	struct tg_rec r;
	struct xrec *x;
	unsigned a, b, grp;
	int form;
	uint8_t *buf;       /* contiguous form */
	uint32_t pre;       /* bytes before the plaintext/record */
	uint8_t *rec;       /* seal: the record produced (linear copy) */
	uint32_t rec_len;
	struct xdesc *src;  /* open: the sealed record */
};

static const uint32_t edge_sizes[] = { 0, 1, 15, 16, 17, 255, 256, 257,
				       2047, 2048, 2049, 16383, 16384 };
#define NEDGE (sizeof(edge_sizes) / sizeof(edge_sizes[0]))

static uint32_t x_size(struct xflow *f, bool edge_first)
{
	uint32_t r = rnd(100);

	if (edge_first && f->nedge < NEDGE)
		return edge_sizes[f->nedge++];
	if (r < 10)
		return edge_sizes[rnd(NEDGE)];
	if (r < 55)
		return rnd(301);
	if (r < 85)
		return rnd(2101);
	return rnd(TG_REC_MAX_PLAIN + 1);
}

static uint8_t x_type(void)
{
	static const uint8_t t[] = { TG_CT_CHANGE_CIPHER_SPEC, TG_CT_ALERT,
				     TG_CT_HANDSHAKE, TG_CT_APPLICATION_DATA };

	return rnd(10) == 0 ? (uint8_t)(1 + rnd(255)) : t[rnd(4)];
}

/*
 * Random interleaving of @p n descriptors that keeps the order of the
 * descriptors of each group (a session sees its records in seq order).
 */
static void interleave(struct xdesc **d, unsigned n, unsigned ngroups)
{
	unsigned *lab = malloc(sizeof(*lab) * (n ? n : 1));
	unsigned *cur = calloc(ngroups ? ngroups : 1, sizeof(*cur));
	struct xdesc **out = malloc(sizeof(*out) * (n ? n : 1));

	CU_ASSERT_FATAL(lab != NULL && cur != NULL && out != NULL);
	for (unsigned i = 0; i < n; i++)
		lab[i] = d[i]->grp;
	for (unsigned i = n; i > 1; i--) {
		unsigned j = rnd(i), t = lab[i - 1];

		lab[i - 1] = lab[j];
		lab[j] = t;
	}
	for (unsigned p = 0; p < n; p++) {
		unsigned g = lab[p], i = cur[g];

		while (d[i]->grp != g)
			i++;
		out[p] = d[i];
		cur[g] = i + 1;
	}
	memcpy(d, out, sizeof(*out) * n);
	free(lab);
	free(cur);
	free(out);
}

static void xflow_init(struct xflow *f, unsigned i)
{
	static const uint64_t seqs[] = { 0, 1, 0xfffffff0ULL, 0xffffffffULL,
					 0x00ffffffffffff00ULL,
					 0x7ffffffffffff000ULL };
	struct tg_keys ks, ko;

	memset(f, 0, sizeof(*f));
	if (i < 6) { /* every suite x version at least once */
		f->v = versions[i % 2];
		f->s = (enum tg_suite)(i / 2);
	} else {
		f->v = versions[rnd(2)];
		f->s = (enum tg_suite)rnd(TG_SUITE__COUNT);
	}
	tg_test_fill(f->key, sizeof(f->key));
	tg_test_fill(f->iv, sizeof(f->iv));
	f->seq = i < 6 ? seqs[i] : (rnd(2) ? seqs[rnd(6)] : tg_test_rand() >> 2);
	ks = mk_keys(f->v, f->s, TG_DIR_SEAL, f->key, f->iv, f->seq);
	ko = mk_keys(f->v, f->s, TG_DIR_OPEN, f->key, f->iv, f->seq);
	for (unsigned a = 0; a < g_nb; a++) {
		if (!has(a, f->s))
			continue;
		f->seal[a] = sess_on(g_acc, a, &ks);
		for (unsigned b = 0; b < g_nb; b++)
			if (has(b, f->s))
				f->open[a][b] = sess_on(g_acc, b, &ko);
	}
}

static void xflow_free(struct xflow *f)
{
	for (unsigned a = 0; a < MAXB; a++) {
		tg_accel_sess_free(f->seal[a]);
		for (unsigned b = 0; b < MAXB; b++)
			tg_accel_sess_free(f->open[a][b]);
	}
}

/* Contiguous bytes outside [lo, hi) of a buffer still hold the fill. */
static bool canary_ok(const uint8_t *buf, uint32_t cap, uint32_t lo,
		      uint32_t hi, const uint8_t *orig)
{
	return memcmp(buf, orig, lo) == 0 &&
	       memcmp(buf + hi, orig + hi, cap - hi) == 0;
}

/* One burst of the cross test; returns the plaintext records done. */
static unsigned x_burst(struct xflow *fl, unsigned nflows, unsigned *counts)
{
	struct xrec xr[40];
	unsigned nx = 0, nseal = 0, nopen = 0;
	struct xdesc *sd, *od;
	struct xdesc **sp, **op;
	struct tg_rec **rp;
	uint8_t **orig;
	unsigned want = 1 + rnd(8);
	uint16_t got;

	/* plaintext records: a few flows, a few records each */
	for (unsigned w = 0; w < want && nx < 36; w++) {
		unsigned fi = rnd(nflows), m = 1 + rnd(4);
		struct xflow *f = &fl[fi];
		uint64_t base = f->seq;

		for (unsigned i = 0; i < nx; i++) /* flow already in: skip */
			if (xr[i].fi == fi)
				m = 0;
		for (unsigned k = 0; k < m; k++) {
			struct xrec *x = &xr[nx++];
			uint32_t lim;

			x->f = f;
			x->fi = fi;
			x->len = x_size(f, true);
			x->type = x_type();
			/* RFC 8446 §5.4: TLSInnerPlaintext <= 2^14 + 1 */
			lim = TG_REC_MAX_PLAIN - x->len;
			x->pad = f->v == TG_TLS13 && rnd(2) ?
					 (uint8_t)rnd((lim < 255 ? lim : 255) + 1) :
					 0;
			x->seq = base + k;
			x->pt = xmalloc(x->len);
			tg_test_fill(x->pt, x->len);
			x->ref = xmalloc(x->len + 300);
			x->ref_len = ref_seal(f->v, f->s, f->key, f->iv, x->seq,
					      x->type, x->pad, x->pt, x->len,
					      x->ref);
		}
		f->seq += m;
	}

	sd = calloc(nx * MAXB, sizeof(*sd));
	od = calloc(nx * MAXB * MAXB, sizeof(*od));
	sp = calloc(nx * MAXB, sizeof(*sp));
	op = calloc(nx * MAXB * MAXB, sizeof(*op));
	rp = calloc(nx * MAXB * MAXB, sizeof(*rp));
	orig = calloc(nx * MAXB * MAXB, sizeof(*orig));
	CU_ASSERT_FATAL(sd && od && sp && op && rp && orig);

	/* ---- seal: every backend seals every plaintext record ---- */
	for (unsigned i = 0; i < nx; i++) {
		struct xrec *x = &xr[i];

		for (unsigned a = 0; a < g_nb; a++) {
			struct xdesc *d;
			uint32_t hdr, tail;

			if (x->f->seal[a] == NULL)
				continue;
			d = &sd[nseal];
			sp[nseal++] = d;
			d->x = x;
			d->a = a;
			d->grp = x->fi * MAXB + a;
			d->form = (int)rnd(2);
			d->r.sess = x->f->seal[a];
			d->r.type = x->type;
			d->r.pad = x->pad;
			d->r.udata = d;
			hdr = tg_accel_hdr_len(d->r.sess);
			tail = tg_accel_tail_len(d->r.sess, x->pad);
			if (d->form == 0) {
				uint32_t slack = rnd(24);

				d->pre = hdr + rnd(24);
				d->r.cap = d->pre + x->len + tail + slack;
				d->buf = xmalloc(d->r.cap);
				tg_test_fill(d->buf, d->r.cap);
				if (x->len)
					memcpy(d->buf + d->pre, x->pt, x->len);
				d->r.buf = d->buf;
				d->r.off = d->pre;
				d->r.len = x->len;
			} else {
				uint16_t head = (uint16_t)(hdr +
					rnd(RTE_PKTMBUF_HEADROOM - hdr + 1));

				d->r.m = chain_new(x->pt, x->len, 0, 0, head,
						   (uint16_t)(tail + rnd(8)),
						   rand_maxsegs());
			}
		}
	}
	interleave(sp, nseal, XF * MAXB);
	for (unsigned i = 0; i < nseal; i++) {
		rp[i] = &sp[i]->r;
		if (sp[i]->form == 0) {
			orig[i] = xmalloc(sp[i]->r.cap);
			memcpy(orig[i], sp[i]->buf, sp[i]->r.cap);
		}
	}
	got = tg_accel_seal_burst(rp, (uint16_t)nseal);
	EXPECT(got == nseal, "seal burst: %u of %u", got, nseal);
	for (unsigned i = 0; i < nseal; i++) {
		struct xdesc *d = sp[i];
		struct xrec *x = d->x;
		struct tg_rec *r = &d->r;
		uint32_t hdr = tg_accel_hdr_len(r->sess);

		EXPECT(rp[i] == r, "sealed record %u moved", i);
		EXPECT(r->status == TG_REC_OK && r->seq == x->seq &&
			       r->backend == d->a,
		       "seal %s %s %s len %u pad %u form %d: %s seq %" PRIu64
		       "/%" PRIu64,
		       tg_accel_backend_name(g_acc, d->a), vname(x->f->v),
		       tg_suite_name(x->f->s), x->len, x->pad, d->form,
		       tg_rec_status_name(r->status), r->seq, x->seq);
		if (r->status != TG_REC_OK)
			continue;
		d->rec = xmalloc(x->ref_len);
		d->rec_len = r->rec_len;
		if (d->form == 0) {
			EXPECT(r->rec_off == d->pre - hdr &&
				       r->rec_len == x->ref_len,
			       "seal layout");
			if (r->rec_len == x->ref_len) {
				memcpy(d->rec, d->buf + r->rec_off, r->rec_len);
				EXPECT(canary_ok(d->buf, r->cap, r->rec_off,
						 r->rec_off + r->rec_len,
						 orig[i]),
				       "seal wrote outside the record");
			}
		} else {
			EXPECT(r->rec_off == 0 && r->off == hdr &&
				       r->rec_len == x->ref_len &&
				       rte_pktmbuf_pkt_len(r->m) == r->rec_len,
			       "seal mbuf layout");
			if (r->rec_len == x->ref_len)
				CU_ASSERT(chain_read(r->m, 0, r->rec_len, d->rec));
		}
		/* byte for byte: the reference, so every backend alike */
		EXPECT(d->rec_len == x->ref_len &&
			       memcmp(d->rec, x->ref, x->ref_len) == 0,
		       "seal %s %s %s len %u pad %u form %d differs from "
		       "the reference",
		       tg_accel_backend_name(g_acc, d->a), vname(x->f->v),
		       tg_suite_name(x->f->s), x->len, x->pad, d->form);
		counts[0]++;
	}

	/* ---- open: every backend opens every backend's record ---- */
	for (unsigned i = 0; i < nseal; i++) {
		struct xdesc *s = &sd[i]; /* creation order: seq order */
		struct xrec *x = s->x;

		if (s->rec == NULL)
			continue;
		for (unsigned b = 0; b < g_nb; b++) {
			struct xdesc *d;

			if (x->f->open[s->a][b] == NULL)
				continue;
			d = &od[nopen];
			op[nopen++] = d;
			d->x = x;
			d->src = s;
			d->a = s->a;
			d->b = b;
			d->grp = (x->fi * MAXB + s->a) * MAXB + b;
			d->form = (int)rnd(2);
			d->r.sess = x->f->open[s->a][b];
			d->r.udata = d;
			d->pre = rnd(40);
			d->r.rec_off = d->pre;
			d->r.rec_len = s->rec_len;
			d->r.type = 0xff;
			if (d->form == 0) {
				d->r.cap = d->pre + s->rec_len + rnd(40);
				d->buf = xmalloc(d->r.cap);
				tg_test_fill(d->buf, d->r.cap);
				memcpy(d->buf + d->pre, s->rec, s->rec_len);
				d->r.buf = d->buf;
			} else {
				d->r.m = chain_new(s->rec, s->rec_len, d->pre,
						   rnd(40), RTE_PKTMBUF_HEADROOM,
						   0, rand_maxsegs());
			}
		}
	}
	interleave(op, nopen, XF * MAXB * MAXB);
	for (unsigned i = 0; i < nseal; i++) {
		free(orig[i]);
		orig[i] = NULL;
	}
	for (unsigned i = 0; i < nopen; i++) {
		rp[i] = &op[i]->r;
		if (op[i]->form == 0) {
			orig[i] = xmalloc(op[i]->r.cap);
			memcpy(orig[i], op[i]->buf, op[i]->r.cap);
		}
	}
	got = tg_accel_open_burst(rp, (uint16_t)nopen);
	EXPECT(got == nopen, "open burst: %u of %u", got, nopen);
	for (unsigned i = 0; i < nopen; i++) {
		struct xdesc *d = op[i];
		struct xrec *x = d->x;
		struct tg_rec *r = &d->r;
		uint32_t hdr = tg_accel_hdr_len(r->sess);
		bool ok;
		uint8_t *pt;

		EXPECT(rp[i] == r, "opened record %u moved", i);
		EXPECT(r->status == TG_REC_OK && r->seq == x->seq &&
			       r->backend == d->b && r->type == x->type &&
			       r->len == x->len && r->off == d->pre + hdr,
		       "open %s->%s %s %s len %u pad %u form %d: %s seq %" PRIu64
		       "/%" PRIu64 " type %u/%u len %u",
		       tg_accel_backend_name(g_acc, d->a),
		       tg_accel_backend_name(g_acc, d->b), vname(x->f->v),
		       tg_suite_name(x->f->s), x->len, x->pad, d->form,
		       tg_rec_status_name(r->status), r->seq, x->seq, r->type,
		       x->type, r->len);
		if (r->status != TG_REC_OK || r->len != x->len)
			continue;
		pt = xmalloc(x->len);
		if (d->form == 0) {
			memcpy(pt, d->buf + r->off, x->len);
			EXPECT(canary_ok(d->buf, r->cap, r->rec_off,
					 r->rec_off + r->rec_len, orig[i]),
			       "open wrote outside the record");
		} else {
			CU_ASSERT(chain_read(r->m, r->off, x->len, pt));
		}
		ok = x->len == 0 || memcmp(pt, x->pt, x->len) == 0;
		EXPECT(ok, "open %s->%s %s %s len %u form %d: wrong plaintext",
		       tg_accel_backend_name(g_acc, d->a),
		       tg_accel_backend_name(g_acc, d->b), vname(x->f->v),
		       tg_suite_name(x->f->s), x->len, d->form);
		free(pt);
		counts[1]++;
	}

	for (unsigned i = 0; i < nopen; i++) {
		free(od[i].buf);
		rte_pktmbuf_free(od[i].r.m);
		free(orig[i]);
	}
	for (unsigned i = 0; i < nseal; i++) {
		free(sd[i].buf);
		free(sd[i].rec);
		rte_pktmbuf_free(sd[i].r.m);
	}
	for (unsigned i = 0; i < nx; i++) {
		free(xr[i].pt);
		free(xr[i].ref);
	}
	free(sd);
	free(od);
	free(sp);
	free(op);
	free(rp);
	free(orig);
	return nx;
}

static void test_cross_backend(void)
{
	struct xflow *fl = calloc(XF, sizeof(*fl));
	const char *env = getenv("TG_TEST_ACCEL_RECORDS");
	unsigned target = env ? (unsigned)strtoul(env, NULL, 0) : 4000;
	unsigned done = 0, bursts = 0, counts[2] = { 0, 0 };
	double t0 = now_s(), budget = 30.0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(fl);
	for (unsigned i = 0; i < XF; i++)
		xflow_init(&fl[i], i);
	while (done < target && now_s() - t0 < budget) {
		done += x_burst(fl, XF, counts);
		bursts++;
	}
	/* every flow's sessions moved in lockstep */
	for (unsigned i = 0; i < XF; i++)
		for (unsigned a = 0; a < g_nb; a++) {
			if (fl[i].seal[a] == NULL)
				continue;
			CU_ASSERT_EQUAL(tg_accel_sess_seq(fl[i].seal[a]), fl[i].seq);
			for (unsigned b = 0; b < g_nb; b++)
				if (fl[i].open[a][b] != NULL)
					CU_ASSERT_EQUAL(
						tg_accel_sess_seq(fl[i].open[a][b]),
						fl[i].seq);
		}
	printf("\n  cross: %u plaintexts, %u records sealed, %u opened, "
	       "%u bursts, %.2f s ",
	       done, counts[0], counts[1], bursts, now_s() - t0);
	/* "thousands": a machine too slow for 1000 in the budget fails */
	CU_ASSERT(done >= target || done >= 1000);
	for (unsigned i = 0; i < XF; i++)
		xflow_free(&fl[i]);
	free(fl);
}

/* ==== 3. tampering, limits, sequence numbers ================================ */

/* Status expected when bit @p bit of record @p rec is flipped. */
static uint8_t tamper_expect(uint16_t v, enum tg_suite s, const uint8_t *rec,
			     unsigned bit)
{
	unsigned byte = bit / 8;

	if (byte == 3 || byte == 4) {
		uint32_t len = ((uint32_t)rec[3] << 8 | rec[4]) ^
			       ((1u << (bit % 8)) << (byte == 3 ? 8 : 0));

		if (len > max_ct_len(v, s))
			return TG_REC_E_OVERFLOW;
	}
	return TG_REC_E_BAD_MAC;
}

/*
 * Seal one record of @p len bytes on backend @p a; open, on backend @p b,
 * copies with one bit flipped (every bit, or @p nrand random ones plus the
 * header, explicit nonce and tag edges), each with its own fresh session,
 * in one burst with an untampered control. Returns the copies tried.
 */
static unsigned tamper_run(unsigned a, unsigned b, uint16_t v,
			   enum tg_suite s, uint32_t len, bool every_bit,
			   unsigned nrand)
{
	uint8_t key[32], iv[12];
	uint64_t seq = tg_test_rand() >> 4;
	uint8_t pad = v == TG_TLS13 && len < TG_REC_MAX_PLAIN ? 3 : 0;
	uint8_t *pt = xmalloc(len), *rec = xmalloc(len + 300);
	uint32_t rl, hdr = tg_accel_hdr_len_for(v, s), nbits, n = 0, ctl;
	unsigned *bits;
	struct xdesc *d;
	struct tg_rec **rp;
	struct tg_keys ks, ko;
	struct tg_accel_sess *sealer;
	uint16_t got;

	tg_test_fill(key, sizeof(key));
	tg_test_fill(iv, sizeof(iv));
	tg_test_fill(pt, len);
	ks = mk_keys(v, s, TG_DIR_SEAL, key, iv, seq);
	ko = mk_keys(v, s, TG_DIR_OPEN, key, iv, seq);
	sealer = sess_on(g_acc, a, &ks);
	CU_ASSERT_EQUAL_FATAL(seal_one(sealer, 0, TG_CT_APPLICATION_DATA, pad,
				       pt, len, rec, &rl, NULL),
			      TG_REC_OK);
	tg_accel_sess_free(sealer);

	nbits = every_bit ? rl * 8 : nrand + 2 * (hdr + 2) * 8;
	bits = calloc(nbits, sizeof(*bits));
	d = calloc(nbits + 1, sizeof(*d));
	rp = calloc(nbits + 1, sizeof(*rp));
	CU_ASSERT_FATAL(bits && d && rp);
	if (every_bit) {
		for (uint32_t i = 0; i < nbits; i++)
			bits[i] = i;
	} else {
		uint32_t k = 0;

		for (uint32_t i = 0; i < (hdr + 2) * 8; i++) {
			bits[k++] = i;                 /* header, nonce, ct */
			bits[k++] = rl * 8 - 1 - i;    /* tag and ct end */
		}
		while (k < nbits)
			bits[k++] = rnd(rl * 8);
	}
	ctl = rnd(nbits + 1);
	for (uint32_t i = 0; i <= nbits; i++) {
		struct xdesc *x = &d[i];

		x->grp = i == ctl ? UINT32_MAX : bits[i < ctl ? i : i - 1];
		x->form = (int)(i % 2);
		x->r.sess = sess_on(g_acc, b, &ko);
		x->r.rec_len = rl;
		x->pre = rnd(16);
		x->r.rec_off = x->pre;
		x->rec = xmalloc(rl);
		memcpy(x->rec, rec, rl);
		if (x->grp != UINT32_MAX)
			x->rec[x->grp / 8] ^= (uint8_t)(1u << (x->grp % 8));
		if (x->form == 0) {
			x->r.cap = x->pre + rl;
			x->buf = xmalloc(x->r.cap);
			memcpy(x->buf + x->pre, x->rec, rl);
			x->r.buf = x->buf;
		} else {
			x->r.m = chain_new(x->rec, rl, x->pre, rnd(8),
					   RTE_PKTMBUF_HEADROOM, 0,
					   rand_maxsegs());
		}
		rp[i] = &x->r;
		n++;
	}
	got = tg_accel_open_burst(rp, (uint16_t)n);
	EXPECT(got == 1 && rp[0] == &d[ctl].r,
	       "tamper %s->%s %s %s len %u: %u opened", tg_accel_backend_name(g_acc, a),
	       tg_accel_backend_name(g_acc, b), vname(v), tg_suite_name(s), len,
	       got);
	/* the control opened */
	{
		struct xdesc *x = &d[ctl];
		uint8_t *out = xmalloc(len);

		CU_ASSERT_EQUAL(x->r.status, TG_REC_OK);
		CU_ASSERT_EQUAL(x->r.len, len);
		if (x->r.status == TG_REC_OK && x->r.len == len) {
			if (x->form == 0)
				memcpy(out, x->buf + x->r.off, len);
			else
				CU_ASSERT(chain_read(x->r.m, x->r.off, len, out));
			CU_ASSERT(len == 0 || memcmp(out, pt, len) == 0);
		}
		free(out);
	}
	for (uint32_t i = 0; i <= nbits; i++) {
		struct xdesc *x = &d[i];
		uint32_t plo = x->pre + hdr, pn = rl - hdr - TG_REC_TAG_LEN;
		uint8_t *pay;
		uint8_t want;

		if (i == ctl)
			continue;
		want = tamper_expect(v, s, rec, x->grp);
		EXPECT(x->r.status == want,
		       "tamper %s->%s %s %s len %u bit %u (byte %u) form %d: "
		       "%s, want %s",
		       tg_accel_backend_name(g_acc, a),
		       tg_accel_backend_name(g_acc, b), vname(v),
		       tg_suite_name(s), len, x->grp, x->grp / 8, x->form,
		       tg_rec_status_name(x->r.status), tg_rec_status_name(want));
		/* no plaintext of a forged record is released: the payload is
		 * the tampered ciphertext as received, or wiped */
		pay = xmalloc(pn);
		if (x->form == 0)
			memcpy(pay, x->buf + plo, pn);
		else
			CU_ASSERT(chain_read(x->r.m, plo, pn, pay));
		EXPECT(pn == 0 || memcmp(pay, x->rec + hdr, pn) == 0 ||
			       all_zero(pay, pn),
		       "tamper %s->%s %s %s bit %u: payload neither ciphertext "
		       "nor wiped",
		       tg_accel_backend_name(g_acc, a),
		       tg_accel_backend_name(g_acc, b), vname(v),
		       tg_suite_name(s), x->grp);
		free(pay);
	}
	for (uint32_t i = 0; i <= nbits; i++) {
		tg_accel_sess_free(d[i].r.sess);
		free(d[i].buf);
		free(d[i].rec);
		rte_pktmbuf_free(d[i].r.m);
	}
	free(bits);
	free(d);
	free(rp);
	free(pt);
	free(rec);
	return n - 1;
}

static void test_tamper_every_bit(void)
{
	unsigned tried = 0;

	for (unsigned vi = 0; vi < 2; vi++)
		for (unsigned s = 0; s < TG_SUITE__COUNT; s++)
			for (unsigned b = 0; b < g_nb; b++) {
				unsigned a = (b + 1 + vi + s) % g_nb;

				if (!has(b, s))
					continue;
				while (!has(a, s))
					a = (a + 1) % g_nb;
				tried += tamper_run(a, b, versions[vi], s, 37,
						    true, 0);
			}
	printf("\n  %u tampered short records ", tried);
}

static void test_tamper_16k(void)
{
	unsigned tried = 0;

	for (unsigned vi = 0; vi < 2; vi++)
		for (unsigned s = 0; s < TG_SUITE__COUNT; s++)
			for (unsigned b = 0; b < g_nb; b++) {
				unsigned a = (b + vi + s) % g_nb;

				if (!has(b, s))
					continue;
				while (!has(a, s))
					a = (a + 1) % g_nb;
				tried += tamper_run(a, b, versions[vi], s,
						    TG_REC_MAX_PLAIN, false, 24);
			}
	printf("\n  %u tampered 16 KiB records ", tried);
}

/*
 * evp's TLS record mode (TLS 1.2 ChaCha20-Poly1305, contiguous records)
 * and its general path (mbuf chains) share one libcrypto context per
 * session: records of both forms, in any order, near the top of the
 * sequence space, and a forged record in the middle (bad_record_mac, its
 * sequence number used up) must all come out right; the records are
 * also opened by every other backend.
 */
static void test_evp_tls_mode_mixed(void)
{
	static const int seal_form[8] = { 0, 1, 0, 0, 1, 1, 0, 0 };
	static const int open_form[8] = { 1, 0, 0, 1, 0, 0, 1, 0 };
	int evp = tg_accel_backend_find(g_acc, "evp");
	uint8_t key[32], iv[12], pt[8][700], rec[8][800], out[800];
	uint32_t len[8], rl[8];
	const uint64_t seq0 = UINT64_MAX - 20;
	struct tg_keys ks, ko;
	struct tg_accel_sess *ss, *so;

	if (evp < 0) {
		printf("\n  no evp backend ");
		return;
	}
	tg_test_fill(key, sizeof(key));
	tg_test_fill(iv, sizeof(iv));
	ks = mk_keys(TG_TLS12, TG_SUITE_CHACHA20POLY1305, TG_DIR_SEAL, key, iv, seq0);
	ko = mk_keys(TG_TLS12, TG_SUITE_CHACHA20POLY1305, TG_DIR_OPEN, key, iv, seq0);
	ss = sess_on(g_acc, (unsigned)evp, &ks);
	so = sess_on(g_acc, (unsigned)evp, &ko);
	for (int i = 0; i < 8; i++) {
		len[i] = i == 3 ? 0 : (uint32_t)rnd(sizeof(pt[i]));
		tg_test_fill(pt[i], len[i]);
		CU_ASSERT_EQUAL(seal_one(ss, seal_form[i], TG_CT_APPLICATION_DATA,
					 0, pt[i], len[i], rec[i], &rl[i], NULL),
				TG_REC_OK);
	}
	/* every other backend opens evp's records (the same bytes) */
	for (unsigned b = 0; b < g_nb; b++) {
		struct tg_accel_sess *o;

		if ((int)b == evp || !has(b, TG_SUITE_CHACHA20POLY1305))
			continue;
		o = sess_on(g_acc, b, &ko);
		for (int i = 0; i < 8; i++) {
			CU_ASSERT_EQUAL(open_one(o, i % 2, rec[i], rl[i], out, NULL),
					TG_REC_OK);
			CU_ASSERT(memcmp(out, pt[i], len[i]) == 0);
		}
		tg_accel_sess_free(o);
	}
	/* record 2 forged: it fails, the others open around it */
	rec[2][rl[2] - 1] ^= 0x40;
	for (int i = 0; i < 8; i++) {
		uint8_t st = open_one(so, open_form[i], rec[i], rl[i], out, NULL);

		CU_ASSERT_EQUAL(st, i == 2 ? TG_REC_E_BAD_MAC : TG_REC_OK);
		if (i != 2 && st == TG_REC_OK)
			CU_ASSERT(memcmp(out, pt[i], len[i]) == 0);
	}
	CU_ASSERT_EQUAL(tg_accel_sess_seq(ss), seq0 + 8);
	CU_ASSERT_EQUAL(tg_accel_sess_seq(so), seq0 + 8);
	tg_accel_sess_free(ss);
	tg_accel_sess_free(so);
}

/* Wrong sequence number, key, IV or version: BAD_MAC; the right ones open. */
static void test_wrong_seq_key(void)
{
	for (unsigned vi = 0; vi < 2; vi++) {
		for (unsigned s = 0; s < TG_SUITE__COUNT; s++) {
			uint16_t v = versions[vi], ov = versions[!vi];
			uint8_t key[32], iv[12], pt[100], rec[256], out[256];
			uint64_t seq = 1000 + rnd(1000);
			uint32_t rl;

			tg_test_fill(key, sizeof(key));
			tg_test_fill(iv, sizeof(iv));
			tg_test_fill(pt, sizeof(pt));
			rl = ref_seal(v, s, key, iv, seq, TG_CT_APPLICATION_DATA,
				      0, pt, sizeof(pt), rec);
			for (unsigned b = 0; b < g_nb; b++) {
				struct {
					const char *what;
					struct tg_keys k;
					uint8_t want;
				} c[8];
				unsigned nc = 0;

				if (!has(b, s))
					continue;
				c[nc].what = "right keys";
				c[nc].want = TG_REC_OK;
				c[nc++].k = mk_keys(v, s, TG_DIR_OPEN, key, iv, seq);
				c[nc].what = "seq + 1";
				c[nc].want = TG_REC_E_BAD_MAC;
				c[nc++].k = mk_keys(v, s, TG_DIR_OPEN, key, iv,
						    seq + 1);
				c[nc].what = "seq - 1";
				c[nc].want = TG_REC_E_BAD_MAC;
				c[nc++].k = mk_keys(v, s, TG_DIR_OPEN, key, iv,
						    seq - 1);
				c[nc].what = "other key";
				c[nc].want = TG_REC_E_BAD_MAC;
				c[nc].k = mk_keys(v, s, TG_DIR_OPEN, key, iv, seq);
				c[nc++].k.key[rnd(c[0].k.key_len)] ^= 0x01;
				c[nc].what = "other iv (first byte)";
				c[nc].want = TG_REC_E_BAD_MAC;
				c[nc].k = mk_keys(v, s, TG_DIR_OPEN, key, iv, seq);
				c[nc++].k.iv[0] ^= 0x80;
				c[nc].what = "other iv (last byte)";
				c[nc].want = TG_REC_E_BAD_MAC;
				c[nc].k = mk_keys(v, s, TG_DIR_OPEN, key, iv, seq);
				c[nc++].k.iv[c[0].k.iv_len - 1] ^= 0x01;
				c[nc].what = "other version";
				c[nc].want = TG_REC_E_BAD_MAC;
				c[nc++].k = mk_keys(ov, s, TG_DIR_OPEN, key, iv,
						    seq);
				for (unsigned i = 0; i < nc; i++) {
					struct tg_accel_sess *o =
						sess_on(g_acc, b, &c[i].k);
					struct tg_rec res;
					uint8_t st = open_one(o, (int)rnd(2), rec,
							      rl, out, &res);

					EXPECT(st == c[i].want,
					       "%s %s on %s, %s: %s", vname(v),
					       tg_suite_name(s),
					       tg_accel_backend_name(g_acc, b),
					       c[i].what, tg_rec_status_name(st));
					if (st == TG_REC_OK)
						CU_ASSERT(res.len == sizeof(pt) &&
							  memcmp(out, pt,
								 sizeof(pt)) == 0);
					tg_accel_sess_free(o);
				}
			}
		}
	}
}

/* Sealing over 2^14 bytes, a header over the limit, short records. */
static void test_limits(void)
{
	uint32_t big = TG_REC_MAX_PLAIN + 1;
	uint8_t *pt = xmalloc(big + 300), *rec = xmalloc(big + 600);
	uint8_t *out = xmalloc(big + 300);

	tg_test_fill(pt, big);
	for (unsigned vi = 0; vi < 2; vi++) {
		for (unsigned s = 0; s < TG_SUITE__COUNT; s++) {
			uint16_t v = versions[vi];
			uint8_t key[32], iv[12];
			struct tg_keys ks, ko;
			uint32_t rl, maxl = max_ct_len(v, s);

			tg_test_fill(key, sizeof(key));
			tg_test_fill(iv, sizeof(iv));
			ks = mk_keys(v, s, TG_DIR_SEAL, key, iv, 9);
			ko = mk_keys(v, s, TG_DIR_OPEN, key, iv, 9);
			for (unsigned b = 0; b < g_nb; b++) {
				struct tg_accel_sess *se, *o;
				struct tg_rec res;
				uint8_t st;

				if (!has(b, s))
					continue;
				se = sess_on(g_acc, b, &ks);
				o = sess_on(g_acc, b, &ko);
				for (int form = 0; form < 2; form++) {
					st = seal_one(se, form,
						      TG_CT_APPLICATION_DATA, 0,
						      pt, big, rec, &rl, NULL);
					EXPECT(st == TG_REC_E_OVERFLOW,
					       "seal 2^14+1 %s %s on %s: %s",
					       vname(v), tg_suite_name(s),
					       tg_accel_backend_name(g_acc, b),
					       tg_rec_status_name(st));
				}
				CU_ASSERT_EQUAL(tg_accel_sess_seq(se), 9);
				/* 2^14 exactly: fine, and opens */
				st = seal_one(se, (int)rnd(2),
					      TG_CT_APPLICATION_DATA, 0, pt,
					      TG_REC_MAX_PLAIN, rec, &rl, NULL);
				CU_ASSERT_EQUAL(st, TG_REC_OK);
				CU_ASSERT_EQUAL(rl, TG_REC_MAX_PLAIN +
							    tg_accel_hdr_len(se) +
							    tg_accel_tail_len(se, 0));
				st = open_one(o, (int)rnd(2), rec, rl, out, &res);
				CU_ASSERT_EQUAL(st, TG_REC_OK);
				CU_ASSERT(res.len == TG_REC_MAX_PLAIN &&
					  memcmp(out, pt, TG_REC_MAX_PLAIN) == 0);
				tg_accel_sess_free(se);
				tg_accel_sess_free(o);

				/* header lengths over the limit: overflow,
				 * at the limit (garbage): bad_record_mac */
				{
					static const uint32_t over[] = { 1, 2, 1000 };
					uint32_t lens[5];

					for (int i = 0; i < 3; i++)
						lens[i] = maxl + over[i];
					lens[3] = 0xffff;
					lens[4] = maxl;
					for (int i = 0; i < 5; i++) {
						uint8_t *r = xmalloc(5 + lens[i]);
						uint8_t want = i < 4 ?
							TG_REC_E_OVERFLOW :
							TG_REC_E_BAD_MAC;

						tg_test_fill(r, 5 + lens[i]);
						r[0] = TG_CT_APPLICATION_DATA;
						r[1] = 3;
						r[2] = 3;
						r[3] = (uint8_t)(lens[i] >> 8);
						r[4] = (uint8_t)lens[i];
						o = sess_on(g_acc, b, &ko);
						/* a chain holds 32 x 2 KiB */
						st = open_one(o,
							      lens[i] < 60000 ?
								      (int)rnd(2) : 0,
							      r, 5 + lens[i], out,
							      NULL);
						EXPECT(st == want,
						       "%s %s on %s: header length "
						       "%u: %s", vname(v),
						       tg_suite_name(s),
						       tg_accel_backend_name(g_acc, b),
						       lens[i],
						       tg_rec_status_name(st));
						/* also with a record shorter
						 * than the header says */
						if (i < 4) {
							st = open_one(o, 0, r, 5 + 100,
								      out, NULL);
							CU_ASSERT_EQUAL(
								st,
								TG_REC_E_OVERFLOW);
							/* refused before the seq
							 * number is taken */
							CU_ASSERT_EQUAL(
								tg_accel_sess_seq(o),
								9);
						}
						tg_accel_sess_free(o);
						free(r);
					}
				}

				/* too short to hold a tag (and TLS 1.3 type):
				 * bad_record_mac, never an out of bounds read */
				for (uint32_t l = 0;
				     l < tg_accel_hdr_len_for(v, s) - 5 + 16 +
						 (v == TG_TLS13);
				     l++) {
					uint8_t r[64];

					tg_test_fill(r, sizeof(r));
					r[0] = TG_CT_APPLICATION_DATA;
					r[1] = 3;
					r[2] = 3;
					r[3] = 0;
					r[4] = (uint8_t)l;
					o = sess_on(g_acc, b, &ko);
					st = open_one(o, (int)rnd(2), r, 5 + l,
						      out, NULL);
					EXPECT(st == TG_REC_E_BAD_MAC,
					       "%s %s on %s: length %u: %s",
					       vname(v), tg_suite_name(s),
					       tg_accel_backend_name(g_acc, b), l,
					       tg_rec_status_name(st));
					tg_accel_sess_free(o);
				}
				/* a record shorter than its header */
				o = sess_on(g_acc, b, &ko);
				CU_ASSERT_EQUAL(open_one(o, 0, rec, 3, out, NULL),
						TG_REC_E_BAD_MAC);
				/* header length and rec_len disagree */
				CU_ASSERT_EQUAL(open_one(o, 1, rec, rl - 1, out,
							 NULL),
						TG_REC_E_BAD_MAC);
				CU_ASSERT_EQUAL(tg_accel_sess_seq(o), 9);
				tg_accel_sess_free(o);
			}
		}
	}
	free(pt);
	free(rec);
	free(out);
}

/* TLS 1.3: padding limits, decrypted content over 2^14, all-zero inner. */
static void test_tls13_inner(void)
{
	uint32_t big = TG_REC_MAX_PLAIN + 1;
	uint8_t *inner = xmalloc(big + 300), *rec = xmalloc(big + 600);
	uint8_t *out = xmalloc(big + 300);

	for (unsigned s = 0; s < TG_SUITE__COUNT; s++) {
		uint8_t key[32], iv[12];
		uint64_t seq = 77;
		struct tg_keys ks, ko;

		tg_test_fill(key, sizeof(key));
		tg_test_fill(iv, sizeof(iv));
		ks = mk_keys(TG_TLS13, s, TG_DIR_SEAL, key, iv, seq);
		ko = mk_keys(TG_TLS13, s, TG_DIR_OPEN, key, iv, seq);
		for (unsigned b = 0; b < g_nb; b++) {
			struct tg_accel_sess *o, *se;
			struct tg_rec res;
			uint32_t rl, zl;
			uint8_t st;

			if (!has(b, s))
				continue;
			/* inner plaintext of zeros only: unexpected_message,
			 * whether 1 byte or spread over mbuf segments */
			for (int i = 0; i < 3; i++) {
				zl = i == 0 ? 1 : i == 1 ? 300 : 5000;
				memset(inner, 0, zl);
				rl = ref_seal13_inner(s, key, iv, seq, inner, zl,
						      rec);
				o = sess_on(g_acc, b, &ko);
				st = open_one(o, i == 0 ? 0 : 1, rec, rl, out,
					      NULL);
				EXPECT(st == TG_REC_E_UNEXPECTED,
				       "%s on %s: %u zero bytes: %s",
				       tg_suite_name(s),
				       tg_accel_backend_name(g_acc, b), zl,
				       tg_rec_status_name(st));
				tg_accel_sess_free(o);
			}
			/* content 2^14 + 1 (fits 2^14 + 256): record_overflow */
			tg_test_fill(inner, big);
			inner[big - 1] |= 1;
			inner[big] = TG_CT_APPLICATION_DATA;
			rl = ref_seal13_inner(s, key, iv, seq, inner, big + 1, rec);
			o = sess_on(g_acc, b, &ko);
			st = open_one(o, (int)rnd(2), rec, rl, out, NULL);
			EXPECT(st == TG_REC_E_OVERFLOW,
			       "%s on %s: content 2^14+1: %s", tg_suite_name(s),
			       tg_accel_backend_name(g_acc, b),
			       tg_rec_status_name(st));
			tg_accel_sess_free(o);
			/* content 2^14 plus 200 bytes of padding received:
			 * within 2^14 + 256, opens (lenient receiver) */
			tg_test_fill(inner, TG_REC_MAX_PLAIN);
			inner[TG_REC_MAX_PLAIN] = TG_CT_HANDSHAKE;
			memset(inner + TG_REC_MAX_PLAIN + 1, 0, 200);
			rl = ref_seal13_inner(s, key, iv, seq, inner,
					      TG_REC_MAX_PLAIN + 201, rec);
			o = sess_on(g_acc, b, &ko);
			st = open_one(o, (int)rnd(2), rec, rl, out, &res);
			/* RFC 8446 limits the sender to 2^14 + 1 inner bytes;
			 * a receiver may accept (content <= 2^14) or refuse */
			CU_ASSERT(st == TG_REC_OK || st == TG_REC_E_OVERFLOW);
			if (st == TG_REC_OK)
				CU_ASSERT(res.len == TG_REC_MAX_PLAIN &&
					  res.type == TG_CT_HANDSHAKE &&
					  memcmp(out, inner, TG_REC_MAX_PLAIN) ==
						  0);
			tg_accel_sess_free(o);
			/* empty content, 255 bytes of padding: type kept */
			se = sess_on(g_acc, b, &ks);
			o = sess_on(g_acc, b, &ko);
			for (int form = 0; form < 2; form++) {
				st = seal_one(se, form, TG_CT_ALERT, 255, inner, 0,
					      rec, &rl, NULL);
				CU_ASSERT_EQUAL(st, TG_REC_OK);
				CU_ASSERT_EQUAL(rl, 5 + 1 + 255 + 16);
				st = open_one(o, !form, rec, rl, out, &res);
				CU_ASSERT(st == TG_REC_OK && res.len == 0 &&
					  res.type == TG_CT_ALERT);
			}
			tg_accel_sess_free(se);
			tg_accel_sess_free(o);
		}
	}
	free(inner);
	free(rec);
	free(out);
}

/*
 * RFC 8446 §5.4: "the full encoded TLSInnerPlaintext MUST NOT exceed
 * 2^14 + 1 octets": content + padding over 2^14 must not be sealed.
 */
static void test_tls13_seal_pad_limit(void)
{
	uint8_t *pt = xmalloc(TG_REC_MAX_PLAIN), *rec = xmalloc(REC_MAX);
	static const struct { uint32_t len; uint8_t pad; uint8_t want; } c[] = {
		{ TG_REC_MAX_PLAIN, 0, TG_REC_OK },
		{ TG_REC_MAX_PLAIN - 255, 255, TG_REC_OK },
		{ TG_REC_MAX_PLAIN, 1, TG_REC_E_OVERFLOW },
		{ TG_REC_MAX_PLAIN - 100, 101, TG_REC_E_OVERFLOW },
		{ TG_REC_MAX_PLAIN, 200, TG_REC_E_OVERFLOW },
		{ TG_REC_MAX_PLAIN, 255, TG_REC_E_OVERFLOW },
	};

	tg_test_fill(pt, TG_REC_MAX_PLAIN);
	for (unsigned s = 0; s < TG_SUITE__COUNT; s++) {
		uint8_t key[32], iv[12];
		struct tg_keys ks;

		tg_test_fill(key, sizeof(key));
		tg_test_fill(iv, sizeof(iv));
		ks = mk_keys(TG_TLS13, s, TG_DIR_SEAL, key, iv, 0);
		for (unsigned b = 0; b < g_nb; b++) {
			if (!has(b, s))
				continue;
			for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
				struct tg_accel_sess *se = sess_on(g_acc, b, &ks);
				uint32_t rl;
				uint8_t st = seal_one(se, (int)(i % 2),
						      TG_CT_APPLICATION_DATA,
						      c[i].pad, pt, c[i].len, rec,
						      &rl, NULL);

				EXPECT(st == c[i].want,
				       "TLS 1.3 %s on %s: seal %u bytes + %u "
				       "padding: %s, want %s",
				       tg_suite_name(s),
				       tg_accel_backend_name(g_acc, b), c[i].len,
				       c[i].pad, tg_rec_status_name(st),
				       tg_rec_status_name(c[i].want));
				CU_ASSERT_EQUAL(tg_accel_sess_seq(se),
						c[i].want == TG_REC_OK ? 1 : 0);
				tg_accel_sess_free(se);
			}
		}
	}
	free(pt);
	free(rec);
}

/* keys.seq = 2^64 - 2: one record, then TG_REC_E_SEQ_WRAP (seal and open). */
static void test_seq_wrap(void)
{
	for (unsigned vi = 0; vi < 2; vi++) {
		for (unsigned s = 0; s < TG_SUITE__COUNT; s++) {
			uint16_t v = versions[vi];
			uint8_t key[32], iv[12], pt[40], rec[128], ref[128],
				out[128];
			uint64_t seq = UINT64_MAX - 1;
			struct tg_keys ks, ko;
			uint32_t rl, refl;

			tg_test_fill(key, sizeof(key));
			tg_test_fill(iv, sizeof(iv));
			tg_test_fill(pt, sizeof(pt));
			ks = mk_keys(v, s, TG_DIR_SEAL, key, iv, seq);
			ko = mk_keys(v, s, TG_DIR_OPEN, key, iv, seq);
			refl = ref_seal(v, s, key, iv, seq, TG_CT_HANDSHAKE, 0, pt,
					sizeof(pt), ref);
			for (unsigned b = 0; b < g_nb; b++) {
				struct tg_accel_sess *se, *o;
				struct tg_rec res;
				uint8_t st;

				if (!has(b, s))
					continue;
				se = sess_on(g_acc, b, &ks);
				o = sess_on(g_acc, b, &ko);
				st = seal_one(se, (int)rnd(2), TG_CT_HANDSHAKE, 0,
					      pt, sizeof(pt), rec, &rl, &res);
				CU_ASSERT_EQUAL(st, TG_REC_OK);
				CU_ASSERT_EQUAL(res.seq, seq);
				CU_ASSERT(rl == refl && memcmp(rec, ref, rl) == 0);
				CU_ASSERT_EQUAL(tg_accel_sess_seq(se), UINT64_MAX);
				for (int form = 0; form < 2; form++) {
					st = seal_one(se, form, TG_CT_HANDSHAKE, 0,
						      pt, sizeof(pt), out, &rl,
						      NULL);
					EXPECT(st == TG_REC_E_SEQ_WRAP,
					       "%s %s on %s: seal after 2^64-2: %s",
					       vname(v), tg_suite_name(s),
					       tg_accel_backend_name(g_acc, b),
					       tg_rec_status_name(st));
				}
				CU_ASSERT_EQUAL(tg_accel_sess_seq(se), UINT64_MAX);
				st = open_one(o, (int)rnd(2), ref, refl, out, &res);
				CU_ASSERT_EQUAL(st, TG_REC_OK);
				CU_ASSERT(res.seq == seq && res.len == sizeof(pt) &&
					  memcmp(out, pt, sizeof(pt)) == 0);
				st = open_one(o, (int)rnd(2), ref, refl, out, NULL);
				EXPECT(st == TG_REC_E_SEQ_WRAP,
				       "%s %s on %s: open after 2^64-2: %s",
				       vname(v), tg_suite_name(s),
				       tg_accel_backend_name(g_acc, b),
				       tg_rec_status_name(st));
				CU_ASSERT_EQUAL(tg_accel_sess_seq(o), UINT64_MAX);
				tg_accel_sess_free(se);
				tg_accel_sess_free(o);
			}
		}
	}
}

/* ==== 4. burst contract ======================================================= */

enum bfail {
	BF_NONE = 0,
	BF_NULL_ENTRY,
	BF_NULL_SESS,
	BF_WRONG_DIR,
	BF_BUF_NULL,
	BF_OFF_LT_HDR,
	BF_CAP_SMALL,
	BF_OVERSIZE,
	BF_MBUF_NOHEAD,
	BF_MBUF_NOTAIL,
	BF_MBUF_SEGS,
	BF__SEAL_COUNT,
	/* open only */
	BF_SHORT = BF__SEAL_COUNT,
	BF_MBUF_RANGE,
	BF_TAMPERED,
	BF__COUNT
};

static uint8_t bf_status(enum bfail f)
{
	switch (f) {
	case BF_NONE:
		return TG_REC_OK;
	case BF_NULL_SESS:
	case BF_WRONG_DIR:
	case BF_BUF_NULL:
	case BF_MBUF_SEGS:
	case BF_MBUF_RANGE:
		return TG_REC_E_INVAL;
	case BF_OFF_LT_HDR:
	case BF_CAP_SMALL:
	case BF_MBUF_NOHEAD:
	case BF_MBUF_NOTAIL:
		return TG_REC_E_NOROOM;
	case BF_OVERSIZE:
		return TG_REC_E_OVERFLOW;
	case BF_SHORT:
	case BF_TAMPERED:
		return TG_REC_E_BAD_MAC;
	default:
		return 0xff;
	}
}

#define BN 100
#define BFLOWS 6

struct bflow {
	uint16_t v;
	enum tg_suite s;
	uint8_t key[32], iv[12];
	uint64_t seq0;
	struct tg_accel_sess *seal, *open;
	unsigned good;
};

struct bdesc {
	struct tg_rec r;
	enum bfail f;
	unsigned fl;
	uint8_t *buf, *snap;
	uint32_t len;
	uint8_t *pt;
	uint32_t pkt_len0;
	uint64_t seq;
	struct bdesc *sealed;
	struct tg_accel_sess *own; /* open: a session of its own */
};

/* Check the burst contract on @p rp after a burst of @p n returned @p got. */
static void check_contract(struct tg_rec **rp, struct bdesc *d, unsigned n,
			   unsigned got, const char *what)
{
	unsigned ngood = 0, nnull = 0, w = 0;
	unsigned *seen = calloc(n, sizeof(*seen));

	CU_ASSERT_PTR_NOT_NULL_FATAL(seen);
	for (unsigned i = 0; i < n; i++) {
		if (d[i].f == BF_NONE)
			ngood++;
		if (d[i].f == BF_NULL_ENTRY)
			nnull++;
	}
	EXPECT(got == ngood, "%s: burst returned %u, %u good", what, got, ngood);
	/* the good ones first, in their original order */
	for (unsigned i = 0; i < n && w < got; i++) {
		if (d[i].f != BF_NONE)
			continue;
		EXPECT(rp[w] == &d[i].r, "%s: good record %u not at %u", what,
		       i, w);
		EXPECT(d[i].r.status == TG_REC_OK, "%s: good record %u: %s", what,
		       i, tg_rec_status_name(d[i].r.status));
		w++;
	}
	/* then every failed one, once, with its status */
	for (unsigned i = got; i < n; i++) {
		struct bdesc *x;

		if (rp[i] == NULL) {
			nnull--;
			continue;
		}
		x = (struct bdesc *)rp[i]->udata;
		CU_ASSERT_FATAL(x >= d && x < d + n);
		seen[x - d]++;
		EXPECT(x->f != BF_NONE, "%s: good record %u in the failed part",
		       what, (unsigned)(x - d));
		EXPECT(x->r.status == bf_status(x->f),
		       "%s: record %u failure %d: %s, want %s", what,
		       (unsigned)(x - d), x->f, tg_rec_status_name(x->r.status),
		       tg_rec_status_name(bf_status(x->f)));
	}
	CU_ASSERT_EQUAL(nnull, 0);
	for (unsigned i = 0; i < n; i++)
		if (d[i].f != BF_NONE && d[i].f != BF_NULL_ENTRY)
			EXPECT(seen[i] == 1, "%s: failed record %u seen %u times",
			       what, i, seen[i]);
	free(seen);
}

static void test_burst_contract(void)
{
	struct bflow fl[BFLOWS];
	struct bdesc *sd = calloc(BN, sizeof(*sd));
	struct bdesc *od = calloc(2 * BN, sizeof(*od));
	struct tg_rec *rp[2 * BN], *none[2] = { NULL, NULL };
	unsigned nopen = 0, bad_f = 0;
	uint16_t got;

	CU_ASSERT_FATAL(sd != NULL && od != NULL);
	/* degenerate bursts */
	CU_ASSERT_EQUAL(tg_accel_seal_burst(NULL, 0), 0);
	CU_ASSERT_EQUAL(tg_accel_open_burst(NULL, 0), 0);
	CU_ASSERT_EQUAL(tg_accel_seal_burst(NULL, 5), 0);
	CU_ASSERT_EQUAL(tg_accel_open_burst(NULL, 5), 0);
	CU_ASSERT_EQUAL(tg_accel_seal_burst(none, 0), 0);
	CU_ASSERT_EQUAL(tg_accel_seal_burst(none, 2), 0);
	CU_ASSERT_EQUAL(tg_accel_open_burst(none, 2), 0);
	CU_ASSERT(none[0] == NULL && none[1] == NULL);

	for (unsigned i = 0; i < BFLOWS; i++) {
		struct bflow *f = &fl[i];
		struct tg_keys k;
		unsigned sb = i % g_nb, ob = (i + 1) % g_nb;

		f->v = versions[i % 2];
		f->s = (enum tg_suite)(i / 2);
		tg_test_fill(f->key, sizeof(f->key));
		tg_test_fill(f->iv, sizeof(f->iv));
		f->seq0 = rnd(1000);
		while (!has(sb, f->s))
			sb = (sb + 1) % g_nb;
		while (!has(ob, f->s))
			ob = (ob + 1) % g_nb;
		k = mk_keys(f->v, f->s, TG_DIR_SEAL, f->key, f->iv, f->seq0);
		if (i == 0) /* through the choice table */
			TG_ASSERT_OK(tg_accel_sess_create(g_acc, &k, &f->seal));
		else
			f->seal = sess_on(g_acc, sb, &k);
		k.dir = TG_DIR_OPEN;
		f->open = sess_on(g_acc, ob, &k);
		f->good = 0;
	}

	/* ---- seal: 100 records, failures sprinkled in ---- */
	for (unsigned i = 0; i < BN; i++) {
		struct bdesc *x = &sd[i];
		struct bflow *f;
		uint32_t hdr, tail;

		x->fl = rnd(BFLOWS);
		f = &fl[x->fl];
		x->f = i % 7 == 3 ? (enum bfail)(1 + (bad_f++ % (BF__SEAL_COUNT - 1)))
				  : BF_NONE;
		x->len = x->f == BF_OVERSIZE ? TG_REC_MAX_PLAIN + 1 : rnd(3000);
		x->pt = xmalloc(x->len);
		tg_test_fill(x->pt, x->len);
		x->r.sess = f->seal;
		x->r.type = x_type();
		x->r.pad = f->v == TG_TLS13 ? (uint8_t)rnd(20) : 0;
		x->r.udata = x;
		hdr = tg_accel_hdr_len(f->seal);
		tail = tg_accel_tail_len(f->seal, x->r.pad);
		if (x->f == BF_MBUF_NOHEAD) {
			x->r.m = chain_new(x->pt, x->len, 0, 0,
					   (uint16_t)(hdr - 1), (uint16_t)tail, 4);
		} else if (x->f == BF_MBUF_NOTAIL) {
			uint32_t sz = g_room - RTE_PKTMBUF_HEADROOM - (tail - 1);

			free(x->pt);
			x->len = sz;
			x->pt = xmalloc(sz);
			tg_test_fill(x->pt, sz);
			x->r.m = chain_from_sizes(x->pt, &sz, 1,
						  RTE_PKTMBUF_HEADROOM);
		} else if (x->f == BF_MBUF_SEGS || (x->f == BF_NONE && i % 10 == 1)) {
			/* 33 segments: invalid; 32: the most allowed */
			uint32_t sizes[TG_ACCEL_MAX_SEGS + 1];
			unsigned ns = x->f == BF_MBUF_SEGS ? TG_ACCEL_MAX_SEGS + 1 :
							     TG_ACCEL_MAX_SEGS;

			free(x->pt);
			x->len = ns * 3;
			x->pt = xmalloc(x->len);
			tg_test_fill(x->pt, x->len);
			for (unsigned k = 0; k < ns; k++)
				sizes[k] = 3;
			x->r.m = chain_from_sizes(x->pt, sizes, ns,
						  RTE_PKTMBUF_HEADROOM);
		} else if (x->f == BF_NONE && i % 2) {
			x->r.m = chain_new(x->pt, x->len, 0, 0,
					   RTE_PKTMBUF_HEADROOM, (uint16_t)tail,
					   rand_maxsegs());
		} else if (x->f == BF_OVERSIZE && i % 2) {
			x->r.m = chain_new(x->pt, x->len, 0, 0,
					   RTE_PKTMBUF_HEADROOM, (uint16_t)tail, 32);
		} else {
			x->r.cap = hdr + x->len + tail + 8;
			x->buf = xmalloc(x->r.cap);
			tg_test_fill(x->buf, x->r.cap);
			if (x->len)
				memcpy(x->buf + hdr + 4, x->pt, x->len);
			x->r.buf = x->buf;
			x->r.off = hdr + 4;
			x->r.len = x->len;
			if (x->f == BF_OFF_LT_HDR)
				x->r.off = hdr - 1;
			if (x->f == BF_CAP_SMALL)
				x->r.cap = x->r.off + x->len + tail - 1;
			if (x->f == BF_BUF_NULL)
				x->r.buf = NULL;
			x->snap = xmalloc(hdr + x->len + tail + 8);
			memcpy(x->snap, x->buf, hdr + x->len + tail + 8);
		}
		if (x->f == BF_NULL_SESS)
			x->r.sess = NULL;
		if (x->f == BF_WRONG_DIR)
			x->r.sess = f->open;
		if (x->r.m != NULL)
			x->pkt_len0 = rte_pktmbuf_pkt_len(x->r.m);
		rp[i] = x->f == BF_NULL_ENTRY ? NULL : &x->r;
		if (x->f == BF_NONE)
			x->seq = f->seq0 + f->good++;
	}
	got = tg_accel_seal_burst(rp, BN);
	check_contract(rp, sd, BN, got, "seal");
	for (unsigned i = 0; i < BFLOWS; i++)
		EXPECT(tg_accel_sess_seq(fl[i].seal) == fl[i].seq0 + fl[i].good,
		       "seal flow %u: seq %" PRIu64 ", want %" PRIu64, i,
		       tg_accel_sess_seq(fl[i].seal), fl[i].seq0 + fl[i].good);
	for (unsigned i = 0; i < BN; i++) {
		struct bdesc *x = &sd[i];

		if (x->f == BF_NONE) {
			EXPECT(x->r.seq == x->seq, "seal %u: seq %" PRIu64
			       " want %" PRIu64, i, x->r.seq, x->seq);
		} else if (x->f != BF_NULL_ENTRY) {
			/* a failed record is left as it was */
			if (x->r.m != NULL)
				CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(x->r.m),
						x->pkt_len0);
			if (x->snap != NULL)
				CU_ASSERT(memcmp(x->buf, x->snap,
						 tg_accel_hdr_len(fl[x->fl].seal) +
							 x->len + 8 +
							 tg_accel_tail_len(fl[x->fl].seal,
									   x->r.pad)) == 0);
		}
	}

	/* ---- open the good ones (over 64), failures sprinkled in ---- */
	bad_f = 0;
	for (unsigned i = 0; i < BN; i++) {
		struct bdesc *s = &sd[i];
		struct bdesc *x;
		struct bflow *f = &fl[s->fl];

		if (s->f != BF_NONE)
			continue;
		if (nopen % 5 == 2) {
			/* a failing record first, on the same session */
			static const enum bfail of[] = {
				BF_NULL_ENTRY, BF_NULL_SESS, BF_WRONG_DIR,
				BF_BUF_NULL, BF_SHORT, BF_MBUF_RANGE,
				BF_TAMPERED
			};

			x = &od[nopen];
			x->f = of[bad_f++ % (sizeof(of) / sizeof(of[0]))];
			x->fl = s->fl;
			x->r.sess = f->open;
			x->r.udata = x;
			x->r.rec_off = 0;
			x->r.rec_len = s->r.rec_len;
			x->buf = xmalloc(s->r.rec_len + 64);
			if (s->r.m != NULL) {
				CU_ASSERT(chain_read(s->r.m, 0, s->r.rec_len,
						     x->buf));
			} else {
				memcpy(x->buf, s->buf + s->r.rec_off,
				       s->r.rec_len);
			}
			x->r.buf = x->buf;
			x->r.cap = s->r.rec_len;
			switch (x->f) {
			case BF_NULL_SESS:
				x->r.sess = NULL;
				break;
			case BF_WRONG_DIR:
				x->r.sess = f->seal;
				break;
			case BF_BUF_NULL:
				x->r.buf = NULL;
				break;
			case BF_SHORT:
				x->r.rec_len = 3;
				break;
			case BF_MBUF_RANGE:
				x->r.m = chain_new(x->buf, s->r.rec_len, 0, 0,
						   RTE_PKTMBUF_HEADROOM, 0, 8);
				x->r.rec_off = 1;
				break;
			case BF_TAMPERED: {
				/* on a session of its own at the record's
				 * seq: the failure advances only that one */
				struct tg_keys k = mk_keys(f->v, f->s,
							   TG_DIR_OPEN, f->key,
							   f->iv, s->seq);
				unsigned b = g_nb - 1;

				while (!has(b, f->s))
					b = (b + 1) % g_nb;
				x->own = sess_on(g_acc, b, &k);
				x->r.sess = x->own;
				x->buf[x->r.rec_len - 1] ^= 0x40;
				break;
			}
			default:
				break;
			}
			rp[nopen] = x->f == BF_NULL_ENTRY ? NULL : &x->r;
			nopen++;
		}
		x = &od[nopen];
		x->f = BF_NONE;
		x->fl = s->fl;
		x->sealed = s;
		x->r.sess = f->open;
		x->r.udata = x;
		x->r.type = 0;
		if (s->r.m != NULL) { /* open in place in the sealed mbuf */
			x->r.m = s->r.m;
			s->r.m = NULL;
			x->r.rec_off = 0;
			x->r.rec_len = rte_pktmbuf_pkt_len(x->r.m);
		} else {
			x->r.buf = s->buf;
			x->r.cap = s->r.cap;
			s->buf = NULL;
			x->r.rec_off = s->r.rec_off;
			x->r.rec_len = s->r.rec_len;
		}
		rp[nopen] = &x->r;
		nopen++;
	}
	CU_ASSERT_FATAL(nopen <= 2 * BN);
	CU_ASSERT(nopen > TG_ACCEL_BURST_MAX);
	got = tg_accel_open_burst(rp, (uint16_t)nopen);
	check_contract(rp, od, nopen, got, "open");
	for (unsigned i = 0; i < nopen; i++) {
		struct bdesc *x = &od[i];
		uint8_t *pt;

		if (x->f == BF_TAMPERED) {
			/* forged: its own session moved on, the payload wiped */
			uint32_t hdr = tg_accel_hdr_len(x->own);
			uint32_t pn = x->r.rec_len - hdr - TG_REC_TAG_LEN;

			CU_ASSERT_EQUAL(tg_accel_sess_seq(x->own),
					od[i + 1].sealed->seq + 1);
			CU_ASSERT(all_zero(x->buf + hdr, pn));
		}
		if (x->f != BF_NONE || x->r.status != TG_REC_OK)
			continue;
		EXPECT(x->r.seq == x->sealed->seq && x->r.len == x->sealed->len &&
			       x->r.type == x->sealed->r.type,
		       "open %u: seq %" PRIu64 "/%" PRIu64 " len %u/%u", i,
		       x->r.seq, x->sealed->seq, x->r.len, x->sealed->len);
		if (x->r.len != x->sealed->len)
			continue;
		pt = xmalloc(x->r.len);
		if (x->r.m != NULL) {
			CU_ASSERT(chain_read(x->r.m, x->r.off, x->r.len, pt));
		} else {
			memcpy(pt, x->r.buf + x->r.off, x->r.len);
		}
		CU_ASSERT(x->r.len == 0 ||
			  memcmp(pt, x->sealed->pt, x->r.len) == 0);
		free(pt);
	}
	for (unsigned i = 0; i < BFLOWS; i++)
		EXPECT(tg_accel_sess_seq(fl[i].open) == fl[i].seq0 + fl[i].good,
		       "open flow %u: seq %" PRIu64 ", want %" PRIu64, i,
		       tg_accel_sess_seq(fl[i].open), fl[i].seq0 + fl[i].good);

	for (unsigned i = 0; i < BFLOWS; i++) {
		tg_accel_sess_free(fl[i].seal);
		tg_accel_sess_free(fl[i].open);
	}
	for (unsigned i = 0; i < BN; i++) {
		free(sd[i].buf);
		free(sd[i].snap);
		free(sd[i].pt);
		rte_pktmbuf_free(sd[i].r.m);
	}
	for (unsigned i = 0; i < nopen; i++) {
		free(od[i].buf);
		free(od[i].r.buf == od[i].buf ? NULL : od[i].r.buf);
		rte_pktmbuf_free(od[i].r.m);
		tg_accel_sess_free(od[i].own);
	}
	free(sd);
	free(od);
}

/* Bad keys: the right error, nothing created (LSan checks for leaks). */
static void test_sess_create_errors(void)
{
	uint8_t key[32], iv[12];
	struct {
		const char *what;
		struct tg_keys k;
		int err;
	} c[16];
	unsigned n = 0;

	tg_test_fill(key, sizeof(key));
	tg_test_fill(iv, sizeof(iv));
#define BAD(w, e, expr)                                                        \
	do {                                                                   \
		c[n].what = (w);                                               \
		c[n].err = (e);                                                \
		c[n].k = expr;                                                 \
		n++;                                                           \
	} while (0)
	BAD("aes128gcm key_len 32", TG_E_INVAL,
	    mk_keys(TG_TLS12, TG_SUITE_AES128GCM, TG_DIR_SEAL, key, iv, 0));
	c[n - 1].k.key_len = 32;
	BAD("aes256gcm key_len 16", TG_E_INVAL,
	    mk_keys(TG_TLS13, TG_SUITE_AES256GCM, TG_DIR_OPEN, key, iv, 0));
	c[n - 1].k.key_len = 16;
	BAD("chacha key_len 0", TG_E_INVAL,
	    mk_keys(TG_TLS13, TG_SUITE_CHACHA20POLY1305, TG_DIR_SEAL, key, iv, 0));
	c[n - 1].k.key_len = 0;
	BAD("TLS 1.2 GCM iv_len 12", TG_E_INVAL,
	    mk_keys(TG_TLS12, TG_SUITE_AES128GCM, TG_DIR_SEAL, key, iv, 0));
	c[n - 1].k.iv_len = 12;
	BAD("TLS 1.3 iv_len 4", TG_E_INVAL,
	    mk_keys(TG_TLS13, TG_SUITE_AES128GCM, TG_DIR_SEAL, key, iv, 0));
	c[n - 1].k.iv_len = 4;
	BAD("TLS 1.2 chacha iv_len 4", TG_E_INVAL,
	    mk_keys(TG_TLS12, TG_SUITE_CHACHA20POLY1305, TG_DIR_OPEN, key, iv, 0));
	c[n - 1].k.iv_len = 4;
	BAD("version 0x0302", TG_E_UNSUPPORTED,
	    mk_keys(TG_TLS12, TG_SUITE_AES128GCM, TG_DIR_SEAL, key, iv, 0));
	c[n - 1].k.version = 0x0302;
	BAD("version 0", TG_E_UNSUPPORTED,
	    mk_keys(TG_TLS12, TG_SUITE_AES128GCM, TG_DIR_SEAL, key, iv, 0));
	c[n - 1].k.version = 0;
	BAD("version 0x0305", TG_E_UNSUPPORTED,
	    mk_keys(TG_TLS13, TG_SUITE_AES128GCM, TG_DIR_SEAL, key, iv, 0));
	c[n - 1].k.version = 0x0305;
	BAD("suite 7", TG_E_UNSUPPORTED,
	    mk_keys(TG_TLS13, TG_SUITE_AES256GCM, TG_DIR_SEAL, key, iv, 0));
	c[n - 1].k.suite = 7;
	BAD("suite 3", TG_E_UNSUPPORTED,
	    mk_keys(TG_TLS13, TG_SUITE_AES256GCM, TG_DIR_SEAL, key, iv, 0));
	c[n - 1].k.suite = TG_SUITE__COUNT;
	BAD("dir 2", TG_E_INVAL,
	    mk_keys(TG_TLS13, TG_SUITE_AES256GCM, TG_DIR_SEAL, key, iv, 0));
	c[n - 1].k.dir = 2;
#undef BAD
	for (unsigned i = 0; i < n; i++) {
		struct tg_accel_sess *s = NULL;
		tg_result r = tg_accel_sess_create(g_acc, &c[i].k, &s);

		EXPECT(r.code == c[i].err && s == NULL, "%s: %s", c[i].what,
		       tg_strerror(r.code));
		for (unsigned b = 0; b < g_nb; b++) {
			r = tg_accel_sess_create_on(g_acc, &c[i].k, b, &s);
			EXPECT(r.code == c[i].err && s == NULL, "%s on %s: %s",
			       c[i].what, tg_accel_backend_name(g_acc, b),
			       tg_strerror(r.code));
		}
	}
	{
		struct tg_keys k = mk_keys(TG_TLS13, TG_SUITE_AES128GCM,
					   TG_DIR_SEAL, key, iv, 0);
		struct tg_accel_sess *s = NULL;

		TG_ASSERT_ERR(tg_accel_sess_create(g_acc, NULL, &s), TG_E_INVAL);
		TG_ASSERT_ERR(tg_accel_sess_create(g_acc, &k, NULL), TG_E_INVAL);
		TG_ASSERT_ERR(tg_accel_sess_create(NULL, &k, &s), TG_E_INVAL);
		TG_ASSERT_ERR(tg_accel_sess_create_on(g_acc, &k, g_nb, &s),
			      TG_E_INVAL);
		TG_ASSERT_ERR(tg_accel_sess_create_on(g_acc, &k, 200, &s),
			      TG_E_INVAL);
		TG_ASSERT_ERR(tg_accel_sess_create_on(NULL, &k, 0, &s),
			      TG_E_INVAL);
		CU_ASSERT_PTR_NULL(s);
		/* a backend without the suite */
		for (unsigned b = 0; b < g_nb; b++)
			for (unsigned su = 0; su < TG_SUITE__COUNT; su++) {
				k = mk_keys(TG_TLS13, su, TG_DIR_OPEN, key, iv, 0);
				if (has(b, su)) {
					TG_ASSERT_OK(tg_accel_sess_create_on(
						g_acc, &k, b, &s));
					CU_ASSERT_EQUAL(tg_accel_sess_version(s),
							TG_TLS13);
					tg_accel_sess_free(s);
					s = NULL;
				} else {
					TG_ASSERT_ERR(tg_accel_sess_create_on(
							      g_acc, &k, b, &s),
						      TG_E_UNSUPPORTED);
					CU_ASSERT_PTR_NULL(s);
				}
			}
		tg_accel_sess_free(NULL);
	}
}

/* ==== 5. engine ================================================================= */

static void test_names_and_sizes(void)
{
	enum tg_suite s;
	struct tg_accel_sess *se;
	uint8_t key[32] = { 0 }, iv[12] = { 0 };
	struct tg_keys k;

	CU_ASSERT_STRING_EQUAL(tg_suite_name(TG_SUITE_AES128GCM), "aes128gcm");
	CU_ASSERT_STRING_EQUAL(tg_suite_name(TG_SUITE_AES256GCM), "aes256gcm");
	CU_ASSERT_STRING_EQUAL(tg_suite_name(TG_SUITE_CHACHA20POLY1305),
			       "chacha20poly1305");
	CU_ASSERT_STRING_EQUAL(tg_suite_name(TG_SUITE__COUNT), "?");
	CU_ASSERT_STRING_EQUAL(tg_suite_name((enum tg_suite)7), "?");
	for (unsigned i = 0; i < TG_SUITE__COUNT; i++) {
		CU_ASSERT(tg_suite_parse(tg_suite_name(i), &s));
		CU_ASSERT_EQUAL(s, i);
	}
	CU_ASSERT_FALSE(tg_suite_parse("aes128", &s));
	CU_ASSERT_FALSE(tg_suite_parse("", &s));
	CU_ASSERT_STRING_EQUAL(tg_rec_status_name(TG_REC_OK), "ok");
	CU_ASSERT_STRING_EQUAL(tg_rec_status_name(TG_REC_E_BAD_MAC),
			       "bad_record_mac");
	CU_ASSERT_STRING_EQUAL(tg_rec_status_name(TG_REC_E_OVERFLOW),
			       "record_overflow");
	CU_ASSERT_STRING_EQUAL(tg_rec_status_name(TG_REC_E_UNEXPECTED),
			       "unexpected_message");
	CU_ASSERT_STRING_EQUAL(tg_rec_status_name(TG_REC_E__COUNT), "?");
	for (unsigned i = 0; i < TG_REC_E__COUNT; i++)
		CU_ASSERT_STRING_NOT_EQUAL(tg_rec_status_name((uint8_t)i), "?");
	CU_ASSERT_EQUAL(tg_suite_key_len(TG_SUITE_AES128GCM), 16);
	CU_ASSERT_EQUAL(tg_suite_key_len(TG_SUITE_AES256GCM), 32);
	CU_ASSERT_EQUAL(tg_suite_key_len(TG_SUITE_CHACHA20POLY1305), 32);
	CU_ASSERT_EQUAL(tg_suite_iv_len(TG_TLS12, TG_SUITE_AES128GCM), 4);
	CU_ASSERT_EQUAL(tg_suite_iv_len(TG_TLS12, TG_SUITE_AES256GCM), 4);
	CU_ASSERT_EQUAL(tg_suite_iv_len(TG_TLS12, TG_SUITE_CHACHA20POLY1305), 12);
	CU_ASSERT_EQUAL(tg_suite_iv_len(TG_TLS13, TG_SUITE_AES128GCM), 12);
	CU_ASSERT_EQUAL(tg_accel_hdr_len_for(TG_TLS12, TG_SUITE_AES128GCM), 13);
	CU_ASSERT_EQUAL(tg_accel_hdr_len_for(TG_TLS12, TG_SUITE_AES256GCM), 13);
	CU_ASSERT_EQUAL(tg_accel_hdr_len_for(TG_TLS12, TG_SUITE_CHACHA20POLY1305),
			5);
	CU_ASSERT_EQUAL(tg_accel_hdr_len_for(TG_TLS13, TG_SUITE_AES256GCM), 5);
	CU_ASSERT_EQUAL(tg_accel_tail_len_for(TG_TLS12, TG_SUITE_AES128GCM, 9),
			16);
	CU_ASSERT_EQUAL(tg_accel_tail_len_for(TG_TLS13, TG_SUITE_AES128GCM, 0),
			17);
	CU_ASSERT_EQUAL(
		tg_accel_tail_len_for(TG_TLS13, TG_SUITE_CHACHA20POLY1305, 255),
		272);

	k = mk_keys(TG_TLS12, TG_SUITE_AES256GCM, TG_DIR_SEAL, key, iv, 42);
	TG_ASSERT_OK(tg_accel_sess_create(g_acc, &k, &se));
	CU_ASSERT_EQUAL(tg_accel_hdr_len(se), 13);
	CU_ASSERT_EQUAL(tg_accel_tail_len(se, 7), 16);
	CU_ASSERT_EQUAL(tg_accel_sess_seq(se), 42);
	CU_ASSERT_EQUAL(tg_accel_sess_version(se), TG_TLS12);
	tg_accel_sess_free(se);

	CU_ASSERT_PTR_NULL(tg_accel_backend_name(g_acc, g_nb));
	CU_ASSERT_EQUAL(tg_accel_backend_find(g_acc, "nosuch"), -1);
	CU_ASSERT_EQUAL(tg_accel_backend_find(g_acc, "evp") >= 0, 1);
	for (unsigned b = 0; b < g_nb; b++)
		CU_ASSERT_EQUAL(tg_accel_backend_find(
					g_acc, tg_accel_backend_name(g_acc, b)),
				(int)b);
	CU_ASSERT_FALSE(tg_accel_backend_has(g_acc, g_nb, TG_SUITE_AES128GCM));
	CU_ASSERT_FALSE(tg_accel_backend_has(g_acc, 0, TG_SUITE__COUNT));
	CU_ASSERT_EQUAL(tg_accel_choice(g_acc, TG_SUITE__COUNT, 100), -1);
	/* evp does every suite */
	for (unsigned su = 0; su < TG_SUITE__COUNT; su++)
		CU_ASSERT(has((unsigned)tg_accel_backend_find(g_acc, "evp"), su));
}

/* "default": the CPU backends this build and CPU have, never a crypto
 * device (the EAL here has two probed), evp always; the names it knows. */
static void test_engine_default(void)
{
	struct tg_accel_conf conf = { .backends = "default", .no_calibrate = true };
	struct tg_accel *acc = NULL;

	TG_ASSERT_OK(tg_accel_create(&conf, &acc));
	if (acc == NULL)
		return;
	CU_ASSERT(tg_accel_backend_find(acc, "evp") >= 0);
#ifdef TG_HAVE_IPSECMB
	CU_ASSERT(tg_accel_backend_find(acc, "ipsecmb") >= 0);
#endif
#ifdef TG_HAVE_SIMD
	CU_ASSERT_EQUAL(tg_accel_backend_find(acc, "simd") >= 0,
			tg_simd_cpu_chacha() || tg_simd_cpu_gcm());
#endif
	for (unsigned i = 0; i < tg_accel_backend_count(acc); i++)
		EXPECT(strncmp(tg_accel_backend_name(acc, i), "cryptodev", 9) != 0,
		       "default loaded %s", tg_accel_backend_name(acc, i));
	tg_accel_destroy(acc);

	CU_ASSERT_TRUE(tg_accel_backend_known("evp", 3));
	CU_ASSERT_TRUE(tg_accel_backend_known("cryptodev:crypto_openssl", 24));
	CU_ASSERT_FALSE(tg_accel_backend_known("cryptodev:", 10));
	CU_ASSERT_FALSE(tg_accel_backend_known("cryptodev", 9));
	CU_ASSERT_FALSE(tg_accel_backend_known("evp:x", 5));
	CU_ASSERT_FALSE(tg_accel_backend_known("default", 7));
	CU_ASSERT_FALSE(tg_accel_backend_known("all", 3));
	CU_ASSERT_FALSE(tg_accel_backend_known("evpx", 4));
	CU_ASSERT_FALSE(tg_accel_backend_known("evp:", 4));
	{
		char longspec[140];

		memset(longspec, 'x', sizeof(longspec));
		memcpy(longspec, "cryptodev:", 10);
		CU_ASSERT_TRUE(tg_accel_backend_known(longspec, 127));
		CU_ASSERT_FALSE(tg_accel_backend_known(longspec, 128));
	}
	CU_ASSERT_TRUE(tg_accel_backend_known("evp,simd", 3)); /* a length */
#ifdef TG_HAVE_SIMD
	CU_ASSERT_TRUE(tg_accel_backend_known("simd", 4));
#else
	CU_ASSERT_FALSE(tg_accel_backend_known("simd", 4));
#endif
}

static void test_engine_force(void)
{
	static const uint32_t sizes[] = { 0, 256, 257, 2048, 2049, 16384 };

	for (unsigned b = 0; b < g_nb; b++) {
		const char *name = tg_accel_backend_name(g_acc, b);
		struct tg_accel_conf conf = { .backends = "all", .force = name };
		struct tg_accel *acc = NULL;
		int f;

		TG_ASSERT_OK(tg_accel_create(&conf, &acc));
		f = tg_accel_backend_find(acc, name);
		CU_ASSERT_FATAL(f >= 0);
		for (unsigned s = 0; s < TG_SUITE__COUNT; s++)
			for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
				EXPECT(tg_accel_choice(acc, s, sizes[i]) ==
					       (tg_accel_backend_has(acc, f, s) ?
							f : -1),
				       "force %s: %s size %u -> %d", name,
				       tg_suite_name(s), sizes[i],
				       tg_accel_choice(acc, s, sizes[i]));
		/* sessions made through the choice run there */
		for (unsigned s = 0; s < TG_SUITE__COUNT; s++) {
			uint8_t key[32], iv[12], *pt = xmalloc(16384);
			uint8_t *rec = xmalloc(REC_MAX);
			struct tg_keys k;
			struct tg_accel_sess *se = NULL;

			if (!tg_accel_backend_has(acc, f, s)) {
				free(pt);
				free(rec);
				continue;
			}
			tg_test_fill(key, sizeof(key));
			tg_test_fill(iv, sizeof(iv));
			tg_test_fill(pt, 16384);
			k = mk_keys(TG_TLS13, s, TG_DIR_SEAL, key, iv, 0);
			TG_ASSERT_OK(tg_accel_sess_create(acc, &k, &se));
			for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
				struct tg_rec res;
				uint32_t rl;

				CU_ASSERT_EQUAL(seal_one(se, (int)(i % 2),
							 TG_CT_APPLICATION_DATA, 0,
							 pt, sizes[i], rec, &rl,
							 &res),
						TG_REC_OK);
				CU_ASSERT_EQUAL(res.backend, (unsigned)f);
			}
			tg_accel_sess_free(se);
			free(pt);
			free(rec);
		}
		tg_accel_destroy(acc);
	}
	/* force a backend the list did not name: it is loaded */
	{
		struct tg_accel_conf conf = { .backends = "evp",
					      .force = "evp" };
		struct tg_accel *acc = NULL;

		TG_ASSERT_OK(tg_accel_create(&conf, &acc));
		CU_ASSERT_EQUAL(tg_accel_backend_count(acc), 1);
		tg_accel_destroy(acc);
		if (tg_accel_backend_find(g_acc, "ipsecmb") >= 0) {
			conf.backends = "ipsecmb";
			TG_ASSERT_OK(tg_accel_create(&conf, &acc));
			CU_ASSERT_EQUAL(tg_accel_backend_count(acc), 2);
			for (unsigned s = 0; s < TG_SUITE__COUNT; s++)
				CU_ASSERT_EQUAL(tg_accel_choice(acc, s, 100),
						tg_accel_backend_find(acc, "evp"));
			tg_accel_destroy(acc);
		}
	}
}

static void test_engine_unknown(void)
{
	static const struct {
		const char *backends, *force;
		int err;
	} c[] = {
		{ "nosuch", NULL, TG_E_NOTFOUND },
		{ "evp,nosuch", NULL, TG_E_NOTFOUND },
		{ "nosuch,evp", NULL, TG_E_NOTFOUND },
		{ "", NULL, TG_E_NOTFOUND },
		{ "evp:extra", NULL, TG_E_INVAL },
		{ "all", "nosuch", TG_E_NOTFOUND },
		{ "evp", "nosuch", TG_E_NOTFOUND },
		{ "evp,default", NULL, TG_E_NOTFOUND }, /* a list word alone */
		{ "simd:x", NULL, TG_E_INVAL },
		{ "evp:", NULL, TG_E_INVAL },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct tg_accel_conf conf = { .backends = c[i].backends,
					      .force = c[i].force,
					      .no_calibrate = true };
		struct tg_accel *acc = NULL;
		tg_result r = tg_accel_create(&conf, &acc);

		EXPECT(r.code == c[i].err && acc == NULL,
		       "backends '%s' force '%s': %s", c[i].backends,
		       c[i].force ? c[i].force : "-", tg_strerror(r.code));
		if (tg_ok(r))
			tg_accel_destroy(acc);
	}
	TG_ASSERT_ERR(tg_accel_create(NULL, NULL), TG_E_INVAL);
	tg_accel_destroy(NULL);
}

static void test_engine_calibrate(void)
{
	struct tg_accel_conf conf = { .backends = "all", .force = "auto",
				      .calib_ms = 2 };
	struct tg_accel *acc = NULL;
	char *text = NULL;
	size_t tlen = 0;
	FILE *f;

	TG_ASSERT_OK(tg_accel_create(&conf, &acc));
	CU_ASSERT_EQUAL(tg_accel_backend_count(acc), g_nb);
	for (unsigned s = 0; s < TG_SUITE__COUNT; s++) {
		static const uint32_t sizes[] = { 0, 256, 1000, 2048, 2049, 16384 };

		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			int c = tg_accel_choice(acc, s, sizes[i]);

			EXPECT(c >= 0 && (unsigned)c < g_nb &&
				       tg_accel_backend_has(acc, (unsigned)c, s),
			       "calibrated %s size %u -> %d", tg_suite_name(s),
			       sizes[i], c);
		}
		/* the classes: <= 256, <= 2048, larger */
		CU_ASSERT_EQUAL(tg_accel_choice(acc, s, 1),
				tg_accel_choice(acc, s, 256));
		CU_ASSERT_EQUAL(tg_accel_choice(acc, s, 257),
				tg_accel_choice(acc, s, 2048));
		CU_ASSERT_EQUAL(tg_accel_choice(acc, s, 2049),
				tg_accel_choice(acc, s, 16384));
	}

	f = tmpfile();
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	tg_accel_print_choice(acc, f);
	fflush(f);
	tlen = (size_t)ftell(f);
	rewind(f);
	text = calloc(1, tlen + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_EQUAL(fread(text, 1, tlen, f), tlen);
	fclose(f);
	CU_ASSERT(strncmp(text, "suite", 5) == 0);
	for (unsigned s = 0; s < TG_SUITE__COUNT; s++) {
		char pat[64];
		const char *line;
		const char *eol;

		snprintf(pat, sizeof(pat), "\n%s ", tg_suite_name(s));
		line = strstr(text, pat);
		EXPECT(line != NULL, "choice table lacks %s:\n%s",
		       tg_suite_name(s), text);
		if (line == NULL)
			continue;
		eol = strchr(line + 1, '\n');
		CU_ASSERT_PTR_NOT_NULL(eol);
		for (uint32_t size = 100; size <= 10000; size *= 10) {
			const char *bn = tg_accel_backend_name(
				acc, (unsigned)tg_accel_choice(acc, s, size));
			const char *hit = bn ? strstr(line, bn) : NULL;

			EXPECT(hit != NULL && (eol == NULL || hit < eol),
			       "choice table line of %s lacks %s",
			       tg_suite_name(s), bn ? bn : "(null)");
		}
	}
	{
		unsigned lines = 0;

		for (size_t i = 0; i < tlen; i++)
			lines += text[i] == '\n';
		CU_ASSERT_EQUAL(lines, 1 + TG_SUITE__COUNT);
	}
	free(text);
	tg_accel_destroy(acc);

	/* no_calibrate: the first backend that has the suite */
	conf.no_calibrate = true;
	conf.force = NULL;
	TG_ASSERT_OK(tg_accel_create(&conf, &acc));
	for (unsigned s = 0; s < TG_SUITE__COUNT; s++) {
		int first = -1;

		for (unsigned b = 0; b < tg_accel_backend_count(acc) && first < 0; b++)
			if (tg_accel_backend_has(acc, b, s))
				first = (int)b;
		CU_ASSERT_EQUAL(tg_accel_choice(acc, s, 10), first);
		CU_ASSERT_EQUAL(tg_accel_choice(acc, s, 10000), first);
	}
	tg_accel_destroy(acc);
}

static void test_engine_stats(void)
{
	struct tg_accel_conf conf = { .backends = "all", .no_calibrate = true };
	struct tg_accel *acc = NULL;
	struct tg_accel_stats st;
	uint64_t want[MAXB][2];
	unsigned nb;
	uint8_t *pt = xmalloc(5000), *rec = xmalloc(5400), *out = xmalloc(5400);

	TG_ASSERT_OK(tg_accel_create(&conf, &acc));
	nb = tg_accel_backend_count(acc);
	CU_ASSERT_FATAL(nb <= MAXB);
	tg_test_fill(pt, 5000);
	for (unsigned b = 0; b < nb; b++) {
		tg_accel_backend_stats(acc, b, &st);
		CU_ASSERT(st.sealed == 0 && st.opened == 0 && st.sealed_bytes == 0 &&
			  st.opened_bytes == 0 && st.failed == 0);
	}
	for (unsigned b = 0; b < nb; b++) {
		enum tg_suite s = TG_SUITE_CHACHA20POLY1305;
		uint8_t key[32], iv[12];
		struct tg_keys ks, ko;
		struct tg_accel_sess *se, *o;
		unsigned k = 3 + b;
		uint64_t bytes = 0;

		while (!tg_accel_backend_has(acc, b, s))
			s = (enum tg_suite)((s + 1) % TG_SUITE__COUNT);
		tg_test_fill(key, sizeof(key));
		tg_test_fill(iv, sizeof(iv));
		ks = mk_keys(TG_TLS13, s, TG_DIR_SEAL, key, iv, 0);
		ko = mk_keys(TG_TLS13, s, TG_DIR_OPEN, key, iv, 0);
		se = sess_on(acc, b, &ks);
		o = sess_on(acc, b, &ko);
		for (unsigned i = 0; i < k; i++) {
			uint32_t len = 100 * i + b, rl;
			uint8_t pad = (uint8_t)(i * 10);

			CU_ASSERT_EQUAL(seal_one(se, (int)(i % 2),
						 TG_CT_APPLICATION_DATA, pad, pt,
						 len, rec, &rl, NULL),
					TG_REC_OK);
			CU_ASSERT_EQUAL(open_one(o, (int)(i % 2), rec, rl, out,
						 NULL),
					TG_REC_OK);
			bytes += len;
		}
		/* one forged record: counted as failed */
		{
			uint32_t rl;

			CU_ASSERT_EQUAL(seal_one(se, 0, TG_CT_APPLICATION_DATA, 0,
						 pt, 64, rec, &rl, NULL),
					TG_REC_OK);
			rec[rl - 1] ^= 1;
			CU_ASSERT_EQUAL(open_one(o, 0, rec, rl, out, NULL),
					TG_REC_E_BAD_MAC);
		}
		want[b][0] = k;
		want[b][1] = bytes;
		tg_accel_backend_stats(acc, b, &st);
		EXPECT(st.sealed == k + 1 && st.sealed_bytes == bytes + 64 &&
			       st.opened == k && st.opened_bytes == bytes &&
			       st.failed == 1,
		       "stats of %s: sealed %" PRIu64 "/%" PRIu64
		       " opened %" PRIu64 "/%" PRIu64 " failed %" PRIu64,
		       tg_accel_backend_name(acc, b), st.sealed, st.sealed_bytes,
		       st.opened, st.opened_bytes, st.failed);
		tg_accel_sess_free(se);
		tg_accel_sess_free(o);
	}
	/* each backend counted only its own records */
	for (unsigned b = 0; b < nb; b++) {
		tg_accel_backend_stats(acc, b, &st);
		CU_ASSERT(st.opened == want[b][0] && st.opened_bytes == want[b][1]);
	}
	memset(&st, 0xff, sizeof(st));
	tg_accel_backend_stats(acc, nb, &st);
	CU_ASSERT(st.sealed == 0 && st.opened == 0 && st.failed == 0);
	memset(&st, 0xff, sizeof(st));
	tg_accel_backend_stats(acc, 200, &st);
	CU_ASSERT(st.sealed == 0 && st.opened == 0 && st.failed == 0);
	tg_accel_destroy(acc);
	free(pt);
	free(rec);
	free(out);
}


/* ==== more layouts: records sharing an mbuf, empty segments ============== */

/*
 * Three records of one flow back to back in one packet (as TCP delivers
 * them), opened in one burst by three descriptors on the same mbuf chain
 * (or buffer); the chain is split at random, so headers and tags straddle
 * segments.
 */
static void test_records_share_mbuf(void)
{
	for (unsigned vi = 0; vi < 2; vi++) {
		for (unsigned s = 0; s < TG_SUITE__COUNT; s++) {
			uint16_t v = versions[vi];
			uint8_t key[32], iv[12];
			uint32_t lens[3], off[4], pre = rnd(50), total;
			uint8_t *pt[3], *stream = xmalloc(3 * (3000 + 300) + 100);
			uint8_t types[3];
			uint64_t seq = tg_test_rand() >> 3;

			tg_test_fill(key, sizeof(key));
			tg_test_fill(iv, sizeof(iv));
			off[0] = pre;
			tg_test_fill(stream, pre);
			for (int i = 0; i < 3; i++) {
				lens[i] = i == 2 ? 0 : rnd(3000);
				types[i] = x_type();
				pt[i] = xmalloc(lens[i]);
				tg_test_fill(pt[i], lens[i]);
				off[i + 1] = off[i] +
					     ref_seal(v, s, key, iv, seq + (uint64_t)i,
						      types[i], (uint8_t)(i * 5),
						      pt[i], lens[i],
						      stream + off[i]);
			}
			total = off[3] + 20;
			tg_test_fill(stream + off[3], 20);
			for (unsigned b = 0; b < g_nb; b++) {
				struct tg_keys k;
				struct tg_accel_sess *o;

				if (!has(b, s))
					continue;
				k = mk_keys(v, s, TG_DIR_OPEN, key, iv, seq);
				for (int form = 0; form < 2; form++) {
					struct tg_rec r[3], *rp[3];
					struct rte_mbuf *m = NULL;
					uint8_t *buf = NULL;
					uint16_t got;

					o = sess_on(g_acc, b, &k);
					if (form == 0) {
						buf = xmalloc(total);
						memcpy(buf, stream, total);
					} else {
						m = chain_new(stream, total, 0, 0,
							      RTE_PKTMBUF_HEADROOM,
							      0, 32);
					}
					for (int i = 0; i < 3; i++) {
						memset(&r[i], 0, sizeof(r[i]));
						r[i].sess = o;
						r[i].m = m;
						r[i].buf = buf;
						r[i].cap = total;
						r[i].rec_off = off[i];
						r[i].rec_len = off[i + 1] - off[i];
						rp[i] = &r[i];
					}
					got = tg_accel_open_burst(rp, 3);
					EXPECT(got == 3, "%s %s on %s form %d: %u of "
					       "3 records in one packet",
					       vname(v), tg_suite_name(s),
					       tg_accel_backend_name(g_acc, b), form,
					       got);
					for (int i = 0; i < 3; i++) {
						uint8_t *out = xmalloc(lens[i]);

						CU_ASSERT(r[i].status == TG_REC_OK &&
							  r[i].len == lens[i] &&
							  r[i].type == types[i] &&
							  r[i].seq == seq + (uint64_t)i);
						if (r[i].len == lens[i]) {
							if (form == 0)
								memcpy(out, buf + r[i].off,
								       lens[i]);
							else
								CU_ASSERT(chain_read(
									m, r[i].off,
									lens[i], out));
							CU_ASSERT(lens[i] == 0 ||
								  memcmp(out, pt[i],
									 lens[i]) == 0);
						}
						free(out);
					}
					/* bytes between the records untouched */
					if (form == 0)
						CU_ASSERT(memcmp(buf, stream, pre) == 0 &&
							  memcmp(buf + off[3],
								 stream + off[3],
								 20) == 0);
					free(buf);
					rte_pktmbuf_free(m);
					tg_accel_sess_free(o);
				}
			}
			for (int i = 0; i < 3; i++)
				free(pt[i]);
			free(stream);
		}
	}
}

/* mbuf chains with empty segments (first, middle, last) seal and open. */
static void test_empty_segments(void)
{
	for (unsigned vi = 0; vi < 2; vi++) {
		for (unsigned s = 0; s < TG_SUITE__COUNT; s++) {
			uint16_t v = versions[vi];
			uint8_t key[32], iv[12], pt[300], ref[700], out[700];
			uint32_t refl, hdr = tg_accel_hdr_len_for(v, s);
			uint64_t seq = 5;

			tg_test_fill(key, sizeof(key));
			tg_test_fill(iv, sizeof(iv));
			tg_test_fill(pt, sizeof(pt));
			refl = ref_seal(v, s, key, iv, seq, TG_CT_APPLICATION_DATA,
					2, pt, sizeof(pt), ref);
			for (unsigned b = 0; b < g_nb; b++) {
				/* plaintext: 0 | 100 | 0 | 0 | 200 | 0 */
				static const uint32_t psz[] = { 0, 100, 0, 0, 200, 0 };
				struct tg_keys ks, ko;
				struct tg_accel_sess *se, *o;
				struct tg_rec r, *rp = &r;
				uint32_t rsz[8], n = 0, left = refl;
				uint8_t st;

				if (!has(b, s))
					continue;
				ks = mk_keys(v, s, TG_DIR_SEAL, key, iv, seq);
				ko = mk_keys(v, s, TG_DIR_OPEN, key, iv, seq);
				se = sess_on(g_acc, b, &ks);
				o = sess_on(g_acc, b, &ko);
				memset(&r, 0, sizeof(r));
				r.sess = se;
				r.type = TG_CT_APPLICATION_DATA;
				r.pad = 2;
				r.m = chain_from_sizes(pt, psz, 6,
						       RTE_PKTMBUF_HEADROOM);
				CU_ASSERT_EQUAL(tg_accel_seal_burst(&rp, 1),
						r.status == TG_REC_OK ? 1 : 0);
				st = r.status;
				EXPECT(st == TG_REC_OK && r.rec_len == refl &&
					       chain_read(r.m, 0, refl, out) &&
					       memcmp(out, ref, refl) == 0,
				       "%s %s on %s: seal with empty segments: %s",
				       vname(v), tg_suite_name(s),
				       tg_accel_backend_name(g_acc, b),
				       tg_rec_status_name(st));
				rte_pktmbuf_free(r.m);

				/* the record: header | 0 | rest... | 0 | tag
				 * split with empty segments in between */
				rsz[n++] = hdr;
				rsz[n++] = 0;
				rsz[n++] = 150;
				rsz[n++] = 0;
				left -= hdr + 150;
				rsz[n++] = left - 8;
				rsz[n++] = 0;
				rsz[n++] = 8;
				rsz[n++] = 0;
				memset(&r, 0, sizeof(r));
				r.sess = o;
				r.m = chain_from_sizes(ref, rsz, n,
						       RTE_PKTMBUF_HEADROOM);
				r.rec_len = refl;
				CU_ASSERT_EQUAL(tg_accel_open_burst(&rp, 1),
						r.status == TG_REC_OK ? 1 : 0);
				st = r.status;
				EXPECT(st == TG_REC_OK && r.len == sizeof(pt) &&
					       chain_read(r.m, r.off, r.len, out) &&
					       memcmp(out, pt, sizeof(pt)) == 0,
				       "%s %s on %s: open with empty segments: %s",
				       vname(v), tg_suite_name(s),
				       tg_accel_backend_name(g_acc, b),
				       tg_rec_status_name(st));
				rte_pktmbuf_free(r.m);
				tg_accel_sess_free(se);
				tg_accel_sess_free(o);
			}
		}
	}
}


/*
 * Contiguous open: the record must lie within cap, as an mbuf record must
 * lie within the packet (TG_REC_E_INVAL, "bad layout"); nothing is read
 * or written past cap and the sequence number is not taken.
 */
static void test_open_within_cap(void)
{
	for (unsigned vi = 0; vi < 2; vi++) {
		for (unsigned s = 0; s < TG_SUITE__COUNT; s++) {
			uint16_t v = versions[vi];
			uint8_t key[32], iv[12], pt[64], rec[128];
			uint32_t rl;

			tg_test_fill(key, sizeof(key));
			tg_test_fill(iv, sizeof(iv));
			tg_test_fill(pt, sizeof(pt));
			rl = ref_seal(v, s, key, iv, 3, TG_CT_APPLICATION_DATA, 0,
				      pt, sizeof(pt), rec);
			for (unsigned b = 0; b < g_nb; b++) {
				struct tg_keys k;
				struct tg_accel_sess *o;
				/* 1 byte short, a tag short, all of it */
				const uint32_t short_by[3] = { 1, 16, rl };

				if (!has(b, s))
					continue;
				k = mk_keys(v, s, TG_DIR_OPEN, key, iv, 3);
				o = sess_on(g_acc, b, &k);
				for (int i = 0; i < 4; i++) {
					/* the memory is all there, cap says less */
					uint8_t buf[256];
					struct tg_rec r = { .sess = o, .buf = buf,
							    .rec_off = 7,
							    .rec_len = rl };
					struct tg_rec *rp = &r;
					uint16_t got;

					memset(buf, 0x5c, sizeof(buf));
					memcpy(buf + 7, rec, rl);
					r.cap = i < 3 ? 7 + rl - short_by[i] : 7 + rl;
					got = tg_accel_open_burst(&rp, 1);
					if (i < 3) {
						EXPECT(got == 0 &&
							       r.status == TG_REC_E_INVAL &&
							       tg_accel_sess_seq(o) == 3 &&
							       memcmp(buf + 7, rec, rl) == 0,
						       "%s %s on %s: record %u bytes "
						       "past cap: %s", vname(v),
						       tg_suite_name(s),
						       tg_accel_backend_name(g_acc, b),
						       short_by[i],
						       tg_rec_status_name(r.status));
					} else {
						CU_ASSERT(got == 1 &&
							  r.status == TG_REC_OK &&
							  r.len == sizeof(pt) &&
							  memcmp(buf + r.off, pt,
								 sizeof(pt)) == 0);
					}
				}
				tg_accel_sess_free(o);
			}
		}
	}
}

/*
 * The cryptodev backend's linearisation path ("nosgl"), on crypto vdevs of
 * its own (a device already open is shared and keeps its options): bursts
 * of multi-segment records, more than its 16 slots per round, sealed byte
 * for byte as the reference and opened. Options follow '+' (tg_accel.h);
 * one spec goes through conf.backends, the other through conf.force.
 */
static void test_cryptodev_linearised(void)
{
	static const char *const specs[] = {
		"cryptodev:crypto_aesni_mb_tglin+nosgl",
		"cryptodev:crypto_openssl_tglin+nosgl+sessions=64",
	};
	unsigned ran = 0;

	for (size_t sp = 0; sp < sizeof(specs) / sizeof(specs[0]); sp++) {
		char list[128];
		struct tg_accel_conf conf = { .backends = list,
					      .no_calibrate = true };
		struct tg_accel *acc = NULL;
		unsigned cb;
		int f;
		tg_result res;

		if (sp == 0) {
			snprintf(list, sizeof(list), "evp,%s", specs[sp]);
		} else {
			snprintf(list, sizeof(list), "evp");
			conf.force = specs[sp];
		}

		if (tg_accel_backend_find(g_acc, "cryptodev:crypto_openssl") < 0 &&
		    tg_accel_backend_find(g_acc, "cryptodev:crypto_aesni_mb") < 0)
			break; /* no cryptodev backend compiled in or no PMD */
		res = tg_accel_create(&conf, &acc);
		if (tg_failed(res)) {
			printf("\n  %s: not available (%s) ", specs[sp],
			       tg_strerror(res.code));
			continue;
		}
		CU_ASSERT_EQUAL(tg_accel_backend_count(acc), 2);
		f = tg_accel_backend_find(acc, specs[sp]);
		CU_ASSERT_FATAL(f >= 0);
		cb = (unsigned)f;
		for (unsigned s = 0; s < TG_SUITE__COUNT; s++) {
			for (unsigned vi = 0; vi < 2; vi++) {
				enum { N = 40 };
				uint16_t v = versions[vi];
				uint8_t key[32], iv[12];
				struct tg_keys ks, ko;
				struct tg_accel_sess *se, *o;
				struct tg_rec r[N], *rp[N];
				uint8_t *pt[N], *ref[N];
				uint32_t refl[N], lens[N];
				uint16_t got;

				if (!tg_accel_backend_has(acc, cb, s))
					continue;
				tg_test_fill(key, sizeof(key));
				tg_test_fill(iv, sizeof(iv));
				ks = mk_keys(v, s, TG_DIR_SEAL, key, iv, 100);
				ko = mk_keys(v, s, TG_DIR_OPEN, key, iv, 100);
				se = sess_on(acc, cb, &ks);
				o = sess_on(acc, cb, &ko);
				for (int i = 0; i < N; i++) {
					uint32_t hdr = tg_accel_hdr_len(se);
					uint8_t pad;

					lens[i] = i % 10 == 0 ? TG_REC_MAX_PLAIN :
								rnd(4000);
					/* RFC 8446 §5.4: content + padding <= 2^14 */
					pad = lens[i] + 4 <= TG_REC_MAX_PLAIN ? 4 : 0;
					pt[i] = xmalloc(lens[i]);
					tg_test_fill(pt[i], lens[i]);
					ref[i] = xmalloc(lens[i] + 300);
					refl[i] = ref_seal(v, s, key, iv,
							   100 + (uint64_t)i,
							   TG_CT_HANDSHAKE, pad, pt[i],
							   lens[i], ref[i]);
					memset(&r[i], 0, sizeof(r[i]));
					r[i].sess = se;
					r[i].type = TG_CT_HANDSHAKE;
					r[i].pad = pad;
					if (i % 3 == 2) { /* contiguous too */
						r[i].cap = hdr + lens[i] + 300;
						r[i].buf = xmalloc(r[i].cap);
						r[i].off = hdr;
						r[i].len = lens[i];
						if (lens[i])
							memcpy(r[i].buf + hdr, pt[i],
							       lens[i]);
					} else {
						r[i].m = chain_new(pt[i], lens[i], 0,
								   0, RTE_PKTMBUF_HEADROOM,
								   300, 32);
					}
					rp[i] = &r[i];
				}
				got = tg_accel_seal_burst(rp, N);
				EXPECT(got == N, "%s %s %s: sealed %u of %u",
				       specs[sp], vname(v), tg_suite_name(s), got,
				       N);
				for (int i = 0; i < N; i++) {
					uint8_t *out = xmalloc(refl[i]);
					bool ok = r[i].status == TG_REC_OK &&
						  r[i].rec_len == refl[i];

					if (ok && r[i].m != NULL)
						ok = chain_read(r[i].m, 0, refl[i],
								out);
					else if (ok)
						memcpy(out, r[i].buf + r[i].rec_off,
						       refl[i]);
					EXPECT(ok && memcmp(out, ref[i], refl[i]) == 0,
					       "%s %s %s: record %d (%u bytes) "
					       "differs from the reference: %s",
					       specs[sp], vname(v), tg_suite_name(s),
					       i, lens[i],
					       tg_rec_status_name(r[i].status));
					free(out);
					/* open the record in place */
					r[i].sess = o;
					rp[i] = &r[i];
				}
				got = tg_accel_open_burst(rp, N);
				EXPECT(got == N, "%s %s %s: opened %u of %u",
				       specs[sp], vname(v), tg_suite_name(s), got,
				       N);
				for (int i = 0; i < N; i++) {
					uint8_t *out = xmalloc(lens[i]);
					bool ok = r[i].status == TG_REC_OK &&
						  r[i].len == lens[i] &&
						  r[i].type == TG_CT_HANDSHAKE;

					if (ok && r[i].m != NULL)
						ok = chain_read(r[i].m, r[i].off,
								lens[i], out);
					else if (ok && lens[i])
						memcpy(out, r[i].buf + r[i].off,
						       lens[i]);
					CU_ASSERT(ok && (lens[i] == 0 ||
							 memcmp(out, pt[i],
								lens[i]) == 0));
					free(out);
					free(pt[i]);
					free(ref[i]);
					free(r[i].buf);
					rte_pktmbuf_free(r[i].m);
				}
				tg_accel_sess_free(se);
				tg_accel_sess_free(o);
				ran++;
			}
		}
		tg_accel_destroy(acc);
	}
	printf("\n  %u linearised cryptodev runs ", ran);
}

/* ==== concurrency: bursts from two threads at once ======================== */

struct thr {
	struct tg_accel *acc;
	unsigned nrec;
	uint64_t rng;
	unsigned errors, sealed, opened;
	uint64_t bytes;
};

static uint32_t thr_rnd(struct thr *t, uint32_t n)
{
	t->rng ^= t->rng >> 12;
	t->rng ^= t->rng << 25;
	t->rng ^= t->rng >> 27;
	return (uint32_t)((t->rng * 0x2545F4914F6CDD1DULL) >> 33) % n;
}

/*
 * One thread: sessions of every backend x suite x version of its own,
 * bursts of 8 random records sealed then opened; no CUnit calls here
 * (CUnit is not thread safe): errors are counted.
 */
static void *thr_main(void *arg)
{
	struct thr *t = arg;
	struct tg_accel_sess *se[MAXB * 6], *op[MAXB * 6];
	unsigned np = 0, nb = tg_accel_backend_count(t->acc);
	enum { K = 8, MAXL = 3000 };
	uint8_t *bufs = malloc((size_t)K * (MAXL + 300));
	uint8_t *pts = malloc((size_t)K * MAXL);

	if (bufs == NULL || pts == NULL) {
		t->errors++;
		free(bufs);
		free(pts);
		return NULL;
	}
	for (unsigned b = 0; b < nb; b++)
		for (unsigned s = 0; s < TG_SUITE__COUNT; s++)
			for (unsigned vi = 0; vi < 2; vi++) {
				struct tg_keys k;
				uint8_t key[32], iv[12];

				if (!tg_accel_backend_has(t->acc, b, s))
					continue;
				for (unsigned i = 0; i < 32; i++)
					key[i] = (uint8_t)thr_rnd(t, 256);
				for (unsigned i = 0; i < 12; i++)
					iv[i] = (uint8_t)thr_rnd(t, 256);
				k = mk_keys(versions[vi], s, TG_DIR_SEAL, key, iv,
					    thr_rnd(t, 1000));
				if (tg_failed(tg_accel_sess_create_on(t->acc, &k, b,
								      &se[np]))) {
					t->errors++;
					continue;
				}
				k.dir = TG_DIR_OPEN;
				if (tg_failed(tg_accel_sess_create_on(t->acc, &k, b,
								      &op[np]))) {
					tg_accel_sess_free(se[np]);
					t->errors++;
					continue;
				}
				np++;
			}
	for (unsigned done = 0; np > 0 && done < t->nrec; done += K) {
		struct tg_rec r[K], *rp[K];
		unsigned pick[K];

		for (unsigned i = 0; i < K; i++) {
			uint8_t *pt = pts + (size_t)i * MAXL;
			uint32_t len = thr_rnd(t, MAXL + 1);
			uint32_t hdr;

			pick[i] = thr_rnd(t, np);
			hdr = tg_accel_hdr_len(se[pick[i]]);
			for (uint32_t j = 0; j < len; j++)
				pt[j] = (uint8_t)thr_rnd(t, 256);
			memset(&r[i], 0, sizeof(r[i]));
			r[i].sess = se[pick[i]];
			r[i].buf = bufs + (size_t)i * (MAXL + 300);
			r[i].cap = MAXL + 300;
			r[i].off = hdr;
			r[i].len = len;
			r[i].type = TG_CT_APPLICATION_DATA;
			r[i].pad = (uint8_t)thr_rnd(t, 30);
			memcpy(r[i].buf + hdr, pt, len);
			rp[i] = &r[i];
		}
		if (tg_accel_seal_burst(rp, K) != K) {
			t->errors++;
			continue;
		}
		t->sealed += K;
		for (unsigned i = 0; i < K; i++) {
			r[i].sess = op[pick[i]];
			rp[i] = &r[i];
		}
		if (tg_accel_open_burst(rp, K) != K) {
			t->errors++;
			continue;
		}
		for (unsigned i = 0; i < K; i++) {
			const uint8_t *pt = pts + (size_t)i * MAXL;

			if (r[i].type != TG_CT_APPLICATION_DATA ||
			    memcmp(r[i].buf + r[i].off, pt, r[i].len) != 0)
				t->errors++;
			t->bytes += r[i].len;
		}
		t->opened += K;
	}
	for (unsigned i = 0; i < np; i++) {
		tg_accel_sess_free(se[i]);
		tg_accel_sess_free(op[i]);
	}
	free(bufs);
	free(pts);
	return NULL;
}

static void test_threads(void)
{
	struct tg_accel_conf conf = { .backends = "all", .no_calibrate = true };
	struct tg_accel *acc = NULL;
	struct thr t[2];
	pthread_t th;
	uint64_t sealed = 0, opened = 0, bytes = 0;

	TG_ASSERT_OK(tg_accel_create(&conf, &acc));
	for (int i = 0; i < 2; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].acc = acc;
		t[i].nrec = 800;
		t[i].rng = tg_test_rand() | 1;
	}
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, thr_main, &t[1]), 0);
	thr_main(&t[0]); /* the EAL main lcore, while a non-EAL thread runs */
	CU_ASSERT_EQUAL(pthread_join(th, NULL), 0);
	for (int i = 0; i < 2; i++) {
		EXPECT(t[i].errors == 0 && t[i].sealed == t[i].nrec &&
			       t[i].opened == t[i].nrec,
		       "thread %d: %u errors, %u sealed, %u opened", i,
		       t[i].errors, t[i].sealed, t[i].opened);
	}
	for (unsigned b = 0; b < tg_accel_backend_count(acc); b++) {
		struct tg_accel_stats st;

		tg_accel_backend_stats(acc, b, &st);
		sealed += st.sealed;
		opened += st.opened;
		bytes += st.opened_bytes;
		CU_ASSERT_EQUAL(st.failed, 0);
	}
	CU_ASSERT_EQUAL(sealed, (uint64_t)t[0].sealed + t[1].sealed);
	CU_ASSERT_EQUAL(opened, (uint64_t)t[0].opened + t[1].opened);
	CU_ASSERT_EQUAL(bytes, t[0].bytes + t[1].bytes);
	tg_accel_destroy(acc);
}

/* The backends this test binary asks for are all there: a crypto PMD
 * that fails to probe only logs, and every other test would then pass on
 * fewer backends without a word. */
static void test_backends_present(void)
{
	static const char *const want[] = {
#ifdef TG_HAVE_IPSECMB
		"ipsecmb",
#endif
		"cryptodev:crypto_aesni_mb", "cryptodev:crypto_openssl", "evp",
	};

#ifdef TG_HAVE_SIMD
	/* simd: where the CPU runs a kernel, the backend is there with it */
	if (tg_simd_cpu_chacha() || tg_simd_cpu_gcm()) {
		int b = tg_accel_backend_find(g_acc, "simd");

		CU_ASSERT(b >= 0);
		if (b >= 0) {
			bool gcm = tg_simd_cpu_gcm();

			CU_ASSERT_EQUAL(has((unsigned)b, TG_SUITE_CHACHA20POLY1305),
					tg_simd_cpu_chacha());
			CU_ASSERT_EQUAL(has((unsigned)b, TG_SUITE_AES128GCM), gcm);
			CU_ASSERT_EQUAL(has((unsigned)b, TG_SUITE_AES256GCM), gcm);
		}
	} else {
		printf("  (CPU without AVX2: simd backend not expected)\n");
	}
#endif

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int b = tg_accel_backend_find(g_acc, want[i]);

		if (b < 0)
			fprintf(stderr, "backend %s is missing\n", want[i]);
		CU_ASSERT(b >= 0);
	}
	/* the openssl PMD of DPDK 22.11 has no ChaCha20-Poly1305 */
	CU_ASSERT_TRUE(has((unsigned)tg_accel_backend_find(g_acc, "evp"),
			   TG_SUITE_CHACHA20POLY1305));
}

#ifdef TG_HAVE_SIMD
/* One simd kernel call: ChaCha20-Poly1305 or AES-GCM by suite. */
static void simd_kernel(enum tg_suite su, struct tg_simd_gcm_key *K,
			const uint8_t *key, const uint8_t nonce[12],
			const uint8_t *aad, size_t aad_len,
			const struct tg_iov *seg, unsigned nseg, int seal,
			uint8_t tag[16])
{
	if (su == TG_SUITE_CHACHA20POLY1305)
		tg_simd_cc20p(key, nonce, aad, aad_len, seg, nseg, seal, tag);
	else
		tg_simd_gcm(K, nonce, aad, aad_len, seg, nseg, seal, tag);
}

/*
 * The simd kernels alone, against libcrypto, per suite: every payload
 * length up to 1100 bytes and a spread of longer ones, AAD of 0 to 40
 * bytes (the record layer only uses 5 and 13), the payload cut into up to
 * 6 pieces at random points (block, pass and chunk boundaries fall inside
 * and between pieces), each piece in its own allocation, sealed and
 * opened, then opened again in one piece; a flipped bit of the AAD or the
 * ciphertext changes the tag. Skipped where the CPU lacks the
 * instructions (the backend does not offer the suite there).
 */
static void simd_kernel_suite(enum tg_suite su)
{
	enum { MAXLEN = 16384 + 700 };
	uint8_t *pt = xmalloc(MAXLEN), *ref = xmalloc(MAXLEN),
		*io = xmalloc(MAXLEN);
	uint8_t key[32], nonce[12], aad[40], tag_ref[16], tag[16], tag2[16];
	unsigned cases = 0, bad = 0;
	unsigned key_len = tg_suite_key_len(su);
	struct tg_simd_gcm_key *K = NULL;
	int b = tg_accel_backend_find(g_acc, "simd");

	if (b < 0 || !has((unsigned)b, su)) {
		printf("  (simd has no %s on this CPU: not run)\n",
		       tg_suite_name(su));
		goto out;
	}
	if (su != TG_SUITE_CHACHA20POLY1305) {
		K = tg_simd_gcm_key_new();
		CU_ASSERT_FATAL(K != NULL);
	}
	for (uint32_t len = 0; len < MAXLEN; len += len < 1100 ? 1 : 37 + rnd(400)) {
		struct tg_iov seg[6];
		unsigned nseg = 0;
		uint32_t off = 0;
		int aad_len = (int)rnd(sizeof(aad) + 1);

		for (size_t i = 0; i < sizeof(key); i++)
			key[i] = (uint8_t)rnd(256);
		for (size_t i = 0; i < sizeof(nonce); i++)
			nonce[i] = (uint8_t)rnd(256);
		for (size_t i = 0; i < sizeof(aad); i++)
			aad[i] = (uint8_t)rnd(256);
		for (uint32_t i = 0; i < len; i++)
			pt[i] = (uint8_t)rnd(256);
		if (K != NULL)
			tg_simd_gcm_init(K, key, key_len);
		CU_ASSERT_FATAL(ref_aead(su, 1, key, nonce, aad, aad_len, pt,
					 (int)len, ref, tag_ref) == 1);
		/* pieces: random cuts, some on 64-byte multiples, each in a
		 * block of its own of exactly its size (ASan sees an overrun
		 * of one piece; no two pieces are adjacent in memory) */
		while (nseg < 5 && off < len && rnd(4) != 0) {
			uint32_t k = rnd(2) ? rnd(len - off + 1)
					    : 64 * rnd((len - off) / 64 + 1);

			seg[nseg++] = (struct tg_iov){ pt + off, k };
			off += k;
		}
		seg[nseg++] = (struct tg_iov){ pt + off, len - off };
		for (unsigned i = 0; i < nseg; i++) {
			uint8_t *q = xmalloc(seg[i].n ? seg[i].n : 1);

			memcpy(q, seg[i].p, seg[i].n);
			seg[i].p = q;
		}
		simd_kernel(su, K, key, nonce, aad, (size_t)aad_len, seg, nseg,
			    1, tag);
		off = 0;
		bool same = memcmp(tag, tag_ref, 16) == 0;
		for (unsigned i = 0; i < nseg; off += seg[i].n, i++)
			same = same && memcmp(seg[i].p, ref + off, seg[i].n) == 0;
		if (!same) {
			EXPECT(false, "simd %s seal len %u aad %d pieces %u "
			       "differs from libcrypto", tg_suite_name(su), len,
			       aad_len, nseg);
			bad++;
		}
		/* open the same pieces: plaintext back, same tag */
		simd_kernel(su, K, key, nonce, aad, (size_t)aad_len, seg, nseg,
			    0, tag2);
		off = 0;
		same = memcmp(tag2, tag_ref, 16) == 0;
		for (unsigned i = 0; i < nseg; off += seg[i].n, i++) {
			same = same && memcmp(seg[i].p, pt + off, seg[i].n) == 0;
			free(seg[i].p);
		}
		if (!same) {
			EXPECT(false, "simd %s open len %u aad %d pieces %u",
			       tg_suite_name(su), len, aad_len, nseg);
			bad++;
		}
		/* open in one piece: plaintext back, same tag */
		memcpy(io, ref, len);
		seg[0] = (struct tg_iov){ io, len };
		simd_kernel(su, K, key, nonce, aad, (size_t)aad_len, seg, 1, 0,
			    tag2);
		if (memcmp(io, pt, len) != 0 || memcmp(tag2, tag_ref, 16) != 0) {
			EXPECT(false, "simd %s open len %u aad %d",
			       tg_suite_name(su), len, aad_len);
			bad++;
		}
		/* a flipped bit in the AAD or the ciphertext changes the tag */
		memcpy(io, ref, len);
		if (len > 0 && rnd(2))
			io[rnd(len)] ^= (uint8_t)(1u << rnd(8));
		else if (aad_len > 0)
			aad[rnd((uint32_t)aad_len)] ^= (uint8_t)(1u << rnd(8));
		else
			continue;
		simd_kernel(su, K, key, nonce, aad, (size_t)aad_len, seg, 1, 0,
			    tag2);
		EXPECT(memcmp(tag2, tag_ref, 16) != 0, "simd %s tamper len %u "
		       "not seen", tg_suite_name(su), len);
		cases++;
	}
	CU_ASSERT(cases > 1000);
	CU_ASSERT_EQUAL(bad, 0);
out:
	tg_simd_gcm_key_free(K);
	free(pt);
	free(ref);
	free(io);
}

static void test_simd_kernels(void)
{
	simd_kernel_suite(TG_SUITE_CHACHA20POLY1305);
	simd_kernel_suite(TG_SUITE_AES128GCM);
	simd_kernel_suite(TG_SUITE_AES256GCM);
}
#endif

/* ==== asynchronous queues ===================================================== */

/* One record of the asynchronous tests: the same plaintext sealed through
 * a queue (r) and by the synchronous burst call (sr, on a session with
 * the same keys), contiguous or as an mbuf chain. */
struct arec {
	uint8_t *pt;
	uint32_t len;
	unsigned fl;      /* its flow */
	struct tg_rec r, sr;
	uint8_t *ct;      /* the queue's record bytes, once sealed */
	uint32_t ct_len;
};

/* An asynchronous test flow: seal/open sessions through the queue, and
 * the synchronous twins with the same keys. */
struct aflow {
	struct tg_accel_sess *seal, *open, *sseal, *sopen;
	uint64_t seq0;
	struct tg_keys k; /* the open direction's */
};

/* Submit all @p n records (seal or open) as the queue takes them, poll
 * until every one is back (at most 10 s); the polled ones in @p out, in
 * the order they came. Returns how many came back. */
static unsigned q_run(struct tg_accel_q *q, bool seal, struct tg_rec **rp,
		      unsigned n, struct tg_rec **out, unsigned *max_infl)
{
	unsigned sub = 0, got = 0;
	double t0 = now_s();

	while (got < n && now_s() - t0 < 10) {
		if (sub < n) {
			uint16_t k = (uint16_t)RTE_MIN(n - sub, 200u);

			sub += seal ? tg_accel_seal_submit(q, rp + sub, k)
				    : tg_accel_open_submit(q, rp + sub, k);
		}
		if (max_infl != NULL && tg_accel_q_inflight(q) > *max_infl)
			*max_infl = tg_accel_q_inflight(q);
		got += tg_accel_poll(q, out + got, (uint16_t)RTE_MIN(n - got, 64u));
	}
	return got;
}

/* The bytes of a sealed record (either form) into a new buffer. */
static uint8_t *rec_bytes(const struct tg_rec *r)
{
	uint8_t *out = xmalloc(r->rec_len);

	if (r->m != NULL) {
		CU_ASSERT(chain_read(r->m, r->rec_off, r->rec_len, out));
	} else {
		memcpy(out, r->buf + r->rec_off, r->rec_len);
	}
	return out;
}

/* Prepare record @p x of flow @p f for sealing, twice (queue, burst). */
static void arec_init(struct arec *x, struct aflow *f, unsigned fl,
		      uint32_t len, bool mbuf, uint8_t pad)
{
	uint32_t hdr = tg_accel_hdr_len(f->seal);
	uint32_t tail = tg_accel_tail_len(f->seal, pad);

	memset(x, 0, sizeof(*x));
	x->fl = fl;
	x->len = len;
	x->pt = xmalloc(len);
	tg_test_fill(x->pt, len);
	for (int w = 0; w < 2; w++) {
		struct tg_rec *r = w == 0 ? &x->r : &x->sr;

		r->sess = w == 0 ? f->seal : f->sseal;
		r->type = TG_CT_APPLICATION_DATA;
		r->pad = pad;
		r->udata = x;
		if (mbuf) {
			r->m = chain_new(x->pt, len, 0, 0, (uint16_t)(hdr + 8),
					 (uint16_t)tail, 4);
		} else {
			r->cap = hdr + len + tail + 8;
			r->buf = xmalloc(r->cap);
			r->off = hdr;
			r->len = len;
			if (len)
				memcpy(r->buf + hdr, x->pt, len);
		}
	}
}

static void arec_free(struct arec *x)
{
	free(x->pt);
	free(x->ct);
	free(x->r.buf);
	free(x->sr.buf);
	rte_pktmbuf_free(x->r.m);
	rte_pktmbuf_free(x->sr.m);
	memset(x, 0, sizeof(*x));
}

static void aflow_init(struct aflow *f, struct tg_accel *acc, unsigned b,
		       uint16_t v, enum tg_suite s)
{
	uint8_t key[32], iv[12];
	struct tg_keys k;

	tg_test_fill(key, sizeof(key));
	tg_test_fill(iv, sizeof(iv));
	f->seq0 = rnd(1000);
	k = mk_keys(v, s, TG_DIR_SEAL, key, iv, f->seq0);
	f->seal = sess_on(acc, b, &k);
	f->sseal = sess_on(acc, b, &k);
	k.dir = TG_DIR_OPEN;
	f->open = sess_on(acc, b, &k);
	f->sopen = sess_on(acc, b, &k);
	f->k = k;
	tg_wipe(&k, sizeof(k));
}

static void aflow_free(struct aflow *f)
{
	tg_accel_sess_free(f->seal);
	tg_accel_sess_free(f->open);
	tg_accel_sess_free(f->sseal);
	tg_accel_sess_free(f->sopen);
}

/*
 * @p n records of @p nf interleaved flows on backend @p b of @p acc,
 * sealed through queue @p q and by the burst call: every record comes
 * back in submission order, byte for byte as the burst sealed it; then
 * opened through the queue, in order, to the plaintext. Returns the
 * records seen in flight at once at most.
 */
static unsigned async_roundtrip(struct tg_accel *acc, struct tg_accel_q *q,
				unsigned b, uint16_t v, enum tg_suite s,
				unsigned n, unsigned nf, const char *what)
{
	enum { NF = 4, NMAX = 300 };
	struct aflow fl[NF];
	struct arec *x = calloc(NMAX, sizeof(*x));
	struct tg_rec *rp[NMAX], *srp[NMAX], *out[NMAX];
	unsigned got, max_infl = 0, bad = 0;

	CU_ASSERT_FATAL(x != NULL && n <= NMAX && nf <= NF);
	for (unsigned f = 0; f < nf; f++)
		aflow_init(&fl[f], acc, b, v, s);
	for (unsigned i = 0; i < n; i++) {
		unsigned f = rnd(nf);
		uint32_t len = i % 17 == 5 ? TG_REC_MAX_PLAIN - 8 : rnd(2500);

		arec_init(&x[i], &fl[f], f, len, i % 5 == 4,
			  v == TG_TLS13 ? (uint8_t)rnd(8) : 0);
		rp[i] = &x[i].r;
		srp[i] = &x[i].sr;
	}
	got = q_run(q, true, rp, n, out, &max_infl);
	EXPECT(got == n, "%s: %u of %u sealed records came back", what, got, n);
	CU_ASSERT_EQUAL(tg_accel_seal_burst(srp, (uint16_t)n), n);
	for (unsigned i = 0; i < got; i++) {
		struct arec *y = out[i]->udata;

		if (out[i] != &x[i].r || y->r.status != TG_REC_OK) {
			bad++;
			continue;
		}
		y->ct_len = y->r.rec_len;
		y->ct = rec_bytes(&y->r);
		if (y->r.rec_len != y->sr.rec_len || y->r.seq != y->sr.seq) {
			bad++;
		} else {
			uint8_t *sb = rec_bytes(&y->sr);

			bad += memcmp(sb, y->ct, y->ct_len) != 0;
			free(sb);
		}
	}
	EXPECT(bad == 0, "%s: %u records out of order, failed or not as the "
	       "burst sealed them", what, bad);
	/* open them through the queue, in place */
	for (unsigned i = 0; i < n; i++) {
		struct tg_rec *r = &x[i].r;

		r->sess = fl[x[i].fl].open;
		rp[i] = r;
	}
	got = q_run(q, false, rp, n, out, &max_infl);
	EXPECT(got == n, "%s: %u of %u opened records came back", what, got, n);
	bad = 0;
	for (unsigned i = 0; i < got; i++) {
		struct tg_rec *r = out[i];
		uint8_t *pt = xmalloc(x[i].len);

		if (r != &x[i].r || r->status != TG_REC_OK || r->len != x[i].len ||
		    r->type != TG_CT_APPLICATION_DATA) {
			bad++;
		} else {
			if (r->m != NULL) {
				CU_ASSERT(chain_read(r->m, r->off, r->len, pt));
			} else if (r->len) {
				memcpy(pt, r->buf + r->off, r->len);
			}
			bad += r->len != 0 && memcmp(pt, x[i].pt, r->len) != 0;
		}
		free(pt);
	}
	EXPECT(bad == 0, "%s: %u records not opened to their plaintext", what,
	       bad);
	for (unsigned f = 0; f < nf; f++) {
		/* every sequence number used once, in order */
		unsigned cnt = 0;

		for (unsigned i = 0; i < n; i++)
			cnt += x[i].fl == f;
		CU_ASSERT_EQUAL(tg_accel_sess_seq(fl[f].seal), fl[f].seq0 + cnt);
		CU_ASSERT_EQUAL(tg_accel_sess_seq(fl[f].open), fl[f].seq0 + cnt);
		aflow_free(&fl[f]);
	}
	for (unsigned i = 0; i < n; i++)
		arec_free(&x[i]);
	free(x);
	CU_ASSERT_EQUAL(tg_accel_q_inflight(q), 0);
	return max_infl;
}

/*
 * Every backend through one queue: cryptodev (crypto_aesni_mb and
 * crypto_openssl) asynchronously, ipsecmb, simd and evp done at submit;
 * each record byte for byte as the burst call seals it, back in
 * submission order, then opened.
 */
static void test_async_every_backend(void)
{
	struct tg_accel_q *q = NULL;
	unsigned ran = 0;
	bool cdev = false;

	TG_ASSERT_OK(tg_accel_q_create(g_acc, 128, &q));
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT_EQUAL(tg_accel_q_room(q), 128);
	for (unsigned b = 0; b < g_nb; b++)
		cdev |= strncmp(tg_accel_backend_name(g_acc, b), "cryptodev:", 10) == 0;
	CU_ASSERT_EQUAL(tg_accel_q_async(q), cdev);
	for (unsigned b = 0; b < g_nb; b++) {
		for (unsigned s = 0; s < TG_SUITE__COUNT; s++) {
			for (unsigned vi = 0; vi < 2; vi++) {
				char what[128];
				unsigned infl;

				if (!has(b, s))
					continue;
				snprintf(what, sizeof(what), "%s %s %s",
					 tg_accel_backend_name(g_acc, b),
					 tg_suite_name(s), vname(versions[vi]));
				infl = async_roundtrip(g_acc, q, b, versions[vi],
						       s, 160, 3, what);
				/* the queue takes as much as it has room for */
				CU_ASSERT(infl >= 100);
				ran++;
			}
		}
	}
	tg_accel_q_free(q);
	printf("\n  %u backend x suite x version runs ", ran);
	CU_ASSERT(ran >= 6);
}

/*
 * Back-pressure. A full queue takes a prefix and leaves the rest as it
 * was (no sequence number taken); a device queue pair with 4 descriptors
 * (3 ops) refuses most of a burst and the queue holds the rest, in
 * order, until the device takes them: nothing dropped.
 */
static void test_async_backpressure(void)
{
	struct tg_accel_q *q = NULL;
	struct aflow fl;
	struct arec x[20];
	struct tg_rec *rp[20], *out[20];
	int b = tg_accel_backend_find(g_acc, "cryptodev:crypto_aesni_mb");
	struct tg_accel_conf conf = {
		.backends = "cryptodev:crypto_aesni_mb_tgdesc+desc=4",
		.no_calibrate = true };
	struct tg_accel *acc = NULL;
	uint16_t k;

	if (b < 0)
		b = 0;
	TG_ASSERT_OK(tg_accel_q_create(g_acc, 8, &q));
	aflow_init(&fl, g_acc, (unsigned)b, TG_TLS12, TG_SUITE_AES128GCM);
	for (unsigned i = 0; i < 20; i++) {
		arec_init(&x[i], &fl, 0, 100 + i, false, 0);
		x[i].r.status = 0xee; /* untouched past the prefix */
		rp[i] = &x[i].r;
	}
	k = tg_accel_seal_submit(q, rp, 20);
	CU_ASSERT_EQUAL(k, 8);
	CU_ASSERT_EQUAL(tg_accel_q_room(q), 0);
	CU_ASSERT_EQUAL(tg_accel_q_inflight(q), 8);
	CU_ASSERT_EQUAL(tg_accel_sess_seq(fl.seal), fl.seq0 + 8);
	CU_ASSERT_EQUAL(x[8].r.status, 0xee);
	CU_ASSERT_EQUAL(x[8].r.rec_len, 0);
	CU_ASSERT_EQUAL(tg_accel_seal_submit(q, rp + 8, 12), 0);
	CU_ASSERT_EQUAL(tg_accel_seal_submit(q, NULL, 3), 0);
	CU_ASSERT_EQUAL(tg_accel_poll(q, NULL, 0), 0);
	CU_ASSERT_EQUAL(q_run(q, true, rp, 0, out, NULL), 0);
	{
		unsigned got = 0;

		for (int i = 0; i < 1000 && got < 8; i++)
			got += tg_accel_poll(q, out + got, 8);
		CU_ASSERT_EQUAL(got, 8);
	}
	CU_ASSERT_EQUAL(q_run(q, true, rp + 8, 12, out + 8, NULL), 12);
	for (unsigned i = 0; i < 20; i++)
		CU_ASSERT_PTR_EQUAL(out[i], &x[i].r);
	/* the first eight came back too, first */
	CU_ASSERT_EQUAL(tg_accel_q_inflight(q), 0);
	for (unsigned i = 0; i < 20; i++) {
		CU_ASSERT_EQUAL(x[i].r.status, TG_REC_OK);
		CU_ASSERT_EQUAL(x[i].r.seq, fl.seq0 + i);
		rp[i] = &x[i].sr;
	}
	CU_ASSERT_EQUAL(tg_accel_seal_burst(rp, 20), 20);
	for (unsigned i = 0; i < 20; i++)
		CU_ASSERT(x[i].r.rec_len == x[i].sr.rec_len &&
			  memcmp(x[i].r.buf, x[i].sr.buf, x[i].r.rec_len) == 0);
	for (unsigned i = 0; i < 20; i++)
		arec_free(&x[i]);
	aflow_free(&fl);
	tg_accel_q_free(q);

	/* the device's own queue pair full */
	if (tg_accel_backend_find(g_acc, "cryptodev:crypto_aesni_mb") < 0)
		return;
	TG_ASSERT_OK(tg_accel_create(&conf, &acc));
	TG_ASSERT_OK(tg_accel_q_create(acc, 256, &q));
	CU_ASSERT_TRUE(tg_accel_q_async(q));
	CU_ASSERT(async_roundtrip(acc, q, 0, TG_TLS12, TG_SUITE_AES256GCM, 200,
				  4, "crypto_aesni_mb desc=4") >= 100);
	CU_ASSERT(async_roundtrip(acc, q, 0, TG_TLS13,
				  TG_SUITE_CHACHA20POLY1305, 200, 2,
				  "crypto_aesni_mb desc=4") >= 100);
	tg_accel_q_free(q);
	tg_accel_destroy(acc);
}

/*
 * Failures come back from the poll with their status, in their place:
 * framing failures (no room, over 2^14, another engine's session), an op
 * the device fails (fail=3 fault injection: never processed, so the
 * plaintext is still there and the caller must drop it), tampered records
 * (bad_record_mac, payload wiped). The records around them are fine.
 */
static void test_async_failures(void)
{
	static const char *const specs[] = {
		"cryptodev:crypto_openssl_tgfail+fail=3",
		"cryptodev:crypto_aesni_mb_tgfail+fail=3",
	};

	for (size_t sp = 0; sp < sizeof(specs) / sizeof(specs[0]); sp++) {
		struct tg_accel_conf conf = { .backends = specs[sp],
					      .no_calibrate = true };
		struct tg_accel *acc = NULL;
		struct tg_accel_q *q = NULL;
		struct aflow fl, other;
		struct arec x[12];
		struct tg_rec *rp[12], *out[12];
		unsigned nok = 0;

		TG_ASSERT_OK(tg_accel_create(&conf, &acc));
		TG_ASSERT_OK(tg_accel_q_create(acc, 64, &q));
		CU_ASSERT_TRUE_FATAL(tg_accel_q_async(q));
		aflow_init(&fl, acc, 0, TG_TLS12, TG_SUITE_AES128GCM);
		aflow_init(&other, g_acc, 0, TG_TLS12, TG_SUITE_AES128GCM);
		for (unsigned i = 0; i < 12; i++) {
			arec_init(&x[i], &fl, 0, 500, i == 10, 0);
			rp[i] = &x[i].r;
		}
		x[1].r.cap = x[1].r.off + 10;       /* no room for the tag */
		x[4].r.len = TG_REC_MAX_PLAIN + 1;  /* over the limit */
		x[4].r.cap = TG_REC_MAX_PLAIN + 100;
		free(x[4].r.buf);
		x[4].r.buf = xmalloc(x[4].r.cap);
		x[7].r.sess = other.seal;           /* another engine's */
		CU_ASSERT_EQUAL(q_run(q, true, rp, 12, out, NULL), 12);
		for (unsigned i = 0; i < 12; i++) {
			CU_ASSERT_PTR_EQUAL(out[i], &x[i].r);
			if (i == 1)
				CU_ASSERT_EQUAL(x[i].r.status, TG_REC_E_NOROOM);
			if (i == 4)
				CU_ASSERT_EQUAL(x[i].r.status, TG_REC_E_OVERFLOW);
			if (i == 7)
				CU_ASSERT_EQUAL(x[i].r.status, TG_REC_E_INVAL);
			nok += x[i].r.status == TG_REC_OK;
		}
		/* of the nine that reached the device, every third failed,
		 * unprocessed: its plaintext is where it was */
		CU_ASSERT_EQUAL(nok, 6);
		for (unsigned i = 0; i < 12; i++) {
			if (x[i].r.status != TG_REC_E_BACKEND || x[i].r.m != NULL)
				continue;
			CU_ASSERT_EQUAL(memcmp(x[i].r.buf + x[i].r.off, x[i].pt,
					       x[i].len), 0);
		}
		{
			struct tg_accel_stats st;

			tg_accel_backend_stats(acc, 0, &st);
			CU_ASSERT_EQUAL(st.sealed, 6);
			CU_ASSERT_EQUAL(st.failed, 3);
		}
		/* tampered records: bad_record_mac, payload wiped; the
		 * records between them open (each on a session of its own
		 * at its sequence number: a failure is fatal to a session,
		 * and the failed seals took theirs) */
		struct tg_accel_sess *os[12] = { NULL };

		for (unsigned i = 0, j = 0; i < 12; i++) {
			struct tg_rec *r = &x[i].r;
			struct tg_keys k = fl.k;

			if (r->status != TG_REC_OK)
				continue;
			k.seq = r->seq;
			os[j] = sess_on(acc, 0, &k);
			r->sess = os[j];
			if (j % 2 == 1) {
				if (r->m != NULL)
					rte_pktmbuf_mtod_offset(r->m, uint8_t *, 20)[0] ^= 4;
				else
					r->buf[r->rec_off + 20] ^= 4;
			}
			rp[j++] = r;
			nok = j;
		}
		/* the fault injection counts opens too: use it as it comes */
		CU_ASSERT_EQUAL(q_run(q, false, rp, nok, out, NULL), nok);
		for (unsigned j = 0; j < nok; j++) {
			struct tg_rec *r = out[j];

			CU_ASSERT_PTR_EQUAL(r, rp[j]);
			if (j % 2 == 1) {
				CU_ASSERT(r->status == TG_REC_E_BAD_MAC ||
					  r->status == TG_REC_E_BACKEND);
				if (r->status == TG_REC_E_BAD_MAC && r->m == NULL)
					CU_ASSERT(all_zero(r->buf + r->rec_off +
								   tg_accel_hdr_len(fl.open),
							   500));
			} else {
				EXPECT(r->status == TG_REC_OK ||
				       r->status == TG_REC_E_BACKEND,
				       "%s: record %u: %s", specs[sp], j,
				       tg_rec_status_name(r->status));
			}
		}
		for (unsigned i = 0; i < 12; i++) {
			arec_free(&x[i]);
			tg_accel_sess_free(os[i]);
		}
		aflow_free(&fl);
		aflow_free(&other);
		tg_accel_q_free(q);
		tg_accel_destroy(acc);
	}
}

/*
 * Late and out of order: with hold=3 a queue pair hands its completions
 * back only on every third dequeue, in reverse order. Polls return
 * nothing meanwhile, then everything in submission order. A queue freed
 * with records in flight waits for them and gives its queue pair back.
 */
static void test_async_late(void)
{
	struct tg_accel_conf conf = {
		.backends = "cryptodev:crypto_aesni_mb_tghold+hold=3",
		.no_calibrate = true };
	struct tg_accel *acc = NULL;
	struct tg_accel_q *q = NULL, *q2 = NULL;
	struct aflow fl[2];
	struct arec x[10];
	struct tg_rec *rp[10], *out[10];
	unsigned polls = 0, got = 0;

	if (tg_accel_backend_find(g_acc, "cryptodev:crypto_aesni_mb") < 0)
		return;
	TG_ASSERT_OK(tg_accel_create(&conf, &acc));
	TG_ASSERT_OK(tg_accel_q_create(acc, 16, &q));
	CU_ASSERT_TRUE_FATAL(tg_accel_q_async(q));
	for (int f = 0; f < 2; f++)
		aflow_init(&fl[f], acc, 0, TG_TLS13, TG_SUITE_AES256GCM);
	for (unsigned i = 0; i < 10; i++) {
		arec_init(&x[i], &fl[i % 2], i % 2, 50 * i, false, 1);
		rp[i] = &x[i].r;
	}
	CU_ASSERT_EQUAL(tg_accel_seal_submit(q, rp, 10), 10);
	CU_ASSERT_EQUAL(tg_accel_poll(q, out, 10), 0);
	CU_ASSERT_EQUAL(tg_accel_q_inflight(q), 10);
	while (got < 10 && polls < 100) {
		got += tg_accel_poll(q, out + got, (uint16_t)(10 - got));
		polls++;
	}
	CU_ASSERT_EQUAL(got, 10);
	CU_ASSERT(polls >= 2);
	for (unsigned i = 0; i < got; i++)
		CU_ASSERT_PTR_EQUAL(out[i], &x[i].r);
	for (unsigned i = 0; i < 10; i++) {
		rp[i] = &x[i].sr;
		CU_ASSERT_EQUAL(x[i].r.status, TG_REC_OK);
	}
	CU_ASSERT_EQUAL(tg_accel_seal_burst(rp, 10), 10);
	for (unsigned i = 0; i < 10; i++)
		CU_ASSERT(memcmp(x[i].r.buf, x[i].sr.buf, x[i].r.rec_len) == 0);
	/* freed with records in flight */
	for (unsigned i = 0; i < 10; i++)
		rp[i] = &x[i].r;
	for (unsigned i = 0; i < 10; i++) {
		x[i].r.sess = fl[i % 2].open;
	}
	CU_ASSERT_EQUAL(tg_accel_open_submit(q, rp, 10), 10);
	tg_accel_q_free(q);
	/* its queue pair is free again: a new queue is asynchronous */
	TG_ASSERT_OK(tg_accel_q_create(acc, 16, &q2));
	CU_ASSERT_TRUE(tg_accel_q_async(q2));
	tg_accel_q_free(q2);
	for (unsigned i = 0; i < 10; i++)
		arec_free(&x[i]);
	for (int f = 0; f < 2; f++)
		aflow_free(&fl[f]);
	tg_accel_destroy(acc);
}

/*
 * Synchronous backends through a queue: the work is done in the submit,
 * the records come back from the very next poll. More queues than the
 * device has queue pairs for: the extra ones run cryptodev synchronously,
 * and are as correct.
 */
static void test_async_sync_backends(void)
{
	struct tg_accel_conf conf = { .backends = "evp", .no_calibrate = true };
	struct tg_accel *acc = NULL;
	struct tg_accel_q *q = NULL, *qs[8];
	unsigned nq = 0, nasync = 0;
	int cb;

	TG_ASSERT_OK(tg_accel_create(&conf, &acc));
	TG_ASSERT_OK(tg_accel_q_create(acc, 32, &q));
	CU_ASSERT_FALSE(tg_accel_q_async(q));
	{
		struct aflow fl;
		struct arec x[40];
		struct tg_rec *rp[40], *out[40];

		aflow_init(&fl, acc, 0, TG_TLS12, TG_SUITE_CHACHA20POLY1305);
		for (unsigned i = 0; i < 40; i++) {
			arec_init(&x[i], &fl, 0, rnd(3000), i % 3 == 0, 0);
			rp[i] = &x[i].r;
		}
		CU_ASSERT_EQUAL(tg_accel_seal_submit(q, rp, 40), 32);
		CU_ASSERT_EQUAL(tg_accel_poll(q, out, 40), 32);
		CU_ASSERT_EQUAL(tg_accel_seal_submit(q, rp + 32, 8), 8);
		CU_ASSERT_EQUAL(tg_accel_poll(q, out + 32, 8), 8);
		for (unsigned i = 0; i < 40; i++) {
			CU_ASSERT_PTR_EQUAL(out[i], &x[i].r);
			CU_ASSERT_EQUAL(x[i].r.status, TG_REC_OK);
			rp[i] = &x[i].sr;
		}
		CU_ASSERT_EQUAL(tg_accel_seal_burst(rp, 40), 40);
		for (unsigned i = 0; i < 40; i++) {
			uint8_t *a = rec_bytes(&x[i].r), *b = rec_bytes(&x[i].sr);

			CU_ASSERT(memcmp(a, b, x[i].r.rec_len) == 0);
			free(a);
			free(b);
			arec_free(&x[i]);
		}
		aflow_free(&fl);
	}
	tg_accel_q_free(q);
	tg_accel_destroy(acc);

	/* queues past the device's queue pairs */
	cb = tg_accel_backend_find(g_acc, "cryptodev:crypto_openssl");
	if (cb < 0)
		return;
	while (nq < 8) {
		char what[64];

		TG_ASSERT_OK(tg_accel_q_create(g_acc, 32, &qs[nq]));
		nasync += tg_accel_q_async(qs[nq]);
		snprintf(what, sizeof(what), "crypto_openssl, queue %u", nq);
		(void)async_roundtrip(g_acc, qs[nq], (unsigned)cb, TG_TLS12,
				      TG_SUITE_AES128GCM, 40, 2, what);
		nq++;
	}
	CU_ASSERT(nasync >= 1 && nasync < 8);
	while (nq > 0)
		tg_accel_q_free(qs[--nq]);
}

/*
 * crypto_scheduler (round robin) over a crypto_aesni_mb and a
 * crypto_openssl worker it creates: ops spread over two PMDs come back
 * in any order; the queue returns them in submission order, as the burst
 * call seals them.
 */
static void test_async_scheduler(void)
{
	struct tg_accel_conf conf = {
		.backends = "cryptodev:crypto_scheduler_tgs+worker=crypto_aesni_mb_tgs0"
			    "+worker=crypto_openssl_tgs1",
		.no_calibrate = true };
	struct tg_accel *acc = NULL;
	struct tg_accel_q *q = NULL;
	tg_result r;

	if (tg_accel_backend_find(g_acc, "cryptodev:crypto_aesni_mb") < 0)
		return;
	r = tg_accel_create(&conf, &acc);
	EXPECT(tg_ok(r), "%s: %s", conf.backends, tg_strerror(r.code));
	if (tg_failed(r))
		return;
	TG_ASSERT_OK(tg_accel_q_create(acc, 128, &q));
	CU_ASSERT_TRUE(tg_accel_q_async(q));
	for (unsigned s = 0; s < TG_SUITE__COUNT; s++)
		if (tg_accel_backend_has(acc, 0, s))
			CU_ASSERT(async_roundtrip(acc, q, 0, versions[s % 2], s,
						  200, 4, "crypto_scheduler") > 0);
	CU_ASSERT(tg_accel_backend_has(acc, 0, TG_SUITE_AES128GCM));
	tg_accel_q_free(q);
	tg_accel_destroy(acc);
}

static CU_TestInfo async_tests[] = {
	{ "every backend, byte for byte as the burst", test_async_every_backend },
	{ "back-pressure: queue full, device full", test_async_backpressure },
	{ "failures in place, fault injection, tampering", test_async_failures },
	{ "late, reversed completions; free in flight", test_async_late },
	{ "synchronous backends, queues past the device", test_async_sync_backends },
	{ "crypto_scheduler over two PMDs", test_async_scheduler },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo kat_tests[] = {
	{ "every backend asked for is there", test_backends_present },
	{ "reference vs GCM spec / RFC 8439", test_reference_known_answers },
	{ "RFC 8448 TLS 1.3 records", test_kat_rfc8448 },
	{ "pinned TLS 1.2 / 1.3 records", test_kat_pinned },
	{ "TLS 1.2 GCM explicit nonce not seq", test_explicit_nonce_any },
#ifdef TG_HAVE_SIMD
	{ "simd kernels vs libcrypto", test_simd_kernels },
#endif
	CU_TEST_INFO_NULL,
};

static CU_TestInfo cross_tests[] = {
	{ "random records, every backend pair", test_cross_backend },
	{ "records sharing one mbuf / buffer", test_records_share_mbuf },
	{ "mbuf chains with empty segments", test_empty_segments },
	{ "cryptodev linearisation path", test_cryptodev_linearised },
	{ "bursts from two threads", test_threads },
	CU_TEST_INFO_NULL,
};

/* The one record-header parser: fields, the length limits of RFC 5246
 * §6.2.1/§6.2.3 and RFC 8446 §5.2, a short header left unread. */
static void test_rec_hdr_parse(void)
{
	static const uint8_t h[] = { 23, 0x03, 0x03, 0x40, 0x00, 0xaa };
	uint8_t big[5] = { 22, 0x03, 0x01, 0x48, 0x01 }; /* 2^14 + 2049 */
	struct tg_rec_hdr rh;
	struct tg_cur c = tg_cur_init(h, sizeof(h));

	TG_ASSERT_OK(tg_rec_hdr_parse(&c, TG_REC_LEN_MAX_PLAIN, &rh));
	CU_ASSERT_EQUAL(rh.type, 23);
	CU_ASSERT_EQUAL(rh.version, 0x0303);
	CU_ASSERT_EQUAL(rh.len, 16384);
	CU_ASSERT_EQUAL(tg_cur_left(&c), 1);
	/* four bytes: nothing read */
	c = tg_cur_init(h, 4);
	TG_ASSERT_ERR(tg_rec_hdr_parse(&c, TG_REC_LEN_MAX_PLAIN, &rh), TG_E_SHORT);
	CU_ASSERT_EQUAL(tg_cur_left(&c), 4);
	/* the limits by state */
	CU_ASSERT_EQUAL(tg_rec_len_max(TG_TLS12, false), 16384);
	CU_ASSERT_EQUAL(tg_rec_len_max(TG_TLS13, false), 16384);
	CU_ASSERT_EQUAL(tg_rec_len_max(TG_TLS12, true), 16384 + 2048);
	CU_ASSERT_EQUAL(tg_rec_len_max(TG_TLS13, true), 16384 + 256);
	c = tg_cur_init(big, sizeof(big));
	TG_ASSERT_ERR(tg_rec_hdr_parse(&c, tg_rec_len_max(TG_TLS12, true), &rh),
		      TG_E_OVERFLOW);
	CU_ASSERT_EQUAL(rh.len, 16384 + 2049);
	big[4] = 0x00; /* exactly 2^14 + 2048 */
	c = tg_cur_init(big, sizeof(big));
	TG_ASSERT_OK(tg_rec_hdr_parse(&c, tg_rec_len_max(TG_TLS12, true), &rh));
	c = tg_cur_init(big, sizeof(big));
	TG_ASSERT_ERR(tg_rec_hdr_parse(&c, tg_rec_len_max(TG_TLS13, true), &rh),
		      TG_E_OVERFLOW);
	c = tg_cur_init(big, sizeof(big));
	TG_ASSERT_ERR(tg_rec_hdr_parse(&c, TG_REC_LEN_MAX_PLAIN, &rh), TG_E_OVERFLOW);
}

static CU_TestInfo tamper_tests[] = {
	{ "every bit of a short record", test_tamper_every_bit },
	{ "random bits of a 16 KiB record", test_tamper_16k },
	{ "evp TLS record mode: mixed forms, a forged record", test_evp_tls_mode_mixed },
	{ "wrong seq, key, iv, version", test_wrong_seq_key },
	{ "size limits", test_limits },
	{ "record header parser", test_rec_hdr_parse },
	{ "TLS 1.3 inner plaintext", test_tls13_inner },
	{ "TLS 1.3 seal: content + padding <= 2^14", test_tls13_seal_pad_limit },
	{ "sequence number wrap", test_seq_wrap },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo burst_tests[] = {
	{ "burst contract", test_burst_contract },
	{ "session create errors", test_sess_create_errors },
	{ "open: record within cap", test_open_within_cap },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo engine_tests[] = {
	{ "names and sizes", test_names_and_sizes },
	{ "force a backend", test_engine_force },
	{ "default backends, known names", test_engine_default },
	{ "unknown backends", test_engine_unknown },
	{ "calibration and choice table", test_engine_calibrate },
	{ "backend stats", test_engine_stats },
	CU_TEST_INFO_NULL,
};

static const struct tg_test_suite suites[] = {
	{ "accel_kat", NULL, NULL, kat_tests },
	{ "accel_cross", NULL, NULL, cross_tests },
	{ "accel_tamper", NULL, NULL, tamper_tests },
	{ "accel_burst", NULL, NULL, burst_tests },
	{ "accel_engine", NULL, NULL, engine_tests },
	{ "accel_async", NULL, NULL, async_tests },
	{ NULL, NULL, NULL, NULL },
};

/* The EAL, the mbuf pool and the shared engine live for the whole run. */
int main(int argc, char **argv)
{
	double t0 = now_s();
	unsigned left;
	int rc;

	if (accel_init() != 0) {
		fprintf(stderr, "test_accel: EAL, mbuf pool or engine set-up "
				"failed\n");
		return 1;
	}
	rc = tg_test_main(argc, argv, suites);
	left = accel_cleanup();
	if (left != 0) {
		fprintf(stderr, "test_accel: %u mbufs not freed\n", left);
		rc = 1;
	}
	printf("test_accel: %.2f s\n", now_s() - t0);
	return rc;
}
