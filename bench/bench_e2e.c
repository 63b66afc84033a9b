/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file bench_e2e.c
 * `tlsgate-bench e2e`: the tlsgate executable end to end, over loopback
 * TCP, side by side with hitch and HAProxy as TLS terminators in front of
 * the same nginx, measured per second of the terminator's own CPU time.
 *
 * Method. Everything lives in a temporary directory removed at the end:
 * one ECDSA P-256 certificate (cert.pem, key.pem, and site.pem = both for
 * hitch and HAProxy), static files of the asked body sizes, an nginx
 * config. nginx (the backend, `daemon off; master_process off;`, one
 * process) runs for the whole run on the client CPUs. Then, one at a
 * time, each terminator starts on the server CPUs (--core; the
 * equivalent of `taskset -c`; a thread that leaves them, as hitch's
 * self-pinned workers do, is put back), with the same suite, TLS 1.2 only
 * (or TLS 1.3 only with --tls 1.3), the
 * same worker count, the same certificate and backend:
 *   tlsgate --listen --cert/--key --backend --suites --workers -l
 *   hitch   --frontend --backend --ciphers --tls-protos TLSv1.2 --workers
 *           (TLS 1.3: --tls-protos TLSv1.3 and ciphersuites in --config)
 *   haproxy a generated config: `mode tcp`, `bind ... ssl crt site.pem
 *           ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.2 ciphers ...`, nbthread
 * and is driven from the other CPUs by:
 *   - wrk (-t1 -c N -d S, keep-alive GETs) per body size: bulk bytes and
 *     small requests;
 *   - our own libssl client (in this process) for handshakes: N
 *     connections in parallel, each one TLS 1.2 handshake (group X25519),
 *     one GET of the smallest body with `Connection: close`, read to EOF,
 *     close; "full" never offers a session, "resumed" offers the session
 *     of a first full handshake every time (ticket or session ID,
 *     whichever the server gave) and counts how many resumed.
 * For each run the terminator's CPU time (utime + stime of every process
 * of its process group, from /proc/PID/stat, all threads included) is read
 * right before and right after the client, and the figure of merit is the
 * work done divided by that delta: bytes, requests or handshakes per
 * server CPU-second. Wall-clock rates are printed too; on a shared
 * machine they are noise, the per-CPU-second figures much less so. The
 * same deltas per thread (/proc/PID/task/TID/stat) say where a server's
 * CPU went (tlsgate: its worker vs its control thread). --rounds repeats
 * everything with the servers in alternating order and sums.
 *
 * --coalesce makes the handshake client send its last handshake flight
 * and the request in one TCP segment (TCP_CORK); without it they are two
 * writes, as with any libssl client, and the server may read them apart.
 *
 * Every child runs in its own process group with PR_SET_PDEATHSIG; the
 * groups are killed (TERM, then KILL) at the end, on error and on
 * SIGINT/SIGTERM/SIGHUP. Every client run has a deadline. Only 127.0.0.1.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "bench.h"
#include "bench_e2e.h"

/* ---- children and cleanup -------------------------------------------------- */

static volatile pid_t e2e_kids[E2E_MAX_KIDS];
static char e2e_tmpdir[64];
static volatile sig_atomic_t e2e_keep_dir;

double e2e_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void e2e_kid_add(pid_t pid)
{
	for (int i = 0; i < E2E_MAX_KIDS; i++)
		if (e2e_kids[i] == 0) {
			e2e_kids[i] = pid;
			return;
		}
}

/** Stop the process group of @p pid: TERM, up to 3 s, then KILL; reap. */
void e2e_kill(pid_t pid)
{
	double end;
	int st;

	if (pid <= 0)
		return;
	kill(-pid, SIGTERM);
	kill(pid, SIGTERM);
	end = e2e_now() + 3.0;
	while (e2e_now() < end) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			break;
		usleep(20 * 1000);
	}
	/* whatever is left of the group (hitch's workers, say) */
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	for (int i = 0; i < E2E_MAX_KIDS; i++)
		if (e2e_kids[i] == pid)
			e2e_kids[i] = 0;
}

static int e2e_rm_one(const char *path, const struct stat *sb, int flag,
		      struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	(void)remove(path); /* best effort: go on with the rest */
	return 0;
}

static void e2e_cleanup(void)
{
	for (int i = 0; i < E2E_MAX_KIDS; i++)
		if (e2e_kids[i] > 0)
			e2e_kill(e2e_kids[i]);
	if (e2e_tmpdir[0] != '\0' && !e2e_keep_dir)
		(void)nftw(e2e_tmpdir, e2e_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	e2e_tmpdir[0] = '\0';
}

static void e2e_on_signal(int sig)
{
	/* Not async-signal-safe in every part (nftw), but we exit right
	 * after: the children matter more than strictness here. */
	for (int i = 0; i < E2E_MAX_KIDS; i++)
		if (e2e_kids[i] > 0) {
			kill(-e2e_kids[i], SIGKILL);
			kill(e2e_kids[i], SIGKILL);
		}
	e2e_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

/**
 * Start @p argv[0] (a full path) in its own process group, pinned to
 * @p cpus, stdin from /dev/null, stdout and stderr appended to @p log.
 */
pid_t e2e_spawn(char *const argv[], const cpu_set_t *cpus,
		       const char *log, int out_fd)
{
	pid_t parent = getpid();
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);
		int lf = out_fd >= 0 ? out_fd
				     : open(log, O_WRONLY | O_CREAT | O_APPEND,
					    0644);

		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		if (nul >= 0)
			dup2(nul, STDIN_FILENO);
		if (lf >= 0) {
			dup2(lf, STDOUT_FILENO);
			dup2(lf, STDERR_FILENO);
		}
		signal(SIGPIPE, SIG_DFL);
		(void)sched_setaffinity(0, sizeof(*cpus), cpus);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid > 0) {
		setpgid(pid, pid);
		e2e_kid_add(pid);
	}
	return pid;
}

/** Print the last lines of @p path to stderr (why a child failed). */
void e2e_tail(const char *path)
{
	char buf[2048];
	FILE *f = fopen(path, "r");
	long sz;
	size_t n;

	if (f == NULL)
		return;
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	fseek(f, sz > (long)sizeof(buf) - 1 ? sz - (long)sizeof(buf) + 1 : 0,
	      SEEK_SET);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	if (n > 0)
		fprintf(stderr, "  last output of %s:\n%s%s", path, buf,
			buf[n - 1] == '\n' ? "" : "\n");
}

/* ---- CPU time of a process group ----------------------------------------- */

/**
 * utime + stime (clock ticks) of every live process whose process group
 * is @p pgid; /proc/PID/stat covers all threads of a process.
 */
uint64_t e2e_group_ticks(pid_t pgid)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	uint64_t sum = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char path[300], buf[1024];
		unsigned long long ut, st;
		long pg;
		char *p;
		ssize_t n;
		int fd;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		p = strrchr(buf, ')');
		/* after "pid (comm)": state ppid pgrp session tty tpgid flags
		 * minflt cminflt majflt cmajflt utime stime */
		if (p == NULL ||
		    sscanf(p + 1, " %*c %*d %ld %*d %*d %*d %*u %*u %*u %*u %*u "
				  "%llu %llu",
			   &pg, &ut, &st) != 3)
			continue;
		if (pg == (long)pgid)
			sum += ut + st;
	}
	closedir(d);
	return sum;
}

/** Read "pid (comm) state ppid pgrp ... utime stime" of a stat file. */
static bool e2e_read_stat(const char *path, char *comm, size_t cn, long *pg,
			  uint64_t *ticks)
{
	char buf[1024];
	unsigned long long ut, st;
	char *open_p, *close_p;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	open_p = strchr(buf, '(');
	close_p = strrchr(buf, ')');
	if (open_p == NULL || close_p == NULL || close_p < open_p ||
	    sscanf(close_p + 1, " %*c %*d %ld %*d %*d %*d %*u %*u %*u %*u %*u "
				"%llu %llu",
		   pg, &ut, &st) != 3)
		return false;
	if (comm != NULL) {
		size_t k = (size_t)(close_p - open_p - 1);

		if (k >= cn)
			k = cn - 1;
		memcpy(comm, open_p + 1, k);
		comm[k] = '\0';
	}
	*ticks = ut + st;
	return true;
}

/** Every thread of every process of group @p pgid, with its ticks. */
void e2e_group_threads(pid_t pgid, struct e2e_thr_sample *smp)
{
	DIR *d = opendir("/proc");
	struct dirent *de;

	smp->n = 0;
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char path[300];
		uint64_t t;
		long pg;
		DIR *td;
		struct dirent *te;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if (!e2e_read_stat(path, NULL, 0, &pg, &t) || pg != (long)pgid)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/task", de->d_name);
		td = opendir(path);
		if (td == NULL)
			continue;
		while ((te = readdir(td)) != NULL && smp->n < E2E_MAX_THR) {
			struct e2e_thr *x = &smp->t[smp->n];

			if (te->d_name[0] < '1' || te->d_name[0] > '9')
				continue;
			/* pids and tids are short: the names cannot be cut */
			if ((size_t)snprintf(path, sizeof(path),
					     "/proc/%.20s/task/%.20s/stat",
					     de->d_name, te->d_name) >=
			    sizeof(path))
				continue;
			if (!e2e_read_stat(path, x->comm, sizeof(x->comm), &pg,
					   &x->ticks))
				continue;
			x->tid = (pid_t)atoi(te->d_name);
			smp->n++;
		}
		closedir(td);
	}
	closedir(d);
}

/**
 * Keep every thread of group @p pgid on the servers' CPUs: a thread
 * allowed onto any CPU outside @p cpus is put back on @p cpus (threads
 * that pinned themselves inside it, as tlsgate's lcores do, are left
 * alone). hitch pins worker N to CPU N whatever it inherited, which
 * would put it beside the client and nginx, where waking them costs no
 * IPI and its CPU time is not comparable. Returns the threads moved, or
 * -1 if one could not be.
 */
static int e2e_group_pin(pid_t pgid, const cpu_set_t *cpus)
{
	struct e2e_thr_sample smp;
	int moved = 0;

	e2e_group_threads(pgid, &smp);
	for (unsigned i = 0; i < smp.n; i++) {
		cpu_set_t cur, out;

		if (sched_getaffinity(smp.t[i].tid, sizeof(cur), &cur) != 0)
			continue; /* gone */
		CPU_AND(&out, &cur, cpus);
		if (CPU_EQUAL(&out, &cur))
			continue;
		if (sched_setaffinity(smp.t[i].tid, sizeof(*cpus), cpus) != 0)
			return -1;
		moved++;
	}
	return moved;
}

/**
 * Where the server's CPU went between @p a and @p b, by thread name
 * (threads of the same name summed), as "name NN% name NN%", largest
 * first; threads under 1% left out.
 */
void e2e_thread_text(const struct e2e_thr_sample *a,
			    const struct e2e_thr_sample *b, char *out,
			    size_t n)
{
	struct e2e_thr agg[E2E_MAX_THR];
	unsigned na = 0;
	uint64_t total = 0;
	size_t used = 0;

	for (unsigned i = 0; i < b->n; i++) {
		uint64_t before = 0, d;
		unsigned k;

		for (unsigned j = 0; j < a->n; j++)
			if (a->t[j].tid == b->t[i].tid)
				before = a->t[j].ticks;
		d = b->t[i].ticks >= before ? b->t[i].ticks - before : 0;
		for (k = 0; k < na; k++)
			if (strcmp(agg[k].comm, b->t[i].comm) == 0)
				break;
		if (k == na) {
			agg[na] = b->t[i];
			agg[na].ticks = 0;
			na++;
		}
		agg[k].ticks += d;
		total += d;
	}
	out[0] = '\0';
	if (total == 0)
		return;
	for (;;) {
		unsigned best = na;
		int k;

		for (unsigned i = 0; i < na; i++)
			if (agg[i].ticks > 0 &&
			    (best == na || agg[i].ticks > agg[best].ticks))
				best = i;
		if (best == na || agg[best].ticks * 100 < total)
			break;
		k = snprintf(out + used, n - used, "%s%s %.0f%%",
			     used ? ", " : "", agg[best].comm,
			     100.0 * (double)agg[best].ticks / (double)total);
		if (k < 0 || (size_t)k >= n - used)
			break;
		used += (size_t)k;
		agg[best].ticks = 0;
	}
}

