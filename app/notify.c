/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file notify.c
 * sd_notify for a systemd `Type=notify` unit (tg_notify.h): READY=1 once
 * every worker listens (the workers' start-up barrier), RELOADING=1/READY=1 around a SIGHUP reload,
 * STOPPING=1 at the drain. Without libsystemd (TG_HAVE_SYSTEMD unset)
 * every function is a no-op.
 */
#include "tg_notify.h"

#ifdef TG_HAVE_SYSTEMD

#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "tg_log.h"

/* What the service manager was told last. */
enum tg_notify_state {
	TG_NOTIFY_STARTING = 0, /* nothing yet */
	TG_NOTIFY_READY,
	TG_NOTIFY_RELOADING,
	TG_NOTIFY_STOPPING,
};

/* Worker 0 (start-up) and the signal thread both notify: one lock keeps
 * the state and the messages in the same order. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static enum tg_notify_state g_state = TG_NOTIFY_STARTING;
static char g_status[256]; /* "listening on ... (N workers)" */

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

void tg_notify_listening(const struct tg_config *cfg)
{
	char msg[320];
	size_t pos;

	if (!tg_notify_enabled())
		return;
	pthread_mutex_lock(&g_lock);
	pos = (size_t)snprintf(g_status, sizeof(g_status), "listening on");
	for (unsigned i = 0; i < cfg->n_listen && pos < sizeof(g_status); i++)
		pos += (size_t)snprintf(g_status + pos, sizeof(g_status) - pos, "%s %s",
					i ? "," : "", cfg->listen[i].text);
	if (pos < sizeof(g_status))
		snprintf(g_status + pos, sizeof(g_status) - pos, " (%u worker%s)",
			 cfg->workers, cfg->workers == 1 ? "" : "s");
	if (g_state == TG_NOTIFY_STARTING) {
		snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", g_status);
		tg_notify_send(msg);
		g_state = TG_NOTIFY_READY;
	}
	pthread_mutex_unlock(&g_lock);
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

void tg_notify_listening(const struct tg_config *cfg)
{
	(void)cfg;
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
