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
#include "tg_cert.h"
#include "tg_hs.h"
#include "tg_log.h"
#include "tg_sesscache.h"
#include "tg_test.h"
#include "tg_test_pki.h"
#include "tg_ticket.h"
#include "tg_tls.h"
#include "tg_wipe.h"

static struct tg_accel *acc;
static struct tg_cert_store *store;
static struct tg_ca *ca;
static struct tg_cert *client_cert;
static struct tg_sesscache *cache;
static struct tg_ticket_keys *tickets;

static const char *const host = "www.example.com";

static int suite_init(void)
{
	struct tg_accel_conf conf = { .backends = "evp", .no_calibrate = true };
	EVP_PKEY *k_ca, *k_rsa, *k_ec, *k_ec384, *k_cli;
	X509 *x_ca;
	struct tg_sesscache_cfg cc = { .max_entries = 1024, .ttl_s = 3600 };

	if (tg_pki_init("tginterop") != 0)
		return -1;
	k_ca = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	k_rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	k_ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	k_ec384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	k_cli = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	x_ca = tg_pki_cert("Interop CA", NULL, k_ca, NULL, NULL, -1, 3650,
			   TG_PKI_CA);
	tg_pki_write_certs("ca.pem", x_ca, NULL, NULL);
	tg_pki_write_key("rsa.key", k_rsa, false);
	tg_pki_write_key("ec.key", k_ec, false);
	tg_pki_write_key("ec384.key", k_ec384, false);
	tg_pki_write_key("cli.key", k_cli, false);
	tg_pki_leaf("rsa.pem", host, "DNS:www.example.com", k_rsa, x_ca, k_ca,
		    -1, 365, TG_PKI_SERVER, NULL);
	tg_pki_leaf("ec.pem", host, "DNS:www.example.com", k_ec, x_ca, k_ca,
		    -1, 365, TG_PKI_SERVER, NULL);
	tg_pki_leaf("ec384.pem", "p384.example.com", "DNS:p384.example.com",
		    k_ec384, x_ca, k_ca, -1, 365, TG_PKI_SERVER, NULL);
	tg_pki_leaf("cli.pem", "client", "DNS:client.example.com", k_cli, x_ca,
		    k_ca, -1, 365, TG_PKI_CLIENT, NULL);
	X509_free(x_ca);
	EVP_PKEY_free(k_ca);
	EVP_PKEY_free(k_rsa);
	EVP_PKEY_free(k_ec);
	EVP_PKEY_free(k_ec384);
	EVP_PKEY_free(k_cli);

	tg_log_set_level(getenv("TG_DEBUG") ? TG_LOG_DEBUG : TG_LOG_ERR);
	if (tg_failed(tg_accel_create(&conf, &acc)) ||
	    tg_failed(tg_cert_store_new(0, &store)) ||
	    tg_failed(tg_cert_store_load(store, tg_pki_path("ec.pem"),
					 tg_pki_path("ec.key"), true)) ||
	    tg_failed(tg_cert_store_load(store, tg_pki_path("rsa.pem"),
					 tg_pki_path("rsa.key"), false)) ||
	    tg_failed(tg_cert_store_load(store, tg_pki_path("ec384.pem"),
					 tg_pki_path("ec384.key"), false)) ||
	    tg_failed(tg_ca_load(tg_pki_path("ca.pem"), NULL, &ca)) ||
	    tg_failed(tg_cert_load(tg_pki_path("cli.pem"),
				   tg_pki_path("cli.key"), &client_cert)) ||
	    tg_failed(tg_sesscache_new(&cc, &cache)) ||
	    tg_failed(tg_ticket_keys_random(TG_TICKET_FMT_GCM, NULL, &tickets)))
		return -1;
	return 0;
}

static int suite_fini(void)
{
	tg_ticket_keys_unref(tickets);
	tg_sesscache_free(cache);
	tg_cert_free(client_cert);
	tg_ca_free(ca);
	tg_cert_store_unref(store);
	tg_accel_destroy(acc);
	tg_pki_cleanup();
	return 0;
}

