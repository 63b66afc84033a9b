/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file test_kback.c
 * Kernel backends of the DPDK transport (dataplane/dpdk/kback.c): the
 * helper thread against a real kernel TCP peer on 127.0.0.1. The test's
 * main thread plays the worker (lcore): it waits on an eventfd only after
 * tg_kback_sleep(), as the worker does, so a lost wake-up shows as a
 * stall. Rings of 4 KiB: every transfer is many rings' worth (back-
 * pressure both ways).
 *
 * Cases: bytes both ways byte-exact with the FIN after them, a refused
 * connect, an abort in the middle of a transfer (the peer sees the reset,
 * the slot comes back), a reset by the peer after bytes (read first,
 * then the error), and many connections one after the other on reused
 * slots.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tg_kback.h"
#include "tg_test.h"

#define RING 4096u
#define BIG (1u << 20)        /* each way */
#define DEADLINE_MS 20000     /* any case, on a loaded machine */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* byte i of stream @p seed */
static uint8_t pat(unsigned seed, size_t i)
{
	return (uint8_t)((i * 131u + seed * 7u + (i >> 11)) & 0xff);
}

/* ---- the kernel peer ------------------------------------------------------------ */

enum peer_mode {
	PEER_BOTH,     /* send `out` bytes and read until EOF, both at once */
	PEER_FLOOD,    /* send until the connection fails */
	PEER_RESET,    /* send `out` bytes, then close with a RST */
};

struct peer {
	int lfd;
	uint16_t port;
	enum peer_mode mode;
	size_t out;            /* bytes to send */
	size_t in;             /* bytes read, each checked */
	bool in_ok;            /* every byte read as expected */
	bool eof;              /* read the FIN */
	int err;               /* the error that ended it (PEER_FLOOD) */
	pthread_t th;
};

static void peer_listen(struct peer *p)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p->lfd = socket(AF_INET, SOCK_STREAM, 0);
	CU_ASSERT_FATAL(p->lfd >= 0);
	setsockopt(p->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	CU_ASSERT_FATAL(bind(p->lfd, (struct sockaddr *)&a, sizeof(a)) == 0);
	CU_ASSERT_FATAL(listen(p->lfd, 16) == 0);
	CU_ASSERT_FATAL(getsockname(p->lfd, (struct sockaddr *)&a, &al) == 0);
	p->port = ntohs(a.sin_port);
}

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	uint8_t buf[16384];
	size_t sent = 0;
	uint64_t end = now_ms() + DEADLINE_MS;
	int fd = accept(p->lfd, NULL, NULL);

	p->in_ok = true;
	if (fd < 0) {
		p->err = errno;
		return NULL;
	}
	while (now_ms() < end) {
		bool more_out = p->mode == PEER_FLOOD || sent < p->out;
		struct pollfd pfd = { .fd = fd, .events = (short)(POLLIN | (more_out ? POLLOUT : 0)) };

		if (!more_out && p->mode == PEER_RESET) {
			struct linger l = { .l_onoff = 1, .l_linger = 0 };

			/* give the bytes time to be read by the other end first */
			usleep(200 * 1000);
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
			break;
		}
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

			if (n == 0) {
				p->eof = true;
				if (!more_out)
					break;
			} else if (n < 0 && errno != EAGAIN) {
				p->err = errno;
				break;
			}
			for (ssize_t i = 0; i < n; i++)
				if (buf[i] != pat(1, p->in + (size_t)i))
					p->in_ok = false;
			if (n > 0)
				p->in += (size_t)n;
		}
		if (more_out && (pfd.revents & POLLOUT)) {
			size_t k = p->mode == PEER_FLOOD ? sizeof(buf)
				   : p->out - sent < sizeof(buf) ? p->out - sent : sizeof(buf);
			ssize_t n;

			for (size_t i = 0; i < k; i++)
				buf[i] = pat(2, sent + i);
			n = send(fd, buf, k, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && errno != EAGAIN) {
				p->err = errno;
				break;
			}
			if (n > 0)
				sent += (size_t)n;
			if (p->mode == PEER_BOTH && sent == p->out)
				shutdown(fd, SHUT_WR);
			if (p->mode == PEER_BOTH && sent == p->out && p->eof)
				break;
		}
	}
	close(fd);
	return NULL;
}

