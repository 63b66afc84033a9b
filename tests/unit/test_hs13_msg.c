/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the TLS 1.3 handshake messages (control/hs/, RFC 8446
 * §4): one test per message, each written from the same inputs as the
 * RFC 8448 traces and compared byte for byte with the trace's message
 * (ServerHello §3, HelloRetryRequest §5, EncryptedExtensions §3,
 * Certificate §3, NewSessionTicket §3), parsed back, and refused in
 * each way RFC 8446 names an alert for.
 */
#include <stdio.h>
#include <string.h>

#include "tg_accel.h"
#include "tg_hs_msg.h"
#include "tg_test.h"
#include "tg_tls.h"

static uint8_t buf[4096];

static size_t hex(const char *h, uint8_t *out, size_t cap)
{
	return tg_test_hex(h, out, cap);
}

/* A message's body (after the 4-byte header) as a reader. */
static struct tg_cur body_of(const uint8_t *msg, size_t n)
{
	return tg_cur_init(msg + 4, n - 4);
}

static void same(const uint8_t *a, size_t an, const char *want_hex)
{
	static uint8_t w[4096];
	size_t wn = hex(want_hex, w, sizeof(w));

	CU_ASSERT_EQUAL(an, wn);
	CU_ASSERT(an == wn && memcmp(a, w, an) == 0);
}

/* ---- ServerHello and HelloRetryRequest ------------------------------------ */

static const char s3_sh[] =
	"02 00 00 56 03 03 a6 af 06 a4 12 18 60 dc 5e 6e 60 24 9c d3 4c 95 93 0c"
	"8a c5 cb 14 34 da c1 55 77 2e d3 e2 69 28 00 13 01 00 00 2e 00 33 00 24"
	"00 1d 00 20 c9 82 88 76 11 20 95 fe 66 76 2b db f7 c6 72 e1 56 d6 cc 25"
	"3b 83 3d f1 dd 69 b1 b0 4e 75 1f 0f 00 2b 00 02 03 04";
static const char s5_hrr[] =
	"02 00 00 ac 03 03 cf 21 ad 74 e5 9a 61 11 be 1d 8c 02 1e 65 b8 91 c2 a2"
	"11 16 7a bb 8c 5e 07 9e 09 e2 c8 a8 33 9c 00 13 01 00 00 84 00 33 00 02"
	"00 17 00 2c 00 74 00 72 71 dc d0 4b b8 8b c3 18 91 19 39 8a 00 00 00 00"
	"ee fa fc 76 c1 46 b8 23 b0 96 f8 aa ca d3 65 dd 00 30 95 3f 4e df 62 56"
	"36 e5 f2 1b b2 e2 3f cc 65 4b 1b 5b 40 31 8d 10 d1 37 ab cb b8 75 74 e3"
	"6e 8a 1f 02 5f 7d fa 5d 6e 50 78 1b 5e da 4a a1 5b 0c 8b e7 78 25 7d 16"
	"aa 30 30 e9 e7 84 1d d9 e4 c0 34 22 67 e8 ca 0c af 57 1f b2 b7 cf f0 f9"
	"34 b0 00 2b 00 02 03 04";

