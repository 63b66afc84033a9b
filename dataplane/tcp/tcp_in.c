/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tcp_in.c
 * Segment arrival, RFC 9293 §3.10.7 step by step: the header and options
 * checked (only through the bounded cursor and the header struct, every
 * length against what arrived), the connection found (hash, TIME_WAIT
 * table, listener), then the state's processing: LISTEN §3.10.7.2,
 * SYN-SENT §3.10.7.3, the others §3.10.7.4 with RFC 7323 PAWS, RFC 5961
 * challenge ACKs, RFC 5681 / RFC 6582 duplicate ACKs and recovery, the
 * receive queue and the out-of-order queue (capped in buffer bytes), the
 * delayed ACK (RFC 1122 §4.2.3.2, RFC 5681 §4.2) and FIN.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_tcp.h>

#include "tcp_int.h"
#include "tg_cur.h"

#define TG_PAWS_IDLE_MS (24ull * 24 * 3600 * 1000) /* RFC 7323 §5.5 */

/* ---- options (RFC 9293 §3.2, RFC 7323, RFC 2018) --------------------------------------- */

tg_result tg_tcp_parse_opts(const uint8_t *p, unsigned len, struct tg_seg *s)
{
	struct tg_cur c = tg_cur_init(p, len);

	/* RFC 7323 Appendix A's layout, the only options of nearly every
	 * segment of a connection with timestamps: read without the walk */
	if (len == 12 && p[0] == 1 && p[1] == 1 && p[2] == 8 && p[3] == 10) {
		uint32_t v[2];

		memcpy(v, p + 4, sizeof(v));
		s->tsval = ntohl(v[0]);
		s->tsecr = ntohl(v[1]);
		s->has_ts = true;
		return TG_OK;
	}
	while (tg_cur_left(&c) > 0) {
		uint8_t kind, olen;
		struct tg_cur o;

		TG_GUARD(tg_cur_u8(&c, &kind));
		if (kind == 0) /* end of option list */
			break;
		if (kind == 1) /* no-operation */
			continue;
		TG_GUARD(tg_cur_u8(&c, &olen));
		TG_ENSURE(olen >= 2, TG_E_DECODE);
		TG_GUARD(tg_cur_sub(&c, olen - 2u, &o));
		switch (kind) {
		case 2: /* MSS, SYN only (RFC 9293 §3.7.1) */
			TG_ENSURE(olen == 4, TG_E_DECODE);
			TG_GUARD(tg_cur_u16(&o, &s->mss));
			s->has_mss = true;
			break;
		case 3: /* window scale (RFC 7323 §2.2) */
			TG_ENSURE(olen == 3, TG_E_DECODE);
			TG_GUARD(tg_cur_u8(&o, &s->ws));
			s->has_ws = true;
			break;
		case 4: /* SACK permitted (RFC 2018 §2) */
			TG_ENSURE(olen == 2, TG_E_DECODE);
			s->sack_ok = true;
			break;
		case 5: /* SACK blocks (RFC 2018 §3) */
			TG_ENSURE(olen >= 10 && (olen - 2) % 8 == 0, TG_E_DECODE);
			s->n_sack = 0;
			while (tg_cur_left(&o) >= 8 && s->n_sack < 4) {
				TG_GUARD(tg_cur_u32(&o, &s->sack[s->n_sack][0]));
				TG_GUARD(tg_cur_u32(&o, &s->sack[s->n_sack][1]));
				s->n_sack++;
			}
			break;
		case 8: /* timestamps (RFC 7323 §3.2) */
			TG_ENSURE(olen == 10, TG_E_DECODE);
			TG_GUARD(tg_cur_u32(&o, &s->tsval));
			TG_GUARD(tg_cur_u32(&o, &s->tsecr));
			s->has_ts = true;
			break;
		default: /* unknown: skipped by its length (RFC 9293 §3.2) */
			break;
		}
	}
	return TG_OK;
}

/* ---- shared pieces ------------------------------------------------------------------------- */

/* RFC 6298 §2.2-2.3, microseconds; the clock granularity G is 1 ms */
static void tg_tcp_rtt_sample(struct tg_tcp_conn *c, uint32_t r)
{
	const struct tg_tcp_conf *k = &c->t->c;
	uint32_t rto;

	if (c->srtt_us == 0) {
		c->srtt_us = r ? r : 1;
		c->rttvar_us = r / 2;
	} else {
		uint32_t d = c->srtt_us > r ? c->srtt_us - r : r - c->srtt_us;

		c->rttvar_us = (3 * c->rttvar_us + d) / 4;
		c->srtt_us = (7 * c->srtt_us + r) / 8;
		if (c->srtt_us == 0)
			c->srtt_us = 1;
	}
	rto = (c->srtt_us + RTE_MAX(1000u, 4 * c->rttvar_us) + 999) / 1000;
	c->rto_ms = RTE_MIN(RTE_MAX(rto, k->rto_min_ms), k->rto_max_ms);
	c->backoff = 0;
}

static void tg_tcp_set_mss(struct tg_tcp_conn *c)
{
	uint32_t own = tg_tcp_mtu_mss(c);
	uint32_t mss = RTE_MIN((uint32_t)c->peer_mss, own);

	c->opt_len = c->ts_ok ? 12 : 0;
	/* RFC 9293 §3.7.1: options come out of the MSS */
	mss = mss > c->opt_len + 64u ? mss - c->opt_len : 64u;
	c->mss = (uint16_t)mss;
}