/* ---- one connection between our engine and libssl ---------------------- */

struct run {
	/* parameters */
	uint16_t suite;      /* cipher suite both sides allow (0: all) */
	const char *groups;  /* libssl groups list */
	const char *sigalgs; /* libssl sigalgs list, or NULL */
	enum tg_hs_client_auth auth;
	bool libssl_cert;    /* libssl client presents a certificate */
	const char *sni;     /* what the client sends */
	/* results */
	tg_result ours;      /* our engine's first failure */
	int ssl_err;         /* libssl handshake result (1 = ok) */
	uint8_t alert_sent, alert_recv;
	const struct tg_hs_info *info;
	struct tg_hs_info info_copy;
	bool data_ok;
	bool ssl_resumed;
	unsigned long ssl_alert_seen; /* last alert libssl received */
};

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

static void info_cb(const SSL *s, int where, int ret)
{
	if (where & SSL_CB_READ_ALERT) {
		struct run *r = SSL_get_app_data(s);

		if (r != NULL)
			r->ssl_alert_seen = (unsigned long)ret & 0xff;
	}
}

static SSL_CTX *mk_ctx(bool server, const struct run *r)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());

	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_cipher_list(ctx, ossl_suite(r->suite));
	if (r->groups)
		SSL_CTX_set1_groups_list(ctx, r->groups);
	if (r->sigalgs)
		SSL_CTX_set1_sigalgs_list(ctx, r->sigalgs);
	SSL_CTX_load_verify_locations(ctx, tg_pki_path("ca.pem"), NULL);
	SSL_CTX_set_info_callback(ctx, info_cb);
	return ctx;
}

/* Move bytes between our engine and libssl until both stop. */
static void pump(struct run *r, struct tg_hs *hs, SSL *ssl, BIO *net)
{
	uint8_t buf[65536];

	r->ssl_err = 0;
	for (int i = 0; i < 200; i++) {
		size_t n, used;
		int got, ret;
		bool moved = false;

		ret = SSL_do_handshake(ssl);
		if (ret == 1)
			r->ssl_err = 1;
		else if (SSL_get_error(ssl, ret) != SSL_ERROR_WANT_READ)
			r->ssl_err = -1;
		while ((got = BIO_read(net, buf, sizeof(buf))) > 0) {
			size_t off = 0;

			moved = true;
			while (off < (size_t)got && tg_ok(r->ours) &&
			       !(tg_hs_events(hs) & TG_HS_EV_KEYS_READY)) {
				r->ours = tg_hs_feed(hs, buf + off, (size_t)got - off,
						     &used);
				off += used;
			}
		}
		while ((n = tg_hs_output(hs, buf, sizeof(buf))) > 0) {
			BIO_write(net, buf, (int)n);
			moved = true;
		}
		if (!moved && (r->ssl_err != 0 || tg_failed(r->ours)))
			break;
		if (!moved && (tg_hs_events(hs) & TG_HS_EV_KEYS_READY) &&
		    r->ssl_err == 1)
			break;
	}
}

