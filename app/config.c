/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tlsgate's configuration: defaults, then the config file (libconfig),
 * then the command-line flags, then validation. The reference of every
 * setting and flag is docs/configuration.md.
 */
#include "tg_config.h"

#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libconfig.h>

#include "tg_accel.h"
#include "tg_log.h"
#include "tg_suite.h"

#ifndef TG_VERSION
#define TG_VERSION "unknown"
#endif

/** Most worker threads (RTE_MAX_LCORE in Debian's DPDK is 128). */
#define TG_CFG_MAX_WORKERS 128u

/* Ranges shared by the file and the flags. */
#define MS_MAX (24u * 3600u * 1000u)          /* one day in ms */
#define MAX_BUFFER_MIN (32u * 1024u)
#define MAX_BUFFER_MAX (64u * 1024u * 1024u)
#define HS_QUEUE_MIN 16u
#define HS_QUEUE_MAX 65536u
#define RECORD_MIN 256u
#define RECORD_MAX 16384u
#define SESSION_CACHE_MAX 100000000u
#define TTL_MAX (7u * 24u * 3600u)            /* RFC 8446 §4.6.1 bound */

/* ---- small helpers ---------------------------------------------------- */

/** Print one configuration error (printf style) through tg_log. */
static void __attribute__((format(printf, 1, 2))) cfg_err(const char *fmt,
							   ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	TG_ERR("%s", msg);
}

/* ---- where settings came from ---------------------------------------- */

/** The origin entry of @p key, added if new; NULL when the table is full. */
static struct tg_cfg_origin *origin_slot(struct tg_config *cfg, const char *key)
{
	struct tg_cfg_origin *o;

	for (unsigned i = 0; i < cfg->n_origin; i++)
		if (strcmp(cfg->origin[i].key, key) == 0)
			return &cfg->origin[i];
	if (cfg->n_origin == TG_CFG_MAX_ORIGINS ||
	    strlen(key) >= sizeof(cfg->origin[0].key))
		return NULL;
	o = &cfg->origin[cfg->n_origin++];
	memset(o, 0, sizeof(*o));
	strcpy(o->key, key);
	return o;
}

/** @p key was set at @p file : @p line. */
static void origin_file(struct tg_config *cfg, const char *key,
			const char *file, unsigned line)
{
	struct tg_cfg_origin *o;
	unsigned f;

	for (f = 0; f < cfg->n_files; f++)
		if (strcmp(cfg->files[f], file) == 0)
			break;
	if (f == cfg->n_files) {
		if (f == TG_CFG_MAX_FILES ||
		    strlen(file) >= sizeof(cfg->files[0]))
			return; /* no location rather than a wrong one */
		strcpy(cfg->files[cfg->n_files++], file);
	}
	o = origin_slot(cfg, key);
	if (o == NULL)
		return;
	o->line = line;
	o->file = f;
	o->flag[0] = '\0';
}

/** @p key was set by command-line flag @p flag (it overrides the file). */
static void origin_flag(struct tg_config *cfg, const char *key, const char *flag)
{
	struct tg_cfg_origin *o = origin_slot(cfg, key);

	if (o == NULL)
		return;
	o->line = 0;
	snprintf(o->flag, sizeof(o->flag), "%s", flag);
}

const char *tg_config_where(const struct tg_config *cfg, const char *key,
			    char *buf, size_t cap)
{
	size_t base = strcspn(key, "[.");

	buf[0] = '\0';
	/* the exact key, else the setting it is part of: certificates[1]
	 * -> certificates, limits.max_conns -> limits */
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < cfg->n_origin; i++) {
			const struct tg_cfg_origin *o = &cfg->origin[i];

			if (pass == 0 ? strcmp(o->key, key) != 0
				      : strlen(o->key) != base ||
						strncmp(o->key, key, base) != 0)
				continue;
			if (o->line > 0 && o->file < cfg->n_files)
				snprintf(buf, cap, "%s:%u: ", cfg->files[o->file],
					 o->line);
			else if (o->flag[0] != '\0')
				snprintf(buf, cap, "%s: ", o->flag);
			return buf;
		}
		if (key[base] == '\0')
			break;
	}
	return buf;
}

/** Element @p i of list @p list ("certificates") is setting @p el. */
static void origin_elem(struct tg_config *cfg, const char *path,
			const char *list, unsigned i, const config_setting_t *el)
{
	char key[48];
	const char *file = config_setting_source_file(el);

	snprintf(key, sizeof(key), "%s[%u]", list, i);
	origin_file(cfg, key, file != NULL ? file : path,
		    config_setting_source_line(el));
}

/** A validation error about setting @p key, prefixed with where it was set. */
static void __attribute__((format(printf, 3, 4)))
verr(const struct tg_config *cfg, const char *key, const char *fmt, ...)
{
	char msg[1024], where[TG_CFG_PATH + 32];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cfg_err("%s%s", tg_config_where(cfg, key, where, sizeof(where)), msg);
}

/** Copy @p src into @p dst (capacity @p cap); false if it does not fit. */
static bool copy_str(char *dst, size_t cap, const char *src)
{
	size_t len = strlen(src);

	if (len >= cap)
		return false;
	memcpy(dst, src, len + 1);
	return true;
}

/**
 * Parse a decimal unsigned number with no sign, spaces or suffix.
 * @return false when @p s is not a number or is outside [@p min, @p max].
 */
static bool parse_uint(const char *s, unsigned long long min,
		       unsigned long long max, unsigned *out)
{
	unsigned long long v;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

/** True when @p s is a valid host name (letters, digits, '.', '-', '_'). */
static bool is_hostname(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		char c = *s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		      c == '_'))
			return false;
	}
	return true;
}

/* ---- addresses -------------------------------------------------------- */

/** Where an address may point. */
enum addr_use {
	ADDR_BIND,    /**< listen / admin: IP literal or wildcard */
	ADDR_CONNECT, /**< backend: IP literal or host name, no wildcard */
};

/**
 * Parse and resolve "host:port", "[v6]:port", "*:port" or ":port".
 *
 * Numeric addresses are tried first (no DNS); host names are resolved
 * with getaddrinfo() for ADDR_CONNECT only. The first result is kept.
 *
 * @param text  the address as written
 * @param use   ADDR_BIND or ADDR_CONNECT
 * @param out   receives the text and the socket address
 * @param err   receives the reason on failure ("missing port ...")
 * @return TG_E_INVAL for a malformed address, TG_E_NOTFOUND when a name
 *         does not resolve.
 */
static TG_MUST_CHECK tg_result parse_addr(const char *text, enum addr_use use,
			    struct tg_addr *out, char *err, size_t err_len)
{
	char host[256];
	const char *port;
	const char *colon;
	bool bracket = false;
	unsigned port_num;
	struct addrinfo hints, *res = NULL;
	int rc;

	if (!copy_str(out->text, sizeof(out->text), text)) {
		snprintf(err, err_len, "address too long (at most %zu bytes)",
			 sizeof(out->text) - 1);
		return tg_error(TG_E_INVAL);
	}
	out->salen = 0;
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		size_t hlen;

		if (close == NULL) {
			snprintf(err, err_len,
				 "missing ']' (write IPv6 as [addr]:port)");
			return tg_error(TG_E_INVAL);
		}
		hlen = (size_t)(close - text - 1);
		memcpy(host, text + 1, hlen);
		host[hlen] = '\0';
		bracket = true;
		if (close[1] == '\0') {
			snprintf(err, err_len,
				 "missing port (write [addr]:port, e.g. [::1]:8443)");
			return tg_error(TG_E_INVAL);
		}
		if (close[1] != ':') {
			snprintf(err, err_len, "expected ':port' after ']'");
			return tg_error(TG_E_INVAL);
		}
		port = close + 2;
	} else {
		size_t hlen;

		colon = strrchr(text, ':');
		if (colon == NULL) {
			snprintf(err, err_len,
				 "missing port (write host:port, e.g. 127.0.0.1:8080)");
			return tg_error(TG_E_INVAL);
		}
		if (memchr(text, ':', (size_t)(colon - text)) != NULL) {
			snprintf(err, err_len,
				 "IPv6 addresses need brackets: [addr]:port");
			return tg_error(TG_E_INVAL);
		}
		hlen = (size_t)(colon - text);
		memcpy(host, text, hlen);
		host[hlen] = '\0';
		port = colon + 1;
	}
	if (port[0] == '\0') {
		snprintf(err, err_len,
			 "missing port (write host:port, e.g. 127.0.0.1:8080)");
		return tg_error(TG_E_INVAL);
	}
	if (strspn(port, "0123456789") != strlen(port)) {
		snprintf(err, err_len, "port '%s' is not a number", port);
		return tg_error(TG_E_INVAL);
	}
	if (!parse_uint(port, 1, 65535, &port_num)) {
		snprintf(err, err_len, "port out of range (1-65535)");
		return tg_error(TG_E_INVAL);
	}

	/* Wildcards: "*:p", ":p" = IPv4 any; "[::]:p" or "[*]:p" = IPv6 any. */
	if (host[0] == '\0' || strcmp(host, "*") == 0) {
		if (use != ADDR_BIND) {
			snprintf(err, err_len,
				 "a wildcard is not a server address: give the backend's IP or host name");
			return tg_error(TG_E_INVAL);
		}
		memset(&out->sa, 0, sizeof(out->sa));
		if (bracket) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->sa;

			s6->sin6_family = AF_INET6;
			s6->sin6_addr = in6addr_any;
			s6->sin6_port = htons((uint16_t)port_num);
			out->salen = sizeof(*s6);
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&out->sa;

			s4->sin_family = AF_INET;
			s4->sin_addr.s_addr = htonl(INADDR_ANY);
			s4->sin_port = htons((uint16_t)port_num);
			out->salen = sizeof(*s4);
		}
		return TG_OK;
	}

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = bracket ? AF_INET6 : AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0 && bracket) {
		snprintf(err, err_len, "'%.100s' is not an IPv6 address", host);
		return tg_error(TG_E_INVAL);
	}
	if (rc != 0 && use == ADDR_BIND) {
		snprintf(err, err_len,
			 "'%.100s' is not an IP address (listen addresses are numeric: 0.0.0.0:8443, [::]:8443, *:8443)",
			 host);
		return tg_error(TG_E_INVAL);
	}
	if (rc != 0) {
		if (!is_hostname(host)) {
			snprintf(err, err_len,
				 "'%.100s' is not an IP address or a host name",
				 host);
			return tg_error(TG_E_INVAL);
		}
		hints.ai_flags = AI_NUMERICSERV;
		rc = getaddrinfo(host, port, &hints, &res);
		if (rc != 0) {
			snprintf(err, err_len, "cannot resolve '%.100s': %s", host,
				 gai_strerror(rc));
			return tg_error(TG_E_NOTFOUND);
		}
	}
	if (res->ai_addrlen > sizeof(out->sa)) {
		freeaddrinfo(res);
		snprintf(err, err_len, "unsupported address family");
		return tg_error(TG_E_INVAL);
	}
	memcpy(&out->sa, res->ai_addr, res->ai_addrlen);
	out->salen = res->ai_addrlen;
	freeaddrinfo(res);
	return TG_OK;
}