static void tg_tcp_syn_options(struct tg_tcp_conn *c, const struct tg_seg *s)
{
	if (s->has_mss && s->mss >= 64)
		c->peer_mss = s->mss;
	/* RFC 7323 §2.2: scaling only when both SYNs carry the option */
	if (c->ws_ok && s->has_ws) {
		c->snd_ws = RTE_MIN(s->ws, (uint8_t)TG_TCP_MAX_WS); /* §2.3 */
	} else {
		c->ws_ok = false;
		c->snd_ws = 0;
		c->rcv_ws = 0;
	}
	/* RFC 7323 §3.2: timestamps when both SYNs carry them */
	c->ts_ok = c->ts_ok && s->has_ts;
	if (c->ts_ok) {
		c->ts_recent = s->tsval;
		c->ts_recent_at = c->t->now_ms;
	}
	c->sack_ok = c->sack_ok && s->sack_ok;
	tg_tcp_set_mss(c);
}

static void tg_tcp_established(struct tg_tcp_conn *c)
{
	struct tg_tcp *t = c->t;

	if (c->passive) {
		if (c->lst != NULL)
			c->lst->half_open--;
		c->user = true;
		c->ev_accepted = true;
		t->st.accepted++;
	} else {
		c->ev_connected = true;
		t->st.connected++;
	}
	c->state = TG_TCP_ESTABLISHED;
	c->nrtx = 0;
	if (c->fin_queued)
		c->state = TG_TCP_FIN_WAIT_1;
	if (t->c.keepalive_ms != 0)
		tg_wheel_arm(&t->wheel, &c->tm_keep, t->now_ms + t->c.keepalive_ms);
	tg_tcp_ready(c);
	tg_tcp_want_output(c);
}

/* ---- receiving data ------------------------------------------------------------------------ */

static void tg_rq_append(struct tg_tcp_conn *c, struct rte_mbuf *m)
{
	struct tg_rbuf *b = &c->rcv;
	struct rte_mbuf *tl = b->tail;

	c->rcv.len += m->data_len;
	c->t->st.bytes_in += m->data_len;
	/* a small segment goes into the room after the last one: tiny
	 * segments do not pin a buffer each */
	if (tl != NULL && m->data_len <= 512 && rte_pktmbuf_tailroom(tl) >= m->data_len &&
	    RTE_MBUF_DIRECT(tl) && rte_mbuf_refcnt_read(tl) == 1) {
		memcpy(rte_pktmbuf_mtod_offset(tl, uint8_t *, tl->data_len),
		       rte_pktmbuf_mtod(m, uint8_t *), m->data_len);
		tl->data_len = (uint16_t)(tl->data_len + m->data_len);
		tl->pkt_len = tl->data_len;
		rte_pktmbuf_free_seg(m);
		return;
	}
	tg_mq_push(&b->head, &b->tail, m);
}

/* Trim @p m to the bytes from sequence number @p from (its first byte
 * is @p seq); false when none are left. */
static bool tg_trim_front(struct rte_mbuf *m, uint32_t *seq, uint32_t from)
{
	uint32_t d;

	if (!SEQ_LT(*seq, from))
		return true;
	d = from - *seq;
	if (d >= m->data_len)
		return false;
	m->data_off = (uint16_t)(m->data_off + d);
	m->data_len = (uint16_t)(m->data_len - d);
	m->pkt_len = m->data_len;
	*seq = from;
	return true;
}

/* Move what the out-of-order queue now continues into the receive queue. */
static void tg_ooo_pull(struct tg_tcp_conn *c)
{
	struct tg_rbuf *b = &c->rcv;

	while (b->ooo != NULL && SEQ_LEQ(*tg_mseq(b->ooo), c->rcv_nxt)) {
		struct rte_mbuf *m = b->ooo;
		uint32_t seq = *tg_mseq(m);

		b->ooo = m->next;
		b->ooo_mem -= m->buf_len;
		m->next = NULL;
		/* the segment that filled the hole had some of it again */
		if (SEQ_LT(seq, c->rcv_nxt))
			tg_sack_dup(c, seq, seq + m->data_len, c->rcv_nxt);
		if (!tg_trim_front(m, &seq, c->rcv_nxt)) {
			rte_pktmbuf_free_seg(m);
			continue;
		}
		c->rcv_nxt += m->data_len;
		tg_rq_append(c, m);
	}
}

/* Queue a segment beyond rcv_nxt, sorted, overlaps trimmed (the bytes
 * already queued win), within ooo_max bytes of buffer. */
static void tg_ooo_insert(struct tg_tcp_conn *c, struct rte_mbuf *m, uint32_t seq)
{
	struct tg_tcp *t = c->t;
	struct tg_rbuf *b = &c->rcv;
	struct rte_mbuf **pp = &b->ooo;
	uint32_t end;

	while (*pp != NULL && SEQ_LEQ(*tg_mseq(*pp) + (*pp)->data_len, seq))
		pp = &(*pp)->next;
	/* *pp ends after seq: it overlaps the front of m or lies after */
	if (*pp != NULL && SEQ_LEQ(*tg_mseq(*pp), seq)) {
		uint32_t have = *tg_mseq(*pp) + (*pp)->data_len;

		/* RFC 2883 §4.1.3: what was held already, reported first
		 * and then the block that holds it (last_ooo) */
		tg_sack_dup(c, seq, seq + m->data_len, have);
		c->last_ooo = *tg_mseq(*pp);
		if (!tg_trim_front(m, &seq, have)) {
			rte_pktmbuf_free_seg(m);
			return;
		}
	}
	if (*pp != NULL && SEQ_LEQ(*tg_mseq(*pp), seq))
		pp = &(*pp)->next;
	end = seq + m->data_len;
	/* cut what the next one already has */
	if (*pp != NULL && SEQ_GT(end, *tg_mseq(*pp))) {
		uint32_t keep = *tg_mseq(*pp) - seq;

		tg_sack_dup(c, *tg_mseq(*pp), end, *tg_mseq(*pp) + (*pp)->data_len);
		/* its block next (§4.1.3), also when m goes below */
		c->last_ooo = *tg_mseq(*pp);
		m->data_len = (uint16_t)keep;
		m->pkt_len = keep;
		if (keep == 0) {
			rte_pktmbuf_free_seg(m);
			return;
		}
	}
	if (b->ooo_mem + m->buf_len > t->c.ooo_max) {
		t->st.ooo_drop++;
		rte_pktmbuf_free_seg(m);
		return;
	}
	*tg_mseq(m) = seq;
	c->last_ooo = seq;
	m->next = *pp;
	*pp = m;
	b->ooo_mem += m->buf_len;
	t->st.ooo_segs++;
}

