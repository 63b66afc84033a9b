/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the TLS 1.3 server (control/hs13.c and its rows of the
 * state table in control/hs.c), driven by a TLS 1.3 client written here
 * on the key schedule (tg_ks.h), the message codecs and the record
 * engine: its ClientHellos are built with tg_hs_client_hello_write, the
 * server's flight is opened with the handshake keys derived from the
 * transcript, and the client's Finished (and Certificate,
 * CertificateVerify) are sealed the same way.
 *
 * For every TLS 1.3 state of the server (the second ClientHello after a
 * HelloRetryRequest, the client's Certificate, CertificateVerify and
 * Finished), every handshake type not expected there and application
 * data end the handshake with unexpected_message, sent as an alert
 * under the handshake key once there is one. Then the negative cases
 * RFC 8446 names an alert for: missing key_share or supported_groups, a
 * share that is not of its group, a share of a group not offered, a
 * HelloRetryRequest asked twice, a ClientHello changed after it (and
 * one keeping early_data), a cookie in the first ClientHello, a
 * protected or wrong ChangeCipherSpec and one before any ClientHello,
 * the legacy_session_id echo, a bad Finished, early data without the
 * extension, and declined early data skipped; psk_ke (§4.2.9).
 * Elsewhere: duplicate and unknown extensions (test_hs_msg,
 * test_hs13_msg), too many KeyUpdates (test_flow), a client that
 * downgrades (TLS_FALLBACK_SCSV: interop-more), the client's alerts
 * (test_hs13_client).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tg_alert.h"
#include "tg_cert.h"
#include "tg_hs.h"
#include "tg_hs_msg.h"
#include "tg_ks.h"
#include "tg_kx.h"
#include "tg_prf.h"
#include "tg_sig.h"
#include "tg_suite.h"
#include "tg_test.h"
#include "tg_test_hs.h"
#include "tg_tls.h"
#include "tg_wipe.h"

static struct tg_test_hs_env env;

static int suite_init(void)
{
	static const struct tg_test_hs_spec spec = {
		.prefix = "tghs13", .ca_cn = "HS13 CA", .std_leaves = true,
		.resumption = true,
	};

	return tg_test_hs_open(&spec, &env);
}

static int suite_fini(void)
{
	tg_test_hs_close(&env);
	return 0;
}

static void srv_cfg(struct tg_hs_config *c)
{
	tg_test_hs_srv_cfg(c, &env);
	c->versions = TG_HS_VERSION_TLS12 | TG_HS_VERSION_TLS13;
}

/* ---- the test client ------------------------------------------------------ */

struct cli {
	struct tg_hs *srv;
	tg_result r;                /* the server's first failure */
	struct tg_kx kx[2];
	uint16_t kx_group[2];
	struct tg_ks ks;
	const struct tg_cs13_info *cs;
	uint8_t tr[16384];
	size_t trl;
	struct tg_accel_sess *rx, *tx; /* s_hs open, c_hs seal */
	uint8_t out[65536];            /* the server's bytes, unread */
	size_t outl;
	uint8_t alert;                 /* last alert the server sent */
	bool hrr, ccs, done;
	uint8_t sid[32];
	uint8_t random[32];
	uint8_t cookie[256];
	size_t cookie_len;
	uint8_t types[16];             /* the handshake types of its flight */
	size_t n_types;
	/* resumption: the ticket we got, its PSK */
	uint8_t ticket[2048];
	size_t ticket_len;
	uint32_t age_add;
	uint8_t psk[48];
	size_t psk_len;
	uint32_t age_skew;             /* ms added to the age we report */
	bool bad_binder;
	bool resumed;                  /* the ServerHello took our PSK */
	bool psk_ke;                   /* ... without a key_share */
	uint8_t sh_sid[32];            /* the ServerHello's legacy_session_id */
	size_t sh_sid_len;
	uint8_t pad;                   /* zero bytes in our protected records */
	uint32_t max_inner;            /* longest protected record of the server */
	uint16_t ee_rsl;               /* its record_size_limit, 0: none */
	uint8_t hsbuf[16384];          /* a message cut across records */
	size_t hsl;
};

/* What a ClientHello offers. */
struct ch_opts {
	const uint16_t *groups;   /* supported_groups (NULL: x25519, P-256) */
	size_t n_groups;
	const uint16_t *shares;   /* key shares (NULL: x25519) */
	size_t n_shares;
	bool no_groups, no_shares, no_sigalgs;
	bool early_data;
	bool compat;              /* a legacy_session_id */
	bool bad_share;           /* a share of the wrong length */
	bool other_random;
	bool psk;                 /* offer the ticket we have */
	uint16_t rsl;             /* record_size_limit (RFC 8449), 0: none */
	uint8_t modes;            /* psk_key_exchange_modes: 0 psk_dhe_ke,
				     1 psk_ke, 2 both */
};

static void tr_add(struct cli *c, const uint8_t *p, size_t n)
{
	CU_ASSERT_FATAL(c->trl + n <= sizeof(c->tr));
	memcpy(c->tr + c->trl, p, n);
	c->trl += n;
}

static void th(struct cli *c, uint8_t *out)
{
	TG_ASSERT_OK(tg_hash((enum tg_hash)c->cs->hash, c->tr, c->trl, out));
}

/* Feed bytes to the server; keep what it answers. */
static void feed(struct cli *c, const uint8_t *p, size_t n)
{
	size_t used = 0, k;

	if (tg_ok(c->r))
		c->r = tg_hs_feed(c->srv, p, n, &used);
	while ((k = tg_hs_output(c->srv, c->out + c->outl,
				 sizeof(c->out) - c->outl)) > 0)
		c->outl += k;
	if (tg_hs_events(c->srv) & TG_HS_EV_KEYS_READY)
		c->done = true;
}

static size_t rec(uint8_t *out, uint8_t type, const uint8_t *p, size_t n)
{
	out[0] = type;
	out[1] = 3;
	out[2] = 3;
	out[3] = (uint8_t)(n >> 8);
	out[4] = (uint8_t)n;
	memcpy(out + 5, p, n);
	return n + 5;
}

/* Send one plaintext record. */
static void send_plain(struct cli *c, uint8_t type, const uint8_t *p, size_t n)
{
	uint8_t r[20000];

	feed(c, r, rec(r, type, p, n));
}

/* Send one record protected with the client's handshake key. */
static void send_prot(struct cli *c, uint8_t type, const uint8_t *p, size_t n)
{
	static uint8_t b[20000];
	uint32_t h = tg_accel_hdr_len(c->tx);
	struct tg_rec r = { .sess = c->tx, .buf = b, .cap = sizeof(b), .off = h,
			    .len = (uint32_t)n, .type = type, .pad = c->pad },
		      *rp = &r;

	memcpy(b + h, p, n);
	CU_ASSERT_EQUAL_FATAL(tg_accel_seal_burst(&rp, 1), 1);
	feed(c, b + r.rec_off, r.rec_len);
}

