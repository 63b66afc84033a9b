/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internals of dataplane/tcp shared by its files.
 */
#ifndef TG_TCP_INT_H
#define TG_TCP_INT_H

#include <string.h>
#include <sys/queue.h>

#include <netinet/in.h>

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "tg_tcp.h"

/* RFC 9293 §3.4: sequence numbers compare modulo 2^32 */
#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)

#define TG_TCP_HDR 20u
#define TG_TCP_MAX_LISTEN 16
#define TG_TCP_MAX_WS 14          /* RFC 7323 §2.3 */
#define TG_TCP_OOW_MS 500         /* ms between ACKs to dataless out-of-window segments */
#define TG_TCP_DEF_MSS4 536u      /* RFC 9293 §3.7.1, IPv4 */
#define TG_TCP_DEF_MSS6 1220u     /* RFC 9293 §3.7.1, IPv6 */
#define TG_SB_MAX 16              /* SACK scoreboard ranges */
#define TG_DUPTHRESH 3            /* RFC 6675 §2 */
#define TG_RACK_MAX 32            /* send-time ranges per connection */
#define TG_WCDELACK_MS 200        /* RFC 8985 §7.2 WCDelAckT */
#define TG_PTO_MIN_MS 10          /* the probe timeout's floor (docs/tcp.md) */

/* TCP flags */
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20
#define TH_ECE 0x40
#define TH_CWR 0x80

/* ---- the timer wheel ---------------------------------------------------------- */

#define TG_WHEEL_BITS 6
#define TG_WHEEL_SLOTS (1u << TG_WHEEL_BITS)
#define TG_WHEEL_LEVELS 4   /* 64^4 ms: 4.6 hours, longer ones wait in the
			       last level's slots and are put back */

struct tg_timer {
	struct tg_timer *next;
	struct tg_timer **pprev;  /* NULL: not armed */
	uint64_t expire;          /* ms */
	uint8_t kind;
};

struct tg_wheel {
	uint64_t now;             /* ms: everything up to it has fired */
	unsigned armed;
	struct tg_timer *slot[TG_WHEEL_LEVELS][TG_WHEEL_SLOTS];
};

void tg_wheel_init(struct tg_wheel *w, uint64_t now);
void tg_wheel_arm(struct tg_wheel *w, struct tg_timer *t, uint64_t expire);
void tg_wheel_cancel(struct tg_wheel *w, struct tg_timer *t);
static inline bool tg_timer_armed(const struct tg_timer *t)
{
	return t->pprev != NULL;
}
/* Advance to @p now: every timer due is unlinked and handed to @p fire
 * (which may arm and cancel timers, this one included). Returns how
 * many fired. */
unsigned tg_wheel_advance(struct tg_wheel *w, uint64_t now,
			  void (*fire)(void *ctx, struct tg_timer *t), void *ctx);

/* ---- connections ------------------------------------------------------------- */

struct tg_tcp_key {
	struct tg_net_addr laddr;
	struct tg_net_addr raddr;
	uint16_t lport;
	uint16_t rport;
};

enum { TG_TM_RTX = 1, TG_TM_DACK, TG_TM_KEEP };

/* a parsed segment */
struct tg_seg {
	uint32_t seq, ack;
	uint32_t len;       /* payload bytes */
	uint16_t wnd;       /* raw window field */
	uint8_t flags;
	bool has_mss, has_ws, has_ts, sack_ok;
	uint16_t mss;
	uint8_t ws;
	uint32_t tsval, tsecr;
	uint8_t n_sack;
	uint32_t sack[4][2];
};

struct tg_tcp_listener {
	uint16_t port;
	bool used;
	void *udata;
	unsigned half_open;
};

/* RFC 8985: when each range of sequence numbers last went out. Sorted,
 * disjoint; a burst sent in one poll is one range (the clock is read once
 * a poll), ranges SACKed or retransmitted are split off. */
enum { TG_RK_RETRANS = 1, TG_RK_LOST = 2, TG_RK_DELIVERED = 4 };
struct tg_rack_ent {
	uint32_t l, r;           /* [l, r) */
	uint32_t ts;             /* us, tg_net_now_us() truncated */
	uint8_t fl;              /* TG_RK_* */
};