/* Application data both ways through the exported keys. */
static bool app_data(struct tg_hs *hs, SSL *ssl, BIO *net)
{
	struct tg_keys tx, rx;
	struct tg_accel_sess *stx = NULL, *srx = NULL;
	static const char ping[] = "ping from libssl";
	static const char pong[] = "pong from tlsgate";
	uint8_t buf[2048];
	int n;
	bool ok = false;

	if (tg_failed(tg_hs_export_keys(hs, &tx, &rx)))
		return false;
	if (tg_failed(tg_accel_sess_create(acc, &tx, &stx)) ||
	    tg_failed(tg_accel_sess_create(acc, &rx, &srx)))
		goto out;
	/* libssl -> us */
	if (SSL_write(ssl, ping, sizeof(ping)) != sizeof(ping))
		goto out;
	n = BIO_read(net, buf, sizeof(buf));
	{
		struct tg_rec rec = { .sess = srx, .buf = buf, .cap = sizeof(buf),
				      .rec_len = (uint32_t)n }, *rp = &rec;

		if (n <= 0 || tg_accel_open_burst(&rp, 1) != 1 ||
		    rec.type != TG_CT_APPLICATION_DATA || rec.len != sizeof(ping) ||
		    memcmp(buf + rec.off, ping, sizeof(ping)) != 0)
			goto out;
	}
	/* us -> libssl */
	{
		uint32_t h = tg_accel_hdr_len(stx);
		struct tg_rec rec = { .sess = stx, .buf = buf, .cap = sizeof(buf),
				      .off = h, .len = sizeof(pong),
				      .type = TG_CT_APPLICATION_DATA }, *rp = &rec;

		memcpy(buf + h, pong, sizeof(pong));
		if (tg_accel_seal_burst(&rp, 1) != 1)
			goto out;
		BIO_write(net, buf + rec.rec_off, (int)rec.rec_len);
		n = SSL_read(ssl, buf, sizeof(buf));
		ok = n == sizeof(pong) && memcmp(buf, pong, sizeof(pong)) == 0;
	}
out:
	tg_wipe(&tx, sizeof(tx));
	tg_wipe(&rx, sizeof(rx));
	tg_accel_sess_free(stx);
	tg_accel_sess_free(srx);
	return ok;
}

/* Our server, a libssl client. @p sess carries libssl's session over. */
static void run_our_server(struct run *r, const struct tg_hs_config *cfg,
			   SSL_SESSION **sess)
{
	SSL_CTX *ctx = mk_ctx(false, r);
	SSL *ssl = SSL_new(ctx);
	BIO *inner, *net;
	struct tg_hs *hs = NULL;

	BIO_new_bio_pair(&inner, 0, &net, 0);
	SSL_set_bio(ssl, inner, inner);
	SSL_set_connect_state(ssl);
	SSL_set_app_data(ssl, r);
	SSL_set_tlsext_host_name(ssl, (char *)(r->sni ? r->sni : host));
	SSL_set1_host(ssl, r->sni ? r->sni : host);
	SSL_set_verify(ssl, SSL_VERIFY_PEER, NULL);
	SSL_set_alpn_protos(ssl, (const unsigned char *)"\x02h2\x08http/1.1", 12);
	if (r->libssl_cert) {
		SSL_use_certificate_chain_file(ssl, tg_pki_path("cli.pem"));
		SSL_use_PrivateKey_file(ssl, tg_pki_path("cli.key"), SSL_FILETYPE_PEM);
	}
	if (sess && *sess)
		SSL_set_session(ssl, *sess);
	r->ours = tg_hs_new(cfg, NULL, &hs);
	CU_ASSERT_FATAL(tg_ok(r->ours));
	pump(r, hs, ssl, net);
	r->info_copy = *tg_hs_info(hs);
	r->info = &r->info_copy;
	r->ssl_resumed = SSL_session_reused(ssl);
	if (r->ssl_err == 1 && (tg_hs_events(hs) & TG_HS_EV_KEYS_READY))
		r->data_ok = app_data(hs, ssl, net);
	if (sess && r->ssl_err == 1) {
		SSL_SESSION_free(*sess);
		*sess = SSL_get1_session(ssl);
	}
	tg_hs_free(hs);
	/* a connection freed without close_notify makes libssl drop its
	 * session (ssl_clear_bad_session); the data exchange was complete */
	if (r->data_ok)
		SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(ssl);
	BIO_free(net);
	SSL_CTX_free(ctx);
}

/* A libssl server, our client. */
static void run_our_client(struct run *r, const struct tg_hs_config *cfg,
			   struct tg_hs_session *sess, SSL_CTX *sctx)
{
	SSL *ssl = SSL_new(sctx);
	BIO *inner, *net;
	struct tg_hs *hs = NULL;

