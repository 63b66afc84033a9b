/* SPDX-License-Identifier: BSD-3-Clause */
/* RFC 5077 session tickets: key sets, seal, open. */
#include "tg_ticket.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "tg_cur.h"
#include "tg_log.h"
#include "tg_prf.h"
#include "tg_wipe.h"

/* 2: the CA identity follows the flags when the peer was verified; a
 * version 1 state resumes without its client certificate counting as
 * verified (under which CAs is unknown) */
#define TK_STATE_VERSION 2
#define TK_STATE_VERSION_1 1
/* 3: a TLS 1.3 PSK (flags bit 2), with age_add and the issue time after
 * the creation time */
#define TK_STATE_VERSION_13 3
#define TK_FLAG_EMS 0x01
#define TK_FLAG_VERIFIED 0x02
#define TK_FLAG_TLS13 0x04
#define TK_CBC_IV 16
#define TK_CBC_MAC 32
#define TK_GCM_NONCE 12
#define TK_GCM_TAG 16
/* Allowed clock skew for a creation time in the future (another host). */
#define TK_FUTURE_SKEW 60

struct tk_key {
	enum tg_ticket_fmt fmt;
	uint8_t name[TG_TICKET_KEY_NAME_LEN];
	uint8_t hmac_key[32]; /* CBC only */
	uint8_t aes_key[32];
};

struct tg_ticket_keys {
	atomic_uint refs;
	uint32_t lifetime_s;
	tg_clock_fn clock;
	void *clock_arg;
	EVP_CIPHER *cbc;
	EVP_CIPHER *gcm;
	size_t n;
	struct tk_key keys[TG_TICKET_MAX_KEYS];
};

/* ---- state serialization ---- */

tg_result tg_ticket_state_encode(const struct tg_sess_state *st, uint8_t *out,
				 size_t cap, size_t *out_len)
{
	struct tg_wcur w = tg_wcur_init(out, cap);
	size_t mark;
	uint8_t flags = 0;

	TG_ENSURE_REF(st);
	TG_ENSURE_REF(out);
	TG_ENSURE_REF(out_len);
	TG_ENSURE(st->sni[st->sni_len] == '\0' &&
			  memchr(st->sni, 0, st->sni_len) == NULL,
		  TG_E_INVAL);
	if (st->ems)
		flags |= TK_FLAG_EMS;
	if (st->peer_verified)
		flags |= TK_FLAG_VERIFIED;
	if (st->tls13)
		flags |= TK_FLAG_TLS13;
	TG_GUARD(tg_wcur_u8(&w, st->tls13 ? TK_STATE_VERSION_13 : TK_STATE_VERSION));
	TG_GUARD(tg_wcur_u16(&w, st->cipher_suite));
	TG_GUARD(tg_wcur_bytes(&w, st->master_secret,
			       sizeof(st->master_secret)));
	TG_GUARD(tg_wcur_u8(&w, flags));
	if (st->peer_verified)
		TG_GUARD(tg_wcur_bytes(&w, st->ca_id, sizeof(st->ca_id)));
	TG_GUARD(tg_wcur_u64(&w, st->created));
	if (st->tls13) {
		TG_GUARD(tg_wcur_be(&w, 4, st->age_add));
		TG_GUARD(tg_wcur_u64(&w, st->issued));
	}
	TG_GUARD(tg_wcur_vec_begin(&w, 1, &mark));
	TG_GUARD(tg_wcur_bytes(&w, st->sni, st->sni_len));
	TG_GUARD(tg_wcur_vec_end(&w, 1, mark));
	TG_GUARD(tg_wcur_vec_begin(&w, 1, &mark));
	TG_GUARD(tg_wcur_bytes(&w, st->alpn, st->alpn_len));
	TG_GUARD(tg_wcur_vec_end(&w, 1, mark));
	*out_len = w.pos;
	return TG_OK;
}

static TG_MUST_CHECK tg_result state_decode(const uint8_t *in, size_t len,
			      struct tg_sess_state *st)
{
	struct tg_cur c = tg_cur_init(in, len), v;
	uint8_t ver, flags;