/* what the rtx timer is armed for */
enum { TG_RTX_RTO = 0, TG_RTX_PTO, TG_RTX_REO };

struct tg_rack {
	struct tg_rack_ent e[TG_RACK_MAX];
	uint8_t n;
	uint8_t tmode;           /* TG_RTX_* */
	bool have;               /* xmit_ts, end_seq, rtt_us set */
	bool min_ok;             /* min_rtt_us set */
	bool reord;              /* reordering seen (§6.2 step 3) */
	bool tlp_out;            /* a probe outstanding, up to tlp_end */
	bool tlp_retrans;        /* it was a retransmission */
	bool rescue;             /* RFC 6675 rule 4 used, rescue_rxt set */
	bool fack_ok;            /* fack set */
	bool dsack_round_ok;     /* dsack_round set */
	bool rec_end;            /* the ACK in hand ended a recovery */
	bool rto_rec;            /* in a timeout's recovery (§6.2 step 4) */
	uint8_t reo_steps;       /* §6.2 step 4: RACK.reo_wnd_mult - 1 */
	uint8_t reo_persist;     /* recoveries left before reo_steps goes */
	uint32_t dsack_round;    /* the window grows once per round trip */
	uint64_t dsack_segs;     /* segments D-SACKed (tg_rack_dsack_resent) */
	uint32_t xmit_ts, end_seq, rtt_us, min_rtt_us;
	uint32_t fack;           /* highest delivered end */
	uint32_t tlp_end, rescue_rxt;
	uint64_t reo_due_ms;     /* the reordering timer, 0: none */
};

/* RFC 9438: CUBIC's state */
struct tg_cubic {
	uint32_t w_max;      /* bytes */
	uint32_t k_ms;       /* time to reach w_max */
	uint64_t epoch_ms;   /* start of the current epoch, 0: none */
	uint32_t w_est;      /* Reno-friendly estimate, bytes */
	uint32_t cwnd_prior;
};

#define TG_UNDO_MAX 8    /* retransmitted ranges one episode keeps */

/* A congestion response that D-SACKs may show spurious (RFC 3708 §2
 * with D-SACK, RFC 4015's response): the window before it, the ranges
 * the episode resent (sorted, disjoint, each sent again once) and the
 * parts of them D-SACKed since (sorted, disjoint, merged). */
struct tg_undo {
	bool on;                 /* the episode may still be undone */
	bool ended;              /* its recovery ended, at end_ms, SND.MAX end_seq */
	uint8_t n, nd;
	uint32_t cwnd, ssthresh; /* before the response */
	struct tg_cubic cubic;
	uint32_t end_seq;
	uint64_t end_ms;
	uint32_t rtx[TG_UNDO_MAX][2];    /* [l, r) resent */
	uint32_t dup[TG_UNDO_MAX][2];    /* [l, r) of those D-SACKed */
};

/* received data: single-segment mbufs linked through ->next, data = the
 * payload not yet read */
struct tg_rbuf {
	struct rte_mbuf *head, *tail;
	uint32_t len;            /* bytes */
	struct rte_mbuf *ooo;    /* out of order, by sequence number */
	uint32_t ooo_mem;        /* buffer bytes held by it */
	uint32_t ooo_fin;        /* sequence number of a FIN after it */
	bool has_ooo_fin;
};

/* the send buffer: single-segment mbufs linked through ->next holding
 * exactly the bytes given, from sequence number seq */
struct tg_sbuf {
	struct rte_mbuf *head, *tail;
	uint32_t len;            /* bytes from seq */
	uint32_t seq;            /* of the first byte (head's data start) */
	struct rte_mbuf *cur;    /* where cur_seq lies (a cache for sending) */
	uint32_t cur_seq;        /* sequence number of cur's first byte */
	/* reservations (tg_tcp_send_reserve), oldest first, linked through
	 * ->next and never on the chain above: data_off = the prefix,
	 * data_len = the bytes reserved; the sending code never sees them */
	struct rte_mbuf *rsv_head, *rsv_tail;
	uint32_t rsv_len;        /* bytes reserved (counted against snd_buf) */
	uint16_t rsv_n;          /* reservations outstanding */
};

