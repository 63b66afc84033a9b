/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file hs_engine.h
 * The handshake engine's own state and the helpers its two halves share:
 * hs.c (TLS 1.2 both roles, the state table, the public API), hs13.c
 * (the TLS 1.3 server and what both TLS 1.3 roles share) and
 * hs13_client.c (the TLS 1.3 client). Not a public API: see tg_hs.h.
 */
#ifndef TG_HS_ENGINE_H
#define TG_HS_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "tg_cert.h"
#include "tg_hs.h"
#include "tg_hs_msg.h"
#include "tg_hsio.h"
#include "tg_ks.h"
#include "tg_kx.h"
#include "tg_prf.h"
#include "tg_sesscache.h"
#include "tg_suite.h"
#include "tg_tls.h"

/* Pseudo message type for ChangeCipherSpec in the state table: outside
 * the handshake types (0..255), so that no handshake message (0xfe is
 * TLS 1.3's message_hash) can pass for one. */
#define TG_HS_CCS 0x100
/* Bound of the raw transcript: the largest ClientHello and every other
 * message a full handshake with client authentication can have at their
 * own bound (two Certificates, ClientKeyExchange, CertificateVerify,
 * the small ones); it grows on demand. */
#define TG_HS_TRANSCRIPT_MAX                                                   \
	(TG_TLS_HS_HDR_LEN + TG_TLS_MAX_CLIENT_HELLO +                         \
	 5 * (TG_TLS_HS_HDR_LEN + TG_TLS_MAX_HS_MSG))
/* Scratch for one outgoing message. */
#define TG_HS_MSG_MAX (TG_TLS_MAX_HS_MSG + TG_TLS_HS_HDR_LEN)

enum tg_hs_state {
	/* server */
	S_CLIENT_HELLO = 0,
	S_CLIENT_CERT,
	S_CLIENT_KX,
	S_CERT_VERIFY,
	S_CCS,
	S_FINISHED,
	S_CCS_RESUMED,
	S_FINISHED_RESUMED,
	/* client */
	C_SERVER_HELLO,
	C_CERT,
	C_SKE,
	C_CR_OR_DONE,
	C_DONE,
	C_NST_OR_CCS,
	C_CCS,
	C_FINISHED,
	C_NST_OR_CCS_RESUMED,
	C_CCS_RESUMED,
	C_FINISHED_RESUMED,
	/* server, TLS 1.3 (hs13.c) */
	S13_CLIENT_HELLO2,  /* the ClientHello after our HelloRetryRequest */
	S13_CLIENT_CERT,    /* the client's Certificate (we asked for it) */
	S13_CERT_VERIFY,    /* its CertificateVerify */
	S13_FINISHED,       /* the client's Finished */
	/* client, TLS 1.3 (hs13_client.c) */
	C13_SERVER_HELLO2,  /* the ServerHello after a HelloRetryRequest */
	C13_EE,             /* EncryptedExtensions */
	C13_CERT_OR_CR,     /* CertificateRequest or Certificate */
	C13_CERT,           /* Certificate (after a CertificateRequest) */
	C13_CERT_VERIFY,    /* the server's CertificateVerify */
	C13_FINISHED,       /* the server's Finished */
	/* both */
	T_ESTABLISHED,
	T_FAILED,
};

struct tg_hs {
	const struct tg_hs_config *cfg;
	enum tg_hs_state st;
	struct tg_hsio io;
	unsigned events;
	int fail;
	unsigned warnings;  /* warning alerts received (TG_HS_MAX_WARNINGS) */

	/* transcript */
	uint8_t *tr;
	size_t tr_len, tr_cap;
	size_t tr_prev; /* length before the message being handled */
	struct tg_transcript trh; /* running PRF-hash digest of tr[0, tr_hashed) */
	size_t tr_hashed;         /* 0: trh not started */

	/* negotiation */
	const struct tg_cs_info *cs;
	uint16_t client_version;
	uint8_t client_random[TG_TLS_RANDOM_LEN];
	uint8_t server_random[TG_TLS_RANDOM_LEN];
	uint8_t sid[TG_TLS_SESSION_ID_MAX];
	uint8_t sid_len;
	uint8_t master[TG_TLS_MASTER_SECRET_LEN];
	bool ems;
	bool secure_reneg;
	uint16_t group;
	uint16_t sigalg;
	struct tg_kx kx;
	const struct tg_cert *cert; /* ours: server cert, or client cert */
	EVP_PKEY *peer_key;         /* the peer's leaf key */
	bool cert_requested;        /* client: server sent CertificateRequest */
	uint32_t cr_sigalgs;        /* client: the CertificateRequest's
				       schemes (tg_sigalg_bit() set) */
	bool send_ticket;           /* server: NewSessionTicket in this flight */
	bool client_ext_ticket;     /* client offered session_ticket */
	struct tg_sess_state resume; /* server: the state being resumed */
	uint64_t resume_created;     /* its creation time, 0 for a new one */
	uint8_t ske_point[TG_KX_MAX_PUB]; /* client: server's public value */
	size_t ske_point_len;