static void test_server_hello(void)
{
	uint8_t trace[256], pub[32];
	size_t n = hex(s3_sh, trace, sizeof(trace));
	struct tg_hs_server_hello sh, back;
	struct tg_wcur w = tg_wcur_init(buf, sizeof(buf));
	struct tg_cur b;

	/* RFC 8448 §3 from its fields */
	memset(&sh, 0, sizeof(sh));
	sh.version = TG_TLS12;
	memcpy(sh.random, trace + 6, 32);
	sh.suite = TG_CS13_AES_128_GCM_SHA256;
	sh.exts = TG_HS_EXT_KEY_SHARE | TG_HS_EXT_SUPPORTED_VERSIONS;
	sh.has_ext_block = true;
	sh.ks_group = TG_GROUP_X25519;
	hex("c9 82 88 76 11 20 95 fe 66 76 2b db f7 c6 72 e1 56 d6 cc 25 3b 83"
	    "3d f1 dd 69 b1 b0 4e 75 1f 0f", pub, 32);
	sh.ks_pub.p = pub;
	sh.ks_pub.len = 32;
	sh.selected_version = TG_TLS13;
	TG_ASSERT_OK(tg_hs_server_hello_write(&w, &sh));
	same(buf, w.pos, s3_sh);
	b = body_of(trace, n);
	TG_ASSERT_OK(tg_hs_server_hello_parse(&b, &back));
	CU_ASSERT_FALSE(back.hrr);
	CU_ASSERT_EQUAL(back.selected_version, TG_TLS13);
	CU_ASSERT_EQUAL(back.ks_group, TG_GROUP_X25519);
	CU_ASSERT_EQUAL(back.ks_pub.len, 32);
	CU_ASSERT_EQUAL(back.suite, 0x1301);

	/* RFC 8448 §5's HelloRetryRequest: selected_group and cookie */
	n = hex(s5_hrr, trace, sizeof(trace));
	b = body_of(trace, n);
	TG_ASSERT_OK(tg_hs_server_hello_parse(&b, &back));
	CU_ASSERT_TRUE(back.hrr);
	CU_ASSERT_EQUAL(back.ks_group, TG_GROUP_SECP256R1);
	CU_ASSERT_EQUAL(back.cookie.len, 0x72);
	memset(&sh, 0, sizeof(sh));
	sh.version = TG_TLS12;
	memcpy(sh.random, TG_TLS_HRR_RANDOM, 32);
	sh.suite = TG_CS13_AES_128_GCM_SHA256;
	sh.hrr = true;
	sh.exts = TG_HS_EXT_KEY_SHARE | TG_HS_EXT_COOKIE |
		  TG_HS_EXT_SUPPORTED_VERSIONS;
	sh.has_ext_block = true;
	sh.ks_group = TG_GROUP_SECP256R1;
	sh.cookie = back.cookie;
	sh.selected_version = TG_TLS13;
	w = tg_wcur_init(buf, sizeof(buf));
	TG_ASSERT_OK(tg_hs_server_hello_write(&w, &sh));
	same(buf, w.pos, s5_hrr);
	/* a malformed key_share (a selected_group with bytes after it) */
	trace[47] = 0x03; /* ext length 2 -> 3 */
	b = body_of(trace, n);
	TG_ASSERT_ERR(tg_hs_server_hello_parse(&b, &back), TG_E_DECODE);
}

/* ---- ClientHello's TLS 1.3 extensions -------------------------------------- */

/* A ClientHello body with the extensions block @p exts (hex, without
 * the block's length). */
static tg_result ch13(const char *exts, struct tg_hs_client_hello *ch)
{
	static uint8_t b[2048];
	uint8_t e[1024];
	size_t en = hex(exts, e, sizeof(e)), n = 0;
	struct tg_cur c;

	b[n++] = 3;
	b[n++] = 3;
	memset(b + n, 0x11, 32);
	n += 32;
	b[n++] = 0;                      /* session id */
	b[n++] = 0, b[n++] = 2;          /* one suite */
	b[n++] = 0x13, b[n++] = 0x01;
	b[n++] = 1, b[n++] = 0;          /* null compression */
	b[n++] = (uint8_t)(en >> 8);
	b[n++] = (uint8_t)en;
	memcpy(b + n, e, en);
	n += en;
	c = tg_cur_init(b, n);
	return tg_hs_client_hello_parse(&c, ch);
}

