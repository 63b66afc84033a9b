/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the TLS 1.3 client (control/hs13_client.c and its rows
 * of the state table in control/hs.c):
 *  - our client against our server: every suite x group (HRR forced by
 *    the server's preference) x certificate (ECDSA P-256, RSA with
 *    RSA-PSS) x client authentication, then PSK-DHE resumption with the
 *    server's ticket; application data both ways through the exported
 *    keys and the record engine;
 *  - RFC 8448 §3-§7 (docs/decisions.md, "Known answers"), both roles;
 *    §3 (simple 1-RTT): with the trace's random and X25519 key
 *    our ClientHello is the trace's byte for byte; the trace's server
 *    messages give the trace's client Finished, application keys and
 *    traffic secrets, and a ticket with its nonce the trace's PSK;
 *  - the negative cases RFC 8446 names an alert for, from a server
 *    scripted here (the messages built with the codecs, the records
 *    sealed with the key schedule): the downgrade sentinels, a second
 *    HelloRetryRequest, one that changes nothing, a ServerHello for a
 *    group or suite we did not offer or without key_share, an extension
 *    where it does not belong, a bad CertificateVerify or Finished.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "hs_engine.h"
#include "tg_alert.h"
#include "tg_cert.h"
#include "tg_hs.h"
#include "tg_hs_msg.h"
#include "tg_ks.h"
#include "tg_kx.h"
#include "tg_sig.h"
#include "tg_suite.h"
#include "tg_rfc8448.h"
#include "tg_test.h"
#include "tg_test_hs.h"
#include "tg_tls.h"
#include "tg_wipe.h"

static struct tg_test_hs_env env;

static int suite_init(void)
{
	static const struct tg_test_hs_spec spec = {
		.prefix = "tghs13c", .ca_cn = "HS13C CA", .std_leaves = true,
		.resumption = true,
	};

	return tg_test_hs_open(&spec, &env);
}

static int suite_fini(void)
{
	tg_test_hs_close(&env);
	return 0;
}

static size_t hex(const char *h, uint8_t *out, size_t cap)
{
	return tg_test_hex(h, out, cap);
}

static void cli_cfg(struct tg_hs_config *c)
{
	tg_test_hs_cli_cfg(c, &env);
	c->versions = TG_HS_VERSION_TLS13;
}

/* ---- records ---------------------------------------------------------- */

/* Open one record of @p in (its length in *@p used) with @p s. */
static bool open_rec(struct tg_accel_sess *s, uint8_t *in, size_t n,
		     size_t *used, uint8_t *type, uint8_t **p, size_t *len)
{
	struct tg_rec rec = { .sess = s, .buf = in, .cap = (uint32_t)n }, *rp = &rec;

	if (n < 5 || n < 5 + (size_t)(in[3] << 8 | in[4]))
		return false;
	rec.rec_len = 5 + (uint32_t)(in[3] << 8 | in[4]);
	*used = rec.rec_len;
	if (tg_accel_open_burst(&rp, 1) != 1)
		return false;
	*type = rec.type;
	*p = in + rec.off;
	*len = rec.len;
	return true;
}

static size_t seal_rec(struct tg_accel_sess *s, uint8_t type, const uint8_t *p,
		       size_t n, uint8_t *out, size_t cap)
{
	uint32_t h = tg_accel_hdr_len(s);
	struct tg_rec rec = { .sess = s, .buf = out, .cap = (uint32_t)cap,
			      .off = h, .len = (uint32_t)n, .type = type }, *rp = &rec;

	memcpy(out + h, p, n);
	CU_ASSERT_EQUAL_FATAL(tg_accel_seal_burst(&rp, 1), 1);
	memmove(out, out + rec.rec_off, rec.rec_len);
	return rec.rec_len;
}

static size_t plain_rec(uint8_t *out, uint8_t type, const uint8_t *p, size_t n)
{
	out[0] = type;
	out[1] = 3;
	out[2] = 3;
	out[3] = (uint8_t)(n >> 8);
	out[4] = (uint8_t)n;
	memcpy(out + 5, p, n);
	return n + 5;
}

/* ---- our client against our server -------------------------------------- */

struct pair {
	struct tg_hs *c, *s;
	tg_result rc, rs;
	uint8_t c_rest[32768]; /* the server's bytes after the client's
				  handshake: its tickets */
	size_t c_rest_len;
};

static void pump(struct pair *p)
{
	uint8_t buf[65536];

	for (int i = 0; i < 50; i++) {
		size_t n, used = 0;
		bool moved = false;

		while ((n = tg_hs_output(p->c, buf, sizeof(buf))) > 0) {
			moved = true;
			if (tg_ok(p->rs) &&
			    !(tg_hs_events(p->s) & TG_HS_EV_KEYS_READY))
				p->rs = tg_hs_feed(p->s, buf, n, &used);
		}
		while ((n = tg_hs_output(p->s, buf, sizeof(buf))) > 0) {
			moved = true;
			used = 0;
			if (tg_ok(p->rc) &&
			    !(tg_hs_events(p->c) & TG_HS_EV_KEYS_READY)) {
				p->rc = tg_hs_feed(p->c, buf, n, &used);
				if (tg_failed(p->rc))
					continue;
			}
			/* after its Finished: the tickets, for later */
			if (tg_hs_events(p->c) & TG_HS_EV_KEYS_READY) {
				CU_ASSERT_FATAL(p->c_rest_len + n - used <=
						sizeof(p->c_rest));
				memcpy(p->c_rest + p->c_rest_len, buf + used, n - used);
				p->c_rest_len += n - used;
			}
		}
		if (!moved)
			break;
	}
}

/* Application data both ways through the exported keys; the server's
 * tickets (records before its data) go to the client's
 * tg_hs_post_handshake. Returns the tickets seen. */
static int app_data(struct pair *p)
{
	struct tg_keys ctx, crx, stx, srx;
	struct tg_accel_sess *a = NULL, *b = NULL, *c = NULL, *d = NULL;
	struct tg_hs_secrets13 sc, ss;
	static const uint8_t ping[] = "ping from our client";
	static const uint8_t pong[] = "pong from our server";
	uint8_t buf[40000], *pl = NULL, type = 0;
	size_t n = 0, used = 0, len = 0, off = 0;
	int tickets = 0;

	TG_ASSERT_OK(tg_hs_export_keys(p->c, &ctx, &crx));
	TG_ASSERT_OK(tg_hs_export_keys(p->s, &stx, &srx));
	CU_ASSERT_EQUAL(memcmp(ctx.key, srx.key, ctx.key_len), 0);
	CU_ASSERT_EQUAL(memcmp(crx.key, stx.key, crx.key_len), 0);
	if (tg_hs_info(p->c)->version == TG_TLS13) {
		TG_ASSERT_OK(tg_hs_export_secrets13(p->c, &sc));
		TG_ASSERT_OK(tg_hs_export_secrets13(p->s, &ss));
		CU_ASSERT_EQUAL(memcmp(sc.tx, ss.rx, sc.len), 0);
		CU_ASSERT_EQUAL(memcmp(sc.rx, ss.tx, sc.len), 0);
		TG_WIPE_OBJ(sc);
		TG_WIPE_OBJ(ss);
	}
	TG_ASSERT_OK(tg_accel_sess_create(env.acc, &ctx, &a));
	TG_ASSERT_OK(tg_accel_sess_create(env.acc, &crx, &b));
	TG_ASSERT_OK(tg_accel_sess_create(env.acc, &stx, &c));
	TG_ASSERT_OK(tg_accel_sess_create(env.acc, &srx, &d));
	/* client -> server */
	n = seal_rec(a, TG_CT_APPLICATION_DATA, ping, sizeof(ping), buf, sizeof(buf));
	CU_ASSERT_FATAL(open_rec(d, buf, n, &used, &type, &pl, &len));
	CU_ASSERT(type == TG_CT_APPLICATION_DATA && len == sizeof(ping) &&
		  memcmp(pl, ping, len) == 0);
	/* server -> client, after its tickets */
	memcpy(buf, p->c_rest, p->c_rest_len);
	n = p->c_rest_len;
	n += seal_rec(c, TG_CT_APPLICATION_DATA, pong, sizeof(pong), buf + n,
		      sizeof(buf) - n);
	while (off < n) {
		CU_ASSERT_FATAL(open_rec(b, buf + off, n - off, &used, &type, &pl,
					 &len));
		off += used;
		if (type == TG_CT_HANDSHAKE) {
			TG_ASSERT_OK(tg_hs_post_handshake(p->c, pl, len));
			tickets++;
			continue;
		}
		CU_ASSERT(type == TG_CT_APPLICATION_DATA && len == sizeof(pong) &&
			  memcmp(pl, pong, len) == 0);
	}
	tg_accel_sess_free(a);
	tg_accel_sess_free(b);
	tg_accel_sess_free(c);
	tg_accel_sess_free(d);
	TG_WIPE_OBJ(ctx);
	TG_WIPE_OBJ(crx);
	TG_WIPE_OBJ(stx);
	TG_WIPE_OBJ(srx);
	return tickets;
}

/* One connection; true when both ends completed and data went through. */
static bool run_pair(const struct tg_hs_config *cc, const struct tg_hs_config *sc,
		     struct tg_hs_session *sess, struct tg_hs_info *ci,
		     struct tg_hs_info *si)
{
	struct pair *p = calloc(1, sizeof(*p));
	bool ok;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	TG_ASSERT_OK(tg_hs_new(sc, NULL, &p->s));
	TG_ASSERT_OK(tg_hs_new(cc, sess, &p->c));
	pump(p);
	*ci = *tg_hs_info(p->c);
	*si = *tg_hs_info(p->s);
	ok = tg_ok(p->rc) && tg_ok(p->rs) &&
	     (tg_hs_events(p->c) & TG_HS_EV_KEYS_READY) &&
	     (tg_hs_events(p->s) & TG_HS_EV_KEYS_READY);
	if (!ok)
		fprintf(stderr, "pair: client %s (alert %u/%u) server %s (alert %u/%u)\n",
			tg_strerror(p->rc.code), ci->alert_sent, ci->alert_recv,
			tg_strerror(p->rs.code), si->alert_sent, si->alert_recv);
	if (ok) {
		int t = app_data(p);

		/* no ticket for a client whose only mode we do not take */
		CU_ASSERT_EQUAL(t, sc->tickets != NULL &&
					   (!cc->psk_ke_only || sc->psk_ke)
				   ? 1
				   : 0);
		if (sess != NULL && t > 0)
			TG_ASSERT_OK(tg_hs_get_session(p->c, sess));
	}
	tg_hs_free(p->c);
	tg_hs_free(p->s);
	free(p);
	return ok;
}

static void test_ours_both_roles(void)
{
	static const uint16_t suites[] = { TG_CS13_AES_128_GCM_SHA256,
					   TG_CS13_AES_256_GCM_SHA384,
					   TG_CS13_CHACHA20_POLY1305_SHA256 };
	static const uint16_t groups[] = { TG_GROUP_X25519, TG_GROUP_SECP256R1,
					   TG_GROUP_SECP384R1 };
	static const uint16_t ec_sa[] = { TG_SIG_ECDSA_SECP256R1_SHA256 };
	static const uint16_t rsa_sa[] = { TG_SIG_RSA_PSS_RSAE_SHA256 };

	for (size_t s = 0; s < 3; s++) {
		for (size_t g = 0; g < 3; g++) {
			for (int rsa = 0; rsa < 2; rsa++) {
				struct tg_hs_config cc, sc;
				struct tg_hs_info ci, si;
				/* our client certificate is P-256: with
				 * ECDSA offered the server picks its EC one */
				int auth = !rsa && (s + g) % 2 == 0;

				cli_cfg(&cc);
				tg_test_hs_srv_cfg(&sc, &env);
				sc.versions = TG_HS_VERSION_TLS13;
				cc.suites13[0] = suites[s];
				cc.n_suites13 = 1;
				/* the client's share is X25519; the
				 * server's first group g: HRR for P-256/384 */
				sc.groups[0] = groups[g];
				sc.n_groups = 1;
				cc.sigalgs[0] = rsa ? rsa_sa[0] : ec_sa[0];
				cc.n_sigalgs = 1;
				if (auth) {
					sc.client_auth = TG_HS_CLIENT_AUTH_REQUIRE;
					cc.client_cert = env.client_cert;
				}
				cc.no_compat = g == 1;
				CU_ASSERT(run_pair(&cc, &sc, NULL, &ci, &si));
				CU_ASSERT_EQUAL(ci.version, TG_TLS13);
				CU_ASSERT_EQUAL(ci.suite, suites[s]);
				CU_ASSERT_EQUAL(ci.group, groups[g]);
				CU_ASSERT_EQUAL(ci.hrr, g != 0);
				CU_ASSERT_EQUAL(ci.cert_type, rsa ? 1 : 2);
				CU_ASSERT_EQUAL(ci.sigalg, rsa ? rsa_sa[0] : ec_sa[0]);
				CU_ASSERT_TRUE(ci.peer_verified);
				CU_ASSERT_EQUAL(si.peer_verified, auth == 1);
			}
		}
	}
}

/* Our client and our TLS 1.3 server with tickets; no session yet. */
static void resumption_cfg(struct tg_hs_config *cc, struct tg_hs_config *sc,
			   struct tg_hs_session *sess)
{
	memset(sess, 0, sizeof(*sess));
	cli_cfg(cc);
	tg_test_hs_srv_cfg(sc, &env);
	sc->versions = TG_HS_VERSION_TLS13;
	sc->tickets = env.tickets;
}

