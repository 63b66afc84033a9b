/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file record.c
 * TLS record framing over AEAD backends: sessions, sequence numbers,
 * headers, nonces, AAD, TLS 1.3 inner content type, length limits, and the
 * burst contract. The backends (backend.h) see only AEAD operations.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include <rte_cryptodev.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include "backend.h"
#include "tg_cur.h"
#include "tg_log.h"
#include "tg_wipe.h"

#define TG_ACCEL_MAX_BACKENDS 8

/* The backends compiled in: adding one is one line here. */
static const struct tg_accel_backend *const tg_backend_table[] = {
#ifdef TG_HAVE_IPSECMB
	&tg_accel_backend_ipsecmb,
#endif
#ifdef TG_HAVE_SIMD
	&tg_accel_backend_simd,
#endif
#ifdef TG_HAVE_CRYPTODEV
	&tg_accel_backend_cryptodev,
#endif
	&tg_accel_backend_evp,
};
#define TG_BACKEND_TABLE_N (sizeof(tg_backend_table) / sizeof(tg_backend_table[0]))

/* A loaded backend. */
struct tg_accel_inst {
	const struct tg_accel_backend *be;
	void *ctx;
	char name[128]; /* the spec: "cryptodev:" + a device and its options */
	_Atomic uint64_t sealed, opened, sealed_bytes, opened_bytes, failed;
};

struct tg_accel {
	unsigned n;
	struct tg_accel_inst inst[TG_ACCEL_MAX_BACKENDS];
	int8_t choice[TG_SUITE__COUNT][TG_SIZE__COUNT];
};

struct tg_accel_sess {
	struct tg_accel *acc;
	uint16_t version;
	uint8_t suite;
	uint8_t dir;
	uint8_t hdr_len;   /* header + explicit nonce */
	uint8_t explicit_nonce; /* TLS 1.2 AES-GCM */
	uint8_t iv[12];    /* salt (4 bytes used) or IV */
	uint64_t seq;
	int8_t be_of_class[TG_SIZE__COUNT];
	void *bsess[TG_ACCEL_MAX_BACKENDS];
};

/* ---- names and sizes ------------------------------------------------ */

static const char *const tg_suite_names[TG_SUITE__COUNT] = {
	[TG_SUITE_AES128GCM] = "aes128gcm",
	[TG_SUITE_AES256GCM] = "aes256gcm",
	[TG_SUITE_CHACHA20POLY1305] = "chacha20poly1305",
};

static const char *const tg_status_names[TG_REC_E__COUNT] = {
	[TG_REC_OK] = "ok",
	[TG_REC_E_INVAL] = "invalid record descriptor",
	[TG_REC_E_NOROOM] = "no room for record overhead",
	[TG_REC_E_OVERFLOW] = "record_overflow",
	[TG_REC_E_SEQ_WRAP] = "sequence number exhausted",
	[TG_REC_E_BAD_MAC] = "bad_record_mac",
	[TG_REC_E_UNEXPECTED] = "unexpected_message",
	[TG_REC_E_BACKEND] = "crypto backend failure",
};

const char *tg_suite_name(enum tg_suite suite)
{
	return (unsigned)suite < TG_SUITE__COUNT ? tg_suite_names[suite] : "?";
}

const char *tg_rec_status_name(uint8_t status)
{
	return status < TG_REC_E__COUNT ? tg_status_names[status] : "?";
}

bool tg_suite_parse(const char *name, enum tg_suite *out)
{
	for (unsigned i = 0; i < TG_SUITE__COUNT; i++) {
		if (strcmp(name, tg_suite_names[i]) == 0) {
			*out = (enum tg_suite)i;
			return true;
		}
	}
	return false;
}

uint8_t tg_suite_key_len(enum tg_suite suite)
{
	return suite == TG_SUITE_AES128GCM ? 16 : 32;
}

static bool tg_explicit_nonce(uint16_t version, enum tg_suite suite)
{
	return version == TG_TLS12 && suite != TG_SUITE_CHACHA20POLY1305;
}

uint8_t tg_suite_iv_len(uint16_t version, enum tg_suite suite)
{
	return tg_explicit_nonce(version, suite) ? 4 : 12;
}

tg_result tg_rec_hdr_parse(struct tg_cur *c, uint32_t max_len,
			    struct tg_rec_hdr *out)
{
	TG_ENSURE(tg_cur_left(c) >= TG_REC_HDR_LEN, TG_E_SHORT);
	TG_GUARD(tg_cur_u8(c, &out->type));
	TG_GUARD(tg_cur_u16(c, &out->version));
	TG_GUARD(tg_cur_u16(c, &out->len));
	TG_ENSURE(out->len <= max_len, TG_E_OVERFLOW);
	return TG_OK;
}

uint32_t tg_accel_hdr_len_for(uint16_t version, enum tg_suite suite)
{
	return TG_REC_HDR_LEN +
	       (tg_explicit_nonce(version, suite) ? TG_REC_EXPLICIT_NONCE_LEN : 0);
}

uint32_t tg_accel_tail_len_for(uint16_t version, enum tg_suite suite,
			       uint8_t pad)
{
	(void)suite;
	return TG_REC_TAG_LEN + (version == TG_TLS13 ? 1u + pad : 0u);
}

uint32_t tg_accel_hdr_len(const struct tg_accel_sess *s)
{
	return s->hdr_len;
}

uint32_t tg_accel_tail_len(const struct tg_accel_sess *s, uint8_t pad)
{
	return tg_accel_tail_len_for(s->version, s->suite, pad);
}

uint64_t tg_accel_sess_seq(const struct tg_accel_sess *s)
{
	return s->seq;
}

void tg_accel_sess_set_seq(struct tg_accel_sess *s, uint64_t seq)
{
	if (s != NULL)
		s->seq = seq;
}

uint16_t tg_accel_sess_version(const struct tg_accel_sess *s)
{
	return s->version;
}

/* Largest TLSCiphertext.length accepted on open. */
static uint32_t tg_max_ct_len(const struct tg_accel_sess *s)
{
	if (s->version == TG_TLS13)
		return TG_REC_MAX_PLAIN + 256; /* RFC 8446 §5.2 */
	/* RFC 5246 §6.2.3 allows 2^14 + 2048; an AEAD record of ours can
	 * never exceed plaintext limit + explicit nonce + tag. */
	return TG_REC_MAX_PLAIN + s->hdr_len - TG_REC_HDR_LEN + TG_REC_TAG_LEN;
}

static enum tg_size_class tg_size_class_of(uint32_t len)
{
	if (len <= 256)
		return TG_SIZE_SMALL;
	if (len <= 2048)
		return TG_SIZE_MEDIUM;
	return TG_SIZE_LARGE;
}

