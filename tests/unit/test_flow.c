/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file test_flow.c
 * The flow engine (dataplane/flow) without sockets: an in-memory
 * transport (struct tg_flow_ops) holds each side's bytes, the test plays
 * the control plane on the engine's rings (HS_DATA in; HS_OUT,
 * KEY_INSTALL, HS_LATE, HS_FAIL out) and the TLS client with record
 * sessions of its own, and steps the engine's clock. As s2n-tls tests its
 * connection logic with in-memory I/O: late records, back-pressure both
 * ways, close ordering, half-close, resets, timeouts, drain, limits, the
 * zero-copy receive path.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "tg_accel.h"
#include "tg_backend.h"
#include "tg_ctl.h"
#include "tg_eal.h"
#include "tg_flow.h"
#include "tg_hs_msg.h"
#include "tg_ks.h"
#include "tg_stats.h"
#include "tg_test.h"
#include "tg_tls.h"

#define SLOTS 4
#define UNLIMITED ((size_t)-1)

/* ---- the in-memory transport ------------------------------------------------ */

/* One side of a flow as the transport sees it. */
struct mside {
	uint8_t *in;        /* bytes for the engine to receive */
	size_t in_len, in_off;
	bool eof;           /* after in: end of stream */
	int err;            /* after in: this -errno (a reset) */
	uint8_t *out;       /* bytes the engine sent */
	size_t out_len;
	size_t window;      /* bytes the peer takes before blocking */
	bool shut;          /* the engine shut the write side */
	bool rd, wr;        /* what the engine wants */
	bool fail_send;     /* send fails (a write error) */
	/* reservations (tg_flow_ops::send_reserve), oldest first */
	struct mresv {
		uint8_t *p;
		uint32_t prefix, len;
	} rv[64];
	unsigned rv_n;
	unsigned reserves, commits; /* made, committed with bytes */
	unsigned sends;     /* send calls that took bytes */
	unsigned chain_sends; /* chains appended (tg_flow_ops::send_chain) */
};

struct mflow {
	struct mside s[2];
	uint32_t gen;       /* of the flow in this slot */
	bool connecting;
	unsigned connects, aborts;
	char addr[256];     /* last connect's address */
	bool released;
};

struct mem {
	struct mflow f[SLOTS];
	int connect_fail;   /* connects to fail at once (TG_E_IO) */
	int connect_check;  /* what connect_check says of one under way */
	bool peek;          /* offer peek/consume (zero-copy receive) */
	unsigned peeked;    /* bytes the engine used in place */
	uint32_t seg;       /* peek: contiguous spans end at multiples of
			       this (0: one span), as segments do */
	int refuse;         /* reservations to refuse (an empty pool) */
	unsigned chained;   /* bytes taken out as chains (recv_chain) */
};

/* Bytes for the engine to receive never move (records may be opened in
 * place there, asynchronously: tg_flow_ops::peek): one allocation, made
 * large enough for any test. */
#define MEM_IN_CAP (1u << 20)

static void in_append(struct mside *s, const void *d, size_t n)
{
	if (s->in == NULL) {
		s->in = malloc(MEM_IN_CAP);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s->in);
	}
	CU_ASSERT_FATAL(s->in_len + n <= MEM_IN_CAP);
	memcpy(s->in + s->in_len, d, n);
	s->in_len += n;
}

static void buf_append(uint8_t **p, size_t *len, const void *d, size_t n)
{
	*p = realloc(*p, *len + n + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*p);
	memcpy(*p + *len, d, n);
	*len += n;
}

static struct mflow *mf(struct mem *m, const struct tg_flow *f)
{
	return &m->f[tg_flow_slot(f)];
}

static tg_result mem_connect(void *tctx, struct tg_flow *f,
			     const struct tg_addr *addr)
{
	struct mem *m = tctx;
	struct mflow *x = mf(m, f);

	x->connects++;
	snprintf(x->addr, sizeof(x->addr), "%s", addr->text);
	if (m->connect_fail > 0) {
		m->connect_fail--;
		return tg_error(TG_E_IO);
	}
	x->connecting = true;
	return TG_OK;
}

static ssize_t mem_recv(void *tctx, struct tg_flow *f, enum tg_flow_side side,
			const struct iovec *iov, int iovcnt)
{
	struct mside *s = &mf(tctx, f)->s[side];
	size_t got = 0;

	for (int i = 0; i < iovcnt && s->in_off < s->in_len; i++) {
		size_t n = s->in_len - s->in_off;

		if (n > iov[i].iov_len)
			n = iov[i].iov_len;
		memcpy(iov[i].iov_base, s->in + s->in_off, n);
		s->in_off += n;
		got += n;
	}
	if (got > 0)
		return (ssize_t)got;
	if (s->err)
		return s->err;
	return s->eof ? 0 : -EAGAIN;
}

static ssize_t mem_send(void *tctx, struct tg_flow *f, enum tg_flow_side side,
			const uint8_t *p, size_t len)
{
	struct mside *s = &mf(tctx, f)->s[side];
	size_t n = len < s->window ? len : s->window;

	if (s->fail_send)
		return -1;
	/* never while a reservation is outstanding: it is before them */
	CU_ASSERT_EQUAL(s->rv_n, 0);
	if (n > 0)
		s->sends++;
	buf_append(&s->out, &s->out_len, p, n);
	if (s->window != UNLIMITED)
		s->window -= n;
	return (ssize_t)n;
}

static void mem_want(void *tctx, struct tg_flow *f, enum tg_flow_side side,
		     bool rd, bool wr)
{
	struct mside *s = &mf(tctx, f)->s[side];

	s->rd = rd;
	s->wr = wr;
}

static void mem_shutdown(void *tctx, struct tg_flow *f, enum tg_flow_side side)
{
	mf(tctx, f)->s[side].shut = true;
}

static void mem_abort(void *tctx, struct tg_flow *f, enum tg_flow_side side)
{
	CU_ASSERT_EQUAL(side, TG_FLOW_BACKEND);
	mf(tctx, f)->aborts++;
	mf(tctx, f)->connecting = false;
}

static void mem_send_cancel(void *tctx, struct tg_flow *f, enum tg_flow_side side)
{
	struct mside *s = &mf(tctx, f)->s[side];

	for (unsigned i = 0; i < s->rv_n; i++) {
		/* poisoned: a record still sealed or opened there after the
		 * engine let it go would show (AddressSanitizer) */
		free(s->rv[i].p);
	}
	s->rv_n = 0;
}

static void mem_release(void *tctx, struct tg_flow *f)
{
	mf(tctx, f)->released = true;
	mem_send_cancel(tctx, f, TG_FLOW_CLIENT);
	mem_send_cancel(tctx, f, TG_FLOW_BACKEND);
}

