/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file simd_chacha20poly1305.c
 * ChaCha20-Poly1305 (RFC 8439) for the simd backend, written for AVX2.
 *
 * This file is built with -mavx2; accel_simd.c calls it only after it has
 * checked that the CPU has AVX2.
 *
 * ChaCha20 runs eight blocks at once, one block per 32-bit lane of sixteen
 * ymm registers. Poly1305 runs on the scalar integer units in radix 2^64
 * (h in three words, r in two; 2^130 = 5 mod p folds the high products
 * back). The two are stitched: while the vector units compute the key
 * stream of one 512-byte chunk, the integer units absorb 512 bytes of
 * ciphertext into Poly1305 (the previous chunk when sealing, since its
 * ciphertext exists only once it has been encrypted; the same chunk when
 * opening, read before it is decrypted). Separate passes, as libcrypto
 * does them, leave one set of units idle in each pass.
 *
 * The payload may come in pieces (mbuf segments) of any length: the
 * stream driver of simd_kernel.h, shared with the AES-GCM kernel, cuts it
 * into passes and bridges piece boundaries from saved key stream.
 */
#include <immintrin.h>
#include <string.h>

#include "simd.h"
#include "simd_kernel.h"
#include "tg_wipe.h"

typedef unsigned __int128 u128;

/* ---------------------------------------------------------------------- */
/* Poly1305, radix 2^64                                                    */

struct poly {
	uint64_t h0, h1, h2; /* accumulator, h2 holds the bits above 2^128 */
	uint64_t r0, r1, s1; /* clamped r; s1 = r1 + r1/4 = 5/4 * r1 */
	uint64_t pad0, pad1; /* s */
};

static inline uint64_t ld64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8); /* x86: little-endian */
	return v;
}

static inline void st64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void poly_init(struct poly *P, const uint8_t key[32])
{
	P->h0 = P->h1 = P->h2 = 0;
	P->r0 = ld64(key) & 0x0ffffffc0fffffffULL;
	P->r1 = ld64(key + 8) & 0x0ffffffc0ffffffcULL;
	P->s1 = P->r1 + (P->r1 >> 2);
	P->pad0 = ld64(key + 16);
	P->pad1 = ld64(key + 24);
}

/*
 * One block: h = (h + m + 2^128) * r mod 2^130 - 5, partly reduced
 * (h2 <= 4 after it, so h < 2p, which poly_final's one conditional
 * subtraction needs). With d = (h0 + h1 2^64 + h2 2^128) * (r0 + r1 2^64):
 *   d0 = h0 r0 + h1 s1, d1 = h0 r1 + h1 r0 + h2 s1, d2 = h2 r0
 * as 2^128 = 5/4 mod p and s1 = 5/4 r1 (r1 is a multiple of 4). r0 and
 * s1 are below 2^61, so no sum overflows. Then the bits of d2 from 2^130
 * up come back times 5: c = (d2 & ~3) + (d2 >> 2).
 *
 * In assembly: compilers keep 128-bit intermediates on the stack here,
 * which puts store-to-load forwarding into the dependency chain from one
 * block to the next and doubles its length. Needs BMI2 (mulx).
 */
