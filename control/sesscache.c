/* SPDX-License-Identifier: BSD-3-Clause */
/* Session-ID cache: fixed pool of entries, chained hash, LRU list. */
#include "tg_sesscache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "tg_wipe.h"

#define TG_SC_MAX_ENTRIES ((size_t)1 << 24)

struct tg_sc_entry {
	struct tg_sc_entry *hnext;       /* bucket chain / free list */
	struct tg_sc_entry *prev, *next; /* LRU list, head = most recent */
	uint64_t expires;
	uint8_t id_len;
	uint8_t id[TG_TLS_SESSION_ID_MAX];
	struct tg_sess_state st;
};

struct tg_sesscache {
	pthread_mutex_t lock;
	struct tg_sesscache_cfg cfg;
	uint64_t seed;
	size_t nbuckets; /* power of two */
	struct tg_sc_entry **buckets;
	struct tg_sc_entry *pool;
	struct tg_sc_entry *free_list;
	struct tg_sc_entry *head, *tail;
	struct tg_sesscache_stats st;
};

uint64_t tg_clock_realtime(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec < 0 ? 0 : (uint64_t)ts.tv_sec;
}

tg_result tg_sess_set_sni(struct tg_sess_state *st, const void *name,
			  size_t len)
{
	TG_ENSURE_REF(st);
	TG_ENSURE(len <= TG_SESS_SNI_MAX, TG_E_INVAL);
	TG_ENSURE(len == 0 || name != NULL, TG_E_INVAL);
	TG_ENSURE(len == 0 || memchr(name, 0, len) == NULL, TG_E_INVAL);
	if (len)
		memcpy(st->sni, name, len);
	st->sni[len] = '\0';
	st->sni_len = (uint8_t)len;
	return TG_OK;
}

tg_result tg_sess_set_alpn(struct tg_sess_state *st, const void *proto,
			   size_t len)
{
	TG_ENSURE_REF(st);
	TG_ENSURE(len <= TG_SESS_ALPN_MAX, TG_E_INVAL);
	TG_ENSURE(len == 0 || proto != NULL, TG_E_INVAL);
	if (len)
		memcpy(st->alpn, proto, len);
	st->alpn_len = (uint8_t)len;
	return TG_OK;
}

static uint64_t sc_now(const struct tg_sesscache *c)
{
	return c->cfg.clock(c->cfg.clock_arg);
}

