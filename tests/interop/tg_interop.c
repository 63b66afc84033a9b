/* SPDX-License-Identifier: BSD-3-Clause */
/* The interop tests' harness: our engine against libssl in memory (see
 * tg_interop.h). */
#include "tg_interop.h"

#include <string.h>

#include <CUnit/CUnit.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "tg_tls.h"
#include "tg_wipe.h"

struct tg_test_hs_env tgi_env;

int tgi_open(const struct tg_test_hs_spec *spec)
{
	return tg_test_hs_open(spec, &tgi_env);
}

int tgi_close(void)
{
	tg_test_hs_close(&tgi_env);
	return 0;
}

void tgi_run_reset(struct tgi_run *r)
{
	memset(r, 0, sizeof(*r));
	r->ssl_alert_seen = r->ssl_alert_sent = -1;
}

static void info_cb(const SSL *s, int where, int ret)
{
	struct tgi_run *r = SSL_get_app_data(s);

	if (r == NULL)
		return;
	if (where & SSL_CB_READ_ALERT)
		r->ssl_alert_seen = ret & 0xff;
	if (where & SSL_CB_WRITE_ALERT)
		r->ssl_alert_sent = ret & 0xff;
}

SSL_CTX *tgi_ctx(bool server, int max_version)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());

	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, max_version);
	SSL_CTX_load_verify_locations(ctx, tg_pki_path("ca.pem"), NULL);
	SSL_CTX_set_info_callback(ctx, info_cb);
	return ctx;
}

SSL_CTX *tgi_client_ctx(const struct tgi_peer *o)
{
	SSL_CTX *ctx = tgi_ctx(false, o->max_version ? o->max_version
						       : TLS1_2_VERSION);

	if (o->min_version)
		SSL_CTX_set_min_proto_version(ctx, o->min_version);
	if (o->ciphers)
		SSL_CTX_set_cipher_list(ctx, o->ciphers);
	if (o->ciphersuites)
		SSL_CTX_set_ciphersuites(ctx, o->ciphersuites);
	if (o->no_compat)
		SSL_CTX_clear_options(ctx, SSL_OP_ENABLE_MIDDLEBOX_COMPAT);
	if (o->allow_no_dhe)
		SSL_CTX_set_options(ctx, SSL_OP_ALLOW_NO_DHE_KEX);
	if (o->groups)
		SSL_CTX_set1_groups_list(ctx, o->groups);
	if (o->sigalgs)
		SSL_CTX_set1_sigalgs_list(ctx, o->sigalgs);
	if (o->no_ems)
		SSL_CTX_set_options(ctx, SSL_OP_NO_EXTENDED_MASTER_SECRET);
	if (o->fallback_scsv)
		SSL_CTX_set_mode(ctx, SSL_MODE_SEND_FALLBACK_SCSV);
	return ctx;
}

SSL *tgi_ssl_new(SSL_CTX *ctx, bool client, struct tgi_run *r, BIO **net)
{
	SSL *ssl = SSL_new(ctx);
	BIO *inner;

	BIO_new_bio_pair(&inner, 0, net, 0);
	SSL_set_bio(ssl, inner, inner);
	if (client)
		SSL_set_connect_state(ssl);
	else
		SSL_set_accept_state(ssl);
	SSL_set_app_data(ssl, r);
	return ssl;
}

