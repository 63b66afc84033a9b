/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file hsio.c
 * Record layer of the handshake engine (see tg_hsio.h).
 */
#include "tg_hsio.h"

#include <stdlib.h>
#include <string.h>

#include "tg_hs_msg.h"
#include "tg_tls.h"
#include "tg_wipe.h"

tg_result tg_hsio_init(struct tg_hsio *io)
{
	TG_ENSURE_REF(io);
	memset(io, 0, sizeof(*io));
	io->rcap = TG_HSIO_START;
	io->hs_cap = TG_HSIO_START;
	io->out_cap = TG_HSIO_START;
	io->rbuf = malloc(io->rcap);
	io->hs = malloc(io->hs_cap);
	io->out = malloc(io->out_cap);
	io->open_rec = SIZE_MAX;
	io->version = 0x0303;
	io->first_record = true;
	if (io->rbuf == NULL || io->hs == NULL || io->out == NULL) {
		tg_hsio_fini(io);
		return tg_error(TG_E_NOMEM);
	}
	return TG_OK;
}

/* Note that the first @p len bytes of a buffer have been written. */
static inline void tg_hsio_used(size_t *hw, size_t len)
{
	if (len > *hw)
		*hw = len;
}

void tg_hsio_fini(struct tg_hsio *io)
{
	if (io == NULL)
		return;
	/* Only what was ever written: a grown buffer was wiped when it
	 * moved (tg_grow_wiped), and the rest was never touched. */
	if (io->rbuf)
		tg_wipe(io->rbuf, io->rhw < io->rcap ? io->rhw : io->rcap);
	if (io->hs)
		tg_wipe(io->hs, io->hs_hw < io->hs_cap ? io->hs_hw : io->hs_cap);
	if (io->out)
		tg_wipe(io->out,
			io->out_hw < io->out_cap ? io->out_hw : io->out_cap);
	free(io->rbuf);
	free(io->hs);
	free(io->out);
	tg_accel_sess_free(io->rx);
	tg_accel_sess_free(io->tx);
	memset(io, 0, sizeof(*io));
}

/*
 * Reclaim the space of the records consumed (rbuf[0, rpos)): once per
 * feed, never per record, so that a stream of tiny records costs linear
 * work. Each byte moves at most once: after the move the unconsumed
 * bytes start the buffer, and they move again only once a record in
 * front of them has been consumed, which a partial record never is.
 */
static void tg_hsio_compact(struct tg_hsio *io)
{
	size_t left = io->rlen - io->rpos;

	if (io->rpos == 0)
		return;
	if (left > 0) {
		memmove(io->rbuf, io->rbuf + io->rpos, left);
		io->moved += left;
	}
	io->rlen = left;
	io->rpos = 0;
}

tg_result tg_hsio_feed(struct tg_hsio *io, const uint8_t *in, size_t len,
		       size_t *consumed)
{
	size_t n;

	TG_ENSURE_REF(io);
	TG_ENSURE_REF(consumed);
	TG_ENSURE(in != NULL || len == 0, TG_E_INVAL);
	tg_hsio_compact(io);
	/* grow toward two records; past that, take what fits */
	if (io->rlen + len > io->rcap &&
	    tg_failed(tg_grow_wiped(&io->rbuf, &io->rcap,
				    io->rlen + len < TG_HSIO_RCAP ? io->rlen + len
								  : TG_HSIO_RCAP,
				    TG_HSIO_RCAP)))
		return tg_error(TG_E_NOMEM);
	n = io->rcap - io->rlen;
	if (n > len)
		n = len;
	if (n)
		memcpy(io->rbuf + io->rlen, in, n);
	io->rlen += n;
	tg_hsio_used(&io->rhw, io->rlen);
	*consumed = n;
	return TG_OK;
}

bool tg_hsio_hs_pending(const struct tg_hsio *io)
{
	return io->hs_len > io->hs_off;
}

size_t tg_hsio_rx_left(const struct tg_hsio *io)
{
	return io->rlen - io->rpos;
}