/* RFC 9293 §3.10.7.4 eighth: the FIN is in sequence. False when the
 * connection is gone (or moved to TIME_WAIT). */
static bool tg_tcp_fin_in(struct tg_tcp_conn *c)
{
	c->rcv_nxt++;
	c->fin_rcvd = true;
	c->ack_now = true;
	tg_tcp_ready(c);
	switch (c->state) {
	case TG_TCP_SYN_RCVD:
	case TG_TCP_ESTABLISHED:
		c->state = TG_TCP_CLOSE_WAIT;
		break;
	case TG_TCP_FIN_WAIT_1:
		/* our FIN not acknowledged yet: simultaneous close */
		c->state = TG_TCP_CLOSING;
		break;
	case TG_TCP_FIN_WAIT_2:
		tg_tcp_send_ack(c);
		tg_tcp_enter_tw(c);
		return false;
	default:
		break;
	}
	tg_tcp_want_output(c);
	return true;
}

/* RFC 9293 §3.10.7.4 seventh and eighth: the segment's text and FIN,
 * already within the window. False when the connection is gone. */
static bool tg_tcp_data_in(struct tg_tcp_conn *c, struct rte_mbuf *m, uint32_t seq,
			   bool fin)
{
	struct tg_tcp *t = c->t;
	uint32_t len = m->data_len;

	/* RFC 2883 §4.1.1: bytes below RCV.NXT came again */
	if (len > 0 && SEQ_LT(seq, c->rcv_nxt))
		tg_sack_dup(c, seq, seq + len, c->rcv_nxt);
	if (len > 0 && !tg_trim_front(m, &seq, c->rcv_nxt)) {
		len = 0;
	} else {
		len = m->data_len;
	}
	if (len == 0) {
		rte_pktmbuf_free_seg(m);
		if (fin && seq == c->rcv_nxt)
			return tg_tcp_fin_in(c);
		return true;
	}
	if (seq != c->rcv_nxt) {
		/* RFC 5681 §4.2: an out-of-order segment is acknowledged at
		 * once (the duplicate ACK the sender counts) */
		if (fin) {
			c->rcv.has_ooo_fin = true;
			c->rcv.ooo_fin = seq + len;
		}
		tg_ooo_insert(c, m, seq);
		/* without data: data of ours waiting would carry this ACK
		 * instead, no duplicate ACK for the sender's count, and at
		 * a full MSS no room for SACK blocks (RFC 2018 §4): the
		 * sender of a bulk transfer both ways saw no loss and waited
		 * for its RTO */
		tg_tcp_send_ack(c);
		tg_tcp_want_output(c);
		return true;
	}
	{
		bool hole = c->rcv.ooo != NULL;

		c->rcv_nxt += len;
		tg_rq_append(c, m);
		if (hole) {
			tg_ooo_pull(c);
			/* RFC 5681 §4.2: a segment that fills a gap is
			 * acknowledged at once */
			c->ack_now = true;
		}
		if (c->rcv.has_ooo_fin && c->rcv.ooo == NULL && c->rcv.ooo_fin == c->rcv_nxt) {
			c->rcv.has_ooo_fin = false;
			fin = true;
		}
	}
	tg_tcp_ready(c);
	c->unacked_bytes += len;
	/* RFC 5681 §4.2 / RFC 1122 §4.2.3.2: at least every second full
	 * segment, else within delack_ms */
	if (t->c.no_delack || c->unacked_bytes >= 2u * c->mss)
		c->ack_now = true;
	if (fin)
		return tg_tcp_fin_in(c);
	if (c->ack_now)
		tg_tcp_want_output(c);
	else if (!tg_timer_armed(&c->tm_dack))
		tg_wheel_arm(&t->wheel, &c->tm_dack, t->now_ms + t->c.delack_ms);
	return true;
}

/* ---- acknowledgments ------------------------------------------------------------------------- */

static void tg_tcp_enter_recovery(struct tg_tcp_conn *c)
{
	struct tg_tcp *t = c->t;

	/* RFC 6582 §3.2 step 2 (with RFC 5681 §3.2 steps 2-3) */
	tg_cc_on_dupack(c); /* ssthresh */
	c->recover = c->snd_max;
	c->in_recovery = true;
	t->st.fast_retransmits++;
	tg_tcp_retransmit_una(c);
	c->cwnd = c->ssthresh + 3u * c->mss;
}

/* RFC 9293 §3.10.7.4 fifth, for an ACK within [snd_una - max window,
 * snd_max]. False when the connection is gone. */
