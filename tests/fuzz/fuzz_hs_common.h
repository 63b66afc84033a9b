/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the handshake fuzz targets (fuzz_hs_client, fuzz_hs_server) share:
 * the start-up (log level, accel engine, an ECDSA P-256 and an RSA 2048
 * self-signed certificate for www.example.com and *.example.net in temp
 * files) and the drive of one tg_hs over an input's wire bytes.
 */
#ifndef FUZZ_HS_COMMON_H
#define FUZZ_HS_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "tg_hs.h"

/** The target's start-up (its configurations), run once by the
 *  LLVMFuzzerInitialize in fuzz_hs_common.c. */
void fuzz_hs_target_setup(void);

/** The temp files of the two certificates and their keys. */
struct fuzz_hs_files {
	char ec_crt[32], ec_key[32];
	char rsa_crt[32], rsa_key[32];
};

/** Print "<target>: @p what" and abort. */
void fuzz_hs_die(const char *what);

/** Start-up for target @p name: the log level, the two certificates in
 *  @p f and the accel engine (returned); dies on failure. */
struct tg_accel *fuzz_hs_setup(const char *name, struct fuzz_hs_files *f);

/** Remove the files of @p f (once loaded). */
void fuzz_hs_files_remove(const struct fuzz_hs_files *f);

/** Take everything @p hs has to send. */
void fuzz_hs_drain(struct tg_hs *hs);

/** Feed @p hs the wire bytes of an input (after its 4-byte header, in
 *  chunks drawn from the seed in bytes 1-3), check that a failure sticks
 *  and is reported and that completed keys export, then free @p hs.
 *  @p size is at least 4. Aborts on any broken contract. */
void fuzz_hs_drive(struct tg_hs *hs, const uint8_t *data, size_t size);

#endif
