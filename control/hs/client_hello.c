/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ClientHello (RFC 5246 §7.4.1.2) and the client's extensions:
 * server_name (RFC 6066 §3), status_request (RFC 6066 §8),
 * supported_groups and ec_point_formats (RFC 8422 §5.1),
 * signature_algorithms (RFC 5246 §7.4.1.4.1), ALPN (RFC 7301 §3.1),
 * extended_master_secret (RFC 7627 §5.1), session_ticket (RFC 5077 §3.2),
 * supported_versions (RFC 8446 §4.2.1), renegotiation_info (RFC 5746 §3.2),
 * and TLS 1.3's: key_share (§4.2.8), psk_key_exchange_modes (§4.2.9),
 * pre_shared_key (§4.2.11), early_data (§4.2.10), cookie (§4.2.2),
 * signature_algorithms_cert (§4.2.3), post_handshake_auth (§4.2.6),
 * certificate_authorities (§4.2.4), record_size_limit (RFC 8449 §4).
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

/* RFC 8446 §4.2.8: KeyShareEntry client_shares<0..2^16-1>, each
 * { NamedGroup group; opaque key_exchange<1..2^16-1>; } */
static TG_MUST_CHECK tg_result key_share_read(struct tg_cur *ext,
					      struct tg_hs_client_hello *out)
{
	struct tg_cur list;

	TG_GUARD(tg_cur_vec(ext, 2, 0, 0xffff, &list));
	TG_GUARD(tg_cur_end(ext));
	out->key_shares.p = tg_cur_ptr(&list);
	out->key_shares.len = tg_cur_left(&list);
	while (tg_cur_left(&list) > 0) {
		struct tg_hs_bytes pub;
		uint16_t g;

		TG_GUARD(tg_cur_u16(&list, &g));
		TG_GUARD(tg_hs_vec_read(&list, 2, 1, 0xffff, &pub));
		out->n_key_shares++;
	}
	return TG_OK;
}

/* RFC 8446 §4.2.11: struct { PskIdentity identities<7..2^16-1>;
 * PskBinderEntry binders<33..2^16-1>; } OfferedPsks; PskIdentity is
 * { opaque identity<1..2^16-1>; uint32 obfuscated_ticket_age; } and
 * PskBinderEntry opaque<32..255>. As many binders as identities. */
static TG_MUST_CHECK tg_result psk_read(struct tg_cur *ext,
					struct tg_hs_client_hello *out)
{
	struct tg_cur ids, binders;
	size_t nb = 0;

	TG_GUARD(tg_cur_vec(ext, 2, 7, 0xffff, &ids));
	out->psk_binders_len = tg_cur_left(ext);
	TG_GUARD(tg_cur_vec(ext, 2, 33, 0xffff, &binders));
	TG_GUARD(tg_cur_end(ext));
	out->psk_identities.p = tg_cur_ptr(&ids);
	out->psk_identities.len = tg_cur_left(&ids);
	out->psk_binders.p = tg_cur_ptr(&binders);
	out->psk_binders.len = tg_cur_left(&binders);
	while (tg_cur_left(&ids) > 0) {
		struct tg_hs_bytes id;
		uint32_t age;

		TG_GUARD(tg_hs_vec_read(&ids, 2, 1, 0xffff, &id));
		TG_GUARD(tg_cur_u32(&ids, &age));
		out->n_psk++;
	}
	while (tg_cur_left(&binders) > 0) {
		struct tg_hs_bytes b;

		TG_GUARD(tg_hs_vec_read(&binders, 1, 32, 255, &b));
		nb++;
	}
	/* the vectors decode; a count that differs is a forbidden value */
	if (nb != out->n_psk)
		out->n_psk = 0; /* refused in client_hello_check */
	return TG_OK;
}

