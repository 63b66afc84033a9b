/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for control/sesscache.c and control/ticket.c. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tg_log.h"
#include "tg_result.h"
#include "tg_sesscache.h"
#include "tg_test.h"
#include "tg_ticket.h"
#include "tg_wipe.h"

static uint64_t fake_now = 1000000;

static uint64_t fake_clock(void *arg)
{
	(void)arg;
	return fake_now;
}

static void mk_state(struct tg_sess_state *st, uint8_t seed)
{
	memset(st, 0, sizeof(*st));
	memset(st->master_secret, seed, sizeof(st->master_secret));
	st->cipher_suite = (uint16_t)(0xC000 | seed);
	st->ems = (seed & 1) != 0;
	st->peer_verified = (seed & 2) != 0;
	if (st->peer_verified)
		memset(st->ca_id, seed ^ 0x5a, sizeof(st->ca_id));
	if (tg_failed(tg_sess_set_sni(st, "www.example.com", 15)) ||
	    tg_failed(tg_sess_set_alpn(st, "h2", 2)))
		abort();
}

static bool state_eq(const struct tg_sess_state *a,
		     const struct tg_sess_state *b)
{
	return memcmp(a->master_secret, b->master_secret,
		      sizeof(a->master_secret)) == 0 &&
	       a->cipher_suite == b->cipher_suite && a->ems == b->ems &&
	       a->peer_verified == b->peer_verified &&
	       (!a->peer_verified ||
		memcmp(a->ca_id, b->ca_id, sizeof(a->ca_id)) == 0) &&
	       a->sni_len == b->sni_len &&
	       strcmp(a->sni, b->sni) == 0 && a->alpn_len == b->alpn_len &&
	       memcmp(a->alpn, b->alpn, a->alpn_len) == 0;
}

static struct tg_sesscache *mk_cache(size_t max, uint32_t ttl)
{
	struct tg_sesscache_cfg cfg = {
		.max_entries = max,
		.ttl_s = ttl,
		.clock = fake_clock,
	};
	struct tg_sesscache *c = NULL;

	if (tg_failed(tg_sesscache_new(&cfg, &c)))
		return NULL;
	return c;
}

static const uint8_t *ID(uint8_t v)
{
	static uint8_t ids[256][32];

	memset(ids[v], v, 32);
	ids[v][0] = 0xA5;
	return ids[v];
}

/* ---- session state helpers ---- */

static void test_state_setters(void)
{
	struct tg_sess_state st;
	char big[300];

	memset(&st, 0, sizeof(st));
	memset(big, 'a', sizeof(big));
	TG_ASSERT_OK(tg_sess_set_sni(&st, big, TG_SESS_SNI_MAX));
	CU_ASSERT_EQUAL(st.sni_len, TG_SESS_SNI_MAX);
	CU_ASSERT_EQUAL(strlen(st.sni), TG_SESS_SNI_MAX);
	TG_ASSERT_ERR(tg_sess_set_sni(&st, big, TG_SESS_SNI_MAX + 1),
		      TG_E_INVAL);
	TG_ASSERT_ERR(tg_sess_set_sni(&st, "a\0b", 3), TG_E_INVAL);
	TG_ASSERT_OK(tg_sess_set_sni(&st, NULL, 0));
	CU_ASSERT_EQUAL(st.sni_len, 0);
	CU_ASSERT_EQUAL(st.sni[0], '\0');
	TG_ASSERT_OK(tg_sess_set_alpn(&st, big, TG_SESS_ALPN_MAX));
	TG_ASSERT_ERR(tg_sess_set_alpn(&st, big, TG_SESS_ALPN_MAX + 1),
		      TG_E_INVAL);
	TG_ASSERT_ERR(tg_sess_set_alpn(&st, NULL, 1), TG_E_INVAL);
	CU_ASSERT(tg_clock_realtime(NULL) > 1600000000ULL);
}

/* ---- session-ID cache ---- */