size_t tg_hsio_rx_take(struct tg_hsio *io, uint8_t *out, size_t cap)
{
	size_t n = tg_hsio_rx_left(io);

	if (n > cap)
		n = cap;
	if (n)
		memcpy(out, io->rbuf + io->rpos, n);
	io->rpos += n;
	if (io->rpos == io->rlen)
		io->rpos = io->rlen = 0;
	return n;
}

void tg_hsio_rx_drop(struct tg_hsio *io)
{
	io->rpos = io->rlen = 0;
}

/* A complete handshake message in the reassembly buffer, if any. */
static TG_MUST_CHECK tg_result tg_hsio_take_hs(struct tg_hsio *io, struct tg_hsio_msg *msg,
				 bool *got)
{
	struct tg_cur c = tg_cur_init(io->hs + io->hs_off,
				      io->hs_len - io->hs_off);
	uint8_t type = 0;
	tg_result r = tg_hs_msg_next(&c, &type, &msg->body);

	*got = false;
	if (r.code == TG_E_SHORT)
		return TG_OK;
	/* A message over our bound is refused from its header, before it is
	 * buffered. A ClientHello over it cannot be well-formed (its bound is
	 * all the wire format allows): decode_error, RFC 8446 §6.2 "the
	 * length of the message was incorrect". Any other is a message too
	 * large for us: illegal_parameter, as OpenSSL and BoringSSL say. */
	if (r.code == TG_E_OVERFLOW)
		return tg_error(type == TG_HS_CLIENT_HELLO ? TG_E_DECODE
							   : TG_E_ILLEGAL_PARAM);
	TG_GUARD(r);
	msg->item = TG_HSIO_HANDSHAKE;
	msg->type = type;
	msg->raw = io->hs + io->hs_off;
	msg->raw_len = c.pos;
	io->hs_off += c.pos;
	*got = true;
	return TG_OK;
}

