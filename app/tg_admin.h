/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_admin.h
 * The admin listener: GET /metrics in the Prometheus text exposition
 * format 0.0.4 (served by libmicrohttpd on its own thread), and the
 * client side of `tlsgate stats`, which fetches /metrics and prints a
 * table.
 *
 * The server only reads: per-worker counters (struct tg_wk_stats, each
 * written by its worker alone, read here with relaxed loads), the accel
 * engine's backend names and counters, the control plane's in-flight
 * gauge and the current backend pools. A scrape may see counters a poll
 * iteration old; it never blocks a worker.
 *
 * Metric families (per-worker ones carry worker="N"):
 *  - tlsgate_connections_accepted_total, tlsgate_connections_active,
 *    tlsgate_connections_refused_total
 *  - tlsgate_handshakes_total{kind="full|resumed"},
 *    tlsgate_handshakes_failed_total{alert="<alert name>|none"},
 *    tlsgate_handshake_timeouts_total, tlsgate_idle_timeouts_total
 *  - tlsgate_records_total{dir="sealed|opened",backend},
 *    tlsgate_record_bytes_total{dir,backend}, tlsgate_record_errors_total,
 *    tlsgate_burst_size (histogram, le = 1 3 7 15 31 63 +Inf)
 *  - tlsgate_ring_occupancy{ring="to_control|from_control"},
 *    tlsgate_handshake_ring_full_total
 *  - tlsgate_backend_connect_errors_total,
 *    tlsgate_backend_closed_early_total
 *  - tlsgate_bytes_total{dir="from_client|to_client|from_backend|to_backend"}
 * with the DPDK transport, per worker: tlsgate_net_packets_total{dir},
 * tlsgate_net_bytes_total{dir}, tlsgate_net_dropped_total{reason},
 * tlsgate_net_dispatched_total{dir}, tlsgate_net_neighbour_total{what},
 * tlsgate_net_icmp_total{what}, tlsgate_net_impaired_total{what},
 * tlsgate_net_mbufs_free, tlsgate_net_mbufs, tlsgate_tcp_connections{state},
 * tlsgate_tcp_opens_total{kind}, tlsgate_tcp_segments_total{dir},
 * tlsgate_tcp_tso_total{what},
 * tlsgate_tcp_payload_bytes_total{dir}, tlsgate_tcp_retransmits_total{kind},
 * tlsgate_tcp_resets_total{dir}, tlsgate_tcp_syncookies_total{what},
 * tlsgate_tcp_dropped_total{reason}, tlsgate_tcp_timeouts_total,
 * tlsgate_backend_health_probes_total;
 * and process-wide: tlsgate_handshakes_inflight,
 * tlsgate_accel_records_failed_total{backend},
 * tlsgate_backend_up{pool,backend}, tlsgate_backend_connections{pool,backend},
 * tlsgate_backend_connect_failures_total{pool,backend},
 * tlsgate_uptime_seconds.
 */
#ifndef TG_ADMIN_H
#define TG_ADMIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "tg_accel.h"
#include "tg_backend.h"
#include "tg_config.h"
#include "tg_ctl.h"
#include "tg_dpdk.h"
#include "tg_result.h"
#include "tg_stats.h"

/** Upper bound of a /metrics body (the server answers 500 beyond it). */
#define TG_ADMIN_MAX_BODY (64u << 20)

/** What the admin listener exposes. Everything it points to must outlive
 *  the listener (tg_admin_stop() first). */
struct tg_admin_src {
	unsigned n_workers;                 /**< entries in @ref stats */
	const struct tg_wk_stats *stats;    /**< one block per worker */
	/** The DPDK transport's network and TCP counters, one block per
	 *  worker; NULL with kernel sockets (no such metrics). */
	const struct tg_dpdk_stats *net;
	const struct tg_accel *acc;         /**< backend names; NULL = "0".. */
	const struct tg_ctl *ctl;           /**< in-flight gauge; NULL = omitted */
	/** Current backend pools (a reload swaps the pointer); NULL or
	 *  pointing to NULL = no backend metrics. A reference is taken for
	 *  the time of one render. */
	struct tg_backends_cur *backends;
	/** CLOCK_MONOTONIC time the process started; zero = no uptime. */
	struct timespec start;
};

/** A running admin listener. */
struct tg_admin;

/**
 * Render the metrics text (Prometheus exposition format 0.0.4) of @p src
 * into @p buf, NUL terminated.
 *
 * @param src  what to expose
 * @param buf  output buffer
 * @param cap  its size in bytes
 * @param len  out: bytes written without the NUL; on TG_E_NOSPACE, the
 *             bytes the whole text needs (without the NUL: @p cap must be
 *             at least *len + 1; counters may grow a few bytes meanwhile)
 * @return TG_OK, TG_E_INVAL (NULL argument, workers without stats) or
 *         TG_E_NOSPACE (@p buf holds a truncated text).
 */
TG_MUST_CHECK tg_result tg_admin_render(const struct tg_admin_src *src,
					char *buf, size_t cap, size_t *len);

/**
 * Start the admin HTTP listener on @p addr (port 0 = any free port, see
 * tg_admin_port()): GET /metrics (text/plain; version=0.0.4), GET / (an
 * index), 404 for other paths, 405 for methods other than GET and HEAD.
 * Runs on a libmicrohttpd internal polling thread.
 *
 * @param addr  resolved listen address (struct tg_config::admin)
 * @param src   what to expose; copied (not what it points to)
 * @param out   the listener
 * @return TG_OK, TG_E_INVAL, TG_E_NOMEM or TG_E_IO (cannot listen; logged).
 */
TG_MUST_CHECK tg_result tg_admin_start(const struct tg_addr *addr,
				       const struct tg_admin_src *src,
				       struct tg_admin **out);

/**
 * Port the listener is bound to (host order), useful after port 0.
 * @param adm  a running listener
 * @return the port, or 0 if unknown.
 */
uint16_t tg_admin_port(const struct tg_admin *adm);

/**
 * Stop the listener: close the socket, wait for its thread and free it.
 * @param adm  the listener; NULL is a no-op
 */
void tg_admin_stop(struct tg_admin *adm);

/**
 * `tlsgate stats`: fetch http://@p addr/metrics (HTTP/1.0) and print a
 * table to @p out: one row per worker (accepted, active, handshakes
 * full/resumed/failed, records sealed/opened, client Gbytes in/out),
 * totals, backends up/down, failed handshakes by alert. Errors go to
 * stderr.
 *
 * @param addr  the admin address of the running tlsgate
 * @param out   where the table goes
 * @return 0 on success, 1 when tlsgate cannot be reached there or its
 *         answer is not a 200 with metrics.
 */
int tg_admin_stats_cli(const struct tg_addr *addr, FILE *out);

#endif
