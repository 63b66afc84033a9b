/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for control/cert.c: loading, SNI selection, verification.
 * Every key and certificate is made at run time with libcrypto in a
 * mkdtemp() directory, removed at the end: no private key lives in git.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tg_cert.h"
#include "tg_log.h"
#include "tg_result.h"
#include "tg_test.h"
#include "tg_test_pki.h"

static EVP_PKEY *k_ca, *k_ca2, *k_int, *k_rsa, *k_ec, *k_ec384, *k_ed;
static EVP_PKEY *k_weak;
static X509 *x_ca, *x_ca2, *x_int;

static int suite_init(void)
{
	X509 *chain11[11];
	char hashname[32];
	int ok = 0;
	FILE *f;

	if (tg_pki_init("tgcert") != 0)
		return 1;
	tg_log_set_level(TG_LOG_ERR);
	k_ca = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	k_ca2 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	k_int = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	k_rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	k_ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	k_ec384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	k_ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	k_weak = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	if (!k_ca || !k_ca2 || !k_int || !k_rsa || !k_ec || !k_ec384 ||
	    !k_ed || !k_weak)
		return 1;
	x_ca = tg_pki_cert("Test Root CA", NULL, k_ca, NULL, NULL, -365, 3650,
		       TG_PKI_CA);
	x_ca2 = tg_pki_cert("Other Root CA", NULL, k_ca2, NULL, NULL, -365, 3650,
			TG_PKI_CA);
	x_int = tg_pki_cert("Test Intermediate CA", NULL, k_int, x_ca, k_ca, -365,
			3650, TG_PKI_CA);
	tg_pki_write_certs("ca.pem", x_ca, NULL, NULL);
	tg_pki_write_certs("ca2.pem", x_ca2, NULL, NULL);
	tg_pki_write_certs("ca_both.pem", x_ca, x_ca2, NULL);
	/* a hashed CA directory */
	if (mkdir(tg_pki_path("cadir"), 0700) != 0)
		return 1;
	snprintf(hashname, sizeof(hashname), "cadir/%08lx.0",
		 X509_NAME_hash_ex(X509_get_subject_name(x_ca), NULL, NULL,
				   &ok));
	tg_pki_write_certs(hashname, x_ca, NULL, NULL);

	tg_pki_write_key("rsa.key", k_rsa, false);
	tg_pki_write_key("ec.key", k_ec, false);
	tg_pki_write_key("ec384.key", k_ec384, false);
	tg_pki_write_key("ed.key", k_ed, false);
	tg_pki_write_key("rsa_enc.key", k_rsa, true);
	tg_pki_write_key("weak.key", k_weak, false);
	tg_pki_leaf("weak.pem", "weak.example.com", "DNS:weak.example.com", k_weak,
		x_ca, k_ca, -1, 365, TG_PKI_SERVER, NULL);
	tg_pki_leaf("www_rsa.pem", "www.example.com", "DNS:www.example.com",
		k_rsa, x_ca, k_ca, -1, 365, TG_PKI_SERVER, NULL);
	tg_pki_leaf("www_ec.pem", "www.example.com",
		"DNS:www.example.com,DNS:API.Example.com,IP:192.0.2.1", k_ec,
		x_ca, k_ca, -1, 365, TG_PKI_SERVER, NULL);
	tg_pki_leaf("net.pem", "example.net",
		"DNS:*.example.net,DNS:*.com,DNS:w*.example.org", k_ec384,
		x_ca, k_ca, -1, 365, TG_PKI_SERVER, NULL);
	tg_pki_leaf("default.pem", "default.example.org",
		"DNS:default.example.org", k_rsa, x_ca, k_ca, -1, 365,
		TG_PKI_SERVER, NULL);
	tg_pki_leaf("cn_only.pem", "CN.Example.org", NULL, k_rsa, x_ca, k_ca, -1,
		365, TG_PKI_SERVER, NULL);
	tg_pki_leaf("expired.pem", "www.example.com", "DNS:www.example.com", k_rsa,
		x_ca, k_ca, -30, -1, TG_PKI_SERVER, NULL);
	tg_pki_leaf("other.pem", "www.example.com", "DNS:www.example.com", k_rsa,
		x_ca2, k_ca2, -1, 365, TG_PKI_SERVER, NULL);
	tg_pki_leaf("client.pem", "client one", "DNS:client1.example.com", k_ec,
		x_ca, k_ca, -1, 365, TG_PKI_CLIENT, NULL);
	tg_pki_leaf("deep.pem", "deep.example.com", "DNS:deep.example.com", k_ec,
		x_int, k_int, -1, 365, TG_PKI_SERVER, NULL);
	tg_pki_leaf("self.pem", "www.example.com", "DNS:www.example.com", k_ec,
		NULL, NULL, -1, 365, TG_PKI_SERVER, NULL);
	tg_pki_leaf("ed.pem", "ed.example.com", "DNS:ed.example.com", k_ed, x_ca,
		k_ca, -1, 365, TG_PKI_SERVER, NULL);
	/* one file holding the leaf, the key and the CA (nginx style) */
	{
		X509 *x = tg_pki_cert("combo.example.com",
				  "DNS:combo.example.com", k_ec, x_ca, k_ca,
				  -1, 365, TG_PKI_SERVER);

		f = fopen(tg_pki_path("combo.pem"), "w");
		if (f == NULL)
			return 1;
		tg_pki_track(tg_pki_path("combo.pem"));
		PEM_write_X509(f, x);
		PEM_write_PrivateKey(f, k_ec, NULL, NULL, 0, NULL, NULL);
		PEM_write_X509(f, x_ca);
		fclose(f);
		X509_free(x);
	}
	tg_pki_write_text("garbage.pem", "this is not PEM\n");
	tg_pki_write_text("bad_b64.pem", "-----BEGIN CERTIFICATE-----\n!!!!\n"
				  "-----END CERTIFICATE-----\n");
	/* 11 certificates: one over the limit */
	for (int i = 0; i < 11; i++)
		chain11[i] = tg_pki_cert("www.example.com", "DNS:www.example.com",
				     k_ec, x_ca, k_ca, -1, 365, TG_PKI_SERVER);
	f = fopen(tg_pki_path("chain11.pem"), "w");
	if (f == NULL)
		return 1;
	tg_pki_track(tg_pki_path("chain11.pem"));
	for (int i = 0; i < 11; i++) {
		PEM_write_X509(f, chain11[i]);
		X509_free(chain11[i]);
	}
	fclose(f);
	return 0;
}

