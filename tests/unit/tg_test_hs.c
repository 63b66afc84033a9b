/* SPDX-License-Identifier: BSD-3-Clause */
/* The handshake tests' environment: a run-time PKI and the engine objects
 * built on it (see tg_test_hs.h). */
#include "tg_test_hs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "tg_log.h"

const struct tg_test_hs_leaf tg_test_hs_std_leaves[3] = {
	{ "ec", "P-256", TG_TEST_HS_HOST, "DNS:www.example.com", TG_PKI_SERVER,
	  TG_TEST_HS_STORE_DEFAULT, false },
	{ "rsa", NULL, TG_TEST_HS_HOST, "DNS:www.example.com", TG_PKI_SERVER,
	  TG_TEST_HS_STORE, false },
	{ "cli", "P-256", "client", "DNS:client.example.com", TG_PKI_CLIENT,
	  TG_TEST_HS_CLIENT_CERT, false },
};

#define N_STD (sizeof(tg_test_hs_std_leaves) / sizeof(tg_test_hs_std_leaves[0]))

/* Leaf @p i of @p spec: the standard ones first when asked for. */
static const struct tg_test_hs_leaf *leaf(const struct tg_test_hs_spec *spec,
					  size_t i)
{
	if (spec->std_leaves) {
		if (i < N_STD)
			return &tg_test_hs_std_leaves[i];
		i -= N_STD;
	}
	return &spec->leaves[i];
}

static size_t n_leaves(const struct tg_test_hs_spec *spec)
{
	return (spec->std_leaves ? N_STD : 0) + spec->n_leaves;
}

static EVP_PKEY *keygen(const char *curve)
{
	if (curve != NULL && strcmp(curve, "RSA-PSS") == 0) {
		/* EVP_PKEY_Q_keygen() knows RSA and EC only (OpenSSL 3.0) */
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
		EVP_PKEY *k = NULL;

		if (c == NULL || EVP_PKEY_keygen_init(c) != 1 ||
		    EVP_PKEY_generate(c, &k) != 1)
			k = NULL;
		EVP_PKEY_CTX_free(c);
		return k;
	}
	return curve ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve)
		     : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
}

/* The CAs and leaves of @p spec, written to the temp dir. */
static int make_pki(const struct tg_test_hs_spec *spec)
{
	EVP_PKEY *k_ca, *k_ca2 = NULL;
	X509 *x_ca, *x_ca2 = NULL;
	int ret = 0;

	if (tg_pki_init(spec->prefix) != 0)
		return -1;
	k_ca = keygen("P-256");
	x_ca = tg_pki_cert(spec->ca_cn, NULL, k_ca, NULL, NULL, -1, 3650,
			   TG_PKI_CA);
	if (spec->other_ca_cn) {
		k_ca2 = keygen("P-256");
		x_ca2 = tg_pki_cert(spec->other_ca_cn, NULL, k_ca2, NULL, NULL,
				    -1, 3650, TG_PKI_CA);
	}
	tg_pki_write_certs("ca.pem", x_ca, NULL, NULL);
	for (size_t i = 0; i < n_leaves(spec) && ret == 0; i++) {
		const struct tg_test_hs_leaf *l = leaf(spec, i);
		EVP_PKEY *k = keygen(l->curve);
		char file[64];

		if (k == NULL || (l->other_ca && x_ca2 == NULL)) {
			ret = -1;
		} else {
			snprintf(file, sizeof(file), "%s.key", l->name);
			tg_pki_write_key(file, k, false);
			snprintf(file, sizeof(file), "%s.pem", l->name);
			tg_pki_leaf(file, l->cn, l->san, k,
				    l->other_ca ? x_ca2 : x_ca,
				    l->other_ca ? k_ca2 : k_ca, -1, 365, l->kind,
				    NULL);
		}
		EVP_PKEY_free(k);
	}
	X509_free(x_ca);
	X509_free(x_ca2);
	EVP_PKEY_free(k_ca);
	EVP_PKEY_free(k_ca2);
	return ret;
}

/* The paths of <name>.pem and <name>.key in the temp dir. */
static void leaf_paths(const char *name, char crt[128], char key[128])
{
	snprintf(crt, 128, "%s/%s.pem", tg_pki_dir, name);
	snprintf(key, 128, "%s/%s.key", tg_pki_dir, name);
}

tg_result tg_test_hs_store_load(struct tg_cert_store *store, const char *name,
				bool is_default)
{
	char crt[128], key[128];

	leaf_paths(name, crt, key);
	return tg_cert_store_load(store, crt, key, is_default);
}

static TG_MUST_CHECK tg_result load_leaf(const struct tg_test_hs_leaf *l,
			   struct tg_test_hs_env *env)
{
	char crt[128], key[128];

	switch (l->use) {
	case TG_TEST_HS_STORE:
	case TG_TEST_HS_STORE_DEFAULT:
		return tg_test_hs_store_load(env->store, l->name,
					     l->use == TG_TEST_HS_STORE_DEFAULT);
	case TG_TEST_HS_CLIENT_CERT:
		leaf_paths(l->name, crt, key);
		return tg_cert_load(crt, key, &env->client_cert);
	case TG_TEST_HS_FILES:
	default:
		return TG_OK;
	}
}

int tg_test_hs_open(const struct tg_test_hs_spec *spec,
		    struct tg_test_hs_env *env)
{
	struct tg_accel_conf conf = { .backends = "evp", .no_calibrate = true };
	struct tg_sesscache_cfg cc = { .max_entries = 1024, .ttl_s = 3600 };

	*env = (struct tg_test_hs_env){ 0 };
	if (make_pki(spec) != 0)
		return -1;
	tg_log_set_level(getenv("TG_DEBUG") ? TG_LOG_DEBUG : TG_LOG_ERR);
	if (tg_failed(tg_accel_create(&conf, &env->acc)) ||
	    tg_failed(tg_cert_store_new(0, &env->store)))
		return -1;
	for (size_t i = 0; i < n_leaves(spec); i++)
		if (tg_failed(load_leaf(leaf(spec, i), env)))
			return -1;
	if (tg_failed(tg_ca_load(tg_pki_path("ca.pem"), NULL, &env->ca)))
		return -1;
	if (spec->resumption &&
	    (tg_failed(tg_sesscache_new(&cc, &env->cache)) ||
	     tg_failed(tg_ticket_keys_random(TG_TICKET_FMT_GCM, NULL,
					     &env->tickets))))
		return -1;
	return 0;
}

void tg_test_hs_close(struct tg_test_hs_env *env)
{
	tg_ticket_keys_unref(env->tickets);
	tg_sesscache_free(env->cache);
	tg_cert_free(env->client_cert);
	tg_ca_free(env->ca);
	tg_cert_store_unref(env->store);
	tg_accel_destroy(env->acc);
	*env = (struct tg_test_hs_env){ 0 };
	tg_pki_cleanup();
}

void tg_test_hs_srv_cfg(struct tg_hs_config *c,
			const struct tg_test_hs_env *env)
{
	tg_hs_config_defaults(c, TG_HS_SERVER);
	c->acc = env->acc;
	c->certs = env->store;
	c->client_ca = env->ca;
}

void tg_test_hs_cli_cfg(struct tg_hs_config *c,
			const struct tg_test_hs_env *env)
{
	tg_hs_config_defaults(c, TG_HS_CLIENT);
	c->acc = env->acc;
	c->ca = env->ca;
	snprintf(c->server_name, sizeof(c->server_name), "%s", TG_TEST_HS_HOST);
}
