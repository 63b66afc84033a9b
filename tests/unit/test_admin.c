/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The admin listener (app/admin.c): the /metrics text rendered from
 * fabricated counters, the HTTP server over a real socket, and the
 * `tlsgate stats` client against it and against a closed port.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tg_accel.h"
#include "tg_admin.h"
#include "tg_alert.h"
#include "tg_backend.h"
#include "tg_config.h"
#include "tg_result.h"
#include "tg_test.h"

#define BODY_CAP (1u << 20)

static struct tg_wk_stats g_st[2];
static struct tg_accel *g_acc;
static struct tg_backends *g_be;
static struct tg_backends_cur g_be_cur; /* holds its own reference */
static struct tg_admin_src g_src;
static char g_accel_name[2][64]; /* names of the engine's backends */
static unsigned g_nacc;

/* ---- helpers ---------------------------------------------------------------- */

static void set_addr(struct tg_addr *a, const char *ip, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->text, sizeof(a->text), strchr(ip, ':') ? "[%s]:%u" : "%s:%u",
		 ip, port);
	if (strchr(ip, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->sa;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		inet_pton(AF_INET6, ip, &s6->sin6_addr);
		a->salen = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&a->sa;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		inet_pton(AF_INET, ip, &s4->sin_addr);
		a->salen = sizeof(*s4);
	}
}

/* True when @p text has @p line as a whole line. */
static int has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return 1;
	return 0;
}

/* Count the lines of @p text that equal @p line. */
static unsigned count_lines(const char *text, const char *line)
{
	size_t n = strlen(line);
	unsigned c = 0;

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			c++;
	return c;
}

static char *render(void)
{
	char *buf = malloc(BODY_CAP);
	size_t len = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	TG_ASSERT_OK(tg_admin_render(&g_src, buf, BODY_CAP, &len));
	CU_ASSERT_EQUAL(strlen(buf), len);
	return buf;
}

