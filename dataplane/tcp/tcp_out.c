/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tcp_out.c
 * What a connection sends: segments built from the send buffer (the same
 * bytes every time, RFC 9293 §3.8.1 retransmission), options (RFC 9293
 * §3.2 MSS, RFC 7323 window scale and timestamps), the window we offer
 * (RFC 9293 §3.8.6.2.2 receiver SWS avoidance, never shrunk), the sender
 * rules (RFC 9293 §3.8.6.2.1 sender SWS avoidance, Nagle off by default,
 * RFC 5681 / RFC 3042 congestion and limited transmit), the timers that
 * drive it (RFC 6298 retransmission, RFC 9293 §3.8.6.1 zero-window
 * probing, RFC 1122 §4.2.3.6 keep-alive) and resets.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_prefetch.h>
#include <rte_tcp.h>

#include "tcp_int.h"

#define TG_OPT_NOP 1
#define TG_OPT_MSS 2
#define TG_OPT_WS 3
#define TG_OPT_SACK_OK 4
#define TG_OPT_SACK 5
#define TG_OPT_TS 8

/* ---- buffers ------------------------------------------------------------------------ */

/* a raw one's-complement sum folded to 16 bits */
static inline uint16_t tg_cksum16(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint16_t)s;
}

void tg_tcp_sbuf_free(struct tg_sbuf *b)
{
	struct rte_mbuf *m = b->head;

	while (m != NULL) {
		struct rte_mbuf *nx = m->next;

		m->next = NULL;
		rte_pktmbuf_free_seg(m);
		m = nx;
	}
	b->head = b->tail = b->cur = NULL;
	b->len = 0;
}

void tg_tcp_rbuf_free(struct tg_rbuf *b)
{
	for (int q = 0; q < 2; q++) {
		struct rte_mbuf *m = q == 0 ? b->head : b->ooo;

		while (m != NULL) {
			struct rte_mbuf *nx = m->next;

			m->next = NULL;
			rte_pktmbuf_free_seg(m);
			m = nx;
		}
	}
	b->head = b->tail = b->ooo = NULL;
	b->len = 0;
	b->ooo_mem = 0;
	b->has_ooo_fin = false;
}

/* Free what @p ack covers; returns the payload bytes freed. */
uint32_t tg_tcp_sbuf_ack(struct tg_tcp_conn *c, uint32_t ack)
{
	struct tg_sbuf *b = &c->snd;
	uint32_t n, done;
	/* the acknowledged mbufs go back to the pool together (one put of
	 * the lot into the lcore's cache, not one each) */
	struct rte_mbuf *fr[64];
	unsigned nf = 0;

	if (!SEQ_GT(ack, b->seq))
		return 0;
	n = ack - b->seq;
	if (n > b->len)
		n = b->len; /* the rest was the FIN */
	done = n;
	while (n > 0 && b->head != NULL) {
		struct rte_mbuf *m = b->head;

		/* the headers of a window's mbufs have left the cache since
		 * they were filled: ask for the next one's while this one
		 * is freed (a chain walk is one miss after another) */
		if (m->next != NULL) {
			rte_prefetch0(m->next);
			rte_prefetch0(RTE_PTR_ADD(m->next, RTE_CACHE_LINE_MIN_SIZE));
		}
		if (n >= m->data_len) {
			n -= m->data_len;
			b->head = m->next;
			if (b->head == NULL)
				b->tail = NULL;
			if (b->cur == m)
				b->cur = NULL;
			m->next = NULL;
			fr[nf++] = m;
			if (nf == RTE_DIM(fr)) {
				rte_pktmbuf_free_bulk(fr, nf);
				nf = 0;
			}
		} else {
			m->data_off = (uint16_t)(m->data_off + n);
			m->data_len = (uint16_t)(m->data_len - n);
			m->pkt_len = m->data_len;
			n = 0;
		}
	}
	if (nf != 0)
		rte_pktmbuf_free_bulk(fr, nf);
	b->seq += done;
	b->len -= done;
	/* the sending cursor stays where it is: on the head, trimmed, its
	 * first byte is now the first unacknowledged one */
	if (b->cur != NULL && b->cur == b->head)
		b->cur_seq = b->seq;
	return done;
}

/* The send buffer's mbuf that holds sequence number @p seq, and where
 * that mbuf's first byte lies (@p s). */
static struct rte_mbuf *tg_sbuf_find(struct tg_sbuf *b, uint32_t seq, uint32_t *s_out)
{
	struct rte_mbuf *m;
	uint32_t s;

	if (b->cur != NULL && SEQ_GEQ(seq, b->cur_seq) && SEQ_GEQ(b->cur_seq, b->seq)) {
		m = b->cur;
		s = b->cur_seq;
	} else {
		m = b->head;
		s = b->seq;
	}
	while (m != NULL && SEQ_GEQ(seq, s + m->data_len)) {
		s += m->data_len;
		m = m->next;
	}
	*s_out = s;
	return m;
}

/* After a piece that ended at @p *off of @p *m: on to the next mbuf
 * (@p *s its first byte's sequence number) when this one is done and one
 * follows. False when the piece ended the tail: the cursor stays on it. */
