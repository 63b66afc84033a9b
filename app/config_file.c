/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The config file (libconfig syntax), read through the settings table:
 * every name is looked up in the table (a group such as "timeouts" is
 * the prefix of its settings' keys), typed values are checked and stored
 * by the table's type, and settings with their own syntax go to their
 * handlers. Unknown names get a "did you mean" hint; every error is
 * printed as FILE:LINE: and counted.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config_int.h"
#include "tg_log.h"

/* ---- helpers for handlers ---------------------------------------------- */

void tg_cfg_setting_name(const config_setting_t *s, char *buf, size_t len)
{
	const config_setting_t *parent = config_setting_parent(s);
	size_t used;

	buf[0] = '\0';
	if (parent == NULL)
		return;
	tg_cfg_setting_name(parent, buf, len);
	used = strlen(buf);
	if (config_setting_name(s) != NULL)
		snprintf(buf + used, len - used, "%s%s", used ? "." : "",
			 config_setting_name(s));
	else
		snprintf(buf + used, len - used, "[%d]",
			 config_setting_index(s));
}

void tg_cfg_ferr(struct tg_cfg_file *fc, const config_setting_t *s,
		 const char *fmt, ...)
{
	char msg[768];
	const char *file = config_setting_source_file(s);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tg_cfg_err("%s:%u: %s", file != NULL ? file : fc->path,
		   config_setting_source_line(s), msg);
	fc->errors++;
}

const char *tg_cfg_type_name(int type)
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

/** The file that holds setting @p s (an @include'd one, or the main). */
static const char *source_file(const struct tg_cfg_file *fc,
			       const config_setting_t *s)
{
	const char *file = config_setting_source_file(s);

	return file != NULL ? file : fc->path;
}

void tg_cfg_origin_elem(struct tg_cfg_file *fc, const char *list, unsigned i,
			const config_setting_t *el)
{
	char key[48];

	snprintf(key, sizeof(key), "%s[%u]", list, i);
	tg_cfg_origin_file(fc->cfg, key, source_file(fc, el),
			   config_setting_source_line(el));
}

int tg_cfg_get_strings(struct tg_cfg_file *fc, const config_setting_t *s,
		       const char **out, const config_setting_t **el, int cap,
		       const char *example)
{
	char name[128];
	int n;

	tg_cfg_setting_name(s, name, sizeof(name));
	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		out[0] = config_setting_get_string(s);
		el[0] = s;
		return 1;
	}
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST) {
		tg_cfg_ferr(fc, s, "'%s' must be a string or an array of strings, not %s (example: %s)",
			    name, tg_cfg_type_name(config_setting_type(s)),
			    example);
		return -1;
	}
	n = config_setting_length(s);
	if (n > cap) {
		tg_cfg_ferr(fc, s, "'%s' has %d entries, at most %d are allowed",
			    name, n, cap);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			tg_cfg_ferr(fc, e, "'%s' entries must be strings, not %s (example: %s)",
				    name, tg_cfg_type_name(config_setting_type(e)),
				    example);
			return -1;
		}
		out[i] = config_setting_get_string(e);
		el[i] = e;
	}
	return n;
}

const char *tg_cfg_get_string(struct tg_cfg_file *fc, const config_setting_t *s,
			      const char *example)
{
	char name[128];

	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		return config_setting_get_string(s);
	tg_cfg_setting_name(s, name, sizeof(name));
	tg_cfg_ferr(fc, s, "'%s' must be a string, not %s (example: %s)", name,
		    tg_cfg_type_name(config_setting_type(s)), example);
	return NULL;
}

bool tg_cfg_member_str(struct tg_cfg_file *fc, const config_setting_t *g,
		       const char *name, char *dst, size_t cap,
		       const char *example)
{
	const config_setting_t *m = config_setting_get_member(g, name);
	const char *v;
	char full[128];

	if (m == NULL)
		return true;
	v = tg_cfg_get_string(fc, m, example);
	if (v == NULL)
		return false;
	if (!tg_cfg_copy_str(dst, cap, v)) {
		tg_cfg_setting_name(m, full, sizeof(full));
		tg_cfg_ferr(fc, m, "'%s' is too long (at most %zu bytes)", full,
			    cap - 1);
		return false;
	}
	return true;
}

