/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file main.c
 * tlsgate: flags and config, EAL start, the control thread, one worker
 * per lcore, signals (SIGTERM/SIGINT drain, SIGHUP reload), health checks
 * and the admin endpoint.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "tg_admin.h"
#include "tg_backend.h"
#include "tg_cert.h"
#include "tg_config.h"
#include "tg_ctl.h"
#include "tg_dpdk.h"
#include "tg_eal.h"
#include "tg_kx.h"
#include "tg_log.h"
#include "tg_notify.h"
#include "tg_privs.h"
#include "tg_sesscache.h"
#include "tg_stats.h"
#include "tg_suite.h"
#include "tg_ticket.h"
#include "tg_worker.h"

/* an lcore map for the most workers: "127@127," each */
#define TG_GATE_LCORES_LEN 1280

static struct tg_config g_cfg;
static int g_argc;          /* the command line, parsed again on reload */
static char **g_argv;
static atomic_int g_run = TG_RUN;
static atomic_uint g_conns;
static atomic_uint g_started; /* workers listening (tg_worker_conf::started) */
static struct tg_backends_cur g_backends; /* the current list (reload swaps it) */
static bool g_backends_set;
static struct tg_ctl *g_ctl;
static cpu_set_t g_cpus; /* the process's CPUs when it started */
static struct tg_accel *g_acc;

/* ---- the handshake configuration ---------------------------------------- */

/* What a handshake config owns, released with its last reference. */
struct tg_gate_hscfg {
	struct tg_ctl_hscfg c;
	struct tg_cert_store *store;
	struct tg_ca *client_ca;
	struct tg_sesscache *cache;
	struct tg_ticket_keys *tickets;
};

static void tg_gate_hscfg_release(struct tg_ctl_hscfg *c)
{
	struct tg_gate_hscfg *g = (struct tg_gate_hscfg *)c;

	tg_cert_store_unref(g->store);
	tg_ca_free(g->client_ca);
	tg_sesscache_free(g->cache);
	tg_ticket_keys_unref(g->tickets);
	free(g);
}

/* Build a handshake config from @p cfg: loads certificates, keys, CA,
 * ticket keys. The session cache is carried over from @p keep_cache so a
 * reload keeps resumable sessions. */
static TG_MUST_CHECK tg_result tg_gate_hscfg(const struct tg_config *cfg,
			       struct tg_sesscache *keep_cache,
			       struct tg_gate_hscfg **out)
{
	struct tg_gate_hscfg *g = calloc(1, sizeof(*g));
	struct tg_hs_config *hs;
	tg_result r = TG_OK;
	char err[256], where[TG_CFG_PATH + 32];
	size_t n;

