/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NewSessionTicket (RFC 5077 §3.3):
 *   struct { uint32 ticket_lifetime_hint; opaque ticket<0..2^16-1>; }
 */
#include "hs_internal.h"

#include <string.h>

tg_result tg_hs_new_session_ticket_parse(struct tg_cur *body,
					 struct tg_hs_new_session_ticket *out)
{
	TG_ENSURE_REF(body);
	TG_ENSURE_REF(out);
	memset(out, 0, sizeof(*out));
	TG_GUARD(tg_cur_u32(body, &out->lifetime_hint));
	TG_GUARD(tg_hs_vec_read(body, 2, 0, 0xffff, &out->ticket));
	return tg_cur_end(body);
}

tg_result tg_hs_new_session_ticket_write(struct tg_wcur *w,
				const struct tg_hs_new_session_ticket *in)
{
	size_t mark;

	TG_ENSURE_REF(w);
	TG_ENSURE_REF(in);
	TG_GUARD(tg_hs_hdr_begin(w, TG_HS_NEW_SESSION_TICKET, &mark));
	TG_GUARD(tg_wcur_be(w, 4, in->lifetime_hint));
	TG_GUARD(tg_hs_vec_write(w, 2, 0, 0xffff, &in->ticket));
	return tg_hs_hdr_end(w, mark);
}

/*
 * TLS 1.3 (RFC 8446 §4.6.1):
 *   struct { uint32 ticket_lifetime; uint32 ticket_age_add;
 *            opaque ticket_nonce<0..255>; opaque ticket<1..2^16-1>;
 *            Extension extensions<0..2^16-2>; } NewSessionTicket;
 * The only extension defined for it is early_data (uint32
 * max_early_data_size); others are ignored.
 */

static TG_MUST_CHECK tg_result nst_ext(uint16_t type, struct tg_cur *ext,
				       void *arg)
{
	struct tg_hs13_new_session_ticket *out = arg;

	if (type != TG_EXT_EARLY_DATA)
		return tg_cur_skip(ext, tg_cur_left(ext));
	TG_GUARD(tg_cur_u32(ext, &out->max_early_data));
	TG_GUARD(tg_cur_end(ext));
	out->early_data = true;
	return TG_OK;
}

tg_result tg_hs13_new_session_ticket_parse(struct tg_cur *body,
				struct tg_hs13_new_session_ticket *out)
{
	bool has;

	TG_ENSURE_REF(body);
	TG_ENSURE_REF(out);
	memset(out, 0, sizeof(*out));
	TG_GUARD(tg_cur_u32(body, &out->lifetime));
	TG_GUARD(tg_cur_u32(body, &out->age_add));
	TG_GUARD(tg_hs_vec_read(body, 1, 0, 255, &out->nonce));
	TG_GUARD(tg_hs_vec_read(body, 2, 1, 0xffff, &out->ticket));
	/* the extensions block is not optional */
	TG_ENSURE(tg_cur_left(body) >= 2, TG_E_DECODE);
	return tg_hs_ext_block_read(body, nst_ext, out, &has);
}

tg_result tg_hs13_new_session_ticket_write(struct tg_wcur *w,
				const struct tg_hs13_new_session_ticket *in)
{
	size_t mark, m, e;

	TG_ENSURE_REF(w);
	TG_ENSURE_REF(in);
	TG_GUARD(tg_hs_hdr_begin(w, TG_HS_NEW_SESSION_TICKET, &mark));
	TG_GUARD(tg_wcur_be(w, 4, in->lifetime));
	TG_GUARD(tg_wcur_be(w, 4, in->age_add));
	TG_GUARD(tg_hs_vec_write(w, 1, 0, 255, &in->nonce));
	TG_GUARD(tg_hs_vec_write(w, 2, 1, 0xffff, &in->ticket));
	TG_GUARD(tg_wcur_vec_begin(w, 2, &m));
	if (in->early_data) {
		TG_GUARD(tg_hs_ext_begin(w, TG_EXT_EARLY_DATA, &e));
		TG_GUARD(tg_wcur_be(w, 4, in->max_early_data));
		TG_GUARD(tg_wcur_vec_end(w, 2, e));
	}
	TG_GUARD(tg_wcur_vec_end(w, 2, m));
	return tg_hs_hdr_end(w, mark);
}
