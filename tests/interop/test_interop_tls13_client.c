/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS 1.3 interop of our handshake engine's client with OpenSSL's libssl
 * server, in memory (BIO pairs):
 *  - every suite x group (X25519, P-256 and P-384, the last two through a
 *    HelloRetryRequest: libssl's server takes only that group and our
 *    share is X25519) x server certificate (ECDSA P-256, RSA with
 *    RSA-PSS) x client authentication (libssl requires our certificate),
 *    each followed by a PSK-DHE resumption with the ticket libssl issued
 *    (its NewSessionTickets opened with the exported keys and given to
 *    tg_hs_post_handshake); application data both ways through the
 *    exported keys and our record engine;
 *  - ALPN, SNI, record_size_limit, middlebox compatibility off, 1.2 and
 *    1.3 offered; a libssl server capped at TLS 1.2 (TLS 1.2 from the
 *    same ClientHello; refused by a 1.3-only client). The downgrade
 *    sentinel is test_hs13_client's: libssl sends it only to a client
 *    that does not offer TLS 1.3.
 */
#include <stdio.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tg_alert.h"
#include "tg_hs.h"
#include "tg_interop.h"
#include "tg_test.h"
#include "tg_tls.h"
#include "tg_wipe.h"

static int suite_init(void)
{
	static const struct tg_test_hs_spec spec = {
		.prefix = "tginterop13c", .ca_cn = "Interop CA",
		.std_leaves = true, .resumption = false,
	};

	return tgi_open(&spec);
}

static int suite_fini(void)
{
	return tgi_close();
}

static void cli_cfg(struct tg_hs_config *c)
{
	tgi_cli_cfg(c);
	c->versions = TG_HS_VERSION_TLS13;
}

/* A libssl TLS 1.3 server with @p cert (ec or rsa), suite, group. */
static SSL_CTX *srv_ctx(const char *cert, const char *suite, const char *groups)
{
	SSL_CTX *ctx = tgi_ctx(true, TLS1_3_VERSION);
	char pem[64], key[64];

	snprintf(pem, sizeof(pem), "%s.pem", cert);
	snprintf(key, sizeof(key), "%s.key", cert);
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	/* resumption with client authentication needs one */
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"tg", 2);
	CU_ASSERT_EQUAL(SSL_CTX_use_certificate_chain_file(ctx, tg_pki_path(pem)), 1);
	CU_ASSERT_EQUAL(SSL_CTX_use_PrivateKey_file(ctx, tg_pki_path(key),
						    SSL_FILETYPE_PEM), 1);
	if (suite)
		CU_ASSERT_EQUAL(SSL_CTX_set_ciphersuites(ctx, suite), 1);
	if (groups)
		CU_ASSERT_EQUAL(SSL_CTX_set1_groups_list(ctx, groups), 1);
	return ctx;
}

struct run {
	tg_result ours;
	int ssl_ok;              /* libssl's handshake: 1 done, -1 failed */
	struct tg_hs_info info;
	bool data_ok;
	int tickets;             /* NewSessionTickets we took */
	bool ssl_resumed;
};

/* Move bytes both ways until neither moves; what libssl sends after our
 * handshake completed (its tickets) is kept in @p rest. */
static void pump(struct run *r, struct tg_hs *hs, SSL *ssl, BIO *net,
		 uint8_t *rest, size_t cap, size_t *rest_len)
{
	uint8_t buf[65536];

	*rest_len = 0;
	for (int i = 0; i < 100; i++) {
		int got, ret = SSL_do_handshake(ssl);
		size_t n;
		bool moved = false;

		if (ret == 1)
			r->ssl_ok = 1;
		else if (SSL_get_error(ssl, ret) != SSL_ERROR_WANT_READ)
			r->ssl_ok = -1;
		while ((got = BIO_read(net, buf, sizeof(buf))) > 0) {
			size_t used = 0;

			moved = true;
			if (tg_ok(r->ours) &&
			    !(tg_hs_events(hs) & TG_HS_EV_KEYS_READY))
				r->ours = tg_hs_feed(hs, buf, (size_t)got, &used);
			if ((tg_hs_events(hs) & TG_HS_EV_KEYS_READY) &&
			    *rest_len + (size_t)got - used <= cap) {
				memcpy(rest + *rest_len, buf + used, (size_t)got - used);
				*rest_len += (size_t)got - used;
			}
		}
		while ((n = tg_hs_output(hs, buf, sizeof(buf))) > 0) {
			BIO_write(net, buf, (int)n);
			moved = true;
		}
		if (!moved && (r->ssl_ok != 0 || tg_failed(r->ours)))
			break;
	}
}

