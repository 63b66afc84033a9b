/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_test.h
 * Shared CUnit harness: each test binary lists its suites in a table and
 * calls tg_test_main(); the binary exits non-zero when any assertion fails.
 */
#ifndef TG_TEST_H
#define TG_TEST_H

#include <stddef.h>
#include <stdint.h>

#include <CUnit/CUnit.h>

/** One suite: a name, optional init/cleanup, NULL-terminated tests. */
struct tg_test_suite {
	const char *name;
	int (*init)(void);
	int (*cleanup)(void);
	CU_TestInfo *tests;
};

/** Run @p suites (terminated by a NULL name); returns the exit status. */
int tg_test_main(int argc, char **argv, const struct tg_test_suite *suites);

/** Deterministic PRNG for tests (xorshift64*), seeded by TG_TEST_SEED. */
uint64_t tg_test_rand(void);

/** Fill @p n bytes with tg_test_rand() output. */
void tg_test_fill(void *p, size_t n);

/** Parse a hex string into @p out (at most @p cap bytes); returns length. */
size_t tg_test_hex(const char *hex, uint8_t *out, size_t cap);

/** Assert a tg_result is success, showing the error name when not. */
#define TG_ASSERT_OK(expr)                                                     \
	do {                                                                   \
		tg_result r__ = (expr);                                        \
		if (r__.code != 0)                                             \
			fprintf(stderr, "%s:%d: %s -> %s\n", __FILE__,         \
				__LINE__, #expr, tg_strerror(r__.code));       \
		CU_ASSERT_EQUAL_FATAL(r__.code, 0);                            \
	} while (0)

/** Assert a tg_result is the failure @p err. */
#define TG_ASSERT_ERR(expr, err)                                               \
	do {                                                                   \
		tg_result r__ = (expr);                                        \
		CU_ASSERT_EQUAL(r__.code, (err));                              \
	} while (0)

#endif
