/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file hs13_client.c
 * The TLS 1.3 client (RFC 8446 §2, §4): our ClientHello when TLS 1.3 is
 * configured, and the handlers the state table (hs.c, tg_hs_steps[])
 * calls once a ServerHello has chosen TLS 1.3.
 *
 *   ClientHello                -->
 *   [<-- HelloRetryRequest;  [CCS] ClientHello2 -->]
 *                             <--  ServerHello [+ CCS]
 *                                  {EncryptedExtensions}
 *                                  {CertificateRequest}
 *                                  {Certificate} {CertificateVerify}
 *                                  {Finished}
 *   [CCS] [{Certificate} {CertificateVerify}] {Finished}  -->
 *                             <--  [NewSessionTicket] (tg_hs_post_handshake)
 *
 * The ClientHello offers TLS 1.3 (and TLS 1.2 when configured, with what
 * the TLS 1.2 client offers) in supported_versions, a key share of the
 * first of our groups (X25519 by default), psk_dhe_ke, and the PSK of a
 * TLS 1.3 session (pre_shared_key last, its binder over the ClientHello
 * cut before the binders, §4.2.11.2). What both roles share (keys,
 * Finished, Certificate and CertificateVerify) is hs13.c's; the key
 * schedule is tg_ks.h.
 */
#include "hs_engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tg_log.h"
#include "tg_sig.h"
#include "tg_wipe.h"

/* RFC 8446 §4.6.1: "Servers MUST NOT use any value greater than 604800
 * seconds (7 days)" */
#define TG_CLI13_MAX_LIFETIME 604800u
/* Largest HelloRetryRequest cookie we echo (§4.2.2: <1..2^16-1>; a
 * stateless server's is a few hundred bytes) */
#define TG_CLI13_COOKIE_MAX 4096

__thread const struct tg_cli13_fixed *tg_cli13_fixed;

static uint64_t tg_cli13_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The session's PSK can be offered (§4.6.1): a TLS 1.3 ticket of a suite
 * we offer, within its lifetime, for the server name we ask for. */
static const struct tg_cs13_info *tg_cli13_psk_suite(const struct tg_hs *hs)
{
	const struct tg_hs_session *s = &hs->sess;
	size_t n;
	const uint16_t *ours = tg_hs_suites13(hs->cfg, &n);
	uint64_t now = tg_cli13_now_ms();

	if (!s->valid || !s->tls13 || s->ticket_len == 0 ||
	    !tg_hs_u16_in(s->suite, ours, n) || now < s->received_ms ||
	    now - s->received_ms >= (uint64_t)s->lifetime * 1000 ||
	    strncmp(s->sni, hs->cfg->server_name, sizeof(s->sni)) != 0)
		return NULL;
	return tg_cs13_by_id(s->suite);
}

/* Our key share: the group's key pair (the test hook's X25519 or P-256
 * key). */
static TG_MUST_CHECK tg_result tg_cli13_keygen(struct tg_hs *hs, uint16_t group)
{
	const struct tg_cli13_fixed *fx = tg_cli13_fixed;

	tg_kx_free(&hs->kx);
	hs->share_group = group;
	if (fx != NULL && group == TG_GROUP_X25519) {
		hs->kx.key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL,
							  fx->x25519, 32);
		TG_ENSURE(hs->kx.key != NULL, TG_E_CRYPTO);
		hs->kx.group = group;
		return TG_OK;
	}
	if (fx != NULL && fx->p256 != NULL && group == TG_GROUP_SECP256R1) {
		TG_ENSURE(EVP_PKEY_up_ref(fx->p256) == 1, TG_E_CRYPTO);
		hs->kx.key = fx->p256;
		hs->kx.group = group;
		return TG_OK;
	}
	return tg_kx_keygen(&hs->kx, group);
}

/*
 * The PSK binder (§4.2.11.2) of the ClientHello @p msg (@p len bytes,
 * its last @p hl the binder, zero so far): HMAC with the binder key over
 * the transcript (ClientHello1's message_hash and the HelloRetryRequest
 * after one) and @p msg cut before the binders. @p msg is already the
 * transcript's last message.
 */
