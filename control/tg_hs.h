/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_hs.h
 * The handshake engine: TLS 1.2 and TLS 1.3 (RFC 8446), server and
 * client, I/O free.
 *
 * Bytes in (tg_hs_feed), bytes out (tg_hs_output), events (tg_hs_events).
 * When TG_HS_EV_KEYS_READY is raised the handshake is complete and
 * tg_hs_export_keys() hands both directions' keys (struct tg_keys, with
 * the sequence numbers that follow the Finished messages) to whoever runs
 * the records: the dataplane in tlsgate, a test, a benchmark. The engine
 * runs the same over kernel sockets, DPDK TCP or an in-memory pipe.
 *
 * A struct tg_hs_config is built once, shared read-only by every
 * connection (and thread) that uses it.
 */
#ifndef TG_HS_H
#define TG_HS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tg_accel.h"
#include "tg_result.h"

struct tg_ca;
struct tg_cert;
struct tg_cert_store;
struct tg_sesscache;
struct tg_ticket_keys;

/** Role of a connection. */
enum tg_hs_role {
	TG_HS_SERVER = 0,
	TG_HS_CLIENT = 1,
};

/** Client certificate policy of a server. */
enum tg_hs_client_auth {
	TG_HS_CLIENT_AUTH_NONE = 0,
	TG_HS_CLIENT_AUTH_OPTIONAL, /**< ask; accept none; verify any sent */
	TG_HS_CLIENT_AUTH_REQUIRE,  /**< ask; refuse the handshake without */
};

/** How a handshake ended up (struct tg_hs_info::resumed). */
enum tg_hs_resumption {
	TG_HS_FULL = 0,
	TG_HS_RESUMED_ID,
	TG_HS_RESUMED_TICKET,
};

#define TG_HS_MAX_PREFS 16
#define TG_HS_MAX_ALPN 8
#define TG_HS_ALPN_LEN 32
#define TG_HS_SNI_LEN 256
/**
 * Warning alerts a handshake takes (RFC 5246 §7.2: a warning does not end
 * the connection); the next one ends it with unexpected_message, as
 * OpenSSL and BoringSSL do (CVE-2016-8610).
 */
#define TG_HS_MAX_WARNINGS 4

/** Protocol versions a configuration allows (tg_hs_config::versions). */
enum tg_hs_version_bit {
	TG_HS_VERSION_TLS12 = 1 << 0, /**< TLS 1.2 (RFC 5246) */
	TG_HS_VERSION_TLS13 = 1 << 1, /**< TLS 1.3 (RFC 8446) */
};

/** Configuration shared by many connections. */
struct tg_hs_config {
	enum tg_hs_role role;
	struct tg_accel *acc;   /**< for Finished protection (required) */
	/** Preference lists (wire values); zero counts = defaults. */
	uint16_t suites[TG_HS_MAX_PREFS];
	unsigned n_suites;
	uint16_t groups[TG_HS_MAX_PREFS];
	unsigned n_groups;
	uint16_t sigalgs[TG_HS_MAX_PREFS];
	unsigned n_sigalgs;
	bool client_order;      /**< server: honour the client's order */
	bool allow_static_rsa;  /**< TLS_RSA_WITH_AES_*_GCM (off by default) */
	bool allow_no_ems;      /**< accept peers without RFC 7627 EMS */
	bool tls13_capable;     /**< server: send the RFC 8446 §4.1.3 sentinel
				     (implied by TG_HS_VERSION_TLS13) */
	/** ::tg_hs_version_bit set; 0 = TLS 1.2 only (what
	 *  tg_hs_config_defaults() gives: an embedder opts in to 1.3) */
	unsigned versions;
	/** TLS 1.3 suites (RFC 8446 §B.4) in preference order; 0 = default */
	uint16_t suites13[3];
	unsigned n_suites13;
	/** ALPN protocols in preference order (RFC 7301). */
	char alpn[TG_HS_MAX_ALPN][TG_HS_ALPN_LEN];
	unsigned n_alpn;
	bool alpn_required;     /**< server: no overlap -> no_application_protocol */
	/** TLS 1.3 PSK-only key establishment (psk_ke, RFC 8446 §4.2.9; no
	 *  forward secrecy for the resumed session), off by default. Server:
	 *  a ticket's PSK resumes without (EC)DHE when the client allows
	 *  psk_ke (taken before psk_dhe_ke, as OpenSSL's
	 *  SSL_OP_PREFER_NO_DHE_KEX); client: psk_ke offered after
	 *  psk_dhe_ke. */
	bool psk_ke;
	/** TLS 1.3 client: offer psk_ke alone (implies @c psk_ke) */
	bool psk_ke_only;

