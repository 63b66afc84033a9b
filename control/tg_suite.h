/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_suite.h
 * What we implement of TLS 1.2, as tables: cipher suites (RFC 5288,
 * RFC 5289, RFC 7905), named groups (RFC 8422 §5.1.1, RFC 7748) and
 * signature schemes (RFC 5246 §7.4.1.4.1, RFC 8446 §4.2.3).
 *
 * Each table has lookups by codepoint and by name, a default preference
 * order and a parser for a colon-separated preference list as written in
 * a configuration file ("ECDHE-ECDSA-AES128-GCM-SHA256:x25519:...").
 * Lookups by name are case-insensitive and accept the IANA name and the
 * OpenSSL name.
 *
 * The tables are constant; everything here is thread-safe.
 */
#ifndef TG_SUITE_H
#define TG_SUITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tg_result.h"
#include "tg_tls.h"

/** Hash used by the PRF, the transcript and signatures. The first
 *  #TG_HASH_PRF_COUNT are the PRF hashes of our suites; SHA-512 and
 *  SHA-224 serve signatures only. */
enum tg_hash {
	TG_HASH_SHA256 = 0,
	TG_HASH_SHA384,
	TG_HASH_SHA512,
	TG_HASH_SHA224,
	TG_HASH__COUNT
};

/** The hashes a cipher suite's PRF may use (RFC 5246 §5, RFC 5289):
 *  SHA-256 and SHA-384, the first values of ::tg_hash. */
#define TG_HASH_PRF_COUNT 2

/** Largest digest of any ::tg_hash (SHA-512). */
#define TG_HASH_MAX_LEN 64

/** Key exchange of a cipher suite (RFC 5246 §7.4.3, RFC 8422 §2). */
enum tg_kx_kind {
	TG_KX_ECDHE_ECDSA = 0, /**< ephemeral ECDH, ECDSA-signed (RFC 8422) */
	TG_KX_ECDHE_RSA,       /**< ephemeral ECDH, RSA-signed (RFC 8422) */
	TG_KX_RSA,             /**< static RSA key transport (RFC 5246) */
};

/** Key type a certificate / signature scheme uses. */
enum tg_key_type {
	TG_KEY_RSA = 0, /**< rsaEncryption */
	TG_KEY_EC,      /**< id-ecPublicKey */
	TG_KEY_RSA_PSS, /**< id-RSASSA-PSS (RFC 4055): signs with PSS only */
};

/** Signature padding of a signature scheme. */
enum tg_sig_pad {
	TG_SIGPAD_NONE = 0, /**< ECDSA */
	TG_SIGPAD_PKCS1,    /**< RSASSA-PKCS1-v1_5 */
	TG_SIGPAD_PSS,      /**< RSASSA-PSS, MGF1 with the same hash,
				 salt length = hash length (RFC 8446 §4.2.3) */
};

/** One TLS 1.2 cipher suite. */
struct tg_cs_info {
	uint16_t id;          /**< ::tg_cipher_suite codepoint */
	uint8_t kx;           /**< ::tg_kx_kind */
	uint8_t suite;        /**< record AEAD, ::tg_suite (tg_accel.h) */
	uint8_t prf_hash;     /**< ::tg_hash of the PRF and Finished */
	uint8_t key_len;      /**< enc_key_length: 16 or 32 */
	uint8_t fixed_iv_len; /**< 4 (GCM, RFC 5288 §3) or 12 (ChaCha20,
				   RFC 7905 §2) */
	uint8_t record_iv_len; /**< explicit nonce per record: 8 (GCM), 0 */
	bool by_default;      /**< in the default preference order */
	const char *iana;     /**< "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" */
	const char *ossl;     /**< "ECDHE-ECDSA-AES128-GCM-SHA256" */
};

