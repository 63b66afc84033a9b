/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CertificateRequest, TLS 1.2 (RFC 5246 §7.4.4):
 *   struct { ClientCertificateType certificate_types<1..2^8-1>;
 *            SignatureAndHashAlgorithm
 *              supported_signature_algorithms<2^16-1>;  (<2..2^16-2>)
 *            DistinguishedName certificate_authorities<0..2^16-1>;
 *   } CertificateRequest;
 *   opaque DistinguishedName<1..2^16-1>;
 */
#include "hs_internal.h"

#include <string.h>

tg_result tg_hs_certificate_request_parse(struct tg_cur *body,
					  struct tg_hs_certificate_request *out)
{
	TG_ENSURE_REF(body);
	TG_ENSURE_REF(out);
	memset(out, 0, sizeof(*out));
	TG_GUARD(tg_hs_vec_read(body, 1, 1, 255, &out->cert_types));
	TG_GUARD(tg_hs_u16_list_read(body, 2, 2, 0xfffe, &out->sigalgs));
	TG_GUARD(tg_hs_vec_read(body, 2, 0, 0xffff, &out->cas));
	TG_GUARD(tg_cur_end(body));
	return tg_hs_list_check(&out->cas, 2, &out->n_cas);
}

tg_result tg_hs_certificate_request_write(struct tg_wcur *w,
				const struct tg_hs_certificate_request *in)
{
	size_t mark, n;

	TG_ENSURE_REF(w);
	TG_ENSURE_REF(in);
	TG_ENSURE(tg_ok(tg_hs_list_check(&in->cas, 2, &n)), TG_E_INVAL);
	TG_GUARD(tg_hs_hdr_begin(w, TG_HS_CERTIFICATE_REQUEST, &mark));
	TG_GUARD(tg_hs_vec_write(w, 1, 1, 255, &in->cert_types));
	TG_GUARD(tg_hs_u16_list_write(w, 2, 2, 0xfffe, &in->sigalgs));
	TG_GUARD(tg_hs_vec_write(w, 2, 0, 0xffff, &in->cas));
	return tg_hs_hdr_end(w, mark);
}
