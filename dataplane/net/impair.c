/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file impair.c
 * The seeded impairment layer: loss, duplication, reordering, delay with
 * jitter, corruption and a rate limit, per direction of an instance.
 *
 * Every decision draws from a splitmix64 stream seeded by the seed, the
 * instance's queue and the direction, one fixed set of draws per packet,
 * so the n-th packet meets the same fate in every run with the same seed.
 * Delays and the rate limit are times on the instance's clock: with the
 * tests' stepped clock a run replays exactly. Held packets live in a
 * fixed array (TG_NET_IMP_QCAP, in release order); over it a packet is
 * dropped and counted, never queued without bound.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "net_int.h"

#define TG_IMP_MAX_WAIT_US 100000u  /* the rate limit's queue, in time */
#define TG_IMP_HOLD_US 10000u       /* a held packet goes after this anyway */

static uint64_t tg_imp_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static bool tg_imp_hit(uint64_t draw, uint32_t ppm)
{
	return ppm != 0 && (draw % 1000000u) < ppm;
}

tg_result tg_imp_init(struct tg_imp **out, const struct tg_net_impair *c,
		      uint64_t seed)
{
	struct tg_imp *s = rte_zmalloc("tg_imp", sizeof(*s), RTE_CACHE_LINE_SIZE);

	TG_ENSURE(s != NULL, TG_E_NOMEM);
	s->c = *c;
	if (s->c.reorder_gap == 0)
		s->c.reorder_gap = 3;
	s->on = true;
	s->rng = seed;
	*out = s;
	return TG_OK;
}

void tg_imp_free(struct tg_imp *s)
{
	if (s == NULL)
		return;
	for (unsigned i = 0; i < s->q_cnt; i++)
		rte_pktmbuf_free(s->q[(s->q_head + i) % TG_NET_IMP_QCAP].m);
	for (unsigned i = 0; i < s->n_held; i++)
		rte_pktmbuf_free(s->held[i].m);
	rte_free(s);
}

/* Insert in release order (after every packet due at the same time). */
static bool tg_imp_enqueue(struct tg_imp *s, struct rte_mbuf *m, uint64_t at)
{
	unsigned i;

	if (s->q_cnt == TG_NET_IMP_QCAP)
		return false;
	i = s->q_cnt;
	while (i > 0 && s->q[(s->q_head + i - 1) % TG_NET_IMP_QCAP].at > at) {
		s->q[(s->q_head + i) % TG_NET_IMP_QCAP] =
			s->q[(s->q_head + i - 1) % TG_NET_IMP_QCAP];
		i--;
	}
	s->q[(s->q_head + i) % TG_NET_IMP_QCAP] = (struct tg_imp_pkt){ .m = m, .at = at };
	s->q_cnt++;
	return true;
}

/* Delay, jitter and rate: when the packet leaves; false: dropped. */
static void tg_imp_schedule(struct tg_net *n, enum tg_net_dir d,
			    struct tg_imp *s, struct rte_mbuf *m)
{
	uint64_t at = n->now + s->c.delay_us;
	uint64_t jitter = tg_imp_next(&s->rng);

	if (s->c.jitter_us != 0)
		at += jitter % ((uint64_t)s->c.jitter_us + 1);
	if (s->c.rate_bps != 0) {
		uint64_t busy = ((uint64_t)m->pkt_len * 8u * 1000000u) / s->c.rate_bps;

		if (at < s->link_free)
			at = s->link_free;
		if (at - n->now > TG_IMP_MAX_WAIT_US) {
			n->st.imp_rate_drop[d]++;
			rte_pktmbuf_free(m);
			return;
		}
		s->link_free = at + busy;
	}
	if (at > n->now)
		n->st.imp_delayed[d]++;
	if (!tg_imp_enqueue(s, m, at)) {
		n->st.imp_rate_drop[d]++;
		rte_pktmbuf_free(m);
	}
}

/* A packet went past the held ones: each held one that has let enough
 * pass (or waited long enough) is scheduled now. */
