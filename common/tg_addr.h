/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_addr.h
 * A network address as a user wrote it and as it resolved: listeners,
 * backends, the admin endpoint. Filled by the configuration (app/),
 * used by the dataplane and the admin thread.
 */
#ifndef TG_ADDR_H
#define TG_ADDR_H

#include <sys/socket.h>

/** A resolved address (listen, backend, admin). */
struct tg_addr {
	char text[256];                /**< as written: "127.0.0.1:8080" */
	struct sockaddr_storage sa;    /**< resolved (numeric or getaddrinfo) */
	socklen_t salen;               /**< length of @ref sa in use */
};

#endif
