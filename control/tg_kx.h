/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_kx.h
 * Key exchange for TLS 1.2: ephemeral ECDH over x25519, secp256r1 and
 * secp384r1 (RFC 8422, RFC 7748) and static RSA key transport with the
 * Bleichenbacher countermeasure (RFC 5246 §7.4.7.1).
 *
 * ECDHE, one side:
 *
 *     struct tg_kx kx;
 *     TG_GUARD(tg_kx_keygen(&kx, TG_GROUP_X25519));
 *     tg_kx_public(&kx, pub, sizeof(pub), &pub_len);   // -> the peer
 *     tg_kx_derive(&kx, peer_pub, peer_len, pms, sizeof(pms), &pms_len);
 *     tg_kx_free(&kx);                                  // always
 *
 * Public values (RFC 8422 §5.4, RFC 7748 §5): x25519 is the raw 32-byte
 * u-coordinate; the NIST curves use the uncompressed point 0x04 || X || Y
 * only (65 / 97 bytes; RFC 8422 §5.1.2 deprecates the other formats).
 * The premaster secret is the x-coordinate, left-padded to the field size
 * (RFC 8422 §5.10), or the X25519 output (RFC 7748 §6.1).
 *
 * Bad peer values, all TG_E_ILLEGAL_PARAM (illegal_parameter): a wrong
 * length or format byte, a point not on the curve or at infinity
 * (RFC 8422 §5.11, partial validation is complete for these prime-order
 * curves), an X25519 result of all zeros (RFC 7748 §6.1: a low-order
 * point). Choice: the value was a well-formed ECPoint<1..2^8-1> vector
 * (that is the parser's TG_E_DECODE); its content is what is wrong, and
 * OpenSSL and BoringSSL send illegal_parameter here too.
 *
 * Speed: key generation reuses one EVP_PKEY_CTX per group per thread
 * (created on first use; EVP_PKEY_CTX is not thread-safe, so one per
 * thread, in pthread-specific storage). On P-256 that is over twice as
 * fast as a fresh context per key (the EC_GROUP is set up once). The
 * peer's point is imported onto a copy of our key's group rather than by
 * group name, for the same reason. X25519 keys are imported from 32
 * bytes of a per-thread block of RAND_priv_bytes() output
 * (tg_rand_secret()) through a per-thread import context, and the
 * peer's X25519 value goes into one per-thread EVP_PKEY rewritten in
 * place: no key-type fetch, DRBG call or new peer key per handshake
 * (kx.c). The contexts and that key are freed by a
 * thread-exit destructor; the main thread (which exits without running
 * destructors) or a thread that wants them gone early calls
 * tg_kx_thread_cleanup().
 */
#ifndef TG_KX_H
#define TG_KX_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "tg_result.h"
#include "tg_tls.h"

/** Longest public value (P-384 uncompressed point). */
#define TG_KX_MAX_PUB 97
/** Longest ECDHE shared secret (P-384 x-coordinate). */
#define TG_KX_MAX_SECRET 48

/** An ephemeral ECDH key pair. Zero-initialised = empty. */
struct tg_kx {
	uint16_t group; /**< ::tg_group */
	EVP_PKEY *key;  /**< our private key (owned) */
};

/**
 * Generate an ephemeral key pair on @p group (TG_GROUP_X25519,
 * TG_GROUP_SECP256R1, TG_GROUP_SECP384R1).
 * @return TG_E_UNSUPPORTED for another group, TG_E_CRYPTO on failure.
 */
TG_MUST_CHECK tg_result tg_kx_keygen(struct tg_kx *kx, uint16_t group);

/**
 * Our public value as sent in ServerKeyExchange / ClientKeyExchange
 * (the ECPoint contents, without its length byte).
 * @return TG_E_NOSPACE when @p cap is too small.
 */
TG_MUST_CHECK tg_result tg_kx_public(const struct tg_kx *kx, uint8_t *out,
				     size_t cap, size_t *len);

/**
 * Derive the premaster secret from the peer's public value @p peer.
 * Writes the group's secret length (32 or 48) to @p secret. Does not free
 * our key (call tg_kx_free()).
 * @return TG_E_ILLEGAL_PARAM for a bad peer value (see file comment),
 *         TG_E_NOSPACE, TG_E_STATE without a key, TG_E_CRYPTO.
 */
TG_MUST_CHECK tg_result tg_kx_derive(const struct tg_kx *kx,
				     const uint8_t *peer, size_t peer_len,
				     uint8_t *secret, size_t cap,
				     size_t *secret_len);

/** Free the key pair (private key wiped by libcrypto). NULL-safe. */
void tg_kx_free(struct tg_kx *kx);

/** Free this thread's cached key generation contexts. */
void tg_kx_thread_cleanup(void);

/**
 * Server side of static RSA key exchange (RFC 5246 §7.4.7.1): decrypt the
 * EncryptedPreMasterSecret @p enc (the vector contents) with our RSA key.
 *
 * The Bleichenbacher countermeasure is done by libcrypto's
 * RSA_PKCS1_WITH_TLS_PADDING mode (OpenSSL 3.0): it checks the PKCS#1
 * v1.5 padding, the 48-byte length and the version bytes
 * (@p client_version, the ClientHello.client_version) in constant time
 * and, when any check fails, returns a fresh random premaster instead.
 * Should the decryption fail outright (a ciphertext longer than or
 * numerically at least the modulus), we use a random premaster too.
 * Either way the function succeeds and the handshake fails later at the
 * Finished check, with nothing to tell the cases apart.
 *
 * @return TG_OK with @p pms set (the real or a random premaster);
 *         TG_E_INVAL when @p key is not an RSA private key; TG_E_CRYPTO
 *         when no random bytes could be had.
 */
TG_MUST_CHECK tg_result tg_kx_rsa_decrypt(EVP_PKEY *key, const uint8_t *enc,
					  size_t enc_len,
					  uint16_t client_version,
					  uint8_t pms[TG_TLS_PREMASTER_RSA_LEN]);

/**
 * Client side of static RSA key exchange (RFC 5246 §7.4.7.1): make a
 * premaster secret (client_version || 46 random bytes) and encrypt it
 * with RSAES-PKCS1-v1_5 to the server's key @p peer. @p out receives the
 * EncryptedPreMasterSecret contents (EVP_PKEY_get_size(peer) bytes).
 */
TG_MUST_CHECK tg_result tg_kx_rsa_encrypt(EVP_PKEY *peer,
					  uint16_t client_version,
					  uint8_t pms[TG_TLS_PREMASTER_RSA_LEN],
					  uint8_t *out, size_t cap,
					  size_t *out_len);

#endif