static uint8_t *mem_send_reserve(void *tctx, struct tg_flow *f,
				 enum tg_flow_side side, uint32_t prefix,
				 uint32_t len)
{
	struct mem *m = tctx;
	struct mside *s = &mf(m, f)->s[side];
	uint8_t *p;

	CU_ASSERT_FATAL(prefix + len <= TG_FLOW_RESV_MAX && len > 0);
	if (m->refuse > 0) {
		m->refuse--;
		return NULL;
	}
	/* granted while writable, as our TCP does */
	if (s->window == 0 || s->fail_send || s->rv_n == RTE_DIM(s->rv))
		return NULL;
	p = malloc(prefix + len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	memset(p, 0xee, prefix + len);
	s->rv[s->rv_n++] = (struct mresv){ .p = p, .prefix = prefix, .len = len };
	s->reserves++;
	return p;
}

static void mem_send_commit(void *tctx, struct tg_flow *f,
			    enum tg_flow_side side, uint32_t n)
{
	struct mside *s = &mf(tctx, f)->s[side];
	struct mresv r;

	CU_ASSERT_FATAL(s->rv_n > 0);
	r = s->rv[0];
	memmove(s->rv, s->rv + 1, --s->rv_n * sizeof(s->rv[0]));
	CU_ASSERT_FATAL(n <= r.len);
	if (n > 0) {
		buf_append(&s->out, &s->out_len, r.p + r.prefix, n);
		s->commits++;
		if (s->window != UNLIMITED)
			s->window -= n < s->window ? n : s->window;
	}
	free(r.p);
}

static uint32_t mem_pending(void *tctx, struct tg_flow *f, enum tg_flow_side side)
{
	struct mside *s = &mf(tctx, f)->s[side];

	return (uint32_t)(s->in_len - s->in_off);
}

static uint32_t mem_peek(void *tctx, struct tg_flow *f, enum tg_flow_side side,
			 uint8_t **p)
{
	struct mem *m = tctx;
	struct mside *s = &mf(m, f)->s[side];
	uint32_t n = (uint32_t)(s->in_len - s->in_off);

	*p = s->in + s->in_off;
	if (m->seg != 0 && n > m->seg - s->in_off % m->seg)
		n = m->seg - (uint32_t)(s->in_off % m->seg);
	return n;
}

static void mem_consume(void *tctx, struct tg_flow *f, enum tg_flow_side side,
			uint32_t n)
{
	struct mem *m = tctx;
	struct mside *s = &mf(m, f)->s[side];

	CU_ASSERT_FATAL(s->in_off + n <= s->in_len);
	s->in_off += n;
	m->peeked += n;
}

static int mem_connect_check(void *tctx, struct tg_flow *f)
{
	struct mem *m = tctx;
	struct mflow *x = mf(m, f);

	if (!x->connecting)
		return 0;
	if (m->connect_check > 0)
		x->connecting = false;
	return m->connect_check;
}

static const struct tg_flow_ops mem_ops = {
	.name = "mem",
	.connect = mem_connect,
	.recv = mem_recv,
	.send = mem_send,
	.want = mem_want,
	.shutdown = mem_shutdown,
	.abort = mem_abort,
	.release = mem_release,
	.connect_check = mem_connect_check,
};

static const struct tg_flow_ops mem_ops_peek = {
	.name = "mem-peek",
	.connect = mem_connect,
	.recv = mem_recv,
	.send = mem_send,
	.want = mem_want,
	.shutdown = mem_shutdown,
	.abort = mem_abort,
	.release = mem_release,
	.peek = mem_peek,
	.consume = mem_consume,
	.connect_check = mem_connect_check,
};

/* The DPDK transport's shape: peek, and records sealed and opened in
 * reservations of the send streams. */
static const struct tg_flow_ops mem_ops_resv = {
	.name = "mem-resv",
	.connect = mem_connect,
	.recv = mem_recv,
	.send = mem_send,
	.want = mem_want,
	.shutdown = mem_shutdown,
	.abort = mem_abort,
	.release = mem_release,
	.peek = mem_peek,
	.consume = mem_consume,
	.connect_check = mem_connect_check,
	.send_reserve = mem_send_reserve,
	.send_commit = mem_send_commit,
	.send_cancel = mem_send_cancel,
	.pending = mem_pending,
};

/* The mbufs of the chains (a real transport's are its received
 * segments): every one back at each env_fini */
static struct rte_mempool *g_chain_pool;

/* recv_chain: the bytes as mbufs cut where peek's spans end (the
 * segments they arrived in; 1460 bytes without spans) */
static struct rte_mbuf *mem_recv_chain(void *tctx, struct tg_flow *f,
				       enum tg_flow_side side, uint32_t n,
				       unsigned max_segs)
{
	struct mem *m = tctx;
	struct mside *s = &mf(m, f)->s[side];
	uint32_t seg = m->seg != 0 ? m->seg : 1460, left = n;
	size_t off = s->in_off;
	struct rte_mbuf *head = NULL, *last = NULL;
	unsigned segs = 0;

	if (n == 0 || s->in_len - s->in_off < n)
		return NULL;
	for (size_t o = off; o < off + n; o += seg - o % seg)
		segs++;
	if (segs > max_segs)
		return NULL;
	while (left > 0) {
		uint32_t k = seg - (uint32_t)(off % seg);
		struct rte_mbuf *b = rte_pktmbuf_alloc(g_chain_pool);

		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		if (k > left)
			k = left;
		memcpy(rte_pktmbuf_append(b, (uint16_t)k), s->in + off, k);
		if (last != NULL)
			last->next = b;
		else
			head = b;
		last = b;
		off += k;
		left -= k;
	}
	head->nb_segs = (uint16_t)segs;
	head->pkt_len = n;
	s->in_off += n;
	m->chained += n;
	return head;
}

static int mem_send_chain(void *tctx, struct tg_flow *f, enum tg_flow_side side,
			  struct rte_mbuf *b)
{
	struct mside *s = &mf(tctx, f)->s[side];
	uint32_t n = rte_pktmbuf_pkt_len(b);

	if (s->fail_send)
		return -EPIPE;
	/* never while a reservation is outstanding: it is before them */
	CU_ASSERT_EQUAL(s->rv_n, 0);
	/* taken while writable, as our TCP does */
	if (s->window == 0)
		return -EAGAIN;
	for (struct rte_mbuf *x = b; x != NULL; x = x->next)
		buf_append(&s->out, &s->out_len, rte_pktmbuf_mtod(x, uint8_t *),
			   x->data_len);
	CU_ASSERT_EQUAL(s->out_len >= n, true);
	if (s->window != UNLIMITED)
		s->window -= n < s->window ? n : s->window;
	s->chain_sends++;
	rte_pktmbuf_free(b);
	return 0;
}

/* The DPDK transport on our TCP: reservations and chains. */
static const struct tg_flow_ops mem_ops_chain = {
	.name = "mem-chain",
	.connect = mem_connect,
	.recv = mem_recv,
	.send = mem_send,
	.want = mem_want,
	.shutdown = mem_shutdown,
	.abort = mem_abort,
	.release = mem_release,
	.peek = mem_peek,
	.consume = mem_consume,
	.connect_check = mem_connect_check,
	.send_reserve = mem_send_reserve,
	.send_commit = mem_send_commit,
	.send_cancel = mem_send_cancel,
	.pending = mem_pending,
	.recv_chain = mem_recv_chain,
	.send_chain = mem_send_chain,
};

/* ---- the test environment ----------------------------------------------------- */

/* env_init gives the engine mem_ops_resv (the tests that run again on
 * the reservation path), with spans of this many bytes (0: one) */
static bool g_resv;
static uint32_t g_resv_seg;
/* with g_resv: mem_ops_chain */
static bool g_chain;

static struct tg_accel *g_acc;
/* the engine's accel engine (the client's sessions are always g_acc's) */
static struct tg_accel *g_eng_acc;
static uint64_t g_now = 1000000;
static unsigned g_ring_id;
static unsigned g_ring_size = 256; /* entries of the rings to and from ctl */

static uint64_t test_now(void)
{
	return g_now;
}

struct env {
	struct mem mem;
	struct tg_flow_settings set;
	struct tg_flow_conf conf;
	struct tg_flow_engine *e;
	struct rte_ring *to_ctl, *from_ctl;
	struct tg_wk_stats st;
	struct tg_backends *be;
	struct tg_backends_cur be_cur;
	atomic_uint conns;
	char *log;
	size_t log_len;
	FILE *logf;
	/* the client's record sessions, and the keys both ends use */
	struct tg_keys c2s, s2c;
	struct tg_accel_sess *cli_tx, *cli_rx;
	/* what the client has read: plaintext, alerts */
	uint8_t *plain;
	size_t plain_len;
	size_t cli_off;        /* records consumed of the client's out */
	uint8_t alerts[16][2];
	unsigned n_alerts;
	/* TLS 1.3: the application secrets the client follows KeyUpdates
	 * with (c2s = its writes, s2c = the engine's) */
	bool v13;
	uint8_t sec_c2s[32], sec_s2c[32];
	uint8_t cli_pad;    /* TLS 1.3: zero padding in the client's records */
	unsigned ku_seen;      /* KeyUpdates read from the engine */
};

static void keys(struct tg_keys *k, uint8_t dir, uint8_t fill)
{
	memset(k, 0, sizeof(*k));
	k->version = TG_TLS12;
	k->suite = TG_SUITE_AES128GCM;
	k->dir = dir;
	k->key_len = 16;
	k->iv_len = 4;
	memset(k->key, fill, sizeof(k->key));
	memset(k->iv, fill ^ 0x5a, sizeof(k->iv));
	k->seq = 1; /* after Finished */
}

static void settings_default(struct tg_flow_settings *s)
{
	*s = (struct tg_flow_settings){
		.max_conns = 100, .max_conns_per_worker = SLOTS,
		.handshake_timeout_ms = 1000, .idle_timeout_ms = 5000,
		.drain_timeout_ms = 2000, .connect_timeout_ms = 300,
		.connect_retries = 2, .max_buffer = 32768,
		.record_small = 1000, .record_max = 16384,
		.record_ramp_bytes = 4000, .record_idle_ms = 1000,
		.proxy_protocol = TG_PROXY_NONE,
	};
}

static void env_init(struct env *t, const struct tg_flow_settings *set, bool peek)
{
	struct tg_backends_conf bc;
	char name[32];

	memset(t, 0, sizeof(*t));
	if (set != NULL)
		t->set = *set;
	else
		settings_default(&t->set);
	t->mem.peek = peek || g_resv;
	t->mem.seg = g_resv ? g_resv_seg : 0;
	for (int i = 0; i < SLOTS; i++) {
		t->mem.f[i].s[0].window = UNLIMITED;
		t->mem.f[i].s[1].window = UNLIMITED;
	}
	memset(&bc, 0, sizeof(bc));
	bc.n_pools = 1;
	bc.pools[0].n_be = 3;
	for (unsigned i = 0; i < 3; i++)
		snprintf(bc.pools[0].be[i].text, sizeof(bc.pools[0].be[i].text),
			 "be%u", i);
	TG_ASSERT_OK(tg_backends_new(&bc, &t->be));
	tg_backends_cur_init(&t->be_cur, tg_backends_ref(t->be));
	snprintf(name, sizeof(name), "tf_to_%u", g_ring_id);
	t->to_ctl = rte_ring_create(name, g_ring_size, 0,
				    RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
	snprintf(name, sizeof(name), "tf_from_%u", g_ring_id++);
	t->from_ctl = rte_ring_create(name, 256, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	CU_ASSERT_FATAL(t->to_ctl != NULL && t->from_ctl != NULL);
	t->logf = open_memstream(&t->log, &t->log_len);
	t->conf = (struct tg_flow_conf){
		.id = 0, .set = &t->set, .acc = g_eng_acc != NULL ? g_eng_acc : g_acc,
		.to_ctl = t->to_ctl, .from_ctl = t->from_ctl,
		.backends = &t->be_cur, .stats = &t->st, .conns_total = &t->conns,
		.access_log = t->logf,
		.ops = g_resv && g_chain ? &mem_ops_chain
		       : g_resv	       ? &mem_ops_resv
		       : peek	       ? &mem_ops_peek
				       : &mem_ops,
		.tctx = &t->mem, .now_ms = test_now,
	};
	TG_ASSERT_OK(tg_flow_engine_new(&t->conf, &t->e));
	keys(&t->c2s, TG_DIR_SEAL, 0x11);
	keys(&t->s2c, TG_DIR_OPEN, 0x22);
	TG_ASSERT_OK(tg_accel_sess_create(g_acc, &t->c2s, &t->cli_tx));
	TG_ASSERT_OK(tg_accel_sess_create(g_acc, &t->s2c, &t->cli_rx));
}

static void env_fini(struct env *t)
{
	void *m = NULL;

	tg_flow_engine_free(t->e);
	/* every chain's mbufs back */
	CU_ASSERT_EQUAL(rte_mempool_in_use_count(g_chain_pool), 0);
	while (rte_ring_dequeue(t->to_ctl, &m) == 0)
		tg_ctl_msg_free(m);
	while (rte_ring_dequeue(t->from_ctl, &m) == 0)
		tg_ctl_msg_free(m);
	rte_ring_free(t->to_ctl);
	rte_ring_free(t->from_ctl);
	tg_backends_cur_fini(&t->be_cur);
	tg_backends_unref(t->be);
	tg_accel_sess_free(t->cli_tx);
	tg_accel_sess_free(t->cli_rx);
	fclose(t->logf);
	free(t->log);
	free(t->plain);
	for (int i = 0; i < SLOTS; i++)
		for (int s = 0; s < 2; s++) {
			free(t->mem.f[i].s[s].in);
			free(t->mem.f[i].s[s].out);
		}
}

/* The transport's poll, level-triggered as epoll's default: a side the
 * engine wants to read is readable while it has bytes or an end; one it
 * wants to write is writable while the peer takes bytes. */
static bool mem_poll(struct env *t)
{
	bool any = false;

	for (uint32_t i = 0; i < SLOTS; i++) {
		struct mflow *x = &t->mem.f[i];
		struct tg_flow *f = tg_flow_find(t->e, i, x->gen);

		for (int s = 0; f != NULL && s < 2; s++) {
			struct mside *d = &x->s[s];

			if (d->rd && (d->in_off < d->in_len || d->eof || d->err)) {
				tg_flow_on_readable(t->e, f, (enum tg_flow_side)s);
				any = true;
			}
			if (d->wr && d->window > 0) {
				tg_flow_on_writable(t->e, f, (enum tg_flow_side)s);
				any = true;
			}
			f = tg_flow_find(t->e, i, x->gen);
		}
	}
	return any;
}

/* The engine's round, then the transport's polls and rounds as long as
 * there are events (bounded). */
static void round_(struct env *t)
{
	tg_flow_engine_round(t->e);
	for (int i = 0; i < 16 && mem_poll(t); i++)
		tg_flow_engine_round(t->e);
}

/* Advance the clock past the timer period and run a round. */
static void tick(struct env *t, uint64_t ms)
{
	g_now += ms;
	round_(t);
}

static struct tg_flow *accept_(struct env *t)
{
	struct sockaddr_storage peer = { .ss_family = AF_INET }, local = peer;
	struct tg_flow *f = tg_flow_accept(t->e, &peer, &local);

	if (f != NULL) {
		struct mflow *x = mf(&t->mem, f);
		size_t w0 = x->s[0].window, w1 = x->s[1].window;

		/* a reused slot starts clean */
		for (int s = 0; s < 2; s++) {
			free(x->s[s].in);
			free(x->s[s].out);
		}
		memset(x, 0, sizeof(*x));
		x->gen = tg_flow_gen(f);
		x->s[0].window = w0 ? w0 : UNLIMITED;
		x->s[1].window = w1 ? w1 : UNLIMITED;
	}
	return f;
}

/* Bytes arrive on @p side (readable event, then a round). */
static void arrive(struct env *t, struct tg_flow *f, enum tg_flow_side side,
		   const void *p, size_t n)
{
	struct mside *s = &mf(&t->mem, f)->s[side];

	in_append(s, p, n);
	tg_flow_on_readable(t->e, f, side);
	round_(t);
}

static void arrive_eof(struct env *t, struct tg_flow *f, enum tg_flow_side side,
		       int err)
{
	struct mside *s = &mf(&t->mem, f)->s[side];

	if (err)
		s->err = err;
	else
		s->eof = true;
	if (err && side == TG_FLOW_BACKEND)
		tg_flow_on_reset(t->e, f, side);
	else
		tg_flow_on_readable(t->e, f, side);
	round_(t);
}

/* A record from the client: sealed with the client's session. */
static size_t client_record(struct env *t, uint8_t type, const void *p,
			    uint32_t len, uint8_t *out, size_t cap)
{
	uint32_t hdr = tg_accel_hdr_len(t->cli_tx);
	struct tg_rec r = { .sess = t->cli_tx, .buf = out, .cap = (uint32_t)cap,
			    .off = hdr, .len = len, .type = type,
			    .pad = t->cli_pad };
	struct tg_rec *rp = &r;

	memcpy(out + hdr, p, len);
	CU_ASSERT_EQUAL_FATAL(tg_accel_seal_burst(&rp, 1), 1);
	return r.rec_len;
}

static void client_send(struct env *t, struct tg_flow *f, uint8_t type,
			const void *p, uint32_t len)
{
	static uint8_t rec[TG_REC_MAX_PLAIN + 256];

	arrive(t, f, TG_FLOW_CLIENT, rec,
	       client_record(t, type, p, len, rec, sizeof(rec)));
}

/* Open what the engine sent to the client since the last call. */
static void client_read(struct env *t, struct tg_flow *f)
{
	struct mside *s = &mf(&t->mem, f)->s[TG_FLOW_CLIENT];

	while (s->out_len - t->cli_off >= TG_REC_HDR_LEN) {
		uint32_t len = (uint32_t)s->out[t->cli_off + 3] << 8 |
			       s->out[t->cli_off + 4];
		struct tg_rec r;
		struct tg_rec *rp = &r;

		if (s->out_len - t->cli_off < TG_REC_HDR_LEN + len)
			break;
		r = (struct tg_rec){ .sess = t->cli_rx, .buf = s->out,
				     .cap = (uint32_t)s->out_len,
				     .rec_off = (uint32_t)t->cli_off,
				     .rec_len = TG_REC_HDR_LEN + len };
		CU_ASSERT_EQUAL_FATAL(tg_accel_open_burst(&rp, 1), 1);
		if (r.type == TG_CT_HANDSHAKE && t->v13) {
			/* the engine's KeyUpdate: its next records are
			 * under its next key */
			struct tg_keys k;
			struct tg_cur b = tg_cur_init(s->out + r.off + 4, r.len - 4);
			uint8_t req = 9;

			CU_ASSERT_EQUAL(r.len, 5);
			CU_ASSERT_EQUAL(s->out[r.off], TG_HS_KEY_UPDATE);
			TG_ASSERT_OK(tg_hs_key_update_parse(&b, &req));
			CU_ASSERT_EQUAL(req, TG_HS_UPDATE_NOT_REQUESTED);
			TG_ASSERT_OK(tg_ks_update(TG_HASH_SHA256, t->sec_s2c));
			TG_ASSERT_OK(tg_ks_traffic_keys(TG_HASH_SHA256, TG_SUITE_AES128GCM,
							t->sec_s2c, TG_DIR_OPEN, 0, &k));
			tg_accel_sess_free(t->cli_rx);
			TG_ASSERT_OK(tg_accel_sess_create(g_acc, &k, &t->cli_rx));
			t->ku_seen++;
		} else if (r.type == TG_CT_APPLICATION_DATA)
			buf_append(&t->plain, &t->plain_len, s->out + r.off, r.len);
		else if (r.type == TG_CT_ALERT && t->n_alerts < 16) {
			t->alerts[t->n_alerts][0] = s->out[r.off];
			t->alerts[t->n_alerts++][1] = s->out[r.off + 1];
		}
		t->cli_off += TG_REC_HDR_LEN + len;
	}
}

/* The control plane's side: the next message from the engine. */
static struct tg_ctl_msg *ctl_take(struct env *t)
{
	void *m = NULL;

	return rte_ring_dequeue(t->to_ctl, &m) == 0 ? m : NULL;
}

static void ctl_reply(struct env *t, struct tg_ctl_msg *m)
{
	CU_ASSERT_EQUAL_FATAL(rte_ring_enqueue(t->from_ctl, m), 0);
}

static struct tg_ctl_msg *ctl_msg(const struct tg_flow *f, uint8_t type,
				  const void *p, uint32_t len)
{
	struct tg_ctl_msg *m = tg_ctl_msg_new(type, 0, tg_flow_slot(f),
					      tg_flow_gen(f), p, len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	return m;
}

/* KEY_INSTALL for @p f: the control plane took @p n_data HS_DATA; @p p
 * are client bytes that followed Finished in the last of them. */
static void ctl_install(struct env *t, struct tg_flow *f, uint32_t n_data,
			const void *p, uint32_t len)
{
	struct tg_ctl_msg *m = ctl_msg(f, TG_CTL_KEY_INSTALL, p, len);

	m->n_data = n_data;
	keys(&m->rx, TG_DIR_OPEN, 0x11);  /* what the client seals with */
	keys(&m->tx, TG_DIR_SEAL, 0x22);  /* what the client opens with */
	m->info.version = TG_TLS12;
	m->info.suite = TG_CS_ECDHE_ECDSA_AES_128_GCM_SHA256;
	snprintf(m->info.sni, sizeof(m->info.sni), "www.example.com");
	ctl_reply(t, m);
	round_(t);
}

/* A flow through its handshake and connected to a backend. */
static struct tg_flow *open_flow(struct env *t)
{
	struct tg_flow *f = accept_(t);
	struct tg_ctl_msg *m;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	round_(t);
	arrive(t, f, TG_FLOW_CLIENT, "\x16\x03\x01hello", 8);
	m = ctl_take(t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->type, TG_CTL_HS_DATA);
	tg_ctl_msg_free(m);
	ctl_install(t, f, 1, NULL, 0);
	CU_ASSERT_TRUE_FATAL(mf(&t->mem, f)->connecting);
	tg_flow_backend_connected(t->e, f);
	round_(t);
	return f;
}

/* Assert with details on stderr. */
#define EXPECT_FLOW(cond, ...)                                                 \
	do {                                                                   \
		bool ok_ = (cond);                                             \
		CU_ASSERT(ok_);                                                \
		if (!ok_) {                                                    \
			fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);        \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
		}                                                              \
	} while (0)

static bool log_has(struct env *t, const char *s)
{
	fflush(t->logf);
	return t->log != NULL && strstr(t->log, s) != NULL;
}

/* ---- tests ------------------------------------------------------------------------ */

/* A whole flow: handshake bytes to the control plane, its flight to the
 * client, key install, backend connect, records both ways, the client's
 * close_notify passed on as FIN (half-close), the backend's answer still
 * delivered, then its FIN turned into close_notify and the close. */
static void test_lifecycle(void)
{
	struct env t;
	struct tg_flow *f;
	struct tg_ctl_msg *m;
	struct mflow *x;

	env_init(&t, NULL, false);
	f = accept_(&t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	x = mf(&t.mem, f);
	round_(&t);
	CU_ASSERT_TRUE(x->s[TG_FLOW_CLIENT].rd);
	arrive(&t, f, TG_FLOW_CLIENT, "\x16\x03\x01CH", 5);
	m = ctl_take(&t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->type, TG_CTL_HS_DATA);
	CU_ASSERT_EQUAL(m->len, 5);
	CU_ASSERT_EQUAL(memcmp(m->data, "\x16\x03\x01CH", 5), 0);
	tg_ctl_msg_free(m);
	/* the server's flight goes out as it is */
	ctl_reply(&t, ctl_msg(f, TG_CTL_HS_OUT, "flight", 6));
	round_(&t);
	CU_ASSERT_EQUAL(x->s[TG_FLOW_CLIENT].out_len, 6);
	t.cli_off = 6;
	/* keys; the backend is connected to, records wait for it */
	ctl_install(&t, f, 1, NULL, 0);
	CU_ASSERT_EQUAL(x->connects, 1);
	CU_ASSERT_STRING_EQUAL(x->addr, "be0");
	CU_ASSERT_EQUAL(t.st.hs_full, 1);
	client_send(&t, f, TG_CT_APPLICATION_DATA, "GET /", 5);
	CU_ASSERT_EQUAL(x->s[TG_FLOW_BACKEND].out_len, 0);
	tg_flow_backend_connected(t.e, f);
	round_(&t);
	CU_ASSERT_EQUAL_FATAL(x->s[TG_FLOW_BACKEND].out_len, 5);
	CU_ASSERT_EQUAL(memcmp(x->s[TG_FLOW_BACKEND].out, "GET /", 5), 0);
	/* client done sending: FIN to the backend, flow still open */
	client_send(&t, f, TG_CT_ALERT, "\x01\x00", 2);
	CU_ASSERT_TRUE(x->s[TG_FLOW_BACKEND].shut);
	CU_ASSERT_FALSE(x->released);
	/* the answer still reaches the client */
	arrive(&t, f, TG_FLOW_BACKEND, "HTTP/1.1 200 OK", 15);
	client_read(&t, f);
	CU_ASSERT_EQUAL(t.plain_len, 15);
	CU_ASSERT_EQUAL(memcmp(t.plain, "HTTP/1.1 200 OK", 15), 0);
	CU_ASSERT_FALSE(x->released);
	/* the backend's FIN: close_notify after the last record, closed */
	arrive_eof(&t, f, TG_FLOW_BACKEND, 0);
	client_read(&t, f);
	CU_ASSERT_EQUAL(t.n_alerts, 1);
	CU_ASSERT_EQUAL(t.alerts[0][1], TG_ALERT_CLOSE_NOTIFY);
	CU_ASSERT_TRUE(x->released);
	CU_ASSERT_EQUAL(tg_flow_engine_active(t.e), 0);
	CU_ASSERT_PTR_NULL(tg_flow_find(t.e, tg_flow_slot(f), tg_flow_gen(f) - 1));
	CU_ASSERT_TRUE(log_has(&t, "end=closed"));
	CU_ASSERT_TRUE(log_has(&t, "sni=www.example.com"));
	CU_ASSERT_EQUAL(t.st.bytes_to_backend, 5);
	CU_ASSERT_EQUAL(atomic_load(&t.conns), 0);
	CU_ASSERT_EQUAL(t.st.conns_accepted, 1);
	CU_ASSERT_EQUAL(t.st.conns_closed, 1);
	env_fini(&t);
}

/* Records that raced the key install: the control plane got them as
 * handshake bytes (two HS_DATA after the one that finished), they come
 * back as HS_LATE, and go to the backend before a record read later. */
static void test_late_records(void)
{
	struct env t;
	struct tg_flow *f;
	struct mflow *x;
	uint8_t r1[128], r2[128];
	size_t l1, l2;

	env_init(&t, NULL, false);
	f = accept_(&t);
	x = mf(&t.mem, f);
	arrive(&t, f, TG_FLOW_CLIENT, "\x16\x03\x01F", 4);
	l1 = client_record(&t, TG_CT_APPLICATION_DATA, "one,", 4, r1, sizeof(r1));
	l2 = client_record(&t, TG_CT_APPLICATION_DATA, "two,", 4, r2, sizeof(r2));
	arrive(&t, f, TG_FLOW_CLIENT, r1, l1);
	arrive(&t, f, TG_FLOW_CLIENT, r2, l2);
	for (int i = 0; i < 3; i++) {
		struct tg_ctl_msg *m = ctl_take(&t);

		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		CU_ASSERT_EQUAL(m->type, TG_CTL_HS_DATA);
		tg_ctl_msg_free(m);
	}
	/* the first finished the handshake: two come back late */
	ctl_install(&t, f, 1, NULL, 0);
	tg_flow_backend_connected(t.e, f);
	round_(&t);
	/* a record read now must wait for the late ones */
	client_send(&t, f, TG_CT_APPLICATION_DATA, "three", 5);
	CU_ASSERT_EQUAL(x->s[TG_FLOW_BACKEND].out_len, 0);
	CU_ASSERT_FALSE(x->s[TG_FLOW_CLIENT].rd); /* reading waits */
	ctl_reply(&t, ctl_msg(f, TG_CTL_HS_LATE, r1, (uint32_t)l1));
	round_(&t);
	ctl_reply(&t, ctl_msg(f, TG_CTL_HS_LATE, r2, (uint32_t)l2));
	round_(&t);
	/* now the one read meanwhile (still in the transport) */
	tg_flow_on_readable(t.e, f, TG_FLOW_CLIENT);
	round_(&t);
	CU_ASSERT_EQUAL_FATAL(x->s[TG_FLOW_BACKEND].out_len, 13);
	CU_ASSERT_EQUAL(memcmp(x->s[TG_FLOW_BACKEND].out, "one,two,three", 13), 0);
	CU_ASSERT_TRUE(x->s[TG_FLOW_CLIENT].rd);
	env_fini(&t);
}

/* Client bytes that followed Finished in the message that completed the
 * handshake come with KEY_INSTALL and are opened first. */
static void test_install_trailing(void)
{
	struct env t;
	struct tg_flow *f;
	struct mflow *x;
	uint8_t r[128];
	size_t l;

	env_init(&t, NULL, false);
	f = accept_(&t);
	x = mf(&t.mem, f);
	arrive(&t, f, TG_FLOW_CLIENT, "\x16\x03\x01F", 4);
	tg_ctl_msg_free(ctl_take(&t));
	l = client_record(&t, TG_CT_APPLICATION_DATA, "early", 5, r, sizeof(r));
	ctl_install(&t, f, 1, r, (uint32_t)l);
	tg_flow_backend_connected(t.e, f);
	round_(&t);
	CU_ASSERT_EQUAL_FATAL(x->s[TG_FLOW_BACKEND].out_len, 5);
	CU_ASSERT_EQUAL(memcmp(x->s[TG_FLOW_BACKEND].out, "early", 5), 0);
	env_fini(&t);
}

/* What reached the peer of @p side so far (the client's: opened). */
static size_t delivered(struct env *t, struct tg_flow *f, enum tg_flow_side side,
			const uint8_t **p)
{
	struct mside *s = &mf(&t->mem, f)->s[side];

	if (side == TG_FLOW_BACKEND) {
		*p = s->out;
		return s->out_len;
	}
	client_read(t, f);
	*p = t->plain;
	return t->plain_len;
}

/*
 * Back-pressure: the peer of @p stalled takes nothing; the engine fills
 * its buffer towards it, stops reading the other side (whose bytes wait
 * in the transport), and once the peer takes bytes again resumes: all
 * @p chunks of @p chunk_len bytes arrive, in order. Returns the records
 * the engine sealed (towards a stalled client).
 */
static uint64_t backpressure(enum tg_flow_side stalled, uint32_t chunk_len,
			     int chunks)
{
	enum tg_flow_side src = stalled == TG_FLOW_CLIENT ? TG_FLOW_BACKEND
							  : TG_FLOW_CLIENT;
	static uint8_t chunk[16384];
	struct env t;
	struct tg_flow *f;
	struct mflow *x;
	const uint8_t *got;
	size_t sent = 0, n;
	uint64_t sealed = 0;

	env_init(&t, NULL, false);
	f = open_flow(&t);
	x = mf(&t.mem, f);
	x->s[stalled].window = 0;
	for (int i = 0; i < chunks; i++) {
		memset(chunk, 'a' + i, chunk_len);
		if (src == TG_FLOW_CLIENT)
			client_send(&t, f, TG_CT_APPLICATION_DATA, chunk, chunk_len);
		else
			arrive(&t, f, TG_FLOW_BACKEND, chunk, chunk_len);
		sent += chunk_len;
	}
	CU_ASSERT_FALSE(x->s[src].rd);
	CU_ASSERT_TRUE(x->s[stalled].wr);
	CU_ASSERT(x->s[src].in_off < x->s[src].in_len);
	x->s[stalled].window = UNLIMITED;
	for (int i = 0; i < 400 && delivered(&t, f, stalled, &got) < sent; i++)
		round_(&t);
	n = delivered(&t, f, stalled, &got);
	CU_ASSERT_EQUAL(n, sent);
	for (size_t i = 0; i < n; i++)
		if (got[i] != 'a' + i / chunk_len) {
			CU_FAIL("bytes out of order");
			break;
		}
	for (int b = 0; b < TG_STATS_MAX_BACKENDS; b++)
		sealed += t.st.records_sealed[b];
	env_fini(&t);
	return sealed;
}

/* Client -> backend: a backend that takes nothing fills bout. */
static void test_backpressure_to_backend(void)
{
	(void)backpressure(TG_FLOW_BACKEND, 8000, 12);
}

/* Backend -> client: a client that takes nothing fills cout; records
 * start small, then grow (dynamic record size). */
static void test_backpressure_to_client(void)
{
	CU_ASSERT(backpressure(TG_FLOW_CLIENT, 16384, 8) >= 8 + 4);
}

/* A backend reset after its answer: the answer is delivered, then the
 * flow ends without close_notify (the client sees the cut). */
static void test_backend_reset(void)
{
	struct env t;
	struct tg_flow *f;
	struct mflow *x;

	env_init(&t, NULL, false);
	f = open_flow(&t);
	x = mf(&t.mem, f);
	in_append(&x->s[TG_FLOW_BACKEND], "partial", 7);
	arrive_eof(&t, f, TG_FLOW_BACKEND, -ECONNRESET);
	client_read(&t, f);
	CU_ASSERT_EQUAL(t.plain_len, 7);
	CU_ASSERT_EQUAL(t.n_alerts, 0);
	CU_ASSERT_TRUE(x->released);
	CU_ASSERT_EQUAL(t.st.backend_closed_early, 1);
	env_fini(&t);
}

/* A client reset closes the flow at once, in any state. */
static void test_client_reset(void)
{
	struct env t;
	struct tg_flow *f, *g;
	struct tg_ctl_msg *m;

	env_init(&t, NULL, false);
	f = open_flow(&t);
	tg_flow_on_reset(t.e, f, TG_FLOW_CLIENT);
	round_(&t);
	CU_ASSERT_TRUE(mf(&t.mem, f)->released);
	CU_ASSERT_TRUE(log_has(&t, "end=client-reset"));
	/* in the handshake: the control plane is told to forget it */
	g = accept_(&t);
	arrive(&t, g, TG_FLOW_CLIENT, "\x16\x03\x01", 3);
	tg_ctl_msg_free(ctl_take(&t));
	tg_flow_on_reset(t.e, g, TG_FLOW_CLIENT);
	m = ctl_take(&t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->type, TG_CTL_HS_CLOSE);
	tg_ctl_msg_free(m);
	CU_ASSERT_EQUAL(tg_flow_engine_active(t.e), 0);
	env_fini(&t);
}

/* A client that closes right after its last flight: the control plane
 * is asked (HS_EOF) and the handshake it completes is counted. */
static void test_client_eof_in_handshake(void)
{
	struct env t;
	struct tg_flow *f;
	struct tg_ctl_msg *m;

	env_init(&t, NULL, false);
	f = accept_(&t);
	arrive(&t, f, TG_FLOW_CLIENT, "\x16\x03\x01F", 4);
	tg_ctl_msg_free(ctl_take(&t));
	arrive_eof(&t, f, TG_FLOW_CLIENT, 0);
	m = ctl_take(&t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->type, TG_CTL_HS_EOF);
	tg_ctl_msg_free(m);
	CU_ASSERT_FALSE(mf(&t.mem, f)->s[TG_FLOW_CLIENT].rd);
	ctl_install(&t, f, 1, NULL, 0);
	CU_ASSERT_TRUE(mf(&t.mem, f)->released);
	CU_ASSERT_EQUAL(t.st.hs_full, 1);
	CU_ASSERT_TRUE(log_has(&t, "end=client-closed-after-handshake"));
	/* one that sent nothing at all is just gone (nothing to tell the
	 * control plane, which never heard of it) */
	f = accept_(&t);
	arrive_eof(&t, f, TG_FLOW_CLIENT, 0);
	CU_ASSERT_PTR_NULL(ctl_take(&t));
	CU_ASSERT_TRUE(mf(&t.mem, f)->released);
	env_fini(&t);
}

/* The control plane's verdict: its alert goes out, then the close. */
static void test_handshake_fail(void)
{
	struct env t;
	struct tg_flow *f;
	struct tg_ctl_msg *m;

	env_init(&t, NULL, false);
	f = accept_(&t);
	arrive(&t, f, TG_FLOW_CLIENT, "\x16\x03\x01X", 4);
	tg_ctl_msg_free(ctl_take(&t));
	ctl_reply(&t, ctl_msg(f, TG_CTL_HS_OUT, "\x15\x03\x03\x00\x02\x02\x28", 7));
	m = ctl_msg(f, TG_CTL_HS_FAIL, NULL, 0);
	m->info.alert_sent = TG_ALERT_HANDSHAKE_FAILURE;
	ctl_reply(&t, m);
	round_(&t);
	CU_ASSERT_EQUAL(mf(&t.mem, f)->s[TG_FLOW_CLIENT].out_len, 7);
	CU_ASSERT_TRUE(mf(&t.mem, f)->released);
	CU_ASSERT_EQUAL(t.st.hs_failed, 1);
	CU_ASSERT_EQUAL(t.st.hs_failed_alert[TG_ALERT_HANDSHAKE_FAILURE], 1);
	CU_ASSERT_TRUE(log_has(&t, "end=alert alert=handshake_failure"));
	env_fini(&t);
}

/* A record that fails to open: bad_record_mac, then the close; one over
 * the length limit: record_overflow before its bytes arrive. */
static void test_bad_records(void)
{
	struct env t;
	struct tg_flow *f;
	uint8_t r[128];
	size_t l;

	env_init(&t, NULL, false);
	f = open_flow(&t);
	l = client_record(&t, TG_CT_APPLICATION_DATA, "data", 4, r, sizeof(r));
	r[l - 1] ^= 1;
	arrive(&t, f, TG_FLOW_CLIENT, r, l);
	client_read(&t, f);
	CU_ASSERT_EQUAL(t.n_alerts, 1);
	CU_ASSERT_EQUAL(t.alerts[0][0], TG_ALERT_FATAL);
	CU_ASSERT_EQUAL(t.alerts[0][1], TG_ALERT_BAD_RECORD_MAC);
	CU_ASSERT_TRUE(mf(&t.mem, f)->released);
	CU_ASSERT_EQUAL(mf(&t.mem, f)->s[TG_FLOW_BACKEND].out_len, 0);
	env_fini(&t);

	env_init(&t, NULL, false);
	f = open_flow(&t);
	arrive(&t, f, TG_FLOW_CLIENT, "\x17\x03\x03\x48\x01", 5);
	client_read(&t, f);
	CU_ASSERT_EQUAL(t.n_alerts, 1);
	CU_ASSERT_EQUAL(t.alerts[0][1], TG_ALERT_RECORD_OVERFLOW);
	CU_ASSERT_TRUE(mf(&t.mem, f)->released);
	CU_ASSERT_EQUAL(t.st.record_errors, 1);
	env_fini(&t);
}

/* Timers: handshake timeout; connect timeout tries the next backend, and
 * the last one's ends the flow with internal_error; idle timeout sends
 * close_notify; a client that takes nothing while closing is dropped. */
static void test_timeouts(void)
{
	struct env t;
	struct tg_flow *f;
	struct tg_ctl_msg *m;
	struct mflow *x;

	env_init(&t, NULL, false);
	f = accept_(&t);
	arrive(&t, f, TG_FLOW_CLIENT, "\x16\x03\x01", 3);
	tg_ctl_msg_free(ctl_take(&t));
	tick(&t, 900);
	CU_ASSERT_FALSE(mf(&t.mem, f)->released);
	tick(&t, 200);
	CU_ASSERT_TRUE(mf(&t.mem, f)->released);
	CU_ASSERT_EQUAL(t.st.hs_timeouts, 1);
	m = ctl_take(&t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->type, TG_CTL_HS_CLOSE);
	tg_ctl_msg_free(m);

	/* connect: three backends, retries 2, each times out */
	f = accept_(&t);
	x = mf(&t.mem, f);
	arrive(&t, f, TG_FLOW_CLIENT, "\x16\x03\x01", 3);
	tg_ctl_msg_free(ctl_take(&t));
	ctl_install(&t, f, 1, NULL, 0);
	CU_ASSERT_EQUAL(x->connects, 1);
	tick(&t, 350);
	CU_ASSERT_EQUAL(x->aborts, 1);
	CU_ASSERT_EQUAL(x->connects, 2);
	tick(&t, 350);
	tick(&t, 350);
	CU_ASSERT_EQUAL(x->connects, 3);
	CU_ASSERT_EQUAL(x->aborts, 3);
	CU_ASSERT_TRUE(x->released);
	CU_ASSERT_EQUAL(t.st.backend_connect_errors, 3);
	client_read(&t, f);
	CU_ASSERT_EQUAL(t.n_alerts, 1);
	CU_ASSERT_EQUAL(t.alerts[0][1], TG_ALERT_INTERNAL_ERROR);
	env_fini(&t);

	/* idle: close_notify after idle_timeout without a byte */
	env_init(&t, NULL, false);
	f = open_flow(&t);
	tick(&t, 4000);
	CU_ASSERT_FALSE(mf(&t.mem, f)->released);
	tick(&t, 1100);
	client_read(&t, f);
	CU_ASSERT_EQUAL(t.st.idle_timeouts, 1);
	CU_ASSERT_EQUAL(t.n_alerts, 1);
	CU_ASSERT_EQUAL(t.alerts[0][1], TG_ALERT_CLOSE_NOTIFY);
	CU_ASSERT_TRUE(mf(&t.mem, f)->released);
	env_fini(&t);

	/* closing, and the client takes nothing of what is left */
	env_init(&t, NULL, false);
	f = open_flow(&t);
	x = mf(&t.mem, f);
	x->s[TG_FLOW_CLIENT].window = 0;
	arrive(&t, f, TG_FLOW_BACKEND, "answer", 6);
	arrive_eof(&t, f, TG_FLOW_BACKEND, 0);
	CU_ASSERT_FALSE(x->released);
	CU_ASSERT_TRUE(x->s[TG_FLOW_CLIENT].wr);
	tick(&t, 3000);
	CU_ASSERT_FALSE(x->released);
	tick(&t, 3000);
	if (g_resv) {
		/* records in the client's stream: while it takes nothing the
		 * backend is not read, its end not seen; the idle timeout's
		 * close_notify, then the closing timeout */
		CU_ASSERT_FALSE(x->released);
		tick(&t, 5100);
	}
	CU_ASSERT_TRUE(x->released);
	CU_ASSERT_TRUE(log_has(&t, "end=closing-timeout"));
	env_fini(&t);
}

/* A connect whose time is up but which ended meanwhile, its event not
 * delivered yet (a worker descheduled longer than the timeout: e2e's
 * 200 connections on a loaded machine got internal_error): the
 * transport is asked, and a connected one is used, not given up. One
 * that failed, or is still under way, is given up as before. */
static void test_connect_check(void)
{
	struct env t;
	struct tg_flow *f;
	struct mflow *x;

	env_init(&t, NULL, false);
	f = accept_(&t);
	x = mf(&t.mem, f);
	arrive(&t, f, TG_FLOW_CLIENT, "\x16\x03\x01", 3);
	tg_ctl_msg_free(ctl_take(&t));
	ctl_install(&t, f, 1, NULL, 0);
	CU_ASSERT_TRUE_FATAL(x->connecting);
	client_send(&t, f, TG_CT_APPLICATION_DATA, "early", 5);
	t.mem.connect_check = 1;
	tick(&t, 350);
	CU_ASSERT_EQUAL(x->aborts, 0);
	CU_ASSERT_EQUAL(x->connects, 1);
	CU_ASSERT_EQUAL(t.st.backend_connect_errors, 0);
	CU_ASSERT_FALSE(x->released);
	round_(&t);
	CU_ASSERT_EQUAL_FATAL(x->s[TG_FLOW_BACKEND].out_len, 5);
	CU_ASSERT_EQUAL(memcmp(x->s[TG_FLOW_BACKEND].out, "early", 5), 0);
	/* the connection serves: an answer reaches the client */
	arrive(&t, f, TG_FLOW_BACKEND, "late", 4);
	client_read(&t, f);
	CU_ASSERT(t.plain_len == 4 && memcmp(t.plain, "late", 4) == 0);
	CU_ASSERT_EQUAL(t.n_alerts, 0);
	env_fini(&t);

	/* failed meanwhile, or still under way: the next backend */
	for (int v = -1; v <= 0; v++) {
		env_init(&t, NULL, false);
		f = accept_(&t);
		x = mf(&t.mem, f);
		arrive(&t, f, TG_FLOW_CLIENT, "\x16\x03\x01", 3);
		tg_ctl_msg_free(ctl_take(&t));
		ctl_install(&t, f, 1, NULL, 0);
		t.mem.connect_check = v;
		tick(&t, 350);
		CU_ASSERT_EQUAL(x->aborts, 1);
		CU_ASSERT_EQUAL(x->connects, 2);
		CU_ASSERT_EQUAL(t.st.backend_connect_errors, 1);
		env_fini(&t);
	}
}

/* Backends that refuse at once are counted and skipped; with none left
 * the client gets internal_error. */
static void test_connect_refused(void)
{
	struct env t;
	struct tg_flow *f;

	env_init(&t, NULL, false);
	t.mem.connect_fail = 1;
	f = accept_(&t);
	arrive(&t, f, TG_FLOW_CLIENT, "\x16\x03\x01", 3);
	tg_ctl_msg_free(ctl_take(&t));
	ctl_install(&t, f, 1, NULL, 0);
	CU_ASSERT_EQUAL(mf(&t.mem, f)->connects, 2);
	CU_ASSERT_TRUE(mf(&t.mem, f)->connecting);
	/* the pending one fails later: the third is tried */
	tg_flow_backend_failed(t.e, f);
	round_(&t);
	CU_ASSERT_EQUAL(mf(&t.mem, f)->connects, 3);
	tg_flow_backend_failed(t.e, f);
	round_(&t);
	CU_ASSERT_TRUE(mf(&t.mem, f)->released);
	CU_ASSERT_EQUAL(t.st.backend_connect_errors, 3);
	env_fini(&t);
}

/* Drain: not done while a flow is open, done when it closes or at the
 * deadline; stop says close_notify to what is left. */
static void test_drain_and_stop(void)
{
	struct env t;
	struct tg_flow *f;

	env_init(&t, NULL, false);
	CU_ASSERT_TRUE(tg_flow_engine_drained(t.e));
	env_fini(&t);

	env_init(&t, NULL, false);
	f = open_flow(&t);
	CU_ASSERT_FALSE(tg_flow_engine_drained(t.e));
	tick(&t, 1000);
	CU_ASSERT_FALSE(tg_flow_engine_drained(t.e));
	g_now += 1100;
	CU_ASSERT_TRUE(tg_flow_engine_drained(t.e));
	tg_flow_engine_stop(t.e);
	client_read(&t, f);
	CU_ASSERT_EQUAL(t.n_alerts, 1);
	CU_ASSERT_EQUAL(t.alerts[0][1], TG_ALERT_CLOSE_NOTIFY);
	CU_ASSERT_TRUE(mf(&t.mem, f)->released);
	CU_ASSERT_EQUAL(tg_flow_engine_active(t.e), 0);
	env_fini(&t);
}

/* Limits: the engine's slots and the global count; a slot reused gets a
 * new generation, and events of the old flow find nothing. */
static void test_limits_and_generations(void)
{
	struct env t;
	struct tg_flow *f[SLOTS];
	uint32_t slot, gen;

	env_init(&t, NULL, false);
	for (int i = 0; i < SLOTS; i++) {
		f[i] = accept_(&t);
		CU_ASSERT_PTR_NOT_NULL_FATAL(f[i]);
	}
	CU_ASSERT_PTR_NULL(accept_(&t));
	CU_ASSERT_EQUAL(t.st.conns_refused, 1);
	CU_ASSERT_EQUAL(atomic_load(&t.conns), SLOTS);
	slot = tg_flow_slot(f[1]);
	gen = tg_flow_gen(f[1]);
	tg_flow_on_reset(t.e, f[1], TG_FLOW_CLIENT);
	CU_ASSERT_PTR_NULL(tg_flow_find(t.e, slot, gen));
	f[1] = accept_(&t);
	CU_ASSERT_EQUAL(tg_flow_slot(f[1]), slot);
	CU_ASSERT_PTR_NULL(tg_flow_find(t.e, slot, gen));
	CU_ASSERT_PTR_EQUAL(tg_flow_find(t.e, slot, tg_flow_gen(f[1])), f[1]);
	env_fini(&t);

	/* the global limit, shared by engines */
	env_init(&t, NULL, false);
	atomic_store(&t.conns, t.set.max_conns);
	CU_ASSERT_PTR_NULL(accept_(&t));
	CU_ASSERT_EQUAL(atomic_load(&t.conns), t.set.max_conns);
	atomic_store(&t.conns, 0);
	env_fini(&t);
}

/* PROXY v1: the header is the backend's first bytes, before client data
 * opened while the backend was still connecting. */
static void test_proxy_header_first(void)
{
	struct env t;
	struct tg_flow_settings s;
	struct tg_flow *f;
	struct mflow *x;
	struct sockaddr_in *a;
	struct sockaddr_storage peer = { 0 }, local = { 0 };
	uint8_t r[128];
	size_t l;

	settings_default(&s);
	s.proxy_protocol = TG_PROXY_V1;
	env_init(&t, &s, false);
	a = (struct sockaddr_in *)&peer;
	a->sin_family = AF_INET;
	a->sin_port = htons(40000);
	a->sin_addr.s_addr = htonl(0xc6120001);
	a = (struct sockaddr_in *)&local;
	a->sin_family = AF_INET;
	a->sin_port = htons(443);
	a->sin_addr.s_addr = htonl(0xc6120002);
	f = tg_flow_accept(t.e, &peer, &local);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	x = mf(&t.mem, f);
	arrive(&t, f, TG_FLOW_CLIENT, "\x16\x03\x01", 3);
	tg_ctl_msg_free(ctl_take(&t));
	l = client_record(&t, TG_CT_APPLICATION_DATA, "GET /", 5, r, sizeof(r));
	ctl_install(&t, f, 1, r, (uint32_t)l);
	tg_flow_backend_connected(t.e, f);
	round_(&t);
	CU_ASSERT_EQUAL_FATAL(x->s[TG_FLOW_BACKEND].out_len,
			      strlen("PROXY TCP4 198.18.0.1 198.18.0.2 40000 443\r\nGET /"));
	CU_ASSERT_EQUAL(memcmp(x->s[TG_FLOW_BACKEND].out,
			       "PROXY TCP4 198.18.0.1 198.18.0.2 40000 443\r\nGET /",
			       x->s[TG_FLOW_BACKEND].out_len), 0);
	env_fini(&t);
}

/* Records from many flows go through one burst each way. */
static void test_cross_flow_bursts(void)
{
	struct env t;
	struct tg_flow *f[SLOTS];
	uint64_t bursts = 0;

	env_init(&t, NULL, false);
	for (int i = 0; i < SLOTS; i++)
		f[i] = open_flow(&t);
	memset(t.st.burst_hist, 0, sizeof(t.st.burst_hist));
	for (int i = 0; i < SLOTS; i++) {
		struct mside *s = &mf(&t.mem, f[i])->s[TG_FLOW_BACKEND];

		in_append(s, "response", 8);
		tg_flow_on_readable(t.e, f[i], TG_FLOW_BACKEND);
	}
	round_(&t);
	for (int b = 0; b < TG_STATS_BURST_BUCKETS; b++)
		bursts += t.st.burst_hist[b];
	CU_ASSERT_EQUAL(bursts, 1);
	CU_ASSERT_EQUAL(t.st.burst_hist[tg_stats_burst_bucket(SLOTS)], 1);
	env_fini(&t);
}

/* The zero-copy receive path: records that lie whole in the transport's
 * bytes are opened there (consumed, never copied); a record cut at the
 * end of what has arrived is copied into the engine (the transport is
 * drained: a level-triggered readable would spin on it otherwise) and
 * completed there; everything arrives in order. */
static void test_peek_receive(void)
{
	static uint8_t big[4 * (TG_REC_MAX_PLAIN + 64)];
	struct env t;
	struct tg_flow *f;
	struct mflow *x;
	size_t len = 0, rl[4], cut;
	static char msg[4][3000];

	env_init(&t, NULL, true);
	f = open_flow(&t);
	x = mf(&t.mem, f);
	for (int i = 0; i < 4; i++) {
		memset(msg[i], '0' + i, sizeof(msg[i]));
		rl[i] = client_record(&t, TG_CT_APPLICATION_DATA, msg[i],
				      sizeof(msg[i]), big + len, sizeof(big) - len);
		len += rl[i];
	}
	/* two whole records and the head of the third */
	cut = rl[0] + rl[1] + 100;
	t.mem.peeked = 0;
	arrive(&t, f, TG_FLOW_CLIENT, big, cut);
	CU_ASSERT_EQUAL(x->s[TG_FLOW_BACKEND].out_len, 6000);
	CU_ASSERT_EQUAL(t.mem.peeked, rl[0] + rl[1]);
	CU_ASSERT_EQUAL(x->s[TG_FLOW_CLIENT].in_off, x->s[TG_FLOW_CLIENT].in_len);
	/* the third's rest (copied: it started in the engine's buffer) */
	arrive(&t, f, TG_FLOW_CLIENT, big + cut, rl[0] + rl[1] + rl[2] - cut);
	CU_ASSERT_EQUAL(x->s[TG_FLOW_BACKEND].out_len, 9000);
	CU_ASSERT_EQUAL(t.mem.peeked, rl[0] + rl[1]);
	/* the fourth, whole, in place again */
	arrive(&t, f, TG_FLOW_CLIENT, big + len - rl[3], rl[3]);
	CU_ASSERT_EQUAL_FATAL(x->s[TG_FLOW_BACKEND].out_len, 12000);
	CU_ASSERT_EQUAL(t.mem.peeked, rl[0] + rl[1] + rl[3]);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(memcmp(x->s[TG_FLOW_BACKEND].out + 3000 * i, msg[i],
				       3000), 0);
	CU_ASSERT_EQUAL(x->s[TG_FLOW_CLIENT].in_off, x->s[TG_FLOW_CLIENT].in_len);
	CU_ASSERT_EQUAL(t.st.bytes_from_client, 8 + len);
	env_fini(&t);
}

/* PROXY header with the smallest max_buffer while the backend is slow to
 * connect and the client fills bout: the header is still the backend's
 * first bytes, every client byte follows in order, nothing overruns (it
 * was moved in front of a full bout once: ASan's heap overflow). */
static void test_proxy_header_full_bout(void)
{
	static uint8_t chunk[10000];
	for (int v = 1; v <= 2; v++) {
		struct env t;
		struct tg_flow_settings s;
		struct tg_flow *f;
		struct mflow *x;
		size_t sent = 0, hl;

		settings_default(&s);
		s.max_buffer = 32768;
		s.proxy_protocol = v == 1 ? TG_PROXY_V1 : TG_PROXY_V2;
		env_init(&t, &s, false);
		f = accept_(&t);
		x = mf(&t.mem, f);
		arrive(&t, f, TG_FLOW_CLIENT, "\x16\x03\x01", 3);
		tg_ctl_msg_free(ctl_take(&t));
		ctl_install(&t, f, 1, NULL, 0);
		CU_ASSERT_TRUE_FATAL(x->connecting);
		for (int i = 0; i < 6; i++) {
			memset(chunk, 'a' + i, sizeof(chunk));
			client_send(&t, f, TG_CT_APPLICATION_DATA, chunk, sizeof(chunk));
			sent += sizeof(chunk);
		}
		CU_ASSERT_EQUAL(x->s[TG_FLOW_BACKEND].out_len, 0);
		tg_flow_backend_connected(t.e, f);
		round_(&t);
		for (int i = 0; i < 20 && x->s[TG_FLOW_BACKEND].out_len < sent; i++)
			tick(&t, 1);
		hl = v == 1 ? strlen("PROXY TCP4 0.0.0.0 0.0.0.0 0 0\r\n") : 16 + 12;
		CU_ASSERT(x->s[TG_FLOW_BACKEND].out_len >= hl + sent);
		CU_ASSERT_EQUAL(memcmp(x->s[TG_FLOW_BACKEND].out,
				       v == 1 ? "PROXY TCP4 " : "\r\n\r\n\0\r\nQUIT\n",
				       v == 1 ? 11 : 12), 0);
		/* the client's bytes, in order, right after the header */
		hl = x->s[TG_FLOW_BACKEND].out_len - sent;
		for (size_t i = 0; i < sent; i++)
			if (x->s[TG_FLOW_BACKEND].out[hl + i] != 'a' + i / sizeof(chunk)) {
				CU_FAIL("client bytes after the header out of order");
				break;
			}
		env_fini(&t);
	}
}

/* RFC 5246 §7.2.1: data after the client's close_notify is ignored. */
static void test_after_close_notify(void)
{
	static uint8_t recs[512];
	struct env t;
	struct tg_flow *f;
	struct mflow *x;
	size_t l = 0;

	env_init(&t, NULL, false);
	f = open_flow(&t);
	x = mf(&t.mem, f);
	l += client_record(&t, TG_CT_APPLICATION_DATA, "before", 6, recs + l, sizeof(recs) - l);
	l += client_record(&t, TG_CT_ALERT, "\x01\x00", 2, recs + l, sizeof(recs) - l);
	l += client_record(&t, TG_CT_APPLICATION_DATA, "after", 5, recs + l, sizeof(recs) - l);
	arrive(&t, f, TG_FLOW_CLIENT, recs, l);
	CU_ASSERT_EQUAL(x->s[TG_FLOW_BACKEND].out_len, 6);
	CU_ASSERT_EQUAL(memcmp(x->s[TG_FLOW_BACKEND].out, "before", 6), 0);
	CU_ASSERT_TRUE(x->s[TG_FLOW_BACKEND].shut);
	/* and in a later read too */
	client_send(&t, f, TG_CT_APPLICATION_DATA, "later", 5);
	CU_ASSERT_EQUAL(x->s[TG_FLOW_BACKEND].out_len, 6);
	env_fini(&t);
}

/* The connect timeout runs from the connect's start: a client that keeps
 * sending meanwhile does not stretch it. */
static void test_connect_timeout_from_start(void)
{
	struct env t;
	struct tg_flow *f;
	struct mflow *x;

	env_init(&t, NULL, false);
	f = accept_(&t);
	x = mf(&t.mem, f);
	arrive(&t, f, TG_FLOW_CLIENT, "\x16\x03\x01", 3);
	tg_ctl_msg_free(ctl_take(&t));
	ctl_install(&t, f, 1, NULL, 0);
	for (int i = 0; i < 4; i++) {
		g_now += 100;
		client_send(&t, f, TG_CT_APPLICATION_DATA, "x", 1);
	}
	tick(&t, 60);
	CU_ASSERT_EQUAL(x->aborts, 1);
	CU_ASSERT_EQUAL(x->connects, 2);
	env_fini(&t);
}

/* The ring to the control plane is full: a new ClientHello is refused at
 * once; a handshake under way is never cut: its next message waits (and
 * its client is not read meanwhile) and goes, in order, when the ring has
 * room; so does the HS_CLOSE of one that ends. */
static void test_ctl_ring_full(void)
{
	struct env t;
	struct tg_flow *a, *b, *c, *d;
	struct tg_ctl_msg *m;

	g_ring_size = 3;
	env_init(&t, NULL, false);
	g_ring_size = 256;
	a = accept_(&t);
	b = accept_(&t);
	c = accept_(&t);
	arrive(&t, a, TG_FLOW_CLIENT, "A1", 2);
	arrive(&t, b, TG_FLOW_CLIENT, "B1", 2);
	arrive(&t, c, TG_FLOW_CLIENT, "C1", 2);
	CU_ASSERT_TRUE(rte_ring_full(t.to_ctl));
	/* new: refused */
	d = accept_(&t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	arrive(&t, d, TG_FLOW_CLIENT, "D1", 2);
	CU_ASSERT_TRUE(mf(&t.mem, d)->released);
	CU_ASSERT_TRUE(log_has(&t, "end=handshake-queue-full"));
	CU_ASSERT_EQUAL(t.st.ring_full, 1);
	/* under way: waits, not read meanwhile */
	arrive(&t, a, TG_FLOW_CLIENT, "A2", 2);
	CU_ASSERT_FALSE(mf(&t.mem, a)->released);
	CU_ASSERT_FALSE(mf(&t.mem, a)->s[TG_FLOW_CLIENT].rd);
	arrive(&t, a, TG_FLOW_CLIENT, "A3", 2);
	CU_ASSERT_EQUAL(mf(&t.mem, a)->s[TG_FLOW_CLIENT].in_off, 4);
	/* one ends while the ring is full: its HS_CLOSE waits too */
	tg_flow_on_reset(t.e, b, TG_FLOW_CLIENT);
	CU_ASSERT_TRUE(tg_flow_engine_busy(t.e) == false);
	/* the control plane takes what was there; the rest follows in order */
	for (int i = 0; i < 3; i++)
		tg_ctl_msg_free(ctl_take(&t));
	CU_ASSERT_TRUE(tg_flow_engine_busy(t.e));
	round_(&t);
	m = ctl_take(&t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->type, TG_CTL_HS_DATA);
	CU_ASSERT_EQUAL(m->slot, tg_flow_slot(a));
	CU_ASSERT_EQUAL(m->len, 2);
	CU_ASSERT_EQUAL(memcmp(m->data, "A2", 2), 0);
	tg_ctl_msg_free(m);
	m = ctl_take(&t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->type, TG_CTL_HS_CLOSE);
	tg_ctl_msg_free(m);
	/* a reads again: A3 goes */
	m = ctl_take(&t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->type, TG_CTL_HS_DATA);
	CU_ASSERT_EQUAL(memcmp(m->data, "A3", 2), 0);
	tg_ctl_msg_free(m);
	CU_ASSERT_EQUAL(t.st.conns_accepted, 4);
	CU_ASSERT_EQUAL(t.st.conns_closed + tg_flow_engine_active(t.e), 4);
	env_fini(&t);
}

/* ---- asynchronous records: the engine on crypto PMDs ---------------------------- */

/* Engines whose records a crypto PMD runs asynchronously (NULL: no PMD
 * here, the tests say so and pass): completions late and reversed
 * (hold=3: every third dequeue), a failing op (fail=3), a device that
 * keeps everything for long (hold=60: the engine's queue fills), a
 * device of two descriptors (desc=2, hold=3: records wait in the queue,
 * not yet on the device, and go to it at later polls with their
 * sessions). */
static struct tg_accel *g_acc_late, *g_acc_fail, *g_acc_slow, *g_acc_narrow;

/* env_init on accel engine @p acc; false (and a note) without one. */
static bool async_env(struct env *t, struct tg_accel *acc,
		      const struct tg_flow_settings *set, bool peek)
{
	if (acc == NULL) {
		printf("(no crypto PMD here: skipped) ");
		return false;
	}
	g_eng_acc = acc;
	env_init(t, set, peek);
	g_eng_acc = NULL;
	return true;
}

/* A TLS client of one flow (the env's own client serves one flow only). */
struct mcli {
	struct tg_accel_sess *tx;
	uint8_t *sent;       /* plaintext it sent */
	size_t sent_len;
	uint8_t *expect;     /* plaintext the backend sent it */
	size_t expect_len;
};

static void mcli_init(struct env *t, struct mcli *c)
{
	memset(c, 0, sizeof(*c));
	TG_ASSERT_OK(tg_accel_sess_create(g_acc, &t->c2s, &c->tx));
}

static void mcli_fini(struct mcli *c)
{
	tg_accel_sess_free(c->tx);
	free(c->sent);
	free(c->expect);
}

/* The client of @p f sends @p len bytes of @p p as one record (no event:
 * the caller reports readable). */
static void mcli_send(struct env *t, struct mcli *c, struct tg_flow *f,
		      const void *p, uint32_t len)
{
	static uint8_t rec[TG_REC_MAX_PLAIN + 256];
	uint32_t hdr = tg_accel_hdr_len(c->tx);
	struct tg_rec r = { .sess = c->tx, .buf = rec, .cap = sizeof(rec),
			    .off = hdr, .len = len,
			    .type = TG_CT_APPLICATION_DATA };
	struct tg_rec *rp = &r;

	memcpy(rec + hdr, p, len);
	CU_ASSERT_EQUAL_FATAL(tg_accel_seal_burst(&rp, 1), 1);
	in_append(&mf(&t->mem, f)->s[TG_FLOW_CLIENT], rec, r.rec_len);
	buf_append(&c->sent, &c->sent_len, p, len);
}

/* The backend of @p f sends @p len bytes (no event). */
static void mcli_backend(struct env *t, struct mcli *c, struct tg_flow *f,
			 const void *p, uint32_t len)
{
	in_append(&mf(&t->mem, f)->s[TG_FLOW_BACKEND], p, len);
	buf_append(&c->expect, &c->expect_len, p, len);
}

/*
 * Open (a copy of) everything the engine sent to the client of the flow in
 * @p slot, from its first byte: the application data to @p plain (cap
 * @p cap); returns its length, or (size_t)-1 when a record does not open
 * (the keys and sequence numbers are the client's: every flow's start at
 * 1). *@p alert gets the description of an alert, if one came.
 */
static size_t client_plain(struct env *t, uint32_t slot, uint8_t *plain,
			   size_t cap, int *alert)
{
	struct mside *s = &t->mem.f[slot].s[TG_FLOW_CLIENT];
	struct tg_accel_sess *rx;
	uint8_t *copy = malloc(s->out_len + 1);
	size_t off = 0, n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
	if (s->out_len > 0)
		memcpy(copy, s->out, s->out_len);
	TG_ASSERT_OK(tg_accel_sess_create(g_acc, &t->s2c, &rx));
	*alert = -1;
	while (s->out_len - off >= TG_REC_HDR_LEN) {
		uint32_t len = (uint32_t)copy[off + 3] << 8 | copy[off + 4];
		struct tg_rec r = { .sess = rx, .buf = copy, .cap = (uint32_t)s->out_len,
				    .rec_off = (uint32_t)off,
				    .rec_len = TG_REC_HDR_LEN + len };
		struct tg_rec *rp = &r;

		if (s->out_len - off < TG_REC_HDR_LEN + len)
			break;
		if (tg_accel_open_burst(&rp, 1) != 1) {
			n = (size_t)-1;
			break;
		}
		if (r.type == TG_CT_APPLICATION_DATA && n + r.len <= cap) {
			memcpy(plain + n, copy + r.off, r.len);
			n += r.len;
		} else if (r.type == TG_CT_ALERT && r.len == 2) {
			*alert = copy[r.off + 1];
		}
		off += TG_REC_HDR_LEN + len;
	}
	tg_accel_sess_free(rx);
	free(copy);
	return n;
}

/*
 * Records of four flows both ways on a crypto PMD whose completions come
 * late (every third poll) and in reverse: the engine keeps polling, says
 * it is busy meanwhile, and every byte arrives in each flow's order, on
 * the copy and the zero-copy receive paths. A flow's output holds nothing
 * that is still in flight (what the client gets always opens).
 */
static void test_async_order(void)
{
	static uint8_t chunk[6000], got[1 << 20];

	for (int peek = 0; peek < 2; peek++) {
		struct env t;
		struct tg_flow *f[SLOTS];
		struct mcli c[SLOTS];
		bool busy_seen = false, partial_seen = false;

		if (!async_env(&t, g_acc_late, NULL, peek))
			return;
		for (int i = 0; i < SLOTS; i++) {
			f[i] = open_flow(&t);
			mcli_init(&t, &c[i]);
		}
		for (int r = 0; r < 12; r++) {
			for (int i = 0; i < SLOTS; i++) {
				uint32_t n = 500 + (uint32_t)(r * 997 + i * 131) % 5000;

				for (uint32_t j = 0; j < n; j++)
					chunk[j] = (uint8_t)('a' + (r + j / 64 + i) % 26);
				mcli_backend(&t, &c[i], f[i], chunk, n);
				mcli_send(&t, &c[i], f[i], chunk, n / 2 + 1);
				tg_flow_on_readable(t.e, f[i], TG_FLOW_BACKEND);
				tg_flow_on_readable(t.e, f[i], TG_FLOW_CLIENT);
			}
			tg_flow_engine_round(t.e);
			busy_seen |= tg_flow_engine_busy(t.e);
			for (int i = 0; i < SLOTS; i++) {
				int alert;
				size_t n = client_plain(&t, tg_flow_slot(f[i]), got,
							sizeof(got), &alert);

				/* whatever went out opens, and is a prefix */
				CU_ASSERT_FATAL(n != (size_t)-1);
				CU_ASSERT(n <= c[i].expect_len &&
					  memcmp(got, c[i].expect, n) == 0);
				partial_seen |= n < c[i].expect_len;
			}
			(void)mem_poll(&t);
		}
		CU_ASSERT_TRUE(busy_seen);
		CU_ASSERT_TRUE(partial_seen);
		for (int k = 0; k < 200 && tg_flow_engine_busy(t.e); k++)
			tick(&t, 1);
		for (int k = 0; k < 20; k++)
			tick(&t, 1);
		CU_ASSERT_FALSE(tg_flow_engine_busy(t.e));
		for (int i = 0; i < SLOTS; i++) {
			struct mside *b = &mf(&t.mem, f[i])->s[TG_FLOW_BACKEND];
			int alert;
			size_t n = client_plain(&t, tg_flow_slot(f[i]), got,
						sizeof(got), &alert);

			EXPECT_FLOW(n == c[i].expect_len &&
					    memcmp(got, c[i].expect, n) == 0,
				    "flow %d (peek %d): %zu of %zu bytes to the client "
				    "in order", i, peek, n, c[i].expect_len);
			EXPECT_FLOW(b->out_len == c[i].sent_len &&
					    memcmp(b->out, c[i].sent, b->out_len) == 0,
				    "flow %d (peek %d): %zu of %zu bytes to the backend "
				    "in order", i, peek, b->out_len, c[i].sent_len);
			CU_ASSERT_EQUAL(alert, -1);
			mcli_fini(&c[i]);
		}
		CU_ASSERT(t.st.records_sealed[0] >= 12 * SLOTS);
		CU_ASSERT(t.st.records_opened[0] == 12 * SLOTS);
		CU_ASSERT_EQUAL(t.st.accel_inflight, 0);
		if (peek)
			CU_ASSERT(t.mem.peeked > 0);
		env_fini(&t);
	}
}

/* Back-pressure both ways, with records in flight. */
static void test_async_backpressure(void)
{
	if (g_acc_late == NULL) {
		printf("(no crypto PMD here: skipped) ");
		return;
	}
	g_eng_acc = g_acc_late;
	(void)backpressure(TG_FLOW_BACKEND, 8000, 12);
	CU_ASSERT(backpressure(TG_FLOW_CLIENT, 16384, 8) >= 8 + 4);
	g_eng_acc = NULL;
}

/*
 * A device that keeps its ops: the engine's accel queue fills up (small
 * records, four flows); flows then wait for the next pass (counted),
 * nothing is lost or reordered, and everything goes once the device
 * gives the records back.
 */
static void test_async_queue_full(void)
{
	static uint8_t chunk[60000], got[1 << 20];
	struct tg_flow_settings set;
	struct env t;
	struct tg_flow *f[SLOTS];
	struct mcli c[SLOTS];

	settings_default(&set);
	set.record_small = set.record_max = 600;
	set.max_buffer = 65536; /* 4 flows x 100 records: over the queue */
	if (!async_env(&t, g_acc_slow, &set, false))
		return;
	for (int i = 0; i < SLOTS; i++) {
		f[i] = open_flow(&t);
		mcli_init(&t, &c[i]);
	}
	for (int i = 0; i < SLOTS; i++) {
		for (uint32_t j = 0; j < sizeof(chunk); j++)
			chunk[j] = (uint8_t)(j * 7 + (uint32_t)i);
		mcli_backend(&t, &c[i], f[i], chunk, sizeof(chunk));
		tg_flow_on_readable(t.e, f[i], TG_FLOW_BACKEND);
	}
	for (int k = 0; k < 400 && (t.st.accel_queue_full == 0 ||
				     tg_flow_engine_busy(t.e)); k++)
		tick(&t, 1);
	CU_ASSERT(t.st.accel_queue_full > 0);
	CU_ASSERT_FALSE(tg_flow_engine_busy(t.e));
	for (int i = 0; i < SLOTS; i++) {
		int alert;
		size_t n = client_plain(&t, tg_flow_slot(f[i]), got, sizeof(got),
					&alert);

		EXPECT_FLOW(n == c[i].expect_len && memcmp(got, c[i].expect, n) == 0,
			    "flow %d: %zu of %zu bytes in order", i, n,
			    c[i].expect_len);
		mcli_fini(&c[i]);
	}
	env_fini(&t);
}

/*
 * A seal the device fails (fail=3: the third op, never processed, its
 * payload still plaintext): the flow is dropped, the client gets what was
 * sealed before the failure and not one byte of the failed record, in
 * clear or otherwise, nor anything after it; another flow goes on.
 */
static void test_async_seal_fails(void)
{
	static uint8_t a[1000], b[3000], got[16384];
	struct env t;
	struct tg_flow *f, *g;
	struct mcli c, d;
	struct mside *cs;
	int alert;
	size_t n;

	if (!async_env(&t, g_acc_fail, NULL, false))
		return;
	f = open_flow(&t);
	mcli_init(&t, &c);
	memset(a, 'A', sizeof(a));
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)('B' + i / 1000); /* B.., C.., D.. */
	mcli_backend(&t, &c, f, a, sizeof(a));   /* op 1 */
	tg_flow_on_readable(t.e, f, TG_FLOW_BACKEND);
	round_(&t);
	mcli_backend(&t, &c, f, b, sizeof(b));   /* ops 2, 3 (fails), 4 */
	tg_flow_on_readable(t.e, f, TG_FLOW_BACKEND);
	for (int k = 0; k < 20; k++)
		tick(&t, 1);
	CU_ASSERT_TRUE(mf(&t.mem, f)->released);
	n = client_plain(&t, tg_flow_slot(f), got, sizeof(got), &alert);
	CU_ASSERT(n != (size_t)-1 && n <= 2000 && n >= 1000);
	CU_ASSERT(memcmp(got, c.expect, n < 2000 ? n : 2000) == 0);
	CU_ASSERT_EQUAL(alert, -1); /* no record can be sealed any more */
	cs = &mf(&t.mem, f)->s[TG_FLOW_CLIENT];
	for (size_t i = 0; i + 64 <= cs->out_len; i++)
		if (memcmp(cs->out + i, b + 1000, 64) == 0 ||
		    memcmp(cs->out + i, b + 2000, 64) == 0) {
			CU_FAIL("the failed record's plaintext on the wire");
			break;
		}
	CU_ASSERT_EQUAL(t.st.accel_inflight, 0);
	/* another flow goes on (op 5: fine) */
	g = open_flow(&t);
	mcli_init(&t, &d);
	mcli_backend(&t, &d, g, "after", 5);
	tg_flow_on_readable(t.e, g, TG_FLOW_BACKEND);
	for (int k = 0; k < 10; k++)
		tick(&t, 1);
	n = client_plain(&t, tg_flow_slot(g), got, sizeof(got), &alert);
	CU_ASSERT(n == 5 && memcmp(got, "after", 5) == 0);
	mcli_fini(&c);
	mcli_fini(&d);
	env_fini(&t);
}

/* A record that fails to open, late: what came before it reached the
 * backend, then bad_record_mac, the close; nothing of the records after
 * it (as with a synchronous backend, the plaintext opened in the same
 * pass as a fatal record is not delivered either). */
static void test_async_open_fails(void)
{
	static uint8_t recs[512];
	struct env t;
	struct tg_flow *f;
	struct mflow *x;
	size_t l = 0;

	if (!async_env(&t, g_acc_late, NULL, false))
		return;
	f = open_flow(&t);
	x = mf(&t.mem, f);
	client_send(&t, f, TG_CT_APPLICATION_DATA, "good", 4);
	for (int k = 0; k < 10; k++)
		tick(&t, 1);
	CU_ASSERT_EQUAL_FATAL(x->s[TG_FLOW_BACKEND].out_len, 4);
	l += client_record(&t, TG_CT_APPLICATION_DATA, "evil", 4, recs + l,
			   sizeof(recs) - l);
	recs[l - 3] ^= 0x40; /* its tag */
	l += client_record(&t, TG_CT_APPLICATION_DATA, "after", 5, recs + l,
			   sizeof(recs) - l);
	arrive(&t, f, TG_FLOW_CLIENT, recs, l);
	/* in flight (opened in place, the transport's readable repeats
	 * until they are back: arrive's rounds may see them done) */
	if (!g_resv)
		CU_ASSERT_TRUE(tg_flow_engine_busy(t.e));
	for (int k = 0; k < 20; k++)
		tick(&t, 1);
	CU_ASSERT_EQUAL(x->s[TG_FLOW_BACKEND].out_len, 4);
	CU_ASSERT_EQUAL(memcmp(x->s[TG_FLOW_BACKEND].out, "good", 4), 0);
	client_read(&t, f);
	CU_ASSERT_EQUAL(t.n_alerts, 1);
	CU_ASSERT_EQUAL(t.alerts[0][0], TG_ALERT_FATAL);
	CU_ASSERT_EQUAL(t.alerts[0][1], TG_ALERT_BAD_RECORD_MAC);
	CU_ASSERT_TRUE(x->released);
	CU_ASSERT_EQUAL(t.st.record_errors, 1);
	env_fini(&t);
}

/*
 * A flow closed with records in flight (client reset) keeps its slot
 * until they are back: not findable, not counted active, the slot not
 * given to a new connection meanwhile; the transport lets go of it at
 * once, except when records are being opened in its own bytes (zero-copy
 * receive): then once they are back. The engine frees cleanly with
 * records in flight too.
 */
static void test_async_close_in_flight(void)
{
	static uint8_t data[8000];

	for (int peek = 0; peek < 2; peek++) {
		struct env t;
		struct tg_flow *f, *g[SLOTS];
		struct mflow *x;
		uint32_t slot, gen;
		int got = 0;

		if (!async_env(&t, g_acc_late, NULL, peek))
			return;
		f = open_flow(&t);
		x = mf(&t.mem, f);
		slot = tg_flow_slot(f);
		gen = tg_flow_gen(f);
		memset(data, 'z', sizeof(data));
		if (peek) {
			uint8_t rec[2048];
			size_t l = client_record(&t, TG_CT_APPLICATION_DATA, data,
						 1000, rec, sizeof(rec));

			in_append(&x->s[TG_FLOW_CLIENT], rec, l);
			tg_flow_on_readable(t.e, f, TG_FLOW_CLIENT);
		} else {
			in_append(&x->s[TG_FLOW_BACKEND], data, sizeof(data));
			tg_flow_on_readable(t.e, f, TG_FLOW_BACKEND);
		}
		tg_flow_engine_round(t.e);
		CU_ASSERT_TRUE_FATAL(tg_flow_engine_busy(t.e)); /* in flight */
		tg_flow_on_reset(t.e, f, TG_FLOW_CLIENT);
		CU_ASSERT_PTR_NULL(tg_flow_find(t.e, slot, gen));
		CU_ASSERT_EQUAL(tg_flow_engine_active(t.e), 0);
		/* the transport's memory records are in flight in (its
		 * bytes, its reservations) stays its until they are back */
		CU_ASSERT_EQUAL(x->released, !peek && !g_resv);
		CU_ASSERT_TRUE(log_has(&t, "end=client-reset"));
		/* its slot is not for a new connection yet */
		for (int i = 0; i < SLOTS; i++) {
			g[i] = accept_(&t);
			got += g[i] != NULL;
			CU_ASSERT(g[i] == NULL || tg_flow_slot(g[i]) != slot);
		}
		CU_ASSERT_EQUAL(got, SLOTS - 1);
		for (int k = 0; k < 50 && tg_flow_engine_busy(t.e); k++)
			tick(&t, 1);
		CU_ASSERT_TRUE(t.mem.f[slot].released);
		CU_ASSERT_PTR_NOT_NULL(accept_(&t)); /* the slot is back */
		CU_ASSERT_EQUAL(t.st.conns_closed, 1);
		env_fini(&t);
	}
	/* freed with records in flight */
	{
		struct env t;
		struct tg_flow *f;

		if (!async_env(&t, g_acc_late, NULL, false))
			return;
		f = open_flow(&t);
		in_append(&mf(&t.mem, f)->s[TG_FLOW_BACKEND], data, sizeof(data));
		tg_flow_on_readable(t.e, f, TG_FLOW_BACKEND);
		tg_flow_engine_round(t.e);
		CU_ASSERT_TRUE(tg_flow_engine_busy(t.e));
		env_fini(&t);
	}
}

/* Drain and stop with records in flight: what was sealed goes out before
 * the close_notify. */
static void test_async_stop(void)
{
	static uint8_t data[3000];
	static uint8_t got[8192];
	struct env t;
	struct tg_flow *f;
	int alert;
	size_t n;

	if (!async_env(&t, g_acc_late, NULL, false))
		return;
	f = open_flow(&t);
	memset(data, 's', sizeof(data));
	in_append(&mf(&t.mem, f)->s[TG_FLOW_BACKEND], data, sizeof(data));
	tg_flow_on_readable(t.e, f, TG_FLOW_BACKEND);
	tg_flow_engine_round(t.e);
	CU_ASSERT_TRUE(tg_flow_engine_busy(t.e));
	tg_flow_engine_stop(t.e);
	n = client_plain(&t, tg_flow_slot(f), got, sizeof(got), &alert);
	CU_ASSERT_EQUAL(n, sizeof(data));
	CU_ASSERT_EQUAL(alert, TG_ALERT_CLOSE_NOTIFY);
	CU_ASSERT_TRUE(mf(&t.mem, f)->released);
	CU_ASSERT_FALSE(tg_flow_engine_busy(t.e));
	env_fini(&t);
}

/* ---- TLS 1.3 --------------------------------------------------------------- */

/* A TLS 1.3 flow: KEY_INSTALL with application keys from two secrets,
 * the client's sessions from the same. */
static struct tg_flow *open_flow13(struct env *t)
{
	struct tg_flow *f = accept_(t);
	struct tg_ctl_msg *m;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	round_(t);
	arrive(t, f, TG_FLOW_CLIENT, "\x16\x03\x01hello", 8);
	m = ctl_take(t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	tg_ctl_msg_free(m);
	t->v13 = true;
	tg_test_fill(t->sec_c2s, 32);
	tg_test_fill(t->sec_s2c, 32);
	m = ctl_msg(f, TG_CTL_KEY_INSTALL, NULL, 0);
	m->n_data = 1;
	TG_ASSERT_OK(tg_ks_traffic_keys(TG_HASH_SHA256, TG_SUITE_AES128GCM,
					t->sec_c2s, TG_DIR_OPEN, 0, &m->rx));
	TG_ASSERT_OK(tg_ks_traffic_keys(TG_HASH_SHA256, TG_SUITE_AES128GCM,
					t->sec_s2c, TG_DIR_SEAL, 0, &m->tx));
	m->s13.hash = TG_HASH_SHA256;
	m->s13.len = 32;
	memcpy(m->s13.rx, t->sec_c2s, 32);
	memcpy(m->s13.tx, t->sec_s2c, 32);
	m->info.version = TG_TLS13;
	m->info.suite = TG_CS13_AES_128_GCM_SHA256;
	tg_accel_sess_free(t->cli_tx);
	tg_accel_sess_free(t->cli_rx);
	{
		struct tg_keys k = m->rx, k2 = m->tx;

		k.dir = TG_DIR_SEAL;
		k2.dir = TG_DIR_OPEN;
		TG_ASSERT_OK(tg_accel_sess_create(g_acc, &k, &t->cli_tx));
		TG_ASSERT_OK(tg_accel_sess_create(g_acc, &k2, &t->cli_rx));
	}
	ctl_reply(t, m);
	round_(t);
	tg_flow_backend_connected(t->e, f);
	round_(t);
	return f;
}

/* The client's KeyUpdate: sealed under its current key, then its next
 * key for what follows. Returns the record's length in @p out. */
static size_t client_key_update(struct env *t, uint8_t req, uint8_t *out,
				size_t cap)
{
	uint8_t ku[5] = { TG_HS_KEY_UPDATE, 0, 0, 1, req };
	size_t n = client_record(t, TG_CT_HANDSHAKE, ku, 5, out, cap);
	struct tg_keys k;

	TG_ASSERT_OK(tg_ks_update(TG_HASH_SHA256, t->sec_c2s));
	TG_ASSERT_OK(tg_ks_traffic_keys(TG_HASH_SHA256, TG_SUITE_AES128GCM,
					t->sec_c2s, TG_DIR_SEAL, 0, &k));
	tg_accel_sess_free(t->cli_tx);
	TG_ASSERT_OK(tg_accel_sess_create(g_acc, &k, &t->cli_tx));
	return n;
}

/* KeyUpdate from the client (RFC 8446 §4.6.3) in the middle of records
 * that arrive together: the records after it open with its next key;
 * update_requested gets our KeyUpdate, and our records after it are
 * under our next key. */
static void test_tls13_key_update(void)
{
	static uint8_t chunk[4 * 2048];
	struct env t;
	struct tg_flow *f;
	struct mside *be, *cl;
	size_t n = 0;

	env_init(&t, NULL, false);
	f = open_flow13(&t);
	be = &mf(&t.mem, f)->s[TG_FLOW_BACKEND];
	cl = &mf(&t.mem, f)->s[TG_FLOW_CLIENT];
	n += client_record(&t, TG_CT_APPLICATION_DATA, "one ", 4, chunk + n,
			   sizeof(chunk) - n);
	n += client_key_update(&t, TG_HS_UPDATE_REQUESTED, chunk + n,
			       sizeof(chunk) - n);
	n += client_record(&t, TG_CT_APPLICATION_DATA, "two ", 4, chunk + n,
			   sizeof(chunk) - n);
	n += client_key_update(&t, TG_HS_UPDATE_NOT_REQUESTED, chunk + n,
			       sizeof(chunk) - n);
	n += client_record(&t, TG_CT_APPLICATION_DATA, "three", 5, chunk + n,
			   sizeof(chunk) - n);
	arrive(&t, f, TG_FLOW_CLIENT, chunk, n);
	for (int i = 0; i < 4; i++)
		round_(&t);
	CU_ASSERT_EQUAL(be->out_len, 13);
	CU_ASSERT(be->out_len == 13 && memcmp(be->out, "one two three", 13) == 0);
	CU_ASSERT_EQUAL(t.st.key_updates_received, 2);
	CU_ASSERT_EQUAL(t.st.key_updates_sent, 1);
	/* our KeyUpdate came, then the backend's answer under the next key */
	buf_append(&be->in, &be->in_len, "answer", 6);
	tg_flow_on_readable(t.e, f, TG_FLOW_BACKEND);
	round_(&t);
	client_read(&t, f);
	CU_ASSERT_EQUAL(t.ku_seen, 1);
	CU_ASSERT(t.plain_len == 6 && memcmp(t.plain, "answer", 6) == 0);
	CU_ASSERT_EQUAL(t.n_alerts, 0);
	CU_ASSERT_FALSE(cl->shut);
	env_fini(&t);
}

/* A record of 64 B of application data numbered by flow and record,
 * sealed by the client into @p out; its plaintext appended to @p sent.
 * Returns the record's length. */
static size_t client_rec64(struct env *t, int flow, int k, uint8_t *out,
			   size_t cap, uint8_t **sent, size_t *sent_len)
{
	char rec[64];

	memset(rec, '.', sizeof(rec));
	rec[snprintf(rec, sizeof(rec), "flow %d rec %d", flow, k)] = '.';
	buf_append(sent, sent_len, rec, sizeof(rec));
	return client_record(t, TG_CT_APPLICATION_DATA, rec, sizeof(rec), out, cap);
}

/*
 * TLS 1.3 records of many flows, several of each, go through one burst
 * as TLS 1.2's do (issue 18: one record of a flow per burst and four per
 * pass made 64 B records cost three times TLS 1.2's on the DPDK path);
 * then a KeyUpdate among one flow's records of a burst: those after it
 * were opened under the retired key and open again under the next one,
 * in order, beside the other flows' records. Copy and zero-copy receive.
 */
static void test_tls13_cross_flow_bursts(void)
{
	static uint8_t chunk[SLOTS][8 * 128];

	for (int peek = 0; peek < 2; peek++) {
		struct env t;
		struct tg_flow *f[SLOTS];
		struct tg_accel_sess *cli[SLOTS];
		uint8_t sec[SLOTS][32];
		uint8_t *sent[SLOTS] = { NULL };
		size_t sent_len[SLOTS] = { 0 }, n[SLOTS] = { 0 };
		uint64_t bursts = 0;

		env_init(&t, NULL, peek);
		for (int i = 0; i < SLOTS; i++) {
			f[i] = open_flow13(&t);
			cli[i] = t.cli_tx;
			t.cli_tx = NULL;
			memcpy(sec[i], t.sec_c2s, 32);
		}
		/* four records of 64 B each */
		for (int i = 0; i < SLOTS; i++) {
			t.cli_tx = cli[i];
			for (int k = 0; k < 4; k++) {
				n[i] += client_rec64(&t, i, k, chunk[i] + n[i],
						     sizeof(chunk[i]) - n[i], &sent[i],
						     &sent_len[i]);
			}
			t.cli_tx = NULL;
		}
		memset(t.st.burst_hist, 0, sizeof(t.st.burst_hist));
		for (int i = 0; i < SLOTS; i++) {
			in_append(&mf(&t.mem, f[i])->s[TG_FLOW_CLIENT], chunk[i], n[i]);
			tg_flow_on_readable(t.e, f[i], TG_FLOW_CLIENT);
			n[i] = 0;
		}
		round_(&t);
		for (int b = 0; b < TG_STATS_BURST_BUCKETS; b++)
			bursts += t.st.burst_hist[b];
		EXPECT_FLOW(bursts == 1, "peek %d: %llu bursts for %d records", peek,
			    (unsigned long long)bursts, SLOTS * 4);
		CU_ASSERT_EQUAL(t.st.burst_hist[tg_stats_burst_bucket(SLOTS * 4)], 1);
		/* two records, flow 0's KeyUpdate, three records */
		for (int i = 0; i < SLOTS; i++) {
			t.cli_tx = cli[i];
			memcpy(t.sec_c2s, sec[i], 32);
			for (int k = 4; k < 9; k++) {
				if (k == 6 && i == 0)
					n[i] += client_key_update(&t, TG_HS_UPDATE_NOT_REQUESTED,
								  chunk[i] + n[i],
								  sizeof(chunk[i]) - n[i]);
				n[i] += client_rec64(&t, i, k, chunk[i] + n[i],
						     sizeof(chunk[i]) - n[i], &sent[i],
						     &sent_len[i]);
			}
			cli[i] = t.cli_tx;
			t.cli_tx = NULL;
		}
		for (int i = 0; i < SLOTS; i++) {
			in_append(&mf(&t.mem, f[i])->s[TG_FLOW_CLIENT], chunk[i], n[i]);
			tg_flow_on_readable(t.e, f[i], TG_FLOW_CLIENT);
		}
		for (int r = 0; r < 4; r++)
			round_(&t);
		for (int i = 0; i < SLOTS; i++) {
			struct mside *be = &mf(&t.mem, f[i])->s[TG_FLOW_BACKEND];

			EXPECT_FLOW(be->out_len == sent_len[i] &&
					    memcmp(be->out, sent[i], sent_len[i]) == 0,
				    "peek %d flow %d: %zu of %zu bytes in order", peek, i,
				    be->out_len, sent_len[i]);
			CU_ASSERT_FALSE(mf(&t.mem, f[i])->released);
			free(sent[i]);
		}
		CU_ASSERT_EQUAL(t.st.key_updates_received, 1);
		CU_ASSERT_EQUAL(t.st.record_errors, 0);
		/* a record still under the old key behind flow 1's KeyUpdate
		 * in one burst opens under the old key where it ran first:
		 * it is taken for what it is, bad_record_mac (§4.6.3) */
		{
			static const uint8_t ku[5] = { TG_HS_KEY_UPDATE, 0, 0, 1, 0 };
			struct mside *be = &mf(&t.mem, f[1])->s[TG_FLOW_BACKEND];
			size_t m = 0, before = be->out_len;

			t.cli_tx = cli[1];
			m += client_record(&t, TG_CT_HANDSHAKE, ku, 5, chunk[1],
					   sizeof(chunk[1]));
			m += client_record(&t, TG_CT_APPLICATION_DATA, "old key", 7,
					   chunk[1] + m, sizeof(chunk[1]) - m);
			t.cli_tx = NULL;
			arrive(&t, f[1], TG_FLOW_CLIENT, chunk[1], m);
			for (int r = 0; r < 4; r++)
				round_(&t);
			CU_ASSERT_EQUAL(t.st.key_updates_received, 2);
			CU_ASSERT_EQUAL(t.st.record_errors, 1);
			CU_ASSERT_EQUAL(be->out_len, before);
		}
		for (int i = 0; i < SLOTS; i++)
			tg_accel_sess_free(cli[i]);
		env_fini(&t);
	}
}

/* Our own KeyUpdate before the record limit (RFC 8446 §5.5), here
 * lowered to 3 records. */
static void test_tls13_rekey_limit(void)
{
	static uint8_t data[20000];
	struct env t;
	struct tg_flow_settings set;
	struct tg_flow *f;
	struct mside *be;

	settings_default(&set);
	set.tls13_rekey_records = 3;
	set.record_ramp_bytes = 0; /* full records at once */
	env_init(&t, &set, false);
	f = open_flow13(&t);
	be = &mf(&t.mem, f)->s[TG_FLOW_BACKEND];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	for (int k = 0; k < 8; k++) {
		buf_append(&be->in, &be->in_len, data, 4000);
		tg_flow_on_readable(t.e, f, TG_FLOW_BACKEND);
		round_(&t);
		client_read(&t, f);
	}
	CU_ASSERT_EQUAL(t.plain_len, 32000);
	CU_ASSERT(t.ku_seen >= 2);
	CU_ASSERT_EQUAL(t.st.key_updates_sent, t.ku_seen);
	env_fini(&t);
}

/* Too many KeyUpdates without data, a bad KeyUpdate, a KeyUpdate
 * followed by more in its record, another post-handshake message: each
 * an alert and the end of the flow. */
static void test_tls13_post_handshake_errors(void)
{
	static uint8_t chunk[64 * 64];
	struct {
		const char *what;
		uint8_t alert;
	} cases[] = {
		{ "too many", TG_ALERT_UNEXPECTED_MESSAGE },
		{ "bad value", TG_ALERT_ILLEGAL_PARAMETER },
		{ "more after it", TG_ALERT_UNEXPECTED_MESSAGE },
		{ "a ticket", TG_ALERT_UNEXPECTED_MESSAGE },
		{ "a warning alert", 0 },
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct env t;
		struct tg_flow *f;
		size_t n = 0;

		env_init(&t, NULL, false);
		f = open_flow13(&t);
		if (c == 0) {
			for (int i = 0; i < 33; i++)
				n += client_key_update(&t, 0, chunk + n,
						       sizeof(chunk) - n);
		} else if (c == 1) {
			uint8_t ku[5] = { TG_HS_KEY_UPDATE, 0, 0, 1, 2 };

			n = client_record(&t, TG_CT_HANDSHAKE, ku, 5, chunk,
					  sizeof(chunk));
		} else if (c == 2) {
			uint8_t ku[6] = { TG_HS_KEY_UPDATE, 0, 0, 1, 0, 0x17 };

			n = client_record(&t, TG_CT_HANDSHAKE, ku, 6, chunk,
					  sizeof(chunk));
		} else if (c == 3) {
			uint8_t nst[8] = { TG_HS_NEW_SESSION_TICKET, 0, 0, 4, 0, 0, 0, 0 };

			n = client_record(&t, TG_CT_HANDSHAKE, nst, 8, chunk,
					  sizeof(chunk));
		} else {
			/* RFC 8446 §6: a warning is an error in TLS 1.3 */
			uint8_t a[2] = { TG_ALERT_WARNING, TG_ALERT_UNSUPPORTED_CERTIFICATE };

			n = client_record(&t, TG_CT_ALERT, a, 2, chunk, sizeof(chunk));
		}
		arrive(&t, f, TG_FLOW_CLIENT, chunk, n);
		for (int i = 0; i < 20; i++)
			round_(&t);
		client_read(&t, f);
		if (cases[c].alert != 0) {
			CU_ASSERT_EQUAL(t.n_alerts, 1);
			if (t.n_alerts != 1 || t.alerts[0][1] != cases[c].alert)
				fprintf(stderr, "%s: %u alerts, %u\n", cases[c].what,
					t.n_alerts, t.alerts[0][1]);
			CU_ASSERT_EQUAL(t.alerts[0][0], TG_ALERT_FATAL);
			CU_ASSERT_EQUAL(t.alerts[0][1], cases[c].alert);
		}
		CU_ASSERT_TRUE(mf(&t.mem, f)->released);
		env_fini(&t);
	}
}

/* ---- TLS 1.3 with asynchronous records ------------------------------------- */

/* Rounds until the engine has nothing in flight (bounded). */
static void async_settle(struct env *t)
{
	for (int k = 0; k < 400 && tg_flow_engine_busy(t->e); k++)
		tick(t, 1);
	for (int k = 0; k < 4; k++)
		tick(t, 1);
	CU_ASSERT_FALSE(tg_flow_engine_busy(t->e));
}

/*
 * A client KeyUpdate (update_requested, then one not requested) among
 * records that arrive together on a crypto PMD whose completions are late
 * and reversed, while the backend keeps sending: the records after each
 * KeyUpdate open under the client's next key (none was submitted under
 * the old one: a TLS 1.3 flow has one open in flight), and our answering
 * KeyUpdate waits for the seals in flight under our old key (the session
 * it frees), then everything after it is under our next key. Copy and
 * zero-copy receive, on late completions and on a device of two
 * descriptors.
 */
static void test_async_tls13_client_key_update(void)
{
	static uint8_t chunk[32 * 1024], data[3000];

	for (int run = 0; run < 4; run++) {
		/* late completions, then two descriptors; copy, zero copy */
		struct tg_accel *acc = run < 2 ? g_acc_late : g_acc_narrow;
		int peek = run % 2;
		struct env t;
		struct tg_flow *f;
		struct mside *be;
		uint8_t *expect = NULL, *sent = NULL;
		size_t expect_len = 0, sent_len = 0, n = 0;
		bool busy_seen = false;
		char word[16];

		if (!async_env(&t, acc, NULL, peek))
			continue;
		f = open_flow13(&t);
		be = &mf(&t.mem, f)->s[TG_FLOW_BACKEND];
		/* 4 records, KeyUpdate (update_requested), 6 records,
		 * KeyUpdate, 4 records */
		for (int i = 0; i < 14; i++) {
			int w = snprintf(word, sizeof(word), "rec%02d ", i);

			if (i == 4 || i == 10)
				n += client_key_update(&t, i == 4 ? TG_HS_UPDATE_REQUESTED
								  : TG_HS_UPDATE_NOT_REQUESTED,
						       chunk + n, sizeof(chunk) - n);
			n += client_record(&t, TG_CT_APPLICATION_DATA, word,
					   (uint32_t)w, chunk + n, sizeof(chunk) - n);
			buf_append(&sent, &sent_len, word, (size_t)w);
		}
		in_append(&mf(&t.mem, f)->s[TG_FLOW_CLIENT], chunk, n);
		tg_flow_on_readable(t.e, f, TG_FLOW_CLIENT);
		/* the backend sends all along: seals are in flight when the
		 * client's KeyUpdate is opened */
		for (int r = 0; r < 40; r++) {
			for (size_t j = 0; j < sizeof(data); j++)
				data[j] = (uint8_t)('A' + (r + j / 100) % 26);
			in_append(be, data, sizeof(data));
			buf_append(&expect, &expect_len, data, sizeof(data));
			tg_flow_on_readable(t.e, f, TG_FLOW_BACKEND);
			tg_flow_engine_round(t.e);
			busy_seen |= tg_flow_engine_busy(t.e);
			(void)mem_poll(&t);
		}
		async_settle(&t);
		CU_ASSERT_TRUE(busy_seen);
		EXPECT_FLOW(be->out_len == sent_len &&
				    memcmp(be->out, sent, sent_len) == 0,
			    "run %d: %zu of %zu bytes to the backend in order", run,
			    be->out_len, sent_len);
		CU_ASSERT_EQUAL(t.st.key_updates_received, 2);
		CU_ASSERT_EQUAL(t.st.key_updates_sent, 1);
		CU_ASSERT_EQUAL(t.st.record_errors, 0);
		/* every record the client gets opens, ours KeyUpdate once */
		client_read(&t, f);
		CU_ASSERT_EQUAL(t.ku_seen, 1);
		EXPECT_FLOW(t.plain_len == expect_len &&
				    memcmp(t.plain, expect, expect_len) == 0,
			    "run %d: %zu of %zu bytes to the client in order", run,
			    t.plain_len, expect_len);
		CU_ASSERT_EQUAL(t.n_alerts, 0);
		CU_ASSERT_FALSE(mf(&t.mem, f)->released);
		CU_ASSERT_EQUAL(t.st.accel_inflight, 0);
		free(expect);
		free(sent);
		env_fini(&t);
	}
}

/*
 * Our own KeyUpdate at a lowered record limit (3) while seals are in
 * flight on a late crypto PMD: the flow reads nothing more from its
 * backend until they are back (the new session replaces the one they
 * run on), then the KeyUpdate, then records under the next key; the
 * client opens every record in order. A client KeyUpdate with
 * update_requested in the middle is answered the same way. On a device
 * of two descriptors, most records wait in the accel queue for the
 * device, with their session, when the KeyUpdate is due.
 */
static void tls13_rekey_in_flight(struct tg_accel *acc, const char *what)
{
	static uint8_t data[40000], rec[64];
	struct tg_flow_settings set;
	struct env t;
	struct tg_flow *f;
	struct mside *be;
	uint8_t *expect = NULL;
	size_t expect_len = 0;
	unsigned recv_ku = 0;
	bool busy_seen = false;

	settings_default(&set);
	set.tls13_rekey_records = 3;
	set.record_ramp_bytes = 0; /* full records at once */
	set.max_buffer = 256 * 1024;
	if (!async_env(&t, acc, &set, false))
		return;
	f = open_flow13(&t);
	be = &mf(&t.mem, f)->s[TG_FLOW_BACKEND];
	for (int r = 0; r < 24; r++) {
		for (size_t j = 0; j < sizeof(data); j++)
			data[j] = (uint8_t)(r * 31 + j * 7);
		in_append(be, data, sizeof(data));
		buf_append(&expect, &expect_len, data, sizeof(data));
		tg_flow_on_readable(t.e, f, TG_FLOW_BACKEND);
		if (r == 9) {
			/* the client asks for ours too, seals in flight */
			size_t n = client_key_update(&t, TG_HS_UPDATE_REQUESTED, rec,
						     sizeof(rec));

			in_append(&mf(&t.mem, f)->s[TG_FLOW_CLIENT], rec, n);
			tg_flow_on_readable(t.e, f, TG_FLOW_CLIENT);
			recv_ku++;
		}
		tg_flow_engine_round(t.e);
		busy_seen |= tg_flow_engine_busy(t.e);
		(void)mem_poll(&t);
		/* what went out so far opens (under the key it says) */
		client_read(&t, f);
	}
	async_settle(&t);
	client_read(&t, f);
	CU_ASSERT_TRUE(busy_seen);
	EXPECT_FLOW(t.plain_len == expect_len &&
			    memcmp(t.plain, expect, expect_len) == 0,
		    "%s: %zu of %zu bytes to the client in order", what,
		    t.plain_len, expect_len);
	CU_ASSERT(t.ku_seen >= 4);
	CU_ASSERT_EQUAL(t.st.key_updates_sent, t.ku_seen);
	CU_ASSERT_EQUAL(t.st.key_updates_received, recv_ku);
	CU_ASSERT_EQUAL(t.n_alerts, 0);
	CU_ASSERT_FALSE(mf(&t.mem, f)->released);
	CU_ASSERT_EQUAL(t.st.accel_inflight, 0);
	free(expect);
	env_fini(&t);
}

static void test_async_tls13_rekey_in_flight(void)
{
	tls13_rekey_in_flight(g_acc_late, "late");
	tls13_rekey_in_flight(g_acc_narrow, "two descriptors");
}

/* TLS 1.3 records with padding (RFC 8446 §5.4) are taken, a KeyUpdate
 * among them too; user_canceled is a warning that is not an error
 * (§6.1); close_notify half-closes, the answer still reaches the client
 * and its FIN becomes our close_notify; a record of padding alone (no
 * content type) is an unexpected_message. */
static void test_tls13_padding_alerts(void)
{
	static uint8_t chunk[4 * 4096];
	struct env t;
	struct tg_flow *f;
	struct mflow *x;
	size_t n = 0;

	env_init(&t, NULL, false);
	f = open_flow13(&t);
	x = mf(&t.mem, f);
	t.cli_pad = 200;
	n += client_record(&t, TG_CT_APPLICATION_DATA, "GET ", 4, chunk + n,
			   sizeof(chunk) - n);
	n += client_key_update(&t, TG_HS_UPDATE_NOT_REQUESTED, chunk + n,
			       sizeof(chunk) - n);
	t.cli_pad = 255;
	n += client_record(&t, TG_CT_APPLICATION_DATA, "/", 1, chunk + n,
			   sizeof(chunk) - n);
	n += client_record(&t, TG_CT_ALERT, "\x01\x5a", 2, chunk + n,
			   sizeof(chunk) - n); /* user_canceled */
	arrive(&t, f, TG_FLOW_CLIENT, chunk, n);
	for (int i = 0; i < 4; i++)
		round_(&t);
	CU_ASSERT_EQUAL_FATAL(x->s[TG_FLOW_BACKEND].out_len, 5);
	CU_ASSERT_EQUAL(memcmp(x->s[TG_FLOW_BACKEND].out, "GET /", 5), 0);
	CU_ASSERT_EQUAL(t.st.key_updates_received, 1);
	CU_ASSERT_FALSE(x->s[TG_FLOW_BACKEND].shut);
	CU_ASSERT_FALSE(x->released);
	/* close_notify, padded: FIN to the backend, the flow still open */
	client_send(&t, f, TG_CT_ALERT, "\x01\x00", 2);
	round_(&t);
	CU_ASSERT_TRUE(x->s[TG_FLOW_BACKEND].shut);
	CU_ASSERT_FALSE(x->released);
	arrive(&t, f, TG_FLOW_BACKEND, "HTTP/1.1 200 OK", 15);
	client_read(&t, f);
	CU_ASSERT(t.plain_len == 15 && memcmp(t.plain, "HTTP/1.1 200 OK", 15) == 0);
	CU_ASSERT_EQUAL(t.n_alerts, 0);
	arrive_eof(&t, f, TG_FLOW_BACKEND, 0);
	client_read(&t, f);
	CU_ASSERT_EQUAL(t.n_alerts, 1);
	CU_ASSERT_EQUAL(t.alerts[0][1], TG_ALERT_CLOSE_NOTIFY);
	CU_ASSERT_TRUE(x->released);
	CU_ASSERT_TRUE(log_has(&t, "tls=TLSv1.3"));
	env_fini(&t);

	/* padding alone: no content type (§5.4) */
	env_init(&t, NULL, false);
	f = open_flow13(&t);
	x = mf(&t.mem, f);
	{
		uint32_t hdr = tg_accel_hdr_len(t.cli_tx);
		struct tg_rec r = { .sess = t.cli_tx, .buf = chunk,
				    .cap = sizeof(chunk), .off = hdr, .len = 0,
				    .type = 0, .pad = 16 }, *rp = &r;

		/* inner type 0 is what the padding is made of */
		CU_ASSERT_EQUAL_FATAL(tg_accel_seal_burst(&rp, 1), 1);
		arrive(&t, f, TG_FLOW_CLIENT, chunk, r.rec_len);
	}
	for (int i = 0; i < 4; i++)
		round_(&t);
	client_read(&t, f);
	CU_ASSERT_EQUAL(t.n_alerts, 1);
	CU_ASSERT_EQUAL(t.alerts[0][0], TG_ALERT_FATAL);
	CU_ASSERT_EQUAL(t.alerts[0][1], TG_ALERT_UNEXPECTED_MESSAGE);
	CU_ASSERT_TRUE(x->released);
	env_fini(&t);
}

/* ---- records in the send streams (tg_flow_ops::send_reserve) --------------------- */

/*
 * On a transport with reservations and segment-sized spans (1460 bytes):
 * the backend's bytes are sealed where the client's stream continues
 * (no send of application data), records whole in a span are opened in
 * place, large records across spans are copied once into the backend's
 * stream and committed with their plaintext only, small ones go through
 * cin; a refused reservation is
 * back-pressure; close_notify goes after the last record; the FIN after
 * the last plaintext. @p acc: the accel engine (NULL: the CPU one).
 */
static void resv_path(struct tg_accel *acc, bool chain)
{
	static uint8_t chunk[70000], got[1 << 17];
	static const uint32_t sizes[] = { 64, 16384, 100, 16000, 3000, 1400, 7 };
	struct env t;
	struct tg_flow *f;
	struct mflow *x;
	struct mcli c;
	int alert;
	size_t n;

	g_resv = true;
	g_chain = chain;
	g_resv_seg = 1460;
	if (acc != NULL)
		g_eng_acc = acc;
	env_init(&t, NULL, true);
	g_eng_acc = NULL;
	g_resv = g_chain = false;
	f = open_flow(&t);
	x = mf(&t.mem, f);
	mcli_init(&t, &c);
	for (uint32_t i = 0; i < sizeof(chunk); i++)
		chunk[i] = (uint8_t)(i * 13 + i / 251);
	/* the client's records: whole in a span and across spans */
	for (unsigned i = 0; i < RTE_DIM(sizes); i++)
		mcli_send(&t, &c, f, chunk + i * 100, sizes[i]);
	tg_flow_on_readable(t.e, f, TG_FLOW_CLIENT);
	/* the backend's bytes, a reservation refused on the way */
	t.mem.refuse = 1;
	mcli_backend(&t, &c, f, chunk, sizeof(chunk));
	tg_flow_on_readable(t.e, f, TG_FLOW_BACKEND);
	for (int k = 0; k < 300 && (x->s[TG_FLOW_BACKEND].out_len < c.sent_len ||
				    client_plain(&t, tg_flow_slot(f), got, sizeof(got),
						 &alert) < c.expect_len); k++)
		tick(&t, 1);
	EXPECT_FLOW(x->s[TG_FLOW_BACKEND].out_len == c.sent_len &&
			    memcmp(x->s[TG_FLOW_BACKEND].out, c.sent, c.sent_len) == 0,
		    "%zu of %zu bytes to the backend in order",
		    x->s[TG_FLOW_BACKEND].out_len, c.sent_len);
	n = client_plain(&t, tg_flow_slot(f), got, sizeof(got), &alert);
	EXPECT_FLOW(n == c.expect_len && memcmp(got, c.expect, n) == 0,
		    "%zu of %zu bytes to the client in order", n, c.expect_len);
	CU_ASSERT_EQUAL(alert, -1);
	/* every byte of each way through reservations: no send */
	CU_ASSERT_EQUAL(x->s[TG_FLOW_CLIENT].sends, 0);
	CU_ASSERT(x->s[TG_FLOW_CLIENT].commits >= 5);
	/* 16384, 16000 copied once (with chains: taken out as chains,
	 * opened there and appended, no reservation of the backend's
	 * stream); 3000 (under TG_ASM_MIN) through cin; 64, 100: opened in
	 * place */
	if (chain) {
		CU_ASSERT_EQUAL(x->s[TG_FLOW_BACKEND].commits, 0);
		CU_ASSERT_EQUAL(x->s[TG_FLOW_BACKEND].reserves, 0);
		CU_ASSERT(x->s[TG_FLOW_BACKEND].chain_sends >= 2);
		CU_ASSERT(t.mem.chained >= 16384 + 16000 + 2 * 29);
	} else {
		CU_ASSERT(x->s[TG_FLOW_BACKEND].commits >= 2);
	}
	CU_ASSERT(t.mem.peeked > 0);
	CU_ASSERT_EQUAL(x->s[TG_FLOW_CLIENT].rv_n, 0);
	CU_ASSERT_EQUAL(x->s[TG_FLOW_BACKEND].rv_n, 0);
	/* the client ends: the FIN after the plaintext; the backend ends:
	 * close_notify after its last record, through a plain send */
	arrive_eof(&t, f, TG_FLOW_CLIENT, 0);
	for (int k = 0; k < 10; k++)
		tick(&t, 1);
	CU_ASSERT_TRUE(x->s[TG_FLOW_BACKEND].shut);
	arrive_eof(&t, f, TG_FLOW_BACKEND, 0);
	for (int k = 0; k < 20; k++)
		tick(&t, 1);
	n = client_plain(&t, tg_flow_slot(f), got, sizeof(got), &alert);
	CU_ASSERT_EQUAL(n, c.expect_len);
	CU_ASSERT_EQUAL(alert, TG_ALERT_CLOSE_NOTIFY);
	CU_ASSERT_EQUAL(x->s[TG_FLOW_CLIENT].sends, 1);
	CU_ASSERT_TRUE(x->released);
	CU_ASSERT_EQUAL(t.st.accel_inflight, 0);
	mcli_fini(&c);
	env_fini(&t);
}

static void test_resv_path(void)
{
	resv_path(NULL, false);
}

static void test_chain_path(void)
{
	resv_path(NULL, true);
}

static void test_chain_path_async(void)
{
	if (g_acc_late == NULL) {
		printf("(no crypto PMD here: skipped) ");
		return;
	}
	resv_path(g_acc_late, true);
}

static void test_resv_path_async(void)
{
	if (g_acc_late == NULL) {
		printf("(no crypto PMD here: skipped) ");
		return;
	}
	resv_path(g_acc_late, false);
}

/*
 * A record cut by the client's end while being assembled in the
 * backend's stream: dropped with its reservation, none of it reaches the
 * backend, the FIN does.
 */
static void test_resv_cut_record(void)
{
	static uint8_t rec[9000], plain[8000];
	struct env t;
	struct tg_flow *f;
	struct mflow *x;
	size_t l;

	g_resv = true;
	g_resv_seg = 1460;
	env_init(&t, NULL, true);
	g_resv = false;
	f = open_flow(&t);
	x = mf(&t.mem, f);
	client_send(&t, f, TG_CT_APPLICATION_DATA, "first", 5);
	memset(plain, 'q', sizeof(plain));
	l = client_record(&t, TG_CT_APPLICATION_DATA, plain, sizeof(plain), rec,
			  sizeof(rec));
	CU_ASSERT_FATAL(l > 5000);
	arrive(&t, f, TG_FLOW_CLIENT, rec, 5000);
	CU_ASSERT_EQUAL(x->s[TG_FLOW_BACKEND].rv_n, 1);
	arrive_eof(&t, f, TG_FLOW_CLIENT, 0);
	for (int k = 0; k < 10; k++)
		tick(&t, 1);
	CU_ASSERT_EQUAL(x->s[TG_FLOW_BACKEND].rv_n, 0);
	CU_ASSERT_EQUAL(x->s[TG_FLOW_BACKEND].out_len, 5);
	CU_ASSERT_EQUAL(x->s[TG_FLOW_BACKEND].commits, 0);
	CU_ASSERT_TRUE(x->s[TG_FLOW_BACKEND].shut);
	env_fini(&t);
}

/* A flow on the chain transport (spans of @p seg bytes). */
static struct tg_flow *chain_env(struct env *t, uint32_t seg, bool v13)
{
	struct tg_flow *f;

	g_resv = g_chain = true;
	g_resv_seg = seg;
	env_init(t, NULL, true);
	g_resv = g_chain = false;
	f = v13 ? open_flow13(t) : open_flow(t);
	return f;
}

/*
 * Records across spans taken out as chains: the tag across the last two
 * segments (7 bytes in the last), exact bytes to the backend, no copy
 * (no reservation of the backend's stream, no send of plaintext); a
 * header cut across spans goes through cin; the FIN after the last.
 */
static void test_chain_tag_split(void)
{
	static uint8_t p1[5810], p2[9000];
	struct env t;
	struct tg_flow *f = chain_env(&t, 1460, false);
	struct mflow *x = mf(&t.mem, f);
	struct mside *b = &x->s[TG_FLOW_BACKEND];

	tg_test_fill(p1, sizeof(p1));
	tg_test_fill(p2, sizeof(p2));
	/* the stream's first 8 bytes were the handshake's: the record ends
	 * at 8 + 29 + 5810 = 4 x 1460 + 7 */
	CU_ASSERT_EQUAL(x->s[TG_FLOW_CLIENT].in_len, 8);
	client_send(&t, f, TG_CT_APPLICATION_DATA, p1, sizeof(p1));
	for (int k = 0; k < 5; k++)
		tick(&t, 1);
	CU_ASSERT_EQUAL_FATAL(b->out_len, sizeof(p1));
	CU_ASSERT_EQUAL(memcmp(b->out, p1, sizeof(p1)), 0);
	CU_ASSERT_EQUAL(b->chain_sends, 1);
	CU_ASSERT_EQUAL(t.mem.chained, sizeof(p1) + 29);
	/* the next one's header starts 7 bytes into a span: whole there,
	 * the record across spans again */
	client_send(&t, f, TG_CT_APPLICATION_DATA, p2, sizeof(p2));
	for (int k = 0; k < 5; k++)
		tick(&t, 1);
	CU_ASSERT_EQUAL_FATAL(b->out_len, sizeof(p1) + sizeof(p2));
	CU_ASSERT_EQUAL(memcmp(b->out + sizeof(p1), p2, sizeof(p2)), 0);
	CU_ASSERT_EQUAL(b->chain_sends, 2);
	CU_ASSERT_EQUAL(b->reserves, 0);
	CU_ASSERT_EQUAL(b->sends, 0);
	arrive_eof(&t, f, TG_FLOW_CLIENT, 0);
	for (int k = 0; k < 5; k++)
		tick(&t, 1);
	CU_ASSERT_TRUE(b->shut);
	env_fini(&t);
}

/* TLS 1.3 with padding (the inner type and zeros cut from the back,
 * across segments), a KeyUpdate between large records: each under its
 * key, the bytes exact, through chains. */
static void test_chain_tls13(void)
{
	static uint8_t p1[12000], p2[7000], ku[5] = { TG_HS_KEY_UPDATE, 0, 0, 1, 0 };
	struct env t;
	struct tg_flow *f = chain_env(&t, 1460, true);
	struct mflow *x = mf(&t.mem, f);
	struct mside *b = &x->s[TG_FLOW_BACKEND];

	tg_test_fill(p1, sizeof(p1));
	tg_test_fill(p2, sizeof(p2));
	t.cli_pad = 40;
	client_send(&t, f, TG_CT_APPLICATION_DATA, p1, sizeof(p1));
	for (int k = 0; k < 5; k++)
		tick(&t, 1);
	CU_ASSERT_EQUAL_FATAL(b->out_len, sizeof(p1));
	CU_ASSERT_EQUAL(memcmp(b->out, p1, sizeof(p1)), 0);
	/* the client's KeyUpdate, then a record under its next key */
	client_send(&t, f, TG_CT_HANDSHAKE, ku, sizeof(ku));
	{
		struct tg_keys k;

		TG_ASSERT_OK(tg_ks_update(TG_HASH_SHA256, t.sec_c2s));
		TG_ASSERT_OK(tg_ks_traffic_keys(TG_HASH_SHA256, TG_SUITE_AES128GCM,
						t.sec_c2s, TG_DIR_SEAL, 0, &k));
		tg_accel_sess_free(t.cli_tx);
		TG_ASSERT_OK(tg_accel_sess_create(g_acc, &k, &t.cli_tx));
	}
	t.cli_pad = 3;
	client_send(&t, f, TG_CT_APPLICATION_DATA, p2, sizeof(p2));
	for (int k = 0; k < 5; k++)
		tick(&t, 1);
	CU_ASSERT_EQUAL(t.st.key_updates_received, 1);
	CU_ASSERT_EQUAL_FATAL(b->out_len, sizeof(p1) + sizeof(p2));
	CU_ASSERT_EQUAL(memcmp(b->out + sizeof(p1), p2, sizeof(p2)), 0);
	CU_ASSERT_EQUAL(b->chain_sends, 2);
	CU_ASSERT_EQUAL(b->reserves, 0);
	CU_ASSERT_FALSE(x->released);
	env_fini(&t);
}

/* The backend's stream not writable: the opened chain waits, the small
 * record behind it (opened in place, into bout) after it; the client's
 * FIN after both. */
static void test_chain_backend_full(void)
{
	static uint8_t p1[9000];
	struct env t;
	struct tg_flow *f = chain_env(&t, 1460, false);
	struct mflow *x = mf(&t.mem, f);
	struct mside *b = &x->s[TG_FLOW_BACKEND];

	tg_test_fill(p1, sizeof(p1));
	b->window = 0;
	client_send(&t, f, TG_CT_APPLICATION_DATA, p1, sizeof(p1));
	client_send(&t, f, TG_CT_APPLICATION_DATA, "tail", 4);
	arrive_eof(&t, f, TG_FLOW_CLIENT, 0);
	for (int k = 0; k < 5; k++)
		tick(&t, 1);
	CU_ASSERT_EQUAL(b->out_len, 0);
	CU_ASSERT_FALSE(b->shut);
	CU_ASSERT_TRUE(b->wr); /* it waits for writable */
	b->window = UNLIMITED;
	for (int k = 0; k < 5; k++)
		tick(&t, 1);
	CU_ASSERT_EQUAL_FATAL(b->out_len, sizeof(p1) + 4);
	CU_ASSERT_EQUAL(memcmp(b->out, p1, sizeof(p1)), 0);
	CU_ASSERT_EQUAL(memcmp(b->out + sizeof(p1), "tail", 4), 0);
	CU_ASSERT_EQUAL(b->chain_sends, 1);
	CU_ASSERT_TRUE(b->shut);
	env_fini(&t);
}

/* A bad tag in a chain: bad_record_mac, the flow closed, nothing to the
 * backend, every mbuf back. */
static void test_chain_bad_tag(void)
{
	static uint8_t p[10000], rec[10100];
	struct env t;
	struct tg_flow *f = chain_env(&t, 1460, false);
	struct mflow *x = mf(&t.mem, f);
	size_t l;

	memset(p, 'b', sizeof(p));
	l = client_record(&t, TG_CT_APPLICATION_DATA, p, sizeof(p), rec, sizeof(rec));
	rec[l - 3] ^= 0x40; /* in the tag, in its last segment */
	arrive(&t, f, TG_FLOW_CLIENT, rec, l);
	client_read(&t, f);
	CU_ASSERT_EQUAL(t.n_alerts, 1);
	CU_ASSERT_EQUAL(t.alerts[0][1], TG_ALERT_BAD_RECORD_MAC);
	CU_ASSERT_TRUE(x->released);
	CU_ASSERT_EQUAL(x->s[TG_FLOW_BACKEND].out_len, 0);
	CU_ASSERT_EQUAL(t.mem.chained, l);
	CU_ASSERT_EQUAL(rte_mempool_in_use_count(g_chain_pool), 0);
	env_fini(&t);
}

/*
 * More segments than the accel API takes: a record of 54 spans of 300
 * bytes is copied once into the backend's stream, as before; one whose
 * first part came as a chain of 17 goes there once its rest would pass
 * 32 (its bytes copied from the chain); a record cut by the client's end
 * while being taken is dropped, the FIN goes.
 */
static void test_chain_fallbacks(void)
{
	static uint8_t p[16000], rec[16100];
	struct env t;
	struct tg_flow *f = chain_env(&t, 300, false);
	struct mflow *x = mf(&t.mem, f);
	struct mside *b = &x->s[TG_FLOW_BACKEND];
	size_t l;

	tg_test_fill(p, sizeof(p));
	/* whole: over 32 spans from its start */
	client_send(&t, f, TG_CT_APPLICATION_DATA, p, sizeof(p));
	for (int k = 0; k < 5; k++)
		tick(&t, 1);
	CU_ASSERT_EQUAL_FATAL(b->out_len, sizeof(p));
	CU_ASSERT_EQUAL(memcmp(b->out, p, sizeof(p)), 0);
	CU_ASSERT_EQUAL(b->commits, 1);
	CU_ASSERT_EQUAL(b->chain_sends, 0);
	/* in two parts: 5000 bytes (18 spans) taken as a chain, then the
	 * rest (37 more) */
	l = client_record(&t, TG_CT_APPLICATION_DATA, p, sizeof(p), rec, sizeof(rec));
	arrive(&t, f, TG_FLOW_CLIENT, rec, 5000);
	CU_ASSERT_EQUAL(t.mem.chained, 5000);
	CU_ASSERT_EQUAL(b->out_len, sizeof(p));
	arrive(&t, f, TG_FLOW_CLIENT, rec + 5000, l - 5000);
	for (int k = 0; k < 5; k++)
		tick(&t, 1);
	CU_ASSERT_EQUAL_FATAL(b->out_len, 2 * sizeof(p));
	CU_ASSERT_EQUAL(memcmp(b->out + sizeof(p), p, sizeof(p)), 0);
	CU_ASSERT_EQUAL(b->commits, 2);
	CU_ASSERT_EQUAL(b->chain_sends, 0);
	CU_ASSERT_EQUAL(rte_mempool_in_use_count(g_chain_pool), 0);
	/* cut by the client's end while being taken */
	l = client_record(&t, TG_CT_APPLICATION_DATA, p, sizeof(p), rec, sizeof(rec));
	arrive(&t, f, TG_FLOW_CLIENT, rec, 6000);
	CU_ASSERT_EQUAL(t.mem.chained, 11000);
	arrive_eof(&t, f, TG_FLOW_CLIENT, 0);
	for (int k = 0; k < 5; k++)
		tick(&t, 1);
	CU_ASSERT_EQUAL(b->out_len, 2 * sizeof(p));
	CU_ASSERT_TRUE(b->shut);
	CU_ASSERT_EQUAL(rte_mempool_in_use_count(g_chain_pool), 0);
	env_fini(&t);
}

/* Tests of the copy paths run again on the reservation path. */
#define RESV_AGAIN(name)                                                       \
	static void name##_resv(void)                                          \
	{                                                                      \
		g_resv = true;                                                 \
		g_resv_seg = 1460;                                             \
		name();                                                        \
		g_resv = false;                                                \
	}
RESV_AGAIN(test_lifecycle)
RESV_AGAIN(test_backpressure_to_backend)
RESV_AGAIN(test_backpressure_to_client)
RESV_AGAIN(test_backend_reset)
RESV_AGAIN(test_client_reset)
RESV_AGAIN(test_bad_records)
RESV_AGAIN(test_timeouts)
RESV_AGAIN(test_drain_and_stop)
RESV_AGAIN(test_proxy_header_first)
RESV_AGAIN(test_after_close_notify)
RESV_AGAIN(test_async_order)
RESV_AGAIN(test_async_backpressure)
RESV_AGAIN(test_async_queue_full)
RESV_AGAIN(test_async_seal_fails)
RESV_AGAIN(test_async_open_fails)
RESV_AGAIN(test_async_close_in_flight)
RESV_AGAIN(test_async_stop)
RESV_AGAIN(test_tls13_key_update)
RESV_AGAIN(test_tls13_rekey_limit)
RESV_AGAIN(test_tls13_post_handshake_errors)
RESV_AGAIN(test_tls13_padding_alerts)
RESV_AGAIN(test_async_tls13_client_key_update)
RESV_AGAIN(test_async_tls13_rekey_in_flight)

/* ... and on the chain path (the DPDK transport on our TCP). */
#define CHAIN_AGAIN(name)                                                      \
	static void name##_chain(void)                                         \
	{                                                                      \
		g_resv = g_chain = true;                                       \
		g_resv_seg = 1460;                                             \
		name();                                                        \
		g_resv = g_chain = false;                                      \
	}
CHAIN_AGAIN(test_lifecycle)
CHAIN_AGAIN(test_backpressure_to_backend)
CHAIN_AGAIN(test_backpressure_to_client)
CHAIN_AGAIN(test_backend_reset)
CHAIN_AGAIN(test_client_reset)
CHAIN_AGAIN(test_bad_records)
CHAIN_AGAIN(test_timeouts)
CHAIN_AGAIN(test_drain_and_stop)
CHAIN_AGAIN(test_after_close_notify)
CHAIN_AGAIN(test_async_order)
CHAIN_AGAIN(test_async_backpressure)
CHAIN_AGAIN(test_async_queue_full)
CHAIN_AGAIN(test_async_open_fails)
CHAIN_AGAIN(test_async_close_in_flight)
CHAIN_AGAIN(test_async_stop)
CHAIN_AGAIN(test_tls13_key_update)
CHAIN_AGAIN(test_tls13_post_handshake_errors)
CHAIN_AGAIN(test_tls13_padding_alerts)
CHAIN_AGAIN(test_async_tls13_client_key_update)

static CU_TestInfo flow_tests[] = {
	{ "TLS 1.3: KeyUpdate from the client, ours when asked",
	  test_tls13_key_update },
	{ "TLS 1.3: our KeyUpdate before the record limit",
	  test_tls13_rekey_limit },
	{ "TLS 1.3: post-handshake errors", test_tls13_post_handshake_errors },
	{ "TLS 1.3: padded records, user_canceled, half-close",
	  test_tls13_padding_alerts },
	{ "a flow's whole life, half-close", test_lifecycle },
	{ "late records go first", test_late_records },
	{ "bytes after Finished come with the keys", test_install_trailing },
	{ "back-pressure towards the backend", test_backpressure_to_backend },
	{ "back-pressure towards the client", test_backpressure_to_client },
	{ "backend reset: data, then no close_notify", test_backend_reset },
	{ "client reset", test_client_reset },
	{ "client EOF in the handshake", test_client_eof_in_handshake },
	{ "handshake failure", test_handshake_fail },
	{ "bad records", test_bad_records },
	{ "timeouts", test_timeouts },
	{ "connect time up, the connect ended meanwhile", test_connect_check },
	{ "backends refused", test_connect_refused },
	{ "drain and stop", test_drain_and_stop },
	{ "limits and generations", test_limits_and_generations },
	{ "PROXY header first", test_proxy_header_first },
	{ "cross-flow bursts", test_cross_flow_bursts },
	{ "TLS 1.3: cross-flow bursts, a KeyUpdate inside one",
	  test_tls13_cross_flow_bursts },
	{ "zero-copy receive", test_peek_receive },
	{ "PROXY header with a full bout", test_proxy_header_full_bout },
	{ "nothing after close_notify", test_after_close_notify },
	{ "connect timeout from the connect's start", test_connect_timeout_from_start },
	{ "control-plane ring full", test_ctl_ring_full },
	{ "async: order per flow, late reversed completions", test_async_order },
	{ "async: back-pressure both ways", test_async_backpressure },
	{ "async: accel queue full", test_async_queue_full },
	{ "async: a failed seal drops the flow, never in clear", test_async_seal_fails },
	{ "async: a failed open gets bad_record_mac", test_async_open_fails },
	{ "async: close with records in flight", test_async_close_in_flight },
	{ "async: stop with records in flight", test_async_stop },
	{ "async: TLS 1.3 client KeyUpdate among records in flight",
	  test_async_tls13_client_key_update },
	{ "async: TLS 1.3 our KeyUpdate waits for seals in flight",
	  test_async_tls13_rekey_in_flight },
	{ "resv: sealed and opened in the send streams", test_resv_path },
	{ "resv: the same, async, late reversed completions", test_resv_path_async },
	{ "resv: a record cut by the client's end", test_resv_cut_record },
	{ "resv: a flow's whole life", test_lifecycle_resv },
	{ "resv: back-pressure towards the backend", test_backpressure_to_backend_resv },
	{ "resv: back-pressure towards the client", test_backpressure_to_client_resv },
	{ "resv: backend reset", test_backend_reset_resv },
	{ "resv: client reset", test_client_reset_resv },
	{ "resv: bad records", test_bad_records_resv },
	{ "resv: timeouts", test_timeouts_resv },
	{ "resv: drain and stop", test_drain_and_stop_resv },
	{ "resv: PROXY header first", test_proxy_header_first_resv },
	{ "resv: nothing after close_notify", test_after_close_notify_resv },
	{ "resv: async order", test_async_order_resv },
	{ "resv: async back-pressure", test_async_backpressure_resv },
	{ "resv: async queue full", test_async_queue_full_resv },
	{ "resv: async failed seal, never in clear", test_async_seal_fails_resv },
	{ "resv: async failed open", test_async_open_fails_resv },
	{ "resv: async close in flight", test_async_close_in_flight_resv },
	{ "resv: async stop in flight", test_async_stop_resv },
	{ "resv: TLS 1.3 KeyUpdate", test_tls13_key_update_resv },
	{ "resv: TLS 1.3 rekey limit", test_tls13_rekey_limit_resv },
	{ "resv: TLS 1.3 post-handshake errors", test_tls13_post_handshake_errors_resv },
	{ "resv: TLS 1.3 padding, alerts", test_tls13_padding_alerts_resv },
	{ "resv: async TLS 1.3 client KeyUpdate", test_async_tls13_client_key_update_resv },
	{ "resv: async TLS 1.3 rekey in flight", test_async_tls13_rekey_in_flight_resv },
	{ "chain: records across segments opened in chains, no copy", test_chain_path },
	{ "chain: the same, async, late reversed completions", test_chain_path_async },
	{ "chain: the tag across the last two segments", test_chain_tag_split },
	{ "chain: TLS 1.3, padding, a KeyUpdate between", test_chain_tls13 },
	{ "chain: a bad tag closes the flow", test_chain_bad_tag },
	{ "chain: the backend's stream full: the chain waits, bout after it",
	  test_chain_backend_full },
	{ "chain: over 32 segments, cut by the end", test_chain_fallbacks },
	{ "chain: a flow's whole life", test_lifecycle_chain },
	{ "chain: back-pressure towards the backend", test_backpressure_to_backend_chain },
	{ "chain: back-pressure towards the client", test_backpressure_to_client_chain },
	{ "chain: backend reset", test_backend_reset_chain },
	{ "chain: client reset", test_client_reset_chain },
	{ "chain: bad records", test_bad_records_chain },
	{ "chain: timeouts", test_timeouts_chain },
	{ "chain: drain and stop", test_drain_and_stop_chain },
	{ "chain: nothing after close_notify", test_after_close_notify_chain },
	{ "chain: async order", test_async_order_chain },
	{ "chain: async back-pressure", test_async_backpressure_chain },
	{ "chain: async queue full", test_async_queue_full_chain },
	{ "chain: async failed open", test_async_open_fails_chain },
	{ "chain: async close in flight", test_async_close_in_flight_chain },
	{ "chain: async stop in flight", test_async_stop_chain },
	{ "chain: TLS 1.3 KeyUpdate", test_tls13_key_update_chain },
	{ "chain: TLS 1.3 post-handshake errors", test_tls13_post_handshake_errors_chain },
	{ "chain: TLS 1.3 padding, alerts", test_tls13_padding_alerts_chain },
	{ "chain: async TLS 1.3 client KeyUpdate", test_async_tls13_client_key_update_chain },
	CU_TEST_INFO_NULL,
};

static const struct tg_test_suite suites[] = {
	{ "flow", NULL, NULL, flow_tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	struct tg_eal_opts o = { 0 };
	struct tg_accel_conf ac = { .backends = "evp", .no_calibrate = true };
	int rc;

	if (tg_failed(tg_eal_start("test_flow", &o)) ||
	    tg_failed(tg_accel_create(&ac, &g_acc))) {
		fprintf(stderr, "test_flow: EAL or accel set-up failed\n");
		return 1;
	}
	/* crypto PMDs as vdevs of their own (the EAL creates them) */
	{
		static const char *const specs[4] = {
			"cryptodev:crypto_aesni_mb_tfl+hold=3",
			"cryptodev:crypto_aesni_mb_tff+fail=3",
			"cryptodev:crypto_openssl_tfs+hold=60",
			"cryptodev:crypto_aesni_mb_tfn+desc=2+hold=3",
		};
		struct tg_accel **accs[4] = { &g_acc_late, &g_acc_fail, &g_acc_slow,
					      &g_acc_narrow };

		for (int i = 0; i < 4; i++) {
			struct tg_accel_conf c = { .backends = specs[i],
						   .no_calibrate = true };

			if (tg_failed(tg_accel_create(&c, accs[i])))
				*accs[i] = NULL;
		}
	}
	g_chain_pool = rte_pktmbuf_pool_create("tf_chain", 4095, 0, 0,
					       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (g_chain_pool == NULL) {
		fprintf(stderr, "test_flow: mbuf pool\n");
		return 1;
	}
	rc = tg_test_main(argc, argv, suites);
	tg_accel_destroy(g_acc_late);
	tg_accel_destroy(g_acc_fail);
	tg_accel_destroy(g_acc_slow);
	tg_accel_destroy(g_acc_narrow);
	tg_accel_destroy(g_acc);
	tg_eal_stop();
	return rc;
}
