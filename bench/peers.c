/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file peers.c
 * The peers tlsgate-bench compares against, each run as a child process
 * (this process already has its own EAL, so a DPDK peer can never run in
 * process): dpdk-test-crypto-perf (Debian's dpdk-dev) and `openssl speed`.
 *
 * Both peers run on the core our measurements ran on: `openssl speed`
 * inherits our affinity (the EAL pinned us to lcore 0's CPU);
 * dpdk-test-crypto-perf needs two lcores, so it gets the CPU set this
 * process started with back, and `--main-lcore` makes its worker lcore
 * the core we measured on.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "bench.h"

#define TG_PEER_OUT_MAX (1u << 20) /* captured output kept per child */
#define TG_PEER_ARGS_MAX 48

static cpu_set_t tg_start_cpus;
static bool tg_start_cpus_ok;

void tg_bench_save_affinity(void)
{
	tg_start_cpus_ok =
		sched_getaffinity(0, sizeof(tg_start_cpus), &tg_start_cpus) == 0;
}

bool tg_peer_find(const char *bin, char *path, size_t n)
{
	const char *env = getenv("PATH");
	char dirs[4096];
	char *save = NULL;

	if (strchr(bin, '/') != NULL) {
		if ((size_t)snprintf(path, n, "%s", bin) >= n)
			return false;
		return access(path, X_OK) == 0;
	}
	if (env == NULL || strlen(env) >= sizeof(dirs))
		env = "/usr/local/bin:/usr/bin:/bin";
	strcpy(dirs, env);
	for (char *d = strtok_r(dirs, ":", &save); d != NULL;
	     d = strtok_r(NULL, ":", &save)) {
		int k = snprintf(path, n, "%s/%s", d, bin);

		if (k > 0 && (size_t)k < n && access(path, X_OK) == 0)
			return true;
	}
	return false;
}

/** Output of a child process, stdout and stderr together. */
struct tg_child_out {
	char *buf;
	size_t len;
	int status;     /**< waitpid() status */
	bool timed_out; /**< killed after the deadline */
};

static double tg_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/**
 * Run @p path with @p argv, capture its stdout and stderr (merged, at most
 * ::TG_PEER_OUT_MAX bytes kept), kill it after @p timeout_s seconds.
 *
 * @param cpus  CPU set for the child, or NULL to inherit ours
 */
static TG_MUST_CHECK tg_result tg_child_run(const char *path, char *const argv[],
			      const cpu_set_t *cpus, double timeout_s,
			      struct tg_child_out *out)
{
	int fds[2];
	pid_t pid;
	double deadline = tg_now() + timeout_s;
	size_t cap = 65536;

	memset(out, 0, sizeof(*out));
	out->buf = malloc(cap);
	TG_ENSURE(out->buf != NULL, TG_E_NOMEM);
	if (pipe2(fds, O_CLOEXEC) != 0) {
		free(out->buf);
		out->buf = NULL;
		return tg_error(TG_E_IO);
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		/* Child: async-signal-safe calls only until exec. */
		int nul = open("/dev/null", O_RDONLY);

		if (nul >= 0)
			dup2(nul, STDIN_FILENO);
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		if (cpus != NULL)
			(void)sched_setaffinity(0, sizeof(*cpus), cpus);
		execv(path, argv);
		_exit(127);
	}
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		free(out->buf);
		out->buf = NULL;
		return tg_error(TG_E_IO);
	}
	for (;;) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		double left = deadline - tg_now();
		char chunk[4096];
		ssize_t k;
		int pr;

		if (left <= 0) {
			kill(pid, SIGKILL);
			out->timed_out = true;
			break;
		}
		pr = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0)
			continue;
		if (pr < 0)
			break;
		k = read(fds[0], chunk, sizeof(chunk));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		if (out->len + (size_t)k + 1 > cap && cap < TG_PEER_OUT_MAX) {
			char *nb = realloc(out->buf, cap * 2);

			if (nb != NULL) {
				out->buf = nb;
				cap *= 2;
			}
		}
		if (out->len + (size_t)k + 1 <= cap) {
			memcpy(out->buf + out->len, chunk, (size_t)k);
			out->len += (size_t)k;
		}
	}
	close(fds[0]);
	while (waitpid(pid, &out->status, 0) < 0 && errno == EINTR)
		;
	out->buf[out->len] = '\0';
	return TG_OK;
}

