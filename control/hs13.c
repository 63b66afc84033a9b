/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file hs13.c
 * The TLS 1.3 server (RFC 8446 §2, §4): the handlers the state table
 * (hs.c, tg_hs_steps[]) calls once a ClientHello has chosen TLS 1.3;
 * and what the client (hs13_client.c) shares with it: keys, Finished,
 * Certificate and CertificateVerify both ways, signature schemes.
 *
 *   ClientHello  -->  [HelloRetryRequest + CCS  -->  ClientHello2]
 *               <--   ServerHello [+ CCS]
 *                     {EncryptedExtensions}
 *                     {CertificateRequest}      (client_auth)
 *                     {Certificate} {CertificateVerify} {Finished}
 *   [{Certificate} {CertificateVerify}]  {Finished}  -->
 *               <--   [NewSessionTicket]       (application key)
 *
 * The key schedule is tg_ks.h; the raw transcript and its hash are the
 * engine's (hs.c), with ClientHello1 replaced by its message_hash after
 * a HelloRetryRequest (§4.4.1). Records: after the ServerHello both
 * directions are protected with the handshake traffic keys (hsio in
 * TLS 1.3 mode); the NewSessionTicket goes out under the server's
 * application key, whose sequence number the key export continues.
 */
#include "hs_engine.h"

#include <string.h>

#include <openssl/crypto.h>

#include "tg_log.h"
#include "tg_sig.h"
#include "tg_ticket.h"
#include "tg_wipe.h"

/* The cookie we send in a HelloRetryRequest (RFC 8446 §4.2.2): random,
 * kept in the handshake (we are not stateless) and checked in the
 * second ClientHello. */
#define TG_HS13_COOKIE_LEN 32

/* How far a ticket's age as the client reports it (RFC 8446 §4.2.11.1)
 * may be from ours (the ticket's issue time, in whole seconds of the
 * key set's clock), in milliseconds: a ticket further off is not
 * resumed (a full handshake). */
#define TG_HS13_AGE_WINDOW_MS 10000

/* Our record_size_limit (RFC 8449 §4): TLS 1.3 counts the content type,
 * so a full 2^14 record of plaintext is 2^14 + 1. */
#define TG_HS13_OUR_RSL (TG_REC_MAX_PLAIN + 1)

__thread const struct tg_srv13_fixed *tg_srv13_fixed;

bool tg_srv13_wanted(const struct tg_hs *hs, const struct tg_hs_client_hello *ch)
{
	return (hs->cfg->versions & TG_HS_VERSION_TLS13) &&
	       (ch->exts & TG_HS_EXT_SUPPORTED_VERSIONS) &&
	       tg_hs_u16_has(&ch->versions, TG_TLS13);
}

enum tg_hash tg_hs13_hash(const struct tg_hs *hs)
{
	return (enum tg_hash)hs->cs13->hash;
}

/* The transcript hash of the whole raw transcript (or its first @p len
 * bytes). */
tg_result tg_hs13_th(struct tg_hs *hs, size_t len, uint8_t th[TG_HASH_MAX_LEN])
{
	size_t l;

	return tg_hs_tr_hash(hs, len, th, &l);
}

/*
 * The signature scheme to sign with (RFC 8446 §4.2.3, §4.4.3): of ours,
 * in our order, one the peer offered that fits the key the TLS 1.3 way:
 * ECDSA only with the scheme of the key's own curve, RSA with RSASSA-PSS
 * only (rsa_pss_rsae_* for an rsaEncryption key, rsa_pss_pss_* for an
 * RSASSA-PSS one); never PKCS#1 v1.5 nor SHA-224.
 */
tg_result tg_hs13_sigalg(const struct tg_cert *c, uint32_t offered,
			 const uint16_t *ours, size_t n, uint16_t *out)
{
	EVP_PKEY *key = tg_cert_pkey(c);
	enum tg_key_type kt;
	uint16_t curve = 0;

	/* the type the store found when it loaded the key: no provider
	 * lookups per handshake; the key itself for anything else */
	switch (tg_cert_key_type(c)) {
	case TG_CERT_KEY_EC_P256:
		kt = TG_KEY_EC;
		curve = TG_GROUP_SECP256R1;
		break;
	case TG_CERT_KEY_EC_P384:
		kt = TG_KEY_EC;
		curve = TG_GROUP_SECP384R1;
		break;
	default:
		if (tg_failed(tg_sig_key_info(key, &kt, &curve)))
			return tg_error(TG_E_HANDSHAKE_FAIL);
		break;
	}
	for (size_t i = 0; i < n; i++) {
		const struct tg_sigalg_info *s = tg_sigalg_by_id(ours[i]);

		if (s == NULL || !(tg_sigalg_bit(ours[i]) & offered))
			continue;
		if (s->pad == TG_SIGPAD_PKCS1 || s->hash == TG_HASH_SHA224 ||
		    s->key_type != kt || (kt == TG_KEY_EC && s->curve != curve))
			continue;
		/* an RSASSA-PSS key's restrictions (RFC 4055 §3.1) */
		if (kt == TG_KEY_RSA_PSS && tg_failed(tg_sig_check_key(ours[i], key)))
			continue;
		*out = ours[i];
		return TG_OK;
	}
	return tg_error(TG_E_HANDSHAKE_FAIL);
}

/* Whether @p sigalg is one TLS 1.3 takes for a CertificateVerify. */
bool tg_hs13_sigalg_ok(uint16_t sigalg)
{
	const struct tg_sigalg_info *s = tg_sigalg_by_id(sigalg);

	return s != NULL && s->pad != TG_SIGPAD_PKCS1 &&
	       s->hash != TG_HASH_SHA224;
}