static void test_client_hello13(void)
{
	struct tg_hs_client_hello ch;
	struct tg_hs_bytes pub, id, binder;
	uint32_t age;

	/* key_share: two groups; find each */
	TG_ASSERT_OK(ch13("0033 000e 000c 001d 0002 aabb 0017 0002 ccdd", &ch));
	CU_ASSERT_EQUAL(ch.n_key_shares, 2);
	CU_ASSERT_TRUE(tg_hs_key_share_find(&ch, TG_GROUP_SECP256R1, &pub));
	CU_ASSERT_EQUAL(pub.len, 2);
	CU_ASSERT_EQUAL(pub.p[0], 0xcc);
	CU_ASSERT_FALSE(tg_hs_key_share_find(&ch, TG_GROUP_SECP384R1, &pub));
	/* an empty list is fine (the client wants a HelloRetryRequest) */
	TG_ASSERT_OK(ch13("0033 0002 0000", &ch));
	CU_ASSERT_EQUAL(ch.n_key_shares, 0);
	/* the same group twice: illegal_parameter (§4.2.8) */
	TG_ASSERT_ERR(ch13("0033 000e 000c 001d 0002 aabb 001d 0002 ccdd", &ch),
		      TG_E_ILLEGAL_PARAM);
	/* an empty key_exchange, an overrun: decode_error */
	TG_ASSERT_ERR(ch13("0033 0006 0004 001d 0000", &ch), TG_E_DECODE);
	TG_ASSERT_ERR(ch13("0033 0008 0006 001d 0003 aabb", &ch), TG_E_DECODE);
	/* psk_key_exchange_modes */
	TG_ASSERT_OK(ch13("002d 0002 01 01", &ch));
	CU_ASSERT_TRUE(tg_hs_psk_mode_offered(&ch, TG_HS_PSK_DHE_KE));
	CU_ASSERT_FALSE(tg_hs_psk_mode_offered(&ch, TG_HS_PSK_KE));
	TG_ASSERT_ERR(ch13("002d 0001 00", &ch), TG_E_DECODE);
	/* pre_shared_key: last, one identity, one binder */
	TG_ASSERT_OK(ch13("002d 0002 0101 "
			  "0029 002f 000a 0004 01020304 0000000a "
			  "0021 20 00000000000000000000000000000000"
			  "00000000000000000000000000000000", &ch));
	CU_ASSERT_EQUAL(ch.n_psk, 1);
	CU_ASSERT_EQUAL(ch.psk_binders_len, 35);
	CU_ASSERT_TRUE(tg_hs_psk_at(&ch, 0, &id, &age, &binder));
	CU_ASSERT_EQUAL(id.len, 4);
	CU_ASSERT_EQUAL(age, 10);
	CU_ASSERT_EQUAL(binder.len, 32);
	CU_ASSERT_FALSE(tg_hs_psk_at(&ch, 1, &id, &age, &binder));
	/* not last: illegal_parameter (§4.2.11) */
	TG_ASSERT_ERR(ch13("0029 002f 000a 0004 01020304 0000000a "
			   "0021 20 00000000000000000000000000000000"
			   "00000000000000000000000000000000 002d 0002 0101", &ch),
		      TG_E_ILLEGAL_PARAM);
	/* two identities, one binder: illegal_parameter */
	TG_ASSERT_ERR(ch13("0029 0037 0012 0004 01020304 0000000a 0002 0102 00000000"
			   "0021 20 00000000000000000000000000000000"
			   "00000000000000000000000000000000", &ch),
		      TG_E_ILLEGAL_PARAM);
	/* a binder under 32 bytes: decode_error */
	TG_ASSERT_ERR(ch13("0029 002e 000a 0004 01020304 0000000a "
			   "0020 1f 000000000000000000000000000000"
			   "00000000000000000000000000000000", &ch),
		      TG_E_DECODE);
	/* early_data empty, cookie, record_size_limit */
	TG_ASSERT_OK(ch13("002a 0000 002c 0004 0002 abcd 001c 0002 4001", &ch));
	CU_ASSERT(ch.exts & TG_HS_EXT_EARLY_DATA);
	CU_ASSERT_EQUAL(ch.cookie.len, 2);
	CU_ASSERT_EQUAL(ch.record_size_limit, 0x4001);
	TG_ASSERT_ERR(ch13("002a 0001 00", &ch), TG_E_DECODE);
	TG_ASSERT_ERR(ch13("002c 0002 0000", &ch), TG_E_DECODE);
	/* RFC 8449 §4: under 64 is illegal_parameter */
	TG_ASSERT_ERR(ch13("001c 0002 003f", &ch), TG_E_ILLEGAL_PARAM);
	/* signature_algorithms_cert, post_handshake_auth,
	 * certificate_authorities */
	TG_ASSERT_OK(ch13("0032 0004 0002 0804 0031 0000 002f 0007 0005 0003 616263",
			  &ch));
	CU_ASSERT_EQUAL(ch.sigalgs_cert.n, 1);
	CU_ASSERT(ch.exts & TG_HS_EXT_POST_HS_AUTH);
	CU_ASSERT(ch.exts & TG_HS_EXT_CERT_AUTHORITIES);
	/* duplicates of the new types: decode_error as any other */
	TG_ASSERT_ERR(ch13("002a 0000 002a 0000", &ch), TG_E_DECODE);
}