#define POLY_BLOCK(h0, h1, h2, r0, r1, s1, p, hibit)                          \
	do {                                                                  \
		uint64_t a0_, a1_, b0_, b1_, t0_, t1_;                        \
		__asm__("addq 0(%[m]), %[h0]\n\t"                              \
			"adcq 8(%[m]), %[h1]\n\t"                              \
			"adcq %[hb], %[h2]\n\t"                                \
			"movq %[r0], %%rdx\n\t"                                \
			"mulx %[h0], %[a0], %[a1]\n\t" /* h0 r0 */             \
			"mulx %[h1], %[b0], %[b1]\n\t" /* h1 r0 */             \
			"movq %[s1], %%rdx\n\t"                                \
			"mulx %[h1], %[t0], %[t1]\n\t" /* h1 s1 */             \
			"addq %[t0], %[a0]\n\t"                                \
			"adcq %[t1], %[a1]\n\t"                                \
			"movq %[r1], %%rdx\n\t"                                \
			"mulx %[h0], %[t0], %[t1]\n\t" /* h0 r1 */             \
			"addq %[t0], %[b0]\n\t"                                \
			"adcq %[t1], %[b1]\n\t"                                \
			"movq %[h2], %[t0]\n\t"                                \
			"imulq %[s1], %[t0]\n\t"       /* h2 s1 */             \
			"imulq %[r0], %[h2]\n\t"       /* d2 = h2 r0 */        \
			"addq %[t0], %[b0]\n\t"                                \
			"adcq $0, %[b1]\n\t"                                   \
			"addq %[a1], %[b0]\n\t"        /* d1 += d0 >> 64 */    \
			"adcq %[b1], %[h2]\n\t"        /* d2 += d1 >> 64 */    \
			"movq %[h2], %[t0]\n\t"                                \
			"movq %[h2], %[t1]\n\t"                                \
			"andq $-4, %[t0]\n\t"                                  \
			"shrq $2, %[t1]\n\t"                                   \
			"andq $3, %[h2]\n\t"                                   \
			"addq %[t1], %[t0]\n\t"                                \
			"addq %[t0], %[a0]\n\t"                                \
			"adcq $0, %[b0]\n\t"                                   \
			"adcq $0, %[h2]\n\t"                                   \
			"movq %[a0], %[h0]\n\t"                                \
			"movq %[b0], %[h1]"                                      \
			: [h0] "+&r"(h0), [h1] "+&r"(h1), [h2] "+&r"(h2),     \
			  [a0] "=&r"(a0_), [a1] "=&r"(a1_), [b0] "=&r"(b0_),  \
			  [b1] "=&r"(b1_), [t0] "=&r"(t0_), [t1] "=&r"(t1_)   \
			: [m] "r"(p), [hb] "i"(hibit), [r0] "rm"(r0),         \
			  [r1] "rm"(r1), [s1] "rm"(s1), "m"(*(const uint8_t(*)[16])(p)) \
			: "rdx", "cc");                                       \
	} while (0)

/* Whole blocks of m (n a multiple of 16). */
static void poly_blocks(struct poly *P, const uint8_t *m, size_t n)
{
	uint64_t h0 = P->h0, h1 = P->h1, h2 = P->h2;
	const uint64_t r0 = P->r0, r1 = P->r1, s1 = P->s1;

	for (; n >= 16; n -= 16, m += 16)
		POLY_BLOCK(h0, h1, h2, r0, r1, s1, m, 1);
	P->h0 = h0;
	P->h1 = h1;
	P->h2 = h2;
}

static void poly_final(struct poly *P, uint8_t tag[16])
{
	uint64_t h0 = P->h0, h1 = P->h1, h2 = P->h2, g0, g1, g2, mask;
	u128 t;

	/* fully reduce: h < 2^130 + small; h - p = h + 5 - 2^130 */
	t = (u128)h0 + 5;
	g0 = (uint64_t)t;
	t = (u128)h1 + (uint64_t)(t >> 64);
	g1 = (uint64_t)t;
	g2 = h2 + (uint64_t)(t >> 64);
	/* g2 >= 4 means h >= p: take g (constant time) */
	mask = 0 - (g2 >> 2);
	mask = 0 - (uint64_t)(mask != 0); /* all ones when h >= p */
	h0 = (h0 & ~mask) | (g0 & mask);
	h1 = (h1 & ~mask) | (g1 & mask);
	t = (u128)h0 + P->pad0;
	h0 = (uint64_t)t;
	h1 = h1 + P->pad1 + (uint64_t)(t >> 64);
	st64(tag, h0);
	st64(tag + 8, h1);
}

/* ---------------------------------------------------------------------- */
/* ChaCha20, eight blocks per call                                         */

#define ROT16(x)                                                              \
	_mm256_shuffle_epi8(x, _mm256_set_epi8(13, 12, 15, 14, 9, 8, 11, 10,  \
					       5, 4, 7, 6, 1, 0, 3, 2, 13,    \
					       12, 15, 14, 9, 8, 11, 10, 5,   \
					       4, 7, 6, 1, 0, 3, 2))