	TG_ENSURE(g != NULL, TG_E_NOMEM);
	atomic_init(&g->c.refs, 1);
	g->c.release = tg_gate_hscfg_release;
	hs = &g->c.hs;
	tg_hs_config_defaults(hs, TG_HS_SERVER);
	hs->acc = g_acc;
	hs->allow_static_rsa = cfg->allow_static_rsa;
	hs->allow_no_ems = cfg->allow_no_ems;
	hs->psk_ke = cfg->tls13_psk_ke;
	hs->client_auth = (enum tg_hs_client_auth)cfg->client_auth;
	hs->alpn_required = cfg->alpn_required;
	for (unsigned i = 0; i < cfg->n_alpn && i < TG_HS_MAX_ALPN; i++)
		snprintf(hs->alpn[i], sizeof(hs->alpn[i]), "%s", cfg->alpn[i]);
	hs->n_alpn = cfg->n_alpn < TG_HS_MAX_ALPN ? cfg->n_alpn : TG_HS_MAX_ALPN;
	if (cfg->suites[0]) {
		r = tg_cs_parse_list(cfg->suites, hs->suites, TG_HS_MAX_PREFS, &n,
				     err, sizeof(err));
		hs->n_suites = (unsigned)n;
	}
	hs->versions = TG_HS_VERSION_TLS12 | TG_HS_VERSION_TLS13;
	if (tg_ok(r) && cfg->tls_versions[0])
		r = tg_version_parse_list(cfg->tls_versions, &hs->versions, err,
					  sizeof(err));
	if (tg_ok(r) && cfg->tls13_suites[0]) {
		r = tg_cs13_parse_list(cfg->tls13_suites, hs->suites13,
				       TG_CS13_MAX, &n, err, sizeof(err));
		hs->n_suites13 = (unsigned)n;
	}
	if (tg_ok(r) && cfg->groups[0]) {
		r = tg_group_parse_list(cfg->groups, hs->groups, TG_HS_MAX_PREFS, &n,
					err, sizeof(err));
		hs->n_groups = (unsigned)n;
	}
	if (tg_ok(r) && cfg->sigalgs[0]) {
		r = tg_sigalg_parse_list(cfg->sigalgs, hs->sigalgs, TG_HS_MAX_PREFS,
					 &n, err, sizeof(err));
		hs->n_sigalgs = (unsigned)n;
	}
	if (tg_failed(r))
		TG_ERR("config: %s", err);
	if (tg_ok(r))
		r = tg_cert_store_new(0, &g->store);
	for (unsigned i = 0; tg_ok(r) && i < cfg->n_certs; i++) {
		r = tg_cert_store_load(g->store, cfg->certs[i].cert, cfg->certs[i].key,
				       cfg->certs[i].is_default);
		if (tg_failed(r)) {
			/* the loader said what is wrong with the files;
			 * this says where the config names them */
			char key[48];

			snprintf(key, sizeof(key), "certificates[%u]", i);
			TG_ERR("%scertificate %s with key %s not loaded",
			       tg_config_where(cfg, key, where, sizeof(where)),
			       cfg->certs[i].cert, cfg->certs[i].key);
		}
	}
	if (tg_ok(r) && cfg->client_auth != TG_CFG_CLIENT_AUTH_NONE &&
	    cfg->client_ca[0]) {
		r = tg_ca_load(cfg->client_ca, NULL, &g->client_ca);
		if (tg_failed(r))
			TG_ERR("%sclient_ca %s not loaded",
			       tg_config_where(cfg, "client_ca", where, sizeof(where)),
			       cfg->client_ca);
	}
	if (tg_ok(r) && cfg->tickets) {
		struct tg_ticket_cfg tc = { .lifetime_s = cfg->ticket_lifetime_s };

		if (cfg->n_ticket_keys) {
			const char *paths[TG_CFG_MAX_TICKET_KEYS];

			for (unsigned i = 0; i < cfg->n_ticket_keys; i++)
				paths[i] = cfg->ticket_keys[i];
			r = tg_ticket_keys_load(paths, cfg->n_ticket_keys, &tc, &g->tickets);
			if (tg_failed(r))
				TG_ERR("%sticket keys not loaded",
				       tg_config_where(cfg, "ticket_keys", where,
						       sizeof(where)));
		} else {
			r = tg_ticket_keys_random(TG_TICKET_FMT_GCM, &tc, &g->tickets);
		}
	}
	if (tg_ok(r) && cfg->session_cache) {
		struct tg_sesscache_cfg sc = { .max_entries = cfg->session_cache,
					       .ttl_s = cfg->session_ttl_s };

		/* a cache is shared by every config it lives through: the
		 * reload keeps the same one (it is freed by the last owner) */
		g->cache = keep_cache;
		if (g->cache == NULL)
			r = tg_sesscache_new(&sc, &g->cache);
	}
	if (tg_failed(r)) {
		if (g->cache == keep_cache)
			g->cache = NULL;
		tg_gate_hscfg_release(&g->c);
		return r;
	}
	hs->certs = g->store;
	hs->client_ca = g->client_ca;
	hs->cache = g->cache;
	hs->tickets = g->tickets;
	*out = g;
	return TG_OK;
}

static struct tg_gate_hscfg *g_hscfg; /* the current one (for reload) */

