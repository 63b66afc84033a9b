/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the record parser (tg_accel_open_burst).
 *
 * Input: byte 0 picks version and suite and a mode, the rest is data.
 *  mode 0: the data is a record as received from the wire: opening it must
 *          fail cleanly (we cannot forge a tag) and never touch memory
 *          outside the record.
 *  mode 1: the data is a plaintext (and 1.3 padding) that we seal, flip
 *          the bits that the last data bytes choose, and open: an
 *          untampered record must round-trip exactly, a tampered one must
 *          fail.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tg_accel.h"
#include "tg_wipe.h"

static struct tg_accel *acc;

static struct tg_accel_sess *mk(uint16_t version, enum tg_suite suite,
				enum tg_dir dir)
{
	struct tg_keys k = { .version = version, .suite = (uint8_t)suite,
			     .dir = (uint8_t)dir };
	struct tg_accel_sess *s = NULL;

	k.key_len = tg_suite_key_len(suite);
	k.iv_len = tg_suite_iv_len(version, suite);
	memset(k.key, 0x11, sizeof(k.key));
	memset(k.iv, 0x22, sizeof(k.iv));
	k.seq = 7;
	if (tg_failed(tg_accel_sess_create(acc, &k, &s)))
		abort();
	tg_wipe(&k, sizeof(k));
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[TG_REC_MAX_PLAIN + 512];
	struct tg_accel_conf conf = { .backends = "evp", .no_calibrate = true };
	uint16_t version;
	enum tg_suite suite;
	struct tg_rec rec, *rp = &rec;
	struct tg_accel_sess *s_open, *s_seal;

	if (acc == NULL && tg_failed(tg_accel_create(&conf, &acc)))
		abort();
	if (size < 1)
		return 0;
	version = (data[0] & 1) ? TG_TLS13 : TG_TLS12;
	suite = (enum tg_suite)((data[0] >> 1) % TG_SUITE__COUNT);
	data++;
	size--;
	s_open = mk(version, suite, TG_DIR_OPEN);

	if (((data[-1] >> 3) & 1) == 0) {
		/* mode 0: wire bytes, exactly sized (ASan sees overreads) */
		uint8_t *wire = malloc(size ? size : 1);

		if (wire == NULL)
			abort();
		memcpy(wire, data, size);
		rec = (struct tg_rec){ .sess = s_open, .buf = wire,
				       .cap = (uint32_t)size,
				       .rec_len = (uint32_t)size };
		if (tg_accel_open_burst(&rp, 1) != 0)
			abort(); /* a forged record opened */
		if (rec.status == TG_REC_OK)
			abort();
		free(wire);
	} else {
		/* mode 1: seal, maybe tamper, open */
		size_t n = size > TG_REC_MAX_PLAIN ? TG_REC_MAX_PLAIN : size;
		uint8_t pad = size > 0 ? data[0] : 0;
		uint32_t hdr = tg_accel_hdr_len_for(version, suite);
		uint32_t flip = size >= 2 ? ((uint32_t)data[size - 2] << 8 |
					      data[size - 1]) : 0;
		uint32_t want_len = (uint32_t)n;

		s_seal = mk(version, suite, TG_DIR_SEAL);
		memcpy(buf + hdr, data, n);
		rec = (struct tg_rec){ .sess = s_seal, .buf = buf,
				       .cap = sizeof(buf), .off = hdr,
				       .len = (uint32_t)n, .pad = pad,
				       .type = TG_CT_APPLICATION_DATA };
		if (tg_accel_seal_burst(&rp, 1) != 1) {
			/* only the 1.3 size limit with padding may refuse */
			if (rec.status != TG_REC_E_OVERFLOW)
				abort();
			goto out_seal;
		}
		uint32_t rl = rec.rec_len;
		bool tamper = (flip & 0x8000) && rl > 0;
		if (tamper)
			buf[(flip & 0x7fff) % rl] ^= (uint8_t)(1u << (flip % 8));
		rec = (struct tg_rec){ .sess = s_open, .buf = buf,
				       .cap = sizeof(buf), .rec_len = rl };
		uint16_t ok = tg_accel_open_burst(&rp, 1);
		if (tamper && ok)
			abort();
		if (!tamper && (ok != 1 || rec.len != want_len ||
				rec.type != TG_CT_APPLICATION_DATA ||
				memcmp(buf + rec.off, data, n) != 0))
			abort();
out_seal:
		tg_accel_sess_free(s_seal);
	}
	tg_accel_sess_free(s_open);
	return 0;
}
