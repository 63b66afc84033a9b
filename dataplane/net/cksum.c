/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file cksum.c
 * The Internet checksum (RFC 1071) of long buffers (a segment's payload):
 * the 32-bit words summed into 64-bit lanes of AVX-512 registers, 128
 * bytes an iteration, where the CPU has AVX-512 F and BW, of AVX2
 * registers, 64 bytes an iteration, where it has AVX2 (checked once);
 * the scalar sum of net_int.h elsewhere (or with TG_NET_CKSUM=scalar or
 * =avx2 in the environment).
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

/* The bytes under @p len (< 64) of a 64-byte block: a masked load's */
static inline __mmask64 tg_cksum_tail_mask(size_t len)
{
	return len >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << len) - 1;
}

/* tg_cksum_add_avx2() on 64-byte registers, 128 bytes an iteration; the
 * last bytes in one masked load (zeros past the end: the scalar sum's
 * padding of an odd last byte) */
__attribute__((target("avx512f,avx512bw")))
static uint64_t tg_cksum_add_avx512(const uint8_t *p, size_t len, uint64_t sum)
{
	const __m512i z = _mm512_setzero_si512();
	__m512i a0 = z, a1 = z, a2 = z, a3 = z;

	while (len >= 128) {
		__m512i v0 = _mm512_loadu_si512((const void *)p);
		__m512i v1 = _mm512_loadu_si512((const void *)(p + 64));

		a0 = _mm512_add_epi64(a0, _mm512_unpacklo_epi32(v0, z));
		a1 = _mm512_add_epi64(a1, _mm512_unpackhi_epi32(v0, z));
		a2 = _mm512_add_epi64(a2, _mm512_unpacklo_epi32(v1, z));
		a3 = _mm512_add_epi64(a3, _mm512_unpackhi_epi32(v1, z));
		p += 128;
		len -= 128;
	}
	while (len > 0) {
		__m512i v = _mm512_maskz_loadu_epi8(tg_cksum_tail_mask(len), p);
		size_t k = len >= 64 ? 64 : len;

		a0 = _mm512_add_epi64(a0, _mm512_unpacklo_epi32(v, z));
		a1 = _mm512_add_epi64(a1, _mm512_unpackhi_epi32(v, z));
		p += k;
		len -= k;
	}
	a0 = _mm512_add_epi64(_mm512_add_epi64(a0, a1), _mm512_add_epi64(a2, a3));
	/* each lane is below 2^32 * (len / 64) + 2^32: no carry out of 64
	 * bits for any buffer under 2^32 bytes */
	return sum + (uint64_t)_mm512_reduce_add_epi64(a0);
}

/* tg_cksum_add_avx512() storing what it loads */
__attribute__((target("avx512f,avx512bw")))
static uint64_t tg_cksum_copy_avx512(uint8_t *d, const uint8_t *p, size_t len, uint64_t sum)
{
	const __m512i z = _mm512_setzero_si512();
	__m512i a0 = z, a1 = z, a2 = z, a3 = z;

	while (len >= 128) {
		__m512i v0 = _mm512_loadu_si512((const void *)p);
		__m512i v1 = _mm512_loadu_si512((const void *)(p + 64));

		_mm512_storeu_si512((void *)d, v0);
		_mm512_storeu_si512((void *)(d + 64), v1);
		a0 = _mm512_add_epi64(a0, _mm512_unpacklo_epi32(v0, z));
		a1 = _mm512_add_epi64(a1, _mm512_unpackhi_epi32(v0, z));
		a2 = _mm512_add_epi64(a2, _mm512_unpacklo_epi32(v1, z));
		a3 = _mm512_add_epi64(a3, _mm512_unpackhi_epi32(v1, z));
		p += 128;
		d += 128;
		len -= 128;
	}
	while (len > 0) {
		__mmask64 k = tg_cksum_tail_mask(len);
		__m512i v = _mm512_maskz_loadu_epi8(k, p);
		size_t n = len >= 64 ? 64 : len;

		_mm512_mask_storeu_epi8(d, k, v);
		a0 = _mm512_add_epi64(a0, _mm512_unpacklo_epi32(v, z));
		a1 = _mm512_add_epi64(a1, _mm512_unpackhi_epi32(v, z));
		p += n;
		d += n;
		len -= n;
	}
	a0 = _mm512_add_epi64(_mm512_add_epi64(a0, a1), _mm512_add_epi64(a2, a3));
	return sum + (uint64_t)_mm512_reduce_add_epi64(a0);
}

enum { TG_CK_SCALAR, TG_CK_AVX2, TG_CK_AVX512 };

/* The widest kernel the CPU has, checked once. TG_NET_CKSUM=scalar or
 * =avx2 in the environment: that one (tests, on any CPU that has it). */
static int tg_cksum_kind(void)
{
	static atomic_int kind = -1;
	int have = atomic_load_explicit(&kind, memory_order_relaxed);

	if (have < 0) {
		const char *force = getenv("TG_NET_CKSUM");

		__builtin_cpu_init();
		have = TG_CK_SCALAR;
		if (__builtin_cpu_supports("avx2"))
			have = TG_CK_AVX2;
		if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"))
			have = TG_CK_AVX512;
		if (force != NULL && strcmp(force, "scalar") == 0)
			have = TG_CK_SCALAR;
		else if (force != NULL && strcmp(force, "avx2") == 0 && have > TG_CK_AVX2)
			have = TG_CK_AVX2;
		atomic_store_explicit(&kind, have, memory_order_relaxed);
	}
	return have;
}

uint64_t tg_cksum_add_long(const void *buf, size_t len, uint64_t sum)
{
	switch (tg_cksum_kind()) {
	case TG_CK_AVX512:
		return tg_cksum_add_avx512(buf, len, sum);
	case TG_CK_AVX2:
		return tg_cksum_add_avx2(buf, len, sum);
	default:
		return tg_cksum_add_scalar(buf, len, sum);
	}
}

uint64_t tg_net_cksum_copy(void *dst, const void *src, size_t len, uint64_t sum)
{
	if (len >= 256) {
		switch (tg_cksum_kind()) {
		case TG_CK_AVX512:
			return tg_cksum_copy_avx512(dst, src, len, sum);
		case TG_CK_AVX2:
			return tg_cksum_copy_avx2(dst, src, len, sum);
		default:
			break;
		}
	}
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