static TG_MUST_CHECK tg_result tg_cli13_binder(struct tg_hs *hs,
					       const struct tg_cs13_info *cs,
					       uint8_t *msg, size_t len)
{
	enum tg_hash h = (enum tg_hash)cs->hash;
	size_t hl = tg_hash_len(h);
	uint8_t th[TG_HASH_MAX_LEN], bk[TG_KS_MAX];
	struct tg_ks tmp;
	tg_result r;

	/* the binders vector: u16 length, u8 length, the binder */
	r = tg_hash(h, hs->tr, hs->tr_len - (2 + 1 + hl), th);
	if (tg_ok(r))
		r = tg_ks_init(&tmp, h, hs->sess.master, hl);
	if (tg_ok(r))
		r = tg_ks_binder_key(&tmp, false, bk);
	if (tg_ok(r))
		r = tg_ks_finished(h, bk, th, msg + len - hl);
	tg_ks_wipe(&tmp);
	TG_WIPE_OBJ(bk);
	TG_GUARD(r);
	memcpy(hs->tr + hs->tr_len - hl, msg + len - hl, hl);
	return TG_OK;
}

/* The ClientHello (§4.1.2), first or second: the same but for the key
 * share, the cookie and the PSK's age and binder (§4.1.2). */
static TG_MUST_CHECK tg_result tg_cli13_hello(struct tg_hs *hs)
{
	const struct tg_hs_config *cfg = hs->cfg;
	const bool v12 = (cfg->versions & TG_HS_VERSION_TLS12) != 0;
	static const uint8_t null_comp = 0, uncompressed = 0;
	/* §4.2.9: psk_dhe_ke; psk_ke after it (or alone) when configured */
	static const uint8_t modes[] = { TG_HS_PSK_DHE_KE, TG_HS_PSK_KE };
	struct tg_hs_client_hello ch;
	uint16_t suites[TG_CS13_MAX + TG_HS_MAX_PREFS], versions[2];
	uint8_t ks[4 + TG_KX_MAX_PUB], alpn[TG_HS_MAX_ALPN * (TG_HS_ALPN_LEN + 1)];
	uint8_t ids[2 + sizeof(hs->sess.ticket) + 4], binders[1 + TG_KS_MAX];
	const struct tg_cs13_info *pcs = NULL;
	struct tg_wcur w = tg_wcur_init(tg_hs_scratch, TG_HS_MSG_MAX);
	struct tg_wcur kw = tg_wcur_init(ks, sizeof(ks));
	const uint16_t *l;
	size_t n, k, pl;

	memset(&ch, 0, sizeof(ch));
	ch.version = TG_TLS12; /* §4.1.2: legacy_version */
	memcpy(ch.random, hs->client_random, sizeof(ch.random));
	ch.session_id_len = hs->sid_len;
	memcpy(ch.session_id, hs->sid, hs->sid_len);
	l = tg_hs_suites13(cfg, &n);
	memcpy(suites, l, n * sizeof(*l));
	k = n;
	if (v12) {
		l = tg_hs_suites(cfg, &n);
		memcpy(suites + k, l, n * sizeof(*l));
		k += n;
	}
	ch.suites.host = suites;
	ch.suites.n = k;
	ch.compression.p = &null_comp;
	ch.compression.len = 1;
	l = tg_hs_groups(cfg, &n);
	ch.groups.host = l;
	ch.groups.n = n;
	l = tg_hs_sigalgs(cfg, &n);
	ch.sigalgs.host = l;
	ch.sigalgs.n = n;
	versions[0] = TG_TLS13;
	versions[1] = TG_TLS12;
	ch.versions.host = versions;
	ch.versions.n = v12 ? 2 : 1;
	/* RFC 5746 §3.4: the empty extension rather than the SCSV (RFC
	 * 8448's client does the same) */
	ch.exts = TG_HS_EXT_SUPPORTED_GROUPS | TG_HS_EXT_SIGNATURE_ALGS |
		  TG_HS_EXT_SUPPORTED_VERSIONS | TG_HS_EXT_KEY_SHARE |
		  TG_HS_EXT_PSK_MODES | TG_HS_EXT_RENEGOTIATION_INFO;
	if (v12) {
		ch.exts |= TG_HS_EXT_EC_POINT_FORMATS | TG_HS_EXT_EMS;
		ch.point_formats.p = &uncompressed;
		ch.point_formats.len = 1;
	}
	TG_GUARD(tg_cli_hello_name_alpn(cfg, &ch, alpn, sizeof(alpn)));
	/* RFC 5077 §3.2, for TLS 1.2 (a TLS 1.2 session's ticket) */
	if (cfg->offer_ticket || (v12 && !hs->sess.tls13 && hs->sess.ticket_len)) {
		ch.exts |= TG_HS_EXT_SESSION_TICKET;
		if (v12 && hs->sess.valid && !hs->sess.tls13) {
			ch.ticket.p = hs->sess.ticket;
			ch.ticket.len = hs->sess.ticket_len;
		}
		hs->client_ext_ticket = true;
	}
	if (cfg->record_size_limit) {
		ch.exts |= TG_HS_EXT_RECORD_SIZE_LIMIT;
		ch.record_size_limit = cfg->record_size_limit;
	}
	/* §4.2.8: one KeyShareEntry, of hs->share_group */
	TG_GUARD(tg_wcur_u16(&kw, hs->share_group));
	TG_GUARD(tg_kx_public(&hs->kx, ks + 4, sizeof(ks) - 4, &pl));
	TG_GUARD(tg_wcur_u16(&kw, (uint16_t)pl));
	ch.key_shares.p = ks;
	ch.key_shares.len = 4 + pl;
	ch.psk_modes.p = cfg->psk_ke_only ? modes + 1 : modes;
	ch.psk_modes.len = cfg->psk_ke && !cfg->psk_ke_only ? 2 : 1;
	if (hs->hrr_cookie != NULL) {
		ch.exts |= TG_HS_EXT_COOKIE;
		ch.cookie.p = hs->hrr_cookie;
		ch.cookie.len = hs->hrr_cookie_len;
	}
	/* §4.2.11: a ticket's PSK, last; after a HelloRetryRequest only if
	 * its suite has the PSK's hash (§4.1.4) */
	pcs = tg_cli13_psk_suite(hs);
	if (pcs != NULL && hs->hrr && pcs->hash != hs->cs13->hash)
		pcs = NULL;
	hs->psk_offered = pcs != NULL;
	if (pcs != NULL) {
		struct tg_wcur iw = tg_wcur_init(ids, sizeof(ids));
		size_t hl = tg_hash_len((enum tg_hash)pcs->hash);
		/* §4.2.11.1: the age in ms plus ticket_age_add, mod 2^32 */
		uint32_t age = (uint32_t)(tg_cli13_now_ms() - hs->sess.received_ms) +
			       hs->sess.age_add;

		TG_GUARD(tg_wcur_u16(&iw, hs->sess.ticket_len));
		TG_GUARD(tg_wcur_bytes(&iw, hs->sess.ticket, hs->sess.ticket_len));
		TG_GUARD(tg_wcur_be(&iw, 4, age));
		memset(binders, 0, sizeof(binders));
		binders[0] = (uint8_t)hl;
		ch.exts |= TG_HS_EXT_PRE_SHARED_KEY;
		ch.psk_identities.p = ids;
		ch.psk_identities.len = iw.pos;
		ch.psk_binders.p = binders;
		ch.psk_binders.len = 1 + hl;
	}
	ch.has_ext_block = true;
	TG_GUARD(tg_hs_client_hello_write(&w, &ch));
	TG_GUARD(tg_hs_tr_add(hs, w.p, w.pos));
	if (pcs != NULL)
		TG_GUARD(tg_cli13_binder(hs, pcs, w.p, w.pos));
	return tg_hsio_put_hs(&hs->io, w.p, w.pos);
}

