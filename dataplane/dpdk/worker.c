/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file worker.c
 * The DPDK transport of the flow engine: per lcore a network instance, a
 * userspace TCP and a flow engine; tg_flow_ops on tg_tcp, TCP events into
 * the engine's events, backend health probes through the same TCP; or,
 * with kernel backends, the backend side of the ops on the worker's
 * kback helper (kback.c) and its events. The TLS flows themselves are the
 * flow engine's (dataplane/flow).
 */
#include "dpdk_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_mempool.h>
#include <rte_pause.h>

#include "tg_backend.h"
#include "tg_flow.h"
#include "tg_kback.h"
#include "tg_log.h"

#define TG_DP_LISTEN_MAX 8
#define TG_DP_EVENTS 256
/* probes: one per backend of every pool */
#define TG_DP_PROBES (TG_BE_MAX_POOLS * TG_BE_MAX_SERVERS)
#define TG_DP_PUBLISH_MS 10
#define TG_DP_LINGER_MS 2000

/* A TCP connection's user data: what it is and whose. Flows: the
 * generation (bits 32..63), the slot and the side, so that an event of a
 * connection the engine let go in the same batch is told apart. */
enum {
	TG_UD_CLIENT = 0,   /* = TG_FLOW_CLIENT */
	TG_UD_BACKEND = 1,  /* = TG_FLOW_BACKEND */
	TG_UD_PROBE = 2,
	TG_UD_LISTEN = 3,
};
#define TG_UD(gen, slot, kind)                                                 \
	((void *)(uintptr_t)(((uint64_t)(gen) << 32) | ((uint64_t)(slot) << 2) | \
			     (kind)))

_Static_assert(sizeof(uintptr_t) == 8, "the user data holds 64 bits");

/* The TCP connections of one flow slot. */
struct tg_dp_flow {
	struct tg_tcp_conn *c[2]; /* client, backend (NULL: none) */
	bool connecting;          /* the backend's connect is under way */
	bool kb_on;               /* the backend is a kernel socket: kb */
	uint32_t kb;              /* its connection in the worker's kback */
};

/* A health probe of one backend. */
struct tg_dp_probe {
	struct tg_tcp_conn *c;    /* NULL: none in flight */
	uint64_t start_ms;
};

struct tg_dpdk_worker {
	const struct tg_dpdk_conf *dc;
	struct tg_flow_conf fc;        /* the engine's, with our ops */
	struct tg_flow_ops ops;        /* tg_dp_ops, the chains only with rx_chain */
	struct tg_flow_engine *e;
	struct tg_net *net;
	struct tg_tcp *tcp;
	struct tg_tcp_listener *lst[TG_DP_LISTEN_MAX];
	unsigned n_lst;
	struct tg_dp_flow *df;         /* by flow slot */
	/* backends on kernel sockets (dpdk.backend_transport = kernel),
	 * NULL: through our TCP */
	struct tg_kback *kb;
	struct tg_dpdk_idle idle;      /* rounds without work, the last wait */
	uint64_t next_publish_ms;
	/* health checks */
	struct tg_backends *hb;        /* the list being probed */
	struct tg_dp_probe *pr;        /* [pool * TG_BE_MAX_SERVERS + i] */
	uint64_t next_health_ms;
	uint64_t probes;
	struct tg_tcp_event ev[TG_DP_EVENTS];
	struct tg_kback_event kev[TG_DP_EVENTS];
};

static uint64_t tg_dp_now_ms(const struct tg_dpdk_worker *w)
{
	return tg_net_now_us(w->net) / 1000;
}

static struct tg_dp_flow *tg_df(struct tg_dpdk_worker *w, const struct tg_flow *f)
{
	return &w->df[tg_flow_slot(f)];
}

/* ---- addresses ------------------------------------------------------------------- */

static void tg_dp_sockaddr(const struct tg_net_addr *a, uint16_t port,
			   struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (tg_net_addr_is_v4(a)) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		s4->sin_addr.s_addr = tg_net_addr_v4(a);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, a->b, 16);
	}
}

/* false: not an IPv4 or IPv6 address */
static bool tg_dp_addr(const struct sockaddr_storage *ss, struct tg_net_addr *a,
		       uint16_t *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		tg_net_addr_set_v4(a, s4->sin_addr.s_addr);
		*port = ntohs(s4->sin_port);
		return true;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		memcpy(a->b, &s6->sin6_addr, 16);
		*port = ntohs(s6->sin6_port);
		return true;
	}
	return false;
}

static bool tg_dp_addr_any(const struct tg_net_addr *a)
{
	static const struct tg_net_addr any6;
	struct tg_net_addr any4;

	tg_net_addr_set_v4(&any4, 0);
	return tg_net_addr_eq(a, &any6) || tg_net_addr_eq(a, &any4);
}

/* ---- the transport's operations ------------------------------------------------------ */

static struct tg_kback *tg_kb(void *tctx)
{
	return ((struct tg_dpdk_worker *)tctx)->kb;
}

/* The backend side of @p f is a kernel socket of the helper (kback.c):
 * every op of that side goes there; the client side stays on our TCP. */
static bool tg_dp_kb(void *tctx, const struct tg_flow *f, enum tg_flow_side side)
{
	struct tg_dpdk_worker *w = tctx;

	return side == TG_FLOW_BACKEND && w->kb != NULL && w->df[tg_flow_slot(f)].kb_on;
}

