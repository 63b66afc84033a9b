/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file kback.c
 * Kernel backends of the DPDK transport: the helper thread, its sockets
 * and the rings between it and the worker (tg_kback.h says the shape).
 *
 * Who touches what:
 *   worker (lcore)  the write end of tx rings, the read end of rx rings,
 *                   the ops masks (fetch_or), the ops queue (push), the
 *                   events queue (pop), the free list and ready list,
 *                   the lc_* fields of a slot
 *   helper          the read end of tx rings, the write end of rx rings,
 *                   the events masks (fetch_or), the events queue (push),
 *                   the ops queue (pop), every socket, the h_* fields
 *   both, atomic    st (connect state), err, rx_eof, the wait flags
 *
 * Lost wake-ups: each side that finds nothing to do raises a flag (the
 * helper: h_wait_tx "tell me when the send ring has bytes", h_wait_rx
 * "tell me when the receive ring has room", h_sleep; the worker:
 * lc_wait_rx, lc_wait_tx, lc_sleep), then, after a full fence, looks
 * again; the other side, after publishing its bytes or room, fences and
 * reads the flag. One of the two always sees the other (as Dekker's), so
 * no news is lost and a busy peer is never signalled.
 */
#include "tg_kback.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "tg_log.h"

/* ops, worker -> helper */
#define KB_OP_CONNECT 1u
#define KB_OP_TX 2u       /* the send ring has bytes again */
#define KB_OP_RXROOM 4u   /* the receive ring has room again */
#define KB_OP_SHUT 8u
#define KB_OP_CLOSE 16u
#define KB_OP_ABORT 32u
/* events, helper -> worker: the connect's end, news of the rings, free */
#define KB_HEV_CONN 1u
#define KB_HEV_NEWS 2u
#define KB_HEV_FREED 4u

#define KB_EPOLL_EVENTS 64
#define KB_LINGER_MS 2000
#define KB_WAKE UINT64_MAX /* the eventfd's epoll data */

/* connect state */
enum { KB_ST_CONNECTING = 0, KB_ST_UP = 1, KB_ST_FAILED = -1 };

/* A byte ring: head written by its producer only, tail by its consumer
 * only; both count bytes forever (uint32_t wraps), the index is & mask. */
struct kb_ring {
	_Atomic uint32_t head __attribute__((aligned(64)));
	_Atomic uint32_t tail __attribute__((aligned(64)));
};

/* A queue of slot numbers, single producer, single consumer. */
struct kb_q {
	uint32_t *v;
	uint32_t mask;
	_Atomic uint32_t head __attribute__((aligned(64)));
	_Atomic uint32_t tail __attribute__((aligned(64)));
};

struct kb_conn {
	uint8_t *buf;             /* tx ring then rx ring, 2 * ring_size */
	struct kb_ring tx, rx;
	_Atomic uint32_t ops;     /* KB_OP_* asked */
	_Atomic uint32_t evs;     /* KB_HEV_* told */
	_Atomic int st;           /* KB_ST_* */
	_Atomic int err;          /* errno of a failed connection, 0 */
	_Atomic bool rx_eof;      /* the backend's FIN is behind rx's bytes */
	_Atomic bool h_wait_tx, h_wait_rx, lc_wait_rx, lc_wait_tx;
	struct sockaddr_storage sa; /* written before KB_OP_CONNECT */
	/* the worker's */
	uint64_t udata;
	bool lc_used, lc_closing, lc_want_r, lc_want_w, lc_in_rdy;
	bool lc_told_conn, lc_told_err;
	/* the helper's */
	int fd;
	bool h_can_r, h_can_w, h_shut, h_shut_done, h_closing, h_eof;
	uint64_t h_deadline;
};

struct tg_kback {
	struct tg_kback_conf c;
	uint32_t rs, rmask;
	struct kb_conn *s;
	struct kb_q q_ops, q_ev;
	int ep, efd;
	pthread_t th;
	bool started;
	_Atomic bool stop;
	unsigned h_lingering;      /* the helper's: slots with h_closing */
	_Atomic bool h_sleep, lc_sleep;
	/* the worker's */
	uint32_t *free_l;
	unsigned n_free;
	uint32_t *rdy;             /* slots that may have news to report */
	unsigned n_rdy;
	uint64_t tx_in, rx_out;    /* bytes put in tx rings, taken from rx */
	/* the helper's, read by the worker (relaxed) */
	_Atomic uint64_t tx_out, rx_in, rx_dropped, connects, connect_failed;
	_Atomic uint64_t in_use;
};

/* ---- queues ------------------------------------------------------------------ */

static tg_result kb_q_init(struct kb_q *q, unsigned n)
{
	uint32_t cap = 1;

	while (cap < n)
		cap <<= 1;
	q->v = calloc(cap, sizeof(*q->v));
	TG_ENSURE(q->v != NULL, TG_E_NOMEM);
	q->mask = cap - 1;
	return TG_OK;
}

/* Never full: a slot is in a queue at most once (see the file comment). */
static void kb_q_push(struct kb_q *q, uint32_t slot)
{
	uint32_t h = atomic_load_explicit(&q->head, memory_order_relaxed);

	q->v[h & q->mask] = slot;
	atomic_store_explicit(&q->head, h + 1, memory_order_release);
}

static bool kb_q_pop(struct kb_q *q, uint32_t *slot)
{
	uint32_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);

	if (t == atomic_load_explicit(&q->head, memory_order_acquire))
		return false;
	*slot = q->v[t & q->mask];
	atomic_store_explicit(&q->tail, t + 1, memory_order_release);
	return true;
}

