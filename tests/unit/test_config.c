/* SPDX-License-Identifier: BSD-3-Clause */
/* The configuration layer (app/config.c): defaults, file, flags, errors. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config_int.h"
#include "tg_config.h"
#include "tg_privs.h"
#include "tg_result.h"
#include "tg_test.h"

static char tmpdir[64];
static char msgs[16384]; /* stderr of the last captured call */
static char outs[16384]; /* stdout of the last captured call */

/** Path of @p name inside the temporary directory (rotating buffers). */
static const char *tpath(const char *name)
{
	static char buf[8][256];
	static unsigned i;
	char *p = buf[i++ % 8];

	snprintf(p, 256, "%s/%s", tmpdir, name);
	return p;
}

/** Write @p text to tmpdir/@p name; returns its path. */
static const char *write_file(const char *name, const char *text)
{
	const char *p = tpath(name);
	FILE *f = fopen(p, "w");

	if (f == NULL) {
		perror(p);
		abort();
	}
	fputs(text, f);
	fclose(f);
	return p;
}

/** Redirection of one file descriptor into a temporary file. */
struct capture {
	int fd;
	int saved;
	char path[256];
};

static void cap_begin(struct capture *c, int fd)
{
	int tmp;

	fflush(stdout);
	fflush(stderr);
	snprintf(c->path, sizeof(c->path), "%s/capture.XXXXXX", tmpdir);
	tmp = mkstemp(c->path);
	c->fd = fd;
	c->saved = dup(fd);
	dup2(tmp, fd);
	close(tmp);
}

static void cap_end(struct capture *c, char *buf, size_t len)
{
	FILE *f;
	size_t n;

	fflush(stdout);
	fflush(stderr);
	dup2(c->saved, c->fd);
	close(c->saved);
	f = fopen(c->path, "r");
	n = f ? fread(buf, 1, len - 1, f) : 0;
	buf[n] = '\0';
	if (f)
		fclose(f);
	unlink(c->path);
}

/** tg_config_parse() over "tlsgate" + the NULL-terminated arguments. */
static TG_MUST_CHECK tg_result parse_args(struct tg_config *cfg,
			    enum tg_config_action *act, ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;
	struct capture ce, co;
	tg_result r;

	argv[argc++] = (char *)"tlsgate";
	va_start(ap, act);
	for (char *a; (a = va_arg(ap, char *)) != NULL && argc < 63;)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	optind = 0; /* glibc: full getopt reset (the parser resets too) */
	cap_begin(&ce, STDERR_FILENO);
	cap_begin(&co, STDOUT_FILENO);
	r = tg_config_parse(argc, argv, cfg, act);
	cap_end(&co, outs, sizeof(outs));
	cap_end(&ce, msgs, sizeof(msgs));
	return r;
}

/** tg_config_load_file() with stderr captured into msgs. */
static TG_MUST_CHECK tg_result load(const char *path, struct tg_config *cfg)
{
	struct capture ce;
	tg_result r;

	cap_begin(&ce, STDERR_FILENO);
	r = tg_config_load_file(path, cfg);
	cap_end(&ce, msgs, sizeof(msgs));
	return r;
}

/** tg_config_validate() with stderr captured into msgs. */
static TG_MUST_CHECK tg_result validate(struct tg_config *cfg)
{
	struct capture ce;
	tg_result r;

	cap_begin(&ce, STDERR_FILENO);
	r = tg_config_validate(cfg);
	cap_end(&ce, msgs, sizeof(msgs));
	return r;
}

/** Assert the last captured stderr contains @p s (printed when not). */
#define ASSERT_MSG(s)                                                          \
	do {                                                                   \
		if (strstr(msgs, (s)) == NULL)                                 \
			fprintf(stderr, "%s:%d: '%s' not in:\n%s\n", __FILE__, \
				__LINE__, (s), msgs);                          \
		CU_ASSERT_PTR_NOT_NULL(strstr(msgs, (s)));                     \
	} while (0)

static int suite_init(void)
{
	strcpy(tmpdir, "/tmp/tg_config_XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	write_file("a.pem", "cert a\n");
	write_file("a.key", "key a\n");
	write_file("b.pem", "cert b\n");
	write_file("b.key", "key b\n");
	write_file("ca.pem", "ca\n");
	write_file("t0.key", "ticket key 0\n");
	write_file("t1.key", "ticket key 1\n");
	return 0;
}

static int suite_cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/** Port of a resolved address. */
static unsigned port_of(const struct tg_addr *a)
{
	if (a->sa.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->sa)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&a->sa)->sin6_port);
}

/** A minimal valid file body (listen, cert, backend) plus @p extra. */
static const char *base_file(const char *name, const char *extra)
{
	char text[4096];

	snprintf(text, sizeof(text),
		 "listen = \"127.0.0.1:8443\";\n"
		 "certificates = ( { cert = \"%s\"; key = \"%s\"; } );\n"
		 "backends = [\"127.0.0.1:8080\"];\n%s",
		 tpath("a.pem"), tpath("a.key"), extra);
	return write_file(name, text);
}

/* ---- tests -------------------------------------------------------------- */

static void test_defaults(void)
{
	struct tg_config cfg;

	tg_config_defaults(&cfg);
	CU_ASSERT_EQUAL(cfg.n_listen, 0);
	CU_ASSERT_EQUAL(cfg.n_certs, 0);
	CU_ASSERT_STRING_EQUAL(cfg.suites, "");
	CU_ASSERT_STRING_EQUAL(cfg.groups, "");
	CU_ASSERT_STRING_EQUAL(cfg.sigalgs, "");
	CU_ASSERT_EQUAL(cfg.n_alpn, 0);
	CU_ASSERT_FALSE(cfg.alpn_required);
	CU_ASSERT_EQUAL(cfg.client_auth, TG_CFG_CLIENT_AUTH_NONE);
	CU_ASSERT_FALSE(cfg.allow_static_rsa);
	CU_ASSERT_FALSE(cfg.allow_no_ems);
	CU_ASSERT_EQUAL(cfg.session_cache, 20000);
	CU_ASSERT_EQUAL(cfg.session_ttl_s, 300);
	CU_ASSERT_TRUE(cfg.tickets);
	CU_ASSERT_EQUAL(cfg.n_ticket_keys, 0);
	CU_ASSERT_EQUAL(cfg.ticket_lifetime_s, 7200);
	CU_ASSERT_FALSE(cfg.tls13_psk_ke);
	CU_ASSERT_EQUAL(cfg.backends.n_pools, 1);
	CU_ASSERT_STRING_EQUAL(cfg.backends.pools[0].name, "default");
	CU_ASSERT_EQUAL(cfg.backends.pools[0].n_be, 0);
	CU_ASSERT_EQUAL(cfg.backends.pools[0].policy, TG_LB_ROUND_ROBIN);
	CU_ASSERT_EQUAL(cfg.backends.n_routes, 0);
	CU_ASSERT_EQUAL(cfg.flow.proxy_protocol, TG_PROXY_NONE);
	CU_ASSERT_EQUAL(cfg.flow.connect_timeout_ms, 3000);
	CU_ASSERT_EQUAL(cfg.flow.connect_retries, 2);
	CU_ASSERT_EQUAL(cfg.health_interval_ms, 2000);
	CU_ASSERT_EQUAL(cfg.workers, 1);
	CU_ASSERT_STRING_EQUAL(cfg.lcores, "");
	CU_ASSERT_EQUAL(cfg.flow.max_conns, 10000);
	CU_ASSERT_EQUAL(cfg.flow.max_conns_per_worker, 0); /* computed by validate */
	CU_ASSERT_EQUAL(cfg.flow.handshake_timeout_ms, 10000);
	CU_ASSERT_EQUAL(cfg.flow.idle_timeout_ms, 60000);
	CU_ASSERT_EQUAL(cfg.flow.drain_timeout_ms, 10000);
	CU_ASSERT_EQUAL(cfg.flow.max_buffer, 262144);
	CU_ASSERT_EQUAL(cfg.hs_queue, 1024);
	CU_ASSERT_EQUAL(cfg.flow.record_small, 1369);
	CU_ASSERT_EQUAL(cfg.flow.record_max, 16384);
	CU_ASSERT_EQUAL(cfg.flow.record_ramp_bytes, 1048576);
	CU_ASSERT_EQUAL(cfg.flow.record_idle_ms, 1000);
	CU_ASSERT_STRING_EQUAL(cfg.accel_backends, "");
	CU_ASSERT_STRING_EQUAL(cfg.accel_force, "");
	CU_ASSERT_STRING_EQUAL(cfg.admin.text, "");
	CU_ASSERT_STRING_EQUAL(cfg.log_level, "notice");
	CU_ASSERT_STRING_EQUAL(cfg.access_log, "");
	CU_ASSERT_STRING_EQUAL(cfg.pid_file, "");
	CU_ASSERT_STRING_EQUAL(cfg.config_path, "");
	/* Defaults alone do not validate: listen, cert and backend missing. */
	TG_ASSERT_ERR(validate(&cfg), TG_E_INVAL);
	ASSERT_MSG("no listen address");
	ASSERT_MSG("no certificate");
	ASSERT_MSG("no backend");
}

