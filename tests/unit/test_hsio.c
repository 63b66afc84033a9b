/* SPDX-License-Identifier: BSD-3-Clause */
/* The handshake record layer (control/hsio.c): reassembly across records,
 * coalescing and fragmentation, CCS and alerts, protection via accel. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tg_hsio.h"
#include "tg_test.h"
#include "tg_tls.h"
#include "tg_wipe.h"

static struct tg_accel *acc;

static int suite_init(void)
{
	struct tg_accel_conf conf = { .backends = "evp", .no_calibrate = true };

	return tg_failed(tg_accel_create(&conf, &acc)) ? -1 : 0;
}

static int suite_fini(void)
{
	tg_accel_destroy(acc);
	return 0;
}

/* A handshake message of @p len body bytes with a recognisable pattern. */
static size_t mk_msg(uint8_t *out, uint8_t type, uint32_t len)
{
	out[0] = type;
	out[1] = (uint8_t)(len >> 16);
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	for (uint32_t i = 0; i < len; i++)
		out[4 + i] = (uint8_t)(i * 7 + type);
	return 4 + len;
}

/* Move everything @p a has to send into @p b, in chunks of @p chunk. */
static void pump(struct tg_hsio *a, struct tg_hsio *b, size_t chunk)
{
	uint8_t tmp[4096];
	size_t n, used;

	while ((n = tg_hsio_out_take(a, tmp, chunk < sizeof(tmp) ? chunk : sizeof(tmp))) > 0) {
		TG_ASSERT_OK(tg_hsio_feed(b, tmp, n, &used));
		CU_ASSERT_EQUAL_FATAL(used, n);
	}
}

static void test_coalesce_and_reassemble(void)
{
	static uint8_t m[3][40000];
	static const uint32_t lens[3] = { 70, 33000, 0 };
	struct tg_hsio a, b;
	struct tg_hsio_msg msg;
	size_t ml[3];

	TG_ASSERT_OK(tg_hsio_init(&a));
	TG_ASSERT_OK(tg_hsio_init(&b));
	for (int i = 0; i < 3; i++) {
		ml[i] = mk_msg(m[i], (uint8_t)(i + 1), lens[i]);
		TG_ASSERT_OK(tg_hsio_put_hs(&a, m[i], ml[i]));
	}
	/* Nothing is sendable until the open record is closed. */
	size_t before = tg_hsio_out_pending(&a);
	TG_ASSERT_OK(tg_hsio_flush(&a));
	/* 33078 bytes of messages: 3 records (16384 + 16384 + 310). */
	CU_ASSERT_EQUAL(tg_hsio_out_pending(&a), 70 + 4 + 33004 + 4 + 3 * 5);
	CU_ASSERT(before < tg_hsio_out_pending(&a));
	pump(&a, &b, 1000); /* records arrive split at odd places */
	for (int i = 0; i < 3; i++) {
		TG_ASSERT_OK(tg_hsio_next(&b, &msg));
		CU_ASSERT_EQUAL_FATAL(msg.item, TG_HSIO_HANDSHAKE);
		CU_ASSERT_EQUAL(msg.type, i + 1);
		CU_ASSERT_EQUAL(msg.raw_len, ml[i]);
		CU_ASSERT_EQUAL(tg_cur_left(&msg.body), lens[i]);
		CU_ASSERT_EQUAL(memcmp(msg.raw, m[i], ml[i]), 0);
	}
	TG_ASSERT_OK(tg_hsio_next(&b, &msg));
	CU_ASSERT_EQUAL(msg.item, TG_HSIO_NONE);
	tg_hsio_fini(&a);
	tg_hsio_fini(&b);
}

static struct tg_accel_sess *mk_sess(enum tg_dir dir)
{
	struct tg_keys k = { .version = TG_TLS12, .suite = TG_SUITE_AES128GCM,
			     .dir = (uint8_t)dir, .key_len = 16, .iv_len = 4 };
	struct tg_accel_sess *s = NULL;

