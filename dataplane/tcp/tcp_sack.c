/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tcp_sack.c
 * Selective acknowledgments (RFC 2018) and the loss recovery built on
 * them (RFC 6675): the sender's scoreboard of SACKed ranges, IsLost, the
 * pipe, NextSeg (its four rules) and the transmission loop of a recovery;
 * RACK-TLP (RFC 8985): the time each range went out, losses found by
 * time with a reordering window, the tail loss probe; the receiver's SACK
 * blocks from its out-of-order queue.
 */
#include "tcp_int.h"

static void tg_sb_sum(struct tg_tcp_conn *c)
{
	c->sacked = 0;
	for (unsigned i = 0; i < c->n_sb; i++)
		c->sacked += c->sb[i][1] - c->sb[i][0];
}

void tg_sack_clear(struct tg_tcp_conn *c)
{
	c->n_sb = 0;
	c->sacked = 0;
}

/* Insert [l, r) into the sorted scoreboard, merging what it touches. */
static void tg_sb_add(struct tg_tcp_conn *c, uint32_t l, uint32_t r)
{
	unsigned i = 0, j;

	while (i < c->n_sb && SEQ_LT(c->sb[i][1], l))
		i++;
	/* ranges i .. j-1 overlap or touch [l, r) */
	j = i;
	while (j < c->n_sb && SEQ_LEQ(c->sb[j][0], r)) {
		if (SEQ_LT(c->sb[j][0], l))
			l = c->sb[j][0];
		if (SEQ_GT(c->sb[j][1], r))
			r = c->sb[j][1];
		j++;
	}
	if (j == i) {
		if (c->n_sb == TG_SB_MAX) {
			/* full: the highest range gives way (it matters
			 * least to IsLost below it) */
			if (i == c->n_sb)
				return;
			c->n_sb--;
		}
		memmove(&c->sb[i + 1], &c->sb[i], (c->n_sb - i) * sizeof(c->sb[0]));
		c->n_sb++;
	} else if (j > i + 1) {
		memmove(&c->sb[i + 1], &c->sb[j], (c->n_sb - j) * sizeof(c->sb[0]));
		c->n_sb = (uint8_t)(c->n_sb - (j - i - 1));
	}
	c->sb[i][0] = l;
	c->sb[i][1] = r;
}

/* The peer's SACK blocks (RFC 2018 §3), after snd_una moved: ranges at or
 * below snd_una go; a block outside (snd_una, snd_max] is ignored (RFC
 * 2883 D-SACKs among them). */
void tg_sack_update(struct tg_tcp_conn *c, const struct tg_seg *s)
{
	unsigned k = 0;

	if (tg_sack_is_dsack(s))
		c->t->st.dsack_in++;

	for (unsigned i = 0; i < c->n_sb; i++) {
		if (SEQ_LEQ(c->sb[i][1], c->snd_una))
			continue;
		if (SEQ_LT(c->sb[i][0], c->snd_una))
			c->sb[i][0] = c->snd_una;
		c->sb[k][0] = c->sb[i][0];
		c->sb[k][1] = c->sb[i][1];
		k++;
	}
	c->n_sb = (uint8_t)k;
	for (unsigned i = 0; i < s->n_sack; i++) {
		uint32_t l = s->sack[i][0], r = s->sack[i][1];

		if (!SEQ_LT(l, r) || !SEQ_GT(l, c->snd_una) || SEQ_GT(r, c->snd_max))
			continue;
		tg_sb_add(c, l, r);
	}
	tg_sb_sum(c);
}

/* RFC 6675 §4 IsLost, as a boundary: every unSACKed byte below it has
 * DupThresh SACKed segments or more than (DupThresh - 1) * SMSS SACKed
 * bytes above it. snd_una when nothing is lost. */
static uint32_t tg_sack_lost_edge(const struct tg_tcp_conn *c)
{
	uint32_t bytes = 0, segs = 0;

	for (unsigned i = c->n_sb; i-- > 0;) {
		uint32_t len = c->sb[i][1] - c->sb[i][0];

		bytes += len;
		segs += (len + c->mss - 1) / c->mss;
		if (bytes > (TG_DUPTHRESH - 1) * (uint32_t)c->mss || segs >= TG_DUPTHRESH)
			return c->sb[i][0];
	}
	return c->snd_una;
}

/* SACKed bytes in [a, b) */
static uint32_t tg_sb_in(const struct tg_tcp_conn *c, uint32_t a, uint32_t b)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < c->n_sb; i++) {
		uint32_t l = SEQ_GT(c->sb[i][0], a) ? c->sb[i][0] : a;
		uint32_t r = SEQ_LT(c->sb[i][1], b) ? c->sb[i][1] : b;

		if (SEQ_LT(l, r))
			n += r - l;
	}
	return n;
}

bool tg_sack_lost_una(const struct tg_tcp_conn *c)
{
	return SEQ_GT(tg_sack_lost_edge(c), c->snd_una);
}

/* ---- RACK (RFC 8985) ------------------------------------------------------------------- */

static inline uint32_t tg_rack_now(const struct tg_tcp_conn *c)
{
	return (uint32_t)tg_net_now_us(c->t->net);
}

/* §6.2 RACK_sent_after: t1 later than t2, the sequence breaking ties */
static inline bool tg_rack_after(uint32_t t1, uint32_t s1, uint32_t t2, uint32_t s2)
{
	int32_t d = (int32_t)(t1 - t2);

	return d > 0 || (d == 0 && SEQ_GT(s1, s2));
}