	TG_GUARD(tg_cur_u8(&c, &ver));
	TG_ENSURE(ver == TK_STATE_VERSION || ver == TK_STATE_VERSION_1 ||
			  ver == TK_STATE_VERSION_13,
		  TG_E_DECODE);
	TG_GUARD(tg_cur_u16(&c, &st->cipher_suite));
	TG_GUARD(tg_cur_copy(&c, st->master_secret,
			     sizeof(st->master_secret)));
	TG_GUARD(tg_cur_u8(&c, &flags));
	TG_ENSURE((flags & ~(TK_FLAG_EMS | TK_FLAG_VERIFIED | TK_FLAG_TLS13)) == 0,
		  TG_E_DECODE);
	/* the TLS 1.3 flag and version 3 go together */
	TG_ENSURE(((flags & TK_FLAG_TLS13) != 0) == (ver == TK_STATE_VERSION_13),
		  TG_E_DECODE);
	st->ems = (flags & TK_FLAG_EMS) != 0;
	st->peer_verified = (flags & TK_FLAG_VERIFIED) != 0;
	st->tls13 = (flags & TK_FLAG_TLS13) != 0;
	memset(st->ca_id, 0, sizeof(st->ca_id));
	if (st->peer_verified && ver != TK_STATE_VERSION_1)
		TG_GUARD(tg_cur_copy(&c, st->ca_id, sizeof(st->ca_id)));
	else
		st->peer_verified = false;
	TG_GUARD(tg_cur_u64(&c, &st->created));
	if (st->tls13) {
		TG_GUARD(tg_cur_u32(&c, &st->age_add));
		TG_GUARD(tg_cur_u64(&c, &st->issued));
	}
	TG_GUARD(tg_cur_vec(&c, 1, 0, TG_SESS_SNI_MAX, &v));
	TG_ENSURE(memchr(tg_cur_ptr(&v), 0, tg_cur_left(&v)) == NULL,
		  TG_E_DECODE);
	st->sni_len = (uint8_t)tg_cur_left(&v);
	TG_GUARD(tg_cur_copy(&v, st->sni, st->sni_len));
	st->sni[st->sni_len] = '\0';
	TG_GUARD(tg_cur_vec(&c, 1, 0, TG_SESS_ALPN_MAX, &v));
	st->alpn_len = (uint8_t)tg_cur_left(&v);
	TG_GUARD(tg_cur_copy(&v, st->alpn, st->alpn_len));
	return tg_cur_end(&c);
}

tg_result tg_ticket_state_decode(const uint8_t *in, size_t len,
				 struct tg_sess_state *out)
{
	tg_result r;

	TG_ENSURE_REF(out);
	memset(out, 0, sizeof(*out));
	TG_ENSURE(in != NULL || len == 0, TG_E_INVAL);
	r = state_decode(in, len, out);
	if (tg_failed(r))
		tg_wipe(out, sizeof(*out));
	return r;
}

/* ---- key sets ---- */

static TG_MUST_CHECK tg_result ks_alloc(const struct tg_ticket_cfg *cfg,
			  struct tg_ticket_keys **out)
{
	struct tg_ticket_keys *ks = calloc(1, sizeof(*ks));

	TG_ENSURE(ks != NULL, TG_E_NOMEM);
	atomic_init(&ks->refs, 1);
	ks->lifetime_s = TG_TICKET_LIFETIME_DEFAULT;
	ks->clock = tg_clock_realtime;
	if (cfg != NULL) {
		if (cfg->lifetime_s)
			ks->lifetime_s = cfg->lifetime_s;
		if (cfg->clock) {
			ks->clock = cfg->clock;
			ks->clock_arg = cfg->clock_arg;
		}
	}
	ks->cbc = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
	ks->gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	if (ks->cbc == NULL || ks->gcm == NULL) {
		tg_ticket_keys_unref(ks);
		return tg_error(TG_E_CRYPTO);
	}
	*out = ks;
	return TG_OK;
}