/* Build and send a ClientHello. */
static void client_hello(struct cli *c, const struct ch_opts *o)
{
	static const uint16_t suites[] = { 0x1301, 0x1302, 0x1303 };
	static const uint16_t dgroups[] = { TG_GROUP_X25519, TG_GROUP_SECP256R1 };
	static const uint16_t dshares[] = { TG_GROUP_X25519 };
	static const uint16_t sigalgs[] = { 0x0403, 0x0503, 0x0804, 0x0805 };
	static const uint16_t versions[] = { TG_TLS13 };
	static const uint8_t modes[] = { TG_HS_PSK_DHE_KE, TG_HS_PSK_KE },
			     null_comp = 0;
	struct tg_hs_client_hello ch;
	uint8_t ks[512], msg[4096];
	struct tg_wcur kw = tg_wcur_init(ks, sizeof(ks));
	struct tg_wcur w = tg_wcur_init(msg, sizeof(msg));
	const uint16_t *sh = o->shares ? o->shares : dshares;
	size_t nsh = o->shares ? o->n_shares : 1;

	memset(&ch, 0, sizeof(ch));
	ch.version = TG_TLS12;
	memcpy(ch.random, c->random, 32);
	if (o->other_random)
		ch.random[0] ^= 1;
	if (o->compat) {
		ch.session_id_len = 32;
		memcpy(ch.session_id, c->sid, 32);
	}
	ch.suites = (struct tg_hs_u16_list)TG_HS_U16_LIST(suites);
	ch.compression.p = &null_comp;
	ch.compression.len = 1;
	ch.exts = TG_HS_EXT_SERVER_NAME | TG_HS_EXT_SUPPORTED_VERSIONS |
		  TG_HS_EXT_PSK_MODES;
	ch.host_name.p = (const uint8_t *)TG_TEST_HS_HOST;
	ch.host_name.len = strlen(TG_TEST_HS_HOST);
	ch.versions = (struct tg_hs_u16_list)TG_HS_U16_LIST(versions);
	ch.psk_modes.p = o->modes == 1 ? modes + 1 : modes;
	ch.psk_modes.len = o->modes == 2 ? 2 : 1;
	if (!o->no_groups) {
		ch.exts |= TG_HS_EXT_SUPPORTED_GROUPS;
		if (o->groups) {
			ch.groups.host = o->groups;
			ch.groups.n = o->n_groups;
		} else {
			ch.groups = (struct tg_hs_u16_list)TG_HS_U16_LIST(dgroups);
		}
	}
	if (!o->no_sigalgs) {
		ch.exts |= TG_HS_EXT_SIGNATURE_ALGS;
		ch.sigalgs = (struct tg_hs_u16_list)TG_HS_U16_LIST(sigalgs);
	}
	if (!o->no_shares) {
		for (size_t i = 0; i < nsh && i < 2; i++) {
			uint8_t pub[TG_KX_MAX_PUB];
			size_t pl;

			tg_kx_free(&c->kx[i]);
			TG_ASSERT_OK(tg_kx_keygen(&c->kx[i], sh[i]));
			c->kx_group[i] = sh[i];
			TG_ASSERT_OK(tg_kx_public(&c->kx[i], pub, sizeof(pub), &pl));
			TG_ASSERT_OK(tg_wcur_u16(&kw, sh[i]));
			TG_ASSERT_OK(tg_wcur_u16(&kw, (uint16_t)(pl - o->bad_share)));
			TG_ASSERT_OK(tg_wcur_bytes(&kw, pub, pl - o->bad_share));
		}
		ch.exts |= TG_HS_EXT_KEY_SHARE;
		ch.key_shares.p = ks;
		ch.key_shares.len = kw.pos;
	}
	if (o->early_data)
		ch.exts |= TG_HS_EXT_EARLY_DATA;
	if (o->rsl != 0) {
		ch.exts |= TG_HS_EXT_RECORD_SIZE_LIMIT;
		ch.record_size_limit = o->rsl;
	}
	if (c->cookie_len) {
		ch.exts |= TG_HS_EXT_COOKIE;
		ch.cookie.p = c->cookie;
		ch.cookie.len = c->cookie_len;
	}
	ch.has_ext_block = true;
	if (o->psk) {
		static uint8_t ids[4096], binders[64];
		struct tg_wcur iw = tg_wcur_init(ids, sizeof(ids));

		TG_ASSERT_OK(tg_wcur_u16(&iw, (uint16_t)c->ticket_len));
		TG_ASSERT_OK(tg_wcur_bytes(&iw, c->ticket, c->ticket_len));
		TG_ASSERT_OK(tg_wcur_be(&iw, 4, c->age_add + c->age_skew));
		memset(binders, 0, sizeof(binders));
		binders[0] = (uint8_t)c->psk_len;
		ch.exts |= TG_HS_EXT_PRE_SHARED_KEY;
		ch.psk_identities.p = ids;
		ch.psk_identities.len = iw.pos;
		ch.psk_binders.p = binders;
		ch.psk_binders.len = 1 + c->psk_len;
	}
	TG_ASSERT_OK(tg_hs_client_hello_write(&w, &ch));
	if (o->psk) {
		/* RFC 8446 §4.2.11.2: the binder over the ClientHello cut
		 * before the binders, patched in at the end */
		enum tg_hash h = c->psk_len == 48 ? TG_HASH_SHA384 : TG_HASH_SHA256;
		size_t cut = w.pos - 2 - 1 - c->psk_len;
		struct tg_ks ks;
		uint8_t bk[48], th[TG_HASH_MAX_LEN];

		memcpy(c->tr + c->trl, msg, cut);
		TG_ASSERT_OK(tg_hash(h, c->tr, c->trl + cut, th));
		TG_ASSERT_OK(tg_ks_init(&ks, h, c->psk, c->psk_len));
		TG_ASSERT_OK(tg_ks_binder_key(&ks, false, bk));
		TG_ASSERT_OK(tg_ks_finished(h, bk, th, msg + w.pos - c->psk_len));
		if (c->bad_binder)
			msg[w.pos - 1] ^= 1;
		tg_ks_wipe(&ks);
	}
	tr_add(c, msg, w.pos);
	send_plain(c, TG_CT_HANDSHAKE, msg, w.pos);
}

static void cli_start(struct cli *c, const struct tg_hs_config *cfg)
{
	memset(c, 0, sizeof(*c));
	c->alert = TG_ALERT_NONE;
	tg_test_fill(c->random, 32);
	tg_test_fill(c->sid, 32);
	TG_ASSERT_OK(tg_hs_new(cfg, NULL, &c->srv));
}

static void cli_free(struct cli *c)
{
	tg_hs_free(c->srv);
	tg_kx_free(&c->kx[0]);
	tg_kx_free(&c->kx[1]);
	tg_accel_sess_free(c->rx);
	tg_accel_sess_free(c->tx);
	tg_ks_wipe(&c->ks);
}

/* The handshake messages in @p p: into the transcript (up to, not
 * including, the server Finished, which is checked here). */