	memset(k.key, 0x33, 16);
	memset(k.iv, 0x44, 4);
	CU_ASSERT_FATAL(tg_ok(tg_accel_sess_create(acc, &k, &s)));
	tg_wipe(&k, sizeof(k));
	return s;
}

static void test_ccs_then_protected(void)
{
	uint8_t m[200];
	size_t ml = mk_msg(m, TG_HS_FINISHED, 12);
	struct tg_hsio a, b;
	struct tg_hsio_msg msg;

	uint8_t hello[8];
	size_t hl = mk_msg(hello, TG_HS_SERVER_HELLO_DONE, 0);

	TG_ASSERT_OK(tg_hsio_init(&a));
	TG_ASSERT_OK(tg_hsio_init(&b));
	/* The first record of a connection must be a handshake. */
	TG_ASSERT_OK(tg_hsio_put_hs(&a, hello, hl));
	TG_ASSERT_OK(tg_hsio_put_ccs(&a, mk_sess(TG_DIR_SEAL)));
	TG_ASSERT_OK(tg_hsio_put_hs(&a, m, ml));
	TG_ASSERT_OK(tg_hsio_flush(&a));
	/* hello (5+4) + CCS record (6) + protected record (5+8+16+16) */
	CU_ASSERT_EQUAL(tg_hsio_out_pending(&a), 9 + 6 + 5 + 8 + ml + 16);
	pump(&a, &b, 7);
	TG_ASSERT_OK(tg_hsio_next(&b, &msg));
	CU_ASSERT_EQUAL(msg.item, TG_HSIO_HANDSHAKE);
	TG_ASSERT_OK(tg_hsio_next(&b, &msg));
	CU_ASSERT_EQUAL_FATAL(msg.item, TG_HSIO_CCS);
	tg_hsio_set_rx(&b, mk_sess(TG_DIR_OPEN));
	TG_ASSERT_OK(tg_hsio_next(&b, &msg));
	CU_ASSERT_EQUAL_FATAL(msg.item, TG_HSIO_HANDSHAKE);
	CU_ASSERT_EQUAL(msg.type, TG_HS_FINISHED);
	CU_ASSERT_EQUAL(memcmp(msg.raw, m, ml), 0);
	/* An alert after that is protected too. */
	TG_ASSERT_OK(tg_hsio_put_alert(&a, TG_ALERT_WARNING, TG_ALERT_CLOSE_NOTIFY));
	pump(&a, &b, 3);
	TG_ASSERT_OK(tg_hsio_next(&b, &msg));
	CU_ASSERT_EQUAL(msg.item, TG_HSIO_ALERT);
	CU_ASSERT_EQUAL(msg.type, TG_ALERT_WARNING);
	CU_ASSERT_EQUAL(msg.alert, TG_ALERT_CLOSE_NOTIFY);
	tg_hsio_fini(&a);
	tg_hsio_fini(&b);
}

/* Feed raw bytes, return the error of the first item. */
static int feed_raw(const uint8_t *p, size_t n)
{
	struct tg_hsio b;
	struct tg_hsio_msg msg;
	size_t used;
	tg_result r;

	if (tg_failed(tg_hsio_init(&b)))
		return -1;
	r = tg_hsio_feed(&b, p, n, &used);
	if (tg_ok(r))
		r = tg_hsio_next(&b, &msg);
	if (tg_ok(r) && msg.item == TG_HSIO_NONE)
		r = tg_error(TG_E_SHORT);
	tg_hsio_fini(&b);
	return r.code;
}

