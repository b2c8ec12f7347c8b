/*
 * store_test.c - the statement table: every statement store.h declares is in
 * it under its own name (the variable without "store_"), names are unique,
 * and each statement's placeholders match its parameter count.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "store/store.h"

/* the highest $n in the text */
static int
max_placeholder(const char *sql)
{
	int max = 0;

	for (const char *p = sql; *p; p++)
		if (*p == '$' && p[1] >= '1' && p[1] <= '9') {
			int n = atoi(p + 1);

			if (n > max)
				max = n;
		}
	return max;
}

static void
test_every_declared_statement_is_listed(void **state)
{
	FILE *f = fopen("server/src/store/store.h", "r");
	char line[256], name[128];
	int declared = 0;
	size_t n;

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "extern struct db_stmt store_%127[a-z0-9_];",
		        name) == 1) {
			const struct db_stmt *st = store_find(name);

			if (st == NULL)
				fail_msg(
				    "store_%s is not in store_table", name);
			declared++;
		}
	fclose(f);
	store_statements(&n);
	assert_int_equal((size_t)declared, n);
}

static void
test_names_unique_and_params_match(void **state)
{
	size_t n;
	struct db_stmt *const *all = store_statements(&n);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++)
			assert_string_not_equal(all[i]->name, all[j]->name);
		if (max_placeholder(all[i]->sql) != all[i]->nparams)
			fail_msg("%s: $%d used, %d declared", all[i]->name,
			    max_placeholder(all[i]->sql), all[i]->nparams);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_declared_statement_is_listed),
	    cmocka_unit_test(test_names_unique_and_params_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