tg_result tg_cli13_client_hello(struct tg_hs *hs)
{
	const struct tg_hs_config *cfg = hs->cfg;
	const struct tg_cli13_fixed *fx = tg_cli13_fixed;
	size_t n;
	const uint16_t *groups = tg_hs_groups(cfg, &n);
	tg_result r = tg_error(TG_E_HANDSHAKE_FAIL);

	hs->offered13 = true;
	if (fx != NULL)
		memcpy(hs->client_random, fx->random, sizeof(hs->client_random));
	else
		TG_GUARD(tg_rand_public(hs->client_random, sizeof(hs->client_random)));
	/* legacy_session_id: a TLS 1.2 session's (RFC 5077 §3.4: a fresh
	 * one with its ticket), else 32 random bytes in middlebox
	 * compatibility mode (§D.4), else empty */
	if ((cfg->versions & TG_HS_VERSION_TLS12) && hs->sess.valid &&
	    !hs->sess.tls13 && hs->sess.ticket_len == 0) {
		hs->sid_len = hs->sess.id_len;
		memcpy(hs->sid, hs->sess.id, hs->sid_len);
	} else if (!cfg->no_compat ||
		   ((cfg->versions & TG_HS_VERSION_TLS12) && hs->sess.valid &&
		    !hs->sess.tls13)) {
		hs->sid_len = TG_TLS_SESSION_ID_MAX;
		if (fx != NULL)
			memcpy(hs->sid, fx->session_id, hs->sid_len);
		else
			TG_GUARD(tg_rand_public(hs->sid, hs->sid_len));
	}
	hs->compat = hs->sid_len > 0;
	/* the share: the first of our groups we can make a key on */
	for (size_t i = 0; i < n && tg_failed(r); i++)
		r = tg_cli13_keygen(hs, groups[i]);
	tg_cli13_fixed = NULL;
	TG_GUARD(r);
	if (cfg->server_name[0])
		tg_hs_set_sni(hs, (const uint8_t *)cfg->server_name,
			      strlen(cfg->server_name));
	TG_GUARD(tg_cli13_hello(hs));
	TG_GUARD(tg_hsio_flush(&hs->io));
	hs->st = C_SERVER_HELLO;
	return TG_OK;
}

