/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_hs_msg.h
 * TLS 1.2 handshake messages: parse and serialize (RFC 5246 §7.4).
 *
 * Every message X has
 *  - `tg_hs_X_parse(body, out)`: @p body is the message body without the
 *    4-byte handshake header, as returned by tg_hs_msg_next(); the parser
 *    must consume it exactly, or it fails with TG_E_DECODE;
 *  - `tg_hs_X_write(w, in)`: writes the FULL message, header (type and
 *    u24 length) included, so that write -> tg_hs_msg_next() -> parse
 *    round-trips.
 *
 * Parsers never allocate. Variable-length fields BORROW from the input:
 * a parsed struct is valid only while the bytes it was parsed from are.
 * Fixed-size small fields (random, session_id, verify_data) are copied.
 *
 * Error policy (documented once, applied everywhere):
 *  - TG_E_DECODE (decode_error): the bytes do not follow the presentation
 *    language: truncation, a length that overruns or leaves trailing
 *    bytes, a vector outside its <min..max> bounds, an odd length for a
 *    list of u16, an extension whose body must be empty but is not, and
 *    DUPLICATES: the same extension type twice in one block (RFC 5246
 *    §7.4.1.4 "MUST NOT be more than one extension of the same type",
 *    checked over all 65536 types, unknown ones included). A
 *    server_name without a host_name is a decode_error too.
 *  - TG_E_ILLEGAL_PARAM (illegal_parameter): the bytes decode, but a
 *    value is forbidden: no null compression in ClientHello, a non-null
 *    compression in ServerHello, ec_point_formats without uncompressed
 *    (RFC 8422 §5.1.2; checked whatever supported_groups says), a
 *    curve_type other than named_curve (RFC 8422 §5.4), a server_name
 *    list with two host_names (RFC 6066 §3: "MUST NOT contain more than
 *    one name of the same name_type"), a host_name that RFC 6066 §3
 *    forbids (a byte that is not printable ASCII, a trailing dot, longer
 *    than 255 bytes).
 *    These checks run after the whole body decoded, so a malformed
 *    message is always a decode_error (curve_type aside: the layout of
 *    explicit curves differs, so parsing stops there).
 *  - TG_E_UNSUPPORTED_EXT (unsupported_extension): a ServerHello
 *    extension type this layer does not know (RFC 5246 §7.4.1.4: a client
 *    never offers those, so the server must not send them).
 *  - TG_E_CERT_UNKNOWN (certificate_unknown): a Certificate chain longer
 *    than #TG_HS_MAX_CHAIN.
 *  - TG_E_SHORT / TG_E_OVERFLOW from tg_hs_msg_next() only.
 *  - TG_E_HANDSHAKE_FAIL from the selection and RFC 5746 helpers.
 *  - TG_E_INVAL: a NULL argument or, for writers, a struct that cannot
 *    be encoded (e.g. a field longer than its vector allows).
 *  - Writers: TG_E_NOSPACE when the output is too small, TG_E_OVERFLOW
 *    when a body would exceed tg_hs_msg_max() or a u16 block 65535.
 * The checks that need handshake state (version policy, renegotiation_info
 * contents, whether an extension was offered, SNI match) are the engine's.
 */
#ifndef TG_HS_MSG_H
#define TG_HS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tg_cur.h"
#include "tg_result.h"
#include "tg_tls.h"

/** Longest certificate chain accepted in a Certificate message. */
#define TG_HS_MAX_CHAIN 10
/** Longest host_name accepted in server_name (RFC 6066 §3, DNS limit). */
#define TG_HS_MAX_HOST_NAME 255
/** Largest output of tg_hs_ske_signed_data(): two randoms + params. */
#define TG_HS_SKE_SIGNED_MAX (2 * TG_TLS_RANDOM_LEN + 4 + 255)

/** A borrowed byte range. */
struct tg_hs_bytes {
	const uint8_t *p; /**< first byte (may be NULL when len is 0) */
	size_t len;       /**< length in bytes */
};

/**
 * A list of 16-bit codepoints (suites, groups, signature schemes,
 * versions). Parsers set @c be (the big-endian wire bytes, borrowed);
 * a caller that builds a message to write may set @c host instead (a
 * host-order array). Read entries with tg_hs_u16_at().
 */
struct tg_hs_u16_list {
	const uint8_t *be;     /**< n big-endian u16 on the wire, or NULL */
	const uint16_t *host;  /**< n host-order values, or NULL */
	size_t n;              /**< number of entries */
};

/** A ::tg_hs_u16_list over a host-order array (for writers). */
#define TG_HS_U16_LIST(arr)                                                    \
	((struct tg_hs_u16_list){ .be = NULL, .host = (arr),                  \
				  .n = sizeof(arr) / sizeof((arr)[0]) })

/** Presence bits of the extensions a hello carries (the @c exts field). */
enum tg_hs_extbit {
	TG_HS_EXT_SERVER_NAME = 1u << 0,      /**< RFC 6066 §3 */
	TG_HS_EXT_STATUS_REQUEST = 1u << 1,   /**< RFC 6066 §8 (noted only) */
	TG_HS_EXT_SUPPORTED_GROUPS = 1u << 2, /**< RFC 8422 §5.1.1 */
	TG_HS_EXT_EC_POINT_FORMATS = 1u << 3, /**< RFC 8422 §5.1.2 */
	TG_HS_EXT_SIGNATURE_ALGS = 1u << 4,   /**< RFC 5246 §7.4.1.4.1 */
	TG_HS_EXT_ALPN = 1u << 5,             /**< RFC 7301 §3.1 */
	TG_HS_EXT_EMS = 1u << 6,              /**< RFC 7627 §5.1 */
	TG_HS_EXT_SESSION_TICKET = 1u << 7,   /**< RFC 5077 §3.2 */
	TG_HS_EXT_SUPPORTED_VERSIONS = 1u << 8, /**< RFC 8446 §4.2.1 */
	TG_HS_EXT_RENEGOTIATION_INFO = 1u << 9, /**< RFC 5746 §3.2 */
	TG_HS_EXT_KEY_SHARE = 1u << 10,       /**< RFC 8446 §4.2.8 */
	TG_HS_EXT_PSK_MODES = 1u << 11,       /**< RFC 8446 §4.2.9 */
	TG_HS_EXT_PRE_SHARED_KEY = 1u << 12,  /**< RFC 8446 §4.2.11 */
	TG_HS_EXT_EARLY_DATA = 1u << 13,      /**< RFC 8446 §4.2.10 */
	TG_HS_EXT_COOKIE = 1u << 14,          /**< RFC 8446 §4.2.2 */
	TG_HS_EXT_SIGALGS_CERT = 1u << 15,    /**< RFC 8446 §4.2.3 */
	TG_HS_EXT_RECORD_SIZE_LIMIT = 1u << 16, /**< RFC 8449 §4 */
	TG_HS_EXT_POST_HS_AUTH = 1u << 17,    /**< RFC 8446 §4.2.6 */
	TG_HS_EXT_CERT_AUTHORITIES = 1u << 18, /**< RFC 8446 §4.2.4 */
};

/** PskKeyExchangeMode (RFC 8446 §4.2.9). */
enum tg_hs_psk_mode {
	TG_HS_PSK_KE = 0,     /**< PSK-only key establishment */
	TG_HS_PSK_DHE_KE = 1, /**< PSK with (EC)DHE */
};

/** ClientHello (RFC 5246 §7.4.1.2) with the extensions we act on. */
struct tg_hs_client_hello {
	uint16_t version;                       /**< client_version */
	uint8_t random[TG_TLS_RANDOM_LEN];      /**< copied */
	uint8_t session_id_len;                 /**< 0..32 */
	uint8_t session_id[TG_TLS_SESSION_ID_MAX]; /**< copied */
	struct tg_hs_u16_list suites;           /**< cipher_suites, SCSVs included */
	struct tg_hs_bytes compression;         /**< compression_methods */
	bool scsv_reneg;    /**< TG_CS_EMPTY_RENEGOTIATION_INFO_SCSV listed */
	bool scsv_fallback; /**< TG_CS_FALLBACK_SCSV listed (RFC 7507) */
	bool has_ext_block; /**< an extensions block was present (maybe empty) */
	uint32_t exts;      /**< ::tg_hs_extbit of the extensions present */
	size_t unknown_exts; /**< extensions of other types (skipped) */
	struct tg_hs_bytes host_name;     /**< server_name: the host_name */
	size_t host_names;                /**< host_name entries (1 valid) */
	struct tg_hs_u16_list groups;     /**< supported_groups */
	struct tg_hs_bytes point_formats; /**< ec_point_formats list */
	struct tg_hs_u16_list sigalgs;    /**< signature_algorithms */
	/** ALPN ProtocolNameList body (without its u16 prefix), walk it with
	 *  tg_hs_list_next(it, 1, ...); @c alpn_count names. */
	struct tg_hs_bytes alpn;
	size_t alpn_count;                /**< number of ALPN names */
	struct tg_hs_bytes reneg_info;    /**< renegotiated_connection */
	struct tg_hs_bytes ticket;        /**< session_ticket (may be empty) */
	struct tg_hs_u16_list versions;   /**< supported_versions */
	/* TLS 1.3 (RFC 8446 §4.2); checked as described at each parser */
	/** key_share client_shares body (KeyShareEntry list, without its
	 *  u16 prefix): tg_hs_key_share_find() */
	struct tg_hs_bytes key_shares;
	size_t n_key_shares;              /**< entries in it */
	struct tg_hs_bytes psk_modes;     /**< psk_key_exchange_modes ke_modes */
	/** pre_shared_key OfferedPsks: the identities and binders bodies
	 *  (without their u16 prefixes): tg_hs_psk_at() */
	struct tg_hs_bytes psk_identities, psk_binders;
	size_t n_psk;                     /**< identities (= binders) */
	/** bytes of the binders vector, its prefix included: the
	 *  ClientHello less these is what binders sign (§4.2.11.2) */
	size_t psk_binders_len;
	struct tg_hs_bytes cookie;        /**< cookie <1..2^16-1> */
	struct tg_hs_u16_list sigalgs_cert; /**< signature_algorithms_cert */
	uint16_t record_size_limit;       /**< RFC 8449 RecordSizeLimit */
	bool psk_not_last;  /**< an extension followed pre_shared_key */
};

/** ServerHello (RFC 5246 §7.4.1.3). */
struct tg_hs_server_hello {
	uint16_t version;                       /**< server_version */
	uint8_t random[TG_TLS_RANDOM_LEN];      /**< copied */
	uint8_t session_id_len;                 /**< 0..32 */
	uint8_t session_id[TG_TLS_SESSION_ID_MAX]; /**< copied */
	uint16_t suite;                         /**< cipher_suite */
	bool has_ext_block; /**< an extensions block was present (maybe empty) */
	uint32_t exts; /**< ::tg_hs_extbit: SERVER_NAME, STATUS_REQUEST (both
			*   empty acks), EC_POINT_FORMATS, ALPN, EMS,
			*   SESSION_TICKET (empty), RENEGOTIATION_INFO */
	struct tg_hs_bytes reneg_info;    /**< renegotiated_connection */
	struct tg_hs_bytes alpn;          /**< the ONE selected protocol */
	struct tg_hs_bytes point_formats; /**< ec_point_formats list */
	/* TLS 1.3 (RFC 8446 §4.1.3, §4.1.4) */
	bool hrr;                 /**< random is the HelloRetryRequest value:
				       key_share holds a selected_group */
	uint16_t selected_version; /**< supported_versions */
	uint16_t ks_group;        /**< key_share group (HRR: selected_group) */
	struct tg_hs_bytes ks_pub; /**< key_share key_exchange (not in HRR) */
	uint16_t psk_identity;    /**< pre_shared_key selected_identity */
	struct tg_hs_bytes cookie; /**< HRR cookie */
};

/** Certificate (RFC 5246 §7.4.2, §7.4.6): leaf first. */
struct tg_hs_certificate {
	size_t n;                                 /**< 0..TG_HS_MAX_CHAIN */
	struct tg_hs_bytes cert[TG_HS_MAX_CHAIN]; /**< DER, each non-empty */
};

/** ServerKeyExchange for ECDHE with a named curve (RFC 8422 §5.4). */
struct tg_hs_server_key_exchange {
	uint16_t group;          /**< ServerECDHParams.curve_params.namedcurve */
	struct tg_hs_bytes point; /**< ServerECDHParams.public <1..255> */
	uint16_t sigalg;         /**< SignatureAndHashAlgorithm */
	struct tg_hs_bytes sig;  /**< signature <0..2^16-1> */
};

/** CertificateRequest, TLS 1.2 form (RFC 5246 §7.4.4). */
struct tg_hs_certificate_request {
	struct tg_hs_bytes cert_types;  /**< certificate_types <1..255> */
	struct tg_hs_u16_list sigalgs;  /**< <2..2^16-2> */
	/** certificate_authorities body (without its u16 prefix): walk with
	 *  tg_hs_list_next(it, 2, ...); @c n_cas DistinguishedNames. */
	struct tg_hs_bytes cas;
	size_t n_cas;                   /**< number of DistinguishedNames */
};

/** Key exchange kinds a ClientKeyExchange can carry. */
enum tg_hs_kx {
	TG_HS_KX_ECDHE = 1, /**< ClientECDiffieHellmanPublic (RFC 8422 §5.7) */
	TG_HS_KX_RSA = 2,   /**< EncryptedPreMasterSecret (RFC 5246 §7.4.7.1) */
};

/** ClientKeyExchange (RFC 5246 §7.4.7). */
struct tg_hs_client_key_exchange {
	enum tg_hs_kx kx;       /**< which form */
	struct tg_hs_bytes data; /**< ECDHE point <1..255> or RSA <0..2^16-1> */
};

/** CertificateVerify (RFC 5246 §7.4.8). */
struct tg_hs_certificate_verify {
	uint16_t sigalg;        /**< SignatureAndHashAlgorithm */
	struct tg_hs_bytes sig; /**< signature <0..2^16-1> */
};

/** Finished (RFC 5246 §7.4.9). */
struct tg_hs_finished {
	uint8_t verify_data[TG_TLS_VERIFY_DATA_LEN]; /**< copied */
};

/** NewSessionTicket (RFC 5077 §3.3). */
struct tg_hs_new_session_ticket {
	uint32_t lifetime_hint;    /**< seconds, 0 = unspecified */
	struct tg_hs_bytes ticket; /**< <0..2^16-1> */
};

/* ---- TLS 1.3 messages (RFC 8446 §4) ---- */

/** Largest verify_data of a TLS 1.3 Finished (SHA-384). */
#define TG_HS13_FINISHED_MAX 48
/** Largest CertificateVerify content (RFC 8446 §4.4.3): 64 spaces, a
 *  context string, a 0 byte and a transcript hash. */
#define TG_HS13_CV_CONTENT_MAX (64 + 33 + 1 + 64)

/** EncryptedExtensions (RFC 8446 §4.3.1) with what we send or accept. */
struct tg_hs_encrypted_extensions {
	uint32_t exts;  /**< ::tg_hs_extbit: SERVER_NAME (empty ack), ALPN,
			     SUPPORTED_GROUPS, RECORD_SIZE_LIMIT, EARLY_DATA */
	struct tg_hs_bytes alpn;          /**< the ONE selected protocol */
	struct tg_hs_u16_list groups;     /**< supported_groups */
	uint16_t record_size_limit;       /**< RFC 8449 */
};

/** Certificate, TLS 1.3 form (RFC 8446 §4.4.2): leaf first. */
struct tg_hs13_certificate {
	struct tg_hs_bytes context;       /**< certificate_request_context */
	size_t n;                         /**< 0..TG_HS_MAX_CHAIN */
	struct tg_hs_bytes cert[TG_HS_MAX_CHAIN]; /**< cert_data (DER) */
	/** each entry's extensions body (without its u16 prefix) */
	struct tg_hs_bytes exts[TG_HS_MAX_CHAIN];
};

/** Finished, TLS 1.3 form (RFC 8446 §4.4.4): Hash.length bytes. */
struct tg_hs13_finished {
	uint8_t verify_data[TG_HS13_FINISHED_MAX]; /**< copied */
	size_t len;                                /**< 32 or 48 */
};

/** NewSessionTicket, TLS 1.3 form (RFC 8446 §4.6.1). */
struct tg_hs13_new_session_ticket {
	uint32_t lifetime;          /**< ticket_lifetime, seconds */
	uint32_t age_add;           /**< ticket_age_add */
	struct tg_hs_bytes nonce;   /**< ticket_nonce <0..255> */
	struct tg_hs_bytes ticket;  /**< ticket <1..2^16-1> */
	bool early_data;            /**< an early_data extension came */
	uint32_t max_early_data;    /**< its max_early_data_size */
};

/** CertificateRequest, TLS 1.3 form (RFC 8446 §4.3.2). */
struct tg_hs13_certificate_request {
	struct tg_hs_bytes context;     /**< certificate_request_context */
	uint32_t exts;                  /**< SIGNATURE_ALGS, SIGALGS_CERT,
					     CERT_AUTHORITIES */
	struct tg_hs_u16_list sigalgs;  /**< signature_algorithms (required) */
	struct tg_hs_u16_list sigalgs_cert; /**< signature_algorithms_cert */
	/** certificate_authorities body (DistinguishedName list without
	 *  its u16 prefix); @c n_cas names */
	struct tg_hs_bytes cas;
	size_t n_cas;
};

/** KeyUpdateRequest (RFC 8446 §4.6.3). */
enum tg_hs_key_update_req {
	TG_HS_UPDATE_NOT_REQUESTED = 0,
	TG_HS_UPDATE_REQUESTED = 1,
};

/**
 * Find the KeyShareEntry of @p group in a ClientHello (RFC 8446 §4.2.8).
 * @param ch    a parsed ClientHello
 * @param group the group
 * @param pub   out: its key_exchange (borrowed)
 * @return true when the client sent a share for @p group
 */
bool tg_hs_key_share_find(const struct tg_hs_client_hello *ch, uint16_t group,
			  struct tg_hs_bytes *pub);

/**
 * Whether every KeyShareEntry of a ClientHello is of a group its
 * supported_groups lists (RFC 8446 §4.2.8: "MUST correspond").
 * @param ch a parsed ClientHello
 */
bool tg_hs_key_shares_in_groups(const struct tg_hs_client_hello *ch);

/**
 * Entry @p i of a ClientHello's pre_shared_key (RFC 8446 §4.2.11).
 * @param ch       a parsed ClientHello with pre_shared_key
 * @param i        index, below ch->n_psk
 * @param identity out: the identity (borrowed)
 * @param age      out: obfuscated_ticket_age
 * @param binder   out: the binder of the same index (borrowed)
 * @return false when @p i is out of range
 */
bool tg_hs_psk_at(const struct tg_hs_client_hello *ch, size_t i,
		  struct tg_hs_bytes *identity, uint32_t *age,
		  struct tg_hs_bytes *binder);

/**
 * Whether a ClientHello's psk_key_exchange_modes lists @p mode.
 * @param ch   a parsed ClientHello
 * @param mode ::tg_hs_psk_mode
 */
bool tg_hs_psk_mode_offered(const struct tg_hs_client_hello *ch, uint8_t mode);

/**
 * Parse EncryptedExtensions (RFC 8446 §4.3.1). An extension that is
 * defined but not for this message (key_share, supported_versions,
 * pre_shared_key, cookie, psk_key_exchange_modes, signature_algorithms,
 * EMS, session_ticket, ...) is TG_E_ILLEGAL_PARAM (§4.2); one we do not
 * know is TG_E_UNSUPPORTED_EXT (a client never offers those).
 * @param body the message body
 * @param out  out: the message (borrows from @p body)
 */
TG_MUST_CHECK tg_result tg_hs_encrypted_extensions_parse(struct tg_cur *body,
				struct tg_hs_encrypted_extensions *out);

/**
 * Write EncryptedExtensions with the extensions set in @c exts, in the
 * order supported_groups, record_size_limit, server_name, ALPN,
 * early_data (RFC 8448 §3's order for the first three).
 * @param w  the writer
 * @param in the message
 */
TG_MUST_CHECK tg_result tg_hs_encrypted_extensions_write(struct tg_wcur *w,
				const struct tg_hs_encrypted_extensions *in);

/**
 * Parse a TLS 1.3 Certificate (RFC 8446 §4.4.2): the request context
 * <0..255>, the CertificateEntry list <0..2^24-1>, each cert_data
 * <1..2^24-1> and an extensions block <0..2^16-1> (syntax and
 * duplicates checked; what they may hold is the engine's).
 * @param body the message body
 * @param out  out: the chain (borrows from @p body)
 * @return TG_E_CERT_UNKNOWN for more than #TG_HS_MAX_CHAIN certificates
 */
TG_MUST_CHECK tg_result tg_hs13_certificate_parse(struct tg_cur *body,
					struct tg_hs13_certificate *out);

/**
 * Write a TLS 1.3 Certificate (entries with empty extensions when
 * @c exts[i] is empty).
 * @param w  the writer
 * @param in the chain
 */
TG_MUST_CHECK tg_result tg_hs13_certificate_write(struct tg_wcur *w,
				const struct tg_hs13_certificate *in);

/**
 * The content a TLS 1.3 CertificateVerify signs (RFC 8446 §4.4.3):
 * 64 spaces (0x20), "TLS 1.3, server CertificateVerify" or "TLS 1.3,
 * client CertificateVerify", a 0 byte, the transcript hash.
 * @param server true for the server's context string
 * @param th     the transcript hash
 * @param hl     its length (at most 64)
 * @param w      the writer (TG_HS13_CV_CONTENT_MAX bytes suffice)
 */
TG_MUST_CHECK tg_result tg_hs13_cv_content(bool server, const uint8_t *th,
					   size_t hl, struct tg_wcur *w);

/**
 * Parse a TLS 1.3 Finished of @p hl bytes (RFC 8446 §4.4.4).
 * @param body the message body
 * @param hl   the suite's hash length (32 or 48)
 * @param out  out: verify_data (copied)
 */
TG_MUST_CHECK tg_result tg_hs13_finished_parse(struct tg_cur *body, size_t hl,
					       struct tg_hs13_finished *out);

/**
 * Write a TLS 1.3 Finished.
 * @param w  the writer
 * @param in verify_data and its length
 */
TG_MUST_CHECK tg_result tg_hs13_finished_write(struct tg_wcur *w,
					       const struct tg_hs13_finished *in);

/**
 * Parse a TLS 1.3 NewSessionTicket (RFC 8446 §4.6.1); its extensions
 * may hold early_data (uint32 max_early_data_size); others are skipped.
 * @param body the message body
 * @param out  out: the message (borrows from @p body)
 */
TG_MUST_CHECK tg_result tg_hs13_new_session_ticket_parse(struct tg_cur *body,
				struct tg_hs13_new_session_ticket *out);

/**
 * Write a TLS 1.3 NewSessionTicket (early_data when @c early_data).
 * @param w  the writer
 * @param in the message
 */
TG_MUST_CHECK tg_result tg_hs13_new_session_ticket_write(struct tg_wcur *w,
				const struct tg_hs13_new_session_ticket *in);

/**
 * Parse a TLS 1.3 CertificateRequest (RFC 8446 §4.3.2):
 * signature_algorithms is required (TG_E_MISSING_EXT), an extension not
 * defined for it TG_E_ILLEGAL_PARAM; unknown ones are skipped (§4.2).
 * @param body the message body
 * @param out  out: the message (borrows from @p body)
 */
TG_MUST_CHECK tg_result tg_hs13_certificate_request_parse(struct tg_cur *body,
				struct tg_hs13_certificate_request *out);

/**
 * Write a TLS 1.3 CertificateRequest: signature_algorithms, then
 * certificate_authorities when @c cas is not empty.
 * @param w  the writer
 * @param in the message
 */
TG_MUST_CHECK tg_result tg_hs13_certificate_request_write(struct tg_wcur *w,
				const struct tg_hs13_certificate_request *in);

/**
 * Parse a KeyUpdate (RFC 8446 §4.6.3): one byte, 0 or 1 (another value
 * is TG_E_ILLEGAL_PARAM).
 * @param body the message body
 * @param req  out: ::tg_hs_key_update_req
 */
TG_MUST_CHECK tg_result tg_hs_key_update_parse(struct tg_cur *body,
					       uint8_t *req);

/**
 * Write a KeyUpdate (5 bytes).
 * @param w   the writer
 * @param req ::tg_hs_key_update_req
 */
TG_MUST_CHECK tg_result tg_hs_key_update_write(struct tg_wcur *w, uint8_t req);

/* ---- framing and helpers (hs_common.c) ---- */

/**
 * The longest body we accept for a handshake message of type @p type:
 * TG_TLS_MAX_CLIENT_HELLO for a ClientHello (all the wire format allows,
 * RFC 8446 §4.1.2), TG_TLS_MAX_HS_MSG for any other.
 * @param type HandshakeType
 * @return the bound in bytes
 */
size_t tg_hs_msg_max(uint8_t type);

/**
 * Take one complete handshake message off a reassembly buffer.
 *
 * On success the stream advances past the message; the raw message, header
 * included (what goes into the transcript hash), is the @p stream range
 * from the old position to the new one.
 * @param stream reassembled handshake bytes
 * @param type   out: HandshakeType (also set on TG_E_OVERFLOW)
 * @param body   out: a reader over the body (borrowed from @p stream)
 * @return TG_E_SHORT when the header or the body is not all there yet
 *         (the stream is left unchanged: feed more and call again),
 *         TG_E_OVERFLOW when the declared length is over tg_hs_msg_max()
 *         (reported from the header alone, before the body arrives).
 */
TG_MUST_CHECK tg_result tg_hs_msg_next(struct tg_cur *stream, uint8_t *type,
				       struct tg_cur *body);

/**
 * Entry @p i of a codepoint list.
 * @param l a list set by a parser or built with TG_HS_U16_LIST()
 * @param i index, below l->n
 * @return the value (0 when i is out of range)
 */
uint16_t tg_hs_u16_at(const struct tg_hs_u16_list *l, size_t i);

/**
 * Whether a codepoint list contains @p v (a suite, group, sigalg...).
 * @param l the list
 * @param v the value
 * @return true when found
 */
bool tg_hs_u16_has(const struct tg_hs_u16_list *l, uint16_t v);

/**
 * Pick the first of our preferences that the peer also lists (server
 * preference order, RFC 5246 §7.4.1.3 leaves the order to the server).
 * @param peer  the peer's list
 * @param prefs our values, most preferred first
 * @param n     number of @p prefs
 * @param out   out: the chosen value
 * @return TG_E_HANDSHAKE_FAIL when nothing is in common
 */
TG_MUST_CHECK tg_result tg_hs_u16_select(const struct tg_hs_u16_list *peer,
					 const uint16_t *prefs, size_t n,
					 uint16_t *out);

/**
 * The signature schemes a client accepts, for ServerKeyExchange.
 *
 * With the signature_algorithms extension: its list. Without it, RFC 5246
 * §7.4.1.4.1 says to assume {sha1, <sig of the suite>} only; this returns
 * that single SHA-1 pair (rsa_pkcs1_sha1 0x0201 or ecdsa_sha1 0x0203). We
 * never sign with SHA-1, so tg_hs_u16_select() over it fails with
 * handshake_failure, as OpenSSL 3.0 does at its default security level:
 * such a client can still use an RSA-key-exchange suite, which has no
 * ServerKeyExchange.
 * @param ch    the parsed ClientHello
 * @param ecdsa true for an ECDSA certificate, false for RSA
 * @param out   out: the list (borrows from @p ch or static storage)
 */
void tg_hs_client_sigalgs(const struct tg_hs_client_hello *ch, bool ecdsa,
			  struct tg_hs_u16_list *out);

/**
 * The signature schemes of a list (signature_algorithms, or a
 * CertificateRequest's) that we implement, as a tg_sigalg_bit() set:
 * the whole list is walked once, with the bounded cursor, however long
 * (up to 32767 entries).
 * @param l the list
 * @return the set (0 when nothing in it is ours)
 */
uint32_t tg_hs_sigalg_set(const struct tg_hs_u16_list *l);

/**
 * Iterate a validated list of length-prefixed items (ALPN names with
 * @p prefix 1, DistinguishedNames with @p prefix 2).
 * @param it     a reader over the list body; advanced past each item
 * @param prefix length prefix size in bytes (1 or 2)
 * @param item   out: the next item
 * @return false at the end of the list (or on a malformed list)
 */
bool tg_hs_list_next(struct tg_cur *it, unsigned prefix,
		     struct tg_hs_bytes *item);

/**
 * Whether a ClientHello's ALPN list offers protocol @p name.
 * @param ch  the parsed ClientHello
 * @param name protocol name bytes
 * @param len its length
 * @return true when offered
 */
bool tg_hs_alpn_offered(const struct tg_hs_client_hello *ch, const void *name,
			size_t len);

/**
 * Encode ALPN protocol names into a ProtocolNameList body (RFC 7301 §3.1)
 * for tg_hs_client_hello::alpn.
 * @param names NUL-terminated names, each 1..255 bytes
 * @param n     number of names (at least 1)
 * @param buf   output storage
 * @param cap   its size
 * @param out   out: the encoded list (points into @p buf)
 * @param count out: number of names (for alpn_count)
 */
TG_MUST_CHECK tg_result tg_hs_alpn_encode(const char *const *names, size_t n,
					  uint8_t *buf, size_t cap,
					  struct tg_hs_bytes *out,
					  size_t *count);

/**
 * RFC 8446 §4.1.3 downgrade sentinel check on a ServerHello.random.
 * @param random the 32-byte server random
 * @return 2 for "DOWNGRD\x01" (TLS 1.2 negotiated by a 1.3 server),
 *         1 for "DOWNGRD\x00" (TLS 1.1 or below), 0 for none
 */
int tg_hs_downgrade_sentinel(const uint8_t random[TG_TLS_RANDOM_LEN]);

/**
 * RFC 5746 checks a server makes on the ClientHello of an INITIAL
 * handshake (the only kind we do: renegotiation is refused).
 * @param ch     the parsed ClientHello
 * @param secure out: the client supports secure renegotiation (it sent
 *               TG_CS_EMPTY_RENEGOTIATION_INFO_SCSV or an empty
 *               renegotiation_info), so the ServerHello must carry an
 *               empty renegotiation_info (§3.6)
 * @return TG_E_HANDSHAKE_FAIL when renegotiation_info is present with a
 *         non-empty renegotiated_connection (§3.6: "MUST abort the
 *         handshake")
 */
TG_MUST_CHECK tg_result tg_hs_client_hello_reneg_check(
	const struct tg_hs_client_hello *ch, bool *secure);

/**
 * RFC 5746 §3.4 checks a client makes on the ServerHello of an initial
 * handshake.
 * @param sh     the parsed ServerHello
 * @param secure out: the server sent renegotiation_info (secure
 *               renegotiation supported); when false the engine decides
 *               by policy whether to continue (§4.1)
 * @return TG_E_HANDSHAKE_FAIL when renegotiated_connection is not empty
 */
TG_MUST_CHECK tg_result tg_hs_server_hello_reneg_check(
	const struct tg_hs_server_hello *sh, bool *secure);

/* ---- messages ---- */

/**
 * Parse a ClientHello body (RFC 5246 §7.4.1.2) and its extensions.
 * Requires null compression (else TG_E_ILLEGAL_PARAM); enforces the
 * syntax of server_name (RFC 6066 §3: exactly one host_name, of printable
 * ASCII; names of other types are skipped as opaque<1..2^16-1>),
 * supported_groups,
 * ec_point_formats (uncompressed required), signature_algorithms, ALPN,
 * extended_master_secret (empty), renegotiation_info, session_ticket,
 * supported_versions; status_request and unknown types are skipped.
 * @param body the message body
 * @param out  out: the message (borrows from @p body)
 */
TG_MUST_CHECK tg_result tg_hs_client_hello_parse(struct tg_cur *body,
						 struct tg_hs_client_hello *out);

/**
 * Write a ClientHello: header, fixed fields, and the extensions whose bit
 * is set in @c exts (in a fixed order; status_request is written as an
 * OCSP request with empty lists). The SCSV flags are not consulted: list
 * the SCSVs in @c suites. The extensions block is written when
 * @c has_ext_block or @c exts is set.
 * @param w  the writer
 * @param in the message
 */
TG_MUST_CHECK tg_result tg_hs_client_hello_write(struct tg_wcur *w,
					 const struct tg_hs_client_hello *in);

/**
 * Parse a ServerHello body (RFC 5246 §7.4.1.3). compression_method must
 * be null (else TG_E_ILLEGAL_PARAM); ALPN must carry exactly one name
 * (RFC 7301 §3.1); session_ticket, server_name, status_request and
 * extended_master_secret must be empty; an unknown extension type fails
 * with TG_E_UNSUPPORTED_EXT.
 * @param body the message body
 * @param out  out: the message (borrows from @p body)
 */
TG_MUST_CHECK tg_result tg_hs_server_hello_parse(struct tg_cur *body,
						 struct tg_hs_server_hello *out);

/**
 * Write a ServerHello with the extensions set in @c exts.
 * @param w  the writer
 * @param in the message
 */
TG_MUST_CHECK tg_result tg_hs_server_hello_write(struct tg_wcur *w,
					 const struct tg_hs_server_hello *in);

/**
 * Parse a Certificate body (RFC 5246 §7.4.2): certificate_list
 * <0..2^24-1> of ASN.1Cert <1..2^24-1>. An empty list is valid (a client
 * without a certificate, §7.4.6).
 * @param body the message body
 * @param out  out: the chain (borrows from @p body)
 * @return TG_E_CERT_UNKNOWN for more than #TG_HS_MAX_CHAIN certificates
 */
TG_MUST_CHECK tg_result tg_hs_certificate_parse(struct tg_cur *body,
						struct tg_hs_certificate *out);

/**
 * Write a Certificate message.
 * @param w  the writer
 * @param in the chain (every entry non-empty)
 * @return TG_E_OVERFLOW when the message would exceed TG_TLS_MAX_HS_MSG
 */
TG_MUST_CHECK tg_result tg_hs_certificate_write(struct tg_wcur *w,
					const struct tg_hs_certificate *in);

/**
 * Parse an ECDHE ServerKeyExchange body (RFC 8422 §5.4) with its
 * TLS 1.2 digitally-signed part (RFC 5246 §7.4.3).
 * @param body the message body
 * @param out  out: the message (borrows from @p body)
 * @return TG_E_ILLEGAL_PARAM for a curve_type other than named_curve(3)
 */
TG_MUST_CHECK tg_result tg_hs_server_key_exchange_parse(struct tg_cur *body,
				struct tg_hs_server_key_exchange *out);

/**
 * Write an ECDHE ServerKeyExchange message.
 * @param w  the writer
 * @param in the message (sig computed over tg_hs_ske_signed_data())
 */
TG_MUST_CHECK tg_result tg_hs_server_key_exchange_write(struct tg_wcur *w,
				const struct tg_hs_server_key_exchange *in);

/**
 * The exact bytes a ServerKeyExchange signature covers (RFC 8422 §5.4):
 * ClientHello.random + ServerHello.random + ServerECDHParams, where the
 * params are curve_type(3), the group and the point, as on the wire.
 * At most #TG_HS_SKE_SIGNED_MAX bytes.
 * @param client_random ClientHello.random
 * @param server_random ServerHello.random
 * @param ske the message (only group and point are used)
 * @param w   the writer that receives the bytes
 */
TG_MUST_CHECK tg_result tg_hs_ske_signed_data(
	const uint8_t client_random[TG_TLS_RANDOM_LEN],
	const uint8_t server_random[TG_TLS_RANDOM_LEN],
	const struct tg_hs_server_key_exchange *ske, struct tg_wcur *w);

/**
 * Parse a CertificateRequest body (RFC 5246 §7.4.4, TLS 1.2 form).
 * @param body the message body
 * @param out  out: the message (borrows from @p body)
 */
TG_MUST_CHECK tg_result tg_hs_certificate_request_parse(struct tg_cur *body,
				struct tg_hs_certificate_request *out);

/**
 * Write a CertificateRequest message (@c cas is checked to be a valid
 * DistinguishedName list, each <1..2^16-1>).
 * @param w  the writer
 * @param in the message
 */
TG_MUST_CHECK tg_result tg_hs_certificate_request_write(struct tg_wcur *w,
				const struct tg_hs_certificate_request *in);

/**
 * Parse a ServerHelloDone body (RFC 5246 §7.4.5): it must be empty.
 * @param body the message body
 */
TG_MUST_CHECK tg_result tg_hs_server_hello_done_parse(struct tg_cur *body);

/**
 * Write a ServerHelloDone message (4 bytes).
 * @param w the writer
 */
TG_MUST_CHECK tg_result tg_hs_server_hello_done_write(struct tg_wcur *w);

/**
 * Parse a ClientKeyExchange body (RFC 5246 §7.4.7); the form depends on
 * the negotiated suite, so the caller says which.
 * @param body the message body
 * @param kx   TG_HS_KX_ECDHE (point <1..255>, RFC 8422 §5.7) or
 *             TG_HS_KX_RSA (EncryptedPreMasterSecret <0..2^16-1>)
 * @param out  out: the message (borrows from @p body)
 */
TG_MUST_CHECK tg_result tg_hs_client_key_exchange_parse(struct tg_cur *body,
		enum tg_hs_kx kx, struct tg_hs_client_key_exchange *out);

/**
 * Write a ClientKeyExchange message in the form @c in->kx names.
 * @param w  the writer
 * @param in the message
 */
TG_MUST_CHECK tg_result tg_hs_client_key_exchange_write(struct tg_wcur *w,
				const struct tg_hs_client_key_exchange *in);

/**
 * Parse a CertificateVerify body (RFC 5246 §7.4.8).
 * @param body the message body
 * @param out  out: the message (borrows from @p body)
 */
TG_MUST_CHECK tg_result tg_hs_certificate_verify_parse(struct tg_cur *body,
				struct tg_hs_certificate_verify *out);

/**
 * Write a CertificateVerify message.
 * @param w  the writer
 * @param in the message
 */
TG_MUST_CHECK tg_result tg_hs_certificate_verify_write(struct tg_wcur *w,
				const struct tg_hs_certificate_verify *in);

/**
 * Parse a Finished body (RFC 5246 §7.4.9): exactly 12 bytes.
 * @param body the message body
 * @param out  out: verify_data (copied)
 */
TG_MUST_CHECK tg_result tg_hs_finished_parse(struct tg_cur *body,
					     struct tg_hs_finished *out);

/**
 * Write a Finished message.
 * @param w  the writer
 * @param in the message
 */
TG_MUST_CHECK tg_result tg_hs_finished_write(struct tg_wcur *w,
					     const struct tg_hs_finished *in);

/**
 * Parse a NewSessionTicket body (RFC 5077 §3.3).
 * @param body the message body
 * @param out  out: the message (borrows from @p body)
 */
TG_MUST_CHECK tg_result tg_hs_new_session_ticket_parse(struct tg_cur *body,
				struct tg_hs_new_session_ticket *out);

/**
 * Write a NewSessionTicket message.
 * @param w  the writer
 * @param in the message
 */
TG_MUST_CHECK tg_result tg_hs_new_session_ticket_write(struct tg_wcur *w,
				const struct tg_hs_new_session_ticket *in);

/**
 * Parse a HelloRequest body (RFC 5246 §7.4.1.1): it must be empty. The
 * engine refuses renegotiation (no_renegotiation warning, RFC 5746 §4.2).
 * @param body the message body
 */
TG_MUST_CHECK tg_result tg_hs_hello_request_parse(struct tg_cur *body);

/**
 * Write a HelloRequest message (4 bytes).
 * @param w the writer
 */
TG_MUST_CHECK tg_result tg_hs_hello_request_write(struct tg_wcur *w);

#endif
