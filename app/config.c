/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tlsgate's configuration, the table-driven core: defaults, then the
 * config file (config_file.c), then the command-line flags
 * (config_flags.c), then the checks (config_check.c), each driven by the
 * settings table (config_table.c). This file holds what they share:
 * error printing, where each setting came from, value parsers, enum
 * names, the defaults and the entry points. The reference of every
 * setting and flag is docs/configuration.md.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "tg_log.h"

/* ---- errors ------------------------------------------------------------ */

void tg_cfg_err(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	TG_ERR("%s", msg);
}

/* ---- where settings came from ------------------------------------------ */

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

void tg_cfg_origin_file(struct tg_config *cfg, const char *key,
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

void tg_cfg_origin_flag(struct tg_config *cfg, const char *key, const char *flag)
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

void tg_cfg_verr(const struct tg_config *cfg, const char *key,
		 const char *fmt, ...)
{
	char msg[1024], where[TG_CFG_PATH + 32];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tg_cfg_err("%s%s", tg_config_where(cfg, key, where, sizeof(where)), msg);
}

/* ---- values ------------------------------------------------------------ */

bool tg_cfg_copy_str(char *dst, size_t cap, const char *src)
{
	size_t len = strlen(src);

	if (len >= cap)
		return false;
	memcpy(dst, src, len + 1);
	return true;
}

bool tg_cfg_parse_uint(const char *s, unsigned long long min,
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

bool tg_cfg_is_hostname(const char *s)
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

unsigned tg_cfg_edit_distance(const char *a, const char *b)
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

/* ---- enumerations ------------------------------------------------------ */

bool tg_cfg_enum_parse(const struct tg_cfg_enum *t, const char *s, int *out)
{
	for (; t->name != NULL; t++) {
		if (strcmp(t->name, s) == 0) {
			*out = t->value;
			return true;
		}
	}
	return false;
}

const char *tg_cfg_enum_str(const struct tg_cfg_enum *t, int value)
{
	for (; t->name != NULL; t++)
		if (t->value == value)
			return t->name;
	return "?";
}

void tg_cfg_enum_list(const struct tg_cfg_enum *t, bool quote, char *buf,
		      size_t cap)
{
	const char *q = quote ? "\"" : "";
	unsigned n = 0, k = 0;
	size_t used = 0;

	buf[0] = '\0';
	for (const struct tg_cfg_enum *e = t; e->name != NULL; e++)
		n += tg_cfg_enum_str(t, e->value) == e->name; /* no aliases */
	for (const struct tg_cfg_enum *e = t; e->name != NULL && used < cap; e++) {
		if (tg_cfg_enum_str(t, e->value) != e->name)
			continue;
		k++;
		used += (size_t)snprintf(buf + used, cap - used, "%s%s%s%s",
					 k == 1 ? "" : k == n ? " or " : ", ",
					 q, e->name, q);
	}
}

const char *tg_cfg_transport_name(enum tg_cfg_transport t)
{
	return tg_cfg_enum_str(tg_cfg_transport_names, (int)t);
}

const char *tg_cfg_control_name(enum tg_cfg_control c)
{
	return tg_cfg_enum_str(tg_cfg_control_names, (int)c);
}

/* ---- defaults ---------------------------------------------------------- */

void tg_config_defaults(struct tg_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (unsigned i = 0; i < tg_n_settings; i++) {
		const struct tg_setting *s = &tg_settings[i];
		char *f = (char *)cfg + s->off;

		switch (s->type) {
		case TG_SET_UINT: {
			unsigned v = (unsigned)s->def;

			memcpy(f, &v, sizeof(v));
			break;
		}
		case TG_SET_BOOL: {
			bool v = s->def != 0;

			memcpy(f, &v, sizeof(v));
			break;
		}
		case TG_SET_ENUM: {
			int v = (int)s->def;

			memcpy(f, &v, sizeof(v));
			break;
		}
		case TG_SET_STR:
			/* a default longer than its field fails the table test */
			snprintf(f, s->size, "%s", s->def_str ? s->def_str : "");
			break;
		case TG_SET_FN:
			if (s->init != NULL)
				s->init(cfg);
			break;
		case TG_SET_EARLY:
			break;
		}
	}
}

/* ---- entry points ------------------------------------------------------ */

tg_result tg_config_load_file(const char *path, struct tg_config *cfg)
{
	TG_ENSURE(path != NULL && cfg != NULL, TG_E_INVAL);
	tg_config_defaults(cfg);
	TG_GUARD(tg_cfg_read_file(path, cfg));
	return tg_config_validate(cfg);
}

tg_result tg_config_parse(int argc, char **argv, struct tg_config *cfg,
			  enum tg_config_action *action)
{
	TG_ENSURE(argv != NULL && cfg != NULL && action != NULL, TG_E_INVAL);
	TG_GUARD(tg_cfg_read_args(argc, argv, cfg, action));
	if (*action != TG_ACTION_RUN && *action != TG_ACTION_CHECK)
		return TG_OK; /* --help, --version, stats: no checks */
	/* --check-config: the caller loads the files, then prints the
	 * summary (tg_config_print_summary) */
	return tg_config_validate(cfg);
}
