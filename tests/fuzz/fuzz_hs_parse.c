/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the handshake message parsers (control/hs/).
 *
 * Input: byte 0 picks the parser, the rest is fed to it:
 *   0 HelloRequest  1 ClientHello  2 ServerHello  3 NewSessionTicket
 *   4 Certificate   5 ServerKeyExchange  6 CertificateRequest
 *   7 ServerHelloDone  8 CertificateVerify  9 ClientKeyExchange (ECDHE)
 *   10 ClientKeyExchange (RSA)  11 Finished
 *   12 a handshake stream: tg_hs_msg_next() frames messages, each is
 *      parsed by its type (ClientKeyExchange as ECDHE).
 * (byte 0 is taken modulo 13.) Modes 0..11 get the body without header.
 *
 * Invariants, abort() on violation:
 *  - a parser fails only with a documented code;
 *  - a signature_algorithms list walked whole (tg_hs_sigalg_set) gives
 *    the schemes of its entries;
 *  - what parses writes back (TG_E_OVERFLOW aside: a re-encoding may grow
 *    by a few bytes), the output frames as one message of the same type,
 *    parses again to the same fields, and writes again to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tg_cur.h"
#include "tg_hs_msg.h"
#include "tg_suite.h"

enum { SEL_STREAM = 12, SEL_COUNT = 13 };

static const uint8_t sel_type[12] = {
	TG_HS_HELLO_REQUEST, TG_HS_CLIENT_HELLO, TG_HS_SERVER_HELLO,
	TG_HS_NEW_SESSION_TICKET, TG_HS_CERTIFICATE,
	TG_HS_SERVER_KEY_EXCHANGE, TG_HS_CERTIFICATE_REQUEST,
	TG_HS_SERVER_HELLO_DONE, TG_HS_CERTIFICATE_VERIFY,
	TG_HS_CLIENT_KEY_EXCHANGE, TG_HS_CLIENT_KEY_EXCHANGE, TG_HS_FINISHED,
};

union msg {
	struct tg_hs_client_hello ch;
	struct tg_hs_server_hello sh;
	struct tg_hs_certificate cert;
	struct tg_hs_server_key_exchange ske;
	struct tg_hs_certificate_request cr;
	struct tg_hs_client_key_exchange cke;
	struct tg_hs_certificate_verify cv;
	struct tg_hs_finished fin;
	struct tg_hs_new_session_ticket nst;
};

static uint8_t out1[TG_TLS_MAX_CLIENT_HELLO + 1024];
static uint8_t out2[TG_TLS_MAX_CLIENT_HELLO + 1024];

static void check(bool ok)
{
	if (!ok)
		abort();
}