void tgi_pump(struct tgi_run *r, struct tg_hs *hs, SSL *ssl, BIO *net)
{
	uint8_t buf[65536];

	r->ssl_err = 0;
	for (int i = 0; i < 200; i++) {
		size_t n, used;
		int got, ret;
		bool moved = false;

		ret = SSL_do_handshake(ssl);
		if (ret == 1) {
			r->ssl_err = 1;
		} else if (SSL_get_error(ssl, ret) != SSL_ERROR_WANT_READ) {
			unsigned long e = ERR_peek_last_error();

			r->ssl_err = -1;
			if (e != 0)
				r->ssl_reason = ERR_GET_REASON(e);
		}
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

size_t tgi_seal_rec(struct tg_accel_sess *s, uint8_t type, const void *p,
		    size_t n, uint8_t *out, size_t cap)
{
	uint32_t h = tg_accel_hdr_len(s);
	struct tg_rec rec = { .sess = s, .buf = out, .cap = (uint32_t)cap,
			      .off = h, .len = (uint32_t)n, .type = type }, *rp = &rec;

	memcpy(out + h, p, n);
	if (tg_accel_seal_burst(&rp, 1) != 1)
		return 0;
	memmove(out, out + rec.rec_off, rec.rec_len);
	return rec.rec_len;
}

bool tgi_app_data(struct tg_hs *hs, SSL *ssl, BIO *net)
{
	struct tg_keys tx, rx;
	struct tg_accel_sess *stx = NULL, *srx = NULL;
	static const char ping[] = "ping from libssl";
	static const char pong[] = "pong from tlsgate";
	uint8_t buf[2048];
	int n;
	size_t l;
	bool ok = false;

	if (tg_failed(tg_hs_export_keys(hs, &tx, &rx)))
		return false;
	if (tg_failed(tg_accel_sess_create(tgi_env.acc, &tx, &stx)) ||
	    tg_failed(tg_accel_sess_create(tgi_env.acc, &rx, &srx)))
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

/* What both ends saw once the pump stopped; application data when the
 * handshake completed on both sides. */
static void collect(struct tgi_run *r, struct tg_hs *hs, SSL *ssl, BIO *net)
{
	X509 *x = SSL_get1_peer_certificate(ssl);

	r->info = *tg_hs_info(hs);
	r->ssl_resumed = SSL_session_reused(ssl);
	SSL_get_server_random(ssl, r->server_random, sizeof(r->server_random));
	if (x != NULL) {
		X509_NAME_get_text_by_NID(X509_get_subject_name(x),
					  NID_commonName, r->peer_cn,
					  sizeof(r->peer_cn));
		X509_free(x);
	}
	if (r->ssl_err == 1 && (tg_hs_events(hs) & TG_HS_EV_KEYS_READY))
		r->data_ok = tgi_app_data(hs, ssl, net);
}

/* Free a connection; a connection freed without close_notify makes libssl
 * drop its session (ssl_clear_bad_session): after a complete data
 * exchange it is marked shut down. */
static void ssl_done(const struct tgi_run *r, SSL *ssl, BIO *net)
{
	if (r->data_ok)
		SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(ssl);
	BIO_free(net);
}

void tgi_run_our_server(struct tgi_run *r, const struct tg_hs_config *cfg,
			const struct tgi_peer *o, SSL_SESSION **sess)
{
	SSL_CTX *ctx = tgi_client_ctx(o);
	SSL *ssl;
	BIO *net;
	struct tg_hs *hs = NULL;

	tgi_run_reset(r);
	ssl = tgi_ssl_new(ctx, true, r, &net);
	if (o->sni)
		SSL_set_tlsext_host_name(ssl, (char *)o->sni);
	if (o->check_host)
		SSL_set1_host(ssl, o->sni);
	/* the chain is checked against our CA; the name only on check_host */
	SSL_set_verify(ssl, SSL_VERIFY_PEER, NULL);
	if (o->cert) {
		SSL_use_certificate_chain_file(ssl, tg_pki_path(o->cert));
		SSL_use_PrivateKey_file(ssl, tg_pki_path(o->key), SSL_FILETYPE_PEM);
	}
	if (o->alpn)
		SSL_set_alpn_protos(ssl, (const unsigned char *)"\x02h2\x08http/1.1",
				    12);
	if (sess && *sess)
		SSL_set_session(ssl, *sess);
	ERR_clear_error();
	r->ours = tg_hs_new(cfg, NULL, &hs);
	CU_ASSERT_FATAL(tg_ok(r->ours));
	tgi_pump(r, hs, ssl, net);
	collect(r, hs, ssl, net);
	if (sess && r->ssl_err == 1) {
		SSL_SESSION_free(*sess);
		*sess = SSL_get1_session(ssl);
	}
	tg_hs_free(hs);
	ssl_done(r, ssl, net);
	SSL_CTX_free(ctx);
}

void tgi_run_our_client(struct tgi_run *r, const struct tg_hs_config *cfg,
			struct tg_hs_session *sess, SSL_CTX *sctx)
{
	SSL *ssl;
	BIO *net;
	struct tg_hs *hs = NULL;

	tgi_run_reset(r);
	ssl = tgi_ssl_new(sctx, false, r, &net);
	ERR_clear_error();
	r->ours = tg_hs_new(cfg, sess, &hs);
	CU_ASSERT_FATAL(tg_ok(r->ours));
	tgi_pump(r, hs, ssl, net);
	collect(r, hs, ssl, net);
	if (sess && r->ssl_err == 1 && (tg_hs_events(hs) & TG_HS_EV_KEYS_READY))
		CU_ASSERT(tg_ok(tg_hs_get_session(hs, sess)));
	tg_hs_free(hs);
	ssl_done(r, ssl, net);
}

void tgi_srv_cfg(struct tg_hs_config *c)
{
	tg_test_hs_srv_cfg(c, &tgi_env);
}

void tgi_cli_cfg(struct tg_hs_config *c)
{
	tg_test_hs_cli_cfg(c, &tgi_env);
}
