/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file hs.c
 * The TLS 1.2 handshake engine: server and client state machines.
 *
 * The handshake is a table (tg_hs_steps[]): for each state, the messages
 * that may arrive and the handler that takes each; anything else is an
 * unexpected_message. Handlers move the state on. Messages come from the
 * record layer (hsio.c); every failure goes through one table
 * (tg_alert_of) to the alert that is sent.
 *
 * The transcript is kept as raw bytes (bounded): the PRF hash is known
 * only once the suite is chosen, a CertificateVerify is signed with its
 * own scheme's hash, and a handshake hashes it a handful of times only.
 */
#include "tg_hs.h"
#include "hs_engine.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "tg_alert.h"
#include "tg_cert.h"
#include "tg_hs_msg.h"
#include "tg_hsio.h"
#include "tg_kx.h"
#include "tg_log.h"
#include "tg_prf.h"
#include "tg_sesscache.h"
#include "tg_sig.h"
#include "tg_suite.h"
#include "tg_ticket.h"
#include "tg_tls.h"
#include "tg_wipe.h"

/* ---- small helpers ----------------------------------------------------- */

tg_result tg_hs_tr_add(struct tg_hs *hs, const uint8_t *p, size_t n)
{
	/* every message was checked against its bound (hsio): this holds */
	TG_ENSURE(hs->tr_len + n <= TG_HS_TRANSCRIPT_MAX, TG_E_INTERNAL);
	TG_GUARD(tg_grow_wiped(&hs->tr, &hs->tr_cap, hs->tr_len + n,
			       TG_HS_TRANSCRIPT_MAX));
	memcpy(hs->tr + hs->tr_len, p, n);
	hs->tr_len += n;
	return TG_OK;
}

/*
 * Hash of the transcript's first @p len bytes with the PRF hash. The
 * raw transcript stays (a CertificateVerify signs the messages with its
 * own hash); a running digest, started on the first call once the suite
 * is known, follows it lazily. The calls ask for growing lengths (EMS
 * after ClientKeyExchange, the peer's Finished, ours), so every byte is
 * hashed once instead of once per call; a shorter length is hashed
 * afresh.
 */
tg_result tg_hs_tr_hash(struct tg_hs *hs, size_t len,
			 uint8_t out[TG_HASH_MAX_LEN], size_t *olen)
{
	enum tg_hash h = hs->v13 ? (enum tg_hash)hs->cs13->hash
				 : (enum tg_hash)hs->cs->prf_hash;

	if (len == 0 || len < hs->tr_hashed ||
	    (hs->tr_hashed > 0 && tg_transcript_hash(&hs->trh) != (int)h)) {
		TG_GUARD(tg_hash(h, hs->tr, len, out));
		*olen = tg_hash_len(h);
		return TG_OK;
	}
	if (hs->tr_hashed == 0)
		TG_GUARD(tg_transcript_init(&hs->trh, (int)h));
	TG_GUARD(tg_transcript_update(&hs->trh, hs->tr + hs->tr_hashed,
				      len - hs->tr_hashed));
	hs->tr_hashed = len;
	return tg_transcript_peek(&hs->trh, out, TG_HASH_MAX_LEN, olen);
}

__thread uint8_t tg_hs_scratch[TG_HS_MSG_MAX];

/* A configured preference list, or the default one when it is empty. */
static const uint16_t *tg_hs_pref(const uint16_t *cfg, unsigned n_cfg,
				  size_t (*dflt)(const uint16_t **), size_t *n)
{
	const uint16_t *d;

	if (n_cfg) {
		*n = n_cfg;
		return cfg;
	}
	*n = dflt(&d);
	return d;
}

const uint16_t *tg_hs_suites(const struct tg_hs_config *c, size_t *n)
{
	return tg_hs_pref(c->suites, c->n_suites, tg_cs_default, n);
}

const uint16_t *tg_hs_suites13(const struct tg_hs_config *c, size_t *n)
{
	return tg_hs_pref(c->suites13, c->n_suites13, tg_cs13_default, n);
}

void tg_hs_tr_reset_digest(struct tg_hs *hs)
{
	tg_transcript_free(&hs->trh);
	hs->tr_hashed = 0;
}

const uint16_t *tg_hs_groups(const struct tg_hs_config *c, size_t *n)
{
	return tg_hs_pref(c->groups, c->n_groups, tg_group_default, n);
}

const uint16_t *tg_hs_sigalgs(const struct tg_hs_config *c, size_t *n)
{
	return tg_hs_pref(c->sigalgs, c->n_sigalgs, tg_sigalg_default, n);
}

bool tg_hs_u16_in(uint16_t v, const uint16_t *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (l[i] == v)
			return true;
	return false;
}

/* Whether records of the AEAD @p suite (::tg_suite) have a backend: with
 * accel.force on a backend that lacks the suite they have none, and a
 * server must not pick a cipher suite of that AEAD (its key install
 * would fail after the handshake: handshake_failure for a client that
 * offered another suite we could have run). */
bool tg_hs_suite_runs(const struct tg_hs_config *c, unsigned suite)
{
	return c->acc == NULL ||
	       tg_accel_choice(c->acc, (enum tg_suite)suite, TG_TLS_VERIFY_DATA_LEN) >= 0;
}

/*
 * Create the accel session for one direction from @p k. It carries the
 * Finished records (and at most a few early records after them): all
 * small, so only the backend chosen for small records gets the key,
 * instead of one key schedule per size class. Any backend of the session
 * handles any record size.
 */
tg_result tg_hs_sess(struct tg_hs *hs, const struct tg_keys *k,
		     struct tg_accel_sess **out)
{
	int be = tg_accel_choice(hs->cfg->acc, k->suite, TG_TLS_VERIFY_DATA_LEN);

	if (be < 0)
		return tg_accel_sess_create(hs->cfg->acc, k, out);
	return tg_accel_sess_create_on(hs->cfg->acc, k, (unsigned)be, out);
}

/* Derive master secret from the premaster (RFC 5246 §8.1 / RFC 7627 §4)
 * with the transcript up to and including ClientKeyExchange, then the
 * key block. The premaster is wiped by the caller. */
static TG_MUST_CHECK tg_result tg_hs_derive(struct tg_hs *hs, const uint8_t *pms,
			      size_t pms_len)
{
	enum tg_hash h = (enum tg_hash)hs->cs->prf_hash;

	if (hs->ems) {
		uint8_t sh[TG_HASH_MAX_LEN];
		size_t shl;

		TG_GUARD(tg_hs_tr_hash(hs, hs->tr_len, sh, &shl));
		TG_GUARD(tg_prf_ems(h, pms, pms_len, sh, shl, hs->master));
	} else {
		TG_GUARD(tg_prf_master_secret(h, pms, pms_len, hs->client_random,
					      hs->server_random, hs->master));
	}
	return TG_OK;
}

static TG_MUST_CHECK tg_result tg_hs_key_block(struct tg_hs *hs)
{
	enum tg_side side = hs->cfg->role == TG_HS_SERVER ? TG_SIDE_SERVER
							   : TG_SIDE_CLIENT;

	return tg_prf_derive_keys(hs->cs, hs->master, hs->client_random,
				  hs->server_random, side, 0, 0, &hs->k_tx,
				  &hs->k_rx);
}

/* Our CCS and Finished (RFC 5246 §7.1, §7.4.9). */
static TG_MUST_CHECK tg_result tg_hs_send_ccs_finished(struct tg_hs *hs)
{
	struct tg_accel_sess *tx = NULL;
	struct tg_hs_finished fin;
	uint8_t hh[TG_HASH_MAX_LEN];
	size_t hl;
	enum tg_side me = hs->cfg->role == TG_HS_SERVER ? TG_SIDE_SERVER
							 : TG_SIDE_CLIENT;

	TG_GUARD(tg_hs_sess(hs, &hs->k_tx, &tx));
	if (tg_failed(tg_hsio_put_ccs(&hs->io, tx))) {
		tg_accel_sess_free(tx);
		return tg_error(TG_E_INTERNAL);
	}
	TG_GUARD(tg_hs_tr_hash(hs, hs->tr_len, hh, &hl));
	TG_GUARD(tg_prf_finished((enum tg_hash)hs->cs->prf_hash, hs->master, me,
				 hh, hl, fin.verify_data));
	TG_HS_SEND(hs, tg_hs_finished_write(w, &fin));
	return tg_hsio_flush(&hs->io);
}

/* The peer's Finished, checked over the transcript before it. */
static TG_MUST_CHECK tg_result tg_hs_check_finished(struct tg_hs *hs, struct tg_cur *body)
{
	struct tg_hs_finished fin;
	uint8_t hh[TG_HASH_MAX_LEN];
	size_t hl;
	enum tg_side peer = hs->cfg->role == TG_HS_SERVER ? TG_SIDE_CLIENT
							   : TG_SIDE_SERVER;

	TG_GUARD(tg_hs_finished_parse(body, &fin));
	TG_GUARD(tg_hs_tr_hash(hs, hs->tr_prev, hh, &hl));
	/* constant-time compare inside; mismatch is decrypt_error */
	return tg_prf_finished_check((enum tg_hash)hs->cs->prf_hash, hs->master,
				     peer, hh, hl, fin.verify_data,
				     sizeof(fin.verify_data));
}

void tg_hs_established(struct tg_hs *hs)
{
	hs->keys_ready = true;
	hs->info.ems = hs->ems;
	hs->events |= TG_HS_EV_KEYS_READY;
	hs->st = T_ESTABLISHED;
	tg_kx_free(&hs->kx);
}