static void test_cache_basic(void)
{
	struct tg_sesscache_cfg bad = { .max_entries = 0, .ttl_s = 10 };
	struct tg_sesscache *c = mk_cache(4, 100);
	struct tg_sess_state s1, s2, out;
	struct tg_sesscache_stats stats;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	mk_state(&s1, 1);
	mk_state(&s2, 2);
	TG_ASSERT_ERR(tg_sesscache_get(c, ID(1), 32, &out), TG_E_NOTFOUND);
	TG_ASSERT_OK(tg_sesscache_put(c, ID(1), 32, &s1));
	TG_ASSERT_OK(tg_sesscache_get(c, ID(1), 32, &out));
	CU_ASSERT(state_eq(&out, &s1));
	CU_ASSERT_EQUAL(out.created, fake_now);
	/* a prefix of the ID is another ID */
	TG_ASSERT_ERR(tg_sesscache_get(c, ID(1), 31, &out), TG_E_NOTFOUND);
	/* replace */
	TG_ASSERT_OK(tg_sesscache_put(c, ID(1), 32, &s2));
	TG_ASSERT_OK(tg_sesscache_get(c, ID(1), 32, &out));
	CU_ASSERT(state_eq(&out, &s2));
	/* short IDs work */
	TG_ASSERT_OK(tg_sesscache_put(c, (const uint8_t *)"x", 1, &s1));
	TG_ASSERT_OK(tg_sesscache_get(c, (const uint8_t *)"x", 1, &out));
	CU_ASSERT(state_eq(&out, &s1));
	/* remove */
	TG_ASSERT_OK(tg_sesscache_remove(c, ID(1), 32));
	TG_ASSERT_ERR(tg_sesscache_get(c, ID(1), 32, &out), TG_E_NOTFOUND);
	TG_ASSERT_ERR(tg_sesscache_remove(c, ID(1), 32), TG_E_NOTFOUND);
	TG_ASSERT_ERR(tg_sesscache_remove(c, ID(1), 0), TG_E_NOTFOUND);
	/* bad arguments */
	TG_ASSERT_ERR(tg_sesscache_put(c, ID(3), 0, &s1), TG_E_INVAL);
	TG_ASSERT_ERR(tg_sesscache_put(c, ID(3), 33, &s1), TG_E_INVAL);
	TG_ASSERT_ERR(tg_sesscache_put(c, NULL, 4, &s1), TG_E_INVAL);
	TG_ASSERT_ERR(tg_sesscache_get(c, ID(3), 0, &out), TG_E_NOTFOUND);
	TG_ASSERT_ERR(tg_sesscache_get(c, ID(3), 33, &out), TG_E_NOTFOUND);
	s2.sni[s2.sni_len] = 'x'; /* not NUL-terminated */
	TG_ASSERT_ERR(tg_sesscache_put(c, ID(3), 32, &s2), TG_E_INVAL);
	/* clear */
	TG_ASSERT_OK(tg_sesscache_put(c, ID(4), 32, &s1));
	tg_sesscache_clear(c);
	tg_sesscache_stats(c, &stats);
	CU_ASSERT_EQUAL(stats.entries, 0);
	TG_ASSERT_ERR(tg_sesscache_get(c, ID(4), 32, &out), TG_E_NOTFOUND);
	TG_ASSERT_ERR(tg_sesscache_get(c, (const uint8_t *)"x", 1, &out),
		      TG_E_NOTFOUND);
	TG_ASSERT_OK(tg_sesscache_put(c, ID(4), 32, &s1));
	TG_ASSERT_OK(tg_sesscache_get(c, ID(4), 32, &out));
	tg_sesscache_stats(c, &stats);
	CU_ASSERT_EQUAL(stats.hits, 4);
	CU_ASSERT_EQUAL(stats.puts, 5);
	CU_ASSERT_EQUAL(stats.entries, 1);
	CU_ASSERT_EQUAL(stats.misses, 7);
	CU_ASSERT_EQUAL(stats.evictions, 0);
	tg_sesscache_free(c);
	tg_sesscache_free(NULL);

	TG_ASSERT_ERR(tg_sesscache_new(&bad, &c), TG_E_INVAL);
	bad.max_entries = 1;
	bad.ttl_s = 0;
	TG_ASSERT_ERR(tg_sesscache_new(&bad, &c), TG_E_INVAL);
	TG_WIPE_OBJ(out);
}

static bool has(struct tg_sesscache *c, uint8_t v)
{
	struct tg_sess_state out;

	return tg_ok(tg_sesscache_get(c, ID(v), 32, &out)) &&
	       out.master_secret[0] == v;
}

static void test_cache_lru(void)
{
	struct tg_sesscache *c = mk_cache(3, 1000);
	struct tg_sesscache_stats stats;
	struct tg_sess_state s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (uint8_t v = 1; v <= 3; v++) {
		mk_state(&s, v);
		TG_ASSERT_OK(tg_sesscache_put(c, ID(v), 32, &s));
	}
	/* recency: 3 2 1; a get of 1 makes it 1 3 2 */
	CU_ASSERT(has(c, 1));
	mk_state(&s, 4);
	TG_ASSERT_OK(tg_sesscache_put(c, ID(4), 32, &s)); /* evicts 2 */
	/* recency 4 1 3; gets in order 1 3 4 -> 4 3 1 */
	CU_ASSERT(has(c, 1));
	CU_ASSERT(has(c, 3));
	CU_ASSERT(has(c, 4));
	mk_state(&s, 5);
	TG_ASSERT_OK(tg_sesscache_put(c, ID(5), 32, &s)); /* evicts 1 */
	CU_ASSERT(!has(c, 2));
	CU_ASSERT(!has(c, 1));
	CU_ASSERT(has(c, 3));
	CU_ASSERT(has(c, 4));
	CU_ASSERT(has(c, 5));
	/* replacing refreshes recency: recency 5 4 3 -> put 3 -> 3 5 4 */
	mk_state(&s, 3);
	TG_ASSERT_OK(tg_sesscache_put(c, ID(3), 32, &s));
	mk_state(&s, 6);
	TG_ASSERT_OK(tg_sesscache_put(c, ID(6), 32, &s)); /* evicts 4 */
	CU_ASSERT(!has(c, 4));
	CU_ASSERT(has(c, 3));
	tg_sesscache_stats(c, &stats);
	CU_ASSERT_EQUAL(stats.evictions, 3);
	CU_ASSERT_EQUAL(stats.entries, 3);
	CU_ASSERT_EQUAL(stats.expired, 0);
	tg_sesscache_free(c);
}