#define ROT8(x)                                                               \
	_mm256_shuffle_epi8(x, _mm256_set_epi8(14, 13, 12, 15, 10, 9, 8, 11,  \
					       6, 5, 4, 7, 2, 1, 0, 3, 14,    \
					       13, 12, 15, 10, 9, 8, 11, 6,   \
					       5, 4, 7, 2, 1, 0, 3))
#define ROTL(x, n)                                                            \
	_mm256_or_si256(_mm256_slli_epi32(x, n), _mm256_srli_epi32(x, 32 - (n)))

/* Two quarter rounds in lock step (two independent chains side by side;
 * four at once spill more registers and run slower) */
#define QR2(a0, b0, c0, d0, a1, b1, c1, d1)                                   \
	do {                                                                  \
		a0 = _mm256_add_epi32(a0, b0);                                \
		a1 = _mm256_add_epi32(a1, b1);                                \
		d0 = ROT16(_mm256_xor_si256(d0, a0));                         \
		d1 = ROT16(_mm256_xor_si256(d1, a1));                         \
		c0 = _mm256_add_epi32(c0, d0);                                \
		c1 = _mm256_add_epi32(c1, d1);                                \
		b0 = ROTL(_mm256_xor_si256(b0, c0), 12);                      \
		b1 = ROTL(_mm256_xor_si256(b1, c1), 12);                      \
		a0 = _mm256_add_epi32(a0, b0);                                \
		a1 = _mm256_add_epi32(a1, b1);                                \
		d0 = ROT8(_mm256_xor_si256(d0, a0));                          \
		d1 = ROT8(_mm256_xor_si256(d1, a1));                          \
		c0 = _mm256_add_epi32(c0, d0);                                \
		c1 = _mm256_add_epi32(c1, d1);                                \
		b0 = ROTL(_mm256_xor_si256(b0, c0), 7);                       \
		b1 = ROTL(_mm256_xor_si256(b1, c1), 7);                       \
	} while (0)
/* The ChaCha20 state of one record: key, block counter, nonce. */
struct chacha {
	uint32_t in[16];
};

static void chacha_init(struct chacha *C, const uint8_t key[32],
			const uint8_t nonce[12], uint32_t ctr)
{
	C->in[0] = 0x61707865;
	C->in[1] = 0x3320646e;
	C->in[2] = 0x79622d32;
	C->in[3] = 0x6b206574;
	memcpy(&C->in[4], key, 32);
	C->in[12] = ctr;
	memcpy(&C->in[13], nonce, 12);
}

/* transpose four 32-bit words of 8 lanes into block order (see below) */
#define TRANSPOSE8(a0, a1, a2, a3, a4, a5, a6, a7)                            \
	do {                                                                  \
		__m256i t0_ = _mm256_unpacklo_epi32(a0, a1);                  \
		__m256i t1_ = _mm256_unpackhi_epi32(a0, a1);                  \
		__m256i t2_ = _mm256_unpacklo_epi32(a2, a3);                  \
		__m256i t3_ = _mm256_unpackhi_epi32(a2, a3);                  \
		__m256i t4_ = _mm256_unpacklo_epi32(a4, a5);                  \
		__m256i t5_ = _mm256_unpackhi_epi32(a4, a5);                  \
		__m256i t6_ = _mm256_unpacklo_epi32(a6, a7);                  \
		__m256i t7_ = _mm256_unpackhi_epi32(a6, a7);                  \
		__m256i u0_ = _mm256_unpacklo_epi64(t0_, t2_);                \
		__m256i u1_ = _mm256_unpackhi_epi64(t0_, t2_);                \
		__m256i u2_ = _mm256_unpacklo_epi64(t1_, t3_);                \
		__m256i u3_ = _mm256_unpackhi_epi64(t1_, t3_);                \
		__m256i u4_ = _mm256_unpacklo_epi64(t4_, t6_);                \
		__m256i u5_ = _mm256_unpackhi_epi64(t4_, t6_);                \
		__m256i u6_ = _mm256_unpacklo_epi64(t5_, t7_);                \
		__m256i u7_ = _mm256_unpackhi_epi64(t5_, t7_);                \
		a0 = _mm256_permute2x128_si256(u0_, u4_, 0x20);               \
		a4 = _mm256_permute2x128_si256(u0_, u4_, 0x31);               \
		a1 = _mm256_permute2x128_si256(u1_, u5_, 0x20);               \
		a5 = _mm256_permute2x128_si256(u1_, u5_, 0x31);               \
		a2 = _mm256_permute2x128_si256(u2_, u6_, 0x20);               \
		a6 = _mm256_permute2x128_si256(u2_, u6_, 0x31);               \
		a3 = _mm256_permute2x128_si256(u3_, u7_, 0x20);               \
		a7 = _mm256_permute2x128_si256(u3_, u7_, 0x31);               \
	} while (0)

