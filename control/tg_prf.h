/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_prf.h
 * TLS 1.2 key schedule: the PRF (RFC 5246 §5), the master secret
 * (RFC 5246 §8.1) and extended master secret (RFC 7627 §4), the key block
 * (RFC 5246 §6.3) and its export to the record layer (struct tg_keys),
 * Finished verify_data (RFC 5246 §7.4.9), and the running handshake
 * transcript hash.
 *
 * All of it runs on OpenSSL 3.0 libcrypto: the PRF is P_hash over HMAC pad states (prf.c),
 * digests are EVP_MD. Fetched algorithms are cached once per process
 * (pthread_once), so no call fetches by name on the handshake path.
 *
 * Every function wipes its intermediate secrets before returning, on
 * success and on failure. Outputs that are secrets (master secret, key
 * block, struct tg_keys) are the caller's to wipe.
 *
 * Thread-safety: all functions are thread-safe; a struct tg_transcript is
 * used by one thread at a time.
 */
#ifndef TG_PRF_H
#define TG_PRF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "tg_accel.h"
#include "tg_result.h"
#include "tg_suite.h"
#include "tg_tls.h"

/** Which end of the connection we are. */
enum tg_side {
	TG_SIDE_CLIENT = 0,
	TG_SIDE_SERVER = 1,
};

/** Largest PRF output one call may ask for (key blocks need <= 88). */
#define TG_PRF_MAX_OUT 1024

/**
 * The cached EVP_MD of @p h (fetched once; never free it), or NULL when
 * @p h is invalid or the default provider lacks it.
 */
const EVP_MD *tg_hash_md(enum tg_hash h);

/**
 * Compute a digest of @p len bytes at @p data with @p h into @p out
 * (tg_hash_len(h) bytes).
 */
TG_MUST_CHECK tg_result tg_hash(enum tg_hash h, const void *data, size_t len,
				uint8_t out[TG_HASH_MAX_LEN]);

/**
 * @p n random bytes for public values (hello randoms, session IDs), from
 * a per-thread block of RAND_bytes() output: one DRBG call per 1 KiB
 * instead of one per value. Each byte is handed out once; a fork clears
 * the block in the child. Secrets: tg_rand_secret().
 */
TG_MUST_CHECK tg_result tg_rand_public(void *out, size_t n);

/**
 * @p n random bytes for secrets (ephemeral X25519 private keys), from a
 * per-thread block of RAND_priv_bytes() output (256 bytes: eight keys),
 * handed out and cleared as tg_rand_public() does; a fork clears the
 * block in the child. Saves a DRBG call (and its fork check, a getpid()
 * system call) per key.
 */
TG_MUST_CHECK tg_result tg_rand_secret(void *out, size_t n);

/** One piece of an HMAC message (tg_hmac()). */
struct tg_hmac_seg {
	const void *p; /**< bytes (may be NULL when @c n is 0) */
	size_t n;      /**< their count */
};

/**
 * HMAC (RFC 2104) with hash @p h of the concatenation of @p nseg pieces.
 * SHA-256 and SHA-384 (the TLS 1.3 hashes) run on libcrypto's SHA256_* /
 * SHA384_* state on the stack: no allocation, no fetch, no EVP call; the
 * other hashes on the PRF's per-thread digest contexts. The TLS 1.3 key
 * schedule (tg_ks.h) is built on it.
 * @param h       the hash
 * @param key     the key (any length; may be empty)
 * @param key_len its length
 * @param seg     the message pieces, in order
 * @param nseg    how many (at most 8)
 * @param out     tg_hash_len(h) bytes of MAC
 * @return TG_E_INVAL for bad arguments, TG_E_CRYPTO when libcrypto fails
 */
TG_MUST_CHECK tg_result tg_hmac(enum tg_hash h, const uint8_t *key,
				size_t key_len, const struct tg_hmac_seg *seg,
				size_t nseg, uint8_t out[TG_HASH_MAX_LEN]);

/**
 * TLS 1.2 PRF (RFC 5246 §5):
 * PRF(secret, label, seed) = P_<hash>(secret, label + seed), with
 * seed = @p seed1 || @p seed2 (either may be empty).
 *
 * @param h        the suite's PRF hash (SHA-256 or SHA-384, RFC 5288 §3)
 * @param secret   PRF secret (may be empty)
 * @param label    ASCII label, without its terminating NUL
 * @param out_len  1..TG_PRF_MAX_OUT bytes of output
 * @return TG_E_INVAL for bad arguments, TG_E_CRYPTO when libcrypto fails.
 */
