/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interop of our handshake engine with OpenSSL's libssl, in memory (BIO
 * pairs, no sockets): our server against a libssl client and a libssl
 * server against our client, for every suite x group x certificate type x
 * resumption mode x client-auth mode. Each run checks the negotiated
 * parameters and application data both ways through the exported keys
 * (sealed and opened by the accel record engine), so the key export is
 * proven byte for byte against a real peer. Negative runs check the alert
 * a misconfigured or misbehaving peer gets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "tg_alert.h"
#include "tg_hs.h"
#include "tg_interop.h"
#include "tg_test.h"
#include "tg_tls.h"
#include "tg_wipe.h"

static const char *const host = TG_TEST_HS_HOST;

/* the standard ec, rsa and cli, and a P-384 certificate for its own name */
static const struct tg_test_hs_leaf ec384 = {
	"ec384", "P-384", "p384.example.com", "DNS:p384.example.com",
	TG_PKI_SERVER, TG_TEST_HS_STORE, false
};

static int suite_init(void)
{
	static const struct tg_test_hs_spec spec = {
		.prefix = "tginterop", .ca_cn = "Interop CA", .std_leaves = true,
		.leaves = &ec384, .n_leaves = 1, .resumption = true,
	};

	return tgi_open(&spec);
}

static int suite_fini(void)
{
	return tgi_close();
}

/* ---- the libssl client -------------------------------------------------- */

static const char *ossl_suite(uint16_t id)
{
	switch (id) {
	case TG_CS_ECDHE_ECDSA_AES_128_GCM_SHA256: return "ECDHE-ECDSA-AES128-GCM-SHA256";
	case TG_CS_ECDHE_ECDSA_AES_256_GCM_SHA384: return "ECDHE-ECDSA-AES256-GCM-SHA384";
	case TG_CS_ECDHE_ECDSA_CHACHA20_POLY1305_SHA256: return "ECDHE-ECDSA-CHACHA20-POLY1305";
	case TG_CS_ECDHE_RSA_AES_128_GCM_SHA256: return "ECDHE-RSA-AES128-GCM-SHA256";
	case TG_CS_ECDHE_RSA_AES_256_GCM_SHA384: return "ECDHE-RSA-AES256-GCM-SHA384";
	case TG_CS_ECDHE_RSA_CHACHA20_POLY1305_SHA256: return "ECDHE-RSA-CHACHA20-POLY1305";
	case TG_CS_RSA_AES_128_GCM_SHA256: return "AES128-GCM-SHA256";
	case TG_CS_RSA_AES_256_GCM_SHA384: return "AES256-GCM-SHA384";
	default: return "ALL";
	}
}

/* The libssl client of the matrix: TLS 1.2 with @p suite (0: "ALL") and
 * @p groups, SNI and a checked name (host), ALPN h2 and http/1.1. */
static struct tgi_peer peer(uint16_t suite, const char *groups)
{
	return (struct tgi_peer){ .ciphers = ossl_suite(suite), .groups = groups,
				  .sni = host, .check_host = true,
				  .alpn = true };
}

/* A bare libssl client: every cipher, X25519, nothing more. */
static const struct tgi_peer plain = { .ciphers = "ALL", .groups = "X25519" };

static void srv_cfg(struct tg_hs_config *c, uint16_t suite, bool static_rsa)
{
	tgi_srv_cfg(c);
	c->cache = tgi_env.cache;
	c->tickets = tgi_env.tickets;
	c->allow_static_rsa = static_rsa;
	if (suite) {
		c->suites[0] = suite;
		c->n_suites = 1;
	}
	snprintf(c->alpn[0], sizeof(c->alpn[0]), "http/1.1");
	snprintf(c->alpn[1], sizeof(c->alpn[1]), "h2");
	c->n_alpn = 2;
}

static const uint16_t all_suites[] = {
	TG_CS_ECDHE_ECDSA_AES_128_GCM_SHA256,
	TG_CS_ECDHE_ECDSA_AES_256_GCM_SHA384,
	TG_CS_ECDHE_ECDSA_CHACHA20_POLY1305_SHA256,
	TG_CS_ECDHE_RSA_AES_128_GCM_SHA256,
	TG_CS_ECDHE_RSA_AES_256_GCM_SHA384,
	TG_CS_ECDHE_RSA_CHACHA20_POLY1305_SHA256,
	TG_CS_RSA_AES_128_GCM_SHA256,
	TG_CS_RSA_AES_256_GCM_SHA384,
};
static const char *const all_groups[] = { "X25519", "P-256", "P-384" };
static const char *const cli_groups[] = { "X25519:P-256", "P-256",
					   "P-384:P-256" };