/* The table's backend called [name, name + n), or NULL. */
static const struct tg_accel_backend *tg_backend_lookup(const char *name,
							size_t n)
{
	for (size_t i = 0; i < TG_BACKEND_TABLE_N; i++)
		if (strlen(tg_backend_table[i]->name) == n &&
		    memcmp(tg_backend_table[i]->name, name, n) == 0)
			return tg_backend_table[i];
	return NULL;
}

bool tg_accel_backend_known(const char *s, size_t len)
{
	const char *colon = memchr(s, ':', len);
	size_t nlen = colon != NULL ? (size_t)(colon - s) : len;
	const struct tg_accel_backend *be = tg_backend_lookup(s, nlen);

	/* only cryptodev takes an argument, and needs one; a spec must fit
	 * the engine's name buffer (tg_accel_load) */
	if (be == NULL || len >= sizeof(((struct tg_accel_inst *)0)->name) ||
	    (colon != NULL) != (strcmp(be->name, "cryptodev") == 0))
		return false;
	return colon == NULL || len > nlen + 1;
}

/* ---- engine ----------------------------------------------------------- */

unsigned tg_accel_backend_count(const struct tg_accel *acc)
{
	return acc->n;
}

const char *tg_accel_backend_name(const struct tg_accel *acc, unsigned idx)
{
	return idx < acc->n ? acc->inst[idx].name : NULL;
}

int tg_accel_backend_find(const struct tg_accel *acc, const char *name)
{
	for (unsigned i = 0; i < acc->n; i++)
		if (strcmp(acc->inst[i].name, name) == 0)
			return (int)i;
	return -1;
}

bool tg_accel_backend_has(const struct tg_accel *acc, unsigned idx,
			  enum tg_suite suite)
{
	if (idx >= acc->n || (unsigned)suite >= TG_SUITE__COUNT)
		return false;
	return acc->inst[idx].be->has_suite(acc->inst[idx].ctx, suite);
}

int tg_accel_choice(const struct tg_accel *acc, enum tg_suite suite,
		    uint32_t size)
{
	if ((unsigned)suite >= TG_SUITE__COUNT)
		return -1;
	return acc->choice[suite][tg_size_class_of(size)];
}

void tg_accel_backend_stats(const struct tg_accel *acc, unsigned idx,
			    struct tg_accel_stats *out)
{
	const struct tg_accel_inst *in;

	memset(out, 0, sizeof(*out));
	if (idx >= acc->n)
		return;
	in = &acc->inst[idx];
	out->sealed = atomic_load_explicit(&in->sealed, memory_order_relaxed);
	out->opened = atomic_load_explicit(&in->opened, memory_order_relaxed);
	out->sealed_bytes =
		atomic_load_explicit(&in->sealed_bytes, memory_order_relaxed);
	out->opened_bytes =
		atomic_load_explicit(&in->opened_bytes, memory_order_relaxed);
	out->failed = atomic_load_explicit(&in->failed, memory_order_relaxed);
}

static const char *const tg_class_names[TG_SIZE__COUNT] = {
	"<=256B", "<=2KiB", ">2KiB"
};

void tg_accel_print_choice(const struct tg_accel *acc, void *f)
{
	FILE *out = f;

	fprintf(out, "%-18s", "suite");
	for (unsigned c = 0; c < TG_SIZE__COUNT; c++)
		fprintf(out, " %-26s", tg_class_names[c]);
	fprintf(out, "\n");
	for (unsigned s = 0; s < TG_SUITE__COUNT; s++) {
		fprintf(out, "%-18s", tg_suite_names[s]);
		for (unsigned c = 0; c < TG_SIZE__COUNT; c++) {
			int b = acc->choice[s][c];
			fprintf(out, " %-26s", b < 0 ? "(none)" : acc->inst[b].name);
		}
		fprintf(out, "\n");
	}
}

static TG_MUST_CHECK tg_result tg_accel_load(struct tg_accel *acc, const char *spec,
			       bool optional)
{
	char name[64];
	const char *arg = strchr(spec, ':');
	size_t nlen = arg ? (size_t)(arg - spec) : strlen(spec);
	const struct tg_accel_backend *be = NULL;
	struct tg_accel_inst *in;
	tg_result r;

	TG_ENSURE(nlen < sizeof(name) && strlen(spec) < sizeof(in->name),
		  TG_E_INVAL);
	memcpy(name, spec, nlen);
	name[nlen] = '\0';
	be = tg_backend_lookup(name, nlen);
	if (be == NULL) {
		TG_ERR("accel: unknown backend '%s' (compiled in:%s%s%s evp)",
		       name,
#ifdef TG_HAVE_IPSECMB
		       " ipsecmb",
#else
		       "",
#endif
#ifdef TG_HAVE_SIMD
		       " simd",
#else
		       "",
#endif
		       " cryptodev:<device>");
		return tg_error(TG_E_NOTFOUND);
	}
	if (arg != NULL && strcmp(be->name, "cryptodev") != 0) {
		TG_ERR("accel: backend %s takes no argument ('%s')", be->name, spec);
		return tg_error(TG_E_INVAL);
	}
	if (tg_accel_backend_find(acc, spec) >= 0)
		return TG_OK; /* already loaded */
	TG_ENSURE(acc->n < TG_ACCEL_MAX_BACKENDS, TG_E_NOSPACE);
	in = &acc->inst[acc->n];
	memset(in, 0, sizeof(*in));
	r = be->probe(arg ? arg + 1 : NULL, &in->ctx);
	if (tg_failed(r)) {
		if (optional)
			TG_INFO("accel: backend %s not available here (%s)",
				spec, tg_strerror(r.code));
		else
			TG_ERR("accel: backend %s cannot start: %s", spec,
			       tg_strerror(r.code));
		return optional ? TG_OK : r;
	}
	in->be = be;
	snprintf(in->name, sizeof(in->name), "%s", spec);
	acc->n++;
	return TG_OK;
}

/* Name of crypto device @p d as a backend spec, when the EAL is up. */
static bool tg_eal_cryptodev_name(uint8_t d, char *spec, size_t n)
{
	const char *name;

	if (rte_eal_process_type() == RTE_PROC_INVALID ||
	    !rte_cryptodev_is_valid_dev(d))
		return false;
	name = rte_cryptodev_name_get(d);
	if (name == NULL)
		return false;
	snprintf(spec, n, "cryptodev:%s", name);
	return true;
}

/*
 * Load "default" (the CPU backends: ipsecmb and simd where they are
 * compiled in and this CPU runs them, and evp) or "all" (those and each
 * crypto device the EAL has probed).
 */
static TG_MUST_CHECK tg_result tg_accel_load_all(struct tg_accel *acc,
						 bool devices)
{
	char spec[64];

#ifdef TG_HAVE_IPSECMB
	TG_GUARD(tg_accel_load(acc, "ipsecmb", true));
#endif
#ifdef TG_HAVE_SIMD
	TG_GUARD(tg_accel_load(acc, "simd", true));
#endif
	/* device ids may have gaps once a vdev was removed */
	for (unsigned d = 0; devices && d < RTE_CRYPTO_MAX_DEVS; d++)
		if (tg_eal_cryptodev_name((uint8_t)d, spec, sizeof(spec)))
			TG_GUARD(tg_accel_load(acc, spec, true));
	return tg_accel_load(acc, "evp", false);
}

