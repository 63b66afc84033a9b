/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_ticket.h
 * Stateless session resumption: RFC 5077 session tickets.
 *
 * Two ticket formats; the key decides which one a ticket uses:
 *
 * - **CBC** (RFC 5077 §4 recommended construction), exactly:
 *   @code
 *   struct {
 *       opaque key_name[16];
 *       opaque iv[16];
 *       opaque encrypted_state<0..2^16-1>;   // AES-256-CBC, PKCS#7 padded
 *       opaque mac[32];                      // HMAC-SHA256
 *   } ticket;
 *   @endcode
 *   The MAC covers key_name, iv, the 2-byte length of encrypted_state and
 *   encrypted_state, i.e. every byte before it; it is checked (constant
 *   time) before anything is decrypted. Note: OpenSSL's and nginx's
 *   tickets omit the 2-byte length, so tickets are not interchangeable
 *   with theirs (the key *files* are).
 * - **GCM**: key_name[16] || nonce[12] || ciphertext || tag[16] with
 *   AES-256-GCM and key_name as the additional authenticated data. Random
 *   nonces: rotate a key well before 2^32 tickets.
 *
 * The plaintext is the serialized ::tg_sess_state:
 * @code
 * uint8  version = 1;
 * uint16 cipher_suite;
 * opaque master_secret[48];
 * uint8  flags;              // bit 0: EMS, bit 1: peer verified; others 0
 * uint64 created;            // seconds
 * uint32 age_add;            // version 3 (flags bit 2, TLS 1.3) only
 * uint64 issued;             // idem: seconds
 * opaque sni<0..255>;
 * opaque alpn<0..255>;
 * @endcode
 * Every ticket that is malformed, truncated, tampered with, made with an
 * unknown key, or older than the lifetime is simply "not resumable"
 * (TG_TICKET_INVALID): the server falls back to a full handshake.
 *
 * **Key files** (same layout as nginx's ssl_session_ticket_key for 80
 * bytes), format chosen by the file size:
 * - 80 bytes: key_name[16] || hmac_key[32] || aes_key[32] -> CBC format;
 * - 48 bytes: key_name[16] || aes_key[32] -> GCM format. (nginx reads a
 *   48-byte file as AES-128-CBC; ours is AES-256-GCM.)
 * Make one with `openssl rand 80 > ticket.key`.
 *
 * **Key sets** are immutable once built and shared read-only by every
 * thread: the first key encrypts, all keys decrypt (looked up by
 * key_name). To rotate, build a new set with the new key first and the
 * previous ones after it, publish it, and drop the reference to the old
 * set (tg_ticket_keys_ref()/tg_ticket_keys_unref() are atomic). A ticket
 * opened with a key other than the first returns TG_TICKET_RENEW: the
 * server resumes and sends a fresh NewSessionTicket. Without key files,
 * tg_ticket_keys_random() makes a per-process key (GCM recommended) and
 * tg_ticket_keys_rotate() derives the next set from it.
 */
#ifndef TG_TICKET_H
#define TG_TICKET_H

#include <stddef.h>
#include <stdint.h>

#include "tg_result.h"
#include "tg_sesscache.h"

/** Key name length (RFC 5077 §4). */
#define TG_TICKET_KEY_NAME_LEN 16
/** Size of a CBC key file: name, HMAC-SHA256 key, AES-256 key. */
#define TG_TICKET_KEYFILE_CBC 80
/** Size of a GCM key file: name, AES-256 key. */
#define TG_TICKET_KEYFILE_GCM 48
/** Most keys in one set. */
#define TG_TICKET_MAX_KEYS 16
/** Default ticket lifetime: 5 hours. */
#define TG_TICKET_LIFETIME_DEFAULT (5 * 3600)
/** Serialized state, largest. */
#define TG_TICKET_STATE_MAX                                                    \
	(1 + 2 + TG_TLS_MASTER_SECRET_LEN + 1 + 8 + 8 + 4 + 8 + 1 +            \
	 TG_SESS_SNI_MAX +                                                     \
	 1 + TG_SESS_ALPN_MAX)
