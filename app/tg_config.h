/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_config.h
 * The terminator's configuration: a config file (libconfig syntax) and
 * command-line flags for the common case. Flags override the file.
 *
 *   tlsgate --listen 0.0.0.0:8443 --cert a.pem --key a.key \
 *           --backend 127.0.0.1:8080
 *
 * tg_config_parse() fills a struct tg_config with defaults, the file, the
 * flags, then validates it; every error names its source (file:line or
 * the flag) and says what is wrong. One table of settings
 * (app/config_table.c) drives all of it, --help included.
 */
#ifndef TG_CONFIG_H
#define TG_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "tg_addr.h"
#include "tg_backend.h"
#include "tg_dpdk.h"
#include "tg_flow.h"
#include "tg_result.h"

#define TG_CFG_MAX_LISTEN 8
#define TG_CFG_MAX_CERTS 32
#define TG_CFG_MAX_BACKENDS TG_BE_MAX_SERVERS
#define TG_CFG_MAX_POOLS TG_BE_MAX_POOLS
#define TG_CFG_MAX_ROUTES TG_BE_MAX_ROUTES
#define TG_CFG_MAX_ALPN 8
#define TG_CFG_MAX_TICKET_KEYS 4
#define TG_CFG_PATH 512

/** A certificate chain and its key. */
struct tg_cfg_cert {
	char cert[TG_CFG_PATH];
	char key[TG_CFG_PATH];
	bool is_default;
};

/** Where handshakes run (the control plane). */
enum tg_cfg_control {
	TG_CFG_CONTROL_AUTO = 0, /**< a thread on a CPU no worker uses; when
				      there is none: inline with one worker,
				      else a thread sharing the workers' CPUs */
	TG_CFG_CONTROL_THREAD,   /**< a thread, on a spare CPU if any */
	TG_CFG_CONTROL_INLINE,   /**< in the worker (one worker only) */
};

/** How the DPDK transport reaches the backends. */
enum tg_cfg_backend_transport {
	TG_CFG_BACKEND_DPDK = 0,  /**< our TCP through the port */
	TG_CFG_BACKEND_KERNEL,    /**< kernel sockets of a helper thread per
				       worker (dataplane/dpdk/kback.c) */
};

/** The transport under the flow engine. */
enum tg_cfg_transport {
	TG_CFG_TRANSPORT_SOCKETS = 0, /**< the kernel's TCP (dataplane/sock) */
	TG_CFG_TRANSPORT_DPDK,        /**< a DPDK port and our own TCP
					   (dataplane/dpdk) */
};

/** Client certificate policy (mirrors enum tg_hs_client_auth). */
enum tg_cfg_client_auth {
	TG_CFG_CLIENT_AUTH_NONE = 0,
	TG_CFG_CLIENT_AUTH_OPTIONAL,
	TG_CFG_CLIENT_AUTH_REQUIRE,
};

/**
 * Where a setting came from, for error messages: a config file's line
 * (file is an index into tg_config.files) or a flag (line 0).
 */
struct tg_cfg_origin {
	char key[48];   /**< "suites", "limits.max_conns", "certificates[1]" */
	char flag[24];  /**< "--suites" when a flag set it last, else "" */
	unsigned line;  /**< > 0: line in files[file] */
	unsigned file;
};

#define TG_CFG_MAX_ORIGINS 192 /* every key and list entry of a full config */
#define TG_CFG_MAX_FILES 4

/** Everything tlsgate runs with. */
struct tg_config {
	char config_path[TG_CFG_PATH];   /**< file read, or "" */

	/* frontend */
	struct tg_addr listen[TG_CFG_MAX_LISTEN];
	unsigned n_listen;
	struct tg_cfg_cert certs[TG_CFG_MAX_CERTS];
	unsigned n_certs;
	char tls_versions[64];           /**< "TLSv1.2:TLSv1.3" (tg_version_parse_list), "" = both */
	char suites[512];                /**< colon list (tg_cs_parse_list), "" = default */
	char tls13_suites[128];          /**< colon list (tg_cs13_parse_list), "" = default */
	char groups[128];                /**< colon list, "" = default */
	char sigalgs[256];               /**< colon list, "" = default */
	char alpn[TG_CFG_MAX_ALPN][32];  /**< preference order */
	unsigned n_alpn;
	bool alpn_required;
	enum tg_cfg_client_auth client_auth;
	char client_ca[TG_CFG_PATH];     /**< CA file for client certificates */
	bool allow_static_rsa;
	bool allow_no_ems;

	/* resumption */
	unsigned session_cache;          /**< entries, 0 = off (default 20000) */
	unsigned session_ttl_s;          /**< default 300 */
	bool tickets;                    /**< default true */
	char ticket_keys[TG_CFG_MAX_TICKET_KEYS][TG_CFG_PATH]; /**< first = current */
	unsigned n_ticket_keys;          /**< 0 = random keys per process */
	unsigned ticket_lifetime_s;      /**< default 7200 */
	bool tls13_psk_ke;               /**< TLS 1.3 psk_ke resumption, default false */

	/* backends (pools and SNI routes) */
	struct tg_backends_conf backends;
	unsigned health_interval_ms;     /**< TCP connect check, 0 = off (default 2000) */

