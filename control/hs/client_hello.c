/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ClientHello (RFC 5246 §7.4.1.2) and the client's extensions:
 * server_name (RFC 6066 §3), status_request (RFC 6066 §8),
 * supported_groups and ec_point_formats (RFC 8422 §5.1),
 * signature_algorithms (RFC 5246 §7.4.1.4.1), ALPN (RFC 7301 §3.1),
 * extended_master_secret (RFC 7627 §5.1), session_ticket (RFC 5077 §3.2),
 * supported_versions (RFC 8446 §4.2.1), renegotiation_info (RFC 5746 §3.2).
 */
#include "hs_internal.h"

#include <string.h>

/* RFC 6066 §3:
 *   struct { NameType name_type; select (name_type) {
 *            case host_name: HostName; } name; } ServerName;
 *   opaque HostName<1..2^16-1>;
 *   struct { ServerName server_name_list<1..2^16-1> } ServerNameList;
 * "The ServerNameList MUST NOT contain more than one name of the same
 * name_type." Other name types have no defined layout; like every
 * deployed stack we read them as opaque<1..2^16-1> too, and skip them.
 * A list without a host_name is a decode_error; the host_names are
 * counted here and a second one refused once the whole message decoded
 * (client_hello_check: it decodes, so illegal_parameter). */
static TG_MUST_CHECK tg_result sni_read(struct tg_cur *ext,
					struct tg_hs_client_hello *out)
{
	struct tg_cur list;

	TG_GUARD(tg_cur_vec(ext, 2, 1, 0xffff, &list));
	TG_GUARD(tg_cur_end(ext));
	while (tg_cur_left(&list) > 0) {
		struct tg_hs_bytes name;
		uint8_t type;

		TG_GUARD(tg_cur_u8(&list, &type));
		TG_GUARD(tg_hs_vec_read(&list, 2, 1, 0xffff, &name));
		if (type != 0) /* NameType host_name(0) */
			continue;
		if (out->host_names++ == 0)
			out->host_name = name;
	}
	TG_ENSURE(out->host_names > 0, TG_E_DECODE);
	return TG_OK;
}

/* RFC 6066 §3: "HostName contains the fully qualified DNS hostname of the
 * server ... represented as a byte string using ASCII encoding without a
 * trailing dot." A DNS name is at most 255 bytes; a byte that is not
 * printable ASCII (controls, space, DEL, anything past 0x7f: NUL would
 * truncate it in any C comparison, a newline forge a log line) is no
 * host name. Decodable but forbidden -> illegal_parameter. IP literals,
 * which RFC 6066 also excludes, are let through: clients do send them. */
static TG_MUST_CHECK tg_result host_name_check(const struct tg_hs_bytes *h)
{
	struct tg_cur c = tg_cur_init(h->p, h->len);
	uint8_t b = 0;

	TG_ENSURE(h->len >= 1 && h->len <= TG_HS_MAX_HOST_NAME,
		  TG_E_ILLEGAL_PARAM);
	while (tg_ok(tg_cur_u8(&c, &b)))
		TG_ENSURE(b > 0x20 && b < 0x7f, TG_E_ILLEGAL_PARAM);
	TG_ENSURE(b != '.', TG_E_ILLEGAL_PARAM); /* the last byte */
	return TG_OK;
}

