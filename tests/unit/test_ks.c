/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for control/ks.c, the TLS 1.3 key schedule (RFC 8446 §7).
 *
 * Known answers, byte for byte, from the RFC 8448 traces:
 *  - §3 "Simple 1-RTT Handshake": the X25519 secret from the trace's
 *    private key, every secret of the schedule from the transcript of the
 *    trace's messages (hashed here), the traffic keys and IVs of both
 *    directions and phases, both Finished values, the exporter and
 *    resumption master secrets, the ticket PSK of the trace's
 *    NewSessionTicket, and the server's CertificateVerify checked with
 *    the trace's certificate;
 *  - §4 "Resumed 0-RTT Handshake": the early secret from that PSK, the
 *    resumption binder key and the PSK binder over the ClientHello
 *    truncated before its binders, and the early traffic secret;
 *  - §5 "HelloRetryRequest": the transcript with ClientHello1 replaced
 *    by its message_hash (§4.4.1), the P-256 secret from the trace's
 *    private key, the handshake and master secrets, and the trace's
 *    encrypted records (the server's flight, the client's Finished)
 *    opened by the record engine with the keys derived here: the server
 *    and client Finished inside them verify.
 * Then: HKDF against libcrypto's EVP_KDF on random inputs, the limits of
 * HKDF-Expand-Label, the KeyUpdate step (§7.2), and the constant-time
 * Finished check.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/x509.h>

#include "tg_accel.h"
#include "tg_ks.h"
#include "tg_prf.h"
#include "tg_sig.h"
#include "tg_suite.h"
#include "tg_rfc8448.h"
#include "tg_test.h"
#include "tg_tls.h"

static struct tg_accel *acc;

static int suite_init(void)
{
	struct tg_accel_conf conf = { .backends = "evp", .no_calibrate = true };

	return tg_failed(tg_accel_create(&conf, &acc)) ? -1 : 0;
}

static int suite_fini(void)
{
	tg_accel_destroy(acc);
	return 0;
}

#define X(s) (s)
static size_t hex(const char *h, uint8_t *out, size_t cap)
{
	return tg_test_hex(h, out, cap);
}

/* @p got (n bytes) equals the hex string @p want */
static void eq_hex(const uint8_t *got, size_t n, const char *want)
{
	uint8_t w[1024];
	size_t wl = hex(want, w, sizeof(w));

	CU_ASSERT_EQUAL(wl, n);
	if (wl != n || memcmp(got, w, n) != 0) {
		fprintf(stderr, "want %s\n got ", want);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "%02x", got[i]);
		fprintf(stderr, "\n");
		CU_FAIL("known answer");
	}
}

/* ---- RFC 8448 §3: Simple 1-RTT Handshake ------------------------------- */

/* A transcript: the messages appended, hashed on demand. */
struct tr {
	uint8_t b[4096];
	size_t n;
};

static void tr_add(struct tr *t, const char *h)
{
	t->n += hex(h, t->b + t->n, sizeof(t->b) - t->n);
}

static void tr_hash(const struct tr *t, enum tg_hash h, uint8_t *out)
{
	TG_ASSERT_OK(tg_hash(h, t->b, t->n, out));
}

/* X25519 secret of a raw private key and a peer's public value. */
static size_t x25519(const char *priv, const char *peer, uint8_t *out)
{
	uint8_t k[32], p[32];
	EVP_PKEY *a, *b;
	EVP_PKEY_CTX *c;
	size_t n = 32;

	CU_ASSERT_EQUAL(hex(priv, k, 32), 32);
	CU_ASSERT_EQUAL(hex(peer, p, 32), 32);
	a = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, k, 32);
	b = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, p, 32);
	c = EVP_PKEY_CTX_new(a, NULL);
	CU_ASSERT_FATAL(a && b && c);
	CU_ASSERT_EQUAL(EVP_PKEY_derive_init(c), 1);
	CU_ASSERT_EQUAL(EVP_PKEY_derive_set_peer(c, b), 1);
	CU_ASSERT_EQUAL(EVP_PKEY_derive(c, out, &n), 1);
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	return n;
}

static void keys_eq(const struct tg_keys *k, const char *key, const char *iv)
{
	CU_ASSERT_EQUAL(k->version, TG_TLS13);
	CU_ASSERT_EQUAL(k->iv_len, 12);
	eq_hex(k->key, k->key_len, key);
	eq_hex(k->iv, k->iv_len, iv);
	CU_ASSERT_EQUAL(k->seq, 0);
}

