/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_tls.h
 * TLS 1.2 wire constants used across control/: handshake types, cipher
 * suites, named groups, signature schemes, extensions, alerts.
 * One place for every codepoint; each with the RFC that assigns it.
 */
#ifndef TG_TLS_H
#define TG_TLS_H

#include <stdint.h>

/** Handshake message types (RFC 5246 §7.4, RFC 5077 §3.3, RFC 8446 §4). */
enum tg_hs_type {
	TG_HS_HELLO_REQUEST = 0,
	TG_HS_CLIENT_HELLO = 1,
	TG_HS_SERVER_HELLO = 2,
	TG_HS_NEW_SESSION_TICKET = 4,
	TG_HS_END_OF_EARLY_DATA = 5,      /**< RFC 8446 §4.5 */
	TG_HS_ENCRYPTED_EXTENSIONS = 8,   /**< RFC 8446 §4.3.1 */
	TG_HS_CERTIFICATE = 11,
	TG_HS_SERVER_KEY_EXCHANGE = 12,
	TG_HS_CERTIFICATE_REQUEST = 13,
	TG_HS_SERVER_HELLO_DONE = 14,
	TG_HS_CERTIFICATE_VERIFY = 15,
	TG_HS_CLIENT_KEY_EXCHANGE = 16,
	TG_HS_FINISHED = 20,
	TG_HS_CERTIFICATE_STATUS = 22,
	TG_HS_KEY_UPDATE = 24,            /**< RFC 8446 §4.6.3 */
	TG_HS_MESSAGE_HASH = 254,         /**< RFC 8446 §4.4.1 (synthetic) */
};

/** TLS 1.3 cipher suites (RFC 8446 §B.4). */
enum tg_cipher_suite13 {
	TG_CS13_AES_128_GCM_SHA256 = 0x1301,
	TG_CS13_AES_256_GCM_SHA384 = 0x1302,
	TG_CS13_CHACHA20_POLY1305_SHA256 = 0x1303,
};

/** Cipher suites we implement (RFC 5288, 5289, 7905). */
enum tg_cipher_suite {
	TG_CS_RSA_AES_128_GCM_SHA256 = 0x009C,
	TG_CS_RSA_AES_256_GCM_SHA384 = 0x009D,
	TG_CS_ECDHE_ECDSA_AES_128_GCM_SHA256 = 0xC02B,
	TG_CS_ECDHE_ECDSA_AES_256_GCM_SHA384 = 0xC02C,
	TG_CS_ECDHE_RSA_AES_128_GCM_SHA256 = 0xC02F,
	TG_CS_ECDHE_RSA_AES_256_GCM_SHA384 = 0xC030,
	TG_CS_ECDHE_RSA_CHACHA20_POLY1305_SHA256 = 0xCCA8,
	TG_CS_ECDHE_ECDSA_CHACHA20_POLY1305_SHA256 = 0xCCA9,
	/** RFC 5746 §3.3 signalling value. */
	TG_CS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00FF,
	/** RFC 7507 §2. */
	TG_CS_FALLBACK_SCSV = 0x5600,
};

/** Named groups (RFC 8422 §5.1.1, RFC 7919). */
enum tg_group {
	TG_GROUP_SECP256R1 = 23,
	TG_GROUP_SECP384R1 = 24,
	TG_GROUP_X25519 = 29,
};

/** Signature schemes (RFC 5246 §7.4.1.4.1 pairs: hash << 8 | signature;
 *  RFC 8446 §4.2.3 names and PSS). */
enum tg_sigalg {
	TG_SIG_RSA_PKCS1_SHA224 = 0x0301, /**< (sha224, rsa) */
	TG_SIG_RSA_PKCS1_SHA256 = 0x0401,
	TG_SIG_RSA_PKCS1_SHA384 = 0x0501,
	TG_SIG_RSA_PKCS1_SHA512 = 0x0601,
	TG_SIG_ECDSA_SHA224 = 0x0303,     /**< (sha224, ecdsa) */
	TG_SIG_ECDSA_SECP256R1_SHA256 = 0x0403,
	TG_SIG_ECDSA_SECP384R1_SHA384 = 0x0503,
	TG_SIG_ECDSA_SECP521R1_SHA512 = 0x0603,
	TG_SIG_RSA_PSS_RSAE_SHA256 = 0x0804,
	TG_SIG_RSA_PSS_RSAE_SHA384 = 0x0805,
	TG_SIG_RSA_PSS_RSAE_SHA512 = 0x0806,
	TG_SIG_RSA_PSS_PSS_SHA256 = 0x0809,
	TG_SIG_RSA_PSS_PSS_SHA384 = 0x080a,
	TG_SIG_RSA_PSS_PSS_SHA512 = 0x080b,
};

