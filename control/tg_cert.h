/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_cert.h
 * Certificates: the server's certified keys with SNI selection, and peer
 * chain verification (server certificate on the client side, client
 * certificate on the server side).
 *
 * **Server side.** A ::tg_cert is one certified key: the chain from a PEM
 * file (leaf first, then intermediates; at most TG_CERT_MAX_CHAIN), its
 * private key (RSA, RSASSA-PSS, or EC on P-256/P-384; encrypted PEM keys
 * are refused)
 * checked against the leaf, the DER of each chain certificate ready for
 * the Certificate message, and the leaf's DNS names (subjectAltName
 * dNSName entries; the subject CN only when there is none), lower-cased.
 *
 * A ::tg_cert_store holds several of them. tg_cert_store_select() picks by
 * SNI: exact name match first, then a wildcard (`*.example.com` matches
 * one whole left-most label: `a.example.com`, not `a.b.example.com` nor
 * `example.com`), then the default certificates; ASCII case-insensitive.
 * All certificates of the best class are returned, in load order, so the
 * engine can choose by the client's signature algorithms and suites
 * (tg_cert_match_pick(), tg_cert_match_pick_kt()).
 *
 * Defaults: the certificates added with is_default; when none is marked,
 * the first one added — unless the store was made with
 * TG_CERT_STORE_STRICT_SNI, in which case only marked ones are defaults.
 * A ClientHello without SNI, or whose name matches nothing, gets the
 * defaults and, after them in load order, every other certificate loaded
 * for one of their names (an ECDSA and an RSA certificate of the default
 * site, as nginx and HAProxy offer both), at most
 * TG_CERT_MAX_CANDIDATES. With no default, an unknown name is
 * TG_E_UNRECOGNIZED_NAME and a ClientHello without SNI is
 * TG_E_HANDSHAKE_FAIL.
 *
 * **Sharing and reload.** Build a store (new + add), then publish it; from
 * then on it is read-only and any number of threads may call select and
 * use the certificates (EVP_PKEY signing with per-call contexts is thread
 * safe). Reload = build a new store and swap the published pointer. The
 * store is reference counted: a connection takes tg_cert_store_ref() when
 * its handshake starts (under whatever lock or RCU protects the published
 * pointer) and tg_cert_store_unref() when it no longer needs the selected
 * certificate; the swapper unrefs the old store after the swap. Pointers
 * to certificates returned by select stay valid while the reference is
 * held.
 *
 * **Verification.** A ::tg_ca is a trust-anchor set (CA file and/or
 * hashed CA directory) and, from the file, the list of CA distinguished
 * names for CertificateRequest. It is immutable and shareable once loaded.
 * tg_cert_verify() checks a chain as received (DER, leaf first).
 */
#ifndef TG_CERT_H
#define TG_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "tg_result.h"

/** Most certificates in a chain we load or accept from a peer. */
#define TG_CERT_MAX_CHAIN 10
/** Most candidates tg_cert_store_select() returns. */
#define TG_CERT_MAX_CANDIDATES 8
/** Longest DNS name (RFC 1035). */
#define TG_CERT_NAME_MAX 253

/** Key types we can sign with / verify. */
enum tg_cert_key {
	TG_CERT_KEY_NONE = 0,
	TG_CERT_KEY_RSA,     /**< RSA (PKCS#1 v1.5 or PSS signatures) */
	TG_CERT_KEY_RSA_PSS, /**< RSASSA-PSS key (RFC 4055): PSS signatures
				  only (rsa_pss_pss_*), no key transport */
	TG_CERT_KEY_EC_P256, /**< ECDSA on secp256r1 */
	TG_CERT_KEY_EC_P384, /**< ECDSA on secp384r1 */
};

/** A borrowed DER blob. */
struct tg_der {
	const uint8_t *p; /**< bytes */
	size_t len;       /**< their number */
};

struct tg_cert;
struct tg_cert_store;
struct tg_ca;

/**
 * Load a certified key.
 *
 * @param chain_pem PEM file: leaf certificate first, then its chain
 * @param key_pem   PEM file with the leaf's private key (unencrypted)
 * @param out       receives the certificate; free with tg_cert_free()
 *                  unless handed to tg_cert_store_add()
 * @return TG_E_IO (a file cannot be read), TG_E_DECODE (no or malformed
 *         PEM), TG_E_UNSUPPORTED (encrypted key, key type other than RSA,
 *         RSASSA-PSS or EC P-256/P-384), TG_E_INVAL (key does not match the leaf,
 *         chain too long), TG_E_NOMEM. Each failure is logged with the
 *         file name.
 */
TG_MUST_CHECK tg_result tg_cert_load(const char *chain_pem,
				     const char *key_pem,
				     struct tg_cert **out);

/**
 * Free a certificate not owned by a store.
 *
 * @param c certificate (NULL is a no-op)
 */
void tg_cert_free(struct tg_cert *c);

/**
 * Key type of the certificate's key.
 *
 * @param c certificate
 * @return its type
 */
enum tg_cert_key tg_cert_key_type(const struct tg_cert *c);

