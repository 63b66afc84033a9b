/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file worker.c
 * The kernel-socket transport of the flow engine: a worker's listeners,
 * its epoll set and the system calls on client and backend sockets. The
 * TLS flows themselves (records, handshakes, backends, timers) are the
 * flow engine's (dataplane/flow).
 */
#include "tg_worker.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "tg_log.h"
#include "tg_stats.h"

#define TG_EV_CLIENT 0u
#define TG_EV_BACKEND 1u
#define TG_EV_LISTEN 2u
#define TG_EV_WAKE 3u
#define TG_LISTEN_MAX 8

/* epoll data of a flow's socket: its generation (bits 32..63), its slot
 * and the kind. A slot freed and reused within one epoll_wait batch gets
 * a new generation, so the old socket's events left in the batch are
 * told apart and dropped. */
#define TG_EV_DATA(f, kind)                                                    \
	(((uint64_t)tg_flow_gen(f) << 32) | ((uint64_t)tg_flow_slot(f) << 2) | \
	 (kind))
#define TG_MAX_EVENTS 256

/* The sockets of one flow slot. */
struct tg_sock_flow {
	int fd[2];          /* client, backend (-1: none) */
	uint32_t ev[2];     /* epoll masks set now */
	bool connecting;    /* the backend's connect is under way */
};

struct tg_wk {
	const struct tg_worker_conf *wc;
	struct tg_flow_conf fc;     /* the engine's, with our ops */
	struct tg_flow_engine *e;
	int ep;
	int lfd[TG_LISTEN_MAX];
	unsigned n_lfd;
	struct tg_sock_flow *sf;    /* by flow slot */
	size_t round_read;          /* bytes read in this round */
};

static struct tg_sock_flow *tg_sf(struct tg_wk *w, const struct tg_flow *f)
{
	return &w->sf[tg_flow_slot(f)];
}

static void tg_sock_set(struct tg_wk *w, struct tg_flow *f,
			enum tg_flow_side side, uint32_t mask)
{
	struct tg_sock_flow *s = tg_sf(w, f);
	/* Paused (no interest): epoll still reports an error or hang-up,
	 * level-triggered, on every wait, and a flow that cannot read
	 * would spin on it (a reset peer, a backend that closed with bytes
	 * left unread). Edge-triggered, it wakes us once per change. */
	struct epoll_event ev = {
		.events = mask != 0 ? mask : EPOLLET,
		.data.u64 = TG_EV_DATA(f, side == TG_FLOW_BACKEND ? TG_EV_BACKEND
								  : TG_EV_CLIENT),
	};

	if (s->fd[side] < 0 || s->ev[side] == mask)
		return;
	if (epoll_ctl(w->ep, EPOLL_CTL_MOD, s->fd[side], &ev) == 0)
		s->ev[side] = mask;
}

/* ---- the transport's operations ------------------------------------------------ */

static tg_result tg_sock_connect(void *tctx, struct tg_flow *f,
				 const struct tg_addr *addr)
{
	struct tg_wk *w = tctx;
	struct tg_sock_flow *s = tg_sf(w, f);
	struct epoll_event ev = { .events = EPOLLOUT,
				  .data.u64 = TG_EV_DATA(f, TG_EV_BACKEND) };
	int fd, one = 1;

	fd = socket(addr->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return tg_error(TG_E_NOMEM); /* descriptors: no backend helps */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&addr->sa, addr->salen) != 0 &&
	    errno != EINPROGRESS) {
		close(fd);
		return tg_error(TG_E_IO);
	}
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
		close(fd);
		return tg_error(TG_E_NOMEM);
	}
	s->fd[TG_FLOW_BACKEND] = fd;
	s->ev[TG_FLOW_BACKEND] = EPOLLOUT;
	s->connecting = true;
	return TG_OK;
}

/*
 * A dense, light round of application data waits coalesce_us before the
 * next poll: its wait for events was shorter than coalesce_us (events
 * come faster than that), it read under TG_WORKER_COALESCE_BYTES, and it
 * moved bytes to or from a backend (not only a handshake's). A stream of
 * small records then comes in a few reads and goes on in a few writes
 * instead of one of each per record or two, which on loopback cost the
 * client's and the backend's CPUs their wake-ups too (bench/RESULTS.md,
 * "Small records on sockets": 64 B records uploaded, per server
 * CPU-second, 4.2-4.4x tlsgate's own rate without the wait). A round
 * after a longer wait, a handshake's round, a heavy one (bulk), one with
 * nothing and one with work the engine still has poll again at once.
 */
