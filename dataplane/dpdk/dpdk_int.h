/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file dpdk_int.h
 * Inside the DPDK transport (dataplane/dpdk/): the port and the worker.
 */
#ifndef TG_DPDK_INT_H
#define TG_DPDK_INT_H

#include <rte_ethdev.h>

#include "tg_dpdk.h"

/** Packet buffers per worker when dpdk.mbufs is not set. */
#define TG_DPDK_MBUFS_DEFAULT 32768u

struct tg_dpdk_port {
	uint16_t port_id;
	unsigned n_queues;
	char name[RTE_ETH_NAME_MAX_LEN];
	struct tg_net_port *port;
	struct rte_mempool *pools[TG_NET_MAX_QUEUES];
};

#endif