static void tg_imp_pass(struct tg_net *n, enum tg_net_dir d, struct tg_imp *s,
			bool counted)
{
	unsigned k = 0;

	for (unsigned i = 0; i < s->n_held; i++) {
		struct tg_imp_pkt *h = &s->held[i];

		if (counted && h->left > 0)
			h->left--;
		if (h->left == 0 || n->now >= h->at)
			tg_imp_schedule(n, d, s, h->m);
		else
			s->held[k++] = *h;
	}
	s->n_held = k;
}

static void tg_imp_one(struct tg_net *n, enum tg_net_dir d, struct tg_imp *s,
		       struct rte_mbuf *m)
{
	/* the same four draws for every packet, whatever happens to it */
	uint64_t r_loss = tg_imp_next(&s->rng);
	uint64_t r_corrupt = tg_imp_next(&s->rng);
	uint64_t r_dup = tg_imp_next(&s->rng);
	uint64_t r_reorder = tg_imp_next(&s->rng);

	if (tg_imp_hit(r_loss, s->c.loss_ppm)) {
		n->st.imp_drop[d]++;
		rte_pktmbuf_free(m);
		return;
	}
	if (tg_imp_hit(r_corrupt, s->c.corrupt_ppm) && m->pkt_len > 14) {
		/* a packet whose bytes are not its own alone (a TCP segment's
		 * slices of the send buffer, a clone) is copied first: the
		 * bit flipped in a shared buffer would go out again in every
		 * retransmission */
		if (m->nb_segs > 1 || !RTE_MBUF_DIRECT(m) || rte_mbuf_refcnt_read(m) != 1) {
			struct rte_mbuf *c = rte_pktmbuf_copy(m, n->pool, 0, UINT32_MAX);

			if (c != NULL && c->nb_segs == 1) {
				rte_pktmbuf_free(m);
				m = c;
			} else if (c != NULL) {
				rte_pktmbuf_free(c);
			}
		}
		if (m->nb_segs == 1 && RTE_MBUF_DIRECT(m) && rte_mbuf_refcnt_read(m) == 1) {
			/* one bit past the Ethernet header: a checksum must
			 * catch it */
			uint32_t at = 14u + (uint32_t)((r_corrupt >> 20) % (m->data_len - 14u));
			uint8_t *p = rte_pktmbuf_mtod_offset(m, uint8_t *, at);

			*p ^= (uint8_t)(1u << ((r_corrupt >> 8) & 7));
			n->st.imp_corrupt[d]++;
		}
	}
	if (tg_imp_hit(r_dup, s->c.dup_ppm)) {
		struct rte_mbuf *c = rte_pktmbuf_copy(m, n->pool, 0, UINT32_MAX);

		if (c != NULL) {
			n->st.imp_dup[d]++;
			tg_imp_schedule(n, d, s, c);
			tg_imp_pass(n, d, s, true);
		}
	}
	if (tg_imp_hit(r_reorder, s->c.reorder_ppm) && s->n_held < TG_NET_IMP_HELD) {
		n->st.imp_reorder[d]++;
		s->held[s->n_held++] = (struct tg_imp_pkt){
			.m = m, .left = s->c.reorder_gap, .at = n->now + TG_IMP_HOLD_US
		};
		return;
	}
	tg_imp_schedule(n, d, s, m);
	tg_imp_pass(n, d, s, true);
}

uint16_t tg_imp_run(struct tg_net *n, enum tg_net_dir d, struct rte_mbuf **in,
		    uint16_t cnt, struct rte_mbuf **out, uint16_t cap)
{
	struct tg_imp *s = n->imp[d];
	uint16_t k = 0;

	/* @p in may be @p out: every input is taken before any output */
	for (uint16_t i = 0; i < cnt; i++)
		tg_imp_one(n, d, s, in[i]);
	tg_imp_pass(n, d, s, false);
	while (s->q_cnt > 0 && k < cap && s->q[s->q_head].at <= n->now) {
		out[k++] = s->q[s->q_head].m;
		s->q_head = (s->q_head + 1) % TG_NET_IMP_QCAP;
		s->q_cnt--;
	}
	return k;
}

bool tg_net_impair_active(const struct tg_net_impair_conf *c)
{
	for (int d = 0; c != NULL && d < 2; d++) {
		const struct tg_net_impair *x = &c->dir[d];

		if (x->loss_ppm || x->dup_ppm || x->reorder_ppm || x->corrupt_ppm ||
		    x->delay_us || x->jitter_us || x->rate_bps)
			return true;
	}
	return false;
}

