/*
 * store.c - the table of every statement, by name.
 *
 * `isacd sql NAME` prints a statement's text so that a benchmark can run
 * exactly the SQL the server runs (pgbench next to wrk) and EXPLAIN it; a
 * unit test checks that names are unique and that no statement is missing.
 */
#include "store/store.h"

#include <string.h>

static struct db_stmt *const store_table[] = {
    &store_schema_version,
    &store_auth_session,
    &store_auth_token,
    &store_login_lookup,
    &store_login_ok,
    &store_login_fail,
    &store_logout_session,
    &store_logout_token,
    &store_me_get,
    &store_me_secrets,
    &store_me_update,
    &store_account_fail,
    &store_totp_enrol,
    &store_totp_get,
    &store_totp_confirm,
    &store_totp_delete,
    &store_token_list,
    &store_token_get,
    &store_token_create,
    &store_token_revoke,
    &store_org_create,
    &store_org_list,
    &store_org_get,
    &store_staff_create,
};

struct db_stmt *const *
store_statements(size_t *n)
{
	*n = sizeof(store_table) / sizeof(store_table[0]);
	return store_table;
}

const struct db_stmt *
store_find(const char *name)
{
	for (size_t i = 0; i < sizeof(store_table) / sizeof(store_table[0]);
	     i++)
		if (strcmp(store_table[i]->name, name) == 0)
			return store_table[i];
	return NULL;
}