/**
 * The private key, for signing ServerKeyExchange / CertificateVerify or
 * decrypting an RSA premaster. Borrowed: do not free or modify it; use a
 * fresh EVP_PKEY_CTX / EVP_MD_CTX per operation.
 *
 * @param c certificate
 * @return the key
 */
EVP_PKEY *tg_cert_pkey(const struct tg_cert *c);

/**
 * The leaf certificate (borrowed).
 *
 * @param c certificate
 * @return the leaf
 */
X509 *tg_cert_leaf(const struct tg_cert *c);

/**
 * The chain as DER, leaf first, for the Certificate message.
 *
 * @param c   certificate
 * @param n   receives the number of entries
 * @return the entries (borrowed, valid as long as @p c)
 */
const struct tg_der *tg_cert_chain(const struct tg_cert *c, size_t *n);

/**
 * Number of DNS names the certificate answers to.
 *
 * @param c certificate
 * @return the count
 */
size_t tg_cert_name_count(const struct tg_cert *c);

/**
 * One of the names (lower case, NUL-terminated; may start with "*.").
 *
 * @param c certificate
 * @param i index below tg_cert_name_count()
 * @return the name, NULL when @p i is out of range
 */
const char *tg_cert_name(const struct tg_cert *c, size_t i);

/**
 * The chain file the certificate came from (for logs).
 *
 * @param c certificate
 * @return the path
 */
const char *tg_cert_path(const struct tg_cert *c);

/** tg_cert_store_new() flags. */
enum tg_cert_store_flags {
	/** No implicit default: only certificates added as default. */
	TG_CERT_STORE_STRICT_SNI = 1u << 0,
};

/**
 * Create an empty store (one reference).
 *
 * @param flags ::tg_cert_store_flags
 * @param out   receives the store
 * @return TG_E_NOMEM.
 */
TG_MUST_CHECK tg_result tg_cert_store_new(unsigned flags,
					  struct tg_cert_store **out);

/**
 * Add a certificate; the store owns it from then on (also on failure,
 * when it is freed). Only before the store is published.
 *
 * @param s          store
 * @param c          certificate from tg_cert_load()
 * @param is_default make it a default certificate
 * @return TG_E_INVAL, TG_E_NOMEM.
 */
TG_MUST_CHECK tg_result tg_cert_store_add(struct tg_cert_store *s,
					  struct tg_cert *c, bool is_default);

/**
 * tg_cert_load() then tg_cert_store_add().
 *
 * @param s          store
 * @param chain_pem  chain file
 * @param key_pem    key file
 * @param is_default make it a default certificate
 * @return as tg_cert_load() and tg_cert_store_add().
 */
TG_MUST_CHECK tg_result tg_cert_store_load(struct tg_cert_store *s,
					   const char *chain_pem,
					   const char *key_pem,
					   bool is_default);

/**
 * Number of certificates in the store.
 *
 * @param s store
 * @return the count
 */
size_t tg_cert_store_count(const struct tg_cert_store *s);

/**
 * Take one more reference (atomic).
 *
 * @param s store
 * @return @p s
 */
struct tg_cert_store *tg_cert_store_ref(struct tg_cert_store *s);

/**
 * Drop one reference; the last frees the store and its certificates.
 *
 * @param s store (NULL is a no-op)
 */
void tg_cert_store_unref(struct tg_cert_store *s);

/** How a selection matched. */
enum tg_cert_match_kind {
	TG_CERT_MATCH_EXACT = 1,    /**< a name equal to the SNI */
	TG_CERT_MATCH_WILDCARD = 2, /**< a `*.` name covering the SNI */
	TG_CERT_MATCH_DEFAULT = 3,  /**< no SNI, or no name matched */
};

/** Candidates for one ClientHello, best class only, in load order. */
struct tg_cert_match {
	enum tg_cert_match_kind kind;  /**< how they matched */
	size_t n;                      /**< 1..TG_CERT_MAX_CANDIDATES */
	const struct tg_cert *c[TG_CERT_MAX_CANDIDATES]; /**< candidates */
};

/**
 * Select the certificates for a server name.
 *
 * @param s       store
 * @param sni     host_name from the server_name extension, not
 *                NUL-terminated (NULL: the client sent no SNI)
 * @param sni_len its length
 * @param m       receives the candidates
 * @return TG_E_UNRECOGNIZED_NAME (a name, nothing matched, no default),
 *         TG_E_HANDSHAKE_FAIL (no SNI, no default).
 */
TG_MUST_CHECK tg_result tg_cert_store_select(const struct tg_cert_store *s,
					     const char *sni, size_t sni_len,
					     struct tg_cert_match *m);

/** Predicate for tg_cert_match_pick(): true when @p c is usable. */
typedef bool (*tg_cert_pred)(const struct tg_cert *c, void *arg);

/**
 * The first candidate the predicate accepts.
 *
 * @param m    candidates
 * @param pred predicate (e.g. "a suite and a sigalg the client offered
 *             work with this key")
 * @param arg  passed to @p pred
 * @return the certificate, NULL when none fits (handshake_failure).
 */