static void test_full_file(void)
{
	struct tg_config cfg;
	char text[8192];
	const char *path;

	snprintf(text, sizeof(text),
		 "# every setting\n"
		 "listen = [\"0.0.0.0:8443\", \"[::]:8443\"];\n"
		 "workers = 4;\n"
		 "lcores = \"0-4\";\n"
		 "certificates = (\n"
		 "  { cert = \"%s\"; key = \"%s\"; },\n"
		 "  { cert = \"%s\"; key = \"%s\"; default = true; }\n"
		 ");\n"
		 "suites = \"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384\";\n"
		 "groups = \"x25519:P-256\";\n"
		 "sigalgs = \"ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256\";\n"
		 "alpn = [\"h2\", \"http/1.1\"];\n"
		 "alpn_required = true;\n"
		 "client_auth = \"optional\";\n"
		 "client_ca = \"%s\";\n"
		 "allow_static_rsa = true;\n"
		 "allow_no_ems = true;\n"
		 "session_cache = 5000;\n"
		 "session_ttl = 600;\n"
		 "tickets = true;\n"
		 "ticket_keys = [\"%s\", \"%s\"];\n"
		 "ticket_lifetime = 3600;\n"
		 "tls13_psk_ke = true;\n"
		 "routes = ( { sni = \"API.example.com\"; backend = \"api\"; },\n"
		 "           { sni = [\"*.static.example.com\", \"cdn.example.com\"]; backend = \"default\"; } );\n"
		 "backends = (\n"
		 "  { name = \"default\"; servers = [\"127.0.0.1:8080\", \"127.0.0.1:8081\"]; },\n"
		 "  { name = \"api\"; policy = \"least_conn\"; servers = [\"[::1]:9000\"]; }\n"
		 ");\n"
		 "proxy_protocol = \"v2\";\n"
		 "connect_retries = 3;\n"
		 "health_interval = 0;\n"
		 "timeouts = { connect = 1000; handshake = 5000; idle = 30000; drain = 2000; };\n"
		 "limits = { max_conns = 1000; max_conns_per_worker = 300; max_buffer = 65536; hs_queue = 512; };\n"
		 "records = { small = 1000; max = 8192; ramp_bytes = 65536; idle_ms = 500; };\n"
		 "accel = { backends = \"ipsecmb,evp\"; force = \"evp\"; };\n"
		 "admin = \"127.0.0.1:9443\";\n"
		 "log_level = \"debug\";\n"
		 "access_log = \"-\";\n"
		 "pid_file = \"/run/tlsgate.pid\";\n",
		 tpath("a.pem"), tpath("a.key"), tpath("b.pem"), tpath("b.key"),
		 tpath("ca.pem"), tpath("t1.key"), tpath("t0.key"));
	path = write_file("full.conf", text);
	TG_ASSERT_OK(load(path, &cfg));
	CU_ASSERT_STRING_EQUAL(cfg.config_path, path);
	CU_ASSERT_EQUAL_FATAL(cfg.n_listen, 2);
	CU_ASSERT_STRING_EQUAL(cfg.listen[0].text, "0.0.0.0:8443");
	CU_ASSERT_EQUAL(cfg.listen[0].sa.ss_family, AF_INET);
	CU_ASSERT_EQUAL(cfg.listen[0].salen, sizeof(struct sockaddr_in));
	CU_ASSERT_EQUAL(port_of(&cfg.listen[0]), 8443);
	CU_ASSERT_EQUAL(cfg.listen[1].sa.ss_family, AF_INET6);
	CU_ASSERT_EQUAL(cfg.workers, 4);
	CU_ASSERT_STRING_EQUAL(cfg.lcores, "0-4");
	CU_ASSERT_EQUAL_FATAL(cfg.n_certs, 2);
	CU_ASSERT_STRING_EQUAL(cfg.certs[0].cert, tpath("a.pem"));
	CU_ASSERT_STRING_EQUAL(cfg.certs[0].key, tpath("a.key"));
	CU_ASSERT_FALSE(cfg.certs[0].is_default);
	CU_ASSERT_STRING_EQUAL(cfg.certs[1].cert, tpath("b.pem"));
	CU_ASSERT_TRUE(cfg.certs[1].is_default);
	CU_ASSERT_STRING_EQUAL(cfg.suites,
			       "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384");
	CU_ASSERT_STRING_EQUAL(cfg.groups, "x25519:P-256");
	CU_ASSERT_STRING_EQUAL(cfg.sigalgs,
			       "ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256");
	CU_ASSERT_EQUAL_FATAL(cfg.n_alpn, 2);
	CU_ASSERT_STRING_EQUAL(cfg.alpn[0], "h2");
	CU_ASSERT_STRING_EQUAL(cfg.alpn[1], "http/1.1");
	CU_ASSERT_TRUE(cfg.alpn_required);
	CU_ASSERT_EQUAL(cfg.client_auth, TG_CFG_CLIENT_AUTH_OPTIONAL);
	CU_ASSERT_STRING_EQUAL(cfg.client_ca, tpath("ca.pem"));
	CU_ASSERT_TRUE(cfg.allow_static_rsa);
	CU_ASSERT_TRUE(cfg.allow_no_ems);
	CU_ASSERT_EQUAL(cfg.session_cache, 5000);
	CU_ASSERT_EQUAL(cfg.session_ttl_s, 600);
	CU_ASSERT_TRUE(cfg.tickets);
	CU_ASSERT_EQUAL_FATAL(cfg.n_ticket_keys, 2);
	CU_ASSERT_STRING_EQUAL(cfg.ticket_keys[0], tpath("t1.key"));
	CU_ASSERT_STRING_EQUAL(cfg.ticket_keys[1], tpath("t0.key"));
	CU_ASSERT_EQUAL(cfg.ticket_lifetime_s, 3600);
	CU_ASSERT_TRUE(cfg.tls13_psk_ke);
	CU_ASSERT_EQUAL_FATAL(cfg.backends.n_pools, 2);
	CU_ASSERT_STRING_EQUAL(cfg.backends.pools[0].name, "default");
	CU_ASSERT_EQUAL(cfg.backends.pools[0].policy, TG_LB_ROUND_ROBIN);
	CU_ASSERT_EQUAL_FATAL(cfg.backends.pools[0].n_be, 2);
	CU_ASSERT_STRING_EQUAL(cfg.backends.pools[0].be[1].text, "127.0.0.1:8081");
	CU_ASSERT_EQUAL(port_of(&cfg.backends.pools[0].be[1]), 8081);
	CU_ASSERT_STRING_EQUAL(cfg.backends.pools[1].name, "api");
	CU_ASSERT_EQUAL(cfg.backends.pools[1].policy, TG_LB_LEAST_CONN);
	CU_ASSERT_EQUAL_FATAL(cfg.backends.pools[1].n_be, 1);
	CU_ASSERT_EQUAL(cfg.backends.pools[1].be[0].sa.ss_family, AF_INET6);
	CU_ASSERT_EQUAL(port_of(&cfg.backends.pools[1].be[0]), 9000);
	/* routes come before backends in the file: resolved all the same */
	CU_ASSERT_EQUAL_FATAL(cfg.backends.n_routes, 3);
	CU_ASSERT_STRING_EQUAL(cfg.backends.routes[0].sni, "api.example.com");
	CU_ASSERT_EQUAL(cfg.backends.routes[0].pool, 1);
	CU_ASSERT_STRING_EQUAL(cfg.backends.routes[1].sni, "*.static.example.com");
	CU_ASSERT_EQUAL(cfg.backends.routes[1].pool, 0);
	CU_ASSERT_STRING_EQUAL(cfg.backends.routes[2].sni, "cdn.example.com");
	CU_ASSERT_EQUAL(cfg.flow.proxy_protocol, TG_PROXY_V2);
	CU_ASSERT_EQUAL(cfg.flow.connect_retries, 3);
	CU_ASSERT_EQUAL(cfg.health_interval_ms, 0);
	CU_ASSERT_EQUAL(cfg.flow.connect_timeout_ms, 1000);
	CU_ASSERT_EQUAL(cfg.flow.handshake_timeout_ms, 5000);
	CU_ASSERT_EQUAL(cfg.flow.idle_timeout_ms, 30000);
	CU_ASSERT_EQUAL(cfg.flow.drain_timeout_ms, 2000);
	CU_ASSERT_EQUAL(cfg.flow.max_conns, 1000);
	CU_ASSERT_EQUAL(cfg.flow.max_conns_per_worker, 300);
	CU_ASSERT_EQUAL(cfg.flow.max_buffer, 65536);
	CU_ASSERT_EQUAL(cfg.hs_queue, 512);
	CU_ASSERT_EQUAL(cfg.flow.record_small, 1000);
	CU_ASSERT_EQUAL(cfg.flow.record_max, 8192);
	CU_ASSERT_EQUAL(cfg.flow.record_ramp_bytes, 65536);
	CU_ASSERT_EQUAL(cfg.flow.record_idle_ms, 500);
	CU_ASSERT_STRING_EQUAL(cfg.accel_backends, "ipsecmb,evp");
	CU_ASSERT_STRING_EQUAL(cfg.accel_force, "evp");
	CU_ASSERT_STRING_EQUAL(cfg.admin.text, "127.0.0.1:9443");
	CU_ASSERT_EQUAL(port_of(&cfg.admin), 9443);
	CU_ASSERT_STRING_EQUAL(cfg.log_level, "debug");
	CU_ASSERT_STRING_EQUAL(cfg.access_log, "-");
	CU_ASSERT_STRING_EQUAL(cfg.pid_file, "/run/tlsgate.pid");
}

/** The shipped example file parses (with its paths pointing nowhere). */
static void test_example_file(void)
{
	struct tg_config cfg;
	struct capture ce;
	enum tg_config_action act;
	char *argv[] = { (char *)"tlsgate", (char *)"-c",
			 (char *)"../../app/tlsgate.conf.example",
			 (char *)"--check-config", NULL };
	tg_result r;

	if (access(argv[2], R_OK) != 0) {
		fprintf(stderr, "example file not found from %s\n", getcwd(msgs, 256));
		CU_FAIL("app/tlsgate.conf.example not found");
		return;
	}
	cap_begin(&ce, STDERR_FILENO);
	r = tg_config_parse(4, argv, &cfg, &act);
	cap_end(&ce, msgs, sizeof(msgs));
	/* Only the certificate files may be missing: the syntax and every
	 * setting name must be right. */
	CU_ASSERT_EQUAL(r.code, TG_E_IO);
	CU_ASSERT_PTR_NULL(strstr(msgs, "unknown setting"));
	CU_ASSERT_PTR_NULL(strstr(msgs, "must be"));
	ASSERT_MSG("cannot read it");
	CU_ASSERT(cfg.n_listen >= 1);
	CU_ASSERT(cfg.n_certs >= 1);
	CU_ASSERT(cfg.backends.pools[0].n_be >= 1);
}

