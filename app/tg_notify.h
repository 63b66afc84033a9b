/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_notify.h
 * Service manager notifications (systemd's sd_notify protocol, through
 * libsystemd) for a `Type=notify` unit:
 *
 *  - `READY=1` once every configured listener is bound by every worker
 *    (a watcher thread checks the process's listening sockets, so a
 *    client that connects after READY=1 is never refused);
 *  - `RELOADING=1` with `MONOTONIC_USEC` when a SIGHUP reload starts, and
 *    `READY=1` when it is over, whether the new configuration was taken
 *    or refused (the old one keeps running: the service is ready again);
 *  - `STOPPING=1` when the drain starts (SIGTERM/SIGINT).
 *
 * Each message carries a `STATUS=` line for `systemctl status`. Without
 * `$NOTIFY_SOCKET` (not started by a service manager), or in a build
 * without libsystemd, every function does nothing. A notification that
 * cannot be sent is logged at debug level and never fatal: tlsgate runs
 * the same with or without a service manager listening.
 */
#ifndef TG_NOTIFY_H
#define TG_NOTIFY_H

#include <stdbool.h>

#include "tg_config.h"

/**
 * Whether notifications go anywhere: built with libsystemd and started
 * with `$NOTIFY_SOCKET` set.
 */
bool tg_notify_enabled(void);

/**
 * Every worker listens (the workers' start-up barrier calls this once,
 * from tg_gate_ready(), before any serves): `READY=1`, with a STATUS
 * naming the addresses and workers of @p cfg. Does nothing when
 * tg_notify_enabled() is false.
 *
 * @param cfg  the running configuration (listen addresses, workers)
 */
void tg_notify_listening(const struct tg_config *cfg);

/**
 * A SIGHUP reload starts: `RELOADING=1` and `MONOTONIC_USEC=` (the
 * CLOCK_MONOTONIC time, as systemd >= 253 requires). Only once the
 * start-up READY=1 was sent and before STOPPING=1; otherwise nothing.
 */
void tg_notify_reloading(void);

/**
 * The reload announced by tg_notify_reloading() is over: `READY=1`.
 * Does nothing when no reload was announced (before the watcher's
 * start-up READY=1, or after STOPPING=1).
 */
void tg_notify_ready(void);

/**
 * tlsgate stops accepting and drains: `STOPPING=1`, sent once; later
 * reloads send nothing.
 */
void tg_notify_stopping(void);

#endif