bool tg_cli13_chosen(const struct tg_hs *hs, const struct tg_hs_server_hello *sh)
{
	return hs->offered13 && (sh->exts & TG_HS_EXT_SUPPORTED_VERSIONS);
}

/* HelloRetryRequest (§4.1.4): a share of another group of ours and/or a
 * cookie to echo; anything that would not change the ClientHello is
 * illegal_parameter. ClientHello1 becomes its message_hash (§4.4.1). */
static TG_MUST_CHECK tg_result tg_cli13_hrr(struct tg_hs *hs,
					    const struct tg_hs_server_hello *sh)
{
	size_t n, hrr_len = hs->tr_len - hs->tr_prev, ml;
	const uint16_t *groups = tg_hs_groups(hs->cfg, &n);
	uint8_t mh[4 + TG_HASH_MAX_LEN];

	hs->hrr = true;
	hs->info.hrr = true;
	TG_ENSURE(sh->exts & (TG_HS_EXT_KEY_SHARE | TG_HS_EXT_COOKIE),
		  TG_E_ILLEGAL_PARAM);
	/* §4.2.8: "the selected_group field corresponds to a group which
	 * was provided in the supported_groups extension" and "not a group
	 * for which a corresponding key share was provided" */
	if (sh->exts & TG_HS_EXT_KEY_SHARE) {
		TG_ENSURE(tg_hs_u16_in(sh->ks_group, groups, n) &&
				  sh->ks_group != hs->share_group,
			  TG_E_ILLEGAL_PARAM);
		TG_GUARD(tg_cli13_keygen(hs, sh->ks_group));
	}
	tg_cli13_fixed = NULL;
	if (sh->exts & TG_HS_EXT_COOKIE) {
		TG_ENSURE(sh->cookie.len <= TG_CLI13_COOKIE_MAX,
			  TG_E_HANDSHAKE_FAIL);
		hs->hrr_cookie = malloc(sh->cookie.len);
		TG_ENSURE(hs->hrr_cookie != NULL, TG_E_NOMEM);
		memcpy(hs->hrr_cookie, sh->cookie.p, sh->cookie.len);
		hs->hrr_cookie_len = sh->cookie.len;
	}
	/* §4.4.1: message_hash(ClientHello1) || HelloRetryRequest */
	TG_GUARD(tg_ks_message_hash(tg_hs13_hash(hs), hs->tr, hs->tr_prev, mh, &ml));
	TG_ENSURE(ml <= hs->tr_prev, TG_E_INTERNAL);
	memmove(hs->tr + ml, hs->tr + hs->tr_prev, hrr_len);
	memcpy(hs->tr, mh, ml);
	tg_wipe(hs->tr + ml + hrr_len, hs->tr_len - ml - hrr_len);
	hs->tr_len = ml + hrr_len;
	tg_hs_tr_reset_digest(hs);
	/* §D.4: our dummy ChangeCipherSpec before the second ClientHello */
	TG_GUARD(tg_hs13_put_ccs(hs));
	TG_GUARD(tg_cli13_hello(hs));
	TG_GUARD(tg_hsio_flush(&hs->io));
	hs->st = C13_SERVER_HELLO2;
	return TG_OK;
}

