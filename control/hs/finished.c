/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Finished (RFC 5246 §7.4.9):
 *   struct { opaque verify_data[verify_data_length]; } Finished;
 * verify_data_length is 12 for every suite we implement.
 */
#include "hs_internal.h"

tg_result tg_hs_finished_parse(struct tg_cur *body, struct tg_hs_finished *out)
{
	TG_ENSURE_REF(body);
	TG_ENSURE_REF(out);
	TG_ENSURE(tg_cur_left(body) == TG_TLS_VERIFY_DATA_LEN, TG_E_DECODE);
	return tg_cur_copy(body, out->verify_data, TG_TLS_VERIFY_DATA_LEN);
}

tg_result tg_hs_finished_write(struct tg_wcur *w,
			       const struct tg_hs_finished *in)
{
	size_t mark;

	TG_ENSURE_REF(w);
	TG_ENSURE_REF(in);
	TG_GUARD(tg_hs_hdr_begin(w, TG_HS_FINISHED, &mark));
	TG_GUARD(tg_wcur_bytes(w, in->verify_data, TG_TLS_VERIFY_DATA_LEN));
	return tg_hs_hdr_end(w, mark);
}

/* TLS 1.3 (RFC 8446 §4.4.4): opaque verify_data[Hash.length]. */
tg_result tg_hs13_finished_parse(struct tg_cur *body, size_t hl,
				 struct tg_hs13_finished *out)
{
	TG_ENSURE_REF(body);
	TG_ENSURE_REF(out);
	TG_ENSURE(hl == 32 || hl == 48, TG_E_INVAL);
	TG_ENSURE(tg_cur_left(body) == hl, TG_E_DECODE);
	out->len = hl;
	return tg_cur_copy(body, out->verify_data, hl);
}

tg_result tg_hs13_finished_write(struct tg_wcur *w,
				 const struct tg_hs13_finished *in)
{
	size_t mark;

	TG_ENSURE_REF(w);
	TG_ENSURE_REF(in);
	TG_ENSURE(in->len == 32 || in->len == 48, TG_E_INVAL);
	TG_GUARD(tg_hs_hdr_begin(w, TG_HS_FINISHED, &mark));
	TG_GUARD(tg_wcur_bytes(w, in->verify_data, in->len));
	return tg_hs_hdr_end(w, mark);
}