/*
 * Measure records per second of one backend for one suite and size:
 * bursts of 32 contiguous records sealed for about @p ms milliseconds.
 */
static double tg_accel_measure(struct tg_accel *acc, unsigned idx,
			       enum tg_suite suite, uint32_t size, unsigned ms,
			       uint8_t *arena);

static TG_MUST_CHECK tg_result tg_accel_calibrate(struct tg_accel *acc, unsigned ms)
{
	static const uint32_t sizes[TG_SIZE__COUNT] = { 64, 1024, 16384 };
	const uint32_t stride = TG_REC_MAX_PLAIN + 512;
	uint8_t *arena = aligned_alloc(64, (size_t)stride * 32);

	TG_ENSURE(arena != NULL, TG_E_NOMEM);
	memset(arena, 0x5a, (size_t)stride * 32);
	for (unsigned s = 0; s < TG_SUITE__COUNT; s++) {
		for (unsigned c = 0; c < TG_SIZE__COUNT; c++) {
			double best[TG_ACCEL_MAX_BACKENDS] = { 0 };
			double top = -1.0;

			/* Three interleaved rounds, best of each backend: a
			 * burst of load from elsewhere hits all alike. When
			 * the two fastest end within 15%, three more rounds:
			 * a dip in one round must not pick the slower one. */
			for (unsigned round = 0; round < 6; round++) {
				double first = 0.0, second = 0.0;

				if (round == 3) {
					for (unsigned i = 0; i < acc->n; i++) {
						if (best[i] > first) {
							second = first;
							first = best[i];
						} else if (best[i] > second) {
							second = best[i];
						}
					}
					if (second <= 0.0 || first > 1.15 * second)
						break;
				}
				for (unsigned i = 0; i < acc->n; i++) {
					double rps;

					if (!tg_accel_backend_has(acc, i, s))
						continue;
					rps = tg_accel_measure(acc, i, s, sizes[c],
							       (ms + 2) / 3, arena);
					if (rps > best[i])
						best[i] = rps;
				}
			}
			for (unsigned i = 0; i < acc->n; i++) {
				if (!tg_accel_backend_has(acc, i, s))
					continue;
				TG_DEBUG("accel: calibrate %s %s %uB: %.0f rec/s",
					 acc->inst[i].name, tg_suite_names[s],
					 sizes[c], best[i]);
				if (best[i] > top) {
					top = best[i];
					acc->choice[s][c] = (int8_t)i;
				}
			}
		}
	}
	free(arena);
	return TG_OK;
}

tg_result tg_accel_create(const struct tg_accel_conf *conf,
			  struct tg_accel **out)
{
	struct tg_accel_conf def = { 0 };
	struct tg_accel *acc;
	tg_result r = TG_OK;

	TG_ENSURE_REF(out);
	if (conf == NULL)
		conf = &def;
	acc = calloc(1, sizeof(*acc));
	TG_ENSURE(acc != NULL, TG_E_NOMEM);
	memset(acc->choice, -1, sizeof(acc->choice));

	if (conf->backends == NULL || strcmp(conf->backends, "all") == 0) {
		r = tg_accel_load_all(acc, true);
	} else if (strcmp(conf->backends, "default") == 0) {
		r = tg_accel_load_all(acc, false);
	} else {
		char list[256];
		char *save = NULL;

		if (strlen(conf->backends) >= sizeof(list)) {
			r = tg_error(TG_E_INVAL);
		} else {
			strcpy(list, conf->backends);
			for (char *t = strtok_r(list, ",", &save);
			     t != NULL && tg_ok(r); t = strtok_r(NULL, ",", &save))
				r = tg_accel_load(acc, t, false);
		}
	}
	if (tg_ok(r) && acc->n == 0)
		r = tg_error(TG_E_NOTFOUND);

	if (tg_ok(r) && conf->force != NULL && strcmp(conf->force, "auto") != 0) {
		int f = tg_accel_backend_find(acc, conf->force);

		if (f < 0) {
			r = tg_accel_load(acc, conf->force, false);
			f = tg_ok(r) ? tg_accel_backend_find(acc, conf->force) : -1;
			if (tg_ok(r) && f < 0)
				r = tg_error(TG_E_NOTFOUND);
		}
		for (unsigned s = 0; tg_ok(r) && s < TG_SUITE__COUNT; s++)
			for (unsigned c = 0; c < TG_SIZE__COUNT; c++)
				acc->choice[s][c] = tg_accel_backend_has(acc, (unsigned)f, s)
							    ? (int8_t)f : -1;
	} else if (tg_ok(r) && conf->no_calibrate) {
		for (unsigned s = 0; s < TG_SUITE__COUNT; s++)
			for (unsigned i = acc->n; i-- > 0;)
				if (tg_accel_backend_has(acc, i, s))
					for (unsigned c = 0; c < TG_SIZE__COUNT; c++)
						acc->choice[s][c] = (int8_t)i;
	} else if (tg_ok(r)) {
		r = tg_accel_calibrate(acc, conf->calib_ms ? conf->calib_ms : 30);
	}
	if (tg_failed(r)) {
		tg_accel_destroy(acc);
		return r;
	}
	for (unsigned s = 0; s < TG_SUITE__COUNT; s++)
		TG_INFO("accel: %s -> small %s, medium %s, large %s",
			tg_suite_names[s],
			acc->choice[s][0] < 0 ? "-" : acc->inst[acc->choice[s][0]].name,
			acc->choice[s][1] < 0 ? "-" : acc->inst[acc->choice[s][1]].name,
			acc->choice[s][2] < 0 ? "-" : acc->inst[acc->choice[s][2]].name);
	*out = acc;
	return TG_OK;
}

void tg_accel_destroy(struct tg_accel *acc)
{
	if (acc == NULL)
		return;
	for (unsigned i = 0; i < acc->n; i++)
		acc->inst[i].be->fini(acc->inst[i].ctx);
	free(acc);
}

/* ---- sessions -------------------------------------------------------- */

static TG_MUST_CHECK tg_result tg_keys_check(const struct tg_keys *k)
{
	TG_ENSURE_REF(k);
	TG_ENSURE(k->version == TG_TLS12 || k->version == TG_TLS13,
		  TG_E_UNSUPPORTED);
	TG_ENSURE(k->suite < TG_SUITE__COUNT, TG_E_UNSUPPORTED);
	TG_ENSURE(k->dir == TG_DIR_SEAL || k->dir == TG_DIR_OPEN, TG_E_INVAL);
	TG_ENSURE(k->key_len == tg_suite_key_len(k->suite), TG_E_INVAL);
	TG_ENSURE(k->iv_len == tg_suite_iv_len(k->version, k->suite),
		  TG_E_INVAL);
	return TG_OK;
}

