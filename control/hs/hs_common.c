/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Handshake framing (RFC 5246 §7.4) and the helpers the message files
 * share: codepoint lists, length-prefixed item lists, extension dedup.
 */
#include "hs_internal.h"
#include "tg_suite.h"

#include <string.h>

size_t tg_hs_msg_max(uint8_t type)
{
	return type == TG_HS_CLIENT_HELLO ? TG_TLS_MAX_CLIENT_HELLO
					  : TG_TLS_MAX_HS_MSG;
}

tg_result tg_hs_msg_next(struct tg_cur *stream, uint8_t *type,
			 struct tg_cur *body)
{
	struct tg_cur c;
	uint8_t t;
	uint32_t len;

	TG_ENSURE_REF(stream);
	TG_ENSURE_REF(type);
	TG_ENSURE_REF(body);
	/* struct { HandshakeType msg_type; uint24 length; ... } Handshake; */
	c = *stream;
	TG_ENSURE(tg_cur_left(&c) >= TG_TLS_HS_HDR_LEN, TG_E_SHORT);
	TG_GUARD(tg_cur_u8(&c, &t));
	TG_GUARD(tg_cur_u24(&c, &len));
	*type = t;
	TG_ENSURE(len <= tg_hs_msg_max(t), TG_E_OVERFLOW);
	TG_ENSURE(tg_cur_left(&c) >= len, TG_E_SHORT);
	TG_GUARD(tg_cur_sub(&c, len, body));
	*type = t;
	*stream = c;
	return TG_OK;
}

tg_result tg_hs_hdr_begin(struct tg_wcur *w, uint8_t type, size_t *mark)
{
	TG_ENSURE_REF(w);
	TG_GUARD(tg_wcur_u8(w, type));
	return tg_wcur_vec_begin(w, 3, mark);
}

tg_result tg_hs_hdr_end_max(struct tg_wcur *w, size_t mark, size_t max)
{
	TG_ENSURE(w->pos - mark - 3 <= max, TG_E_OVERFLOW);
	return tg_wcur_vec_end(w, 3, mark);
}

tg_result tg_hs_hdr_end(struct tg_wcur *w, size_t mark)
{
	return tg_hs_hdr_end_max(w, mark, TG_TLS_MAX_HS_MSG);
}

uint16_t tg_hs_u16_at(const struct tg_hs_u16_list *l, size_t i)
{
	if (l == NULL || i >= l->n)
		return 0;
	if (l->host != NULL)
		return l->host[i];
	if (l->be == NULL)
		return 0;
	return (uint16_t)((unsigned)l->be[2 * i] << 8 | l->be[2 * i + 1]);
}

bool tg_hs_u16_has(const struct tg_hs_u16_list *l, uint16_t v)
{
	if (l == NULL)
		return false;
	for (size_t i = 0; i < l->n; i++)
		if (tg_hs_u16_at(l, i) == v)
			return true;
	return false;
}

tg_result tg_hs_u16_select(const struct tg_hs_u16_list *peer,
			   const uint16_t *prefs, size_t n, uint16_t *out)
{
	TG_ENSURE_REF(peer);
	TG_ENSURE_REF(out);
	TG_ENSURE(prefs != NULL || n == 0, TG_E_INVAL);
	for (size_t i = 0; i < n; i++) {
		if (tg_hs_u16_has(peer, prefs[i])) {
			*out = prefs[i];
			return TG_OK;
		}
	}
	return tg_error(TG_E_HANDSHAKE_FAIL);
}

void tg_hs_client_sigalgs(const struct tg_hs_client_hello *ch, bool ecdsa,
			  struct tg_hs_u16_list *out)
{
	/* RFC 5246 §7.4.1.4.1: without the extension, behave as if the
	 * client had sent {sha1, rsa} / {sha1, ecdsa} for the suite's kind. */
	static const uint16_t dflt_rsa[] = { 0x0201 };   /* rsa_pkcs1_sha1 */
	static const uint16_t dflt_ecdsa[] = { 0x0203 }; /* ecdsa_sha1 */

	if (ch != NULL && (ch->exts & TG_HS_EXT_SIGNATURE_ALGS)) {
		*out = ch->sigalgs;
		return;
	}
	*out = ecdsa ? TG_HS_U16_LIST(dflt_ecdsa) : TG_HS_U16_LIST(dflt_rsa);
}