/* ---- enumerations ----------------------------------------------------- */

/* A name of an enumeration's value; a table ends with a NULL name. The
 * first name of a value is the one printed; later ones are accepted
 * aliases. */
struct enum_name {
	const char *name;
	int value;
};

static const struct enum_name client_auth_names[] = {
	{ "none", TG_CFG_CLIENT_AUTH_NONE },
	{ "optional", TG_CFG_CLIENT_AUTH_OPTIONAL },
	{ "require", TG_CFG_CLIENT_AUTH_REQUIRE },
	{ "required", TG_CFG_CLIENT_AUTH_REQUIRE },
	{ NULL, 0 },
};

static const struct enum_name control_names[] = {
	{ "auto", TG_CFG_CONTROL_AUTO },
	{ "thread", TG_CFG_CONTROL_THREAD },
	{ "inline", TG_CFG_CONTROL_INLINE },
	{ NULL, 0 },
};

static const struct enum_name proxy_names[] = {
	{ "none", TG_PROXY_NONE },
	{ "off", TG_PROXY_NONE },
	{ "v1", TG_PROXY_V1 },
	{ "v2", TG_PROXY_V2 },
	{ NULL, 0 },
};

static const struct enum_name policy_names[] = {
	{ "round_robin", TG_LB_ROUND_ROBIN },
	{ "roundrobin", TG_LB_ROUND_ROBIN },
	{ "least_conn", TG_LB_LEAST_CONN },
	{ "leastconn", TG_LB_LEAST_CONN },
	{ NULL, 0 },
};

/* Look @p s up in @p t; false when it is no name there. */
static bool enum_parse(const struct enum_name *t, const char *s, int *out)
{
	for (; t->name != NULL; t++) {
		if (strcmp(t->name, s) == 0) {
			*out = t->value;
			return true;
		}
	}
	return false;
}

/* The printed name of @p value in @p t ("?" when it has none). */
static const char *enum_str(const struct enum_name *t, int value)
{
	for (; t->name != NULL; t++)
		if (t->value == value)
			return t->name;
	return "?";
}

/* Parse @p s into the enum lvalue @p dst through table @p t: true on success. */
#define PARSE_ENUM(t, s, dst)                                                 \
	({                                                                    \
		int v_;                                                       \
		bool ok_ = enum_parse(t, s, &v_);                             \
		if (ok_)                                                      \
			(dst) = (__typeof__(dst))v_;                          \
		ok_;                                                          \
	})

const char *tg_cfg_control_name(enum tg_cfg_control c)
{
	return enum_str(control_names, (int)c);
}

/**
 * Add one ALPN protocol name to @p cfg.
 * @return NULL on success, else the reason.
 */
static const char *add_alpn(struct tg_config *cfg, const char *name,
			    size_t len)
{
	if (len == 0)
		return "empty ALPN protocol name";
	if (len > sizeof(cfg->alpn[0]) - 1)
		return "ALPN protocol name longer than 31 bytes";
	if (cfg->n_alpn == TG_CFG_MAX_ALPN)
		return "too many ALPN protocols (at most 8)";
	for (unsigned i = 0; i < cfg->n_alpn; i++)
		if (strlen(cfg->alpn[i]) == len &&
		    memcmp(cfg->alpn[i], name, len) == 0)
			return "duplicate ALPN protocol";
	memcpy(cfg->alpn[cfg->n_alpn], name, len);
	cfg->alpn[cfg->n_alpn][len] = '\0';
	cfg->n_alpn++;
	return NULL;
}

/** True for a pool name usable in routes: [A-Za-z0-9_.-]{1,63}. */
static bool valid_pool_name(const char *s)
{
	return strlen(s) < sizeof(((struct tg_pool_conf *)0)->name) &&
	       is_hostname(s);
}

/**
 * Check and normalise (lower case) a route's server name: a DNS name or
 * "*.suffix". @return NULL on success, else the reason.
 */
static const char *check_sni(char *s)
{
	const char *p = s;

	if (*s == '\0')
		return "empty server name";
	if (strlen(s) > 253)
		return "server name longer than 253 bytes";
	if (p[0] == '*') {
		if (p[1] != '.' || p[2] == '\0')
			return "a wildcard must be '*.' followed by a domain (*.example.com)";
		p += 2;
	}
	if (!is_hostname(p) || strchr(p, '*') != NULL)
		return "server names hold letters, digits, '.', '-' and '_' only";
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
	return NULL;
}

/* ---- defaults --------------------------------------------------------- */

void tg_config_defaults(struct tg_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->client_auth = TG_CFG_CLIENT_AUTH_NONE;
	cfg->session_cache = 20000;
	cfg->session_ttl_s = 300;
	cfg->tickets = true;
	cfg->ticket_lifetime_s = 7200;
	cfg->backends.n_pools = 1;
	strcpy(cfg->backends.pools[0].name, "default");
	cfg->backends.pools[0].policy = TG_LB_ROUND_ROBIN;
	cfg->flow.proxy_protocol = TG_PROXY_NONE;
	cfg->flow.connect_timeout_ms = 3000;
	cfg->flow.connect_retries = 2;
	cfg->health_interval_ms = 2000;
	cfg->workers = 1;
	cfg->flow.max_conns = 10000;
	cfg->flow.max_conns_per_worker = 0; /* ceil(max_conns / workers), validate */
	cfg->flow.handshake_timeout_ms = 10000;
	cfg->flow.idle_timeout_ms = 60000;
	cfg->flow.drain_timeout_ms = 10000;
	cfg->flow.max_buffer = 256 * 1024;
	cfg->hs_queue = 1024;
	cfg->flow.record_small = 1369;
	cfg->flow.record_max = 16384;
	cfg->flow.record_ramp_bytes = 1024 * 1024;
	cfg->flow.record_idle_ms = 1000;
	strcpy(cfg->log_level, "notice");
}

/* ---- the config file -------------------------------------------------- */

/** State of one file parse. */
struct file_ctx {
	const char *path;              /**< the file named by the caller */
	struct tg_config *cfg;
	unsigned errors;               /**< errors printed so far */
	const config_setting_t *routes; /**< handled after the pools */
};

/** Full name of a setting for messages: "timeouts.connect", "backends[1].name". */
static void setting_name(const config_setting_t *s, char *buf, size_t len)
{
	const config_setting_t *parent = config_setting_parent(s);
	size_t used;

	buf[0] = '\0';
	if (parent == NULL)
		return;
	setting_name(parent, buf, len);
	used = strlen(buf);
	if (config_setting_name(s) != NULL)
		snprintf(buf + used, len - used, "%s%s", used ? "." : "",
			 config_setting_name(s));
	else
		snprintf(buf + used, len - used, "[%d]",
			 config_setting_index(s));
}

/** Print "file:line: message" for setting @p s and count the error. */
static void __attribute__((format(printf, 3, 4)))
ferr(struct file_ctx *fc, const config_setting_t *s, const char *fmt, ...)
{
	char msg[768];
	const char *file = config_setting_source_file(s);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cfg_err("%s:%u: %s", file != NULL ? file : fc->path,
		config_setting_source_line(s), msg);
	fc->errors++;
}

static const char *type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP: return "a group { ... }";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64: return "an integer";
	case CONFIG_TYPE_FLOAT: return "a decimal number";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL: return "a boolean";
	case CONFIG_TYPE_ARRAY: return "an array [ ... ]";
	case CONFIG_TYPE_LIST: return "a list ( ... )";
	default: return "nothing";
	}
}

/** Kinds of settings in a key table. */
enum key_kind {
	K_UINT,  /**< unsigned field, range min..max */
	K_BOOL,  /**< bool field */
	K_STR,   /**< char[] field of capacity cap */
	K_GROUP, /**< nested group with its own table */
	K_FN,    /**< custom handler */
};

struct key;
typedef void (*key_fn)(struct file_ctx *fc, const config_setting_t *s);

/** One known setting of a group. */
struct key {
	const char *name;
	enum key_kind kind;
	size_t off;             /**< offset in struct tg_config */
	size_t cap;             /**< K_STR capacity */
	unsigned long long min, max; /**< K_UINT range */
	key_fn fn;              /**< K_FN */
	const struct key *sub;  /**< K_GROUP */
	const char *example;    /**< shown in type errors */
};

#define F(field) offsetof(struct tg_config, field)
#define KU(n, field, lo, hi, ex)                                              \
	{ .name = n, .kind = K_UINT, .off = F(field), .min = lo, .max = hi,    \
	  .example = ex }
#define KB(n, field, ex)                                                       \
	{ .name = n, .kind = K_BOOL, .off = F(field), .example = ex }
#define KS(n, field, ex)                                                       \
	{ .name = n, .kind = K_STR, .off = F(field),                           \
	  .cap = sizeof(((struct tg_config *)0)->field), .example = ex }
#define KF(n, f, ex) { .name = n, .kind = K_FN, .fn = f, .example = ex }
#define KG(n, t, ex) { .name = n, .kind = K_GROUP, .sub = t, .example = ex }
#define KEND { .name = NULL }

/**
 * Strings of a setting that may be one string or an array/list of
 * strings. Fills @p out / @p el (up to @p cap).
 * @return the count, or -1 after reporting an error.
 */
static int get_strings(struct file_ctx *fc, const config_setting_t *s,
		       const char **out, const config_setting_t **el,
		       int cap, const char *example)
{
	char name[128];
	int n;

	setting_name(s, name, sizeof(name));
	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		out[0] = config_setting_get_string(s);
		el[0] = s;
		return 1;
	}
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST) {
		ferr(fc, s, "'%s' must be a string or an array of strings, not %s (example: %s)",
		     name, type_name(config_setting_type(s)), example);
		return -1;
	}
	n = config_setting_length(s);
	if (n > cap) {
		ferr(fc, s, "'%s' has %d entries, at most %d are allowed", name,
		     n, cap);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			ferr(fc, e, "'%s' entries must be strings, not %s (example: %s)",
			     name, type_name(config_setting_type(e)), example);
			return -1;
		}
		out[i] = config_setting_get_string(e);
		el[i] = e;
	}
	return n;
}

/** A string setting's value, or NULL after reporting a type error. */
static const char *get_string(struct file_ctx *fc, const config_setting_t *s,
			      const char *example)
{
	char name[128];

	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		return config_setting_get_string(s);
	setting_name(s, name, sizeof(name));
	ferr(fc, s, "'%s' must be a string, not %s (example: %s)", name,
	     type_name(config_setting_type(s)), example);
	return NULL;
}

