/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the whole client handshake (control/hs.c with its
 * record layer) fed arbitrary server bytes (after our ClientHello).
 *
 * Input layout: a 4-byte header, then the wire bytes.
 *   byte 0: configuration (bits 0-2 pick one of the client configs built
 *           once at start-up: CA check or none, static RSA suites,
 *           allow_no_ems, a client certificate, ticket offered; bit 3:
 *           resume a made-up session, by ID or by ticket)
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
#include "tg_suite.h"

#define N_CFG 8

static struct tg_accel *acc;
static struct tg_cert *cli_cert;
static struct tg_ca *ca;
static struct tg_hs_config cfgs[N_CFG];
static struct tg_hs_session sess_id, sess_ticket;

void fuzz_hs_target_setup(void)
{
	struct fuzz_hs_files f;

	acc = fuzz_hs_setup("fuzz_hs_client", &f);
	if (tg_failed(tg_cert_load(f.ec_crt, f.ec_key, &cli_cert)) ||
	    tg_failed(tg_ca_load(f.rsa_crt, NULL, &ca)))
		fuzz_hs_die("cannot build the configuration");
	fuzz_hs_files_remove(&f);

	for (unsigned i = 0; i < N_CFG; i++) {
		struct tg_hs_config *c = &cfgs[i];

		tg_hs_config_defaults(c, TG_HS_CLIENT);
		c->acc = acc;
		snprintf(c->server_name, sizeof(c->server_name), "www.example.com");
		/* mostly no CA: any certificate goes, deeper states are reached */
		c->ca = i == 7 ? ca : NULL;
		c->allow_no_ems = (i & 2) != 0;
		c->offer_ticket = (i & 4) == 0;
		c->client_cert = (i & 1) ? cli_cert : NULL;
		if (i == 3 || i == 5) {
			/* every suite, static RSA included */
			for (size_t k = 0; k < tg_cs_count(); k++)
				c->suites[c->n_suites++] = tg_cs_at(k)->id;
		}
		if (i != 6) {
			snprintf(c->alpn[0], sizeof(c->alpn[0]), "h2");
			snprintf(c->alpn[1], sizeof(c->alpn[1]), "http/1.1");
			c->n_alpn = 2;
		}
	}
	/* made-up sessions to resume: by ID, and by ticket */
	memset(&sess_id, 0, sizeof(sess_id));
	sess_id.valid = true;
	sess_id.id_len = 32;
	memset(sess_id.id, 0x11, 32);
	memset(sess_id.master, 0x22, sizeof(sess_id.master));
	sess_id.suite = 0xC02B;
	sess_id.ems = true;
	sess_ticket = sess_id;
	sess_ticket.id_len = 0;
	sess_ticket.ticket_len = 100;
	memset(sess_ticket.ticket, 0x33, 100);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tg_hs *hs = NULL;

	if (size < 4)
		return 0;
	if (tg_failed(tg_hs_new(&cfgs[data[0] % N_CFG],
				(data[0] & 8) ? ((data[0] & 16) ? &sess_ticket
								 : &sess_id)
					      : NULL,
				&hs)))
		abort();
	/* our ClientHello */
	fuzz_hs_drain(hs);
	fuzz_hs_drive(hs, data, size);
	return 0;
}
