/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file bench_tcp.c
 * `tlsgate-bench tcp`: our userspace TCP (dataplane/net, dataplane/tcp)
 * against Linux's, per CPU-second, in one run:
 *
 *   tlsgate  memif     our stack to our stack over a net_memif pair, the
 *                      server on one lcore, the client on another
 *   linux    loopback  a Linux server and client process over 127.0.0.1
 *   tlsgate  veth      our stack (net_af_packet) serving a Linux client
 *                      across a veth pair (root: network namespaces)
 *   linux    veth      a Linux server and client across a veth pair
 *
 * Tests: bulk (one connection, the client sends as fast as it can, the
 * server counts), connections (open, a 64-byte request, a 64-byte
 * answer, the server closes; --parallel at a time), rr (--conns
 * connections each sending --rr-size bytes and waiting for them back).
 * Each measurement has a warm-up of a tenth of its time, then a window of
 * --seconds; `cpu_s` is the CPU time the stack under test used in the
 * window: our lcores' thread CPU time (they poll: it is their wall time),
 * or the Linux processes' user + system time (loopback and veth: both
 * ends are the Linux stack; across veth our side is only our lcore).
 * Figures per CPU-second divide by cpu_s.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <stdarg.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "bench.h"
#include "tg_dpdk.h"
#include "tg_eal.h"
#include "tg_net.h"
#include "tg_tcp.h"

#define TCP_CMD "tcp"
#define BT_PORT 5001
#define BT_REQ 64
#define BT_MAXC 256
#define BT_BUF (256 * 1024)

enum { BT_BULK = 1, BT_CONNS = 2, BT_RR = 4 };
enum { BT_MEMIF = 1, BT_LOOP = 2, BT_VETH = 4 };

struct bt_opts {
	unsigned tests, paths;
	double seconds;
	uint32_t conns, parallel, rr_size;
	bool json, progress;
	bool one_lcore;    /* memif: both sides polled in turn by one lcore */
	uint32_t mtu;      /* memif ports (0: 1500) */
	uint32_t chain_min; /* the ports' tx_chain_min (0: the default) */
	uint32_t memif_rsize; /* net_memif's log2 ring size (0: the PMD's, 10) */
	bool memif_zc;     /* net_memif's zero-copy mode (the client side's) */
	uint32_t idle_us, idle_first_us; /* lcores' idle waits (tlsgate's dpdk.idle_sleep,
					    dpdk.idle_first; idle_us 0: poll without pause) */
	const char *plot;
};

struct bt_result {
	const char *stack, *path, *test;
	double gbps, cps, rps, seconds, cpu_s;
	bool ok;
};

/* counters one side writes and the driver reads (shared memory for the
 * Linux processes) */
struct bt_counters {
	_Atomic uint64_t bytes, done;
	_Atomic int phase; /* 0 warm-up, 1 measuring, 2 stop */
	_Atomic int ready;
	double cpu0[2], cpu1[2]; /* per side, at the window's edges */
	_Atomic int err;
	double best_gbps;  /* bulk: the fastest 4 MiB of the window */
};

/* TG_BENCH_TCP_STATS=2: one lcore side's poll rounds over the window
 * (=1: only the segment counts, nothing added to the lcores' loop, for
 * callgrind) */
#define BT_HIST 7 /* receive bursts of 1, 2-3, 4-7, 8-15, 16-31, 32-63, more */
struct bt_lstats {
	uint64_t rounds, empty, pkts, hist[BT_HIST];
	uint64_t cyc, idle_cyc; /* TSC in the rounds; in those with nothing in or out */
	uint64_t t0, tx0;       /* the round's start */
	uint64_t waits;         /* idle waits (tg_dpdk_idle_round) */
	uint64_t info_n, cwnd, snd_wnd, unacked, queued; /* bulk client: sums */
};

static double bt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double bt_thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *bt_test_name(unsigned t)
{
	return t == BT_BULK ? "bulk" : t == BT_CONNS ? "connections" : "rr";
}

static uint8_t bt_buf[BT_BUF];

/* ---- our stack ------------------------------------------------------------------------ */

struct bt_conn {
	struct tg_tcp_conn *c;
	uint32_t have, want; /* rr: bytes of the answer so far, expected */
	bool used, closing, answered;
};

struct bt_side {
	struct tg_net *net;
	struct tg_tcp *tcp;
	struct bt_conn cs[BT_MAXC];
	unsigned n;
};

struct bt_run {
	const struct bt_opts *o;
	unsigned test;
	struct bt_side *srv, *cli;
	struct tg_net_addr srv_addr;
	struct bt_counters *k;
	bool server_only; /* veth: the client is Linux's */
};

static struct bt_conn *bt_slot(struct bt_side *s)
{
	for (unsigned i = 0; i < BT_MAXC; i++)
		if (!s->cs[i].used) {
			memset(&s->cs[i], 0, sizeof(s->cs[i]));
			s->cs[i].used = true;
			return &s->cs[i];
		}
	return NULL;
}

/* the server: sink (bulk), answer and close (connections), echo (rr) */
static void bt_serve(struct bt_run *r, struct bt_side *s)
{
	struct tg_tcp_event ev[64];
	unsigned k = tg_tcp_events(s->tcp, ev, 64);
	static uint8_t tmp[65536];

	for (unsigned i = 0; i < k; i++) {
		struct bt_conn *x = ev[i].udata;

		if (ev[i].ev & TG_TCP_EV_ACCEPTED) {
			x = bt_slot(s);
			if (x == NULL) {
				tg_tcp_abort(ev[i].c);
				continue;
			}
			x->c = ev[i].c;
			tg_tcp_set_udata(x->c, x);
			tg_tcp_want(x->c, true, false);
		}
		if (x == NULL)
			continue;
		if (ev[i].ev & (TG_TCP_EV_ERROR | TG_TCP_EV_CLOSED)) {
			tg_tcp_close(x->c);
			x->used = false;
			continue;
		}
		for (int round = 0; round < 8; round++) {
			struct iovec iov = { tmp, sizeof(tmp) };
			ssize_t n = tg_tcp_recv(x->c, &iov, 1);

			if (n <= 0) {
				if (n == 0 || n != -EAGAIN) {
					/* the client is done: close (its FIN came) */
					tg_tcp_close(x->c);
					x->used = false;
				}
				break;
			}
			if (r->test == BT_BULK) {
				atomic_fetch_add_explicit(&r->k->bytes, (uint64_t)n,
							  memory_order_relaxed);
				continue;
			}
			if (r->test == BT_CONNS) {
				x->have += (uint32_t)n;
				if (x->have >= BT_REQ && !x->answered) {
					x->answered = true;
					(void)tg_tcp_send(x->c, bt_buf, BT_REQ);
					tg_tcp_shutdown(x->c);
				}
				continue;
			}
			/* rr: echo what came */
			if (tg_tcp_send(x->c, tmp, (size_t)n) != n)
				atomic_store(&r->k->err, 1);
		}
	}
}

static tg_result bt_client_open(struct bt_run *r, struct bt_side *s)
{
	struct bt_conn *x = bt_slot(s);

	if (x == NULL)
		return tg_error(TG_E_NOSPACE);
	if (tg_failed(tg_tcp_connect(s->tcp, &r->srv_addr, BT_PORT, x, &x->c))) {
		x->used = false;
		return tg_error(TG_E_NOSPACE);
	}
	tg_tcp_want(x->c, true, r->test == BT_BULK);
	s->n++;
	return TG_OK;
}