static void test_cache_ttl(void)
{
	struct tg_sesscache *c = mk_cache(3, 100);
	struct tg_sesscache_stats stats;
	struct tg_sess_state s, out;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	fake_now = 1000;
	mk_state(&s, 1);
	TG_ASSERT_OK(tg_sesscache_put(c, ID(1), 32, &s));
	fake_now = 1050;
	mk_state(&s, 2);
	TG_ASSERT_OK(tg_sesscache_put(c, ID(2), 32, &s));
	fake_now = 1099;
	CU_ASSERT(has(c, 1));
	fake_now = 1100;
	CU_ASSERT(!has(c, 1)); /* expired exactly at created + ttl */
	CU_ASSERT(has(c, 2));
	fake_now = 1150;
	CU_ASSERT(!has(c, 2));
	tg_sesscache_stats(c, &stats);
	CU_ASSERT_EQUAL(stats.expired, 2);
	CU_ASSERT_EQUAL(stats.entries, 0);

	/* an explicit creation time is kept; a stale one is refused */
	mk_state(&s, 3);
	s.created = 1120;
	TG_ASSERT_OK(tg_sesscache_put(c, ID(3), 32, &s));
	TG_ASSERT_OK(tg_sesscache_get(c, ID(3), 32, &out));
	CU_ASSERT_EQUAL(out.created, 1120);
	fake_now = 1219;
	CU_ASSERT(has(c, 3));
	fake_now = 1220;
	CU_ASSERT(!has(c, 3));
	s.created = 1000;
	TG_ASSERT_ERR(tg_sesscache_put(c, ID(3), 32, &s), TG_E_NOTFOUND);
	s.created = UINT64_MAX - 5;
	TG_ASSERT_ERR(tg_sesscache_put(c, ID(3), 32, &s), TG_E_INVAL);

	/* sweep */
	fake_now = 2000;
	for (uint8_t v = 10; v < 13; v++) {
		mk_state(&s, v);
		if (v == 12)
			fake_now = 2050;
		TG_ASSERT_OK(tg_sesscache_put(c, ID(v), 32, &s));
	}
	fake_now = 2120;
	CU_ASSERT_EQUAL(tg_sesscache_expire(c), 2);
	CU_ASSERT_EQUAL(tg_sesscache_expire(c), 0);
	CU_ASSERT(has(c, 12));
	/* a full cache whose LRU entry expired counts an expiry */
	fake_now = 2140;
	mk_state(&s, 13);
	TG_ASSERT_OK(tg_sesscache_put(c, ID(13), 32, &s));
	mk_state(&s, 14);
	TG_ASSERT_OK(tg_sesscache_put(c, ID(14), 32, &s));
	fake_now = 2160; /* 12 expired, still held and least recent */
	mk_state(&s, 15);
	TG_ASSERT_OK(tg_sesscache_put(c, ID(15), 32, &s));
	tg_sesscache_stats(c, &stats);
	CU_ASSERT_EQUAL(stats.evictions, 0);
	CU_ASSERT_EQUAL(stats.expired, 6);
	CU_ASSERT(has(c, 13) && has(c, 14) && has(c, 15));
	tg_sesscache_free(c);
	fake_now = 1000000;
	TG_WIPE_OBJ(out);
}

#define HAMMER_OPS 20000

struct hammer_arg {
	struct tg_sesscache *c;
	unsigned seed;
	unsigned bad;
	unsigned gets;
};

static void *hammer(void *p)
{
	struct hammer_arg *a = p;
	struct tg_sess_state s, out;
	uint8_t id[8];
	unsigned x = a->seed;

	for (unsigned i = 0; i < HAMMER_OPS; i++) {
		uint8_t v;

		x = x * 1103515245u + 12345u;
		v = (uint8_t)((x >> 16) % 200);
		memset(id, v, sizeof(id));
		if ((x >> 8) & 1) {
			mk_state(&s, v);
			if (tg_failed(tg_sesscache_put(a->c, id, sizeof(id),
						       &s)))
				a->bad++;
		} else {
			a->gets++;
			if (tg_ok(tg_sesscache_get(a->c, id, sizeof(id),
						   &out)) &&
			    (out.master_secret[0] != v ||
			     out.master_secret[47] != v ||
			     out.cipher_suite != (0xC000 | v)))
				a->bad++;
		}
		if (i % 5000 == 4999 && (x & 1))
			tg_sesscache_clear(a->c);
	}
	return NULL;
}

