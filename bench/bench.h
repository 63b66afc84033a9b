/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file bench.h
 * tlsgate-bench: the command table, option parsing helpers, a small JSON
 * writer, progress lines, and the peer runners (peers.c) that measure
 * dpdk-test-crypto-perf and `openssl speed` as child processes.
 *
 * Exit status of every command: 0 success, 1 a run-time failure (EAL,
 * engine, a backend failing a record), 2 a usage error (bad flag or
 * value; the message says which and points at `--help`).
 */
#ifndef TG_BENCH_H
#define TG_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tg_accel.h"
#include "tg_result.h"

#define TG_BENCH_PROG "tlsgate-bench"
#define TG_BENCH_EXIT_FAIL 1  /**< run-time failure */
#define TG_BENCH_EXIT_USAGE 2 /**< bad command line */

/** A command of tlsgate-bench (`tlsgate-bench <name> ...`). */
struct tg_bench_cmd {
	const char *name;    /**< first argument that selects it */
	const char *summary; /**< one line for the program's --help */
	/** Run with argv[0] = the command name; returns the exit status. */
	int (*run)(int argc, char **argv);
	/** Print the command's --help text. */
	void (*usage)(FILE *f);
};

/** `tlsgate-bench records`: record seal/open throughput (bench_records.c). */
extern const struct tg_bench_cmd tg_bench_cmd_records;

/**
 * `tlsgate-bench handshakes`: TLS 1.2 server handshakes per server
 * CPU-second of our engine, libssl and the crypto bound
 * (bench_handshakes.c).
 */
extern const struct tg_bench_cmd tg_bench_cmd_handshakes;

/**
 * `tlsgate-bench e2e`: the tlsgate executable end to end over loopback,
 * side by side with hitch and HAProxy in front of the same nginx, per
 * server CPU-second (bench_e2e.c; peers from scripts/setup-bench.sh).
 */
extern const struct tg_bench_cmd tg_bench_cmd_e2e;

/**
 * `tlsgate-bench tcp`: our userspace TCP (dataplane/net, dataplane/tcp)
 * against Linux's, per CPU-second (bench_tcp.c).
 */
extern const struct tg_bench_cmd tg_bench_cmd_tcp;

/* ---- command line ------------------------------------------------------ */

/**
 * Report a usage error of command @p cmd (NULL: the program itself) on
 * stderr, point at its --help, and exit with ::TG_BENCH_EXIT_USAGE.
 */
void tg_bench_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/** Parse a decimal integer in [@p min, @p max]. */
TG_MUST_CHECK tg_result tg_bench_parse_u32(const char *s, uint32_t min,
					   uint32_t max, uint32_t *out);

/**
 * The value @p text of option @p opt (e.g. "--conns") of command @p cmd as
 * a decimal integer in [@p min, @p max] into @p out; anything else is a
 * usage error naming the option, the value and the range ("bad --conns
 * 'x' (expected 1 to 128)": ::tg_bench_usage_error, exit 2).
 */
void tg_bench_opt_u32(const char *cmd, const char *opt, const char *text,
		      uint32_t min, uint32_t max, uint32_t *out);

struct tg_eal_opts;

/**
 * The net_memif pair of the DPDK benches, joined by the socket @p sock:
 * @p v0 net_memif0 (role server) and @p v1 net_memif1 (role client), each
 * written into @p cap bytes and set as @p eo's vdevs 0 and 1. @p rsize:
 * the ring's log2 size, the server's (0: the PMD's, 10). @p zero_copy:
 * memif's zero-copy mode: the client's mbufs are shared, the server
 * copies into and out of them and the client copies nothing. It needs
 * the EAL's memory in one file (--single-file-segments, set in
 * @p eo->extra; without hugepages that memory is a memfd).
 */
void tg_bench_memif_pair(struct tg_eal_opts *eo, const char *sock,
			 unsigned rsize, bool zero_copy, char *v0, char *v1,
			 size_t cap);

/** Parse a positive duration in seconds (fractions allowed) up to @p max. */
TG_MUST_CHECK tg_result tg_bench_parse_seconds(const char *s, double max,
					       double *out);

/**
 * Parse a comma-separated list of integers in [@p min, @p max] into
 * @p out (at most @p cap of them); duplicates are dropped, order kept.
 */
TG_MUST_CHECK tg_result tg_bench_parse_u32_list(const char *s, uint32_t min,
						uint32_t max, uint32_t *out,
						unsigned cap, unsigned *n);