static void bt_client(struct bt_run *r, struct bt_side *s)
{
	struct tg_tcp_event ev[64];
	unsigned k = tg_tcp_events(s->tcp, ev, 64);
	static uint8_t tmp[65536];

	for (unsigned i = 0; i < k; i++) {
		struct bt_conn *x = ev[i].udata;

		if (x == NULL || !x->used)
			continue;
		if (ev[i].ev & TG_TCP_EV_ERROR) {
			atomic_store(&r->k->err, 1);
			tg_tcp_close(x->c);
			x->used = false;
			s->n--;
			continue;
		}
		if (ev[i].ev & TG_TCP_EV_CONNECTED) {
			if (r->test == BT_CONNS)
				(void)tg_tcp_send(x->c, bt_buf, BT_REQ);
			else if (r->test == BT_RR)
				(void)tg_tcp_send(x->c, bt_buf, r->o->rr_size);
		}
		if (r->test == BT_BULK) {
			while (tg_tcp_send(x->c, bt_buf, sizeof(bt_buf)) > 0)
				;
			continue;
		}
		for (;;) {
			struct iovec iov = { tmp, sizeof(tmp) };
			ssize_t n = tg_tcp_recv(x->c, &iov, 1);

			if (n > 0) {
				x->have += (uint32_t)n;
				if (r->test == BT_RR && x->have >= r->o->rr_size) {
					x->have -= r->o->rr_size;
					atomic_fetch_add_explicit(&r->k->done, 1,
								  memory_order_relaxed);
					(void)tg_tcp_send(x->c, bt_buf, r->o->rr_size);
				}
				continue;
			}
			if (n == 0 && r->test == BT_CONNS) {
				/* the answer and the server's FIN: one done */
				if (x->have >= BT_REQ)
					atomic_fetch_add_explicit(&r->k->done, 1,
								  memory_order_relaxed);
				tg_tcp_close(x->c);
				x->used = false;
				s->n--;
			}
			break;
		}
	}
	if (r->test == BT_CONNS && atomic_load(&r->k->phase) < 2)
		while (s->n < r->o->parallel && tg_ok(bt_client_open(r, s)))
			;
}

static struct bt_lstats bt_ls[2];

static bool bt_lstats_on(void)
{
	const char *e = getenv("TG_BENCH_TCP_STATS");

	return e != NULL && atoi(e) >= 2;
}

static void bt_lstats_start(struct bt_lstats *l, struct bt_side *s)
{
	l->t0 = rte_rdtsc();
	l->tx0 = tg_net_stats(s->net)->tx_pkts;
}

static void bt_lstats_end(struct bt_lstats *l, struct bt_side *s, unsigned n)
{
	uint64_t dt = rte_rdtsc() - l->t0;

	l->cyc += dt;
	if (n == 0 && tg_net_stats(s->net)->tx_pkts == l->tx0)
		l->idle_cyc += dt;
}

static void bt_lstats_poll(struct bt_lstats *l, unsigned n)
{
	unsigned b = 0;

	l->rounds++;
	if (n == 0) {
		l->empty++;
		return;
	}
	l->pkts += n;
	while (b < BT_HIST - 1 && n >= (2u << b))
		b++;
	l->hist[b]++;
}

/* the bulk client's connection, sampled: what limits the sender */
static void bt_lstats_info(struct bt_lstats *l, struct bt_side *s)
{
	struct tg_tcp_info in;

	for (unsigned i = 0; i < BT_MAXC; i++)
		if (s->cs[i].used && s->cs[i].c != NULL) {
			tg_tcp_info(s->cs[i].c, &in);
			l->info_n++;
			l->cwnd += in.cwnd;
			l->snd_wnd += in.snd_wnd;
			l->unacked += in.unacked;
			l->queued += in.snd_queued;
			return;
		}
}

static void bt_lstats_print(void)
{
	for (int i = 0; i < 2; i++) {
		const struct bt_lstats *l = &bt_ls[i];
		uint64_t busy = l->rounds - l->empty;

		if (l->rounds == 0)
			continue;
		fprintf(stderr,
			"lcore %s: rounds %" PRIu64 " empty %.1f %% rx pkts %" PRIu64
			" per busy round %.2f bursts 1:%" PRIu64 " 2-3:%" PRIu64 " 4-7:%" PRIu64
			" 8-15:%" PRIu64 " 16-31:%" PRIu64 " 32-63:%" PRIu64 " 64+:%" PRIu64
			"; time in rounds with nothing in or out %.1f %% of %.3f s; idle waits %" PRIu64 "\n",
			i ? "client" : "server", l->rounds, 100.0 * (double)l->empty / (double)l->rounds,
			l->pkts, busy ? (double)l->pkts / (double)busy : 0.0, l->hist[0], l->hist[1],
			l->hist[2], l->hist[3], l->hist[4], l->hist[5], l->hist[6],
			l->cyc ? 100.0 * (double)l->idle_cyc / (double)l->cyc : 0.0,
			(double)l->cyc / (double)rte_get_tsc_hz(), l->waits);
		if (l->info_n != 0)
			fprintf(stderr,
				"lcore %s: mean of %" PRIu64 " samples: cwnd %" PRIu64 " snd_wnd %" PRIu64
				" unacked %" PRIu64 " snd_queued %" PRIu64 "\n",
				i ? "client" : "server", l->info_n, l->cwnd / l->info_n,
				l->snd_wnd / l->info_n, l->unacked / l->info_n, l->queued / l->info_n);
	}
	memset(bt_ls, 0, sizeof(bt_ls));
}