static TG_MUST_CHECK tg_result tg_sess_add_backend(struct tg_accel_sess *s,
				     const struct tg_keys *k, int b)
{
	struct tg_accel_inst *in;

	TG_ENSURE(b >= 0 && (unsigned)b < s->acc->n, TG_E_UNSUPPORTED);
	in = &s->acc->inst[b];
	TG_ENSURE(in->be->has_suite(in->ctx, k->suite), TG_E_UNSUPPORTED);
	if (s->bsess[b] != NULL)
		return TG_OK;
	return in->be->sess_create(in->ctx, k->suite, k->key, k->key_len,
				   k->dir, &s->bsess[b]);
}

static TG_MUST_CHECK tg_result tg_sess_new(struct tg_accel *acc, const struct tg_keys *k,
			     int only, struct tg_accel_sess **out)
{
	struct tg_accel_sess *s;
	tg_result r = TG_OK;

	TG_ENSURE_REF(acc);
	TG_ENSURE_REF(out);
	TG_GUARD(tg_keys_check(k));
	s = calloc(1, sizeof(*s));
	TG_ENSURE(s != NULL, TG_E_NOMEM);
	s->acc = acc;
	s->version = k->version;
	s->suite = k->suite;
	s->dir = k->dir;
	s->seq = k->seq;
	s->explicit_nonce = tg_explicit_nonce(k->version, k->suite);
	s->hdr_len = (uint8_t)tg_accel_hdr_len_for(k->version, k->suite);
	memcpy(s->iv, k->iv, k->iv_len);
	for (unsigned c = 0; c < TG_SIZE__COUNT && tg_ok(r); c++) {
		int b = only >= 0 ? only : acc->choice[k->suite][c];

		s->be_of_class[c] = (int8_t)b;
		r = tg_sess_add_backend(s, k, b);
	}
	if (tg_failed(r)) {
		tg_accel_sess_free(s);
		return r;
	}
	*out = s;
	return TG_OK;
}

tg_result tg_accel_sess_create(struct tg_accel *acc, const struct tg_keys *keys,
			       struct tg_accel_sess **out)
{
	return tg_sess_new(acc, keys, -1, out);
}

tg_result tg_accel_sess_create_on(struct tg_accel *acc,
				  const struct tg_keys *keys, unsigned backend,
				  struct tg_accel_sess **out)
{
	TG_ENSURE_REF(acc);
	TG_ENSURE(backend < acc->n, TG_E_INVAL);
	return tg_sess_new(acc, keys, (int)backend, out);
}

void tg_accel_sess_free(struct tg_accel_sess *s)
{
	if (s == NULL)
		return;
	for (unsigned i = 0; i < TG_ACCEL_MAX_BACKENDS; i++)
		if (s->bsess[i] != NULL)
			s->acc->inst[i].be->sess_free(s->acc->inst[i].ctx,
						      s->bsess[i]);
	tg_wipe(s, sizeof(*s));
	free(s);
}

/* ---- per-record framing ---------------------------------------------- */

/* Scratch for one pass of up to TG_ACCEL_BURST_MAX records per thread. */
struct tg_burst_scratch {
	struct tg_aead_op ops[TG_ACCEL_BURST_MAX];
	uint8_t *tagdst[TG_ACCEL_BURST_MAX]; /* seal: where the tag goes */
	uint32_t plen[TG_ACCEL_BURST_MAX];   /* AEAD payload length */
	int8_t be[TG_ACCEL_BURST_MAX];
	struct tg_aead_op packed[TG_ACCEL_BURST_MAX]; /* mixed backends */
};
static __thread struct tg_burst_scratch tg_scratch;

/* One 8-byte store, not eight: a byte loop here stalled the next 8-byte
 * load of the same bytes (store forwarding), a third of a 64 B seal. */
static inline void tg_be64(uint8_t *p, uint64_t v)
{
	uint64_t b = __builtin_bswap64(v);

	memcpy(p, &b, 8);
}

static inline void tg_be16(uint8_t *p, uint16_t v)
{
	uint16_t b = __builtin_bswap16(v);

	memcpy(p, &b, 2);
}

/* nonce = iv xor (0^32 || seq): RFC 7905 §2 and RFC 8446 §5.3. */
static void tg_nonce_xor(uint8_t nonce[12], const uint8_t iv[12], uint64_t seq)
{
	uint8_t s[8];

	uint64_t a, b;

	tg_be64(s, seq);
	memcpy(nonce, iv, 4);
	memcpy(&a, iv + 4, 8);
	memcpy(&b, s, 8);
	a ^= b;
	memcpy(nonce + 4, &a, 8);
}

/* AAD for TLS 1.2: seq_num || type || version || length (RFC 5246 §6.2.3.3). */
static void tg_aad12(struct tg_aead_op *op, uint64_t seq, uint8_t type,
		     uint32_t plen)
{
	tg_be64(op->aad, seq);
	op->aad[8] = type;
	tg_be16(op->aad + 9, TG_TLS12);
	tg_be16(op->aad + 11, (uint16_t)plen);
	op->aad_len = 13;
}

/* Describe [off, off+len) of an mbuf chain as memory pieces. */
static uint8_t tg_mbuf_segs(struct rte_mbuf *m, uint32_t off, uint32_t len,
			    struct tg_aead_op *op)
{
	uint8_t n = 0;

	while (m != NULL && off >= m->data_len) {
		off -= m->data_len;
		m = m->next;
	}
	while (len > 0) {
		uint32_t take;

		if (m == NULL || n == TG_ACCEL_MAX_SEGS)
			return TG_REC_E_INVAL;
		take = RTE_MIN(len, (uint32_t)m->data_len - off);
		op->seg[n].p = rte_pktmbuf_mtod_offset(m, uint8_t *, off);
		op->seg[n].n = take;
		n++;
		len -= take;
		off = 0;
		m = m->next;
	}
	op->nseg = n;
	return TG_REC_OK;
}

