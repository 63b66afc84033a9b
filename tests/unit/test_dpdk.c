/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file test_dpdk.c
 * The DPDK transport end to end on a net_ring pair: side B is a DPDK
 * worker (dataplane/dpdk: its network instance, our TCP and the flow
 * engine, with the real control plane running inline and our handshake
 * engine as the server); side A is a second instance of our TCP with
 * libssl clients on it (memory BIOs over tg_tcp connections) and the
 * backend, an echo server on A's address that the worker reaches through
 * the same port by our TCP's active open. Every byte a client sends
 * comes back through TLS, the backend and TLS again, and is checked.
 *
 * Flows: one, many at once (records of several flows in one burst),
 * resumption by ticket, a refused backend then the next, none reachable,
 * 1 % loss with reordering on the worker's port, the stop (close_notify
 * to the clients), and every mbuf back in its pool at the end.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "tg_backend.h"
#include "tg_ctl.h"
#include "tg_dpdk.h"
#include "tg_eal.h"
#include "tg_flow.h"
#include "tg_net.h"
#include "tg_stats.h"
#include "tg_tcp.h"
#include "tg_test.h"
#include "tg_test_hs.h"
#include "tg_test_net.h"

#define MAXC 48           /* clients at once */
#define ECHO_MAX 64       /* backend connections */
#define ECHO_BUF (64 * 1024)
#define TLS_PORT 443
#define ECHO_PORT 7
#define DEAD_PORT 9       /* nobody listens: a RST */
#define A_CONNS 256       /* side A's TCP: connections */

static struct tg_test_hs_env env;

/* ---- side A: the backend (an echo server) -------------------------------------- */

struct echo {
	struct tg_tcp_conn *c;
	uint8_t buf[ECHO_BUF];
	size_t len;
	bool used, eof, shut;
};

/* ---- side A: TLS clients (libssl over our TCP) --------------------------------- */

struct cli {
	struct tg_tcp_conn *c;
	SSL *ssl;
	BIO *net;                /* our end of the BIO pair */
	uint8_t pend[16384];     /* wire bytes from libssl not yet taken by TCP */
	size_t pend_len, pend_off;
	uint64_t rng_out, rng_in;
	size_t total, sent, back;
	bool used, connected, hs, shut_tls, done, bad, eof, got_notify;
	bool reused;
	int alert;               /* a fatal alert from the server, or -1 */
	unsigned long err;       /* libssl's error when this client failed (the
				  * queue is the thread's, shared by all) */
	SSL_SESSION *sess;       /* after the handshake */
};

struct t {
	struct tn_pair n;
	struct tg_dpdk_port *port;
	struct tg_dpdk_worker *w;
	struct tg_dpdk_conf dc;
	struct tg_flow_settings set;
	struct tg_wk_stats st;
	struct tg_dpdk_stats nst;
	atomic_uint conns;
	atomic_int run;
	struct tg_backends_cur be;
	struct tg_ctl *ctl;
	struct tg_ctl_hscfg cfg;
	struct tg_addr listen;
	struct tg_tcp *a;        /* side A's TCP */
	SSL_CTX *sctx;
	struct echo echo[ECHO_MAX];
	struct cli cli[MAXC];
	unsigned echo_accepted;
};

static struct t T;

static uint8_t next_byte(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint8_t)(*s >> 24);
}

static unsigned ctl_poll(void *ctl)
{
	return tg_ctl_poll(ctl);
}

static void cfg_release(struct tg_ctl_hscfg *c)
{
	(void)c; /* the test owns it */
}

static void addr_set(struct tg_addr *a, const char *ip, uint16_t port)
{
	struct sockaddr_in *s = (struct sockaddr_in *)&a->sa;

	memset(a, 0, sizeof(*a));
	snprintf(a->text, sizeof(a->text), "%s:%u", ip, port);
	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	inet_pton(AF_INET, ip, &s->sin_addr);
	a->salen = sizeof(*s);
}

/* ---- side A's round ---------------------------------------------------------------- */

