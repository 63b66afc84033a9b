/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The command line, read through the settings table: the getopt_long
 * options are generated from the table's flags, a flag's value is
 * checked and stored by the table's type (or by its handler), and
 * --help is printed from the table, grouped, with defaults and ranges.
 * Also `tlsgate stats`, which has its own three flags.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "config_int.h"

#ifndef TG_VERSION
#define TG_VERSION "unknown"
#endif

/* getopt values: an entry with a short flag returns its letter, the
 * others TG_OPT_BASE + their index in the table. */
#define TG_OPT_BASE 256

/* ---- the options ------------------------------------------------------- */

/** Build getopt_long's options and short-option string from the table. */
static void build_options(struct option *opts, char *shorts)
{
	unsigned n = 0;
	size_t k = 0;

	shorts[k++] = '+'; /* stop at the first non-option, never permute */
	for (unsigned i = 0; i < tg_n_settings; i++) {
		const struct tg_setting *s = &tg_settings[i];

		if (s->flag == NULL)
			continue;
		opts[n++] = (struct option){
			.name = s->flag,
			.has_arg = s->arg != NULL ? required_argument : no_argument,
			.val = s->short_flag ? s->short_flag : TG_OPT_BASE + (int)i,
		};
		if (s->short_flag) {
			shorts[k++] = s->short_flag;
			if (s->arg != NULL)
				shorts[k++] = ':';
		}
	}
	opts[n] = (struct option){ 0 };
	shorts[k] = '\0';
}

/** The entry getopt value @p c stands for, or NULL. */
static const struct tg_setting *entry_of(int c)
{
	if (c >= TG_OPT_BASE && c < TG_OPT_BASE + (int)tg_n_settings)
		return &tg_settings[c - TG_OPT_BASE];
	for (unsigned i = 0; i < tg_n_settings; i++)
		if (c != 0 && tg_settings[i].short_flag == c)
			return &tg_settings[i];
	return NULL;
}

/**
 * After getopt refused @p arg ("--wrokers"): a hint when it is a typo of
 * a flag, or the name of a setting that has no flag (set in the file).
 */
static void unknown_flag_hint(const char *arg)
{
	char name[64], under[64];
	const char *best = NULL;
	unsigned best_d = 3;

	if (strncmp(arg, "--", 2) != 0)
		return;
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(arg + 2, "="), arg + 2);
	snprintf(under, sizeof(under), "%s", name); /* max-buffer: max_buffer */
	for (char *p = under; *p != '\0'; p++)
		if (*p == '-')
			*p = '_';
	for (unsigned i = 0; i < tg_n_settings; i++) {
		const char *f = tg_settings[i].flag;

		/* an abbreviation, ambiguous or with a value it takes
		 * none of: getopt said what is wrong */
		if (f != NULL && strncmp(f, name, strlen(name)) == 0)
			return;
	}
	for (unsigned i = 0; i < tg_n_settings; i++) {
		const struct tg_setting *s = &tg_settings[i];
		const char *l;

		if (s->key == NULL || s->flag != NULL)
			continue;
		l = strrchr(s->key, '.') ? strrchr(s->key, '.') + 1 : s->key;
		if (strcmp(under, l) == 0 || strcmp(under, s->key) == 0) {
			tg_cfg_err("--%s: %s has no flag: set it in the config file (-c FILE; docs/configuration.md)",
				   name, s->key);
			return;
		}
	}
	for (unsigned i = 0; i < tg_n_settings; i++) {
		const char *f = tg_settings[i].flag;
		unsigned d;

		if (f == NULL)
			continue;
		d = tg_cfg_edit_distance(name, f);
		if (d < best_d) {
			best_d = d;
			best = f;
		}
	}
	if (best != NULL)
		tg_cfg_err("--%s: no such flag (did you mean --%s?)", name, best);
}

/**
 * Apply one flag of setting @p e, value @p arg, over the config.
 * @return false after printing an error.
 */