struct tg_tcp_conn {
	struct tg_tcp *t;
	struct tg_tcp_key key;
	uint8_t state;
	bool in_hash;
	bool user;              /* the user holds it (events, close) */
	bool passive;
	bool fin_queued;        /* the user shut down: FIN after the data */
	bool fin_sent;          /* a FIN went out (snd_max covers it) */
	bool fin_rcvd;          /* the peer's FIN is in sequence */
	bool ts_ok, ws_ok, sack_ok;
	bool ack_now;           /* send an ACK at the next output */
	bool persist;           /* the rtx timer is the persist timer */
	bool rtt_timing;        /* timing the segment rtt_seq */
	bool in_recovery;       /* NewReno fast recovery */
	bool ev_accepted, ev_connected, ev_error, ev_closed; /* once-events */
	bool want_rd, want_wr;
	bool on_ready, on_out;
	int err;                /* errno of its end */
	struct tg_tcp_listener *lst;
	void *udata;

	/* RFC 9293 §3.3.1 send sequence variables */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
	uint32_t max_snd_wnd;   /* RFC 5961 §5.2 */
	uint8_t snd_ws, rcv_ws; /* RFC 7323 shifts */
	uint16_t mss;           /* payload bytes we put in a segment */
	uint16_t peer_mss;      /* what the peer said (or the default) */
	uint16_t opt_len;       /* option bytes on our data segments */
	/* receive sequence variables */
	uint32_t irs, rcv_nxt, rcv_adv; /* rcv_adv: right edge advertised */
	uint32_t unacked_bytes; /* received since our last ACK (delayed ACK) */
	/* RFC 7323 */
	uint32_t ts_recent, ts_off, last_ack_sent;
	uint64_t ts_recent_at;  /* ms */
	uint64_t oow_ack_at;    /* ms: last ACK for a segment out of the window */
	/* RFC 6298 */
	uint32_t srtt_us, rttvar_us, rto_ms;
	uint8_t backoff;        /* RTO doublings not yet undone (Karn) */
	uint8_t nrtx;           /* consecutive timeouts */
	uint8_t probes;         /* unanswered window / keep-alive probes */
	uint32_t rtt_seq;
	uint64_t rtt_start_us;
	/* congestion control */
	uint32_t cwnd, ssthresh, recover, dupacks, bytes_acked;
	struct tg_cubic cubic;
	struct tg_undo undo;    /* RFC 3708 / RFC 4015 */
	uint64_t retrans_total;
	/* RFC 2018 / RFC 6675: the SACK scoreboard (sorted, disjoint ranges
	 * above snd_una), and where retransmission got to in recovery */
	uint32_t sb[TG_SB_MAX][2];
	uint8_t n_sb;
	bool sack_rec;          /* the recovery is RFC 6675's */
	uint32_t sacked;        /* bytes in the scoreboard */
	uint32_t high_rxt;      /* end of what recovery resent */
	uint32_t last_ooo;      /* receiver: last out-of-order segment's seq */
	/* receiver: a duplicate to report in the next ACK's first SACK
	 * block (RFC 2883), [dsack_l, dsack_r) */
	bool dsack;
	uint32_t dsack_l, dsack_r;
	struct tg_rack rack;    /* RFC 8985 */
	/* buffers */
	struct tg_sbuf snd;
	struct tg_rbuf rcv;
	/* timers */
	struct tg_timer tm_rtx, tm_dack, tm_keep;
	uint64_t last_rx_ms;
	/* lists */
	TAILQ_ENTRY(tg_tcp_conn) ready_link;
	TAILQ_ENTRY(tg_tcp_conn) out_link;
	struct tg_tcp_conn *free_next;
};

TAILQ_HEAD(tg_conn_list, tg_tcp_conn);

/* a connection in TIME_WAIT, a quarter of the size of one */
struct tg_tw {
	struct tg_tcp_key key;
	uint32_t snd_nxt, rcv_nxt;
	uint32_t ts_recent, ts_off;
	uint16_t rcv_wnd;       /* raw field to advertise */
	bool ts_ok;
	uint64_t expire;        /* ms */
	uint64_t born;          /* ms */
	TAILQ_ENTRY(tg_tw) link;
};