static TG_MUST_CHECK tg_result ks_add_blob(struct tg_ticket_keys *ks, const uint8_t *b,
			     size_t len)
{
	struct tk_key *k;

	TG_ENSURE(ks->n < TG_TICKET_MAX_KEYS, TG_E_INVAL);
	TG_ENSURE(b != NULL, TG_E_INVAL);
	TG_ENSURE(len == TG_TICKET_KEYFILE_CBC || len == TG_TICKET_KEYFILE_GCM,
		  TG_E_INVAL);
	for (size_t i = 0; i < ks->n; i++)
		TG_ENSURE(memcmp(ks->keys[i].name, b,
				 TG_TICKET_KEY_NAME_LEN) != 0,
			  TG_E_INVAL);
	k = &ks->keys[ks->n];
	memcpy(k->name, b, TG_TICKET_KEY_NAME_LEN);
	if (len == TG_TICKET_KEYFILE_CBC) {
		k->fmt = TG_TICKET_FMT_CBC;
		memcpy(k->hmac_key, b + 16, 32);
		memcpy(k->aes_key, b + 48, 32);
	} else {
		k->fmt = TG_TICKET_FMT_GCM;
		memcpy(k->aes_key, b + 16, 32);
	}
	ks->n++;
	return TG_OK;
}

tg_result tg_ticket_keys_from_blobs(const uint8_t *const *blobs,
				    const size_t *lens, size_t n,
				    const struct tg_ticket_cfg *cfg,
				    struct tg_ticket_keys **out)
{
	struct tg_ticket_keys *ks;

	TG_ENSURE_REF(out);
	*out = NULL;
	TG_ENSURE(blobs != NULL && lens != NULL, TG_E_INVAL);
	TG_ENSURE(n >= 1 && n <= TG_TICKET_MAX_KEYS, TG_E_INVAL);
	TG_GUARD(ks_alloc(cfg, &ks));
	for (size_t i = 0; i < n; i++) {
		tg_result r = ks_add_blob(ks, blobs[i], lens[i]);

		if (tg_failed(r)) {
			TG_ERR("ticket key %zu: %zu bytes or duplicate name "
			       "(want %d or %d bytes, distinct names)",
			       i, lens[i], TG_TICKET_KEYFILE_GCM,
			       TG_TICKET_KEYFILE_CBC);
			tg_ticket_keys_unref(ks);
			return r;
		}
	}
	*out = ks;
	return TG_OK;
}