static void test_flags_only(void)
{
	struct tg_config cfg;
	enum tg_config_action act;

	TG_ASSERT_OK(parse_args(&cfg, &act, "--listen", "127.0.0.1:8443",
				"--cert", tpath("a.pem"), "--key", tpath("a.key"),
				"--backend", "127.0.0.1:8080", NULL));
	CU_ASSERT_EQUAL(act, TG_ACTION_RUN);
	CU_ASSERT_STRING_EQUAL(msgs, "");
	CU_ASSERT_EQUAL_FATAL(cfg.n_listen, 1);
	CU_ASSERT_EQUAL(port_of(&cfg.listen[0]), 8443);
	CU_ASSERT_EQUAL_FATAL(cfg.n_certs, 1);
	CU_ASSERT_STRING_EQUAL(cfg.certs[0].cert, tpath("a.pem"));
	CU_ASSERT_STRING_EQUAL(cfg.certs[0].key, tpath("a.key"));
	CU_ASSERT_TRUE(cfg.certs[0].is_default);
	CU_ASSERT_EQUAL(cfg.backends.n_pools, 1);
	CU_ASSERT_EQUAL_FATAL(cfg.backends.pools[0].n_be, 1);
	CU_ASSERT_STRING_EQUAL(cfg.backends.pools[0].be[0].text, "127.0.0.1:8080");
	CU_ASSERT_EQUAL(cfg.flow.max_conns_per_worker, 10000);
	CU_ASSERT_STRING_EQUAL(cfg.config_path, "");

	/* Every other flag. */
	TG_ASSERT_OK(parse_args(&cfg, &act, "--listen", "*:8443",
		"--listen", "[::]:8443", "--cert", tpath("a.pem"),
		"--key", tpath("a.key"), "--cert", tpath("b.pem"),
		"--key", tpath("b.key"), "--backend", "127.0.0.1:8080",
		"--backend", "localhost:8081", "--workers", "3", "-l", "0-3",
		"--suites", "ECDHE-RSA-AES128-GCM-SHA256", "--groups", "P-384",
		"--sigalgs", "rsa_pkcs1_sha256", "--alpn", "h2,http/1.1",
		"--client-auth", "require", "--client-ca", tpath("ca.pem"),
		"--session-cache", "0", "--no-tickets", "--tls13-psk-ke",
		"--ticket-key", tpath("t0.key"), "--proxy-protocol", "v1",
		"--max-conns", "100", "--handshake-timeout", "111",
		"--idle-timeout", "222", "--connect-timeout", "333",
		"--admin", "127.0.0.1:9443", "--accel", "evp",
		"--accel-force", "evp", "--log-level", "warn",
		"--access-log", "/tmp/x.log", "--pid-file", "/tmp/x.pid", NULL));
	CU_ASSERT_EQUAL(cfg.n_listen, 2);
	CU_ASSERT_EQUAL(cfg.listen[0].sa.ss_family, AF_INET);
	CU_ASSERT_EQUAL(cfg.listen[1].sa.ss_family, AF_INET6);
	CU_ASSERT_EQUAL_FATAL(cfg.n_certs, 2);
	CU_ASSERT_STRING_EQUAL(cfg.certs[1].key, tpath("b.key"));
	CU_ASSERT_TRUE(cfg.certs[0].is_default);
	CU_ASSERT_FALSE(cfg.certs[1].is_default);
	CU_ASSERT_EQUAL(cfg.backends.pools[0].n_be, 2);
	CU_ASSERT_EQUAL(port_of(&cfg.backends.pools[0].be[1]), 8081);
	CU_ASSERT_EQUAL(cfg.workers, 3);
	CU_ASSERT_STRING_EQUAL(cfg.lcores, "0-3");
	CU_ASSERT_STRING_EQUAL(cfg.suites, "ECDHE-RSA-AES128-GCM-SHA256");
	CU_ASSERT_STRING_EQUAL(cfg.groups, "P-384");
	CU_ASSERT_STRING_EQUAL(cfg.sigalgs, "rsa_pkcs1_sha256");
	CU_ASSERT_EQUAL(cfg.n_alpn, 2);
	CU_ASSERT_STRING_EQUAL(cfg.alpn[1], "http/1.1");
	CU_ASSERT_EQUAL(cfg.client_auth, TG_CFG_CLIENT_AUTH_REQUIRE);
	CU_ASSERT_STRING_EQUAL(cfg.client_ca, tpath("ca.pem"));
	CU_ASSERT_EQUAL(cfg.session_cache, 0);
	CU_ASSERT_FALSE(cfg.tickets);
	CU_ASSERT_TRUE(cfg.tls13_psk_ke);
	CU_ASSERT_EQUAL(cfg.n_ticket_keys, 1);
	CU_ASSERT_EQUAL(cfg.flow.proxy_protocol, TG_PROXY_V1);
	CU_ASSERT_EQUAL(cfg.flow.max_conns, 100);
	CU_ASSERT_EQUAL(cfg.flow.max_conns_per_worker, 34); /* ceil(100 / 3) */
	CU_ASSERT_EQUAL(cfg.flow.handshake_timeout_ms, 111);
	CU_ASSERT_EQUAL(cfg.flow.idle_timeout_ms, 222);
	CU_ASSERT_EQUAL(cfg.flow.connect_timeout_ms, 333);
	CU_ASSERT_STRING_EQUAL(cfg.admin.text, "127.0.0.1:9443");
	CU_ASSERT_STRING_EQUAL(cfg.accel_backends, "evp");
	CU_ASSERT_STRING_EQUAL(cfg.accel_force, "evp");
	CU_ASSERT_STRING_EQUAL(cfg.log_level, "warn");
	CU_ASSERT_STRING_EQUAL(cfg.access_log, "/tmp/x.log");
	CU_ASSERT_STRING_EQUAL(cfg.pid_file, "/tmp/x.pid");
}

static void test_flags_override_file(void)
{
	struct tg_config cfg;
	enum tg_config_action act;
	char text[2048];
	const char *path;

	snprintf(text, sizeof(text),
		 "listen = [\"127.0.0.1:1000\", \"127.0.0.1:1001\"];\n"
		 "workers = 2;\n"
		 "certificates = ( { cert = \"%s\"; key = \"%s\"; } );\n"
		 "backends = ( { servers = [\"127.0.0.1:2000\"]; },\n"
		 "             { name = \"api\"; servers = [\"127.0.0.1:3000\"]; } );\n"
		 "routes = ( { sni = \"api.example.com\"; backend = \"api\"; } );\n"
		 "tickets = true;\n"
		 "timeouts = { idle = 1234; };\n"
		 "limits = { max_conns = 50; };\n",
		 tpath("a.pem"), tpath("a.key"));
	path = write_file("override.conf", text);

	/* The file alone. */
	TG_ASSERT_OK(parse_args(&cfg, &act, "-c", path, NULL));
	CU_ASSERT_EQUAL(cfg.n_listen, 2);
	CU_ASSERT_EQUAL(cfg.workers, 2);
	CU_ASSERT_EQUAL(cfg.flow.max_conns_per_worker, 25);
	CU_ASSERT_STRING_EQUAL(cfg.backends.pools[0].name, "default");

	/* Flags win; list flags replace the file's list. Flag order does not
	 * matter relative to -c. */
	TG_ASSERT_OK(parse_args(&cfg, &act, "--workers", "5",
		"--listen", "127.0.0.1:4000", "--config", path,
		"--backend", "127.0.0.1:5000", "--backend", "127.0.0.1:5001",
		"--cert", tpath("b.pem"), "--key", tpath("b.key"),
		"--no-tickets", "--idle-timeout", "99", NULL));
	CU_ASSERT_STRING_EQUAL(cfg.config_path, path);
	CU_ASSERT_EQUAL(cfg.workers, 5);
	CU_ASSERT_EQUAL_FATAL(cfg.n_listen, 1);
	CU_ASSERT_EQUAL(port_of(&cfg.listen[0]), 4000);
	CU_ASSERT_EQUAL_FATAL(cfg.n_certs, 1);
	CU_ASSERT_STRING_EQUAL(cfg.certs[0].cert, tpath("b.pem"));
	CU_ASSERT_EQUAL_FATAL(cfg.backends.n_pools, 2); /* other pools stay */
	CU_ASSERT_EQUAL_FATAL(cfg.backends.pools[0].n_be, 2);
	CU_ASSERT_EQUAL(port_of(&cfg.backends.pools[0].be[0]), 5000);
	CU_ASSERT_EQUAL(cfg.backends.pools[1].n_be, 1);
	CU_ASSERT_EQUAL(cfg.backends.n_routes, 1);
	CU_ASSERT_FALSE(cfg.tickets);
	CU_ASSERT_EQUAL(cfg.flow.idle_timeout_ms, 99);
	CU_ASSERT_EQUAL(cfg.flow.handshake_timeout_ms, 10000); /* default kept */
	CU_ASSERT_EQUAL(cfg.flow.max_conns, 50);
	CU_ASSERT_EQUAL(cfg.flow.max_conns_per_worker, 10); /* ceil(50 / 5) */
}

static void test_actions(void)
{
	struct tg_config cfg;
	enum tg_config_action act;
	const char *path = base_file("check.conf", "workers = 2;\n");

	TG_ASSERT_OK(parse_args(&cfg, &act, "--help", NULL));
	CU_ASSERT_EQUAL(act, TG_ACTION_HELP);
	CU_ASSERT_PTR_NOT_NULL(strstr(outs, "Usage: tlsgate"));
	CU_ASSERT_PTR_NOT_NULL(strstr(outs, "docs/configuration.md"));
	/* -h wins over anything else on the line, even a bad flag */
	TG_ASSERT_OK(parse_args(&cfg, &act, "--bogus", "-h", NULL));
	CU_ASSERT_EQUAL(act, TG_ACTION_HELP);

	TG_ASSERT_OK(parse_args(&cfg, &act, "--version", NULL));
	CU_ASSERT_EQUAL(act, TG_ACTION_VERSION);
	CU_ASSERT_PTR_NOT_NULL(strstr(outs, "tlsgate "));

	TG_ASSERT_OK(parse_args(&cfg, &act, "--check-config", "-c", path, NULL));
	CU_ASSERT_EQUAL(act, TG_ACTION_CHECK);
	/* the summary comes once the files have loaded (app/main.c) */
	CU_ASSERT_PTR_NULL(strstr(outs, "configuration OK"));
	{
		struct capture co;

		cap_begin(&co, STDOUT_FILENO);
		tg_config_print_summary(&cfg);
		cap_end(&co, outs, sizeof(outs));
	}
	CU_ASSERT_PTR_NOT_NULL(strstr(outs, "configuration OK"));
	CU_ASSERT_PTR_NOT_NULL(strstr(outs, "127.0.0.1:8443"));
	CU_ASSERT_PTR_NOT_NULL(strstr(outs, "127.0.0.1:8080"));
	CU_ASSERT_PTR_NOT_NULL(strstr(outs, "workers:  2"));

	/* --check-config on a bad config: error, no "OK". */
	TG_ASSERT_ERR(parse_args(&cfg, &act, "--check-config", "--listen",
				 "127.0.0.1:1", NULL), TG_E_INVAL);
	CU_ASSERT_EQUAL(act, TG_ACTION_CHECK);
	CU_ASSERT_PTR_NULL(strstr(outs, "configuration OK"));

	/* stats subcommand */
	TG_ASSERT_OK(parse_args(&cfg, &act, "stats", "--admin",
				"127.0.0.1:9443", NULL));
	CU_ASSERT_EQUAL(act, TG_ACTION_STATS);
	CU_ASSERT_STRING_EQUAL(cfg.admin.text, "127.0.0.1:9443");
	CU_ASSERT_EQUAL(port_of(&cfg.admin), 9443);
	TG_ASSERT_ERR(parse_args(&cfg, &act, "stats", NULL), TG_E_INVAL);
	CU_ASSERT_EQUAL(act, TG_ACTION_STATS);
	ASSERT_MSG("--admin ADDR");
	path = base_file("stats.conf", "admin = \"127.0.0.1:9555\";\n");
	TG_ASSERT_OK(parse_args(&cfg, &act, "stats", "-c", path, NULL));
	CU_ASSERT_EQUAL(port_of(&cfg.admin), 9555);
	TG_ASSERT_ERR(parse_args(&cfg, &act, "stats", "--admin", "x", NULL),
		      TG_E_INVAL);
	ASSERT_MSG("--admin 'x': missing port");
}