static void test_cache_threads(void)
{
	struct tg_sesscache *c = mk_cache(64, 1000);
	struct hammer_arg a[2] = { { c, 1, 0, 0 }, { c, 7, 0, 0 } };
	struct tg_sesscache_stats stats;
	pthread_t t[2];

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (int i = 0; i < 2; i++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, hammer,
						     &a[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	CU_ASSERT_EQUAL(a[0].bad + a[1].bad, 0);
	tg_sesscache_stats(c, &stats);
	CU_ASSERT_EQUAL(stats.hits + stats.misses, a[0].gets + a[1].gets);
	CU_ASSERT(stats.entries <= 64);
	CU_ASSERT(stats.evictions > 0);
	CU_ASSERT(stats.hits > 0);
	tg_sesscache_free(c);
}

/* ---- tickets ---- */

static char kdir[64];

static const char *KP(const char *name)
{
	static char buf[8][128];
	static unsigned i;
	char *b = buf[i++ % 8];

	snprintf(b, sizeof(buf[0]), "%s/%s", kdir, name);
	return b;
}

static void write_file(const char *name, const void *p, size_t n)
{
	FILE *f = fopen(KP(name), "w");

	if (f == NULL || fwrite(p, 1, n, f) != n)
		abort();
	fclose(f);
}

/* key blobs: A (CBC), B (GCM), C (CBC), D (GCM) */
static uint8_t kA[80], kB[48], kC[80], kD[48];

static int tk_init(void)
{
	uint8_t junk[100];

	snprintf(kdir, sizeof(kdir), "/tmp/tgticket.XXXXXX");
	if (mkdtemp(kdir) == NULL)
		return 1;
	tg_test_fill(kA, sizeof(kA));
	tg_test_fill(kB, sizeof(kB));
	tg_test_fill(kC, sizeof(kC));
	tg_test_fill(kD, sizeof(kD));
	tg_test_fill(junk, sizeof(junk));
	write_file("a.key", kA, sizeof(kA));
	write_file("b.key", kB, sizeof(kB));
	write_file("c.key", kC, sizeof(kC));
	write_file("d.key", kD, sizeof(kD));
	write_file("a_again.key", kA, sizeof(kA));
	write_file("k0.key", junk, 0);
	write_file("k47.key", junk, 47);
	write_file("k79.key", junk, 79);
	write_file("k81.key", junk, 81);
	write_file("k100.key", junk, 100);
	return 0;
}

static int tk_cleanup(void)
{
	static const char *const names[] = {
		"a.key",   "b.key",   "c.key",   "d.key",   "a_again.key",
		"k0.key",  "k47.key", "k79.key", "k81.key", "k100.key",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(KP(names[i]));
	rmdir(kdir);
	return 0;
}

static const struct tg_ticket_cfg tcfg = {
	.lifetime_s = 100,
	.clock = fake_clock,
};

static struct tg_ticket_keys *keys(const char *a, const char *b)
{
	const char *paths[2] = { KP(a), b ? KP(b) : NULL };
	struct tg_ticket_keys *ks = NULL;

	if (tg_failed(tg_ticket_keys_load(paths, b ? 2 : 1, &tcfg, &ks)))
		return NULL;
	return ks;
}

static void test_ticket_cbc_format(void)
{
	struct tg_ticket_keys *ks = keys("a.key", NULL);
	struct tg_sess_state st, out;
	uint8_t t[TG_TICKET_MAX_LEN], pt[TG_TICKET_STATE_MAX + 16];
	uint8_t md[32], exp_pt[TG_TICKET_STATE_MAX];
	unsigned int md_len = 0;
	size_t len = 0, exp_len = 0, enc_len;
	EVP_CIPHER_CTX *ctx;
	int l1 = 0, l2 = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ks);
	CU_ASSERT_EQUAL(tg_ticket_keys_fmt(ks), TG_TICKET_FMT_CBC);
	CU_ASSERT_EQUAL(tg_ticket_keys_lifetime(ks), 100);
	mk_state(&st, 3);
	TG_ASSERT_OK(tg_ticket_seal(ks, &st, t, sizeof(t), &len));
	CU_ASSERT_EQUAL(tg_ticket_open(ks, t, len, &out), TG_TICKET_OK);
	CU_ASSERT(state_eq(&st, &out));
	CU_ASSERT_EQUAL(out.created, fake_now);

	/* RFC 5077 §4 layout, checked independently */
	CU_ASSERT_EQUAL(memcmp(t, kA, 16), 0);
	enc_len = ((size_t)t[32] << 8) | t[33];
	CU_ASSERT_EQUAL(enc_len % 16, 0);
	CU_ASSERT_EQUAL_FATAL(len, 16 + 16 + 2 + enc_len + 32);
	HMAC(EVP_sha256(), kA + 16, 32, t, 34 + enc_len, md, &md_len);
	CU_ASSERT_EQUAL(memcmp(md, t + 34 + enc_len, 32), 0);
	ctx = EVP_CIPHER_CTX_new();
	CU_ASSERT_EQUAL(EVP_DecryptInit_ex(ctx, EVP_aes_256_cbc(), NULL,
					   kA + 48, t + 16), 1);
	CU_ASSERT_EQUAL(EVP_DecryptUpdate(ctx, pt, &l1, t + 34,
					  (int)enc_len), 1);
	CU_ASSERT_EQUAL(EVP_DecryptFinal_ex(ctx, pt + l1, &l2), 1);
	EVP_CIPHER_CTX_free(ctx);
	st.created = fake_now;
	TG_ASSERT_OK(tg_ticket_state_encode(&st, exp_pt, sizeof(exp_pt),
					    &exp_len));
	CU_ASSERT_EQUAL((size_t)(l1 + l2), exp_len);
	CU_ASSERT_EQUAL(memcmp(pt, exp_pt, exp_len), 0);

	/* two seals of one state differ (random IV) */
	{
		uint8_t t2[TG_TICKET_MAX_LEN];
		size_t len2 = 0;

		TG_ASSERT_OK(tg_ticket_seal(ks, &st, t2, sizeof(t2), &len2));
		CU_ASSERT_EQUAL(len2, len);
		CU_ASSERT_NOT_EQUAL(memcmp(t, t2, len), 0);
	}
	/* too small a buffer */
	TG_ASSERT_ERR(tg_ticket_seal(ks, &st, t, len - 1, &len),
		      TG_E_NOSPACE);
	tg_ticket_keys_unref(ks);
	TG_WIPE_OBJ(out);
}

static void test_ticket_gcm_format(void)
{
	struct tg_ticket_keys *ks = keys("b.key", NULL);
	struct tg_sess_state st, out;
	uint8_t t[TG_TICKET_MAX_LEN], pt[TG_TICKET_STATE_MAX];
	size_t len = 0, ct_len;
	EVP_CIPHER_CTX *ctx;
	int l0 = 0, l1 = 0, l2 = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ks);
	CU_ASSERT_EQUAL(tg_ticket_keys_fmt(ks), TG_TICKET_FMT_GCM);
	mk_state(&st, 4);
	TG_ASSERT_OK(tg_sess_set_sni(&st, NULL, 0));
	TG_ASSERT_OK(tg_sess_set_alpn(&st, NULL, 0));
	TG_ASSERT_OK(tg_ticket_seal(ks, &st, t, sizeof(t), &len));
	CU_ASSERT_EQUAL(tg_ticket_open(ks, t, len, &out), TG_TICKET_OK);
	CU_ASSERT(state_eq(&st, &out));

	/* key_name || nonce || ciphertext || tag, key_name as AAD */
	CU_ASSERT_EQUAL(memcmp(t, kB, 16), 0);
	ct_len = len - 16 - 12 - 16;
	ctx = EVP_CIPHER_CTX_new();
	CU_ASSERT_EQUAL(EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL,
					   kB + 16, t + 16), 1);
	CU_ASSERT_EQUAL(EVP_DecryptUpdate(ctx, NULL, &l0, t, 16), 1);
	CU_ASSERT_EQUAL(EVP_DecryptUpdate(ctx, pt, &l1, t + 28,
					  (int)ct_len), 1);
	CU_ASSERT_EQUAL(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16,
					    t + 28 + ct_len), 1);
	CU_ASSERT_EQUAL(EVP_DecryptFinal_ex(ctx, pt + l1, &l2), 1);
	EVP_CIPHER_CTX_free(ctx);
	CU_ASSERT_EQUAL((size_t)(l1 + l2), ct_len);
	CU_ASSERT_EQUAL(pt[0], 2); /* version */
	tg_ticket_keys_unref(ks);
	TG_WIPE_OBJ(out);
}

