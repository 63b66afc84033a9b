/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_interop.h
 * The interop tests' harness: our handshake engine against OpenSSL's
 * libssl in memory (BIO pairs, no sockets). The environment (run-time PKI,
 * accel, store, CA, client certificate) is tg_test_hs's; on top of it:
 * libssl contexts and endpoints, the pump between the two, application
 * data both ways through the exported keys, and one whole connection with
 * our server (a libssl client) or our client (a libssl server).
 */
#ifndef TG_INTEROP_H
#define TG_INTEROP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "tg_hs.h"
#include "tg_test_hs.h"

/** The environment the harness runs on (opened by tgi_open). */
extern struct tg_test_hs_env tgi_env;

/** Open tgi_env on @p spec; 0 on success (a CUnit suite init). */
int tgi_open(const struct tg_test_hs_spec *spec);

/** Close tgi_env (a CUnit suite cleanup). */
int tgi_close(void);

/** What one connection gave. */
struct tgi_run {
	tg_result ours;           /**< our engine's first failure */
	int ssl_err;              /**< libssl handshake: 1 ok, -1 failed */
	unsigned long ssl_reason; /**< ERR_GET_REASON of libssl's failure */
	int ssl_alert_seen;       /**< last alert libssl received, -1 none */
	int ssl_alert_sent;       /**< last alert libssl sent, -1 none */
	struct tg_hs_info info;   /**< our engine's view at the end */
	bool data_ok;             /**< application data went both ways */
	bool ssl_resumed;
	char peer_cn[64];         /**< the certificate libssl received */
	uint8_t server_random[32];
};

/** A run with nothing seen yet. */
void tgi_run_reset(struct tgi_run *r);

/** The knobs of one libssl client (all zero: libssl's defaults). */
struct tgi_peer {
	int max_version;        /**< TLS1_2_VERSION when 0 */
	int min_version;        /**< TLS1_2_VERSION when 0 */
	const char *ciphers;    /**< NULL: libssl's default */
	const char *ciphersuites; /**< TLS 1.3 suites; NULL: libssl's default */
	bool no_compat;         /**< no TLS 1.3 middlebox compatibility mode */
	bool allow_no_dhe;      /**< SSL_OP_ALLOW_NO_DHE_KEX: psk_ke offered */
	const char *groups;     /**< NULL: libssl's default */
	const char *sigalgs;    /**< NULL: libssl's default */
	const char *sni;        /**< NULL: none */
	bool check_host;        /**< the certificate must name sni */
	bool fallback_scsv;
	bool no_ems;
	bool alpn;              /**< offer h2, http/1.1 */
	const char *cert, *key; /**< client certificate (temp dir names) */
};

/** A TLS 1.2 (up to @p max_version) context trusting ca.pem, whose alerts
 *  go to the tgi_run set as the connection's app data. */
SSL_CTX *tgi_ctx(bool server, int max_version);

/** A libssl client context with @p o's context-wide knobs. */
SSL_CTX *tgi_client_ctx(const struct tgi_peer *o);

/** A connection of @p ctx on one end of a BIO pair (*@p net is the other
 *  end, for our engine), reporting to @p r. */
SSL *tgi_ssl_new(SSL_CTX *ctx, bool client, struct tgi_run *r, BIO **net);

/** Move bytes between our engine and libssl until both stop. */
void tgi_pump(struct tgi_run *r, struct tg_hs *hs, SSL *ssl, BIO *net);

/** Seal @p n bytes of content @p type with @p s into @p out (from its
 *  start); the record's length, 0 on failure. */
size_t tgi_seal_rec(struct tg_accel_sess *s, uint8_t type, const void *p,
		    size_t n, uint8_t *out, size_t cap);

/** Application data both ways through @p hs's exported keys. */
bool tgi_app_data(struct tg_hs *hs, SSL *ssl, BIO *net);

/** Our server with @p cfg, a libssl client with @p o. @p sess carries
 *  libssl's session over (NULL: none). */
void tgi_run_our_server(struct tgi_run *r, const struct tg_hs_config *cfg,
			const struct tgi_peer *o, SSL_SESSION **sess);

/** A libssl server on @p sctx, our client with @p cfg. @p sess (or NULL)
 *  is resumed when valid and takes the new session. */
void tgi_run_our_client(struct tgi_run *r, const struct tg_hs_config *cfg,
			struct tg_hs_session *sess, SSL_CTX *sctx);

/** Server defaults on tgi_env (tg_test_hs_srv_cfg). */
void tgi_srv_cfg(struct tg_hs_config *c);

/** Client defaults on tgi_env (tg_test_hs_cli_cfg). */
void tgi_cli_cfg(struct tg_hs_config *c);

#endif