static void server_msgs(struct cli *c, const uint8_t *p, size_t n)
{
	struct tg_cur s;

	/* messages may be cut across records (RFC 8449 limits) */
	CU_ASSERT_FATAL(c->hsl + n <= sizeof(c->hsbuf));
	memcpy(c->hsbuf + c->hsl, p, n);
	c->hsl += n;
	s = tg_cur_init(c->hsbuf, c->hsl);
	while (tg_cur_left(&s) >= 4) {
		struct tg_cur body;
		const uint8_t *start = tg_cur_ptr(&s);
		size_t mlen = (size_t)start[1] << 16 | (size_t)start[2] << 8 | start[3];
		uint8_t type;

		if (tg_cur_left(&s) < 4 + mlen)
			break;
		TG_ASSERT_OK(tg_hs_msg_next(&s, &type, &body));
		if (c->n_types < sizeof(c->types))
			c->types[c->n_types++] = type;
		if (type == TG_HS_ENCRYPTED_EXTENSIONS) {
			struct tg_hs_encrypted_extensions ee;

			TG_ASSERT_OK(tg_hs_encrypted_extensions_parse(&body, &ee));
			if (ee.exts & TG_HS_EXT_RECORD_SIZE_LIMIT)
				c->ee_rsl = ee.record_size_limit;
		}
		if (type == TG_HS_FINISHED) {
			uint8_t h[TG_HASH_MAX_LEN];

			th(c, h);
			TG_ASSERT_OK(tg_ks_finished_check((enum tg_hash)c->cs->hash,
							  c->ks.s_hs, h,
							  tg_cur_ptr(&body),
							  tg_cur_left(&body)));
		}
		tr_add(c, start, (size_t)(tg_cur_ptr(&s) - start));
	}
	c->hsl = tg_cur_left(&s);
	memmove(c->hsbuf, tg_cur_ptr(&s), c->hsl);
}

/* Read what the server sent: HelloRetryRequest or ServerHello, CCS,
 * its protected flight; alerts. */
static void read_server(struct cli *c)
{
	size_t off = 0;

	while (off + 5 <= c->outl) {
		uint8_t type = c->out[off];
		size_t len = (size_t)c->out[off + 3] << 8 | c->out[off + 4];
		uint8_t *p = c->out + off + 5;

		CU_ASSERT_FATAL(off + 5 + len <= c->outl);
		if (type == TG_CT_CHANGE_CIPHER_SPEC) {
			CU_ASSERT(len == 1 && p[0] == 1);
			c->ccs = true;
		} else if (type == TG_CT_ALERT) {
			CU_ASSERT_EQUAL(len, 2);
			c->alert = p[1];
		} else if (type == TG_CT_HANDSHAKE) {
			struct tg_cur b;
			struct tg_hs_server_hello sh;
			uint8_t h[TG_HASH_MAX_LEN], dhe[TG_KX_MAX_SECRET];
			size_t dl = 0;
			struct tg_keys k;
			int i;

			CU_ASSERT_EQUAL_FATAL(p[0], TG_HS_SERVER_HELLO);
			b = tg_cur_init(p + 4, len - 4);
			TG_ASSERT_OK(tg_hs_server_hello_parse(&b, &sh));
			c->cs = tg_cs13_by_id(sh.suite);
			memcpy(c->sh_sid, sh.session_id, sh.session_id_len);
			c->sh_sid_len = sh.session_id_len;
			CU_ASSERT_PTR_NOT_NULL_FATAL(c->cs);
			CU_ASSERT_EQUAL(sh.selected_version, TG_TLS13);
			if (sh.hrr) {
				uint8_t mh[4 + TG_HASH_MAX_LEN];
				size_t ml;

				c->hrr = true;
				TG_ASSERT_OK(tg_ks_message_hash((enum tg_hash)c->cs->hash,
								c->tr, c->trl, mh, &ml));
				c->trl = 0;
				tr_add(c, mh, ml);
				tr_add(c, p, len);
				c->kx_group[1] = sh.ks_group; /* asked for */
				CU_ASSERT_FATAL(sh.cookie.len <= sizeof(c->cookie));
				memcpy(c->cookie, sh.cookie.p, sh.cookie.len);
				c->cookie_len = sh.cookie.len;
			} else {
				tr_add(c, p, len);
				/* psk_ke (§4.2.9): no key_share, no (EC)DHE */
				c->psk_ke = !(sh.exts & TG_HS_EXT_KEY_SHARE);
				i = c->kx_group[0] == sh.ks_group ? 0 : 1;
				if (!c->psk_ke) {
					CU_ASSERT_EQUAL_FATAL(c->kx_group[i], sh.ks_group);
					TG_ASSERT_OK(tg_kx_derive(&c->kx[i], sh.ks_pub.p,
								  sh.ks_pub.len, dhe,
								  sizeof(dhe), &dl));
				}
				th(c, h);
				c->resumed = (sh.exts & TG_HS_EXT_PRE_SHARED_KEY) != 0;
				TG_ASSERT_OK(tg_ks_init(&c->ks, (enum tg_hash)c->cs->hash,
							c->resumed ? c->psk : NULL,
							c->resumed ? c->psk_len : 0));
				TG_ASSERT_OK(tg_ks_handshake(&c->ks, dhe, dl, h));
				TG_ASSERT_OK(tg_ks_traffic_keys((enum tg_hash)c->cs->hash,
								(enum tg_suite)c->cs->suite,
								c->ks.s_hs, TG_DIR_OPEN,
								0, &k));
				TG_ASSERT_OK(tg_accel_sess_create(env.acc, &k, &c->rx));
				TG_ASSERT_OK(tg_ks_traffic_keys((enum tg_hash)c->cs->hash,
								(enum tg_suite)c->cs->suite,
								c->ks.c_hs, TG_DIR_SEAL,
								0, &k));
				TG_ASSERT_OK(tg_accel_sess_create(env.acc, &k, &c->tx));
				tg_wipe(&k, sizeof(k));
			}
		} else if (type == TG_CT_APPLICATION_DATA && c->rx != NULL) {
			struct tg_rec r = { .sess = c->rx, .buf = c->out, .cap = sizeof(c->out),
					    .rec_off = (uint32_t)off,
					    .rec_len = (uint32_t)(len + 5) }, *rp = &r;

			CU_ASSERT_EQUAL_FATAL(tg_accel_open_burst(&rp, 1), 1);
			if (r.len > c->max_inner)
				c->max_inner = r.len;
			if (r.type == TG_CT_ALERT) {
				CU_ASSERT_EQUAL(r.len, 2);
				c->alert = c->out[r.off + 1];
			} else {
				CU_ASSERT_EQUAL(r.type, TG_CT_HANDSHAKE);
				server_msgs(c, c->out + r.off, r.len);
			}
		} else {
			CU_FAIL("unexpected record from the server");
		}
		off += 5 + len;
	}
	c->outl = 0;
}

/* The client's Finished over the transcript through the server's. */
static void client_finished(struct cli *c, bool bad)
{
	uint8_t h[TG_HASH_MAX_LEN], msg[4 + TG_HASH_MAX_LEN];
	size_t hl = tg_hash_len((enum tg_hash)c->cs->hash);

	th(c, h);
	TG_ASSERT_OK(tg_ks_finished((enum tg_hash)c->cs->hash, c->ks.c_hs, h,
				    msg + 4));
	msg[0] = TG_HS_FINISHED;
	msg[1] = 0;
	msg[2] = 0;
	msg[3] = (uint8_t)hl;
	if (bad)
		msg[4] ^= 1;
	tr_add(c, msg, 4 + hl);
	send_prot(c, TG_CT_HANDSHAKE, msg, 4 + hl);
}