static const uint16_t group_ids[] = { TG_GROUP_X25519, TG_GROUP_SECP256R1,
				      TG_GROUP_SECP384R1 };

static bool is_static_rsa(uint16_t s)
{
	return s == TG_CS_RSA_AES_128_GCM_SHA256 || s == TG_CS_RSA_AES_256_GCM_SHA384;
}

static bool is_ecdsa(uint16_t s)
{
	return s == TG_CS_ECDHE_ECDSA_AES_128_GCM_SHA256 ||
	       s == TG_CS_ECDHE_ECDSA_AES_256_GCM_SHA384 ||
	       s == TG_CS_ECDHE_ECDSA_CHACHA20_POLY1305_SHA256;
}

/* ---- our server --------------------------------------------------------- */

/* A signature scheme the libssl client offers alone, and the name that
 * makes our server pick a certificate for it (NULL: the default one). */
struct sigalg_case {
	const char *ossl;
	uint16_t id;
	const char *sni;
};

static const struct sigalg_case ec_sigalgs[] = {
	{ "ECDSA+SHA256", TG_SIG_ECDSA_SECP256R1_SHA256, NULL },
	{ "ECDSA+SHA384", TG_SIG_ECDSA_SECP384R1_SHA384, "p384.example.com" },
};
static const struct sigalg_case rsa_sigalgs[] = {
	{ "RSA-PSS+SHA256", TG_SIG_RSA_PSS_RSAE_SHA256, NULL },
	{ "RSA-PSS+SHA384", TG_SIG_RSA_PSS_RSAE_SHA384, NULL },
	{ "RSA+SHA256", TG_SIG_RSA_PKCS1_SHA256, NULL },
	{ "RSA+SHA384", TG_SIG_RSA_PKCS1_SHA384, NULL },
};
static const struct sigalg_case no_sigalg[] = { { NULL, 0, NULL } };

/* The schemes to cross with @p suite: none for static RSA (no signature). */
static const struct sigalg_case *sigalgs_for(uint16_t suite, size_t *n)
{
	if (is_static_rsa(suite)) {
		*n = 1;
		return no_sigalg;
	}
	if (is_ecdsa(suite)) {
		*n = sizeof(ec_sigalgs) / sizeof(ec_sigalgs[0]);
		return ec_sigalgs;
	}
	*n = sizeof(rsa_sigalgs) / sizeof(rsa_sigalgs[0]);
	return rsa_sigalgs;
}