/* Open the records of @p in with @p s: tickets to the engine, the rest
 * must be @p want. */
static bool take_records(struct run *r, struct tg_hs *hs, struct tg_accel_sess *s,
			 uint8_t *in, size_t n, const char *want)
{
	size_t off = 0;
	bool data = want == NULL;

	while (off + 5 <= n) {
		size_t l = 5 + (size_t)(in[off + 3] << 8 | in[off + 4]);
		struct tg_rec rec = { .sess = s, .buf = in + off,
				      .cap = (uint32_t)(n - off),
				      .rec_len = (uint32_t)l }, *rp = &rec;

		if (l > n - off || tg_accel_open_burst(&rp, 1) != 1)
			return false;
		off += l;
		if (rec.type == TG_CT_HANDSHAKE) {
			if (tg_failed(tg_hs_post_handshake(hs, in + off - l + rec.off,
							   rec.len)))
				return false;
			r->tickets++;
		} else if (rec.type == TG_CT_APPLICATION_DATA && want != NULL &&
			   rec.len == strlen(want) + 1 &&
			   memcmp(in + off - l + rec.off, want, rec.len) == 0) {
			data = true;
		} else {
			return false;
		}
	}
	return off == n && data;
}

static bool app_data(struct run *r, struct tg_hs *hs, SSL *ssl, BIO *net,
		     uint8_t *rest, size_t rest_len)
{
	static const char ping[] = "ping from libssl's server";
	static const char pong[] = "pong from our client";
	struct tg_keys tx, rx;
	struct tg_accel_sess *stx = NULL, *srx = NULL;
	uint8_t buf[4096];
	size_t l;
	int n;
	bool ok = false;

	if (tg_failed(tg_hs_export_keys(hs, &tx, &rx)))
		return false;
	if (tg_failed(tg_accel_sess_create(tgi_env.acc, &tx, &stx)) ||
	    tg_failed(tg_accel_sess_create(tgi_env.acc, &rx, &srx)))
		goto out;
	/* its tickets first */
	if (!take_records(r, hs, srx, rest, rest_len, NULL))
		goto out;
	/* libssl -> us */
	if (SSL_write(ssl, ping, sizeof(ping)) != sizeof(ping))
		goto out;
	n = BIO_read(net, buf, sizeof(buf));
	if (n <= 0 || !take_records(r, hs, srx, buf, (size_t)n, ping))
		goto out;
	/* us -> libssl */
	l = tgi_seal_rec(stx, TG_CT_APPLICATION_DATA, pong, sizeof(pong), buf,
			 sizeof(buf));
	if (l == 0)
		goto out;
	BIO_write(net, buf, (int)l);
	n = SSL_read(ssl, buf, sizeof(buf));
	ok = n == sizeof(pong) && memcmp(buf, pong, sizeof(pong)) == 0;
out:
	tg_wipe(&tx, sizeof(tx));
	tg_wipe(&rx, sizeof(rx));
	tg_accel_sess_free(stx);
	tg_accel_sess_free(srx);
	return ok;
}

/* One connection of our client (@p cfg, resuming @p sess when valid)
 * to a libssl server on @p sctx. */
static void run(struct run *r, const struct tg_hs_config *cfg,
		struct tg_hs_session *sess, SSL_CTX *sctx)
{
	static uint8_t rest[65536];
	struct tgi_run tr;
	size_t rest_len = 0;
	SSL *ssl;
	BIO *net;
	struct tg_hs *hs = NULL;