	/* keys */
	struct tg_keys k_tx, k_rx;
	bool keys_ready;
	bool exported;

	/* client: the session for resumption */
	struct tg_hs_session sess;

	struct tg_hs_info info;

	/* TLS 1.3 (hs13.c) */
	bool v13;                        /* TLS 1.3 negotiated */
	const struct tg_cs13_info *cs13; /* its suite */
	struct tg_ks ks;                 /* its key schedule */
	bool hrr;                        /* we sent a HelloRetryRequest */
	bool compat;                     /* middlebox compatibility mode
					    (RFC 8446 §D.4): a non-empty
					    legacy_session_id came */
	bool psk_modes_dhe;              /* the client takes psk_dhe_ke */
	bool psk_modes_ke;               /* server: the client takes psk_ke
					    and so do we (cfg->psk_ke) */
	bool psk_ke;                     /* resumed with psk_ke: no (EC)DHE */
	uint16_t peer_rsl;               /* the client's record_size_limit */
	uint8_t ch1_random[TG_TLS_RANDOM_LEN]; /* ClientHello1 (HRR checks) */
	uint32_t ch1_offered;            /* extensions of ClientHello1 */
	uint32_t tickets_sent;
	bool ccs_sent;                   /* our dummy ChangeCipherSpec */
	bool psk_ok;                     /* resumed with a ticket's PSK */
	uint16_t psk_index;              /* its identity in the ClientHello */
	uint8_t psk[TG_KS_MAX];          /* its PSK */
	uint8_t cookie[32];              /* the HelloRetryRequest's cookie */

	/* TLS 1.3 client (hs13_client.c) */
	bool offered13;                  /* our ClientHello offers TLS 1.3 */
	bool psk_offered;                /* ... and a ticket's PSK */
	uint16_t share_group;            /* the group of our key share */
	uint8_t *hrr_cookie;             /* the HelloRetryRequest's cookie,
					    echoed (malloc'd) */
	size_t hrr_cookie_len;
	uint8_t cr_ctx[255];             /* certificate_request_context */
	uint8_t cr_ctx_len;
	uint8_t res13[TG_KS_MAX];        /* resumption_master_secret, kept
					    past the export for tickets */
	uint8_t res13_len;
};

/* Scratch for the message being built (one per thread). */
extern __thread uint8_t tg_hs_scratch[TG_HS_MSG_MAX];

/* Serialize a message with @p call into scratch, queue it, add it to
 * the transcript. */
#define TG_HS_SEND(hs, call)                                                   \
	do {                                                                   \
		struct tg_wcur w_ = tg_wcur_init(tg_hs_scratch, TG_HS_MSG_MAX); \
		struct tg_wcur *w = &w_;                                       \
		TG_GUARD(call);                                                \
		TG_GUARD(tg_hsio_put_hs(&(hs)->io, w_.p, w_.pos));             \
		TG_GUARD(tg_hs_tr_add((hs), w_.p, w_.pos));                    \
	} while (0)

/** Append a handshake message to the raw transcript. */
TG_MUST_CHECK tg_result tg_hs_tr_add(struct tg_hs *hs, const uint8_t *p,
				     size_t n);

/** Hash of the transcript's first @p len bytes with the negotiated
 *  suite's hash (TLS 1.2 PRF hash, TLS 1.3 HKDF hash). */
TG_MUST_CHECK tg_result tg_hs_tr_hash(struct tg_hs *hs, size_t len,
				      uint8_t out[TG_HASH_MAX_LEN],
				      size_t *olen);

/** Forget the transcript's running digest (the raw bytes changed). */
void tg_hs_tr_reset_digest(struct tg_hs *hs);

/** The configured (or default) preference lists. */
const uint16_t *tg_hs_suites(const struct tg_hs_config *c, size_t *n);
const uint16_t *tg_hs_suites13(const struct tg_hs_config *c, size_t *n);
const uint16_t *tg_hs_groups(const struct tg_hs_config *c, size_t *n);
const uint16_t *tg_hs_sigalgs(const struct tg_hs_config *c, size_t *n);

/** True when @p v is among the @p n values at @p l. */
bool tg_hs_u16_in(uint16_t v, const uint16_t *l, size_t n);
/** Whether records of AEAD @p suite have an accel backend (accel.force). */
bool tg_hs_suite_runs(const struct tg_hs_config *c, unsigned suite);

