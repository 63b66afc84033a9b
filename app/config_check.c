/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Checks of a filled configuration (tg_config_validate): every setting's
 * range from the table and its own check, then the rules between
 * settings; and the summary --check-config prints. Every message names
 * where the setting came from (FILE:LINE or --flag) and what to write.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "config_int.h"
#include "tg_accel.h"
#include "tg_log.h"
#include "tg_privs.h"

/* ---- checks of single settings ----------------------------------------- */

const char *tg_cfg_log_level_accept(const char *v)
{
	enum tg_log_level lvl;

	return tg_log_parse_level(v, &lvl) ? NULL
					   : "use err, warn, notice, info or debug";
}

/** Light syntax check of an EAL core list: "0-3,5", "1@2", "(0,1)@0". */
static bool valid_lcores(const char *s)
{
	return s[0] != '\0' && strspn(s, "0123456789,-@()") == strlen(s);
}

unsigned tg_cfg_lcores_check(struct tg_config *cfg, const struct tg_setting *s,
			     unsigned *io_errors)
{
	(void)s;
	(void)io_errors;
	if (cfg->lcores[0] == '\0' || valid_lcores(cfg->lcores))
		return 0;
	tg_cfg_verr(cfg, "lcores", "lcores '%s': use an EAL core list such as 0-3 or 0,2,4",
		    cfg->lcores);
	return 1;
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

unsigned tg_cfg_accel_backends_check(struct tg_config *cfg,
				     const struct tg_setting *s,
				     unsigned *io_errors)
{
	(void)s;
	(void)io_errors;
	if (cfg->accel_backends[0] == '\0' || valid_accel_list(cfg->accel_backends))
		return 0;
	tg_cfg_verr(cfg, "accel.backends", "accel backends '%s': use default, all, or a comma list of backends this build has (ipsecmb, simd, evp, cryptodev:NAME); default and all stand alone",
		    cfg->accel_backends);
	return 1;
}

unsigned tg_cfg_accel_force_check(struct tg_config *cfg,
				  const struct tg_setting *s,
				  unsigned *io_errors)
{
	(void)s;
	(void)io_errors;
	if (cfg->accel_force[0] == '\0' || strcmp(cfg->accel_force, "auto") == 0 ||
	    tg_accel_backend_known(cfg->accel_force, strlen(cfg->accel_force)))
		return 0;
	tg_cfg_verr(cfg, "accel.force", "accel force '%s': use auto or a backend this build has (ipsecmb, simd, evp, cryptodev:NAME)",
		    cfg->accel_force);
	return 1;
}

/* ---- the DPDK transport's settings ----------------------------------------- */

unsigned tg_cfg_dpdk_eal_check(struct tg_config *cfg, const struct tg_setting *s,
			       unsigned *io_errors)
{
	/* what tlsgate sets itself: a second one would contradict it */
	static const struct {
		const char *arg, *instead;
	} own[] = {
		{ "-l", "lcores (-l LIST)" }, { "--lcores", "lcores (-l LIST)" },
		{ "-c", "lcores (-l LIST)" }, { "--file-prefix", "nothing: tlsgate sets its own" },
		{ "--no-huge", "dpdk.hugepages = false (the default)" },
		{ "--in-memory", "dpdk.hugepages = true" },
		{ "--proc-type", "nothing: tlsgate is a primary process" },
	};
	char tmp[sizeof(cfg->dpdk_eal)];
	char *save = NULL;
	unsigned errors = 0;
	bool value_ok = false; /* the word before was an option: a value may follow */

	(void)s;
	(void)io_errors;
	snprintf(tmp, sizeof(tmp), "%s", cfg->dpdk_eal);
	for (char *t = strtok_r(tmp, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save)) {
		if (t[0] != '-' && value_ok) {
			/* "-a 0000:3b:00.0", "--socket-mem 1024" */
			value_ok = false;
			continue;
		}
		/* "--vdev=x" carries its value; "-a" and "--socket-mem" may
		 * take the next word */
		value_ok = t[0] == '-' && strchr(t, '=') == NULL;
		if (t[0] != '-') {
			tg_cfg_verr(cfg, "dpdk.eal", "dpdk.eal: '%s' is not an EAL option: give options with their values joined, e.g. --vdev=net_af_packet0,iface=eth1",
				    t);
			errors++;
			continue;
		}
		for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
			size_t n = strlen(own[i].arg);

			if (strncmp(t, own[i].arg, n) == 0 &&
			    (t[n] == '\0' || t[n] == '=' || (n == 2 && t[n] != '-'))) {
				tg_cfg_verr(cfg, "dpdk.eal", "dpdk.eal: '%s': set %s instead",
					    t, own[i].instead);
				errors++;
			}
		}
	}
	return errors;
}