static void test_ticket_random_keys(void)
{
	struct tg_ticket_keys *k1, *k2;
	struct tg_sess_state st, out;
	uint8_t t[TG_TICKET_MAX_LEN];
	size_t len = 0;

	mk_state(&st, 5);
	for (int f = TG_TICKET_FMT_CBC; f <= TG_TICKET_FMT_GCM; f++) {
		TG_ASSERT_OK(tg_ticket_keys_random((enum tg_ticket_fmt)f, NULL,
						   &k1));
		TG_ASSERT_OK(tg_ticket_keys_random((enum tg_ticket_fmt)f, NULL,
						   &k2));
		CU_ASSERT_EQUAL((int)tg_ticket_keys_fmt(k1), f);
		CU_ASSERT_EQUAL(tg_ticket_keys_lifetime(k1),
				TG_TICKET_LIFETIME_DEFAULT);
		TG_ASSERT_OK(tg_ticket_seal(k1, &st, t, sizeof(t), &len));
		CU_ASSERT_EQUAL(tg_ticket_open(k1, t, len, &out),
				TG_TICKET_OK);
		CU_ASSERT(state_eq(&st, &out));
		/* another process's keys */
		CU_ASSERT_EQUAL(tg_ticket_open(k2, t, len, &out),
				TG_TICKET_INVALID);
		CU_ASSERT_EQUAL(out.cipher_suite, 0);
		CU_ASSERT_PTR_EQUAL(tg_ticket_keys_ref(k1), k1);
		tg_ticket_keys_unref(k1);
		tg_ticket_keys_unref(k1);
		tg_ticket_keys_unref(k2);
	}
	TG_ASSERT_ERR(tg_ticket_keys_random((enum tg_ticket_fmt)9, NULL, &k1),
		      TG_E_INVAL);
	tg_ticket_keys_unref(NULL);
}