/* The whole handshake to the server's flight (and the HRR round). */
static void to_flight(struct cli *c, const struct ch_opts *o)
{
	client_hello(c, o);
	read_server(c);
	if (c->hrr && tg_ok(c->r)) {
		struct ch_opts o2 = *o;
		uint16_t g = c->kx_group[1];

		o2.shares = &g;
		o2.n_shares = 1;
		o2.early_data = false;
		client_hello(c, &o2);
		c->kx_group[0] = g; /* the new share is kx[0] */
		read_server(c);
	}
}

/* ---- tests ---------------------------------------------------------------- */

static void test_full(void)
{
	struct tg_hs_config cfg;
	struct ch_opts o = { .compat = true };
	struct cli c;
	struct tg_keys tx, rx, want;

	srv_cfg(&cfg);
	cli_start(&c, &cfg);
	to_flight(&c, &o);
	TG_ASSERT_OK(c.r);
	CU_ASSERT_TRUE(c.ccs); /* compatibility mode: its dummy CCS */
	/* §4.1.3: legacy_session_id echoed */
	CU_ASSERT_EQUAL(c.sh_sid_len, 32);
	CU_ASSERT_EQUAL(memcmp(c.sh_sid, c.sid, 32), 0);
	CU_ASSERT_FALSE(c.hrr);
	CU_ASSERT_EQUAL(c.n_types, 4);
	CU_ASSERT_EQUAL(c.types[0], TG_HS_ENCRYPTED_EXTENSIONS);
	CU_ASSERT_EQUAL(c.types[1], TG_HS_CERTIFICATE);
	CU_ASSERT_EQUAL(c.types[2], TG_HS_CERTIFICATE_VERIFY);
	CU_ASSERT_EQUAL(c.types[3], TG_HS_FINISHED);
	/* a CCS from the client too: dropped */
	send_plain(&c, TG_CT_CHANGE_CIPHER_SPEC, (const uint8_t *)"\x01", 1);
	TG_ASSERT_OK(c.r);
	{
		uint8_t h[TG_HASH_MAX_LEN];

		th(&c, h);
		TG_ASSERT_OK(tg_ks_master(&c.ks, h));
	}
	client_finished(&c, false);
	TG_ASSERT_OK(c.r);
	CU_ASSERT_TRUE(c.done);
	CU_ASSERT_EQUAL(tg_hs_info(c.srv)->version, TG_TLS13);
	CU_ASSERT_EQUAL(tg_hs_info(c.srv)->suite, TG_CS13_AES_128_GCM_SHA256);
	CU_ASSERT_EQUAL(tg_hs_info(c.srv)->group, TG_GROUP_X25519);
	CU_ASSERT_STRING_EQUAL(tg_hs_info(c.srv)->sni, TG_TEST_HS_HOST);
	/* the exported keys are the application traffic keys, TG_TLS13,
	 * the 12-byte IV, sequence 0 */
	TG_ASSERT_OK(tg_hs_export_keys(c.srv, &tx, &rx));
	TG_ASSERT_OK(tg_ks_traffic_keys(TG_HASH_SHA256, TG_SUITE_AES128GCM,
					c.ks.s_ap, TG_DIR_SEAL, 0, &want));
	CU_ASSERT_EQUAL(tx.version, TG_TLS13);
	CU_ASSERT_EQUAL(tx.iv_len, 12);
	CU_ASSERT_EQUAL(memcmp(tx.key, want.key, 16), 0);
	CU_ASSERT_EQUAL(memcmp(tx.iv, want.iv, 12), 0);
	CU_ASSERT_EQUAL(tx.dir, TG_DIR_SEAL);
	CU_ASSERT_EQUAL(tx.seq, 0);
	TG_ASSERT_OK(tg_ks_traffic_keys(TG_HASH_SHA256, TG_SUITE_AES128GCM,
					c.ks.c_ap, TG_DIR_OPEN, 0, &want));
	CU_ASSERT_EQUAL(memcmp(rx.key, want.key, 16), 0);
	CU_ASSERT_EQUAL(memcmp(rx.iv, want.iv, 12), 0);
	CU_ASSERT_EQUAL(rx.dir, TG_DIR_OPEN);
	CU_ASSERT_EQUAL(rx.seq, 0);
	tg_wipe(&tx, sizeof(tx));
	tg_wipe(&rx, sizeof(rx));
	cli_free(&c);

	/* no compatibility mode: no CCS; a client CCS still dropped */
	cli_start(&c, &cfg);
	o.compat = false;
	to_flight(&c, &o);
	TG_ASSERT_OK(c.r);
	CU_ASSERT_FALSE(c.ccs);
	CU_ASSERT_EQUAL(c.sh_sid_len, 0); /* the empty one echoed */
	cli_free(&c);
}

/* Every handshake type but @p ok, one at a time in a fresh handshake
 * brought to the state by @p reach: unexpected_message. */
static void each_type(const char *state, void (*reach)(struct cli *c),
		      uint8_t ok, bool prot)
{
	static const uint8_t types[] = {
		TG_HS_HELLO_REQUEST, TG_HS_CLIENT_HELLO, TG_HS_SERVER_HELLO,
		TG_HS_NEW_SESSION_TICKET, TG_HS_END_OF_EARLY_DATA,
		TG_HS_ENCRYPTED_EXTENSIONS, TG_HS_CERTIFICATE,
		TG_HS_SERVER_KEY_EXCHANGE, TG_HS_CERTIFICATE_REQUEST,
		TG_HS_SERVER_HELLO_DONE, TG_HS_CERTIFICATE_VERIFY,
		TG_HS_CLIENT_KEY_EXCHANGE, TG_HS_FINISHED,
		TG_HS_CERTIFICATE_STATUS, TG_HS_KEY_UPDATE, TG_HS_MESSAGE_HASH,
		77, 0xff,
	};

	for (size_t i = 0; i <= sizeof(types); i++) {
		struct cli c;
		uint8_t msg[4] = { 0, 0, 0, 0 };
		bool appdata = i == sizeof(types);

		if (!appdata && types[i] == ok)
			continue;
		reach(&c);
		TG_ASSERT_OK(c.r);
		if (appdata) {
			if (prot)
				send_prot(&c, TG_CT_APPLICATION_DATA,
					  (const uint8_t *)"GET /", 5);
			else
				send_plain(&c, TG_CT_APPLICATION_DATA,
					   (const uint8_t *)"GET /", 5);
		} else {
			msg[0] = types[i];
			if (prot)
				send_prot(&c, TG_CT_HANDSHAKE, msg, 4);
			else
				send_plain(&c, TG_CT_HANDSHAKE, msg, 4);
		}
		if (c.r.code != TG_E_UNEXPECTED_MSG)
			fprintf(stderr, "%s: type %d: %s\n", state,
				appdata ? -1 : types[i], tg_strerror(c.r.code));
		CU_ASSERT_EQUAL(c.r.code, TG_E_UNEXPECTED_MSG);
		read_server(&c);
		CU_ASSERT_EQUAL(c.alert, TG_ALERT_UNEXPECTED_MESSAGE);
		CU_ASSERT_EQUAL(tg_hs_info(c.srv)->alert_sent,
				TG_ALERT_UNEXPECTED_MESSAGE);
		cli_free(&c);
	}
}