static void test_rfc8448_simple(void)
{
	const enum tg_hash h = TG_HASH_SHA256;
	struct tg_ks ks;
	struct tr t = { .n = 0 };
	uint8_t dhe[32], th[TG_HASH_MAX_LEN], fin[32], psk[32];
	struct tg_keys k;

	/* {client}/{server} x25519 */
	CU_ASSERT_EQUAL(x25519("b1 58 0e ea df 6d d5 89 b8 ef 4f 2d 56 52 57 8c"
			       "c8 10 e9 98 01 91 ec 8d 05 83 08 ce a2 16 a2 1e",
			       "99 38 1d e5 60 e4 bd 43 d2 3d 8e 43 5a 7d ba fe"
			       "b3 c0 6e 51 c1 3c ae 4d 54 13 69 1e 52 9a af 2c",
			       dhe), 32);
	eq_hex(dhe, 32, "8b d4 05 4f b5 5b 9d 63 fd fb ac f9 f0 4b 9f 0d 35 e6"
			"d6 3f 53 75 63 ef d4 62 72 90 0f 89 49 2d");
	/* extract secret "early" */
	TG_ASSERT_OK(tg_ks_init(&ks, h, NULL, 0));
	eq_hex(ks.early, 32, "33 ad 0a 1c 60 7e c0 3b 09 e6 cd 98 93 68 0c e2"
			     "10 ad f3 00 aa 1f 26 60 e1 b2 2e 10 f1 70 f9 2a");
	/* derive secret for handshake "tls13 derived" */
	{
		uint8_t d[32];

		TG_ASSERT_OK(tg_ks_derive_secret(h, ks.early, "derived", NULL, d));
		eq_hex(d, 32, "6f 26 15 a1 08 c7 02 c5 67 8f 54 fc 9d ba b6 97"
			      "16 c0 76 18 9c 48 25 0c eb ea c3 57 6c 36 11 ba");
	}
	tr_add(&t, s3_ch);
	tr_add(&t, s3_sh);
	tr_hash(&t, h, th);
	eq_hex(th, 32, "86 0c 06 ed c0 78 58 ee 8e 78 f0 e7 42 8c 58 ed d6 b4"
		       "3f 2c a3 e6 e9 5f 02 ed 06 3c f0 e1 ca d8");
	TG_ASSERT_OK(tg_ks_handshake(&ks, dhe, 32, th));
	eq_hex(ks.handshake, 32, "1d c8 26 e9 36 06 aa 6f dc 0a ad c1 2f 74 1b 01"
				 "04 6a a6 b9 9f 69 1e d2 21 a9 f0 ca 04 3f be ac");
	eq_hex(ks.c_hs, 32, "b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f"
			    "3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21");
	eq_hex(ks.s_hs, 32, "b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4"
			    "e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38");
	/* derive write traffic keys for handshake data */
	TG_ASSERT_OK(tg_ks_traffic_keys(h, TG_SUITE_AES128GCM, ks.s_hs,
					TG_DIR_SEAL, 0, &k));
	keys_eq(&k, "3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc",
		"5d 31 3e b2 67 12 76 ee 13 00 0b 30");
	TG_ASSERT_OK(tg_ks_traffic_keys(h, TG_SUITE_AES128GCM, ks.c_hs,
					TG_DIR_OPEN, 0, &k));
	CU_ASSERT_EQUAL(k.dir, TG_DIR_OPEN);
	keys_eq(&k, "db fa a6 93 d1 76 2c 5b 66 6a f5 d9 50 25 8d 01",
		"5b d3 c7 1b 83 6e 0b 76 bb 73 26 5f");

	/* CertificateVerify (RFC 8446 §4.4.3) over CH..Certificate, with
	 * the trace's certificate */
	tr_add(&t, s3_ee);
	tr_add(&t, s3_cert);
	tr_hash(&t, h, th);
	{
		uint8_t cert[512], cv[256], content[64 + 34 + 32];
		size_t cl = hex(s3_cert, cert, sizeof(cert));
		size_t vl = hex(s3_cv, cv, sizeof(cv));
		const unsigned char *p = cert + 11;
		X509 *x;
		EVP_PKEY *pk;

		CU_ASSERT_EQUAL_FATAL(cl, 445);
		CU_ASSERT_EQUAL_FATAL(vl, 136);
		x = d2i_X509(NULL, &p, 0x1b0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(x);
		pk = X509_get_pubkey(x);
		memset(content, 0x20, 64);
		memcpy(content + 64, "TLS 1.3, server CertificateVerify", 33);
		content[97] = 0;
		memcpy(content + 98, th, 32);
		CU_ASSERT_EQUAL(cv[4] << 8 | cv[5], TG_SIG_RSA_PSS_RSAE_SHA256);
		TG_ASSERT_OK(tg_sig_verify(TG_SIG_RSA_PSS_RSAE_SHA256, pk, content,
					   sizeof(content), cv + 8, 128));
		content[97] = 1;
		TG_ASSERT_ERR(tg_sig_verify(TG_SIG_RSA_PSS_RSAE_SHA256, pk, content,
					    sizeof(content), cv + 8, 128),
			      TG_E_DECRYPT_ERROR);
		EVP_PKEY_free(pk);
		X509_free(x);
	}

	/* server Finished over CH..CertificateVerify */
	tr_add(&t, s3_cv);
	tr_hash(&t, h, th);
	TG_ASSERT_OK(tg_ks_finished(h, ks.s_hs, th, fin));
	eq_hex(fin, 32, "9b 9b 14 1d 90 63 37 fb d2 cb dc e7 1d f4 de da"
			"4a b4 2c 30 95 72 cb 7f ff ee 54 54 b7 8f 07 18");
	{
		uint8_t key[32];

		TG_ASSERT_OK(tg_ks_expand_label(h, ks.s_hs, "finished", NULL, 0,
						key, 32));
		eq_hex(key, 32, "00 8d 3b 66 f8 16 ea 55 9f 96 b5 37 e8 85 c3 1f"
				"c0 68 bf 49 2c 65 2f 01 f2 88 a1 d8 cd c1 9f c8");
	}
	tr_add(&t, s3_sfin);
	tr_hash(&t, h, th);
	eq_hex(th, 32, "96 08 10 2a 0f 1c cc 6d b6 25 0b 7b 7e 41 7b 1a 00 0e"
		       "aa da 3d aa e4 77 7a 76 86 c9 ff 83 df 13");
	TG_ASSERT_OK(tg_ks_master(&ks, th));
	eq_hex(ks.master, 32, "18 df 06 84 3d 13 a0 8b f2 a4 49 84 4c 5f 8a 47"
			      "80 01 bc 4d 4c 62 79 84 d5 a4 1d a8 d0 40 29 19");
	eq_hex(ks.c_ap, 32, "9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52"
			    "87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5");
	eq_hex(ks.s_ap, 32, "a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32"
			    "82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43");
	TG_ASSERT_OK(tg_ks_exporter(&ks, th));
	eq_hex(ks.exporter, 32, "fe 22 f8 81 17 6e da 18 eb 8f 44 52 9e 67 92 c5"
				"0c 9a 3f 89 45 2f 68 d8 ae 31 1b 43 09 d3 cf 50");
	TG_ASSERT_OK(tg_ks_traffic_keys(h, TG_SUITE_AES128GCM, ks.s_ap,
					TG_DIR_SEAL, 0, &k));
	keys_eq(&k, "9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56",
		"cf 78 2b 88 dd 83 54 9a ad f1 e9 84");
	TG_ASSERT_OK(tg_ks_traffic_keys(h, TG_SUITE_AES128GCM, ks.c_ap,
					TG_DIR_OPEN, 0, &k));
	keys_eq(&k, "17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51",
		"5b 78 92 3d ee 08 57 90 33 e5 23 d9");

	/* client Finished: the same transcript (through the server's) */
	TG_ASSERT_OK(tg_ks_finished(h, ks.c_hs, th, fin));
	eq_hex(fin, 32, "a8 ec 43 6d 67 76 34 ae 52 5a c1 fc eb e1 1a 03"
			"9e c1 76 94 fa c6 e9 85 27 b6 42 f2 ed d5 ce 61");
	TG_ASSERT_OK(tg_ks_finished_check(h, ks.c_hs, th, fin, 32));
	fin[31] ^= 1;
	TG_ASSERT_ERR(tg_ks_finished_check(h, ks.c_hs, th, fin, 32),
		      TG_E_DECRYPT_ERROR);
	TG_ASSERT_ERR(tg_ks_finished_check(h, ks.c_hs, th, fin, 31), TG_E_DECODE);

	/* derive secret "tls13 res master" */
	tr_add(&t, s3_cfin);
	tr_hash(&t, h, th);
	eq_hex(th, 32, "20 91 45 a9 6e e8 e2 a1 22 ff 81 00 47 cc 95 26 84 65"
		       "8d 60 49 e8 64 29 42 6d b8 7c 54 ad 14 3d");
	TG_ASSERT_OK(tg_ks_resumption(&ks, th));
	eq_hex(ks.resumption, 32, "7d f2 35 f2 03 1d 2a 05 12 87 d0 2b 02 41 b0 bf"
				  "da f8 6c c8 56 23 1f 2d 5a ba 46 c4 34 ec 19 6c");
	/* generate resumption secret "tls13 resumption" with the ticket's
	 * nonce 00 00 */
	{
		static const uint8_t nonce[2] = { 0, 0 };

		TG_ASSERT_OK(tg_ks_ticket_psk(h, ks.resumption, nonce, 2, psk));
		eq_hex(psk, 32, "4e cd 0e b6 ec 3b 4d 87 f5 d6 02 8f 92 2c a4 c5"
				"85 1a 27 7f d4 13 11 c9 e6 2d 2c 94 92 e1 c4 f3");
	}
	tg_ks_wipe(&ks);
	CU_ASSERT_EQUAL(ks.c_ap[0] | ks.resumption[5], 0);
}

/* ---- RFC 8448 §4: Resumed 0-RTT Handshake -------------------------------- */

/* The ClientHello up to (not including) its binders list: what the
 * binder covers (RFC 8446 §4.2.11.2). The whole ClientHello ends with
 * 00 21 20 and the 32-byte binder. */
static const char s4_ch_prefix[] =
	"01 00 01 fc 03 03 1b c3 ce b6 bb e3 9c ff 93 83 55 b5 a5 0a db 6d b2 1b"
	"7a 6a f6 49 d7 b4 bc 41 9d 78 76 48 7d 95 00 00 06 13 01 13 03 13 02 01"
	"00 01 cd 00 00 00 0b 00 09 00 00 06 73 65 72 76 65 72 ff 01 00 01 00 00"
	"0a 00 14 00 12 00 1d 00 17 00 18 00 19 01 00 01 01 01 02 01 03 01 04 00"
	"33 00 26 00 24 00 1d 00 20 e4 ff b6 8a c0 5f 8d 96 c9 9d a2 66 98 34 6c"
	"6b e1 64 82 ba dd da fe 05 1a 66 b4 f1 8d 66 8f 0b 00 2a 00 00 00 2b 00"
	"03 02 03 04 00 0d 00 20 00 1e 04 03 05 03 06 03 02 03 08 04 08 05 08 06"
	"04 01 05 01 06 01 02 01 04 02 05 02 06 02 02 02 00 2d 00 02 01 01 00 1c"
	"00 02 40 01 00 15 00 57 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
	"00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
	"00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
	"00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
	"29 00 dd 00 b8 00 b2 2c 03 5d 82 93 59 ee 5f f7 af 4e c9 00 00 00 00 26"
	"2a 64 94 dc 48 6d 2c 8a 34 cb 33 fa 90 bf 1b 00 70 ad 3c 49 88 83 c9 36"
	"7c 09 a2 be 78 5a bc 55 cd 22 60 97 a3 a9 82 11 72 83 f8 2a 03 a1 43 ef"
	"d3 ff 5d d3 6d 64 e8 61 be 7f d6 1d 28 27 db 27 9c ce 14 50 77 d4 54 a3"
	"66 4d 4e 6d a4 d2 9e e0 37 25 a6 a4 da fc d0 fc 67 d2 ae a7 05 29 51 3e"
	"3d a2 67 7f a5 90 6c 5b 3f 7d 8f 92 f2 28 bd a4 0d da 72 14 70 f9 fb f2"
	"97 b5 ae a6 17 64 6f ac 5c 03 27 2e 97 07 27 c6 21 a7 91 41 ef 5f 7d e6"
	"50 5e 5b fb c3 88 e9 33 43 69 40 93 93 4a e4 d3 57 fa d6 aa cb";

static void test_rfc8448_resumed(void)
{
	const enum tg_hash h = TG_HASH_SHA256;
	struct tg_ks ks;
	uint8_t psk[32], ch[600], th[TG_HASH_MAX_LEN], bk[32], binder[32], et[32];
	size_t n = hex(s4_ch_prefix, ch, sizeof(ch));

	CU_ASSERT_EQUAL_FATAL(n, 477);
	CU_ASSERT_EQUAL(hex("4e cd 0e b6 ec 3b 4d 87 f5 d6 02 8f 92 2c a4 c5"
			    "85 1a 27 7f d4 13 11 c9 e6 2d 2c 94 92 e1 c4 f3",
			    psk, 32), 32);
	TG_ASSERT_OK(tg_ks_init(&ks, h, psk, 32));
	eq_hex(ks.early, 32, "9b 21 88 e9 b2 fc 6d 64 d7 1d c3 29 90 0e 20 bb"
			     "41 91 50 00 f6 78 aa 83 9c bb 79 7c b7 d8 33 2c");
	TG_ASSERT_OK(tg_ks_binder_key(&ks, false, bk));
	eq_hex(bk, 32, "69 fe 13 1a 3b ba d5 d6 3c 64 ee bc c3 0e 39 5b"
		       "9d 81 07 72 6a 13 d0 74 e3 89 db c8 a4 e4 72 56");
	/* the binder hash is over the truncated ClientHello (§4.2.11.2) */
	TG_ASSERT_OK(tg_hash(h, ch, n, th));
	eq_hex(th, 32, "63 22 4b 2e 45 73 f2 d3 45 4c a8 4b 9d 00 9a 04"
		       "f6 be 9e 05 71 1a 83 96 47 3a ef a0 1e 92 4a 14");
	TG_ASSERT_OK(tg_ks_finished(h, bk, th, binder));
	eq_hex(binder, 32, "3a dd 4f b2 d8 fd f8 22 a0 ca 3c f7 67 8e f5 e8"
			   "8d ae 99 01 41 c5 92 4d 57 bb 6f a3 1b 9e 5f 9d");
	TG_ASSERT_OK(tg_ks_finished_check(h, bk, th, binder, 32));
	binder[0] ^= 0x80;
	TG_ASSERT_ERR(tg_ks_finished_check(h, bk, th, binder, 32),
		      TG_E_DECRYPT_ERROR);
	/* "c e traffic" over the whole ClientHello (binders included) */
	memcpy(ch + n, "\x00\x21\x20", 3);
	n += 3;
	n += hex("3a dd 4f b2 d8 fd f8 22 a0 ca 3c f7 67 8e f5 e8"
		 "8d ae 99 01 41 c5 92 4d 57 bb 6f a3 1b 9e 5f 9d", ch + n, 32);
	CU_ASSERT_EQUAL(n, 512);
	TG_ASSERT_OK(tg_hash(h, ch, n, th));
	TG_ASSERT_OK(tg_ks_early_traffic(&ks, th, et));
	eq_hex(et, 32, "3f bb e6 a6 0d eb 66 c3 0a 32 79 5a ba 0e ff 7e"
		       "aa 10 10 55 86 e7 be 5c 09 67 8d 63 b6 ca ab 62");
	tg_ks_wipe(&ks);
}

/* ---- RFC 8448 §5: HelloRetryRequest --------------------------------------- */

/* P-256 secret of a raw private scalar and a peer's uncompressed point */
static size_t p256(const char *priv, const char *peer, uint8_t *out)
{
	uint8_t d[32], pub[65], mypub[65];
	EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *a = NULL, *b = NULL;
	EVP_PKEY_CTX *c;
	BIGNUM *bn;
	OSSL_PARAM_BLD *pb;
	OSSL_PARAM *params;
	size_t n = 32;

	CU_ASSERT_EQUAL(hex(priv, d, 32), 32);
	CU_ASSERT_EQUAL(hex(peer, pub, 65), 65);
	/* our public point, from the trace's server key share */
	CU_ASSERT_EQUAL(hex("04 58 3e 05 4b 7a 66 67 2a e0 20 ad 9d 26 86 fc c8"
			    "5b 5a d4 1a 13 4a 0f 03 ee 72 b8 93 05 2b d8 5b 4c"
			    "8d e6 77 6f 5b 04 ac 07 d8 35 40 ea b3 e3 d9 c5 47"
			    "bc 65 28 c4 31 7d 29 46 86 09 3a 6c ad 7d", mypub, 65), 65);
	bn = BN_bin2bn(d, 32, NULL);
	pb = OSSL_PARAM_BLD_new();
	OSSL_PARAM_BLD_push_utf8_string(pb, OSSL_PKEY_PARAM_GROUP_NAME,
					"prime256v1", 0);
	OSSL_PARAM_BLD_push_BN(pb, OSSL_PKEY_PARAM_PRIV_KEY, bn);
	OSSL_PARAM_BLD_push_octet_string(pb, OSSL_PKEY_PARAM_PUB_KEY, mypub, 65);
	params = OSSL_PARAM_BLD_to_param(pb);
	CU_ASSERT_EQUAL(EVP_PKEY_fromdata_init(kc), 1);
	CU_ASSERT_EQUAL(EVP_PKEY_fromdata(kc, &a, EVP_PKEY_KEYPAIR, params), 1);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(pb);
	pb = OSSL_PARAM_BLD_new();
	OSSL_PARAM_BLD_push_utf8_string(pb, OSSL_PKEY_PARAM_GROUP_NAME,
					"prime256v1", 0);
	OSSL_PARAM_BLD_push_octet_string(pb, OSSL_PKEY_PARAM_PUB_KEY, pub, 65);
	params = OSSL_PARAM_BLD_to_param(pb);
	CU_ASSERT_EQUAL(EVP_PKEY_fromdata_init(kc), 1);
	CU_ASSERT_EQUAL(EVP_PKEY_fromdata(kc, &b, EVP_PKEY_PUBLIC_KEY, params), 1);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(pb);
	BN_free(bn);
	EVP_PKEY_CTX_free(kc);
	CU_ASSERT_FATAL(a != NULL && b != NULL);
	c = EVP_PKEY_CTX_new(a, NULL);
	CU_ASSERT_EQUAL(EVP_PKEY_derive_init(c), 1);
	CU_ASSERT_EQUAL(EVP_PKEY_derive_set_peer(c, b), 1);
	CU_ASSERT_EQUAL(EVP_PKEY_derive(c, out, &n), 1);
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	return n;
}

/* Open one TLS 1.3 record (hex) with @p k: the plaintext into @p out. */
static size_t open13(const struct tg_keys *k, const char *rec_hex,
		     uint8_t *out, size_t cap, uint8_t *type)
{
	static uint8_t buf[2048];
	struct tg_accel_sess *s = NULL;
	struct tg_rec r, *rp = &r;
	size_t n = hex(rec_hex, buf, sizeof(buf)), len = 0;

	TG_ASSERT_OK(tg_accel_sess_create(acc, k, &s));
	r = (struct tg_rec){ .sess = s, .buf = buf, .cap = sizeof(buf),
			     .rec_off = 0, .rec_len = (uint32_t)n };
	CU_ASSERT_EQUAL(tg_accel_open_burst(&rp, 1), 1);
	if (r.status == TG_REC_OK && r.len <= cap) {
		memcpy(out, buf + r.off, r.len);
		len = r.len;
		*type = r.type;
	}
	tg_accel_sess_free(s);
	return len;
}

static void test_rfc8448_hrr(void)
{
	const enum tg_hash h = TG_HASH_SHA256;
	struct tg_ks ks;
	struct tr t = { .n = 0 };
	uint8_t ch1[256], dhe[32], th[TG_HASH_MAX_LEN], flight[1024], cf[64], type = 0;
	size_t n = hex(s5_ch1, ch1, sizeof(ch1)), fl, mh;
	struct tg_keys k;

	CU_ASSERT_EQUAL_FATAL(n, 180);
	/* RFC 8446 §4.4.1: ClientHello1 becomes message_hash(Hash(CH1)) */
	TG_ASSERT_OK(tg_ks_message_hash(h, ch1, n, t.b, &mh));
	CU_ASSERT_EQUAL(mh, 36);
	CU_ASSERT_EQUAL(t.b[0], TG_HS_MESSAGE_HASH);
	t.n = mh;
	tr_add(&t, s5_hrr);
	CU_ASSERT_EQUAL(memcmp(t.b + mh + 6, TG_TLS_HRR_RANDOM, 32), 0);
	tr_add(&t, s5_ch2);
	tr_add(&t, s5_sh);
	tr_hash(&t, h, th);
	eq_hex(th, 32, "8a a8 e8 28 ec 2f 8a 88 4f ec 95 a3 13 9d e0 1c 15 a3"
		       "da a7 ff 5b fc 3f 4b fc c2 1b 43 8d 7b f8");
	CU_ASSERT_EQUAL(p256("8c 51 06 01 f9 76 5b fb 8e d6 93 44 9a 48 98 98"
			     "59 b5 cf a8 79 cb 9f 54 43 c4 1c 5f f1 06 34 ed",
			     "04 a6 da 73 92 ec 59 1e 17 ab fd 53 59 64 b9 98 94"
			     "d1 3b ef b2 21 b3 de f2 eb e3 83 0e ac 8f 01 51 81"
			     "26 77 c4 d6 d2 23 7e 85 cf 01 d6 91 0c fb 83 95 4e"
			     "76 ba 73 52 83 05 34 15 98 97 e8 06 57 80", dhe), 32);
	TG_ASSERT_OK(tg_ks_init(&ks, h, NULL, 0));
	TG_ASSERT_OK(tg_ks_handshake(&ks, dhe, 32, th));
	eq_hex(ks.handshake, 32, "ce 02 2e 5e 6e 81 e5 07 36 d7 73 f2 d3 ad fc e8"
				 "22 0d 04 9b f5 10 f0 db fa c9 27 ef 42 43 b1 48");
	eq_hex(ks.c_hs, 32, "15 8a a7 ab 88 55 07 35 82 b4 1d 67 4b 40 55 ca"
			    "bc c5 34 72 8f 65 93 14 86 1b 4e 08 e2 01 15 66");
	eq_hex(ks.s_hs, 32, "34 03 e7 81 e2 af 7b 65 08 da 28 57 4f 6e 95 a1"
			    "ab f1 62 de 83 a9 79 27 c3 76 72 a4 a0 ce f8 a1");

	/* the server's encrypted flight opens with the keys derived here */
	TG_ASSERT_OK(tg_ks_traffic_keys(h, TG_SUITE_AES128GCM, ks.s_hs,
					TG_DIR_OPEN, 0, &k));
	keys_eq(&k, "46 46 bf ac 17 12 c4 26 cd 78 d8 a2 4a 8a 6f 6b",
		"c7 d3 95 c0 8d 62 f2 97 d1 37 68 ea");
	fl = open13(&k, s5_srv_flight, flight, sizeof(flight), &type);
	CU_ASSERT_EQUAL(type, TG_CT_HANDSHAKE);
	CU_ASSERT_FATAL(fl > 40);
	/* its last message is the server Finished over everything before */
	CU_ASSERT_EQUAL(flight[fl - 36], TG_HS_FINISHED);
	memcpy(t.b + t.n, flight, fl - 36);
	t.n += fl - 36;
	tr_hash(&t, h, th);
	TG_ASSERT_OK(tg_ks_finished_check(h, ks.s_hs, th, flight + fl - 32, 32));
	memcpy(t.b + t.n, flight + fl - 36, 36);
	t.n += 36;
	tr_hash(&t, h, th);
	TG_ASSERT_OK(tg_ks_master(&ks, th));
	eq_hex(ks.master, 32, "11 31 54 5d 0b af 79 dd ce 9b 87 f0 69 45 78 1a"
			      "57 dd 18 ef 37 8d cd 20 60 f8 f9 a5 69 02 7e d8");
	eq_hex(ks.c_ap, 32, "75 ec f4 b9 72 52 5a a0 dc d0 57 c9 94 4d 4c d5"
			    "d8 26 71 d8 84 31 41 d7 dc 2a 4f f1 5a 21 dc 51");
	eq_hex(ks.s_ap, 32, "5c 74 f8 7d f0 42 25 db 0f 82 09 c9 de 64 29 e4"
			    "94 35 fd ef a7 ca d6 18 64 87 4d 12 f3 1c fc 8d");
	TG_ASSERT_OK(tg_ks_exporter(&ks, th));
	eq_hex(ks.exporter, 32, "7c 06 d3 ae 10 6a 3a 37 4a ce 48 37 b3 98 5c ac"
				"67 78 0a 6e 2c 5c 04 b5 83 19 d5 84 df 09 d2 23");
	TG_ASSERT_OK(tg_ks_traffic_keys(h, TG_SUITE_AES128GCM, ks.s_ap,
					TG_DIR_SEAL, 0, &k));
	keys_eq(&k, "f2 7a 5d 97 bd 25 55 0c 48 23 b0 f3 e5 d2 93 88",
		"0d d6 31 f7 b7 1c bb c7 97 c3 5f e7");
	TG_ASSERT_OK(tg_ks_traffic_keys(h, TG_SUITE_AES128GCM, ks.c_ap,
					TG_DIR_OPEN, 0, &k));
	keys_eq(&k, "a7 eb 2a 05 25 eb 43 31 d5 8f cb f9 f7 ca 2e 9c",
		"86 e8 be 22 7c 1b d2 b3 e3 9c b4 44");

	/* the client's Finished, under the client handshake key */
	TG_ASSERT_OK(tg_ks_traffic_keys(h, TG_SUITE_AES128GCM, ks.c_hs,
					TG_DIR_OPEN, 0, &k));
	keys_eq(&k, "2f 1f 91 86 63 d5 90 e7 42 11 49 a2 9d 94 b0 b6",
		"41 4d 54 85 23 5e 1a 68 87 93 bd 74");
	CU_ASSERT_EQUAL_FATAL(open13(&k, s5_cli_fin, cf, sizeof(cf), &type), 36);
	CU_ASSERT_EQUAL(type, TG_CT_HANDSHAKE);
	TG_ASSERT_OK(tg_ks_finished_check(h, ks.c_hs, th, cf + 4, 32));
	memcpy(t.b + t.n, cf, 36);
	t.n += 36;
	tr_hash(&t, h, th);
	TG_ASSERT_OK(tg_ks_resumption(&ks, th));
	eq_hex(ks.resumption, 32, "09 17 0c 6d 47 27 21 56 6f 9c f9 9b 08 69 9d af"
				  "f5 61 ec 8f b2 2d 5a 32 c3 f9 4c e0 09 b6 99 75");
	tg_ks_wipe(&ks);
}

/* ---- HKDF against libcrypto, limits, KeyUpdate ---------------------------- */

static void ref_hkdf(const char *md, int mode, const uint8_t *key, size_t kl,
		     const uint8_t *salt, size_t sl, const uint8_t *info,
		     size_t il, uint8_t *out, size_t ol)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *c = EVP_KDF_CTX_new(kdf);
	OSSL_PARAM p[6], *q = p;

	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0);
	*q++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, kl);
	if (sl)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
							 (void *)salt, sl);
	if (il)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
							 (void *)info, il);
	*q = OSSL_PARAM_construct_end();
	CU_ASSERT_EQUAL(EVP_KDF_derive(c, out, ol, p), 1);
	EVP_KDF_CTX_free(c);
	EVP_KDF_free(kdf);
}