static TG_MUST_CHECK tg_result ext_read(uint16_t type, struct tg_cur *ext, void *arg)
{
	struct tg_hs_client_hello *out = arg;

	/* RFC 8446 §4.2.11: pre_shared_key "MUST be the last extension" */
	if (out->exts & TG_HS_EXT_PRE_SHARED_KEY)
		out->psk_not_last = true;
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
	case TG_EXT_KEY_SHARE:
		TG_GUARD(key_share_read(ext, out));
		out->exts |= TG_HS_EXT_KEY_SHARE;
		break;
	case TG_EXT_PSK_KEY_EXCHANGE_MODES:
		/* RFC 8446 §4.2.9: PskKeyExchangeMode ke_modes<1..255> */
		TG_GUARD(tg_hs_vec_read(ext, 1, 1, 255, &out->psk_modes));
		TG_GUARD(tg_cur_end(ext));
		out->exts |= TG_HS_EXT_PSK_MODES;
		break;
	case TG_EXT_PRE_SHARED_KEY:
		TG_GUARD(psk_read(ext, out));
		out->exts |= TG_HS_EXT_PRE_SHARED_KEY;
		break;
	case TG_EXT_EARLY_DATA:
		/* RFC 8446 §4.2.10: empty in a ClientHello */
		TG_GUARD(tg_cur_end(ext));
		out->exts |= TG_HS_EXT_EARLY_DATA;
		break;
	case TG_EXT_COOKIE:
		/* RFC 8446 §4.2.2: opaque cookie<1..2^16-1> */
		TG_GUARD(tg_hs_vec_read(ext, 2, 1, 0xffff, &out->cookie));
		TG_GUARD(tg_cur_end(ext));
		out->exts |= TG_HS_EXT_COOKIE;
		break;
	case TG_EXT_SIGNATURE_ALGORITHMS_CERT:
		TG_GUARD(tg_hs_u16_list_read(ext, 2, 2, 0xfffe,
					     &out->sigalgs_cert));
		TG_GUARD(tg_cur_end(ext));
		out->exts |= TG_HS_EXT_SIGALGS_CERT;
		break;
	case TG_EXT_RECORD_SIZE_LIMIT:
		/* RFC 8449 §4: uint16 RecordSizeLimit */
		TG_GUARD(tg_cur_u16(ext, &out->record_size_limit));
		TG_GUARD(tg_cur_end(ext));
		out->exts |= TG_HS_EXT_RECORD_SIZE_LIMIT;
		break;
	case TG_EXT_POST_HANDSHAKE_AUTH:
		/* RFC 8446 §4.2.6: empty; we never ask after the handshake */
		TG_GUARD(tg_cur_end(ext));
		out->exts |= TG_HS_EXT_POST_HS_AUTH;
		break;
	case TG_EXT_CERTIFICATE_AUTHORITIES: {
		/* RFC 8446 §4.2.4: DistinguishedName authorities<3..2^16-1>;
		 * syntax only: a server does not choose by it */
		struct tg_hs_bytes cas;
		size_t n;

		TG_GUARD(tg_hs_vec_read(ext, 2, 3, 0xffff, &cas));
		TG_GUARD(tg_cur_end(ext));
		TG_GUARD(tg_hs_list_check(&cas, 2, &n));
		out->exts |= TG_HS_EXT_CERT_AUTHORITIES;
		break;
	}
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
	if (out->exts & TG_HS_EXT_PRE_SHARED_KEY) {
		/* RFC 8446 §4.2.11: last, and a binder per identity */
		TG_ENSURE(!out->psk_not_last && out->n_psk > 0,
			  TG_E_ILLEGAL_PARAM);
	}
	if (out->exts & TG_HS_EXT_KEY_SHARE) {
		/* RFC 8446 §4.2.8: "Clients MUST NOT offer multiple
		 * KeyShareEntry values for the same group" */
		struct tg_cur a = tg_cur_init(out->key_shares.p,
					      out->key_shares.len);
		uint16_t g;
		struct tg_hs_bytes pub;

		while (tg_ok(tg_cur_u16(&a, &g)) &&
		       tg_ok(tg_hs_vec_read(&a, 2, 1, 0xffff, &pub))) {
			struct tg_cur b = a;
			uint16_t g2;
			struct tg_hs_bytes pub2;

			while (tg_ok(tg_cur_u16(&b, &g2)) &&
			       tg_ok(tg_hs_vec_read(&b, 2, 1, 0xffff, &pub2)))
				TG_ENSURE(g2 != g, TG_E_ILLEGAL_PARAM);
		}
	}
	/* RFC 8449 §4: "MUST NOT be less than 64"; illegal_parameter */
	if (out->exts & TG_HS_EXT_RECORD_SIZE_LIMIT)
		TG_ENSURE(out->record_size_limit >= 64, TG_E_ILLEGAL_PARAM);
	return TG_OK;
}