static void key_listen(struct file_ctx *fc, const config_setting_t *s)
{
	const char *v[TG_CFG_MAX_LISTEN];
	const config_setting_t *el[TG_CFG_MAX_LISTEN];
	int n = get_strings(fc, s, v, el, TG_CFG_MAX_LISTEN,
			    "listen = [\"0.0.0.0:8443\", \"[::]:8443\"];");

	if (n < 0)
		return;
	fc->cfg->n_listen = 0;
	for (int i = 0; i < n; i++) {
		char err[256];
		struct tg_addr *a = &fc->cfg->listen[fc->cfg->n_listen];

		if (tg_failed(parse_addr(v[i], ADDR_BIND, a, err, sizeof(err))))
			ferr(fc, el[i], "listen '%s': %s", v[i], err);
		else
			fc->cfg->n_listen++;
	}
}

static void key_admin(struct file_ctx *fc, const config_setting_t *s)
{
	char err[256];
	const char *v = get_string(fc, s, "admin = \"127.0.0.1:9443\";");

	if (v == NULL)
		return;
	if (v[0] == '\0') {
		memset(&fc->cfg->admin, 0, sizeof(fc->cfg->admin));
		return;
	}
	if (tg_failed(parse_addr(v, ADDR_BIND, &fc->cfg->admin, err,
				 sizeof(err))))
		ferr(fc, s, "admin '%s': %s", v, err);
}

/**
 * Read one string member @p name of group @p g into @p dst (capacity
 * @p cap); absent leaves @p dst alone. @return false on an error.
 */
static bool member_str(struct file_ctx *fc, const config_setting_t *g,
		       const char *name, char *dst, size_t cap,
		       const char *example)
{
	const config_setting_t *m = config_setting_get_member(g, name);
	const char *v;
	char full[128];

	if (m == NULL)
		return true;
	v = get_string(fc, m, example);
	if (v == NULL)
		return false;
	if (!copy_str(dst, cap, v)) {
		setting_name(m, full, sizeof(full));
		ferr(fc, m, "'%s' is too long (at most %zu bytes)", full,
		     cap - 1);
		return false;
	}
	return true;
}

/**
 * Report members of group @p g not in @p names (NULL-terminated).
 * @return false if any.
 */
static bool only_members(struct file_ctx *fc, const config_setting_t *g,
			 const char *const *names)
{
	bool ok = true;
	char full[128];

	setting_name(g, full, sizeof(full));
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		bool known = false;
		char list[256] = "";

		for (const char *const *n = names; *n != NULL; n++) {
			size_t used = strlen(list);

			if (strcmp(*n, config_setting_name(m)) == 0)
				known = true;
			snprintf(list + used, sizeof(list) - used, "%s%s",
				 used ? ", " : "", *n);
		}
		if (!known) {
			ferr(fc, m, "unknown setting '%s' in %s (allowed: %s)",
			     config_setting_name(m), full, list);
			ok = false;
		}
	}
	return ok;
}

static void key_certificates(struct file_ctx *fc, const config_setting_t *s)
{
	static const char *const names[] = { "cert", "key", "default", NULL };
	static const char ex[] =
		"certificates = ( { cert = \"site.pem\"; key = \"site.key\"; } );";
	struct tg_config *cfg = fc->cfg;
	unsigned n;

	if (config_setting_type(s) == CONFIG_TYPE_GROUP) {
		n = 1;
	} else if (config_setting_type(s) == CONFIG_TYPE_LIST) {
		n = (unsigned)config_setting_length(s);
	} else {
		ferr(fc, s, "'certificates' must be a list of groups, not %s (example: %s)",
		     type_name(config_setting_type(s)), ex);
		return;
	}
	if (n > TG_CFG_MAX_CERTS) {
		ferr(fc, s, "too many certificates (%u, at most %d)", n,
		     TG_CFG_MAX_CERTS);
		return;
	}
	cfg->n_certs = 0;
	for (unsigned i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_type(s) ==
			CONFIG_TYPE_GROUP ? s : config_setting_get_elem(s, i);
		struct tg_cfg_cert *c = &cfg->certs[cfg->n_certs];
		const config_setting_t *d;
		bool ok;

		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			ferr(fc, g, "certificates[%u] must be a group { cert = ...; key = ...; }, not %s",
			     i, type_name(config_setting_type(g)));
			continue;
		}
		memset(c, 0, sizeof(*c));
		ok = only_members(fc, g, names);
		ok &= member_str(fc, g, "cert", c->cert, sizeof(c->cert), ex);
		ok &= member_str(fc, g, "key", c->key, sizeof(c->key), ex);
		d = config_setting_get_member(g, "default");
		if (d != NULL) {
			if (config_setting_type(d) != CONFIG_TYPE_BOOL) {
				ferr(fc, d, "certificates[%u].default must be true or false, not %s",
				     i, type_name(config_setting_type(d)));
				ok = false;
			} else {
				c->is_default = config_setting_get_bool(d);
			}
		}
		if (ok && c->cert[0] == '\0') {
			ferr(fc, g, "certificates[%u] has no cert: add cert = \"FILE\";",
			     i);
			ok = false;
		}
		if (ok && c->key[0] == '\0') {
			ferr(fc, g, "certificate '%s' has no key: add key = \"FILE\"; to its group",
			     c->cert);
			ok = false;
		}
		if (ok) {
			origin_elem(cfg, fc->path, "certificates", cfg->n_certs, g);
			cfg->n_certs++;
		}
	}
}

static void key_alpn(struct file_ctx *fc, const config_setting_t *s)
{
	const char *v[TG_CFG_MAX_ALPN];
	const config_setting_t *el[TG_CFG_MAX_ALPN];
	int n = get_strings(fc, s, v, el, TG_CFG_MAX_ALPN,
			    "alpn = [\"h2\", \"http/1.1\"];");

	if (n < 0)
		return;
	fc->cfg->n_alpn = 0;
	for (int i = 0; i < n; i++) {
		const char *why = add_alpn(fc->cfg, v[i], strlen(v[i]));

		if (why != NULL)
			ferr(fc, el[i], "alpn '%s': %s", v[i], why);
	}
}

static void key_client_auth(struct file_ctx *fc, const config_setting_t *s)
{
	const char *v = get_string(fc, s, "client_auth = \"require\";");

	if (v != NULL && !PARSE_ENUM(client_auth_names, v, fc->cfg->client_auth))
		ferr(fc, s, "client_auth '%s': use \"none\", \"optional\" or \"require\"",
		     v);
}

static void key_control(struct file_ctx *fc, const config_setting_t *s)
{
	const char *v = get_string(fc, s, "control = \"auto\";");

	if (v != NULL && !PARSE_ENUM(control_names, v, fc->cfg->control))
		ferr(fc, s, "control '%s': use \"auto\", \"thread\" or \"inline\"",
		     v);
}

static void key_ticket_keys(struct file_ctx *fc, const config_setting_t *s)
{
	const char *v[TG_CFG_MAX_TICKET_KEYS];
	const config_setting_t *el[TG_CFG_MAX_TICKET_KEYS];
	int n = get_strings(fc, s, v, el, TG_CFG_MAX_TICKET_KEYS,
			    "ticket_keys = [\"current.key\", \"previous.key\"];");

	if (n < 0)
		return;
	fc->cfg->n_ticket_keys = 0;
	for (int i = 0; i < n; i++) {
		char *dst = fc->cfg->ticket_keys[fc->cfg->n_ticket_keys];

		if (!copy_str(dst, TG_CFG_PATH, v[i]) || v[i][0] == '\0')
			ferr(fc, el[i], "ticket_keys: bad path '%.64s' (empty or longer than %d bytes)",
			     v[i], TG_CFG_PATH - 1);
		else
			fc->cfg->n_ticket_keys++;
	}
}

/** Fill pool @p p's servers from setting @p s (string or array). */
static void pool_servers(struct file_ctx *fc, const config_setting_t *s,
			 struct tg_pool_conf *p)
{
	const char *v[TG_CFG_MAX_BACKENDS];
	const config_setting_t *el[TG_CFG_MAX_BACKENDS];
	int n = get_strings(fc, s, v, el, TG_CFG_MAX_BACKENDS,
			    "servers = [\"127.0.0.1:8080\", \"10.0.0.2:8080\"];");

	if (n < 0)
		return;
	p->n_be = 0;
	for (int i = 0; i < n; i++) {
		char err[256];

		if (tg_failed(parse_addr(v[i], ADDR_CONNECT, &p->be[p->n_be],
					 err, sizeof(err))))
			ferr(fc, el[i], "backend '%s': %s", v[i], err);
		else
			p->n_be++;
	}
}

static void key_backends(struct file_ctx *fc, const config_setting_t *s)
{
	static const char *const names[] = { "name", "policy", "servers", NULL };
	static const char ex[] =
		"backends = ( { name = \"default\"; servers = [\"127.0.0.1:8080\"]; } );";
	struct tg_config *cfg = fc->cfg;
	int type = config_setting_type(s);
	unsigned n;

	/* Shortcut: a string or an array of strings is the default pool. */
	if (type == CONFIG_TYPE_STRING || type == CONFIG_TYPE_ARRAY ||
	    (type == CONFIG_TYPE_LIST && config_setting_length(s) > 0 &&
	     config_setting_type(config_setting_get_elem(s, 0)) ==
		     CONFIG_TYPE_STRING)) {
		cfg->backends.n_pools = 1;
		memset(&cfg->backends.pools[0], 0, sizeof(cfg->backends.pools[0]));
		strcpy(cfg->backends.pools[0].name, "default");
		pool_servers(fc, s, &cfg->backends.pools[0]);
		return;
	}
	if (type != CONFIG_TYPE_LIST && type != CONFIG_TYPE_GROUP) {
		ferr(fc, s, "'backends' must be a list of pools, not %s (example: %s)",
		     type_name(type), ex);
		return;
	}
	n = type == CONFIG_TYPE_GROUP ? 1u : (unsigned)config_setting_length(s);
	if (n == 0) {
		ferr(fc, s, "'backends' is empty: give at least one pool (example: %s)",
		     ex);
		return;
	}
	if (n > TG_CFG_MAX_POOLS) {
		ferr(fc, s, "too many backend pools (%u, at most %d)", n,
		     TG_CFG_MAX_POOLS);
		return;
	}
	cfg->backends.n_pools = 0;
	for (unsigned i = 0; i < n; i++) {
		const config_setting_t *g =
			type == CONFIG_TYPE_GROUP ? s : config_setting_get_elem(s, i);
		struct tg_pool_conf *p = &cfg->backends.pools[i];
		const config_setting_t *m;

		memset(p, 0, sizeof(*p));
		cfg->backends.n_pools = i + 1; /* keep indices aligned with the file */
		origin_elem(cfg, fc->path, "backends", i, g);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			ferr(fc, g, "backends[%u] must be a group { name = ...; servers = [...]; }, not %s",
			     i, type_name(config_setting_type(g)));
			continue;
		}
		only_members(fc, g, names);
		if (config_setting_get_member(g, "name") == NULL) {
			if (i == 0) {
				strcpy(p->name, "default");
			} else {
				ferr(fc, g, "backends[%u] needs a name so routes can use it: add name = \"...\";",
				     i);
			}
		} else if (member_str(fc, g, "name", p->name, sizeof(p->name),
				      ex) && !valid_pool_name(p->name)) {
			ferr(fc, config_setting_get_member(g, "name"),
			     "backend pool name '%s': use 1-63 letters, digits, '.', '-' or '_'",
			     p->name);
		}
		for (unsigned j = 0; j < i && p->name[0] != '\0'; j++)
			if (strcmp(cfg->backends.pools[j].name, p->name) == 0)
				ferr(fc, g, "backend pool '%s' is defined twice",
				     p->name);
		m = config_setting_get_member(g, "policy");
		if (m != NULL) {
			const char *v = get_string(fc, m, "policy = \"least_conn\";");

			if (v != NULL && !PARSE_ENUM(policy_names, v, p->policy))
				ferr(fc, m, "policy '%s': use \"round_robin\" or \"least_conn\"",
				     v);
		}
		m = config_setting_get_member(g, "servers");
		if (m == NULL)
			ferr(fc, g, "backend pool '%s' has no servers: add servers = [\"host:port\", ...];",
			     p->name);
		else
			pool_servers(fc, m, p);
	}
}