/* ServerHello (§4.1.3): the handshake secret from our share and its,
 * with the ticket's PSK when it took it (§4.2.11); both directions to
 * the handshake traffic keys. */
static TG_MUST_CHECK tg_result tg_cli13_sh(struct tg_hs *hs,
					   const struct tg_hs_server_hello *sh)
{
	enum tg_hash h = tg_hs13_hash(hs);
	size_t hl = tg_hash_len(h), dl = 0;
	uint8_t dhe[TG_KX_MAX_SECRET], th[TG_HASH_MAX_LEN];
	struct tg_keys k;
	tg_result r;

	const bool ke = !(sh->exts & TG_HS_EXT_KEY_SHARE);

	/* a key share is due, of the group we sent one for (§4.2.8), but
	 * in a psk_ke resumption (§4.2.9: "the server MUST NOT supply a
	 * key_share"), which we must have offered */
	TG_ENSURE(!ke || (sh->exts & TG_HS_EXT_PRE_SHARED_KEY), TG_E_MISSING_EXT);
	TG_ENSURE(!ke || hs->cfg->psk_ke || hs->cfg->psk_ke_only,
		  TG_E_MISSING_EXT);
	TG_ENSURE(ke || sh->ks_group == hs->share_group, TG_E_ILLEGAL_PARAM);
	/* psk_dhe_ke is the server's choice only when we offered it */
	TG_ENSURE(ke || !hs->cfg->psk_ke_only ||
			  !(sh->exts & TG_HS_EXT_PRE_SHARED_KEY),
		  TG_E_ILLEGAL_PARAM);
	if (sh->exts & TG_HS_EXT_PRE_SHARED_KEY) {
		const struct tg_cs13_info *pcs = tg_cs13_by_id(hs->sess.suite);

		TG_ENSURE(hs->psk_offered, TG_E_UNSUPPORTED_EXT);
		/* §4.2.11: our one identity, and a suite of its hash */
		TG_ENSURE(sh->psk_identity == 0 && pcs != NULL &&
				  pcs->hash == hs->cs13->hash,
			  TG_E_ILLEGAL_PARAM);
		hs->psk_ok = true;
		hs->psk_ke = ke;
		hs->info.psk_ke = ke;
		hs->info.resumed = TG_HS_RESUMED_TICKET;
	}
	memcpy(hs->server_random, sh->random, sizeof(hs->server_random));
	r = ke ? TG_OK
	       : tg_kx_derive(&hs->kx, sh->ks_pub.p, sh->ks_pub.len, dhe,
			      sizeof(dhe), &dl);
	tg_kx_free(&hs->kx);
	hs->info.group = ke ? 0 : hs->share_group;
	/* §7.1: the handshake secrets over ClientHello..ServerHello */
	if (tg_ok(r))
		r = tg_hs13_th(hs, hs->tr_len, th);
	if (tg_ok(r))
		r = tg_ks_init(&hs->ks, h, hs->psk_ok ? hs->sess.master : NULL,
			       hs->psk_ok ? hl : 0);
	if (tg_ok(r))
		r = tg_ks_handshake(&hs->ks, dhe, dl, th);
	tg_wipe(dhe, sizeof(dhe));
	TG_GUARD(r);
	r = tg_hs13_keys(hs, hs->ks.s_hs, TG_DIR_OPEN, &k);
	TG_WIPE_OBJ(k);
	TG_GUARD(r);
	hs->st = C13_EE;
	return TG_OK;
}

