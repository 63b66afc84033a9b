/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_wipe.h
 * Secret hygiene: wipe memory the compiler may not elide, compare in
 * constant time.
 */
#ifndef TG_WIPE_H
#define TG_WIPE_H

#include <stddef.h>
#include <string.h>

#include <openssl/crypto.h>

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

#endif