/* The suite (RFC 8446 §4.1.1): ours in our order (or the client's). */
static TG_MUST_CHECK tg_result tg_srv13_suite(struct tg_hs *hs,
					      const struct tg_hs_client_hello *ch)
{
	size_t n;
	const uint16_t *ours = tg_hs_suites13(hs->cfg, &n);

	if (hs->cfg->client_order) {
		for (size_t i = 0; i < ch->suites.n; i++) {
			uint16_t id = tg_hs_u16_at(&ch->suites, i);

			if (tg_cs13_by_id(id) != NULL && tg_hs_u16_in(id, ours, n) &&
			    tg_hs_suite_runs(hs->cfg, tg_cs13_by_id(id)->suite)) {
				hs->cs13 = tg_cs13_by_id(id);
				return TG_OK;
			}
		}
	} else {
		for (size_t i = 0; i < n; i++) {
			if (tg_cs13_by_id(ours[i]) != NULL &&
			    tg_hs_u16_has(&ch->suites, ours[i]) &&
			    tg_hs_suite_runs(hs->cfg, tg_cs13_by_id(ours[i])->suite)) {
				hs->cs13 = tg_cs13_by_id(ours[i]);
				return TG_OK;
			}
		}
	}
	return tg_error(TG_E_HANDSHAKE_FAIL);
}

/*
 * The group (RFC 8446 §4.2.7, §4.2.8): our most preferred one the
 * client supports. Its share, when the client sent one (else a
 * HelloRetryRequest asks for it). Every share must be of a group in
 * supported_groups ("MUST correspond"), which both must be present
 * (§9.2: missing_extension).
 */
static TG_MUST_CHECK tg_result tg_srv13_group(struct tg_hs *hs,
					      const struct tg_hs_client_hello *ch,
					      struct tg_hs_bytes *share,
					      bool *have)
{
	size_t n;
	const uint16_t *ours = tg_hs_groups(hs->cfg, &n);
	const uint32_t both = TG_HS_EXT_SUPPORTED_GROUPS | TG_HS_EXT_KEY_SHARE;

	/* §9.2: one without the other is missing_extension; neither is
	 * conformant only with a pre_shared_key (a psk_ke client), and
	 * when we do not resume it there is nothing to agree on (§4.1.1:
	 * handshake_failure) */
	TG_ENSURE((ch->exts & both) != 0 ||
			  !(ch->exts & TG_HS_EXT_PRE_SHARED_KEY),
		  TG_E_HANDSHAKE_FAIL);
	TG_ENSURE((ch->exts & both) == both, TG_E_MISSING_EXT);
	TG_ENSURE(tg_hs_key_shares_in_groups(ch), TG_E_ILLEGAL_PARAM);
	TG_GUARD(tg_hs_u16_select(&ch->groups, ours, n, &hs->group));
	*have = tg_hs_key_share_find(ch, hs->group, share);
	return TG_OK;
}

/* The certificate and its signature scheme: the first candidate that
 * can sign with a scheme the client offered (signature_algorithms is
 * required for certificate authentication, §9.2). */
static TG_MUST_CHECK tg_result tg_srv13_cert(struct tg_hs *hs,
					     const struct tg_hs_client_hello *ch,
					     const struct tg_cert_match *m)
{
	size_t n;
	const uint16_t *ours = tg_hs_sigalgs(hs->cfg, &n);
	uint32_t offered;

	hs->cert = NULL;
	/* §9.2: optional with a pre_shared_key (a full handshake without
	 * one fails in tg_srv13_flight) */
	if (!(ch->exts & TG_HS_EXT_SIGNATURE_ALGS) &&
	    (ch->exts & TG_HS_EXT_PRE_SHARED_KEY))
		return TG_OK;
	TG_ENSURE(ch->exts & TG_HS_EXT_SIGNATURE_ALGS, TG_E_MISSING_EXT);
	offered = tg_hs_sigalg_set(&ch->sigalgs);
	for (size_t i = 0; i < m->n; i++) {
		if (tg_ok(tg_hs13_sigalg(m->c[i], offered, ours, n, &hs->sigalg))) {
			hs->cert = m->c[i];
			return TG_OK;
		}
	}
	return tg_error(TG_E_HANDSHAKE_FAIL);
}

/* What both ClientHellos decide: name, protocol, suite, certificate. */
static TG_MUST_CHECK tg_result tg_srv13_negotiate(struct tg_hs *hs,
						  const struct tg_hs_client_hello *ch)
{
	const struct tg_hs_config *cfg = hs->cfg;
	struct tg_cert_match match;

	/* RFC 8446 §4.1.2: "exactly one byte, set to zero" */
	TG_ENSURE(ch->compression.len == 1 && ch->compression.p[0] == 0,
		  TG_E_ILLEGAL_PARAM);
	if (ch->exts & TG_HS_EXT_SERVER_NAME)
		tg_hs_set_sni(hs, ch->host_name.p, ch->host_name.len);
	TG_ENSURE(cfg->certs != NULL, TG_E_INTERNAL);
	TG_GUARD(tg_cert_store_select(cfg->certs, (const char *)ch->host_name.p,
				      ch->host_name.len, &match));
	TG_GUARD(tg_srv_select_alpn(hs, ch));
	TG_GUARD(tg_srv13_suite(hs, ch));
	TG_GUARD(tg_srv13_cert(hs, ch, &match));
	hs->peer_rsl = (ch->exts & TG_HS_EXT_RECORD_SIZE_LIMIT)
			       ? ch->record_size_limit
			       : 0;
	hs->psk_modes_dhe = tg_hs_psk_mode_offered(ch, TG_HS_PSK_DHE_KE);
	hs->psk_modes_ke = cfg->psk_ke && tg_hs_psk_mode_offered(ch, TG_HS_PSK_KE);
	hs->info.suite = hs->cs13->id;
	if (hs->cert == NULL)
		return TG_OK;
	hs->info.sigalg = hs->sigalg;
	hs->info.cert_type = tg_cert_key_type(hs->cert) == TG_CERT_KEY_EC_P256 ||
					     tg_cert_key_type(hs->cert) ==
						     TG_CERT_KEY_EC_P384
				     ? 2
				     : 1;
	return TG_OK;
}