/* ---- small helpers ----------------------------------------------------------- */

/** A free TCP port on 127.0.0.1 (bound, read back, closed). */
uint16_t e2e_free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	uint16_t port = 0;

	if (fd < 0)
		return 0;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/** Wait until 127.0.0.1:@p port accepts, or @p pid exits, or timeout. */
bool e2e_wait_port(uint16_t port, pid_t pid, double timeout_s)
{
	double end = e2e_now() + timeout_s;

	while (e2e_now() < end) {
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_port = htons(port) };
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		int st;
		bool ok;

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ok = fd >= 0 &&
		     connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
		if (fd >= 0)
			close(fd);
		if (ok)
			return true;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			for (int i = 0; i < E2E_MAX_KIDS; i++)
				if (e2e_kids[i] == pid)
					e2e_kids[i] = 0;
			return false;
		}
		usleep(50 * 1000);
	}
	return false;
}

/** Join @p argv with spaces, prefixed by `taskset -c LIST`. */
static void e2e_cmdline(char *const argv[], const char *cpus, char *out,
			size_t n)
{
	size_t used;
	int k = snprintf(out, n, "taskset -c %s", cpus);

	used = k > 0 ? (size_t)k : 0;
	for (int i = 0; argv[i] != NULL && used < n; i++) {
		k = snprintf(out + used, n - used, " %s", argv[i]);
		if (k < 0)
			break;
		used += (size_t)k;
	}
}

static bool e2e_write_file(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static bool e2e_write_file(const char *path, const char *fmt, ...)
{
	FILE *f = fopen(path, "w");
	va_list ap;
	bool ok;

	if (f == NULL)
		return false;
	va_start(ap, fmt);
	ok = vfprintf(f, fmt, ap) >= 0;
	va_end(ap);
	return fclose(f) == 0 && ok;
}

/** A body file of @p size bytes (a repeated pseudo-random block). */
static bool e2e_body_file(const char *path, uint32_t size)
{
	static uint8_t block[65536];
	static bool init;
	FILE *f = fopen(path, "wb");
	uint64_t left = size;
	bool ok = true;

	if (f == NULL)
		return false;
	if (!init) {
		uint32_t x = 2463534242u;

		for (size_t i = 0; i < sizeof(block); i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			block[i] = (uint8_t)x;
		}
		init = true;
	}
	while (left > 0 && ok) {
		size_t k = left < sizeof(block) ? (size_t)left : sizeof(block);

		ok = fwrite(block, 1, k, f) == k;
		left -= k;
	}
	return fclose(f) == 0 && ok;
}

/** The CPU list of @p set as text ("0,2-3"). */
static void e2e_cpus_text(const cpu_set_t *set, char *out, size_t n)
{
	size_t used = 0;

	out[0] = '\0';
	for (int c = 0; c < CPU_SETSIZE; c++) {
		int e = c;

		if (!CPU_ISSET(c, set))
			continue;
		while (e + 1 < CPU_SETSIZE && CPU_ISSET(e + 1, set))
			e++;
		if (used < n) {
			int k = e > c ? snprintf(out + used, n - used, "%s%d-%d",
						 used ? "," : "", c, e)
				      : snprintf(out + used, n - used, "%s%d",
						 used ? "," : "", c);

			if (k > 0)
				used += (size_t)k;
		}
		c = e;
	}
}

/** Parse a CPU list ("1", "2-3", "0,2") into @p set. */
static bool e2e_parse_cpus(const char *s, cpu_set_t *set)
{
	char tmp[64];
	char *save = NULL;

	CPU_ZERO(set);
	if (strlen(s) >= sizeof(tmp) || *s == '\0')
		return false;
	strcpy(tmp, s);
	for (char *t = strtok_r(tmp, ",", &save); t != NULL;
	     t = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(t, '-');
		uint32_t a, b;

		if (dash != NULL)
			*dash = '\0';
		if (tg_failed(tg_bench_parse_u32(t, 0, CPU_SETSIZE - 1, &a)))
			return false;
		b = a;
		if (dash != NULL &&
		    tg_failed(tg_bench_parse_u32(dash + 1, a, CPU_SETSIZE - 1,
						 &b)))
			return false;
		for (uint32_t c = a; c <= b; c++)
			CPU_SET((int)c, set);
	}
	return CPU_COUNT(set) > 0;
}

/** "1k" -> 1024, "100m" -> 104857600, "512" -> 512. */
static bool e2e_parse_size(const char *s, uint32_t *out)
{
	char num[32];
	size_t n = strlen(s);
	uint32_t mult = 1, v;

	if (n == 0 || n >= sizeof(num))
		return false;
	strcpy(num, s);
	switch (num[n - 1]) {
	case 'k':
	case 'K':
		mult = 1024;
		break;
	case 'm':
	case 'M':
		mult = 1024 * 1024;
		break;
	case 'g':
	case 'G':
		mult = 1024u * 1024 * 1024;
		break;
	default:
		break;
	}
	if (mult != 1)
		num[n - 1] = '\0';
	if (tg_failed(tg_bench_parse_u32(num, 1, UINT32_MAX / mult, &v)))
		return false;
	if ((uint64_t)v * mult > 1024u * 1024 * 1024)
		return false;
	*out = v * mult;
	return true;
}

/** Human size: 1024 -> "1 KiB". */
void e2e_size_text(uint32_t size, char *out, size_t n)
{
	if (size >= 1024 * 1024 && size % (1024 * 1024) == 0)
		snprintf(out, n, "%u MiB", size / (1024 * 1024));
	else if (size >= 1024 && size % 1024 == 0)
		snprintf(out, n, "%u KiB", size / 1024);
	else
		snprintf(out, n, "%u B", size);
}

/* ---- usage and command line ------------------------------------------------- */

static void e2e_usage(FILE *f)
{
	fprintf(f,
"usage: " TG_BENCH_PROG " e2e [options]\n"
"\n"
"The tlsgate executable end to end over loopback TCP, side by side with\n"
"hitch and HAProxy as TLS 1.2 (or 1.3) terminators in front of the same\n"
"nginx:\n"
"bytes, requests and handshakes per second of the terminator's own CPU\n"
"time (utime + stime of its processes, all threads, from /proc).\n"
"\n"
"options:\n"
"  --sizes LIST    body sizes, comma list, k/m/g suffixes (binary)\n"
"                  (default 1k,1m,100m)\n"
"  --seconds S     client run per test and server (default 5)\n"
"  --rounds R      run everything R times, the servers in alternating\n"
"                  order (each round restarts them); figures are the\n"
"                  sums over the rounds (default 1)\n"
"  --conns N       client connections in parallel (default 8)\n"
"  --workers N     worker threads of every server (default 1; tlsgate\n"
"                  needs one CPU of --core per worker)\n"
"  --core LIST     CPUs of the servers, taskset style: 1, 2-3 (default:\n"
"                  the last CPU we may use); the client (wrk, our\n"
"                  handshake client) and nginx use the other CPUs; a\n"
"                  server thread that pins itself elsewhere (hitch\n"
"                  does) is put back on LIST before each test\n"
"  --tls V         1.2 (default) or 1.3: the one protocol version of\n"
"                  every server and client\n"
"  --suite NAME    the one cipher suite of every server: TLS 1.2, an\n"
"                  OpenSSL name (default " E2E_DEF_SUITE ");\n"
"                  TLS 1.3, an IANA name (default " E2E_DEF_SUITE13 ")\n"
"  --servers LIST  tlsgate,hitch,haproxy or a part of it (default all)\n"
"  --tlsgate PATH  tlsgate executable (default: app/tlsgate of this\n"
"                  build, else tlsgate in $PATH)\n"
"  --json          a JSON array on stdout instead of tables: one object\n"
"                  per measurement, ratio and target (a measurement\n"
"                  names the meson buildtype measured)\n"
"  --plot FILE.png bytes per server CPU-second vs body size, one line per\n"
"                  server (gnuplot)\n"
"  --coalesce      handshake client: send the last handshake flight and\n"
"                  the request in one TCP segment (TCP_CORK), as some\n"
"                  clients do; default: two writes (SSL_connect, then\n"
"                  SSL_write), as a plain libssl client does\n"
"  --transport T   sockets (default: the above) or dpdk: tlsgate's DPDK\n"
"                  transport in this process on a net_memif pair, our\n"
"                  client (our handshake engine, --tls 1.2 or 1.3) and backend on\n"
"                  our TCP on the other end, beside tlsgate on sockets\n"
"                  and HAProxy in the same run (see below); root\n"
"  --control M     dpdk: where handshakes run, as tlsgate's control:\n"
"                  auto (default: a thread on the server CPUs the\n"
"                  worker's lcore does not use, inline when it has the\n"
"                  only one), thread (the control-plane thread on the\n"
"                  server CPUs, the worker's included) or inline (in\n"
"                  the worker)\n"
"  --idle-us N     dpdk: the worker's longest idle wait (default %u, as\n"
"                  tlsgate's dpdk.idle_sleep; 0 = busy poll)\n"
"  --idle-first-us N  dpdk: the first idle wait after work, doubled by\n"
"                  each wait that finds nothing up to --idle-us (default\n"
"                  %u, as tlsgate's dpdk.idle_first; 0 = always --idle-us)\n"
"  --dpdk-backends M  dpdk: dpdk (default; the backend on our TCP beside\n"
"                  the clients) or kernel (tlsgate's dpdk.backend_transport\n"
"                  = kernel: the worker reaches the socket side's backend\n"
"                  thread on 127.0.0.1 through its helper thread, whose CPU\n"
"                  time counts as the server's)\n"
"  --rx-chain      dpdk: records across segments opened in the received\n"
"                  mbufs and sent on as that chain (tlsgate's\n"
"                  dpdk.rx_chain; default: copied once, as tlsgate's)\n"
"  --memif-zero-copy  dpdk: the worker's net_memif port in memif's\n"
"                  zero-copy mode (its mbufs shared; the load side's\n"
"                  port copies into and out of them, the worker's copies\n"
"                  nothing; EAL --single-file-segments; default: copy\n"
"                  mode, each side copying its frames)\n"
"  --keep          keep the temporary directory (configs, logs)\n"
"  -v, --verbose   progress lines and the exact commands on stderr\n"
"  -h, --help      this text\n"
"\n"
"Tests, for each server in turn (one running at a time):\n"
"  get SIZE   wrk -t1 -c N -d S --timeout 60s https://127.0.0.1:PORT/SIZE\n"
"             (keep-alive GETs): bytes and requests per server CPU-s\n"
"  full       our libssl client: N connections in parallel, each a full\n"
"             handshake (group X25519, no session offered), one GET of the\n"
"             smallest body with Connection: close, read to EOF, close\n"
"  resumed    the same, offering the session of a first full handshake\n"
"             (ticket or ID, whatever the server issued); the share that\n"
"             did resume is shown\n"
"\n"
"Targets (tlsgate vs each of hitch and HAProxy, per server CPU-second):\n"
"  bulk bodies (>= 1 MiB) >= 1.3x; small bodies (<= 16 KiB) >= 1.0x;\n"
"  full handshakes >= 1.0x. Resumed handshakes are reported without a\n"
"  target. Missed targets do not change the exit status.\n"
"\n"
"Peers come from Debian: bash scripts/setup-bench.sh installs hitch,\n"
"haproxy, nginx, wrk, gnuplot (and stops their system services). A\n"
"missing terminator is skipped; nginx and wrk are required.\n"
"\n"
"--transport dpdk: workloads, each against tlsgate-dpdk (in process) and\n"
"tlsgate and HAProxy on sockets (hitch with --servers):\n"
"  records SIZE   --conns connections, established first, each sending\n"
"             TLS records of SIZE bytes of plaintext as fast as it can\n"
"             (--sizes, default 64,1k,16k, at most 16k) to a backend that\n"
"             counts them: records and Gbit/s of plaintext through\n"
"  full, resumed  as above (GET of the smallest size, Connection: close)\n"
"  per server CPU-second: tlsgate-dpdk's worker lcore thread plus its\n"
"  control-plane thread (thread CPU time); the others as above. The DPDK\n"
"  side's clients and backend run on our TCP on the client CPU (lcore 0),\n"
"  the socket side's (libssl, a kernel backend thread) on the same CPU.\n"
"  EAL: --no-huge --no-pci --no-shconf, two net_memif vdevs.\n"
"\n"
"examples:\n"
"  " TG_BENCH_PROG " e2e --seconds 5\n"
"  " TG_BENCH_PROG " e2e --sizes 1k,1m --servers tlsgate,haproxy --json\n"
"  " TG_BENCH_PROG " e2e --plot e2e.png\n"
"  " TG_BENCH_PROG " e2e --transport dpdk --seconds 3 --plot dpdk.png\n",
		E2E_DEF_IDLE_US, E2E_DEF_IDLE_FIRST_US);
}

static void e2e_default_tlsgate(struct e2e_opts *o)
{
	static char path[PATH_MAX];
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	o->tlsgate = "tlsgate";
	if (n <= 0)
		return;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash == NULL)
		return;
	*slash = '\0';
	/* build/bench/tlsgate-bench -> build/app/tlsgate */
	if ((size_t)snprintf(path, sizeof(path), "%s/../app/tlsgate", self) <
		    sizeof(path) &&
	    access(path, X_OK) == 0)
		o->tlsgate = path;
}