static tg_result tg_dp_connect(void *tctx, struct tg_flow *f, const struct tg_addr *addr)
{
	struct tg_dpdk_worker *w = tctx;
	struct tg_dp_flow *d = tg_df(w, f);
	struct tg_net_addr dst;
	struct tg_tcp_conn *c;
	uint16_t port;
	tg_result r;

	if (!tg_dp_addr(&addr->sa, &dst, &port) || port == 0)
		return tg_error(TG_E_IO);
	if (w->kb != NULL) {
		r = tg_kback_connect(w->kb, &addr->sa,
				     (uint64_t)(uintptr_t)TG_UD(tg_flow_gen(f), tg_flow_slot(f),
								TG_UD_BACKEND),
				     &d->kb);
		/* no free slot: none can be made now */
		if (tg_failed(r))
			return tg_error(r.code == TG_E_INVAL ? TG_E_IO : TG_E_NOMEM);
		d->kb_on = true;
		d->connecting = true;
		return TG_OK;
	}
	r = tg_tcp_connect(w->tcp, &dst, port,
			   TG_UD(tg_flow_gen(f), tg_flow_slot(f), TG_UD_BACKEND), &c);
	if (tg_failed(r)) {
		/* an IPv6 backend without an IPv6 address: this one cannot
		 * be reached, another may; no connection object or source
		 * port: none can now */
		return tg_error(r.code == TG_E_INVAL ? TG_E_IO : TG_E_NOMEM);
	}
	d->c[TG_FLOW_BACKEND] = c;
	d->connecting = true;
	return TG_OK;
}

static ssize_t tg_dp_recv(void *tctx, struct tg_flow *f, enum tg_flow_side side,
			  const struct iovec *iov, int iovcnt)
{
	struct tg_tcp_conn *c = tg_df(tctx, f)->c[side];

	if (tg_dp_kb(tctx, f, side))
		return tg_kback_recv(tg_kb(tctx), tg_df(tctx, f)->kb, iov, iovcnt);
	return c != NULL ? tg_tcp_recv(c, iov, iovcnt) : -ENOTCONN;
}

static ssize_t tg_dp_send(void *tctx, struct tg_flow *f, enum tg_flow_side side,
			  const uint8_t *p, size_t len)
{
	struct tg_tcp_conn *c = tg_df(tctx, f)->c[side];

	if (tg_dp_kb(tctx, f, side))
		return tg_kback_send(tg_kb(tctx), tg_df(tctx, f)->kb, p, len);
	return c != NULL ? tg_tcp_send(c, p, len) : -1;
}

static void tg_dp_want(void *tctx, struct tg_flow *f, enum tg_flow_side side,
		       bool readable, bool writable)
{
	struct tg_dp_flow *d = tg_df(tctx, f);

	/* kept while a connect is under way: they apply once it is up
	 * (its end reports itself) */
	if (tg_dp_kb(tctx, f, side)) {
		tg_kback_want(tg_kb(tctx), d->kb, readable, writable);
		return;
	}
	/* a connect under way reports CONNECTED or ERROR on its own */
	if (d->c[side] != NULL && !(side == TG_FLOW_BACKEND && d->connecting))
		tg_tcp_want(d->c[side], readable, writable);
}

static void tg_dp_shutdown(void *tctx, struct tg_flow *f, enum tg_flow_side side)
{
	struct tg_tcp_conn *c = tg_df(tctx, f)->c[side];

	if (tg_dp_kb(tctx, f, side))
		tg_kback_shutdown(tg_kb(tctx), tg_df(tctx, f)->kb);
	else if (c != NULL)
		tg_tcp_shutdown(c);
}

static void tg_dp_abort(void *tctx, struct tg_flow *f, enum tg_flow_side side)
{
	struct tg_dp_flow *d = tg_df(tctx, f);

	if (tg_dp_kb(tctx, f, side)) {
		/* the slot is the helper's from here (tg_kback.h) */
		tg_kback_abort(tg_kb(tctx), d->kb);
		d->kb_on = false;
		d->connecting = false;
		return;
	}
	if (d->c[side] == NULL)
		return;
	tg_tcp_abort(d->c[side]);
	d->c[side] = NULL;
	if (side == TG_FLOW_BACKEND)
		d->connecting = false;
}

static void tg_dp_release(void *tctx, struct tg_flow *f)
{
	struct tg_dp_flow *d = tg_df(tctx, f);

	/* as close() on a socket: the FIN after what is queued, or a RST
	 * when received bytes were left unread (RFC 2525 §2.17); a connect
	 * under way just ends */
	for (int i = 0; i < 2; i++) {
		if (d->c[i] != NULL)
			tg_tcp_close(d->c[i]);
		d->c[i] = NULL;
	}
	if (d->kb_on)
		tg_kback_close(tg_kb(tctx), d->kb);
	d->kb_on = false;
	d->connecting = false;
}

static uint32_t tg_dp_peek(void *tctx, struct tg_flow *f, enum tg_flow_side side,
			   uint8_t **p)
{
	struct tg_tcp_conn *c = tg_df(tctx, f)->c[side];

	if (tg_dp_kb(tctx, f, side))
		return tg_kback_peek(tg_kb(tctx), tg_df(tctx, f)->kb, p);
	return c != NULL ? tg_tcp_peek(c, p) : 0;
}

