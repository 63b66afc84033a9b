/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TLS settings with their own syntax or checks: certificates (the
 * file's list of groups, the --cert/--key pairs), ALPN lists, ticket key
 * files, and the checks of the suite, group and signature lists.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config_int.h"
#include "tg_suite.h"

/**
 * Check @p path is readable; prints "[where] <what> '<path>': ..."
 * otherwise (@p key: the setting, for its file:line).
 */
static bool readable(const struct tg_config *cfg, const char *key,
		     const char *what, const char *path)
{
	if (access(path, R_OK) == 0)
		return true;
	tg_cfg_verr(cfg, key, "%s '%s': cannot read it: %s", what, path,
		    strerror(errno));
	return false;
}

unsigned tg_cfg_readable_check(struct tg_config *cfg, const struct tg_setting *s,
			       unsigned *io_errors)
{
	const char *path = (const char *)cfg + s->off;

	if (path[0] != '\0' && !readable(cfg, s->key, s->key, path))
		(*io_errors)++;
	return 0;
}

/* ---- certificates ------------------------------------------------------ */

void tg_cfg_certs_file(struct tg_cfg_file *fc, const config_setting_t *s)
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
		tg_cfg_ferr(fc, s, "'certificates' must be a list of groups, not %s (example: %s)",
			    tg_cfg_type_name(config_setting_type(s)), ex);
		return;
	}
	if (n > TG_CFG_MAX_CERTS) {
		tg_cfg_ferr(fc, s, "too many certificates (%u, at most %d)", n,
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
			tg_cfg_ferr(fc, g, "certificates[%u] must be a group { cert = ...; key = ...; }, not %s",
				    i, tg_cfg_type_name(config_setting_type(g)));
			continue;
		}
		memset(c, 0, sizeof(*c));
		ok = tg_cfg_only_members(fc, g, names);
		ok &= tg_cfg_member_str(fc, g, "cert", c->cert, sizeof(c->cert), ex);
		ok &= tg_cfg_member_str(fc, g, "key", c->key, sizeof(c->key), ex);
		d = config_setting_get_member(g, "default");
		if (d != NULL) {
			if (config_setting_type(d) != CONFIG_TYPE_BOOL) {
				tg_cfg_ferr(fc, d, "certificates[%u].default must be true or false, not %s",
					    i, tg_cfg_type_name(config_setting_type(d)));
				ok = false;
			} else {
				c->is_default = config_setting_get_bool(d);
			}
		}
		if (ok && c->cert[0] == '\0') {
			tg_cfg_ferr(fc, g, "certificates[%u] has no cert: add cert = \"FILE\";",
				    i);
			ok = false;
		}
		if (ok && c->key[0] == '\0') {
			tg_cfg_ferr(fc, g, "certificate '%s' has no key: add key = \"FILE\"; to its group",
				    c->cert);
			ok = false;
		}
		if (ok) {
			tg_cfg_origin_elem(fc, "certificates", cfg->n_certs, g);
			cfg->n_certs++;
		}
	}
}

bool tg_cfg_cert_flag(struct tg_cfg_flags *fl, const char *arg)
{
	struct tg_config *cfg = fl->cfg;
	char key[48];

	if (fl->first)
		cfg->n_certs = 0; /* the flags replace the file's list */
	if (fl->cert_open) {
		tg_cfg_err("--cert '%s': the previous --cert '%s' has no --key: give --cert FILE --key FILE in pairs",
			   arg, cfg->certs[cfg->n_certs - 1].cert);
		return false;
	}
	if (cfg->n_certs == TG_CFG_MAX_CERTS) {
		tg_cfg_err("--cert '%s': too many certificates (at most %d)", arg,
			   TG_CFG_MAX_CERTS);
		return false;
	}
	memset(&cfg->certs[cfg->n_certs], 0, sizeof(cfg->certs[0]));
	if (arg[0] == '\0' ||
	    !tg_cfg_copy_str(cfg->certs[cfg->n_certs].cert, TG_CFG_PATH, arg)) {
		tg_cfg_err("--cert '%.64s': empty or too long a path", arg);
		return false;
	}
	cfg->certs[cfg->n_certs].is_default = cfg->n_certs == 0;
	snprintf(key, sizeof(key), "certificates[%u]", cfg->n_certs);
	tg_cfg_origin_flag(cfg, key, "--cert");
	cfg->n_certs++;
	fl->cert_open = true;
	return true;
}

bool tg_cfg_key_flag(struct tg_cfg_flags *fl, const char *arg)
{
	struct tg_config *cfg = fl->cfg;

	if (!fl->cert_open) {
		tg_cfg_err("--key '%s' has no --cert before it: give --cert FILE --key FILE in pairs",
			   arg);
		return false;
	}
	if (arg[0] == '\0' ||
	    !tg_cfg_copy_str(cfg->certs[cfg->n_certs - 1].key, TG_CFG_PATH, arg)) {
		tg_cfg_err("--key '%.64s': empty or too long a path", arg);
		return false;
	}
	fl->cert_open = false;
	return true;
}