tg_result tg_cli13_server_hello(struct tg_hs *hs,
				const struct tg_hs_server_hello *sh)
{
	size_t n;
	const uint16_t *ours = tg_hs_suites13(hs->cfg, &n);
	const struct tg_cs13_info *cs = tg_cs13_by_id(sh->suite);
	const uint32_t allowed =
		TG_HS_EXT_SUPPORTED_VERSIONS | TG_HS_EXT_KEY_SHARE |
		(sh->hrr ? TG_HS_EXT_COOKIE : TG_HS_EXT_PRE_SHARED_KEY);

	/* §4.1.3, §4.2.1: legacy_version 1.2, selected_version 1.3 (the
	 * only TLS 1.3 version we offer), our legacy_session_id echoed, a
	 * TLS 1.3 suite we offered (after a HelloRetryRequest, its suite) */
	TG_ENSURE(sh->version == TG_TLS12 && sh->selected_version == TG_TLS13,
		  TG_E_ILLEGAL_PARAM);
	TG_ENSURE(sh->session_id_len == hs->sid_len &&
			  memcmp(sh->session_id, hs->sid, hs->sid_len) == 0,
		  TG_E_ILLEGAL_PARAM);
	TG_ENSURE(cs != NULL && tg_hs_u16_in(sh->suite, ours, n) &&
			  (!hs->hrr || cs == hs->cs13),
		  TG_E_ILLEGAL_PARAM);
	/* §4.2: an extension not for this message */
	TG_ENSURE(!(sh->exts & ~allowed), TG_E_ILLEGAL_PARAM);
	hs->v13 = true;
	hs->io.v13 = true;
	hs->cs13 = cs;
	hs->info.version = TG_TLS13;
	hs->info.suite = cs->id;
	if (sh->hrr)
		return tg_cli13_hrr(hs, sh);
	return tg_cli13_sh(hs, sh);
}

tg_result tg_cli13_server_hello2(struct tg_hs *hs, struct tg_hsio_msg *m)
{
	struct tg_hs_server_hello sh;

	TG_GUARD(tg_hs_server_hello_parse(&m->body, &sh));
	/* §4.1.4: "If a client receives a second HelloRetryRequest in the
	 * same connection ..., it MUST abort the handshake with an
	 * "unexpected_message" alert." */
	TG_ENSURE(!sh.hrr, TG_E_UNEXPECTED_MSG);
	/* TLS 1.3 was chosen already: no other version now */
	TG_ENSURE(sh.exts & TG_HS_EXT_SUPPORTED_VERSIONS, TG_E_ILLEGAL_PARAM);
	return tg_cli13_server_hello(hs, &sh);
}