static void echo_event(struct t *t, const struct tg_tcp_event *ev)
{
	struct echo *x = ev->udata;

	if (ev->ev & TG_TCP_EV_ACCEPTED) {
		x = NULL;
		for (unsigned j = 0; j < ECHO_MAX; j++)
			if (!t->echo[j].used) {
				x = &t->echo[j];
				break;
			}
		if (x == NULL) {
			tg_tcp_abort(ev->c);
			return;
		}
		x->used = true;
		x->len = 0;
		x->eof = x->shut = false;
		x->c = ev->c;
		tg_tcp_set_udata(x->c, x);
		t->echo_accepted++;
	}
	if (ev->ev & (TG_TCP_EV_ERROR | TG_TCP_EV_CLOSED)) {
		tg_tcp_close(x->c);
		x->used = false;
		return;
	}
	if (x->len < ECHO_BUF && !x->eof) {
		struct iovec iov = { x->buf + x->len, ECHO_BUF - x->len };
		ssize_t r = tg_tcp_recv(x->c, &iov, 1);

		if (r > 0)
			x->len += (size_t)r;
		else if (r == 0)
			x->eof = true;
	}
	if (x->len > 0) {
		ssize_t w = tg_tcp_send(x->c, x->buf, x->len);

		if (w > 0) {
			memmove(x->buf, x->buf + w, x->len - (size_t)w);
			x->len -= (size_t)w;
		}
	}
	if (x->eof && x->len == 0 && !x->shut) {
		tg_tcp_shutdown(x->c);
		x->shut = true;
	}
	tg_tcp_want(x->c, x->len < ECHO_BUF && !x->eof, x->len > 0);
}

/* Move wire bytes between libssl and our TCP, and plaintext in and out. */
static void cli_step(struct cli *x)
{
	uint8_t tmp[16384];

	if (x->done || !x->connected)
		return;
	/* TCP -> libssl */
	for (;;) {
		size_t room = BIO_ctrl_get_write_guarantee(x->net);
		struct iovec iov = { tmp, room < sizeof(tmp) ? room : sizeof(tmp) };
		ssize_t r;

		if (iov.iov_len == 0)
			break;
		r = tg_tcp_recv(x->c, &iov, 1);
		if (r > 0) {
			CU_ASSERT_EQUAL(BIO_write(x->net, tmp, (int)r), (int)r);
			continue;
		}
		if (r == 0 || r != -EAGAIN)
			x->eof = true;
		break;
	}
	if (!x->hs) {
		int rc = SSL_do_handshake(x->ssl);

		if (rc == 1) {
			x->hs = true;
			x->reused = SSL_session_reused(x->ssl);
			x->sess = SSL_get1_session(x->ssl);
		} else if (SSL_get_error(x->ssl, rc) != SSL_ERROR_WANT_READ) {
			x->err = ERR_peek_last_error();
			x->bad = true;
			x->done = true;
		}
	}
	if (x->hs && !x->done) {
		/* plaintext out */
		while (x->sent < x->total) {
			size_t n = x->total - x->sent < sizeof(tmp) ? x->total - x->sent
								    : sizeof(tmp);
			uint64_t save = x->rng_out;
			int w;

			for (size_t i = 0; i < n; i++)
				tmp[i] = next_byte(&x->rng_out);
			w = SSL_write(x->ssl, tmp, (int)n);
			x->rng_out = save;
			if (w <= 0)
				break;
			for (int i = 0; i < w; i++)
				(void)next_byte(&x->rng_out);
			x->sent += (size_t)w;
			if (BIO_ctrl_pending(x->net) > 256 * 1024)
				break;
		}
		if (x->sent == x->total && !x->shut_tls) {
			(void)SSL_shutdown(x->ssl); /* close_notify */
			x->shut_tls = true;
		}
		/* plaintext in */
		for (;;) {
			int r = SSL_read(x->ssl, tmp, sizeof(tmp));

			if (r > 0) {
				for (int i = 0; i < r; i++)
					if (tmp[i] != next_byte(&x->rng_in))
						x->bad = true;
				x->back += (size_t)r;
				continue;
			}
			switch (SSL_get_error(x->ssl, r)) {
			case SSL_ERROR_WANT_READ:
				break;
			case SSL_ERROR_ZERO_RETURN:
				x->got_notify = true;
				break;
			default:
				x->err = ERR_peek_last_error();
				x->bad = true;
				x->done = true;
				break;
			}
			break;
		}
	}
	/* libssl -> TCP */
	for (;;) {
		ssize_t w;

		if (x->pend_off == x->pend_len) {
			int k = BIO_read(x->net, x->pend, sizeof(x->pend));

			x->pend_off = x->pend_len = 0;
			if (k <= 0)
				break;
			x->pend_len = (size_t)k;
		}
		w = tg_tcp_send(x->c, x->pend + x->pend_off, x->pend_len - x->pend_off);
		if (w <= 0)
			break;
		x->pend_off += (size_t)w;
	}
	if (x->eof || x->got_notify) {
		if (!x->hs) {
			/* an alert instead of the handshake's end */
			x->bad = true;
		}
		x->done = true;
	}
	if (!x->done)
		tg_tcp_want(x->c, true, x->pend_off < x->pend_len || x->sent < x->total);
}

