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