static bool tg_sbuf_next(struct rte_mbuf **m, uint32_t *s, uint32_t *off)
{
	if (*off == (*m)->data_len && (*m)->next != NULL) {
		*s += (*m)->data_len;
		*m = (*m)->next;
		*off = 0;
	}
	return *off != (*m)->data_len;
}

/* Copy @p len bytes of the send buffer from sequence number @p seq;
 * returns their raw sum (one pass: the checksum does not read them
 * again), as bytes from an even offset. */
static uint64_t tg_sbuf_copy(struct tg_sbuf *b, uint32_t seq, uint8_t *dst, uint32_t len)
{
	uint32_t s, off, done = 0;
	uint64_t sum = 0;
	struct rte_mbuf *m = tg_sbuf_find(b, seq, &s);

	off = seq - s;
	while (len > 0 && m != NULL) {
		uint32_t k = RTE_MIN(len, (uint32_t)m->data_len - off);
		uint16_t f = tg_cksum16(tg_net_cksum_copy(
			dst, rte_pktmbuf_mtod_offset(m, uint8_t *, off), k, 0));

		/* a piece at an odd offset: its words' bytes swapped */
		sum += (done & 1) ? (uint16_t)((f << 8) | (f >> 8)) : f;
		done += k;
		dst += k;
		len -= k;
		off += k;
		if (!tg_sbuf_next(&m, &s, &off))
			break;
	}
	/* the next segment starts where this one ended: without the cursor
	 * it would walk the chain from the first unacknowledged byte, one
	 * cache miss an mbuf over a whole window */
	b->cur = m;
	b->cur_seq = s;
	return sum;
}

/* the most slices a segment is sent as (more: copied) */
#define TG_TCP_SLICES 8
/* and a TSO frame (64 KiB of mbufs of 2 KiB, where it starts and ends) */
#define TG_TCP_TSO_SLICES 40

/* How many of @p len bytes from sequence number @p seq lie in at most
 * @p max mbufs of the send buffer (a TSO frame's slices). */
static uint32_t tg_sbuf_fit(struct tg_sbuf *b, uint32_t seq, uint32_t len, unsigned max)
{
	uint32_t s, fit = 0;
	struct rte_mbuf *m = tg_sbuf_find(b, seq, &s);
	uint32_t off = seq - s;

	for (; m != NULL && max > 0 && fit < len; m = m->next, off = 0, max--)
		fit += (uint32_t)m->data_len - off;
	return RTE_MIN(fit, len);
}

/*
 * Chain @p len bytes of the send buffer from sequence number @p seq behind
 * the headers in @p h: an indirect mbuf on each send-buffer mbuf the
 * bytes lie in (two at most for a segment of an MSS: each holds a data
 * room of the port's pool, sized for its MTU), cut to the slice. The
 * send buffer's mbufs stay where they are; each slice holds a reference, so an ACK that frees them while the
 * segment waits in a queue (the device's, the impairment layer's) only
 * drops the buffer's own. The bytes never change: the buffer is only
 * appended to past them (tg_tcp_send), or trimmed from the front
 * (tg_tcp_sbuf_ack moves the direct mbuf's data_off, not the slice's).
 * 0, or -ENOBUFS when the pool had no mbuf, -E2BIG over TG_TCP_SLICES
 * slices (the headers' mbuf is left as it was).
 */
static int tg_sbuf_attach(struct tg_sbuf *b, struct rte_mempool *mp, uint32_t seq,
			  struct rte_mbuf *h, uint32_t len, unsigned max)
{
	struct rte_mbuf *sl[TG_TCP_TSO_SLICES];
	uint32_t s, off;
	struct rte_mbuf *m = tg_sbuf_find(b, seq, &s);
	struct rte_mbuf *last = h;
	unsigned n = 0, need = 0;

	off = seq - s;
	/* how many slices: the mbufs from m that the bytes cover */
	{
		uint32_t left = len, o = off;

		for (struct rte_mbuf *x = m; x != NULL && left > 0; x = x->next, o = 0) {
			left -= RTE_MIN(left, (uint32_t)x->data_len - o);
			need++;
		}
		if (left > 0 || need > RTE_MIN(max, (unsigned)RTE_DIM(sl)))
			return -E2BIG; /* (not in the buffer: a caller's error) */
	}
	if (rte_pktmbuf_alloc_bulk(mp, sl, need) != 0)
		return -ENOBUFS;
	while (len > 0) {
		uint32_t k = RTE_MIN(len, (uint32_t)m->data_len - off);
		struct rte_mbuf *mi = sl[n++];

		rte_pktmbuf_attach(mi, m);
		mi->data_off = (uint16_t)(mi->data_off + off);
		mi->data_len = (uint16_t)k;
		mi->pkt_len = k;
		last->next = mi;
		last = mi;
		h->nb_segs++;
		h->pkt_len += k;
		len -= k;
		off += k;
		if (!tg_sbuf_next(&m, &s, &off))
			break;
	}
	if (n < need)
		rte_pktmbuf_free_bulk(sl + n, need - n);
	b->cur = m;
	b->cur_seq = s;
	return 0;
}

/* ---- the window we offer ---------------------------------------------------------------- */