static bool b_eq(const struct tg_hs_bytes *a, const struct tg_hs_bytes *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

static bool l_eq(const struct tg_hs_u16_list *a, const struct tg_hs_u16_list *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (tg_hs_u16_at(a, i) != tg_hs_u16_at(b, i))
			return false;
	return true;
}

static bool ch_eq(const struct tg_hs_client_hello *a,
		  const struct tg_hs_client_hello *b)
{
	/* unknown extensions are not written back: not compared */
	return a->version == b->version &&
	       memcmp(a->random, b->random, sizeof(a->random)) == 0 &&
	       a->session_id_len == b->session_id_len &&
	       memcmp(a->session_id, b->session_id, a->session_id_len) == 0 &&
	       l_eq(&a->suites, &b->suites) &&
	       b_eq(&a->compression, &b->compression) &&
	       a->scsv_reneg == b->scsv_reneg &&
	       a->scsv_fallback == b->scsv_fallback &&
	       a->has_ext_block == b->has_ext_block && a->exts == b->exts &&
	       b_eq(&a->host_name, &b->host_name) &&
	       l_eq(&a->groups, &b->groups) &&
	       b_eq(&a->point_formats, &b->point_formats) &&
	       l_eq(&a->sigalgs, &b->sigalgs) && b_eq(&a->alpn, &b->alpn) &&
	       a->alpn_count == b->alpn_count &&
	       b_eq(&a->reneg_info, &b->reneg_info) &&
	       b_eq(&a->ticket, &b->ticket) &&
	       l_eq(&a->versions, &b->versions);
}

static bool sh_eq(const struct tg_hs_server_hello *a,
		  const struct tg_hs_server_hello *b)
{
	return a->version == b->version &&
	       memcmp(a->random, b->random, sizeof(a->random)) == 0 &&
	       a->session_id_len == b->session_id_len &&
	       memcmp(a->session_id, b->session_id, a->session_id_len) == 0 &&
	       a->suite == b->suite && a->has_ext_block == b->has_ext_block &&
	       a->exts == b->exts && b_eq(&a->reneg_info, &b->reneg_info) &&
	       b_eq(&a->alpn, &b->alpn) &&
	       b_eq(&a->point_formats, &b->point_formats);
}

static bool msg_eq(unsigned sel, const union msg *a, const union msg *b)
{
	switch (sel) {
	case 1: return ch_eq(&a->ch, &b->ch);
	case 2: return sh_eq(&a->sh, &b->sh);
	case 3:
		return a->nst.lifetime_hint == b->nst.lifetime_hint &&
		       b_eq(&a->nst.ticket, &b->nst.ticket);
	case 4:
		if (a->cert.n != b->cert.n)
			return false;
		for (size_t i = 0; i < a->cert.n; i++)
			if (!b_eq(&a->cert.cert[i], &b->cert.cert[i]))
				return false;
		return true;
	case 5:
		return a->ske.group == b->ske.group &&
		       b_eq(&a->ske.point, &b->ske.point) &&
		       a->ske.sigalg == b->ske.sigalg &&
		       b_eq(&a->ske.sig, &b->ske.sig);
	case 6:
		return b_eq(&a->cr.cert_types, &b->cr.cert_types) &&
		       l_eq(&a->cr.sigalgs, &b->cr.sigalgs) &&
		       b_eq(&a->cr.cas, &b->cr.cas) && a->cr.n_cas == b->cr.n_cas;
	case 8:
		return a->cv.sigalg == b->cv.sigalg && b_eq(&a->cv.sig, &b->cv.sig);
	case 9:
	case 10:
		return a->cke.kx == b->cke.kx && b_eq(&a->cke.data, &b->cke.data);
	case 11:
		return memcmp(a->fin.verify_data, b->fin.verify_data,
			      sizeof(a->fin.verify_data)) == 0;
	default:
		return true; /* empty messages */
	}
}

static TG_MUST_CHECK tg_result parse(unsigned sel, struct tg_cur *c, union msg *m)
{
	switch (sel) {
	case 0: return tg_hs_hello_request_parse(c);
	case 1: return tg_hs_client_hello_parse(c, &m->ch);
	case 2: return tg_hs_server_hello_parse(c, &m->sh);
	case 3: return tg_hs_new_session_ticket_parse(c, &m->nst);
	case 4: return tg_hs_certificate_parse(c, &m->cert);
	case 5: return tg_hs_server_key_exchange_parse(c, &m->ske);
	case 6: return tg_hs_certificate_request_parse(c, &m->cr);
	case 7: return tg_hs_server_hello_done_parse(c);
	case 8: return tg_hs_certificate_verify_parse(c, &m->cv);
	case 9: return tg_hs_client_key_exchange_parse(c, TG_HS_KX_ECDHE, &m->cke);
	case 10: return tg_hs_client_key_exchange_parse(c, TG_HS_KX_RSA, &m->cke);
	case 11: return tg_hs_finished_parse(c, &m->fin);
	default: abort();
	}
}

static TG_MUST_CHECK tg_result wr(unsigned sel, struct tg_wcur *w, const union msg *m)
{
	switch (sel) {
	case 0: return tg_hs_hello_request_write(w);
	case 1: return tg_hs_client_hello_write(w, &m->ch);
	case 2: return tg_hs_server_hello_write(w, &m->sh);
	case 3: return tg_hs_new_session_ticket_write(w, &m->nst);
	case 4: return tg_hs_certificate_write(w, &m->cert);
	case 5: return tg_hs_server_key_exchange_write(w, &m->ske);
	case 6: return tg_hs_certificate_request_write(w, &m->cr);
	case 7: return tg_hs_server_hello_done_write(w);
	case 8: return tg_hs_certificate_verify_write(w, &m->cv);
	case 9:
	case 10: return tg_hs_client_key_exchange_write(w, &m->cke);
	case 11: return tg_hs_finished_write(w, &m->fin);
	default: abort();
	}
}

static void one(unsigned sel, const uint8_t *p, size_t n)
{
	union msg m1, m2;
	struct tg_cur c = tg_cur_init(p, n), s, body;
	struct tg_wcur w1, w2;
	tg_result r;
	uint8_t type;

	r = parse(sel, &c, &m1);
	if (tg_failed(r)) {
		check(r.code == TG_E_DECODE || r.code == TG_E_ILLEGAL_PARAM ||
		      r.code == TG_E_UNSUPPORTED_EXT ||
		      r.code == TG_E_CERT_UNKNOWN);
		return;
	}
	check(tg_cur_left(&c) == 0);
	/* the sets of signature schemes, walked with the cursor, are those
	 * of the entries one by one */
	if (sel == 1 || sel == 6) {
		const struct tg_hs_u16_list *l = sel == 1 ? &m1.ch.sigalgs
							  : &m1.cr.sigalgs;
		uint32_t want = 0;

		for (size_t i = 0; i < l->n; i++)
			want |= tg_sigalg_bit(tg_hs_u16_at(l, i));
		check(tg_hs_sigalg_set(l) == want);
	}

	w1 = tg_wcur_init(out1, sizeof(out1));
	r = wr(sel, &w1, &m1);
	if (tg_failed(r)) {
		check(r.code == TG_E_OVERFLOW);
		return;
	}
	s = tg_cur_init(out1, w1.pos);
	check(tg_ok(tg_hs_msg_next(&s, &type, &body)));
	check(type == sel_type[sel] && tg_cur_left(&s) == 0);
	check(tg_ok(parse(sel, &body, &m2)));
	check(msg_eq(sel, &m1, &m2));

	w2 = tg_wcur_init(out2, sizeof(out2));
	check(tg_ok(wr(sel, &w2, &m2)));
	check(w2.pos == w1.pos && memcmp(out1, out2, w1.pos) == 0);
}

static unsigned sel_of_type(uint8_t type)
{
	for (unsigned i = 0; i < 12; i++)
		if (sel_type[i] == type)
			return i;
	return SEL_COUNT;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned sel;

	if (size < 1)
		return 0;
	sel = data[0] % SEL_COUNT;
	data++;
	size--;
	if (sel != SEL_STREAM) {
		one(sel, data, size);
		return 0;
	}
	/* a reassembly buffer */
	struct tg_cur stream = tg_cur_init(data, size), body;
	for (;;) {
		size_t before = stream.pos;
		uint8_t type;
		tg_result r = tg_hs_msg_next(&stream, &type, &body);

		if (tg_failed(r)) {
			check(r.code == TG_E_SHORT || r.code == TG_E_OVERFLOW);
			check(stream.pos == before);
			break;
		}
		check(stream.pos == before + TG_TLS_HS_HDR_LEN + body.len);
		sel = sel_of_type(type);
		if (sel < SEL_COUNT)
			one(sel, tg_cur_ptr(&body), tg_cur_left(&body));
	}
	return 0;
}