static void a_round(struct t *t)
{
	/* as many as side A has connections: events are level-triggered
	 * and come from the head of the ready list, a smaller array would
	 * starve the connections past its end while the first stay ready
	 * (a client done with unread bytes) */
	struct tg_tcp_event ev[A_CONNS];
	unsigned k;

	tg_tcp_poll(t->a);
	k = tg_tcp_events(t->a, ev, A_CONNS);
	for (unsigned i = 0; i < k; i++) {
		struct cli *x = ev[i].udata;

		if ((ev[i].ev & TG_TCP_EV_ACCEPTED) ||
		    (x != NULL && (void *)x >= (void *)t->echo &&
		     (void *)x < (void *)(t->echo + ECHO_MAX))) {
			echo_event(t, &ev[i]);
			continue;
		}
		if (x == NULL || x->done)
			continue;
		if (ev[i].ev & TG_TCP_EV_CONNECTED)
			x->connected = true;
		if (ev[i].ev & TG_TCP_EV_ERROR) {
			x->eof = true;
			x->done = true;
			x->bad = x->bad || !x->hs || x->back != x->total;
			continue;
		}
		cli_step(x);
	}
	tg_tcp_flush(t->a);
}

static void step(struct t *t)
{
	(void)tg_dpdk_worker_poll(t->w);
	a_round(t);
}

static bool all_done(struct t *t, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (t->cli[i].used && !t->cli[i].done)
			return false;
	return true;
}

/* Run until the first @p n clients are done or @p seconds pass. */
static void run_until_done(struct t *t, unsigned n, double seconds)
{
	uint64_t end = rte_get_tsc_cycles() + (uint64_t)(seconds * (double)rte_get_tsc_hz());

	while (!all_done(t, n) && rte_get_tsc_cycles() < end)
		step(t);
}

static void run_ms(struct t *t, unsigned ms)
{
	uint64_t end = rte_get_tsc_cycles() + rte_get_tsc_hz() / 1000 * ms;

	while (rte_get_tsc_cycles() < end)
		step(t);
}

/* Run until @p cond holds or @p seconds pass (a loaded machine runs the
 * rounds late: what a test then asserts is waited for, not a fixed
 * time); whether it holds. */
static bool run_until(struct t *t, bool (*cond)(struct t *t), double seconds)
{
	uint64_t end = rte_get_tsc_cycles() + (uint64_t)(seconds * (double)rte_get_tsc_hz());

	while (!cond(t) && rte_get_tsc_cycles() < end)
		step(t);
	return cond(t);
}

/* every flow of the worker closed */
static bool engine_idle(struct t *t)
{
	return tg_flow_engine_active(tg_dpdk_worker_engine(t->w)) == 0;
}

/* the first client's handshake done and bytes back */
static bool first_flowing(struct t *t)
{
	return t->cli[0].hs && t->cli[0].back > 0;
}

/* ---- set-up -------------------------------------------------------------------------- */

struct up_opts {
	const char *be[4];       /* backend addresses ("ip:port") */
	const struct tg_net_impair_conf *impair;
};

