/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_accel.h
 * Record protection: batched TLS record seal/open across many flows.
 *
 * A session (struct tg_accel_sess) protects one direction of one flow. It
 * is created from a struct tg_keys, which the caller wipes right after.
 * tg_accel_seal_burst() and tg_accel_open_burst() take an array of record
 * descriptors that may mix flows, suites, versions and sizes, and follow
 * the DPDK burst contract: they return how many records succeeded; those
 * come first in the array, the failed ones are moved to the end with
 * struct tg_rec::status saying why. Nothing is freed.
 *
 * The TLS framing (header, explicit nonce, AAD, TLS 1.3 inner type and
 * padding, sequence numbers, length limits) is done here once; the crypto
 * backends (ipsecmb, simd, cryptodev, evp) only run AEAD bursts (accel/backend.h).
 *
 * Protection follows RFC 5288 (TLS 1.2 AES-GCM: explicit nonce = sequence
 * number, AAD = seq||type||version||length), RFC 7905 (TLS 1.2
 * ChaCha20-Poly1305: nonce = IV xor seq) and RFC 8446 §5.2 (TLS 1.3).
 *
 * Threading: a struct tg_accel is shared read-only by all lcores after
 * tg_accel_create(). A session is used by one thread at a time (its
 * lcore); bursts on different lcores run concurrently.
 */
#ifndef TG_ACCEL_H
#define TG_ACCEL_H

#include <stdbool.h>
#include <stdint.h>

#include "tg_cur.h"
#include "tg_result.h"

struct rte_mbuf;

/** Protocol versions (wire values). */
enum tg_version {
	TG_TLS12 = 0x0303, /**< TLS 1.2 (RFC 5246) */
	TG_TLS13 = 0x0304, /**< TLS 1.3 record format (RFC 8446 §5.2) */
};

/** Record protection suites (the AEAD; the handshake hash is not ours). */
enum tg_suite {
	TG_SUITE_AES128GCM = 0,
	TG_SUITE_AES256GCM,
	TG_SUITE_CHACHA20POLY1305,
	TG_SUITE__COUNT
};

/** Direction of a session. */
enum tg_dir {
	TG_DIR_SEAL = 0, /**< we write: encrypt records */
	TG_DIR_OPEN = 1, /**< we read: decrypt records */
};

/** TLS content types (RFC 5246 §6.2.1). */
enum tg_content_type {
	TG_CT_CHANGE_CIPHER_SPEC = 20,
	TG_CT_ALERT = 21,
	TG_CT_HANDSHAKE = 22,
	TG_CT_APPLICATION_DATA = 23,
};

#define TG_REC_HDR_LEN 5              /**< type, version, length */
#define TG_REC_MAX_PLAIN 16384        /**< 2^14 */
#define TG_REC_TAG_LEN 16             /**< every supported AEAD */
#define TG_REC_EXPLICIT_NONCE_LEN 8   /**< TLS 1.2 AES-GCM */
#define TG_REC_TLS13_MAX_PAD 255      /**< RFC 8446 allows 2^14+256 ciphertext */
#define TG_ACCEL_BURST_MAX 64         /**< records processed per internal pass */
#define TG_ACCEL_MAX_SEGS 32          /**< mbuf segments per record */

/**
 * Key material for one direction, modelled on rte_security's TLS record
 * xform. The caller wipes it (tg_wipe) once the session exists.
 */
struct tg_keys {
	uint16_t version;  /**< ::tg_version */
	uint8_t suite;     /**< ::tg_suite */
	uint8_t dir;       /**< ::tg_dir */
	uint8_t key_len;   /**< 16 or 32 */
	uint8_t iv_len;    /**< 4 (TLS 1.2 GCM salt) or 12 */
	uint8_t key[32];   /**< write/read key */
	uint8_t iv[12];    /**< TLS 1.2 GCM: 4-byte salt; others: 12-byte IV */
	uint64_t seq;      /**< sequence number of the first record */
};