static void peer_start(struct peer *p, enum peer_mode mode, size_t out)
{
	memset(p, 0, sizeof(*p));
	p->mode = mode;
	p->out = out;
	peer_listen(p);
	CU_ASSERT_FATAL(pthread_create(&p->th, NULL, peer_main, p) == 0);
}

static void peer_join(struct peer *p)
{
	pthread_join(p->th, NULL);
	close(p->lfd);
}

static struct sockaddr_storage addr_of(uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return ss;
}

/* ---- the worker's side ------------------------------------------------------------ */

static struct tg_kback *kb;
static int wake_fd = -1;
static unsigned sleeps;   /* waits on the eventfd */

static void kb_up(unsigned max_conns)
{
	struct tg_kback_conf c = { .max_conns = max_conns, .ring_size = RING,
				   .wake_fd = wake_fd, .id = 0 };

	TG_ASSERT_OK(tg_kback_new(&c, &kb));
}

/* The events of now, or after a wait as the worker's (at most 200 ms:
 * the waits are counted, a lost wake-up stalls the case past its end). */
static unsigned kb_poll(struct tg_kback_event *ev, unsigned n)
{
	unsigned k = tg_kback_events(kb, ev, n);

	if (k == 0 && tg_kback_sleep(kb)) {
		struct pollfd pfd = { .fd = wake_fd, .events = POLLIN };

		sleeps++;
		if (poll(&pfd, 1, 200) == 1) {
			eventfd_t v;

			(void)!eventfd_read(wake_fd, &v);
		}
		tg_kback_awake(kb);
		k = tg_kback_events(kb, ev, n);
	}
	return k;
}

/* Every slot back (the helper answered each close). */
static void kb_wait_free(void)
{
	struct tg_kback_event ev[16];
	struct tg_kback_stats st;
	uint64_t end = now_ms() + DEADLINE_MS;

	do {
		(void)kb_poll(ev, 16);
		tg_kback_stats(kb, &st);
	} while (st.conns != 0 && now_ms() < end);
	CU_ASSERT_EQUAL(st.conns, 0);
	CU_ASSERT_EQUAL(st.tx_bytes, 0);
	CU_ASSERT_EQUAL(st.rx_bytes, 0);
}

/* Connect to @p port and wait for its end: the event's bits. */
static uint32_t kb_connect_wait(uint16_t port, uint64_t udata, uint32_t *id)
{
	struct sockaddr_storage ss = addr_of(port);
	struct tg_kback_event ev[16];
	uint64_t end = now_ms() + DEADLINE_MS;

	TG_ASSERT_OK(tg_kback_connect(kb, &ss, udata, id));
	while (now_ms() < end) {
		unsigned k = kb_poll(ev, 16);

		for (unsigned i = 0; i < k; i++) {
			if (ev[i].id != *id)
				continue;
			CU_ASSERT_EQUAL(ev[i].udata, udata);
			if (ev[i].ev & (TG_KB_CONNECTED | TG_KB_FAILED))
				return ev[i].ev;
		}
	}
	return 0;
}

/* ---- cases ------------------------------------------------------------------------- */

