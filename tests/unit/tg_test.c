/* SPDX-License-Identifier: BSD-3-Clause */
#include "tg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

static uint64_t tg_test_state;

uint64_t tg_test_rand(void)
{
	uint64_t x = tg_test_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	tg_test_state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

void tg_test_fill(void *p, size_t n)
{
	uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(tg_test_rand() >> 24);
}

size_t tg_test_hex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (hex[0] != '\0' && hex[1] != '\0' && n < cap) {
		unsigned v;

		if (hex[0] == ' ' || hex[0] == '\n') {
			hex++;
			continue;
		}
		if (sscanf(hex, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
		hex += 2;
	}
	return n;
}

int tg_test_main(int argc, char **argv, const struct tg_test_suite *suites)
{
	const char *seed = getenv("TG_TEST_SEED");
	unsigned failed;

	(void)argc;
	tg_test_state = seed ? strtoull(seed, NULL, 0) : 0x9E3779B97F4A7C15ULL;
	if (tg_test_state == 0)
		tg_test_state = 1;
	printf("%s: seed 0x%llx\n", argv[0], (unsigned long long)tg_test_state);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	for (const struct tg_test_suite *s = suites; s->name != NULL; s++) {
		CU_pSuite su = CU_add_suite(s->name, s->init, s->cleanup);

		if (su == NULL)
			return 2;
		for (CU_TestInfo *t = s->tests; t->pName != NULL; t++)
			if (CU_add_test(su, t->pName, t->pTestFunc) == NULL)
				return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() +
		 CU_get_number_of_suites_failed() +
		 CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