static void test_ours_resumption(void)
{
	struct tg_hs_config cc, sc;
	struct tg_hs_info ci, si;
	struct tg_hs_session sess;

	resumption_cfg(&cc, &sc, &sess);
	snprintf(cc.alpn[0], sizeof(cc.alpn[0]), "h2");
	cc.n_alpn = 1;
	snprintf(sc.alpn[0], sizeof(sc.alpn[0]), "h2");
	sc.n_alpn = 1;
	cc.record_size_limit = 4096;
	CU_ASSERT(run_pair(&cc, &sc, &sess, &ci, &si));
	CU_ASSERT_EQUAL(ci.resumed, TG_HS_FULL);
	CU_ASSERT_STRING_EQUAL(ci.alpn, "h2");
	CU_ASSERT_EQUAL(si.record_limit, 4095);
	CU_ASSERT_TRUE(sess.valid && sess.tls13);
	CU_ASSERT_EQUAL(sess.suite, ci.suite);
	/* PSK-DHE with that ticket */
	CU_ASSERT(run_pair(&cc, &sc, &sess, &ci, &si));
	CU_ASSERT_EQUAL(ci.resumed, TG_HS_RESUMED_TICKET);
	CU_ASSERT_EQUAL(si.resumed, TG_HS_RESUMED_TICKET);
	/* again, with the new ticket, through a HelloRetryRequest */
	sc.groups[0] = TG_GROUP_SECP384R1;
	sc.n_groups = 1;
	CU_ASSERT(run_pair(&cc, &sc, &sess, &ci, &si));
	CU_ASSERT_TRUE(ci.hrr);
	CU_ASSERT_EQUAL(ci.resumed, TG_HS_RESUMED_TICKET);
	CU_ASSERT_EQUAL(si.resumed, TG_HS_RESUMED_TICKET);
	/* a PSK the server cannot open: a full handshake */
	sess.ticket[10] ^= 1;
	CU_ASSERT(run_pair(&cc, &sc, &sess, &ci, &si));
	CU_ASSERT_EQUAL(ci.resumed, TG_HS_FULL);
	/* another server name: not offered */
	snprintf(cc.server_name, sizeof(cc.server_name), "other.example.com");
	cc.ca = NULL;
	CU_ASSERT(run_pair(&cc, &sc, &sess, &ci, &si));
	CU_ASSERT_EQUAL(ci.resumed, TG_HS_FULL);
}

/* psk_ke (RFC 8446 §4.2.9) between our two ends: taken when both
 * allow it, psk_dhe_ke when one does not. */
static void test_ours_psk_ke(void)
{
	struct tg_hs_config cc, sc;
	struct tg_hs_info ci, si;
	struct tg_hs_session sess;

	resumption_cfg(&cc, &sc, &sess);
	cc.psk_ke = true;
	sc.psk_ke = true;
	CU_ASSERT(run_pair(&cc, &sc, &sess, &ci, &si));
	CU_ASSERT_EQUAL(ci.resumed, TG_HS_FULL);
	CU_ASSERT_FALSE(ci.psk_ke);
	/* both allow it: no (EC)DHE, no HelloRetryRequest for a group
	 * the client has no share of */
	sc.groups[0] = TG_GROUP_SECP384R1;
	sc.n_groups = 1;
	for (int i = 0; i < 2; i++) {
		CU_ASSERT(run_pair(&cc, &sc, &sess, &ci, &si));
		CU_ASSERT_EQUAL(ci.resumed, TG_HS_RESUMED_TICKET);
		CU_ASSERT_EQUAL(si.resumed, TG_HS_RESUMED_TICKET);
		CU_ASSERT_TRUE(ci.psk_ke && si.psk_ke);
		CU_ASSERT_EQUAL(ci.group, 0);
		CU_ASSERT_EQUAL(si.group, 0);
		CU_ASSERT_FALSE(ci.hrr);
	}
	/* the server does not (the default): psk_dhe_ke */
	sc.psk_ke = false;
	CU_ASSERT(run_pair(&cc, &sc, &sess, &ci, &si));
	CU_ASSERT_EQUAL(ci.resumed, TG_HS_RESUMED_TICKET);
	CU_ASSERT_FALSE(ci.psk_ke || si.psk_ke);
	CU_ASSERT_EQUAL(ci.group, TG_GROUP_SECP384R1);
	/* the client offers psk_ke alone: a full handshake (and no
	 * ticket), then with the server allowing it, resumed */
	cc.psk_ke_only = true;
	sc.groups[0] = TG_GROUP_X25519;
	CU_ASSERT(run_pair(&cc, &sc, &sess, &ci, &si));
	CU_ASSERT_EQUAL(ci.resumed, TG_HS_FULL);
	CU_ASSERT_EQUAL(si.resumed, TG_HS_FULL);
	sc.psk_ke = true;
	CU_ASSERT(run_pair(&cc, &sc, &sess, &ci, &si));
	CU_ASSERT_EQUAL(ci.resumed, TG_HS_RESUMED_TICKET);
	CU_ASSERT_TRUE(ci.psk_ke && si.psk_ke);
	/* the client does not offer it: psk_dhe_ke */
	cc.psk_ke = cc.psk_ke_only = false;
	CU_ASSERT(run_pair(&cc, &sc, &sess, &ci, &si));
	CU_ASSERT_EQUAL(ci.resumed, TG_HS_RESUMED_TICKET);
	CU_ASSERT_FALSE(ci.psk_ke || si.psk_ke);
}

static void test_ours_versions(void)
{
	struct tg_hs_config cc, sc;
	struct tg_hs_info ci, si;

	/* both configured on both: TLS 1.3 */
	cli_cfg(&cc);
	cc.versions |= TG_HS_VERSION_TLS12;
	tg_test_hs_srv_cfg(&sc, &env);
	sc.versions = TG_HS_VERSION_TLS12 | TG_HS_VERSION_TLS13;
	CU_ASSERT(run_pair(&cc, &sc, NULL, &ci, &si));
	CU_ASSERT_EQUAL(ci.version, TG_TLS13);
	/* a TLS 1.2 server (no sentinel: not 1.3-capable): TLS 1.2 */
	tg_test_hs_srv_cfg(&sc, &env);
	CU_ASSERT(run_pair(&cc, &sc, NULL, &ci, &si));
	CU_ASSERT_EQUAL(ci.version, TG_TLS12);
	/* a 1.3-capable server that negotiates 1.2 (it sends DOWNGRD\1):
	 * illegal_parameter (RFC 8446 §4.1.3) */
	sc.tls13_capable = true;
	CU_ASSERT_FALSE(run_pair(&cc, &sc, NULL, &ci, &si));
	CU_ASSERT_EQUAL(ci.alert_sent, TG_ALERT_ILLEGAL_PARAMETER);
	/* a client certificate asked for, none configured: an empty
	 * Certificate, and the server decides (certificate_required) */
	cli_cfg(&cc);
	tg_test_hs_srv_cfg(&sc, &env);
	sc.versions = TG_HS_VERSION_TLS13;
	sc.client_auth = TG_HS_CLIENT_AUTH_OPTIONAL;
	CU_ASSERT(run_pair(&cc, &sc, NULL, &ci, &si));
	CU_ASSERT_FALSE(si.peer_cert);
	sc.client_auth = TG_HS_CLIENT_AUTH_REQUIRE;
	CU_ASSERT_FALSE(run_pair(&cc, &sc, NULL, &ci, &si));
	CU_ASSERT_EQUAL(si.alert_sent, TG_ALERT_CERTIFICATE_REQUIRED);
	/* a TLS 1.3-only client against a TLS 1.2 server */
	cli_cfg(&cc);
	tg_test_hs_srv_cfg(&sc, &env);
	CU_ASSERT_FALSE(run_pair(&cc, &sc, NULL, &ci, &si));
	CU_ASSERT_EQUAL(si.alert_sent, TG_ALERT_PROTOCOL_VERSION);
}

/* ---- RFC 8448 §3 ---------------------------------------------------------- */

static const char s3_s_hs[] =
	"b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4"
	"e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38";
static const char s3_c_hs[] =
	"b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f"
	"3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21";

static void eq_hex(const uint8_t *got, size_t n, const char *want)
{
	uint8_t w[512];

	CU_ASSERT_EQUAL_FATAL(hex(want, w, sizeof(w)), n);
	CU_ASSERT_EQUAL(memcmp(got, w, n), 0);
}

/* A session for one direction from a trace's traffic secret. */
static struct tg_accel_sess *trace_sess(const char *secret, enum tg_dir dir)
{
	uint8_t s[32];
	struct tg_keys k;
	struct tg_accel_sess *a = NULL;

	CU_ASSERT_EQUAL_FATAL(hex(secret, s, sizeof(s)), 32);
	TG_ASSERT_OK(tg_ks_traffic_keys(TG_HASH_SHA256, TG_SUITE_AES128GCM, s, dir,
					0, &k));
	TG_ASSERT_OK(tg_accel_sess_create(env.acc, &k, &a));
	return a;
}

/* The trace client's configuration (§3-§7): its suites, groups,
 * signature schemes, server name and record_size_limit. */
static void trace_cli_cfg(struct tg_hs_config *cfg)
{
	static const uint16_t suites[] = { 0x1301, 0x1303, 0x1302 };
	static const uint16_t groups[] = { 0x001d, 0x0017, 0x0018, 0x0019, 0x0100,
					   0x0101, 0x0102, 0x0103, 0x0104 };
	static const uint16_t sigalgs[] = { 0x0403, 0x0503, 0x0603, 0x0203, 0x0804,
					    0x0805, 0x0806, 0x0401, 0x0501, 0x0601,
					    0x0201, 0x0402, 0x0502, 0x0602, 0x0202 };

	cli_cfg(cfg);
	cfg->ca = NULL; /* the trace's certificates are their own */
	memcpy(cfg->suites13, suites, sizeof(suites));
	cfg->n_suites13 = 3;
	memcpy(cfg->groups, groups, sizeof(groups));
	cfg->n_groups = 9;
	memcpy(cfg->sigalgs, sigalgs, sizeof(sigalgs));
	cfg->n_sigalgs = 15;
	snprintf(cfg->server_name, sizeof(cfg->server_name), "server");
	cfg->no_compat = true;
	cfg->offer_ticket = false; /* §3's client alone sends session_ticket */
	cfg->record_size_limit = 0x4001;
}

static void test_rfc8448_simple(void)
{
	static const struct tg_cli13_fixed fx = {
		.random = { 0xcb, 0x34, 0xec, 0xb1, 0xe7, 0x81, 0x63, 0xba,
			    0x1c, 0x38, 0xc6, 0xda, 0xcb, 0x19, 0x6a, 0x6d,
			    0xff, 0xa2, 0x1a, 0x8d, 0x99, 0x12, 0xec, 0x18,
			    0xa2, 0xef, 0x62, 0x83, 0x02, 0x4d, 0xec, 0xe7 },
		.x25519 = { 0x49, 0xaf, 0x42, 0xba, 0x7f, 0x79, 0x94, 0x85,
			    0x2d, 0x71, 0x3e, 0xf2, 0x78, 0x4b, 0xcb, 0xca,
			    0xa7, 0x91, 0x1d, 0xe2, 0x6a, 0xdc, 0x56, 0x42,
			    0xcb, 0x63, 0x45, 0x40, 0xe7, 0xea, 0x50, 0x05 },
	};
	struct tg_hs_config cfg;
	struct tg_hs *hs = NULL;
	uint8_t out[4096], want[2048], msg[4096], rec[8192], *pl = NULL, type = 0;
	size_t n = 0, wl = 0, ml = 0, used = 0, len = 0;
	struct tg_accel_sess *srv, *cli;
	struct tg_keys tx, rx;
	struct tg_hs_secrets13 sec;

	trace_cli_cfg(&cfg);
	cfg.offer_ticket = true;
	tg_cli13_fixed = &fx;
	TG_ASSERT_OK(tg_hs_new(&cfg, NULL, &hs));
	CU_ASSERT_PTR_NULL(tg_cli13_fixed);
	/* the ClientHello, byte for byte, in one record */
	n = tg_hs_output(hs, out, sizeof(out));
	wl = hex(s3_ch, want, sizeof(want));
	CU_ASSERT_EQUAL_FATAL(wl, 196);
	CU_ASSERT_EQUAL(n, 5 + wl);
	CU_ASSERT_EQUAL(out[0], TG_CT_HANDSHAKE);
	CU_ASSERT_EQUAL(memcmp(out + 5, want, wl), 0);
	/* the trace's ServerHello in clear, its flight in one record under
	 * its server handshake key */
	ml = hex(s3_sh, msg, sizeof(msg));
	n = plain_rec(rec, TG_CT_HANDSHAKE, msg, ml);
	ml = hex(s3_ee, msg, sizeof(msg));
	ml += hex(s3_cert, msg + ml, sizeof(msg) - ml);
	ml += hex(s3_cv, msg + ml, sizeof(msg) - ml);
	ml += hex(s3_sfin, msg + ml, sizeof(msg) - ml);
	srv = trace_sess(s3_s_hs, TG_DIR_SEAL);
	n += seal_rec(srv, TG_CT_HANDSHAKE, msg, ml, rec + n, sizeof(rec) - n);
	tg_accel_sess_free(srv);
	TG_ASSERT_OK(tg_hs_feed(hs, rec, n, &used));
	CU_ASSERT_EQUAL(used, n);
	CU_ASSERT(tg_hs_events(hs) & TG_HS_EV_KEYS_READY);
	CU_ASSERT_EQUAL(tg_hs_info(hs)->sigalg, TG_SIG_RSA_PSS_RSAE_SHA256);
	CU_ASSERT_EQUAL(tg_hs_info(hs)->record_limit, 0); /* 0x4001: 2^14 */
	/* our Finished under the trace's client handshake key */
	n = tg_hs_output(hs, out, sizeof(out));
	cli = trace_sess(s3_c_hs, TG_DIR_OPEN);
	CU_ASSERT_FATAL(open_rec(cli, out, n, &used, &type, &pl, &len));
	tg_accel_sess_free(cli);
	CU_ASSERT_EQUAL(used, n);
	CU_ASSERT_EQUAL(type, TG_CT_HANDSHAKE);
	CU_ASSERT_EQUAL_FATAL(len, 36);
	eq_hex(pl, len, s3_cfin);
	/* the application keys and secrets */
	TG_ASSERT_OK(tg_hs_export_keys(hs, &tx, &rx));
	eq_hex(tx.key, 16, "17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51");
	eq_hex(tx.iv, 12, "5b 78 92 3d ee 08 57 90 33 e5 23 d9");
	eq_hex(rx.key, 16, "9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56");
	eq_hex(rx.iv, 12, "cf 78 2b 88 dd 83 54 9a ad f1 e9 84");
	CU_ASSERT_EQUAL(tx.seq, 0);
	CU_ASSERT_EQUAL(rx.seq, 0);
	TG_ASSERT_OK(tg_hs_export_secrets13(hs, &sec));
	eq_hex(sec.tx, 32, "9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52"
			   "87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5");
	eq_hex(sec.rx, 32, "a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32"
			   "82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43");
	/* a ticket with the trace's nonce 00 00 gives the trace's PSK
	 * (from its resumption master secret) */
	{
		static const uint8_t nst[] = { 4, 0, 0, 17, 0, 0, 0, 30, 1, 2, 3, 4,
					       2, 0, 0, 0, 2, 0xab, 0xcd, 0, 0 };
		struct tg_hs_session s;

		TG_ASSERT_OK(tg_hs_post_handshake(hs, nst, sizeof(nst)));
		TG_ASSERT_OK(tg_hs_get_session(hs, &s));
		CU_ASSERT_TRUE(s.tls13);
		CU_ASSERT_EQUAL(s.suite, 0x1301);
		CU_ASSERT_EQUAL(s.lifetime, 30);
		CU_ASSERT_EQUAL(s.age_add, 0x01020304);
		CU_ASSERT_EQUAL(s.ticket_len, 2);
		eq_hex(s.master, 32, "4e cd 0e b6 ec 3b 4d 87 f5 d6 02 8f 92 2c a4 c5"
				     "85 1a 27 7f d4 13 11 c9 e6 2d 2c 94 92 e1 c4 f3");
		/* more than 7 days: illegal_parameter; a KeyUpdate is not
		 * the engine's */
		{
			uint8_t bad[sizeof(nst)], ku[] = { 24, 0, 0, 1, 0 };

			memcpy(bad, nst, sizeof(nst));
			bad[5] = 0x10;
			TG_ASSERT_ERR(tg_hs_post_handshake(hs, bad, sizeof(bad)),
				      TG_E_ILLEGAL_PARAM);
			TG_ASSERT_ERR(tg_hs_post_handshake(hs, ku, sizeof(ku)),
				      TG_E_UNEXPECTED_MSG);
			TG_ASSERT_ERR(tg_hs_post_handshake(hs, nst, 10), TG_E_DECODE);
		}
	}
	TG_WIPE_OBJ(tx);
	TG_WIPE_OBJ(rx);
	TG_WIPE_OBJ(sec);
	tg_hs_free(hs);
}

