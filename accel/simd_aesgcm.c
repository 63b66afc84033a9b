/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file simd_aesgcm.c
 * AES-GCM (NIST SP 800-38D, 96-bit IV, 128-bit tag) for the simd backend,
 * written for VAES and VPCLMULQDQ on 256-bit registers (AVX2 width: the
 * CPUs that have these without AVX-512, such as AMD Zen 3, and those with
 * it, alike).
 *
 * This file is built with -mavx2 -maes -mpclmul -mvaes -mvpclmulqdq;
 * accel_simd.c calls it only after it has checked the CPU.
 *
 * AES-CTR runs sixteen blocks per pass, two per register. GHASH absorbs
 * sixteen blocks per pass too, with the precomputed powers H^16 .. H^1, so
 * the products of a whole pass are summed unreduced and reduced once.
 * Measured on AMD Zen 3 (bench/RESULTS.md): a 256-bit VPCLMULQDQ holds
 * the units VAES runs on for about 2.5 cycles, so a pass costs about the
 * sum of its AES and its GHASH; Karatsuba's three multiplications per
 * block instead of four measured no faster (its extra shuffles). The
 * two are stitched: the AES rounds of one pass and the carry-less
 * multiplications of the previous pass's ciphertext (sealing) or of the
 * same pass's ciphertext (opening) are interleaved. Pieces of payload of
 * any length go through the stream driver of simd_kernel.h, shared with
 * the ChaCha20-Poly1305 kernel.
 *
 * GHASH representation: a block is byte-reversed into a 128-bit integer
 * v, so that GCM's coefficient of x^k sits at bit 127 - k ("reflected").
 * The carry-less product of two such values then holds the coefficient
 * of x^m at bit 254 - m: read with x^m at bit 255 - m, it is the product
 * times x. The powers of H are therefore kept divided by x (H^k / x: a
 * left shift by one, adding x^-1 = x^127 + x^6 + x + 1 when x^0 falls
 * out), so a carry-less product of a block and a kept power is exactly
 * the 256-bit product. Reduction folds the low 128 bits (the terms x^128
 * .. x^255) into the high 128, one 64-bit word at a time, lowest first. A
 * term x^m of the lowest word is x^(m-128) x^128 = x^(m-128) (1 + x + x^2
 * + x^7) mod P: the word itself two words up (multiplying by x moves a
 * term one bit down in this layout, so x^-128 moves it 128 bits up), plus
 * the carry-less product of the word and 0xc200000000000000 (bits 63, 62
 * and 57: x, x^2 and x^7 seen from the word's top), which lands on the
 * two words above it. Swapping the low half's two words puts the word two
 * words up (as the high word of the 128-bit window above it) and keeps
 * the next one in place; the second step folds that next word the same
 * way into the high half.
 */
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#include "simd.h"
#include "simd_kernel.h"
#include "tg_wipe.h"

/* The session: round keys and powers of H. */
struct tg_simd_gcm_key {
	__m256i rk[15];      /* round keys, each in both lanes */
	__m128i hpow[16];    /* hpow[i] = H^(i+1) / x, reflected */
	__m256i hpair[8];    /* [H^(16-2j), H^(15-2j)] / x: pair j, lanes lo, hi */
	unsigned rounds;     /* 10 or 14 */
};

#define BSWAP128 _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
#define BSWAP256 _mm256_broadcastsi128_si256(BSWAP128)

/* ---------------------------------------------------------------------- */
/* AES key schedule (FIPS 197 §5.2) with AESKEYGENASSIST                   */

static __m128i expand_step(__m128i k, __m128i t)
{
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	return _mm_xor_si128(k, t);
}

#define KEYGEN128(k, rcon)                                                    \
	expand_step(k, _mm_shuffle_epi32(_mm_aeskeygenassist_si128(k, rcon),  \
					 0xff))

static void aes_expand(const uint8_t *key, unsigned key_len, __m128i rk[15])
{
	__m128i a = _mm_loadu_si128((const __m128i *)(const void *)key);

	rk[0] = a;
	if (key_len == 16) {
		rk[1] = a = KEYGEN128(a, 0x01);
		rk[2] = a = KEYGEN128(a, 0x02);
		rk[3] = a = KEYGEN128(a, 0x04);
		rk[4] = a = KEYGEN128(a, 0x08);
		rk[5] = a = KEYGEN128(a, 0x10);
		rk[6] = a = KEYGEN128(a, 0x20);
		rk[7] = a = KEYGEN128(a, 0x40);
		rk[8] = a = KEYGEN128(a, 0x80);
		rk[9] = a = KEYGEN128(a, 0x1b);
		rk[10] = KEYGEN128(a, 0x36);
		return;
	}
	/* AES-256: even round keys from the first half with RotWord+SubWord
	 * and rcon, odd ones from the second with SubWord only */
	__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(key + 16));

	rk[1] = b;
#define KEYGEN256(i, rcon)                                                    \
	do {                                                                  \
		a = expand_step(a, _mm_shuffle_epi32(                         \
			_mm_aeskeygenassist_si128(b, rcon), 0xff));           \
		rk[i] = a;                                                    \
		if ((i) + 1 < 15) {                                           \
			b = expand_step(b, _mm_shuffle_epi32(                 \
				_mm_aeskeygenassist_si128(a, 0), 0xaa));      \
			rk[(i) + 1] = b;                                      \
		}                                                             \
	} while (0)
	KEYGEN256(2, 0x01);
	KEYGEN256(4, 0x02);
	KEYGEN256(6, 0x04);
	KEYGEN256(8, 0x08);
	KEYGEN256(10, 0x10);
	KEYGEN256(12, 0x20);
	KEYGEN256(14, 0x40);
#undef KEYGEN256
}