TAILQ_HEAD(tg_tw_list, tg_tw);

struct rte_hash;

struct tg_tcp {
	struct tg_tcp_conf c;
	struct tg_net *net;
	struct tg_tcp_stats st;
	struct rte_hash *h;       /* key -> conn, or tw | 1 */
	/* the connection the last segment in found (NULL: none): a bulk
	 * flow's burst skips the hash; cleared at every add and delete */
	struct tg_tcp_conn *last;
	struct tg_tcp_key last_key;
	struct tg_tcp_conn *conns;
	struct tg_tcp_conn *free;
	struct tg_tw *tws;
	struct tg_tw *tw_free;
	struct tg_tw_list tw_fifo; /* by expiry */
	struct tg_conn_list ready; /* may have events */
	struct tg_conn_list out;   /* have something to send */
	struct tg_tcp_listener lst[TG_TCP_MAX_LISTEN];
	struct tg_wheel wheel;
	uint64_t now_ms;
	uint64_t key[2];          /* SipHash key: ISNs, timestamps offsets */
	uint32_t chal_left;       /* challenge ACKs left this second */
	uint64_t chal_sec;
	uint16_t next_port;
	uint16_t low_water;       /* pool level that closes windows */
	struct rte_mempool *big;  /* large mbufs for reservations (NULL: none) */
	bool in_poll;
};

/* tcp.c */
uint64_t tg_tcp_siphash(const uint64_t key[2], const void *p, size_t len);
void tg_tcp_ready(struct tg_tcp_conn *c);
void tg_tcp_want_output(struct tg_tcp_conn *c);
void tg_tcp_set_state(struct tg_tcp_conn *c, uint8_t s);
void tg_tcp_fail(struct tg_tcp_conn *c, int err);
void tg_tcp_release(struct tg_tcp_conn *c);
void tg_tcp_enter_tw(struct tg_tcp_conn *c);
void tg_tcp_detach_closed(struct tg_tcp_conn *c);
struct tg_tcp_conn *tg_tcp_conn_alloc(struct tg_tcp *t);
bool tg_tcp_hash_add(struct tg_tcp *t, const struct tg_tcp_key *k, void *v);
void tg_tcp_hash_del(struct tg_tcp *t, const struct tg_tcp_key *k);
uint32_t tg_tcp_isn(struct tg_tcp *t, const struct tg_tcp_key *k);
void tg_tcp_conn_init(struct tg_tcp_conn *c, const struct tg_tcp_key *k);
void tg_tcp_tw_free(struct tg_tcp *t, struct tg_tw *w);
/* IPv4 or IPv6 header and the TCP header: what the MTU leaves for
 * options and data (RFC 9293 §3.7.1, RFC 8200 §8.3) */
static inline uint32_t tg_tcp_mtu_mss(const struct tg_tcp_conn *c)
{
	return (uint32_t)tg_net_mtu(c->t->net) -
	       (tg_net_addr_is_v4(&c->key.raddr) ? 40u : 60u);
}

static inline uint32_t tg_tcp_ts_now(const struct tg_tcp_conn *c)
{
	return (uint32_t)c->t->now_ms + c->ts_off;
}

/* tcp_in.c */
void tg_tcp_input(void *ctx, struct rte_mbuf *m, const struct tg_net_rx *rx);
void tg_tcp_icmp(void *ctx, const struct tg_net_icmp_err *e);
tg_result tg_tcp_parse_opts(const uint8_t *p, unsigned len, struct tg_seg *s);

/* tcp_out.c */
void tg_tcp_output(struct tg_tcp_conn *c);
bool tg_tcp_xmit(struct tg_tcp_conn *c, uint32_t seq, uint32_t len, uint8_t flags);
void tg_tcp_send_ack(struct tg_tcp_conn *c);
void tg_tcp_send_syn(struct tg_tcp_conn *c);
void tg_tcp_send_rst(struct tg_tcp_conn *c);
void tg_tcp_reply_rst(struct tg_tcp *t, const struct tg_tcp_key *k,
		      const struct tg_seg *s);