	memset(r, 0, sizeof(*r));
	tgi_run_reset(&tr);
	ssl = tgi_ssl_new(sctx, false, &tr, &net);
	ERR_clear_error();
	TG_ASSERT_OK(tg_hs_new(cfg, sess, &hs));
	pump(r, hs, ssl, net, rest, sizeof(rest), &rest_len);
	r->info = *tg_hs_info(hs);
	r->ssl_resumed = SSL_session_reused(ssl);
	if (r->ssl_ok == 1 && (tg_hs_events(hs) & TG_HS_EV_KEYS_READY))
		r->data_ok = app_data(r, hs, ssl, net, rest, rest_len);
	if (sess != NULL && r->tickets > 0)
		TG_ASSERT_OK(tg_hs_get_session(hs, sess));
	if (!r->data_ok)
		fprintf(stderr, "run: ours %s (alerts %u/%u) libssl %d (%s) data %d\n",
			tg_strerror(r->ours.code), r->info.alert_sent,
			r->info.alert_recv, r->ssl_ok,
			ERR_reason_error_string(ERR_peek_last_error()),
			r->data_ok);
	if (r->data_ok)
		SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	tg_hs_free(hs);
	SSL_free(ssl);
	BIO_free(net);
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
		const char *name;
		uint16_t sigalg;
		uint8_t type;
	} certs[] = {
		{ "ec", TG_SIG_ECDSA_SECP256R1_SHA256, 2 },
		{ "rsa", TG_SIG_RSA_PSS_RSAE_SHA256, 1 },
	};

	for (size_t s = 0; s < 3; s++) {
		for (size_t g = 0; g < 3; g++) {
			for (size_t c = 0; c < 2; c++) {
				for (int auth = 0; auth < 2; auth++) {
					SSL_CTX *sctx = srv_ctx(certs[c].name,
								suites[s].name,
								groups[g].ossl);
					struct tg_hs_config cfg;
					struct tg_hs_session sess;
					struct run r;

					memset(&sess, 0, sizeof(sess));
					cli_cfg(&cfg);
					if (auth) {
						SSL_CTX_set_verify(sctx,
							SSL_VERIFY_PEER |
							SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
							NULL);
						cfg.client_cert = tgi_env.client_cert;
					}
					run(&r, &cfg, &sess, sctx);
					CU_ASSERT(tg_ok(r.ours) && r.data_ok);
					CU_ASSERT_EQUAL(r.info.version, TG_TLS13);
					CU_ASSERT_EQUAL(r.info.suite, suites[s].id);
					CU_ASSERT_EQUAL(r.info.group, groups[g].id);
					CU_ASSERT_EQUAL(r.info.hrr, g != 0);
					CU_ASSERT_EQUAL(r.info.sigalg, certs[c].sigalg);
					CU_ASSERT_EQUAL(r.info.cert_type, certs[c].type);
					CU_ASSERT_TRUE(r.info.peer_verified);
					CU_ASSERT(r.tickets >= 1);
					CU_ASSERT_TRUE(sess.valid && sess.tls13);
					/* PSK-DHE with libssl's ticket */
					run(&r, &cfg, &sess, sctx);
					CU_ASSERT(tg_ok(r.ours) && r.data_ok);
					CU_ASSERT_TRUE(r.ssl_resumed);
					CU_ASSERT_EQUAL(r.info.resumed,
							TG_HS_RESUMED_TICKET);
					CU_ASSERT_EQUAL(r.info.group, groups[g].id);
					SSL_CTX_free(sctx);
				}
			}
		}
	}
}

static int alpn_cb(SSL *s, const unsigned char **out, unsigned char *outlen,
		   const unsigned char *in, unsigned int inlen, void *arg)
{
	(void)s;
	(void)arg;
	return SSL_select_next_proto((unsigned char **)out, outlen,
				     (const unsigned char *)"\x08http/1.1", 9, in,
				     inlen) == OPENSSL_NPN_NEGOTIATED
		       ? SSL_TLSEXT_ERR_OK
		       : SSL_TLSEXT_ERR_ALERT_FATAL;
}

