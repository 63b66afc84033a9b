/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for common/: results, bounded cursors, wipe, logging. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_alarm.h>
#include <rte_eal.h>
#include <rte_interrupts.h>
#include <rte_log.h>
#include <sys/stat.h>

#include "tg_cur.h"
#include "tg_eal.h"
#include "tg_log.h"
#include "tg_result.h"
#include "tg_test.h"
#include "tg_wipe.h"

static TG_MUST_CHECK tg_result guarded(int fail_at, int *reached)
{
	*reached = 0;
	TG_ENSURE(fail_at != 1, TG_E_DECODE);
	*reached = 1;
	TG_GUARD(fail_at == 2 ? tg_error(TG_E_NOMEM) : TG_OK);
	*reached = 2;
	return TG_OK;
}

static void test_result_macros(void)
{
	int reached;

	TG_ASSERT_OK(guarded(0, &reached));
	CU_ASSERT_EQUAL(reached, 2);
	TG_ASSERT_ERR(guarded(1, &reached), TG_E_DECODE);
	CU_ASSERT_EQUAL(reached, 0);
	TG_ASSERT_ERR(guarded(2, &reached), TG_E_NOMEM);
	CU_ASSERT_EQUAL(reached, 1);
	CU_ASSERT_STRING_EQUAL(tg_strerror(TG_E_BAD_MAC), "bad record mac");
	CU_ASSERT_STRING_EQUAL(tg_strerror(-1), "unknown error");
	CU_ASSERT_STRING_EQUAL(tg_strerror(TG_E__COUNT), "unknown error");
	for (int i = 0; i < TG_E__COUNT; i++)
		CU_ASSERT_STRING_NOT_EQUAL(tg_strerror(i), "unknown error");
}

static void test_cur_reads(void)
{
	static const uint8_t b[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
				     0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
				     0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12 };
	struct tg_cur c = tg_cur_init(b, sizeof(b));
	uint8_t u8, cp[2];
	uint16_t u16;
	uint32_t u24, u32;
	uint64_t u64;
	const uint8_t *p;

	TG_ASSERT_OK(tg_cur_u8(&c, &u8));
	CU_ASSERT_EQUAL(u8, 0x01);
	TG_ASSERT_OK(tg_cur_u16(&c, &u16));
	CU_ASSERT_EQUAL(u16, 0x0203);
	TG_ASSERT_OK(tg_cur_u24(&c, &u24));
	CU_ASSERT_EQUAL(u24, 0x040506);
	TG_ASSERT_OK(tg_cur_u32(&c, &u32));
	CU_ASSERT_EQUAL(u32, 0x0708090a);
	TG_ASSERT_OK(tg_cur_u64(&c, &u64));
	CU_ASSERT_EQUAL(u64, 0x0b0c0d0e0f101112ULL);
	CU_ASSERT_EQUAL(tg_cur_left(&c), 0);
	TG_ASSERT_OK(tg_cur_end(&c));
	/* Every read past the end fails and leaves the position alone. */
	TG_ASSERT_ERR(tg_cur_u8(&c, &u8), TG_E_DECODE);
	TG_ASSERT_ERR(tg_cur_u16(&c, &u16), TG_E_DECODE);
	TG_ASSERT_ERR(tg_cur_copy(&c, cp, 1), TG_E_DECODE);
	TG_ASSERT_ERR(tg_cur_take(&c, 1, &p), TG_E_DECODE);
	TG_ASSERT_ERR(tg_cur_skip(&c, 1), TG_E_DECODE);
	CU_ASSERT_EQUAL(c.pos, sizeof(b));

	c = tg_cur_init(b, 3);
	TG_ASSERT_ERR(tg_cur_u32(&c, &u32), TG_E_DECODE);
	CU_ASSERT_EQUAL(c.pos, 0);
	TG_ASSERT_ERR(tg_cur_end(&c), TG_E_DECODE);
	TG_ASSERT_ERR(tg_cur_be(&c, 0, &u64), TG_E_INVAL);
	TG_ASSERT_ERR(tg_cur_be(&c, 9, &u64), TG_E_INVAL);
	TG_ASSERT_OK(tg_cur_take(&c, 2, &p));
	CU_ASSERT_PTR_EQUAL(p, b);
	TG_ASSERT_OK(tg_cur_copy(&c, cp, 1));
	CU_ASSERT_EQUAL(cp[0], 0x03);
}