static void test_both_ways(void)
{
	struct tg_kback_event ev[16];
	struct tg_kback_stats st;
	struct peer p;
	uint8_t *out = malloc(BIG), buf[3000];
	size_t sent = 0, got = 0;
	bool shut = false, eof = false, ok = true;
	uint64_t end;
	uint32_t id;

	CU_ASSERT_FATAL(out != NULL);
	for (size_t i = 0; i < BIG; i++)
		out[i] = pat(1, i);
	kb_up(4);
	peer_start(&p, PEER_BOTH, BIG);
	CU_ASSERT_EQUAL_FATAL(kb_connect_wait(p.port, 77, &id), TG_KB_CONNECTED);
	tg_kback_want(kb, id, true, true);
	end = now_ms() + DEADLINE_MS;
	while ((!eof || !shut) && now_ms() < end) {
		unsigned k = kb_poll(ev, 16);

		for (unsigned i = 0; i < k; i++) {
			CU_ASSERT_EQUAL(ev[i].id, id);
			CU_ASSERT_EQUAL(ev[i].ev & TG_KB_ERROR, 0);
			if (ev[i].ev & TG_KB_WRITABLE) {
				while (sent < BIG) {
					ssize_t n = tg_kback_send(kb, id, out + sent,
								  BIG - sent < 5000 ? BIG - sent : 5000);

					CU_ASSERT(n >= 0);
					if (n <= 0)
						break;
					sent += (size_t)n;
				}
				if (sent == BIG && !shut) {
					tg_kback_shutdown(kb, id);
					shut = true;
				}
			}
			if (ev[i].ev & TG_KB_READABLE) {
				/* alternately: peek/consume in place, recv copies */
				for (;;) {
					ssize_t n;

					if (got & 1) {
						struct iovec iov[2] = {
							{ .iov_base = buf, .iov_len = 1000 },
							{ .iov_base = buf + 1000, .iov_len = 2000 } };

						n = tg_kback_recv(kb, id, iov, 2);
						for (ssize_t j = 0; j < n; j++)
							if (buf[j] != pat(2, got + (size_t)j))
								ok = false;
					} else {
						uint8_t *q;
						uint32_t m = tg_kback_peek(kb, id, &q);

						if (m > 0) {
							if (m > 777)
								m = 777;
							for (uint32_t j = 0; j < m; j++)
								if (q[j] != pat(2, got + j))
									ok = false;
							tg_kback_consume(kb, id, m);
							n = m;
						} else {
							n = tg_kback_recv(kb, id, &(struct iovec){ buf, 10 }, 1);
							CU_ASSERT(n <= 0);
						}
					}
					if (n == 0)
						eof = true;
					if (n <= 0)
						break;
					got += (size_t)n;
				}
			}
		}
		tg_kback_want(kb, id, !eof, sent < BIG);
	}
	CU_ASSERT_EQUAL(sent, BIG);
	CU_ASSERT_EQUAL(got, BIG);
	CU_ASSERT(ok);
	CU_ASSERT(eof);
	tg_kback_stats(kb, &st);
	CU_ASSERT_EQUAL(st.connects, 1);
	CU_ASSERT_EQUAL(st.connect_failed, 0);
	CU_ASSERT_EQUAL(st.ring_bytes, RING);
	tg_kback_close(kb, id);
	kb_wait_free();
	peer_join(&p);
	CU_ASSERT_EQUAL(p.in, BIG);
	CU_ASSERT(p.in_ok);
	CU_ASSERT(p.eof);
	/* the worker waited while the helper worked: and was woken */
	CU_ASSERT(sleeps > 0);
	tg_kback_free(kb);
	kb = NULL;
	free(out);
}

static void test_refused(void)
{
	struct peer p;
	struct tg_kback_stats st;
	uint32_t id;
	uint16_t port;

	/* a port nobody listens on: bound, then closed */
	peer_listen(&p);
	port = p.port;
	close(p.lfd);
	kb_up(2);
	CU_ASSERT_EQUAL(kb_connect_wait(port, 5, &id), TG_KB_FAILED);
	CU_ASSERT_EQUAL(tg_kback_connect_state(kb, id), -1);
	tg_kback_stats(kb, &st);
	CU_ASSERT_EQUAL(st.connect_failed, 1);
	CU_ASSERT_EQUAL(st.connects, 0);
	CU_ASSERT_EQUAL(st.conns, 1); /* until the worker closes it */
	tg_kback_close(kb, id);
	kb_wait_free();
	tg_kback_free(kb);
	kb = NULL;
}