/* one lcore of the run: side 0 the server, side 1 the client */
static int bt_lcore(void *arg)
{
	struct bt_run *r = ((struct bt_run **)arg)[0];
	int side = (int)(uintptr_t)((void **)arg)[1];
	/* side 2 (--one-lcore): the server and the client in turn, the
	 * time counted as side 0's */
	bool both = side == 2;
	struct bt_side *s = side == 1 ? r->cli : r->srv;
	int seen = 0;
	uint64_t sl_t0 = 0, sl_b0 = 0;
	bool stats = bt_lstats_on();
	unsigned n;
	/* tlsgate's worker's idle policy (not --one-lcore: its lcore always
	 * has the other stack's work) */
	struct tg_dpdk_conf ic = { .idle_us = both ? 0 : r->o->idle_us,
				   .idle_first_us = r->o->idle_first_us };
	struct tg_dpdk_idle idle = { .rounds = 0 };
	uint64_t tx0;

	ic.w.wake_fd = -1;

	atomic_fetch_add(&r->k->ready, both ? 2 : 1);
	if (both)
		side = 0;
	while (atomic_load(&r->k->ready) < (r->server_only ? 1 : 2))
		rte_pause();
	if (side == 1 || both) {
		unsigned want = r->test == BT_BULK ? 1 : r->test == BT_RR ? r->o->conns : 0;

		for (unsigned i = 0; i < want; i++)
			if (tg_failed(bt_client_open(r, r->cli)))
				atomic_store(&r->k->err, 1);
	}
	for (;;) {
		int ph = atomic_load_explicit(&r->k->phase, memory_order_relaxed);

		if (ph != seen) {
			if (ph == 1)
				r->k->cpu0[side] = bt_thread_cpu();
			if (ph == 2) {
				r->k->cpu1[side] = bt_thread_cpu();
				break;
			}
			seen = ph;
		}
		if (stats)
			bt_lstats_start(&bt_ls[side], s);
		tx0 = tg_net_stats(s->net)->tx_pkts;
		n = tg_tcp_poll(s->tcp);
		if (side == 0)
			bt_serve(r, s);
		else
			bt_client(r, s);
		tg_tcp_flush(s->tcp);
		if (stats && seen == 1) {
			bt_lstats_poll(&bt_ls[side], n);
			bt_lstats_end(&bt_ls[side], s, n);
		}
		if (tg_dpdk_idle_round(&ic, &idle, n != 0 || tg_net_stats(s->net)->tx_pkts != tx0 ||
						 tg_net_tx_pending(s->net)) &&
		    stats && seen == 1)
			bt_ls[side].waits++;
		if (both) {
			if (stats)
				bt_lstats_start(&bt_ls[1], r->cli);
			n = tg_tcp_poll(r->cli->tcp);
			bt_client(r, r->cli);
			tg_tcp_flush(r->cli->tcp);
			if (stats && seen == 1) {
				bt_lstats_poll(&bt_ls[1], n);
				bt_lstats_end(&bt_ls[1], r->cli, n);
			}
		}
		if (stats && seen == 1 && r->test == BT_BULK && (side == 1 || both) &&
		    (bt_ls[1].rounds & 1023) == 0)
			bt_lstats_info(&bt_ls[1], r->cli);
		if ((both || side == 1) && seen == 1 && r->test == BT_BULK) {
			/* on the TSC: a slice the lcore was taken off the CPU
			 * in is slow, the fastest one had it to itself (two
			 * lcores: the client's, both lcores' work) */
			uint64_t b = atomic_load_explicit(&r->k->bytes, memory_order_relaxed);

			if (sl_t0 == 0 || b - sl_b0 >= (4u << 20)) {
				uint64_t now = rte_rdtsc();

				if (sl_t0 != 0) {
					double g = (double)(b - sl_b0) * 8 * (double)rte_get_tsc_hz() /
						   (double)(now - sl_t0) / 1e9;

					if (g > r->k->best_gbps)
						r->k->best_gbps = g;
				}
				sl_t0 = now;
				sl_b0 = b;
			}
		}
	}
	/* a short grace for the last segments, then everything goes */
	for (int i = 0; i < 1000; i++) {
		tg_tcp_poll(s->tcp);
		tg_tcp_flush(s->tcp);
		if (both) {
			tg_tcp_poll(r->cli->tcp);
			tg_tcp_flush(r->cli->tcp);
		}
	}
	return 0;
}

/* Warm-up, window, stop; the counts over the window. */
static void bt_drive(struct bt_counters *k, double seconds, uint64_t *bytes,
		     uint64_t *done, double *wall)
{
	double t0, t1, warm = seconds / 10 > 0.05 ? seconds / 10 : 0.05;
	uint64_t b0, d0;

	t0 = bt_now();
	while (bt_now() - t0 < warm)
		usleep(1000);
	b0 = atomic_load(&k->bytes);
	d0 = atomic_load(&k->done);
	t0 = bt_now();
	atomic_store(&k->phase, 1);
	while (bt_now() - t0 < seconds)
		usleep(1000);
	t1 = bt_now();
	*bytes = atomic_load(&k->bytes) - b0;
	*done = atomic_load(&k->done) - d0;
	atomic_store(&k->phase, 2);
	*wall = t1 - t0;
}

struct bt_env {
	bool up;
	uint16_t memif[2];
	int afp;               /* port of net_af_packet, -1 */
	struct tg_net_port *port[3];
	struct rte_mempool *pool[3];
	unsigned worker;       /* the second lcore */
	char ns_ours[32], ns_linux[32], ns_la[32], ns_lb[32];
};

static struct bt_env env = { .afp = -1 };
static uint32_t bt_chain_min; /* --chain-min */
static uint32_t bt_window;    /* --window: send and receive buffers (0: the stack's) */

static tg_result bt_port(unsigned i, uint16_t id, const char *addr, uint8_t prefix,
		       uint16_t mtu)
{
	struct tg_net_port_conf pc;
	char name[32];

	memset(&pc, 0, sizeof(pc));
	snprintf(name, sizeof(name), "bt_pool%u", i);
	env.pool[i] = tg_net_pool_create(name, mtu > 1500 ? 16384 : 32768, mtu, -1);
	TG_ENSURE(env.pool[i] != NULL, TG_E_NOMEM);
	pc.mtu = mtu;
	pc.tx_chain_min = bt_chain_min;
	pc.port_id = id;
	pc.n_queues = 1;
	pc.pools[0] = env.pool[i];
	pc.prefix = prefix;
	TG_GUARD(tg_net_addr_parse(addr, &pc.addr));
	return tg_net_port_start(&pc, &env.port[i]);
}

static tg_result bt_side_new(struct bt_side *s, unsigned i)
{
	struct tg_net_conf nc;
	struct tg_tcp_conf tc;

	memset(s, 0, sizeof(*s));
	memset(&nc, 0, sizeof(nc));
	nc.port = env.port[i];
	nc.pool = env.pool[i];
	nc.no_garp = true;
	TG_GUARD(tg_net_new(&nc, &s->net));
	memset(&tc, 0, sizeof(tc));
	tc.net = s->net;
	tc.max_conns = 4096;
	tc.max_tw = 65536;
	tc.syn_backlog = 2048;
	tc.msl_ms = 5000;
	tc.snd_buf = bt_window;
	tc.rcv_buf = bt_window;
	return tg_tcp_new(&tc, &s->tcp);
}

static void bt_side_free(struct bt_side *s)
{
	/* TG_BENCH_TCP_STATS set: the instance's segment counts, to divide
	 * a count of instructions (callgrind) by */
	if (getenv("TG_BENCH_TCP_STATS") != NULL) {
		const struct tg_tcp_stats *st = tg_tcp_stats(s->tcp);

		fprintf(stderr, "tcp: segs_in %" PRIu64 " segs_out %" PRIu64 " bytes_in %" PRIu64
			" bytes_out %" PRIu64 " retransmits %" PRIu64 " (rto %" PRIu64 " fast %" PRIu64
			" tlp %" PRIu64 " rack_lost %" PRIu64 " dsack_in %" PRIu64 " undo %" PRIu64 ")\n",
			st->segs_in,
			st->segs_out, st->bytes_in, st->bytes_out, st->retransmits, st->rto,
			st->fast_retransmits, st->tlp, st->rack_lost, st->dsack_in, st->dsack_undo);
	}
	tg_tcp_free(s->tcp);
	tg_net_free(s->net);
}

static bool bt_link_up(uint16_t port, double secs)
{
	double t0 = bt_now();

	while (bt_now() - t0 < secs) {
		struct rte_eth_link l;

		if (rte_eth_link_get_nowait(port, &l) == 0 && l.link_status)
			return true;
		usleep(10000);
	}
	return false;
}

struct bt_drv {
	struct bt_counters *k;
	double seconds;
	int need;          /* sides that must be ready */
	uint64_t bytes, done;
	double wall;
};

/* The driver keeps time on a thread of its own (the lcores poll) */
static void *bt_drv_main(void *p)
{
	struct bt_drv *d = p;
	double t0 = bt_now();

	while (atomic_load(&d->k->ready) < d->need && bt_now() - t0 < 10)
		usleep(100);
	bt_drive(d->k, d->seconds, &d->bytes, &d->done, &d->wall);
	return NULL;
}

static void bt_fill(struct bt_result *res, const char *stack, const char *path,
		    unsigned test, const struct bt_drv *d, double cpu, bool ok)
{
	res->stack = stack;
	res->path = path;
	res->test = bt_test_name(test);
	res->seconds = d->wall;
	res->cpu_s = cpu;
	res->gbps = test == BT_BULK && d->wall > 0 ? (double)d->bytes * 8 / d->wall / 1e9 : 0;
	res->cps = test == BT_CONNS && d->wall > 0 ? (double)d->done / d->wall : 0;
	res->rps = test == BT_RR && d->wall > 0 ? (double)d->done / d->wall : 0;
	res->ok = ok && (d->bytes > 0 || d->done > 0);
}

