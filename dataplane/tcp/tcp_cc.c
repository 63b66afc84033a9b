/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tcp_cc.c
 * Congestion control: the initial window (RFC 6928), slow start and
 * congestion avoidance (RFC 5681 §3.1, with appropriate byte counting,
 * RFC 3465, L = 2), the window after a timeout (RFC 5681 §3.1 eq. 4) and
 * at fast retransmit (RFC 5681 §3.2, RFC 6582), NewReno's or CUBIC's
 * (RFC 9438) growth in congestion avoidance.
 */
#include <math.h>

#include "tcp_int.h"

#define TG_CUBIC_C 0.4      /* RFC 9438 §5.1 */
#define TG_CUBIC_BETA 0.7   /* RFC 9438 §4.6 */

uint32_t tg_cc_flight(const struct tg_tcp_conn *c)
{
	return c->snd_max - c->snd_una;
}

void tg_cc_init(struct tg_tcp_conn *c)
{
	uint32_t mss = c->mss;

	/* RFC 6928: min(10 * MSS, max(2 * MSS, 14600)) */
	c->cwnd = RTE_MIN(10u * mss, RTE_MAX(2u * mss, 14600u));
	c->ssthresh = 0x7fffffffu; /* RFC 5681 §3.1: arbitrarily high */
	c->bytes_acked = 0;
	memset(&c->cubic, 0, sizeof(c->cubic));
}

static uint32_t tg_cc_half_flight(const struct tg_tcp_conn *c)
{
	/* RFC 5681 eq. (4): max(FlightSize / 2, 2 * SMSS) */
	return RTE_MAX(tg_cc_flight(c) / 2, 2u * c->mss);
}

/* RFC 9438 §4.6-4.7: a congestion event starts a new epoch */
static void tg_cubic_loss(struct tg_tcp_conn *c)
{
	uint32_t cw = RTE_MAX(c->cwnd, tg_cc_flight(c) / 2);

	/* §4.7 fast convergence */
	if (cw < c->cubic.w_max)
		c->cubic.w_max = (uint32_t)(cw * (1.0 + TG_CUBIC_BETA) / 2.0);
	else
		c->cubic.w_max = cw;
	c->cubic.cwnd_prior = cw;
	c->cubic.epoch_ms = 0;
	c->ssthresh = RTE_MAX((uint32_t)(cw * TG_CUBIC_BETA), 2u * c->mss);
}

static void tg_cubic_grow(struct tg_tcp_conn *c, uint32_t acked)
{
	struct tg_tcp *t = c->t;
	double mss = c->mss, t_s, target, w_cubic, k;
	double rtt_s = (c->srtt_us ? c->srtt_us : 100000u) / 1e6;

	if (c->cubic.epoch_ms == 0) {
		/* §4.2: a new epoch; K from W_max and the window now */
		c->cubic.epoch_ms = t->now_ms ? t->now_ms : 1;
		if (c->cubic.w_max < c->cwnd)
			c->cubic.w_max = c->cwnd;
		k = cbrt((c->cubic.w_max - (double)c->cwnd) / mss / TG_CUBIC_C);
		c->cubic.k_ms = (uint32_t)(k * 1000.0);
		c->cubic.w_est = c->cwnd;
	}
	t_s = (t->now_ms - c->cubic.epoch_ms) / 1000.0;
	k = c->cubic.k_ms / 1000.0;
	/* §4.2 eq. 1, in segments, evaluated one RTT ahead (§4.4) */
	w_cubic = TG_CUBIC_C * pow(t_s + rtt_s - k, 3.0) + c->cubic.w_max / mss;
	target = w_cubic * mss;
	if (target < c->cwnd)
		target = c->cwnd;
	if (target > 1.5 * c->cwnd)
		target = 1.5 * c->cwnd;
	/* §4.3 the Reno-friendly estimate: alpha = 3 (1 - beta) / (1 + beta) */
	c->cubic.w_est += (uint32_t)(3.0 * (1.0 - TG_CUBIC_BETA) / (1.0 + TG_CUBIC_BETA) *
				     acked * mss / c->cwnd);
	if (c->cubic.w_est > target) {
		c->cwnd = RTE_MAX(c->cwnd, c->cubic.w_est);
		return;
	}
	/* §4.4: (target - cwnd) / cwnd per acknowledged segment */
	c->bytes_acked += (uint32_t)((target - c->cwnd) * acked / c->cwnd);
	if (c->bytes_acked >= c->mss) {
		c->cwnd += c->bytes_acked / c->mss * c->mss;
		c->bytes_acked %= c->mss;
	}
}

/* the largest window a peer can offer (RFC 7323 §2.3): a cwnd past it
 * sends nothing more, and cwnd, a uint32_t, would wrap some minutes
 * into a CUBIC epoch without loss */
#define TG_CC_CWND_MAX (65535u << 14)

static void tg_cc_grow(struct tg_tcp_conn *c, uint32_t acked);

void tg_cc_on_ack(struct tg_tcp_conn *c, uint32_t acked)
{
	if (c->cwnd >= TG_CC_CWND_MAX)
		return;
	tg_cc_grow(c, acked);
	if (c->cwnd > TG_CC_CWND_MAX)
		c->cwnd = TG_CC_CWND_MAX;
}

static void tg_cc_grow(struct tg_tcp_conn *c, uint32_t acked)
{
	if (c->cwnd < c->ssthresh) {
		/* slow start, RFC 3465 L = 2 * SMSS */
		c->cwnd += RTE_MIN(acked, 2u * c->mss);
		return;
	}
	if (c->t->c.cc == TG_TCP_CC_CUBIC) {
		tg_cubic_grow(c, acked);
		return;
	}
	/* RFC 5681 §3.1 congestion avoidance by bytes acked (RFC 3465) */
	c->bytes_acked += acked;
	if (c->bytes_acked >= c->cwnd) {
		c->bytes_acked -= c->cwnd;
		c->cwnd += c->mss;
	}
}

/* entering fast recovery: ssthresh (the caller sets cwnd) */
void tg_cc_on_dupack(struct tg_tcp_conn *c)
{
	tg_undo_begin(c);
	if (c->t->c.cc == TG_TCP_CC_CUBIC)
		tg_cubic_loss(c);
	else
		c->ssthresh = tg_cc_half_flight(c);
	c->bytes_acked = 0;
}

void tg_cc_on_rto(struct tg_tcp_conn *c)
{
	/* RFC 5681 §3.1: ssthresh on the first timeout of a series, cwnd
	 * to the loss window */
	if (c->nrtx == 0) {
		/* a timeout in a fast recovery is part of its episode: an
		 * undo goes back to the window before both */
		if (!c->in_recovery || !c->undo.on)
			tg_undo_begin(c);
		if (c->t->c.cc == TG_TCP_CC_CUBIC)
			tg_cubic_loss(c);
		else
			c->ssthresh = tg_cc_half_flight(c);
	}
	c->cwnd = c->mss;
	c->bytes_acked = 0;
	c->in_recovery = false;
	c->sack_rec = false;
	c->dupacks = 0;
	c->recover = c->snd_max; /* RFC 6582 §3.2 step 4 */
	/* RFC 2018 §8: after a timeout the SACKed bits go (the receiver may
	 * have reneged) */
	tg_sack_clear(c);
	/* RACK starts over with what goes again (RFC 8985 §6.3: all of it
	 * is taken as lost, and sent again from SND.UNA) */
	tg_rack_reset(c);
}
