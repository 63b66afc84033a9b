/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file test_tcp.c
 * Packet-level conformance of dataplane/tcp: our stack on one port of a
 * net_ring pair, the test on the other playing the peer with segments it
 * builds, asserting the exact segments our stack emits on a stepped
 * clock: handshakes both ways and simultaneous, MSS/window scale/
 * timestamp negotiation, data and delayed ACKs, retransmission timing,
 * fast retransmit and NewReno recovery, zero-window probes, keep-alive,
 * RST and RFC 5961 challenge ACKs, TIME_WAIT and RFC 6191 reuse, PAWS,
 * out-of-order data, malformed segments. Then two of our stacks talking
 * through the impairment layer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_gso.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "net_int.h"
#include "tg_eal.h"
#include "tg_net.h"
#include "tg_tcp.h"
#include "tg_test.h"
#include "tg_test_net.h"
#include "tcp_int.h"

#define A 0
#define B 1
#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define PSH 0x08
#define ACK 0x10

/* ---- the scripted peer ------------------------------------------------------------------ */

/* a segment, as the peer sends it or reads it */
struct pk {
	uint16_t sport, dport;
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t wnd;
	int mss;          /* -1: none */
	int ws;           /* -1: none */
	bool sack_ok;
	bool ts;
	uint32_t tsval, tsecr;
	uint32_t len;
	uint8_t data[2048];
	bool bad;         /* could not be parsed */
	unsigned n_sack;  /* SACK blocks (RFC 2018) */
	uint32_t sack[4][2];
};

struct tx {
	struct tn_pair n;
	struct tg_tcp *t;
	struct tg_tcp_conn *c;    /* the connection under test */
	uint16_t port;            /* the peer's port */
	uint32_t pseq;            /* the peer's next sequence number */
	uint32_t our;             /* our next sequence number (as the peer knows) */
	uint32_t ts;              /* the peer's clock for TSval */
	uint32_t our_ts;          /* our last TSval */
};

static struct pk pk_new(uint8_t flags, uint32_t seq, uint32_t ack)
{
	struct pk p;

	memset(&p, 0, sizeof(p));
	p.flags = flags;
	p.seq = seq;
	p.ack = ack;
	p.wnd = 65535;
	p.mss = -1;
	p.ws = -1;
	return p;
}

static void peer_send(struct tx *x, const struct pk *p)
{
	uint8_t b[2048 + 60];
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)b;
	uint8_t *o = b + sizeof(*th);
	unsigned ol = 0;

	memset(b, 0, sizeof(b));
	if (p->mss >= 0) {
		o[ol++] = 2;
		o[ol++] = 4;
		o[ol++] = (uint8_t)(p->mss >> 8);
		o[ol++] = (uint8_t)p->mss;
	}
	if (p->ws >= 0) {
		o[ol++] = 1;
		o[ol++] = 3;
		o[ol++] = 3;
		o[ol++] = (uint8_t)p->ws;
	}
	if (p->sack_ok) {
		o[ol++] = 1;
		o[ol++] = 1;
		o[ol++] = 4;
		o[ol++] = 2;
	}
	if (p->n_sack > 0) {
		o[ol++] = 1;
		o[ol++] = 1;
		o[ol++] = 5;
		o[ol++] = (uint8_t)(2 + 8 * p->n_sack);
		for (unsigned i = 0; i < p->n_sack; i++) {
			uint32_t l = htonl(p->sack[i][0]), r = htonl(p->sack[i][1]);

			memcpy(o + ol, &l, 4);
			memcpy(o + ol + 4, &r, 4);
			ol += 8;
		}
	}
	if (p->ts) {
		uint32_t v = htonl(p->tsval), e = htonl(p->tsecr);

		o[ol++] = 1;
		o[ol++] = 1;
		o[ol++] = 8;
		o[ol++] = 10;
		memcpy(o + ol, &v, 4);
		memcpy(o + ol + 4, &e, 4);
		ol += 8;
	}
	while (ol % 4)
		o[ol++] = 0;
	th->src_port = htons(p->sport ? p->sport : x->port);
	th->dst_port = htons(p->dport ? p->dport : 80);
	th->sent_seq = htonl(p->seq);
	th->recv_ack = htonl(p->ack);
	th->data_off = (uint8_t)(((sizeof(*th) + ol) / 4) << 4);
	th->tcp_flags = p->flags;
	th->rx_win = htons(p->wnd);
	memcpy(o + ol, p->data, p->len);
	tn_put(&x->n, A, 0, tn_ip_frame(&x->n, B, IPPROTO_TCP, b,
					 (uint16_t)(sizeof(*th) + ol + p->len)));
}

static void parse(struct rte_mbuf *m, struct pk *p)
{
	struct rte_ipv4_hdr *ip = tn_ip(m);
	const struct rte_tcp_hdr *th;
	const uint8_t *o;
	unsigned hl, doff, tot;

	memset(p, 0, sizeof(*p));
	p->mss = p->ws = -1;
	if (ip == NULL || ip->next_proto_id != IPPROTO_TCP) {
		p->bad = true;
		return;
	}
	hl = (ip->version_ihl & 0xf) * 4u;
	tot = ntohs(ip->total_length);
	th = (const struct rte_tcp_hdr *)((const uint8_t *)ip + hl);
	doff = (th->data_off >> 4) * 4u;
	/* what we send must check out */
	CU_ASSERT_EQUAL(rte_ipv4_udptcp_cksum_verify(ip, th), 0);
	CU_ASSERT(ntohs(ip->fragment_offset) & RTE_IPV4_HDR_DF_FLAG);
	p->sport = ntohs(th->src_port);
	p->dport = ntohs(th->dst_port);
	p->seq = ntohl(th->sent_seq);
	p->ack = ntohl(th->recv_ack);
	p->flags = th->tcp_flags;
	p->wnd = ntohs(th->rx_win);
	p->len = tot - hl - doff;
	o = (const uint8_t *)(th + 1);
	for (unsigned i = 0; i < doff - 20;) {
		if (o[i] == 0)
			break;
		if (o[i] == 1) {
			i++;
			continue;
		}
		switch (o[i]) {
		case 2: p->mss = (o[i + 2] << 8) | o[i + 3]; break;
		case 3: p->ws = o[i + 2]; break;
		case 4: p->sack_ok = true; break;
		case 5:
			for (unsigned b = 0; b + 8 <= (unsigned)o[i + 1] - 2 && p->n_sack < 4; b += 8) {
				memcpy(&p->sack[p->n_sack][0], o + i + 2 + b, 4);
				memcpy(&p->sack[p->n_sack][1], o + i + 6 + b, 4);
				p->sack[p->n_sack][0] = ntohl(p->sack[p->n_sack][0]);
				p->sack[p->n_sack][1] = ntohl(p->sack[p->n_sack][1]);
				p->n_sack++;
			}
			break;
		case 8:
			p->ts = true;
			memcpy(&p->tsval, o + i + 2, 4);
			memcpy(&p->tsecr, o + i + 6, 4);
			p->tsval = ntohl(p->tsval);
			p->tsecr = ntohl(p->tsecr);
			break;
		}
		i += o[i + 1] ? o[i + 1] : 1;
	}
	if (p->len > 0 && p->len <= sizeof(p->data))
		memcpy(p->data, (const uint8_t *)th + doff, p->len);
}

/* what our stack sent since the last call */
static unsigned peer_recv(struct tx *x, struct pk *out, unsigned cap)
{
	struct rte_mbuf *m[64];
	unsigned k = tn_take(&x->n, A, m, 64), n = 0;

	for (unsigned i = 0; i < k; i++) {
		/* a data segment comes as its headers chained to slices of
		 * the send buffer: parse() reads one flat frame */
		if (m[i]->nb_segs > 1)
			CU_ASSERT_EQUAL_FATAL(rte_pktmbuf_linearize(m[i]), 0);
		if (n < cap) {
			parse(m[i], &out[n]);
			if (out[n].ts)
				x->our_ts = out[n].tsval;
			n++;
		}
		rte_pktmbuf_free(m[i]);
	}
	return n;
}

/* one round of our stack: poll and flush */
static void run(struct tx *x)
{
	tg_tcp_poll(x->t);
	tg_tcp_flush(x->t);
}

/* advance the clock by @p ms, running a round every millisecond */
static void step(struct tx *x, unsigned ms)
{
	for (unsigned i = 0; i < ms; i++) {
		tn_now += 1000;
		run(x);
	}
}

static struct tg_tcp_conf conf_default(void)
{
	struct tg_tcp_conf c;

	memset(&c, 0, sizeof(c));
	c.max_conns = 16;
	c.max_tw = 4;
	c.secret_seed = 7;
	return c;
}

/* as up(), with an impairment layer on our side */
static void up_imp(struct tx *x, const struct tg_tcp_conf *cc,
		   const struct tg_net_impair_conf *imp)
{
	struct tn_opts o = { .static_arp = true, .no_instance = { false, true } };
	struct tg_tcp_conf c = cc ? *cc : conf_default();

	o.imp[A] = imp;
	o.tx_chain_min = 512; /* an MSS-sized payload as slices */
	memset(x, 0, sizeof(*x));
	tn_now = 5000000;
	tn_up(&x->n, &o);
	c.net = x->n.n[A][0];
	TG_ASSERT_OK(tg_tcp_new(&c, &x->t));
	x->port = 40000;
	x->pseq = 1000000;
	x->ts = 5000;
}

static void up(struct tx *x, const struct tg_tcp_conf *cc)
{
	struct tn_opts o = { .static_arp = true, .no_instance = { false, true } };
	struct tg_tcp_conf c = cc ? *cc : conf_default();

	memset(x, 0, sizeof(*x));
	tn_now = 5000000;
	tn_up(&x->n, &o);
	c.net = x->n.n[A][0];
	TG_ASSERT_OK(tg_tcp_new(&c, &x->t));
	x->port = 40000;
	x->pseq = 1000000;
	x->ts = 5000;
}

static void down(struct tx *x)
{
	tg_tcp_free(x->t);
	tn_down(&x->n);
}

/* the end of most tests: the connection under test closed, then down():
 * the stack freed and every mbuf back in its pool */
static void close_down(struct tx *x)
{
	tg_tcp_close(x->c);
	down(x);
}

static unsigned events(struct tx *x, struct tg_tcp_event *ev, unsigned cap)
{
	return tg_tcp_events(x->t, ev, cap);
}

/* the peer opens a connection to our listener on port 80 (SYN with
 * MSS 1460, WS 7, SACK-permitted, TS), answers our SYN-ACK; returns our
 * SYN-ACK */
static struct pk accept_conn(struct tx *x, bool ts, bool ws)
{
	struct tg_tcp_event ev[4];
	struct pk s = pk_new(SYN, x->pseq, 0), r[8], syn_ack;
	unsigned n;

	s.mss = 1460;
	s.ws = ws ? 7 : -1;
	s.sack_ok = true;
	s.ts = ts;
	s.tsval = x->ts;
	peer_send(x, &s);
	run(x);
	n = peer_recv(x, r, 8);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	syn_ack = r[0];
	CU_ASSERT_EQUAL(syn_ack.flags, SYN | ACK);
	CU_ASSERT_EQUAL(syn_ack.ack, x->pseq + 1);
	x->pseq++;
	x->our = syn_ack.seq + 1;
	s = pk_new(ACK, x->pseq, x->our);
	s.ts = ts;
	s.tsval = ++x->ts;
	s.tsecr = syn_ack.tsval;
	if (ws)
		s.wnd = 512; /* << 7: 64 KiB */
	peer_send(x, &s);
	run(x);
	n = events(x, ev, 4);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT(ev[0].ev & TG_TCP_EV_ACCEPTED);
	x->c = ev[0].c;
	tg_tcp_want(x->c, true, false);
	return syn_ack;
}

/* the stacks up, a connection accepted from the peer with timestamps
 * and window scaling: the start of most tests below */
static void up_accepted(struct tx *x)
{
	up(x, NULL);
	TG_ASSERT_OK(tg_tcp_listen(x->t, 80, NULL, NULL));
	accept_conn(x, true, true);
}

/* a peer segment with the current sequence numbers and timestamps */
static struct pk seg(struct tx *x, uint8_t flags, const char *data)
{
	struct pk p = pk_new(flags, x->pseq, x->our);

	p.ts = true;
	p.tsval = ++x->ts;
	p.tsecr = x->our_ts;
	p.wnd = 512; /* << 7: 64 KiB */
	if (data != NULL) {
		p.len = (uint32_t)strlen(data);
		memcpy(p.data, data, p.len);
	}
	return p;
}

static void send_seg(struct tx *x, uint8_t flags, const char *data)
{
	struct pk p = seg(x, flags, data);

	peer_send(x, &p);
	x->pseq += p.len + !!(flags & SYN) + !!(flags & FIN);
}

/* ---- handshakes and options ------------------------------------------------------------------ */

static void test_passive_open(void)
{
	struct tx x;
	struct tg_tcp_info in;
	struct pk sa;

	up(&x, NULL);
	TG_ASSERT_OK(tg_tcp_listen(x.t, 80, (void *)0x80, NULL));
	sa = accept_conn(&x, true, true);
	/* RFC 9293 §3.7.1, RFC 7323 §2.2 and §3.2: what we answered */
	CU_ASSERT_EQUAL(sa.mss, 1460);
	CU_ASSERT_EQUAL(sa.ws, 3);      /* 256 KiB >> 3 fits 16 bits */
	CU_ASSERT(sa.ts);
	CU_ASSERT_EQUAL(sa.tsecr, 5000);
	CU_ASSERT(sa.sack_ok);          /* RFC 2018 §2: offered, we answer */
	CU_ASSERT_EQUAL(sa.wnd, 65535); /* a SYN's window is not scaled */
	tg_tcp_info(x.c, &in);
	CU_ASSERT_EQUAL(in.state, TG_TCP_ESTABLISHED);
	CU_ASSERT_EQUAL(in.mss, 1448);  /* 1460 less the timestamp option */
	CU_ASSERT_EQUAL(in.snd_wscale, 7);
	CU_ASSERT_EQUAL(in.rcv_wscale, 3);
	CU_ASSERT(in.timestamps);
	CU_ASSERT(in.sack);
	CU_ASSERT_EQUAL(in.snd_wnd, 512u << 7);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->accepted, 1);
	close_down(&x);
}

static void test_negotiation_none(void)
{
	struct tx x;
	struct tg_tcp_info in;
	struct pk s, r[4];

	up(&x, NULL);
	TG_ASSERT_OK(tg_tcp_listen(x.t, 80, NULL, NULL));
	/* a SYN without options: MSS 536 (RFC 9293 §3.7.1), no scaling,
	 * no timestamps; we answer with MSS only */
	s = pk_new(SYN, x.pseq, 0);
	peer_send(&x, &s);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 4), 1);
	CU_ASSERT_EQUAL(r[0].mss, 1460);
	CU_ASSERT_EQUAL(r[0].ws, -1);
	CU_ASSERT(!r[0].ts);
	s = pk_new(ACK, x.pseq + 1, r[0].seq + 1);
	s.wnd = 8192;
	peer_send(&x, &s);
	run(&x);
	{
		struct tg_tcp_event ev[2];

		CU_ASSERT_EQUAL_FATAL(events(&x, ev, 2), 1);
		x.c = ev[0].c;
	}
	tg_tcp_info(x.c, &in);
	CU_ASSERT_EQUAL(in.mss, 536);
	CU_ASSERT_EQUAL(in.snd_wscale, 0);
	CU_ASSERT_EQUAL(in.rcv_wscale, 0);
	CU_ASSERT(!in.timestamps);
	CU_ASSERT_EQUAL(in.snd_wnd, 8192);
	/* with no scaling our window field is the byte count, capped */
	CU_ASSERT_EQUAL(tg_tcp_send(x.c, "hello", 5), 5);
	tg_tcp_flush(x.t);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 4), 1);
	CU_ASSERT_EQUAL(r[0].wnd, 65535);
	CU_ASSERT_EQUAL(r[0].len, 5);
	CU_ASSERT_EQUAL(r[0].flags, ACK | PSH);
	close_down(&x);
}

static void test_active_open(void)
{
	struct tx x;
	struct tg_tcp_event ev[4];
	struct tg_tcp_conn *c;
	struct tg_tcp_info in;
	struct pk r[4], s;

	up(&x, NULL);
	TG_ASSERT_OK(tg_tcp_connect(x.t, &x.n.addr[B], 8080, (void *)0x55, &c));
	tg_tcp_flush(x.t);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 4), 1);
	CU_ASSERT_EQUAL(r[0].flags, SYN);
	CU_ASSERT_EQUAL(r[0].dport, 8080);
	CU_ASSERT(r[0].sport >= 32768 && r[0].sport <= 60999);
	CU_ASSERT_EQUAL(r[0].mss, 1460);
	CU_ASSERT_EQUAL(r[0].ws, 3);
	CU_ASSERT(r[0].ts);
	CU_ASSERT_EQUAL(r[0].tsecr, 0);
	/* SYN-ACK with MSS 1200, WS 2, TS */
	s = pk_new(SYN | ACK, 777, r[0].seq + 1);
	s.sport = 8080;
	s.dport = r[0].sport;
	s.mss = 1200;
	s.ws = 2;
	s.ts = true;
	s.tsval = 99;
	s.tsecr = r[0].tsval;
	s.wnd = 20000;
	peer_send(&x, &s);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 4), 1);
	CU_ASSERT_EQUAL(r[0].flags, ACK);
	CU_ASSERT_EQUAL(r[0].ack, 778);
	CU_ASSERT_EQUAL(r[0].tsecr, 99);
	CU_ASSERT_EQUAL(events(&x, ev, 4), 1);
	CU_ASSERT_EQUAL(ev[0].c, c);
	CU_ASSERT_EQUAL(ev[0].ev, TG_TCP_EV_CONNECTED);
	CU_ASSERT_PTR_EQUAL(ev[0].udata, (void *)0x55);
	tg_tcp_info(c, &in);
	CU_ASSERT_EQUAL(in.mss, 1188);
	CU_ASSERT_EQUAL(in.snd_wscale, 2);
	CU_ASSERT_EQUAL(in.snd_wnd, 20000); /* the SYN-ACK's, unscaled */
	/* the source port hashes back to this instance */
	CU_ASSERT_EQUAL(tg_net_port_owner(tg_net_port(x.n.n[A][0]), &x.n.addr[A],
					  &x.n.addr[B], in.lport, 8080), 0);
	tg_tcp_close(c);
	down(&x);
}

static void test_connect_refused_and_timeout(void)
{
	struct tx x;
	struct tg_tcp_event ev[4];
	struct tg_tcp_conn *c;
	struct pk r[4], s;
	char b[8];
	struct iovec iov = { b, sizeof(b) };
	struct tg_tcp_conf cc = conf_default();
	unsigned syns = 0;

	cc.syn_retries = 2;
	up(&x, &cc);
	TG_ASSERT_OK(tg_tcp_connect(x.t, &x.n.addr[B], 8080, NULL, &c));
	tg_tcp_flush(x.t);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 4), 1);
	/* RST|ACK acknowledging our SYN: refused */
	s = pk_new(RST | ACK, 0, r[0].seq + 1);
	s.sport = 8080;
	s.dport = r[0].sport;
	peer_send(&x, &s);
	run(&x);
	CU_ASSERT_EQUAL(events(&x, ev, 4), 1);
	CU_ASSERT(ev[0].ev & TG_TCP_EV_ERROR);
	CU_ASSERT_EQUAL(tg_tcp_recv(c, &iov, 1), -ECONNREFUSED);
	tg_tcp_close(c);
	/* nobody answers: SYN at 0, 1 s, 3 s (RFC 6298 §5.5 doubling),
	 * given up at 7 s */
	TG_ASSERT_OK(tg_tcp_connect(x.t, &x.n.addr[B], 8080, NULL, &c));
	tg_tcp_flush(x.t);
	for (unsigned ms = 0; ms <= 7000; ms++) {
		unsigned k = peer_recv(&x, r, 4);

		if (k > 0) {
			CU_ASSERT_EQUAL(r[0].flags, SYN);
			CU_ASSERT(ms == 0 || ms == 1000 || ms == 3000);
			syns += k;
		}
		if (ms < 7000)
			step(&x, 1);
	}
	CU_ASSERT_EQUAL(syns, 3);
	CU_ASSERT_EQUAL(events(&x, ev, 4), 1);
	CU_ASSERT(ev[0].ev & TG_TCP_EV_ERROR);
	CU_ASSERT_EQUAL(tg_tcp_recv(c, &iov, 1), -ETIMEDOUT);
	tg_tcp_close(c);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->connect_failed, 2);
	down(&x);
}

static void test_simultaneous_open(void)
{
	struct tx x;
	struct tg_tcp_event ev[4];
	struct tg_tcp_conn *c;
	struct pk r[4], s, syn;

	up(&x, NULL);
	TG_ASSERT_OK(tg_tcp_connect(x.t, &x.n.addr[B], 8080, NULL, &c));
	tg_tcp_flush(x.t);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 4), 1);
	syn = r[0];
	/* RFC 9293 §3.5 figure 7: their SYN crosses ours */
	s = pk_new(SYN, 500, 0);
	s.sport = 8080;
	s.dport = syn.sport;
	s.mss = 1460;
	peer_send(&x, &s);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 4), 1);
	CU_ASSERT_EQUAL(r[0].flags, SYN | ACK);
	CU_ASSERT_EQUAL(r[0].seq, syn.seq);
	CU_ASSERT_EQUAL(r[0].ack, 501);
	/* their SYN-ACK: both established */
	s = pk_new(SYN | ACK, 500, syn.seq + 1);
	s.sport = 8080;
	s.dport = syn.sport;
	peer_send(&x, &s);
	run(&x);
	/* the duplicate SYN gets an ACK (not acceptable: below rcv_nxt) */
	s = pk_new(ACK, 501, syn.seq + 1);
	s.sport = 8080;
	s.dport = syn.sport;
	peer_send(&x, &s);
	run(&x);
	CU_ASSERT_EQUAL(events(&x, ev, 4), 1);
	CU_ASSERT_EQUAL(ev[0].ev, TG_TCP_EV_CONNECTED);
	{
		struct tg_tcp_info in;

		tg_tcp_info(c, &in);
		CU_ASSERT_EQUAL(in.state, TG_TCP_ESTABLISHED);
	}
	(void)peer_recv(&x, r, 4);
	tg_tcp_close(c);
	down(&x);
}

/* ---- data ------------------------------------------------------------------------------------- */

static void test_data_and_delayed_ack(void)
{
	struct tx x;
	struct pk r[8];
	char buf[4096];
	struct iovec iov = { buf, sizeof(buf) };
	static char big[1449];

	up_accepted(&x);
	/* one small segment: no ACK before the delayed-ACK time */
	send_seg(&x, ACK | PSH, "hello");
	run(&x);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 8), 0);
	step(&x, 39);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 8), 0);
	step(&x, 1);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	CU_ASSERT_EQUAL(r[0].flags, ACK);
	CU_ASSERT_EQUAL(r[0].ack, x.pseq);
	CU_ASSERT_EQUAL(tg_tcp_recv(x.c, &iov, 1), 5);
	CU_ASSERT_EQUAL(memcmp(buf, "hello", 5), 0);
	CU_ASSERT_EQUAL(tg_tcp_recv(x.c, &iov, 1), -EAGAIN);
	/* two full segments: acknowledged at once (RFC 5681 §4.2) */
	memset(big, 'x', 1448);
	send_seg(&x, ACK, big);
	send_seg(&x, ACK, big);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	CU_ASSERT_EQUAL(r[0].ack, x.pseq);
	CU_ASSERT_EQUAL(tg_tcp_recv(x.c, &iov, 1), 2896);
	/* our data: segments of one MSS, the last pushed, one ACK each
	 * for the peer */
	{
		static uint8_t out[5000];
		struct tg_tcp_info in;

		for (unsigned i = 0; i < sizeof(out); i++)
			out[i] = (uint8_t)i;
		CU_ASSERT_EQUAL(tg_tcp_send(x.c, out, sizeof(out)), 5000);
		tg_tcp_flush(x.t);
		CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 4);
		CU_ASSERT_EQUAL(r[0].seq, x.our);
		CU_ASSERT_EQUAL(r[0].len, 1448);
		CU_ASSERT_EQUAL(r[1].len, 1448);
		CU_ASSERT_EQUAL(r[2].len, 1448);
		CU_ASSERT_EQUAL(r[3].len, 656);
		CU_ASSERT_EQUAL(r[3].flags, ACK | PSH);
		CU_ASSERT_EQUAL(memcmp(r[1].data, out + 1448, 1448), 0);
		CU_ASSERT_EQUAL(memcmp(r[3].data, out + 4344, 656), 0);
		x.our += 5000;
		send_seg(&x, ACK, NULL);
		run(&x);
		tg_tcp_info(x.c, &in);
		CU_ASSERT_EQUAL(in.unacked, 0);
		CU_ASSERT_EQUAL(in.snd_queued, 0);
	}
	close_down(&x);
}

