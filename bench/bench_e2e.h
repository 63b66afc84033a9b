/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file bench_e2e.h
 * `tlsgate-bench e2e`, shared by its two files: bench_e2e.c (the
 * terminators as processes over loopback, their clients, the tables) and
 * bench_e2e_dpdk.c (`--transport dpdk`: tlsgate's DPDK transport in this
 * process over a net_memif pair, against the socket terminators in the
 * same run).
 */
#ifndef TG_BENCH_E2E_H
#define TG_BENCH_E2E_H

#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "bench.h"

#define E2E_CMD "e2e"
#define E2E_MAX_SIZES 8
#define E2E_MAX_SECONDS 600.0
#define E2E_MAX_CONNS 1000
#define E2E_MAX_KIDS 24 /* servers, nginx, the clients: 16 s_time at most */
#define E2E_STIME_MAX 16
#define E2E_START_S 30.0   /**< a server must accept within this */
#define E2E_SLACK_S 30.0   /**< client run deadline beyond --seconds */
#define E2E_CONN_S 2.0     /**< one handshake + GET, at most */
#define E2E_CONN_S_TEXT "2"
#define E2E_HOST "bench.tlsgate.test"
#define E2E_DEF_SUITE "ECDHE-ECDSA-AES128-GCM-SHA256"
#define E2E_DEF_SUITE13 "TLS_AES_128_GCM_SHA256"
#define E2E_DEF_IDLE_US 1000 /**< tlsgate's dpdk.idle_sleep default */
#define E2E_DEF_IDLE_FIRST_US 100 /**< tlsgate's dpdk.idle_first default */

/** The terminators compared. */
enum e2e_srv { SRV_TLSGATE = 0, SRV_HITCH, SRV_HAPROXY, SRV__N };
static const char *const srv_name[SRV__N] = { "tlsgate", "hitch", "haproxy" };

/** Tests run against each server. */
enum e2e_kind { K_GET = 0, K_FULL, K_RESUMED };

/** Parsed command line. */
struct e2e_opts {
	uint32_t sizes[E2E_MAX_SIZES];
	unsigned nsizes;
	double seconds;
	uint32_t conns, workers, rounds;
	char core[64];       /**< server CPU list as given (or chosen) */
	const char *suite;
	bool tls13;          /**< --tls 1.3: every server TLS 1.3 only */
	const char *plot;
	const char *tlsgate; /**< path of the tlsgate executable */
	bool srv[SRV__N];
	bool json, verbose, keep, coalesce;
	bool dpdk;           /**< --transport dpdk (bench_e2e_dpdk.c) */
	bool ctl_inline;     /**< --control inline (DPDK transport), or auto
				  resolved so */
	bool ctl_auto;       /**< --control auto (the default): as tlsgate's
				  control = auto */
	bool kback;          /**< --dpdk-backends kernel: the DPDK worker's
				  backend on kernel sockets (its helper) */
	bool rx_chain;       /**< --rx-chain: tlsgate's dpdk.rx_chain */
	bool memif_zc;       /**< --memif-zero-copy: the worker's memif port
				  in zero-copy mode */
	uint32_t idle_us;    /**< --idle-us: the DPDK worker's longest idle wait */
	uint32_t idle_first_us; /**< --idle-first-us: its first idle wait */
};

/** One measurement: a server, a test, a body size. */
struct e2e_meas {
	bool ok, skipped;
	double wall_s;   /**< client-side duration */
	double cpu_s;    /**< server CPU over the window */
	uint64_t reqs;   /**< requests (GET) or handshakes completed */
	uint64_t bytes;  /**< bytes received by the client (GET) */
	uint64_t resumed;
	uint64_t errors;
	char threads[160]; /**< server CPU by thread name: "tg-ctl 31% ..." */
	char command[512];
};

#define E2E_MAX_THR 64

