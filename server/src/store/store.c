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
    &store_org_update,
    &store_comm_create,
    &store_comm_list,
    &store_comm_get,
    &store_comm_update,
    &store_comm_audit,
    &store_member_list,
    &store_member_change,
    &store_member_remove,
    &store_org_offboard,
    &store_invite_create,
    &store_invite_list,
    &store_invite_revoke,
    &store_invite_accept,
    &store_invite_check,
    &store_invite_accept_new,
    &store_join_create,
    &store_join_list,
    &store_join_get,
    &store_join_decide,
    &store_channel_create,
    &store_channel_list,
    &store_channel_get,
    &store_channel_update,
    &store_channel_delete,
    &store_reader_list,
    &store_reader_add,
    &store_reader_remove,
    &store_post_create,
    &store_post_list,
    &store_post_get,
    &store_post_update,
    &store_post_delete,
    &store_post_share,
    &store_revision_list,
    &store_comment_list,
    &store_comment_create,
    &store_comment_change,
    &store_sighting_list,
    &store_sighting_create,
    &store_indicator_posts,
    &store_indicator_lookup,
    &store_search,
    &store_post_stix,
    &store_rt_horizon,
    &store_rt_events,
    &store_rt_deliveries,
    &store_rt_replay,
    &store_rt_rights,
    &store_rt_notify,
    &store_rt_touch,
    &store_rt_ticket_create,
    &store_rt_ticket_redeem,
    &store_retention_get,
    &store_retention_due,
    &store_hold,
    &store_erase_step,
    &store_me_export,
    &store_purge_lock,
    &store_purge_unlock,
    &store_purge_sweep,
    &store_purge_batch,
    &store_purge_due,
    &store_purge_names,
    &store_purge_forget,
    &store_totp_all,
    &store_totp_reseal,
    &store_staff_create,
    &store_advisory_publish,
    &store_advisory_list,
    &store_advisory_get,
    &store_advisory_update,
    &store_advisory_withdraw,
    &store_ack_create,
    &store_acks_community,
    &store_acks_counts,
    &store_article_list,
    &store_article_get,
    &store_article_create,
    &store_article_update,
    &store_article_delete,
    &store_questionnaire_get,
    &store_questionnaire_publish,
    &store_assessment_create,
    &store_assessment_list,
    &store_benchmark_get,
    &store_insights_assessments,
    &store_threat_community,
    &store_threat_agency,
    &store_throttle_unlock,
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
