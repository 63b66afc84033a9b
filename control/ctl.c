/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file ctl.c
 * The control-plane thread: runs every handshake of every worker.
 */
#include "tg_ctl.h"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_pause.h>
#include <rte_ring.h>

#include "tg_kx.h"
#include "tg_log.h"
#include "tg_wipe.h"

/* A handshake in flight. */
struct tg_ctl_flow {
	struct tg_hs *hs;
	struct tg_ctl_hscfg *cfg;
	uint32_t gen;
	uint32_t n_in; /* HS_DATA messages of this handshake taken in */
	bool done; /* handshake of (slot, gen) completed: later bytes are
		      the dataplane's */
	bool failed; /* handshake of (slot, gen) failed: later bytes (sent
			before the worker heard) are dropped, not the start
			of a new handshake */
};

struct tg_ctl {
	unsigned n_workers;
	unsigned max_slots;
	struct rte_ring **to_ctl, **to_wk;
	struct tg_ctl_flow **flows; /* [worker][slot] */
	/* the config new handshakes take: read and replaced only by the
	 * poller (the control thread, or the worker when inline) */
	struct tg_ctl_hscfg *cfg;
	/* a config set by tg_ctl_set_hscfg(), not adopted yet */
	struct tg_ctl_hscfg *_Atomic pending;
	pthread_t thread;
	bool started;
	atomic_bool stop;
	_Atomic unsigned inflight;
	int efd;                 /* wakes the control thread */
	atomic_bool sleeping;
	int *wk_efd;             /* wake each worker */
	bool inline_mode;        /* no thread: the one worker calls tg_ctl_poll */
};

struct tg_ctl_msg *tg_ctl_msg_new(uint8_t type, uint16_t worker, uint32_t slot,
				  uint32_t gen, const void *data, uint32_t len)
{
	struct tg_ctl_msg *m = malloc(sizeof(*m) + len);

	if (m == NULL)
		return NULL;
	memset(m, 0, sizeof(*m));
	/* no alert either way until a handshake's info says otherwise */
	m->info.alert_sent = m->info.alert_recv = TG_ALERT_NONE;
	m->type = type;
	m->worker = worker;
	m->slot = slot;
	m->gen = gen;
	m->len = len;
	if (len)
		memcpy(m->data, data, len);
	return m;
}

void tg_ctl_msg_free(struct tg_ctl_msg *m)
{
	if (m == NULL)
		return;
	if (m->type == TG_CTL_KEY_INSTALL) {
		tg_wipe(&m->tx, sizeof(m->tx));
		tg_wipe(&m->rx, sizeof(m->rx));
		tg_wipe(&m->s13, sizeof(m->s13));
	}
	tg_wipe(m->data, m->len); /* handshake bytes may follow Finished */
	free(m);
}

static void tg_ctl_cfg_put(struct tg_ctl_hscfg *c)
{
	if (c != NULL && atomic_fetch_sub(&c->refs, 1) == 1 && c->release)
		c->release(c);
}

/* Poller only: the current config, one more reference to it. */
static struct tg_ctl_hscfg *tg_ctl_cfg_get(struct tg_ctl *ctl)
{
	atomic_fetch_add(&ctl->cfg->refs, 1);
	return ctl->cfg;
}

void tg_ctl_set_hscfg(struct tg_ctl *ctl, struct tg_ctl_hscfg *cfg)
{
	struct tg_ctl_hscfg *old;

	/*
	 * Called from another thread (the reload): it only hands the config
	 * over. The poller adopts it at its next poll and drops the one it
	 * replaces there, so no other thread ever reads ctl->cfg while its
	 * last reference goes. Each value put in `pending` is taken out by
	 * exactly one exchange: a config replaced before the poller saw it
	 * is dropped here.
	 */
	atomic_fetch_add(&cfg->refs, 1);
	old = atomic_exchange(&ctl->pending, cfg);
	tg_ctl_cfg_put(old);
}