static void tg_dp_consume(void *tctx, struct tg_flow *f, enum tg_flow_side side,
			  uint32_t n)
{
	struct tg_tcp_conn *c = tg_df(tctx, f)->c[side];

	if (tg_dp_kb(tctx, f, side))
		tg_kback_consume(tg_kb(tctx), tg_df(tctx, f)->kb, n);
	else if (c != NULL)
		tg_tcp_consume(c, n);
}

/* A connect's time is up: our TCP may have it established already, its
 * CONNECTED event not delivered yet (the events of a round are taken
 * before the engine's round, whose inline control plane can run long on a
 * loaded machine, and at most TG_DP_EVENTS at a time). The state says;
 * the event, when it comes, is an ordinary one. */
static int tg_dp_connect_check(void *tctx, struct tg_flow *f)
{
	struct tg_dp_flow *d = tg_df(tctx, f);
	struct tg_tcp_info in;

	if (d->connecting && tg_dp_kb(tctx, f, TG_FLOW_BACKEND)) {
		int st = tg_kback_connect_state(tg_kb(tctx), d->kb);

		if (st > 0)
			d->connecting = false;
		return st;
	}
	if (!d->connecting || d->c[TG_FLOW_BACKEND] == NULL)
		return 0;
	tg_tcp_info(d->c[TG_FLOW_BACKEND], &in);
	switch (in.state) {
	case TG_TCP_SYN_SENT:
	case TG_TCP_SYN_RCVD:
		return 0;
	case TG_TCP_ESTABLISHED:
	case TG_TCP_CLOSE_WAIT: /* its bytes and FIN are read as usual */
		d->connecting = false;
		return 1;
	default:
		return -1;
	}
}

/* Records sealed and opened where the send streams continue (our TCP's
 * reservations, in its mbufs): no copy between a record and the wire. */
static uint8_t *tg_dp_send_reserve(void *tctx, struct tg_flow *f,
				   enum tg_flow_side side, uint32_t prefix,
				   uint32_t len)
{
	struct tg_tcp_conn *c = tg_df(tctx, f)->c[side];

	/* not from a kernel backend's send ring: a record's prefix would
	 * have to lie before the bytes committed (NULL: the engine opens
	 * the record in its own buffer and sends its plaintext) */
	if (tg_dp_kb(tctx, f, side))
		return NULL;
	return c != NULL ? tg_tcp_send_reserve(c, prefix, len) : NULL;
}

static void tg_dp_send_commit(void *tctx, struct tg_flow *f,
			      enum tg_flow_side side, uint32_t n)
{
	struct tg_tcp_conn *c = tg_df(tctx, f)->c[side];

	if (c != NULL)
		tg_tcp_send_commit(c, n);
}

static void tg_dp_send_cancel(void *tctx, struct tg_flow *f,
			      enum tg_flow_side side)
{
	struct tg_tcp_conn *c = tg_df(tctx, f)->c[side];

	if (c != NULL)
		tg_tcp_send_cancel(c);
}

static uint32_t tg_dp_pending(void *tctx, struct tg_flow *f,
			      enum tg_flow_side side)
{
	struct tg_tcp_conn *c = tg_df(tctx, f)->c[side];

	if (tg_dp_kb(tctx, f, side))
		return tg_kback_pending(tg_kb(tctx), tg_df(tctx, f)->kb);
	return c != NULL ? tg_tcp_recv_avail(c) : 0;
}

/* Records across segments taken out of the client's receive queue as
 * the mbufs they arrived in, opened there and appended to the backend's
 * send stream (our TCP's chains): no copy of their bytes. Between our
 * TCP's connections only: a kernel backend takes no chain (its flows
 * keep the engine's other paths). */
static struct rte_mbuf *tg_dp_recv_chain(void *tctx, struct tg_flow *f,
					 enum tg_flow_side side, uint32_t n,
					 unsigned max_segs)
{
	struct tg_tcp_conn *c = tg_df(tctx, f)->c[side];

	if (tg_dp_kb(tctx, f, side) || tg_dp_kb(tctx, f, (enum tg_flow_side)!side))
		return NULL;
	return c != NULL ? tg_tcp_recv_chain(c, n, max_segs) : NULL;
}

static int tg_dp_send_chain(void *tctx, struct tg_flow *f, enum tg_flow_side side,
			    struct rte_mbuf *m)
{
	struct tg_tcp_conn *c = tg_df(tctx, f)->c[side];

	if (tg_dp_kb(tctx, f, side) || c == NULL)
		return -EPIPE;
	return tg_tcp_send_chain(c, m);
}

static const struct tg_flow_ops tg_dp_ops = {
	.name = "dpdk",
	.connect = tg_dp_connect,
	.recv = tg_dp_recv,
	.send = tg_dp_send,
	.want = tg_dp_want,
	.shutdown = tg_dp_shutdown,
	.abort = tg_dp_abort,
	.release = tg_dp_release,
	.peek = tg_dp_peek,
	.consume = tg_dp_consume,
	.connect_check = tg_dp_connect_check,
	.send_reserve = tg_dp_send_reserve,
	.send_commit = tg_dp_send_commit,
	.send_cancel = tg_dp_send_cancel,
	.pending = tg_dp_pending,
	.recv_chain = tg_dp_recv_chain,
	.send_chain = tg_dp_send_chain,
};