/** An accel session for a handshake record direction. */
TG_MUST_CHECK tg_result tg_hs_sess(struct tg_hs *hs, const struct tg_keys *k,
				   struct tg_accel_sess **out);

/** The handshake is complete: keys ready, state established. */
void tg_hs_established(struct tg_hs *hs);

/** Keep the negotiated SNI / ALPN in the info (truncated to fit). */
void tg_hs_set_sni(struct tg_hs *hs, const uint8_t *p, size_t n);
void tg_hs_set_alpn(struct tg_hs *hs, const uint8_t *p, size_t n);

/** Select our ALPN protocol for a ClientHello (RFC 7301 §3.2). */
TG_MUST_CHECK tg_result tg_srv_select_alpn(struct tg_hs *hs,
					   const struct tg_hs_client_hello *ch);

/** Was a session's client certificate verified by the trust anchors in
 *  force now, with client authentication still asked? */
bool tg_srv_verified_now(const struct tg_hs *hs, const struct tg_sess_state *st);

/** Verify a peer's chain with @p ca (when set) and keep its leaf key. */
TG_MUST_CHECK tg_result tg_hs_peer_chain(struct tg_hs *hs,
					 const struct tg_hs_certificate *c,
					 const struct tg_ca *ca,
					 enum tg_verify_purpose purpose,
					 const char *host);

/* ---- TLS 1.3 server (hs13.c) ---- */

/** Whether this server may negotiate TLS 1.3 with @p ch. */
bool tg_srv13_wanted(const struct tg_hs *hs, const struct tg_hs_client_hello *ch);

/** The first ClientHello, TLS 1.3 negotiated: ServerHello or HRR. */
TG_MUST_CHECK tg_result tg_srv13_client_hello(struct tg_hs *hs,
					      const struct tg_hs_client_hello *ch,
					      struct tg_hsio_msg *m);

/** The state table's TLS 1.3 handlers. */
TG_MUST_CHECK tg_result tg_srv13_client_hello2(struct tg_hs *hs,
					       struct tg_hsio_msg *m);
TG_MUST_CHECK tg_result tg_srv13_client_cert(struct tg_hs *hs,
					     struct tg_hsio_msg *m);
TG_MUST_CHECK tg_result tg_srv13_cert_verify(struct tg_hs *hs,
					     struct tg_hsio_msg *m);
TG_MUST_CHECK tg_result tg_srv13_finished(struct tg_hs *hs,
					  struct tg_hsio_msg *m);

/* ---- what both TLS 1.3 roles share (hs13.c) ---- */

/** The suite's hash. */
enum tg_hash tg_hs13_hash(const struct tg_hs *hs);

/** The transcript hash of its first @p len bytes. */
TG_MUST_CHECK tg_result tg_hs13_th(struct tg_hs *hs, size_t len,
				   uint8_t th[TG_HASH_MAX_LEN]);

/** Switch one direction of the record layer to @p secret's keys (@p k
 *  keeps them, for the export). */
TG_MUST_CHECK tg_result tg_hs13_keys(struct tg_hs *hs, const uint8_t *secret,
				     enum tg_dir dir, struct tg_keys *k);

/** The scheme certificate @p c signs with the TLS 1.3 way: ours, in our
 *  order, one of @p offered (a tg_sigalg_bit() set). */
TG_MUST_CHECK tg_result tg_hs13_sigalg(const struct tg_cert *c,
				       uint32_t offered, const uint16_t *ours,
				       size_t n, uint16_t *out);

/** Whether @p sigalg is one TLS 1.3 takes for a CertificateVerify. */
bool tg_hs13_sigalg_ok(uint16_t sigalg);

/** Our dummy ChangeCipherSpec (§D.4), once, in compatibility mode. */
TG_MUST_CHECK tg_result tg_hs13_put_ccs(struct tg_hs *hs);

/** Our Finished with @p base (our handshake traffic secret). */
TG_MUST_CHECK tg_result tg_hs13_finished_out(struct tg_hs *hs,
					     const uint8_t *base);

/** The peer's Finished (@p m) against @p base (its traffic secret). */
TG_MUST_CHECK tg_result tg_hs13_finished_in(struct tg_hs *hs,
					    struct tg_hsio_msg *m,
					    const uint8_t *base);

/** Our Certificate (with @p ctx, the CertificateRequest's context) and
 *  CertificateVerify, signed with hs->cert and hs->sigalg. */
TG_MUST_CHECK tg_result tg_hs13_cert_cv(struct tg_hs *hs,
					const struct tg_hs_bytes *ctx);

