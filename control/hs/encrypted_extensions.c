/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EncryptedExtensions (RFC 8446 §4.3.1):
 *   struct { Extension extensions<0..2^16-1>; } EncryptedExtensions;
 * with what a server may answer there: server_name (empty, RFC 6066 §3),
 * ALPN (one name, RFC 7301 §3.1), supported_groups (RFC 8446 §4.2.7),
 * record_size_limit (RFC 8449 §4), early_data (empty, §4.2.10).
 */
#include "hs_internal.h"

#include <string.h>

static TG_MUST_CHECK tg_result ext_read(uint16_t type, struct tg_cur *ext,
					void *arg)
{
	struct tg_hs_encrypted_extensions *out = arg;

	switch (type) {
	case TG_EXT_SERVER_NAME:
		TG_GUARD(tg_cur_end(ext));
		out->exts |= TG_HS_EXT_SERVER_NAME;
		break;
	case TG_EXT_ALPN:
		TG_GUARD(tg_hs_ext_alpn1_read(ext, &out->alpn));
		out->exts |= TG_HS_EXT_ALPN;
		break;
	case TG_EXT_SUPPORTED_GROUPS:
		TG_GUARD(tg_hs_u16_list_read(ext, 2, 2, 0xffff, &out->groups));
		TG_GUARD(tg_cur_end(ext));
		out->exts |= TG_HS_EXT_SUPPORTED_GROUPS;
		break;
	case TG_EXT_RECORD_SIZE_LIMIT:
		TG_GUARD(tg_cur_u16(ext, &out->record_size_limit));
		TG_GUARD(tg_cur_end(ext));
		out->exts |= TG_HS_EXT_RECORD_SIZE_LIMIT;
		break;
	case TG_EXT_EARLY_DATA:
		TG_GUARD(tg_cur_end(ext));
		out->exts |= TG_HS_EXT_EARLY_DATA;
		break;
	case TG_EXT_STATUS_REQUEST:
	case TG_EXT_EC_POINT_FORMATS:
	case TG_EXT_SIGNATURE_ALGORITHMS:
	case TG_EXT_EXTENDED_MASTER_SECRET:
	case TG_EXT_SESSION_TICKET:
	case TG_EXT_PRE_SHARED_KEY:
	case TG_EXT_SUPPORTED_VERSIONS:
	case TG_EXT_COOKIE:
	case TG_EXT_PSK_KEY_EXCHANGE_MODES:
	case TG_EXT_CERTIFICATE_AUTHORITIES:
	case TG_EXT_POST_HANDSHAKE_AUTH:
	case TG_EXT_SIGNATURE_ALGORITHMS_CERT:
	case TG_EXT_KEY_SHARE:
	case TG_EXT_RENEGOTIATION_INFO:
		/* RFC 8446 §4.2: known, but not for this message */
		return tg_error(TG_E_ILLEGAL_PARAM);
	default:
		/* a client never offers those, so none may come back */
		return tg_error(TG_E_UNSUPPORTED_EXT);
	}
	return TG_OK;
}

tg_result tg_hs_encrypted_extensions_parse(struct tg_cur *body,
					   struct tg_hs_encrypted_extensions *out)
{
	struct tg_cur exts;
	bool has;

	TG_ENSURE_REF(body);
	TG_ENSURE_REF(out);
	memset(out, 0, sizeof(*out));
	/* the block is not optional here: an empty message is malformed */
	TG_ENSURE(tg_cur_left(body) >= 2, TG_E_DECODE);
	exts = *body;
	TG_GUARD(tg_hs_ext_block_read(&exts, ext_read, out, &has));
	*body = exts;
	/* RFC 8449 §4: at least 64 */
	if (out->exts & TG_HS_EXT_RECORD_SIZE_LIMIT)
		TG_ENSURE(out->record_size_limit >= 64, TG_E_ILLEGAL_PARAM);
	return TG_OK;
}

tg_result tg_hs_encrypted_extensions_write(struct tg_wcur *w,
				const struct tg_hs_encrypted_extensions *in)
{
	size_t mark, m, e;

	TG_ENSURE_REF(w);
	TG_ENSURE_REF(in);
	TG_GUARD(tg_hs_hdr_begin(w, TG_HS_ENCRYPTED_EXTENSIONS, &mark));
	TG_GUARD(tg_wcur_vec_begin(w, 2, &m));
	if (in->exts & TG_HS_EXT_SUPPORTED_GROUPS) {
		TG_GUARD(tg_hs_ext_begin(w, TG_EXT_SUPPORTED_GROUPS, &e));
		TG_GUARD(tg_hs_u16_list_write(w, 2, 2, 0xfffe, &in->groups));
		TG_GUARD(tg_wcur_vec_end(w, 2, e));
	}
	if (in->exts & TG_HS_EXT_RECORD_SIZE_LIMIT) {
		TG_GUARD(tg_hs_ext_begin(w, TG_EXT_RECORD_SIZE_LIMIT, &e));
		TG_GUARD(tg_wcur_u16(w, in->record_size_limit));
		TG_GUARD(tg_wcur_vec_end(w, 2, e));
	}
	if (in->exts & TG_HS_EXT_SERVER_NAME)
		TG_GUARD(tg_hs_ext_empty(w, TG_EXT_SERVER_NAME));
	if (in->exts & TG_HS_EXT_ALPN)
		TG_GUARD(tg_hs_ext_alpn1_write(w, &in->alpn));
	if (in->exts & TG_HS_EXT_EARLY_DATA)
		TG_GUARD(tg_hs_ext_empty(w, TG_EXT_EARLY_DATA));
	TG_GUARD(tg_wcur_vec_end(w, 2, m));
	return tg_hs_hdr_end(w, mark);
}