static __m128i aes_block(const struct tg_simd_gcm_key *K, __m128i x)
{
	x = _mm_xor_si128(x, _mm256_castsi256_si128(K->rk[0]));
	for (unsigned r = 1; r < K->rounds; r++)
		x = _mm_aesenc_si128(x, _mm256_castsi256_si128(K->rk[r]));
	return _mm_aesenclast_si128(x, _mm256_castsi256_si128(K->rk[K->rounds]));
}

/* ---------------------------------------------------------------------- */
/* GHASH arithmetic                                                        */

/*
 * Reduce a 256-bit carry-less product (hi:lo) to the reflected field
 * element (see the file comment): fold the lowest word, then the next.
 */
static inline __m128i ghash_reduce(__m128i hi, __m128i lo)
{
	const __m128i poly = _mm_set_epi64x(0, (long long)0xc200000000000000ULL);
	__m128i t = _mm_xor_si128(_mm_shuffle_epi32(lo, 0x4e),
				  _mm_clmulepi64_si128(lo, poly, 0x00));

	t = _mm_xor_si128(_mm_shuffle_epi32(t, 0x4e),
			  _mm_clmulepi64_si128(t, poly, 0x00));
	return _mm_xor_si128(hi, t);
}

/* v / x for a reflected v: the form the powers of H are kept in */
static __m128i div_x(__m128i v)
{
	/* x^0 is the top bit; x^-1 = x^127 + x^6 + x + 1 */
	__m128i top = _mm_shuffle_epi32(_mm_srai_epi32(v, 31), 0xff);
	__m128i sh = _mm_or_si128(_mm_slli_epi64(v, 1),
				  _mm_srli_epi64(_mm_slli_si128(v, 8), 63));

	return _mm_xor_si128(sh, _mm_and_si128(top, _mm_set_epi64x(
		(long long)0xc200000000000000ULL, 1)));
}

/* Unreduced product of two reflected values, added to (hi, mid, lo). */
#define CLMUL_ACC(a, b, hi, mid, lo)                                          \
	do {                                                                  \
		lo = _mm_xor_si128(lo, _mm_clmulepi64_si128(a, b, 0x00));     \
		hi = _mm_xor_si128(hi, _mm_clmulepi64_si128(a, b, 0x11));     \
		mid = _mm_xor_si128(mid, _mm_xor_si128(                       \
			_mm_clmulepi64_si128(a, b, 0x01),                     \
			_mm_clmulepi64_si128(a, b, 0x10)));                   \
	} while (0)