static void test_rto_timing(void)
{
	struct tx x;
	struct pk r[8];
	uint32_t at[6];
	unsigned n = 0;
	struct tg_tcp_conf cf = conf_default();

	cf.no_rack = true; /* the RTO alone: no probe in its place */
	up(&x, &cf);
	TG_ASSERT_OK(tg_tcp_listen(x.t, 80, NULL, NULL));
	accept_conn(&x, true, true);
	CU_ASSERT_EQUAL(tg_tcp_send(x.c, "abc", 3), 3);
	tg_tcp_flush(x.t);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	/* RTT 0 on the stepped clock: RTO = the 200 ms floor; then 400,
	 * 800 ... (RFC 6298 §5.5), each the same bytes */
	for (unsigned ms = 1; ms <= 6400 && n < 6; ms++) {
		step(&x, 1);
		if (peer_recv(&x, r, 8) > 0) {
			CU_ASSERT_EQUAL(r[0].len, 3);
			CU_ASSERT_EQUAL(memcmp(r[0].data, "abc", 3), 0);
			CU_ASSERT_EQUAL(r[0].seq, x.our);
			at[n++] = ms;
		}
	}
	CU_ASSERT_EQUAL_FATAL(n, 5);
	CU_ASSERT_EQUAL(at[0], 200);
	CU_ASSERT_EQUAL(at[1], 600);
	CU_ASSERT_EQUAL(at[2], 1400);
	CU_ASSERT_EQUAL(at[3], 3000);
	CU_ASSERT_EQUAL(at[4], 6200);
	/* the ACK ends it */
	x.our += 3;
	send_seg(&x, ACK, NULL);
	step(&x, 20000);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 8), 0);
	CU_ASSERT(tg_tcp_stats(x.t)->rto == 5);
	close_down(&x);
}


/* After a timeout SND.NXT is back at SND.UNA, but an ACK without data
 * carries SND.MAX: the peer, which may hold everything sent, would take
 * a sequence number below its RCV.NXT as not acceptable and drop the ACK
 * in it (two ends both backing off stalled each other that way) */
static void test_ack_seq_after_rto(void)
{
	struct tx x;
	struct pk r[16];
	static uint8_t out[3 * 1448];
	struct tg_tcp_conf cf = conf_default();
	uint32_t base;
	unsigned k;

	cf.no_delack = true;
	cf.no_rack = true; /* the timeout, not a loss probe in its place */
	up(&x, &cf);
	TG_ASSERT_OK(tg_tcp_listen(x.t, 80, NULL, NULL));
	accept_conn(&x, true, true);
	base = x.our;
	memset(out, 'q', sizeof(out));
	CU_ASSERT_EQUAL(tg_tcp_send(x.c, out, sizeof(out)), (ssize_t)sizeof(out));
	tg_tcp_flush(x.t);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 16), 3);
	/* nothing acknowledged: the timeout resends the first segment only
	 * (cwnd one segment) */
	step(&x, 200);
	k = peer_recv(&x, r, 16);
	CU_ASSERT_EQUAL_FATAL(k, 1);
	CU_ASSERT_EQUAL(r[0].seq, base);
	CU_ASSERT_EQUAL(r[0].len, 1448);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->rto, 1);
	/* the peer's data: our ACK of it has SEQ = SND.MAX */
	send_seg(&x, ACK, "xyz");
	run(&x);
	k = peer_recv(&x, r, 16);
	CU_ASSERT_EQUAL_FATAL(k, 1);
	CU_ASSERT_EQUAL(r[0].len, 0);
	CU_ASSERT_EQUAL(r[0].ack, x.pseq);
	CU_ASSERT_EQUAL(r[0].seq, base + sizeof(out));
	close_down(&x);
}

static void test_fast_retransmit(void)
{
	struct tx x;
	struct pk r[32];
	static uint8_t out[10 * 1448];
	uint32_t base;
	struct tg_tcp_info in;

	up_accepted(&x);
	base = x.our;
	for (unsigned i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 7);
	CU_ASSERT_EQUAL(tg_tcp_send(x.c, out, sizeof(out)), (ssize_t)sizeof(out));
	tg_tcp_flush(x.t);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 32), 10);
	/* segment 2 (index 1) and 5 are lost; the peer acks segment 1 then
	 * sends duplicate ACKs for each later one */
	x.our = base + 1448;
	send_seg(&x, ACK, NULL);
	run(&x);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 32), 0); /* nothing new to send */
	for (int d = 0; d < 3; d++) {
		struct pk p = seg(&x, ACK, NULL);

		peer_send(&x, &p);
		run(&x);
	}
	/* the third duplicate: segment 2 again, at once (RFC 5681 §3.2) */
	{
		unsigned k = peer_recv(&x, r, 32);

		CU_ASSERT_EQUAL_FATAL(k, 1);
		CU_ASSERT_EQUAL(r[0].seq, base + 1448);
		CU_ASSERT_EQUAL(r[0].len, 1448);
		CU_ASSERT_EQUAL(memcmp(r[0].data, out + 1448, 1448), 0);
	}
	tg_tcp_info(x.c, &in);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->fast_retransmits, 1);
	/* a partial ACK (up to the second hole, segment 5): segment 5 at
	 * once (RFC 6582 §3.2 step 5) */
	x.our = base + 4 * 1448;
	send_seg(&x, ACK, NULL);
	run(&x);
	{
		unsigned k = peer_recv(&x, r, 32);

		CU_ASSERT_FATAL(k >= 1);
		CU_ASSERT_EQUAL(r[0].seq, base + 4 * 1448);
		CU_ASSERT_EQUAL(memcmp(r[0].data, out + 4 * 1448, 1448), 0);
	}
	/* the full ACK ends recovery */
	x.our = base + sizeof(out);
	send_seg(&x, ACK, NULL);
	run(&x);
	(void)peer_recv(&x, r, 32);
	tg_tcp_info(x.c, &in);
	CU_ASSERT_EQUAL(in.unacked, 0);
	CU_ASSERT(in.cwnd <= in.ssthresh + 1448);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->rto, 0);
	close_down(&x);
}

/* RFC 6675: with SACK blocks both holes are resent within one recovery,
 * the second without waiting for a partial ACK */
static void test_sack_recovery(void)
{
	struct tx x;
	struct pk r[32], p;
	static uint8_t out[10 * 1448];
	uint32_t base, sg[11];
	unsigned k;
	struct tg_tcp_conf cf = conf_default();

	/* DupThresh's IsLost: RACK off (with it, on this clock's zero RTT,
	 * the first SACK block would mark segment 2 lost) */
	cf.no_rack = true;
	up(&x, &cf);
	TG_ASSERT_OK(tg_tcp_listen(x.t, 80, NULL, NULL));
	accept_conn(&x, true, true);
	base = x.our;
	for (unsigned i = 0; i <= 10; i++)
		sg[i] = base + (i - 1) * 1448; /* sg[1] is the first */
	for (unsigned i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 13);
	CU_ASSERT_EQUAL(tg_tcp_send(x.c, out, sizeof(out)), (ssize_t)sizeof(out));
	tg_tcp_flush(x.t);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 32), 10);
	/* segments 2 and 5 are lost; 1 is acknowledged */
	x.our = sg[2];
	send_seg(&x, ACK, NULL);
	run(&x);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 32), 0);
	/* 3, 4 arrive: duplicate ACKs with SACK blocks, nothing yet */
	p = seg(&x, ACK, NULL);
	p.n_sack = 1;
	p.sack[0][0] = sg[3];
	p.sack[0][1] = sg[4];
	peer_send(&x, &p);
	run(&x);
	p = seg(&x, ACK, NULL);
	p.n_sack = 1;
	p.sack[0][0] = sg[3];
	p.sack[0][1] = sg[5];
	peer_send(&x, &p);
	run(&x);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 32), 0);
	/* 6 arrives: the third duplicate; segment 2 is lost (RFC 6675 §5) */
	p = seg(&x, ACK, NULL);
	p.n_sack = 2;
	p.sack[0][0] = sg[6];
	p.sack[0][1] = sg[7];
	p.sack[1][0] = sg[3];
	p.sack[1][1] = sg[5];
	peer_send(&x, &p);
	run(&x);
	k = peer_recv(&x, r, 32);
	CU_ASSERT_EQUAL_FATAL(k, 1);
	CU_ASSERT_EQUAL(r[0].seq, sg[2]);
	CU_ASSERT_EQUAL(memcmp(r[0].data, out + 1448, 1448), 0);
	/* 7 and 8: three segments SACKed above 5, so it is lost too: resent
	 * now, no partial ACK needed */
	p.sack[0][1] = sg[8];
	peer_send(&x, &p);
	run(&x);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 32), 0);
	p.sack[0][1] = sg[9];
	peer_send(&x, &p);
	run(&x);
	k = peer_recv(&x, r, 32);
	CU_ASSERT_EQUAL_FATAL(k, 1);
	CU_ASSERT_EQUAL(r[0].seq, sg[5]);
	CU_ASSERT_EQUAL(memcmp(r[0].data, out + 4 * 1448, 1448), 0);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->fast_retransmits, 1);
	/* everything acknowledged: recovery over, no timeout on the way */
	x.our = base + sizeof(out);
	send_seg(&x, ACK, NULL);
	run(&x);
	{
		struct tg_tcp_info in;

		tg_tcp_info(x.c, &in);
		CU_ASSERT_EQUAL(in.unacked, 0);
	}
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->rto, 0);
	close_down(&x);
}


/* ---- RACK-TLP (RFC 8985), NextSeg rules 3 and 4 (RFC 6675 §4) -------------------------------- */

/* a connection whose RTT is @p rtt_ms: @p n small exchanges, each ACK
 * that long after its segment (SRTT near it, min_RTT exactly it) */
static void rack_warm(struct tx *x, unsigned rtt_ms, unsigned n)
{
	struct pk r[8];
	char w[101];

	memset(w, 'w', 100);
	w[100] = 0;
	for (unsigned i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(tg_tcp_send(x->c, w, 100), 100);
		tg_tcp_flush(x->t);
		CU_ASSERT_EQUAL_FATAL(peer_recv(x, r, 8), 1);
		step(x, rtt_ms);
		x->our += 100;
		send_seg(x, ACK, NULL);
		run(x);
		CU_ASSERT_EQUAL(peer_recv(x, r, 8), 0);
	}
}

/* up_accepted() and an RTT of 20 ms (RACK's tests) */
static void up_warm(struct tx *x)
{
	up_accepted(x);
	rack_warm(x, 20, 24);
}

/* @p n MSS segments of @p out sent in one burst; their first sequence
 * numbers in sg[1..n] (sg[n + 1]: the end) */
static void rack_burst(struct tx *x, uint8_t *out, unsigned n, uint32_t *sg)
{
	struct pk r[32];

	for (unsigned i = 0; i < n * 1448; i++)
		out[i] = (uint8_t)(i * 11 + n);
	for (unsigned i = 1; i <= n + 1; i++)
		sg[i] = x->our + (i - 1) * 1448;
	CU_ASSERT_EQUAL(tg_tcp_send(x->c, out, n * 1448), (ssize_t)(n * 1448));
	tg_tcp_flush(x->t);
	CU_ASSERT_EQUAL_FATAL(peer_recv(x, r, 32), n);
}

/* the peer's ACK of everything below @p ack with SACK blocks */
static void sack_ack(struct tx *x, uint32_t ack, unsigned nb, const uint32_t (*b)[2])
{
	struct pk p;

	x->our = ack;
	p = seg(x, ACK, NULL);
	p.n_sack = nb;
	for (unsigned i = 0; i < nb; i++) {
		p.sack[i][0] = b[i][0];
		p.sack[i][1] = b[i][1];
	}
	peer_send(x, &p);
	run(x);
}

static void expect_seg(const struct pk *r, uint32_t seq, const uint8_t *data, uint32_t len)
{
	CU_ASSERT_EQUAL(r->seq, seq);
	CU_ASSERT_EQUAL(r->len, len);
	CU_ASSERT(r->len == len && memcmp(r->data, data, len) == 0);
}

/* RFC 8985 §6.2: a segment sent before one SACKed is lost once the RTT
 * and the reordering window (min_RTT / 4) have passed since it went,
 * not before: the reordering timer resends it then, no RTO */
static void test_rack_reo_wnd(void)
{
	struct tx x;
	struct pk r[32];
	static uint8_t out[3 * 1448];
	uint32_t sg[5], b[1][2];
	struct tg_tcp_info in;
	unsigned k, ms;

	up_warm(&x);
	tg_tcp_info(x.c, &in);
	CU_ASSERT(in.srtt_us >= 5000); /* the window is min_RTT / 4 = 5 ms */
	rack_burst(&x, out, 3, sg);
	/* 20 ms later only segment 3 arrives: 1 and 2 were sent before it
	 * (the same burst), but within the window they may be reordered */
	step(&x, 20);
	b[0][0] = sg[3];
	b[0][1] = sg[4];
	sack_ack(&x, sg[1], 1, b);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 32), 0);
	for (ms = 1; ms <= 4; ms++) {
		step(&x, 1);
		CU_ASSERT_EQUAL(peer_recv(&x, r, 32), 0);
	}
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->rack_lost, 0);
	/* 5 ms: both lost, resent in one recovery */
	step(&x, 1);
	k = peer_recv(&x, r, 32);
	CU_ASSERT_EQUAL_FATAL(k, 2);
	expect_seg(&r[0], sg[1], out, 1448);
	expect_seg(&r[1], sg[2], out + 1448, 1448);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->rack_lost, 2);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->fast_retransmits, 1);
	x.our = sg[4];
	send_seg(&x, ACK, NULL);
	run(&x);
	tg_tcp_info(x.c, &in);
	CU_ASSERT_EQUAL(in.unacked, 0);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->rto, 0);
	close_down(&x);
}

/* RFC 8985 §7: the last two segments lost: a probe after the PTO (2 SRTT
 * + 2 ms, well before the RTO) resends the last; its SACK shows the
 * other lost, resent at once; no RTO. §7.4: the ACK past the probe that
 * repaired a loss takes the window down once. */
static void test_tlp_tail(void)
{
	struct tx x;
	struct pk r[32];
	static uint8_t out[4 * 1448];
	uint32_t sg[6], b[1][2];
	struct tg_tcp_info in;
	unsigned k, pto;

	up_warm(&x);
	rack_burst(&x, out, 4, sg);
	step(&x, 20);
	x.our = sg[3];
	send_seg(&x, ACK, NULL); /* 1 and 2; 3 and 4 are lost */
	run(&x);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 32), 0);
	tg_tcp_info(x.c, &in);
	pto = (2 * in.srtt_us + 2000 + 999) / 1000;
	CU_ASSERT(pto < in.rto_ms);
	step(&x, pto - 1);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 32), 0);
	step(&x, 1);
	k = peer_recv(&x, r, 32);
	CU_ASSERT_EQUAL_FATAL(k, 1);
	expect_seg(&r[0], sg[4], out + 3 * 1448, 1448);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->tlp, 1);
	/* the probe arrives: SACKed, segment 3 is lost (sent before it) */
	step(&x, 20);
	b[0][0] = sg[4];
	b[0][1] = sg[5];
	sack_ack(&x, sg[3], 1, b);
	k = peer_recv(&x, r, 32);
	CU_ASSERT_EQUAL_FATAL(k, 1);
	expect_seg(&r[0], sg[3], out + 2 * 1448, 1448);
	x.our = sg[5];
	send_seg(&x, ACK, NULL);
	run(&x);
	tg_tcp_info(x.c, &in);
	CU_ASSERT_EQUAL(in.unacked, 0);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->rto, 0);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->fast_retransmits, 1);
	/* nothing more: no probe with nothing outstanding */
	step(&x, 1000);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 32), 0);
	close_down(&x);
}

/* RFC 8985 §7.4: a probe whose original arrived too (the peer's
 * duplicate ACK, no block) takes nothing down; the probe of a single
 * outstanding segment waits 2 SRTT + 200 ms, at most the RTO, and goes
 * in its place */
static void test_tlp_not_lost(void)
{
	struct tx x;
	struct pk r[32];
	static uint8_t out[3 * 1448];
	uint32_t sg[5], cwnd;
	struct tg_tcp_info in;
	unsigned k, ms;

	up_warm(&x);
	rack_burst(&x, out, 3, sg);
	step(&x, 20);
	x.our = sg[3];
	send_seg(&x, ACK, NULL);
	run(&x);
	tg_tcp_info(x.c, &in);
	cwnd = in.cwnd;
	for (ms = 1; ms < in.rto_ms; ms++) {
		step(&x, 1);
		CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 32), 0);
	}
	step(&x, 1);
	k = peer_recv(&x, r, 32);
	CU_ASSERT_EQUAL_FATAL(k, 1);
	expect_seg(&r[0], sg[3], out + 2 * 1448, 1448);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->tlp, 1);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->rto, 0);
	/* the original's ACK, then the duplicate ACK for the probe */
	x.our = sg[4];
	send_seg(&x, ACK, NULL);
	run(&x);
	send_seg(&x, ACK, NULL);
	run(&x);
	tg_tcp_info(x.c, &in);
	CU_ASSERT_EQUAL(in.unacked, 0);
	CU_ASSERT(in.cwnd >= cwnd);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->tlp_recovered, 0);
	close_down(&x);
}

/* RFC 8985: a lost retransmission is found like any loss: the other
 * retransmission, sent after it, is SACKed one RTT later, so it is
 * resent again, without waiting for the RTO */
static void test_rack_lost_retransmission(void)
{
	struct tx x;
	struct pk r[32];
	static uint8_t out[8 * 1448];
	uint32_t sg[10], b[2][2];
	struct tg_tcp_info in;
	unsigned k;

	up_warm(&x);
	rack_burst(&x, out, 8, sg);
	/* 1 and 3 lost; the rest SACKed: both lost (DupThresh segments
	 * SACKed, no reordering seen: no window) */
	step(&x, 20);
	b[0][0] = sg[4];
	b[0][1] = sg[9];
	b[1][0] = sg[2];
	b[1][1] = sg[3];
	sack_ack(&x, sg[1], 2, b);
	k = peer_recv(&x, r, 32);
	CU_ASSERT_EQUAL_FATAL(k, 2);
	expect_seg(&r[0], sg[1], out, 1448);
	expect_seg(&r[1], sg[3], out + 2 * 1448, 1448);
	/* the first retransmission is lost too; the second arrives */
	step(&x, 20);
	b[0][0] = sg[2];
	b[0][1] = sg[9];
	sack_ack(&x, sg[1], 1, b);
	k = peer_recv(&x, r, 32);
	CU_ASSERT_EQUAL_FATAL(k, 1);
	expect_seg(&r[0], sg[1], out, 1448);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->fast_retransmits, 1);
	x.our = sg[9];
	send_seg(&x, ACK, NULL);
	run(&x);
	tg_tcp_info(x.c, &in);
	CU_ASSERT_EQUAL(in.unacked, 0);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->rto, 0);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->retransmits, 3);
	close_down(&x);
}

/* RFC 6675 §4 NextSeg rule 3: with no new data to send, a hole below the
 * highest SACKed byte that IsLost does not call lost yet is resent when
 * the pipe leaves room (DupThresh's IsLost: RACK off; CUBIC's ssthresh,
 * 0.7 of the window, leaves the room) */
static void test_nextseg_rule3(void)
{
	struct tx x;
	struct pk r[32];
	static uint8_t out[6 * 1448];
	uint32_t sg[8], b[2][2];
	struct tg_tcp_conf cf = conf_default();
	unsigned k;

	cf.no_rack = true;
	cf.cc = TG_TCP_CC_CUBIC;
	up(&x, &cf);
	TG_ASSERT_OK(tg_tcp_listen(x.t, 80, NULL, NULL));
	accept_conn(&x, true, true);
	rack_burst(&x, out, 6, sg);
	/* 2 and 5 lost; 1, 3, 4 and 6 arrive */
	x.our = sg[2];
	send_seg(&x, ACK, NULL);
	run(&x);
	b[0][0] = sg[3];
	b[0][1] = sg[4];
	sack_ack(&x, sg[2], 1, b);
	b[0][1] = sg[5];
	sack_ack(&x, sg[2], 1, b);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 32), 0);
	b[1][0] = sg[6];
	b[1][1] = sg[7];
	sack_ack(&x, sg[2], 2, b);
	/* 2 is lost (three SACKed above it): resent first (§5 4.3); 5 has
	 * one SACKed above it, not lost, but nothing new waits: rule 3;
	 * then rule 4's rescue, the highest unSACKed segment: 5 again */
	k = peer_recv(&x, r, 32);
	CU_ASSERT_EQUAL_FATAL(k, 3);
	expect_seg(&r[0], sg[2], out + 1448, 1448);
	expect_seg(&r[1], sg[5], out + 4 * 1448, 1448);
	expect_seg(&r[2], sg[5], out + 4 * 1448, 1448);
	x.our = sg[7];
	send_seg(&x, ACK, NULL);
	run(&x);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->rto, 0);
	close_down(&x);
}

/* RFC 6675 §4 NextSeg rule 4: the last segment lost with nothing SACKed
 * above it; once the pipe leaves room, one rescue retransmission of it
 * (once a recovery), no RTO */
static void test_nextseg_rescue(void)
{
	struct tx x;
	struct pk r[32];
	static uint8_t out[8 * 1448];
	uint32_t sg[10], b[1][2];
	struct tg_tcp_conf cf = conf_default();
	unsigned k;

	cf.no_rack = true;
	up(&x, &cf);
	TG_ASSERT_OK(tg_tcp_listen(x.t, 80, NULL, NULL));
	accept_conn(&x, true, true);
	rack_burst(&x, out, 8, sg);
	/* 1 and 8 lost; 2..7 arrive one by one */
	b[0][0] = sg[2];
	for (unsigned i = 3; i <= 4; i++) {
		b[0][1] = sg[i];
		sack_ack(&x, sg[1], 1, b);
		CU_ASSERT_EQUAL(peer_recv(&x, r, 32), 0);
	}
	/* the third: 1 is lost, resent; cwnd 4 segments */
	b[0][1] = sg[5];
	sack_ack(&x, sg[1], 1, b);
	k = peer_recv(&x, r, 32);
	CU_ASSERT_EQUAL_FATAL(k, 1);
	expect_seg(&r[0], sg[1], out, 1448);
	/* pipe: the resent 1, 5..8, then 6..8 */
	b[0][1] = sg[6];
	sack_ack(&x, sg[1], 1, b);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 32), 0);
	/* 7..8 and 1: room for one; no lost byte, no new data, no hole
	 * below the SACKed: the rescue, the highest unSACKed segment, 8 */
	b[0][1] = sg[7];
	sack_ack(&x, sg[1], 1, b);
	k = peer_recv(&x, r, 32);
	CU_ASSERT_EQUAL_FATAL(k, 1);
	expect_seg(&r[0], sg[8], out + 7 * 1448, 1448);
	/* room again, but the rescue was this recovery's */
	b[0][1] = sg[8];
	sack_ack(&x, sg[1], 1, b);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 32), 0);
	x.our = sg[9];
	send_seg(&x, ACK, NULL);
	run(&x);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->rto, 0);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->retransmits, 2);
	close_down(&x);
}

/* RFC 5681 §4.2, RFC 2018 §4: an out-of-order segment gets an ACK of its
 * own, without data, with the SACK block, even with our data waiting to
 * go (that data would have carried the ACK instead: not a duplicate ACK
 * for the peer's count, and at a full MSS no room for blocks) */
static void test_ooo_ack_alone(void)
{
	struct tx x;
	struct pk r[8], p;
	static uint8_t out[1448];
	unsigned k;

	up_accepted(&x);
	memset(out, 'd', sizeof(out));
	/* a full segment of ours waits for the next round */
	CU_ASSERT_EQUAL(tg_tcp_send(x.c, out, sizeof(out)), (ssize_t)sizeof(out));
	/* the peer's second segment arrives, the first is missing */
	p = seg(&x, ACK, "bbbbbb");
	p.seq = x.pseq + 6;
	peer_send(&x, &p);
	run(&x);
	k = peer_recv(&x, r, 8);
	CU_ASSERT_EQUAL_FATAL(k, 2);
	CU_ASSERT_EQUAL(r[0].len, 0);
	CU_ASSERT_EQUAL(r[0].ack, x.pseq);
	CU_ASSERT_EQUAL_FATAL(r[0].n_sack, 1);
	CU_ASSERT_EQUAL(r[0].sack[0][0], x.pseq + 6);
	CU_ASSERT_EQUAL(r[0].sack[0][1], x.pseq + 12);
	CU_ASSERT_EQUAL(r[1].len, 1448);
	CU_ASSERT_EQUAL(r[1].seq, x.our);
	tg_tcp_abort(x.c);
	close_down(&x);
}

/* RFC 2018 §4: our ACKs carry SACK blocks for what waits out of order,
 * the block of the latest segment first */