TG_MUST_CHECK tg_result tg_prf(enum tg_hash h, const uint8_t *secret,
			       size_t secret_len, const char *label,
			       const uint8_t *seed1, size_t seed1_len,
			       const uint8_t *seed2, size_t seed2_len,
			       uint8_t *out, size_t out_len);

/**
 * master_secret = PRF(pre_master_secret, "master secret",
 *                     ClientHello.random + ServerHello.random)[0..47]
 * (RFC 5246 §8.1). For sessions that negotiated extended_master_secret
 * use tg_prf_ems() instead.
 */
TG_MUST_CHECK tg_result tg_prf_master_secret(
	enum tg_hash h, const uint8_t *pms, size_t pms_len,
	const uint8_t client_random[TG_TLS_RANDOM_LEN],
	const uint8_t server_random[TG_TLS_RANDOM_LEN],
	uint8_t ms[TG_TLS_MASTER_SECRET_LEN]);

/**
 * Extended master secret (RFC 7627 §4):
 * master_secret = PRF(pre_master_secret, "extended master secret",
 *                     session_hash)[0..47],
 * where session_hash is the transcript hash up to and including the
 * ClientKeyExchange (tg_transcript_peek() right after hashing it).
 */
TG_MUST_CHECK tg_result tg_prf_ems(enum tg_hash h, const uint8_t *pms,
				   size_t pms_len, const uint8_t *session_hash,
				   size_t hash_len,
				   uint8_t ms[TG_TLS_MASTER_SECRET_LEN]);

/**
 * The AEAD part of a TLS 1.2 key block (RFC 5246 §6.3). For the AEAD
 * suites mac_key_length is 0 (RFC 5246 §6.2.3.3), so the block is
 * client_write_key, server_write_key, client_write_IV, server_write_IV.
 */
struct tg_key_block {
	uint8_t key_len;                 /**< enc_key_length: 16 or 32 */
	uint8_t iv_len;                  /**< fixed_iv_length: 4 or 12 */
	uint8_t client_key[32];          /**< client_write_key */
	uint8_t server_key[32];          /**< server_write_key */
	uint8_t client_iv[12];           /**< client_write_IV */
	uint8_t server_iv[12];           /**< server_write_IV */
};

/**
 * key_block = PRF(master_secret, "key expansion",
 *                 server_random + client_random)   (RFC 5246 §6.3)
 * split for suite @p cs: fixed_iv_length 4 for AES-GCM (RFC 5288 §3),
 * 12 for ChaCha20-Poly1305 (RFC 7905 §2). Note the random order: server
 * first, unlike the master secret. The caller wipes @p kb.
 */
TG_MUST_CHECK tg_result tg_prf_key_block(
	const struct tg_cs_info *cs, const uint8_t ms[TG_TLS_MASTER_SECRET_LEN],
	const uint8_t client_random[TG_TLS_RANDOM_LEN],
	const uint8_t server_random[TG_TLS_RANDOM_LEN],
	struct tg_key_block *kb);

/**
 * Fill the two record-layer key sets of @p side from a key block: @p wr
 * (TG_DIR_SEAL: our write keys; the client's keys when we are the client)
 * and @p rd (TG_DIR_OPEN: the peer's write keys), version TG_TLS12, suite
 * cs->suite, starting sequence numbers @p write_seq and @p read_seq
 * (0 after a ChangeCipherSpec, RFC 5246 §6.1). The caller wipes both
 * once the record sessions exist.
 */
TG_MUST_CHECK tg_result tg_prf_export_keys(const struct tg_cs_info *cs,
					   const struct tg_key_block *kb,
					   enum tg_side side,
					   uint64_t write_seq,
					   uint64_t read_seq,
					   struct tg_keys *wr,
					   struct tg_keys *rd);

/**
 * tg_prf_key_block() then tg_prf_export_keys(), wiping the key block in
 * between: master secret in, two struct tg_keys out.
 */
TG_MUST_CHECK tg_result tg_prf_derive_keys(
	const struct tg_cs_info *cs, const uint8_t ms[TG_TLS_MASTER_SECRET_LEN],
	const uint8_t client_random[TG_TLS_RANDOM_LEN],
	const uint8_t server_random[TG_TLS_RANDOM_LEN], enum tg_side side,
	uint64_t write_seq, uint64_t read_seq, struct tg_keys *wr,
	struct tg_keys *rd);

/**
 * Finished verify_data (RFC 5246 §7.4.9):
 * PRF(master_secret, finished_label, Hash(handshake_messages))[0..11],
 * finished_label "client finished" when @p sender is the client,
 * "server finished" otherwise. @p hs_hash is tg_transcript_peek() of all
 * handshake messages before this Finished (HelloRequest excluded).
 */