/* The same for two products side by side (the two 128-bit lanes). */
#define CLMUL_ACC256(a, b, hi, mid, lo)                                       \
	do {                                                                  \
		lo = _mm256_xor_si256(lo, _mm256_clmulepi64_epi128(a, b, 0x00)); \
		hi = _mm256_xor_si256(hi, _mm256_clmulepi64_epi128(a, b, 0x11)); \
		mid = _mm256_xor_si256(mid, _mm256_xor_si256(                 \
			_mm256_clmulepi64_epi128(a, b, 0x01),                 \
			_mm256_clmulepi64_epi128(a, b, 0x10)));               \
	} while (0)

/* The two lanes' sums of a 256-bit accumulator, added into one. */
static inline __m128i lanes_sum(__m256i v)
{
	return _mm_xor_si128(_mm256_castsi256_si128(v),
			     _mm256_extracti128_si256(v, 1));
}

static inline __m128i ghash_finish(__m128i hi, __m128i mid, __m128i lo)
{
	hi = _mm_xor_si128(hi, _mm_srli_si128(mid, 8));
	lo = _mm_xor_si128(lo, _mm_slli_si128(mid, 8));
	return ghash_reduce(hi, lo);
}

/* a * b, with b kept divided by x */
static __m128i gf_mul(__m128i a, __m128i b)
{
	__m128i hi = _mm_setzero_si128(), mid = hi, lo = hi;

	CLMUL_ACC(a, b, hi, mid, lo);
	return ghash_finish(hi, mid, lo);
}

/*
 * y = (y ^ X1) H^n ^ X2 H^(n-1) ^ ... ^ Xn H for n <= 16 whole blocks at
 * p (raw bytes), two blocks per 256-bit multiplication, one reduction.
 */
static __m128i ghash_n(const struct tg_simd_gcm_key *K, __m128i y,
		       const uint8_t *p, size_t n)
{
	const __m256i bs = BSWAP256;
	__m256i hi = _mm256_setzero_si256(), mid = hi, lo = hi;
	size_t i = 0;

	if (n == 0)
		return y;
	for (; i + 2 <= n; i += 2) {
		/* blocks i, i + 1 times H^(n-i), H^(n-i-1) */
		__m256i x = _mm256_shuffle_epi8(_mm256_loadu_si256(
			(const __m256i *)(const void *)(p + 16 * i)), bs);
		__m256i h = _mm256_set_m128i(K->hpow[n - 2 - i], K->hpow[n - 1 - i]);

		if (i == 0)
			x = _mm256_xor_si256(x, _mm256_zextsi128_si256(y));
		CLMUL_ACC256(x, h, hi, mid, lo);
	}
	__m128i h128 = lanes_sum(hi), m128 = lanes_sum(mid), l128 = lanes_sum(lo);

	if (i < n) { /* the last block, times H */
		__m128i x = _mm_shuffle_epi8(_mm_loadu_si128(
			(const __m128i *)(const void *)(p + 16 * i)), BSWAP128);

		if (i == 0)
			x = _mm_xor_si128(x, y);
		CLMUL_ACC(x, K->hpow[0], h128, m128, l128);
	}
	return ghash_finish(h128, m128, l128);
}

/* Any number of whole blocks. */
static __m128i ghash_blocks(const struct tg_simd_gcm_key *K, __m128i y,
			    const uint8_t *p, size_t nblocks)
{
	for (; nblocks > 0;) {
		size_t n = nblocks < 16 ? nblocks : 16;

		y = ghash_n(K, y, p, n);
		p += 16 * n;
		nblocks -= n;
	}
	return y;
}

/* ---------------------------------------------------------------------- */
/* Session                                                                 */

struct tg_simd_gcm_key *tg_simd_gcm_key_new(void)
{
	/* sizeof is a multiple of the alignment, as aligned_alloc wants */
	return aligned_alloc(_Alignof(struct tg_simd_gcm_key),
			     sizeof(struct tg_simd_gcm_key));
}

void tg_simd_gcm_key_free(struct tg_simd_gcm_key *K)
{
	if (K == NULL)
		return;
	tg_wipe(K, sizeof(*K));
	free(K);
}