static bool bt_static_neigh(struct bt_side *a, unsigned pa, struct bt_side *b, unsigned pb)
{
	uint8_t mac[6];

	tg_net_port_mac(env.port[pb], mac);
	if (tg_failed(tg_net_arp_add(a->net, tg_net_local(b->net), mac)))
		return false;
	tg_net_port_mac(env.port[pa], mac);
	return tg_ok(tg_net_arp_add(b->net, tg_net_local(a->net), mac));
}

static void bt_side_drop(struct bt_side *s)
{
	for (unsigned i = 0; i < BT_MAXC; i++)
		if (s->cs[i].used)
			tg_tcp_abort(s->cs[i].c);
	bt_side_free(s);
}

/* our stack to our stack over memif: the server on the worker lcore, the
 * client on the main one */
static bool bt_ours_memif(const struct bt_opts *o, unsigned test, struct bt_result *res)
{
	struct bt_counters k;
	struct bt_side *srv = calloc(1, sizeof(*srv)), *cli = calloc(1, sizeof(*cli));
	struct bt_run r;
	struct bt_drv d;
	void *a0[2], *a1[2];
	pthread_t th;
	bool ok = true;

	memset(&k, 0, sizeof(k));
	if (srv == NULL || cli == NULL || tg_failed(bt_side_new(srv, 0)) ||
	    tg_failed(bt_side_new(cli, 1)) ||
	    tg_failed(tg_tcp_listen(srv->tcp, BT_PORT, NULL, NULL))) {
		free(srv);
		free(cli);
		return false;
	}
	if (!bt_static_neigh(srv, 0, cli, 1)) {
		bt_side_drop(srv);
		bt_side_drop(cli);
		free(srv);
		free(cli);
		return false;
	}
	memset(&r, 0, sizeof(r));
	r.o = o;
	r.test = test;
	r.srv = srv;
	r.cli = cli;
	r.k = &k;
	r.srv_addr = *tg_net_local(srv->net);
	a0[0] = &r;
	a0[1] = (void *)(uintptr_t)0;
	a1[0] = &r;
	a1[1] = (void *)(uintptr_t)1;
	memset(&d, 0, sizeof(d));
	d.k = &k;
	d.seconds = o->seconds;
	d.need = 2;
	if (o->one_lcore)
		a1[1] = (void *)(uintptr_t)2;
	else if (rte_eal_remote_launch(bt_lcore, a0, env.worker) != 0)
		ok = false;
	if (ok && pthread_create(&th, NULL, bt_drv_main, &d) != 0) {
		atomic_store(&k.phase, 2);
		ok = false;
	}
	if (ok) {
		bt_lcore(a1);
		pthread_join(th, NULL);
	}
	if (!o->one_lcore)
		rte_eal_wait_lcore(env.worker);
	if (bt_lstats_on())
		bt_lstats_print();
	if (test == BT_BULK)
		fprintf(stderr, "%s %s: %s, the fastest 4 MiB: %.3f Gbit/s\n", TG_BENCH_PROG,
			TCP_CMD, o->one_lcore ? "one lcore" : "two lcores", k.best_gbps);
	bt_fill(res, "tlsgate", "memif", test, &d,
		(k.cpu1[0] - k.cpu0[0]) + (k.cpu1[1] - k.cpu0[1]),
		ok && atomic_load(&k.err) == 0);
	bt_side_drop(srv);
	bt_side_drop(cli);
	free(srv);
	free(cli);
	return true;
}

/* ---- Linux's stack ------------------------------------------------------------------ */

static cpu_set_t bt_cpus; /* the CPUs this process may use */

static void bt_pin(unsigned nth)
{
	cpu_set_t one;
	unsigned seen = 0;

	CPU_ZERO(&one);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &bt_cpus) && seen++ == nth % (unsigned)CPU_COUNT(&bt_cpus)) {
			CPU_SET(c, &one);
			break;
		}
	(void)sched_setaffinity(0, sizeof(one), &one);
}

static int bt_orig_ns = -1; /* the namespace we started in */

static int bt_setns(const char *ns)
{
	char path[128];
	int fd, rc;

	if (ns == NULL || ns[0] == '\0')
		return bt_orig_ns >= 0 ? setns(bt_orig_ns, CLONE_NEWNET) : 0;
	snprintf(path, sizeof(path), "/var/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = setns(fd, CLONE_NEWNET);
	close(fd);
	return rc;
}

static double bt_proc_cpu(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) == NULL) {
		fclose(f);
		return 0;
	}
	fclose(f);
	p = strrchr(buf, ')');
	/* after "pid (comm)": state is field 3; utime 14, stime 15 */
	if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
				&ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void bt_nodelay_nb(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

struct lx_conn {
	int fd;
	uint32_t have;
	bool answered;
};

/* the Linux server: sink, answer and close, or echo */
static void lx_server(const struct bt_opts *o, unsigned test, struct bt_counters *k,
		      const struct sockaddr_storage *sa, socklen_t sl)
{
	static struct lx_conn cs[65536];
	static uint8_t tmp[65536];
	struct epoll_event ev[64];
	int ls = socket(sa->ss_family, SOCK_STREAM, 0), ep = epoll_create1(0), one = 1;

	(void)o;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ls < 0 || bind(ls, (const struct sockaddr *)sa, sl) != 0 || listen(ls, 4096) != 0) {
		atomic_store(&k->err, 1);
		atomic_fetch_add(&k->ready, 1);
		_exit(1);
	}
	bt_nodelay_nb(ls);
	ev[0].events = EPOLLIN;
	ev[0].data.fd = ls;
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev[0]);
	atomic_fetch_add(&k->ready, 1);
	while (atomic_load(&k->phase) < 2) {
		int n = epoll_wait(ep, ev, 64, 10);

		for (int i = 0; i < n; i++) {
			int fd = ev[i].data.fd;

			if (fd == ls) {
				int c;

				while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					struct epoll_event e = { .events = EPOLLIN, .data.fd = c };

					if (c >= (int)RTE_DIM(cs)) {
						close(c);
						continue;
					}
					setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					memset(&cs[c], 0, sizeof(cs[c]));
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &e);
				}
				continue;
			}
			for (int round = 0; round < 16; round++) {
				ssize_t r = read(fd, tmp, sizeof(tmp));

				if (r > 0) {
					if (test == BT_BULK) {
						atomic_fetch_add_explicit(&k->bytes, (uint64_t)r,
									  memory_order_relaxed);
					} else if (test == BT_CONNS) {
						cs[fd].have += (uint32_t)r;
						if (cs[fd].have >= BT_REQ && !cs[fd].answered) {
							cs[fd].answered = true;
							(void)!write(fd, bt_buf, BT_REQ);
							shutdown(fd, SHUT_WR);
						}
					} else {
						(void)!write(fd, tmp, (size_t)r);
					}
					continue;
				}
				if (r == 0 || errno != EAGAIN)
					close(fd);
				break;
			}
		}
	}
	_exit(0);
}