/* Plain HTTP/1.0 request; returns the whole response (malloc'd) or NULL. */
static char *http(uint16_t port, const char *method, const char *path)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	char req[256];
	size_t cap = 1 << 16, n = 0;
	char *buf;
	int fd;

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return NULL;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return NULL;
	}
	snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: x\r\n\r\n", method,
		 path);
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		close(fd);
		return NULL;
	}
	buf = malloc(cap);
	for (;;) {
		ssize_t k;

		if (buf == NULL)
			break;
		if (n + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);

			if (nb == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		k = recv(fd, buf + n, cap - n - 1, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	if (buf != NULL)
		buf[n] = '\0';
	return buf;
}

static int status_of(const char *resp)
{
	const char *sp = resp ? strchr(resp, ' ') : NULL;

	return sp ? atoi(sp + 1) : -1;
}

static const char *body_of(const char *resp)
{
	const char *b = strstr(resp, "\r\n\r\n");

	return b ? b + 4 : "";
}

/* ---- suite set-up -------------------------------------------------------------- */

static int admin_init(void)
{
	struct tg_accel_conf conf = { .backends = "ipsecmb,evp",
				      .no_calibrate = true };
	struct tg_config *cfg = calloc(1, sizeof(*cfg));

	if (cfg == NULL)
		return 1;
	if (tg_failed(tg_accel_create(&conf, &g_acc))) {
		conf.backends = "evp";
		if (tg_failed(tg_accel_create(&conf, &g_acc)))
			return 1;
	}
	g_nacc = tg_accel_backend_count(g_acc);
	if (g_nacc == 0 || g_nacc > 2)
		return 1;
	for (unsigned b = 0; b < g_nacc; b++)
		snprintf(g_accel_name[b], sizeof(g_accel_name[b]), "%s",
			 tg_accel_backend_name(g_acc, b));
	printf("\naccel backends: %u (%s%s%s)\n", g_nacc, g_accel_name[0],
	       g_nacc > 1 ? "," : "", g_accel_name[1]);

	/* Two pools: default (two backends), api (one, IPv6). */
	cfg->backends.n_pools = 2;
	snprintf(cfg->backends.pools[0].name, sizeof(cfg->backends.pools[0].name), "default");
	set_addr(&cfg->backends.pools[0].be[0], "127.0.0.1", 8080);
	set_addr(&cfg->backends.pools[0].be[1], "127.0.0.1", 8081);
	cfg->backends.pools[0].n_be = 2;
	snprintf(cfg->backends.pools[1].name, sizeof(cfg->backends.pools[1].name), "api\"x");
	set_addr(&cfg->backends.pools[1].be[0], "::1", 9000);
	cfg->backends.pools[1].n_be = 1;
	if (tg_failed(tg_backends_new(&cfg->backends, &g_be))) {
		free(cfg);
		return 1;
	}
	free(cfg);
	atomic_store(&g_be->pools[0].be[1].up, false);
	atomic_store(&g_be->pools[0].be[0].conns, 3);
	atomic_store(&g_be->pools[0].be[1].failures, 5);
	tg_backends_cur_init(&g_be_cur, tg_backends_ref(g_be));

	/* Worker 0 */
	g_st[0].conns_accepted = 11;
	g_st[0].conns_active = 2;
	g_st[0].hs_full = 6;
	g_st[0].hs_resumed = 3;
	g_st[0].hs_failed = 4;
	g_st[0].hs_failed_alert[40] = 2; /* handshake_failure */
	g_st[0].hs_failed_alert[48] = 1; /* unknown_ca */
	g_st[0].records_sealed[0] = 100;
	g_st[0].records_opened[0] = 90;
	g_st[0].bytes_sealed[0] = 100000;
	g_st[0].bytes_from_client = 2500000000ull;
	g_st[0].bytes_to_client = 500000000ull;
	/* bursts: 2 of 1, 3 of 2-3, 1 of 64 */
	g_st[0].burst_hist[0] = 2;
	g_st[0].burst_hist[1] = 3;
	g_st[0].burst_hist[6] = 1;
	/* Worker 1 */
	g_st[1].conns_accepted = 7;
	g_st[1].conns_refused = 1;
	g_st[1].conns_closed = 7;
	g_st[1].hs_full = 5;
	g_st[1].hs_failed = 1;
	g_st[1].hs_failed_alert[40] = 1;
	g_st[1].records_sealed[1] = 42;
	g_st[1].records_opened[1] = 41;
	g_st[1].bytes_opened[1] = 4100;
	g_st[1].record_errors = 2;
	g_st[1].burst_hist[5] = 4; /* 32-63 */
	g_st[1].ring_to_ctl = 17;
	g_st[1].ring_from_ctl = 3;
	g_st[1].ring_full = 9;
	g_st[1].accel_inflight = 17;
	g_st[0].accel_queue_full = 4;
	g_st[1].backend_connect_errors = 5;
	g_st[1].bytes_to_backend = 123;

	g_src = (struct tg_admin_src){
		.n_workers = 2,
		.stats = g_st,
		.acc = g_acc,
		.ctl = NULL,
		.backends = &g_be_cur,
	};
	clock_gettime(CLOCK_MONOTONIC, &g_src.start);
	g_src.start.tv_sec -= 3700;
	return 0;
}

static int admin_cleanup(void)
{
	tg_backends_cur_fini(&g_be_cur);
	tg_backends_unref(g_be);
	tg_accel_destroy(g_acc);
	return 0;
}

/* ---- render ------------------------------------------------------------------ */

static void test_render_workers(void)
{
	char *b = render();
	char line[256];

	CU_ASSERT(has_line(b, "tlsgate_connections_accepted_total{worker=\"0\"} 11"));
	CU_ASSERT(has_line(b, "tlsgate_connections_accepted_total{worker=\"1\"} 7"));
	CU_ASSERT(has_line(b, "tlsgate_connections_active{worker=\"0\"} 2"));
	CU_ASSERT(has_line(b, "tlsgate_connections_refused_total{worker=\"1\"} 1"));
	CU_ASSERT(has_line(b, "tlsgate_connections_closed_total{worker=\"1\"} 7"));
	CU_ASSERT(has_line(b, "tlsgate_handshakes_total{worker=\"0\",kind=\"full\"} 6"));
	CU_ASSERT(has_line(b, "tlsgate_handshakes_total{worker=\"0\",kind=\"resumed\"} 3"));
	CU_ASSERT(has_line(b, "tlsgate_handshakes_total{worker=\"1\",kind=\"resumed\"} 0"));
	/* failures: by alert, only non-zero, the rest as "none" */
	CU_ASSERT(has_line(b, "tlsgate_handshakes_failed_total{worker=\"0\",alert=\"handshake_failure\"} 2"));
	CU_ASSERT(has_line(b, "tlsgate_handshakes_failed_total{worker=\"0\",alert=\"unknown_ca\"} 1"));
	CU_ASSERT(has_line(b, "tlsgate_handshakes_failed_total{worker=\"0\",alert=\"none\"} 1"));
	CU_ASSERT(has_line(b, "tlsgate_handshakes_failed_total{worker=\"1\",alert=\"handshake_failure\"} 1"));
	CU_ASSERT(strstr(b, "tlsgate_handshakes_failed_total{worker=\"1\",alert=\"none\"}") == NULL);
	CU_ASSERT(strstr(b, "alert=\"decode_error\"") == NULL);
	/* records by accel backend, named by the engine */
	snprintf(line, sizeof(line),
		 "tlsgate_records_total{worker=\"0\",dir=\"sealed\",backend=\"%s\"} 100",
		 g_accel_name[0]);
	CU_ASSERT(has_line(b, line));
	snprintf(line, sizeof(line),
		 "tlsgate_records_total{worker=\"0\",dir=\"opened\",backend=\"%s\"} 90",
		 g_accel_name[0]);
	CU_ASSERT(has_line(b, line));
	snprintf(line, sizeof(line),
		 "tlsgate_record_bytes_total{worker=\"0\",dir=\"sealed\",backend=\"%s\"} 100000",
		 g_accel_name[0]);
	CU_ASSERT(has_line(b, line));
	if (g_nacc > 1) {
		snprintf(line, sizeof(line),
			 "tlsgate_records_total{worker=\"1\",dir=\"opened\",backend=\"%s\"} 41",
			 g_accel_name[1]);
		CU_ASSERT(has_line(b, line));
		snprintf(line, sizeof(line),
			 "tlsgate_record_bytes_total{worker=\"1\",dir=\"opened\",backend=\"%s\"} 4100",
			 g_accel_name[1]);
		CU_ASSERT(has_line(b, line));
	}
	/* only the engine's backends: 2 workers x 2 dirs x n series */
	CU_ASSERT_EQUAL(count_lines(b, "# TYPE tlsgate_records_total counter"), 1);
	{
		unsigned n = 0;

		for (const char *p = b; (p = strstr(p, "\ntlsgate_records_total{")) != NULL; p++)
			n++;
		CU_ASSERT_EQUAL(n, 2 * 2 * g_nacc);
	}
	snprintf(line, sizeof(line),
		 "tlsgate_accel_records_failed_total{backend=\"%s\"} 0",
		 g_accel_name[0]);
	CU_ASSERT(has_line(b, line));
	CU_ASSERT(has_line(b, "tlsgate_record_errors_total{worker=\"1\"} 2"));
	CU_ASSERT(has_line(b, "tlsgate_ring_occupancy{worker=\"1\",ring=\"to_control\"} 17"));
	CU_ASSERT(has_line(b, "tlsgate_ring_occupancy{worker=\"1\",ring=\"from_control\"} 3"));
	CU_ASSERT(has_line(b, "tlsgate_handshake_ring_full_total{worker=\"1\"} 9"));
	CU_ASSERT(has_line(b, "tlsgate_accel_inflight{worker=\"1\"} 17"));
	CU_ASSERT(has_line(b, "tlsgate_accel_queue_full_total{worker=\"0\"} 4"));
	CU_ASSERT(has_line(b, "tlsgate_backend_connect_errors_total{worker=\"1\"} 5"));
	CU_ASSERT(has_line(b, "tlsgate_handshake_timeouts_total{worker=\"0\"} 0"));
	CU_ASSERT(has_line(b, "tlsgate_idle_timeouts_total{worker=\"1\"} 0"));
	CU_ASSERT(has_line(b, "tlsgate_bytes_total{worker=\"0\",dir=\"from_client\"} 2500000000"));
	CU_ASSERT(has_line(b, "tlsgate_bytes_total{worker=\"0\",dir=\"to_client\"} 500000000"));
	CU_ASSERT(has_line(b, "tlsgate_bytes_total{worker=\"1\",dir=\"to_backend\"} 123"));
	CU_ASSERT(has_line(b, "tlsgate_bytes_total{worker=\"1\",dir=\"from_backend\"} 0"));
	/* no control plane given: no in-flight gauge */
	CU_ASSERT(strstr(b, "tlsgate_handshakes_inflight") == NULL);
	/* uptime: started 3700 s ago */
	{
		const char *u = strstr(b, "\ntlsgate_uptime_seconds ");
		double up = u ? strtod(u + 24, NULL) : 0;

		CU_ASSERT(up >= 3700.0 && up < 3800.0);
	}
	free(b);
}

static void test_render_histogram(void)
{
	char *b = render();

	CU_ASSERT(has_line(b, "# TYPE tlsgate_burst_size histogram"));
	/* worker 0: 2 x 1, 3 x 2-3, 1 x 64 */
	CU_ASSERT(has_line(b, "tlsgate_burst_size_bucket{worker=\"0\",le=\"1\"} 2"));
	CU_ASSERT(has_line(b, "tlsgate_burst_size_bucket{worker=\"0\",le=\"3\"} 5"));
	CU_ASSERT(has_line(b, "tlsgate_burst_size_bucket{worker=\"0\",le=\"7\"} 5"));
	CU_ASSERT(has_line(b, "tlsgate_burst_size_bucket{worker=\"0\",le=\"15\"} 5"));
	CU_ASSERT(has_line(b, "tlsgate_burst_size_bucket{worker=\"0\",le=\"31\"} 5"));
	CU_ASSERT(has_line(b, "tlsgate_burst_size_bucket{worker=\"0\",le=\"63\"} 5"));
	CU_ASSERT(has_line(b, "tlsgate_burst_size_bucket{worker=\"0\",le=\"+Inf\"} 6"));
	CU_ASSERT(has_line(b, "tlsgate_burst_size_count{worker=\"0\"} 6"));
	/* sum: 2*1 + 3*2.5 + 1*64 = 73.5 */
	CU_ASSERT(has_line(b, "tlsgate_burst_size_sum{worker=\"0\"} 73.5"));
	/* worker 1: 4 x 32-63 (midpoint 47.5) */
	CU_ASSERT(has_line(b, "tlsgate_burst_size_bucket{worker=\"1\",le=\"31\"} 0"));
	CU_ASSERT(has_line(b, "tlsgate_burst_size_bucket{worker=\"1\",le=\"63\"} 4"));
	CU_ASSERT(has_line(b, "tlsgate_burst_size_bucket{worker=\"1\",le=\"+Inf\"} 4"));
	CU_ASSERT(has_line(b, "tlsgate_burst_size_sum{worker=\"1\"} 190.0"));
	CU_ASSERT(has_line(b, "tlsgate_burst_size_count{worker=\"1\"} 4"));
	CU_ASSERT(strstr(b, "le=\"127\"") == NULL);
	free(b);
}

static void test_render_backends(void)
{
	char *b = render();

	CU_ASSERT(has_line(b, "tlsgate_backend_up{pool=\"default\",backend=\"127.0.0.1:8080\"} 1"));
	CU_ASSERT(has_line(b, "tlsgate_backend_up{pool=\"default\",backend=\"127.0.0.1:8081\"} 0"));
	/* the pool name's quote is escaped */
	CU_ASSERT(has_line(b, "tlsgate_backend_up{pool=\"api\\\"x\",backend=\"[::1]:9000\"} 1"));
	CU_ASSERT(has_line(b, "tlsgate_backend_connections{pool=\"default\",backend=\"127.0.0.1:8080\"} 3"));
	CU_ASSERT(has_line(b, "tlsgate_backend_connect_failures_total{pool=\"default\",backend=\"127.0.0.1:8081\"} 5"));
	CU_ASSERT(has_line(b, "tlsgate_backend_connect_failures_total{pool=\"default\",backend=\"127.0.0.1:8080\"} 0"));
	/* the render took and dropped one reference (ours, the holder's) */
	CU_ASSERT_EQUAL(atomic_load(&g_be->refs), 2);
	free(b);

	/* no backends (before the first config, or none given) */
	{
		struct tg_admin_src s = g_src;
		struct tg_backends_cur none;
		size_t len;

		tg_backends_cur_init(&none, NULL);
		s.backends = &none;
		b = malloc(BODY_CAP);

		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		TG_ASSERT_OK(tg_admin_render(&s, b, BODY_CAP, &len));
		CU_ASSERT(strstr(b, "tlsgate_backend_up{") == NULL);
		CU_ASSERT(has_line(b, "# TYPE tlsgate_backend_up gauge"));
		free(b);
		tg_backends_cur_fini(&none);
	}
}

/* Every sample's family has exactly one HELP and one TYPE, before it, and
 * every HELP/TYPE line is unique. */
static void test_render_help_type(void)
{
	char *b = render();
	char *copy = strdup(b), *save = NULL, *line;
	unsigned samples = 0, families = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char fam[128], want[200];
		size_t n;

		if (strncmp(line, "# TYPE ", 7) == 0) {
			families++;
			CU_ASSERT_EQUAL(count_lines(b, line), 1);
			continue;
		}
		if (strncmp(line, "# HELP ", 7) == 0) {
			CU_ASSERT_EQUAL(count_lines(b, line), 1);
			continue;
		}
		CU_ASSERT_NOT_EQUAL(line[0], '#');
		samples++;
		n = strcspn(line, "{ ");
		CU_ASSERT_FATAL(n > 0 && n < sizeof(fam));
		memcpy(fam, line, n);
		fam[n] = '\0';
		/* histogram series: _bucket, _sum, _count of the family */
		if (strncmp(fam, "tlsgate_burst_size_", 19) == 0)
			fam[18] = '\0';
		snprintf(want, sizeof(want), "# HELP %s ", fam);
		{
			unsigned helps = 0;

			for (const char *p = b; (p = strstr(p, want)) != NULL; p++)
				helps += (p == b || p[-1] == '\n');
			CU_ASSERT_EQUAL(helps, 1);
		}
		snprintf(want, sizeof(want), "# TYPE %s ", fam);
		{
			const char *t = strstr(b, want);

			CU_ASSERT_PTR_NOT_NULL(t);
			CU_ASSERT(t != NULL && t < b + (line - copy));
		}
		/* counters end in _total */
		{
			const char *t = strstr(b, want);
			size_t fl = strlen(fam);

			if (t != NULL && strncmp(t + strlen(want), "counter", 7) == 0)
				CU_ASSERT(fl > 6 && strcmp(fam + fl - 6, "_total") == 0);
		}
	}
	CU_ASSERT(samples > 50);
	CU_ASSERT_EQUAL(families, 26); /* 27 with a control plane */
	free(copy);
	free(b);
}

static void test_render_nospace(void)
{
	char *full = render();
	size_t full_len = strlen(full), len = 0;
	char small[256];
	char *exact;

	TG_ASSERT_ERR(tg_admin_render(&g_src, small, sizeof(small), &len),
		      TG_E_NOSPACE);
	/* the length asked for is the whole text (uptime may differ by a digit) */
	CU_ASSERT(len + 4 >= full_len && len <= full_len + 4);
	CU_ASSERT_EQUAL(strlen(small), sizeof(small) - 1);
	CU_ASSERT_EQUAL(memcmp(small, full, sizeof(small) - 1), 0);
	exact = malloc(len + 16);
	CU_ASSERT_PTR_NOT_NULL_FATAL(exact);
	TG_ASSERT_OK(tg_admin_render(&g_src, exact, len + 16, &len));
	CU_ASSERT_EQUAL(strlen(exact), len);
	TG_ASSERT_ERR(tg_admin_render(NULL, exact, 16, &len), TG_E_INVAL);
	TG_ASSERT_ERR(tg_admin_render(&g_src, exact, 0, &len), TG_E_INVAL);
	{
		struct tg_admin_src s = g_src;

		s.stats = NULL;
		TG_ASSERT_ERR(tg_admin_render(&s, exact, 16, &len), TG_E_INVAL);
	}
	free(exact);
	free(full);
}

/* ---- server and client ------------------------------------------------------- */

static void test_server(void)
{
	struct tg_addr a;
	struct tg_admin *adm = NULL;
	uint16_t port;
	char *r;

	set_addr(&a, "127.0.0.1", 0);
	TG_ASSERT_OK(tg_admin_start(&a, &g_src, &adm));
	port = tg_admin_port(adm);
	CU_ASSERT_NOT_EQUAL_FATAL(port, 0);

	r = http(port, "GET", "/metrics");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(status_of(r), 200);
	CU_ASSERT(strstr(r, "text/plain; version=0.0.4") != NULL);
	CU_ASSERT(has_line(body_of(r), "tlsgate_connections_accepted_total{worker=\"1\"} 7"));
	CU_ASSERT(has_line(body_of(r), "tlsgate_burst_size_bucket{worker=\"0\",le=\"+Inf\"} 6"));
	CU_ASSERT(has_line(body_of(r), "# TYPE tlsgate_uptime_seconds gauge"));
	free(r);

	/* counters move between scrapes */
	g_st[1].conns_accepted = 8;
	r = http(port, "GET", "/metrics");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT(has_line(body_of(r), "tlsgate_connections_accepted_total{worker=\"1\"} 8"));
	free(r);
	g_st[1].conns_accepted = 7;

	r = http(port, "GET", "/");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(status_of(r), 200);
	CU_ASSERT(strstr(body_of(r), "/metrics") != NULL);
	free(r);

	r = http(port, "GET", "/nope");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(status_of(r), 404);
	free(r);

	r = http(port, "POST", "/metrics");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(status_of(r), 405);
	CU_ASSERT(strstr(r, "Allow: GET") != NULL);
	free(r);

	r = http(port, "DELETE", "/");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(status_of(r), 405);
	free(r);

	/* a second listener on the same port fails cleanly */
	{
		struct tg_addr b;
		struct tg_admin *adm2 = NULL;

		set_addr(&b, "127.0.0.1", port);
		TG_ASSERT_ERR(tg_admin_start(&b, &g_src, &adm2), TG_E_IO);
		CU_ASSERT_PTR_NULL(adm2);
	}
	tg_admin_stop(adm);
	tg_admin_stop(NULL);
}

static void test_server_bad_args(void)
{
	struct tg_addr a;
	struct tg_admin *adm = NULL;

	memset(&a, 0, sizeof(a));
	TG_ASSERT_ERR(tg_admin_start(&a, &g_src, &adm), TG_E_INVAL);
	set_addr(&a, "127.0.0.1", 0);
	TG_ASSERT_ERR(tg_admin_start(&a, NULL, &adm), TG_E_INVAL);
	TG_ASSERT_ERR(tg_admin_start(&a, &g_src, NULL), TG_E_INVAL);
	CU_ASSERT_PTR_NULL(adm);
}

/* Run the client with stderr captured; returns its exit code. */
static int run_cli(const struct tg_addr *a, char **out, char **err)
{
	size_t olen = 0;
	FILE *o = open_memstream(out, &olen);
	FILE *e = tmpfile();
	int saved, rc;
	long n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fileno(e), STDERR_FILENO);
	rc = tg_admin_stats_cli(a, o);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	fclose(o);
	n = ftell(e);
	*err = calloc(1, (size_t)(n > 0 ? n : 0) + 1);
	rewind(e);
	if (*err != NULL && n > 0 && fread(*err, 1, (size_t)n, e) != (size_t)n)
		(*err)[0] = '\0';
	fclose(e);
	return rc;
}