/* A ChangeCipherSpec in clear (RFC 8446 §D.4), outside the table's
 * messages: it is no handshake message and changes no key. */
tg_result tg_hs13_put_ccs(struct tg_hs *hs)
{
	if (!hs->compat || hs->ccs_sent)
		return TG_OK;
	hs->ccs_sent = true;
	return tg_hsio_put_ccs_plain(&hs->io);
}

/* The cookie of our HelloRetryRequest: ours, or the test hook's. */
static const uint8_t *tg_srv13_cookie(const struct tg_hs *hs, size_t *len)
{
	if (tg_srv13_fixed != NULL && tg_srv13_fixed->cookie_len != 0) {
		*len = tg_srv13_fixed->cookie_len;
		return tg_srv13_fixed->cookie;
	}
	*len = sizeof(hs->cookie);
	return hs->cookie;
}

/* HelloRetryRequest (RFC 8446 §4.1.4): ask for a share of hs->group. */
static TG_MUST_CHECK tg_result tg_srv13_hrr(struct tg_hs *hs)
{
	struct tg_hs_server_hello sh;
	uint8_t mh[4 + TG_HASH_MAX_LEN];
	size_t ml;

	hs->hrr = true;
	hs->info.hrr = true;
	/* §4.4.1: ClientHello1 becomes message_hash(Hash(ClientHello1)) */
	TG_GUARD(tg_ks_message_hash(tg_hs13_hash(hs), hs->tr, hs->tr_len, mh, &ml));
	tg_wipe(hs->tr, hs->tr_len);
	hs->tr_len = 0;
	tg_hs_tr_reset_digest(hs);
	TG_GUARD(tg_hs_tr_add(hs, mh, ml));
	TG_GUARD(tg_rand_public(hs->cookie, sizeof(hs->cookie)));
	memset(&sh, 0, sizeof(sh));
	sh.version = TG_TLS12;
	memcpy(sh.random, TG_TLS_HRR_RANDOM, TG_TLS_RANDOM_LEN);
	sh.session_id_len = hs->sid_len;
	memcpy(sh.session_id, hs->sid, hs->sid_len);
	sh.suite = hs->cs13->id;
	sh.hrr = true;
	sh.exts = TG_HS_EXT_KEY_SHARE | TG_HS_EXT_COOKIE |
		  TG_HS_EXT_SUPPORTED_VERSIONS;
	sh.has_ext_block = true;
	sh.ks_group = hs->group;
	sh.cookie.p = tg_srv13_cookie(hs, &sh.cookie.len);
	sh.selected_version = TG_TLS13;
	TG_HS_SEND(hs, tg_hs_server_hello_write(w, &sh));
	TG_GUARD(tg_hs13_put_ccs(hs));
	TG_GUARD(tg_hsio_flush(&hs->io));
	hs->st = S13_CLIENT_HELLO2;
	return TG_OK;
}

/* Switch one direction of the record layer to @p secret's keys. */
tg_result tg_hs13_keys(struct tg_hs *hs, const uint8_t *secret,
		       enum tg_dir dir, struct tg_keys *k)
{
	struct tg_accel_sess *s = NULL;
	tg_result r;

	TG_GUARD(tg_ks_traffic_keys(tg_hs13_hash(hs), (enum tg_suite)hs->cs13->suite,
				    secret, dir, 0, k));
	r = tg_hs_sess(hs, k, &s);
	if (tg_failed(r))
		return r;
	if (dir == TG_DIR_OPEN) {
		tg_hsio_set_rx(&hs->io, s);
		return TG_OK;
	}
	r = tg_hsio_set_tx(&hs->io, s);
	if (tg_failed(r))
		tg_accel_sess_free(s);
	return r;
}

/* EncryptedExtensions (RFC 8446 §4.3.1). */
static TG_MUST_CHECK tg_result tg_srv13_ee(struct tg_hs *hs,
					   const struct tg_hs_client_hello *ch)
{
	struct tg_hs_encrypted_extensions ee;

	memset(&ee, 0, sizeof(ee));
	/* RFC 6066 §3: an empty server_name when it was used */
	if (ch->exts & TG_HS_EXT_SERVER_NAME)
		ee.exts |= TG_HS_EXT_SERVER_NAME;
	if (hs->info.alpn[0] && (ch->exts & TG_HS_EXT_ALPN)) {
		ee.exts |= TG_HS_EXT_ALPN;
		ee.alpn.p = (const uint8_t *)hs->info.alpn;
		ee.alpn.len = strlen(hs->info.alpn);
	}
	/* RFC 8449 §4: answered with our own limit. We never accept early
	 * data (§4.2.10): no early_data here. */
	if (ch->exts & TG_HS_EXT_RECORD_SIZE_LIMIT) {
		ee.exts |= TG_HS_EXT_RECORD_SIZE_LIMIT;
		ee.record_size_limit = TG_HS13_OUR_RSL;
	}
	TG_HS_SEND(hs, tg_hs_encrypted_extensions_write(w, &ee));
	return TG_OK;
}

/* CertificateRequest (RFC 8446 §4.3.2): the schemes TLS 1.3 takes of
 * ours, and the client CAs' names as certificate_authorities (§4.2.4;
 * a list too long for the buffer is cut: the names are only a hint). */
