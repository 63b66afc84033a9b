/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_proxy.h
 * PROXY protocol headers for backends (haproxy.org proxy-protocol.txt):
 * v1 (text) and v2 (binary, with the TLS TLVs: version, cipher, SNI as
 * authority, ALPN, client certificate verified).
 */
#ifndef TG_PROXY_H
#define TG_PROXY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "tg_hs.h"
#include "tg_result.h"

/** Largest header we write. */
#define TG_PROXY_MAX 536

/**
 * Write a PROXY header for a connection from @p src to @p dst (our
 * listener) after the handshake @p info, version 1 or 2, into @p out.
 */
TG_MUST_CHECK tg_result tg_proxy_header(int version,
					const struct sockaddr_storage *src,
					const struct sockaddr_storage *dst,
					const struct tg_hs_info *info,
					uint8_t *out, size_t cap, size_t *len);

#endif