static void key_routes(struct file_ctx *fc, const config_setting_t *s)
{
	fc->routes = s; /* after the pools, whatever the order in the file */
}

/** Resolve the routes once the pools are known. */
static void parse_routes(struct file_ctx *fc, const config_setting_t *s)
{
	static const char *const names[] = { "sni", "backend", NULL };
	static const char ex[] =
		"routes = ( { sni = \"api.example.com\"; backend = \"api\"; } );";
	struct tg_config *cfg = fc->cfg;
	int type = config_setting_type(s);
	unsigned n;

	if (type != CONFIG_TYPE_LIST && type != CONFIG_TYPE_GROUP) {
		ferr(fc, s, "'routes' must be a list of groups, not %s (example: %s)",
		     type_name(type), ex);
		return;
	}
	n = type == CONFIG_TYPE_GROUP ? 1u : (unsigned)config_setting_length(s);
	cfg->backends.n_routes = 0;
	for (unsigned i = 0; i < n; i++) {
		const config_setting_t *g =
			type == CONFIG_TYPE_GROUP ? s : config_setting_get_elem(s, i);
		const config_setting_t *sni, *be, *el[TG_CFG_MAX_ROUTES];
		const char *names_v[TG_CFG_MAX_ROUTES];
		const char *pool;
		int k, nn;

		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			ferr(fc, g, "routes[%u] must be a group { sni = ...; backend = ...; }, not %s",
			     i, type_name(config_setting_type(g)));
			continue;
		}
		if (!only_members(fc, g, names))
			continue;
		sni = config_setting_get_member(g, "sni");
		be = config_setting_get_member(g, "backend");
		if (sni == NULL || be == NULL) {
			ferr(fc, g, "routes[%u] needs both sni and backend (example: %s)",
			     i, ex);
			continue;
		}
		pool = get_string(fc, be, "backend = \"api\";");
		nn = get_strings(fc, sni, names_v, el, TG_CFG_MAX_ROUTES,
				 "sni = \"api.example.com\";");
		if (pool == NULL || nn < 0)
			continue;
		for (k = 0; k < (int)cfg->backends.n_pools; k++)
			if (strcmp(cfg->backends.pools[k].name, pool) == 0)
				break;
		if (k == (int)cfg->backends.n_pools) {
			char list[512] = "";

			for (unsigned j = 0; j < cfg->backends.n_pools; j++) {
				size_t used = strlen(list);

				snprintf(list + used, sizeof(list) - used,
					 "%s'%s'", j ? ", " : "",
					 cfg->backends.pools[j].name);
			}
			ferr(fc, be, "route to backend '%s': no pool has that name (defined: %s)",
			     pool, list);
			continue;
		}
		for (int j = 0; j < nn; j++) {
			struct tg_route_conf *r = &cfg->backends.routes[cfg->backends.n_routes];
			const char *why;

			if (cfg->backends.n_routes == TG_CFG_MAX_ROUTES) {
				ferr(fc, el[j], "too many routes (at most %d)",
				     TG_CFG_MAX_ROUTES);
				return;
			}
			if (!copy_str(r->sni, sizeof(r->sni), names_v[j])) {
				ferr(fc, el[j], "sni '%.64s...': too long",
				     names_v[j]);
				continue;
			}
			why = check_sni(r->sni);
			if (why != NULL) {
				ferr(fc, el[j], "sni '%s': %s", names_v[j], why);
				continue;
			}
			r->pool = (unsigned)k;
			origin_elem(cfg, fc->path, "routes", cfg->backends.n_routes, el[j]);
			cfg->backends.n_routes++;
		}
	}
}

static void key_proxy(struct file_ctx *fc, const config_setting_t *s)
{
	const char *v = get_string(fc, s, "proxy_protocol = \"v2\";");

	if (v != NULL && !PARSE_ENUM(proxy_names, v, fc->cfg->flow.proxy_protocol))
		ferr(fc, s, "proxy_protocol '%s': use \"none\", \"v1\" or \"v2\"",
		     v);
}

static void key_log_level(struct file_ctx *fc, const config_setting_t *s)
{
	enum tg_log_level lvl;
	const char *v = get_string(fc, s, "log_level = \"info\";");

	if (v == NULL)
		return;
	if (!tg_log_parse_level(v, &lvl) ||
	    !copy_str(fc->cfg->log_level, sizeof(fc->cfg->log_level), v))
		ferr(fc, s, "log_level '%s': use err, warn, notice, info or debug",
		     v);
}

static const struct key timeout_keys[] = {
	KU("connect", flow.connect_timeout_ms, 1, MS_MAX, "connect = 3000;"),
	KU("handshake", flow.handshake_timeout_ms, 1, MS_MAX, "handshake = 10000;"),
	KU("idle", flow.idle_timeout_ms, 1, MS_MAX, "idle = 60000;"),
	KU("drain", flow.drain_timeout_ms, 1, MS_MAX, "drain = 10000;"),
	KEND,
};

static const struct key limit_keys[] = {
	KU("max_conns", flow.max_conns, 1, UINT_MAX, "max_conns = 10000;"),
	KU("max_conns_per_worker", flow.max_conns_per_worker, 1, UINT_MAX,
	   "max_conns_per_worker = 5000;"),
	KU("max_buffer", flow.max_buffer, MAX_BUFFER_MIN, MAX_BUFFER_MAX,
	   "max_buffer = 262144;"),
	KU("hs_queue", hs_queue, HS_QUEUE_MIN, HS_QUEUE_MAX, "hs_queue = 1024;"),
	KEND,
};

static const struct key record_keys[] = {
	KU("small", flow.record_small, RECORD_MIN, RECORD_MAX, "small = 1369;"),
	KU("max", flow.record_max, RECORD_MIN, RECORD_MAX, "max = 16384;"),
	KU("ramp_bytes", flow.record_ramp_bytes, 0, UINT_MAX,
	   "ramp_bytes = 1048576;"),
	KU("idle_ms", flow.record_idle_ms, 0, MS_MAX, "idle_ms = 1000;"),
	KEND,
};

static const struct key accel_keys[] = {
	KS("backends", accel_backends, "backends = \"ipsecmb,simd,evp\";"),
	KS("force", accel_force, "force = \"evp\";"),
	KEND,
};

static const struct key top_keys[] = {
	KF("listen", key_listen, "listen = [\"0.0.0.0:8443\"];"),
	KU("workers", workers, 1, TG_CFG_MAX_WORKERS, "workers = 2;"),
	KS("lcores", lcores, "lcores = \"0-2\";"),
	KF("control", key_control, ""),
	KF("certificates", key_certificates, ""),
	KS("suites", suites, "suites = \"ECDHE-ECDSA-AES128-GCM-SHA256\";"),
	KS("groups", groups, "groups = \"x25519:P-256\";"),
	KS("sigalgs", sigalgs, "sigalgs = \"ecdsa_secp256r1_sha256\";"),
	KF("alpn", key_alpn, ""),
	KB("alpn_required", alpn_required, "alpn_required = true;"),
	KF("client_auth", key_client_auth, ""),
	KS("client_ca", client_ca, "client_ca = \"ca.pem\";"),
	KB("allow_static_rsa", allow_static_rsa, "allow_static_rsa = false;"),
	KB("allow_no_ems", allow_no_ems, "allow_no_ems = false;"),
	KU("session_cache", session_cache, 0, SESSION_CACHE_MAX,
	   "session_cache = 20000;"),
	KU("session_ttl", session_ttl_s, 1, TTL_MAX, "session_ttl = 300;"),
	KB("tickets", tickets, "tickets = true;"),
	KF("ticket_keys", key_ticket_keys, ""),
	KU("ticket_lifetime", ticket_lifetime_s, 1, TTL_MAX,
	   "ticket_lifetime = 7200;"),
	KF("backends", key_backends, ""),
	KF("routes", key_routes, ""),
	KF("proxy_protocol", key_proxy, ""),
	KU("connect_retries", flow.connect_retries, 0, TG_CFG_MAX_BACKENDS,
	   "connect_retries = 2;"),
	KU("health_interval", health_interval_ms, 0, MS_MAX,
	   "health_interval = 2000;"),
	KG("timeouts", timeout_keys, "timeouts = { connect = 3000; };"),
	KG("limits", limit_keys, "limits = { max_conns = 10000; };"),
	KG("records", record_keys, "records = { small = 1369; };"),
	KG("accel", accel_keys, "accel = { force = \"evp\"; };"),
	KF("admin", key_admin, ""),
	KF("log_level", key_log_level, ""),
	KS("access_log", access_log, "access_log = \"/var/log/tlsgate.log\";"),
	KS("pid_file", pid_file, "pid_file = \"/run/tlsgate.pid\";"),
	KEND,
};

/** Edit distance of two short strings (for "did you mean"). */
static unsigned edit_distance(const char *a, const char *b)
{
	unsigned row[64];
	size_t la = strlen(a), lb = strlen(b);

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0];

		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j];
			unsigned best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/** Write a "did you mean" hint for unknown @p name into @p hint. */
static void suggest(const struct key *keys, const char *name, char *hint,
		    size_t len)
{
	unsigned best = 3;

	hint[0] = '\0';
	for (const struct key *k = keys; k->name != NULL; k++) {
		unsigned d = edit_distance(name, k->name);

		if (d < best) {
			best = d;
			snprintf(hint, len, " (did you mean '%s'?)", k->name);
		}
	}
	if (hint[0] != '\0' || keys != top_keys)
		return;
	/*
	 * A nested setting written at the top: "max_conns" (exact, first
	 * pass), "idle_timeout" or "record_max" (name plus a word, second).
	 */
	for (int pass = 0; pass < 2; pass++) {
		for (const struct key *k = top_keys; k->name != NULL; k++) {
			if (k->kind != K_GROUP)
				continue;
			for (const struct key *s = k->sub; s->name != NULL; s++) {
				size_t sl = strlen(s->name), nl = strlen(name);
				bool hit;

				if (pass == 0)
					hit = strcmp(name, s->name) == 0;
				else
					hit = (strncmp(name, s->name, sl) == 0 &&
					       name[sl] == '_') ||
					      (nl > sl &&
					       strcmp(name + nl - sl, s->name) == 0 &&
					       name[nl - sl - 1] == '_');
				if (hit) {
					snprintf(hint, len,
						 " (did you mean '%s' inside %s = { ... }?)",
						 s->name, k->name);
					return;
				}
			}
		}
	}
}