/* ---- health probes ------------------------------------------------------------------ */

static void tg_dp_mark(struct tg_dpdk_worker *w, unsigned k, bool up)
{
	unsigned p = k / TG_BE_MAX_SERVERS, i = k % TG_BE_MAX_SERVERS;
	struct tg_backend *be = &w->hb->pools[p].be[i];

	if (atomic_exchange(&be->up, up) != up) {
		if (up)
			TG_NOTICE("backend %s (%s) is up", be->addr.text,
				  w->hb->pools[p].name);
		else
			TG_WARN("backend %s (%s) is down", be->addr.text,
				w->hb->pools[p].name);
	}
}

static void tg_dp_probe_end(struct tg_dpdk_worker *w, unsigned k, bool up,
			    bool reset)
{
	struct tg_dp_probe *pr = &w->pr[k];

	if (reset)
		tg_tcp_abort(pr->c);
	else
		tg_tcp_close(pr->c);
	pr->c = NULL;
	tg_dp_mark(w, k, up);
}

static void tg_dp_probe_event(struct tg_dpdk_worker *w, const struct tg_tcp_event *ev,
			      unsigned k)
{
	if (k >= TG_DP_PROBES || w->pr[k].c != ev->c)
		return;
	if (ev->ev & TG_TCP_EV_CONNECTED)
		tg_dp_probe_end(w, k, true, false); /* a FIN, as a socket's close */
	else if (ev->ev & TG_TCP_EV_ERROR)
		tg_dp_probe_end(w, k, false, false);
}

/* Abandon the probes in flight (a new list, or the end). */
static void tg_dp_probes_drop(struct tg_dpdk_worker *w)
{
	for (unsigned k = 0; k < TG_DP_PROBES; k++) {
		if (w->pr[k].c != NULL)
			tg_tcp_abort(w->pr[k].c);
		w->pr[k].c = NULL;
	}
}

/* The socket mode's health thread, in the worker: a TCP connect to each
 * backend every interval through our TCP, within the connect timeout. */
static void tg_dp_health(struct tg_dpdk_worker *w)
{
	uint64_t now = tg_dp_now_ms(w);
	unsigned timeout = w->fc.set->connect_timeout_ms;

	for (unsigned k = 0; k < TG_DP_PROBES; k++)
		if (w->pr[k].c != NULL && now - w->pr[k].start_ms > timeout)
			tg_dp_probe_end(w, k, false, true);
	if (now < w->next_health_ms)
		return;
	w->next_health_ms = now + w->dc->health_interval_ms;
	if (w->hb == NULL || !tg_backends_cur_is(w->fc.backends, w->hb)) {
		tg_dp_probes_drop(w);
		tg_backends_unref(w->hb);
		w->hb = tg_backends_cur_get(w->fc.backends);
		if (w->hb == NULL)
			return;
	}
	for (unsigned p = 0; p < w->hb->n_pools && p < TG_BE_MAX_POOLS; p++) {
		for (unsigned i = 0; i < w->hb->pools[p].n && i < TG_BE_MAX_SERVERS; i++) {
			unsigned k = p * TG_BE_MAX_SERVERS + i;
			struct tg_backend *be = &w->hb->pools[p].be[i];
			struct tg_net_addr dst;
			uint16_t port;

			if (w->pr[k].c != NULL)
				continue; /* the last one is still under way */
			if (!tg_dp_addr(&be->addr.sa, &dst, &port) ||
			    tg_failed(tg_tcp_connect(w->tcp, &dst, port,
						     TG_UD(0, k, TG_UD_PROBE),
						     &w->pr[k].c))) {
				w->pr[k].c = NULL;
				/* no object or port now: not the backend's fault */
				continue;
			}
			w->pr[k].start_ms = now;
			w->probes++;
		}
	}
}

/* ---- events -------------------------------------------------------------------------- */

static void tg_dp_accept(struct tg_dpdk_worker *w, struct tg_tcp_conn *c)
{
	struct sockaddr_storage peer, local;
	struct tg_tcp_info in;
	struct tg_dp_flow *d;
	struct tg_flow *f;

	tg_tcp_info(c, &in);
	tg_dp_sockaddr(&in.raddr, in.rport, &peer);
	tg_dp_sockaddr(&in.laddr, in.lport, &local);
	f = tg_flow_accept(w->e, &peer, &local);
	if (f == NULL) {
		tg_tcp_close(c); /* over the limits: a clean close, not a hang */
		return;
	}
	d = tg_df(w, f);
	d->c[TG_FLOW_CLIENT] = c;
	d->c[TG_FLOW_BACKEND] = NULL;
	d->connecting = false;
	d->kb_on = false;
	tg_tcp_set_udata(c, TG_UD(tg_flow_gen(f), tg_flow_slot(f), TG_UD_CLIENT));
}

/* What happened to a flow's backend connection, of either kind. */
enum {
	TG_DP_BE_CONNECTED = 1,
	TG_DP_BE_ERROR = 2,     /* refused while connecting, later a reset */
	TG_DP_BE_WRITABLE = 4,
	TG_DP_BE_READABLE = 8,
};

