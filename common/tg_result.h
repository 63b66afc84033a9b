/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_result.h
 * One error style for the whole project.
 *
 * Functions that can fail return a ::tg_result. It is a one-member struct,
 * so it cannot be mixed up with an int or a count, and the compiler warns
 * when a caller ignores it (warn_unused_result). TG_GUARD() propagates a
 * failure, TG_ENSURE() turns a false condition into one.
 */
#ifndef TG_RESULT_H
#define TG_RESULT_H

#include <stdbool.h>

/** Error codes carried by ::tg_result. 0 is success. */
enum tg_err {
	TG_E_OK = 0,
	TG_E_INVAL,        /**< bad argument (NULL, out of range, wrong mode) */
	TG_E_NOMEM,        /**< an allocation or a pool ran out */
	TG_E_DECODE,       /**< malformed input: truncated, bad length, bad value */
	TG_E_SHORT,        /**< not enough input yet: feed more bytes */
	TG_E_NOSPACE,      /**< output buffer too small */
	TG_E_BAD_MAC,      /**< record failed to authenticate */
	TG_E_OVERFLOW,     /**< record or message over its size limit */
	TG_E_SEQ_WRAP,     /**< sequence number space exhausted */
	TG_E_UNSUPPORTED,  /**< suite, version or feature not supported */
	TG_E_BACKEND,      /**< a crypto backend failed */
	TG_E_STATE,        /**< call not valid in the current state */
	TG_E_IO,           /**< system call or device failure */
	TG_E_NOTFOUND,     /**< lookup found nothing */
	TG_E_CRYPTO,       /**< libcrypto operation failed */
	TG_E__COUNT
};

/** Result of a fallible function; test with tg_ok() / tg_failed(). */
typedef struct {
	int code; /**< an ::tg_err value */
} tg_result;

/** Attribute for every function returning ::tg_result. */
#define TG_MUST_CHECK __attribute__((warn_unused_result))

/** The success value. */
#define TG_OK ((tg_result){ .code = TG_E_OK })

/** Build a failure result from an ::tg_err code. */
static inline tg_result tg_error(enum tg_err e)
{
	return (tg_result){ .code = (int)e };
}

/** True when @p r is a success. */
static inline bool tg_ok(tg_result r)
{
	return r.code == TG_E_OK;
}

/** True when @p r is a failure. */
static inline bool tg_failed(tg_result r)
{
	return r.code != TG_E_OK;
}

/** Return from the current function when @p x fails. */
#define TG_GUARD(x)                                                            \
	do {                                                                   \
		tg_result tg_guard_r_ = (x);                                   \
		if (__builtin_expect(tg_guard_r_.code != TG_E_OK, 0))          \
			return tg_guard_r_;                                    \
	} while (0)

/** Return error @p err from the current function when @p cond is false. */
#define TG_ENSURE(cond, err)                                                   \
	do {                                                                   \
		if (__builtin_expect(!(cond), 0))                              \
			return tg_error(err);                                  \
	} while (0)

/** Like TG_ENSURE, for a non-NULL pointer argument. */
#define TG_ENSURE_REF(p) TG_ENSURE((p) != NULL, TG_E_INVAL)

/** Human-readable name of an error code. */
const char *tg_strerror(int code);

#endif