static int suite_cleanup(void)
{
	rmdir(tg_pki_path("cadir"));
	tg_pki_cleanup();
	X509_free(x_ca);
	X509_free(x_ca2);
	X509_free(x_int);
	EVP_PKEY_free(k_ca);
	EVP_PKEY_free(k_ca2);
	EVP_PKEY_free(k_int);
	EVP_PKEY_free(k_rsa);
	EVP_PKEY_free(k_ec);
	EVP_PKEY_free(k_ec384);
	EVP_PKEY_free(k_ed);
	EVP_PKEY_free(k_weak);
	return 0;
}

/* ---- loading ---- */

static void test_load_ok(void)
{
	struct tg_cert *c;
	const struct tg_der *der;
	unsigned char *leaf_der = NULL;
	int leaf_len;
	size_t n;

	TG_ASSERT_OK(tg_cert_load(tg_pki_path("www_rsa.pem"), tg_pki_path("rsa.key"), &c));
	CU_ASSERT_EQUAL(tg_cert_key_type(c), TG_CERT_KEY_RSA);
	CU_ASSERT_PTR_NOT_NULL(tg_cert_pkey(c));
	der = tg_cert_chain(c, &n);
	CU_ASSERT_EQUAL(n, 2);
	leaf_len = i2d_X509(tg_cert_leaf(c), &leaf_der);
	CU_ASSERT_EQUAL((size_t)leaf_len, der[0].len);
	CU_ASSERT_EQUAL(memcmp(leaf_der, der[0].p, der[0].len), 0);
	OPENSSL_free(leaf_der);
	leaf_der = NULL;
	leaf_len = i2d_X509(x_ca, &leaf_der);
	CU_ASSERT_EQUAL((size_t)leaf_len, der[1].len);
	CU_ASSERT_EQUAL(memcmp(leaf_der, der[1].p, der[1].len), 0);
	OPENSSL_free(leaf_der);
	CU_ASSERT_EQUAL(tg_cert_name_count(c), 1);
	CU_ASSERT_STRING_EQUAL(tg_cert_name(c, 0), "www.example.com");
	CU_ASSERT_PTR_NULL(tg_cert_name(c, 1));
	CU_ASSERT_STRING_EQUAL(tg_cert_path(c), tg_pki_path("www_rsa.pem"));
	tg_cert_free(c);

	/* EC P-256; names lower-cased; IP SAN ignored */
	TG_ASSERT_OK(tg_cert_load(tg_pki_path("www_ec.pem"), tg_pki_path("ec.key"), &c));
	CU_ASSERT_EQUAL(tg_cert_key_type(c), TG_CERT_KEY_EC_P256);
	CU_ASSERT_EQUAL(tg_cert_name_count(c), 2);
	CU_ASSERT_STRING_EQUAL(tg_cert_name(c, 0), "www.example.com");
	CU_ASSERT_STRING_EQUAL(tg_cert_name(c, 1), "api.example.com");
	tg_cert_free(c);

	/* P-384; "*.com" and "w*.example.org" are refused as names */
	TG_ASSERT_OK(tg_cert_load(tg_pki_path("net.pem"), tg_pki_path("ec384.key"), &c));
	CU_ASSERT_EQUAL(tg_cert_key_type(c), TG_CERT_KEY_EC_P384);
	CU_ASSERT_EQUAL(tg_cert_name_count(c), 1);
	CU_ASSERT_STRING_EQUAL(tg_cert_name(c, 0), "*.example.net");
	tg_cert_free(c);

	/* no SAN: the CN is the name */
	TG_ASSERT_OK(tg_cert_load(tg_pki_path("cn_only.pem"), tg_pki_path("rsa.key"), &c));
	CU_ASSERT_EQUAL(tg_cert_name_count(c), 1);
	CU_ASSERT_STRING_EQUAL(tg_cert_name(c, 0), "cn.example.org");
	tg_cert_free(c);

	/* SAN present: the CN is not a name */
	TG_ASSERT_OK(tg_cert_load(tg_pki_path("client.pem"), tg_pki_path("ec.key"), &c));
	CU_ASSERT_EQUAL(tg_cert_name_count(c), 1);
	CU_ASSERT_STRING_EQUAL(tg_cert_name(c, 0), "client1.example.com");
	tg_cert_free(c);

	/* leaf, key and chain in one file */
	TG_ASSERT_OK(tg_cert_load(tg_pki_path("combo.pem"), tg_pki_path("combo.pem"), &c));
	tg_cert_chain(c, &n);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_STRING_EQUAL(tg_cert_name(c, 0), "combo.example.com");
	tg_cert_free(c);

	/* an expired certificate still loads (with a warning) */
	TG_ASSERT_OK(tg_cert_load(tg_pki_path("expired.pem"), tg_pki_path("rsa.key"), &c));
	tg_cert_free(c);
	tg_cert_free(NULL);
}