/* An event of the backend side of the flow in @p slot of generation
 * @p gen, on our TCP's connection @p c or (c NULL) the kernel backend
 * @p kb: the same steps for both. */
static void tg_dp_backend_event(struct tg_dpdk_worker *w, uint32_t slot, uint32_t gen,
				const struct tg_tcp_conn *c, uint32_t kb, unsigned ev)
{
	struct tg_dp_flow *d = &w->df[slot];
	struct tg_flow *f;

	/* the flow and its connection must still be the ones of the event:
	 * the engine may have let them go earlier in this batch */
#define TG_DP_BE_LIVE()                                                        \
	((f = tg_flow_find(w->e, slot, gen)) != NULL &&                         \
	 (c != NULL ? !d->kb_on && d->c[TG_FLOW_BACKEND] == c                   \
		    : d->kb_on && d->kb == kb))
	if (!TG_DP_BE_LIVE())
		return;
	if (d->connecting) {
		if (ev & TG_DP_BE_CONNECTED) {
			d->connecting = false;
			tg_flow_backend_connected(w->e, f);
			if (!TG_DP_BE_LIVE())
				return;
		} else if (ev & TG_DP_BE_ERROR) {
			/* refused, unreachable or timed out: the connection
			 * goes (a kernel one back to its helper), the engine
			 * tries the next backend */
			if (d->kb_on)
				tg_kback_close(w->kb, d->kb);
			else
				tg_tcp_close(d->c[TG_FLOW_BACKEND]);
			d->c[TG_FLOW_BACKEND] = NULL;
			d->kb_on = false;
			d->connecting = false;
			tg_flow_backend_failed(w->e, f);
			return;
		} else {
			return;
		}
	}
	/* a reset is read like data: what came before it still goes out */
	if (ev & TG_DP_BE_ERROR) {
		tg_flow_on_reset(w->e, f, TG_FLOW_BACKEND);
		return;
	}
	if (ev & TG_DP_BE_WRITABLE)
		tg_flow_on_writable(w->e, f, TG_FLOW_BACKEND);
	if ((ev & TG_DP_BE_READABLE) && TG_DP_BE_LIVE())
		tg_flow_on_readable(w->e, f, TG_FLOW_BACKEND);
#undef TG_DP_BE_LIVE
}

static void tg_dp_event(struct tg_dpdk_worker *w, const struct tg_tcp_event *ev)
{
	uint64_t u = (uint64_t)(uintptr_t)ev->udata;
	unsigned kind = (unsigned)(u & 3);
	uint32_t slot = (uint32_t)(u >> 2) & 0x3fffffffu;
	uint32_t gen = (uint32_t)(u >> 32);
	struct tg_dp_flow *d;
	struct tg_flow *f;

	if (ev->ev & TG_TCP_EV_ACCEPTED) {
		tg_dp_accept(w, ev->c);
		return;
	}
	if (kind == TG_UD_PROBE) {
		tg_dp_probe_event(w, ev, slot);
		return;
	}
	if (kind == TG_UD_LISTEN)
		return;
	if (kind == TG_UD_BACKEND) {
		tg_dp_backend_event(w, slot, gen, ev->c, 0,
				    ((ev->ev & TG_TCP_EV_CONNECTED) ? TG_DP_BE_CONNECTED : 0) |
				    ((ev->ev & TG_TCP_EV_ERROR) ? TG_DP_BE_ERROR : 0) |
				    ((ev->ev & TG_TCP_EV_WRITABLE) ? TG_DP_BE_WRITABLE : 0) |
				    ((ev->ev & TG_TCP_EV_READABLE) ? TG_DP_BE_READABLE : 0));
		return;
	}
	/* the flow and its connection must still be the ones of the event:
	 * the engine may have let them go earlier in this batch */
#define TG_DP_LIVE()                                                           \
	((f = tg_flow_find(w->e, slot, gen)) != NULL &&                         \
	 (d = &w->df[slot])->c[TG_FLOW_CLIENT] == ev->c)
	if (!TG_DP_LIVE())
		return;
	if (ev->ev & TG_TCP_EV_ERROR) {
		tg_flow_on_reset(w->e, f, TG_FLOW_CLIENT);
		return;
	}
	if (ev->ev & TG_TCP_EV_READABLE)
		tg_flow_on_readable(w->e, f, TG_FLOW_CLIENT);
	if ((ev->ev & TG_TCP_EV_WRITABLE) && TG_DP_LIVE())
		tg_flow_on_writable(w->e, f, TG_FLOW_CLIENT);
#undef TG_DP_LIVE
}

/* An event of a kernel backend (its udata our TCP's form, TG_UD). */
static void tg_dp_kb_event(struct tg_dpdk_worker *w, const struct tg_kback_event *ev)
{
	uint64_t u = ev->udata;

	tg_dp_backend_event(w, (uint32_t)(u >> 2) & 0x3fffffffu, (uint32_t)(u >> 32),
			    NULL, ev->id,
			    ((ev->ev & TG_KB_CONNECTED) ? TG_DP_BE_CONNECTED : 0) |
			    ((ev->ev & (TG_KB_FAILED | TG_KB_ERROR)) ? TG_DP_BE_ERROR : 0) |
			    ((ev->ev & TG_KB_WRITABLE) ? TG_DP_BE_WRITABLE : 0) |
			    ((ev->ev & TG_KB_READABLE) ? TG_DP_BE_READABLE : 0));
}