static uint32_t kb_q_len(const struct kb_q *q)
{
	return atomic_load_explicit(&q->head, memory_order_relaxed) -
	       atomic_load_explicit(&q->tail, memory_order_relaxed);
}

/* ---- rings -------------------------------------------------------------------- */

static uint8_t *kb_txbuf(const struct tg_kback *k, const struct kb_conn *s)
{
	(void)k;
	return s->buf;
}

static uint8_t *kb_rxbuf(const struct tg_kback *k, const struct kb_conn *s)
{
	return s->buf + k->rs;
}

/* The bytes in @p r as its consumer sees them. */
static uint32_t kb_used(const struct kb_ring *r)
{
	return atomic_load_explicit(&r->head, memory_order_acquire) -
	       atomic_load_explicit(&r->tail, memory_order_relaxed);
}

/* The room in @p r as its producer sees it. */
static uint32_t kb_room(const struct tg_kback *k, const struct kb_ring *r)
{
	return k->rs - (atomic_load_explicit(&r->head, memory_order_relaxed) -
			atomic_load_explicit(&r->tail, memory_order_acquire));
}

/* ---- the wake-up handshake ----------------------------------------------------- */

/*
 * The waking half of the handshake (the file comment's "Lost wake-ups"),
 * run after publishing bytes, room or an op: a full fence, then the
 * other side's flag read (relaxed: a cheap look, no read-modify-write
 * while nobody waits) and, when raised, taken down by an exchange
 * (seq_cst), so that one raise brings one wake-up. True: the other side
 * asked, wake it.
 */
static inline bool kb_take_flag(_Atomic bool *flag)
{
	atomic_thread_fence(memory_order_seq_cst);
	return atomic_load_explicit(flag, memory_order_relaxed) &&
	       atomic_exchange(flag, false);
}

/*
 * The helper's waiting half on one ring, for kb_tx (@p r = tx, nothing
 * to send: @p room false, @p flag h_wait_tx) and kb_rx (@p r = rx, no
 * room to receive into: @p room true, @p flag h_wait_rx). Returns true
 * when the ring still has nothing for the helper: @p flag stays raised
 * and the worker's next tg_kback_send / tg_kback_consume asks for the
 * helper; false when the worker moved the ring meanwhile: @p flag
 * lowered, the caller goes on.
 *
 * The order, as both paths had it: the flag's store (seq_cst), a full
 * fence, then the ring looked at again (kb_used / kb_room: acquire of
 * the worker's index, so that the bytes or the room it published are
 * ours to use). The worker stores its index (release), then
 * kb_take_flag: fence, flag. Of the two fences one comes first in their
 * single total order: if ours, the worker reads our flag; if its, we
 * read its index. Either the worker asks for us or we see what it
 * published: no news is lost (Dekker's). Lowering the flag after all
 * (seq_cst store) may race the worker's exchange: at worst one op that
 * finds nothing to do.
 */
static inline bool kb_h_wait(struct tg_kback *k, _Atomic bool *flag,
			     const struct kb_ring *r, bool room)
{
	atomic_store(flag, true);
	atomic_thread_fence(memory_order_seq_cst);
	if ((room ? kb_room(k, r) : kb_used(r)) == 0)
		return true;
	atomic_store(flag, false);
	return false;
}

/* ---- the worker's side ------------------------------------------------------- */

static void kb_wake_helper(struct tg_kback *k)
{
	if (kb_take_flag(&k->h_sleep))
		(void)!eventfd_write(k->efd, 1);
}

static void kb_op(struct tg_kback *k, uint32_t id, uint32_t op)
{
	if (atomic_fetch_or(&k->s[id].ops, op) == 0) {
		kb_q_push(&k->q_ops, id);
		kb_wake_helper(k);
	}
}

