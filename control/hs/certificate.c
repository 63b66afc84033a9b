/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Certificate (RFC 5246 §7.4.2, §7.4.6):
 *   opaque ASN.1Cert<1..2^24-1>;
 *   struct { ASN.1Cert certificate_list<0..2^24-1>; } Certificate;
 */
#include "hs_internal.h"

#include <string.h>

tg_result tg_hs_certificate_parse(struct tg_cur *body,
				  struct tg_hs_certificate *out)
{
	struct tg_cur list;

	TG_ENSURE_REF(body);
	TG_ENSURE_REF(out);
	memset(out, 0, sizeof(*out));
	TG_GUARD(tg_cur_vec(body, 3, 0, TG_TLS_MAX_HS_MSG, &list));
	TG_GUARD(tg_cur_end(body));
	while (tg_cur_left(&list) > 0) {
		struct tg_hs_bytes cert;

		TG_GUARD(tg_hs_vec_read(&list, 3, 1, TG_TLS_MAX_HS_MSG, &cert));
		/* Our limit, not the RFC's: certificate_unknown. */
		TG_ENSURE(out->n < TG_HS_MAX_CHAIN, TG_E_CERT_UNKNOWN);
		out->cert[out->n++] = cert;
	}
	return TG_OK;
}

tg_result tg_hs_certificate_write(struct tg_wcur *w,
				  const struct tg_hs_certificate *in)
{
	size_t mark, m;

	TG_ENSURE_REF(w);
	TG_ENSURE_REF(in);
	TG_ENSURE(in->n <= TG_HS_MAX_CHAIN, TG_E_INVAL);
	TG_GUARD(tg_hs_hdr_begin(w, TG_HS_CERTIFICATE, &mark));
	TG_GUARD(tg_wcur_vec_begin(w, 3, &m));
	for (size_t i = 0; i < in->n; i++) {
		/* a too-long certificate: the message limit, TG_E_OVERFLOW */
		TG_ENSURE(in->cert[i].len <= TG_TLS_MAX_HS_MSG, TG_E_OVERFLOW);
		TG_GUARD(tg_hs_vec_write(w, 3, 1, TG_TLS_MAX_HS_MSG,
					 &in->cert[i]));
	}
	TG_GUARD(tg_wcur_vec_end(w, 3, m));
	return tg_hs_hdr_end(w, mark);
}