/* Poller only: adopt a config handed over by tg_ctl_set_hscfg(). */
static void tg_ctl_adopt_cfg(struct tg_ctl *ctl)
{
	struct tg_ctl_hscfg *next = atomic_exchange(&ctl->pending, NULL);

	if (next == NULL)
		return;
	tg_ctl_cfg_put(ctl->cfg);
	ctl->cfg = next;
}

struct rte_ring *tg_ctl_ring_to_ctl(struct tg_ctl *ctl, unsigned worker)
{
	return ctl->to_ctl[worker];
}

struct rte_ring *tg_ctl_ring_to_worker(struct tg_ctl *ctl, unsigned worker)
{
	return ctl->to_wk[worker];
}

void tg_ctl_notify(struct tg_ctl *ctl)
{
	if (ctl->inline_mode)
		return; /* the worker polls us itself */
	if (atomic_load(&ctl->sleeping))
		(void)!eventfd_write(ctl->efd, 1);
}

int tg_ctl_worker_fd(const struct tg_ctl *ctl, unsigned worker)
{
	return worker < ctl->n_workers ? ctl->wk_efd[worker] : -1;
}

unsigned tg_ctl_inflight(const struct tg_ctl *ctl)
{
	return atomic_load_explicit(&ctl->inflight, memory_order_relaxed);
}

/* Send to a worker; the worker drains its ring every poll, so a full
 * ring is waited on briefly; past that the message is dropped and the
 * flow will time out (logged). */
static void tg_ctl_send(struct tg_ctl *ctl, struct tg_ctl_msg *m)
{
	struct rte_ring *r;
	uint16_t wk;

	if (m == NULL) {
		TG_WARN("ctl: out of memory, message dropped");
		return;
	}
	/* once enqueued, m is the worker's (it may be freed at once) */
	wk = m->worker;
	r = ctl->to_wk[wk];
	for (int i = 0; i < 100000; i++) {
		bool was_empty = rte_ring_empty(r);

		if (rte_ring_enqueue(r, m) == 0) {
			/* inline, the worker drains the ring right after us */
			if (was_empty && !ctl->inline_mode)
				(void)!eventfd_write(ctl->wk_efd[wk], 1);
			return;
		}
		if (atomic_load(&ctl->stop))
			break;
		rte_pause();
	}
	TG_WARN("ctl: worker %u ring full, message dropped", wk);
	tg_ctl_msg_free(m);
}

static void tg_ctl_forget(struct tg_ctl *ctl, struct tg_ctl_flow *f)
{
	if (f->hs == NULL)
		return;
	tg_hs_free(f->hs);
	tg_ctl_cfg_put(f->cfg);
	f->hs = NULL;
	f->cfg = NULL;
	atomic_fetch_sub(&ctl->inflight, 1);
}

/* Send what the engine has to say. */
static bool tg_ctl_flush(struct tg_ctl *ctl, struct tg_ctl_flow *f,
			 const struct tg_ctl_msg *in)
{
	static __thread uint8_t buf[256 * 1024];
	size_t n = tg_hs_output(f->hs, buf, sizeof(buf));
	struct tg_ctl_msg *m;

	if (n == 0)
		return true;
	m = tg_ctl_msg_new(TG_CTL_HS_OUT, in->worker, in->slot, in->gen, buf, (uint32_t)n);
	if (m == NULL)
		return false;
	tg_ctl_send(ctl, m);
	return true;
}

