/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tcp_sack.c
 * Selective acknowledgments (RFC 2018) and the loss recovery built on
 * them (RFC 6675): the sender's scoreboard of SACKed ranges, IsLost, the
 * pipe, NextSeg and the transmission loop of a recovery; the receiver's
 * SACK blocks from its out-of-order queue.
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

/* RFC 6675 §4 SetPipe */
static uint32_t tg_sack_pipe(const struct tg_tcp_conn *c, uint32_t edge)
{
	uint32_t from = SEQ_GT(edge, c->snd_una) ? edge : c->snd_una;
	uint32_t pipe = (c->snd_max - from) - tg_sb_in(c, from, c->snd_max);

	if (SEQ_GT(c->high_rxt, c->snd_una))
		pipe += (c->high_rxt - c->snd_una) - tg_sb_in(c, c->snd_una, c->high_rxt);
	return pipe;
}

/* RFC 6675 §5 step 4: entering recovery (the caller set ssthresh) */
void tg_sack_enter(struct tg_tcp_conn *c)
{
	c->sack_rec = true;
	c->high_rxt = c->snd_una;
	c->cwnd = c->ssthresh;
	/* 4.3: the first segment presumed lost goes at once */
	tg_tcp_retransmit_una(c);
	c->high_rxt = c->snd_una + RTE_MIN((uint32_t)c->mss,
					   c->snd.seq + c->snd.len - c->snd_una);
}

/* RFC 6675 §5 step C: while cwnd - pipe >= 1 SMSS, NextSeg */
void tg_sack_output(struct tg_tcp_conn *c)
{
	struct tg_tcp *t = c->t;
	uint32_t edge = tg_sack_lost_edge(c);
	uint32_t pipe = tg_sack_pipe(c, edge);
	uint32_t data_end = c->snd.seq + c->snd.len;

	for (int n = 0; n < 256 && c->cwnd >= pipe + c->mss; n++) {
		uint32_t s = SEQ_GT(c->high_rxt, c->snd_una) ? c->high_rxt : c->snd_una;
		uint32_t len = 0;
		uint8_t fl = TH_ACK;

		/* (1) the first unSACKed byte above HighRxt that is lost */
		for (unsigned i = 0; i < c->n_sb && SEQ_LT(s, edge); i++) {
			if (SEQ_LT(s, c->sb[i][0])) {
				len = RTE_MIN(c->sb[i][0] - s, (uint32_t)c->mss);
				break;
			}
			if (SEQ_LT(s, c->sb[i][1]))
				s = c->sb[i][1];
		}
		if (len > 0 && SEQ_LT(s, edge)) {
			if (SEQ_GT(s + len, data_end))
				len = data_end - s;
			if (c->fin_sent && s + len == data_end)
				fl |= TH_FIN;
			if (len == 0 && !(fl & TH_FIN))
				break;
			if (!tg_tcp_xmit(c, s, len, fl))
				break;
			t->st.retransmits++;
			c->retrans_total++;
			c->rtt_timing = false;
			c->high_rxt = s + len;
			pipe += len;
			continue;
		}
		/* (2) new data, within the peer's window */
		{
			uint32_t avail = SEQ_GT(data_end, c->snd_max) ? data_end - c->snd_max : 0;
			uint32_t wnd_end = c->snd_una + c->snd_wnd;
			uint32_t room = SEQ_GT(wnd_end, c->snd_max) ? wnd_end - c->snd_max : 0;
			bool fin;

			len = RTE_MIN(RTE_MIN(avail, room), (uint32_t)c->mss);
			fin = c->fin_queued && !c->fin_sent && c->snd_max + len == data_end;
			if (len == 0 && !fin)
				break;
			if (len > 0 && c->snd_max + len == data_end)
				fl |= TH_PSH;
			if (fin)
				fl |= TH_FIN;
			if (!tg_tcp_xmit(c, c->snd_max, len, fl))
				break;
			c->snd_max += len + (fin ? 1 : 0);
			c->snd_nxt = c->snd_max;
			if (fin)
				c->fin_sent = true;
			pipe += len;
		}
	}
	if (!tg_timer_armed(&c->tm_rtx))
		tg_tcp_arm_rtx(c);
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