static bool tg_tcp_ack_in(struct tg_tcp_conn *c, const struct tg_seg *s)
{
	struct tg_tcp *t = c->t;
	uint32_t ack = s->ack;
	uint32_t wnd = (uint32_t)s->wnd << c->snd_ws;
	bool wnd_changed = false;

	/* the send window, from the newest segment (SND.WL1, SND.WL2) */
	if (SEQ_LT(c->snd_wl1, s->seq) ||
	    (c->snd_wl1 == s->seq && SEQ_LEQ(c->snd_wl2, ack))) {
		wnd_changed = wnd != c->snd_wnd;
		c->snd_wnd = wnd;
		c->snd_wl1 = s->seq;
		c->snd_wl2 = ack;
		if (wnd > c->max_snd_wnd)
			c->max_snd_wnd = wnd;
		if (wnd > 0 && c->persist) {
			/* the window opened: back to sending, the probe
			 * byte with the rest */
			c->persist = false;
			c->probes = 0;
			c->backoff = 0;
			tg_wheel_cancel(&t->wheel, &c->tm_rtx);
			c->snd_nxt = c->snd_una;
		}
		if (wnd_changed)
			tg_tcp_want_output(c);
	}
	if (SEQ_GT(ack, c->snd_una)) {
		uint32_t acked = ack - c->snd_una;

		/* RTT: RFC 7323 §4.1 from the echoed timestamp, else the
		 * one timed segment (RFC 6298 §3, Karn) */
		if (c->ts_ok && s->has_ts && s->tsecr != 0) {
			uint32_t ms = tg_tcp_ts_now(c) - s->tsecr;

			if (ms < 600000u)
				tg_tcp_rtt_sample(c, ms * 1000u);
		} else if (c->rtt_timing && SEQ_GT(ack, c->rtt_seq)) {
			tg_tcp_rtt_sample(c, (uint32_t)RTE_MIN(
				tg_net_now_us(t->net) - c->rtt_start_us, (uint64_t)UINT32_MAX));
		}
		if (c->rtt_timing && SEQ_GT(ack, c->rtt_seq))
			c->rtt_timing = false;
		(void)tg_tcp_sbuf_ack(c, ack);
		c->snd_una = ack;
		if (SEQ_LT(c->snd_nxt, c->snd_una))
			c->snd_nxt = c->snd_una;
		c->nrtx = 0;
		c->probes = 0;
		if (c->sack_ok)
			tg_sack_update(c, s);
		if (c->in_recovery && c->sack_rec) {
			/* RFC 6675 §5: recovery ends at RecoveryPoint; until
			 * then each ACK lets NextSeg send (tg_sack_output) */
			if (SEQ_GEQ(ack, c->recover)) {
				c->in_recovery = false;
				c->sack_rec = false;
				c->dupacks = 0;
				tg_rack_recovery_end(c);
				if (c->cwnd > c->ssthresh)
					c->cwnd = c->ssthresh;
			} else if (c->n_sb == 0) {
				/* no SACK blocks from the peer: a partial
				 * ACK is the next hole, as NewReno's */
				tg_tcp_retransmit_una(c);
				c->high_rxt = c->snd_una + c->mss;
			}
		} else if (c->in_recovery) {
			if (SEQ_GEQ(ack, c->recover)) {
				/* RFC 6582 §3.2 step 3, full ACK: deflate */
				uint32_t fl = tg_cc_flight(c);

				c->cwnd = RTE_MIN(c->ssthresh, RTE_MAX(fl, (uint32_t)c->mss) + c->mss);
				c->in_recovery = false;
				c->dupacks = 0;
				tg_rack_recovery_end(c);
			} else {
				/* partial ACK: the next hole goes now */
				tg_tcp_retransmit_una(c);
				c->cwnd = c->cwnd > acked ? c->cwnd - acked : 0;
				if (acked >= c->mss)
					c->cwnd += c->mss;
				if (c->cwnd < c->mss)
					c->cwnd = c->mss;
			}
		} else {
			c->dupacks = 0;
			tg_cc_on_ack(c, acked);
		}
		/* RFC 3708 / RFC 4015: was the response needed? */
		tg_undo_on_ack(c, s);
		/* RFC 8985: what was delivered, what is lost by now */
		tg_rack_on_ack(c, s, true);
		/* RFC 6298 §5.2-5.3 */
		if (c->snd_una == c->snd_max && !c->persist)
			tg_wheel_cancel(&t->wheel, &c->tm_rtx);
		else if (!c->persist)
			tg_tcp_arm_rtx(c);
		/* our FIN acknowledged? An ACK past the data is one (it is
		 * at most SND.MAX, so the FIN went out), even when a
		 * retransmission timeout since took the FIN back to be
		 * sent again (fin_sent cleared): the ACK of the first one
		 * may come after it */
		if (c->fin_queued && c->snd_una == c->snd.seq + c->snd.len + 1) {
			c->fin_sent = true;
			switch (c->state) {
			case TG_TCP_FIN_WAIT_1:
				c->state = TG_TCP_FIN_WAIT_2;
				if (!c->user)
					tg_wheel_arm(&t->wheel, &c->tm_keep,
						     t->now_ms + t->c.fin_timeout_ms);
				break;
			case TG_TCP_CLOSING:
				tg_tcp_enter_tw(c);
				return false;
			case TG_TCP_LAST_ACK:
				c->state = TG_TCP_CLOSED;
				tg_tcp_detach_closed(c);
				return false;
			default:
				break;
			}
		}
		tg_tcp_ready(c);
		tg_tcp_want_output(c);
		return true;
	}
	/* RFC 5681 §2: a duplicate ACK (and RFC 6582 §3.2 steps 2-4) */
	if (c->sack_ok && s->n_sack > 0)
		tg_sack_update(c, s);
	if (ack == c->snd_una && s->len == 0 && !(s->flags & (TH_SYN | TH_FIN)) &&
	    !wnd_changed && c->snd_max != c->snd_una && c->snd_wnd != 0 && !c->persist) {
		c->dupacks++;
		t->st.dupacks++;
		/* with RACK, losses are its to find (tg_rack_on_ack);
		 * DupThresh is left for duplicate ACKs without blocks */
		if (c->sack_ok && !c->in_recovery &&
		    (tg_rack_on(c) ? c->dupacks >= TG_DUPTHRESH && c->n_sb == 0
				   : c->dupacks >= TG_DUPTHRESH || tg_sack_lost_una(c)) &&
		    SEQ_GEQ(ack, c->recover)) {
			/* RFC 6675 §5 step 4 */
			tg_cc_on_dupack(c);
			c->recover = c->snd_max;
			c->in_recovery = true;
			t->st.fast_retransmits++;
			tg_sack_enter(c);
			tg_tcp_want_output(c);
		} else if (c->in_recovery && c->sack_rec) {
			tg_tcp_want_output(c);
		} else if (c->in_recovery) {
			c->cwnd += c->mss;
			tg_tcp_want_output(c);
		} else if (c->dupacks == 3) {
			/* RFC 6582 §3.2 step 2: only when the ACK covers
			 * more than recover (kept as the sequence number
			 * after the highest sent, so: at least recover) */
			if (SEQ_GEQ(ack, c->recover))
				tg_tcp_enter_recovery(c);
			tg_tcp_want_output(c);
		} else if (c->dupacks < 3) {
			tg_tcp_want_output(c); /* RFC 3042 */
		}
	}
	tg_undo_on_ack(c, s);
	tg_rack_on_ack(c, s, false);
	return true;
}