/** One TLS 1.3 cipher suite (RFC 8446 §B.4): an AEAD and a hash. */
struct tg_cs13_info {
	uint16_t id;          /**< ::tg_cipher_suite13 codepoint */
	uint8_t suite;        /**< record AEAD, ::tg_suite (tg_accel.h) */
	uint8_t hash;         /**< ::tg_hash of HKDF and the transcript */
	const char *name;     /**< "TLS_AES_128_GCM_SHA256" (IANA = OpenSSL) */
};

/** One named group for ECDHE. */
struct tg_group_info {
	uint16_t id;          /**< ::tg_group codepoint */
	uint8_t pub_len;      /**< wire length of a public value */
	uint8_t secret_len;   /**< length of the shared secret (x only) */
	const char *name;     /**< IANA name: "x25519", "secp256r1" */
	const char *ossl;     /**< OpenSSL group name: "X25519", "prime256v1" */
	const char *alias;    /**< other accepted name: "P-256", or NULL */
};

/** One signature scheme. */
struct tg_sigalg_info {
	uint16_t id;          /**< ::tg_sigalg codepoint */
	uint8_t hash;         /**< ::tg_hash */
	uint8_t key_type;     /**< ::tg_key_type */
	uint8_t pad;          /**< ::tg_sig_pad */
	uint16_t curve;       /**< ECDSA: the ::tg_group RFC 8446 binds the
				   scheme to (0 for none: ecdsa_sha224, and
				   RSA). TLS 1.2 does not bind it (RFC 5246
				   §7.4.1.4.1, RFC 8422 §5.1.3): there it is a
				   preference (tg_sig_choose) */
	const char *name;     /**< "ecdsa_secp256r1_sha256" */
};

/** Most entries a preference list can hold (all we implement). */
#define TG_CS_MAX 8
#define TG_GROUP_MAX 3
#define TG_SIGALG_MAX 14

/* ---- hashes ---------------------------------------------------------- */

/** Digest length of @p h (28 to 64); 0 for an invalid value. */
size_t tg_hash_len(enum tg_hash h);

/** Name of @p h as OpenSSL spells it ("SHA256", "SHA384", "SHA512",
 *  "SHA224"), or NULL. */
const char *tg_hash_name(enum tg_hash h);

/* ---- cipher suites --------------------------------------------------- */

/** The cipher suite with codepoint @p id, or NULL if we do not have it. */
const struct tg_cs_info *tg_cs_by_id(uint16_t id);

/**
 * The cipher suite called @p name (IANA or OpenSSL name, any case), or
 * NULL.
 */
const struct tg_cs_info *tg_cs_by_name(const char *name);

/** Entry @p idx of the table (0..tg_cs_count()-1), or NULL. */
const struct tg_cs_info *tg_cs_at(size_t idx);

/** Number of cipher suites we implement. */
size_t tg_cs_count(void);

/**
 * The default server/client preference: the ECDHE-ECDSA suites
 * (AES128-GCM, CHACHA20, AES256-GCM), then the same for ECDHE-RSA.
 * Static RSA is off by default (no forward secrecy; RFC 7525 §4.2).
 * Sets *@p out to a static array and returns its length.
 */
size_t tg_cs_default(const uint16_t **out);

/**
 * Parse a colon-separated list of cipher suite names into @p out, in
 * order. Spaces and commas are also accepted as separators.
 *
 * @param list  "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"
 * @param out   receives codepoints
 * @param cap   capacity of @p out
 * @param n     receives the count
 * @param err   optional buffer for a message naming the bad entry
 * @param err_len size of @p err
 * @return TG_E_NOTFOUND for an unknown name, TG_E_INVAL for a duplicate
 *         or an empty list, TG_E_NOSPACE when @p cap is too small.
 */
TG_MUST_CHECK tg_result tg_cs_parse_list(const char *list, uint16_t *out,
					 size_t cap, size_t *n, char *err,
					 size_t err_len);

/* ---- TLS 1.3 cipher suites ------------------------------------------ */

/** Most TLS 1.3 suites a preference list can hold. */
#define TG_CS13_MAX 3

/** The TLS 1.3 suite with codepoint @p id, or NULL. */
const struct tg_cs13_info *tg_cs13_by_id(uint16_t id);

