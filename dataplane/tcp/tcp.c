/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tcp.c
 * A TCP instance: its connection pool and hash, the TIME_WAIT table, the
 * listeners, the user's calls (connect, send, recv, shutdown, close,
 * abort), events, timers and the round.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>
#include <rte_random.h>

#include "tcp_int.h"
#include "tg_log.h"

int tg_tcp_seq_off = -1;

static const char *const tg_tcp_names[] = {
	"CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1",
	"FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT",
};

const char *tg_tcp_state_name(int s)
{
	return s >= 0 && s < (int)RTE_DIM(tg_tcp_names) ? tg_tcp_names[s] : "?";
}

/* ---- SipHash-2-4 (Aumasson and Bernstein): ISNs (RFC 6528), timestamp
 * offsets (RFC 7323 §7.1) ------------------------------------------------------- */

#define TG_ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define TG_SIPROUND                                                            \
	do {                                                                   \
		v0 += v1;                                                      \
		v1 = TG_ROTL(v1, 13);                                          \
		v1 ^= v0;                                                      \
		v0 = TG_ROTL(v0, 32);                                          \
		v2 += v3;                                                      \
		v3 = TG_ROTL(v3, 16);                                          \
		v3 ^= v2;                                                      \
		v0 += v3;                                                      \
		v3 = TG_ROTL(v3, 21);                                          \
		v3 ^= v0;                                                      \
		v2 += v1;                                                      \
		v1 = TG_ROTL(v1, 17);                                          \
		v1 ^= v2;                                                      \
		v2 = TG_ROTL(v2, 32);                                          \
	} while (0)

uint64_t tg_tcp_siphash(const uint64_t key[2], const void *p, size_t len)
{
	const uint8_t *in = p;
	uint64_t v0 = 0x736f6d6570736575ULL ^ key[0];
	uint64_t v1 = 0x646f72616e646f6dULL ^ key[1];
	uint64_t v2 = 0x6c7967656e657261ULL ^ key[0];
	uint64_t v3 = 0x7465646279746573ULL ^ key[1];
	uint64_t b = (uint64_t)len << 56;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t m;

		memcpy(&m, in + i, 8);
		v3 ^= m;
		TG_SIPROUND;
		TG_SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; i + j < len; j++)
		b |= (uint64_t)in[i + j] << (8 * j);
	v3 ^= b;
	TG_SIPROUND;
	TG_SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	TG_SIPROUND;
	TG_SIPROUND;
	TG_SIPROUND;
	TG_SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* RFC 6528 §3: ISN = M + F(4-tuple, secret), M a 4 us clock. The high
 * half of the same hash is the connection's timestamp offset. */
uint32_t tg_tcp_isn(struct tg_tcp *t, const struct tg_tcp_key *k)
{
	uint64_t h = tg_tcp_siphash(t->key, k, sizeof(*k));

	return (uint32_t)h + (uint32_t)(tg_net_now_us(t->net) / 4);
}

/* ---- the hash and the pools ------------------------------------------------------- */

bool tg_tcp_hash_add(struct tg_tcp *t, const struct tg_tcp_key *k, void *v)
{
	t->last = NULL; /* a TIME_WAIT's key may now be a connection's */
	return rte_hash_add_key_data(t->h, k, v) == 0;
}

void tg_tcp_hash_del(struct tg_tcp *t, const struct tg_tcp_key *k)
{
	t->last = NULL;
	(void)rte_hash_del_key(t->h, k);
}

struct tg_tcp_conn *tg_tcp_conn_alloc(struct tg_tcp *t)
{
	struct tg_tcp_conn *c = t->free;

	if (c == NULL)
		return NULL;
	t->free = c->free_next;
	t->st.active++;
	return c;
}

static uint8_t tg_tcp_pick_rcv_ws(const struct tg_tcp *t)
{
	uint8_t ws = 0;

	/* RFC 7323 §2.3: the smallest shift that lets the window cover
	 * the receive buffer */
	while (ws < TG_TCP_MAX_WS && (t->c.rcv_buf >> ws) > 65535u)
		ws++;
	return ws;
}

void tg_tcp_conn_init(struct tg_tcp_conn *c, const struct tg_tcp_key *k)
{
	struct tg_tcp *t = c->t;
	uint64_t h;

	memset(c, 0, sizeof(*c));
	c->t = t;
	c->key = *k;
	c->tm_rtx.kind = TG_TM_RTX;
	c->tm_dack.kind = TG_TM_DACK;
	c->tm_keep.kind = TG_TM_KEEP;
	c->rto_ms = t->c.rto_init_ms;
	c->peer_mss = tg_net_addr_is_v4(&k->raddr) ? TG_TCP_DEF_MSS4 : TG_TCP_DEF_MSS6;
	c->mss = c->peer_mss;
	c->ts_ok = !t->c.no_timestamps;
	c->ws_ok = !t->c.no_wscale;
	c->sack_ok = !t->c.no_sack;
	c->rcv_ws = c->ws_ok ? tg_tcp_pick_rcv_ws(t) : 0;
	h = tg_tcp_siphash(t->key, k, sizeof(*k));
	c->ts_off = (uint32_t)(h >> 32);
	c->last_rx_ms = t->now_ms;
}

void tg_tcp_ready(struct tg_tcp_conn *c)
{
	if (!c->on_ready) {
		c->on_ready = true;
		TAILQ_INSERT_TAIL(&c->t->ready, c, ready_link);
	}
}

