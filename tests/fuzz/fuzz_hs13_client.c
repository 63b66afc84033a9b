/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the TLS 1.3 client (control/hs13_client.c and its
 * rows of the state table) fed server bytes after our ClientHello.
 *
 * Input layout: a 4-byte header, then the body.
 *   byte 0: configuration (bits 0-2: one of the TLS 1.3 client configs
 *           built at start-up: 0 is RFC 8448 §3's client, the others
 *           mix TLS 1.2 offered too, compatibility mode, a client
 *           certificate, ALPN, record_size_limit, a CA check; bit 3:
 *           offer a made-up TLS 1.3 ticket's PSK; bit 4: structured)
 *   bytes 1-3: seed of the chunk sizes (fuzz_hs_drive).
 * Raw: the body is the server's wire bytes, as fuzz_hs_client.
 * Structured: the body is u16 L, L wire bytes (the ServerHello's records,
 * in clear), then handshake messages that this target seals itself
 * under the server handshake traffic key our client will derive: the
 * client's random and X25519 key are RFC 8448 §3's (tg_cli13_fixed), the
 * server's X25519 key is the trace's, and the transcript is our
 * ClientHello and the handshake bytes of the first part. So the
 * encrypted flight (EncryptedExtensions .. Finished) is reached and
 * mutated as plaintext; the seed with the trace's own messages
 * completes a handshake with configuration 0.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz_hs_common.h"
#include "hs_engine.h"
#include "tg_cert.h"
#include "tg_hs.h"
#include "tg_ks.h"
#include "tg_suite.h"
#include "tg_tls.h"

#define N_CFG 8

static struct tg_accel *acc;
static struct tg_cert *cli_cert;
static struct tg_ca *ca;
static struct tg_hs_config cfgs[N_CFG];
static struct tg_hs_session sess13;
static EVP_PKEY *srv_key;

/* RFC 8448 §3: the client's random and X25519 key, the server's key */
static const struct tg_cli13_fixed fixed = {
	.random = { 0xcb, 0x34, 0xec, 0xb1, 0xe7, 0x81, 0x63, 0xba, 0x1c, 0x38,
		    0xc6, 0xda, 0xcb, 0x19, 0x6a, 0x6d, 0xff, 0xa2, 0x1a, 0x8d,
		    0x99, 0x12, 0xec, 0x18, 0xa2, 0xef, 0x62, 0x83, 0x02, 0x4d,
		    0xec, 0xe7 },
	.x25519 = { 0x49, 0xaf, 0x42, 0xba, 0x7f, 0x79, 0x94, 0x85, 0x2d, 0x71,
		    0x3e, 0xf2, 0x78, 0x4b, 0xcb, 0xca, 0xa7, 0x91, 0x1d, 0xe2,
		    0x6a, 0xdc, 0x56, 0x42, 0xcb, 0x63, 0x45, 0x40, 0xe7, 0xea,
		    0x50, 0x05 },
};
static const uint8_t srv_priv[32] = {
	0xb1, 0x58, 0x0e, 0xea, 0xdf, 0x6d, 0xd5, 0x89, 0xb8, 0xef, 0x4f,
	0x2d, 0x56, 0x52, 0x57, 0x8c, 0xc8, 0x10, 0xe9, 0x98, 0x01, 0x91,
	0xec, 0x8d, 0x05, 0x83, 0x08, 0xce, 0xa2, 0x16, 0xa2, 0x1e,
};

static void rfc8448_cfg(struct tg_hs_config *c)
{
	static const uint16_t groups[] = { 0x001d, 0x0017, 0x0018, 0x0019, 0x0100,
					   0x0101, 0x0102, 0x0103, 0x0104 };
	static const uint16_t sigalgs[] = { 0x0403, 0x0503, 0x0603, 0x0203, 0x0804,
					    0x0805, 0x0806, 0x0401, 0x0501, 0x0601,
					    0x0201, 0x0402, 0x0502, 0x0602, 0x0202 };

	c->suites13[0] = 0x1301;
	c->suites13[1] = 0x1303;
	c->suites13[2] = 0x1302;
	c->n_suites13 = 3;
	memcpy(c->groups, groups, sizeof(groups));
	c->n_groups = 9;
	memcpy(c->sigalgs, sigalgs, sizeof(sigalgs));
	c->n_sigalgs = 15;
	snprintf(c->server_name, sizeof(c->server_name), "server");
	c->no_compat = true;
	c->record_size_limit = 0x4001;
}

void fuzz_hs_target_setup(void)
{
	struct fuzz_hs_files f;

	acc = fuzz_hs_setup("fuzz_hs13_client", &f);
	if (tg_failed(tg_cert_load(f.ec_crt, f.ec_key, &cli_cert)) ||
	    tg_failed(tg_ca_load(f.rsa_crt, NULL, &ca)))
		fuzz_hs_die("cannot build the configuration");
	fuzz_hs_files_remove(&f);
	srv_key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, srv_priv, 32);
	if (srv_key == NULL)
		fuzz_hs_die("cannot make the server key");
	for (unsigned i = 0; i < N_CFG; i++) {
		struct tg_hs_config *c = &cfgs[i];

		tg_hs_config_defaults(c, TG_HS_CLIENT);
		c->acc = acc;
		c->versions = TG_HS_VERSION_TLS13;
		if (i == 0) {
			rfc8448_cfg(c);
			continue;
		}
		snprintf(c->server_name, sizeof(c->server_name), "www.example.com");
		c->versions |= (i & 1) ? TG_HS_VERSION_TLS12 : 0;
		c->no_compat = (i & 2) == 0;
		c->client_cert = (i & 4) ? cli_cert : NULL;
		c->ca = i == 7 ? ca : NULL;
		if (i & 2) {
			snprintf(c->alpn[0], sizeof(c->alpn[0]), "h2");
			c->n_alpn = 1;
			c->record_size_limit = 512;
		}
	}
	/* a made-up TLS 1.3 session whose PSK we offer */
	memset(&sess13, 0, sizeof(sess13));
	sess13.valid = true;
	sess13.tls13 = true;
	sess13.suite = 0x1301;
	memset(sess13.master, 0x22, 32);
	sess13.ticket_len = 64;
	memset(sess13.ticket, 0x33, 64);
	sess13.lifetime = 604800;
	sess13.received_ms = (uint64_t)time(NULL) * 1000;
	snprintf(sess13.sni, sizeof(sess13.sni), "www.example.com");
}