/* "198.18.0.2/24" (@p prefixed) or "198.18.0.1", of the family @p v6. */
static bool parse_net_addr(const char *text, bool prefixed, bool v6,
			   struct tg_net_addr *a, uint8_t *prefix)
{
	char buf[64];
	char *slash;
	unsigned p = 0;

	if (strlen(text) >= sizeof(buf))
		return false;
	strcpy(buf, text);
	slash = strchr(buf, '/');
	if ((slash != NULL) != prefixed)
		return false;
	if (slash != NULL) {
		*slash = '\0';
		if (!tg_cfg_parse_uint(slash + 1, 1, v6 ? 128 : 32, &p))
			return false;
	}
	if (tg_failed(tg_net_addr_parse(buf, a)) || tg_net_addr_is_v4(a) == v6)
		return false;
	if (prefix != NULL)
		*prefix = (uint8_t)p;
	return true;
}

unsigned tg_cfg_dpdk_addr_check(struct tg_config *cfg, const struct tg_setting *s,
				unsigned *io_errors)
{
	struct tg_dpdk_port_conf *pc = &cfg->dpdk_port;
	const char *text = (const char *)cfg + s->off;
	bool v6 = strchr(s->key, '6') != NULL;
	bool prefixed = strstr(s->key, "address") != NULL;
	struct tg_net_addr *a = v6 ? (prefixed ? &pc->addr6 : &pc->gateway6)
				   : (prefixed ? &pc->addr : &pc->gateway);
	uint8_t *prefix = prefixed ? (v6 ? &pc->prefix6 : &pc->prefix) : NULL;

	(void)io_errors;
	memset(a, 0, sizeof(*a));
	if (text[0] == '\0')
		return 0;
	if (parse_net_addr(text, prefixed, v6, a, prefix))
		return 0;
	tg_cfg_verr(cfg, s->key, "%s '%s': write %s, e.g. %s", s->key, text,
		    prefixed ? (v6 ? "an IPv6 address and its prefix length"
				   : "an IPv4 address and its prefix length")
			     : (v6 ? "an IPv6 address" : "an IPv4 address"),
		    s->sample);
	memset(a, 0, sizeof(*a));
	return 1;
}

unsigned tg_cfg_dpdk_mtu_check(struct tg_config *cfg, const struct tg_setting *s,
			       unsigned *io_errors)
{
	unsigned min = cfg->dpdk_addr6[0] ? 1280 : 576;

	(void)s;
	(void)io_errors;
	cfg->dpdk_port.mtu = (uint16_t)cfg->dpdk_mtu;
	if (cfg->dpdk_mtu == 0 || (cfg->dpdk_mtu >= min && cfg->dpdk_mtu <= 9216))
		return 0;
	tg_cfg_verr(cfg, "dpdk.mtu", "dpdk.mtu = %u: use 0 (the port's) or %u..9216%s",
		    cfg->dpdk_mtu, min, min == 1280 ? " (IPv6 needs 1280, RFC 8200 §5)" : "");
	return 1;
}

unsigned tg_cfg_dpdk_impair_check(struct tg_config *cfg,
				  const struct tg_setting *s,
				  unsigned *io_errors)
{
	(void)s;
	(void)io_errors;
	memset(&cfg->dpdk_imp, 0, sizeof(cfg->dpdk_imp));
	if (cfg->dpdk_impair[0] == '\0' ||
	    tg_ok(tg_net_impair_parse(cfg->dpdk_impair, &cfg->dpdk_imp)))
		return 0;
	tg_cfg_verr(cfg, "dpdk.impair", "dpdk.impair '%s': write key=value pairs, comma separated: seed, loss, dup, reorder, corrupt (percent), gap (packets), delay, jitter (5ms, 200us), rate (100m), a key prefixed rx. or tx. for one direction; e.g. seed=7,loss=1%%,reorder=0.5%%",
		    cfg->dpdk_impair);
	return 1;
}

unsigned tg_cfg_user_check(struct tg_config *cfg, const struct tg_setting *s,
			   unsigned *io_errors)
{
	char err[256];
	uid_t uid;
	gid_t gid;

	(void)s;
	(void)io_errors;
	if (cfg->user[0] == '\0' ||
	    tg_ok(tg_privs_find_user(cfg->user, &uid, &gid, err, sizeof(err))))
		return 0;
	tg_cfg_verr(cfg, "user", "user '%s': %s", cfg->user, err);
	return 1;
}