/* ---- JSON output --------------------------------------------------------- */

/**
 * Minimal streaming JSON writer for an array of flat objects: strings are
 * escaped, non-finite numbers become null.
 */
struct tg_json {
	FILE *f;
	unsigned nobj;   /**< objects written to the array so far */
	unsigned nfield; /**< fields written to the open object */
};

void tg_json_array_begin(struct tg_json *j, FILE *f);
void tg_json_array_end(struct tg_json *j);
void tg_json_obj_begin(struct tg_json *j);
void tg_json_obj_end(struct tg_json *j);
void tg_json_str(struct tg_json *j, const char *key, const char *val);
void tg_json_num(struct tg_json *j, const char *key, double val);
void tg_json_uint(struct tg_json *j, const char *key, uint64_t val);
void tg_json_bool(struct tg_json *j, const char *key, bool val);
void tg_json_null(struct tg_json *j, const char *key);

/* ---- progress ------------------------------------------------------------ */

/** Progress lines on stderr; silent unless @ref on. */
struct tg_progress {
	bool on; /**< print anything at all */
	unsigned done, total;
};

/** Start counting @p total steps; @p on decides whether lines appear. */
void tg_progress_init(struct tg_progress *p, bool on, unsigned total);

/** Announce the next step, printf style ("[k/total] what ..."). */
void tg_progress_step(struct tg_progress *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- peers (peers.c) ----------------------------------------------------- */

#define TG_PEER_CRYPTO_PERF "dpdk-test-crypto-perf"
#define TG_PEER_OPENSSL "openssl-speed"

/** Remember the process's CPU set (call before the EAL pins us to a core). */
void tg_bench_save_affinity(void);

/* ---- the build measured --------------------------------------------------- */

/** The meson buildtype tlsgate-bench was built with ("release",
 *  "debugoptimized", ...: TG_BUILDTYPE from bench/meson.build). */
const char *tg_bench_buildtype(void);

/**
 * The build in one phrase, for reports: the buildtype, the compiler's
 * optimisation level and any sanitizer, e.g. "release (-O3)" or
 * "debug (-O0, sanitize=address,undefined)".
 */
const char *tg_bench_build(void);

/**
 * Print "build: <tg_bench_build()>" on @p f, and on stderr a note when
 * the figures are not those of an optimised build (-O0/-Og, or
 * sanitizers).
 */
void tg_bench_print_build(FILE *f);

/** Where and how the peers run. */
struct tg_peer_conf {
	const char *crypto_perf_bin; /**< name or path; NULL = default */
	const char *openssl_bin;     /**< name or path; NULL = default */
	uint32_t burst;              /**< crypto-perf --burst-sz */
};

/** One figure measured by a peer (AEAD encrypt, one buffer size). */
struct tg_peer_result {
	const char *peer;       /**< ::TG_PEER_CRYPTO_PERF or ::TG_PEER_OPENSSL */
	enum tg_suite suite;
	uint32_t size;          /**< buffer (plaintext) bytes */
	uint32_t burst;         /**< ops per enqueue (1 for openssl speed) */
	double ops_per_s;
	double gbps;            /**< plaintext Gbit/s */
	double cycles_per_byte; /**< TSC cycles per plaintext byte */
	char command[768];      /**< the exact command line */
};

/**
 * Find a peer program: @p bin as a path when it holds a '/', else in
 * $PATH. Fills @p path and returns true when it is executable.
 */
bool tg_peer_find(const char *bin, char *path, size_t n);

/**
 * Run dpdk-test-crypto-perf (throughput test, crypto_aesni_mb, AEAD
 * encrypt, 13-byte AAD) for @p suite at one buffer @p size and
 * @p total_ops operations, as a child process with its own EAL. Its worker
 * lcore is the core this process measured on; its main lcore another one.
 * On failure prints why (with the tail of its output) on stderr.
 */
TG_MUST_CHECK tg_result tg_peer_crypto_perf(const struct tg_peer_conf *conf,
					    enum tg_suite suite, uint32_t size,
					    uint64_t total_ops,
					    struct tg_peer_result *out);

/**
 * Run `openssl speed -elapsed -mr -evp <cipher> -bytes <size> -seconds
 * <seconds>` as a child process on the core this process measured on.
 * On failure prints why on stderr.
 */
TG_MUST_CHECK tg_result tg_peer_openssl_speed(const struct tg_peer_conf *conf,
					      enum tg_suite suite,
					      uint32_t size, unsigned seconds,
					      struct tg_peer_result *out);

#endif
