/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file cksum.c
 * The Internet checksum (RFC 1071) of long buffers (a segment's payload):
 * the 32-bit words summed into 64-bit lanes of AVX2 registers, 64 bytes
 * an iteration, where the CPU has AVX2 (checked once); the scalar sum of
 * net_int.h elsewhere (or with TG_NET_CKSUM=scalar in the environment).
 * The same raw sum either way: one's complement
 * addition does not depend on the order or the grouping of the words.
 * A chain of segments (a TCP segment's headers, then slices of the send
 * buffer) sums each piece on its own: a piece that starts at an odd
 * offset of the whole has its bytes in the other halves of the 16-bit
 * words, so its folded sum is byte-swapped (RFC 1071 §2(B)).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <immintrin.h>

#include "net_int.h"

__attribute__((target("avx2")))
static uint64_t tg_cksum_add_avx2(const uint8_t *p, size_t len, uint64_t sum)
{
	const __m256i z = _mm256_setzero_si256();
	__m256i a0 = z, a1 = z, a2 = z, a3 = z;
	uint64_t l[4];

	while (len >= 64) {
		__m256i v0 = _mm256_loadu_si256((const __m256i *)p);
		__m256i v1 = _mm256_loadu_si256((const __m256i *)(p + 32));

		a0 = _mm256_add_epi64(a0, _mm256_unpacklo_epi32(v0, z));
		a1 = _mm256_add_epi64(a1, _mm256_unpackhi_epi32(v0, z));
		a2 = _mm256_add_epi64(a2, _mm256_unpacklo_epi32(v1, z));
		a3 = _mm256_add_epi64(a3, _mm256_unpackhi_epi32(v1, z));
		p += 64;
		len -= 64;
	}
	a0 = _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3));
	_mm256_storeu_si256((__m256i *)l, a0);
	/* each lane is below 2^32 * (len / 32): no carry out of 64 bits for
	 * any buffer under 2^32 bytes */
	sum += l[0] + l[1] + l[2] + l[3];
	return tg_cksum_add_scalar(p, len, sum);
}

/* tg_cksum_add_avx2() storing what it loads: the copy and the sum in
 * one pass over the bytes */
__attribute__((target("avx2")))
static uint64_t tg_cksum_copy_avx2(uint8_t *d, const uint8_t *p, size_t len, uint64_t sum)
{
	const __m256i z = _mm256_setzero_si256();
	__m256i a0 = z, a1 = z, a2 = z, a3 = z;
	uint64_t l[4];

	while (len >= 64) {
		__m256i v0 = _mm256_loadu_si256((const __m256i *)p);
		__m256i v1 = _mm256_loadu_si256((const __m256i *)(p + 32));

		_mm256_storeu_si256((__m256i *)d, v0);
		_mm256_storeu_si256((__m256i *)(d + 32), v1);
		a0 = _mm256_add_epi64(a0, _mm256_unpacklo_epi32(v0, z));
		a1 = _mm256_add_epi64(a1, _mm256_unpackhi_epi32(v0, z));
		a2 = _mm256_add_epi64(a2, _mm256_unpacklo_epi32(v1, z));
		a3 = _mm256_add_epi64(a3, _mm256_unpackhi_epi32(v1, z));
		p += 64;
		d += 64;
		len -= 64;
	}
	a0 = _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3));
	_mm256_storeu_si256((__m256i *)l, a0);
	sum += l[0] + l[1] + l[2] + l[3];
	memcpy(d, p, len);
	return tg_cksum_add_scalar(p, len, sum);
}

static bool tg_cksum_avx2(void)
{
	static atomic_int avx2 = -1;
	int have = atomic_load_explicit(&avx2, memory_order_relaxed);

	if (have < 0) {
		/* TG_NET_CKSUM=scalar: the fallback on any CPU (tests) */
		const char *force = getenv("TG_NET_CKSUM");

		__builtin_cpu_init();
		have = __builtin_cpu_supports("avx2") &&
		       (force == NULL || strcmp(force, "scalar") != 0) ? 1 : 0;
		atomic_store_explicit(&avx2, have, memory_order_relaxed);
	}
	return have != 0;
}

uint64_t tg_cksum_add_long(const void *buf, size_t len, uint64_t sum)
{
	if (tg_cksum_avx2())
		return tg_cksum_add_avx2(buf, len, sum);
	return tg_cksum_add_scalar(buf, len, sum);
}

uint64_t tg_net_cksum_copy(void *dst, const void *src, size_t len, uint64_t sum)
{
	if (len >= 256 && tg_cksum_avx2())
		return tg_cksum_copy_avx2(dst, src, len, sum);
	memcpy(dst, src, len);
	return tg_cksum_add(src, len, sum);
}

bool tg_raw_cksum_chain(const struct rte_mbuf *m, uint32_t off, uint32_t len,
			uint16_t *out)
{
	uint64_t sum = 0;
	uint32_t done = 0;

	while (m != NULL && off >= m->data_len) {
		off -= m->data_len;
		m = m->next;
	}
	while (len > 0) {
		uint32_t k;
		uint16_t f;

		if (m == NULL)
			return false;
		k = RTE_MIN(len, (uint32_t)m->data_len - off);
		f = tg_cksum_fold(tg_cksum_add(rte_pktmbuf_mtod_offset(m, const uint8_t *, off),
					       k, 0));
		if (done & 1)
			f = (uint16_t)((f << 8) | (f >> 8));
		sum += f;
		done += k;
		len -= k;
		off = 0;
		m = m->next;
	}
	*out = tg_cksum_fold(sum);
	return true;
}