/** Why a record failed (struct tg_rec::status). */
enum tg_rec_status {
	TG_REC_OK = 0,
	TG_REC_E_INVAL,      /**< NULL session, bad layout, wrong direction */
	TG_REC_E_NOROOM,     /**< not enough head/tail room for the record */
	TG_REC_E_OVERFLOW,   /**< plaintext > 2^14 (seal) or record length
				  over the limit (open: record_overflow) */
	TG_REC_E_SEQ_WRAP,   /**< sequence number space exhausted */
	TG_REC_E_BAD_MAC,    /**< open failed: bad_record_mac; which check
				  failed is deliberately not said */
	TG_REC_E_UNEXPECTED, /**< TLS 1.3: no content type after padding
				  (unexpected_message, RFC 8446 §5.4) */
	TG_REC_E_BACKEND,    /**< the crypto backend failed */
	TG_REC_E__COUNT
};

struct tg_accel;
struct tg_accel_sess;

/**
 * One record in a burst.
 *
 * Contiguous form (@ref m == NULL):
 *  - seal: plaintext of @ref len bytes at @ref buf + @ref off, where
 *    @ref off >= tg_accel_hdr_len(); the record is written to
 *    buf + off - hdr_len and must fit in @ref cap. On success
 *    @ref rec_off / @ref rec_len give the record.
 *  - open: the record (header included) at buf + @ref rec_off,
 *    @ref rec_len bytes. Decrypted in place; on success @ref off /
 *    @ref len give the plaintext and @ref type its content type.
 *
 * mbuf form (@ref m != NULL, possibly a chain of segments):
 *  - seal: the whole packet data is the plaintext; the header is
 *    prepended (headroom of the first segment) and the tag (and TLS 1.3
 *    content type and padding) appended (tailroom of the last segment).
 *    On success the packet is the record (rec_off = 0, rec_len = pkt_len).
 *  - open: the record is the packet data from @ref rec_off for
 *    @ref rec_len bytes. Decrypted in place; the packet is not trimmed;
 *    @ref off / @ref len locate the plaintext in the packet.
 */
struct tg_rec {
	struct tg_accel_sess *sess; /**< session of the record's flow dir */
	struct rte_mbuf *m;         /**< mbuf chain, or NULL */
	uint8_t *buf;               /**< contiguous buffer when m == NULL */
	uint32_t cap;               /**< capacity of buf */
	uint32_t off;               /**< plaintext offset */
	uint32_t len;               /**< plaintext length */
	uint32_t rec_off;           /**< record offset */
	uint32_t rec_len;           /**< record length, header included */
	uint8_t type;               /**< content type (plaintext side) */
	uint8_t pad;                /**< TLS 1.3 seal: zero padding bytes */
	uint8_t status;             /**< ::tg_rec_status after the burst */
	uint8_t backend;            /**< index of the backend that ran it */
	uint64_t seq;               /**< sequence number used (out) */
	void *udata;                /**< caller's, untouched */
};

/** Engine configuration; zero-initialised means automatic choice. */
struct tg_accel_conf {
	/**
	 * Backends to load, comma separated: "ipsecmb", "simd", "evp",
	 * "cryptodev:<device or vdev name>[+option...]" (e.g.
	 * cryptodev:crypto_aesni_mb+sessions=16384; options use '+' since
	 * ',' separates backends); or "default" for the CPU backends this
	 * build and CPU have (ipsecmb, simd, evp); or "all" / NULL for
	 * those and each crypto device already probed by the EAL.
	 */
	const char *backends;
	/**
	 * Force one backend for every session ("ipsecmb", "simd", "evp",
	 * "cryptodev:..."); NULL or "auto" = calibrate and pick per suite
	 * and record size.
	 */
	const char *force;
	/** Calibration time per (backend, suite, size), split over three
	 *  interleaved rounds; 0 = 30 ms. */
	unsigned calib_ms;
	/** Skip calibration: use the first loaded backend that has a suite. */
	bool no_calibrate;
};