/* ---- reload (SIGHUP) ------------------------------------------------------- */

static void tg_gate_reload(void)
{
	static struct tg_config next;
	enum tg_config_action action;
	struct tg_gate_hscfg *hc;
	struct tg_backends *be;

	TG_NOTICE("reload: reading %s", g_cfg.config_path[0] ? g_cfg.config_path
							     : "(command line)");
	/* the file and the same flags again: flags still override it */
	if (tg_failed(tg_config_parse(g_argc, g_argv, &next, &action))) {
		TG_ERR("reload: configuration has errors; keeping the running one");
		return;
	}
	/* the session cache lives on across reloads: the new config takes
	 * it over, the old one must not free it */
	if (tg_failed(tg_gate_hscfg(&next, g_hscfg->cache, &hc))) {
		TG_ERR("reload: certificates or keys failed to load; keeping the running ones");
		return;
	}
	if (tg_failed(tg_backends_new(&next.backends, &be))) {
		tg_gate_hscfg_release(&hc->c);
		TG_ERR("reload: backends failed; keeping the running ones");
		return;
	}
	g_hscfg->cache = NULL; /* handed over */
	tg_ctl_set_hscfg(g_ctl, &hc->c);
	{
		struct tg_ctl_hscfg *prev = &g_hscfg->c;

		g_hscfg = hc;
		/* drop our own reference to the previous config; handshakes
		 * in flight keep theirs */
		if (atomic_fetch_sub(&prev->refs, 1) == 1)
			prev->release(prev);
	}
	/* flows, workers, the admin and health threads that hold the old
	 * list keep it until they let go */
	tg_backends_cur_set(&g_backends, be);
	/* connection limits, listeners and workers need a restart */
	if (next.workers != g_cfg.workers || next.control != g_cfg.control ||
	    strcmp(next.lcores, g_cfg.lcores) != 0)
		TG_NOTICE("reload: workers, lcores and control changes take effect at the next restart");
	if (next.transport != g_cfg.transport ||
	    strcmp(next.dpdk_eal, g_cfg.dpdk_eal) != 0 ||
	    strcmp(next.dpdk_dev, g_cfg.dpdk_dev) != 0 ||
	    strcmp(next.dpdk_addr, g_cfg.dpdk_addr) != 0 ||
	    strcmp(next.dpdk_addr6, g_cfg.dpdk_addr6) != 0 ||
	    strcmp(next.dpdk_gw, g_cfg.dpdk_gw) != 0 ||
	    strcmp(next.dpdk_gw6, g_cfg.dpdk_gw6) != 0 ||
	    strcmp(next.dpdk_impair, g_cfg.dpdk_impair) != 0 ||
	    next.dpdk_backend_transport != g_cfg.dpdk_backend_transport)
		TG_NOTICE("reload: transport and dpdk.* changes take effect at the next restart");
	TG_NOTICE("reload: done (%u certificates, %u backend pools)", next.n_certs,
		  next.backends.n_pools);
}

/* ---- threads ---------------------------------------------------------------- */

static void *tg_gate_signals(void *arg)
{
	sigset_t *set = arg;

	pthread_setname_np(pthread_self(), "tg-signals");
	for (;;) {
		int sig;

		if (sigwait(set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			tg_notify_reloading();
			tg_gate_reload();
			tg_notify_ready();
		} else if (sig == SIGTERM || sig == SIGINT) {
			if (atomic_load(&g_run) == TG_RUN) {
				TG_NOTICE("signal %d: draining (up to %u ms); again to stop now",
					  sig, g_cfg.flow.drain_timeout_ms);
				atomic_store(&g_run, TG_DRAIN);
				tg_notify_stopping();
			} else {
				atomic_store(&g_run, TG_STOP);
			}
		} else if (sig == SIGUSR1) {
			return NULL; /* the main thread is done */
		}
	}
}

static void *tg_gate_health(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "tg-health");
	while (atomic_load(&g_run) == TG_RUN) {
		struct tg_backends *b = tg_backends_cur_get(&g_backends);

		tg_backends_check(b, g_cfg.flow.connect_timeout_ms);
		tg_backends_unref(b);
		for (unsigned t = 0; t < g_cfg.health_interval_ms / 50 &&
				     atomic_load(&g_run) == TG_RUN; t++)
			usleep(50 * 1000);
	}
	return NULL;
}

