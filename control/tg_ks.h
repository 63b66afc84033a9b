/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_ks.h
 * The TLS 1.3 key schedule (RFC 8446 §7.1), one module:
 * HKDF-Extract and HKDF-Expand (RFC 5869), HKDF-Expand-Label and
 * Derive-Secret, the early, handshake and master secrets, the traffic
 * secrets, traffic keys and IVs (§7.3) exported as struct tg_keys,
 * Finished keys and verify_data (§4.4.4), PSK binders (§4.2.11.2), the
 * resumption master secret and ticket PSKs (§4.6.1), the next
 * application traffic secret of a KeyUpdate (§7.2), and the synthetic
 * message_hash of a HelloRetryRequest transcript (§4.4.1).
 *
 * All of it is HMAC with the suite's hash, tg_hmac() (control/prf.c):
 * SHA-256/384 state on the stack, no allocation, fetch or EVP call per
 * HMAC. Known answers: the RFC 8448 traces (tests/unit/test_ks.c).
 *
 *                  0
 *                  |
 *    PSK ->  HKDF-Extract = Early Secret --> binder_key, c e traffic
 *                  |
 *            Derive-Secret(., "derived", "")
 *                  |
 *  (EC)DHE -> HKDF-Extract = Handshake Secret --> c/s hs traffic
 *                  |
 *            Derive-Secret(., "derived", "")
 *                  |
 *       0 -> HKDF-Extract = Master Secret --> c/s ap traffic,
 *                                             exp master, res master
 *
 * Every intermediate secret is wiped before a function returns; the
 * outputs (struct tg_ks, traffic secrets, struct tg_keys) are the
 * caller's to wipe (tg_ks_wipe()).
 */
#ifndef TG_KS_H
#define TG_KS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tg_accel.h"
#include "tg_result.h"
#include "tg_suite.h"

/** Largest hash of a TLS 1.3 suite (SHA-384). */
#define TG_KS_MAX 48

/** Longest label tg_ks_expand_label() takes (RFC 8446 §7.1: "tls13 "
 *  plus the label is opaque<7..255>). */
#define TG_KS_LABEL_MAX 249

/** The secrets of one connection's schedule (RFC 8446 §7.1). */
struct tg_ks {
	uint8_t hash;                   /**< ::tg_hash of the suite */
	uint8_t hlen;                   /**< its length (32 or 48) */
	uint8_t early[TG_KS_MAX];       /**< Early Secret */
	uint8_t handshake[TG_KS_MAX];   /**< Handshake Secret */
	uint8_t master[TG_KS_MAX];      /**< Master Secret */
	uint8_t c_hs[TG_KS_MAX];        /**< client_handshake_traffic_secret */
	uint8_t s_hs[TG_KS_MAX];        /**< server_handshake_traffic_secret */
	uint8_t c_ap[TG_KS_MAX];        /**< client_application_traffic_secret_0 */
	uint8_t s_ap[TG_KS_MAX];        /**< server_application_traffic_secret_0 */
	uint8_t exporter[TG_KS_MAX];    /**< exporter_master_secret */
	uint8_t resumption[TG_KS_MAX];  /**< resumption_master_secret */
};

/**
 * HKDF-Extract(salt, IKM) = HMAC-Hash(salt, IKM) (RFC 5869 §2.2). An
 * empty @p salt is a string of hash-length zeros (the same HMAC).
 * @param h       the hash
 * @param salt    salt (may be NULL when @p salt_len is 0)
 * @param salt_len its length
 * @param ikm     input keying material (may be NULL when @p ikm_len is 0)
 * @param ikm_len its length
 * @param prk     out: tg_hash_len(h) bytes
 * @return TG_E_INVAL, TG_E_CRYPTO
 */
TG_MUST_CHECK tg_result tg_ks_extract(enum tg_hash h, const uint8_t *salt,
				      size_t salt_len, const uint8_t *ikm,
				      size_t ikm_len, uint8_t *prk);

/**
 * HKDF-Expand(PRK, info, L) (RFC 5869 §2.3).
 * @param h        the hash
 * @param prk      the pseudorandom key (tg_hash_len(h) bytes)
 * @param info     context (may be NULL when @p info_len is 0)
 * @param info_len its length
 * @param out      out: @p out_len bytes
 * @param out_len  1 .. 255 * tg_hash_len(h)
 * @return TG_E_INVAL, TG_E_CRYPTO
 */