static void test_bad_input(void)
{
	static const uint8_t http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	static const uint8_t sslv2[] = { 0x80, 0x2e, 0x01, 0x00, 0x02 };
	static const uint8_t bad_ver[] = { 22, 2, 0, 0, 4, 1, 0, 0, 0 };
	static const uint8_t too_long[] = { 22, 3, 3, 0x40, 0x01 };
	static const uint8_t empty_hs[] = { 22, 3, 3, 0, 0 };
	static const uint8_t ccs_bad[] = { 22, 3, 3, 0, 1, 1, 20, 3, 3, 0, 1, 2 };
	static const uint8_t ccs_mid[] = { 22, 3, 3, 0, 2, 1, 0, 20, 3, 3, 0, 1, 1 };
	static const uint8_t huge_msg[] = { 22, 3, 3, 0, 4, 11, 0x01, 0x00, 0x01 };
	static const uint8_t bad_type[] = { 22, 3, 3, 0, 4, 14, 0, 0, 0,
					    99, 3, 3, 0, 1, 0 };
	static const uint8_t alert3[] = { 21, 3, 3, 0, 3, 2, 40, 0 };
	static const uint8_t partial[] = { 22, 3, 1, 0, 10, 1, 0 };

	CU_ASSERT_EQUAL(feed_raw(http, sizeof(http) - 1), TG_E_UNEXPECTED_MSG);
	CU_ASSERT_EQUAL(feed_raw(sslv2, sizeof(sslv2)), TG_E_UNEXPECTED_MSG);
	CU_ASSERT_EQUAL(feed_raw(bad_ver, sizeof(bad_ver)), TG_E_PROTOCOL_VERSION);
	CU_ASSERT_EQUAL(feed_raw(too_long, sizeof(too_long)), TG_E_OVERFLOW);
	CU_ASSERT_EQUAL(feed_raw(empty_hs, sizeof(empty_hs)), TG_E_DECODE);
	CU_ASSERT_EQUAL(feed_raw(ccs_bad, sizeof(ccs_bad)), TG_E_DECODE);
	CU_ASSERT_EQUAL(feed_raw(ccs_mid, sizeof(ccs_mid)), TG_E_UNEXPECTED_MSG);
	CU_ASSERT_EQUAL(feed_raw(huge_msg, sizeof(huge_msg)), TG_E_ILLEGAL_PARAM);
	CU_ASSERT_EQUAL(feed_raw(alert3, sizeof(alert3)), TG_E_DECODE);
	CU_ASSERT_EQUAL(feed_raw(partial, sizeof(partial)), TG_E_SHORT);
	/* The first message comes out, then the unknown content type fails. */
	{
		struct tg_hsio b;
		struct tg_hsio_msg msg;
		size_t used;

		TG_ASSERT_OK(tg_hsio_init(&b));
		TG_ASSERT_OK(tg_hsio_feed(&b, bad_type, sizeof(bad_type), &used));
		TG_ASSERT_OK(tg_hsio_next(&b, &msg));
		CU_ASSERT_EQUAL(msg.item, TG_HSIO_HANDSHAKE);
		CU_ASSERT_EQUAL(msg.type, TG_HS_SERVER_HELLO_DONE);
		TG_ASSERT_ERR(tg_hsio_next(&b, &msg), TG_E_UNEXPECTED_MSG);
		tg_hsio_fini(&b);
	}
	/* A tampered protected record is bad_record_mac. */
	{
		struct tg_hsio a, b;
		struct tg_hsio_msg msg;
		uint8_t m[40], wire[200];
		size_t ml = mk_msg(m, TG_HS_FINISHED, 12), n, used;

		TG_ASSERT_OK(tg_hsio_init(&a));
		TG_ASSERT_OK(tg_hsio_init(&b));
		b.first_record = false; /* as after the hellos */
		TG_ASSERT_OK(tg_hsio_put_ccs(&a, mk_sess(TG_DIR_SEAL)));
		TG_ASSERT_OK(tg_hsio_put_hs(&a, m, ml));
		TG_ASSERT_OK(tg_hsio_flush(&a));
		n = tg_hsio_out_take(&a, wire, sizeof(wire));
		wire[n - 1] ^= 0x80;
		TG_ASSERT_OK(tg_hsio_feed(&b, wire, n, &used));
		TG_ASSERT_OK(tg_hsio_next(&b, &msg));
		CU_ASSERT_EQUAL(msg.item, TG_HSIO_CCS);
		tg_hsio_set_rx(&b, mk_sess(TG_DIR_OPEN));
		TG_ASSERT_ERR(tg_hsio_next(&b, &msg), TG_E_BAD_MAC);
		tg_hsio_fini(&a);
		tg_hsio_fini(&b);
	}
}