unsigned tg_cfg_certs_check(struct tg_config *cfg, const struct tg_setting *s,
			    unsigned *io_errors)
{
	unsigned errors = 0, n_default = 0;

	(void)s;
	if (cfg->n_certs == 0) {
		tg_cfg_err("no certificate: add --cert FILE --key FILE or certificates = ( { cert = \"...\"; key = \"...\"; } ); to the config file");
		errors++;
	}
	for (unsigned i = 0; i < cfg->n_certs && i < TG_CFG_MAX_CERTS; i++) {
		struct tg_cfg_cert *c = &cfg->certs[i];
		char key[48];

		snprintf(key, sizeof(key), "certificates[%u]", i);
		if (c->cert[0] == '\0') {
			tg_cfg_verr(cfg, key, "certificate %u has no cert file: give --cert FILE (cert = \"...\"; in the file)",
				    i + 1);
			errors++;
			continue;
		}
		if (!readable(cfg, key, "certificate", c->cert))
			(*io_errors)++;
		if (c->key[0] == '\0') {
			tg_cfg_verr(cfg, key, "certificate '%s' has no key: give --key FILE right after its --cert (key = \"...\"; in the file)",
				    c->cert);
			errors++;
		} else if (!readable(cfg, key, "key", c->key)) {
			(*io_errors)++;
		}
		n_default += c->is_default;
	}
	if (n_default > 1) {
		tg_cfg_verr(cfg, "certificates", "%u certificates are marked default = true: keep one",
			    n_default);
		errors++;
	} else if (n_default == 0 && cfg->n_certs > 0) {
		cfg->certs[0].is_default = true;
	}
	return errors;
}

/* ---- ALPN -------------------------------------------------------------- */

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

void tg_cfg_alpn_file(struct tg_cfg_file *fc, const config_setting_t *s)
{
	const char *v[TG_CFG_MAX_ALPN];
	const config_setting_t *el[TG_CFG_MAX_ALPN];
	int n = tg_cfg_get_strings(fc, s, v, el, TG_CFG_MAX_ALPN,
				   "alpn = [\"h2\", \"http/1.1\"];");

	if (n < 0)
		return;
	fc->cfg->n_alpn = 0;
	for (int i = 0; i < n; i++) {
		const char *why = add_alpn(fc->cfg, v[i], strlen(v[i]));

		if (why != NULL)
			tg_cfg_ferr(fc, el[i], "alpn '%s': %s", v[i], why);
	}
}

bool tg_cfg_alpn_flag(struct tg_cfg_flags *fl, const char *arg)
{
	const char *p = arg;

	if (fl->first)
		fl->cfg->n_alpn = 0; /* the flags replace the file's list */
	for (;;) {
		size_t len = strcspn(p, ",");
		const char *why = add_alpn(fl->cfg, p, len);

		if (why != NULL) {
			tg_cfg_err("--alpn '%s': %s (write --alpn h2,http/1.1)",
				   arg, why);
			return false;
		}
		if (p[len] == '\0')
			return true;
		p += len + 1;
	}
}

unsigned tg_cfg_alpn_check(struct tg_config *cfg, const struct tg_setting *s,
			   unsigned *io_errors)
{
	unsigned errors = 0;

	(void)s;
	(void)io_errors;
	if (cfg->n_alpn > TG_CFG_MAX_ALPN) {
		tg_cfg_verr(cfg, "alpn", "too many ALPN protocols (%u, at most %d)",
			    cfg->n_alpn, TG_CFG_MAX_ALPN);
		errors++;
	}
	for (unsigned i = 0; i < cfg->n_alpn && i < TG_CFG_MAX_ALPN; i++) {
		size_t len = strnlen(cfg->alpn[i], sizeof(cfg->alpn[i]));

		if (len == 0 || len >= sizeof(cfg->alpn[i])) {
			tg_cfg_verr(cfg, "alpn", "ALPN protocol %u: names are 1 to 31 bytes (e.g. h2, http/1.1)",
				    i + 1);
			errors++;
		}
	}
	return errors;
}

/* ---- ticket keys ------------------------------------------------------- */

void tg_cfg_ticket_keys_file(struct tg_cfg_file *fc, const config_setting_t *s)
{
	const char *v[TG_CFG_MAX_TICKET_KEYS];
	const config_setting_t *el[TG_CFG_MAX_TICKET_KEYS];
	int n = tg_cfg_get_strings(fc, s, v, el, TG_CFG_MAX_TICKET_KEYS,
				   "ticket_keys = [\"current.key\", \"previous.key\"];");

	if (n < 0)
		return;
	fc->cfg->n_ticket_keys = 0;
	for (int i = 0; i < n; i++) {
		char *dst = fc->cfg->ticket_keys[fc->cfg->n_ticket_keys];

		if (!tg_cfg_copy_str(dst, TG_CFG_PATH, v[i]) || v[i][0] == '\0')
			tg_cfg_ferr(fc, el[i], "ticket_keys: bad path '%.64s' (empty or longer than %d bytes)",
				    v[i], TG_CFG_PATH - 1);
		else
			fc->cfg->n_ticket_keys++;
	}
}