static void tg_ctl_hs_data(struct tg_ctl *ctl, struct tg_ctl_msg *in)
{
	struct tg_ctl_flow *f;
	size_t used = 0;
	tg_result r;
	unsigned ev;

	if (in->slot >= ctl->max_slots)
		return;
	f = &ctl->flows[in->worker][in->slot];
	if (f->hs != NULL && f->gen != in->gen)
		tg_ctl_forget(ctl, f); /* a stale handshake in a reused slot */
	if (f->hs == NULL && f->failed && f->gen == in->gen)
		return; /* mid-stream bytes of a handshake that ended */
	if (f->hs == NULL && f->done && f->gen == in->gen) {
		/* the client's first records raced its Finished: they belong
		 * to the dataplane, which got the keys in an earlier message */
		tg_ctl_send(ctl, tg_ctl_msg_new(TG_CTL_HS_LATE, in->worker,
						in->slot, in->gen, in->data,
						in->len));
		return;
	}
	if (f->hs == NULL) {
		f->cfg = tg_ctl_cfg_get(ctl);
		if (tg_failed(tg_hs_new(&f->cfg->hs, NULL, &f->hs))) {
			tg_ctl_cfg_put(f->cfg);
			f->cfg = NULL;
			f->hs = NULL;
			f->gen = in->gen;
			f->failed = true;
			tg_ctl_send(ctl, tg_ctl_msg_new(TG_CTL_HS_FAIL, in->worker,
							in->slot, in->gen, NULL, 0));
			return;
		}
		f->gen = in->gen;
		f->done = false;
		f->failed = false;
		f->n_in = 0;
		atomic_fetch_add(&ctl->inflight, 1);
	}
	f->n_in++;
	r = tg_hs_feed(f->hs, in->data, in->len, &used);
	ev = tg_hs_events(f->hs);
	if (!tg_ctl_flush(ctl, f, in))
		r = tg_error(TG_E_NOMEM);
	if (tg_ok(r) && (ev & TG_HS_EV_KEYS_READY)) {
		struct tg_ctl_msg *m = tg_ctl_msg_new(TG_CTL_KEY_INSTALL, in->worker,
						      in->slot, in->gen,
						      in->data + used,
						      in->len - (uint32_t)used);

		/* The handshake leaves the in-flight count before its last
		 * message goes: whoever reads that message (a worker, a test)
		 * must not still see it counted. */
		if (m != NULL && tg_ok(tg_hs_export_keys(f->hs, &m->tx, &m->rx)) &&
		    (m->tx.version != TG_TLS13 ||
		     tg_ok(tg_hs_export_secrets13(f->hs, &m->s13)))) {
			m->info = *tg_hs_info(f->hs);
			m->n_data = f->n_in;
			f->done = true;
		} else {
			tg_ctl_msg_free(m);
			m = tg_ctl_msg_new(TG_CTL_HS_FAIL, in->worker, in->slot,
					   in->gen, NULL, 0);
			f->failed = true;
		}
		tg_ctl_forget(ctl, f);
		tg_ctl_send(ctl, m);
		return;
	}
	if (tg_failed(r)) {
		struct tg_ctl_msg *m = tg_ctl_msg_new(TG_CTL_HS_FAIL, in->worker,
						      in->slot, in->gen, NULL, 0);

		if (m != NULL)
			m->info = *tg_hs_info(f->hs);
		tg_ctl_forget(ctl, f);
		f->failed = true;
		tg_ctl_send(ctl, m);
	}
}

unsigned tg_ctl_poll(struct tg_ctl *ctl)
{
	unsigned total = 0;

	if (atomic_load_explicit(&ctl->pending, memory_order_relaxed) != NULL)
		tg_ctl_adopt_cfg(ctl);

	for (unsigned w = 0; w < ctl->n_workers; w++) {
		void *msgs[32];
		/* each message makes at most two replies; take no more than
		 * the worker's ring can hold, so tg_ctl_send never finds it
		 * full (we are its only producer) */
		unsigned room = rte_ring_free_count(ctl->to_wk[w]) / 2;
		unsigned n = rte_ring_dequeue_burst(ctl->to_ctl[w], msgs,
						    room < 32 ? room : 32, NULL);

		for (unsigned i = 0; i < n; i++) {
			struct tg_ctl_msg *m = msgs[i];
			/* the flow the message is about, when it is the one
			 * in its slot (HS_CLOSE, HS_EOF) */
			struct tg_ctl_flow *f =
				m->slot < ctl->max_slots &&
						ctl->flows[w][m->slot].gen == m->gen
					? &ctl->flows[w][m->slot]
					: NULL;

			m->worker = (uint16_t)w; /* trust the ring, not the message */
			if (m->type == TG_CTL_HS_DATA) {
				tg_ctl_hs_data(ctl, m);
			} else if (m->type == TG_CTL_HS_CLOSE && f != NULL) {
				tg_ctl_forget(ctl, f);
				f->done = false;
				f->failed = false;
			} else if (m->type == TG_CTL_HS_EOF && f != NULL && f->hs != NULL) {
				/* the client left mid-handshake: the worker
				 * closes on our word (a completed handshake
				 * sent KEY_INSTALL before this, a failed one
				 * HS_FAIL: then no answer is due) */
				tg_ctl_forget(ctl, f);
				tg_ctl_send(ctl, tg_ctl_msg_new(TG_CTL_HS_CLOSE, (uint16_t)w,
								m->slot, m->gen, NULL, 0));
			}
			tg_ctl_msg_free(m);
		}
		total += n;
	}
	return total;
}

