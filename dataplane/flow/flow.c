/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file flow.c
 * The flow engine (see tg_flow.h): flows, their buffers and states, the
 * control-plane messages, the cross-flow record passes, progress and
 * timers. Transports reach it through events and serve it through their
 * struct tg_flow_ops.
 */
#include "tg_flow.h"

#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "tg_accel.h"
#include "tg_alert.h"
#include "tg_backend.h"
#include "tg_ctl.h"
#include "tg_hs_msg.h"
#include "tg_ks.h"
#include "tg_log.h"
#include "tg_proxy.h"
#include "tg_stats.h"
#include "tg_suite.h"
#include "tg_tls.h"
#include "tg_wipe.h"

#define TG_REC_MAX_CT TG_REC_LEN_MAX_CT12 /* RFC 5246 §6.2.3 */
#define TG_CIN_CAP (2 * (TG_REC_HDR_LEN + TG_REC_MAX_CT))
/* cout while in the handshake: the server's flights (it grows to its
 * full size, max_buffer, at the key install, or for a longer flight) */
#define TG_HS_COUT_CAP (64 * 1024)
#define TG_REC_ROOM 64 /* header, explicit nonce, tag, slack */
#define TG_TIMER_MS 50 /* every flow's timers are checked this often */
/* records in flight in an engine's accel queue at most (docs/decisions.md:
 * asynchronous crypto) */
#define TG_FLOW_QDEPTH 256
#define TG_HOLD_NONE UINT32_MAX /* cout: no record in flight, all may go */
/* TLS 1.3: bursts of one flow's records per rx pass (a KeyUpdate
 * changes the key of the record after it, RFC 8446 §4.6.3: a flow's
 * records in flight are one burst's) */
#define TG_RX13_PER_PASS 4
/* TLS 1.3: a record after the first of its flow in a burst is opened
 * there only if it is this long at most (header and tag included): its
 * ciphertext is kept aside first, since a KeyUpdate before it in the
 * same burst means it was opened (failed, wiped) under the key the
 * KeyUpdate retired, and it goes again under the next one (64 B records
 * ran at 0.27-0.49x TLS 1.2's per CPU-second when each flow put one
 * record in a burst and four per pass, bench/RESULTS.md). Longer ones
 * wait for the next burst: one 16 KiB record a burst already ran at
 * TLS 1.2's rate, where a copy of each would not be free */
#define TG_RX13_SAVE 2048
/* TLS 1.3: KeyUpdates a client may send in a row without application
 * data between them (BoringSSL's kMaxKeyUpdates); the next one is an
 * unexpected_message */
#define TG_KU_MAX_RUN 32
/* Our KeyUpdate before this many records under one key (RFC 8446 §5.5:
 * AES-GCM 2^24.5 full-size records) when the settings say 0 */
#define TG_REKEY_DEFAULT (1ull << 24)
/* Records across the transport's buffers of at least this many bytes
 * (after the header) are copied once into the backend's stream; smaller
 * ones go through cin as before, which reads all that is there in one
 * call and opens many per burst (64 B and 1 KiB records: 0.65x the
 * records per CPU-second when each cut one went its own way) */
#define TG_ASM_MIN 4096

enum tg_flow_state {
	FL_FREE = 0,
	FL_HS,       /* handshake with the control thread */
	FL_CONNECT,  /* keys installed, backend connecting */
	FL_OPEN,     /* proxying records */
	FL_CLOSING,  /* flush cout, then close */
	FL_DYING,    /* closed, records still in flight: the slot waits */
};

/* Buffer classes, each of one size: a flow's buffers come from its
 * engine's pool of the class and go back to it (wiped). */
enum tg_buf_cls {
	TG_BUF_CIN = 0,  /* client input: two records */
	TG_BUF_COUT_HS,  /* output in the handshake: the server's flights */
	TG_BUF_COUT,     /* output after it: max_buffer of records + two reads */
	TG_BUF_BOUT,     /* towards the backend: max_buffer + a PROXY header */
	TG_BUF__N
};

/* A byte buffer: data in [off, off + len) of [0, cap). */
struct tg_buf {
	uint8_t *p;
	uint32_t off, len, cap;
	uint32_t hw; /* high-water mark: bytes ever written, wiped at free */
	uint8_t cls; /* ::tg_buf_cls */
	uint16_t pin; /* records in flight in it: its bytes must not move */
};

/* Free buffers of one class, kept for the next flows (no malloc, mmap,
 * page faults and munmap per connection); at most TG_POOL_KEEP, and
 * TG_POOL_IDLE_KEEP once a burst of connections has gone. */
#define TG_POOL_KEEP 64
#define TG_POOL_IDLE_KEEP 8
struct tg_bufpool {
	uint8_t *v[TG_POOL_KEEP];
	unsigned n;
	uint32_t size;
};

struct tg_flow {
	uint32_t slot, gen;
	uint8_t state;
	bool c_eof;          /* client sent FIN or close_notify */
	bool c_notify;       /* client sent close_notify: what follows is
				ignored (RFC 5246 §7.2.1) */
	bool ctl_wait;       /* a message of ours waits to go to the control
				plane: read no more from the client */
	bool b_eof;          /* backend sent FIN */
	bool b_shut;         /* we shut the backend's write side */
	bool b_reset;        /* the backend's side ended in an error (reset) */
	bool b_up;           /* a backend connection exists (connecting or up) */
	bool in_rx, in_tx;   /* queued for the record passes */
	bool touched;        /* queued for progress this iteration */
	bool hs_done;
	uint32_t act_idx;    /* position in the engine's in-use list */
	struct tg_accel_sess *rx, *tx;
	struct tg_buf cin, cout, bout;
	uint64_t t_start, t_active;
	uint64_t t_connect;       /* this backend connect's start */
	uint64_t t_sent;          /* last records sealed for the client */
	uint64_t t_closing;       /* closing: last progress flushing cout */
	uint64_t closing_out;     /* out_bytes then */
	uint64_t sent_since_idle;
	uint64_t tried;
	unsigned pool;
	int be;
	struct tg_backend *bep;   /* in bes */
	struct tg_backends *bes;  /* the list connected from (a reference:
				     a reload may replace the engine's) */
	struct tg_hs_info info;
	struct sockaddr_storage peer, local;
	uint64_t in_bytes, out_bytes;
	/* Records in flight in the engine's accel queue (seals: cout.pin;
	 * opens in cin: cin.pin; opens in the transport's bytes: rx_peek).
	 * cout goes out up to cout_hold only (the records before it are
	 * done); opened plaintext has bout_resv bytes of bout kept for it. */
	uint16_t rx_peek;
	uint32_t cin_pend;        /* bytes of cin from off being opened */
	uint32_t peek_pend;       /* the transport's bytes being opened */
	uint32_t bout_resv;
	uint32_t cout_hold;       /* index in cout.p, or TG_HOLD_NONE */
	bool tx_failed;           /* a seal failed: nothing more is sent */
	bool rx_more;             /* records left unframed for want of room */
	bool t_released;          /* the transport has let it go */
	/* Client records that raced the key install: sent to the control
	 * plane as handshake bytes, they come back as HS_LATE and go into
	 * cin before anything read later (reading waits for them). */
	uint32_t hs_msgs;          /* HS_DATA messages sent */
	uint32_t late_expected;    /* HS_LATE messages still to come */
	struct tg_ctl_msg *late, *late_tail; /* come, not yet in cin */
	uint32_t late_off;         /* bytes of late already in cin */
	/* TLS 1.3: the application traffic secrets, to follow KeyUpdates
	 * here (docs/decisions.md): wiped at close */
	struct tg_hs_secrets13 s13;
	uint8_t suite13;           /* the AEAD (::tg_suite) */
	bool ku_owed;              /* the client asked for our KeyUpdate */
	uint16_t ku_run;           /* its KeyUpdates without data between */
	uint8_t hsfrag[8];         /* a KeyUpdate cut across records */
	uint8_t hsfrag_len;
	uint32_t rx_pass;          /* the rx pass it was last counted in */
	uint8_t rx_n;              /* its bursts of records in that pass */
	/* TLS 1.3: the read key's generation (one more at each KeyUpdate
	 * received); the session a KeyUpdate retired while records opened
	 * under it were still in flight, freed once they are back */
	uint8_t rx_kgen;
	struct tg_accel_sess *rx_old;
	/* Reservations in the transport's send streams (tg_flow_ops::
	 * send_reserve; docs/decisions.md): records sealed where the client's
	 * stream continues (tx_resv of them in flight: the reservations
	 * outstanding are theirs), and a record across the transport's
	 * buffers copied once into the backend's stream and opened there
	 * (asm_*: being assembled; rx_resv: in flight). */
	uint16_t tx_resv, rx_resv;
	bool tx_wait;              /* a reservation was refused: the backend
				      waits for the client's writable */
	uint8_t *asm_p;            /* the record's reservation (NULL: none) */
	uint32_t asm_have, asm_need;
	/* A record across the transport's buffers taken out as an mbuf
	 * chain (tg_flow_ops::recv_chain), opened in it and appended to
	 * the backend's stream (send_chain): chin, the record being taken
	 * (chin_need bytes; in flight: rx_resv); chout, its plaintext the
	 * backend's stream did not take yet (before bout) */
	struct rte_mbuf *chin, *chout;
	uint32_t chin_need;
};

/* A record of a flow in the accel queue: its descriptor lives here from
 * submit to completion. */
enum tg_frec_kind {
	TG_FR_SEAL = 0,  /* into cout */
	TG_FR_OPEN,      /* in cin */
	TG_FR_OPEN_PEEK, /* in the transport's bytes */
	TG_FR_SEAL_RESV, /* in a reservation of the client's stream */
	TG_FR_OPEN_RESV, /* in a reservation of the backend's stream */
	TG_FR_OPEN_CHAIN, /* in an mbuf chain taken from the transport */
};
struct tg_frec {
	struct tg_rec r;     /* r.udata = this */
	struct tg_flow *f;
	uint32_t resv;       /* open: bout bytes kept for its plaintext;
				SEAL_RESV: the bytes its reservation commits
				when it is back (its last record), else 0 */
	uint8_t kind;        /* ::tg_frec_kind */
	uint8_t kgen;        /* open: its flow's rx_kgen when framed */
	bool saved;          /* open: its ciphertext is in save */
	uint8_t *save;       /* TG_RX13_SAVE bytes of the engine's */
};

struct tg_flow_engine {
	const struct tg_flow_conf *c;
	const struct tg_flow_settings *set;
	const struct tg_flow_ops *ops;
	void *tctx;
	struct tg_wk_stats *st;
	struct tg_flow *flows;
	uint32_t *free_slots;
	unsigned n_free, max;
	unsigned active;
	struct tg_backends *be;
	uint32_t *rxq, *txq; /* flows with records to open / data to seal */
	unsigned n_rxq, n_txq;
	uint32_t *tq;        /* flows to make progress on */
	unsigned n_tq;
	uint32_t *act;       /* the slots in use, in no order (the timer's list) */
	struct tg_accel_q *q;  /* records in flight (one queue, all flows) */
	struct tg_rec **rxd;   /* opened records back from q, not yet handed
				  to their flows (TG_FLOW_QDEPTH) */
	uint16_t n_rxd;
	struct tg_frec *frec;  /* TG_FLOW_QDEPTH record descriptors */
	uint8_t *rx_save;      /* TG_RX13_SAVE bytes for each of them */
	struct tg_frec **frec_free;
	unsigned n_frec_free;
	uint64_t drain_deadline; /* 0: not draining */
	struct tg_bufpool pool[TG_BUF__N];
	unsigned peak;       /* most flows open since memory was last trimmed */
	/* messages for the control plane that found its ring full, in
	 * order: sent first thing each round (never dropped) */
	struct tg_ctl_msg *defer, *defer_tail;
	uint32_t rx_pass;    /* rx passes so far (TLS 1.3 per-pass counts) */
	uint64_t next_timer;
};

static uint64_t tg_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t tg_now(const struct tg_flow_engine *e)
{
	return e->c->now_ms != NULL ? e->c->now_ms() : tg_clock_ms();
}

/* ---- buffers -------------------------------------------------------------- */

/* A buffer of class @p cls for @p b (empty), from the pool if it has
 * one; false when out of memory. */
static bool tg_buf_get(struct tg_flow_engine *e, struct tg_buf *b,
		       enum tg_buf_cls cls)
{
	struct tg_bufpool *pl = &e->pool[cls];
	uint8_t *p = pl->n > 0 ? pl->v[--pl->n] : malloc(pl->size);

	*b = (struct tg_buf){ .p = p, .cap = p != NULL ? pl->size : 0,
			      .cls = (uint8_t)cls };
	return p != NULL;
}

/* Give @p b back, wiped to its high-water mark (plaintext must not
 * linger, nor pass to the next flow). */
static void tg_buf_release(struct tg_flow_engine *e, struct tg_buf *b)
{
	struct tg_bufpool *pl = &e->pool[b->cls];

	if (b->p != NULL) {
		tg_wipe(b->p, b->hw);
		if (pl->n < TG_POOL_KEEP)
			pl->v[pl->n++] = b->p;
		else
			free(b->p);
	}
	*b = (struct tg_buf){ .p = NULL };
}

/* Move @p b to a buffer of class @p cls (larger), keeping the bytes not
 * yet consumed; nothing to do when it is of that class already. */
static bool tg_buf_grow(struct tg_flow_engine *e, struct tg_buf *b,
			enum tg_buf_cls cls)
{
	struct tg_buf nb;

	if (b->p != NULL && b->cls == cls)
		return true;
	if (b->pin != 0 || !tg_buf_get(e, &nb, cls))
		return false;
	if (b->len)
		memcpy(nb.p, b->p + b->off, b->len);
	nb.len = nb.hw = b->len;
	tg_buf_release(e, b);
	*b = nb;
	return true;
}

/* Keep at most @p keep free buffers of each class. */
static void tg_pools_shrink(struct tg_flow_engine *e, unsigned keep)
{
	for (unsigned c = 0; c < TG_BUF__N; c++)
		while (e->pool[c].n > keep)
			free(e->pool[c].v[--e->pool[c].n]);
}

/* Bytes free after the data (0, never a wrapped count, if the data
 * reached the end). */
static uint32_t tg_buf_free_tail(const struct tg_buf *b)
{
	uint64_t used = (uint64_t)b->off + b->len;

	return used >= b->cap ? 0 : b->cap - (uint32_t)used;
}

/* Room at the end, compacting first when that frees enough. */
static uint32_t tg_buf_room(struct tg_buf *b, uint32_t want)
{
	/* records in flight point into it: no memmove under them */
	if (tg_buf_free_tail(b) < want && b->off > 0 && b->pin == 0) {
		memmove(b->p, b->p + b->off, b->len);
		b->off = 0;
	}
	return tg_buf_free_tail(b);
}

/* @p n more bytes were written at the tail. */
static void tg_buf_commit(struct tg_buf *b, uint32_t n)
{
	b->len += n;
	if (b->off + b->len > b->hw)
		b->hw = b->off + b->len;
}

static uint8_t *tg_buf_tail(struct tg_buf *b)
{
	return b->p + b->off + b->len;
}

