/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file notify.c
 * sd_notify for a systemd `Type=notify` unit (tg_notify.h): READY=1 once
 * every worker listens, RELOADING=1/READY=1 around a SIGHUP reload,
 * STOPPING=1 at the drain. Without libsystemd (TG_HAVE_SYSTEMD unset)
 * every function is a no-op.
 */
#include "tg_notify.h"

#ifdef TG_HAVE_SYSTEMD

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "tg_log.h"
#include "tg_worker.h"

/* How long the watcher waits for the listeners before it gives up. */
#define TG_NOTIFY_WAIT_MS 60000
#define TG_NOTIFY_POLL_MS 5

/* What the service manager was told last. */
enum tg_notify_state {
	TG_NOTIFY_STARTING = 0, /* nothing yet */
	TG_NOTIFY_READY,
	TG_NOTIFY_RELOADING,
	TG_NOTIFY_STOPPING,
};

/* The watcher thread and the signal thread both notify: one lock keeps
 * the state and the messages in the same order. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static enum tg_notify_state g_state = TG_NOTIFY_STARTING;
static char g_status[256]; /* "listening on ... (N workers)" */

struct tg_notify_watch {
	const struct tg_config *cfg;
	const atomic_int *run;
};

bool tg_notify_enabled(void)
{
	const char *s = getenv("NOTIFY_SOCKET");

	return s != NULL && s[0] != '\0';
}

/* Send @p msg (newline-separated KEY=VALUE lines); the caller holds
 * g_lock. */
static void tg_notify_send(const char *msg)
{
	/* 0: keep $NOTIFY_SOCKET, later messages need it too */
	int rc = sd_notify(0, msg);

	if (rc < 0)
		TG_DEBUG("sd_notify: %s", strerror(-rc));
	else if (rc == 0)
		TG_DEBUG("sd_notify: no service manager to notify");
}

/* Is @p got (a bound listening socket) the configured @p want? Port 0
 * in the configuration matches any port. */
static bool tg_notify_same_addr(const struct sockaddr_storage *got,
				const struct sockaddr_storage *want)
{
	if (got->ss_family != want->ss_family)
		return false;
	if (want->ss_family == AF_INET) {
		const struct sockaddr_in *g = (const struct sockaddr_in *)got;
		const struct sockaddr_in *w = (const struct sockaddr_in *)want;

		return g->sin_addr.s_addr == w->sin_addr.s_addr &&
		       (w->sin_port == 0 || g->sin_port == w->sin_port);
	}
	if (want->ss_family == AF_INET6) {
		const struct sockaddr_in6 *g = (const struct sockaddr_in6 *)got;
		const struct sockaddr_in6 *w = (const struct sockaddr_in6 *)want;

		return memcmp(&g->sin6_addr, &w->sin6_addr, sizeof(w->sin6_addr)) == 0 &&
		       (w->sin6_port == 0 || g->sin6_port == w->sin6_port);
	}
	return false;
}

/*
 * Does the process listen on every address of @p cfg with one socket
 * per worker (SO_REUSEPORT: each worker binds its own)? Walks the
 * process's descriptors; those that are not listening sockets are
 * skipped.
 */
static bool tg_notify_all_listening(const struct tg_config *cfg)
{
	unsigned count[TG_CFG_MAX_LISTEN] = { 0 };
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	bool all = true;

	if (d == NULL)
		return false;
	while ((e = readdir(d)) != NULL) {
		struct sockaddr_storage sa;
		socklen_t salen = sizeof(sa), ilen = sizeof(int);
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		int acc = 0;

		if (e->d_name[0] < '0' || e->d_name[0] > '9' || *end != '\0' ||
		    fd == dirfd(d) || fd > INT32_MAX)
			continue;
		if (getsockopt((int)fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &ilen) != 0 ||
		    acc == 0)
			continue;
		memset(&sa, 0, sizeof(sa));
		if (getsockname((int)fd, (struct sockaddr *)&sa, &salen) != 0)
			continue;
		for (unsigned i = 0; i < cfg->n_listen && i < TG_CFG_MAX_LISTEN; i++)
			if (tg_notify_same_addr(&sa, &cfg->listen[i].sa))
				count[i]++;
	}
	closedir(d);
	for (unsigned i = 0; i < cfg->n_listen && i < TG_CFG_MAX_LISTEN; i++)
		all = all && count[i] >= cfg->workers;
	return all;
}