/** The TLS 1.3 suite called @p name (any case), or NULL. */
const struct tg_cs13_info *tg_cs13_by_name(const char *name);

/**
 * The default TLS 1.3 preference: TLS_AES_128_GCM_SHA256,
 * TLS_CHACHA20_POLY1305_SHA256, TLS_AES_256_GCM_SHA384.
 */
size_t tg_cs13_default(const uint16_t **out);

/** Parse a colon-separated TLS 1.3 suite list (tg_cs_parse_list()). */
TG_MUST_CHECK tg_result tg_cs13_parse_list(const char *list, uint16_t *out,
					   size_t cap, size_t *n, char *err,
					   size_t err_len);

/**
 * The name of cipher suite @p id of either version, for logs and the
 * PROXY header: OpenSSL's name of a TLS 1.2 suite
 * ("ECDHE-ECDSA-AES128-GCM-SHA256"), the IANA name of a TLS 1.3 one
 * ("TLS_AES_128_GCM_SHA256"); NULL when we do not have it.
 */
const char *tg_cs_name(uint16_t id);

/**
 * Parse a list of protocol versions ("TLSv1.2:TLSv1.3"; also "TLS1.3",
 * "1.3"; any case; ':', ',' or spaces between) into a bit set: 1 for
 * TLS 1.2, 2 for TLS 1.3 (tg_hs.h's TG_HS_VERSION_* bits).
 * @return TG_E_NOTFOUND for an unknown name, TG_E_INVAL for a duplicate
 *         or an empty list
 */
TG_MUST_CHECK tg_result tg_version_parse_list(const char *list, unsigned *out,
					      char *err, size_t err_len);

/* ---- groups ---------------------------------------------------------- */

/** The group with codepoint @p id, or NULL. */
const struct tg_group_info *tg_group_by_id(uint16_t id);

/**
 * The group called @p name, or NULL: "x25519"; "secp256r1", "prime256v1"
 * or "P-256"; "secp384r1" or "P-384" (any case).
 */
const struct tg_group_info *tg_group_by_name(const char *name);

/** Default group preference: x25519, P-256, P-384. */
size_t tg_group_default(const uint16_t **out);

/** Parse a colon-separated group list (see tg_cs_parse_list()). */
TG_MUST_CHECK tg_result tg_group_parse_list(const char *list, uint16_t *out,
					    size_t cap, size_t *n, char *err,
					    size_t err_len);

/* ---- signature schemes ----------------------------------------------- */

/** The signature scheme with codepoint @p id, or NULL. */
const struct tg_sigalg_info *tg_sigalg_by_id(uint16_t id);

/** The signature scheme called @p name ("rsa_pss_rsae_sha256"), or NULL. */
const struct tg_sigalg_info *tg_sigalg_by_name(const char *name);

/**
 * Default signature scheme preference: ECDSA with SHA-256, -384, -512;
 * rsa_pss_rsae_sha256/384/512; rsa_pss_pss_sha256/384/512;
 * rsa_pkcs1_sha256/384/512; then the SHA-224 pairs (ecdsa_sha224,
 * rsa_pkcs1_sha224) for clients that offer nothing else. Every scheme we
 * implement.
 */
size_t tg_sigalg_default(const uint16_t **out);

/**
 * The bit of scheme @p id in a set of offered schemes (a uint32_t, one
 * bit per scheme we implement); 0 for a scheme we do not implement.
 */
uint32_t tg_sigalg_bit(uint16_t id);

/** The set of @p n schemes at @p ids (host order), as tg_sigalg_bit(). */
uint32_t tg_sigalg_set(const uint16_t *ids, size_t n);

/** Parse a colon-separated signature scheme list (tg_cs_parse_list()). */
TG_MUST_CHECK tg_result tg_sigalg_parse_list(const char *list, uint16_t *out,
					     size_t cap, size_t *n, char *err,
					     size_t err_len);

#endif