uint32_t tg_hs_sigalg_set(const struct tg_hs_u16_list *l)
{
	struct tg_cur c;
	uint32_t set = 0;
	uint16_t v;

	if (l == NULL)
		return 0;
	if (l->host != NULL)
		return tg_sigalg_set(l->host, l->n);
	if (l->be == NULL)
		return 0;
	c = tg_cur_init(l->be, 2 * l->n);
	while (tg_ok(tg_cur_u16(&c, &v)))
		set |= tg_sigalg_bit(v);
	return set;
}

bool tg_hs_list_next(struct tg_cur *it, unsigned prefix,
		     struct tg_hs_bytes *item)
{
	struct tg_cur save, sub;

	if (it == NULL || item == NULL || prefix < 1 || prefix > 3 ||
	    tg_cur_left(it) == 0)
		return false;
	save = *it;
	if (tg_failed(tg_cur_vec(it, prefix, 1,
				 ((size_t)1 << (8 * prefix)) - 1, &sub))) {
		*it = save;
		return false;
	}
	item->p = sub.p;
	item->len = sub.len;
	return true;
}

bool tg_hs_alpn_offered(const struct tg_hs_client_hello *ch, const void *name,
			size_t len)
{
	struct tg_cur it;
	struct tg_hs_bytes item;

	if (ch == NULL || !(ch->exts & TG_HS_EXT_ALPN))
		return false;
	it = tg_cur_init(ch->alpn.p, ch->alpn.len);
	while (tg_hs_list_next(&it, 1, &item))
		if (item.len == len && memcmp(item.p, name, len) == 0)
			return true;
	return false;
}

tg_result tg_hs_alpn_encode(const char *const *names, size_t n, uint8_t *buf,
			    size_t cap, struct tg_hs_bytes *out, size_t *count)
{
	struct tg_wcur w = tg_wcur_init(buf, cap);

	TG_ENSURE(names != NULL && n >= 1 && out != NULL && count != NULL,
		  TG_E_INVAL);
	for (size_t i = 0; i < n; i++) {
		size_t l = names[i] ? strlen(names[i]) : 0;

		/* RFC 7301 §3.1: ProtocolName opaque<1..2^8-1> */
		TG_ENSURE(l >= 1 && l <= 255, TG_E_INVAL);
		TG_GUARD(tg_wcur_u8(&w, (uint8_t)l));
		TG_GUARD(tg_wcur_bytes(&w, names[i], l));
	}
	TG_ENSURE(w.pos <= 0xffff, TG_E_INVAL);
	out->p = buf;
	out->len = w.pos;
	*count = n;
	return TG_OK;
}

int tg_hs_downgrade_sentinel(const uint8_t random[TG_TLS_RANDOM_LEN])
{
	/* RFC 8446 §4.1.3: 44 4F 57 4E 47 52 44 01 / 00 */
	const uint8_t *tail;

	if (random == NULL)
		return 0;
	tail = random + TG_TLS_RANDOM_LEN - 8;
	if (memcmp(tail, TG_TLS_DOWNGRADE_TLS12, 7) != 0)
		return 0;
	if (tail[7] == 0x01)
		return 2;
	if (tail[7] == 0x00)
		return 1;
	return 0;
}

tg_result tg_hs_u16_list_read(struct tg_cur *c, unsigned prefix, size_t min,
			      size_t max, struct tg_hs_u16_list *out)
{
	struct tg_cur sub;

	TG_GUARD(tg_cur_vec(c, prefix, min, max, &sub));
	TG_ENSURE(sub.len % 2 == 0, TG_E_DECODE);
	out->be = sub.p;
	out->host = NULL;
	out->n = sub.len / 2;
	return TG_OK;
}

tg_result tg_hs_u16_list_write(struct tg_wcur *w, unsigned prefix, size_t min,
			       size_t max, const struct tg_hs_u16_list *l)
{
	size_t mark;

	TG_ENSURE(l->n <= SIZE_MAX / 2, TG_E_INVAL);
	TG_ENSURE(2 * l->n >= min && 2 * l->n <= max, TG_E_INVAL);
	TG_ENSURE(l->n == 0 || l->host != NULL || l->be != NULL, TG_E_INVAL);
	TG_GUARD(tg_wcur_vec_begin(w, prefix, &mark));
	for (size_t i = 0; i < l->n; i++)
		TG_GUARD(tg_wcur_u16(w, tg_hs_u16_at(l, i)));
	return tg_wcur_vec_end(w, prefix, mark);
}

