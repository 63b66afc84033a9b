/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CertificateVerify (RFC 5246 §7.4.8): a digitally-signed struct, i.e.
 * SignatureAndHashAlgorithm algorithm + opaque signature<0..2^16-1> (§4.7).
 */
#include "hs_internal.h"

#include <string.h>

tg_result tg_hs_certificate_verify_parse(struct tg_cur *body,
					 struct tg_hs_certificate_verify *out)
{
	TG_ENSURE_REF(body);
	TG_ENSURE_REF(out);
	memset(out, 0, sizeof(*out));
	TG_GUARD(tg_cur_u16(body, &out->sigalg));
	TG_GUARD(tg_hs_vec_read(body, 2, 0, 0xffff, &out->sig));
	return tg_cur_end(body);
}

tg_result tg_hs_certificate_verify_write(struct tg_wcur *w,
				const struct tg_hs_certificate_verify *in)
{
	size_t mark;

	TG_ENSURE_REF(w);
	TG_ENSURE_REF(in);
	TG_GUARD(tg_hs_hdr_begin(w, TG_HS_CERTIFICATE_VERIFY, &mark));
	TG_GUARD(tg_wcur_u16(w, in->sigalg));
	TG_GUARD(tg_hs_vec_write(w, 2, 0, 0xffff, &in->sig));
	return tg_hs_hdr_end(w, mark);
}