static TG_MUST_CHECK tg_result tg_srv13_cr(struct tg_hs *hs)
{
	const struct tg_hs_config *cfg = hs->cfg;
	struct tg_hs13_certificate_request cr;
	uint16_t sa[TG_SIGALG_MAX];
	size_t n, k = 0, nn = 0;
	const uint16_t *ours = tg_hs_sigalgs(cfg, &n);
	uint8_t cas[8192];
	struct tg_wcur cw = tg_wcur_init(cas, sizeof(cas));

	for (size_t i = 0; i < n && k < TG_SIGALG_MAX; i++)
		if (tg_hs13_sigalg_ok(ours[i]))
			sa[k++] = ours[i];
	TG_ENSURE(k > 0, TG_E_HANDSHAKE_FAIL);
	memset(&cr, 0, sizeof(cr));
	cr.sigalgs.host = sa;
	cr.sigalgs.n = k;
	if (cfg->client_ca != NULL) {
		const struct tg_der *names = tg_ca_names(cfg->client_ca, &nn);

		for (size_t i = 0; i < nn; i++) {
			size_t mark;

			if (names[i].len + 2 > tg_wcur_left(&cw))
				break;
			TG_GUARD(tg_wcur_vec_begin(&cw, 2, &mark));
			TG_GUARD(tg_wcur_bytes(&cw, names[i].p, names[i].len));
			TG_GUARD(tg_wcur_vec_end(&cw, 2, mark));
		}
	}
	cr.cas.p = cas;
	cr.cas.len = cw.pos;
	TG_HS_SEND(hs, tg_hs13_certificate_request_write(w, &cr));
	return TG_OK;
}

/* Finished (RFC 8446 §4.4.4): over the transcript through the last
 * message of ours. */
tg_result tg_hs13_finished_out(struct tg_hs *hs, const uint8_t *base)
{
	struct tg_hs13_finished fin;
	uint8_t th[TG_HASH_MAX_LEN];

	TG_GUARD(tg_hs13_th(hs, hs->tr_len, th));
	TG_GUARD(tg_ks_finished(tg_hs13_hash(hs), base, th, fin.verify_data));
	fin.len = tg_hash_len(tg_hs13_hash(hs));
	TG_HS_SEND(hs, tg_hs13_finished_write(w, &fin));
	return TG_OK;
}

/* Certificate and CertificateVerify (RFC 8446 §4.4.2, §4.4.3). */
tg_result tg_hs13_cert_cv(struct tg_hs *hs, const struct tg_hs_bytes *ctx)
{
	struct tg_hs13_certificate cm;
	struct tg_hs_certificate_verify cv;
	uint8_t th[TG_HASH_MAX_LEN], content[TG_HS13_CV_CONTENT_MAX];
	uint8_t sig[TG_SIG_MAX_LEN];
	struct tg_wcur cw = tg_wcur_init(content, sizeof(content));
	size_t n, sl;
	const struct tg_der *chain = tg_cert_chain(hs->cert, &n);
	size_t hl = tg_hash_len(tg_hs13_hash(hs));

	TG_ENSURE(n >= 1 && n <= TG_HS_MAX_CHAIN, TG_E_INTERNAL);
	memset(&cm, 0, sizeof(cm));
	cm.context = *ctx;
	cm.n = n;
	for (size_t i = 0; i < n; i++) {
		cm.cert[i].p = chain[i].p;
		cm.cert[i].len = chain[i].len;
	}
	TG_HS_SEND(hs, tg_hs13_certificate_write(w, &cm));
	/* §4.4.3: over the transcript through Certificate */
	TG_GUARD(tg_hs13_th(hs, hs->tr_len, th));
	TG_GUARD(tg_hs13_cv_content(hs->cfg->role == TG_HS_SERVER, th, hl, &cw));
	TG_GUARD(tg_sig_sign(hs->sigalg, tg_cert_pkey(hs->cert), content, cw.pos,
			     sig, sizeof(sig), &sl));
	cv.sigalg = hs->sigalg;
	cv.sig.p = sig;
	cv.sig.len = sl;
	TG_HS_SEND(hs, tg_hs_certificate_verify_write(w, &cv));
	return TG_OK;
}

/* A ticket's age is credible (RFC 8446 §4.2.11.1, §8.3): the client's
 * (obfuscated_ticket_age - ticket_age_add) within the window of ours,
 * and within the lifetime. */
static bool tg_srv13_age_ok(const struct tg_hs *hs,
			    const struct tg_sess_state *st, uint32_t obf)
{
	uint64_t now = tg_ticket_keys_now(hs->cfg->tickets);
	uint64_t life_ms = (uint64_t)tg_ticket_keys_lifetime(hs->cfg->tickets) * 1000;
	uint64_t ours = now > st->issued ? (now - st->issued) * 1000 : 0;
	uint64_t theirs = (uint32_t)(obf - st->age_add);

	if (theirs > life_ms)
		return false;
	return theirs + TG_HS13_AGE_WINDOW_MS + 1000 >= ours &&
	       ours + TG_HS13_AGE_WINDOW_MS >= theirs;
}

/*
 * Resumption (RFC 8446 §4.2.11, §4.6.1): the first identity that is one
 * of our tickets (the ticket keys and rotation of TLS 1.2), a TLS 1.3
 * PSK of the suite's hash, for this server name, verified under the
 * client CAs in force when a client certificate is required, and of a
 * credible age; the client must take the mode @p ke asks for (psk_ke
 * when true: tg_srv13_client_hello tries it first when both sides take
 * it; else psk_dhe_ke). Its binder must verify (decrypt_error), over
 * the transcript with this ClientHello cut before its binders
 * (§4.2.11.2).
 */