void tg_tcp_want_output(struct tg_tcp_conn *c)
{
	if (!c->on_out) {
		c->on_out = true;
		TAILQ_INSERT_TAIL(&c->t->out, c, out_link);
	}
}

void tg_tcp_set_state(struct tg_tcp_conn *c, uint8_t s)
{
	c->state = s;
}

/* Out of the hash and the timers: the tuple is free again. */
static void tg_tcp_detach(struct tg_tcp_conn *c)
{
	struct tg_tcp *t = c->t;

	if (c->in_hash) {
		tg_tcp_hash_del(t, &c->key);
		c->in_hash = false;
	}
	tg_wheel_cancel(&t->wheel, &c->tm_rtx);
	tg_wheel_cancel(&t->wheel, &c->tm_dack);
	tg_wheel_cancel(&t->wheel, &c->tm_keep);
	if (c->lst != NULL && c->state == TG_TCP_SYN_RCVD && c->passive) {
		c->lst->half_open--;
		c->lst = NULL;
	}
}

void tg_tcp_release(struct tg_tcp_conn *c)
{
	struct tg_tcp *t = c->t;

	tg_tcp_detach(c);
	tg_tcp_send_cancel(c);
	tg_tcp_sbuf_free(&c->snd);
	tg_tcp_rbuf_free(&c->rcv);
	if (c->on_ready)
		TAILQ_REMOVE(&t->ready, c, ready_link);
	if (c->on_out)
		TAILQ_REMOVE(&t->out, c, out_link);
	c->on_ready = c->on_out = false;
	c->state = TG_TCP_CLOSED;
	c->free_next = t->free;
	t->free = c;
	t->st.active--;
}

/* The connection is over by a reset, a timeout or a refusal: sends
 * nothing more; what was received can still be read. */
void tg_tcp_fail(struct tg_tcp_conn *c, int err)
{
	struct tg_tcp *t = c->t;

	if (c->state == TG_TCP_SYN_SENT)
		t->st.connect_failed++;
	if (err == ETIMEDOUT)
		t->st.timeouts++;
	tg_tcp_detach(c);
	tg_tcp_sbuf_free(&c->snd);
	c->state = TG_TCP_CLOSED;
	c->err = err;
	if (c->on_out) {
		TAILQ_REMOVE(&t->out, c, out_link);
		c->on_out = false;
	}
	if (!c->user) {
		tg_tcp_release(c);
		return;
	}
	c->ev_error = true;
	tg_tcp_ready(c);
}

/* CLOSED by the exchange of FINs (LAST_ACK acknowledged). */
void tg_tcp_detach_closed(struct tg_tcp_conn *c)
{
	struct tg_tcp *t = c->t;

	c->state = TG_TCP_CLOSED;
	if (!c->user) {
		tg_tcp_release(c);
		return;
	}
	tg_tcp_detach(c);
	tg_tcp_sbuf_free(&c->snd);
	if (c->on_out) {
		TAILQ_REMOVE(&t->out, c, out_link);
		c->on_out = false;
	}
	c->ev_closed = true;
	tg_tcp_ready(c);
}

void tg_tcp_tw_free(struct tg_tcp *t, struct tg_tw *w)
{
	tg_tcp_hash_del(t, &w->key);
	TAILQ_REMOVE(&t->tw_fifo, w, link);
	w->link.tqe_next = (struct tg_tw *)t->tw_free;
	t->tw_free = w;
	t->st.time_wait--;
}

/* RFC 9293 §3.10.7.4: TIME-WAIT for 2 MSL, in a small entry of the
 * bounded table (the oldest entry goes when it is full). */
void tg_tcp_enter_tw(struct tg_tcp_conn *c)
{
	struct tg_tcp *t = c->t;
	struct tg_tw *w = t->tw_free;

	if (w == NULL && !TAILQ_EMPTY(&t->tw_fifo)) {
		t->st.tw_evicted++;
		tg_tcp_tw_free(t, TAILQ_FIRST(&t->tw_fifo));
		w = t->tw_free;
	}
	tg_tcp_detach(c);
	if (w != NULL) {
		t->tw_free = (struct tg_tw *)w->link.tqe_next;
		memset(w, 0, sizeof(*w));
		w->key = c->key;
		w->snd_nxt = c->snd_nxt;
		w->rcv_nxt = c->rcv_nxt;
		w->ts_ok = c->ts_ok;
		w->ts_recent = c->ts_recent;
		w->ts_off = c->ts_off;
		w->rcv_wnd = (uint16_t)RTE_MIN(tg_tcp_rcv_window(c), 65535u);
		w->born = t->now_ms;
		w->expire = t->now_ms + 2ull * t->c.msl_ms;
		if (tg_tcp_hash_add(t, &w->key, (void *)((uintptr_t)w | 1))) {
			TAILQ_INSERT_TAIL(&t->tw_fifo, w, link);
			t->st.time_wait++;
		} else {
			w->link.tqe_next = (struct tg_tw *)t->tw_free;
			t->tw_free = w;
		}
	}
	c->state = TG_TCP_TIME_WAIT;
	c->ev_closed = true;
	tg_tcp_sbuf_free(&c->snd);
	if (c->on_out) {
		TAILQ_REMOVE(&t->out, c, out_link);
		c->on_out = false;
	}
	if (!c->user) {
		tg_tcp_release(c);
		return;
	}
	tg_tcp_ready(c);
}