static struct tg_hs_config g_cfg;

static void reach_ch2(struct cli *c)
{
	static const uint16_t p256[] = { TG_GROUP_SECP256R1 };
	struct ch_opts o = { .shares = p256, .n_shares = 1, .compat = true };

	srv_cfg(&g_cfg);
	cli_start(c, &g_cfg);
	client_hello(c, &o);
	read_server(c);
	CU_ASSERT_TRUE(c->hrr);
	CU_ASSERT_TRUE(c->ccs);
}

static void reach_finished(struct cli *c)
{
	struct ch_opts o = { .compat = false };

	srv_cfg(&g_cfg);
	cli_start(c, &g_cfg);
	to_flight(c, &o);
}

static void reach_cert(struct cli *c)
{
	struct ch_opts o = { .compat = true };

	srv_cfg(&g_cfg);
	g_cfg.client_auth = TG_HS_CLIENT_AUTH_REQUIRE;
	cli_start(c, &g_cfg);
	to_flight(c, &o);
	CU_ASSERT_EQUAL(c->types[1], TG_HS_CERTIFICATE_REQUEST);
}

/* our client certificate, as a TLS 1.3 Certificate message */
static void send_client_cert(struct cli *c)
{
	struct tg_hs13_certificate cm;
	size_t n;
	const struct tg_der *chain = tg_cert_chain(env.client_cert, &n);
	uint8_t msg[8192];
	struct tg_wcur w = tg_wcur_init(msg, sizeof(msg));

	memset(&cm, 0, sizeof(cm));
	cm.n = n;
	for (size_t i = 0; i < n; i++) {
		cm.cert[i].p = chain[i].p;
		cm.cert[i].len = chain[i].len;
	}
	TG_ASSERT_OK(tg_hs13_certificate_write(&w, &cm));
	tr_add(c, msg, w.pos);
	send_prot(c, TG_CT_HANDSHAKE, msg, w.pos);
}

static void send_client_cv(struct cli *c, bool bad)
{
	uint8_t h[TG_HASH_MAX_LEN], content[TG_HS13_CV_CONTENT_MAX];
	uint8_t sig[TG_SIG_MAX_LEN], msg[1024];
	struct tg_wcur cw = tg_wcur_init(content, sizeof(content));
	struct tg_wcur w = tg_wcur_init(msg, sizeof(msg));
	struct tg_hs_certificate_verify cv;
	size_t sl;

	th(c, h);
	TG_ASSERT_OK(tg_hs13_cv_content(false, h, tg_hash_len((enum tg_hash)c->cs->hash),
					&cw));
	if (bad)
		content[0] ^= 1;
	TG_ASSERT_OK(tg_sig_sign(TG_SIG_ECDSA_SECP256R1_SHA256,
				 tg_cert_pkey(env.client_cert), content, cw.pos,
				 sig, sizeof(sig), &sl));
	cv.sigalg = TG_SIG_ECDSA_SECP256R1_SHA256;
	cv.sig.p = sig;
	cv.sig.len = sl;
	TG_ASSERT_OK(tg_hs_certificate_verify_write(&w, &cv));
	tr_add(c, msg, w.pos);
	send_prot(c, TG_CT_HANDSHAKE, msg, w.pos);
}

static void reach_cv(struct cli *c)
{
	reach_cert(c);
	send_client_cert(c);
	TG_ASSERT_OK(c->r);
}

static void test_state_table(void)
{
	each_type("ClientHello2", reach_ch2, TG_HS_CLIENT_HELLO, false);
	each_type("Certificate", reach_cert, TG_HS_CERTIFICATE, true);
	each_type("CertificateVerify", reach_cv, TG_HS_CERTIFICATE_VERIFY, true);
	each_type("Finished", reach_finished, TG_HS_FINISHED, true);
}

static void test_client_auth(void)
{
	struct cli c;

	/* certificate, signature, Finished: verified */
	reach_cv(&c);
	send_client_cv(&c, false);
	TG_ASSERT_OK(c.r);
	client_finished(&c, false);
	TG_ASSERT_OK(c.r);
	CU_ASSERT_TRUE(c.done);
	CU_ASSERT_TRUE(tg_hs_info(c.srv)->peer_verified);
	cli_free(&c);
	/* a signature that does not verify: decrypt_error */
	reach_cv(&c);
	send_client_cv(&c, true);
	CU_ASSERT_EQUAL(c.r.code, TG_E_DECRYPT_ERROR);
	read_server(&c);
	CU_ASSERT_EQUAL(c.alert, TG_ALERT_DECRYPT_ERROR);
	cli_free(&c);
	/* no certificate: certificate_required (RFC 8446 §4.4.2.4) */
	reach_cert(&c);
	{
		static const uint8_t empty[] = { TG_HS_CERTIFICATE, 0, 0, 4, 0, 0, 0, 0 };

		send_prot(&c, TG_CT_HANDSHAKE, empty, sizeof(empty));
	}
	CU_ASSERT_EQUAL(c.r.code, TG_E_CERT_REQUIRED13);
	read_server(&c);
	CU_ASSERT_EQUAL(c.alert, TG_ALERT_CERTIFICATE_REQUIRED);
	cli_free(&c);
}

/* One ClientHello that fails with @p err and alert @p alert (in clear:
 * no keys yet). */
static void ch_fails(const struct ch_opts *o, int err, uint8_t alert)
{
	struct tg_hs_config cfg;
	struct cli c;

	srv_cfg(&cfg);
	cli_start(&c, &cfg);
	client_hello(&c, o);
	CU_ASSERT_EQUAL(c.r.code, err);
	read_server(&c);
	CU_ASSERT_EQUAL(c.alert, alert);
	cli_free(&c);
}