static void *tg_notify_watch(void *arg)
{
	struct tg_notify_watch w = *(struct tg_notify_watch *)arg;
	struct timespec nap = { .tv_nsec = TG_NOTIFY_POLL_MS * 1000000L };

	free(arg);
	pthread_setname_np(pthread_self(), "tg-notify");
	for (unsigned t = 0; t <= TG_NOTIFY_WAIT_MS / TG_NOTIFY_POLL_MS; t++) {
		if (atomic_load(w.run) != TG_RUN)
			return NULL; /* failed or stopped before it was up */
		if (tg_notify_all_listening(w.cfg)) {
			char msg[320];

			pthread_mutex_lock(&g_lock);
			if (g_state == TG_NOTIFY_STARTING) {
				snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", g_status);
				tg_notify_send(msg);
				g_state = TG_NOTIFY_READY;
			}
			pthread_mutex_unlock(&g_lock);
			return NULL;
		}
		nanosleep(&nap, NULL);
	}
	TG_WARN("notify: not every worker listens after %u s; the service manager "
		"is not told tlsgate is ready", TG_NOTIFY_WAIT_MS / 1000);
	return NULL;
}

void tg_notify_ready_when_listening(const struct tg_config *cfg,
				    const atomic_int *run)
{
	struct tg_notify_watch *w;
	pthread_attr_t attr;
	pthread_t t;
	size_t pos = 0;
	int rc;

	if (!tg_notify_enabled())
		return;
	pos = (size_t)snprintf(g_status, sizeof(g_status), "listening on");
	for (unsigned i = 0; i < cfg->n_listen && pos < sizeof(g_status); i++)
		pos += (size_t)snprintf(g_status + pos, sizeof(g_status) - pos, "%s %s",
					i ? "," : "", cfg->listen[i].text);
	if (pos < sizeof(g_status))
		snprintf(g_status + pos, sizeof(g_status) - pos, " (%u worker%s)",
			 cfg->workers, cfg->workers == 1 ? "" : "s");
	w = malloc(sizeof(*w));
	if (w == NULL) {
		TG_ERR("notify: out of memory; the service manager is not told tlsgate is ready");
		return;
	}
	w->cfg = cfg;
	w->run = run;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, tg_notify_watch, w);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		free(w);
		TG_ERR("notify: cannot start the watcher thread (%s); the service "
		       "manager is not told tlsgate is ready", strerror(rc));
	}
}

void tg_notify_reloading(void)
{
	struct timespec now;
	char msg[128];

	if (!tg_notify_enabled())
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&g_lock);
	if (g_state == TG_NOTIFY_READY) {
		snprintf(msg, sizeof(msg),
			 "RELOADING=1\nMONOTONIC_USEC=%" PRIu64 "\nSTATUS=reloading the configuration",
			 (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u);
		tg_notify_send(msg);
		g_state = TG_NOTIFY_RELOADING;
	}
	pthread_mutex_unlock(&g_lock);
}

void tg_notify_ready(void)
{
	char msg[320];

	if (!tg_notify_enabled())
		return;
	pthread_mutex_lock(&g_lock);
	if (g_state == TG_NOTIFY_RELOADING) {
		snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", g_status);
		tg_notify_send(msg);
		g_state = TG_NOTIFY_READY;
	}
	pthread_mutex_unlock(&g_lock);
}

void tg_notify_stopping(void)
{
	if (!tg_notify_enabled())
		return;
	pthread_mutex_lock(&g_lock);
	if (g_state != TG_NOTIFY_STOPPING) {
		tg_notify_send("STOPPING=1\nSTATUS=draining connections");
		g_state = TG_NOTIFY_STOPPING;
	}
	pthread_mutex_unlock(&g_lock);
}

#else /* !TG_HAVE_SYSTEMD: built without libsystemd, nothing to tell */

bool tg_notify_enabled(void)
{
	return false;
}

void tg_notify_ready_when_listening(const struct tg_config *cfg,
				    const atomic_int *run)
{
	(void)cfg;
	(void)run;
}

void tg_notify_reloading(void)
{
}

void tg_notify_ready(void)
{
}

void tg_notify_stopping(void)
{
}

#endif