bool tg_hs_key_share_find(const struct tg_hs_client_hello *ch, uint16_t group,
			  struct tg_hs_bytes *pub)
{
	struct tg_cur c;
	uint16_t g;

	if (ch == NULL || !(ch->exts & TG_HS_EXT_KEY_SHARE))
		return false;
	c = tg_cur_init(ch->key_shares.p, ch->key_shares.len);
	while (tg_ok(tg_cur_u16(&c, &g)) &&
	       tg_ok(tg_hs_vec_read(&c, 2, 1, 0xffff, pub)))
		if (g == group)
			return true;
	return false;
}

bool tg_hs_key_shares_in_groups(const struct tg_hs_client_hello *ch)
{
	struct tg_cur c;
	struct tg_hs_bytes pub;
	uint16_t g;

	if (ch == NULL || !(ch->exts & TG_HS_EXT_KEY_SHARE))
		return true;
	c = tg_cur_init(ch->key_shares.p, ch->key_shares.len);
	while (tg_ok(tg_cur_u16(&c, &g)) &&
	       tg_ok(tg_hs_vec_read(&c, 2, 1, 0xffff, &pub)))
		if (!tg_hs_u16_has(&ch->groups, g))
			return false;
	return true;
}

bool tg_hs_psk_at(const struct tg_hs_client_hello *ch, size_t i,
		  struct tg_hs_bytes *identity, uint32_t *age,
		  struct tg_hs_bytes *binder)
{
	struct tg_cur ids, bs;

	if (ch == NULL || i >= ch->n_psk)
		return false;
	ids = tg_cur_init(ch->psk_identities.p, ch->psk_identities.len);
	bs = tg_cur_init(ch->psk_binders.p, ch->psk_binders.len);
	for (size_t k = 0; k <= i; k++) {
		if (tg_failed(tg_hs_vec_read(&ids, 2, 1, 0xffff, identity)) ||
		    tg_failed(tg_cur_u32(&ids, age)) ||
		    tg_failed(tg_hs_vec_read(&bs, 1, 32, 255, binder)))
			return false;
	}
	return true;
}

bool tg_hs_psk_mode_offered(const struct tg_hs_client_hello *ch, uint8_t mode)
{
	return ch != NULL && (ch->exts & TG_HS_EXT_PSK_MODES) &&
	       memchr(ch->psk_modes.p, mode, ch->psk_modes.len) != NULL;
}