/* The window field for our next segment (already shifted by rcv_ws). */
uint32_t tg_tcp_rcv_window(struct tg_tcp_conn *c)
{
	struct tg_tcp *t = c->t;
	uint32_t buf = t->c.rcv_buf;
	uint32_t space = buf > c->rcv.len ? buf - c->rcv.len : 0;
	uint32_t cur = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	uint32_t field;

	/* a pool running low opens no window: received segments are held
	 * in its mbufs (the window already offered is kept, RFC 9293
	 * §3.8.6.2.2 says not to shrink it) */
	if (tg_net_pool_avail(t->net) <= t->low_water)
		space = 0;
	/* RFC 9293 §3.8.6.2.2: open it in steps of at least
	 * min(buffer / 2, MSS) */
	if (space > cur && space - cur < RTE_MIN(buf / 2, (uint32_t)c->mss))
		space = cur;
	if (space < cur)
		space = cur;
	field = space >> c->rcv_ws;
	if ((field << c->rcv_ws) < cur)
		field++;
	return RTE_MIN(field, 65535u);
}

/* ---- segments --------------------------------------------------------------------------- */

static unsigned tg_tcp_syn_opts(const struct tg_tcp_conn *c, uint8_t *o, bool synack)
{
	unsigned n = 0;
	uint16_t mss = (uint16_t)tg_tcp_mtu_mss(c);

	o[n++] = TG_OPT_MSS;
	o[n++] = 4;
	o[n++] = (uint8_t)(mss >> 8);
	o[n++] = (uint8_t)mss;
	/* a SYN-ACK carries only what the SYN offered (RFC 7323 §1.3, §2.2) */
	if (c->ws_ok) {
		o[n++] = TG_OPT_NOP;
		o[n++] = TG_OPT_WS;
		o[n++] = 3;
		o[n++] = c->rcv_ws;
	}
	if (c->sack_ok) {
		o[n++] = TG_OPT_NOP;
		o[n++] = TG_OPT_NOP;
		o[n++] = TG_OPT_SACK_OK;
		o[n++] = 2;
	}
	if (c->ts_ok) {
		uint32_t v = tg_tcp_ts_now(c);
		uint32_t e = synack ? c->ts_recent : 0;

		o[n++] = TG_OPT_NOP;
		o[n++] = TG_OPT_NOP;
		o[n++] = TG_OPT_TS;
		o[n++] = 10;
		for (int i = 3; i >= 0; i--)
			o[n++] = (uint8_t)(v >> (8 * i));
		for (int i = 3; i >= 0; i--)
			o[n++] = (uint8_t)(e >> (8 * i));
	}
	return n;
}

/* Four option bytes as a native 32-bit word (their raw checksum) */
static inline uint32_t tg_opt_word(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	const uint8_t k[4] = { a, b, c, d };
	uint32_t w;

	memcpy(&w, k, sizeof(w));
	return w;
}

/* The options of a segment of @p len bytes; *dsack: the pending D-SACK
 * is in them (taken off by tg_tcp_xmit once the segment is built);
 * *sum: their raw checksum (native order, not folded), from the values
 * rather than from @p o just written (a load over narrower stores waits
 * for them to reach the cache) */
static unsigned tg_tcp_opts(const struct tg_tcp_conn *c, uint8_t *o, uint32_t len,
			    bool *dsack, uint64_t *sum)
{
	unsigned n = 0;

	*sum = 0;
	if (c->ts_ok) {
		uint32_t v = tg_tcp_ts_now(c);

		o[n++] = TG_OPT_NOP;
		o[n++] = TG_OPT_NOP;
		o[n++] = TG_OPT_TS;
		o[n++] = 10;
		{
			uint32_t w[2] = { htonl(v), htonl(c->ts_recent) };

			memcpy(o + n, w, sizeof(w));
			n += sizeof(w);
			*sum += (uint64_t)tg_opt_word(TG_OPT_NOP, TG_OPT_NOP, TG_OPT_TS, 10) +
				w[0] + w[1];
		}
	}
	/* RFC 2018 §3-4: SACK blocks while data waits out of order, as many
	 * as fit in 40 bytes of options and the segment's MTU; RFC 2883: a
	 * duplicate received goes first, in one ACK (one without room, or
	 * whose mbuf the pool did not have, keeps it for the next) */
	if (c->sack_ok && (c->rcv.ooo != NULL || c->dsack)) {
		uint32_t b[4][2];
		unsigned room = (40 - n - 4) / 8;
		unsigned k = 0;

		/* what the MTU leaves past the IP and TCP headers */
		while (room > 0 && len + n + 4 + 8 * room > tg_tcp_mtu_mss(c))
			room--;
		room = RTE_MIN(room, 4u);
		if (c->dsack && room > 0) {
			b[0][0] = c->dsack_l;
			b[0][1] = c->dsack_r;
			k = 1;
			*dsack = true;
		}
		k += tg_sack_blocks(c, b + k, room - k);
		if (k > 0) {
			o[n++] = TG_OPT_NOP;
			o[n++] = TG_OPT_NOP;
			o[n++] = TG_OPT_SACK;
			o[n++] = (uint8_t)(2 + 8 * k);
			*sum += tg_opt_word(TG_OPT_NOP, TG_OPT_NOP, TG_OPT_SACK,
					    (uint8_t)(2 + 8 * k));
			for (unsigned j = 0; j < k; j++)
				for (int e = 0; e < 2; e++) {
					*sum += htonl(b[j][e]);
					for (int i = 3; i >= 0; i--)
						o[n++] = (uint8_t)(b[j][e] >> (8 * i));
				}
		}
	}
	return n;
}