tg_result tg_cli13_ee(struct tg_hs *hs, struct tg_hsio_msg *m)
{
	const struct tg_hs_config *cfg = hs->cfg;
	struct tg_hs_encrypted_extensions ee;

	/* §4.2: an extension known but not for EncryptedExtensions is
	 * illegal_parameter (the parser) */
	TG_GUARD(tg_hs_encrypted_extensions_parse(&m->body, &ee));
	/* §4.2: "MUST NOT send extension responses if the remote endpoint
	 * did not send the corresponding extension requests"; we never
	 * offer early data. supported_groups is the server's to send */
	TG_ENSURE(!(ee.exts & TG_HS_EXT_EARLY_DATA) &&
			  (!(ee.exts & TG_HS_EXT_SERVER_NAME) || cfg->server_name[0]) &&
			  (!(ee.exts & TG_HS_EXT_ALPN) || cfg->n_alpn) &&
			  (!(ee.exts & TG_HS_EXT_RECORD_SIZE_LIMIT) ||
			   cfg->record_size_limit),
		  TG_E_UNSUPPORTED_EXT);
	if (ee.exts & TG_HS_EXT_ALPN)
		TG_GUARD(tg_cli_alpn(hs, &ee.alpn));
	/* RFC 8449 §4: the server's limit bounds our protected records
	 * (TLS 1.3's counts the content type) */
	if ((ee.exts & TG_HS_EXT_RECORD_SIZE_LIMIT) &&
	    ee.record_size_limit - 1 < TG_REC_MAX_PLAIN) {
		hs->io.frag_max = (uint16_t)(ee.record_size_limit - 1);
		hs->info.record_limit = hs->io.frag_max;
	}
	/* §2.2: a resumption has no certificates */
	hs->st = hs->psk_ok ? C13_FINISHED : C13_CERT_OR_CR;
	return TG_OK;
}

tg_result tg_cli13_cert_request(struct tg_hs *hs, struct tg_hsio_msg *m)
{
	struct tg_hs13_certificate_request cr;

	/* signature_algorithms is required (the parser: missing_extension) */
	TG_GUARD(tg_hs13_certificate_request_parse(&m->body, &cr));
	/* §4.3.2: "this field SHALL be zero length unless used for the
	 * post-handshake authentication"; echoed anyway */
	memcpy(hs->cr_ctx, cr.context.p, cr.context.len);
	hs->cr_ctx_len = (uint8_t)cr.context.len;
	hs->cert_requested = true;
	hs->cr_sigalgs = tg_hs_sigalg_set(&cr.sigalgs);
	hs->st = C13_CERT;
	return TG_OK;
}

tg_result tg_cli13_cert(struct tg_hs *hs, struct tg_hsio_msg *m)
{
	const struct tg_hs_config *cfg = hs->cfg;
	struct tg_hs13_certificate c13;
	enum tg_key_type kt;
	uint16_t curve;

	TG_GUARD(tg_hs13_certificate_parse(&m->body, &c13));
	/* §4.4.2: "in the case of server authentication, this field SHALL
	 * be zero length"; §4.4.2.4: an empty chain is decode_error */
	TG_ENSURE(c13.context.len == 0, TG_E_ILLEGAL_PARAM);
	TG_ENSURE(c13.n > 0, TG_E_DECODE);
	TG_GUARD(tg_hs13_peer_chain(hs, &c13, cfg->ca, TG_VERIFY_SERVER,
				    cfg->server_name[0] ? cfg->server_name : NULL));
	TG_GUARD(tg_sig_key_info(hs->peer_key, &kt, &curve));
	hs->info.cert_type = kt == TG_KEY_EC ? 2 : 1;
	hs->st = C13_CERT_VERIFY;
	return TG_OK;
}

tg_result tg_cli13_cert_verify(struct tg_hs *hs, struct tg_hsio_msg *m)
{
	TG_GUARD(tg_hs13_cv_in(hs, m, &hs->info.sigalg));
	hs->st = C13_FINISHED;
	return TG_OK;
}

/* Our Certificate and CertificateVerify (§4.4.2, §4.4.3) for a
 * CertificateRequest: our certificate when it can sign with one of the
 * schemes asked for, else an empty Certificate (the server decides). */
