/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the whole server handshake (control/hs.c with its
 * record layer) fed arbitrary client bytes.
 *
 * Input layout: a 4-byte header, then the wire bytes.
 *   byte 0: configuration (bits 0-2 pick one of the server configs built
 *           once at start-up: client auth none/optional/required, static
 *           RSA allowed, tickets, session cache, tls13_capable, ...)
 *   bytes 1-3: seed of the chunk sizes (bytes are fed in chunks of
 *           1..(byte 1 + 1) * 64 bytes drawn from that seed), so the
 *           reassembly across feeds is exercised too.
 * One tg_hs per input; its output is drained after every feed; it is
 * freed at the end. The engine must never crash, leak, or report success
 * and failure at once.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tg_cert.h"
#include "tg_hs.h"
#include "tg_log.h"
#include "tg_sesscache.h"
#include "tg_ticket.h"

#define N_CFG 8

static struct tg_accel *acc;
static struct tg_cert_store *store;
static struct tg_ca *ca;
static struct tg_sesscache *cache;
static struct tg_ticket_keys *tickets;
static struct tg_hs_config cfgs[N_CFG];

static void die(const char *what)
{
	fprintf(stderr, "fuzz_hs_server: %s\n", what);
	abort();
}

/* A self-signed certificate for @p key written with its key to temp
 * files; returns 0 on success. */
static int write_pair(EVP_PKEY *key, const char *cn, char *crt, char *kf)
{
	X509 *x = X509_new();
	X509_NAME *n;
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	FILE *f;
	int fd, ok = 0;

	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_set_version(x, 2);
	X509_gmtime_adj(X509_getm_notBefore(x), -86400);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 3650);
	X509_set_pubkey(x, key);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, n);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name,
				  "DNS:www.example.com,DNS:*.example.net");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	X509_sign(x, key, EVP_sha256());
	fd = mkstemp(crt);
	if (fd >= 0 && (f = fdopen(fd, "w")) != NULL) {
		ok = PEM_write_X509(f, x);
		fclose(f);
	}
	fd = mkstemp(kf);
	if (ok && fd >= 0 && (f = fdopen(fd, "w")) != NULL) {
		ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
		fclose(f);
	} else {
		ok = 0;
	}
	X509_free(x);
	return ok ? 0 : -1;
}

static void setup(void)
{
	struct tg_accel_conf conf = { .backends = "evp", .no_calibrate = true };
	struct tg_sesscache_cfg cc = { .max_entries = 64, .ttl_s = 3600 };
	char ec_crt[] = "/tmp/fzhs-ec-crt.XXXXXX", ec_key[] = "/tmp/fzhs-ec-key.XXXXXX";
	char rsa_crt[] = "/tmp/fzhs-rsa-crt.XXXXXX", rsa_key[] = "/tmp/fzhs-rsa-key.XXXXXX";
	EVP_PKEY *k_ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *k_rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);

	tg_log_set_level(TG_LOG_ERR);
	if (k_ec == NULL || k_rsa == NULL ||
	    write_pair(k_ec, "www.example.com", ec_crt, ec_key) != 0 ||
	    write_pair(k_rsa, "www.example.com", rsa_crt, rsa_key) != 0)
		die("cannot make certificates");
	if (tg_failed(tg_accel_create(&conf, &acc)) ||
	    tg_failed(tg_cert_store_new(0, &store)) ||
	    tg_failed(tg_cert_store_load(store, ec_crt, ec_key, true)) ||
	    tg_failed(tg_cert_store_load(store, rsa_crt, rsa_key, false)) ||
	    tg_failed(tg_ca_load(ec_crt, NULL, &ca)) ||
	    tg_failed(tg_sesscache_new(&cc, &cache)) ||
	    tg_failed(tg_ticket_keys_random(TG_TICKET_FMT_GCM, NULL, &tickets)))
		die("cannot build the configuration");
	unlink(ec_crt);
	unlink(ec_key);
	unlink(rsa_crt);
	unlink(rsa_key);
	EVP_PKEY_free(k_ec);
	EVP_PKEY_free(k_rsa);

	for (unsigned i = 0; i < N_CFG; i++) {
		struct tg_hs_config *c = &cfgs[i];

		tg_hs_config_defaults(c, TG_HS_SERVER);
		c->acc = acc;
		c->certs = store;
		c->client_ca = ca;
		c->client_auth = (enum tg_hs_client_auth)(i % 3);
		c->allow_static_rsa = (i & 1) != 0;
		c->allow_no_ems = (i & 2) != 0;
		c->tls13_capable = (i & 4) != 0;
		c->client_order = i == 5;
		c->cache = (i & 2) ? cache : NULL;
		c->tickets = (i & 4) ? NULL : tickets;
		snprintf(c->alpn[0], sizeof(c->alpn[0]), "h2");
		snprintf(c->alpn[1], sizeof(c->alpn[1]), "http/1.1");
		c->n_alpn = 2;
		c->alpn_required = i == 6;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setup();
	return 0;
}

static uint32_t next_rand(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[1 << 16];
	struct tg_hs *hs = NULL;
	uint32_t seed;
	size_t max_chunk, off = 4;
	tg_result r = TG_OK;

	if (size < 4)
		return 0;
	seed = (uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 | data[3];
	seed |= 1;
	max_chunk = ((size_t)data[1] + 1) * 64;
	if (tg_failed(tg_hs_new(&cfgs[data[0] % N_CFG], NULL, &hs)))
		abort();
	while (off < size && tg_ok(r)) {
		size_t chunk = 1 + next_rand(&seed) % max_chunk, used = 0;

		if (chunk > size - off)
			chunk = size - off;
		r = tg_hs_feed(hs, data + off, chunk, &used);
		if (used > chunk)
			abort();
		while (tg_hs_output(hs, out, sizeof(out)) > 0)
			;
		if (tg_hs_events(hs) & TG_HS_EV_KEYS_READY)
			break; /* the rest would be application data */
		if (tg_ok(r) && used == 0)
			break; /* cannot take more: nothing would change */
		off += used;
	}
	if (tg_failed(r)) {
		/* failed: the failure sticks, and it is reported */
		size_t used;

		if (!(tg_hs_events(hs) & TG_HS_EV_FAILED) ||
		    tg_hs_feed(hs, data, 1, &used).code != r.code)
			abort();
	}
	if (tg_hs_events(hs) & TG_HS_EV_KEYS_READY) {
		struct tg_keys tx, rx;

		if (tg_failed(tg_hs_export_keys(hs, &tx, &rx)))
			abort();
	}
	tg_hs_free(hs);
	return 0;
}