bool tg_cfg_only_members(struct tg_cfg_file *fc, const config_setting_t *g,
			 const char *const *names)
{
	bool ok = true;
	char full[128];

	tg_cfg_setting_name(g, full, sizeof(full));
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
			tg_cfg_ferr(fc, m, "unknown setting '%s' in %s (allowed: %s)",
				    config_setting_name(m), full, list);
			ok = false;
		}
	}
	return ok;
}

/* ---- names ------------------------------------------------------------- */

/** The last part of a key: "limits.max_buffer" -> "max_buffer". */
static const char *leaf(const char *key)
{
	const char *dot = strrchr(key, '.');

	return dot != NULL ? dot + 1 : key;
}

/** True when @p key is "@p group.something". */
static bool in_group(const char *key, const char *group)
{
	size_t n = strlen(group);

	return key != NULL && strncmp(key, group, n) == 0 && key[n] == '.';
}

/** True when @p name is a group of settings ("timeouts"). */
static bool is_group(const char *name)
{
	for (unsigned i = 0; i < tg_n_settings; i++)
		if (in_group(tg_settings[i].key, name))
			return true;
	return false;
}

/** A file line that sets @p s, for type errors: its default, or its
 *  sample when the default says nothing ("connect = 3000;", the leaf's
 *  own line inside its group). */
static const char *example_of(const struct tg_setting *s, char *buf,
			      size_t cap)
{
	const char *v = s->sample != NULL ? s->sample : "";
	bool quote = s->type == TG_SET_STR || s->type == TG_SET_ENUM;
	char num[24];

	if (s->example != NULL)
		return s->example;
	if (s->type == TG_SET_UINT && (s->opts & TG_SET_O_AUTO) == 0) {
		snprintf(num, sizeof(num), "%llu", s->def);
		v = num;
	} else if (s->type == TG_SET_BOOL) {
		v = s->def ? "true" : "false";
	} else if (s->type == TG_SET_ENUM) {
		v = tg_cfg_enum_str(s->names, (int)s->def);
	} else if (s->type == TG_SET_STR && s->def_str != NULL &&
		   s->def_str[0] != '\0') {
		v = s->def_str;
	}
	snprintf(buf, cap, "%s = %s%s%s;", leaf(s->key), quote ? "\"" : "", v,
		 quote ? "\"" : "");
	return buf;
}

/** The hint for @p s: "'idle' inside timeouts = { ... }" or "'workers'". */
static void hint_for(const struct tg_setting *s, char *hint, size_t len)
{
	const char *l = leaf(s->key);

	if (l == s->key)
		snprintf(hint, len, " (did you mean '%s'?)", s->key);
	else
		snprintf(hint, len, " (did you mean '%s' inside %.*s = { ... }?)",
			 l, (int)(l - s->key - 1), s->key);
}

/**
 * Write a "did you mean" hint for unknown @p name in group @p group
 * ("" at the top) into @p hint: a setting whose flag has that name, a
 * name of the group a typo away, or (at the top) a setting of a group
 * written outside it ("max_conns", "idle_timeout", "record_max").
 */