static void test_load_errors(void)
{
	struct tg_cert *c = (struct tg_cert *)1;

	TG_ASSERT_ERR(tg_cert_load(tg_pki_path("nope.pem"), tg_pki_path("rsa.key"), &c),
		      TG_E_IO);
	CU_ASSERT_PTR_NULL(c);
	TG_ASSERT_ERR(tg_cert_load(tg_pki_path("www_rsa.pem"), tg_pki_path("nope.key"), &c),
		      TG_E_IO);
	TG_ASSERT_ERR(tg_cert_load(tg_pki_path("garbage.pem"), tg_pki_path("rsa.key"), &c),
		      TG_E_DECODE);
	TG_ASSERT_ERR(tg_cert_load(tg_pki_path("bad_b64.pem"), tg_pki_path("rsa.key"), &c),
		      TG_E_DECODE);
	TG_ASSERT_ERR(tg_cert_load(tg_pki_path("www_rsa.pem"), tg_pki_path("garbage.pem"), &c),
		      TG_E_DECODE);
	/* a certificate file given as the key */
	TG_ASSERT_ERR(tg_cert_load(tg_pki_path("www_rsa.pem"), tg_pki_path("www_rsa.pem"), &c),
		      TG_E_DECODE);
	/* key mismatch: other type, and same type other curve */
	TG_ASSERT_ERR(tg_cert_load(tg_pki_path("www_rsa.pem"), tg_pki_path("ec.key"), &c),
		      TG_E_INVAL);
	TG_ASSERT_ERR(tg_cert_load(tg_pki_path("net.pem"), tg_pki_path("ec.key"), &c),
		      TG_E_INVAL);
	TG_ASSERT_ERR(tg_cert_load(tg_pki_path("www_ec.pem"), tg_pki_path("rsa.key"), &c),
		      TG_E_INVAL);
	/* encrypted key */
	TG_ASSERT_ERR(tg_cert_load(tg_pki_path("www_rsa.pem"), tg_pki_path("rsa_enc.key"), &c),
		      TG_E_UNSUPPORTED);
	/* Ed25519 is not a TLS 1.2 server key here */
	TG_ASSERT_ERR(tg_cert_load(tg_pki_path("ed.pem"), tg_pki_path("ed.key"), &c),
		      TG_E_UNSUPPORTED);
	TG_ASSERT_ERR(tg_cert_load(tg_pki_path("chain11.pem"), tg_pki_path("ec.key"), &c),
		      TG_E_INVAL);
	TG_ASSERT_ERR(tg_cert_load(NULL, tg_pki_path("ec.key"), &c), TG_E_INVAL);
	TG_ASSERT_ERR(tg_cert_load(tg_pki_path("www_rsa.pem"), NULL, &c), TG_E_INVAL);
	CU_ASSERT_PTR_NULL(c);
}

/* ---- SNI ---- */

static struct tg_cert *c_def, *c_rsa, *c_ec, *c_net;

static struct tg_cert_store *build_store(unsigned flags, bool mark_ec)
{
	struct tg_cert_store *s;