/* Flip every bit position's byte, truncate to every length, extend. */
static void tamper_all(const struct tg_ticket_keys *ks, const uint8_t *t,
		       size_t len)
{
	uint8_t b[TG_TICKET_MAX_LEN + 1];
	struct tg_sess_state out;
	unsigned bad = 0;

	CU_ASSERT_EQUAL_FATAL(tg_ticket_open(ks, t, len, &out), TG_TICKET_OK);
	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit += 7) {
			memcpy(b, t, len);
			b[i] ^= (uint8_t)(1u << bit);
			if (tg_ticket_open(ks, b, len, &out) !=
			    TG_TICKET_INVALID)
				bad++;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	for (size_t n = 0; n < len; n++) {
		memcpy(b, t, n);
		if (tg_ticket_open(ks, n ? b : NULL, n, &out) !=
		    TG_TICKET_INVALID)
			bad++;
		/* also in an exact-size heap buffer for ASan */
		{
			uint8_t *h = malloc(n ? n : 1);

			memcpy(h, t, n);
			if (tg_ticket_open(ks, h, n, &out) !=
			    TG_TICKET_INVALID)
				bad++;
			free(h);
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	memcpy(b, t, len);
	b[len] = 0;
	CU_ASSERT_EQUAL(tg_ticket_open(ks, b, len + 1, &out),
			TG_TICKET_INVALID);
	CU_ASSERT_EQUAL(tg_ticket_open(ks, t, len, NULL), TG_TICKET_INVALID);
	CU_ASSERT_EQUAL(tg_ticket_open(NULL, t, len, &out),
			TG_TICKET_INVALID);
}

static void test_ticket_tamper(void)
{
	struct tg_sess_state st;
	uint8_t t[TG_TICKET_MAX_LEN];
	size_t len = 0;
	const char *files[] = { "a.key", "b.key" };

	mk_state(&st, 6);
	for (int i = 0; i < 2; i++) {
		struct tg_ticket_keys *ks = keys(files[i], NULL);

		CU_ASSERT_PTR_NOT_NULL_FATAL(ks);
		TG_ASSERT_OK(tg_ticket_seal(ks, &st, t, sizeof(t), &len));
		tamper_all(ks, t, len);
		/* a long ticket (max SNI and ALPN) too */
		{
			struct tg_sess_state big = st;
			char s[TG_SESS_SNI_MAX];

			memset(s, 'z', sizeof(s));
			TG_ASSERT_OK(tg_sess_set_sni(&big, s, sizeof(s)));
			TG_ASSERT_OK(tg_sess_set_alpn(&big, s,
						      TG_SESS_ALPN_MAX));
			TG_ASSERT_OK(tg_ticket_seal(ks, &big, t, sizeof(t),
						    &len));
			CU_ASSERT(len <= TG_TICKET_MAX_LEN);
			tamper_all(ks, t, len);
		}
		tg_ticket_keys_unref(ks);
	}
}

static void test_ticket_rotation(void)
{
	struct tg_ticket_keys *a = keys("a.key", NULL);
	struct tg_ticket_keys *ba = keys("b.key", "a.key");
	struct tg_ticket_keys *b = keys("b.key", NULL);
	struct tg_ticket_keys *c = keys("c.key", NULL);
	struct tg_sess_state st, out;
	uint8_t t[TG_TICKET_MAX_LEN], t2[TG_TICKET_MAX_LEN];
	size_t len = 0, len2 = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ba);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	mk_state(&st, 7);
	fake_now = 5000;
	TG_ASSERT_OK(tg_ticket_seal(a, &st, t, sizeof(t), &len));
	/* unknown key name */
	CU_ASSERT_EQUAL(tg_ticket_open(c, t, len, &out), TG_TICKET_INVALID);
	CU_ASSERT_EQUAL(tg_ticket_open(b, t, len, &out), TG_TICKET_INVALID);
	/* rotated: B current, A decrypt-only */
	fake_now = 5010;
	CU_ASSERT_EQUAL(tg_ticket_open(ba, t, len, &out), TG_TICKET_RENEW);
	CU_ASSERT(state_eq(&st, &out));
	CU_ASSERT_EQUAL(out.created, 5000);
	/* the renewed ticket uses B and keeps the creation time */
	TG_ASSERT_OK(tg_ticket_seal(ba, &out, t2, sizeof(t2), &len2));
	CU_ASSERT_EQUAL(memcmp(t2, kB, 16), 0);
	CU_ASSERT_EQUAL(tg_ticket_open(ba, t2, len2, &out), TG_TICKET_OK);
	CU_ASSERT_EQUAL(out.created, 5000);
	CU_ASSERT_EQUAL(tg_ticket_open(b, t2, len2, &out), TG_TICKET_OK);
	/* A dropped */
	CU_ASSERT_EQUAL(tg_ticket_open(b, t, len, &out), TG_TICKET_INVALID);
	/* renewing does not extend the life */
	fake_now = 5100;
	CU_ASSERT_EQUAL(tg_ticket_open(b, t2, len2, &out), TG_TICKET_INVALID);
	fake_now = 5010;

	/* per-process rotation: new random current key, A kept */
	{
		struct tg_ticket_keys *r1, *r2;

		TG_ASSERT_OK(tg_ticket_keys_rotate(a, 1, &r1));
		CU_ASSERT_EQUAL(tg_ticket_keys_fmt(r1), TG_TICKET_FMT_CBC);
		CU_ASSERT_EQUAL(tg_ticket_keys_lifetime(r1), 100);
		CU_ASSERT_EQUAL(tg_ticket_open(r1, t, len, &out),
				TG_TICKET_RENEW);
		TG_ASSERT_OK(tg_ticket_seal(r1, &st, t2, sizeof(t2), &len2));
		CU_ASSERT_EQUAL(tg_ticket_open(r1, t2, len2, &out),
				TG_TICKET_OK);
		/* rotate again keeping one: A is gone, r1's key stays */
		TG_ASSERT_OK(tg_ticket_keys_rotate(r1, 1, &r2));
		CU_ASSERT_EQUAL(tg_ticket_open(r2, t, len, &out),
				TG_TICKET_INVALID);
		CU_ASSERT_EQUAL(tg_ticket_open(r2, t2, len2, &out),
				TG_TICKET_RENEW);
		tg_ticket_keys_unref(r2);
		/* keeping none */
		TG_ASSERT_OK(tg_ticket_keys_rotate(r1, 0, &r2));
		CU_ASSERT_EQUAL(tg_ticket_open(r2, t2, len2, &out),
				TG_TICKET_INVALID);
		tg_ticket_keys_unref(r2);
		TG_ASSERT_OK(tg_ticket_keys_rotate(r1, 100, &r2));
		CU_ASSERT_EQUAL(tg_ticket_open(r2, t, len, &out),
				TG_TICKET_RENEW);
		tg_ticket_keys_unref(r2);
		tg_ticket_keys_unref(r1);
	}
	fake_now = 1000000;
	tg_ticket_keys_unref(a);
	tg_ticket_keys_unref(ba);
	tg_ticket_keys_unref(b);
	tg_ticket_keys_unref(c);
}

static void test_ticket_expiry(void)
{
	struct tg_ticket_keys *ks = keys("d.key", NULL);
	struct tg_sess_state st, out;
	uint8_t t[TG_TICKET_MAX_LEN];
	size_t len = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ks);
	mk_state(&st, 8);
	fake_now = 1000;
	TG_ASSERT_OK(tg_ticket_seal(ks, &st, t, sizeof(t), &len));
	fake_now = 1099;
	CU_ASSERT_EQUAL(tg_ticket_open(ks, t, len, &out), TG_TICKET_OK);
	fake_now = 1100;
	CU_ASSERT_EQUAL(tg_ticket_open(ks, t, len, &out), TG_TICKET_INVALID);
	CU_ASSERT_EQUAL(out.master_secret[0], 0); /* wiped */
	/* earlier clock: a small skew is tolerated, a large one not */
	fake_now = 950;
	CU_ASSERT_EQUAL(tg_ticket_open(ks, t, len, &out), TG_TICKET_OK);
	fake_now = 900;
	CU_ASSERT_EQUAL(tg_ticket_open(ks, t, len, &out), TG_TICKET_INVALID);
	/* an explicit old creation time is kept when sealing */
	fake_now = 2000;
	st.created = 1950;
	TG_ASSERT_OK(tg_ticket_seal(ks, &st, t, sizeof(t), &len));
	CU_ASSERT_EQUAL(tg_ticket_open(ks, t, len, &out), TG_TICKET_OK);
	CU_ASSERT_EQUAL(out.created, 1950);
	fake_now = 2050;
	CU_ASSERT_EQUAL(tg_ticket_open(ks, t, len, &out), TG_TICKET_INVALID);
	fake_now = 1000000;
	tg_ticket_keys_unref(ks);
}