/* An option with two values: false for @p a, true for @p b, anything
 * else a usage error. */
static bool e2e_choice(const char *opt, const char *arg, const char *a, const char *b)
{
	if (strcmp(arg, a) != 0 && strcmp(arg, b) != 0)
		tg_bench_usage_error(E2E_CMD, "bad %s '%s' (expected %s or %s)", opt, arg,
				     a, b);
	return strcmp(arg, b) == 0;
}

static void e2e_parse(int argc, char **argv, struct e2e_opts *o)
{
	enum { O_SIZES = 256, O_SECONDS, O_CONNS, O_WORKERS, O_CORE, O_SUITE,
	       O_SERVERS, O_TLSGATE, O_JSON, O_PLOT, O_KEEP, O_COALESCE,
	       O_ROUNDS, O_TLS, O_TRANSPORT, O_CONTROL, O_IDLE, O_IDLE_FIRST,
	       O_DPDK_BACKENDS, O_RX_CHAIN, O_MEMIF_ZC };
	static const struct option lo[] = {
		{ "sizes", required_argument, NULL, O_SIZES },
		{ "seconds", required_argument, NULL, O_SECONDS },
		{ "conns", required_argument, NULL, O_CONNS },
		{ "workers", required_argument, NULL, O_WORKERS },
		{ "core", required_argument, NULL, O_CORE },
		{ "suite", required_argument, NULL, O_SUITE },
		{ "servers", required_argument, NULL, O_SERVERS },
		{ "tlsgate", required_argument, NULL, O_TLSGATE },
		{ "json", no_argument, NULL, O_JSON },
		{ "plot", required_argument, NULL, O_PLOT },
		{ "keep", no_argument, NULL, O_KEEP },
		{ "coalesce", no_argument, NULL, O_COALESCE },
		{ "rounds", required_argument, NULL, O_ROUNDS },
		{ "tls", required_argument, NULL, O_TLS },
		{ "transport", required_argument, NULL, O_TRANSPORT },
		{ "control", required_argument, NULL, O_CONTROL },
		{ "idle-us", required_argument, NULL, O_IDLE },
		{ "idle-first-us", required_argument, NULL, O_IDLE_FIRST },
		{ "dpdk-backends", required_argument, NULL, O_DPDK_BACKENDS },
		{ "rx-chain", no_argument, NULL, O_RX_CHAIN },
		{ "memif-zero-copy", no_argument, NULL, O_MEMIF_ZC },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sizes = NULL;
	bool servers_given = false, ctl_given = false, idle_given = false;
	bool idle_first_given = false;
	int c;

	memset(o, 0, sizeof(*o));
	o->seconds = 5.0;
	o->ctl_auto = true;
	o->conns = 8;
	o->workers = 1;
	o->rounds = 1;
	o->suite = NULL;
	for (int s = 0; s < SRV__N; s++)
		o->srv[s] = true;
	e2e_default_tlsgate(o);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:hv", lo, NULL)) != -1) {
		switch (c) {
		case O_SIZES:
			sizes = optarg;
			break;
		case O_SECONDS:
			if (tg_failed(tg_bench_parse_seconds(optarg,
							     E2E_MAX_SECONDS,
							     &o->seconds)) ||
			    o->seconds < 0.5)
				tg_bench_usage_error(E2E_CMD,
						     "bad --seconds '%s' (expected "
						     "0.5 to 600)", optarg);
			break;
		case O_CONNS:
			tg_bench_opt_u32(E2E_CMD, "--conns", optarg, 1, E2E_MAX_CONNS,
					 &o->conns);
			break;
		case O_WORKERS:
			tg_bench_opt_u32(E2E_CMD, "--workers", optarg, 1, 128,
					 &o->workers);
			break;
		case O_CORE: {
			cpu_set_t set;

			if (!e2e_parse_cpus(optarg, &set))
				tg_bench_usage_error(E2E_CMD,
						     "bad --core '%s' (expected a "
						     "CPU list such as 1 or 2-3)",
						     optarg);
			snprintf(o->core, sizeof(o->core), "%s", optarg);
			break;
		}
		case O_SUITE:
			if ((strncmp(optarg, "ECDHE-ECDSA-", 12) != 0 &&
			     strncmp(optarg, "TLS_", 4) != 0) ||
			    strlen(optarg) > 64)
				tg_bench_usage_error(E2E_CMD,
						     "bad --suite '%s' (the "
						     "certificate is ECDSA: use an "
						     "ECDHE-ECDSA-... OpenSSL "
						     "name, or a TLS 1.3 TLS_... "
						     "name with --tls 1.3)", optarg);
			o->suite = optarg;
			break;
		case O_TLS:
			if (strcmp(optarg, "1.2") != 0 && strcmp(optarg, "1.3") != 0)
				tg_bench_usage_error(E2E_CMD, "bad --tls '%s' "
						     "(expected 1.2 or 1.3)",
						     optarg);
			o->tls13 = strcmp(optarg, "1.3") == 0;
			break;
		case O_SERVERS: {
			char tmp[128];
			char *save = NULL;

			memset(o->srv, 0, sizeof(o->srv));
			servers_given = true;
			if (strlen(optarg) >= sizeof(tmp))
				tg_bench_usage_error(E2E_CMD, "bad --servers");
			strcpy(tmp, optarg);
			for (char *t = strtok_r(tmp, ",", &save); t != NULL;
			     t = strtok_r(NULL, ",", &save)) {
				int k = -1;

				for (int s = 0; s < SRV__N; s++)
					if (strcmp(t, srv_name[s]) == 0)
						k = s;
				if (k < 0)
					tg_bench_usage_error(E2E_CMD,
							     "unknown server '%s' "
							     "(expected tlsgate, "
							     "hitch, haproxy)", t);
				o->srv[k] = true;
			}
			break;
		}
		case O_TRANSPORT:
			o->dpdk = e2e_choice("--transport", optarg, "sockets", "dpdk");
			break;
		case O_CONTROL:
			o->ctl_auto = strcmp(optarg, "auto") == 0;
			if (!o->ctl_auto)
				o->ctl_inline = e2e_choice("--control", optarg, "thread",
							   "inline");
			ctl_given = true;
			break;
		case O_DPDK_BACKENDS:
			o->kback = e2e_choice("--dpdk-backends", optarg, "dpdk", "kernel");
			ctl_given = true;
			break;
		case O_RX_CHAIN:
			o->rx_chain = true;
			ctl_given = true;
			break;
		case O_MEMIF_ZC:
			o->memif_zc = true;
			ctl_given = true;
			break;
		case O_IDLE:
			tg_bench_opt_u32(E2E_CMD, "--idle-us", optarg, 0, 100000,
					 &o->idle_us);
			idle_given = true;
			break;
		case O_IDLE_FIRST:
			tg_bench_opt_u32(E2E_CMD, "--idle-first-us", optarg, 0,
					 100000, &o->idle_first_us);
			idle_first_given = true;
			break;
		case O_TLSGATE:
			o->tlsgate = optarg;
			break;
		case O_JSON:
			o->json = true;
			break;
		case O_PLOT:
			o->plot = optarg;
			break;
		case O_KEEP:
			o->keep = true;
			break;
		case O_COALESCE:
			o->coalesce = true;
			break;
		case O_ROUNDS:
			tg_bench_opt_u32(E2E_CMD, "--rounds", optarg, 1, 20, &o->rounds);
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			e2e_usage(stdout);
			exit(0);
		case ':':
			tg_bench_usage_error(E2E_CMD, "option '%s' needs a value",
					     argv[optind - 1]);
		default:
			tg_bench_usage_error(E2E_CMD, "unknown option '%s'",
					     argv[optind - 1]);
		}
	}
	if (optind < argc)
		tg_bench_usage_error(E2E_CMD, "unexpected argument '%s'",
				     argv[optind]);
	o->idle_us = idle_given ? o->idle_us : E2E_DEF_IDLE_US;
	o->idle_first_us = idle_first_given ? o->idle_first_us : E2E_DEF_IDLE_FIRST_US;
	if (o->dpdk) {
		/* records of 64 B to 16 KiB; tlsgate on sockets and HAProxy
		 * beside the DPDK transport */
		if (sizes == NULL)
			sizes = "64,1k,16k";
		if (!servers_given)
			o->srv[SRV_HITCH] = false;
		if (o->workers != 1 || o->coalesce || o->rounds != 1)
			tg_bench_usage_error(E2E_CMD, "--transport dpdk: one "
					     "worker, one round, no --coalesce");
	} else if (ctl_given || idle_given || idle_first_given) {
		tg_bench_usage_error(E2E_CMD, "--control, --idle-us, "
				     "--idle-first-us, --dpdk-backends, --rx-chain and "
				     "--memif-zero-copy go with --transport dpdk");
	}
	if (sizes == NULL)
		sizes = "1k,1m,100m";
	if (o->suite == NULL)
		o->suite = o->tls13 ? E2E_DEF_SUITE13 : E2E_DEF_SUITE;
	if ((strncmp(o->suite, "TLS_", 4) == 0) != o->tls13)
		tg_bench_usage_error(E2E_CMD, "--suite %s is not a TLS %s suite",
				     o->suite, o->tls13 ? "1.3" : "1.2");
	{
		char tmp[256];
		char *save = NULL;

		if (strlen(sizes) >= sizeof(tmp))
			tg_bench_usage_error(E2E_CMD, "--sizes too long");
		strcpy(tmp, sizes);
		for (char *t = strtok_r(tmp, ",", &save); t != NULL;
		     t = strtok_r(NULL, ",", &save)) {
			uint32_t v;
			bool dup = false;

			if (!e2e_parse_size(t, &v))
				tg_bench_usage_error(E2E_CMD,
						     "bad size '%s' in --sizes "
						     "(expected e.g. 1k, 1m, 100m;"
						     " at most 1g)", t);
			for (unsigned i = 0; i < o->nsizes; i++)
				dup = dup || o->sizes[i] == v;
			if (dup)
				continue;
			if (o->nsizes == E2E_MAX_SIZES)
				tg_bench_usage_error(E2E_CMD,
						     "at most %d --sizes",
						     E2E_MAX_SIZES);
			if (o->dpdk && v > 16384)
				tg_bench_usage_error(E2E_CMD, "--transport dpdk: "
						     "--sizes are records, at "
						     "most 16k");
			o->sizes[o->nsizes++] = v;
		}
		if (o->nsizes == 0)
			tg_bench_usage_error(E2E_CMD, "--sizes is empty");
	}
}

/* ---- setup: CPUs, certificate, files, nginx --------------------------------- */

