/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_eal.h
 * Starting the DPDK EAL the way every tlsgate program does: socket mode
 * without hugepages, PCI or shared files (`--no-huge --no-pci --no-shconf`),
 * a private file prefix, and any vdevs the caller asks for.
 */
#ifndef TG_EAL_H
#define TG_EAL_H

#include "tg_result.h"

/** Options for tg_eal_start(). Zero-initialised means the defaults. */
struct tg_eal_opts {
	const char *lcores;   /**< `-l` list ("0-2"), or an lcore-to-CPU map
				   ("0@1,1@3": `--lcores`); NULL = "0" */
	const char *vdevs[8]; /**< `--vdev` arguments, NULL-terminated */
	unsigned mem_mb;      /**< `-m`; 0 = 512 */
	const char *log_level;/**< EAL `--log-level`; NULL = "error" */
	const char *extra;    /**< further EAL args, space separated, or NULL */
	/** Memory from hugepages and PCI devices probed (a NIC):
	 *  `--in-memory` instead of `--no-huge --no-pci --no-shconf -m`. */
	int hugepages;
};

/**
 * Initialise the EAL once per process. Later calls return TG_OK without
 * doing anything. Also routes tg_log() through rte_log.
 */
TG_MUST_CHECK tg_result tg_eal_start(const char *prog,
				     const struct tg_eal_opts *opts);

/** True once tg_eal_start() has succeeded. */
int tg_eal_up(void);

/**
 * Run @p fn(@p arg) once on the EAL's interrupt thread (through an alarm)
 * and wait for it. That thread runs the drivers' own control work: net_memif
 * handles its peer's disconnect there (memif_disconnect: the shared regions
 * unmapped and freed), link-state changes and DPDK's alarms run there. A
 * device's state changed from another thread at the same time races with
 * that work (two memif_disconnect of one device free its regions twice);
 * changed through here, it is one after the other. Runs @p fn on the calling
 * thread when the EAL is not up, when called on the interrupt thread itself,
 * when no alarm can be set, or when the interrupt thread has not taken it
 * within 10 s (each but the first two logged).
 */
void tg_eal_ctrl_run(void (*fn)(void *), void *arg);

/**
 * Release the EAL if it was started: every ethdev port still there is
 * stopped and closed on the interrupt thread (tg_eal_ctrl_run), that thread
 * is ended (DPDK 22.11's cleanup leaves it running on memory it unmaps),
 * then rte_eal_cleanup. Call it after the lcores are joined and the ports
 * stopped (tg_net_port_stop); a port left started is stopped here. After
 * it, tg_eal_ctrl_run runs its function on the calling thread.
 */
void tg_eal_stop(void);

#endif
