/* SPDX-License-Identifier: BSD-3-Clause */
#include "tg_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_log.h>

static enum tg_log_level tg_log_level_cur = TG_LOG_NOTICE;
static bool tg_log_rte;
static int tg_log_rte_type = -1;

static const char *const tg_log_names[] = {
	[TG_LOG_ERR] = "err",	 [TG_LOG_WARN] = "warn",
	[TG_LOG_NOTICE] = "notice", [TG_LOG_INFO] = "info",
	[TG_LOG_DEBUG] = "debug",
};

void tg_log_set_level(enum tg_log_level lvl)
{
	tg_log_level_cur = lvl;
	if (tg_log_rte_type >= 0)
		rte_log_set_level((uint32_t)tg_log_rte_type, (uint32_t)lvl);
}

enum tg_log_level tg_log_get_level(void)
{
	return tg_log_level_cur;
}

bool tg_log_parse_level(const char *name, enum tg_log_level *out)
{
	for (int i = TG_LOG_ERR; i <= TG_LOG_DEBUG; i++) {
		if (strcmp(name, tg_log_names[i]) == 0) {
			*out = (enum tg_log_level)i;
			return true;
		}
	}
	return false;
}

void tg_log_use_rte(bool on)
{
	if (on && tg_log_rte_type < 0) {
		tg_log_rte_type = rte_log_register_type_and_pick_level(
			"tlsgate", (uint32_t)tg_log_level_cur);
		if (tg_log_rte_type >= 0)
			rte_log_set_level((uint32_t)tg_log_rte_type,
					  (uint32_t)tg_log_level_cur);
	}
	tg_log_rte = on && tg_log_rte_type >= 0;
}

void tg_log(enum tg_log_level lvl, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (lvl > tg_log_level_cur)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (tg_log_rte && rte_log_can_log((uint32_t)tg_log_rte_type, (uint32_t)lvl)) {
		rte_log((uint32_t)lvl, (uint32_t)tg_log_rte_type,
			"tlsgate: %s\n", msg);
		return;
	}
	fprintf(stderr, "tlsgate %s: %s\n", tg_log_names[lvl], msg);
}
