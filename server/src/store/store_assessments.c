/*
 * store_assessments.c - the self-assessment: the questionnaire, an
 * organisation's assessments (its own users' alone: isacd_org_verdict),
 * and the aggregates of at least isacd_k_min() organisations
 * (schema/functions/82_assessments.sql).
 */
#include "store/store.h"

/* → the current questionnaire json */
struct db_stmt store_questionnaire_get = {"questionnaire_get",
    "SELECT isacd_questionnaire_json(q)::text"
    " FROM isacd_questionnaire_current() q",
    0, 0};

/* $1 staff, $2 content (json), $3 ip → verdict, questionnaire json */
struct db_stmt store_questionnaire_publish = {"questionnaire_publish",
    "SELECT outcome, response FROM isacd_questionnaire_publish($1::uuid,"
    " $2::jsonb, $3::inet)",
    3, 0};

/* $1 user, $2 organisation, $3 question ids, $4 option ids (text[]),
 * $5 version or NULL, $6 lang, $7 idempotency key, $8 request hash
 * → verdict, status, location, assessment json */
struct db_stmt store_assessment_create = {"assessment_create",
    "SELECT outcome, http_status, loc, response FROM isacd_assessment_create("
    "$1::uuid, $2::uuid, $3::text[], $4::text[], $5::int, $6, $7, $8)",
    8, 0};

/* $1 user, $2 organisation, $3 cursor time, $4 cursor id, $5 limit + 1
 * → verdict, assessment json, cursor key: the organisation's own history */
struct db_stmt store_assessment_list = {"assessment_list",
    "WITH f AS MATERIALIZED ("
    " SELECT isacd_org_verdict($1::uuid, $2::uuid) AS verdict"
    ")"
    " SELECT f.verdict, x.j, x.k FROM f"
    " LEFT JOIN LATERAL ("
    "  SELECT isacd_assessment_json(s, $1::uuid, false)::text AS j,"
    "   s.created_at::text || '|' || s.id::text AS k"
    "  FROM assessments s"
    "  WHERE s.organisation_id = $2::uuid AND f.verdict = 'ok'"
    "   AND ($3::timestamptz IS NULL"
    "    OR (s.created_at, s.id) < ($3::timestamptz, $4::uuid))"
    "  ORDER BY s.created_at DESC, s.id DESC LIMIT $5::int"
    " ) x ON true",
    5, 0};

/* $1 user, $2 community → verdict (an active member), benchmark json */
struct db_stmt store_benchmark_get = {"benchmark_get",
    "SELECT g.verdict, CASE WHEN g.verdict = 'ok'"
    " THEN isacd_community_benchmark($2::uuid)::text END"
    " FROM isacd_community_gate($1::uuid, $2::uuid, 'member') g",
    2, 0};

/* $1 group ('sector' or 'country') → insights json (staff) */
struct db_stmt store_insights_assessments = {
    "insights_assessments", "SELECT isacd_assessment_insights($1)::text", 1, 0};