/** Extensions (RFC 6066, 8422, 5246, 7301, 7627, 5077, 5746, 8446). */
enum tg_ext {
	TG_EXT_SERVER_NAME = 0,
	TG_EXT_STATUS_REQUEST = 5,
	TG_EXT_SUPPORTED_GROUPS = 10,
	TG_EXT_EC_POINT_FORMATS = 11,
	TG_EXT_SIGNATURE_ALGORITHMS = 13,
	TG_EXT_ALPN = 16,
	TG_EXT_EXTENDED_MASTER_SECRET = 23,
	TG_EXT_SESSION_TICKET = 35,
	TG_EXT_RECORD_SIZE_LIMIT = 28,     /**< RFC 8449 §4 */
	TG_EXT_PRE_SHARED_KEY = 41,        /**< RFC 8446 §4.2.11 */
	TG_EXT_EARLY_DATA = 42,            /**< RFC 8446 §4.2.10 */
	TG_EXT_SUPPORTED_VERSIONS = 43,
	TG_EXT_COOKIE = 44,                /**< RFC 8446 §4.2.2 */
	TG_EXT_PSK_KEY_EXCHANGE_MODES = 45, /**< RFC 8446 §4.2.9 */
	TG_EXT_CERTIFICATE_AUTHORITIES = 47, /**< RFC 8446 §4.2.4 */
	TG_EXT_POST_HANDSHAKE_AUTH = 49,   /**< RFC 8446 §4.2.6 */
	TG_EXT_SIGNATURE_ALGORITHMS_CERT = 50, /**< RFC 8446 §4.2.3 */
	TG_EXT_KEY_SHARE = 51,             /**< RFC 8446 §4.2.8 */
	TG_EXT_RENEGOTIATION_INFO = 0xff01,
};

/** Alert levels and descriptions (RFC 5246 §7.2, RFC 8446 §6). */
enum tg_alert_level {
	TG_ALERT_WARNING = 1,
	TG_ALERT_FATAL = 2,
};

enum tg_alert {
	TG_ALERT_CLOSE_NOTIFY = 0,
	TG_ALERT_UNEXPECTED_MESSAGE = 10,
	TG_ALERT_BAD_RECORD_MAC = 20,
	TG_ALERT_RECORD_OVERFLOW = 22,
	TG_ALERT_HANDSHAKE_FAILURE = 40,
	TG_ALERT_BAD_CERTIFICATE = 42,
	TG_ALERT_UNSUPPORTED_CERTIFICATE = 43,
	TG_ALERT_CERTIFICATE_REVOKED = 44,
	TG_ALERT_CERTIFICATE_EXPIRED = 45,
	TG_ALERT_CERTIFICATE_UNKNOWN = 46,
	TG_ALERT_ILLEGAL_PARAMETER = 47,
	TG_ALERT_UNKNOWN_CA = 48,
	TG_ALERT_ACCESS_DENIED = 49,
	TG_ALERT_DECODE_ERROR = 50,
	TG_ALERT_DECRYPT_ERROR = 51,
	TG_ALERT_PROTOCOL_VERSION = 70,
	TG_ALERT_INSUFFICIENT_SECURITY = 71,
	TG_ALERT_INTERNAL_ERROR = 80,
	TG_ALERT_INAPPROPRIATE_FALLBACK = 86,
	TG_ALERT_USER_CANCELED = 90,
	TG_ALERT_NO_RENEGOTIATION = 100,
	TG_ALERT_MISSING_EXTENSION = 109,
	TG_ALERT_UNSUPPORTED_EXTENSION = 110,
	TG_ALERT_UNRECOGNIZED_NAME = 112,
	TG_ALERT_CERTIFICATE_REQUIRED = 116,
	TG_ALERT_NO_APPLICATION_PROTOCOL = 120,
	TG_ALERT_NONE = 255, /**< not an alert: "none sent / received" */
};

/** Sizes. */
#define TG_TLS_RANDOM_LEN 32
#define TG_TLS_SESSION_ID_MAX 32
#define TG_TLS_MASTER_SECRET_LEN 48
#define TG_TLS_PREMASTER_RSA_LEN 48
#define TG_TLS_VERIFY_DATA_LEN 12
#define TG_TLS_HS_HDR_LEN 4
/** Largest handshake message body we accept, the ClientHello aside (a
 *  certificate chain fits). */
#define TG_TLS_MAX_HS_MSG (64 * 1024)
/**
 * Largest ClientHello body the wire format allows (RFC 5246 §7.4.1.2,
 * RFC 8446 §4.1.2): version 2 + random 32 + session_id 1+32 +
 * cipher_suites 2+65534 + compression_methods 1+255 + extensions
 * 2+65535. Any such ClientHello is accepted (large cipher lists, many
 * extensions, padding, post-quantum key shares); a longer one cannot be
 * well-formed (decode_error).
 */
#define TG_TLS_MAX_CLIENT_HELLO (2 + 32 + 1 + 32 + 2 + 65534 + 1 + 255 + 2 + 65535)

/**
 * RFC 8446 §4.1.3 downgrade sentinel: the last 8 bytes of
 * ServerHello.random when a TLS 1.3-capable server negotiates TLS 1.2.
 */
#define TG_TLS_DOWNGRADE_TLS12 "DOWNGRD\x01"

/**
 * RFC 8446 §4.1.3: the ServerHello.random of a HelloRetryRequest,
 * SHA-256("HelloRetryRequest").
 */
#define TG_TLS_HRR_RANDOM                                                      \
	"\xcf\x21\xad\x74\xe5\x9a\x61\x11\xbe\x1d\x8c\x02\x1e\x65\xb8\x91"     \
	"\xc2\xa2\x11\x16\x7a\xbb\x8c\x5e\x07\x9e\x09\xe2\xc8\xa8\x33\x9c"

#endif