/* ---- main --------------------------------------------------------------------- */

/* "1,3-4": the CPUs of @p set, for a log line. */
static void tg_gate_cpus_str(const cpu_set_t *set, char *buf, size_t cap)
{
	size_t pos = 0;

	buf[0] = '\0';
	for (int c = 0; c < CPU_SETSIZE && pos + 12 < cap; c++) {
		int e = c;

		if (!CPU_ISSET(c, set))
			continue;
		while (e + 1 < CPU_SETSIZE && CPU_ISSET(e + 1, set))
			e++;
		pos += (size_t)snprintf(buf + pos, cap - pos, "%s%d", pos ? "," : "", c);
		if (e > c)
			pos += (size_t)snprintf(buf + pos, cap - pos, "-%d", e);
		c = e;
	}
}

/*
 * The lcore of each worker, in worker order: worker 0 on the main lcore,
 * the others on the next ones. Fills lc[0..workers-1] (tg_gate_run
 * checked there are that many lcores).
 */
static void tg_gate_worker_lcores(unsigned *lc)
{
	unsigned l, i = 1;

	lc[0] = rte_get_main_lcore();
	RTE_LCORE_FOREACH_WORKER(l) {
		if (i >= g_cfg.workers)
			break;
		lc[i++] = l;
	}
}

/*
 * Start the control plane as configured: a thread on the CPUs no worker
 * runs on, or, when there are none and one worker, inline in the worker
 * (a thread sharing the worker's CPU would cost two thread switches per
 * handshake round trip).
 */
/* The CPUs we may use that no worker's lcore has (the control thread's,
 * the kernel backends' helpers'). */
static void tg_gate_spare_cpus(cpu_set_t *spare)
{
	cpu_set_t workers;
	unsigned lc[RTE_MAX_LCORE];

	tg_gate_worker_lcores(lc);
	CPU_ZERO(&workers);
	for (unsigned i = 0; i < g_cfg.workers; i++) {
		rte_cpuset_t c = rte_lcore_cpuset(lc[i]);

		CPU_OR(&workers, &workers, &c);
	}
	CPU_ZERO(spare);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &g_cpus) && !CPU_ISSET(c, &workers))
			CPU_SET(c, spare);
}

static TG_MUST_CHECK tg_result tg_gate_start_control(struct tg_ctl *ctl)
{
	cpu_set_t spare;
	char buf[128];

	tg_gate_spare_cpus(&spare);
	if (g_cfg.control == TG_CFG_CONTROL_INLINE ||
	    (g_cfg.control == TG_CFG_CONTROL_AUTO && CPU_COUNT(&spare) == 0 &&
	     g_cfg.workers == 1)) {
		TG_NOTICE("handshakes run inline in the worker (control %s%s)",
			  tg_cfg_control_name(g_cfg.control),
			  g_cfg.control == TG_CFG_CONTROL_AUTO
				  ? ": no CPU left for a control thread" : "");
		return tg_ctl_start_inline(ctl);
	}
	if (CPU_COUNT(&spare) > 0) {
		tg_gate_cpus_str(&spare, buf, sizeof(buf));
		TG_NOTICE("handshakes run in the control thread on CPU %s", buf);
		return tg_ctl_start(ctl, &spare);
	}
	if (CPU_COUNT(&g_cpus) == 0)
		return tg_ctl_start(ctl, NULL);
	tg_gate_cpus_str(&g_cpus, buf, sizeof(buf));
	TG_NOTICE("handshakes run in the control thread on CPU %s, shared with the workers",
		  buf);
	return tg_ctl_start(ctl, &g_cpus);
}

/*
 * Every worker has bound its listeners (worker 0 calls this before any
 * serves): what needed privileges is done.
 */