static void walk_group(struct file_ctx *fc, const config_setting_t *grp,
		       const struct key *keys);

/** Apply one known setting @p s described by @p k. */
static void apply_key(struct file_ctx *fc, const config_setting_t *s,
		      const struct key *k)
{
	char *base = (char *)fc->cfg;
	char name[128];
	int type = config_setting_type(s);

	setting_name(s, name, sizeof(name));
	origin_file(fc->cfg, name, config_setting_source_file(s) != NULL
				   ? config_setting_source_file(s) : fc->path,
		    config_setting_source_line(s));
	switch (k->kind) {
	case K_UINT: {
		long long v;

		if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64) {
			ferr(fc, s, "'%s' must be an integer, not %s (example: %s)",
			     name, type_name(type), k->example);
			return;
		}
		v = config_setting_get_int64(s);
		if (v < 0 || (unsigned long long)v < k->min ||
		    (unsigned long long)v > k->max) {
			ferr(fc, s, "'%s' = %lld is out of range: use %llu..%llu",
			     name, v, k->min, k->max);
			return;
		}
		*(unsigned *)(void *)(base + k->off) = (unsigned)v;
		return;
	}
	case K_BOOL:
		if (type != CONFIG_TYPE_BOOL) {
			ferr(fc, s, "'%s' must be true or false, not %s (example: %s)",
			     name, type_name(type), k->example);
			return;
		}
		*(bool *)(void *)(base + k->off) = config_setting_get_bool(s);
		return;
	case K_STR: {
		const char *v = get_string(fc, s, k->example);

		if (v != NULL && !copy_str(base + k->off, k->cap, v))
			ferr(fc, s, "'%s' is too long (at most %zu bytes)",
			     name, k->cap - 1);
		return;
	}
	case K_GROUP:
		if (type != CONFIG_TYPE_GROUP) {
			ferr(fc, s, "'%s' must be a group { ... }, not %s (example: %s)",
			     name, type_name(type), k->example);
			return;
		}
		walk_group(fc, s, k->sub);
		return;
	case K_FN:
		k->fn(fc, s);
		return;
	}
}

/** Apply every member of group @p grp, reporting unknown names. */
static void walk_group(struct file_ctx *fc, const config_setting_t *grp,
		       const struct key *keys)
{
	int n = config_setting_length(grp);

	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(grp, (unsigned)i);
		const char *sname = config_setting_name(s);
		const struct key *k;

		for (k = keys; k->name != NULL; k++)
			if (strcmp(k->name, sname) == 0)
				break;
		if (k->name == NULL) {
			char hint[128], where[128];

			suggest(keys, sname, hint, sizeof(hint));
			if (hint[0] == '\0')
				snprintf(hint, sizeof(hint),
					 " (remove it; docs/configuration.md lists the settings)");
			setting_name(grp, where, sizeof(where));
			ferr(fc, s, "unknown setting '%s'%s%s%s", sname,
			     where[0] ? " in " : "", where, hint);
			continue;
		}
		apply_key(fc, s, k);
	}
}

/**
 * Read @p path into @p cfg over what is there (defaults or an earlier
 * state); no validation. Prints every error with file:line.
 */
static TG_MUST_CHECK tg_result load_file(const char *path, struct tg_config *cfg)
{
	config_t lc;
	struct file_ctx fc = { .path = path, .cfg = cfg };
	char dir[TG_CFG_PATH];
	const char *slash;

	if (!copy_str(cfg->config_path, sizeof(cfg->config_path), path)) {
		cfg_err("config file name too long: %s", path);
		return tg_error(TG_E_INVAL);
	}
	if (access(path, R_OK) != 0) {
		cfg_err("%s: cannot read the config file: %s", path,
			strerror(errno));
		return tg_error(TG_E_IO);
	}
	config_init(&lc);
	/* @include "x.conf" is relative to the including file's directory. */
	slash = strrchr(path, '/');
	if (slash != NULL) {
		size_t len = (size_t)(slash - path);

		memcpy(dir, path, len);
		dir[len] = '\0';
		config_set_include_dir(&lc, len ? dir : "/");
	}
	if (config_read_file(&lc, path) != CONFIG_TRUE) {
		bool io = config_error_type(&lc) == CONFIG_ERR_FILE_IO;

		if (io)
			cfg_err("%s: cannot read the config file: %s",
				config_error_file(&lc) ? config_error_file(&lc) : path,
				config_error_text(&lc));
		else
			cfg_err("%s:%d: %s", config_error_file(&lc) ?
				config_error_file(&lc) : path,
				config_error_line(&lc), config_error_text(&lc));
		config_destroy(&lc);
		return tg_error(io ? TG_E_IO : TG_E_DECODE);
	}
	walk_group(&fc, config_root_setting(&lc), top_keys);
	if (fc.routes != NULL)
		parse_routes(&fc, fc.routes);
	config_destroy(&lc);
	if (fc.errors > 0) {
		cfg_err("%s: %u error%s", path, fc.errors,
			fc.errors == 1 ? "" : "s");
		return tg_error(TG_E_DECODE);
	}
	return TG_OK;
}

/* ---- validation ------------------------------------------------------- */

/**
 * Check @p path is readable; prints "[where] <what> '<path>': ..."
 * otherwise (@p key: the setting, for its file:line).
 */
static bool readable(const struct tg_config *cfg, const char *key,
		     const char *what, const char *path)
{
	if (access(path, R_OK) == 0)
		return true;
	verr(cfg, key, "%s '%s': cannot read it: %s", what, path,
	     strerror(errno));
	return false;
}

/** True when @p a and @p b are the same socket address. */
static bool same_addr(const struct tg_addr *a, const struct tg_addr *b)
{
	return a->salen == b->salen && a->salen != 0 &&
	       memcmp(&a->sa, &b->sa, a->salen) == 0;
}

/** Resolve an address filled in by text only (programmatic configs). */
static bool ensure_addr(const struct tg_config *cfg, const char *key,
			const char *what, struct tg_addr *a,
			enum addr_use use)
{
	char err[256], text[sizeof(a->text)];

	if (a->salen != 0)
		return true;
	memcpy(text, a->text, sizeof(text));
	if (tg_ok(parse_addr(text, use, a, err, sizeof(err))))
		return true;
	verr(cfg, key, "%s '%s': %s", what, text, err);
	return false;
}

/** Check one colon-separated preference list with @p parse. */
static bool check_list(const struct tg_config *cfg, const char *what,
		       const char *list,
		       tg_result (*parse)(const char *, uint16_t *, size_t,
					  size_t *, char *, size_t),
		       const char *hint)
{
	uint16_t ids[64];
	size_t n;
	char err[160];

	if (list[0] == '\0')
		return true;
	if (tg_ok(parse(list, ids, sizeof(ids) / sizeof(ids[0]), &n, err,
			sizeof(err))))
		return true;
	verr(cfg, what, "%s \"%s\": %s (%s)", what, list, err, hint);
	return false;
}

/** Light syntax check of an EAL core list: "0-3,5", "1@2", "(0,1)@0". */
static bool valid_lcores(const char *s)
{
	return s[0] != '\0' && strspn(s, "0123456789,-@()") == strlen(s);
}

/** "default", "all", or a comma list of backends this build knows (the
 *  words stand alone: tg_accel_create() reads them only as the whole
 *  list). */
static bool valid_accel_list(const char *s)
{
	if (strcmp(s, "all") == 0 || strcmp(s, "default") == 0)
		return true;
	while (*s != '\0') {
		size_t len = strcspn(s, ",");

		if (!tg_accel_backend_known(s, len))
			return false;
		s += len;
		if (*s == ',')
			s++;
	}
	return true;
}