void tg_hs_set_sni(struct tg_hs *hs, const uint8_t *p, size_t n)
{
	if (n >= sizeof(hs->info.sni))
		n = sizeof(hs->info.sni) - 1;
	memcpy(hs->info.sni, p, n);
	hs->info.sni[n] = '\0';
}

void tg_hs_set_alpn(struct tg_hs *hs, const uint8_t *p, size_t n)
{
	if (n >= sizeof(hs->info.alpn))
		n = sizeof(hs->info.alpn) - 1;
	memcpy(hs->info.alpn, p, n);
	hs->info.alpn[n] = '\0';
}

/* The leaf's public key of a chain, verified against @p ca when set. */
tg_result tg_hs_peer_chain(struct tg_hs *hs,
				  const struct tg_hs_certificate *c,
				  const struct tg_ca *ca,
				  enum tg_verify_purpose purpose,
				  const char *host)
{
	struct tg_der der[TG_HS_MAX_CHAIN];

	TG_ENSURE(c->n > 0, TG_E_CERT_REQUIRED);
	for (size_t i = 0; i < c->n; i++) {
		der[i].p = c->cert[i].p;
		der[i].len = c->cert[i].len;
	}
	EVP_PKEY_free(hs->peer_key);
	hs->peer_key = NULL;
	if (ca != NULL) {
		TG_GUARD(tg_cert_verify(ca, der, c->n, purpose, host, 0,
					&hs->peer_key, NULL));
		hs->info.peer_verified = true;
	} else {
		const unsigned char *p = der[0].p;
		X509 *x = d2i_X509(NULL, &p, (long)der[0].len);

		TG_ENSURE(x != NULL && p == der[0].p + der[0].len,
			  TG_E_BAD_CERT);
		hs->peer_key = X509_get_pubkey(x);
		X509_free(x);
		TG_ENSURE(hs->peer_key != NULL, TG_E_UNSUPPORTED_CERT);
	}
	hs->info.peer_cert = true;
	return TG_OK;
}

/* ======================================================================
 * Server
 * ====================================================================== */

/* What a ClientHello offers, read once from its lists however long they
 * are (RFC 5246 §7.4.1.2: up to 32767 entries each), so that weighing a
 * suite and a certificate costs the same for any ClientHello. */
struct tg_srv_offer {
	uint32_t sigalgs; /* tg_sigalg_bit() set of its signature_algorithms */
	bool p256, p384;  /* ECDSA certificate curves it takes (RFC 8422 §5.1) */
	uint16_t group;   /* the ECDHE group, 0 when none in common */
};

static void tg_srv_offer_init(struct tg_hs *hs,
			      const struct tg_hs_client_hello *ch,
			      struct tg_srv_offer *o)
{
	bool groups = (ch->exts & TG_HS_EXT_SUPPORTED_GROUPS) != 0;
	size_t n;
	const uint16_t *ours = tg_hs_groups(hs->cfg, &n);
	struct tg_hs_u16_list rsa, ecdsa;

	/* RFC 5246 §7.4.1.4.1: without the extension a client takes
	 * {sha1, the suite's signature} only, which we never sign with
	 * (both sets are empty then) */
	tg_hs_client_sigalgs(ch, false, &rsa);
	tg_hs_client_sigalgs(ch, true, &ecdsa);
	o->sigalgs = tg_hs_sigalg_set(&rsa) | tg_hs_sigalg_set(&ecdsa);
	/* RFC 8422 §5.1: supported_groups bounds the certificate's curve
	 * too; without it, any curve (RFC 8422 §4) */
	o->p256 = !groups || tg_hs_u16_has(&ch->groups, TG_GROUP_SECP256R1);
	o->p384 = !groups || tg_hs_u16_has(&ch->groups, TG_GROUP_SECP384R1);
	o->group = 0;
	if (groups) {
		if (tg_failed(tg_hs_u16_select(&ch->groups, ours, n, &o->group)))
			o->group = 0;
	} else {
		/* RFC 8422 §4 leaves the curve to us. Such a client predates
		 * X25519 (RFC 4492 had the NIST curves only): the first NIST
		 * curve of ours, P-256 by default; X25519 only when we have
		 * nothing else */
		o->group = ours[0];
		for (size_t i = 0; i < n; i++) {
			if (ours[i] == TG_GROUP_SECP256R1 ||
			    ours[i] == TG_GROUP_SECP384R1) {
				o->group = ours[i];
				break;
			}
		}
	}
}

/* Whether certificate @p c can serve suite @p cs for this client. */
static bool tg_srv_cert_fits(const struct tg_cert *c,
			     const struct tg_cs_info *cs,
			     const struct tg_srv_offer *o)
{
	switch (tg_cert_key_type(c)) { /* known at load time */
	case TG_CERT_KEY_EC_P256:
		return cs->kx == TG_KX_ECDHE_ECDSA && o->p256;
	case TG_CERT_KEY_EC_P384:
		return cs->kx == TG_KX_ECDHE_ECDSA && o->p384;
	case TG_CERT_KEY_RSA:
		return cs->kx == TG_KX_ECDHE_RSA || cs->kx == TG_KX_RSA;
	case TG_CERT_KEY_RSA_PSS:
		/* RFC 4055 §1.2: an RSASSA-PSS key signs, never decrypts */
		return cs->kx == TG_KX_ECDHE_RSA;
	default:
		return false;
	}
}

/* A suite we can run for this ClientHello with the candidates @p m: the
 * first candidate (in their order) that fits the suite and can sign with
 * a scheme the client offered, the group and that scheme. */
static bool tg_srv_suite_ok(struct tg_hs *hs, const struct tg_cs_info *cs,
			    const struct tg_srv_offer *o,
			    const struct tg_cert_match *m,
			    const struct tg_cert **cert, uint16_t *group,
			    uint16_t *sigalg)
{
	const struct tg_hs_config *cfg = hs->cfg;
	size_t n_ours;
	const uint16_t *ours = tg_hs_sigalgs(cfg, &n_ours);

	if (cs->kx == TG_KX_RSA && !cfg->allow_static_rsa)
		return false;
	if (cs->kx != TG_KX_RSA && o->group == 0)
		return false;
	if (!tg_hs_suite_runs(cfg, cs->suite))
		return false;
	for (size_t i = 0; i < m->n; i++) {
		const struct tg_cert *c = m->c[i];
		uint16_t sa = 0;

		if (!tg_srv_cert_fits(c, cs, o))
			continue;
		if (cs->kx != TG_KX_RSA &&
		    tg_failed(tg_sig_choose(tg_cert_pkey(c), o->sigalgs, ours,
					    n_ours, &sa)))
			continue;
		*cert = c;
		*group = cs->kx == TG_KX_RSA ? 0 : o->group;
		*sigalg = sa;
		return true;
	}
	return false;
}

/* Pick the suite, certificate, group and signature scheme. */
static TG_MUST_CHECK tg_result tg_srv_negotiate(struct tg_hs *hs,
				  const struct tg_hs_client_hello *ch,
				  const struct tg_cert_match *m)
{
	size_t n;
	const uint16_t *ours = tg_hs_suites(hs->cfg, &n);
	struct tg_srv_offer o;

	tg_srv_offer_init(hs, ch, &o);
	if (hs->cfg->client_order) {
		for (size_t i = 0; i < ch->suites.n; i++) {
			uint16_t id = tg_hs_u16_at(&ch->suites, i);
			const struct tg_cs_info *cs = tg_cs_by_id(id);

			if (cs == NULL || !tg_hs_u16_in(id, ours, n))
				continue;
			if (tg_srv_suite_ok(hs, cs, &o, m, &hs->cert, &hs->group,
					    &hs->sigalg)) {
				hs->cs = cs;
				return TG_OK;
			}
		}
	} else {
		for (size_t i = 0; i < n; i++) {
			const struct tg_cs_info *cs = tg_cs_by_id(ours[i]);

			if (cs == NULL || !tg_hs_u16_has(&ch->suites, ours[i]))
				continue;
			if (tg_srv_suite_ok(hs, cs, &o, m, &hs->cert, &hs->group,
					    &hs->sigalg)) {
				hs->cs = cs;
				return TG_OK;
			}
		}
	}
	return tg_error(TG_E_HANDSHAKE_FAIL);
}

/*
 * RFC 7627 §5.3: "If the original session used the
 * "extended_master_secret" extension but the new ClientHello does not
 * contain it, the server MUST abort the abbreviated handshake." Checked
 * for any session the ClientHello offers that we found (a ticket that
 * opens, a cache entry), as OpenSSL does; the session is wiped with the
 * handshake. The other way round (a session without EMS, a ClientHello
 * with it) is only a full handshake (tg_srv_resumable).
 */
static TG_MUST_CHECK tg_result tg_srv_ems_consistent(struct tg_hs *hs,
				       const struct tg_hs_client_hello *ch)
{
	if (hs->resume.ems && !(ch->exts & TG_HS_EXT_EMS)) {
		tg_wipe(&hs->resume, sizeof(hs->resume));
		return tg_error(TG_E_HANDSHAKE_FAIL);
	}
	return TG_OK;
}

_Static_assert(sizeof(((struct tg_sess_state *)0)->ca_id) == TG_CA_ID_LEN,
	       "a session keeps a whole CA identity");

/* Was the session's client certificate verified by the trust anchors in
 * force now (the same set's identity), with client auth still asked? */
bool tg_srv_verified_now(const struct tg_hs *hs, const struct tg_sess_state *st)
{
	uint8_t id[TG_CA_ID_LEN];

	if (!st->peer_verified || hs->cfg->client_ca == NULL ||
	    hs->cfg->client_auth == TG_HS_CLIENT_AUTH_NONE)
		return false;
	tg_ca_id(hs->cfg->client_ca, id);
	return CRYPTO_memcmp(id, st->ca_id, sizeof(id)) == 0;
}