static bool tg_gate_ready(void *arg)
{
	(void)arg;
	if (tg_failed(tg_privs_drop(&g_cfg)))
		return false; /* logged with where user was set */
	TG_INFO("ready: %u workers listening", g_cfg.workers);
	tg_notify_listening(&g_cfg);
	return true;
}

/*
 * Without -l: worker i on the i-th CPU this process may run on (taskset,
 * a cgroup's cpuset, systemd's CPUAffinity), wrapping round when there
 * are fewer CPUs than workers; "0@1,1@3" for the EAL's --lcores. The
 * EAL's own default (CPU 0 up) ignores the inherited affinity.
 */
static void tg_gate_default_lcores(char *buf, size_t cap)
{
	int cpus[CPU_SETSIZE], n = 0;
	size_t pos = 0;

	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &g_cpus))
			cpus[n++] = c;
	if (n == 0) { /* affinity unknown */
		snprintf(buf, cap, g_cfg.workers == 1 ? "0" : "0-%u", g_cfg.workers - 1);
		return;
	}
	buf[0] = '\0';
	for (unsigned i = 0; i < g_cfg.workers && pos < cap; i++)
		pos += (size_t)snprintf(buf + pos, cap - pos, "%s%u@%d", i ? "," : "", i,
					cpus[i % (unsigned)n]);
}

/* The flow engine's hooks to the control plane. */
static void tg_gate_ctl_notify(void *ctx)
{
	tg_ctl_notify(ctx);
}

static unsigned tg_gate_ctl_poll(void *ctx)
{
	return tg_ctl_poll(ctx);
}

/*
 * EAL memory without hugepages (-m, MiB) for the DPDK transport: every
 * worker's packet pool (an mbuf of 2 KiB of data and its headers, about
 * 2.5 KiB), its TCP's large mbufs (records in the send streams, 19 KiB
 * each), its TCP's connections, TIME_WAIT entries and hash (two per
 * flow slot, about 3 KiB together), and what the socket mode has.
 */
static unsigned tg_gate_dpdk_mem_mb(void)
{
	uint64_t per = (uint64_t)g_cfg.dpdk_mbufs * 2560 +
		       (uint64_t)g_cfg.flow.max_conns_per_worker * 2 * 3072 +
		       (uint64_t)TG_DPDK_BIG_MBUFS_DEFAULT * 19 * 1024 +
		       (4u << 20);
	uint64_t mb = 256 + (per * g_cfg.workers + (1u << 20) - 1) / (1u << 20);

	return mb > 1u << 20 ? 1u << 20 : (unsigned)mb;
}