/* suite x group x signature scheme x client auth x {full, ticket, ID} */
static void test_server_matrix(void)
{
	unsigned runs = 0, fails = 0;

	for (size_t s = 0; s < sizeof(all_suites) / sizeof(all_suites[0]); s++) {
		size_t n_sa;
		const struct sigalg_case *sas = sigalgs_for(all_suites[s], &n_sa);

		for (size_t g = 0; g < 3; g++) {
			for (size_t a = 0; a < n_sa * 3; a++) {
				const struct sigalg_case *sa = &sas[a / 3];
				int auth = (int)(a % 3);
				const char *name = sa->sni ? sa->sni : host;
				char groups[64], sigalgs[64];
				struct tg_hs_config cfg;
				SSL_SESSION *sess = NULL;
				uint16_t suite = all_suites[s];

				if (is_static_rsa(suite) && g > 0)
					continue; /* no group in static RSA */
				srv_cfg(&cfg, suite, is_static_rsa(suite));
				cfg.client_auth = (enum tg_hs_client_auth)auth;
				/* the client offers the group under test and
				 * P-256 (our ECDSA certificate's curve); our
				 * server may pick only the group under test */
				cfg.groups[0] = group_ids[g];
				cfg.n_groups = 1;
				/* full, then resumed (ticket: libssl offers
				 * the ticket it got), then resumed by ID
				 * (tickets off) */
				/* a P-384 certificate wants its curve offered;
				 * with client auth the client signs with its
				 * P-256 key, which our server's scheme choice
				 * cannot take for the certificates under test */
				snprintf(groups, sizeof(groups), "%s%s", cli_groups[g],
					 sa->sni && g != 2 ? ":P-384" : "");
				snprintf(sigalgs, sizeof(sigalgs), "%s%s",
					 sa->ossl ? sa->ossl : "",
					 sa->ossl && auth != 0 &&
						 sa->id != TG_SIG_ECDSA_SECP256R1_SHA256
						 ? ":ECDSA+SHA256" : "");
				for (int mode = 0; mode < 3; mode++) {
					struct tgi_peer o = peer(suite, groups);
					struct tgi_run r;
					enum tg_hs_resumption want =
						mode == 0 ? TG_HS_FULL
						: mode == 1 ? TG_HS_RESUMED_TICKET
							    : TG_HS_RESUMED_ID;

					o.sni = name;
					if (sa->ossl)
						o.sigalgs = sigalgs;
					if (auth != 0) {
						o.cert = "cli.pem";
						o.key = "cli.key";
					}
					if (mode == 2) {
						/* a fresh session, ID only */
						cfg.tickets = NULL;
						SSL_SESSION_free(sess);
						sess = NULL;
						tgi_run_our_server(&r, &cfg, &o, &sess);
					}
					tgi_run_our_server(&r, &cfg, &o, &sess);
					runs++;
					bool ok = tg_ok(r.ours) && r.ssl_err == 1 &&
						  r.data_ok &&
						  r.info.suite == suite &&
						  r.info.resumed == want &&
						  r.ssl_resumed == (mode != 0) &&
						  r.info.ems &&
						  strcmp(r.info.alpn, "http/1.1") == 0 &&
						  strcmp(r.info.sni, name) == 0 &&
						  (mode != 0 || is_static_rsa(suite) ||
						   (r.info.group == group_ids[g] &&
						    r.info.sigalg == sa->id)) &&
						  /* a resumed session keeps its
						   * verified certificate */
						  (auth == 0 || (r.info.peer_verified &&
								 r.info.peer_cert));
					if (!ok) {
						fails++;
						fprintf(stderr,
							"server %s %s %s auth %d mode %d: ours %s ssl %d data %d resumed %d/%d alert %u/%d suite %04x ems %d alpn '%s' sni '%s' group %u sigalg %04x verified %d\n",
							ossl_suite(suite), all_groups[g],
							sa->ossl ? sa->ossl : "-",
							auth, mode, tg_strerror(r.ours.code),
							r.ssl_err, r.data_ok,
							(int)r.info.resumed,
							r.ssl_resumed,
							r.info.alert_sent,
							r.ssl_alert_seen, r.info.suite,
							r.info.ems, r.info.alpn, r.info.sni,
							r.info.group, r.info.sigalg,
							r.info.peer_verified);
						ERR_print_errors_fp(stderr);
					}
					CU_ASSERT(ok);
				}
				SSL_SESSION_free(sess);
			}
		}
	}
	printf("\n  our server vs libssl client: %u handshakes, %u failed\n",
	       runs, fails);
}

/* Signature schemes: each one we support, forced from the libssl side. */
static void test_server_sigalgs(void)
{
	static const struct { const char *ossl; uint16_t id; uint16_t suite; } sa[] = {
		{ "ECDSA+SHA256", TG_SIG_ECDSA_SECP256R1_SHA256,
		  TG_CS_ECDHE_ECDSA_AES_128_GCM_SHA256 },
		{ "RSA-PSS+SHA256", TG_SIG_RSA_PSS_RSAE_SHA256,
		  TG_CS_ECDHE_RSA_AES_128_GCM_SHA256 },
		{ "RSA-PSS+SHA384", TG_SIG_RSA_PSS_RSAE_SHA384,
		  TG_CS_ECDHE_RSA_AES_256_GCM_SHA384 },
		{ "RSA+SHA256", TG_SIG_RSA_PKCS1_SHA256,
		  TG_CS_ECDHE_RSA_AES_128_GCM_SHA256 },
		{ "RSA+SHA384", TG_SIG_RSA_PKCS1_SHA384,
		  TG_CS_ECDHE_RSA_AES_128_GCM_SHA256 },
	};

	for (size_t i = 0; i < sizeof(sa) / sizeof(sa[0]); i++) {
		struct tg_hs_config cfg;
		struct tgi_peer o = peer(sa[i].suite, "X25519:P-256");
		struct tgi_run r;

		o.sigalgs = sa[i].ossl;
		srv_cfg(&cfg, sa[i].suite, false);
		tgi_run_our_server(&r, &cfg, &o, NULL);
		if (!tg_ok(r.ours) || !r.data_ok || r.info.sigalg != sa[i].id)
			fprintf(stderr, "sigalg %s: ours %s ssl %d alert %u/%d sigalg %04x\n",
				sa[i].ossl, tg_strerror(r.ours.code), r.ssl_err,
				r.info.alert_sent, r.ssl_alert_seen, r.info.sigalg);
		CU_ASSERT(tg_ok(r.ours) && r.data_ok);
		CU_ASSERT_EQUAL(r.info.sigalg, sa[i].id);
	}
	/* ECDSA P-384 certificate by SNI, ecdsa_secp384r1_sha384 */
	{
		struct tg_hs_config cfg;
		uint16_t suite = TG_CS_ECDHE_ECDSA_AES_256_GCM_SHA384;
		struct tgi_peer o = peer(suite, "P-384");
		struct tgi_run r;

		o.sni = "p384.example.com";
		srv_cfg(&cfg, suite, false);
		tgi_run_our_server(&r, &cfg, &o, NULL);
		CU_ASSERT(tg_ok(r.ours) && r.data_ok);
		CU_ASSERT_EQUAL(r.info.sigalg, TG_SIG_ECDSA_SECP384R1_SHA384);
	}
}