static void test_hkdf_vs_libcrypto(void)
{
	for (int i = 0; i < 200; i++) {
		enum tg_hash h = i & 1 ? TG_HASH_SHA384 : TG_HASH_SHA256;
		const char *md = i & 1 ? "SHA384" : "SHA256";
		size_t hl = tg_hash_len(h);
		uint8_t ikm[200], salt[200], info[300], a[1024], b[1024], prk[48];
		size_t kl = tg_test_rand() % sizeof(ikm) + 1;
		size_t sl = tg_test_rand() % sizeof(salt) + 1;
		size_t il = tg_test_rand() % sizeof(info);
		size_t ol = tg_test_rand() % sizeof(a) + 1;

		tg_test_fill(ikm, kl);
		tg_test_fill(salt, sl);
		tg_test_fill(info, il);
		TG_ASSERT_OK(tg_ks_extract(h, salt, sl, ikm, kl, prk));
		ref_hkdf(md, EVP_KDF_HKDF_MODE_EXTRACT_ONLY, ikm, kl, salt, sl,
			 NULL, 0, b, hl);
		CU_ASSERT_EQUAL(memcmp(prk, b, hl), 0);
		TG_ASSERT_OK(tg_ks_expand(h, prk, info, il, a, ol));
		ref_hkdf(md, EVP_KDF_HKDF_MODE_EXPAND_ONLY, prk, hl, NULL, 0,
			 info, il, b, ol);
		CU_ASSERT_EQUAL(memcmp(a, b, ol), 0);
	}
}

