/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file test_tcp_lcores.c
 * Two lcores, each running its own instances of both sides of a net_ring
 * pair with two queues (A_i and B_i on lcore i, nothing shared but the
 * rings): every A instance opens connections to an echo server on B and
 * checks every byte that comes back. The rings do no RSS, so a packet
 * arrive crossed (what queue i sends lands on the other side's queue
 * i + 1): every packet reaches the instance on the other lcore first and
 * software dispatch hands it to its owner; connections we open must have chosen a source
 * port that brings the replies back to the opening instance, and each
 * accepted connection must be served by the instance that owns its flow.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "tg_eal.h"
#include "tg_net.h"
#include "tg_tcp.h"
#include "tg_test.h"
#include "tg_test_net.h"

#define CONNS 8             /* per A instance */
#define BYTES (256 * 1024)  /* per connection */
#define PEND (64 * 1024)

struct aconn {
	struct tg_tcp_conn *c;
	uint64_t rng_out, rng_in;
	size_t sent, back;
	bool connected, shut, done, bad;
	uint16_t lport;
};

struct bconn {
	struct tg_tcp_conn *c;
	uint8_t buf[PEND];
	size_t len;
	bool used, eof, shut;
};

struct lc {
	unsigned q;
	struct tg_tcp *a, *b;
	struct tg_net *na, *nb;
	struct tn_pair *n;
	struct aconn ac[CONNS];
	struct bconn bc[2 * CONNS * 2];
	unsigned done, accepted, wrong_owner, errors;
	unsigned long rounds;
};

static atomic_int go;
static atomic_int finished; /* lcores whose connections are all done */

static uint8_t next_byte(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint8_t)(*s >> 24);
}

