/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Backend pools and SNI routes in the configuration (they fill the
 * dataplane's struct tg_backends_conf): the file's list of pools or its
 * short form (an array of servers: the default pool), --backend, the
 * routes (read after the pools, whatever the order in the file), and
 * their checks.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config_int.h"

/** True for a pool name usable in routes: [A-Za-z0-9_.-]{1,63}. */
static bool valid_pool_name(const char *s)
{
	return strlen(s) < sizeof(((struct tg_pool_conf *)0)->name) &&
	       tg_cfg_is_hostname(s);
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
	if (!tg_cfg_is_hostname(p) || strchr(p, '*') != NULL)
		return "server names hold letters, digits, '.', '-' and '_' only";
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
	return NULL;
}

/** Pool @p p emptied and named "default". */
static void default_pool(struct tg_pool_conf *p)
{
	memset(p, 0, sizeof(*p));
	strcpy(p->name, "default");
	p->policy = TG_LB_ROUND_ROBIN;
}

void tg_cfg_backends_init(struct tg_config *cfg)
{
	cfg->backends.n_pools = 1;
	default_pool(&cfg->backends.pools[0]);
}

/* ---- the file ---------------------------------------------------------- */

/** Fill pool @p p's servers from setting @p s (string or array). */
static void pool_servers(struct tg_cfg_file *fc, const config_setting_t *s,
			 struct tg_pool_conf *p)
{
	const char *v[TG_CFG_MAX_BACKENDS];
	const config_setting_t *el[TG_CFG_MAX_BACKENDS];
	int n = tg_cfg_get_strings(fc, s, v, el, TG_CFG_MAX_BACKENDS,
				   "servers = [\"127.0.0.1:8080\", \"10.0.0.2:8080\"];");

	if (n < 0)
		return;
	p->n_be = 0;
	for (int i = 0; i < n; i++) {
		char err[256];

		if (tg_failed(tg_cfg_parse_addr(v[i], TG_ADDR_CONNECT,
						&p->be[p->n_be], err,
						sizeof(err))))
			tg_cfg_ferr(fc, el[i], "backend '%s': %s", v[i], err);
		else
			p->n_be++;
	}
}

/** Read pool @p i of the file, group @p g, into @p p. */
static void pool_file(struct tg_cfg_file *fc, const config_setting_t *g,
		      unsigned i, struct tg_pool_conf *p)
{
	static const char *const names[] = { "name", "policy", "servers", NULL };
	static const char ex[] =
		"backends = ( { name = \"default\"; servers = [\"127.0.0.1:8080\"]; } );";
	struct tg_config *cfg = fc->cfg;
	const config_setting_t *m;

	tg_cfg_only_members(fc, g, names);
	if (config_setting_get_member(g, "name") == NULL) {
		if (i == 0)
			strcpy(p->name, "default");
		else
			tg_cfg_ferr(fc, g, "backends[%u] needs a name so routes can use it: add name = \"...\";",
				    i);
	} else if (tg_cfg_member_str(fc, g, "name", p->name, sizeof(p->name), ex) &&
		   !valid_pool_name(p->name)) {
		tg_cfg_ferr(fc, config_setting_get_member(g, "name"),
			    "backend pool name '%s': use 1-63 letters, digits, '.', '-' or '_'",
			    p->name);
	}
	for (unsigned j = 0; j < i && p->name[0] != '\0'; j++)
		if (strcmp(cfg->backends.pools[j].name, p->name) == 0)
			tg_cfg_ferr(fc, g, "backend pool '%s' is defined twice",
				    p->name);
	m = config_setting_get_member(g, "policy");
	if (m != NULL) {
		const char *v = tg_cfg_get_string(fc, m, "policy = \"least_conn\";");
		char list[96];
		int pol;

		if (v != NULL && tg_cfg_enum_parse(tg_cfg_policy_names, v, &pol)) {
			p->policy = (enum tg_lb_policy)pol;
		} else if (v != NULL) {
			tg_cfg_enum_list(tg_cfg_policy_names, true, list,
					 sizeof(list));
			tg_cfg_ferr(fc, m, "policy '%s': use %s", v, list);
		}
	}
	m = config_setting_get_member(g, "servers");
	if (m == NULL)
		tg_cfg_ferr(fc, g, "backend pool '%s' has no servers: add servers = [\"host:port\", ...];",
			    p->name);
	else
		pool_servers(fc, m, p);
}

void tg_cfg_backends_file(struct tg_cfg_file *fc, const config_setting_t *s)
{
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
		default_pool(&cfg->backends.pools[0]);
		pool_servers(fc, s, &cfg->backends.pools[0]);
		return;
	}
	if (type != CONFIG_TYPE_LIST && type != CONFIG_TYPE_GROUP) {
		tg_cfg_ferr(fc, s, "'backends' must be a list of pools, not %s (example: %s)",
			    tg_cfg_type_name(type), ex);
		return;
	}
	n = type == CONFIG_TYPE_GROUP ? 1u : (unsigned)config_setting_length(s);
	if (n == 0) {
		tg_cfg_ferr(fc, s, "'backends' is empty: give at least one pool (example: %s)",
			    ex);
		return;
	}
	if (n > TG_CFG_MAX_POOLS) {
		tg_cfg_ferr(fc, s, "too many backend pools (%u, at most %d)", n,
			    TG_CFG_MAX_POOLS);
		return;
	}
	cfg->backends.n_pools = 0;
	for (unsigned i = 0; i < n; i++) {
		const config_setting_t *g =
			type == CONFIG_TYPE_GROUP ? s : config_setting_get_elem(s, i);
		struct tg_pool_conf *p = &cfg->backends.pools[i];

		memset(p, 0, sizeof(*p));
		cfg->backends.n_pools = i + 1; /* keep indices aligned with the file */
		tg_cfg_origin_elem(fc, "backends", i, g);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			tg_cfg_ferr(fc, g, "backends[%u] must be a group { name = ...; servers = [...]; }, not %s",
				    i, tg_cfg_type_name(config_setting_type(g)));
			continue;
		}
		pool_file(fc, g, i, p);
	}
}