	/* workers */
	unsigned workers;                /**< default 1 */
	unsigned coalesce_us;            /**< sockets: wait after a light round */
	char lcores[64];                 /**< EAL -l list; "" = 0..workers */
	enum tg_cfg_control control;     /**< default auto */
	unsigned hs_queue;               /**< handshake ring entries per worker, default 1024 */

	/* limits, timeouts, record sizing, PROXY header (the flow engine's):
	 * max_conns 10000, max_conns_per_worker max_conns / workers,
	 * timeouts handshake 10000, idle 60000, drain 10000, connect 3000 ms,
	 * connect_retries 2, max_buffer 256 KiB, records small 1369, max
	 * 16384, ramp 1 MiB, idle 1000 ms */
	struct tg_flow_settings flow;

	/* transport: kernel sockets, or a DPDK port with our own TCP */
	enum tg_cfg_transport transport; /**< default sockets */
	bool dpdk;                       /**< --dpdk: transport = dpdk */
	char dpdk_eal[512];              /**< EAL arguments (vdevs...) */
	char dpdk_dev[64];               /**< port name or number, "" = first */
	char dpdk_addr[64];              /**< "198.18.0.2/24" */
	char dpdk_gw[64];                /**< IPv4 gateway, "" = none */
	char dpdk_addr6[64];             /**< "2001:db8::2/64", "" = no IPv6 */
	char dpdk_gw6[64];               /**< IPv6 gateway, "" = none */
	unsigned dpdk_mtu;               /**< 0 = the port's */
	unsigned dpdk_mbufs;             /**< packet buffers per worker */
	unsigned dpdk_idle_us;           /**< idle wait, 0 = busy poll */
	unsigned dpdk_idle_first_us;     /**< first idle wait after work */
	bool dpdk_hugepages;             /**< EAL memory from hugepages, PCI on */
	bool dpdk_rx_chain;              /**< records across segments opened in
					      the received mbufs, sent on as a chain */
	bool dpdk_tso;                   /**< TCP segmentation offload where the
					      port has it */
	char dpdk_impair[256];           /**< impairment spec (debug), "" = none */
	enum tg_cfg_backend_transport dpdk_backend_transport; /**< default dpdk */
	/** The port as the DPDK transport takes it (validation fills it
	 *  from the dpdk_* strings above). */
	struct tg_dpdk_port_conf dpdk_port;
	struct tg_net_impair_conf dpdk_imp; /**< parsed dpdk_impair */

	/* crypto backends */
	char accel_backends[256];        /**< tg_accel_conf.backends, "" = all */
	char accel_force[128];           /**< tg_accel_conf.force, "" = auto */

	/* operations */
	struct tg_addr admin;        /**< /metrics listener; text "" = off */
	char log_level[16];              /**< err|warn|notice|info|debug */
	char access_log[TG_CFG_PATH];    /**< "" = stderr, "-" = off */
	char pid_file[TG_CFG_PATH];
	char user[64];                   /**< run as this user once listening
					      ("" = stay as started; tg_privs_drop) */
	char group[64];                  /**< and this group ("" = the user's) */

	/* where the settings came from (error messages: file:line) */
	struct tg_cfg_origin origin[TG_CFG_MAX_ORIGINS];
	unsigned n_origin;
	char files[TG_CFG_MAX_FILES][TG_CFG_PATH]; /**< files read (@include) */
	unsigned n_files;
};

/** What the command line asked for besides running. */
enum tg_config_action {
	TG_ACTION_RUN = 0,
	TG_ACTION_HELP,          /**< --help was printed */
	TG_ACTION_VERSION,       /**< --version was printed */
	TG_ACTION_CHECK,         /**< --check-config: validate and exit */
	TG_ACTION_STATS,         /**< `tlsgate stats [--admin ADDR]` */
};

/** Fill @p cfg with the defaults. */
void tg_config_defaults(struct tg_config *cfg);

/**
 * Parse the command line (and the config file it names with -c/--config),
 * then validate. Errors are printed to stderr with their source and a
 * hint; on failure the return is TG_E_INVAL (usage, exit 2) or another
 * code (exit 1).
 */
TG_MUST_CHECK tg_result tg_config_parse(int argc, char **argv,
					struct tg_config *cfg,
					enum tg_config_action *action);

/** Parse and validate a config file alone (for reload and tests). */
TG_MUST_CHECK tg_result tg_config_load_file(const char *path,
					    struct tg_config *cfg);

/** Validate a filled config (addresses resolved, files readable...). */
TG_MUST_CHECK tg_result tg_config_validate(struct tg_config *cfg);

/**
 * "FILE:LINE: " or "--flag: " for setting @p key ("suites",
 * "certificates[0]", "limits.max_conns") into @p buf, or "" when it has
 * its default. Returns @p buf.
 */
const char *tg_config_where(const struct tg_config *cfg, const char *key,
			    char *buf, size_t cap);

/**
 * Print "configuration OK" and a summary (listeners, certificates,
 * backends, workers) to stdout: --check-config, once everything the
 * config names has loaded.
 */
void tg_config_print_summary(const struct tg_config *cfg);

/** Print the usage text to @p f (a FILE *; NULL: stdout): every flag and
 *  setting of the settings table, grouped, with defaults and ranges. */
void tg_config_usage(void *f);

/** "sockets" or "dpdk". */
const char *tg_cfg_transport_name(enum tg_cfg_transport t);

/** "auto", "thread" or "inline". */
const char *tg_cfg_control_name(enum tg_cfg_control c);

#endif