static void suggest(const char *group, const char *name, char *hint,
		    size_t len)
{
	unsigned best = 3;
	size_t nl = strlen(name);

	hint[0] = '\0';
	for (unsigned i = 0; i < tg_n_settings; i++) {
		const struct tg_setting *s = &tg_settings[i];

		if (s->key != NULL && s->flag != NULL &&
		    strcmp(s->flag, name) == 0) {
			hint_for(s, hint, len);
			return;
		}
	}
	for (unsigned i = 0; i < tg_n_settings; i++) {
		const char *key = tg_settings[i].key;
		char cand[64];
		unsigned d;

		if (key == NULL || strchr(key, '[') != NULL)
			continue;
		if (group[0] != '\0') {
			if (!in_group(key, group))
				continue;
			snprintf(cand, sizeof(cand), "%s", leaf(key));
		} else {
			/* a top-level name, or the group of a nested one */
			snprintf(cand, sizeof(cand), "%.*s",
				 (int)strcspn(key, "."), key);
		}
		d = tg_cfg_edit_distance(name, cand);
		if (d < best) {
			best = d;
			snprintf(hint, len, " (did you mean '%s'?)", cand);
		}
	}
	if (hint[0] != '\0' || group[0] != '\0')
		return;
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < tg_n_settings; i++) {
			const struct tg_setting *s = &tg_settings[i];
			const char *l;
			size_t sl;
			bool hit;

			if (s->key == NULL || strchr(s->key, '.') == NULL)
				continue;
			l = leaf(s->key);
			sl = strlen(l);
			if (pass == 0)
				hit = strcmp(name, l) == 0;
			else
				hit = (strncmp(name, l, sl) == 0 && name[sl] == '_') ||
				      (nl > sl && strcmp(name + nl - sl, l) == 0 &&
				       name[nl - sl - 1] == '_');
			if (hit) {
				hint_for(s, hint, len);
				return;
			}
		}
	}
}

/* ---- reading ----------------------------------------------------------- */

/** Apply setting @p s of the file, described by table entry @p e. */
static void apply(struct tg_cfg_file *fc, const config_setting_t *s,
		  const struct tg_setting *e)
{
	char *field = (char *)fc->cfg + e->off;
	char name[128], ex[160];
	int type = config_setting_type(s);

	tg_cfg_setting_name(s, name, sizeof(name));
	tg_cfg_origin_file(fc->cfg, name, source_file(fc, s),
			   config_setting_source_line(s));
	switch (e->type) {
	case TG_SET_UINT: {
		long long v;
		unsigned u;

		if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64) {
			tg_cfg_ferr(fc, s, "'%s' must be an integer, not %s (example: %s)",
				    name, tg_cfg_type_name(type),
				    example_of(e, ex, sizeof(ex)));
			return;
		}
		v = config_setting_get_int64(s);
		if (v < 0 || (unsigned long long)v < e->min ||
		    (unsigned long long)v > e->max) {
			tg_cfg_ferr(fc, s, "'%s' = %lld is out of range: use %llu..%llu",
				    name, v, e->min, e->max);
			return;
		}
		u = (unsigned)v;
		memcpy(field, &u, sizeof(u));
		return;
	}
	case TG_SET_BOOL: {
		bool b;

		if (type != CONFIG_TYPE_BOOL) {
			tg_cfg_ferr(fc, s, "'%s' must be true or false, not %s (example: %s)",
				    name, tg_cfg_type_name(type),
				    example_of(e, ex, sizeof(ex)));
			return;
		}
		b = config_setting_get_bool(s);
		memcpy(field, &b, sizeof(b));
		return;
	}
	case TG_SET_STR: {
		const char *v = tg_cfg_get_string(fc, s, example_of(e, ex, sizeof(ex)));
		const char *why;

		if (v == NULL)
			return;
		if (e->accept != NULL && (why = e->accept(v)) != NULL)
			tg_cfg_ferr(fc, s, "%s '%s': %s", name, v, why);
		else if (!tg_cfg_copy_str(field, e->size, v))
			tg_cfg_ferr(fc, s, "'%s' is too long (at most %zu bytes)",
				    name, e->size - 1);
		return;
	}
	case TG_SET_ENUM: {
		const char *v = tg_cfg_get_string(fc, s, example_of(e, ex, sizeof(ex)));
		char list[128];
		int val;

		if (v == NULL)
			return;
		if (!tg_cfg_enum_parse(e->names, v, &val)) {
			tg_cfg_enum_list(e->names, true, list, sizeof(list));
			tg_cfg_ferr(fc, s, "%s '%s': use %s", name, v, list);
			return;
		}
		memcpy(field, &val, sizeof(val));
		return;
	}
	case TG_SET_FN:
		if ((e->opts & TG_SET_O_LATE) == 0) {
			e->file(fc, s);
		} else if (fc->n_late < sizeof(fc->late) / sizeof(fc->late[0])) {
			/* after the others (routes name pools), whatever
			 * the order in the file */
			fc->late[fc->n_late] = s;
			fc->late_s[fc->n_late++] = e;
		}
		return;
	case TG_SET_EARLY:
		return;
	}
}