static void b_events(struct lc *l)
{
	struct tg_tcp_event ev[32];
	unsigned k = tg_tcp_events(l->b, ev, 32);

	for (unsigned i = 0; i < k; i++) {
		struct bconn *x = ev[i].udata;

		if (ev[i].ev & TG_TCP_EV_ACCEPTED) {
			struct tg_tcp_info in;

			x = NULL;
			for (unsigned j = 0; j < RTE_DIM(l->bc); j++)
				if (!l->bc[j].used) {
					x = &l->bc[j];
					break;
				}
			if (x == NULL) {
				tg_tcp_abort(ev[i].c);
				l->errors++;
				continue;
			}
			memset(x, 0, offsetof(struct bconn, buf));
			x->used = true;
			x->len = 0;
			x->c = ev[i].c;
			tg_tcp_set_udata(x->c, x);
			tg_tcp_info(x->c, &in);
			/* served by the owner of its flow */
			if (tg_net_port_owner(tg_net_port(l->nb), &in.laddr, &in.raddr,
					      in.lport, in.rport) != l->q)
				l->wrong_owner++;
			l->accepted++;
		}
		if (x == NULL)
			continue;
		if (ev[i].ev & (TG_TCP_EV_ERROR | TG_TCP_EV_CLOSED)) {
			if (ev[i].ev & TG_TCP_EV_ERROR)
				l->errors++;
			tg_tcp_close(x->c);
			x->used = false;
			continue;
		}
		if (x->len < PEND && !x->eof) {
			struct iovec iov = { x->buf + x->len, PEND - x->len };
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
		tg_tcp_want(x->c, x->len < PEND && !x->eof, x->len > 0);
	}
}

static void a_events(struct lc *l)
{
	struct tg_tcp_event ev[32];
	unsigned k = tg_tcp_events(l->a, ev, 32);

	for (unsigned i = 0; i < k; i++) {
		struct aconn *x = ev[i].udata;
		uint8_t tmp[8192];

		if (x == NULL || x->done)
			continue;
		if (ev[i].ev & TG_TCP_EV_ERROR) {
			l->errors++;
			x->done = true;
			tg_tcp_close(x->c);
			l->done++;
			continue;
		}
		if (ev[i].ev & TG_TCP_EV_CONNECTED)
			x->connected = true;
		while (x->sent < BYTES) {
			size_t n = BYTES - x->sent < sizeof(tmp) ? BYTES - x->sent : sizeof(tmp);
			uint64_t save = x->rng_out;
			ssize_t w;

			for (size_t j = 0; j < n; j++)
				tmp[j] = next_byte(&x->rng_out);
			w = tg_tcp_send(x->c, tmp, n);
			x->rng_out = save;
			if (w <= 0)
				break;
			for (ssize_t j = 0; j < w; j++)
				(void)next_byte(&x->rng_out);
			x->sent += (size_t)w;
		}
		if (x->sent == BYTES && !x->shut) {
			tg_tcp_shutdown(x->c);
			x->shut = true;
		}
		for (;;) {
			struct iovec iov = { tmp, sizeof(tmp) };
			ssize_t r = tg_tcp_recv(x->c, &iov, 1);

			if (r <= 0) {
				if (r == 0 || r != -EAGAIN) {
					if (r != 0 || x->back != BYTES)
						x->bad = true;
					x->done = true;
					tg_tcp_close(x->c);
					l->done++;
				}
				break;
			}
			for (ssize_t j = 0; j < r; j++)
				if (tmp[j] != next_byte(&x->rng_in))
					x->bad = true;
			x->back += (size_t)r;
		}
		if (!x->done)
			tg_tcp_want(x->c, true, x->sent < BYTES);
	}
}

static int lcore_main(void *arg)
{
	struct lc *l = arg;
	uint64_t end;

	while (atomic_load(&go) == 0)
		rte_pause();
	end = rte_get_tsc_cycles() + 20 * rte_get_tsc_hz();
	for (unsigned i = 0; i < CONNS; i++) {
		struct aconn *x = &l->ac[i];
		struct tg_tcp_info in;

		x->rng_out = x->rng_in = 0x1234567ULL * (l->q * CONNS + i + 1);
		if (tg_failed(tg_tcp_connect(l->a, &l->n->addr[1], 7, x, &x->c))) {
			l->errors++;
			x->done = true;
			l->done++;
			continue;
		}
		tg_tcp_info(x->c, &in);
		x->lport = in.lport;
		tg_tcp_want(x->c, true, true);
	}
	/* every lcore polls until every lcore is done: each one's packets
	 * pass through the other's queues */
	while (atomic_load(&finished) < 2 && rte_get_tsc_cycles() < end) {
		bool was = l->done == CONNS;

		tg_tcp_poll(l->a);
		tg_tcp_poll(l->b);
		b_events(l);
		a_events(l);
		tg_tcp_flush(l->a);
		tg_tcp_flush(l->b);
		l->rounds++;
		if (!was && l->done == CONNS)
			atomic_fetch_add(&finished, 1);
	}
	/* let the last FINs and ACKs go */
	end = rte_get_tsc_cycles() + rte_get_tsc_hz() / 5;
	while (rte_get_tsc_cycles() < end) {
		tg_tcp_poll(l->a);
		tg_tcp_poll(l->b);
		b_events(l);
		tg_tcp_flush(l->b);
	}
	return 0;
}

static void test_two_lcores(void)
{
	struct tn_pair n;
	struct tn_opts o = { .nq = 2, .static_arp = true, .real_clock = true, .cross = true };
	static struct lc l[2];
	unsigned worker;

	if (rte_lcore_count() < 2) {
		printf("\n  (one lcore only: skipped)\n");
		return;
	}
	tn_up(&n, &o);
	memset(l, 0, sizeof(l));
	for (unsigned q = 0; q < 2; q++) {
		struct tg_tcp_conf c;

		memset(&c, 0, sizeof(c));
		c.max_conns = 64;
		c.rcv_buf = 64 * 1024;
		c.snd_buf = 64 * 1024;
		l[q].q = q;
		l[q].n = &n;
		l[q].na = n.n[0][q];
		l[q].nb = n.n[1][q];
		c.net = l[q].na;
		TG_ASSERT_OK(tg_tcp_new(&c, &l[q].a));
		c.net = l[q].nb;
		TG_ASSERT_OK(tg_tcp_new(&c, &l[q].b));
		TG_ASSERT_OK(tg_tcp_listen(l[q].b, 7, NULL, NULL));
	}
	worker = rte_get_next_lcore(rte_lcore_id(), 1, 0);
	CU_ASSERT_FATAL(worker < RTE_MAX_LCORE);
	atomic_store(&go, 0);
	atomic_store(&finished, 0);
	CU_ASSERT_EQUAL_FATAL(rte_eal_remote_launch(lcore_main, &l[1], worker), 0);
	atomic_store(&go, 1);
	lcore_main(&l[0]);
	rte_eal_wait_lcore(worker);
	for (unsigned q = 0; q < 2; q++) {
		unsigned bad = 0, owned = 0;
		const struct tg_net_stats *sa = tg_net_stats(l[q].na);
		const struct tg_net_stats *sb = tg_net_stats(l[q].nb);

		for (unsigned i = 0; i < CONNS; i++) {
			struct aconn *x = &l[q].ac[i];

			bad += x->bad || x->back != BYTES || !x->connected;
			if (!x->done) {
				struct tg_tcp_info in;

				tg_tcp_info(x->c, &in);
				printf("\n  lcore %u conn %u: sent %zu back %zu state %s unacked %u queued %u rcvq %u wnd %u cwnd %u rto %u rtx %lu",
				       q, i, x->sent, x->back, tg_tcp_state_name(in.state), in.unacked,
				       in.snd_queued, in.rcv_queued, in.snd_wnd, in.cwnd, in.rto_ms,
				       (unsigned long)in.retransmits);
			}
			/* our source port brings the replies back to us */
			owned += tg_net_port_owner(n.p[0], &n.addr[0], &n.addr[1],
						   x->lport, 7) == q;
		}
		printf("\n  lcore %u: %lu rounds, %u done, %u accepted, dispatched "
		       "A %lu/%lu B %lu/%lu",
		       q, l[q].rounds, l[q].done, l[q].accepted,
		       (unsigned long)sa->disp_out, (unsigned long)sa->disp_in,
		       (unsigned long)sb->disp_out, (unsigned long)sb->disp_in);
		for (unsigned j = 0; j < RTE_DIM(l[q].bc) && l[q].done < CONNS; j++) {
			struct bconn *y = &l[q].bc[j];
			struct tg_tcp_info in;

			if (!y->used)
				continue;
			tg_tcp_info(y->c, &in);
			printf("\n  B lcore %u conn %u: port %u state %s len %zu eof %d "
			       "unacked %u queued %u rcvq %u wnd %u",
			       q, j, in.rport, tg_tcp_state_name(in.state), y->len, y->eof,
			       in.unacked, in.snd_queued, in.rcv_queued, in.snd_wnd);
		}
		CU_ASSERT_EQUAL(l[q].done, CONNS);
		CU_ASSERT_EQUAL(bad, 0);
		CU_ASSERT_EQUAL(owned, CONNS);
		CU_ASSERT_EQUAL(l[q].wrong_owner, 0);
		CU_ASSERT_EQUAL(l[q].errors, 0);
		CU_ASSERT_EQUAL(sa->disp_drop + sb->disp_drop, 0);
		/* every packet arrived at the other lcore and was handed over */
		CU_ASSERT(sa->disp_in > 0 && sb->disp_in > 0);
	}
	/* the flows spread over both B instances */
	CU_ASSERT_EQUAL(l[0].accepted + l[1].accepted, 2 * CONNS);
	CU_ASSERT(l[0].accepted > 0 && l[1].accepted > 0);
	printf("\n");
	for (unsigned q = 0; q < 2; q++) {
		tg_tcp_free(l[q].a);
		tg_tcp_free(l[q].b);
	}
	tn_down(&n);
}

static CU_TestInfo lcore_tests[] = {
	{ "two lcores: flows on their owners, our connects come back", test_two_lcores },
	CU_TEST_INFO_NULL,
};

static const struct tg_test_suite suites[] = {
	{ "tcp_lcores", NULL, NULL, lcore_tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	struct tg_eal_opts o = { .mem_mb = 256, .lcores = "0-1" };
	int rc;

	if (tg_failed(tg_eal_start("test_tcp_lcores", &o))) {
		/* a machine with one CPU: the EAL refuses -l 0-1 */
		o.lcores = "0";
		if (tg_failed(tg_eal_start("test_tcp_lcores", &o))) {
			fprintf(stderr, "test_tcp_lcores: EAL set-up failed\n");
			return 1;
		}
	}
	rc = tg_test_main(argc, argv, suites);
	tg_eal_stop();
	return rc;
}