/* ---- EncryptedExtensions --------------------------------------------------- */

static const char s3_ee[] =
	"08 00 00 24 00 22 00 0a 00 14 00 12 00 1d 00 17 00 18 00 19 01 00 01 01"
	"01 02 01 03 01 04 00 1c 00 02 40 01 00 00 00 00";

static void test_encrypted_extensions(void)
{
	static const uint16_t groups[] = { 0x001d, 0x0017, 0x0018, 0x0019,
					   0x0100, 0x0101, 0x0102, 0x0103,
					   0x0104 };
	struct tg_hs_encrypted_extensions ee, back;
	struct tg_wcur w = tg_wcur_init(buf, sizeof(buf));
	uint8_t t[256];
	size_t n = hex(s3_ee, t, sizeof(t));
	struct tg_cur b = body_of(t, n);

	memset(&ee, 0, sizeof(ee));
	ee.exts = TG_HS_EXT_SUPPORTED_GROUPS | TG_HS_EXT_RECORD_SIZE_LIMIT |
		  TG_HS_EXT_SERVER_NAME;
	ee.groups = (struct tg_hs_u16_list)TG_HS_U16_LIST(groups);
	ee.record_size_limit = 0x4001;
	TG_ASSERT_OK(tg_hs_encrypted_extensions_write(&w, &ee));
	same(buf, w.pos, s3_ee);
	TG_ASSERT_OK(tg_hs_encrypted_extensions_parse(&b, &back));
	CU_ASSERT_EQUAL(back.exts, ee.exts);
	CU_ASSERT_EQUAL(back.record_size_limit, 0x4001);
	CU_ASSERT_EQUAL(back.groups.n, 9);
	/* ALPN, one name */
	memset(&ee, 0, sizeof(ee));
	ee.exts = TG_HS_EXT_ALPN;
	ee.alpn.p = (const uint8_t *)"h2";
	ee.alpn.len = 2;
	w = tg_wcur_init(buf, sizeof(buf));
	TG_ASSERT_OK(tg_hs_encrypted_extensions_write(&w, &ee));
	same(buf, w.pos, "08 00 00 0b 00 09 00 10 00 05 00 03 02 68 32");
	b = body_of(buf, w.pos);
	TG_ASSERT_OK(tg_hs_encrypted_extensions_parse(&b, &back));
	CU_ASSERT_EQUAL(back.alpn.len, 2);
	/* empty: still an extensions block */
	n = hex("0000", t, sizeof(t));
	b = tg_cur_init(t, n);
	TG_ASSERT_OK(tg_hs_encrypted_extensions_parse(&b, &back));
	b = tg_cur_init(t, 0);
	TG_ASSERT_ERR(tg_hs_encrypted_extensions_parse(&b, &back), TG_E_DECODE);
	/* a key_share here: illegal_parameter; an unknown one: unsupported */
	n = hex("0006 0033 0002 001d", t, sizeof(t));
	b = tg_cur_init(t, n);
	TG_ASSERT_ERR(tg_hs_encrypted_extensions_parse(&b, &back),
		      TG_E_ILLEGAL_PARAM);
	n = hex("0004 7777 0000", t, sizeof(t));
	b = tg_cur_init(t, n);
	TG_ASSERT_ERR(tg_hs_encrypted_extensions_parse(&b, &back),
		      TG_E_UNSUPPORTED_EXT);
}