/** Size classes used by calibration (record plaintext length). */
enum tg_size_class {
	TG_SIZE_SMALL = 0, /**< up to 256 bytes */
	TG_SIZE_MEDIUM,    /**< up to 2048 bytes */
	TG_SIZE_LARGE,     /**< larger */
	TG_SIZE__COUNT
};

/**
 * Whether a backend spec names a backend of this build: "ipsecmb" and
 * "simd" where compiled in, "evp", "cryptodev:<name>[+option...]". The
 * list words "default" and "all" are not specs.
 * @param s    the spec (need not be NUL-terminated)
 * @param len  its length
 * @return true when tg_accel_create() would know the name
 */
bool tg_accel_backend_known(const char *s, size_t len);

/**
 * Create the engine: load the backends, calibrate, build the choice table.
 * Logs the choice at info level.
 * @param conf  backends to load, calibration time, forced backend
 * @param out   the engine, on success
 * @return TG_OK, or an error when no backend could be loaded
 */
TG_MUST_CHECK tg_result tg_accel_create(const struct tg_accel_conf *conf,
					struct tg_accel **out);

/**
 * Free the engine; all its sessions must be freed first.
 * @param acc  the engine (NULL is a no-op)
 */
void tg_accel_destroy(struct tg_accel *acc);

/**
 * @param acc  the engine
 * @return the number of loaded backends
 */
unsigned tg_accel_backend_count(const struct tg_accel *acc);

/**
 * @param acc  the engine
 * @param idx  a loaded backend, 0 .. tg_accel_backend_count() - 1
 * @return its name ("ipsecmb", "cryptodev:crypto_openssl", ...)
 */
const char *tg_accel_backend_name(const struct tg_accel *acc, unsigned idx);

/**
 * @param acc   the engine
 * @param name  a backend name as tg_accel_backend_name() gives it
 * @return the index of that loaded backend, or -1
 */
int tg_accel_backend_find(const struct tg_accel *acc, const char *name);

/**
 * @param acc    the engine
 * @param idx    a loaded backend
 * @param suite  an AEAD
 * @return true when backend @p idx implements @p suite
 */
bool tg_accel_backend_has(const struct tg_accel *acc, unsigned idx,
			  enum tg_suite suite);

/**
 * The backend chosen (by calibration or force) for a suite and size.
 * @param acc    the engine
 * @param suite  an AEAD
 * @param size   record plaintext length (its size class decides)
 * @return a backend index, or -1 if no backend implements @p suite
 */
int tg_accel_choice(const struct tg_accel *acc, enum tg_suite suite,
		    uint32_t size);

/**
 * Print the choice table (suite x size class -> backend).
 * @param acc  the engine
 * @param f    a FILE * (void * keeps stdio out of this header)
 */
void tg_accel_print_choice(const struct tg_accel *acc, void *f);

/**
 * Create a session from @p keys on the backends the choice table names
 * for its suite. The caller wipes @p keys afterwards.
 * @param acc   the engine
 * @param keys  version, suite, direction, key, IV, first sequence number
 * @param out   the session, on success
 * @return TG_OK, TG_E_INVAL for keys that do not fit their suite, or the
 *         backend's error
 */
TG_MUST_CHECK tg_result tg_accel_sess_create(struct tg_accel *acc,
					     const struct tg_keys *keys,
					     struct tg_accel_sess **out);

/**
 * Create a session bound to one backend, whatever the choice table says
 * (benchmarks, tests, a forced backend).
 * @param acc      the engine
 * @param keys     as for tg_accel_sess_create()
 * @param backend  a loaded backend's index
 * @param out      the session, on success
 * @return TG_OK, TG_E_UNSUPPORTED if the backend lacks the suite, or as
 *         tg_accel_sess_create()
 */
TG_MUST_CHECK tg_result tg_accel_sess_create_on(struct tg_accel *acc,
						const struct tg_keys *keys,
						unsigned backend,
						struct tg_accel_sess **out);

