/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_sig.h
 * Signatures of the TLS 1.2 handshake (ServerKeyExchange, RFC 8422 §5.4;
 * CertificateVerify, RFC 5246 §7.4.8) with the signature schemes of
 * tg_suite.h: ecdsa_secp256r1_sha256, ecdsa_secp384r1_sha384,
 * rsa_pss_rsae_sha256/384 (RFC 8446 §4.2.3: MGF1 with the same hash,
 * salt length = hash length) and rsa_pkcs1_sha256/384.
 *
 * Key binding: a scheme must match the key: rsa_* needs an rsaEncryption
 * key ("RSA"; RSASSA-PSS-only keys are not accepted, rsa_pss_pss_* is not
 * implemented); ecdsa_* needs an EC key. Choice for the curve: RFC 5246
 * pairs only (hash, ecdsa) and does not bind the curve, RFC 8446 does; we
 * bind it (ecdsa_secp256r1_sha256 needs a P-256 key, ecdsa_secp384r1_sha384
 * a P-384 key), as OpenSSL and BoringSSL do for TLS 1.2 with the
 * signature_algorithms extension. It keeps the hash strength matched to
 * the curve and makes one table answer both the TLS 1.2 and the TLS 1.3
 * question. A mismatch is TG_E_ILLEGAL_PARAM.
 *
 * ECDSA signatures are DER ECDSA-Sig-Value (RFC 8422 §5.4); RSA ones are
 * the modulus length. A failed verification is TG_E_DECRYPT_ERROR
 * (RFC 5246 §7.2.2: "a handshake cryptographic operation failed,
 * including being unable to correctly verify a signature").
 *
 * All functions are thread-safe (an EVP_PKEY may be shared by threads).
 */
#ifndef TG_SIG_H
#define TG_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "tg_result.h"
#include "tg_suite.h"

/** Largest signature we produce or accept (RSA 8192). */
#define TG_SIG_MAX_LEN 1024

/**
 * Classify @p key: RSA, or EC with its curve as a ::tg_group (0 when
 * the curve is not one of ours).
 * @return TG_E_UNSUPPORTED for any other key type.
 */
TG_MUST_CHECK tg_result tg_sig_key_info(const EVP_PKEY *key,
					enum tg_key_type *type,
					uint16_t *curve);

/**
 * Check that signature scheme @p sigalg can be used with @p key.
 * @return TG_E_ILLEGAL_PARAM for an unknown scheme or a mismatch.
 */
TG_MUST_CHECK tg_result tg_sig_check_key(uint16_t sigalg,
					 const EVP_PKEY *key);

/** Size of the largest signature @p key makes (EVP_PKEY_get_size). */
size_t tg_sig_max_len(const EVP_PKEY *key);

/**
 * Sign @p len bytes at @p msg with @p key using @p sigalg (the scheme's
 * hash is applied here).
 * @return TG_E_ILLEGAL_PARAM for a scheme that does not fit the key,
 *         TG_E_NOSPACE when @p cap < tg_sig_max_len(key), TG_E_CRYPTO.
 */
TG_MUST_CHECK tg_result tg_sig_sign(uint16_t sigalg, EVP_PKEY *key,
				    const void *msg, size_t len, uint8_t *sig,
				    size_t cap, size_t *sig_len);

/**
 * Verify signature @p sig over @p msg with the peer's @p key.
 * @return TG_E_DECRYPT_ERROR when the signature is wrong (malformed
 *         included), TG_E_ILLEGAL_PARAM for a scheme that does not fit
 *         the key.
 */
TG_MUST_CHECK tg_result tg_sig_verify(uint16_t sigalg, EVP_PKEY *key,
				      const void *msg, size_t len,
				      const uint8_t *sig, size_t sig_len);

/**
 * Like tg_sig_sign() over a digest already computed with the scheme's
 * hash (@p dlen must be its length): for a CertificateVerify signed from
 * tg_transcript_peek_as(). Gives the same signature as tg_sig_sign() over
 * the message.
 */
TG_MUST_CHECK tg_result tg_sig_sign_digest(uint16_t sigalg, EVP_PKEY *key,
					   const uint8_t *dgst, size_t dlen,
					   uint8_t *sig, size_t cap,
					   size_t *sig_len);

/** Like tg_sig_verify() over a precomputed digest. */
TG_MUST_CHECK tg_result tg_sig_verify_digest(uint16_t sigalg, EVP_PKEY *key,
					     const uint8_t *dgst, size_t dlen,
					     const uint8_t *sig,
					     size_t sig_len);

/** True when @p id is among the @p n codepoints at @p list. */
bool tg_sigalg_in(uint16_t id, const uint16_t *list, size_t n);

/**
 * Pick the signature scheme to sign with: the first of @p ours (our
 * preference order) that the peer offered in @p peer (its
 * signature_algorithms, RFC 5246 §7.4.1.4.1) and that fits @p key.
 * With no peer list (@p n_peer == 0, extension absent) RFC 5246 implies
 * SHA-1, which we do not implement, so that fails too.
 * @return TG_E_HANDSHAKE_FAIL when nothing fits.
 */
TG_MUST_CHECK tg_result tg_sig_choose(const EVP_PKEY *key,
				      const uint16_t *peer, size_t n_peer,
				      const uint16_t *ours, size_t n_ours,
				      uint16_t *out);

#endif