static void test_negative(void)
{
	static const uint16_t p384[] = { TG_GROUP_SECP384R1 };
	static const uint16_t x25519[] = { TG_GROUP_X25519 };
	struct ch_opts o;
	struct tg_hs_config cfg;
	struct cli c;

	/* §9.2: key_share without supported_groups and the other way */
	o = (struct ch_opts){ .no_groups = true };
	ch_fails(&o, TG_E_MISSING_EXT, TG_ALERT_MISSING_EXTENSION);
	o = (struct ch_opts){ .no_shares = true };
	ch_fails(&o, TG_E_MISSING_EXT, TG_ALERT_MISSING_EXTENSION);
	/* §9.2: no signature_algorithms for a certificate */
	o = (struct ch_opts){ .no_sigalgs = true };
	ch_fails(&o, TG_E_MISSING_EXT, TG_ALERT_MISSING_EXTENSION);
	/* §4.2.8: a share whose group is not in supported_groups */
	o = (struct ch_opts){ .groups = x25519, .n_groups = 1, .shares = p384,
			      .n_shares = 1 };
	ch_fails(&o, TG_E_ILLEGAL_PARAM, TG_ALERT_ILLEGAL_PARAMETER);
	/* a share that is not a point of its group (a byte short) */
	o = (struct ch_opts){ .bad_share = true };
	ch_fails(&o, TG_E_ILLEGAL_PARAM, TG_ALERT_ILLEGAL_PARAMETER);

	/* HelloRetryRequest, then a ClientHello that still has no share of
	 * the group asked for: illegal_parameter, not a second HRR */
	reach_ch2(&c);
	{
		static const uint16_t p256[] = { TG_GROUP_SECP256R1 };
		struct ch_opts o2 = { .shares = p256, .n_shares = 1, .compat = true };

		client_hello(&c, &o2);
	}
	CU_ASSERT_EQUAL(c.r.code, TG_E_ILLEGAL_PARAM);
	read_server(&c);
	CU_ASSERT_EQUAL(c.alert, TG_ALERT_ILLEGAL_PARAMETER);
	cli_free(&c);
	/* a changed ClientHello (another random) after it */
	reach_ch2(&c);
	{
		struct ch_opts o2 = { .compat = true, .other_random = true };

		client_hello(&c, &o2);
	}
	CU_ASSERT_EQUAL(c.r.code, TG_E_ILLEGAL_PARAM);
	read_server(&c);
	CU_ASSERT_EQUAL(c.alert, TG_ALERT_ILLEGAL_PARAMETER);
	cli_free(&c);
	/* early_data kept in the ClientHello after it (§4.2.10: "MUST
	 * NOT" send it then): illegal_parameter */
	reach_ch2(&c);
	{
		struct ch_opts o2 = { .compat = true, .early_data = true };
		uint16_t g = TG_GROUP_X25519;

		o2.shares = &g;
		o2.n_shares = 1;
		client_hello(&c, &o2);
	}
	CU_ASSERT_EQUAL(c.r.code, TG_E_ILLEGAL_PARAM);
	read_server(&c);
	CU_ASSERT_EQUAL(c.alert, TG_ALERT_ILLEGAL_PARAMETER);
	cli_free(&c);
	/* an extension of the wrong message: a cookie in the first
	 * ClientHello (§4.2.2: "MUST NOT"): illegal_parameter */
	srv_cfg(&cfg);
	cli_start(&c, &cfg);
	c.cookie_len = 4;
	client_hello(&c, &(struct ch_opts){ .compat = true });
	CU_ASSERT_EQUAL(c.r.code, TG_E_ILLEGAL_PARAM);
	read_server(&c);
	CU_ASSERT_EQUAL(c.alert, TG_ALERT_ILLEGAL_PARAMETER);
	cli_free(&c);
	/* a ChangeCipherSpec before the first ClientHello (§5: dropped
	 * only after it): unexpected_message */
	srv_cfg(&cfg);
	cli_start(&c, &cfg);
	send_plain(&c, TG_CT_CHANGE_CIPHER_SPEC, (const uint8_t *)"\x01", 1);
	CU_ASSERT_EQUAL(c.r.code, TG_E_UNEXPECTED_MSG);
	read_server(&c);
	CU_ASSERT_EQUAL(c.alert, TG_ALERT_UNEXPECTED_MESSAGE);
	cli_free(&c);
	/* a ClientHello2 without the cookie */
	reach_ch2(&c);
	c.cookie_len = 0;
	{
		struct ch_opts o2 = { .compat = true };

		client_hello(&c, &o2);
	}
	CU_ASSERT_EQUAL(c.r.code, TG_E_MISSING_EXT);
	cli_free(&c);
	/* the happy HRR path, for contrast */
	reach_ch2(&c);
	{
		struct ch_opts o2 = { .compat = true };
		uint16_t g = TG_GROUP_X25519;

		o2.shares = &g;
		o2.n_shares = 1;
		client_hello(&c, &o2);
		c.kx_group[0] = g;
		read_server(&c);
	}
	TG_ASSERT_OK(c.r);
	CU_ASSERT_TRUE(tg_hs_info(c.srv)->hrr);
	cli_free(&c);

	/* CCS: protected (unexpected_message), wrong value (unexpected) */
	reach_finished(&c);
	send_prot(&c, TG_CT_CHANGE_CIPHER_SPEC, (const uint8_t *)"\x01", 1);
	CU_ASSERT_EQUAL(c.r.code, TG_E_UNEXPECTED_MSG);
	cli_free(&c);
	reach_finished(&c);
	send_plain(&c, TG_CT_CHANGE_CIPHER_SPEC, (const uint8_t *)"\x02", 1);
	CU_ASSERT_EQUAL(c.r.code, TG_E_UNEXPECTED_MSG);
	cli_free(&c);
	/* a bad client Finished: decrypt_error */
	reach_finished(&c);
	client_finished(&c, true);
	CU_ASSERT_EQUAL(c.r.code, TG_E_DECRYPT_ERROR);
	read_server(&c);
	CU_ASSERT_EQUAL(c.alert, TG_ALERT_DECRYPT_ERROR);
	cli_free(&c);
	/* early data without the early_data extension: it cannot open with
	 * the handshake key: bad_record_mac */
	reach_finished(&c);
	{
		uint8_t junk[64];

		tg_test_fill(junk, sizeof(junk));
		send_plain(&c, TG_CT_APPLICATION_DATA, junk, sizeof(junk));
	}
	CU_ASSERT_EQUAL(c.r.code, TG_E_BAD_MAC);
	cli_free(&c);
	/* declined early data (the extension sent): skipped, then the
	 * handshake completes; past the bound it fails */
	srv_cfg(&cfg);
	cli_start(&c, &cfg);
	o = (struct ch_opts){ .early_data = true };
	to_flight(&c, &o);
	TG_ASSERT_OK(c.r);
	{
		uint8_t junk[1000];
		uint8_t h[TG_HASH_MAX_LEN];

		tg_test_fill(junk, sizeof(junk));
		for (int i = 0; i < 3; i++)
			send_plain(&c, TG_CT_APPLICATION_DATA, junk, sizeof(junk));
		TG_ASSERT_OK(c.r);
		th(&c, h);
		TG_ASSERT_OK(tg_ks_master(&c.ks, h));
		client_finished(&c, false);
		TG_ASSERT_OK(c.r);
		CU_ASSERT_TRUE(c.done);
	}
	cli_free(&c);
	/* early data after a HelloRetryRequest (in clear, before the second
	 * ClientHello): skipped too */
	{
		static const uint16_t p256[] = { TG_GROUP_SECP256R1 };
		uint8_t junk[300];
		uint16_t g = TG_GROUP_X25519;

		o = (struct ch_opts){ .shares = p256, .n_shares = 1,
				      .early_data = true };
		srv_cfg(&cfg);
		cli_start(&c, &cfg);
		client_hello(&c, &o);
		read_server(&c);
		CU_ASSERT_TRUE_FATAL(c.hrr);
		tg_test_fill(junk, sizeof(junk));
		send_plain(&c, TG_CT_APPLICATION_DATA, junk, sizeof(junk));
		TG_ASSERT_OK(c.r);
		o.early_data = false;
		o.shares = &g;
		client_hello(&c, &o);
		c.kx_group[0] = g;
		read_server(&c);
		TG_ASSERT_OK(c.r);
		cli_free(&c);
	}
	/* TLS 1.3 only, a TLS 1.2 ClientHello: protocol_version */
	srv_cfg(&cfg);
	cfg.versions = TG_HS_VERSION_TLS13;
	{
		struct tg_hs_config cc;
		struct tg_hs *cl = NULL, *sv = NULL;
		uint8_t b[4096];
		size_t n, used;

		tg_test_hs_cli_cfg(&cc, &env);
		TG_ASSERT_OK(tg_hs_new(&cc, NULL, &cl));
		TG_ASSERT_OK(tg_hs_new(&cfg, NULL, &sv));
		n = tg_hs_output(cl, b, sizeof(b));
		TG_ASSERT_ERR(tg_hs_feed(sv, b, n, &used), TG_E_PROTOCOL_VERSION);
		CU_ASSERT_EQUAL(tg_hs_info(sv)->alert_sent, TG_ALERT_PROTOCOL_VERSION);
		tg_hs_free(cl);
		tg_hs_free(sv);
	}
}

