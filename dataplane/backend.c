/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file backend.c
 * Backend pools, routing, selection and health checks.
 */
#include "tg_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "tg_log.h"

tg_result tg_backends_new(const struct tg_backends_conf *cfg, struct tg_backends **out)
{
	struct tg_backends *b;

	TG_ENSURE(cfg != NULL && out != NULL && cfg->n_pools > 0, TG_E_INVAL);
	b = calloc(1, sizeof(*b));
	TG_ENSURE(b != NULL, TG_E_NOMEM);
	atomic_init(&b->refs, 1);
	b->n_pools = cfg->n_pools;
	b->pools = calloc(cfg->n_pools, sizeof(*b->pools));
	b->n_routes = cfg->n_routes;
	b->routes = calloc(cfg->n_routes ? cfg->n_routes : 1, sizeof(*b->routes));
	if (b->pools == NULL || b->routes == NULL) {
		tg_backends_unref(b);
		return tg_error(TG_E_NOMEM);
	}
	memcpy(b->routes, cfg->routes, cfg->n_routes * sizeof(*b->routes));
	for (unsigned p = 0; p < cfg->n_pools; p++) {
		const struct tg_pool_conf *cp = &cfg->pools[p];
		struct tg_backend_pool *bp = &b->pools[p];

		snprintf(bp->name, sizeof(bp->name), "%s", cp->name);
		bp->policy = cp->policy;
		bp->n = cp->n_be;
		bp->be = calloc(cp->n_be ? cp->n_be : 1, sizeof(*bp->be));
		if (bp->be == NULL) {
			tg_backends_unref(b);
			return tg_error(TG_E_NOMEM);
		}
		for (unsigned i = 0; i < cp->n_be; i++) {
			bp->be[i].addr = cp->be[i];
			atomic_init(&bp->be[i].up, true);
		}
	}
	*out = b;
	return TG_OK;
}

struct tg_backends *tg_backends_ref(struct tg_backends *b)
{
	atomic_fetch_add(&b->refs, 1);
	return b;
}

void tg_backends_unref(struct tg_backends *b)
{
	if (b == NULL || atomic_fetch_sub(&b->refs, 1) != 1)
		return;
	for (unsigned p = 0; b->pools && p < b->n_pools; p++)
		free(b->pools[p].be);
	free(b->pools);
	free(b->routes);
	free(b);
}

void tg_backends_cur_init(struct tg_backends_cur *c, struct tg_backends *first)
{
	pthread_mutex_init(&c->mu, NULL);
	atomic_init(&c->b, first);
}

void tg_backends_cur_fini(struct tg_backends_cur *c)
{
	tg_backends_unref(atomic_exchange(&c->b, NULL));
	pthread_mutex_destroy(&c->mu);
}

struct tg_backends *tg_backends_cur_get(struct tg_backends_cur *c)
{
	struct tg_backends *b;

	/* the setter drops its reference under the same lock: the list
	 * read here still has it while ours is taken */
	pthread_mutex_lock(&c->mu);
	b = atomic_load(&c->b);
	if (b != NULL)
		tg_backends_ref(b);
	pthread_mutex_unlock(&c->mu);
	return b;
}

bool tg_backends_cur_is(struct tg_backends_cur *c, const struct tg_backends *b)
{
	return atomic_load_explicit(&c->b, memory_order_acquire) == b;
}

void tg_backends_cur_set(struct tg_backends_cur *c, struct tg_backends *next)
{
	struct tg_backends *old;

	pthread_mutex_lock(&c->mu);
	old = atomic_exchange(&c->b, next);
	pthread_mutex_unlock(&c->mu);
	tg_backends_unref(old);
}

unsigned tg_backends_route(const struct tg_backends *b, const char *sni)
{
	const char *dot;

	if (sni == NULL || sni[0] == '\0')
		return 0;
	for (unsigned i = 0; i < b->n_routes; i++)
		if (strcasecmp(b->routes[i].sni, sni) == 0)
			return b->routes[i].pool;
	dot = strchr(sni, '.');
	if (dot != NULL) {
		for (unsigned i = 0; i < b->n_routes; i++) {
			const char *r = b->routes[i].sni;

			if (r[0] == '*' && r[1] == '.' && strcasecmp(r + 1, dot) == 0)
				return b->routes[i].pool;
		}
	}
	return 0;
}

int tg_backends_pick(struct tg_backends *b, unsigned pool, uint64_t tried)
{
	struct tg_backend_pool *p;
	int best = -1;
	unsigned best_conns = ~0u;
	bool any_up = false;

	if (pool >= b->n_pools)
		return -1;
	p = &b->pools[pool];
	for (unsigned i = 0; i < p->n && i < 64; i++)
		any_up |= atomic_load(&p->be[i].up) && !(tried & (1ull << i));
	if (p->policy == TG_LB_LEAST_CONN) {
		for (unsigned i = 0; i < p->n && i < 64; i++) {
			unsigned c = atomic_load(&p->be[i].conns);

			if ((tried & (1ull << i)) || (any_up && !atomic_load(&p->be[i].up)))
				continue;
			if (c < best_conns) {
				best_conns = c;
				best = (int)i;
			}
		}
		return best;
	}
	for (unsigned k = 0; k < p->n && k < 64; k++) {
		unsigned i = atomic_fetch_add(&p->rr, 1) % p->n;

		if ((tried & (1ull << i)) || (any_up && !atomic_load(&p->be[i].up)))
			continue;
		return (int)i;
	}
	return -1;
}

/* A TCP connect within @p timeout_ms. */
static bool tg_backend_probe(const struct tg_addr *a, unsigned timeout_ms)
{
	int fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct pollfd pfd;
	int err = 0;
	socklen_t el = sizeof(err);
	bool ok = false;

	if (fd < 0)
		return false;
	if (connect(fd, (const struct sockaddr *)&a->sa, a->salen) == 0) {
		ok = true;
	} else if (errno == EINPROGRESS) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, (int)timeout_ms) == 1 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0)
			ok = true;
	}
	close(fd);
	return ok;
}

void tg_backends_check(struct tg_backends *b, unsigned timeout_ms)
{
	for (unsigned p = 0; p < b->n_pools; p++) {
		for (unsigned i = 0; i < b->pools[p].n; i++) {
			struct tg_backend *be = &b->pools[p].be[i];
			bool up = tg_backend_probe(&be->addr, timeout_ms);

			if (atomic_exchange(&be->up, up) != up) {
				if (up)
					TG_NOTICE("backend %s (%s) is up", be->addr.text,
						  b->pools[p].name);
				else
					TG_WARN("backend %s (%s) is down", be->addr.text,
						b->pools[p].name);
			}
		}
	}
}