	/* server */
	struct tg_cert_store *certs;     /**< certificates, SNI selection */
	enum tg_hs_client_auth client_auth;
	struct tg_ca *client_ca;         /**< verifies client certificates */
	struct tg_sesscache *cache;      /**< session-ID cache, or NULL */
	struct tg_ticket_keys *tickets;  /**< ticket keys, or NULL (no tickets) */

	/* client */
	char server_name[TG_HS_SNI_LEN]; /**< SNI and host name to verify */
	struct tg_ca *ca;                /**< verifies the server; NULL = no check */
	const struct tg_cert *client_cert; /**< for client authentication */
	bool offer_ticket;               /**< send an empty session_ticket */
	/** TLS 1.3 client: no middlebox compatibility mode (RFC 8446 §D.4:
	 *  an empty legacy_session_id and no dummy ChangeCipherSpec) */
	bool no_compat;
	/** TLS 1.3 client: the record_size_limit to offer (RFC 8449 §4,
	 *  counting the content type; 64..16385), 0 = none */
	uint16_t record_size_limit;
};

/**
 * Resumable state a client keeps between connections. TLS 1.2: the
 * session ID or ticket and the master secret. TLS 1.3 (@c tls13): the
 * last NewSessionTicket's ticket and PSK (in @c master, the suite's
 * hash length), its ticket_age_add, lifetime and arrival time (RFC 8446
 * §4.6.1).
 */
struct tg_hs_session {
	uint8_t id[32];
	uint8_t id_len;
	uint8_t master[48];
	uint16_t suite;
	bool ems;
	uint8_t ticket[1024];
	uint16_t ticket_len;
	bool valid;
	bool tls13;            /**< a TLS 1.3 ticket and PSK */
	uint32_t age_add;      /**< its ticket_age_add */
	uint32_t lifetime;     /**< its ticket_lifetime, seconds */
	uint64_t received_ms;  /**< when it came (CLOCK_REALTIME, ms) */
	char sni[TG_HS_SNI_LEN]; /**< the server name it was issued for */
};

/** What was negotiated. */
struct tg_hs_info {
	uint16_t version;     /**< 0x0303 or 0x0304 (::tg_version) */
	uint16_t suite;       /**< cipher suite (wire value) */
	uint16_t group;       /**< ECDHE group, 0 for static RSA or resumed */
	uint16_t sigalg;      /**< server signature scheme, 0 if none */
	uint8_t cert_type;    /**< 1 = RSA, 2 = ECDSA (server certificate) */
	enum tg_hs_resumption resumed;
	bool ems;
	bool peer_cert;       /**< the peer sent a certificate */
	bool peer_verified;   /**< and it verified */
	char sni[TG_HS_SNI_LEN];
	char alpn[TG_HS_ALPN_LEN];
	uint8_t alert_sent;   /**< alert description we sent, TG_ALERT_NONE = none */
	uint8_t alert_recv;   /**< alert description received, TG_ALERT_NONE = none */
	/** largest record plaintext the peer takes (RFC 8449; TLS 1.3:
	 *  its record_size_limit less the content type), 0 = 2^14 */
	uint16_t record_limit;
	bool hrr;             /**< TLS 1.3: a HelloRetryRequest was needed */
	bool psk_ke;          /**< TLS 1.3: resumed with psk_ke, no (EC)DHE
				   (group 0) */
};

/**
 * The TLS 1.3 application traffic secrets (RFC 8446 §7.1) a dataplane
 * keeps to follow KeyUpdates (§4.6.3, §7.2) without the control plane:
 * application_traffic_secret_N+1 = HKDF-Expand-Label(_N, "traffic upd",
 * "", Hash.length), keys and IV from it (tg_ks.h).
 */
struct tg_hs_secrets13 {
	uint8_t hash;        /**< ::tg_hash of the suite */
	uint8_t len;         /**< its length (32 or 48); 0: none (TLS 1.2) */
	uint8_t tx[48];      /**< the secret our writes are under */
	uint8_t rx[48];      /**< the secret the peer's writes are under */
};