/** CPU ticks of one thread of a server. */
struct e2e_thr {
	pid_t tid;
	char comm[20];
	uint64_t ticks;
};

/** A sample of every thread of a server's process group. */
struct e2e_thr_sample {
	struct e2e_thr t[E2E_MAX_THR];
	unsigned n;
};

/** A run: options, temp dir, ports, CPU sets, results. */
struct e2e_env {
	struct e2e_opts o;
	char dir[64];
	cpu_set_t srv_cpus, cli_cpus;
	unsigned n_srv_cpus, n_cli_cpus;
	char cli_list[64];
	uint16_t be_port;
	pid_t nginx;
	char wrk[PATH_MAX], nginx_bin[PATH_MAX], srv_bin[SRV__N][PATH_MAX];
	bool have[SRV__N];
	struct e2e_meas get[SRV__N][E2E_MAX_SIZES];
	struct e2e_meas hs[SRV__N][3]; /**< [full], [resumed], [s_time -new] */
	char openssl[PATH_MAX];        /**< for s_time, "" = not found */
	uint32_t hs_size;              /**< body fetched per handshake */
	long clk_tck;
	struct e2e_thr_sample thr[2];  /**< threads before, after a run */
};

/* ---- bench_e2e.c, for bench_e2e_dpdk.c -------------------------------------- */

double e2e_now(void);
/** Start @p argv[0] in its own process group on @p cpus, output to @p log. */
pid_t e2e_spawn(char *const argv[], const cpu_set_t *cpus, const char *log,
		int out_fd);
/** Stop the process group of @p pid (TERM, then KILL) and reap it. */
void e2e_kill(pid_t pid);
/** The last lines of @p path on stderr. */
void e2e_tail(const char *path);
/** utime + stime (clock ticks) of every process of group @p pgid. */
uint64_t e2e_group_ticks(pid_t pgid);
void e2e_group_threads(pid_t pgid, struct e2e_thr_sample *smp);
void e2e_thread_text(const struct e2e_thr_sample *a,
		     const struct e2e_thr_sample *b, char *out, size_t n);
uint16_t e2e_free_port(void);
bool e2e_wait_port(uint16_t port, pid_t pid, double timeout_s);
void e2e_size_text(uint32_t size, char *out, size_t n);
/** Start terminator @p s on @p port in front of e->be_port. */
pid_t e2e_start_server(struct e2e_env *e, enum e2e_srv s, uint16_t port,
		       char *cmd, size_t cmdn);
/** Pin the server's threads, sample them, return its CPU ticks. */
uint64_t e2e_cpu_start(struct e2e_env *e, pid_t srv);
/** Our libssl handshake client against 127.0.0.1:@p port (GET hs_size). */
bool e2e_handshakes(struct e2e_env *e, pid_t srv, uint16_t port, bool resumed,
		    struct e2e_meas *m);
/** The libssl client context of every client: --tls, --suite, X25519,
 *  no verification, no session cache. NULL on failure. */
struct ssl_ctx_st *e2e_client_ctx(const struct e2e_env *e);
/** A figure for the tables: bytes as MiB, else as a count. */
void e2e_fmt(double v, bool bytes, char *out, size_t n);
/**
 * A PNG (gnuplot) of @p nser lines against the sizes of --sizes (log x):
 * @p val[series][size], NaN where not measured.
 */
bool e2e_plot_lines(const struct e2e_env *e, const char *title,
		    const char *xlabel, const char *ylabel, unsigned nser,
		    const char *const *names,
		    const double val[][E2E_MAX_SIZES]);

/* ---- bench_e2e_dpdk.c -------------------------------------------------------- */

/**
 * `e2e --transport dpdk`: every measurement of the run (the DPDK
 * transport in process, then the socket terminators), the table or JSON,
 * the plot. The temporary directory and its certificate exist.
 * @return the exit status
 */
int e2e_dpdk_run(struct e2e_env *e);

#endif