static void test_addresses(void)
{
	struct tg_config cfg;
	enum tg_config_action act;
	const char *cert[] = { "--cert", tpath("a.pem"), "--key", tpath("a.key") };

	TG_ASSERT_OK(parse_args(&cfg, &act, "--listen", ":8443", "--listen",
		"[::1]:8444", "--listen", "[*]:8445", cert[0], cert[1], cert[2],
		cert[3], "--backend", "[::1]:80", NULL));
	CU_ASSERT_EQUAL(cfg.listen[0].sa.ss_family, AF_INET);
	CU_ASSERT_EQUAL(((struct sockaddr_in *)&cfg.listen[0].sa)->sin_addr.s_addr,
			htonl(INADDR_ANY));
	CU_ASSERT_EQUAL(cfg.listen[1].sa.ss_family, AF_INET6);
	CU_ASSERT_EQUAL(cfg.listen[2].sa.ss_family, AF_INET6);
	CU_ASSERT_EQUAL(port_of(&cfg.listen[2]), 8445);

	TG_ASSERT_ERR(parse_args(&cfg, &act, "--backend", "foo", NULL),
		      TG_E_INVAL);
	ASSERT_MSG("--backend 'foo': missing port");
	TG_ASSERT_ERR(parse_args(&cfg, &act, "--listen", "1.2.3.4:99999", NULL),
		      TG_E_INVAL);
	ASSERT_MSG("--listen '1.2.3.4:99999': port out of range");
	TG_ASSERT_ERR(parse_args(&cfg, &act, "--listen", "1.2.3.4:0", NULL),
		      TG_E_INVAL);
	ASSERT_MSG("port out of range");
	TG_ASSERT_ERR(parse_args(&cfg, &act, "--listen", "1.2.3.4:https", NULL),
		      TG_E_INVAL);
	ASSERT_MSG("is not a number");
	TG_ASSERT_ERR(parse_args(&cfg, &act, "--listen", "::1:8443", NULL),
		      TG_E_INVAL);
	ASSERT_MSG("need brackets");
	TG_ASSERT_ERR(parse_args(&cfg, &act, "--listen", "[::1]", NULL),
		      TG_E_INVAL);
	ASSERT_MSG("missing port");
	TG_ASSERT_ERR(parse_args(&cfg, &act, "--listen", "[1.2.3.4]:80", NULL),
		      TG_E_INVAL);
	ASSERT_MSG("not an IPv6 address");
	TG_ASSERT_ERR(parse_args(&cfg, &act, "--listen", "300.1.1.1:80", NULL),
		      TG_E_INVAL);
	ASSERT_MSG("not an IP address");
	TG_ASSERT_ERR(parse_args(&cfg, &act, "--listen", "example.com:80", NULL),
		      TG_E_INVAL);
	ASSERT_MSG("listen addresses are numeric");
	TG_ASSERT_ERR(parse_args(&cfg, &act, "--backend", "*:80", NULL),
		      TG_E_INVAL);
	ASSERT_MSG("wildcard");
	TG_ASSERT_ERR(parse_args(&cfg, &act, "--backend", "bad host!:80", NULL),
		      TG_E_INVAL);
	ASSERT_MSG("not an IP address or a host name");
}

static void test_err_syntax(void)
{
	struct tg_config cfg;
	enum tg_config_action act;
	const char *path = write_file("syntax.conf",
				      "listen = \"127.0.0.1:8443\";\n"
				      "workers = 2;\n"
				      "suites = = \"x\";\n"
				      "tickets = true;\n");
	char want[300];

	TG_ASSERT_ERR(load(path, &cfg), TG_E_DECODE);
	snprintf(want, sizeof(want), "%s:3: ", path);
	ASSERT_MSG(want);
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, NULL), TG_E_DECODE);
	ASSERT_MSG(want);
	/* a missing file */
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", tpath("nope.conf"), NULL),
		      TG_E_IO);
	ASSERT_MSG("cannot read the config file");
}

static void test_err_unknown(void)
{
	struct tg_config cfg;
	const char *path = base_file("unknown.conf",
				     "worker = 2;\n"
				     "timeouts = { idel = 10; };\n"
				     "max_conns_per_worker = 5;\n"
				     "routes = ( { sni = \"a.b\"; backend = \"default\"; port = 1; } );\n");
	char want[300];

	TG_ASSERT_ERR(load(path, &cfg), TG_E_DECODE);
	snprintf(want, sizeof(want), "%s:4: unknown setting 'worker' (did you mean 'workers'?)",
		 path);
	ASSERT_MSG(want);
	snprintf(want, sizeof(want), "%s:5: unknown setting 'idel' in timeouts (did you mean 'idle'?)",
		 path);
	ASSERT_MSG(want);
	snprintf(want, sizeof(want), "%s:6: unknown setting 'max_conns_per_worker' (did you mean 'max_conns_per_worker' inside limits",
		 path);
	ASSERT_MSG(want);
	snprintf(want, sizeof(want), "%s:7: unknown setting 'port' in routes[0] (allowed: sni, backend)",
		 path);
	ASSERT_MSG(want);
	ASSERT_MSG("4 errors");
}

static void test_err_types(void)
{
	struct tg_config cfg;
	const char *path = base_file("types.conf",
				     "workers = \"2\";\n"
				     "tickets = 1;\n"
				     "suites = 5;\n"
				     "timeouts = 3000;\n"
				     "session_cache = 1.5;\n"
				     "alpn = [1, 2];\n"
				     "workers = 0;\n");
	char want[300];

	TG_ASSERT_ERR(load(path, &cfg), TG_E_DECODE);
	/* the duplicate 'workers' is a libconfig parse error on line 10 */
	snprintf(want, sizeof(want), "%s:10: ", path);
	ASSERT_MSG(want);

	path = base_file("types.conf",
			 "workers = \"2\";\n"
			 "tickets = 1;\n"
			 "suites = 5;\n"
			 "timeouts = 3000;\n"
			 "session_cache = 1.5;\n"
			 "alpn = [1, 2];\n"
			 "ticket_keys = 5;\n"
			 "limits = { max_conns = -1; };\n");
	TG_ASSERT_ERR(load(path, &cfg), TG_E_DECODE);
	snprintf(want, sizeof(want), "%s:4: 'workers' must be an integer, not a string",
		 path);
	ASSERT_MSG(want);
	snprintf(want, sizeof(want), "%s:5: 'tickets' must be true or false, not an integer",
		 path);
	ASSERT_MSG(want);
	snprintf(want, sizeof(want), "%s:6: 'suites' must be a string", path);
	ASSERT_MSG(want);
	snprintf(want, sizeof(want), "%s:7: 'timeouts' must be a group", path);
	ASSERT_MSG(want);
	snprintf(want, sizeof(want), "%s:8: 'session_cache' must be an integer, not a decimal",
		 path);
	ASSERT_MSG(want);
	snprintf(want, sizeof(want), "%s:9: 'alpn' entries must be strings", path);
	ASSERT_MSG(want);
	snprintf(want, sizeof(want), "%s:10: 'ticket_keys' must be a string or an array", path);
	ASSERT_MSG(want);
	snprintf(want, sizeof(want), "%s:11: 'limits.max_conns' = -1 is out of range",
		 path);
	ASSERT_MSG(want);
}

static void test_err_addresses_file(void)
{
	struct tg_config cfg;
	const char *path = base_file("addr.conf",
				     "admin = \"127.0.0.1\";\n"
				     "routes = ( { sni = \"a.com\"; backend = \"default\"; } );\n");
	char want[300];

	TG_ASSERT_ERR(load(path, &cfg), TG_E_DECODE);
	snprintf(want, sizeof(want), "%s:4: admin '127.0.0.1': missing port", path);
	ASSERT_MSG(want);

	path = write_file("addr2.conf",
			  "listen = [\"1.2.3.4:99999\"];\n"
			  "backends = ( { servers = [\"127.0.0.1:1\",\n"
			  "                          \"foo\"]; } );\n");
	TG_ASSERT_ERR(load(path, &cfg), TG_E_DECODE);
	snprintf(want, sizeof(want), "%s:1: listen '1.2.3.4:99999': port out of range",
		 path);
	ASSERT_MSG(want);
	snprintf(want, sizeof(want), "%s:3: backend 'foo': missing port", path);
	ASSERT_MSG(want);
}

static void test_err_suites(void)
{
	struct tg_config cfg;
	enum tg_config_action act;
	const char *path = base_file("suite.conf",
				     "suites = \"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-FOO\";\n");

	TG_ASSERT_ERR(load(path, &cfg), TG_E_INVAL);
	ASSERT_MSG("unknown cipher suite 'ECDHE-FOO'");
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, "--groups", "x448",
				 "--sigalgs", "rsa_md5", NULL), TG_E_INVAL);
	ASSERT_MSG("unknown group 'x448'");
	ASSERT_MSG("unknown signature algorithm 'rsa_md5'");
	/* flags fix the file's bad list */
	TG_ASSERT_OK(parse_args(&cfg, &act, "-c", path, "--suites",
				"ECDHE-RSA-CHACHA20-POLY1305", NULL));
	/* static RSA needs allow_static_rsa */
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, "--suites",
				 "AES128-GCM-SHA256", NULL), TG_E_INVAL);
	ASSERT_MSG("allow_static_rsa");
	/* ALPN */
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, "--alpn",
				 "h2,,http/1.1", NULL), TG_E_INVAL);
	ASSERT_MSG("empty ALPN protocol name");
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, "--alpn",
				 "a-protocol-name-of-32-bytes-long", NULL),
		      TG_E_INVAL);
	ASSERT_MSG("longer than 31 bytes");
}

/* ASSERT_MSG of "PATH:LINE: TEXT" (an error located in a config file). */
#define ASSERT_MSG_AT(path, line, text)                                        \
	do {                                                                   \
		char at_[600];                                                 \
                                                                               \
		snprintf(at_, sizeof(at_), "%s:%d: %s", (path), (line), (text)); \
		ASSERT_MSG(at_);                                               \
	} while (0)

/* Errors found after parsing (lists, files, cross-setting rules) carry
 * the file:line of the setting, or the flag that set it last. */