static void *tg_ctl_main(void *arg)
{
	struct tg_ctl *ctl = arg;
	unsigned idle = 0;

	while (!atomic_load(&ctl->stop)) {
		if (tg_ctl_poll(ctl) > 0) {
			idle = 0;
		} else if (++idle > 200) {
			/* idle: block until a worker queues something. The
			 * flag is set before the rings are checked again and a
			 * worker checks it after enqueueing (both seq_cst), so
			 * a message is never left without a wake-up. */
			struct pollfd pfd = { .fd = ctl->efd, .events = POLLIN };
			bool empty = true;
			eventfd_t v;

			atomic_store(&ctl->sleeping, true);
			for (unsigned w = 0; w < ctl->n_workers; w++)
				empty &= rte_ring_empty(ctl->to_ctl[w]) != 0;
			if (empty && !atomic_load(&ctl->stop))
				(void)poll(&pfd, 1, 100);
			atomic_store(&ctl->sleeping, false);
			(void)!eventfd_read(ctl->efd, &v);
			idle = 0;
		} else {
			rte_pause();
		}
	}
	tg_kx_thread_cleanup();
	return NULL;
}

tg_result tg_ctl_create(unsigned n_workers, unsigned max_slots,
			unsigned ring_size, struct tg_ctl_hscfg *cfg,
			struct tg_ctl **out)
{
	struct tg_ctl *ctl;
	char name[RTE_RING_NAMESIZE];