/* Can the offered session be resumed with this ClientHello? */
static bool tg_srv_resumable(struct tg_hs *hs,
			     const struct tg_hs_client_hello *ch,
			     const struct tg_sess_state *st)
{
	const struct tg_cs_info *cs = tg_cs_by_id(st->cipher_suite);
	size_t n;
	const uint16_t *ours = tg_hs_suites(hs->cfg, &n);

	if (cs == NULL || !tg_hs_u16_has(&ch->suites, st->cipher_suite) ||
	    !tg_hs_u16_in(st->cipher_suite, ours, n))
		return false;
	if (cs->kx == TG_KX_RSA && !hs->cfg->allow_static_rsa)
		return false;
	/* RFC 7627 §5.3: only sessions with EMS, only with an EMS hello */
	if (!st->ems || !(ch->exts & TG_HS_EXT_EMS))
		return false;
	/* RFC 6066 §3: the same server name */
	if (st->sni_len != ch->host_name.len ||
	    (st->sni_len && memcmp(st->sni, ch->host_name.p, st->sni_len) != 0))
		return false;
	/* a client certificate required now must have been verified then,
	 * by the CAs in force now (a reload may have changed them) */
	if (hs->cfg->client_auth == TG_HS_CLIENT_AUTH_REQUIRE &&
	    !tg_srv_verified_now(hs, st))
		return false;
	return true;
}

tg_result tg_srv_select_alpn(struct tg_hs *hs,
				    const struct tg_hs_client_hello *ch)
{
	const struct tg_hs_config *cfg = hs->cfg;

	if (!(ch->exts & TG_HS_EXT_ALPN) || cfg->n_alpn == 0)
		return TG_OK;
	for (unsigned i = 0; i < cfg->n_alpn; i++) {
		size_t l = strlen(cfg->alpn[i]);

		if (tg_hs_alpn_offered(ch, cfg->alpn[i], l)) {
			tg_hs_set_alpn(hs, (const uint8_t *)cfg->alpn[i], l);
			return TG_OK;
		}
	}
	/* RFC 7301 §3.2 */
	TG_ENSURE(!cfg->alpn_required, TG_E_NO_ALPN);
	return TG_OK;
}

static void tg_srv_state(const struct tg_hs *hs, struct tg_sess_state *st)
{
	memset(st, 0, sizeof(*st));
	memcpy(st->master_secret, hs->master, sizeof(hs->master));
	st->cipher_suite = hs->cs->id;
	st->ems = hs->ems;
	st->created = hs->resume_created;
	st->peer_verified = hs->info.peer_verified && hs->cfg->client_ca != NULL;
	if (st->peer_verified)
		tg_ca_id(hs->cfg->client_ca, st->ca_id);
	if (tg_failed(tg_sess_set_sni(st, hs->info.sni, strlen(hs->info.sni))) ||
	    tg_failed(tg_sess_set_alpn(st, hs->info.alpn, strlen(hs->info.alpn))))
		st->sni_len = 0; /* bounded by construction */
}

static TG_MUST_CHECK tg_result tg_srv_send_ticket(struct tg_hs *hs)
{
	struct tg_sess_state st;
	struct tg_hs_new_session_ticket nst;
	uint8_t t[TG_TICKET_STATE_MAX + 128];
	size_t tl;
	tg_result r;

	tg_srv_state(hs, &st);
	r = tg_ticket_seal(hs->cfg->tickets, &st, t, sizeof(t), &tl);
	tg_wipe(&st, sizeof(st));
	TG_GUARD(r);
	nst.lifetime_hint = tg_ticket_keys_lifetime(hs->cfg->tickets);
	nst.ticket.p = t;
	nst.ticket.len = tl;
	TG_HS_SEND(hs, tg_hs_new_session_ticket_write(w, &nst));
	return TG_OK;
}

static TG_MUST_CHECK tg_result tg_srv_server_hello(struct tg_hs *hs,
				     const struct tg_hs_client_hello *ch)
{
	struct tg_hs_server_hello sh;

	memset(&sh, 0, sizeof(sh));
	sh.version = TG_TLS12;
	memcpy(sh.random, hs->server_random, sizeof(sh.random));
	sh.session_id_len = hs->sid_len;
	memcpy(sh.session_id, hs->sid, hs->sid_len);
	sh.suite = hs->cs->id;
	if (hs->secure_reneg)
		sh.exts |= TG_HS_EXT_RENEGOTIATION_INFO;
	if (hs->ems)
		sh.exts |= TG_HS_EXT_EMS;
	if (hs->info.alpn[0] && (ch->exts & TG_HS_EXT_ALPN)) {
		sh.exts |= TG_HS_EXT_ALPN;
		sh.alpn.p = (const uint8_t *)hs->info.alpn;
		sh.alpn.len = strlen(hs->info.alpn);
	}
	if (hs->send_ticket)
		sh.exts |= TG_HS_EXT_SESSION_TICKET;
	if (hs->cs->kx != TG_KX_RSA && hs->info.resumed == TG_HS_FULL &&
	    (ch->exts & TG_HS_EXT_EC_POINT_FORMATS)) {
		static const uint8_t uncompressed = 0;

		sh.exts |= TG_HS_EXT_EC_POINT_FORMATS;
		sh.point_formats.p = &uncompressed;
		sh.point_formats.len = 1;
	}
	sh.has_ext_block = sh.exts != 0;
	TG_HS_SEND(hs, tg_hs_server_hello_write(w, &sh));
	return TG_OK;
}

static TG_MUST_CHECK tg_result tg_srv_full_flight(struct tg_hs *hs)
{
	const struct tg_hs_config *cfg = hs->cfg;
	struct tg_hs_certificate cm;
	size_t n;
	const struct tg_der *chain = tg_cert_chain(hs->cert, &n);

	/* Certificate (RFC 5246 §7.4.2) */
	TG_ENSURE(n >= 1 && n <= TG_HS_MAX_CHAIN, TG_E_INTERNAL);
	cm.n = n;
	for (size_t i = 0; i < n; i++) {
		cm.cert[i].p = chain[i].p;
		cm.cert[i].len = chain[i].len;
	}
	TG_HS_SEND(hs, tg_hs_certificate_write(w, &cm));

	/* ServerKeyExchange (RFC 8422 §5.4) */
	if (hs->cs->kx != TG_KX_RSA) {
		struct tg_hs_server_key_exchange ske;
		uint8_t pub[TG_KX_MAX_PUB], tbs[TG_HS_SKE_SIGNED_MAX];
		uint8_t sig[TG_SIG_MAX_LEN];
		size_t pl, sl;
		struct tg_wcur tw = tg_wcur_init(tbs, sizeof(tbs));

		TG_GUARD(tg_kx_keygen(&hs->kx, hs->group));
		TG_GUARD(tg_kx_public(&hs->kx, pub, sizeof(pub), &pl));
		ske.group = hs->group;
		ske.point.p = pub;
		ske.point.len = pl;
		ske.sigalg = hs->sigalg;
		TG_GUARD(tg_hs_ske_signed_data(hs->client_random,
					       hs->server_random, &ske, &tw));
		TG_GUARD(tg_sig_sign(hs->sigalg, tg_cert_pkey(hs->cert), tbs,
				     tw.pos, sig, sizeof(sig), &sl));
		ske.sig.p = sig;
		ske.sig.len = sl;
		TG_HS_SEND(hs, tg_hs_server_key_exchange_write(w, &ske));
		hs->info.group = hs->group;
		hs->info.sigalg = hs->sigalg;
	}

	/* CertificateRequest (RFC 5246 §7.4.4) */
	if (cfg->client_auth != TG_HS_CLIENT_AUTH_NONE) {
		static const uint8_t types[] = { 1 /* rsa_sign */,
						 64 /* ecdsa_sign */ };
		struct tg_hs_certificate_request cr;
		const uint16_t *sa = tg_hs_sigalgs(cfg, &n);
		uint8_t cas[8192];
		struct tg_wcur cw = tg_wcur_init(cas, sizeof(cas));
		size_t nn = 0;

		memset(&cr, 0, sizeof(cr));
		cr.cert_types.p = types;
		cr.cert_types.len = sizeof(types);
		cr.sigalgs.host = sa;
		cr.sigalgs.n = n;
		if (cfg->client_ca != NULL) {
			const struct tg_der *names = tg_ca_names(cfg->client_ca, &nn);

			for (size_t i = 0; i < nn; i++) {
				size_t mark;

				/* a list too long for the buffer is cut short:
				 * the names are only a hint (RFC 5246 §7.4.4) */
				if (names[i].len + 2 > tg_wcur_left(&cw))
					break;
				TG_GUARD(tg_wcur_vec_begin(&cw, 2, &mark));
				TG_GUARD(tg_wcur_bytes(&cw, names[i].p, names[i].len));
				TG_GUARD(tg_wcur_vec_end(&cw, 2, mark));
			}
		}
		cr.cas.p = cas;
		cr.cas.len = cw.pos;
		TG_HS_SEND(hs, tg_hs_certificate_request_write(w, &cr));
	}

	TG_HS_SEND(hs, tg_hs_server_hello_done_write(w));
	TG_GUARD(tg_hsio_flush(&hs->io));
	hs->st = cfg->client_auth != TG_HS_CLIENT_AUTH_NONE ? S_CLIENT_CERT
							    : S_CLIENT_KX;
	return TG_OK;
}