static int tg_gate_run(void)
{
	struct tg_eal_opts eo = { .mem_mb = 256 };
	struct tg_accel_conf ac = { 0 };
	struct tg_worker_conf *wc = NULL;
	struct tg_wk_stats *stats = NULL;
	struct tg_admin *admin = NULL;
	bool dpdk = g_cfg.transport == TG_CFG_TRANSPORT_DPDK;
	/* backends on kernel sockets: every backend connection, and the
	 * health checks, through the kernel */
	bool kback = dpdk && g_cfg.dpdk_backend_transport == TG_CFG_BACKEND_KERNEL;
	struct tg_dpdk_conf *dc = NULL;
	struct tg_dpdk_stats *nstats = NULL;
	struct tg_dpdk_port *dport = NULL;
	cpu_set_t kb_cpus;
	atomic_uint finished = 0;
	pthread_t sig_thread, health_thread;
	bool health = false;
	sigset_t set;
	char lcores[TG_GATE_LCORES_LEN];
	FILE *access_log = stderr;
	bool pid_written = false;
	char where[TG_CFG_PATH + 32];
	unsigned i;
	int rc = 1;

	/* two sockets per connection (client, backend) plus listeners and
	 * the rest: raise the soft descriptor limit as far as allowed */
	{
		struct rlimit rl;
		rlim_t want = (rlim_t)g_cfg.flow.max_conns * 2 + 256;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
			rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
			if (setrlimit(RLIMIT_NOFILE, &rl) != 0 ||
			    rl.rlim_cur < (rlim_t)g_cfg.flow.max_conns * 2)
				TG_WARN("open files limited to %llu: max_conns %u needs %llu "
					"(raise the hard limit, ulimit -Hn)",
					(unsigned long long)rl.rlim_cur, g_cfg.flow.max_conns,
					(unsigned long long)want);
		}
	}

	/* signals go to one thread, blocked everywhere else */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* the CPUs we may use, before the EAL pins this thread to its lcore */
	if (sched_getaffinity(0, sizeof(g_cpus), &g_cpus) != 0)
		CPU_ZERO(&g_cpus);

	if (g_cfg.lcores[0])
		snprintf(lcores, sizeof(lcores), "%s", g_cfg.lcores);
	else
		tg_gate_default_lcores(lcores, sizeof(lcores));
	eo.lcores = lcores;
	if (dpdk) {
		eo.extra = g_cfg.dpdk_eal[0] ? g_cfg.dpdk_eal : NULL;
		eo.hugepages = g_cfg.dpdk_hugepages;
		eo.mem_mb = tg_gate_dpdk_mem_mb();
	}
	if (tg_failed(tg_eal_start("tlsgate", &eo))) {
		if (dpdk)
			TG_ERR("dpdk: the EAL did not start: check dpdk.eal (--eal \"%s\")%s",
			       g_cfg.dpdk_eal,
			       g_cfg.dpdk_hugepages ? " and the hugepages (docs/deployment.md)" : "");
		return 1;
	}
	if (rte_lcore_count() < g_cfg.workers) {
		TG_ERR("%u workers need %u lcores; -l %s gives %u", g_cfg.workers,
		       g_cfg.workers, lcores, rte_lcore_count());
		goto out;
	}
	ac.backends = g_cfg.accel_backends[0] ? g_cfg.accel_backends : "default";
	ac.force = g_cfg.accel_force[0] ? g_cfg.accel_force : NULL;
	if (tg_failed(tg_accel_create(&ac, &g_acc)))
		goto out;
	for (unsigned s = 0; s < TG_SUITE__COUNT; s++) {
		int b = tg_accel_choice(g_acc, (enum tg_suite)s, 16384);

		TG_NOTICE("records: %s on %s", tg_suite_name((enum tg_suite)s),
			  b < 0 ? "(none)" : tg_accel_backend_name(g_acc, (unsigned)b));
	}
	if (tg_failed(tg_gate_hscfg(&g_cfg, NULL, &g_hscfg)))
		goto out;
	{
		struct tg_backends *b;

		if (tg_failed(tg_backends_new(&g_cfg.backends, &b)))
			goto out;
		tg_backends_cur_init(&g_backends, b);
		g_backends_set = true;
	}
	/* the control thread holds its own reference to the config */
	atomic_fetch_add(&g_hscfg->c.refs, 1);
	if (tg_failed(tg_ctl_create(g_cfg.workers, g_cfg.flow.max_conns_per_worker,
				    g_cfg.hs_queue, &g_hscfg->c, &g_ctl)) ||
	    tg_failed(tg_gate_start_control(g_ctl)))
		goto out;

	if (g_cfg.access_log[0] == '-')
		access_log = NULL;
	else if (g_cfg.access_log[0] && (access_log = fopen(g_cfg.access_log, "a")) == NULL) {
		TG_ERR("access log %s: %s", g_cfg.access_log, strerror(errno));
		goto out;
	}
	if (g_cfg.pid_file[0] != '\0') {
		FILE *pf = fopen(g_cfg.pid_file, "w");
		bool ok = pf != NULL;

		/* written (or tried) is ours to remove at exit */
		pid_written = ok;
		if (ok)
			ok = fprintf(pf, "%ld\n", (long)getpid()) > 0;
		if (pf != NULL && fclose(pf) != 0)
			ok = false;
		if (!ok) {
			TG_ERR("%spid file %s: %s",
			       tg_config_where(&g_cfg, "pid_file", where, sizeof(where)),
			       g_cfg.pid_file, strerror(errno));
			goto out;
		}
	}
	stats = aligned_alloc(64, sizeof(*stats) * g_cfg.workers);
	wc = calloc(g_cfg.workers, sizeof(*wc));
	if (stats == NULL || wc == NULL)
		goto out;
	memset(stats, 0, sizeof(*stats) * g_cfg.workers);
	if (dpdk) {
		/* the port before the admin listener: a port that cannot
		 * start stops tlsgate before anything listens */
		if (tg_failed(tg_dpdk_port_open(&g_cfg.dpdk_port, g_cfg.workers, &dport)))
			goto out;
		nstats = aligned_alloc(64, sizeof(*nstats) * g_cfg.workers);
		dc = calloc(g_cfg.workers, sizeof(*dc));
		if (nstats == NULL || dc == NULL)
			goto out;
		memset(nstats, 0, sizeof(*nstats) * g_cfg.workers);
	}
	if (g_cfg.admin.text[0]) {
		struct tg_admin_src src = { .n_workers = g_cfg.workers, .stats = stats,
					    .net = nstats, .acc = g_acc, .ctl = g_ctl,
					    .backends = &g_backends };

		clock_gettime(CLOCK_MONOTONIC, &src.start);
		if (tg_failed(tg_admin_start(&g_cfg.admin, &src, &admin)))
			goto out;
	}
	pthread_create(&sig_thread, NULL, tg_gate_signals, &set);
	/* with the DPDK transport the backends are behind the port: worker
	 * 0 checks them through its TCP; with kernel backends, kernel
	 * connects as in the socket mode, from this thread of its own (a
	 * blocking connect with its timeout; the worker's helper threads
	 * serve flows only) */
	if (g_cfg.health_interval_ms && (!dpdk || kback))
		health = pthread_create(&health_thread, NULL, tg_gate_health, NULL) == 0;

	for (i = 0; i < g_cfg.workers; i++) {
		wc[i] = (struct tg_worker_conf){
			.flow = {
				.id = i, .set = &g_cfg.flow, .acc = g_acc,
				.to_ctl = tg_ctl_ring_to_ctl(g_ctl, i),
				.from_ctl = tg_ctl_ring_to_worker(g_ctl, i),
				.ctl = { .ctx = g_ctl, .notify = tg_gate_ctl_notify,
					 .poll = tg_ctl_is_inline(g_ctl) ? tg_gate_ctl_poll
									 : NULL },
				.backends = &g_backends, .stats = &stats[i],
				.conns_total = &g_conns, .access_log = access_log,
			},
			.listen = g_cfg.listen, .n_listen = g_cfg.n_listen,
			.wake_fd = tg_ctl_worker_fd(g_ctl, i),
			.run = &g_run, .coalesce_us = g_cfg.coalesce_us,
			.started = &g_started, .n_workers = g_cfg.workers,
			.ready = tg_gate_ready,
		};
	}
	/* the helpers of kernel backends where the control thread may be:
	 * off the workers' lcores if a CPU is left, else on all of ours */
	if (kback) {
		tg_gate_spare_cpus(&kb_cpus);
		if (CPU_COUNT(&kb_cpus) == 0)
			kb_cpus = g_cpus;
	}
	for (i = 0; dpdk && i < g_cfg.workers; i++) {
		dc[i] = (struct tg_dpdk_conf){
			.w = wc[i], .port = dport, .queue = (uint16_t)i,
			.impair = tg_net_impair_active(&g_cfg.dpdk_imp) ? &g_cfg.dpdk_imp
									: NULL,
			.idle_us = g_cfg.dpdk_idle_us,
			.idle_first_us = g_cfg.dpdk_idle_first_us,
			.health_interval_ms = i == 0 && !kback ? g_cfg.health_interval_ms : 0,
			.stats = &nstats[i], .finished = &finished,
			.kernel_backends = kback,
			.kback_cpus = kback ? &kb_cpus : NULL,
			.rx_chain = g_cfg.dpdk_rx_chain,
		};
	}
	if (kback)
		TG_NOTICE("dpdk: backends through kernel sockets (dpdk.backend_transport = kernel): a helper thread per worker");
	if (dpdk && tg_net_impair_active(&g_cfg.dpdk_imp))
		TG_WARN("dpdk: impairment on (%s): a debugging option", g_cfg.dpdk_impair);
	for (i = 0; i < g_cfg.n_listen; i++)
		TG_NOTICE("listening on %s (%u workers%s%s)", g_cfg.listen[i].text,
			  g_cfg.workers, dpdk ? ", DPDK port " : "",
			  dpdk ? tg_dpdk_port_name(dport) : "");
	/* worker 0 runs on the main lcore (this thread), the others on
	 * the next ones */
	{
		unsigned lcs[RTE_MAX_LCORE];

		tg_gate_worker_lcores(lcs);
		for (i = 1; i < g_cfg.workers; i++) {
			if (dpdk)
				rte_eal_remote_launch(tg_dpdk_worker_main, &dc[i], lcs[i]);
			else
				rte_eal_remote_launch(tg_worker_main, &wc[i], lcs[i]);
		}
	}
	if (dpdk)
		rc = tg_dpdk_worker_main(&dc[0]) == 0 ? 0 : 1;
	else
		rc = tg_worker_main(&wc[0]) == 0 ? 0 : 1;
	rte_eal_mp_wait_lcore();
	TG_NOTICE("stopped");
	pthread_kill(sig_thread, SIGUSR1);
	pthread_join(sig_thread, NULL);
	if (health)
		pthread_join(health_thread, NULL);