/* ---- instances ------------------------------------------------------------------------ */

static void tg_tcp_defaults(struct tg_tcp_conf *c)
{
#define TG_DEF(f, v)                                                           \
	do {                                                                   \
		if (c->f == 0)                                                 \
			c->f = (v);                                            \
	} while (0)
	TG_DEF(max_conns, 1024);
	TG_DEF(max_tw, c->max_conns);
	TG_DEF(syn_backlog, c->max_conns / 4 ? c->max_conns / 4 : 1);
	TG_DEF(snd_buf, 256 * 1024);
	TG_DEF(rcv_buf, 256 * 1024);
	TG_DEF(ooo_max, c->rcv_buf);
	TG_DEF(rto_init_ms, 1000);
	TG_DEF(rto_min_ms, 200);
	TG_DEF(rto_max_ms, 60000);
	TG_DEF(delack_ms, 40);
	TG_DEF(syn_retries, 6);
	TG_DEF(max_retries, 15);
	TG_DEF(msl_ms, 30000);
	TG_DEF(fin_timeout_ms, 60000);
	TG_DEF(keepalive_intvl_ms, 75000);
	TG_DEF(keepalive_cnt, 9);
	TG_DEF(challenge_acks, 1000);
	TG_DEF(port_lo, 32768);
	TG_DEF(port_hi, 60999);
#undef TG_DEF
}

tg_result tg_tcp_new(const struct tg_tcp_conf *conf, struct tg_tcp **out)
{
	static const struct rte_mbuf_dynfield seq_field = {
		.name = "tg_tcp_seq",
		.size = sizeof(uint32_t),
		.align = __alignof__(uint32_t),
	};
	struct rte_hash_parameters hp;
	char name[RTE_HASH_NAMESIZE];
	struct tg_tcp *t;
	struct rte_mempool *mp;

	TG_ENSURE(conf != NULL && out != NULL && conf->net != NULL, TG_E_INVAL);
	if (tg_tcp_seq_off < 0) {
		tg_tcp_seq_off = rte_mbuf_dynfield_register(&seq_field);
		TG_ENSURE(tg_tcp_seq_off >= 0, TG_E_NOMEM);
	}
	t = rte_zmalloc("tg_tcp", sizeof(*t), RTE_CACHE_LINE_SIZE);
	TG_ENSURE(t != NULL, TG_E_NOMEM);
	t->c = *conf;
	tg_tcp_defaults(&t->c);
	TG_ENSURE(t->c.port_lo <= t->c.port_hi && t->c.rcv_buf <= (1u << 30) &&
		  t->c.snd_buf <= (1u << 30), TG_E_INVAL);
	t->net = conf->net;
	TAILQ_INIT(&t->tw_fifo);
	TAILQ_INIT(&t->ready);
	TAILQ_INIT(&t->out);
	t->conns = rte_zmalloc("tg_tcp_conns", sizeof(*t->conns) * t->c.max_conns,
			       RTE_CACHE_LINE_SIZE);
	t->tws = rte_zmalloc("tg_tcp_tw", sizeof(*t->tws) * t->c.max_tw,
			     RTE_CACHE_LINE_SIZE);
	if (t->conns == NULL || t->tws == NULL)
		goto nomem;
	for (unsigned i = t->c.max_conns; i-- > 0;) {
		t->conns[i].t = t;
		t->conns[i].free_next = t->free;
		t->free = &t->conns[i];
	}
	for (unsigned i = t->c.max_tw; i-- > 0;) {
		t->tws[i].link.tqe_next = t->tw_free;
		t->tw_free = &t->tws[i];
	}
	snprintf(name, sizeof(name), "tgtcp%p", (void *)t);
	memset(&hp, 0, sizeof(hp));
	hp.name = name;
	hp.entries = t->c.max_conns + t->c.max_tw;
	if (hp.entries < 64)
		hp.entries = 64;
	hp.key_len = sizeof(struct tg_tcp_key);
	hp.hash_func = rte_hash_crc;
	hp.socket_id = (int)rte_socket_id();
	/* one writer, its own lcore: no locks; the extendable table keeps
	 * every entry we size for */
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
	t->h = rte_hash_create(&hp);
	if (t->h == NULL)
		goto nomem;
	if (t->c.secret_seed != 0) {
		t->key[0] = t->c.secret_seed;
		t->key[1] = t->c.secret_seed * 0x9E3779B97F4A7C15ULL;
	} else {
		t->key[0] = rte_rand();
		t->key[1] = rte_rand();
	}
	if (t->c.snd_big_mbufs != 0) {
		snprintf(name, sizeof(name), "tgbig%p", (void *)t);
		/* with the lcore's cache, a stack: the mbuf freed last (its
		 * bytes still in the CPU's caches) is the next one taken; a
		 * ring alone hands out the coldest (3x the cost of the copy
		 * into it, 16 KiB records on Zen 5) */
		unsigned cache = t->c.snd_big_mbufs >= 128
					 ? RTE_MIN(t->c.snd_big_mbufs / 4, 256u) : 0;

		t->big = rte_pktmbuf_pool_create(name, t->c.snd_big_mbufs, cache, 0,
						 (uint16_t)TG_TCP_RESV_MAX,
						 (int)rte_socket_id());
		if (t->big == NULL) {
			TG_ERR("tcp: pool of %u large mbufs: %s", t->c.snd_big_mbufs,
			       rte_strerror(rte_errno));
			goto nomem;
		}
	}
	mp = tg_net_pool(t->net);
	/* under an eighth of the pool free: windows stop opening, sends
	 * stop taking bytes */
	t->low_water = (uint16_t)RTE_MIN(mp->size / 8, 65535u);
	t->now_ms = tg_net_now_us(t->net) / 1000;
	tg_wheel_init(&t->wheel, t->now_ms);
	t->next_port = (uint16_t)(rte_rand() % ((unsigned)t->c.port_hi - t->c.port_lo + 1));
	tg_net_set_proto(t->net, IPPROTO_TCP, tg_tcp_input, tg_tcp_icmp, t);
	*out = t;
	return TG_OK;
nomem:
	tg_tcp_free(t);
	return tg_error(TG_E_NOMEM);
}