static void kb_rdy(struct tg_kback *k, uint32_t id)
{
	struct kb_conn *s = &k->s[id];

	if (!s->lc_in_rdy) {
		s->lc_in_rdy = true;
		k->rdy[k->n_rdy++] = id;
	}
}

tg_result tg_kback_connect(struct tg_kback *k, const struct sockaddr_storage *sa,
			   uint64_t udata, uint32_t *id)
{
	struct kb_conn *s;
	uint32_t i;

	TG_ENSURE(sa->ss_family == AF_INET || sa->ss_family == AF_INET6, TG_E_INVAL);
	TG_ENSURE(k->n_free > 0, TG_E_NOMEM);
	i = k->free_l[k->n_free - 1];
	s = &k->s[i];
	/* a slot's rings on its first use, then kept: as many as
	 * connections were ever open at once, no allocation after */
	if (s->buf == NULL) {
		s->buf = malloc(2 * (size_t)k->rs);
		TG_ENSURE(s->buf != NULL, TG_E_NOMEM);
	}
	k->n_free--;
	s->sa = *sa;
	s->udata = udata;
	s->lc_used = true;
	/* lc_in_rdy stays: true while the slot's number is in the ready
	 * list, whoever it was for (the walk drops it or serves the new) */
	s->lc_closing = s->lc_want_r = s->lc_want_w = false;
	s->lc_told_conn = s->lc_told_err = false;
	atomic_store(&s->st, KB_ST_CONNECTING);
	atomic_store(&s->err, 0);
	atomic_store(&s->rx_eof, false);
	atomic_store(&s->h_wait_tx, false);
	atomic_store(&s->h_wait_rx, false);
	atomic_store(&s->lc_wait_rx, false);
	atomic_store(&s->lc_wait_tx, false);
	/* the rings are empty (a freed slot's were emptied by the helper
	 * before KB_HEV_FREED: its stores are visible after our acquire) */
	atomic_store(&s->tx.head, 0);
	atomic_store(&s->tx.tail, 0);
	atomic_store(&s->rx.head, 0);
	atomic_store(&s->rx.tail, 0);
	atomic_fetch_add_explicit(&k->in_use, 1, memory_order_relaxed);
	/* the queue's release publishes all of the above to the helper */
	kb_op(k, i, KB_OP_CONNECT);
	*id = i;
	return TG_OK;
}

int tg_kback_connect_state(struct tg_kback *k, uint32_t id)
{
	return atomic_load_explicit(&k->s[id].st, memory_order_acquire);
}

uint32_t tg_kback_pending(struct tg_kback *k, uint32_t id)
{
	return kb_used(&k->s[id].rx);
}

uint32_t tg_kback_peek(struct tg_kback *k, uint32_t id, uint8_t **p)
{
	struct kb_conn *s = &k->s[id];
	uint32_t n = kb_used(&s->rx);
	uint32_t t = atomic_load_explicit(&s->rx.tail, memory_order_relaxed) & k->rmask;

	if (n > k->rs - t)
		n = k->rs - t; /* up to the ring's end */
	*p = kb_rxbuf(k, s) + t;
	return n;
}

void tg_kback_consume(struct tg_kback *k, uint32_t id, uint32_t n)
{
	struct kb_conn *s = &k->s[id];

	if (n == 0)
		return;
	atomic_store_explicit(&s->rx.tail,
			      atomic_load_explicit(&s->rx.tail, memory_order_relaxed) + n,
			      memory_order_release);
	k->rx_out += n;
	/* a helper stalled on a full ring reads again */
	if (kb_take_flag(&s->h_wait_rx))
		kb_op(k, id, KB_OP_RXROOM);
}

ssize_t tg_kback_recv(struct tg_kback *k, uint32_t id, const struct iovec *iov,
		      int iovcnt)
{
	struct kb_conn *s = &k->s[id];
	size_t got = 0;

	for (int i = 0; i < iovcnt; i++) {
		size_t off = 0;

		while (off < iov[i].iov_len) {
			uint8_t *p;
			uint32_t n = tg_kback_peek(k, id, &p);

			if (n == 0)
				break;
			if (n > iov[i].iov_len - off)
				n = (uint32_t)(iov[i].iov_len - off);
			memcpy((uint8_t *)iov[i].iov_base + off, p, n);
			tg_kback_consume(k, id, n);
			off += n;
		}
		got += off;
		if (off < iov[i].iov_len)
			break;
	}
	if (got > 0)
		return (ssize_t)got;
	/* the end or the error after the last byte (rx_eof and err are
	 * stored before the head that makes the last bytes visible) */
	if (kb_used(&s->rx) > 0)
		return -EAGAIN; /* an iovec of no room */
	if (atomic_load_explicit(&s->err, memory_order_acquire) != 0)
		return -atomic_load_explicit(&s->err, memory_order_relaxed);
	if (atomic_load_explicit(&s->rx_eof, memory_order_acquire))
		return 0;
	return -EAGAIN;
}