/* ---- a scripted server for the negative cases ----------------------------- */

/*
 * RFC 8448 §3 from the server's side: our server fed the trace's
 * ClientHello, with the trace's server random and X25519 key
 * (tg_srv13_fixed). Byte for byte: the ServerHello. The handshake
 * secrets are the trace's: our flight opens under the trace's server
 * handshake key. EncryptedExtensions differ by one extension: the
 * trace's server lists its supported_groups (§4.2.7, a "MAY"), ours
 * does not; record_size_limit (0x4001) and the empty server_name are
 * the trace's bytes in the trace's order. From there the transcripts
 * part: our Certificate is ours (the trace's RSA key is not in the
 * trace's inputs we load), and the trace's CertificateVerify
 * (rsa_pss_rsae_sha256) is randomized, so Certificate, CertificateVerify
 * and Finished can only be checked, not reproduced: our CertificateVerify
 * verifies (the client's checks) and our Finished verifies under the
 * trace's server handshake secret over our transcript; the trace's
 * client handshake secret seals a Finished the server takes.
 */
static void test_rfc8448_server(void)
{
	static const struct tg_srv13_fixed fx = {
		.random = { 0xa6, 0xaf, 0x06, 0xa4, 0x12, 0x18, 0x60, 0xdc,
			    0x5e, 0x6e, 0x60, 0x24, 0x9c, 0xd3, 0x4c, 0x95,
			    0x93, 0x0c, 0x8a, 0xc5, 0xcb, 0x14, 0x34, 0xda,
			    0xc1, 0x55, 0x77, 0x2e, 0xd3, 0xe2, 0x69, 0x28 },
		.x25519 = { 0xb1, 0x58, 0x0e, 0xea, 0xdf, 0x6d, 0xd5, 0x89,
			    0xb8, 0xef, 0x4f, 0x2d, 0x56, 0x52, 0x57, 0x8c,
			    0xc8, 0x10, 0xe9, 0x98, 0x01, 0x91, 0xec, 0x8d,
			    0x05, 0x83, 0x08, 0xce, 0xa2, 0x16, 0xa2, 0x1e },
	};
	/* the trace's EncryptedExtensions without supported_groups */
	static const char ee_ours[] =
		"08 00 00 0c 00 0a 00 1c 00 02 40 01 00 00 00 00";
	struct tg_hs_config sc;
	struct tg_hs *hs = NULL;
	uint8_t ch[512], out[8192], want[512], tr[8192], th[TG_HASH_MAX_LEN], fin[36];
	uint8_t sfin[32], *pl = NULL, type = 0;
	size_t chl = 0, n = 0, used = 0, len = 0, trl = 0, off = 0;
	struct tg_accel_sess *srv, *cli;
	struct tg_cur c;

	tg_test_hs_srv_cfg(&sc, &env);
	sc.versions = TG_HS_VERSION_TLS13;
	TG_ASSERT_OK(tg_hs_new(&sc, NULL, &hs));
	chl = hex(s3_ch, ch, sizeof(ch));
	memcpy(tr, ch, chl);
	trl = chl;
	n = plain_rec(out, TG_CT_HANDSHAKE, ch, chl);
	tg_srv13_fixed = &fx;
	TG_ASSERT_OK(tg_hs_feed(hs, out, n, &used));
	tg_srv13_fixed = NULL;
	n = tg_hs_output(hs, out, sizeof(out));
	/* the ServerHello, byte for byte (no CCS: no legacy_session_id) */
	len = hex(s3_sh, want, sizeof(want));
	CU_ASSERT_FATAL(n > 5 + len);
	CU_ASSERT_EQUAL(out[0], TG_CT_HANDSHAKE);
	CU_ASSERT_EQUAL((size_t)(out[3] << 8 | out[4]), len);
	CU_ASSERT_EQUAL(memcmp(out + 5, want, len), 0);
	memcpy(tr + trl, want, len);
	trl += len;
	off = 5 + len;
	/* the rest under the trace's server handshake key */
	srv = trace_sess(s3_s_hs, TG_DIR_OPEN);
	while (off < n) {
		CU_ASSERT_FATAL(open_rec(srv, out + off, n - off, &used, &type,
					 &pl, &len));
		CU_ASSERT_EQUAL(type, TG_CT_HANDSHAKE);
		memcpy(tr + trl, pl, len);
		trl += len;
		off += used;
	}
	tg_accel_sess_free(srv);
	/* EncryptedExtensions, then Certificate, CertificateVerify, Finished */
	len = hex(ee_ours, want, sizeof(want));
	CU_ASSERT_EQUAL(memcmp(tr + chl + 90, want, len), 0);
	c = tg_cur_init(tr + chl + 90 + len, trl - chl - 90 - len);
	{
		uint8_t t[3] = { 0, 0, 0 };
		struct tg_cur body;
		size_t k = 0, before = 0;

		while (tg_cur_left(&c) > 0 && k < 3) {
			before = trl - tg_cur_left(&c);
			TG_ASSERT_OK(tg_hs_msg_next(&c, &t[k], &body));
			k++;
		}
		CU_ASSERT(t[0] == TG_HS_CERTIFICATE &&
			  t[1] == TG_HS_CERTIFICATE_VERIFY && t[2] == TG_HS_FINISHED);
		/* the server Finished under the trace's s_hs over our
		 * transcript through CertificateVerify */
		TG_ASSERT_OK(tg_hash(TG_HASH_SHA256, tr, before, th));
		CU_ASSERT_EQUAL_FATAL(hex(s3_s_hs, sfin, sizeof(sfin)), 32);
		TG_ASSERT_OK(tg_ks_finished_check(TG_HASH_SHA256, sfin, th,
						  tg_cur_ptr(&body),
						  tg_cur_left(&body)));
	}
	/* the client Finished with the trace's c_hs: taken */
	TG_ASSERT_OK(tg_hash(TG_HASH_SHA256, tr, trl, th));
	CU_ASSERT_EQUAL_FATAL(hex(s3_c_hs, sfin, sizeof(sfin)), 32);
	fin[0] = TG_HS_FINISHED;
	fin[1] = fin[2] = 0;
	fin[3] = 32;
	TG_ASSERT_OK(tg_ks_finished(TG_HASH_SHA256, sfin, th, fin + 4));
	cli = trace_sess(s3_c_hs, TG_DIR_SEAL);
	n = seal_rec(cli, TG_CT_HANDSHAKE, fin, sizeof(fin), out, sizeof(out));
	tg_accel_sess_free(cli);
	TG_ASSERT_OK(tg_hs_feed(hs, out, n, &used));
	CU_ASSERT(tg_hs_events(hs) & TG_HS_EV_KEYS_READY);
	CU_ASSERT_EQUAL(tg_hs_info(hs)->suite, TG_CS13_AES_128_GCM_SHA256);
	CU_ASSERT_EQUAL(tg_hs_info(hs)->group, TG_GROUP_X25519);
	tg_hs_free(hs);
}

/* ---- RFC 8448 §4-§7 ------------------------------------------------------- */

