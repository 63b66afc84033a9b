/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_test_pki.h
 * A throwaway PKI for tests: keys and certificates made at run time in a
 * temp dir (tg_pki_init), removed by tg_pki_cleanup.
 */
#ifndef TG_TEST_PKI_H
#define TG_TEST_PKI_H

#include <stdbool.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/** What a certificate is for. */
enum tg_pki_kind { TG_PKI_CA, TG_PKI_SERVER, TG_PKI_CLIENT, TG_PKI_NONE };

/** The temp dir of the current PKI. */
extern char tg_pki_dir[64];

/** Make a fresh temp dir /tmp/<prefix>.XXXXXX; 0 on success. */
int tg_pki_init(const char *prefix);

/** Remove every file written and the dir. */
void tg_pki_cleanup(void);

/** Path of @p name in the temp dir (a few rotating buffers). */
const char *tg_pki_path(const char *name);

/** Remember a file for tg_pki_cleanup(). */
void tg_pki_track(const char *path);

/** Add an X509v3 extension in openssl.cnf syntax. */
void tg_pki_add_ext(X509 *x, X509 *issuer, int nid, const char *val);

/** A certificate for @p key valid from..to days from now, signed by
 *  issuer/ikey (self-signed when issuer is NULL). */
X509 *tg_pki_cert(const char *cn, const char *san, EVP_PKEY *key,
		  X509 *issuer, EVP_PKEY *ikey, long from_days, long to_days,
		  enum tg_pki_kind kind);

/** Write up to three certificates to @p name as PEM. */
void tg_pki_write_certs(const char *name, X509 *a, X509 *b, X509 *c);

/** Write a private key as PEM (optionally encrypted with "secret"). */
void tg_pki_write_key(const char *name, EVP_PKEY *k, bool encrypted);

/** Write a text file. */
void tg_pki_write_text(const char *name, const char *text);

/** Make a leaf and write it with its issuer (and @p extra) as a chain. */
void tg_pki_leaf(const char *name, const char *cn, const char *san,
		 EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey, long from,
		 long to, enum tg_pki_kind kind, X509 *extra);

#endif