void tg_tcp_tw_ack(struct tg_tcp *t, const struct tg_tw *w);
void tg_tcp_challenge_ack(struct tg_tcp_conn *c);
uint32_t tg_tcp_rcv_window(struct tg_tcp_conn *c);
void tg_tcp_rtx_fire(struct tg_tcp_conn *c);
void tg_tcp_keep_fire(struct tg_tcp_conn *c);
void tg_tcp_arm_rtx(struct tg_tcp_conn *c);
uint32_t tg_tcp_cur_rto(const struct tg_tcp_conn *c);
void tg_tcp_sbuf_free(struct tg_sbuf *b);
void tg_tcp_rbuf_free(struct tg_rbuf *b);
uint32_t tg_tcp_sbuf_ack(struct tg_tcp_conn *c, uint32_t ack);
void tg_tcp_retransmit_una(struct tg_tcp_conn *c);

/* tcp_cookie.c */
void tg_tcp_cookie_reply(struct tg_tcp *t, const struct tg_tcp_key *k,
			 const struct tg_seg *s);
struct tg_tcp_conn *tg_tcp_cookie_accept(struct tg_tcp *t, struct tg_tcp_listener *l,
					 const struct tg_tcp_key *k,
					 const struct tg_seg *s);

/* tcp_sack.c */
void tg_sack_update(struct tg_tcp_conn *c, const struct tg_seg *s);
void tg_sack_clear(struct tg_tcp_conn *c);
bool tg_sack_lost_una(const struct tg_tcp_conn *c);
void tg_sack_enter(struct tg_tcp_conn *c);
void tg_sack_output(struct tg_tcp_conn *c);
unsigned tg_sack_blocks(const struct tg_tcp_conn *c, uint32_t b[][2], unsigned max);
void tg_sack_dup(struct tg_tcp_conn *c, uint32_t l, uint32_t r, uint32_t lim);
bool tg_sack_is_dsack(const struct tg_seg *s);
/* RFC 8985 RACK-TLP (with SACK, unless conf no_rack) */
static inline bool tg_rack_on(const struct tg_tcp_conn *c)
{
	return c->sack_ok && !c->t->c.no_rack;
}
void tg_rack_sent(struct tg_tcp_conn *c, uint32_t seq, uint32_t len, bool retrans);
void tg_rack_on_ack(struct tg_tcp_conn *c, const struct tg_seg *s, bool advanced);
void tg_rack_reset(struct tg_tcp_conn *c);
bool tg_rack_pto(struct tg_tcp_conn *c, uint64_t *at);
void tg_rack_tlp_fire(struct tg_tcp_conn *c);
void tg_rack_reo_fire(struct tg_tcp_conn *c);
void tg_rack_recovery_end(struct tg_tcp_conn *c);
/* RFC 3708 / RFC 4015 undo */
void tg_undo_begin(struct tg_tcp_conn *c);
void tg_undo_rtx(struct tg_tcp_conn *c, uint32_t seq, uint32_t len);
void tg_undo_on_ack(struct tg_tcp_conn *c, const struct tg_seg *s);

/* tcp_cc.c */
void tg_cc_init(struct tg_tcp_conn *c);
void tg_cc_on_ack(struct tg_tcp_conn *c, uint32_t acked);
void tg_cc_on_dupack(struct tg_tcp_conn *c);
void tg_cc_on_rto(struct tg_tcp_conn *c);
uint32_t tg_cc_flight(const struct tg_tcp_conn *c);

/* the mbuf dynamic field with a queued segment's sequence number */
extern int tg_tcp_seq_off;
static inline uint32_t *tg_mseq(struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, tg_tcp_seq_off, uint32_t *);
}

/* @p m (one segment) at the tail of a queue of single-segment mbufs
 * linked through ->next: the send buffer, its reservations, the receive
 * queue */
static inline void tg_mq_push(struct rte_mbuf **head, struct rte_mbuf **tail,
			      struct rte_mbuf *m)
{
	m->next = NULL;
	if (*tail != NULL)
		(*tail)->next = m;
	else
		*head = m;
	*tail = m;
}

#endif