void tg_tcp_free(struct tg_tcp *t)
{
	if (t == NULL)
		return;
	if (t->net != NULL)
		tg_net_set_proto(t->net, IPPROTO_TCP, NULL, NULL, NULL);
	for (unsigned i = 0; t->conns != NULL && i < t->c.max_conns; i++) {
		struct tg_tcp_conn *c = &t->conns[i];

		tg_tcp_send_cancel(c);
		tg_tcp_sbuf_free(&c->snd);
		tg_tcp_rbuf_free(&c->rcv);
	}
	if (t->h != NULL)
		rte_hash_free(t->h);
	/* a large mbuf still out (a device's queue may hold a segment that
	 * refers to one) keeps the pool: left, not freed under it */
	if (t->big != NULL && rte_mempool_full(t->big))
		rte_mempool_free(t->big);
	else if (t->big != NULL)
		TG_WARN("tcp: %u large mbufs still in use at free: pool left",
			rte_mempool_in_use_count(t->big));
	rte_free(t->conns);
	rte_free(t->tws);
	rte_free(t);
}

struct tg_net *tg_tcp_net(const struct tg_tcp *t)
{
	return t->net;
}

const struct tg_tcp_stats *tg_tcp_stats(const struct tg_tcp *t)
{
	return &t->st;
}

/* ---- listeners and connect -------------------------------------------------------------- */

tg_result tg_tcp_listen(struct tg_tcp *t, uint16_t port, void *udata,
			struct tg_tcp_listener **out)
{
	struct tg_tcp_listener *free_l = NULL;

	TG_ENSURE(t != NULL && port != 0, TG_E_INVAL);
	for (unsigned i = 0; i < TG_TCP_MAX_LISTEN; i++) {
		TG_ENSURE(!t->lst[i].used || t->lst[i].port != port, TG_E_INVAL);
		if (!t->lst[i].used && free_l == NULL)
			free_l = &t->lst[i];
	}
	TG_ENSURE(free_l != NULL, TG_E_NOSPACE);
	memset(free_l, 0, sizeof(*free_l));
	free_l->used = true;
	free_l->port = port;
	free_l->udata = udata;
	if (out != NULL)
		*out = free_l;
	return TG_OK;
}

void tg_tcp_unlisten(struct tg_tcp *t, struct tg_tcp_listener *l)
{
	for (unsigned i = 0; i < t->c.max_conns; i++) {
		struct tg_tcp_conn *c = &t->conns[i];

		if (c->lst == l && c->state == TG_TCP_SYN_RCVD && !c->user)
			tg_tcp_release(c);
		if (c->lst == l)
			c->lst = NULL;
	}
	l->used = false;
}

tg_result tg_tcp_connect(struct tg_tcp *t, const struct tg_net_addr *dst,
			 uint16_t port, void *udata, struct tg_tcp_conn **out)
{
	unsigned range = (unsigned)t->c.port_hi - t->c.port_lo + 1;
	struct tg_net *n = t->net;
	struct tg_tcp_key k;
	struct tg_tcp_conn *c;
	const struct tg_net_addr *src;
	bool found = false;

	TG_ENSURE(dst != NULL && port != 0 && out != NULL, TG_E_INVAL);
	src = tg_net_src_for(n, dst);
	TG_ENSURE(src != NULL, TG_E_INVAL); /* IPv6 without an address */
	t->now_ms = tg_net_now_us(n) / 1000;
	memset(&k, 0, sizeof(k));
	k.laddr = *src;
	k.raddr = *dst;
	k.rport = port;
	for (unsigned i = 0; i < range; i++) {
		void *v;

		k.lport = (uint16_t)(t->c.port_lo + (t->next_port + i) % range);
		/* the peer's replies must hash to us (RSS or our dispatch) */
		if (tg_net_port_owner(tg_net_port(n), &k.laddr, &k.raddr, k.lport,
				      k.rport) != tg_net_queue(n))
			continue;
		if (rte_hash_lookup_data(t->h, &k, &v) >= 0) {
			struct tg_tw *w = (struct tg_tw *)((uintptr_t)v & ~(uintptr_t)1);

			/* RFC 6191 for our own TIME_WAIT: with timestamps our
			 * new SYN's TSval is above anything the old
			 * connection sent (a second later, ts_off is per
			 * tuple), so its duplicates are told apart */
			if (!((uintptr_t)v & 1) || !w->ts_ok || t->c.no_timestamps ||
			    t->now_ms - w->born < 1000)
				continue;
			t->st.tw_reused++;
			tg_tcp_tw_free(t, w);
		}
		t->next_port = (uint16_t)((t->next_port + i + 1) % range);
		found = true;
		break;
	}
	TG_ENSURE(found, TG_E_NOSPACE);
	c = tg_tcp_conn_alloc(t);
	TG_ENSURE(c != NULL, TG_E_NOMEM);
	tg_tcp_conn_init(c, &k);
	if (!tg_tcp_hash_add(t, &k, c)) {
		tg_tcp_release(c);
		return tg_error(TG_E_NOMEM);
	}
	c->in_hash = true;
	c->user = true;
	c->udata = udata;
	c->iss = tg_tcp_isn(t, &k);
	c->snd_una = c->snd_nxt = c->snd_max = c->iss;
	c->snd.seq = c->iss + 1;
	c->recover = c->iss;
	c->state = TG_TCP_SYN_SENT;
	c->mss = (uint16_t)tg_tcp_mtu_mss(c);
	tg_cc_init(c);
	tg_tcp_want_output(c);
	*out = c;
	return TG_OK;
}