static void test_cur_vectors(void)
{
	/* <1..2^8-1> vector of 3 bytes, then a u16-prefixed empty vector,
	 * then a u16-prefixed vector claiming more than there is. */
	static const uint8_t b[] = { 0x03, 0xaa, 0xbb, 0xcc, 0x00, 0x00,
				     0x00, 0x05, 0x01 };
	struct tg_cur c = tg_cur_init(b, sizeof(b)), v;
	uint8_t x;

	TG_ASSERT_OK(tg_cur_vec(&c, 1, 1, 255, &v));
	CU_ASSERT_EQUAL(tg_cur_left(&v), 3);
	TG_ASSERT_OK(tg_cur_skip(&v, 2));
	TG_ASSERT_OK(tg_cur_u8(&v, &x));
	CU_ASSERT_EQUAL(x, 0xcc);
	/* The sub-reader cannot see past its vector. */
	TG_ASSERT_ERR(tg_cur_u8(&v, &x), TG_E_DECODE);
	/* Empty vector where min is 1 is a decode error. */
	struct tg_cur save = c;
	TG_ASSERT_ERR(tg_cur_vec(&c, 2, 1, 10, &v), TG_E_DECODE);
	c = save;
	TG_ASSERT_OK(tg_cur_vec(&c, 2, 0, 10, &v));
	CU_ASSERT_EQUAL(tg_cur_left(&v), 0);
	/* Longer than the rest of the input. */
	TG_ASSERT_ERR(tg_cur_vec(&c, 2, 0, 100, &v), TG_E_DECODE);
	/* Over the maximum. */
	c = tg_cur_init(b, sizeof(b));
	TG_ASSERT_ERR(tg_cur_vec(&c, 1, 0, 2, &v), TG_E_DECODE);
	TG_ASSERT_ERR(tg_cur_vec(&c, 4, 0, 2, &v), TG_E_INVAL);
}

static void test_wcur(void)
{
	uint8_t out[16];
	struct tg_wcur w = tg_wcur_init(out, sizeof(out));
	size_t mark;

	TG_ASSERT_OK(tg_wcur_u8(&w, 0x16));
	TG_ASSERT_OK(tg_wcur_u16(&w, 0x0303));
	TG_ASSERT_OK(tg_wcur_vec_begin(&w, 3, &mark));
	TG_ASSERT_OK(tg_wcur_bytes(&w, "abcd", 4));
	TG_ASSERT_OK(tg_wcur_vec_end(&w, 3, mark));
	CU_ASSERT_EQUAL(w.pos, 10);
	static const uint8_t want[] = { 0x16, 0x03, 0x03, 0x00, 0x00, 0x04,
					'a',  'b',  'c',  'd' };
	CU_ASSERT_EQUAL(memcmp(out, want, sizeof(want)), 0);
	TG_ASSERT_ERR(tg_wcur_u64(&w, 1), TG_E_NOSPACE);
	CU_ASSERT_EQUAL(w.pos, 10);
	TG_ASSERT_ERR(tg_wcur_u24(&w, 1u << 24), TG_E_INVAL);
	/* A one-byte prefix cannot hold a 256-byte body. */
	uint8_t big[300], body[256] = { 0 };
	struct tg_wcur w2 = tg_wcur_init(big, sizeof(big));
	TG_ASSERT_OK(tg_wcur_vec_begin(&w2, 1, &mark));
	TG_ASSERT_OK(tg_wcur_bytes(&w2, body, sizeof(body)));
	TG_ASSERT_ERR(tg_wcur_vec_end(&w2, 1, mark), TG_E_OVERFLOW);
	/* Round trip through a reader. */
	struct tg_cur c = tg_cur_init(out, w.pos), v;
	uint8_t t;
	uint16_t ver;
	TG_ASSERT_OK(tg_cur_u8(&c, &t));
	TG_ASSERT_OK(tg_cur_u16(&c, &ver));
	TG_ASSERT_OK(tg_cur_vec(&c, 3, 0, 1 << 24, &v));
	CU_ASSERT_EQUAL(tg_cur_left(&v), 4);
	TG_ASSERT_OK(tg_cur_end(&c));
}

static void test_wipe_ct(void)
{
	uint8_t a[32], b[32];

	memset(a, 0xab, sizeof(a));
	memcpy(b, a, sizeof(b));
	CU_ASSERT_EQUAL(tg_ct_cmp(a, b, sizeof(a)), 0);
	b[31] ^= 1;
	CU_ASSERT_NOT_EQUAL(tg_ct_cmp(a, b, sizeof(a)), 0);
	tg_wipe(a, sizeof(a));
	for (size_t i = 0; i < sizeof(a); i++)
		CU_ASSERT_EQUAL(a[i], 0);
	tg_wipe(NULL, 10); /* no-op, no crash */
	TG_WIPE_OBJ(b);
	CU_ASSERT_EQUAL(b[0], 0);
}

static void test_log_levels(void)
{
	enum tg_log_level l;

	CU_ASSERT_TRUE(tg_log_parse_level("debug", &l));
	CU_ASSERT_EQUAL(l, TG_LOG_DEBUG);
	CU_ASSERT_TRUE(tg_log_parse_level("err", &l));
	CU_ASSERT_EQUAL(l, TG_LOG_ERR);
	CU_ASSERT_FALSE(tg_log_parse_level("loud", &l));
	tg_log_set_level(TG_LOG_WARN);
	CU_ASSERT_EQUAL(tg_log_get_level(), TG_LOG_WARN);
	tg_log_set_level(TG_LOG_NOTICE);
}

