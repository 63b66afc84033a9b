/* SPDX-License-Identifier: BSD-3-Clause */
#include <stddef.h>

#include "tg_result.h"

static const char *const tg_err_names[TG_E__COUNT] = {
	[TG_E_OK] = "ok",
	[TG_E_INVAL] = "invalid argument",
	[TG_E_NOMEM] = "out of memory",
	[TG_E_DECODE] = "decode error",
	[TG_E_SHORT] = "need more input",
	[TG_E_NOSPACE] = "no space in output",
	[TG_E_BAD_MAC] = "bad record mac",
	[TG_E_OVERFLOW] = "size limit exceeded",
	[TG_E_SEQ_WRAP] = "sequence number exhausted",
	[TG_E_UNSUPPORTED] = "unsupported",
	[TG_E_BACKEND] = "crypto backend failure",
	[TG_E_STATE] = "invalid state",
	[TG_E_IO] = "i/o error",
	[TG_E_NOTFOUND] = "not found",
	[TG_E_CRYPTO] = "libcrypto failure",
	[TG_E_UNEXPECTED_MSG] = "unexpected message",
	[TG_E_ILLEGAL_PARAM] = "illegal parameter",
	[TG_E_HANDSHAKE_FAIL] = "handshake failure",
	[TG_E_BAD_CERT] = "bad certificate",
	[TG_E_UNSUPPORTED_CERT] = "unsupported certificate",
	[TG_E_CERT_EXPIRED] = "certificate expired",
	[TG_E_CERT_UNKNOWN] = "certificate unknown",
	[TG_E_UNKNOWN_CA] = "unknown CA",
	[TG_E_CERT_REQUIRED] = "certificate required",
	[TG_E_DECRYPT_ERROR] = "decrypt error",
	[TG_E_PROTOCOL_VERSION] = "protocol version",
	[TG_E_INSUFFICIENT_SEC] = "insufficient security",
	[TG_E_INAPPROPRIATE_FALLBACK] = "inappropriate fallback",
	[TG_E_UNRECOGNIZED_NAME] = "unrecognized name",
	[TG_E_NO_ALPN] = "no application protocol",
	[TG_E_NO_RENEGOTIATION] = "no renegotiation",
	[TG_E_UNSUPPORTED_EXT] = "unsupported extension",
	[TG_E_MISSING_EXT] = "missing extension",
	[TG_E_CERT_REQUIRED13] = "certificate required (TLS 1.3)",
	[TG_E_INTERNAL] = "internal error",
	[TG_E_PEER_ALERT] = "peer sent a fatal alert",
	[TG_E_CLOSED] = "peer closed (close_notify)",
};

const char *tg_strerror(int code)
{
	if (code < 0 || code >= TG_E__COUNT || tg_err_names[code] == NULL)
		return "unknown error";
	return tg_err_names[code];
}