/**
 * Free a session and wipe its key material.
 * @param sess  the session (NULL is a no-op)
 */
void tg_accel_sess_free(struct tg_accel_sess *sess);

/**
 * @param sess  a session
 * @return the next sequence number it will use
 */
uint64_t tg_accel_sess_seq(const struct tg_accel_sess *sess);

/**
 * Set the next sequence number of a session: for a reader that tried a
 * record that was not meant for this key (a TLS 1.3 server skipping
 * declined early data by trial decryption, RFC 8446 §4.2.10) and gives
 * back the number the failed open took.
 * @param sess  a session
 * @param seq   the next sequence number
 */
void tg_accel_sess_set_seq(struct tg_accel_sess *sess, uint64_t seq);

/**
 * @param sess  a session
 * @return its protocol version (::tg_version)
 */
uint16_t tg_accel_sess_version(const struct tg_accel_sess *sess);

/**
 * @param sess  a session
 * @return the bytes before the plaintext in a sealed record (header and
 *         explicit nonce)
 */
uint32_t tg_accel_hdr_len(const struct tg_accel_sess *sess);

/**
 * @param sess  a session
 * @param pad   TLS 1.3 padding bytes (0 for TLS 1.2)
 * @return the bytes after the plaintext in a sealed record (TLS 1.3
 *         inner type, padding, tag)
 */
uint32_t tg_accel_tail_len(const struct tg_accel_sess *sess, uint8_t pad);

/**
 * tg_accel_hdr_len() by version and suite, before a session exists.
 * @param version  ::TG_TLS12 or ::TG_TLS13
 * @param suite    an AEAD
 * @return the bytes before the plaintext
 */
uint32_t tg_accel_hdr_len_for(uint16_t version, enum tg_suite suite);

/**
 * tg_accel_tail_len() by version and suite, before a session exists.
 * @param version  ::TG_TLS12 or ::TG_TLS13
 * @param suite    an AEAD
 * @param pad      TLS 1.3 padding bytes
 * @return the bytes after the plaintext
 */
uint32_t tg_accel_tail_len_for(uint16_t version, enum tg_suite suite,
			       uint8_t pad);

/**
 * Seal a burst of records (any flows, suites, sizes; contiguous buffers
 * or mbuf chains), following the DPDK burst contract.
 * @param recs  the records; reordered: the sealed ones first, the failed
 *              ones last with their status set
 * @param n     how many (0 and a NULL @p recs are allowed)
 * @return the number sealed
 */
uint16_t tg_accel_seal_burst(struct tg_rec **recs, uint16_t n);

/**
 * Open a burst of records. A failure is fatal to the record's session
 * (the connection must send its alert and close).
 * @param recs  the records; reordered: the opened ones first, the failed
 *              ones last with their status set (TG_REC_E_BAD_MAC for any
 *              failure that depends on the key)
 * @param n     how many
 * @return the number opened
 */
uint16_t tg_accel_open_burst(struct tg_rec **recs, uint16_t n);

