/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file bench_e2e_dpdk.c
 * `tlsgate-bench e2e --transport dpdk`: tlsgate's DPDK transport
 * (dataplane/dpdk: a flow engine on our TCP, with the real control plane)
 * in this process, beside tlsgate on sockets and HAProxy (hitch if asked)
 * in the same run, per server CPU-second.
 *
 * The DPDK side. EAL --no-huge --no-pci --no-shconf with two net_memif
 * vdevs joined by their socket; lcore 0 (this thread) on the client CPU,
 * lcore 1 on the server CPU (--core). On memif1 the DPDK worker
 * (tg_dpdk_worker_main on lcore 1, listening on 198.18.3.2:443, the
 * control-plane thread pinned to the server CPU, or --control inline).
 * On memif0 (198.18.3.1), polled by lcore 0, our TCP carries both the
 * load and the backend: clients made of our handshake engine in its
 * client role (control/; TLS 1.2, or 1.3 with --tls 1.3) and our record
 * engine (accel/), and a backend on port 8080 that the worker reaches by
 * its active open. Neither side enters the kernel. A TLS 1.3 client keeps
 * its handshake until the server's NewSessionTicket (a post-handshake
 * message in a record it opens) when it needs the session.
 *
 * The socket side: the same certificate and suite, tlsgate (app/tlsgate,
 * sockets) and HAProxy started by bench_e2e.c on the server CPU, a
 * backend thread of this process on the client CPU (kernel sockets), and
 * libssl clients from this thread.
 *
 * The backend of both sides: a connection whose first bytes are "GET "
 * gets an HTTP 200 with a body of the smallest --sizes and the backend's
 * FIN; any other connection is a sink whose bytes are counted.
 *
 * Workloads, for each server:
 *   records SIZE  --conns connections, handshakes done first (untimed),
 *                 each sending records of SIZE plaintext bytes (one
 *                 SSL_write, or one sealed record, each) as fast as it
 *                 can; the records through = bytes the sink counted in
 *                 the window / SIZE.
 *   full, resumed as `e2e`: --conns at a time, each a handshake, a GET,
 *                 read to the end, close; resumed offers the session
 *                 (ticket) of a first full handshake.
 * Server CPU: tlsgate-dpdk, the thread CPU time of the worker's lcore
 * and of the control-plane thread (--control: auto, as tlsgate's control
 * = auto, inline on one server CPU; thread; inline) over the window (a poll-mode lcore:
 * with --idle-us 0 that is its wall time); the socket servers, utime +
 * stime of their process group (bench_e2e.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "bench_e2e.h"
#include "tg_backend.h"
#include "tg_cert.h"
#include "tg_ctl.h"
#include "tg_dpdk.h"
#include "tg_eal.h"
#include "tg_flow.h"
#include "tg_hs.h"
#include "tg_net.h"
#include "tg_stats.h"
#include "tg_suite.h"
#include "tg_tcp.h"
#include "tg_ticket.h"
#include "tg_wipe.h"

#define ED_TLS_PORT 443
#define ED_BE_PORT 8080
#define ED_ADDR_A "198.18.3.1" /* the load and the backend */
#define ED_ADDR_B "198.18.3.2" /* the DPDK worker */
#define ED_IN (TG_REC_MAX_PLAIN + 2048)
#define ED_OUT (96 * 1024)
#define ED_OUT_LOW (32 * 1024) /* seal more below this much queued */
#define ED_BURST 16
#define ED_BE_MAX 1024
#define ED_HS_S 10.0           /* handshakes of the records' conns */

/** Columns: the DPDK transport, then the socket servers (enum e2e_srv). */
enum { ED_DPDK = 0, ED__N = 1 + SRV__N };
static const char *const ed_name[ED__N] = { "tlsgate-dpdk", "tlsgate",
					    "hitch", "haproxy" };

/** Tests: records of each size, then full and resumed handshakes. */
struct ed_res {
	struct e2e_meas rec[ED__N][E2E_MAX_SIZES];
	struct e2e_meas hs[ED__N][2];
	bool have[ED__N];
};

static _Atomic uint64_t ed_sink; /* bytes the backends counted */
static char ed_resp[512 + 16384];
static size_t ed_resp_len;

static void ed_make_resp(uint32_t body)
{
	int k;

	if (body > 16384)
		body = 16384;
	k = snprintf(ed_resp, 512, "HTTP/1.1 200 OK\r\nContent-Length: %u\r\n"
				   "Connection: close\r\n\r\n", body);
	memset(ed_resp + k, 'x', body);
	ed_resp_len = (size_t)k + body;
}

/* ---- the socket side's backend: a thread, kernel sockets ---------------------- */

struct kbe {
	int lfd, ep;
	uint16_t port;
	atomic_bool stop;
	pthread_t th;
};

struct kbe_conn {
	uint32_t sent;
	uint8_t st; /* 0 new, 1 sink, 2 answering, 3 answered */
};

static struct kbe_conn kbe_st[65536];

static void kbe_answer(int fd, struct kbe_conn *k)
{
	while (k->sent < ed_resp_len) {
		ssize_t w = send(fd, ed_resp + k->sent, ed_resp_len - k->sent,
				 MSG_NOSIGNAL);

		if (w <= 0)
			return;
		k->sent += (uint32_t)w;
	}
	shutdown(fd, SHUT_WR);
	k->st = 3;
}

static void *kbe_main(void *arg)
{
	struct kbe *b = arg;
	static char buf[65536];
	struct epoll_event ev[64];

	while (!atomic_load(&b->stop)) {
		int n = epoll_wait(b->ep, ev, 64, 50);

		for (int i = 0; i < n; i++) {
			int fd = ev[i].data.fd;
			struct kbe_conn *k;

			if (fd == b->lfd) {
				int c;

				while ((c = accept4(b->lfd, NULL, NULL,
						    SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					struct epoll_event e = { .events = EPOLLIN | EPOLLOUT | EPOLLET,
								 .data.fd = c };

					if (c >= 65536) {
						close(c);
						continue;
					}
					kbe_st[c] = (struct kbe_conn){ 0 };
					epoll_ctl(b->ep, EPOLL_CTL_ADD, c, &e);
				}
				continue;
			}
			k = &kbe_st[fd];
			for (;;) {
				ssize_t r = recv(fd, buf, sizeof(buf), 0);

				if (r > 0) {
					if (k->st == 0)
						k->st = r >= 4 && memcmp(buf, "GET ", 4) == 0 ? 2 : 1;
					if (k->st == 1)
						atomic_fetch_add_explicit(&ed_sink, (uint64_t)r,
									  memory_order_relaxed);
					continue;
				}
				if (r == 0 || errno != EAGAIN) {
					close(fd); /* leaves the epoll set */
					k->st = 255;
				}
				break;
			}
			if (k->st == 2)
				kbe_answer(fd, k);
		}
	}
	return NULL;
}

static bool kbe_start(struct kbe *b)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	struct epoll_event e = { .events = EPOLLIN };
	int one = 1;

	memset(b, 0, sizeof(*b));
	b->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	b->ep = epoll_create1(EPOLL_CLOEXEC);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (b->lfd < 0 || b->ep < 0)
		return false;
	setsockopt(b->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(b->lfd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(b->lfd, 4096) != 0 ||
	    getsockname(b->lfd, (struct sockaddr *)&a, &len) != 0)
		return false;
	b->port = ntohs(a.sin_port);
	e.data.fd = b->lfd;
	epoll_ctl(b->ep, EPOLL_CTL_ADD, b->lfd, &e);
	return pthread_create(&b->th, NULL, kbe_main, b) == 0;
}

static void kbe_stop(struct kbe *b)
{
	atomic_store(&b->stop, true);
	pthread_join(b->th, NULL);
	close(b->lfd);
	close(b->ep);
}

/* ---- the socket side's record client: libssl --------------------------------- */

static bool ed_sock_records(struct e2e_env *e, pid_t srv, uint16_t port,
			    uint32_t size, struct e2e_meas *m)
{
	unsigned n = e->o.conns;
	SSL_CTX *ctx = e2e_client_ctx(e);
	SSL **ssl = calloc(n, sizeof(*ssl));
	struct pollfd *pf = calloc(n, sizeof(*pf));
	static uint8_t buf[16384];
	uint64_t t0 = 0, t1, b0 = 0, b1, sent = 0;
	double w0 = 0, end, warm = e->o.seconds / 10;
	bool ok = ctx != NULL && ssl != NULL && pf != NULL, measuring = false;

	memset(buf, 'r', sizeof(buf));
	snprintf(m->command, sizeof(m->command),
		 "tlsgate-bench e2e client on CPU %s: %u connections, each TLS "
		 "1.2 %s X25519, then records of %u B (one SSL_write each) to "
		 "a counting backend", e->cli_list, n, e->o.suite, size);
	for (unsigned i = 0; ok && i < n; i++) {
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_port = htons(port) };
		struct timeval tv = { .tv_sec = 5 };
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		pf[i].fd = fd;
		if (fd < 0)
			ok = false;
		if (!ok)
			break;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		ssl[i] = SSL_new(ctx);
		ok = ssl[i] != NULL && SSL_set_fd(ssl[i], fd) &&
		     connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
		     SSL_connect(ssl[i]) == 1;
		if (ok)
			ok = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0;
	}
	if (!ok) {
		fprintf(stderr, "%s e2e: records client: connection or handshake "
				"failed\n", TG_BENCH_PROG);
		ERR_print_errors_fp(stderr);
		m->errors++;
		goto out;
	}
	end = e2e_now() + warm;
	for (;;) {
		double now = e2e_now();

		if (now >= end) {
			if (measuring)
				break;
			measuring = true;
			t0 = e2e_cpu_start(e, srv);
			b0 = atomic_load(&ed_sink);
			w0 = e2e_now();
			end = w0 + e->o.seconds;
			sent = 0;
		}
		for (unsigned i = 0; i < n; i++)
			pf[i].events = POLLOUT;
		if (poll(pf, n, 100) < 0 && errno != EINTR)
			break;
		for (unsigned i = 0; i < n; i++) {
			if (!(pf[i].revents & (POLLOUT | POLLERR | POLLHUP)))
				continue;
			for (int k = 0; k < 64; k++) {
				int w = SSL_write(ssl[i], buf, (int)size);

				if (w > 0) {
					sent++;
					continue;
				}
				if (SSL_get_error(ssl[i], w) != SSL_ERROR_WANT_WRITE) {
					m->errors++;
					ok = false;
				}
				break;
			}
		}
		if (!ok)
			break;
	}
	m->wall_s = e2e_now() - w0;
	t1 = e2e_group_ticks(srv);
	b1 = atomic_load(&ed_sink);
	e2e_group_threads(srv, &e->thr[1]);
	e2e_thread_text(&e->thr[0], &e->thr[1], m->threads, sizeof(m->threads));
	m->cpu_s = (double)(t1 - t0) / (double)e->clk_tck;
	m->bytes = b1 - b0;
	m->reqs = m->bytes / size;
	m->ok = ok && measuring && m->reqs > 0 && m->cpu_s > 0;
	(void)sent;
out:
	for (unsigned i = 0; ssl != NULL && i < n; i++) {
		if (ssl[i] != NULL) {
			SSL_set_shutdown(ssl[i], SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
			SSL_free(ssl[i]);
		}
		if (pf[i].fd > 0)
			close(pf[i].fd);
	}
	free(ssl);
	free(pf);
	SSL_CTX_free(ctx);
	/* the server and the backend see every end before the next test */
	usleep(200 * 1000);
	return m->ok;
}

/* ---- the DPDK side ------------------------------------------------------------ */

enum { CL_IDLE = 0, CL_HS, CL_DATA };

/** A client of the load side: our handshake engine, our records, our TCP. */
struct ed_cli {
	struct tg_tcp_conn *c;
	struct tg_hs *hs;
	struct tg_accel_sess *tx, *rx;
	int st;
	bool connected, eof, closed_tls, resumed;
	bool reset;         /* the connection ended in a RST (or timed out) */
	int alert;          /* the first alert's description; -1: none */
	uint64_t got;       /* application bytes received */
	uint64_t late;      /* of them, those opened after the alert */
	double t0;
	size_t in_len, out_off, out_len;
	uint8_t in[ED_IN];
	uint8_t out[ED_OUT];
};

/** A connection of the load side's backend. */
struct ed_be {
	struct tg_tcp_conn *c;
	uint32_t sent;
	uint8_t st; /* as struct kbe_conn */
	bool used;
};

struct ed_dpdk {
	struct e2e_env *e;
	/* EAL, the memif pair */
	uint16_t memif[2];
	unsigned lcore;
	struct rte_mempool *pool;
	struct tg_net_port *port_a;
	struct tg_net *net_a;
	struct tg_tcp *tcp_a;
	struct tg_net_addr addr_b;
	/* the server */
	struct tg_accel *acc;
	struct tg_dpdk_port *port_b;
	struct tg_dpdk_conf dc;
	struct tg_flow_settings set;
	struct tg_wk_stats st;
	struct tg_dpdk_stats nst;
	atomic_uint conns, started, finished;
	atomic_int run;
	_Atomic pid_t wtid;
	pid_t ctid;
	pid_t ktid;          /* --dpdk-backends kernel: the worker's helper */
	struct tg_backends_cur be;
	struct tg_ctl *ctl;
	struct tg_ctl_hscfg cfg;
	struct tg_cert_store *store;
	struct tg_ticket_keys *tickets;
	struct tg_addr listen;
	bool launched;
	/* the load */
	struct tg_hs_config ccfg;
	struct tg_hs_session sess;
	bool want_sess, use_sess;
	uint32_t rec_size;  /* records mode: plaintext per record; 0: handshakes */
	struct ed_cli *cli;
	unsigned ncli;
	struct ed_be bes[ED_BE_MAX];
	uint64_t done, resumed, errors;
	char err[160];
};

static void ed_ctl_notify(void *ctl)
{
	tg_ctl_notify(ctl);
}

static unsigned ed_ctl_poll(void *ctl)
{
	return tg_ctl_poll(ctl);
}

static void ed_cfg_release(struct tg_ctl_hscfg *c)
{
	(void)c; /* ours, freed at the end */
}

/* thread CPU time of thread @p tid of this process (any thread) */
static double ed_tid_cpu(pid_t tid)
{
	struct timespec ts;
	clockid_t cl = (clockid_t)((~(unsigned)tid << 3) | 6); /* CPUCLOCK_SCHED, per thread */

	if (tid <= 0 || clock_gettime(cl, &ts) != 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* the server's threads' CPU times: the worker lcore, the control-plane
 * thread, the kernel backends' helper (0 where there is none) */
struct ed_cpu {
	double t[3];
};

static const char *const ed_cpu_name[3] = { "worker", "tg-ctl", "tg-kback" };

static struct ed_cpu ed_srv_cpu(const struct ed_dpdk *d)
{
	return (struct ed_cpu){ { ed_tid_cpu(atomic_load(&d->wtid)),
				  ed_tid_cpu(d->ctid), ed_tid_cpu(d->ktid) } };
}

/* the server CPU of a measurement from @p a to @p b: m->cpu_s, and
 * m->threads as the socket side's servers have it ("tg-ctl 64%, worker
 * 36%": e2e_thread_text, from nanoseconds instead of ticks) */
static void ed_cpu_meas(const struct ed_cpu *a, const struct ed_cpu *b,
			struct e2e_meas *m)
{
	struct e2e_thr_sample sa = { .n = 3 }, sb = { .n = 3 };

	m->cpu_s = 0;
	for (unsigned i = 0; i < 3; i++) {
		sa.t[i].tid = sb.t[i].tid = (pid_t)i + 1;
		snprintf(sa.t[i].comm, sizeof(sa.t[i].comm), "%s", ed_cpu_name[i]);
		memcpy(sb.t[i].comm, sa.t[i].comm, sizeof(sb.t[i].comm));
		sa.t[i].ticks = (uint64_t)(a->t[i] * 1e9);
		sb.t[i].ticks = (uint64_t)(b->t[i] * 1e9);
		m->cpu_s += b->t[i] - a->t[i];
	}
	e2e_thread_text(&sa, &sb, m->threads, sizeof(m->threads));
}

/* the tid of this process's thread named @p name (0: none) */
static pid_t ed_find_thread(const char *name)
{
	struct e2e_thr_sample smp;

	e2e_group_threads(getpgrp(), &smp);
	for (unsigned i = 0; i < smp.n; i++)
		if (strcmp(smp.t[i].comm, name) == 0)
			return smp.t[i].tid;
	return 0;
}

static int ed_worker_lcore(void *arg)
{
	struct ed_dpdk *d = arg;

	atomic_store(&d->wtid, (pid_t)syscall(SYS_gettid));
	return tg_dpdk_worker_main(&d->dc);
}

/* the first failure is described with how its connection ended, so that
 * a rare one can be told apart from the message alone: how much of the
 * response came, whether an alert (0: close_notify) or a RST ended it,
 * and any bytes that came after the alert (out of order) */
static void ed_fail(struct ed_dpdk *d, struct ed_cli *x, const char *what)
{
	char alert[48] = "no alert";

	d->errors++;
	if (d->err[0] != '\0')
		return;
	if (x == NULL || x->st != CL_DATA) {
		snprintf(d->err, sizeof(d->err), "%s", what);
		return;
	}
	if (x->alert == 0)
		snprintf(alert, sizeof(alert), "close_notify, %llu B after it",
			 (unsigned long long)x->late);
	else if (x->alert > 0)
		snprintf(alert, sizeof(alert), "alert %d, %llu B after it", x->alert,
			 (unsigned long long)x->late);
	snprintf(d->err, sizeof(d->err), "%s: %llu B received, %s, %s", what,
		 (unsigned long long)x->got, x->reset ? "reset" : x->eof ? "FIN" : "open",
		 alert);
}

/* the server's counters that say why it ended connections, as the
 * difference to @p s0: printed beside the failures */
static void ed_fail_counters(const struct ed_dpdk *d, const struct tg_wk_stats *s0)
{
	const struct tg_wk_stats *s = &d->st;

	fprintf(stderr,
		"%s e2e: dpdk worker meanwhile: %llu handshakes failed, %llu handshake "
		"timeouts, %llu idle timeouts, %llu records failed to open, %llu refused, "
		"%llu backend connects failed, %llu backends closed early\n",
		TG_BENCH_PROG, (unsigned long long)(s->hs_failed - s0->hs_failed),
		(unsigned long long)(s->hs_timeouts - s0->hs_timeouts),
		(unsigned long long)(s->idle_timeouts - s0->idle_timeouts),
		(unsigned long long)(s->record_errors - s0->record_errors),
		(unsigned long long)(s->conns_refused - s0->conns_refused),
		(unsigned long long)(s->backend_connect_errors - s0->backend_connect_errors),
		(unsigned long long)(s->backend_closed_early - s0->backend_closed_early));
}

static void ed_cli_free(struct ed_cli *x)
{
	if (x->c != NULL) {
		tg_tcp_set_udata(x->c, NULL);
		tg_tcp_close(x->c);
	}
	tg_hs_free(x->hs);
	tg_accel_sess_free(x->tx);
	tg_accel_sess_free(x->rx);
	x->c = NULL;
	x->hs = NULL;
	x->tx = x->rx = NULL;
	x->st = CL_IDLE;
}

static bool ed_cli_start(struct ed_dpdk *d, struct ed_cli *x)
{
	x->in_len = x->out_off = x->out_len = 0;
	x->connected = x->eof = x->closed_tls = x->resumed = x->reset = false;
	x->alert = -1;
	x->late = 0;
	x->got = 0;
	x->t0 = e2e_now();
	if (tg_failed(tg_hs_new(&d->ccfg, d->use_sess ? &d->sess : NULL, &x->hs)))
		return false;
	x->out_len = tg_hs_output(x->hs, x->out, ED_OUT);
	if (tg_failed(tg_tcp_connect(d->tcp_a, &d->addr_b, ED_TLS_PORT, x, &x->c))) {
		x->c = NULL;
		tg_hs_free(x->hs);
		x->hs = NULL;
		return false;
	}
	tg_tcp_want(x->c, true, true);
	x->st = CL_HS;
	return true;
}

/* seal records of d->rec_size into x->out while little is queued */
static bool ed_cli_fill(struct ed_dpdk *d, struct ed_cli *x)
{
	uint32_t hdr = tg_accel_hdr_len(x->tx), tail = tg_accel_tail_len(x->tx, 0);
	uint32_t one = hdr + d->rec_size + tail;
	struct tg_rec r[ED_BURST], *rp[ED_BURST];
	unsigned k = 0;

	if (x->out_len - x->out_off >= ED_OUT_LOW)
		return true;
	if (x->out_off > 0) {
		memmove(x->out, x->out + x->out_off, x->out_len - x->out_off);
		x->out_len -= x->out_off;
		x->out_off = 0;
	}
	while (k < ED_BURST && x->out_len + (size_t)(k + 1) * one <= ED_OUT) {
		size_t at = x->out_len + (size_t)k * one;

		memset(x->out + at + hdr, 'r', d->rec_size);
		r[k] = (struct tg_rec){ .sess = x->tx, .buf = x->out, .cap = ED_OUT,
					.off = (uint32_t)(at + hdr), .len = d->rec_size,
					.type = TG_CT_APPLICATION_DATA };
		rp[k] = &r[k];
		k++;
	}
	if (tg_accel_seal_burst(rp, (uint16_t)k) != k)
		return false;
	/* the records lie end to end: the last one's end is the new length */
	for (unsigned i = 0; i < k; i++)
		if (r[i].rec_off + r[i].rec_len > x->out_len)
			x->out_len = r[i].rec_off + r[i].rec_len;
	return true;
}

/* the handshake is over: keys, the session, then the request or records */
static bool ed_cli_keys(struct ed_dpdk *d, struct ed_cli *x)
{
	struct tg_keys tx, rx;
	tg_result r = tg_hs_export_keys(x->hs, &tx, &rx);

	if (tg_ok(r))
		r = tg_accel_sess_create(d->acc, &tx, &x->tx);
	if (tg_ok(r))
		r = tg_accel_sess_create(d->acc, &rx, &x->rx);
	TG_WIPE_OBJ(tx);
	TG_WIPE_OBJ(rx);
	if (tg_failed(r))
		return false;
	x->resumed = tg_hs_info(x->hs)->resumed != TG_HS_FULL;
	/* the client's Finished (TLS 1.3, or a resumed TLS 1.2) is still to go */
	x->out_len += tg_hs_output(x->hs, x->out + x->out_len, ED_OUT - x->out_len);
	if (tg_hs_info(x->hs)->version == TG_TLS13) {
		/* the ticket comes after the handshake: keep the engine for it
		 * when the session is wanted */
		if (!d->want_sess || d->sess.valid) {
			tg_hs_free(x->hs);
			x->hs = NULL;
		}
	} else {
		if (d->want_sess && !d->sess.valid &&
		    tg_failed(tg_hs_get_session(x->hs, &d->sess)))
			return false;
		tg_hs_free(x->hs);
		x->hs = NULL;
	}
	x->st = CL_DATA;
	if (d->rec_size)
		return ed_cli_fill(d, x);
	{
		char req[160];
		int n = snprintf(req, sizeof(req),
				 "GET /%u HTTP/1.1\r\nHost: " E2E_HOST
				 "\r\nConnection: close\r\n\r\n", d->e->hs_size);
		uint32_t hdr = tg_accel_hdr_len(x->tx);
		struct tg_rec rec = { .sess = x->tx, .buf = x->out, .cap = ED_OUT,
				      .off = (uint32_t)x->out_len + hdr,
				      .len = (uint32_t)n, .type = TG_CT_APPLICATION_DATA };
		struct tg_rec *rp = &rec;

		memcpy(x->out + rec.off, req, (size_t)n);
		if (tg_accel_seal_burst(&rp, 1) != 1)
			return false;
		x->out_len = rec.rec_off + rec.rec_len;
	}
	return true;
}

/* TLS 1.3: the post-handshake messages of a record (RFC 8446 §4.6); the
 * session of the first NewSessionTicket is kept, then the handshake
 * engine goes */
static bool ed_cli_ticket(struct ed_dpdk *d, struct ed_cli *x, const uint8_t *p,
			  uint32_t len)
{
	while (len >= 4) {
		uint32_t n = 4 + (((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]);

		if (n > len || tg_failed(tg_hs_post_handshake(x->hs, p, n)))
			return false;
		p += n;
		len -= n;
	}
	if (len != 0)
		return false; /* a message across records: not sent by us */
	if (d->want_sess && !d->sess.valid &&
	    tg_failed(tg_hs_get_session(x->hs, &d->sess)))
		return false;
	tg_hs_free(x->hs);
	x->hs = NULL;
	return true;
}

/* "TLS 1.2" or "TLS 1.3": the one version of the run */
static const char *ed_ver(const struct e2e_env *e)
{
	return e->o.tls13 ? "TLS 1.3" : "TLS 1.2";
}

/* open the whole records in x->in */
static bool ed_cli_open(struct ed_dpdk *d, struct ed_cli *x)
{
	size_t off = 0;

	while (x->in_len - off >= TG_REC_HDR_LEN) {
		uint32_t len = ((uint32_t)x->in[off + 3] << 8) | x->in[off + 4];
		struct tg_rec r = { .sess = x->rx, .buf = x->in, .cap = (uint32_t)x->in_len,
				    .rec_off = (uint32_t)off,
				    .rec_len = TG_REC_HDR_LEN + len };
		struct tg_rec *rp = &r;

		if (x->in_len - off < TG_REC_HDR_LEN + len)
			break;
		if (tg_accel_open_burst(&rp, 1) != 1)
			return false;
		if (r.type == TG_CT_APPLICATION_DATA) {
			x->got += r.len;
			x->late += x->closed_tls ? r.len : 0;
		} else if (r.type == TG_CT_ALERT) {
			if (!x->closed_tls)
				x->alert = r.len >= 2 ? x->in[r.off + 1] : 256;
			x->closed_tls = true; /* close_notify (or worse) */
		}
		else if (r.type == TG_CT_HANDSHAKE && x->hs != NULL &&
			 !ed_cli_ticket(d, x, x->in + r.off, r.len))
			return false;
		off += TG_REC_HDR_LEN + len;
	}
	memmove(x->in, x->in + off, x->in_len - off);
	x->in_len -= off;
	return true;
}

/* everything a client can do now; false: it failed */
static bool ed_cli_step(struct ed_dpdk *d, struct ed_cli *x)
{
	for (;;) {
		struct iovec iov = { x->in + x->in_len, ED_IN - x->in_len };
		ssize_t r;

		if (iov.iov_len == 0)
			break;
		r = tg_tcp_recv(x->c, &iov, 1);
		if (r > 0) {
			x->in_len += (size_t)r;
			if (x->st == CL_DATA && !ed_cli_open(d, x))
				return false;
			continue;
		}
		if (r != -EAGAIN) {
			x->eof = true;
			x->reset = r < 0;
		}
		break;
	}
	while (x->st == CL_HS && x->in_len > 0) {
		size_t used = 0;
		tg_result res = tg_hs_feed(x->hs, x->in, x->in_len, &used);

		memmove(x->in, x->in + used, x->in_len - used);
		x->in_len -= used;
		x->out_len += tg_hs_output(x->hs, x->out + x->out_len,
					   ED_OUT - x->out_len);
		if (tg_failed(res) || (tg_hs_events(x->hs) & TG_HS_EV_FAILED))
			return false;
		if (tg_hs_events(x->hs) & TG_HS_EV_KEYS_READY) {
			if (!ed_cli_keys(d, x) || !ed_cli_open(d, x))
				return false;
			break;
		}
		if (used == 0)
			break;
	}
	if (x->st == CL_DATA && d->rec_size && !ed_cli_fill(d, x))
		return false;
	while (x->connected && x->out_off < x->out_len) {
		ssize_t w = tg_tcp_send(x->c, x->out + x->out_off, x->out_len - x->out_off);

		if (w <= 0)
			break;
		x->out_off += (size_t)w;
		if (x->st == CL_DATA && d->rec_size && !ed_cli_fill(d, x))
			return false;
	}
	if (x->out_off == x->out_len)
		x->out_off = x->out_len = 0;
	tg_tcp_want(x->c, true, x->out_off < x->out_len || (x->st == CL_DATA && d->rec_size));
	return true;
}

static void ed_be_event(struct ed_dpdk *d, const struct tg_tcp_event *ev)
{
	static uint8_t tmp[65536];
	struct ed_be *b = ev->udata;

	if (ev->ev & TG_TCP_EV_ACCEPTED) {
		b = NULL;
		for (unsigned i = 0; i < ED_BE_MAX && b == NULL; i++)
			if (!d->bes[i].used)
				b = &d->bes[i];
		if (b == NULL) {
			tg_tcp_abort(ev->c);
			return;
		}
		*b = (struct ed_be){ .c = ev->c, .used = true };
		tg_tcp_set_udata(b->c, b);
	}
	if (ev->ev & (TG_TCP_EV_ERROR | TG_TCP_EV_CLOSED)) {
		tg_tcp_close(b->c);
		b->used = false;
		return;
	}
	for (;;) {
		struct iovec iov = { tmp, sizeof(tmp) };
		ssize_t r = tg_tcp_recv(b->c, &iov, 1);

		if (r > 0) {
			if (b->st == 0)
				b->st = r >= 4 && memcmp(tmp, "GET ", 4) == 0 ? 2 : 1;
			if (b->st == 1)
				atomic_fetch_add_explicit(&ed_sink, (uint64_t)r,
							  memory_order_relaxed);
			continue;
		}
		if (r != -EAGAIN) {
			tg_tcp_close(b->c);
			b->used = false;
			return;
		}
		break;
	}
	while (b->st == 2 && b->sent < ed_resp_len) {
		ssize_t w = tg_tcp_send(b->c, ed_resp + b->sent, ed_resp_len - b->sent);

		if (w <= 0)
			break;
		b->sent += (uint32_t)w;
	}
	if (b->st == 2 && b->sent == ed_resp_len) {
		tg_tcp_shutdown(b->c);
		b->st = 3;
	}
	tg_tcp_want(b->c, true, b->st == 2);
}

/* one round of the load side; @p count: completed handshakes count */
static void ed_round(struct ed_dpdk *d, bool count)
{
	struct tg_tcp_event ev[64];
	unsigned k;

	tg_tcp_poll(d->tcp_a);
	k = tg_tcp_events(d->tcp_a, ev, 64);
	for (unsigned i = 0; i < k; i++) {
		struct ed_cli *x = ev[i].udata;
		bool fin;

		if ((ev[i].ev & TG_TCP_EV_ACCEPTED) ||
		    ((void *)x >= (void *)d->bes && (void *)x < (void *)(d->bes + ED_BE_MAX))) {
			ed_be_event(d, &ev[i]);
			continue;
		}
		if (x == NULL || x->st == CL_IDLE)
			continue;
		if (ev[i].ev & TG_TCP_EV_CONNECTED)
			x->connected = true;
		if (ev[i].ev & (TG_TCP_EV_ERROR | TG_TCP_EV_CLOSED)) {
			x->eof = true;
			x->reset = (ev[i].ev & TG_TCP_EV_ERROR) != 0;
		} else if (!ed_cli_step(d, x)) {
			ed_fail(d, x, x->st == CL_HS ? "handshake" : "records");
			ed_cli_free(x);
			continue;
		}
		fin = x->eof || x->closed_tls;
		if (!fin)
			continue;
		if (d->rec_size == 0 && x->st == CL_DATA && x->got > d->e->hs_size) {
			if (count) {
				d->done++;
				d->resumed += x->resumed;
			}
		} else {
			ed_fail(d, x, x->st == CL_HS ? "closed in the handshake"
					: d->rec_size ? "closed while sending records"
						      : "response short");
		}
		ed_cli_free(x);
	}
	tg_tcp_flush(d->tcp_a);
}

static void ed_poll_ms(struct ed_dpdk *d, unsigned ms)
{
	double end = e2e_now() + ms / 1000.0;

	while (e2e_now() < end)
		ed_round(d, false);
}

static void ed_close_all(struct ed_dpdk *d)
{
	for (unsigned i = 0; i < d->ncli; i++)
		if (d->cli[i].st != CL_IDLE) {
			if (d->cli[i].c != NULL) {
				tg_tcp_set_udata(d->cli[i].c, NULL);
				tg_tcp_abort(d->cli[i].c);
				d->cli[i].c = NULL;
			}
			ed_cli_free(&d->cli[i]);
		}
	ed_poll_ms(d, 300);
}

/* records of @p size through --conns established connections */
static bool ed_dpdk_records(struct ed_dpdk *d, uint32_t size, struct e2e_meas *m)
{
	struct e2e_env *e = d->e;
	struct tg_wk_stats s0 = d->st;
	struct ed_cpu c0, c1;
	double w0, end;
	uint64_t b0, b1;
	bool all;

	d->rec_size = size;
	d->use_sess = d->want_sess = false;
	d->errors = 0;
	d->err[0] = '\0';
	snprintf(m->command, sizeof(m->command),
		 "tlsgate-bench e2e --transport dpdk: %u connections on our TCP "
		 "over net_memif, each %s %s X25519 (our client engine), "
		 "then records of %u B (our record engine) to a counting backend%s%s",
		 d->ncli, ed_ver(e), e->o.suite, size,
		 e->o.rx_chain ? "; --rx-chain: opened in the received mbufs" : "",
		 e->o.memif_zc ? "; --memif-zero-copy: the worker's port in memif's zero-copy mode" : "");
	for (unsigned i = 0; i < d->ncli; i++)
		if (!ed_cli_start(d, &d->cli[i]))
			ed_fail(d, &d->cli[i], "connect");
	end = e2e_now() + ED_HS_S;
	do {
		ed_round(d, false);
		all = true;
		for (unsigned i = 0; i < d->ncli; i++)
			all = all && d->cli[i].st == CL_DATA;
	} while (!all && d->errors == 0 && e2e_now() < end);
	if (!all) {
		fprintf(stderr, "%s e2e: dpdk records %u B: handshakes not done (%s)\n",
			TG_BENCH_PROG, size, d->err[0] ? d->err : "time up");
		m->errors = d->errors ? d->errors : 1;
		ed_close_all(d);
		return false;
	}
	ed_poll_ms(d, (unsigned)(e->o.seconds * 100)); /* a tenth: warm-up */
	c0 = ed_srv_cpu(d);
	b0 = atomic_load(&ed_sink);
	w0 = e2e_now();
	end = w0 + e->o.seconds;
	/* the clock every 16 rounds (clock_gettime is a good part of a
	 * round of the load side on a VM) */
	while (e2e_now() < end && d->errors == 0)
		for (int k = 0; k < 16; k++)
			ed_round(d, false);
	m->wall_s = e2e_now() - w0;
	c1 = ed_srv_cpu(d);
	b1 = atomic_load(&ed_sink);
	ed_cpu_meas(&c0, &c1, m);
	m->bytes = b1 - b0;
	m->reqs = m->bytes / size;
	m->errors = d->errors;
	if (d->errors) {
		fprintf(stderr, "%s e2e: dpdk records %u B: %llu failed (%s)\n",
			TG_BENCH_PROG, size, (unsigned long long)d->errors, d->err);
		ed_fail_counters(d, &s0);
	}
	m->ok = m->reqs > 0 && m->cpu_s > 0;
	ed_close_all(d);
	return m->ok;
}

/* handshakes, --conns at a time, for --seconds */
static bool ed_dpdk_handshakes(struct ed_dpdk *d, bool resumed, struct e2e_meas *m)
{
	struct e2e_env *e = d->e;
	struct tg_wk_stats s0;
	struct ed_cpu c0, c1;
	double w0, end;

	d->rec_size = 0;
	d->done = d->resumed = d->errors = 0;
	d->err[0] = '\0';
	snprintf(m->command, sizeof(m->command),
		 "tlsgate-bench e2e --transport dpdk: %u connections at a time on "
		 "our TCP over net_memif, each %s %s %s X25519 (our client "
		 "engine), GET /%u Connection: close, read to the end",
		 d->ncli, ed_ver(e), resumed ? "resumed (ticket)" : "full", e->o.suite,
		 e->hs_size);
	/* warm-up: one handshake that must work (its session is offered) */
	d->sess.valid = false;
	d->want_sess = resumed;
	d->use_sess = false;
	if (!ed_cli_start(d, &d->cli[0]))
		ed_fail(d, &d->cli[0], "connect");
	end = e2e_now() + E2E_CONN_S;
	while (d->cli[0].st != CL_IDLE && e2e_now() < end)
		ed_round(d, true);
	if (d->done != 1 || (resumed && !d->sess.valid)) {
		fprintf(stderr, "%s e2e: dpdk handshake warm-up failed (%s)\n",
			TG_BENCH_PROG, d->err[0] ? d->err : "time up");
		m->errors = 1;
		ed_close_all(d);
		return false;
	}
	d->want_sess = false;
	d->use_sess = resumed;
	d->done = d->resumed = 0;
	s0 = d->st;
	c0 = ed_srv_cpu(d);
	w0 = e2e_now();
	end = w0 + e->o.seconds;
	for (;;) {
		double now = e2e_now();
		unsigned live = 0;

		for (unsigned i = 0; i < d->ncli; i++) {
			struct ed_cli *x = &d->cli[i];

			if (x->st != CL_IDLE && now - x->t0 > E2E_CONN_S) {
				ed_fail(d, x, "no response within " E2E_CONN_S_TEXT " s");
				if (x->c != NULL) {
					tg_tcp_set_udata(x->c, NULL);
					tg_tcp_abort(x->c);
					x->c = NULL;
				}
				ed_cli_free(x);
			}
			if (x->st == CL_IDLE && now < end && !ed_cli_start(d, x))
				ed_fail(d, x, "connect");
			live += x->st != CL_IDLE;
		}
		if (live == 0 || (d->errors > 1000 && d->done == 0))
			break;
		for (int k = 0; k < 16; k++)
			ed_round(d, true);
	}
	m->wall_s = e2e_now() - w0;
	c1 = ed_srv_cpu(d);
	ed_cpu_meas(&c0, &c1, m);
	m->reqs = d->done;
	m->resumed = d->resumed;
	m->errors = d->errors;
	if (d->errors) {
		fprintf(stderr, "%s e2e: dpdk: %llu of %llu connections failed (%s)\n",
			TG_BENCH_PROG, (unsigned long long)d->errors,
			(unsigned long long)(d->errors + d->done), d->err);
		ed_fail_counters(d, &s0);
	}
	m->ok = d->done > 0 && m->cpu_s > 0;
	ed_close_all(d);
	return m->ok;
}

static void ed_addr_set(struct tg_addr *a, const char *ip, uint16_t port)
{
	struct sockaddr_in *s = (struct sockaddr_in *)&a->sa;

	memset(a, 0, sizeof(*a));
	snprintf(a->text, sizeof(a->text), "%s:%u", ip, port);
	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	inet_pton(AF_INET, ip, &s->sin_addr);
	a->salen = sizeof(*s);
}

static bool ed_link_up(uint16_t port, double secs)
{
	double end = e2e_now() + secs;

	while (e2e_now() < end) {
		struct rte_eth_link l;

		if (rte_eth_link_get_nowait(port, &l) == 0 && l.link_status)
			return true;
		usleep(10000);
	}
	return false;
}

/* the EAL, the memif pair, side A's TCP */
static bool ed_eal_up(struct ed_dpdk *d)
{
	static char sock[96], v0[160], v1[160], lcores[32];
	struct tg_eal_opts eo = { .mem_mb = 1024 };
	struct tg_net_port_conf pc;
	struct tg_net_conf nc;
	struct tg_tcp_conf tc;
	int cli = -1, srv = -1;

	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (cli < 0 && CPU_ISSET(c, &d->e->cli_cpus))
			cli = c;
		if (srv < 0 && CPU_ISSET(c, &d->e->srv_cpus))
			srv = c;
	}
	snprintf(lcores, sizeof(lcores), "0@%d,1@%d", cli, srv);
	eo.lcores = lcores;
	snprintf(sock, sizeof(sock), "%s/memif.sock", d->e->dir);
	/* zero-copy: the worker's side (the client role) copies nothing */
	tg_bench_memif_pair(&eo, sock, 0, d->e->o.memif_zc, v0, v1, sizeof(v0));
	if (tg_failed(tg_eal_start(TG_BENCH_PROG, &eo)))
		return false;
	d->lcore = rte_get_next_lcore(rte_lcore_id(), 1, 0);
	if (d->lcore >= RTE_MAX_LCORE ||
	    rte_eth_dev_get_port_by_name("net_memif0", &d->memif[0]) != 0 ||
	    rte_eth_dev_get_port_by_name("net_memif1", &d->memif[1]) != 0)
		return false;
	d->pool = tg_net_pool_create("ed_pool_a", 32768, 0, -1);
	if (d->pool == NULL)
		return false;
	memset(&pc, 0, sizeof(pc));
	pc.port_id = d->memif[0];
	pc.n_queues = 1;
	pc.pools[0] = d->pool;
	pc.prefix = 24;
	if (tg_failed(tg_net_addr_parse(ED_ADDR_A, &pc.addr)) ||
	    tg_failed(tg_net_addr_parse(ED_ADDR_B, &d->addr_b)) ||
	    tg_failed(tg_net_port_start(&pc, &d->port_a)))
		return false;
	memset(&nc, 0, sizeof(nc));
	nc.port = d->port_a;
	nc.pool = d->pool;
	nc.no_garp = true;
	if (tg_failed(tg_net_new(&nc, &d->net_a)))
		return false;
	memset(&tc, 0, sizeof(tc));
	tc.net = d->net_a;
	tc.max_conns = 4096;
	tc.max_tw = 65536;
	tc.syn_backlog = 2048;
	tc.msl_ms = 1000;
	/* the load side's windows: 64 KiB, what a Linux peer starts with
	 * (tcp_rmem 128 KiB, half of it offered), plenty for a memif round
	 * trip of tens of microseconds; 256 KiB a connection (our default)
	 * kept 2 MiB in flight each way, out of the caches of both sides */
	tc.snd_buf = 64 * 1024;
	tc.rcv_buf = 64 * 1024;
	if (tg_failed(tg_tcp_new(&tc, &d->tcp_a)) ||
	    tg_failed(tg_tcp_listen(d->tcp_a, ED_BE_PORT, NULL, NULL)))
		return false;
	return true;
}

/* the DPDK transport on memif1, its control plane, our client config */
static bool ed_server_up(struct ed_dpdk *d)
{
	struct e2e_env *e = d->e;
	struct tg_dpdk_port_conf pc;
	struct tg_accel_conf ac = { .backends = "default" };
	struct tg_backends_conf bc;
	struct tg_backends *b;
	struct tg_hs_config *hs = &d->cfg.hs;
	char cert[128], key[128], err[160], name[RTE_ETH_NAME_MAX_LEN];
	cpu_set_t ctl_cpus;
	size_t n;
	uint8_t mac[6];

	if (tg_failed(tg_accel_create(&ac, &d->acc)))
		return false;
	memset(&pc, 0, sizeof(pc));
	if (rte_eth_dev_get_name_by_port(d->memif[1], name) != 0)
		return false;
	snprintf(pc.dev, sizeof(pc.dev), "%s", name);
	pc.addr = d->addr_b;
	pc.prefix = 24;
	pc.mbufs = 16384;
	if (tg_failed(tg_dpdk_port_open(&pc, 1, &d->port_b)))
		return false;
	if (!ed_link_up(d->memif[0], 5) || !ed_link_up(d->memif[1], 5)) {
		fprintf(stderr, "%s e2e: the memif link did not come up\n", TG_BENCH_PROG);
		return false;
	}
	tg_net_port_mac(tg_dpdk_port_net(d->port_b), mac);
	if (tg_failed(tg_net_arp_add(d->net_a, &d->addr_b, mac)))
		return false;

	/* the server's handshake config, as tlsgate builds it */
	tg_hs_config_defaults(hs, TG_HS_SERVER);
	hs->acc = d->acc;
	hs->versions = e->o.tls13 ? TG_HS_VERSION_TLS13 : TG_HS_VERSION_TLS12;
	snprintf(cert, sizeof(cert), "%s/cert.pem", e->dir);
	snprintf(key, sizeof(key), "%s/key.pem", e->dir);
	if (e->o.tls13 ? tg_failed(tg_cs13_parse_list(e->o.suite, hs->suites13,
						      RTE_DIM(hs->suites13), &n,
						      err, sizeof(err)))
		       : tg_failed(tg_cs_parse_list(e->o.suite, hs->suites,
						    TG_HS_MAX_PREFS, &n, err,
						    sizeof(err)))) {
		fprintf(stderr, "%s e2e: --suite %s: %s\n", TG_BENCH_PROG, e->o.suite, err);
		return false;
	}
	if (e->o.tls13)
		hs->n_suites13 = (unsigned)n;
	else
		hs->n_suites = (unsigned)n;
	if (tg_failed(tg_cert_store_new(0, &d->store)) ||
	    tg_failed(tg_cert_store_load(d->store, cert, key, true)) ||
	    tg_failed(tg_ticket_keys_random(TG_TICKET_FMT_GCM, NULL, &d->tickets)))
		return false;
	hs->certs = d->store;
	hs->tickets = d->tickets;
	atomic_init(&d->cfg.refs, 2); /* ours and the control plane's */
	d->cfg.release = ed_cfg_release;

	/* our client: the same suite, X25519 first, no verification */
	tg_hs_config_defaults(&d->ccfg, TG_HS_CLIENT);
	d->ccfg.acc = d->acc;
	d->ccfg.versions = hs->versions;
	memcpy(d->ccfg.suites, hs->suites, sizeof(hs->suites));
	d->ccfg.n_suites = hs->n_suites;
	memcpy(d->ccfg.suites13, hs->suites13, sizeof(hs->suites13));
	d->ccfg.n_suites13 = hs->n_suites13;
	d->ccfg.groups[0] = TG_GROUP_X25519;
	d->ccfg.groups[1] = TG_GROUP_SECP256R1;
	d->ccfg.n_groups = 2;
	snprintf(d->ccfg.server_name, sizeof(d->ccfg.server_name), E2E_HOST);
	d->ccfg.offer_ticket = true;

	d->set = (struct tg_flow_settings){
		.max_conns = 4096, .max_conns_per_worker = 2048,
		.handshake_timeout_ms = 10000, .idle_timeout_ms = 60000,
		.drain_timeout_ms = 2000, .connect_timeout_ms = 2000,
		.connect_retries = 2, .max_buffer = 256 * 1024,
		.record_small = 1369, .record_max = 16384,
		.record_ramp_bytes = 65536, .record_idle_ms = 1000,
	};
	if (tg_failed(tg_ctl_create(1, d->set.max_conns_per_worker, 4096, &d->cfg,
				    &d->ctl)))
		return false;
	/* --control auto, as tlsgate's control = auto with one worker: a
	 * thread on the server CPUs the worker's lcore does not use, inline
	 * when it has the only one (a thread beside it would cost two thread
	 * switches per round trip to the control plane) */
	ctl_cpus = e->srv_cpus;
	if (e->o.ctl_auto) {
		rte_cpuset_t wc = rte_lcore_cpuset(d->lcore);

		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &wc))
				CPU_CLR(c, &ctl_cpus);
		e->o.ctl_inline = CPU_COUNT(&ctl_cpus) == 0;
	}
	if (e->o.ctl_inline ? tg_failed(tg_ctl_start_inline(d->ctl))
			    : tg_failed(tg_ctl_start(d->ctl, &ctl_cpus)))
		return false;

	memset(&bc, 0, sizeof(bc));
	bc.n_pools = 1;
	snprintf(bc.pools[0].name, sizeof(bc.pools[0].name), "default");
	/* --dpdk-backends kernel: the kernel backend thread (started
	 * first, e->be_port), through the worker's helper */
	if (e->o.kback)
		ed_addr_set(&bc.pools[0].be[0], "127.0.0.1", e->be_port);
	else
		ed_addr_set(&bc.pools[0].be[0], ED_ADDR_A, ED_BE_PORT);
	bc.pools[0].n_be = 1;
	if (tg_failed(tg_backends_new(&bc, &b)))
		return false;
	tg_backends_cur_init(&d->be, b);

	ed_addr_set(&d->listen, ED_ADDR_B, ED_TLS_PORT);
	atomic_init(&d->run, TG_RUN);
	d->dc = (struct tg_dpdk_conf){
		.w = {
			.flow = { .id = 0, .set = &d->set, .acc = d->acc,
				  .to_ctl = tg_ctl_ring_to_ctl(d->ctl, 0),
				  .from_ctl = tg_ctl_ring_to_worker(d->ctl, 0),
				  .ctl = { .ctx = d->ctl,
					   .notify = e->o.ctl_inline ? NULL : ed_ctl_notify,
					   .poll = e->o.ctl_inline ? ed_ctl_poll : NULL },
				  .backends = &d->be, .stats = &d->st,
				  .conns_total = &d->conns, .access_log = NULL },
			.listen = &d->listen, .n_listen = 1,
			.wake_fd = e->o.ctl_inline ? -1 : tg_ctl_worker_fd(d->ctl, 0),
			.run = &d->run, .started = &d->started, .n_workers = 1,
		},
		.port = d->port_b, .queue = 0, .idle_us = e->o.idle_us,
		.idle_first_us = e->o.idle_first_us,
		.stats = &d->nst, .finished = &d->finished, .linger_ms = 200,
		.kernel_backends = e->o.kback, .rx_chain = e->o.rx_chain,
	};
	if (rte_eal_remote_launch(ed_worker_lcore, d, d->lcore) != 0)
		return false;
	d->launched = true;
	/* named by tg_ctl_start(); not found, its CPU time would go
	 * uncounted (the server's figures too good by up to 3x): no run */
	d->ctid = e->o.ctl_inline ? 0 : ed_find_thread("tg-ctl");
	if (!e->o.ctl_inline && d->ctid == 0) {
		fprintf(stderr, "%s e2e: the control-plane thread (tg-ctl) not found: "
				"its CPU time could not be counted\n", TG_BENCH_PROG);
		return false;
	}
	/* the worker listens, answers ARP; our side learns its address */
	ed_poll_ms(d, 100);
	/* its helper thread (started by the worker, on the server CPU; it
	 * names itself, which a loaded machine may take a while to run) */
	for (int i = 0; e->o.kback && d->ktid == 0 && i < 40; i++) {
		d->ktid = ed_find_thread("tg-kback-0");
		if (d->ktid == 0)
			ed_poll_ms(d, 50);
	}
	if (e->o.kback && d->ktid == 0)
		return false;
	return atomic_load(&d->wtid) > 0 &&
	       rte_eal_get_lcore_state(d->lcore) == RUNNING;
}

static void ed_down(struct ed_dpdk *d)
{
	if (d->launched) {
		atomic_store(&d->run, TG_STOP);
		/* the load side answers the worker's goodbyes meanwhile */
		while (rte_eal_get_lcore_state(d->lcore) == RUNNING)
			ed_round(d, false);
		rte_eal_wait_lcore(d->lcore);
	}
	for (unsigned i = 0; i < ED_BE_MAX; i++)
		if (d->bes[i].used)
			tg_tcp_abort(d->bes[i].c);
	tg_tcp_free(d->tcp_a);
	tg_net_free(d->net_a);
	tg_net_port_stop(d->port_a);
	tg_dpdk_port_close(d->port_b);
	tg_ctl_destroy(d->ctl);
	if (atomic_load(&d->be.b) != NULL)
		tg_backends_cur_fini(&d->be);
	tg_ticket_keys_unref(d->tickets);
	tg_cert_store_unref(d->store);
	tg_accel_destroy(d->acc);
	tg_eal_stop();
}

/* every DPDK measurement */
static bool ed_dpdk_all(struct e2e_env *e, struct ed_res *res, struct tg_progress *prog)
{
	static struct ed_dpdk d;
	bool ok;

	memset(&d, 0, sizeof(d));
	d.e = e;
	d.ncli = e->o.conns;
	d.cli = calloc(d.ncli, sizeof(*d.cli));
	ok = d.cli != NULL;
	if (ok && geteuid() != 0) {
		fprintf(stderr, "%s e2e: --transport dpdk needs root (the EAL "
				"with net_memif): DPDK skipped\n", TG_BENCH_PROG);
		ok = false;
	}
	if (ok && (!ed_eal_up(&d) || !ed_server_up(&d))) {
		fprintf(stderr, "%s e2e: --transport dpdk: the EAL, the net_memif "
				"pair or the DPDK worker did not start: DPDK skipped\n",
			TG_BENCH_PROG);
		ok = false;
	}
	if (ok) {
		res->have[ED_DPDK] = true;
		for (unsigned i = 0; i < e->o.nsizes; i++) {
			tg_progress_step(prog, "%s records %u B", ed_name[ED_DPDK],
					 e->o.sizes[i]);
			(void)ed_dpdk_records(&d, e->o.sizes[i], &res->rec[ED_DPDK][i]);
		}
		for (int k = 0; k < 2; k++) {
			tg_progress_step(prog, "%s %s handshakes", ed_name[ED_DPDK],
					 k ? "resumed" : "full");
			(void)ed_dpdk_handshakes(&d, k == 1, &res->hs[ED_DPDK][k]);
		}
		if (e->o.verbose)
			fprintf(stderr, "dpdk worker: flows %llu, hs full %llu resumed %llu\n",
				(unsigned long long)d.st.conns_accepted,
				(unsigned long long)d.st.hs_full,
				(unsigned long long)d.st.hs_resumed);
		if (e->o.verbose) {
			const struct tg_net_stats *na = tg_net_stats(d.net_a);
			const struct tg_tcp_stats *ta = tg_tcp_stats(d.tcp_a);

			/* what the path lost and sent again, both sides (the
			 * worker's as last published) */
			fprintf(stderr, "load side: tx %llu frames, %llu dropped, %llu "
					"retransmits; worker: tx %llu frames, %llu dropped, "
					"%llu retransmits\n",
				(unsigned long long)na->tx_pkts, (unsigned long long)na->tx_drop,
				(unsigned long long)ta->retransmits,
				(unsigned long long)d.nst.net.tx_pkts,
				(unsigned long long)d.nst.net.tx_drop,
				(unsigned long long)d.nst.tcp.retransmits);
		}
	}
	if (d.cli != NULL && tg_eal_up())
		ed_down(&d);
	free(d.cli);
	return ok;
}

/* every measurement of one socket server */
static void ed_sock_server(struct e2e_env *e, enum e2e_srv s, struct ed_res *res,
			   struct tg_progress *prog)
{
	char cmd[768];
	uint16_t port = e2e_free_port();
	pid_t pid = port ? e2e_start_server(e, s, port, cmd, sizeof(cmd)) : -1;
	unsigned c = 1 + (unsigned)s;

	if (pid <= 0)
		return;
	res->have[c] = true;
	for (unsigned i = 0; i < e->o.nsizes; i++) {
		tg_progress_step(prog, "%s records %u B", ed_name[c], e->o.sizes[i]);
		(void)ed_sock_records(e, pid, port, e->o.sizes[i], &res->rec[c][i]);
	}
	for (int k = 0; k < 2; k++) {
		tg_progress_step(prog, "%s %s handshakes", ed_name[c],
				 k ? "resumed" : "full");
		(void)e2e_handshakes(e, pid, port, k == 1, &res->hs[c][k]);
	}
	e2e_kill(pid);
}

/* ---- output -------------------------------------------------------------------- */

/* A server's name in --json: the socket tlsgate is "tlsgate-sockets" there,
 * beside "tlsgate-dpdk" (the table keeps the short name). */
static const char *ed_json_name(int s)
{
	return s == 1 + SRV_TLSGATE ? "tlsgate-sockets" : ed_name[s];
}

static double ed_rate(const struct e2e_meas *m, bool bytes)
{
	if (!m->ok || m->cpu_s <= 0)
		return NAN;
	return (bytes ? (double)m->bytes * 8 / 1e9 : (double)m->reqs) / m->cpu_s;
}

/* the ratios printed: [numerator, denominator] */
static const int ed_ratios[][2] = { { ED_DPDK, 1 + SRV_TLSGATE },
				    { ED_DPDK, 1 + SRV_HAPROXY },
				    { ED_DPDK, 1 + SRV_HITCH },
				    { 1 + SRV_TLSGATE, 1 + SRV_HAPROXY } };
#define ED_NRATIOS (sizeof(ed_ratios) / sizeof(ed_ratios[0]))

static void ed_row(const struct ed_res *res, const char *test, const char *unit,
		   const struct e2e_meas *const m[ED__N], bool bytes, bool first)
{
	char v[24];

	printf("%-14s %-13s", first ? test : "", unit);
	for (int s = 0; s < ED__N; s++) {
		double x = ed_rate(m[s], bytes);

		if (!res->have[s])
			continue;
		if (!isfinite(x))
			snprintf(v, sizeof(v), "-");
		else
			snprintf(v, sizeof(v), bytes ? "%.3f" : "%.0f", x);
		printf(" %13s", v);
	}
	for (unsigned r = 0; r < ED_NRATIOS; r++) {
		int a = ed_ratios[r][0], b = ed_ratios[r][1];
		double q = ed_rate(m[a], bytes) / ed_rate(m[b], bytes);

		if (!res->have[a] || !res->have[b])
			continue;
		snprintf(v, sizeof(v), isfinite(q) ? "%.2fx" : "-", q);
		printf(" %11s", v);
	}
	printf("\n");
}

static void ed_extra(const struct ed_res *res, const char *unit,
		     const struct e2e_meas *const m[ED__N], int what)
{
	char v[24];

	printf("%-14s %-13s", "", unit);
	for (int s = 0; s < ED__N; s++) {
		if (!res->have[s])
			continue;
		if (!m[s]->ok)
			snprintf(v, sizeof(v), "-");
		else if (what == 0)
			snprintf(v, sizeof(v), "%.0f%%", 100.0 * m[s]->cpu_s / m[s]->wall_s);
		else if (what == 1)
			snprintf(v, sizeof(v), "%llu", (unsigned long long)m[s]->errors);
		else
			snprintf(v, sizeof(v), "%.0f%%",
				 100.0 * (double)m[s]->resumed / (double)m[s]->reqs);
		printf(" %13s", v);
	}
	printf("\n");
}

static void ed_print_table(const struct e2e_env *e, const struct ed_res *res)
{
	const struct e2e_meas *m[ED__N];

	printf("\ntlsgate-bench e2e --transport dpdk: %s %s, ECDSA P-256; "
	       "servers on CPU %s, clients and backends on CPU %s; %u "
	       "connections, %.3g s per run\n",
	       ed_ver(e), e->o.suite, e->o.core, e->cli_list, e->o.conns, e->o.seconds);
	printf("tlsgate-dpdk: DPDK transport on net_memif (no hugepages%s), "
	       "control plane %s, idle waits %u..%u us, backend %s; its CPU-s = "
	       "worker lcore %s%sthread CPU time.\n"
	       "tlsgate, haproxy%s: on loopback sockets; CPU-s = utime + stime of "
	       "the server's processes.\n"
	       "Client of tlsgate-dpdk: our handshake engine (client role) and "
	       "record engine on our TCP.\n\n",
	       e->o.memif_zc ? "; the worker's port in zero-copy mode" : "",
	       e->o.ctl_inline ? (e->o.ctl_auto ? "inline in the worker (auto: "
						  "the server has one CPU)"
						: "inline in the worker")
			       : e->o.ctl_auto ? "thread on the server CPUs beside the worker's"
					       : "thread on the server CPUs",
	       e->o.idle_first_us && e->o.idle_first_us < e->o.idle_us
		       ? e->o.idle_first_us : e->o.idle_us,
	       e->o.idle_us,
	       e->o.kback ? "on kernel sockets (the socket side's backend thread)"
			  : "on our TCP",
	       e->o.ctl_inline ? "" : "+ control-plane ",
	       e->o.kback ? "+ kernel backends' helper " : "",
	       res->have[1 + SRV_HITCH] ? ", hitch" : "");
	printf("%-14s %-13s", "test", "unit");
	for (int s = 0; s < ED__N; s++)
		if (res->have[s])
			printf(" %13s", ed_name[s]);
	for (unsigned r = 0; r < ED_NRATIOS; r++) {
		char h[32];
		int a = ed_ratios[r][0], b = ed_ratios[r][1];

		if (!res->have[a] || !res->have[b])
			continue;
		snprintf(h, sizeof(h), "%s/%s", a == ED_DPDK ? "dpdk" : "tg",
			 b == 1 + SRV_TLSGATE ? "tg" : b == 1 + SRV_HAPROXY ? "haprx"
									: "hitch");
		printf(" %11s", h);
	}
	printf("\n");
	for (unsigned i = 0; i < e->o.nsizes; i++) {
		char t[32], sz[16];

		e2e_size_text(e->o.sizes[i], sz, sizeof(sz));
		snprintf(t, sizeof(t), "records %s", sz);
		for (int s = 0; s < ED__N; s++)
			m[s] = &res->rec[s][i];
		ed_row(res, t, "rec/CPU-s", m, false, true);
		ed_row(res, t, "Gbit/CPU-s", m, true, false);
		ed_extra(res, "server CPU", m, 0);
		ed_extra(res, "errors", m, 1);
	}
	for (int k = 0; k < 2; k++) {
		for (int s = 0; s < ED__N; s++)
			m[s] = &res->hs[s][k];
		ed_row(res, k ? "resumed" : "full", "hs/CPU-s", m, false, true);
		ed_extra(res, "server CPU", m, 0);
		ed_extra(res, "errors", m, 1);
		if (k)
			ed_extra(res, "resumed", m, 2);
	}
	printf("\nserver CPU by thread (share of the server's CPU time in the "
	       "run):\n");
	for (int s = 0; s < ED__N; s++) {
		for (unsigned i = 0; res->have[s] && i < e->o.nsizes + 2; i++) {
			const struct e2e_meas *x = i < e->o.nsizes ? &res->rec[s][i]
						: &res->hs[s][i - e->o.nsizes];
			char t[32], sz[16];

			if (!x->ok || !x->threads[0])
				continue;
			if (i < e->o.nsizes) {
				e2e_size_text(e->o.sizes[i], sz, sizeof(sz));
				snprintf(t, sizeof(t), "records %s", sz);
			} else {
				snprintf(t, sizeof(t), "%s", i == e->o.nsizes ? "full" : "resumed");
			}
			printf("  %-14s %-13s %s\n", t, ed_name[s], x->threads);
		}
	}
}

static void ed_json_meas(struct tg_json *j, const struct e2e_env *e, int s,
			 const char *test, uint32_t size, const struct e2e_meas *m,
			 bool hs)
{
	tg_json_obj_begin(j);
	tg_json_str(j, "type", "measurement");
	tg_json_str(j, "buildtype", tg_bench_buildtype());
	tg_json_str(j, "server", ed_json_name(s));
	tg_json_str(j, "transport", s == ED_DPDK ? "dpdk" : "sockets");
	tg_json_str(j, "test", test);
	tg_json_uint(j, "size", size);
	tg_json_uint(j, "record_size", hs ? 0 : size);
	tg_json_str(j, "suite", e->o.suite);
	tg_json_str(j, "tls", e->o.tls13 ? "1.3" : "1.2");
	tg_json_uint(j, "conns", e->o.conns);
	tg_json_str(j, "server_cpus", e->o.core);
	tg_json_str(j, "client_cpus", e->cli_list);
	if (s == ED_DPDK) {
		tg_json_str(j, "control", e->o.ctl_inline ? "inline" : "thread");
		tg_json_uint(j, "idle_us", e->o.idle_us);
		tg_json_uint(j, "idle_first_us", e->o.idle_first_us);
		tg_json_str(j, "backends", e->o.kback ? "kernel" : "dpdk");
	}
	tg_json_bool(j, "ok", m->ok);
	tg_json_num(j, "wall_s", m->wall_s);
	tg_json_num(j, "seconds", m->wall_s);
	tg_json_num(j, "server_cpu_s", m->cpu_s);
	/* wall-clock rates (the records_per_s, gbps,
	 * handshakes_per_s) and the same per server CPU-second */
	{
		double w = m->ok && m->wall_s > 0 ? m->wall_s : NAN;

		tg_json_num(j, "records_per_s", hs ? 0 : (double)m->reqs / w);
		tg_json_num(j, "gbps", hs ? 0 : (double)m->bytes * 8 / 1e9 / w);
		tg_json_num(j, "handshakes_per_s", hs ? (double)m->reqs / w : 0);
	}
	if (hs) {
		tg_json_uint(j, "handshakes", m->reqs);
		tg_json_uint(j, "resumed", m->resumed);
		tg_json_num(j, "handshakes_per_cpu_s", ed_rate(m, false));
	} else {
		tg_json_uint(j, "records", m->reqs);
		tg_json_uint(j, "bytes", m->bytes);
		tg_json_num(j, "records_per_cpu_s", ed_rate(m, false));
		tg_json_num(j, "gbps_per_cpu_s", ed_rate(m, true));
	}
	tg_json_uint(j, "errors", m->errors);
	tg_json_str(j, "cpu_by_thread", m->threads);
	tg_json_str(j, "command", m->command);
	tg_json_obj_end(j);
}

static void ed_json_ratios(struct tg_json *j, const struct ed_res *res,
			   const char *test, uint32_t size,
			   const struct e2e_meas *const m[ED__N], const char *metric)
{
	for (unsigned r = 0; r < ED_NRATIOS; r++) {
		int a = ed_ratios[r][0], b = ed_ratios[r][1];
		double q = ed_rate(m[a], false) / ed_rate(m[b], false);

		if (!res->have[a] || !res->have[b] || !isfinite(q))
			continue;
		tg_json_obj_begin(j);
		tg_json_str(j, "type", "ratio");
		tg_json_str(j, "test", test);
		tg_json_uint(j, "size", size);
		tg_json_str(j, "metric", metric);
		tg_json_str(j, "num", ed_json_name(a));
		tg_json_str(j, "den", ed_json_name(b));
		tg_json_num(j, "value", q);
		tg_json_obj_end(j);
	}
}

static void ed_print_json(const struct e2e_env *e, const struct ed_res *res)
{
	const struct e2e_meas *m[ED__N];
	struct tg_json j;

	tg_json_array_begin(&j, stdout);
	for (unsigned i = 0; i < e->o.nsizes; i++) {
		for (int s = 0; s < ED__N; s++) {
			m[s] = &res->rec[s][i];
			if (res->have[s])
				ed_json_meas(&j, e, s, "records", e->o.sizes[i], m[s], false);
		}
		ed_json_ratios(&j, res, "records", e->o.sizes[i], m, "records_per_cpu_s");
	}
	for (int k = 0; k < 2; k++) {
		const char *t = k ? "resumed_handshake" : "full_handshake";

		for (int s = 0; s < ED__N; s++) {
			m[s] = &res->hs[s][k];
			if (res->have[s])
				ed_json_meas(&j, e, s, t, e->hs_size, m[s], true);
		}
		ed_json_ratios(&j, res, t, e->hs_size, m, "handshakes_per_cpu_s");
	}
	tg_json_array_end(&j);
}

static void ed_plot(const struct e2e_env *e, const struct ed_res *res)
{
	static double val[ED__N][E2E_MAX_SIZES];
	const char *names[ED__N];
	unsigned n = 0;

	for (int s = 0; s < ED__N; s++) {
		if (!res->have[s])
			continue;
		names[n] = ed_name[s];
		for (unsigned i = 0; i < e->o.nsizes; i++)
			val[n][i] = ed_rate(&res->rec[s][i], false);
		n++;
	}
	(void)e2e_plot_lines(e, e->o.tls13 ? "TLS 1.3 records through the terminator, "
					     "per server CPU-second"
					   : "TLS 1.2 records through the terminator, "
					     "per server CPU-second",
			     "record size (plaintext bytes)",
			     "records per server CPU-second", n, names,
			     (const double (*)[E2E_MAX_SIZES])val);
}

int e2e_dpdk_run(struct e2e_env *e)
{
	static struct ed_res res;
	struct tg_progress prog;
	struct kbe kbe;
	unsigned nsock = 0;
	int rc = 0;

	memset(&res, 0, sizeof(res));
	ed_make_resp(e->hs_size);
	for (int s = 0; s < SRV__N; s++)
		nsock += e->o.srv[s] && e->have[s];
	tg_bench_print_build(e->o.json ? stderr : stdout);
	tg_progress_init(&prog, !e->o.json || e->o.verbose,
			 (1 + nsock) * (e->o.nsizes + 2));
	/* the kernel backend thread: the socket side's, and with
	 * --dpdk-backends kernel the DPDK worker's too (started first, on
	 * this thread's CPU, the client CPU, before the EAL pins it) */
	(void)sched_setaffinity(0, sizeof(e->cli_cpus), &e->cli_cpus);
	if ((nsock > 0 || e->o.kback) && !kbe_start(&kbe)) {
		fprintf(stderr, "%s e2e: the backend thread did not start\n",
			TG_BENCH_PROG);
		return TG_BENCH_EXIT_FAIL;
	}
	e->be_port = kbe.port;
	if (!ed_dpdk_all(e, &res, &prog))
		rc = TG_BENCH_EXIT_FAIL;
	/* the EAL pinned this thread to lcore 0's CPU: the client CPU */
	(void)sched_setaffinity(0, sizeof(e->cli_cpus), &e->cli_cpus);
	if (nsock > 0) {
		for (int s = 0; s < SRV__N; s++)
			if (e->o.srv[s] && e->have[s])
				ed_sock_server(e, (enum e2e_srv)s, &res, &prog);
	}
	if (nsock > 0 || e->o.kback)
		kbe_stop(&kbe);
	if (e->o.json)
		ed_print_json(e, &res);
	else
		ed_print_table(e, &res);
	if (e->o.plot != NULL)
		ed_plot(e, &res);
	for (int s = 0; s < ED__N; s++) {
		if (!res.have[s])
			continue;
		for (unsigned i = 0; i < e->o.nsizes; i++)
			if (!res.rec[s][i].ok || res.rec[s][i].errors)
				rc = TG_BENCH_EXIT_FAIL;
		for (int k = 0; k < 2; k++)
			if (!res.hs[s][k].ok || res.hs[s][k].errors)
				rc = TG_BENCH_EXIT_FAIL;
	}
	if (rc != 0)
		fprintf(stderr, "%s e2e: some measurements failed or did not run "
				"(see above)\n", TG_BENCH_PROG);
	return rc;
}