unsigned tg_cfg_group_check(struct tg_config *cfg, const struct tg_setting *s,
			    unsigned *io_errors)
{
	char err[256];
	gid_t gid;

	(void)s;
	(void)io_errors;
	if (cfg->group[0] == '\0')
		return 0;
	if (cfg->user[0] == '\0') {
		tg_cfg_verr(cfg, "group", "group '%s' without a user: tlsgate drops root to a user and its group; add --user NAME (user = \"NAME\"; in the file)",
			    cfg->group);
		return 1;
	}
	if (tg_ok(tg_privs_find_group(cfg->group, &gid, err, sizeof(err))))
		return 0;
	tg_cfg_verr(cfg, "group", "group '%s': %s", cfg->group, err);
	return 1;
}

/**
 * The table's checks of setting @p s: range (and power of two) of a
 * number, a name of an enumeration, an acceptable string. Returns the
 * number of errors printed.
 */
static unsigned check_value(const struct tg_config *cfg,
			    const struct tg_setting *s)
{
	const char *field = (const char *)cfg + s->off;
	char extra[160] = "";

	if (s->flag != NULL && s->arg != NULL)
		snprintf(extra, sizeof(extra), "%s%sflag --%s %s",
			 s->why ? s->why : "", s->why ? "; " : "", s->flag, s->arg);
	else if (s->why != NULL)
		snprintf(extra, sizeof(extra), "%s", s->why);
	switch (s->type) {
	case TG_SET_UINT: {
		const char *sp = s->unit ? " " : "", *unit = s->unit ? s->unit : "";
		bool pow2 = (s->opts & TG_SET_O_POW2) != 0;
		unsigned v;

		memcpy(&v, field, sizeof(v));
		if ((v == 0 && (s->opts & TG_SET_O_AUTO)) ||
		    (v >= s->min && v <= s->max && (!pow2 || (v & (v - 1)) == 0)))
			return 0;
		if (pow2)
			tg_cfg_verr(cfg, s->key, "%s = %u: use a power of two from %llu to %llu%s%s%s",
				    s->key, v, s->min, s->max, extra[0] ? " (" : "",
				    extra, extra[0] ? ")" : "");
		else
			tg_cfg_verr(cfg, s->key, "%s = %u%s%s is out of range: use %llu..%llu%s%s%s%s%s",
				    s->key, v, sp, unit, s->min, s->max, sp, unit,
				    extra[0] ? " (" : "", extra, extra[0] ? ")" : "");
		return 1;
	}
	case TG_SET_ENUM: {
		char list[128];
		int v;

		memcpy(&v, field, sizeof(v));
		if (strcmp(tg_cfg_enum_str(s->names, v), "?") != 0)
			return 0;
		tg_cfg_enum_list(s->names, false, list, sizeof(list));
		tg_cfg_verr(cfg, s->key, "%s = %d: use %s", s->key, v, list);
		return 1;
	}
	case TG_SET_STR: {
		const char *why;

		if (s->accept == NULL || (why = s->accept(field)) == NULL)
			return 0;
		tg_cfg_verr(cfg, s->key, "%s '%s': %s", s->key, field, why);
		return 1;
	}
	default:
		return 0;
	}
}

/* ---- rules between settings -------------------------------------------- */

/** The DPDK transport's rules; returns the errors printed. */
static unsigned check_dpdk(struct tg_config *cfg)
{
	struct tg_dpdk_port_conf *pc = &cfg->dpdk_port;
	unsigned errors = 0;

	snprintf(pc->dev, sizeof(pc->dev), "%s", cfg->dpdk_dev);
	pc->mbufs = cfg->dpdk_mbufs;
	pc->no_tso = !cfg->dpdk_tso;
	if (cfg->dpdk_addr[0] == '\0') {
		tg_cfg_verr(cfg, "transport", "the DPDK transport needs our address on the port: add --dpdk-addr ADDR/PREFIX (dpdk = { address = \"198.18.0.2/24\"; }; in the file)");
		errors++;
	}
	if (cfg->workers > TG_NET_MAX_QUEUES) {
		tg_cfg_verr(cfg, "workers", "workers = %u: the DPDK transport runs at most %u workers (one queue of the port each)",
			    cfg->workers, TG_NET_MAX_QUEUES);
		errors++;
	}
	/* listeners are our TCP's: on the port's addresses or a wildcard */
	for (unsigned i = 0; i < cfg->n_listen; i++) {
		const struct tg_addr *l = &cfg->listen[i];
		struct tg_net_addr a;
		bool any = false, ours = false;

		if (l->sa.ss_family == AF_INET) {
			const struct sockaddr_in *s4 = (const void *)&l->sa;

			tg_net_addr_set_v4(&a, s4->sin_addr.s_addr);
			any = s4->sin_addr.s_addr == 0;
			ours = tg_net_addr_eq(&a, &pc->addr);
		} else if (l->sa.ss_family == AF_INET6) {
			const struct sockaddr_in6 *s6 = (const void *)&l->sa;
			static const struct tg_net_addr zero;

			memcpy(a.b, &s6->sin6_addr, 16);
			any = tg_net_addr_eq(&a, &zero);
			ours = !any && tg_net_addr_eq(&a, &pc->addr6);
		}
		if (!any && !ours && pc->prefix != 0) {
			char key[32];

			snprintf(key, sizeof(key), "listen[%u]", i);
			tg_cfg_verr(cfg, key, "listen %s: with the DPDK transport tlsgate listens on the port's address (dpdk.address %s%s%s) or a wildcard (0.0.0.0:PORT, [::]:PORT)",
				    l->text, cfg->dpdk_addr, cfg->dpdk_addr6[0] ? ", dpdk.address6 " : "",
				    cfg->dpdk_addr6);
			errors++;
		}
	}
	return errors;
}