/* A P-256 key pair of a trace: its private scalar and public point. */
static EVP_PKEY *p256_key(const char *priv, const char *pub)
{
	uint8_t d[32], q[65];
	EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *k = NULL;
	OSSL_PARAM_BLD *pb = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	BIGNUM *bn;

	CU_ASSERT_EQUAL_FATAL(hex(priv, d, sizeof(d)), 32);
	CU_ASSERT_EQUAL_FATAL(hex(pub, q, sizeof(q)), 65);
	bn = BN_bin2bn(d, 32, NULL);
	OSSL_PARAM_BLD_push_utf8_string(pb, OSSL_PKEY_PARAM_GROUP_NAME,
					"prime256v1", 0);
	OSSL_PARAM_BLD_push_BN(pb, OSSL_PKEY_PARAM_PRIV_KEY, bn);
	OSSL_PARAM_BLD_push_octet_string(pb, OSSL_PKEY_PARAM_PUB_KEY, q, 65);
	params = OSSL_PARAM_BLD_to_param(pb);
	CU_ASSERT_EQUAL(EVP_PKEY_fromdata_init(kc), 1);
	CU_ASSERT_EQUAL(EVP_PKEY_fromdata(kc, &k, EVP_PKEY_KEYPAIR, params), 1);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(pb);
	BN_clear_free(bn);
	EVP_PKEY_CTX_free(kc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	return k;
}

/* A session for one direction from a traffic secret (SHA-256,
 * AES-128-GCM: the traces' suite). */
static struct tg_accel_sess *sess_raw(const uint8_t *secret, enum tg_dir dir)
{
	struct tg_keys k;
	struct tg_accel_sess *a = NULL;

	TG_ASSERT_OK(tg_ks_traffic_keys(TG_HASH_SHA256, TG_SUITE_AES128GCM, secret,
					dir, 0, &k));
	TG_ASSERT_OK(tg_accel_sess_create(env.acc, &k, &a));
	TG_WIPE_OBJ(k);
	return a;
}

/* The protected records of @p in (@p n bytes; ChangeCipherSpecs
 * skipped) opened in order under the traffic keys of @p secret: their
 * plaintexts into @p out; 0 when one does not open. @p in is
 * decrypted in place. */
static size_t open_all(const uint8_t *secret, uint8_t *in, size_t n,
		       uint8_t *out, size_t cap)
{
	struct tg_accel_sess *s = sess_raw(secret, TG_DIR_OPEN);
	size_t off = 0, o = 0, used = 0, len = 0;
	uint8_t type = 0, *pl = NULL;

	while (off < n) {
		if (in[off] == TG_CT_CHANGE_CIPHER_SPEC) {
			off += 6;
			continue;
		}
		if (!open_rec(s, in + off, n - off, &used, &type, &pl, &len) ||
		    type != TG_CT_HANDSHAKE || o + len > cap) {
			o = 0;
			break;
		}
		memcpy(out + o, pl, len);
		o += len;
		off += used;
	}
	tg_accel_sess_free(s);
	return o;
}

/* A trace's records (hex) opened as open_all(). */
static size_t open_trace(const uint8_t *secret, const char *recs, uint8_t *out,
			 size_t cap)
{
	uint8_t in[4096];
	size_t n = hex(recs, in, sizeof(in));

	return open_all(secret, in, n, out, cap);
}

/* The i-th handshake message of @p p (@p n bytes): its offset and whole
 * length; false when there are fewer. */
static bool msg_at(const uint8_t *p, size_t n, size_t i, size_t *off, size_t *len)
{
	size_t o = 0, l = 0;

	for (size_t k = 0; k <= i; k++) {
		o += l;
		if (o + 4 > n)
			return false;
		l = 4 + ((size_t)p[o + 1] << 16 | (size_t)p[o + 2] << 8 | p[o + 3]);
		if (o + l > n)
			return false;
	}
	*off = o;
	*len = l;
	return true;
}

/* A ClientHello (message) with the extension of type @p type cut out,
 * its lengths fixed; its new length. */
static size_t ch_cut_ext(uint8_t *ch, size_t n, uint16_t type)
{
	size_t o = 4 + 2 + 32, el, end;

	o += 1 + ch[o];                          /* legacy_session_id */
	o += 2 + (size_t)(ch[o] << 8 | ch[o + 1]); /* cipher_suites */
	o += 1 + ch[o];                          /* compression */
	el = o;
	end = o + 2 + (size_t)(ch[o] << 8 | ch[o + 1]);
	for (o += 2; o + 4 <= end;) {
		size_t l = 4 + (size_t)(ch[o + 2] << 8 | ch[o + 3]);

		if ((uint16_t)(ch[o] << 8 | ch[o + 1]) == type) {
			size_t ext = (size_t)(ch[el] << 8 | ch[el + 1]) - l,
			       body = ((size_t)ch[1] << 16 | (size_t)ch[2] << 8 | ch[3]) - l;

			memmove(ch + o, ch + o + l, n - o - l);
			ch[el] = (uint8_t)(ext >> 8);
			ch[el + 1] = (uint8_t)ext;
			ch[1] = (uint8_t)(body >> 16);
			ch[2] = (uint8_t)(body >> 8);
			ch[3] = (uint8_t)body;
			return n - l;
		}
		o += l;
	}
	CU_FAIL("extension not found");
	return n;
}

/* Our EncryptedExtensions to the traces' ClientHellos: the trace
 * server's without supported_groups (and, §4, without early_data). */
static const char ee_ours[] = "08 00 00 0c 00 0a 00 1c 00 02 40 01 00 00 00 00";

/*
 * RFC 8448 §7 (compatibility mode). Our server, fed the trace's
 * ClientHello (legacy_session_id of 32 bytes) with the trace server's
 * random and X25519 key: the ServerHello (session ID echoed) byte for
 * byte, then the dummy ChangeCipherSpec record, byte for byte; its
 * handshake secret is the trace's (the trace's server flight opens under
 * it). Our client with the trace's random, session ID and X25519 key:
 * the ClientHello byte for byte; fed the trace's ServerHello,
 * ChangeCipherSpec and flight (RSA-PSS CertificateVerify verified), its
 * answer is the trace's byte for byte: a ChangeCipherSpec, then the
 * Finished record; the application keys are the trace's (the trace's
 * close_notify records open under them).
 */
static void test_rfc8448_compat(void)
{
	static const struct tg_srv13_fixed sfx = {
		.random = { 0xe5, 0xdd, 0x59, 0x48, 0xc4, 0x35, 0xf7, 0xa3,
			    0x8f, 0x0f, 0x01, 0x30, 0x70, 0x8d, 0xc3, 0x22,
			    0xd9, 0xdf, 0x09, 0xab, 0xd4, 0x83, 0x81, 0x17,
			    0xc1, 0x83, 0xa7, 0xbb, 0x6d, 0x99, 0x4f, 0x2c },
		.x25519 = { 0x01, 0x7c, 0x38, 0xa3, 0x64, 0x79, 0x21, 0xca,
			    0x2d, 0x9e, 0xd6, 0xbd, 0x7a, 0xe7, 0x13, 0x2b,
			    0x94, 0x21, 0x1b, 0x13, 0x31, 0xbb, 0x20, 0x8c,
			    0x8c, 0xcd, 0xd5, 0x15, 0x56, 0x40, 0x99, 0x95 },
	};
	static const struct tg_cli13_fixed cfx = {
		.random = { 0x4e, 0x64, 0x0a, 0x3f, 0x2c, 0x27, 0x38, 0xf0,
			    0x9c, 0x94, 0x18, 0xbd, 0x78, 0xed, 0xcc, 0xd7,
			    0x55, 0x9d, 0x05, 0x31, 0x19, 0x92, 0x76, 0xd4,
			    0xd9, 0x2a, 0x0e, 0x9e, 0xe9, 0xd7, 0x7d, 0x09 },
		.session_id = { 0xa8, 0x0c, 0x16, 0x55, 0x81, 0xa8, 0xe0, 0xd0,
				0x6c, 0x00, 0x18, 0xd5, 0x4d, 0x3a, 0x06, 0xdd,
				0x32, 0xcf, 0xd4, 0x05, 0x1e, 0xb0, 0x26, 0xfa,
				0xd3, 0xfd, 0x0b, 0xa9, 0x92, 0x69, 0xe6, 0xef },
		.x25519 = { 0xde, 0xa0, 0x0b, 0x45, 0x69, 0x5d, 0xc7, 0x81,
			    0xf1, 0x9d, 0x34, 0xa6, 0x2c, 0x1a, 0xfd, 0x31,
			    0xab, 0x43, 0x69, 0xaf, 0x1e, 0x85, 0x5a, 0x3b,
			    0xbb, 0x25, 0x8d, 0x84, 0x42, 0xcd, 0xe6, 0xd7 },
	};
	static const uint8_t ccs[] = { 0x14, 0x03, 0x03, 0x00, 0x01, 0x01 };
	struct tg_hs_config sc, cfg;
	struct tg_hs *hs = NULL;
	uint8_t in[4096], out[8192], want[4096], pl[4096];
	size_t n, wl, used;
	struct tg_keys tx, rx;

	/* our server */
	tg_test_hs_srv_cfg(&sc, &env);
	sc.versions = TG_HS_VERSION_TLS13;
	TG_ASSERT_OK(tg_hs_new(&sc, NULL, &hs));
	n = hex(s7_ch, in, sizeof(in));
	tg_srv13_fixed = &sfx;
	TG_ASSERT_OK(tg_hs_feed(hs, in, n, &used));
	tg_srv13_fixed = NULL;
	CU_ASSERT_EQUAL(used, n);
	n = tg_hs_output(hs, out, sizeof(out));
	wl = hex(s7_sh, want, sizeof(want));
	CU_ASSERT_FATAL(n > wl + sizeof(ccs));
	CU_ASSERT_EQUAL(memcmp(out, want, wl), 0);
	CU_ASSERT_EQUAL(memcmp(out + wl, ccs, sizeof(ccs)), 0);
	CU_ASSERT_EQUAL(out[wl + sizeof(ccs)], TG_CT_APPLICATION_DATA);
	/* the trace's EncryptedExtensions..Finished under our s_hs; ours
	 * under it: EncryptedExtensions (ours) first */
	CU_ASSERT(open_trace(hs->ks.s_hs, s7_srv_flight, pl, sizeof(pl)) > 0);
	n = open_all(hs->ks.s_hs, out + wl + sizeof(ccs), n - wl - sizeof(ccs), pl,
		     sizeof(pl));
	CU_ASSERT_FATAL(n > 16);
	eq_hex(pl, 16, ee_ours);
	tg_hs_free(hs);
	hs = NULL;

	/* our client */
	trace_cli_cfg(&cfg);
	cfg.no_compat = false;
	tg_cli13_fixed = &cfx;
	TG_ASSERT_OK(tg_hs_new(&cfg, NULL, &hs));
	tg_cli13_fixed = NULL;
	n = tg_hs_output(hs, out, sizeof(out));
	wl = hex(s7_ch, want, sizeof(want));
	CU_ASSERT_EQUAL(n, wl);
	CU_ASSERT_EQUAL(memcmp(out + 5, want + 5, wl - 5), 0);
	n = hex(s7_sh, in, sizeof(in));
	n += hex(s7_srv_flight, in + n, sizeof(in) - n);
	TG_ASSERT_OK(tg_hs_feed(hs, in, n, &used));
	CU_ASSERT_EQUAL(used, n);
	CU_ASSERT(tg_hs_events(hs) & TG_HS_EV_KEYS_READY);
	n = tg_hs_output(hs, out, sizeof(out));
	wl = hex(s7_cli_fin, want, sizeof(want));
	CU_ASSERT_EQUAL(n, wl);
	CU_ASSERT_EQUAL(memcmp(out, want, wl), 0);
	/* the trace's close_notify records, each the first of its
	 * direction's application key */
	TG_ASSERT_OK(tg_hs_export_keys(hs, &tx, &rx));
	{
		static const char c_cn[] = "17 03 03 00 13 0f 62 91 55 38 2d ba 23 c4 e2 c5"
					   "f7 f8 4e 6f 2e d3 08 3d";
		static const char s_cn[] = "17 03 03 00 13 b7 25 7b 0f ec af 69 d4 f0 9e 3f"
					   "89 1e 2a 25 d1 e2 88 45";
		struct tg_accel_sess *s = NULL;
		uint8_t *p, type;
		size_t len;

		tx.dir = TG_DIR_OPEN;
		TG_ASSERT_OK(tg_accel_sess_create(env.acc, &tx, &s));
		n = hex(c_cn, in, sizeof(in));
		CU_ASSERT(open_rec(s, in, n, &used, &type, &p, &len) &&
			  type == TG_CT_ALERT && len == 2 && p[1] == 0);
		tg_accel_sess_free(s);
		s = NULL;
		TG_ASSERT_OK(tg_accel_sess_create(env.acc, &rx, &s));
		n = hex(s_cn, in, sizeof(in));
		CU_ASSERT(open_rec(s, in, n, &used, &type, &p, &len) &&
			  type == TG_CT_ALERT && len == 2 && p[1] == 0);
		tg_accel_sess_free(s);
	}
	TG_WIPE_OBJ(tx);
	TG_WIPE_OBJ(rx);
	tg_hs_free(hs);
}

/*
 * RFC 8448 §5 (HelloRetryRequest). Our server, preferring P-256, fed the
 * trace's ClientHello1 (an X25519 share only) with the trace server's
 * cookie (tg_srv13_fixed: ours is 32 random bytes of its own): the
 * HelloRetryRequest byte for byte; fed the trace's ClientHello2 (which
 * echoes that cookie), with the trace server's random and P-256 key: the
 * ServerHello byte for byte, and its handshake secret is the trace's.
 * Our client with the trace's random and keys: ClientHello1 byte for
 * byte; fed the trace's HelloRetryRequest, its ClientHello2 is the
 * trace's but for the padding extension (RFC 7685) the trace's client
 * adds and ours does not: every other byte equal. From there the
 * transcripts differ, so the trace's server flight is not for our
 * client.
 */
static void test_rfc8448_hrr(void)
{
	struct tg_srv13_fixed sfx = {
		.random = { 0xbb, 0x34, 0x1d, 0x84, 0x7f, 0xd7, 0x89, 0xc4,
			    0x7c, 0x38, 0x71, 0x72, 0xdc, 0x0c, 0x9b, 0xf1,
			    0x47, 0xfc, 0xca, 0xcb, 0x50, 0x43, 0xd8, 0x6c,
			    0xa4, 0xc5, 0x98, 0xd3, 0xff, 0x57, 0x1b, 0x98 },
	};
	struct tg_cli13_fixed cfx = {
		.random = { 0xb0, 0xb1, 0xc5, 0xa5, 0xaa, 0x37, 0xc5, 0x91,
			    0x9f, 0x2e, 0xd1, 0xd5, 0xc6, 0xff, 0xf7, 0xfc,
			    0xb7, 0x84, 0x97, 0x16, 0x94, 0x5a, 0x2b, 0x8c,
			    0xee, 0x92, 0x58, 0xa3, 0x46, 0x67, 0x7b, 0x6f },
		.x25519 = { 0x0e, 0xd0, 0x2f, 0x8e, 0x81, 0x17, 0xef, 0xc7,
			    0x5c, 0xa7, 0xac, 0x32, 0xaa, 0x7e, 0x34, 0xed,
			    0xa6, 0x4c, 0xdc, 0x0d, 0xda, 0xd1, 0x54, 0xa5,
			    0xe8, 0x52, 0x89, 0xf9, 0x59, 0xf6, 0x32, 0x04 },
	};
	static const uint16_t srv_groups[] = { 0x0017, 0x001d, 0x0018 };
	static const uint16_t cli_groups[] = { 0x001d, 0x0017, 0x0018 };
	struct tg_hs_config sc, cfg;
	struct tg_hs *hs = NULL;
	uint8_t in[4096], out[8192], want[4096], pl[4096], cookie[114];
	size_t n, wl, used, len;

	/* our server */
	CU_ASSERT_EQUAL_FATAL(hex("71 dc d0 4b b8 8b c3 18 91 19 39 8a 00 00 00 00"
				  "ee fa fc 76 c1 46 b8 23 b0 96 f8 aa ca d3 65 dd"
				  "00 30 95 3f 4e df 62 56 36 e5 f2 1b b2 e2 3f cc"
				  "65 4b 1b 5b 40 31 8d 10 d1 37 ab cb b8 75 74 e3"
				  "6e 8a 1f 02 5f 7d fa 5d 6e 50 78 1b 5e da 4a a1"
				  "5b 0c 8b e7 78 25 7d 16 aa 30 30 e9 e7 84 1d d9"
				  "e4 c0 34 22 67 e8 ca 0c af 57 1f b2 b7 cf f0 f9"
				  "34 b0", cookie, sizeof(cookie)), 114);
	sfx.cookie = cookie;
	sfx.cookie_len = sizeof(cookie);
	sfx.p256 = p256_key("8c 51 06 01 f9 76 5b fb 8e d6 93 44 9a 48 98 98"
			    "59 b5 cf a8 79 cb 9f 54 43 c4 1c 5f f1 06 34 ed",
			    "04 58 3e 05 4b 7a 66 67 2a e0 20 ad 9d 26 86 fc c8"
			    "5b 5a d4 1a 13 4a 0f 03 ee 72 b8 93 05 2b d8 5b 4c"
			    "8d e6 77 6f 5b 04 ac 07 d8 35 40 ea b3 e3 d9 c5 47"
			    "bc 65 28 c4 31 7d 29 46 86 09 3a 6c ad 7d");
	tg_test_hs_srv_cfg(&sc, &env);
	sc.versions = TG_HS_VERSION_TLS13;
	memcpy(sc.groups, srv_groups, sizeof(srv_groups));
	sc.n_groups = 3;
	TG_ASSERT_OK(tg_hs_new(&sc, NULL, &hs));
	tg_srv13_fixed = &sfx;
	wl = hex(s5_ch1, want, sizeof(want));
	n = plain_rec(in, TG_CT_HANDSHAKE, want, wl);
	TG_ASSERT_OK(tg_hs_feed(hs, in, n, &used));
	n = tg_hs_output(hs, out, sizeof(out));
	wl = hex(s5_hrr, want, sizeof(want));
	CU_ASSERT_EQUAL(n, 5 + wl); /* no CCS: no legacy_session_id */
	CU_ASSERT_EQUAL(memcmp(out + 5, want, wl), 0);
	wl = hex(s5_ch2, want, sizeof(want));
	n = plain_rec(in, TG_CT_HANDSHAKE, want, wl);
	TG_ASSERT_OK(tg_hs_feed(hs, in, n, &used));
	tg_srv13_fixed = NULL;
	CU_ASSERT_EQUAL(used, n);
	n = tg_hs_output(hs, out, sizeof(out));
	wl = hex(s5_sh, want, sizeof(want));
	CU_ASSERT_FATAL(n > 5 + wl);
	CU_ASSERT_EQUAL(memcmp(out + 5, want, wl), 0);
	CU_ASSERT_EQUAL(tg_hs_info(hs)->group, TG_GROUP_SECP256R1);
	CU_ASSERT(open_trace(hs->ks.s_hs, s5_srv_flight, pl, sizeof(pl)) > 0);
	n = open_all(hs->ks.s_hs, out + 5 + wl, n - 5 - wl, pl, sizeof(pl));
	CU_ASSERT_FATAL(n > 16);
	eq_hex(pl, 16, ee_ours);
	tg_hs_free(hs);
	hs = NULL;
	EVP_PKEY_free(sfx.p256);

	/* our client */
	cfx.p256 = p256_key("ab 54 73 46 7e 19 34 6c eb 0a 04 14 e4 1d a2 1d"
			    "4d 24 45 bc 30 25 af e9 7c 4e 8d c8 d5 13 da 39",
			    "04 a6 da 73 92 ec 59 1e 17 ab fd 53 59 64 b9 98 94"
			    "d1 3b ef b2 21 b3 de f2 eb e3 83 0e ac 8f 01 51 81"
			    "26 77 c4 d6 d2 23 7e 85 cf 01 d6 91 0c fb 83 95 4e"
			    "76 ba 73 52 83 05 34 15 98 97 e8 06 57 80");
	trace_cli_cfg(&cfg);
	memcpy(cfg.groups, cli_groups, sizeof(cli_groups));
	cfg.n_groups = 3;
	tg_cli13_fixed = &cfx;
	TG_ASSERT_OK(tg_hs_new(&cfg, NULL, &hs));
	n = tg_hs_output(hs, out, sizeof(out));
	wl = hex(s5_ch1, want, sizeof(want));
	CU_ASSERT_EQUAL(n, 5 + wl);
	CU_ASSERT_EQUAL(memcmp(out + 5, want, wl), 0);
	CU_ASSERT_PTR_NULL(tg_cli13_fixed);
	wl = hex(s5_hrr, want, sizeof(want));
	n = plain_rec(in, TG_CT_HANDSHAKE, want, wl);
	tg_cli13_fixed = &cfx; /* ClientHello2's P-256 key */
	TG_ASSERT_OK(tg_hs_feed(hs, in, n, &used));
	CU_ASSERT_PTR_NULL(tg_cli13_fixed);
	CU_ASSERT_EQUAL(used, n);
	n = tg_hs_output(hs, out, sizeof(out));
	wl = hex(s5_ch2, want, sizeof(want));
	wl = ch_cut_ext(want, wl, 0x0015); /* the trace's padding */
	CU_ASSERT_EQUAL_FATAL(n, 5 + wl);
	/* the cookie: our last extension, the trace's after
	 * signature_algorithms; all else equal */
	memcpy(pl, out + 5, n - 5);
	CU_ASSERT_EQUAL(memcmp(pl + wl - 120, "\x00\x2c\x00\x74\x00\x72", 6), 0);
	CU_ASSERT_EQUAL(memcmp(pl + wl - 114, cookie, 114), 0);
	len = ch_cut_ext(pl, wl, 0x002c);
	wl = ch_cut_ext(want, wl, 0x002c);
	CU_ASSERT_EQUAL(len, wl);
	CU_ASSERT_EQUAL(memcmp(pl, want, wl), 0);
	tg_hs_free(hs);
	EVP_PKEY_free(cfx.p256);
}

/* The §3 resumption PSK (the ticket's, nonce 00 00) §4 resumes with. */
static const char s4_psk[] = "4e cd 0e b6 ec 3b 4d 87 f5 d6 02 8f 92 2c a4 c5"
			     "85 1a 27 7f d4 13 11 c9 e6 2d 2c 94 92 e1 c4 f3";

/*
 * RFC 8448 §4 (resumed 0-RTT). Our server, fed the trace's ClientHello
 * and its 0-RTT record, with the trace server's random and X25519 key
 * and §3's resumption PSK standing for the trace server's ticket
 * (tg_srv13_fixed: the ticket is the trace server's, sealed with keys
 * we do not have): the binder verifies, the 0-RTT record is skipped
 * (early data declined), the ServerHello is the trace's byte for byte
 * and the handshake secrets are the trace's (the trace's server flight
 * opens under our s_hs, the trace's EndOfEarlyData under our c_hs). Our
 * EncryptedExtensions lacks early_data (declined) and supported_groups;
 * from there the transcripts differ: our Finished verifies over ours, a
 * client Finished over ours is taken. Our client, resuming the §3
 * ticket with the trace's random and X25519 key: its ClientHello is the
 * trace's without early_data (we never send early data) and padding
 * (RFC 7685, which we do not send), with the obfuscated age of now
 * rather than the trace's 6 ms; its binder is the one over that
 * ClientHello.
 */
static void test_rfc8448_resumed(void)
{
	struct tg_srv13_fixed sfx = {
		.random = { 0x3c, 0xcf, 0xd2, 0xde, 0xc8, 0x90, 0x22, 0x27,
			    0x63, 0x47, 0x2a, 0xe8, 0x13, 0x67, 0x77, 0xc9,
			    0xd7, 0x35, 0x87, 0x77, 0xbb, 0x66, 0xe9, 0x1e,
			    0xa5, 0x12, 0x24, 0x95, 0xf5, 0x59, 0xea, 0x2d },
		.x25519 = { 0xde, 0x5b, 0x44, 0x76, 0xe7, 0xb4, 0x90, 0xb2,
			    0x65, 0x2d, 0x33, 0x8a, 0xcb, 0xf2, 0x94, 0x80,
			    0x66, 0xf2, 0x55, 0xf9, 0x44, 0x0e, 0x23, 0xb9,
			    0x8f, 0xc6, 0x98, 0x35, 0x29, 0x8d, 0xc1, 0x07 },
	};
	static const struct tg_cli13_fixed cfx = {
		.random = { 0x1b, 0xc3, 0xce, 0xb6, 0xbb, 0xe3, 0x9c, 0xff,
			    0x93, 0x83, 0x55, 0xb5, 0xa5, 0x0a, 0xdb, 0x6d,
			    0xb2, 0x1b, 0x7a, 0x6a, 0xf6, 0x49, 0xd7, 0xb4,
			    0xbc, 0x41, 0x9d, 0x78, 0x76, 0x48, 0x7d, 0x95 },
		.x25519 = { 0xbf, 0xf9, 0x11, 0x88, 0x28, 0x38, 0x46, 0xdd,
			    0x6a, 0x21, 0x34, 0xef, 0x71, 0x80, 0xca, 0x2b,
			    0x0b, 0x14, 0xfb, 0x10, 0xdc, 0xe7, 0x07, 0xb5,
			    0x09, 0x8c, 0x0d, 0xdd, 0xc8, 0x13, 0xb2, 0xdf },
	};
	struct tg_hs_config sc, cfg;
	struct tg_hs *hs = NULL;
	uint8_t in[4096], out[8192], want[4096], pl[4096], psk[32], tr[4096];
	uint8_t th[TG_HASH_MAX_LEN], fin[36], bk[TG_KS_MAX];
	size_t n, wl, used, chl, len, trl;
	struct tg_hs_session s;
	struct tg_ks ks;
	struct tg_accel_sess *a;
	struct timespec ts;

	CU_ASSERT_EQUAL_FATAL(hex(s4_psk, psk, sizeof(psk)), 32);
	/* our server */
	sfx.psk = psk;
	tg_test_hs_srv_cfg(&sc, &env);
	sc.versions = TG_HS_VERSION_TLS13;
	sc.tickets = env.tickets;
	TG_ASSERT_OK(tg_hs_new(&sc, NULL, &hs));
	n = hex(s4_ch, in, sizeof(in));
	chl = n - 5;
	memcpy(tr, in + 5, chl);
	n += hex(s4_early, in + n, sizeof(in) - n);
	tg_srv13_fixed = &sfx;
	TG_ASSERT_OK(tg_hs_feed(hs, in, n, &used));
	tg_srv13_fixed = NULL;
	CU_ASSERT_EQUAL(used, n);
	CU_ASSERT_EQUAL(tg_hs_info(hs)->resumed, TG_HS_RESUMED_TICKET);
	n = tg_hs_output(hs, out, sizeof(out));
	wl = hex(s4_sh, want, sizeof(want));
	CU_ASSERT_FATAL(n > 5 + wl);
	CU_ASSERT_EQUAL(memcmp(out + 5, want, wl), 0);
	memcpy(tr + chl, want, wl);
	trl = chl + wl;
	/* the trace's EncryptedExtensions and Finished under our s_hs, its
	 * client Finished (after EndOfEarlyData, which is under the early
	 * traffic key) under our c_hs */
	CU_ASSERT_EQUAL(open_trace(hs->ks.s_hs, s4_srv_flight, pl, sizeof(pl)),
			44 + 36);
	len = hex(s4_cli_fin, in, sizeof(in));
	CU_ASSERT_EQUAL(open_all(hs->ks.c_hs, in + 5 + 0x15, len - 5 - 0x15, pl,
				 sizeof(pl)),
			36);
	CU_ASSERT_EQUAL(pl[0], TG_HS_FINISHED);
	/* ours: EncryptedExtensions, a Finished over our transcript */
	len = open_all(hs->ks.s_hs, out + 5 + wl, n - 5 - wl, pl, sizeof(pl));
	CU_ASSERT_EQUAL_FATAL(len, 16 + 36);
	eq_hex(pl, 16, ee_ours);
	memcpy(tr + trl, pl, 16);
	trl += 16;
	TG_ASSERT_OK(tg_hash(TG_HASH_SHA256, tr, trl, th));
	TG_ASSERT_OK(tg_ks_finished_check(TG_HASH_SHA256, hs->ks.s_hs, th, pl + 20,
					  32));
	memcpy(tr + trl, pl + 16, 36);
	trl += 36;
	/* a client Finished over it under c_hs: taken */
	TG_ASSERT_OK(tg_hash(TG_HASH_SHA256, tr, trl, th));
	fin[0] = TG_HS_FINISHED;
	fin[1] = fin[2] = 0;
	fin[3] = 32;
	TG_ASSERT_OK(tg_ks_finished(TG_HASH_SHA256, hs->ks.c_hs, th, fin + 4));
	a = sess_raw(hs->ks.c_hs, TG_DIR_SEAL);
	n = seal_rec(a, TG_CT_HANDSHAKE, fin, sizeof(fin), in, sizeof(in));
	tg_accel_sess_free(a);
	TG_ASSERT_OK(tg_hs_feed(hs, in, n, &used));
	CU_ASSERT(tg_hs_events(hs) & TG_HS_EV_KEYS_READY);
	tg_hs_free(hs);
	hs = NULL;

	/* our client, resuming §3's ticket */
	memset(&s, 0, sizeof(s));
	s.valid = true;
	s.tls13 = true;
	s.suite = 0x1301;
	memcpy(s.master, psk, 32);
	n = hex(s4_ch, in, sizeof(in));
	s.ticket_len = 178;
	memcpy(s.ticket, in + n - 32 - 3 - 4 - 178, 178);
	s.age_add = 0xfad6aac5;
	s.lifetime = 30;
	clock_gettime(CLOCK_REALTIME, &ts);
	s.received_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 - 6;
	snprintf(s.sni, sizeof(s.sni), "server");
	trace_cli_cfg(&cfg);
	tg_cli13_fixed = &cfx;
	TG_ASSERT_OK(tg_hs_new(&cfg, &s, &hs));
	tg_cli13_fixed = NULL;
	n = tg_hs_output(hs, out, sizeof(out));
	wl = hex(s4_ch, want, sizeof(want)) - 5;
	memmove(want, want + 5, wl);
	wl = ch_cut_ext(want, wl, 0x002a); /* early_data */
	wl = ch_cut_ext(want, wl, 0x0015); /* padding */
	CU_ASSERT_EQUAL_FATAL(n, 5 + wl);
	/* all but the obfuscated age and the binder */
	CU_ASSERT_EQUAL(memcmp(out + 5, want, wl - 32 - 3 - 4), 0);
	CU_ASSERT_EQUAL(memcmp(out + 5 + wl - 35, want + wl - 35, 3), 0);
	{
		const uint8_t *p = out + 5 + wl - 39;
		uint32_t age = ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
				(uint32_t)p[2] << 8 | p[3]) - 0xfad6aac5u;

		CU_ASSERT(age >= 6 && age < 6 + 10000);
	}
	/* the binder over our ClientHello cut before the binders */
	TG_ASSERT_OK(tg_hash(TG_HASH_SHA256, out + 5, wl - 35, th));
	TG_ASSERT_OK(tg_ks_init(&ks, TG_HASH_SHA256, psk, 32));
	TG_ASSERT_OK(tg_ks_binder_key(&ks, false, bk));
	TG_ASSERT_OK(tg_ks_finished_check(TG_HASH_SHA256, bk, th, out + 5 + wl - 32,
					  32));
	tg_ks_wipe(&ks);
	tg_hs_free(hs);
}