static inline bool tg_rk_same(const struct tg_rack_ent *a, const struct tg_rack_ent *b)
{
	if (a->r != b->l)
		return false;
	if ((a->fl & TG_RK_DELIVERED) && (b->fl & TG_RK_DELIVERED))
		return true;
	return a->ts == b->ts && a->fl == b->fl;
}

/* Join neighbours that say the same (delivered ones always), then, over
 * the bound, the newest ones: their time the later (a loss found later
 * than it could be, never earlier). */
static void tg_rack_compact(struct tg_rack *k, struct tg_rack_ent *e, unsigned n)
{
	unsigned m = 0;

	for (unsigned i = 0; i < n; i++) {
		if (m > 0 && tg_rk_same(&e[m - 1], &e[i])) {
			e[m - 1].r = e[i].r;
			continue;
		}
		e[m++] = e[i];
	}
	while (m > TG_RACK_MAX) {
		struct tg_rack_ent *a = &e[m - 2], *b = &e[m - 1];

		a->r = b->r;
		if ((int32_t)(b->ts - a->ts) > 0)
			a->ts = b->ts;
		a->fl = (uint8_t)((a->fl | b->fl) & ~TG_RK_DELIVERED);
		m--;
	}
	if (e != k->e)
		memcpy(k->e, e, m * sizeof(e[0]));
	k->n = (uint8_t)m;
}

/* [seq, seq + len) went out now (a retransmission when @p retrans) */
void tg_rack_sent(struct tg_tcp_conn *c, uint32_t seq, uint32_t len, bool retrans)
{
	struct tg_rack *k = &c->rack;
	struct tg_rack_ent ne = { seq, seq + len, tg_rack_now(c),
				  retrans ? TG_RK_RETRANS : 0 };
	struct tg_rack_ent tmp[TG_RACK_MAX + 3];
	unsigned n = 0;
	bool put = false;

	if (retrans)
		tg_undo_rtx(c, seq, len);
	if (len == 0 || !tg_rack_on(c))
		return;
	/* new data after the last range: the common case */
	if (k->n == 0 || SEQ_GEQ(seq, k->e[k->n - 1].r)) {
		if (k->n > 0 && tg_rk_same(&k->e[k->n - 1], &ne)) {
			k->e[k->n - 1].r = ne.r;
			return;
		}
		if (k->n < TG_RACK_MAX) {
			k->e[k->n++] = ne;
			return;
		}
	}
	/* painted over what is there */
	for (unsigned i = 0; i < k->n; i++) {
		const struct tg_rack_ent *o = &k->e[i];

		if (SEQ_LEQ(o->r, ne.l)) {
			tmp[n++] = *o;
			continue;
		}
		if (!put && SEQ_GEQ(o->l, ne.r)) {
			tmp[n++] = ne;
			put = true;
		}
		if (SEQ_GEQ(o->l, ne.r)) {
			tmp[n++] = *o;
			continue;
		}
		/* overlaps */
		if (SEQ_LT(o->l, ne.l)) {
			tmp[n] = *o;
			tmp[n++].r = ne.l;
		}
		if (SEQ_GT(o->r, ne.r)) {
			if (!put) {
				tmp[n++] = ne;
				put = true;
			}
			tmp[n] = *o;
			tmp[n++].l = ne.r;
		}
	}
	if (!put)
		tmp[n++] = ne;
	tg_rack_compact(k, tmp, n);
}

void tg_rack_reset(struct tg_tcp_conn *c)
{
	struct tg_rack *k = &c->rack;

	k->n = 0;
	k->tlp_out = false;
	k->reo_due_ms = 0;
	k->rescue = false;
	/* a timeout: its recovery ends when SND.UNA reaches RecoveryPoint
	 * (tg_cc_on_rto), §6.2 step 4 counts it (tg_rack_adapt) */
	k->rto_rec = true;
}

/* Split the ranges at @p at (a SACK block's edge); false when full. */
static bool tg_rack_split(struct tg_rack *k, uint32_t at)
{
	for (unsigned i = 0; i < k->n; i++) {
		struct tg_rack_ent *e = &k->e[i];

		if (SEQ_GEQ(at, e->r))
			continue;
		if (SEQ_LEQ(at, e->l))
			return true;
		if (k->n == TG_RACK_MAX)
			return false;
		memmove(&k->e[i + 1], &k->e[i], (k->n - i) * sizeof(k->e[0]));
		k->n++;
		k->e[i].r = at;
		k->e[i + 1].l = at;
		return true;
	}
	return true;
}

/* §6.2 step 4: the reordering window, us: min_RTT / 4 times
 * RACK.reo_wnd_mult, which D-SACKs raise (tg_rack_adapt), at most SRTT */
static uint32_t tg_rack_reo_wnd(const struct tg_tcp_conn *c)
{
	const struct tg_rack *k = &c->rack;
	uint64_t w;

	if (!k->reord && (c->in_recovery || c->sacked >= TG_DUPTHRESH * (uint32_t)c->mss))
		return 0;
	w = k->min_ok ? (uint64_t)(k->min_rtt_us / 4) * (1u + k->reo_steps) : 0;
	if (c->srtt_us)
		w = RTE_MIN(w, (uint64_t)c->srtt_us);
	return (uint32_t)RTE_MIN(w, (uint64_t)UINT32_MAX);
}

