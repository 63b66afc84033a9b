/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file ks.c
 * The TLS 1.3 key schedule (RFC 8446 §7.1-§7.3, RFC 5869), on tg_hmac().
 */
#include "tg_ks.h"

#include <string.h>

#include <openssl/crypto.h>

#include "tg_prf.h"
#include "tg_tls.h"
#include "tg_wipe.h"

static bool ks_hash_ok(enum tg_hash h)
{
	/* RFC 8446 §B.4: the suites' hashes are SHA-256 and SHA-384 */
	return h == TG_HASH_SHA256 || h == TG_HASH_SHA384;
}

tg_result tg_ks_extract(enum tg_hash h, const uint8_t *salt, size_t salt_len,
			const uint8_t *ikm, size_t ikm_len, uint8_t *prk)
{
	struct tg_hmac_seg seg = { ikm, ikm_len };
	uint8_t out[TG_HASH_MAX_LEN];
	tg_result r;

	TG_ENSURE(ks_hash_ok(h) && prk != NULL, TG_E_INVAL);
	TG_ENSURE(salt != NULL || salt_len == 0, TG_E_INVAL);
	TG_ENSURE(ikm != NULL || ikm_len == 0, TG_E_INVAL);
	/* RFC 5869 §2.2: salt not provided = HashLen zeros, which HMAC
	 * pads to the same key as the empty one */
	r = tg_hmac(h, salt, salt_len, &seg, 1, out);
	if (tg_ok(r))
		memcpy(prk, out, tg_hash_len(h));
	TG_WIPE_OBJ(out);
	return r;
}

tg_result tg_ks_expand(enum tg_hash h, const uint8_t *prk, const uint8_t *info,
		       size_t info_len, uint8_t *out, size_t out_len)
{
	uint8_t t[TG_HASH_MAX_LEN];
	size_t hl = tg_hash_len(h), done = 0;
	uint8_t ctr = 0;
	tg_result r = TG_OK;

	TG_ENSURE(ks_hash_ok(h) && prk != NULL && out != NULL, TG_E_INVAL);
	TG_ENSURE(info != NULL || info_len == 0, TG_E_INVAL);
	TG_ENSURE(out_len > 0 && out_len <= 255 * hl, TG_E_INVAL);
	/* RFC 5869 §2.3: T(0) = empty, T(i) = HMAC(PRK, T(i-1) | info | i) */
	while (done < out_len) {
		struct tg_hmac_seg seg[3] = {
			{ t, ctr == 0 ? 0 : hl },
			{ info, info_len },
			{ &ctr, 1 },
		};
		size_t take = out_len - done < hl ? out_len - done : hl;

		ctr++;
		r = tg_hmac(h, prk, hl, seg, 3, t);
		if (tg_failed(r))
			break;
		memcpy(out + done, t, take);
		done += take;
	}
	TG_WIPE_OBJ(t);
	if (tg_failed(r))
		tg_wipe(out, out_len);
	return r;
}

tg_result tg_ks_expand_label(enum tg_hash h, const uint8_t *secret,
			     const char *label, const uint8_t *ctx,
			     size_t ctx_len, uint8_t *out, size_t out_len)
{
	/* struct { uint16 length; opaque label<7..255>;
	 *          opaque context<0..255>; } HkdfLabel; */
	uint8_t info[2 + 1 + 255 + 1 + 255];
	struct tg_wcur w = tg_wcur_init(info, sizeof(info));
	size_t ll;

	TG_ENSURE(label != NULL, TG_E_INVAL);
	ll = strlen(label);
	TG_ENSURE(ll >= 1 && ll <= TG_KS_LABEL_MAX, TG_E_INVAL);
	TG_ENSURE(ctx_len <= 255 && (ctx != NULL || ctx_len == 0), TG_E_INVAL);
	TG_ENSURE(out_len >= 1 && out_len <= 0xffff, TG_E_INVAL);
	TG_GUARD(tg_wcur_u16(&w, (uint16_t)out_len));
	TG_GUARD(tg_wcur_u8(&w, (uint8_t)(6 + ll)));
	TG_GUARD(tg_wcur_bytes(&w, "tls13 ", 6));
	TG_GUARD(tg_wcur_bytes(&w, label, ll));
	TG_GUARD(tg_wcur_u8(&w, (uint8_t)ctx_len));
	TG_GUARD(tg_wcur_bytes(&w, ctx, ctx_len));
	return tg_ks_expand(h, secret, info, w.pos, out, out_len);
}

/* SHA-256("") and SHA-384("") (FIPS 180-4; test_ks checks them) */
static const uint8_t sha256_empty[32] = {
	0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
	0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
	0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
};
static const uint8_t sha384_empty[48] = {
	0x38, 0xb0, 0x60, 0xa7, 0x51, 0xac, 0x96, 0x38, 0x4c, 0xd9, 0x32,
	0x7e, 0xb1, 0xb1, 0xe3, 0x6a, 0x21, 0xfd, 0xb7, 0x11, 0x14, 0xbe,
	0x07, 0x43, 0x4c, 0x0c, 0xc7, 0xbf, 0x63, 0xf6, 0xe1, 0xda, 0x27,
	0x4e, 0xde, 0xbf, 0xe7, 0x6f, 0x65, 0xfb, 0xd5, 0x1a, 0xd2, 0xf1,
	0x48, 0x98, 0xb9, 0x5b,
};