void tg_simd_gcm_init(struct tg_simd_gcm_key *K, const uint8_t *key,
		      unsigned key_len)
{
	__m128i rk[15], h;

	K->rounds = key_len == 16 ? 10 : 14;
	aes_expand(key, key_len, rk);
	for (unsigned i = 0; i <= K->rounds; i++)
		K->rk[i] = _mm256_broadcastsi128_si256(rk[i]);
	h = _mm_shuffle_epi8(aes_block(K, _mm_setzero_si128()), BSWAP128);
	K->hpow[0] = div_x(h);
	for (unsigned i = 1; i < 16; i++) {
		h = gf_mul(h, K->hpow[0]); /* H^(i+1) */
		K->hpow[i] = div_x(h);
	}
	for (unsigned j = 0; j < 8; j++)
		K->hpair[j] = _mm256_set_m128i(K->hpow[14 - 2 * j],
					       K->hpow[15 - 2 * j]);
	tg_wipe(rk, sizeof(rk));
	tg_wipe(&h, sizeof(h));
}

/* ---------------------------------------------------------------------- */
/* Sixteen blocks per pass                                                 */

/*
 * Counter blocks are kept byte-reversed, so the big-endian 32-bit block
 * counter is the low 32-bit lane and adds as one (wrapping as inc32 does).
 */
struct gcm {
	const struct tg_simd_gcm_key *K;
	__m256i ctr;          /* byte-reversed [ctr, ctr + 1] */
	__m128i y;            /* GHASH state, reflected */
};

/*
 * AES-CTR over 256 bytes at io (in place), stitched with GHASH over the
 * 16 blocks at mac when with_mac: one pair of blocks after each of the
 * first eight rounds. Fully unrolled, so the eight AES states and the
 * three GHASH sums stay in registers.
 */
static inline __attribute__((always_inline)) void
gcm_pass16_impl(struct gcm *G, uint8_t *io, const uint8_t *mac,
		const int with_mac)
{
	const struct tg_simd_gcm_key *K = G->K;
	const __m256i two = _mm256_set_epi32(0, 0, 0, 2, 0, 0, 0, 2);
	const __m256i bs = BSWAP256;
	__m256i c0, c1, c2, c3, c4, c5, c6, c7, k;
	__m256i hi = _mm256_setzero_si256(), mid = hi, lo = hi;
	__m256i ctr = G->ctr;

#define CTR(ci)                                                               \
	do {                                                                  \
		ci = _mm256_xor_si256(_mm256_shuffle_epi8(ctr, bs), K->rk[0]); \
		ctr = _mm256_add_epi32(ctr, two);                             \
	} while (0)
	CTR(c0); CTR(c1); CTR(c2); CTR(c3); CTR(c4); CTR(c5); CTR(c6); CTR(c7);
#undef CTR
	G->ctr = ctr;
#define ROUND(r)                                                              \
	do {                                                                  \
		k = K->rk[r];                                                 \
		c0 = _mm256_aesenc_epi128(c0, k);                             \
		c1 = _mm256_aesenc_epi128(c1, k);                             \
		c2 = _mm256_aesenc_epi128(c2, k);                             \
		c3 = _mm256_aesenc_epi128(c3, k);                             \
		c4 = _mm256_aesenc_epi128(c4, k);                             \
		c5 = _mm256_aesenc_epi128(c5, k);                             \
		c6 = _mm256_aesenc_epi128(c6, k);                             \
		c7 = _mm256_aesenc_epi128(c7, k);                             \
	} while (0)
#define GH(j)                                                                 \
	do {                                                                  \
		if (with_mac) {                                               \
			__m256i x_ = _mm256_shuffle_epi8(_mm256_loadu_si256(  \
				(const __m256i *)(const void *)(mac + 32 * (j))), bs); \
			__m256i h_ = K->hpair[j];                             \
			if ((j) == 0)                                         \
				x_ = _mm256_xor_si256(x_,                     \
					_mm256_zextsi128_si256(G->y));        \
			CLMUL_ACC256(x_, h_, hi, mid, lo);                    \
			/* keep the sums as running sums: reassociated into \
			 * one tree at the end they spill to the stack */    \
			__asm__("" : "+x"(lo), "+x"(hi), "+x"(mid));          \
		}                                                             \
	} while (0)
	ROUND(1); GH(0);
	ROUND(2); GH(1);
	ROUND(3); GH(2);
	ROUND(4); GH(3);
	ROUND(5); GH(4);
	ROUND(6); GH(5);
	ROUND(7); GH(6);
	ROUND(8); GH(7);
	ROUND(9);
	if (K->rounds == 14) {
		ROUND(10);
		ROUND(11);
		ROUND(12);
		ROUND(13);
	}
#undef ROUND
#undef GH
	k = K->rk[K->rounds];
#define LAST(i, ci)                                                           \
	do {                                                                  \
		__m256i *q_ = (__m256i *)(void *)(io + 32 * (i));             \
		ci = _mm256_aesenclast_epi128(ci, k);                         \
		_mm256_storeu_si256(q_, _mm256_xor_si256(                     \
			_mm256_loadu_si256(q_), ci));                         \
	} while (0)
	LAST(0, c0); LAST(1, c1); LAST(2, c2); LAST(3, c3);
	LAST(4, c4); LAST(5, c5); LAST(6, c6); LAST(7, c7);
#undef LAST
	if (with_mac)
		G->y = ghash_finish(lanes_sum(hi), lanes_sum(mid), lanes_sum(lo));
}