/* bytes to and from backends so far (0 without stats: never data) */
static uint64_t tg_sock_backend_bytes(const struct tg_worker_conf *wc)
{
	const struct tg_wk_stats *st = wc->flow.stats;

	return st != NULL ? st->bytes_to_backend + st->bytes_from_backend : 0;
}

static void tg_sock_coalesce(struct tg_wk *w, int events, uint64_t waited_ns,
			     uint64_t backend_bytes)
{
	struct timespec ts;
	uint64_t us = w->wc->coalesce_us;

	if (us == 0 || events <= 0 || waited_ns >= us * 1000u ||
	    w->round_read >= TG_WORKER_COALESCE_BYTES ||
	    tg_sock_backend_bytes(w->wc) == backend_bytes ||
	    tg_flow_engine_busy(w->e) || atomic_load(w->wc->run) != TG_RUN)
		return;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)(us * 1000u);
	(void)nanosleep(&ts, NULL);
}

static uint64_t tg_sock_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static ssize_t tg_sock_recv(void *tctx, struct tg_flow *f, enum tg_flow_side side,
			    const struct iovec *iov, int iovcnt)
{
	struct tg_wk *w = tctx;
	int fd = tg_sf(w, f)->fd[side];
	ssize_t n = iovcnt == 1 ? read(fd, iov[0].iov_base, iov[0].iov_len)
				: readv(fd, iov, iovcnt);

	if (n >= 0) {
		w->round_read += (size_t)n;
		return n;
	}
	return errno == EAGAIN || errno == EINTR ? -EAGAIN : -errno;
}

static ssize_t tg_sock_send(void *tctx, struct tg_flow *f, enum tg_flow_side side,
			    const uint8_t *p, size_t len)
{
	struct tg_wk *w = tctx;
	ssize_t n = write(tg_sf(w, f)->fd[side], p, len);

	if (n >= 0)
		return n;
	return errno == EAGAIN || errno == EINTR ? 0 : -1;
}

static void tg_sock_want(void *tctx, struct tg_flow *f, enum tg_flow_side side,
			 bool readable, bool writable)
{
	tg_sock_set(tctx, f, side,
		    (readable ? EPOLLIN : 0u) | (writable ? EPOLLOUT : 0u));
}

static void tg_sock_shutdown(void *tctx, struct tg_flow *f, enum tg_flow_side side)
{
	struct tg_wk *w = tctx;

	shutdown(tg_sf(w, f)->fd[side], SHUT_WR);
}

static void tg_sock_abort(void *tctx, struct tg_flow *f, enum tg_flow_side side)
{
	struct tg_wk *w = tctx;
	struct tg_sock_flow *s = tg_sf(w, f);

	if (s->fd[side] < 0)
		return;
	epoll_ctl(w->ep, EPOLL_CTL_DEL, s->fd[side], NULL);
	close(s->fd[side]);
	s->fd[side] = -1;
	s->ev[side] = 0;
	if (side == TG_FLOW_BACKEND)
		s->connecting = false;
}

static void tg_sock_release(void *tctx, struct tg_flow *f)
{
	struct tg_wk *w = tctx;
	struct tg_sock_flow *s = tg_sf(w, f);

	/* closing a descriptor takes it out of the epoll set */
	for (int i = 0; i < 2; i++) {
		if (s->fd[i] >= 0)
			close(s->fd[i]);
		s->fd[i] = -1;
		s->ev[i] = 0;
	}
	s->connecting = false;
}

/* A connect's time is up: poll its socket once (the epoll event of a
 * connect that ended meanwhile may still be queued behind others). */
static int tg_sock_connect_check(void *tctx, struct tg_flow *f)
{
	struct tg_wk *w = tctx;
	struct tg_sock_flow *s = tg_sf(w, f);
	struct pollfd p = { .fd = s->fd[TG_FLOW_BACKEND], .events = POLLOUT };

	if (!s->connecting || p.fd < 0 || poll(&p, 1, 0) != 1)
		return 0;
	if (p.revents & (POLLERR | POLLHUP | POLLNVAL))
		return -1;
	if (!(p.revents & POLLOUT))
		return 0;
	/* its epoll event, when it comes, is an ordinary writable one */
	s->connecting = false;
	return 1;
}

