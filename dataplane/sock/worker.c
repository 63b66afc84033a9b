/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file worker.c
 * A dataplane worker on kernel sockets: epoll over its listeners, client
 * and backend sockets; handshakes delegated to the control thread; the
 * records of every flow that has work in one poll iteration sealed and
 * opened in shared bursts (cross-flow batching).
 */
#include "tg_worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <rte_ring.h>

#include "tg_alert.h"
#include "tg_ctl.h"
#include "tg_log.h"
#include "tg_proxy.h"
#include "tg_suite.h"
#include "tg_tls.h"
#include "tg_wipe.h"

#define TG_REC_MAX_CT (TG_REC_MAX_PLAIN + 2048) /* RFC 5246 §6.2.3 */
#define TG_CIN_CAP (2 * (TG_REC_HDR_LEN + TG_REC_MAX_CT))
/* cout while in the handshake: the server's flights (it grows to its
 * full size, max_buffer, at the key install, or for a longer flight) */
#define TG_HS_COUT_CAP (64 * 1024)
#define TG_REC_ROOM 64 /* header, explicit nonce, tag, slack */
#define TG_EV_CLIENT 0u
#define TG_EV_BACKEND 1u
#define TG_EV_LISTEN 2u
#define TG_EV_WAKE 3u

/* epoll data of a flow's socket: its generation (bits 32..63), its slot
 * and the kind. A slot freed and reused within one epoll_wait batch gets
 * a new generation, so the old socket's events left in the batch are
 * told apart and dropped. */
#define TG_EV_DATA(f, kind) \
	(((uint64_t)(f)->gen << 32) | ((uint64_t)(f)->slot << 2) | (kind))
#define TG_MAX_EVENTS 256

enum tg_flow_state {
	FL_FREE = 0,
	FL_HS,       /* handshake with the control thread */
	FL_CONNECT,  /* keys installed, backend connecting */
	FL_OPEN,     /* proxying records */
	FL_CLOSING,  /* flush cout, then close */
};

/* A byte buffer: data in [off, off + len) of [0, cap). */
struct tg_buf {
	uint8_t *p;
	uint32_t off, len, cap;
	uint32_t hw; /* high-water mark: bytes ever written, wiped at free */
};

struct tg_flow {
	uint32_t slot, gen;
	uint8_t state;
	int cfd, bfd;
	bool c_eof;          /* client sent FIN or close_notify */
	bool b_eof;          /* backend sent FIN */
	bool b_shut;         /* we shut the backend's write side */
	bool b_reset;        /* the backend's side ended in an error (reset) */
	bool in_rx, in_tx;   /* queued for the record passes */
	bool touched;        /* queued for progress this iteration */
	uint32_t act_idx;    /* position in the worker's in-use list */
	bool hs_done;
	uint32_t ev_c, ev_b; /* epoll masks set now */
	struct tg_accel_sess *rx, *tx;
	struct tg_buf cin, cout, bout;
	uint64_t t_start, t_active;
	uint64_t t_sent;          /* last records sealed for the client */
	uint64_t t_closing;       /* closing: last progress flushing cout */
	uint64_t closing_out;     /* out_bytes then */
	uint64_t sent_since_idle;
	uint64_t tried;
	unsigned pool;
	int be;
	struct tg_backend *bep;   /* in bes */
	struct tg_backends *bes;  /* the list connected from (a reference:
				     a reload may replace the worker's) */
	struct tg_hs_info info;
	struct sockaddr_storage peer, local;
	uint64_t in_bytes, out_bytes;
	/* Client records that raced the key install: sent to the control
	 * plane as handshake bytes, they come back as HS_LATE and go into
	 * cin before anything read later (reading waits for them). */
	uint32_t hs_msgs;          /* HS_DATA messages sent */
	uint32_t late_expected;    /* HS_LATE messages still to come */
	struct tg_ctl_msg *late, *late_tail; /* come, not yet in cin */
	uint32_t late_off;         /* bytes of late already in cin */
};

struct tg_wk {
	const struct tg_worker_conf *wc;
	const struct tg_config *cfg;
	struct tg_wk_stats *st;
	int ep;
	int lfd[TG_CFG_MAX_LISTEN];
	unsigned n_lfd;
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
	uint64_t drain_deadline;
	uint64_t next_timer;
};

static uint64_t tg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- buffers -------------------------------------------------------------- */

static bool tg_buf_alloc(struct tg_buf *b, uint32_t cap)
{
	b->p = malloc(cap);
	b->off = b->len = b->hw = 0;
	b->cap = b->p != NULL ? cap : 0;
	return b->p != NULL;
}

/* Grow to @p cap bytes, keeping the bytes not yet consumed (handshake
 * bytes only: nothing secret is left in the old block). Not realloc:
 * that copies the whole old block, used or not. */
static bool tg_buf_grow(struct tg_buf *b, uint32_t cap)
{
	uint8_t *p;

	if (cap <= b->cap)
		return true;
	p = malloc(cap);
	if (p == NULL)
		return false;
	if (b->len)
		memcpy(p, b->p + b->off, b->len);
	free(b->p);
	b->p = p;
	b->cap = cap;
	b->off = 0;
	b->hw = b->len;
	return true;
}

static void tg_buf_free(struct tg_buf *b)
{
	if (b->p != NULL)
		tg_wipe(b->p, b->hw); /* plaintext must not linger */
	free(b->p);
	b->p = NULL;
}

