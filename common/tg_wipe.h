/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_wipe.h
 * Secret hygiene: wipe memory the compiler may not elide, compare in
 * constant time.
 */
#ifndef TG_WIPE_H
#define TG_WIPE_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "tg_result.h"

/** Zero @p n bytes at @p p; never optimised away (explicit_bzero). */
static inline void tg_wipe(void *p, size_t n)
{
	if (p != NULL && n != 0)
		explicit_bzero(p, n);
}

/** Wipe an object in place: tg_wipe(&obj, sizeof obj). */
#define TG_WIPE_OBJ(o) tg_wipe(&(o), sizeof(o))

/** Constant-time comparison: 0 when equal (CRYPTO_memcmp). */
static inline int tg_ct_cmp(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n);
}

/**
 * Grow a buffer that may hold secrets to at least @p need bytes (doubling,
 * at most @p max): the old memory is wiped before it is freed, which
 * realloc would not do. TG_E_NOSPACE past @p max.
 */
static inline TG_MUST_CHECK tg_result tg_grow_wiped(uint8_t **buf, size_t *cap,
						    size_t need, size_t max)
{
	size_t ncap = *cap ? *cap : 64;
	uint8_t *nb;

	if (need <= *cap)
		return TG_OK;
	TG_ENSURE(need <= max, TG_E_NOSPACE);
	while (ncap < need)
		ncap *= 2;
	if (ncap > max)
		ncap = max;
	nb = malloc(ncap);
	TG_ENSURE(nb != NULL, TG_E_NOMEM);
	if (*cap)
		memcpy(nb, *buf, *cap);
	tg_wipe(*buf, *cap);
	free(*buf);
	*buf = nb;
	*cap = ncap;
	return TG_OK;
}

#endif