static bool e2e_cpus(struct e2e_env *e)
{
	cpu_set_t all;

	if (sched_getaffinity(0, sizeof(all), &all) != 0)
		return false;
	if (e->o.core[0] == '\0') {
		int last = -1;

		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &all))
				last = c;
		snprintf(e->o.core, sizeof(e->o.core), "%d", last);
	}
	if (!e2e_parse_cpus(e->o.core, &e->srv_cpus))
		return false;
	CPU_ZERO(&e->cli_cpus);
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (CPU_ISSET(c, &e->srv_cpus) && !CPU_ISSET(c, &all)) {
			fprintf(stderr, "%s e2e: --core %s: CPU %d is not ours\n",
				TG_BENCH_PROG, e->o.core, c);
			return false;
		}
		if (CPU_ISSET(c, &all) && !CPU_ISSET(c, &e->srv_cpus))
			CPU_SET(c, &e->cli_cpus);
	}
	e->n_srv_cpus = (unsigned)CPU_COUNT(&e->srv_cpus);
	e->n_cli_cpus = (unsigned)CPU_COUNT(&e->cli_cpus);
	if (e->n_cli_cpus == 0) {
		fprintf(stderr,
			"%s e2e: --core %s leaves no CPU for the client and "
			"nginx; give the servers fewer CPUs\n",
			TG_BENCH_PROG, e->o.core);
		return false;
	}
	e2e_cpus_text(&e->cli_cpus, e->cli_list, sizeof(e->cli_list));
	return true;
}

/** Self-signed ECDSA P-256 certificate: cert.pem, key.pem, site.pem. */
static bool e2e_make_cert(const struct e2e_env *e)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *nm;
	char path[128];
	FILE *f;
	bool ok = key != NULL && x != NULL;

	if (ok) {
		nm = X509_get_subject_name(x);
		ok = X509_set_version(x, 2) &&
		     ASN1_INTEGER_set(X509_get_serialNumber(x), 1) &&
		     X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
		     X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 7) &&
		     X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
						(const unsigned char *)E2E_HOST,
						-1, -1, 0) &&
		     X509_set_issuer_name(x, nm) && X509_set_pubkey(x, key) &&
		     X509_sign(x, key, EVP_sha256()) > 0;
	}
	for (int i = 0; ok && i < 3; i++) {
		static const char *const names[3] = { "cert.pem", "key.pem",
						      "site.pem" };

		snprintf(path, sizeof(path), "%s/%s", e->dir, names[i]);
		f = fopen(path, "w");
		ok = f != NULL;
		if (ok && i != 1)
			ok = PEM_write_X509(f, x) == 1;
		if (ok && i != 0)
			ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL,
						  NULL) == 1;
		if (f != NULL && fclose(f) != 0)
			ok = false;
		/* hitch drops to nobody: it reads the file before */
		if (ok)
			chmod(path, 0600);
	}
	X509_free(x);
	EVP_PKEY_free(key);
	return ok;
}

static bool e2e_start_nginx(struct e2e_env *e)
{
	char conf[128], log[128], www[128], tmp[128];
	char *argv[] = { e->nginx_bin, "-p", e->dir, "-c", conf, "-e", log,
			 NULL };
	char cmd[512];

	snprintf(conf, sizeof(conf), "%s/nginx.conf", e->dir);
	snprintf(log, sizeof(log), "%s/nginx.log", e->dir);
	snprintf(www, sizeof(www), "%s/www", e->dir);
	snprintf(tmp, sizeof(tmp), "%s/nginx-tmp", e->dir);
	if (mkdir(www, 0755) != 0 || mkdir(tmp, 0700) != 0)
		return false;
	for (unsigned i = 0; i < e->o.nsizes; i++) {
		char p[160];

		snprintf(p, sizeof(p), "%s/%u", www, e->o.sizes[i]);
		if (!e2e_body_file(p, e->o.sizes[i])) {
			fprintf(stderr, "%s e2e: cannot write %s (%u bytes): %s\n",
				TG_BENCH_PROG, p, e->o.sizes[i],
				strerror(errno));
			return false;
		}
	}
	e->be_port = e2e_free_port();
	if (e->be_port == 0 ||
	    !e2e_write_file(conf,
			    "# tlsgate-bench e2e: the backend, one process\n"
			    "daemon off;\n"
			    "master_process off;\n"
			    "worker_processes 1;\n"
			    "error_log %s warn;\n"
			    "pid %s/nginx.pid;\n"
			    "events { worker_connections 4096; }\n"
			    "http {\n"
			    "  access_log off;\n"
			    "  sendfile on;\n"
			    "  tcp_nopush on;\n"
			    "  keepalive_requests 100000000;\n"
			    "  keepalive_timeout 300s;\n"
			    "  default_type application/octet-stream;\n"
			    "  client_body_temp_path %s;\n"
			    "  proxy_temp_path %s;\n"
			    "  fastcgi_temp_path %s;\n"
			    "  uwsgi_temp_path %s;\n"
			    "  scgi_temp_path %s;\n"
			    "  server {\n"
			    "    listen 127.0.0.1:%u;\n"
			    "    root %s;\n"
			    "  }\n"
			    "}\n",
			    log, e->dir, tmp, tmp, tmp, tmp, tmp,
			    (unsigned)e->be_port, www))
		return false;
	e2e_cmdline(argv, e->cli_list, cmd, sizeof(cmd));
	if (e->o.verbose)
		fprintf(stderr, "backend: %s\n", cmd);
	e->nginx = e2e_spawn(argv, &e->cli_cpus, log, -1);
	if (e->nginx <= 0 || !e2e_wait_port(e->be_port, e->nginx, 10.0)) {
		fprintf(stderr, "%s e2e: nginx did not start\n  command: %s\n",
			TG_BENCH_PROG, cmd);
		e2e_tail(log);
		return false;
	}
	return true;
}

/* ---- the servers --------------------------------------------------------------- */

/** An argv under construction, its strings in one buffer. */
struct e2e_argv {
	char *v[40];
	char buf[4096];
	size_t used;
	int n;
};