static void test_appdata_passthrough(void)
{
	static const uint8_t rec[] = { 22, 3, 3, 0, 4, 14, 0, 0, 0,
				       23, 3, 3, 0, 3, 'a', 'b', 'c', 'x', 'y' };
	struct tg_hsio b;
	struct tg_hsio_msg msg;
	size_t used;
	uint8_t rest[8];

	TG_ASSERT_OK(tg_hsio_init(&b));
	TG_ASSERT_OK(tg_hsio_feed(&b, rec, sizeof(rec), &used));
	TG_ASSERT_OK(tg_hsio_next(&b, &msg));
	CU_ASSERT_EQUAL(msg.item, TG_HSIO_HANDSHAKE);
	/* Bytes after the handshake stay for the caller. */
	CU_ASSERT_EQUAL(tg_hsio_rx_left(&b), 10);
	TG_ASSERT_OK(tg_hsio_next(&b, &msg));
	CU_ASSERT_EQUAL_FATAL(msg.item, TG_HSIO_APPDATA);
	CU_ASSERT_EQUAL(tg_cur_left(&msg.body), 3);
	CU_ASSERT_EQUAL(memcmp(tg_cur_ptr(&msg.body), "abc", 3), 0);
	CU_ASSERT_EQUAL(tg_hsio_rx_take(&b, rest, sizeof(rest)), 2);
	CU_ASSERT_EQUAL(memcmp(rest, "xy", 2), 0);
	tg_hsio_fini(&b);
}


/* ---- streams of tiny records (issue 16, item 5) ------------------------ */

/* @p n bytes of one handshake message (its header included: a
 * ClientHello of n - 4 body bytes), each byte in a record of its own. */
static uint8_t *one_byte_records(size_t n, size_t *wire_len)
{
	uint8_t *msg = malloc(n), *w = malloc(6 * n);

	CU_ASSERT_FATAL(msg != NULL && w != NULL && n >= 4);
	mk_msg(msg, TG_HS_CLIENT_HELLO, (uint32_t)(n - 4));
	for (size_t i = 0; i < n; i++) {
		uint8_t *r = w + 6 * i;

		r[0] = TG_CT_HANDSHAKE;
		r[1] = 3;
		r[2] = 3;
		r[3] = 0;
		r[4] = 1;
		r[5] = msg[i];
	}
	free(msg);
	*wire_len = 6 * n;
	return w;
}

/* @p n warning alerts (user_canceled), 7 bytes each. */
static uint8_t *warning_alerts(size_t n, size_t *wire_len)
{
	static const uint8_t a[7] = { TG_CT_ALERT, 3, 3, 0, 2, TG_ALERT_WARNING,
				      TG_ALERT_USER_CANCELED };
	uint8_t *w = malloc(7 * n);

	CU_ASSERT_FATAL(w != NULL);
	for (size_t i = 0; i < n; i++)
		memcpy(w + 7 * i, a, 7);
	*wire_len = 7 * n;
	return w;
}

/* What streaming some bytes through tg_hsio did. */
struct stream_out {
	tg_result r;       /* the first failure, or TG_OK */
	size_t fed;        /* bytes taken by tg_hsio_feed */
	size_t hs_msgs;    /* handshake messages taken */
	size_t hs_bytes;   /* their raw lengths */
	size_t alerts;     /* alerts taken */
	uint64_t moved;    /* io.moved at the end */
};