static void test_err_locations(void)
{
	struct tg_config cfg;
	enum tg_config_action act;
	/* base_file: lines 1-3; the settings below are lines 4.. */
	const char *path = base_file("where.conf",
				     "suites = \"ECDHE-FOO\";\n"           /* 4 */
				     "client_auth = \"require\";\n"        /* 5 */
				     "limits = { hs_queue = 1000; };\n"     /* 6 */
				     "lcores = \"x\";\n"                    /* 7 */
				     "ticket_keys = [\"/nonexistent.key\"];\n" /* 8 */
				     "timeouts = {\n  idle = 1;\n};\n");    /* 9-11 */

	TG_ASSERT_ERR(load(path, &cfg), TG_E_INVAL);
	ASSERT_MSG_AT(path, 4, "suites \"ECDHE-FOO\"");
	ASSERT_MSG_AT(path, 5, "client_auth is require but no client_ca");
	ASSERT_MSG_AT(path, 6, "limits.hs_queue = 1000");
	ASSERT_MSG_AT(path, 7, "lcores 'x'");
	ASSERT_MSG_AT(path, 8, "ticket key '/nonexistent.key'");

	/* a flag overrides the file: the error names the flag */
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, "--suites", "BAR",
				 "--lcores", "y", NULL), TG_E_INVAL);
	ASSERT_MSG("--suites: suites \"BAR\"");
	ASSERT_MSG("--lcores: lcores 'y'");
	ASSERT_MSG_AT(path, 6, "limits.hs_queue"); /* still from the file */

	/* list entries: the line of the entry (a missing key file) */
	path = write_file("where2.conf",
			  "listen = \"127.0.0.1:8443\";\n"
			  "backends = [\"127.0.0.1:8080\"];\n"
			  "certificates = (\n"
			  "  { cert = \"/nonexistent-a.pem\"; key = \"/nonexistent-a.key\"; },\n" /* 4 */
			  "  { cert = \"/nonexistent-b.pem\"; key = \"/nonexistent-b.key\"; default = true; },\n" /* 5 */
			  "  { cert = \"/nonexistent-c.pem\"; key = \"/nonexistent-c.key\"; default = true; }\n" /* 6 */
			  ");\n");
	TG_ASSERT_ERR(load(path, &cfg), TG_E_INVAL);
	ASSERT_MSG_AT(path, 5, "certificate '/nonexistent-b.pem'");
	ASSERT_MSG_AT(path, 6, "key '/nonexistent-c.key'");
	ASSERT_MSG_AT(path, 3, "2 certificates are marked default");
	/* a --cert replaces the file's list; its errors name --cert */
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, "--cert",
				 "/nonexistent-d.pem", "--key", "/nonexistent-d.key",
				 NULL), TG_E_IO);
	ASSERT_MSG("--cert: certificate '/nonexistent-d.pem'");
}

static void test_err_routes(void)
{
	struct tg_config cfg;
	const char *path = base_file("route.conf",
				     "routes = ( { sni = \"api.example.com\"; backend = \"api\"; } );\n");
	char want[300];

	TG_ASSERT_ERR(load(path, &cfg), TG_E_DECODE);
	snprintf(want, sizeof(want),
		 "%s:4: route to backend 'api': no pool has that name (defined: 'default')",
		 path);
	ASSERT_MSG(want);

	path = base_file("route2.conf",
			 "routes = ( { sni = \"a*.example.com\"; backend = \"default\"; } );\n");
	TG_ASSERT_ERR(load(path, &cfg), TG_E_DECODE);
	ASSERT_MSG("sni 'a*.example.com'");

	/* a programmatic config with a dangling pool index */
	path = base_file("route3.conf", "");
	TG_ASSERT_OK(load(path, &cfg));
	strcpy(cfg.backends.routes[0].sni, "x.example.com");
	cfg.backends.routes[0].pool = 3;
	cfg.backends.n_routes = 1;
	TG_ASSERT_ERR(validate(&cfg), TG_E_INVAL);
	ASSERT_MSG("route 'x.example.com' points to backend pool 3");
}

static void test_err_certs(void)
{
	struct tg_config cfg;
	enum tg_config_action act;
	const char *path;
	char want[300], text[2048];

	/* unreadable key */
	TG_ASSERT_ERR(parse_args(&cfg, &act, "--listen", "127.0.0.1:8443",
		"--cert", tpath("a.pem"), "--key", tpath("missing.key"),
		"--backend", "127.0.0.1:8080", NULL), TG_E_IO);
	snprintf(want, sizeof(want), "key '%s': cannot read it: No such file",
		 tpath("missing.key"));
	ASSERT_MSG(want);
	/* cert without key, on the command line */
	TG_ASSERT_ERR(parse_args(&cfg, &act, "--listen", "127.0.0.1:8443",
		"--cert", tpath("a.pem"), "--backend", "127.0.0.1:8080", NULL),
		TG_E_INVAL);
	ASSERT_MSG("has no --key");
	TG_ASSERT_ERR(parse_args(&cfg, &act, "--cert", tpath("a.pem"),
		"--cert", tpath("b.pem"), "--key", tpath("b.key"), NULL),
		TG_E_INVAL);
	ASSERT_MSG("has no --key");
	TG_ASSERT_ERR(parse_args(&cfg, &act, "--key", tpath("a.key"), NULL),
		      TG_E_INVAL);
	ASSERT_MSG("has no --cert before it");
	/* cert without key, in the file */
	path = write_file("nokey.conf",
			  "listen = \"127.0.0.1:8443\";\n"
			  "certificates = ( { cert = \"a.pem\"; } );\n");
	TG_ASSERT_ERR(load(path, &cfg), TG_E_DECODE);
	snprintf(want, sizeof(want), "%s:2: certificate 'a.pem' has no key", path);
	ASSERT_MSG(want);
	/* cert without key, programmatic */
	tg_config_defaults(&cfg);
	strcpy(cfg.certs[0].cert, tpath("a.pem"));
	cfg.n_certs = 1;
	TG_ASSERT_ERR(validate(&cfg), TG_E_INVAL);
	ASSERT_MSG("has no key");
	/* ticket key unreadable alone: not a usage error */
	path = base_file("tkey.conf",
			 "ticket_keys = [\"/nonexistent/t.key\"];\n");
	TG_ASSERT_ERR(load(path, &cfg), TG_E_IO);
	ASSERT_MSG("ticket key '/nonexistent/t.key': cannot read it");
	/* client_auth without a CA */
	path = base_file("noca.conf", "client_auth = \"require\";\n");
	TG_ASSERT_ERR(load(path, &cfg), TG_E_INVAL);
	ASSERT_MSG("no client_ca");
	/* two default certificates */
	snprintf(text, sizeof(text),
		 "listen = \"127.0.0.1:8443\";\n"
		 "backends = \"127.0.0.1:8080\";\n"
		 "certificates = ( { cert = \"%s\"; key = \"%s\"; default = true; },\n"
		 "                 { cert = \"%s\"; key = \"%s\"; default = true; } );\n",
		 tpath("a.pem"), tpath("a.key"), tpath("b.pem"), tpath("b.key"));
	TG_ASSERT_ERR(load(write_file("twodef.conf", text), &cfg), TG_E_INVAL);
	ASSERT_MSG("2 certificates are marked default = true: keep one");
}

static void test_err_workers_and_limits(void)
{
	struct tg_config cfg;
	enum tg_config_action act;
	const char *path = base_file("limits.conf", "");
	char want[300];

	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, "--workers", "0", NULL),
		      TG_E_INVAL);
	ASSERT_MSG("--workers '0': expected a whole number from 1 to 128");
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, "--workers", "-3", NULL),
		      TG_E_INVAL);
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, "--workers", "2x", NULL),
		      TG_E_INVAL);
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, "--bogus", NULL),
		      TG_E_INVAL);
	ASSERT_MSG("try 'tlsgate --help'");
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, "extra", NULL),
		      TG_E_INVAL);
	ASSERT_MSG("unexpected argument 'extra'");

	/* accel backends: a list of known names, or default / all alone */
	TG_ASSERT_OK(parse_args(&cfg, &act, "-c", path, "--accel", "default", NULL));
	TG_ASSERT_OK(parse_args(&cfg, &act, "-c", path, "--accel", "all", NULL));
	TG_ASSERT_OK(parse_args(&cfg, &act, "-c", path, "--accel", "evp,cryptodev:crypto_openssl", NULL));
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, "--accel", "evp,default", NULL),
		      TG_E_INVAL);
	ASSERT_MSG("default and all stand alone");
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, "--accel", "all,evp", NULL),
		      TG_E_INVAL);
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, "--accel", "evp,nosuch", NULL),
		      TG_E_INVAL);
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, "--accel-force", "all", NULL),
		      TG_E_INVAL);
	ASSERT_MSG("accel force 'all'");

	/* an explicit per-worker limit stays; too high is an error */
	path = base_file("perworker.conf", "limits = { max_conns = 100; max_conns_per_worker = 60; };\n");
	TG_ASSERT_OK(parse_args(&cfg, &act, "-c", path, "--workers", "4", NULL));
	CU_ASSERT_EQUAL(cfg.flow.max_conns_per_worker, 60);
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, "--max-conns", "50", NULL),
		      TG_E_INVAL);
	ASSERT_MSG("max_conns_per_worker (60) is above limits.max_conns (50)");
	/* a list of strings is the default pool too; hints for flag-like names */
	path = write_file("short.conf",
			  "backends = (\"127.0.0.1:1\", \"127.0.0.1:2\");\n"
			  "idle_timeout = 5;\n");
	TG_ASSERT_ERR(load(path, &cfg), TG_E_DECODE);
	ASSERT_MSG("unknown setting 'idle_timeout' (did you mean 'idle' inside timeouts");
	CU_ASSERT_EQUAL(cfg.backends.pools[0].n_be, 2);

	path = base_file("workers0.conf", "workers = 0;\n");
	TG_ASSERT_ERR(load(path, &cfg), TG_E_DECODE);
	snprintf(want, sizeof(want), "%s:4: 'workers' = 0 is out of range: use 1..128",
		 path);
	ASSERT_MSG(want);

	/* validate catches what a program sets directly */
	TG_ASSERT_OK(load(base_file("ok.conf", ""), &cfg));
	cfg.workers = 0;
	cfg.flow.idle_timeout_ms = 0;
	cfg.flow.record_small = 100;
	cfg.flow.record_max = 20000;
	cfg.hs_queue = 1000;
	cfg.flow.max_buffer = 1024;
	cfg.flow.max_conns_per_worker = cfg.flow.max_conns + 1;
	strcpy(cfg.log_level, "verbose");
	TG_ASSERT_ERR(validate(&cfg), TG_E_INVAL);
	ASSERT_MSG("workers = 0 is out of range: use 1..128");
	ASSERT_MSG("timeouts.idle = 0 ms");
	ASSERT_MSG("records.small = 100");
	ASSERT_MSG("records.max = 20000");
	ASSERT_MSG("limits.hs_queue = 1000: use a power of two");
	ASSERT_MSG("limits.max_buffer = 1024");
	ASSERT_MSG("log_level 'verbose'");

	TG_ASSERT_OK(load(base_file("ok.conf", ""), &cfg));
	cfg.flow.record_small = 4096;
	cfg.flow.record_max = 2048;
	TG_ASSERT_ERR(validate(&cfg), TG_E_INVAL);
	ASSERT_MSG("records.small = 4096");
}