/*
 * Eight key-stream blocks from counter C->in[12] on (which advances by 8),
 * XORed into 512 bytes at io, or stored as key stream at ks when io is
 * NULL. While the rounds run, Poly1305 absorbs the nmac whole blocks at
 * mac (P must hold no partial block): a share after each double round.
 */
static void chacha8_poly(struct chacha *C, uint8_t *io, uint8_t *ks,
			 struct poly *P, const uint8_t *mac, size_t nmac)
{
	__m256i x0 = _mm256_set1_epi32((int)C->in[0]);
	__m256i x1 = _mm256_set1_epi32((int)C->in[1]);
	__m256i x2 = _mm256_set1_epi32((int)C->in[2]);
	__m256i x3 = _mm256_set1_epi32((int)C->in[3]);
	__m256i x4 = _mm256_set1_epi32((int)C->in[4]);
	__m256i x5 = _mm256_set1_epi32((int)C->in[5]);
	__m256i x6 = _mm256_set1_epi32((int)C->in[6]);
	__m256i x7 = _mm256_set1_epi32((int)C->in[7]);
	__m256i x8 = _mm256_set1_epi32((int)C->in[8]);
	__m256i x9 = _mm256_set1_epi32((int)C->in[9]);
	__m256i x10 = _mm256_set1_epi32((int)C->in[10]);
	__m256i x11 = _mm256_set1_epi32((int)C->in[11]);
	__m256i x12 = _mm256_add_epi32(_mm256_set1_epi32((int)C->in[12]),
				       _mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0));
	__m256i x13 = _mm256_set1_epi32((int)C->in[13]);
	__m256i x14 = _mm256_set1_epi32((int)C->in[14]);
	__m256i x15 = _mm256_set1_epi32((int)C->in[15]);
	const __m256i ctr = x12;
	uint64_t h0 = 0, h1 = 0, h2 = 0, r0 = 0, r1 = 0, s1 = 0;
	const size_t per = (nmac + 9) / 10; /* blocks per double round */

	if (nmac > 0) {
		h0 = P->h0;
		h1 = P->h1;
		h2 = P->h2;
		r0 = P->r0;
		r1 = P->r1;
		s1 = P->s1;
	}
	for (int i = 0; i < 10; i++) {
		QR2(x0, x4, x8, x12, x1, x5, x9, x13); /* columns */
		QR2(x2, x6, x10, x14, x3, x7, x11, x15);
		QR2(x0, x5, x10, x15, x1, x6, x11, x12); /* diagonals */
		QR2(x2, x7, x8, x13, x3, x4, x9, x14);
		for (size_t k = 0; k < per && nmac > 0; k++, nmac--) {
			POLY_BLOCK(h0, h1, h2, r0, r1, s1, mac, 1);
			mac += 16;
		}
	}
	if (per > 0) {
		P->h0 = h0;
		P->h1 = h1;
		P->h2 = h2;
	}
	x0 = _mm256_add_epi32(x0, _mm256_set1_epi32((int)C->in[0]));
	x1 = _mm256_add_epi32(x1, _mm256_set1_epi32((int)C->in[1]));
	x2 = _mm256_add_epi32(x2, _mm256_set1_epi32((int)C->in[2]));
	x3 = _mm256_add_epi32(x3, _mm256_set1_epi32((int)C->in[3]));
	x4 = _mm256_add_epi32(x4, _mm256_set1_epi32((int)C->in[4]));
	x5 = _mm256_add_epi32(x5, _mm256_set1_epi32((int)C->in[5]));
	x6 = _mm256_add_epi32(x6, _mm256_set1_epi32((int)C->in[6]));
	x7 = _mm256_add_epi32(x7, _mm256_set1_epi32((int)C->in[7]));
	x8 = _mm256_add_epi32(x8, _mm256_set1_epi32((int)C->in[8]));
	x9 = _mm256_add_epi32(x9, _mm256_set1_epi32((int)C->in[9]));
	x10 = _mm256_add_epi32(x10, _mm256_set1_epi32((int)C->in[10]));
	x11 = _mm256_add_epi32(x11, _mm256_set1_epi32((int)C->in[11]));
	x12 = _mm256_add_epi32(x12, ctr);
	x13 = _mm256_add_epi32(x13, _mm256_set1_epi32((int)C->in[13]));
	x14 = _mm256_add_epi32(x14, _mm256_set1_epi32((int)C->in[14]));
	x15 = _mm256_add_epi32(x15, _mm256_set1_epi32((int)C->in[15]));
	C->in[12] += 8;
	/* After the transposes, xK holds words 0-7 (K < 8) or 8-15 (K >= 8)
	 * of block K mod 8: block b is x(b) then x(b+8). */
	TRANSPOSE8(x0, x1, x2, x3, x4, x5, x6, x7);
	TRANSPOSE8(x8, x9, x10, x11, x12, x13, x14, x15);