/* ---- the user's calls --------------------------------------------------------------------- */

void tg_tcp_set_udata(struct tg_tcp_conn *c, void *u)
{
	c->udata = u;
}

void *tg_tcp_udata(const struct tg_tcp_conn *c)
{
	return c->udata;
}

void tg_tcp_want(struct tg_tcp_conn *c, bool rd, bool wr)
{
	c->want_rd = rd;
	c->want_wr = wr;
	if (rd || wr)
		tg_tcp_ready(c);
}

/* Room left in the send buffer, reservations counted (0 when they took
 * it over the limit, which one reservation may). */
static uint32_t tg_tcp_snd_room(const struct tg_tcp_conn *c)
{
	uint64_t used = (uint64_t)c->snd.len + c->snd.rsv_len;

	return used >= c->t->c.snd_buf ? 0 : c->t->c.snd_buf - (uint32_t)used;
}

static bool tg_tcp_can_send(const struct tg_tcp_conn *c)
{
	return (c->state == TG_TCP_ESTABLISHED || c->state == TG_TCP_CLOSE_WAIT) &&
	       !c->fin_queued && c->err == 0;
}

static bool tg_tcp_writable(const struct tg_tcp_conn *c)
{
	uint32_t room = tg_tcp_snd_room(c);

	/* with reservations outstanding, their large mbufs run out too */
	return tg_tcp_can_send(c) && room >= RTE_MIN(c->t->c.snd_buf / 4, 16384u) &&
	       tg_net_pool_avail(c->t->net) > c->t->low_water &&
	       (c->snd.rsv_n == 0 || c->t->big == NULL ||
		rte_mempool_avail_count(c->t->big) > 0);
}

static bool tg_tcp_readable(const struct tg_tcp_conn *c)
{
	return c->rcv.len > 0 || c->fin_rcvd || c->err != 0 ||
	       c->state == TG_TCP_CLOSED;
}

ssize_t tg_tcp_send(struct tg_tcp_conn *c, const void *p, size_t len)
{
	struct tg_tcp *t = c->t;
	const uint8_t *src = p;
	size_t done = 0;

	if (!tg_tcp_can_send(c))
		return -1;
	/* reserved bytes go first: nothing may pass them */
	if (c->snd.rsv_n != 0)
		return 0;
	if (len > tg_tcp_snd_room(c))
		len = tg_tcp_snd_room(c);
	while (done < len) {
		struct rte_mbuf *m = c->snd.tail;
		/* behind a chain's mbuf (tg_tcp_send_chain) only when the
		 * room after it is nobody else's */
		uint16_t room = m != NULL && RTE_MBUF_DIRECT(m) &&
				rte_mbuf_refcnt_read(m) == 1
				? rte_pktmbuf_tailroom(m) : 0;
		uint16_t k;

		if (room == 0) {
			/* a pool running low pauses senders before it is
			 * empty: receive windows and ACKs need mbufs too */
			if (tg_net_pool_avail(t->net) <= t->low_water ||
			    (m = rte_pktmbuf_alloc(tg_net_pool(t->net))) == NULL) {
				t->st.no_mbuf++;
				break;
			}
			m->data_off = 0; /* no headers: all of it holds payload */
			tg_mq_push(&c->snd.head, &c->snd.tail, m);
			room = rte_pktmbuf_tailroom(m);
		}
		k = (uint16_t)RTE_MIN((size_t)room, len - done);
		memcpy(rte_pktmbuf_append(m, k), src + done, k);
		done += k;
	}
	c->snd.len += (uint32_t)done;
	if (done > 0)
		tg_tcp_want_output(c);
	return (ssize_t)done;
}

uint8_t *tg_tcp_send_reserve(struct tg_tcp_conn *c, uint32_t prefix, uint32_t len)
{
	struct tg_tcp *t = c->t;
	struct rte_mempool *mp = tg_net_pool(t->net);
	uint32_t need = prefix + len;
	struct rte_mbuf *m;

	if (!tg_tcp_can_send(c) || len == 0 || need > TG_TCP_RESV_MAX ||
	    need < prefix)
		return NULL;
	/* granted while writable (tg_tcp_writable's room): the buffer may
	 * go over snd_buf by less than one reservation */
	if (tg_tcp_snd_room(c) < RTE_MIN(t->c.snd_buf / 4, 16384u))
		return NULL;
	/* a packet mbuf when it fits (the pool's low water kept for
	 * windows and ACKs, as tg_tcp_send), a large one otherwise */
	if (need <= rte_pktmbuf_data_room_size(mp)) {
		if (tg_net_pool_avail(t->net) <= t->low_water)
			m = NULL;
		else
			m = rte_pktmbuf_alloc(mp);
	} else {
		m = t->big != NULL ? rte_pktmbuf_alloc(t->big) : NULL;
	}
	if (m == NULL) {
		t->st.no_mbuf++;
		return NULL;
	}
	m->data_off = (uint16_t)prefix;
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	tg_mq_push(&c->snd.rsv_head, &c->snd.rsv_tail, m);
	c->snd.rsv_len += len;
	c->snd.rsv_n++;
	return (uint8_t *)m->buf_addr;
}