/* §6's close_notify records, each the first under its direction's
 * application key. */
static const char s6_cli_close[] =
	"17 03 03 00 13 e4 ad 7d 44 c2 92 45 33 9d 35 59 62 c7 79 b8 9e f4 4c 58";
static const char s6_srv_close[] =
	"17 03 03 00 13 1d ec c5 d6 e6 4b ba 8a 6f 21 b4 fd 07 74 97 da 2a 90 cb";

/* The trace's record @p rec (hex) opens under @p k, a close_notify. */
static bool close_notify_opens(struct tg_keys *k, const char *rec)
{
	struct tg_accel_sess *s = NULL;
	uint8_t in[64], *p, type;
	size_t n = hex(rec, in, sizeof(in)), used, len;
	bool ok;

	k->dir = TG_DIR_OPEN;
	TG_ASSERT_OK(tg_accel_sess_create(env.acc, k, &s));
	ok = open_rec(s, in, n, &used, &type, &p, &len) && type == TG_CT_ALERT &&
	     len == 2 && p[1] == 0;
	tg_accel_sess_free(s);
	return ok;
}

/*
 * RFC 8448 §6 (client authentication). Our server with the trace
 * server's random and X25519 key, asking for a client certificate: the
 * ServerHello byte for byte, the handshake secret the trace's; our
 * CertificateRequest differs from the trace's (below). Our client with
 * the trace's random and X25519 key: the ClientHello byte for byte; fed
 * the trace's server flight (ECDSA certificate, CertificateRequest), it
 * answers with its own certificate: the trace client's private key is
 * not in the RFC, so its Certificate, CertificateVerify and Finished
 * are ours (verified here); the trace's client flight opens under our
 * c_hs, and its CertificateVerify and Finished verify over the trace's
 * transcript; the application keys are the trace's (the trace's
 * close_notify records open under them: they follow from the
 * transcript through the server Finished).
 */