static const struct tg_flow_ops tg_sock_ops = {
	.name = "sock",
	.connect = tg_sock_connect,
	.recv = tg_sock_recv,
	.send = tg_sock_send,
	.want = tg_sock_want,
	.shutdown = tg_sock_shutdown,
	.abort = tg_sock_abort,
	.release = tg_sock_release,
	.connect_check = tg_sock_connect_check,
};

/* ---- events --------------------------------------------------------------------- */

static void tg_accept(struct tg_wk *w, int lfd)
{
	for (int k = 0; k < 64; k++) {
		struct sockaddr_storage peer, local;
		socklen_t pl = sizeof(peer), ll = sizeof(local);
		int fd = accept4(lfd, (struct sockaddr *)&peer, &pl,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct tg_sock_flow *s;
		struct epoll_event ev;
		struct tg_flow *f;

		if (fd < 0)
			return;
		/* our own address is for the PROXY header only: a system call
		 * per connection saved without one */
		memset(&local, 0, sizeof(local));
		if (w->wc->flow.set->proxy_protocol != TG_PROXY_NONE &&
		    getsockname(fd, (struct sockaddr *)&local, &ll) != 0)
			memset(&local, 0, sizeof(local));
		f = tg_flow_accept(w->e, &peer, &local);
		if (f == NULL) {
			close(fd); /* over the limits: a clean close, not a hang */
			continue;
		}
		s = tg_sf(w, f);
		s->fd[TG_FLOW_CLIENT] = fd;
		s->fd[TG_FLOW_BACKEND] = -1;
		s->ev[TG_FLOW_BACKEND] = 0;
		s->connecting = false;
		/* TCP_NODELAY: inherited from the listener */
		ev.events = EPOLLIN;
		ev.data.u64 = TG_EV_DATA(f, TG_EV_CLIENT);
		s->ev[TG_FLOW_CLIENT] = EPOLLIN;
		if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) != 0)
			tg_flow_on_reset(w->e, f, TG_FLOW_CLIENT);
	}
}

/* A connect under way has ended: epoll says how (a refused or
 * unreachable connect is EPOLLERR; a connected socket is writable), so
 * no SO_ERROR read is needed. */
static void tg_backend_connect_done(struct tg_wk *w, struct tg_flow *f,
				    uint32_t events)
{
	struct tg_sock_flow *s = tg_sf(w, f);

	s->connecting = false;
	if (events & EPOLLERR) {
		/* refused or unreachable: the engine tries the next backend */
		tg_sock_abort(w, f, TG_FLOW_BACKEND);
		tg_flow_backend_failed(w->e, f);
		return;
	}
	tg_flow_backend_connected(w->e, f);
}

static void tg_sock_event(struct tg_wk *w, const struct epoll_event *ev)
{
	uint32_t kind = (uint32_t)(ev->data.u64 & 3);
	uint32_t slot = (uint32_t)(ev->data.u64 >> 2) & 0x3fffffffu;
	uint32_t gen = (uint32_t)(ev->data.u64 >> 32);
	struct tg_flow *f;

	if (kind == TG_EV_LISTEN) {
		if (slot < w->n_lfd)
			tg_accept(w, w->lfd[slot]);
		return;
	}
	if (kind == TG_EV_WAKE) {
		eventfd_t v;

		(void)!eventfd_read(w->wc->wake_fd, &v);
		return; /* the ring is drained by the engine's round */
	}
	f = tg_flow_find(w->e, slot, gen);
	if (f == NULL)
		return; /* an event of the slot's previous flow */
	if (kind == TG_EV_CLIENT) {
		if (ev->events & (EPOLLHUP | EPOLLERR)) {
			tg_flow_on_reset(w->e, f, TG_FLOW_CLIENT);
			return;
		}
		if (ev->events & EPOLLIN)
			tg_flow_on_readable(w->e, f, TG_FLOW_CLIENT);
		if (ev->events & EPOLLOUT)
			tg_flow_on_writable(w->e, f, TG_FLOW_CLIENT);
		return;
	}
	if (tg_sf(w, f)->connecting) {
		if (!(ev->events & (EPOLLOUT | EPOLLERR)))
			return;
		tg_backend_connect_done(w, f, ev->events);
		/* failed: the next backend is being tried (or the flow is
		 * gone, nothing left to try) */
		if ((ev->events & EPOLLERR) || tg_flow_find(w->e, slot, gen) == NULL)
			return;
	} else if (ev->events & EPOLLOUT) {
		tg_flow_on_writable(w->e, f, TG_FLOW_BACKEND);
	}
	/* a backend error or reset is read like data (the engine's read
	 * reports it after what came before) */
	if (ev->events & (EPOLLHUP | EPOLLERR))
		tg_flow_on_reset(w->e, f, TG_FLOW_BACKEND);
	else if (ev->events & EPOLLIN)
		tg_flow_on_readable(w->e, f, TG_FLOW_BACKEND);
}