static TG_MUST_CHECK tg_result tg_srv_client_hello(struct tg_hs *hs, struct tg_hsio_msg *m)
{
	const struct tg_hs_config *cfg = hs->cfg;
	struct tg_hs_client_hello ch;
	struct tg_cert_match match;
	bool resumed = false;

	TG_GUARD(tg_hs_client_hello_parse(&m->body, &ch));
	hs->client_version = ch.version;
	memcpy(hs->client_random, ch.random, sizeof(hs->client_random));
	/* RFC 8446 §4.2.1: supported_versions decides when it is there */
	if (tg_srv13_wanted(hs, &ch))
		return tg_srv13_client_hello(hs, &ch, m);
	/* a client that offers TLS 1.3 only, and we do not */
	TG_ENSURE(!(ch.exts & TG_HS_EXT_SUPPORTED_VERSIONS) ||
			  tg_hs_u16_has(&ch.versions, TG_TLS12),
		  TG_E_PROTOCOL_VERSION);
	/* RFC 5246 §7.4.1.2, Appendix E: 1.2 is the least we speak */
	TG_ENSURE(ch.version >= TG_TLS12, TG_E_PROTOCOL_VERSION);
	TG_ENSURE(cfg->versions == 0 || (cfg->versions & TG_HS_VERSION_TLS12),
		  TG_E_PROTOCOL_VERSION);
	/* RFC 7507 §3 */
	TG_ENSURE(!(ch.scsv_fallback && tg_hs_tls13_capable(cfg)),
		  TG_E_INAPPROPRIATE_FALLBACK);
	TG_GUARD(tg_hs_client_hello_reneg_check(&ch, &hs->secure_reneg));
	/* RFC 7627 §5.2: we require extended_master_secret by default */
	hs->ems = (ch.exts & TG_HS_EXT_EMS) != 0;
	TG_ENSURE(hs->ems || cfg->allow_no_ems, TG_E_HANDSHAKE_FAIL);
	if (ch.exts & TG_HS_EXT_SERVER_NAME)
		tg_hs_set_sni(hs, ch.host_name.p, ch.host_name.len);
	TG_ENSURE(cfg->certs != NULL, TG_E_INTERNAL);
	TG_GUARD(tg_cert_store_select(cfg->certs, (const char *)ch.host_name.p,
				      ch.host_name.len, &match));
	TG_GUARD(tg_srv_select_alpn(hs, &ch));
	hs->client_ext_ticket = (ch.exts & TG_HS_EXT_SESSION_TICKET) != 0;

	/* Resumption: a ticket first (RFC 5077 §3.4), then the session ID. */
	if (cfg->tickets != NULL && hs->client_ext_ticket && ch.ticket.len > 0) {
		enum tg_ticket_status ts = tg_ticket_open(cfg->tickets, ch.ticket.p,
							  ch.ticket.len,
							  &hs->resume);

		if (ts != TG_TICKET_INVALID)
			TG_GUARD(tg_srv_ems_consistent(hs, &ch));
		if (ts != TG_TICKET_INVALID && tg_srv_resumable(hs, &ch, &hs->resume)) {
			resumed = true;
			hs->info.resumed = TG_HS_RESUMED_TICKET;
			hs->send_ticket = ts == TG_TICKET_RENEW;
			/* RFC 5077 §3.4: echo the client's session ID */
			hs->sid_len = ch.session_id_len;
			memcpy(hs->sid, ch.session_id, ch.session_id_len);
		}
	}
	if (!resumed && cfg->cache != NULL && ch.session_id_len > 0 &&
	    tg_ok(tg_sesscache_get(cfg->cache, ch.session_id, ch.session_id_len,
				   &hs->resume))) {
		TG_GUARD(tg_srv_ems_consistent(hs, &ch));
		if (tg_srv_resumable(hs, &ch, &hs->resume)) {
			resumed = true;
			hs->info.resumed = TG_HS_RESUMED_ID;
			hs->sid_len = ch.session_id_len;
			memcpy(hs->sid, ch.session_id, ch.session_id_len);
		}
	}

	TG_GUARD(tg_rand_public(hs->server_random, sizeof(hs->server_random)));
	if (tg_hs_tls13_capable(cfg)) /* RFC 8446 §4.1.3 */
		memcpy(hs->server_random + 24, TG_TLS_DOWNGRADE_TLS12, 8);

	if (resumed) {
		hs->cs = tg_cs_by_id(hs->resume.cipher_suite);
		memcpy(hs->master, hs->resume.master_secret, sizeof(hs->master));
		/* the session's client certificate: sessions keep only
		 * whether it verified, and an unverified one never makes a
		 * session (tg_srv_state) */
		hs->info.peer_verified = tg_srv_verified_now(hs, &hs->resume);
		hs->info.peer_cert = hs->info.peer_verified;
		/* a renewed ticket keeps the session's age (tg_ticket.h) */
		hs->resume_created = hs->resume.created;
		/* ALPN is negotiated afresh from this ClientHello (above) */
		tg_wipe(&hs->resume, sizeof(hs->resume));
		hs->info.suite = hs->cs->id;
		TG_GUARD(tg_srv_server_hello(hs, &ch));
		if (hs->send_ticket)
			TG_GUARD(tg_srv_send_ticket(hs));
		TG_GUARD(tg_hs_key_block(hs));
		TG_GUARD(tg_hs_send_ccs_finished(hs));
		hs->st = S_CCS_RESUMED;
		return TG_OK;
	}
	tg_wipe(&hs->resume, sizeof(hs->resume));

	TG_GUARD(tg_srv_negotiate(hs, &ch, &match));
	hs->info.suite = hs->cs->id;
	/* 1: an RSA key (rsaEncryption or RSASSA-PSS), 2: ECDSA */
	hs->info.cert_type = tg_cert_key_type(hs->cert) == TG_CERT_KEY_EC_P256 ||
					     tg_cert_key_type(hs->cert) ==
						     TG_CERT_KEY_EC_P384
				     ? 2
				     : 1;
	hs->send_ticket = cfg->tickets != NULL && hs->client_ext_ticket;
	if (cfg->cache != NULL) {
		hs->sid_len = TG_TLS_SESSION_ID_MAX;
		TG_GUARD(tg_rand_public(hs->sid, hs->sid_len));
	}
	TG_GUARD(tg_srv_server_hello(hs, &ch));
	return tg_srv_full_flight(hs);
}

static TG_MUST_CHECK tg_result tg_srv_client_cert(struct tg_hs *hs, struct tg_hsio_msg *m)
{
	const struct tg_hs_config *cfg = hs->cfg;
	struct tg_hs_certificate c;

	TG_GUARD(tg_hs_certificate_parse(&m->body, &c));
	if (c.n == 0) {
		/* RFC 5246 §7.4.6: no certificate; our policy decides */
		TG_ENSURE(cfg->client_auth != TG_HS_CLIENT_AUTH_REQUIRE,
			  TG_E_CERT_REQUIRED);
		hs->st = S_CLIENT_KX;
		return TG_OK;
	}
	TG_ENSURE(cfg->client_ca != NULL, TG_E_UNKNOWN_CA);
	TG_GUARD(tg_hs_peer_chain(hs, &c, cfg->client_ca, TG_VERIFY_CLIENT, NULL));
	hs->st = S_CLIENT_KX;
	return TG_OK;
}

static TG_MUST_CHECK tg_result tg_srv_client_kx(struct tg_hs *hs, struct tg_hsio_msg *m)
{
	struct tg_hs_client_key_exchange cke;
	uint8_t pms[TG_KX_MAX_SECRET > TG_TLS_PREMASTER_RSA_LEN
			    ? TG_KX_MAX_SECRET : TG_TLS_PREMASTER_RSA_LEN];
	size_t pl = 0;
	tg_result r;

	TG_GUARD(tg_hs_client_key_exchange_parse(
		&m->body, hs->cs->kx == TG_KX_RSA ? TG_HS_KX_RSA : TG_HS_KX_ECDHE,
		&cke));
	if (hs->cs->kx == TG_KX_RSA) {
		/* RFC 5246 §7.4.7.1: failures become a random premaster */
		r = tg_kx_rsa_decrypt(tg_cert_pkey(hs->cert), cke.data.p,
				      cke.data.len, hs->client_version, pms);
		pl = TG_TLS_PREMASTER_RSA_LEN;
	} else {
		r = tg_kx_derive(&hs->kx, cke.data.p, cke.data.len, pms,
				 sizeof(pms), &pl);
	}
	if (tg_ok(r))
		r = tg_hs_derive(hs, pms, pl);
	tg_wipe(pms, sizeof(pms));
	tg_kx_free(&hs->kx);
	TG_GUARD(r);
	TG_GUARD(tg_hs_key_block(hs));
	hs->st = hs->info.peer_cert ? S_CERT_VERIFY : S_CCS;
	return TG_OK;
}

/* CertificateVerify over the transcript before it (RFC 5246 §7.4.8). */
static TG_MUST_CHECK tg_result tg_hs_check_cert_verify(struct tg_hs *hs, struct tg_cur *body)
{
	struct tg_hs_certificate_verify cv;
	size_t n;
	const uint16_t *ours = tg_hs_sigalgs(hs->cfg, &n);

	TG_GUARD(tg_hs_certificate_verify_parse(body, &cv));
	TG_ENSURE(tg_hs_u16_in(cv.sigalg, ours, n), TG_E_ILLEGAL_PARAM);
	TG_GUARD(tg_sig_check_key(cv.sigalg, hs->peer_key));
	return tg_sig_verify(cv.sigalg, hs->peer_key, hs->tr, hs->tr_prev,
			     cv.sig.p, cv.sig.len);
}

static TG_MUST_CHECK tg_result tg_srv_cert_verify(struct tg_hs *hs, struct tg_hsio_msg *m)
{
	TG_GUARD(tg_hs_check_cert_verify(hs, &m->body));
	hs->st = S_CCS;
	return TG_OK;
}

