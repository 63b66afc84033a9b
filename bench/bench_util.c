/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file bench_util.c
 * tlsgate-bench helpers: usage errors, number and list parsing, the JSON
 * writer and progress lines.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "tg_eal.h"

/* ---- command line ------------------------------------------------------ */

void tg_bench_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s%s%s: ", TG_BENCH_PROG, cmd ? " " : "",
		cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s%s%s --help'.\n", TG_BENCH_PROG,
		cmd ? " " : "", cmd ? cmd : "");
	exit(TG_BENCH_EXIT_USAGE);
}

tg_result tg_bench_parse_u32(const char *s, uint32_t min, uint32_t max,
			     uint32_t *out)
{
	char *end = NULL;
	unsigned long long v;

	TG_ENSURE(s != NULL && out != NULL, TG_E_INVAL);
	/* strtoull accepts a sign and leading blanks: refuse both. */
	TG_ENSURE(*s >= '0' && *s <= '9', TG_E_DECODE);
	errno = 0;
	v = strtoull(s, &end, 10);
	TG_ENSURE(errno == 0 && end != s && *end == '\0', TG_E_DECODE);
	TG_ENSURE(v >= min && v <= max, TG_E_OVERFLOW);
	*out = (uint32_t)v;
	return TG_OK;
}

void tg_bench_opt_u32(const char *cmd, const char *opt, const char *text,
		      uint32_t min, uint32_t max, uint32_t *out)
{
	if (tg_failed(tg_bench_parse_u32(text, min, max, out)))
		tg_bench_usage_error(cmd, "bad %s '%s' (expected %u to %u)", opt,
				     text, min, max);
}

void tg_bench_memif_pair(struct tg_eal_opts *eo, const char *sock,
			 unsigned rsize, bool zero_copy, char *v0, char *v1,
			 size_t cap)
{
	snprintf(v0, cap, "net_memif0,role=server,id=0,socket=%s", sock);
	if (rsize != 0) {
		size_t l = strlen(v0);

		snprintf(v0 + l, cap - l, ",rsize=%u", rsize);
	}
	snprintf(v1, cap, "net_memif1,role=client,id=0,socket=%s%s", sock,
		 zero_copy ? ",zero-copy=yes" : "");
	if (zero_copy)
		eo->extra = "--single-file-segments";
	eo->vdevs[0] = v0;
	eo->vdevs[1] = v1;
}

tg_result tg_bench_parse_seconds(const char *s, double max, double *out)
{
	char *end = NULL;
	double v;

	TG_ENSURE(s != NULL && out != NULL, TG_E_INVAL);
	TG_ENSURE((*s >= '0' && *s <= '9') || *s == '.', TG_E_DECODE);
	errno = 0;
	v = strtod(s, &end);
	TG_ENSURE(errno == 0 && end != s && *end == '\0' && isfinite(v),
		  TG_E_DECODE);
	TG_ENSURE(v > 0.0 && v <= max, TG_E_OVERFLOW);
	*out = v;
	return TG_OK;
}

tg_result tg_bench_parse_u32_list(const char *s, uint32_t min, uint32_t max,
				  uint32_t *out, unsigned cap, unsigned *n)
{
	char tmp[256];
	char *save = NULL;
	unsigned k = 0;

	TG_ENSURE(s != NULL && out != NULL && n != NULL, TG_E_INVAL);
	TG_ENSURE(strlen(s) < sizeof(tmp), TG_E_OVERFLOW);
	/* strtok_r would skip empty items ("64,,256"): refuse them here. */
	TG_ENSURE(*s != '\0' && *s != ',' && s[strlen(s) - 1] != ',' &&
			  strstr(s, ",,") == NULL,
		  TG_E_DECODE);
	strcpy(tmp, s);
	for (char *t = strtok_r(tmp, ",", &save); t != NULL;
	     t = strtok_r(NULL, ",", &save)) {
		uint32_t v;
		bool dup = false;

		TG_GUARD(tg_bench_parse_u32(t, min, max, &v));
		for (unsigned i = 0; i < k; i++)
			dup = dup || out[i] == v;
		if (dup)
			continue;
		TG_ENSURE(k < cap, TG_E_NOSPACE);
		out[k++] = v;
	}
	*n = k;
	return TG_OK;
}

/* ---- the build measured --------------------------------------------------- */

#ifndef TG_BUILDTYPE /* built outside meson */
#define TG_BUILDTYPE "unknown"
#define TG_BUILD_DESC "unknown"
#define TG_BUILD_OPTIMISED 1
#endif

const char *tg_bench_buildtype(void)
{
	return TG_BUILDTYPE;
}

const char *tg_bench_build(void)
{
	return TG_BUILD_DESC;
}

void tg_bench_print_build(FILE *f)
{
	fprintf(f, "build: %s\n", TG_BUILD_DESC);
	if (!TG_BUILD_OPTIMISED)
		fprintf(stderr, "%s: note: a %s build: its figures are not those of "
			"an optimised build (meson setup --buildtype=release)\n",
			TG_BENCH_PROG, TG_BUILD_DESC);
}

/* ---- JSON ------------------------------------------------------------------ */

void tg_json_array_begin(struct tg_json *j, FILE *f)
{
	j->f = f;
	j->nobj = 0;
	j->nfield = 0;
	fputc('[', f);
}

void tg_json_array_end(struct tg_json *j)
{
	fputs(j->nobj ? "\n]\n" : "]\n", j->f);
	fflush(j->f);
}

void tg_json_obj_begin(struct tg_json *j)
{
	fputs(j->nobj++ ? ",\n  {" : "\n  {", j->f);
	j->nfield = 0;
}

void tg_json_obj_end(struct tg_json *j)
{
	fputc('}', j->f);
}

/** Write @p s as a JSON string literal (RFC 8259 §7 escaping). */
static void tg_json_quote(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/** Separator and key of the next field. */
static void tg_json_key(struct tg_json *j, const char *key)
{
	if (j->nfield++)
		fputs(", ", j->f);
	tg_json_quote(j->f, key);
	fputs(": ", j->f);
}

void tg_json_str(struct tg_json *j, const char *key, const char *val)
{
	tg_json_key(j, key);
	tg_json_quote(j->f, val);
}

void tg_json_num(struct tg_json *j, const char *key, double val)
{
	tg_json_key(j, key);
	if (isfinite(val))
		fprintf(j->f, "%.9g", val);
	else
		fputs("null", j->f);
}

void tg_json_uint(struct tg_json *j, const char *key, uint64_t val)
{
	tg_json_key(j, key);
	fprintf(j->f, "%llu", (unsigned long long)val);
}

void tg_json_bool(struct tg_json *j, const char *key, bool val)
{
	tg_json_key(j, key);
	fputs(val ? "true" : "false", j->f);
}

void tg_json_null(struct tg_json *j, const char *key)
{
	tg_json_key(j, key);
	fputs("null", j->f);
}

/* ---- progress -------------------------------------------------------------- */

void tg_progress_init(struct tg_progress *p, bool on, unsigned total)
{
	p->on = on;
	p->done = 0;
	p->total = total;
}

void tg_progress_step(struct tg_progress *p, const char *fmt, ...)
{
	va_list ap;

	p->done++;
	if (!p->on)
		return;
	/* One line per step, so that messages in between stay readable. */
	fprintf(stderr, "[%u/%u] ", p->done, p->total);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" ...\n", stderr);
	fflush(stderr);
}
