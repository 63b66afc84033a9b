/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tlsgate-bench.c
 * tlsgate-bench: benchmark programs of tlsgate, one command each
 * (`tlsgate-bench <command> [options]`), dispatched through a table.
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"

/* The commands: adding one is one line here (and its file). */
static const struct tg_bench_cmd *const tg_bench_cmds[] = {
	&tg_bench_cmd_records,
	&tg_bench_cmd_handshakes,
	&tg_bench_cmd_e2e,
	&tg_bench_cmd_tcp,
};
#define TG_BENCH_NCMDS (sizeof(tg_bench_cmds) / sizeof(tg_bench_cmds[0]))

static void tg_bench_usage(FILE *f)
{
	fprintf(f,
		"usage: %s <command> [options]\n"
		"       %s <command> --help\n"
		"       %s help [<command>]\n"
		"       %s --version\n"
		"\n"
		"Benchmarks of tlsgate, each measured side by side with the\n"
		"peers a user would pick instead (--compare).\n"
		"\n"
		"commands:\n",
		TG_BENCH_PROG, TG_BENCH_PROG, TG_BENCH_PROG, TG_BENCH_PROG);
	for (size_t i = 0; i < TG_BENCH_NCMDS; i++)
		fprintf(f, "  %-12s %s\n", tg_bench_cmds[i]->name,
			tg_bench_cmds[i]->summary);
	fprintf(f,
		"\n"
		"Exit status: 0 success, 1 run-time failure, 2 usage error.\n"
		"Results and the commands that produced them: bench/RESULTS.md.\n");
}

static const struct tg_bench_cmd *tg_bench_find(const char *name)
{
	for (size_t i = 0; i < TG_BENCH_NCMDS; i++)
		if (strcmp(tg_bench_cmds[i]->name, name) == 0)
			return tg_bench_cmds[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct tg_bench_cmd *cmd;

	/* Before any EAL pins this process to one core: the peers that need
	 * more cores get the original CPU set back. */
	tg_bench_save_affinity();

	if (argc < 2) {
		tg_bench_usage(stderr);
		return TG_BENCH_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		tg_bench_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("%s %s\nbuild: %s\n", TG_BENCH_PROG, TG_BENCH_VERSION,
		       tg_bench_build());
		return 0;
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc == 2) {
			tg_bench_usage(stdout);
			return 0;
		}
		if (argc > 3)
			tg_bench_usage_error(NULL, "help takes one command name");
		cmd = tg_bench_find(argv[2]);
		if (cmd == NULL)
			tg_bench_usage_error(NULL, "help: unknown command '%s'",
					     argv[2]);
		cmd->usage(stdout);
		return 0;
	}
	if (argv[1][0] == '-')
		tg_bench_usage_error(NULL, "expected a command before '%s'",
				     argv[1]);
	cmd = tg_bench_find(argv[1]);
	if (cmd == NULL)
		tg_bench_usage_error(NULL, "unknown command '%s'", argv[1]);
	return cmd->run(argc - 1, argv + 1);
}