/* Feed @p wire in pieces of @p piece bytes as a peer's stream arrives,
 * taking every item after each piece (as tg_hs_feed does). */
static struct stream_out stream(const uint8_t *wire, size_t n, size_t piece)
{
	struct stream_out o = { .r = TG_OK };
	struct tg_hsio io;
	struct tg_hsio_msg msg;

	CU_ASSERT_FATAL(tg_ok(tg_hsio_init(&io)));
	while (o.fed < n && tg_ok(o.r)) {
		size_t k = n - o.fed < piece ? n - o.fed : piece, used = 0;

		o.r = tg_hsio_feed(&io, wire + o.fed, k, &used);
		o.fed += used;
		while (tg_ok(o.r)) {
			o.r = tg_hsio_next(&io, &msg);
			if (tg_failed(o.r) || msg.item == TG_HSIO_NONE)
				break;
			if (msg.item == TG_HSIO_HANDSHAKE) {
				o.hs_msgs++;
				o.hs_bytes += msg.raw_len;
			} else if (msg.item == TG_HSIO_ALERT) {
				o.alerts++;
			}
		}
		if (used == 0 && tg_ok(o.r))
			break; /* the buffer is full of one record: cannot be */
	}
	o.moved = io.moved;
	tg_hsio_fini(&io);
	return o;
}

/*
 * A peer that sends a handshake message one byte per record, or streams
 * warning alerts: every record consumed must not shift the rest of the
 * buffer (that was O(n^2) on the one control thread). The deterministic
 * measure is io.moved, the bytes shifted to reclaim consumed space: each
 * byte fed may move at most once, so it stays below the bytes fed, and
 * four times the records cost about four times the work.
 */
static void test_tiny_records_linear(void)
{
	static const size_t sizes[] = { 2048, 8192 };
	static const size_t pieces[] = { 1 << 16, 1500, 7 };
	uint64_t moved[2][3];

	for (size_t i = 0; i < 2; i++) {
		size_t wl;
		uint8_t *w = one_byte_records(sizes[i], &wl);

		for (size_t p = 0; p < 3; p++) {
			struct stream_out o = stream(w, wl, pieces[p]);

			TG_ASSERT_OK(o.r);
			CU_ASSERT_EQUAL(o.fed, wl);
			CU_ASSERT_EQUAL(o.hs_msgs, 1);
			CU_ASSERT_EQUAL(o.hs_bytes, sizes[i]);
			if (o.moved > wl)
				fprintf(stderr, "%zu 1-byte records in pieces of %zu: %llu bytes moved for %zu fed\n",
					sizes[i], pieces[p],
					(unsigned long long)o.moved, wl);
			CU_ASSERT(o.moved <= wl);
			moved[i][p] = o.moved;
		}
		free(w);
	}
	for (size_t p = 0; p < 3; p++)
		CU_ASSERT(moved[1][p] <= 4 * moved[0][p] + 4096);

	/* a stream of warning alerts: each one an item, the same bound */
	for (size_t i = 0; i < 2; i++) {
		size_t n = sizes[i], wl;
		uint8_t *w = warning_alerts(n, &wl);
		struct stream_out o = stream(w, wl, 1 << 16);

		TG_ASSERT_OK(o.r);
		CU_ASSERT_EQUAL(o.alerts, n);
		if (o.moved > wl)
			fprintf(stderr, "%zu warning alerts: %llu bytes moved for %zu fed\n",
				n, (unsigned long long)o.moved, wl);
		CU_ASSERT(o.moved <= wl);
		free(w);
	}
}

/* The records of one handshake are bounded: 64 KiB of 1-byte fragments
 * (65536 records) is refused at record TG_HSIO_MAX_RECORDS + 1 with
 * TG_E_UNEXPECTED_MSG (unexpected_message), after linear work. */