/* What a log call writes: to stderr before EAL, through rte_log (its
 * stream, our "tlsgate" type) once tg_log_use_rte() is on; the level
 * filters both. */
static void test_log_output(void)
{
	char buf[1024];
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_FATAL(saved >= 0);
	CU_ASSERT_EQUAL(TG_LOG_ERR, RTE_LOG_ERR); /* passed to rte_log as is */
	CU_ASSERT_EQUAL(TG_LOG_DEBUG, RTE_LOG_DEBUG);
	tg_log_set_level(TG_LOG_WARN);
	fflush(stderr);
	CU_ASSERT_FATAL(dup2(fileno(f), STDERR_FILENO) >= 0);
	TG_INFO("filtered %d", 1);
	TG_WARN("to stderr %d", 2);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	CU_ASSERT_STRING_EQUAL(buf, "tlsgate warn: to stderr 2\n");

	/* through rte_log, into the stream DPDK logs to */
	CU_ASSERT_EQUAL_FATAL(ftruncate(fileno(f), 0), 0);
	rewind(f);
	CU_ASSERT_EQUAL_FATAL(rte_openlog_stream(f), 0);
	tg_log_use_rte(true);
	TG_INFO("filtered %d", 3);
	TG_ERR("via rte_log %d", 4);
	tg_log_use_rte(false);
	TG_NOTICE("not logged at warn"); /* back to stderr, filtered */
	rte_openlog_stream(NULL);
	fflush(f);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "tlsgate: via rte_log 4\n"));
	CU_ASSERT_PTR_NULL(strstr(buf, "filtered"));
	tg_log_set_level(TG_LOG_NOTICE);
	fclose(f);
}

static int ctrl_on_intr;

static void ctrl_fn(void *arg)
{
	ctrl_on_intr = rte_thread_is_intr();
	*(int *)arg += 1;
}

static atomic_int slow_done;

static void slow_alarm(void *arg)
{
	(void)arg;
	usleep(100000);
	atomic_store(&slow_done, 1);
}

/* tg_eal_ctrl_run: on the interrupt thread, after what is queued there
 * (an alarm that sleeps 100 ms), once; here when the EAL is not up */
static void test_eal_ctrl_run(void)
{
	struct tg_eal_opts o = { 0 };
	int runs = 0;

	TG_ASSERT_OK(tg_eal_start("test_common", &o));
	tg_eal_ctrl_run(ctrl_fn, &runs);
	CU_ASSERT_EQUAL(runs, 1);
	CU_ASSERT(ctrl_on_intr);
	atomic_store(&slow_done, 0);
	CU_ASSERT_EQUAL_FATAL(rte_eal_alarm_set(1, slow_alarm, NULL), 0);
	tg_eal_ctrl_run(ctrl_fn, &runs);
	CU_ASSERT_EQUAL(atomic_load(&slow_done), 1);
	CU_ASSERT_EQUAL(runs, 2);
	CU_ASSERT(ctrl_on_intr);
}

/* The EAL's runtime directory (/var/run/dpdk/tg<pid>) goes with it: one
 * was left behind by every process, thousands over the test runs. */
static void test_eal_runtime_dir(void)
{
	struct tg_eal_opts o = { 0 };
	char dir[512];
	struct stat sb;

	TG_ASSERT_OK(tg_eal_start("test_common", &o));
	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	CU_ASSERT_EQUAL(stat(dir, &sb), 0);
	tg_eal_stop();
	CU_ASSERT_NOT_EQUAL(stat(dir, &sb), 0);
	{
		int runs = 0;

		tg_eal_ctrl_run(ctrl_fn, &runs); /* no EAL: here */
		CU_ASSERT_EQUAL(runs, 1);
		CU_ASSERT(!ctrl_on_intr);
	}
}

static CU_TestInfo common_tests[] = {
	{ "result macros", test_result_macros },
	{ "cursor reads", test_cur_reads },
	{ "cursor vectors", test_cur_vectors },
	{ "writer", test_wcur },
	{ "wipe and constant-time compare", test_wipe_ct },
	{ "log levels", test_log_levels },
	{ "log output: stderr, then rte_log", test_log_output },
	{ "EAL: device control on the interrupt thread", test_eal_ctrl_run },
	{ "EAL runtime directory removed at stop", test_eal_runtime_dir },
	CU_TEST_INFO_NULL,
};

static const struct tg_test_suite suites[] = {
	{ "common", NULL, NULL, common_tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return tg_test_main(argc, argv, suites);
}
