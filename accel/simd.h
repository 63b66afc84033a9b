/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file simd.h
 * The simd backend's kernels (tlsgate's own vector code), each in a file
 * built for the instruction set it needs. Callers check the CPU first
 * (accel_simd.c).
 */
#ifndef TG_ACCEL_SIMD_H
#define TG_ACCEL_SIMD_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"

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

#endif
