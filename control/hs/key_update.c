/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * KeyUpdate (RFC 8446 §4.6.3):
 *   enum { update_not_requested(0), update_requested(1), (255) }
 *       KeyUpdateRequest;
 *   struct { KeyUpdateRequest request_update; } KeyUpdate;
 */
#include "hs_internal.h"

tg_result tg_hs_key_update_parse(struct tg_cur *body, uint8_t *req)
{
	uint8_t v;

	TG_ENSURE_REF(body);
	TG_ENSURE_REF(req);
	TG_GUARD(tg_cur_u8(body, &v));
	TG_GUARD(tg_cur_end(body));
	/* "If an implementation receives any other value, it MUST
	 * terminate the connection with an "illegal_parameter" alert." */
	TG_ENSURE(v == TG_HS_UPDATE_NOT_REQUESTED || v == TG_HS_UPDATE_REQUESTED,
		  TG_E_ILLEGAL_PARAM);
	*req = v;
	return TG_OK;
}

tg_result tg_hs_key_update_write(struct tg_wcur *w, uint8_t req)
{
	size_t mark;

	TG_ENSURE_REF(w);
	TG_ENSURE(req <= TG_HS_UPDATE_REQUESTED, TG_E_INVAL);
	TG_GUARD(tg_hs_hdr_begin(w, TG_HS_KEY_UPDATE, &mark));
	TG_GUARD(tg_wcur_u8(w, req));
	return tg_hs_hdr_end(w, mark);
}