/* ---- the settings table ------------------------------------------------ */

/** Read a whole file (NULL when it cannot be read); free() it. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/** Report a table problem with the setting's name, and fail. */
#define TABLE_FAIL(s, what)                                                    \
	do {                                                                   \
		fprintf(stderr, "setting %s (--%s): %s\n",                     \
			(s)->key ? (s)->key : "-", (s)->flag ? (s)->flag : "-",  \
			(what));                                               \
		CU_FAIL(what);                                                 \
	} while (0)

/** The file line that sets @p s to its sample: "timeouts = { idle = 5; };". */
static void sample_line(const struct tg_setting *s, char *buf, size_t cap)
{
	const char *dot = strchr(s->key, '.');
	bool quote = s->type == TG_SET_STR || s->type == TG_SET_ENUM;
	char val[600];

	if (s->type == TG_SET_FN) {
		snprintf(buf, cap, "%s\n", s->example);
		return;
	}
	snprintf(val, sizeof(val), "%s%s%s", quote ? "\"" : "", s->sample,
		 quote ? "\"" : "");
	if (dot != NULL)
		snprintf(buf, cap, "%.*s = { %s = %s; };\n", (int)(dot - s->key),
			 s->key, dot + 1, val);
	else
		snprintf(buf, cap, "%s = %s;\n", s->key, val);
}

/**
 * After @p cfg was read with @p s set to its sample (by its flag or its
 * file key): the field is no longer the default, and holds the sample.
 */
static void assert_sample_set(const struct tg_setting *s,
			      const struct tg_config *cfg, const char *how)
{
	struct tg_config def;
	const char *field = (const char *)cfg + s->off;
	char what[160];

	tg_config_defaults(&def);
	snprintf(what, sizeof(what), "%s left the field at its default", how);
	if (memcmp(field, (const char *)&def + s->off, s->size) == 0)
		TABLE_FAIL(s, what);
	snprintf(what, sizeof(what), "%s did not store the sample", how);
	switch (s->type) {
	case TG_SET_UINT: {
		unsigned v;

		memcpy(&v, field, sizeof(v));
		if (v != strtoul(s->sample, NULL, 10))
			TABLE_FAIL(s, what);
		break;
	}
	case TG_SET_BOOL: {
		bool v;

		memcpy(&v, field, sizeof(v));
		if (v != !s->def)
			TABLE_FAIL(s, what);
		break;
	}
	case TG_SET_STR:
		if (strcmp(field, s->sample) != 0)
			TABLE_FAIL(s, what);
		break;
	case TG_SET_ENUM: {
		int v, want = -1;

		memcpy(&v, field, sizeof(v));
		if (!tg_cfg_enum_parse(s->names, s->sample, &want) || v != want)
			TABLE_FAIL(s, what);
		break;
	}
	default:
		break;
	}
}

/* Every entry of the settings table is whole: help, a default in its
 * range, a sample; its flag is in the getopt table and sets the field;
 * its file key is read and sets the field; both are where the errors
 * say they are. A setting cannot be half added. */
static void test_table(void)
{
	CU_ASSERT_FATAL(tg_n_settings > 40 && tg_n_settings <= TG_CFG_MAX_SETTINGS);
	for (unsigned i = 0; i < tg_n_settings; i++) {
		const struct tg_setting *s = &tg_settings[i];
		struct tg_config cfg;
		enum tg_config_action act;
		char where[600], want[600];

		if (s->help == NULL || s->help[0] == '\0')
			TABLE_FAIL(s, "no help text");
		if (s->key == NULL && s->flag == NULL)
			TABLE_FAIL(s, "neither a file key nor a flag");
		if ((unsigned)s->section >= TG_SEC__COUNT)
			TABLE_FAIL(s, "no section");
		for (unsigned j = 0; j < i; j++) {
			const struct tg_setting *o = &tg_settings[j];

			if (s->key && o->key && strcmp(s->key, o->key) == 0)
				TABLE_FAIL(s, "file key twice in the table");
			if (s->flag && o->flag && strcmp(s->flag, o->flag) == 0)
				TABLE_FAIL(s, "flag twice in the table");
			if (s->short_flag && s->short_flag == o->short_flag)
				TABLE_FAIL(s, "short flag twice in the table");
		}
		if (s->type == TG_SET_EARLY) {
			if (s->key != NULL || s->flag == NULL)
				TABLE_FAIL(s, "an early flag is a flag only");
			continue;
		}
		/* a flag takes an argument unless it turns a boolean over */
		if (s->flag != NULL && (s->arg == NULL) != (s->type == TG_SET_BOOL))
			TABLE_FAIL(s, "flag argument does not fit the type");
		switch (s->type) {
		case TG_SET_UINT: {
			unsigned v;

			if (s->size != sizeof(unsigned) || s->min > s->max ||
			    s->max > UINT_MAX)
				TABLE_FAIL(s, "bad range or field");
			if (!(s->def >= s->min && s->def <= s->max) &&
			    !(s->def == 0 && (s->opts & TG_SET_O_AUTO) &&
			      s->def_text != NULL))
				TABLE_FAIL(s, "default outside the range");
			if ((s->opts & TG_SET_O_POW2) && (s->def & (s->def - 1)))
				TABLE_FAIL(s, "default is not a power of two");
			if (s->sample == NULL ||
			    !tg_cfg_parse_uint(s->sample, s->min, s->max, &v))
				TABLE_FAIL(s, "sample outside the range");
			break;
		}
		case TG_SET_BOOL:
			if (s->size != sizeof(bool) || s->def > 1)
				TABLE_FAIL(s, "bad boolean");
			break;
		case TG_SET_ENUM: {
			int v;

			if (s->names == NULL ||
			    strcmp(tg_cfg_enum_str(s->names, (int)s->def), "?") == 0)
				TABLE_FAIL(s, "default is no name of the enumeration");
			if (s->sample == NULL || !tg_cfg_enum_parse(s->names, s->sample, &v))
				TABLE_FAIL(s, "sample is no name of the enumeration");
			break;
		}
		case TG_SET_STR:
			if (s->def_str == NULL || strlen(s->def_str) >= s->size)
				TABLE_FAIL(s, "default missing or longer than the field");
			if (s->accept != NULL && s->accept(s->def_str) != NULL)
				TABLE_FAIL(s, "default not accepted");
			if (s->sample == NULL || strlen(s->sample) >= s->size)
				TABLE_FAIL(s, "sample missing or longer than the field");
			break;
		case TG_SET_FN:
			if ((s->key != NULL) != (s->file != NULL && s->example != NULL))
				TABLE_FAIL(s, "file key without handler or example");
			if ((s->flag != NULL) != (s->flag_fn != NULL && s->sample != NULL))
				TABLE_FAIL(s, "flag without handler or sample");
			break;
		default:
			break;
		}
		if (s->off + s->size > sizeof(struct tg_config))
			TABLE_FAIL(s, "field outside struct tg_config");

		/* the flag: generated into the getopt table, sets the field */
		if (s->flag != NULL) {
			char flag[64], *argv[8] = { (char *)"tlsgate", flag };
			int argc = 2;
			struct capture ce;
			tg_result r;

			snprintf(flag, sizeof(flag), "--%s", s->flag);
			if (s->arg != NULL)
				argv[argc++] = (char *)s->sample;
			if (s->flag_fn == tg_cfg_cert_flag || s->flag_fn == tg_cfg_key_flag) {
				/* --cert and --key come in pairs */
				argv[1] = (char *)"--cert";
				argv[2] = (char *)"b.pem";
				argv[3] = (char *)"--key";
				argv[4] = (char *)"b.key";
				argc = 5;
			}
			argv[argc] = NULL;
			cap_begin(&ce, STDERR_FILENO);
			r = tg_cfg_read_args(argc, argv, &cfg, &act);
			cap_end(&ce, msgs, sizeof(msgs));
			if (tg_failed(r) || act != TG_ACTION_RUN) {
				fprintf(stderr, "%s", msgs);
				TABLE_FAIL(s, "flag refused");
			} else {
				assert_sample_set(s, &cfg, "the flag");
			}
			if (s->key != NULL) {
				snprintf(want, sizeof(want), "%s: ", flag);
				tg_config_where(&cfg, s->key, where, sizeof(where));
				if (strcmp(where, want) != 0)
					TABLE_FAIL(s, "errors would not name the flag");
			}
		}

		/* the file key: read, sets the field */
		if (s->key != NULL) {
			char line[700];
			const char *path;
			struct capture ce;
			tg_result r;

			sample_line(s, line, sizeof(line));
			path = write_file("table.conf", line);
			tg_config_defaults(&cfg);
			cap_begin(&ce, STDERR_FILENO);
			r = tg_cfg_read_file(path, &cfg);
			cap_end(&ce, msgs, sizeof(msgs));
			if (tg_failed(r)) {
				fprintf(stderr, "%s%s", line, msgs);
				TABLE_FAIL(s, "file key refused");
			} else {
				assert_sample_set(s, &cfg, "the file key");
			}
			snprintf(want, sizeof(want), "%s:1: ", path);
			tg_config_where(&cfg, s->key, where, sizeof(where));
			if (strcmp(where, want) != 0)
				TABLE_FAIL(s, "errors would not name FILE:LINE");
		}
	}
	/* tg_config_defaults() is the table's defaults */
	{
		struct tg_config cfg;
		const struct tg_setting *s = tg_cfg_setting("limits.max_buffer");

		tg_config_defaults(&cfg);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		CU_ASSERT_EQUAL(cfg.flow.max_buffer, s->def);
		CU_ASSERT_EQUAL(s->off, offsetof(struct tg_config, flow.max_buffer));
		CU_ASSERT_PTR_NULL(tg_cfg_setting("limits"));
	}
}

/* docs/configuration.md and app/tlsgate.conf.example know every setting,
 * with the table's defaults; --help lists every one. */