tg_result tg_hsio_next(struct tg_hsio *io, struct tg_hsio_msg *msg)
{
	struct tg_cur hc;
	struct tg_rec_hdr rh;
	tg_result hr;
	uint8_t type;
	uint16_t ver, len;
	uint8_t *plain;
	uint32_t plen;
	bool got;

	TG_ENSURE_REF(io);
	TG_ENSURE_REF(msg);
	memset(msg, 0, sizeof(*msg));
	for (;;) {
		size_t at = io->rpos; /* where the record starts in rbuf */
		uint8_t *rec_start;

		TG_GUARD(tg_hsio_take_hs(io, msg, &got));
		if (got)
			return TG_OK;
		if (io->hs_off == io->hs_len)
			io->hs_off = io->hs_len = 0;
		/* One whole record? */
		if (tg_hsio_rx_left(io) < TG_REC_HDR_LEN)
			return TG_OK;
		rec_start = io->rbuf + at;
		hc = tg_cur_init(rec_start, TG_REC_HDR_LEN);
		hr = tg_rec_hdr_parse(&hc, tg_rec_len_max(io->v13 ? TG_TLS13 : TG_TLS12,
							  io->rx != NULL),
				      &rh);
		if (hr.code != TG_E_OVERFLOW)
			TG_GUARD(hr);
		type = rh.type;
		ver = rh.version;
		len = rh.len;
		/* RFC 5246 §6.2.1 / Appendix E: any 3.x record version; a
		 * first record that is not a TLS handshake (say, a
		 * plaintext HTTP request) is refused right away. */
		if (io->first_record) {
			TG_ENSURE(type == TG_CT_HANDSHAKE || type == TG_CT_ALERT,
				  TG_E_UNEXPECTED_MSG);
			TG_ENSURE((ver >> 8) == 3, TG_E_PROTOCOL_VERSION);
		}
		TG_ENSURE((ver >> 8) == 3, TG_E_DECODE);
		TG_GUARD(hr); /* record_overflow */
		if (tg_hsio_rx_left(io) < (size_t)TG_REC_HDR_LEN + len)
			return TG_OK;
		io->first_record = false;
		/* consumed now: its bytes stay in place until the next feed */
		io->rpos += TG_REC_HDR_LEN + len;
		/* a bound on the records of one handshake: see tg_hsio.h */
		TG_ENSURE(++io->n_records <= TG_HSIO_MAX_RECORDS,
			  TG_E_UNEXPECTED_MSG);

		if (io->v13 && type == TG_CT_APPLICATION_DATA && io->rx == NULL) {
			/* RFC 8446 §4.2.10: early data after a HelloRetryRequest
			 * (before the second ClientHello) is skipped, within
			 * the bound; any other is out of place */
			TG_ENSURE(io->early_skip >= TG_REC_HDR_LEN + (uint32_t)len,
				  TG_E_UNEXPECTED_MSG);
			io->early_skip -= TG_REC_HDR_LEN + (uint32_t)len;
			io->skipped += TG_REC_HDR_LEN + (uint32_t)len;
			continue;
		}
		if (io->rx != NULL && !(io->v13 && type == TG_CT_CHANGE_CIPHER_SPEC)) {
			struct tg_rec rec = { .sess = io->rx, .buf = rec_start,
					      .cap = (uint32_t)(io->rcap - at),
					      .rec_len = TG_REC_HDR_LEN + (uint32_t)len };
			struct tg_rec *rp = &rec;
			uint64_t seq = tg_accel_sess_seq(io->rx);

			if (tg_accel_open_burst(&rp, 1) != 1) {
				/* RFC 8446 §4.2.10: declined early data does
				 * not open with the handshake key; skipped,
				 * its sequence number given back */
				if (io->v13 && rec.status == TG_REC_E_BAD_MAC &&
				    type == TG_CT_APPLICATION_DATA &&
				    io->early_skip >= TG_REC_HDR_LEN + (uint32_t)len) {
					io->early_skip -= TG_REC_HDR_LEN + (uint32_t)len;
					io->skipped += TG_REC_HDR_LEN + (uint32_t)len;
					tg_accel_sess_set_seq(io->rx, seq);
					continue;
				}
				if (rec.status == TG_REC_E_OVERFLOW)
					return tg_error(TG_E_OVERFLOW);
				if (rec.status == TG_REC_E_UNEXPECTED)
					return tg_error(TG_E_UNEXPECTED_MSG);
				return tg_error(TG_E_BAD_MAC);
			}
			/* the first record that opens ends any early data */
			io->early_skip = 0;
			type = rec.type;
			plain = rec_start + rec.off;
			plen = rec.len;
			/* RFC 8446 §5: a protected change_cipher_spec is an
			 * unexpected_message */
			TG_ENSURE(!(io->v13 && type == TG_CT_CHANGE_CIPHER_SPEC),
				  TG_E_UNEXPECTED_MSG);
		} else {
			plain = rec_start + TG_REC_HDR_LEN;
			plen = len;
		}

		switch (type) {
		case TG_CT_HANDSHAKE:
			/* RFC 5246 §6.2.1: no zero-length handshake fragments */
			TG_ENSURE(plen > 0, TG_E_DECODE);
			if (io->hs_off > 0) {
				memmove(io->hs, io->hs + io->hs_off,
					io->hs_len - io->hs_off);
				io->moved += io->hs_len - io->hs_off;
				io->hs_len -= io->hs_off;
				io->hs_off = 0;
			}
			/* cannot fail: the buffer holds at most a partial
			 * message, whose header was checked against its bound
			 * (tg_hsio_take_hs), when a record is added */
			TG_ENSURE(io->hs_len + plen <= TG_HSIO_HSCAP,
				  TG_E_INTERNAL);
			TG_GUARD(tg_grow_wiped(&io->hs, &io->hs_cap,
					      io->hs_len + plen, TG_HSIO_HSCAP));
			memcpy(io->hs + io->hs_len, plain, plen);
			io->hs_len += plen;
			tg_hsio_used(&io->hs_hw, io->hs_len);
			continue;
		case TG_CT_CHANGE_CIPHER_SPEC:
			/* RFC 5246 §7.1: one byte of value 1, and never in
			 * the middle of a fragmented handshake message;
			 * RFC 8446 §5: any other value is an
			 * unexpected_message in TLS 1.3 */
			TG_ENSURE(plen == 1 && plain[0] == 1,
				  io->v13 ? TG_E_UNEXPECTED_MSG : TG_E_DECODE);
			TG_ENSURE(!tg_hsio_hs_pending(io), TG_E_UNEXPECTED_MSG);
			msg->item = TG_HSIO_CCS;
			return TG_OK;
		case TG_CT_ALERT:
			TG_ENSURE(plen == 2, TG_E_DECODE);
			msg->item = TG_HSIO_ALERT;
			msg->type = plain[0];
			msg->alert = plain[1];
			return TG_OK;
		case TG_CT_APPLICATION_DATA:
			msg->item = TG_HSIO_APPDATA;
			msg->body = tg_cur_init(plain, plen);
			return TG_OK;
		default:
			/* RFC 5246 §6: unknown content type */
			return tg_error(TG_E_UNEXPECTED_MSG);
		}
	}
}