/* The peer's ChangeCipherSpec: its records are protected from now on. */
static TG_MUST_CHECK tg_result tg_hs_peer_ccs(struct tg_hs *hs, struct tg_hsio_msg *m)
{
	struct tg_accel_sess *rx = NULL;

	(void)m;
	TG_GUARD(tg_hs_sess(hs, &hs->k_rx, &rx));
	tg_hsio_set_rx(&hs->io, rx);
	switch (hs->st) {
	case S_CCS: hs->st = S_FINISHED; break;
	case S_CCS_RESUMED: hs->st = S_FINISHED_RESUMED; break;
	case C_NST_OR_CCS:
	case C_CCS: hs->st = C_FINISHED; break;
	case C_NST_OR_CCS_RESUMED:
	case C_CCS_RESUMED: hs->st = C_FINISHED_RESUMED; break;
	default: return tg_error(TG_E_UNEXPECTED_MSG);
	}
	return TG_OK;
}

static TG_MUST_CHECK tg_result tg_srv_finished(struct tg_hs *hs, struct tg_hsio_msg *m)
{
	const struct tg_hs_config *cfg = hs->cfg;

	TG_GUARD(tg_hs_check_finished(hs, &m->body));
	if (hs->send_ticket)
		TG_GUARD(tg_srv_send_ticket(hs));
	if (cfg->cache != NULL && hs->sid_len > 0) {
		struct tg_sess_state st;

		tg_srv_state(hs, &st);
		/* a full cache or a failed put only costs a resumption */
		if (tg_failed(tg_sesscache_put(cfg->cache, hs->sid, hs->sid_len, &st)))
			TG_DEBUG("hs: session not cached");
		tg_wipe(&st, sizeof(st));
	}
	TG_GUARD(tg_hs_send_ccs_finished(hs));
	tg_hs_established(hs);
	return TG_OK;
}

static TG_MUST_CHECK tg_result tg_srv_finished_resumed(struct tg_hs *hs, struct tg_hsio_msg *m)
{
	TG_GUARD(tg_hs_check_finished(hs, &m->body));
	tg_hs_established(hs);
	return TG_OK;
}

/* ======================================================================
 * Client
 * ====================================================================== */

tg_result tg_cli_hello_name_alpn(const struct tg_hs_config *cfg,
				  struct tg_hs_client_hello *ch, uint8_t *buf,
				  size_t cap)
{
	const char *names[TG_HS_MAX_ALPN];

	if (cfg->server_name[0]) {
		ch->exts |= TG_HS_EXT_SERVER_NAME;
		ch->host_name.p = (const uint8_t *)cfg->server_name;
		ch->host_name.len = strlen(cfg->server_name);
	}
	if (cfg->n_alpn) {
		for (unsigned i = 0; i < cfg->n_alpn; i++)
			names[i] = cfg->alpn[i];
		TG_GUARD(tg_hs_alpn_encode(names, cfg->n_alpn, buf, cap, &ch->alpn,
					   &ch->alpn_count));
		ch->exts |= TG_HS_EXT_ALPN;
	}
	return TG_OK;
}

static TG_MUST_CHECK tg_result tg_cli_client_hello(struct tg_hs *hs)
{
	const struct tg_hs_config *cfg = hs->cfg;
	struct tg_hs_client_hello ch;
	uint16_t suites[TG_HS_MAX_PREFS + 1];
	const uint16_t *l;
	size_t n;
	uint8_t alpn[TG_HS_MAX_ALPN * (TG_HS_ALPN_LEN + 1)];
	static const uint8_t uncompressed = 0, null_comp = 0;

	memset(&ch, 0, sizeof(ch));
	ch.version = TG_TLS12;
	TG_GUARD(tg_rand_public(hs->client_random, sizeof(hs->client_random)));
	memcpy(ch.random, hs->client_random, sizeof(ch.random));
	l = tg_hs_suites(cfg, &n);
	memcpy(suites, l, n * sizeof(*l));
	suites[n++] = TG_CS_EMPTY_RENEGOTIATION_INFO_SCSV; /* RFC 5746 §3.3 */
	ch.suites.host = suites;
	ch.suites.n = n;
	ch.compression.p = &null_comp;
	ch.compression.len = 1;
	l = tg_hs_groups(cfg, &n);
	ch.groups.host = l;
	ch.groups.n = n;
	ch.point_formats.p = &uncompressed;
	ch.point_formats.len = 1;
	l = tg_hs_sigalgs(cfg, &n);
	ch.sigalgs.host = l;
	ch.sigalgs.n = n;
	ch.exts = TG_HS_EXT_SUPPORTED_GROUPS | TG_HS_EXT_EC_POINT_FORMATS |
		  TG_HS_EXT_SIGNATURE_ALGS | TG_HS_EXT_EMS;
	TG_GUARD(tg_cli_hello_name_alpn(cfg, &ch, alpn, sizeof(alpn)));
	if (hs->sess.valid) {
		if (hs->sess.ticket_len > 0) {
			/* RFC 5077 §3.4: a fresh session ID tells us whether
			 * the server accepted the ticket */
			hs->sid_len = TG_TLS_SESSION_ID_MAX;
			TG_GUARD(tg_rand_public(hs->sid, hs->sid_len));
		} else {
			hs->sid_len = hs->sess.id_len;
			memcpy(hs->sid, hs->sess.id, hs->sid_len);
		}
	}
	ch.session_id_len = hs->sid_len;
	memcpy(ch.session_id, hs->sid, hs->sid_len);
	if (cfg->offer_ticket || hs->sess.ticket_len > 0) {
		ch.exts |= TG_HS_EXT_SESSION_TICKET;
		ch.ticket.p = hs->sess.ticket;
		ch.ticket.len = hs->sess.valid ? hs->sess.ticket_len : 0;
		hs->client_ext_ticket = true;
	}
	ch.has_ext_block = true;
	TG_HS_SEND(hs, tg_hs_client_hello_write(w, &ch));
	TG_GUARD(tg_hsio_flush(&hs->io));
	hs->st = C_SERVER_HELLO;
	return TG_OK;
}

tg_result tg_cli_alpn(struct tg_hs *hs, const struct tg_hs_bytes *p)
{
	const struct tg_hs_config *cfg = hs->cfg;
	bool offered = false;

	for (unsigned i = 0; i < cfg->n_alpn; i++)
		offered |= strlen(cfg->alpn[i]) == p->len &&
			   memcmp(cfg->alpn[i], p->p, p->len) == 0;
	/* RFC 7301 §3.2: only what we offered */
	TG_ENSURE(offered, TG_E_ILLEGAL_PARAM);
	tg_hs_set_alpn(hs, p->p, p->len);
	return TG_OK;
}

static TG_MUST_CHECK tg_result tg_cli_server_hello(struct tg_hs *hs, struct tg_hsio_msg *m)
{
	const struct tg_hs_config *cfg = hs->cfg;
	struct tg_hs_server_hello sh;
	size_t n;
	const uint16_t *ours = tg_hs_suites(cfg, &n);

	TG_GUARD(tg_hs_server_hello_parse(&m->body, &sh));
	/* RFC 8446 §4.2.1: supported_versions decides */
	if (tg_cli13_chosen(hs, &sh))
		return tg_cli13_server_hello(hs, &sh);
	/* RFC 8446 §4.1.3: a client that offered TLS 1.3 and gets TLS 1.2
	 * or below aborts on either sentinel ("DOWNGRD\1" for 1.2,
	 * "DOWNGRD\0" for 1.1 and below), before anything else */
	if (hs->offered13) {
		tg_kx_free(&hs->kx); /* our TLS 1.3 key share */
		TG_ENSURE(tg_hs_downgrade_sentinel(sh.random) == 0,
			  TG_E_ILLEGAL_PARAM);
		TG_ENSURE(cfg->versions & TG_HS_VERSION_TLS12,
			  TG_E_PROTOCOL_VERSION);
	}
	/* TLS 1.3's extensions: we did not offer TLS 1.3, or (with
	 * supported_versions absent) this is a TLS 1.2 answer */
	TG_ENSURE(!(sh.exts & (TG_HS_EXT_SUPPORTED_VERSIONS | TG_HS_EXT_KEY_SHARE |
			       TG_HS_EXT_PRE_SHARED_KEY | TG_HS_EXT_COOKIE)),
		  TG_E_UNSUPPORTED_EXT);
	TG_ENSURE(sh.version == TG_TLS12, TG_E_PROTOCOL_VERSION);
	/* RFC 8446 §4.1.3: a TLS 1.2 client checks for "DOWNGRD\0" */
	TG_ENSURE(tg_hs_downgrade_sentinel(sh.random) != 1, TG_E_ILLEGAL_PARAM);
	memcpy(hs->server_random, sh.random, sizeof(hs->server_random));
	hs->cs = tg_cs_by_id(sh.suite);
	TG_ENSURE(hs->cs != NULL && tg_hs_u16_in(sh.suite, ours, n),
		  TG_E_ILLEGAL_PARAM);
	TG_GUARD(tg_hs_server_hello_reneg_check(&sh, &hs->secure_reneg));
	hs->ems = (sh.exts & TG_HS_EXT_EMS) != 0;
	TG_ENSURE(hs->ems || cfg->allow_no_ems, TG_E_HANDSHAKE_FAIL);
	if (sh.exts & TG_HS_EXT_ALPN)
		TG_GUARD(tg_cli_alpn(hs, &sh.alpn));
	/* RFC 5246 §7.4.1.4: only extensions we offered may come back */
	TG_ENSURE(!(sh.exts & TG_HS_EXT_SESSION_TICKET) || hs->client_ext_ticket,
		  TG_E_UNSUPPORTED_EXT);
	TG_ENSURE(!(sh.exts & TG_HS_EXT_STATUS_REQUEST), TG_E_UNSUPPORTED_EXT);
	TG_ENSURE(!(sh.exts & TG_HS_EXT_SERVER_NAME) || cfg->server_name[0],
		  TG_E_UNSUPPORTED_EXT);
	hs->info.suite = sh.suite;
	if (cfg->server_name[0])
		snprintf(hs->info.sni, sizeof(hs->info.sni), "%s", cfg->server_name);

	/* Resumed when the server echoes our non-empty session ID. */
	if (hs->sess.valid && !hs->sess.tls13 && hs->sid_len > 0 &&
	    sh.session_id_len == hs->sid_len &&
	    memcmp(sh.session_id, hs->sid, hs->sid_len) == 0) {
		TG_ENSURE(sh.suite == hs->sess.suite && hs->ems == hs->sess.ems,
			  TG_E_ILLEGAL_PARAM);
		memcpy(hs->master, hs->sess.master, sizeof(hs->master));
		hs->info.resumed = hs->sess.ticket_len ? TG_HS_RESUMED_TICKET
						       : TG_HS_RESUMED_ID;
		TG_GUARD(tg_hs_key_block(hs));
		hs->st = C_NST_OR_CCS_RESUMED;
		return TG_OK;
	}
	hs->sid_len = sh.session_id_len;
	memcpy(hs->sid, sh.session_id, sh.session_id_len);
	/* a new session: only a NewSessionTicket of this handshake may give
	 * it a ticket (the old one belongs to the old master secret) */
	hs->sess.ticket_len = 0;
	hs->st = C_CERT;
	return TG_OK;
}

