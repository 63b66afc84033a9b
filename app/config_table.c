/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every setting of tlsgate, once: its name in the config file, its flag,
 * type, field, range, default, help and a sample value. The file reader,
 * the flags, --help, the defaults and the checks are driven by this
 * table (config_int.h says how); docs/configuration.md describes the
 * same settings and a unit test holds the two together.
 *
 * To add a setting: a field in struct tg_config, an entry here (in its
 * section), a row in docs/configuration.md and a line in
 * app/tlsgate.conf.example. test_config's table walk fails until all of
 * them are there and the flag and the file key set the field.
 */
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "config_int.h"

/* ---- enumerations ------------------------------------------------------ */

const struct tg_cfg_enum tg_cfg_client_auth_names[] = {
	{ "none", TG_CFG_CLIENT_AUTH_NONE },
	{ "optional", TG_CFG_CLIENT_AUTH_OPTIONAL },
	{ "require", TG_CFG_CLIENT_AUTH_REQUIRE },
	{ "required", TG_CFG_CLIENT_AUTH_REQUIRE },
	{ NULL, 0 },
};

const struct tg_cfg_enum tg_cfg_control_names[] = {
	{ "auto", TG_CFG_CONTROL_AUTO },
	{ "thread", TG_CFG_CONTROL_THREAD },
	{ "inline", TG_CFG_CONTROL_INLINE },
	{ NULL, 0 },
};

const struct tg_cfg_enum tg_cfg_proxy_names[] = {
	{ "none", TG_PROXY_NONE },
	{ "off", TG_PROXY_NONE },
	{ "v1", TG_PROXY_V1 },
	{ "v2", TG_PROXY_V2 },
	{ NULL, 0 },
};

const struct tg_cfg_enum tg_cfg_policy_names[] = {
	{ "round_robin", TG_LB_ROUND_ROBIN },
	{ "roundrobin", TG_LB_ROUND_ROBIN },
	{ "least_conn", TG_LB_LEAST_CONN },
	{ "leastconn", TG_LB_LEAST_CONN },
	{ NULL, 0 },
};

const struct tg_cfg_enum tg_cfg_transport_names[] = {
	{ "sockets", TG_CFG_TRANSPORT_SOCKETS },
	{ "dpdk", TG_CFG_TRANSPORT_DPDK },
	{ NULL, 0 },
};

const struct tg_cfg_enum tg_cfg_backend_transport_names[] = {
	{ "dpdk", TG_CFG_BACKEND_DPDK },
	{ "kernel", TG_CFG_BACKEND_KERNEL },
	{ NULL, 0 },
};

const char *const tg_cfg_section_title[TG_SEC__COUNT] = {
	[TG_SEC_GENERAL] = "General",
	[TG_SEC_FRONTEND] = "Frontend",
	[TG_SEC_RESUMPTION] = "Resumption",
	[TG_SEC_BACKENDS] = "Backends and routing",
	[TG_SEC_WORKERS] = "Workers, limits and timeouts",
	[TG_SEC_RECORDS] = "Record sizing",
	[TG_SEC_ACCEL] = "Crypto backends",
	[TG_SEC_DPDK] = "DPDK transport",
	[TG_SEC_OPS] = "Operations",
};

/* ---- field descriptors, checked against the field's type --------------- */

#define MEMBER(f) (((struct tg_config *)0)->f)
/* 0, or a compile error when @p ok is false */
#define MUST(ok) (0 * sizeof(char[(ok) ? 1 : -1]))
#define FIELD(f, ok)                                                           \
	.off = offsetof(struct tg_config, f) + MUST(ok), .size = sizeof(MEMBER(f))
#define IS(f, T) __builtin_types_compatible_p(__typeof__(MEMBER(f)), T)