static void test_table_docs(void)
{
	char *doc = slurp("../../docs/configuration.md");
	char *example = slurp("../../app/tlsgate.conf.example");
	struct tg_config cfg;
	enum tg_config_action act;

	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(example);
	TG_ASSERT_OK(parse_args(&cfg, &act, "--help", NULL));
	/* a flag without a file setting (--dpdk) has no "key = default" */
	CU_ASSERT(strstr(outs, "(null)") == NULL);
	for (unsigned i = 0; i < tg_n_settings; i++) {
		const struct tg_setting *s = &tg_settings[i];
		char want[160];

		if (s->flag != NULL) {
			/* "`--workers N`", "`--no-tickets`", "`-l`, `--lcores LIST`" */
			bool found = false;

			for (int form = 0; form < 2 && !found; form++) {
				snprintf(want, sizeof(want), "`--%s%c", s->flag,
					 form ? ' ' : '`');
				found = strstr(doc, want) != NULL;
			}
			if (!found)
				TABLE_FAIL(s, "flag not in docs/configuration.md");
			snprintf(want, sizeof(want), "--%s", s->flag);
			if (strstr(outs, want) == NULL)
				TABLE_FAIL(s, "flag not in --help");
		}
		if (s->key == NULL)
			continue;
		if (s->flag == NULL && strstr(outs, s->key) == NULL)
			TABLE_FAIL(s, "setting not in --help");
		/* its row in the file settings' tables: | `key` | type | default | */
		snprintf(want, sizeof(want), "\n| `%s` |", s->key);
		{
			const char *row = strstr(doc, want);
			char def[64] = "";
			size_t len;

			if (row == NULL) {
				TABLE_FAIL(s, "no row in docs/configuration.md");
				continue;
			}
			len = strcspn(row + 1, "\n");
			if (s->type == TG_SET_UINT && !(s->opts & TG_SET_O_AUTO))
				snprintf(def, sizeof(def), "`%llu`", s->def);
			else if (s->type == TG_SET_BOOL)
				snprintf(def, sizeof(def), "`%s`", s->def ? "true" : "false");
			else if (s->type == TG_SET_ENUM)
				snprintf(def, sizeof(def), "`\"%s\"`",
					 tg_cfg_enum_str(s->names, (int)s->def));
			else if (s->type == TG_SET_STR && s->def_str[0] != '\0')
				snprintf(def, sizeof(def), "`\"%s\"`", s->def_str);
			if (def[0] != '\0') {
				char *r = strndup(row + 1, len);

				if (strstr(r, def) == NULL) {
					fprintf(stderr, "%s: docs row says %s, the table %s\n",
						s->key, r, def);
					TABLE_FAIL(s, "default in the docs is not the table's");
				}
				free(r);
			}
		}
		/* the example file shows it, commented out or not */
		{
			const char *leaf = strrchr(s->key, '.') ? strrchr(s->key, '.') + 1
								: s->key;

			snprintf(want, sizeof(want), "%s = ", leaf);
			if (strstr(example, want) == NULL)
				TABLE_FAIL(s, "not in app/tlsgate.conf.example");
		}
	}
	/* --help shows ranges and defaults (wrapped lines joined) */
	{
		char flat[sizeof(outs)];
		size_t k = 0;

		for (const char *p = outs; *p != '\0'; p++) {
			char c = *p == '\n' ? ' ' : *p;

			if (c == ' ' && k > 0 && flat[k - 1] == ' ')
				continue; /* blanks and line breaks: one space */
			flat[k++] = c;
		}
		flat[k] = '\0';
		CU_ASSERT_PTR_NOT_NULL(strstr(flat, "[default 20000; 0..100000000]"));
		CU_ASSERT_PTR_NOT_NULL(strstr(flat, "[default 262144 bytes; 32768..67108864]"));
		CU_ASSERT_PTR_NOT_NULL(strstr(flat, "--connect-timeout MS backend connect [default 3000 ms; 1..86400000]"));
		CU_ASSERT_PTR_NOT_NULL(strstr(flat, "Workers, limits and timeouts:"));
	}
	free(doc);
	free(example);
}

/* Flags that are typos or file-only settings get a hint. */
static void test_flag_hints(void)
{
	struct tg_config cfg;
	enum tg_config_action act;

	TG_ASSERT_ERR(parse_args(&cfg, &act, "--wrokers", "2", NULL), TG_E_INVAL);
	ASSERT_MSG("--wrokers: no such flag (did you mean --workers?)");
	TG_ASSERT_ERR(parse_args(&cfg, &act, "--max-buffer", "1", NULL), TG_E_INVAL);
	ASSERT_MSG("--max-buffer: limits.max_buffer has no flag: set it in the config file");
	/* an abbreviation getopt refuses for itself: no second guess */
	TG_ASSERT_ERR(parse_args(&cfg, &act, "--c", "x", NULL), TG_E_INVAL);
	CU_ASSERT_PTR_NULL(strstr(msgs, "did you mean"));
	/* a setting's flag name written in the file */
	{
		const char *path = base_file("flagname.conf", "idle-timeout = 5;\n");
		char want[300];

		TG_ASSERT_ERR(load(path, &cfg), TG_E_DECODE);
		snprintf(want, sizeof(want), "%s:4: unknown setting 'idle-timeout' (did you mean 'idle' inside timeouts = { ... }?)",
			 path);
		ASSERT_MSG(want);
	}
	/* --alpn: the first replaces the file's list, the next ones add */
	{
		const char *path = base_file("alpn.conf", "alpn = [\"x\"];\n");

		TG_ASSERT_OK(parse_args(&cfg, &act, "-c", path, "--alpn", "h2",
					"--alpn", "http/1.1", NULL));
		CU_ASSERT_EQUAL_FATAL(cfg.n_alpn, 2);
		CU_ASSERT_STRING_EQUAL(cfg.alpn[0], "h2");
		CU_ASSERT_STRING_EQUAL(cfg.alpn[1], "http/1.1");
	}
}

/* ---- user and group ---------------------------------------------------- */

static void test_user_group(void)
{
	struct tg_config cfg;
	enum tg_config_action act;
	const char *path = base_file("user.conf", "user = \"tg-no-such-user\";\n");
	struct passwd *pw = getpwnam("nobody");
	char want[300];

	if (pw == NULL) {
		CU_FAIL("no user nobody on this system");
		return;
	}
	TG_ASSERT_OK(parse_args(&cfg, &act, "-c", base_file("ok.conf", ""),
				"--user", "nobody", NULL));
	CU_ASSERT_STRING_EQUAL(cfg.user, "nobody");
	/* a user that does not exist: a config error naming its source */
	TG_ASSERT_ERR(load(path, &cfg), TG_E_INVAL);
	snprintf(want, sizeof(want), "%s:4: user 'tg-no-such-user': no such user", path);
	ASSERT_MSG(want);
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, "--user", "tg-nobody-2",
				 NULL), TG_E_INVAL);
	ASSERT_MSG("--user: user 'tg-nobody-2': no such user");
	TG_ASSERT_OK(parse_args(&cfg, &act, "-c", path, "--user", "nobody", NULL));
	/* root drops nothing */
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", base_file("ok.conf", ""),
				 "--user", "root", NULL), TG_E_INVAL);
	ASSERT_MSG("--user: user 'root': uid 0 is root");
	/* a group: it must exist, and needs a user */
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", base_file("ok.conf", ""),
				 "--user", "nobody", "--group", "tg-no-such-group",
				 NULL), TG_E_INVAL);
	ASSERT_MSG("--group: group 'tg-no-such-group': no such group");
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", base_file("ok.conf", ""),
				 "--group", "nogroup", NULL), TG_E_INVAL);
	ASSERT_MSG("group 'nogroup' without a user");
	/* --check-config's summary says it */
	TG_ASSERT_OK(parse_args(&cfg, &act, "-c", base_file("ok.conf", ""),
				"--user", "nobody", "--check-config", NULL));
	{
		struct capture co;

		cap_begin(&co, STDOUT_FILENO);
		tg_config_print_summary(&cfg);
		cap_end(&co, outs, sizeof(outs));
	}
	CU_ASSERT_PTR_NOT_NULL(strstr(outs, "user:     nobody"));
}

static void test_privs_resolve(void)
{
	struct tg_privs p;
	struct passwd *pw = getpwnam("nobody");
	struct tg_config cfg;
	char err[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(pw);
	TG_ASSERT_OK(tg_privs_resolve("nobody", "", &p, err, sizeof(err)));
	CU_ASSERT_EQUAL(p.uid, pw->pw_uid);
	CU_ASSERT_EQUAL(p.gid, pw->pw_gid);
	CU_ASSERT(p.n_groups >= 1);
	CU_ASSERT_EQUAL(p.groups[0], pw->pw_gid); /* getgrouplist puts it first */
	TG_ASSERT_ERR(tg_privs_resolve("tg-no-such-user", "", &p, err, sizeof(err)),
		      TG_E_NOTFOUND);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no such user"));
	TG_ASSERT_ERR(tg_privs_resolve("nobody", "tg-no-such-group", &p, err,
				       sizeof(err)), TG_E_NOTFOUND);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no such group"));
	TG_ASSERT_ERR(tg_privs_resolve("root", "", &p, err, sizeof(err)), TG_E_INVAL);
	TG_ASSERT_ERR(tg_privs_resolve("", "", &p, err, sizeof(err)), TG_E_INVAL);
	/* no user: nothing to drop */
	tg_config_defaults(&cfg);
	TG_ASSERT_OK(tg_privs_drop(&cfg));
	if (geteuid() != 0) {
		/* not root: switching to someone else is refused */
		TG_ASSERT_OK(tg_privs_resolve("nobody", "", &p, err, sizeof(err)));
		TG_ASSERT_ERR(tg_privs_switch(&p, err, sizeof(err)), TG_E_STATE);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "not root"));
	}
}

static pthread_barrier_t drop_barrier;

/* A thread started before the drop: its own credentials drop too. */
static void *drop_thread(void *arg)
{
	uid_t *uid = arg;

	pthread_barrier_wait(&drop_barrier); /* started */
	pthread_barrier_wait(&drop_barrier); /* dropped */
	*uid = getuid();
	return NULL;
}

/* The child of test_privs_drop: drop to nobody, then check. Exit status:
 * 0, or the number of the check that failed. */
static int drop_child(void)
{
	struct passwd *pw = getpwnam("nobody");
	struct tg_config cfg;
	gid_t want[TG_PRIVS_MAX_GROUPS], got[TG_PRIVS_MAX_GROUPS];
	int n_want = TG_PRIVS_MAX_GROUPS, n_got;
	uid_t thread_uid = 0;
	pthread_t t;

	if (pw == NULL)
		return 1;
	if (getgrouplist("nobody", pw->pw_gid, want, &n_want) < 0)
		return 2;
	pthread_barrier_init(&drop_barrier, NULL, 2);
	if (pthread_create(&t, NULL, drop_thread, &thread_uid) != 0)
		return 3;
	pthread_barrier_wait(&drop_barrier);
	tg_config_defaults(&cfg);
	strcpy(cfg.user, "nobody");
	if (tg_failed(tg_privs_drop(&cfg)))
		return 4;
	pthread_barrier_wait(&drop_barrier);
	pthread_join(t, NULL);
	if (getuid() != pw->pw_uid || geteuid() != pw->pw_uid)
		return 5;
	if (getgid() != pw->pw_gid || getegid() != pw->pw_gid)
		return 6;
	n_got = getgroups(TG_PRIVS_MAX_GROUPS, got);
	if (n_got != n_want)
		return 7;
	for (int i = 0; i < n_got; i++)
		if (got[i] == 0 || got[i] != want[i])
			return 8;
	if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0)
		return 9; /* root came back */
	if (thread_uid != pw->pw_uid)
		return 10; /* the other thread kept root */
	/* already that user: nothing to do, and fine */
	if (tg_failed(tg_privs_drop(&cfg)))
		return 11;
	return 0;
}