/* Nonce, AAD and header for a record being sealed with sequence @p seq. */
static void tg_seal_frame(const struct tg_accel_sess *s, struct tg_aead_op *op,
			  uint8_t *hdr, uint8_t type, uint32_t plen)
{
	uint64_t seq = s->seq;
	uint32_t ct_len = plen + TG_REC_TAG_LEN + (s->hdr_len - TG_REC_HDR_LEN);

	hdr[0] = s->version == TG_TLS13 ? TG_CT_APPLICATION_DATA : type;
	tg_be16(hdr + 1, TG_TLS12); /* legacy_record_version in TLS 1.3 */
	tg_be16(hdr + 3, (uint16_t)ct_len);
	if (s->explicit_nonce) {
		/* RFC 5288 §3: salt || explicit nonce; we use the sequence
		 * number as the explicit nonce, as RFC 5288 suggests. */
		memcpy(op->nonce, s->iv, 4);
		tg_be64(op->nonce + 4, seq);
		memcpy(hdr + TG_REC_HDR_LEN, op->nonce + 4, 8);
	} else {
		tg_nonce_xor(op->nonce, s->iv, seq);
	}
	if (s->version == TG_TLS13) {
		memcpy(op->aad, hdr, TG_REC_HDR_LEN); /* RFC 8446 §5.2 */
		op->aad_len = TG_REC_HDR_LEN;
	} else {
		tg_aad12(op, seq, type, plen);
	}
}

static uint8_t tg_seal_prep(struct tg_rec *r, struct tg_aead_op *op,
			    uint8_t **tagdst, uint32_t *plen_out)
{
	struct tg_accel_sess *s = r->sess;
	bool v13;
	uint32_t tail, plen, pad;
	uint8_t *hdr, *tailp;

	if (s == NULL || s->dir != TG_DIR_SEAL)
		return TG_REC_E_INVAL;
	v13 = s->version == TG_TLS13;
	pad = v13 ? r->pad : 0;
	tail = tg_accel_tail_len(s, (uint8_t)pad);
	if (r->m != NULL)
		r->len = rte_pktmbuf_pkt_len(r->m);
	if (r->len > TG_REC_MAX_PLAIN)
		return TG_REC_E_OVERFLOW;
	plen = r->len + (v13 ? 1 + pad : 0);
	if (v13 && r->len + pad > TG_REC_MAX_PLAIN)
		return TG_REC_E_OVERFLOW; /* RFC 8446 §5.4: inner <= 2^14 + 1 */
	if (s->seq == UINT64_MAX)
		return TG_REC_E_SEQ_WRAP; /* RFC 5246 §6.1: never wrap */

	if (r->m == NULL) {
		if (r->buf == NULL || r->off < s->hdr_len ||
		    (uint64_t)r->off + r->len + tail > r->cap)
			return r->buf == NULL ? TG_REC_E_INVAL : TG_REC_E_NOROOM;
		hdr = r->buf + r->off - s->hdr_len;
		tailp = r->buf + r->off + r->len;
		op->seg[0].p = r->buf + r->off;
		op->seg[0].n = plen;
		op->nseg = 1;
		op->tag_at = r->buf + r->off + plen;
		op->m = NULL;
		r->rec_off = r->off - s->hdr_len;
		r->rec_len = s->hdr_len + r->len + tail;
	} else {
		struct rte_mbuf *last = rte_pktmbuf_lastseg(r->m);

		if (r->m->nb_segs > TG_ACCEL_MAX_SEGS)
			return TG_REC_E_INVAL;
		if (rte_pktmbuf_headroom(r->m) < s->hdr_len ||
		    rte_pktmbuf_tailroom(last) < tail)
			return TG_REC_E_NOROOM;
		hdr = (uint8_t *)rte_pktmbuf_prepend(r->m, s->hdr_len);
		tailp = (uint8_t *)rte_pktmbuf_append(r->m, (uint16_t)tail);
		if (hdr == NULL || tailp == NULL)
			return TG_REC_E_NOROOM; /* not reached: checked above */
		if (tg_mbuf_segs(r->m, s->hdr_len, plen, op) != TG_REC_OK)
			return TG_REC_E_INVAL;
		op->m = r->m;
		op->m_off = s->hdr_len;
		op->tag_at = NULL;
		r->off = s->hdr_len;
		r->rec_off = 0;
		r->rec_len = rte_pktmbuf_pkt_len(r->m);
	}
	if (v13) {
		tailp[0] = r->type; /* TLSInnerPlaintext.type, then zeros */
		memset(tailp + 1, 0, pad);
	}
	tg_seal_frame(s, op, hdr, r->type, plen);
	*tagdst = tailp + (v13 ? 1 + pad : 0);
	*plen_out = plen;
	op->len = plen;
	op->bsess = NULL;
	r->seq = s->seq++;
	return TG_REC_OK;
}

/* Read @p n bytes at @p off of a record, contiguous or mbuf. */
static const uint8_t *tg_rec_read(const struct tg_rec *r, uint32_t off,
				  uint32_t n, uint8_t *tmp)
{
	if (r->m == NULL)
		return r->buf + r->rec_off + off;
	return rte_pktmbuf_read(r->m, r->rec_off + off, n, tmp);
}

static uint8_t tg_open_prep(struct tg_rec *r, struct tg_aead_op *op,
			    uint32_t *plen_out)
{
	struct tg_accel_sess *s = r->sess;
	uint8_t hb[TG_REC_HDR_LEN + TG_REC_EXPLICIT_NONCE_LEN];
	const uint8_t *h, *tag;
	struct tg_cur cur;
	struct tg_rec_hdr rh;
	tg_result rr;
	uint8_t type;
	uint16_t ver, len;
	uint32_t plen, poff;

	if (s == NULL || s->dir != TG_DIR_OPEN)
		return TG_REC_E_INVAL;
	if (r->m == NULL && r->buf == NULL)
		return TG_REC_E_INVAL;
	if (r->m == NULL && (uint64_t)r->rec_off + r->rec_len > r->cap)
		return TG_REC_E_INVAL; /* the record must lie within buf */
	if (r->m != NULL && ((uint64_t)r->rec_off + r->rec_len >
				     rte_pktmbuf_pkt_len(r->m) ||
			     r->m->nb_segs > TG_ACCEL_MAX_SEGS))
		return TG_REC_E_INVAL;
	if (r->rec_len < s->hdr_len)
		return TG_REC_E_BAD_MAC;
	h = tg_rec_read(r, 0, s->hdr_len, hb);
	if (h == NULL)
		return TG_REC_E_INVAL;
	cur = tg_cur_init(h, s->hdr_len);
	/* the AEAD's own bound, tighter than RFC 5246 §6.2.3's 2^14 + 2048:
	 * a longer record could only decrypt to over 2^14 bytes */
	rr = tg_rec_hdr_parse(&cur, tg_max_ct_len(s), &rh);
	if (rr.code == TG_E_OVERFLOW)
		return TG_REC_E_OVERFLOW; /* record_overflow: public length */
	if (tg_failed(rr))
		return TG_REC_E_BAD_MAC;
	type = rh.type;
	ver = rh.version;
	len = rh.len;
	/* TLS 1.2 authenticates our own version, not the header's, so the
	 * header's version is checked here: every header bit counts. */
	if ((uint32_t)len + TG_REC_HDR_LEN != r->rec_len || ver != TG_TLS12 ||
	    len < s->hdr_len - TG_REC_HDR_LEN + TG_REC_TAG_LEN +
			  (s->version == TG_TLS13 ? 1 : 0) ||
	    (s->version == TG_TLS13 && type != TG_CT_APPLICATION_DATA))
		return TG_REC_E_BAD_MAC;
	if (s->seq == UINT64_MAX)
		return TG_REC_E_SEQ_WRAP;

	poff = s->hdr_len;
	plen = r->rec_len - s->hdr_len - TG_REC_TAG_LEN;
	if (s->explicit_nonce) {
		memcpy(op->nonce, s->iv, 4);
		memcpy(op->nonce + 4, h + TG_REC_HDR_LEN, 8);
	} else {
		tg_nonce_xor(op->nonce, s->iv, s->seq);
	}
	if (s->version == TG_TLS13) {
		memcpy(op->aad, h, TG_REC_HDR_LEN);
		op->aad_len = TG_REC_HDR_LEN;
	} else {
		tg_aad12(op, s->seq, type, plen);
	}
	tag = tg_rec_read(r, poff + plen, TG_REC_TAG_LEN, op->tag);
	if (tag == NULL)
		return TG_REC_E_INVAL;
	if (tag != op->tag)
		memcpy(op->tag, tag, TG_REC_TAG_LEN);
	if (r->m == NULL) {
		op->seg[0].p = r->buf + r->rec_off + poff;
		op->seg[0].n = plen;
		op->nseg = 1;
		op->tag_at = r->buf + r->rec_off + poff + plen;
		op->m = NULL;
	} else {
		if (tg_mbuf_segs(r->m, r->rec_off + poff, plen, op) != TG_REC_OK)
			return TG_REC_E_INVAL;
		op->m = r->m;
		op->m_off = r->rec_off + poff;
		op->tag_at = NULL;
	}
	op->len = plen;
	r->type = type;
	r->off = r->rec_off + poff;
	r->len = plen;
	r->seq = s->seq++;
	*plen_out = plen;
	return TG_REC_OK;
}