/* Read a key file whole; *len receives its size (up to cap + 1). */
static TG_MUST_CHECK tg_result read_key_file(const char *path, uint8_t *buf, size_t cap,
			       size_t *len)
{
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		TG_ERR("ticket key file %s: %s", path, strerror(errno));
		return tg_error(TG_E_IO);
	}
	while (n < cap) {
		ssize_t r = read(fd, buf + n, cap - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			TG_ERR("ticket key file %s: %s", path, strerror(errno));
			close(fd);
			return tg_error(TG_E_IO);
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	*len = n;
	return TG_OK;
}

tg_result tg_ticket_keys_load(const char *const *paths, size_t n,
			      const struct tg_ticket_cfg *cfg,
			      struct tg_ticket_keys **out)
{
	struct tg_ticket_keys *ks;
	/* one byte more than the largest size, to see a file too long */
	uint8_t buf[TG_TICKET_KEYFILE_CBC + 1];
	tg_result r = TG_OK;

	TG_ENSURE_REF(out);
	*out = NULL;
	TG_ENSURE(paths != NULL, TG_E_INVAL);
	TG_ENSURE(n >= 1 && n <= TG_TICKET_MAX_KEYS, TG_E_INVAL);
	TG_GUARD(ks_alloc(cfg, &ks));
	for (size_t i = 0; i < n && tg_ok(r); i++) {
		size_t len = 0;

		if (paths[i] == NULL) {
			r = tg_error(TG_E_INVAL);
			break;
		}
		r = read_key_file(paths[i], buf, sizeof(buf), &len);
		if (tg_failed(r))
			break;
		if (len != TG_TICKET_KEYFILE_CBC &&
		    len != TG_TICKET_KEYFILE_GCM) {
			TG_ERR("ticket key file %s: %s%zu bytes, want %d "
			       "(AES-256-GCM) or %d (AES-256-CBC + "
			       "HMAC-SHA256)",
			       paths[i],
			       len > TG_TICKET_KEYFILE_CBC ? "over " : "",
			       len > TG_TICKET_KEYFILE_CBC ? len - 1 : len,
			       TG_TICKET_KEYFILE_GCM, TG_TICKET_KEYFILE_CBC);
			r = tg_error(TG_E_INVAL);
			break;
		}
		r = ks_add_blob(ks, buf, len);
		if (tg_failed(r))
			TG_ERR("ticket key file %s: key name already used by "
			       "another file", paths[i]);
	}
	TG_WIPE_OBJ(buf);
	if (tg_failed(r)) {
		tg_ticket_keys_unref(ks);
		return r;
	}
	*out = ks;
	return TG_OK;
}

tg_result tg_ticket_keys_random(enum tg_ticket_fmt fmt,
				const struct tg_ticket_cfg *cfg,
				struct tg_ticket_keys **out)
{
	uint8_t blob[TG_TICKET_KEYFILE_CBC];
	size_t len = fmt == TG_TICKET_FMT_CBC ? TG_TICKET_KEYFILE_CBC
					      : TG_TICKET_KEYFILE_GCM;
	const uint8_t *bp = blob;
	tg_result r;

	TG_ENSURE_REF(out);
	*out = NULL;
	TG_ENSURE(fmt == TG_TICKET_FMT_CBC || fmt == TG_TICKET_FMT_GCM,
		  TG_E_INVAL);
	TG_ENSURE(RAND_priv_bytes(blob, (int)len) == 1, TG_E_CRYPTO);
	r = tg_ticket_keys_from_blobs(&bp, &len, 1, cfg, out);
	TG_WIPE_OBJ(blob);
	return r;
}

tg_result tg_ticket_keys_rotate(const struct tg_ticket_keys *old,
				size_t keep_old, struct tg_ticket_keys **out)
{
	struct tg_ticket_cfg cfg;
	struct tg_ticket_keys *ks;

	TG_ENSURE_REF(out);
	*out = NULL;
	TG_ENSURE_REF(old);
	cfg = (struct tg_ticket_cfg){ .lifetime_s = old->lifetime_s,
				      .clock = old->clock,
				      .clock_arg = old->clock_arg };
	TG_GUARD(tg_ticket_keys_random(old->keys[0].fmt, &cfg, &ks));
	for (size_t i = 0; i < old->n && i < keep_old &&
			   ks->n < TG_TICKET_MAX_KEYS;
	     i++) {
		/* a random name colliding with an old one: astronomically
		 * unlikely, but never two keys under one name */
		if (memcmp(old->keys[i].name, ks->keys[0].name,
			   TG_TICKET_KEY_NAME_LEN) == 0)
			continue;
		ks->keys[ks->n++] = old->keys[i];
	}
	*out = ks;
	return TG_OK;
}

struct tg_ticket_keys *tg_ticket_keys_ref(struct tg_ticket_keys *ks)
{
	if (ks != NULL)
		atomic_fetch_add_explicit(&ks->refs, 1, memory_order_relaxed);
	return ks;
}

void tg_ticket_keys_unref(struct tg_ticket_keys *ks)
{
	if (ks == NULL ||
	    atomic_fetch_sub_explicit(&ks->refs, 1, memory_order_acq_rel) != 1)
		return;
	EVP_CIPHER_free(ks->cbc);
	EVP_CIPHER_free(ks->gcm);
	tg_wipe(ks->keys, sizeof(ks->keys));
	free(ks);
}

uint32_t tg_ticket_keys_lifetime(const struct tg_ticket_keys *ks)
{
	return ks->lifetime_s;
}

enum tg_ticket_fmt tg_ticket_keys_fmt(const struct tg_ticket_keys *ks)
{
	return ks->keys[0].fmt;
}

/* ---- seal ---- */

static TG_MUST_CHECK tg_result seal_cbc(const struct tg_ticket_keys *ks,
			  const struct tk_key *k, const uint8_t *pt,
			  size_t pt_len, struct tg_wcur *w)
{
	size_t enc_len = (pt_len / 16 + 1) * 16, start = w->pos, mark;
	uint8_t iv[TK_CBC_IV], *enc;
	unsigned int mac_len = 0;
	int l1 = 0, l2 = 0, ok;
	EVP_CIPHER_CTX *ctx;

	/* unpredictable, public: the per-thread block of DRBG output */
	TG_GUARD(tg_rand_public(iv, sizeof(iv)));
	TG_GUARD(tg_wcur_bytes(w, k->name, sizeof(k->name)));
	TG_GUARD(tg_wcur_bytes(w, iv, sizeof(iv)));
	TG_GUARD(tg_wcur_vec_begin(w, 2, &mark));
	TG_ENSURE(tg_wcur_left(w) >= enc_len + TK_CBC_MAC, TG_E_NOSPACE);
	enc = w->p + w->pos;
	ctx = EVP_CIPHER_CTX_new();
	TG_ENSURE(ctx != NULL, TG_E_NOMEM);
	ok = EVP_EncryptInit_ex2(ctx, ks->cbc, k->aes_key, iv, NULL) == 1 &&
	     EVP_EncryptUpdate(ctx, enc, &l1, pt, (int)pt_len) == 1 &&
	     EVP_EncryptFinal_ex(ctx, enc + l1, &l2) == 1 &&
	     (size_t)l1 + (size_t)l2 == enc_len;
	EVP_CIPHER_CTX_free(ctx);
	TG_ENSURE(ok, TG_E_CRYPTO);
	w->pos += enc_len;
	TG_GUARD(tg_wcur_vec_end(w, 2, mark));
	/* MAC over key_name || iv || length || encrypted_state. */
	TG_ENSURE(HMAC(EVP_sha256(), k->hmac_key, sizeof(k->hmac_key),
		       w->p + start, w->pos - start, w->p + w->pos,
		       &mac_len) != NULL &&
			  mac_len == TK_CBC_MAC,
		  TG_E_CRYPTO);
	w->pos += TK_CBC_MAC;
	return TG_OK;
}

static TG_MUST_CHECK tg_result seal_gcm(const struct tg_ticket_keys *ks,
			  const struct tk_key *k, const uint8_t *pt,
			  size_t pt_len, struct tg_wcur *w)
{
	uint8_t nonce[TK_GCM_NONCE], *ct;
	int l1 = 0, l2 = 0, l0 = 0, ok;
	EVP_CIPHER_CTX *ctx;

	/* a random 96-bit nonce (NIST SP 800-38D §8.2.2), public bytes */
	TG_GUARD(tg_rand_public(nonce, sizeof(nonce)));
	TG_GUARD(tg_wcur_bytes(w, k->name, sizeof(k->name)));
	TG_GUARD(tg_wcur_bytes(w, nonce, sizeof(nonce)));
	TG_ENSURE(tg_wcur_left(w) >= pt_len + TK_GCM_TAG, TG_E_NOSPACE);
	ct = w->p + w->pos;
	ctx = EVP_CIPHER_CTX_new();
	TG_ENSURE(ctx != NULL, TG_E_NOMEM);
	ok = EVP_EncryptInit_ex2(ctx, ks->gcm, k->aes_key, nonce, NULL) == 1 &&
	     EVP_EncryptUpdate(ctx, NULL, &l0, k->name, sizeof(k->name)) == 1 &&
	     EVP_EncryptUpdate(ctx, ct, &l1, pt, (int)pt_len) == 1 &&
	     EVP_EncryptFinal_ex(ctx, ct + l1, &l2) == 1 &&
	     (size_t)l1 + (size_t)l2 == pt_len &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TK_GCM_TAG,
				 ct + pt_len) == 1;
	EVP_CIPHER_CTX_free(ctx);
	TG_ENSURE(ok, TG_E_CRYPTO);
	w->pos += pt_len + TK_GCM_TAG;
	return TG_OK;
}