static void test_sack_blocks(void)
{
	struct tx x;
	struct pk r[8], p1, p2, p3;

	up_accepted(&x);
	p1 = seg(&x, ACK, "aaaaaa");
	x.pseq += 6;
	p2 = seg(&x, ACK, "bbbbbb");
	x.pseq += 6;
	x.pseq += 6; /* a second hole */
	p3 = seg(&x, ACK, "dddddd");
	x.pseq += 6;
	peer_send(&x, &p2);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	CU_ASSERT_EQUAL(r[0].ack, p1.seq);
	CU_ASSERT_EQUAL_FATAL(r[0].n_sack, 1);
	CU_ASSERT_EQUAL(r[0].sack[0][0], p2.seq);
	CU_ASSERT_EQUAL(r[0].sack[0][1], p2.seq + 6);
	peer_send(&x, &p3);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	CU_ASSERT_EQUAL_FATAL(r[0].n_sack, 2);
	CU_ASSERT_EQUAL(r[0].sack[0][0], p3.seq);
	CU_ASSERT_EQUAL(r[0].sack[1][0], p2.seq);
	/* the first hole filled: one block left */
	peer_send(&x, &p1);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	CU_ASSERT_EQUAL(r[0].ack, p2.seq + 6);
	CU_ASSERT_EQUAL_FATAL(r[0].n_sack, 1);
	CU_ASSERT_EQUAL(r[0].sack[0][0], p3.seq);
	close_down(&x);
}

/* a peer segment sent again as a retransmission would be: a fresh TSval */
static void resend(struct tx *x, struct pk *p)
{
	p->tsval = ++x->ts;
	peer_send(x, p);
	run(x);
}

/* RFC 2883 §4: data received twice is reported in the first SACK block of
 * the ACK that answers it, once: below the cumulative ACK (a duplicate of
 * what was delivered, whole or in part) or inside the block that follows
 * (a duplicate of what waits out of order) */
static void test_dsack_receiver(void)
{
	struct tx x;
	struct pk r[8], p1, p2, p4, pp;
	char buf[64];
	struct iovec iov = { buf, sizeof(buf) };

	up_accepted(&x);
	p1 = seg(&x, ACK, "aaaaaa");
	x.pseq += 6;
	p2 = seg(&x, ACK, "bbbbbb");
	x.pseq += 12; /* "cccccc" missing */
	p4 = seg(&x, ACK, "dddddd");
	x.pseq += 6;
	peer_send(&x, &p1);
	run(&x);
	step(&x, 50); /* the delayed ACK */
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	CU_ASSERT_EQUAL(r[0].n_sack, 0);
	/* §4.1.1: p1 again, all below RCV.NXT */
	resend(&x, &p1);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	CU_ASSERT_EQUAL(r[0].ack, p1.seq + 6);
	CU_ASSERT_EQUAL_FATAL(r[0].n_sack, 1);
	CU_ASSERT_EQUAL(r[0].sack[0][0], p1.seq);
	CU_ASSERT_EQUAL(r[0].sack[0][1], p1.seq + 6);
	/* out of order: an ordinary block, the D-SACK went once */
	peer_send(&x, &p4);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	CU_ASSERT_EQUAL(r[0].ack, p2.seq);
	CU_ASSERT_EQUAL_FATAL(r[0].n_sack, 1);
	CU_ASSERT_EQUAL(r[0].sack[0][0], p4.seq);
	/* §4.1.3: p4 again: the D-SACK, then the block holding it */
	resend(&x, &p4);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	CU_ASSERT_EQUAL(r[0].ack, p2.seq);
	CU_ASSERT_EQUAL_FATAL(r[0].n_sack, 2);
	CU_ASSERT_EQUAL(r[0].sack[0][0], p4.seq);
	CU_ASSERT_EQUAL(r[0].sack[0][1], p4.seq + 6);
	CU_ASSERT_EQUAL(r[0].sack[1][0], p4.seq);
	CU_ASSERT_EQUAL(r[0].sack[1][1], p4.seq + 6);
	/* part old, part new: "aaabbbbbb" from p1's fourth byte; the
	 * ACK covers p2, the D-SACK the three old bytes */
	pp = seg(&x, ACK, "aaabbbbbb");
	pp.seq = p1.seq + 3;
	peer_send(&x, &pp);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	CU_ASSERT_EQUAL(r[0].ack, p2.seq + 6);
	CU_ASSERT_EQUAL_FATAL(r[0].n_sack, 2);
	CU_ASSERT_EQUAL(r[0].sack[0][0], p1.seq + 3);
	CU_ASSERT_EQUAL(r[0].sack[0][1], p2.seq);
	CU_ASSERT_EQUAL(r[0].sack[1][0], p4.seq);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->dsack_out, 3);
	CU_ASSERT_EQUAL(tg_tcp_recv(x.c, &iov, 1), 12);
	CU_ASSERT_EQUAL(memcmp(buf, "aaaaaabbbbbb", 12), 0);
	close_down(&x);
}

/* the peer's ACK with a D-SACK of [l, r): its first block, below @p ack */
static void dsack_ack(struct tx *x, uint32_t ack, uint32_t l, uint32_t r)
{
	uint32_t b[1][2] = { { l, r } };

	sack_ack(x, ack, 1, b);
}

/* RFC 8985 §6.2 step 4: two segments, the second SACKed an RTT (20 ms)
 * later: the first is lost @p wait_ms after that, not a millisecond
 * before; resent, then both acknowledged (the recovery ends; its window,
 * 2 MSS, still sends two) */
static void rack_reo_round_d(struct tx *x, unsigned wait_ms, bool dsack)
{
	static uint8_t out[2 * 1448];
	struct pk r[32];
	uint32_t sg[4], b[1][2];

	rack_burst(x, out, 2, sg);
	step(x, 20);
	b[0][0] = sg[2];
	b[0][1] = sg[3];
	sack_ack(x, sg[1], 1, b);
	for (unsigned ms = 1; ms < wait_ms; ms++) {
		step(x, 1);
		CU_ASSERT_EQUAL_FATAL(peer_recv(x, r, 32), 0);
	}
	step(x, 1);
	CU_ASSERT_EQUAL_FATAL(peer_recv(x, r, 32), 1);
	expect_seg(&r[0], sg[1], out, 1448);
	/* its ACK an RTT later: the timestamps' sample keeps SRTT at 20 ms
	 * (the window is at most SRTT) */
	step(x, 20);
	if (dsack) {
		/* the original came too: the ACK D-SACKs the retransmission */
		dsack_ack(x, sg[3], sg[1], sg[2]);
		return;
	}
	x->our = sg[3];
	send_seg(x, ACK, NULL);
	run(x);
}

static void rack_reo_round(struct tx *x, unsigned wait_ms)
{
	rack_reo_round_d(x, wait_ms, false);
}

/* RFC 8985 §6.2 step 4: a D-SACK (a retransmission that was not needed)
 * widens the reordering window by min_RTT / 4, once per round trip, for
 * the next 16 recoveries without one; then it is min_RTT / 4 again */
static void test_rack_dsack_reo_wnd(void)
{
	static uint8_t out[2 * 1448];
	struct tx x;
	struct pk r[32];
	struct tg_tcp_info in;
	uint32_t sg[4];

	up_warm(&x);
	rack_reo_round(&x, 5);
	/* two D-SACKs while two segments are out, one round trip: the
	 * window grows once */
	rack_burst(&x, out, 2, sg);
	step(&x, 20);
	dsack_ack(&x, sg[1], sg[1] - 1448, sg[1]);
	dsack_ack(&x, sg[1], sg[1] - 1448, sg[1]);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->dsack_in, 2);
	x.our = sg[3];
	send_seg(&x, ACK, NULL);
	run(&x);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 32), 0);
	for (unsigned i = 0; i < 16; i++)
		rack_reo_round(&x, 10);
	rack_reo_round(&x, 5);
	tg_tcp_info(x.c, &in);
	CU_ASSERT_EQUAL(in.unacked, 0);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->rto, 0);
	close_down(&x);
}

/* RFC 2883 §4: a D-SACK goes in the first ACK that has room for it. Our
 * full-MSS data segment carrying the ACK has none (RFC 2018 §4: the
 * blocks must fit the MTU): the duplicate's D-SACK goes in an ACK of its
 * own at once, not in whatever ACK comes next (where it would answer
 * another segment, RFC 2883 §4: the most recent packet) */
static void test_dsack_no_room(void)
{
	struct tx x;
	struct pk r[8], p1;
	static uint8_t out[1448];
	unsigned k, found = 0;

	up_accepted(&x);
	p1 = seg(&x, ACK, "aaaaaa");
	x.pseq += 6;
	peer_send(&x, &p1);
	run(&x);
	step(&x, 50);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	memset(out, 'd', sizeof(out));
	/* a full segment of ours waits for the next round */
	CU_ASSERT_EQUAL(tg_tcp_send(x.c, out, sizeof(out)), (ssize_t)sizeof(out));
	resend(&x, &p1);
	k = peer_recv(&x, r, 8);
	for (unsigned i = 0; i < k; i++)
		if (r[i].n_sack > 0 && r[i].sack[0][0] == p1.seq &&
		    r[i].sack[0][1] == p1.seq + 6)
			found++;
	CU_ASSERT_EQUAL(found, 1);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->dsack_out, 1);
	tg_tcp_abort(x.c);
	close_down(&x);
}


/* RFC 2883 §4: a D-SACK whose ACK found no mbuf is not gone: it goes
 * when the next segment comes (and is counted once, when it goes) */
static void test_dsack_no_mbuf(void)
{
	struct tx x;
	struct pk r[8], p1;
	struct rte_mempool *mp;
	static struct rte_mbuf *held[8192];
	unsigned n = 0, k;

	up_accepted(&x);
	p1 = seg(&x, ACK, "aaaaaa");
	x.pseq += 6;
	peer_send(&x, &p1);
	run(&x);
	step(&x, 50);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	mp = tg_net_pool(x.n.n[A][0]);
	while (rte_mempool_avail_count(mp) > 0 && n < RTE_DIM(held))
		held[n++] = rte_pktmbuf_alloc(mp);
	resend(&x, &p1);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 8), 0);
	CU_ASSERT(tg_tcp_stats(x.t)->no_mbuf > 0);
	for (unsigned i = 0; i < n; i++)
		rte_pktmbuf_free(held[i]);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->dsack_out, 0);
	/* the next segment: the D-SACK goes first, in an ACK of its own
	 * (the one that answers the duplicate), then this one's */
	send_seg(&x, ACK, "bbbbbb");
	run(&x);
	step(&x, 50);
	k = peer_recv(&x, r, 8);
	CU_ASSERT_EQUAL_FATAL(k, 2);
	CU_ASSERT_EQUAL(r[0].ack, p1.seq + 6);
	CU_ASSERT_EQUAL_FATAL(r[0].n_sack, 1);
	CU_ASSERT_EQUAL(r[0].sack[0][0], p1.seq);
	CU_ASSERT_EQUAL(r[0].sack[0][1], p1.seq + 6);
	CU_ASSERT_EQUAL(r[1].ack, x.pseq);
	CU_ASSERT_EQUAL(r[1].n_sack, 0);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->dsack_out, 1);
	close_down(&x);
}


/* RFC 8985 §7.2 with a floor: at an SRTT of 1 ms, 2 SRTT + 2 ms would be
 * 4 ms; the probe the ACK of the first of three segments arms (two out)
 * waits TG_PTO_MIN_MS (10 ms), not a tick less */
static void test_tlp_pto_floor(void)
{
	static uint8_t out[3 * 1448];
	struct tx x;
	struct pk r[32];
	struct tg_tcp_info in;
	uint32_t sg[5];
	unsigned k;

	up_accepted(&x);
	rack_warm(&x, 1, 24);
	tg_tcp_info(x.c, &in);
	CU_ASSERT(in.srtt_us <= 1500);
	rack_burst(&x, out, 3, sg);
	step(&x, 1);
	x.our = sg[2];
	send_seg(&x, ACK, NULL);
	run(&x);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 32), 0);
	for (unsigned ms = 1; ms < TG_PTO_MIN_MS; ms++) {
		step(&x, 1);
		CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 32), 0);
	}
	step(&x, 1);
	k = peer_recv(&x, r, 32);
	CU_ASSERT_EQUAL_FATAL(k, 1);
	/* nothing new to send: the last segment again */
	expect_seg(&r[0], sg[3], out + 2 * 1448, 1448);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->tlp, 1);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->rto, 0);
	x.our = sg[4];
	send_seg(&x, ACK, NULL);
	run(&x);
	(void)peer_recv(&x, r, 32);
	close_down(&x);
}

/* RFC 8985 §7.4.2: only a D-SACK of the probe itself says the original
 * came too. One above the cumulative ACK (RFC 2883 §4.1.3: a duplicate
 * inside the second block, data sent after the probe) says nothing of
 * it: the probe repaired a loss, the ACK past it takes the window down */
static void test_tlp_dsack_other(void)
{
	struct tx x;
	struct pk r[32];
	static uint8_t out[4 * 1448];
	uint32_t sg[4], b[2][2], s3, s4, s5;
	struct tg_tcp_info in;
	unsigned k, pto;

	up_warm(&x);
	rack_burst(&x, out, 2, sg);
	step(&x, 20);
	x.our = sg[2];
	send_seg(&x, ACK, NULL); /* 1 came, 2 is lost */
	run(&x);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 32), 0);
	tg_tcp_info(x.c, &in);
	pto = (2 * in.srtt_us + 200000 + 999) / 1000;
	pto = RTE_MIN(pto, in.rto_ms);
	for (unsigned ms = 0; ms < pto + 5 && (k = peer_recv(&x, r, 32)) == 0; ms++)
		step(&x, 1);
	CU_ASSERT_EQUAL_FATAL(k, 1);
	expect_seg(&r[0], sg[2], out + 1448, 1448);
	CU_ASSERT_EQUAL_FATAL(tg_tcp_stats(x.t)->tlp, 1);
	/* two new segments after the probe */
	s3 = sg[3];
	s4 = s3 + 1448;
	s5 = s4 + 1448;
	CU_ASSERT_EQUAL(tg_tcp_send(x.c, out, 2 * 1448), 2 * 1448);
	tg_tcp_flush(x.t);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 32), 2);
	step(&x, 20);
	/* the probe came (the ACK reaches its end); 3 is missing, 4 came
	 * twice: a D-SACK of 4 and its block */
	b[0][0] = s4;
	b[0][1] = s5;
	b[1][0] = s4;
	b[1][1] = s5;
	sack_ack(&x, s3, 2, b);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->dsack_in, 1);
	/* 3 came late: all acknowledged, past the probe */
	x.our = s5;
	send_seg(&x, ACK, NULL);
	run(&x);
	(void)peer_recv(&x, r, 32);
	tg_tcp_info(x.c, &in);
	CU_ASSERT_EQUAL(in.unacked, 0);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->tlp_recovered, 1);
	close_down(&x);
}


/* RFC 8985 §6.2 step 4: once per round trip, also when the D-SACKs come
 * after everything was acknowledged (the round ends with an ACK of data
 * sent after the window grew, not at once because SND.UNA already
 * equals SND.NXT) */
static void test_rack_dsack_round_idle(void)
{
	static uint8_t out[2 * 1448];
	struct tx x;
	struct pk r[32];
	struct tg_tcp_info in;
	uint32_t sg[4];

	up_warm(&x);
	rack_reo_round(&x, 5);
	rack_burst(&x, out, 2, sg);
	step(&x, 20);
	x.our = sg[3];
	send_seg(&x, ACK, NULL);
	run(&x);
	/* both segments' (spurious) retransmissions arrive: two D-SACKs,
	 * back to back, nothing outstanding */
	dsack_ack(&x, sg[3], sg[1], sg[2]);
	dsack_ack(&x, sg[3], sg[2], sg[3]);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->dsack_in, 2);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 32), 0);
	/* grown once: min_RTT / 4 times 2 */
	rack_reo_round(&x, 10);
	tg_tcp_info(x.c, &in);
	CU_ASSERT_EQUAL(in.unacked, 0);
	close_down(&x);
}


/* RFC 8985 §6.2 step 4: the ACK that ends the 16th recovery carries a
 * D-SACK (the retransmission was not needed): the window grows from
 * where it is (reo_wnd_mult + 1, persist 16 again); the recovery's count
 * is for recoveries without one ("Else if exiting ... recovery") */
static void test_rack_dsack_at_recovery_end(void)
{
	static uint8_t out[2 * 1448];
	struct tx x;
	struct pk r[32];
	struct tg_tcp_info in;
	uint32_t sg[4];

	up_warm(&x);
	rack_reo_round(&x, 5);
	rack_burst(&x, out, 2, sg);
	step(&x, 20);
	dsack_ack(&x, sg[1], sg[1] - 1448, sg[1]);
	x.our = sg[3];
	send_seg(&x, ACK, NULL);
	run(&x);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 32), 0);
	for (unsigned i = 0; i < 15; i++)
		rack_reo_round(&x, 10);
	/* the 16th: its retransmission D-SACKed by the ACK that ends it */
	rack_reo_round_d(&x, 10, true);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->dsack_in, 2);
	rack_reo_round(&x, 15);
	tg_tcp_info(x.c, &in);
	CU_ASSERT_EQUAL(in.unacked, 0);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->rto, 0);
	close_down(&x);
}

/* RFC 8985 §6.2 step 4: an RTO recovery's end is one of the 16 without a
 * D-SACK too ("exiting Fast or RTO recovery"): grown once, then 15 fast
 * recoveries and one after a timeout, the window is min_RTT / 4 again */
static void test_rack_dsack_rto_recovery(void)
{
	static uint8_t out[2 * 1448];
	struct tx x;
	struct pk r[32];
	struct tg_tcp_info in;
	uint32_t sg[4];
	char w[101];

	up_warm(&x);
	rack_reo_round(&x, 5);
	rack_burst(&x, out, 2, sg);
	step(&x, 20);
	dsack_ack(&x, sg[1], sg[1] - 1448, sg[1]);
	x.our = sg[3];
	send_seg(&x, ACK, NULL);
	run(&x);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 32), 0);
	for (unsigned i = 0; i < 15; i++)
		rack_reo_round(&x, 10);
	/* a segment whose ACKs are all lost: the probe, then the RTO */
	memset(w, 'w', 100);
	w[100] = 0;
	CU_ASSERT_EQUAL(tg_tcp_send(x.c, w, 100), 100);
	for (unsigned ms = 0; ms < 3000 && tg_tcp_stats(x.t)->rto == 0; ms++) {
		step(&x, 1);
		(void)peer_recv(&x, r, 32);
	}
	CU_ASSERT_EQUAL_FATAL(tg_tcp_stats(x.t)->rto, 1);
	step(&x, 20);
	(void)peer_recv(&x, r, 32);
	x.our += 100;
	send_seg(&x, ACK, NULL);
	run(&x);
	/* the window back up to two segments (slow start), as before */
	rack_warm(&x, 20, 40);
	rack_reo_round(&x, 5);
	tg_tcp_info(x.c, &in);
	CU_ASSERT_EQUAL(in.unacked, 0);
	close_down(&x);
}

/* RFC 2883 §4: the block that holds a D-SACK's bytes above the ACK comes
 * second, also when the rest of the segment (before the block) found the
 * out-of-order queue full and was dropped */
static void test_dsack_ooo_full(void)
{
	struct tg_tcp_conf cc = conf_default();
	struct tx x;
	struct pk r[8], pa, pb, ps;
	uint32_t base;

	up(&x, NULL);
	cc.ooo_max = 2u * rte_pktmbuf_data_room_size(tg_net_pool(x.n.n[A][0]));
	down(&x);
	up(&x, &cc);
	TG_ASSERT_OK(tg_tcp_listen(x.t, 80, NULL, NULL));
	accept_conn(&x, true, true);
	base = x.pseq;
	x.pseq = base + 12;
	pa = seg(&x, ACK, "cccccc");
	x.pseq = base + 24;
	pb = seg(&x, ACK, "eeeeee");
	x.pseq = base + 8;
	ps = seg(&x, ACK, "bbbbcc");
	x.pseq = base;
	peer_send(&x, &pa);
	run(&x);
	peer_send(&x, &pb);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 2);
	/* [8, 12) has no room; [12, 14) was held: the D-SACK, then its
	 * block, then the other */
	peer_send(&x, &ps);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	CU_ASSERT(tg_tcp_stats(x.t)->ooo_drop > 0);
	CU_ASSERT_EQUAL(r[0].ack, base);
	CU_ASSERT_EQUAL_FATAL(r[0].n_sack, 3);
	CU_ASSERT_EQUAL(r[0].sack[0][0], base + 12);
	CU_ASSERT_EQUAL(r[0].sack[0][1], base + 14);
	CU_ASSERT_EQUAL(r[0].sack[1][0], base + 12);
	CU_ASSERT_EQUAL(r[0].sack[1][1], base + 18);
	CU_ASSERT_EQUAL(r[0].sack[2][0], base + 24);
	tg_tcp_abort(x.c);
	close_down(&x);
}

/* RFC 2883 §4: each duplicate segment's D-SACK goes once, in the ACK that
 * answers it: two duplicates in one receive burst (our ACKs go when the
 * burst is done) get two ACKs, the first's D-SACK not overwritten by the
 * second's */
static void test_dsack_burst(void)
{
	struct tx x;
	struct pk r[8], p1, p2;

	up_accepted(&x);
	p1 = seg(&x, ACK, "aaaaaa");
	x.pseq += 6;
	p2 = seg(&x, ACK, "bbbbbb");
	x.pseq += 6;
	peer_send(&x, &p1);
	peer_send(&x, &p2);
	run(&x);
	step(&x, 50);
	(void)peer_recv(&x, r, 8);
	p1.tsval = ++x.ts;
	p2.tsval = ++x.ts;
	peer_send(&x, &p1);
	peer_send(&x, &p2);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 2);
	CU_ASSERT_EQUAL_FATAL(r[0].n_sack, 1);
	CU_ASSERT_EQUAL(r[0].sack[0][0], p1.seq);
	CU_ASSERT_EQUAL(r[0].sack[0][1], p1.seq + 6);
	CU_ASSERT_EQUAL_FATAL(r[1].n_sack, 1);
	CU_ASSERT_EQUAL(r[1].sack[0][0], p2.seq);
	CU_ASSERT_EQUAL(r[1].sack[0][1], p2.seq + 6);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->dsack_out, 2);
	close_down(&x);
}

/* RFC 2883 §4.1.1 at the edges: a duplicate across the wrap of the
 * sequence space; one PAWS drops (old TSval, data below RCV.NXT: a
 * retransmission whose original came); keep-alives below RCV.NXT (none
 * without data, Linux's; its byte, BSD's); a RST and data past the window
 * report nothing */
static void test_dsack_edges(void)
{
	struct tx x;
	struct pk r[8], p1, p2, p;

	up(&x, NULL);
	x.pseq = 0xfffffff0u;
	TG_ASSERT_OK(tg_tcp_listen(x.t, 80, NULL, NULL));
	accept_conn(&x, true, true);
	p1 = seg(&x, ACK, "aaaaaaaaaaaa");
	x.pseq += 12;
	p2 = seg(&x, ACK, "bbbbbbbbbbbb"); /* 0xfffffffd .. 0x9 */
	x.pseq += 12;
	peer_send(&x, &p1);
	peer_send(&x, &p2);
	run(&x);
	step(&x, 50);
	(void)peer_recv(&x, r, 8);
	CU_ASSERT_EQUAL(x.pseq, 9u);
	resend(&x, &p2);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	CU_ASSERT_EQUAL(r[0].ack, 9u);
	CU_ASSERT_EQUAL_FATAL(r[0].n_sack, 1);
	CU_ASSERT_EQUAL(r[0].sack[0][0], 0xfffffffdu);
	CU_ASSERT_EQUAL(r[0].sack[0][1], 9u);
	/* PAWS: an old TSval on p1 again */
	p1.tsval = 10;
	peer_send(&x, &p1);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	CU_ASSERT_EQUAL_FATAL(r[0].n_sack, 1);
	CU_ASSERT_EQUAL(r[0].sack[0][0], p1.seq);
	CU_ASSERT_EQUAL(r[0].sack[0][1], p1.seq + 12);
	/* Linux's keep-alive: no data, no D-SACK */
	p = seg(&x, ACK, NULL);
	p.seq = x.pseq - 1;
	peer_send(&x, &p);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	CU_ASSERT_EQUAL(r[0].n_sack, 0);
	/* BSD's: one byte, the last one taken, come again */
	p = seg(&x, ACK, "b");
	p.seq = x.pseq - 1;
	peer_send(&x, &p);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	CU_ASSERT_EQUAL_FATAL(r[0].n_sack, 1);
	CU_ASSERT_EQUAL(r[0].sack[0][0], x.pseq - 1);
	CU_ASSERT_EQUAL(r[0].sack[0][1], x.pseq);
	/* a RST with old data: nothing */
	p = seg(&x, RST | ACK, "aaaa");
	p.seq = p1.seq;
	peer_send(&x, &p);
	run(&x);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 8), 0);
	/* past the window: an ACK, no D-SACK */
	p = seg(&x, ACK, "zzzz");
	p.seq = x.pseq + 0x40000000u;
	peer_send(&x, &p);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	CU_ASSERT_EQUAL(r[0].n_sack, 0);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->dsack_out, 3);
	close_down(&x);
}

/* RFC 8985 §6.2 step 4 grows the window on a D-SACK as the sign of a
 * retransmission that was not needed (RFC 3708 §3): one of data we never
 * resent is the network's duplicate, no reordering (Linux skips a D-SACK
 * while the segments D-SACKed outnumber those resent): the window stays */