/* RFC 3708 §3, as Linux's tcp_dsack_seen: a D-SACK tells of a needless
 * retransmission only while the segments D-SACKed do not outnumber those
 * we resent; one of data never resent is the network's duplicate (or a
 * block that makes no sense), no sign of reordering. */
static bool tg_rack_dsack_resent(struct tg_tcp_conn *c, const struct tg_seg *s)
{
	uint32_t l = s->sack[0][0], r = s->sack[0][1];

	if (!SEQ_LT(l, r) || r - l > RTE_MAX(c->max_snd_wnd, (uint32_t)c->mss))
		return false;
	c->rack.dsack_segs += (r - l + c->mss - 1) / c->mss;
	return c->rack.dsack_segs <= c->retrans_total;
}

/*
 * §6.2 step 4, RACK_update_reo_wnd(): a D-SACK says a retransmission was
 * not needed, the reordering was deeper than the window: the window grows
 * by min_RTT / 4, once per round trip, and stays so for the next 16
 * recoveries without one. The round ends when SND.UNA passes what was
 * sent when it grew (SND.MAX), by data sent after: the RFC's SND.UNA >=
 * SND.NXT holds at once when nothing was outstanding, and the D-SACKs of
 * the same spurious retransmissions, one ACK each, grew it again each.
 */
static void tg_rack_adapt(struct tg_tcp_conn *c, const struct tg_seg *s)
{
	struct tg_rack *k = &c->rack;

	if (k->rto_rec && !c->in_recovery && SEQ_GEQ(c->snd_una, c->recover)) {
		k->rto_rec = false;
		k->rec_end = true;
	}
	if (k->dsack_round_ok && SEQ_GT(c->snd_una, k->dsack_round))
		k->dsack_round_ok = false;
	if (tg_sack_is_dsack(s) && tg_rack_dsack_resent(c, s) && !k->dsack_round_ok) {
		k->dsack_round_ok = true;
		k->dsack_round = c->snd_max;
		if (k->reo_steps < UINT8_MAX)
			k->reo_steps++;
		k->reo_persist = 16;
	} else if (k->rec_end && k->reo_persist > 0 && --k->reo_persist == 0) {
		/* "Else if exiting Fast or RTO recovery": a recovery
		 * whose last ACK grew the window is not one without */
		k->reo_steps = 0;
	}
	k->rec_end = false;
}

/* A fast recovery ended: one of the 16 without a D-SACK (§6.2 step 4),
 * as is an RTO's (tg_rack_reset); tg_rack_adapt counts it on the same
 * ACK, unless that ACK grows the window */
void tg_rack_recovery_end(struct tg_tcp_conn *c)
{
	c->rack.rec_end = true;
}

/* §6.2 step 5: ranges sent before the latest delivered one by more than
 * its RTT and the window are lost; for the others, when they would be
 * (the reordering timer, §6.3). Returns the bytes newly marked. */
static uint32_t tg_rack_detect(struct tg_tcp_conn *c)
{
	struct tg_rack *k = &c->rack;
	uint32_t now = tg_rack_now(c), reo = tg_rack_reo_wnd(c), bytes = 0;
	int32_t wait = 0;

	k->reo_due_ms = 0;
	if (!k->have)
		return 0;
	for (unsigned i = 0; i < k->n; i++) {
		struct tg_rack_ent *e = &k->e[i];
		int32_t left;

		if (e->fl & (TG_RK_DELIVERED | TG_RK_LOST))
			continue;
		if (!tg_rack_after(k->xmit_ts, k->end_seq, e->ts, e->r))
			continue;
		left = (int32_t)(e->ts + k->rtt_us + reo - now);
		if (left <= 0) {
			e->fl |= TG_RK_LOST;
			bytes += e->r - e->l;
			c->t->st.rack_lost += (e->r - e->l + c->mss - 1) / c->mss;
		} else if (left > wait) {
			wait = left;
		}
	}
	if (wait > 0)
		k->reo_due_ms = c->t->now_ms + ((uint32_t)wait + 999) / 1000;
	return bytes;
}

/* Loss found by RACK: a recovery (RFC 6675 §5 step 4, one congestion
 * response per episode: not while a previous one's data is outstanding,
 * RFC 6582 §3.2, RFC 8985 §9.3), or more to resend in the current one. */
static void tg_rack_lost(struct tg_tcp_conn *c)
{
	if (!c->in_recovery && SEQ_GEQ(c->snd_una, c->recover) &&
	    c->snd_nxt == c->snd_max) {
		tg_cc_on_dupack(c);
		c->recover = c->snd_max;
		c->in_recovery = true;
		c->t->st.fast_retransmits++;
		tg_sack_enter(c);
	}
	tg_tcp_want_output(c);
}

/* §7.4: what the ACK says of an outstanding probe */
static void tg_rack_tlp_ack(struct tg_tcp_conn *c, const struct tg_seg *s, bool advanced)
{
	struct tg_rack *k = &c->rack;
	bool dsack;

	if (!k->tlp_out || SEQ_LT(s->ack, k->tlp_end))
		return;
	/* the probe's own D-SACK: the original had arrived. Only one at or
	 * below the ACK (RFC 2883 §4.1.1) can be the probe's: one inside
	 * the second block (§4.1.3) is of data above the ACK, after it */
	dsack = tg_sack_is_dsack(s) && SEQ_LEQ(s->sack[0][1], s->ack) &&
		SEQ_GEQ(s->sack[0][1], k->tlp_end);
	if (!k->tlp_retrans || dsack) {
		k->tlp_out = false;
	} else if (SEQ_GT(s->ack, k->tlp_end)) {
		/* the probe repaired a loss: the window goes down once,
		 * as in a recovery (§7.4.2) */
		k->tlp_out = false;
		c->t->st.tlp_recovered++;
		if (!c->in_recovery && SEQ_GEQ(c->snd_una, c->recover)) {
			tg_cc_on_dupack(c);
			c->cwnd = c->ssthresh;
			c->recover = c->snd_max;
			/* a loss shown repaired: nothing to undo */
			c->undo.on = false;
		}
	} else if (!advanced && s->len == 0 && s->n_sack == 0) {
		/* a duplicate ACK: both the original and the probe came */
		k->tlp_out = false;
	}
}