bool tg_cfg_ticket_key_flag(struct tg_cfg_flags *fl, const char *arg)
{
	struct tg_config *cfg = fl->cfg;

	if (fl->first)
		cfg->n_ticket_keys = 0; /* the flags replace the file's list */
	if (cfg->n_ticket_keys == TG_CFG_MAX_TICKET_KEYS) {
		tg_cfg_err("--ticket-key '%s': too many ticket keys (at most %d)",
			   arg, TG_CFG_MAX_TICKET_KEYS);
		return false;
	}
	if (arg[0] == '\0' ||
	    !tg_cfg_copy_str(cfg->ticket_keys[cfg->n_ticket_keys], TG_CFG_PATH,
			     arg)) {
		tg_cfg_err("--ticket-key '%.64s': empty or too long a path", arg);
		return false;
	}
	cfg->n_ticket_keys++;
	return true;
}

unsigned tg_cfg_ticket_keys_check(struct tg_config *cfg,
				  const struct tg_setting *s,
				  unsigned *io_errors)
{
	(void)s;
	if (cfg->n_ticket_keys > TG_CFG_MAX_TICKET_KEYS) {
		tg_cfg_verr(cfg, "ticket_keys", "too many ticket keys (%u, at most %d)",
			    cfg->n_ticket_keys, TG_CFG_MAX_TICKET_KEYS);
		return 1;
	}
	for (unsigned i = 0; i < cfg->n_ticket_keys; i++)
		if (!readable(cfg, "ticket_keys", "ticket key", cfg->ticket_keys[i]))
			(*io_errors)++;
	return 0;
}

/* ---- preference lists -------------------------------------------------- */

/** Check one colon-separated preference list with @p parse. */
static unsigned check_list(const struct tg_config *cfg, const char *what,
			   const char *list,
			   tg_result (*parse)(const char *, uint16_t *, size_t,
					      size_t *, char *, size_t),
			   const char *hint)
{
	uint16_t ids[64];
	size_t n;
	char err[160];

	if (list[0] == '\0')
		return 0;
	if (tg_ok(parse(list, ids, sizeof(ids) / sizeof(ids[0]), &n, err,
			sizeof(err))))
		return 0;
	tg_cfg_verr(cfg, what, "%s \"%s\": %s (%s)", what, list, err, hint);
	return 1;
}

unsigned tg_cfg_suites_check(struct tg_config *cfg, const struct tg_setting *s,
			     unsigned *io_errors)
{
	uint16_t ids[64];
	unsigned errors = 0;
	size_t n;

	(void)s;
	(void)io_errors;
	if (check_list(cfg, "suites", cfg->suites, tg_cs_parse_list,
		       "use names such as ECDHE-ECDSA-AES128-GCM-SHA256, separated by ':'; see docs/configuration.md"))
		return 1;
	if (cfg->suites[0] == '\0' || cfg->allow_static_rsa ||
	    tg_failed(tg_cs_parse_list(cfg->suites, ids, 64, &n, NULL, 0)))
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct tg_cs_info *cs = tg_cs_by_id(ids[i]);

		if (cs != NULL && cs->kx == TG_KX_RSA) {
			tg_cfg_verr(cfg, "suites", "suites: '%s' uses static RSA key exchange (no forward secrecy): remove it or set allow_static_rsa = true;",
				    cs->ossl);
			errors++;
		}
	}
	return errors;
}

unsigned tg_cfg_versions_check(struct tg_config *cfg, const struct tg_setting *s,
			       unsigned *io_errors)
{
	unsigned v;
	char err[160];

	(void)s;
	(void)io_errors;
	if (cfg->tls_versions[0] == '\0' ||
	    tg_ok(tg_version_parse_list(cfg->tls_versions, &v, err, sizeof(err))))
		return 0;
	tg_cfg_verr(cfg, "tls_versions", "tls_versions \"%s\": %s (use TLSv1.2, TLSv1.3 or both, separated by ':')",
		    cfg->tls_versions, err);
	return 1;
}

unsigned tg_cfg_suites13_check(struct tg_config *cfg, const struct tg_setting *s,
			       unsigned *io_errors)
{
	(void)s;
	(void)io_errors;
	return check_list(cfg, "tls13_suites", cfg->tls13_suites, tg_cs13_parse_list,
			  "use TLS_AES_128_GCM_SHA256, TLS_CHACHA20_POLY1305_SHA256 or TLS_AES_256_GCM_SHA384, separated by ':'");
}

unsigned tg_cfg_groups_check(struct tg_config *cfg, const struct tg_setting *s,
			     unsigned *io_errors)
{
	(void)s;
	(void)io_errors;
	return check_list(cfg, "groups", cfg->groups, tg_group_parse_list,
			  "use x25519, P-256 or P-384, separated by ':'");
}

unsigned tg_cfg_sigalgs_check(struct tg_config *cfg, const struct tg_setting *s,
			      unsigned *io_errors)
{
	(void)s;
	(void)io_errors;
	return check_list(cfg, "sigalgs", cfg->sigalgs, tg_sigalg_parse_list,
			  "use names such as ecdsa_secp256r1_sha256 or rsa_pss_rsae_sha256, separated by ':'");
}