ssize_t tg_kback_send(struct tg_kback *k, uint32_t id, const uint8_t *p, size_t len)
{
	struct kb_conn *s = &k->s[id];
	uint32_t room, h, off, first;

	if (atomic_load_explicit(&s->err, memory_order_acquire) != 0)
		return -1;
	room = kb_room(k, &s->tx);
	if (len > room)
		len = room;
	if (len == 0)
		return 0;
	h = atomic_load_explicit(&s->tx.head, memory_order_relaxed);
	off = h & k->rmask;
	first = k->rs - off < len ? k->rs - off : (uint32_t)len;
	memcpy(kb_txbuf(k, s) + off, p, first);
	memcpy(kb_txbuf(k, s), p + first, len - first);
	atomic_store_explicit(&s->tx.head, h + (uint32_t)len, memory_order_release);
	k->tx_in += len;
	/* a helper that found the ring empty wants to know */
	if (kb_take_flag(&s->h_wait_tx))
		kb_op(k, id, KB_OP_TX);
	return (ssize_t)len;
}

void tg_kback_want(struct tg_kback *k, uint32_t id, bool readable, bool writable)
{
	struct kb_conn *s = &k->s[id];

	s->lc_want_r = readable;
	s->lc_want_w = writable;
	if (readable || writable)
		kb_rdy(k, id);
}

void tg_kback_shutdown(struct tg_kback *k, uint32_t id)
{
	kb_op(k, id, KB_OP_SHUT);
}

static void kb_give_up(struct tg_kback *k, uint32_t id, uint32_t op)
{
	struct kb_conn *s = &k->s[id];

	if (!s->lc_used || s->lc_closing)
		return;
	s->lc_closing = true;
	/* the last op of the slot: from here the helper owns it until
	 * KB_HEV_FREED */
	kb_op(k, id, op);
}

void tg_kback_close(struct tg_kback *k, uint32_t id)
{
	kb_give_up(k, id, KB_OP_CLOSE);
}

void tg_kback_abort(struct tg_kback *k, uint32_t id)
{
	kb_give_up(k, id, KB_OP_ABORT);
}

/* What @p s has to report now (0: nothing: it leaves the ready list,
 * with its wait flags raised so that the helper's next news brings it
 * back). */
static uint32_t kb_level(struct tg_kback *k, struct kb_conn *s, bool *keep)
{
	uint32_t ev = 0;

	*keep = false;
	if (s->lc_closing || atomic_load_explicit(&s->st, memory_order_acquire) != KB_ST_UP)
		return 0;
	/* a reset is reported once, wanted or not, as our TCP's: the bytes
	 * before it are still read (tg_kback_recv gives them first) */
	if (atomic_load_explicit(&s->err, memory_order_acquire) != 0 && !s->lc_told_err) {
		s->lc_told_err = true;
		ev |= TG_KB_ERROR;
	}
	if (s->lc_want_r) {
		atomic_store_explicit(&s->lc_wait_rx, true, memory_order_relaxed);
		atomic_thread_fence(memory_order_seq_cst);
		if (kb_used(&s->rx) > 0 ||
		    atomic_load_explicit(&s->rx_eof, memory_order_acquire) ||
		    atomic_load_explicit(&s->err, memory_order_acquire) != 0)
			ev |= TG_KB_READABLE;
	}
	if (s->lc_want_w) {
		atomic_store_explicit(&s->lc_wait_tx, true, memory_order_relaxed);
		atomic_thread_fence(memory_order_seq_cst);
		if (kb_room(k, &s->tx) > 0 &&
		    atomic_load_explicit(&s->err, memory_order_relaxed) == 0)
			ev |= TG_KB_WRITABLE;
	}
	/* level-triggered: while it reports, it stays */
	*keep = (ev & (TG_KB_READABLE | TG_KB_WRITABLE)) != 0;
	return ev;
}