/* ---- Certificate, CertificateVerify, Finished ------------------------------ */

static void test_certificate13(void)
{
	struct tg_hs13_certificate c, back;
	struct tg_wcur w = tg_wcur_init(buf, sizeof(buf));
	struct tg_cur b;
	static const uint8_t der[3] = { 0x30, 0x01, 0x00 };
	uint8_t t[64];
	size_t n;

	memset(&c, 0, sizeof(c));
	c.n = 1;
	c.cert[0].p = der;
	c.cert[0].len = 3;
	TG_ASSERT_OK(tg_hs13_certificate_write(&w, &c));
	/* context 0, list 8: cert_data 3 + 3, extensions 2 */
	same(buf, w.pos, "0b 00 00 0c 00 00 00 08 00 00 03 30 01 00 00 00");
	b = body_of(buf, w.pos);
	TG_ASSERT_OK(tg_hs13_certificate_parse(&b, &back));
	CU_ASSERT_EQUAL(back.n, 1);
	CU_ASSERT_EQUAL(back.cert[0].len, 3);
	CU_ASSERT_EQUAL(back.exts[0].len, 0);
	/* an empty list (a client without a certificate) */
	n = hex("00 000000", t, sizeof(t));
	b = tg_cur_init(t, n);
	TG_ASSERT_OK(tg_hs13_certificate_parse(&b, &back));
	CU_ASSERT_EQUAL(back.n, 0);
	/* an entry without its extensions block: decode_error */
	n = hex("00 000006 000003 300100", t, sizeof(t));
	b = tg_cur_init(t, n);
	TG_ASSERT_ERR(tg_hs13_certificate_parse(&b, &back), TG_E_DECODE);
	/* a duplicated entry extension: decode_error; one kept */
	n = hex("00 000010 000003 300100 0008 0005 0000 0005 0000", t, sizeof(t));
	b = tg_cur_init(t, n);
	TG_ASSERT_ERR(tg_hs13_certificate_parse(&b, &back), TG_E_DECODE);
	n = hex("00 00000c 000003 300100 0004 0005 0000", t, sizeof(t));
	b = tg_cur_init(t, n);
	TG_ASSERT_OK(tg_hs13_certificate_parse(&b, &back));
	CU_ASSERT_EQUAL(back.exts[0].len, 4);
}

static void test_cv_content_and_finished(void)
{
	uint8_t th[32], out[TG_HS13_CV_CONTENT_MAX];
	struct tg_wcur w = tg_wcur_init(out, sizeof(out));
	struct tg_hs13_finished f, back;
	struct tg_cur b;

	memset(th, 0xab, sizeof(th));
	TG_ASSERT_OK(tg_hs13_cv_content(true, th, 32, &w));
	CU_ASSERT_EQUAL(w.pos, 64 + 33 + 1 + 32);
	CU_ASSERT_EQUAL(out[0], 0x20);
	CU_ASSERT_EQUAL(out[63], 0x20);
	CU_ASSERT_EQUAL(memcmp(out + 64, "TLS 1.3, server CertificateVerify", 33), 0);
	CU_ASSERT_EQUAL(out[97], 0);
	CU_ASSERT_EQUAL(out[98], 0xab);
	w = tg_wcur_init(out, sizeof(out));
	TG_ASSERT_OK(tg_hs13_cv_content(false, th, 32, &w));
	CU_ASSERT_EQUAL(memcmp(out + 64, "TLS 1.3, client CertificateVerify", 33), 0);
	/* Finished: the hash's length exactly */
	memset(&f, 0x5a, sizeof(f));
	f.len = 48;
	w = tg_wcur_init(buf, sizeof(buf));
	TG_ASSERT_OK(tg_hs13_finished_write(&w, &f));
	CU_ASSERT_EQUAL(w.pos, 52);
	b = body_of(buf, w.pos);
	TG_ASSERT_OK(tg_hs13_finished_parse(&b, 48, &back));
	CU_ASSERT_EQUAL(back.len, 48);
	b = body_of(buf, w.pos);
	TG_ASSERT_ERR(tg_hs13_finished_parse(&b, 32, &back), TG_E_DECODE);
}