static TG_MUST_CHECK tg_result exts_write(struct tg_wcur *w,
			    const struct tg_hs_client_hello *in)
{
	size_t m, m2;
	size_t n;

	/* RFC 8448's order (its client's), pre_shared_key last */
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
	if (in->exts & TG_HS_EXT_RENEGOTIATION_INFO) {
		TG_GUARD(tg_hs_ext_begin(w, TG_EXT_RENEGOTIATION_INFO, &m));
		TG_GUARD(tg_hs_vec_write(w, 1, 0, 255, &in->reneg_info));
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
	if (in->exts & TG_HS_EXT_ALPN) {
		TG_GUARD(tg_hs_list_check(&in->alpn, 1, &n));
		TG_ENSURE(n >= 1, TG_E_INVAL);
		TG_GUARD(tg_hs_ext_begin(w, TG_EXT_ALPN, &m));
		TG_GUARD(tg_hs_vec_write(w, 2, 2, 0xffff, &in->alpn));
		TG_GUARD(tg_wcur_vec_end(w, 2, m));
	}
	if (in->exts & TG_HS_EXT_EMS)
		TG_GUARD(tg_hs_ext_empty(w, TG_EXT_EXTENDED_MASTER_SECRET));
	if (in->exts & TG_HS_EXT_SESSION_TICKET) {
		TG_ENSURE(in->ticket.p != NULL || in->ticket.len == 0,
			  TG_E_INVAL);
		TG_GUARD(tg_hs_ext_begin(w, TG_EXT_SESSION_TICKET, &m));
		TG_GUARD(tg_wcur_bytes(w, in->ticket.p, in->ticket.len));
		TG_GUARD(tg_wcur_vec_end(w, 2, m));
	}
	if (in->exts & TG_HS_EXT_KEY_SHARE) {
		/* key_shares is the KeyShareEntry list body, as parsed */
		TG_GUARD(tg_hs_ext_begin(w, TG_EXT_KEY_SHARE, &m));
		TG_GUARD(tg_hs_vec_write(w, 2, 0, 0xffff, &in->key_shares));
		TG_GUARD(tg_wcur_vec_end(w, 2, m));
	}
	if (in->exts & TG_HS_EXT_SUPPORTED_VERSIONS) {
		TG_GUARD(tg_hs_ext_begin(w, TG_EXT_SUPPORTED_VERSIONS, &m));
		TG_GUARD(tg_hs_u16_list_write(w, 1, 2, 254, &in->versions));
		TG_GUARD(tg_wcur_vec_end(w, 2, m));
	}
	if (in->exts & TG_HS_EXT_SIGNATURE_ALGS) {
		TG_GUARD(tg_hs_ext_begin(w, TG_EXT_SIGNATURE_ALGORITHMS, &m));
		TG_GUARD(tg_hs_u16_list_write(w, 2, 2, 0xfffe, &in->sigalgs));
		TG_GUARD(tg_wcur_vec_end(w, 2, m));
	}
	if (in->exts & TG_HS_EXT_SIGALGS_CERT) {
		TG_GUARD(tg_hs_ext_begin(w, TG_EXT_SIGNATURE_ALGORITHMS_CERT, &m));
		TG_GUARD(tg_hs_u16_list_write(w, 2, 2, 0xfffe, &in->sigalgs_cert));
		TG_GUARD(tg_wcur_vec_end(w, 2, m));
	}
	if (in->exts & TG_HS_EXT_PSK_MODES) {
		TG_GUARD(tg_hs_ext_begin(w, TG_EXT_PSK_KEY_EXCHANGE_MODES, &m));
		TG_GUARD(tg_hs_vec_write(w, 1, 1, 255, &in->psk_modes));
		TG_GUARD(tg_wcur_vec_end(w, 2, m));
	}
	if (in->exts & TG_HS_EXT_RECORD_SIZE_LIMIT) {
		TG_GUARD(tg_hs_ext_begin(w, TG_EXT_RECORD_SIZE_LIMIT, &m));
		TG_GUARD(tg_wcur_u16(w, in->record_size_limit));
		TG_GUARD(tg_wcur_vec_end(w, 2, m));
	}
	if (in->exts & TG_HS_EXT_COOKIE) {
		TG_GUARD(tg_hs_ext_begin(w, TG_EXT_COOKIE, &m));
		TG_GUARD(tg_hs_vec_write(w, 2, 1, 0xffff, &in->cookie));
		TG_GUARD(tg_wcur_vec_end(w, 2, m));
	}
	if (in->exts & TG_HS_EXT_EARLY_DATA)
		TG_GUARD(tg_hs_ext_empty(w, TG_EXT_EARLY_DATA));
	if (in->exts & TG_HS_EXT_POST_HS_AUTH)
		TG_GUARD(tg_hs_ext_empty(w, TG_EXT_POST_HANDSHAKE_AUTH));
	if (in->exts & TG_HS_EXT_PRE_SHARED_KEY) {
		/* last (RFC 8446 §4.2.11): identities and binders bodies as
		 * parsed; a client computes the binders over the message
		 * truncated before them and patches them in */
		TG_GUARD(tg_hs_ext_begin(w, TG_EXT_PRE_SHARED_KEY, &m));
		TG_GUARD(tg_hs_vec_write(w, 2, 7, 0xffff, &in->psk_identities));
		TG_GUARD(tg_hs_vec_write(w, 2, 33, 0xffff, &in->psk_binders));
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