static void up(struct t *t, const struct up_opts *o)
{
	struct tn_opts no = { .nq = 1, .real_clock = true, .garp = { true, false },
			      .no_instance = { false, true } };
	struct tg_dpdk_port_conf pc;
	struct tg_backends_conf bc;
	struct tg_backends *b;
	struct tg_tcp_conf tc;
	char name[RTE_ETH_NAME_MAX_LEN];

	memset(t, 0, sizeof(*t));
	tn_up(&t->n, &no);
	/* side B becomes the DPDK transport's port, with its own pools */
	tg_net_port_stop(t->n.p[1]);
	t->n.p[1] = NULL;
	CU_ASSERT_EQUAL_FATAL(rte_eth_dev_get_name_by_port(t->n.port[1], name), 0);
	memset(&pc, 0, sizeof(pc));
	snprintf(pc.dev, sizeof(pc.dev), "%s", name);
	pc.addr = t->n.addr[1];
	pc.prefix = 24;
	pc.mbufs = 8192;
	TG_ASSERT_OK(tg_dpdk_port_open(&pc, 1, &t->port));

	/* side A: our TCP for the clients and the echo backend */
	memset(&tc, 0, sizeof(tc));
	tc.net = t->n.n[0][0];
	tc.max_conns = A_CONNS;
	TG_ASSERT_OK(tg_tcp_new(&tc, &t->a));
	TG_ASSERT_OK(tg_tcp_listen(t->a, ECHO_PORT, NULL, NULL));

	/* the control plane, inline in the worker */
	memset(&t->cfg, 0, sizeof(t->cfg));
	tg_test_hs_srv_cfg(&t->cfg.hs, &env);
	t->cfg.hs.cache = env.cache;
	t->cfg.hs.tickets = env.tickets;
	atomic_store(&t->cfg.refs, 1);
	t->cfg.release = cfg_release;
	t->set = (struct tg_flow_settings){
		.max_conns = 1000, .max_conns_per_worker = 64,
		.handshake_timeout_ms = 10000, .idle_timeout_ms = 20000,
		.drain_timeout_ms = 2000, .connect_timeout_ms = 2000,
		.connect_retries = 2, .max_buffer = 256 * 1024,
		.record_small = 1369, .record_max = 16384,
		.record_ramp_bytes = 65536, .record_idle_ms = 1000,
	};
	atomic_fetch_add(&t->cfg.refs, 1); /* the control plane's */
	TG_ASSERT_OK(tg_ctl_create(1, t->set.max_conns_per_worker, 256, &t->cfg, &t->ctl));
	TG_ASSERT_OK(tg_ctl_start_inline(t->ctl));

	memset(&bc, 0, sizeof(bc));
	bc.n_pools = 1;
	snprintf(bc.pools[0].name, sizeof(bc.pools[0].name), "default");
	for (unsigned i = 0; i < 4 && o->be[i] != NULL; i++) {
		char ip[32];
		const char *colon = strchr(o->be[i], ':');

		snprintf(ip, sizeof(ip), "%.*s", (int)(colon - o->be[i]), o->be[i]);
		addr_set(&bc.pools[0].be[i], ip, (uint16_t)atoi(colon + 1));
		bc.pools[0].n_be++;
	}
	TG_ASSERT_OK(tg_backends_new(&bc, &b));
	tg_backends_cur_init(&t->be, b);

	addr_set(&t->listen, "198.18.0.2", TLS_PORT);
	atomic_init(&t->run, TG_RUN);
	t->dc = (struct tg_dpdk_conf){
		.w = {
			.flow = { .id = 0, .set = &t->set, .acc = env.acc,
				  .to_ctl = tg_ctl_ring_to_ctl(t->ctl, 0),
				  .from_ctl = tg_ctl_ring_to_worker(t->ctl, 0),
				  .ctl = { .ctx = t->ctl, .poll = ctl_poll },
				  .backends = &t->be, .stats = &t->st,
				  .conns_total = &t->conns, .access_log = NULL },
			.listen = &t->listen, .n_listen = 1, .wake_fd = -1,
			.run = &t->run, .n_workers = 1,
		},
		.port = t->port, .queue = 0, .impair = o->impair,
		.stats = &t->nst, .tcp_seed = 7,
	};
	TG_ASSERT_OK(tg_dpdk_worker_new(&t->dc, &t->w));

	t->sctx = SSL_CTX_new(TLS_client_method());
	CU_ASSERT_PTR_NOT_NULL_FATAL(t->sctx);
	SSL_CTX_set_min_proto_version(t->sctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(t->sctx, TLS1_2_VERSION);
	CU_ASSERT_EQUAL(SSL_CTX_load_verify_locations(t->sctx, tg_pki_path("ca.pem"), NULL), 1);
	SSL_CTX_set_verify(t->sctx, SSL_VERIFY_PEER, NULL);
	/* a write libssl could not finish is retried with the same bytes
	 * made again in cli_step's stack buffer, whose address may differ
	 * (AddressSanitizer's fake stacks): "bad write retry" otherwise */
	SSL_CTX_set_mode(t->sctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* the GARP and ARP go first */
	run_ms(t, 20);
}

static void down(struct t *t)
{
	for (unsigned i = 0; i < MAXC; i++) {
		struct cli *x = &t->cli[i];

		if (!x->used)
			continue;
		SSL_free(x->ssl); /* frees its BIO pair end; ours below */
		BIO_free(x->net);
		SSL_SESSION_free(x->sess);
		if (x->c != NULL)
			tg_tcp_close(x->c);
	}
	for (unsigned i = 0; i < ECHO_MAX; i++)
		if (t->echo[i].used)
			tg_tcp_close(t->echo[i].c);
	tg_dpdk_worker_free(t->w);
	tg_tcp_free(t->a);
	SSL_CTX_free(t->sctx);
	tg_ctl_destroy(t->ctl);
	tg_backends_cur_fini(&t->be);
	/* every packet buffer of the worker's pool is back (once the
	 * frames still on the wire are dropped: a ring passes mbufs) */
	{
		struct rte_mbuf *m[64];
		struct rte_mempool *mp = NULL;
		char name[RTE_MEMPOOL_NAMESIZE];

		for (int sd = 0; sd < 2; sd++) {
			unsigned k;

			while ((k = rte_ring_dequeue_burst(t->n.ring[sd][0], (void **)m,
							   64, NULL)) > 0)
				tn_free(m, k);
		}
		snprintf(name, sizeof(name), "tgdp%u_0", t->n.port[1]);
		mp = rte_mempool_lookup(name);
		CU_ASSERT_PTR_NOT_NULL(mp);
		if (mp != NULL && rte_mempool_avail_count(mp) != mp->size) {
			fprintf(stderr, "worker pool: %u of %u\n",
				rte_mempool_avail_count(mp), mp->size);
			CU_FAIL("mbufs of the worker leaked");
		}
	}
	tg_dpdk_port_close(t->port);
	tn_down(&t->n);
}

/* A client: connect and start the handshake (optionally resuming). */
static struct cli *cli_open(struct t *t, unsigned i, size_t bytes, SSL_SESSION *resume)
{
	struct cli *x = &t->cli[i];
	BIO *inner = NULL;

	memset(x, 0, sizeof(*x));
	x->used = true;
	x->alert = -1;
	x->total = bytes;
	x->rng_out = x->rng_in = 0x9E3779B97F4A7C15ULL * (i + 1);
	x->ssl = SSL_new(t->sctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x->ssl);
	CU_ASSERT_EQUAL_FATAL(BIO_new_bio_pair(&inner, 1 << 18, &x->net, 1 << 18), 1);
	SSL_set_bio(x->ssl, inner, inner);
	SSL_set_tlsext_host_name(x->ssl, TG_TEST_HS_HOST);
	SSL_set1_host(x->ssl, TG_TEST_HS_HOST);
	if (resume != NULL)
		SSL_set_session(x->ssl, resume);
	SSL_set_connect_state(x->ssl);
	TG_ASSERT_OK(tg_tcp_connect(t->a, &t->n.addr[1], TLS_PORT, x, &x->c));
	tg_tcp_want(x->c, true, true);
	return x;
}

static void cli_check(struct cli *x, const char *what)
{
	if (x->bad || x->back != x->total || !x->got_notify) {
		unsigned long e = x->err ? x->err : ERR_peek_error();

		printf("\n  %s: hs %d sent %zu back %zu bad %d notify %d eof %d (%s)",
		       what, x->hs, x->sent, x->back, x->bad, x->got_notify, x->eof,
		       e ? ERR_reason_error_string(e) : "-");
	}
	CU_ASSERT(x->hs);
	CU_ASSERT(!x->bad);
	CU_ASSERT_EQUAL(x->sent, x->total);
	CU_ASSERT_EQUAL(x->back, x->total);
	/* the backend's end came back as close_notify */
	CU_ASSERT(x->got_notify);
}

static void print_stats(struct t *t)
{
	const struct tg_tcp_stats *s = tg_tcp_stats(tg_dpdk_worker_tcp(t->w));

	printf("\n  flows %lu, hs full %lu resumed %lu, sealed %lu opened %lu, "
	       "TCP segs in %lu out %lu, retransmits %lu, accepted %lu connected %lu",
	       (unsigned long)t->st.conns_accepted, (unsigned long)t->st.hs_full,
	       (unsigned long)t->st.hs_resumed,
	       (unsigned long)(t->st.records_sealed[0] + t->st.records_sealed[1] +
			       t->st.records_sealed[2] + t->st.records_sealed[3]),
	       (unsigned long)(t->st.records_opened[0] + t->st.records_opened[1] +
			       t->st.records_opened[2] + t->st.records_opened[3]),
	       (unsigned long)s->segs_in, (unsigned long)s->segs_out,
	       (unsigned long)s->retransmits, (unsigned long)s->accepted,
	       (unsigned long)s->connected);
	printf(" no_mbuf %lu", (unsigned long)s->no_mbuf);
}

/* ---- tests ------------------------------------------------------------------------------ */

static const struct up_opts echo_be = { .be = { "198.18.0.1:7" } };

static void test_one_flow(void)
{
	struct t *t = &T;
	struct cli *x;

	up(t, &echo_be);
	x = cli_open(t, 0, 1 << 20, NULL);
	run_until_done(t, 1, 30);
	cli_check(x, "1 MiB");
	print_stats(t);
	CU_ASSERT_EQUAL(t->st.hs_full, 1);
	CU_ASSERT_EQUAL(t->echo_accepted, 1);
	CU_ASSERT_EQUAL(tg_tcp_stats(tg_dpdk_worker_tcp(t->w))->connected, 1);
	CU_ASSERT(t->st.bytes_from_client > (1 << 20));
	CU_ASSERT(t->st.bytes_to_client > (1 << 20));
	/* the records towards the client were sealed in its send stream,
	 * the client's large ones opened in the backend's: committed from
	 * reservations, more than the MiB each way's records alone */
	printf(" resv_bytes %lu",
	       (unsigned long)tg_tcp_stats(tg_dpdk_worker_tcp(t->w))->resv_bytes);
	CU_ASSERT(tg_tcp_stats(tg_dpdk_worker_tcp(t->w))->resv_bytes > (1u << 20));
	/* the flow ends once the FINs are through */
	CU_ASSERT(run_until(t, engine_idle, 10));
	CU_ASSERT_EQUAL(t->st.conns_closed, 1);
	/* the published counters follow the TCP's */
	CU_ASSERT_EQUAL(t->nst.tcp.accepted, 1);
	CU_ASSERT(t->nst.net.rx_pkts > 0 && t->nst.pool_size == 8192);
	down(t);
}

static void test_many_flows(void)
{
	struct t *t = &T;
	unsigned multi = 0;

	up(t, &echo_be);
	for (unsigned i = 0; i < 32; i++)
		(void)cli_open(t, i, 64 * 1024 + i * 1000, NULL);
	run_until_done(t, 32, 60);
	for (unsigned i = 0; i < 32; i++)
		cli_check(&t->cli[i], "32 at once");
	print_stats(t);
	CU_ASSERT_EQUAL(t->st.hs_full, 32);
	CU_ASSERT_EQUAL(t->echo_accepted, 32);
	/* records of several flows went in one burst */
	for (unsigned b = 1; b < TG_STATS_BURST_BUCKETS; b++)
		multi += (unsigned)t->st.burst_hist[b];
	CU_ASSERT(multi > 0);
	CU_ASSERT(run_until(t, engine_idle, 10));
	down(t);
}

static void test_resumption(void)
{
	struct t *t = &T;
	struct cli *x, *y;
	SSL_SESSION *s;

	up(t, &echo_be);
	x = cli_open(t, 0, 1000, NULL);
	run_until_done(t, 1, 20);
	cli_check(x, "first");
	CU_ASSERT_PTR_NOT_NULL_FATAL(x->sess);
	s = x->sess;
	y = cli_open(t, 1, 2000, s);
	run_until_done(t, 2, 20);
	cli_check(y, "resumed");
	CU_ASSERT(y->reused);
	CU_ASSERT_EQUAL(t->st.hs_full, 1);
	CU_ASSERT_EQUAL(t->st.hs_resumed, 1);
	CU_ASSERT(run_until(t, engine_idle, 10));
	down(t);
}

static void test_backend_refused(void)
{
	struct t *t = &T;
	static const struct up_opts o = { .be = { "198.18.0.1:9", "198.18.0.1:7" } };
	struct cli *x;

	/* the first backend refuses (a RST from side A's TCP): the next one
	 * serves */
	up(t, &o);
	x = cli_open(t, 0, 5000, NULL);
	run_until_done(t, 1, 20);
	cli_check(x, "after a refusal");
	CU_ASSERT(t->st.backend_connect_errors >= 1);
	CU_ASSERT(tg_tcp_stats(tg_dpdk_worker_tcp(t->w))->connect_failed >= 1);
	CU_ASSERT(run_until(t, engine_idle, 10));
	down(t);
}

static void test_no_backend(void)
{
	struct t *t = &T;
	static const struct up_opts o = { .be = { "198.18.0.1:9" } };
	struct cli *x;

	up(t, &o);
	x = cli_open(t, 0, 5000, NULL);
	run_until_done(t, 1, 20);
	/* the handshake completes; the data gets internal_error and a close */
	CU_ASSERT(x->hs);
	CU_ASSERT(x->done);
	CU_ASSERT_EQUAL(x->back, 0);
	CU_ASSERT(t->st.backend_connect_errors >= 1);
	CU_ASSERT(run_until(t, engine_idle, 10));
	down(t);
}

static void test_loss(void)
{
	struct t *t = &T;
	struct tg_net_impair_conf ic;
	struct up_opts o = echo_be;
	struct cli *x[4];

	TG_ASSERT_OK(tg_net_impair_parse("seed=11,loss=1%,reorder=1%,dup=0.5%", &ic));
	o.impair = &ic;
	up(t, &o);
	for (unsigned i = 0; i < 4; i++)
		x[i] = cli_open(t, i, 256 * 1024, NULL);
	run_until_done(t, 4, 60);
	for (unsigned i = 0; i < 4; i++)
		cli_check(x[i], "1% loss");
	print_stats(t);
	CU_ASSERT(tg_tcp_stats(tg_dpdk_worker_tcp(t->w))->retransmits > 0);
	CU_ASSERT(t->nst.net.imp_drop[TG_NET_RX] + t->nst.net.imp_drop[TG_NET_TX] > 0 ||
		  tg_net_stats(t->n.n[0][0])->rx_pkts > 0);
	CU_ASSERT(run_until(t, engine_idle, 20));
	down(t);
}

static void test_stop(void)
{
	struct t *t = &T;
	struct cli *x;

	up(t, &echo_be);
	/* a client that never finishes sending: the stop says goodbye */
	x = cli_open(t, 0, 1 << 30, NULL);
	CU_ASSERT(run_until(t, first_flowing, 20));
	CU_ASSERT(x->hs);
	CU_ASSERT(x->back > 0);
	tg_dpdk_worker_stop(t->w, 0);
	/* the worker's close_notify and FIN reach the client (a bound,
	 * not a wait: it ends when the client is done) */
	{
		uint64_t end = rte_get_tsc_cycles() + 10 * rte_get_tsc_hz();

		while (!x->done && rte_get_tsc_cycles() < end) {
			tg_tcp_poll(tg_dpdk_worker_tcp(t->w));
			tg_tcp_flush(tg_dpdk_worker_tcp(t->w));
			a_round(t);
		}
	}
	if (!(x->got_notify || x->eof) || !x->done) {
		unsigned long e = x->err ? x->err : ERR_peek_error();

		printf("\n  stop: hs %d back %zu bad %d notify %d eof %d done %d (%s)",
		       x->hs, x->back, x->bad, x->got_notify, x->eof, x->done,
		       e ? ERR_reason_error_string(e) : "-");
	}
	CU_ASSERT(x->got_notify || x->eof);
	CU_ASSERT(x->done);
	CU_ASSERT_EQUAL(tg_flow_engine_active(tg_dpdk_worker_engine(t->w)), 0);
	down(t);
}

static void test_listen_checks(void)
{
	struct t *t = &T;
	struct tg_dpdk_worker *w2 = NULL;
	struct tg_dpdk_conf dc;
	struct tg_addr bad;

	up(t, &echo_be);
	/* an address that is not the port's cannot be listened on */
	dc = t->dc;
	addr_set(&bad, "198.18.0.9", 443);
	dc.w.listen = &bad;
	tg_dpdk_worker_free(t->w);
	t->w = NULL;
	TG_ASSERT_ERR(tg_dpdk_worker_new(&dc, &w2), TG_E_INVAL);
	CU_ASSERT_PTR_NULL(w2);
	/* a wildcard can */
	addr_set(&bad, "0.0.0.0", 443);
	TG_ASSERT_OK(tg_dpdk_worker_new(&dc, &w2));
	tg_dpdk_worker_free(w2);
	/* a port that does not exist is refused with the ports' names */
	{
		struct tg_dpdk_port_conf pc = { .prefix = 24 };
		struct tg_dpdk_port *p = NULL;

		snprintf(pc.dev, sizeof(pc.dev), "net_nosuch0");
		pc.addr = t->n.addr[1];
		TG_ASSERT_ERR(tg_dpdk_port_open(&pc, 1, &p), TG_E_INVAL);
		snprintf(pc.dev, sizeof(pc.dev), "77");
		TG_ASSERT_ERR(tg_dpdk_port_open(&pc, 1, &p), TG_E_INVAL);
		CU_ASSERT_PTR_NULL(p);
	}
	TG_ASSERT_OK(tg_dpdk_worker_new(&t->dc, &t->w));
	down(t);
}

/* An idle worker's waits: the first after work short, each one that found
 * nothing twice the last up to the longest, the longest alone when no
 * first wait is set or it is longer. */
static void test_idle_waits(void)
{
	struct tg_dpdk_conf c = { .idle_us = 1000, .idle_first_us = 100 };
	static const unsigned want[] = { 100, 200, 400, 800, 1000, 1000 };
	unsigned w = 0;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		w = tg_dpdk_idle_next(&c, w);
		CU_ASSERT_EQUAL(w, want[i]);
	}
	/* work since: it starts over */
	CU_ASSERT_EQUAL(tg_dpdk_idle_next(&c, 0), 100);
	/* not a power of two apart: capped, never over the longest */
	c.idle_first_us = 300;
	CU_ASSERT_EQUAL(tg_dpdk_idle_next(&c, 0), 300);
	CU_ASSERT_EQUAL(tg_dpdk_idle_next(&c, 300), 600);
	CU_ASSERT_EQUAL(tg_dpdk_idle_next(&c, 600), 1000);
	/* no first wait, or one longer than the longest: every wait idle_us */
	c.idle_first_us = 0;
	CU_ASSERT_EQUAL(tg_dpdk_idle_next(&c, 0), 1000);
	c.idle_first_us = 5000;
	CU_ASSERT_EQUAL(tg_dpdk_idle_next(&c, 0), 1000);
	CU_ASSERT_EQUAL(tg_dpdk_idle_next(&c, 1000), 1000);
}

/* The idle policy of a poll round (the worker's and tlsgate-bench tcp's
 * lcores'): no wait for TG_DPDK_IDLE_ROUNDS rounds without work, then a
 * wait every round, each as tg_dpdk_idle_next() says; work starts over;
 * idle_us 0 never waits. */
static void test_idle_rounds(void)
{
	struct tg_dpdk_conf c = { .idle_us = 4, .idle_first_us = 1 };
	struct tg_dpdk_idle s = { .rounds = 0 };

	c.w.wake_fd = -1;
	for (unsigned i = 0; i < TG_DPDK_IDLE_ROUNDS; i++)
		CU_ASSERT_FALSE(tg_dpdk_idle_round(&c, &s, false));
	CU_ASSERT_TRUE(tg_dpdk_idle_round(&c, &s, false));
	CU_ASSERT_EQUAL(s.wait_us, 1);
	CU_ASSERT_TRUE(tg_dpdk_idle_round(&c, &s, false));
	CU_ASSERT_EQUAL(s.wait_us, 2);
	CU_ASSERT_TRUE(tg_dpdk_idle_round(&c, &s, false));
	CU_ASSERT_TRUE(tg_dpdk_idle_round(&c, &s, false));
	CU_ASSERT_EQUAL(s.wait_us, 4);
	CU_ASSERT_FALSE(tg_dpdk_idle_round(&c, &s, true));
	CU_ASSERT_EQUAL(s.rounds, 0);
	CU_ASSERT_EQUAL(s.wait_us, 0);
	CU_ASSERT_FALSE(tg_dpdk_idle_round(&c, &s, false));
	c.idle_us = 0;
	for (unsigned i = 0; i < 2 * TG_DPDK_IDLE_ROUNDS; i++)
		CU_ASSERT_FALSE(tg_dpdk_idle_round(&c, &s, false));
}

static int suite_init(void)
{
	static const struct tg_test_hs_spec spec = {
		.prefix = "tg-dpdk", .ca_cn = "tlsgate test CA", .std_leaves = true,
		.resumption = true,
	};

	return tg_test_hs_open(&spec, &env);
}

static int suite_fini(void)
{
	tg_test_hs_close(&env);
	return 0;
}

static CU_TestInfo dpdk_tests[] = {
	{ "one flow: 1 MiB each way through TLS, the backend and back", test_one_flow },
	{ "32 flows at once", test_many_flows },
	{ "resumption", test_resumption },
	{ "a refused backend, then the next", test_backend_refused },
	{ "no backend reachable", test_no_backend },
	{ "1% loss, reordering, duplication", test_loss },
	{ "stop: close_notify to the clients", test_stop },
	{ "listen addresses and ports checked", test_listen_checks },
	{ "idle waits: short after work, doubled up to the longest", test_idle_waits },
	{ "idle rounds: a wait after TG_DPDK_IDLE_ROUNDS without work", test_idle_rounds },
	CU_TEST_INFO_NULL,
};

static const struct tg_test_suite suites[] = {
	{ "dpdk", suite_init, suite_fini, dpdk_tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	struct tg_eal_opts o = { .mem_mb = 512 };
	int rc;

	if (tg_failed(tg_eal_start("test_dpdk", &o))) {
		fprintf(stderr, "test_dpdk: EAL set-up failed\n");
		return 1;
	}
	rc = tg_test_main(argc, argv, suites);
	tg_eal_stop();
	return rc;
}