static void test_abort_midway(void)
{
	struct tg_kback_event ev[16];
	struct peer p;
	uint8_t buf[4096];
	size_t got = 0;
	uint64_t end;
	uint32_t id;

	kb_up(2);
	peer_start(&p, PEER_FLOOD, 0);
	CU_ASSERT_EQUAL_FATAL(kb_connect_wait(p.port, 9, &id), TG_KB_CONNECTED);
	tg_kback_want(kb, id, true, false);
	end = now_ms() + DEADLINE_MS;
	while (got < 3 * RING && now_ms() < end) {
		unsigned k = kb_poll(ev, 16);

		for (unsigned i = 0; i < k; i++) {
			ssize_t n = tg_kback_recv(kb, id, &(struct iovec){ buf, sizeof(buf) }, 1);

			if (n > 0)
				got += (size_t)n;
		}
	}
	CU_ASSERT(got >= 3 * RING);
	/* the receive ring is full again by now: the helper is at work on
	 * it when the abort comes */
	tg_kback_abort(kb, id);
	kb_wait_free();
	peer_join(&p);
	CU_ASSERT(p.err == ECONNRESET || p.err == EPIPE);
	tg_kback_free(kb);
	kb = NULL;
}

static void test_peer_reset(void)
{
	struct tg_kback_event ev[16];
	struct peer p;
	uint8_t buf[4096];
	size_t got = 0;
	ssize_t last = 1;
	bool error_ev = false, ok = true;
	uint64_t end;
	uint32_t id;

	kb_up(2);
	peer_start(&p, PEER_RESET, 3000);
	CU_ASSERT_EQUAL_FATAL(kb_connect_wait(p.port, 3, &id), TG_KB_CONNECTED);
	tg_kback_want(kb, id, true, false);
	end = now_ms() + DEADLINE_MS;
	while (last != -ECONNRESET && now_ms() < end) {
		unsigned k = kb_poll(ev, 16);

		for (unsigned i = 0; i < k; i++) {
			if (ev[i].ev & TG_KB_ERROR)
				error_ev = true;
			last = tg_kback_recv(kb, id, &(struct iovec){ buf, sizeof(buf) }, 1);
			for (ssize_t j = 0; j < last; j++)
				if (buf[j] != pat(2, got + (size_t)j))
					ok = false;
			if (last > 0)
				got += (size_t)last;
		}
	}
	/* the bytes before the reset, then the reset */
	CU_ASSERT_EQUAL(got, 3000);
	CU_ASSERT(ok);
	CU_ASSERT_EQUAL(last, -ECONNRESET);
	CU_ASSERT(tg_kback_send(kb, id, buf, 10) == -1);
	CU_ASSERT(error_ev);
	tg_kback_close(kb, id);
	kb_wait_free();
	peer_join(&p);
	tg_kback_free(kb);
	kb = NULL;
}

/* Slots reused: each connection's end hands its slot back; no slot is
 * freed twice (the free list would overflow) or leaked (the gauge). */
static void test_reuse(void)
{
	struct tg_kback_stats st;
	struct peer p;
	uint32_t id;

	kb_up(2);
	peer_listen(&p);
	for (unsigned r = 0; r < 40; r++) {
		int fd;

		CU_ASSERT_EQUAL_FATAL(kb_connect_wait(p.port, r, &id), TG_KB_CONNECTED);
		fd = accept(p.lfd, NULL, NULL);
		CU_ASSERT(fd >= 0);
		if (r % 2)
			tg_kback_abort(kb, id);
		else
			tg_kback_close(kb, id);
		/* a close given twice is one */
		tg_kback_close(kb, id);
		kb_wait_free();
		if (fd >= 0)
			close(fd);
	}
	tg_kback_stats(kb, &st);
	CU_ASSERT_EQUAL(st.connects, 40);
	close(p.lfd);
	tg_kback_free(kb);
	kb = NULL;
}

static int suite_init(void)
{
	wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return wake_fd < 0;
}

static int suite_fini(void)
{
	close(wake_fd);
	return 0;
}

static CU_TestInfo kback_tests[] = {
	{ "bytes both ways, past the rings, the FIN", test_both_ways },
	{ "a refused connect", test_refused },
	{ "an abort in the middle of a transfer", test_abort_midway },
	{ "a reset by the backend after bytes", test_peer_reset },
	{ "slots reused, each freed once", test_reuse },
	CU_TEST_INFO_NULL,
};

static const struct tg_test_suite suites[] = {
	{ "kback", suite_init, suite_fini, kback_tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return tg_test_main(argc, argv, suites);
}
