/* SPDX-License-Identifier: BSD-3-Clause */
#include "tg_eal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include <rte_alarm.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_interrupts.h>

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

struct tg_eal_ctrl {
	void (*fn)(void *);
	void *arg;
	atomic_int done;
};

static void tg_eal_ctrl_cb(void *a)
{
	struct tg_eal_ctrl *c = a;

	c->fn(c->arg);
	/* the alarm's own entry is freed after this returns, not ours: the
	 * caller's frame may go as soon as it sees done */
	atomic_store_explicit(&c->done, 1, memory_order_release);
}

void tg_eal_ctrl_run(void (*fn)(void *), void *arg)
{
	struct tg_eal_ctrl c = { .fn = fn, .arg = arg };
	uint64_t end;

	if (!tg_eal_is_up || rte_thread_is_intr()) {
		fn(arg);
		return;
	}
	if (rte_eal_alarm_set(1, tg_eal_ctrl_cb, &c) != 0) {
		TG_WARN("eal: no alarm (%s): device control on this thread",
			rte_strerror(rte_errno));
		fn(arg);
		return;
	}
	end = rte_get_timer_cycles() + 10 * rte_get_timer_hz();
	while (!atomic_load_explicit(&c.done, memory_order_acquire) &&
	       rte_get_timer_cycles() < end)
		usleep(50);
	if (atomic_load_explicit(&c.done, memory_order_acquire))
		return;
	/* taken off the list, or waited for if it has begun meanwhile */
	if (rte_eal_alarm_cancel(tg_eal_ctrl_cb, &c) > 0 ||
	    !atomic_load_explicit(&c.done, memory_order_acquire)) {
		TG_WARN("eal: the interrupt thread took no alarm in 10 s: "
			"device control on this thread");
		fn(arg);
	}
}

static void tg_eal_close_ports(void *arg)
{
	uint16_t pid;

	(void)arg;
	RTE_ETH_FOREACH_DEV(pid) {
		(void)rte_eth_dev_stop(pid);
		(void)rte_eth_dev_close(pid);
	}
}

/*
 * DPDK 22.11's rte_eal_cleanup leaves its interrupt thread running while it
 * unmaps DPDK's memory, and itself makes that thread rebuild its epoll list
 * (rte_eal_alarm_cleanup unregisters the alarms' timerfd): the rebuild
 * walks every source's handle, and net_memif's close frees its listener's
 * handle without unregistering it, leaving the EAL's copy of it, in DPDK's
 * heap, on the list. So the thread is ended first: a source of our own (an
 * eventfd, its handle in malloc'd memory) whose callback says so and exits
 * the thread. A callback runs with no EAL lock held and nothing else of
 * the thread's under way; nothing the thread had queued runs after it. Not
 * an alarm's callback: rte_eal_alarm_cleanup waits for the alarms' source
 * to be inactive, and it would stay active.
 */
static int tg_eal_end_fd = -1;
static struct rte_intr_handle *tg_eal_end_ih; /* kept: the thread's list has it */
static atomic_int tg_eal_ended;

static void tg_eal_end_cb(void *arg)
{
	(void)arg;
	atomic_store(&tg_eal_ended, 1);
	pthread_exit(NULL);
}

/* True once the interrupt thread has ended (10 s at most). */
static bool tg_eal_intr_end(void)
{
	uint64_t one = 1, end;

	tg_eal_end_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (tg_eal_end_fd < 0)
		return false;
	tg_eal_end_ih = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (tg_eal_end_ih == NULL ||
	    rte_intr_fd_set(tg_eal_end_ih, tg_eal_end_fd) != 0 ||
	    rte_intr_type_set(tg_eal_end_ih, RTE_INTR_HANDLE_EXT) != 0 ||
	    write(tg_eal_end_fd, &one, sizeof(one)) != sizeof(one) ||
	    rte_intr_callback_register(tg_eal_end_ih, tg_eal_end_cb, NULL) != 0)
		return false; /* what is there stays: the thread may use it */
	end = rte_get_timer_cycles() + 10 * rte_get_timer_hz();
	while (!atomic_load(&tg_eal_ended) && rte_get_timer_cycles() < end)
		usleep(50);
	return atomic_load(&tg_eal_ended) != 0;
}

void tg_eal_stop(void)
{
	char dir[PATH_MAX];

	if (!tg_eal_is_up)
		return;
	/*
	 * rte_eal_cleanup closes the vdevs on this thread and then unmaps
	 * DPDK's memory while the interrupt thread may still be in a
	 * driver's callback: net_memif's disconnect of the peer of a port
	 * just stopped, freeing its regions (a SIGSEGV in rte_free, once in
	 * about 20 runs of test_tcp_memif on a loaded machine), or rebuilding
	 * its epoll list from handles in that memory (a SIGSEGV in
	 * rte_intr_fd_get, see above). So the ports are stopped and closed
	 * on that thread, one after the other with whatever the drivers have
	 * queued there, and the thread is ended before the memory goes.
	 */
	tg_eal_ctrl_run(tg_eal_close_ports, NULL);
	if (!tg_eal_intr_end())
		TG_WARN("eal: the interrupt thread did not end: cleanup anyway");
	/* the EAL makes /var/run/dpdk/<file-prefix> even without shared
	 * config, and leaves it: one per process, thousands over test runs */
	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	tg_log_use_rte(false);
	rte_eal_cleanup();
	tg_eal_is_up = 0;
	if (dir[0] != '\0')
		(void)rmdir(dir); /* only if empty: nothing of anyone else's */
}