tg_result tg_ticket_seal(const struct tg_ticket_keys *ks,
			 const struct tg_sess_state *st, uint8_t *out,
			 size_t cap, size_t *out_len)
{
	struct tg_sess_state s;
	uint8_t pt[TG_TICKET_STATE_MAX];
	size_t pt_len = 0;
	struct tg_wcur w = tg_wcur_init(out, cap);
	const struct tk_key *k;
	tg_result r;

	TG_ENSURE_REF(ks);
	TG_ENSURE_REF(st);
	TG_ENSURE_REF(out);
	TG_ENSURE_REF(out_len);
	k = &ks->keys[0];
	s = *st;
	if (s.created == 0)
		s.created = ks->clock(ks->clock_arg);
	r = tg_ticket_state_encode(&s, pt, sizeof(pt), &pt_len);
	TG_WIPE_OBJ(s);
	if (tg_ok(r))
		r = k->fmt == TG_TICKET_FMT_CBC
			    ? seal_cbc(ks, k, pt, pt_len, &w)
			    : seal_gcm(ks, k, pt, pt_len, &w);
	tg_wipe(pt, sizeof(pt));
	if (tg_failed(r)) {
		tg_wipe(out, cap);
		return r;
	}
	*out_len = w.pos;
	return TG_OK;
}