/* The handshake payload of records in clear, appended to @p tr. */
static size_t hs_payload(const uint8_t *p, size_t n, uint8_t *tr, size_t k,
			 size_t cap)
{
	size_t off = 0;

	while (off + 5 <= n) {
		size_t l = (size_t)p[off + 3] << 8 | p[off + 4];

		if (off + 5 + l > n)
			break;
		if (p[off] == TG_CT_HANDSHAKE && k + l <= cap) {
			memcpy(tr + k, p + off + 5, l);
			k += l;
		}
		off += 5 + l;
	}
	return k;
}

/* Our ClientHello's handshake bytes (records in clear) into @p tr. */
static size_t take_hello(struct tg_hs *hs, uint8_t *tr, size_t cap)
{
	static uint8_t out[1 << 16];
	size_t n = tg_hs_output(hs, out, sizeof(out));

	return hs_payload(out, n, tr, 0, cap);
}

/* Seal @p msg (@p n bytes) in records under the server handshake key of
 * the transcript @p tr into @p out (after its 4-byte header). */
static size_t seal_flight(const struct tg_hs_info *info, const uint8_t *tr,
			  size_t trl, const uint8_t *msg, size_t n, uint8_t *out,
			  size_t cap)
{
	const struct tg_cs13_info *cs = tg_cs13_by_id(info->suite);
	uint8_t pub[32], dhe[32], th[TG_HASH_MAX_LEN];
	size_t pl = 32, dl = 32, k = 0, off = 0;
	EVP_PKEY *peer;
	EVP_PKEY_CTX *ctx;
	struct tg_ks ks;
	struct tg_keys keys;
	struct tg_accel_sess *s = NULL;
	enum tg_hash h;

	if (cs == NULL || info->group != TG_GROUP_X25519)
		return 0;
	h = (enum tg_hash)cs->hash;
	/* the client's public key, from its fixed private one */
	peer = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, fixed.x25519, 32);
	if (peer == NULL || EVP_PKEY_get_raw_public_key(peer, pub, &pl) != 1)
		abort();
	EVP_PKEY_free(peer);
	peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub, 32);
	ctx = EVP_PKEY_CTX_new(srv_key, NULL);
	if (peer == NULL || ctx == NULL || EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer(ctx, peer) != 1 ||
	    EVP_PKEY_derive(ctx, dhe, &dl) != 1)
		abort();
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	if (tg_failed(tg_hash(h, tr, trl, th)) || tg_failed(tg_ks_init(&ks, h, NULL, 0)) ||
	    tg_failed(tg_ks_handshake(&ks, dhe, dl, th)) ||
	    tg_failed(tg_ks_traffic_keys(h, (enum tg_suite)cs->suite, ks.s_hs,
					 TG_DIR_SEAL, 0, &keys)) ||
	    tg_failed(tg_accel_sess_create(acc, &keys, &s)))
		abort();
	tg_ks_wipe(&ks);
	while (off < n) {
		size_t l = n - off > 4096 ? 4096 : n - off;
		uint32_t hl = tg_accel_hdr_len(s);
		struct tg_rec rec = { .sess = s, .buf = out + k, .cap = (uint32_t)(cap - k),
				      .off = hl, .len = (uint32_t)l,
				      .type = TG_CT_HANDSHAKE }, *rp = &rec;

		if (cap - k < l + 512)
			break;
		memcpy(out + k + hl, msg + off, l);
		if (tg_accel_seal_burst(&rp, 1) != 1)
			abort();
		memmove(out + k, out + k + rec.rec_off, rec.rec_len);
		k += rec.rec_len;
		off += l;
	}
	tg_accel_sess_free(s);
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t tr[1 << 16], buf[1 << 17];
	struct tg_hs *hs = NULL;
	size_t trl, l, used = 0, k;
	tg_result r;

	if (size < 4)
		return 0;
	tg_cli13_fixed = &fixed;
	if (tg_failed(tg_hs_new(&cfgs[data[0] % N_CFG],
				(data[0] & 8) ? &sess13 : NULL, &hs)))
		abort();
	if (!(data[0] & 16) || size < 6) {
		fuzz_hs_drain(hs);
		fuzz_hs_drive(hs, data, size);
		return 0;
	}
	/* structured: the ServerHello part in clear */
	trl = take_hello(hs, tr, sizeof(tr));
	l = (size_t)data[4] << 8 | data[5];
	if (l > size - 6)
		l = size - 6;
	r = tg_hs_feed(hs, data + 6, l, &used);
	fuzz_hs_drain(hs);
	if (tg_failed(r) || used != l || tg_hs_info(hs)->version != TG_TLS13 ||
	    tg_hs_info(hs)->hrr) {
		if (tg_failed(r) && !(tg_hs_events(hs) & TG_HS_EV_FAILED))
			abort();
		tg_hs_free(hs);
		return 0;
	}
	trl = hs_payload(data + 6, l, tr, trl, sizeof(tr));
	/* the rest sealed, then driven as any wire bytes */
	memcpy(buf, data, 4);
	k = seal_flight(tg_hs_info(hs), tr, trl, data + 6 + l, size - 6 - l,
			buf + 4, sizeof(buf) - 4);
	fuzz_hs_drive(hs, buf, 4 + k);
	return 0;
}