tg_result tg_hs_list_check(const struct tg_hs_bytes *b, unsigned prefix,
			   size_t *count)
{
	struct tg_cur it;
	struct tg_cur item;
	size_t n = 0;

	TG_ENSURE(b->p != NULL || b->len == 0, TG_E_INVAL);
	TG_ENSURE(prefix >= 1 && prefix <= 3, TG_E_INVAL);
	it = tg_cur_init(b->p, b->len);
	while (tg_cur_left(&it) > 0) {
		TG_GUARD(tg_cur_vec(&it, prefix, 1,
				    ((size_t)1 << (8 * prefix)) - 1, &item));
		n++;
	}
	*count = n;
	return TG_OK;
}

tg_result tg_hs_vec_write(struct tg_wcur *w, unsigned prefix, size_t min,
			  size_t max, const struct tg_hs_bytes *b)
{
	TG_ENSURE(b->len >= min && b->len <= max, TG_E_INVAL);
	TG_ENSURE(b->p != NULL || b->len == 0, TG_E_INVAL);
	TG_GUARD(tg_wcur_be(w, prefix, b->len));
	return tg_wcur_bytes(w, b->p, b->len);
}

tg_result tg_hs_vec_read(struct tg_cur *c, unsigned prefix, size_t min,
			 size_t max, struct tg_hs_bytes *out)
{
	struct tg_cur sub;

	TG_GUARD(tg_cur_vec(c, prefix, min, max, &sub));
	out->p = sub.p;
	out->len = sub.len;
	return TG_OK;
}

tg_result tg_hs_ext_mark(struct tg_hs_ext_seen *s, uint16_t type)
{
	uint64_t bit = (uint64_t)1 << (type % 64);

	/* RFC 5246 §7.4.1.4: "There MUST NOT be more than one extension of
	 * the same type." -> decode_error (see tg_hs_msg.h). */
	TG_ENSURE(!(s->bits[type / 64] & bit), TG_E_DECODE);
	s->bits[type / 64] |= bit;
	return TG_OK;
}

tg_result tg_hs_point_formats_read(struct tg_cur *ext, struct tg_hs_bytes *out)
{
	/* RFC 8422 §5.1.2: ECPointFormat ec_point_format_list<1..2^8-1> */
	TG_GUARD(tg_hs_vec_read(ext, 1, 1, 255, out));
	return tg_cur_end(ext);
}

tg_result tg_hs_point_formats_check(const struct tg_hs_bytes *pf)
{
	/* RFC 8422 §5.1.2: "... does not contain the uncompressed point
	 * format ... MUST abort the handshake and return an
	 * illegal_parameter alert." */
	TG_ENSURE(pf->len > 0 && memchr(pf->p, 0, pf->len) != NULL,
		  TG_E_ILLEGAL_PARAM);
	return TG_OK;
}

tg_result tg_hs_reneg_info_read(struct tg_cur *ext, struct tg_hs_bytes *out)
{
	/* RFC 5746 §3.2: opaque renegotiated_connection<0..255>; */
	TG_GUARD(tg_hs_vec_read(ext, 1, 0, 255, out));
	return tg_cur_end(ext);
}

tg_result tg_hs_hello_head_read(struct tg_cur *c, uint16_t *version,
				uint8_t *random, uint8_t *sid_len,
				uint8_t *sid)
{
	struct tg_cur sub;

	TG_GUARD(tg_cur_u16(c, version));
	TG_GUARD(tg_cur_copy(c, random, TG_TLS_RANDOM_LEN));
	/* opaque SessionID<0..32>; */
	TG_GUARD(tg_cur_vec(c, 1, 0, TG_TLS_SESSION_ID_MAX, &sub));
	TG_GUARD(tg_cur_copy(&sub, sid, sub.len));
	*sid_len = (uint8_t)sub.len;
	return TG_OK;
}

tg_result tg_hs_hello_head_write(struct tg_wcur *w, uint16_t version,
				 const uint8_t *random, uint8_t sid_len,
				 const uint8_t *sid)
{
	TG_ENSURE(sid_len <= TG_TLS_SESSION_ID_MAX, TG_E_INVAL);
	TG_GUARD(tg_wcur_u16(w, version));
	TG_GUARD(tg_wcur_bytes(w, random, TG_TLS_RANDOM_LEN));
	TG_GUARD(tg_wcur_u8(w, sid_len));
	return tg_wcur_bytes(w, sid, sid_len);
}

