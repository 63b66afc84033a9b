/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tcp_cookie.c
 * SYN cookies (RFC 4987 §3.6): when a listener's half-open connections
 * reach its backlog, or no connection object is left, a SYN is answered
 * with a SYN-ACK whose ISN encodes what the connection needs and keeps no
 * state; the ACK that returns it creates the connection.
 *
 * The ISN, from its high bit down:
 *   5 bits  a counter of 65.5 s periods (the cookie is good for two)
 *   3 bits  the peer's MSS, as an index into a table
 *   4 bits  the peer's window shift (15: no window scaling)
 *   1 bit   SACK-permitted
 *   1 bit   timestamps
 *  18 bits  SipHash of the tuple, the peer's ISN, the counter and the
 *           fields above, under the instance's secret
 * With timestamps on, the ACK's own TSval becomes TS.Recent (the SYN's is
 * not kept); the peer's window comes from the ACK.
 */
#include "tcp_int.h"

static const uint16_t tg_cookie_mss[8] = { 536, 1200, 1220, 1360, 1400, 1440, 1460, 8960 };

static uint32_t tg_cookie_mac(const struct tg_tcp *t, const struct tg_tcp_key *k,
			      uint32_t peer_isn, uint32_t fields)
{
	struct {
		struct tg_tcp_key k;
		uint32_t isn, fields;
	} in;
	uint64_t key[2] = { t->key[0] ^ 0x636f6f6b69657321ULL, t->key[1] };

	memset(&in, 0, sizeof(in));
	in.k = *k;
	in.isn = peer_isn;
	in.fields = fields;
	return (uint32_t)tg_tcp_siphash(key, &in, sizeof(in)) & 0x3ffffu;
}

static uint32_t tg_cookie_period(const struct tg_tcp *t)
{
	return (uint32_t)(t->now_ms >> 16) & 31u;
}

/* Answer the SYN @p s with a cookie SYN-ACK. */
void tg_tcp_cookie_reply(struct tg_tcp *t, const struct tg_tcp_key *k,
			 const struct tg_seg *s)
{
	struct tg_tcp_conn c;
	uint32_t fields, mss_i = 0, ws = 15;
	uint16_t peer_mss = s->has_mss && s->mss >= 64 ? s->mss : TG_TCP_DEF_MSS4;

	for (uint32_t i = 0; i < 8; i++)
		if (tg_cookie_mss[i] <= peer_mss)
			mss_i = i;
	c.t = t;
	tg_tcp_conn_init(&c, k);
	c.passive = true;
	c.state = TG_TCP_SYN_RCVD;
	c.irs = s->seq;
	c.rcv_nxt = s->seq + 1;
	/* what the SYN-ACK offers, as tg_tcp_syn_options() decides it */
	if (c.ws_ok && s->has_ws)
		ws = RTE_MIN(s->ws, (uint8_t)TG_TCP_MAX_WS);
	else
		c.ws_ok = false;
	if (!c.ws_ok)
		c.rcv_ws = 0;
	c.sack_ok = c.sack_ok && s->sack_ok;
	c.ts_ok = c.ts_ok && s->has_ts;
	c.ts_recent = s->tsval;
	fields = (tg_cookie_period(t) << 27) | (mss_i << 24) | (ws << 20) |
		 ((uint32_t)c.sack_ok << 19) | ((uint32_t)c.ts_ok << 18);
	c.iss = fields | tg_cookie_mac(t, k, s->seq, fields);
	c.snd_una = c.snd_nxt = c.snd_max = c.iss;
	t->st.syncookies_sent++;
	(void)tg_tcp_xmit(&c, c.iss, 0, TH_SYN | TH_ACK);
}

/* The ACK @p s completes a cookie handshake: a connection, ESTABLISHED,
 * or NULL (not a good cookie, or no connection object left). */
struct tg_tcp_conn *tg_tcp_cookie_accept(struct tg_tcp *t, struct tg_tcp_listener *l,
					 const struct tg_tcp_key *k,
					 const struct tg_seg *s)
{
	uint32_t iss = s->ack - 1, peer_isn = s->seq - 1;
	uint32_t fields = iss & ~0x3ffffu, period = fields >> 27;
	uint32_t now = tg_cookie_period(t), ws = (fields >> 20) & 15u;
	struct tg_tcp_conn *c;

	if ((period != now && period != ((now + 31u) & 31u)) ||
	    tg_cookie_mac(t, k, peer_isn, fields) != (iss & 0x3ffffu)) {
		t->st.syncookies_failed++;
		return NULL;
	}
	c = tg_tcp_conn_alloc(t);
	if (c == NULL) {
		t->st.syn_drop++;
		return NULL;
	}
	tg_tcp_conn_init(c, k);
	c->passive = true;
	c->lst = l;
	c->irs = peer_isn;
	c->rcv_nxt = s->seq;
	/* the window our SYN-ACK offered (unscaled, RFC 7323 §2.2) */
	c->rcv_adv = c->rcv_nxt + RTE_MIN(t->c.rcv_buf, 65535u);
	c->iss = iss;
	c->snd_una = c->snd_nxt = c->snd_max = iss + 1;
	c->snd.seq = iss + 1;
	c->recover = iss;
	c->peer_mss = tg_cookie_mss[(fields >> 24) & 7u];
	if (ws == 15 || !c->ws_ok) {
		c->ws_ok = false;
		c->snd_ws = c->rcv_ws = 0;
	} else {
		c->snd_ws = (uint8_t)ws;
	}
	c->sack_ok = c->sack_ok && (fields & (1u << 19));
	c->ts_ok = c->ts_ok && (fields & (1u << 18)) && s->has_ts;
	if (c->ts_ok) {
		c->ts_recent = s->tsval;
		c->ts_recent_at = t->now_ms;
	}
	{
		/* the MSS and options as for a SYN */
		uint32_t own = tg_tcp_mtu_mss(c);
		uint32_t mss = RTE_MIN((uint32_t)c->peer_mss, own);

		c->opt_len = c->ts_ok ? 12 : 0;
		c->mss = (uint16_t)(mss - c->opt_len);
	}
	c->snd_wnd = (uint32_t)s->wnd << c->snd_ws;
	c->max_snd_wnd = c->snd_wnd;
	c->snd_wl1 = s->seq;
	c->snd_wl2 = s->ack;
	tg_cc_init(c);
	if (!tg_tcp_hash_add(t, k, c)) {
		tg_tcp_release(c);
		t->st.syn_drop++;
		return NULL;
	}
	c->in_hash = true;
	c->state = TG_TCP_SYN_RCVD;
	l->half_open++; /* tg_tcp_established() counts it out */
	t->st.syncookies_ok++;
	return c;
}
