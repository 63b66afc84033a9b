/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file test_tcp_memif.c
 * Two of our stacks over a net_memif pair at full speed, each on an lcore
 * of its own (one thread for both where only one lcore is lent): a
 * connection each way carries a pseudo-random stream, every byte is
 * checked at the other end, both close cleanly. TG_TCP_MEMIF_MB sets the
 * megabytes each way (default 64; the benchmark is `tlsgate-bench tcp`).
 * Then the pair started and stopped 40 times (the stop of one end against
 * the driver's handling of it at the other, failures.md 28).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_alarm.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "tg_eal.h"
#include "tg_net.h"
#include "tg_tcp.h"
#include "tg_test.h"

struct side {
	struct tg_net_port *port;
	struct rte_mempool *pool;
	struct tg_net *net;
	struct tg_tcp *tcp;
	struct tg_tcp_conn *out, *in;  /* ours, the peer's */
	uint64_t rng_out, rng_in;
	uint64_t sent, got, total;
	bool shut, eof, bad, closed_out, closed_in;
	uint8_t chunk[65536];
	size_t chunk_len, chunk_off;
	uint8_t exp[65536];       /* what the peer's stream holds next */
	size_t exp_len, exp_off;
	uint64_t in_total;
};

static struct side sd[2];
static atomic_int go, done_sides;

/* the stream, 64 KiB at a time (the last chunk shorter), eight bytes a
 * step of xorshift64 */
static size_t make_chunk(uint64_t *s, uint64_t left, uint8_t *out, size_t cap)
{
	size_t n = left < cap ? (size_t)left : cap;

	for (size_t j = 0; j < n; j += 8) {
		uint64_t v;

		*s ^= *s << 13;
		*s ^= *s >> 7;
		*s ^= *s << 17;
		v = *s;
		memcpy(out + j, &v, n - j < 8 ? n - j : 8);
	}
	return n;
}

static void side_round(struct side *s)
{
	struct tg_tcp_event ev[8];
	unsigned k;
	static __thread uint8_t tmp[65536];

	tg_tcp_poll(s->tcp);
	k = tg_tcp_events(s->tcp, ev, 8);
	for (unsigned i = 0; i < k; i++) {
		if (ev[i].ev & TG_TCP_EV_ACCEPTED) {
			s->in = ev[i].c;
			tg_tcp_want(s->in, true, false);
		}
		if (ev[i].ev & TG_TCP_EV_ERROR)
			s->bad = true;
	}
	/* send our stream: a chunk made once, sent from where it got to */
	while (s->out != NULL && s->sent < s->total) {
		ssize_t w;

		if (s->chunk_off == s->chunk_len) {
			s->chunk_len = make_chunk(&s->rng_out, s->total - s->sent, s->chunk,
						  sizeof(s->chunk));
			s->chunk_off = 0;
		}
		w = tg_tcp_send(s->out, s->chunk + s->chunk_off, s->chunk_len - s->chunk_off);
		if (w <= 0)
			break;
		s->chunk_off += (size_t)w;
		s->sent += (uint64_t)w;
	}
	if (s->out != NULL && s->sent == s->total && !s->shut) {
		tg_tcp_shutdown(s->out);
		s->shut = true;
	}
	/* check the peer's */
	while (s->in != NULL && !s->eof) {
		struct iovec iov = { tmp, sizeof(tmp) };
		ssize_t r = tg_tcp_recv(s->in, &iov, 1);

		if (r <= 0) {
			if (r == 0)
				s->eof = true;
			else if (r != -EAGAIN)
				s->bad = true;
			break;
		}
		for (size_t j = 0; j < (size_t)r;) {
			size_t k2;

			if (s->exp_off == s->exp_len) {
				s->exp_len = make_chunk(&s->rng_in, s->in_total - s->got - j,
							s->exp, sizeof(s->exp));
				s->exp_off = 0;
				if (s->exp_len == 0) {
					s->bad = true; /* more than was sent */
					break;
				}
			}
			k2 = RTE_MIN((size_t)r - j, s->exp_len - s->exp_off);
			if (memcmp(tmp + j, s->exp + s->exp_off, k2) != 0)
				s->bad = true;
			s->exp_off += k2;
			j += k2;
		}
		s->got += (uint64_t)r;
	}
	if (s->eof && s->in != NULL && !s->closed_in) {
		tg_tcp_close(s->in); /* the peer's FIN came: ours follows */
		s->closed_in = true;
	}
	tg_tcp_flush(s->tcp);
}

static bool side_done(const struct side *s)
{
	return s->bad || (s->eof && s->sent == s->total);
}

static int side_main(void *arg)
{
	struct side *s = arg;
	uint64_t end;

	while (atomic_load(&go) == 0)
		rte_pause();
	end = rte_get_tsc_cycles() + 60 * rte_get_tsc_hz();
	while (atomic_load(&done_sides) < 2 && rte_get_tsc_cycles() < end) {
		bool was = side_done(s);

		side_round(s);
		if (!was && side_done(s))
			atomic_fetch_add(&done_sides, 1);
	}
	for (int i = 0; i < 3000; i++)
		side_round(s);
	return 0;
}

static bool link_up(uint16_t port)
{
	for (int i = 0; i < 500; i++) {
		struct rte_eth_link l;

		if (rte_eth_link_get_nowait(port, &l) == 0 && l.link_status)
			return true;
		usleep(10000);
	}
	return false;
}

static void test_memif_full_speed(void)
{
	const char *mb_env = getenv("TG_TCP_MEMIF_MB");
	uint64_t mb = mb_env ? strtoull(mb_env, NULL, 10) : 64;
	unsigned worker = rte_get_next_lcore(rte_lcore_id(), 1, 0);
	uint64_t t0, t1;
	double secs;

	for (int i = 0; i < 2; i++) {
		struct tg_net_port_conf pc;
		struct tg_net_conf nc;
		struct tg_tcp_conf tc;
		char name[32];
		uint16_t id;

		memset(&pc, 0, sizeof(pc));
		snprintf(name, sizeof(name), "net_memif%d", i);
		CU_ASSERT_EQUAL_FATAL(rte_eth_dev_get_port_by_name(name, &id), 0);
		snprintf(name, sizeof(name), "memif_pool%d", i);
		sd[i].pool = tg_net_pool_create(name, 16384, 0, -1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(sd[i].pool);
		pc.port_id = id;
		pc.n_queues = 1;
		pc.pools[0] = sd[i].pool;
		pc.prefix = 24;
		TG_ASSERT_OK(tg_net_addr_parse(i == 0 ? "198.18.3.1" : "198.18.3.2", &pc.addr));
		TG_ASSERT_OK(tg_net_port_start(&pc, &sd[i].port));
		memset(&nc, 0, sizeof(nc));
		nc.port = sd[i].port;
		nc.pool = sd[i].pool;
		TG_ASSERT_OK(tg_net_new(&nc, &sd[i].net));
		memset(&tc, 0, sizeof(tc));
		tc.net = sd[i].net;
		tc.max_conns = 16;
		TG_ASSERT_OK(tg_tcp_new(&tc, &sd[i].tcp));
		TG_ASSERT_OK(tg_tcp_listen(sd[i].tcp, 9, NULL, NULL));
		sd[i].total = mb << 20;
		sd[i].in_total = mb << 20;
		sd[i].rng_out = 0xabcdef12345ULL + (uint64_t)i;
		sd[i].rng_in = 0xabcdef12345ULL + (uint64_t)(1 - i);
	}
	for (int i = 0; i < 2; i++) {
		uint8_t mac[6];

		tg_net_port_mac(sd[1 - i].port, mac);
		TG_ASSERT_OK(tg_net_arp_add(sd[i].net, tg_net_local(sd[1 - i].net), mac));
	}
	{
		uint16_t a, b;

		CU_ASSERT_EQUAL(rte_eth_dev_get_port_by_name("net_memif0", &a), 0);
		CU_ASSERT_EQUAL(rte_eth_dev_get_port_by_name("net_memif1", &b), 0);
		CU_ASSERT_FATAL(link_up(a) && link_up(b));
	}
	for (int i = 0; i < 2; i++) {
		TG_ASSERT_OK(tg_tcp_connect(sd[i].tcp, tg_net_local(sd[1 - i].net), 9, NULL,
					    &sd[i].out));
		tg_tcp_want(sd[i].out, false, true);
	}
	atomic_store(&go, 0);
	atomic_store(&done_sides, 0);
	t0 = rte_get_tsc_cycles();
	if (worker < RTE_MAX_LCORE) {
		CU_ASSERT_EQUAL_FATAL(rte_eal_remote_launch(side_main, &sd[1], worker), 0);
		atomic_store(&go, 1);
		side_main(&sd[0]);
		rte_eal_wait_lcore(worker);
	} else {
		/* one lcore: both stacks in turn on it */
		uint64_t end = rte_get_tsc_cycles() + 60 * rte_get_tsc_hz();

		while (!(side_done(&sd[0]) && side_done(&sd[1])) && rte_get_tsc_cycles() < end) {
			side_round(&sd[0]);
			side_round(&sd[1]);
		}
		for (int i = 0; i < 3000; i++) {
			side_round(&sd[0]);
			side_round(&sd[1]);
		}
	}
	t1 = rte_get_tsc_cycles();
	secs = (double)(t1 - t0) / (double)rte_get_tsc_hz();
	printf("\n  %llu MiB each way in %.2f s: %.2f Gbit/s each way\n",
	       (unsigned long long)mb, secs, (double)(mb << 20) * 8 / secs / 1e9);
	for (int i = 0; i < 2; i++) {
		const struct tg_tcp_stats *t = tg_tcp_stats(sd[i].tcp);
		const struct tg_net_stats *n = tg_net_stats(sd[i].net);

		{
			struct tg_tcp_info in;

			tg_tcp_info(sd[i].out, &in);
			printf("  side %d: cwnd %u ssthresh %u snd_wnd %u srtt %u us\n", i, in.cwnd, in.ssthresh, in.snd_wnd, in.srtt_us);
		}
		printf("  side %d: segs %lu/%lu rtx %lu rto %lu fast %lu dupacks %lu nombuf %lu tx_drop %lu ooo %lu\n", i,
		       (unsigned long)t->segs_in, (unsigned long)t->segs_out, (unsigned long)t->retransmits,
		       (unsigned long)t->rto, (unsigned long)t->fast_retransmits, (unsigned long)t->dupacks,
		       (unsigned long)t->no_mbuf, (unsigned long)n->tx_drop, (unsigned long)t->ooo_segs);
	}
	for (int i = 0; i < 2; i++) {
		CU_ASSERT(!sd[i].bad);
		CU_ASSERT_EQUAL(sd[i].sent, sd[i].total);
		CU_ASSERT_EQUAL(sd[i].got, sd[1 - i].total);
		CU_ASSERT(sd[i].eof);
	}
	/* the order tg_net.h gives: lcores joined (above), both stacks
	 * freed, then the ports stopped */
	for (int i = 0; i < 2; i++) {
		struct tg_tcp_info in;

		tg_tcp_info(sd[i].out, &in);
		/* our FIN acknowledged, theirs received: CLOSED or TIME_WAIT */
		CU_ASSERT(in.state == TG_TCP_TIME_WAIT || in.state == TG_TCP_CLOSED);
		tg_tcp_close(sd[i].out);
		tg_tcp_free(sd[i].tcp);
		tg_net_free(sd[i].net);
	}
	for (int i = 0; i < 2; i++)
		tg_net_port_stop(sd[i].port);
}

static bool link_down(uint16_t port)
{
	for (int i = 0; i < 5000; i++) {
		struct rte_eth_link l;

		if (rte_eth_link_get_nowait(port, &l) == 0 && !l.link_status)
			return true;
		usleep(1000);
	}
	return false;
}

static atomic_int slow_done;

static void slow_alarm(void *arg)
{
	(void)arg;
	usleep(200000);
	atomic_store(&slow_done, 1);
}

/*
 * Stopping one of a connected memif pair hands the peer a disconnect, which
 * net_memif handles on the EAL's interrupt thread (memif_disconnect: its
 * regions unmapped and freed). Stopping the peer from this thread while
 * that runs freed them twice, and tg_eal_stop's rte_eal_cleanup unmapped
 * the heap under it: a SIGSEGV in rte_free on that thread after the test
 * had passed. The stop now runs on the interrupt thread itself: it waits
 * for what is there before it (an alarm that sleeps 200 ms), and each
 * cycle stops the peer just as the disconnect begins (link down, its
 * first step).
 */
static void test_memif_stop_cycles(void)
{
	uint16_t id[2];

	CU_ASSERT_EQUAL_FATAL(rte_eth_dev_get_port_by_name("net_memif0", &id[0]), 0);
	CU_ASSERT_EQUAL_FATAL(rte_eth_dev_get_port_by_name("net_memif1", &id[1]), 0);
	for (int cyc = 0; cyc < 40; cyc++) {
		struct tg_net_port *p[2];
		int first = cyc & 1;

		for (int i = 0; i < 2; i++) {
			struct tg_net_port_conf pc;

			if (sd[i].pool == NULL) {
				char name[32];

				snprintf(name, sizeof(name), "memif_pool%d", i);
				sd[i].pool = tg_net_pool_create(name, 4096, 0, -1);
				CU_ASSERT_PTR_NOT_NULL_FATAL(sd[i].pool);
			}
			memset(&pc, 0, sizeof(pc));
			pc.port_id = id[i];
			pc.n_queues = 1;
			pc.pools[0] = sd[i].pool;
			pc.prefix = 24;
			TG_ASSERT_OK(tg_net_addr_parse(i == 0 ? "198.18.3.1" : "198.18.3.2",
						       &pc.addr));
			TG_ASSERT_OK(tg_net_port_start(&pc, &p[i]));
		}
		CU_ASSERT_FATAL(link_up(id[0]) && link_up(id[1]));
		if (cyc == 0) {
			atomic_store(&slow_done, 0);
			CU_ASSERT_EQUAL_FATAL(rte_eal_alarm_set(1, slow_alarm, NULL), 0);
		}
		tg_net_port_stop(p[first]);
		if (cyc == 0)
			CU_ASSERT_EQUAL(atomic_load(&slow_done), 1);
		CU_ASSERT(link_down(id[1 - first]));
		tg_net_port_stop(p[1 - first]);
	}
}

static CU_TestInfo memif_tests[] = {
	{ "two stacks over memif at full speed, every byte checked", test_memif_full_speed },
	{ "a memif pair started and stopped 40 times, either end first", test_memif_stop_cycles },
	CU_TEST_INFO_NULL,
};

static const struct tg_test_suite suites[] = {
	{ "tcp_memif", NULL, NULL, memif_tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	char sock[64], v0[128], v1[128];
	struct tg_eal_opts o = { .mem_mb = 512, .lcores = "0-1" };
	int rc;

	snprintf(sock, sizeof(sock), "tgtest%d.sock", (int)getpid());
	snprintf(v0, sizeof(v0), "net_memif0,role=server,id=0,socket=%s", sock);
	snprintf(v1, sizeof(v1), "net_memif1,role=client,id=0,socket=%s", sock);
	o.vdevs[0] = v0;
	o.vdevs[1] = v1;
	if (tg_failed(tg_eal_start("test_tcp_memif", &o))) {
		o.lcores = "0";
		if (tg_failed(tg_eal_start("test_tcp_memif", &o))) {
			fprintf(stderr, "test_tcp_memif: EAL set-up failed\n");
			return 1;
		}
	}
	rc = tg_test_main(argc, argv, suites);
	tg_eal_stop();
	return rc;
}