static void test_rfc8448_client_auth(void)
{
	static const struct tg_srv13_fixed sfx = {
		.random = { 0x3b, 0x50, 0xfd, 0xf1, 0xc3, 0xd5, 0x72, 0xe4,
			    0x0e, 0x68, 0x95, 0x3e, 0x7f, 0xff, 0x4e, 0x27,
			    0x58, 0x45, 0x9c, 0x59, 0xaf, 0xa0, 0x58, 0x2c,
			    0x0e, 0xa0, 0x32, 0x87, 0x42, 0x55, 0xfe, 0x6e },
		.x25519 = { 0x73, 0x82, 0xa5, 0xad, 0x1c, 0xdd, 0x20, 0x56,
			    0xae, 0x18, 0xcc, 0x70, 0x8b, 0xd0, 0x07, 0xd9,
			    0x81, 0x30, 0xdb, 0xe2, 0xcd, 0x4d, 0x9e, 0xad,
			    0x9b, 0x96, 0x95, 0x2b, 0xec, 0xbb, 0x08, 0x88 },
	};
	static const struct tg_cli13_fixed cfx = {
		.random = { 0x6a, 0x47, 0x22, 0x36, 0x32, 0x8b, 0x83, 0xaf,
			    0x40, 0x38, 0x6d, 0x3a, 0x3e, 0x1f, 0x1c, 0xe6,
			    0x24, 0xfa, 0x4e, 0xd8, 0x9a, 0xb8, 0x65, 0xa4,
			    0xff, 0x0f, 0x41, 0x44, 0xce, 0x3a, 0xe2, 0x33 },
		.x25519 = { 0xc0, 0x40, 0xb2, 0xbb, 0x8f, 0x3a, 0xdd, 0xd2,
			    0x0f, 0xd4, 0x05, 0x8c, 0x54, 0x70, 0x03, 0xa3,
			    0xc6, 0xf9, 0xc1, 0xcd, 0x91, 0x5d, 0x5e, 0x53,
			    0x5c, 0x87, 0xd8, 0xd1, 0x91, 0xaa, 0xf0, 0x71 },
	};
	struct tg_hs_config sc, cfg;
	struct tg_hs *hs = NULL;
	uint8_t in[4096], out[8192], want[4096], pl[4096], tr[8192], th[TG_HASH_MAX_LEN];
	uint8_t content[TG_HS13_CV_CONTENT_MAX];
	size_t n = 0, wl = 0, used = 0, len = 0, off = 0, ml = 0, trl = 0, o2 = 0, l2 = 0, srv_end = 0;
	struct tg_keys tx, rx;

	/* our server */
	tg_test_hs_srv_cfg(&sc, &env);
	sc.versions = TG_HS_VERSION_TLS13;
	sc.client_auth = TG_HS_CLIENT_AUTH_OPTIONAL;
	trace_cli_cfg(&cfg);
	memcpy(sc.sigalgs, cfg.sigalgs, sizeof(sc.sigalgs));
	sc.n_sigalgs = cfg.n_sigalgs;
	sc.client_ca = NULL; /* no certificate_authorities */
	TG_ASSERT_OK(tg_hs_new(&sc, NULL, &hs));
	n = hex(s6_ch, in, sizeof(in));
	tg_srv13_fixed = &sfx;
	TG_ASSERT_OK(tg_hs_feed(hs, in, n, &used));
	tg_srv13_fixed = NULL;
	n = tg_hs_output(hs, out, sizeof(out));
	wl = hex(s6_sh, want, sizeof(want));
	CU_ASSERT_FATAL(n > wl);
	CU_ASSERT_EQUAL(memcmp(out, want, wl), 0);
	/* the trace's flight under our s_hs: its CertificateRequest second */
	len = open_trace(hs->ks.s_hs, s6_srv_flight, pl, sizeof(pl));
	CU_ASSERT_FATAL(msg_at(pl, len, 1, &off, &ml));
	eq_hex(pl + off, ml, s6_cr);
	/* ours: EncryptedExtensions, CertificateRequest, ... */
	len = open_all(hs->ks.s_hs, out + wl, n - wl, pl, sizeof(pl));
	CU_ASSERT_FATAL(msg_at(pl, len, 1, &off, &ml));
	eq_hex(pl, 16, ee_ours);
	/* the trace's schemes that TLS 1.3 takes for a CertificateVerify
	 * (RFC 8446 §4.2.3): not PKCS#1 v1.5, DSA nor SHA-1 */
	eq_hex(pl + off, ml, "0d 00 00 15 00 00 12 00 0d 00 0e 00 0c 04 03 05 03"
			     "06 03 08 04 08 05 08 06");
	tg_hs_free(hs);
	hs = NULL;

	/* our client */
	trace_cli_cfg(&cfg);
	cfg.client_cert = env.client_cert;
	tg_cli13_fixed = &cfx;
	TG_ASSERT_OK(tg_hs_new(&cfg, NULL, &hs));
	tg_cli13_fixed = NULL;
	n = tg_hs_output(hs, out, sizeof(out));
	wl = hex(s6_ch, want, sizeof(want));
	CU_ASSERT_EQUAL(n, wl);
	CU_ASSERT_EQUAL(memcmp(out + 5, want + 5, wl - 5), 0);
	memcpy(tr, want + 5, wl - 5);
	trl = wl - 5;
	n = hex(s6_sh, in, sizeof(in));
	memcpy(tr + trl, in + 5, n - 5);
	trl += n - 5;
	n += hex(s6_srv_flight, in + n, sizeof(in) - n);
	TG_ASSERT_OK(tg_hs_feed(hs, in, n, &used));
	CU_ASSERT_EQUAL(used, n);
	CU_ASSERT(tg_hs_events(hs) & TG_HS_EV_KEYS_READY);
	CU_ASSERT_EQUAL(tg_hs_info(hs)->sigalg, TG_SIG_ECDSA_SECP256R1_SHA256);
	len = open_trace(hs->ks.s_hs, s6_srv_flight, tr + trl, sizeof(tr) - trl);
	CU_ASSERT_FATAL(len > 0);
	trl += len;
	srv_end = trl;
	/* the trace's client flight under our c_hs: Certificate,
	 * CertificateVerify (RSA-PSS) and Finished verify over the trace's
	 * transcript */
	len = open_trace(hs->ks.c_hs, s6_cli_flight, pl, sizeof(pl));
	CU_ASSERT_FATAL(msg_at(pl, len, 0, &off, &ml) && pl[off] == TG_HS_CERTIFICATE);
	{
		const uint8_t *der = pl + off + 11;
		X509 *x = d2i_X509(NULL, &der, (long)(ml - 11));
		struct tg_wcur cw = tg_wcur_init(content, sizeof(content));

		CU_ASSERT_PTR_NOT_NULL_FATAL(x);
		memcpy(tr + trl, pl + off, ml);
		trl += ml;
		TG_ASSERT_OK(tg_hash(TG_HASH_SHA256, tr, trl, th));
		TG_ASSERT_OK(tg_hs13_cv_content(false, th, 32, &cw));
		CU_ASSERT_FATAL(msg_at(pl, len, 1, &o2, &l2) &&
				pl[o2] == TG_HS_CERTIFICATE_VERIFY);
		CU_ASSERT_EQUAL(pl[o2 + 4] << 8 | pl[o2 + 5], 0x0804);
		TG_ASSERT_OK(tg_sig_verify(0x0804, X509_get0_pubkey(x), content, cw.pos,
					   pl + o2 + 8, l2 - 8));
		X509_free(x);
		memcpy(tr + trl, pl + o2, l2);
		trl += l2;
		CU_ASSERT_FATAL(msg_at(pl, len, 2, &o2, &l2) && l2 == 36);
		TG_ASSERT_OK(tg_hash(TG_HASH_SHA256, tr, trl, th));
		TG_ASSERT_OK(tg_ks_finished_check(TG_HASH_SHA256, hs->ks.c_hs, th,
						  pl + o2 + 4, 32));
	}
	/* ours: our Certificate and CertificateVerify (ECDSA), a Finished
	 * over our transcript */
	trl = srv_end;
	n = tg_hs_output(hs, out, sizeof(out));
	len = open_all(hs->ks.c_hs, out, n, pl, sizeof(pl));
	CU_ASSERT_FATAL(msg_at(pl, len, 2, &o2, &l2) && l2 == 36 && o2 + l2 == len);
	CU_ASSERT_EQUAL(pl[0], TG_HS_CERTIFICATE);
	CU_ASSERT_FATAL(msg_at(pl, len, 1, &off, &ml));
	CU_ASSERT_EQUAL(pl[off], TG_HS_CERTIFICATE_VERIFY);
	CU_ASSERT_EQUAL(pl[off + 4] << 8 | pl[off + 5], 0x0403);
	memcpy(tr + trl, pl, o2);
	trl += o2;
	TG_ASSERT_OK(tg_hash(TG_HASH_SHA256, tr, trl, th));
	TG_ASSERT_OK(tg_ks_finished_check(TG_HASH_SHA256, hs->ks.c_hs, th,
					  pl + o2 + 4, 32));
	TG_ASSERT_OK(tg_hs_export_keys(hs, &tx, &rx));
	CU_ASSERT(close_notify_opens(&tx, s6_cli_close));
	CU_ASSERT(close_notify_opens(&rx, s6_srv_close));
	TG_WIPE_OBJ(tx);
	TG_WIPE_OBJ(rx);
	tg_hs_free(hs);
}

/* RFC 8448's RSA private key (the §3 server's, which the RFC gives as
 * its modulus, exponents and primes) in PKCS#8 PEM, as Botan's RFC 8448
 * test data has it; tg_cert_load() checks it against the trace's
 * certificate (modulus b4 bb 49 8f ..., exponent 01 00 01). */
