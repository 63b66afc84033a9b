/* SPDX-License-Identifier: BSD-3-Clause */
/* The error -> alert table (control/alert.c). */
#include <string.h>

#include "tg_alert.h"
#include "tg_result.h"
#include "tg_test.h"

static void test_alert_table(void)
{
	static const struct { int err; uint8_t alert; } want[] = {
		{ TG_E_DECODE, TG_ALERT_DECODE_ERROR },
		{ TG_E_BAD_MAC, TG_ALERT_BAD_RECORD_MAC },
		{ TG_E_OVERFLOW, TG_ALERT_RECORD_OVERFLOW },
		{ TG_E_UNEXPECTED_MSG, TG_ALERT_UNEXPECTED_MESSAGE },
		{ TG_E_STATE, TG_ALERT_UNEXPECTED_MESSAGE },
		{ TG_E_ILLEGAL_PARAM, TG_ALERT_ILLEGAL_PARAMETER },
		{ TG_E_HANDSHAKE_FAIL, TG_ALERT_HANDSHAKE_FAILURE },
		{ TG_E_BAD_CERT, TG_ALERT_BAD_CERTIFICATE },
		{ TG_E_UNKNOWN_CA, TG_ALERT_UNKNOWN_CA },
		{ TG_E_CERT_REQUIRED, TG_ALERT_HANDSHAKE_FAILURE },
		{ TG_E_DECRYPT_ERROR, TG_ALERT_DECRYPT_ERROR },
		{ TG_E_PROTOCOL_VERSION, TG_ALERT_PROTOCOL_VERSION },
		{ TG_E_INSUFFICIENT_SEC, TG_ALERT_INSUFFICIENT_SECURITY },
		{ TG_E_INAPPROPRIATE_FALLBACK, TG_ALERT_INAPPROPRIATE_FALLBACK },
		{ TG_E_UNRECOGNIZED_NAME, TG_ALERT_UNRECOGNIZED_NAME },
		{ TG_E_NO_ALPN, TG_ALERT_NO_APPLICATION_PROTOCOL },
		{ TG_E_NO_RENEGOTIATION, TG_ALERT_NO_RENEGOTIATION },
		{ TG_E_CLOSED, TG_ALERT_CLOSE_NOTIFY },
		{ TG_E_MISSING_EXT, TG_ALERT_MISSING_EXTENSION },
		{ TG_E_CERT_REQUIRED13, TG_ALERT_CERTIFICATE_REQUIRED },
		{ TG_E_NOMEM, TG_ALERT_INTERNAL_ERROR },
		{ TG_E_INTERNAL, TG_ALERT_INTERNAL_ERROR },
		{ TG_E__COUNT, TG_ALERT_INTERNAL_ERROR },
		{ -5, TG_ALERT_INTERNAL_ERROR },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CU_ASSERT_EQUAL(tg_alert_of(want[i].err), want[i].alert);
	/* Every error code maps to a named alert. */
	for (int e = 1; e < TG_E__COUNT; e++)
		CU_ASSERT_STRING_NOT_EQUAL(tg_alert_name(tg_alert_of(e)),
					   "unknown_alert");
	CU_ASSERT_STRING_EQUAL(tg_alert_name(50), "decode_error");
	CU_ASSERT_STRING_EQUAL(tg_alert_name(200), "unknown_alert");
	CU_ASSERT_EQUAL(tg_alert_to_err(TG_ALERT_CLOSE_NOTIFY), TG_E_CLOSED);
	CU_ASSERT_EQUAL(tg_alert_to_err(TG_ALERT_HANDSHAKE_FAILURE),
			TG_E_PEER_ALERT);
}

static CU_TestInfo alert_tests[] = {
	{ "error to alert table", test_alert_table },
	CU_TEST_INFO_NULL,
};

static const struct tg_test_suite suites[] = {
	{ "alert", NULL, NULL, alert_tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return tg_test_main(argc, argv, suites);
}