static void test_cli(void)
{
	struct tg_addr a;
	struct tg_admin *adm = NULL;
	char *out = NULL, *err = NULL;
	char *row;
	int rc;

	set_addr(&a, "127.0.0.1", 0);
	TG_ASSERT_OK(tg_admin_start(&a, &g_src, &adm));
	set_addr(&a, "127.0.0.1", tg_admin_port(adm));
	rc = run_cli(&a, &out, &err);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	printf("\n%s", out);
	CU_ASSERT(strstr(out, "worker") != NULL);
	CU_ASSERT(strstr(out, "up 0d 01:0") != NULL);
	/* worker 0: 11 accepted, 2 active, 6 full, 3 resumed, 4 failed,
	 * 100 sealed, 90 opened, 2.5 GB in, 0.5 GB out */
	row = strstr(out, "\n0 ");
	CU_ASSERT_PTR_NOT_NULL(row);
	if (row != NULL) {
		double v[9];

		CU_ASSERT_EQUAL(sscanf(row + 1, "0 %lf %lf %lf %lf %lf %lf %lf %lf %lf",
				       &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
				       &v[6], &v[7], &v[8]), 9);
		CU_ASSERT_DOUBLE_EQUAL(v[0], 11, 0.01);
		CU_ASSERT_DOUBLE_EQUAL(v[1], 2, 0.01);
		CU_ASSERT_DOUBLE_EQUAL(v[2], 6, 0.01);
		CU_ASSERT_DOUBLE_EQUAL(v[3], 3, 0.01);
		CU_ASSERT_DOUBLE_EQUAL(v[4], 4, 0.01);
		CU_ASSERT_DOUBLE_EQUAL(v[5], 100, 0.01);
		CU_ASSERT_DOUBLE_EQUAL(v[6], 90, 0.01);
		CU_ASSERT_DOUBLE_EQUAL(v[7], 2.5, 0.001);
		CU_ASSERT_DOUBLE_EQUAL(v[8], 0.5, 0.001);
	}
	row = strstr(out, "\n1 ");
	CU_ASSERT_PTR_NOT_NULL(row);
	if (row != NULL) {
		double v[5];

		CU_ASSERT_EQUAL(sscanf(row + 1, "1 %lf %lf %lf %lf %lf",
				       &v[0], &v[1], &v[2], &v[3], &v[4]), 5);
		CU_ASSERT_DOUBLE_EQUAL(v[0], 7, 0.01);
		CU_ASSERT_DOUBLE_EQUAL(v[4], 1, 0.01);
	}
	row = strstr(out, "\ntotal ");
	CU_ASSERT_PTR_NOT_NULL(row);
	if (row != NULL) {
		double acc = 0, active = 0;

		CU_ASSERT_EQUAL(sscanf(row + 1, "total %lf %lf", &acc, &active), 2);
		CU_ASSERT_DOUBLE_EQUAL(acc, 18, 0.01);
	}
	CU_ASSERT(strstr(out, "backends: 2 up, 1 down") != NULL);
	CU_ASSERT(strstr(out, "127.0.0.1:8081") != NULL);
	CU_ASSERT(strstr(out, "DOWN") != NULL);
	CU_ASSERT(strstr(out, "failed handshakes by alert:") != NULL);
	row = strstr(out, "handshake_failure");
	CU_ASSERT(row != NULL && strtod(row + strlen("handshake_failure"), NULL) == 3.0);
	CU_ASSERT(strstr(out, "unknown_ca") != NULL);
	free(out);
	free(err);
	tg_admin_stop(adm);
}

