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
};

const char *tg_strerror(int code)
{
	if (code < 0 || code >= TG_E__COUNT || tg_err_names[code] == NULL)
		return "unknown error";
	return tg_err_names[code];
}