static TG_MUST_CHECK tg_result tg_cli_cert(struct tg_hs *hs, struct tg_hsio_msg *m)
{
	struct tg_hs_certificate c;
	enum tg_key_type kt;
	uint16_t curve;

	TG_GUARD(tg_hs_certificate_parse(&m->body, &c));
	TG_ENSURE(c.n > 0, TG_E_DECODE);
	TG_GUARD(tg_hs_peer_chain(hs, &c, hs->cfg->ca, TG_VERIFY_SERVER,
				  hs->cfg->server_name[0] ? hs->cfg->server_name
							  : NULL));
	TG_GUARD(tg_sig_key_info(hs->peer_key, &kt, &curve));
	/* the certificate must fit the suite (RFC 5246 §7.4.2); an
	 * RSASSA-PSS key signs (ECDHE_RSA) but never decrypts (RFC 4055) */
	TG_ENSURE(hs->cs->kx == TG_KX_ECDHE_ECDSA ? kt == TG_KEY_EC
		  : hs->cs->kx == TG_KX_ECDHE_RSA
			  ? kt == TG_KEY_RSA || kt == TG_KEY_RSA_PSS
			  : kt == TG_KEY_RSA,
		  TG_E_UNSUPPORTED_CERT);
	hs->info.cert_type = kt == TG_KEY_EC ? 2 : 1;
	hs->st = hs->cs->kx == TG_KX_RSA ? C_CR_OR_DONE : C_SKE;
	return TG_OK;
}

static TG_MUST_CHECK tg_result tg_cli_ske(struct tg_hs *hs, struct tg_hsio_msg *m)
{
	struct tg_hs_server_key_exchange ske;
	uint8_t tbs[TG_HS_SKE_SIGNED_MAX];
	struct tg_wcur tw = tg_wcur_init(tbs, sizeof(tbs));
	size_t n;
	const uint16_t *l;

	TG_GUARD(tg_hs_server_key_exchange_parse(&m->body, &ske));
	l = tg_hs_groups(hs->cfg, &n);
	TG_ENSURE(tg_hs_u16_in(ske.group, l, n), TG_E_ILLEGAL_PARAM);
	l = tg_hs_sigalgs(hs->cfg, &n);
	TG_ENSURE(tg_hs_u16_in(ske.sigalg, l, n), TG_E_ILLEGAL_PARAM);
	TG_GUARD(tg_sig_check_key(ske.sigalg, hs->peer_key));
	TG_GUARD(tg_hs_ske_signed_data(hs->client_random, hs->server_random,
				       &ske, &tw));
	TG_GUARD(tg_sig_verify(ske.sigalg, hs->peer_key, tbs, tw.pos, ske.sig.p,
			       ske.sig.len));
	TG_ENSURE(ske.point.len <= sizeof(hs->ske_point), TG_E_ILLEGAL_PARAM);
	memcpy(hs->ske_point, ske.point.p, ske.point.len);
	hs->ske_point_len = ske.point.len;
	hs->group = ske.group;
	hs->info.group = ske.group;
	hs->info.sigalg = ske.sigalg;
	hs->st = C_CR_OR_DONE;
	return TG_OK;
}

static TG_MUST_CHECK tg_result tg_cli_cert_request(struct tg_hs *hs, struct tg_hsio_msg *m)
{
	struct tg_hs_certificate_request cr;

	TG_GUARD(tg_hs_certificate_request_parse(&m->body, &cr));
	hs->cert_requested = true;
	/* the whole list, however long (RFC 5246 §7.4.4: <2..2^16-2>) */
	hs->cr_sigalgs = tg_hs_sigalg_set(&cr.sigalgs);
	hs->st = C_DONE;
	return TG_OK;
}

static TG_MUST_CHECK tg_result tg_cli_server_done(struct tg_hs *hs, struct tg_hsio_msg *m)
{
	const struct tg_hs_config *cfg = hs->cfg;
	struct tg_hs_client_key_exchange cke;
	uint8_t pub[TG_KX_MAX_PUB > 1024 ? TG_KX_MAX_PUB : 1024];
	uint8_t pms[TG_KX_MAX_SECRET > TG_TLS_PREMASTER_RSA_LEN
			    ? TG_KX_MAX_SECRET : TG_TLS_PREMASTER_RSA_LEN];
	size_t pl, publ;
	uint16_t cv_alg = 0;
	tg_result r;

	TG_GUARD(tg_hs_server_hello_done_parse(&m->body));

	/* Certificate (RFC 5246 §7.4.6): ours, or an empty list */
	if (hs->cert_requested) {
		struct tg_hs_certificate cm = { .n = 0 };
		size_t sn;
		const uint16_t *ours = tg_hs_sigalgs(cfg, &sn);

		if (cfg->client_cert != NULL &&
		    tg_ok(tg_sig_choose(tg_cert_pkey(cfg->client_cert),
					hs->cr_sigalgs, ours, sn, &cv_alg))) {
			size_t n;
			const struct tg_der *chain = tg_cert_chain(cfg->client_cert, &n);

			TG_ENSURE(n <= TG_HS_MAX_CHAIN, TG_E_INTERNAL);
			cm.n = n;
			for (size_t i = 0; i < n; i++) {
				cm.cert[i].p = chain[i].p;
				cm.cert[i].len = chain[i].len;
			}
		}
		TG_HS_SEND(hs, tg_hs_certificate_write(w, &cm));
	}

	/* ClientKeyExchange */
	if (hs->cs->kx == TG_KX_RSA) {
		r = tg_kx_rsa_encrypt(hs->peer_key, TG_TLS12, pms, pub, sizeof(pub),
				      &publ);
		pl = TG_TLS_PREMASTER_RSA_LEN;
		cke.kx = TG_HS_KX_RSA;
	} else {
		r = tg_kx_keygen(&hs->kx, hs->group);
		if (tg_ok(r))
			r = tg_kx_public(&hs->kx, pub, sizeof(pub), &publ);
		if (tg_ok(r))
			r = tg_kx_derive(&hs->kx, hs->ske_point, hs->ske_point_len,
					 pms, sizeof(pms), &pl);
		tg_kx_free(&hs->kx);
		cke.kx = TG_HS_KX_ECDHE;
	}
	if (tg_failed(r)) {
		tg_wipe(pms, sizeof(pms));
		return r;
	}
	cke.data.p = pub;
	cke.data.len = publ;
	{
		struct tg_wcur w_ = tg_wcur_init(tg_hs_scratch, TG_HS_MSG_MAX);

		r = tg_hs_client_key_exchange_write(&w_, &cke);
		if (tg_ok(r))
			r = tg_hsio_put_hs(&hs->io, w_.p, w_.pos);
		if (tg_ok(r))
			r = tg_hs_tr_add(hs, w_.p, w_.pos);
	}
	if (tg_ok(r))
		r = tg_hs_derive(hs, pms, pl);
	tg_wipe(pms, sizeof(pms));
	TG_GUARD(r);
	TG_GUARD(tg_hs_key_block(hs));

	/* CertificateVerify (RFC 5246 §7.4.8) */
	if (cv_alg != 0) {
		struct tg_hs_certificate_verify cv;
		uint8_t sig[TG_SIG_MAX_LEN];
		size_t sl;

		TG_GUARD(tg_sig_sign(cv_alg, tg_cert_pkey(cfg->client_cert), hs->tr,
				     hs->tr_len, sig, sizeof(sig), &sl));
		cv.sigalg = cv_alg;
		cv.sig.p = sig;
		cv.sig.len = sl;
		TG_HS_SEND(hs, tg_hs_certificate_verify_write(w, &cv));
	}
	TG_GUARD(tg_hs_send_ccs_finished(hs));
	hs->st = C_NST_OR_CCS;
	return TG_OK;
}