/** Largest ticket either format produces (size a buffer with it). */
#define TG_TICKET_MAX_LEN                                                      \
	(TG_TICKET_KEY_NAME_LEN + 16 + 2 + TG_TICKET_STATE_MAX + 16 + 32)

/** Ticket format of a key. */
enum tg_ticket_fmt {
	TG_TICKET_FMT_CBC = 1, /**< RFC 5077 §4: AES-256-CBC + HMAC-SHA256 */
	TG_TICKET_FMT_GCM = 2, /**< AES-256-GCM, key_name as AAD */
};

/** Outcome of tg_ticket_open(). */
enum tg_ticket_status {
	TG_TICKET_INVALID = 0, /**< not resumable: do a full handshake */
	TG_TICKET_OK = 1,      /**< resumable, made with the current key */
	TG_TICKET_RENEW = 2,   /**< resumable, but issue a fresh ticket */
};

/** Key set options. */
struct tg_ticket_cfg {
	uint32_t lifetime_s; /**< 0: TG_TICKET_LIFETIME_DEFAULT */
	tg_clock_fn clock;   /**< NULL: tg_clock_realtime() */
	void *clock_arg;     /**< passed to @c clock */
};

struct tg_ticket_keys;

/**
 * Build a key set from key files; the first file's key encrypts, the
 * others only decrypt. Files are read whole and must be exactly 48 or 80
 * bytes (see the file comment); each failure is logged with the path.
 *
 * @param paths  file names
 * @param n      1..TG_TICKET_MAX_KEYS
 * @param cfg    options (NULL: defaults)
 * @param out    receives the set (one reference)
 * @return TG_E_IO (cannot read), TG_E_INVAL (wrong size, duplicate
 *         key_name), TG_E_NOMEM, TG_E_CRYPTO.
 */
TG_MUST_CHECK tg_result tg_ticket_keys_load(const char *const *paths, size_t n,
					    const struct tg_ticket_cfg *cfg,
					    struct tg_ticket_keys **out);

/**
 * Build a key set from raw key blobs laid out as the files are.
 *
 * @param blobs blob pointers, the first one encrypts
 * @param lens  their lengths (48 or 80 each)
 * @param n     1..TG_TICKET_MAX_KEYS
 * @param cfg   options (NULL: defaults)
 * @param out   receives the set (one reference)
 * @return TG_E_INVAL, TG_E_NOMEM, TG_E_CRYPTO.
 */
TG_MUST_CHECK tg_result tg_ticket_keys_from_blobs(
	const uint8_t *const *blobs, const size_t *lens, size_t n,
	const struct tg_ticket_cfg *cfg, struct tg_ticket_keys **out);

/**
 * Build a key set of one random key (per process, when no key file is
 * configured: tickets do not survive a restart nor work across hosts).
 *
 * @param fmt format of the key
 * @param cfg options (NULL: defaults)
 * @param out receives the set (one reference)
 * @return TG_E_CRYPTO when the RNG fails, TG_E_INVAL, TG_E_NOMEM.
 */
TG_MUST_CHECK tg_result tg_ticket_keys_random(enum tg_ticket_fmt fmt,
					      const struct tg_ticket_cfg *cfg,
					      struct tg_ticket_keys **out);

/**
 * Rotate per-process random keys: a new set whose current key is a fresh
 * random one (format of @p old's current key) and whose decrypt-only keys
 * are @p old's keys, newest first, keeping at most @p keep_old of them
 * (and at most TG_TICKET_MAX_KEYS - 1). Lifetime and clock are @p old's.
 * Call it every lifetime or so from a control-plane timer, publish the
 * result and unref @p old.
 *
 * @param old      current set (not modified)
 * @param keep_old how many old keys stay usable for decryption
 * @param out      receives the new set (one reference)
 * @return TG_E_CRYPTO when the RNG fails, TG_E_INVAL, TG_E_NOMEM.
 */