	TG_ENSURE(n_workers > 0 && max_slots > 0 && cfg != NULL && out != NULL,
		  TG_E_INVAL);
	ctl = calloc(1, sizeof(*ctl));
	TG_ENSURE(ctl != NULL, TG_E_NOMEM);
	ctl->n_workers = n_workers;
	ctl->max_slots = max_slots;
	ctl->to_ctl = calloc(n_workers, sizeof(*ctl->to_ctl));
	ctl->to_wk = calloc(n_workers, sizeof(*ctl->to_wk));
	ctl->flows = calloc(n_workers, sizeof(*ctl->flows));
	ctl->wk_efd = calloc(n_workers, sizeof(*ctl->wk_efd));
	ctl->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	for (unsigned w = 0; ctl->wk_efd && w < n_workers; w++)
		ctl->wk_efd[w] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ctl->cfg = cfg;
	if (ctl->to_ctl == NULL || ctl->to_wk == NULL || ctl->flows == NULL ||
	    ctl->wk_efd == NULL || ctl->efd < 0) {
		tg_ctl_destroy(ctl);
		return tg_error(TG_E_NOMEM);
	}
	for (unsigned w = 0; w < n_workers; w++) {
		ctl->flows[w] = calloc(max_slots, sizeof(**ctl->flows));
		snprintf(name, sizeof(name), "tg_to_ctl_%u", w);
		ctl->to_ctl[w] = rte_ring_create(name, rte_align32pow2(ring_size),
						 SOCKET_ID_ANY,
						 RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "tg_to_wk_%u", w);
		ctl->to_wk[w] = rte_ring_create(name, rte_align32pow2(ring_size),
						SOCKET_ID_ANY,
						RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (ctl->flows[w] == NULL || ctl->to_ctl[w] == NULL ||
		    ctl->to_wk[w] == NULL) {
			tg_ctl_destroy(ctl);
			return tg_error(TG_E_NOMEM);
		}
	}
	*out = ctl;
	return TG_OK;
}

tg_result tg_ctl_start(struct tg_ctl *ctl, const cpu_set_t *cpus)
{
	pthread_attr_t attr;
	int rc;

	TG_ENSURE_REF(ctl);
	TG_ENSURE(!ctl->started && !ctl->inline_mode, TG_E_STATE);
	TG_ENSURE(pthread_attr_init(&attr) == 0, TG_E_NOMEM);
	rc = cpus != NULL
		     ? pthread_attr_setaffinity_np(&attr, sizeof(*cpus), cpus)
		     : 0;
	if (rc == 0)
		rc = pthread_create(&ctl->thread, &attr, tg_ctl_main, ctl);
	pthread_attr_destroy(&attr);
	if (rc != 0 && cpus != NULL) {
		/* the CPU set may be gone (a cpuset changed since): run
		 * where the creating thread may */
		TG_WARN("control thread: cannot pin it to its CPUs (%s); "
			"starting it unpinned", strerror(rc));
		rc = pthread_create(&ctl->thread, NULL, tg_ctl_main, ctl);
	}
	TG_ENSURE(rc == 0, TG_E_IO);
	/* named here, not by the thread when it first runs: on a busy CPU
	 * that can be milliseconds later, and whoever looks the thread up
	 * by name once we return (tlsgate-bench counts its CPU time as the
	 * server's) would not find it */
	(void)pthread_setname_np(ctl->thread, "tg-ctl");
	ctl->started = true;
	return TG_OK;
}

tg_result tg_ctl_start_inline(struct tg_ctl *ctl)
{
	TG_ENSURE_REF(ctl);
	TG_ENSURE(!ctl->started && !ctl->inline_mode, TG_E_STATE);
	TG_ENSURE(ctl->n_workers == 1, TG_E_INVAL);
	ctl->inline_mode = true;
	return TG_OK;
}

bool tg_ctl_is_inline(const struct tg_ctl *ctl)
{
	return ctl != NULL && ctl->inline_mode;
}

void tg_ctl_destroy(struct tg_ctl *ctl)
{
	if (ctl == NULL)
		return;
	atomic_store(&ctl->stop, true);
	if (ctl->efd > 0)
		(void)!eventfd_write(ctl->efd, 1);
	if (ctl->started)
		pthread_join(ctl->thread, NULL);
	for (unsigned w = 0; w < ctl->n_workers; w++) {
		void *m = NULL;

		if (ctl->flows && ctl->flows[w]) {
			for (unsigned s = 0; s < ctl->max_slots; s++)
				tg_ctl_forget(ctl, &ctl->flows[w][s]);
			free(ctl->flows[w]);
		}
		while (ctl->to_ctl && ctl->to_ctl[w] &&
		       rte_ring_dequeue(ctl->to_ctl[w], &m) == 0)
			tg_ctl_msg_free(m);
		while (ctl->to_wk && ctl->to_wk[w] &&
		       rte_ring_dequeue(ctl->to_wk[w], &m) == 0)
			tg_ctl_msg_free(m);
		if (ctl->to_ctl)
			rte_ring_free(ctl->to_ctl[w]);
		if (ctl->to_wk)
			rte_ring_free(ctl->to_wk[w]);
	}
	tg_ctl_cfg_put(ctl->cfg);
	tg_ctl_cfg_put(atomic_exchange(&ctl->pending, NULL));
	if (ctl->inline_mode)
		tg_kx_thread_cleanup(); /* the worker that ran them calls us */
	for (unsigned w = 0; ctl->wk_efd && w < ctl->n_workers; w++)
		if (ctl->wk_efd[w] > 0)
			close(ctl->wk_efd[w]);
	if (ctl->efd > 0)
		close(ctl->efd);
	free(ctl->wk_efd);
	free(ctl->flows);
	free(ctl->to_ctl);
	free(ctl->to_wk);
	free(ctl);
}