static void test_ticket_key_files(void)
{
	const char *bad[] = { "k0.key", "k47.key", "k79.key", "k81.key",
			      "k100.key" };
	struct tg_ticket_keys *ks = (struct tg_ticket_keys *)1;
	const char *paths[TG_TICKET_MAX_KEYS + 1];
	const uint8_t *blobs[2] = { kA, kB };
	size_t lens[2] = { sizeof(kA), sizeof(kB) };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *p = KP(bad[i]);

		TG_ASSERT_ERR(tg_ticket_keys_load(&p, 1, NULL, &ks),
			      TG_E_INVAL);
		CU_ASSERT_PTR_NULL(ks);
	}
	paths[0] = KP("missing.key");
	TG_ASSERT_ERR(tg_ticket_keys_load(paths, 1, NULL, &ks), TG_E_IO);
	paths[0] = KP("a.key");
	paths[1] = KP("a_again.key");
	TG_ASSERT_ERR(tg_ticket_keys_load(paths, 2, NULL, &ks), TG_E_INVAL);
	paths[1] = KP("k47.key");
	TG_ASSERT_ERR(tg_ticket_keys_load(paths, 2, NULL, &ks), TG_E_INVAL);
	paths[1] = NULL;
	TG_ASSERT_ERR(tg_ticket_keys_load(paths, 2, NULL, &ks), TG_E_INVAL);
	TG_ASSERT_ERR(tg_ticket_keys_load(paths, 0, NULL, &ks), TG_E_INVAL);
	for (int i = 0; i <= TG_TICKET_MAX_KEYS; i++)
		paths[i] = KP("a.key");
	TG_ASSERT_ERR(tg_ticket_keys_load(paths, TG_TICKET_MAX_KEYS + 1, NULL,
					  &ks),
		      TG_E_INVAL);
	/* blobs: the same keys without files */
	TG_ASSERT_OK(tg_ticket_keys_from_blobs(blobs, lens, 2, &tcfg, &ks));
	CU_ASSERT_EQUAL(tg_ticket_keys_fmt(ks), TG_TICKET_FMT_CBC);
	tg_ticket_keys_unref(ks);
	lens[1] = 47;
	TG_ASSERT_ERR(tg_ticket_keys_from_blobs(blobs, lens, 2, &tcfg, &ks),
		      TG_E_INVAL);
	CU_ASSERT_PTR_NULL(ks);
}

/* Valid ciphertext around malformed plaintext: GCM with a known key. */
static void gcm_ticket(const uint8_t *pt, size_t n, uint8_t *t, size_t *len)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int l0 = 0, l1 = 0, l2 = 0;

	memcpy(t, kD, 16);
	memset(t + 16, 0x42, 12);
	EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, kD + 16, t + 16);
	EVP_EncryptUpdate(ctx, NULL, &l0, kD, 16);
	EVP_EncryptUpdate(ctx, t + 28, &l1, pt, (int)n);
	EVP_EncryptFinal_ex(ctx, t + 28 + l1, &l2);
	EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, t + 28 + n);
	EVP_CIPHER_CTX_free(ctx);
	*len = 28 + n + 16;
}

