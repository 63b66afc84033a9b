/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the handshake record layer alone (control/hsio.c):
 * plaintext records in, items out, as a peer's bytes arrive before any
 * key is in place.
 *
 * Input: byte 0 seeds the sizes of the pieces the rest is fed in
 * (1..(byte 0 + 1) * 8 bytes each, so the compaction between feeds and
 * the reassembly of messages across records are exercised); after each
 * piece every item is taken, as tg_hs_feed does.
 *
 * Invariants, abort() on violation:
 *  - a failure is one of the record layer's documented codes;
 *  - each byte fed is shifted at most once in each of the two buffers
 *    it passes through, the wire bytes and the reassembly of handshake
 *    messages (tg_hsio::moved <= 2 x bytes fed:
 *    the work stays linear in the input however tiny its records);
 *  - a handshake message is within its bound (tg_hs_msg_max) and frames
 *    as one message of its type;
 *  - no more than TG_HSIO_MAX_RECORDS records are taken;
 *  - the buffers stay within their bounds.
 */
#include <stdint.h>
#include <stdlib.h>

#include "tg_hs_msg.h"
#include "tg_hsio.h"

static void check(bool ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tg_hsio io;
	struct tg_hsio_msg m;
	uint64_t fed = 0;
	uint32_t seed;
	size_t off = 1;
	tg_result r = TG_OK;

	if (size < 1)
		return 0;
	seed = 0x9e3779b9u * (data[0] + 1u);
	check(tg_ok(tg_hsio_init(&io)));
	while (off < size && tg_ok(r)) {
		size_t piece, used = 0;

		seed = seed * 1664525u + 1013904223u;
		piece = 1 + (seed >> 8) % ((size_t)(data[0] + 1) * 8);
		if (piece > size - off)
			piece = size - off;
		r = tg_hsio_feed(&io, data + off, piece, &used);
		check(tg_ok(r) && used <= piece);
		off += used;
		fed += used;
		for (;;) {
			r = tg_hsio_next(&io, &m);
			if (tg_failed(r) || m.item == TG_HSIO_NONE)
				break;
			if (m.item == TG_HSIO_HANDSHAKE) {
				struct tg_cur s = tg_cur_init(m.raw, m.raw_len), b;
				uint8_t type = 0;

				check(m.raw_len <= TG_TLS_HS_HDR_LEN +
							   tg_hs_msg_max(m.type));
				check(tg_ok(tg_hs_msg_next(&s, &type, &b)) &&
				      type == m.type && tg_cur_left(&s) == 0);
			}
		}
		check(io.moved <= 2 * fed);
		check(io.n_records <= TG_HSIO_MAX_RECORDS);
		check(io.rcap <= TG_HSIO_RCAP && io.hs_cap <= TG_HSIO_HSCAP);
		if (tg_ok(r) && used == 0)
			break; /* one record larger than the buffer: cannot be */
	}
	if (tg_failed(r))
		check(r.code == TG_E_DECODE || r.code == TG_E_UNEXPECTED_MSG ||
		      r.code == TG_E_PROTOCOL_VERSION ||
		      r.code == TG_E_OVERFLOW || r.code == TG_E_ILLEGAL_PARAM);
	tg_hsio_fini(&io);
	return 0;
}
