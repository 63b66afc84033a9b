/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_hsio.h
 * The record layer of the handshake engine: turns wire bytes into
 * handshake messages, ChangeCipherSpec and alerts, and back.
 *
 * Input: whole TLS records; handshake fragments are reassembled across
 * records (RFC 5246 §6.2.1) and complete messages handed out one by one.
 * Output: handshake messages are coalesced into records of up to 2^14
 * bytes and fragmented when larger. After ChangeCipherSpec the records of
 * that direction go through the accel API (struct tg_accel_sess), which
 * is how the Finished messages are encrypted and decrypted.
 */
#ifndef TG_HSIO_H
#define TG_HSIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tg_accel.h"
#include "tg_cur.h"
#include "tg_result.h"
#include "tg_tls.h"

/**
 * Most records one handshake may send us (any content type, counted by
 * tg_hsio_next()); the next one is refused with TG_E_UNEXPECTED_MSG. A
 * real handshake needs a few dozen; this leaves room for a peer that
 * fragments a whole 16 KiB flight into 1-byte records, and bounds what a
 * stream of tiny records costs the control thread.
 */
#define TG_HSIO_MAX_RECORDS 16384

/** Input buffer bound: two records of the largest kind (RFC 5246
 *  §6.2.3: 2^14 + 2048 protected). */
#define TG_HSIO_RCAP (2 * (TG_REC_HDR_LEN + TG_REC_LEN_MAX_CT12))
/** Reassembly buffer bound: the largest message we accept (a
 *  ClientHello, TG_TLS_MAX_CLIENT_HELLO) and a record's plaintext. */
#define TG_HSIO_HSCAP (TG_TLS_HS_HDR_LEN + TG_TLS_MAX_CLIENT_HELLO + TG_REC_LEN_MAX_CT12)
/** Output buffer bound (our flights). */
#define TG_HSIO_OUTCAP (4 * TG_TLS_MAX_HS_MSG)
/**
 * Bytes of early data (RFC 8446 §4.2.10) a TLS 1.3 server skips when it
 * declines 0-RTT: records it cannot open with the client's handshake key
 * (or, after a HelloRetryRequest, application_data records before the
 * second ClientHello), up to this many record bytes in all; past it the
 * record fails as any other. We never offer early data (our tickets
 * carry no early_data extension), so only a client resuming another
 * server's ticket sends any: the bound is four full records.
 */
#define TG_HSIO_EARLY_SKIP_MAX (4 * (TG_REC_HDR_LEN + TG_REC_LEN_MAX_CT13))

/** What every buffer starts at: it grows on demand (doubling, wiped as it
 *  moves) up to its bound, so a handshake costs a few KB, not the worst
 *  case. */
#define TG_HSIO_START 4096

/** What tg_hsio_next() found. */
enum tg_hsio_item {
	TG_HSIO_NONE = 0,  /**< nothing complete yet: feed more bytes */
	TG_HSIO_HANDSHAKE, /**< one complete handshake message */
	TG_HSIO_CCS,       /**< a ChangeCipherSpec record */
	TG_HSIO_ALERT,     /**< an alert (level, description) */
	TG_HSIO_APPDATA,   /**< application data (after the handshake) */
};

/** Record-layer state of one connection's handshake. */
struct tg_hsio {
	/* input: rbuf[rpos, rlen) are the wire bytes not consumed yet.
	 * Records are consumed by moving rpos; the consumed space is
	 * reclaimed once per tg_hsio_feed(), not once per record. */
	uint8_t *rbuf;
	size_t rpos, rlen, rcap;
	uint32_t n_records;  /**< records taken so far (TG_HSIO_MAX_RECORDS) */
	uint8_t *hs;         /**< reassembled handshake bytes */
	size_t hs_off, hs_len, hs_cap;
	struct tg_accel_sess *rx; /**< set after the peer's CCS */
	/* output */
	uint8_t *out;
	size_t out_off, out_len, out_cap;
	size_t open_rec;     /**< offset of the record being filled, or SIZE_MAX */
	uint8_t open_type;
	struct tg_accel_sess *tx; /**< set after our CCS */
	uint16_t version;    /**< record version to write (0x0303) */
	bool first_record;   /**< check the first record looks like TLS */
	/** TLS 1.3 (RFC 8446 §5): a ChangeCipherSpec comes in clear while
	 *  the rx side is protected (and only with the value 1), a
	 *  protected one is refused; protected records are TLS 1.3's */
	bool v13;
	uint32_t early_skip; /**< early data bytes still to skip (1.3) */
	uint32_t skipped;    /**< early data bytes skipped */
	uint16_t frag_max;   /**< largest plaintext per record we send (RFC
				  8449), 0 = 2^14 */
	/* the most of each buffer ever used: what tg_hsio_fini() wipes */
	size_t rhw, hs_hw, out_hw;
	/** Bytes shifted inside the input buffers to reclaim consumed
	 *  space: the record layer's copying work, which must stay linear
	 *  in the bytes fed (tests read it). */
	uint64_t moved;
};