/* After an ACK's SACK blocks and SND.UNA went in (tcp_in.c): §6.2 steps
 * 1-5 and the probe's fate; a loss found starts or feeds a recovery; the
 * timer is set again for the reordering window when one runs. */
void tg_rack_on_ack(struct tg_tcp_conn *c, const struct tg_seg *s, bool advanced)
{
	struct tg_rack *k = &c->rack;
	uint32_t now = tg_rack_now(c), lost;
	unsigned m = 0;

	if (!tg_rack_on(c))
		return;
	tg_rack_adapt(c, s);
	/* nothing of ours outstanding, no probe, no reordering timer (the
	 * receiving end of a transfer, every segment of which comes here):
	 * each step below would find nothing to do */
	if (k->n == 0 && !k->tlp_out && k->reo_due_ms == 0 && k->tmode != TG_RTX_REO)
		return;
	for (unsigned i = 0; i < c->n_sb; i++) {
		(void)tg_rack_split(k, c->sb[i][0]);
		(void)tg_rack_split(k, c->sb[i][1]);
	}
	for (unsigned i = 0; i < k->n; i++) {
		struct tg_rack_ent *e = &k->e[i];
		bool acked = SEQ_LEQ(e->r, c->snd_una);
		uint32_t rtt;

		if (!(e->fl & TG_RK_DELIVERED) &&
		    (acked || tg_sb_in(c, e->l, e->r) == e->r - e->l)) {
			/* step 2: newly delivered */
			e->fl = (uint8_t)((e->fl | TG_RK_DELIVERED) & ~TG_RK_LOST);
			rtt = now - e->ts;
			if (!(e->fl & TG_RK_RETRANS) && (!k->min_ok || rtt < k->min_rtt_us)) {
				k->min_rtt_us = rtt;
				k->min_ok = true;
			}
			/* step 3: delivered below the highest delivered,
			 * never resent: reordering */
			if (!k->fack_ok || SEQ_GT(e->r, k->fack)) {
				k->fack = e->r;
				k->fack_ok = true;
			}
			else if (SEQ_LT(e->r, k->fack) && !(e->fl & TG_RK_RETRANS))
				k->reord = true;
			/* a retransmission acknowledged perhaps for its
			 * original: no sample */
			if ((e->fl & TG_RK_RETRANS) &&
			    ((k->min_ok && rtt < k->min_rtt_us) ||
			     (c->ts_ok && s->has_ts && s->tsecr != 0 &&
			      (int32_t)(s->tsecr - c->ts_off -
					(uint32_t)(c->t->now_ms - rtt / 1000u)) < 0)))
				continue;
			if (!k->have || tg_rack_after(e->ts, e->r, k->xmit_ts, k->end_seq)) {
				k->have = true;
				k->xmit_ts = e->ts;
				k->end_seq = e->r;
				k->rtt_us = rtt;
			}
		}
	}
	/* what the cumulative ACK covers goes */
	for (unsigned i = 0; i < k->n; i++) {
		struct tg_rack_ent *e = &k->e[i];

		if (SEQ_LEQ(e->r, c->snd_una))
			continue;
		if (SEQ_LT(e->l, c->snd_una))
			e->l = c->snd_una;
		k->e[m++] = *e;
	}
	k->n = (uint8_t)m;
	tg_rack_compact(k, k->e, k->n);
	lost = tg_rack_detect(c);
	if (lost > 0)
		tg_rack_lost(c);
	tg_rack_tlp_ack(c, s, advanced);
	/* the reordering timer replaces the RTO while it runs (§8) */
	if (k->reo_due_ms != 0 || k->tmode == TG_RTX_REO)
		tg_tcp_arm_rtx(c);
}

/* The reordering timer (§6.3) */
void tg_rack_reo_fire(struct tg_tcp_conn *c)
{
	if (tg_rack_detect(c) > 0) {
		tg_rack_lost(c);
		tg_tcp_output(c);
	}
	if (!tg_timer_armed(&c->tm_rtx) && c->snd_una != c->snd_max)
		tg_tcp_arm_rtx(c);
}

/* §7.2: when a probe is due (in @p at, ms) instead of the RTO; false when
 * none may be sent: recovery, a timeout's, a probe outstanding, no RTT */
