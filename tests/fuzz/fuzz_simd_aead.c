/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the simd backend's kernels, ChaCha20-Poly1305
 * (accel/simd_chacha20poly1305.c) and AES-128/256-GCM
 * (accel/simd_aesgcm.c), differential against libcrypto.
 *
 * Input: byte 0 is the AAD length (mod 41) and the suite (byte 0 / 41,
 * mod 3), bytes 1-10 five piece lengths (16 bits each, little-endian)
 * that cut the payload, the rest the AAD and then the payload. The key
 * comes from the input's first bytes, the nonce from its last and its
 * length. Each piece is copied into an allocation of its own size. Sealing must give libcrypto's
 * ciphertext and tag whatever the cuts; opening must give the plaintext
 * and the same tag back. A suite the CPU cannot run is skipped.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "simd.h"

static void ref_seal(const EVP_CIPHER *cipher, const uint8_t key[32],
		     const uint8_t nonce[12],
		     const uint8_t *aad, int aad_len, const uint8_t *in,
		     int len, uint8_t *out, uint8_t tag[16])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t fin[16];
	int outl;

	if (c == NULL ||
	    EVP_EncryptInit_ex(c, cipher, NULL, key, nonce) != 1 ||
	    (aad_len > 0 && EVP_EncryptUpdate(c, NULL, &outl, aad, aad_len) != 1) ||
	    (len > 0 && EVP_EncryptUpdate(c, out, &outl, in, len) != 1) ||
	    EVP_EncryptFinal_ex(c, fin, &outl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, tag) != 1)
		abort();
	EVP_CIPHER_CTX_free(c);
}

static void run(int suite, struct tg_simd_gcm_key *K, const uint8_t *key,
		const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
		const struct tg_iov *seg, unsigned nseg, int seal,
		uint8_t tag[16])
{
	if (suite == 0)
		tg_simd_cc20p(key, nonce, aad, aad_len, seg, nseg, seal, tag);
	else
		tg_simd_gcm(K, nonce, aad, aad_len, seg, nseg, seal, tag);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int cpu_chacha = -1, cpu_gcm;
	static struct tg_simd_gcm_key *K;
	uint8_t key[32] = { 0 }, nonce[12] = { 0 }, tag[16], tag_ref[16];
	struct tg_iov seg[6];
	unsigned nseg = 0;
	size_t aad_len, len, off = 0;
	int suite;
	uint8_t *io, *ref;

	if (cpu_chacha < 0) {
		cpu_chacha = tg_simd_cpu_chacha();
		cpu_gcm = tg_simd_cpu_gcm();
		K = tg_simd_gcm_key_new();
		if (K == NULL)
			abort();
	}
	if (size < 11)
		return 0;
	suite = (data[0] / 41) % 3; /* chacha20poly1305, aes128gcm, aes256gcm */
	if ((suite == 0 && !cpu_chacha) || (suite != 0 && !cpu_gcm))
		return 0;
	memcpy(key, data, size < sizeof(key) ? size : sizeof(key));
	memcpy(nonce, data + size - 11, 11); /* size >= 11 */
	nonce[11] = (uint8_t)size;
	aad_len = data[0] % 41;
	if (size - 11 < aad_len)
		return 0;
	len = size - 11 - aad_len;
	if (len > 20000)
		return 0;
	if (suite != 0)
		tg_simd_gcm_init(K, key, suite == 1 ? 16 : 32);
	io = malloc(len ? len : 1);
	ref = malloc(len ? len : 1);
	if (io == NULL || ref == NULL)
		abort();
	memcpy(io, data + 11 + aad_len, len);
	ref_seal(suite == 0 ? EVP_chacha20_poly1305()
			    : suite == 1 ? EVP_aes_128_gcm() : EVP_aes_256_gcm(),
		 key, nonce, data + 11, (int)aad_len, io, (int)len, ref, tag_ref);
	/* the pieces, each in a block of exactly its size: ASan sees any
	 * read or write past one, and no two are adjacent */
	for (unsigned i = 0; i < 5 && off < len; i++) {
		size_t k = (size_t)(data[1 + 2 * i] | data[2 + 2 * i] << 8) %
			   (len - off + 1);

		seg[nseg++] = (struct tg_iov){ io + off, (uint32_t)k };
		off += k;
	}
	seg[nseg++] = (struct tg_iov){ io + off, (uint32_t)(len - off) };
	for (unsigned i = 0; i < nseg; i++) {
		uint8_t *q = malloc(seg[i].n ? seg[i].n : 1);

		if (q == NULL)
			abort();
		memcpy(q, seg[i].p, seg[i].n);
		seg[i].p = q;
	}
	run(suite, K, key, nonce, data + 11, aad_len, seg, nseg, 1, tag);
	off = 0;
	for (unsigned i = 0; i < nseg; off += seg[i].n, i++)
		if (memcmp(seg[i].p, ref + off, seg[i].n) != 0)
			abort();
	if (memcmp(tag, tag_ref, 16) != 0)
		abort();
	run(suite, K, key, nonce, data + 11, aad_len, seg, nseg, 0, tag);
	off = 0;
	for (unsigned i = 0; i < nseg; off += seg[i].n, i++) {
		if (memcmp(seg[i].p, io + off, seg[i].n) != 0)
			abort();
		free(seg[i].p);
	}
	if (memcmp(tag, tag_ref, 16) != 0)
		abort();
	free(io);
	free(ref);
	return 0;
}