static void test_rack_dsack_not_resent(void)
{
	struct tx x;
	struct tg_tcp_info in;

	up_warm(&x);
	tg_tcp_info(x.c, &in);
	CU_ASSERT_EQUAL_FATAL(in.retransmits, 0);
	/* the last 100 bytes came twice: duplicated on the way */
	dsack_ack(&x, x.our, x.our - 100, x.our);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->dsack_in, 1);
	rack_reo_round(&x, 5);
	tg_tcp_info(x.c, &in);
	CU_ASSERT_EQUAL(in.unacked, 0);
	close_down(&x);
}

/* ---- undoing a spurious response (RFC 3708 with D-SACK, RFC 4015) ----------------------------- */

/* up_warm() with a configuration */
static void up_warm_conf(struct tx *x, const struct tg_tcp_conf *cc)
{
	up(x, cc);
	TG_ASSERT_OK(tg_tcp_listen(x->t, 80, NULL, NULL));
	accept_conn(x, true, true);
	rack_warm(x, 20, 24);
}

/* responses undone so far, and the window and ssthresh now (a macro, so
 * that a failure names the test's line) */
#define ASSERT_UNDO(x, undos, cwnd_want, ssthresh_want)                        \
	do {                                                                   \
		CU_ASSERT_EQUAL(tg_tcp_stats((x).t)->dsack_undo, (undos));     \
		CU_ASSERT_EQUAL((x).c->cwnd, (cwnd_want));                     \
		CU_ASSERT_EQUAL((x).c->ssthresh, (ssthresh_want));             \
	} while (0)

/* two segments, the second SACKed an RTT later: the first is resent when
 * RACK's window has passed (a recovery); its ACK an RTT after, D-SACKing
 * the retransmission when @p dsack (the original came too), else just
 * acknowledging both */
static void undo_round(struct tx *x, uint32_t *sg, bool dsack)
{
	static uint8_t out[2 * 1448];
	struct pk r[32];
	uint32_t b[1][2];
	unsigned k = 0;

	rack_burst(x, out, 2, sg);
	step(x, 20);
	b[0][0] = sg[2];
	b[0][1] = sg[3];
	sack_ack(x, sg[1], 1, b);
	for (unsigned ms = 0; ms < 60 && (k = peer_recv(x, r, 32)) == 0; ms++)
		step(x, 1);
	CU_ASSERT_EQUAL_FATAL(k, 1);
	expect_seg(&r[0], sg[1], out, 1448);
	step(x, 20);
	if (dsack) {
		dsack_ack(x, sg[3], sg[1], sg[2]);
		return;
	}
	x->our = sg[3];
	send_seg(x, ACK, NULL);
	run(x);
}

/* RFC 3708 §2 / RFC 4015: the one retransmission of a fast recovery
 * D-SACKed after the recovery ended, or on the ACK that ends it: cwnd
 * and ssthresh are what they were before it, exactly */
static void test_undo_fast(void)
{
	struct tx x;
	uint32_t sg[4], cwnd0, ssthresh0;

	up_warm(&x);
	cwnd0 = x.c->cwnd;
	ssthresh0 = x.c->ssthresh;
	CU_ASSERT(cwnd0 > 4 * 1448u);
	undo_round(&x, sg, false);
	/* RFC 6675 §5 step 4: max(FlightSize / 2, 2 SMSS) */
	CU_ASSERT_EQUAL(x.c->ssthresh, 2 * 1448u);
	CU_ASSERT_EQUAL(x.c->cwnd, 2 * 1448u);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->dsack_undo, 0);
	/* the retransmission arrives after its original: D-SACKed */
	dsack_ack(&x, sg[3], sg[1], sg[2]);
	ASSERT_UNDO(x, 1, cwnd0, ssthresh0);
	/* a second one whose D-SACK rides on the ACK that ends it */
	undo_round(&x, sg, true);
	ASSERT_UNDO(x, 2, cwnd0, ssthresh0);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->rto, 0);
	close_down(&x);
}

/* No undo while any retransmission may have been needed: of two resent,
 * one D-SACKed (its ACK duplicated on the way: the same D-SACK twice),
 * with a D-SACK of data never resent (the network's duplicate); the
 * other's D-SACK only after data sent after the recovery was
 * acknowledged, or an RTO after the recovery's end: too late. Then a
 * recovery whose retransmission is D-SACKed in time is undone. */
static void test_undo_needed(void)
{
	struct tx x;
	struct pk r[32];
	static uint8_t out[3 * 1448];
	uint32_t sg[5], nw[3], b[1][2], cwnd_r, ssthresh_r;
	unsigned k;

	up_warm(&x);
	rack_burst(&x, out, 3, sg);
	step(&x, 20);
	b[0][0] = sg[3];
	b[0][1] = sg[4];
	sack_ack(&x, sg[1], 1, b);
	step(&x, 5);
	k = peer_recv(&x, r, 32);
	CU_ASSERT_EQUAL_FATAL(k, 2);
	expect_seg(&r[0], sg[1], out, 1448);
	expect_seg(&r[1], sg[2], out + 1448, 1448);
	step(&x, 20);
	x.our = sg[4];
	send_seg(&x, ACK, NULL);
	run(&x);
	cwnd_r = x.c->cwnd;
	ssthresh_r = x.c->ssthresh;
	CU_ASSERT_EQUAL(ssthresh_r, 2 * 1448u);
	dsack_ack(&x, sg[4], sg[1], sg[2]);
	dsack_ack(&x, sg[4], sg[1], sg[2]);
	dsack_ack(&x, sg[4], sg[3], sg[4]);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->dsack_in, 3);
	ASSERT_UNDO(x, 0, cwnd_r, ssthresh_r);
	/* new data acknowledged, then the second one's D-SACK */
	rack_burst(&x, out, 1, nw);
	step(&x, 20);
	x.our = nw[2];
	send_seg(&x, ACK, NULL);
	run(&x);
	dsack_ack(&x, nw[2], sg[2], sg[3]);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->dsack_undo, 0);
	CU_ASSERT_EQUAL(x.c->ssthresh, ssthresh_r);
	CU_ASSERT(x.c->cwnd < 4 * 1448u);
	/* a recovery whose D-SACK comes an RTO after its end */
	undo_round(&x, sg, false);
	cwnd_r = x.c->cwnd;
	ssthresh_r = x.c->ssthresh;
	step(&x, tg_tcp_cur_rto(x.c) + 1);
	dsack_ack(&x, sg[3], sg[1], sg[2]);
	ASSERT_UNDO(x, 0, cwnd_r, ssthresh_r);
	/* in time: undone (the window before that recovery, 2 SMSS, is
	 * the one after it: test_undo_fast has the values) */
	cwnd_r = x.c->cwnd;
	ssthresh_r = x.c->ssthresh;
	undo_round(&x, sg, false);
	dsack_ack(&x, sg[3], sg[1], sg[2]);
	ASSERT_UNDO(x, 1, cwnd_r, ssthresh_r);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->rto, 0);
	close_down(&x);
}

/* A D-SACK of data never resent is the network's duplicate (RFC 3708
 * §3): it does not stand for the retransmission's; the retransmission's
 * own D-SACK undoes */
static void test_undo_network_dup(void)
{
	struct tx x;
	uint32_t sg[4], cwnd0, ssthresh0;

	up_warm(&x);
	cwnd0 = x.c->cwnd;
	ssthresh0 = x.c->ssthresh;
	undo_round(&x, sg, false);
	/* the second segment (sent once) came twice */
	dsack_ack(&x, sg[3], sg[2], sg[3]);
	ASSERT_UNDO(x, 0, 2 * 1448u, 2 * 1448u);
	dsack_ack(&x, sg[3], sg[1], sg[2]);
	ASSERT_UNDO(x, 1, cwnd0, ssthresh0);
	close_down(&x);
}

/* A spurious timeout (RFC 4015 with D-SACK): both segments' ACK comes
 * after the RTO resent the first; its D-SACK then gives back the window
 * and ssthresh from before the timeout (no RACK: no probe first) */
static void test_undo_rto(void)
{
	struct tg_tcp_conf cc = conf_default();
	static uint8_t out[2 * 1448];
	struct tx x;
	struct pk r[32];
	uint32_t sg[4], cwnd0, ssthresh0;
	unsigned k = 0;

	cc.no_rack = true;
	up_warm_conf(&x, &cc);
	cwnd0 = x.c->cwnd;
	ssthresh0 = x.c->ssthresh;
	rack_burst(&x, out, 2, sg);
	for (unsigned ms = 0; ms < 2000 && (k = peer_recv(&x, r, 32)) == 0; ms++)
		step(&x, 1);
	CU_ASSERT_EQUAL_FATAL(k, 1);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->rto, 1);
	expect_seg(&r[0], sg[1], out, 1448);
	CU_ASSERT_EQUAL(x.c->cwnd, 1448u);
	CU_ASSERT_EQUAL(x.c->ssthresh, 2 * 1448u);
	/* the originals' ACK, late; then the retransmission's D-SACK */
	x.our = sg[3];
	send_seg(&x, ACK, NULL);
	run(&x);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->dsack_undo, 0);
	dsack_ack(&x, sg[3], sg[1], sg[2]);
	ASSERT_UNDO(x, 1, cwnd0, ssthresh0);
	close_down(&x);
}

/* CUBIC (RFC 9438): after a real loss and some growth on the curve, a
 * spurious recovery undone brings back W_max, K and the epoch with the
 * window */
static void test_undo_cubic(void)
{
	struct tg_tcp_conf cc = conf_default();
	struct tx x;
	struct tg_cubic cu0;
	uint32_t sg[4], cwnd0, ssthresh0;

	cc.cc = TG_TCP_CC_CUBIC;
	up_warm_conf(&x, &cc);
	undo_round(&x, sg, false);
	rack_warm(&x, 20, 8);
	CU_ASSERT(x.c->cubic.w_max > 0);
	CU_ASSERT(x.c->cubic.epoch_ms != 0);
	cu0 = x.c->cubic;
	cwnd0 = x.c->cwnd;
	ssthresh0 = x.c->ssthresh;
	undo_round(&x, sg, true);
	ASSERT_UNDO(x, 1, cwnd0, ssthresh0);
	CU_ASSERT_EQUAL(x.c->cubic.w_max, cu0.w_max);
	CU_ASSERT_EQUAL(x.c->cubic.k_ms, cu0.k_ms);
	CU_ASSERT_EQUAL(x.c->cubic.epoch_ms, cu0.epoch_ms);
	CU_ASSERT_EQUAL(x.c->cubic.cwnd_prior, cu0.cwnd_prior);
	close_down(&x);
}

/* Our frames since the last call, flat (a chain linearized); @p chained
 * counts those that came as chains. */
static unsigned peer_recv_raw(struct tx *x, struct rte_mbuf **m, unsigned cap,
			      unsigned *chained)
{
	unsigned k = tn_take(&x->n, A, m, cap);

	for (unsigned i = 0; i < k; i++) {
		if (m[i]->nb_segs > 1) {
			(*chained)++;
			CU_ASSERT_EQUAL_FATAL(rte_pktmbuf_linearize(m[i]), 0);
		}
	}
	return k;
}

/* A data segment goes out as its headers chained to slices of the send
 * buffer. The impairment layer corrupts each of the first flight: it
 * must copy the frame and flip the bit in the copy, never in the send
 * buffer the slices share, so the retransmissions after the timeout
 * carry the original bytes (the first flight's frames, copies and
 * slices, are all freed by then). Segment 2 spans two of the send
 * buffer's mbufs. */
static void test_retransmit_after_corruption(void)
{
	struct tg_net_impair_conf ic;
	struct tx x;
	struct rte_mbuf *m[32];
	struct pk r;
	static uint8_t out[5000];
	struct tg_imp *imp;
	uint32_t base, got = 0;
	unsigned k, chained = 0;
	struct tg_tcp_conf cf = conf_default();

	cf.no_rack = true; /* the timeout, not a loss probe in its place */
	/* on, but harmless until the test sets corruption: a rate far
	 * above what the test sends */
	memset(&ic, 0, sizeof(ic));
	ic.seed = 3;
	ic.dir[TG_NET_TX].rate_bps = 100000000000ULL;
	up_imp(&x, &cf, &ic);
	imp = x.n.n[A][0]->imp[TG_NET_TX];
	CU_ASSERT_PTR_NOT_NULL_FATAL(imp);
	CU_ASSERT_EQUAL(tg_net_tx_chain_min(x.n.n[A][0]), 512); /* net_ring takes chains */
	TG_ASSERT_OK(tg_tcp_listen(x.t, 80, NULL, NULL));
	accept_conn(&x, true, true);
	base = x.our;
	tg_test_fill(out, sizeof(out));
	imp->c.corrupt_ppm = 1000000;
	CU_ASSERT_EQUAL(tg_tcp_send(x.c, out, sizeof(out)), (ssize_t)sizeof(out));
	run(&x);
	/* 1448 x 3 + 656: every one copied, a bit flipped in the copy */
	k = peer_recv_raw(&x, m, 32, &chained);
	CU_ASSERT_EQUAL(k, 4);
	CU_ASSERT_EQUAL(chained, 0);
	CU_ASSERT_EQUAL(x.n.n[A][0]->st.imp_corrupt[TG_NET_TX], 4);
	for (unsigned i = 0; i < k; i++) {
		struct rte_ipv4_hdr *ip = tn_ip(m[i]);

		CU_ASSERT_PTR_NOT_NULL_FATAL(ip);
		CU_ASSERT(rte_raw_cksum(ip, 20) != 0xffff ||
			  rte_ipv4_udptcp_cksum_verify(ip, (const uint8_t *)ip + 20) != 0);
	}
	tn_free(m, k);
	imp->c.corrupt_ppm = 0;
	/* the timeout (the 200 ms floor): segment 1 again; each ACK of
	 * the peer lets the next ones go (slow start from one segment) */
	step(&x, 210);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->rto, 1);
	for (int round = 0; round < 4 && got < sizeof(out); round++) {
		k = peer_recv_raw(&x, m, 32, &chained);
		CU_ASSERT_FATAL(k > 0);
		for (unsigned i = 0; i < k; i++) {
			parse(m[i], &r);
			CU_ASSERT_EQUAL_FATAL(r.seq, base + got);
			CU_ASSERT_FATAL(r.len > 0 && got + r.len <= sizeof(out));
			CU_ASSERT_EQUAL(memcmp(r.data, out + got, r.len), 0);
			got += r.len;
		}
		tn_free(m, k);
		x.our = base + got;
		send_seg(&x, ACK, NULL);
		run(&x);
	}
	CU_ASSERT_EQUAL(got, sizeof(out));
	CU_ASSERT_EQUAL(chained, 4); /* all four again, each as a chain */
	down(&x); /* every mbuf back in its pool: no reference left behind */
}

static void test_out_of_order(void)
{
	struct tx x;
	struct pk r[8], p1, p2;
	char buf[64];
	struct iovec iov = { buf, sizeof(buf) };

	up_accepted(&x);
	p1 = seg(&x, ACK, "first-");
	x.pseq += 6;
	p2 = seg(&x, ACK, "second");
	x.pseq += 6;
	/* the second first: a duplicate ACK at once for the hole */
	peer_send(&x, &p2);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	CU_ASSERT_EQUAL(r[0].ack, p1.seq);
	CU_ASSERT_EQUAL(tg_tcp_recv(x.c, &iov, 1), -EAGAIN);
	/* the hole filled: one ACK for both, at once; read in order */
	peer_send(&x, &p1);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	CU_ASSERT_EQUAL(r[0].ack, x.pseq);
	CU_ASSERT_EQUAL(tg_tcp_recv(x.c, &iov, 1), 12);
	CU_ASSERT_EQUAL(memcmp(buf, "first-second", 12), 0);
	/* an old duplicate: an ACK, nothing delivered */
	peer_send(&x, &p1);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	CU_ASSERT_EQUAL(r[0].ack, x.pseq);
	CU_ASSERT_EQUAL(tg_tcp_recv(x.c, &iov, 1), -EAGAIN);
	close_down(&x);
}

/* tg_tcp_peek/consume, the flow engine's in-place path: the bytes peeked
 * stay where they are, as the engine left them (records are opened in
 * place and may still be in an asynchronous crypto queue), while more
 * arrive behind them (small segments copied into the last buffer's room,
 * out-of-order ones joined), through a reset, until they are consumed. */
static void test_peek_in_place(void)
{
	struct tx x;
	struct pk r[8], p3;
	uint8_t *p = NULL, *q = NULL;
	uint32_t n, m;
	char buf[64];
	struct iovec iov = { buf, sizeof(buf) };

	up_accepted(&x);
	send_seg(&x, ACK | PSH, "record-one");
	run(&x);
	n = tg_tcp_peek(x.c, &p);
	CU_ASSERT_EQUAL_FATAL(n, 10);
	CU_ASSERT_EQUAL(memcmp(p, "record-one", 10), 0);
	memcpy(p, "RECORD-ONE", 10); /* opened in place */
	/* more behind: small ones (copied after it), one out of order */
	send_seg(&x, ACK | PSH, "-two");
	p3 = seg(&x, ACK | PSH, "-four");
	p3.seq += 6;
	peer_send(&x, &p3);
	run(&x);
	send_seg(&x, ACK | PSH, "-three");
	x.pseq += 5;
	run(&x);
	(void)peer_recv(&x, r, 8);
	m = tg_tcp_peek(x.c, &q);
	CU_ASSERT_PTR_EQUAL(q, p);
	CU_ASSERT(m >= n);
	CU_ASSERT_EQUAL(memcmp(p, "RECORD-ONE", 10), 0);
	/* the peer resets: what was received stays readable, in place */
	send_seg(&x, RST, NULL);
	run(&x);
	m = tg_tcp_peek(x.c, &q);
	CU_ASSERT_PTR_EQUAL(q, p);
	CU_ASSERT_EQUAL(memcmp(p, "RECORD-ONE", 10), 0);
	/* consumed: the next bytes, in order */
	tg_tcp_consume(x.c, 10);
	m = tg_tcp_peek(x.c, &q);
	CU_ASSERT(m > 0);
	CU_ASSERT_PTR_EQUAL(q, p + 10);
	CU_ASSERT_EQUAL(tg_tcp_recv(x.c, &iov, 1), 15);
	CU_ASSERT_EQUAL(memcmp(buf, "-two-three-four", 15), 0);
	CU_ASSERT_EQUAL(tg_tcp_peek(x.c, &q), 0);
	CU_ASSERT_EQUAL(tg_tcp_recv(x.c, &iov, 1), -ECONNRESET);
	close_down(&x);
}

/* ---- resets, challenge ACKs, PAWS, malformed ------------------------------------------------------ */

static void test_rst_and_challenge(void)
{
	struct tx x;
	struct tg_tcp_event ev[4];
	struct pk r[8], p;
	char b[8];
	struct iovec iov = { b, sizeof(b) };

	up_accepted(&x);
	(void)events(&x, ev, 4);
	/* RST in the window but not at rcv_nxt: a challenge ACK (RFC 5961
	 * §3.2), the connection stays */
	p = seg(&x, RST, NULL);
	p.seq = x.pseq + 100;
	peer_send(&x, &p);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	CU_ASSERT_EQUAL(r[0].flags, ACK);
	CU_ASSERT_EQUAL(r[0].seq, x.our);
	CU_ASSERT_EQUAL(r[0].ack, x.pseq);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->challenge_acks, 1);
	/* RST outside the window: nothing */
	p.seq = x.pseq + 10000000;
	peer_send(&x, &p);
	run(&x);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 8), 0);
	/* a SYN on the connection: a challenge ACK (RFC 5961 §4.2) */
	p = seg(&x, SYN, NULL);
	p.seq = x.pseq + 5;
	peer_send(&x, &p);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	CU_ASSERT_EQUAL(r[0].flags, ACK);
	CU_ASSERT_EQUAL(r[0].ack, x.pseq);
	/* an ACK for data never sent: a challenge ACK (RFC 5961 §5.2) */
	p = seg(&x, ACK, NULL);
	p.ack = x.our + 100000;
	peer_send(&x, &p);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	CU_ASSERT_EQUAL(r[0].ack, x.pseq);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->challenge_acks, 3);
	CU_ASSERT_EQUAL(events(&x, ev, 4), 0);
	/* RST at rcv_nxt: reset */
	p = seg(&x, RST, NULL);
	peer_send(&x, &p);
	run(&x);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 8), 0);
	CU_ASSERT_EQUAL(events(&x, ev, 4), 1);
	CU_ASSERT(ev[0].ev & TG_TCP_EV_ERROR);
	CU_ASSERT_EQUAL(tg_tcp_recv(x.c, &iov, 1), -ECONNRESET);
	CU_ASSERT_EQUAL(tg_tcp_send(x.c, "x", 1), -1);
	tg_tcp_close(x.c);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->active, 0);
	down(&x);
}

static void test_challenge_rate_limit(void)
{
	struct tx x;
	struct pk r[64], p;
	struct tg_tcp_conf cc = conf_default();
	unsigned got = 0;

	cc.challenge_acks = 5;
	up(&x, &cc);
	TG_ASSERT_OK(tg_tcp_listen(x.t, 80, NULL, NULL));
	accept_conn(&x, true, true);
	for (int i = 0; i < 20; i++) {
		p = seg(&x, RST, NULL);
		p.seq = x.pseq + 10 + (uint32_t)i;
		peer_send(&x, &p);
		run(&x);
		got += peer_recv(&x, r, 64);
	}
	CU_ASSERT_EQUAL(got, 5);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->challenge_limited, 15);
	/* a second later, five more */
	step(&x, 1000);
	for (int i = 0; i < 8; i++) {
		p = seg(&x, RST, NULL);
		p.seq = x.pseq + 10 + (uint32_t)i;
		peer_send(&x, &p);
		run(&x);
		got += peer_recv(&x, r, 64);
	}
	CU_ASSERT_EQUAL(got, 10);
	close_down(&x);
}

static void test_no_connection_rst(void)
{
	struct tx x;
	struct pk r[4], p;

	up(&x, NULL);
	/* RFC 9293 §3.10.7.1: a SYN to a closed port */
	p = pk_new(SYN, 1234, 0);
	p.dport = 81;
	peer_send(&x, &p);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 4), 1);
	CU_ASSERT_EQUAL(r[0].flags, RST | ACK);
	CU_ASSERT_EQUAL(r[0].seq, 0);
	CU_ASSERT_EQUAL(r[0].ack, 1235);
	/* an ACK: <SEQ=SEG.ACK><CTL=RST> */
	p = pk_new(ACK, 1234, 98765);
	p.dport = 81;
	peer_send(&x, &p);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 4), 1);
	CU_ASSERT_EQUAL(r[0].flags, RST);
	CU_ASSERT_EQUAL(r[0].seq, 98765);
	/* a RST: never answered */
	p = pk_new(RST, 1234, 0);
	p.dport = 81;
	peer_send(&x, &p);
	run(&x);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 4), 0);
	down(&x);
}

static void test_paws(void)
{
	struct tx x;
	struct pk r[4], p;
	char b[16];
	struct iovec iov = { b, sizeof(b) };

	up_accepted(&x);
	/* RFC 7323 §5.3: an older TSval is dropped and acknowledged */
	p = seg(&x, ACK, "old");
	p.tsval = 10;
	peer_send(&x, &p);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 4), 1);
	CU_ASSERT_EQUAL(r[0].ack, x.pseq);
	CU_ASSERT_EQUAL(tg_tcp_recv(x.c, &iov, 1), -EAGAIN);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->paws_drop, 1);
	/* §3.2: without a timestamp once they are on: dropped */
	p = seg(&x, ACK, "nots");
	p.ts = false;
	peer_send(&x, &p);
	run(&x);
	CU_ASSERT_EQUAL(tg_tcp_recv(x.c, &iov, 1), -EAGAIN);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->paws_drop, 2);
	/* a newer one is taken */
	send_seg(&x, ACK | PSH, "new");
	run(&x);
	CU_ASSERT_EQUAL(tg_tcp_recv(x.c, &iov, 1), 3);
	close_down(&x);
}