/** The names of the pools, "'default', 'api'", into @p list. */
static void pool_names(const struct tg_config *cfg, char *list, size_t cap)
{
	list[0] = '\0';
	for (unsigned j = 0; j < cfg->backends.n_pools; j++) {
		size_t used = strlen(list);

		snprintf(list + used, cap - used, "%s'%s'", j ? ", " : "",
			 cfg->backends.pools[j].name);
	}
}

/** Add the routes of group @p g (names @p sni to pool @p pool). */
static void route_file(struct tg_cfg_file *fc, const config_setting_t *g,
		       unsigned i)
{
	static const char *const names[] = { "sni", "backend", NULL };
	static const char ex[] =
		"routes = ( { sni = \"api.example.com\"; backend = \"api\"; } );";
	struct tg_config *cfg = fc->cfg;
	const config_setting_t *sni, *be, *el[TG_CFG_MAX_ROUTES];
	const char *names_v[TG_CFG_MAX_ROUTES];
	const char *pool;
	int k, nn;

	if (!tg_cfg_only_members(fc, g, names))
		return;
	sni = config_setting_get_member(g, "sni");
	be = config_setting_get_member(g, "backend");
	if (sni == NULL || be == NULL) {
		tg_cfg_ferr(fc, g, "routes[%u] needs both sni and backend (example: %s)",
			    i, ex);
		return;
	}
	pool = tg_cfg_get_string(fc, be, "backend = \"api\";");
	nn = tg_cfg_get_strings(fc, sni, names_v, el, TG_CFG_MAX_ROUTES,
				"sni = \"api.example.com\";");
	if (pool == NULL || nn < 0)
		return;
	for (k = 0; k < (int)cfg->backends.n_pools; k++)
		if (strcmp(cfg->backends.pools[k].name, pool) == 0)
			break;
	if (k == (int)cfg->backends.n_pools) {
		char list[512];

		pool_names(cfg, list, sizeof(list));
		tg_cfg_ferr(fc, be, "route to backend '%s': no pool has that name (defined: %s)",
			    pool, list);
		return;
	}
	for (int j = 0; j < nn; j++) {
		struct tg_route_conf *r = &cfg->backends.routes[cfg->backends.n_routes];
		const char *why;

		if (cfg->backends.n_routes == TG_CFG_MAX_ROUTES) {
			tg_cfg_ferr(fc, el[j], "too many routes (at most %d)",
				    TG_CFG_MAX_ROUTES);
			return;
		}
		if (!tg_cfg_copy_str(r->sni, sizeof(r->sni), names_v[j])) {
			tg_cfg_ferr(fc, el[j], "sni '%.64s...': too long",
				    names_v[j]);
			continue;
		}
		why = check_sni(r->sni);
		if (why != NULL) {
			tg_cfg_ferr(fc, el[j], "sni '%s': %s", names_v[j], why);
			continue;
		}
		r->pool = (unsigned)k;
		tg_cfg_origin_elem(fc, "routes", cfg->backends.n_routes, el[j]);
		cfg->backends.n_routes++;
	}
}