static TG_MUST_CHECK tg_result tg_srv13_psk(struct tg_hs *hs,
					    const struct tg_hs_client_hello *ch,
					    bool ke)
{
	const struct tg_hs_config *cfg = hs->cfg;
	enum tg_hash h = tg_hs13_hash(hs);
	size_t hl = tg_hash_len(h);
	const struct tg_srv13_fixed *fx =
		tg_srv13_fixed != NULL && tg_srv13_fixed->psk != NULL ? tg_srv13_fixed
								      : NULL;

	hs->psk_ok = false;
	if (cfg->tickets == NULL || !(ch->exts & TG_HS_EXT_PRE_SHARED_KEY) ||
	    !(ke ? hs->psk_modes_ke : hs->psk_modes_dhe))
		return TG_OK;
	for (size_t i = 0; i < ch->n_psk && i < 16; i++) {
		struct tg_hs_bytes id, binder;
		struct tg_sess_state st;
		const struct tg_cs13_info *cs;
		uint8_t th[TG_HASH_MAX_LEN], bk[TG_KS_MAX];
		struct tg_ks tmp;
		uint32_t age;
		tg_result r;

		if (!tg_hs_psk_at(ch, i, &id, &age, &binder))
			break;
		if (fx != NULL) {
			/* the test hook's PSK (hs_engine.h) */
			memset(&st, 0, sizeof(st));
			memcpy(st.master_secret, fx->psk, hl);
			st.cipher_suite = hs->cs13->id;
			st.tls13 = true;
			st.sni_len = (uint8_t)ch->host_name.len;
			if (st.sni_len != 0)
				memcpy(st.sni, ch->host_name.p, st.sni_len);
		} else if (tg_ticket_open(cfg->tickets, id.p, id.len, &st) ==
			   TG_TICKET_INVALID) {
			continue;
		}
		cs = tg_cs13_by_id(st.cipher_suite);
		if (!st.tls13 || cs == NULL || cs->hash != hs->cs13->hash ||
		    st.sni_len != ch->host_name.len ||
		    (st.sni_len &&
		     memcmp(st.sni, ch->host_name.p, st.sni_len) != 0) ||
		    (cfg->client_auth == TG_HS_CLIENT_AUTH_REQUIRE &&
		     !tg_srv_verified_now(hs, &st)) ||
		    (fx == NULL && !tg_srv13_age_ok(hs, &st, age))) {
			tg_wipe(&st, sizeof(st));
			continue;
		}
		/* §4.2.11.2: the binder of the identity we take */
		r = tg_hs13_th(hs, hs->tr_len - ch->psk_binders_len, th);
		if (tg_ok(r))
			r = tg_ks_init(&tmp, h, st.master_secret, hl);
		if (tg_ok(r))
			r = tg_ks_binder_key(&tmp, false, bk);
		if (tg_ok(r))
			r = tg_ks_finished_check(h, bk, th, binder.p, binder.len);
		tg_ks_wipe(&tmp);
		TG_WIPE_OBJ(bk);
		if (tg_failed(r)) {
			tg_wipe(&st, sizeof(st));
			/* a binder of the wrong length does not verify either */
			return tg_error(r.code == TG_E_DECODE ? TG_E_DECRYPT_ERROR
							      : r.code);
		}
		memcpy(hs->psk, st.master_secret, hl);
		hs->psk_index = (uint16_t)i;
		hs->psk_ok = true;
		hs->psk_ke = ke;
		hs->info.psk_ke = ke;
		hs->resume_created = st.created;
		hs->info.resumed = TG_HS_RESUMED_TICKET;
		hs->info.peer_verified = tg_srv_verified_now(hs, &st);
		hs->info.peer_cert = hs->info.peer_verified;
		tg_wipe(&st, sizeof(st));
		return TG_OK;
	}
	return TG_OK;
}

/* NewSessionTicket (RFC 8446 §4.6.1), under the server application key,
 * outside the transcript: the PSK of this connection's resumption
 * master secret and a nonce, sealed with the ticket keys of TLS 1.2. */
static TG_MUST_CHECK tg_result tg_srv13_send_ticket(struct tg_hs *hs)
{
	const struct tg_hs_config *cfg = hs->cfg;
	struct tg_sess_state st;
	struct tg_hs13_new_session_ticket nst;
	enum tg_hash h = tg_hs13_hash(hs);
	uint8_t nonce = (uint8_t)hs->tickets_sent, t[TG_TICKET_MAX_LEN];
	struct tg_wcur w = tg_wcur_init(tg_hs_scratch, TG_HS_MSG_MAX);
	size_t tl = 0;
	tg_result r;

	memset(&st, 0, sizeof(st));
	r = tg_ks_ticket_psk(h, hs->ks.resumption, &nonce, 1, st.master_secret);
	st.cipher_suite = hs->cs13->id;
	st.tls13 = true;
	/* a resumed session keeps its age (tg_ticket.h) */
	st.created = hs->resume_created;
	st.issued = tg_ticket_keys_now(cfg->tickets);
	st.peer_verified = hs->info.peer_verified && cfg->client_ca != NULL;
	if (st.peer_verified)
		tg_ca_id(cfg->client_ca, st.ca_id);
	if (tg_ok(r))
		r = tg_rand_public(&st.age_add, sizeof(st.age_add));
	if (tg_ok(r))
		r = tg_sess_set_sni(&st, hs->info.sni, strlen(hs->info.sni));
	if (tg_ok(r))
		r = tg_sess_set_alpn(&st, hs->info.alpn, strlen(hs->info.alpn));
	if (tg_ok(r))
		r = tg_ticket_seal(cfg->tickets, &st, t, sizeof(t), &tl);
	memset(&nst, 0, sizeof(nst));
	nst.lifetime = tg_ticket_keys_lifetime(cfg->tickets);
	nst.age_add = st.age_add;
	tg_wipe(&st, sizeof(st));
	TG_GUARD(r);
	nst.nonce.p = &nonce;
	nst.nonce.len = 1;
	nst.ticket.p = t;
	nst.ticket.len = tl;
	TG_GUARD(tg_hs13_new_session_ticket_write(&w, &nst));
	TG_GUARD(tg_hsio_put_hs(&hs->io, w.p, w.pos));
	hs->tickets_sent++;
	return TG_OK;
}

/* Our (EC)DHE with the client's @p share: our public value and the
 * shared secret. The test hook's X25519 or P-256 key when set. */