/* ---- NewSessionTicket, KeyUpdate, CertificateRequest ---------------------- */

static const char s3_nst[] =
	"04 00 00 c9 00 00 00 1e fa d6 aa c5 02 00 00 00 b2 2c 03 5d 82 93 59 ee"
	"5f f7 af 4e c9 00 00 00 00 26 2a 64 94 dc 48 6d 2c 8a 34 cb 33 fa 90 bf"
	"1b 00 70 ad 3c 49 88 83 c9 36 7c 09 a2 be 78 5a bc 55 cd 22 60 97 a3 a9"
	"82 11 72 83 f8 2a 03 a1 43 ef d3 ff 5d d3 6d 64 e8 61 be 7f d6 1d 28 27"
	"db 27 9c ce 14 50 77 d4 54 a3 66 4d 4e 6d a4 d2 9e e0 37 25 a6 a4 da fc"
	"d0 fc 67 d2 ae a7 05 29 51 3e 3d a2 67 7f a5 90 6c 5b 3f 7d 8f 92 f2 28"
	"bd a4 0d da 72 14 70 f9 fb f2 97 b5 ae a6 17 64 6f ac 5c 03 27 2e 97 07"
	"27 c6 21 a7 91 41 ef 5f 7d e6 50 5e 5b fb c3 88 e9 33 43 69 40 93 93 4a"
	"e4 d3 57 00 08 00 2a 00 04 00 00 04 00";

static void test_new_session_ticket13(void)
{
	uint8_t t[512];
	size_t n = hex(s3_nst, t, sizeof(t));
	struct tg_cur b = body_of(t, n);
	struct tg_hs13_new_session_ticket nst;
	struct tg_wcur w = tg_wcur_init(buf, sizeof(buf));

	CU_ASSERT_EQUAL_FATAL(n, 205);
	TG_ASSERT_OK(tg_hs13_new_session_ticket_parse(&b, &nst));
	CU_ASSERT_EQUAL(nst.lifetime, 30);
	CU_ASSERT_EQUAL(nst.age_add, 0xfad6aac5);
	CU_ASSERT_EQUAL(nst.nonce.len, 2);
	CU_ASSERT_EQUAL(nst.ticket.len, 0xb2);
	CU_ASSERT_TRUE(nst.early_data);
	CU_ASSERT_EQUAL(nst.max_early_data, 0x400);
	/* written back from its fields: the trace's bytes */
	TG_ASSERT_OK(tg_hs13_new_session_ticket_write(&w, &nst));
	same(buf, w.pos, s3_nst);
	/* without early_data: an empty extensions block */
	nst.early_data = false;
	w = tg_wcur_init(buf, sizeof(buf));
	TG_ASSERT_OK(tg_hs13_new_session_ticket_write(&w, &nst));
	CU_ASSERT_EQUAL(w.pos, 205 - 8);
	/* an empty ticket: decode_error */
	n = hex("00000001 00000002 00 0000 0000", t, sizeof(t));
	b = tg_cur_init(t, n);
	TG_ASSERT_ERR(tg_hs13_new_session_ticket_parse(&b, &nst), TG_E_DECODE);
}