/* Room at the end, compacting first when that frees enough. */
static uint32_t tg_buf_room(struct tg_buf *b, uint32_t want)
{
	if (b->cap - b->off - b->len < want && b->off > 0) {
		memmove(b->p, b->p + b->off, b->len);
		b->off = 0;
	}
	return b->cap - b->off - b->len;
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

/* ---- flows ------------------------------------------------------------------ */

static void tg_ep_set(struct tg_wk *w, struct tg_flow *f, bool backend,
		      uint32_t mask)
{
	int fd = backend ? f->bfd : f->cfd;
	uint32_t *cur = backend ? &f->ev_b : &f->ev_c;
	/* Paused (no interest): epoll still reports an error or hang-up,
	 * level-triggered, on every wait, and a flow that cannot read
	 * would spin on it (a reset peer, a backend that closed with bytes
	 * left unread). Edge-triggered, it wakes us once per change. */
	struct epoll_event ev = {
		.events = mask != 0 ? mask : EPOLLET,
		.data.u64 = TG_EV_DATA(f, backend ? TG_EV_BACKEND : TG_EV_CLIENT),
	};

	if (fd < 0 || *cur == mask)
		return;
	if (epoll_ctl(w->ep, EPOLL_CTL_MOD, fd, &ev) == 0)
		*cur = mask;
}

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

static void tg_log_access(struct tg_wk *w, struct tg_flow *f, const char *why)
{
	char sni[4 * TG_HS_SNI_LEN + 1], alpn[4 * TG_HS_ALPN_LEN + 1];
	char peer[INET6_ADDRSTRLEN + 8] = "?";
	const struct tg_cs_info *cs;
	FILE *out = w->wc->access_log;

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
	cs = f->hs_done ? tg_cs_by_id(f->info.suite) : NULL;
	fprintf(out,
		"worker=%u client=%s tls=%s suite=%s sni=%s alpn=%s resumed=%s backend=%s in=%llu out=%llu ms=%llu end=%s alert=%s peer_alert=%s\n",
		w->wc->id, peer, !f->hs_done ? "-"
		: f->info.version == TG_TLS12 ? "TLSv1.2" : "?",
		cs ? cs->ossl : "-",
		tg_log_field(f->info.sni, sni, sizeof(sni)),
		tg_log_field(f->info.alpn, alpn, sizeof(alpn)),
		!f->hs_done ? "-"
		: f->info.resumed == TG_HS_RESUMED_TICKET ? "ticket"
		: f->info.resumed == TG_HS_RESUMED_ID ? "id" : "no",
		f->bep ? f->bep->addr.text : "-",
		(unsigned long long)f->in_bytes, (unsigned long long)f->out_bytes,
		(unsigned long long)(tg_now_ms() - f->t_start), why,
		f->info.alert_sent != TG_ALERT_NONE ? tg_alert_name(f->info.alert_sent) : "-",
		f->info.alert_recv != TG_ALERT_NONE ? tg_alert_name(f->info.alert_recv) : "-");
	fflush(out);
}

/* Queue a message about flow @p f for the control plane and wake it;
 * false when there is no memory or the ring is full (nothing queued). */
static bool tg_to_ctl(struct tg_wk *w, const struct tg_flow *f, uint8_t type,
		      const void *data, uint32_t len)
{
	struct tg_ctl_msg *m = tg_ctl_msg_new(type, (uint16_t)w->wc->id, f->slot,
					      f->gen, data, len);

	if (m == NULL || rte_ring_enqueue(w->wc->to_ctl, m) != 0) {
		tg_ctl_msg_free(m);
		return false;
	}
	tg_ctl_notify(w->wc->ctl);
	return true;
}

/* The size of cout once the handshake is done: max_buffer of records
 * and room for the records of one client read. */
static uint32_t tg_cout_cap(const struct tg_wk *w)
{
	return w->cfg->max_buffer + TG_CIN_CAP;
}

static void tg_flow_close(struct tg_wk *w, struct tg_flow *f, const char *why)
{
	if (f->state == FL_FREE)
		return;
	/* if it cannot be queued, the ctl finds the slot reused later */
	if (f->state == FL_HS)
		(void)tg_to_ctl(w, f, TG_CTL_HS_CLOSE, NULL, 0);
	/* every connection, failed handshakes included (why and alerts),
	 * but not one that sent nothing (port probes, health checks) */
	if (f->hs_done || f->in_bytes > 0)
		tg_log_access(w, f, why);
	if (f->cfd >= 0)
		close(f->cfd);
	if (f->bfd >= 0)
		close(f->bfd);
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
	tg_accel_sess_free(f->rx);
	tg_accel_sess_free(f->tx);
	tg_buf_free(&f->cin);
	tg_buf_free(&f->cout);
	tg_buf_free(&f->bout);
	f->rx = f->tx = NULL;
	f->cfd = f->bfd = -1;
	/* in_rx/in_tx/touched stay: the slot may still sit in a queue of
	 * this iteration, and the passes reset them */
	f->bep = NULL;
	f->state = FL_FREE;
	f->gen++;
	w->free_slots[w->n_free++] = f->slot;
	/* out of the in-use list: its last entry takes this one's place */
	w->act[f->act_idx] = w->act[w->active - 1];
	w->flows[w->act[f->act_idx]].act_idx = f->act_idx;
	w->active--;
	atomic_fetch_sub(w->wc->conns_total, 1);
	w->st->conns_active = w->active;
}

/* Queue a flow for progress (flush, state, epoll) this iteration. */
static void tg_touch(struct tg_wk *w, struct tg_flow *f)
{
	if (!f->touched) {
		f->touched = true;
		w->tq[w->n_tq++] = f->slot;
	}
}

/* Queue a flow for the record passes of this iteration. */
static void tg_want_rx(struct tg_wk *w, struct tg_flow *f)
{
	tg_touch(w, f);
	if (!f->in_rx) {
		f->in_rx = true;
		w->rxq[w->n_rxq++] = f->slot;
	}
}

static void tg_want_tx(struct tg_wk *w, struct tg_flow *f)
{
	tg_touch(w, f);
	if (!f->in_tx) {
		f->in_tx = true;
		w->txq[w->n_txq++] = f->slot;
	}
}

/* Seal one small record (an alert) into cout, outside the bursts. */
static void tg_flow_alert(struct tg_flow *f, uint8_t level, uint8_t desc)
{
	uint32_t hdr, room;
	struct tg_rec rec, *rp = &rec;

	if (f->tx == NULL)
		return;
	hdr = tg_accel_hdr_len(f->tx);
	room = tg_buf_room(&f->cout, hdr + 2 + TG_REC_ROOM);
	if (room < hdr + 2 + TG_REC_ROOM)
		return;
	rec = (struct tg_rec){ .sess = f->tx, .buf = tg_buf_tail(&f->cout),
			       .cap = room, .off = hdr, .len = 2,
			       .type = TG_CT_ALERT };
	rec.buf[hdr] = level;
	rec.buf[hdr + 1] = desc;
	if (tg_accel_seal_burst(&rp, 1) == 1) {
		tg_buf_commit(&f->cout, rec.rec_len);
		if (level == TG_ALERT_FATAL)
			f->info.alert_sent = desc; /* the access log's alert= */
	}
}

/* ---- backend connection ------------------------------------------------------ */

static void tg_flow_connect(struct tg_wk *w, struct tg_flow *f);

static void tg_flow_connected(struct tg_wk *w, struct tg_flow *f)
{
	f->state = FL_OPEN;
	if (w->cfg->proxy_protocol != TG_PROXY_NONE) {
		uint8_t h[TG_PROXY_MAX];
		size_t hl;

		if (tg_ok(tg_proxy_header(w->cfg->proxy_protocol == TG_PROXY_V1 ? 1 : 2,
					  &f->peer, &f->local, &f->info, h, sizeof(h),
					  &hl))) {
			/* the header goes before any client data */
			if (f->bout.off >= hl) {
				f->bout.off -= (uint32_t)hl;
			} else {
				memmove(f->bout.p + hl, f->bout.p + f->bout.off, f->bout.len);
				f->bout.off = 0;
			}
			memcpy(f->bout.p + f->bout.off, h, hl);
			tg_buf_commit(&f->bout, (uint32_t)hl);
		}
	}
	tg_want_rx(w, f);
	tg_want_tx(w, f);
}

static void tg_flow_connect(struct tg_wk *w, struct tg_flow *f)
{
	/* retries stay on the list of the first try (f->tried indexes it) */
	struct tg_backends *b = f->bes != NULL ? f->bes
					       : (f->bes = tg_backends_ref(w->be));

	/* connect_retries counts over the flow's life: a refusal or a
	 * timeout seen later (tg_backend_writable) comes back here */
	while ((unsigned)__builtin_popcountll(f->tried) <= w->cfg->connect_retries) {
		int i = tg_backends_pick(b, f->pool, f->tried);
		struct tg_backend *be;
		struct epoll_event ev;
		int fd, one = 1;

		if (i < 0)
			break;
		f->tried |= 1ull << i;
		be = &b->pools[f->pool].be[i];
		fd = socket(be->addr.sa.ss_family,
			    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			break;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, (const struct sockaddr *)&be->addr.sa, be->addr.salen) != 0 &&
		    errno != EINPROGRESS) {
			close(fd);
			atomic_fetch_add(&be->failures, 1);
			w->st->backend_connect_errors++;
			continue;
		}
		ev.events = EPOLLOUT;
		ev.data.u64 = TG_EV_DATA(f, TG_EV_BACKEND);
		if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
			close(fd);
			break;
		}
		if (f->bep != NULL)
			atomic_fetch_sub(&f->bep->conns, 1);
		f->bfd = fd;
		f->ev_b = EPOLLOUT;
		f->be = i;
		f->bep = be;
		atomic_fetch_add(&be->conns, 1);
		f->state = FL_CONNECT;
		f->t_active = tg_now_ms();
		return;
	}
	/* nothing reachable: tell the client and close (each failed try was
	 * counted; a pool with no server up counts once here) */
	if (f->tried == 0)
		w->st->backend_connect_errors++;
	tg_flow_alert(f, TG_ALERT_FATAL, TG_ALERT_INTERNAL_ERROR);
	f->state = FL_CLOSING;
}