/* Our server against a libssl client on @p ctx as it is (no SNI, no
 * ALPN, no certificate check): the handshake only. */
static void server_vs(SSL_CTX *ctx, struct tgi_run *r)
{
	struct tg_hs_config cfg;
	SSL *ssl;
	BIO *net;
	struct tg_hs *hs;

	srv_cfg(&cfg, 0, false);
	tgi_run_reset(r);
	ssl = tgi_ssl_new(ctx, true, r, &net);
	CU_ASSERT_FATAL(tg_ok(tg_hs_new(&cfg, NULL, &hs)));
	tgi_pump(r, hs, ssl, net);
	tg_hs_free(hs);
	SSL_free(ssl);
	BIO_free(net);
}

/* A peer we cannot agree with gets the right alert. */
static void test_server_negative(void)
{
	struct tg_hs_config cfg;

	/* only CBC suites: handshake_failure */
	{
		SSL_CTX *ctx = tgi_client_ctx(&plain);
		struct tgi_run r;

		SSL_CTX_set_cipher_list(ctx, "ECDHE-RSA-AES128-SHA:AES128-SHA");
		server_vs(ctx, &r);
		CU_ASSERT_EQUAL(r.ours.code, TG_E_HANDSHAKE_FAIL);
		CU_ASSERT_EQUAL(r.ssl_alert_seen, TG_ALERT_HANDSHAKE_FAILURE);
		SSL_CTX_free(ctx);
	}
	/* only a group we lack (P-521): no ECDHE suite possible */
	{
		uint16_t suite = TG_CS_ECDHE_ECDSA_AES_128_GCM_SHA256;
		struct tgi_peer o = peer(suite, "P-521");
		struct tgi_run r;

		srv_cfg(&cfg, suite, false);
		tgi_run_our_server(&r, &cfg, &o, NULL);
		CU_ASSERT_EQUAL(r.ours.code, TG_E_HANDSHAKE_FAIL);
		CU_ASSERT_EQUAL(r.ssl_alert_seen, TG_ALERT_HANDSHAKE_FAILURE);
	}
	/* TLS 1.1 only: protocol_version */
	{
		SSL_CTX *ctx = tgi_client_ctx(&plain);
		struct tgi_run r;

		SSL_CTX_set_security_level(ctx, 0);
		SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
		SSL_CTX_set_max_proto_version(ctx, TLS1_1_VERSION);
		SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
		server_vs(ctx, &r);
		CU_ASSERT_EQUAL(r.ours.code, TG_E_PROTOCOL_VERSION);
		CU_ASSERT_EQUAL(r.ssl_alert_seen, TG_ALERT_PROTOCOL_VERSION);
		SSL_CTX_free(ctx);
	}
	/* client certificate required, none sent: handshake_failure */
	{
		uint16_t suite = TG_CS_ECDHE_ECDSA_AES_128_GCM_SHA256;
		struct tgi_peer o = peer(suite, "X25519:P-256");
		struct tgi_run r;

		srv_cfg(&cfg, suite, false);
		cfg.client_auth = TG_HS_CLIENT_AUTH_REQUIRE;
		tgi_run_our_server(&r, &cfg, &o, NULL);
		CU_ASSERT_EQUAL(r.ours.code, TG_E_CERT_REQUIRED);
		CU_ASSERT_EQUAL(r.ssl_alert_seen, TG_ALERT_HANDSHAKE_FAILURE);
	}
	/* ALPN required, no overlap: no_application_protocol */
	{
		uint16_t suite = TG_CS_ECDHE_ECDSA_AES_128_GCM_SHA256;
		struct tgi_peer o = peer(suite, "X25519");
		struct tgi_run r;

		srv_cfg(&cfg, suite, false);
		snprintf(cfg.alpn[0], sizeof(cfg.alpn[0]), "imap");
		cfg.n_alpn = 1;
		cfg.alpn_required = true;
		tgi_run_our_server(&r, &cfg, &o, NULL);
		CU_ASSERT_EQUAL(r.ours.code, TG_E_NO_ALPN);
		CU_ASSERT_EQUAL(r.ssl_alert_seen, TG_ALERT_NO_APPLICATION_PROTOCOL);
	}
	/* static RSA offered only, but off by default: handshake_failure */
	{
		struct tgi_peer o = peer(TG_CS_RSA_AES_128_GCM_SHA256, "X25519");
		struct tgi_run r;

		srv_cfg(&cfg, 0, false);
		tgi_run_our_server(&r, &cfg, &o, NULL);
		CU_ASSERT_EQUAL(r.ours.code, TG_E_HANDSHAKE_FAIL);
	}
}