tg_result tg_ks_derive_secret(enum tg_hash h, const uint8_t *secret,
			      const char *label, const uint8_t *th, uint8_t *out)
{
	uint8_t empty[TG_HASH_MAX_LEN];
	size_t hl = tg_hash_len(h);

	TG_ENSURE(ks_hash_ok(h), TG_E_INVAL);
	if (th == NULL) {
		/* Transcript-Hash(""): the hash of nothing, known */
		if (h == TG_HASH_SHA256)
			th = sha256_empty;
		else if (h == TG_HASH_SHA384)
			th = sha384_empty;
		else {
			TG_GUARD(tg_hash(h, NULL, 0, empty));
			th = empty;
		}
	}
	return tg_ks_expand_label(h, secret, label, th, hl, out, hl);
}

tg_result tg_ks_init(struct tg_ks *ks, enum tg_hash h, const uint8_t *psk,
		     size_t psk_len)
{
	static const uint8_t zeros[TG_KS_MAX];
	size_t hl = tg_hash_len(h);

	TG_ENSURE(ks != NULL && ks_hash_ok(h), TG_E_INVAL);
	TG_ENSURE(psk != NULL || psk_len == 0, TG_E_INVAL);
	memset(ks, 0, sizeof(*ks));
	ks->hash = (uint8_t)h;
	ks->hlen = (uint8_t)hl;
	/* RFC 8446 §7.1: "0" is a string of Hash.length zero bytes */
	return tg_ks_extract(h, NULL, 0, psk_len ? psk : zeros,
			     psk_len ? psk_len : hl, ks->early);
}

tg_result tg_ks_binder_key(const struct tg_ks *ks, bool external, uint8_t *out)
{
	TG_ENSURE(ks != NULL && out != NULL, TG_E_INVAL);
	return tg_ks_derive_secret((enum tg_hash)ks->hash, ks->early,
				   external ? "ext binder" : "res binder", NULL,
				   out);
}

tg_result tg_ks_early_traffic(const struct tg_ks *ks, const uint8_t *th_ch,
			      uint8_t *out)
{
	TG_ENSURE(ks != NULL && th_ch != NULL && out != NULL, TG_E_INVAL);
	return tg_ks_derive_secret((enum tg_hash)ks->hash, ks->early,
				   "c e traffic", th_ch, out);
}

/* HKDF-Extract(Derive-Secret(prev, "derived", ""), ikm): one step down
 * the schedule. */
static TG_MUST_CHECK tg_result ks_next(enum tg_hash h, const uint8_t *prev,
				       const uint8_t *ikm, size_t ikm_len,
				       uint8_t *out)
{
	static const uint8_t zeros[TG_KS_MAX];
	uint8_t salt[TG_HASH_MAX_LEN];
	size_t hl = tg_hash_len(h);
	tg_result r;

	r = tg_ks_derive_secret(h, prev, "derived", NULL, salt);
	if (tg_ok(r))
		r = tg_ks_extract(h, salt, hl, ikm_len ? ikm : zeros,
				  ikm_len ? ikm_len : hl, out);
	TG_WIPE_OBJ(salt);
	return r;
}

tg_result tg_ks_handshake(struct tg_ks *ks, const uint8_t *dhe, size_t dhe_len,
			  const uint8_t *th_sh)
{
	enum tg_hash h;

	TG_ENSURE(ks != NULL && th_sh != NULL, TG_E_INVAL);
	TG_ENSURE(dhe != NULL || dhe_len == 0, TG_E_INVAL);
	h = (enum tg_hash)ks->hash;
	TG_GUARD(ks_next(h, ks->early, dhe, dhe_len, ks->handshake));
	TG_GUARD(tg_ks_derive_secret(h, ks->handshake, "c hs traffic", th_sh,
				     ks->c_hs));
	return tg_ks_derive_secret(h, ks->handshake, "s hs traffic", th_sh,
				   ks->s_hs);
}

tg_result tg_ks_master(struct tg_ks *ks, const uint8_t *th_sf)
{
	enum tg_hash h;

	TG_ENSURE(ks != NULL && th_sf != NULL, TG_E_INVAL);
	h = (enum tg_hash)ks->hash;
	TG_GUARD(ks_next(h, ks->handshake, NULL, 0, ks->master));
	TG_WIPE_OBJ(ks->early);
	TG_WIPE_OBJ(ks->handshake);
	TG_GUARD(tg_ks_derive_secret(h, ks->master, "c ap traffic", th_sf,
				     ks->c_ap));
	return tg_ks_derive_secret(h, ks->master, "s ap traffic", th_sf,
				   ks->s_ap);
}

tg_result tg_ks_exporter(struct tg_ks *ks, const uint8_t *th_sf)
{
	TG_ENSURE(ks != NULL && th_sf != NULL, TG_E_INVAL);
	return tg_ks_derive_secret((enum tg_hash)ks->hash, ks->master,
				   "exp master", th_sf, ks->exporter);
}