static void test_limits_and_update(void)
{
	uint8_t s[48] = { 1 }, out[64], prev[48];
	char label[260];
	struct tg_keys k;
	struct tg_ks ks;

	memset(label, 'a', sizeof(label));
	label[TG_KS_LABEL_MAX] = '\0';
	TG_ASSERT_OK(tg_ks_expand_label(TG_HASH_SHA256, s, label, NULL, 0, out, 32));
	label[TG_KS_LABEL_MAX] = 'a';
	label[TG_KS_LABEL_MAX + 1] = '\0';
	TG_ASSERT_ERR(tg_ks_expand_label(TG_HASH_SHA256, s, label, NULL, 0, out, 32),
		      TG_E_INVAL);
	TG_ASSERT_ERR(tg_ks_expand_label(TG_HASH_SHA256, s, "", NULL, 0, out, 32),
		      TG_E_INVAL);
	TG_ASSERT_ERR(tg_ks_expand_label(TG_HASH_SHA256, s, "x", out, 256, out, 32),
		      TG_E_INVAL);
	TG_ASSERT_ERR(tg_ks_expand(TG_HASH_SHA256, s, NULL, 0, out, 0), TG_E_INVAL);
	TG_ASSERT_ERR(tg_ks_init(&ks, TG_HASH_SHA512, NULL, 0), TG_E_INVAL);
	/* §7.2: each update is "traffic upd" of the previous secret, and the
	 * keys follow it */
	memcpy(prev, s, 48);
	TG_ASSERT_OK(tg_ks_update(TG_HASH_SHA384, s));
	TG_ASSERT_OK(tg_ks_expand_label(TG_HASH_SHA384, prev, "traffic upd", NULL,
					0, out, 48));
	CU_ASSERT_EQUAL(memcmp(s, out, 48), 0);
	TG_ASSERT_OK(tg_ks_traffic_keys(TG_HASH_SHA384, TG_SUITE_AES256GCM, s,
					TG_DIR_SEAL, 7, &k));
	CU_ASSERT_EQUAL(k.key_len, 32);
	CU_ASSERT_EQUAL(k.seq, 7);
	TG_ASSERT_OK(tg_ks_expand_label(TG_HASH_SHA384, s, "key", NULL, 0, out, 32));
	CU_ASSERT_EQUAL(memcmp(k.key, out, 32), 0);
	TG_ASSERT_OK(tg_ks_traffic_keys(TG_HASH_SHA256, TG_SUITE_CHACHA20POLY1305,
					s, TG_DIR_OPEN, 0, &k));
	CU_ASSERT_EQUAL(k.key_len, 32);
	CU_ASSERT_EQUAL(k.suite, TG_SUITE_CHACHA20POLY1305);
}