static const char s3_rsa_key_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBALS7SY+CeTA9mAg2\n"
	"OZs2xpiMDGjeVeG9uCbTkBokYer9LeSakdAVq7yalRN6zmwa8Z6qavmMfO1DEgmY\n"
	"4YeoDuDMsFJLGwGMPgtjJk1Emm044ipf2kMIRnSAMFMO8EYcjKnZ77+ujqbR0D4r\n"
	"0ZPv8KuagALEdCim01qNiNeffx4/AgMBAAECgYAE3qcF1DpupyCd2AchEag8geMi\n"
	"pZJ4szSAZB6vfApphbjjHET23mLhtMIwn2Em53t8QekjMUu/o4gTBdwSF/FsgZzl\n"
	"OOki82mCjQ5XGV2MhIhGAgey+qcmvPcIu9fbf2efiTSS/CpiLgiXCqxEHOTgwwiN\n"
	"8lrmeSM9+KO9ov+ZQQJBAOQ1+3zINzd1bazqlqt/WaLMEGnbfesZDhfjOlMrJz8w\n"
	"oyeqCqq8WM1nRmr5hF+txnX+CUr5LEvR8sG8M90uBRUCQQDKvTvA4EOGZMjUzJ+Z\n"
	"l3qU2bv+rY5Dhwq64/fri04O7orx2bRxm6YZbPLLuu7r+LNJCv6en/p0qIqlH8ZF\n"
	"YpMDAkA/VzRcJ/4baH5udhYnt4sbgmQz3XYPoL6mpqzzlJCqG0fNpIadaPWE3VtQ\n"
	"Kb0yCTuCWGYf5xUCXl1wpFoI09MZAkAYPaATY70vKIXKy9yZZL9HZPFRdjb4ZAEo\n"
	"b3GJPFLM/kCmwj0NCGtHxvsQ2P0QQeBN736aQM6VfEF3lOEEEtE5AkEAg5ypoIXk\n"
	"KGsskORmmXosaB8hM5qjR3gU5N7BGDMFDtUN0TzAOASKQ8WbKsxBaInAN2Zf5a+m\n"
	"BZafjAHfpcqWnQ==\n"
	"-----END PRIVATE KEY-----\n";

/*
 * RFC 8448 §3 from the server's side with the trace's RSA key and
 * certificate loaded: EncryptedExtensions as in test_rfc8448_server,
 * then the Certificate byte for byte; the CertificateVerify is
 * rsa_pss_rsae_sha256 as the trace's, but RSA-PSS is randomized (its
 * salt), so it is verified with the certificate's key over our
 * transcript; so is the Finished, under the trace's s_hs.
 */