void tg_tcp_send_commit(struct tg_tcp_conn *c, uint32_t n)
{
	struct rte_mbuf *m = c->snd.rsv_head;

	if (m == NULL)
		return;
	c->snd.rsv_head = m->next;
	if (c->snd.rsv_head == NULL)
		c->snd.rsv_tail = NULL;
	m->next = NULL;
	c->snd.rsv_len -= m->data_len;
	c->snd.rsv_n--;
	if (n > m->data_len)
		n = m->data_len;
	if (n == 0 || !tg_tcp_can_send(c)) {
		rte_pktmbuf_free_seg(m);
		return;
	}
	m->data_len = (uint16_t)n;
	m->pkt_len = n;
	/* as tg_tcp_send's: a single-segment mbuf at the chain's tail,
	 * holding exactly the committed bytes */
	tg_mq_push(&c->snd.head, &c->snd.tail, m);
	c->snd.len += n;
	c->t->st.resv_bytes += n;
	tg_tcp_want_output(c);
}

void tg_tcp_send_cancel(struct tg_tcp_conn *c)
{
	struct rte_mbuf *m = c->snd.rsv_head;

	while (m != NULL) {
		struct rte_mbuf *nx = m->next;

		m->next = NULL;
		rte_pktmbuf_free_seg(m);
		m = nx;
	}
	c->snd.rsv_head = c->snd.rsv_tail = NULL;
	c->snd.rsv_len = 0;
	c->snd.rsv_n = 0;
}

int tg_tcp_send_chain(struct tg_tcp_conn *c, struct rte_mbuf *m)
{
	struct rte_mbuf *nx;
	uint32_t total = 0;

	if (!tg_tcp_can_send(c))
		return -EPIPE;
	/* stream order as tg_tcp_send: reserved bytes go first; granted
	 * while writable, as a reservation (over snd_buf by less than one
	 * chain) */
	if (c->snd.rsv_n != 0 || !tg_tcp_writable(c))
		return -EAGAIN;
	for (; m != NULL; m = nx) {
		nx = m->next;
		m->next = NULL;
		if (m->data_len == 0) {
			rte_pktmbuf_free_seg(m);
			continue;
		}
		/* as the send buffer holds them: one segment each, exactly
		 * its bytes (tg_tcp_send appends only behind a direct mbuf
		 * nobody else references) */
		m->nb_segs = 1;
		m->pkt_len = m->data_len;
		tg_mq_push(&c->snd.head, &c->snd.tail, m);
		total += m->data_len;
	}
	c->snd.len += total;
	c->t->st.chain_bytes_out += total;
	if (total > 0)
		tg_tcp_want_output(c);
	return 0;
}

uint32_t tg_tcp_recv_avail(const struct tg_tcp_conn *c)
{
	return c->rcv.len;
}

/* After the user read: open the window when it grew enough (RFC 9293
 * §3.8.6.2.2, RFC 1122 §4.2.3.3), so the peer hears of it. */
static void tg_tcp_after_read(struct tg_tcp_conn *c)
{
	uint32_t cur = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	uint32_t now = tg_tcp_rcv_window(c) << c->rcv_ws;

	if (c->state == TG_TCP_CLOSED || c->state == TG_TCP_TIME_WAIT ||
	    c->fin_rcvd || now <= cur)
		return;
	if (now - cur >= RTE_MIN(c->t->c.rcv_buf / 2, 2u * c->mss) ||
	    (cur < c->mss && now >= c->mss)) {
		c->ack_now = true;
		tg_tcp_want_output(c);
	}
}

ssize_t tg_tcp_recv(struct tg_tcp_conn *c, const struct iovec *iov, int iovcnt)
{
	size_t got = 0;

	for (int i = 0; i < iovcnt && c->rcv.head != NULL; i++) {
		uint8_t *dst = iov[i].iov_base;
		size_t room = iov[i].iov_len;

		while (room > 0 && c->rcv.head != NULL) {
			struct rte_mbuf *m = c->rcv.head;
			uint16_t k = (uint16_t)RTE_MIN((size_t)m->data_len, room);

			memcpy(dst, rte_pktmbuf_mtod(m, void *), k);
			dst += k;
			room -= k;
			got += k;
			if (k == m->data_len) {
				c->rcv.head = m->next;
				if (c->rcv.head == NULL)
					c->rcv.tail = NULL;
				m->next = NULL;
				rte_pktmbuf_free_seg(m);
			} else {
				m->data_off = (uint16_t)(m->data_off + k);
				m->data_len = (uint16_t)(m->data_len - k);
				m->pkt_len = m->data_len;
			}
		}
	}
	if (got > 0) {
		c->rcv.len -= (uint32_t)got;
		tg_tcp_after_read(c);
		return (ssize_t)got;
	}
	if (c->err != 0)
		return -c->err;
	if (c->fin_rcvd || c->state == TG_TCP_CLOSED || c->state == TG_TCP_TIME_WAIT)
		return 0;
	return -EAGAIN;
}

