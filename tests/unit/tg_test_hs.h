/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_test_hs.h
 * The handshake tests' environment, shared by the unit and interop tests:
 * a run-time PKI (a CA in ca.pem, leaves in <name>.pem/<name>.key), the
 * accel engine, a certificate store, the CA, our client certificate and,
 * on request, a session cache and ticket keys; and the base server and
 * client configurations built on it.
 */
#ifndef TG_TEST_HS_H
#define TG_TEST_HS_H

#include <stdbool.h>
#include <stddef.h>

#include "tg_cert.h"
#include "tg_hs.h"
#include "tg_sesscache.h"
#include "tg_test_pki.h"
#include "tg_ticket.h"

/** The name our server certificates carry (and our client asks for). */
#define TG_TEST_HS_HOST "www.example.com"

/** What the environment does with a leaf once it is written. */
enum tg_test_hs_use {
	TG_TEST_HS_FILES,         /**< files only */
	TG_TEST_HS_STORE,         /**< loaded into the store */
	TG_TEST_HS_STORE_DEFAULT, /**< loaded into the store as its default */
	TG_TEST_HS_CLIENT_CERT,   /**< loaded as our client certificate */
};

/** One key and its certificate, written as <name>.key and <name>.pem
 *  (the leaf and its issuer), valid from yesterday for a year. */
struct tg_test_hs_leaf {
	const char *name;
	const char *curve;       /**< EC curve, "RSA-PSS" (an RSASSA-PSS
				      key, RFC 4055), or NULL: RSA 2048 bits */
	const char *cn, *san;
	enum tg_pki_kind kind;
	enum tg_test_hs_use use;
	bool other_ca;           /**< issued by the other CA, not ca.pem's */
};

/** How to build an environment. */
struct tg_test_hs_spec {
	const char *prefix;       /**< temp dir /tmp/<prefix>.XXXXXX */
	const char *ca_cn;        /**< the CA (ca.pem, loaded as env.ca) */
	const char *other_ca_cn;  /**< a second CA (no file), or NULL */
	bool std_leaves;          /**< tg_test_hs_std_leaves first */
	const struct tg_test_hs_leaf *leaves; /**< in store load order */
	size_t n_leaves;
	bool resumption;          /**< a session cache and ticket keys */
};

/** The standard leaves: ec (P-256, the store's default) and rsa (2048)
 *  for TG_TEST_HS_HOST, and cli, our client certificate (P-256). */
extern const struct tg_test_hs_leaf tg_test_hs_std_leaves[3];

/** What the tests use. */
struct tg_test_hs_env {
	struct tg_accel *acc;
	struct tg_cert_store *store;
	struct tg_ca *ca;
	struct tg_cert *client_cert;
	struct tg_sesscache *cache;      /**< with resumption only */
	struct tg_ticket_keys *tickets;  /**< with resumption only */
};

/** Make the PKI of @p spec, set the log level (TG_DEBUG: debug) and open
 *  @p env on it; 0 on success (a CUnit suite init). */
int tg_test_hs_open(const struct tg_test_hs_spec *spec,
		    struct tg_test_hs_env *env);

/** Free @p env and remove the PKI. */
void tg_test_hs_close(struct tg_test_hs_env *env);

/** Load <name>.pem/<name>.key into @p store. */
tg_result tg_test_hs_store_load(struct tg_cert_store *store, const char *name,
				bool is_default);

/** Server defaults on @p env: its accel, store and CA for client auth. */
void tg_test_hs_srv_cfg(struct tg_hs_config *c,
			const struct tg_test_hs_env *env);

/** Client defaults on @p env: its accel and CA, asking for TG_TEST_HS_HOST. */
void tg_test_hs_cli_cfg(struct tg_hs_config *c,
			const struct tg_test_hs_env *env);

#endif