static void test_record_bound(void)
{
	size_t wl;
	uint8_t *w = one_byte_records(65536, &wl);
	struct stream_out o = stream(w, wl, 1 << 16);

	CU_ASSERT_EQUAL(o.r.code, TG_E_UNEXPECTED_MSG);
	CU_ASSERT_EQUAL(o.hs_msgs, 0);
	/* it stopped at the first record over the bound, not later */
	CU_ASSERT(o.fed >= 6 * (TG_HSIO_MAX_RECORDS + 1));
	CU_ASSERT(o.fed <= 6 * (TG_HSIO_MAX_RECORDS + 1) + (1 << 16));
	CU_ASSERT(o.moved <= o.fed);
	free(w);
	/* exactly the bound is fine */
	w = one_byte_records(TG_HSIO_MAX_RECORDS, &wl);
	o = stream(w, wl, 1 << 16);
	TG_ASSERT_OK(o.r);
	CU_ASSERT_EQUAL(o.hs_msgs, 1);
	free(w);
}

/* ---- message size limits (issue 16, item 3) ----------------------------- */

/* @p msg (one handshake message) in plaintext records of @p frag bytes. */
static size_t in_records(uint8_t *out, const uint8_t *msg, size_t n, size_t frag)
{
	size_t o = 0;

	for (size_t off = 0; off < n; off += frag) {
		size_t k = n - off < frag ? n - off : frag;

		out[o] = TG_CT_HANDSHAKE;
		out[o + 1] = 3;
		out[o + 2] = 3;
		out[o + 3] = (uint8_t)(k >> 8);
		out[o + 4] = (uint8_t)k;
		memcpy(out + o + 5, msg + off, k);
		o += 5 + k;
	}
	return o;
}

/*
 * RFC 8446 §4.1.2 / RFC 5246 §7.4.1.2: a ClientHello may be as long as
 * its vectors allow, TG_TLS_MAX_CLIENT_HELLO bytes of body, fragmented
 * over several records (RFC 5246 §6.2.1). Any such ClientHello is taken;
 * a longer one cannot be well-formed: decode_error (RFC 8446 §6.2: "the
 * length of the message was incorrect"), from its header alone. Other
 * messages keep the 64 KiB bound; over it is a message too large for us,
 * which OpenSSL and BoringSSL answer with illegal_parameter, and so do
 * we. The buffers grow with what arrives: small messages never make
 * them grow.
 */