/**
 * @name Asynchronous record queues
 *
 * The burst calls above return when every record is done, which for a
 * crypto PMD (cryptodev) means polling the device until it has given every
 * operation back. A queue (struct tg_accel_q) splits that in two: a submit
 * hands records over and returns at once, a poll later returns the
 * records that are done, with their status. Meanwhile the caller keeps
 * polling its network and submitting more.
 *
 *  - Submit takes a prefix of the array: tg_accel_seal_submit() and
 *    tg_accel_open_submit() frame (header, nonce, sequence number) and
 *    hand over records from the first one on, as many as the queue has
 *    room for (tg_accel_q_room()), and return that count. The records
 *    after it were not touched (no sequence number taken): back-pressure,
 *    to submit again after a poll. A record that fails its framing is
 *    taken all the same and comes back from the poll with its status.
 *  - tg_accel_poll() returns done records in the order they were
 *    submitted, whatever order the backends finish them in, so the
 *    records of one session (one flow direction) come back in order.
 *    Each carries its status and, done, the same fields the burst calls
 *    set (struct tg_rec). A record that failed is fatal to its session,
 *    as with the burst calls; a record whose seal failed holds no
 *    ciphertext and must never be sent.
 *  - Between submit and poll a record, its buffer (or mbuf) and its
 *    session belong to the queue: the caller must not move, free or
 *    reuse them. struct tg_rec::udata is the caller's, untouched.
 *  - Backends that run synchronously (ipsecmb, simd, evp) do the work in
 *    the submit; their records come back from the next poll. A cryptodev
 *    backend gets a device queue pair of its own for the queue and the
 *    submit only enqueues (the device's queue full is absorbed by the
 *    queue, within its depth); when the device has no queue pair left
 *    for it, that backend runs synchronously in this queue. One code path
 *    for the caller either way.
 *  - A queue belongs to one thread. The synchronous burst calls may still
 *    be used on the same sessions from that thread (a record sealed by a
 *    burst takes the next sequence number after those already submitted).
 * @{
 */

/** An asynchronous record queue (one per thread that uses it). */
struct tg_accel_q;

/**
 * Create a queue.
 * @param acc    the engine whose sessions the records use
 * @param depth  records in flight at most (rounded up to a power of two,
 *               2 .. 4096)
 * @param out    the queue, on success
 * @return TG_OK, TG_E_INVAL, TG_E_NOMEM
 */
TG_MUST_CHECK tg_result tg_accel_q_create(struct tg_accel *acc, unsigned depth,
					  struct tg_accel_q **out);

/**
 * Free a queue. Records still in flight are waited for (at most the
 * backends' own timeout) and dropped: poll them first to see them.
 * @param q  the queue (NULL is a no-op)
 */
void tg_accel_q_free(struct tg_accel_q *q);

/**
 * Submit records to seal (any sessions of the queue's engine, any sizes;
 * contiguous buffers or mbuf chains, as tg_accel_seal_burst() takes
 * them). Sequence numbers are taken in array order.
 * @param q     the queue
 * @param recs  the records; recs[0 .. return) are the queue's until a
 *              poll returns them; the rest are left as they were
 * @param n     how many (0 and a NULL @p recs are allowed)
 * @return how many were taken (fewer than @p n: the queue is full)
 */
uint16_t tg_accel_seal_submit(struct tg_accel_q *q, struct tg_rec **recs,
			      uint16_t n);

/**
 * Submit records to open, as tg_accel_seal_submit() does for sealing;
 * each record is laid out as tg_accel_open_burst() takes it.
 * @param q     the queue
 * @param recs  the records
 * @param n     how many
 * @return how many were taken
 */
uint16_t tg_accel_open_submit(struct tg_accel_q *q, struct tg_rec **recs,
			      uint16_t n);

/**
 * Collect done records, in submission order: one not yet done holds back
 * those submitted after it.
 * @param q     the queue
 * @param done  filled with the records, each with its struct tg_rec::status
 * @param max   room in @p done
 * @return how many were returned
 */
uint16_t tg_accel_poll(struct tg_accel_q *q, struct tg_rec **done,
		       uint16_t max);

/**
 * @param q  a queue
 * @return records submitted and not yet returned by tg_accel_poll()
 */
unsigned tg_accel_q_inflight(const struct tg_accel_q *q);

/**
 * @param q  a queue
 * @return how many records a submit takes now
 */
unsigned tg_accel_q_room(const struct tg_accel_q *q);

/**
 * @param q  a queue
 * @return true when a backend runs asynchronously in this queue (records
 *         may stay in flight across polls); false when every backend
 *         completes records at submit
 */
bool tg_accel_q_async(const struct tg_accel_q *q);

/** @} */

/**
 * @param suite  an AEAD
 * @return its name ("aes128gcm", "aes256gcm", "chacha20poly1305")
 */