/** The rules that tie settings together; returns the errors printed. */
static unsigned check_rules(struct tg_config *cfg)
{
	struct tg_flow_settings *f = &cfg->flow;
	unsigned errors = 0;

	if (cfg->alpn_required && cfg->n_alpn == 0) {
		tg_cfg_verr(cfg, "alpn_required", "alpn_required = true but no ALPN protocol is set: add --alpn h2,http/1.1 or alpn = [...];");
		errors++;
	}
	if (cfg->client_auth != TG_CFG_CLIENT_AUTH_NONE && cfg->client_ca[0] == '\0') {
		tg_cfg_verr(cfg, "client_auth", "client_auth is %s but no client_ca: add --client-ca FILE (client_ca = \"ca.pem\"; in the file) to verify client certificates",
			    tg_cfg_enum_str(tg_cfg_client_auth_names, (int)cfg->client_auth));
		errors++;
	}
	if (cfg->dpdk)
		cfg->transport = TG_CFG_TRANSPORT_DPDK;
	if (cfg->transport == TG_CFG_TRANSPORT_DPDK)
		errors += check_dpdk(cfg);
	if (cfg->control == TG_CFG_CONTROL_INLINE && cfg->workers > 1) {
		tg_cfg_verr(cfg, "control", "control = inline runs handshakes in the worker and needs workers = 1 (%u given): use auto or thread",
			    cfg->workers);
		errors++;
	}
	if (f->max_conns >= 1 && cfg->workers >= 1) {
		if (f->max_conns_per_worker == 0)
			f->max_conns_per_worker =
				(f->max_conns + cfg->workers - 1) / cfg->workers;
		if (f->max_conns_per_worker > f->max_conns) {
			tg_cfg_verr(cfg, "limits.max_conns_per_worker", "limits.max_conns_per_worker (%u) is above limits.max_conns (%u): lower it or leave it out",
				    f->max_conns_per_worker, f->max_conns);
			errors++;
		}
	}
	if (f->record_small >= TG_CFG_RECORD_MIN && f->record_small <= TG_CFG_RECORD_MAX &&
	    f->record_max >= TG_CFG_RECORD_MIN && f->record_max <= TG_CFG_RECORD_MAX &&
	    f->record_small > f->record_max) {
		tg_cfg_verr(cfg, "records.small", "records.small = %u: use %u..records.max (%u); 1369 fits one TCP segment",
			    f->record_small, TG_CFG_RECORD_MIN, f->record_max);
		errors++;
	}
	return errors;
}

tg_result tg_config_validate(struct tg_config *cfg)
{
	unsigned errors = 0, io_errors = 0;

	TG_ENSURE_REF(cfg);
	for (unsigned i = 0; i < tg_n_settings; i++) {
		const struct tg_setting *s = &tg_settings[i];

		errors += check_value(cfg, s);
		if (s->check != NULL)
			errors += s->check(cfg, s, &io_errors);
	}
	errors += check_rules(cfg);
	/* Bad settings are usage errors; missing files are not. */
	if (errors > 0)
		return tg_error(TG_E_INVAL);
	return io_errors > 0 ? tg_error(TG_E_IO) : TG_OK;
}

/* ---- the summary ------------------------------------------------------- */

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
		       tg_cfg_enum_str(tg_cfg_policy_names,
				       (int)cfg->backends.pools[p].policy));
		for (unsigned b = 0; b < cfg->backends.pools[p].n_be; b++)
			printf(" %s", cfg->backends.pools[p].be[b].text);
		printf("\n");
	}
	if (cfg->backends.n_routes > 0)
		printf("  routes:   %u\n", cfg->backends.n_routes);
	printf("  workers:  %u (max %u connections each, %u in all), control %s\n",
	       cfg->workers, cfg->flow.max_conns_per_worker, cfg->flow.max_conns,
	       tg_cfg_control_name(cfg->control));
	if (cfg->user[0] != '\0')
		printf("  user:     %s%s%s (once the listeners are bound)\n",
		       cfg->user, cfg->group[0] ? ", group " : "", cfg->group);
}