/* The kernel backends' events of now; the count. */
static unsigned tg_dp_kb_events(struct tg_dpdk_worker *w)
{
	unsigned k;

	if (w->kb == NULL)
		return 0;
	k = tg_kback_events(w->kb, w->kev, TG_DP_EVENTS);
	for (unsigned i = 0; i < k; i++)
		tg_dp_kb_event(w, &w->kev[i]);
	return k;
}

/* ---- counters -------------------------------------------------------------------------- */

/* Copy @p n bytes (a multiple of 8) word by word, each store atomic: the
 * admin thread reads the words with relaxed loads. */
static void tg_dp_pub(void *dst, const void *src, size_t n)
{
	uint64_t *d = dst;
	const uint64_t *s = src;

	for (size_t i = 0; i < n / 8; i++)
		__atomic_store_n(&d[i], s[i], __ATOMIC_RELAXED);
}

static void tg_dp_publish(struct tg_dpdk_worker *w)
{
	struct tg_dpdk_stats *st = w->dc->stats;
	struct rte_mempool *mp = tg_net_pool(w->net);

	_Static_assert(sizeof(struct tg_net_stats) % 8 == 0, "words");
	_Static_assert(sizeof(struct tg_tcp_stats) % 8 == 0, "words");
	if (st == NULL)
		return;
	tg_dp_pub(&st->net, tg_net_stats(w->net), sizeof(st->net));
	tg_dp_pub(&st->tcp, tg_tcp_stats(w->tcp), sizeof(st->tcp));
	__atomic_store_n(&st->pool_avail, (uint64_t)tg_net_pool_avail(w->net),
			 __ATOMIC_RELAXED);
	__atomic_store_n(&st->pool_size, (uint64_t)mp->size, __ATOMIC_RELAXED);
	__atomic_store_n(&st->health_probes, w->probes, __ATOMIC_RELAXED);
	if (w->kb != NULL) {
		struct tg_kback_stats ks;

		_Static_assert(sizeof(struct tg_kback_stats) % 8 == 0, "words");
		tg_kback_stats(w->kb, &ks);
		tg_dp_pub(&st->kb, &ks, sizeof(st->kb));
	}
}

/* ---- the worker ---------------------------------------------------------------------------- */

static tg_result tg_dp_listen(struct tg_dpdk_worker *w)
{
	const struct tg_worker_conf *wc = &w->dc->w;

	TG_ENSURE(wc->n_listen <= TG_DP_LISTEN_MAX, TG_E_INVAL);
	for (unsigned i = 0; i < wc->n_listen; i++) {
		struct tg_net_addr a;
		uint16_t port;
		bool dup = false;
		tg_result r;

		if (!tg_dp_addr(&wc->listen[i].sa, &a, &port) || port == 0) {
			TG_ERR("worker %u: cannot listen on %s: not an IP address "
			       "and port", wc->flow.id, wc->listen[i].text);
			return tg_error(TG_E_INVAL);
		}
		if (!tg_dp_addr_any(&a) && !tg_net_is_local(w->net, &a)) {
			char s[64];

			TG_ERR("worker %u: cannot listen on %s: %s is not an address "
			       "of the DPDK port (dpdk.address/dpdk.address6) nor a "
			       "wildcard", wc->flow.id, wc->listen[i].text,
			       tg_net_addr_str(&a, s, sizeof(s)));
			return tg_error(TG_E_INVAL);
		}
		/* one listener per port takes every address of ours */
		for (unsigned j = 0; j < i; j++) {
			struct tg_net_addr b;
			uint16_t bp;

			if (tg_dp_addr(&wc->listen[j].sa, &b, &bp) && bp == port)
				dup = true;
		}
		if (dup)
			continue;
		r = tg_tcp_listen(w->tcp, port, TG_UD(0, 0, TG_UD_LISTEN),
				  &w->lst[w->n_lst]);
		if (tg_failed(r)) {
			TG_ERR("worker %u: cannot listen on %s", wc->flow.id,
			       wc->listen[i].text);
			return r;
		}
		w->n_lst++;
	}
	return TG_OK;
}

/* the idle wait's hooks with kernel backends (tg_dpdk_idle) */
static bool tg_dp_kb_sleep(void *arg)
{
	return tg_kback_sleep(((struct tg_dpdk_worker *)arg)->kb);
}

static void tg_dp_kb_awake(void *arg)
{
	tg_kback_awake(((struct tg_dpdk_worker *)arg)->kb);
}