/** Events (bit set) returned by tg_hs_events(). */
enum tg_hs_event {
	TG_HS_EV_OUTPUT = 1 << 0,     /**< bytes to send: call tg_hs_output */
	TG_HS_EV_KEYS_READY = 1 << 1, /**< handshake done: export the keys */
	TG_HS_EV_FAILED = 1 << 2,     /**< failed; an alert may be pending */
	TG_HS_EV_CLOSED = 1 << 3,     /**< close_notify received */
};

struct tg_hs;

/**
 * Whether a server configuration can do TLS 1.3: it sends the RFC 8446
 * §4.1.3 downgrade sentinel when it negotiates 1.2 and refuses a
 * TLS_FALLBACK_SCSV (RFC 7507).
 * @param cfg a configuration
 */
static inline bool tg_hs_tls13_capable(const struct tg_hs_config *cfg)
{
	return cfg->tls13_capable || (cfg->versions & TG_HS_VERSION_TLS13);
}

/** Fill @p cfg with defaults for @p role. */
void tg_hs_config_defaults(struct tg_hs_config *cfg, enum tg_hs_role role);

/** Create a connection's engine. A client queues its ClientHello. */
TG_MUST_CHECK tg_result tg_hs_new(const struct tg_hs_config *cfg,
				  const struct tg_hs_session *resume,
				  struct tg_hs **out);

/** Free, wiping every secret. NULL is a no-op. */
void tg_hs_free(struct tg_hs *hs);

/**
 * Feed bytes from the peer. Returns the first failure (the alert to send
 * is queued and TG_HS_EV_FAILED raised). @p consumed says how much was
 * taken; bytes after the peer's Finished (application data) are not
 * consumed by a completed handshake and stay with the caller.
 */
TG_MUST_CHECK tg_result tg_hs_feed(struct tg_hs *hs, const uint8_t *in,
				   size_t len, size_t *consumed);

/** Copy out up to @p cap bytes to send; returns how many. */
size_t tg_hs_output(struct tg_hs *hs, uint8_t *out, size_t cap);

/** Pending events (a bit set of enum tg_hs_event). */
unsigned tg_hs_events(const struct tg_hs *hs);

/**
 * After TG_HS_EV_KEYS_READY: the keys for our write (@p tx) and read
 * (@p rx) directions, with the sequence numbers following Finished. The
 * engine's copies are wiped; call once. The caller wipes @p tx / @p rx.
 */
TG_MUST_CHECK tg_result tg_hs_export_keys(struct tg_hs *hs, struct tg_keys *tx,
					  struct tg_keys *rx);

/**
 * After tg_hs_export_keys() of a TLS 1.3 connection: the application
 * traffic secrets the exported keys come from (for KeyUpdate). The
 * engine's copies are wiped; call once. The caller wipes @p out.
 * @return TG_E_STATE before the export or for TLS 1.2
 */
TG_MUST_CHECK tg_result tg_hs_export_secrets13(struct tg_hs *hs,
					       struct tg_hs_secrets13 *out);

/** Negotiated parameters (valid once keys are ready; partly before). */
const struct tg_hs_info *tg_hs_info(const struct tg_hs *hs);

/**
 * TLS 1.3 (RFC 8446 §4.6): a post-handshake message (type, u24 length,
 * body) that whoever runs the records opened after the key export. A
 * client keeps a NewSessionTicket for resumption (tg_hs_get_session());
 * KeyUpdate is the dataplane's own; anything else is refused.
 * @return TG_E_UNEXPECTED_MSG for another message or a server,
 *         TG_E_DECODE / TG_E_ILLEGAL_PARAM for a bad ticket,
 *         TG_E_STATE before the handshake completed or for TLS 1.2
 */
TG_MUST_CHECK tg_result tg_hs_post_handshake(struct tg_hs *hs,
					     const uint8_t *msg, size_t len);

/** Client: the resumable session after a full handshake (for resume). */
TG_MUST_CHECK tg_result tg_hs_get_session(const struct tg_hs *hs,
					  struct tg_hs_session *out);

/** Queue a close_notify alert (either role, after the handshake). */
TG_MUST_CHECK tg_result tg_hs_close(struct tg_hs *hs);

#endif