static void test_malformed(void)
{
	struct tx x;
	struct pk r[4];
	uint8_t raw[64];
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)raw;
	const struct tg_tcp_stats *st;

	up(&x, NULL);
	TG_ASSERT_OK(tg_tcp_listen(x.t, 80, NULL, NULL));
	st = tg_tcp_stats(x.t);
	memset(raw, 0, sizeof(raw));
	th->src_port = htons(1000);
	th->dst_port = htons(80);
	th->tcp_flags = SYN;
	th->rx_win = htons(1000);
	/* an option whose length runs past the header */
	th->data_off = 6 << 4;
	raw[20] = 2;
	raw[21] = 8;
	tn_put(&x.n, A, 0, tn_ip_frame(&x.n, B, IPPROTO_TCP, raw, 24));
	/* an option length below 2 */
	raw[21] = 1;
	tn_put(&x.n, A, 0, tn_ip_frame(&x.n, B, IPPROTO_TCP, raw, 24));
	/* a window scale option of the wrong length */
	raw[20] = 3;
	raw[21] = 4;
	tn_put(&x.n, A, 0, tn_ip_frame(&x.n, B, IPPROTO_TCP, raw, 24));
	/* data offset below 5, beyond the segment */
	th->data_off = 4 << 4;
	tn_put(&x.n, A, 0, tn_ip_frame(&x.n, B, IPPROTO_TCP, raw, 20));
	th->data_off = 15 << 4;
	tn_put(&x.n, A, 0, tn_ip_frame(&x.n, B, IPPROTO_TCP, raw, 24));
	/* SYN+FIN, SYN+RST */
	th->data_off = 5 << 4;
	th->tcp_flags = SYN | FIN;
	tn_put(&x.n, A, 0, tn_ip_frame(&x.n, B, IPPROTO_TCP, raw, 20));
	th->tcp_flags = SYN | RST;
	tn_put(&x.n, A, 0, tn_ip_frame(&x.n, B, IPPROTO_TCP, raw, 20));
	/* port 0 */
	th->tcp_flags = SYN;
	th->src_port = 0;
	tn_put(&x.n, A, 0, tn_ip_frame(&x.n, B, IPPROTO_TCP, raw, 20));
	/* shorter than a header */
	tn_put(&x.n, A, 0, tn_ip_frame(&x.n, B, IPPROTO_TCP, raw, 12));
	run(&x);
	CU_ASSERT_EQUAL(st->malformed, 8);
	CU_ASSERT_EQUAL(tg_net_stats(x.n.n[A][0])->rx_malformed, 0);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 4), 0);
	CU_ASSERT_EQUAL(st->active, 0);
	down(&x);
}

/* ---- SYN cookies ------------------------------------------------------------------------------ */

static struct pk syn_from(struct tx *x, uint16_t port, uint32_t seq)
{
	struct pk s = pk_new(SYN, seq, 0);

	s.sport = port;
	s.mss = 1460;
	s.ws = 7;
	s.sack_ok = true;
	s.ts = true;
	s.tsval = ++x->ts;
	return s;
}

static void test_syncookies(void)
{
	struct tx x;
	struct tg_tcp_conf cc = conf_default();
	struct tg_tcp_event ev[4];
	struct tg_tcp_info in;
	const struct tg_tcp_stats *st;
	struct pk r[8], s, ck;
	char b[16];
	struct iovec iov = { b, sizeof(b) };

	cc.syn_backlog = 2;
	up(&x, &cc);
	st = tg_tcp_stats(x.t);
	TG_ASSERT_OK(tg_tcp_listen(x.t, 80, NULL, NULL));
	/* two half-open connections fill the backlog */
	for (uint16_t i = 0; i < 2; i++) {
		s = syn_from(&x, (uint16_t)(41000 + i), 100 + i);
		peer_send(&x, &s);
	}
	run(&x);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 8), 2);
	CU_ASSERT_EQUAL(st->active, 2);
	/* the third gets a cookie: a SYN-ACK with every option, no state */
	s = syn_from(&x, 42000, 5000);
	peer_send(&x, &s);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	ck = r[0];
	CU_ASSERT_EQUAL(ck.flags, SYN | ACK);
	CU_ASSERT_EQUAL(ck.ack, 5001);
	CU_ASSERT_EQUAL(ck.mss, 1460);
	CU_ASSERT_EQUAL(ck.ws, 3);
	CU_ASSERT(ck.sack_ok);
	CU_ASSERT(ck.ts);
	CU_ASSERT_EQUAL(ck.tsecr, s.tsval);
	CU_ASSERT_EQUAL(st->active, 2);
	CU_ASSERT_EQUAL(st->syncookies_sent, 1);
	/* an ACK with a wrong cookie: RST, nothing made */
	s = pk_new(ACK, 5001, ck.seq + 2);
	s.sport = 42000;
	s.ts = true;
	s.tsval = ++x.ts;
	s.tsecr = ck.tsval;
	peer_send(&x, &s);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	CU_ASSERT_EQUAL(r[0].flags, RST);
	CU_ASSERT_EQUAL(st->syncookies_failed, 1);
	/* the right one, with data: the connection, its options restored */
	s = pk_new(ACK | PSH, 5001, ck.seq + 1);
	s.sport = 42000;
	s.ts = true;
	s.tsval = ++x.ts;
	s.tsecr = ck.tsval;
	s.wnd = 512;
	s.len = 5;
	memcpy(s.data, "hello", 5);
	peer_send(&x, &s);
	run(&x);
	CU_ASSERT_EQUAL(st->syncookies_ok, 1);
	CU_ASSERT_EQUAL_FATAL(events(&x, ev, 4), 1);
	CU_ASSERT(ev[0].ev & TG_TCP_EV_ACCEPTED);
	tg_tcp_info(ev[0].c, &in);
	CU_ASSERT_EQUAL(in.state, TG_TCP_ESTABLISHED);
	CU_ASSERT_EQUAL(in.rport, 42000);
	CU_ASSERT_EQUAL(in.mss, 1448);
	CU_ASSERT_EQUAL(in.snd_wscale, 7);
	CU_ASSERT_EQUAL(in.rcv_wscale, 3);
	CU_ASSERT(in.sack);
	CU_ASSERT(in.timestamps);
	CU_ASSERT_EQUAL(in.snd_wnd, 512u << 7);
	CU_ASSERT_EQUAL(tg_tcp_recv(ev[0].c, &iov, 1), 5);
	CU_ASSERT_EQUAL(memcmp(b, "hello", 5), 0);
	tg_tcp_close(ev[0].c);
	down(&x);
}

/* A flood of SYNs from many ports (and bare ACKs): the established
 * connection keeps being served, the state stays within its pools. */
static void test_syn_flood(void)
{
	struct tx x;
	struct tg_tcp_conf cc = conf_default();
	const struct tg_tcp_stats *st;
	struct pk r[64], p;
	char b[64];
	struct iovec iov = { b, sizeof(b) };
	unsigned answered = 0;

	cc.syn_backlog = 4;
	cc.max_conns = 8;
	up(&x, &cc);
	st = tg_tcp_stats(x.t);
	TG_ASSERT_OK(tg_tcp_listen(x.t, 80, NULL, NULL));
	accept_conn(&x, true, true);
	for (unsigned i = 0; i < 5000; i++) {
		struct pk s = syn_from(&x, (uint16_t)(10000 + i), (uint32_t)tg_test_rand());

		peer_send(&x, &s);
		if (i % 8 == 7) {
			/* a spoofed ACK as a flood would send */
			struct pk a = pk_new(ACK, (uint32_t)tg_test_rand(), (uint32_t)tg_test_rand());

			a.sport = (uint16_t)(20000 + i);
			peer_send(&x, &a);
		}
		if (i % 32 == 31) {
			run(&x);
			answered += peer_recv(&x, r, 64);
			CU_ASSERT(st->active <= cc.max_conns);
			/* the established connection is served meanwhile */
			send_seg(&x, ACK | PSH, "ping");
			run(&x);
			answered += peer_recv(&x, r, 64);
			CU_ASSERT_EQUAL(tg_tcp_recv(x.c, &iov, 1), 4);
		}
	}
	run(&x);
	answered += peer_recv(&x, r, 64);
	CU_ASSERT(st->syncookies_sent >= 4990);
	CU_ASSERT(st->active <= cc.max_conns);
	CU_ASSERT(answered >= 5000);
	/* and it still sends */
	CU_ASSERT_EQUAL(tg_tcp_send(x.c, "pong", 4), 4);
	tg_tcp_flush(x.t);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 64), 1);
	CU_ASSERT_EQUAL(r[0].len, 4);
	p = seg(&x, ACK, NULL);
	(void)p;
	close_down(&x);
}

/* ---- closing, TIME_WAIT ----------------------------------------------------------------------------- */

static void test_active_close_time_wait(void)
{
	struct tx x;
	struct pk r[4], p;
	struct tg_tcp_conf cc = conf_default();
	const struct tg_tcp_stats *st;
	struct tg_tcp_event ev[4];
	struct pk sa;

	cc.msl_ms = 1000;
	up(&x, &cc);
	st = tg_tcp_stats(x.t);
	TG_ASSERT_OK(tg_tcp_listen(x.t, 80, NULL, NULL));
	accept_conn(&x, true, true);
	/* we close: FIN */
	tg_tcp_close(x.c);
	tg_tcp_flush(x.t);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 4), 1);
	CU_ASSERT_EQUAL(r[0].flags, FIN | ACK);
	CU_ASSERT_EQUAL(r[0].seq, x.our);
	x.our++;
	/* their ACK and FIN */
	send_seg(&x, ACK, NULL);
	run(&x);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 4), 0);
	send_seg(&x, FIN | ACK, NULL);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 4), 1);
	CU_ASSERT_EQUAL(r[0].flags, ACK);
	CU_ASSERT_EQUAL(r[0].ack, x.pseq);
	CU_ASSERT_EQUAL(st->time_wait, 1);
	CU_ASSERT_EQUAL(st->active, 0);
	/* their FIN again: our ACK again (RFC 9293 §3.10.7.4) */
	p = seg(&x, FIN | ACK, NULL);
	p.seq = x.pseq - 1;
	peer_send(&x, &p);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 4), 1);
	CU_ASSERT_EQUAL(r[0].ack, x.pseq);
	/* RFC 6191: a SYN with a higher TSval reopens it */
	{
		struct pk s = pk_new(SYN, x.pseq + 100000, 0);

		s.mss = 1460;
		s.ts = true;
		s.tsval = x.ts + 1000;
		s.ws = 7;
		peer_send(&x, &s);
		run(&x);
		CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 4), 1);
		sa = r[0];
		CU_ASSERT_EQUAL(sa.flags, SYN | ACK);
		CU_ASSERT_EQUAL(st->tw_reused, 1);
		CU_ASSERT_EQUAL(st->time_wait, 0);
		s = pk_new(RST, x.pseq + 100001, 0);
		peer_send(&x, &s);
		run(&x);
		CU_ASSERT_EQUAL(events(&x, ev, 4), 0);
	}
	CU_ASSERT_EQUAL(st->active, 0);
	down(&x);
}

/*
 * Our FIN, then a retransmission timeout before its ACK: the timeout
 * takes everything from SND.UNA back to be sent again (the FIN too, once
 * the data before it is through), and the ACK of the first flight, FIN
 * included, arrives after it. That ACK acknowledges the FIN: the close
 * goes on (FIN_WAIT_2, then TIME_WAIT), it does not stay in FIN_WAIT_1
 * with nothing left to send and no timer (test_tcp's 5% echo, once ACKs
 * to dataless out-of-window segments were rate limited).
 */
static void test_fin_acked_after_rto(void)
{
	struct tx x;
	struct pk r[8];
	struct tg_tcp_info in;
	static uint8_t out[3000];
	unsigned k, bytes = 0;
	bool fin = false;
	struct tg_tcp_conf cf = conf_default();

	cf.no_rack = true; /* the timeout, not a loss probe in its place */
	up(&x, &cf);
	TG_ASSERT_OK(tg_tcp_listen(x.t, 80, NULL, NULL));
	accept_conn(&x, true, true);
	memset(out, 'f', sizeof(out));
	CU_ASSERT_EQUAL(tg_tcp_send(x.c, out, sizeof(out)), 3000);
	tg_tcp_shutdown(x.c);
	tg_tcp_flush(x.t);
	k = peer_recv(&x, r, 8);
	for (unsigned i = 0; i < k; i++) {
		bytes += r[i].len;
		fin = fin || (r[i].flags & FIN);
	}
	CU_ASSERT_EQUAL(bytes, 3000);
	CU_ASSERT_FATAL(fin);
	/* no ACK: the timeout sends the first segment again, not the FIN */
	for (unsigned ms = 0; ms < 1500 && (k = peer_recv(&x, r, 8)) == 0; ms++)
		step(&x, 1);
	CU_ASSERT_EQUAL_FATAL(k, 1);
	CU_ASSERT_EQUAL(r[0].seq, x.our);
	CU_ASSERT(r[0].len > 0 && !(r[0].flags & FIN));
	/* the ACK of everything, the FIN included */
	x.our += 3001;
	send_seg(&x, ACK, NULL);
	run(&x);
	tg_tcp_info(x.c, &in);
	CU_ASSERT_EQUAL(in.state, TG_TCP_FIN_WAIT_2);
	CU_ASSERT_EQUAL(in.unacked, 0);
	/* and their FIN ends it */
	send_seg(&x, FIN | ACK, NULL);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	CU_ASSERT_EQUAL(r[0].ack, x.pseq);
	tg_tcp_info(x.c, &in);
	CU_ASSERT_EQUAL(in.state, TG_TCP_TIME_WAIT);
	tg_tcp_close(x.c);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->active, 0);
	down(&x);
}

static void test_time_wait_expiry_and_bound(void)
{
	struct tx x;
	struct pk r[4];
	struct tg_tcp_conf cc = conf_default();
	const struct tg_tcp_stats *st;

	cc.msl_ms = 1000;
	cc.max_tw = 2;
	up(&x, &cc);
	st = tg_tcp_stats(x.t);
	TG_ASSERT_OK(tg_tcp_listen(x.t, 80, NULL, NULL));
	for (int i = 0; i < 3; i++) {
		x.port = (uint16_t)(41000 + i);
		accept_conn(&x, true, true);
		tg_tcp_close(x.c);
		tg_tcp_flush(x.t);
		(void)peer_recv(&x, r, 4);
		x.our++;
		send_seg(&x, FIN | ACK, NULL);
		run(&x);
		(void)peer_recv(&x, r, 4);
		step(&x, 100);
	}
	/* the table holds two: the oldest went */
	CU_ASSERT_EQUAL(st->time_wait, 2);
	CU_ASSERT_EQUAL(st->tw_evicted, 1);
	/* 2 MSL after the last one, none */
	step(&x, 2000);
	CU_ASSERT_EQUAL(st->time_wait, 0);
	down(&x);
}

static void test_passive_close(void)
{
	struct tx x;
	struct tg_tcp_event ev[4];
	struct pk r[4];
	char b[16];
	struct iovec iov = { b, sizeof(b) };

	up_accepted(&x);
	(void)events(&x, ev, 4);
	/* their data and FIN: readable, then the end */
	send_seg(&x, ACK | PSH | FIN, "bye");
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 4), 1);
	CU_ASSERT_EQUAL(r[0].ack, x.pseq); /* the FIN at once */
	CU_ASSERT_EQUAL(events(&x, ev, 4), 1);
	CU_ASSERT(ev[0].ev & TG_TCP_EV_READABLE);
	CU_ASSERT_EQUAL(tg_tcp_recv(x.c, &iov, 1), 3);
	CU_ASSERT_EQUAL(tg_tcp_recv(x.c, &iov, 1), 0);
	/* we still send, then close: LAST_ACK */
	CU_ASSERT_EQUAL(tg_tcp_send(x.c, "ok", 2), 2);
	tg_tcp_shutdown(x.c);
	tg_tcp_flush(x.t);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 4), 1);
	CU_ASSERT_EQUAL(r[0].flags, ACK | PSH | FIN);
	CU_ASSERT_EQUAL(r[0].len, 2);
	x.our += 3;
	send_seg(&x, ACK, NULL);
	run(&x);
	{
		struct tg_tcp_info in;

		tg_tcp_info(x.c, &in);
		CU_ASSERT_EQUAL(in.state, TG_TCP_CLOSED);
	}
	tg_tcp_close(x.c);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->active, 0);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->time_wait, 0);
	down(&x);
}

static void test_simultaneous_close(void)
{
	struct tx x;
	struct pk r[4];
	const struct tg_tcp_stats *st;

	up(&x, NULL);
	st = tg_tcp_stats(x.t);
	TG_ASSERT_OK(tg_tcp_listen(x.t, 80, NULL, NULL));
	accept_conn(&x, true, true);
	tg_tcp_shutdown(x.c);
	tg_tcp_flush(x.t);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 4), 1);
	CU_ASSERT_EQUAL(r[0].flags, FIN | ACK);
	/* their FIN crosses ours (it does not ack ours): CLOSING */
	send_seg(&x, FIN | ACK, NULL);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 4), 1);
	CU_ASSERT_EQUAL(r[0].flags, ACK);
	{
		struct tg_tcp_info in;

		tg_tcp_info(x.c, &in);
		CU_ASSERT_EQUAL(in.state, TG_TCP_CLOSING);
	}
	/* their ACK of our FIN: TIME_WAIT */
	x.our++;
	send_seg(&x, ACK, NULL);
	run(&x);
	CU_ASSERT_EQUAL(st->time_wait, 1);
	close_down(&x);
}

/* ---- windows, probes, keep-alive ------------------------------------------------------------------- */

static void test_zero_window_probe(void)
{
	struct tx x;
	struct pk r[8], p;
	static uint8_t out[3000];
	unsigned probes = 0;

	up_accepted(&x);
	/* the peer closes its window */
	p = seg(&x, ACK, NULL);
	p.wnd = 0;
	peer_send(&x, &p);
	run(&x);
	memset(out, 'z', sizeof(out));
	CU_ASSERT_EQUAL(tg_tcp_send(x.c, out, sizeof(out)), 3000);
	tg_tcp_flush(x.t);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 8), 0);
	/* probes of one byte, every RTO, doubling; answered with a zero
	 * window each time, never given up */
	for (unsigned ms = 0; ms < 4000; ms++) {
		step(&x, 1);
		if (peer_recv(&x, r, 8) > 0) {
			CU_ASSERT_EQUAL(r[0].len, 1);
			CU_ASSERT_EQUAL(r[0].seq, x.our);
			probes++;
			p = seg(&x, ACK, NULL);
			p.wnd = 0;
			peer_send(&x, &p);
		}
	}
	CU_ASSERT(probes >= 3 && probes <= 5);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->window_probes, probes);
	/* the window opens: everything goes */
	p = seg(&x, ACK, NULL);
	peer_send(&x, &p);
	run(&x);
	{
		unsigned k = peer_recv(&x, r, 8), bytes = 0;

		for (unsigned i = 0; i < k; i++)
			bytes += r[i].len;
		CU_ASSERT_EQUAL(bytes, 3000);
		CU_ASSERT_EQUAL(r[0].seq, x.our);
	}
	close_down(&x);
}

/* A peer segment with the current numbers and a closed window. */
static void send_zero_wnd(struct tx *x, uint32_t seq, const char *data)
{
	struct pk p = seg(x, ACK, data);

	p.seq = seq;
	p.wnd = 0;
	peer_send(x, &p);
}

/*
 * Both windows closed, both ends probing (an echo whose ends stopped
 * reading): the peer here is an RFC 9293 receiver that answers every
 * segment it cannot accept with an ACK (§3.10.7.4: a zero window takes
 * only SEG.SEQ = RCV.NXT), and whose own ACKs carry the SND.NXT after its
 * probe byte, beyond our closed window. Our probe byte must not move the
 * SND.NXT our ACKs carry (BSD's persist moves only SND.MAX), or the two
 * ends answer each other's ACKs for ever (test_dpdk: 13.8 million
 * segments each way); and what cannot be accepted and carries no data is
 * answered at most twice a second (Linux's tcp_invalid_ratelimit), so a
 * peer that keeps sending such ACKs cannot start the loop from its side.
 */
static void test_zero_window_no_ack_loop(void)
{
	struct tx x;
	struct tg_tcp_conf cc = conf_default();
	struct pk r[16];
	static char chunk[1449];
	static uint8_t out[3000];
	unsigned answers = 0, ours = 0, bad_seq = 0;
	uint32_t peer_nxt;

	cc.rcv_buf = 4096;
	up(&x, &cc);
	TG_ASSERT_OK(tg_tcp_listen(x.t, 80, NULL, NULL));
	accept_conn(&x, true, false); /* no window scaling */
	/* the peer closes its window; we have data for it */
	send_zero_wnd(&x, x.pseq, NULL);
	run(&x);
	memset(out, 'q', sizeof(out));
	CU_ASSERT_EQUAL(tg_tcp_send(x.c, out, sizeof(out)), 3000);
	/* the peer fills our window (nobody reads it) */
	memset(chunk, 'p', 1448);
	for (int i = 0; i < 3; i++) {
		if (i == 2)
			chunk[4096 - 2 * 1448] = '\0';
		send_zero_wnd(&x, x.pseq, chunk);
		x.pseq += (uint32_t)strlen(chunk);
		run(&x);
	}
	step(&x, 50);
	(void)peer_recv(&x, r, 16);
	/* our probe, answered: still closed, the byte not taken */
	for (unsigned ms = 0; ms < 2000; ms++) {
		step(&x, 1);
		if (peer_recv(&x, r, 16) > 0)
			break;
	}
	CU_ASSERT_EQUAL_FATAL(r[0].len, 1);
	CU_ASSERT_EQUAL(r[0].seq, x.our);
	CU_ASSERT_EQUAL(r[0].wnd, 0);
	send_zero_wnd(&x, x.pseq, NULL);
	/* the peer probes our window too: one byte at our RCV.NXT, which
	 * moves its SND.NXT past our closed window */
	send_zero_wnd(&x, x.pseq, "x");
	peer_nxt = x.pseq + 1;
	/* a second of rounds: the peer answers what it cannot accept */
	for (unsigned ms = 0; ms < 1000; ms++) {
		unsigned k;

		step(&x, 1);
		k = peer_recv(&x, r, 16);
		for (unsigned i = 0; i < k; i++) {
			ours++;
			if (r[i].len == 0 && !(r[i].flags & (SYN | FIN | RST)) &&
			    r[i].seq != x.our) {
				/* unacceptable to a closed window */
				bad_seq++;
				send_zero_wnd(&x, peer_nxt, NULL);
				answers++;
			}
			if (ours > 200)
				break;
		}
		/* and keeps its own ACKs past our window coming */
		if (ms % 100 == 0)
			send_zero_wnd(&x, peer_nxt, NULL);
	}
	/* our ACKs carry SND.UNA (acceptable to the closed window): no
	 * ping-pong, and the peer's ten bad ACKs get two answers at most */
	CU_ASSERT_EQUAL(bad_seq, 0);
	CU_ASSERT(ours <= 4);
	CU_ASSERT(tg_tcp_stats(x.t)->oow_limited >= 5);
	if (bad_seq != 0 || ours > 4)
		fprintf(stderr, "\n  zero windows: %u segments of ours, %u unacceptable\n",
			ours, bad_seq);
	/* the window opens: the rest goes, from the probe byte on */
	{
		struct pk p = seg(&x, ACK, NULL);
		unsigned bytes = 0, k;

		p.seq = x.pseq;
		p.wnd = 8192; /* unscaled */
		peer_send(&x, &p);
		run(&x);
		k = peer_recv(&x, r, 16);
		for (unsigned i = 0; i < k; i++)
			bytes += r[i].len;
		CU_ASSERT_EQUAL(bytes, 3000);
		CU_ASSERT(k > 0 && r[0].seq == x.our);
	}
	tg_tcp_abort(x.c);
	down(&x);
}

/*
 * The same loop with open windows: each end filled the other's window to
 * its right edge and one segment before it was lost, so each end's
 * RCV.NXT lags and the other's SND.NXT (the sequence number of its ACKs)
 * is the right edge. RFC 9293's test (RCV.NXT =< SEG.SEQ < RCV.NXT +
 * RCV.WND) refuses a zero-length segment there; BSD and Linux take it
 * (=<). Our stack must take the peer's ACK at our right edge without an
 * answer, even when the peer answers ours.
 */
static void test_window_edge_no_ack_loop(void)
{
	struct tx x;
	struct tg_tcp_conf cc = conf_default();
	struct pk r[16], p;
	static char chunk[1449];
	static uint8_t out[8000];
	unsigned ours = 0, k;
	uint32_t edge, peer_edge;

	cc.rcv_buf = 4096;
	up(&x, &cc);
	TG_ASSERT_OK(tg_tcp_listen(x.t, 80, NULL, NULL));
	accept_conn(&x, true, false); /* no window scaling */
	/* the peer offers 2896 bytes: we send exactly that */
	p = seg(&x, ACK, NULL);
	p.wnd = 2896;
	peer_send(&x, &p);
	run(&x);
	memset(out, 'e', sizeof(out));
	CU_ASSERT_EQUAL(tg_tcp_send(x.c, out, sizeof(out)), sizeof(out));
	tg_tcp_flush(x.t);
	k = peer_recv(&x, r, 16);
	CU_ASSERT_EQUAL_FATAL(k, 2);
	peer_edge = x.our + 2896;
	CU_ASSERT_EQUAL(r[1].seq + r[1].len, peer_edge);
	/* our first segment is lost; the peer fills our window, its first
	 * segment lost too: our RCV.NXT lags, its SND.NXT is our edge */
	memset(chunk, 'f', 1448);
	edge = x.pseq + 4096;
	for (uint32_t s = x.pseq + 1448; s != edge;) {
		uint32_t n = RTE_MIN(1448u, edge - s);

		chunk[n] = '\0';
		p = seg(&x, ACK, chunk);
		p.seq = s;
		p.wnd = 2896;
		peer_send(&x, &p);
		s += n;
	}
	run(&x);
	/* a second of rounds: the peer (an RFC 9293 receiver, RCV.NXT at
	 * x.our) answers each of our ACKs at its right edge with its own
	 * at ours */
	for (unsigned ms = 0; ms < 1000 && ours <= 200; ms++) {
		step(&x, 1);
		k = peer_recv(&x, r, 16);
		for (unsigned i = 0; i < k; i++) {
			ours++;
			if (r[i].len == 0 && r[i].seq == peer_edge) {
				p = seg(&x, ACK, NULL);
				p.seq = edge;
				p.wnd = 2896;
				peer_send(&x, &p);
			}
		}
	}
	/* SACKed duplicate ACKs and the retransmission timer's segment, no
	 * ping-pong */
	CU_ASSERT(ours <= 10);
	if (ours > 10)
		fprintf(stderr, "\n  window edges: %u segments of ours in a second\n", ours);
	tg_tcp_abort(x.c);
	down(&x);
}

