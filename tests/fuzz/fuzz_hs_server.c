/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the whole server handshake (control/hs.c with its
 * record layer) fed arbitrary client bytes.
 *
 * Input layout: a 4-byte header, then the wire bytes.
 *   byte 0: configuration (bits 0-2 pick one of the server configs built
 *           once at start-up: client auth none/optional/required, static
 *           RSA allowed, tickets, session cache, tls13_capable, TLS 1.3
 *           on with odd numbers, ...)
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

#include "fuzz_hs_common.h"
#include "tg_cert.h"
#include "tg_hs.h"
#include "tg_sesscache.h"
#include "tg_ticket.h"

#define N_CFG 8

static struct tg_accel *acc;
static struct tg_cert_store *store;
static struct tg_ca *ca;
static struct tg_sesscache *cache;
static struct tg_ticket_keys *tickets;
static struct tg_hs_config cfgs[N_CFG];

void fuzz_hs_target_setup(void)
{
	struct tg_sesscache_cfg cc = { .max_entries = 64, .ttl_s = 3600 };
	struct fuzz_hs_files f;

	acc = fuzz_hs_setup("fuzz_hs_server", &f);
	if (tg_failed(tg_cert_store_new(0, &store)) ||
	    tg_failed(tg_cert_store_load(store, f.ec_crt, f.ec_key, true)) ||
	    tg_failed(tg_cert_store_load(store, f.rsa_crt, f.rsa_key, false)) ||
	    tg_failed(tg_ca_load(f.ec_crt, NULL, &ca)) ||
	    tg_failed(tg_sesscache_new(&cc, &cache)) ||
	    tg_failed(tg_ticket_keys_random(TG_TICKET_FMT_GCM, NULL, &tickets)))
		fuzz_hs_die("cannot build the configuration");
	fuzz_hs_files_remove(&f);

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
		/* TLS 1.3 too in half the configurations */
		c->versions = TG_HS_VERSION_TLS12 |
			      ((i & 1) ? TG_HS_VERSION_TLS13 : 0);
		c->client_order = i == 5;
		c->cache = (i & 2) ? cache : NULL;
		c->tickets = (i & 4) ? NULL : tickets;
		snprintf(c->alpn[0], sizeof(c->alpn[0]), "h2");
		snprintf(c->alpn[1], sizeof(c->alpn[1]), "http/1.1");
		c->n_alpn = 2;
		c->alpn_required = i == 6;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tg_hs *hs = NULL;

	if (size < 4)
		return 0;
	if (tg_failed(tg_hs_new(&cfgs[data[0] % N_CFG], NULL, &hs)))
		abort();
	fuzz_hs_drive(hs, data, size);
	return 0;
}