/* As root: a forked child drops to nobody and checks it for good. */
static void test_privs_drop(void)
{
	pid_t pid;
	int st = 0;

	if (geteuid() != 0) {
		fprintf(stderr, "privs drop: not root, the drop itself is not tested\n");
		return;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0)
		_exit(drop_child());
	CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
	CU_ASSERT_TRUE(WIFEXITED(st));
	if (WEXITSTATUS(st) != 0)
		fprintf(stderr, "privs drop: check %d failed in the child\n",
			WEXITSTATUS(st));
	CU_ASSERT_EQUAL(WEXITSTATUS(st), 0);
}

/* The DPDK transport's settings: --dpdk and transport = "dpdk", the
 * port's addresses, the rules and their messages. */
static void test_dpdk(void)
{
	struct tg_config cfg;
	enum tg_config_action act;
	const char *path = base_file("dpdk.conf", "");
	struct tg_net_addr want;

	/* sockets by default, no DPDK settings needed */
	TG_ASSERT_OK(parse_args(&cfg, &act, "-c", path, NULL));
	CU_ASSERT_EQUAL(cfg.transport, TG_CFG_TRANSPORT_SOCKETS);
	/* --dpdk needs our address on the port */
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, "--dpdk", NULL), TG_E_INVAL);
	ASSERT_MSG("needs our address on the port: add --dpdk-addr ADDR/PREFIX");
	/* the listen address must be the port's, or a wildcard */
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, "--dpdk", "--dpdk-addr",
				 "198.18.0.2/24", NULL), TG_E_INVAL);
	ASSERT_MSG("listen 127.0.0.1:8443: with the DPDK transport");
	TG_ASSERT_OK(parse_args(&cfg, &act, "-c", path, "--dpdk", "--dpdk-addr",
				"198.18.0.2/24", "--listen", "198.18.0.2:443",
				"--eal", "--vdev=net_af_packet0,iface=veth0 --log-level=8",
				"--dpdk-gateway", "198.18.0.1", "--dpdk-addr6", "2001:2::2/64",
				"--dpdk-mtu", "1400", "--impair", "seed=3,loss=1%", NULL));
	CU_ASSERT_EQUAL(cfg.transport, TG_CFG_TRANSPORT_DPDK);
	TG_ASSERT_OK(tg_net_addr_parse("198.18.0.2", &want));
	CU_ASSERT(tg_net_addr_eq(&cfg.dpdk_port.addr, &want));
	CU_ASSERT_EQUAL(cfg.dpdk_port.prefix, 24);
	TG_ASSERT_OK(tg_net_addr_parse("198.18.0.1", &want));
	CU_ASSERT(tg_net_addr_eq(&cfg.dpdk_port.gateway, &want));
	TG_ASSERT_OK(tg_net_addr_parse("2001:2::2", &want));
	CU_ASSERT(tg_net_addr_eq(&cfg.dpdk_port.addr6, &want));
	CU_ASSERT_EQUAL(cfg.dpdk_port.prefix6, 64);
	CU_ASSERT_EQUAL(cfg.dpdk_port.mtu, 1400);
	CU_ASSERT_EQUAL(cfg.dpdk_port.mbufs, 32768);
	CU_ASSERT_EQUAL(cfg.dpdk_imp.seed, 3);
	CU_ASSERT_EQUAL(cfg.dpdk_imp.dir[0].loss_ppm, 10000);
	CU_ASSERT(tg_net_impair_active(&cfg.dpdk_imp));
	/* a wildcard listens on every address of ours */
	TG_ASSERT_OK(parse_args(&cfg, &act, "-c", path, "--transport", "dpdk",
				"--dpdk-addr", "198.18.0.2/24", "--listen", "0.0.0.0:443",
				"--listen", "[::]:443", NULL));
	/* bad values, each named */
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, "--dpdk", "--listen", "0.0.0.0:443",
				 "--dpdk-addr", "198.18.0.2", NULL), TG_E_INVAL);
	ASSERT_MSG("--dpdk-addr: dpdk.address '198.18.0.2': write an IPv4 address and its prefix length, e.g. 198.18.0.2/24");
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, "--dpdk", "--listen", "0.0.0.0:443",
				 "--dpdk-addr", "198.18.0.2/33", NULL), TG_E_INVAL);
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, "--dpdk", "--listen", "0.0.0.0:443",
				 "--dpdk-addr", "2001:2::2/64", NULL), TG_E_INVAL);
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, "--dpdk", "--listen", "0.0.0.0:443",
				 "--dpdk-addr", "198.18.0.2/24", "--dpdk-gateway", "x", NULL),
		      TG_E_INVAL);
	ASSERT_MSG("dpdk.gateway 'x': write an IPv4 address");
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, "--dpdk", "--listen", "0.0.0.0:443",
				 "--dpdk-addr", "198.18.0.2/24", "--impair", "loss=2", "--impair",
				 "lose=1%", NULL), TG_E_INVAL);
	ASSERT_MSG("--impair: dpdk.impair 'lose=1%': write key=value pairs");
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, "--dpdk", "--listen", "0.0.0.0:443",
				 "--dpdk-addr", "198.18.0.2/24", "--eal", "-l 0-3", NULL),
		      TG_E_INVAL);
	ASSERT_MSG("dpdk.eal: '-l': set lcores (-l LIST) instead");
	/* options with their values in the next word, as the EAL takes them */
	TG_ASSERT_OK(parse_args(&cfg, &act, "-c", path, "--dpdk", "--listen", "0.0.0.0:443",
				"--dpdk-addr", "198.18.0.2/24", "--eal",
				"-a 0000:3b:00.0 --socket-mem 1024 -n 4 --vdev=net_tap0", NULL));
	/* a word that is no option and follows none */
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, "--dpdk", "--listen", "0.0.0.0:443",
				 "--dpdk-addr", "198.18.0.2/24", "--eal", "0000:3b:00.0", NULL),
		      TG_E_INVAL);
	ASSERT_MSG("dpdk.eal: '0000:3b:00.0' is not an EAL option");
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, "--dpdk", "--listen", "0.0.0.0:443",
				 "--dpdk-addr", "198.18.0.2/24", "--eal",
				 "--vdev=net_tap0 iface=eth1", NULL), TG_E_INVAL);
	ASSERT_MSG("dpdk.eal: 'iface=eth1' is not an EAL option");
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, "--dpdk", "--listen", "0.0.0.0:443",
				 "--dpdk-addr", "198.18.0.2/24", "--eal", "--no-huge", NULL),
		      TG_E_INVAL);
	ASSERT_MSG("set dpdk.hugepages = false (the default) instead");
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, "--dpdk", "--listen", "0.0.0.0:443",
				 "--dpdk-addr", "198.18.0.2/24", "--dpdk-mtu", "500", NULL),
		      TG_E_INVAL);
	ASSERT_MSG("dpdk.mtu = 500: use 0 (the port's) or 576..9216");
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, "--dpdk", "--listen", "0.0.0.0:443",
				 "--dpdk-addr", "198.18.0.2/24", "--workers", "17", NULL),
		      TG_E_INVAL);
	ASSERT_MSG("at most 16 workers");
	/* the same from the file, with FILE:LINE */
	path = base_file("dpdk2.conf",
			 "transport = \"dpdk\";\n"
			 "dpdk = { eal = \"--vdev=net_tap0\"; port = \"net_tap0\";\n"
			 "  address = \"198.18.0.2/24\"; address6 = \"2001:2::2/64\";\n"
			 "  gateway6 = \"2001:2::1\"; mbufs = 4096; hugepages = true;\n"
			 "  idle_sleep = 0; idle_first = 20; tso = false; };\n");
	TG_ASSERT_OK(parse_args(&cfg, &act, "-c", path, "--listen", "[2001:2::2]:443", NULL));
	CU_ASSERT_EQUAL(cfg.transport, TG_CFG_TRANSPORT_DPDK);
	CU_ASSERT(!cfg.dpdk_tso);
	CU_ASSERT(cfg.dpdk_port.no_tso);
	CU_ASSERT_STRING_EQUAL(cfg.dpdk_port.dev, "net_tap0");
	CU_ASSERT_EQUAL(cfg.dpdk_port.mbufs, 4096);
	CU_ASSERT(cfg.dpdk_hugepages);
	CU_ASSERT_EQUAL(cfg.dpdk_idle_us, 0);
	CU_ASSERT_EQUAL(cfg.dpdk_idle_first_us, 20);
	path = base_file("dpdk3.conf",
			 "transport = \"dpdk\";\n"
			 "dpdk = { address = \"198.18.0.2/24\"; mtu = 1000; address6 = \"2001:2::2/64\"; };\n");
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, "--listen", "0.0.0.0:1", NULL),
		      TG_E_INVAL);
	ASSERT_MSG("dpdk3.conf:5: dpdk.mtu = 1000: use 0 (the port's) or 1280..9216");
	path = base_file("dpdk4.conf", "transport = \"netmap\";\n");
	TG_ASSERT_ERR(parse_args(&cfg, &act, "-c", path, NULL), TG_E_DECODE);
	ASSERT_MSG("transport 'netmap': use \"sockets\" or \"dpdk\"");
}

static CU_TestInfo config_tests[] = {
	{ "defaults", test_defaults },
	{ "full file", test_full_file },
	{ "shipped example file", test_example_file },
	{ "flags only", test_flags_only },
	{ "flags override the file", test_flags_override_file },
	{ "help, version, check, stats", test_actions },
	{ "addresses", test_addresses },
	{ "error: syntax (file:line)", test_err_syntax },
	{ "error: unknown settings", test_err_unknown },
	{ "error: wrong types", test_err_types },
	{ "error: addresses in the file", test_err_addresses_file },
	{ "error: suites, groups, sigalgs, alpn", test_err_suites },
	{ "errors: file:line of validation errors, or the flag", test_err_locations },
	{ "error: routes", test_err_routes },
	{ "error: certificates and keys", test_err_certs },
	{ "error: workers and limits", test_err_workers_and_limits },
	{ "settings table: every entry whole", test_table },
	{ "settings table: docs, example file and --help", test_table_docs },
	{ "flag hints", test_flag_hints },
	{ "user and group settings", test_user_group },
	{ "the DPDK transport's settings", test_dpdk },
	{ "privileges: resolution", test_privs_resolve },
	{ "privileges: drop to nobody (root only)", test_privs_drop },
	CU_TEST_INFO_NULL,
};

static const struct tg_test_suite suites[] = {
	{ "config", suite_init, suite_cleanup, config_tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return tg_test_main(argc, argv, suites);
}