/* ---- open ---- */

static const struct tk_key *find_key(const struct tg_ticket_keys *ks,
				     const uint8_t *name, size_t *idx)
{
	for (size_t i = 0; i < ks->n; i++) {
		if (memcmp(ks->keys[i].name, name, TG_TICKET_KEY_NAME_LEN) ==
		    0) {
			*idx = i;
			return &ks->keys[i];
		}
	}
	return NULL;
}

/* Decrypt into pt (TG_TICKET_STATE_MAX + 16 bytes); *pt_len set. */
static TG_MUST_CHECK tg_result open_cbc(const struct tg_ticket_keys *ks,
			  const struct tk_key *k, const uint8_t *t, size_t len,
			  uint8_t *pt, size_t pt_cap, size_t *pt_len)
{
	struct tg_cur c = tg_cur_init(t, len), enc;
	const uint8_t *iv, *mac;
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	size_t mac_off;
	int l1 = 0, l2 = 0, ok;
	EVP_CIPHER_CTX *ctx;

	TG_GUARD(tg_cur_skip(&c, TG_TICKET_KEY_NAME_LEN));
	TG_GUARD(tg_cur_take(&c, TK_CBC_IV, &iv));
	TG_GUARD(tg_cur_vec(&c, 2, 16, pt_cap, &enc));
	TG_ENSURE(tg_cur_left(&enc) % 16 == 0, TG_E_DECODE);
	mac_off = c.pos;
	TG_GUARD(tg_cur_take(&c, TK_CBC_MAC, &mac));
	TG_GUARD(tg_cur_end(&c));
	TG_ENSURE(HMAC(EVP_sha256(), k->hmac_key, sizeof(k->hmac_key), t,
		       mac_off, md, &md_len) != NULL &&
			  md_len == TK_CBC_MAC,
		  TG_E_CRYPTO);
	ok = tg_ct_cmp(md, mac, TK_CBC_MAC) == 0;
	TG_WIPE_OBJ(md);
	TG_ENSURE(ok, TG_E_BAD_MAC);
	ctx = EVP_CIPHER_CTX_new();
	TG_ENSURE(ctx != NULL, TG_E_NOMEM);
	ok = EVP_DecryptInit_ex2(ctx, ks->cbc, k->aes_key, iv, NULL) == 1 &&
	     EVP_DecryptUpdate(ctx, pt, &l1, tg_cur_ptr(&enc),
			       (int)tg_cur_left(&enc)) == 1 &&
	     EVP_DecryptFinal_ex(ctx, pt + l1, &l2) == 1;
	EVP_CIPHER_CTX_free(ctx);
	TG_ENSURE(ok, TG_E_DECODE);
	*pt_len = (size_t)l1 + (size_t)l2;
	return TG_OK;
}