static void tg_buf_consume(struct tg_buf *b, uint32_t n)
{
	b->off += n;
	b->len -= n;
	if (b->len == 0)
		b->off = 0;
}

/* Copy @p n bytes to the tail if they fit; false (nothing copied) if not. */
static bool tg_buf_append(struct tg_buf *b, const void *p, uint32_t n)
{
	if (tg_buf_room(b, n) < n)
		return false;
	memcpy(tg_buf_tail(b), p, n);
	tg_buf_commit(b, n);
	return true;
}

/* ---- the access log ----------------------------------------------------------- */

/*
 * @p in as one log field: "-" when empty, bytes outside '!'..'~' (space,
 * '=', control characters: a client's SNI could forge fields or lines)
 * as \xNN.
 */
static const char *tg_log_field(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	if (in[0] == '\0')
		return "-";
	for (; *in != '\0' && o + 5 < cap; in++) {
		unsigned char c = (unsigned char)*in;

		if (c > ' ' && c < 0x7f && c != '=' && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
	}
	out[o] = '\0';
	return out;
}

static void tg_log_access(struct tg_flow_engine *e, struct tg_flow *f,
			  const char *why)
{
	char sni[4 * TG_HS_SNI_LEN + 1], alpn[4 * TG_HS_ALPN_LEN + 1];
	char peer[INET6_ADDRSTRLEN + 8] = "?";
	const char *cs;
	FILE *out = e->c->access_log;

	if (out == NULL)
		return;
	if (f->peer.ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)&f->peer;
		char ip[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		snprintf(peer, sizeof(peer), "%s:%u", ip, ntohs(a->sin_port));
	} else if (f->peer.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)&f->peer;
		char ip[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		snprintf(peer, sizeof(peer), "[%s]:%u", ip, ntohs(a->sin6_port));
	}
	/* a failed handshake has no version or suite, maybe an SNI */
	cs = f->hs_done ? tg_cs_name(f->info.suite) : NULL;
	fprintf(out,
		"worker=%u client=%s tls=%s suite=%s sni=%s alpn=%s resumed=%s backend=%s in=%llu out=%llu ms=%llu end=%s alert=%s peer_alert=%s\n",
		e->c->id, peer, !f->hs_done ? "-"
		: f->info.version == TG_TLS12 ? "TLSv1.2"
		: f->info.version == TG_TLS13 ? "TLSv1.3" : "?",
		cs ? cs : "-",
		tg_log_field(f->info.sni, sni, sizeof(sni)),
		tg_log_field(f->info.alpn, alpn, sizeof(alpn)),
		!f->hs_done ? "-"
		: f->info.resumed == TG_HS_RESUMED_TICKET ? "ticket"
		: f->info.resumed == TG_HS_RESUMED_ID ? "id" : "no",
		f->bep ? f->bep->addr.text : "-",
		(unsigned long long)f->in_bytes, (unsigned long long)f->out_bytes,
		(unsigned long long)(tg_now(e) - f->t_start), why,
		f->info.alert_sent != TG_ALERT_NONE ? tg_alert_name(f->info.alert_sent) : "-",
		f->info.alert_recv != TG_ALERT_NONE ? tg_alert_name(f->info.alert_recv) : "-");
	fflush(out);
}

/* ---- flows ------------------------------------------------------------------ */

/* Queue a flow for progress (flush, state, events) this iteration. */
static void tg_touch(struct tg_flow_engine *e, struct tg_flow *f)
{
	if (!f->touched) {
		f->touched = true;
		e->tq[e->n_tq++] = f->slot;
	}
}

/* Queue a flow for the record passes of this iteration. */
static void tg_want_rx(struct tg_flow_engine *e, struct tg_flow *f)
{
	tg_touch(e, f);
	if (!f->in_rx) {
		f->in_rx = true;
		e->rxq[e->n_rxq++] = f->slot;
	}
}

static void tg_want_tx(struct tg_flow_engine *e, struct tg_flow *f)
{
	tg_touch(e, f);
	if (!f->in_tx) {
		f->in_tx = true;
		e->txq[e->n_txq++] = f->slot;
	}
}

/* Wake the control plane: messages are queued for it. */
static void tg_ctl_wake(struct tg_flow_engine *e)
{
	if (e->c->ctl.notify != NULL)
		e->c->ctl.notify(e->c->ctl.ctx);
}

/* Send the deferred messages, in order, as far as the ring takes them. */
static void tg_defer_flush(struct tg_flow_engine *e)
{
	bool sent = false;

	while (e->defer != NULL) {
		struct tg_ctl_msg *m = e->defer;
		struct tg_flow *f;

		if (rte_ring_enqueue(e->c->to_ctl, m) != 0)
			break;
		sent = true;
		e->defer = m->next;
		if (e->defer == NULL)
			e->defer_tail = NULL;
		/* its flow may read its client again */
		f = m->slot < e->max ? &e->flows[m->slot] : NULL;
		if (f != NULL && f->state != FL_FREE && f->state != FL_DYING &&
		    f->gen == m->gen && f->ctl_wait) {
			f->ctl_wait = false;
			tg_touch(e, f);
		}
	}
	if (sent)
		tg_ctl_wake(e);
}

/*
 * Queue a message about flow @p f for the control plane and wake it.
 * When its ring is full (or messages wait before it), the message waits
 * in order and goes first thing in a later round, unless @p refuse: then
 * nothing is queued and the return is false (a new handshake refused).
 * False also when there is no memory.
 */
static bool tg_to_ctl(struct tg_flow_engine *e, struct tg_flow *f, uint8_t type,
		      const void *data, uint32_t len, bool refuse)
{
	struct tg_ctl_msg *m;

	if (refuse && (e->defer != NULL || rte_ring_full(e->c->to_ctl)))
		return false;
	m = tg_ctl_msg_new(type, (uint16_t)e->c->id, f->slot, f->gen, data, len);
	if (m == NULL)
		return false;
	if (e->defer == NULL && rte_ring_enqueue(e->c->to_ctl, m) == 0) {
		tg_ctl_wake(e);
		return true;
	}
	m->next = NULL;
	if (e->defer_tail != NULL)
		e->defer_tail->next = m;
	else
		e->defer = m;
	e->defer_tail = m;
	f->ctl_wait = true;
	return true;
}

/* The size of cout once the handshake is done: max_buffer of records
 * and room for the records of one client read. */
static uint32_t tg_cout_cap(const struct tg_flow_engine *e)
{
	return e->set->max_buffer + TG_CIN_CAP;
}

/* Free an mbuf chain the engine holds (NULL: nothing); @p wipe: the
 * bytes it holds are plaintext, wiped first. */
static void tg_chain_drop(struct rte_mbuf *m, bool wipe)
{
	if (m == NULL)
		return;
	for (struct rte_mbuf *x = m; wipe && x != NULL; x = x->next)
		tg_wipe(rte_pktmbuf_mtod(x, uint8_t *), x->data_len);
	rte_pktmbuf_free(m);
}

/* Records of @p f in the engine's accel queue. */
static unsigned tg_flow_infl(const struct tg_flow *f)
{
	return (unsigned)f->cout.pin + f->cin.pin + f->rx_peek + f->tx_resv +
	       f->rx_resv;
}

/* The end of a closed flow's slot, once no record of it is in flight:
 * the transport's side (if still held), sessions, buffers; the slot is
 * free again. */
static void tg_flow_reap(struct tg_flow_engine *e, struct tg_flow *f)
{
	if (!f->t_released)
		e->ops->release(e->tctx, f);
	f->t_released = true;
	tg_accel_sess_free(f->rx);
	tg_accel_sess_free(f->rx_old);
	tg_accel_sess_free(f->tx);
	/* TLS 1.3: the traffic secrets and KeyUpdate state go with the
	 * sessions (no record in flight can need them any more) */
	tg_wipe(&f->s13, sizeof(f->s13));
	f->hsfrag_len = 0;
	f->ku_owed = false;
	f->ku_run = 0;
	f->rx_n = 0;
	f->cin.pin = f->cout.pin = 0;
	f->rx_peek = 0;
	f->tx_resv = f->rx_resv = 0;
	f->asm_p = NULL; /* the transport's release dropped it */
	tg_chain_drop(f->chin, false);
	tg_chain_drop(f->chout, true);
	f->chin = f->chout = NULL;
	tg_buf_release(e, &f->cin);
	tg_buf_release(e, &f->cout);
	tg_buf_release(e, &f->bout);
	f->rx = f->tx = f->rx_old = NULL;
	/* in_rx/in_tx/touched stay: the slot may still sit in a queue of
	 * this iteration, and the passes reset them */
	f->state = FL_FREE;
	f->gen++;
	e->free_slots[e->n_free++] = f->slot;
}

static void tg_flow_close(struct tg_flow_engine *e, struct tg_flow *f,
			  const char *why)
{
	if (f->state == FL_FREE || f->state == FL_DYING)
		return;
	/* the control plane forgets the handshake (it waits if the ring is
	 * full; only out of memory is it lost, and the slot's reuse tells
	 * the control plane then); one whose keys came is no longer its,
	 * one that sent it nothing never was */
	if (f->state == FL_HS && !f->hs_done && f->hs_msgs > 0)
		(void)tg_to_ctl(e, f, TG_CTL_HS_CLOSE, NULL, 0, false);
	/* every connection, failed handshakes included (why and alerts),
	 * but not one that sent nothing (port probes, health checks) */
	if (f->hs_done || f->in_bytes > 0)
		tg_log_access(e, f, why);
	/* a record being taken as a chain, plaintext the backend did not
	 * take: the engine's, dropped (one in flight: at its completion) */
	tg_chain_drop(f->chin, false);
	tg_chain_drop(f->chout, true);
	f->chin = f->chout = NULL;
	/* the transport's bytes that records in flight are opened in stay
	 * its until they come back (tg_flow_ops::peek) */
	if (f->rx_peek == 0 && f->tx_resv == 0 && f->rx_resv == 0) {
		e->ops->release(e->tctx, f);
		f->t_released = true;
		f->asm_p = NULL;
	} else {
		e->ops->want(e->tctx, f, TG_FLOW_CLIENT, false, false);
		if (f->b_up)
			e->ops->want(e->tctx, f, TG_FLOW_BACKEND, false, false);
	}
	if (f->bep != NULL)
		atomic_fetch_sub(&f->bep->conns, 1);
	tg_backends_unref(f->bes);
	f->bes = NULL;
	while (f->late != NULL) {
		struct tg_ctl_msg *m = f->late;

		f->late = m->next;
		tg_ctl_msg_free(m);
	}
	f->late_tail = NULL;
	f->b_up = false;
	f->bep = NULL;
	f->ctl_wait = false;
	e->st->conns_closed++;
	/* out of the in-use list: its last entry takes this one's place */
	e->act[f->act_idx] = e->act[e->active - 1];
	e->flows[e->act[f->act_idx]].act_idx = f->act_idx;
	e->active--;
	atomic_fetch_sub(e->c->conns_total, 1);
	e->st->conns_active = e->active;
	/* records in flight point into its buffers and sessions: the slot
	 * is freed when the last comes back (tg_flow_complete) */
	if (tg_flow_infl(f) > 0) {
		f->state = FL_DYING;
		return;
	}
	tg_flow_reap(e, f);
}

/* Seal one small record into cout, outside the bursts. */
static bool tg_flow_seal_one(struct tg_flow *f, uint8_t type, const uint8_t *p,
			     uint32_t len)
{
	uint32_t hdr, room;
	struct tg_rec rec, *rp = &rec;

	/* after a failed seal nothing more goes out (tg_tx_done) */
	if (f->tx == NULL || f->tx_failed)
		return false;
	hdr = tg_accel_hdr_len(f->tx);
	room = tg_buf_room(&f->cout, hdr + len + TG_REC_ROOM);
	if (room < hdr + len + TG_REC_ROOM)
		return false;
	rec = (struct tg_rec){ .sess = f->tx, .buf = tg_buf_tail(&f->cout),
			       .cap = room, .off = hdr, .len = len, .type = type };
	memcpy(rec.buf + hdr, p, len);
	if (tg_accel_seal_burst(&rp, 1) != 1)
		return false;
	tg_buf_commit(&f->cout, rec.rec_len);
	return true;
}

/* Seal an alert into cout, outside the bursts. */
static void tg_flow_alert(struct tg_flow *f, uint8_t level, uint8_t desc)
{
	const uint8_t a[2] = { level, desc };

	if (tg_flow_seal_one(f, TG_CT_ALERT, a, 2) && level == TG_ALERT_FATAL)
		f->info.alert_sent = desc; /* the access log's alert= */
}

/*
 * TLS 1.3 KeyUpdate (RFC 8446 §4.6.3, §7.2) of one direction: the next
 * application traffic secret, its keys, a new record session from
 * sequence 0 in place of the old one, which is freed. No seal may be in
 * the accel queue then (it would run on the freed session): our
 * KeyUpdate waits for the flow's seals (tg_ku_due's callers). Opens of
 * the records after the client's KeyUpdate in its burst may be (a TLS
 * 1.3 flow's opens in flight are one burst's, tg_rx_pass): they ran or
 * run under the old key, which is kept (rx_old) until they are back, and
 * go again under the new one (rx_kgen). False when the session cannot
 * be made, or records are in flight after all (the caller closes the
 * flow).
 */
static bool tg_flow_rekey(struct tg_flow_engine *e, struct tg_flow *f, bool tx)
{
	uint8_t *secret = tx ? f->s13.tx : f->s13.rx;
	struct tg_accel_sess *s = NULL;
	struct tg_keys k;
	tg_result r;

	if (tx ? f->cout.pin != 0 || f->tx_resv != 0 : f->rx_old != NULL)
		return false;
	r = tg_ks_update((enum tg_hash)f->s13.hash, secret);
	if (tg_ok(r))
		r = tg_ks_traffic_keys((enum tg_hash)f->s13.hash,
				       (enum tg_suite)f->suite13, secret,
				       tx ? TG_DIR_SEAL : TG_DIR_OPEN, 0, &k);
	if (tg_ok(r))
		r = tg_accel_sess_create(e->c->acc, &k, &s);
	tg_wipe(&k, sizeof(k));
	if (tg_failed(r))
		return false;
	if (tx) {
		tg_accel_sess_free(f->tx);
		f->tx = s;
	} else {
		if (f->cin.pin != 0 || f->rx_peek != 0 || f->rx_resv != 0)
			f->rx_old = f->rx;
		else
			tg_accel_sess_free(f->rx);
		f->rx = s;
		f->rx_kgen++;
	}
	return true;
}

/* Our KeyUpdate (update_not_requested) under the current key, then our
 * new key: records sealed after it use it. */
static void tg_flow_key_update(struct tg_flow_engine *e, struct tg_flow *f)
{
	static const uint8_t ku[5] = { TG_HS_KEY_UPDATE, 0, 0, 1,
				       0 /* update_not_requested */ };

	f->ku_owed = false;
	if (!tg_flow_seal_one(f, TG_CT_HANDSHAKE, ku, sizeof(ku)) ||
	    !tg_flow_rekey(e, f, true)) {
		/* never go on under a key we announced we left */
		f->cout.len = 0;
		f->state = FL_CLOSING;
		return;
	}
	e->st->key_updates_sent++;
}

/*
 * TLS 1.3: our KeyUpdate is due, the client asked for one or our key
 * reached its record limit (RFC 8446 §5.5). It goes out when none of the
 * flow's seals is in flight (cout.pin == 0), since the re-key frees the
 * session they run on: until then the flow reads nothing more from its
 * backend, and the last seal's completion touches it.
 */
static bool tg_ku_due(const struct tg_flow_engine *e, const struct tg_flow *f)
{
	uint64_t lim = e->set->tls13_rekey_records ? e->set->tls13_rekey_records
						   : TG_REKEY_DEFAULT;

	return f->s13.len != 0 && f->tx != NULL &&
	       (f->ku_owed || tg_accel_sess_seq(f->tx) >= lim);
}

/* The bytes of cout that may go out now: up to the first record in
 * flight (its bytes are not ciphertext yet), nothing after a failed seal. */
static uint32_t tg_cout_ready(const struct tg_flow *f)
{
	/* records sealed in reservations are ahead of it in the stream */
	if (f->tx_resv != 0)
		return 0;
	if (f->cout_hold == TG_HOLD_NONE)
		return f->cout.len;
	return f->cout_hold > f->cout.off ? f->cout_hold - f->cout.off : 0;
}

/* Send what @p side takes of the first @p upto bytes of @p b; false when
 * the side failed. */
static bool tg_flush(struct tg_flow_engine *e, struct tg_flow *f,
		     enum tg_flow_side side, struct tg_buf *b, uint32_t upto,
		     uint64_t *count, uint64_t *flow_count)
{
	while (upto > 0) {
		ssize_t n = e->ops->send(e->tctx, f, side, b->p + b->off, upto);

		if (n < 0)
			return false;
		if (n == 0)
			break;
		tg_buf_consume(b, (uint32_t)n);
		upto -= (uint32_t)n;
		*count += (uint64_t)n;
		if (flow_count)
			*flow_count += (uint64_t)n;
	}
	return true;
}

/* ---- backend connection ------------------------------------------------------ */

static void tg_flow_connect(struct tg_flow_engine *e, struct tg_flow *f)
{
	/* retries stay on the list of the first try (f->tried indexes it) */
	struct tg_backends *b = f->bes != NULL ? f->bes
					       : (f->bes = tg_backends_ref(e->be));

	/* connect_retries counts over the flow's life: a refusal or a
	 * timeout seen later comes back here */
	while ((unsigned)__builtin_popcountll(f->tried) <= e->set->connect_retries) {
		int i = tg_backends_pick(b, f->pool, f->tried);
		struct tg_backend *be;
		tg_result r;

		if (i < 0)
			break;
		f->tried |= 1ull << i;
		be = &b->pools[f->pool].be[i];
		r = e->ops->connect(e->tctx, f, &be->addr);
		if (tg_failed(r)) {
			if (r.code != TG_E_IO)
				break; /* nothing can connect now */
			atomic_fetch_add(&be->failures, 1);
			e->st->backend_connect_errors++;
			continue;
		}
		if (f->bep != NULL)
			atomic_fetch_sub(&f->bep->conns, 1);
		f->b_up = true;
		f->be = i;
		f->bep = be;
		atomic_fetch_add(&be->conns, 1);
		f->state = FL_CONNECT;
		f->t_connect = tg_now(e);
		return;
	}
	/* nothing reachable: tell the client and close (each failed try was
	 * counted; a pool with no server up counts once here) */
	if (f->tried == 0)
		e->st->backend_connect_errors++;
	tg_flow_alert(f, TG_ALERT_FATAL, TG_ALERT_INTERNAL_ERROR);
	f->state = FL_CLOSING;
}

/* The backend connection in progress failed or was given up: count it
 * and try the next backend. */
static void tg_flow_reconnect(struct tg_flow_engine *e, struct tg_flow *f)
{
	f->b_up = false;
	atomic_fetch_add(&f->bep->failures, 1);
	e->st->backend_connect_errors++;
	tg_flow_connect(e, f);
}

void tg_flow_backend_failed(struct tg_flow_engine *e, struct tg_flow *f)
{
	if (f->state != FL_CONNECT)
		return;
	tg_touch(e, f);
	tg_flow_reconnect(e, f);
}

void tg_flow_backend_connected(struct tg_flow_engine *e, struct tg_flow *f)
{
	if (f->state != FL_CONNECT)
		return;
	f->state = FL_OPEN;
	/* records waiting for the connection go now; the backend's bytes
	 * come with its readable event (no read that would find none) */
	tg_want_rx(e, f);
}

/* ---- control-plane messages --------------------------------------------------- */

/* Client records that raced the key install are still to come or still
 * to go into cin: reading from the client waits for them. */
static bool tg_late_pending(const struct tg_flow *f)
{
	return f->late_expected > 0 || f->late != NULL;
}

/* Move late client records into cin, in order, as far as it has room;
 * true if any byte moved. */
static bool tg_late_drain(struct tg_flow *f)
{
	bool moved = false;

	while (f->late != NULL) {
		struct tg_ctl_msg *m = f->late;
		uint32_t left = m->len - f->late_off;
		uint32_t room = tg_buf_room(&f->cin, left);
		uint32_t take = room < left ? room : left;

		if (take > 0) {
			memcpy(tg_buf_tail(&f->cin), m->data + f->late_off, take);
			tg_buf_commit(&f->cin, take);
			f->late_off += take;
			moved = true;
		}
		if (f->late_off < m->len)
			break; /* cin is full: the rest after the next opens */
		f->late = m->next;
		if (f->late == NULL)
			f->late_tail = NULL;
		f->late_off = 0;
		tg_ctl_msg_free(m);
	}
	return moved;
}

/* KEY_INSTALL: the handshake is done; sessions, buffers, backend. */
static void tg_key_install(struct tg_flow_engine *e, struct tg_flow *f,
			   struct tg_ctl_msg *m)
{
	/* bout and the full cout come when the first bytes need them: a
	 * connection that only shakes hands never has them */
	if (tg_failed(tg_accel_sess_create(e->c->acc, &m->tx, &f->tx)) ||
	    tg_failed(tg_accel_sess_create(e->c->acc, &m->rx, &f->rx))) {
		f->state = FL_CLOSING;
		return;
	}
	f->info = m->info;
	f->hs_done = true;
	f->s13 = m->s13;
	f->suite13 = m->tx.suite;
	f->ku_owed = false;
	f->ku_run = 0;
	f->hsfrag_len = 0;
	/* HS_DATA sent after the one that finished the handshake come back
	 * as HS_LATE */
	f->late_expected = f->hs_msgs > m->n_data ? f->hs_msgs - m->n_data : 0;
	if (f->info.resumed)
		e->st->hs_resumed++;
	else
		e->st->hs_full++;
	/* the client closed after its Finished, nothing for the backend:
	 * done (counted, logged) */
	if (f->c_eof && m->len == 0) {
		tg_flow_close(e, f, "client-closed-after-handshake");
		return;
	}
	/* client bytes that followed Finished */
	if (m->len)
		(void)tg_buf_append(&f->cin, m->data, m->len);
	f->pool = tg_backends_route(e->be, f->info.sni);
	/* the PROXY header is the backend's first bytes, whichever backend
	 * connects: it goes into bout before any client byte can (a flow
	 * without one must not reach the backend) */
	if (e->set->proxy_protocol != TG_PROXY_NONE) {
		size_t hl;

		if (!tg_buf_grow(e, &f->bout, TG_BUF_BOUT) ||
		    tg_failed(tg_proxy_header(e->set->proxy_protocol == TG_PROXY_V1 ? 1 : 2,
					      &f->peer, &f->local, &f->info,
					      tg_buf_tail(&f->bout), tg_buf_free_tail(&f->bout),
					      &hl))) {
			tg_flow_alert(f, TG_ALERT_FATAL, TG_ALERT_INTERNAL_ERROR);
			f->state = FL_CLOSING;
			return;
		}
		tg_buf_commit(&f->bout, (uint32_t)hl);
	}
	tg_flow_connect(e, f);
	tg_want_rx(e, f);
}

static void tg_ctl_in(struct tg_flow_engine *e)
{
	void *msgs[64];
	unsigned n = rte_ring_dequeue_burst(e->c->from_ctl, msgs, 64, NULL);

	for (unsigned i = 0; i < n; i++) {
		struct tg_ctl_msg *m = msgs[i];
		struct tg_flow *f = m->slot < e->max ? &e->flows[m->slot] : NULL;

		if (f != NULL && m->type == TG_CTL_HS_LATE && f->gen == m->gen &&
		    (f->state == FL_CONNECT || f->state == FL_OPEN)) {
			/* records that followed Finished, sent to the control
			 * thread before the keys came back: ours to open,
			 * before anything read since (reading waits) */
			if (f->late_expected > 0)
				f->late_expected--;
			m->next = NULL;
			if (f->late_tail != NULL) {
				f->late_tail->next = m;
			} else {
				f->late = m;
				f->late_off = 0;
			}
			f->late_tail = m;
			(void)tg_late_drain(f);
			tg_want_rx(e, f);
			continue;
		}
		if (f == NULL || f->state != FL_HS || f->gen != m->gen) {
			tg_ctl_msg_free(m); /* the flow is gone */
			continue;
		}
		tg_touch(e, f);
		switch (m->type) {
		case TG_CTL_HS_OUT:
			if (tg_buf_room(&f->cout, m->len) < m->len)
				(void)tg_buf_grow(e, &f->cout, TG_BUF_COUT);
			if (!tg_buf_append(&f->cout, m->data, m->len))
				f->state = FL_CLOSING; /* cannot happen with sane sizes */
			break;
		case TG_CTL_KEY_INSTALL:
			tg_key_install(e, f, m);
			break;
		case TG_CTL_HS_CLOSE: /* after our HS_EOF: left unfinished */
			tg_flow_close(e, f, "client-gone-in-handshake");
			break;
		case TG_CTL_HS_FAIL:
			e->st->hs_failed++;
			if (m->info.alert_sent != TG_ALERT_NONE)
				e->st->hs_failed_alert[m->info.alert_sent]++;
			f->info = m->info; /* the SNI and alerts, for the log */
			f->state = FL_CLOSING;
			break;
		default:
			break;
		}
		tg_ctl_msg_free(m);
	}
	/* the ring that backs up when the control plane is saturated is
	 * the one towards it; the one back is drained here each round */
	e->st->ring_to_ctl = rte_ring_count(e->c->to_ctl);
	e->st->ring_from_ctl = rte_ring_count(e->c->from_ctl);
}

/* ---- transport events ------------------------------------------------------------ */

struct tg_flow *tg_flow_accept(struct tg_flow_engine *e,
			       const struct sockaddr_storage *peer,
			       const struct sockaddr_storage *local)
{
	struct tg_flow *f;

	if (e->n_free == 0 ||
	    atomic_fetch_add(e->c->conns_total, 1) >= e->set->max_conns) {
		if (e->n_free != 0)
			atomic_fetch_sub(e->c->conns_total, 1);
		/* over the limits: a clean close, not a hang */
		e->st->conns_refused++;
		return NULL;
	}
	f = &e->flows[e->free_slots[--e->n_free]];
	f->state = FL_HS;
	f->c_eof = f->b_eof = f->b_shut = f->b_reset = f->b_up = false;
	f->c_notify = f->ctl_wait = false;
	f->hs_done = false;
	f->tried = 0;
	f->be = -1;
	f->bep = NULL;
	f->peer = *peer;
	f->local = *local;
	memset(&f->info, 0, sizeof(f->info));
	f->info.alert_sent = f->info.alert_recv = TG_ALERT_NONE;
	f->t_start = f->t_active = f->t_sent = tg_now(e);
	f->t_closing = 0;
	f->hs_msgs = f->late_expected = f->late_off = 0;
	f->late = f->late_tail = NULL;
	f->sent_since_idle = 0;
	f->in_bytes = f->out_bytes = 0;
	f->rx_peek = 0;
	f->cin_pend = f->peek_pend = f->bout_resv = 0;
	f->cout_hold = TG_HOLD_NONE;
	f->tx_failed = f->rx_more = f->t_released = false;
	f->tx_resv = f->rx_resv = 0;
	f->tx_wait = false;
	f->asm_p = NULL;
	f->asm_have = f->asm_need = 0;
	f->chin = f->chout = NULL;
	f->chin_need = 0;
	/* a connection in its handshake holds no backend buffer and a small
	 * output one (a handshake flood costs ~100 KiB each, not the 0.5 MiB
	 * of an open connection); both come at the key install */
	f->bout = (struct tg_buf){ .p = NULL };
	if (!tg_buf_get(e, &f->cin, TG_BUF_CIN) ||
	    !tg_buf_get(e, &f->cout, TG_BUF_COUT_HS)) {
		/* refused: the transport closes its connection */
		tg_buf_release(e, &f->cin);
		tg_buf_release(e, &f->cout);
		f->state = FL_FREE;
		e->free_slots[e->n_free++] = f->slot;
		e->st->conns_refused++;
		atomic_fetch_sub(e->c->conns_total, 1);
		return NULL;
	}
	f->act_idx = e->active;
	e->act[e->active++] = f->slot;
	e->st->conns_accepted++;
	e->st->conns_active = e->active;
	tg_touch(e, f); /* progress says which events it wants */
	return f;
}

/* The bytes that complete cin's first record not whole when that one is
 * of the copy-once size (TG_ASM_MIN), from where the records being opened
 * end; 0 (no limit) otherwise: its header not whole, or not valid (the
 * framing reports it), or a small record. */
static uint32_t tg_cin_want(const struct tg_flow *f)
{
	uint32_t pos = f->cin.off + f->cin_pend, end = f->cin.off + f->cin.len;

	/* cin holds two full records: more than 8 whole ones before the
	 * one cut are small records, whose end is not waited for (and a
	 * walk over hundreds of 64 B records at every read would cost) */
	for (unsigned i = 0; i < 8; i++) {
		struct tg_cur c;
		struct tg_rec_hdr h;

		if (end - pos < TG_REC_HDR_LEN)
			return 0;
		c = tg_cur_init(f->cin.p + pos, end - pos);
		if (tg_failed(tg_rec_hdr_parse(&c, TG_REC_MAX_CT, &h)))
			return 0;
		if (end - pos < TG_REC_HDR_LEN + (uint32_t)h.len)
			return h.len >= TG_ASM_MIN ? pos + TG_REC_HDR_LEN + h.len - end
						   : 0;
		pos += TG_REC_HDR_LEN + h.len;
	}
	return 0;
}

/* Receive the rest of the record being assembled in its reservation of
 * the backend's stream (the copy-once path): as tg_client_recv. */
static ssize_t tg_asm_recv(struct tg_flow_engine *e, struct tg_flow *f)
{
	struct iovec iov = { .iov_base = f->asm_p + f->asm_have,
			     .iov_len = f->asm_need - f->asm_have };
	ssize_t n;

	if (iov.iov_len == 0)
		return -EAGAIN;
	n = e->ops->recv(e->tctx, f, TG_FLOW_CLIENT, &iov, 1);
	if (n > 0) {
		f->asm_have += (uint32_t)n;
		f->in_bytes += (uint64_t)n;
		e->st->bytes_from_client += (uint64_t)n;
		f->t_active = tg_now(e);
	}
	return n;
}

/* Take more of the record being taken as a chain (as tg_asm_recv; a
 * chain that would pass TG_ACCEL_MAX_SEGS segments goes to the copy-once
 * path: its bytes copied into a reservation of the backend's stream, the
 * rest received there). */
static ssize_t tg_chain_recv(struct tg_flow_engine *e, struct tg_flow *f)
{
	uint32_t have = rte_pktmbuf_pkt_len(f->chin), want = f->chin_need - have;
	uint32_t avail = e->ops->pending(e->tctx, f, TG_FLOW_CLIENT);
	struct rte_mbuf *m;

	if (want == 0)
		return -EAGAIN;
	if (avail == 0) {
		/* none: the end, an error, or nothing yet */
		uint8_t b;
		struct iovec iov = { .iov_base = &b, .iov_len = 0 };

		return e->ops->recv(e->tctx, f, TG_FLOW_CLIENT, &iov, 1);
	}
	if (want > avail)
		want = avail;
	m = f->chin->nb_segs < TG_ACCEL_MAX_SEGS
		    ? e->ops->recv_chain(e->tctx, f, TG_FLOW_CLIENT, want,
					 TG_ACCEL_MAX_SEGS - f->chin->nb_segs)
		    : NULL;
	if (m == NULL) {
		uint32_t pre = tg_accel_hdr_len(f->rx);
		uint8_t *p = e->ops->send_reserve(e->tctx, f, TG_FLOW_BACKEND, pre,
						  f->chin_need - pre);

		if (p == NULL)
			return -EAGAIN; /* tried again at the next readable */
		{
			const void *q = rte_pktmbuf_read(f->chin, 0, have, p);

			if (q != p)
				memcpy(p, q, have);
		}
		tg_chain_drop(f->chin, false);
		f->chin = NULL;
		f->asm_p = p;
		f->asm_have = have;
		f->asm_need = f->chin_need;
		return tg_asm_recv(e, f);
	}
	rte_pktmbuf_chain(f->chin, m);
	f->in_bytes += want;
	e->st->bytes_from_client += want;
	f->t_active = tg_now(e);
	return (ssize_t)want;
}

/* Receive what cin has room for from the client (the copy path): bytes
 * received, or 0 / -errno as tg_flow_ops::recv (-EAGAIN: none, or no
 * room). */
static ssize_t tg_client_recv(struct tg_flow_engine *e, struct tg_flow *f)
{
	struct iovec iov;
	uint32_t room;
	ssize_t n;

	/* records being opened in the transport's bytes come first: the
	 * transport would give them again */
	if (f->peek_pend > 0)
		return -EAGAIN;
	room = tg_buf_room(&f->cin, TG_REC_HDR_LEN + TG_REC_MAX_CT);
	if (room == 0)
		return -EAGAIN;
	/* with reservations, cin takes no more than the end of its first
	 * record not whole (its header first when that is cut): the next
	 * record starts at the transport's bytes again, where it is opened
	 * in place or copied once into the backend's stream */
	if (e->ops->send_reserve != NULL && f->state != FL_HS) {
		uint32_t want = tg_cin_want(f);

		if (want != 0 && want < room)
			room = want;
	}
	iov = (struct iovec){ .iov_base = tg_buf_tail(&f->cin), .iov_len = room };
	n = e->ops->recv(e->tctx, f, TG_FLOW_CLIENT, &iov, 1);
	if (n > 0) {
		tg_buf_commit(&f->cin, (uint32_t)n);
		f->in_bytes += (uint64_t)n;
		e->st->bytes_from_client += (uint64_t)n;
		f->t_active = tg_now(e);
	}
	return n;
}

/* Read from the client. */
static void tg_client_readable(struct tg_flow_engine *e, struct tg_flow *f)
{
	ssize_t n;

	/* records that raced the key install go first; a handshake message
	 * still waiting for the control plane's ring too */
	if (tg_late_pending(f) || f->ctl_wait)
		return;
	/* a record being taken as a chain: its rest */
	if (f->chin != NULL) {
		n = tg_chain_recv(e, f);
		if (n == 0 || (n < 0 && n != -EAGAIN))
			f->c_eof = true;
		if (n != -EAGAIN || (f->chin != NULL &&
				     rte_pktmbuf_pkt_len(f->chin) == f->chin_need) ||
		    (f->asm_p != NULL && f->asm_have == f->asm_need))
			tg_want_rx(e, f);
		return;
	}
	/* a record being assembled in the backend's stream: its rest */
	if (f->asm_p != NULL) {
		n = tg_asm_recv(e, f);
		if (n == 0 || (n < 0 && n != -EAGAIN))
			f->c_eof = true;
		if (n != -EAGAIN || f->asm_have == f->asm_need)
			tg_want_rx(e, f);
		return;
	}
	/* records the transport holds whole are opened where they are (the
	 * rx pass peeks at them) */
	if (f->state != FL_HS && e->ops->peek != NULL && f->cin.len == 0) {
		uint8_t *p;

		if (e->ops->peek(e->tctx, f, TG_FLOW_CLIENT, &p) > 0) {
			f->t_active = tg_now(e);
			tg_want_rx(e, f);
			return;
		}
	}
	n = tg_client_recv(e, f);
	if (n == -EAGAIN)
		return;
	if (n <= 0) {
		f->c_eof = true;
		if (f->state == FL_HS) {
			/* its last flight may still finish the handshake (a
			 * client that closes right after its Finished): ask
			 * the control plane, in order after those bytes, and
			 * read no more meanwhile (tg_flow_progress). It
			 * answers KEY_INSTALL (done), HS_FAIL or HS_CLOSE. */
			if (n == 0 && f->hs_msgs > 0 &&
			    tg_to_ctl(e, f, TG_CTL_HS_EOF, NULL, 0, false))
				tg_touch(e, f);
			else
				tg_flow_close(e, f, "client-gone-in-handshake");
			return;
		}
		tg_want_rx(e, f);
		return;
	}
	if (f->state == FL_HS) {
		/* the control plane saturated: a new handshake is refused
		 * cleanly; one under way waits its turn (docs/failures.md) */
		if (!tg_to_ctl(e, f, TG_CTL_HS_DATA, f->cin.p + f->cin.off,
			       f->cin.len, f->hs_msgs == 0)) {
			e->st->ring_full++;
			e->st->conns_refused++;
			tg_flow_close(e, f, "handshake-queue-full");
			return;
		}
		f->hs_msgs++;
		f->cin.off = f->cin.len = 0;
		return;
	}
	tg_want_rx(e, f);
}

void tg_flow_on_readable(struct tg_flow_engine *e, struct tg_flow *f,
			 enum tg_flow_side side)
{
	if (f->state == FL_FREE || f->state == FL_DYING)
		return;
	tg_touch(e, f);
	if (side == TG_FLOW_CLIENT)
		tg_client_readable(e, f);
	else
		tg_want_tx(e, f);
}

void tg_flow_on_writable(struct tg_flow_engine *e, struct tg_flow *f,
			 enum tg_flow_side side)
{
	if (f->state != FL_FREE && f->state != FL_DYING) {
		/* room for a reservation again: the backend is read */
		if (side == TG_FLOW_CLIENT)
			f->tx_wait = false;
		tg_touch(e, f);
	}
}

void tg_flow_on_reset(struct tg_flow_engine *e, struct tg_flow *f,
		      enum tg_flow_side side)
{
	if (f->state == FL_FREE || f->state == FL_DYING)
		return;
	if (side == TG_FLOW_CLIENT) {
		/* we never shut the client's side down ourselves: nothing
		 * more can reach it, and a flow not reading it would not
		 * find out */
		tg_flow_close(e, f, "client-reset");
		return;
	}
	/* read like data: what arrived before the error still goes out
	 * (tg_tx_pass), then the flow ends without close_notify */
	tg_want_tx(e, f);
}

/* ---- the record passes ---------------------------------------------------------- */

/* A record descriptor for the accel queue (there is one for every
 * record the queue can hold: the passes take no more). */
static struct tg_frec *tg_frec_get(struct tg_flow_engine *e, struct tg_flow *f,
				   uint8_t kind)
{
	struct tg_frec *x = e->frec_free[--e->n_frec_free];

	x->f = f;
	x->kind = kind;
	x->resv = 0;
	x->saved = false;
	return x;
}

static void tg_frec_put(struct tg_flow_engine *e, struct tg_frec *x)
{
	e->frec_free[e->n_frec_free++] = x;
}

/* Records a pass may submit now: room in the queue, and descriptors (the
 * opened records waiting in e->rxd hold theirs). */
static unsigned tg_flow_q_room(const struct tg_flow_engine *e)
{
	unsigned room = e->q != NULL ? tg_accel_q_room(e->q) : 0;

	return room < e->n_frec_free ? room : e->n_frec_free;
}

/* An open of @p f is over (done, or never taken): what it held of the
 * flow's buffers is free to move again. */
static void tg_rx_unpend(struct tg_flow *f, const struct tg_frec *x)
{
	f->bout_resv -= x->resv;
	if (x->kind == TG_FR_OPEN_RESV || x->kind == TG_FR_OPEN_CHAIN) {
		f->rx_resv--;
	} else if (x->kind == TG_FR_OPEN_PEEK) {
		f->rx_peek--;
		f->peek_pend -= x->r.rec_len;
	} else {
		f->cin.pin--;
		f->cin_pend -= x->r.rec_len;
	}
	/* the last open under a key a KeyUpdate retired is back */
	if (f->rx_old != NULL && f->cin.pin == 0 && f->rx_peek == 0 &&
	    f->rx_resv == 0) {
		tg_accel_sess_free(f->rx_old);
		f->rx_old = NULL;
	}
}

/*
 * Frame the complete records of @p f in [@p off, @p end) of @p buf (cap
 * @p cap) into the burst (@p rp, room for @p room), as far as bout can
 * take their plaintext (@p budget); they are in flight from now on
 * (@p kind: in cin or in the transport's bytes). Returns the records
 * added; a record over the length limit closes the flow with
 * record_overflow.
 */
static uint16_t tg_rx_frame(struct tg_flow_engine *e, struct tg_flow *f,
			    uint8_t *buf, uint32_t cap, uint32_t off, uint32_t end,
			    uint32_t *budget, struct tg_rec **rp, uint16_t room,
			    uint8_t kind)
{
	uint16_t n = 0;

	while (n < room) {
		struct tg_cur c = tg_cur_init(buf + off, end - off);
		struct tg_rec_hdr h;
		tg_result r = tg_rec_hdr_parse(&c, TG_REC_MAX_CT, &h);
		struct tg_frec *x;

		if (r.code == TG_E_SHORT)
			break;
		if (tg_failed(r)) {
			/* record_overflow: fatal */
			e->st->record_errors++;
			tg_flow_alert(f, TG_ALERT_FATAL, TG_ALERT_RECORD_OVERFLOW);
			f->state = FL_CLOSING;
			break;
		}
		if (end - off < TG_REC_HDR_LEN + (uint32_t)h.len || *budget < h.len)
			break;
		/* TLS 1.3: a record after the flow's first in this burst
		 * is kept aside first (a KeyUpdate before it would have it
		 * opened under the retired key); a long one waits */
		if (n > 0 && f->s13.len != 0 &&
		    TG_REC_HDR_LEN + (uint32_t)h.len > TG_RX13_SAVE) {
			f->rx_more = true;
			break;
		}
		/* RFC 8446 §5: once protected, every TLS 1.3 record is
		 * application_data outside; a change_cipher_spec (or
		 * anything else) after the handshake is an
		 * unexpected_message */
		if (h.type != TG_CT_APPLICATION_DATA &&
		    tg_accel_sess_version(f->rx) == TG_TLS13) {
			e->st->record_errors++;
			tg_flow_alert(f, TG_ALERT_FATAL, TG_ALERT_UNEXPECTED_MESSAGE);
			f->state = FL_CLOSING;
			break;
		}
		*budget -= h.len;
		x = tg_frec_get(e, f, kind);
		x->r = (struct tg_rec){ .sess = f->rx, .buf = buf, .cap = cap,
					.rec_off = off,
					.rec_len = TG_REC_HDR_LEN + h.len, .udata = x };
		x->kgen = f->rx_kgen;
		if (n > 0 && f->s13.len != 0) {
			memcpy(x->save, buf + off, x->r.rec_len);
			x->saved = true;
		}
		rp[n++] = &x->r;
		if (kind == TG_FR_OPEN_RESV) {
			/* its plaintext stays where it is opened */
			f->rx_resv++;
			off += TG_REC_HDR_LEN + h.len;
			continue;
		}
		x->resv = h.len;
		f->bout_resv += h.len;
		if (kind == TG_FR_OPEN_PEEK) {
			f->rx_peek++;
			f->peek_pend += x->r.rec_len;
		} else {
			f->cin.pin++;
			f->cin_pend += x->r.rec_len;
		}
		off += TG_REC_HDR_LEN + h.len;
	}
	/* more may be there: the flow comes back when these are done */
	if (n == room)
		f->rx_more = true;
	return n;
}

/*
 * An alert from the client. close_notify: the client is done sending
 * (half-close; RFC 8446 §6.1 says the same for TLS 1.3). A fatal alert
 * ends the flow. A warning goes by in TLS 1.2 (RFC 5246 §7.2); in
 * TLS 1.3 every alert but close_notify and user_canceled is an error
 * whatever its level (RFC 8446 §6), and user_canceled is followed by a
 * close_notify (§6.1), so it only goes in the log.
 */
static void tg_rx_alert(struct tg_flow_engine *e, struct tg_flow *f,
			const uint8_t *p, uint32_t len)
{
	bool v13 = f->info.version == TG_TLS13;

	(void)e;
	if (len < 2 || (v13 && len != 2)) {
		/* RFC 8446 §6: an alert is two bytes (TLS 1.3: a record of
		 * one alert, decode_error otherwise) */
		if (v13)
			tg_flow_alert(f, TG_ALERT_FATAL, TG_ALERT_DECODE_ERROR);
		f->state = FL_CLOSING;
		return;
	}
	if (p[1] == TG_ALERT_CLOSE_NOTIFY) {
		f->c_eof = true;
		f->c_notify = true;
		return;
	}
	if (p[0] == TG_ALERT_FATAL || v13)
		f->info.alert_recv = p[1]; /* the access log's peer_alert= */
	if (p[0] == TG_ALERT_FATAL || (v13 && p[1] != TG_ALERT_USER_CANCELED))
		f->state = FL_CLOSING;
}

/* The flow ends with a fatal alert from the rx pass. */
static void tg_rx_fatal(struct tg_flow_engine *e, struct tg_flow *f,
			uint8_t alert)
{
	e->st->record_errors++;
	tg_flow_alert(f, TG_ALERT_FATAL, alert);
	f->state = FL_CLOSING;
}

/*
 * TLS 1.3 handshake messages after the handshake (RFC 8446 §4.6). The
 * one a client sends us is KeyUpdate (§4.6.3): the next record is under
 * its next key; with update_requested we owe one of ours. A KeyUpdate
 * may be cut across records (a few bytes are kept) but must end its
 * record ("MUST NOT span key changes", §5.1); anything else
 * (NewSessionTicket, a post-handshake Certificate we never asked for)
 * is an unexpected_message. More than TG_KU_MAX_RUN KeyUpdates without
 * application data between them end the flow the same way.
 */
static void tg_rx_hs13(struct tg_flow_engine *e, struct tg_flow *f,
		       const uint8_t *p, uint32_t len)
{
	struct tg_cur c = tg_cur_init(p, len);

	if (f->s13.len == 0) {
		tg_rx_fatal(e, f, TG_ALERT_UNEXPECTED_MESSAGE);
		return;
	}
	while (tg_cur_left(&c) > 0 && f->state != FL_CLOSING) {
		uint8_t req;
		struct tg_cur body;
		tg_result r;

		/* gather a whole KeyUpdate (4 + 1 bytes) */
		while (f->hsfrag_len < 5 &&
		       tg_ok(tg_cur_u8(&c, &f->hsfrag[f->hsfrag_len])))
			f->hsfrag_len++;
		if (f->hsfrag[0] != TG_HS_KEY_UPDATE) {
			tg_rx_fatal(e, f, TG_ALERT_UNEXPECTED_MESSAGE);
			return;
		}
		if (f->hsfrag_len < 5)
			return; /* the rest in the next record */
		/* its length field says 1 */
		if (f->hsfrag[1] != 0 || f->hsfrag[2] != 0 || f->hsfrag[3] != 1) {
			tg_rx_fatal(e, f, TG_ALERT_DECODE_ERROR);
			return;
		}
		body = tg_cur_init(f->hsfrag + 4, 1);
		r = tg_hs_key_update_parse(&body, &req);
		f->hsfrag_len = 0;
		if (tg_failed(r)) {
			tg_rx_fatal(e, f, tg_alert_of(r.code));
			return;
		}
		/* §5.1: the key changes after this record: nothing of it
		 * may follow the KeyUpdate */
		if (tg_cur_left(&c) > 0) {
			tg_rx_fatal(e, f, TG_ALERT_UNEXPECTED_MESSAGE);
			return;
		}
		if (++f->ku_run > TG_KU_MAX_RUN) {
			tg_rx_fatal(e, f, TG_ALERT_UNEXPECTED_MESSAGE);
			return;
		}
		if (!tg_flow_rekey(e, f, false)) {
			tg_rx_fatal(e, f, TG_ALERT_INTERNAL_ERROR);
			return;
		}
		e->st->key_updates_received++;
		if (req == TG_HS_UPDATE_REQUESTED)
			f->ku_owed = true;
	}
}

/* A record that failed to open ends its flow with the alert its status
 * calls for (RFC 8446 §5.4: a TLS 1.3 record with no content type after
 * its padding is an unexpected_message), counted */
static void tg_rx_failed(struct tg_flow_engine *e, struct tg_flow *f, uint8_t status)
{
	e->st->record_errors++;
	tg_flow_alert(f, TG_ALERT_FATAL,
		      status == TG_REC_E_OVERFLOW     ? TG_ALERT_RECORD_OVERFLOW
		      : status == TG_REC_E_UNEXPECTED ? TG_ALERT_UNEXPECTED_MESSAGE
						      : TG_ALERT_BAD_RECORD_MAC);
	f->state = FL_CLOSING;
}

/* a record opened, counted by the backend that ran it */
static void tg_rx_opened(struct tg_flow_engine *e, const struct tg_rec *r)
{
	if (r->backend < TG_STATS_MAX_BACKENDS) {
		e->st->records_opened[r->backend]++;
		e->st->bytes_opened[r->backend] += r->len;
	}
}

static void tg_flow_complete(struct tg_flow_engine *e);

/*
 * A record opened in its reservation of the backend's stream is back:
 * application data is committed there as it lies (plaintext only: the
 * header and nonce are the prefix, the tag and padding are past the
 * length committed); anything else is handled as in bout's path and its
 * reservation dropped.
 */
static void tg_rx_resv_done(struct tg_flow_engine *e, struct tg_flow *f,
			    struct tg_rec *r)
{
	uint32_t pre = tg_accel_hdr_len(f->rx);

	if (f->state == FL_CLOSING || f->c_notify || r->status != TG_REC_OK) {
		if (r->status == TG_REC_OK)
			tg_wipe(r->buf + r->off, r->len);
		e->ops->send_commit(e->tctx, f, TG_FLOW_BACKEND, 0);
		if (r->status != TG_REC_OK && f->state != FL_CLOSING && !f->c_notify)
			tg_rx_failed(e, f, r->status);
		return;
	}
	tg_rx_opened(e, r);
	if (r->type == TG_CT_APPLICATION_DATA && f->hsfrag_len == 0) {
		f->ku_run = 0;
		/* the plaintext starts where the prefix ends */
		if (r->off != pre)
			memmove(r->buf + pre, r->buf + r->off, r->len);
		e->ops->send_commit(e->tctx, f, TG_FLOW_BACKEND, r->len);
		e->st->bytes_to_backend += r->len;
		return;
	}
	switch (r->type) {
	case TG_CT_APPLICATION_DATA: /* inside a handshake message */
		tg_rx_fatal(e, f, TG_ALERT_UNEXPECTED_MESSAGE);
		break;
	case TG_CT_ALERT:
		tg_rx_alert(e, f, r->buf + r->off, r->len);
		break;
	case TG_CT_HANDSHAKE:
		if (f->info.version == TG_TLS13)
			tg_rx_hs13(e, f, r->buf + r->off, r->len);
		else
			tg_flow_alert(f, TG_ALERT_WARNING, TG_ALERT_NO_RENEGOTIATION);
		break;
	default:
		tg_flow_alert(f, TG_ALERT_FATAL, TG_ALERT_UNEXPECTED_MESSAGE);
		f->state = FL_CLOSING;
		break;
	}
	tg_wipe(r->buf + r->off, r->len);
	e->ops->send_commit(e->tctx, f, TG_FLOW_BACKEND, 0);
}

/*
 * Queue @p f for the rx pass again while the pass runs: the queue's
 * entries before @p *q are done, so they make room when it is full (a
 * flow is at most once after *q).
 */
static void tg_rx_requeue(struct tg_flow_engine *e, struct tg_flow *f,
			  unsigned *q)
{
	if (!f->in_rx && e->n_rxq == e->max) {
		memmove(e->rxq, e->rxq + *q, (e->n_rxq - *q) * sizeof(*e->rxq));
		e->n_rxq -= *q;
		*q = 0;
	}
	tg_want_rx(e, f);
}

/*
 * The copy-once path of a record across the transport's buffers: when
 * the backend's stream takes reservations and nothing of the flow's
 * plaintext waits before it (bout empty, no open in flight), reserve the
 * record's size there with its header and explicit nonce as the prefix
 * (the plaintext lands where the stream continues) and receive the
 * record into it. False when it cannot be (the cin path takes it: a
 * header cut across buffers, a bad header, no reservation now).
 */
static bool tg_asm_start(struct tg_flow_engine *e, struct tg_flow *f,
			 const uint8_t *p, uint32_t len)
{
	struct tg_cur c = tg_cur_init(p, len);
	struct tg_rec_hdr h;
	uint32_t pre, need;
	uint8_t *m;

	if (e->ops->send_reserve == NULL || f->state != FL_OPEN || f->b_shut ||
	    f->bout_resv != 0 || f->rx_resv != 0 || f->peek_pend != 0 ||
	    f->chout != NULL ||
	    len < TG_REC_HDR_LEN ||
	    tg_failed(tg_rec_hdr_parse(&c, TG_REC_MAX_CT, &h)) ||
	    h.len < TG_ASM_MIN || TG_REC_HDR_LEN + (uint32_t)h.len > TG_FLOW_RESV_MAX)
		return false;
	/* plaintext of records opened in place before it goes first: now,
	 * if the backend's stream takes it */
	if (f->bout.len != 0 &&
	    (!tg_flush(e, f, TG_FLOW_BACKEND, &f->bout, f->bout.len,
		       &e->st->bytes_to_backend, NULL) ||
	     f->bout.len != 0))
		return false;
	pre = tg_accel_hdr_len(f->rx);
	need = TG_REC_HDR_LEN + h.len;
	m = e->ops->send_reserve(e->tctx, f, TG_FLOW_BACKEND, pre, need - pre);
	if (m == NULL)
		return false;
	f->asm_p = m;
	f->asm_have = 0;
	f->asm_need = need;
	(void)tg_asm_recv(e, f);
	return true;
}

/* The record assembled in its reservation, once whole, into the burst
 * (framed as any other: its checks, its descriptor); 0 until then. */
static uint16_t tg_asm_frame(struct tg_flow_engine *e, struct tg_flow *f,
			     struct tg_rec **rp)
{
	uint32_t budget = UINT32_MAX;
	uint16_t k;

	if (f->asm_have < f->asm_need)
		return 0;
	k = tg_rx_frame(e, f, f->asm_p, f->asm_need, 0, f->asm_need, &budget,
			rp, 1, TG_FR_OPEN_RESV);
	if (k == 1) {
		f->asm_p = NULL; /* in flight: its completion commits it */
	} else if (f->state == FL_CLOSING) {
		e->ops->send_cancel(e->tctx, f, TG_FLOW_BACKEND);
		f->asm_p = NULL;
	}
	return k;
}

/*
 * The zero-copy path of a record across the transport's buffers: when
 * both sides take mbuf chains (tg_flow_ops::recv_chain / send_chain) and
 * nothing of the flow's plaintext waits before it (as tg_asm_start: bout
 * flushed first, no open in flight, no plaintext chain waiting), the
 * record's bytes are taken out of the transport as a chain, as they
 * arrive, to be opened in it (tg_chain_frame) and appended to the
 * backend's stream (tg_rx_chain_done). False when it cannot be (the
 * other paths take it: a header cut across buffers or not valid, a
 * record under TG_ASM_MIN, the chain refused).
 */
static bool tg_chain_start(struct tg_flow_engine *e, struct tg_flow *f,
			   const uint8_t *p, uint32_t len)
{
	struct tg_cur c = tg_cur_init(p, len);
	struct tg_rec_hdr h;
	uint32_t need, avail;
	struct rte_mbuf *m;

	if (e->ops->recv_chain == NULL || e->ops->send_chain == NULL ||
	    e->ops->pending == NULL || f->state != FL_OPEN || f->b_shut ||
	    f->bout_resv != 0 || f->rx_resv != 0 || f->peek_pend != 0 ||
	    f->chout != NULL || f->chin != NULL || f->asm_p != NULL ||
	    len < TG_REC_HDR_LEN ||
	    tg_failed(tg_rec_hdr_parse(&c, TG_REC_MAX_CT, &h)) ||
	    h.len < TG_ASM_MIN ||
	    (h.type != TG_CT_APPLICATION_DATA &&
	     tg_accel_sess_version(f->rx) == TG_TLS13))
		return false;
	if (f->bout.len != 0 &&
	    (!tg_flush(e, f, TG_FLOW_BACKEND, &f->bout, f->bout.len,
		       &e->st->bytes_to_backend, NULL) ||
	     f->bout.len != 0))
		return false;
	need = TG_REC_HDR_LEN + h.len;
	avail = e->ops->pending(e->tctx, f, TG_FLOW_CLIENT);
	m = e->ops->recv_chain(e->tctx, f, TG_FLOW_CLIENT,
			       avail < need ? avail : need, TG_ACCEL_MAX_SEGS);
	if (m == NULL)
		return false;
	f->chin = m;
	f->chin_need = need;
	f->in_bytes += rte_pktmbuf_pkt_len(m);
	e->st->bytes_from_client += rte_pktmbuf_pkt_len(m);
	f->t_active = tg_now(e);
	return true;
}

/* The record taken as a chain, once whole, into the burst (its
 * descriptor; in flight from now on: rx_resv); 0 until then. */
static uint16_t tg_chain_frame(struct tg_flow_engine *e, struct tg_flow *f,
			       struct tg_rec **rp)
{
	struct tg_frec *x;

	if (rte_pktmbuf_pkt_len(f->chin) < f->chin_need)
		return 0;
	x = tg_frec_get(e, f, TG_FR_OPEN_CHAIN);
	x->r = (struct tg_rec){ .sess = f->rx, .m = f->chin, .rec_off = 0,
				.rec_len = f->chin_need, .udata = x };
	x->kgen = f->rx_kgen;
	rp[0] = &x->r;
	f->rx_resv++;
	f->chin = NULL;
	return 1;
}

/* Cut chain @p m to its bytes [@p off, @p off + @p len): the mbufs left
 * empty (the header's, the tag's when it lies across the last two, TLS
 * 1.3's inner type and padding) are freed. NULL when nothing is left. */
static struct rte_mbuf *tg_chain_cut(struct rte_mbuf *m, uint32_t off, uint32_t len)
{
	struct rte_mbuf *head = NULL, *last = NULL, *nx;
	uint32_t total = len;
	uint16_t segs = 0;

	for (; m != NULL; m = nx) {
		nx = m->next;
		m->next = NULL;
		m->nb_segs = 1;
		if (off >= m->data_len || len == 0) {
			off -= off >= m->data_len ? m->data_len : off;
			rte_pktmbuf_free_seg(m);
			continue;
		}
		m->data_off = (uint16_t)(m->data_off + off);
		m->data_len = (uint16_t)(m->data_len - off);
		off = 0;
		if (m->data_len > len)
			m->data_len = (uint16_t)len;
		len -= m->data_len;
		m->pkt_len = m->data_len;
		if (last != NULL)
			last->next = m;
		else
			head = m;
		last = m;
		segs++;
	}
	if (head != NULL) {
		head->nb_segs = segs;
		head->pkt_len = total;
	}
	return head;
}

/* Append the plaintext chain waiting for the backend's stream: true
 * when none waits any more; a side that cannot send closes the flow. */
static bool tg_chain_flush(struct tg_flow_engine *e, struct tg_flow *f)
{
	uint32_t n;
	int rc;

	if (f->chout == NULL)
		return true;
	n = rte_pktmbuf_pkt_len(f->chout);
	rc = e->ops->send_chain(e->tctx, f, TG_FLOW_BACKEND, f->chout);
	if (rc == -EAGAIN)
		return false;
	if (rc != 0) {
		tg_chain_drop(f->chout, true);
		f->chout = NULL;
		e->st->backend_closed_early++;
		tg_flow_close(e, f, "backend-write-error");
		return false;
	}
	f->chout = NULL;
	e->st->bytes_to_backend += n;
	return true;
}

/*
 * A record opened in its chain is back: application data is cut to its
 * plaintext (the header and nonce from the front, the tag, TLS 1.3's
 * type and padding from the back) and appended to the backend's stream
 * (or waits for it in chout, before bout); anything else is handled as
 * in the reservation's path and the chain dropped.
 */
static void tg_rx_chain_done(struct tg_flow_engine *e, struct tg_flow *f,
			     struct tg_rec *r)
{
	struct rte_mbuf *m = r->m;
	uint8_t tmp[16];
	const uint8_t *p;
	uint32_t n;

	r->m = NULL;
	if (f->state == FL_CLOSING || f->c_notify || r->status != TG_REC_OK) {
		tg_chain_drop(m, r->status == TG_REC_OK);
		if (r->status != TG_REC_OK && f->state != FL_CLOSING && !f->c_notify)
			tg_rx_failed(e, f, r->status);
		return;
	}
	tg_rx_opened(e, r);
	if (r->type == TG_CT_APPLICATION_DATA && f->hsfrag_len == 0) {
		f->ku_run = 0;
		f->chout = tg_chain_cut(m, r->off, r->len);
		n = f->chout != NULL ? rte_pktmbuf_pkt_len(f->chout) : 0;
		/* appended now when it can be; else the flow's progress
		 * tries again (and closes it when the side cannot send) */
		if (f->chout != NULL &&
		    e->ops->send_chain(e->tctx, f, TG_FLOW_BACKEND, f->chout) == 0) {
			f->chout = NULL;
			e->st->bytes_to_backend += n;
		}
		return;
	}
	/* an alert, a KeyUpdate (a few bytes; what they are handled by
	 * reads no further than the first bytes past a whole message) */
	n = r->len < sizeof(tmp) ? r->len : (uint32_t)sizeof(tmp);
	p = n > 0 ? rte_pktmbuf_read(m, r->off, n, tmp) : tmp;
	switch (r->type) {
	case TG_CT_APPLICATION_DATA: /* inside a handshake message */
		tg_rx_fatal(e, f, TG_ALERT_UNEXPECTED_MESSAGE);
		break;
	case TG_CT_ALERT:
		tg_rx_alert(e, f, p, n);
		break;
	case TG_CT_HANDSHAKE:
		if (f->info.version == TG_TLS13)
			tg_rx_hs13(e, f, p, n);
		else
			tg_flow_alert(f, TG_ALERT_WARNING, TG_ALERT_NO_RENEGOTIATION);
		break;
	default:
		tg_flow_alert(f, TG_ALERT_FATAL, TG_ALERT_UNEXPECTED_MESSAGE);
		f->state = FL_CLOSING;
		break;
	}
	tg_wipe(tmp, sizeof(tmp));
	tg_chain_drop(m, true);
}

/*
 * Open the complete records of every queued flow in shared bursts
 * submitted to the engine's accel queue, and hand the opened ones (those
 * done now, and those that came back since) to their flows, in each
 * flow's order. A full queue is back-pressure: the flows not gathered
 * stay queued for the next pass.
 *
 * TLS 1.3: a KeyUpdate inside a record changes the key of the next one
 * (RFC 8446 §4.6.3), and the inner type is known only once the record is
 * open; so a TLS 1.3 flow has the records of one burst in flight at
 * most, and is gathered again when they are back (rx_more), up to
 * TG_RX13_PER_PASS bursts per pass. Its records after the first in a
 * burst are kept aside (TG_RX13_SAVE): those behind a KeyUpdate ran
 * under the retired key, get their ciphertext back and are opened again
 * under the next key in a later burst (rx_kgen). With a CPU backend the
 * records are back at once and the flow goes in the next burst of the
 * same pass, as before the queue.
 */
static void tg_rx_pass(struct tg_flow_engine *e)
{
	struct tg_rec *rp[TG_ACCEL_BURST_MAX];
	unsigned q = 0;

	e->rx_pass++;
	while (q < e->n_rxq || e->n_rxd > 0) {
		uint16_t n = 0, took;
		unsigned room = tg_flow_q_room(e);

		if (room > TG_ACCEL_BURST_MAX)
			room = TG_ACCEL_BURST_MAX;
		/* gather: at most the records that fit in each flow's bout
		 * and in the queue */
		for (; q < e->n_rxq && n < room; q++) {
			struct tg_flow *f = &e->flows[e->rxq[q]];
			uint32_t budget;
			uint16_t k = 0;

			f->in_rx = false;
			if ((f->state != FL_OPEN && f->state != FL_CONNECT) || f->c_notify)
				continue;
			/* TLS 1.3: the flow's records in one burst at a time,
			 * since a KeyUpdate inside one changes the key of the
			 * next (the inner type is known only once it is
			 * open); a few bursts per pass (docs/decisions.md) */
			if (f->rx_pass != e->rx_pass) {
				f->rx_pass = e->rx_pass;
				f->rx_n = 0;
			}
			if (f->s13.len != 0) {
				if (f->rx_n >= TG_RX13_PER_PASS)
					continue;
				/* its records in flight first: they may carry
				 * a KeyUpdate; back, they queue the flow again */
				if (f->cin.pin != 0 || f->rx_peek != 0 ||
				    f->rx_resv != 0) {
					f->rx_more = true;
					continue;
				}
			}
			/* bout comes with the first bytes to open */
			if (!tg_buf_grow(e, &f->bout, TG_BUF_BOUT)) {
				tg_flow_alert(f, TG_ALERT_FATAL, TG_ALERT_INTERNAL_ERROR);
				f->state = FL_CLOSING;
				continue;
			}
			budget = tg_buf_room(&f->bout, f->bout.cap);
			/* records being opened have their room kept */
			budget = budget > f->bout_resv ? budget - f->bout_resv : 0;
			/* zero copy: whole records in the transport's own
			 * bytes, when nothing waits before them (past those
			 * being opened there) */
			if (e->ops->peek != NULL && f->cin.len == 0 &&
			    !tg_late_pending(f) && f->chin != NULL) {
				/* the record being taken as a chain, once
				 * whole (more of it first) */
				if (rte_pktmbuf_pkt_len(f->chin) < f->chin_need)
					(void)tg_chain_recv(e, f);
				if (f->chin != NULL)
					k = tg_chain_frame(e, f, rp + n);
				else if (f->asm_p != NULL) /* went to a copy */
					k = tg_asm_frame(e, f, rp + n);
			} else if (e->ops->peek != NULL && f->cin.len == 0 &&
				   !tg_late_pending(f) && f->asm_p != NULL) {
				/* the record being assembled in the backend's
				 * stream, once whole */
				k = tg_asm_frame(e, f, rp + n);
			} else if (e->ops->peek != NULL && f->cin.len == 0 &&
				   !tg_late_pending(f) && f->rx_resv != 0) {
				/* a record opened in the backend's stream is
				 * ahead of the next ones: back, it queues the
				 * flow again */
				f->rx_more = true;
			} else if (e->ops->peek != NULL && f->cin.len == 0 &&
				   !tg_late_pending(f)) {
				uint8_t *p;
				uint32_t len = e->ops->peek(e->tctx, f,
							    TG_FLOW_CLIENT, &p);

				k = tg_rx_frame(e, f, p, len, f->peek_pend, len,
						&budget, rp + n, (uint16_t)(room - n),
						TG_FR_OPEN_PEEK);
				/* none whole there (one record across the
				 * transport's buffers): copied once into the
				 * backend's stream where it takes reservations,
				 * else into cin, once those before it are done */
				if (k == 0 && len > f->peek_pend && f->state != FL_CLOSING) {
					if (f->peek_pend > 0)
						f->rx_more = true;
					else if (tg_chain_start(e, f, p, len))
						k = tg_chain_frame(e, f, rp + n);
					else if (f->state == FL_CLOSING)
						; /* (a write error flushing bout) */
					else if (tg_asm_start(e, f, p, len))
						k = tg_asm_frame(e, f, rp + n);
					else
						(void)tg_client_recv(e, f);
				}
			}
			if (k == 0 && f->state != FL_CLOSING) {
				k = tg_rx_frame(e, f, f->cin.p, f->cin.cap,
						f->cin.off + f->cin_pend,
						f->cin.off + f->cin.len, &budget,
						rp + n, (uint16_t)(room - n),
						TG_FR_OPEN);
			}
			n += k;
			f->rx_n += k > 0;
		}
		if (n > 0) {
			took = tg_accel_open_submit(e->q, rp, n);
			/* not reached (the queue had room): not opened, the
			 * flow tries again */
			for (uint16_t i = took; i < n; i++) {
				struct tg_frec *x = rp[i]->udata;

				tg_rx_unpend(x->f, x);
				if (x->kind == TG_FR_OPEN_CHAIN) { /* taken again */
					x->f->chin = x->r.m;
					x->f->chin_need = x->r.rec_len;
				}
				tg_rx_requeue(e, x->f, &q);
				tg_frec_put(e, x);
			}
			e->st->burst_hist[tg_stats_burst_bucket(n)]++;
		}
		/* what is done now (all of it with a synchronous backend) */
		tg_flow_complete(e);
		if (n == 0 && e->n_rxd == 0) {
			if (q < e->n_rxq) /* the queue is full: the rest waits */
				e->st->accel_queue_full++;
			break;
		}

		for (uint16_t i = 0; i < e->n_rxd; i++) {
			struct tg_rec *r = e->rxd[i];
			struct tg_frec *x = r->udata;
			struct tg_flow *f = x->f;

			tg_rx_unpend(f, x);
			if (f->state == FL_DYING) {
				/* closed meanwhile: dropped (a reservation
				 * with the transport's release) */
				if (x->kind == TG_FR_OPEN_CHAIN)
					tg_chain_drop(r->m, r->status == TG_REC_OK);
				else if (r->status == TG_REC_OK)
					tg_wipe(r->buf + r->off, r->len);
				if (tg_flow_infl(f) == 0)
					tg_flow_reap(e, f);
				continue;
			}
			if (x->kind == TG_FR_OPEN_RESV || x->kind == TG_FR_OPEN_CHAIN) {
				if (x->kind == TG_FR_OPEN_CHAIN)
					tg_rx_chain_done(e, f, r);
				else
					tg_rx_resv_done(e, f, r);
				if (f->rx_more && f->cin.pin == 0 &&
				    f->rx_peek == 0 && f->rx_resv == 0) {
					f->rx_more = false;
					tg_rx_requeue(e, f, &q);
				}
				tg_touch(e, f);
				continue;
			}
			/* its progress this round sends what was opened (a
			 * pass queued by the last round's progress would
			 * otherwise wait for the timer) */
			tg_touch(e, f);
			/* TLS 1.3: behind a KeyUpdate of its burst, opened
			 * (failed, wiped) under the key that KeyUpdate
			 * retired: its ciphertext back, to be opened under
			 * the next key (whatever its status: the client
			 * must not use the old key after its KeyUpdate) */
			if (x->kgen != f->rx_kgen && f->state != FL_CLOSING) {
				if (!x->saved) { /* not reached: the first of a
						    burst is never behind it */
					tg_rx_fatal(e, f, TG_ALERT_INTERNAL_ERROR);
				} else {
					memcpy(r->buf + r->rec_off, x->save,
					       r->rec_len);
					f->rx_more = true;
				}
			}
			/* all done: what was left for want of room is next */
			if (f->rx_more && f->cin.pin == 0 && f->rx_peek == 0 &&
			    f->rx_resv == 0) {
				f->rx_more = false;
				tg_rx_requeue(e, f, &q);
			}
			if (f->state == FL_CLOSING || x->kgen != f->rx_kgen)
				continue;
			if (x->kind == TG_FR_OPEN_PEEK) {
				e->ops->consume(e->tctx, f, TG_FLOW_CLIENT, r->rec_len);
				f->in_bytes += r->rec_len;
				e->st->bytes_from_client += r->rec_len;
			} else {
				tg_buf_consume(&f->cin, r->rec_len);
			}
			if (f->c_notify) {
				/* after close_notify: ignored (RFC 5246 §7.2.1) */
				if (r->status == TG_REC_OK)
					tg_wipe(r->buf + r->off, r->len);
				continue;
			}
			if (r->status != TG_REC_OK) {
				tg_rx_failed(e, f, r->status);
				continue;
			}
			tg_rx_opened(e, r);
			switch (r->type) {
			case TG_CT_APPLICATION_DATA:
				/* RFC 8446 §5.1: no application data in the
				 * middle of a handshake message */
				if (f->hsfrag_len != 0) {
					tg_rx_fatal(e, f, TG_ALERT_UNEXPECTED_MESSAGE);
					break;
				}
				f->ku_run = 0;
				memcpy(tg_buf_tail(&f->bout), r->buf + r->off, r->len);
				tg_buf_commit(&f->bout, r->len);
				break;
			case TG_CT_ALERT:
				tg_rx_alert(e, f, r->buf + r->off, r->len);
				break;
			case TG_CT_HANDSHAKE:
				if (f->info.version == TG_TLS13) {
					tg_rx_hs13(e, f, r->buf + r->off, r->len);
					break;
				}
				/* renegotiation is refused (RFC 5746 §4.4) */
				tg_flow_alert(f, TG_ALERT_WARNING,
					      TG_ALERT_NO_RENEGOTIATION);
				break;
			default:
				tg_flow_alert(f, TG_ALERT_FATAL,
					      TG_ALERT_UNEXPECTED_MESSAGE);
				f->state = FL_CLOSING;
				break;
			}
			/* the plaintext is in bout now: wipe where it was */
			tg_wipe(r->buf + r->off, r->len);
		}
		for (uint16_t i = 0; i < e->n_rxd; i++)
			tg_frec_put(e, e->rxd[i]->udata);
		e->n_rxd = 0;
	}
	/* the flows not gathered (the queue was full) stay queued */
	memmove(e->rxq, e->rxq + q, (e->n_rxq - q) * sizeof(*e->rxq));
	e->n_rxq -= q;
}

/* Dynamic record size: small at the start and after idle, full later. */
static uint32_t tg_record_size(const struct tg_flow_engine *e,
			       struct tg_flow *f, uint64_t now)
{
	/* idle as the sending side sees it: a request from the client that
	 * ends a pause (t_active) must still get small records back */
	if (now - f->t_sent > e->set->record_idle_ms)
		f->sent_since_idle = 0;
	uint32_t rs = f->sent_since_idle < e->set->record_ramp_bytes
			      ? e->set->record_small
			      : e->set->record_max;

	/* RFC 8449: never over the client's record_size_limit */
	if (f->info.record_limit != 0 && rs > f->info.record_limit)
		rs = f->info.record_limit;
	return rs;
}

/*
 * A seal in a reservation of the client's stream is done (in the flow's
 * order): the last record of its reservation commits it. After a failed
 * seal nothing is committed any more; the reservations left are dropped
 * once no record is in flight in them (never a byte in clear).
 */
static void tg_tx_resv_done(struct tg_flow_engine *e, struct tg_frec *x)
{
	struct tg_flow *f = x->f;
	struct tg_rec *r = &x->r;

	f->tx_resv--;
	if (f->state == FL_DYING) {
		if (tg_flow_infl(f) == 0)
			tg_flow_reap(e, f);
		return;
	}
	tg_touch(e, f);
	if (r->status == TG_REC_OK && !f->tx_failed) {
		if (r->backend < TG_STATS_MAX_BACKENDS) {
			e->st->records_sealed[r->backend]++;
			e->st->bytes_sealed[r->backend] += r->len;
		}
		if (x->resv != 0) {
			e->ops->send_commit(e->tctx, f, TG_FLOW_CLIENT, x->resv);
			e->st->bytes_to_client += x->resv;
			f->out_bytes += x->resv;
		}
	} else if (!f->tx_failed) {
		f->tx_failed = true;
		f->cout_hold = f->cout.off; /* nothing more goes out */
		f->state = FL_CLOSING;
	}
	if (f->tx_failed && f->tx_resv == 0) {
		e->ops->send_cancel(e->tctx, f, TG_FLOW_CLIENT);
		if (f->cout.pin == 0) {
			f->cout.off = f->cout.len = 0;
			f->cout_hold = TG_HOLD_NONE;
		}
	}
}

/*
 * A seal of @p x's flow is done: cout may go out up to its end (records
 * of a flow come back in the order they were submitted). A record that
 * could not be protected is never sent: its flow is dropped, and nothing
 * of it goes out any more (not even what was sealed before).
 */
static void tg_tx_done(struct tg_flow_engine *e, struct tg_frec *x)
{
	struct tg_flow *f = x->f;
	struct tg_rec *r = &x->r;

	if (x->kind == TG_FR_SEAL_RESV) {
		tg_tx_resv_done(e, x);
		return;
	}
	f->cout.pin--;
	if (f->state == FL_DYING) {
		if (tg_flow_infl(f) == 0)
			tg_flow_reap(e, f);
		return;
	}
	tg_touch(e, f);
	if (r->status == TG_REC_OK) {
		if (r->backend < TG_STATS_MAX_BACKENDS) {
			e->st->records_sealed[r->backend]++;
			e->st->bytes_sealed[r->backend] += r->len;
		}
		if (!f->tx_failed)
			f->cout_hold = (uint32_t)(r->buf - f->cout.p) + r->rec_off +
				       r->rec_len;
	} else if (!f->tx_failed) {
		f->tx_failed = true;
		f->cout_hold = f->cout.off; /* nothing more goes out */
		f->state = FL_CLOSING;
	}
	if (f->cout.pin == 0) {
		if (f->tx_failed) /* plaintext never goes out: dropped */
			f->cout.off = f->cout.len = 0;
		f->cout_hold = TG_HOLD_NONE;
	}
}

/* Take the records the accel queue has done: seals finish here, opens
 * wait in e->rxd for the rx pass. */
static void tg_flow_complete(struct tg_flow_engine *e)
{
	struct tg_rec *done[TG_ACCEL_BURST_MAX];
	uint16_t n;

	if (e->q == NULL)
		return;
	do {
		n = tg_accel_poll(e->q, done, TG_ACCEL_BURST_MAX);
		for (uint16_t i = 0; i < n; i++) {
			struct tg_frec *x = done[i]->udata;

			if (x->kind != TG_FR_SEAL && x->kind != TG_FR_SEAL_RESV) {
				e->rxd[e->n_rxd++] = done[i];
				continue;
			}
			tg_tx_done(e, x);
			tg_frec_put(e, x);
		}
	} while (n == TG_ACCEL_BURST_MAX);
}

/*
 * The backend's bytes of @p f straight into records in one reservation of
 * the client's stream: as many records of the record size as the bytes
 * waiting fill (up to 4, and @p room), header room before each, tag room
 * after, one after the other; received into their plaintext slots and
 * added to the burst (@p rp). Returns the records added; a refused
 * reservation is back-pressure (tx_wait: the client's writable).
 */
static uint16_t tg_tx_resv(struct tg_flow_engine *e, struct tg_flow *f,
			   struct tg_rec **rp, uint16_t room, uint64_t now)
{
	uint32_t rs = tg_record_size(e, f, now);
	uint32_t hdr = tg_accel_hdr_len(f->tx);
	uint32_t tail = tg_accel_tail_len(f->tx, 0);
	uint32_t avail = e->ops->pending(e->tctx, f, TG_FLOW_BACKEND);
	uint32_t want, total = 0, left;
	struct iovec iov[4];
	uint16_t nrec = 0, k;
	uint8_t *base;
	ssize_t got;

	if (avail == 0) {
		/* nothing to read: the end of the stream or an error */
		iov[0] = (struct iovec){ .iov_base = NULL, .iov_len = 0 };
		got = e->ops->recv(e->tctx, f, TG_FLOW_BACKEND, iov, 1);
		if (got <= 0 && got != -EAGAIN) {
			f->b_eof = true;
			f->b_reset = got < 0;
		}
		return 0;
	}
	/* one reservation: the records it holds whole */
	for (want = avail; want > 0 && nrec < 4 && nrec < room;) {
		uint32_t len = want < rs ? want : rs;

		if (total + hdr + len + tail > TG_FLOW_RESV_MAX)
			break;
		total += hdr + len + tail;
		want -= len;
		nrec++;
	}
	if (nrec == 0)
		return 0;
	base = e->ops->send_reserve(e->tctx, f, TG_FLOW_CLIENT, 0, total);
	if (base == NULL) {
		f->tx_wait = true;
		return 0;
	}
	for (k = 0, left = avail, total = 0; k < nrec; k++) {
		uint32_t len = left < rs ? left : rs;

		iov[k] = (struct iovec){ .iov_base = base + total + hdr, .iov_len = len };
		total += hdr + len + tail;
		left -= len;
	}
	got = e->ops->recv(e->tctx, f, TG_FLOW_BACKEND, iov, nrec);
	if (got <= 0) {
		/* not with bytes pending (our TCP gives what it holds first);
		 * only the newest reservation is to go, and a commit drops the
		 * oldest: alone, it is cancelled; behind records in flight,
		 * the flow is dropped as after a failed seal */
		if (f->tx_resv == 0) {
			e->ops->send_cancel(e->tctx, f, TG_FLOW_CLIENT);
		} else {
			f->tx_failed = true;
			f->cout_hold = f->cout.off;
			f->state = FL_CLOSING;
		}
		if (got != -EAGAIN) {
			f->b_eof = true;
			f->b_reset = got < 0;
		}
		return 0;
	}
	e->st->bytes_from_backend += (uint64_t)got;
	f->sent_since_idle += (uint64_t)got;
	f->t_active = f->t_sent = now;
	/* the records the bytes filled, each its slot's size but the last */
	for (k = 0, total = 0; got > 0; k++) {
		uint32_t len = (uint32_t)((size_t)got < iov[k].iov_len ? (size_t)got
								      : iov[k].iov_len);
		struct tg_frec *x = tg_frec_get(e, f, TG_FR_SEAL_RESV);
		uint32_t at = total;

		/* a short read leaves the last record shorter: the next one
		 * (none, got is spent) never starts */
		x->r = (struct tg_rec){ .sess = f->tx, .buf = base,
					.cap = at + hdr + len + tail,
					.off = at + hdr, .len = len,
					.type = TG_CT_APPLICATION_DATA, .udata = x };
		rp[k] = &x->r;
		total += hdr + len + tail;
		got -= len;
		f->tx_resv++;
		if (got == 0)
			x->resv = total; /* the last: commits the reservation */
	}
	return k;
}

/*
 * Read backend data into records and seal them in shared bursts submitted
 * to the engine's accel queue; what comes back done goes out in each
 * flow's order (tg_tx_done). A full queue is back-pressure: the flows not
 * gathered stay queued for the next pass.
 */
static void tg_tx_pass(struct tg_flow_engine *e)
{
	struct tg_rec *rp[TG_ACCEL_BURST_MAX];
	uint64_t now = tg_now(e);
	unsigned q = 0;

	while (q < e->n_txq) {
		uint16_t n = 0, took;
		unsigned qroom = tg_flow_q_room(e);

		if (qroom == 0) {
			tg_flow_complete(e);
			qroom = tg_flow_q_room(e);
			if (qroom == 0) {
				e->st->accel_queue_full++;
				break; /* full: the rest waits */
			}
		}
		if (qroom > TG_ACCEL_BURST_MAX)
			qroom = TG_ACCEL_BURST_MAX;
		for (; q < e->n_txq && n < qroom; q++) {
			struct tg_flow *f = &e->flows[e->txq[q]];

			f->in_tx = false;
			if (f->state != FL_OPEN || f->b_eof || !f->b_up)
				continue;
			/* TLS 1.3: a KeyUpdate the client asked for, and ours
			 * before the AEAD's limit (RFC 8446 §5.5), ahead of
			 * the records of this pass; with seals of the flow in
			 * flight (under the key it replaces) the flow waits
			 * (tg_ku_due) */
			if (tg_ku_due(e, f)) {
				if (f->cout.pin != 0 || f->tx_resv != 0)
					continue;
				tg_flow_key_update(e, f);
				if (f->state == FL_CLOSING)
					continue;
			}
			/* sealed where the client's stream continues, when
			 * nothing of cout is before them */
			if (e->ops->send_reserve != NULL && f->cout.len == 0) {
				if (!f->tx_wait)
					n += tg_tx_resv(e, f, rp + n,
							(uint16_t)(qroom - n), now);
				continue;
			}
			/* the full cout comes with the first backend read
			 * sealed into it (with records in flight in a
			 * smaller one, that one) */
			if (f->cout.pin == 0 && !tg_buf_grow(e, &f->cout, TG_BUF_COUT)) {
				f->state = FL_CLOSING;
				continue;
			}
			/* compact once: records gathered below point into cout
			 * (not under records in flight) */
			(void)tg_buf_room(&f->cout, f->cout.cap);
			/* up to 4 records per flow per pass (fair, and bulky),
			 * received in one call into consecutive record slots */
			uint32_t rs = tg_record_size(e, f, now);
			uint32_t hdr = tg_accel_hdr_len(f->tx);
			uint32_t tail = tg_accel_tail_len(f->tx, 0);
			uint32_t slot = hdr + rs + tail;
			uint32_t room = f->cout.cap - f->cout.off - f->cout.len;
			uint8_t *base = tg_buf_tail(&f->cout);
			struct iovec iov[4];
			int k, slots = 0;
			ssize_t got;

			while (slots < 4 && (unsigned)(n + slots) < qroom &&
			       room >= (uint32_t)(slots + 1) * slot + TG_REC_ROOM) {
				iov[slots].iov_base = base + (size_t)slots * slot + hdr;
				iov[slots].iov_len = rs;
				slots++;
			}
			if (slots == 0)
				continue; /* back-pressure: the client is slow */
			got = e->ops->recv(e->tctx, f, TG_FLOW_BACKEND, iov, slots);
			if (got == -EAGAIN)
				continue;
			if (got <= 0) {
				f->b_eof = true;
				f->b_reset = got < 0;
				if (got < 0)
					TG_DEBUG("worker %u: flow %u: backend %s: %s",
						 e->c->id, f->slot,
						 f->bep ? f->bep->addr.text : "?",
						 strerror((int)-got));
				continue;
			}
			e->st->bytes_from_backend += (uint64_t)got;
			f->sent_since_idle += (uint64_t)got;
			f->t_active = f->t_sent = now;
			/* cout goes out up to the first record in flight */
			if (f->cout.pin == 0)
				f->cout_hold = (uint32_t)(base - f->cout.p);
			/* full slots, then the part of the last one */
			for (k = 0; got > 0; k++) {
				uint32_t len = (uint64_t)got < rs ? (uint32_t)got : rs;
				uint8_t *rb = base + (size_t)k * slot;
				struct tg_frec *x = tg_frec_get(e, f, TG_FR_SEAL);

				x->r = (struct tg_rec){ .sess = f->tx, .buf = rb,
							.cap = room - (uint32_t)k * slot,
							.off = hdr, .len = len,
							.type = TG_CT_APPLICATION_DATA,
							.udata = x };
				rp[n++] = &x->r;
				/* the record's bytes: hdr + len + tag; they
				 * stay put until it is done */
				tg_buf_commit(&f->cout, hdr + len + tail);
				f->cout.pin++;
				got -= len;
			}
		}
		if (n == 0)
			break;
		took = tg_accel_seal_submit(e->q, rp, n);
		e->st->burst_hist[tg_stats_burst_bucket(n)]++;
		/* not reached (the queue had room): the backend's bytes are
		 * in cout unsealed, so the flow is dropped */
		for (uint16_t i = took; i < n; i++) {
			rp[i]->status = TG_REC_E_BACKEND;
			tg_tx_done(e, rp[i]->udata);
			tg_frec_put(e, rp[i]->udata);
		}
		tg_flow_complete(e);
	}
	/* the flows not gathered (the queue was full) stay queued */
	memmove(e->txq, e->txq + q, (e->n_txq - q) * sizeof(*e->txq));
	e->n_txq -= q;
}

/* ---- per-flow housekeeping after the passes ----------------------------------- */

static void tg_flow_progress(struct tg_flow_engine *e, struct tg_flow *f,
			     uint64_t now)
{
	const struct tg_flow_settings *s = e->set;

	if (f->state == FL_FREE || f->state == FL_DYING)
		return;
	if (tg_cout_ready(f) &&
	    !tg_flush(e, f, TG_FLOW_CLIENT, &f->cout, tg_cout_ready(f),
		      &e->st->bytes_to_client, &f->out_bytes)) {
		tg_flow_close(e, f, "client-write-error");
		return;
	}
	if (f->state == FL_CLOSING) {
		/* records sealed in reservations go first (their completion
		 * comes back here), unless a seal failed */
		if (f->cout.len == 0 && (f->tx_resv == 0 || f->tx_failed)) {
			tg_flow_close(e, f, f->info.alert_sent != TG_ALERT_NONE ? "alert"
										 : "closed");
			return;
		}
		/* nothing more is read from the backend: stop watching it (a
		 * readable FIN would wake every wait) */
		if (f->b_up)
			e->ops->want(e->tctx, f, TG_FLOW_BACKEND, false, false);
		/* a client that takes nothing of what is left for an idle
		 * timeout is dropped, as nginx's send_timeout does */
		if (f->t_closing == 0 || f->out_bytes != f->closing_out) {
			f->t_closing = now;
			f->closing_out = f->out_bytes;
		} else if (now - f->t_closing > s->idle_timeout_ms) {
			tg_flow_close(e, f, "closing-timeout");
			return;
		}
		/* records still in flight: their completion comes back here */
		e->ops->want(e->tctx, f, TG_FLOW_CLIENT, false, tg_cout_ready(f) > 0);
		return;
	}
	if (f->state == FL_HS) {
		if (now - f->t_start > s->handshake_timeout_ms) {
			e->st->hs_timeouts++;
			tg_flow_close(e, f, "handshake-timeout");
			return;
		}
		e->ops->want(e->tctx, f, TG_FLOW_CLIENT, !f->c_eof && !f->ctl_wait,
			     f->cout.len > 0);
		return;
	}
	/* from the connect's start: a client that keeps sending meanwhile
	 * does not stretch it */
	if (f->state == FL_CONNECT && now - f->t_connect > s->connect_timeout_ms) {
		/* a connect that ended while this worker did not run has its
		 * event still queued: the transport is asked before the
		 * connect is given up (docs/failures.md) */
		if (e->ops->connect_check != NULL &&
		    e->ops->connect_check(e->tctx, f) > 0) {
			tg_flow_backend_connected(e, f);
		} else {
			/* the backend did not answer in time: the next one */
			e->ops->abort(e->tctx, f, TG_FLOW_BACKEND);
			tg_flow_reconnect(e, f);
			if (f->state == FL_CLOSING)
				tg_flow_progress(e, f, now);
			return;
		}
	}
	/* plaintext opened in a chain goes before bout's */
	if (f->state == FL_OPEN && f->chout != NULL) {
		if (!tg_chain_flush(e, f) &&
		    (f->state == FL_DYING || f->state == FL_FREE))
			return; /* closed: the backend cannot take it */
	}
	if (f->state == FL_OPEN && f->bout.len && f->chout == NULL) {
		uint32_t before = f->bout.len;

		if (!tg_flush(e, f, TG_FLOW_BACKEND, &f->bout, f->bout.len,
			      &e->st->bytes_to_backend, NULL)) {
			e->st->backend_closed_early++;
			tg_flow_close(e, f, "backend-write-error");
			return;
		}
		/* room in bout again: records left in cin for want of it
		 * are opened now, not when the client sends more */
		if (f->bout.len < before && f->cin.len >= TG_REC_HDR_LEN)
			tg_want_rx(e, f);
	}
	if (f->late != NULL && tg_late_drain(f))
		tg_want_rx(e, f);
	/* TLS 1.3 records left for the pass bound: the next round opens
	 * them (no readable event will come for bytes already in cin; with
	 * a record in flight its completion queues the flow: rx_more) */
	if (f->s13.len != 0 && f->rx_n >= TG_RX13_PER_PASS &&
	    f->cin.len >= TG_REC_HDR_LEN && f->cin.pin == 0 &&
	    f->rx_peek == 0 && !f->c_notify && !f->in_rx) {
		/* queued, not touched: progress is walking the touched list */
		f->in_rx = true;
		e->rxq[e->n_rxq++] = f->slot;
	}
	/* a KeyUpdate the client asked for goes out now, not only before
	 * our next record: one for all its requests since ours; with seals
	 * in flight under our key, once they are back (their completion
	 * touches the flow) */
	if (f->ku_owed && f->cout.pin == 0 && f->tx_resv == 0 &&
	    (f->state == FL_OPEN || f->state == FL_CONNECT)) {
		tg_flow_key_update(e, f);
		if (f->state == FL_CLOSING) {
			tg_flow_progress(e, f, now);
			return;
		}
		if (!tg_flush(e, f, TG_FLOW_CLIENT, &f->cout, tg_cout_ready(f),
			      &e->st->bytes_to_client, &f->out_bytes)) {
			tg_flow_close(e, f, "client-write-error");
			return;
		}
	}
	/* a record cut by the client's end is dropped with its reservation
	 * (no other of the backend's stream is outstanding then) */
	if (f->c_eof && f->asm_p != NULL && f->asm_have < f->asm_need &&
	    f->rx_resv == 0) {
		e->ops->send_cancel(e->tctx, f, TG_FLOW_BACKEND);
		f->asm_p = NULL;
	}
	if (f->c_eof && f->chin != NULL &&
	    rte_pktmbuf_pkt_len(f->chin) < f->chin_need) {
		tg_chain_drop(f->chin, false);
		f->chin = NULL;
	}
	/* client finished sending: pass the FIN on once bout is flushed
	 * (and the records still being opened are in it, or committed) */
	if (f->c_eof && f->state == FL_OPEN && f->bout.len == 0 && !f->b_shut &&
	    f->cin.pin == 0 && f->rx_peek == 0 && f->rx_resv == 0 &&
	    f->asm_p == NULL && f->chin == NULL && f->chout == NULL) {
		e->ops->shutdown(e->tctx, f, TG_FLOW_BACKEND);
		f->b_shut = true;
	}
	/* backend finished: close_notify after the last record; after a
	 * reset none, so that the client sees the response was cut */
	if (f->b_eof && f->state == FL_OPEN) {
		if (f->b_reset)
			e->st->backend_closed_early++;
		else
			tg_flow_alert(f, TG_ALERT_WARNING, TG_ALERT_CLOSE_NOTIFY);
		f->state = FL_CLOSING;
		tg_flow_progress(e, f, now);
		return;
	}
	if (f->c_eof && f->b_shut && f->cout.len == 0 && f->tx_resv == 0 &&
	    f->b_eof) {
		tg_flow_close(e, f, "closed");
		return;
	}
	if (now - f->t_active > s->idle_timeout_ms) {
		e->st->idle_timeouts++;
		tg_flow_alert(f, TG_ALERT_WARNING, TG_ALERT_CLOSE_NOTIFY);
		f->state = FL_CLOSING;
		tg_flow_progress(e, f, now); /* flush it now */
		return;
	}
	/* back-pressure both ways: read only what the other side can take */
	e->ops->want(e->tctx, f, TG_FLOW_CLIENT,
		     !f->c_eof && f->bout.len + TG_REC_MAX_CT <= e->pool[TG_BUF_BOUT].size &&
			     f->cin.len < f->cin.cap && !tg_late_pending(f),
		     tg_cout_ready(f) > 0 || f->tx_wait);
	/* cout holds max_buffer of records and TG_CIN_CAP more: room for a
	 * tx pass's records (and an alert) whenever the backend is read */
	if (f->state == FL_OPEN)
		e->ops->want(e->tctx, f, TG_FLOW_BACKEND,
			     !f->b_eof && !f->tx_wait &&
				     f->cout.len + TG_CIN_CAP <= e->pool[TG_BUF_COUT].size,
			     f->bout.len > 0 || f->chout != NULL);
}

/* ---- the engine ------------------------------------------------------------------ */

tg_result tg_flow_engine_new(const struct tg_flow_conf *conf,
			     struct tg_flow_engine **out)
{
	struct tg_flow_engine *e;
	unsigned max;

	TG_ENSURE(conf != NULL && out != NULL && conf->set != NULL &&
			  conf->ops != NULL && conf->to_ctl != NULL &&
			  conf->acc != NULL &&
			  conf->from_ctl != NULL && conf->stats != NULL &&
			  conf->conns_total != NULL && conf->backends != NULL &&
			  conf->set->max_conns_per_worker > 0,
		  TG_E_INVAL);
	max = conf->set->max_conns_per_worker;
	e = calloc(1, sizeof(*e));
	TG_ENSURE(e != NULL, TG_E_NOMEM);
	e->c = conf;
	e->set = conf->set;
	e->ops = conf->ops;
	e->tctx = conf->tctx;
	e->st = conf->stats;
	e->max = max;
	e->flows = calloc(max, sizeof(*e->flows));
	e->free_slots = calloc(max, sizeof(*e->free_slots));
	e->rxq = calloc(max, sizeof(*e->rxq));
	e->txq = calloc(max, sizeof(*e->txq));
	e->tq = calloc(max, sizeof(*e->tq));
	e->act = calloc(max, sizeof(*e->act));
	e->frec = calloc(TG_FLOW_QDEPTH, sizeof(*e->frec));
	e->rx_save = malloc((size_t)TG_FLOW_QDEPTH * TG_RX13_SAVE);
	e->frec_free = calloc(TG_FLOW_QDEPTH, sizeof(*e->frec_free));
	e->rxd = calloc(TG_FLOW_QDEPTH, sizeof(*e->rxd));
	if (!e->flows || !e->free_slots || !e->rxq || !e->txq || !e->tq || !e->act ||
	    !e->frec || !e->rx_save || !e->frec_free || !e->rxd) {
		tg_flow_engine_free(e);
		return tg_error(TG_E_NOMEM);
	}
	for (unsigned i = 0; i < TG_FLOW_QDEPTH; i++) {
		e->frec[i].save = e->rx_save + (size_t)i * TG_RX13_SAVE;
		tg_frec_put(e, &e->frec[TG_FLOW_QDEPTH - 1 - i]);
	}
	/* the records of every flow of the engine go through one queue: a
	 * crypto PMD runs them asynchronously, the CPU backends at submit */
	{
		tg_result r = tg_accel_q_create(conf->acc, TG_FLOW_QDEPTH, &e->q);

		if (tg_failed(r)) {
			tg_flow_engine_free(e);
			return r;
		}
	}
	e->pool[TG_BUF_CIN].size = TG_CIN_CAP;
	e->pool[TG_BUF_COUT].size = tg_cout_cap(e);
	e->pool[TG_BUF_COUT_HS].size = TG_HS_COUT_CAP < tg_cout_cap(e) ? TG_HS_COUT_CAP
								      : tg_cout_cap(e);
	e->pool[TG_BUF_BOUT].size = e->set->max_buffer + TG_PROXY_MAX;
	for (unsigned i = 0; i < max; i++) {
		e->flows[i].slot = i;
		e->free_slots[e->n_free++] = max - 1 - i;
	}
	e->be = tg_backends_cur_get(conf->backends);
	*out = e;
	return TG_OK;
}

/*
 * Wait for the records in flight (at most @p ms, polling): seals finish,
 * opens are handed to their flows (dropped for closed ones, whose slots
 * are freed then).
 */
static void tg_flow_drain_q(struct tg_flow_engine *e, unsigned ms)
{
	uint64_t end = tg_clock_ms() + ms;

	if (e->q == NULL)
		return;
	while (tg_accel_q_inflight(e->q) > 0 || e->n_rxd > 0) {
		tg_flow_complete(e);
		tg_rx_pass(e);
		if (tg_clock_ms() > end)
			break;
	}
}

void tg_flow_engine_free(struct tg_flow_engine *e)
{
	if (e == NULL)
		return;
	for (unsigned i = 0; e->flows && i < e->max; i++)
		tg_flow_close(e, &e->flows[i], "shutdown");
	/* closed flows with records in flight wait for them; then the queue
	 * goes (it waits for the device itself), and with it any such flow */
	tg_flow_drain_q(e, 2000);
	tg_accel_q_free(e->q);
	e->q = NULL;
	for (unsigned i = 0; e->flows && i < e->max; i++)
		if (e->flows[i].state == FL_DYING)
			tg_flow_reap(e, &e->flows[i]);
	while (e->defer != NULL) {
		struct tg_ctl_msg *m = e->defer;

		e->defer = m->next;
		tg_ctl_msg_free(m);
	}
	tg_backends_unref(e->be);
	tg_pools_shrink(e, 0);
	free(e->flows);
	free(e->free_slots);
	free(e->rxq);
	free(e->txq);
	free(e->tq);
	free(e->act);
	free(e->frec);
	free(e->rx_save);
	free(e->frec_free);
	free(e->rxd);
	free(e);
}

unsigned tg_flow_engine_slots(const struct tg_flow_engine *e)
{
	return e->max;
}

unsigned tg_flow_engine_active(const struct tg_flow_engine *e)
{
	return e->active;
}

uint32_t tg_flow_slot(const struct tg_flow *f)
{
	return f->slot;
}

uint32_t tg_flow_gen(const struct tg_flow *f)
{
	return f->gen;
}

struct tg_flow *tg_flow_find(struct tg_flow_engine *e, uint32_t slot,
			     uint32_t gen)
{
	struct tg_flow *f;

	if (slot >= e->max)
		return NULL;
	f = &e->flows[slot];
	if (f->state == FL_DYING) /* closed: its records come back first */
		return NULL;
	return f->state == FL_FREE || f->gen != gen ? NULL : f;
}

bool tg_flow_engine_busy(const struct tg_flow_engine *e)
{
	/* inline, handshake messages the last poll left queued (it takes
	 * no more than our ring can hold) are work to do now */
	return e->n_rxq > 0 || e->n_txq > 0 || e->n_rxd > 0 ||
	       (e->q != NULL && tg_accel_q_inflight(e->q) > 0) ||
	       rte_ring_count(e->c->from_ctl) > 0 ||
	       (e->defer != NULL && !rte_ring_full(e->c->to_ctl)) ||
	       (e->c->ctl.poll != NULL && rte_ring_count(e->c->to_ctl) > 0);
}

/*
 * After a burst of connections has gone (a quarter or less of the peak
 * left, the peak at least TG_TRIM_PEAK flows), give the allocator's free
 * memory back to the system: glibc keeps freed flow buffers in its heaps
 * (its mmap threshold rises with what was freed), so the process would
 * stay at the burst's size. Rare by construction; a few ms at most.
 */
#define TG_TRIM_PEAK 64
static void tg_flow_trim(struct tg_flow_engine *e)
{
	if (e->active > e->peak)
		e->peak = e->active;
	if (e->peak >= TG_TRIM_PEAK && e->active <= e->peak / 4) {
		tg_pools_shrink(e, TG_POOL_IDLE_KEEP);
		(void)malloc_trim(0);
		e->peak = e->active;
		e->st->mem_trims++;
	}
}

void tg_flow_engine_round(struct tg_flow_engine *e)
{
	uint64_t now;

	/* a reload may have swapped the backends (flows keep theirs) */
	if (!tg_backends_cur_is(e->c->backends, e->be)) {
		tg_backends_unref(e->be);
		e->be = tg_backends_cur_get(e->c->backends);
	}
	if (e->defer != NULL)
		tg_defer_flush(e);
	if (e->c->ctl.poll != NULL)
		(void)e->c->ctl.poll(e->c->ctl.ctx);
	tg_ctl_in(e);
	/* records the accel queue finished since the last round */
	tg_flow_complete(e);
	tg_rx_pass(e);
	tg_tx_pass(e);
	now = tg_now(e);
	/* flows touched this round, and every flow on the timer; a flow
	 * touched again by its own progress (records queued for the next
	 * pass) is not queued twice: tq holds each flow once */
	for (unsigned i = 0; i < e->n_tq; i++)
		tg_flow_progress(e, &e->flows[e->tq[i]], now);
	for (unsigned i = 0; i < e->n_tq; i++)
		e->flows[e->tq[i]].touched = false;
	e->n_tq = 0;
	if (now >= e->next_timer) {
		/* the flows in use only, not every slot; backwards, as a flow
		 * that closes here is replaced by the list's last one, which
		 * was already visited */
		for (unsigned i = e->active; i-- > 0;)
			if (i < e->active)
				tg_flow_progress(e, &e->flows[e->act[i]], now);
		e->next_timer = now + TG_TIMER_MS;
		tg_flow_trim(e);
	}
	e->st->accel_inflight = tg_accel_q_inflight(e->q);
}

bool tg_flow_engine_drained(struct tg_flow_engine *e)
{
	uint64_t now = tg_now(e);

	if (e->drain_deadline == 0)
		e->drain_deadline = now + e->set->drain_timeout_ms;
	return e->active == 0 || now > e->drain_deadline;
}

void tg_flow_engine_stop(struct tg_flow_engine *e)
{
	/* records in flight first: what was sealed goes out before the
	 * close_notify */
	tg_flow_drain_q(e, 200);
	/* drain deadline or stop: tell every client we are done */
	for (unsigned i = e->active; i-- > 0;) {
		struct tg_flow *f = &e->flows[e->act[i]];

		if (f->state == FL_OPEN || f->state == FL_CONNECT) {
			tg_flow_alert(f, TG_ALERT_WARNING, TG_ALERT_CLOSE_NOTIFY);
			(void)tg_flush(e, f, TG_FLOW_CLIENT, &f->cout, tg_cout_ready(f),
				       &e->st->bytes_to_client, &f->out_bytes);
		}
		tg_flow_close(e, f, "shutdown");
	}
}