uint32_t tg_tcp_peek(struct tg_tcp_conn *c, uint8_t **p)
{
	if (c->rcv.head == NULL)
		return 0;
	*p = rte_pktmbuf_mtod(c->rcv.head, uint8_t *);
	return c->rcv.head->data_len;
}

void tg_tcp_consume(struct tg_tcp_conn *c, uint32_t n)
{
	struct rte_mbuf *m = c->rcv.head;

	if (m == NULL || n == 0)
		return;
	if (n > m->data_len)
		n = m->data_len;
	if (n == m->data_len) {
		c->rcv.head = m->next;
		if (c->rcv.head == NULL)
			c->rcv.tail = NULL;
		m->next = NULL;
		rte_pktmbuf_free_seg(m);
	} else {
		m->data_off = (uint16_t)(m->data_off + n);
		m->data_len = (uint16_t)(m->data_len - n);
		m->pkt_len = m->data_len;
	}
	c->rcv.len -= n;
	tg_tcp_after_read(c);
}

struct rte_mbuf *tg_tcp_recv_chain(struct tg_tcp_conn *c, uint32_t n,
				   unsigned max_segs)
{
	struct rte_mbuf *m = c->rcv.head, *last = NULL, *cl = NULL;
	uint32_t left = n, k = 0;
	unsigned segs = 0;

	if (n == 0 || n > c->rcv.len)
		return NULL;
	/* how many mbufs, and where the last byte falls */
	for (; m != NULL; m = m->next) {
		segs++;
		last = m;
		if (left <= m->data_len) {
			k = left;
			break;
		}
		left -= m->data_len;
	}
	if (last == NULL || segs > max_segs)
		return NULL;
	if (k < last->data_len) {
		/* the boundary inside an mbuf: the chain ends in a clone of
		 * its first k bytes, the queue keeps the rest of the buffer
		 * (both reference it; their bytes do not overlap) */
		cl = rte_pktmbuf_alloc(tg_net_pool(c->t->net));
		if (cl == NULL) {
			c->t->st.no_mbuf++;
			return NULL;
		}
		rte_pktmbuf_attach(cl, last); /* (rte_pktmbuf_clone would
						  clone the queue behind it) */
		cl->next = NULL;
		cl->nb_segs = 1;
		cl->data_len = (uint16_t)k;
		cl->pkt_len = k;
		last->data_off = (uint16_t)(last->data_off + k);
		last->data_len = (uint16_t)(last->data_len - k);
		last->pkt_len = last->data_len;
	}
	m = c->rcv.head;
	if (cl != NULL) {
		/* the mbufs before @p last leave the queue, it stays */
		if (last == c->rcv.head) {
			m = cl;
		} else {
			struct rte_mbuf *x = c->rcv.head;

			while (x->next != last)
				x = x->next;
			x->next = cl;
			c->rcv.head = last;
		}
	} else {
		c->rcv.head = last->next;
		if (c->rcv.head == NULL)
			c->rcv.tail = NULL;
		last->next = NULL;
	}
	m->nb_segs = (uint16_t)segs;
	m->pkt_len = n;
	c->rcv.len -= n;
	c->t->st.chain_bytes_in += n;
	tg_tcp_after_read(c);
	return m;
}

void tg_tcp_shutdown(struct tg_tcp_conn *c)
{
	if (c->fin_queued || c->err != 0)
		return;
	switch (c->state) {
	case TG_TCP_ESTABLISHED:
		c->state = TG_TCP_FIN_WAIT_1;
		break;
	case TG_TCP_CLOSE_WAIT:
		c->state = TG_TCP_LAST_ACK;
		break;
	case TG_TCP_SYN_RCVD:
	case TG_TCP_SYN_SENT:
		break; /* RFC 9293 §3.10.4: after ESTABLISHED */
	default:
		return;
	}
	c->fin_queued = true;
	tg_tcp_want_output(c);
}

void tg_tcp_abort(struct tg_tcp_conn *c)
{
	switch (c->state) {
	case TG_TCP_SYN_RCVD:
	case TG_TCP_ESTABLISHED:
	case TG_TCP_FIN_WAIT_1:
	case TG_TCP_FIN_WAIT_2:
	case TG_TCP_CLOSE_WAIT:
		/* RFC 9293 §3.10.5 ABORT: <SEQ=SND.NXT><CTL=RST> */
		tg_tcp_send_rst(c);
		break;
	default:
		break;
	}
	c->user = false;
	tg_tcp_release(c);
}

void tg_tcp_close(struct tg_tcp_conn *c)
{
	struct tg_tcp *t = c->t;

	/* what was reserved and not committed never goes */
	tg_tcp_send_cancel(c);
	c->user = false;
	c->want_rd = c->want_wr = false;
	c->ev_accepted = c->ev_connected = c->ev_error = c->ev_closed = false;
	if (c->err != 0 || c->state == TG_TCP_CLOSED || c->state == TG_TCP_TIME_WAIT ||
	    c->state == TG_TCP_SYN_SENT) {
		tg_tcp_release(c);
		return;
	}
	if (c->rcv.len > 0) {
		/* RFC 2525 §2.17: closing with unread data resets */
		tg_tcp_abort(c);
		return;
	}
	tg_tcp_shutdown(c);
	if (c->state == TG_TCP_FIN_WAIT_2 && !tg_timer_armed(&c->tm_keep))
		tg_wheel_arm(&t->wheel, &c->tm_keep, t->now_ms + t->c.fin_timeout_ms);
}

