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

/*
 * TLS 1.3 (RFC 8446 §4.3.2):
 *   struct { opaque certificate_request_context<0..2^8-1>;
 *            Extension extensions<2..2^16-1>; } CertificateRequest;
 * "The "signature_algorithms" extension MUST be specified"; we also
 * read signature_algorithms_cert and certificate_authorities (§4.2.4:
 * DistinguishedName authorities<3..2^16-1>).
 */

static TG_MUST_CHECK tg_result cr13_ext(uint16_t type, struct tg_cur *ext,
					void *arg)
{
	struct tg_hs13_certificate_request *out = arg;

	switch (type) {
	case TG_EXT_SIGNATURE_ALGORITHMS:
		TG_GUARD(tg_hs_u16_list_read(ext, 2, 2, 0xfffe, &out->sigalgs));
		TG_GUARD(tg_cur_end(ext));
		out->exts |= TG_HS_EXT_SIGNATURE_ALGS;
		return TG_OK;
	case TG_EXT_SIGNATURE_ALGORITHMS_CERT:
		TG_GUARD(tg_hs_u16_list_read(ext, 2, 2, 0xfffe,
					     &out->sigalgs_cert));
		TG_GUARD(tg_cur_end(ext));
		out->exts |= TG_HS_EXT_SIGALGS_CERT;
		return TG_OK;
	case TG_EXT_CERTIFICATE_AUTHORITIES:
		TG_GUARD(tg_hs_vec_read(ext, 2, 3, 0xffff, &out->cas));
		TG_GUARD(tg_cur_end(ext));
		TG_GUARD(tg_hs_list_check(&out->cas, 2, &out->n_cas));
		out->exts |= TG_HS_EXT_CERT_AUTHORITIES;
		return TG_OK;
	case TG_EXT_STATUS_REQUEST:
		/* OCSP for the client's certificate: defined here; ignored */
		return tg_cur_skip(ext, tg_cur_left(ext));
	case TG_EXT_SERVER_NAME:
	case TG_EXT_SUPPORTED_GROUPS:
	case TG_EXT_ALPN:
	case TG_EXT_KEY_SHARE:
	case TG_EXT_PRE_SHARED_KEY:
	case TG_EXT_SUPPORTED_VERSIONS:
	case TG_EXT_EARLY_DATA:
	case TG_EXT_COOKIE:
	case TG_EXT_PSK_KEY_EXCHANGE_MODES:
		return tg_error(TG_E_ILLEGAL_PARAM); /* RFC 8446 §4.2 */
	default:
		/* "Clients MUST ignore unrecognized extensions." */
		return tg_cur_skip(ext, tg_cur_left(ext));
	}
}

tg_result tg_hs13_certificate_request_parse(struct tg_cur *body,
				struct tg_hs13_certificate_request *out)
{
	bool has;

	TG_ENSURE_REF(body);
	TG_ENSURE_REF(out);
	memset(out, 0, sizeof(*out));
	TG_GUARD(tg_hs_vec_read(body, 1, 0, 255, &out->context));
	TG_ENSURE(tg_cur_left(body) >= 2, TG_E_DECODE);
	TG_GUARD(tg_hs_ext_block_read(body, cr13_ext, out, &has));
	TG_ENSURE(out->exts & TG_HS_EXT_SIGNATURE_ALGS, TG_E_MISSING_EXT);
	return TG_OK;
}

tg_result tg_hs13_certificate_request_write(struct tg_wcur *w,
				const struct tg_hs13_certificate_request *in)
{
	size_t mark, m, e, n;

	TG_ENSURE_REF(w);
	TG_ENSURE_REF(in);
	TG_ENSURE(tg_ok(tg_hs_list_check(&in->cas, 2, &n)), TG_E_INVAL);
	TG_GUARD(tg_hs_hdr_begin(w, TG_HS_CERTIFICATE_REQUEST, &mark));
	TG_GUARD(tg_hs_vec_write(w, 1, 0, 255, &in->context));
	TG_GUARD(tg_wcur_vec_begin(w, 2, &m));
	TG_GUARD(tg_hs_ext_begin(w, TG_EXT_SIGNATURE_ALGORITHMS, &e));
	TG_GUARD(tg_hs_u16_list_write(w, 2, 2, 0xfffe, &in->sigalgs));
	TG_GUARD(tg_wcur_vec_end(w, 2, e));
	if (in->cas.len > 0) {
		TG_GUARD(tg_hs_ext_begin(w, TG_EXT_CERTIFICATE_AUTHORITIES, &e));
		TG_GUARD(tg_hs_vec_write(w, 2, 3, 0xffff, &in->cas));
		TG_GUARD(tg_wcur_vec_end(w, 2, e));
	}
	TG_GUARD(tg_wcur_vec_end(w, 2, m));
	return tg_hs_hdr_end(w, mark);
}