static bool apply_flag(struct tg_cfg_flags *fl, const struct tg_setting *e,
		       const char *arg)
{
	char *field = (char *)fl->cfg + e->off;
	char flag[40];

	snprintf(flag, sizeof(flag), "--%s", e->flag);
	if (e->key != NULL)
		tg_cfg_origin_flag(fl->cfg, e->key, flag);
	switch (e->type) {
	case TG_SET_UINT: {
		unsigned v;

		if (!tg_cfg_parse_uint(arg, e->min, e->max, &v)) {
			tg_cfg_err("%s '%s': expected a whole number from %llu to %llu",
				   flag, arg, e->min, e->max);
			return false;
		}
		memcpy(field, &v, sizeof(v));
		return true;
	}
	case TG_SET_BOOL: {
		bool v = e->def == 0; /* the flag turns the default over */

		memcpy(field, &v, sizeof(v));
		return true;
	}
	case TG_SET_STR: {
		const char *why;

		if (e->accept != NULL && (why = e->accept(arg)) != NULL) {
			tg_cfg_err("%s '%s': %s", flag, arg, why);
			return false;
		}
		if (!tg_cfg_copy_str(field, e->size, arg)) {
			tg_cfg_err("%s: value too long (at most %zu bytes)", flag,
				   e->size - 1);
			return false;
		}
		return true;
	}
	case TG_SET_ENUM: {
		char list[128];
		int v;

		if (!tg_cfg_enum_parse(e->names, arg, &v)) {
			tg_cfg_enum_list(e->names, false, list, sizeof(list));
			tg_cfg_err("%s '%s': use %s", flag, arg, list);
			return false;
		}
		memcpy(field, &v, sizeof(v));
		return true;
	}
	case TG_SET_FN:
		fl->s = e;
		return e->flag_fn(fl, arg);
	case TG_SET_EARLY:
		return true; /* read in the first pass */
	}
	return false;
}

/* ---- --help ------------------------------------------------------------ */

/**
 * Print @p left padded to the help column, then @p text wrapped at 79
 * columns (continuation lines start at the help column).
 */
static void print_wrapped(FILE *out, const char *left, const char *text)
{
	enum { COL = 30, WIDTH = 79 };
	size_t pos = strlen(left);

	fputs(left, out);
	if (pos + 2 > COL) {
		fputc('\n', out);
		pos = 0;
	}
	for (; pos < COL; pos++)
		fputc(' ', out);
	while (*text != '\0') {
		size_t word = strcspn(text, " ");

		if (pos > COL && pos + 1 + word > WIDTH) {
			fprintf(out, "\n%*s", COL, "");
			pos = COL;
		} else if (pos > COL) {
			fputc(' ', out);
			pos++;
		}
		fwrite(text, 1, word, out);
		pos += word;
		text += word;
		while (*text == ' ')
			text++;
	}
	fputc('\n', out);
}

/** " [default 3000 ms; 1..86400000]" for setting @p s into @p buf. */
static void default_text(const struct tg_setting *s, char *buf, size_t cap)
{
	const char *unit = s->unit != NULL ? s->unit : "";
	const char *sp = s->unit != NULL ? " " : "";

	buf[0] = '\0';
	switch (s->type) {
	case TG_SET_UINT:
		if (s->def_text != NULL)
			snprintf(buf, cap, " [default %s; %llu..%llu%s%s]",
				 s->def_text, s->min, s->max, sp, unit);
		else
			snprintf(buf, cap, " [default %llu%s%s; %llu..%llu]",
				 s->def, sp, unit, s->min, s->max);
		return;
	case TG_SET_BOOL:
		if (s->key == NULL) /* a flag alone, e.g. --dpdk: its help says it */
			return;
		if (s->flag != NULL) /* the flag turns it over */
			snprintf(buf, cap, " [default %s = %s]", s->key,
				 s->def ? "true" : "false");
		else
			snprintf(buf, cap, " [default %s]",
				 s->def ? "true" : "false");
		return;
	case TG_SET_ENUM:
		snprintf(buf, cap, " [default %s]",
			 tg_cfg_enum_str(s->names, (int)s->def));
		return;
	case TG_SET_STR:
	case TG_SET_FN:
		if (s->def_text != NULL && s->def_text[0] == '(')
			snprintf(buf, cap, " [%.*s]", (int)strlen(s->def_text) - 2,
				 s->def_text + 1); /* "(required)" */
		else if (s->def_text != NULL)
			snprintf(buf, cap, " [default %s]", s->def_text);
		else if (s->def_str != NULL && s->def_str[0] != '\0')
			snprintf(buf, cap, " [default %s]", s->def_str);
		return;
	case TG_SET_EARLY:
		return;
	}
}