static int lx_connect(const struct sockaddr_storage *sa, socklen_t sl)
{
	int fd = socket(sa->ss_family, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	bt_nodelay_nb(fd);
	if (connect(fd, (const struct sockaddr *)sa, sl) != 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* the Linux client of each test */
static void lx_client(const struct bt_opts *o, unsigned test, struct bt_counters *k,
		      const struct sockaddr_storage *sa, socklen_t sl)
{
	static struct lx_conn cs[65536];
	static uint8_t tmp[65536];
	struct epoll_event ev[64];
	int ep = epoll_create1(0);
	unsigned open_n = 0, want = test == BT_BULK ? 1 : test == BT_RR ? o->conns : o->parallel;

	atomic_fetch_add(&k->ready, 1);
	while (atomic_load(&k->phase) < 2) {
		int n;

		while (open_n < want) {
			int fd = lx_connect(sa, sl);
			struct epoll_event e = { .events = EPOLLIN | EPOLLOUT, .data.fd = fd };

			if (fd < 0 || fd >= (int)RTE_DIM(cs)) {
				if (fd >= 0)
					close(fd);
				break;
			}
			memset(&cs[fd], 0, sizeof(cs[fd]));
			epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
			open_n++;
		}
		n = epoll_wait(ep, ev, 64, 10);
		for (int i = 0; i < n; i++) {
			int fd = ev[i].data.fd;

			if (ev[i].events & EPOLLOUT) {
				if (test == BT_BULK) {
					while (write(fd, bt_buf, sizeof(bt_buf)) > 0)
						;
					continue;
				}
				/* connected: the request, then only reads */
				struct epoll_event e = { .events = EPOLLIN, .data.fd = fd };

				epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
				(void)!write(fd, bt_buf, test == BT_CONNS ? BT_REQ : o->rr_size);
			}
			if (!(ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				continue;
			for (;;) {
				ssize_t r = read(fd, tmp, sizeof(tmp));

				if (r > 0) {
					cs[fd].have += (uint32_t)r;
					if (test == BT_RR && cs[fd].have >= o->rr_size) {
						cs[fd].have -= o->rr_size;
						atomic_fetch_add_explicit(&k->done, 1,
									  memory_order_relaxed);
						(void)!write(fd, bt_buf, o->rr_size);
					}
					continue;
				}
				if (r == 0 || errno != EAGAIN) {
					if (test == BT_CONNS && r == 0 && cs[fd].have >= BT_REQ)
						atomic_fetch_add_explicit(&k->done, 1,
									  memory_order_relaxed);
					else if (test != BT_CONNS && atomic_load(&k->phase) < 2)
						atomic_store(&k->err, 1);
					close(fd);
					open_n--;
				}
				break;
			}
		}
	}
	_exit(0);
}

/* A Linux server (in @p ns_srv) and client (in @p ns_cli), each a
 * process on a CPU of its own; cpu_s is both processes' time. */
static bool bt_linux(const struct bt_opts *o, unsigned test, const char *path,
		     const char *ns_srv, const char *ns_cli, const char *addr,
		     struct bt_result *res)
{
	struct bt_counters *k = mmap(NULL, sizeof(*k), PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct sockaddr_storage sa;
	socklen_t sl;
	struct bt_drv d;
	pid_t ps, pc;
	double c0, c1;
	int st;

	if (k == MAP_FAILED)
		return false;
	memset(k, 0, sizeof(*k));
	memset(&sa, 0, sizeof(sa));
	if (strchr(addr, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(BT_PORT);
		inet_pton(AF_INET6, addr, &s6->sin6_addr);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&sa;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(BT_PORT);
		inet_pton(AF_INET, addr, &s4->sin_addr);
		sl = sizeof(*s4);
	}
	ps = fork();
	if (ps == 0) {
		bt_pin(0);
		if (bt_setns(ns_srv) != 0)
			_exit(1);
		lx_server(o, test, k, &sa, sl);
	}
	/* the server listens before the client starts */
	for (int i = 0; i < 2000 && atomic_load(&k->ready) < 1; i++)
		usleep(1000);
	pc = fork();
	if (pc == 0) {
		bt_pin(1);
		if (bt_setns(ns_cli) != 0)
			_exit(1);
		lx_client(o, test, k, &sa, sl);
	}
	memset(&d, 0, sizeof(d));
	d.k = k;
	d.seconds = o->seconds;
	d.need = 2;
	for (int i = 0; i < 2000 && atomic_load(&k->ready) < 2; i++)
		usleep(1000);
	{
		double t0 = bt_now(), warm = o->seconds / 10 > 0.05 ? o->seconds / 10 : 0.05;
		uint64_t b0, d0;

		while (bt_now() - t0 < warm)
			usleep(1000);
		b0 = atomic_load(&k->bytes);
		d0 = atomic_load(&k->done);
		c0 = bt_proc_cpu(ps) + bt_proc_cpu(pc);
		t0 = bt_now();
		atomic_store(&k->phase, 1);
		while (bt_now() - t0 < o->seconds)
			usleep(1000);
		d.wall = bt_now() - t0;
		c1 = bt_proc_cpu(ps) + bt_proc_cpu(pc);
		d.bytes = atomic_load(&k->bytes) - b0;
		d.done = atomic_load(&k->done) - d0;
		atomic_store(&k->phase, 2);
	}
	for (int i = 0; i < 500; i++) {
		if (waitpid(ps, &st, WNOHANG) == ps)
			ps = 0;
		if (waitpid(pc, &st, WNOHANG) == pc)
			pc = 0;
		if (ps == 0 && pc == 0)
			break;
		usleep(2000);
	}
	if (ps != 0) {
		kill(ps, SIGKILL);
		waitpid(ps, &st, 0);
	}
	if (pc != 0) {
		kill(pc, SIGKILL);
		waitpid(pc, &st, 0);
	}
	bt_fill(res, "linux", path, test, &d, c1 - c0, atomic_load(&k->err) == 0);
	munmap(k, sizeof(*k));
	return true;
}

/* our stack (af_packet in our namespace) serving a Linux client in the
 * other namespace; cpu_s is our lcore's */
static bool bt_ours_veth(const struct bt_opts *o, unsigned test, struct bt_result *res)
{
	struct bt_counters k;
	struct bt_side *srv = calloc(1, sizeof(*srv));
	struct bt_counters *lk = mmap(NULL, sizeof(*lk), PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct sockaddr_in sa;
	struct bt_run r;
	struct bt_drv d;
	void *a0[2];
	pid_t pc;
	int st;

	if (srv == NULL || lk == MAP_FAILED || tg_failed(bt_side_new(srv, 2)) ||
	    tg_failed(tg_tcp_listen(srv->tcp, BT_PORT, NULL, NULL))) {
		free(srv);
		return false;
	}
	memset(&k, 0, sizeof(k));
	memset(lk, 0, sizeof(*lk));
	memset(&r, 0, sizeof(r));
	r.o = o;
	r.test = test;
	r.srv = srv;
	r.k = &k;
	r.server_only = true;
	a0[0] = &r;
	a0[1] = (void *)(uintptr_t)0;
	if (rte_eal_remote_launch(bt_lcore, a0, env.worker) != 0) {
		bt_side_drop(srv);
		free(srv);
		return false;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(BT_PORT);
	inet_pton(AF_INET, "198.18.0.2", &sa.sin_addr);
	pc = fork();
	if (pc == 0) {
		bt_pin(0);
		if (bt_setns(env.ns_linux) != 0)
			_exit(1);
		lx_client(o, test, lk, (struct sockaddr_storage *)&sa, sizeof(sa));
	}
	for (int i = 0; i < 2000 && atomic_load(&lk->ready) < 1; i++)
		usleep(1000);
	{
		double t0 = bt_now(), warm = o->seconds / 10 > 0.05 ? o->seconds / 10 : 0.05;
		uint64_t b0, d0;

		memset(&d, 0, sizeof(d));
		while (bt_now() - t0 < warm)
			usleep(1000);
		/* the server counts bulk bytes, the client completions */
		b0 = atomic_load(&k.bytes);
		d0 = atomic_load(&lk->done);
		t0 = bt_now();
		atomic_store(&k.phase, 1);
		while (bt_now() - t0 < o->seconds)
			usleep(1000);
		d.wall = bt_now() - t0;
		d.bytes = atomic_load(&k.bytes) - b0;
		d.done = atomic_load(&lk->done) - d0;
		atomic_store(&k.phase, 2);
		atomic_store(&lk->phase, 2);
	}
	for (int i = 0; i < 500 && waitpid(pc, &st, WNOHANG) != pc; i++)
		usleep(2000);
	kill(pc, SIGKILL);
	waitpid(pc, &st, 0);
	rte_eal_wait_lcore(env.worker);
	bt_fill(res, "tlsgate", "veth", test, &d, k.cpu1[0] - k.cpu0[0],
		atomic_load(&k.err) == 0);
	bt_side_drop(srv);
	free(srv);
	munmap(lk, sizeof(*lk));
	return true;
}

/* ---- set-up --------------------------------------------------------------------------- */

static int bt_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bt_sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int rc, n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd))
		return -1;
	rc = system(cmd);
	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

static void bt_veth_down(void)
{
	const char *ns[4] = { env.ns_ours, env.ns_linux, env.ns_la, env.ns_lb };

	for (int i = 0; i < 4; i++)
		if (ns[i][0] != '\0')
			bt_sh("ip netns del %s 2>/dev/null", ns[i]);
}

/* Two pairs of namespaces joined by veths: ours (no address: our stack
 * on af_packet) and linux (198.18.0.1); la (198.18.1.1) and lb
 * (198.18.1.2) for Linux to Linux. Offloads off on the Linux ends as in
 * the tests (tests/net/linux_peer.py does it by ioctl; ethtool here). */
static bool bt_veth_up(void)
{
	unsigned tag = (unsigned)getpid() % 100000;

	if (geteuid() != 0)
		return false;
	snprintf(env.ns_ours, sizeof(env.ns_ours), "tgbo%u", tag);
	snprintf(env.ns_linux, sizeof(env.ns_linux), "tgbl%u", tag);
	snprintf(env.ns_la, sizeof(env.ns_la), "tgba%u", tag);
	snprintf(env.ns_lb, sizeof(env.ns_lb), "tgbb%u", tag);
	if (bt_sh("ip netns add %s && ip netns add %s && ip netns add %s && ip netns add %s",
		  env.ns_ours, env.ns_linux, env.ns_la, env.ns_lb) != 0 ||
	    bt_sh("ip link add tgbv0 netns %s type veth peer name tgbv1 netns %s",
		  env.ns_ours, env.ns_linux) != 0 ||
	    bt_sh("ip link add tgbv2 netns %s type veth peer name tgbv3 netns %s",
		  env.ns_la, env.ns_lb) != 0 ||
	    bt_sh("ip netns exec %s sysctl -qw net.ipv6.conf.tgbv0.disable_ipv6=1 && "
		  "ip netns exec %s ip link set tgbv0 up && "
		  "ip netns exec %s ip addr add 198.18.0.1/24 dev tgbv1 && "
		  "ip netns exec %s ip link set tgbv1 up && "
		  "ip netns exec %s ip addr add 198.18.1.1/24 dev tgbv2 && "
		  "ip netns exec %s ip link set tgbv2 up && ip netns exec %s ip link set lo up && "
		  "ip netns exec %s ip addr add 198.18.1.2/24 dev tgbv3 && "
		  "ip netns exec %s ip link set tgbv3 up && ip netns exec %s ip link set lo up",
		  env.ns_ours, env.ns_ours, env.ns_linux, env.ns_linux, env.ns_la,
		  env.ns_la, env.ns_la, env.ns_lb, env.ns_lb, env.ns_lb) != 0) {
		bt_veth_down();
		return false;
	}
	/* a packet socket sees partial checksums and 64 KiB frames from a
	 * veth with offloads on: off on the end facing ours */
	bt_sh("ip netns exec %s ethtool -K tgbv1 tx off tso off gso off gro off "
	      ">/dev/null 2>&1 || ip netns exec %s %s tests/net/linux_peer.py "
	      "offloads-off tgbv1 >/dev/null 2>&1",
	      env.ns_linux, env.ns_linux, "python3");
	return true;
}

static bool bt_env_up(const struct bt_opts *o)
{
	static char sock[64], v0[160], v1[160];
	struct tg_eal_opts eo = { .mem_mb = 1024 };
	bool veth = (o->paths & BT_VETH) && bt_veth_up();
	char lcores[32];
	unsigned first = 0, second = 0, seen = 0;

	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &bt_cpus)) {
			if (seen == 0)
				first = (unsigned)c;
			else if (seen == 1)
				second = (unsigned)c;
			seen++;
		}
	if (seen < 2)
		second = first;
	snprintf(lcores, sizeof(lcores), "0@%u,1@%u", first, second);
	eo.lcores = lcores;
	snprintf(sock, sizeof(sock), "tgbench%d.sock", (int)getpid());
	tg_bench_memif_pair(&eo, sock, o->memif_rsize, o->memif_zc, v0, v1, sizeof(v0));
	if (veth) {
		/* our process lives in our namespace from here: af_packet
		 * opens its socket there (loopback's processes go back) */
		bt_orig_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (bt_orig_ns < 0 || bt_setns(env.ns_ours) != 0) {
			bt_veth_down();
			veth = false;
		} else {
			eo.vdevs[2] = "net_af_packet0,iface=tgbv0,qdisc_bypass=0";
		}
	}
	if (tg_failed(tg_eal_start(TG_BENCH_PROG, &eo)))
		return false;
	env.worker = rte_get_next_lcore(rte_lcore_id(), 1, 0);
	if (env.worker >= RTE_MAX_LCORE ||
	    rte_eth_dev_get_port_by_name("net_memif0", &env.memif[0]) != 0 ||
	    rte_eth_dev_get_port_by_name("net_memif1", &env.memif[1]) != 0 ||
	    tg_failed(bt_port(0, env.memif[0], "198.18.2.1", 24, (uint16_t)o->mtu)) ||
	    tg_failed(bt_port(1, env.memif[1], "198.18.2.2", 24, (uint16_t)o->mtu)))
		return false;
	if (veth) {
		uint16_t id;

		if (rte_eth_dev_get_port_by_name("net_af_packet0", &id) != 0 ||
		    tg_failed(bt_port(2, id, "198.18.0.2", 24, 0)))
			veth = false;
		else
			env.afp = id;
	}
	if (!bt_link_up(env.memif[0], 5) || !bt_link_up(env.memif[1], 5)) {
		fprintf(stderr, "%s %s: memif link did not come up\n", TG_BENCH_PROG, TCP_CMD);
		return false;
	}
	env.up = true;
	return true;
}

static void bt_env_down(void)
{
	for (int i = 0; i < 3; i++)
		tg_net_port_stop(env.port[i]);
	tg_eal_stop();
	bt_veth_down();
}

/* ---- the command ----------------------------------------------------------------------- */

static void bt_usage(FILE *f)
{
	fprintf(f,
"usage: " TG_BENCH_PROG " " TCP_CMD " [options]\n"
"\n"
"Our userspace TCP against Linux's, per CPU-second, in one run: our\n"
"stack to our stack over net_memif (two lcores), Linux to Linux over\n"
"loopback, and (root: network namespaces) our stack serving a Linux\n"
"client over a veth pair and Linux to Linux over a veth pair.\n"
"\n"
"options:\n"
"  --path LIST     memif,loopback,veth or all (default all; veth needs\n"
"                  root and is left out with a note without it)\n"
"  --test LIST     bulk,connections,rr or all (default all)\n"
"  --seconds S     measured window per figure (default 2; a tenth more\n"
"                  of warm-up)\n"
"  --conns N       rr connections (default 16)\n"
"  --parallel N    connections opened at a time (default 32)\n"
"  --rr-size N     rr request and answer bytes (default 1024)\n"

"  --json          a JSON array on stdout: per measurement stack, path,\n"
"                  test, gbps, conns_per_s, req_per_s, seconds, cpu_s\n"
"  --plot FILE.png figures per CPU-second, one bar per stack and path\n"
"                  (gnuplot)\n"
"  --progress      a line on stderr per measurement\n"
"  --one-lcore     memif: both of our stacks polled in turn by one lcore\n"
"                  (its CPU time is all the stacks' work, none of it\n"
"                  waiting for the other lcore: steadier on a busy machine)\n"
"  --mtu N         memif ports' MTU, 576..1500 (default 1500; net_memif in\n"
"                  DPDK 22.11 refuses more: max_rx_pktlen 1518): a smaller\n"
"                  one splits per-segment costs from per-byte ones\n"
"  --chain-min N   our ports: the smallest TCP payload sent as slices of\n"
"                  the send buffer, not copied (default 4096; 1: every\n"
"                  one; 65535: none at MTU 1500)\n"
"  --memif-rsize N net_memif's ring: 2^N descriptors a direction, 6..14\n"
"                  (default the PMD's: 10)\n"
"  --memif-zero-copy  net_memif's zero-copy mode: the client port's mbufs\n"
"                  are shared, the server port copies into and out of\n"
"                  them, the client port copies nothing (EAL\n"
"                  --single-file-segments; default: copy mode, each\n"
"                  side copying its frames)\n"
"  --idle-sleep US our lcores' idle policy, tlsgate's dpdk.idle_sleep (its\n"
"                  default 1000): after 64 rounds without work an lcore\n"
"                  waits --idle-first US, then twice as long each time up\n"
"                  to US (default 0: poll without pause, every lcore at\n"
"                  100 %% of a CPU; bulk with waits: bench/RESULTS.md)\n"
"  --idle-first US the first wait after work (default 100)\n"
"  --window BYTES  our connections' send buffer and receive window\n"
"                  (default the stack's: 256 KiB)\n"
"\n"
"example:\n"
"  " TG_BENCH_PROG " " TCP_CMD " --seconds 3 --progress\n");
}

static unsigned bt_parse_list(const char *s, const char *const *names, unsigned n,
			      const char *what)
{
	unsigned mask = 0;
	char buf[128], *save = NULL;

	if (strcmp(s, "all") == 0)
		return (1u << n) - 1;
	if (strlen(s) >= sizeof(buf))
		tg_bench_usage_error(TCP_CMD, "%s: too long", what);
	strcpy(buf, s);
	for (char *t = strtok_r(buf, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
		unsigned i;

		for (i = 0; i < n && strcmp(t, names[i]) != 0; i++)
			;
		if (i == n)
			tg_bench_usage_error(TCP_CMD, "%s: unknown '%s'", what, t);
		mask |= 1u << i;
	}
	return mask;
}

static void bt_plot(const char *file, const struct bt_result *r, unsigned n)
{
	char dat[] = "/tmp/tgbench-tcp-XXXXXX";
	int fd = mkstemp(dat);
	FILE *f;

	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "%s %s: --plot: cannot write data\n", TG_BENCH_PROG, TCP_CMD);
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		double v = r[i].cpu_s > 0 ? (r[i].gbps > 0 ? r[i].gbps * r[i].seconds
							   : (r[i].cps + r[i].rps) * r[i].seconds)
						/ r[i].cpu_s
					  : 0;

		fprintf(f, "\"%s %s %s\" %g\n", r[i].stack, r[i].path, r[i].test, v);
	}
	fclose(f);
	if (bt_sh("gnuplot -e \"set terminal png size 1000,500; set output '%s'; "
		  "set style fill solid; set boxwidth 0.6; set xtics rotate by -30; "
		  "set logscale y; set ylabel 'per CPU-second (Gbit, conns, requests)'; "
		  "plot '%s' using 0:2:xtic(1) with boxes notitle\" 2>/dev/null",
		  file, dat) != 0)
		fprintf(stderr, "%s %s: --plot: gnuplot failed or is missing "
				"(apt-get install gnuplot-nox)\n", TG_BENCH_PROG, TCP_CMD);
	unlink(dat);
}

static int bt_run_cmd(int argc, char **argv)
{
	static const char *const paths[] = { "memif", "loopback", "veth" };
	static const char *const tests[] = { "bulk", "connections", "rr" };
	enum { OPT_PATH = 256, OPT_TEST, OPT_SECONDS, OPT_CONNS, OPT_PAR, OPT_RR, OPT_JSON, OPT_PLOT,
	       OPT_PROGRESS, OPT_ONE, OPT_MTU, OPT_CHAIN, OPT_RSIZE, OPT_ZC, OPT_IDLE, OPT_IDLE1, OPT_WIN,
	       OPT_HELP };
	static const struct option lo[] = {
		{ "path", required_argument, NULL, OPT_PATH },
		{ "test", required_argument, NULL, OPT_TEST },
		{ "seconds", required_argument, NULL, OPT_SECONDS },
		{ "conns", required_argument, NULL, OPT_CONNS },
		{ "parallel", required_argument, NULL, OPT_PAR },
		{ "rr-size", required_argument, NULL, OPT_RR },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "plot", required_argument, NULL, OPT_PLOT },
		{ "progress", no_argument, NULL, OPT_PROGRESS },
		{ "one-lcore", no_argument, NULL, OPT_ONE },
		{ "mtu", required_argument, NULL, OPT_MTU },
		{ "chain-min", required_argument, NULL, OPT_CHAIN },
		{ "memif-rsize", required_argument, NULL, OPT_RSIZE },
		{ "memif-zero-copy", no_argument, NULL, OPT_ZC },
		{ "idle-sleep", required_argument, NULL, OPT_IDLE },
		{ "idle-first", required_argument, NULL, OPT_IDLE1 },
		{ "window", required_argument, NULL, OPT_WIN },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct bt_opts o = { .tests = 7, .paths = 7, .seconds = 2, .conns = 16,
			     .parallel = 32, .rr_size = 1024, .idle_us = 0,
			     .idle_first_us = 100 };
	struct bt_result res[16];
	struct tg_progress pr;
	unsigned n = 0, total = 0;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case OPT_PATH: o.paths = bt_parse_list(optarg, paths, 3, "--path"); break;
		case OPT_TEST: o.tests = bt_parse_list(optarg, tests, 3, "--test"); break;
		case OPT_SECONDS:
			if (tg_failed(tg_bench_parse_seconds(optarg, 600, &o.seconds)))
				tg_bench_usage_error(TCP_CMD, "bad --seconds '%s' (expected "
						     "a number of seconds > 0 up to 600)",
						     optarg);
			break;
		case OPT_CONNS:
			tg_bench_opt_u32(TCP_CMD, "--conns", optarg, 1, 128, &o.conns);
			break;
		case OPT_PAR:
			tg_bench_opt_u32(TCP_CMD, "--parallel", optarg, 1, 200, &o.parallel);
			break;
		case OPT_RR:
			tg_bench_opt_u32(TCP_CMD, "--rr-size", optarg, 1, 65536, &o.rr_size);
			break;
		case OPT_JSON: o.json = true; break;
		case OPT_PLOT: o.plot = optarg; break;
		case OPT_PROGRESS: o.progress = true; break;
		case OPT_ONE: o.one_lcore = true; break;
		case OPT_ZC: o.memif_zc = true; break;
		case OPT_CHAIN:
			tg_bench_opt_u32(TCP_CMD, "--chain-min", optarg, 1, 1u << 20, &bt_chain_min);
			break;
		case OPT_IDLE:
			tg_bench_opt_u32(TCP_CMD, "--idle-sleep", optarg, 0, 100000, &o.idle_us);
			break;
		case OPT_IDLE1:
			tg_bench_opt_u32(TCP_CMD, "--idle-first", optarg, 0, 100000, &o.idle_first_us);
			break;
		case OPT_WIN:
			tg_bench_opt_u32(TCP_CMD, "--window", optarg, 16384, 16u << 20, &bt_window);
			break;
		case OPT_RSIZE:
			tg_bench_opt_u32(TCP_CMD, "--memif-rsize", optarg, 6, 14, &o.memif_rsize);
			break;
		case OPT_MTU:
			tg_bench_opt_u32(TCP_CMD, "--mtu", optarg, 576, 1500, &o.mtu);
			break;
		case OPT_HELP: bt_usage(stdout); return 0;
		default: tg_bench_usage_error(TCP_CMD, "bad option");
		}
	}
	if (optind < argc)
		tg_bench_usage_error(TCP_CMD, "unexpected '%s'", argv[optind]);
	if (sched_getaffinity(0, sizeof(bt_cpus), &bt_cpus) != 0 || CPU_COUNT(&bt_cpus) == 0)
		CPU_SET(0, &bt_cpus);
	signal(SIGPIPE, SIG_IGN);
	if ((o.paths & BT_VETH) && geteuid() != 0) {
		fprintf(stderr, "%s %s: veth left out: not root (network namespaces)\n",
			TG_BENCH_PROG, TCP_CMD);
		o.paths &= ~(unsigned)BT_VETH;
	}
	if (!bt_env_up(&o)) {
		fprintf(stderr, "%s %s: EAL or ports failed\n", TG_BENCH_PROG, TCP_CMD);
		bt_env_down();
		return TG_BENCH_EXIT_FAIL;
	}
	if ((o.paths & BT_VETH) && env.afp < 0) {
		fprintf(stderr, "%s %s: veth left out: namespaces or net_af_packet failed\n",
			TG_BENCH_PROG, TCP_CMD);
		o.paths &= ~(unsigned)BT_VETH;
	}
	for (unsigned t = 1; t <= BT_RR; t <<= 1)
		if (o.tests & t)
			total += (unsigned)__builtin_popcount(o.paths) + ((o.paths & BT_VETH) ? 1 : 0);
	tg_progress_init(&pr, o.progress, total);
	for (unsigned t = 1; t <= BT_RR; t <<= 1) {
		if (!(o.tests & t))
			continue;
		if (o.paths & BT_MEMIF) {
			tg_progress_step(&pr, "tlsgate memif %s", bt_test_name(t));
			if (bt_ours_memif(&o, t, &res[n]))
				n++;
		}
		if (o.paths & BT_LOOP) {
			tg_progress_step(&pr, "linux loopback %s", bt_test_name(t));
			if (bt_linux(&o, t, "loopback", NULL, NULL, "127.0.0.1", &res[n]))
				n++;
		}
		if (o.paths & BT_VETH) {
			tg_progress_step(&pr, "tlsgate veth %s", bt_test_name(t));
			if (bt_ours_veth(&o, t, &res[n]))
				n++;
			tg_progress_step(&pr, "linux veth %s", bt_test_name(t));
			if (bt_linux(&o, t, "veth", env.ns_la, env.ns_lb, "198.18.1.1", &res[n]))
				n++;
		}
	}
	if (o.json) {
		struct tg_json j;

		tg_json_array_begin(&j, stdout);
		for (unsigned i = 0; i < n; i++) {
			tg_json_obj_begin(&j);
			tg_json_str(&j, "buildtype", tg_bench_buildtype());
			tg_json_str(&j, "stack", res[i].stack);
			tg_json_str(&j, "path", res[i].path);
			tg_json_str(&j, "test", res[i].test);
			if (strcmp(res[i].path, "memif") == 0)
				tg_json_str(&j, "memif_mode", o.memif_zc ? "zero-copy" : "copy");
			tg_json_num(&j, "gbps", res[i].gbps);
			tg_json_num(&j, "conns_per_s", res[i].cps);
			tg_json_num(&j, "req_per_s", res[i].rps);
			tg_json_num(&j, "seconds", res[i].seconds);
			tg_json_num(&j, "cpu_s", res[i].cpu_s);
			tg_json_bool(&j, "ok", res[i].ok);
			tg_json_obj_end(&j);
		}
		tg_json_array_end(&j);
	} else {
		tg_bench_print_build(stdout);
		printf("%-8s %-9s %-12s %10s %12s %12s %8s %8s %14s\n", "stack", "path", "test",
		       "Gbit/s", "conns/s", "req/s", "wall s", "cpu s", "per CPU-s");
		for (unsigned i = 0; i < n; i++) {
			const struct bt_result *x = &res[i];
			double per = x->cpu_s > 0 ? (x->gbps > 0 ? x->gbps * x->seconds
								: (x->cps + x->rps) * x->seconds)
						     / x->cpu_s
						  : 0;

			printf("%-8s %-9s %-12s %10.3f %12.0f %12.0f %8.2f %8.2f %14.3f%s\n",
			       x->stack, x->path, x->test, x->gbps, x->cps, x->rps, x->seconds,
			       x->cpu_s, per, x->ok ? "" : "  (errors)");
		}
		/* the ratios the targets are about */
		for (unsigned t = 1; t <= BT_RR; t <<= 1) {
			const struct bt_result *ours = NULL, *lx = NULL;

			for (unsigned i = 0; i < n; i++) {
				if (strcmp(res[i].test, bt_test_name(t)) != 0 || res[i].cpu_s <= 0)
					continue;
				if (strcmp(res[i].stack, "tlsgate") == 0 && strcmp(res[i].path, "memif") == 0)
					ours = &res[i];
				if (strcmp(res[i].stack, "linux") == 0 && lx == NULL)
					lx = &res[i];
			}
			if (ours != NULL && lx != NULL) {
				double a = (ours->gbps + ours->cps + ours->rps) * ours->seconds / ours->cpu_s;
				double b = (lx->gbps + lx->cps + lx->rps) * lx->seconds / lx->cpu_s;

				printf("%s per CPU-second: tlsgate memif / linux %s = %.2fx\n",
				       bt_test_name(t), lx->path, b > 0 ? a / b : 0);
			}
		}
	}
	if (o.plot != NULL)
		bt_plot(o.plot, res, n);
	bt_env_down();
	for (unsigned i = 0; i < n; i++)
		if (!res[i].ok)
			return TG_BENCH_EXIT_FAIL;
	return n > 0 ? 0 : TG_BENCH_EXIT_FAIL;
}

const struct tg_bench_cmd tg_bench_cmd_tcp = {
	.name = TCP_CMD,
	.summary = "our userspace TCP vs Linux, per CPU-second",
	.run = bt_run_cmd,
	.usage = bt_usage,
};
