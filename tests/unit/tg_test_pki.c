/* SPDX-License-Identifier: BSD-3-Clause */
/* A throwaway PKI for tests: keys and certificates made with libcrypto in
 * a temp dir at run time, so no private key lives in git. */
#include "tg_test_pki.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

char tg_pki_dir[64];
static char made[64][128];
static size_t nmade;
static long serial = 1;


/* Path of a file in the temp tg_pki_dir (a few rotating buffers). */
const char *tg_pki_path(const char *name)
{
	static char buf[8][128];
	static unsigned i;
	char *b = buf[i++ % 8];

	snprintf(b, sizeof(buf[0]), "%s/%s", tg_pki_dir, name);
	return b;
}

void tg_pki_track(const char *path)
{
	if (nmade < sizeof(made) / sizeof(made[0]))
		snprintf(made[nmade++], sizeof(made[0]), "%s", path);
}

void tg_pki_add_ext(X509 *x, X509 *issuer, int nid, const char *val)
{
	X509V3_CTX v;
	X509_EXTENSION *e;

	X509V3_set_ctx(&v, issuer ? issuer : x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v, nid, val);
	if (e == NULL) {
		fprintf(stderr, "bad extension %d %s\n", nid, val);
		abort();
	}
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}


/* A certificate for @key, valid from..to days from now, signed by
 * issuer/ikey (self-signed when issuer is NULL). */
X509 *tg_pki_cert(const char *cn, const char *san, EVP_PKEY *key,
		     X509 *issuer, EVP_PKEY *ikey, long from_days,
		     long to_days, enum tg_pki_kind kind)
{
	X509 *x = X509_new();
	X509_NAME *n;
	EVP_PKEY *sk = issuer ? ikey : key;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), from_days * 86400);
	X509_gmtime_adj(X509_getm_notAfter(x), to_days * 86400);
	X509_set_pubkey(x, key);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
				   (const unsigned char *)"tlsgate test", -1,
				   -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	if (kind == TG_PKI_CA) {
		tg_pki_add_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE");
		tg_pki_add_ext(x, issuer, NID_key_usage,
			"critical,keyCertSign,cRLSign");
	} else {
		tg_pki_add_ext(x, issuer, NID_basic_constraints, "CA:FALSE");
	}
	if (kind == TG_PKI_SERVER)
		tg_pki_add_ext(x, issuer, NID_ext_key_usage, "serverAuth");
	if (kind == TG_PKI_CLIENT)
		tg_pki_add_ext(x, issuer, NID_ext_key_usage, "clientAuth");
	if (san != NULL)
		tg_pki_add_ext(x, issuer, NID_subject_alt_name, san);
	if (!X509_sign(x, sk, EVP_PKEY_is_a(sk, "ED25519") ? NULL
							    : EVP_sha256())) {
		fprintf(stderr, "X509_sign failed\n");
		abort();
	}
	return x;
}

void tg_pki_write_certs(const char *name, X509 *a, X509 *b, X509 *c)
{
	const char *path = tg_pki_path(name);
	FILE *f = fopen(path, "w");

	if (f == NULL)
		abort();
	tg_pki_track(path);
	PEM_write_X509(f, a);
	if (b)
		PEM_write_X509(f, b);
	if (c)
		PEM_write_X509(f, c);
	fclose(f);
}

void tg_pki_write_key(const char *name, EVP_PKEY *k, bool encrypted)
{
	const char *path = tg_pki_path(name);
	FILE *f = fopen(path, "w");

	if (f == NULL)
		abort();
	tg_pki_track(path);
	if (encrypted)
		PEM_write_PrivateKey(f, k, EVP_aes_256_cbc(),
				     (unsigned char *)"secret", 6, NULL, NULL);
	else
		PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
}

void tg_pki_write_text(const char *name, const char *text)
{
	const char *path = tg_pki_path(name);
	FILE *f = fopen(path, "w");

	if (f == NULL)
		abort();
	tg_pki_track(path);
	fputs(text, f);
	fclose(f);
}

void tg_pki_leaf(const char *name, const char *cn, const char *san,
		    EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey, long from,
		    long to, enum tg_pki_kind kind, X509 *extra)
{
	X509 *x = tg_pki_cert(cn, san, key, issuer, ikey, from, to, kind);

	tg_pki_write_certs(name, x, extra ? extra : issuer, extra ? issuer : NULL);
	X509_free(x);
}


int tg_pki_init(const char *prefix)
{
	snprintf(tg_pki_dir, sizeof(tg_pki_dir), "/tmp/%s.XXXXXX", prefix);
	nmade = 0;
	return mkdtemp(tg_pki_dir) == NULL ? -1 : 0;
}

void tg_pki_cleanup(void)
{
	for (size_t i = nmade; i-- > 0;)
		unlink(made[i]);
	nmade = 0;
	rmdir(tg_pki_dir);
}