bool tg_rack_pto(struct tg_tcp_conn *c, uint64_t *at)
{
	uint32_t flight = c->snd_max - c->snd_una, pto_us;

	if (!tg_rack_on(c) || c->in_recovery || c->nrtx != 0 || c->persist ||
	    c->rack.tlp_out || c->srtt_us == 0 || flight == 0 ||
	    c->snd_nxt != c->snd_max || c->state < TG_TCP_ESTABLISHED ||
	    c->state == TG_TCP_TIME_WAIT)
		return false;
	pto_us = 2 * c->srtt_us;
	/* one segment out: the peer may hold its ACK back that long */
	pto_us += flight <= c->mss ? TG_WCDELACK_MS * 1000u : 2000u;
	/* a floor: with an SRTT of microseconds (one machine, memif) the
	 * ACKs of a poll loop that stalls a few ms (a busy core, a VM's
	 * scheduling, a burst of seals) would each be beaten by a probe,
	 * D-SACKed: spurious probes at high rates. 10 ms is 10 ticks of the
	 * wheel and still 20 times under the RTO's 200 ms floor */
	pto_us = RTE_MAX(pto_us, TG_PTO_MIN_MS * 1000u);
	*at = c->t->now_ms + (pto_us + 999) / 1000;
	return true;
}

/* §7.3: the probe: a new segment when the peer's window takes one, else
 * the last one again; then the RTO */
void tg_rack_tlp_fire(struct tg_tcp_conn *c)
{
	struct tg_tcp *t = c->t;
	struct tg_rack *k = &c->rack;
	uint32_t data_end = c->snd.seq + c->snd.len;
	uint32_t avail = SEQ_GT(data_end, c->snd_max) ? data_end - c->snd_max : 0;
	uint32_t wnd_end = c->snd_una + c->snd_wnd;
	uint32_t room = SEQ_GT(wnd_end, c->snd_max) ? wnd_end - c->snd_max : 0;
	uint32_t len = RTE_MIN(RTE_MIN(avail, room), (uint32_t)c->mss);
	bool fin = c->fin_queued && !c->fin_sent && len == avail && c->snd_wnd > 0;
	uint8_t fl = TH_ACK;

	if (len > 0 || fin) {
		if (len > 0 && c->snd_max + len == data_end)
			fl |= TH_PSH;
		if (fin)
			fl |= TH_FIN;
		if (tg_tcp_xmit(c, c->snd_max, len, fl)) {
			tg_rack_sent(c, c->snd_max, len + fin, false);
			c->snd_max += len + fin;
			c->snd_nxt = c->snd_max;
			if (fin)
				c->fin_sent = true;
			k->tlp_retrans = false;
			k->tlp_out = true;
		}
	} else {
		/* the last segment: it holds the highest sequence number */
		uint32_t top = c->snd_max;
		bool has_fin = c->fin_sent && top == data_end + 1;
		uint32_t dend = has_fin ? data_end : top;
		uint32_t from = SEQ_GT(dend, c->snd_una + c->mss) ? dend - c->mss : c->snd_una;

		if (SEQ_LT(dend, from))
			dend = from;
		len = dend - from;
		if (has_fin)
			fl |= TH_FIN;
		if ((len > 0 || has_fin) && tg_tcp_xmit(c, from, len, fl)) {
			tg_rack_sent(c, from, len + has_fin, true);
			t->st.retransmits++;
			c->retrans_total++;
			c->rtt_timing = false;
			k->tlp_retrans = true;
			k->tlp_out = true;
		}
	}
	if (k->tlp_out) {
		k->tlp_end = c->snd_max;
		t->st.tlp++;
	}
	k->tmode = TG_RTX_RTO;
	tg_wheel_arm(&t->wheel, &c->tm_rtx, t->now_ms + tg_tcp_cur_rto(c));
}

/* ---- RFC 6675 recovery ---------------------------------------------------------------------- */

/* RACK's lost bytes not resent since */
static uint32_t tg_rack_lost_bytes(const struct tg_tcp_conn *c)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < c->rack.n; i++)
		if (c->rack.e[i].fl & TG_RK_LOST)
			n += c->rack.e[i].r - c->rack.e[i].l;
	return n;
}

/* RFC 6675 §4 SetPipe: outstanding, neither SACKed nor lost, and what
 * was resent. With RACK, lost is what it marked and has not resent. */
static uint32_t tg_sack_pipe(const struct tg_tcp_conn *c, uint32_t edge)
{
	uint32_t from, pipe;

	if (tg_rack_on(c)) {
		uint32_t out = (c->snd_max - c->snd_una) - c->sacked;
		uint32_t lost = tg_rack_lost_bytes(c);

		return out > lost ? out - lost : 0;
	}
	from = SEQ_GT(edge, c->snd_una) ? edge : c->snd_una;
	pipe = (c->snd_max - from) - tg_sb_in(c, from, c->snd_max);
	if (SEQ_GT(c->high_rxt, c->snd_una))
		pipe += (c->high_rxt - c->snd_una) - tg_sb_in(c, c->snd_una, c->high_rxt);
	return pipe;
}

/* From @p s up: the first byte not SACKed (in *s) and how many follow it
 * before the next SACKed one, at most @p max (0: none below @p lim). */
static uint32_t tg_sb_hole(const struct tg_tcp_conn *c, uint32_t *s, uint32_t lim,
			   uint32_t max)
{
	uint32_t len;

	for (unsigned i = 0; i < c->n_sb; i++) {
		if (SEQ_LT(*s, c->sb[i][0]))
			break;
		if (SEQ_LT(*s, c->sb[i][1]))
			*s = c->sb[i][1];
	}
	if (!SEQ_LT(*s, lim))
		return 0;
	len = RTE_MIN(lim - *s, max);
	for (unsigned i = 0; i < c->n_sb; i++)
		if (SEQ_GT(c->sb[i][0], *s)) {
			len = RTE_MIN(len, c->sb[i][0] - *s);
			break;
		}
	return len;
}