TG_MUST_CHECK tg_result tg_ticket_keys_rotate(const struct tg_ticket_keys *old,
					      size_t keep_old,
					      struct tg_ticket_keys **out);

/**
 * Take one more reference to a key set.
 *
 * @param ks key set
 * @return @p ks
 */
struct tg_ticket_keys *tg_ticket_keys_ref(struct tg_ticket_keys *ks);

/**
 * Drop one reference; the last one wipes the keys and frees the set.
 *
 * @param ks key set (NULL is a no-op)
 */
void tg_ticket_keys_unref(struct tg_ticket_keys *ks);

/**
 * Lifetime of tickets from this set, in seconds: the value for
 * NewSessionTicket.ticket_lifetime_hint.
 *
 * @param ks key set
 * @return seconds
 */
uint32_t tg_ticket_keys_lifetime(const struct tg_ticket_keys *ks);

/**
 * Format of the current (encrypting) key.
 *
 * @param ks key set
 * @return its format
 */
enum tg_ticket_fmt tg_ticket_keys_fmt(const struct tg_ticket_keys *ks);

/**
 * Make a ticket for @p st with the current key. A @c created of 0 is
 * stamped with "now"; a non-zero one (a resumed session's original
 * creation time) is kept, so renewing never extends a session's life.
 *
 * @param ks      key set
 * @param st      state to seal
 * @param out     output buffer (TG_TICKET_MAX_LEN always suffices)
 * @param cap     its size
 * @param out_len receives the ticket length
 * @return TG_E_INVAL (bad state), TG_E_NOSPACE, TG_E_CRYPTO.
 */
TG_MUST_CHECK tg_result tg_ticket_seal(const struct tg_ticket_keys *ks,
				       const struct tg_sess_state *st,
				       uint8_t *out, size_t cap,
				       size_t *out_len);

/**
 * The key set's clock (seconds): what tg_ticket_seal() stamps and
 * tg_ticket_open() checks the lifetime with; a TLS 1.3 server measures
 * a ticket's age with it (RFC 8446 §4.6.1).
 * @param ks key set
 * @return seconds
 */
uint64_t tg_ticket_keys_now(const struct tg_ticket_keys *ks);

/**
 * Open a ticket received in a ClientHello SessionTicket extension.
 *
 * @param ks     key set
 * @param ticket ticket bytes (any bytes, any length)
 * @param len    their number
 * @param out    receives the state on success; wiped otherwise
 * @return TG_TICKET_OK, TG_TICKET_RENEW (old key: resume and issue a new
 *         ticket) or TG_TICKET_INVALID (full handshake).
 */
enum tg_ticket_status tg_ticket_open(const struct tg_ticket_keys *ks,
				     const uint8_t *ticket, size_t len,
				     struct tg_sess_state *out);

/**
 * Serialize a state (the ticket plaintext; exposed for tests and fuzzing).
 *
 * @param st      state
 * @param out     buffer (TG_TICKET_STATE_MAX suffices)
 * @param cap     its size
 * @param out_len receives the length
 * @return TG_E_INVAL, TG_E_NOSPACE.
 */
TG_MUST_CHECK tg_result tg_ticket_state_encode(const struct tg_sess_state *st,
					       uint8_t *out, size_t cap,
					       size_t *out_len);

/**
 * Parse a serialized state strictly (version 1, no trailing bytes).
 *
 * @param in  bytes
 * @param len their number
 * @param out receives the state; wiped on failure
 * @return TG_E_DECODE on anything malformed.
 */
TG_MUST_CHECK tg_result tg_ticket_state_decode(const uint8_t *in, size_t len,
					       struct tg_sess_state *out);

#endif