tg_result tg_hs_ext_begin(struct tg_wcur *w, uint16_t type, size_t *mark)
{
	TG_GUARD(tg_wcur_u16(w, type));
	return tg_wcur_vec_begin(w, 2, mark);
}

tg_result tg_hs_ext_empty(struct tg_wcur *w, uint16_t type)
{
	TG_GUARD(tg_wcur_u16(w, type));
	return tg_wcur_u16(w, 0);
}

tg_result tg_hs_ext_alpn1_read(struct tg_cur *ext, struct tg_hs_bytes *alpn)
{
	struct tg_cur list;

	TG_GUARD(tg_cur_vec(ext, 2, 2, 0xffff, &list));
	TG_GUARD(tg_cur_end(ext));
	TG_GUARD(tg_hs_vec_read(&list, 1, 1, 255, alpn));
	return tg_cur_end(&list);
}

tg_result tg_hs_ext_alpn1_write(struct tg_wcur *w, const struct tg_hs_bytes *alpn)
{
	size_t m, m2;

	TG_GUARD(tg_hs_ext_begin(w, TG_EXT_ALPN, &m));
	TG_GUARD(tg_wcur_vec_begin(w, 2, &m2));
	TG_GUARD(tg_hs_vec_write(w, 1, 1, 255, alpn));
	TG_GUARD(tg_wcur_vec_end(w, 2, m2));
	return tg_wcur_vec_end(w, 2, m);
}

tg_result tg_hs_client_hello_reneg_check(const struct tg_hs_client_hello *ch,
					 bool *secure)
{
	bool ext;

	TG_ENSURE_REF(ch);
	TG_ENSURE_REF(secure);
	ext = (ch->exts & TG_HS_EXT_RENEGOTIATION_INFO) != 0;
	*secure = false;
	/* RFC 5746 §3.6: "... if it is present ... the server MUST then
	 * verify that the length of the "renegotiated_connection" field is
	 * zero, and if it is not, MUST abort the handshake." */
	TG_ENSURE(!ext || ch->reneg_info.len == 0, TG_E_HANDSHAKE_FAIL);
	*secure = ext || ch->scsv_reneg;
	return TG_OK;
}

tg_result tg_hs_server_hello_reneg_check(const struct tg_hs_server_hello *sh,
					 bool *secure)
{
	bool ext;

	TG_ENSURE_REF(sh);
	TG_ENSURE_REF(secure);
	ext = (sh->exts & TG_HS_EXT_RENEGOTIATION_INFO) != 0;
	*secure = false;
	/* RFC 5746 §3.4: "The client MUST then verify that the length of the
	 * "renegotiated_connection" field is zero, and if it is not, MUST
	 * abort the handshake (by sending a fatal handshake_failure alert)." */
	TG_ENSURE(!ext || sh->reneg_info.len == 0, TG_E_HANDSHAKE_FAIL);
	*secure = ext;
	return TG_OK;
}

tg_result tg_hs_ext_block_read(struct tg_cur *body, tg_hs_ext_read_fn fn,
			       void *out, bool *has_block)
{
	struct tg_cur exts;

	/* "A server MUST accept ClientHello messages both with and without
	 * the extensions field": it is there when bytes follow. */
	*has_block = tg_cur_left(body) > 0;
	if (!*has_block)
		return TG_OK;
	TG_GUARD(tg_cur_vec(body, 2, 0, 0xffff, &exts));
	TG_GUARD(tg_cur_end(body));
	return tg_hs_ext_list_read(&exts, fn, out);
}

tg_result tg_hs_ext_list_read(struct tg_cur *exts, tg_hs_ext_read_fn fn,
			      void *out)
{
	struct tg_hs_ext_seen seen;

	memset(&seen, 0, sizeof(seen));
	while (tg_cur_left(exts) > 0) {
		struct tg_cur ext;
		uint16_t type;

		TG_GUARD(tg_cur_u16(exts, &type));
		TG_GUARD(tg_cur_vec(exts, 2, 0, 0xffff, &ext));
		TG_GUARD(tg_hs_ext_mark(&seen, type));
		TG_GUARD(fn(type, &ext, out));
	}
	return TG_OK;
}