/* NextSeg rule (1): the first lost byte not resent; RACK's lost ranges,
 * or without RACK what IsLost says above HighRxt */
static uint32_t tg_next_lost(const struct tg_tcp_conn *c, uint32_t edge, uint32_t *s)
{
	if (tg_rack_on(c)) {
		for (unsigned i = 0; i < c->rack.n; i++) {
			const struct tg_rack_ent *e = &c->rack.e[i];
			uint32_t len;

			if (!(e->fl & TG_RK_LOST))
				continue;
			*s = SEQ_GT(e->l, c->snd_una) ? e->l : c->snd_una;
			len = tg_sb_hole(c, s, e->r, c->mss);
			if (len > 0)
				return len;
		}
		return 0;
	}
	*s = SEQ_GT(c->high_rxt, c->snd_una) ? c->high_rxt : c->snd_una;
	return tg_sb_hole(c, s, edge, c->mss);
}

/* NextSeg rule (3): a hole above HighRxt, below the highest SACKed byte,
 * not (yet) lost */
static uint32_t tg_next_hole(const struct tg_tcp_conn *c, uint32_t *s)
{
	if (c->n_sb == 0)
		return 0;
	*s = SEQ_GT(c->high_rxt, c->snd_una) ? c->high_rxt : c->snd_una;
	return tg_sb_hole(c, s, c->sb[c->n_sb - 1][0], c->mss);
}

/* NextSeg rule (4): once a recovery (HighACK past RescueRxt), a segment
 * holding the highest unSACKed sequence number; *s and its length with
 * a FIN counted */
static uint32_t tg_next_rescue(const struct tg_tcp_conn *c, uint32_t *s)
{
	uint32_t top = c->snd_max, low = c->snd_una;

	if (c->rack.rescue && !SEQ_GT(c->snd_una, c->rack.rescue_rxt))
		return 0;
	if (c->n_sb > 0 && c->sb[c->n_sb - 1][1] == top) {
		top = c->sb[c->n_sb - 1][0];
		if (c->n_sb > 1)
			low = c->sb[c->n_sb - 2][1];
	} else if (c->n_sb > 0) {
		low = c->sb[c->n_sb - 1][1];
	}
	if (SEQ_LT(low, c->snd_una))
		low = c->snd_una;
	/* with RACK a resent segment lost again is found lost again:
	 * no rescue of what this recovery resent already */
	if (!SEQ_GT(top, low) || (tg_rack_on(c) && !SEQ_GT(top, c->high_rxt)))
		return 0;
	*s = SEQ_GT(top, low + c->mss) ? top - c->mss : low;
	return top - *s;
}

/* RFC 6675 §5 step 4: entering recovery (the caller set ssthresh) */
void tg_sack_enter(struct tg_tcp_conn *c)
{
	c->sack_rec = true;
	c->high_rxt = c->snd_una;
	c->cwnd = c->ssthresh;
	c->rack.rescue = false;
	/* a probe's loss is this recovery's to repair and respond to
	 * (RFC 8985 §7.4: one response, not a second one for the probe) */
	c->rack.tlp_out = false;
	if (tg_rack_on(c)) {
		/* 4.3: the first lost segment at once, whatever the pipe */
		uint32_t s, len = tg_next_lost(c, c->snd_una, &s);
		uint32_t data_end = c->snd.seq + c->snd.len;
		uint8_t fl = TH_ACK;

		if (len == 0)
			goto una; /* duplicate ACKs without blocks */
		if (SEQ_GT(s + len, data_end))
			len = SEQ_GT(data_end, s) ? data_end - s : 0;
		if (c->fin_sent && s + len == data_end)
			fl |= TH_FIN;
		if ((len > 0 || (fl & TH_FIN)) && tg_tcp_xmit(c, s, len, fl)) {
			tg_rack_sent(c, s, len + !!(fl & TH_FIN), true);
			c->t->st.retransmits++;
			c->retrans_total++;
			c->rtt_timing = false;
			c->high_rxt = s + len;
		}
		return;
	}
una:
	/* 4.3: the first segment presumed lost goes at once */
	tg_tcp_retransmit_una(c);
	c->high_rxt = c->snd_una + RTE_MIN((uint32_t)c->mss,
					   c->snd.seq + c->snd.len - c->snd_una);
}