TG_MUST_CHECK tg_result tg_ks_expand(enum tg_hash h, const uint8_t *prk,
				     const uint8_t *info, size_t info_len,
				     uint8_t *out, size_t out_len);

/**
 * HKDF-Expand-Label(Secret, Label, Context, Length) (RFC 8446 §7.1):
 * HKDF-Expand with the HkdfLabel { uint16 length; opaque
 * label<7..255> = "tls13 " + Label; opaque context<0..255> }.
 * @param h       the hash
 * @param secret  tg_hash_len(h) bytes
 * @param label   the label without "tls13 " (1..#TG_KS_LABEL_MAX bytes)
 * @param ctx     context (may be NULL when @p ctx_len is 0)
 * @param ctx_len 0..255
 * @param out     out: @p out_len bytes
 * @param out_len 1..65535 (and what HKDF-Expand allows)
 */
TG_MUST_CHECK tg_result tg_ks_expand_label(enum tg_hash h, const uint8_t *secret,
					   const char *label, const uint8_t *ctx,
					   size_t ctx_len, uint8_t *out,
					   size_t out_len);

/**
 * Derive-Secret(Secret, Label, Messages) = HKDF-Expand-Label(Secret,
 * Label, Transcript-Hash(Messages), Hash.length) (RFC 8446 §7.1), given
 * the transcript hash @p th (tg_hash_len(h) bytes; NULL: the hash of
 * the empty string, as "derived" uses).
 */
TG_MUST_CHECK tg_result tg_ks_derive_secret(enum tg_hash h, const uint8_t *secret,
					    const char *label, const uint8_t *th,
					    uint8_t *out);

/**
 * Start a schedule: Early Secret = HKDF-Extract(0, PSK), with a string
 * of zeros when there is no PSK (RFC 8446 §7.1).
 * @param ks      the schedule (all of it is overwritten)
 * @param h       the suite's hash (SHA-256 or SHA-384)
 * @param psk     the PSK, or NULL
 * @param psk_len its length (0 without one)
 */
TG_MUST_CHECK tg_result tg_ks_init(struct tg_ks *ks, enum tg_hash h,
				   const uint8_t *psk, size_t psk_len);

/**
 * The binder key (RFC 8446 §7.1): Derive-Secret(Early Secret,
 * "res binder" or "ext binder", "").
 * @param ks        a schedule past tg_ks_init()
 * @param external  true for an external PSK ("ext binder")
 * @param out       out: hlen bytes
 */
TG_MUST_CHECK tg_result tg_ks_binder_key(const struct tg_ks *ks, bool external,
					 uint8_t *out);

/**
 * client_early_traffic_secret = Derive-Secret(Early Secret,
 * "c e traffic", ClientHello) (RFC 8446 §7.1), from the ClientHello's
 * transcript hash @p th_ch. For tests and for skipping 0-RTT: we never
 * accept early data.
 */
TG_MUST_CHECK tg_result tg_ks_early_traffic(const struct tg_ks *ks,
					    const uint8_t *th_ch, uint8_t *out);

/**
 * The handshake secrets: Handshake Secret = HKDF-Extract(
 * Derive-Secret(Early Secret, "derived", ""), (EC)DHE), then
 * c_hs / s_hs = Derive-Secret(., "c hs traffic" / "s hs traffic",
 * ClientHello...ServerHello) (RFC 8446 §7.1).
 * @param ks      a schedule past tg_ks_init()
 * @param dhe     the (EC)DHE shared secret (NULL, 0 for psk_ke: zeros)
 * @param dhe_len its length
 * @param th_sh   transcript hash through the ServerHello
 */
TG_MUST_CHECK tg_result tg_ks_handshake(struct tg_ks *ks, const uint8_t *dhe,
					size_t dhe_len, const uint8_t *th_sh);

/**
 * The master secrets: Master Secret = HKDF-Extract(Derive-Secret(
 * Handshake Secret, "derived", ""), 0), then c_ap and s_ap from the
 * transcript through the server Finished (RFC 8446 §7.1).
 * The Early and Handshake Secrets are wiped: nothing needs them later.
 */