out:
	atomic_store(&g_run, TG_STOP);
	tg_admin_stop(admin);
	tg_dpdk_port_close(dport);
	tg_ctl_destroy(g_ctl);
	if (g_hscfg != NULL && atomic_fetch_sub(&g_hscfg->c.refs, 1) == 1)
		g_hscfg->c.release(&g_hscfg->c);
	if (g_backends_set)
		tg_backends_cur_fini(&g_backends);
	tg_accel_destroy(g_acc);
	if (access_log != NULL && access_log != stderr)
		fclose(access_log);
	if (pid_written)
		unlink(g_cfg.pid_file);
	free(wc);
	free(stats);
	free(dc);
	free(nstats);
	tg_kx_thread_cleanup();
	tg_eal_stop();
	return rc;
}

int main(int argc, char **argv)
{
	enum tg_config_action action = TG_ACTION_RUN;
	tg_result r;

	g_argc = argc;
	g_argv = argv;
	r = tg_config_parse(argc, argv, &g_cfg, &action);
	enum tg_log_level lvl;

	if (tg_failed(r))
		return r.code == TG_E_INVAL ? 2 : 1;
	if (action == TG_ACTION_HELP || action == TG_ACTION_VERSION)
		return 0;
	if (action == TG_ACTION_STATS)
		return tg_admin_stats_cli(&g_cfg.admin, stdout);
	if (tg_log_parse_level(g_cfg.log_level, &lvl))
		tg_log_set_level(lvl);
	if (action == TG_ACTION_CHECK) {
		/* load what the run would load: certificates, keys, CA, ticket
		 * keys; each failure was printed with its file */
		struct tg_accel_conf ac = { .backends = "evp", .no_calibrate = true };
		struct tg_gate_hscfg *hc;
		int rc = 1;

		if (tg_ok(tg_accel_create(&ac, &g_acc)) &&
		    tg_ok(tg_gate_hscfg(&g_cfg, NULL, &hc))) {
			tg_gate_hscfg_release(&hc->c);
			tg_config_print_summary(&g_cfg);
			printf("  certificates, keys and ticket keys load\n");
			rc = 0;
		}
		tg_accel_destroy(g_acc);
		return rc;
	}
	return tg_gate_run();
}
