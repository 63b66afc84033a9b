/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file config_int.h
 * Inside the configuration layer (app/config*.c): the settings table
 * and what its parts share. tg_config.h is the API for the rest of
 * tlsgate; the unit tests include this file to walk the table.
 *
 * One entry of tg_settings[] (config_table.c) is one setting: its name
 * in the config file (with its group: "limits.max_buffer"), its flag,
 * its type and field in struct tg_config, its range, default, help and a
 * sample value. The file reader (config_file.c), the command line and
 * --help (config_flags.c), the defaults and the checks (config.c,
 * config_check.c) all read the table, as nginx's ngx_command_t and
 * HAProxy's keyword lists drive theirs. A setting whose value needs its
 * own parser (addresses, certificates, backend pools, lists) is an entry
 * like the others, with handler functions.
 */
#ifndef TG_CONFIG_INT_H
#define TG_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <libconfig.h>

#include "tg_config.h"

/* ---- ranges shared by the table and the checks ------------------------ */

/** Most worker threads (RTE_MAX_LCORE in Debian's DPDK is 128). */
#define TG_CFG_MAX_WORKERS 128u
#define TG_CFG_MS_MAX (24u * 3600u * 1000u)       /**< one day in ms */
#define TG_CFG_TTL_MAX (7u * 24u * 3600u)         /**< RFC 8446 §4.6.1 bound */
#define TG_CFG_MAX_BUFFER_MIN (32u * 1024u)
#define TG_CFG_MAX_BUFFER_MAX (64u * 1024u * 1024u)
#define TG_CFG_HS_QUEUE_MIN 16u
#define TG_CFG_HS_QUEUE_MAX 65536u
#define TG_CFG_RECORD_MIN 256u
#define TG_CFG_RECORD_MAX 16384u
#define TG_CFG_SESSION_CACHE_MAX 100000000u

/* ---- the table ---------------------------------------------------------- */

struct tg_cfg_file;
struct tg_cfg_flags;

/** Room for the table's entries (a unit test checks it is enough). */
#define TG_CFG_MAX_SETTINGS 96

/** How a setting's value is read and stored. */
enum tg_set_type {
	TG_SET_UINT,  /**< unsigned field, min..max */
	TG_SET_BOOL,  /**< bool field; its flag (no argument) sets !def */
	TG_SET_STR,   /**< char[size] field */
	TG_SET_ENUM,  /**< int-sized enum field, names in tg_setting::names */
	TG_SET_FN,    /**< its own handlers (file, flag, check, init) */
	TG_SET_EARLY, /**< a flag read before the others (-c, --help...) */
};

/** The groups of --help and of docs/configuration.md. */
enum tg_set_section {
	TG_SEC_GENERAL = 0,
	TG_SEC_FRONTEND,
	TG_SEC_RESUMPTION,
	TG_SEC_BACKENDS,
	TG_SEC_WORKERS,
	TG_SEC_RECORDS,
	TG_SEC_ACCEL,
	TG_SEC_DPDK,
	TG_SEC_OPS,
	TG_SEC__COUNT
};

/** A name of an enumeration's value; a list ends with a NULL name. The
 *  first name of a value is the one printed, later ones are aliases. */
struct tg_cfg_enum {
	const char *name;
	int value;
};

/** tg_setting::opts */
#define TG_SET_O_AUTO 0x1u /**< UINT: 0 = computed by validation */
#define TG_SET_O_POW2 0x2u /**< UINT: a power of two */
#define TG_SET_O_LATE 0x4u /**< file: applied after the other settings */

