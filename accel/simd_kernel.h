/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file simd_kernel.h
 * Helpers shared by the simd backend's kernels; only for files built with
 * -mavx2 (simd_*.c), never for accel_simd.c.
 */
#ifndef TG_ACCEL_SIMD_KERNEL_H
#define TG_ACCEL_SIMD_KERNEL_H

#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "backend.h"

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

/*
 * The streaming driver both AEAD kernels share: payload in pieces of any
 * length, a key stream cut in passes of ops->chunk bytes, a MAC of 16-byte
 * blocks (the driver buffers a partial one and pads it). A pass computes
 * one chunk of key stream (XORed into the payload, or saved in ks for the
 * bytes of a piece's tail) while the MAC absorbs whole blocks of
 * ciphertext: when sealing, the ciphertext of the pass before, held back
 * as "pending" (it exists only once encrypted); when opening, the same
 * chunk, read before it is decrypted in place.
 */
struct tg_simd_aead_ops {
	unsigned chunk; /* bytes per pass: a multiple of 64, at most 512 */
	/* One pass: key stream for a chunk, XORed into io, or stored at ks
	 * when io is NULL; the MAC absorbs the nmac whole blocks at mac
	 * meanwhile. */
	void (*pass)(void *k, uint8_t *io, uint8_t *ks, const uint8_t *mac,
		     size_t nmac);
	/* The MAC absorbs whole blocks. */
	void (*mac_blocks)(void *k, const uint8_t *p, size_t nblocks);
};

struct tg_simd_stream {
	const struct tg_simd_aead_ops *ops;
	void *k;          /* the kernel's state */
	uint8_t ks[512];  /* key stream not used yet: ks[kpos..ops->chunk) */
	unsigned kpos;
	int seal;
	uint64_t done;    /* payload bytes processed */
	/* sealing: whole blocks of ciphertext the MAC has still to absorb,
	 * in order, before anything else */
	const uint8_t *pend;
	size_t npend;     /* bytes, a multiple of 16 */
	uint8_t mbuf[16]; /* MAC input of a partial block: mbuf[0..mn) */
	unsigned mn;
};

/* The pending ciphertext into the MAC now. */
static inline __attribute__((always_inline)) void
tg_simd_stream_flush(struct tg_simd_stream *S)
{
	if (S->npend > 0)
		S->ops->mac_blocks(S->k, S->pend, S->npend / 16);
	S->npend = 0;
}

/* Any bytes into the MAC now, in order (after what is pending). */
static inline __attribute__((always_inline)) void
tg_simd_stream_mac(struct tg_simd_stream *S, const uint8_t *p, size_t n)
{
	tg_simd_stream_flush(S);
	if (S->mn > 0) {
		size_t c = 16 - S->mn < n ? 16 - S->mn : n;

		memcpy(S->mbuf + S->mn, p, c);
		S->mn += (unsigned)c;
		p += c;
		n -= c;
		if (S->mn < 16)
			return;
		S->ops->mac_blocks(S->k, S->mbuf, 1);
		S->mn = 0;
	}
	if (n >= 16)
		S->ops->mac_blocks(S->k, p, n / 16);
	p += n & ~(size_t)15;
	n &= 15;
	if (n > 0) {
		memcpy(S->mbuf, p, n);
		S->mn = (unsigned)n;
	}
}

/* RFC 8439 §2.8, SP 800-38D §7.1: zeros to the end of the MAC's block. */
static inline __attribute__((always_inline)) void
tg_simd_stream_mac_pad(struct tg_simd_stream *S)
{
	tg_simd_stream_flush(S);
	if (S->mn > 0) {
		memset(S->mbuf + S->mn, 0, 16 - S->mn);
		S->ops->mac_blocks(S->k, S->mbuf, 1);
		S->mn = 0;
	}
}

/* Sealing: ciphertext for the MAC, held back where it can be. */
static inline __attribute__((always_inline)) void
tg_simd_stream_mac_seal(struct tg_simd_stream *S, const uint8_t *p, size_t n)
{
	size_t whole = n & ~(size_t)15;

	if (S->mn == 0 && whole > 0 &&
	    (S->npend == 0 || S->pend + S->npend == p)) {
		if (S->npend == 0)
			S->pend = p;
		S->npend += whole;
		p += whole;
		n -= whole;
	}
	if (n > 0)
		tg_simd_stream_mac(S, p, n);
}

/* Bytes from the saved key stream (ks must have them). */
static inline __attribute__((always_inline)) void
tg_simd_stream_bytes(struct tg_simd_stream *S, uint8_t *p, size_t n)
{
	if (S->seal) {
		tg_simd_xor(p, S->ks + S->kpos, n);
		tg_simd_stream_mac_seal(S, p, n);
	} else {
		tg_simd_stream_mac(S, p, n);
		tg_simd_xor(p, S->ks + S->kpos, n);
	}
	S->kpos += (unsigned)n;
	S->done += n;
}

/* One piece of payload, in place. */
static inline __attribute__((always_inline)) void
tg_simd_stream_piece(struct tg_simd_stream *S, uint8_t *p, size_t n)
{
	const struct tg_simd_aead_ops *o = S->ops;

	/* the saved key stream first */
	if (S->kpos < o->chunk) {
		size_t k = o->chunk - S->kpos < n ? o->chunk - S->kpos : n;

		tg_simd_stream_bytes(S, p, k);
		p += k;
		n -= k;
	}
	/* Whole passes. The key stream is used up here, so the MAC holds no
	 * partial block (passes start on block boundaries). */
	for (; n >= o->chunk; p += o->chunk, n -= o->chunk) {
		if (S->seal) {
			o->pass(S->k, p, NULL, S->pend, S->npend / 16);
			S->pend = p;
			S->npend = o->chunk;
		} else {
			o->pass(S->k, p, NULL, p, o->chunk / 16);
		}
		S->done += o->chunk;
	}
	if (n == 0)
		return;
	/* The tail's key stream (what is left over serves the next piece).
	 * Sealing absorbs the pending ciphertext meanwhile, opening the
	 * tail's whole blocks, still ciphertext then. */
	if (S->seal) {
		o->pass(S->k, NULL, S->ks, S->pend, S->npend / 16);
		S->npend = 0;
		S->kpos = 0;
	} else {
		size_t whole = n & ~(size_t)15;

		o->pass(S->k, NULL, S->ks, p, whole / 16);
		tg_simd_xor(p, S->ks, whole);
		S->kpos = (unsigned)whole;
		S->done += whole;
		p += whole;
		n -= whole;
	}
	if (n > 0)
		tg_simd_stream_bytes(S, p, n);
}

/*
 * The AEAD's MAC input up to its length block, and the payload in place:
 * the AAD, zero-padded, then each piece, the ciphertext zero-padded.
 */
static inline __attribute__((always_inline)) void
tg_simd_stream_run(struct tg_simd_stream *S, const uint8_t *aad,
		   size_t aad_len, const struct tg_iov *seg, unsigned nseg)
{
	tg_simd_stream_mac(S, aad, aad_len);
	tg_simd_stream_mac_pad(S);
	for (unsigned i = 0; i < nseg; i++)
		tg_simd_stream_piece(S, seg[i].p, seg[i].n);
	tg_simd_stream_mac_pad(S);
}

#endif