/*
 * Send one segment of @p c: sequence number @p seq, @p len bytes of the
 * send buffer from there, @p flags; ACK segments carry rcv_nxt and our
 * window. @p tso: 0, or the payload of each segment the port cuts the
 * frame into (TSO, tg_tcp_tso_len()); the frame is always slices.
 * False when no mbuf was left.
 */
static bool tg_tcp_xmit_tso(struct tg_tcp_conn *c, uint32_t seq, uint32_t len,
			    uint8_t flags, const struct tg_net_tso *tso)
{
	struct tg_tcp *t = c->t;
	uint8_t opts[40];
	bool dsack = false;
	uint64_t osum = 0;
	unsigned olen = (flags & TH_SYN) ? tg_tcp_syn_opts(c, opts, flags & TH_ACK)
					 : tg_tcp_opts(c, opts, tso != NULL ? tso->seg : len, &dsack,
						       &osum);
	struct rte_mbuf *m = tg_net_alloc(t->net);
	struct rte_tcp_hdr *th;
	uint32_t wnd;
	/* the payload stays in the send buffer, chained behind the headers,
	 * where the port sends chains and the payload pays for the slices'
	 * mbufs; a smaller one is copied (tg_net_port_conf::tx_chain_min) */
	bool chain = tso != NULL || (len > 0 && len >= tg_net_tx_chain_min(t->net));
	uint64_t sum = 0;
	uint16_t sport = htons(c->key.lport), dport = htons(c->key.rport), win;
	uint32_t seq_n = htonl(seq), ack_n = (flags & TH_ACK) ? htonl(c->rcv_nxt) : 0;
	uint8_t doff = (uint8_t)(((TG_TCP_HDR + olen) / 4) << 4);

	if (m == NULL) {
		t->st.no_mbuf++;
		return false;
	}
	th = (struct rte_tcp_hdr *)rte_pktmbuf_append(
		m, (uint16_t)(TG_TCP_HDR + olen + (chain ? 0 : len)));
	if (th == NULL) {
		rte_pktmbuf_free(m);
		return false;
	}
	th->src_port = sport;
	th->dst_port = dport;
	th->sent_seq = seq_n;
	th->recv_ack = ack_n;
	th->data_off = doff;
	th->tcp_flags = flags;
	if (flags & TH_SYN) {
		/* RFC 7323 §2.2: the window of a SYN is never scaled */
		wnd = tg_tcp_rcv_window(c) << c->rcv_ws;
		win = htons((uint16_t)RTE_MIN(wnd, 65535u));
		wnd = RTE_MIN(wnd, 65535u);
	} else {
		uint32_t field = (flags & TH_RST) ? 0 : tg_tcp_rcv_window(c);

		win = htons((uint16_t)field);
		wnd = field << c->rcv_ws;
	}
	th->rx_win = win;
	th->cksum = 0;
	th->tcp_urp = 0;
	memcpy(th + 1, opts, olen);
	if (chain) {
		int rc = tg_sbuf_attach(&c->snd, tg_net_pool(t->net), seq, m, len,
					tso != NULL ? tso->slices : TG_TCP_SLICES);

		if (rc == -E2BIG && tso == NULL &&
		    rte_pktmbuf_append(m, (uint16_t)len) != NULL) {
			chain = false; /* too many pieces: copied after all */
		} else if (rc != 0) {
			rte_pktmbuf_free(m);
			t->st.no_mbuf++;
			return false;
		}
	}
	if (!chain && len > 0)
		sum = tg_sbuf_copy(&c->snd, seq, (uint8_t *)(th + 1) + olen, len);
	if (dsack) {
		c->dsack = false;
		t->st.dsack_out++;
	}
	if (flags & TH_ACK) {
		c->last_ack_sent = c->rcv_nxt;
		if (SEQ_GT(c->rcv_nxt + wnd, c->rcv_adv) || c->rcv_adv == 0)
			c->rcv_adv = c->rcv_nxt + wnd;
		c->ack_now = false;
		c->unacked_bytes = 0;
		tg_wheel_cancel(&t->wheel, &c->tm_dack);
	}
	if (tso != NULL) {
		/* the port cuts it: DPDK's TSO contract (rte_mbuf_core.h),
		 * completed by the network layer (IP flags, the
		 * pseudo-header sum without the length) */
		uint32_t segs = (len + tso->seg - 1) / tso->seg;

		m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG;
		m->l4_len = (uint8_t)(TG_TCP_HDR + olen);
		m->tso_segsz = tso->seg;
		t->st.segs_out += segs;
		t->st.tso_frames++;
		t->st.tso_segs += segs;
	} else {
		t->st.segs_out++;
	}
	t->st.bytes_out += len;
	/* a segment the network refuses (no route, no ARP answer) is lost
	 * like any other: the timers send it again. A copied payload was
	 * summed on the way; the header's sum is added from the values just
	 * stored (the checksum, urgent pointer and padding are zeros), not
	 * read back over them: the whole segment's sum goes down (sum_off
	 * 0). Slices and a SYN's options are summed there from memory */
	if (!chain && !(flags & TH_SYN))
		sum += (uint64_t)sport + dport + seq_n + ack_n +
		       htons((uint16_t)((unsigned)doff << 8 | flags)) + win + osum;
	if (tg_failed(tg_net_output_sum(t->net, m, &c->key.raddr, IPPROTO_TCP,
					chain || (flags & TH_SYN) ? UINT32_MAX : 0, sum)))
		t->st.no_route++;
	return true;
}

