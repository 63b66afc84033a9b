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

/** Release the EAL (rte_eal_cleanup) if it was started. */
void tg_eal_stop(void);

#endif