static TG_MUST_CHECK tg_result ext_read(uint16_t type, struct tg_cur *ext, void *arg)
{
	struct tg_hs_client_hello *out = arg;

	switch (type) {
	case TG_EXT_SERVER_NAME:
		TG_GUARD(sni_read(ext, out));
		out->exts |= TG_HS_EXT_SERVER_NAME;
		break;
	case TG_EXT_STATUS_REQUEST:
		/* RFC 6066 §8: noted, not acted on; contents not checked. */
		out->exts |= TG_HS_EXT_STATUS_REQUEST;
		break;
	case TG_EXT_SUPPORTED_GROUPS:
		/* RFC 8422 §5.1.1: NamedCurve named_curve_list<2..2^16-1> */
		TG_GUARD(tg_hs_u16_list_read(ext, 2, 2, 0xffff, &out->groups));
		TG_GUARD(tg_cur_end(ext));
		out->exts |= TG_HS_EXT_SUPPORTED_GROUPS;
		break;
	case TG_EXT_EC_POINT_FORMATS:
		TG_GUARD(tg_hs_point_formats_read(ext, &out->point_formats));
		out->exts |= TG_HS_EXT_EC_POINT_FORMATS;
		break;
	case TG_EXT_SIGNATURE_ALGORITHMS:
		/* RFC 5246 §7.4.1.4.1: supported_signature_algorithms
		 * <2..2^16-2> */
		TG_GUARD(tg_hs_u16_list_read(ext, 2, 2, 0xfffe, &out->sigalgs));
		TG_GUARD(tg_cur_end(ext));
		out->exts |= TG_HS_EXT_SIGNATURE_ALGS;
		break;
	case TG_EXT_ALPN:
		/* RFC 7301 §3.1: ProtocolName protocol_name_list<2..2^16-1>,
		 * ProtocolName opaque<1..2^8-1> */
		TG_GUARD(tg_hs_vec_read(ext, 2, 2, 0xffff, &out->alpn));
		TG_GUARD(tg_cur_end(ext));
		TG_GUARD(tg_hs_list_check(&out->alpn, 1, &out->alpn_count));
		out->exts |= TG_HS_EXT_ALPN;
		break;
	case TG_EXT_EXTENDED_MASTER_SECRET:
		/* RFC 7627 §5.1: "extension_data" field ... empty */
		TG_GUARD(tg_cur_end(ext));
		out->exts |= TG_HS_EXT_EMS;
		break;
	case TG_EXT_SESSION_TICKET:
		/* RFC 5077 §3.2: the whole body is the ticket, maybe empty */
		out->ticket.p = tg_cur_ptr(ext);
		out->ticket.len = tg_cur_left(ext);
		TG_GUARD(tg_cur_skip(ext, out->ticket.len));
		out->exts |= TG_HS_EXT_SESSION_TICKET;
		break;
	case TG_EXT_SUPPORTED_VERSIONS:
		/* RFC 8446 §4.2.1: ProtocolVersion versions<2..254> */
		TG_GUARD(tg_hs_u16_list_read(ext, 1, 2, 254, &out->versions));
		TG_GUARD(tg_cur_end(ext));
		out->exts |= TG_HS_EXT_SUPPORTED_VERSIONS;
		break;
	case TG_EXT_RENEGOTIATION_INFO:
		TG_GUARD(tg_hs_reneg_info_read(ext, &out->reneg_info));
		out->exts |= TG_HS_EXT_RENEGOTIATION_INFO;
		break;
	default:
		/* RFC 5246 §7.4.1.4: a server MUST ignore what it does not
		 * understand. */
		out->unknown_exts++;
		break;
	}
	return TG_OK;
}

tg_result tg_hs_client_hello_parse(struct tg_cur *body,
				   struct tg_hs_client_hello *out)
{

	TG_ENSURE_REF(body);
	TG_ENSURE_REF(out);
	memset(out, 0, sizeof(*out));
	TG_GUARD(tg_hs_hello_head_read(body, &out->version, out->random,
				       &out->session_id_len, out->session_id));
	/* CipherSuite cipher_suites<2..2^16-2>; */
	TG_GUARD(tg_hs_u16_list_read(body, 2, 2, 0xfffe, &out->suites));
	out->scsv_reneg = tg_hs_u16_has(&out->suites,
					TG_CS_EMPTY_RENEGOTIATION_INFO_SCSV);
	out->scsv_fallback = tg_hs_u16_has(&out->suites, TG_CS_FALLBACK_SCSV);
	/* CompressionMethod compression_methods<1..2^8-1>; */
	TG_GUARD(tg_hs_vec_read(body, 1, 1, 255, &out->compression));
	TG_GUARD(tg_hs_ext_block_read(body, ext_read, out, &out->has_ext_block));
	/* Semantic checks, after the syntax is known good. */
	/* RFC 5246 §7.4.1.2: "this vector MUST contain, and all
	 * implementations MUST support, CompressionMethod.null". The vector
	 * decodes, so it is a forbidden value: illegal_parameter (as
	 * RFC 8446 §4.1.2 says for the same field). Other methods are
	 * ignored. */
	TG_ENSURE(memchr(out->compression.p, 0, out->compression.len) != NULL,
		  TG_E_ILLEGAL_PARAM);
	if (out->exts & TG_HS_EXT_SERVER_NAME) {
		/* RFC 6066 §3: one name of each type */
		TG_ENSURE(out->host_names == 1, TG_E_ILLEGAL_PARAM);
		TG_GUARD(host_name_check(&out->host_name));
	}
	if (out->exts & TG_HS_EXT_EC_POINT_FORMATS)
		TG_GUARD(tg_hs_point_formats_check(&out->point_formats));
	return TG_OK;
}