TG_MUST_CHECK tg_result tg_ks_master(struct tg_ks *ks, const uint8_t *th_sf);

/**
 * exporter_master_secret = Derive-Secret(Master Secret, "exp master",
 * ClientHello...server Finished) (RFC 8446 §7.1) into ks->exporter, for
 * whoever asks (tlsgate exports no keying material: not on the
 * handshake's path). Needs the Master Secret: before tg_ks_resumption.
 *
 * @param ks    schedule after tg_ks_master
 * @param th_sf transcript hash through the server Finished
 */
TG_MUST_CHECK tg_result tg_ks_exporter(struct tg_ks *ks, const uint8_t *th_sf);

/**
 * resumption_master_secret = Derive-Secret(Master Secret, "res master",
 * ClientHello...client Finished) (RFC 8446 §7.1). The Master Secret is
 * wiped afterwards.
 */
TG_MUST_CHECK tg_result tg_ks_resumption(struct tg_ks *ks, const uint8_t *th_cf);

/**
 * The PSK of a ticket (RFC 8446 §4.6.1): HKDF-Expand-Label(
 * resumption_master_secret, "resumption", ticket_nonce, Hash.length).
 */
TG_MUST_CHECK tg_result tg_ks_ticket_psk(enum tg_hash h, const uint8_t *rms,
					 const uint8_t *nonce, size_t nonce_len,
					 uint8_t *out);

/**
 * finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length)
 * and verify_data = HMAC(finished_key, @p th) (RFC 8446 §4.4.4; the same
 * for a PSK binder, §4.2.11.2, with the binder key as BaseKey).
 * @param h     the hash
 * @param base  the base key: a handshake traffic secret, or a binder key
 * @param th    the transcript hash
 * @param out   out: tg_hash_len(h) bytes of verify_data
 */
TG_MUST_CHECK tg_result tg_ks_finished(enum tg_hash h, const uint8_t *base,
				       const uint8_t *th, uint8_t *out);

/**
 * Check a received Finished or binder: tg_ks_finished() compared in
 * constant time (CRYPTO_memcmp).
 * @return TG_E_DECODE when @p len is not the hash length, else
 *         TG_E_DECRYPT_ERROR on mismatch (RFC 8446 §4.4.4, §4.2.11.2)
 */
TG_MUST_CHECK tg_result tg_ks_finished_check(enum tg_hash h, const uint8_t *base,
					     const uint8_t *th,
					     const uint8_t *received, size_t len);

/**
 * The traffic key and IV of @p secret for AEAD @p suite (RFC 8446 §7.3:
 * "key" and "iv" labels, iv_length 12), as a struct tg_keys: version
 * TG_TLS13, direction @p dir, first sequence number @p seq.
 */
TG_MUST_CHECK tg_result tg_ks_traffic_keys(enum tg_hash h, enum tg_suite suite,
					   const uint8_t *secret, enum tg_dir dir,
					   uint64_t seq, struct tg_keys *out);

/**
 * The next application traffic secret (RFC 8446 §7.2):
 * application_traffic_secret_N+1 = HKDF-Expand-Label(
 * application_traffic_secret_N, "traffic upd", "", Hash.length),
 * in place.
 */
TG_MUST_CHECK tg_result tg_ks_update(enum tg_hash h, uint8_t *secret);

/**
 * The synthetic handshake message that replaces ClientHello1 in the
 * transcript after a HelloRetryRequest (RFC 8446 §4.4.1):
 * message_hash(254) || 00 00 || Hash.length || Hash(ClientHello1).
 * @param h      the hash
 * @param ch1    ClientHello1, header included
 * @param len    its length
 * @param out    out: 4 + tg_hash_len(h) bytes
 * @param out_len out: their count
 */
TG_MUST_CHECK tg_result tg_ks_message_hash(enum tg_hash h, const uint8_t *ch1,
					   size_t len, uint8_t *out,
					   size_t *out_len);

/** Wipe every secret of @p ks. */
void tg_ks_wipe(struct tg_ks *ks);

#endif