/* ---- the states ------------------------------------------------------------------------------ */

/* RFC 9293 §3.10.7.3 SYN-SENT */
static void tg_tcp_syn_sent_in(struct tg_tcp_conn *c, const struct tg_seg *s)
{
	struct tg_tcp *t = c->t;
	bool ack = (s->flags & TH_ACK) != 0;

	if (ack && (SEQ_LEQ(s->ack, c->iss) || SEQ_GT(s->ack, c->snd_max))) {
		if (!(s->flags & TH_RST))
			tg_tcp_reply_rst(t, &c->key, s);
		return;
	}
	if (s->flags & TH_RST) {
		/* RFC 5961 §3.2: acceptable only when it acknowledges our SYN */
		if (ack) {
			t->st.rst_in++;
			tg_tcp_fail(c, ECONNREFUSED);
		}
		return;
	}
	if (!(s->flags & TH_SYN))
		return;
	c->irs = s->seq;
	c->rcv_nxt = s->seq + 1;
	c->rcv_adv = c->rcv_nxt;
	tg_tcp_syn_options(c, s);
	c->snd_wnd = s->wnd; /* RFC 7323 §2.2: a SYN's window is not scaled */
	c->max_snd_wnd = c->snd_wnd;
	c->snd_wl1 = s->seq;
	c->snd_wl2 = s->ack;
	tg_cc_init(c);
	if (ack) {
		c->snd_una = s->ack;
		if (c->ts_ok && s->has_ts && s->tsecr != 0) {
			uint32_t ms = tg_tcp_ts_now(c) - s->tsecr;

			if (ms < 600000u)
				tg_tcp_rtt_sample(c, ms * 1000u);
		} else if (c->nrtx == 0) {
			tg_tcp_rtt_sample(c, (uint32_t)RTE_MIN(
				tg_net_now_us(t->net) - c->rtt_start_us, (uint64_t)UINT32_MAX));
		}
		tg_wheel_cancel(&t->wheel, &c->tm_rtx);
		c->ack_now = true;
		tg_tcp_established(c);
		return;
	}
	/* simultaneous open (RFC 9293 §3.5, figure 7): SYN-ACK with our ISS */
	c->state = TG_TCP_SYN_RCVD;
	c->snd_nxt = c->iss;
	tg_tcp_want_output(c);
}

/*
 * The ACK that answers a segment we cannot accept (RFC 9293 §3.10.7.4
 * first, RFC 7323 §5.3 PAWS). One without data, SYN or FIN is answered at
 * most once per TG_TCP_OOW_MS on the connection, as Linux does
 * (tcp_invalid_ratelimit): an ACK is what two ends whose views of the
 * window disagree would otherwise exchange for ever, each answering the
 * other's. Data is answered every time (its sender counts the duplicate
 * ACKs), and so is a keep-alive probe, which comes minutes apart.
 */
static void tg_tcp_oow_ack(struct tg_tcp_conn *c, const struct tg_seg *s)
{
	struct tg_tcp *t = c->t;

	if (s->len == 0 && !(s->flags & (TH_SYN | TH_FIN))) {
		if (c->oow_ack_at != 0 && t->now_ms - c->oow_ack_at < TG_TCP_OOW_MS) {
			t->st.oow_limited++;
			return;
		}
		c->oow_ack_at = t->now_ms ? t->now_ms : 1;
	}
	c->ack_now = true;
	tg_tcp_want_output(c);
}

/* RFC 2883 §4.1.1: a segment refused (PAWS, out of the window) whose
 * data lies below RCV.NXT came again, a retransmission whose original had
 * come: the ACK that answers it reports the bytes as a D-SACK. */
static void tg_tcp_dup_old(struct tg_tcp_conn *c, const struct tg_seg *s)
{
	if (s->len > 0 && !(s->flags & TH_SYN) && SEQ_LT(s->seq, c->rcv_nxt))
		tg_sack_dup(c, s->seq, s->seq + s->len, c->rcv_nxt);
}