static void test_rfc8448_server_rsa(void)
{
	static const struct tg_srv13_fixed fx = {
		.random = { 0xa6, 0xaf, 0x06, 0xa4, 0x12, 0x18, 0x60, 0xdc,
			    0x5e, 0x6e, 0x60, 0x24, 0x9c, 0xd3, 0x4c, 0x95,
			    0x93, 0x0c, 0x8a, 0xc5, 0xcb, 0x14, 0x34, 0xda,
			    0xc1, 0x55, 0x77, 0x2e, 0xd3, 0xe2, 0x69, 0x28 },
		.x25519 = { 0xb1, 0x58, 0x0e, 0xea, 0xdf, 0x6d, 0xd5, 0x89,
			    0xb8, 0xef, 0x4f, 0x2d, 0x56, 0x52, 0x57, 0x8c,
			    0xc8, 0x10, 0xe9, 0x98, 0x01, 0x91, 0xec, 0x8d,
			    0x05, 0x83, 0x08, 0xce, 0xa2, 0x16, 0xa2, 0x1e },
	};
	char kp[] = "/tmp/tg8448k.XXXXXX", cp[] = "/tmp/tg8448c.XXXXXX";
	struct tg_hs_config sc;
	struct tg_hs *hs = NULL;
	struct tg_cert *c = NULL;
	struct tg_cert_store *store = NULL;
	uint8_t in[4096], out[8192], want[4096], pl[4096], tr[8192], th[TG_HASH_MAX_LEN];
	uint8_t content[TG_HS13_CV_CONTENT_MAX], s_hs[32];
	struct tg_wcur cw = tg_wcur_init(content, sizeof(content));
	size_t n = 0, wl = 0, used = 0, len = 0, trl = 0, off = 0, ml = 0;
	const uint8_t *der;
	X509 *x;
	FILE *f;
	int fd;

	/* the trace's certificate (from its Certificate message) and key */
	wl = hex(s3_cert, want, sizeof(want));
	der = want + 11;
	x = d2i_X509(NULL, &der, (long)(wl - 11));
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	fd = mkstemp(cp);
	CU_ASSERT_FATAL(fd >= 0);
	f = fdopen(fd, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(PEM_write_X509(f, x), 1);
	fclose(f);
	X509_free(x);
	fd = mkstemp(kp);
	CU_ASSERT_FATAL(fd >= 0);
	f = fdopen(fd, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fputs(s3_rsa_key_pem, f) >= 0, 1);
	fclose(f);
	TG_ASSERT_OK(tg_cert_load(cp, kp, &c));
	unlink(cp);
	unlink(kp);
	TG_ASSERT_OK(tg_cert_store_new(0, &store));
	TG_ASSERT_OK(tg_cert_store_add(store, c, true));

	tg_test_hs_srv_cfg(&sc, &env);
	sc.versions = TG_HS_VERSION_TLS13;
	sc.certs = store;
	TG_ASSERT_OK(tg_hs_new(&sc, NULL, &hs));
	trl = hex(s3_ch, tr, sizeof(tr));
	n = plain_rec(in, TG_CT_HANDSHAKE, tr, trl);
	tg_srv13_fixed = &fx;
	TG_ASSERT_OK(tg_hs_feed(hs, in, n, &used));
	tg_srv13_fixed = NULL;
	n = tg_hs_output(hs, out, sizeof(out));
	wl = hex(s3_sh, tr + trl, sizeof(tr) - trl);
	CU_ASSERT_FATAL(n > 5 + wl);
	CU_ASSERT_EQUAL(memcmp(out + 5, tr + trl, wl), 0);
	trl += wl;
	CU_ASSERT_EQUAL_FATAL(hex(s3_s_hs, s_hs, sizeof(s_hs)), 32);
	len = open_all(s_hs, out + 5 + wl, n - 5 - wl, pl, sizeof(pl));
	/* EncryptedExtensions, then the trace's Certificate */
	CU_ASSERT_FATAL(msg_at(pl, len, 3, &off, &ml) && off + ml == len);
	eq_hex(pl, 16, ee_ours);
	CU_ASSERT_FATAL(msg_at(pl, len, 1, &off, &ml));
	wl = hex(s3_cert, want, sizeof(want));
	CU_ASSERT_EQUAL(ml, wl);
	CU_ASSERT_EQUAL(memcmp(pl + off, want, wl), 0);
	/* CertificateVerify: rsa_pss_rsae_sha256, verifies */
	memcpy(tr + trl, pl, off + ml);
	trl += off + ml;
	TG_ASSERT_OK(tg_hash(TG_HASH_SHA256, tr, trl, th));
	TG_ASSERT_OK(tg_hs13_cv_content(true, th, 32, &cw));
	CU_ASSERT_FATAL(msg_at(pl, len, 2, &off, &ml));
	CU_ASSERT_EQUAL(pl[off + 4] << 8 | pl[off + 5], 0x0804);
	CU_ASSERT_EQUAL(ml, 4 + 4 + 128);
	TG_ASSERT_OK(tg_sig_verify(0x0804, tg_cert_pkey(c), content, cw.pos,
				   pl + off + 8, ml - 8));
	memcpy(tr + trl, pl + off, ml);
	trl += ml;
	/* Finished under the trace's s_hs over our transcript */
	CU_ASSERT_FATAL(msg_at(pl, len, 3, &off, &ml) && ml == 36);
	TG_ASSERT_OK(tg_hash(TG_HASH_SHA256, tr, trl, th));
	TG_ASSERT_OK(tg_ks_finished_check(TG_HASH_SHA256, s_hs, th, pl + off + 4, 32));
	tg_hs_free(hs);
	tg_cert_store_unref(store);
}

struct srv {
	struct tg_hs *c;
	tg_result r;
	uint8_t tr[16384];
	size_t trl;
	struct tg_hs_client_hello ch;
	uint8_t ch_raw[4096];
	size_t ch_len;
	struct tg_ks ks;
	struct tg_kx kx;
	struct tg_accel_sess *tx;
};

static void tr_add(struct srv *s, const uint8_t *p, size_t n)
{
	CU_ASSERT_FATAL(s->trl + n <= sizeof(s->tr));
	memcpy(s->tr + s->trl, p, n);
	s->trl += n;
}

/* Take the client's output: its last ClientHello into s->ch. */
static void take_ch(struct srv *s)
{
	uint8_t out[8192];
	size_t n = tg_hs_output(s->c, out, sizeof(out)), off = 0;

	while (off + 5 <= n) {
		size_t l = (size_t)(out[off + 3] << 8 | out[off + 4]);

		if (out[off] == TG_CT_HANDSHAKE && out[off + 5] == TG_HS_CLIENT_HELLO) {
			struct tg_cur c = tg_cur_init(out + off + 9, l - 4);

			memcpy(s->ch_raw, out + off + 5, l);
			s->ch_len = l;
			tr_add(s, out + off + 5, l);
			c = tg_cur_init(s->ch_raw + 4, l - 4);
			TG_ASSERT_OK(tg_hs_client_hello_parse(&c, &s->ch));
		}
		off += 5 + l;
	}
}

static void srv_start(struct srv *s, const struct tg_hs_config *cfg)
{
	memset(s, 0, sizeof(*s));
	TG_ASSERT_OK(tg_hs_new(cfg, NULL, &s->c));
	take_ch(s);
}

static void srv_end(struct srv *s)
{
	tg_hs_free(s->c);
	tg_kx_free(&s->kx);
	tg_accel_sess_free(s->tx);
	tg_ks_wipe(&s->ks);
}

static void to_client(struct srv *s, const uint8_t *rec, size_t n)
{
	size_t used;

	if (tg_ok(s->r))
		s->r = tg_hs_feed(s->c, rec, n, &used);
}

/* Send a ServerHello (or HRR) built from @p sh in clear. */
static void send_sh(struct srv *s, struct tg_hs_server_hello *sh)
{
	uint8_t msg[2048], rec[2100];
	struct tg_wcur w = tg_wcur_init(msg, sizeof(msg));

	TG_ASSERT_OK(tg_hs_server_hello_write(&w, sh));
	tr_add(s, msg, w.pos);
	to_client(s, rec, plain_rec(rec, TG_CT_HANDSHAKE, msg, w.pos));
}

/* A TLS 1.3 ServerHello answering s->ch: suite, group, our share. */
static void sh13(struct srv *s, struct tg_hs_server_hello *sh, uint16_t suite,
		 uint16_t group, uint8_t *pub)
{
	size_t pl = 0;

	memset(sh, 0, sizeof(*sh));
	sh->version = TG_TLS12;
	CU_ASSERT_EQUAL(tg_rand_public(sh->random, 32).code, TG_OK.code);
	sh->session_id_len = s->ch.session_id_len;
	memcpy(sh->session_id, s->ch.session_id, s->ch.session_id_len);
	sh->suite = suite;
	sh->has_ext_block = true;
	sh->exts = TG_HS_EXT_SUPPORTED_VERSIONS | TG_HS_EXT_KEY_SHARE;
	sh->selected_version = TG_TLS13;
	sh->ks_group = group;
	if (pub != NULL) {
		tg_kx_free(&s->kx);
		TG_ASSERT_OK(tg_kx_keygen(&s->kx, group));
		TG_ASSERT_OK(tg_kx_public(&s->kx, pub, TG_KX_MAX_PUB, &pl));
	}
	sh->ks_pub.p = pub;
	sh->ks_pub.len = pl;
}

static void hrr(struct tg_hs_server_hello *sh, const struct srv *s, uint16_t group)
{
	memset(sh, 0, sizeof(*sh));
	sh->version = TG_TLS12;
	memcpy(sh->random, TG_TLS_HRR_RANDOM, 32);
	sh->hrr = true;
	sh->session_id_len = s->ch.session_id_len;
	memcpy(sh->session_id, s->ch.session_id, s->ch.session_id_len);
	sh->suite = TG_CS13_AES_128_GCM_SHA256;
	sh->has_ext_block = true;
	sh->exts = TG_HS_EXT_SUPPORTED_VERSIONS | TG_HS_EXT_KEY_SHARE;
	sh->selected_version = TG_TLS13;
	sh->ks_group = group;
}

/* After a good ServerHello (X25519, AES-128-GCM): the handshake keys. */
static void srv_keys(struct srv *s)
{
	struct tg_hs_bytes share;
	uint8_t dhe[64], th[TG_HASH_MAX_LEN];
	size_t dl;
	struct tg_keys k;

	CU_ASSERT_FATAL(tg_hs_key_share_find(&s->ch, TG_GROUP_X25519, &share));
	TG_ASSERT_OK(tg_kx_derive(&s->kx, share.p, share.len, dhe, sizeof(dhe), &dl));
	TG_ASSERT_OK(tg_hash(TG_HASH_SHA256, s->tr, s->trl, th));
	TG_ASSERT_OK(tg_ks_init(&s->ks, TG_HASH_SHA256, NULL, 0));
	TG_ASSERT_OK(tg_ks_handshake(&s->ks, dhe, dl, th));
	TG_ASSERT_OK(tg_ks_traffic_keys(TG_HASH_SHA256, TG_SUITE_AES128GCM,
					s->ks.s_hs, TG_DIR_SEAL, 0, &k));
	TG_ASSERT_OK(tg_accel_sess_create(env.acc, &k, &s->tx));
}

static void send_prot(struct srv *s, const uint8_t *msg, size_t n)
{
	uint8_t rec[20000];

	tr_add(s, msg, n);
	to_client(s, rec, seal_rec(s->tx, TG_CT_HANDSHAKE, msg, n, rec, sizeof(rec)));
}

/* The whole server flight after a good ServerHello; @p bad: 1 the
 * CertificateVerify's signature, 2 the Finished. */
static void flight(struct srv *s, int bad)
{
	uint8_t msg[8192], th[TG_HASH_MAX_LEN], content[TG_HS13_CV_CONTENT_MAX], sig[512];
	struct tg_wcur w = tg_wcur_init(msg, sizeof(msg));
	struct tg_wcur cw = tg_wcur_init(content, sizeof(content));
	struct tg_hs_encrypted_extensions ee;
	struct tg_hs13_certificate cm;
	struct tg_hs_certificate_verify cv;
	struct tg_hs13_finished fin;
	struct tg_cert_match m;
	const struct tg_der *chain;
	size_t n, sl;

	memset(&ee, 0, sizeof(ee));
	TG_ASSERT_OK(tg_hs_encrypted_extensions_write(&w, &ee));
	send_prot(s, msg, w.pos);
	TG_ASSERT_OK(tg_cert_store_select(env.store, TG_TEST_HS_HOST,
					  strlen(TG_TEST_HS_HOST), &m));
	chain = tg_cert_chain(m.c[0], &n);
	memset(&cm, 0, sizeof(cm));
	cm.n = n;
	for (size_t i = 0; i < n; i++) {
		cm.cert[i].p = chain[i].p;
		cm.cert[i].len = chain[i].len;
	}
	w = tg_wcur_init(msg, sizeof(msg));
	TG_ASSERT_OK(tg_hs13_certificate_write(&w, &cm));
	send_prot(s, msg, w.pos);
	TG_ASSERT_OK(tg_hash(TG_HASH_SHA256, s->tr, s->trl, th));
	TG_ASSERT_OK(tg_hs13_cv_content(true, th, 32, &cw));
	if (bad == 1)
		content[100] ^= 1;
	TG_ASSERT_OK(tg_sig_sign(TG_SIG_ECDSA_SECP256R1_SHA256, tg_cert_pkey(m.c[0]),
				 content, cw.pos, sig, sizeof(sig), &sl));
	cv.sigalg = TG_SIG_ECDSA_SECP256R1_SHA256;
	cv.sig.p = sig;
	cv.sig.len = sl;
	w = tg_wcur_init(msg, sizeof(msg));
	TG_ASSERT_OK(tg_hs_certificate_verify_write(&w, &cv));
	send_prot(s, msg, w.pos);
	TG_ASSERT_OK(tg_hash(TG_HASH_SHA256, s->tr, s->trl, th));
	TG_ASSERT_OK(tg_ks_finished(TG_HASH_SHA256, s->ks.s_hs, th, fin.verify_data));
	fin.len = 32;
	if (bad == 2)
		fin.verify_data[3] ^= 0x40;
	w = tg_wcur_init(msg, sizeof(msg));
	TG_ASSERT_OK(tg_hs13_finished_write(&w, &fin));
	send_prot(s, msg, w.pos);
}

static void expect(const struct srv *s, int code, uint8_t alert)
{
	if (s->r.code != code)
		fprintf(stderr, "expected %s, got %s\n", tg_strerror(code),
			tg_strerror(s->r.code));
	CU_ASSERT_EQUAL(s->r.code, code);
	CU_ASSERT_EQUAL(tg_hs_info(s->c)->alert_sent, alert);
}

static void test_scripted_ok(void)
{
	struct tg_hs_config cfg;
	struct srv s;
	struct tg_hs_server_hello sh;
	uint8_t pub[TG_KX_MAX_PUB];

	/* the script itself completes a handshake */
	cli_cfg(&cfg);
	srv_start(&s, &cfg);
	CU_ASSERT_EQUAL(s.ch.session_id_len, 32); /* compatibility mode */
	CU_ASSERT_TRUE(tg_hs_u16_has(&s.ch.versions, TG_TLS13));
	CU_ASSERT_FALSE(tg_hs_u16_has(&s.ch.versions, TG_TLS12));
	CU_ASSERT_EQUAL(s.ch.n_key_shares, 1);
	CU_ASSERT_TRUE(tg_hs_psk_mode_offered(&s.ch, TG_HS_PSK_DHE_KE));
	CU_ASSERT_TRUE(s.ch.exts & TG_HS_EXT_SIGNATURE_ALGS);
	sh13(&s, &sh, TG_CS13_AES_128_GCM_SHA256, TG_GROUP_X25519, pub);
	send_sh(&s, &sh);
	srv_keys(&s);
	flight(&s, 0);
	TG_ASSERT_OK(s.r);
	CU_ASSERT(tg_hs_events(s.c) & TG_HS_EV_KEYS_READY);
	srv_end(&s);
}

static void test_negative(void)
{
	struct tg_hs_config cfg, both;
	struct srv s;
	struct tg_hs_server_hello sh;
	uint8_t pub[TG_KX_MAX_PUB];

	cli_cfg(&cfg);
	both = cfg;
	both.versions |= TG_HS_VERSION_TLS12;

	/* downgrade (RFC 8446 §4.1.3): a TLS 1.2 ServerHello with
	 * DOWNGRD\1, a TLS 1.1 one with DOWNGRD\0 */
	for (int v = 0; v < 2; v++) {
		srv_start(&s, &both);
		memset(&sh, 0, sizeof(sh));
		sh.version = v == 0 ? TG_TLS12 : 0x0302;
		memcpy(sh.random + 24, "DOWNGRD", 7);
		sh.random[31] = v == 0 ? 1 : 0;
		sh.suite = 0xc02b;
		sh.has_ext_block = true;
		sh.exts = TG_HS_EXT_EMS | TG_HS_EXT_RENEGOTIATION_INFO;
		send_sh(&s, &sh);
		expect(&s, TG_E_ILLEGAL_PARAM, TG_ALERT_ILLEGAL_PARAMETER);
		srv_end(&s);
	}
	/* a TLS 1.2 ServerHello to a TLS 1.3-only client */
	srv_start(&s, &cfg);
	memset(&sh, 0, sizeof(sh));
	sh.version = TG_TLS12;
	sh.suite = 0xc02b;
	sh.has_ext_block = true;
	sh.exts = TG_HS_EXT_EMS;
	send_sh(&s, &sh);
	expect(&s, TG_E_PROTOCOL_VERSION, TG_ALERT_PROTOCOL_VERSION);
	srv_end(&s);
	/* a second HelloRetryRequest: unexpected_message (§4.1.4) */
	srv_start(&s, &cfg);
	hrr(&sh, &s, TG_GROUP_SECP256R1);
	send_sh(&s, &sh);
	TG_ASSERT_OK(s.r);
	take_ch(&s);
	CU_ASSERT_TRUE(tg_hs_key_share_find(&s.ch, TG_GROUP_SECP256R1,
					    &(struct tg_hs_bytes){ 0 }));
	hrr(&sh, &s, TG_GROUP_SECP384R1);
	send_sh(&s, &sh);
	expect(&s, TG_E_UNEXPECTED_MSG, TG_ALERT_UNEXPECTED_MESSAGE);
	srv_end(&s);
	/* an HRR that changes nothing: the group we sent a share for, or
	 * neither key_share nor cookie; a group we did not offer */
	for (int k = 0; k < 3; k++) {
		srv_start(&s, &cfg);
		hrr(&sh, &s, k == 0 ? TG_GROUP_X25519 : 0x0019);
		if (k == 1)
			sh.exts &= ~TG_HS_EXT_KEY_SHARE;
		send_sh(&s, &sh);
		expect(&s, TG_E_ILLEGAL_PARAM, TG_ALERT_ILLEGAL_PARAMETER);
		srv_end(&s);
	}
	/* an HRR with a cookie only is a change: echoed */
	srv_start(&s, &cfg);
	hrr(&sh, &s, 0);
	sh.exts = TG_HS_EXT_SUPPORTED_VERSIONS | TG_HS_EXT_COOKIE;
	sh.cookie.p = (const uint8_t *)"cookie!";
	sh.cookie.len = 7;
	send_sh(&s, &sh);
	TG_ASSERT_OK(s.r);
	take_ch(&s);
	CU_ASSERT_EQUAL(s.ch.cookie.len, 7);
	srv_end(&s);
	/* ServerHello for a group we sent no share for, a suite we did not
	 * offer, a TLS 1.2 suite, no key_share (missing_extension), ALPN
	 * in it (illegal_parameter), a selected_version 1.2 */
	for (int k = 0; k < 6; k++) {
		struct tg_hs_config c1 = cfg;

		c1.suites13[0] = TG_CS13_AES_128_GCM_SHA256;
		c1.n_suites13 = 1;
		srv_start(&s, &c1);
		sh13(&s, &sh,
		     k == 1 ? TG_CS13_AES_256_GCM_SHA384
			    : k == 2 ? 0xc02b : TG_CS13_AES_128_GCM_SHA256,
		     k == 0 ? TG_GROUP_SECP256R1 : TG_GROUP_X25519, pub);
		if (k == 3)
			sh.exts &= ~TG_HS_EXT_KEY_SHARE;
		if (k == 4) {
			sh.exts |= TG_HS_EXT_ALPN;
			sh.alpn.p = (const uint8_t *)"h2";
			sh.alpn.len = 2;
		}
		if (k == 5)
			sh.selected_version = TG_TLS12;
		send_sh(&s, &sh);
		if (k == 3)
			expect(&s, TG_E_MISSING_EXT, TG_ALERT_MISSING_EXTENSION);
		else
			expect(&s, TG_E_ILLEGAL_PARAM, TG_ALERT_ILLEGAL_PARAMETER);
		srv_end(&s);
	}
	/* psk_ke (no key_share, a pre_shared_key) we did not offer:
	 * missing_extension */
	srv_start(&s, &cfg);
	sh13(&s, &sh, TG_CS13_AES_128_GCM_SHA256, TG_GROUP_X25519, pub);
	sh.exts = (sh.exts & ~TG_HS_EXT_KEY_SHARE) | TG_HS_EXT_PRE_SHARED_KEY;
	send_sh(&s, &sh);
	expect(&s, TG_E_MISSING_EXT, TG_ALERT_MISSING_EXTENSION);
	srv_end(&s);
	/* a legacy_session_id not echoed */
	srv_start(&s, &cfg);
	sh13(&s, &sh, TG_CS13_AES_128_GCM_SHA256, TG_GROUP_X25519, pub);
	sh.session_id[0] ^= 1;
	send_sh(&s, &sh);
	expect(&s, TG_E_ILLEGAL_PARAM, TG_ALERT_ILLEGAL_PARAMETER);
	srv_end(&s);
	/* bad CertificateVerify, bad Finished: decrypt_error */
	for (int bad = 1; bad <= 2; bad++) {
		srv_start(&s, &cfg);
		sh13(&s, &sh, TG_CS13_AES_128_GCM_SHA256, TG_GROUP_X25519, pub);
		send_sh(&s, &sh);
		srv_keys(&s);
		flight(&s, bad);
		expect(&s, TG_E_DECRYPT_ERROR, TG_ALERT_DECRYPT_ERROR);
		srv_end(&s);
	}
	/* EncryptedExtensions: early_data we never offered
	 * (unsupported_extension), key_share (illegal_parameter), ALPN we
	 * did not offer (unsupported_extension) */
	for (int k = 0; k < 3; k++) {
		static const uint8_t ee_ed[] = { 8, 0, 0, 6, 0, 4, 0, 42, 0, 0 };
		static const uint8_t ee_ks[] = { 8, 0, 0, 8, 0, 6, 0, 51, 0, 2, 0, 29 };
		static const uint8_t ee_alpn[] = { 8, 0, 0, 11, 0, 9, 0, 16, 0, 5,
						   0, 3, 2, 'h', '2' };

		srv_start(&s, &cfg);
		sh13(&s, &sh, TG_CS13_AES_128_GCM_SHA256, TG_GROUP_X25519, pub);
		send_sh(&s, &sh);
		srv_keys(&s);
		if (k == 0)
			send_prot(&s, ee_ed, sizeof(ee_ed));
		else if (k == 1)
			send_prot(&s, ee_ks, sizeof(ee_ks));
		else
			send_prot(&s, ee_alpn, sizeof(ee_alpn));
		if (k == 1)
			expect(&s, TG_E_ILLEGAL_PARAM, TG_ALERT_ILLEGAL_PARAMETER);
		else
			expect(&s, TG_E_UNSUPPORTED_EXT, TG_ALERT_UNSUPPORTED_EXTENSION);
		srv_end(&s);
	}
}

static CU_TestInfo tests[] = {
	{ "ours both roles: suites x groups (HRR) x certificates x client auth",
	  test_ours_both_roles },
	{ "ours both roles: PSK-DHE resumption, ALPN, record_size_limit",
	  test_ours_resumption },
	{ "ours both roles: psk_ke resumption", test_ours_psk_ke },
	{ "ours both roles: version negotiation and the downgrade sentinel",
	  test_ours_versions },
	{ "RFC 8448 §3: ClientHello byte for byte, Finished, keys, secrets",
	  test_rfc8448_simple },
	{ "RFC 8448 §3 server: ServerHello byte for byte, secrets, Finished",
	  test_rfc8448_server },
	{ "RFC 8448 §3 server, the trace's RSA key: Certificate byte for byte",
	  test_rfc8448_server_rsa },
	{ "RFC 8448 §4: resumed, 0-RTT declined, both roles", test_rfc8448_resumed },
	{ "RFC 8448 §5: HelloRetryRequest, both roles", test_rfc8448_hrr },
	{ "RFC 8448 §6: client authentication, both roles",
	  test_rfc8448_client_auth },
	{ "RFC 8448 §7: compatibility mode, both roles", test_rfc8448_compat },
	{ "scripted server: a whole handshake", test_scripted_ok },
	{ "scripted server: the alerts RFC 8446 names", test_negative },
	CU_TEST_INFO_NULL,
};

static const struct tg_test_suite suites[] = {
	{ "hs13_client", suite_init, suite_fini, tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return tg_test_main(argc, argv, suites);
}
