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

/*
 * TLS 1.3 (RFC 8446 §4.4.2):
 *   struct { opaque cert_data<1..2^24-1>;
 *            Extension extensions<0..2^16-1>; } CertificateEntry;
 *   struct { opaque certificate_request_context<0..2^8-1>;
 *            CertificateEntry certificate_list<0..2^24-1>; } Certificate;
 */

static TG_MUST_CHECK tg_result entry_ext(uint16_t type, struct tg_cur *ext,
					 void *arg)
{
	(void)type;
	(void)arg;
	/* the body is opaque here; duplicates were refused */
	return tg_cur_skip(ext, tg_cur_left(ext));
}

tg_result tg_hs13_certificate_parse(struct tg_cur *body,
				    struct tg_hs13_certificate *out)
{
	struct tg_cur list;

	TG_ENSURE_REF(body);
	TG_ENSURE_REF(out);
	memset(out, 0, sizeof(*out));
	TG_GUARD(tg_hs_vec_read(body, 1, 0, 255, &out->context));
	TG_GUARD(tg_cur_vec(body, 3, 0, TG_TLS_MAX_HS_MSG, &list));
	TG_GUARD(tg_cur_end(body));
	while (tg_cur_left(&list) > 0) {
		struct tg_hs_bytes cert;
		struct tg_cur exts;

		TG_GUARD(tg_hs_vec_read(&list, 3, 1, TG_TLS_MAX_HS_MSG, &cert));
		TG_GUARD(tg_cur_vec(&list, 2, 0, 0xffff, &exts));
		TG_ENSURE(out->n < TG_HS_MAX_CHAIN, TG_E_CERT_UNKNOWN);
		out->exts[out->n] = (struct tg_hs_bytes){ tg_cur_ptr(&exts),
							  tg_cur_left(&exts) };
		/* the entry's extensions: syntax and duplicates */
		TG_GUARD(tg_hs_ext_list_read(&exts, entry_ext, NULL));
		out->cert[out->n++] = cert;
	}
	return TG_OK;
}

tg_result tg_hs13_certificate_write(struct tg_wcur *w,
				    const struct tg_hs13_certificate *in)
{
	size_t mark, m;

	TG_ENSURE_REF(w);
	TG_ENSURE_REF(in);
	TG_ENSURE(in->n <= TG_HS_MAX_CHAIN, TG_E_INVAL);
	TG_GUARD(tg_hs_hdr_begin(w, TG_HS_CERTIFICATE, &mark));
	TG_GUARD(tg_hs_vec_write(w, 1, 0, 255, &in->context));
	TG_GUARD(tg_wcur_vec_begin(w, 3, &m));
	for (size_t i = 0; i < in->n; i++) {
		TG_ENSURE(in->cert[i].len <= TG_TLS_MAX_HS_MSG, TG_E_OVERFLOW);
		TG_GUARD(tg_hs_vec_write(w, 3, 1, TG_TLS_MAX_HS_MSG,
					 &in->cert[i]));
		TG_GUARD(tg_hs_vec_write(w, 2, 0, 0xffff, &in->exts[i]));
	}
	TG_GUARD(tg_wcur_vec_end(w, 3, m));
	return tg_hs_hdr_end(w, mark);
}