/* A connection's segment in every state but SYN-SENT (RFC 9293 §3.10.7.4). */
static void tg_tcp_conn_in(struct tg_tcp_conn *c, struct tg_seg *s, struct rte_mbuf *m)
{
	struct tg_tcp *t = c->t;
	uint32_t wnd, seg_len;
	bool ok, zero_wnd_ack = false;

	c->last_rx_ms = t->now_ms;
	/* RFC 2883 §4: a D-SACK not sent yet answers the segment before
	 * this one in the burst (our ACKs wait for its end): it goes now,
	 * before this one's would take its place */
	if (c->dsack)
		tg_tcp_send_ack(c);
	if (c->state == TG_TCP_SYN_SENT) {
		tg_tcp_syn_sent_in(c, s);
		rte_pktmbuf_free(m);
		return;
	}
	/* our SYN-ACK was lost: the peer's SYN again gets it again */
	if (c->state == TG_TCP_SYN_RCVD && c->passive &&
	    (s->flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN && s->seq == c->irs) {
		c->snd_nxt = c->iss;
		tg_tcp_want_output(c);
		rte_pktmbuf_free(m);
		return;
	}
	/* RFC 7323 §3.2: with timestamps on, a segment without one is dropped */
	if (c->ts_ok && !s->has_ts && !(s->flags & TH_RST)) {
		t->st.paws_drop++;
		rte_pktmbuf_free(m);
		return;
	}
	/* RFC 7323 §5.3 R1: PAWS */
	if (c->ts_ok && s->has_ts && !(s->flags & TH_RST) &&
	    SEQ_LT(s->tsval, c->ts_recent)) {
		if (t->now_ms - c->ts_recent_at > TG_PAWS_IDLE_MS) {
			c->ts_recent = s->tsval; /* §5.5: too old to compare */
		} else {
			t->st.paws_drop++;
			tg_tcp_dup_old(c, s);
			tg_tcp_oow_ack(c, s);
			rte_pktmbuf_free(m);
			return;
		}
	}
	/* first: is the sequence number acceptable? */
	seg_len = s->len + !!(s->flags & TH_SYN) + !!(s->flags & TH_FIN);
	wnd = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	/* a zero-length segment is taken at the window's right edge too,
	 * as BSD and Linux do: RFC 9293's RCV.NXT =< SEG.SEQ < RCV.NXT +
	 * RCV.WND refuses the ACKs of a peer that filled our window while a
	 * segment before them is missing, and two such ends answer each
	 * other's ACKs for ever (a closed window: SEG.SEQ = RCV.NXT, the
	 * RFC's own case) */
	if (seg_len == 0)
		ok = SEQ_GEQ(s->seq, c->rcv_nxt) && SEQ_LEQ(s->seq, c->rcv_nxt + wnd);
	else
		ok = wnd != 0 &&
		     ((SEQ_GEQ(s->seq, c->rcv_nxt) && SEQ_LT(s->seq, c->rcv_nxt + wnd)) ||
		      (SEQ_GEQ(s->seq + seg_len - 1, c->rcv_nxt) &&
		       SEQ_LT(s->seq + seg_len - 1, c->rcv_nxt + wnd)));
	if (!ok && wnd == 0 && s->seq == c->rcv_nxt) {
		/* a zero window still takes ACKs and RSTs (§3.10.7.4) */
		zero_wnd_ack = true;
		ok = true;
	}
	if (!ok) {
		if (!(s->flags & TH_RST)) {
			t->st.bad_seq++;
			tg_tcp_dup_old(c, s);
			tg_tcp_oow_ack(c, s);
		}
		rte_pktmbuf_free(m);
		return;
	}
	/* the peer is there: keep-alive and window probes start over */
	c->probes = 0;
	/* RFC 7323 §4.3: TS.Recent from a segment that covers Last.ACK.sent */
	if (c->ts_ok && s->has_ts && SEQ_LEQ(s->seq, c->last_ack_sent) &&
	    SEQ_GEQ(s->tsval, c->ts_recent)) {
		c->ts_recent = s->tsval;
		c->ts_recent_at = t->now_ms;
	}
	/* second: RST (RFC 5961 §3.2) */
	if (s->flags & TH_RST) {
		rte_pktmbuf_free(m);
		if (s->seq != c->rcv_nxt) {
			tg_tcp_challenge_ack(c);
			return;
		}
		t->st.rst_in++;
		if (c->state == TG_TCP_SYN_RCVD && c->passive) {
			tg_tcp_release(c); /* back to LISTEN: it was never accepted */
			return;
		}
		tg_tcp_fail(c, c->state == TG_TCP_SYN_RCVD ? ECONNREFUSED : ECONNRESET);
		return;
	}
	/* fourth: a SYN in a synchronized state (RFC 5961 §4.2) */
	if (s->flags & TH_SYN) {
		rte_pktmbuf_free(m);
		if (c->state == TG_TCP_SYN_RCVD && c->passive) {
			tg_tcp_release(c); /* §3.10.7.4: back to LISTEN */
			return;
		}
		tg_tcp_challenge_ack(c);
		return;
	}
	/* fifth: ACK */
	if (!(s->flags & TH_ACK)) {
		rte_pktmbuf_free(m);
		return;
	}
	if (c->state == TG_TCP_SYN_RCVD) {
		if (!SEQ_GT(s->ack, c->snd_una) || SEQ_GT(s->ack, c->snd_max)) {
			tg_tcp_reply_rst(t, &c->key, s);
			rte_pktmbuf_free(m);
			return;
		}
		c->snd_wnd = (uint32_t)s->wnd << c->snd_ws;
		c->max_snd_wnd = c->snd_wnd;
		c->snd_wl1 = s->seq;
		c->snd_wl2 = s->ack;
		if (!c->ts_ok || !s->has_ts || s->tsecr == 0)
			c->rtt_timing = c->nrtx == 0;
		tg_wheel_cancel(&t->wheel, &c->tm_rtx);
		tg_tcp_established(c);
	}
	/* RFC 5961 §5.2: an ACK outside [SND.UNA - MAX.SND.WND, SND.NXT] */
	if (SEQ_GT(s->ack, c->snd_max) ||
	    SEQ_LT(s->ack, c->snd_una - RTE_MAX(c->max_snd_wnd, 1u))) {
		rte_pktmbuf_free(m);
		tg_tcp_challenge_ack(c);
		return;
	}
	if (!tg_tcp_ack_in(c, s)) {
		rte_pktmbuf_free(m);
		return;
	}
	/* seventh: text (sixth, URG, is not supported: urgent data is read
	 * in line, RFC 6093) */
	if (s->len > 0 || (s->flags & TH_FIN)) {
		switch (c->state) {
		case TG_TCP_ESTABLISHED:
		case TG_TCP_FIN_WAIT_1:
		case TG_TCP_FIN_WAIT_2:
			break;
		default:
			/* CLOSE_WAIT, CLOSING, LAST_ACK: the peer's FIN came
			 * already; nothing more is taken */
			rte_pktmbuf_free(m);
			return;
		}
		if (!c->user && s->len > 0 && c->state != TG_TCP_ESTABLISHED) {
			/* closed by its user: nobody will read it */
			rte_pktmbuf_free(m);
			tg_tcp_send_rst(c);
			tg_tcp_release(c);
			return;
		}
		if (zero_wnd_ack) {
			c->ack_now = true;
			tg_tcp_want_output(c);
			rte_pktmbuf_free(m);
			return;
		}
		/* beyond the window: cut (and its FIN with it) */
		{
			uint32_t right = c->rcv_nxt + wnd;
			bool fin = (s->flags & TH_FIN) != 0;
			uint32_t seq = s->seq;

			if (SEQ_GT(seq + s->len, right)) {
				uint32_t keep = SEQ_GT(right, seq) ? right - seq : 0;

				m->data_len = (uint16_t)RTE_MIN((uint32_t)m->data_len, keep);
				m->pkt_len = m->data_len;
				fin = false;
			}
			(void)tg_tcp_data_in(c, m, seq, fin);
		}
		return;
	}
	rte_pktmbuf_free(m);
}

/* RFC 9293 §3.10.7.2 LISTEN: a SYN makes a connection in SYN-RECEIVED. */
static void tg_tcp_listen_in(struct tg_tcp *t, struct tg_tcp_listener *l,
			     const struct tg_tcp_key *k, struct tg_seg *s,
			     struct rte_mbuf *m)
{
	struct tg_tcp_conn *c;

	if (s->flags & TH_RST) {
		rte_pktmbuf_free(m);
		return;
	}
	if (s->flags & TH_ACK) {
		/* the ACK of a cookie SYN-ACK makes the connection; any
		 * other gets its RST */
		if (!(s->flags & TH_SYN) && !t->c.no_syncookies &&
		    (c = tg_tcp_cookie_accept(t, l, k, s)) != NULL) {
			tg_tcp_established(c);
			tg_tcp_conn_in(c, s, m);
			return;
		}
		rte_pktmbuf_free(m);
		tg_tcp_reply_rst(t, k, s);
		return;
	}
	rte_pktmbuf_free(m);
	if (!(s->flags & TH_SYN))
		return;
	if (l->half_open >= t->c.syn_backlog || (c = tg_tcp_conn_alloc(t)) == NULL) {
		/* a flood (or just too many): no state, a cookie */
		if (t->c.no_syncookies)
			t->st.syn_drop++;
		else
			tg_tcp_cookie_reply(t, k, s);
		return;
	}
	tg_tcp_conn_init(c, k);
	c->passive = true;
	c->lst = l;
	c->irs = s->seq;
	c->rcv_nxt = s->seq + 1;
	c->rcv_adv = c->rcv_nxt;
	c->iss = tg_tcp_isn(t, k);
	c->snd_una = c->snd_nxt = c->snd_max = c->iss;
	c->snd.seq = c->iss + 1;
	c->recover = c->iss;
	tg_tcp_syn_options(c, s);
	c->snd_wnd = s->wnd;
	c->max_snd_wnd = c->snd_wnd;
	c->snd_wl1 = s->seq;
	c->snd_wl2 = c->iss;
	c->state = TG_TCP_SYN_RCVD;
	tg_cc_init(c);
	if (!tg_tcp_hash_add(t, k, c)) {
		t->st.syn_drop++;
		tg_tcp_release(c);
		return;
	}
	c->in_hash = true;
	l->half_open++;
	c->rtt_start_us = tg_net_now_us(t->net);
	tg_tcp_send_syn(c);
}

/* TIME-WAIT (RFC 9293 §3.10.7.4, RFC 6191, RFC 7323 §5). True when the
 * segment is a SYN that may open a new connection now. */
static bool tg_tcp_tw_in(struct tg_tcp *t, struct tg_tw *w, const struct tg_seg *s)
{
	if (s->flags & TH_RST) {
		/* RFC 9293: a RST ends TIME-WAIT (RFC 5961: only exact) */
		if (s->seq == w->rcv_nxt)
			tg_tcp_tw_free(t, w);
		return false;
	}
	if ((s->flags & (TH_SYN | TH_ACK)) == TH_SYN) {
		/* RFC 6191 §2: with timestamps a higher TSval; without, a
		 * sequence number past the old one (RFC 9293 §3.6.1) */
		bool ok = (w->ts_ok && s->has_ts) ? SEQ_GT(s->tsval, w->ts_recent)
						  : SEQ_GT(s->seq, w->rcv_nxt);

		if (ok) {
			t->st.tw_reused++;
			tg_tcp_tw_free(t, w);
			return true;
		}
		tg_tcp_tw_ack(t, w);
		return false;
	}
	if (w->ts_ok && s->has_ts && SEQ_LT(s->tsval, w->ts_recent)) {
		t->st.paws_drop++;
		tg_tcp_tw_ack(t, w);
		return false;
	}
	if ((s->flags & TH_FIN) && s->seq + s->len + 1 == w->rcv_nxt) {
		/* the peer's FIN again: our ACK was lost; 2 MSL again */
		w->expire = t->now_ms + 2ull * t->c.msl_ms;
		TAILQ_REMOVE(&t->tw_fifo, w, link);
		TAILQ_INSERT_TAIL(&t->tw_fifo, w, link);
	}
	tg_tcp_tw_ack(t, w);
	return false;
}

static struct tg_tcp_listener *tg_tcp_find_listener(struct tg_tcp *t, uint16_t port)
{
	for (unsigned i = 0; i < TG_TCP_MAX_LISTEN; i++)
		if (t->lst[i].used && t->lst[i].port == port)
			return &t->lst[i];
	return NULL;
}

void tg_tcp_input(void *ctx, struct rte_mbuf *m, const struct tg_net_rx *rx)
{
	struct tg_tcp *t = ctx;
	const struct rte_tcp_hdr *th;
	struct tg_tcp_listener *l;
	struct tg_tcp_key k;
	struct tg_seg s;
	uint16_t doff;
	void *v;

	t->now_ms = tg_net_now_us(t->net) / 1000;
	t->st.segs_in++;
	if (rx->l4_len < TG_TCP_HDR || m->data_len < rx->l4_off + TG_TCP_HDR)
		goto malformed;
	th = rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *, rx->l4_off);
	doff = (uint16_t)((th->data_off >> 4) * 4);
	if (doff < TG_TCP_HDR || doff > rx->l4_len || m->data_len < rx->l4_off + doff)
		goto malformed;
	memset(&s, 0, sizeof(s));
	s.seq = ntohl(th->sent_seq);
	s.ack = ntohl(th->recv_ack);
	s.wnd = ntohs(th->rx_win);
	s.flags = th->tcp_flags;
	s.len = (uint32_t)rx->l4_len - doff;
	if (tg_failed(tg_tcp_parse_opts((const uint8_t *)(th + 1), doff - TG_TCP_HDR, &s)))
		goto malformed;
	/* flag combinations no peer sends */
	if ((s.flags & TH_SYN) && (s.flags & (TH_FIN | TH_RST)))
		goto malformed;
	if (th->src_port == 0 || th->dst_port == 0)
		goto malformed;
	memset(&k, 0, sizeof(k));
	k.laddr = rx->dst;
	k.raddr = rx->src;
	k.lport = ntohs(th->dst_port);
	k.rport = ntohs(th->src_port);
	/* from here m is the payload only */
	if (rte_pktmbuf_adj(m, (uint16_t)(rx->l4_off + doff)) == NULL ||
	    m->pkt_len != s.len)
		goto malformed;
	if (m->nb_segs > 1 && rte_pktmbuf_linearize(m) != 0) {
		t->st.no_mbuf++;
		rte_pktmbuf_free(m);
		return;
	}
	if (t->last != NULL && memcmp(&k, &t->last_key, sizeof(k)) == 0) {
		tg_tcp_conn_in(t->last, &s, m);
		return;
	}
	if (rte_hash_lookup_data(t->h, &k, &v) >= 0) {
		if (!((uintptr_t)v & 1)) {
			t->last = v;
			t->last_key = k;
			tg_tcp_conn_in(v, &s, m);
			return;
		}
		if (!tg_tcp_tw_in(t, (struct tg_tw *)((uintptr_t)v & ~(uintptr_t)1), &s)) {
			rte_pktmbuf_free(m);
			return;
		}
		/* a new connection out of TIME_WAIT: on to the listener */
	}
	l = tg_tcp_find_listener(t, k.lport);
	if (l != NULL && tg_net_is_local(t->net, &k.laddr)) {
		tg_tcp_listen_in(t, l, &k, &s, m);
		return;
	}
	rte_pktmbuf_free(m);
	/* RFC 9293 §3.10.7.1 CLOSED */
	tg_tcp_reply_rst(t, &k, &s);
	return;
malformed:
	t->st.malformed++;
	rte_pktmbuf_free(m);
}