static void e2e_arg(struct e2e_argv *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void e2e_arg(struct e2e_argv *a, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (a->n >= 39)
		return;
	va_start(ap, fmt);
	k = vsnprintf(a->buf + a->used, sizeof(a->buf) - a->used, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= sizeof(a->buf) - a->used)
		return;
	a->v[a->n++] = a->buf + a->used;
	a->v[a->n] = NULL;
	a->used += (size_t)k + 1;
}

/** Start server @p s on @p port; returns its pid (its process group). */
pid_t e2e_start_server(struct e2e_env *e, enum e2e_srv s,
			      uint16_t port, char *cmd, size_t cmdn)
{
	struct e2e_argv a = { .n = 0 };
	char log[128];
	pid_t pid;

	snprintf(log, sizeof(log), "%s/%s.log", e->dir, srv_name[s]);
	e2e_arg(&a, "%s", e->srv_bin[s]);
	switch (s) {
	case SRV_TLSGATE:
		e2e_arg(&a, "--listen");
		e2e_arg(&a, "127.0.0.1:%u", (unsigned)port);
		e2e_arg(&a, "--cert");
		e2e_arg(&a, "%s/cert.pem", e->dir);
		e2e_arg(&a, "--key");
		e2e_arg(&a, "%s/key.pem", e->dir);
		e2e_arg(&a, "--backend");
		e2e_arg(&a, "127.0.0.1:%u", (unsigned)e->be_port);
		/* tlsgate does both versions by default: the one measured */
		e2e_arg(&a, "--tls-versions");
		e2e_arg(&a, "%s", e->o.tls13 ? "TLSv1.3" : "TLSv1.2");
		e2e_arg(&a, "%s", e->o.tls13 ? "--tls13-suites" : "--suites");
		e2e_arg(&a, "%s", e->o.suite);
		e2e_arg(&a, "--workers");
		e2e_arg(&a, "%u", e->o.workers);
		e2e_arg(&a, "-l");
		e2e_arg(&a, "%s", e->o.core);
		/* no per-connection log: the others log nothing either */
		e2e_arg(&a, "--access-log");
		e2e_arg(&a, "-");
		e2e_arg(&a, "--log-level");
		e2e_arg(&a, "warn");
		break;
	case SRV_HITCH:
		e2e_arg(&a, "--frontend=[127.0.0.1]:%u", (unsigned)port);
		e2e_arg(&a, "--backend=[127.0.0.1]:%u", (unsigned)e->be_port);
		if (e->o.tls13) {
			/* hitch 1.7 takes TLS 1.3 suites in its file only */
			char hcfg[128];

			snprintf(hcfg, sizeof(hcfg), "%s/hitch.cfg", e->dir);
			if (!e2e_write_file(hcfg, "ciphersuites = \"%s\"\n",
					    e->o.suite))
				return -1;
			e2e_arg(&a, "--config=%s", hcfg);
			e2e_arg(&a, "--tls-protos=TLSv1.3");
		} else {
			e2e_arg(&a, "--ciphers=%s", e->o.suite);
			e2e_arg(&a, "--tls-protos=TLSv1.2");
		}
		e2e_arg(&a, "--workers=%u", e->o.workers);
		e2e_arg(&a, "--ocsp-dir=%s", e->dir);
		/* hitch refuses to run its workers as root */
		if (geteuid() == 0)
			e2e_arg(&a, "--user=nobody");
		e2e_arg(&a, "%s/site.pem", e->dir);
		break;
	case SRV_HAPROXY: {
		char cfg[128];

		snprintf(cfg, sizeof(cfg), "%s/haproxy.cfg", e->dir);
		if (!e2e_write_file(
			    cfg,
			    "# tlsgate-bench e2e: HAProxy as a pure TLS "
			    "terminator\n"
			    "global\n"
			    "  nbthread %u\n"
			    "  maxconn 4096\n"
			    "defaults\n"
			    "  mode tcp\n"
			    "  timeout connect 5s\n"
			    "  timeout client 120s\n"
			    "  timeout server 120s\n"
			    "frontend fe\n"
			    "  bind 127.0.0.1:%u ssl crt %s/site.pem "
			    "ssl-min-ver TLSv1.%c ssl-max-ver TLSv1.%c %s %s\n"
			    "  default_backend be\n"
			    "backend be\n"
			    "  server s1 127.0.0.1:%u\n",
			    e->o.workers, (unsigned)port, e->dir,
			    e->o.tls13 ? '3' : '2', e->o.tls13 ? '3' : '2',
			    e->o.tls13 ? "ciphersuites" : "ciphers", e->o.suite,
			    (unsigned)e->be_port))
			return -1;
		e2e_arg(&a, "-db");
		e2e_arg(&a, "-f");
		e2e_arg(&a, "%s", cfg);
		break;
	}
	default:
		return -1;
	}
	e2e_cmdline(a.v, e->o.core, cmd, cmdn);
	if (e->o.verbose)
		fprintf(stderr, "server: %s\n", cmd);
	pid = e2e_spawn(a.v, &e->srv_cpus, log, -1);
	if (pid <= 0 || !e2e_wait_port(port, pid, E2E_START_S)) {
		fprintf(stderr, "%s e2e: %s did not start\n  command: %s\n",
			TG_BENCH_PROG, srv_name[s], cmd);
		e2e_tail(log);
		if (pid > 0)
			e2e_kill(pid);
		return -1;
	}
	return pid;
}

/**
 * Start of a measurement: the server's threads back on its CPUs (a
 * worker it restarted may have pinned itself elsewhere again), a sample
 * of them for the by-thread split, and its CPU ticks so far.
 */
uint64_t e2e_cpu_start(struct e2e_env *e, pid_t srv)
{
	if (e2e_group_pin(srv, &e->srv_cpus) < 0)
		fprintf(stderr, "%s e2e: cannot keep the server on CPU %s: %s\n",
			TG_BENCH_PROG, e->o.core, strerror(errno));
	e2e_group_threads(srv, &e->thr[0]);
	return e2e_group_ticks(srv);
}

/* ---- wrk ------------------------------------------------------------------------- */

/** Run wrk against @p port for body @p size; fills @p m. */
static bool e2e_wrk(struct e2e_env *e, pid_t srv, uint16_t port,
		    uint32_t size, struct e2e_meas *m)
{
	struct e2e_argv a = { .n = 0 };
	char lua[128], out[4096];
	int fds[2];
	size_t len = 0;
	pid_t pid;
	uint64_t t0, t1;
	double deadline;
	unsigned long long dur = 0, reqs = 0, bytes = 0, ec = 0, er = 0,
			   ew = 0, es = 0, et = 0;
	const char *line;
	int st = 0;
	unsigned threads = e->n_cli_cpus < e->o.conns ? e->n_cli_cpus
						      : e->o.conns;

	snprintf(lua, sizeof(lua), "%s/report.lua", e->dir);
	if (access(lua, R_OK) != 0 &&
	    !e2e_write_file(lua,
			    "-- tlsgate-bench e2e: exact totals\n"
			    "done = function(s, latency, requests)\n"
			    "  local e = s.errors\n"
			    "  io.write(string.format(\"TGE2E %%d %%d %%d %%d "
			    "%%d %%d %%d %%d\\n\", s.duration, s.requests, "
			    "s.bytes, e.connect, e.read, e.write, e.status, "
			    "e.timeout))\n"
			    "end\n"))
		return false;
	e2e_arg(&a, "%s", e->wrk);
	e2e_arg(&a, "-t%u", threads);
	e2e_arg(&a, "-c%u", e->o.conns);
	e2e_arg(&a, "-d%.0fs", ceil(e->o.seconds));
	e2e_arg(&a, "--timeout");
	e2e_arg(&a, "60s");
	e2e_arg(&a, "-s");
	e2e_arg(&a, "%s", lua);
	e2e_arg(&a, "https://127.0.0.1:%u/%u", (unsigned)port, size);
	e2e_cmdline(a.v, e->cli_list, m->command, sizeof(m->command));
	if (e->o.verbose)
		fprintf(stderr, "client: %s\n", m->command);
	if (pipe2(fds, O_CLOEXEC) != 0)
		return false;
	t0 = e2e_cpu_start(e, srv);
	pid = e2e_spawn(a.v, &e->cli_cpus, NULL, fds[1]);
	close(fds[1]);
	if (pid <= 0) {
		close(fds[0]);
		return false;
	}
	deadline = e2e_now() + e->o.seconds + E2E_SLACK_S;
	for (;;) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		double left = deadline - e2e_now();
		ssize_t k;

		if (left <= 0) {
			fprintf(stderr, "%s e2e: wrk did not finish in time\n",
				TG_BENCH_PROG);
			break;
		}
		if (poll(&pfd, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		k = read(fds[0], out + len, sizeof(out) - 1 - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		len += (size_t)k;
		if (len == sizeof(out) - 1) {
			/* keep the tail, where the totals are */
			memmove(out, out + len / 2, len - len / 2);
			len -= len / 2;
		}
	}
	close(fds[0]);
	e2e_kill(pid);
	t1 = e2e_group_ticks(srv);
	e2e_group_threads(srv, &e->thr[1]);
	e2e_thread_text(&e->thr[0], &e->thr[1], m->threads,
			sizeof(m->threads));
	(void)waitpid(pid, &st, WNOHANG);
	out[len] = '\0';
	line = strstr(out, "TGE2E ");
	if (line == NULL ||
	    sscanf(line, "TGE2E %llu %llu %llu %llu %llu %llu %llu %llu", &dur,
		   &reqs, &bytes, &ec, &er, &ew, &es, &et) != 8 ||
	    dur == 0) {
		fprintf(stderr, "%s e2e: wrk printed no totals\n  command: %s\n"
				"  output:\n%s\n",
			TG_BENCH_PROG, m->command, out);
		return false;
	}
	m->wall_s = (double)dur / 1e6;
	m->cpu_s = (double)(t1 - t0) / (double)e->clk_tck;
	m->reqs = reqs;
	m->bytes = bytes;
	m->errors = ec + er + ew + es;
	if (m->errors > 0 || et > 0)
		fprintf(stderr,
			"%s e2e: wrk errors: connect %llu read %llu write %llu "
			"status %llu timeout %llu\n",
			TG_BENCH_PROG, ec, er, ew, es, et);
	m->ok = reqs > 0 && m->cpu_s > 0 && es == 0;
	return true;
}

/* ---- our handshake client -------------------------------------------------------- */

enum hc_state { HC_IDLE = 0, HC_CONNECT, HC_HS, HC_REQ, HC_RESP };

struct hc_slot {
	enum hc_state st;
	int fd;
	SSL *ssl;
	short events;
	uint64_t got;
	bool ok200;
	double t0;       /**< when the connection started */
};

struct hc {
	SSL_CTX *ctx;
	SSL_SESSION *sess; /**< to offer (resumed); NULL for full */
	uint16_t port;
	char req[160];
	size_t req_len;
	uint32_t body;
	bool coalesce;     /**< last flight + request in one segment */
	bool want_sess;    /**< keep the session of the next handshake */
	SSL_SESSION *got_sess;
	uint64_t done, resumed, errors;
	char err[160];
};

static void hc_close(struct hc_slot *sl)
{
	/* SSL_free after an unclean end would mark the session not
	 * resumable, and every connection shares the one we offer */
	if (sl->ssl != NULL) {
		SSL_set_shutdown(sl->ssl,
				 SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
		SSL_free(sl->ssl);
	}
	if (sl->fd >= 0)
		close(sl->fd);
	sl->ssl = NULL;
	sl->fd = -1;
	sl->st = HC_IDLE;
}

static void hc_fail(struct hc *h, struct hc_slot *sl, const char *what)
{
	unsigned long e = ERR_get_error();

	h->errors++;
	if (h->err[0] == '\0') {
		char es[120];

		ERR_error_string_n(e, es, sizeof(es));
		snprintf(h->err, sizeof(h->err), "%s%s%s", what, e ? ": " : "",
			 e ? es : "");
	}
	ERR_clear_error();
	hc_close(sl);
}

static bool hc_start(struct hc *h, struct hc_slot *sl)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(h->port) };
	int one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sl->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	sl->ssl = NULL;
	sl->got = 0;
	sl->ok200 = false;
	sl->t0 = e2e_now();
	if (sl->fd < 0)
		return false;
	setsockopt(sl->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* --coalesce: hold what we write until we wait for the server
	 * (hc_want) or have written the request */
	if (h->coalesce)
		setsockopt(sl->fd, IPPROTO_TCP, TCP_CORK, &one, sizeof(one));
	sl->ssl = SSL_new(h->ctx);
	if (sl->ssl == NULL || !SSL_set_fd(sl->ssl, sl->fd) ||
	    !SSL_set_tlsext_host_name(sl->ssl, E2E_HOST) ||
	    (h->sess != NULL && !SSL_set_session(sl->ssl, h->sess)))
		return false;
	if (connect(sl->fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
		sl->st = HC_HS;
		sl->events = POLLOUT;
		return true;
	}
	if (errno != EINPROGRESS)
		return false;
	sl->st = HC_CONNECT;
	sl->events = POLLOUT;
	return true;
}

/** Push out what a corked socket holds (--coalesce). */
static void hc_push(const struct hc *h, struct hc_slot *sl, bool recork)
{
	int zero = 0, one = 1;

	if (!h->coalesce)
		return;
	setsockopt(sl->fd, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero));
	if (recork)
		setsockopt(sl->fd, IPPROTO_TCP, TCP_CORK, &one, sizeof(one));
}

/** Map an SSL_get_error() result to poll events; false on a real error. */
static bool hc_want(const struct hc *h, struct hc_slot *sl, int rc)
{
	switch (SSL_get_error(sl->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		/* we wait for the server: it must have our flight */
		if (sl->st != HC_RESP)
			hc_push(h, sl, true);
		sl->events = POLLIN;
		return true;
	case SSL_ERROR_WANT_WRITE:
		sl->events = POLLOUT;
		return true;
	default:
		return false;
	}
}

/** Advance @p sl as far as it goes without blocking. */
static void hc_step(struct hc *h, struct hc_slot *sl, bool count)
{
	for (;;) {
		int rc;

		switch (sl->st) {
		case HC_IDLE:
			return;
		case HC_CONNECT: {
			int err = 0;
			socklen_t l = sizeof(err);

			if (getsockopt(sl->fd, SOL_SOCKET, SO_ERROR, &err, &l) != 0 ||
			    err != 0) {
				errno = err;
				hc_fail(h, sl, "connect");
				return;
			}
			sl->st = HC_HS;
			break;
		}
		case HC_HS:
			rc = SSL_connect(sl->ssl);
			if (rc == 1) {
				/* TLS 1.3: the ticket comes after the
				 * handshake (RFC 8446 §4.6.1): taken with
				 * the first response bytes */
				if (h->want_sess && h->got_sess == NULL &&
				    SSL_version(sl->ssl) != TLS1_3_VERSION)
					h->got_sess = SSL_get1_session(sl->ssl);
				sl->st = HC_REQ;
				break;
			}
			if (!hc_want(h, sl, rc))
				hc_fail(h, sl, "handshake");
			return;
		case HC_REQ:
			rc = SSL_write(sl->ssl, h->req, (int)h->req_len);
			if (rc > 0) {
				hc_push(h, sl, false);
				sl->st = HC_RESP;
				break;
			}
			if (!hc_want(h, sl, rc))
				hc_fail(h, sl, "write");
			return;
		case HC_RESP: {
			char buf[16384];

			rc = SSL_read(sl->ssl, buf, sizeof(buf));
			if (rc > 0) {
				if (h->want_sess && h->got_sess == NULL)
					h->got_sess = SSL_get1_session(sl->ssl);
				if (sl->got == 0)
					sl->ok200 = rc >= 12 &&
						    memcmp(buf, "HTTP/1.1 200", 12) == 0;
				sl->got += (uint64_t)rc;
				break;
			}
			if (hc_want(h, sl, rc))
				return;
			/* EOF (close_notify or TCP FIN): the response is
			 * complete when it was a 200 with the whole body */
			if (!sl->ok200 || sl->got <= h->body) {
				hc_fail(h, sl, "response (no 200 or short body)");
				return;
			}
			if (count) {
				h->done++;
				if (SSL_session_reused(sl->ssl))
					h->resumed++;
			}
			hc_close(sl);
			return;
		}
		}
	}
}

/** One complete connection, blocking-style (warm-up, session to resume). */
static SSL_SESSION *hc_one(struct hc *h, bool keep_session)
{
	struct hc_slot sl = { .fd = -1 };
	double end = e2e_now() + E2E_CONN_S;
	SSL_SESSION *s;

	h->want_sess = keep_session;
	h->got_sess = NULL;
	if (!hc_start(h, &sl)) {
		hc_fail(h, &sl, "start");
		h->want_sess = false;
		return NULL;
	}
	while (sl.st != HC_IDLE && e2e_now() < end) {
		struct pollfd p = { .fd = sl.fd, .events = sl.events };

		if (poll(&p, 1, 100) < 0 && errno != EINTR)
			break;
		hc_step(h, &sl, false);
	}
	if (sl.st != HC_IDLE)
		hc_fail(h, &sl, "timeout");
	s = h->got_sess;
	h->got_sess = NULL;
	h->want_sess = false;
	return s;
}

SSL_CTX *e2e_client_ctx(const struct e2e_env *e)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL ||
	    !SSL_CTX_set_min_proto_version(ctx, e->o.tls13 ? TLS1_3_VERSION
							    : TLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, e->o.tls13 ? TLS1_3_VERSION
							    : TLS1_2_VERSION) ||
	    !(e->o.tls13 ? SSL_CTX_set_ciphersuites(ctx, e->o.suite)
			 : SSL_CTX_set_cipher_list(ctx, e->o.suite)) ||
	    !SSL_CTX_set1_groups_list(ctx, "X25519:P-256")) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	return ctx;
}

bool e2e_handshakes(struct e2e_env *e, pid_t srv, uint16_t port,
			   bool resumed, struct e2e_meas *m)
{
	struct hc h = { .port = port, .body = e->hs_size,
			.coalesce = e->o.coalesce };
	struct hc_slot *sl = calloc(e->o.conns, sizeof(*sl));
	struct pollfd *pf = calloc(e->o.conns, sizeof(*pf));
	uint64_t t0, t1;
	double w0, end;
	bool ok = false;

	if (sl == NULL || pf == NULL)
		goto out;
	h.ctx = e2e_client_ctx(e);
	if (h.ctx == NULL)
		goto out;
	h.req_len = (size_t)snprintf(h.req, sizeof(h.req),
				     "GET /%u HTTP/1.1\r\nHost: " E2E_HOST
				     "\r\nConnection: close\r\n\r\n",
				     e->hs_size);
	snprintf(m->command, sizeof(m->command),
		 "tlsgate-bench e2e client on CPU %s: %u connections, each "
		 "TLS 1.%c %s, %s, X25519%s, GET /%u Connection: close%s",
		 e->cli_list, e->o.conns, e->o.tls13 ? '3' : '2',
		 resumed ? "resumed" : "full",
		 e->o.suite, resumed ? ", session of a first handshake" : "",
		 e->hs_size, e->o.coalesce ? ", coalesced" : "");
	/* warm-up: one full handshake that must work (its session is the
	 * one to offer), then two of the kind measured, whose failures
	 * count below only if the measured ones fail too */
	h.sess = hc_one(&h, resumed);
	if (h.errors > 0 || (resumed && h.sess == NULL)) {
		fprintf(stderr, "%s e2e: handshake warm-up failed: %s\n",
			TG_BENCH_PROG, h.err[0] ? h.err : "no session");
		goto out;
	}
	for (int i = 0; i < 2; i++)
		SSL_SESSION_free(hc_one(&h, false));
	h.errors = 0;
	h.err[0] = '\0';
	for (unsigned i = 0; i < e->o.conns; i++)
		sl[i].fd = -1;
	t0 = e2e_cpu_start(e, srv);
	w0 = e2e_now();
	end = w0 + e->o.seconds;
	for (;;) {
		double now = e2e_now();
		unsigned live = 0;

		for (unsigned i = 0; i < e->o.conns; i++) {
			/* a stuck connection is an error, not a stall */
			if (sl[i].st != HC_IDLE && now - sl[i].t0 > E2E_CONN_S)
				hc_fail(&h, &sl[i], "no response within "
						    E2E_CONN_S_TEXT " s");
			if (sl[i].st == HC_IDLE && now < end) {
				if (!hc_start(&h, &sl[i]))
					hc_fail(&h, &sl[i], "start");
				else
					hc_step(&h, &sl[i], true);
			}
			pf[i].fd = sl[i].st == HC_IDLE ? -1 : sl[i].fd;
			pf[i].events = sl[i].events;
			pf[i].revents = 0;
			live += sl[i].st != HC_IDLE;
		}
		if (live == 0)
			break;
		if (now > end + E2E_CONN_S + 1.0) {
			for (unsigned i = 0; i < e->o.conns; i++)
				if (sl[i].st != HC_IDLE)
					hc_fail(&h, &sl[i], "timeout");
			break;
		}
		if (poll(pf, e->o.conns, 100) < 0 && errno != EINTR)
			break;
		for (unsigned i = 0; i < e->o.conns; i++)
			if (pf[i].revents != 0 && sl[i].st != HC_IDLE)
				hc_step(&h, &sl[i], true);
		if (h.errors > 1000 && h.done == 0)
			break;
	}
	m->wall_s = e2e_now() - w0;
	t1 = e2e_group_ticks(srv);
	e2e_group_threads(srv, &e->thr[1]);
	e2e_thread_text(&e->thr[0], &e->thr[1], m->threads,
			sizeof(m->threads));
	m->cpu_s = (double)(t1 - t0) / (double)e->clk_tck;
	m->reqs = h.done;
	m->resumed = h.resumed;
	m->errors = h.errors;
	if (h.errors > 0)
		fprintf(stderr, "%s e2e: %llu of %llu connections failed (%s)\n",
			TG_BENCH_PROG, (unsigned long long)h.errors,
			(unsigned long long)(h.errors + h.done), h.err);
	m->ok = h.done > 0 && m->cpu_s > 0;
	ok = true;
out:
	if (sl != NULL)
		for (unsigned i = 0; i < e->o.conns; i++)
			if (sl[i].st != HC_IDLE)
				hc_close(&sl[i]);
	SSL_SESSION_free(h.sess);
	SSL_CTX_free(h.ctx);
	free(sl);
	free(pf);
	return ok;
}

/* ---- openssl s_time -new ------------------------------------------------------- */

/*
 * Full handshakes as a user measures them with OpenSSL's own tool:
 * min(--conns, 16) `openssl s_time -new` processes on the client CPUs,
 * each a handshake after another (no request; close after it), for
 * --seconds; the handshakes they report, per server CPU-second.
 */
static bool e2e_stime(struct e2e_env *e, pid_t srv, uint16_t port,
		      struct e2e_meas *m)
{
	unsigned n = e->o.conns < E2E_STIME_MAX ? e->o.conns : E2E_STIME_MAX;
	pid_t kid[E2E_STIME_MAX];
	char log[E2E_STIME_MAX][PATH_MAX];
	struct e2e_argv a = { .n = 0 };
	uint64_t t0, t1, conns = 0;
	double deadline, real_max = 0;
	bool ok = true;
	size_t l;

	if (e->openssl[0] == '\0')
		return false;
	e2e_arg(&a, "%s", e->openssl);
	e2e_arg(&a, "s_time");
	e2e_arg(&a, "-connect");
	e2e_arg(&a, "127.0.0.1:%u", (unsigned)port);
	e2e_arg(&a, "-new");
	e2e_arg(&a, "-time");
	e2e_arg(&a, "%.0f", ceil(e->o.seconds));
	if (e->o.tls13) {
		e2e_arg(&a, "-tls1_3");
		e2e_arg(&a, "-ciphersuites");
	} else {
		e2e_arg(&a, "-cipher");
	}
	e2e_arg(&a, "%s", e->o.suite);
	e2e_cmdline(a.v, e->cli_list, m->command, sizeof(m->command));
	l = strlen(m->command);
	snprintf(m->command + l, sizeof(m->command) - l, "  (%u of them)", n);
	if (e->o.verbose)
		fprintf(stderr, "client: %s\n", m->command);
	t0 = e2e_cpu_start(e, srv);
	for (unsigned i = 0; i < n; i++) {
		snprintf(log[i], sizeof(log[i]), "%s/stime-%u.log", e->dir, i);
		(void)unlink(log[i]);
		kid[i] = e2e_spawn(a.v, &e->cli_cpus, log[i], -1);
		ok = ok && kid[i] > 0;
	}
	deadline = e2e_now() + e->o.seconds + E2E_SLACK_S;
	for (unsigned i = 0; i < n; i++) {
		int st;

		while (kid[i] > 0 && waitpid(kid[i], &st, WNOHANG) == 0) {
			if (e2e_now() > deadline) {
				fprintf(stderr, "%s e2e: s_time did not finish in time\n",
					TG_BENCH_PROG);
				e2e_kill(kid[i]);
				ok = false;
				break;
			}
			usleep(20 * 1000);
		}
	}
	t1 = e2e_group_ticks(srv);
	e2e_group_threads(srv, &e->thr[1]);
	e2e_thread_text(&e->thr[0], &e->thr[1], m->threads, sizeof(m->threads));
	for (unsigned i = 0; i < n; i++) {
		char line[256];
		FILE *f = fopen(log[i], "r");
		bool got = false;

		while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
			unsigned long long c;
			double real;

			/* "N connections in T real seconds, ..." */
			if (sscanf(line, "%llu connections in %lf real seconds", &c,
				   &real) == 2) {
				conns += c;
				if (real > real_max)
					real_max = real;
				got = true;
			}
		}
		if (f != NULL)
			fclose(f);
		if (!got) {
			fprintf(stderr, "%s e2e: s_time %u printed no total:\n",
				TG_BENCH_PROG, i);
			e2e_tail(log[i]);
			m->errors++;
		}
	}
	m->wall_s = real_max;
	m->cpu_s = (double)(t1 - t0) / (double)e->clk_tck;
	m->reqs = conns;
	m->ok = ok && conns > 0 && m->cpu_s > 0;
	return ok;
}

/* ---- one server ---------------------------------------------------------------- */

/** Add round @p round's measurement @p m to the run's total @p d. */
static void e2e_meas_add(struct e2e_meas *d, const struct e2e_meas *m,
			 unsigned round)
{
	if (round == 0) {
		*d = *m;
		return;
	}
	d->ok = d->ok && m->ok;
	d->skipped = d->skipped || m->skipped;
	d->wall_s += m->wall_s;
	d->cpu_s += m->cpu_s;
	d->reqs += m->reqs;
	d->bytes += m->bytes;
	d->resumed += m->resumed;
	d->errors += m->errors;
	memcpy(d->threads, m->threads, sizeof(d->threads)); /* the last */
}

static void e2e_run_server(struct e2e_env *e, enum e2e_srv s, unsigned round,
			   struct tg_progress *prog)
{
	struct e2e_meas m;
	char cmd[512];
	uint16_t port = e2e_free_port();
	pid_t pid = -1;
	int moved = 0;

	if (port != 0)
		pid = e2e_start_server(e, s, port, cmd, sizeof(cmd));
	if (pid > 0) {
		moved = e2e_group_pin(pid, &e->srv_cpus);
		if (moved < 0) {
			fprintf(stderr, "%s e2e: %s: cannot keep its threads on CPU %s: %s\n",
				TG_BENCH_PROG, srv_name[s], e->o.core,
				strerror(errno));
			e2e_kill(pid);
			pid = -1;
		}
	}
	if (pid <= 0) {
		memset(&m, 0, sizeof(m));
		m.skipped = true;
		for (unsigned i = 0; i < e->o.nsizes; i++)
			e2e_meas_add(&e->get[s][i], &m, round);
		for (int k = 0; k < 3; k++)
			e2e_meas_add(&e->hs[s][k], &m, round);
		return;
	}
	if ((!e->o.json || e->o.verbose) && round == 0)
		fprintf(stderr, "%s: %s\n", srv_name[s], cmd);
	if (moved > 0 && round == 0 && (!e->o.json || e->o.verbose))
		fprintf(stderr, "%s: %d thread(s) had set their own CPU affinity "
			"outside CPU %s; put back on it\n", srv_name[s], moved,
			e->o.core);
	for (unsigned i = 0; i < e->o.nsizes; i++) {
		char sz[32];

		e2e_size_text(e->o.sizes[i], sz, sizeof(sz));
		tg_progress_step(prog, "%s: GET %s keep-alive", srv_name[s], sz);
		memset(&m, 0, sizeof(m));
		if (!e2e_wrk(e, pid, port, e->o.sizes[i], &m))
			m.ok = false;
		e2e_meas_add(&e->get[s][i], &m, round);
	}
	for (int k = 0; k < 2; k++) {
		tg_progress_step(prog, "%s: %s handshakes", srv_name[s],
				 k ? "resumed" : "full");
		memset(&m, 0, sizeof(m));
		if (!e2e_handshakes(e, pid, port, k == 1, &m))
			m.ok = false;
		e2e_meas_add(&e->hs[s][k], &m, round);
	}
	tg_progress_step(prog, "%s: openssl s_time -new", srv_name[s]);
	memset(&m, 0, sizeof(m));
	if (!e2e_stime(e, pid, port, &m))
		m.ok = false;
	e2e_meas_add(&e->hs[s][2], &m, round);
	e2e_kill(pid);
}

/* ---- output ------------------------------------------------------------------------ */

/** Work per server CPU-second of @p m (bytes for bulk, else count). */
static double e2e_per_cpu(const struct e2e_meas *m, bool bytes)
{
	if (!m->ok || m->cpu_s <= 0)
		return NAN;
	return (bytes ? (double)m->bytes : (double)m->reqs) / m->cpu_s;
}

static double e2e_per_wall(const struct e2e_meas *m, bool bytes)
{
	if (!m->ok || m->wall_s <= 0)
		return NAN;
	return (bytes ? (double)m->bytes : (double)m->reqs) / m->wall_s;
}

static bool e2e_is_bulk(uint32_t size)
{
	return size >= 1024 * 1024;
}

static bool e2e_is_small(uint32_t size)
{
	return size <= 16 * 1024;
}

/** A row of the table: its label, the measurement per server. */
struct e2e_row {
	char test[32];
	const struct e2e_meas *m[SRV__N];
	bool bytes;      /**< figure is bytes (shown in MiB) */
	double want;     /**< target ratio, 0 = none */
	bool is_hs;
};

static unsigned e2e_rows(const struct e2e_env *e, struct e2e_row *rows)
{
	unsigned n = 0;

	for (unsigned i = 0; i < e->o.nsizes; i++) {
		uint32_t sz = e->o.sizes[i];
		char t[24];

		e2e_size_text(sz, t, sizeof(t));
		memset(&rows[n], 0, sizeof(rows[n]));
		snprintf(rows[n].test, sizeof(rows[n].test), "get %s", t);
		rows[n].bytes = !e2e_is_small(sz);
		rows[n].want = e2e_is_bulk(sz) ? 1.3 : e2e_is_small(sz) ? 1.0 : 0;
		for (int s = 0; s < SRV__N; s++)
			rows[n].m[s] = &e->get[s][i];
		n++;
	}
	for (int k = 0; k < 3; k++) {
		memset(&rows[n], 0, sizeof(rows[n]));
		snprintf(rows[n].test, sizeof(rows[n].test), "%s",
			 k == 2 ? "s_time -new" : k ? "resumed hs" : "full hs");
		/* issue 16: full handshakes of OpenSSL's own tool, 1.3x */
		rows[n].want = k == 2 ? 1.3 : k ? 0 : 1.0;
		rows[n].is_hs = true;
		for (int s = 0; s < SRV__N; s++)
			rows[n].m[s] = &e->hs[s][k];
		n++;
	}
	return n;
}

void e2e_fmt(double v, bool bytes, char *out, size_t n)
{
	if (!isfinite(v))
		snprintf(out, n, "-");
	else if (bytes)
		snprintf(out, n, "%.1f", v / (1024.0 * 1024.0));
	else
		snprintf(out, n, "%.0f", v);
}

static void e2e_print_table(const struct e2e_env *e)
{
	struct e2e_row rows[E2E_MAX_SIZES + 3];
	unsigned n = e2e_rows(e, rows);
	char a[SRV__N][24], r1[24], r2[24];
	unsigned met = 0, missed = 0;

	printf("\ntlsgate-bench e2e: TLS 1.%c %s, ECDSA P-256, %u worker%s on "
	       "CPU %s; client and nginx on CPU %s; %u connections, %.3g s "
	       "per run, %u round%s%s\n",
	       e->o.tls13 ? '3' : '2', e->o.suite, e->o.workers, e->o.workers > 1 ? "s" : "", e->o.core,
	       e->cli_list, e->o.conns, e->o.seconds, e->o.rounds,
	       e->o.rounds > 1 ? "s" : "",
	       e->o.coalesce ? "; handshake client --coalesce" : "");
	printf("(per CPU-s = per second of the server's own CPU time; MiB = "
	       "2^20 bytes of HTTP response)\n\n");
	printf("%-16s %-14s %12s %12s %12s %10s %10s\n", "test", "unit",
	       "tlsgate", "hitch", "haproxy", "tg/haprx", "tg/hitch");
	for (unsigned i = 0; i < n; i++) {
		const struct e2e_row *r = &rows[i];
		const char *unit_cpu = r->bytes ? "MiB/CPU-s"
					: r->is_hs ? "hs/CPU-s" : "req/CPU-s";
		const char *unit_wall = r->bytes ? "MiB/s"
					 : r->is_hs ? "hs/s" : "req/s";
		double v[SRV__N], w[SRV__N];

		for (int s = 0; s < SRV__N; s++) {
			v[s] = e2e_per_cpu(r->m[s], r->bytes);
			w[s] = e2e_per_wall(r->m[s], r->bytes);
		}
		for (int s = 0; s < SRV__N; s++)
			e2e_fmt(v[s], r->bytes, a[s], sizeof(a[s]));
		snprintf(r1, sizeof(r1), isfinite(v[0] / v[2]) ? "%.2fx" : "-",
			 v[0] / v[2]);
		snprintf(r2, sizeof(r2), isfinite(v[0] / v[1]) ? "%.2fx" : "-",
			 v[0] / v[1]);
		printf("%-16s %-14s %12s %12s %12s %10s %10s\n", r->test,
		       unit_cpu, a[0], a[1], a[2], r1, r2);
		if (!r->bytes && !r->is_hs) {
			/* small bodies: bytes per CPU-s too, for the plot */
			for (int s = 0; s < SRV__N; s++)
				e2e_fmt(e2e_per_cpu(r->m[s], true), true, a[s],
					sizeof(a[s]));
			printf("%-16s %-14s %12s %12s %12s\n", "", "MiB/CPU-s",
			       a[0], a[1], a[2]);
		}
		if (r->bytes) {
			for (int s = 0; s < SRV__N; s++)
				e2e_fmt(e2e_per_cpu(r->m[s], false), false, a[s],
					sizeof(a[s]));
			printf("%-16s %-14s %12s %12s %12s\n", "", "req/CPU-s",
			       a[0], a[1], a[2]);
		}
		for (int s = 0; s < SRV__N; s++)
			e2e_fmt(w[s], r->bytes, a[s], sizeof(a[s]));
		printf("%-16s %-14s %12s %12s %12s\n", "", unit_wall, a[0], a[1],
		       a[2]);
		for (int s = 0; s < SRV__N; s++) {
			const struct e2e_meas *m = r->m[s];

			if (m->ok && m->wall_s > 0)
				snprintf(a[s], sizeof(a[s]), "%.0f%%",
					 100.0 * m->cpu_s / m->wall_s);
			else
				snprintf(a[s], sizeof(a[s]), "-");
		}
		printf("%-16s %-14s %12s %12s %12s\n", "", "server CPU", a[0],
		       a[1], a[2]);
		if (r->m[0]->errors || r->m[1]->errors || r->m[2]->errors) {
			for (int s = 0; s < SRV__N; s++)
				snprintf(a[s], sizeof(a[s]), "%llu",
					 (unsigned long long)r->m[s]->errors);
			printf("%-16s %-14s %12s %12s %12s\n", "",
			       r->is_hs ? "FAILED conns" : "FAILED reqs", a[0],
			       a[1], a[2]);
		}
		if (r->is_hs) {
			for (int s = 0; s < SRV__N; s++) {
				const struct e2e_meas *m = r->m[s];

				if (m->ok && m->reqs > 0)
					snprintf(a[s], sizeof(a[s]), "%.0f%%",
						 100.0 * (double)m->resumed /
							 (double)m->reqs);
				else
					snprintf(a[s], sizeof(a[s]), "-");
			}
			printf("%-16s %-14s %12s %12s %12s\n", "", "resumed",
			       a[0], a[1], a[2]);
		}
	}
	printf("\ntargets (tlsgate per server CPU-second vs each peer):\n");
	for (unsigned i = 0; i < n; i++) {
		const struct e2e_row *r = &rows[i];
		double tg = e2e_per_cpu(r->m[0], r->bytes);

		if (r->want <= 0)
			continue;
		for (int s = SRV_HAPROXY; s >= SRV_HITCH; s--) {
			double p = e2e_per_cpu(r->m[s], r->bytes);
			double q = tg / p;

			if (!isfinite(q)) {
				printf("  %-12s vs %-8s >= %.1fx: not measured\n",
				       r->test, srv_name[s], r->want);
				continue;
			}
			printf("  %-12s vs %-8s >= %.1fx: %5.2fx  %s\n", r->test,
			       srv_name[s], r->want, q,
			       q >= r->want ? "met" : "NOT MET");
			if (q >= r->want)
				met++;
			else
				missed++;
		}
	}
	printf("  %u met, %u not met\n", met, missed);
	printf("\nserver CPU by thread (share of the server's CPU time in the "
	       "run):\n");
	for (unsigned i = 0; i < n; i++)
		for (int s = 0; s < SRV__N; s++)
			if (rows[i].m[s]->ok && rows[i].m[s]->threads[0])
				printf("  %-12s %-8s %s\n", rows[i].test,
				       srv_name[s], rows[i].m[s]->threads);
}

static void e2e_print_json(const struct e2e_env *e)
{
	struct e2e_row rows[E2E_MAX_SIZES + 3];
	unsigned n = e2e_rows(e, rows);
	struct tg_json j;

	tg_json_array_begin(&j, stdout);
	for (unsigned i = 0; i < n; i++) {
		const struct e2e_row *r = &rows[i];
		uint32_t size = i < e->o.nsizes ? e->o.sizes[i] : e->hs_size;
		const char *test = i < e->o.nsizes ? "get"
				   : i == e->o.nsizes ? "full_handshake"
				   : i == e->o.nsizes + 1 ? "resumed_handshake"
							  : "s_time_new";

		for (int s = 0; s < SRV__N; s++) {
			const struct e2e_meas *m = r->m[s];

			if (!e->o.srv[s] || !e->have[s])
				continue;
			tg_json_obj_begin(&j);
			tg_json_str(&j, "type", "measurement");
			tg_json_str(&j, "buildtype", tg_bench_buildtype());
			tg_json_str(&j, "server", srv_name[s]);
			tg_json_str(&j, "test", test);
			tg_json_uint(&j, "size", size);
			tg_json_str(&j, "suite", e->o.suite);
			tg_json_str(&j, "tls", e->o.tls13 ? "1.3" : "1.2");
			tg_json_uint(&j, "workers", e->o.workers);
			tg_json_uint(&j, "conns", e->o.conns);
			tg_json_uint(&j, "rounds", e->o.rounds);
			tg_json_bool(&j, "coalesce", e->o.coalesce);
			tg_json_str(&j, "server_cpus", e->o.core);
			tg_json_str(&j, "client_cpus", e->cli_list);
			tg_json_bool(&j, "ok", m->ok);
			tg_json_num(&j, "wall_s", m->wall_s);
			tg_json_num(&j, "server_cpu_s", m->cpu_s);
			if (r->is_hs) {
				tg_json_uint(&j, "handshakes", m->reqs);
				tg_json_uint(&j, "resumed", m->resumed);
				tg_json_num(&j, "handshakes_per_cpu_s",
					    e2e_per_cpu(m, false));
				tg_json_num(&j, "handshakes_per_s",
					    e2e_per_wall(m, false));
			} else {
				tg_json_uint(&j, "requests", m->reqs);
				tg_json_uint(&j, "bytes", m->bytes);
				tg_json_num(&j, "bytes_per_cpu_s",
					    e2e_per_cpu(m, true));
				tg_json_num(&j, "requests_per_cpu_s",
					    e2e_per_cpu(m, false));
				tg_json_num(&j, "bytes_per_s",
					    e2e_per_wall(m, true));
				tg_json_num(&j, "requests_per_s",
					    e2e_per_wall(m, false));
			}
			tg_json_uint(&j, "errors", m->errors);
			tg_json_str(&j, "cpu_by_thread", m->threads);
			tg_json_str(&j, "command", m->command);
			tg_json_obj_end(&j);
		}
		for (int s = SRV_HITCH; s <= SRV_HAPROXY; s++) {
			double q = e2e_per_cpu(r->m[0], r->bytes) /
				   e2e_per_cpu(r->m[s], r->bytes);

			if (!isfinite(q))
				continue;
			tg_json_obj_begin(&j);
			tg_json_str(&j, "type", "ratio");
			tg_json_str(&j, "test", test);
			tg_json_uint(&j, "size", size);
			tg_json_str(&j, "metric", r->bytes ? "bytes_per_cpu_s"
					: r->is_hs ? "handshakes_per_cpu_s"
						   : "requests_per_cpu_s");
			tg_json_str(&j, "num", "tlsgate");
			tg_json_str(&j, "den", srv_name[s]);
			tg_json_num(&j, "value", q);
			tg_json_obj_end(&j);
			if (r->want > 0) {
				tg_json_obj_begin(&j);
				tg_json_str(&j, "type", "target");
				tg_json_str(&j, "test", test);
				tg_json_uint(&j, "size", size);
				tg_json_str(&j, "vs", srv_name[s]);
				tg_json_num(&j, "want", r->want);
				tg_json_num(&j, "value", q);
				tg_json_bool(&j, "met", q >= r->want);
				tg_json_obj_end(&j);
			}
		}
	}
	tg_json_array_end(&j);
}

bool e2e_plot_lines(const struct e2e_env *e, const char *title,
		    const char *xlabel, const char *ylabel, unsigned nser,
		    const char *const *names,
		    const double val[][E2E_MAX_SIZES])
{
	char dat[128], gp[128], gnuplot[PATH_MAX], log[128], tics[512];
	char plot[1024];
	size_t tl = 0, pl = 0;
	char *argv[] = { gnuplot, gp, NULL };
	FILE *f;
	bool any = false;
	pid_t pid;
	int st = 0;

	if (!tg_peer_find("gnuplot", gnuplot, sizeof(gnuplot))) {
		fprintf(stderr,
			"%s e2e: --plot: gnuplot not found (bash "
			"scripts/setup-bench.sh installs gnuplot-nox); no plot\n",
			TG_BENCH_PROG);
		return false;
	}
	snprintf(dat, sizeof(dat), "%s/plot.dat", e->dir);
	snprintf(gp, sizeof(gp), "%s/plot.gp", e->dir);
	snprintf(log, sizeof(log), "%s/gnuplot.log", e->dir);
	f = fopen(dat, "w");
	if (f == NULL)
		return false;
	fprintf(f, "# size, then one column per line: %s\n", ylabel);
	for (unsigned i = 0; i < e->o.nsizes; i++) {
		fprintf(f, "%u", e->o.sizes[i]);
		for (unsigned s = 0; s < nser; s++) {
			if (isfinite(val[s][i])) {
				fprintf(f, " %.6g", val[s][i]);
				any = true;
			} else {
				fprintf(f, " NaN");
			}
		}
		fputc('\n', f);
	}
	fclose(f);
	if (!any)
		return false;
	/* x tics at the measured sizes, named like --sizes */
	tics[0] = '\0';
	for (unsigned i = 0; i < e->o.nsizes && tl < sizeof(tics); i++) {
		char t[24];
		int k;

		e2e_size_text(e->o.sizes[i], t, sizeof(t));
		k = snprintf(tics + tl, sizeof(tics) - tl, "%s\"%s\" %u",
			     i ? ", " : "", t, e->o.sizes[i]);
		if (k < 0)
			break;
		tl += (size_t)k;
	}
	plot[0] = '\0';
	for (unsigned s = 0; s < nser && pl < sizeof(plot); s++) {
		int k = snprintf(plot + pl, sizeof(plot) - pl,
				 "%s'%s' using 1:%u with linespoints lw 2 "
				 "title '%s'", s ? ", " : "", s ? "" : dat,
				 s + 2, names[s]);

		if (k < 0)
			break;
		pl += (size_t)k;
	}
	if (!e2e_write_file(
		    gp,
		    "set terminal png size 900,600\n"
		    "set output '%s'\n"
		    "set title '%s'\n"
		    "set logscale x 2\n"
		    "set xtics (%s)\n"
		    "set yrange [0:*]\n"
		    "set xlabel '%s'\n"
		    "set ylabel '%s'\n"
		    "set key top left\n"
		    "set grid\n"
		    "set datafile missing 'NaN'\n"
		    "plot %s\n",
		    e->o.plot, title, tics, xlabel, ylabel, plot))
		return false;
	pid = e2e_spawn(argv, &e->cli_cpus, log, -1);
	if (pid <= 0)
		return false;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	for (int i = 0; i < E2E_MAX_KIDS; i++)
		if (e2e_kids[i] == pid)
			e2e_kids[i] = 0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "%s e2e: gnuplot failed\n", TG_BENCH_PROG);
		e2e_tail(log);
		return false;
	}
	if (!e->o.json)
		printf("plot: %s\n", e->o.plot);
	return true;
}