static void test_ticket_state_parse(void)
{
	struct tg_ticket_keys *ks = keys("d.key", NULL);
	struct tg_sess_state st, out;
	uint8_t pt[TG_TICKET_STATE_MAX + 1], t[TG_TICKET_MAX_LEN + 64];
	size_t n = 0, len = 0;
	unsigned bad = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ks);
	mk_state(&st, 9);
	st.created = fake_now - 10;
	TG_ASSERT_OK(tg_ticket_state_encode(&st, pt, sizeof(pt), &n));
	CU_ASSERT_EQUAL(n, 1 + 2 + 48 + 1 + 8 + 1 + 15 + 1 + 2);
	TG_ASSERT_OK(tg_ticket_state_decode(pt, n, &out));
	CU_ASSERT(state_eq(&st, &out));
	CU_ASSERT_EQUAL(out.created, st.created);
	gcm_ticket(pt, n, t, &len);
	CU_ASSERT_EQUAL(tg_ticket_open(ks, t, len, &out), TG_TICKET_OK);
	/* every truncation of the plaintext, authenticated or not */
	for (size_t i = 0; i < n; i++) {
		if (tg_ok(tg_ticket_state_decode(pt, i, &out)))
			bad++;
		gcm_ticket(pt, i, t, &len);
		if (tg_ticket_open(ks, t, len, &out) != TG_TICKET_INVALID)
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	/* trailing byte, bad version, unknown flag, NUL in SNI, bad length */
	pt[n] = 0;
	TG_ASSERT_ERR(tg_ticket_state_decode(pt, n + 1, &out), TG_E_DECODE);
	gcm_ticket(pt, n + 1, t, &len);
	CU_ASSERT_EQUAL(tg_ticket_open(ks, t, len, &out), TG_TICKET_INVALID);
	pt[0] = 3;
	TG_ASSERT_ERR(tg_ticket_state_decode(pt, n, &out), TG_E_DECODE);
	pt[0] = 2;
	pt[51] |= 0x80;
	TG_ASSERT_ERR(tg_ticket_state_decode(pt, n, &out), TG_E_DECODE);
	gcm_ticket(pt, n, t, &len);
	CU_ASSERT_EQUAL(tg_ticket_open(ks, t, len, &out), TG_TICKET_INVALID);
	pt[51] &= 0x7f;
	pt[62] = 0; /* second SNI byte */
	TG_ASSERT_ERR(tg_ticket_state_decode(pt, n, &out), TG_E_DECODE);
	pt[62] = 'w';
	pt[60] = 200; /* SNI length past the end */
	TG_ASSERT_ERR(tg_ticket_state_decode(pt, n, &out), TG_E_DECODE);
	pt[60] = 15;
	TG_ASSERT_OK(tg_ticket_state_decode(pt, n, &out));
	/* random plaintexts: never a crash */
	for (int i = 0; i < 2000; i++) {
		size_t m = (size_t)(tg_test_rand() % sizeof(pt));

		tg_test_fill(pt, m);
		pt[0] = 1;
		tg_result r = tg_ticket_state_decode(pt, m, &out);
		enum tg_ticket_status ts;

		gcm_ticket(pt, m, t, &len);
		ts = tg_ticket_open(ks, t, len, &out);
		/* never resumable where the plaintext does not parse */
		CU_ASSERT(tg_ok(r) || ts == TG_TICKET_INVALID);
	}
	/* random tickets with a known key name */
	for (int i = 0; i < 2000; i++) {
		size_t m = (size_t)(tg_test_rand() % sizeof(t));

		tg_test_fill(t, m);
		if (m >= 16)
			memcpy(t, (i & 1) ? kD : kA, 16);
		CU_ASSERT_EQUAL(tg_ticket_open(ks, t, m, &out),
				TG_TICKET_INVALID);
	}
	tg_ticket_keys_unref(ks);
	TG_WIPE_OBJ(out);
}

/* Version 3: a TLS 1.3 PSK with its age_add and issue time. */
static void test_ticket_state13(void)
{
	struct tg_sess_state st, back;
	uint8_t pt[TG_TICKET_STATE_MAX];
	size_t n;

	memset(&st, 0, sizeof(st));
	memset(st.master_secret, 0x42, 48);
	st.cipher_suite = 0x1302;
	st.tls13 = true;
	st.age_add = 0xfad6aac5;
	st.issued = 1234567;
	st.created = 1234000;
	TG_ASSERT_OK(tg_sess_set_sni(&st, "a.example", 9));
	TG_ASSERT_OK(tg_ticket_state_encode(&st, pt, sizeof(pt), &n));
	CU_ASSERT_EQUAL(pt[0], 3);
	TG_ASSERT_OK(tg_ticket_state_decode(pt, n, &back));
	CU_ASSERT_TRUE(back.tls13);
	CU_ASSERT_EQUAL(back.age_add, 0xfad6aac5);
	CU_ASSERT_EQUAL(back.issued, 1234567);
	CU_ASSERT_EQUAL(back.created, 1234000);
	CU_ASSERT_EQUAL(back.cipher_suite, 0x1302);
	CU_ASSERT_EQUAL(memcmp(back.master_secret, st.master_secret, 48), 0);
	/* the flag without version 3, or version 3 without the flag */
	pt[0] = 2;
	TG_ASSERT_ERR(tg_ticket_state_decode(pt, n, &back), TG_E_DECODE);
	st.tls13 = false;
	TG_ASSERT_OK(tg_ticket_state_encode(&st, pt, sizeof(pt), &n));
	CU_ASSERT_EQUAL(pt[0], 2);
	pt[0] = 3;
	TG_ASSERT_ERR(tg_ticket_state_decode(pt, n, &back), TG_E_DECODE);
}

static CU_TestInfo cache_tests[] = {
	{ "state setters", test_state_setters },
	{ "put/get/replace/remove/clear", test_cache_basic },
	{ "LRU eviction order", test_cache_lru },
	{ "TTL expiry with a fake clock", test_cache_ttl },
	{ "two threads", test_cache_threads },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo ticket_tests[] = {
	{ "CBC format (RFC 5077 section 4)", test_ticket_cbc_format },
	{ "GCM format", test_ticket_gcm_format },
	{ "random per-process keys", test_ticket_random_keys },
	{ "tampered and truncated tickets", test_ticket_tamper },
	{ "key rotation", test_ticket_rotation },
	{ "expiry", test_ticket_expiry },
	{ "key files", test_ticket_key_files },
	{ "state parsing", test_ticket_state_parse },
	{ "TLS 1.3 state (version 3)", test_ticket_state13 },
	CU_TEST_INFO_NULL,
};

static int cache_init(void)
{
	tg_log_set_level(TG_LOG_ERR);
	return 0;
}

static const struct tg_test_suite suites[] = {
	{ "sesscache", cache_init, NULL, cache_tests },
	{ "ticket", tk_init, tk_cleanup, ticket_tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return tg_test_main(argc, argv, suites);
}