/** One setting. */
struct tg_setting {
	const char *key;   /**< in the file, with its group ("limits.max_buffer");
			        NULL: a flag only */
	const char *flag;  /**< long flag without "--"; NULL: the file only */
	char short_flag;   /**< 'c', 'l', 'h' or 0 */
	const char *arg;   /**< the flag's argument in usage ("N", "ADDR");
			        NULL: the flag takes none */
	enum tg_set_type type;
	enum tg_set_section section;
	size_t off;        /**< the field in struct tg_config (FN: the one
			        its handlers fill) */
	size_t size;       /**< its size */
	unsigned long long min, max; /**< UINT range */
	unsigned long long def;      /**< UINT, BOOL, ENUM default */
	const char *def_str; /**< STR default */
	const char *def_text; /**< the default in words where the value alone
				   says too little ("x25519:P-256:P-384") */
	const char *unit;    /**< "ms", "s", "bytes" or NULL */
	const char *help;    /**< one line for --help */
	const char *sample;  /**< a valid value other than the default, as
			          written after the flag (tests, examples) */
	const char *example; /**< a file line setting it (FN: required) */
	const struct tg_cfg_enum *names; /**< ENUM */
	unsigned opts;       /**< TG_SET_O_* */
	const char *why;     /**< appended to range errors ("it sizes a ring") */
	enum tg_config_action action; /**< EARLY: what it asks for */
	/** STR: NULL when @p v is acceptable, else what to write instead
	 *  (checked as the file and the flags are read). */
	const char *(*accept)(const char *v);
	/** FN: its default (after tg_config_defaults zeroed the config). */
	void (*init)(struct tg_config *cfg);
	/** FN: read it from the file. */
	void (*file)(struct tg_cfg_file *fc, const config_setting_t *s);
	/** FN: read its flag; false after printing an error. */
	bool (*flag_fn)(struct tg_cfg_flags *fl, const char *arg);
	/** Checks of a filled config beyond the range (any type): the
	 *  number of errors printed; unreadable files go to @p io_errors. */
	unsigned (*check)(struct tg_config *cfg, const struct tg_setting *s,
			  unsigned *io_errors);
};

/** Every setting (config_table.c), in --help order. */
extern const struct tg_setting tg_settings[];
/** Their number. */
extern const unsigned tg_n_settings;

/** Section titles (--help, docs/configuration.md headings). */
extern const char *const tg_cfg_section_title[TG_SEC__COUNT];

/** The setting of file name @p key ("limits.max_buffer"), or NULL. */
const struct tg_setting *tg_cfg_setting(const char *key);

/** Enumerations (config_table.c). */
extern const struct tg_cfg_enum tg_cfg_client_auth_names[];
extern const struct tg_cfg_enum tg_cfg_control_names[];
extern const struct tg_cfg_enum tg_cfg_proxy_names[];
extern const struct tg_cfg_enum tg_cfg_policy_names[];
extern const struct tg_cfg_enum tg_cfg_transport_names[];
extern const struct tg_cfg_enum tg_cfg_backend_transport_names[];

/** Look @p s up in @p t; false when it is no name there. */
bool tg_cfg_enum_parse(const struct tg_cfg_enum *t, const char *s, int *out);
/** The printed name of @p value in @p t ("?" when it has none). */
const char *tg_cfg_enum_str(const struct tg_cfg_enum *t, int value);
/** "none, optional or require" (@p quote: "\"none\", ..."), no aliases. */
void tg_cfg_enum_list(const struct tg_cfg_enum *t, bool quote, char *buf,
		      size_t cap);

/* ---- reading: the state handlers get ------------------------------------ */

/** One config file being read. */
struct tg_cfg_file {
	const char *path;              /**< the file named by the caller */
	struct tg_config *cfg;
	unsigned errors;               /**< errors printed so far */
	const config_setting_t *late[4];  /**< TG_SET_O_LATE settings seen */
	const struct tg_setting *late_s[4];
	unsigned n_late;
};

/** The command line being read. */
struct tg_cfg_flags {
	struct tg_config *cfg;
	const struct tg_setting *s; /**< the flag's setting */
	bool first;                 /**< its first time on this line: a list
				         flag then replaces the file's list */
	bool cert_open;             /**< a --cert waits for its --key */
	bool seen[TG_CFG_MAX_SETTINGS]; /**< per setting: its flag was given */
};

/* ---- shared helpers (config.c) ----------------------------------------- */