static void test_options(void)
{
	SSL_CTX *sctx = srv_ctx("ec", NULL, NULL);
	struct tg_hs_config cfg;
	struct run r;

	SSL_CTX_set_alpn_select_cb(sctx, alpn_cb, NULL);
	cli_cfg(&cfg);
	cfg.versions |= TG_HS_VERSION_TLS12;
	cfg.no_compat = true;
	snprintf(cfg.alpn[0], sizeof(cfg.alpn[0]), "h2");
	snprintf(cfg.alpn[1], sizeof(cfg.alpn[1]), "http/1.1");
	cfg.n_alpn = 2;
	cfg.record_size_limit = 2048;
	run(&r, &cfg, NULL, sctx);
	CU_ASSERT(tg_ok(r.ours) && r.data_ok);
	CU_ASSERT_EQUAL(r.info.version, TG_TLS13);
	CU_ASSERT_STRING_EQUAL(r.info.alpn, "http/1.1");
	CU_ASSERT_STRING_EQUAL(r.info.sni, TG_TEST_HS_HOST);
	SSL_CTX_free(sctx);
	/* libssl capped at 1.2 (no sentinel then): TLS 1.2 from the same
	 * ClientHello */
	sctx = srv_ctx("ec", NULL, NULL);
	SSL_CTX_set_min_proto_version(sctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(sctx, TLS1_2_VERSION);
	run(&r, &cfg, NULL, sctx);
	CU_ASSERT(tg_ok(r.ours) && r.data_ok);
	CU_ASSERT_EQUAL(r.info.version, TG_TLS12);
	SSL_CTX_free(sctx);
	/* a 1.3-only client and that server: protocol_version */
	sctx = srv_ctx("ec", NULL, NULL);
	SSL_CTX_set_min_proto_version(sctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(sctx, TLS1_2_VERSION);
	cli_cfg(&cfg);
	run(&r, &cfg, NULL, sctx);
	CU_ASSERT(tg_failed(r.ours) || r.ssl_ok == -1);
	CU_ASSERT_FALSE(r.data_ok);
	SSL_CTX_free(sctx);
}

/* psk_ke (RFC 8446 §4.2.9) with libssl's server: with
 * SSL_OP_ALLOW_NO_DHE_KEX it resumes a client offering psk_ke alone
 * without (EC)DHE; offered both, OpenSSL 3.0 takes psk_dhe_ke; without
 * the option, psk_ke alone is a full handshake. */
static void test_psk_ke(void)
{
	struct tg_hs_config cfg;
	struct tg_hs_session sess;
	struct run r;

	for (int k = 0; k < 3; k++) {
		SSL_CTX *sctx = srv_ctx("ec", NULL, NULL);

		if (k < 2)
			SSL_CTX_set_options(sctx, SSL_OP_ALLOW_NO_DHE_KEX);
		memset(&sess, 0, sizeof(sess));
		cli_cfg(&cfg);
		cfg.psk_ke = true;
		cfg.psk_ke_only = k != 1;
		run(&r, &cfg, &sess, sctx);
		CU_ASSERT(tg_ok(r.ours) && r.data_ok);
		CU_ASSERT_TRUE_FATAL(sess.valid && sess.tls13);
		run(&r, &cfg, &sess, sctx);
		CU_ASSERT(tg_ok(r.ours) && r.data_ok);
		if (k == 2) {
			CU_ASSERT_FALSE(r.ssl_resumed);
			CU_ASSERT_EQUAL(r.info.resumed, TG_HS_FULL);
		} else {
			CU_ASSERT_TRUE(r.ssl_resumed);
			CU_ASSERT_EQUAL(r.info.resumed, TG_HS_RESUMED_TICKET);
			CU_ASSERT_EQUAL(r.info.psk_ke, k == 0);
			CU_ASSERT_EQUAL(r.info.group, k == 0 ? 0 : TG_GROUP_X25519);
		}
		SSL_CTX_free(sctx);
	}
}

static CU_TestInfo tests[] = {
	{ "TLS 1.3 client: suites x groups (HRR) x certificates x client auth, "
	  "then resumption",
	  test_matrix },
	{ "TLS 1.3 client: ALPN, SNI, no compatibility mode, downgrade",
	  test_options },
	{ "TLS 1.3 client: psk_ke with libssl's server", test_psk_ke },
	CU_TEST_INFO_NULL,
};

static const struct tg_test_suite suites[] = {
	{ "interop-tls13-client", suite_init, suite_fini, tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return tg_test_main(argc, argv, suites);
}