tg_result tg_dpdk_worker_new(const struct tg_dpdk_conf *c, struct tg_dpdk_worker **out)
{
	struct tg_dpdk_worker *w;
	struct tg_net_conf nc;
	struct tg_tcp_conf tc;
	struct tg_dpdk_port *p;
	unsigned slots;
	tg_result r;

	TG_ENSURE(c != NULL && out != NULL && c->port != NULL &&
			  c->queue < c->port->n_queues,
		  TG_E_INVAL);
	p = c->port;
	w = calloc(1, sizeof(*w));
	TG_ENSURE(w != NULL, TG_E_NOMEM);
	w->dc = c;
	w->fc = c->w.flow;
	w->ops = tg_dp_ops;
	if (!c->rx_chain) {
		w->ops.recv_chain = NULL;
		w->ops.send_chain = NULL;
	}
	w->fc.ops = &w->ops;
	w->fc.tctx = w;
	w->pr = calloc(TG_DP_PROBES, sizeof(*w->pr));
	if (w->pr == NULL) {
		free(w);
		return tg_error(TG_E_NOMEM);
	}
	memset(&nc, 0, sizeof(nc));
	nc.port = p->port;
	nc.queue = c->queue;
	nc.pool = p->pools[c->queue];
	nc.now_us = c->now_us;
	nc.clock_ctx = c->clock_ctx;
	nc.impair = c->impair;
	r = tg_net_new(&nc, &w->net);
	if (tg_ok(r))
		r = tg_flow_engine_new(&w->fc, &w->e);
	if (tg_ok(r)) {
		slots = tg_flow_engine_slots(w->e);
		w->df = calloc(slots, sizeof(*w->df));
		if (w->df == NULL)
			r = tg_error(TG_E_NOMEM);
	}
	if (tg_ok(r)) {
		memset(&tc, 0, sizeof(tc));
		tc.net = w->net;
		/* both sides of every flow, the probes, and room for those
		 * closing (their objects return once the FINs are done) */
		tc.max_conns = 2 * tg_flow_engine_slots(w->e) +
			       (c->health_interval_ms ? TG_DP_PROBES : 0) + 256;
		tc.max_tw = tc.max_conns;
		tc.secret_seed = c->tcp_seed;
		/* whole records sealed and opened in the send streams */
		tc.snd_big_mbufs = TG_DPDK_BIG_MBUFS_DEFAULT;
		r = tg_tcp_new(&tc, &w->tcp);
	}
	if (tg_ok(r))
		r = tg_dp_listen(w);
	if (tg_ok(r) && c->kernel_backends) {
		/* a backend connection can outlive its flow's slot until the
		 * helper hands it back: room for a second one per slot */
		struct tg_kback_conf kc = { .max_conns = 2 * tg_flow_engine_slots(w->e) + 64,
					    .ring_size = c->kback_ring,
					    .cpus = c->kback_cpus,
					    .wake_fd = c->w.wake_fd, .id = c->w.flow.id };

		r = tg_kback_new(&kc, &w->kb);
		/* the helper writes the eventfd only while we say we wait */
		w->idle.before = tg_dp_kb_sleep;
		w->idle.after = tg_dp_kb_awake;
		w->idle.arg = w;
	}
	if (tg_failed(r)) {
		tg_dpdk_worker_free(w);
		return r;
	}
	w->next_health_ms = tg_dp_now_ms(w);
	tg_dp_publish(w);
	*out = w;
	return TG_OK;
}

unsigned tg_dpdk_worker_poll(struct tg_dpdk_worker *w)
{
	unsigned work = tg_tcp_poll(w->tcp);
	unsigned k = tg_tcp_events(w->tcp, w->ev, TG_DP_EVENTS);
	uint64_t now;

	for (unsigned i = 0; i < k; i++)
		tg_dp_event(w, &w->ev[i]);
	k += tg_dp_kb_events(w);
	if (w->dc->health_interval_ms != 0)
		tg_dp_health(w);
	tg_flow_engine_round(w->e);
	tg_tcp_flush(w->tcp);
	now = tg_dp_now_ms(w);
	if (now >= w->next_publish_ms) {
		tg_dp_publish(w);
		w->next_publish_ms = now + TG_DP_PUBLISH_MS;
	}
	return work + k;
}

void tg_dpdk_worker_unlisten(struct tg_dpdk_worker *w)
{
	for (unsigned i = 0; i < w->n_lst; i++)
		tg_tcp_unlisten(w->tcp, w->lst[i]);
	w->n_lst = 0;
}

/* Poll the TCP alone for up to @p ms, or until @p done says so. */
static void tg_dp_linger(struct tg_dpdk_worker *w, unsigned ms,
			 bool (*done)(struct tg_dpdk_worker *w))
{
	uint64_t end = rte_get_tsc_cycles() + rte_get_tsc_hz() / 1000 * ms;

	while (rte_get_tsc_cycles() < end && !done(w)) {
		unsigned n = tg_tcp_poll(w->tcp);
		unsigned k = tg_tcp_events(w->tcp, w->ev, TG_DP_EVENTS);

		/* only probes can still report (the flows are gone) */
		for (unsigned i = 0; i < k; i++)
			tg_dp_event(w, &w->ev[i]);
		/* and the helper's answers to the closes (slots freed) */
		n += tg_dp_kb_events(w);
		tg_tcp_flush(w->tcp);
		if (n == 0)
			usleep(100);
	}
	tg_dp_publish(w);
}

static bool tg_dp_closed(struct tg_dpdk_worker *w)
{
	struct tg_kback_stats ks = { 0 };

	if (w->kb != NULL)
		tg_kback_stats(w->kb, &ks);
	/* every connection done with its FINs (TIME_WAIT needs no sending),
	 * every kernel backend's socket closed by the helper */
	return tg_tcp_stats(w->tcp)->active == 0 && ks.conns == 0;
}

