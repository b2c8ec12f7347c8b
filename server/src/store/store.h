/*
 * store.h - the SQL of isacd, one statement per request step.
 *
 * Every statement is parameterised and prepared per connection by db/.  The
 * comment above each names its parameters ($n) and result columns; api/
 * files call them through the pool and never build SQL.  Statements that
 * change several tables do it in one round trip with data-modifying CTEs, so
 * a change and its audit entry commit together or not at all.
 */
#ifndef ISACD_STORE_H
#define ISACD_STORE_H

#include <stddef.h>

#include "db/db.h"

/* readiness: → (max applied version) */
extern struct db_stmt store_schema_version;

/* sessions and tokens: who is calling */
extern struct db_stmt store_auth_session;
extern struct db_stmt store_auth_token;

/* login, logout */
extern struct db_stmt store_login_lookup;
extern struct db_stmt store_login_ok;
extern struct db_stmt store_login_fail;
extern struct db_stmt store_logout_session;
extern struct db_stmt store_logout_token;

/* the caller's account */
extern struct db_stmt store_me_get;
extern struct db_stmt store_me_secrets;
extern struct db_stmt store_me_update;
extern struct db_stmt store_account_fail;

/* TOTP */
extern struct db_stmt store_totp_enrol;
extern struct db_stmt store_totp_get;
extern struct db_stmt store_totp_confirm;
extern struct db_stmt store_totp_delete;

/* personal API tokens */
extern struct db_stmt store_token_list;
extern struct db_stmt store_token_get;
extern struct db_stmt store_token_create;
extern struct db_stmt store_token_revoke;

/* organisations */
extern struct db_stmt store_org_create;
extern struct db_stmt store_org_list;
extern struct db_stmt store_org_get;
extern struct db_stmt store_org_update;

/* communities, members, audit */
extern struct db_stmt store_comm_create;
extern struct db_stmt store_comm_list;
extern struct db_stmt store_comm_get;
extern struct db_stmt store_comm_update;
extern struct db_stmt store_comm_audit;
extern struct db_stmt store_member_list;
extern struct db_stmt store_member_change;
extern struct db_stmt store_member_remove;
extern struct db_stmt store_org_offboard;

/* invites and join requests */
extern struct db_stmt store_invite_create;
extern struct db_stmt store_invite_list;
extern struct db_stmt store_invite_revoke;
extern struct db_stmt store_invite_accept;
extern struct db_stmt store_invite_check;
extern struct db_stmt store_invite_accept_new;
extern struct db_stmt store_join_create;
extern struct db_stmt store_join_list;
extern struct db_stmt store_join_get;
extern struct db_stmt store_join_decide;

/* channels and their readers */
extern struct db_stmt store_channel_create;
extern struct db_stmt store_channel_list;
extern struct db_stmt store_channel_get;
extern struct db_stmt store_channel_update;
extern struct db_stmt store_channel_delete;
extern struct db_stmt store_reader_list;
extern struct db_stmt store_reader_add;
extern struct db_stmt store_reader_remove;

/* posts, revisions, comments, sightings */
extern struct db_stmt store_post_create;
extern struct db_stmt store_post_list;
extern struct db_stmt store_post_get;
extern struct db_stmt store_post_update;
extern struct db_stmt store_post_delete;
extern struct db_stmt store_post_share;
extern struct db_stmt store_revision_list;
extern struct db_stmt store_comment_list;
extern struct db_stmt store_comment_create;
extern struct db_stmt store_comment_change;
extern struct db_stmt store_sighting_list;
extern struct db_stmt store_sighting_create;

/* indicators, search, export */
extern struct db_stmt store_indicator_posts;
extern struct db_stmt store_indicator_lookup;
extern struct db_stmt store_search;
extern struct db_stmt store_post_stix;

/* realtime: events, deliveries, replay, rights, tickets, the hint */
extern struct db_stmt store_rt_horizon;
extern struct db_stmt store_rt_events;
extern struct db_stmt store_rt_deliveries;
extern struct db_stmt store_rt_replay;
extern struct db_stmt store_rt_rights;
extern struct db_stmt store_rt_notify;
extern struct db_stmt store_rt_touch;
extern struct db_stmt store_rt_ticket_create;
extern struct db_stmt store_rt_ticket_redeem;

/* the agency: advisories and acknowledgements */
extern struct db_stmt store_advisory_publish;
extern struct db_stmt store_advisory_list;
extern struct db_stmt store_advisory_get;
extern struct db_stmt store_advisory_update;
extern struct db_stmt store_advisory_withdraw;
extern struct db_stmt store_ack_create;
extern struct db_stmt store_acks_community;
extern struct db_stmt store_acks_counts;

/* knowledge articles */
extern struct db_stmt store_article_list;
extern struct db_stmt store_article_get;
extern struct db_stmt store_article_create;
extern struct db_stmt store_article_update;
extern struct db_stmt store_article_delete;

/* self-assessment, benchmarks, insights */
extern struct db_stmt store_questionnaire_get;
extern struct db_stmt store_questionnaire_publish;
extern struct db_stmt store_assessment_create;
extern struct db_stmt store_assessment_list;
extern struct db_stmt store_benchmark_get;
extern struct db_stmt store_insights_assessments;

/* the threat picture */
extern struct db_stmt store_threat_community;
extern struct db_stmt store_threat_agency;
/* privacy: retention, holds, erasure, export, the purge, sealed TOTP */
extern struct db_stmt store_retention_get;
extern struct db_stmt store_retention_due;
extern struct db_stmt store_hold;
extern struct db_stmt store_erase_step;
extern struct db_stmt store_me_export;
extern struct db_stmt store_purge_lock;
extern struct db_stmt store_purge_unlock;
extern struct db_stmt store_purge_sweep;
extern struct db_stmt store_purge_batch;
extern struct db_stmt store_purge_due;
extern struct db_stmt store_purge_names;
extern struct db_stmt store_purge_forget;
extern struct db_stmt store_totp_all;
extern struct db_stmt store_totp_reseal;

/* CLI: create-staff, unlock */
extern struct db_stmt store_staff_create;
extern struct db_stmt store_throttle_unlock;

/** Every statement above (static storage) and how many there are. */
struct db_stmt *const *store_statements(size_t *n);
/** The statement with this name (its db_stmt.name), or NULL. */
const struct db_stmt *store_find(const char *name);

#endif
