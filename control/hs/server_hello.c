/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ServerHello (RFC 5246 §7.4.1.3) and the extensions a server may answer
 * with: server_name and status_request acks (RFC 6066 §3, §8: empty),
 * ec_point_formats (RFC 8422 §5.2), ALPN (RFC 7301 §3.1: one name),
 * extended_master_secret (RFC 7627 §5.2), session_ticket (RFC 5077 §3.2:
 * empty), renegotiation_info (RFC 5746 §3.2); TLS 1.3's ServerHello and
 * HelloRetryRequest extensions (RFC 8446 §4.1.3, §4.1.4):
 * supported_versions, key_share (a KeyShareEntry, or in a
 * HelloRetryRequest the selected_group), pre_shared_key
 * (selected_identity) and cookie.
 */
#include "hs_internal.h"

#include <string.h>

static TG_MUST_CHECK tg_result ext_read(uint16_t type, struct tg_cur *ext, void *arg)
{
	struct tg_hs_server_hello *out = arg;

	switch (type) {
	case TG_EXT_SERVER_NAME:
		/* RFC 6066 §3: "the "extension_data" field of this extension
		 * SHALL be empty" in the server's answer. */
		TG_GUARD(tg_cur_end(ext));
		out->exts |= TG_HS_EXT_SERVER_NAME;
		break;
	case TG_EXT_STATUS_REQUEST:
		/* RFC 6066 §8: the server's answer is empty. */
		TG_GUARD(tg_cur_end(ext));
		out->exts |= TG_HS_EXT_STATUS_REQUEST;
		break;
	case TG_EXT_EC_POINT_FORMATS:
		TG_GUARD(tg_hs_point_formats_read(ext, &out->point_formats));
		out->exts |= TG_HS_EXT_EC_POINT_FORMATS;
		break;
	case TG_EXT_ALPN:
		/* RFC 7301 §3.1: "The "extension_data" field of the
		 * [server's] extension ... MUST contain exactly one
		 * "ProtocolName"." */
		TG_GUARD(tg_hs_ext_alpn1_read(ext, &out->alpn));
		out->exts |= TG_HS_EXT_ALPN;
		break;
	case TG_EXT_EXTENDED_MASTER_SECRET:
		TG_GUARD(tg_cur_end(ext));
		out->exts |= TG_HS_EXT_EMS;
		break;
	case TG_EXT_SESSION_TICKET:
		/* RFC 5077 §3.2: "the server ... sends an empty
		 * SessionTicket extension" */
		TG_GUARD(tg_cur_end(ext));
		out->exts |= TG_HS_EXT_SESSION_TICKET;
		break;
	case TG_EXT_RENEGOTIATION_INFO:
		TG_GUARD(tg_hs_reneg_info_read(ext, &out->reneg_info));
		out->exts |= TG_HS_EXT_RENEGOTIATION_INFO;
		break;
	case TG_EXT_SUPPORTED_VERSIONS:
		/* RFC 8446 §4.2.1: ProtocolVersion selected_version */
		TG_GUARD(tg_cur_u16(ext, &out->selected_version));
		TG_GUARD(tg_cur_end(ext));
		out->exts |= TG_HS_EXT_SUPPORTED_VERSIONS;
		break;
	case TG_EXT_KEY_SHARE:
		/* RFC 8446 §4.2.8: KeyShareEntry server_share, or in a
		 * HelloRetryRequest NamedGroup selected_group */
		TG_GUARD(tg_cur_u16(ext, &out->ks_group));
		if (!out->hrr)
			TG_GUARD(tg_hs_vec_read(ext, 2, 1, 0xffff, &out->ks_pub));
		TG_GUARD(tg_cur_end(ext));
		out->exts |= TG_HS_EXT_KEY_SHARE;
		break;
	case TG_EXT_PRE_SHARED_KEY:
		/* RFC 8446 §4.2.11: uint16 selected_identity */
		TG_GUARD(tg_cur_u16(ext, &out->psk_identity));
		TG_GUARD(tg_cur_end(ext));
		out->exts |= TG_HS_EXT_PRE_SHARED_KEY;
		break;
	case TG_EXT_COOKIE:
		TG_GUARD(tg_hs_vec_read(ext, 2, 1, 0xffff, &out->cookie));
		TG_GUARD(tg_cur_end(ext));
		out->exts |= TG_HS_EXT_COOKIE;
		break;
	default:
		/* RFC 5246 §7.4.1.4: a server must not answer with an
		 * extension the client did not offer; we offer only these. */
		return tg_error(TG_E_UNSUPPORTED_EXT);
	}
	return TG_OK;
}

tg_result tg_hs_server_hello_parse(struct tg_cur *body,
				   struct tg_hs_server_hello *out)
{
	uint8_t comp;

	TG_ENSURE_REF(body);
	TG_ENSURE_REF(out);
	memset(out, 0, sizeof(*out));
	TG_GUARD(tg_hs_hello_head_read(body, &out->version, out->random,
				       &out->session_id_len, out->session_id));
	/* RFC 8446 §4.1.3: a HelloRetryRequest is a ServerHello with this
	 * random; its key_share has another layout */
	out->hrr = memcmp(out->random, TG_TLS_HRR_RANDOM, TG_TLS_RANDOM_LEN) == 0;
	TG_GUARD(tg_cur_u16(body, &out->suite));
	TG_GUARD(tg_cur_u8(body, &comp));
	TG_GUARD(tg_hs_ext_block_read(body, ext_read, out, &out->has_ext_block));
	/* We never offer compression: only null(0) may be selected. */
	TG_ENSURE(comp == 0, TG_E_ILLEGAL_PARAM);
	if (out->exts & TG_HS_EXT_EC_POINT_FORMATS)
		TG_GUARD(tg_hs_point_formats_check(&out->point_formats));
	return TG_OK;
}

