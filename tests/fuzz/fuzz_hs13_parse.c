/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the TLS 1.3 message parsers (control/hs/,
 * RFC 8446 §4): byte 0 picks the parser, the rest is its body:
 *   0 EncryptedExtensions  1 Certificate (1.3)  2 NewSessionTicket (1.3)
 *   3 CertificateRequest (1.3)  4 KeyUpdate  5 Finished (SHA-256)
 *   6 Finished (SHA-384)  7 ClientHello (its 1.3 extensions looked up:
 *   every key share found, every PSK entry read)
 * (byte 0 modulo 8). Invariants, abort() on violation: a parser fails
 * only with a documented code; what parses writes back, frames as one
 * message of its type, parses again and writes again to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tg_cur.h"
#include "tg_hs_msg.h"

enum { SEL_COUNT = 8 };

static const uint8_t sel_type[SEL_COUNT] = {
	TG_HS_ENCRYPTED_EXTENSIONS, TG_HS_CERTIFICATE, TG_HS_NEW_SESSION_TICKET,
	TG_HS_CERTIFICATE_REQUEST, TG_HS_KEY_UPDATE, TG_HS_FINISHED,
	TG_HS_FINISHED, TG_HS_CLIENT_HELLO,
};

union msg {
	struct tg_hs_encrypted_extensions ee;
	struct tg_hs13_certificate cert;
	struct tg_hs13_new_session_ticket nst;
	struct tg_hs13_certificate_request cr;
	uint8_t ku;
	struct tg_hs13_finished fin;
	struct tg_hs_client_hello ch;
};

static uint8_t out1[TG_TLS_MAX_CLIENT_HELLO + 1024];
static uint8_t out2[TG_TLS_MAX_CLIENT_HELLO + 1024];

static void check(bool ok)
{
	if (!ok)
		abort();
}

static TG_MUST_CHECK tg_result parse(unsigned sel, struct tg_cur *c, union msg *m)
{
	switch (sel) {
	case 0: return tg_hs_encrypted_extensions_parse(c, &m->ee);
	case 1: return tg_hs13_certificate_parse(c, &m->cert);
	case 2: return tg_hs13_new_session_ticket_parse(c, &m->nst);
	case 3: return tg_hs13_certificate_request_parse(c, &m->cr);
	case 4: return tg_hs_key_update_parse(c, &m->ku);
	case 5: return tg_hs13_finished_parse(c, 32, &m->fin);
	case 6: return tg_hs13_finished_parse(c, 48, &m->fin);
	case 7: return tg_hs_client_hello_parse(c, &m->ch);
	default: abort();
	}
}

static TG_MUST_CHECK tg_result wr(unsigned sel, struct tg_wcur *w, const union msg *m)
{
	switch (sel) {
	case 0: return tg_hs_encrypted_extensions_write(w, &m->ee);
	case 1: return tg_hs13_certificate_write(w, &m->cert);
	case 2: return tg_hs13_new_session_ticket_write(w, &m->nst);
	case 3: return tg_hs13_certificate_request_write(w, &m->cr);
	case 4: return tg_hs_key_update_write(w, m->ku);
	case 5:
	case 6: return tg_hs13_finished_write(w, &m->fin);
	case 7: return tg_hs_client_hello_write(w, &m->ch);
	default: abort();
	}
}

/* The ClientHello's 1.3 lookups walk their lists within bounds. */
static void ch_lookups(const struct tg_hs_client_hello *ch)
{
	struct tg_hs_bytes pub, id, binder;
	uint32_t age;
	size_t n = 0;

	for (unsigned g = 0; g < 0x40; g++)
		if (tg_hs_key_share_find(ch, (uint16_t)g, &pub))
			check(pub.len >= 1);
	(void)tg_hs_key_shares_in_groups(ch);
	while (tg_hs_psk_at(ch, n, &id, &age, &binder)) {
		check(id.len >= 1 && binder.len >= 32);
		n++;
	}
	check(n == ch->n_psk);
	if (ch->exts & TG_HS_EXT_PRE_SHARED_KEY)
		check(ch->psk_binders_len >= 2 + 33);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	union msg m1, m2;
	struct tg_cur c, s, body;
	struct tg_wcur w1, w2;
	tg_result r;
	unsigned sel;
	uint8_t type;

	if (size < 1)
		return 0;
	sel = data[0] % SEL_COUNT;
	c = tg_cur_init(data + 1, size - 1);
	r = parse(sel, &c, &m1);
	if (tg_failed(r)) {
		check(r.code == TG_E_DECODE || r.code == TG_E_ILLEGAL_PARAM ||
		      r.code == TG_E_UNSUPPORTED_EXT ||
		      r.code == TG_E_MISSING_EXT || r.code == TG_E_CERT_UNKNOWN);
		return 0;
	}
	check(tg_cur_left(&c) == 0);
	if (sel == 7)
		ch_lookups(&m1.ch);
	w1 = tg_wcur_init(out1, sizeof(out1));
	r = wr(sel, &w1, &m1);
	if (tg_failed(r)) {
		/* a re-encoding may grow past a bound; unknown extensions
		 * are not written back, so a CertificateRequest may lose
		 * all but signature_algorithms */
		check(r.code == TG_E_OVERFLOW || r.code == TG_E_INVAL);
		return 0;
	}
	s = tg_cur_init(out1, w1.pos);
	check(tg_ok(tg_hs_msg_next(&s, &type, &body)));
	check(type == sel_type[sel] && tg_cur_left(&s) == 0);
	check(tg_ok(parse(sel, &body, &m2)));
	w2 = tg_wcur_init(out2, sizeof(out2));
	check(tg_ok(wr(sel, &w2, &m2)));
	check(w2.pos == w1.pos && memcmp(out1, out2, w1.pos) == 0);
	return 0;
}