/* Finish a handshake brought to the server's flight and take the
 * ticket that follows (under the server's application key). */
static void finish_and_ticket(struct cli *c)
{
	uint8_t h[TG_HASH_MAX_LEN];
	enum tg_hash hh = (enum tg_hash)c->cs->hash;
	struct tg_keys k;
	struct tg_accel_sess *ap = NULL;
	size_t off = 0;

	th(c, h);
	TG_ASSERT_OK(tg_ks_master(&c->ks, h));
	client_finished(c, false);
	TG_ASSERT_OK(c->r);
	CU_ASSERT_TRUE_FATAL(c->done);
	th(c, h);
	TG_ASSERT_OK(tg_ks_resumption(&c->ks, h));
	TG_ASSERT_OK(tg_ks_traffic_keys(hh, (enum tg_suite)c->cs->suite, c->ks.s_ap,
					TG_DIR_OPEN, 0, &k));
	TG_ASSERT_OK(tg_accel_sess_create(env.acc, &k, &ap));
	tg_wipe(&k, sizeof(k));
	c->ticket_len = 0;
	while (off + 5 <= c->outl) {
		size_t len = (size_t)c->out[off + 3] << 8 | c->out[off + 4];
		struct tg_rec r = { .sess = ap, .buf = c->out, .cap = sizeof(c->out),
				    .rec_off = (uint32_t)off,
				    .rec_len = (uint32_t)(len + 5) }, *rp = &r;

		CU_ASSERT_EQUAL_FATAL(tg_accel_open_burst(&rp, 1), 1);
		CU_ASSERT_EQUAL(r.type, TG_CT_HANDSHAKE);
		if (r.type == TG_CT_HANDSHAKE &&
		    c->out[r.off] == TG_HS_NEW_SESSION_TICKET) {
			struct tg_cur b = tg_cur_init(c->out + r.off + 4, r.len - 4);
			struct tg_hs13_new_session_ticket nst;

			TG_ASSERT_OK(tg_hs13_new_session_ticket_parse(&b, &nst));
			CU_ASSERT_FALSE(nst.early_data); /* 0-RTT never offered */
			CU_ASSERT(nst.lifetime > 0 && nst.lifetime <= 604800);
			memcpy(c->ticket, nst.ticket.p, nst.ticket.len);
			c->ticket_len = nst.ticket.len;
			c->age_add = nst.age_add;
			c->psk_len = tg_hash_len(hh);
			TG_ASSERT_OK(tg_ks_ticket_psk(hh, c->ks.resumption, nst.nonce.p,
						      nst.nonce.len, c->psk));
		}
		off += 5 + len;
	}
	c->outl = 0;
	tg_accel_sess_free(ap);
	CU_ASSERT(c->ticket_len > 0);
}

/* A full handshake; then one with its ticket, altered by @p alter,
 * offering the @p o2's PSK modes (NULL: psk_dhe_ke) and leaving out
 * what it says; the server takes psk_ke when @p psk_ke. */
static void resume_with(struct cli *c, void (*alter)(struct cli *c),
			const struct ch_opts *o2, bool psk_ke)
{
	struct ch_opts o = { .compat = true };
	struct cli first;

	srv_cfg(&g_cfg);
	g_cfg.tickets = env.tickets;
	g_cfg.psk_ke = psk_ke;
	cli_start(&first, &g_cfg);
	to_flight(&first, &o);
	finish_and_ticket(&first);
	CU_ASSERT_EQUAL(tg_hs_info(first.srv)->resumed, TG_HS_FULL);
	cli_start(c, &g_cfg);
	memcpy(c->ticket, first.ticket, first.ticket_len);
	c->ticket_len = first.ticket_len;
	c->age_add = first.age_add;
	memcpy(c->psk, first.psk, sizeof(c->psk));
	c->psk_len = first.psk_len;
	cli_free(&first);
	if (alter)
		alter(c);
	if (o2 != NULL)
		o = *o2;
	o.psk = true;
	to_flight(c, &o);
}

static void resume(struct cli *c, void (*alter)(struct cli *c))
{
	resume_with(c, alter, NULL, false);
}

static void alter_binder(struct cli *c)
{
	c->bad_binder = true;
}

static void alter_age(struct cli *c)
{
	c->age_skew = 60000; /* a minute older than it is */
}

static void alter_psk(struct cli *c)
{
	c->psk[3] ^= 1; /* the ticket is ours, the binder key not */
}

static void test_resumption(void)
{
	struct cli c;

	/* the ticket resumes: PSK with (EC)DHE, no certificate sent */
	resume(&c, NULL);
	TG_ASSERT_OK(c.r);
	CU_ASSERT_TRUE(c.resumed);
	CU_ASSERT_EQUAL(c.n_types, 2);
	CU_ASSERT_EQUAL(c.types[0], TG_HS_ENCRYPTED_EXTENSIONS);
	CU_ASSERT_EQUAL(c.types[1], TG_HS_FINISHED);
	finish_and_ticket(&c); /* and a new ticket after it */
	CU_ASSERT_EQUAL(tg_hs_info(c.srv)->resumed, TG_HS_RESUMED_TICKET);
	cli_free(&c);
	/* a wrong binder: decrypt_error (RFC 8446 §4.2.11) */
	resume(&c, alter_binder);
	CU_ASSERT_EQUAL(c.r.code, TG_E_DECRYPT_ERROR);
	read_server(&c);
	cli_free(&c);
	resume(&c, alter_psk);
	CU_ASSERT_EQUAL(c.r.code, TG_E_DECRYPT_ERROR);
	cli_free(&c);
	/* an age far from the ticket's: not resumed, a full handshake */
	resume(&c, alter_age);
	TG_ASSERT_OK(c.r);
	CU_ASSERT_FALSE(c.resumed);
	CU_ASSERT_EQUAL(c.types[1], TG_HS_CERTIFICATE);
	cli_free(&c);
}

/* psk_ke (RFC 8446 §4.2.9): taken when the server allows it (and
 * before psk_dhe_ke), no key_share in the ServerHello, none needed in
 * the ClientHello; refused (a full handshake, or handshake_failure
 * when the ClientHello has nothing else) when it does not. */