/* The DPDK transport's counters: families when the source has them (and
 * none without), and the stats table's "DPDK port" section. */
static void test_render_dpdk(void)
{
	static struct tg_dpdk_stats net[2];
	struct tg_admin_src s = g_src;
	struct tg_admin *adm = NULL;
	struct tg_addr a;
	char *b = render(), *out = NULL, *err = NULL, *row;
	size_t len;

	CU_ASSERT(strstr(b, "tlsgate_net_") == NULL);
	CU_ASSERT(strstr(b, "tlsgate_tcp_") == NULL);
	free(b);
	memset(net, 0, sizeof(net));
	net[0].net.rx_pkts = 1000;
	net[0].net.tx_pkts = 900;
	net[0].net.rx_bad_cksum = 3;
	net[0].net.disp_out = 5;
	net[0].tcp.active = 12;
	net[0].tcp.time_wait = 4;
	net[0].tcp.retransmits = 7;
	net[0].tcp.rto = 2;
	net[0].tcp.ooo_drop = 1;
	net[0].tcp.tso_frames = 40;
	net[0].tcp.tso_segs = 1100;
	net[0].tcp.dsack_in = 5;
	net[0].tcp.dsack_undo = 3;
	net[0].pool_avail = 30000;
	net[0].pool_size = 32768;
	net[1].net.rx_pkts = 10;
	net[1].tcp.accepted = 6;
	net[1].health_probes = 9;
	s.n_workers = 2;
	s.net = net;
	b = malloc(BODY_CAP);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	TG_ASSERT_OK(tg_admin_render(&s, b, BODY_CAP, &len));
	CU_ASSERT(has_line(b, "# TYPE tlsgate_net_packets_total counter"));
	CU_ASSERT(has_line(b, "tlsgate_net_packets_total{worker=\"0\",dir=\"rx\"} 1000"));
	CU_ASSERT(has_line(b, "tlsgate_net_packets_total{worker=\"0\",dir=\"tx\"} 900"));
	CU_ASSERT(has_line(b, "tlsgate_net_packets_total{worker=\"1\",dir=\"rx\"} 10"));
	CU_ASSERT(has_line(b, "tlsgate_net_dropped_total{worker=\"0\",reason=\"bad_checksum\"} 3"));
	CU_ASSERT(has_line(b, "tlsgate_net_dispatched_total{worker=\"0\",dir=\"out\"} 5"));
	CU_ASSERT(has_line(b, "tlsgate_net_mbufs_free{worker=\"0\"} 30000"));
	CU_ASSERT(has_line(b, "# TYPE tlsgate_net_mbufs gauge"));
	CU_ASSERT(has_line(b, "tlsgate_tcp_connections{worker=\"0\",state=\"open\"} 12"));
	CU_ASSERT(has_line(b, "tlsgate_tcp_connections{worker=\"0\",state=\"time_wait\"} 4"));
	CU_ASSERT(has_line(b, "tlsgate_tcp_retransmits_total{worker=\"0\",kind=\"timeout\"} 2"));
	CU_ASSERT(has_line(b, "tlsgate_tcp_dropped_total{worker=\"0\",reason=\"out_of_order_cap\"} 1"));
	CU_ASSERT(has_line(b, "tlsgate_tcp_opens_total{worker=\"1\",kind=\"passive\"} 6"));
	CU_ASSERT(has_line(b, "tlsgate_backend_health_probes_total{worker=\"1\"} 9"));
	CU_ASSERT(has_line(b, "tlsgate_tcp_timeouts_total{worker=\"1\"} 0"));
	CU_ASSERT(has_line(b, "tlsgate_tcp_tso_total{worker=\"0\",what=\"frames\"} 40"));
	CU_ASSERT(has_line(b, "tlsgate_tcp_tso_total{worker=\"0\",what=\"segments\"} 1100"));
	CU_ASSERT(has_line(b, "tlsgate_tcp_loss_recovery_total{worker=\"0\",what=\"dsack_in\"} 5"));
	CU_ASSERT(has_line(b, "tlsgate_tcp_loss_recovery_total{worker=\"0\",what=\"undo\"} 3"));
	CU_ASSERT(has_line(b, "tlsgate_tcp_loss_recovery_total{worker=\"1\",what=\"undo\"} 0"));
	free(b);

	/* tlsgate stats: the port's table */
	set_addr(&a, "127.0.0.1", 0);
	TG_ASSERT_OK(tg_admin_start(&a, &s, &adm));
	set_addr(&a, "127.0.0.1", tg_admin_port(adm));
	CU_ASSERT_EQUAL(run_cli(&a, &out, &err), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	printf("\n%s", out);
	row = strstr(out, "DPDK port:");
	CU_ASSERT_PTR_NOT_NULL_FATAL(row);
	row = strstr(row, "\n0 ");
	CU_ASSERT_PTR_NOT_NULL(row);
	if (row != NULL) {
		double v[6];

		CU_ASSERT_EQUAL(sscanf(row + 1, "0 %lf %lf %lf %lf %lf %lf", &v[0], &v[1],
				       &v[2], &v[3], &v[4], &v[5]), 6);
		CU_ASSERT_DOUBLE_EQUAL(v[0], 1000, 0.01);
		CU_ASSERT_DOUBLE_EQUAL(v[1], 900, 0.01);
		CU_ASSERT_DOUBLE_EQUAL(v[2], 12, 0.01);
		CU_ASSERT_DOUBLE_EQUAL(v[3], 7, 0.01);
		CU_ASSERT_DOUBLE_EQUAL(v[4], 3, 0.01);
		CU_ASSERT_DOUBLE_EQUAL(v[5], 1, 0.01);
	}
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "30000/32768"));
	/* the TSO frames, then the undos, the row's last columns */
	row = strstr(strstr(out, "DPDK port:"), "\n0 ");
	if (row != NULL) {
		char line[256];
		const char *sp;

		snprintf(line, sizeof(line), "%.*s", (int)strcspn(row + 1, "\n"), row + 1);
		sp = strrchr(line, ' ');
		CU_ASSERT(sp != NULL && strcmp(sp, " 3") == 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(line, " 40 "));
	}
	/* the port table's total: both workers' counters added */
	row = strstr(strstr(out, "DPDK port:"), "\ntotal ");
	CU_ASSERT_PTR_NOT_NULL(row);
	if (row != NULL) {
		double rx = 0, tx = 0;

		CU_ASSERT_EQUAL(sscanf(row + 1, "total %lf %lf", &rx, &tx), 2);
		CU_ASSERT_DOUBLE_EQUAL(rx, 1010, 0.01);
		CU_ASSERT_DOUBLE_EQUAL(tx, 900, 0.01);
	}
	free(out);
	free(err);
	tg_admin_stop(adm);
}

