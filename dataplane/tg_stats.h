/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_stats.h
 * Per-worker counters. Each worker is the only writer of its own block
 * (plain stores, relaxed); readers (the /metrics endpoint) read them
 * without locks and may see values a poll iteration old.
 */
#ifndef TG_STATS_H
#define TG_STATS_H

#include <stdint.h>

#define TG_STATS_MAX_BACKENDS 8  /**< accel backends counted separately */
#define TG_STATS_BURST_BUCKETS 8 /**< burst sizes: 1,2-3,4-7,...,64+ */

/** Counters of one worker. */
struct tg_wk_stats {
	uint64_t conns_accepted;     /**< client connections accepted */
	uint64_t conns_active;       /**< open now (gauge) */
	uint64_t conns_closed;       /**< closed (accepted = closed + active) */
	uint64_t conns_refused;      /**< closed at once: limits or queue full */
	uint64_t hs_full;            /**< full handshakes completed */
	uint64_t hs_resumed;         /**< abbreviated handshakes completed */
	uint64_t hs_failed;          /**< handshakes failed (any reason) */
	uint64_t hs_failed_alert[256]; /**< by the alert we sent */
	uint64_t hs_timeouts;        /**< handshake timeout */
	uint64_t idle_timeouts;      /**< idle timeout */
	uint64_t records_sealed[TG_STATS_MAX_BACKENDS];
	uint64_t records_opened[TG_STATS_MAX_BACKENDS];
	uint64_t bytes_sealed[TG_STATS_MAX_BACKENDS]; /**< plaintext */
	uint64_t bytes_opened[TG_STATS_MAX_BACKENDS];
	uint64_t record_errors;      /**< records that failed to open */
	uint64_t key_updates_received; /**< TLS 1.3 KeyUpdates from clients */
	uint64_t key_updates_sent;   /**< TLS 1.3 KeyUpdates of ours */
	uint64_t burst_hist[TG_STATS_BURST_BUCKETS]; /**< seal+open bursts */
	uint64_t accel_inflight;     /**< records in the accel queue after a
	                                  round (gauge) */
	uint64_t accel_queue_full;   /**< record passes that found the accel
	                                  queue full (flows left queued) */
	uint64_t ring_full;          /**< handshake ring full (refused) */
	uint64_t ring_to_ctl;        /**< entries waiting in the ring to the
	                                  control plane, each round (gauge) */
	uint64_t ring_from_ctl;      /**< entries left in the ring back after
	                                  a round took its share (gauge) */
	uint64_t mem_trims;          /**< free memory given back after a burst */
	uint64_t backend_connect_errors;
	uint64_t backend_closed_early; /**< backend closed before the client */
	uint64_t bytes_from_client, bytes_to_client;   /**< wire bytes */
	uint64_t bytes_to_backend, bytes_from_backend;
} __attribute__((aligned(64)));

/** Bucket of a burst size for burst_hist. */
static inline unsigned tg_stats_burst_bucket(unsigned n)
{
	unsigned b = 0;

	while (n > 1 && b < TG_STATS_BURST_BUCKETS - 1) {
		n >>= 1;
		b++;
	}
	return b;
}

#endif
