/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Addresses in the configuration: the parser of "host:port", "[v6]:port",
 * "*:port" (config file, flags, `tlsgate stats`), and the settings made
 * of them: listen and admin (backend servers are in config_backends.c).
 */
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "config_int.h"

tg_result tg_cfg_parse_addr(const char *text, enum tg_addr_use use,
			    struct tg_addr *out, char *err, size_t err_len)
{
	char host[256];
	const char *port;
	const char *colon;
	bool bracket = false;
	unsigned port_num;
	struct addrinfo hints, *res = NULL;
	int rc;

	if (!tg_cfg_copy_str(out->text, sizeof(out->text), text)) {
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
	if (!tg_cfg_parse_uint(port, 1, 65535, &port_num)) {
		snprintf(err, err_len, "port out of range (1-65535)");
		return tg_error(TG_E_INVAL);
	}

	/* Wildcards: "*:p", ":p" = IPv4 any; "[::]:p" or "[*]:p" = IPv6 any. */
	if (host[0] == '\0' || strcmp(host, "*") == 0) {
		if (use != TG_ADDR_BIND) {
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
	if (rc != 0 && use == TG_ADDR_BIND) {
		snprintf(err, err_len,
			 "'%.100s' is not an IP address (listen addresses are numeric: 0.0.0.0:8443, [::]:8443, *:8443)",
			 host);
		return tg_error(TG_E_INVAL);
	}
	if (rc != 0) {
		if (!tg_cfg_is_hostname(host)) {
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

bool tg_cfg_ensure_addr(const struct tg_config *cfg, const char *key,
			const char *what, struct tg_addr *a,
			enum tg_addr_use use)
{
	char err[256], text[sizeof(a->text)];

	if (a->salen != 0)
		return true;
	memcpy(text, a->text, sizeof(text));
	if (tg_ok(tg_cfg_parse_addr(text, use, a, err, sizeof(err))))
		return true;
	tg_cfg_verr(cfg, key, "%s '%s': %s", what, text, err);
	return false;
}

/** True when @p a and @p b are the same socket address. */
static bool same_addr(const struct tg_addr *a, const struct tg_addr *b)
{
	return a->salen == b->salen && a->salen != 0 &&
	       memcmp(&a->sa, &b->sa, a->salen) == 0;
}

/* ---- listen ------------------------------------------------------------ */

void tg_cfg_listen_file(struct tg_cfg_file *fc, const config_setting_t *s)
{
	const char *v[TG_CFG_MAX_LISTEN];
	const config_setting_t *el[TG_CFG_MAX_LISTEN];
	int n = tg_cfg_get_strings(fc, s, v, el, TG_CFG_MAX_LISTEN,
				   "listen = [\"0.0.0.0:8443\", \"[::]:8443\"];");

	if (n < 0)
		return;
	fc->cfg->n_listen = 0;
	for (int i = 0; i < n; i++) {
		char err[256];
		struct tg_addr *a = &fc->cfg->listen[fc->cfg->n_listen];

		if (tg_failed(tg_cfg_parse_addr(v[i], TG_ADDR_BIND, a, err,
						sizeof(err))))
			tg_cfg_ferr(fc, el[i], "listen '%s': %s", v[i], err);
		else
			fc->cfg->n_listen++;
	}
}

bool tg_cfg_listen_flag(struct tg_cfg_flags *fl, const char *arg)
{
	struct tg_config *cfg = fl->cfg;
	char err[256];

	if (fl->first)
		cfg->n_listen = 0; /* the flags replace the file's list */
	if (cfg->n_listen == TG_CFG_MAX_LISTEN) {
		tg_cfg_err("--listen '%s': too many listen addresses (at most %d)",
			   arg, TG_CFG_MAX_LISTEN);
		return false;
	}
	if (tg_failed(tg_cfg_parse_addr(arg, TG_ADDR_BIND,
					&cfg->listen[cfg->n_listen], err,
					sizeof(err)))) {
		tg_cfg_err("--listen '%s': %s", arg, err);
		return false;
	}
	cfg->n_listen++;
	return true;
}

unsigned tg_cfg_listen_check(struct tg_config *cfg, const struct tg_setting *s,
			     unsigned *io_errors)
{
	unsigned errors = 0;

	(void)s;
	(void)io_errors;
	if (cfg->n_listen == 0) {
		tg_cfg_err("no listen address: add --listen ADDR (e.g. --listen 0.0.0.0:8443) or listen = [\"0.0.0.0:8443\"]; to the config file");
		errors++;
	}
	for (unsigned i = 0; i < cfg->n_listen && i < TG_CFG_MAX_LISTEN; i++) {
		if (!tg_cfg_ensure_addr(cfg, "listen", "listen", &cfg->listen[i],
					TG_ADDR_BIND)) {
			errors++;
			continue;
		}
		for (unsigned j = 0; j < i; j++)
			if (same_addr(&cfg->listen[i], &cfg->listen[j])) {
				tg_cfg_verr(cfg, "listen", "listen '%s' is given twice: remove one",
					    cfg->listen[i].text);
				errors++;
			}
	}
	return errors;
}

/* ---- admin ------------------------------------------------------------- */

void tg_cfg_admin_file(struct tg_cfg_file *fc, const config_setting_t *s)
{
	char err[256];
	const char *v = tg_cfg_get_string(fc, s, "admin = \"127.0.0.1:9443\";");

	if (v == NULL)
		return;
	if (v[0] == '\0') {
		memset(&fc->cfg->admin, 0, sizeof(fc->cfg->admin));
		return;
	}
	if (tg_failed(tg_cfg_parse_addr(v, TG_ADDR_BIND, &fc->cfg->admin, err,
					sizeof(err))))
		tg_cfg_ferr(fc, s, "admin '%s': %s", v, err);
}

bool tg_cfg_admin_flag(struct tg_cfg_flags *fl, const char *arg)
{
	char err[256];

	if (arg[0] == '\0') {
		memset(&fl->cfg->admin, 0, sizeof(fl->cfg->admin));
		return true;
	}
	if (tg_failed(tg_cfg_parse_addr(arg, TG_ADDR_BIND, &fl->cfg->admin, err,
					sizeof(err)))) {
		tg_cfg_err("--admin '%s': %s", arg, err);
		return false;
	}
	return true;
}

unsigned tg_cfg_admin_check(struct tg_config *cfg, const struct tg_setting *s,
			    unsigned *io_errors)
{
	(void)s;
	(void)io_errors;
	return cfg->admin.text[0] != '\0' &&
	       !tg_cfg_ensure_addr(cfg, "admin", "admin", &cfg->admin,
				   TG_ADDR_BIND);
}