static void test_suites13(void)
{
	uint16_t l[4];
	size_t n;
	const uint16_t *d;

	CU_ASSERT_EQUAL(tg_cs13_default(&d), 3);
	CU_ASSERT_EQUAL(d[0], TG_CS13_AES_128_GCM_SHA256);
	CU_ASSERT_EQUAL(tg_cs13_by_id(0x1302)->hash, TG_HASH_SHA384);
	CU_ASSERT_EQUAL(tg_cs13_by_id(0x1303)->suite, TG_SUITE_CHACHA20POLY1305);
	CU_ASSERT_PTR_NULL(tg_cs13_by_id(0x1304));
	CU_ASSERT_PTR_NULL(tg_cs_by_id(0x1301)); /* not a TLS 1.2 suite */
	CU_ASSERT_STRING_EQUAL(tg_cs_name(0x1301), "TLS_AES_128_GCM_SHA256");
	CU_ASSERT_STRING_EQUAL(tg_cs_name(TG_CS_ECDHE_RSA_AES_128_GCM_SHA256),
			       "ECDHE-RSA-AES128-GCM-SHA256");
	TG_ASSERT_OK(tg_cs13_parse_list("tls_aes_256_gcm_sha384:TLS_AES_128_GCM_SHA256",
					l, 4, &n, NULL, 0));
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(l[0], 0x1302);
	TG_ASSERT_ERR(tg_cs13_parse_list("ECDHE-RSA-AES128-GCM-SHA256", l, 4, &n,
					 NULL, 0), TG_E_NOTFOUND);
}