static TG_MUST_CHECK tg_result tg_cli_ticket(struct tg_hs *hs, struct tg_hsio_msg *m)
{
	struct tg_hs_new_session_ticket nst;

	TG_GUARD(tg_hs_new_session_ticket_parse(&m->body, &nst));
	/* RFC 5077 §3.3 says a server sends it only after acknowledging
	 * session_ticket; as a client we accept it whenever we offered one */
	TG_ENSURE(hs->client_ext_ticket, TG_E_UNEXPECTED_MSG);
	if (nst.ticket.len > 0 && nst.ticket.len <= sizeof(hs->sess.ticket)) {
		memcpy(hs->sess.ticket, nst.ticket.p, nst.ticket.len);
		hs->sess.ticket_len = (uint16_t)nst.ticket.len;
	}
	hs->st = hs->st == C_NST_OR_CCS ? C_CCS : C_CCS_RESUMED;
	return TG_OK;
}

static void tg_cli_save_session(struct tg_hs *hs)
{
	hs->sess.valid = true;
	hs->sess.id_len = hs->sid_len;
	memcpy(hs->sess.id, hs->sid, hs->sid_len);
	memcpy(hs->sess.master, hs->master, sizeof(hs->master));
	hs->sess.suite = hs->cs->id;
	hs->sess.ems = hs->ems;
	hs->sess.tls13 = false;
}

static TG_MUST_CHECK tg_result tg_cli_finished(struct tg_hs *hs, struct tg_hsio_msg *m)
{
	TG_GUARD(tg_hs_check_finished(hs, &m->body));
	tg_cli_save_session(hs);
	tg_hs_established(hs);
	return TG_OK;
}

static TG_MUST_CHECK tg_result tg_cli_finished_resumed(struct tg_hs *hs, struct tg_hsio_msg *m)
{
	TG_GUARD(tg_hs_check_finished(hs, &m->body));
	TG_GUARD(tg_hs_send_ccs_finished(hs));
	tg_cli_save_session(hs);
	tg_hs_established(hs);
	return TG_OK;
}

/* ======================================================================
 * The state table
 * ====================================================================== */

struct tg_hs_step {
	uint8_t state;
	uint16_t type; /* handshake type, or TG_HS_CCS */
	tg_result (*fn)(struct tg_hs *hs, struct tg_hsio_msg *m);
};

static const struct tg_hs_step tg_hs_steps[] = {
	{ S_CLIENT_HELLO, TG_HS_CLIENT_HELLO, tg_srv_client_hello },
	{ S_CLIENT_CERT, TG_HS_CERTIFICATE, tg_srv_client_cert },
	{ S_CLIENT_KX, TG_HS_CLIENT_KEY_EXCHANGE, tg_srv_client_kx },
	{ S_CERT_VERIFY, TG_HS_CERTIFICATE_VERIFY, tg_srv_cert_verify },
	{ S_CCS, TG_HS_CCS, tg_hs_peer_ccs },
	{ S_FINISHED, TG_HS_FINISHED, tg_srv_finished },
	{ S_CCS_RESUMED, TG_HS_CCS, tg_hs_peer_ccs },
	{ S_FINISHED_RESUMED, TG_HS_FINISHED, tg_srv_finished_resumed },
	{ C_SERVER_HELLO, TG_HS_SERVER_HELLO, tg_cli_server_hello },
	{ C_CERT, TG_HS_CERTIFICATE, tg_cli_cert },
	{ C_SKE, TG_HS_SERVER_KEY_EXCHANGE, tg_cli_ske },
	{ C_CR_OR_DONE, TG_HS_CERTIFICATE_REQUEST, tg_cli_cert_request },
	{ C_CR_OR_DONE, TG_HS_SERVER_HELLO_DONE, tg_cli_server_done },
	{ C_DONE, TG_HS_SERVER_HELLO_DONE, tg_cli_server_done },
	{ C_NST_OR_CCS, TG_HS_NEW_SESSION_TICKET, tg_cli_ticket },
	{ C_NST_OR_CCS, TG_HS_CCS, tg_hs_peer_ccs },
	{ C_CCS, TG_HS_CCS, tg_hs_peer_ccs },
	{ C_FINISHED, TG_HS_FINISHED, tg_cli_finished },
	{ C_NST_OR_CCS_RESUMED, TG_HS_NEW_SESSION_TICKET, tg_cli_ticket },
	{ C_NST_OR_CCS_RESUMED, TG_HS_CCS, tg_hs_peer_ccs },
	{ C_CCS_RESUMED, TG_HS_CCS, tg_hs_peer_ccs },
	{ C_FINISHED_RESUMED, TG_HS_FINISHED, tg_cli_finished_resumed },
	/* TLS 1.3 server (RFC 8446 §2): a ChangeCipherSpec is dropped
	 * anywhere between the first ClientHello and the client's Finished
	 * (§5, middlebox compatibility, §D.4) */
	{ S13_CLIENT_HELLO2, TG_HS_CLIENT_HELLO, tg_srv13_client_hello2 },
	{ S13_CLIENT_HELLO2, TG_HS_CCS, tg_hs13_ccs },
	{ S13_CLIENT_CERT, TG_HS_CERTIFICATE, tg_srv13_client_cert },
	{ S13_CLIENT_CERT, TG_HS_CCS, tg_hs13_ccs },
	{ S13_CERT_VERIFY, TG_HS_CERTIFICATE_VERIFY, tg_srv13_cert_verify },
	{ S13_CERT_VERIFY, TG_HS_CCS, tg_hs13_ccs },
	{ S13_FINISHED, TG_HS_FINISHED, tg_srv13_finished },
	{ S13_FINISHED, TG_HS_CCS, tg_hs13_ccs },
	/* TLS 1.3 client: the ServerHello is C_SERVER_HELLO's (either
	 * version); the server's ChangeCipherSpec is dropped from its first
	 * message to its Finished (§5, §D.4) */
	{ C13_SERVER_HELLO2, TG_HS_SERVER_HELLO, tg_cli13_server_hello2 },
	{ C13_SERVER_HELLO2, TG_HS_CCS, tg_hs13_ccs },
	{ C13_EE, TG_HS_ENCRYPTED_EXTENSIONS, tg_cli13_ee },
	{ C13_EE, TG_HS_CCS, tg_hs13_ccs },
	{ C13_CERT_OR_CR, TG_HS_CERTIFICATE_REQUEST, tg_cli13_cert_request },
	{ C13_CERT_OR_CR, TG_HS_CERTIFICATE, tg_cli13_cert },
	{ C13_CERT_OR_CR, TG_HS_CCS, tg_hs13_ccs },
	{ C13_CERT, TG_HS_CERTIFICATE, tg_cli13_cert },
	{ C13_CERT, TG_HS_CCS, tg_hs13_ccs },
	{ C13_CERT_VERIFY, TG_HS_CERTIFICATE_VERIFY, tg_cli13_cert_verify },
	{ C13_CERT_VERIFY, TG_HS_CCS, tg_hs13_ccs },
	{ C13_FINISHED, TG_HS_FINISHED, tg_cli13_finished },
	{ C13_FINISHED, TG_HS_CCS, tg_hs13_ccs },
};

static TG_MUST_CHECK tg_result tg_hs_dispatch(struct tg_hs *hs, struct tg_hsio_msg *m)
{
	uint16_t type = m->item == TG_HSIO_CCS ? TG_HS_CCS : m->type;

	for (size_t i = 0; i < sizeof(tg_hs_steps) / sizeof(tg_hs_steps[0]); i++) {
		const struct tg_hs_step *s = &tg_hs_steps[i];

		if (s->state != hs->st || s->type != type)
			continue;
		if (m->item == TG_HSIO_HANDSHAKE) {
			hs->tr_prev = hs->tr_len;
			TG_GUARD(tg_hs_tr_add(hs, m->raw, m->raw_len));
		}
		return s->fn(hs, m);
	}
	return tg_error(TG_E_UNEXPECTED_MSG);
}

/* One item from the record layer. */
static TG_MUST_CHECK tg_result tg_hs_item(struct tg_hs *hs, struct tg_hsio_msg *m)
{
	switch (m->item) {
	case TG_HSIO_ALERT:
		hs->info.alert_recv = m->alert;
		if (m->alert == TG_ALERT_CLOSE_NOTIFY) {
			hs->events |= TG_HS_EV_CLOSED;
			return tg_error(TG_E_CLOSED);
		}
		/* RFC 5246 §7.2: warnings other than close_notify do not
		 * end the connection; a fatal alert does. RFC 8446 §6: in
		 * TLS 1.3 every alert but close_notify and user_canceled is
		 * an error, whatever its level */
		if (m->type == TG_ALERT_FATAL ||
		    (hs->v13 && m->alert != TG_ALERT_USER_CANCELED))
			return tg_error(TG_E_PEER_ALERT);
		/* but a handful is all a handshake needs: a stream of them
		 * only keeps the control thread busy (tg_hs.h) */
		TG_ENSURE(++hs->warnings <= TG_HS_MAX_WARNINGS,
			  TG_E_UNEXPECTED_MSG);
		return TG_OK;
	case TG_HSIO_APPDATA:
		/* before our keys are in place application data is refused */
		return tg_error(TG_E_UNEXPECTED_MSG);
	case TG_HSIO_HANDSHAKE:
		/* RFC 5246 §7.4.1.1: a client ignores HelloRequest during a
		 * handshake (and we never renegotiate); TLS 1.3 has none */
		if (hs->cfg->role == TG_HS_CLIENT && !hs->v13 &&
		    m->type == TG_HS_HELLO_REQUEST)
			return tg_hs_hello_request_parse(&m->body);
		return tg_hs_dispatch(hs, m);
	case TG_HSIO_CCS:
		return tg_hs_dispatch(hs, m);
	default:
		return TG_OK;
	}
}