/** Print why peer @p name failed, with the last lines it printed. */
static void tg_peer_report(const char *name, const char *cmdline,
			   const struct tg_child_out *o, const char *why)
{
	const char *tail = o->buf ? o->buf : "";
	int lines = 0;

	for (size_t i = o->len; i > 0; i--) {
		if (o->buf[i - 1] == '\n' && ++lines > 12) {
			tail = o->buf + i;
			break;
		}
	}
	fprintf(stderr, "%s: peer %s %s\n  command: %s\n", TG_BENCH_PROG, name,
		why, cmdline);
	if (*tail != '\0')
		fprintf(stderr, "  last output:\n%s%s", tail,
			tail[strlen(tail) - 1] == '\n' ? "" : "\n");
}

/** Check a finished child; reports and fails unless it exited with 0. */
static TG_MUST_CHECK tg_result tg_peer_check(const char *name, const char *cmdline,
			       const struct tg_child_out *o)
{
	char why[96];

	if (o->timed_out) {
		snprintf(why, sizeof(why), "did not finish in time (killed)");
	} else if (WIFEXITED(o->status) && WEXITSTATUS(o->status) == 0) {
		return TG_OK;
	} else if (WIFEXITED(o->status)) {
		snprintf(why, sizeof(why), "failed (exit status %d)",
			 WEXITSTATUS(o->status));
	} else {
		snprintf(why, sizeof(why), "was killed by signal %d",
			 WIFSIGNALED(o->status) ? WTERMSIG(o->status) : 0);
	}
	tg_peer_report(name, cmdline, o, why);
	return tg_error(TG_E_IO);
}

/** Join @p argv with spaces into @p out (the command as a shell line). */
static void tg_cmdline(char *const argv[], char *out, size_t n)
{
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; argv[i] != NULL && used < n; i++) {
		int k = snprintf(out + used, n - used, "%s%s", i ? " " : "",
				 argv[i]);

		if (k < 0)
			break;
		used += (size_t)k;
	}
}

/** An argv under construction, its strings in one buffer. */
struct tg_argv {
	char *v[TG_PEER_ARGS_MAX + 1];
	char buf[2048];
	size_t used;
	int n;
};