unsigned tg_kback_events(struct tg_kback *k, struct tg_kback_event *ev, unsigned n)
{
	unsigned out = 0, keep_n = 0;
	uint32_t id;

	/* the helper's news: connects ended, slots freed, rings moved */
	while (out < n && kb_q_pop(&k->q_ev, &id)) {
		struct kb_conn *s = &k->s[id];
		uint32_t e = atomic_exchange(&s->evs, 0);

		if (e & KB_HEV_FREED) {
			/* the helper let go of the slot: ours again */
			s->lc_used = false;
			k->free_l[k->n_free++] = id;
			atomic_fetch_sub_explicit(&k->in_use, 1, memory_order_relaxed);
			continue;
		}
		if (s->lc_closing)
			continue;
		if ((e & KB_HEV_CONN) && !s->lc_told_conn) {
			int st = atomic_load_explicit(&s->st, memory_order_acquire);

			s->lc_told_conn = true;
			ev[out++] = (struct tg_kback_event){
				.udata = s->udata, .id = id,
				.ev = st == KB_ST_UP ? TG_KB_CONNECTED : TG_KB_FAILED };
		}
		kb_rdy(k, id);
	}
	/* then every connection that may have something to report */
	for (unsigned i = 0; i < k->n_rdy; i++) {
		struct kb_conn *s;
		uint32_t e = 0;
		bool keep = true;

		id = k->rdy[i];
		s = &k->s[id];
		/* a connect under way reports itself (KB_HEV_CONN) */
		if (s->lc_closing || !s->lc_used || !s->lc_told_conn)
			keep = false;
		else if (out < n)
			e = kb_level(k, s, &keep);
		if (e != 0)
			ev[out++] = (struct tg_kback_event){ .udata = s->udata,
							     .id = id, .ev = e };
		if (keep)
			k->rdy[keep_n++] = id;
		else
			s->lc_in_rdy = false;
	}
	k->n_rdy = keep_n;
	return out;
}

bool tg_kback_sleep(struct tg_kback *k)
{
	atomic_store(&k->lc_sleep, true);
	atomic_thread_fence(memory_order_seq_cst);
	if (kb_q_len(&k->q_ev) != 0 || k->n_rdy != 0) {
		atomic_store(&k->lc_sleep, false);
		return false;
	}
	return true;
}

void tg_kback_awake(struct tg_kback *k)
{
	atomic_store_explicit(&k->lc_sleep, false, memory_order_relaxed);
}

bool tg_kback_busy(const struct tg_kback *k)
{
	return k->n_rdy != 0 || kb_q_len(&k->q_ev) != 0;
}

void tg_kback_stats(const struct tg_kback *k, struct tg_kback_stats *st)
{
	uint64_t tx_out = atomic_load_explicit(&k->tx_out, memory_order_relaxed);
	uint64_t rx_in = atomic_load_explicit(&k->rx_in, memory_order_relaxed) -
			 atomic_load_explicit(&k->rx_dropped, memory_order_relaxed);

	st->connects = atomic_load_explicit(&k->connects, memory_order_relaxed);
	st->connect_failed = atomic_load_explicit(&k->connect_failed, memory_order_relaxed);
	st->conns = atomic_load_explicit(&k->in_use, memory_order_relaxed);
	/* read racing the helper: a gauge, clamped at 0 */
	st->tx_bytes = k->tx_in > tx_out ? k->tx_in - tx_out : 0;
	st->rx_bytes = rx_in > k->rx_out ? rx_in - k->rx_out : 0;
	st->ring_bytes = k->rs;
	st->q_ops = kb_q_len(&k->q_ops);
	st->q_events = kb_q_len(&k->q_ev);
}

/* ---- the helper's side ------------------------------------------------------- */

static uint64_t kb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Tell the worker about @p id; true when it was queued now. */
static bool kb_tell(struct tg_kback *k, uint32_t id, uint32_t hev)
{
	if (atomic_fetch_or(&k->s[id].evs, hev) == 0) {
		kb_q_push(&k->q_ev, id);
		return true;
	}
	return false;
}

/* The worker is told of news of the rings only when it asked (its wait
 * flag, raised when it last found nothing). */
static bool kb_news(struct tg_kback *k, uint32_t id, _Atomic bool *flag)
{
	if (kb_take_flag(flag))
		return kb_tell(k, id, KB_HEV_NEWS);
	return false;
}

static void kb_fail(struct tg_kback *k, uint32_t id, int err)
{
	struct kb_conn *s = &k->s[id];

	if (atomic_load_explicit(&s->err, memory_order_relaxed) == 0)
		atomic_store_explicit(&s->err, err ? err : EIO, memory_order_release);
	/* a reset must reach the worker whatever it waits for */
	kb_tell(k, id, KB_HEV_NEWS);
}

/* The socket closed, the slot handed back: after this, nothing of the
 * slot is touched by the helper (the worker may reuse it at once). */