void tg_config_usage(void *f)
{
	FILE *out = f != NULL ? f : stdout;

	fputs("Usage: tlsgate [-c FILE] [OPTIONS]\n"
	      "       tlsgate stats [--admin ADDR | -c FILE]\n"
	      "\n"
	      "Terminates TLS 1.2 on --listen and forwards plaintext TCP to --backend.\n"
	      "Flags override the config file; --listen, --cert/--key, --backend and\n"
	      "--ticket-key replace the file's list when given. Settings shown without\n"
	      "-- have no flag: they go in the config file (groups as in limits = { ... }).\n",
	      out);
	for (unsigned sec = 0; sec < TG_SEC__COUNT; sec++) {
		fprintf(out, "\n%s:\n", tg_cfg_section_title[sec]);
		for (unsigned i = 0; i < tg_n_settings; i++) {
			const struct tg_setting *s = &tg_settings[i];
			char left[80], text[512], def[160];

			if (s->section != sec)
				continue;
			if (s->flag == NULL)
				snprintf(left, sizeof(left), "      %s", s->key);
			else if (s->short_flag)
				snprintf(left, sizeof(left), "  -%c, --%s%s%s",
					 s->short_flag, s->flag, s->arg ? " " : "",
					 s->arg ? s->arg : "");
			else
				snprintf(left, sizeof(left), "      --%s%s%s",
					 s->flag, s->arg ? " " : "",
					 s->arg ? s->arg : "");
			default_text(s, def, sizeof(def));
			snprintf(text, sizeof(text), "%s%s", s->help, def);
			print_wrapped(out, left, text);
		}
	}
	fputs("\n"
	      "Example (hitch --frontend/--backend, HAProxy 'bind :8443 ssl crt'):\n"
	      "  tlsgate --listen 0.0.0.0:8443 --cert site.pem --key site.key \\\n"
	      "          --backend 127.0.0.1:8080 --backend 127.0.0.1:8081\n"
	      "\n"
	      "Every option and the file syntax: docs/configuration.md\n",
	      out);
}

/* ---- reading the command line ------------------------------------------ */

/** `tlsgate stats [--admin ADDR | -c FILE]`. */
static TG_MUST_CHECK tg_result parse_stats(int argc, char **argv,
					   struct tg_config *cfg)
{
	enum { OPT_ADMIN = TG_OPT_BASE };
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
			tg_cfg_err("usage: tlsgate stats [--admin ADDR | -c FILE]");
			return tg_error(TG_E_INVAL);
		}
	}
	if (optind < argc) {
		tg_cfg_err("tlsgate stats: unexpected argument '%s'", argv[optind]);
		return tg_error(TG_E_INVAL);
	}
	if (file != NULL)
		TG_GUARD(tg_cfg_read_file(file, cfg));
	if (admin != NULL &&
	    tg_failed(tg_cfg_parse_addr(admin, TG_ADDR_CONNECT, &cfg->admin, err,
					sizeof(err)))) {
		tg_cfg_err("--admin '%s': %s", admin, err);
		return tg_error(TG_E_INVAL);
	}
	if (cfg->admin.text[0] == '\0') {
		tg_cfg_err("tlsgate stats: no admin address: give --admin ADDR (the server's --admin, e.g. 127.0.0.1:9443) or -c FILE");
		return tg_error(TG_E_INVAL);
	}
	return TG_OK;
}

tg_result tg_cfg_read_args(int argc, char **argv, struct tg_config *cfg,
			   enum tg_config_action *action)
{
	struct option opts[TG_CFG_MAX_SETTINGS + 1];
	char shorts[2 * TG_CFG_MAX_SETTINGS + 2];
	struct tg_cfg_flags fl = { .cfg = cfg };
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
	build_options(opts, shorts);

	/* Pass 1: --help, --version, --check-config and the config file. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
		const struct tg_setting *e = entry_of(c);

		if (e == NULL || e->type != TG_SET_EARLY)
			continue;
		help |= e->action == TG_ACTION_HELP;
		version |= e->action == TG_ACTION_VERSION;
		check |= e->action == TG_ACTION_CHECK;
		if (e->action == TG_ACTION_RUN)
			file = optarg;
	}
	optind = 0;
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
	if (file != NULL)
		TG_GUARD(tg_cfg_read_file(file, cfg));

	/* Pass 2: every flag, in order, over the file. */
	optind = 0;
	opterr = 1;
	while ((c = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
		const struct tg_setting *e = entry_of(c);
		unsigned idx;

		if (e == NULL) {
			if (optopt == 0 && optind > 0 && optind <= argc)
				unknown_flag_hint(argv[optind - 1]);
			bad = true;
			continue;
		}
		idx = (unsigned)(e - tg_settings);
		fl.first = !fl.seen[idx];
		fl.seen[idx] = true;
		if (!apply_flag(&fl, e, optarg))
			bad = true;
	}
	if (optind < argc) {
		tg_cfg_err("unexpected argument '%s' (options start with --; see tlsgate --help)",
			   argv[optind]);
		bad = true;
	}
	if (fl.cert_open) {
		tg_cfg_err("--cert '%s' has no --key: give --key FILE right after it",
			   cfg->certs[cfg->n_certs - 1].cert);
		bad = true;
	}
	optind = 0;
	if (bad) {
		tg_cfg_err("try 'tlsgate --help'");
		return tg_error(TG_E_INVAL);
	}
	return TG_OK;
}
