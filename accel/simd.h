/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file simd.h
 * The simd backend's kernels (tlsgate's own vector code), each in a file
 * built for the instruction set it needs. Callers check the CPU first
 * (accel_simd.c).
 */
#ifndef TG_ACCEL_SIMD_H
#define TG_ACCEL_SIMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"

/** This CPU (and OS) runs the ChaCha20-Poly1305 kernel: AVX2, BMI2. */
bool tg_simd_cpu_chacha(void);
/** This CPU (and OS) runs the AES-GCM kernel: AVX2, AES-NI, PCLMULQDQ,
 *  VAES, VPCLMULQDQ. */
bool tg_simd_cpu_gcm(void);

/**
 * ChaCha20-Poly1305 (RFC 8439) in place over @p nseg pieces of payload
 * (AVX2). Seals (@p seal nonzero: encrypts, writes the tag to @p tag) or
 * opens (decrypts, writes the computed tag to @p tag for the caller to
 * compare).
 */
void tg_simd_cc20p(const uint8_t key[32], const uint8_t nonce[12],
		   const uint8_t *aad, size_t aad_len,
		   const struct tg_iov *seg, unsigned nseg, int seal,
		   uint8_t tag[16]);

/** An AES-GCM key: round keys and powers of H (opaque). */
struct tg_simd_gcm_key;

/** A new, unkeyed AES-GCM key (aligned as it needs), or NULL. */
struct tg_simd_gcm_key *tg_simd_gcm_key_new(void);
/** Wipe and free @p K (NULL is a no-op). */
void tg_simd_gcm_key_free(struct tg_simd_gcm_key *K);

/** Expand a 16- or 32-byte AES key into @p K (VAES + VPCLMULQDQ, AVX2). */
void tg_simd_gcm_init(struct tg_simd_gcm_key *K, const uint8_t *key,
		      unsigned key_len);

/**
 * AES-GCM with a 96-bit nonce in place over @p nseg pieces of payload.
 * Seals (@p seal nonzero: encrypts, writes the tag to @p tag) or opens
 * (decrypts, writes the computed tag to @p tag for the caller to
 * compare).
 */
void tg_simd_gcm(const struct tg_simd_gcm_key *K, const uint8_t nonce[12],
		 const uint8_t *aad, size_t aad_len,
		 const struct tg_iov *seg, unsigned nseg, int seal,
		 uint8_t tag[16]);

#endif