tg_result tg_ks_resumption(struct tg_ks *ks, const uint8_t *th_cf)
{
	tg_result r;

	TG_ENSURE(ks != NULL && th_cf != NULL, TG_E_INVAL);
	r = tg_ks_derive_secret((enum tg_hash)ks->hash, ks->master, "res master",
				th_cf, ks->resumption);
	TG_WIPE_OBJ(ks->master);
	return r;
}

tg_result tg_ks_ticket_psk(enum tg_hash h, const uint8_t *rms,
			   const uint8_t *nonce, size_t nonce_len, uint8_t *out)
{
	TG_ENSURE(ks_hash_ok(h) && rms != NULL && out != NULL, TG_E_INVAL);
	return tg_ks_expand_label(h, rms, "resumption", nonce, nonce_len, out,
				  tg_hash_len(h));
}

tg_result tg_ks_finished(enum tg_hash h, const uint8_t *base, const uint8_t *th,
			 uint8_t *out)
{
	uint8_t key[TG_HASH_MAX_LEN];
	size_t hl = tg_hash_len(h);
	struct tg_hmac_seg seg = { th, hl };
	tg_result r;

	TG_ENSURE(ks_hash_ok(h) && base != NULL && th != NULL && out != NULL,
		  TG_E_INVAL);
	/* RFC 8446 §4.4.4 */
	r = tg_ks_expand_label(h, base, "finished", NULL, 0, key, hl);
	if (tg_ok(r))
		r = tg_hmac(h, key, hl, &seg, 1, out);
	TG_WIPE_OBJ(key);
	return r;
}

tg_result tg_ks_finished_check(enum tg_hash h, const uint8_t *base,
			       const uint8_t *th, const uint8_t *received,
			       size_t len)
{
	uint8_t want[TG_HASH_MAX_LEN];
	int diff;

	TG_ENSURE(received != NULL || len == 0, TG_E_INVAL);
	TG_ENSURE(len == tg_hash_len(h), TG_E_DECODE);
	TG_GUARD(tg_ks_finished(h, base, th, want));
	diff = CRYPTO_memcmp(want, received, len);
	TG_WIPE_OBJ(want);
	TG_ENSURE(diff == 0, TG_E_DECRYPT_ERROR);
	return TG_OK;
}

tg_result tg_ks_traffic_keys(enum tg_hash h, enum tg_suite suite,
			     const uint8_t *secret, enum tg_dir dir, uint64_t seq,
			     struct tg_keys *out)
{
	uint8_t kl;
	tg_result r;

	TG_ENSURE(ks_hash_ok(h) && secret != NULL && out != NULL, TG_E_INVAL);
	TG_ENSURE((unsigned)suite < TG_SUITE__COUNT, TG_E_INVAL);
	kl = tg_suite_key_len(suite);
	memset(out, 0, sizeof(*out));
	out->version = TG_TLS13;
	out->suite = (uint8_t)suite;
	out->dir = (uint8_t)dir;
	out->key_len = kl;
	out->iv_len = tg_suite_iv_len(TG_TLS13, suite); /* 12 */
	out->seq = seq;
	/* RFC 8446 §7.3 */
	r = tg_ks_expand_label(h, secret, "key", NULL, 0, out->key, kl);
	if (tg_ok(r))
		r = tg_ks_expand_label(h, secret, "iv", NULL, 0, out->iv,
				       out->iv_len);
	if (tg_failed(r))
		tg_wipe(out, sizeof(*out));
	return r;
}

tg_result tg_ks_update(enum tg_hash h, uint8_t *secret)
{
	uint8_t next[TG_HASH_MAX_LEN];
	size_t hl = tg_hash_len(h);
	tg_result r;

	TG_ENSURE(ks_hash_ok(h) && secret != NULL, TG_E_INVAL);
	/* RFC 8446 §7.2 */
	r = tg_ks_expand_label(h, secret, "traffic upd", NULL, 0, next, hl);
	if (tg_ok(r))
		memcpy(secret, next, hl);
	TG_WIPE_OBJ(next);
	return r;
}

tg_result tg_ks_message_hash(enum tg_hash h, const uint8_t *ch1, size_t len,
			     uint8_t *out, size_t *out_len)
{
	size_t hl = tg_hash_len(h);

	TG_ENSURE(ks_hash_ok(h) && out != NULL && out_len != NULL, TG_E_INVAL);
	TG_ENSURE(ch1 != NULL || len == 0, TG_E_INVAL);
	/* RFC 8446 §4.4.1: Hash(message_hash || 00 00 Hash.length ||
	 * Hash(ClientHello1) || ...) */
	out[0] = TG_HS_MESSAGE_HASH;
	out[1] = 0;
	out[2] = 0;
	out[3] = (uint8_t)hl;
	TG_GUARD(tg_hash(h, ch1, len, out + 4));
	*out_len = 4 + hl;
	return TG_OK;
}

void tg_ks_wipe(struct tg_ks *ks)
{
	if (ks != NULL)
		tg_wipe(ks, sizeof(*ks));
}
