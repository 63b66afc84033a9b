/* SPDX-License-Identifier: BSD-3-Clause */
/* What the handshake fuzz targets share (see fuzz_hs_common.h). */
#include "fuzz_hs_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tg_log.h"

static const char *target = "fuzz_hs";

void fuzz_hs_die(const char *what)
{
	fprintf(stderr, "%s: %s\n", target, what);
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

struct tg_accel *fuzz_hs_setup(const char *name, struct fuzz_hs_files *f)
{
	struct tg_accel_conf conf = { .backends = "evp", .no_calibrate = true };
	struct tg_accel *acc = NULL;
	EVP_PKEY *k_ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *k_rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);

	target = name;
	snprintf(f->ec_crt, sizeof(f->ec_crt), "/tmp/fzhs-ec-crt.XXXXXX");
	snprintf(f->ec_key, sizeof(f->ec_key), "/tmp/fzhs-ec-key.XXXXXX");
	snprintf(f->rsa_crt, sizeof(f->rsa_crt), "/tmp/fzhs-rsa-crt.XXXXXX");
	snprintf(f->rsa_key, sizeof(f->rsa_key), "/tmp/fzhs-rsa-key.XXXXXX");
	tg_log_set_level(TG_LOG_ERR);
	if (k_ec == NULL || k_rsa == NULL ||
	    write_pair(k_ec, "www.example.com", f->ec_crt, f->ec_key) != 0 ||
	    write_pair(k_rsa, "www.example.com", f->rsa_crt, f->rsa_key) != 0)
		fuzz_hs_die("cannot make certificates");
	EVP_PKEY_free(k_ec);
	EVP_PKEY_free(k_rsa);
	if (tg_failed(tg_accel_create(&conf, &acc)))
		fuzz_hs_die("cannot build the configuration");
	return acc;
}

void fuzz_hs_files_remove(const struct fuzz_hs_files *f)
{
	unlink(f->ec_crt);
	unlink(f->ec_key);
	unlink(f->rsa_crt);
	unlink(f->rsa_key);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_hs_target_setup();
	return 0;
}

void fuzz_hs_drain(struct tg_hs *hs)
{
	static uint8_t out[1 << 16];

	while (tg_hs_output(hs, out, sizeof(out)) > 0)
		;
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

void fuzz_hs_drive(struct tg_hs *hs, const uint8_t *data, size_t size)
{
	uint32_t seed;
	size_t max_chunk, off = 4;
	tg_result r = TG_OK;

	seed = (uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 | data[3];
	seed |= 1;
	max_chunk = ((size_t)data[1] + 1) * 64;
	while (off < size && tg_ok(r)) {
		size_t chunk = 1 + next_rand(&seed) % max_chunk, used = 0;

		if (chunk > size - off)
			chunk = size - off;
		r = tg_hs_feed(hs, data + off, chunk, &used);
		if (used > chunk)
			abort();
		fuzz_hs_drain(hs);
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
}
