/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for control/hs/: handshake framing, every message's
 * write -> parse round trip, a real OpenSSL 3.0 ClientHello, and the exact
 * error of each malformed variant.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tg_cur.h"
#include "tg_hs_msg.h"
#include "tg_result.h"
#include "tg_test.h"

/* ---- helpers ---- */

union any_msg {
	struct tg_hs_client_hello ch;
	struct tg_hs_server_hello sh;
	struct tg_hs_certificate cert;
	struct tg_hs_server_key_exchange ske;
	struct tg_hs_certificate_request cr;
	struct tg_hs_client_key_exchange cke;
	struct tg_hs_certificate_verify cv;
	struct tg_hs_finished fin;
	struct tg_hs_new_session_ticket nst;
};

/* Parse @p n bytes of body as message @p type, from an exactly-sized heap
 * copy so that ASan reports any read past the end. */
static TG_MUST_CHECK tg_result parse_body(uint8_t type, const uint8_t *p, size_t n,
			    enum tg_hs_kx kx)
{
	uint8_t *copy = malloc(n ? n : 1);
	union any_msg m;
	struct tg_cur c;
	tg_result r;

	if (copy == NULL)
		abort();
	if (n)
		memcpy(copy, p, n);
	c = tg_cur_init(copy, n);
	switch (type) {
	case TG_HS_HELLO_REQUEST: r = tg_hs_hello_request_parse(&c); break;
	case TG_HS_CLIENT_HELLO: r = tg_hs_client_hello_parse(&c, &m.ch); break;
	case TG_HS_SERVER_HELLO: r = tg_hs_server_hello_parse(&c, &m.sh); break;
	case TG_HS_CERTIFICATE: r = tg_hs_certificate_parse(&c, &m.cert); break;
	case TG_HS_SERVER_KEY_EXCHANGE:
		r = tg_hs_server_key_exchange_parse(&c, &m.ske);
		break;
	case TG_HS_CERTIFICATE_REQUEST:
		r = tg_hs_certificate_request_parse(&c, &m.cr);
		break;
	case TG_HS_SERVER_HELLO_DONE: r = tg_hs_server_hello_done_parse(&c); break;
	case TG_HS_CLIENT_KEY_EXCHANGE:
		r = tg_hs_client_key_exchange_parse(&c, kx, &m.cke);
		break;
	case TG_HS_CERTIFICATE_VERIFY:
		r = tg_hs_certificate_verify_parse(&c, &m.cv);
		break;
	case TG_HS_FINISHED: r = tg_hs_finished_parse(&c, &m.fin); break;
	case TG_HS_NEW_SESSION_TICKET:
		r = tg_hs_new_session_ticket_parse(&c, &m.nst);
		break;
	default: r = tg_error(TG_E_INVAL); break;
	}
	free(copy);
	return r;
}

/* Take the one message in msg[0..n) apart: type check, body out. */
static void frame(const uint8_t *msg, size_t n, uint8_t want_type,
		  struct tg_cur *body)
{
	struct tg_cur s = tg_cur_init(msg, n);
	uint8_t type = 0xff;

	TG_ASSERT_OK(tg_hs_msg_next(&s, &type, body));
	CU_ASSERT_EQUAL(type, want_type);
	CU_ASSERT_EQUAL(tg_cur_left(&s), 0);
	CU_ASSERT_EQUAL(tg_cur_left(body) + TG_TLS_HS_HDR_LEN, n);
}

/*
 * Every strict prefix of a valid body fails with decode_error, except the
 * prefix lengths listed in @p ok (a hello without its extensions block is
 * itself valid). Returns the number of prefixes tried.
 */
static size_t truncations(uint8_t type, const uint8_t *body, size_t n,
			  enum tg_hs_kx kx, const size_t *ok, size_t n_ok)
{
	for (size_t i = 0; i < n; i++) {
		bool valid = false;
		tg_result r = parse_body(type, body, i, kx);

		for (size_t j = 0; j < n_ok; j++)
			valid |= ok[j] == i;
		if (valid) {
			CU_ASSERT_EQUAL(r.code, TG_E_OK);
		} else {
			if (r.code != TG_E_DECODE)
				fprintf(stderr, "type %u prefix %zu/%zu: %s\n",
					type, i, n, tg_strerror(r.code));
			CU_ASSERT_EQUAL(r.code, TG_E_DECODE);
		}
	}
	/* and the whole body plus one trailing byte */
	{
		uint8_t *more = malloc(n + 1);

		if (more == NULL)
			abort();
		memcpy(more, body, n);
		more[n] = 0;
		TG_ASSERT_ERR(parse_body(type, more, n + 1, kx), TG_E_DECODE);
		free(more);
	}
	return n;
}

static bool bytes_eq(const struct tg_hs_bytes *b, const void *p, size_t n)
{
	return b->len == n && (n == 0 || memcmp(b->p, p, n) == 0);
}

