/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file simd_kernel.h
 * Helpers shared by the simd backend's kernels; only for files built with
 * -mavx2 (simd_*.c), never for accel_simd.c.
 */
#ifndef TG_ACCEL_SIMD_KERNEL_H
#define TG_ACCEL_SIMD_KERNEL_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

/** p[i] ^= k[i] for n bytes, 32 at a time. */
static inline void tg_simd_xor(uint8_t *p, const uint8_t *k, size_t n)
{
	for (; n >= 32; n -= 32, p += 32, k += 32)
		_mm256_storeu_si256((__m256i *)(void *)p, _mm256_xor_si256(
			_mm256_loadu_si256((const __m256i *)(const void *)p),
			_mm256_loadu_si256((const __m256i *)(const void *)k)));
	for (; n > 0; n--)
		*p++ ^= *k++;
}

#endif