/** Apply every member of group @p grp ("" at the top: the root). */
static void walk(struct tg_cfg_file *fc, const config_setting_t *grp,
		 const char *group)
{
	int n = config_setting_length(grp);

	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(grp, (unsigned)i);
		const char *sname = config_setting_name(s);
		const struct tg_setting *e;
		char key[96], hint[160];

		snprintf(key, sizeof(key), "%s%s%s", group, group[0] ? "." : "",
			 sname);
		e = tg_cfg_setting(key);
		if (e != NULL) {
			apply(fc, s, e);
			continue;
		}
		if (group[0] == '\0' && is_group(sname)) {
			char ex[160], first[96];

			tg_cfg_origin_file(fc->cfg, sname, source_file(fc, s),
					   config_setting_source_line(s));
			if (config_setting_type(s) == CONFIG_TYPE_GROUP) {
				walk(fc, s, sname);
				continue;
			}
			for (unsigned k = 0; k < tg_n_settings; k++)
				if (in_group(tg_settings[k].key, sname)) {
					example_of(&tg_settings[k], first,
						   sizeof(first));
					break;
				}
			snprintf(ex, sizeof(ex), "%s = { %s };", sname, first);
			tg_cfg_ferr(fc, s, "'%s' must be a group { ... }, not %s (example: %s)",
				    sname, tg_cfg_type_name(config_setting_type(s)),
				    ex);
			continue;
		}
		suggest(group, sname, hint, sizeof(hint));
		if (hint[0] == '\0')
			snprintf(hint, sizeof(hint),
				 " (remove it; docs/configuration.md lists the settings)");
		tg_cfg_ferr(fc, s, "unknown setting '%s'%s%s%s", sname,
			    group[0] ? " in " : "", group, hint);
	}
}

tg_result tg_cfg_read_file(const char *path, struct tg_config *cfg)
{
	config_t lc;
	struct tg_cfg_file fc = { .path = path, .cfg = cfg };
	char dir[TG_CFG_PATH];
	const char *slash;

	if (!tg_cfg_copy_str(cfg->config_path, sizeof(cfg->config_path), path)) {
		tg_cfg_err("config file name too long: %s", path);
		return tg_error(TG_E_INVAL);
	}
	if (access(path, R_OK) != 0) {
		tg_cfg_err("%s: cannot read the config file: %s", path,
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
		const char *file = config_error_file(&lc) ? config_error_file(&lc)
							  : path;

		if (io)
			tg_cfg_err("%s: cannot read the config file: %s", file,
				   config_error_text(&lc));
		else
			tg_cfg_err("%s:%d: %s", file, config_error_line(&lc),
				   config_error_text(&lc));
		config_destroy(&lc);
		return tg_error(io ? TG_E_IO : TG_E_DECODE);
	}
	walk(&fc, config_root_setting(&lc), "");
	for (unsigned i = 0; i < fc.n_late; i++)
		fc.late_s[i]->file(&fc, fc.late[i]);
	config_destroy(&lc);
	if (fc.errors > 0) {
		tg_cfg_err("%s: %u error%s", path, fc.errors,
			   fc.errors == 1 ? "" : "s");
		return tg_error(TG_E_DECODE);
	}
	return TG_OK;
}