void tg_dpdk_worker_stop(struct tg_dpdk_worker *w, unsigned linger_ms)
{
	tg_dpdk_worker_unlisten(w);
	tg_dp_probes_drop(w);
	tg_flow_engine_stop(w->e);
	tg_tcp_flush(w->tcp);
	tg_dp_linger(w, linger_ms, tg_dp_closed);
}

void tg_dpdk_worker_free(struct tg_dpdk_worker *w)
{
	if (w == NULL)
		return;
	/* the engine releases its flows through our ops: the TCP and the
	 * kernel backends' helper must live */
	tg_flow_engine_free(w->e);
	/* no more use of the helper: it is joined, its sockets closed */
	tg_kback_free(w->kb);
	if (w->tcp != NULL && w->pr != NULL)
		tg_dp_probes_drop(w);
	tg_backends_unref(w->hb);
	tg_tcp_free(w->tcp);
	tg_net_free(w->net);
	free(w->df);
	free(w->pr);
	free(w);
}

struct tg_flow_engine *tg_dpdk_worker_engine(const struct tg_dpdk_worker *w)
{
	return w->e;
}

struct tg_tcp *tg_dpdk_worker_tcp(const struct tg_dpdk_worker *w)
{
	return w->tcp;
}

/* Idle: wait for the control plane's wake-up or @p us, whichever first;
 * true when the control plane woke it. */
static bool tg_dp_wait(const struct tg_dpdk_conf *c, unsigned us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000 };

	if (c->w.wake_fd >= 0) {
		struct pollfd pfd = { .fd = c->w.wake_fd, .events = POLLIN };

		if (ppoll(&pfd, 1, &ts, NULL) == 1) {
			eventfd_t v;

			(void)!eventfd_read(c->w.wake_fd, &v);
			return true;
		}
	} else {
		nanosleep(&ts, NULL);
	}
	return false;
}

unsigned tg_dpdk_idle_next(const struct tg_dpdk_conf *c, unsigned last)
{
	unsigned first = c->idle_first_us != 0 && c->idle_first_us < c->idle_us
				 ? c->idle_first_us : c->idle_us;

	if (last == 0)
		return first;
	return last >= c->idle_us / 2 ? c->idle_us : last * 2;
}

bool tg_dpdk_idle_round(const struct tg_dpdk_conf *c, struct tg_dpdk_idle *s, bool work)
{
	if (work) {
		s->rounds = 0;
		s->wait_us = 0;
		return false;
	}
	if (c->idle_us == 0 || ++s->rounds <= TG_DPDK_IDLE_ROUNDS)
		return false;
	s->wait_us = tg_dpdk_idle_next(c, s->wait_us);
	/* news before the wait, or a handshake answer: work follows,
	 * start over */
	if (s->before != NULL && !s->before(s->arg))
		s->wait_us = 0;
	else if (tg_dp_wait(c, s->wait_us))
		s->wait_us = 0;
	if (s->after != NULL)
		s->after(s->arg);
	return true;
}

static bool tg_dp_all_finished(struct tg_dpdk_worker *w)
{
	const struct tg_dpdk_conf *c = w->dc;

	return c->finished == NULL ||
	       atomic_load(c->finished) >= (c->w.n_workers ? c->w.n_workers : 1);
}

int tg_dpdk_worker_main(void *arg)
{
	const struct tg_dpdk_conf *c = arg;
	const struct tg_worker_conf *wc = &c->w;
	struct tg_dpdk_worker *w = NULL;
	unsigned linger = c->linger_ms ? c->linger_ms : TG_DP_LINGER_MS;

	if (tg_failed(tg_dpdk_worker_new(c, &w))) {
		TG_ERR("worker %u: cannot start on DPDK queue %u", wc->flow.id, c->queue);
		atomic_store(wc->run, TG_STOP);
		/* the others must not wait for this one */
		if (c->finished != NULL)
			atomic_fetch_add(c->finished, 1);
		return -1;
	}
	TG_INFO("worker %u: DPDK queue %u, %u listeners, up to %u connections",
		wc->flow.id, c->queue, w->n_lst, tg_flow_engine_slots(w->e));
	if (!tg_worker_barrier(wc)) {
		if (c->finished != NULL)
			atomic_fetch_add(c->finished, 1);
		tg_dpdk_worker_free(w);
		return -1;
	}
	/* the gratuitous ARP and unsolicited NA go at once */
	tg_tcp_flush(w->tcp);
	for (;;) {
		int run = atomic_load(wc->run);

		if (run == TG_STOP)
			break;
		if (run == TG_DRAIN) {
			tg_dpdk_worker_unlisten(w);
			if (tg_flow_engine_drained(w->e))
				break;
		}
		/* frames the device did not take yet are work too: waiting
		 * would hold them up to the longest wait */
		(void)tg_dpdk_idle_round(c, &w->idle,
					 tg_dpdk_worker_poll(w) != 0 || tg_flow_engine_busy(w->e) ||
						 tg_net_tx_pending(tg_tcp_net(w->tcp)));
	}
	tg_dpdk_worker_stop(w, atomic_load(wc->run) == TG_STOP ? linger / 4 : linger);
	/* the others' packets may still pass through our queue (software
	 * dispatch): poll until every worker is done */
	if (c->finished != NULL)
		atomic_fetch_add(c->finished, 1);
	tg_dp_linger(w, linger, tg_dp_all_finished);
	tg_dpdk_worker_free(w);
	return 0;
}