static void test_receive_window(void)
{
	struct tx x;
	struct pk r[8];
	struct tg_tcp_conf cc = conf_default();
	static char chunk[1449];
	static char buf[70000];
	struct iovec iov = { buf, sizeof(buf) };
	uint32_t last_wnd = 0;

	cc.rcv_buf = 16384;
	cc.no_delack = true;
	up(&x, &cc);
	TG_ASSERT_OK(tg_tcp_listen(x.t, 80, NULL, NULL));
	accept_conn(&x, true, false); /* no window scaling */
	memset(chunk, 'w', 1448);
	/* the window shrinks as data waits unread (never below the right
	 * edge offered), and is zero when the buffer is full */
	for (int i = 0; i < 11; i++) {
		send_seg(&x, ACK, chunk);
		run(&x);
		if (peer_recv(&x, r, 8) > 0)
			last_wnd = r[0].wnd;
	}
	CU_ASSERT_EQUAL(last_wnd, 16384 - 11 * 1448);
	/* what is left of the window, and it is zero */
	chunk[456] = '\0';
	send_seg(&x, ACK, chunk);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	CU_ASSERT_EQUAL(r[0].wnd, 0);
	CU_ASSERT_EQUAL(r[0].ack, x.pseq);
	/* beyond the window: not taken, acknowledged (RFC 9293 §3.10.7.4) */
	send_seg(&x, ACK, "more");
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	CU_ASSERT_EQUAL(r[0].ack, x.pseq - 4);
	CU_ASSERT_EQUAL(r[0].wnd, 0);
	x.pseq -= 4;
	/* reading opens it: a window update goes at once */
	CU_ASSERT_EQUAL(tg_tcp_recv(x.c, &iov, 1), 16384);
	tg_tcp_flush(x.t);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	CU_ASSERT_EQUAL(r[0].wnd, 16384);
	close_down(&x);
}

static void test_keepalive(void)
{
	struct tx x;
	struct tg_tcp_event ev[4];
	struct pk r[4];
	struct tg_tcp_conf cc = conf_default();
	unsigned probes = 0;
	char b[4];
	struct iovec iov = { b, sizeof(b) };

	cc.keepalive_ms = 2000;
	cc.keepalive_intvl_ms = 500;
	cc.keepalive_cnt = 3;
	up(&x, &cc);
	TG_ASSERT_OK(tg_tcp_listen(x.t, 80, NULL, NULL));
	accept_conn(&x, true, true);
	(void)events(&x, ev, 4);
	/* idle 2 s: a probe below snd_una; answered, idle again */
	step(&x, 1999);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 4), 0);
	step(&x, 1);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 4), 1);
	CU_ASSERT_EQUAL(r[0].seq, x.our - 1);
	CU_ASSERT_EQUAL(r[0].len, 0);
	send_seg(&x, ACK, NULL);
	run(&x);
	/* now nobody answers: three probes 500 ms apart, then given up */
	for (unsigned ms = 0; ms < 4000; ms++) {
		unsigned k;

		step(&x, 1);
		k = peer_recv(&x, r, 4);
		probes += k;
	}
	CU_ASSERT_EQUAL(probes, 3);
	CU_ASSERT_EQUAL(events(&x, ev, 4), 1);
	CU_ASSERT(ev[0].ev & TG_TCP_EV_ERROR);
	CU_ASSERT_EQUAL(tg_tcp_recv(x.c, &iov, 1), -ETIMEDOUT);
	close_down(&x);
}

/* ---- two of our stacks, through the impairment layer --------------------------------------- */

struct echo_side {
	struct tg_tcp *t;
	struct tg_tcp_conn *c;
	uint8_t *pend;        /* B: bytes read, not yet echoed */
	size_t pend_len;
	struct rte_mbuf *chain; /* B, echo_by_chain: taken, not yet appended */
	uint32_t nchain;
	bool eof, shut;
};

/* the ports' tx_chain_min in echo_run_v (0: the default) */
static uint32_t echo_chain_min;
/* B echoes by tg_tcp_recv_chain / tg_tcp_send_chain, in pieces of
 * varying sizes (split inside mbufs), not by recv / send */
static bool echo_by_chain;

/* ---- TSO (issue 17): frames our TCP gives a port that cuts them ------------------------------ */

/* echo_run_v with both ports told they have TSO (net_ring has none):
 * what each side sends is checked and cut here, as a device would, on
 * its way to the other */
static bool echo_tso;

/* tso_frame() drops every n-th segment it cut (0: none): losses inside
 * frames, for RACK and the scoreboard to repair one MSS at a time */
static unsigned tso_drop_every;
static unsigned tso_cut_n;

/* the mark of a frame tso_frame() passed on or cut (our stack reads
 * no packet_type) */
#define TSO_SEEN 0x7e7e7e7eu

/* what tso_wire() saw, by sending side */
static struct {
	uint64_t frames, segs, plain;
	uint16_t segsz;   /* the last frame's tso_segsz */
} tso_seen[2];

/* A device's TCP checksum of one segment cut from a TSO frame: the
 * pseudo-header sum the frame carried (without the length), the
 * segment's TCP length, its header and payload. */
static void tso_dev_cksum(struct rte_mbuf *s, uint32_t l3, uint16_t phdr)
{
	uint32_t hl = RTE_ETHER_HDR_LEN + l3;
	struct rte_tcp_hdr *th = rte_pktmbuf_mtod_offset(s, struct rte_tcp_hdr *, hl);
	uint32_t l4 = s->pkt_len - hl;
	uint16_t raw = 0;
	uint32_t sum;

	th->cksum = 0;
	CU_ASSERT_EQUAL_FATAL(rte_raw_cksum_mbuf(s, hl, l4, &raw), 0);
	sum = (uint32_t)phdr + rte_cpu_to_be_16((uint16_t)l4) + raw;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	th->cksum = (uint16_t)~sum;
}

/* IPv6: librte_gso of DPDK 22.11 cuts TCP over IPv4 only; the same cut
 * by copying: each segment the frame's headers (its IPv6 payload length,
 * sequence number and flags its own: FIN and PSH on the last only) and
 * tso_segsz bytes of its payload. */
static int tso_cut6(struct rte_mbuf *f, struct rte_mempool *mp, struct rte_mbuf **out,
		    unsigned cap)
{
	uint32_t hl = f->l2_len + f->l3_len + f->l4_len;
	uint32_t pay = f->pkt_len - hl;
	unsigned n = 0;

	for (uint32_t off = 0; off < pay && n < cap; off += f->tso_segsz) {
		uint32_t k = RTE_MIN((uint32_t)f->tso_segsz, pay - off);
		struct rte_mbuf *s = rte_pktmbuf_alloc(mp);
		uint8_t *d;
		const void *h;
		struct rte_ipv6_hdr *ip;
		struct rte_tcp_hdr *th;

		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		d = tn_append(s, (uint16_t)(hl + k));
		h = rte_pktmbuf_read(f, 0, hl, d);
		if (h != d)
			memcpy(d, h, hl);
		h = rte_pktmbuf_read(f, hl + off, k, d + hl);
		if (h != d + hl)
			memcpy(d + hl, h, k);
		s->l2_len = f->l2_len;
		s->l3_len = f->l3_len;
		s->l4_len = f->l4_len;
		ip = (struct rte_ipv6_hdr *)(d + f->l2_len);
		th = (struct rte_tcp_hdr *)(d + f->l2_len + f->l3_len);
		ip->payload_len = htons((uint16_t)(f->l4_len + k));
		th->sent_seq = htonl(ntohl(th->sent_seq) + off);
		if (off + k < pay)
			th->tcp_flags &= (uint8_t)~(FIN | PSH);
		out[n++] = s;
	}
	return (int)n;
}

/* Check one frame side @p s sent and cut it as a device with TSO would;
 * the segments go to the other side. A frame without TX_TCP_SEG goes as
 * it is. */
static void tso_frame(struct tn_pair *n, int s, struct rte_mbuf *f)
{
	struct rte_mbuf *seg[64];
	struct rte_ipv4_hdr *ip4;
	struct rte_ipv6_hdr *ip6;
	struct rte_tcp_hdr *th;
	bool v6;
	uint16_t phdr;
	int k;

	if (!(f->ol_flags & RTE_MBUF_F_TX_TCP_SEG)) {
		/* (what went on waits on the same ring: counted once) */
		if (f->packet_type != TSO_SEEN)
			tso_seen[s].plain++;
		f->ol_flags = 0;
		f->packet_type = TSO_SEEN;
		tn_put(n, 1 - s, 0, f);
		return;
	}
	v6 = (f->ol_flags & RTE_MBUF_F_TX_IPV6) != 0;
	/* DPDK's TSO contract (rte_mbuf_core.h): the family, the IPv4 header
	 * checksum offloaded, the lengths of the headers, the segment size */
	CU_ASSERT_EQUAL(f->l2_len, RTE_ETHER_HDR_LEN);
	CU_ASSERT_EQUAL(f->l3_len, v6 ? 40 : 20);
	CU_ASSERT(v6 ? !(f->ol_flags & RTE_MBUF_F_TX_IPV4)
		     : (f->ol_flags & RTE_MBUF_F_TX_IPV4) && (f->ol_flags & RTE_MBUF_F_TX_IP_CKSUM));
	CU_ASSERT_EQUAL_FATAL(f->l4_len, 32); /* timestamps on */
	/* the headers in the first mbuf, the payload behind them */
	CU_ASSERT_EQUAL_FATAL(f->data_len, f->l2_len + f->l3_len + f->l4_len);
	CU_ASSERT(f->nb_segs <= 64);
	/* the payload per segment is the MSS less the timestamps, and the
	 * frame carries more than one */
	CU_ASSERT_EQUAL(f->tso_segsz, 1500 - f->l3_len - f->l4_len);
	CU_ASSERT(f->pkt_len - f->data_len > f->tso_segsz);
	tso_seen[s].segsz = f->tso_segsz;
	th = rte_pktmbuf_mtod_offset(f, struct rte_tcp_hdr *, f->l2_len + f->l3_len);
	CU_ASSERT_EQUAL((th->data_off >> 4) * 4u, f->l4_len);
	CU_ASSERT_EQUAL(th->tcp_flags & (FIN | SYN | RST), 0); /* a FIN goes alone */
	if (v6) {
		ip6 = rte_pktmbuf_mtod_offset(f, struct rte_ipv6_hdr *, f->l2_len);
		CU_ASSERT_EQUAL(ntohs(ip6->payload_len), f->pkt_len - f->l2_len - f->l3_len);
		/* the pseudo-header sum without the length */
		phdr = rte_ipv6_phdr_cksum(ip6, RTE_MBUF_F_TX_TCP_SEG);
	} else {
		ip4 = rte_pktmbuf_mtod_offset(f, struct rte_ipv4_hdr *, f->l2_len);
		CU_ASSERT_EQUAL(ntohs(ip4->total_length), f->pkt_len - f->l2_len);
		CU_ASSERT(ntohs(ip4->fragment_offset) & RTE_IPV4_HDR_DF_FLAG);
		phdr = rte_ipv4_phdr_cksum(ip4, RTE_MBUF_F_TX_TCP_SEG);
	}
	CU_ASSERT_EQUAL(th->cksum, phdr);
	if (v6) {
		k = tso_cut6(f, n->pool[1 - s][0], seg, RTE_DIM(seg));
		rte_pktmbuf_free(f);
	} else {
		/* DPDK's own software segmentation (what net_tap runs) */
		struct rte_gso_ctx g = {
			.direct_pool = n->pool[1 - s][0],
			.indirect_pool = n->pool[1 - s][0],
			.gso_types = RTE_ETH_TX_OFFLOAD_TCP_TSO,
			.gso_size = (uint16_t)(f->l2_len + f->l3_len + f->l4_len + f->tso_segsz),
		};

		k = rte_gso_segment(f, &g, seg, RTE_DIM(seg));
		CU_ASSERT_FATAL(k > 1);
		/* (DPDK 22.11: the segments hold references to what they
		 * need of the frame; the frame stays the caller's) */
		rte_pktmbuf_free(f);
	}
	tso_seen[s].frames++;
	tso_seen[s].segs += (uint64_t)k;
	for (int i = 0; i < k; i++) {
		struct rte_mbuf *x = seg[i];

		CU_ASSERT(x->pkt_len <= RTE_ETHER_HDR_LEN + 1500u);
		CU_ASSERT_EQUAL_FATAL(rte_pktmbuf_linearize(x), 0);
		tso_dev_cksum(x, v6 ? 40 : 20, phdr);
		if (v6) {
			ip6 = rte_pktmbuf_mtod_offset(x, struct rte_ipv6_hdr *, RTE_ETHER_HDR_LEN);
			CU_ASSERT_EQUAL(rte_ipv6_udptcp_cksum_verify(ip6, ip6 + 1), 0);
		} else {
			ip4 = rte_pktmbuf_mtod_offset(x, struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
			/* the IPv4 header's checksum is the device's too */
			ip4->hdr_checksum = 0;
			ip4->hdr_checksum = rte_ipv4_cksum(ip4);
			CU_ASSERT_EQUAL(ntohs(ip4->total_length), x->pkt_len - RTE_ETHER_HDR_LEN);
			CU_ASSERT_EQUAL(rte_ipv4_udptcp_cksum_verify(ip4, ip4 + 1), 0);
		}
		x->ol_flags = 0;
		x->packet_type = TSO_SEEN;
		if (tso_drop_every != 0 && ++tso_cut_n % tso_drop_every == 0) {
			rte_pktmbuf_free(x);
			continue;
		}
		tn_put(n, 1 - s, 0, x);
	}
}

/* everything side @p s sent since the last call, through tso_frame()
 * (taken first: what goes on is put on the same ring) */
static void tso_wire(struct tn_pair *n, int s)
{
	static struct rte_mbuf *m[4096];
	unsigned k = tn_take(n, s, m, RTE_DIM(m));

	for (unsigned i = 0; i < k; i++)
		tso_frame(n, s, m[i]);
}

/* A sends @p total bytes to B, which echoes them; A checks every byte and
 * both ends close cleanly. Returns the rounds it took (0: failed). */
/* settings both echo ends start from (NULL: conf_default()) */
static const struct tg_tcp_conf *echo_base;

static unsigned echo_run_v(const char *imp_spec, size_t total, unsigned max_rounds,
			   struct tg_tcp_stats *sa, struct tg_tcp_stats *sb,
			   enum tg_tcp_cc cc_kind, bool v6)
{
	struct tg_net_impair_conf ic[2];
	struct tn_opts o = { .static_arp = true, .v6 = v6,
			     .tx_chain_min = echo_chain_min };
	struct tn_pair n;
	struct tg_tcp_conf cc = echo_base != NULL ? *echo_base : conf_default();
	struct echo_side a = { 0 }, b = { 0 };
	uint8_t *src = malloc(total), *back = malloc(total);
	size_t sent = 0, got = 0;
	unsigned round;
	bool a_closed = false, b_closed = false;

	CU_ASSERT_PTR_NOT_NULL_FATAL(src);
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	b.pend = malloc(256 * 1024);
	tg_test_fill(src, total);
	if (imp_spec != NULL) {
		TG_ASSERT_OK(tg_net_impair_parse(imp_spec, &ic[0]));
		ic[1] = ic[0];
		ic[1].seed ^= 0x5555;
		o.imp[A] = &ic[0];
		o.imp[B] = &ic[1];
	}
	tn_now = 5000000;
	tn_up(&n, &o);
	if (echo_tso) {
		tg_net_port_test_tso(n.p[A], 0);
		tg_net_port_test_tso(n.p[B], 0);
		memset(tso_seen, 0, sizeof(tso_seen));
	}
	cc.cc = cc_kind;
	cc.net = n.n[A][0];
	TG_ASSERT_OK(tg_tcp_new(&cc, &a.t));
	cc.net = n.n[B][0];
	cc.secret_seed = 8;
	TG_ASSERT_OK(tg_tcp_new(&cc, &b.t));
	TG_ASSERT_OK(tg_tcp_listen(b.t, 7, NULL, NULL));
	TG_ASSERT_OK(tg_tcp_connect(a.t, v6 ? &n.addr6[B] : &n.addr[B], 7, NULL, &a.c));
	tg_tcp_want(a.c, true, true);
	for (round = 1; round <= max_rounds; round++) {
		struct tg_tcp_event ev[8];
		unsigned k;

		tn_now += 100; /* 0.1 ms a round */
		tg_tcp_poll(a.t);
		if (echo_tso) /* a poll sends too: cut before the other takes it */
			tso_wire(&n, A);
		tg_tcp_poll(b.t);
		if (echo_tso)
			tso_wire(&n, B);
		k = tg_tcp_events(b.t, ev, 8);
		for (unsigned i = 0; i < k; i++) {
			if (ev[i].ev & TG_TCP_EV_ACCEPTED) {
				b.c = ev[i].c;
				tg_tcp_want(b.c, true, false);
			}
			if (ev[i].ev & TG_TCP_EV_ERROR) {
				CU_FAIL("B: connection failed");
				goto out;
			}
		}
		if (b.c != NULL && !b_closed && echo_by_chain) {
			uint32_t av = tg_tcp_recv_avail(b.c);

			if (b.chain == NULL && av > 0) {
				uint32_t want = 1 + (b.nchain++ * 2654435761u) % 9000;

				b.chain = tg_tcp_recv_chain(b.c, RTE_MIN(av, want), 32);
				if (b.chain == NULL) /* over 32 mbufs: a smaller one */
					b.chain = tg_tcp_recv_chain(b.c, RTE_MIN(av, 700u), 32);
				CU_ASSERT_PTR_NOT_NULL(b.chain);
			} else if (b.chain == NULL && !b.eof) {
				uint8_t one;
				struct iovec iov = { &one, 1 };

				if (tg_tcp_recv(b.c, &iov, 1) == 0)
					b.eof = true;
			}
			if (b.chain != NULL) {
				int rc = tg_tcp_send_chain(b.c, b.chain);

				if (rc == 0)
					b.chain = NULL;
				else if (rc != -EAGAIN) {
					CU_FAIL("B: send_chain");
					goto out;
				}
			}
			tg_tcp_want(b.c, b.chain == NULL, b.chain != NULL);
			if (b.eof && b.chain == NULL && !b.shut) {
				tg_tcp_shutdown(b.c);
				b.shut = true;
			}
		} else if (b.c != NULL && !b_closed) {
			/* echo: read what fits the pending buffer, send it */
			if (b.pend_len < 128 * 1024 && !b.eof) {
				struct iovec iov = { b.pend + b.pend_len, 128 * 1024 - b.pend_len };
				ssize_t r = tg_tcp_recv(b.c, &iov, 1);

				if (r > 0)
					b.pend_len += (size_t)r;
				else if (r == 0)
					b.eof = true;
			}
			if (b.pend_len > 0) {
				ssize_t w = tg_tcp_send(b.c, b.pend, b.pend_len);

				if (w > 0) {
					memmove(b.pend, b.pend + w, b.pend_len - (size_t)w);
					b.pend_len -= (size_t)w;
				}
			}
			tg_tcp_want(b.c, b.pend_len < 128 * 1024 && !b.eof, b.pend_len > 0);
			if (b.eof && b.pend_len == 0 && !b.shut) {
				tg_tcp_shutdown(b.c);
				b.shut = true;
			}
		}
		k = tg_tcp_events(a.t, ev, 8);
		for (unsigned i = 0; i < k; i++)
			if (ev[i].ev & TG_TCP_EV_ERROR) {
				CU_FAIL("A: connection failed");
				goto out;
			}
		if (!a_closed) {
			if (sent < total) {
				ssize_t w = tg_tcp_send(a.c, src + sent, total - sent);

				if (w > 0)
					sent += (size_t)w;
			} else if (!a.shut) {
				tg_tcp_shutdown(a.c);
				a.shut = true;
			}
			for (;;) {
				uint8_t tmp[16384];
				struct iovec iov = { tmp, sizeof(tmp) };
				ssize_t r = tg_tcp_recv(a.c, &iov, 1);

				if (r <= 0) {
					if (r == 0)
						a.eof = true;
					break;
				}
				if (got + (size_t)r > total) {
					CU_FAIL("A: more bytes back than sent");
					goto out;
				}
				memcpy(back + got, tmp, (size_t)r);
				got += (size_t)r;
			}
		}
		tg_tcp_flush(a.t);
		tg_tcp_flush(b.t);
		if (echo_tso) {
			tso_wire(&n, A);
			tso_wire(&n, B);
		}
		if (a.eof && !a_closed) {
			tg_tcp_close(a.c);
			a_closed = true;
		}
		if (b.shut && b.c != NULL && !b_closed) {
			struct tg_tcp_info in;

			tg_tcp_info(b.c, &in);
			if (in.state == TG_TCP_CLOSED || in.state == TG_TCP_TIME_WAIT) {
				tg_tcp_close(b.c);
				b_closed = true;
			}
		}
		if (a_closed && b_closed)
			break;
	}
out:
	CU_ASSERT_EQUAL(got, total);
	CU_ASSERT(memcmp(src, back, got) == 0);
	CU_ASSERT(a_closed && b_closed);
	if (b.chain != NULL)
		rte_pktmbuf_free(b.chain);
	*sa = *tg_tcp_stats(a.t);
	*sb = *tg_tcp_stats(b.t);
	if (echo_tso) {
		/* every segment cut by the test checked out at the peer */
		CU_ASSERT_EQUAL(tg_net_stats(n.n[A][0])->rx_bad_cksum, 0);
		CU_ASSERT_EQUAL(tg_net_stats(n.n[B][0])->rx_bad_cksum, 0);
	}
	if (!(a_closed && b_closed)) {
		fprintf(stderr, "echo: sent %zu got %zu after %u rounds\n", sent, got, round);
		for (int sd = 0; sd < 2; sd++) {
			struct tg_tcp_conn *cn = sd ? b.c : a.c;
			struct tg_tcp_info in;

			if (cn == NULL || (sd ? b_closed : a_closed))
				continue;
			tg_tcp_info(cn, &in);
			fprintf(stderr, "  %c: state %d unacked %u queued %u/%u wnd %u cwnd %u rto %u\n",
				sd ? 'B' : 'A', in.state, in.unacked, in.snd_queued,
				in.rcv_queued, in.snd_wnd, in.cwnd, in.rto_ms);
		}
		round = 0;
	}
	/* nothing left but TIME_WAIT */
	CU_ASSERT_EQUAL(sa->active, 0);
	CU_ASSERT_EQUAL(sb->active, 0);
	tg_tcp_free(a.t);
	tg_tcp_free(b.t);
	tn_down(&n);
	free(src);
	free(back);
	free(b.pend);
	return round > max_rounds ? 0 : round;
}

static unsigned echo_run_cc(const char *imp_spec, size_t total, unsigned max_rounds,
			    struct tg_tcp_stats *sa, struct tg_tcp_stats *sb,
			    enum tg_tcp_cc cc_kind)
{
	return echo_run_v(imp_spec, total, max_rounds, sa, sb, cc_kind, false);
}

static unsigned echo_run(const char *imp_spec, size_t total, unsigned max_rounds,
			 struct tg_tcp_stats *sa, struct tg_tcp_stats *sb)
{
	return echo_run_cc(imp_spec, total, max_rounds, sa, sb, TG_TCP_CC_NEWRENO);
}

/* the same over IPv6 (segments sized for the 40-byte header: a wrong
 * MSS would not fit the MTU and nothing would arrive) */
static void test_echo_v6(void)
{
	struct tg_tcp_stats sa, sb;
	unsigned r = echo_run_v(NULL, 1 << 20, 200000, &sa, &sb, TG_TCP_CC_NEWRENO, true);

	CU_ASSERT(r > 0);
	CU_ASSERT_EQUAL(sa.retransmits + sb.retransmits, 0);
	r = echo_run_v("seed=31,tx.loss=1%,tx.reorder=1%", 1 << 20, 400000, &sa, &sb,
		       TG_TCP_CC_NEWRENO, true);
	CU_ASSERT(r > 0);
}

/* A long transfer without loss that the peer's window limits: cwnd grows
 * on every ACK (slow start up to ssthresh's 2^31 - 1: tlsgate-bench
 * tcp's bulk shows 0.5 GB after 3 s, then congestion avoidance); CUBIC's
 * cubic curve, a few minutes into its epoch, took the uint32_t past 4 GiB
 * and it wrapped to a few bytes. It stops at the largest window a peer
 * can offer (RFC 7323 §2.3: 65535 << 14), with NewReno and CUBIC. */
static void test_cwnd_no_wrap(void)
{
	static struct tg_tcp t;
	static struct tg_tcp_conn c;

	for (int cc = 0; cc < 2; cc++) {
		memset(&t, 0, sizeof(t));
		memset(&c, 0, sizeof(c));
		t.c.cc = cc ? TG_TCP_CC_CUBIC : TG_TCP_CC_NEWRENO;
		t.now_ms = 1000;
		c.t = &t;
		c.mss = 1448;
		c.srtt_us = 100;
		c.cwnd = 14480;
		c.ssthresh = 0x7fffffffu;
		for (unsigned i = 0; i < 4000000; i++) {
			uint32_t before = c.cwnd;

			tg_cc_on_ack(&c, 20272);
			/* 2 MB a millisecond: 16 Gbit/s, 400 s in all */
			if (i % 100 == 0)
				t.now_ms += 10;
			if (c.cwnd < before) {
				CU_FAIL("cwnd went down without a loss");
				break;
			}
		}
		CU_ASSERT(c.cwnd >= 1000u * 1000 * 1000);
		CU_ASSERT(c.cwnd <= 65535u << 14);
	}
}

static void test_echo_cubic(void)
{
	struct tg_tcp_stats sa, sb;
	unsigned r = echo_run_cc("seed=21,tx.loss=1%,tx.reorder=1%", 2 << 20, 400000,
				 &sa, &sb, TG_TCP_CC_CUBIC);

	CU_ASSERT(r > 0);
	CU_ASSERT(sa.fast_retransmits + sb.fast_retransmits > 0);
}

/* The pool runs low: windows stop opening, sends take nothing, nothing
 * crashes; given back, the connection goes on. */
static void test_pool_exhaustion(void)
{
	struct tx x;
	struct pk r[8];
	struct rte_mempool *mp;
	static struct rte_mbuf *held[4096];
	unsigned n = 0;
	static char chunk[1449];
	char buf[4096];
	struct iovec iov = { buf, sizeof(buf) };
	uint16_t wnd_before;

	up_accepted(&x);
	memset(chunk, 'p', 1448);
	send_seg(&x, ACK, chunk);
	send_seg(&x, ACK, chunk);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	wnd_before = r[0].wnd;
	mp = tg_net_pool(x.n.n[A][0]);
	/* take all but 100 */
	while (rte_mempool_avail_count(mp) > 100 && n < RTE_DIM(held))
		held[n++] = rte_pktmbuf_alloc(mp);
	step(&x, 1); /* the instance reads the pool's level every 50 us */
	/* data in: taken (its mbufs are the peer's), acknowledged, but the
	 * window does not open again as it is read */
	CU_ASSERT_EQUAL(tg_tcp_recv(x.c, &iov, 1), 2896);
	tg_tcp_flush(x.t);
	send_seg(&x, ACK, chunk);
	send_seg(&x, ACK, chunk);
	run(&x);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	CU_ASSERT(r[0].wnd < wnd_before);
	/* sends take nothing, writable is not reported */
	CU_ASSERT_EQUAL(tg_tcp_send(x.c, "abc", 3), 0);
	tg_tcp_want(x.c, false, true);
	{
		struct tg_tcp_event ev[4];

		CU_ASSERT_EQUAL(events(&x, ev, 4), 0);
	}
	/* the last ones too: ACKs cannot be built, nothing breaks */
	while (rte_mempool_avail_count(mp) > 0 && n < RTE_DIM(held))
		held[n++] = rte_pktmbuf_alloc(mp);
	send_seg(&x, ACK, chunk);
	send_seg(&x, ACK, chunk);
	step(&x, 100);
	CU_ASSERT(tg_tcp_stats(x.t)->no_mbuf > 0);
	/* given back: the window opens, the bytes go */
	for (unsigned i = 0; i < n; i++)
		rte_pktmbuf_free(held[i]);
	step(&x, 1);
	while (tg_tcp_recv(x.c, &iov, 1) > 0)
		;
	CU_ASSERT_EQUAL(tg_tcp_send(x.c, "abc", 3), 3);
	tg_tcp_flush(x.t);
	{
		unsigned k = peer_recv(&x, r, 8);

		CU_ASSERT_FATAL(k >= 1);
		CU_ASSERT(r[k - 1].wnd > 0);
	}
	close_down(&x);
}

/*
 * The pool empty when a connect's SYN or the first data would go: the
 * segment is not built, and the retransmission timer must be armed all
 * the same to send it later (nothing else would: no segment is in flight
 * and no ACK will come). test_dpdk's backend connects stayed in SYN-SENT
 * until the flow engine gave them up.
 */
static void test_pool_empty_syn_and_data(void)
{
	struct tx x;
	struct pk r[8];
	struct rte_mempool *mp;
	static struct rte_mbuf *held[8192];
	static uint8_t out[1000];
	struct tg_tcp_conn *c;
	unsigned n = 0, k = 0;

	up(&x, NULL);
	mp = tg_net_pool(x.n.n[A][0]);
	while (rte_mempool_avail_count(mp) > 0 && n < RTE_DIM(held))
		held[n++] = rte_pktmbuf_alloc(mp);
	TG_ASSERT_OK(tg_tcp_connect(x.t, &x.n.addr[B], 8080, NULL, &c));
	tg_tcp_flush(x.t);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 8), 0);
	CU_ASSERT(tg_tcp_stats(x.t)->no_mbuf > 0);
	for (unsigned i = 0; i < n; i++)
		rte_pktmbuf_free(held[i]);
	n = 0;
	/* the SYN goes within the initial RTO (RFC 6298 §2.1: 1 s) */
	for (unsigned ms = 0; ms < 1100 && (k = peer_recv(&x, r, 8)) == 0; ms++)
		step(&x, 1);
	CU_ASSERT_EQUAL(k, 1);
	CU_ASSERT_EQUAL(r[0].flags, SYN);
	{
		struct pk s = pk_new(SYN | ACK, 777, r[0].seq + 1);

		s.sport = 8080;
		s.dport = r[0].sport;
		s.mss = 1460;
		peer_send(&x, &s);
		run(&x);
		CU_ASSERT_EQUAL(peer_recv(&x, r, 8), 1); /* the ACK */
	}
	/* the data's turn: sent into an empty pool (bytes taken first) */
	memset(out, 'd', sizeof(out));
	CU_ASSERT_EQUAL(tg_tcp_send(c, out, sizeof(out)), (ssize_t)sizeof(out));
	while (rte_mempool_avail_count(mp) > 0 && n < RTE_DIM(held))
		held[n++] = rte_pktmbuf_alloc(mp);
	tg_tcp_flush(x.t);
	CU_ASSERT_EQUAL(peer_recv(&x, r, 8), 0);
	for (unsigned i = 0; i < n; i++)
		rte_pktmbuf_free(held[i]);
	/* within the RTO (backed off by the SYN sent again, RFC 6298 §5.5,
	 * no sample from it: Karn) */
	for (unsigned ms = 0; ms < 2100 && (k = peer_recv(&x, r, 8)) == 0; ms++)
		step(&x, 1);
	CU_ASSERT_EQUAL(k, 1);
	CU_ASSERT_EQUAL(r[0].len, sizeof(out));
	tg_tcp_abort(c);
	down(&x);
}

