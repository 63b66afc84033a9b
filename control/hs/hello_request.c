/* SPDX-License-Identifier: BSD-3-Clause */
/* HelloRequest (RFC 5246 §7.4.1.1): struct { } HelloRequest; */
#include "hs_internal.h"

tg_result tg_hs_hello_request_parse(struct tg_cur *body)
{
	TG_ENSURE_REF(body);
	return tg_cur_end(body);
}

tg_result tg_hs_hello_request_write(struct tg_wcur *w)
{
	size_t mark;

	TG_ENSURE_REF(w);
	TG_GUARD(tg_hs_hdr_begin(w, TG_HS_HELLO_REQUEST, &mark));
	return tg_hs_hdr_end(w, mark);
}