/* "1%", "0.5%", "0.5" (percent either way) -> parts per million */
static bool tg_imp_ppm(const char *v, uint32_t *out)
{
	char *end;
	double x = strtod(v, &end);

	if (end == v || (*end != '\0' && strcmp(end, "%") != 0) || x < 0 || x > 100)
		return false;
	*out = (uint32_t)(x * 10000.0 + 0.5);
	return true;
}

/* "5ms", "200us", "1s", "7" (ms) -> microseconds */
static bool tg_imp_time(const char *v, uint32_t *out)
{
	char *end;
	double x = strtod(v, &end);
	double mul = 1000.0;

	if (end == v || x < 0)
		return false;
	if (strcmp(end, "us") == 0)
		mul = 1.0;
	else if (strcmp(end, "s") == 0)
		mul = 1e6;
	else if (*end != '\0' && strcmp(end, "ms") != 0)
		return false;
	if (x * mul > 60e6)
		return false;
	*out = (uint32_t)(x * mul + 0.5);
	return true;
}

/* "100m", "1g", "64k", "1000" -> bits per second */
static bool tg_imp_rate(const char *v, uint64_t *out)
{
	char *end;
	double x = strtod(v, &end);
	double mul = 1.0;

	if (end == v || x <= 0)
		return false;
	if (*end == 'k' || *end == 'K')
		mul = 1e3;
	else if (*end == 'm' || *end == 'M')
		mul = 1e6;
	else if (*end == 'g' || *end == 'G')
		mul = 1e9;
	else if (*end != '\0')
		return false;
	if (*end != '\0' && end[1] != '\0' && strcasecmp(end + 1, "bit") != 0)
		return false;
	*out = (uint64_t)(x * mul);
	return *out > 0;
}

static bool tg_imp_set(struct tg_net_impair *x, const char *k, const char *v)
{
	if (strcmp(k, "loss") == 0)
		return tg_imp_ppm(v, &x->loss_ppm);
	if (strcmp(k, "dup") == 0)
		return tg_imp_ppm(v, &x->dup_ppm);
	if (strcmp(k, "reorder") == 0)
		return tg_imp_ppm(v, &x->reorder_ppm);
	if (strcmp(k, "corrupt") == 0)
		return tg_imp_ppm(v, &x->corrupt_ppm);
	if (strcmp(k, "delay") == 0)
		return tg_imp_time(v, &x->delay_us);
	if (strcmp(k, "jitter") == 0)
		return tg_imp_time(v, &x->jitter_us);
	if (strcmp(k, "rate") == 0)
		return tg_imp_rate(v, &x->rate_bps);
	if (strcmp(k, "gap") == 0) {
		char *end;
		unsigned long g = strtoul(v, &end, 10);

		if (end == v || *end != '\0' || g == 0 || g > 1000)
			return false;
		x->reorder_gap = (uint32_t)g;
		return true;
	}
	return false;
}

tg_result tg_net_impair_parse(const char *spec, struct tg_net_impair_conf *out)
{
	char buf[512];
	char *save = NULL;

	TG_ENSURE(spec != NULL && out != NULL && strlen(spec) < sizeof(buf),
		  TG_E_INVAL);
	memset(out, 0, sizeof(*out));
	strcpy(buf, spec);
	for (char *t = strtok_r(buf, ",", &save); t != NULL;
	     t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');
		const char *k = t;
		int d0 = 0, d1 = 1;

		TG_ENSURE(eq != NULL && eq[1] != '\0', TG_E_INVAL);
		*eq = '\0';
		if (strcmp(k, "seed") == 0) {
			char *end;

			out->seed = strtoull(eq + 1, &end, 0);
			TG_ENSURE(*end == '\0', TG_E_INVAL);
			continue;
		}
		if (strncmp(k, "rx.", 3) == 0) {
			k += 3;
			d1 = 0;
		} else if (strncmp(k, "tx.", 3) == 0) {
			k += 3;
			d0 = 1;
		}
		for (int d = d0; d <= d1; d++)
			TG_ENSURE(tg_imp_set(&out->dir[d], k, eq + 1), TG_E_INVAL);
	}
	return TG_OK;
}