/** Print one configuration error (printf style) through tg_log. */
void tg_cfg_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** A check error about setting @p key, prefixed with where it was set. */
void tg_cfg_verr(const struct tg_config *cfg, const char *key,
		 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** @p key was set at @p file : @p line. */
void tg_cfg_origin_file(struct tg_config *cfg, const char *key,
			const char *file, unsigned line);
/** @p key was set by flag @p flag ("--suites"); it overrides the file. */
void tg_cfg_origin_flag(struct tg_config *cfg, const char *key,
			const char *flag);

/** Copy @p src into @p dst (capacity @p cap); false if it does not fit. */
bool tg_cfg_copy_str(char *dst, size_t cap, const char *src);

/**
 * Parse a decimal unsigned number with no sign, spaces or suffix.
 * @return false when @p s is not a number or is outside [@p min, @p max].
 */
bool tg_cfg_parse_uint(const char *s, unsigned long long min,
		       unsigned long long max, unsigned *out);

/** Edit distance of two short strings (99 when too long), for hints. */
unsigned tg_cfg_edit_distance(const char *a, const char *b);

/** True when @p s is a host name: letters, digits, '.', '-', '_'. */
bool tg_cfg_is_hostname(const char *s);

/* ---- the file (config_file.c) -------------------------------------------- */

/** Print "file:line: message" for setting @p s and count the error. */
void tg_cfg_ferr(struct tg_cfg_file *fc, const config_setting_t *s,
		 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** Full name of a setting: "timeouts.connect", "backends[1].name". */
void tg_cfg_setting_name(const config_setting_t *s, char *buf, size_t len);

/** "an integer", "a string"... for a libconfig type. */
const char *tg_cfg_type_name(int type);

/** Element @p i of list @p list ("certificates") is setting @p el. */
void tg_cfg_origin_elem(struct tg_cfg_file *fc, const char *list, unsigned i,
			const config_setting_t *el);

/**
 * The strings of a setting that may be one string or an array/list of
 * strings, into @p out / @p el (up to @p cap).
 * @return the count, or -1 after reporting an error.
 */
int tg_cfg_get_strings(struct tg_cfg_file *fc, const config_setting_t *s,
		       const char **out, const config_setting_t **el, int cap,
		       const char *example);

/** A string setting's value, or NULL after reporting a type error. */
const char *tg_cfg_get_string(struct tg_cfg_file *fc,
			      const config_setting_t *s, const char *example);

/**
 * Read string member @p name of group @p g into @p dst (capacity @p cap);
 * absent leaves @p dst alone. @return false after an error.
 */
bool tg_cfg_member_str(struct tg_cfg_file *fc, const config_setting_t *g,
		       const char *name, char *dst, size_t cap,
		       const char *example);

/** Report members of group @p g not in @p names (NULL-terminated);
 *  false if any. */
bool tg_cfg_only_members(struct tg_cfg_file *fc, const config_setting_t *g,
			 const char *const *names);

/**
 * Read @p path into @p cfg over what is there (defaults or an earlier
 * state), without the checks. Prints every error with FILE:LINE.
 * @return TG_E_IO (unreadable), TG_E_DECODE (syntax or bad settings)
 */
TG_MUST_CHECK tg_result tg_cfg_read_file(const char *path,
					 struct tg_config *cfg);

/* ---- the command line (config_flags.c) ----------------------------------- */

/**
 * Defaults, then -c FILE, then every flag in order; no checks
 * (tg_config_parse() runs them after). --help and --version print here.
 */
TG_MUST_CHECK tg_result tg_cfg_read_args(int argc, char **argv,
					 struct tg_config *cfg,
					 enum tg_config_action *action);

/* ---- handlers of settings with their own syntax -------------------------- */

/** Where an address may point. */
enum tg_addr_use {
	TG_ADDR_BIND,    /**< listen / admin: IP literal or wildcard */
	TG_ADDR_CONNECT, /**< backend: IP literal or host name, no wildcard */
};

/**
 * Parse and resolve "host:port", "[v6]:port", "*:port" or ":port"
 * (config_addr.c). Numeric addresses are tried first; host names are
 * resolved with getaddrinfo() for TG_ADDR_CONNECT only.
 * @param err  receives the reason on failure ("missing port ...")
 * @return TG_E_INVAL for a malformed address, TG_E_NOTFOUND when a name
 *         does not resolve
 */
TG_MUST_CHECK tg_result tg_cfg_parse_addr(const char *text,
					  enum tg_addr_use use,
					  struct tg_addr *out, char *err,
					  size_t err_len);

/** Resolve an address filled in by text only (a programmatic config);
 *  false after printing the error for @p key. */
bool tg_cfg_ensure_addr(const struct tg_config *cfg, const char *key,
			const char *what, struct tg_addr *a,
			enum tg_addr_use use);

/* config_addr.c */
void tg_cfg_listen_file(struct tg_cfg_file *fc, const config_setting_t *s);
bool tg_cfg_listen_flag(struct tg_cfg_flags *fl, const char *arg);
unsigned tg_cfg_listen_check(struct tg_config *cfg, const struct tg_setting *s,
			     unsigned *io_errors);
void tg_cfg_admin_file(struct tg_cfg_file *fc, const config_setting_t *s);
bool tg_cfg_admin_flag(struct tg_cfg_flags *fl, const char *arg);
unsigned tg_cfg_admin_check(struct tg_config *cfg, const struct tg_setting *s,
			    unsigned *io_errors);

/* config_tls.c */
void tg_cfg_certs_file(struct tg_cfg_file *fc, const config_setting_t *s);
bool tg_cfg_cert_flag(struct tg_cfg_flags *fl, const char *arg);
bool tg_cfg_key_flag(struct tg_cfg_flags *fl, const char *arg);
unsigned tg_cfg_certs_check(struct tg_config *cfg, const struct tg_setting *s,
			    unsigned *io_errors);
void tg_cfg_alpn_file(struct tg_cfg_file *fc, const config_setting_t *s);
bool tg_cfg_alpn_flag(struct tg_cfg_flags *fl, const char *arg);
unsigned tg_cfg_alpn_check(struct tg_config *cfg, const struct tg_setting *s,
			   unsigned *io_errors);
void tg_cfg_ticket_keys_file(struct tg_cfg_file *fc, const config_setting_t *s);
bool tg_cfg_ticket_key_flag(struct tg_cfg_flags *fl, const char *arg);
unsigned tg_cfg_ticket_keys_check(struct tg_config *cfg,
				  const struct tg_setting *s,
				  unsigned *io_errors);
unsigned tg_cfg_suites_check(struct tg_config *cfg, const struct tg_setting *s,
			     unsigned *io_errors);
unsigned tg_cfg_groups_check(struct tg_config *cfg, const struct tg_setting *s,
			     unsigned *io_errors);
unsigned tg_cfg_versions_check(struct tg_config *cfg, const struct tg_setting *s,
			       unsigned *io_errors);
unsigned tg_cfg_suites13_check(struct tg_config *cfg, const struct tg_setting *s,
			       unsigned *io_errors);
unsigned tg_cfg_sigalgs_check(struct tg_config *cfg, const struct tg_setting *s,
			      unsigned *io_errors);
unsigned tg_cfg_readable_check(struct tg_config *cfg, const struct tg_setting *s,
			       unsigned *io_errors);

/* config_backends.c */
void tg_cfg_backends_init(struct tg_config *cfg);
void tg_cfg_backends_file(struct tg_cfg_file *fc, const config_setting_t *s);
bool tg_cfg_backend_flag(struct tg_cfg_flags *fl, const char *arg);
unsigned tg_cfg_backends_check(struct tg_config *cfg, const struct tg_setting *s,
			       unsigned *io_errors);
void tg_cfg_routes_file(struct tg_cfg_file *fc, const config_setting_t *s);
unsigned tg_cfg_routes_check(struct tg_config *cfg, const struct tg_setting *s,
			     unsigned *io_errors);

/* config_check.c */
const char *tg_cfg_log_level_accept(const char *v);
unsigned tg_cfg_lcores_check(struct tg_config *cfg, const struct tg_setting *s,
			     unsigned *io_errors);
unsigned tg_cfg_accel_backends_check(struct tg_config *cfg,
				     const struct tg_setting *s,
				     unsigned *io_errors);
unsigned tg_cfg_accel_force_check(struct tg_config *cfg,
				  const struct tg_setting *s,
				  unsigned *io_errors);
unsigned tg_cfg_dpdk_eal_check(struct tg_config *cfg, const struct tg_setting *s,
			       unsigned *io_errors);
unsigned tg_cfg_dpdk_addr_check(struct tg_config *cfg, const struct tg_setting *s,
				unsigned *io_errors);
unsigned tg_cfg_dpdk_mtu_check(struct tg_config *cfg, const struct tg_setting *s,
			       unsigned *io_errors);
unsigned tg_cfg_dpdk_impair_check(struct tg_config *cfg,
				  const struct tg_setting *s,
				  unsigned *io_errors);
unsigned tg_cfg_user_check(struct tg_config *cfg, const struct tg_setting *s,
			   unsigned *io_errors);
unsigned tg_cfg_group_check(struct tg_config *cfg, const struct tg_setting *s,
			    unsigned *io_errors);

#endif
