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
	/* Handshake failures, each with its own TLS alert (control/alert.c). */
	TG_E_UNEXPECTED_MSG,   /**< unexpected_message */
	TG_E_ILLEGAL_PARAM,    /**< illegal_parameter */
	TG_E_HANDSHAKE_FAIL,   /**< handshake_failure: nothing in common */
	TG_E_BAD_CERT,         /**< bad_certificate */
	TG_E_UNSUPPORTED_CERT, /**< unsupported_certificate */
	TG_E_CERT_EXPIRED,     /**< certificate_expired */
	TG_E_CERT_UNKNOWN,     /**< certificate_unknown */
	TG_E_UNKNOWN_CA,       /**< unknown_ca */
	TG_E_CERT_REQUIRED,    /**< no certificate where one is required */
	TG_E_DECRYPT_ERROR,    /**< decrypt_error: Finished or signature check */
	TG_E_PROTOCOL_VERSION, /**< protocol_version */
	TG_E_INSUFFICIENT_SEC, /**< insufficient_security */
	TG_E_INAPPROPRIATE_FALLBACK, /**< inappropriate_fallback (RFC 7507) */
	TG_E_UNRECOGNIZED_NAME, /**< unrecognized_name (RFC 6066) */
	TG_E_NO_ALPN,          /**< no_application_protocol (RFC 7301) */
	TG_E_NO_RENEGOTIATION, /**< no_renegotiation (RFC 5746) */
	TG_E_UNSUPPORTED_EXT,  /**< unsupported_extension */
	TG_E_MISSING_EXT,      /**< missing_extension (RFC 8446 §6.2) */
	TG_E_CERT_REQUIRED13,  /**< certificate_required (RFC 8446 §4.4.2.4) */
	TG_E_INTERNAL,         /**< internal_error */
	TG_E_PEER_ALERT,       /**< the peer sent a fatal alert */
	TG_E_CLOSED,           /**< the peer sent close_notify */
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