/* ---- our client --------------------------------------------------------- */

static SSL_CTX *libssl_server(const char *cert, const char *key, bool tickets,
			      int verify)
{
	SSL_CTX *ctx = tgi_ctx(true, TLS1_2_VERSION);

	SSL_CTX_set_cipher_list(ctx, "ALL");
	SSL_CTX_use_certificate_chain_file(ctx, tg_pki_path(cert));
	SSL_CTX_use_PrivateKey_file(ctx, tg_pki_path(key), SSL_FILETYPE_PEM);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"tg", 2);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	if (!tickets)
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_verify(ctx, verify, NULL);
	return ctx;
}

static void cli_cfg(struct tg_hs_config *c, uint16_t suite, uint16_t group)
{
	tgi_cli_cfg(c);
	if (suite) {
		c->suites[0] = suite;
		c->n_suites = 1;
	}
	if (group) {
		c->groups[0] = group;
		c->n_groups = 1;
	}
}

/* suite x group x signature scheme x client auth x {ID, ticket} x
 * {full, resumed}; the scheme is forced by offering it alone (with
 * ECDSA P-256 for our client certificate when the server asks for one) */
static void test_client_matrix(void)
{
	unsigned runs = 0, fails = 0;

	for (size_t s = 0; s < sizeof(all_suites) / sizeof(all_suites[0]); s++) {
		uint16_t suite = all_suites[s];
		bool ec = is_ecdsa(suite);
		size_t n_sa;
		const struct sigalg_case *sas = sigalgs_for(suite, &n_sa);

		for (size_t g = 0; g < 3; g++) {
			if (is_static_rsa(suite) && g > 0)
				continue;
			for (size_t a = 0; a < n_sa * 4; a++) {
				const struct sigalg_case *sa = &sas[a / 4];
				int auth = (int)(a % 4) / 2, tickets = (int)(a % 2);
				const char *leaf = !ec ? "rsa" : sa->sni ? "ec384" : "ec";
				char crt[16], key[16];
				uint16_t cert_curve = sa->sni ? TG_GROUP_SECP384R1
							      : TG_GROUP_SECP256R1;

				snprintf(crt, sizeof(crt), "%s.pem", leaf);
				snprintf(key, sizeof(key), "%s.key", leaf);
				{
					struct tg_hs_config cfg;
					struct tg_hs_session sess = { 0 };
					SSL_CTX *sctx = libssl_server(
						crt, key, tickets,
						auth ? SSL_VERIFY_PEER |
							       SSL_VERIFY_FAIL_IF_NO_PEER_CERT
						     : SSL_VERIFY_NONE);

					SSL_CTX_set_cipher_list(sctx, ossl_suite(suite));
					/* P-256 too: our client certificate's curve */
					SSL_CTX_set1_groups_list(sctx, sa->sni ? "X25519:P-256:P-384"
									       : cli_groups[g]);
					cli_cfg(&cfg, suite, group_ids[g]);
					/* a libssl server wants its certificate's
					 * curve offered, and our client certificate's */
					if (group_ids[g] != TG_GROUP_SECP256R1)
						cfg.groups[cfg.n_groups++] = TG_GROUP_SECP256R1;
					if (ec && group_ids[g] != cert_curve &&
					    cert_curve != TG_GROUP_SECP256R1)
						cfg.groups[cfg.n_groups++] = cert_curve;
					if (sa->ossl) {
						cfg.sigalgs[0] = sa->id;
						cfg.n_sigalgs = 1;
						if (auth && sa->id != TG_SIG_ECDSA_SECP256R1_SHA256)
							cfg.sigalgs[cfg.n_sigalgs++] =
								TG_SIG_ECDSA_SECP256R1_SHA256;
					}
					if (sa->sni)
						snprintf(cfg.server_name, sizeof(cfg.server_name),
							 "%s", sa->sni);
					cfg.offer_ticket = tickets;
					if (auth)
						cfg.client_cert = tgi_env.client_cert;
					for (int mode = 0; mode < 2; mode++) {
						struct tgi_run r;
						enum tg_hs_resumption want =
							mode == 0 ? TG_HS_FULL
							: tickets ? TG_HS_RESUMED_TICKET
								  : TG_HS_RESUMED_ID;

						tgi_run_our_client(&r, &cfg, &sess, sctx);
						runs++;
						bool ok = tg_ok(r.ours) && r.ssl_err == 1 &&
							  r.data_ok && r.info.suite == suite &&
							  r.info.resumed == want &&
							  r.ssl_resumed == (mode == 1) &&
							  (mode == 1 || r.info.peer_verified) &&
							  (mode == 1 || is_static_rsa(suite) ||
							   (r.info.group == group_ids[g] &&
							    r.info.sigalg == sa->id));
						if (!ok) {
							fails++;
							fprintf(stderr,
								"client %s %s %s auth %d tickets %d mode %d: ours %s ssl %d data %d resumed %d/%d alert %u/%d sigalg %04x\n",
								ossl_suite(suite), all_groups[g],
								sa->ossl ? sa->ossl : "-", auth,
								tickets, mode, tg_strerror(r.ours.code),
								r.ssl_err, r.data_ok,
								(int)r.info.resumed, r.ssl_resumed,
								r.info.alert_sent, r.ssl_alert_seen,
								r.info.sigalg);
							ERR_print_errors_fp(stderr);
						}
						CU_ASSERT(ok);
					}
					tg_wipe(&sess, sizeof(sess));
					SSL_CTX_free(sctx);
				}
			}
		}
	}
	printf("\n  our client vs libssl server: %u handshakes, %u failed\n",
	       runs, fails);
}

