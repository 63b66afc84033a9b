/* SPDX-License-Identifier: BSD-3-Clause */
#include "tg_alert.h"

#include "tg_result.h"

/* RFC 5246 §7.2.2 and RFC 8446 §6.2: what each failure tells the peer.
 * Anything not listed is an internal_error. */
static const uint8_t tg_alert_table[TG_E__COUNT] = {
	[TG_E_DECODE] = TG_ALERT_DECODE_ERROR,
	[TG_E_SHORT] = TG_ALERT_DECODE_ERROR,
	[TG_E_BAD_MAC] = TG_ALERT_BAD_RECORD_MAC,
	[TG_E_OVERFLOW] = TG_ALERT_RECORD_OVERFLOW,
	[TG_E_UNSUPPORTED] = TG_ALERT_HANDSHAKE_FAILURE,
	[TG_E_UNEXPECTED_MSG] = TG_ALERT_UNEXPECTED_MESSAGE,
	[TG_E_STATE] = TG_ALERT_UNEXPECTED_MESSAGE,
	[TG_E_ILLEGAL_PARAM] = TG_ALERT_ILLEGAL_PARAMETER,
	[TG_E_HANDSHAKE_FAIL] = TG_ALERT_HANDSHAKE_FAILURE,
	[TG_E_BAD_CERT] = TG_ALERT_BAD_CERTIFICATE,
	[TG_E_UNSUPPORTED_CERT] = TG_ALERT_UNSUPPORTED_CERTIFICATE,
	[TG_E_CERT_EXPIRED] = TG_ALERT_CERTIFICATE_EXPIRED,
	[TG_E_CERT_UNKNOWN] = TG_ALERT_CERTIFICATE_UNKNOWN,
	[TG_E_UNKNOWN_CA] = TG_ALERT_UNKNOWN_CA,
	/* TLS 1.2 has no certificate_required; RFC 5246 §7.4.6 says
	 * handshake_failure when a required client certificate is missing */
	[TG_E_CERT_REQUIRED] = TG_ALERT_HANDSHAKE_FAILURE,
	[TG_E_DECRYPT_ERROR] = TG_ALERT_DECRYPT_ERROR,
	[TG_E_PROTOCOL_VERSION] = TG_ALERT_PROTOCOL_VERSION,
	[TG_E_INSUFFICIENT_SEC] = TG_ALERT_INSUFFICIENT_SECURITY,
	[TG_E_INAPPROPRIATE_FALLBACK] = TG_ALERT_INAPPROPRIATE_FALLBACK,
	[TG_E_UNRECOGNIZED_NAME] = TG_ALERT_UNRECOGNIZED_NAME,
	[TG_E_NO_ALPN] = TG_ALERT_NO_APPLICATION_PROTOCOL,
	[TG_E_NO_RENEGOTIATION] = TG_ALERT_NO_RENEGOTIATION,
	[TG_E_UNSUPPORTED_EXT] = TG_ALERT_UNSUPPORTED_EXTENSION,
	[TG_E_MISSING_EXT] = TG_ALERT_MISSING_EXTENSION,
	/* RFC 8446 §4.4.2.4: TLS 1.3 names its own alert */
	[TG_E_CERT_REQUIRED13] = TG_ALERT_CERTIFICATE_REQUIRED,
	[TG_E_CLOSED] = TG_ALERT_CLOSE_NOTIFY,
};

uint8_t tg_alert_of(int err)
{
	if (err <= 0 || err >= TG_E__COUNT || tg_alert_table[err] == 0)
		return err == TG_E_CLOSED ? TG_ALERT_CLOSE_NOTIFY
					  : TG_ALERT_INTERNAL_ERROR;
	return tg_alert_table[err];
}

int tg_alert_to_err(uint8_t alert)
{
	return alert == TG_ALERT_CLOSE_NOTIFY ? TG_E_CLOSED : TG_E_PEER_ALERT;
}

const char *tg_alert_name(uint8_t alert)
{
	switch (alert) {
	case TG_ALERT_CLOSE_NOTIFY: return "close_notify";
	case TG_ALERT_UNEXPECTED_MESSAGE: return "unexpected_message";
	case TG_ALERT_BAD_RECORD_MAC: return "bad_record_mac";
	case TG_ALERT_RECORD_OVERFLOW: return "record_overflow";
	case TG_ALERT_HANDSHAKE_FAILURE: return "handshake_failure";
	case TG_ALERT_BAD_CERTIFICATE: return "bad_certificate";
	case TG_ALERT_UNSUPPORTED_CERTIFICATE: return "unsupported_certificate";
	case TG_ALERT_CERTIFICATE_REVOKED: return "certificate_revoked";
	case TG_ALERT_CERTIFICATE_EXPIRED: return "certificate_expired";
	case TG_ALERT_CERTIFICATE_UNKNOWN: return "certificate_unknown";
	case TG_ALERT_ILLEGAL_PARAMETER: return "illegal_parameter";
	case TG_ALERT_UNKNOWN_CA: return "unknown_ca";
	case TG_ALERT_ACCESS_DENIED: return "access_denied";
	case TG_ALERT_DECODE_ERROR: return "decode_error";
	case TG_ALERT_DECRYPT_ERROR: return "decrypt_error";
	case TG_ALERT_PROTOCOL_VERSION: return "protocol_version";
	case TG_ALERT_INSUFFICIENT_SECURITY: return "insufficient_security";
	case TG_ALERT_INTERNAL_ERROR: return "internal_error";
	case TG_ALERT_INAPPROPRIATE_FALLBACK: return "inappropriate_fallback";
	case TG_ALERT_USER_CANCELED: return "user_canceled";
	case TG_ALERT_NO_RENEGOTIATION: return "no_renegotiation";
	case TG_ALERT_MISSING_EXTENSION: return "missing_extension";
	case TG_ALERT_UNSUPPORTED_EXTENSION: return "unsupported_extension";
	case TG_ALERT_UNRECOGNIZED_NAME: return "unrecognized_name";
	case TG_ALERT_CERTIFICATE_REQUIRED: return "certificate_required";
	case TG_ALERT_NO_APPLICATION_PROTOCOL: return "no_application_protocol";
	default: return "unknown_alert";
	}
}