const char *tg_suite_name(enum tg_suite suite);

/**
 * @param status  a record's status (::tg_rec_status)
 * @return its name, for logs
 */
const char *tg_rec_status_name(uint8_t status);

/**
 * Parse a suite name as tg_suite_name() gives it.
 * @param name  the name
 * @param out   the suite, on success
 * @return false for an unknown name
 */
bool tg_suite_parse(const char *name, enum tg_suite *out);

/**
 * @param suite  an AEAD
 * @return its key length (16 or 32)
 */
uint8_t tg_suite_key_len(enum tg_suite suite);

/**
 * @param version  ::TG_TLS12 or ::TG_TLS13
 * @param suite    an AEAD
 * @return the fixed IV length: 4 (TLS 1.2 GCM) or 12
 */
uint8_t tg_suite_iv_len(uint16_t version, enum tg_suite suite);

/** A record header (RFC 5246 §6.2.1, RFC 8446 §5.1). */
struct tg_rec_hdr {
	uint8_t type;      /**< content type (::tg_content_type or other) */
	uint16_t version;  /**< legacy_record_version as sent */
	uint16_t len;      /**< length of the fragment that follows */
};

/** Largest plaintext record fragment (RFC 5246 §6.2.1: 2^14). */
#define TG_REC_LEN_MAX_PLAIN TG_REC_MAX_PLAIN
/** Largest protected TLS 1.2 record fragment (RFC 5246 §6.2.3: 2^14 + 2048). */
#define TG_REC_LEN_MAX_CT12 (TG_REC_MAX_PLAIN + 2048)
/** Largest protected TLS 1.3 record fragment (RFC 8446 §5.2: 2^14 + 256). */
#define TG_REC_LEN_MAX_CT13 (TG_REC_MAX_PLAIN + 256)

/**
 * The length limit of a record's fragment (RFC 5246 §6.2.1/§6.2.3,
 * RFC 8446 §5.2).
 * @param version    ::TG_TLS12 or ::TG_TLS13: the protection in force
 * @param protected  false while no cipher is in force (plaintext records)
 * @return the largest length field a peer may send
 */
static inline uint32_t tg_rec_len_max(uint16_t version, bool protected)
{
	if (!protected)
		return TG_REC_LEN_MAX_PLAIN;
	return version == TG_TLS13 ? TG_REC_LEN_MAX_CT13 : TG_REC_LEN_MAX_CT12;
}

/**
 * The one record-header parser: reads type, version and length from
 * @p c (which must hold at least ::TG_REC_HDR_LEN bytes, or nothing is
 * read) and checks the length against @p max_len. The version is the
 * caller's to judge (a first ClientHello record may carry any 3.x).
 * @param c        bounded cursor at the header
 * @param max_len  tg_rec_len_max() of the state the record arrives in
 * @param out      the header, on TG_OK and on TG_E_OVERFLOW
 * @return TG_OK; TG_E_SHORT when fewer than five bytes are left (the
 *         cursor has not moved); TG_E_OVERFLOW when the length is over
 *         @p max_len (record_overflow)
 */
TG_MUST_CHECK tg_result tg_rec_hdr_parse(struct tg_cur *c, uint32_t max_len,
					 struct tg_rec_hdr *out);

/** Per-backend counters (records and bytes sealed/opened). */
struct tg_accel_stats {
	uint64_t sealed;       /**< records sealed */
	uint64_t opened;       /**< records opened */
	uint64_t sealed_bytes; /**< plaintext bytes sealed */
	uint64_t opened_bytes; /**< plaintext bytes opened */
	uint64_t failed;       /**< records failed */
};

/**
 * Counters of a backend, summed over all threads.
 * @param acc  the engine
 * @param idx  a loaded backend
 * @param out  filled with its counters
 */
void tg_accel_backend_stats(const struct tg_accel *acc, unsigned idx,
			    struct tg_accel_stats *out);

#endif