/* bytes per server CPU-second against body size, a line per server */
static bool e2e_plot(const struct e2e_env *e)
{
	static double val[SRV__N][E2E_MAX_SIZES];
	char title[160];

	for (int s = 0; s < SRV__N; s++)
		for (unsigned i = 0; i < e->o.nsizes; i++)
			val[s][i] = e2e_per_cpu(&e->get[s][i], true) /
				    (1024.0 * 1024.0);
	snprintf(title, sizeof(title),
		 "TLS %s %s, %u worker(s): throughput per server CPU-second",
		 e->o.tls13 ? "1.3" : "1.2", e->o.suite, e->o.workers);
	return e2e_plot_lines(e, title, "body size (bytes), keep-alive GET",
			      "MiB per server CPU-second", SRV__N, srv_name,
			      (const double (*)[E2E_MAX_SIZES])val);
}

/* ---- the command --------------------------------------------------------------- */

static int e2e_run(int argc, char **argv)
{
	static struct e2e_env env;
	struct e2e_env *e = &env;
	static const char *const pkg[SRV__N] = { NULL, "hitch", "haproxy" };
	struct sigaction sa;
	struct tg_progress prog;
	unsigned nsrv = 0;
	int rc = TG_BENCH_EXIT_FAIL;

	memset(e, 0, sizeof(*e));
	e2e_parse(argc, argv, &e->o);
	e->clk_tck = sysconf(_SC_CLK_TCK);
	if (e->clk_tck <= 0)
		e->clk_tck = 100;
	e->hs_size = e->o.sizes[0];
	for (unsigned i = 1; i < e->o.nsizes; i++)
		if (e->o.sizes[i] < e->hs_size)
			e->hs_size = e->o.sizes[i];
	if (!e2e_cpus(e))
		return TG_BENCH_EXIT_USAGE;
	if (e->o.srv[SRV_TLSGATE] && e->o.workers > e->n_srv_cpus)
		tg_bench_usage_error(E2E_CMD,
				     "--workers %u: tlsgate runs one worker per "
				     "CPU, and --core %s has %u",
				     e->o.workers, e->o.core, e->n_srv_cpus);

	/* the programs (--transport dpdk: its own backends and clients) */
	if (!e->o.dpdk && !tg_peer_find("nginx", e->nginx_bin, sizeof(e->nginx_bin)) &&
	    !tg_peer_find("/usr/sbin/nginx", e->nginx_bin, sizeof(e->nginx_bin))) {
		fprintf(stderr, "%s e2e: nginx (the backend) not found: run "
				"bash scripts/setup-bench.sh (apt-get install "
				"nginx)\n",
			TG_BENCH_PROG);
		return TG_BENCH_EXIT_FAIL;
	}
	if (!e->o.dpdk && !tg_peer_find("openssl", e->openssl, sizeof(e->openssl))) {
		fprintf(stderr, "%s e2e: openssl (s_time) not found: the s_time "
				"test fails (apt-get install openssl)\n",
			TG_BENCH_PROG);
		e->openssl[0] = '\0';
	}
	if (!e->o.dpdk && !tg_peer_find("wrk", e->wrk, sizeof(e->wrk))) {
		fprintf(stderr, "%s e2e: wrk (the client) not found: run "
				"bash scripts/setup-bench.sh (apt-get install "
				"wrk)\n",
			TG_BENCH_PROG);
		return TG_BENCH_EXIT_FAIL;
	}
	for (int s = 0; s < SRV__N; s++) {
		char sbin[64];

		if (!e->o.srv[s])
			continue;
		snprintf(sbin, sizeof(sbin), "/usr/sbin/%s", srv_name[s]);
		e->have[s] = tg_peer_find(s == SRV_TLSGATE ? e->o.tlsgate
							   : srv_name[s],
					  e->srv_bin[s], sizeof(e->srv_bin[s])) ||
			     (s != SRV_TLSGATE &&
			      tg_peer_find(sbin, e->srv_bin[s],
					   sizeof(e->srv_bin[s])));
		if (!e->have[s]) {
			if (s == SRV_TLSGATE)
				fprintf(stderr, "%s e2e: tlsgate not found at "
						"'%s' (build it: ninja -C build,"
						" or --tlsgate PATH); skipped\n",
					TG_BENCH_PROG, e->o.tlsgate);
			else
				fprintf(stderr, "%s e2e: %s not found: install it "
						"with bash scripts/setup-bench.sh "
						"(apt-get install %s); skipped\n",
					TG_BENCH_PROG, srv_name[s], pkg[s]);
			continue;
		}
		nsrv++;
	}
	if (nsrv == 0 && !e->o.dpdk) {
		fprintf(stderr, "%s e2e: no server to measure\n", TG_BENCH_PROG);
		return TG_BENCH_EXIT_FAIL;
	}

	/* cleanup on any exit */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = e2e_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	atexit(e2e_cleanup);
	e2e_keep_dir = e->o.keep;

	snprintf(e->dir, sizeof(e->dir), "/tmp/tlsgate-e2e.XXXXXX");
	if (mkdtemp(e->dir) == NULL) {
		fprintf(stderr, "%s e2e: mkdtemp: %s\n", TG_BENCH_PROG,
			strerror(errno));
		return TG_BENCH_EXIT_FAIL;
	}
	_Static_assert(sizeof(e2e_tmpdir) == sizeof(e->dir), "same size");
	memcpy(e2e_tmpdir, e->dir, sizeof(e2e_tmpdir));
	chmod(e->dir, 0755);
	if (e->o.keep)
		fprintf(stderr, "%s e2e: files in %s (kept)\n", TG_BENCH_PROG,
			e->dir);
	/* the client (our handshake loop) runs on the client CPUs */
	(void)sched_setaffinity(0, sizeof(e->cli_cpus), &e->cli_cpus);

	if (!e2e_make_cert(e)) {
		fprintf(stderr, "%s e2e: cannot make the certificate\n",
			TG_BENCH_PROG);
		goto out;
	}
	if (e->o.dpdk) {
		rc = e2e_dpdk_run(e);
		goto out;
	}
	if (!e2e_start_nginx(e))
		goto out;

	/* the build of tlsgate-bench; tlsgate is the one of the same
	 * build directory unless --tlsgate names another */
	tg_bench_print_build(e->o.json ? stderr : stdout);
	tg_progress_init(&prog, !e->o.json || e->o.verbose,
			 e->o.rounds * nsrv * (e->o.nsizes + 3));
	/* rounds alternate the order of the servers, so that a drift of
	 * the machine's load touches them alike */
	for (unsigned r = 0; r < e->o.rounds; r++)
		for (int k = 0; k < SRV__N; k++) {
			int s = r % 2 ? SRV__N - 1 - k : k;

			if (e->o.srv[s] && e->have[s])
				e2e_run_server(e, (enum e2e_srv)s, r, &prog);
		}
	e2e_kill(e->nginx);
	e->nginx = 0;

	if (e->o.json)
		e2e_print_json(e);
	else
		e2e_print_table(e);
	if (e->o.plot != NULL)
		(void)e2e_plot(e);
	rc = 0;
	for (int s = 0; s < SRV__N; s++) {
		if (!e->o.srv[s] || !e->have[s])
			continue;
		for (unsigned i = 0; i < e->o.nsizes; i++)
			if (!e->get[s][i].ok || e->get[s][i].errors)
				rc = TG_BENCH_EXIT_FAIL;
		for (int k = 0; k < 3; k++)
			if (!e->hs[s][k].ok || e->hs[s][k].errors)
				rc = TG_BENCH_EXIT_FAIL;
	}
	if (rc != 0)
		fprintf(stderr, "%s e2e: some measurements failed or had failed "
				"connections (see above)\n",
			TG_BENCH_PROG);
out:
	e2e_cleanup();
	return rc;
}

const struct tg_bench_cmd tg_bench_cmd_e2e = {
	.name = "e2e",
	.summary = "tlsgate vs hitch vs HAProxy end to end, per server CPU-s",
	.run = e2e_run,
	.usage = e2e_usage,
};