tg_result tg_config_validate(struct tg_config *cfg)
{
	unsigned errors = 0, io_errors = 0;
	enum tg_log_level lvl;
	unsigned n_default = 0;

	TG_ENSURE_REF(cfg);

	/* listeners */
	if (cfg->n_listen == 0) {
		cfg_err("no listen address: add --listen ADDR (e.g. --listen 0.0.0.0:8443) or listen = [\"0.0.0.0:8443\"]; to the config file");
		errors++;
	}
	for (unsigned i = 0; i < cfg->n_listen && i < TG_CFG_MAX_LISTEN; i++) {
		if (!ensure_addr(cfg, "listen", "listen", &cfg->listen[i], ADDR_BIND)) {
			errors++;
			continue;
		}
		for (unsigned j = 0; j < i; j++)
			if (same_addr(&cfg->listen[i], &cfg->listen[j])) {
				verr(cfg, "listen", "listen '%s' is given twice: remove one",
					cfg->listen[i].text);
				errors++;
			}
	}

	/* certificates */
	if (cfg->n_certs == 0) {
		cfg_err("no certificate: add --cert FILE --key FILE or certificates = ( { cert = \"...\"; key = \"...\"; } ); to the config file");
		errors++;
	}
	for (unsigned i = 0; i < cfg->n_certs && i < TG_CFG_MAX_CERTS; i++) {
		struct tg_cfg_cert *c = &cfg->certs[i];
		char key[48];

		snprintf(key, sizeof(key), "certificates[%u]", i);
		if (c->cert[0] == '\0') {
			verr(cfg, key, "certificate %u has no cert file: give --cert FILE (cert = \"...\"; in the file)",
				i + 1);
			errors++;
			continue;
		}
		if (!readable(cfg, key, "certificate", c->cert))
			io_errors++;
		if (c->key[0] == '\0') {
			verr(cfg, key, "certificate '%s' has no key: give --key FILE right after its --cert (key = \"...\"; in the file)",
				c->cert);
			errors++;
		} else if (!readable(cfg, key, "key", c->key)) {
			io_errors++;
		}
		n_default += c->is_default;
	}
	if (n_default > 1) {
		verr(cfg, "certificates", "%u certificates are marked default = true: keep one", n_default);
		errors++;
	} else if (n_default == 0 && cfg->n_certs > 0) {
		cfg->certs[0].is_default = true;
	}

	/* TLS parameters */
	if (!check_list(cfg, "suites", cfg->suites, tg_cs_parse_list,
			"use names such as ECDHE-ECDSA-AES128-GCM-SHA256, separated by ':'; see docs/configuration.md"))
		errors++;
	else if (cfg->suites[0] != '\0' && !cfg->allow_static_rsa) {
		uint16_t ids[64];
		size_t n;

		if (tg_ok(tg_cs_parse_list(cfg->suites, ids, 64, &n, NULL, 0)))
			for (size_t i = 0; i < n; i++) {
				const struct tg_cs_info *cs = tg_cs_by_id(ids[i]);

				if (cs != NULL && cs->kx == TG_KX_RSA) {
					verr(cfg, "suites", "suites: '%s' uses static RSA key exchange (no forward secrecy): remove it or set allow_static_rsa = true;",
						cs->ossl);
					errors++;
				}
			}
	}
	if (!check_list(cfg, "groups", cfg->groups, tg_group_parse_list,
			"use x25519, P-256 or P-384, separated by ':'"))
		errors++;
	if (!check_list(cfg, "sigalgs", cfg->sigalgs, tg_sigalg_parse_list,
			"use names such as ecdsa_secp256r1_sha256 or rsa_pss_rsae_sha256, separated by ':'"))
		errors++;
	if (cfg->n_alpn > TG_CFG_MAX_ALPN) {
		verr(cfg, "alpn", "too many ALPN protocols (%u, at most %d)", cfg->n_alpn,
			TG_CFG_MAX_ALPN);
		errors++;
	}
	for (unsigned i = 0; i < cfg->n_alpn && i < TG_CFG_MAX_ALPN; i++) {
		size_t len = strnlen(cfg->alpn[i], sizeof(cfg->alpn[i]));

		if (len == 0 || len >= sizeof(cfg->alpn[i])) {
			verr(cfg, "alpn", "ALPN protocol %u: names are 1 to 31 bytes (e.g. h2, http/1.1)",
				i + 1);
			errors++;
		}
	}
	if (cfg->alpn_required && cfg->n_alpn == 0) {
		verr(cfg, "alpn_required", "alpn_required = true but no ALPN protocol is set: add --alpn h2,http/1.1 or alpn = [...];");
		errors++;
	}
	if (cfg->client_auth != TG_CFG_CLIENT_AUTH_NONE &&
	    cfg->client_ca[0] == '\0') {
		verr(cfg, "client_auth", "client_auth is %s but no client_ca: add --client-ca FILE (client_ca = \"ca.pem\"; in the file) to verify client certificates",
			enum_str(client_auth_names, (int)cfg->client_auth));
		errors++;
	}
	if (cfg->client_ca[0] != '\0' && !readable(cfg, "client_ca", "client_ca", cfg->client_ca))
		io_errors++;

	/* resumption */
	if (cfg->session_cache > 0 && cfg->session_ttl_s == 0) {
		verr(cfg, "session_ttl", "session_ttl must be > 0 seconds when the session cache is on");
		errors++;
	}
	if (cfg->tickets && (cfg->ticket_lifetime_s == 0 ||
			     cfg->ticket_lifetime_s > TTL_MAX)) {
		verr(cfg, "ticket_lifetime", "ticket_lifetime = %u: use 1..%u seconds",
			cfg->ticket_lifetime_s, TTL_MAX);
		errors++;
	}
	if (cfg->n_ticket_keys > TG_CFG_MAX_TICKET_KEYS) {
		verr(cfg, "ticket_keys", "too many ticket keys (%u, at most %d)",
			cfg->n_ticket_keys, TG_CFG_MAX_TICKET_KEYS);
		errors++;
	}
	for (unsigned i = 0; i < cfg->n_ticket_keys &&
			     i < TG_CFG_MAX_TICKET_KEYS; i++)
		if (!readable(cfg, "ticket_keys", "ticket key", cfg->ticket_keys[i]))
			io_errors++;

	/* backends */
	if (cfg->backends.n_pools == 0 || cfg->backends.n_pools > TG_CFG_MAX_POOLS) {
		verr(cfg, "backends", "no backend pool: add --backend ADDR or backends = [...]; to the config file");
		errors++;
	}
	for (unsigned p = 0; p < cfg->backends.n_pools && p < TG_CFG_MAX_POOLS; p++) {
		struct tg_pool_conf *pool = &cfg->backends.pools[p];
		char key[48];

		snprintf(key, sizeof(key), "backends[%u]", p);
		if (pool->n_be == 0) {
			if (p == 0)
				verr(cfg, "backends", "no backend: add --backend ADDR (e.g. --backend 127.0.0.1:8080) or backends = [\"127.0.0.1:8080\"]; to the config file");
			else
				verr(cfg, key, "backend pool '%s' has no servers: add servers = [\"host:port\"]; to it",
					pool->name);
			errors++;
		}
		for (unsigned b = 0; b < pool->n_be && b < TG_CFG_MAX_BACKENDS; b++)
			if (!ensure_addr(cfg, key, "backend", &pool->be[b], ADDR_CONNECT))
				errors++;
		for (unsigned q = 0; q < p; q++)
			if (strcmp(cfg->backends.pools[q].name, pool->name) == 0) {
				verr(cfg, key, "backend pool '%s' is defined twice: rename one",
					pool->name);
				errors++;
			}
	}
	for (unsigned r = 0; r < cfg->backends.n_routes && r < TG_CFG_MAX_ROUTES; r++) {
		char key[48];

		snprintf(key, sizeof(key), "routes[%u]", r);
		if (cfg->backends.routes[r].pool >= cfg->backends.n_pools) {
			verr(cfg, key, "route '%s' points to backend pool %u, which does not exist: define it under backends",
				cfg->backends.routes[r].sni, cfg->backends.routes[r].pool);
			errors++;
		}
		for (unsigned q = 0; q < r; q++)
			if (strcasecmp(cfg->backends.routes[q].sni, cfg->backends.routes[r].sni) == 0) {
				verr(cfg, key, "route sni '%s' is given twice: keep one",
					cfg->backends.routes[r].sni);
				errors++;
			}
	}
	if (cfg->backends.n_routes > TG_CFG_MAX_ROUTES) {
		verr(cfg, "routes", "too many routes (at most %d)", TG_CFG_MAX_ROUTES);
		errors++;
	}

	if (cfg->control == TG_CFG_CONTROL_INLINE && cfg->workers > 1) {
		verr(cfg, "control", "control = inline runs handshakes in the worker and needs workers = 1 (%u given): use auto or thread",
			cfg->workers);
		errors++;
	}
	/* workers and limits */
	if (cfg->workers < 1 || cfg->workers > TG_CFG_MAX_WORKERS) {
		verr(cfg, "workers", "workers = %u is out of range: use 1..%u (--workers N or workers = N;)",
			cfg->workers, TG_CFG_MAX_WORKERS);
		errors++;
	}
	if (cfg->lcores[0] != '\0' && !valid_lcores(cfg->lcores)) {
		verr(cfg, "lcores", "lcores '%s': use an EAL core list such as 0-3 or 0,2,4", cfg->lcores);
		errors++;
	}
	if (cfg->flow.max_conns == 0) {
		verr(cfg, "limits.max_conns", "max_conns must be at least 1 (--max-conns N or limits.max_conns)");
		errors++;
	} else if (cfg->workers >= 1) {
		if (cfg->flow.max_conns_per_worker == 0)
			cfg->flow.max_conns_per_worker =
				(cfg->flow.max_conns + cfg->workers - 1) / cfg->workers;
		if (cfg->flow.max_conns_per_worker > cfg->flow.max_conns) {
			verr(cfg, "limits.max_conns_per_worker", "limits.max_conns_per_worker (%u) is above limits.max_conns (%u): lower it or leave it out",
				cfg->flow.max_conns_per_worker, cfg->flow.max_conns);
			errors++;
		}
	}
	if (cfg->flow.max_buffer < MAX_BUFFER_MIN || cfg->flow.max_buffer > MAX_BUFFER_MAX) {
		verr(cfg, "limits.max_buffer", "limits.max_buffer = %u: use %u..%u bytes (it must hold a full TLS record)",
			cfg->flow.max_buffer, MAX_BUFFER_MIN, MAX_BUFFER_MAX);
		errors++;
	}
	if (cfg->hs_queue < HS_QUEUE_MIN || cfg->hs_queue > HS_QUEUE_MAX ||
	    (cfg->hs_queue & (cfg->hs_queue - 1)) != 0) {
		verr(cfg, "limits.hs_queue", "limits.hs_queue = %u: use a power of two from %u to %u (it sizes a DPDK ring)",
			cfg->hs_queue, HS_QUEUE_MIN, HS_QUEUE_MAX);
		errors++;
	}

	/* timeouts */
	{
		static const struct {
			const char *name, *flag;
			size_t off;
		} t[] = {
			{ "connect", "--connect-timeout", F(flow.connect_timeout_ms) },
			{ "handshake", "--handshake-timeout", F(flow.handshake_timeout_ms) },
			{ "idle", "--idle-timeout", F(flow.idle_timeout_ms) },
			{ "drain", NULL, F(flow.drain_timeout_ms) },
		};

		for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			unsigned v = *(const unsigned *)(const void *)
				((const char *)cfg + t[i].off);
			char key[48];

			snprintf(key, sizeof(key), "timeouts.%s", t[i].name);
			if (v == 0 || v > MS_MAX) {
				verr(cfg, key, "timeouts.%s = %u ms: use 1..%u%s%s%s", t[i].name,
					v, MS_MAX, t[i].flag ? " (flag " : "",
					t[i].flag ? t[i].flag : "",
					t[i].flag ? " MS)" : "");
				errors++;
			}
		}
	}

	/* record sizing */
	if (cfg->flow.record_max > RECORD_MAX || cfg->flow.record_max < RECORD_MIN) {
		verr(cfg, "records.max", "records.max = %u: use %u..%u (TLS records carry at most 16384 bytes)",
			cfg->flow.record_max, RECORD_MIN, RECORD_MAX);
		errors++;
	}
	if (cfg->flow.record_small < RECORD_MIN || cfg->flow.record_small > cfg->flow.record_max) {
		verr(cfg, "records.small", "records.small = %u: use %u..records.max (%u); 1369 fits one TCP segment",
			cfg->flow.record_small, RECORD_MIN, cfg->flow.record_max);
		errors++;
	}

	/* crypto backends */
	if (cfg->accel_backends[0] != '\0' && !valid_accel_list(cfg->accel_backends)) {
		verr(cfg, "accel.backends", "accel backends '%s': use default, all, or a comma list of backends this build has (ipsecmb, simd, evp, cryptodev:NAME); default and all stand alone",
			cfg->accel_backends);
		errors++;
	}
	if (cfg->accel_force[0] != '\0' && strcmp(cfg->accel_force, "auto") != 0 &&
	    !tg_accel_backend_known(cfg->accel_force, strlen(cfg->accel_force))) {
		verr(cfg, "accel.force", "accel force '%s': use auto or a backend this build has (ipsecmb, simd, evp, cryptodev:NAME)",
			cfg->accel_force);
		errors++;
	}

	/* operations */
	if (cfg->admin.text[0] != '\0' && !ensure_addr(cfg, "admin", "admin", &cfg->admin, ADDR_BIND))
		errors++;
	if (!tg_log_parse_level(cfg->log_level, &lvl)) {
		verr(cfg, "log_level", "log_level '%s': use err, warn, notice, info or debug",
			cfg->log_level);
		errors++;
	}

	/* Bad settings are usage errors; missing files are not. */
	if (errors > 0)
		return tg_error(TG_E_INVAL);
	return io_errors > 0 ? tg_error(TG_E_IO) : TG_OK;
}