/* RFC 6675 §5 step C: while cwnd - pipe >= 1 SMSS, NextSeg */
void tg_sack_output(struct tg_tcp_conn *c)
{
	struct tg_tcp *t = c->t;
	uint32_t edge = tg_rack_on(c) ? c->snd_una : tg_sack_lost_edge(c);
	uint32_t pipe = tg_sack_pipe(c, edge);
	uint32_t data_end = c->snd.seq + c->snd.len;

	for (int n = 0; n < 256 && c->cwnd >= pipe + c->mss; n++) {
		uint32_t s = 0, len;
		uint8_t fl = TH_ACK;
		bool rescue = false;

		/* (1) the first lost byte not resent */
		len = tg_next_lost(c, edge, &s);
		if (len == 0) {
			/* (2) new data, within the peer's window */
			uint32_t avail = SEQ_GT(data_end, c->snd_max) ? data_end - c->snd_max : 0;
			uint32_t wnd_end = c->snd_una + c->snd_wnd;
			uint32_t room = SEQ_GT(wnd_end, c->snd_max) ? wnd_end - c->snd_max : 0;
			bool fin;

			len = RTE_MIN(RTE_MIN(avail, room), (uint32_t)c->mss);
			fin = c->fin_queued && !c->fin_sent && c->snd_max + len == data_end;
			if (len > 0 || fin) {
				if (len > 0 && c->snd_max + len == data_end)
					fl |= TH_PSH;
				if (fin)
					fl |= TH_FIN;
				if (!tg_tcp_xmit(c, c->snd_max, len, fl))
					break;
				tg_rack_sent(c, c->snd_max, len + fin, false);
				c->snd_max += len + (fin ? 1 : 0);
				c->snd_nxt = c->snd_max;
				if (fin)
					c->fin_sent = true;
				pipe += len;
				continue;
			}
			/* (3) a hole below the highest SACKed byte, not
			 * resent, not yet lost */
			len = tg_next_hole(c, &s);
			/* (4) the rescue retransmission */
			if (len == 0) {
				len = tg_next_rescue(c, &s);
				rescue = true;
			}
			if (len == 0)
				break;
		}
		/* a retransmission of [s, s + len): the FIN with the
		 * last byte, or alone past it */
		if (SEQ_GT(s + len, data_end)) {
			fl |= TH_FIN;
			len = SEQ_GT(data_end, s) ? data_end - s : 0;
		} else if (c->fin_sent && s + len == data_end) {
			fl |= TH_FIN;
		}
		if (!c->fin_sent)
			fl &= (uint8_t)~TH_FIN;
		if (len == 0 && !(fl & TH_FIN))
			break;
		if (!tg_tcp_xmit(c, s, len, fl))
			break;
		tg_rack_sent(c, s, len + !!(fl & TH_FIN), true);
		t->st.retransmits++;
		c->retrans_total++;
		c->rtt_timing = false;
		if (rescue) {
			/* HighRxt stays */
			c->rack.rescue = true;
			c->rack.rescue_rxt = c->recover;
		} else if (SEQ_GT(s + len, c->high_rxt) || !SEQ_GT(c->high_rxt, c->snd_una)) {
			c->high_rxt = s + len;
		}
		pipe += len;
	}
	if (!tg_timer_armed(&c->tm_rtx))
		tg_tcp_arm_rtx(c);
}

/* ---- undoing a spurious response (RFC 3708, RFC 4015) ----------------------------------- */

/*
 * A fast recovery or a timeout's recovery cuts the window on the belief
 * that data was lost. When the peer D-SACKs every retransmission of the
 * episode (RFC 3708 §2 with D-SACK: each reached it twice, the original
 * came too), none was needed: the window, ssthresh and CUBIC's curve go
 * back to what they were before (RFC 4015 §3, as Linux's undo). Kept
 * per episode: the window before it, the ranges resent and the parts of
 * them D-SACKed since. A D-SACK counts only where it meets a range
 * resent (the network's duplicate of data never resent is no evidence),
 * as a set (a D-SACK repeated, or an ACK the network duplicated, cannot
 * stand for another retransmission's). Only with SACK agreed.
 */

/* A congestion response starts (before cwnd and ssthresh change): a new
 * episode, the previous one's chance gone */
void tg_undo_begin(struct tg_tcp_conn *c)
{
	struct tg_undo *u = &c->undo;

	u->on = false;
	/* a probe resent and outstanding may be what repairs a loss
	 * (RFC 8985 §7.4): the recovery that takes it over responds for it */
	if (!c->sack_ok || (c->rack.tlp_out && c->rack.tlp_retrans))
		return;
	u->on = true;
	u->ended = false;
	u->n = 0;
	u->nd = 0;
	u->cwnd = c->cwnd;
	u->ssthresh = c->ssthresh;
	u->cubic = c->cubic;
}

/* Insert [l, r) into sorted, disjoint ranges @p e (@p n of them),
 * merging those it overlaps or touches; false when it would need a new
 * range and all are taken. */
static bool tg_undo_add(uint32_t e[][2], uint8_t *n, uint32_t l, uint32_t r)
{
	unsigned i = 0, j;

	while (i < *n && SEQ_LT(e[i][1], l))
		i++;
	for (j = i; j < *n && SEQ_LEQ(e[j][0], r); j++) {
		if (SEQ_LT(e[j][0], l))
			l = e[j][0];
		if (SEQ_GT(e[j][1], r))
			r = e[j][1];
	}
	if (j == i) {
		if (*n == TG_UNDO_MAX)
			return false;
		memmove(&e[i + 1], &e[i], (*n - i) * sizeof(e[0]));
		(*n)++;
	} else if (j > i + 1) {
		memmove(&e[i + 1], &e[j], (*n - j) * sizeof(e[0]));
		*n = (uint8_t)(*n - (j - i - 1));
	}
	e[i][0] = l;
	e[i][1] = r;
	return true;
}

/* [seq, seq + len) went out again: one more range to be D-SACKed. Bytes
 * resent a second time (a retransmission taken as lost, a timeout's
 * go-back over them) or more ranges than kept: no undo this time (which
 * D-SACK would be whose could not be told). */
void tg_undo_rtx(struct tg_tcp_conn *c, uint32_t seq, uint32_t len)
{
	struct tg_undo *u = &c->undo;

	if (!u->on || len == 0)
		return;
	for (unsigned i = 0; i < u->n; i++)
		if (SEQ_LT(u->rtx[i][0], seq + len) && SEQ_LT(seq, u->rtx[i][1])) {
			u->on = false;
			return;
		}
	if (!tg_undo_add(u->rtx, &u->n, seq, seq + len))
		u->on = false;
}