static void test_key_update(void)
{
	struct tg_wcur w = tg_wcur_init(buf, sizeof(buf));
	struct tg_cur b;
	uint8_t req = 9, t[4];

	TG_ASSERT_OK(tg_hs_key_update_write(&w, TG_HS_UPDATE_REQUESTED));
	same(buf, w.pos, "18 00 00 01 01");
	b = body_of(buf, w.pos);
	TG_ASSERT_OK(tg_hs_key_update_parse(&b, &req));
	CU_ASSERT_EQUAL(req, TG_HS_UPDATE_REQUESTED);
	t[0] = 2;
	b = tg_cur_init(t, 1);
	TG_ASSERT_ERR(tg_hs_key_update_parse(&b, &req), TG_E_ILLEGAL_PARAM);
	b = tg_cur_init(t, 0);
	TG_ASSERT_ERR(tg_hs_key_update_parse(&b, &req), TG_E_DECODE);
	t[0] = 0;
	t[1] = 0;
	b = tg_cur_init(t, 2);
	TG_ASSERT_ERR(tg_hs_key_update_parse(&b, &req), TG_E_DECODE);
	w = tg_wcur_init(buf, sizeof(buf));
	TG_ASSERT_ERR(tg_hs_key_update_write(&w, 2), TG_E_INVAL);
}

static void test_certificate_request13(void)
{
	static const uint16_t sa[] = { 0x0403, 0x0804 };
	static const uint8_t cas[] = { 0x00, 0x03, 0x30, 0x01, 0x00 };
	struct tg_hs13_certificate_request cr, back;
	struct tg_wcur w = tg_wcur_init(buf, sizeof(buf));
	struct tg_cur b;
	uint8_t t[64];
	size_t n;

	memset(&cr, 0, sizeof(cr));
	cr.sigalgs = (struct tg_hs_u16_list)TG_HS_U16_LIST(sa);
	cr.cas.p = cas;
	cr.cas.len = sizeof(cas);
	TG_ASSERT_OK(tg_hs13_certificate_request_write(&w, &cr));
	same(buf, w.pos, "0d 00 00 18 00 0015 000d 0006 0004 0403 0804 "
			 "002f 0007 0005 0003 300100");
	b = body_of(buf, w.pos);
	TG_ASSERT_OK(tg_hs13_certificate_request_parse(&b, &back));
	CU_ASSERT_EQUAL(back.sigalgs.n, 2);
	CU_ASSERT_EQUAL(back.n_cas, 1);
	/* no signature_algorithms: missing_extension (§4.3.2) */
	n = hex("00 0000", t, sizeof(t));
	b = tg_cur_init(t, n);
	TG_ASSERT_ERR(tg_hs13_certificate_request_parse(&b, &back),
		      TG_E_MISSING_EXT);
	/* a key_share in it: illegal_parameter; unknown: ignored */
	n = hex("00 0010 000d 0004 0002 0403 0033 0000 7777 0000", t, sizeof(t));
	b = tg_cur_init(t, n);
	TG_ASSERT_ERR(tg_hs13_certificate_request_parse(&b, &back),
		      TG_E_ILLEGAL_PARAM);
	n = hex("00 000c 000d 0004 0002 0403 7777 0000", t, sizeof(t));
	b = tg_cur_init(t, n);
	TG_ASSERT_OK(tg_hs13_certificate_request_parse(&b, &back));
}

static CU_TestInfo tests[] = {
	{ "ServerHello / HelloRetryRequest: RFC 8448 §3 and §5 bytes",
	  test_server_hello },
	{ "ClientHello: TLS 1.3 extensions and their alerts",
	  test_client_hello13 },
	{ "EncryptedExtensions: RFC 8448 §3 bytes, extensions not for it",
	  test_encrypted_extensions },
	{ "Certificate (TLS 1.3 form)", test_certificate13 },
	{ "CertificateVerify content, Finished", test_cv_content_and_finished },
	{ "NewSessionTicket: RFC 8448 §3 bytes", test_new_session_ticket13 },
	{ "KeyUpdate", test_key_update },
	{ "CertificateRequest (TLS 1.3 form)", test_certificate_request13 },
	CU_TEST_INFO_NULL,
};

static const struct tg_test_suite suites[] = {
	{ "hs13_msg", NULL, NULL, tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return tg_test_main(argc, argv, suites);
}