static bool list_eq(const struct tg_hs_u16_list *l, const uint16_t *v,
		    size_t n)
{
	if (l->n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (tg_hs_u16_at(l, i) != v[i])
			return false;
	return true;
}

static uint8_t hexbuf[4096];

/* Hex to bytes (into a static buffer). */
static size_t hx(const char *hex)
{
	return tg_test_hex(hex, hexbuf, sizeof(hexbuf));
}

/* A ClientHello body: fixed head, then @p exts_hex as the extension block
 * contents (its length computed), or no block when NULL. */
#define CH_HEAD                                                                \
	"0303"                                                                 \
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"     \
	"00"                                                                   \
	"0004c02f00ff"                                                         \
	"0100"

static uint8_t chbuf[4096];

static size_t ch_body(const char *exts_hex)
{
	size_t n = tg_test_hex(CH_HEAD, chbuf, sizeof(chbuf));
	size_t e;

	if (exts_hex == NULL)
		return n;
	e = tg_test_hex(exts_hex, chbuf + n + 2, sizeof(chbuf) - n - 2);
	chbuf[n] = (uint8_t)(e >> 8);
	chbuf[n + 1] = (uint8_t)e;
	return n + 2 + e;
}

static TG_MUST_CHECK tg_result ch_parse(const char *exts_hex, struct tg_hs_client_hello *ch)
{
	size_t n = ch_body(exts_hex);
	struct tg_cur c = tg_cur_init(chbuf, n);

	return tg_hs_client_hello_parse(&c, ch);
}

static TG_MUST_CHECK tg_result ch_err(const char *exts_hex)
{
	return parse_body(TG_HS_CLIENT_HELLO, chbuf, ch_body(exts_hex),
			  TG_HS_KX_ECDHE);
}

/* ---- framing ---- */

static void test_framing(void)
{
	static uint8_t big[TG_TLS_MAX_HS_MSG + 8];
	uint8_t two[] = { 14, 0, 0, 0, 20, 0, 0, 12, 1, 2, 3, 4, 5, 6,
			  7,  8, 9, 10, 11, 12 };
	struct tg_cur s, body;
	uint8_t type;

	/* two messages back to back */
	s = tg_cur_init(two, sizeof(two));
	TG_ASSERT_OK(tg_hs_msg_next(&s, &type, &body));
	CU_ASSERT_EQUAL(type, TG_HS_SERVER_HELLO_DONE);
	CU_ASSERT_EQUAL(tg_cur_left(&body), 0);
	CU_ASSERT_EQUAL(s.pos, 4);
	TG_ASSERT_OK(tg_hs_msg_next(&s, &type, &body));
	CU_ASSERT_EQUAL(type, TG_HS_FINISHED);
	CU_ASSERT_EQUAL(tg_cur_left(&body), 12);
	CU_ASSERT_PTR_EQUAL(tg_cur_ptr(&body), two + 8);
	CU_ASSERT_EQUAL(tg_cur_left(&s), 0);
	/* every strict prefix of the second: short, stream untouched */
	for (size_t i = 4; i < sizeof(two); i++) {
		s = tg_cur_init(two, i);
		s.pos = 4;
		TG_ASSERT_ERR(tg_hs_msg_next(&s, &type, &body), TG_E_SHORT);
		CU_ASSERT_EQUAL(s.pos, 4);
	}
	s = tg_cur_init(two, 0);
	TG_ASSERT_ERR(tg_hs_msg_next(&s, &type, &body), TG_E_SHORT);
	/* exactly the limit is fine, one more is an overflow even before
	 * the body arrives */
	big[0] = TG_HS_CERTIFICATE;
	big[1] = (uint8_t)(TG_TLS_MAX_HS_MSG >> 16);
	big[2] = (uint8_t)(TG_TLS_MAX_HS_MSG >> 8);
	big[3] = (uint8_t)TG_TLS_MAX_HS_MSG;
	s = tg_cur_init(big, TG_TLS_HS_HDR_LEN + TG_TLS_MAX_HS_MSG);
	TG_ASSERT_OK(tg_hs_msg_next(&s, &type, &body));
	CU_ASSERT_EQUAL(tg_cur_left(&body), TG_TLS_MAX_HS_MSG);
	s = tg_cur_init(big, TG_TLS_HS_HDR_LEN + TG_TLS_MAX_HS_MSG - 1);
	TG_ASSERT_ERR(tg_hs_msg_next(&s, &type, &body), TG_E_SHORT);
	big[3] = (uint8_t)(TG_TLS_MAX_HS_MSG + 1);
	s = tg_cur_init(big, 4);
	TG_ASSERT_ERR(tg_hs_msg_next(&s, &type, &body), TG_E_OVERFLOW);
	CU_ASSERT_EQUAL(s.pos, 0);
	big[1] = 0xff;
	TG_ASSERT_ERR(tg_hs_msg_next(&s, &type, &body), TG_E_OVERFLOW);
	TG_ASSERT_ERR(tg_hs_msg_next(NULL, &type, &body), TG_E_INVAL);
	/* a ClientHello may be as long as its vectors allow (RFC 8446
	 * §4.1.2): its bound is that, and the type comes out with an
	 * overflow (the caller picks the alert by it) */
	CU_ASSERT_EQUAL(tg_hs_msg_max(TG_HS_CLIENT_HELLO), TG_TLS_MAX_CLIENT_HELLO);
	CU_ASSERT_EQUAL(TG_TLS_MAX_CLIENT_HELLO, 131396);
	CU_ASSERT_EQUAL(tg_hs_msg_max(TG_HS_CERTIFICATE), TG_TLS_MAX_HS_MSG);
	CU_ASSERT_EQUAL(tg_hs_msg_max(99), TG_TLS_MAX_HS_MSG);
	big[0] = TG_HS_CLIENT_HELLO;
	big[1] = (uint8_t)(TG_TLS_MAX_CLIENT_HELLO >> 16);
	big[2] = (uint8_t)(TG_TLS_MAX_CLIENT_HELLO >> 8);
	big[3] = (uint8_t)TG_TLS_MAX_CLIENT_HELLO;
	s = tg_cur_init(big, 4);
	TG_ASSERT_ERR(tg_hs_msg_next(&s, &type, &body), TG_E_SHORT);
	big[3] = (uint8_t)(TG_TLS_MAX_CLIENT_HELLO + 1);
	type = 0;
	TG_ASSERT_ERR(tg_hs_msg_next(&s, &type, &body), TG_E_OVERFLOW);
	CU_ASSERT_EQUAL(type, TG_HS_CLIENT_HELLO);
}

/* The largest ClientHello our codec writes and reads back: 32767 cipher
 * suites and a 64 KiB extensions block (RFC 8446 §4.1.2), 128 KiB in all. */
static void test_client_hello_max(void)
{
	static uint16_t suites[32767];
	static uint8_t alpn[65535 - 4 - 2], out[TG_TLS_HS_HDR_LEN + TG_TLS_MAX_CLIENT_HELLO];
	struct tg_hs_client_hello in, ch;
	struct tg_wcur w;
	struct tg_cur body;
	size_t off = 0;

	for (size_t i = 0; i < 32767; i++)
		suites[i] = (uint16_t)(0xfe00 + (i & 0xff));
	suites[32766] = TG_CS_ECDHE_ECDSA_AES_128_GCM_SHA256;
	/* ALPN names of 255 bytes and one to fill up: one extension that
	 * fills the block (4 bytes of extension header, 2 of list length) */
	while (off < sizeof(alpn)) {
		size_t k = sizeof(alpn) - off - 1 < 255 ? sizeof(alpn) - off - 1 : 255;

		alpn[off] = (uint8_t)k;
		memset(alpn + off + 1, 'a', k);
		off += 1 + k;
	}
	memset(&in, 0, sizeof(in));
	in.version = 0x0303;
	in.session_id_len = 32;
	in.suites = TG_HS_U16_LIST(suites);
	in.compression = (struct tg_hs_bytes){ (const uint8_t *)"\0", 1 };
	in.exts = TG_HS_EXT_ALPN;
	in.alpn = (struct tg_hs_bytes){ alpn, sizeof(alpn) };
	w = tg_wcur_init(out, sizeof(out));
	TG_ASSERT_OK(tg_hs_client_hello_write(&w, &in));
	CU_ASSERT_EQUAL(w.pos, sizeof(out) - 254); /* compression: 1 of 255 */
	frame(out, w.pos, TG_HS_CLIENT_HELLO, &body);
	TG_ASSERT_OK(tg_hs_client_hello_parse(&body, &ch));
	CU_ASSERT_EQUAL(ch.suites.n, 32767);
	CU_ASSERT(tg_hs_u16_has(&ch.suites, TG_CS_ECDHE_ECDSA_AES_128_GCM_SHA256));
	CU_ASSERT_EQUAL(ch.alpn.len, sizeof(alpn));
}

/* ---- the real ClientHello ---- */

/* Captured from `openssl s_client -connect 127.0.0.1:44331 -tls1_2
 * -servername example.com -alpn h2,http/1.1` (OpenSSL 3.0.19) by a
 * socket that recorded the first record: 5-byte record header, then the
 * handshake message. */
static const char openssl_ch_hex[] =
	"16030100dd010000d9030369b7fcf757ed810d4a68d02ab05299893826bc668a"
	"723c6e2b8b18182be3c7c2000038c02cc030009fcca9cca8ccaac02bc02f009e"
	"c024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d003c"
	"0035002f00ff0100007800000010000e00000b6578616d706c652e636f6d000b"
	"000403000102000a000c000a001d0017001e00190018002300000010000e000c"
	"02683208687474702f312e310016000000170000000d002a0028040305030603"
	"080708080809080a080b080408050806040105010601030303010302040205020602";

static void check_openssl_ch(const struct tg_hs_client_hello *ch)
{
	static const uint8_t rnd[32] = {
		0x69, 0xb7, 0xfc, 0xf7, 0x57, 0xed, 0x81, 0x0d, 0x4a, 0x68, 0xd0,
		0x2a, 0xb0, 0x52, 0x99, 0x89, 0x38, 0x26, 0xbc, 0x66, 0x8a, 0x72,
		0x3c, 0x6e, 0x2b, 0x8b, 0x18, 0x18, 0x2b, 0xe3, 0xc7, 0xc2
	};
	static const uint16_t suites[] = {
		0xc02c, 0xc030, 0x009f, 0xcca9, 0xcca8, 0xccaa, 0xc02b,
		0xc02f, 0x009e, 0xc024, 0xc028, 0x006b, 0xc023, 0xc027,
		0x0067, 0xc00a, 0xc014, 0x0039, 0xc009, 0xc013, 0x0033,
		0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x00ff
	};
	static const uint16_t groups[] = { 0x001d, 0x0017, 0x001e, 0x0019,
					   0x0018 };
	static const uint16_t sigalgs[] = {
		0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a,
		0x080b, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601,
		0x0303, 0x0301, 0x0302, 0x0402, 0x0502, 0x0602
	};
	static const uint8_t pf[] = { 0, 1, 2 };
	struct tg_cur it;
	struct tg_hs_bytes name;

	CU_ASSERT_EQUAL(ch->version, 0x0303);
	CU_ASSERT_EQUAL(memcmp(ch->random, rnd, 32), 0);
	CU_ASSERT_EQUAL(ch->session_id_len, 0);
	CU_ASSERT_TRUE(list_eq(&ch->suites, suites, 28));
	CU_ASSERT_TRUE(ch->scsv_reneg);
	CU_ASSERT_FALSE(ch->scsv_fallback);
	CU_ASSERT_TRUE(bytes_eq(&ch->compression, "\0", 1));
	CU_ASSERT_TRUE(ch->has_ext_block);
	CU_ASSERT_EQUAL(ch->exts,
			TG_HS_EXT_SERVER_NAME | TG_HS_EXT_EC_POINT_FORMATS |
				TG_HS_EXT_SUPPORTED_GROUPS |
				TG_HS_EXT_SESSION_TICKET | TG_HS_EXT_ALPN |
				TG_HS_EXT_EMS | TG_HS_EXT_SIGNATURE_ALGS);
	CU_ASSERT_TRUE(bytes_eq(&ch->host_name, "example.com", 11));
	CU_ASSERT_TRUE(bytes_eq(&ch->point_formats, pf, 3));
	CU_ASSERT_TRUE(list_eq(&ch->groups, groups, 5));
	CU_ASSERT_EQUAL(ch->ticket.len, 0);
	CU_ASSERT_EQUAL(ch->alpn_count, 2);
	it = tg_cur_init(ch->alpn.p, ch->alpn.len);
	CU_ASSERT_TRUE(tg_hs_list_next(&it, 1, &name));
	CU_ASSERT_TRUE(bytes_eq(&name, "h2", 2));
	CU_ASSERT_TRUE(tg_hs_list_next(&it, 1, &name));
	CU_ASSERT_TRUE(bytes_eq(&name, "http/1.1", 8));
	CU_ASSERT_FALSE(tg_hs_list_next(&it, 1, &name));
	CU_ASSERT_TRUE(tg_hs_alpn_offered(ch, "h2", 2));
	CU_ASSERT_TRUE(tg_hs_alpn_offered(ch, "http/1.1", 8));
	CU_ASSERT_FALSE(tg_hs_alpn_offered(ch, "http/1.0", 8));
	CU_ASSERT_FALSE(tg_hs_alpn_offered(ch, "h", 1));
	CU_ASSERT_TRUE(list_eq(&ch->sigalgs, sigalgs, 20));
	CU_ASSERT_EQUAL(ch->unknown_exts, 1); /* encrypt_then_mac (22) */
	CU_ASSERT_EQUAL(ch->reneg_info.len, 0);
	CU_ASSERT_EQUAL(ch->versions.n, 0);
}

static void test_openssl_client_hello(void)
{
	uint8_t rec[512], out[512];
	size_t n = tg_test_hex(openssl_ch_hex, rec, sizeof(rec));
	struct tg_cur s, body;
	struct tg_hs_client_hello ch, ch2;
	struct tg_wcur w;
	uint8_t type;
	uint16_t pick;

	CU_ASSERT_EQUAL_FATAL(n, 5 + 4 + 0xd9);
	s = tg_cur_init(rec + 5, n - 5);
	TG_ASSERT_OK(tg_hs_msg_next(&s, &type, &body));
	CU_ASSERT_EQUAL(type, TG_HS_CLIENT_HELLO);
	TG_ASSERT_OK(tg_hs_client_hello_parse(&body, &ch));
	check_openssl_ch(&ch);

	/* server-side choices over it */
	static const uint16_t our_suites[] = {
		TG_CS_ECDHE_ECDSA_CHACHA20_POLY1305_SHA256,
		TG_CS_ECDHE_RSA_AES_128_GCM_SHA256
	};
	TG_ASSERT_OK(tg_hs_u16_select(&ch.suites, our_suites, 2, &pick));
	CU_ASSERT_EQUAL(pick, TG_CS_ECDHE_ECDSA_CHACHA20_POLY1305_SHA256);
	CU_ASSERT_TRUE(tg_hs_u16_has(&ch.groups, TG_GROUP_X25519));
	CU_ASSERT_FALSE(tg_hs_u16_has(&ch.groups, 0x0100));
	struct tg_hs_u16_list sa;
	tg_hs_client_sigalgs(&ch, true, &sa);
	CU_ASSERT_EQUAL(sa.n, 20);

	/* every truncation of the body is a decode error (the body has an
	 * extensions block, so no prefix is a valid hello except the one
	 * that stops right after compression_methods) */
	size_t ok_at = 2 + 32 + 1 + 2 + 0x38 + 2;
	truncations(TG_HS_CLIENT_HELLO, rec + 9, n - 9, 0, &ok_at, 1);

	/* write it back: same fields (extension order is ours) */
	w = tg_wcur_init(out, sizeof(out));
	TG_ASSERT_OK(tg_hs_client_hello_write(&w, &ch));
	frame(out, w.pos, TG_HS_CLIENT_HELLO, &body);
	TG_ASSERT_OK(tg_hs_client_hello_parse(&body, &ch2));
	ch2.unknown_exts = 1; /* encrypt_then_mac is not written back */
	check_openssl_ch(&ch2);
	/* only the 4 bytes of encrypt_then_mac are dropped */
	CU_ASSERT_EQUAL(w.pos, n - 5 - 4);
}

/* ---- ClientHello ---- */

static void test_client_hello_roundtrip(void)
{
	static const uint16_t suites[] = { TG_CS_ECDHE_RSA_AES_128_GCM_SHA256,
					   TG_CS_FALLBACK_SCSV };
	static const uint16_t groups[] = { TG_GROUP_X25519,
					   TG_GROUP_SECP256R1 };
	static const uint16_t sigalgs[] = { TG_SIG_RSA_PSS_RSAE_SHA256,
					    TG_SIG_ECDSA_SECP256R1_SHA256 };
	static const uint16_t versions[] = { 0x0304, 0x0303 };
	static const char *const protos[] = { "h2", "http/1.1", "x" };
	uint8_t alpn_buf[32], out[1024];
	struct tg_hs_client_hello in, ch;
	struct tg_wcur w;
	struct tg_cur body;

	memset(&in, 0, sizeof(in));
	in.version = 0x0303;
	tg_test_fill(in.random, sizeof(in.random));
	in.session_id_len = 32;
	tg_test_fill(in.session_id, sizeof(in.session_id));
	in.suites = TG_HS_U16_LIST(suites);
	in.compression = (struct tg_hs_bytes){ (const uint8_t *)"\x01\x00", 2 };
	in.exts = TG_HS_EXT_SERVER_NAME | TG_HS_EXT_STATUS_REQUEST |
		  TG_HS_EXT_SUPPORTED_GROUPS | TG_HS_EXT_EC_POINT_FORMATS |
		  TG_HS_EXT_SIGNATURE_ALGS | TG_HS_EXT_ALPN | TG_HS_EXT_EMS |
		  TG_HS_EXT_SESSION_TICKET | TG_HS_EXT_SUPPORTED_VERSIONS |
		  TG_HS_EXT_RENEGOTIATION_INFO;
	in.host_name = (struct tg_hs_bytes){ (const uint8_t *)"a.example", 9 };
	in.groups = TG_HS_U16_LIST(groups);
	in.point_formats = (struct tg_hs_bytes){ (const uint8_t *)"\0", 1 };
	in.sigalgs = TG_HS_U16_LIST(sigalgs);
	TG_ASSERT_OK(tg_hs_alpn_encode(protos, 3, alpn_buf, sizeof(alpn_buf),
				       &in.alpn, &in.alpn_count));
	CU_ASSERT_EQUAL(in.alpn.len, 3 + 9 + 2);
	in.reneg_info = (struct tg_hs_bytes){ (const uint8_t *)"\x11\x22", 2 };
	in.ticket = (struct tg_hs_bytes){ (const uint8_t *)"TICKET", 6 };
	in.versions = TG_HS_U16_LIST(versions);

	w = tg_wcur_init(out, sizeof(out));
	TG_ASSERT_OK(tg_hs_client_hello_write(&w, &in));
	frame(out, w.pos, TG_HS_CLIENT_HELLO, &body);
	TG_ASSERT_OK(tg_hs_client_hello_parse(&body, &ch));
	CU_ASSERT_EQUAL(ch.version, 0x0303);
	CU_ASSERT_EQUAL(memcmp(ch.random, in.random, 32), 0);
	CU_ASSERT_EQUAL(ch.session_id_len, 32);
	CU_ASSERT_EQUAL(memcmp(ch.session_id, in.session_id, 32), 0);
	CU_ASSERT_TRUE(list_eq(&ch.suites, suites, 2));
	CU_ASSERT_FALSE(ch.scsv_reneg);
	CU_ASSERT_TRUE(ch.scsv_fallback);
	CU_ASSERT_TRUE(bytes_eq(&ch.compression, "\x01\x00", 2));
	CU_ASSERT_TRUE(ch.has_ext_block);
	CU_ASSERT_EQUAL(ch.exts, in.exts);
	CU_ASSERT_EQUAL(ch.unknown_exts, 0);
	CU_ASSERT_TRUE(bytes_eq(&ch.host_name, "a.example", 9));
	CU_ASSERT_TRUE(list_eq(&ch.groups, groups, 2));
	CU_ASSERT_TRUE(bytes_eq(&ch.point_formats, "\0", 1));
	CU_ASSERT_TRUE(list_eq(&ch.sigalgs, sigalgs, 2));
	CU_ASSERT_TRUE(bytes_eq(&ch.alpn, in.alpn.p, in.alpn.len));
	CU_ASSERT_EQUAL(ch.alpn_count, 3);
	CU_ASSERT_TRUE(tg_hs_alpn_offered(&ch, "x", 1));
	CU_ASSERT_TRUE(bytes_eq(&ch.reneg_info, "\x11\x22", 2));
	CU_ASSERT_TRUE(bytes_eq(&ch.ticket, "TICKET", 6));
	CU_ASSERT_TRUE(list_eq(&ch.versions, versions, 2));
	/* pointers borrow from the message */
	CU_ASSERT_TRUE(ch.host_name.p > out && ch.host_name.p < out + w.pos);
	truncations(TG_HS_CLIENT_HELLO, out + 4, w.pos - 4, 0,
		    (size_t[]){ 2 + 32 + 33 + 2 + 4 + 1 + 2 }, 1);

	/* parse -> write -> same bytes (our own output is canonical) */
	{
		uint8_t out2[1024];
		struct tg_wcur w2 = tg_wcur_init(out2, sizeof(out2));

		TG_ASSERT_OK(tg_hs_client_hello_write(&w2, &ch));
		CU_ASSERT_EQUAL(w2.pos, w.pos);
		CU_ASSERT_EQUAL(memcmp(out, out2, w.pos), 0);
	}

	/* no extensions at all: no block written, and none parsed */
	memset(&in.exts, 0, sizeof(in.exts));
	w = tg_wcur_init(out, sizeof(out));
	TG_ASSERT_OK(tg_hs_client_hello_write(&w, &in));
	CU_ASSERT_EQUAL(w.pos, 4 + 2 + 32 + 33 + 2 + 4 + 1 + 2);
	frame(out, w.pos, TG_HS_CLIENT_HELLO, &body);
	TG_ASSERT_OK(tg_hs_client_hello_parse(&body, &ch));
	CU_ASSERT_FALSE(ch.has_ext_block);
	CU_ASSERT_EQUAL(ch.exts, 0);
	/* an empty block is kept as such */
	in.has_ext_block = true;
	w = tg_wcur_init(out, sizeof(out));
	TG_ASSERT_OK(tg_hs_client_hello_write(&w, &in));
	frame(out, w.pos, TG_HS_CLIENT_HELLO, &body);
	TG_ASSERT_OK(tg_hs_client_hello_parse(&body, &ch));
	CU_ASSERT_TRUE(ch.has_ext_block);
	/* writer refuses what it cannot encode */
	in.session_id_len = 33;
	w = tg_wcur_init(out, sizeof(out));
	TG_ASSERT_ERR(tg_hs_client_hello_write(&w, &in), TG_E_INVAL);
	in.session_id_len = 0;
	in.suites.n = 0;
	TG_ASSERT_ERR(tg_hs_client_hello_write(&w, &in), TG_E_INVAL);
	in.suites = TG_HS_U16_LIST(suites);
	w = tg_wcur_init(out, 20);
	TG_ASSERT_ERR(tg_hs_client_hello_write(&w, &in), TG_E_NOSPACE);
}

static void test_client_hello_body(void)
{
	struct tg_hs_client_hello ch;
	size_t n;

	/* the template itself, with and without a block */
	TG_ASSERT_OK(ch_parse(NULL, &ch));
	CU_ASSERT_FALSE(ch.has_ext_block);
	CU_ASSERT_TRUE(ch.scsv_reneg);
	TG_ASSERT_OK(ch_parse("", &ch));
	CU_ASSERT_TRUE(ch.has_ext_block);

#define BODY(hex) hx(hex)
#define RND "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	/* session_id of 33 */
	n = BODY("0303" RND "21" "000102030405060708090a0b0c0d0e0f"
		 "101112131415161718191a1b1c1d1e1f20" "0002c02f" "0100");
	TG_ASSERT_ERR(parse_body(1, hexbuf, n, 0), TG_E_DECODE);
	/* 32 is fine */
	n = BODY("0303" RND "20" "000102030405060708090a0b0c0d0e0f"
		 "101112131415161718191a1b1c1d1e1f" "0002c02f" "0100");
	TG_ASSERT_OK(parse_body(1, hexbuf, n, 0));
	/* empty cipher_suites */
	n = BODY("0303" RND "00" "0000" "0100");
	TG_ASSERT_ERR(parse_body(1, hexbuf, n, 0), TG_E_DECODE);
	/* odd-length cipher_suites */
	n = BODY("0303" RND "00" "0003c02f00" "0100");
	TG_ASSERT_ERR(parse_body(1, hexbuf, n, 0), TG_E_DECODE);
	/* suites length too long by one / too short by one */
	n = BODY("0303" RND "00" "0005c02f00ff" "0100");
	TG_ASSERT_ERR(parse_body(1, hexbuf, n, 0), TG_E_DECODE);
	n = BODY("0303" RND "00" "0003c02f00ff" "0100");
	TG_ASSERT_ERR(parse_body(1, hexbuf, n, 0), TG_E_DECODE);
	/* empty compression_methods */
	n = BODY("0303" RND "00" "0002c02f" "00");
	TG_ASSERT_ERR(parse_body(1, hexbuf, n, 0), TG_E_DECODE);
	/* compression without null: illegal_parameter */
	n = BODY("0303" RND "00" "0002c02f" "0101");
	TG_ASSERT_ERR(parse_body(1, hexbuf, n, 0), TG_E_ILLEGAL_PARAM);
	/* other methods next to null are ignored */
	n = BODY("0303" RND "00" "0002c02f" "020100");
	TG_ASSERT_OK(parse_body(1, hexbuf, n, 0));
	/* compression length too long by one */
	n = BODY("0303" RND "00" "0002c02f" "0200");
	TG_ASSERT_ERR(parse_body(1, hexbuf, n, 0), TG_E_DECODE);
	/* a single byte where the extensions block would start */
	n = BODY("0303" RND "00" "0002c02f" "0100" "00");
	TG_ASSERT_ERR(parse_body(1, hexbuf, n, 0), TG_E_DECODE);
	/* scsv flags */
	n = BODY("0303" RND "00" "00045600c02f" "0100");
	{
		struct tg_cur c = tg_cur_init(hexbuf, n);

		TG_ASSERT_OK(tg_hs_client_hello_parse(&c, &ch));
		CU_ASSERT_TRUE(ch.scsv_fallback);
		CU_ASSERT_FALSE(ch.scsv_reneg);
	}
#undef BODY
}

static void test_client_hello_ext_block(void)
{
	struct tg_hs_client_hello ch;
	size_t n;

	/* block length too long by one / too short by one */
	n = ch_body("00170000");
	chbuf[n - 5]++;
	TG_ASSERT_ERR(parse_body(1, chbuf, n, 0), TG_E_DECODE);
	chbuf[n - 5] -= 2;
	TG_ASSERT_ERR(parse_body(1, chbuf, n, 0), TG_E_DECODE);
	/* trailing bytes after the block */
	n = ch_body("00170000");
	chbuf[n++] = 0;
	TG_ASSERT_ERR(parse_body(1, chbuf, n, 0), TG_E_DECODE);
	/* an extension overrunning the block */
	TG_ASSERT_ERR(ch_err("00170001"), TG_E_DECODE);
	TG_ASSERT_ERR(ch_err("0017000500"), TG_E_DECODE);
	/* a lone type with no length */
	TG_ASSERT_ERR(ch_err("0017"), TG_E_DECODE);
	TG_ASSERT_ERR(ch_err("00170000ff"), TG_E_DECODE);
	/* duplicates: known and unknown types */
	TG_ASSERT_ERR(ch_err("0017000000170000"), TG_E_DECODE);
	TG_ASSERT_ERR(ch_err("1234000112340000"), TG_E_DECODE);
	TG_ASSERT_ERR(ch_err("ff01000100 00170000 ff01000100"), TG_E_DECODE);
	TG_ASSERT_ERR(ch_err("ffff0000 00170000 ffff0000"), TG_E_DECODE);
	TG_ASSERT_OK(ch_parse("ffff0000 00170000 fffe0003 616263", &ch));
	CU_ASSERT_EQUAL(ch.unknown_exts, 2);
	CU_ASSERT_EQUAL(ch.exts, TG_HS_EXT_EMS);
}

static void test_client_hello_exts(void)
{
	struct tg_hs_client_hello ch;
	char name[2 * 300 + 64], hexname[2 * 300 + 1];

	/* EMS must be empty */
	TG_ASSERT_OK(ch_parse("00170000", &ch));
	CU_ASSERT_EQUAL(ch.exts, TG_HS_EXT_EMS);
	TG_ASSERT_ERR(ch_err("0017000100"), TG_E_DECODE);

	/* renegotiation_info */
	TG_ASSERT_OK(ch_parse("ff01000100", &ch));
	CU_ASSERT_EQUAL(ch.exts, TG_HS_EXT_RENEGOTIATION_INFO);
	CU_ASSERT_EQUAL(ch.reneg_info.len, 0);
	TG_ASSERT_OK(ch_parse("ff0100040301 0203", &ch));
	CU_ASSERT_TRUE(bytes_eq(&ch.reneg_info, "\x01\x02\x03", 3));
	TG_ASSERT_ERR(ch_err("ff0100020200"), TG_E_DECODE); /* inner long */
	TG_ASSERT_ERR(ch_err("ff0100020000"), TG_E_DECODE); /* inner short */
	TG_ASSERT_ERR(ch_err("ff010000"), TG_E_DECODE);     /* no length */

	/* ec_point_formats */
	TG_ASSERT_OK(ch_parse("000b0003020100", &ch));
	CU_ASSERT_TRUE(bytes_eq(&ch.point_formats, "\x01\x00", 2));
	TG_ASSERT_ERR(ch_err("000b00020101"), TG_E_ILLEGAL_PARAM);
	TG_ASSERT_ERR(ch_err("000b000100"), TG_E_DECODE);   /* empty list */
	TG_ASSERT_ERR(ch_err("000b00030200"), TG_E_DECODE); /* overrun */
	TG_ASSERT_ERR(ch_err("000b0003010000"), TG_E_DECODE); /* trailing */
	/* a decode error later in the block wins over illegal_parameter */
	TG_ASSERT_ERR(ch_err("000b00020101 0017000100"), TG_E_DECODE);

	/* supported_groups */
	TG_ASSERT_OK(ch_parse("000a00040002001d", &ch));
	CU_ASSERT_EQUAL(ch.groups.n, 1);
	CU_ASSERT_EQUAL(tg_hs_u16_at(&ch.groups, 0), TG_GROUP_X25519);
	CU_ASSERT_EQUAL(tg_hs_u16_at(&ch.groups, 1), 0); /* out of range */
	TG_ASSERT_ERR(ch_err("000a00020000"), TG_E_DECODE);        /* empty */
	TG_ASSERT_ERR(ch_err("000a0005000300 1d00"), TG_E_DECODE); /* odd */
	TG_ASSERT_ERR(ch_err("000a00040003001d"), TG_E_DECODE);    /* +1 */
	TG_ASSERT_ERR(ch_err("000a00040001001d"), TG_E_DECODE);    /* -1 */
	TG_ASSERT_ERR(ch_err("000a00030002001d"), TG_E_DECODE); /* overrun */

	/* signature_algorithms */
	TG_ASSERT_OK(ch_parse("000d0006000404030804", &ch));
	CU_ASSERT_EQUAL(ch.sigalgs.n, 2);
	TG_ASSERT_ERR(ch_err("000d00020000"), TG_E_DECODE);
	TG_ASSERT_ERR(ch_err("000d000500030403 08"), TG_E_DECODE);
	TG_ASSERT_ERR(ch_err("000d0006000504030804"), TG_E_DECODE);

	/* ALPN */
	TG_ASSERT_OK(ch_parse("0010000500030261 62", &ch));
	CU_ASSERT_EQUAL(ch.alpn_count, 1);
	CU_ASSERT_TRUE(tg_hs_alpn_offered(&ch, "ab", 2));
	TG_ASSERT_ERR(ch_err("001000020000"), TG_E_DECODE);       /* empty list */
	TG_ASSERT_ERR(ch_err("00100003000100"), TG_E_DECODE);     /* empty name */
	TG_ASSERT_ERR(ch_err("0010000500030361 62"), TG_E_DECODE); /* overrun */
	TG_ASSERT_ERR(ch_err("00100006000402616200"), TG_E_DECODE); /* 2nd empty */
	TG_ASSERT_ERR(ch_err("0010000500040261 62"), TG_E_DECODE); /* list +1 */
	TG_ASSERT_ERR(ch_err("001000010000"), TG_E_DECODE);

	/* session_ticket: any bytes, maybe none */
	TG_ASSERT_OK(ch_parse("00230000", &ch));
	CU_ASSERT_EQUAL(ch.exts, TG_HS_EXT_SESSION_TICKET);
	CU_ASSERT_EQUAL(ch.ticket.len, 0);
	TG_ASSERT_OK(ch_parse("00230003010203", &ch));
	CU_ASSERT_TRUE(bytes_eq(&ch.ticket, "\x01\x02\x03", 3));

	/* status_request: noted, contents ignored */
	TG_ASSERT_OK(ch_parse("000500050100000000", &ch));
	CU_ASSERT_EQUAL(ch.exts, TG_HS_EXT_STATUS_REQUEST);

	/* supported_versions */
	TG_ASSERT_OK(ch_parse("002b00050403040303", &ch));
	CU_ASSERT_EQUAL(ch.versions.n, 2);
	CU_ASSERT_TRUE(tg_hs_u16_has(&ch.versions, 0x0304));
	TG_ASSERT_ERR(ch_err("002b000100"), TG_E_DECODE);
	TG_ASSERT_ERR(ch_err("002b0004030403 03"), TG_E_DECODE);
	TG_ASSERT_ERR(ch_err("002b000603030403 03"), TG_E_DECODE);

	/* server_name */
	TG_ASSERT_OK(ch_parse("0000 0008 0006 00 0003 616263", &ch));
	CU_ASSERT_TRUE(bytes_eq(&ch.host_name, "abc", 3));
	/* two host_names: RFC 6066 §3 "MUST NOT contain more than one name
	 * of the same name_type"; it decodes, so illegal_parameter, unless
	 * the rest of the message does not decode */
	TG_ASSERT_ERR(ch_err("0000 000e 000c 00 0003 616263 00 0003 646566"),
		      TG_E_ILLEGAL_PARAM);
	TG_ASSERT_ERR(ch_err("0000 000e 000c 00 0003 616263 00 0003 616263"),
		      TG_E_ILLEGAL_PARAM);
	TG_ASSERT_ERR(ch_err("0000 000e 000c 00 0003 616263 00 0003 646566 "
			     "0017000100"),
		      TG_E_DECODE);
	/* RFC 6066 §3: "HostName ... represented as a byte string using
	 * ASCII encoding": control characters, space, DEL and bytes past
	 * 0x7f are no host name */
	{
		static const char *const bad[] = {
			"61 0a 62", "61 20 62", "61 09 62", "01 61 62",
			"61 7f 62", "77 c3 a9", "61 80 62", "ff 61 62",
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(name, sizeof(name), "0000 0008 0006 00 0003 %s",
				 bad[i]);
			TG_ASSERT_ERR(ch_err(name), TG_E_ILLEGAL_PARAM);
		}
	}
	/* what DNS names use, any case, is fine (and '_', '*', digits) */
	TG_ASSERT_OK(ch_parse("0000 000d 000b 00 0008 412d5f2a2e7a3039", &ch));
	CU_ASSERT_TRUE(bytes_eq(&ch.host_name, "A-_*.z09", 8));
	/* empty name, empty list, missing list */
	TG_ASSERT_ERR(ch_err("0000 0005 0003 00 0000"), TG_E_DECODE);
	TG_ASSERT_ERR(ch_err("0000 0002 0000"), TG_E_DECODE);
	TG_ASSERT_ERR(ch_err("0000 0000"), TG_E_DECODE);
	/* list length off by one either way */
	TG_ASSERT_ERR(ch_err("0000 0008 0007 00 0003 616263"), TG_E_DECODE);
	TG_ASSERT_ERR(ch_err("0000 0008 0005 00 0003 616263"), TG_E_DECODE);
	/* name length off by one either way */
	TG_ASSERT_ERR(ch_err("0000 0008 0006 00 0004 616263"), TG_E_DECODE);
	TG_ASSERT_ERR(ch_err("0000 0008 0006 00 0002 616263"), TG_E_DECODE);
	/* an unknown name type is skipped; alone it leaves no host_name */
	TG_ASSERT_OK(ch_parse("0000 000e 000c 07 0003 787878 00 0003 616263",
			      &ch));
	CU_ASSERT_TRUE(bytes_eq(&ch.host_name, "abc", 3));
	TG_ASSERT_ERR(ch_err("0000 0008 0006 07 0003 787878"), TG_E_DECODE);
	/* RFC 6066 §3 content rules */
	TG_ASSERT_ERR(ch_err("0000 0009 0007 00 0004 6162632e"),
		      TG_E_ILLEGAL_PARAM);
	TG_ASSERT_ERR(ch_err("0000 0009 0007 00 0004 61620063"),
		      TG_E_ILLEGAL_PARAM);
	for (int len = 255; len <= 256; len++) {
		memset(hexname, 0, sizeof(hexname));
		for (int i = 0; i < len; i++)
			memcpy(hexname + 2 * i, "61", 2);
		snprintf(name, sizeof(name), "0000 %04x %04x 00 %04x %s",
			 len + 5, len + 3, len, hexname);
		if (len == 255) {
			TG_ASSERT_OK(ch_parse(name, &ch));
			CU_ASSERT_EQUAL(ch.host_name.len, 255);
		} else {
			TG_ASSERT_ERR(ch_err(name), TG_E_ILLEGAL_PARAM);
		}
	}
}

/* ---- ServerHello ---- */

static void test_server_hello(void)
{
	struct tg_hs_server_hello in, sh;
	uint8_t out[512];
	struct tg_wcur w;
	struct tg_cur body;
	size_t n;

	memset(&in, 0, sizeof(in));
	in.version = 0x0303;
	tg_test_fill(in.random, 32);
	in.session_id_len = 5;
	memcpy(in.session_id, "sess!", 5);
	in.suite = TG_CS_ECDHE_ECDSA_AES_256_GCM_SHA384;
	in.exts = TG_HS_EXT_SERVER_NAME | TG_HS_EXT_STATUS_REQUEST |
		  TG_HS_EXT_EC_POINT_FORMATS | TG_HS_EXT_ALPN | TG_HS_EXT_EMS |
		  TG_HS_EXT_SESSION_TICKET | TG_HS_EXT_RENEGOTIATION_INFO;
	in.reneg_info = (struct tg_hs_bytes){ (const uint8_t *)"0123456789ab"
					      "0123456789ab", 24 };
	in.alpn = (struct tg_hs_bytes){ (const uint8_t *)"h2", 2 };
	in.point_formats = (struct tg_hs_bytes){ (const uint8_t *)"\0", 1 };
	w = tg_wcur_init(out, sizeof(out));
	TG_ASSERT_OK(tg_hs_server_hello_write(&w, &in));
	frame(out, w.pos, TG_HS_SERVER_HELLO, &body);
	TG_ASSERT_OK(tg_hs_server_hello_parse(&body, &sh));
	CU_ASSERT_EQUAL(sh.version, 0x0303);
	CU_ASSERT_EQUAL(memcmp(sh.random, in.random, 32), 0);
	CU_ASSERT_EQUAL(sh.session_id_len, 5);
	CU_ASSERT_EQUAL(memcmp(sh.session_id, "sess!", 5), 0);
	CU_ASSERT_EQUAL(sh.suite, TG_CS_ECDHE_ECDSA_AES_256_GCM_SHA384);
	CU_ASSERT_TRUE(sh.has_ext_block);
	CU_ASSERT_EQUAL(sh.exts, in.exts);
	CU_ASSERT_TRUE(bytes_eq(&sh.reneg_info, in.reneg_info.p, 24));
	CU_ASSERT_TRUE(bytes_eq(&sh.alpn, "h2", 2));
	CU_ASSERT_TRUE(bytes_eq(&sh.point_formats, "\0", 1));
	truncations(TG_HS_SERVER_HELLO, out + 4, w.pos - 4, 0,
		    (size_t[]){ 2 + 32 + 6 + 3 }, 1);
	/* no extensions */
	in.exts = 0;
	w = tg_wcur_init(out, sizeof(out));
	TG_ASSERT_OK(tg_hs_server_hello_write(&w, &in));
	CU_ASSERT_EQUAL(w.pos, 4 + 2 + 32 + 6 + 3);
	frame(out, w.pos, TG_HS_SERVER_HELLO, &body);
	TG_ASSERT_OK(tg_hs_server_hello_parse(&body, &sh));
	CU_ASSERT_FALSE(sh.has_ext_block);
	CU_ASSERT_EQUAL(sh.exts, 0);
	/* a client-only bit cannot be written */
	in.exts = TG_HS_EXT_SIGNATURE_ALGS;
	TG_ASSERT_ERR(tg_hs_server_hello_write(&w, &in), TG_E_INVAL);

#define SH(tail) hx("0303" RND "00" "c02f" tail)
	n = SH("00");
	TG_ASSERT_OK(parse_body(2, hexbuf, n, 0));
	n = SH("01");
	TG_ASSERT_ERR(parse_body(2, hexbuf, n, 0), TG_E_ILLEGAL_PARAM);
	n = SH("00 0000");
	TG_ASSERT_OK(parse_body(2, hexbuf, n, 0));
	/* ALPN: exactly one name */
	n = SH("00 0009 0010 0005 0003 026832");
	TG_ASSERT_OK(parse_body(2, hexbuf, n, 0));
	n = SH("00 000b 0010 0007 0005 026832 0161");
	TG_ASSERT_ERR(parse_body(2, hexbuf, n, 0), TG_E_DECODE);
	n = SH("00 0006 0010 0002 0000");
	TG_ASSERT_ERR(parse_body(2, hexbuf, n, 0), TG_E_DECODE);
	n = SH("00 0007 0010 0003 0001 00");
	TG_ASSERT_ERR(parse_body(2, hexbuf, n, 0), TG_E_DECODE);
	/* session_ticket, server_name, status_request, EMS must be empty */
	n = SH("00 0005 0023 0001 00");
	TG_ASSERT_ERR(parse_body(2, hexbuf, n, 0), TG_E_DECODE);
	n = SH("00 0005 0000 0001 00");
	TG_ASSERT_ERR(parse_body(2, hexbuf, n, 0), TG_E_DECODE);
	n = SH("00 0005 0005 0001 00");
	TG_ASSERT_ERR(parse_body(2, hexbuf, n, 0), TG_E_DECODE);
	n = SH("00 0005 0017 0001 00");
	TG_ASSERT_ERR(parse_body(2, hexbuf, n, 0), TG_E_DECODE);
	/* unknown extension: unsupported_extension */
	n = SH("00 0004 0016 0000");
	TG_ASSERT_ERR(parse_body(2, hexbuf, n, 0), TG_E_UNSUPPORTED_EXT);
	/* duplicate */
	n = SH("00 0008 0017 0000 0017 0000");
	TG_ASSERT_ERR(parse_body(2, hexbuf, n, 0), TG_E_DECODE);
	/* renegotiation_info inner length wrong */
	n = SH("00 0006 ff01 0002 0200");
	TG_ASSERT_ERR(parse_body(2, hexbuf, n, 0), TG_E_DECODE);
	/* point formats without uncompressed */
	n = SH("00 0006 000b 0002 0101");
	TG_ASSERT_ERR(parse_body(2, hexbuf, n, 0), TG_E_ILLEGAL_PARAM);
	/* block length off by one; trailing byte */
	n = SH("00 0005 0017 0000");
	TG_ASSERT_ERR(parse_body(2, hexbuf, n, 0), TG_E_DECODE);
	n = SH("00 0003 0017 0000");
	TG_ASSERT_ERR(parse_body(2, hexbuf, n, 0), TG_E_DECODE);
	n = SH("00 0004 0017 0000 00");
	TG_ASSERT_ERR(parse_body(2, hexbuf, n, 0), TG_E_DECODE);
	/* session id of 33 */
	n = hx("0303" RND "21" RND "00" "c02f" "00");
	TG_ASSERT_ERR(parse_body(2, hexbuf, n, 0), TG_E_DECODE);
#undef SH
}

/* ---- Certificate ---- */

static void test_certificate(void)
{
	static uint8_t out[2 * 40000 + 64];
	static uint8_t der[3][700];
	static uint8_t big[40000];
	struct tg_hs_certificate in, c;
	struct tg_wcur w;
	struct tg_cur body;
	size_t n;

	memset(&in, 0, sizeof(in));
	for (int i = 0; i < 3; i++) {
		tg_test_fill(der[i], sizeof(der[i]));
		in.cert[i] = (struct tg_hs_bytes){ der[i], 300 + 200 * i };
	}
	in.n = 3;
	w = tg_wcur_init(out, sizeof(out));
	TG_ASSERT_OK(tg_hs_certificate_write(&w, &in));
	CU_ASSERT_EQUAL(w.pos, 4 + 3 + 3 * 3 + 300 + 500 + 700);
	frame(out, w.pos, TG_HS_CERTIFICATE, &body);
	TG_ASSERT_OK(tg_hs_certificate_parse(&body, &c));
	CU_ASSERT_EQUAL_FATAL(c.n, 3);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_TRUE(bytes_eq(&c.cert[i], der[i], 300 + 200 * i));
	CU_ASSERT_EQUAL(truncations(TG_HS_CERTIFICATE, out + 4, w.pos - 4, 0,
				    NULL, 0), 1512);

	/* empty chain (a client without a certificate) */
	in.n = 0;
	w = tg_wcur_init(out, sizeof(out));
	TG_ASSERT_OK(tg_hs_certificate_write(&w, &in));
	CU_ASSERT_EQUAL(w.pos, 7);
	frame(out, w.pos, TG_HS_CERTIFICATE, &body);
	TG_ASSERT_OK(tg_hs_certificate_parse(&body, &c));
	CU_ASSERT_EQUAL(c.n, 0);

	/* zero-length certificate */
	n = hx("000003 000000");
	TG_ASSERT_ERR(parse_body(11, hexbuf, n, 0), TG_E_DECODE);
	n = hx("000007 000001aa 000000");
	TG_ASSERT_ERR(parse_body(11, hexbuf, n, 0), TG_E_DECODE);
	/* lengths that do not add up */
	n = hx("000005 000002aabb");
	TG_ASSERT_OK(parse_body(11, hexbuf, n, 0));
	n = hx("000006 000002aabb");
	TG_ASSERT_ERR(parse_body(11, hexbuf, n, 0), TG_E_DECODE);
	n = hx("000004 000002aabb");
	TG_ASSERT_ERR(parse_body(11, hexbuf, n, 0), TG_E_DECODE);
	n = hx("000005 000003aabb");
	TG_ASSERT_ERR(parse_body(11, hexbuf, n, 0), TG_E_DECODE);
	n = hx("000005 000001aabb");
	TG_ASSERT_ERR(parse_body(11, hexbuf, n, 0), TG_E_DECODE);
	n = hx("000005 000002aabb cc");
	TG_ASSERT_ERR(parse_body(11, hexbuf, n, 0), TG_E_DECODE);
	n = hx("");
	TG_ASSERT_ERR(parse_body(11, hexbuf, n, 0), TG_E_DECODE);

	/* 10 certificates fine, 11 over our limit */
	for (int k = 10; k <= 11; k++) {
		uint8_t b[3 + 11 * 4];
		struct tg_wcur bw = tg_wcur_init(b, sizeof(b));

		TG_ASSERT_OK(tg_wcur_u24(&bw, (uint32_t)(4 * k)));
		for (int i = 0; i < k; i++) {
			TG_ASSERT_OK(tg_wcur_u24(&bw, 1));
			TG_ASSERT_OK(tg_wcur_u8(&bw, (uint8_t)i));
		}
		if (k == 10)
			TG_ASSERT_OK(parse_body(11, b, bw.pos, 0));
		else
			TG_ASSERT_ERR(parse_body(11, b, bw.pos, 0),
				      TG_E_CERT_UNKNOWN);
	}

	/* a chain over the message limit cannot be written */
	in.n = 2;
	in.cert[0] = (struct tg_hs_bytes){ big, sizeof(big) };
	in.cert[1] = (struct tg_hs_bytes){ big, sizeof(big) };
	w = tg_wcur_init(out, sizeof(out));
	TG_ASSERT_ERR(tg_hs_certificate_write(&w, &in), TG_E_OVERFLOW);
	in.n = 1;
	w = tg_wcur_init(out, sizeof(out));
	TG_ASSERT_OK(tg_hs_certificate_write(&w, &in));
	in.n = 11;
	TG_ASSERT_ERR(tg_hs_certificate_write(&w, &in), TG_E_INVAL);
	in.n = 1;
	in.cert[0].len = 0;
	TG_ASSERT_ERR(tg_hs_certificate_write(&w, &in), TG_E_INVAL);
}

/* ---- ServerKeyExchange ---- */

static void test_server_key_exchange(void)
{
	uint8_t point[65], sig[72], out[512], signed_data[TG_HS_SKE_SIGNED_MAX];
	uint8_t cr[32], sr[32];
	struct tg_hs_server_key_exchange in, ske;
	struct tg_wcur w;
	struct tg_cur body;
	size_t n;

	tg_test_fill(point, sizeof(point));
	tg_test_fill(sig, sizeof(sig));
	tg_test_fill(cr, sizeof(cr));
	tg_test_fill(sr, sizeof(sr));
	in = (struct tg_hs_server_key_exchange){
		.group = TG_GROUP_SECP256R1,
		.point = { point, sizeof(point) },
		.sigalg = TG_SIG_ECDSA_SECP256R1_SHA256,
		.sig = { sig, sizeof(sig) },
	};
	w = tg_wcur_init(out, sizeof(out));
	TG_ASSERT_OK(tg_hs_server_key_exchange_write(&w, &in));
	CU_ASSERT_EQUAL(w.pos, 4 + 4 + 65 + 4 + 72);
	frame(out, w.pos, TG_HS_SERVER_KEY_EXCHANGE, &body);
	TG_ASSERT_OK(tg_hs_server_key_exchange_parse(&body, &ske));
	CU_ASSERT_EQUAL(ske.group, TG_GROUP_SECP256R1);
	CU_ASSERT_TRUE(bytes_eq(&ske.point, point, 65));
	CU_ASSERT_EQUAL(ske.sigalg, TG_SIG_ECDSA_SECP256R1_SHA256);
	CU_ASSERT_TRUE(bytes_eq(&ske.sig, sig, 72));
	truncations(TG_HS_SERVER_KEY_EXCHANGE, out + 4, w.pos - 4, 0, NULL, 0);

	/* signed bytes: client_random + server_random + params as sent */
	w = tg_wcur_init(signed_data, sizeof(signed_data));
	TG_ASSERT_OK(tg_hs_ske_signed_data(cr, sr, &ske, &w));
	CU_ASSERT_EQUAL(w.pos, 64 + 4 + 65);
	CU_ASSERT_EQUAL(memcmp(signed_data, cr, 32), 0);
	CU_ASSERT_EQUAL(memcmp(signed_data + 32, sr, 32), 0);
	CU_ASSERT_EQUAL(memcmp(signed_data + 64, out + 4, 4 + 65), 0);
	/* the largest point fits TG_HS_SKE_SIGNED_MAX */
	{
		uint8_t p255[255] = { 0 };
		struct tg_hs_server_key_exchange m = in;

		m.point = (struct tg_hs_bytes){ p255, 255 };
		w = tg_wcur_init(signed_data, sizeof(signed_data));
		TG_ASSERT_OK(tg_hs_ske_signed_data(cr, sr, &m, &w));
		CU_ASSERT_EQUAL(w.pos, TG_HS_SKE_SIGNED_MAX);
		m.point.len = 0;
		w = tg_wcur_init(signed_data, sizeof(signed_data));
		TG_ASSERT_ERR(tg_hs_ske_signed_data(cr, sr, &m, &w),
			      TG_E_INVAL);
	}

	/* x25519, empty signature allowed by the syntax */
	n = hx("03 001d 20 " RND " 0804 0000");
	TG_ASSERT_OK(parse_body(12, hexbuf, n, 0));
	/* explicit curves */
	n = hx("01 001d 20 " RND " 0804 0000");
	TG_ASSERT_ERR(parse_body(12, hexbuf, n, 0), TG_E_ILLEGAL_PARAM);
	n = hx("02");
	TG_ASSERT_ERR(parse_body(12, hexbuf, n, 0), TG_E_ILLEGAL_PARAM);
	/* empty point; point/sig length off by one */
	n = hx("03 001d 00 0804 0000");
	TG_ASSERT_ERR(parse_body(12, hexbuf, n, 0), TG_E_DECODE);
	n = hx("03 001d 21 " RND " 0804 0000");
	TG_ASSERT_ERR(parse_body(12, hexbuf, n, 0), TG_E_DECODE);
	n = hx("03 001d 1f " RND " 0804 0000");
	TG_ASSERT_ERR(parse_body(12, hexbuf, n, 0), TG_E_DECODE);
	n = hx("03 001d 01 aa 0804 0002 bb");
	TG_ASSERT_ERR(parse_body(12, hexbuf, n, 0), TG_E_DECODE);
	n = hx("03 001d 01 aa 0804 0001 bbcc");
	TG_ASSERT_ERR(parse_body(12, hexbuf, n, 0), TG_E_DECODE);
}

/* ---- CertificateRequest ---- */

static void test_certificate_request(void)
{
	static const uint16_t sigalgs[] = { TG_SIG_RSA_PSS_RSAE_SHA256,
					    TG_SIG_ECDSA_SECP384R1_SHA384,
					    TG_SIG_RSA_PKCS1_SHA256 };
	uint8_t out[256];
	struct tg_hs_certificate_request in, cr;
	struct tg_wcur w;
	struct tg_cur body, it;
	struct tg_hs_bytes dn;
	size_t n;

	/* two DNs: "CA1" and "Root" */
	n = hx("0003 434131 0004 526f6f74");
	uint8_t cas[16];
	memcpy(cas, hexbuf, n);
	in = (struct tg_hs_certificate_request){
		.cert_types = { (const uint8_t *)"\x01\x40", 2 },
		.sigalgs = TG_HS_U16_LIST(sigalgs),
		.cas = { cas, n },
	};
	w = tg_wcur_init(out, sizeof(out));
	TG_ASSERT_OK(tg_hs_certificate_request_write(&w, &in));
	frame(out, w.pos, TG_HS_CERTIFICATE_REQUEST, &body);
	TG_ASSERT_OK(tg_hs_certificate_request_parse(&body, &cr));
	CU_ASSERT_TRUE(bytes_eq(&cr.cert_types, "\x01\x40", 2));
	CU_ASSERT_TRUE(list_eq(&cr.sigalgs, sigalgs, 3));
	CU_ASSERT_EQUAL(cr.n_cas, 2);
	it = tg_cur_init(cr.cas.p, cr.cas.len);
	CU_ASSERT_TRUE(tg_hs_list_next(&it, 2, &dn));
	CU_ASSERT_TRUE(bytes_eq(&dn, "CA1", 3));
	CU_ASSERT_TRUE(tg_hs_list_next(&it, 2, &dn));
	CU_ASSERT_TRUE(bytes_eq(&dn, "Root", 4));
	CU_ASSERT_FALSE(tg_hs_list_next(&it, 2, &dn));
	truncations(TG_HS_CERTIFICATE_REQUEST, out + 4, w.pos - 4, 0, NULL, 0);
	/* no CAs */
	in.cas.len = 0;
	w = tg_wcur_init(out, sizeof(out));
	TG_ASSERT_OK(tg_hs_certificate_request_write(&w, &in));
	frame(out, w.pos, TG_HS_CERTIFICATE_REQUEST, &body);
	TG_ASSERT_OK(tg_hs_certificate_request_parse(&body, &cr));
	CU_ASSERT_EQUAL(cr.n_cas, 0);
	/* writer checks the DN list */
	in.cas = (struct tg_hs_bytes){ (const uint8_t *)"\x00\x00", 2 };
	TG_ASSERT_ERR(tg_hs_certificate_request_write(&w, &in), TG_E_INVAL);

	n = hx("0101 0002 0401 0000");
	TG_ASSERT_OK(parse_body(13, hexbuf, n, 0));
	n = hx("00 0002 0401 0000"); /* empty certificate_types */
	TG_ASSERT_ERR(parse_body(13, hexbuf, n, 0), TG_E_DECODE);
	n = hx("0101 0000 0000"); /* empty sigalgs */
	TG_ASSERT_ERR(parse_body(13, hexbuf, n, 0), TG_E_DECODE);
	n = hx("0101 0003 040105 0000"); /* odd sigalgs */
	TG_ASSERT_ERR(parse_body(13, hexbuf, n, 0), TG_E_DECODE);
	n = hx("0101 0002 0401 0002 0000"); /* empty DN */
	TG_ASSERT_ERR(parse_body(13, hexbuf, n, 0), TG_E_DECODE);
	n = hx("0101 0002 0401 0003 0002aa"); /* DN overruns */
	TG_ASSERT_ERR(parse_body(13, hexbuf, n, 0), TG_E_DECODE);
	n = hx("0101 0002 0401 0004 0002aa"); /* list overruns */
	TG_ASSERT_ERR(parse_body(13, hexbuf, n, 0), TG_E_DECODE);
	n = hx("0101 0002 0401 0002 0001aa"); /* list short */
	TG_ASSERT_ERR(parse_body(13, hexbuf, n, 0), TG_E_DECODE);
}

/* ---- the small ones ---- */

static void test_client_key_exchange(void)
{
	uint8_t pt[32], epms[256], out[512];
	struct tg_hs_client_key_exchange in, cke;
	struct tg_wcur w;
	struct tg_cur body;
	size_t n;

	tg_test_fill(pt, sizeof(pt));
	tg_test_fill(epms, sizeof(epms));
	in = (struct tg_hs_client_key_exchange){ TG_HS_KX_ECDHE,
						 { pt, sizeof(pt) } };
	w = tg_wcur_init(out, sizeof(out));
	TG_ASSERT_OK(tg_hs_client_key_exchange_write(&w, &in));
	CU_ASSERT_EQUAL(w.pos, 4 + 1 + 32);
	frame(out, w.pos, TG_HS_CLIENT_KEY_EXCHANGE, &body);
	TG_ASSERT_OK(tg_hs_client_key_exchange_parse(&body, TG_HS_KX_ECDHE,
						     &cke));
	CU_ASSERT_EQUAL(cke.kx, TG_HS_KX_ECDHE);
	CU_ASSERT_TRUE(bytes_eq(&cke.data, pt, 32));
	truncations(TG_HS_CLIENT_KEY_EXCHANGE, out + 4, w.pos - 4,
		    TG_HS_KX_ECDHE, NULL, 0);

	in = (struct tg_hs_client_key_exchange){ TG_HS_KX_RSA,
						 { epms, sizeof(epms) } };
	w = tg_wcur_init(out, sizeof(out));
	TG_ASSERT_OK(tg_hs_client_key_exchange_write(&w, &in));
	CU_ASSERT_EQUAL(w.pos, 4 + 2 + 256);
	frame(out, w.pos, TG_HS_CLIENT_KEY_EXCHANGE, &body);
	TG_ASSERT_OK(tg_hs_client_key_exchange_parse(&body, TG_HS_KX_RSA,
						     &cke));
	CU_ASSERT_EQUAL(cke.kx, TG_HS_KX_RSA);
	CU_ASSERT_TRUE(bytes_eq(&cke.data, epms, 256));
	truncations(TG_HS_CLIENT_KEY_EXCHANGE, out + 4, w.pos - 4,
		    TG_HS_KX_RSA, NULL, 0);
	/* an ECDHE point longer than 255 cannot be written */
	in.kx = TG_HS_KX_ECDHE;
	TG_ASSERT_ERR(tg_hs_client_key_exchange_write(&w, &in), TG_E_INVAL);
	in.kx = 0;
	TG_ASSERT_ERR(tg_hs_client_key_exchange_write(&w, &in), TG_E_INVAL);

	n = hx("00");
	TG_ASSERT_ERR(parse_body(16, hexbuf, n, TG_HS_KX_ECDHE), TG_E_DECODE);
	n = hx("0000");
	TG_ASSERT_OK(parse_body(16, hexbuf, n, TG_HS_KX_RSA));
	n = hx("0002 aa");
	TG_ASSERT_ERR(parse_body(16, hexbuf, n, TG_HS_KX_RSA), TG_E_DECODE);
	n = hx("02 aabbcc");
	TG_ASSERT_ERR(parse_body(16, hexbuf, n, TG_HS_KX_ECDHE), TG_E_DECODE);
	/* the same bytes read as the other kind */
	n = hx("0003 aabbcc");
	TG_ASSERT_ERR(parse_body(16, hexbuf, n, TG_HS_KX_ECDHE), TG_E_DECODE);
	TG_ASSERT_ERR(parse_body(16, hexbuf, n, (enum tg_hs_kx)7), TG_E_INVAL);
}

static void test_certificate_verify(void)
{
	uint8_t sig[256], out[512];
	struct tg_hs_certificate_verify in, cv;
	struct tg_wcur w;
	struct tg_cur body;
	size_t n;

	tg_test_fill(sig, sizeof(sig));
	in = (struct tg_hs_certificate_verify){ TG_SIG_RSA_PSS_RSAE_SHA384,
						{ sig, sizeof(sig) } };
	w = tg_wcur_init(out, sizeof(out));
	TG_ASSERT_OK(tg_hs_certificate_verify_write(&w, &in));
	CU_ASSERT_EQUAL(w.pos, 4 + 4 + 256);
	frame(out, w.pos, TG_HS_CERTIFICATE_VERIFY, &body);
	TG_ASSERT_OK(tg_hs_certificate_verify_parse(&body, &cv));
	CU_ASSERT_EQUAL(cv.sigalg, TG_SIG_RSA_PSS_RSAE_SHA384);
	CU_ASSERT_TRUE(bytes_eq(&cv.sig, sig, 256));
	truncations(TG_HS_CERTIFICATE_VERIFY, out + 4, w.pos - 4, 0, NULL, 0);
	n = hx("0804 0000");
	TG_ASSERT_OK(parse_body(15, hexbuf, n, 0));
	n = hx("0804 0002 aa");
	TG_ASSERT_ERR(parse_body(15, hexbuf, n, 0), TG_E_DECODE);
}

static void test_finished(void)
{
	struct tg_hs_finished in, fin;
	uint8_t out[32], b[13] = { 0 };
	struct tg_wcur w;
	struct tg_cur body;

	tg_test_fill(in.verify_data, sizeof(in.verify_data));
	w = tg_wcur_init(out, sizeof(out));
	TG_ASSERT_OK(tg_hs_finished_write(&w, &in));
	CU_ASSERT_EQUAL(w.pos, 16);
	frame(out, w.pos, TG_HS_FINISHED, &body);
	TG_ASSERT_OK(tg_hs_finished_parse(&body, &fin));
	CU_ASSERT_EQUAL(memcmp(fin.verify_data, in.verify_data, 12), 0);
	truncations(TG_HS_FINISHED, out + 4, 12, 0, NULL, 0);
	TG_ASSERT_ERR(parse_body(20, b, 11, 0), TG_E_DECODE);
	TG_ASSERT_ERR(parse_body(20, b, 13, 0), TG_E_DECODE);
	TG_ASSERT_OK(parse_body(20, b, 12, 0));
}

static void test_new_session_ticket(void)
{
	uint8_t t[200], out[512];
	struct tg_hs_new_session_ticket in, nst;
	struct tg_wcur w;
	struct tg_cur body;
	size_t n;

	tg_test_fill(t, sizeof(t));
	in = (struct tg_hs_new_session_ticket){ 0xa1b2c3d4, { t, sizeof(t) } };
	w = tg_wcur_init(out, sizeof(out));
	TG_ASSERT_OK(tg_hs_new_session_ticket_write(&w, &in));
	CU_ASSERT_EQUAL(w.pos, 4 + 4 + 2 + 200);
	CU_ASSERT_EQUAL(out[4], 0xa1);
	frame(out, w.pos, TG_HS_NEW_SESSION_TICKET, &body);
	TG_ASSERT_OK(tg_hs_new_session_ticket_parse(&body, &nst));
	CU_ASSERT_EQUAL(nst.lifetime_hint, 0xa1b2c3d4);
	CU_ASSERT_TRUE(bytes_eq(&nst.ticket, t, 200));
	truncations(TG_HS_NEW_SESSION_TICKET, out + 4, w.pos - 4, 0, NULL, 0);
	/* empty ticket: the server keeps no state (RFC 5077 §3.3) */
	n = hx("00000000 0000");
	TG_ASSERT_OK(parse_body(4, hexbuf, n, 0));
	n = hx("00000000 0001");
	TG_ASSERT_ERR(parse_body(4, hexbuf, n, 0), TG_E_DECODE);
}

static void test_empty_messages(void)
{
	uint8_t out[8], one = 0;
	struct tg_wcur w;
	struct tg_cur body;

	w = tg_wcur_init(out, sizeof(out));
	TG_ASSERT_OK(tg_hs_hello_request_write(&w));
	CU_ASSERT_EQUAL(w.pos, 4);
	frame(out, w.pos, TG_HS_HELLO_REQUEST, &body);
	TG_ASSERT_OK(tg_hs_hello_request_parse(&body));
	w = tg_wcur_init(out, sizeof(out));
	TG_ASSERT_OK(tg_hs_server_hello_done_write(&w));
	CU_ASSERT_EQUAL(memcmp(out, "\x0e\x00\x00\x00", 4), 0);
	frame(out, w.pos, TG_HS_SERVER_HELLO_DONE, &body);
	TG_ASSERT_OK(tg_hs_server_hello_done_parse(&body));
	TG_ASSERT_ERR(parse_body(0, &one, 1, 0), TG_E_DECODE);
	TG_ASSERT_ERR(parse_body(14, &one, 1, 0), TG_E_DECODE);
	w = tg_wcur_init(out, 3);
	TG_ASSERT_ERR(tg_hs_server_hello_done_write(&w), TG_E_NOSPACE);
}

/* ---- helpers ---- */

static void test_helpers(void)
{
	static const uint16_t ours[] = { TG_SIG_ECDSA_SECP256R1_SHA256,
					 TG_SIG_RSA_PSS_RSAE_SHA256 };
	static const uint16_t peer_host[] = { 0x0804, 0x0403 };
	static const char *const bad[] = { "h2", "" };
	struct tg_hs_client_hello ch;
	struct tg_hs_u16_list l;
	uint8_t buf[8], rnd[32] = { 0 };
	struct tg_hs_bytes enc, item0;
	struct tg_cur it0 = tg_cur_init("\x01" "a", 2);
	size_t cnt;
	uint16_t v;

	/* host and wire lists read the same */
	l = TG_HS_U16_LIST(peer_host);
	TG_ASSERT_OK(tg_hs_u16_select(&l, ours, 2, &v));
	CU_ASSERT_EQUAL(v, TG_SIG_ECDSA_SECP256R1_SHA256);
	l = (struct tg_hs_u16_list){ (const uint8_t *)"\x08\x04", NULL, 1 };
	TG_ASSERT_OK(tg_hs_u16_select(&l, ours, 2, &v));
	CU_ASSERT_EQUAL(v, TG_SIG_RSA_PSS_RSAE_SHA256);
	TG_ASSERT_ERR(tg_hs_u16_select(&l, ours, 1, &v), TG_E_HANDSHAKE_FAIL);
	TG_ASSERT_ERR(tg_hs_u16_select(&l, NULL, 0, &v), TG_E_HANDSHAKE_FAIL);

	/* no signature_algorithms: RFC 5246 default SHA-1 pair only, which
	 * we never pick */
	TG_ASSERT_OK(ch_parse(NULL, &ch));
	tg_hs_client_sigalgs(&ch, true, &l);
	CU_ASSERT_EQUAL(l.n, 1);
	CU_ASSERT_EQUAL(tg_hs_u16_at(&l, 0), 0x0203);
	TG_ASSERT_ERR(tg_hs_u16_select(&l, ours, 2, &v), TG_E_HANDSHAKE_FAIL);
	tg_hs_client_sigalgs(&ch, false, &l);
	CU_ASSERT_EQUAL(tg_hs_u16_at(&l, 0), 0x0201);
	CU_ASSERT_FALSE(tg_hs_alpn_offered(&ch, "h2", 2));

	/* ALPN encoding limits */
	TG_ASSERT_ERR(tg_hs_alpn_encode(bad, 2, buf, sizeof(buf), &enc, &cnt),
		      TG_E_INVAL);
	TG_ASSERT_ERR(tg_hs_alpn_encode(bad, 0, buf, sizeof(buf), &enc, &cnt),
		      TG_E_INVAL);
	TG_ASSERT_ERR(tg_hs_alpn_encode(bad, 1, buf, 2, &enc, &cnt),
		      TG_E_NOSPACE);
	TG_ASSERT_OK(tg_hs_alpn_encode(bad, 1, buf, 3, &enc, &cnt));
	CU_ASSERT_TRUE(bytes_eq(&enc, "\x02h2", 3));

	/* RFC 8446 §4.1.3 sentinels */
	CU_ASSERT_EQUAL(tg_hs_downgrade_sentinel(rnd), 0);
	memcpy(rnd + 24, "DOWNGRD\x01", 8);
	CU_ASSERT_EQUAL(tg_hs_downgrade_sentinel(rnd), 2);
	rnd[31] = 0;
	CU_ASSERT_EQUAL(tg_hs_downgrade_sentinel(rnd), 1);
	rnd[31] = 2;
	CU_ASSERT_EQUAL(tg_hs_downgrade_sentinel(rnd), 0);

	/* RFC 5746 on an initial handshake */
	bool secure = true;
	TG_ASSERT_OK(ch_parse(NULL, &ch)); /* SCSV in the template */
	TG_ASSERT_OK(tg_hs_client_hello_reneg_check(&ch, &secure));
	CU_ASSERT_TRUE(secure);
	ch.scsv_reneg = false;
	TG_ASSERT_OK(tg_hs_client_hello_reneg_check(&ch, &secure));
	CU_ASSERT_FALSE(secure);
	TG_ASSERT_OK(ch_parse("ff01000100", &ch));
	ch.scsv_reneg = false;
	TG_ASSERT_OK(tg_hs_client_hello_reneg_check(&ch, &secure));
	CU_ASSERT_TRUE(secure);
	TG_ASSERT_OK(ch_parse("ff0100020161", &ch));
	TG_ASSERT_ERR(tg_hs_client_hello_reneg_check(&ch, &secure),
		      TG_E_HANDSHAKE_FAIL);
	CU_ASSERT_FALSE(secure);
	{
		struct tg_hs_server_hello sh = { 0 };

		TG_ASSERT_OK(tg_hs_server_hello_reneg_check(&sh, &secure));
		CU_ASSERT_FALSE(secure);
		sh.exts = TG_HS_EXT_RENEGOTIATION_INFO;
		TG_ASSERT_OK(tg_hs_server_hello_reneg_check(&sh, &secure));
		CU_ASSERT_TRUE(secure);
		sh.reneg_info = (struct tg_hs_bytes){ rnd, 24 };
		TG_ASSERT_ERR(tg_hs_server_hello_reneg_check(&sh, &secure),
			      TG_E_HANDSHAKE_FAIL);
	}
	CU_ASSERT_FALSE(tg_hs_list_next(&it0, 4, &item0));

	/* a malformed list stops the iterator */
	struct tg_cur it = tg_cur_init("\x05" "ab", 3);
	struct tg_hs_bytes item;
	CU_ASSERT_FALSE(tg_hs_list_next(&it, 1, &item));
	CU_ASSERT_EQUAL(it.pos, 0);
}

/* Random bytes never crash a parser and only fail with the documented
 * codes. */
static void test_random_bodies(void)
{
	static const uint8_t types[] = { 0, 1, 2, 4, 11, 12, 13, 14, 15, 16, 20 };
	uint8_t b[300];

	for (int i = 0; i < 20000; i++) {
		uint8_t t = types[tg_test_rand() % sizeof(types)];
		size_t n = tg_test_rand() % sizeof(b);
		tg_result r;

		tg_test_fill(b, n);
		r = parse_body(t, b, n, (i & 1) ? TG_HS_KX_RSA : TG_HS_KX_ECDHE);
		CU_ASSERT(r.code == TG_E_OK || r.code == TG_E_DECODE ||
			  r.code == TG_E_ILLEGAL_PARAM ||
			  r.code == TG_E_UNSUPPORTED_EXT ||
			  r.code == TG_E_CERT_UNKNOWN);
	}
}

static CU_TestInfo hs_tests[] = {
	{ "framing", test_framing },
	{ "OpenSSL ClientHello", test_openssl_client_hello },
	{ "ClientHello round trip", test_client_hello_roundtrip },
	{ "the largest ClientHello", test_client_hello_max },
	{ "ClientHello body errors", test_client_hello_body },
	{ "ClientHello extension block", test_client_hello_ext_block },
	{ "ClientHello extensions", test_client_hello_exts },
	{ "ServerHello", test_server_hello },
	{ "Certificate", test_certificate },
	{ "ServerKeyExchange", test_server_key_exchange },
	{ "CertificateRequest", test_certificate_request },
	{ "ClientKeyExchange", test_client_key_exchange },
	{ "CertificateVerify", test_certificate_verify },
	{ "Finished", test_finished },
	{ "NewSessionTicket", test_new_session_ticket },
	{ "HelloRequest and ServerHelloDone", test_empty_messages },
	{ "helpers", test_helpers },
	{ "random bodies", test_random_bodies },
	CU_TEST_INFO_NULL,
};

static const struct tg_test_suite suites[] = {
	{ "hs_msg", NULL, NULL, hs_tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return tg_test_main(argc, argv, suites);
}