bool tg_tcp_xmit(struct tg_tcp_conn *c, uint32_t seq, uint32_t len, uint8_t flags)
{
	return tg_tcp_xmit_tso(c, seq, len, flags, NULL);
}

/*
 * TSO (issue 17): the bytes of new data one frame of several segments
 * carries from SND.NXT, each segment @p tso->seg (set here) bytes; 0: one
 * segment as without it. Only new data outside loss recovery:
 * retransmissions stay one MSS (RACK and the scoreboard repair what was
 * lost segment by segment). @p avail and @p usable as tg_tcp_output()
 * has them (queued, and what the window, min(cwnd, the peer's), allows):
 * the frame counts in flight, in RACK's ranges and in the RTT sample as
 * the same bytes in separate segments would. Not with SACK blocks to
 * send, a D-SACK among them (every segment of the frame carries the frame's options: the
 * MSS leaves room for the timestamps only), nor carrying the FIN (the
 * last segment goes on its own: devices differ in which segment gets
 * it), nor a window-limited or Nagle-held small tail.
 */
static uint32_t tg_tcp_tso_len(struct tg_tcp_conn *c, uint32_t avail, uint32_t usable,
			       struct tg_net_tso *tso)
{
	struct tg_tcp *t = c->t;
	uint32_t len, seg;

	if (c->in_recovery || c->persist || SEQ_LT(c->snd_nxt, c->snd_max) ||
	    (c->sack_ok && (c->rcv.ooo != NULL || c->dsack)) || avail <= c->mss || usable <= c->mss ||
	    !tg_net_tso(t->net, !tg_net_addr_is_v4(&c->key.raddr), TG_TCP_HDR + c->opt_len,
			tso))
		return 0;
	seg = RTE_MIN((uint32_t)c->mss, (uint32_t)tso->seg);
	tso->seg = (uint16_t)seg;
	tso->slices = (uint16_t)RTE_MIN((unsigned)tso->slices, TG_TCP_TSO_SLICES);
	len = RTE_MIN(RTE_MIN(avail, usable), tso->max);
	len = tg_sbuf_fit(&c->snd, c->snd_nxt, len, tso->slices);
	if (len < avail || t->c.nagle)
		len -= len % seg;
	if (c->fin_queued && len == avail)
		len -= len % seg != 0 ? len % seg : seg;
	return len > seg ? len : 0;
}

/* A segment without data carries SND.MAX (BSD's rule): after a timeout
 * SND.NXT went back to SND.UNA, and a peer that has those bytes takes a
 * sequence number below its RCV.NXT as not acceptable and drops the ACK
 * with it; two ends both backing off that way answer nothing of each
 * other's. In persist, SND.NXT: one past a closed window is refused. */
void tg_tcp_send_ack(struct tg_tcp_conn *c)
{
	(void)tg_tcp_xmit(c, c->persist ? c->snd_nxt : c->snd_max, 0, TH_ACK);
}

/* SYN (SYN_SENT) or SYN-ACK (SYN_RCVD), first or again. */
void tg_tcp_send_syn(struct tg_tcp_conn *c)
{
	uint8_t fl = c->state == TG_TCP_SYN_RCVD ? (TH_SYN | TH_ACK) : TH_SYN;

	if (!tg_tcp_xmit(c, c->iss, 0, fl)) {
		/* no mbuf: lost like any other, the timer sends it again
		 * (nothing else would) */
		if (!tg_timer_armed(&c->tm_rtx))
			tg_tcp_arm_rtx(c);
		return;
	}
	c->snd_nxt = c->iss + 1;
	if (SEQ_GT(c->snd_nxt, c->snd_max))
		c->snd_max = c->snd_nxt;
	if (!tg_timer_armed(&c->tm_rtx))
		tg_tcp_arm_rtx(c);
}

void tg_tcp_send_rst(struct tg_tcp_conn *c)
{
	c->t->st.rst_out++;
	(void)tg_tcp_xmit(c, c->snd_nxt, 0, TH_RST | TH_ACK);
}

/* A segment built without a connection (RST to a segment nobody owns,
 * the ACK of a TIME_WAIT entry). */