/*
 * TLS 1.3: strip the zero padding and take the inner content type
 * (RFC 8446 §5.4), walking the payload pieces from the end.
 */
static uint8_t tg_open_inner13(struct tg_rec *r, const struct tg_aead_op *op)
{
	uint32_t len = op->len;

	for (int i = op->nseg - 1; i >= 0; i--) {
		const uint8_t *p = op->seg[i].p;

		for (uint32_t j = op->seg[i].n; j-- > 0;) {
			len--;
			if (p[j] != 0) {
				r->type = p[j];
				r->len = len;
				return len > TG_REC_MAX_PLAIN ? TG_REC_E_OVERFLOW
							      : TG_REC_OK;
			}
		}
	}
	return TG_REC_E_UNEXPECTED;
}

static void tg_wipe_payload(const struct tg_aead_op *op)
{
	for (unsigned i = 0; i < op->nseg; i++)
		tg_wipe(op->seg[i].p, op->seg[i].n);
}

/* ---- bursts ------------------------------------------------------------ */

static uint16_t tg_partition(struct tg_rec **recs, uint16_t n)
{
	uint16_t w = 0;

	/* Successes keep their order (records of one flow stay in order);
	 * failures (and NULL entries) go to the end, in no set order. */
	for (uint16_t i = 0; i < n; i++) {
		if (recs[i] != NULL && recs[i]->status == TG_REC_OK) {
			struct tg_rec *t = recs[i];

			recs[i] = recs[w];
			recs[w++] = t;
		}
	}
	return w;
}

/* ---- asynchronous queues: state ------------------------------------------- */

/* A record in a queue, by its place in the ring (submission order). */
enum tg_qe_state {
	TG_QE_DONE = 0, /* done: tg_accel_poll() may return it */
	TG_QE_WAIT,     /* framed; its backend has not taken it yet */
	TG_QE_OUT,      /* with its backend */
};

struct tg_qent {
	struct tg_rec *rec;
	uint8_t *tagdst; /* seal: where the tag goes */
	uint8_t state;   /* ::tg_qe_state */
	uint8_t dir;
	int8_t be;       /* backend instance, -1: never reached one */
};

struct tg_accel_q {
	struct tg_accel *acc;
	uint32_t mask;           /* depth - 1 */
	uint32_t head, tail;     /* ring: [tail, head) submitted, not polled */
	struct tg_qent *ent;     /* depth */
	struct tg_aead_op *ops;  /* depth, op of ent[i] (async backends) */
	void *bq[TG_ACCEL_MAX_BACKENDS];    /* a backend's queue, or NULL */
	uint32_t out[TG_ACCEL_MAX_BACKENDS];  /* ops with backend b */
	uint32_t wait[TG_ACCEL_MAX_BACKENDS]; /* ops waiting for backend b */
	uint32_t wait_from[TG_ACCEL_MAX_BACKENDS]; /* the oldest of them */
	unsigned n_async;        /* backends with a queue */
};

/* ---- one pass ------------------------------------------------------------ */

/*
 * The end of one op of record @p r: its status, the tag (seal), the TLS
 * 1.3 inner content type (open); a failed open's payload is wiped. True
 * when the record is done and fine.
 */
static bool tg_op_finish(struct tg_rec *r, struct tg_aead_op *op,
			 enum tg_dir dir, uint8_t *tagdst)
{
	r->status = op->status;
	if (op->status == TG_REC_OK && dir == TG_DIR_SEAL) {
		memcpy(tagdst, op->tag, TG_REC_TAG_LEN);
	} else if (op->status == TG_REC_OK && r->sess->version == TG_TLS13) {
		r->status = tg_open_inner13(r, op);
	} else if (op->status != TG_REC_OK && dir == TG_DIR_OPEN) {
		/* Never hand out a forged record's keystream. */
		tg_wipe_payload(op);
	}
	return r->status == TG_REC_OK;
}

/* Count records done by instance @p in. */
static void tg_inst_count(struct tg_accel_inst *in, enum tg_dir dir,
			  uint64_t ok, uint64_t bytes, uint64_t bad)
{
	if (dir == TG_DIR_SEAL) {
		atomic_fetch_add_explicit(&in->sealed, ok, memory_order_relaxed);
		atomic_fetch_add_explicit(&in->sealed_bytes, bytes,
					  memory_order_relaxed);
	} else {
		atomic_fetch_add_explicit(&in->opened, ok, memory_order_relaxed);
		atomic_fetch_add_explicit(&in->opened_bytes, bytes,
					  memory_order_relaxed);
	}
	if (bad)
		atomic_fetch_add_explicit(&in->failed, bad, memory_order_relaxed);
}

static void tg_q_enqueue(struct tg_accel_q *q, unsigned b);

/*
 * One pass over at most TG_ACCEL_BURST_MAX records. Without a queue
 * (@p q NULL) every backend runs now. With one, record i is the queue's
 * ring entry @p pos + i: a backend that has a queue there gets its ops
 * enqueued (the entry stays out), the others run now (the entry is done).
 */