static void test_client_negative(void)
{
	struct tg_hs_config cfg;

	/* a server certificate for another name: bad_certificate */
	{
		SSL_CTX *sctx = libssl_server("ec384.pem", "ec384.key", false,
					      SSL_VERIFY_NONE);
		struct tgi_run r;

		cli_cfg(&cfg, 0, 0);
		tgi_run_our_client(&r, &cfg, NULL, sctx);
		CU_ASSERT_EQUAL(r.ours.code, TG_E_BAD_CERT);
		CU_ASSERT_EQUAL(r.ssl_alert_seen, TG_ALERT_BAD_CERTIFICATE);
		SSL_CTX_free(sctx);
	}
	/* a server without extended_master_secret: refused */
	{
		SSL_CTX *sctx = libssl_server("ec.pem", "ec.key", false,
					      SSL_VERIFY_NONE);
		struct tgi_run r;

		SSL_CTX_clear_options(sctx, SSL_OP_ALL);
		SSL_CTX_set_options(sctx, SSL_OP_NO_EXTENDED_MASTER_SECRET);
		cli_cfg(&cfg, 0, 0);
		tgi_run_our_client(&r, &cfg, NULL, sctx);
		CU_ASSERT_EQUAL(r.ours.code, TG_E_HANDSHAKE_FAIL);
		SSL_CTX_free(sctx);
	}
	/* server requires a client certificate we don't have */
	{
		SSL_CTX *sctx = libssl_server("ec.pem", "ec.key", false,
					      SSL_VERIFY_PEER |
						      SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
		struct tgi_run r;

		cli_cfg(&cfg, 0, 0);
		tgi_run_our_client(&r, &cfg, NULL, sctx);
		CU_ASSERT(tg_failed(r.ours));
		CU_ASSERT_NOT_EQUAL(r.ssl_err, 1);
		SSL_CTX_free(sctx);
	}
}

/* ---- truncated, reordered, duplicated messages --------------------------- */

/* Run our server on a libssl client's first flight, altered by @p alter,
 * and return our error. */
static int server_on_altered(size_t (*alter)(uint8_t *p, size_t n))
{
	struct tgi_run r;
	struct tg_hs_config cfg;
	SSL_CTX *ctx = tgi_client_ctx(&plain);
	SSL *ssl;
	BIO *net;
	struct tg_hs *hs;
	uint8_t buf[8192];
	int n;
	size_t used;
	tg_result res;

	srv_cfg(&cfg, 0, false);
	tgi_run_reset(&r);
	ssl = tgi_ssl_new(ctx, true, &r, &net);
	SSL_set_tlsext_host_name(ssl, (char *)host);
	(void)SSL_do_handshake(ssl);
	n = BIO_read(net, buf, sizeof(buf));
	CU_ASSERT_FATAL(n > 0);
	n = (int)alter(buf, (size_t)n);
	CU_ASSERT_FATAL(tg_ok(tg_hs_new(&cfg, NULL, &hs)));
	res = tg_hs_feed(hs, buf, (size_t)n, &used);
	if (tg_ok(res) && !(tg_hs_events(hs) & TG_HS_EV_FAILED))
		res = tg_error(TG_E_SHORT); /* still waiting: not an answer */
	tg_hs_free(hs);
	SSL_free(ssl);
	BIO_free(net);
	SSL_CTX_free(ctx);
	return res.code;
}

static size_t alter_truncate_body(uint8_t *p, size_t n)
{
	/* shorten the ClientHello by one byte but keep the headers
	 * consistent: record and handshake lengths minus one */
	uint16_t rl = (uint16_t)((p[3] << 8 | p[4]) - 1);

	p[3] = (uint8_t)(rl >> 8);
	p[4] = (uint8_t)rl;
	uint32_t hl = ((uint32_t)p[6] << 16 | p[7] << 8 | p[8]) - 1;
	p[6] = (uint8_t)(hl >> 16);
	p[7] = (uint8_t)(hl >> 8);
	p[8] = (uint8_t)hl;
	return n - 1;
}

static size_t alter_wrong_type(uint8_t *p, size_t n)
{
	p[5] = TG_HS_FINISHED; /* a Finished before anything */
	return n;
}

static size_t alter_duplicate(uint8_t *p, size_t n)
{
	/* the same ClientHello record twice */
	memcpy(p + n, p, n);
	return 2 * n;
}

static size_t alter_server_hello_type(uint8_t *p, size_t n)
{
	p[5] = TG_HS_SERVER_HELLO; /* a client sending a ServerHello */
	return n;
}

static void test_malformed_flights(void)
{
	CU_ASSERT_EQUAL(server_on_altered(alter_truncate_body), TG_E_DECODE);
	CU_ASSERT_EQUAL(server_on_altered(alter_wrong_type), TG_E_UNEXPECTED_MSG);
	CU_ASSERT_EQUAL(server_on_altered(alter_server_hello_type),
			TG_E_UNEXPECTED_MSG);
	/* the second ClientHello arrives where a ClientKeyExchange is due */
	CU_ASSERT_EQUAL(server_on_altered(alter_duplicate), TG_E_UNEXPECTED_MSG);
}

static CU_TestInfo interop_tests[] = {
	{ "our server x libssl client (suites, groups, signature schemes, resumption, client auth)",
	  test_server_matrix },
	{ "our server: every signature scheme", test_server_sigalgs },
	{ "our server: peers we cannot agree with", test_server_negative },
	{ "our client x libssl server (suites, groups, signature schemes, resumption, client auth)",
	  test_client_matrix },
	{ "our client: servers we refuse", test_client_negative },
	{ "truncated, reordered, duplicated messages", test_malformed_flights },
	CU_TEST_INFO_NULL,
};

static const struct tg_test_suite suites[] = {
	{ "interop-libssl", suite_init, suite_fini, interop_tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return tg_test_main(argc, argv, suites);
}