/* A D-SACK's block: the parts of it that were resent are D-SACKed (a
 * block repeated, or an ACK the network duplicated, adds nothing) */
static void tg_undo_dsack(struct tg_undo *u, const struct tg_seg *s)
{
	uint32_t l = s->sack[0][0], r = s->sack[0][1];

	if (!SEQ_LT(l, r))
		return;
	for (unsigned i = 0; i < u->n; i++) {
		uint32_t a = SEQ_GT(u->rtx[i][0], l) ? u->rtx[i][0] : l;
		uint32_t b = SEQ_LT(u->rtx[i][1], r) ? u->rtx[i][1] : r;

		if (SEQ_LT(a, b))
			(void)tg_undo_add(u->dup, &u->nd, a, b);
	}
}

/* every range resent lies in one D-SACKed */
static bool tg_undo_all_dup(const struct tg_undo *u)
{
	for (unsigned i = 0; i < u->n; i++) {
		bool in = false;

		for (unsigned j = 0; j < u->nd && !in; j++)
			in = SEQ_LEQ(u->dup[j][0], u->rtx[i][0]) &&
			     SEQ_GEQ(u->dup[j][1], u->rtx[i][1]);
		if (!in)
			return false;
	}
	return u->n > 0;
}

/* After an ACK's SACK blocks, SND.UNA and the recovery's state went in
 * (tcp_in.c): its D-SACK counted; once the recovery is over and SND.UNA
 * covers every byte resent (D-SACK evidence only of data acknowledged
 * cumulatively, which a receiver cannot renege on), the response is
 * undone when all were D-SACKed. The D-SACKs come about an RTT after
 * their retransmissions, so after the recovery's last ACK: the chance
 * lasts until SND.UNA passes what was sent by its end (data sent after
 * it, whose ACK comes after them) or an RTO has passed since. */
void tg_undo_on_ack(struct tg_tcp_conn *c, const struct tg_seg *s)
{
	struct tg_undo *u = &c->undo;
	struct tg_tcp *t = c->t;

	if (!u->on)
		return;
	if (u->ended && t->now_ms - u->end_ms > tg_tcp_cur_rto(c)) {
		u->on = false;
		return;
	}
	if (tg_sack_is_dsack(s))
		tg_undo_dsack(u, s);
	if (c->in_recovery || SEQ_LT(c->snd_una, c->recover))
		return;
	if (!u->ended) {
		u->ended = true;
		u->end_seq = c->snd_max;
		u->end_ms = t->now_ms;
	}
	if (tg_undo_all_dup(u) && SEQ_GEQ(c->snd_una, u->rtx[u->n - 1][1])) {
		c->cwnd = RTE_MAX(c->cwnd, u->cwnd);
		c->ssthresh = RTE_MAX(c->ssthresh, u->ssthresh);
		c->cubic = u->cubic;
		c->bytes_acked = 0;
		t->st.dsack_undo++;
		u->on = false;
		return;
	}
	if (SEQ_GT(c->snd_una, u->end_seq))
		u->on = false;
}

/* RFC 2883 §4: the first block lies at or below the cumulative ACK, or
 * within the second block: it reports a duplicate, not data held. */
bool tg_sack_is_dsack(const struct tg_seg *s)
{
	if (s->n_sack == 0)
		return false;
	if (SEQ_LEQ(s->sack[0][1], s->ack))
		return true;
	return s->n_sack > 1 && SEQ_GEQ(s->sack[0][0], s->sack[1][0]) &&
	       SEQ_LEQ(s->sack[0][1], s->sack[1][1]);
}

/* The receiver got [l, r) again, up to @p lim at most (RFC 2883 §4): the
 * next ACK reports it first, once; a later duplicate replaces one not
 * reported yet (§4: the most recent goes first). */
void tg_sack_dup(struct tg_tcp_conn *c, uint32_t l, uint32_t r, uint32_t lim)
{
	if (SEQ_GT(r, lim))
		r = lim;
	if (!c->sack_ok || !SEQ_LT(l, r))
		return;
	c->dsack = true;
	c->dsack_l = l;
	c->dsack_r = r;
	c->ack_now = true;
}

/* The receiver's blocks (RFC 2018 §4): the one with the most recent
 * out-of-order segment first, then the others in order. */
unsigned tg_sack_blocks(const struct tg_tcp_conn *c, uint32_t b[][2], unsigned max)
{
	uint32_t runs[TG_SB_MAX][2];
	unsigned n = 0, k = 0, first = 0;
	struct rte_mbuf *m;

	for (m = c->rcv.ooo; m != NULL && n < TG_SB_MAX; m = m->next) {
		uint32_t l = *tg_mseq(m), r = l + m->data_len;

		if (n > 0 && runs[n - 1][1] == l) {
			runs[n - 1][1] = r;
			continue;
		}
		runs[n][0] = l;
		runs[n][1] = r;
		n++;
	}
	for (unsigned i = 0; i < n; i++)
		if (SEQ_GEQ(c->last_ooo, runs[i][0]) && SEQ_LT(c->last_ooo, runs[i][1]))
			first = i;
	if (n == 0 || max == 0)
		return 0;
	b[k][0] = runs[first][0];
	b[k][1] = runs[first][1];
	k++;
	for (unsigned i = 0; i < n && k < max; i++) {
		if (i == first)
			continue;
		b[k][0] = runs[i][0];
		b[k][1] = runs[i][1];
		k++;
	}
	return k;
}