static void tg_burst_pass(struct tg_rec **recs, uint16_t n, enum tg_dir dir,
			  struct tg_accel_q *q, uint32_t pos)
{
	struct tg_burst_scratch *sc = &tg_scratch;
	struct tg_accel_inst *groups[TG_ACCEL_BURST_MAX];
	uint16_t ngroups = 0;

	/* Frame every record, pick its backend. Sequence numbers are
	 * taken in array order, so a flow's records keep their order. */
	for (uint16_t i = 0; i < n; i++) {
		struct tg_rec *r = recs[i];
		struct tg_aead_op *op = &sc->ops[i];
		struct tg_accel_inst *in;
		int8_t b;

		sc->be[i] = -1;
		if (r == NULL)
			continue;
		if (q != NULL && r->sess != NULL && r->sess->acc != q->acc) {
			r->status = TG_REC_E_INVAL; /* another engine's session */
			continue;
		}
		r->status = dir == TG_DIR_SEAL
				    ? tg_seal_prep(r, op, &sc->tagdst[i], &sc->plen[i])
				    : tg_open_prep(r, op, &sc->plen[i]);
		if (r->status != TG_REC_OK)
			continue;
		b = r->sess->be_of_class[tg_size_class_of(r->len)];
		op->bsess = r->sess->bsess[b];
		op->dir = (uint8_t)dir;
		sc->be[i] = b;
		r->backend = (uint8_t)b;
		in = &r->sess->acc->inst[b];
		uint16_t g = 0;
		while (g < ngroups && groups[g] != in)
			g++;
		if (g == ngroups)
			groups[ngroups++] = in;
	}

	/* One backend call per backend instance, ops packed together. */
	for (uint16_t g = 0; g < ngroups; g++) {
		struct tg_accel_inst *in = groups[g];
		uint16_t idx[TG_ACCEL_BURST_MAX];
		uint16_t k = 0;
		uint64_t bytes = 0, ok = 0, bad = 0;
		bool inplace = true;

		for (uint16_t i = 0; i < n; i++) {
			if (sc->be[i] < 0 ||
			    &recs[i]->sess->acc->inst[sc->be[i]] != in)
				continue;
			if (k != i)
				inplace = false;
			idx[k++] = i;
		}
		if (q != NULL && q->bq[in - q->acc->inst] != NULL) {
			/* asynchronous: the ops move to the queue's ring */
			unsigned b = (unsigned)(in - q->acc->inst);

			if (q->wait[b] == 0)
				q->wait_from[b] = pos + idx[0];
			for (uint16_t j = 0; j < k; j++) {
				uint32_t slot = (pos + idx[j]) & q->mask;
				struct tg_qent *qe = &q->ent[slot];

				q->ops[slot] = sc->ops[idx[j]];
				qe->tagdst = sc->tagdst[idx[j]];
				qe->be = (int8_t)b;
				qe->state = TG_QE_WAIT;
			}
			q->wait[b] += k;
			tg_q_enqueue(q, b);
			continue;
		}
		struct tg_aead_op *ops = sc->ops;
		if (!inplace || k != n) {
			for (uint16_t j = 0; j < k; j++)
				sc->packed[j] = sc->ops[idx[j]];
			ops = sc->packed;
		}
		in->be->burst(in->ctx, dir, ops, k);
		for (uint16_t j = 0; j < k; j++) {
			struct tg_rec *r = recs[idx[j]];

			if (tg_op_finish(r, &ops[j], dir, sc->tagdst[idx[j]])) {
				ok++;
				bytes += r->len;
			} else {
				bad++;
			}
		}
		tg_inst_count(in, dir, ok, bytes, bad);
	}
}

static uint16_t tg_burst(struct tg_rec **recs, uint16_t n, enum tg_dir dir)
{
	uint16_t done = 0;

	if (recs == NULL || n == 0)
		return 0;
	while (done < n) {
		uint16_t k = RTE_MIN((uint16_t)(n - done), (uint16_t)TG_ACCEL_BURST_MAX);

		tg_burst_pass(recs + done, k, dir, NULL, 0);
		done += k;
	}
	return tg_partition(recs, n);
}

uint16_t tg_accel_seal_burst(struct tg_rec **recs, uint16_t n)
{
	return tg_burst(recs, n, TG_DIR_SEAL);
}

uint16_t tg_accel_open_burst(struct tg_rec **recs, uint16_t n)
{
	return tg_burst(recs, n, TG_DIR_OPEN);
}

/* ---- asynchronous queues ---------------------------------------------------- */

tg_result tg_accel_q_create(struct tg_accel *acc, unsigned depth,
			    struct tg_accel_q **out)
{
	struct tg_accel_q *q;
	unsigned d = 2;

	TG_ENSURE_REF(acc);
	TG_ENSURE_REF(out);
	TG_ENSURE(depth >= 1 && depth <= 4096, TG_E_INVAL);
	while (d < depth)
		d <<= 1;
	q = calloc(1, sizeof(*q));
	TG_ENSURE(q != NULL, TG_E_NOMEM);
	q->acc = acc;
	q->mask = d - 1;
	q->ent = calloc(d, sizeof(*q->ent));
	if (q->ent == NULL) {
		free(q);
		return tg_error(TG_E_NOMEM);
	}
	for (unsigned b = 0; b < acc->n; b++) {
		struct tg_accel_inst *in = &acc->inst[b];
		tg_result r;

		if (in->be->q_open == NULL)
			continue;
		r = in->be->q_open(in->ctx, d, &q->bq[b]);
		if (tg_failed(r)) {
			/* that backend runs in the submit, as a burst */
			q->bq[b] = NULL;
			TG_INFO("accel: %s: no asynchronous queue (%s): records "
				"of this queue run synchronously on it",
				in->name, tg_strerror(r.code));
			continue;
		}
		q->n_async++;
	}
	if (q->n_async > 0) {
		q->ops = calloc(d, sizeof(*q->ops));
		if (q->ops == NULL) {
			tg_accel_q_free(q);
			return tg_error(TG_E_NOMEM);
		}
	}
	*out = q;
	return TG_OK;
}

void tg_accel_q_free(struct tg_accel_q *q)
{
	if (q == NULL)
		return;
	for (unsigned b = 0; b < q->acc->n; b++)
		if (q->bq[b] != NULL)
			q->acc->inst[b].be->q_close(q->acc->inst[b].ctx, q->bq[b]);
	if (q->ops != NULL) {
		tg_wipe(q->ops, (size_t)(q->mask + 1) * sizeof(*q->ops));
		free(q->ops);
	}
	free(q->ent);
	free(q);
}

unsigned tg_accel_q_inflight(const struct tg_accel_q *q)
{
	return q->head - q->tail;
}

unsigned tg_accel_q_room(const struct tg_accel_q *q)
{
	return q->mask + 1 - (q->head - q->tail);
}

