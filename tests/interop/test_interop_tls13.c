/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS 1.3 interop of our handshake engine's server with OpenSSL's libssl
 * client, in memory (BIO pairs), the client offering TLS 1.3 only:
 *  - every suite x group x certificate (ECDSA P-256, P-384, RSA with
 *    RSA-PSS), with and without middlebox compatibility mode (RFC 8446
 *    §D.4), application data both ways through the exported keys
 *    (TG_TLS13, the 12-byte IV, the sequence after our tickets);
 *  - HelloRetryRequest (the client's share is not our first group);
 *  - SNI, ALPN, record_size_limit;
 *  - client authentication (required, optional, none sent, another CA);
 *  - version negotiation: a 1.3-only client against a 1.2-only server,
 *    a 1.2-only client against a 1.3-only server (protocol_version), and
 *    the downgrade sentinel with both on and a client capped at 1.2.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tg_alert.h"
#include "tg_hs.h"
#include "tg_interop.h"
#include "tg_test.h"
#include "tg_tls.h"

static const struct tg_test_hs_leaf more[] = {
	{ "ec384", "P-384", "p384.example.com", "DNS:p384.example.com",
	  TG_PKI_SERVER, TG_TEST_HS_STORE, false },
	{ "cli2", "P-256", "other client", "DNS:client.example.com",
	  TG_PKI_CLIENT, TG_TEST_HS_FILES, true },
};

static int suite_init(void)
{
	static const struct tg_test_hs_spec spec = {
		.prefix = "tginterop13", .ca_cn = "Interop CA",
		.other_ca_cn = "Other CA", .std_leaves = true, .leaves = more,
		.n_leaves = 2, .resumption = true,
	};

	return tgi_open(&spec);
}

static int suite_fini(void)
{
	return tgi_close();
}

static void srv_cfg(struct tg_hs_config *c)
{
	tgi_srv_cfg(c);
	c->versions = TG_HS_VERSION_TLS12 | TG_HS_VERSION_TLS13;
}

/* a libssl client offering TLS 1.3 only */
static struct tgi_peer peer13(void)
{
	struct tgi_peer o = { .sni = "www.example.com",
			      .max_version = TLS1_3_VERSION,
			      .min_version = TLS1_3_VERSION };

	return o;
}

static bool ok_run(const struct tgi_run *r)
{
	return tg_ok(r->ours) && r->ssl_err == 1 && r->data_ok;
}

static void report(const char *what, const struct tgi_run *r)
{
	fprintf(stderr,
		"%s: ours %s ssl %d (reason %lu: %s) alerts ours %u/%u libssl %d/%d\n",
		what, tg_strerror(r->ours.code), r->ssl_err, r->ssl_reason,
		ERR_reason_error_string(ERR_PACK(ERR_LIB_SSL, 0, r->ssl_reason)),
		r->info.alert_sent, r->info.alert_recv, r->ssl_alert_sent,
		r->ssl_alert_seen);
}

static void run_ok(const char *what, const struct tg_hs_config *cfg,
		   const struct tgi_peer *o, struct tgi_run *r)
{
	tgi_run_our_server(r, cfg, o, NULL);
	if (!ok_run(r))
		report(what, r);
	CU_ASSERT(ok_run(r));
	CU_ASSERT_EQUAL(r->info.version, TG_TLS13);
}

static void test_matrix(void)
{
	static const struct {
		const char *name;
		uint16_t id;
	} suites[] = {
		{ "TLS_AES_128_GCM_SHA256", TG_CS13_AES_128_GCM_SHA256 },
		{ "TLS_AES_256_GCM_SHA384", TG_CS13_AES_256_GCM_SHA384 },
		{ "TLS_CHACHA20_POLY1305_SHA256", TG_CS13_CHACHA20_POLY1305_SHA256 },
	};
	static const struct {
		const char *ossl;
		uint16_t id;
	} groups[] = {
		{ "X25519", TG_GROUP_X25519 },
		{ "P-256", TG_GROUP_SECP256R1 },
		{ "P-384", TG_GROUP_SECP384R1 },
	};
	static const struct {
		const char *sni, *sigalgs;
		uint16_t sigalg;
		uint8_t cert_type;
	} certs[] = {
		{ "www.example.com", "ECDSA+SHA256", TG_SIG_ECDSA_SECP256R1_SHA256, 2 },
		{ "p384.example.com", "ECDSA+SHA384", TG_SIG_ECDSA_SECP384R1_SHA384, 2 },
		{ "www.example.com", "RSA-PSS+SHA256", TG_SIG_RSA_PSS_RSAE_SHA256, 1 },
		{ "www.example.com", "RSA-PSS+SHA384", TG_SIG_RSA_PSS_RSAE_SHA384, 1 },
	};

	for (size_t s = 0; s < 3; s++) {
		for (size_t g = 0; g < 3; g++) {
			for (size_t c = 0; c < 4; c++) {
				for (int compat = 0; compat < 2; compat++) {
					struct tg_hs_config cfg;
					struct tgi_peer o = peer13();
					struct tgi_run r;
					char what[160];

					srv_cfg(&cfg);
					o.ciphersuites = suites[s].name;
					o.groups = groups[g].ossl;
					o.sni = certs[c].sni;
					o.sigalgs = certs[c].sigalgs;
					o.no_compat = compat == 0;
					snprintf(what, sizeof(what), "%s %s %s %s",
						 suites[s].name, groups[g].ossl,
						 certs[c].sigalgs,
						 compat ? "compat" : "no compat");
					run_ok(what, &cfg, &o, &r);
					CU_ASSERT_EQUAL(r.info.suite, suites[s].id);
					CU_ASSERT_EQUAL(r.info.group, groups[g].id);
					CU_ASSERT_EQUAL(r.info.sigalg, certs[c].sigalg);
					CU_ASSERT_EQUAL(r.info.cert_type, certs[c].cert_type);
					CU_ASSERT_FALSE(r.info.hrr);
				}
			}
		}
	}
}

static void test_hrr(void)
{
	struct tg_hs_config cfg;
	struct tgi_peer o = peer13();
	struct tgi_run r;

	/* libssl sends a share for its first group only: P-384, while
	 * x25519 (ours first) is also supported: HelloRetryRequest */
	srv_cfg(&cfg);
	o.groups = "P-384:X25519";
	run_ok("hrr", &cfg, &o, &r);
	CU_ASSERT_TRUE(r.info.hrr);
	CU_ASSERT_EQUAL(r.info.group, TG_GROUP_X25519);
	o.no_compat = true;
	run_ok("hrr, no compat", &cfg, &o, &r);
	CU_ASSERT_TRUE(r.info.hrr);
	/* our preference P-256 first, the client's share x25519 */
	srv_cfg(&cfg);
	cfg.groups[0] = TG_GROUP_SECP256R1;
	cfg.groups[1] = TG_GROUP_X25519;
	cfg.n_groups = 2;
	o = peer13();
	o.groups = "X25519:P-256";
	run_ok("hrr to P-256", &cfg, &o, &r);
	CU_ASSERT_TRUE(r.info.hrr);
	CU_ASSERT_EQUAL(r.info.group, TG_GROUP_SECP256R1);
	/* no group in common: handshake_failure */
	srv_cfg(&cfg);
	cfg.groups[0] = TG_GROUP_SECP384R1;
	cfg.n_groups = 1;
	o = peer13();
	o.groups = "X25519:P-256";
	tgi_run_our_server(&r, &cfg, &o, NULL);
	CU_ASSERT_EQUAL(r.ours.code, TG_E_HANDSHAKE_FAIL);
	CU_ASSERT_EQUAL(r.ssl_alert_seen, TG_ALERT_HANDSHAKE_FAILURE);
}

static void test_sni_alpn_rsl(void)
{
	struct tg_hs_config cfg;
	struct tgi_peer o = peer13();
	struct tgi_run r;

	srv_cfg(&cfg);
	snprintf(cfg.alpn[0], sizeof(cfg.alpn[0]), "http/1.1");
	snprintf(cfg.alpn[1], sizeof(cfg.alpn[1]), "h2");
	cfg.n_alpn = 2;
	o.alpn = true;
	run_ok("alpn", &cfg, &o, &r);
	CU_ASSERT_STRING_EQUAL(r.info.alpn, "http/1.1");
	CU_ASSERT_STRING_EQUAL(r.info.sni, "www.example.com");
	/* ALPN required, nothing in common */
	srv_cfg(&cfg);
	snprintf(cfg.alpn[0], sizeof(cfg.alpn[0]), "spdy/3");
	cfg.n_alpn = 1;
	cfg.alpn_required = true;
	tgi_run_our_server(&r, &cfg, &o, NULL);
	CU_ASSERT_EQUAL(r.ours.code, TG_E_NO_ALPN);
	CU_ASSERT_EQUAL(r.ssl_alert_seen, TG_ALERT_NO_APPLICATION_PROTOCOL);
}

static void test_client_auth(void)
{
	struct tg_hs_config cfg;
	struct tgi_peer o = peer13();
	struct tgi_run r;

	srv_cfg(&cfg);
	cfg.client_auth = TG_HS_CLIENT_AUTH_REQUIRE;
	o.cert = "cli.pem";
	o.key = "cli.key";
	run_ok("client auth", &cfg, &o, &r);
	CU_ASSERT_TRUE(r.info.peer_cert);
	CU_ASSERT_TRUE(r.info.peer_verified);
	/* none sent: certificate_required (RFC 8446 §4.4.2.4); libssl
	 * finished its side and learns it from the alert */
	o = peer13();
	tgi_run_our_server(&r, &cfg, &o, NULL);
	CU_ASSERT_EQUAL(r.ours.code, TG_E_CERT_REQUIRED13);
	CU_ASSERT_EQUAL(r.info.alert_sent, TG_ALERT_CERTIFICATE_REQUIRED);
	/* optional: none is fine */
	cfg.client_auth = TG_HS_CLIENT_AUTH_OPTIONAL;
	run_ok("optional, none", &cfg, &o, &r);
	CU_ASSERT_FALSE(r.info.peer_cert);
	/* another CA's certificate: unknown_ca */
	o.cert = "cli2.pem";
	o.key = "cli2.key";
	tgi_run_our_server(&r, &cfg, &o, NULL);
	CU_ASSERT(tg_failed(r.ours));
	CU_ASSERT_EQUAL(r.info.alert_sent, TG_ALERT_UNKNOWN_CA);
}

static void test_versions(void)
{
	struct tg_hs_config cfg;
	struct tgi_peer o = peer13();
	struct tgi_run r;

	/* a 1.3-only client, a 1.2-only server: protocol_version */
	tgi_srv_cfg(&cfg);
	tgi_run_our_server(&r, &cfg, &o, NULL);
	CU_ASSERT_EQUAL(r.ours.code, TG_E_PROTOCOL_VERSION);
	CU_ASSERT_EQUAL(r.ssl_alert_seen, TG_ALERT_PROTOCOL_VERSION);
	/* a 1.2-only client, a 1.3-only server: protocol_version */
	tgi_srv_cfg(&cfg);
	cfg.versions = TG_HS_VERSION_TLS13;
	o = peer13();
	o.max_version = TLS1_2_VERSION;
	o.min_version = TLS1_2_VERSION;
	tgi_run_our_server(&r, &cfg, &o, NULL);
	CU_ASSERT_EQUAL(r.ours.code, TG_E_PROTOCOL_VERSION);
	/* both on, a client capped at 1.2: TLS 1.2 with the sentinel */
	srv_cfg(&cfg);
	tgi_run_our_server(&r, &cfg, &o, NULL);
	CU_ASSERT(ok_run(&r));
	CU_ASSERT_EQUAL(r.info.version, TG_TLS12);
	CU_ASSERT(memcmp(r.server_random + 24, "DOWNGRD\x01", 8) == 0);
	/* both on, a client that does both: TLS 1.3 */
	o = peer13();
	o.min_version = TLS1_2_VERSION;
	run_ok("both", &cfg, &o, &r);
	/* TLS 1.3 suites limited: the client's only one missing */
	srv_cfg(&cfg);
	cfg.suites13[0] = TG_CS13_AES_256_GCM_SHA384;
	cfg.n_suites13 = 1;
	o = peer13();
	o.ciphersuites = "TLS_AES_128_GCM_SHA256";
	tgi_run_our_server(&r, &cfg, &o, NULL);
	CU_ASSERT_EQUAL(r.ours.code, TG_E_HANDSHAKE_FAIL);
}

static void test_resumption(void)
{
	struct tg_hs_config cfg;
	struct tgi_peer o = peer13();
	struct tgi_run r;
	SSL_SESSION *sess = NULL;

	srv_cfg(&cfg);
	cfg.tickets = tgi_env.tickets;
	run_ok("first", &cfg, &o, &r);
	CU_ASSERT_EQUAL(r.info.resumed, TG_HS_FULL);
	CU_ASSERT_PTR_NULL(sess);
	tgi_run_our_server(&r, &cfg, &o, &sess);
	CU_ASSERT(ok_run(&r));
	CU_ASSERT_PTR_NOT_NULL_FATAL(sess);
	CU_ASSERT_TRUE(SSL_SESSION_is_resumable(sess));
	/* the ticket resumes (PSK with ECDHE) */
	tgi_run_our_server(&r, &cfg, &o, &sess);
	if (!ok_run(&r) || !r.ssl_resumed)
		report("resumed", &r);
	CU_ASSERT(ok_run(&r));
	CU_ASSERT_TRUE(r.ssl_resumed);
	CU_ASSERT_EQUAL(r.info.resumed, TG_HS_RESUMED_TICKET);
	CU_ASSERT_EQUAL(r.info.version, TG_TLS13);
	/* and again with the ticket of that resumption, through a
	 * HelloRetryRequest (the binder over message_hash, HRR, CH2) */
	o.groups = "P-384:X25519";
	tgi_run_our_server(&r, &cfg, &o, &sess);
	if (!ok_run(&r) || !r.ssl_resumed)
		report("resumed after HRR", &r);
	CU_ASSERT(ok_run(&r));
	CU_ASSERT_TRUE(r.ssl_resumed);
	CU_ASSERT_TRUE(r.info.hrr);
	CU_ASSERT_EQUAL(r.info.resumed, TG_HS_RESUMED_TICKET);
	/* without tickets configured: a full handshake */
	cfg.tickets = NULL;
	o.groups = NULL;
	tgi_run_our_server(&r, &cfg, &o, &sess);
	CU_ASSERT(ok_run(&r));
	CU_ASSERT_FALSE(r.ssl_resumed);
	CU_ASSERT_EQUAL(r.info.resumed, TG_HS_FULL);
	SSL_SESSION_free(sess);
}

/* psk_ke (RFC 8446 §4.2.9) with a libssl client allowing it
 * (SSL_OP_ALLOW_NO_DHE_KEX: psk_dhe_ke and psk_ke offered): ours
 * resumes without (EC)DHE when psk_ke is on, with it when off. */
static void test_psk_ke(void)
{
	/* our psk_ke, libssl's SSL_OP_ALLOW_NO_DHE_KEX: psk_ke when both */
	static const struct { bool ours, theirs; } cases[] = {
		{ true, true }, { true, true }, { false, true }, { true, false },
	};
	struct tg_hs_config cfg;
	struct tgi_peer o = peer13();
	struct tgi_run r;
	SSL_SESSION *sess = NULL;

	srv_cfg(&cfg);
	cfg.tickets = tgi_env.tickets;
	tgi_run_our_server(&r, &cfg, &o, &sess);
	CU_ASSERT(ok_run(&r));
	CU_ASSERT_PTR_NOT_NULL_FATAL(sess);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool ke = cases[i].ours && cases[i].theirs;

		cfg.psk_ke = cases[i].ours;
		o.allow_no_dhe = cases[i].theirs;
		tgi_run_our_server(&r, &cfg, &o, &sess);
		if (!ok_run(&r) || !r.ssl_resumed)
			report("psk_ke", &r);
		CU_ASSERT(ok_run(&r));
		CU_ASSERT_TRUE(r.ssl_resumed);
		CU_ASSERT_EQUAL(r.info.resumed, TG_HS_RESUMED_TICKET);
		CU_ASSERT_EQUAL(r.info.psk_ke, ke);
		CU_ASSERT_EQUAL(r.info.group, ke ? 0 : TG_GROUP_X25519);
	}
	SSL_SESSION_free(sess);
}

static CU_TestInfo tests[] = {
	{ "TLS 1.3: suites x groups x certificates x compatibility mode",
	  test_matrix },
	{ "TLS 1.3: HelloRetryRequest", test_hrr },
	{ "TLS 1.3: SNI, ALPN", test_sni_alpn_rsl },
	{ "TLS 1.3: client authentication", test_client_auth },
	{ "TLS 1.3: version negotiation", test_versions },
	{ "TLS 1.3: resumption with libssl's tickets", test_resumption },
	{ "TLS 1.3: psk_ke resumption (SSL_OP_ALLOW_NO_DHE_KEX)", test_psk_ke },
	CU_TEST_INFO_NULL,
};

static const struct tg_test_suite suites[] = {
	{ "interop-tls13", suite_init, suite_fini, tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return tg_test_main(argc, argv, suites);
}