static void tg_backend_writable(struct tg_wk *w, struct tg_flow *f)
{
	int err = 0;
	socklen_t el = sizeof(err);

	if (f->state != FL_CONNECT)
		return;
	if (getsockopt(f->bfd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
		/* refused or unreachable: retry on the next backend */
		epoll_ctl(w->ep, EPOLL_CTL_DEL, f->bfd, NULL);
		close(f->bfd);
		f->bfd = -1;
		f->ev_b = 0;
		atomic_fetch_add(&f->bep->failures, 1);
		w->st->backend_connect_errors++;
		tg_flow_connect(w, f);
		return;
	}
	tg_flow_connected(w, f);
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

static void tg_ctl_in(struct tg_wk *w)
{
	void *msgs[64];
	unsigned n = rte_ring_dequeue_burst(w->wc->from_ctl, msgs, 64, NULL);

	for (unsigned i = 0; i < n; i++) {
		struct tg_ctl_msg *m = msgs[i];
		struct tg_flow *f = m->slot < w->max ? &w->flows[m->slot] : NULL;

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
			tg_want_rx(w, f);
			continue;
		}
		if (f == NULL || f->state != FL_HS || f->gen != m->gen) {
			tg_ctl_msg_free(m); /* the flow is gone */
			continue;
		}
		tg_touch(w, f);
		switch (m->type) {
		case TG_CTL_HS_OUT:
			if (tg_buf_room(&f->cout, m->len) < m->len)
				(void)tg_buf_grow(&f->cout, tg_cout_cap(w));
			if (tg_buf_room(&f->cout, m->len) >= m->len) {
				memcpy(tg_buf_tail(&f->cout), m->data, m->len);
				tg_buf_commit(&f->cout, m->len);
			} else {
				f->state = FL_CLOSING; /* cannot happen with sane sizes */
			}
			break;
		case TG_CTL_KEY_INSTALL:
			if (!tg_buf_grow(&f->cout, tg_cout_cap(w)) ||
			    !tg_buf_alloc(&f->bout, w->cfg->max_buffer + TG_PROXY_MAX) ||
			    tg_failed(tg_accel_sess_create(w->wc->acc, &m->tx, &f->tx)) ||
			    tg_failed(tg_accel_sess_create(w->wc->acc, &m->rx, &f->rx))) {
				f->state = FL_CLOSING;
				break;
			}
			f->info = m->info;
			f->hs_done = true;
			/* HS_DATA sent after the one that finished the
			 * handshake come back as HS_LATE */
			f->late_expected = f->hs_msgs > m->n_data
						   ? f->hs_msgs - m->n_data : 0;
			if (f->info.resumed)
				w->st->hs_resumed++;
			else
				w->st->hs_full++;
			/* the client closed after its Finished, nothing for
			 * the backend: done (counted, logged) */
			if (f->c_eof && m->len == 0) {
				tg_flow_close(w, f, "client-closed-after-handshake");
				break;
			}
			/* client bytes that followed Finished */
			if (m->len && tg_buf_room(&f->cin, m->len) >= m->len) {
				memcpy(tg_buf_tail(&f->cin), m->data, m->len);
				tg_buf_commit(&f->cin, m->len);
			}
			f->pool = tg_backends_route(w->be, f->info.sni);
			tg_flow_connect(w, f);
			tg_want_rx(w, f);
			break;
		case TG_CTL_HS_CLOSE: /* after our HS_EOF: left unfinished */
			tg_flow_close(w, f, "client-gone-in-handshake");
			break;
		case TG_CTL_HS_FAIL:
			w->st->hs_failed++;
			if (m->info.alert_sent != TG_ALERT_NONE)
				w->st->hs_failed_alert[m->info.alert_sent]++;
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
	w->st->ring_to_ctl = rte_ring_count(w->wc->to_ctl);
	w->st->ring_from_ctl = rte_ring_count(w->wc->from_ctl);
}

/* ---- sockets ---------------------------------------------------------------------- */

static void tg_accept(struct tg_wk *w, int lfd)
{
	for (int k = 0; k < 64; k++) {
		struct sockaddr_storage peer;
		socklen_t pl = sizeof(peer);
		int fd = accept4(lfd, (struct sockaddr *)&peer, &pl,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct tg_flow *f;
		struct epoll_event ev;
		int one = 1;
		socklen_t ll;

		if (fd < 0)
			return;
		if (w->n_free == 0 ||
		    atomic_fetch_add(w->wc->conns_total, 1) >= w->cfg->max_conns) {
			if (w->n_free != 0)
				atomic_fetch_sub(w->wc->conns_total, 1);
			/* over the limits: a clean close, not a hang */
			close(fd);
			w->st->conns_refused++;
			continue;
		}
		f = &w->flows[w->free_slots[--w->n_free]];
		f->state = FL_HS;
		f->cfd = fd;
		f->bfd = -1;
		f->c_eof = f->b_eof = f->b_shut = f->b_reset = false;
		f->hs_done = false;
		f->ev_b = 0;
		f->tried = 0;
		f->be = -1;
		f->bep = NULL;
		f->peer = peer;
		ll = sizeof(f->local);
		getsockname(fd, (struct sockaddr *)&f->local, &ll);
		memset(&f->info, 0, sizeof(f->info));
		f->info.alert_sent = f->info.alert_recv = TG_ALERT_NONE;
		f->t_start = f->t_active = f->t_sent = tg_now_ms();
		f->t_closing = 0;
		f->hs_msgs = f->late_expected = f->late_off = 0;
		f->late = f->late_tail = NULL;
		f->sent_since_idle = 0;
		f->in_bytes = f->out_bytes = 0;
		f->act_idx = w->active;
		w->act[w->active++] = f->slot;
		w->st->conns_accepted++;
		w->st->conns_active = w->active;
		/* a connection in its handshake holds no backend buffer and a
		 * small output one (a handshake flood costs ~100 KiB each,
		 * not the 0.5 MiB of an open connection); both come at the
		 * key install */
		f->bout = (struct tg_buf){ .p = NULL };
		if (!tg_buf_alloc(&f->cin, TG_CIN_CAP) ||
		    !tg_buf_alloc(&f->cout, TG_HS_COUT_CAP < tg_cout_cap(w)
						    ? TG_HS_COUT_CAP : tg_cout_cap(w))) {
			tg_flow_close(w, f, "nomem");
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		ev.events = EPOLLIN;
		ev.data.u64 = TG_EV_DATA(f, TG_EV_CLIENT);
		f->ev_c = EPOLLIN;
		if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) != 0)
			tg_flow_close(w, f, "epoll");
	}
}

/* Read from the client. */
static void tg_client_readable(struct tg_wk *w, struct tg_flow *f)
{
	uint32_t room;
	ssize_t n;

	/* records that raced the key install go first */
	if (tg_late_pending(f))
		return;
	room = tg_buf_room(&f->cin, TG_REC_HDR_LEN + TG_REC_MAX_CT);
	if (room == 0)
		return;
	n = read(f->cfd, tg_buf_tail(&f->cin), room);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		f->c_eof = true;
		if (f->state == FL_HS) {
			/* its last flight may still finish the handshake (a
			 * client that closes right after its Finished): ask
			 * the control plane, in order after those bytes, and
			 * read no more meanwhile (tg_flow_progress). It
			 * answers KEY_INSTALL (done), HS_FAIL or HS_CLOSE. */
			if (n == 0 && f->hs_msgs > 0 &&
			    tg_to_ctl(w, f, TG_CTL_HS_EOF, NULL, 0))
				tg_touch(w, f);
			else
				tg_flow_close(w, f, "client-gone-in-handshake");
			return;
		}
		tg_want_rx(w, f);
		return;
	}
	if (n < 0)
		return;
	tg_buf_commit(&f->cin, (uint32_t)n);
	f->in_bytes += (uint64_t)n;
	w->st->bytes_from_client += (uint64_t)n;
	f->t_active = tg_now_ms();
	if (f->state == FL_HS) {
		if (!tg_to_ctl(w, f, TG_CTL_HS_DATA, f->cin.p + f->cin.off,
			       f->cin.len)) {
			/* the control plane is saturated: refuse cleanly */
			w->st->ring_full++;
			w->st->conns_refused++;
			tg_flow_close(w, f, "handshake-queue-full");
			return;
		}
		f->hs_msgs++;
		f->cin.off = f->cin.len = 0;
		return;
	}
	tg_want_rx(w, f);
}

/* Write what we can of @p b to @p fd; false on a fatal error. */
static bool tg_flush(int fd, struct tg_buf *b, uint64_t *count,
		     uint64_t *flow_count)
{
	while (b->len > 0) {
		ssize_t n = write(fd, b->p + b->off, b->len);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		tg_buf_consume(b, (uint32_t)n);
		*count += (uint64_t)n;
		if (flow_count)
			*flow_count += (uint64_t)n;
	}
	return true;
}

/* ---- the record passes ---------------------------------------------------------- */

/* Open the complete records of every queued flow in shared bursts. */
static void tg_rx_pass(struct tg_wk *w)
{
	struct tg_rec recs[TG_ACCEL_BURST_MAX];
	struct tg_rec *rp[TG_ACCEL_BURST_MAX];
	struct tg_flow *owner[TG_ACCEL_BURST_MAX];
	unsigned q = 0;

	while (q < w->n_rxq) {
		uint16_t n = 0;

		/* gather: at most the records that fit in each flow's bout */
		for (; q < w->n_rxq && n < TG_ACCEL_BURST_MAX; q++) {
			struct tg_flow *f = &w->flows[w->rxq[q]];
			uint32_t off = f->cin.off, end = f->cin.off + f->cin.len;
			uint32_t budget;

			f->in_rx = false;
			if (f->state != FL_OPEN && f->state != FL_CONNECT)
				continue;
			budget = tg_buf_room(&f->bout, f->bout.cap);
			while (n < TG_ACCEL_BURST_MAX && end - off >= TG_REC_HDR_LEN) {
				uint32_t len = (uint32_t)f->cin.p[off + 3] << 8 |
					       f->cin.p[off + 4];

				if (len > TG_REC_MAX_CT) {
					/* record_overflow: fatal */
					w->st->record_errors++;
					tg_flow_alert(f, TG_ALERT_FATAL,
						      TG_ALERT_RECORD_OVERFLOW);
					f->state = FL_CLOSING;
					break;
				}
				if (end - off < TG_REC_HDR_LEN + len ||
				    budget < len)
					break;
				budget -= len;
				recs[n] = (struct tg_rec){ .sess = f->rx, .buf = f->cin.p,
							   .cap = f->cin.cap,
							   .rec_off = off,
							   .rec_len = TG_REC_HDR_LEN + len };
				rp[n] = &recs[n];
				owner[n++] = f;
				off += TG_REC_HDR_LEN + len;
			}
		}
		if (n == 0)
			break;
		/* the count is not needed: each record's status is read
		 * below, in the original order (recs[], not rp[]) */
		(void)tg_accel_open_burst(rp, n);

		w->st->burst_hist[tg_stats_burst_bucket(n)]++;
		for (uint16_t i = 0; i < n; i++) {
			struct tg_rec *r = &recs[i];
			struct tg_flow *f = owner[i];

			if (f->state == FL_CLOSING)
				continue;
			tg_buf_consume(&f->cin, r->rec_len);
			if (r->status != TG_REC_OK) {
				w->st->record_errors++;
				tg_flow_alert(f, TG_ALERT_FATAL,
					      r->status == TG_REC_E_OVERFLOW
						      ? TG_ALERT_RECORD_OVERFLOW
						      : TG_ALERT_BAD_RECORD_MAC);
				f->state = FL_CLOSING;
				continue;
			}
			if (r->backend < TG_STATS_MAX_BACKENDS) {
				w->st->records_opened[r->backend]++;
				w->st->bytes_opened[r->backend] += r->len;
			}
			switch (r->type) {
			case TG_CT_APPLICATION_DATA:
				memcpy(tg_buf_tail(&f->bout), r->buf + r->off, r->len);
				tg_buf_commit(&f->bout, r->len);
				break;
			case TG_CT_ALERT:
				if (r->len >= 2 && r->buf[r->off + 1] == TG_ALERT_CLOSE_NOTIFY) {
					f->c_eof = true;
				} else if (r->len < 2 || r->buf[r->off] == TG_ALERT_FATAL) {
					if (r->len >= 2) /* the access log's peer_alert= */
						f->info.alert_recv = r->buf[r->off + 1];
					f->state = FL_CLOSING;
				}
				break;
			case TG_CT_HANDSHAKE:
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
			/* the plaintext is in bout now: wipe it in cin */
			tg_wipe(r->buf + r->off, r->len);
		}
	}
	w->n_rxq = 0;
}

/* Dynamic record size: small at the start and after idle, full later. */
static uint32_t tg_record_size(const struct tg_wk *w, struct tg_flow *f,
			       uint64_t now)
{
	/* idle as the sending side sees it: a request from the client that
	 * ends a pause (t_active) must still get small records back */
	if (now - f->t_sent > w->cfg->record_idle_ms)
		f->sent_since_idle = 0;
	return f->sent_since_idle < w->cfg->record_ramp_bytes ? w->cfg->record_small
							       : w->cfg->record_max;
}

/* Read backend data into records and seal them in shared bursts. */
static void tg_tx_pass(struct tg_wk *w)
{
	struct tg_rec recs[TG_ACCEL_BURST_MAX];
	struct tg_rec *rp[TG_ACCEL_BURST_MAX];
	struct tg_flow *owner[TG_ACCEL_BURST_MAX];
	uint64_t now = tg_now_ms();
	unsigned q = 0;

	while (q < w->n_txq) {
		uint16_t n = 0;

		for (; q < w->n_txq && n < TG_ACCEL_BURST_MAX; q++) {
			struct tg_flow *f = &w->flows[w->txq[q]];

			f->in_tx = false;
			if (f->state != FL_OPEN || f->b_eof || f->bfd < 0)
				continue;
			/* compact once: records gathered below point into cout */
			(void)tg_buf_room(&f->cout, f->cout.cap);
			/* up to 4 records per flow per pass (fair, and bulky),
			 * read with one readv into consecutive record slots */
			uint32_t rs = tg_record_size(w, f, now);
			uint32_t hdr = tg_accel_hdr_len(f->tx);
			uint32_t tail = tg_accel_tail_len(f->tx, 0);
			uint32_t slot = hdr + rs + tail;
			uint32_t room = f->cout.cap - f->cout.off - f->cout.len;
			uint8_t *base = tg_buf_tail(&f->cout);
			struct iovec iov[4];
			int k, slots = 0;
			ssize_t got;

			while (slots < 4 && n + slots < TG_ACCEL_BURST_MAX &&
			       room >= (uint32_t)(slots + 1) * slot + TG_REC_ROOM) {
				iov[slots].iov_base = base + (size_t)slots * slot + hdr;
				iov[slots].iov_len = rs;
				slots++;
			}
			if (slots == 0)
				continue; /* back-pressure: the client is slow */
			got = readv(f->bfd, iov, slots);
			if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
				f->b_eof = true;
				f->b_reset = got < 0;
				if (got < 0)
					TG_DEBUG("worker %u: flow %u: backend %s: %s",
						 w->wc->id, f->slot,
						 f->bep ? f->bep->addr.text : "?",
						 strerror(errno));
				continue;
			}
			if (got <= 0)
				continue;
			w->st->bytes_from_backend += (uint64_t)got;
			f->sent_since_idle += (uint64_t)got;
			f->t_active = f->t_sent = now;
			/* full slots, then the part of the last one */
			for (k = 0; got > 0; k++) {
				uint32_t len = (uint64_t)got < rs ? (uint32_t)got : rs;
				uint8_t *rb = base + (size_t)k * slot;

				recs[n] = (struct tg_rec){ .sess = f->tx, .buf = rb,
							   .cap = room - (uint32_t)k * slot,
							   .off = hdr, .len = len,
							   .type = TG_CT_APPLICATION_DATA };
				rp[n] = &recs[n];
				owner[n++] = f;
				/* the record's bytes: hdr + len + tag */
				tg_buf_commit(&f->cout, hdr + len + tail);
				got -= len;
			}
		}
		if (n == 0)
			break;
		uint16_t ok = tg_accel_seal_burst(rp, n);

		w->st->burst_hist[tg_stats_burst_bucket(n)]++;
		if (ok != n) {
			/* a record that cannot be protected is never sent:
			 * its flow is dropped */
			for (uint16_t i = ok; i < n; i++) {
				/* rp[] was reordered; recs[] and owner[] were not */
				struct tg_flow *f = owner[rp[i] - recs];

				f->cout.len = 0;
				f->state = FL_CLOSING;
			}
		}
		for (uint16_t i = 0; i < ok; i++) {
			if (rp[i]->backend < TG_STATS_MAX_BACKENDS) {
				w->st->records_sealed[rp[i]->backend]++;
				w->st->bytes_sealed[rp[i]->backend] += rp[i]->len;
			}
		}
	}
	w->n_txq = 0;
}

/* ---- per-flow housekeeping after the passes ----------------------------------- */

static void tg_flow_progress(struct tg_wk *w, struct tg_flow *f, uint64_t now)
{
	bool ok = true;

	if (f->state == FL_FREE)
		return;
	if (f->cout.len)
		ok = tg_flush(f->cfd, &f->cout, &w->st->bytes_to_client, &f->out_bytes);
	if (!ok) {
		tg_flow_close(w, f, "client-write-error");
		return;
	}
	if (f->state == FL_CLOSING) {
		if (f->cout.len == 0) {
			tg_flow_close(w, f, f->info.alert_sent != TG_ALERT_NONE ? "alert" : "closed");
			return;
		}
		/* nothing more is read from the backend: stop watching it (a
		 * readable FIN would wake every wait, level-triggered) */
		tg_ep_set(w, f, true, 0);
		/* a client that takes nothing of what is left for an idle
		 * timeout is dropped, as nginx's send_timeout does */
		if (f->t_closing == 0 || f->out_bytes != f->closing_out) {
			f->t_closing = now;
			f->closing_out = f->out_bytes;
		} else if (now - f->t_closing > w->cfg->idle_timeout_ms) {
			tg_flow_close(w, f, "closing-timeout");
			return;
		}
		tg_ep_set(w, f, false, EPOLLOUT);
		return;
	}
	if (f->state == FL_HS) {
		if (now - f->t_start > w->cfg->handshake_timeout_ms) {
			w->st->hs_timeouts++;
			tg_flow_close(w, f, "handshake-timeout");
			return;
		}
		tg_ep_set(w, f, false, (f->c_eof ? 0 : EPOLLIN) |
					       (f->cout.len ? EPOLLOUT : 0));
		return;
	}
	if (f->state == FL_CONNECT &&
	    now - f->t_active > w->cfg->connect_timeout_ms) {
		/* the backend did not answer in time: try the next one */
		epoll_ctl(w->ep, EPOLL_CTL_DEL, f->bfd, NULL);
		close(f->bfd);
		f->bfd = -1;
		f->ev_b = 0;
		atomic_fetch_add(&f->bep->failures, 1);
		w->st->backend_connect_errors++;
		tg_flow_connect(w, f);
		if (f->state == FL_CLOSING)
			tg_flow_progress(w, f, now);
		return;
	}
	if (f->state == FL_OPEN && f->bout.len) {
		uint32_t before = f->bout.len;

		if (!tg_flush(f->bfd, &f->bout, &w->st->bytes_to_backend, NULL)) {
			w->st->backend_closed_early++;
			tg_flow_close(w, f, "backend-write-error");
			return;
		}
		/* room in bout again: records left in cin for want of it
		 * are opened now, not when the client sends more */
		if (f->bout.len < before && f->cin.len >= TG_REC_HDR_LEN)
			tg_want_rx(w, f);
	}
	if (f->late != NULL && tg_late_drain(f))
		tg_want_rx(w, f);
	/* client finished sending: pass the FIN on once bout is flushed */
	if (f->c_eof && f->state == FL_OPEN && f->bout.len == 0 && !f->b_shut) {
		shutdown(f->bfd, SHUT_WR);
		f->b_shut = true;
	}
	/* backend finished: close_notify after the last record; after a
	 * reset none, so that the client sees the response was cut */
	if (f->b_eof && f->state == FL_OPEN) {
		if (f->b_reset)
			w->st->backend_closed_early++;
		else
			tg_flow_alert(f, TG_ALERT_WARNING, TG_ALERT_CLOSE_NOTIFY);
		f->state = FL_CLOSING;
		tg_flow_progress(w, f, now);
		return;
	}
	if (f->c_eof && f->b_shut && f->cout.len == 0 && f->b_eof) {
		tg_flow_close(w, f, "closed");
		return;
	}
	if (now - f->t_active > w->cfg->idle_timeout_ms) {
		w->st->idle_timeouts++;
		tg_flow_alert(f, TG_ALERT_WARNING, TG_ALERT_CLOSE_NOTIFY);
		f->state = FL_CLOSING;
		return;
	}
	/* back-pressure both ways: read only what the other side can take */
	tg_ep_set(w, f, false,
		  ((!f->c_eof && f->bout.len + TG_REC_MAX_CT <= f->bout.cap &&
		    f->cin.len < f->cin.cap && !tg_late_pending(f)) ? EPOLLIN : 0) |
		  (f->cout.len ? EPOLLOUT : 0));
	if (f->state == FL_OPEN)
		tg_ep_set(w, f, true,
			  ((!f->b_eof && f->cout.len + 2 * TG_CIN_CAP <= f->cout.cap)
				   ? EPOLLIN : 0) |
			  (f->bout.len ? EPOLLOUT : 0));
}

/* ---- the loop ------------------------------------------------------------------------ */

static int tg_listen_socket(const struct tg_cfg_addr *a)
{
	int fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (a->sa.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->sa, a->salen) != 0 ||
	    listen(fd, 1024) != 0) {
		TG_ERR("worker: cannot listen on %s: %s", a->text, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void tg_close_listeners(struct tg_wk *w)
{
	for (unsigned i = 0; i < w->n_lfd; i++) {
		epoll_ctl(w->ep, EPOLL_CTL_DEL, w->lfd[i], NULL);
		close(w->lfd[i]);
	}
	w->n_lfd = 0;
}

static bool tg_wk_init(struct tg_wk *w, const struct tg_worker_conf *wc)
{
	memset(w, 0, sizeof(*w));
	w->wc = wc;
	w->cfg = wc->cfg;
	w->st = wc->stats;
	w->max = wc->cfg->max_conns_per_worker;
	w->ep = epoll_create1(EPOLL_CLOEXEC);
	w->flows = calloc(w->max, sizeof(*w->flows));
	w->free_slots = calloc(w->max, sizeof(*w->free_slots));
	w->rxq = calloc(w->max, sizeof(*w->rxq));
	w->txq = calloc(w->max, sizeof(*w->txq));
	w->tq = calloc(w->max, sizeof(*w->tq));
	w->act = calloc(w->max, sizeof(*w->act));
	if (w->ep < 0 || !w->flows || !w->free_slots || !w->rxq || !w->txq || !w->tq ||
	    !w->act)
		return false;
	for (unsigned i = 0; i < w->max; i++) {
		w->flows[i].slot = i;
		w->flows[i].cfd = w->flows[i].bfd = -1;
		w->free_slots[w->n_free++] = w->max - 1 - i;
	}
	for (unsigned i = 0; i < w->cfg->n_listen; i++) {
		struct epoll_event ev = { .events = EPOLLIN };
		int fd = tg_listen_socket(&w->cfg->listen[i]);

		if (fd < 0)
			return false;
		ev.data.u64 = ((uint64_t)i << 2) | TG_EV_LISTEN;
		epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev);
		w->lfd[w->n_lfd++] = fd;
	}
	if (wc->wake_fd >= 0) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TG_EV_WAKE };

		epoll_ctl(w->ep, EPOLL_CTL_ADD, wc->wake_fd, &ev);
	}
	w->be = tg_backends_ref(atomic_load(w->wc->backends));
	return true;
}

static void tg_wk_fini(struct tg_wk *w)
{
	for (unsigned i = 0; w->flows && i < w->max; i++)
		tg_flow_close(w, &w->flows[i], "shutdown");
	tg_close_listeners(w);
	if (w->ep >= 0)
		close(w->ep);
	if (w->be)
		tg_backends_unref(w->be);
	free(w->flows);
	free(w->free_slots);
	free(w->rxq);
	free(w->txq);
	free(w->tq);
	free(w->act);
}

int tg_worker_main(void *arg)
{
	const struct tg_worker_conf *wc = arg;
	struct tg_wk w;
	struct epoll_event ev[TG_MAX_EVENTS];
	/* handshakes run here, between our own rounds (tg_ctl_start_inline) */
	const bool inline_ctl = tg_ctl_is_inline(wc->ctl);

	if (!tg_wk_init(&w, wc)) {
		TG_ERR("worker %u: cannot start", wc->id);
		tg_wk_fini(&w);
		atomic_store(wc->run, TG_STOP);
		return -1;
	}
	TG_INFO("worker %u: %u listeners, up to %u connections", wc->id, w.n_lfd, w.max);
	for (;;) {
		int run = atomic_load(wc->run);
		uint64_t now;
		int n;

		if (run == TG_STOP)
			break;
		if (run == TG_DRAIN && w.n_lfd > 0) {
			tg_close_listeners(&w);
			w.drain_deadline = tg_now_ms() + w.cfg->drain_timeout_ms;
		}
		if (run == TG_DRAIN && (w.active == 0 || tg_now_ms() > w.drain_deadline))
			break;
		/* a reload may have swapped the backends */
		if (atomic_load(wc->backends) != w.be) {
			tg_backends_unref(w.be);
			w.be = tg_backends_ref(atomic_load(wc->backends));
		}
		/* inline, handshake messages the last poll left queued (it
		 * takes no more than our ring can hold) are work to do now */
		n = epoll_wait(w.ep, ev, TG_MAX_EVENTS,
			       w.n_rxq > 0 || rte_ring_count(wc->from_ctl) ||
					       (inline_ctl &&
						rte_ring_count(wc->to_ctl))
				       ? 0 : 25);
		for (int i = 0; i < n; i++) {
			uint32_t kind = (uint32_t)(ev[i].data.u64 & 3);
			uint32_t idx = (uint32_t)(ev[i].data.u64 >> 2) & 0x3fffffffu;
			uint32_t gen = (uint32_t)(ev[i].data.u64 >> 32);
			struct tg_flow *f;

			if (kind == TG_EV_LISTEN) {
				if (idx < w.n_lfd)
					tg_accept(&w, w.lfd[idx]);
				continue;
			}
			if (kind == TG_EV_WAKE) {
				eventfd_t v;

				(void)!eventfd_read(wc->wake_fd, &v);
				continue; /* the ring is drained below */
			}
			f = &w.flows[idx];
			if (f->state == FL_FREE || f->gen != gen)
				continue; /* an event of the slot's previous flow */
			tg_touch(&w, f);
			if (kind == TG_EV_CLIENT) {
				/* reset (we never shut the client's side down
				 * ourselves): nothing more can reach it, and a
				 * flow not reading it would not find out */
				if (ev[i].events & (EPOLLHUP | EPOLLERR)) {
					tg_flow_close(&w, f, "client-reset");
					continue;
				}
				if (ev[i].events & EPOLLIN)
					tg_client_readable(&w, f);
			} else {
				/* a backend error or reset is read like data:
				 * what arrived before it still goes out
				 * (tg_tx_pass), then the flow ends without
				 * close_notify (tg_flow_progress) */
				if (ev[i].events & EPOLLOUT)
					tg_backend_writable(&w, f);
				if (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
					tg_want_tx(&w, f);
			}
		}
		if (inline_ctl)
			(void)tg_ctl_poll(wc->ctl);
		tg_ctl_in(&w);
		tg_rx_pass(&w);
		tg_tx_pass(&w);
		now = tg_now_ms();
		/* flows touched this round, and every flow on the timer */
		for (unsigned i = 0; i < w.n_tq; i++) {
			struct tg_flow *f = &w.flows[w.tq[i]];

			f->touched = false;
			tg_flow_progress(&w, f, now);
		}
		w.n_tq = 0;
		if (now >= w.next_timer) {
			/* the flows in use only, not every slot; backwards, as a
			 * flow that closes here is replaced by the list's last
			 * one, which was already visited */
			for (unsigned i = w.active; i-- > 0;)
				if (i < w.active)
					tg_flow_progress(&w, &w.flows[w.act[i]], now);
			w.next_timer = now + 50;
		}
	}
	/* drain deadline or stop: tell every client we are done */
	for (unsigned s = 0; s < w.max; s++) {
		struct tg_flow *f = &w.flows[s];

		if (f->state == FL_OPEN || f->state == FL_CONNECT) {
			tg_flow_alert(f, TG_ALERT_WARNING, TG_ALERT_CLOSE_NOTIFY);
			tg_flush(f->cfd, &f->cout, &w.st->bytes_to_client, NULL);
		}
	}
	tg_wk_fini(&w);
	return 0;
}