static TG_MUST_CHECK tg_result tg_cli13_client_auth(struct tg_hs *hs)
{
	const struct tg_hs_config *cfg = hs->cfg;
	struct tg_hs_bytes ctx = { hs->cr_ctx, hs->cr_ctx_len };
	struct tg_hs13_certificate cm;
	size_t n;
	const uint16_t *ours = tg_hs_sigalgs(cfg, &n);

	if (cfg->client_cert != NULL &&
	    tg_ok(tg_hs13_sigalg(cfg->client_cert, hs->cr_sigalgs, ours, n,
				 &hs->sigalg))) {
		hs->cert = cfg->client_cert;
		return tg_hs13_cert_cv(hs, &ctx);
	}
	memset(&cm, 0, sizeof(cm));
	cm.context = ctx;
	TG_HS_SEND(hs, tg_hs13_certificate_write(w, &cm));
	return TG_OK;
}

tg_result tg_cli13_finished(struct tg_hs *hs, struct tg_hsio_msg *m)
{
	uint8_t th[TG_HASH_MAX_LEN];
	struct tg_keys k;
	tg_result r;

	TG_GUARD(tg_hs13_finished_in(hs, m, hs->ks.s_hs));
	/* §7.1: the master secrets over ClientHello..server Finished */
	TG_GUARD(tg_hs13_th(hs, hs->tr_len, th));
	TG_GUARD(tg_ks_master(&hs->ks, th));
	/* §D.4: our dummy ChangeCipherSpec before our encrypted flight */
	TG_GUARD(tg_hs13_put_ccs(hs));
	r = tg_hs13_keys(hs, hs->ks.c_hs, TG_DIR_SEAL, &k);
	TG_WIPE_OBJ(k);
	TG_GUARD(r);
	if (hs->cert_requested)
		TG_GUARD(tg_cli13_client_auth(hs));
	TG_GUARD(tg_hs13_finished_out(hs, hs->ks.c_hs));
	/* §7.1: resumption_master_secret through our Finished, kept for
	 * the tickets that come after the export */
	TG_GUARD(tg_hs13_th(hs, hs->tr_len, th));
	TG_GUARD(tg_ks_resumption(&hs->ks, th));
	memcpy(hs->res13, hs->ks.resumption, hs->ks.hlen);
	hs->res13_len = hs->ks.hlen;
	/* §7.3: the application keys (our Finished is sealed first) */
	r = tg_hs13_keys(hs, hs->ks.c_ap, TG_DIR_SEAL, &hs->k_tx);
	if (tg_ok(r))
		r = tg_hs13_keys(hs, hs->ks.s_ap, TG_DIR_OPEN, &hs->k_rx);
	TG_GUARD(r);
	TG_GUARD(tg_hsio_flush(&hs->io));
	tg_hs_established(hs);
	return TG_OK;
}

tg_result tg_cli13_ticket(struct tg_hs *hs, struct tg_cur *body)
{
	struct tg_hs13_new_session_ticket nst;
	struct tg_hs_session *s = &hs->sess;

	TG_GUARD(tg_hs13_new_session_ticket_parse(body, &nst));
	TG_ENSURE(nst.lifetime <= TG_CLI13_MAX_LIFETIME, TG_E_ILLEGAL_PARAM);
	TG_ENSURE(hs->res13_len > 0, TG_E_STATE);
	/* a lifetime of 0 ("discarded immediately") or a ticket larger
	 * than a session holds: not kept, and no error */
	if (nst.lifetime == 0 || nst.ticket.len > sizeof(s->ticket))
		return TG_OK;
	/* §4.6.1: the ticket's PSK from the resumption master secret */
	TG_GUARD(tg_ks_ticket_psk(tg_hs13_hash(hs), hs->res13, nst.nonce.p,
				  nst.nonce.len, s->master));
	memcpy(s->ticket, nst.ticket.p, nst.ticket.len);
	s->ticket_len = (uint16_t)nst.ticket.len;
	s->suite = hs->cs13->id;
	s->age_add = nst.age_add;
	s->lifetime = nst.lifetime;
	s->received_ms = tg_cli13_now_ms();
	snprintf(s->sni, sizeof(s->sni), "%s", hs->cfg->server_name);
	s->id_len = 0;
	s->ems = false;
	s->tls13 = true;
	s->valid = true;
	return TG_OK;
}