static TG_MUST_CHECK tg_result tg_srv13_dhe(struct tg_hs *hs,
					    const struct tg_hs_bytes *share,
					    uint8_t *pub, size_t *pl,
					    uint8_t *dhe, size_t *dl)
{
	const struct tg_srv13_fixed *fx = tg_srv13_fixed;
	tg_result r;

	if (fx != NULL && hs->group == TG_GROUP_X25519) {
		hs->kx.key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL,
							  fx->x25519, 32);
		TG_ENSURE(hs->kx.key != NULL, TG_E_CRYPTO);
		hs->kx.group = hs->group;
	} else if (fx != NULL && fx->p256 != NULL &&
		   hs->group == TG_GROUP_SECP256R1) {
		TG_ENSURE(EVP_PKEY_up_ref(fx->p256) == 1, TG_E_CRYPTO);
		hs->kx.key = fx->p256;
		hs->kx.group = hs->group;
	} else {
		TG_GUARD(tg_kx_keygen(&hs->kx, hs->group));
	}
	r = tg_kx_public(&hs->kx, pub, TG_KX_MAX_PUB, pl);
	/* a share that is no point of its group: illegal_parameter */
	if (tg_ok(r))
		r = tg_kx_derive(&hs->kx, share->p, share->len, dhe,
				 TG_KX_MAX_SECRET, dl);
	tg_kx_free(&hs->kx);
	if (tg_failed(r))
		tg_wipe(dhe, TG_KX_MAX_SECRET);
	return r;
}

/* ServerHello and the server's whole flight (RFC 8446 §2); @p share is
 * NULL for a psk_ke resumption (no (EC)DHE, no key_share, §4.2.9). */
static TG_MUST_CHECK tg_result tg_srv13_flight(struct tg_hs *hs,
					       const struct tg_hs_client_hello *ch,
					       const struct tg_hs_bytes *share)
{
	const struct tg_hs_config *cfg = hs->cfg;
	struct tg_hs_server_hello sh;
	uint8_t pub[TG_KX_MAX_PUB], dhe[TG_KX_MAX_SECRET], th[TG_HASH_MAX_LEN];
	size_t pl = 0, dl = 0;
	struct tg_keys k;
	tg_result r;

	if (share != NULL) {
		TG_GUARD(tg_srv13_psk(hs, ch, false));
		/* a full handshake needs a certificate (§9.2: no
		 * signature_algorithms was fine only with a PSK) */
		TG_ENSURE(hs->psk_ok || hs->cert != NULL, TG_E_MISSING_EXT);
		TG_GUARD(tg_srv13_dhe(hs, share, pub, &pl, dhe, &dl));
		hs->info.group = hs->group;
	}
	/* RFC 8446 §4.1.3: 32 random bytes; no sentinel in TLS 1.3 */
	if (tg_srv13_fixed != NULL) {
		memcpy(hs->server_random, tg_srv13_fixed->random,
		       sizeof(hs->server_random));
		r = TG_OK;
	} else {
		r = tg_rand_public(hs->server_random, sizeof(hs->server_random));
	}
	memset(&sh, 0, sizeof(sh));
	sh.version = TG_TLS12;
	memcpy(sh.random, hs->server_random, sizeof(sh.random));
	sh.session_id_len = hs->sid_len;
	memcpy(sh.session_id, hs->sid, hs->sid_len);
	sh.suite = hs->cs13->id;
	sh.exts = TG_HS_EXT_SUPPORTED_VERSIONS |
		  (share != NULL ? TG_HS_EXT_KEY_SHARE : 0);
	sh.has_ext_block = true;
	sh.ks_group = hs->group;
	sh.ks_pub.p = pub;
	sh.ks_pub.len = pl;
	sh.selected_version = TG_TLS13;
	if (hs->psk_ok) {
		sh.exts |= TG_HS_EXT_PRE_SHARED_KEY;
		sh.psk_identity = hs->psk_index;
	}
	if (tg_ok(r)) {
		struct tg_wcur w_ = tg_wcur_init(tg_hs_scratch, TG_HS_MSG_MAX);

		r = tg_hs_server_hello_write(&w_, &sh);
		if (tg_ok(r))
			r = tg_hsio_put_hs(&hs->io, w_.p, w_.pos);
		if (tg_ok(r))
			r = tg_hs_tr_add(hs, w_.p, w_.pos);
	}
	/* §7.1: the handshake secrets over ClientHello..ServerHello */
	if (tg_ok(r))
		r = tg_hs13_th(hs, hs->tr_len, th);
	if (tg_ok(r))
		r = tg_ks_init(&hs->ks, tg_hs13_hash(hs), hs->psk_ok ? hs->psk : NULL,
			       hs->psk_ok ? tg_hash_len(tg_hs13_hash(hs)) : 0);
	tg_wipe(hs->psk, sizeof(hs->psk));
	if (tg_ok(r))
		r = tg_ks_handshake(&hs->ks, dhe, dl, th);
	tg_wipe(dhe, sizeof(dhe));
	TG_GUARD(r);
	/* §D.4: the dummy ChangeCipherSpec right after our first message */
	TG_GUARD(tg_hs13_put_ccs(hs));
	r = tg_hs13_keys(hs, hs->ks.s_hs, TG_DIR_SEAL, &k);
	if (tg_ok(r))
		r = tg_hs13_keys(hs, hs->ks.c_hs, TG_DIR_OPEN, &k);
	TG_WIPE_OBJ(k);
	TG_GUARD(r);
	/* RFC 8449 §4: the client's limit bounds our protected records
	 * (1.3: it counts the content type) */
	if (hs->peer_rsl != 0 && hs->peer_rsl - 1 < TG_REC_MAX_PLAIN) {
		hs->io.frag_max = (uint16_t)(hs->peer_rsl - 1);
		hs->info.record_limit = hs->io.frag_max;
	}
	TG_GUARD(tg_srv13_ee(hs, ch));
	/* §2.2: a resumption authenticates with the PSK: no certificate,
	 * and no client certificate asked for (§4.3.2) */
	if (!hs->psk_ok && cfg->client_auth != TG_HS_CLIENT_AUTH_NONE)
		TG_GUARD(tg_srv13_cr(hs));
	if (!hs->psk_ok) {
		static const struct tg_hs_bytes empty = { NULL, 0 };

		TG_GUARD(tg_hs13_cert_cv(hs, &empty));
	}
	TG_GUARD(tg_hs13_finished_out(hs, hs->ks.s_hs));
	TG_GUARD(tg_hsio_flush(&hs->io));
	/* §7.1: the master secrets over ClientHello..server Finished */
	TG_GUARD(tg_hs13_th(hs, hs->tr_len, th));
	TG_GUARD(tg_ks_master(&hs->ks, th));
	hs->st = !hs->psk_ok && cfg->client_auth != TG_HS_CLIENT_AUTH_NONE
			 ? S13_CLIENT_CERT
			 : S13_FINISHED;
	return TG_OK;
}