static void tg_tcp_bare(struct tg_tcp *t, const struct tg_tcp_key *k, uint32_t seq,
			uint32_t ack, uint8_t flags, uint16_t wnd, const uint8_t *opts,
			unsigned olen)
{
	struct rte_mbuf *m = tg_net_alloc(t->net);
	struct rte_tcp_hdr *th;

	if (m == NULL) {
		t->st.no_mbuf++;
		return;
	}
	th = (struct rte_tcp_hdr *)rte_pktmbuf_append(m, (uint16_t)(TG_TCP_HDR + olen));
	if (th == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	th->src_port = htons(k->lport);
	th->dst_port = htons(k->rport);
	th->sent_seq = htonl(seq);
	th->recv_ack = htonl(ack);
	th->data_off = (uint8_t)(((TG_TCP_HDR + olen) / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = htons(wnd);
	th->cksum = 0;
	th->tcp_urp = 0;
	if (olen > 0)
		memcpy(th + 1, opts, olen);
	t->st.segs_out++;
	if (tg_failed(tg_net_output(t->net, m, &k->raddr, IPPROTO_TCP)))
		t->st.no_route++;
}

/* RFC 9293 §3.10.7.1: the reset for a segment no connection owns:
 * <SEQ=SEG.ACK><CTL=RST> when it has ACK, else
 * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. Never for a RST. */
void tg_tcp_reply_rst(struct tg_tcp *t, const struct tg_tcp_key *k,
		      const struct tg_seg *s)
{
	if (s->flags & TH_RST)
		return;
	t->st.no_conn_rst++;
	if (s->flags & TH_ACK)
		tg_tcp_bare(t, k, s->ack, 0, TH_RST, 0, NULL, 0);
	else
		tg_tcp_bare(t, k, 0,
			    s->seq + s->len + !!(s->flags & TH_SYN) + !!(s->flags & TH_FIN),
			    TH_RST | TH_ACK, 0, NULL, 0);
}

void tg_tcp_tw_ack(struct tg_tcp *t, const struct tg_tw *w)
{
	uint8_t o[12];
	unsigned n = 0;

	if (w->ts_ok) {
		uint32_t v = (uint32_t)t->now_ms + w->ts_off;

		o[n++] = TG_OPT_NOP;
		o[n++] = TG_OPT_NOP;
		o[n++] = TG_OPT_TS;
		o[n++] = 10;
		for (int i = 3; i >= 0; i--)
			o[n++] = (uint8_t)(v >> (8 * i));
		for (int i = 3; i >= 0; i--)
			o[n++] = (uint8_t)(w->ts_recent >> (8 * i));
	}
	tg_tcp_bare(t, &w->key, w->snd_nxt, w->rcv_nxt, TH_ACK, w->rcv_wnd, o, n);
}

/* RFC 5961 §7: challenge ACKs, at most challenge_acks a second for the
 * instance. */
void tg_tcp_challenge_ack(struct tg_tcp_conn *c)
{
	struct tg_tcp *t = c->t;
	uint64_t sec = t->now_ms / 1000;

	if (sec != t->chal_sec) {
		t->chal_sec = sec;
		t->chal_left = t->c.challenge_acks;
	}
	if (t->chal_left == 0) {
		t->st.challenge_limited++;
		return;
	}
	t->chal_left--;
	t->st.challenge_acks++;
	tg_tcp_send_ack(c);
}

/* ---- RFC 6298 --------------------------------------------------------------------------- */

uint32_t tg_tcp_cur_rto(const struct tg_tcp_conn *c)
{
	uint64_t r = (uint64_t)c->rto_ms << c->backoff;

	return (uint32_t)RTE_MIN(r, (uint64_t)c->t->c.rto_max_ms);
}

/* The RTO, or instead of it (RFC 8985 §8) RACK's reordering timer while
 * one runs, or a tail loss probe due before the RTO. */
void tg_tcp_arm_rtx(struct tg_tcp_conn *c)
{
	uint64_t at = c->t->now_ms + tg_tcp_cur_rto(c), pto;

	c->rack.tmode = TG_RTX_RTO;
	if (!c->persist && c->rack.reo_due_ms != 0 && tg_rack_on(c)) {
		at = RTE_MAX(c->rack.reo_due_ms, c->t->now_ms + 1);
		c->rack.tmode = TG_RTX_REO;
	} else if (tg_rack_pto(c, &pto)) {
		/* §7.2: a probe due after the RTO goes at the RTO's time,
		 * instead of it */
		at = RTE_MIN(pto, at);
		c->rack.tmode = TG_RTX_PTO;
	}
	tg_wheel_arm(&c->t->wheel, &c->tm_rtx, at);
}

/* Send the first unacknowledged segment again (fast retransmit, NewReno
 * partial ACK). */
void tg_tcp_retransmit_una(struct tg_tcp_conn *c)
{
	uint32_t data_end = c->snd.seq + c->snd.len;
	uint32_t avail = SEQ_GT(data_end, c->snd_una) ? data_end - c->snd_una : 0;
	uint32_t len = RTE_MIN(avail, (uint32_t)c->mss);
	uint8_t fl = TH_ACK;

	if (c->fin_sent && c->snd_una + len == data_end)
		fl |= TH_FIN;
	if (len == 0 && !(fl & TH_FIN))
		return;
	if (tg_tcp_xmit(c, c->snd_una, len, fl)) {
		tg_rack_sent(c, c->snd_una, len + !!(fl & TH_FIN), true);
		c->t->st.retransmits++;
		c->retrans_total++;
		c->rtt_timing = false; /* Karn: no sample from it */
	}
}

/* The retransmission timer (RFC 6298 §5.4-5.7) or, with a zero window,
 * the persist timer (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17). */
void tg_tcp_rtx_fire(struct tg_tcp_conn *c)
{
	struct tg_tcp *t = c->t;

	/* RFC 8985: the timer was RACK's or the probe's */
	if (c->rack.tmode != TG_RTX_RTO) {
		uint8_t mode = c->rack.tmode;

		c->rack.tmode = TG_RTX_RTO;
		if (mode == TG_RTX_PTO && !c->persist && c->snd_una != c->snd_max) {
			tg_rack_tlp_fire(c);
			return;
		}
		if (mode == TG_RTX_REO) {
			tg_rack_reo_fire(c);
			return;
		}
	}
	/* a zero window with data in flight: probe it, the peer is there
	 * (RFC 9293 §3.8.6.1: not a reason to give up) */
	if (!c->persist && c->snd_wnd == 0 && c->state >= TG_TCP_ESTABLISHED &&
	    SEQ_GT(c->snd.seq + c->snd.len, c->snd_una)) {
		c->persist = true;
		c->probes = 0;
	}
	if (c->persist) {
		uint32_t data_end = c->snd.seq + c->snd.len;

		if (c->probes >= t->c.max_retries) {
			tg_tcp_fail(c, ETIMEDOUT);
			return;
		}
		/* probe with the next byte of data; sent again until the
		 * window opens. SND.NXT stays at SND.UNA, only SND.MAX
		 * covers the byte (BSD's persist): our ACKs carry SND.NXT,
		 * and one past the peer's closed window is not acceptable
		 * to it (RFC 9293 §3.10.7.4), so it answers with an ACK,
		 * which ours would answer when our window is closed too */
		if (SEQ_GT(data_end, c->snd_una)) {
			if (tg_tcp_xmit(c, c->snd_una, 1, TH_ACK)) {
				c->snd_nxt = c->snd_una;
				if (SEQ_GT(c->snd_una + 1, c->snd_max))
					c->snd_max = c->snd_una + 1;
			}
			t->st.window_probes++;
		}
		c->probes++;
		if (c->backoff < 15)
			c->backoff++;
		tg_tcp_arm_rtx(c);
		return;
	}
	t->st.rto++;
	if (c->state == TG_TCP_SYN_SENT || c->state == TG_TCP_SYN_RCVD) {
		if (c->nrtx >= t->c.syn_retries) {
			tg_tcp_fail(c, ETIMEDOUT);
			return;
		}
		c->nrtx++;
		if (c->backoff < 15)
			c->backoff++;
		c->snd_nxt = c->iss;
		t->st.retransmits++;
		c->retrans_total++;
		tg_tcp_send_syn(c);
		tg_tcp_arm_rtx(c);
		return;
	}
	if (c->snd_una == c->snd_max) {
		/* nothing outstanding: a stale timer, or what the pool had
		 * no mbuf for (tg_tcp_output), to be sent now */
		tg_tcp_output(c);
		return;
	}
	if (c->nrtx >= t->c.max_retries) {
		/* RFC 9293 §3.8.3: R2 reached */
		tg_tcp_fail(c, ETIMEDOUT);
		return;
	}
	tg_cc_on_rto(c);
	c->nrtx++;
	if (c->backoff < 15)
		c->backoff++; /* RFC 6298 §5.5 */
	/* go back: everything from snd_una is sent again as the window
	 * allows (RFC 5681 §3.1: slow start from one segment) */
	c->snd_nxt = c->snd_una;
	if (c->fin_sent && SEQ_LEQ(c->snd_una, c->snd.seq + c->snd.len))
		c->fin_sent = false;
	c->rtt_timing = false;
	tg_tcp_arm_rtx(c); /* §5.6 */
	tg_tcp_output(c);
}

/* Keep-alive (RFC 1122 §4.2.3.6: off by default, an ACK below snd_una
 * that makes the peer answer) and the FIN_WAIT_2 time of a closed
 * connection. */
void tg_tcp_keep_fire(struct tg_tcp_conn *c)
{
	struct tg_tcp *t = c->t;
	uint64_t idle_until;

	if (c->state == TG_TCP_FIN_WAIT_2 && !c->user) {
		tg_tcp_fail(c, ETIMEDOUT);
		return;
	}
	if (t->c.keepalive_ms == 0 || (c->state != TG_TCP_ESTABLISHED &&
				       c->state != TG_TCP_CLOSE_WAIT))
		return;
	idle_until = c->last_rx_ms + t->c.keepalive_ms;
	if (t->now_ms < idle_until) {
		tg_wheel_arm(&t->wheel, &c->tm_keep, idle_until);
		return;
	}
	if (c->probes >= t->c.keepalive_cnt) {
		tg_tcp_fail(c, ETIMEDOUT);
		return;
	}
	if (c->snd_una == c->snd_max) {
		(void)tg_tcp_xmit(c, c->snd_una - 1, 0, TH_ACK);
		t->st.keepalives++;
		c->probes++;
	}
	tg_wheel_arm(&t->wheel, &c->tm_keep, t->now_ms + t->c.keepalive_intvl_ms);
}

/* ---- the sender ------------------------------------------------------------------------------ */

void tg_tcp_output(struct tg_tcp_conn *c)
{
	struct tg_tcp *t = c->t;
	bool sent = false, no_mbuf = false;

	switch (c->state) {
	case TG_TCP_SYN_SENT:
	case TG_TCP_SYN_RCVD:
		if (c->snd_nxt == c->iss)
			tg_tcp_send_syn(c);
		else if (c->ack_now && c->state == TG_TCP_SYN_RCVD)
			tg_tcp_send_syn(c);
		return;
	case TG_TCP_ESTABLISHED:
	case TG_TCP_FIN_WAIT_1:
	case TG_TCP_FIN_WAIT_2:
	case TG_TCP_CLOSE_WAIT:
	case TG_TCP_CLOSING:
	case TG_TCP_LAST_ACK:
		break;
	default:
		return;
	}
	if (c->in_recovery && c->sack_rec) {
		uint32_t before = c->t->st.segs_out;

		tg_sack_output(c);
		if ((c->t->st.segs_out == before && c->ack_now) || c->dsack)
			tg_tcp_send_ack(c);
		return;
	}
	for (int i = 0; i < 4096; i++) {
		uint32_t data_end = c->snd.seq + c->snd.len;
		uint32_t avail = SEQ_GT(data_end, c->snd_nxt) ? data_end - c->snd_nxt : 0;
		uint32_t inflight = c->snd_nxt - c->snd_una;
		/* RFC 3042 limited transmit: two more segments on the first
		 * two duplicate ACKs */
		uint32_t cwnd = c->cwnd + (c->in_recovery ? 0 : RTE_MIN(c->dupacks, 2u) * c->mss);
		uint32_t wnd = RTE_MIN(c->snd_wnd, cwnd);
		uint32_t usable = wnd > inflight ? wnd - inflight : 0;
		struct tg_net_tso tso;
		uint32_t tso_len = tg_tcp_tso_len(c, avail, usable, &tso);
		uint32_t len = tso_len != 0 ? tso_len
					   : RTE_MIN(RTE_MIN(avail, usable), (uint32_t)c->mss);
		bool fin = c->fin_queued && c->snd_nxt + len == data_end && len == avail &&
			   !(c->fin_sent && SEQ_GT(c->snd_nxt, data_end));
		uint8_t fl = TH_ACK;

		if (c->persist && c->snd_wnd == 0)
			break;
		if (len == 0 && !fin)
			break;
		if (len > 0 && len < c->mss && !fin) {
			/* Nagle (RFC 9293 §3.7.4), off unless asked */
			if (t->c.nagle && inflight > 0)
				break;
			/* RFC 9293 §3.8.6.2.1: a window-limited small segment
			 * waits while data is in flight and the window is
			 * under half the largest one seen */
			if (len < avail && inflight > 0 && len < c->max_snd_wnd / 2)
				break;
		}
		if (len > 0 && c->snd_nxt + len == data_end)
			fl |= TH_PSH;
		if (fin)
			fl |= TH_FIN;
		if (!tg_tcp_xmit_tso(c, c->snd_nxt, len, fl, tso_len != 0 ? &tso : NULL)) {
			no_mbuf = true;
			break;
		}
		tg_rack_sent(c, c->snd_nxt, len + fin, SEQ_LT(c->snd_nxt, c->snd_max));
		if (SEQ_LT(c->snd_nxt, c->snd_max)) {
			t->st.retransmits++;
			c->retrans_total++;
		} else if (!c->rtt_timing && len > 0) {
			/* RFC 6298 §3 (Karn): time a segment sent once */
			c->rtt_timing = true;
			c->rtt_seq = c->snd_nxt;
			c->rtt_start_us = tg_net_now_us(t->net);
		}
		c->snd_nxt += len + (fin ? 1 : 0);
		if (fin)
			c->fin_sent = true;
		if (SEQ_GT(c->snd_nxt, c->snd_max))
			c->snd_max = c->snd_nxt;
		sent = true;
		if (!tg_timer_armed(&c->tm_rtx))
			tg_tcp_arm_rtx(c); /* RFC 6298 §5.1 */
		if (fin)
			break;
	}
	/* a D-SACK that a full segment had no room for goes now, in an
	 * ACK of its own (RFC 2883 §4: in the ACK that answers the
	 * duplicate, not in a later one that answers another segment) */
	if ((!sent && c->ack_now) || c->dsack)
		tg_tcp_send_ack(c);
	/* a segment the pool had no mbuf for, nothing in flight: no ACK
	 * will bring us back here, the timer must (RFC 6298 §5.1 as if
	 * it had gone out) */
	if (no_mbuf && !tg_timer_armed(&c->tm_rtx))
		tg_tcp_arm_rtx(c);
	/* a zero window with data waiting: probe it */
	if (c->snd_wnd == 0 && c->snd_una == c->snd_max &&
	    SEQ_GT(c->snd.seq + c->snd.len, c->snd_nxt) && !tg_timer_armed(&c->tm_rtx)) {
		c->persist = true;
		tg_tcp_arm_rtx(c);
	}
}