/* ---- output ------------------------------------------------------------ */

static uint32_t tg_hsio_hdr(const struct tg_hsio *io)
{
	return io->tx ? tg_accel_hdr_len(io->tx) : TG_REC_HDR_LEN;
}

static uint32_t tg_hsio_tail(const struct tg_hsio *io)
{
	return io->tx ? tg_accel_tail_len(io->tx, 0) : 0;
}

static TG_MUST_CHECK tg_result tg_hsio_open(struct tg_hsio *io, uint8_t type)
{
	if (io->open_rec != SIZE_MAX && io->open_type == type)
		return TG_OK;
	TG_GUARD(tg_hsio_flush(io));
	TG_GUARD(tg_grow_wiped(&io->out, &io->out_cap,
			      io->out_len + tg_hsio_hdr(io) + tg_hsio_tail(io),
			      TG_HSIO_OUTCAP));
	io->open_rec = io->out_len;
	io->open_type = type;
	io->out_len += tg_hsio_hdr(io);
	return TG_OK;
}

tg_result tg_hsio_flush(struct tg_hsio *io)
{
	size_t start = io->open_rec;
	uint32_t hdr, plen;

	TG_ENSURE_REF(io);
	if (start == SIZE_MAX)
		return TG_OK;
	hdr = tg_hsio_hdr(io);
	plen = (uint32_t)(io->out_len - start - hdr);
	io->open_rec = SIZE_MAX;
	if (io->tx == NULL) {
		struct tg_wcur w = tg_wcur_init(io->out + start, TG_REC_HDR_LEN);

		TG_GUARD(tg_wcur_u8(&w, io->open_type));
		TG_GUARD(tg_wcur_u16(&w, io->version));
		TG_GUARD(tg_wcur_u16(&w, (uint16_t)plen));
		return TG_OK;
	}
	struct tg_rec rec = { .sess = io->tx, .buf = io->out + start,
			      .cap = (uint32_t)(io->out_cap - start),
			      .off = hdr, .len = plen, .type = io->open_type };
	struct tg_rec *rp = &rec;
	/* A record that cannot be protected is never sent in clear. */
	TG_ENSURE(tg_accel_seal_burst(&rp, 1) == 1, TG_E_INTERNAL);
	io->out_len = start + rec.rec_len;
	tg_hsio_used(&io->out_hw, io->out_len);
	return TG_OK;
}

