/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_sig.h
 * Signatures of the TLS 1.2 handshake (ServerKeyExchange, RFC 8422 §5.4;
 * CertificateVerify, RFC 5246 §7.4.8) with the signature schemes of
 * tg_suite.h: ECDSA with SHA-224/256/384/512, rsa_pss_rsae_* and
 * rsa_pss_pss_* with SHA-256/384/512 (RFC 8446 §4.2.3: MGF1 with the same
 * hash, salt length = hash length), rsa_pkcs1_* with SHA-224/256/384/512.
 *
 * Key binding (RFC 5246 §7.4.1.4.1, RFC 8422 §5.1.3, RFC 8446 §4.2.3):
 * rsa_pkcs1_* and rsa_pss_rsae_* need an rsaEncryption key ("RSA");
 * rsa_pss_pss_* an RSASSA-PSS key ("RSA-PSS", RFC 4055) whose parameter
 * restrictions, if any, allow the scheme's hash, MGF1 hash and salt
 * length; ecdsa_* an EC key. In TLS 1.2 a signature algorithm is a (hash,
 * signature) pair: ecdsa_secp256r1_sha256 means "ECDSA with SHA-256" on
 * whatever curve the key is (RFC 8446 binds the curve; TLS 1.2 does
 * not), so the curve does not decide whether a scheme fits. It is a
 * preference: tg_sig_choose() takes the scheme of the key's own curve
 * first when the peer offers it. A mismatch is TG_E_ILLEGAL_PARAM.
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
 * Classify @p key: RSA, RSASSA-PSS, or EC with its curve as a ::tg_group
 * (0 when the curve is not one of ours).
 * @return TG_E_UNSUPPORTED for any other key type.
 */
TG_MUST_CHECK tg_result tg_sig_key_info(const EVP_PKEY *key,
					enum tg_key_type *type,
					uint16_t *curve);

/**
 * Check that signature scheme @p sigalg can be used with @p key.
 * @return TG_E_ILLEGAL_PARAM for an unknown scheme or a mismatch.
 */
TG_MUST_CHECK tg_result tg_sig_check_key(uint16_t sigalg, EVP_PKEY *key);

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
 * Pick the signature scheme to sign with: of @p ours (our preference
 * order), those the peer offered (@p offered: its signature_algorithms,
 * RFC 5246 §7.4.1.4.1, as a tg_sigalg_bit() set, built once from the
 * whole list however long) that fit @p key; for an EC key the first
 * whose curve is the key's (its RFC 8446 pairing), else the first. With
 * no peer list (extension absent) RFC 5246 implies SHA-1, which we do
 * not implement: @p offered is 0, and that fails too.
 * @return TG_E_HANDSHAKE_FAIL when nothing fits.
 */
TG_MUST_CHECK tg_result tg_sig_choose(EVP_PKEY *key, uint32_t offered,
				      const uint16_t *ours, size_t n_ours,
				      uint16_t *out);

#endif