static void test_psk_ke(void)
{
	struct ch_opts o;
	struct cli c;

	/* psk_ke alone, with a share: resumed without (EC)DHE */
	o = (struct ch_opts){ .compat = true, .modes = 1 };
	resume_with(&c, NULL, &o, true);
	TG_ASSERT_OK(c.r);
	CU_ASSERT_TRUE(c.resumed);
	CU_ASSERT_TRUE(c.psk_ke);
	CU_ASSERT_EQUAL(c.n_types, 2);
	finish_and_ticket(&c); /* a ticket for psk_ke too */
	CU_ASSERT_TRUE(tg_hs_info(c.srv)->psk_ke);
	CU_ASSERT_EQUAL(tg_hs_info(c.srv)->group, 0);
	CU_ASSERT_EQUAL(tg_hs_info(c.srv)->resumed, TG_HS_RESUMED_TICKET);
	cli_free(&c);
	/* both modes: psk_ke preferred */
	o = (struct ch_opts){ .modes = 2 };
	resume_with(&c, NULL, &o, true);
	TG_ASSERT_OK(c.r);
	CU_ASSERT_TRUE(c.resumed && c.psk_ke);
	finish_and_ticket(&c);
	cli_free(&c);
	/* no supported_groups, key_share nor signature_algorithms (§9.2:
	 * conformant with a pre_shared_key) */
	o = (struct ch_opts){ .modes = 1, .no_groups = true, .no_shares = true,
			      .no_sigalgs = true };
	resume_with(&c, NULL, &o, true);
	TG_ASSERT_OK(c.r);
	CU_ASSERT_TRUE(c.resumed && c.psk_ke);
	finish_and_ticket(&c);
	cli_free(&c);
	/* the binder still counts: decrypt_error */
	resume_with(&c, alter_binder, &o, true);
	CU_ASSERT_EQUAL(c.r.code, TG_E_DECRYPT_ERROR);
	read_server(&c);
	CU_ASSERT_EQUAL(c.alert, TG_ALERT_DECRYPT_ERROR);
	cli_free(&c);
	/* a ticket that does not resume and nothing to agree on:
	 * handshake_failure (§4.1.1) */
	resume_with(&c, alter_age, &o, true);
	CU_ASSERT_EQUAL(c.r.code, TG_E_HANDSHAKE_FAIL);
	read_server(&c);
	CU_ASSERT_EQUAL(c.alert, TG_ALERT_HANDSHAKE_FAILURE);
	cli_free(&c);
	/* psk_ke off (the default): the same ClientHello fails the same */
	resume_with(&c, NULL, &o, false);
	CU_ASSERT_EQUAL(c.r.code, TG_E_HANDSHAKE_FAIL);
	read_server(&c);
	CU_ASSERT_EQUAL(c.alert, TG_ALERT_HANDSHAKE_FAILURE);
	cli_free(&c);
	/* psk_ke off, psk_ke alone with a share: a full handshake */
	o = (struct ch_opts){ .modes = 1 };
	resume_with(&c, NULL, &o, false);
	TG_ASSERT_OK(c.r);
	CU_ASSERT_FALSE(c.resumed);
	CU_ASSERT_EQUAL(c.types[1], TG_HS_CERTIFICATE);
	cli_free(&c);
	/* psk_ke off, both modes: psk_dhe_ke */
	o = (struct ch_opts){ .modes = 2 };
	resume_with(&c, NULL, &o, false);
	TG_ASSERT_OK(c.r);
	CU_ASSERT_TRUE(c.resumed);
	CU_ASSERT_FALSE(c.psk_ke);
	cli_free(&c);
	/* psk_ke on, a client taking psk_dhe_ke only: psk_dhe_ke */
	o = (struct ch_opts){ .modes = 0 };
	resume_with(&c, NULL, &o, true);
	TG_ASSERT_OK(c.r);
	CU_ASSERT_TRUE(c.resumed);
	CU_ASSERT_FALSE(c.psk_ke);
	cli_free(&c);
	/* a ClientHello with supported_groups but no key_share is still
	 * missing_extension, PSK or not (§9.2) */
	o = (struct ch_opts){ .modes = 1, .no_shares = true };
	resume_with(&c, alter_age, &o, true);
	CU_ASSERT_EQUAL(c.r.code, TG_E_MISSING_EXT);
	cli_free(&c);
}

/* RFC 8449: the client's record_size_limit bounds our protected
 * records (the inner type counts, §4) and ours goes into
 * EncryptedExtensions; under 64 is an illegal_parameter. RFC 8446
 * §5.4: the client's records may carry padding. */
static void test_rsl_padding(void)
{
	struct tg_hs_config cfg;
	struct ch_opts o = { .rsl = 256 };
	struct cli c;
	uint8_t h[TG_HASH_MAX_LEN];

	srv_cfg(&cfg);
	cli_start(&c, &cfg);
	to_flight(&c, &o);
	TG_ASSERT_OK(c.r);
	CU_ASSERT_EQUAL(c.n_types, 4);
	/* ours is the largest TLS 1.3 record: 2^14 + 1 (§4) */
	CU_ASSERT_EQUAL(c.ee_rsl, 16385);
	/* the certificate flight cut to 255 bytes of content + type */
	CU_ASSERT(c.max_inner > 0 && c.max_inner <= 255);
	th(&c, h);
	TG_ASSERT_OK(tg_ks_master(&c.ks, h));
	/* the client Finished padded with 200 zero bytes: accepted */
	c.pad = 200;
	client_finished(&c, false);
	TG_ASSERT_OK(c.r);
	CU_ASSERT_TRUE(c.done);
	CU_ASSERT_EQUAL(tg_hs_info(c.srv)->record_limit, 255);
	cli_free(&c);

	/* no limit offered: none in EncryptedExtensions, full records */
	cli_start(&c, &cfg);
	o.rsl = 0;
	to_flight(&c, &o);
	TG_ASSERT_OK(c.r);
	CU_ASSERT_EQUAL(c.ee_rsl, 0);
	CU_ASSERT(c.max_inner > 255);
	cli_free(&c);

	o.rsl = 63;
	ch_fails(&o, TG_E_ILLEGAL_PARAM, TG_ALERT_ILLEGAL_PARAMETER);
}

static CU_TestInfo tests[] = {
	{ "TLS 1.3 server: full handshake, compatibility mode, keys",
	  test_full },
	{ "TLS 1.3 state table: every unexpected message in every state",
	  test_state_table },
	{ "TLS 1.3 client authentication", test_client_auth },
	{ "TLS 1.3 negative cases (RFC 8446 alerts)", test_negative },
	{ "TLS 1.3 resumption: ticket, binder, age", test_resumption },
	{ "TLS 1.3 psk_ke resumption (RFC 8446 §4.2.9)", test_psk_ke },
	{ "TLS 1.3 record_size_limit (RFC 8449), client padding",
	  test_rsl_padding },
	CU_TEST_INFO_NULL,
};

static const struct tg_test_suite suites[] = {
	{ "hs13", suite_init, suite_fini, tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return tg_test_main(argc, argv, suites);
}