static TG_MUST_CHECK tg_result tg_hsio_put(struct tg_hsio *io, uint8_t type,
			     const uint8_t *p, size_t len)
{
	while (len > 0) {
		size_t room, n;

		TG_GUARD(tg_hsio_open(io, type));
		room = TG_REC_MAX_PLAIN -
		       (io->out_len - io->open_rec - tg_hsio_hdr(io));
		if (room == 0) {
			TG_GUARD(tg_hsio_flush(io));
			continue;
		}
		if (io->frag_max != 0 &&
		    io->out_len - io->open_rec - tg_hsio_hdr(io) >= io->frag_max) {
			TG_GUARD(tg_hsio_flush(io));
			continue;
		}
		if (io->frag_max != 0 &&
		    room > io->frag_max - (io->out_len - io->open_rec - tg_hsio_hdr(io)))
			room = io->frag_max - (io->out_len - io->open_rec - tg_hsio_hdr(io));
		n = len < room ? len : room;
		TG_GUARD(tg_grow_wiped(&io->out, &io->out_cap,
				      io->out_len + n + tg_hsio_tail(io),
				      TG_HSIO_OUTCAP));
		memcpy(io->out + io->out_len, p, n);
		io->out_len += n;
		tg_hsio_used(&io->out_hw, io->out_len);
		p += n;
		len -= n;
	}
	return TG_OK;
}

tg_result tg_hsio_put_hs(struct tg_hsio *io, const uint8_t *msg, size_t len)
{
	TG_ENSURE_REF(io);
	TG_ENSURE(msg != NULL && len >= TG_TLS_HS_HDR_LEN, TG_E_INVAL);
	return tg_hsio_put(io, TG_CT_HANDSHAKE, msg, len);
}

tg_result tg_hsio_put_ccs(struct tg_hsio *io, struct tg_accel_sess *tx)
{
	static const uint8_t one = 1;

	TG_ENSURE_REF(io);
	TG_ENSURE_REF(tx);
	TG_GUARD(tg_hsio_flush(io));
	TG_GUARD(tg_hsio_put(io, TG_CT_CHANGE_CIPHER_SPEC, &one, 1));
	TG_GUARD(tg_hsio_flush(io));
	tg_accel_sess_free(io->tx);
	io->tx = tx;
	return TG_OK;
}

tg_result tg_hsio_put_ccs_plain(struct tg_hsio *io)
{
	static const uint8_t one = 1;

	TG_ENSURE_REF(io);
	TG_ENSURE(io->tx == NULL, TG_E_STATE);
	TG_GUARD(tg_hsio_flush(io));
	TG_GUARD(tg_hsio_put(io, TG_CT_CHANGE_CIPHER_SPEC, &one, 1));
	return tg_hsio_flush(io);
}

tg_result tg_hsio_set_tx(struct tg_hsio *io, struct tg_accel_sess *tx)
{
	TG_ENSURE_REF(io);
	TG_ENSURE_REF(tx);
	TG_GUARD(tg_hsio_flush(io));
	tg_accel_sess_free(io->tx);
	io->tx = tx;
	return TG_OK;
}

void tg_hsio_set_rx(struct tg_hsio *io, struct tg_accel_sess *rx)
{
	tg_accel_sess_free(io->rx);
	io->rx = rx;
}

tg_result tg_hsio_put_alert(struct tg_hsio *io, uint8_t level, uint8_t desc)
{
	const uint8_t a[2] = { level, desc };

	TG_ENSURE_REF(io);
	TG_GUARD(tg_hsio_flush(io));
	TG_GUARD(tg_hsio_put(io, TG_CT_ALERT, a, 2));
	return tg_hsio_flush(io);
}

size_t tg_hsio_out_pending(const struct tg_hsio *io)
{
	size_t end = io->open_rec == SIZE_MAX ? io->out_len : io->open_rec;

	return end - io->out_off;
}

size_t tg_hsio_out_take(struct tg_hsio *io, uint8_t *out, size_t cap)
{
	size_t n = tg_hsio_out_pending(io);

	if (n > cap)
		n = cap;
	memcpy(out, io->out + io->out_off, n);
	io->out_off += n;
	if (io->out_off == io->out_len && io->open_rec == SIZE_MAX)
		io->out_off = io->out_len = 0;
	return n;
}