static void tg_hs_fail(struct tg_hs *hs, tg_result r)
{
	hs->fail = r.code;
	hs->st = T_FAILED;
	hs->events |= TG_HS_EV_FAILED;
	tg_kx_free(&hs->kx);
	if (r.code == TG_E_CLOSED || r.code == TG_E_PEER_ALERT)
		return; /* nothing to say back (close_notify is answered by
			   tg_hs_close when the caller wants) */
	hs->info.alert_sent = tg_alert_of(r.code);
	if (tg_failed(tg_hsio_put_alert(&hs->io, TG_ALERT_FATAL,
					hs->info.alert_sent)))
		hs->info.alert_sent = TG_ALERT_NONE;
	/* internal_error is ours, not the peer's: the operator hears of it */
	if (hs->info.alert_sent == TG_ALERT_INTERNAL_ERROR)
		TG_WARN("hs: %s (internal_error sent)", tg_strerror(r.code));
	else
		TG_DEBUG("hs: %s (%s)", tg_strerror(r.code),
			 tg_alert_name(hs->info.alert_sent));
}

/* ======================================================================
 * Public API
 * ====================================================================== */

void tg_hs_config_defaults(struct tg_hs_config *cfg, enum tg_hs_role role)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->role = role;
	cfg->offer_ticket = role == TG_HS_CLIENT;
}

tg_result tg_hs_new(const struct tg_hs_config *cfg,
		    const struct tg_hs_session *resume, struct tg_hs **out)
{
	struct tg_hs *hs;
	tg_result r;

	TG_ENSURE_REF(cfg);
	TG_ENSURE_REF(out);
	TG_ENSURE(cfg->acc != NULL, TG_E_INVAL);
	TG_ENSURE(cfg->role == TG_HS_CLIENT || cfg->certs != NULL, TG_E_INVAL);
	TG_ENSURE(cfg->n_suites13 <= TG_CS13_MAX, TG_E_INVAL);
	TG_ENSURE(cfg->n_suites <= TG_HS_MAX_PREFS && cfg->n_groups <= TG_HS_MAX_PREFS &&
			  cfg->n_sigalgs <= TG_HS_MAX_PREFS &&
			  cfg->n_alpn <= TG_HS_MAX_ALPN,
		  TG_E_INVAL);
	hs = calloc(1, sizeof(*hs));
	TG_ENSURE(hs != NULL, TG_E_NOMEM);
	hs->cfg = cfg;
	hs->info.version = TG_TLS12;
	hs->info.alert_sent = TG_ALERT_NONE;
	hs->info.alert_recv = TG_ALERT_NONE;
	hs->tr_cap = 4096; /* grows with the handshake */
	hs->tr = malloc(hs->tr_cap);
	r = hs->tr != NULL ? tg_hsio_init(&hs->io) : tg_error(TG_E_NOMEM);
	if (tg_ok(r) && resume != NULL && resume->valid && cfg->role == TG_HS_CLIENT)
		hs->sess = *resume;
	if (tg_ok(r))
		r = cfg->role != TG_HS_CLIENT ? TG_OK
		    : (cfg->versions & TG_HS_VERSION_TLS13) ? tg_cli13_client_hello(hs)
							      : tg_cli_client_hello(hs);
	if (tg_failed(r)) {
		tg_hs_free(hs);
		return r;
	}
	if (cfg->role == TG_HS_SERVER)
		hs->st = S_CLIENT_HELLO;
	*out = hs;
	return TG_OK;
}

void tg_hs_free(struct tg_hs *hs)
{
	if (hs == NULL)
		return;
	tg_hsio_fini(&hs->io);
	if (hs->tr != NULL)
		tg_wipe(hs->tr, hs->tr_len);
	free(hs->tr);
	tg_transcript_free(&hs->trh);
	tg_kx_free(&hs->kx);
	EVP_PKEY_free(hs->peer_key);
	tg_ks_wipe(&hs->ks);
	if (hs->hrr_cookie != NULL)
		tg_wipe(hs->hrr_cookie, hs->hrr_cookie_len);
	free(hs->hrr_cookie);
	tg_wipe(hs, sizeof(*hs));
	free(hs);
}

tg_result tg_hs_feed(struct tg_hs *hs, const uint8_t *in, size_t len,
		     size_t *consumed)
{
	size_t used = 0;

	TG_ENSURE_REF(hs);
	TG_ENSURE_REF(consumed);
	TG_ENSURE(in != NULL || len == 0, TG_E_INVAL);
	*consumed = 0;
	if (hs->st == T_FAILED)
		return tg_error(hs->fail);
	TG_ENSURE(hs->st != T_ESTABLISHED, TG_E_STATE);
	while (used < len || tg_hsio_rx_left(&hs->io) > 0) {
		size_t n = 0;
		struct tg_hsio_msg m;
		tg_result r;
		bool progress = false;

		if (used < len) {
			TG_GUARD(tg_hsio_feed(&hs->io, in + used, len - used, &n));
			used += n;
		}
		for (;;) {
			r = tg_hsio_next(&hs->io, &m);
			if (tg_ok(r) && m.item == TG_HSIO_NONE)
				break;
			if (tg_ok(r))
				r = tg_hs_item(hs, &m);
			if (tg_failed(r)) {
				*consumed = used;
				tg_hs_fail(hs, r);
				return r;
			}
			progress = true;
			if (hs->st == T_ESTABLISHED) {
				/* what follows the Finished record stays
				 * with the caller */
				size_t left = tg_hsio_rx_left(&hs->io);

				*consumed = used - left;
				tg_hsio_rx_drop(&hs->io);
				return TG_OK;
			}
		}
		if (n == 0 && !progress)
			break; /* buffer full of an incomplete record: cannot be */
	}
	*consumed = used;
	return TG_OK;
}

size_t tg_hs_output(struct tg_hs *hs, uint8_t *out, size_t cap)
{
	return tg_hsio_out_take(&hs->io, out, cap);
}

unsigned tg_hs_events(const struct tg_hs *hs)
{
	return hs->events | (tg_hsio_out_pending(&hs->io) ? TG_HS_EV_OUTPUT : 0);
}

tg_result tg_hs_export_keys(struct tg_hs *hs, struct tg_keys *tx,
			    struct tg_keys *rx)
{
	TG_ENSURE_REF(hs);
	TG_ENSURE(tx != NULL && rx != NULL, TG_E_INVAL);
	TG_ENSURE(hs->keys_ready, TG_E_STATE);
	/* The dataplane continues after the last record we protected
	 * (Finished, or a close_notify queued since). */
	hs->k_tx.seq = tg_accel_sess_seq(hs->io.tx);
	hs->k_rx.seq = tg_accel_sess_seq(hs->io.rx);
	*tx = hs->k_tx;
	*rx = hs->k_rx;
	tg_wipe(&hs->k_tx, sizeof(hs->k_tx));
	tg_wipe(&hs->k_rx, sizeof(hs->k_rx));
	hs->keys_ready = false;
	/* the keys are the caller's now: our sessions must never protect
	 * another record (a nonce would repeat) */
	tg_hsio_set_rx(&hs->io, NULL);
	tg_accel_sess_free(hs->io.tx);
	hs->io.tx = NULL;
	hs->exported = true;
	return TG_OK;
}

tg_result tg_hs_export_secrets13(struct tg_hs *hs, struct tg_hs_secrets13 *out)
{
	enum tg_hs_role role;

	TG_ENSURE_REF(hs);
	TG_ENSURE_REF(out);
	TG_ENSURE(hs->exported && hs->v13 && hs->ks.hlen != 0, TG_E_STATE);
	role = hs->cfg->role;
	memset(out, 0, sizeof(*out));
	out->hash = hs->ks.hash;
	out->len = hs->ks.hlen;
	memcpy(out->tx, role == TG_HS_SERVER ? hs->ks.s_ap : hs->ks.c_ap,
	       hs->ks.hlen);
	memcpy(out->rx, role == TG_HS_SERVER ? hs->ks.c_ap : hs->ks.s_ap,
	       hs->ks.hlen);
	tg_ks_wipe(&hs->ks);
	return TG_OK;
}

const struct tg_hs_info *tg_hs_info(const struct tg_hs *hs)
{
	return &hs->info;
}

tg_result tg_hs_post_handshake(struct tg_hs *hs, const uint8_t *msg, size_t len)
{
	struct tg_cur c = tg_cur_init(msg, len), body;
	uint8_t type;

	TG_ENSURE_REF(hs);
	TG_ENSURE(msg != NULL || len == 0, TG_E_INVAL);
	TG_ENSURE(hs->st == T_ESTABLISHED && hs->v13, TG_E_STATE);
	/* one whole message (the caller joins what records cut) */
	TG_ENSURE(tg_ok(tg_hs_msg_next(&c, &type, &body)) && tg_cur_left(&c) == 0,
		  TG_E_DECODE);
	/* RFC 8446 §4.6: a server never receives a NewSessionTicket, and
	 * KeyUpdate is the dataplane's (tg_hs_secrets13) */
	TG_ENSURE(hs->cfg->role == TG_HS_CLIENT &&
			  type == TG_HS_NEW_SESSION_TICKET,
		  TG_E_UNEXPECTED_MSG);
	return tg_cli13_ticket(hs, &body);
}

tg_result tg_hs_get_session(const struct tg_hs *hs, struct tg_hs_session *out)
{
	TG_ENSURE_REF(hs);
	TG_ENSURE_REF(out);
	TG_ENSURE(hs->sess.valid && hs->st == T_ESTABLISHED, TG_E_STATE);
	*out = hs->sess;
	return TG_OK;
}

tg_result tg_hs_close(struct tg_hs *hs)
{
	TG_ENSURE_REF(hs);
	/* after the export the records are the dataplane's to send */
	TG_ENSURE(!hs->exported, TG_E_STATE);
	return tg_hsio_put_alert(&hs->io, TG_ALERT_WARNING, TG_ALERT_CLOSE_NOTIFY);
}