	BIO_new_bio_pair(&inner, 0, &net, 0);
	SSL_set_bio(ssl, inner, inner);
	SSL_set_app_data(ssl, r);
	SSL_set_accept_state(ssl);
	r->ours = tg_hs_new(cfg, sess, &hs);
	CU_ASSERT_FATAL(tg_ok(r->ours));
	pump(r, hs, ssl, net);
	r->info_copy = *tg_hs_info(hs);
	r->info = &r->info_copy;
	r->ssl_resumed = SSL_session_reused(ssl);
	if (r->ssl_err == 1 && (tg_hs_events(hs) & TG_HS_EV_KEYS_READY)) {
		r->data_ok = app_data(hs, ssl, net);
		if (sess)
			CU_ASSERT(tg_ok(tg_hs_get_session(hs, sess)));
	}
	tg_hs_free(hs);
	if (r->data_ok)
		SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(ssl);
	BIO_free(net);
}

static void srv_cfg(struct tg_hs_config *c, uint16_t suite, bool static_rsa)
{
	tg_hs_config_defaults(c, TG_HS_SERVER);
	c->acc = acc;
	c->certs = store;
	c->cache = cache;
	c->tickets = tickets;
	c->client_ca = ca;
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

static void test_server_matrix(void)
{
	unsigned runs = 0, fails = 0;

	for (size_t s = 0; s < sizeof(all_suites) / sizeof(all_suites[0]); s++) {
		for (size_t g = 0; g < 3; g++) {
			for (int auth = 0; auth < 3; auth++) {
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
				for (int mode = 0; mode < 3; mode++) {
					struct run r = { .suite = suite,
							 .groups = cli_groups[g],
							 .auth = cfg.client_auth,
							 .libssl_cert = auth != 0 };
					enum tg_hs_resumption want =
						mode == 0 ? TG_HS_FULL
						: mode == 1 ? TG_HS_RESUMED_TICKET
							    : TG_HS_RESUMED_ID;

					if (mode == 2) {
						/* a fresh session, ID only */
						cfg.tickets = NULL;
						SSL_SESSION_free(sess);
						sess = NULL;
						run_our_server(&r, &cfg, &sess);
						r = (struct run){ .suite = suite,
								  .groups = cli_groups[g],
								  .auth = cfg.client_auth,
								  .libssl_cert = auth != 0 };
					}
					run_our_server(&r, &cfg, &sess);
					runs++;
					bool ok = tg_ok(r.ours) && r.ssl_err == 1 &&
						  r.data_ok &&
						  r.info->suite == suite &&
						  r.info->resumed == want &&
						  r.ssl_resumed == (mode != 0) &&
						  r.info->ems &&
						  strcmp(r.info->alpn, "http/1.1") == 0 &&
						  strcmp(r.info->sni, host) == 0 &&
						  (mode != 0 || is_static_rsa(suite) ||
						   r.info->group == group_ids[g]) &&
						  (auth == 0 || r.info->peer_verified);
					if (!ok) {
						fails++;
						fprintf(stderr,
							"server %s %s auth %d mode %d: ours %s ssl %d data %d resumed %d/%d alert %u/%lu suite %04x ems %d alpn '%s' sni '%s' group %u verified %d\n",
							ossl_suite(suite), all_groups[g],
							auth, mode, tg_strerror(r.ours.code),
							r.ssl_err, r.data_ok,
							r.info ? (int)r.info->resumed : -1,
							r.ssl_resumed,
							r.info ? r.info->alert_sent : 0,
							r.ssl_alert_seen, r.info->suite,
							r.info->ems, r.info->alpn, r.info->sni,
							r.info->group, r.info->peer_verified);
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
		struct run r = { .suite = sa[i].suite, .groups = "X25519:P-256",
				 .sigalgs = sa[i].ossl };

		srv_cfg(&cfg, sa[i].suite, false);
		run_our_server(&r, &cfg, NULL);
		if (!tg_ok(r.ours) || !r.data_ok || r.info->sigalg != sa[i].id)
			fprintf(stderr, "sigalg %s: ours %s ssl %d alert %u/%lu sigalg %04x\n",
				sa[i].ossl, tg_strerror(r.ours.code), r.ssl_err,
				r.info->alert_sent, r.ssl_alert_seen, r.info->sigalg);
		CU_ASSERT(tg_ok(r.ours) && r.data_ok);
		CU_ASSERT_EQUAL(r.info->sigalg, sa[i].id);
	}
	/* ECDSA P-384 certificate by SNI, ecdsa_secp384r1_sha384 */
	{
		struct tg_hs_config cfg;
		struct run r = { .suite = TG_CS_ECDHE_ECDSA_AES_256_GCM_SHA384,
				 .groups = "P-384", .sni = "p384.example.com" };

		srv_cfg(&cfg, r.suite, false);
		run_our_server(&r, &cfg, NULL);
		CU_ASSERT(tg_ok(r.ours) && r.data_ok);
		CU_ASSERT_EQUAL(r.info->sigalg, TG_SIG_ECDSA_SECP384R1_SHA384);
	}
}

/* A peer we cannot agree with gets the right alert. */
static void test_server_negative(void)
{
	struct tg_hs_config cfg;

	/* only CBC suites: handshake_failure */
	{
		struct run r = { .suite = 0, .groups = "X25519" };
		SSL_CTX *ctx;
		SSL *ssl;
		BIO *inner, *net;
		struct tg_hs *hs;

		srv_cfg(&cfg, 0, false);
		ctx = mk_ctx(false, &r);
		SSL_CTX_set_cipher_list(ctx, "ECDHE-RSA-AES128-SHA:AES128-SHA");
		ssl = SSL_new(ctx);
		BIO_new_bio_pair(&inner, 0, &net, 0);
		SSL_set_bio(ssl, inner, inner);
		SSL_set_connect_state(ssl);
		SSL_set_app_data(ssl, &r);
		CU_ASSERT_FATAL(tg_ok(tg_hs_new(&cfg, NULL, &hs)));
		pump(&r, hs, ssl, net);
		CU_ASSERT_EQUAL(r.ours.code, TG_E_HANDSHAKE_FAIL);
		CU_ASSERT_EQUAL(r.ssl_alert_seen, TG_ALERT_HANDSHAKE_FAILURE);
		tg_hs_free(hs);
		SSL_free(ssl);
		BIO_free(net);
		SSL_CTX_free(ctx);
	}
	/* only a group we lack (P-521): no ECDHE suite possible */
	{
		struct run r = { .suite = TG_CS_ECDHE_ECDSA_AES_128_GCM_SHA256,
				 .groups = "P-521" };

		srv_cfg(&cfg, r.suite, false);
		run_our_server(&r, &cfg, NULL);
		CU_ASSERT_EQUAL(r.ours.code, TG_E_HANDSHAKE_FAIL);
		CU_ASSERT_EQUAL(r.ssl_alert_seen, TG_ALERT_HANDSHAKE_FAILURE);
	}
	/* TLS 1.1 only: protocol_version */
	{
		struct run r = { .suite = 0, .groups = "X25519" };
		SSL_CTX *ctx;
		SSL *ssl;
		BIO *inner, *net;
		struct tg_hs *hs;

		srv_cfg(&cfg, 0, false);
		ctx = mk_ctx(false, &r);
		SSL_CTX_set_security_level(ctx, 0);
		SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
		SSL_CTX_set_max_proto_version(ctx, TLS1_1_VERSION);
		SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
		ssl = SSL_new(ctx);
		BIO_new_bio_pair(&inner, 0, &net, 0);
		SSL_set_bio(ssl, inner, inner);
		SSL_set_connect_state(ssl);
		SSL_set_app_data(ssl, &r);
		CU_ASSERT_FATAL(tg_ok(tg_hs_new(&cfg, NULL, &hs)));
		pump(&r, hs, ssl, net);
		CU_ASSERT_EQUAL(r.ours.code, TG_E_PROTOCOL_VERSION);
		CU_ASSERT_EQUAL(r.ssl_alert_seen, TG_ALERT_PROTOCOL_VERSION);
		tg_hs_free(hs);
		SSL_free(ssl);
		BIO_free(net);
		SSL_CTX_free(ctx);
	}
	/* client certificate required, none sent: handshake_failure */
	{
		struct run r = { .suite = TG_CS_ECDHE_ECDSA_AES_128_GCM_SHA256,
				 .groups = "X25519:P-256" };

		srv_cfg(&cfg, r.suite, false);
		cfg.client_auth = TG_HS_CLIENT_AUTH_REQUIRE;
		run_our_server(&r, &cfg, NULL);
		CU_ASSERT_EQUAL(r.ours.code, TG_E_CERT_REQUIRED);
		CU_ASSERT_EQUAL(r.ssl_alert_seen, TG_ALERT_HANDSHAKE_FAILURE);
	}
	/* ALPN required, no overlap: no_application_protocol */
	{
		struct run r = { .suite = TG_CS_ECDHE_ECDSA_AES_128_GCM_SHA256,
				 .groups = "X25519" };

		srv_cfg(&cfg, r.suite, false);
		snprintf(cfg.alpn[0], sizeof(cfg.alpn[0]), "imap");
		cfg.n_alpn = 1;
		cfg.alpn_required = true;
		run_our_server(&r, &cfg, NULL);
		CU_ASSERT_EQUAL(r.ours.code, TG_E_NO_ALPN);
		CU_ASSERT_EQUAL(r.ssl_alert_seen, TG_ALERT_NO_APPLICATION_PROTOCOL);
	}
	/* static RSA offered only, but off by default: handshake_failure */
	{
		struct run r = { .suite = TG_CS_RSA_AES_128_GCM_SHA256,
				 .groups = "X25519" };

		srv_cfg(&cfg, 0, false);
		run_our_server(&r, &cfg, NULL);
		CU_ASSERT_EQUAL(r.ours.code, TG_E_HANDSHAKE_FAIL);
	}
}

/* ---- our client --------------------------------------------------------- */

static SSL_CTX *libssl_server(const char *cert, const char *key, bool tickets,
			      int verify)
{
	struct run dummy = { 0 };
	SSL_CTX *ctx = mk_ctx(true, &dummy);

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
	tg_hs_config_defaults(c, TG_HS_CLIENT);
	c->acc = acc;
	c->ca = ca;
	snprintf(c->server_name, sizeof(c->server_name), "%s", host);
	if (suite) {
		c->suites[0] = suite;
		c->n_suites = 1;
	}
	if (group) {
		c->groups[0] = group;
		c->n_groups = 1;
	}
}

static void test_client_matrix(void)
{
	unsigned runs = 0, fails = 0;

	for (size_t s = 0; s < sizeof(all_suites) / sizeof(all_suites[0]); s++) {
		uint16_t suite = all_suites[s];
		bool ec = is_ecdsa(suite);

		for (size_t g = 0; g < 3; g++) {
			if (is_static_rsa(suite) && g > 0)
				continue;
			for (int auth = 0; auth < 2; auth++) {
				for (int tickets = 0; tickets < 2; tickets++) {
					struct tg_hs_config cfg;
					struct tg_hs_session sess = { 0 };
					SSL_CTX *sctx = libssl_server(
						ec ? "ec.pem" : "rsa.pem",
						ec ? "ec.key" : "rsa.key", tickets,
						auth ? SSL_VERIFY_PEER |
							       SSL_VERIFY_FAIL_IF_NO_PEER_CERT
						     : SSL_VERIFY_NONE);

					SSL_CTX_set_cipher_list(sctx, ossl_suite(suite));
					/* P-256 too: our client certificate's curve */
					SSL_CTX_set1_groups_list(sctx, cli_groups[g]);
					cli_cfg(&cfg, suite, group_ids[g]);
					if (group_ids[g] != TG_GROUP_SECP256R1) {
						/* a libssl server wants its
						 * certificate's curve offered */
						cfg.groups[1] = TG_GROUP_SECP256R1;
						cfg.n_groups = 2;
					}
					cfg.offer_ticket = tickets;
					if (auth)
						cfg.client_cert = client_cert;
					for (int mode = 0; mode < 2; mode++) {
						struct run r = { .suite = suite };
						enum tg_hs_resumption want =
							mode == 0 ? TG_HS_FULL
							: tickets ? TG_HS_RESUMED_TICKET
								  : TG_HS_RESUMED_ID;

						run_our_client(&r, &cfg, &sess, sctx);
						runs++;
						bool ok = tg_ok(r.ours) && r.ssl_err == 1 &&
							  r.data_ok && r.info->suite == suite &&
							  r.info->resumed == want &&
							  r.ssl_resumed == (mode == 1) &&
							  (mode == 1 || r.info->peer_verified) &&
							  (mode == 1 || is_static_rsa(suite) ||
							   r.info->group == group_ids[g]);
						if (!ok) {
							fails++;
							fprintf(stderr,
								"client %s %s auth %d tickets %d mode %d: ours %s ssl %d data %d resumed %d/%d alert %u/%lu\n",
								ossl_suite(suite), all_groups[g], auth,
								tickets, mode, tg_strerror(r.ours.code),
								r.ssl_err, r.data_ok,
								(int)r.info->resumed, r.ssl_resumed,
								r.info->alert_sent, r.ssl_alert_seen);
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
		struct run r = { 0 };

		cli_cfg(&cfg, 0, 0);
		run_our_client(&r, &cfg, NULL, sctx);
		CU_ASSERT_EQUAL(r.ours.code, TG_E_BAD_CERT);
		CU_ASSERT_EQUAL(r.ssl_alert_seen, TG_ALERT_BAD_CERTIFICATE);
		SSL_CTX_free(sctx);
	}
	/* a server without extended_master_secret: refused */
	{
		SSL_CTX *sctx = libssl_server("ec.pem", "ec.key", false,
					      SSL_VERIFY_NONE);
		struct run r = { 0 };

		SSL_CTX_clear_options(sctx, SSL_OP_ALL);
		SSL_CTX_set_options(sctx, SSL_OP_NO_EXTENDED_MASTER_SECRET);
		cli_cfg(&cfg, 0, 0);
		run_our_client(&r, &cfg, NULL, sctx);
		CU_ASSERT_EQUAL(r.ours.code, TG_E_HANDSHAKE_FAIL);
		SSL_CTX_free(sctx);
	}
	/* server requires a client certificate we don't have */
	{
		SSL_CTX *sctx = libssl_server("ec.pem", "ec.key", false,
					      SSL_VERIFY_PEER |
						      SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
		struct run r = { 0 };

		cli_cfg(&cfg, 0, 0);
		run_our_client(&r, &cfg, NULL, sctx);
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
	struct run r = { .suite = 0, .groups = "X25519" };
	struct tg_hs_config cfg;
	SSL_CTX *ctx = mk_ctx(false, &r);
	SSL *ssl = SSL_new(ctx);
	BIO *inner, *net;
	struct tg_hs *hs;
	uint8_t buf[8192];
	int n;
	size_t used;
	tg_result res;

	srv_cfg(&cfg, 0, false);
	BIO_new_bio_pair(&inner, 0, &net, 0);
	SSL_set_bio(ssl, inner, inner);
	SSL_set_connect_state(ssl);
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
	{ "our server x libssl client (suites, groups, resumption, client auth)",
	  test_server_matrix },
	{ "our server: every signature scheme", test_server_sigalgs },
	{ "our server: peers we cannot agree with", test_server_negative },
	{ "our client x libssl server (suites, groups, resumption, client auth)",
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