#define T_UINT(f) .type = TG_SET_UINT, FIELD(f, IS(f, unsigned))
#define T_BOOL(f) .type = TG_SET_BOOL, FIELD(f, IS(f, bool))
#define T_STR(f) .type = TG_SET_STR, FIELD(f, IS(f, char[sizeof(MEMBER(f))]))
#define T_ENUM(f, t)                                                           \
	.type = TG_SET_ENUM, .names = t, FIELD(f, sizeof(MEMBER(f)) == sizeof(int))
#define T_FN(f) .type = TG_SET_FN, FIELD(f, 1)
#define T_EARLY(a) .type = TG_SET_EARLY, .action = a

const struct tg_setting tg_settings[] = {
	/* ---- general --------------------------------------------------- */
	{ .flag = "config", .short_flag = 'c', .arg = "FILE",
	  T_EARLY(TG_ACTION_RUN), .section = TG_SEC_GENERAL,
	  .help = "read this config file (libconfig syntax) first; the flags override it" },
	{ .flag = "check-config", T_EARLY(TG_ACTION_CHECK),
	  .section = TG_SEC_GENERAL,
	  .help = "validate, load the certificates and keys, print a summary and exit" },
	{ .flag = "help", .short_flag = 'h', T_EARLY(TG_ACTION_HELP),
	  .section = TG_SEC_GENERAL,
	  .help = "this text (wins over everything else on the line)" },
	{ .flag = "version", T_EARLY(TG_ACTION_VERSION),
	  .section = TG_SEC_GENERAL, .help = "print the version" },

	/* ---- frontend ---------------------------------------------------- */
	{ .key = "listen", .flag = "listen", .arg = "ADDR", T_FN(listen),
	  .section = TG_SEC_FRONTEND, .def_text = "(required)",
	  .help = "accept TLS on ADDR: 0.0.0.0:8443, [::]:8443, *:8443 (repeat, at most 8)",
	  .sample = "127.0.0.1:9999", .example = "listen = [\"127.0.0.1:9999\"];",
	  .file = tg_cfg_listen_file, .flag_fn = tg_cfg_listen_flag,
	  .check = tg_cfg_listen_check },
	{ .key = "certificates", .flag = "cert", .arg = "FILE", T_FN(certs),
	  .section = TG_SEC_FRONTEND, .def_text = "(required)",
	  .help = "certificate chain, PEM, leaf first; give --cert FILE --key FILE in pairs: the first pair is the default, the others are chosen by SNI (at most 32)",
	  .sample = "b.pem",
	  .example = "certificates = ( { cert = \"b.pem\"; key = \"b.key\"; } );",
	  .file = tg_cfg_certs_file, .flag_fn = tg_cfg_cert_flag,
	  .check = tg_cfg_certs_check },
	{ .flag = "key", .arg = "FILE", T_FN(certs), .section = TG_SEC_FRONTEND,
	  .help = "private key of the --cert just before it",
	  .sample = "b.key", .flag_fn = tg_cfg_key_flag },
	{ .key = "tls_versions", .flag = "tls-versions", .arg = "LIST",
	  T_STR(tls_versions), .section = TG_SEC_FRONTEND, .def_str = "",
	  .def_text = "TLSv1.2:TLSv1.3",
	  .help = "protocol versions, ':' separated: TLSv1.2, TLSv1.3",
	  .sample = "TLSv1.3", .check = tg_cfg_versions_check },
	{ .key = "suites", .flag = "suites", .arg = "LIST", T_STR(suites),
	  .section = TG_SEC_FRONTEND, .def_str = "",
	  .def_text = "ECDHE-ECDSA, then ECDHE-RSA, with AES128-GCM, CHACHA20-POLY1305, AES256-GCM",
	  .help = "cipher suites, ':' separated, OpenSSL or IANA names",
	  .sample = "ECDHE-ECDSA-AES128-GCM-SHA256", .check = tg_cfg_suites_check },
	{ .key = "tls13_suites", .flag = "tls13-suites", .arg = "LIST",
	  T_STR(tls13_suites), .section = TG_SEC_FRONTEND, .def_str = "",
	  .def_text = "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384",
	  .help = "TLS 1.3 cipher suites, ':' separated",
	  .sample = "TLS_AES_256_GCM_SHA384", .check = tg_cfg_suites13_check },
	{ .key = "groups", .flag = "groups", .arg = "LIST", T_STR(groups),
	  .section = TG_SEC_FRONTEND, .def_str = "",
	  .def_text = "x25519:P-256:P-384",
	  .help = "ECDHE groups, ':' separated: x25519, P-256, P-384",
	  .sample = "P-384", .check = tg_cfg_groups_check },
	{ .key = "sigalgs", .flag = "sigalgs", .arg = "LIST", T_STR(sigalgs),
	  .section = TG_SEC_FRONTEND, .def_str = "",
	  .def_text = "ECDSA, RSA-PSS, then RSA PKCS#1, SHA-256 before SHA-384",
	  .help = "signature schemes, ':' separated (ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256...)",
	  .sample = "rsa_pkcs1_sha256", .check = tg_cfg_sigalgs_check },
	{ .key = "allow_static_rsa", T_BOOL(allow_static_rsa),
	  .section = TG_SEC_FRONTEND, .def = false,
	  .help = "allow the static RSA suites AES128-GCM-SHA256, AES256-GCM-SHA384 (no forward secrecy)",
	  .sample = "true" },
	{ .key = "allow_no_ems", T_BOOL(allow_no_ems), .section = TG_SEC_FRONTEND,
	  .def = false,
	  .help = "accept clients without the extended master secret (RFC 7627)",
	  .sample = "true" },
	{ .key = "alpn", .flag = "alpn", .arg = "LIST", T_FN(alpn),
	  .section = TG_SEC_FRONTEND, .def_text = "none",
	  .help = "ALPN protocols in preference order, ',' separated: h2,http/1.1 (at most 8)",
	  .sample = "h2,http/1.1", .example = "alpn = [\"h2\", \"http/1.1\"];",
	  .file = tg_cfg_alpn_file, .flag_fn = tg_cfg_alpn_flag,
	  .check = tg_cfg_alpn_check },
	{ .key = "alpn_required", T_BOOL(alpn_required), .section = TG_SEC_FRONTEND,
	  .def = false,
	  .help = "refuse clients with no ALPN protocol in common (needs alpn)",
	  .sample = "true" },
	{ .key = "client_auth", .flag = "client-auth", .arg = "MODE",
	  T_ENUM(client_auth, tg_cfg_client_auth_names),
	  .section = TG_SEC_FRONTEND, .def = TG_CFG_CLIENT_AUTH_NONE,
	  .help = "client certificates: none, optional (ask, verify any sent) or require",
	  .sample = "optional" },
	{ .key = "client_ca", .flag = "client-ca", .arg = "FILE", T_STR(client_ca),
	  .section = TG_SEC_FRONTEND, .def_str = "", .def_text = "none",
	  .help = "CA bundle that verifies client certificates (client_auth needs it)",
	  .sample = "ca.pem", .check = tg_cfg_readable_check },

	/* ---- resumption ------------------------------------------------- */
	{ .key = "session_cache", .flag = "session-cache", .arg = "N",
	  T_UINT(session_cache), .section = TG_SEC_RESUMPTION,
	  .min = 0, .max = TG_CFG_SESSION_CACHE_MAX, .def = 20000,
	  .help = "session-ID cache entries, 0 = off", .sample = "5000" },
	{ .key = "session_ttl", T_UINT(session_ttl_s), .section = TG_SEC_RESUMPTION,
	  .min = 1, .max = TG_CFG_TTL_MAX, .def = 300, .unit = "s",
	  .help = "lifetime of a cached session", .sample = "600" },
	{ .key = "tickets", .flag = "no-tickets", T_BOOL(tickets),
	  .section = TG_SEC_RESUMPTION, .def = true,
	  .help = "issue and accept session tickets (RFC 5077); the flag turns them off",
	  .sample = "false" },
	{ .key = "ticket_keys", .flag = "ticket-key", .arg = "FILE",
	  T_FN(ticket_keys), .section = TG_SEC_RESUMPTION,
	  .def_text = "random keys per process",
	  .help = "ticket key file (repeat, at most 4): the first encrypts new tickets, the others still decrypt",
	  .sample = "t0.key", .example = "ticket_keys = [\"t0.key\"];",
	  .file = tg_cfg_ticket_keys_file, .flag_fn = tg_cfg_ticket_key_flag,
	  .check = tg_cfg_ticket_keys_check },
	{ .key = "ticket_lifetime", T_UINT(ticket_lifetime_s),
	  .section = TG_SEC_RESUMPTION, .min = 1, .max = TG_CFG_TTL_MAX,
	  .def = 7200, .unit = "s", .help = "ticket lifetime hint",
	  .sample = "3600" },
	{ .key = "tls13_psk_ke", .flag = "tls13-psk-ke", T_BOOL(tls13_psk_ke),
	  .section = TG_SEC_RESUMPTION, .def = false,
	  .help = "TLS 1.3: resume a ticket without (EC)DHE when the client allows it (psk_ke, RFC 8446 §4.2.9: no forward secrecy for that connection)",
	  .sample = "true" },

	/* ---- backends and routing --------------------------------------- */
	{ .key = "backends", .flag = "backend", .arg = "ADDR", T_FN(backends),
	  .section = TG_SEC_BACKENDS, .def_text = "(required)",
	  .help = "plaintext server host:port of the default pool (repeat, at most 32; replaces the file's default pool, its other pools stay)",
	  .sample = "127.0.0.1:9998", .example = "backends = [\"127.0.0.1:9998\"];",
	  .init = tg_cfg_backends_init, .file = tg_cfg_backends_file,
	  .flag_fn = tg_cfg_backend_flag, .check = tg_cfg_backends_check },
	{ .key = "routes", T_FN(backends.routes), .section = TG_SEC_BACKENDS,
	  .opts = TG_SET_O_LATE, .def_text = "none",
	  .help = "SNI routes to backend pools: ( { sni = \"api.example.com\"; backend = \"api\"; } )",
	  .example = "routes = ( { sni = \"api.example.com\"; backend = \"default\"; } );",
	  .file = tg_cfg_routes_file, .check = tg_cfg_routes_check },
	{ .key = "proxy_protocol", .flag = "proxy-protocol", .arg = "V",
	  T_ENUM(flow.proxy_protocol, tg_cfg_proxy_names),
	  .section = TG_SEC_BACKENDS, .def = TG_PROXY_NONE,
	  .help = "PROXY protocol header sent to backends: none, v1 or v2",
	  .sample = "v2" },
	{ .key = "connect_retries", T_UINT(flow.connect_retries),
	  .section = TG_SEC_BACKENDS, .min = 0, .max = TG_CFG_MAX_BACKENDS,
	  .def = 2,
	  .help = "on a failed backend connect, try the pool's next server this many times",
	  .sample = "3" },
	{ .key = "health_interval", T_UINT(health_interval_ms),
	  .section = TG_SEC_BACKENDS, .min = 0, .max = TG_CFG_MS_MAX,
	  .def = 2000, .unit = "ms",
	  .help = "TCP connect check of each server, 0 = off", .sample = "0" },

	/* ---- workers, limits and timeouts ------------------------------- */
	{ .key = "workers", .flag = "workers", .arg = "N", T_UINT(workers),
	  .section = TG_SEC_WORKERS, .min = 1, .max = TG_CFG_MAX_WORKERS,
	  .def = 1, .help = "worker threads", .sample = "3" },
	{ .key = "lcores", .flag = "lcores", .short_flag = 'l', .arg = "LIST",
	  T_STR(lcores), .section = TG_SEC_WORKERS, .def_str = "",
	  .def_text = "0..workers-1",
	  .help = "DPDK EAL core list: 0-3, 0,2,4", .sample = "0-3",
	  .check = tg_cfg_lcores_check },
	{ .key = "coalesce", .flag = "coalesce", .arg = "US", T_UINT(coalesce_us),
	  .section = TG_SEC_WORKERS,
	  .min = 0, .max = 10000, .def = 50, .unit = "us",
	  .help = "sockets transport: after a round of application data that read under 16 KiB and waited less than this for its events, a worker waits this long before it polls again, so that small records come in batches (fewer system calls and backend writes per record, up to this much latency per hop); 0 = poll again at once",
	  .sample = "0" },
	{ .key = "control", .flag = "control", .arg = "MODE",
	  T_ENUM(control, tg_cfg_control_names), .section = TG_SEC_WORKERS,
	  .def = TG_CFG_CONTROL_AUTO,
	  .help = "where handshakes run: auto (a thread on a CPU no worker uses; none left: inline with one worker, else a shared thread), thread or inline",
	  .sample = "thread" },
	{ .key = "timeouts.connect", .flag = "connect-timeout", .arg = "MS",
	  T_UINT(flow.connect_timeout_ms), .section = TG_SEC_WORKERS,
	  .min = 1, .max = TG_CFG_MS_MAX, .def = 3000, .unit = "ms",
	  .help = "backend connect", .sample = "1000" },
	{ .key = "timeouts.handshake", .flag = "handshake-timeout", .arg = "MS",
	  T_UINT(flow.handshake_timeout_ms), .section = TG_SEC_WORKERS,
	  .min = 1, .max = TG_CFG_MS_MAX, .def = 10000, .unit = "ms",
	  .help = "TLS handshake, from accept to Finished", .sample = "5000" },
	{ .key = "timeouts.idle", .flag = "idle-timeout", .arg = "MS",
	  T_UINT(flow.idle_timeout_ms), .section = TG_SEC_WORKERS,
	  .min = 1, .max = TG_CFG_MS_MAX, .def = 60000, .unit = "ms",
	  .help = "no data in either direction", .sample = "30000" },
	{ .key = "timeouts.drain", T_UINT(flow.drain_timeout_ms),
	  .section = TG_SEC_WORKERS, .min = 1, .max = TG_CFG_MS_MAX,
	  .def = 10000, .unit = "ms", .help = "grace period after SIGTERM",
	  .sample = "2000" },
	{ .key = "limits.max_conns", .flag = "max-conns", .arg = "N",
	  T_UINT(flow.max_conns), .section = TG_SEC_WORKERS, .min = 1,
	  .max = UINT_MAX, .def = 10000,
	  .help = "connections for the whole process", .sample = "1000" },
	{ .key = "limits.max_conns_per_worker",
	  T_UINT(flow.max_conns_per_worker), .section = TG_SEC_WORKERS,
	  .min = 1, .max = UINT_MAX, .def = 0, .opts = TG_SET_O_AUTO,
	  .def_text = "ceil(max_conns / workers)",
	  .help = "connections per worker; not above max_conns",
	  .sample = "300" },
	{ .key = "limits.max_buffer", T_UINT(flow.max_buffer),
	  .section = TG_SEC_WORKERS, .min = TG_CFG_MAX_BUFFER_MIN,
	  .max = TG_CFG_MAX_BUFFER_MAX, .def = 256 * 1024, .unit = "bytes",
	  .why = "it must hold a full TLS record",
	  .help = "buffered bytes per connection per direction",
	  .sample = "65536" },
	{ .key = "limits.hs_queue", T_UINT(hs_queue), .section = TG_SEC_WORKERS,
	  .min = TG_CFG_HS_QUEUE_MIN, .max = TG_CFG_HS_QUEUE_MAX, .def = 1024,
	  .opts = TG_SET_O_POW2, .why = "it sizes a DPDK ring",
	  .help = "handshake ring entries per worker, a power of two",
	  .sample = "512" },

	/* ---- record sizing ---------------------------------------------- */
	{ .key = "records.small", T_UINT(flow.record_small),
	  .section = TG_SEC_RECORDS, .min = TG_CFG_RECORD_MIN,
	  .max = TG_CFG_RECORD_MAX, .def = 1369, .unit = "bytes",
	  .why = "1369 fits one TCP segment",
	  .help = "record size at the start and after idle_ms; not above records.max",
	  .sample = "1000" },
	{ .key = "records.max", T_UINT(flow.record_max), .section = TG_SEC_RECORDS,
	  .min = TG_CFG_RECORD_MIN, .max = TG_CFG_RECORD_MAX, .def = 16384,
	  .unit = "bytes", .why = "TLS records carry at most 16384 bytes",
	  .help = "record size once ramped up", .sample = "8192" },
	{ .key = "records.ramp_bytes", T_UINT(flow.record_ramp_bytes),
	  .section = TG_SEC_RECORDS, .min = 0, .max = UINT_MAX,
	  .def = 1024 * 1024, .unit = "bytes",
	  .help = "bytes sent before switching to max, 0 = always max",
	  .sample = "65536" },
	{ .key = "records.idle_ms", T_UINT(flow.record_idle_ms),
	  .section = TG_SEC_RECORDS, .min = 0, .max = TG_CFG_MS_MAX,
	  .def = 1000, .unit = "ms",
	  .help = "idle time that resets to small, 0 = never", .sample = "500" },

	/* ---- crypto backends -------------------------------------------- */
	{ .key = "accel.backends", .flag = "accel", .arg = "LIST",
	  T_STR(accel_backends), .section = TG_SEC_ACCEL, .def_str = "",
	  .def_text = "'default': the CPU backends (ipsecmb, simd, evp)",
	  .help = "crypto backends to load: default, all (and every crypto device), or a list of ipsecmb,simd,evp,cryptodev:NAME",
	  .sample = "evp", .check = tg_cfg_accel_backends_check },
	{ .key = "accel.force", .flag = "accel-force", .arg = "NAME",
	  T_STR(accel_force), .section = TG_SEC_ACCEL, .def_str = "",
	  .def_text = "auto",
	  .help = "one crypto backend for every session instead of the calibrated choice",
	  .sample = "evp", .check = tg_cfg_accel_force_check },

	/* ---- the DPDK transport ------------------------------------------ */
	{ .key = "transport", .flag = "transport", .arg = "MODE",
	  T_ENUM(transport, tg_cfg_transport_names), .section = TG_SEC_DPDK,
	  .def = TG_CFG_TRANSPORT_SOCKETS,
	  .help = "sockets (the kernel's TCP) or dpdk (a DPDK port and tlsgate's own TCP; the dpdk.* settings)",
	  .sample = "dpdk" },
	{ .flag = "dpdk", T_BOOL(dpdk), .section = TG_SEC_DPDK, .def = false,
	  .help = "the same as --transport dpdk" },
	{ .key = "dpdk.eal", .flag = "eal", .arg = "ARGS", T_STR(dpdk_eal),
	  .section = TG_SEC_DPDK, .def_str = "", .def_text = "none",
	  .help = "more EAL arguments, space separated, e.g. \"--vdev=net_af_packet0,iface=eth1\" (lcores come from lcores)",
	  .sample = "--vdev=net_tap0", .check = tg_cfg_dpdk_eal_check },
	{ .key = "dpdk.port", .flag = "dpdk-port", .arg = "NAME", T_STR(dpdk_dev),
	  .section = TG_SEC_DPDK, .def_str = "", .def_text = "the first port",
	  .help = "the ethdev to serve on: its name (net_af_packet0, 0000:3b:00.0) or number",
	  .sample = "net_tap0" },
	{ .key = "dpdk.address", .flag = "dpdk-addr", .arg = "ADDR/PREFIX",
	  T_STR(dpdk_addr), .section = TG_SEC_DPDK, .def_str = "",
	  .def_text = "(required with dpdk)",
	  .help = "our IPv4 address on the port and its prefix length: 198.18.0.2/24",
	  .sample = "198.18.0.2/24", .check = tg_cfg_dpdk_addr_check },
	{ .key = "dpdk.gateway", .flag = "dpdk-gateway", .arg = "ADDR",
	  T_STR(dpdk_gw), .section = TG_SEC_DPDK, .def_str = "",
	  .def_text = "none: the prefix only",
	  .help = "IPv4 next hop for addresses off the prefix",
	  .sample = "198.18.0.1", .check = tg_cfg_dpdk_addr_check },
	{ .key = "dpdk.address6", .flag = "dpdk-addr6", .arg = "ADDR/PREFIX",
	  T_STR(dpdk_addr6), .section = TG_SEC_DPDK, .def_str = "",
	  .def_text = "none: no IPv6",
	  .help = "our IPv6 address on the port and its prefix length: 2001:db8::2/64",
	  .sample = "2001:2::2/64", .check = tg_cfg_dpdk_addr_check },
	{ .key = "dpdk.gateway6", .flag = "dpdk-gateway6", .arg = "ADDR",
	  T_STR(dpdk_gw6), .section = TG_SEC_DPDK, .def_str = "",
	  .def_text = "none: the prefix only",
	  .help = "IPv6 next hop for addresses off the prefix",
	  .sample = "2001:2::1", .check = tg_cfg_dpdk_addr_check },
	{ .key = "dpdk.mtu", .flag = "dpdk-mtu", .arg = "BYTES", T_UINT(dpdk_mtu),
	  .section = TG_SEC_DPDK, .min = 0, .max = 9216, .def = 0,
	  .unit = "bytes", .def_text = "0 = the port's",
	  .help = "the port's MTU: 576..9216 (1280.. with IPv6), 0 = as the device has it",
	  .sample = "1400", .check = tg_cfg_dpdk_mtu_check },
	{ .key = "dpdk.mbufs", T_UINT(dpdk_mbufs), .section = TG_SEC_DPDK,
	  .min = 1024, .max = 4194304, .def = 32768,
	  .help = "packet buffers per worker (TCP send and receive buffers live in them)",
	  .sample = "16384" },
	{ .key = "dpdk.hugepages", .flag = "hugepages", T_BOOL(dpdk_hugepages),
	  .section = TG_SEC_DPDK, .def = false,
	  .help = "EAL memory from hugepages and PCI devices probed (NICs); off: --no-huge --no-pci, virtual devices only",
	  .sample = "true" },
	{ .key = "dpdk.tso", T_BOOL(dpdk_tso), .section = TG_SEC_DPDK, .def = true,
	  .help = "TCP segmentation offload where the port has it: new data goes in frames of up to 64 KiB that the port cuts into segments (docs/tcp.md); off: one segment a frame",
	  .sample = "false" },
	{ .key = "dpdk.rx_chain", .flag = "dpdk-rx-chain", T_BOOL(dpdk_rx_chain),
	  .section = TG_SEC_DPDK, .def = false,
	  .help = "records across segments opened in the mbufs they arrived in and sent on to the backend as that chain, without a copy; off: copied once into the backend's send stream and opened there, faster with CPU crypto (docs/decisions.md)",
	  .sample = "true" },
	{ .key = "dpdk.idle_sleep", T_UINT(dpdk_idle_us), .section = TG_SEC_DPDK,
	  .min = 0, .max = 100000, .def = 1000, .unit = "us",
	  .help = "longest wait of an idle worker (it wakes for a handshake at once); 0 = poll without pause",
	  .sample = "0" },
	{ .key = "dpdk.idle_first", T_UINT(dpdk_idle_first_us), .section = TG_SEC_DPDK,
	  .min = 0, .max = 100000, .def = 100, .unit = "us",
	  .help = "an idle worker's first wait after work; each wait that finds nothing doubles it up to dpdk.idle_sleep (0: every wait dpdk.idle_sleep)",
	  .sample = "50" },
	{ .key = "dpdk.backend_transport", .flag = "dpdk-backends",
	  .arg = "MODE", T_ENUM(dpdk_backend_transport, tg_cfg_backend_transport_names),
	  .section = TG_SEC_DPDK, .def = TG_CFG_BACKEND_DPDK,
	  .help = "how backends are reached: dpdk (our TCP through the port) or kernel (kernel sockets of a helper thread per worker: backends on this host or behind the kernel's routes; a copy per byte)",
	  .sample = "kernel" },
	{ .key = "dpdk.impair", .flag = "impair", .arg = "SPEC", T_STR(dpdk_impair),
	  .section = TG_SEC_DPDK, .def_str = "", .def_text = "none",
	  .help = "debug: loss, reordering, duplication, delay on the port, seeded: seed=7,loss=1%,reorder=0.5% (docs/tcp.md)",
	  .sample = "seed=7,loss=1%", .check = tg_cfg_dpdk_impair_check },

	/* ---- operations ------------------------------------------------- */
	{ .key = "admin", .flag = "admin", .arg = "ADDR", T_FN(admin),
	  .section = TG_SEC_OPS, .def_text = "off",
	  .help = "listener for /metrics and tlsgate stats, e.g. 127.0.0.1:9443; \"\" = off",
	  .sample = "127.0.0.1:9443", .example = "admin = \"127.0.0.1:9443\";",
	  .file = tg_cfg_admin_file, .flag_fn = tg_cfg_admin_flag,
	  .check = tg_cfg_admin_check },
	{ .key = "log_level", .flag = "log-level", .arg = "LVL", T_STR(log_level),
	  .section = TG_SEC_OPS, .def_str = "notice",
	  .help = "err, warn, notice, info or debug", .sample = "debug",
	  .accept = tg_cfg_log_level_accept },
	{ .key = "access_log", .flag = "access-log", .arg = "FILE",
	  T_STR(access_log), .section = TG_SEC_OPS, .def_str = "",
	  .def_text = "stderr",
	  .help = "one line per connection; '-' = off", .sample = "access.log" },
	{ .key = "pid_file", .flag = "pid-file", .arg = "FILE", T_STR(pid_file),
	  .section = TG_SEC_OPS, .def_str = "", .def_text = "none",
	  .help = "file for the process ID, written at start, removed at exit",
	  .sample = "tlsgate.pid" },
	{ .key = "user", .flag = "user", .arg = "NAME", T_STR(user),
	  .section = TG_SEC_OPS, .def_str = "", .def_text = "none: stay as started",
	  .help = "started as root, run as this user once the listeners are bound and the keys loaded",
	  .sample = "nobody", .check = tg_cfg_user_check },
	{ .key = "group", .flag = "group", .arg = "NAME", T_STR(group),
	  .section = TG_SEC_OPS, .def_str = "", .def_text = "the user's group",
	  .help = "group to run as (needs user)", .sample = "nogroup",
	  .check = tg_cfg_group_check },
};

const unsigned tg_n_settings = sizeof(tg_settings) / sizeof(tg_settings[0]);

_Static_assert(sizeof(tg_settings) / sizeof(tg_settings[0]) <= TG_CFG_MAX_SETTINGS,
	       "raise TG_CFG_MAX_SETTINGS");

const struct tg_setting *tg_cfg_setting(const char *key)
{
	for (unsigned i = 0; i < tg_n_settings; i++)
		if (tg_settings[i].key != NULL &&
		    strcmp(tg_settings[i].key, key) == 0)
			return &tg_settings[i];
	return NULL;
}