/* Derive-Secret with the empty transcript (its known hashes) is the same
 * as with Transcript-Hash("") computed, for both hashes. */
static void test_derive_empty(void)
{
	static const enum tg_hash hs[] = { TG_HASH_SHA256, TG_HASH_SHA384 };

	for (size_t i = 0; i < 2; i++) {
		uint8_t sec[48], e[TG_HASH_MAX_LEN], a[48], b[48];
		size_t hl = tg_hash_len(hs[i]);

		tg_test_fill(sec, sizeof(sec));
		TG_ASSERT_OK(tg_hash(hs[i], NULL, 0, e));
		TG_ASSERT_OK(tg_ks_derive_secret(hs[i], sec, "derived", NULL, a));
		TG_ASSERT_OK(tg_ks_derive_secret(hs[i], sec, "derived", e, b));
		CU_ASSERT_EQUAL(memcmp(a, b, hl), 0);
	}
}

static CU_TestInfo ks_tests[] = {
	{ "RFC 8448 §3: simple 1-RTT, every secret, key and Finished",
	  test_rfc8448_simple },
	{ "RFC 8448 §4: resumption PSK, binder, early secret",
	  test_rfc8448_resumed },
	{ "RFC 8448 §5: HelloRetryRequest transcript and records",
	  test_rfc8448_hrr },
	{ "HKDF-Extract/Expand against libcrypto's HKDF", test_hkdf_vs_libcrypto },
	{ "Expand-Label limits, KeyUpdate step, traffic keys",
	  test_limits_and_update },
	{ "TLS 1.3 suite table", test_suites13 },
	{ "Derive-Secret of the empty transcript", test_derive_empty },
	CU_TEST_INFO_NULL,
};

static const struct tg_test_suite suites[] = {
	{ "ks", suite_init, suite_fini, ks_tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return tg_test_main(argc, argv, suites);
}