static TG_MUST_CHECK tg_result tg_argv_add(struct tg_argv *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static TG_MUST_CHECK tg_result tg_argv_add(struct tg_argv *a, const char *fmt, ...)
{
	va_list ap;
	int k;

	TG_ENSURE(a->n < TG_PEER_ARGS_MAX, TG_E_NOSPACE);
	va_start(ap, fmt);
	k = vsnprintf(a->buf + a->used, sizeof(a->buf) - a->used, fmt, ap);
	va_end(ap);
	TG_ENSURE(k >= 0 && (size_t)k < sizeof(a->buf) - a->used,
		  TG_E_NOSPACE);
	a->v[a->n++] = a->buf + a->used;
	a->v[a->n] = NULL;
	a->used += (size_t)k + 1;
	return TG_OK;
}

/**
 * The CPU this process measures on (the first of its current affinity:
 * the EAL pinned the main lcore there) as @p ours, and another CPU of the
 * set the process started with as @p other.
 */
static bool tg_two_cpus(int *ours, int *other)
{
	cpu_set_t now;

	if (!tg_start_cpus_ok || sched_getaffinity(0, sizeof(now), &now) != 0)
		return false;
	*ours = -1;
	*other = -1;
	for (int c = 0; c < CPU_SETSIZE && *ours < 0; c++)
		if (CPU_ISSET(c, &now))
			*ours = c;
	for (int c = 0; c < CPU_SETSIZE && *other < 0; c++)
		if (c != *ours && CPU_ISSET(c, &tg_start_cpus))
			*other = c;
	return *ours >= 0 && *other >= 0;
}

/**
 * Parse dpdk-test-crypto-perf's --csv-friendly throughput line for
 * @p size: "lcore,size,burst,enq,deq,fail enq,fail deq,Mops,Gbps,cycles/buf".
 */
static bool tg_parse_crypto_perf(const char *text, uint32_t size,
				 struct tg_peer_result *r)
{
	for (const char *line = text; line != NULL && *line != '\0';) {
		const char *nl = strchr(line, '\n');
		unsigned lcore, bsz, burst;
		unsigned long long enq, deq, fenq, fdeq;
		double mops, gbps, cyc;

		if (sscanf(line, "%u,%u,%u,%llu,%llu,%llu,%llu,%lf,%lf,%lf",
			   &lcore, &bsz, &burst, &enq, &deq, &fenq, &fdeq, &mops,
			   &gbps, &cyc) == 10 &&
		    bsz == size && deq > 0) {
			/* Its Ops(Millions) has three decimals (0.050 at
			 * 16 KiB); TSC cycles per buffer are exact, and it
			 * derives ops/s from them with this machine's TSC
			 * rate, so do the same. */
			r->ops_per_s = cyc > 0 ? (double)rte_get_tsc_hz() / cyc
					       : mops * 1e6;
			r->gbps = r->ops_per_s * size * 8.0 / 1e9;
			r->cycles_per_byte = cyc / (double)size;
			r->burst = burst;
			return true;
		}
		line = nl ? nl + 1 : NULL;
	}
	return false;
}

tg_result tg_peer_crypto_perf(const struct tg_peer_conf *conf,
			      enum tg_suite suite, uint32_t size,
			      uint64_t total_ops, struct tg_peer_result *out)
{
	const char *bin = conf->crypto_perf_bin ? conf->crypto_perf_bin
						: TG_PEER_CRYPTO_PERF;
	struct tg_argv a = { .n = 0 };
	struct tg_child_out o;
	char path[512];
	int worker = 0, other = 1;
	double timeout;
	tg_result r;

	memset(out, 0, sizeof(*out));
	out->peer = TG_PEER_CRYPTO_PERF;
	out->suite = suite;
	out->size = size;
	if (!tg_peer_find(bin, path, sizeof(path))) {
		fprintf(stderr,
			"%s: peer %s: '%s' not found (Debian: apt-get install "
			"dpdk-dev); skipped\n",
			TG_BENCH_PROG, TG_PEER_CRYPTO_PERF, bin);
		return tg_error(TG_E_NOTFOUND);
	}
	if (!tg_two_cpus(&worker, &other)) {
		fprintf(stderr, "%s: peer %s needs two CPUs; skipped\n",
			TG_BENCH_PROG, TG_PEER_CRYPTO_PERF);
		return tg_error(TG_E_UNSUPPORTED);
	}
	/* The peer's worker lcore runs on the core we measured on, its main
	 * lcore (which only waits for the worker) on another one. */
	TG_GUARD(tg_argv_add(&a, "%s", path));
	TG_GUARD(tg_argv_add(&a, "-l"));
	TG_GUARD(tg_argv_add(&a, "%d,%d", worker, other));
	TG_GUARD(tg_argv_add(&a, "--main-lcore"));
	TG_GUARD(tg_argv_add(&a, "%d", other));
	TG_GUARD(tg_argv_add(&a, "--no-huge"));
	TG_GUARD(tg_argv_add(&a, "-m"));
	TG_GUARD(tg_argv_add(&a, "512"));
	TG_GUARD(tg_argv_add(&a, "--no-pci"));
	TG_GUARD(tg_argv_add(&a, "--no-shconf"));
	TG_GUARD(tg_argv_add(&a, "--file-prefix=tgpeer%ld", (long)getpid()));
	TG_GUARD(tg_argv_add(&a, "--vdev"));
	TG_GUARD(tg_argv_add(&a, "crypto_aesni_mb"));
	TG_GUARD(tg_argv_add(&a, "--"));
	TG_GUARD(tg_argv_add(&a, "--ptest"));
	TG_GUARD(tg_argv_add(&a, "throughput"));
	TG_GUARD(tg_argv_add(&a, "--devtype"));
	TG_GUARD(tg_argv_add(&a, "crypto_aesni_mb"));
	TG_GUARD(tg_argv_add(&a, "--optype"));
	TG_GUARD(tg_argv_add(&a, "aead"));
	TG_GUARD(tg_argv_add(&a, "--aead-algo"));
	TG_GUARD(tg_argv_add(&a, "%s", suite == TG_SUITE_CHACHA20POLY1305
					      ? "chacha20-poly1305"
					      : "aes-gcm"));
	TG_GUARD(tg_argv_add(&a, "--aead-op"));
	TG_GUARD(tg_argv_add(&a, "encrypt"));
	TG_GUARD(tg_argv_add(&a, "--aead-key-sz"));
	TG_GUARD(tg_argv_add(&a, "%u", tg_suite_key_len(suite)));
	TG_GUARD(tg_argv_add(&a, "--aead-iv-sz"));
	TG_GUARD(tg_argv_add(&a, "12"));
	TG_GUARD(tg_argv_add(&a, "--aead-aad-sz"));
	TG_GUARD(tg_argv_add(&a, "13"));
	TG_GUARD(tg_argv_add(&a, "--digest-sz"));
	TG_GUARD(tg_argv_add(&a, "16"));
	TG_GUARD(tg_argv_add(&a, "--buffer-sz"));
	TG_GUARD(tg_argv_add(&a, "%u", size));
	TG_GUARD(tg_argv_add(&a, "--burst-sz"));
	TG_GUARD(tg_argv_add(&a, "%u", conf->burst));
	TG_GUARD(tg_argv_add(&a, "--total-ops"));
	TG_GUARD(tg_argv_add(&a, "%llu", (unsigned long long)total_ops));
	TG_GUARD(tg_argv_add(&a, "--csv-friendly"));
	tg_cmdline(a.v, out->command, sizeof(out->command));

	/* Generous: EAL start plus the run at 1/20 of the expected rate. */
	timeout = 60.0 + (double)total_ops * 20.0 / 1e6;
	TG_GUARD(tg_child_run(path, a.v, tg_start_cpus_ok ? &tg_start_cpus : NULL,
			      timeout, &o));
	r = tg_peer_check(TG_PEER_CRYPTO_PERF, out->command, &o);
	if (tg_ok(r) && !tg_parse_crypto_perf(o.buf, size, out)) {
		tg_peer_report(TG_PEER_CRYPTO_PERF, out->command, &o,
			       "printed no throughput line for this size");
		r = tg_error(TG_E_DECODE);
	}
	free(o.buf);
	return r;
}

/** openssl speed's EVP cipher name for a suite. */
static const char *tg_openssl_cipher(enum tg_suite suite)
{
	switch (suite) {
	case TG_SUITE_AES128GCM:
		return "aes-128-gcm";
	case TG_SUITE_AES256GCM:
		return "aes-256-gcm";
	default:
		return "chacha20-poly1305";
	}
}

/**
 * Parse `openssl speed -mr` output: "+F:<n>:<name>:<bytes/s>" (one
 * figure per -bytes size; there is one).
 */
static bool tg_parse_openssl(const char *text, double *bytes_per_s)
{
	for (const char *line = text; line != NULL && *line != '\0';) {
		const char *nl = strchr(line, '\n');

		if (strncmp(line, "+F:", 3) == 0) {
			const char *last = NULL;
			char *end = NULL;
			double v;

			for (const char *p = line; p < (nl ? nl : line + strlen(line)); p++)
				if (*p == ':')
					last = p;
			if (last == NULL)
				return false;
			v = strtod(last + 1, &end);
			if (end == last + 1 || !isfinite(v) || v <= 0)
				return false;
			*bytes_per_s = v;
			return true;
		}
		line = nl ? nl + 1 : NULL;
	}
	return false;
}

tg_result tg_peer_openssl_speed(const struct tg_peer_conf *conf,
				enum tg_suite suite, uint32_t size,
				unsigned seconds, struct tg_peer_result *out)
{
	const char *bin = conf->openssl_bin ? conf->openssl_bin : "openssl";
	struct tg_argv a = { .n = 0 };
	struct tg_child_out o;
	char path[512];
	double bps = 0;
	tg_result r;

	memset(out, 0, sizeof(*out));
	out->peer = TG_PEER_OPENSSL;
	out->suite = suite;
	out->size = size;
	out->burst = 1;
	if (!tg_peer_find(bin, path, sizeof(path))) {
		fprintf(stderr,
			"%s: peer %s: '%s' not found (Debian: apt-get install "
			"openssl); skipped\n",
			TG_BENCH_PROG, TG_PEER_OPENSSL, bin);
		return tg_error(TG_E_NOTFOUND);
	}
	TG_GUARD(tg_argv_add(&a, "%s", path));
	TG_GUARD(tg_argv_add(&a, "speed"));
	/* Wall-clock time as the divisor, as our TSC figures are (the
	 * default divides by CPU user time, which flatters it on a busy
	 * machine). */
	TG_GUARD(tg_argv_add(&a, "-elapsed"));
	TG_GUARD(tg_argv_add(&a, "-mr"));
	TG_GUARD(tg_argv_add(&a, "-evp"));
	TG_GUARD(tg_argv_add(&a, "%s", tg_openssl_cipher(suite)));
	TG_GUARD(tg_argv_add(&a, "-bytes"));
	TG_GUARD(tg_argv_add(&a, "%u", size));
	TG_GUARD(tg_argv_add(&a, "-seconds"));
	TG_GUARD(tg_argv_add(&a, "%u", seconds));
	tg_cmdline(a.v, out->command, sizeof(out->command));

	TG_GUARD(tg_child_run(path, a.v, NULL, 60.0 + 4.0 * seconds, &o));
	r = tg_peer_check(TG_PEER_OPENSSL, out->command, &o);
	if (tg_ok(r) && !tg_parse_openssl(o.buf, &bps)) {
		tg_peer_report(TG_PEER_OPENSSL, out->command, &o,
			       "printed no +F: result line");
		r = tg_error(TG_E_DECODE);
	}
	if (tg_ok(r)) {
		out->ops_per_s = bps / (double)size;
		out->gbps = bps * 8.0 / 1e9;
		/* openssl reports bytes/s only: cycles of this machine's TSC
		 * per byte, as if one core ran it (it does). */
		out->cycles_per_byte = (double)rte_get_tsc_hz() / bps;
	}
	free(o.buf);
	return r;
}