#define OUT(b, lo, hi)                                                        \
	do {                                                                  \
		if (io != NULL) {                                             \
			__m256i *q_ = (__m256i *)(void *)(io + 64 * (b));      \
			_mm256_storeu_si256(q_, _mm256_xor_si256(            \
				_mm256_loadu_si256(q_), lo));                  \
			_mm256_storeu_si256(q_ + 1, _mm256_xor_si256(        \
				_mm256_loadu_si256(q_ + 1), hi));              \
		} else {                                                      \
			__m256i *q_ = (__m256i *)(void *)(ks + 64 * (b));      \
			_mm256_storeu_si256(q_, lo);                          \
			_mm256_storeu_si256(q_ + 1, hi);                      \
		}                                                             \
	} while (0)
	OUT(0, x0, x8);
	OUT(1, x1, x9);
	OUT(2, x2, x10);
	OUT(3, x3, x11);
	OUT(4, x4, x12);
	OUT(5, x5, x13);
	OUT(6, x6, x14);
	OUT(7, x7, x15);
#undef OUT
}

/* ---------------------------------------------------------------------- */
/* The AEAD over pieces                                                    */

/* The kernel's state behind the stream driver (simd_kernel.h). */
struct cc20p {
	struct chacha C;
	struct poly P;
};

static void cc_pass(void *k, uint8_t *io, uint8_t *ks, const uint8_t *mac,
		    size_t nmac)
{
	struct cc20p *X = k;

	chacha8_poly(&X->C, io, ks, &X->P, mac, nmac);
}

static void cc_mac_blocks(void *k, const uint8_t *p, size_t nblocks)
{
	poly_blocks(&((struct cc20p *)k)->P, p, 16 * nblocks);
}

static const struct tg_simd_aead_ops cc_ops = {
	.chunk = 512,
	.pass = cc_pass,
	.mac_blocks = cc_mac_blocks,
};

void tg_simd_cc20p(const uint8_t key[32], const uint8_t nonce[12],
		   const uint8_t *aad, size_t aad_len,
		   const struct tg_iov *seg, unsigned nseg, int seal,
		   uint8_t tag[16])
{
	struct cc20p X;
	struct tg_simd_stream S = { .ops = &cc_ops, .k = &X, .seal = seal };
	uint8_t lens[16];

	chacha_init(&X.C, key, nonce, 0);
	/* block 0 is the Poly1305 key; blocks 1-7 start the payload */
	chacha8_poly(&X.C, NULL, S.ks, NULL, NULL, 0);
	poly_init(&X.P, S.ks);
	S.kpos = 64;
	tg_simd_stream_run(&S, aad, aad_len, seg, nseg);
	st64(lens, aad_len);
	st64(lens + 8, S.done);
	tg_simd_stream_mac(&S, lens, 16);
	poly_final(&X.P, tag);
	tg_wipe(&X, sizeof(X));
	tg_wipe(&S, sizeof(S));
}