/*
 * Events are level-triggered: a connection reported stays ready. With
 * more ready than the caller takes at once, the next call must start
 * past those just reported (epoll's round robin), or the ones past the
 * first cap are never reported while the first stay ready (a flow
 * engine's backend CONNECTED event behind 256 readable clients).
 */
static void test_events_round_robin(void)
{
	struct tx x;
	struct tg_tcp_event ev[4];
	struct tg_tcp_conn *c[3];
	uint32_t pseq[3], our[3];
	unsigned seen[3] = { 0 };

	up(&x, NULL);
	TG_ASSERT_OK(tg_tcp_listen(x.t, 80, NULL, NULL));
	for (unsigned i = 0; i < 3; i++) {
		x.port = (uint16_t)(40000 + i);
		x.pseq = 1000000 * (i + 1);
		accept_conn(&x, true, true);
		c[i] = x.c;
		tg_tcp_set_udata(c[i], (void *)(uintptr_t)(i + 1));
		pseq[i] = x.pseq;
		our[i] = x.our;
	}
	for (unsigned i = 0; i < 3; i++) {
		x.port = (uint16_t)(40000 + i);
		x.pseq = pseq[i];
		x.our = our[i];
		send_seg(&x, ACK | PSH, "ready");
		run(&x);
	}
	/* three readable, none read: one at a time, each in turn */
	for (unsigned r = 0; r < 6; r++) {
		CU_ASSERT_EQUAL_FATAL(events(&x, ev, 1), 1);
		CU_ASSERT(ev[0].ev & TG_TCP_EV_READABLE);
		seen[(uintptr_t)ev[0].udata - 1]++;
	}
	for (unsigned i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(seen[i], 2);
	/* all at once: the three */
	CU_ASSERT_EQUAL(events(&x, ev, 4), 3);
	for (unsigned i = 0; i < 3; i++)
		tg_tcp_abort(c[i]);
	down(&x);
}

/* RFC 1191: fragmentation needed lowers the MSS of the connection whose
 * segment it quotes */
static void test_pmtu(void)
{
	struct tx x;
	struct pk r[16];
	static uint8_t out[4000];
	struct tg_tcp_info in;
	uint8_t icmp[8 + 20 + 8];
	struct rte_ipv4_hdr *q = (struct rte_ipv4_hdr *)(icmp + 8);
	uint32_t seq;
	uint16_t sp, dp;

	up_accepted(&x);
	CU_ASSERT_EQUAL(tg_tcp_send(x.c, out, sizeof(out)), 4000);
	tg_tcp_flush(x.t);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 16), 3);
	/* a router says 1000 bytes, quoting our first segment */
	memset(icmp, 0, sizeof(icmp));
	icmp[0] = 3;
	icmp[1] = 4;
	icmp[6] = 1000 >> 8;
	icmp[7] = 1000 & 0xff;
	q->version_ihl = RTE_IPV4_VHL_DEF;
	q->next_proto_id = IPPROTO_TCP;
	q->src_addr = tg_net_addr_v4(&x.n.addr[A]);
	q->dst_addr = tg_net_addr_v4(&x.n.addr[B]);
	sp = htons(80);
	dp = htons(x.port);
	seq = htonl(r[0].seq);
	memcpy(icmp + 28, &sp, 2);
	memcpy(icmp + 30, &dp, 2);
	memcpy(icmp + 32, &seq, 4);
	tn_put(&x.n, A, 0, tn_ip_frame(&x.n, B, IPPROTO_ICMP, icmp, sizeof(icmp)));
	run(&x);
	tg_tcp_info(x.c, &in);
	CU_ASSERT_EQUAL(in.mss, 1000 - 40 - 12);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->pmtu_updates, 1);
	/* what was too big goes again, in smaller segments */
	{
		unsigned k = peer_recv(&x, r, 16);

		CU_ASSERT_FATAL(k >= 1);
		for (unsigned i = 0; i < k; i++)
			CU_ASSERT(r[i].len <= 948);
		CU_ASSERT_EQUAL(r[0].seq, x.our);
	}
	close_down(&x);
}

/* ---- reservations (tg_tcp_send_reserve) ------------------------------------------------------- */

/* The payload the peer got since the last call, appended to @p out
 * (at @p *len); every segment acknowledged. */
static void resv_take(struct tx *x, uint8_t *out, uint32_t *len, uint32_t cap)
{
	struct pk r[32];
	unsigned k = peer_recv(x, r, 32);

	for (unsigned i = 0; i < k; i++) {
		if (r[i].len == 0)
			continue;
		CU_ASSERT_EQUAL(r[i].seq, x->our);
		if (*len + r[i].len <= cap)
			memcpy(out + *len, r[i].data, r[i].len);
		*len += r[i].len;
		x->our += r[i].len;
	}
	if (k > 0) {
		send_seg(x, ACK, NULL);
		run(x);
	}
}

static struct rte_mempool *resv_big_pool(struct tx *x)
{
	char name[RTE_MEMPOOL_NAMESIZE];

	snprintf(name, sizeof(name), "tgbig%p", (void *)x->t);
	return rte_mempool_lookup(name);
}

/*
 * Reservations: bytes [prefix, prefix + len) of each become the stream's
 * next bytes only when committed, oldest first; nothing of a reservation
 * (prefix, uncommitted tail, an uncommitted one) goes out; a plain send
 * waits behind them; the buffer limit counts them.
 */
static void test_reserve_order(void)
{
	struct tx x;
	struct tg_tcp_conf cc = conf_default();
	static uint8_t got[8192];
	uint32_t glen = 0;
	uint8_t *a, *b, *c;
	struct tg_tcp_info in;
	struct tg_tcp_event ev[4];

	cc.snd_buf = 64 * 1024;
	cc.snd_big_mbufs = 8;
	up(&x, &cc);
	TG_ASSERT_OK(tg_tcp_listen(x.t, 80, NULL, NULL));
	accept_conn(&x, true, true);
	a = tg_tcp_send_reserve(x.c, 13, 100);
	b = tg_tcp_send_reserve(x.c, 5, 50);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	memset(a, 'h', 13);
	memset(a + 13, 'A', 100);
	memset(b, 'h', 5);
	memset(b + 5, 'B', 50);
	/* a plain send would pass them: it waits */
	CU_ASSERT_EQUAL(tg_tcp_send(x.c, "C", 1), 0);
	run(&x);
	resv_take(&x, got, &glen, sizeof(got));
	CU_ASSERT_EQUAL(glen, 0);
	tg_tcp_info(x.c, &in);
	CU_ASSERT_EQUAL(in.snd_queued, 0);
	/* the oldest first, part of the second (its tail never goes) */
	tg_tcp_send_commit(x.c, 100);
	c = tg_tcp_send_reserve(x.c, 0, 10);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	memset(c, 'D', 10);
	tg_tcp_send_commit(x.c, 30);
	CU_ASSERT_EQUAL(tg_tcp_send(x.c, "C", 1), 0);
	tg_tcp_send_commit(x.c, 10);
	CU_ASSERT_EQUAL(tg_tcp_send(x.c, "CC", 2), 2);
	tg_tcp_flush(x.t);
	resv_take(&x, got, &glen, sizeof(got));
	CU_ASSERT_EQUAL_FATAL(glen, 142);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->resv_bytes, 140);
	for (uint32_t i = 0; i < glen; i++)
		CU_ASSERT_EQUAL(got[i], i < 100 ? 'A' : i < 130 ? 'B' : i < 140 ? 'D' : 'C');
	/* a commit with none outstanding, and of 0 bytes: nothing */
	tg_tcp_send_commit(x.c, 5);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tg_tcp_send_reserve(x.c, 0, 10));
	tg_tcp_send_commit(x.c, 0);
	tg_tcp_flush(x.t);
	resv_take(&x, got, &glen, sizeof(got));
	CU_ASSERT_EQUAL(glen, 142);
	/* the limit counts reserved bytes: granted while writable (room for
	 * 16 KiB), over snd_buf by less than one */
	CU_ASSERT_PTR_NULL(tg_tcp_send_reserve(x.c, 0, TG_TCP_RESV_MAX + 1));
	CU_ASSERT_PTR_NULL(tg_tcp_send_reserve(x.c, 0, 0));
	for (int i = 0; i < 3; i++)
		CU_ASSERT_PTR_NOT_NULL(tg_tcp_send_reserve(x.c, 0, 16000));
	/* 48000 of 65536: 17536 left, writable */
	tg_tcp_want(x.c, false, true);
	CU_ASSERT_EQUAL(events(&x, ev, 4), 1);
	CU_ASSERT_PTR_NOT_NULL(tg_tcp_send_reserve(x.c, 0, 16000));
	/* 1536 left: refused, not writable, a plain send takes nothing */
	CU_ASSERT_PTR_NULL(tg_tcp_send_reserve(x.c, 0, 100));
	CU_ASSERT_EQUAL(events(&x, ev, 4), 0);
	tg_tcp_want(x.c, false, false);
	tg_tcp_send_cancel(x.c);
	CU_ASSERT_PTR_NOT_NULL(tg_tcp_send_reserve(x.c, 0, 100));
	tg_tcp_send_cancel(x.c);
	close_down(&x);
}

/*
 * Large reservations come from the instance's pool of large mbufs: an
 * empty pool refuses (back-pressure, no crash) until mbufs come back (an
 * ACK of what was committed, a cancel, a close); a reset keeps the
 * memory of those outstanding until the user lets the connection go.
 */
static void test_reserve_big_pool(void)
{
	struct tx x;
	struct tg_tcp_conf cc = conf_default();
	static uint8_t got[65536];
	uint32_t glen = 0;
	uint8_t *p[4];
	struct rte_mempool *big;
	struct tg_tcp_event ev[4];

	cc.snd_big_mbufs = 3;
	cc.snd_buf = 256 * 1024;
	up(&x, &cc);
	big = resv_big_pool(&x);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	TG_ASSERT_OK(tg_tcp_listen(x.t, 80, NULL, NULL));
	accept_conn(&x, true, true);
	for (int i = 0; i < 3; i++) {
		p[i] = tg_tcp_send_reserve(x.c, 13, 16384 + 16);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p[i]);
		memset(p[i] + 13, 'a' + i, 16384 + 16);
	}
	CU_ASSERT_EQUAL(rte_mempool_avail_count(big), 0);
	/* empty: refused, and not writable while it is */
	CU_ASSERT_PTR_NULL(tg_tcp_send_reserve(x.c, 13, 16384));
	tg_tcp_want(x.c, false, true);
	CU_ASSERT_EQUAL(events(&x, ev, 4), 0);
	/* small ones still come from the packet pool */
	CU_ASSERT_PTR_NOT_NULL_FATAL(p[3] = tg_tcp_send_reserve(x.c, 0, 64));
	memset(p[3], 'z', 64);
	tg_tcp_send_commit(x.c, 16384);
	tg_tcp_send_commit(x.c, 16384 + 16);
	tg_tcp_flush(x.t);
	/* acknowledged: its mbuf is back, writable again */
	for (int i = 0; i < 20 && glen < 2 * 16384 + 16; i++) {
		resv_take(&x, got, &glen, sizeof(got));
		step(&x, 1);
	}
	CU_ASSERT_EQUAL_FATAL(glen, 2 * 16384 + 16);
	for (uint32_t i = 0; i < glen; i++)
		if (got[i] != (i < 16384 ? 'a' : 'b')) {
			CU_FAIL("bytes out of order");
			break;
		}
	CU_ASSERT(rte_mempool_avail_count(big) >= 1);
	CU_ASSERT(events(&x, ev, 4) == 1 && (ev[0].ev & TG_TCP_EV_WRITABLE));
	tg_tcp_want(x.c, false, false);
	/* a reset: nothing more goes, but the reservation's memory stays
	 * (records may be sealed in it still) until the close */
	send_seg(&x, RST, NULL);
	run(&x);
	memset(p[2] + 13, 'c', 16384); /* still ours */
	CU_ASSERT_EQUAL(tg_tcp_send(x.c, "x", 1), -1);
	CU_ASSERT_PTR_NULL(tg_tcp_send_reserve(x.c, 0, 10));
	tg_tcp_send_commit(x.c, 100); /* dropped: cannot send */
	tg_tcp_close(x.c);            /* the last ones dropped */
	CU_ASSERT_EQUAL(rte_mempool_avail_count(big), 3);
	down(&x);
}

/* A close with reservations outstanding drops them (their bytes never
 * go), what was committed goes, then the FIN. */
static void test_reserve_close(void)
{
	struct tx x;
	struct tg_tcp_conf cc = conf_default();
	static uint8_t got[4096];
	uint32_t glen = 0;
	struct rte_mempool *big;
	uint8_t *a, *b;
	struct pk r[8];
	unsigned k;

	cc.snd_big_mbufs = 2;
	up(&x, &cc);
	big = resv_big_pool(&x);
	TG_ASSERT_OK(tg_tcp_listen(x.t, 80, NULL, NULL));
	accept_conn(&x, true, true);
	a = tg_tcp_send_reserve(x.c, 0, 1000);
	b = tg_tcp_send_reserve(x.c, 0, 16000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	memset(a, 'k', 1000);
	memset(b, 'S', 16000);
	tg_tcp_send_commit(x.c, 1000);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(big), 1);
	tg_tcp_close(x.c);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(big), 2);
	tg_tcp_flush(x.t);
	k = peer_recv(&x, r, 8);
	for (unsigned i = 0; i < k; i++) {
		if (r[i].len > 0 && glen + r[i].len <= sizeof(got))
			memcpy(got + glen, r[i].data, r[i].len);
		glen += r[i].len;
	}
	CU_ASSERT_EQUAL(glen, 1000);
	CU_ASSERT(k >= 1 && (r[k - 1].flags & FIN));
	for (uint32_t i = 0; i < glen && i < sizeof(got); i++)
		CU_ASSERT_EQUAL(got[i], 'k');
	down(&x);
}

/* ---- mbuf chains (tg_tcp_recv_chain, tg_tcp_send_chain) ----------------------------------------- */

static char chain_byte(uint32_t i)
{
	return (char)('a' + (i * 7 + i / 251) % 26);
}

/* mbufs in use in both sides' pools (the peer's frames arrive in its) */
static unsigned chain_in_use(struct tx *x)
{
	return rte_mempool_in_use_count(x->n.pool[A][0]) +
	       rte_mempool_in_use_count(x->n.pool[B][0]);
}

/*
 * Received bytes taken out as a chain without a copy (the queue's mbufs,
 * the last one split by an indirect mbuf), the window opened as by a
 * read; the chain appended to the send stream: the exact bytes go, a
 * loss resends them, a plain send behind it does not write into the
 * split buffer; every mbuf back in the pool at the end.
 */
static void test_chain_recv_send(void)
{
	struct tx x;
	struct pk r[32];
	struct tg_tcp_conf cc = conf_default();
	struct tg_tcp_info in;
	struct rte_mempool *mp;
	static char chunk[1449];
	static uint8_t got[32768];
	uint32_t glen = 0, off = 0, wnd = 0;
	unsigned base, held, k;
	struct rte_mbuf *ch, *m;
	uint8_t *q;
	char rest[1100];
	struct iovec iov = { rest, sizeof(rest) };

	cc.rcv_buf = 16384;
	cc.no_delack = true;
	cc.snd_big_mbufs = 2;
	up(&x, &cc);
	mp = x.n.pool[A][0];
	TG_ASSERT_OK(tg_tcp_listen(x.t, 80, NULL, NULL));
	accept_conn(&x, true, true);
	tg_tcp_info(x.c, &in);
	base = chain_in_use(&x);
	/* 11 segments of 1448 bytes and one of 456: the window is full */
	for (int i = 0; i < 12; i++) {
		uint32_t len = i < 11 ? 1448 : 456;

		for (uint32_t j = 0; j < len; j++)
			chunk[j] = chain_byte(off + j);
		chunk[len] = '\0';
		off += len;
		send_seg(&x, ACK, chunk);
		run(&x);
		if (peer_recv(&x, r, 8) > 0)
			wnd = (uint32_t)r[0].wnd << in.rcv_wscale;
	}
	CU_ASSERT_EQUAL(wnd, 0);
	CU_ASSERT_EQUAL(tg_tcp_recv_avail(x.c), 16384);
	/* too many mbufs, too many bytes, none: nothing taken */
	CU_ASSERT_PTR_NULL(tg_tcp_recv_chain(x.c, 15384, 10));
	CU_ASSERT_PTR_NULL(tg_tcp_recv_chain(x.c, 16385, 32));
	CU_ASSERT_PTR_NULL(tg_tcp_recv_chain(x.c, 0, 32));
	CU_ASSERT_EQUAL(tg_tcp_recv_avail(x.c), 16384);
	held = chain_in_use(&x);
	/* 15384 = 10 x 1448 + 904: ten mbufs and a clone of the 11th */
	ch = tg_tcp_recv_chain(x.c, 15384, 11);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ch);
	CU_ASSERT_EQUAL(ch->nb_segs, 11);
	CU_ASSERT_EQUAL(ch->pkt_len, 15384);
	k = 0;
	off = 0;
	for (m = ch; m != NULL; m = m->next, k++) {
		const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);

		CU_ASSERT_EQUAL(m->data_len, k < 10 ? 1448 : 904);
		CU_ASSERT_EQUAL(RTE_MBUF_DIRECT(m), k < 10);
		for (uint32_t j = 0; j < m->data_len; j++)
			if (d[j] != (uint8_t)chain_byte(off + j)) {
				CU_FAIL("chain bytes");
				break;
			}
		off += m->data_len;
	}
	CU_ASSERT_EQUAL(k, 11);
	/* no copy: the queue's mbufs and one indirect one */
	CU_ASSERT_EQUAL(chain_in_use(&x), held + 1);
	CU_ASSERT_EQUAL(tg_tcp_recv_avail(x.c), 1000);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->chain_bytes_in, 15384);
	/* the window opens as after a read: an update at once */
	tg_tcp_flush(x.t);
	CU_ASSERT_EQUAL_FATAL(peer_recv(&x, r, 8), 1);
	CU_ASSERT_EQUAL((uint32_t)r[0].wnd << in.rcv_wscale, 15384);
	/* the rest of the split mbuf is the queue's first byte */
	CU_ASSERT_EQUAL(tg_tcp_peek(x.c, &q), 544 + 456); /* (the last
									 * segment went into
									 * the room behind it) */
	CU_ASSERT_EQUAL(q[0], (uint8_t)chain_byte(15384));
	/* stream order: not while a reservation is outstanding */
	CU_ASSERT_PTR_NOT_NULL_FATAL(tg_tcp_send_reserve(x.c, 0, 10));
	CU_ASSERT_EQUAL(tg_tcp_send_chain(x.c, ch), -EAGAIN);
	tg_tcp_send_commit(x.c, 0);
	/* appended, then a plain send behind the clone */
	CU_ASSERT_EQUAL(tg_tcp_send_chain(x.c, ch), 0);
	CU_ASSERT_EQUAL(tg_tcp_send(x.c, "XYZ", 3), 3);
	CU_ASSERT_EQUAL(tg_tcp_stats(x.t)->chain_bytes_out, 15384);
	tg_tcp_info(x.c, &in);
	CU_ASSERT_EQUAL(in.snd_queued, 15387);
	/* the queue's bytes were not touched by it */
	CU_ASSERT_EQUAL(tg_tcp_recv(x.c, &iov, 1), 1000);
	for (uint32_t j = 0; j < 1000; j++)
		if (rest[j] != chain_byte(15384 + j)) {
			CU_FAIL("queue bytes after the split");
			break;
		}
	/* the first flight is lost: resent by the RTO, the same bytes */
	tg_tcp_flush(x.t);
	CU_ASSERT(peer_recv(&x, r, 32) > 0);
	for (int i = 0; i < 400 && glen < 15387; i++) {
		unsigned n;

		step(&x, 5);
		n = peer_recv(&x, r, 32);
		/* in order only (a tail probe ahead of the hole is dropped) */
		for (unsigned j = 0; j < n; j++)
			if (r[j].len > 0 && r[j].seq == x.our && glen + r[j].len <= sizeof(got)) {
				memcpy(got + glen, r[j].data, r[j].len);
				glen += r[j].len;
				x.our += r[j].len;
			}
		if (n > 0) {
			send_seg(&x, ACK, NULL);
			run(&x);
		}
	}
	CU_ASSERT_EQUAL_FATAL(glen, 15387);
	CU_ASSERT(tg_tcp_stats(x.t)->retransmits > 0);
	for (uint32_t j = 0; j < 15384; j++)
		if (got[j] != (uint8_t)chain_byte(j)) {
			CU_FAIL("bytes sent from the chain");
			break;
		}
	CU_ASSERT_EQUAL(memcmp(got + 15384, "XYZ", 3), 0);
	/* all acknowledged: every mbuf back */
	step(&x, 5);
	(void)peer_recv(&x, r, 32);
	CU_ASSERT_EQUAL(chain_in_use(&x), base);
	/* shut down: refused, the chain stays the caller's */
	ch = rte_pktmbuf_alloc(mp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ch);
	tg_tcp_shutdown(x.c);
	CU_ASSERT_EQUAL(tg_tcp_send_chain(x.c, ch), -EPIPE);
	rte_pktmbuf_free(ch);
	tg_tcp_close(x.c);
	down(&x);
}