tg_result tg_srv13_client_hello(struct tg_hs *hs,
				const struct tg_hs_client_hello *ch,
				struct tg_hsio_msg *m)
{
	struct tg_hs_bytes share = { NULL, 0 };
	bool have = false;

	(void)m;
	hs->v13 = true;
	hs->io.v13 = true;
	hs->info.version = TG_TLS13;
	/* RFC 8446 §4.1.2, §D.4: legacy_session_id is echoed; a non-empty
	 * one is a client in middlebox compatibility mode */
	hs->sid_len = ch->session_id_len;
	memcpy(hs->sid, ch->session_id, ch->session_id_len);
	hs->compat = ch->session_id_len > 0;
	/* §4.2.2: "Clients MUST NOT use cookies in their initial
	 * ClientHello" */
	TG_ENSURE(!(ch->exts & TG_HS_EXT_COOKIE), TG_E_ILLEGAL_PARAM);
	TG_GUARD(tg_srv13_negotiate(hs, ch));
	/* §4.2.10: early data is never accepted; what the client sends of
	 * it is skipped (hsio), up to a bound */
	if (ch->exts & TG_HS_EXT_EARLY_DATA)
		hs->io.early_skip = TG_HSIO_EARLY_SKIP_MAX;
	memcpy(hs->ch1_random, ch->random, sizeof(hs->ch1_random));
	hs->ch1_offered = ch->exts;
	/* §4.2.9: psk_ke when both take it and the ticket resumes: no
	 * (EC)DHE, so no group to agree on and no HelloRetryRequest */
	if (hs->psk_modes_ke) {
		TG_GUARD(tg_srv13_psk(hs, ch, true));
		if (hs->psk_ok)
			return tg_srv13_flight(hs, ch, NULL);
	}
	TG_GUARD(tg_srv13_group(hs, ch, &share, &have));
	if (!have)
		return tg_srv13_hrr(hs);
	return tg_srv13_flight(hs, ch, &share);
}

tg_result tg_srv13_client_hello2(struct tg_hs *hs, struct tg_hsio_msg *m)
{
	struct tg_hs_client_hello ch;
	struct tg_hs_bytes share;
	const struct tg_cs13_info *cs = hs->cs13;
	uint16_t group = hs->group;
	const uint8_t *cookie;
	size_t cookie_len;
	bool have = false;

	TG_GUARD(tg_hs_client_hello_parse(&m->body, &ch));
	/* early data ends with the second ClientHello (§4.2.10) */
	hs->io.early_skip = 0;
	/* RFC 8446 §4.1.2: the same ClientHello but for key_share (one
	 * share, of the group we asked for), early_data (gone), cookie
	 * (ours, echoed), pre_shared_key and padding */
	TG_ENSURE(tg_srv13_wanted(hs, &ch), TG_E_ILLEGAL_PARAM);
	TG_ENSURE(ch.session_id_len == hs->sid_len &&
			  memcmp(ch.session_id, hs->sid, hs->sid_len) == 0 &&
			  memcmp(ch.random, hs->ch1_random, TG_TLS_RANDOM_LEN) == 0,
		  TG_E_ILLEGAL_PARAM);
	TG_ENSURE(!(ch.exts & TG_HS_EXT_EARLY_DATA), TG_E_ILLEGAL_PARAM);
	TG_ENSURE(ch.exts & TG_HS_EXT_COOKIE, TG_E_MISSING_EXT);
	cookie = tg_srv13_cookie(hs, &cookie_len);
	TG_ENSURE(ch.cookie.len == cookie_len &&
			  CRYPTO_memcmp(ch.cookie.p, cookie, cookie_len) == 0,
		  TG_E_ILLEGAL_PARAM);
	TG_GUARD(tg_srv13_negotiate(hs, &ch));
	/* §4.1.4: the same suite as the HelloRetryRequest named */
	TG_ENSURE(hs->cs13 == cs, TG_E_ILLEGAL_PARAM);
	TG_GUARD(tg_srv13_group(hs, &ch, &share, &have));
	/* §4.2.8: a share of the group asked for, and nothing else: a
	 * client asked twice is refused, not asked again */
	TG_ENSURE(have && hs->group == group && ch.n_key_shares == 1,
		  TG_E_ILLEGAL_PARAM);
	return tg_srv13_flight(hs, &ch, &share);
}

tg_result tg_hs13_ccs(struct tg_hs *hs, struct tg_hsio_msg *m)
{
	(void)m;
	/* RFC 8446 §5: "MUST simply drop it without further processing"
	 * (the value was checked by the record layer: 0x01, in clear) */
	TG_ENSURE(hs->v13, TG_E_UNEXPECTED_MSG);
	return TG_OK;
}

/* A peer's TLS 1.3 chain (RFC 8446 §4.4.2): the entries' extensions
 * answer extensions of ours in ClientHello / CertificateRequest, and we
 * send none that asks for one (status_request, SCT). */