const struct tg_cert *tg_cert_match_pick(const struct tg_cert_match *m,
					 tg_cert_pred pred, void *arg);

/**
 * Pick by key type: the first ECDSA candidate when @p ecdsa_ok and
 * @p prefer_ecdsa, else the first RSA one when @p rsa_ok, else the first
 * ECDSA one when @p ecdsa_ok.
 *
 * @param m            candidates
 * @param ecdsa_ok     the client accepts ECDSA (suite and sigalg/curve)
 * @param rsa_ok       the client accepts RSA
 * @param prefer_ecdsa server preference
 * @return the certificate, NULL when none fits.
 */
const struct tg_cert *tg_cert_match_pick_kt(const struct tg_cert_match *m,
					    bool ecdsa_ok, bool rsa_ok,
					    bool prefer_ecdsa);

/**
 * Load trust anchors.
 *
 * @param ca_file PEM file of CA certificates (may be NULL if @p ca_dir)
 * @param ca_dir  hashed directory (c_rehash / openssl rehash; may be NULL)
 * @param out     receives the set; free with tg_ca_free()
 * @return TG_E_INVAL (both NULL), TG_E_IO / TG_E_DECODE (cannot load),
 *         TG_E_NOMEM.
 */
TG_MUST_CHECK tg_result tg_ca_load(const char *ca_file, const char *ca_dir,
				   struct tg_ca **out);

/**
 * Free a trust-anchor set.
 *
 * @param ca set (NULL is a no-op)
 */
void tg_ca_free(struct tg_ca *ca);

/** Bytes of a trust-anchor set's identity (tg_ca_id()). */
#define TG_CA_ID_LEN 8

/**
 * The set's identity: the first bytes of SHA-256 over the DER of every
 * certificate of the CA file, in order, and the CA directory's path. A
 * session verified under one set is verified under a set with the same
 * identity (a reload of the same CAs), not under another.
 *
 * @param ca  set
 * @param out receives ::TG_CA_ID_LEN bytes
 */
void tg_ca_id(const struct tg_ca *ca, uint8_t out[TG_CA_ID_LEN]);

/**
 * The subject distinguished names (DER) of the certificates in the CA
 * file, for CertificateRequest.certificate_authorities (a directory's
 * CAs are not listed).
 *
 * @param ca set
 * @param n  receives the number of names
 * @return the names (borrowed, valid as long as @p ca)
 */
const struct tg_der *tg_ca_names(const struct tg_ca *ca, size_t *n);

/** What a verified chain is for. */
enum tg_verify_purpose {
	TG_VERIFY_SERVER = 1, /**< client role: the server's chain */
	TG_VERIFY_CLIENT = 2, /**< server role: a client certificate */
};

/**
 * Verify a peer chain as received in a Certificate message.
 *
 * Builds the path with the leaf, the other certificates as untrusted
 * intermediates and @p ca as trust anchors; checks validity times,
 * signatures, the key usage / EKU for @p purpose (sslserver or sslclient)
 * and, when @p host is given, that the leaf is for it (DNS name, or IP
 * address when @p host is an IP literal). Chain keys must be at least
 * 112-bit strength (RSA 2048). The leaf key must be RSA, RSASSA-PSS or EC
 * P-256/P-384.
 *
 * @param ca      trust anchors
 * @param chain   certificates, leaf first
 * @param n       their number, 1..TG_CERT_MAX_CHAIN
 * @param purpose server or client chain
 * @param host    expected host name (client role), or NULL for no name
 *                check; an empty string is TG_E_INVAL
 * @param at      verification time, 0 for now
 * @param key_out when not NULL, receives the leaf's public key on success
 *                (the caller frees it with EVP_PKEY_free)
 * @param x509_err when not NULL, receives the X509_V_ERR_* code (0 if ok)
 * @return TG_E_INVAL (bad arguments), TG_E_CERT_REQUIRED (n == 0),
 *         TG_E_BAD_CERT (undecodable DER, bad signature, host mismatch,
 *         not yet valid, revoked, chain too long), TG_E_UNKNOWN_CA (no
 *         path to a trust anchor, self-signed), TG_E_CERT_EXPIRED,
 *         TG_E_UNSUPPORTED_CERT (wrong purpose, unsupported or too weak
 *         key), TG_E_NOMEM,
 *         TG_E_INTERNAL.
 */
TG_MUST_CHECK tg_result tg_cert_verify(const struct tg_ca *ca,
				       const struct tg_der *chain, size_t n,
				       enum tg_verify_purpose purpose,
				       const char *host, time_t at,
				       EVP_PKEY **key_out, int *x509_err);

/**
 * Key type of a public or private key.
 *
 * @param pk key
 * @return its type, TG_CERT_KEY_NONE when unsupported
 */
enum tg_cert_key tg_cert_key_of(const EVP_PKEY *pk);

/**
 * Map an X509_V_ERR_* verification error to a handshake error code.
 *
 * @param x509_err X509_STORE_CTX_get_error() value
 * @return the ::tg_err
 */
int tg_cert_map_verify_error(int x509_err);

#endif