/** The peer's CertificateVerify (@p m) with its leaf key. */
TG_MUST_CHECK tg_result tg_hs13_cv_in(struct tg_hs *hs, struct tg_hsio_msg *m,
				      uint16_t *sigalg);

/** A peer's TLS 1.3 Certificate (no entry extensions: we ask for none),
 *  verified as tg_hs_peer_chain() does. */
TG_MUST_CHECK tg_result tg_hs13_peer_chain(struct tg_hs *hs,
					   const struct tg_hs13_certificate *c13,
					   const struct tg_ca *ca,
					   enum tg_verify_purpose purpose,
					   const char *host);

/** A ChangeCipherSpec in TLS 1.3 (§5): dropped (a state table row). */
TG_MUST_CHECK tg_result tg_hs13_ccs(struct tg_hs *hs, struct tg_hsio_msg *m);

/** Client: server_name and ALPN of a ClientHello from @p cfg (the ALPN
 *  list encoded into @p buf). */
TG_MUST_CHECK tg_result tg_cli_hello_name_alpn(const struct tg_hs_config *cfg,
					       struct tg_hs_client_hello *ch,
					       uint8_t *buf, size_t cap);

/** Client: a protocol the server selected (ALPN, RFC 7301 §3.2) must be
 *  one we offered; kept in the info. */
TG_MUST_CHECK tg_result tg_cli_alpn(struct tg_hs *hs, const struct tg_hs_bytes *p);

/* Tests only (RFC 8448 traces): the next TLS 1.3 ClientHello of this
 * thread (the first, or the second after a HelloRetryRequest) takes this
 * random, legacy_session_id (in compatibility mode) and X25519 private
 * key, or this P-256 key pair (when not NULL) for a P-256 share; then it
 * is cleared. */
struct tg_cli13_fixed {
	uint8_t random[TG_TLS_RANDOM_LEN];
	uint8_t x25519[32];
	uint8_t session_id[TG_TLS_SESSION_ID_MAX];
	EVP_PKEY *p256;
};
extern __thread const struct tg_cli13_fixed *tg_cli13_fixed;

/* Tests only (RFC 8448 traces): while set, this thread's TLS 1.3
 * servers take this ServerHello random and X25519 private key, this
 * P-256 key pair (when not NULL), this HelloRetryRequest cookie (when
 * cookie_len is not 0; the second ClientHello must echo it) and this
 * PSK (when not NULL: the first identity is taken as a ticket of it,
 * for the ClientHello's server name and the suite chosen, whatever its
 * age; its binder is checked). */
struct tg_srv13_fixed {
	uint8_t random[TG_TLS_RANDOM_LEN];
	uint8_t x25519[32];
	EVP_PKEY *p256;
	const uint8_t *cookie;
	size_t cookie_len;
	const uint8_t *psk;
};
extern __thread const struct tg_srv13_fixed *tg_srv13_fixed;

/* ---- TLS 1.3 client (hs13_client.c) ---- */

/** Our first ClientHello when TLS 1.3 is configured. */
TG_MUST_CHECK tg_result tg_cli13_client_hello(struct tg_hs *hs);

/** Whether a ServerHello chose TLS 1.3 (we offered it and it says so). */
bool tg_cli13_chosen(const struct tg_hs *hs, const struct tg_hs_server_hello *sh);

/** A ServerHello or HelloRetryRequest that chose TLS 1.3. */
TG_MUST_CHECK tg_result tg_cli13_server_hello(struct tg_hs *hs,
					      const struct tg_hs_server_hello *sh);

/** The state table's TLS 1.3 client handlers. */
TG_MUST_CHECK tg_result tg_cli13_server_hello2(struct tg_hs *hs,
					       struct tg_hsio_msg *m);
TG_MUST_CHECK tg_result tg_cli13_ee(struct tg_hs *hs, struct tg_hsio_msg *m);
TG_MUST_CHECK tg_result tg_cli13_cert_request(struct tg_hs *hs,
					      struct tg_hsio_msg *m);
TG_MUST_CHECK tg_result tg_cli13_cert(struct tg_hs *hs, struct tg_hsio_msg *m);
TG_MUST_CHECK tg_result tg_cli13_cert_verify(struct tg_hs *hs,
					     struct tg_hsio_msg *m);
TG_MUST_CHECK tg_result tg_cli13_finished(struct tg_hs *hs,
					  struct tg_hsio_msg *m);

/** A NewSessionTicket after the handshake (tg_hs_post_handshake). */
TG_MUST_CHECK tg_result tg_cli13_ticket(struct tg_hs *hs, struct tg_cur *body);

#endif