tg_result tg_hs13_peer_chain(struct tg_hs *hs,
			     const struct tg_hs13_certificate *c13,
			     const struct tg_ca *ca, enum tg_verify_purpose purpose,
			     const char *host)
{
	struct tg_hs_certificate c;

	memset(&c, 0, sizeof(c));
	c.n = c13->n;
	for (size_t i = 0; i < c13->n; i++) {
		TG_ENSURE(c13->exts[i].len == 0, TG_E_UNSUPPORTED_EXT);
		c.cert[i] = c13->cert[i];
	}
	return tg_hs_peer_chain(hs, &c, ca, purpose, host);
}

tg_result tg_srv13_client_cert(struct tg_hs *hs, struct tg_hsio_msg *m)
{
	const struct tg_hs_config *cfg = hs->cfg;
	struct tg_hs13_certificate c13;

	TG_GUARD(tg_hs13_certificate_parse(&m->body, &c13));
	/* §4.4.2: the context of our CertificateRequest (empty) */
	TG_ENSURE(c13.context.len == 0, TG_E_ILLEGAL_PARAM);
	if (c13.n == 0) {
		/* §4.4.2.4: certificate_required, or go on without one */
		TG_ENSURE(cfg->client_auth != TG_HS_CLIENT_AUTH_REQUIRE,
			  TG_E_CERT_REQUIRED13);
		hs->st = S13_FINISHED;
		return TG_OK;
	}
	TG_ENSURE(cfg->client_ca != NULL, TG_E_UNKNOWN_CA);
	TG_GUARD(tg_hs13_peer_chain(hs, &c13, cfg->client_ca, TG_VERIFY_CLIENT,
				    NULL));
	hs->st = S13_CERT_VERIFY;
	return TG_OK;
}

/* The peer's CertificateVerify (RFC 8446 §4.4.3): a scheme we offered
 * (or asked for), TLS 1.3's, fit for the key (ECDSA: the key's own
 * curve), over the transcript through its Certificate. */
tg_result tg_hs13_cv_in(struct tg_hs *hs, struct tg_hsio_msg *m, uint16_t *sigalg)
{
	struct tg_hs_certificate_verify cv;
	uint8_t th[TG_HASH_MAX_LEN], content[TG_HS13_CV_CONTENT_MAX];
	struct tg_wcur cw = tg_wcur_init(content, sizeof(content));
	size_t n;
	const uint16_t *ours = tg_hs_sigalgs(hs->cfg, &n);
	enum tg_key_type kt;
	uint16_t curve;
	const struct tg_sigalg_info *s;

	TG_GUARD(tg_hs_certificate_verify_parse(&m->body, &cv));
	s = tg_sigalg_by_id(cv.sigalg);
	TG_ENSURE(s != NULL && tg_hs_u16_in(cv.sigalg, ours, n) &&
			  tg_hs13_sigalg_ok(cv.sigalg),
		  TG_E_ILLEGAL_PARAM);
	TG_GUARD(tg_sig_check_key(cv.sigalg, hs->peer_key));
	TG_GUARD(tg_sig_key_info(hs->peer_key, &kt, &curve));
	TG_ENSURE(kt != TG_KEY_EC || s->curve == curve, TG_E_ILLEGAL_PARAM);
	TG_GUARD(tg_hs13_th(hs, hs->tr_prev, th));
	TG_GUARD(tg_hs13_cv_content(hs->cfg->role == TG_HS_CLIENT, th,
				    tg_hash_len(tg_hs13_hash(hs)), &cw));
	*sigalg = cv.sigalg;
	return tg_sig_verify(cv.sigalg, hs->peer_key, content, cw.pos, cv.sig.p,
			     cv.sig.len);
}

tg_result tg_srv13_cert_verify(struct tg_hs *hs, struct tg_hsio_msg *m)
{
	uint16_t sigalg;

	TG_GUARD(tg_hs13_cv_in(hs, m, &sigalg));
	hs->st = S13_FINISHED;
	return TG_OK;
}

/* The peer's Finished (RFC 8446 §4.4.4), over the transcript before it. */
tg_result tg_hs13_finished_in(struct tg_hs *hs, struct tg_hsio_msg *m,
			      const uint8_t *base)
{
	struct tg_hs13_finished fin;
	uint8_t th[TG_HASH_MAX_LEN];

	TG_GUARD(tg_hs13_finished_parse(&m->body, tg_hash_len(tg_hs13_hash(hs)),
					&fin));
	TG_GUARD(tg_hs13_th(hs, hs->tr_prev, th));
	return tg_ks_finished_check(tg_hs13_hash(hs), base, th, fin.verify_data,
				    fin.len);
}

tg_result tg_srv13_finished(struct tg_hs *hs, struct tg_hsio_msg *m)
{
	uint8_t th[TG_HASH_MAX_LEN];
	tg_result r;

	TG_GUARD(tg_hs13_finished_in(hs, m, hs->ks.c_hs));
	/* §7.1: resumption_master_secret through the client Finished */
	TG_GUARD(tg_hs13_th(hs, hs->tr_len, th));
	TG_GUARD(tg_ks_resumption(&hs->ks, th));
	/* §7.3: the application keys; our NewSessionTicket goes under the
	 * server's, and the export continues after it */
	r = tg_hs13_keys(hs, hs->ks.s_ap, TG_DIR_SEAL, &hs->k_tx);
	if (tg_ok(r))
		r = tg_hs13_keys(hs, hs->ks.c_ap, TG_DIR_OPEN, &hs->k_rx);
	TG_GUARD(r);
	/* §4.6.1: a ticket for a client that can resume with it; a ticket
	 * that cannot be made only costs a resumption */
	if (hs->cfg->tickets != NULL && (hs->psk_modes_dhe || hs->psk_modes_ke) &&
	    tg_failed(tg_srv13_send_ticket(hs)))
		TG_DEBUG("hs13: no ticket sent");
	TG_GUARD(tg_hsio_flush(&hs->io));
	tg_hs_established(hs);
	return TG_OK;
}