tg_result tg_config_load_file(const char *path, struct tg_config *cfg)
{
	TG_ENSURE(path != NULL && cfg != NULL, TG_E_INVAL);
	tg_config_defaults(cfg);
	TG_GUARD(load_file(path, cfg));
	return tg_config_validate(cfg);
}

/* ---- command line ----------------------------------------------------- */

void tg_config_usage(void *f)
{
	FILE *out = f != NULL ? f : stdout;

	fputs("Usage: tlsgate [-c FILE] [OPTIONS]\n"
	      "       tlsgate stats [--admin ADDR | -c FILE]\n"
	      "\n"
	      "Terminates TLS 1.2 on --listen and forwards plaintext TCP to --backend.\n"
	      "Flags override the config file; --listen, --cert/--key and --backend\n"
	      "replace the file's list when given.\n"
	      "\n"
	      "  -c, --config FILE       config file (libconfig syntax)\n"
	      "      --listen ADDR       accept TLS on ADDR: 0.0.0.0:8443, [::]:8443, *:8443\n"
	      "      --cert FILE --key FILE   certificate chain and its key (repeat the pair;\n"
	      "                          the first is the default, others chosen by SNI)\n"
	      "      --backend ADDR      plaintext server host:port (repeat: round robin)\n"
	      "      --workers N         worker threads (default 1);  -l LCORES  EAL cores\n"
	      "      --control MODE      where handshakes run: auto (default: a thread on a\n"
	      "                          CPU no worker uses; none left: inline with one\n"
	      "                          worker, else a shared thread), thread, inline\n"
	      "      --suites LIST       cipher suites, ':' separated (OpenSSL or IANA names)\n"
	      "      --groups LIST       ECDHE groups (default x25519:P-256:P-384)\n"
	      "      --sigalgs LIST      signature schemes\n"
	      "      --alpn LIST         ALPN protocols, ',' separated: h2,http/1.1\n"
	      "      --client-auth MODE  none | optional | require;  --client-ca FILE\n"
	      "      --session-cache N   session-ID cache entries (0 = off, default 20000)\n"
	      "      --no-tickets        no session tickets;  --ticket-key FILE (repeat)\n"
	      "      --proxy-protocol V  send a PROXY header to backends: v1 | v2\n"
	      "      --max-conns N       connection limit (default 10000)\n"
	      "      --handshake-timeout MS  --idle-timeout MS  --connect-timeout MS\n"
	      "      --admin ADDR        metrics/stats listener, e.g. 127.0.0.1:9443\n"
	      "      --accel LIST        crypto backends: default (ipsecmb,simd,evp), all,\n"
"                          or a list of ipsecmb,simd,evp,cryptodev:NAME\n"
	      "      --accel-force NAME  one crypto backend for every session\n"
	      "      --log-level LVL     err | warn | notice | info | debug\n"
	      "      --access-log FILE   ('-' = off)   --pid-file FILE\n"
	      "      --check-config      validate, print a summary and exit\n"
	      "  -h, --help              this text;  --version\n"
	      "\n"
	      "Example (hitch --frontend/--backend, HAProxy 'bind :8443 ssl crt'):\n"
	      "  tlsgate --listen 0.0.0.0:8443 --cert site.pem --key site.key \\\n"
	      "          --backend 127.0.0.1:8080 --backend 127.0.0.1:8081\n"
	      "\n"
	      "Every option and the file syntax: docs/configuration.md\n",
	      out);
}

/** Long-only options. */
enum {
	OPT_LISTEN = 256,
	OPT_CERT,
	OPT_KEY,
	OPT_BACKEND,
	OPT_WORKERS,
	OPT_CONTROL,
	OPT_SUITES,
	OPT_GROUPS,
	OPT_SIGALGS,
	OPT_ALPN,
	OPT_CLIENT_AUTH,
	OPT_CLIENT_CA,
	OPT_SESSION_CACHE,
	OPT_NO_TICKETS,
	OPT_TICKET_KEY,
	OPT_PROXY,
	OPT_MAX_CONNS,
	OPT_HS_TIMEOUT,
	OPT_IDLE_TIMEOUT,
	OPT_CONNECT_TIMEOUT,
	OPT_ADMIN,
	OPT_ACCEL,
	OPT_ACCEL_FORCE,
	OPT_LOG_LEVEL,
	OPT_ACCESS_LOG,
	OPT_PID_FILE,
	OPT_CHECK,
	OPT_VERSION,
};

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "workers", required_argument, NULL, OPT_WORKERS },
	{ "control", required_argument, NULL, OPT_CONTROL },
	{ "lcores", required_argument, NULL, 'l' },
	{ "suites", required_argument, NULL, OPT_SUITES },
	{ "groups", required_argument, NULL, OPT_GROUPS },
	{ "sigalgs", required_argument, NULL, OPT_SIGALGS },
	{ "alpn", required_argument, NULL, OPT_ALPN },
	{ "client-auth", required_argument, NULL, OPT_CLIENT_AUTH },
	{ "client-ca", required_argument, NULL, OPT_CLIENT_CA },
	{ "session-cache", required_argument, NULL, OPT_SESSION_CACHE },
	{ "no-tickets", no_argument, NULL, OPT_NO_TICKETS },
	{ "ticket-key", required_argument, NULL, OPT_TICKET_KEY },
	{ "proxy-protocol", required_argument, NULL, OPT_PROXY },
	{ "max-conns", required_argument, NULL, OPT_MAX_CONNS },
	{ "handshake-timeout", required_argument, NULL, OPT_HS_TIMEOUT },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
	{ "admin", required_argument, NULL, OPT_ADMIN },
	{ "accel", required_argument, NULL, OPT_ACCEL },
	{ "accel-force", required_argument, NULL, OPT_ACCEL_FORCE },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "access-log", required_argument, NULL, OPT_ACCESS_LOG },
	{ "pid-file", required_argument, NULL, OPT_PID_FILE },
	{ "check-config", no_argument, NULL, OPT_CHECK },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* '+': stop at the first non-option, never permute argv. */
static const char short_opts[] = "+c:l:h";

/** Name of the option @p c as typed, for messages ("--backend"). */
static const char *opt_name(int c)
{
	for (const struct option *o = long_opts; o->name != NULL; o++)
		if (o->val == c)
			return o->name;
	return "?";
}

/** The setting a flag stands for (for error locations), or NULL. */
static const char *flag_key(int c)
{
	switch (c) {
	case OPT_LISTEN: return "listen";
	case OPT_BACKEND: return "backends";
	case OPT_TICKET_KEY: return "ticket_keys";
	case OPT_ALPN: return "alpn";
	case OPT_CONTROL: return "control";
	case OPT_CLIENT_AUTH: return "client_auth";
	case OPT_PROXY: return "proxy_protocol";
	case OPT_NO_TICKETS: return "tickets";
	case OPT_ADMIN: return "admin";
	case OPT_LOG_LEVEL: return "log_level";
	case OPT_WORKERS: return "workers";
	case OPT_SESSION_CACHE: return "session_cache";
	case OPT_MAX_CONNS: return "limits.max_conns";
	case OPT_HS_TIMEOUT: return "timeouts.handshake";
	case OPT_IDLE_TIMEOUT: return "timeouts.idle";
	case OPT_CONNECT_TIMEOUT: return "timeouts.connect";
	case 'l': return "lcores";
	case OPT_SUITES: return "suites";
	case OPT_GROUPS: return "groups";
	case OPT_SIGALGS: return "sigalgs";
	case OPT_CLIENT_CA: return "client_ca";
	case OPT_ACCEL: return "accel.backends";
	case OPT_ACCEL_FORCE: return "accel.force";
	case OPT_ACCESS_LOG: return "access_log";
	case OPT_PID_FILE: return "pid_file";
	default: return NULL;
	}
}

/** Which lists the flags have replaced so far. */
struct flag_state {
	bool listen, cert, backend, ticket_key, cert_open;
};

/**
 * Apply one flag to @p cfg.
 * @return false after printing an error.
 */