static void kb_free_slot(struct tg_kback *k, uint32_t id, bool reset)
{
	struct kb_conn *s = &k->s[id];

	if (s->fd >= 0) {
		if (reset) {
			struct linger l = { .l_onoff = 1, .l_linger = 0 };

			(void)setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		}
		/* close removes it from the epoll set (we hold no dup) */
		close(s->fd);
		s->fd = -1;
	}
	/* bytes never sent, and never read, count out of the fill levels
	 * (the worker touches neither ring after its close) */
	atomic_fetch_add_explicit(&k->tx_out, kb_used(&s->tx), memory_order_relaxed);
	atomic_fetch_add_explicit(&k->rx_dropped,
				  atomic_load_explicit(&s->rx.head, memory_order_relaxed) -
				  atomic_load_explicit(&s->rx.tail, memory_order_acquire),
				  memory_order_relaxed);
	if (s->h_closing)
		k->h_lingering--;
	s->h_closing = false;
	kb_tell(k, id, KB_HEV_FREED);
}

static void kb_connect(struct tg_kback *k, uint32_t id)
{
	struct kb_conn *s = &k->s[id];
	socklen_t len = s->sa.ss_family == AF_INET ? sizeof(struct sockaddr_in)
						   : sizeof(struct sockaddr_in6);
	struct epoll_event ee;
	int one = 1;

	s->h_can_r = s->h_can_w = s->h_shut = s->h_shut_done = false;
	s->h_closing = s->h_eof = false;
	s->fd = socket(s->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		goto fail;
	(void)setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	ee.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
	ee.data.u64 = id;
	if (epoll_ctl(k->ep, EPOLL_CTL_ADD, s->fd, &ee) != 0)
		goto fail;
	if (connect(s->fd, (struct sockaddr *)&s->sa, len) == 0 || errno == EINPROGRESS)
		return; /* EPOLLOUT says when */
fail:
	atomic_store_explicit(&s->err, errno ? errno : EIO, memory_order_relaxed);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	atomic_fetch_add_explicit(&k->connect_failed, 1, memory_order_relaxed);
	atomic_store_explicit(&s->st, KB_ST_FAILED, memory_order_release);
	kb_tell(k, id, KB_HEV_CONN);
}

/* Bytes of the send ring into the socket, while it takes them. */
static void kb_tx(struct tg_kback *k, uint32_t id)
{
	struct kb_conn *s = &k->s[id];
	bool freed = false;

	while (s->fd >= 0 && s->h_can_w &&
	       atomic_load_explicit(&s->err, memory_order_relaxed) == 0) {
		uint32_t n = kb_used(&s->tx), t, first;
		ssize_t w;

		if (n == 0) {
			/* empty: ask to be told, then look again */
			if (kb_h_wait(k, &s->h_wait_tx, &s->tx, false))
				break;
			continue;
		}
		t = atomic_load_explicit(&s->tx.tail, memory_order_relaxed);
		first = k->rs - (t & k->rmask);
		if (first > n)
			first = n;
		w = send(s->fd, kb_txbuf(k, s) + (t & k->rmask), first,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				s->h_can_w = false; /* EPOLLOUT brings it back */
			else if (errno != EINTR)
				kb_fail(k, id, errno);
			break;
		}
		atomic_store_explicit(&s->tx.tail, t + (uint32_t)w, memory_order_release);
		atomic_fetch_add_explicit(&k->tx_out, (uint64_t)w, memory_order_relaxed);
		freed = true;
	}
	if (freed)
		kb_news(k, id, &s->lc_wait_tx);
	if (s->fd >= 0 && kb_used(&s->tx) == 0 && s->h_shut && !s->h_shut_done) {
		s->h_shut_done = true;
		(void)shutdown(s->fd, SHUT_WR);
	}
}

/* Bytes of the socket into the receive ring, while there is room. */
static void kb_rx(struct tg_kback *k, uint32_t id)
{
	struct kb_conn *s = &k->s[id];
	bool got = false;

	while (s->fd >= 0 && s->h_can_r && !s->h_eof &&
	       atomic_load_explicit(&s->err, memory_order_relaxed) == 0) {
		uint32_t room = kb_room(k, &s->rx), h, first;
		ssize_t r;

		if (room == 0) {
			/* full: ask to be told, then look again */
			if (kb_h_wait(k, &s->h_wait_rx, &s->rx, true))
				break;
			continue;
		}
		h = atomic_load_explicit(&s->rx.head, memory_order_relaxed);
		first = k->rs - (h & k->rmask);
		if (first > room)
			first = room;
		r = recv(s->fd, kb_rxbuf(k, s) + (h & k->rmask), first, MSG_DONTWAIT);
		if (r > 0) {
			atomic_store_explicit(&s->rx.head, h + (uint32_t)r,
					      memory_order_release);
			atomic_fetch_add_explicit(&k->rx_in, (uint64_t)r, memory_order_relaxed);
			got = true;
			continue;
		}
		if (r == 0) {
			s->h_eof = true;
			atomic_store_explicit(&s->rx_eof, true, memory_order_release);
			kb_tell(k, id, KB_HEV_NEWS);
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			s->h_can_r = false; /* EPOLLIN brings it back */
		} else if (errno != EINTR) {
			kb_fail(k, id, errno);
		}
		break;
	}
	if (got)
		kb_news(k, id, &s->lc_wait_rx);
}

/* The ops the worker asked of @p id, in their order of sense: connect,
 * bytes, shutdown, then the end. */
static void kb_ops(struct tg_kback *k, uint32_t id)
{
	struct kb_conn *s = &k->s[id];
	uint32_t op = atomic_exchange(&s->ops, 0);

	if (op & KB_OP_CONNECT)
		kb_connect(k, id);
	if (op & KB_OP_ABORT) {
		kb_free_slot(k, id, true);
		return;
	}
	if (op & KB_OP_SHUT)
		s->h_shut = true;
	if (atomic_load_explicit(&s->st, memory_order_relaxed) == KB_ST_UP) {
		if (op & (KB_OP_TX | KB_OP_SHUT | KB_OP_CLOSE))
			kb_tx(k, id);
		if (op & KB_OP_RXROOM)
			kb_rx(k, id);
	}
	if (op & KB_OP_CLOSE) {
		/* the queued bytes and the FIN first, within the linger */
		s->h_shut = true;
		if (s->fd >= 0 && atomic_load(&s->st) == KB_ST_UP &&
		    atomic_load(&s->err) == 0 && kb_used(&s->tx) > 0) {
			s->h_closing = true;
			k->h_lingering++;
			s->h_deadline = kb_now_ms() + KB_LINGER_MS;
			return;
		}
		kb_free_slot(k, id, false);
	}
}

static void kb_sock_event(struct tg_kback *k, uint32_t id, uint32_t events)
{
	struct kb_conn *s = &k->s[id];

	if (s->fd < 0)
		return;
	if (atomic_load_explicit(&s->st, memory_order_relaxed) == KB_ST_CONNECTING) {
		int err = 0;
		socklen_t el = sizeof(err);

		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
			err = errno;
		if (err == 0 && (events & (EPOLLERR | EPOLLHUP)))
			err = ECONNREFUSED;
		if (err != 0) {
			atomic_store_explicit(&s->err, err, memory_order_relaxed);
			/* the socket goes now; the slot when the worker
			 * closes it */
			close(s->fd);
			s->fd = -1;
			atomic_fetch_add_explicit(&k->connect_failed, 1, memory_order_relaxed);
			atomic_store_explicit(&s->st, KB_ST_FAILED, memory_order_release);
			kb_tell(k, id, KB_HEV_CONN);
			return;
		}
		atomic_fetch_add_explicit(&k->connects, 1, memory_order_relaxed);
		atomic_store_explicit(&s->st, KB_ST_UP, memory_order_release);
		kb_tell(k, id, KB_HEV_CONN);
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		s->h_can_r = true;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		s->h_can_w = true;
	kb_tx(k, id);
	kb_rx(k, id);
	if (s->h_closing && (kb_used(&s->tx) == 0 ||
			     atomic_load_explicit(&s->err, memory_order_relaxed) != 0))
		kb_free_slot(k, id, false);
}

/* Closes waiting for their bytes to leave: done ones and late ones go. */
static int kb_lingers(struct tg_kback *k)
{
	uint64_t now, next = UINT64_MAX;

	if (k->h_lingering == 0)
		return -1;
	now = kb_now_ms();
	for (unsigned i = 0; i < k->c.max_conns && k->h_lingering > 0; i++) {
		struct kb_conn *s = &k->s[i];

		if (!s->h_closing)
			continue;
		if (now >= s->h_deadline || kb_used(&s->tx) == 0 ||
		    atomic_load_explicit(&s->err, memory_order_relaxed) != 0) {
			kb_free_slot(k, i, now >= s->h_deadline);
			continue;
		}
		if (s->h_deadline < next)
			next = s->h_deadline;
	}
	return next == UINT64_MAX ? -1 : (int)(next - now) + 1;
}

static void *kb_main(void *arg)
{
	struct tg_kback *k = arg;
	struct epoll_event ev[KB_EPOLL_EVENTS];
	bool lingering = false;
	char name[16];

	snprintf(name, sizeof(name), "tg-kback-%u", k->c.id);
	pthread_setname_np(pthread_self(), name);
	while (!atomic_load(&k->stop)) {
		uint32_t id;
		bool busy = false;
		int n, timeout;

		while (kb_q_pop(&k->q_ops, &id)) {
			kb_ops(k, id);
			busy = true;
		}
		timeout = 0;
		if (!busy) {
			/* about to sleep: the worker writes the eventfd from now
			 * on; a last look at the queue closes the race */
			atomic_store(&k->h_sleep, true);
			atomic_thread_fence(memory_order_seq_cst);
			if (kb_q_len(&k->q_ops) != 0)
				atomic_store(&k->h_sleep, false);
			else
				timeout = lingering ? 50 : -1;
		}
		n = epoll_wait(k->ep, ev, KB_EPOLL_EVENTS, timeout);
		atomic_store(&k->h_sleep, false);
		for (int i = 0; i < n; i++) {
			if (ev[i].data.u64 == KB_WAKE) {
				eventfd_t v;

				(void)!eventfd_read(k->efd, &v);
				continue;
			}
			kb_sock_event(k, (uint32_t)ev[i].data.u64, ev[i].events);
		}
		lingering = kb_lingers(k) >= 0;
		/* the worker waits: wake it for what we queued */
		atomic_thread_fence(memory_order_seq_cst);
		if (k->c.wake_fd >= 0 && kb_q_len(&k->q_ev) != 0 &&
		    atomic_load_explicit(&k->lc_sleep, memory_order_relaxed) &&
		    atomic_exchange(&k->lc_sleep, false))
			(void)!eventfd_write(k->c.wake_fd, 1);
	}
	return NULL;
}

/* ---- life ------------------------------------------------------------------------ */

tg_result tg_kback_new(const struct tg_kback_conf *c, struct tg_kback **out)
{
	struct tg_kback *k;
	struct epoll_event ee = { .events = EPOLLIN, .data.u64 = KB_WAKE };
	uint32_t rs = c->ring_size ? c->ring_size : TG_KB_RING_DEFAULT;

	TG_ENSURE(c->max_conns > 0 && rs >= 4096 && (rs & (rs - 1)) == 0, TG_E_INVAL);
	k = calloc(1, sizeof(*k));
	TG_ENSURE(k != NULL, TG_E_NOMEM);
	k->c = *c;
	k->rs = rs;
	k->rmask = rs - 1;
	k->ep = k->efd = -1;
	k->s = calloc(c->max_conns, sizeof(*k->s));
	k->free_l = calloc(c->max_conns, sizeof(*k->free_l));
	k->rdy = calloc(c->max_conns, sizeof(*k->rdy));
	if (k->s == NULL || k->free_l == NULL || k->rdy == NULL ||
	    tg_failed(kb_q_init(&k->q_ops, c->max_conns)) ||
	    tg_failed(kb_q_init(&k->q_ev, c->max_conns))) {
		tg_kback_free(k);
		return tg_error(TG_E_NOMEM);
	}
	/* slot 0 first out of the free list */
	for (unsigned i = 0; i < c->max_conns; i++) {
		k->s[i].fd = -1;
		k->free_l[i] = c->max_conns - 1 - i;
	}
	k->n_free = c->max_conns;
	k->ep = epoll_create1(EPOLL_CLOEXEC);
	k->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (k->ep < 0 || k->efd < 0 || epoll_ctl(k->ep, EPOLL_CTL_ADD, k->efd, &ee) != 0 ||
	    pthread_create(&k->th, NULL, kb_main, k) != 0) {
		TG_ERR("kernel backends %u: cannot start the helper: %s", c->id,
		       strerror(errno));
		tg_kback_free(k);
		return tg_error(TG_E_IO);
	}
	k->started = true;
	/* off the worker's lcore where the application says: a helper on
	 * a poll-mode lcore's CPU would get what the scheduler leaves */
	if (c->cpus != NULL && CPU_COUNT(c->cpus) > 0 &&
	    pthread_setaffinity_np(k->th, sizeof(*c->cpus), c->cpus) != 0)
		TG_WARN("kernel backends %u: cannot place the helper on its CPUs",
			c->id);
	*out = k;
	return TG_OK;
}

void tg_kback_free(struct tg_kback *k)
{
	if (k == NULL)
		return;
	if (k->started) {
		atomic_store(&k->stop, true);
		(void)!eventfd_write(k->efd, 1);
		pthread_join(k->th, NULL);
	}
	/* the helper is gone: every socket still open is closed here, once */
	for (unsigned i = 0; k->s != NULL && i < k->c.max_conns; i++) {
		if (k->s[i].fd >= 0)
			close(k->s[i].fd);
		free(k->s[i].buf);
	}
	if (k->ep >= 0)
		close(k->ep);
	if (k->efd >= 0)
		close(k->efd);
	free(k->q_ops.v);
	free(k->q_ev.v);
	free(k->s);
	free(k->free_l);
	free(k->rdy);
	free(k);
}