	if (tg_failed(tg_cert_store_new(flags, &s)))
		return NULL;
	if (tg_failed(tg_cert_load(tg_pki_path("default.pem"), tg_pki_path("rsa.key"), &c_def)) ||
	    tg_failed(tg_cert_store_add(s, c_def, false)) ||
	    tg_failed(tg_cert_load(tg_pki_path("www_rsa.pem"), tg_pki_path("rsa.key"), &c_rsa)) ||
	    tg_failed(tg_cert_store_add(s, c_rsa, false)) ||
	    tg_failed(tg_cert_load(tg_pki_path("www_ec.pem"), tg_pki_path("ec.key"), &c_ec)) ||
	    tg_failed(tg_cert_store_add(s, c_ec, mark_ec)) ||
	    tg_failed(tg_cert_load(tg_pki_path("net.pem"), tg_pki_path("ec384.key"), &c_net)) ||
	    tg_failed(tg_cert_store_add(s, c_net, false))) {
		tg_cert_store_unref(s);
		return NULL;
	}
	return s;
}

static TG_MUST_CHECK tg_result sel(const struct tg_cert_store *s, const char *name,
		     struct tg_cert_match *m)
{
	return tg_cert_store_select(s, name, name ? strlen(name) : 0, m);
}

static void test_sni_select(void)
{
	struct tg_cert_store *s = build_store(0, false);
	struct tg_cert_match m;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(tg_cert_store_count(s), 4);

	/* exact, two candidates in load order */
	TG_ASSERT_OK(sel(s, "www.example.com", &m));
	CU_ASSERT_EQUAL(m.kind, TG_CERT_MATCH_EXACT);
	CU_ASSERT_EQUAL(m.n, 2);
	CU_ASSERT_PTR_EQUAL(m.c[0], c_rsa);
	CU_ASSERT_PTR_EQUAL(m.c[1], c_ec);
	/* case-insensitive */
	TG_ASSERT_OK(sel(s, "WWW.Example.COM", &m));
	CU_ASSERT_EQUAL(m.kind, TG_CERT_MATCH_EXACT);
	CU_ASSERT_EQUAL(m.n, 2);
	TG_ASSERT_OK(sel(s, "api.example.com", &m));
	CU_ASSERT_EQUAL(m.n, 1);
	CU_ASSERT_PTR_EQUAL(m.c[0], c_ec);
	TG_ASSERT_OK(sel(s, "default.example.org", &m));
	CU_ASSERT_EQUAL(m.kind, TG_CERT_MATCH_EXACT);
	CU_ASSERT_PTR_EQUAL(m.c[0], c_def);

	/* wildcard: one label only */
	TG_ASSERT_OK(sel(s, "a.example.net", &m));
	CU_ASSERT_EQUAL(m.kind, TG_CERT_MATCH_WILDCARD);
	CU_ASSERT_EQUAL(m.n, 1);
	CU_ASSERT_PTR_EQUAL(m.c[0], c_net);
	TG_ASSERT_OK(sel(s, "Shop.EXAMPLE.net", &m));
	CU_ASSERT_EQUAL(m.kind, TG_CERT_MATCH_WILDCARD);
	CU_ASSERT_PTR_EQUAL(m.c[0], c_net);
	TG_ASSERT_OK(sel(s, "a.b.example.net", &m));
	CU_ASSERT_EQUAL(m.kind, TG_CERT_MATCH_DEFAULT);
	CU_ASSERT_PTR_EQUAL(m.c[0], c_def);
	TG_ASSERT_OK(sel(s, "example.net", &m));
	CU_ASSERT_EQUAL(m.kind, TG_CERT_MATCH_DEFAULT);
	/* a literal "*" from a client matches nothing */
	TG_ASSERT_OK(sel(s, "*.example.net", &m));
	CU_ASSERT_EQUAL(m.kind, TG_CERT_MATCH_DEFAULT);
	/* no wildcard for the other names */
	TG_ASSERT_OK(sel(s, "x.example.com", &m));
	CU_ASSERT_EQUAL(m.kind, TG_CERT_MATCH_DEFAULT);

	/* default: the first loaded when none is marked */
	TG_ASSERT_OK(sel(s, NULL, &m));
	CU_ASSERT_EQUAL(m.kind, TG_CERT_MATCH_DEFAULT);
	CU_ASSERT_EQUAL(m.n, 1);
	CU_ASSERT_PTR_EQUAL(m.c[0], c_def);
	TG_ASSERT_OK(sel(s, "unknown.org", &m));
	CU_ASSERT_PTR_EQUAL(m.c[0], c_def);
	/* odd names: embedded NUL, too long, empty, non-ASCII */
	TG_ASSERT_OK(tg_cert_store_select(s, "www.example.com\0x", 17, &m));
	CU_ASSERT_EQUAL(m.kind, TG_CERT_MATCH_DEFAULT);
	{
		char longname[300];

		memset(longname, 'a', sizeof(longname));
		TG_ASSERT_OK(tg_cert_store_select(s, longname,
						  sizeof(longname), &m));
		CU_ASSERT_EQUAL(m.kind, TG_CERT_MATCH_DEFAULT);
	}
	TG_ASSERT_OK(tg_cert_store_select(s, "", 0, &m));
	CU_ASSERT_EQUAL(m.kind, TG_CERT_MATCH_DEFAULT);
	TG_ASSERT_OK(sel(s, "w\xc3\xa9.example.com", &m));
	CU_ASSERT_EQUAL(m.kind, TG_CERT_MATCH_DEFAULT);
	TG_ASSERT_OK(sel(s, ".example.net", &m));
	CU_ASSERT_EQUAL(m.kind, TG_CERT_MATCH_DEFAULT);
	tg_cert_store_unref(s);

	/* a marked default wins over "first loaded"; every certificate
	 * for its names is a candidate after it (the RSA one for
	 * www.example.com), in load order; others (the first loaded, the
	 * wildcard) are not */
	s = build_store(0, true);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (int i = 0; i < 2; i++) {
		TG_ASSERT_OK(sel(s, i ? "nothing.invalid" : NULL, &m));
		CU_ASSERT_EQUAL(m.kind, TG_CERT_MATCH_DEFAULT);
		CU_ASSERT_EQUAL(m.n, 2);
		CU_ASSERT_PTR_EQUAL(m.c[0], c_ec);
		CU_ASSERT_PTR_EQUAL(m.c[1], c_rsa);
	}
	tg_cert_store_unref(s);

	/* strict: no implicit default */
	s = build_store(TG_CERT_STORE_STRICT_SNI, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	TG_ASSERT_ERR(sel(s, "unknown.org", &m), TG_E_UNRECOGNIZED_NAME);
	TG_ASSERT_ERR(sel(s, "a.b.example.net", &m), TG_E_UNRECOGNIZED_NAME);
	TG_ASSERT_ERR(sel(s, NULL, &m), TG_E_HANDSHAKE_FAIL);
	TG_ASSERT_OK(sel(s, "www.example.com", &m));
	TG_ASSERT_OK(sel(s, "z.example.net", &m));
	tg_cert_store_unref(s);

	/* strict, with a marked default */
	s = build_store(TG_CERT_STORE_STRICT_SNI, true);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	TG_ASSERT_OK(sel(s, "unknown.org", &m));
	CU_ASSERT_PTR_EQUAL(m.c[0], c_ec);
	tg_cert_store_unref(s);

	/* empty store */
	TG_ASSERT_OK(tg_cert_store_new(0, &s));
	TG_ASSERT_ERR(sel(s, "www.example.com", &m), TG_E_UNRECOGNIZED_NAME);
	TG_ASSERT_ERR(sel(s, NULL, &m), TG_E_HANDSHAKE_FAIL);
	TG_ASSERT_ERR(tg_cert_store_new(0x100, &s), TG_E_INVAL);
	tg_cert_store_unref(s);
	tg_cert_store_unref(NULL);
}

static bool is_p384(const struct tg_cert *c, void *arg)
{
	(void)arg;
	return tg_cert_key_type(c) == TG_CERT_KEY_EC_P384;
}

static bool is_rsa(const struct tg_cert *c, void *arg)
{
	++*(int *)arg;
	return tg_cert_key_type(c) == TG_CERT_KEY_RSA;
}

static void test_pick(void)
{
	struct tg_cert_store *s = build_store(0, false);
	struct tg_cert_match m;
	int calls = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	TG_ASSERT_OK(sel(s, "www.example.com", &m));
	CU_ASSERT_PTR_EQUAL(tg_cert_match_pick_kt(&m, true, true, true), c_ec);
	CU_ASSERT_PTR_EQUAL(tg_cert_match_pick_kt(&m, true, true, false),
			    c_rsa);
	CU_ASSERT_PTR_EQUAL(tg_cert_match_pick_kt(&m, false, true, true),
			    c_rsa);
	CU_ASSERT_PTR_EQUAL(tg_cert_match_pick_kt(&m, true, false, false),
			    c_ec);
	CU_ASSERT_PTR_NULL(tg_cert_match_pick_kt(&m, false, false, true));
	CU_ASSERT_PTR_EQUAL(tg_cert_match_pick(&m, is_rsa, &calls), c_rsa);
	CU_ASSERT_EQUAL(calls, 1);
	CU_ASSERT_PTR_NULL(tg_cert_match_pick(&m, is_p384, NULL));
	CU_ASSERT_PTR_NULL(tg_cert_match_pick(&m, NULL, NULL));

	/* the wildcard candidate is ECDSA only */
	TG_ASSERT_OK(sel(s, "a.example.net", &m));
	CU_ASSERT_PTR_NULL(tg_cert_match_pick_kt(&m, false, true, false));
	CU_ASSERT_PTR_EQUAL(tg_cert_match_pick(&m, is_p384, NULL), c_net);

	/* references: the store lives until the last unref */
	CU_ASSERT_PTR_EQUAL(tg_cert_store_ref(s), s);
	tg_cert_store_unref(s);
	CU_ASSERT_STRING_EQUAL(tg_cert_name(m.c[0], 0), "*.example.net");
	tg_cert_store_unref(s);
}

/* ---- verification ---- */

static TG_MUST_CHECK tg_result verify_file(const struct tg_ca *ca, const char *chain,
			     const char *key, size_t drop_tail,
			     enum tg_verify_purpose purpose, const char *host,
			     time_t at, int *x509_err)
{
	struct tg_cert *c;
	const struct tg_der *der;
	size_t n;
	tg_result r;

	TG_GUARD(tg_cert_load(chain, key, &c));
	der = tg_cert_chain(c, &n);
	r = tg_cert_verify(ca, der, n - drop_tail, purpose, host, at, NULL,
			   x509_err);
	tg_cert_free(c);
	return r;
}

static void test_verify(void)
{
	struct tg_ca *ca, *ca_dir;
	struct tg_cert *c;
	const struct tg_der *der;
	struct tg_der bad[2];
	uint8_t buf[4096];
	EVP_PKEY *pk;
	size_t n;
	int e;

	TG_ASSERT_OK(tg_ca_load(tg_pki_path("ca.pem"), NULL, &ca));

	/* good chain, right host, peer key returned */
	TG_ASSERT_OK(tg_cert_load(tg_pki_path("www_rsa.pem"), tg_pki_path("rsa.key"), &c));
	der = tg_cert_chain(c, &n);
	TG_ASSERT_OK(tg_cert_verify(ca, der, n, TG_VERIFY_SERVER,
				    "www.example.com", 0, &pk, &e));
	CU_ASSERT_EQUAL(e, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pk);
	CU_ASSERT_EQUAL(tg_cert_key_of(pk), TG_CERT_KEY_RSA);
	CU_ASSERT_EQUAL(EVP_PKEY_eq(pk, k_rsa), 1);
	EVP_PKEY_free(pk);
	/* the leaf alone verifies too (issued by the root directly) */
	TG_ASSERT_OK(tg_cert_verify(ca, der, 1, TG_VERIFY_SERVER,
				    "WWW.EXAMPLE.COM", 0, NULL, NULL));
	/* no host check */
	TG_ASSERT_OK(tg_cert_verify(ca, der, n, TG_VERIFY_SERVER, NULL, 0,
				    NULL, NULL));
	TG_ASSERT_ERR(tg_cert_verify(ca, der, n, TG_VERIFY_SERVER, "", 0,
				     NULL, NULL),
		      TG_E_INVAL);
	TG_ASSERT_ERR(tg_cert_verify(ca, der, n, (enum tg_verify_purpose)7,
				     NULL, 0, NULL, NULL),
		      TG_E_INVAL);
	/* wrong host */
	TG_ASSERT_ERR(tg_cert_verify(ca, der, n, TG_VERIFY_SERVER,
				     "mail.example.com", 0, NULL, &e),
		      TG_E_BAD_CERT);
	CU_ASSERT_EQUAL(e, X509_V_ERR_HOSTNAME_MISMATCH);
	/* a server certificate is not a client certificate */
	TG_ASSERT_ERR(tg_cert_verify(ca, der, n, TG_VERIFY_CLIENT, NULL, 0,
				     NULL, &e),
		      TG_E_UNSUPPORTED_CERT);
	CU_ASSERT_EQUAL(e, X509_V_ERR_INVALID_PURPOSE);
	/* malformed input */
	TG_ASSERT_ERR(tg_cert_verify(ca, der, 0, TG_VERIFY_SERVER, NULL, 0,
				     NULL, NULL),
		      TG_E_CERT_REQUIRED);
	CU_ASSERT_FATAL(der[0].len < sizeof(buf));
	memcpy(buf, der[0].p, der[0].len);
	buf[der[0].len] = 0;
	bad[0] = (struct tg_der){ buf, der[0].len + 1 }; /* trailing byte */
	bad[1] = der[1];
	TG_ASSERT_ERR(tg_cert_verify(ca, bad, 2, TG_VERIFY_SERVER, NULL, 0,
				     NULL, NULL),
		      TG_E_BAD_CERT);
	bad[0] = (struct tg_der){ buf, der[0].len - 1 }; /* truncated */
	TG_ASSERT_ERR(tg_cert_verify(ca, bad, 2, TG_VERIFY_SERVER, NULL, 0,
				     NULL, NULL),
		      TG_E_BAD_CERT);
	bad[0] = (struct tg_der){ buf, 0 };
	TG_ASSERT_ERR(tg_cert_verify(ca, bad, 1, TG_VERIFY_SERVER, NULL, 0,
				     NULL, NULL),
		      TG_E_BAD_CERT);
	/* a flipped bit in the signed part: signature failure */
	memcpy(buf, der[0].p, der[0].len);
	buf[der[0].len / 2] ^= 0x01;
	bad[0] = (struct tg_der){ buf, der[0].len };
	{
		tg_result r = tg_cert_verify(ca, bad, 2, TG_VERIFY_SERVER,
					     NULL, 0, NULL, NULL);

		CU_ASSERT(r.code == TG_E_BAD_CERT ||
			  r.code == TG_E_UNKNOWN_CA);
	}
	TG_ASSERT_ERR(tg_cert_verify(ca, der, TG_CERT_MAX_CHAIN + 1,
				     TG_VERIFY_SERVER, NULL, 0, NULL, NULL),
		      TG_E_BAD_CERT);
	tg_cert_free(c);

	/* wildcard host */
	TG_ASSERT_OK(verify_file(ca, tg_pki_path("net.pem"), tg_pki_path("ec384.key"), 0,
				 TG_VERIFY_SERVER, "a.example.net", 0, NULL));
	TG_ASSERT_ERR(verify_file(ca, tg_pki_path("net.pem"), tg_pki_path("ec384.key"), 0,
				  TG_VERIFY_SERVER, "a.b.example.net", 0,
				  NULL),
		      TG_E_BAD_CERT);
	TG_ASSERT_ERR(verify_file(ca, tg_pki_path("net.pem"), tg_pki_path("ec384.key"), 0,
				  TG_VERIFY_SERVER, "example.net", 0, NULL),
		      TG_E_BAD_CERT);
	/* IP address SAN */
	TG_ASSERT_OK(verify_file(ca, tg_pki_path("www_ec.pem"), tg_pki_path("ec.key"), 0,
				 TG_VERIFY_SERVER, "192.0.2.1", 0, NULL));
	TG_ASSERT_ERR(verify_file(ca, tg_pki_path("www_ec.pem"), tg_pki_path("ec.key"), 0,
				  TG_VERIFY_SERVER, "192.0.2.2", 0, NULL),
		      TG_E_BAD_CERT);

	/* expired; but fine at a time inside its validity */
	TG_ASSERT_ERR(verify_file(ca, tg_pki_path("expired.pem"), tg_pki_path("rsa.key"), 0,
				  TG_VERIFY_SERVER, "www.example.com", 0, &e),
		      TG_E_CERT_EXPIRED);
	CU_ASSERT_EQUAL(e, X509_V_ERR_CERT_HAS_EXPIRED);
	TG_ASSERT_OK(verify_file(ca, tg_pki_path("expired.pem"), tg_pki_path("rsa.key"), 0,
				 TG_VERIFY_SERVER, "www.example.com",
				 time(NULL) - 10 * 86400, NULL));
	/* not yet valid */
	TG_ASSERT_ERR(verify_file(ca, tg_pki_path("www_rsa.pem"), tg_pki_path("rsa.key"), 0,
				  TG_VERIFY_SERVER, "www.example.com",
				  time(NULL) - 3 * 86400, &e),
		      TG_E_BAD_CERT);
	CU_ASSERT_EQUAL(e, X509_V_ERR_CERT_NOT_YET_VALID);

	/* another CA; self-signed */
	TG_ASSERT_ERR(verify_file(ca, tg_pki_path("other.pem"), tg_pki_path("rsa.key"), 0,
				  TG_VERIFY_SERVER, "www.example.com", 0, &e),
		      TG_E_UNKNOWN_CA);
	TG_ASSERT_ERR(verify_file(ca, tg_pki_path("self.pem"), tg_pki_path("ec.key"), 0,
				  TG_VERIFY_SERVER, "www.example.com", 0, &e),
		      TG_E_UNKNOWN_CA);
	CU_ASSERT_EQUAL(e, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);

	/* intermediate: needed in the chain */
	TG_ASSERT_OK(verify_file(ca, tg_pki_path("deep.pem"), tg_pki_path("ec.key"), 0,
				 TG_VERIFY_SERVER, "deep.example.com", 0,
				 NULL));
	TG_ASSERT_ERR(verify_file(ca, tg_pki_path("deep.pem"), tg_pki_path("ec.key"), 1,
				  TG_VERIFY_SERVER, "deep.example.com", 0, &e),
		      TG_E_UNKNOWN_CA);
	CU_ASSERT_EQUAL(e, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);

	/* client certificates (server role) */
	TG_ASSERT_OK(verify_file(ca, tg_pki_path("client.pem"), tg_pki_path("ec.key"), 0,
				 TG_VERIFY_CLIENT, NULL, 0, NULL));
	TG_ASSERT_ERR(verify_file(ca, tg_pki_path("client.pem"), tg_pki_path("ec.key"), 0,
				  TG_VERIFY_SERVER, NULL, 0, &e),
		      TG_E_UNSUPPORTED_CERT);

	/* RSA 1024: under the 112-bit floor */
	TG_ASSERT_ERR(verify_file(ca, tg_pki_path("weak.pem"), tg_pki_path("weak.key"), 0,
				  TG_VERIFY_SERVER, "weak.example.com", 0, &e),
		      TG_E_UNSUPPORTED_CERT);
	CU_ASSERT_EQUAL(e, X509_V_ERR_EE_KEY_TOO_SMALL);

	/* a leaf key we cannot use (Ed25519) */
	{
		BIO *b = BIO_new_file(tg_pki_path("ed.pem"), "r");
		X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
		unsigned char *d = NULL;
		int len = i2d_X509(x, &d);
		struct tg_der one = { d, (size_t)len };

		TG_ASSERT_ERR(tg_cert_verify(ca, &one, 1, TG_VERIFY_SERVER,
					     "ed.example.com", 0, NULL, NULL),
			      TG_E_UNSUPPORTED_CERT);
		OPENSSL_free(d);
		X509_free(x);
		BIO_free(b);
	}

	/* the same trust through a hashed directory */
	TG_ASSERT_OK(tg_ca_load(NULL, tg_pki_path("cadir"), &ca_dir));
	TG_ASSERT_OK(verify_file(ca_dir, tg_pki_path("www_rsa.pem"), tg_pki_path("rsa.key"), 1,
				 TG_VERIFY_SERVER, "www.example.com", 0,
				 NULL));
	TG_ASSERT_ERR(verify_file(ca_dir, tg_pki_path("other.pem"), tg_pki_path("rsa.key"), 0,
				  TG_VERIFY_SERVER, "www.example.com", 0,
				  NULL),
		      TG_E_UNKNOWN_CA);
	n = 5;
	tg_ca_names(ca_dir, &n);
	CU_ASSERT_EQUAL(n, 0);
	tg_ca_free(ca_dir);
	tg_ca_free(ca);
}

static void test_ca_names(void)
{
	struct tg_ca *ca = (struct tg_ca *)1;
	const struct tg_der *names;
	unsigned char *d;
	int len;
	size_t n;

	TG_ASSERT_OK(tg_ca_load(tg_pki_path("ca_both.pem"), NULL, &ca));
	names = tg_ca_names(ca, &n);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	d = NULL;
	len = i2d_X509_NAME(X509_get_subject_name(x_ca), &d);
	CU_ASSERT_EQUAL((size_t)len, names[0].len);
	CU_ASSERT_EQUAL(memcmp(d, names[0].p, names[0].len), 0);
	OPENSSL_free(d);
	d = NULL;
	len = i2d_X509_NAME(X509_get_subject_name(x_ca2), &d);
	CU_ASSERT_EQUAL((size_t)len, names[1].len);
	CU_ASSERT_EQUAL(memcmp(d, names[1].p, names[1].len), 0);
	OPENSSL_free(d);
	/* both CAs trusted */
	TG_ASSERT_OK(verify_file(ca, tg_pki_path("other.pem"), tg_pki_path("rsa.key"), 0,
				 TG_VERIFY_SERVER, "www.example.com", 0,
				 NULL));
	tg_ca_free(ca);

	TG_ASSERT_ERR(tg_ca_load(tg_pki_path("nope.pem"), NULL, &ca), TG_E_IO);
	CU_ASSERT_PTR_NULL(ca);
	TG_ASSERT_ERR(tg_ca_load(tg_pki_path("garbage.pem"), NULL, &ca), TG_E_DECODE);
	TG_ASSERT_ERR(tg_ca_load(NULL, tg_pki_path("nodir"), &ca), TG_E_IO);
	TG_ASSERT_ERR(tg_ca_load(NULL, tg_pki_path("ca.pem"), &ca), TG_E_IO);
	TG_ASSERT_ERR(tg_ca_load(NULL, NULL, &ca), TG_E_INVAL);
	tg_ca_free(NULL);
}

static void test_verify_error_map(void)
{
	CU_ASSERT_EQUAL(tg_cert_map_verify_error(X509_V_OK), TG_E_OK);
	CU_ASSERT_EQUAL(tg_cert_map_verify_error(X509_V_ERR_CERT_HAS_EXPIRED),
			TG_E_CERT_EXPIRED);
	CU_ASSERT_EQUAL(tg_cert_map_verify_error(
				X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN),
			TG_E_UNKNOWN_CA);
	CU_ASSERT_EQUAL(tg_cert_map_verify_error(X509_V_ERR_EE_KEY_TOO_SMALL),
			TG_E_UNSUPPORTED_CERT);
	CU_ASSERT_EQUAL(tg_cert_map_verify_error(X509_V_ERR_CERT_REVOKED),
			TG_E_BAD_CERT);
	CU_ASSERT_EQUAL(tg_cert_map_verify_error(
				X509_V_ERR_CERT_SIGNATURE_FAILURE),
			TG_E_BAD_CERT);
}

static CU_TestInfo cert_tests[] = {
	{ "load ok", test_load_ok },
	{ "load errors", test_load_errors },
	{ "SNI selection", test_sni_select },
	{ "candidate pick", test_pick },
	{ "chain verification", test_verify },
	{ "CA names", test_ca_names },
	{ "verify error map", test_verify_error_map },
	CU_TEST_INFO_NULL,
};

static const struct tg_test_suite suites[] = {
	{ "cert", suite_init, suite_cleanup, cert_tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return tg_test_main(argc, argv, suites);
}