static TG_MUST_CHECK tg_result exts_write(struct tg_wcur *w,
			    const struct tg_hs_server_hello *in)
{
	size_t m;

	if (in->exts & TG_HS_EXT_SERVER_NAME)
		TG_GUARD(tg_hs_ext_empty(w, TG_EXT_SERVER_NAME));
	if (in->exts & TG_HS_EXT_STATUS_REQUEST)
		TG_GUARD(tg_hs_ext_empty(w, TG_EXT_STATUS_REQUEST));
	if (in->exts & TG_HS_EXT_EC_POINT_FORMATS) {
		TG_GUARD(tg_hs_ext_begin(w, TG_EXT_EC_POINT_FORMATS, &m));
		TG_GUARD(tg_hs_vec_write(w, 1, 1, 255, &in->point_formats));
		TG_GUARD(tg_wcur_vec_end(w, 2, m));
	}
	if (in->exts & TG_HS_EXT_ALPN)
		TG_GUARD(tg_hs_ext_alpn1_write(w, &in->alpn));
	if (in->exts & TG_HS_EXT_EMS)
		TG_GUARD(tg_hs_ext_empty(w, TG_EXT_EXTENDED_MASTER_SECRET));
	if (in->exts & TG_HS_EXT_SESSION_TICKET)
		TG_GUARD(tg_hs_ext_empty(w, TG_EXT_SESSION_TICKET));
	if (in->exts & TG_HS_EXT_RENEGOTIATION_INFO) {
		TG_GUARD(tg_hs_ext_begin(w, TG_EXT_RENEGOTIATION_INFO, &m));
		TG_GUARD(tg_hs_vec_write(w, 1, 0, 255, &in->reneg_info));
		TG_GUARD(tg_wcur_vec_end(w, 2, m));
	}
	/* TLS 1.3, in RFC 8448's order: pre_shared_key, key_share, cookie,
	 * supported_versions */
	if (in->exts & TG_HS_EXT_PRE_SHARED_KEY) {
		TG_GUARD(tg_hs_ext_begin(w, TG_EXT_PRE_SHARED_KEY, &m));
		TG_GUARD(tg_wcur_u16(w, in->psk_identity));
		TG_GUARD(tg_wcur_vec_end(w, 2, m));
	}
	if (in->exts & TG_HS_EXT_KEY_SHARE) {
		TG_GUARD(tg_hs_ext_begin(w, TG_EXT_KEY_SHARE, &m));
		TG_GUARD(tg_wcur_u16(w, in->ks_group));
		if (!in->hrr)
			TG_GUARD(tg_hs_vec_write(w, 2, 1, 0xffff, &in->ks_pub));
		TG_GUARD(tg_wcur_vec_end(w, 2, m));
	}
	if (in->exts & TG_HS_EXT_COOKIE) {
		TG_GUARD(tg_hs_ext_begin(w, TG_EXT_COOKIE, &m));
		TG_GUARD(tg_hs_vec_write(w, 2, 1, 0xffff, &in->cookie));
		TG_GUARD(tg_wcur_vec_end(w, 2, m));
	}
	if (in->exts & TG_HS_EXT_SUPPORTED_VERSIONS) {
		TG_GUARD(tg_hs_ext_begin(w, TG_EXT_SUPPORTED_VERSIONS, &m));
		TG_GUARD(tg_wcur_u16(w, in->selected_version));
		TG_GUARD(tg_wcur_vec_end(w, 2, m));
	}
	return TG_OK;
}

tg_result tg_hs_server_hello_write(struct tg_wcur *w,
				   const struct tg_hs_server_hello *in)
{
	/* Bits a ServerHello can carry. */
	const uint32_t allowed = TG_HS_EXT_SERVER_NAME |
				 TG_HS_EXT_STATUS_REQUEST |
				 TG_HS_EXT_EC_POINT_FORMATS | TG_HS_EXT_ALPN |
				 TG_HS_EXT_EMS | TG_HS_EXT_SESSION_TICKET |
				 TG_HS_EXT_RENEGOTIATION_INFO |
				 TG_HS_EXT_SUPPORTED_VERSIONS |
				 TG_HS_EXT_KEY_SHARE | TG_HS_EXT_PRE_SHARED_KEY |
				 TG_HS_EXT_COOKIE;
	size_t mark, m;

	TG_ENSURE_REF(w);
	TG_ENSURE_REF(in);
	TG_ENSURE(!(in->exts & ~allowed), TG_E_INVAL);
	TG_GUARD(tg_hs_hdr_begin(w, TG_HS_SERVER_HELLO, &mark));
	TG_GUARD(tg_hs_hello_head_write(w, in->version, in->random,
					in->session_id_len, in->session_id));
	TG_GUARD(tg_wcur_u16(w, in->suite));
	TG_GUARD(tg_wcur_u8(w, 0)); /* compression_method null */
	if (in->has_ext_block || in->exts) {
		TG_GUARD(tg_wcur_vec_begin(w, 2, &m));
		TG_GUARD(exts_write(w, in));
		TG_GUARD(tg_wcur_vec_end(w, 2, m));
	}
	return tg_hs_hdr_end(w, mark);
}