/* ---- the loop ------------------------------------------------------------------------ */

static int tg_listen_socket(const struct tg_addr *a)
{
	int fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	/* accepted sockets inherit it: one system call less per connection */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
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
	unsigned n;

	memset(w, 0, sizeof(*w));
	w->wc = wc;
	w->fc = wc->flow;
	w->fc.ops = &tg_sock_ops;
	w->fc.tctx = w;
	w->ep = epoll_create1(EPOLL_CLOEXEC);
	if (w->ep < 0 || wc->n_listen > TG_LISTEN_MAX ||
	    tg_failed(tg_flow_engine_new(&w->fc, &w->e)))
		return false;
	n = tg_flow_engine_slots(w->e);
	w->sf = calloc(n, sizeof(*w->sf));
	if (w->sf == NULL)
		return false;
	for (unsigned i = 0; i < n; i++)
		w->sf[i].fd[0] = w->sf[i].fd[1] = -1;
	for (unsigned i = 0; i < wc->n_listen; i++) {
		struct epoll_event ev = { .events = EPOLLIN };
		int fd = tg_listen_socket(&wc->listen[i]);

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
	return true;
}

static void tg_wk_fini(struct tg_wk *w)
{
	/* the engine releases its flows through our ops: sf must live */
	tg_flow_engine_free(w->e);
	tg_close_listeners(w);
	if (w->ep >= 0)
		close(w->ep);
	free(w->sf);
}

/*
 * Every worker listens before any serves, and worker 0 runs the ready
 * hook in between (privileges are dropped once every listener is bound).
 * False when the hook failed or tlsgate is stopping meanwhile.
 */
bool tg_worker_barrier(const struct tg_worker_conf *wc)
{
	if (wc->started == NULL)
		return true;
	atomic_fetch_add(wc->started, 1);
	if (wc->flow.id == 0) {
		while (atomic_load(wc->started) < wc->n_workers &&
		       atomic_load(wc->run) != TG_STOP)
			usleep(1000);
		if (atomic_load(wc->run) != TG_STOP &&
		    wc->ready != NULL && !wc->ready(wc->ready_arg))
			atomic_store(wc->run, TG_STOP);
		atomic_fetch_add(wc->started, 1); /* the others may serve */
	} else {
		while (atomic_load(wc->started) <= wc->n_workers &&
		       atomic_load(wc->run) != TG_STOP)
			usleep(1000);
	}
	return atomic_load(wc->run) != TG_STOP;
}

int tg_worker_main(void *arg)
{
	const struct tg_worker_conf *wc = arg;
	struct tg_wk w;
	struct epoll_event ev[TG_MAX_EVENTS];

	if (!tg_wk_init(&w, wc)) {
		TG_ERR("worker %u: cannot start", wc->flow.id);
		tg_wk_fini(&w);
		atomic_store(wc->run, TG_STOP);
		return -1;
	}
	TG_INFO("worker %u: %u listeners, up to %u connections", wc->flow.id,
		w.n_lfd, tg_flow_engine_slots(w.e));
	if (!tg_worker_barrier(wc)) {
		tg_wk_fini(&w);
		return -1;
	}
	for (;;) {
		int run = atomic_load(wc->run);
		uint64_t t0, waited, be;
		int n;

		if (run == TG_STOP)
			break;
		if (run == TG_DRAIN) {
			tg_close_listeners(&w);
			if (tg_flow_engine_drained(w.e))
				break;
		}
		t0 = wc->coalesce_us ? tg_sock_now_ns() : 0;
		be = wc->coalesce_us ? tg_sock_backend_bytes(wc) : 0;
		n = epoll_wait(w.ep, ev, TG_MAX_EVENTS,
			       tg_flow_engine_busy(w.e) ? 0 : 25);
		waited = wc->coalesce_us ? tg_sock_now_ns() - t0 : 0;
		w.round_read = 0;
		for (int i = 0; i < n; i++)
			tg_sock_event(&w, &ev[i]);
		tg_flow_engine_round(w.e);
		tg_sock_coalesce(&w, n, waited, be);
	}
	tg_flow_engine_stop(w.e);
	tg_wk_fini(&w);
	return 0;
}
