/* SPDX-License-Identifier: BSD-3-Clause */
#include "tg_eal.h"

#include <stdio.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "tg_log.h"

static int tg_eal_is_up;

int tg_eal_up(void)
{
	return tg_eal_is_up;
}

tg_result tg_eal_start(const char *prog, const struct tg_eal_opts *opts)
{
	static char argbuf[2048];
	char *argv[64];
	int argc = 0;
	size_t used = 0;
	struct tg_eal_opts def = { 0 };

	if (tg_eal_is_up)
		return TG_OK;
	if (opts == NULL)
		opts = &def;

#define TG_EAL_ARG(...)                                                        \
	do {                                                                   \
		int n_ = snprintf(argbuf + used, sizeof(argbuf) - used,        \
				  __VA_ARGS__);                                \
		TG_ENSURE(n_ >= 0 && (size_t)n_ < sizeof(argbuf) - used &&     \
				  argc < 60,                                   \
			  TG_E_NOSPACE);                                       \
		argv[argc++] = argbuf + used;                                  \
		used += (size_t)n_ + 1;                                        \
	} while (0)

	TG_EAL_ARG("%s", prog ? prog : "tlsgate");
	/* a map of lcores to CPUs ("0@1,1@3") is --lcores; a list is -l */
	TG_EAL_ARG(opts->lcores && strchr(opts->lcores, '@') ? "--lcores" : "-l");
	TG_EAL_ARG("%s", opts->lcores ? opts->lcores : "0");
	if (opts->hugepages) {
		/* no files in the hugepage mounts, no shared configuration */
		TG_EAL_ARG("--in-memory");
	} else {
		TG_EAL_ARG("--no-huge");
		TG_EAL_ARG("--no-pci");
		TG_EAL_ARG("--no-shconf");
		TG_EAL_ARG("-m");
		TG_EAL_ARG("%u", opts->mem_mb ? opts->mem_mb : 512);
	}
	TG_EAL_ARG("--no-telemetry");
	TG_EAL_ARG("--file-prefix=tg%ld", (long)getpid());
	/* DPDK's own messages at error level unless asked; ours keep
	 * tg_log's level (tg_log.c prints what rte_log would drop). */
	TG_EAL_ARG("--log-level=%s", opts->log_level ? opts->log_level : "error");
	for (int i = 0; i < 8 && opts->vdevs[i] != NULL; i++)
		TG_EAL_ARG("--vdev=%s", opts->vdevs[i]);
	if (opts->extra != NULL) {
		char tmp[512];
		char *save = NULL;

		if (strlen(opts->extra) >= sizeof(tmp)) {
			TG_ERR("EAL arguments too long (%zu bytes, at most %zu)",
			       strlen(opts->extra), sizeof(tmp) - 1);
			return tg_error(TG_E_INVAL);
		}
		strcpy(tmp, opts->extra);
		for (char *t = strtok_r(tmp, " ", &save); t != NULL;
		     t = strtok_r(NULL, " ", &save))
			TG_EAL_ARG("%s", t);
	}
#undef TG_EAL_ARG
	argv[argc] = NULL;

	if (rte_eal_init(argc, argv) < 0) {
		TG_ERR("EAL init failed: %s%s%s", rte_strerror(rte_errno),
		       opts->extra ? "; its arguments: " : "",
		       opts->extra ? opts->extra : "");
		return tg_error(TG_E_IO);
	}
	tg_eal_is_up = 1;
	tg_log_use_rte(true);
	return TG_OK;
}

void tg_eal_stop(void)
{
	char dir[PATH_MAX];

	if (!tg_eal_is_up)
		return;
	/* the EAL makes /var/run/dpdk/<file-prefix> even without shared
	 * config, and leaves it: one per process, thousands over test runs */
	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	tg_log_use_rte(false);
	rte_eal_cleanup();
	tg_eal_is_up = 0;
	if (dir[0] != '\0')
		(void)rmdir(dir); /* only if empty: nothing of anyone else's */
}