void tg_tcp_info(const struct tg_tcp_conn *c, struct tg_tcp_info *i)
{
	memset(i, 0, sizeof(*i));
	i->state = c->state;
	i->laddr = c->key.laddr;
	i->raddr = c->key.raddr;
	i->lport = c->key.lport;
	i->rport = c->key.rport;
	i->mss = c->mss;
	i->snd_wscale = c->snd_ws;
	i->rcv_wscale = c->rcv_ws;
	i->timestamps = c->ts_ok;
	i->sack = c->sack_ok;
	i->srtt_us = c->srtt_us;
	i->rto_ms = tg_tcp_cur_rto(c);
	i->cwnd = c->cwnd;
	i->ssthresh = c->ssthresh;
	i->snd_wnd = c->snd_wnd;
	i->unacked = c->snd_max - c->snd_una;
	i->snd_queued = c->snd.len;
	i->rcv_queued = c->rcv.len;
	i->retransmits = c->retrans_total;
}

/* ---- events ------------------------------------------------------------------------------------ */

unsigned tg_tcp_events(struct tg_tcp *t, struct tg_tcp_event *ev, unsigned cap)
{
	struct tg_tcp_conn *c, *nx, *last = TAILQ_LAST(&t->ready, tg_conn_list);
	unsigned k = 0;

	for (c = TAILQ_FIRST(&t->ready); c != NULL && k < cap; c = nx) {
		uint32_t m = 0;
		void *u = c->udata;
		bool end = c == last;

		nx = end ? NULL : TAILQ_NEXT(c, ready_link);
		if (c->user) {
			if (c->ev_accepted) {
				m |= TG_TCP_EV_ACCEPTED;
				c->ev_accepted = false;
				u = c->lst != NULL ? c->lst->udata : NULL;
			}
			if (c->ev_connected) {
				m |= TG_TCP_EV_CONNECTED;
				c->ev_connected = false;
			}
			if (c->ev_error) {
				m |= TG_TCP_EV_ERROR;
				c->ev_error = false;
			}
			if (c->ev_closed) {
				m |= TG_TCP_EV_CLOSED;
				c->ev_closed = false;
			}
			if (c->want_rd && tg_tcp_readable(c))
				m |= TG_TCP_EV_READABLE;
			if (c->want_wr && tg_tcp_writable(c))
				m |= TG_TCP_EV_WRITABLE;
		}
		if (m == 0) {
			TAILQ_REMOVE(&t->ready, c, ready_link);
			c->on_ready = false;
			continue;
		}
		/* level-triggered: it stays on the list, behind the others
		 * (as epoll does): with more ready than @p cap, those past
		 * the first cap come next time instead of waiting for ever */
		ev[k].c = c;
		ev[k].udata = u;
		ev[k].ev = m;
		k++;
		if (!end) {
			TAILQ_REMOVE(&t->ready, c, ready_link);
			TAILQ_INSERT_TAIL(&t->ready, c, ready_link);
		}
	}
	return k;
}

/* ---- the round ------------------------------------------------------------------------------------ */

static void tg_tcp_timer_fire(void *ctx, struct tg_timer *tm)
{
	struct tg_tcp_conn *c;

	(void)ctx;
	switch (tm->kind) {
	case TG_TM_RTX:
		c = container_of(tm, struct tg_tcp_conn, tm_rtx);
		tg_tcp_rtx_fire(c);
		break;
	case TG_TM_DACK:
		c = container_of(tm, struct tg_tcp_conn, tm_dack);
		/* RFC 1122 §4.2.3.2: the delayed ACK is due */
		c->ack_now = true;
		tg_tcp_output(c);
		break;
	case TG_TM_KEEP:
		c = container_of(tm, struct tg_tcp_conn, tm_keep);
		tg_tcp_keep_fire(c);
		break;
	}
}

static void tg_tcp_run_output(struct tg_tcp *t)
{
	struct tg_tcp_conn *c;

	while ((c = TAILQ_FIRST(&t->out)) != NULL) {
		TAILQ_REMOVE(&t->out, c, out_link);
		c->on_out = false;
		tg_tcp_output(c);
	}
}

static void tg_tcp_timers(struct tg_tcp *t)
{
	struct tg_tw *w;

	t->now_ms = tg_net_now_us(t->net) / 1000;
	tg_wheel_advance(&t->wheel, t->now_ms, tg_tcp_timer_fire, t);
	/* TIME_WAIT entries all last 2 MSL: the FIFO is in expiry order */
	while ((w = TAILQ_FIRST(&t->tw_fifo)) != NULL && w->expire <= t->now_ms)
		tg_tcp_tw_free(t, w);
}

unsigned tg_tcp_poll(struct tg_tcp *t)
{
	unsigned n;

	t->in_poll = true;
	n = tg_net_poll(t->net);
	tg_tcp_timers(t);
	tg_tcp_run_output(t);
	t->in_poll = false;
	tg_net_flush(t->net);
	return n;
}

void tg_tcp_flush(struct tg_tcp *t)
{
	t->now_ms = tg_net_now_us(t->net) / 1000;
	tg_tcp_run_output(t);
	tg_net_flush(t->net);
}