void tg_cfg_routes_file(struct tg_cfg_file *fc, const config_setting_t *s)
{
	static const char ex[] =
		"routes = ( { sni = \"api.example.com\"; backend = \"api\"; } );";
	int type = config_setting_type(s);
	unsigned n;

	if (type != CONFIG_TYPE_LIST && type != CONFIG_TYPE_GROUP) {
		tg_cfg_ferr(fc, s, "'routes' must be a list of groups, not %s (example: %s)",
			    tg_cfg_type_name(type), ex);
		return;
	}
	n = type == CONFIG_TYPE_GROUP ? 1u : (unsigned)config_setting_length(s);
	fc->cfg->backends.n_routes = 0;
	for (unsigned i = 0; i < n; i++) {
		const config_setting_t *g =
			type == CONFIG_TYPE_GROUP ? s : config_setting_get_elem(s, i);

		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			tg_cfg_ferr(fc, g, "routes[%u] must be a group { sni = ...; backend = ...; }, not %s",
				    i, tg_cfg_type_name(config_setting_type(g)));
			continue;
		}
		route_file(fc, g, i);
	}
}

/* ---- the flag ---------------------------------------------------------- */

bool tg_cfg_backend_flag(struct tg_cfg_flags *fl, const char *arg)
{
	struct tg_config *cfg = fl->cfg;
	struct tg_pool_conf *p = &cfg->backends.pools[0];
	char err[256];

	tg_cfg_origin_flag(cfg, "backends[0]", "--backend"); /* the default pool */
	if (fl->first) {
		/* the flags replace the default pool's servers; the file's
		 * other pools and its routes stay */
		if (cfg->backends.n_pools == 0) {
			cfg->backends.n_pools = 1;
			default_pool(p);
		}
		p->n_be = 0;
	}
	if (p->n_be == TG_CFG_MAX_BACKENDS) {
		tg_cfg_err("--backend '%s': too many backends (at most %d)", arg,
			   TG_CFG_MAX_BACKENDS);
		return false;
	}
	if (tg_failed(tg_cfg_parse_addr(arg, TG_ADDR_CONNECT, &p->be[p->n_be],
					err, sizeof(err)))) {
		tg_cfg_err("--backend '%s': %s", arg, err);
		return false;
	}
	p->n_be++;
	return true;
}

/* ---- checks ------------------------------------------------------------ */

unsigned tg_cfg_backends_check(struct tg_config *cfg, const struct tg_setting *s,
			       unsigned *io_errors)
{
	unsigned errors = 0;

	(void)s;
	(void)io_errors;
	if (cfg->backends.n_pools == 0 || cfg->backends.n_pools > TG_CFG_MAX_POOLS) {
		tg_cfg_verr(cfg, "backends", "no backend pool: add --backend ADDR or backends = [...]; to the config file");
		errors++;
	}
	for (unsigned p = 0; p < cfg->backends.n_pools && p < TG_CFG_MAX_POOLS; p++) {
		struct tg_pool_conf *pool = &cfg->backends.pools[p];
		char key[48];

		snprintf(key, sizeof(key), "backends[%u]", p);
		if (pool->n_be == 0) {
			if (p == 0)
				tg_cfg_verr(cfg, "backends", "no backend: add --backend ADDR (e.g. --backend 127.0.0.1:8080) or backends = [\"127.0.0.1:8080\"]; to the config file");
			else
				tg_cfg_verr(cfg, key, "backend pool '%s' has no servers: add servers = [\"host:port\"]; to it",
					    pool->name);
			errors++;
		}
		for (unsigned b = 0; b < pool->n_be && b < TG_CFG_MAX_BACKENDS; b++)
			if (!tg_cfg_ensure_addr(cfg, key, "backend", &pool->be[b],
						TG_ADDR_CONNECT))
				errors++;
		for (unsigned q = 0; q < p; q++)
			if (strcmp(cfg->backends.pools[q].name, pool->name) == 0) {
				tg_cfg_verr(cfg, key, "backend pool '%s' is defined twice: rename one",
					    pool->name);
				errors++;
			}
	}
	return errors;
}

unsigned tg_cfg_routes_check(struct tg_config *cfg, const struct tg_setting *s,
			     unsigned *io_errors)
{
	struct tg_backends_conf *b = &cfg->backends;
	unsigned errors = 0;

	(void)s;
	(void)io_errors;
	for (unsigned r = 0; r < b->n_routes && r < TG_CFG_MAX_ROUTES; r++) {
		char key[48];

		snprintf(key, sizeof(key), "routes[%u]", r);
		if (b->routes[r].pool >= b->n_pools) {
			tg_cfg_verr(cfg, key, "route '%s' points to backend pool %u, which does not exist: define it under backends",
				    b->routes[r].sni, b->routes[r].pool);
			errors++;
		}
		for (unsigned q = 0; q < r; q++)
			if (strcasecmp(b->routes[q].sni, b->routes[r].sni) == 0) {
				tg_cfg_verr(cfg, key, "route sni '%s' is given twice: keep one",
					    b->routes[r].sni);
				errors++;
			}
	}
	if (b->n_routes > TG_CFG_MAX_ROUTES) {
		tg_cfg_verr(cfg, "routes", "too many routes (at most %d)",
			    TG_CFG_MAX_ROUTES);
		errors++;
	}
	return errors;
}