/** A message, CCS, alert or application data taken by tg_hsio_next(). */
struct tg_hsio_msg {
	enum tg_hsio_item item;
	uint8_t type;            /**< handshake type / alert level */
	uint8_t alert;           /**< alert description */
	struct tg_cur body;      /**< handshake body (no header) or app data */
	const uint8_t *raw;      /**< the whole handshake message (transcript) */
	size_t raw_len;
};

/** Initialise; buffers are allocated here (bounded). */
TG_MUST_CHECK tg_result tg_hsio_init(struct tg_hsio *io);

/** Free buffers, wiping them; free the accel sessions. */
void tg_hsio_fini(struct tg_hsio *io);

/**
 * Take wire bytes. Copies at most what fits in the input buffer and
 * reports it in @p consumed; never fails for lack of data. The space of
 * the records consumed since the last call is reclaimed here, once: the
 * unconsumed bytes (at most a partial record and the records not taken
 * yet) move to the front of the buffer.
 */
TG_MUST_CHECK tg_result tg_hsio_feed(struct tg_hsio *io, const uint8_t *in,
				     size_t len, size_t *consumed);

/**
 * Take the next complete item. Opens protected records through the rx
 * session. A record that fails to open gives the error for its alert.
 * Application data is returned only once (the caller decides if allowed).
 * The message stays valid until the next call of tg_hsio_next() or
 * tg_hsio_feed(). The work per record is constant: nothing is shifted
 * here (see tg_hsio::moved).
 * @return TG_E_UNEXPECTED_MSG for the record after the
 *         #TG_HSIO_MAX_RECORDS th, and for the errors of the record
 *         layer described in docs/failures.md.
 */
TG_MUST_CHECK tg_result tg_hsio_next(struct tg_hsio *io,
				     struct tg_hsio_msg *msg);

/** True when bytes of a partial handshake message are buffered. */
bool tg_hsio_hs_pending(const struct tg_hsio *io);

/** Unconsumed wire bytes after the last complete record taken. */
size_t tg_hsio_rx_left(const struct tg_hsio *io);

/** Copy out (and drop) unconsumed wire bytes: the caller's app data. */
size_t tg_hsio_rx_take(struct tg_hsio *io, uint8_t *out, size_t cap);

/** Drop every unconsumed wire byte (the caller kept its own copy). */
void tg_hsio_rx_drop(struct tg_hsio *io);

/** Queue one complete handshake message (header included). */
TG_MUST_CHECK tg_result tg_hsio_put_hs(struct tg_hsio *io, const uint8_t *msg,
				       size_t len);

/** Queue ChangeCipherSpec and switch the write side to @p tx (owned). */
TG_MUST_CHECK tg_result tg_hsio_put_ccs(struct tg_hsio *io,
					struct tg_accel_sess *tx);

/** Queue a ChangeCipherSpec record in clear, changing nothing (TLS 1.3
 *  middlebox compatibility, RFC 8446 §D.4). */
TG_MUST_CHECK tg_result tg_hsio_put_ccs_plain(struct tg_hsio *io);

/** Close the open record and switch the write side to @p tx (owned),
 *  without a ChangeCipherSpec (TLS 1.3 key changes, RFC 8446 §7.3). */
TG_MUST_CHECK tg_result tg_hsio_set_tx(struct tg_hsio *io,
				       struct tg_accel_sess *tx);

/** Switch the read side to @p rx (owned) after the peer's CCS. */
void tg_hsio_set_rx(struct tg_hsio *io, struct tg_accel_sess *rx);

/** Queue an alert record. */
TG_MUST_CHECK tg_result tg_hsio_put_alert(struct tg_hsio *io, uint8_t level,
					  uint8_t desc);

/** Close the record being filled (seal it if protected). */
TG_MUST_CHECK tg_result tg_hsio_flush(struct tg_hsio *io);

/** Bytes ready to send. */
size_t tg_hsio_out_pending(const struct tg_hsio *io);

/** Copy out up to @p cap bytes to send; returns how many. */
size_t tg_hsio_out_take(struct tg_hsio *io, uint8_t *out, size_t cap);

#endif