static TG_MUST_CHECK tg_result exts_write(struct tg_wcur *w,
			    const struct tg_hs_client_hello *in)
{
	size_t m, m2;
	size_t n;

	if (in->exts & TG_HS_EXT_SERVER_NAME) {
		const struct tg_hs_bytes *h = &in->host_name;

		TG_ENSURE(h->len >= 1 && h->len <= TG_HS_MAX_HOST_NAME &&
			  h->p != NULL, TG_E_INVAL);
		TG_GUARD(tg_hs_ext_begin(w, TG_EXT_SERVER_NAME, &m));
		TG_GUARD(tg_wcur_vec_begin(w, 2, &m2));
		TG_GUARD(tg_wcur_u8(w, 0)); /* host_name */
		TG_GUARD(tg_hs_vec_write(w, 2, 1, 0xffff, h));
		TG_GUARD(tg_wcur_vec_end(w, 2, m2));
		TG_GUARD(tg_wcur_vec_end(w, 2, m));
	}
	if (in->exts & TG_HS_EXT_STATUS_REQUEST) {
		/* RFC 6066 §8: status_type ocsp(1), empty responder_id_list
		 * and request_extensions */
		static const uint8_t ocsp[] = { 1, 0, 0, 0, 0 };

		TG_GUARD(tg_hs_ext_begin(w, TG_EXT_STATUS_REQUEST, &m));
		TG_GUARD(tg_wcur_bytes(w, ocsp, sizeof(ocsp)));
		TG_GUARD(tg_wcur_vec_end(w, 2, m));
	}
	if (in->exts & TG_HS_EXT_SUPPORTED_GROUPS) {
		TG_GUARD(tg_hs_ext_begin(w, TG_EXT_SUPPORTED_GROUPS, &m));
		TG_GUARD(tg_hs_u16_list_write(w, 2, 2, 0xfffe, &in->groups));
		TG_GUARD(tg_wcur_vec_end(w, 2, m));
	}
	if (in->exts & TG_HS_EXT_EC_POINT_FORMATS) {
		TG_GUARD(tg_hs_ext_begin(w, TG_EXT_EC_POINT_FORMATS, &m));
		TG_GUARD(tg_hs_vec_write(w, 1, 1, 255, &in->point_formats));
		TG_GUARD(tg_wcur_vec_end(w, 2, m));
	}
	if (in->exts & TG_HS_EXT_SIGNATURE_ALGS) {
		TG_GUARD(tg_hs_ext_begin(w, TG_EXT_SIGNATURE_ALGORITHMS, &m));
		TG_GUARD(tg_hs_u16_list_write(w, 2, 2, 0xfffe, &in->sigalgs));
		TG_GUARD(tg_wcur_vec_end(w, 2, m));
	}
	if (in->exts & TG_HS_EXT_ALPN) {
		TG_GUARD(tg_hs_list_check(&in->alpn, 1, &n));
		TG_ENSURE(n >= 1, TG_E_INVAL);
		TG_GUARD(tg_hs_ext_begin(w, TG_EXT_ALPN, &m));
		TG_GUARD(tg_hs_vec_write(w, 2, 2, 0xffff, &in->alpn));
		TG_GUARD(tg_wcur_vec_end(w, 2, m));
	}
	if (in->exts & TG_HS_EXT_EMS) {
		TG_GUARD(tg_hs_ext_begin(w, TG_EXT_EXTENDED_MASTER_SECRET, &m));
		TG_GUARD(tg_wcur_vec_end(w, 2, m));
	}
	if (in->exts & TG_HS_EXT_SESSION_TICKET) {
		TG_ENSURE(in->ticket.p != NULL || in->ticket.len == 0,
			  TG_E_INVAL);
		TG_GUARD(tg_hs_ext_begin(w, TG_EXT_SESSION_TICKET, &m));
		TG_GUARD(tg_wcur_bytes(w, in->ticket.p, in->ticket.len));
		TG_GUARD(tg_wcur_vec_end(w, 2, m));
	}
	if (in->exts & TG_HS_EXT_SUPPORTED_VERSIONS) {
		TG_GUARD(tg_hs_ext_begin(w, TG_EXT_SUPPORTED_VERSIONS, &m));
		TG_GUARD(tg_hs_u16_list_write(w, 1, 2, 254, &in->versions));
		TG_GUARD(tg_wcur_vec_end(w, 2, m));
	}
	if (in->exts & TG_HS_EXT_RENEGOTIATION_INFO) {
		TG_GUARD(tg_hs_ext_begin(w, TG_EXT_RENEGOTIATION_INFO, &m));
		TG_GUARD(tg_hs_vec_write(w, 1, 0, 255, &in->reneg_info));
		TG_GUARD(tg_wcur_vec_end(w, 2, m));
	}
	return TG_OK;
}

tg_result tg_hs_client_hello_write(struct tg_wcur *w,
				   const struct tg_hs_client_hello *in)
{
	size_t mark, m;

	TG_ENSURE_REF(w);
	TG_ENSURE_REF(in);
	TG_GUARD(tg_hs_hdr_begin(w, TG_HS_CLIENT_HELLO, &mark));
	TG_GUARD(tg_hs_hello_head_write(w, in->version, in->random,
					in->session_id_len, in->session_id));
	TG_GUARD(tg_hs_u16_list_write(w, 2, 2, 0xfffe, &in->suites));
	TG_GUARD(tg_hs_vec_write(w, 1, 1, 255, &in->compression));
	if (in->has_ext_block || in->exts) {
		TG_GUARD(tg_wcur_vec_begin(w, 2, &m));
		TG_GUARD(exts_write(w, in));
		TG_GUARD(tg_wcur_vec_end(w, 2, m));
	}
	return tg_hs_hdr_end_max(w, mark, TG_TLS_MAX_CLIENT_HELLO);
}