static bool apply_flag(struct tg_config *cfg, struct flag_state *st, int c,
		       const char *arg)
{
	char err[256];
	const char *name = opt_name(c);
	unsigned *num = NULL;
	unsigned long long lo = 1, hi = UINT_MAX;
	char *str = NULL;
	size_t cap = 0;
	char flag[24];

	snprintf(flag, sizeof(flag), "--%s", name);
	if (flag_key(c) != NULL)
		origin_flag(cfg, flag_key(c), flag);
	if (c == OPT_BACKEND)
		origin_flag(cfg, "backends[0]", flag); /* the default pool */
	switch (c) {
	case OPT_LISTEN:
		if (!st->listen) {
			cfg->n_listen = 0;
			st->listen = true;
		}
		if (cfg->n_listen == TG_CFG_MAX_LISTEN) {
			cfg_err("--listen '%s': too many listen addresses (at most %d)",
				arg, TG_CFG_MAX_LISTEN);
			return false;
		}
		if (tg_failed(parse_addr(arg, ADDR_BIND, &cfg->listen[cfg->n_listen],
					 err, sizeof(err)))) {
			cfg_err("--listen '%s': %s", arg, err);
			return false;
		}
		cfg->n_listen++;
		return true;
	case OPT_CERT:
		if (!st->cert) {
			cfg->n_certs = 0;
			st->cert = true;
		}
		if (st->cert_open) {
			cfg_err("--cert '%s': the previous --cert '%s' has no --key: give --cert FILE --key FILE in pairs",
				arg, cfg->certs[cfg->n_certs - 1].cert);
			return false;
		}
		if (cfg->n_certs == TG_CFG_MAX_CERTS) {
			cfg_err("--cert '%s': too many certificates (at most %d)",
				arg, TG_CFG_MAX_CERTS);
			return false;
		}
		memset(&cfg->certs[cfg->n_certs], 0, sizeof(cfg->certs[0]));
		if (arg[0] == '\0' ||
		    !copy_str(cfg->certs[cfg->n_certs].cert, TG_CFG_PATH, arg)) {
			cfg_err("--cert '%.64s': empty or too long a path", arg);
			return false;
		}
		cfg->certs[cfg->n_certs].is_default = cfg->n_certs == 0;
		{
			char key[48];

			snprintf(key, sizeof(key), "certificates[%u]", cfg->n_certs);
			origin_flag(cfg, key, "--cert");
		}
		cfg->n_certs++;
		st->cert_open = true;
		return true;
	case OPT_KEY:
		if (!st->cert_open) {
			cfg_err("--key '%s' has no --cert before it: give --cert FILE --key FILE in pairs",
				arg);
			return false;
		}
		if (arg[0] == '\0' ||
		    !copy_str(cfg->certs[cfg->n_certs - 1].key, TG_CFG_PATH, arg)) {
			cfg_err("--key '%.64s': empty or too long a path", arg);
			return false;
		}
		st->cert_open = false;
		return true;
	case OPT_BACKEND: {
		struct tg_pool_conf *p = &cfg->backends.pools[0];

		if (!st->backend) {
			if (cfg->backends.n_pools == 0) {
				cfg->backends.n_pools = 1;
				memset(p, 0, sizeof(*p));
				strcpy(p->name, "default");
			}
			p->n_be = 0;
			st->backend = true;
		}
		if (p->n_be == TG_CFG_MAX_BACKENDS) {
			cfg_err("--backend '%s': too many backends (at most %d)",
				arg, TG_CFG_MAX_BACKENDS);
			return false;
		}
		if (tg_failed(parse_addr(arg, ADDR_CONNECT, &p->be[p->n_be], err,
					 sizeof(err)))) {
			cfg_err("--backend '%s': %s", arg, err);
			return false;
		}
		p->n_be++;
		return true;
	}
	case OPT_TICKET_KEY:
		if (!st->ticket_key) {
			cfg->n_ticket_keys = 0;
			st->ticket_key = true;
		}
		if (cfg->n_ticket_keys == TG_CFG_MAX_TICKET_KEYS) {
			cfg_err("--ticket-key '%s': too many ticket keys (at most %d)",
				arg, TG_CFG_MAX_TICKET_KEYS);
			return false;
		}
		if (arg[0] == '\0' ||
		    !copy_str(cfg->ticket_keys[cfg->n_ticket_keys], TG_CFG_PATH, arg)) {
			cfg_err("--ticket-key '%.64s': empty or too long a path", arg);
			return false;
		}
		cfg->n_ticket_keys++;
		return true;
	case OPT_ALPN: {
		const char *p = arg;

		cfg->n_alpn = 0;
		for (;;) {
			size_t len = strcspn(p, ",");
			const char *why = add_alpn(cfg, p, len);

			if (why != NULL) {
				cfg_err("--alpn '%s': %s (write --alpn h2,http/1.1)",
					arg, why);
				return false;
			}
			if (p[len] == '\0')
				return true;
			p += len + 1;
		}
	}
	case OPT_CONTROL:
		if (!PARSE_ENUM(control_names, arg, cfg->control)) {
			cfg_err("--control '%s': use auto, thread or inline", arg);
			return false;
		}
		return true;
	case OPT_CLIENT_AUTH:
		if (!PARSE_ENUM(client_auth_names, arg, cfg->client_auth)) {
			cfg_err("--client-auth '%s': use none, optional or require", arg);
			return false;
		}
		return true;
	case OPT_PROXY:
		if (!PARSE_ENUM(proxy_names, arg, cfg->flow.proxy_protocol)) {
			cfg_err("--proxy-protocol '%s': use v1 or v2 (or none)", arg);
			return false;
		}
		return true;
	case OPT_NO_TICKETS:
		cfg->tickets = false;
		return true;
	case OPT_CHECK:
	case OPT_VERSION:
	case 'c':
	case 'h':
		return true; /* handled in the first pass */
	case OPT_ADMIN:
		if (arg[0] == '\0') {
			memset(&cfg->admin, 0, sizeof(cfg->admin));
			return true;
		}
		if (tg_failed(parse_addr(arg, ADDR_BIND, &cfg->admin, err,
					 sizeof(err)))) {
			cfg_err("--admin '%s': %s", arg, err);
			return false;
		}
		return true;
	case OPT_LOG_LEVEL: {
		enum tg_log_level lvl;

		if (!tg_log_parse_level(arg, &lvl)) {
			cfg_err("--log-level '%s': use err, warn, notice, info or debug",
				arg);
			return false;
		}
		str = cfg->log_level;
		cap = sizeof(cfg->log_level);
		break;
	}
	case OPT_WORKERS: num = &cfg->workers; hi = TG_CFG_MAX_WORKERS; break;
	case OPT_SESSION_CACHE:
		num = &cfg->session_cache; lo = 0; hi = SESSION_CACHE_MAX; break;
	case OPT_MAX_CONNS: num = &cfg->flow.max_conns; break;
	case OPT_HS_TIMEOUT: num = &cfg->flow.handshake_timeout_ms; hi = MS_MAX; break;
	case OPT_IDLE_TIMEOUT: num = &cfg->flow.idle_timeout_ms; hi = MS_MAX; break;
	case OPT_CONNECT_TIMEOUT: num = &cfg->flow.connect_timeout_ms; hi = MS_MAX; break;
	case 'l': str = cfg->lcores; cap = sizeof(cfg->lcores); name = "lcores"; break;
	case OPT_SUITES: str = cfg->suites; cap = sizeof(cfg->suites); break;
	case OPT_GROUPS: str = cfg->groups; cap = sizeof(cfg->groups); break;
	case OPT_SIGALGS: str = cfg->sigalgs; cap = sizeof(cfg->sigalgs); break;
	case OPT_CLIENT_CA: str = cfg->client_ca; cap = sizeof(cfg->client_ca); break;
	case OPT_ACCEL: str = cfg->accel_backends; cap = sizeof(cfg->accel_backends); break;
	case OPT_ACCEL_FORCE: str = cfg->accel_force; cap = sizeof(cfg->accel_force); break;
	case OPT_ACCESS_LOG: str = cfg->access_log; cap = sizeof(cfg->access_log); break;
	case OPT_PID_FILE: str = cfg->pid_file; cap = sizeof(cfg->pid_file); break;
	default:
		return false;
	}
	if (num != NULL) {
		if (!parse_uint(arg, lo, hi, num)) {
			cfg_err("--%s '%s': expected a whole number from %llu to %llu",
				name, arg, lo, hi);
			return false;
		}
		return true;
	}
	if (!copy_str(str, cap, arg)) {
		cfg_err("--%s: value too long (at most %zu bytes)", name, cap - 1);
		return false;
	}
	return true;
}

void tg_config_print_summary(const struct tg_config *cfg)
{
	unsigned servers = 0;

	printf("configuration OK%s%s\n", cfg->config_path[0] ? ": " : "",
	       cfg->config_path);
	printf("  listen:   ");
	for (unsigned i = 0; i < cfg->n_listen; i++)
		printf("%s%s", i ? ", " : "", cfg->listen[i].text);
	printf("\n  certs:    %u", cfg->n_certs);
	for (unsigned i = 0; i < cfg->n_certs; i++)
		if (cfg->certs[i].is_default)
			printf(" (default %s)", cfg->certs[i].cert);
	printf("\n");
	for (unsigned p = 0; p < cfg->backends.n_pools; p++)
		servers += cfg->backends.pools[p].n_be;
	printf("  backends: %u server%s in %u pool%s\n", servers,
	       servers == 1 ? "" : "s", cfg->backends.n_pools,
	       cfg->backends.n_pools == 1 ? "" : "s");
	for (unsigned p = 0; p < cfg->backends.n_pools; p++) {
		printf("    %s (%s):", cfg->backends.pools[p].name,
		       enum_str(policy_names, (int)cfg->backends.pools[p].policy));
		for (unsigned b = 0; b < cfg->backends.pools[p].n_be; b++)
			printf(" %s", cfg->backends.pools[p].be[b].text);
		printf("\n");
	}
	if (cfg->backends.n_routes > 0)
		printf("  routes:   %u\n", cfg->backends.n_routes);
	printf("  workers:  %u (max %u connections each, %u in all), control %s\n",
	       cfg->workers, cfg->flow.max_conns_per_worker, cfg->flow.max_conns,
	       tg_cfg_control_name(cfg->control));
}

/** `tlsgate stats [--admin ADDR | -c FILE]`. */
static TG_MUST_CHECK tg_result parse_stats(int argc, char **argv, struct tg_config *cfg)
{
	static const struct option opts[] = {
		{ "admin", required_argument, NULL, OPT_ADMIN },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *admin = NULL, *file = NULL;
	char err[256];
	int c;

	optind = 0;
	opterr = 1;
	while ((c = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_ADMIN: admin = optarg; break;
		case 'c': file = optarg; break;
		case 'h':
			printf("Usage: tlsgate stats [--admin ADDR | -c FILE]\n"
			       "Print the running terminator's counters, read from its admin listener.\n");
			return TG_OK;
		default:
			cfg_err("usage: tlsgate stats [--admin ADDR | -c FILE]");
			return tg_error(TG_E_INVAL);
		}
	}
	if (optind < argc) {
		cfg_err("tlsgate stats: unexpected argument '%s'", argv[optind]);
		return tg_error(TG_E_INVAL);
	}
	if (file != NULL)
		TG_GUARD(load_file(file, cfg));
	if (admin != NULL &&
	    tg_failed(parse_addr(admin, ADDR_CONNECT, &cfg->admin, err, sizeof(err)))) {
		cfg_err("--admin '%s': %s", admin, err);
		return tg_error(TG_E_INVAL);
	}
	if (cfg->admin.text[0] == '\0') {
		cfg_err("tlsgate stats: no admin address: give --admin ADDR (the server's --admin, e.g. 127.0.0.1:9443) or -c FILE");
		return tg_error(TG_E_INVAL);
	}
	return TG_OK;
}

tg_result tg_config_parse(int argc, char **argv, struct tg_config *cfg,
			  enum tg_config_action *action)
{
	struct flag_state st = { 0 };
	const char *file = NULL;
	bool help = false, version = false, check = false, bad = false;
	int c;

	TG_ENSURE(argv != NULL && cfg != NULL && action != NULL, TG_E_INVAL);
	tg_config_defaults(cfg);
	*action = TG_ACTION_RUN;

	if (argc > 1 && strcmp(argv[1], "stats") == 0) {
		*action = TG_ACTION_STATS;
		return parse_stats(argc - 1, argv + 1, cfg);
	}

	/* Pass 1: --help, --version, --check-config and the config file. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		if (c == 'h')
			help = true;
		else if (c == OPT_VERSION)
			version = true;
		else if (c == OPT_CHECK)
			check = true;
		else if (c == 'c')
			file = optarg;
	}
	if (help) {
		*action = TG_ACTION_HELP;
		tg_config_usage(stdout);
		return TG_OK;
	}
	if (version) {
		*action = TG_ACTION_VERSION;
		printf("tlsgate %s\n", TG_VERSION);
		return TG_OK;
	}
	if (check)
		*action = TG_ACTION_CHECK;
	if (file != NULL) {
		tg_result r = load_file(file, cfg);

		if (tg_failed(r))
			return r;
	}

	/* Pass 2: every flag, in order, over the file. */
	optind = 0;
	opterr = 1;
	while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		if (c == '?' || c == ':') {
			bad = true;
			continue;
		}
		if (!apply_flag(cfg, &st, c, optarg))
			bad = true;
	}
	if (optind < argc) {
		cfg_err("unexpected argument '%s' (options start with --; see tlsgate --help)",
			argv[optind]);
		bad = true;
	}
	if (st.cert_open) {
		cfg_err("--cert '%s' has no --key: give --key FILE right after it",
			cfg->certs[cfg->n_certs - 1].cert);
		bad = true;
	}
	optind = 0;
	if (bad) {
		cfg_err("try 'tlsgate --help'");
		return tg_error(TG_E_INVAL);
	}
	/* --check-config: the caller loads the files, then prints the
	 * summary (tg_config_print_summary) */
	return tg_config_validate(cfg);
}
