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

tg_result tg_hs13_cv_content(bool server, const uint8_t *th, size_t hl,
			     struct tg_wcur *w)
{
	static const char ctx_s[] = "TLS 1.3, server CertificateVerify";
	static const char ctx_c[] = "TLS 1.3, client CertificateVerify";
	uint8_t spaces[64];

	TG_ENSURE(w != NULL && th != NULL && hl <= 64, TG_E_INVAL);
	/* RFC 8446 §4.4.3: 64 x 0x20, the context string, a 0 separator,
	 * the content to be signed (the transcript hash) */
	memset(spaces, 0x20, sizeof(spaces));
	TG_GUARD(tg_wcur_bytes(w, spaces, sizeof(spaces)));
	TG_GUARD(tg_wcur_bytes(w, server ? ctx_s : ctx_c, sizeof(ctx_s) - 1));
	TG_GUARD(tg_wcur_u8(w, 0));
	return tg_wcur_bytes(w, th, hl);
}