static size_t sc_bucket(const struct tg_sesscache *c, const uint8_t *id,
			size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ c->seed;

	for (size_t i = 0; i < len; i++) {
		h ^= id[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 29;
	return (size_t)h & (c->nbuckets - 1);
}

tg_result tg_sesscache_new(const struct tg_sesscache_cfg *cfg,
			   struct tg_sesscache **out)
{
	struct tg_sesscache *c;

	TG_ENSURE_REF(cfg);
	TG_ENSURE_REF(out);
	*out = NULL;
	TG_ENSURE(cfg->max_entries >= 1 &&
			  cfg->max_entries <= TG_SC_MAX_ENTRIES,
		  TG_E_INVAL);
	TG_ENSURE(cfg->ttl_s > 0, TG_E_INVAL);
	c = calloc(1, sizeof(*c));
	TG_ENSURE(c != NULL, TG_E_NOMEM);
	c->cfg = *cfg;
	if (c->cfg.clock == NULL) {
		c->cfg.clock = tg_clock_realtime;
		c->cfg.clock_arg = NULL;
	}
	c->nbuckets = 16;
	while (c->nbuckets < cfg->max_entries)
		c->nbuckets <<= 1;
	c->buckets = calloc(c->nbuckets, sizeof(*c->buckets));
	c->pool = calloc(cfg->max_entries, sizeof(*c->pool));
	if (c->buckets == NULL || c->pool == NULL ||
	    pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c->buckets);
		free(c->pool);
		free(c);
		return tg_error(TG_E_NOMEM);
	}
	if (RAND_bytes((unsigned char *)&c->seed, sizeof(c->seed)) != 1)
		c->seed = (uint64_t)(uintptr_t)c ^ tg_clock_realtime(NULL);
	for (size_t i = cfg->max_entries; i-- > 0;) {
		c->pool[i].hnext = c->free_list;
		c->free_list = &c->pool[i];
	}
	*out = c;
	return TG_OK;
}

static void lru_unlink(struct tg_sesscache *c, struct tg_sc_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push_head(struct tg_sesscache *c, struct tg_sc_entry *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head)
		c->head->prev = e;
	c->head = e;
	if (c->tail == NULL)
		c->tail = e;
}

/* Find an entry; *link receives the pointer that points at it. */
static struct tg_sc_entry *sc_find(struct tg_sesscache *c, const uint8_t *id,
				   size_t len, struct tg_sc_entry ***link)
{
	struct tg_sc_entry **pp = &c->buckets[sc_bucket(c, id, len)];

	for (; *pp != NULL; pp = &(*pp)->hnext) {
		struct tg_sc_entry *e = *pp;

		if (e->id_len == len && memcmp(e->id, id, len) == 0) {
			if (link)
				*link = pp;
			return e;
		}
	}
	return NULL;
}

/* Unhash, unlink, wipe and free one entry. */
static void sc_drop(struct tg_sesscache *c, struct tg_sc_entry *e)
{
	struct tg_sc_entry **pp = NULL;

	if (sc_find(c, e->id, e->id_len, &pp) == e)
		*pp = e->hnext;
	lru_unlink(c, e);
	tg_wipe(e, sizeof(*e));
	e->hnext = c->free_list;
	c->free_list = e;
	c->st.entries--;
}

tg_result tg_sesscache_put(struct tg_sesscache *c, const uint8_t *id,
			   size_t id_len, const struct tg_sess_state *st)
{
	struct tg_sc_entry *e;
	uint64_t now, created;
	size_t b;

	TG_ENSURE_REF(c);
	TG_ENSURE_REF(st);
	TG_ENSURE(id != NULL && id_len >= 1 && id_len <= TG_TLS_SESSION_ID_MAX,
		  TG_E_INVAL);
	TG_ENSURE(st->sni[st->sni_len] == '\0', TG_E_INVAL);
	now = sc_now(c);
	created = st->created ? st->created : now;
	TG_ENSURE(created <= UINT64_MAX - c->cfg.ttl_s, TG_E_INVAL);
	TG_ENSURE(created + c->cfg.ttl_s > now, TG_E_NOTFOUND);

	pthread_mutex_lock(&c->lock);
	e = sc_find(c, id, id_len, NULL);
	if (e != NULL) {
		lru_unlink(c, e);
	} else {
		if (c->free_list == NULL) {
			struct tg_sc_entry *victim = c->tail;

			if (victim->expires <= now)
				c->st.expired++;
			else
				c->st.evictions++;
			sc_drop(c, victim);
		}
		e = c->free_list;
		c->free_list = e->hnext;
		e->id_len = (uint8_t)id_len;
		memcpy(e->id, id, id_len);
		b = sc_bucket(c, id, id_len);
		e->hnext = c->buckets[b];
		c->buckets[b] = e;
		c->st.entries++;
	}
	tg_wipe(&e->st, sizeof(e->st));
	e->st = *st;
	e->st.created = created;
	e->expires = created + c->cfg.ttl_s;
	lru_push_head(c, e);
	c->st.puts++;
	pthread_mutex_unlock(&c->lock);
	return TG_OK;
}

tg_result tg_sesscache_get(struct tg_sesscache *c, const uint8_t *id,
			   size_t id_len, struct tg_sess_state *out)
{
	struct tg_sc_entry *e;
	uint64_t now;
	bool hit = false;

	TG_ENSURE_REF(c);
	TG_ENSURE_REF(out);
	TG_ENSURE(id != NULL || id_len == 0, TG_E_INVAL);
	now = sc_now(c);
	pthread_mutex_lock(&c->lock);
	if (id_len >= 1 && id_len <= TG_TLS_SESSION_ID_MAX) {
		e = sc_find(c, id, id_len, NULL);
		if (e != NULL && e->expires <= now) {
			c->st.expired++;
			sc_drop(c, e);
		} else if (e != NULL) {
			*out = e->st;
			lru_unlink(c, e);
			lru_push_head(c, e);
			hit = true;
		}
	}
	if (hit)
		c->st.hits++;
	else
		c->st.misses++;
	pthread_mutex_unlock(&c->lock);
	return hit ? TG_OK : tg_error(TG_E_NOTFOUND);
}

tg_result tg_sesscache_remove(struct tg_sesscache *c, const uint8_t *id,
			      size_t id_len)
{
	struct tg_sc_entry *e = NULL;

	TG_ENSURE_REF(c);
	TG_ENSURE(id != NULL || id_len == 0, TG_E_INVAL);
	pthread_mutex_lock(&c->lock);
	if (id_len >= 1 && id_len <= TG_TLS_SESSION_ID_MAX)
		e = sc_find(c, id, id_len, NULL);
	if (e != NULL)
		sc_drop(c, e);
	pthread_mutex_unlock(&c->lock);
	return e != NULL ? TG_OK : tg_error(TG_E_NOTFOUND);
}

void tg_sesscache_clear(struct tg_sesscache *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	while (c->head != NULL)
		sc_drop(c, c->head);
	pthread_mutex_unlock(&c->lock);
}

size_t tg_sesscache_expire(struct tg_sesscache *c)
{
	size_t n = 0;
	uint64_t now;

	if (c == NULL)
		return 0;
	now = sc_now(c);
	pthread_mutex_lock(&c->lock);
	for (struct tg_sc_entry *e = c->head, *next; e != NULL; e = next) {
		next = e->next;
		if (e->expires <= now) {
			sc_drop(c, e);
			n++;
		}
	}
	c->st.expired += n;
	pthread_mutex_unlock(&c->lock);
	return n;
}

void tg_sesscache_stats(struct tg_sesscache *c, struct tg_sesscache_stats *out)
{
	if (c == NULL || out == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	*out = c->st;
	pthread_mutex_unlock(&c->lock);
}

void tg_sesscache_free(struct tg_sesscache *c)
{
	if (c == NULL)
		return;
	tg_wipe(c->pool, c->cfg.max_entries * sizeof(*c->pool));
	pthread_mutex_destroy(&c->lock);
	free(c->pool);
	free(c->buckets);
	free(c);
}