TG_MUST_CHECK tg_result tg_prf_finished(
	enum tg_hash h, const uint8_t ms[TG_TLS_MASTER_SECRET_LEN],
	enum tg_side sender, const uint8_t *hs_hash, size_t hash_len,
	uint8_t verify_data[TG_TLS_VERIFY_DATA_LEN]);

/**
 * Check a received Finished: compute the expected verify_data for
 * @p sender and compare in constant time.
 * @return TG_E_DECODE when @p len is not 12 (verify_data_length is 12
 *         for all our suites, RFC 5246 §7.4.9), TG_E_DECRYPT_ERROR on
 *         mismatch (RFC 5246 §7.2.2: decrypt_error covers failing to
 *         "validate a Finished message").
 */
TG_MUST_CHECK tg_result tg_prf_finished_check(
	enum tg_hash h, const uint8_t ms[TG_TLS_MASTER_SECRET_LEN],
	enum tg_side sender, const uint8_t *hs_hash, size_t hash_len,
	const uint8_t *received, size_t len);

/** Pass as the hash to tg_transcript_init() while the suite is unknown. */
#define TG_TRANSCRIPT_UNDECIDED (-1)

/**
 * Running hash of the handshake messages (RFC 5246 §7.4.9: all messages
 * from ClientHello up to, not including, the message being computed;
 * each with its 4-byte handshake header, without record headers).
 *
 * The PRF hash is only known once the cipher suite is chosen (after the
 * ServerHello is parsed), but the ClientHello must be hashed before that.
 * Choice: while undecided we feed both SHA-256 and SHA-384 (the ClientHello
 * and ServerHello are a few hundred bytes; hashing them twice costs less
 * than a copy into a growable buffer and has no size limit), and
 * tg_transcript_select() drops the one not needed. Peeking is only
 * allowed once the hash is selected.
 */
struct tg_transcript {
	EVP_MD_CTX *ctx[TG_HASH__COUNT]; /**< running digests (NULL: off) */
	EVP_MD_CTX *tmp;                 /**< scratch for peeks */
	int hash;                        /**< ::tg_hash, or UNDECIDED */
};

/**
 * Start a transcript with hash @p hash, or TG_TRANSCRIPT_UNDECIDED to
 * hash with both until tg_transcript_select(). On failure nothing is left
 * allocated. Free with tg_transcript_free().
 */
TG_MUST_CHECK tg_result tg_transcript_init(struct tg_transcript *t, int hash);

/**
 * Settle the transcript hash to @p h (the negotiated suite's PRF hash)
 * and drop the other. Selecting the hash already selected is a no-op;
 * selecting another one is TG_E_STATE.
 */
TG_MUST_CHECK tg_result tg_transcript_select(struct tg_transcript *t,
					     enum tg_hash h);

/** Append @p len bytes (whole handshake messages, headers included). */
TG_MUST_CHECK tg_result tg_transcript_update(struct tg_transcript *t,
					     const void *data, size_t len);

/**
 * Hash of everything appended so far, without ending the transcript
 * (the running digest is copied, then finalised): for EMS (after
 * ClientKeyExchange), CertificateVerify (RFC 5246 §7.4.8) and both
 * Finished messages. Writes tg_hash_len() bytes to @p out.
 * @return TG_E_STATE while the hash is undecided, TG_E_NOSPACE when
 *         @p cap is too small.
 */
TG_MUST_CHECK tg_result tg_transcript_peek(struct tg_transcript *t,
					   uint8_t *out, size_t cap,
					   size_t *len);

/**
 * Like tg_transcript_peek() but with hash @p h, which must still be
 * running: the selected one, or either while undecided. A client that
 * signs a CertificateVerify with a sigalg whose hash differs from the PRF
 * hash (RFC 5246 §7.4.8 signs the messages themselves, with the sigalg's
 * hash) peeks here before selecting, then signs the digest with
 * tg_sig_sign_digest().
 * @return TG_E_STATE when @p h is no longer running.
 */
TG_MUST_CHECK tg_result tg_transcript_peek_as(struct tg_transcript *t,
					      enum tg_hash h, uint8_t *out,
					      size_t cap, size_t *len);

/** The selected hash (::tg_hash), or TG_TRANSCRIPT_UNDECIDED. */
int tg_transcript_hash(const struct tg_transcript *t);

/** Free the digests. Safe on a zeroed or already freed transcript. */
void tg_transcript_free(struct tg_transcript *t);

#endif