/* Not writable: a chain waits, as a reservation would. */
static void test_chain_send_full(void)
{
	struct tx x;
	struct tg_tcp_conf cc = conf_default();
	struct rte_mempool *mp;
	struct rte_mbuf *m[3];
	unsigned base;

	cc.snd_buf = 32 * 1024;
	up(&x, &cc);
	mp = x.n.pool[A][0];
	TG_ASSERT_OK(tg_tcp_listen(x.t, 80, NULL, NULL));
	accept_conn(&x, true, true);
	base = rte_mempool_in_use_count(mp);
	for (int i = 0; i < 3; i++) {
		m[i] = rte_pktmbuf_alloc(mp);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m[i]);
		memset(rte_pktmbuf_append(m[i], 1000), 'a' + i, 1000);
	}
	/* 25000 queued: under 8 KiB left, a quarter of snd_buf */
	for (int i = 0; i < 25; i++) {
		static char kb[1001];

		memset(kb, 'q', 1000);
		CU_ASSERT_EQUAL(tg_tcp_send(x.c, kb, 1000), 1000);
	}
	CU_ASSERT_EQUAL(tg_tcp_send_chain(x.c, m[0]), -EAGAIN);
	CU_ASSERT_EQUAL(tg_tcp_send_chain(x.c, m[1]), -EAGAIN);
	tg_tcp_send_cancel(x.c);
	tg_tcp_close(x.c);
	/* the stack's buffers gone with the connection, ours still ours */
	for (int i = 0; i < 3; i++)
		rte_pktmbuf_free(m[i]);
	tg_tcp_flush(x.t);
	down(&x);
	(void)base;
}

static void test_echo_clean(void)
{
	struct tg_tcp_stats sa, sb;
	unsigned r = echo_run(NULL, 4 << 20, 200000, &sa, &sb);

	printf("\n  clean: %u rounds, segs %lu/%lu\n", r, (unsigned long)sa.segs_out, (unsigned long)sb.segs_out);
	CU_ASSERT(r > 0);
	CU_ASSERT_EQUAL(sa.retransmits + sb.retransmits, 0);
	CU_ASSERT_EQUAL(sa.time_wait, 1); /* A closed first */
}

static void test_echo_loss(void)
{
	struct tg_tcp_stats sa, sb;
	unsigned r1, r5;
	uint64_t u1a, u1b;

	r1 = echo_run("seed=11,tx.loss=1%,tx.reorder=1%,tx.dup=0.5%", 2 << 20, 400000,
		      &sa, &sb);
	CU_ASSERT(r1 > 0);
	CU_ASSERT(sa.retransmits + sb.retransmits > 0);
	CU_ASSERT(sa.fast_retransmits + sb.fast_retransmits > 0);
	u1a = sa.dsack_undo;
	u1b = sb.dsack_undo;
	r5 = echo_run("seed=12,tx.loss=5%,tx.reorder=2%,tx.dup=1%,tx.delay=1ms,"
		      "tx.jitter=500us", 1 << 20, 600000, &sa, &sb);
	CU_ASSERT(r5 > 0);
	printf("\n  1%%: %u rounds (undo %lu/%lu), 5%%: %u rounds; last: rtx %lu/%lu fast %lu/%lu "
	       "rto %lu/%lu undo %lu/%lu\n", r1, (unsigned long)u1a, (unsigned long)u1b, r5,
	       (unsigned long)sa.retransmits, (unsigned long)sb.retransmits,
	       (unsigned long)sa.fast_retransmits, (unsigned long)sb.fast_retransmits,
	       (unsigned long)sa.rto, (unsigned long)sb.rto,
	       (unsigned long)sa.dsack_undo, (unsigned long)sb.dsack_undo);
}

/* Every segment from 200 bytes up as slices of the send buffer, through
 * loss, reordering, duplicates, delay (segments held while the ACKs
 * free the send buffer under them) and corruption (copied first); both
 * pools whole at the end (tn_down). */
static void test_echo_chains(void)
{
	struct tg_tcp_stats sa, sb;
	unsigned r;

	echo_chain_min = 200;
	r = echo_run(NULL, 1 << 20, 200000, &sa, &sb);
	CU_ASSERT(r > 0);
	r = echo_run("seed=21,tx.loss=2%,tx.reorder=2%,tx.dup=1%,tx.delay=1ms,"
		     "tx.jitter=300us,tx.corrupt=1%", 1 << 20, 600000, &sa, &sb);
	CU_ASSERT(r > 0);
	CU_ASSERT(sa.retransmits + sb.retransmits > 0);
	/* IPv6: the chain under the 40-byte header, summed in pieces */
	r = echo_run_v("seed=22,tx.loss=1%,tx.corrupt=1%", 512 << 10, 400000, &sa, &sb,
		       TG_TCP_CC_NEWRENO, true);
	CU_ASSERT(r > 0);
	echo_chain_min = 0;
}

/* B echoes with chains: the bytes A sent come back through B's receive
 * queue's own mbufs, cut at sizes that split them, appended to B's send
 * stream and resent from it through loss, reordering, duplicates and
 * delay; both pools whole at the end (tn_down). */
static void test_echo_by_chain(void)
{
	struct tg_tcp_stats sa, sb;
	unsigned r;

	echo_by_chain = true;
	r = echo_run(NULL, 1 << 20, 200000, &sa, &sb);
	CU_ASSERT(r > 0);
	CU_ASSERT_EQUAL(sb.chain_bytes_in, 1 << 20);
	CU_ASSERT_EQUAL(sb.chain_bytes_out, 1 << 20);
	r = echo_run("seed=31,tx.loss=3%,tx.reorder=2%,tx.dup=1%,tx.delay=1ms,"
		     "tx.jitter=300us", 1 << 20, 600000, &sa, &sb);
	CU_ASSERT(r > 0);
	CU_ASSERT(sb.retransmits > 0);
	CU_ASSERT_EQUAL(sb.chain_bytes_out, 1 << 20);
	echo_chain_min = 200; /* segments as slices of the chains' mbufs */
	r = echo_run("seed=32,tx.loss=1%,tx.corrupt=1%", 512 << 10, 400000, &sa, &sb);
	CU_ASSERT(r > 0);
	echo_chain_min = 0;
	echo_by_chain = false;
}

/* TSO (issue 17): both ports act as if they had it; every frame of
 * several segments our TCP sends is checked (DPDK's contract: flags,
 * header lengths, tso_segsz the MSS less the timestamps, the IP length,
 * the pseudo-header sum without the length) and cut here as a device
 * would (IPv4 by librte_gso, what net_tap runs), each segment checked
 * (length within the MTU, checksums as the device makes them) and
 * given to the other stack, which must take every byte: 4 MiB echoed
 * over IPv4, 1 MiB over IPv6, no retransmission, no bad checksum. The
 * counters say the frames and segments that went. Then the tx
 * impairment on: no TSO frame (it decides each wire packet's fate). */
static void tso_echo(bool v6, size_t total)
{
	struct tg_tcp_stats sa, sb;
	unsigned r;

	echo_tso = true;
	r = echo_run_v(NULL, total, 200000, &sa, &sb, TG_TCP_CC_NEWRENO, v6);
	echo_tso = false;
	CU_ASSERT(r > 0);
	printf("\n  TSO %s: %u rounds; A: %lu frames, %lu segments (%lu plain); "
	       "B: %lu frames, %lu segments (%lu plain)",
	       v6 ? "IPv6" : "IPv4", r, (unsigned long)tso_seen[A].frames,
	       (unsigned long)tso_seen[A].segs, (unsigned long)tso_seen[A].plain,
	       (unsigned long)tso_seen[B].frames, (unsigned long)tso_seen[B].segs,
	       (unsigned long)tso_seen[B].plain);
	CU_ASSERT_EQUAL(sa.retransmits + sb.retransmits, 0);
	/* both directions sent TSO frames, and counted them */
	CU_ASSERT(tso_seen[A].frames > 0);
	CU_ASSERT(tso_seen[B].frames > 0);
	CU_ASSERT_EQUAL(sa.tso_frames, tso_seen[A].frames);
	CU_ASSERT_EQUAL(sa.tso_segs, tso_seen[A].segs);
	CU_ASSERT_EQUAL(sb.tso_frames, tso_seen[B].frames);
	CU_ASSERT_EQUAL(sb.tso_segs, tso_seen[B].segs);
	/* the segments the device sends are the segments counted */
	CU_ASSERT_EQUAL(sa.segs_out, tso_seen[A].segs + tso_seen[A].plain);
	CU_ASSERT_EQUAL(sb.segs_in, sa.segs_out);
	CU_ASSERT_EQUAL(sa.malformed + sb.malformed, 0);
}

static void test_echo_tso(void)
{
	struct tg_tcp_stats sa, sb;
	unsigned r;

	tso_echo(false, 4 << 20);
	tso_echo(true, 1 << 20);
	echo_tso = true;
	r = echo_run("seed=41,tx.loss=1%", 512 << 10, 400000, &sa, &sb);
	echo_tso = false;
	CU_ASSERT(r > 0);
	CU_ASSERT_EQUAL(sa.tso_frames + sb.tso_frames, 0);
	CU_ASSERT_EQUAL(tso_seen[A].frames + tso_seen[B].frames, 0);
	/* segments of frames lost on the way (every 37th cut): repaired one
	 * MSS at a time (retransmissions are never frames), every byte
	 * back, every mbuf back in its pool (tn_down) */
	echo_tso = true;
	tso_drop_every = 37;
	tso_cut_n = 0;
	r = echo_run(NULL, 2 << 20, 400000, &sa, &sb);
	tso_drop_every = 0;
	echo_tso = false;
	CU_ASSERT(r > 0);
	CU_ASSERT(sa.retransmits + sb.retransmits > 0);
	CU_ASSERT(tso_seen[A].frames > 0 && tso_seen[B].frames > 0);
	printf("\n  TSO, every 37th segment lost: %u rounds, frames %lu/%lu, "
	       "retransmits %lu/%lu, rto %lu/%lu",
	       r, (unsigned long)sa.tso_frames, (unsigned long)sb.tso_frames,
	       (unsigned long)sa.retransmits, (unsigned long)sb.retransmits,
	       (unsigned long)sa.rto, (unsigned long)sb.rto);
}

/* Loss recovery measured: 1 MiB echoed through 1% and 5% loss (1 ms each
 * way), 20 seeds each (ECHO_SEEDS), on the stepped clock (a round is 0.1 ms), so the
 * numbers replay exactly. Prints the simulated time and how the losses
 * were recovered. */
#define ECHO_SEEDS 20u

static void echo_measure(const struct tg_tcp_conf *base, const char *name)
{
	static const char *const loss[2] = { "1%", "5%" };

	echo_base = base;
	for (int l = 0; l < 2; l++) {
		uint64_t rounds = 0, rto = 0, fast = 0, rtx = 0, tlp = 0, tlp_rec = 0, rl = 0;
		unsigned ok = 0;

		for (unsigned seed = 101; seed < 101 + ECHO_SEEDS; seed++) {
			struct tg_tcp_stats sa, sb;
			char spec[96];
			unsigned r;

			snprintf(spec, sizeof(spec), "seed=%u,tx.loss=%s,tx.delay=1ms", seed, loss[l]);
			r = echo_run(spec, 1 << 20, 2000000, &sa, &sb);
			CU_ASSERT(r > 0);
			ok += r > 0;
			rounds += r;
			rto += sa.rto + sb.rto;
			fast += sa.fast_retransmits + sb.fast_retransmits;
			rtx += sa.retransmits + sb.retransmits;
			tlp += sa.tlp + sb.tlp;
			tlp_rec += sa.tlp_recovered + sb.tlp_recovered;
			rl += sa.rack_lost + sb.rack_lost;
			if (getenv("TG_ECHO_VERBOSE"))
				printf("\n    seed %u: %u rounds rto %lu/%lu no_mbuf %lu/%lu no_route %lu/%lu "
				       "tlp %lu/%lu", seed, r,
				       (unsigned long)sa.rto, (unsigned long)sb.rto,
				       (unsigned long)sa.no_mbuf, (unsigned long)sb.no_mbuf,
				       (unsigned long)sa.no_route, (unsigned long)sb.no_route,
				       (unsigned long)sa.tlp, (unsigned long)sb.tlp);
		}
		printf("\n  %s %s loss: %u/%u runs, %.3f s simulated (%.2f MB/s echoed), rtx %lu, "
		       "fast %lu, rto %lu, tlp %lu (repaired %lu), rack lost %lu", name, loss[l], ok, ECHO_SEEDS,
		       rounds / 1e4, ok ? ECHO_SEEDS * 2.0 * (1 << 20) / (rounds / 1e4) / 1e6 : 0.0,
		       (unsigned long)rtx, (unsigned long)fast, (unsigned long)rto,
		       (unsigned long)tlp, (unsigned long)tlp_rec, (unsigned long)rl);
	}
	echo_base = NULL;
	printf("\n");
}

static void test_echo_measure(void)
{
	struct tg_tcp_conf c = conf_default();

	echo_measure(&c, "RACK-TLP");
	c.no_rack = true;
	echo_measure(&c, "no_rack");
}

/* The options NOP, NOP, timestamps (read without the walk) give what
 * the walk gives for the same values in other layouts; a layout only
 * like it (other lengths, kinds) still goes through the walk. */
static void test_parse_opts_ts(void)
{
	static const uint8_t fast[12] = { 1, 1, 8, 10, 0x11, 0x22, 0x33, 0x44,
					  0x55, 0x66, 0x77, 0x88 };
	static const uint8_t walk[12] = { 8, 10, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
					  0x77, 0x88, 1, 0 };
	static const uint8_t bad[12] = { 1, 1, 8, 9, 0x11, 0x22, 0x33, 0x44,
					 0x55, 0x66, 0x77, 0x88 };
	static const uint8_t sack[12] = { 1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2 };
	struct tg_seg a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	TG_ASSERT_OK(tg_tcp_parse_opts(fast, sizeof(fast), &a));
	TG_ASSERT_OK(tg_tcp_parse_opts(walk, sizeof(walk), &b));
	CU_ASSERT(a.has_ts && b.has_ts);
	CU_ASSERT_EQUAL(a.tsval, 0x11223344u);
	CU_ASSERT_EQUAL(a.tsecr, 0x55667788u);
	CU_ASSERT_EQUAL(memcmp(&a, &b, sizeof(a)), 0);
	memset(&a, 0, sizeof(a));
	CU_ASSERT(tg_failed(tg_tcp_parse_opts(bad, sizeof(bad), &a)));
	memset(&a, 0, sizeof(a));
	TG_ASSERT_OK(tg_tcp_parse_opts(sack, sizeof(sack), &a));
	CU_ASSERT(!a.has_ts);
	CU_ASSERT_EQUAL(a.n_sack, 1);
	CU_ASSERT_EQUAL(a.sack[0][0], 1u);
	CU_ASSERT_EQUAL(a.sack[0][1], 2u);
}

static CU_TestInfo tcp_tests[] = {
	{ "options: NOP, NOP, timestamps read as the walk reads them", test_parse_opts_ts },
	{ "passive open: SYN-ACK options, MSS/WS/TS negotiated", test_passive_open },
	{ "SYN without options: defaults", test_negotiation_none },
	{ "active open: SYN options, port owned by this instance", test_active_open },
	{ "connect refused, connect timed out (SYN backoff)", test_connect_refused_and_timeout },
	{ "simultaneous open", test_simultaneous_open },
	{ "data, delayed ACK, every second segment, MSS-sized sends", test_data_and_delayed_ack },
	{ "retransmission timing (RFC 6298 backoff, same bytes)", test_rto_timing },
	{ "an ACK after a timeout carries SND.MAX", test_ack_seq_after_rto },
	{ "fast retransmit and NewReno partial ACK", test_fast_retransmit },
	{ "retransmission after the impairment layer corrupted the first flight",
	  test_retransmit_after_corruption },
	{ "out-of-order queue, duplicate ACKs, old duplicates", test_out_of_order },
	{ "peek/consume: peeked bytes stay in place until consumed", test_peek_in_place },
	{ "SACK recovery (RFC 6675): both holes in one recovery", test_sack_recovery },
	{ "SACK blocks for the out-of-order queue (RFC 2018)", test_sack_blocks },
	{ "an out-of-order segment's ACK alone, with data of ours waiting", test_ooo_ack_alone },
	{ "RACK: lost after the reordering window, not before", test_rack_reo_wnd },
	{ "RACK: a lost retransmission resent again, no RTO", test_rack_lost_retransmission },
	{ "D-SACK: duplicates reported once, first (RFC 2883)", test_dsack_receiver },
	{ "RACK: D-SACKs widen the reordering window (RFC 8985 6.2)", test_rack_dsack_reo_wnd },
	{ "D-SACK: an ACK of its own when our full segment has no room", test_dsack_no_room },
	{ "D-SACK: kept when its ACK found no mbuf", test_dsack_no_mbuf },
	{ "TLP: a D-SACK above the ACK is not the probe's (RFC 8985 7.4.2)", test_tlp_dsack_other },
	{ "RACK: D-SACKs after all was acknowledged grow the window once", test_rack_dsack_round_idle },
	{ "RACK: a D-SACK on the ACK that ends the 16th recovery", test_rack_dsack_at_recovery_end },
	{ "RACK: an RTO recovery counts among the 16 (RFC 8985 6.2)", test_rack_dsack_rto_recovery },
	{ "D-SACK: its block second when the rest found the queue full", test_dsack_ooo_full },
	{ "D-SACK: two duplicates in one burst, two ACKs", test_dsack_burst },
	{ "D-SACK: sequence wrap, PAWS, keep-alives, RST, past the window", test_dsack_edges },
	{ "RACK: a D-SACK of data never resent leaves the window", test_rack_dsack_not_resent },
	{ "undo: a fast recovery all D-SACKed, cwnd and ssthresh back (RFC 3708, 4015)",
	  test_undo_fast },
	{ "undo: not when a retransmission may have been needed, nor too late", test_undo_needed },
	{ "undo: the network's duplicate does not count", test_undo_network_dup },
	{ "undo: a spurious timeout D-SACKed", test_undo_rto },
	{ "undo: CUBIC's W_max, K and epoch back", test_undo_cubic },
	{ "TLP: the tail's loss repaired by the probe, no RTO", test_tlp_tail },
	{ "TLP: the probe timeout's floor at a small SRTT", test_tlp_pto_floor },
	{ "TLP: a single segment's probe at the RTO's time; both came", test_tlp_not_lost },
	{ "NextSeg rule 3: a hole not yet lost, nothing new to send", test_nextseg_rule3 },
	{ "NextSeg rule 4: the rescue retransmission, once", test_nextseg_rescue },
	{ "RST and RFC 5961 challenge ACKs", test_rst_and_challenge },
	{ "challenge ACK rate limit", test_challenge_rate_limit },
	{ "RST for segments without a connection", test_no_connection_rst },
	{ "PAWS and segments without timestamps", test_paws },
	{ "malformed segments dropped and counted", test_malformed },
	{ "SYN cookies: options encoded, bad cookie refused", test_syncookies },
	{ "SYN flood: the established connection is served", test_syn_flood },
	{ "active close, TIME_WAIT, FIN again, RFC 6191 reuse", test_active_close_time_wait },
	{ "TIME_WAIT expiry and bounded table", test_time_wait_expiry_and_bound },
	{ "our FIN acknowledged after a retransmission timeout", test_fin_acked_after_rto },
	{ "passive close (CLOSE_WAIT, LAST_ACK)", test_passive_close },
	{ "simultaneous close (CLOSING)", test_simultaneous_close },
	{ "zero-window probes", test_zero_window_probe },
	{ "receive window: shrinking use, zero, update", test_receive_window },
	{ "zero windows both ways: no ACK ping-pong", test_zero_window_no_ack_loop },
	{ "windows filled to the edge both ways: no ACK ping-pong", test_window_edge_no_ack_loop },
	{ "keep-alive", test_keepalive },
	{ "pool exhaustion: windows close, sends pause, no crash", test_pool_exhaustion },
	{ "path MTU: fragmentation needed lowers the MSS", test_pmtu },
	{ "an empty pool at the SYN and at the data: sent later", test_pool_empty_syn_and_data },
	{ "level-triggered events in turn when more are ready than taken", test_events_round_robin },
	{ "reservations: committed in order, never before, limit counts them", test_reserve_order },
	{ "reservations: large mbufs, empty pool refuses, reset keeps memory", test_reserve_big_pool },
	{ "reservations: dropped at close, the committed bytes and FIN go", test_reserve_close },
	{ "two stacks: 4 MiB echo, clean", test_echo_clean },
	{ "two stacks: echo with segments as chains, clean and impaired", test_echo_chains },
	{ "chains: received bytes taken out and appended, split, window, loss", test_chain_recv_send },
	{ "chains: a chain waits while not writable", test_chain_send_full },
	{ "two stacks: B echoes by recv_chain/send_chain, clean and impaired", test_echo_by_chain },
	{ "two stacks: echo through 1% and 5% loss, reordering, duplicates", test_echo_loss },
	{ "two stacks: CUBIC through 1% loss", test_echo_cubic },
	{ "cwnd: no wrap after gigabytes without loss", test_cwnd_no_wrap },
	{ "two stacks over IPv6, clean and through 1% loss", test_echo_v6 },
	{ "TSO: frames as DPDK asks, cut by librte_gso, taken by the peer (v4, v6)",
	  test_echo_tso },
	{ "two stacks: loss recovery measured at 1% and 5% loss", test_echo_measure },
	CU_TEST_INFO_NULL,
};

static const struct tg_test_suite suites[] = {
	{ "tcp", NULL, NULL, tcp_tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	struct tg_eal_opts o = { .mem_mb = 256 };
	int rc;

	if (tg_failed(tg_eal_start("test_tcp", &o))) {
		fprintf(stderr, "test_tcp: EAL set-up failed\n");
		return 1;
	}
	rc = tg_test_main(argc, argv, suites);
	tg_eal_stop();
	return rc;
}