static void test_cli_not_running(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	struct tg_addr a;
	char *out = NULL, *err = NULL, want[160];
	int fd, rc;

	/* A port bound but not listening: nobody can take it, connect fails. */
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CU_ASSERT_FATAL(getsockname(fd, (struct sockaddr *)&sa, &sl) == 0);
	set_addr(&a, "127.0.0.1", ntohs(sa.sin_port));
	rc = run_cli(&a, &out, &err);
	close(fd);
	CU_ASSERT_EQUAL(rc, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	snprintf(want, sizeof(want),
		 "cannot connect to 127.0.0.1:%u: is tlsgate running with --admin?",
		 ntohs(sa.sin_port));
	CU_ASSERT(strstr(err, want) != NULL);
	if (strstr(err, want) == NULL)
		fprintf(stderr, "stderr was: %s\n", err);
	CU_ASSERT(out == NULL || out[0] == '\0');
	free(out);
	free(err);
}

/* Something that answers, but not with a 200: the client says so. */
static void *fake_server(void *arg)
{
	int lfd = *(int *)arg, fd;
	char buf[1024];

	fd = accept(lfd, NULL, NULL);
	if (fd >= 0) {
		static const char resp[] =
			"HTTP/1.1 503 Service Unavailable\r\n"
			"Content-Length: 5\r\n\r\nbusy\n";

		(void)recv(fd, buf, sizeof(buf), 0);
		(void)send(fd, resp, sizeof(resp) - 1, MSG_NOSIGNAL);
		close(fd);
	}
	return NULL;
}

static void test_cli_not_200(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	struct tg_addr a;
	char *out = NULL, *err = NULL;
	pthread_t th;
	int lfd, rc;

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	CU_ASSERT_FATAL(lfd >= 0);
	CU_ASSERT_FATAL(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CU_ASSERT_FATAL(listen(lfd, 1) == 0);
	CU_ASSERT_FATAL(getsockname(lfd, (struct sockaddr *)&sa, &sl) == 0);
	CU_ASSERT_FATAL(pthread_create(&th, NULL, fake_server, &lfd) == 0);
	set_addr(&a, "127.0.0.1", ntohs(sa.sin_port));
	rc = run_cli(&a, &out, &err);
	pthread_join(th, NULL);
	close(lfd);
	CU_ASSERT_EQUAL(rc, 1);
	CU_ASSERT(err != NULL && strstr(err, "503 Service Unavailable") != NULL);
	CU_ASSERT(out == NULL || out[0] == '\0');
	free(out);
	free(err);
}

/* An IPv6 admin address (skipped where the host has no ::1). */
static void test_ipv6(void)
{
	struct tg_addr a;
	struct tg_admin *adm = NULL;
	char *out = NULL, *err = NULL;
	tg_result r;

	set_addr(&a, "::1", 0);
	r = tg_admin_start(&a, &g_src, &adm);
	if (r.code == TG_E_IO) {
		printf("(no IPv6 loopback: skipped) ");
		return;
	}
	TG_ASSERT_OK(r);
	set_addr(&a, "::1", tg_admin_port(adm));
	CU_ASSERT_EQUAL(run_cli(&a, &out, &err), 0);
	CU_ASSERT(out != NULL && strstr(out, "tlsgate at [::1]:") != NULL);
	CU_ASSERT(out != NULL && strstr(out, "\ntotal ") != NULL);
	free(out);
	free(err);
	tg_admin_stop(adm);
}

static CU_TestInfo admin_tests[] = {
	{ "render: the DPDK transport's counters", test_render_dpdk },
	{ "render: per-worker counters", test_render_workers },
	{ "render: burst histogram", test_render_histogram },
	{ "render: backend pools", test_render_backends },
	{ "render: HELP/TYPE once per family", test_render_help_type },
	{ "render: buffer too small", test_render_nospace },
	{ "server: /metrics, /, 404, 405", test_server },
	{ "server: bad arguments", test_server_bad_args },
	{ "stats cli: table", test_cli },
	{ "stats cli: not running", test_cli_not_running },
	{ "stats cli: not a 200", test_cli_not_200 },
	{ "server and cli over IPv6", test_ipv6 },
	CU_TEST_INFO_NULL,
};

static const struct tg_test_suite suites[] = {
	{ "admin", admin_init, admin_cleanup, admin_tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return tg_test_main(argc, argv, suites);
}