/* ICMP errors about our segments (RFC 1122 §4.2.3.9, RFC 5927 checks,
 * RFC 1191 path MTU). */
void tg_tcp_icmp(void *ctx, const struct tg_net_icmp_err *e)
{
	struct tg_tcp *t = ctx;
	struct tg_tcp_conn *c;
	struct tg_tcp_key k;
	uint32_t seq;
	void *v;

	if (e->l4_len < 8)
		return;
	memset(&k, 0, sizeof(k));
	k.laddr = e->src;
	k.raddr = e->dst;
	k.lport = (uint16_t)((e->l4[0] << 8) | e->l4[1]);
	k.rport = (uint16_t)((e->l4[2] << 8) | e->l4[3]);
	seq = ((uint32_t)e->l4[4] << 24) | ((uint32_t)e->l4[5] << 16) |
	      ((uint32_t)e->l4[6] << 8) | e->l4[7];
	if (rte_hash_lookup_data(t->h, &k, &v) < 0 || ((uintptr_t)v & 1))
		return;
	c = v;
	/* RFC 5927 §4.1: only about a segment in flight */
	if (SEQ_LT(seq, c->snd_una) || SEQ_GEQ(seq, c->snd_max))
		return;
	t->now_ms = tg_net_now_us(t->net) / 1000;
	if (e->too_big) {
		/* RFC 1191 §6.1, RFC 8201 §5: a smaller MSS */
		uint32_t hdrs = tg_net_addr_is_v4(&c->key.raddr) ? 40u : 60u;
		uint32_t mtu = e->mtu >= 68 ? e->mtu : 576;
		uint32_t mss = mtu > hdrs + c->opt_len + 64u ? mtu - hdrs - c->opt_len : 64u;

		if (mss < c->mss) {
			c->mss = (uint16_t)mss;
			t->st.pmtu_updates++;
			c->snd_nxt = c->snd_una; /* what was too big goes again */
			tg_tcp_want_output(c);
		}
		return;
	}
	/* RFC 1122 §4.2.3.9: port or protocol unreachable is hard while
	 * connecting; everything else is soft */
	if (e->hard && c->state == TG_TCP_SYN_SENT)
		tg_tcp_fail(c, ECONNREFUSED);
}