bool tg_accel_q_async(const struct tg_accel_q *q)
{
	return q->n_async > 0;
}

/* Offer backend @p b the ops waiting for it, in submission order, as far
 * as it takes them. */
static void tg_q_enqueue(struct tg_accel_q *q, unsigned b)
{
	struct tg_accel_inst *in = &q->acc->inst[b];
	uint32_t i = q->wait_from[b];

	while (q->wait[b] > 0) {
		struct tg_aead_op *ops[TG_ACCEL_BURST_MAX];
		uint32_t at[TG_ACCEL_BURST_MAX]; /* ring positions */
		uint16_t k = 0, took;

		for (; i != q->head && k < TG_ACCEL_BURST_MAX; i++) {
			struct tg_qent *qe = &q->ent[i & q->mask];

			if (qe->state == TG_QE_WAIT && qe->be == (int8_t)b) {
				at[k] = i;
				ops[k++] = &q->ops[i & q->mask];
			}
		}
		if (k == 0)
			break; /* not reached: wait[b] counts them */
		took = in->be->enqueue(in->ctx, q->bq[b], ops, k);
		for (uint16_t j = 0; j < took; j++)
			q->ent[at[j] & q->mask].state = TG_QE_OUT;
		q->wait[b] -= took;
		q->out[b] += took;
		if (took < k) {
			/* the backend is full: the rest waits, from here */
			q->wait_from[b] = at[took];
			break;
		}
	}
}

static uint16_t tg_submit(struct tg_accel_q *q, struct tg_rec **recs,
			  uint16_t n, enum tg_dir dir)
{
	uint32_t k = 0, done = 0;
	uint32_t room;

	if (q == NULL || recs == NULL)
		return 0;
	room = tg_accel_q_room(q);
	while (k < n && k < room && recs[k] != NULL)
		k++;
	for (uint32_t i = 0; i < k; i++) {
		struct tg_qent *qe = &q->ent[(q->head + i) & q->mask];

		*qe = (struct tg_qent){ .rec = recs[i], .state = TG_QE_DONE,
					.dir = (uint8_t)dir, .be = -1 };
	}
	while (done < k) {
		uint16_t c = (uint16_t)RTE_MIN(k - done, (uint32_t)TG_ACCEL_BURST_MAX);

		tg_burst_pass(recs + done, c, dir, q, q->head + done);
		done += c;
	}
	q->head += k;
	return (uint16_t)k;
}

uint16_t tg_accel_seal_submit(struct tg_accel_q *q, struct tg_rec **recs,
			      uint16_t n)
{
	return tg_submit(q, recs, n, TG_DIR_SEAL);
}

uint16_t tg_accel_open_submit(struct tg_accel_q *q, struct tg_rec **recs,
			      uint16_t n)
{
	return tg_submit(q, recs, n, TG_DIR_OPEN);
}

/* Take back what backend @p b has done. */
static void tg_q_dequeue(struct tg_accel_q *q, unsigned b)
{
	struct tg_accel_inst *in = &q->acc->inst[b];
	uint64_t ok[2] = { 0, 0 }, bytes[2] = { 0, 0 }, bad[2] = { 0, 0 };
	uint16_t got;

	do {
		struct tg_aead_op *ops[TG_ACCEL_BURST_MAX];

		got = in->be->dequeue(in->ctx, q->bq[b], ops, TG_ACCEL_BURST_MAX);
		for (uint16_t j = 0; j < got; j++) {
			uintptr_t a = (uintptr_t)ops[j], a0 = (uintptr_t)q->ops;
			size_t s = (a - a0) / sizeof(*q->ops);
			struct tg_qent *qe;

			if (a < a0 || s > q->mask || ops[j] != &q->ops[s] ||
			    q->ent[s].state != TG_QE_OUT ||
			    q->ent[s].be != (int8_t)b) {
				TG_ERR("accel: %s gave back an op not its own",
				       in->name);
				continue;
			}
			qe = &q->ent[s];
			qe->state = TG_QE_DONE;
			q->out[b]--;
			if (tg_op_finish(qe->rec, ops[j], qe->dir, qe->tagdst)) {
				ok[qe->dir]++;
				bytes[qe->dir] += qe->rec->len;
			} else {
				bad[qe->dir]++;
			}
		}
	} while (got == TG_ACCEL_BURST_MAX && q->out[b] > 0);
	for (int d = 0; d < 2; d++)
		if (ok[d] || bad[d])
			tg_inst_count(in, (enum tg_dir)d, ok[d], bytes[d], bad[d]);
}

uint16_t tg_accel_poll(struct tg_accel_q *q, struct tg_rec **done,
		       uint16_t max)
{
	uint16_t m = 0;

	if (q == NULL || q->tail == q->head)
		return 0;
	for (unsigned b = 0; q->n_async > 0 && b < q->acc->n; b++) {
		if (q->wait[b] > 0)
			tg_q_enqueue(q, b);
		if (q->out[b] > 0)
			tg_q_dequeue(q, b);
	}
	while (m < max && q->tail != q->head) {
		struct tg_qent *qe = &q->ent[q->tail & q->mask];

		if (qe->state != TG_QE_DONE)
			break;
		done[m++] = qe->rec;
		qe->rec = NULL;
		q->tail++;
	}
	return m;
}

/* ---- calibration -------------------------------------------------------- */

static double tg_accel_measure(struct tg_accel *acc, unsigned idx,
			       enum tg_suite suite, uint32_t size, unsigned ms,
			       uint8_t *arena)
{
	const uint32_t stride = TG_REC_MAX_PLAIN + 512;
	struct tg_keys k = { .version = TG_TLS12, .suite = (uint8_t)suite,
			     .dir = TG_DIR_SEAL };
	struct tg_accel_sess *s;
	struct tg_rec recs[32];
	struct tg_rec *rp[32];
	struct timespec ts;
	uint64_t t0, t1, count = 0;

	k.key_len = tg_suite_key_len(suite);
	k.iv_len = tg_suite_iv_len(k.version, suite);
	memset(k.key, 0x42, sizeof(k.key));
	if (tg_failed(tg_accel_sess_create_on(acc, &k, idx, &s)))
		return -1.0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	t1 = t0;
	do {
		for (unsigned i = 0; i < 32; i++) {
			recs[i] = (struct tg_rec){
				.sess = s, .buf = arena + (size_t)i * stride,
				.cap = stride, .off = 16, .len = size,
				.type = TG_CT_APPLICATION_DATA };
			rp[i] = &recs[i];
		}
		if (tg_accel_seal_burst(rp, 32) != 32) {
			tg_accel_sess_free(s);
			return -1.0;
		}
		count += 32;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		t1 = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	} while (t1 - t0 < (uint64_t)ms * 1000000u);
	tg_accel_sess_free(s);
	return (double)count * 1e9 / (double)(t1 - t0);
}