static TG_MUST_CHECK tg_result open_gcm(const struct tg_ticket_keys *ks,
			  const struct tk_key *k, const uint8_t *t, size_t len,
			  uint8_t *pt, size_t pt_cap, size_t *pt_len)
{
	struct tg_cur c = tg_cur_init(t, len);
	const uint8_t *nonce, *ct, *tag;
	size_t ct_len;
	int l0 = 0, l1 = 0, l2 = 0, ok;
	EVP_CIPHER_CTX *ctx;

	TG_GUARD(tg_cur_skip(&c, TG_TICKET_KEY_NAME_LEN));
	TG_GUARD(tg_cur_take(&c, TK_GCM_NONCE, &nonce));
	TG_ENSURE(tg_cur_left(&c) >= TK_GCM_TAG, TG_E_DECODE);
	ct_len = tg_cur_left(&c) - TK_GCM_TAG;
	TG_ENSURE(ct_len >= 1 && ct_len <= pt_cap, TG_E_DECODE);
	TG_GUARD(tg_cur_take(&c, ct_len, &ct));
	TG_GUARD(tg_cur_take(&c, TK_GCM_TAG, &tag));
	TG_GUARD(tg_cur_end(&c));
	ctx = EVP_CIPHER_CTX_new();
	TG_ENSURE(ctx != NULL, TG_E_NOMEM);
	ok = EVP_DecryptInit_ex2(ctx, ks->gcm, k->aes_key, nonce, NULL) == 1 &&
	     EVP_DecryptUpdate(ctx, NULL, &l0, k->name, sizeof(k->name)) == 1 &&
	     EVP_DecryptUpdate(ctx, pt, &l1, ct, (int)ct_len) == 1 &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TK_GCM_TAG,
				 (void *)tag) == 1 &&
	     EVP_DecryptFinal_ex(ctx, pt + l1, &l2) == 1;
	EVP_CIPHER_CTX_free(ctx);
	TG_ENSURE(ok, TG_E_BAD_MAC);
	*pt_len = (size_t)l1 + (size_t)l2;
	return TG_OK;
}

uint64_t tg_ticket_keys_now(const struct tg_ticket_keys *ks)
{
	return ks->clock(ks->clock_arg);
}

enum tg_ticket_status tg_ticket_open(const struct tg_ticket_keys *ks,
				     const uint8_t *ticket, size_t len,
				     struct tg_sess_state *out)
{
	uint8_t pt[TG_TICKET_STATE_MAX + 16];
	size_t pt_len = 0, idx = 0;
	const struct tk_key *k;
	uint64_t now;
	tg_result r;

	if (out == NULL)
		return TG_TICKET_INVALID;
	tg_wipe(out, sizeof(*out));
	if (ks == NULL || ticket == NULL || len < TG_TICKET_KEY_NAME_LEN)
		return TG_TICKET_INVALID;
	k = find_key(ks, ticket, &idx);
	if (k == NULL)
		return TG_TICKET_INVALID;
	r = k->fmt == TG_TICKET_FMT_CBC
		    ? open_cbc(ks, k, ticket, len, pt, sizeof(pt), &pt_len)
		    : open_gcm(ks, k, ticket, len, pt, sizeof(pt), &pt_len);
	if (tg_ok(r))
		r = tg_ticket_state_decode(pt, pt_len, out);
	tg_wipe(pt, sizeof(pt));
	if (tg_failed(r)) {
		TG_DEBUG("ticket: not resumable (%s)", tg_strerror(r.code));
		tg_wipe(out, sizeof(*out));
		return TG_TICKET_INVALID;
	}
	now = ks->clock(ks->clock_arg);
	if (out->created > now + TK_FUTURE_SKEW ||
	    (now > out->created && now - out->created >= ks->lifetime_s)) {
		TG_DEBUG("ticket: expired");
		tg_wipe(out, sizeof(*out));
		return TG_TICKET_INVALID;
	}
	return idx == 0 ? TG_TICKET_OK : TG_TICKET_RENEW;
}