static void test_message_limits(void)
{
	static uint8_t m[TG_TLS_HS_HDR_LEN + TG_TLS_MAX_CLIENT_HELLO];
	static uint8_t wire[2 * sizeof(m)];
	static const size_t frags[] = { 16384, 1000 };
	static const uint32_t sizes[] = { 70000, TG_TLS_MAX_CLIENT_HELLO };

	for (size_t i = 0; i < 2; i++) {
		for (size_t f = 0; f < 2; f++) {
			size_t ml = mk_msg(m, TG_HS_CLIENT_HELLO, sizes[i]);
			size_t wl = in_records(wire, m, ml, frags[f]);
			struct stream_out o = stream(wire, wl, 1 << 20);

			TG_ASSERT_OK(o.r);
			CU_ASSERT_EQUAL(o.hs_msgs, 1);
			CU_ASSERT_EQUAL(o.hs_bytes, ml);
			CU_ASSERT(o.moved <= wl);
		}
	}
	/* one byte more than any ClientHello: decode_error, header alone */
	{
		uint8_t hdr[9] = { TG_CT_HANDSHAKE, 3, 3, 0, 4, TG_HS_CLIENT_HELLO,
				   (uint8_t)((TG_TLS_MAX_CLIENT_HELLO + 1) >> 16),
				   (uint8_t)((TG_TLS_MAX_CLIENT_HELLO + 1) >> 8),
				   (uint8_t)(TG_TLS_MAX_CLIENT_HELLO + 1) };

		CU_ASSERT_EQUAL(feed_raw(hdr, sizeof(hdr)), TG_E_DECODE);
		hdr[6] = 0xff;
		CU_ASSERT_EQUAL(feed_raw(hdr, sizeof(hdr)), TG_E_DECODE);
	}
	/* another message over 64 KiB: illegal_parameter; at it: taken */
	{
		uint8_t hdr[9] = { TG_CT_HANDSHAKE, 3, 3, 0, 4, TG_HS_CERTIFICATE,
				   (uint8_t)((TG_TLS_MAX_HS_MSG + 1) >> 16),
				   (uint8_t)((TG_TLS_MAX_HS_MSG + 1) >> 8),
				   (uint8_t)(TG_TLS_MAX_HS_MSG + 1) };
		size_t ml = mk_msg(m, TG_HS_CERTIFICATE, TG_TLS_MAX_HS_MSG);
		struct stream_out o;

		CU_ASSERT_EQUAL(feed_raw(hdr, sizeof(hdr)), TG_E_ILLEGAL_PARAM);
		o = stream(wire, in_records(wire, m, ml, 16384), 1 << 20);
		TG_ASSERT_OK(o.r);
		CU_ASSERT_EQUAL(o.hs_msgs, 1);
	}
	/* buffers: small messages leave them at their start size; the
	 * largest ClientHello grows them, within their bounds */
	{
		struct tg_hsio io;
		struct tg_hsio_msg msg;
		size_t ml, wl, used, off = 0;

		TG_ASSERT_OK(tg_hsio_init(&io));
		ml = mk_msg(m, TG_HS_CLIENT_HELLO, 500);
		wl = in_records(wire, m, ml, 16384);
		TG_ASSERT_OK(tg_hsio_feed(&io, wire, wl, &used));
		TG_ASSERT_OK(tg_hsio_next(&io, &msg));
		CU_ASSERT_EQUAL(msg.item, TG_HSIO_HANDSHAKE);
		CU_ASSERT_EQUAL(io.rcap, TG_HSIO_START);
		CU_ASSERT_EQUAL(io.hs_cap, TG_HSIO_START);
		ml = mk_msg(m, TG_HS_CLIENT_HELLO, TG_TLS_MAX_CLIENT_HELLO);
		wl = in_records(wire, m, ml, 16384);
		msg.item = TG_HSIO_NONE;
		while (off < wl && msg.item == TG_HSIO_NONE) {
			TG_ASSERT_OK(tg_hsio_feed(&io, wire + off, wl - off, &used));
			off += used;
			TG_ASSERT_OK(tg_hsio_next(&io, &msg));
		}
		CU_ASSERT_EQUAL(msg.item, TG_HSIO_HANDSHAKE);
		CU_ASSERT_EQUAL(msg.raw_len, ml);
		CU_ASSERT(io.rcap <= TG_HSIO_RCAP);
		CU_ASSERT(io.hs_cap <= TG_HSIO_HSCAP);
		CU_ASSERT(io.hs_cap >= ml);
		tg_hsio_fini(&io);
	}
}

static CU_TestInfo hsio_tests[] = {
	{ "coalesce, fragment, reassemble", test_coalesce_and_reassemble },
	{ "CCS then protected records", test_ccs_then_protected },
	{ "bad input", test_bad_input },
	{ "application data after the handshake", test_appdata_passthrough },
	{ "1-byte records and warning alerts: linear work", test_tiny_records_linear },
	{ "records per handshake bounded", test_record_bound },
	{ "message limits: the largest ClientHello, the alerts past them",
	  test_message_limits },
	CU_TEST_INFO_NULL,
};

static const struct tg_test_suite suites[] = {
	{ "hsio", suite_init, suite_fini, hsio_tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return tg_test_main(argc, argv, suites);
}