static void gcm_pass16(struct gcm *G, uint8_t *io, const uint8_t *mac)
{
	if (mac != NULL)
		gcm_pass16_impl(G, io, mac, 1);
	else
		gcm_pass16_impl(G, io, NULL, 0);
}

/* The stream driver's pass (simd_kernel.h): sixteen blocks of key
 * stream, with the GHASH of 16 blocks stitched in, or of any other count
 * first and apart. */
static void gcm_pass(void *k, uint8_t *io, uint8_t *ks, const uint8_t *mac,
		     size_t nmac)
{
	struct gcm *G = k;

	if (io == NULL) {
		memset(ks, 0, 256);
		io = ks;
	}
	if (nmac == 16) {
		gcm_pass16(G, io, mac);
		return;
	}
	if (nmac > 0)
		G->y = ghash_blocks(G->K, G->y, mac, nmac);
	gcm_pass16(G, io, NULL);
}

static void gcm_mac_blocks(void *k, const uint8_t *p, size_t nblocks)
{
	struct gcm *G = k;

	G->y = ghash_blocks(G->K, G->y, p, nblocks);
}

static const struct tg_simd_aead_ops gcm_ops = {
	.chunk = 256,
	.pass = gcm_pass,
	.mac_blocks = gcm_mac_blocks,
};

void tg_simd_gcm(const struct tg_simd_gcm_key *K, const uint8_t nonce[12],
		 const uint8_t *aad, size_t aad_len,
		 const struct tg_iov *seg, unsigned nseg, int seal,
		 uint8_t tag[16])
{
	struct gcm G;
	struct tg_simd_stream S = { .ops = &gcm_ops, .k = &G, .seal = seal,
				    .kpos = 256 /* no key stream saved */ };
	uint8_t j0[16], lens[16];
	__m128i t, ej0;

	memset(&G, 0, sizeof(G));
	G.K = K;
	memcpy(j0, nonce, 12);
	j0[12] = 0;
	j0[13] = 0;
	j0[14] = 0;
	j0[15] = 1;
	t = _mm_loadu_si128((const __m128i *)(const void *)j0);
	ej0 = aes_block(K, t); /* E(K, J0), for the tag */
	/* first payload counter: inc32(J0), byte-reversed, and the next */
	t = _mm_add_epi32(_mm_shuffle_epi8(t, BSWAP128), _mm_set_epi32(0, 0, 0, 1));
	G.ctr = _mm256_add_epi32(_mm256_broadcastsi128_si256(t),
				 _mm256_set_epi32(0, 0, 0, 1, 0, 0, 0, 0));
	G.y = _mm_setzero_si128();
	tg_simd_stream_run(&S, aad, aad_len, seg, nseg);
	/* lengths in bits, big-endian */
	for (int i = 0; i < 8; i++) {
		lens[i] = (uint8_t)((uint64_t)aad_len * 8 >> (56 - 8 * i));
		lens[8 + i] = (uint8_t)(S.done * 8 >> (56 - 8 * i));
	}
	tg_simd_stream_mac(&S, lens, 16);
	t = _mm_xor_si128(_mm_shuffle_epi8(G.y, BSWAP128), ej0);
	_mm_storeu_si128((__m128i *)(void *)tag, t);
	tg_wipe(&G, sizeof(G));
	tg_wipe(&S, sizeof(S));
	tg_wipe(j0, sizeof(j0));
	tg_wipe(&ej0, sizeof(ej0));
}
