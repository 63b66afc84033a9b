/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_log.h
 * Logging: levels, to stderr; through rte_log once the EAL is up.
 * Secrets are never passed to these functions.
 */
#ifndef TG_LOG_H
#define TG_LOG_H

#include <stdbool.h>

/** Log levels, most severe first (same order as syslog / rte_log). */
enum tg_log_level {
	TG_LOG_ERR = 4,
	TG_LOG_WARN = 5,
	TG_LOG_NOTICE = 6,
	TG_LOG_INFO = 7,
	TG_LOG_DEBUG = 8,
};

/** Set the most verbose level printed (default TG_LOG_NOTICE). */
void tg_log_set_level(enum tg_log_level lvl);

/** Current level. */
enum tg_log_level tg_log_get_level(void);

/** Parse "err|warn|notice|info|debug"; returns false on an unknown name. */
bool tg_log_parse_level(const char *name, enum tg_log_level *out);

/** Route messages through rte_log (called once the EAL is initialised). */
void tg_log_use_rte(bool on);

/** Log a message at @p lvl, printf style; a newline is added. */
void tg_log(enum tg_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define TG_ERR(...) tg_log(TG_LOG_ERR, __VA_ARGS__)
#define TG_WARN(...) tg_log(TG_LOG_WARN, __VA_ARGS__)
#define TG_NOTICE(...) tg_log(TG_LOG_NOTICE, __VA_ARGS__)
#define TG_INFO(...) tg_log(TG_LOG_INFO, __VA_ARGS__)
#define TG_DEBUG(...) tg_log(TG_LOG_DEBUG, __VA_ARGS__)

#endif
