/*
 * store_advisories.c - the agency's advisories and their acknowledgements.
 *
 * Every change is one SQL function (schema/functions/80_advisories.sql)
 * that asks the access layer first (isacd_advisory_gate) and returns its
 * verdict beside the result; reads start from the same gate.
 */
#include "store/store.h"

/* $1 staff, $2 title, $3 summary, $4 body, $5 severity, $6 tlp, $7 source,
 * $8 cves, $9 products, $10 actions (text[]), $11 all, $12 kinds (text[]),
 * $13 community ids (uuid[]), $14 idempotency key, $15 request hash,
 * $16 ip → verdict, status, location, advisory json */
struct db_stmt store_advisory_publish = {"advisory_publish",
    "SELECT outcome, http_status, loc, response FROM isacd_advisory_publish("
    "$1::uuid, $2, $3, $4, $5, $6, $7, $8::text[], $9::text[], $10::text[],"
    " $11::boolean, $12::text[], $13::uuid[], $14, $15, $16::inet)",
    16, 0};

/* $1 user, $2 cursor time, $3 cursor id, $4 limit + 1 → advisory json,
 * cursor key: every advisory for staff, those it receives for anyone else
 * (isacd_advisory_rights), newest first */
struct db_stmt store_advisory_list = {"advisory_list",
    "WITH s AS MATERIALIZED (SELECT isacd_is_staff($1::uuid) AS staff)"
    " SELECT isacd_advisory_json(a, $1::uuid, s.staff)::text,"
    " a.created_at::text || '|' || a.id::text"
    " FROM s, advisories a"
    " WHERE (s.staff OR a.id IN (SELECT r.advisory_id"
    "  FROM isacd_advisory_rights($1::uuid) r))"
    "  AND ($2::timestamptz IS NULL"
    "   OR (a.created_at, a.id) < ($2::timestamptz, $3::uuid))"
    " ORDER BY a.created_at DESC, a.id DESC LIMIT $4::int",
    4, 0};

/* $1 user, $2 advisory → verdict, advisory json */
struct db_stmt store_advisory_get = {"advisory_get",
    "SELECT g.verdict, CASE WHEN g.verdict = 'ok'"
    " THEN isacd_advisory_json(a, $1::uuid, g.staff)::text END"
    " FROM isacd_advisory_gate($1::uuid, $2::uuid, 'see') g"
    " LEFT JOIN advisories a ON a.id = $2::uuid",
    2, 0};

/* $1 staff, $2 advisory, $3 title, $4 summary, $5 body, $6 severity,
 * $7 tlp, $8 source set, $9 source, $10 cves, $11 products, $12 actions,
 * $13 targets set, $14 all, $15 kinds, $16 community ids, $17 ip
 * → verdict, advisory json */
struct db_stmt store_advisory_update = {"advisory_update",
    "SELECT outcome, response FROM isacd_advisory_update($1::uuid,"
    " $2::uuid, $3, $4, $5, $6, $7, $8::boolean, $9, $10::text[],"
    " $11::text[], $12::text[], $13::boolean, $14::boolean, $15::text[],"
    " $16::uuid[], $17::inet)",
    17, 0};

/* $1 staff, $2 advisory, $3 ip → verdict, advisory json */
struct db_stmt store_advisory_withdraw = {"advisory_withdraw",
    "SELECT outcome, response FROM isacd_advisory_withdraw($1::uuid,"
    " $2::uuid, $3::inet)",
    3, 0};

/* $1 user, $2 advisory, $3 status, $4 note → verdict, status, ack json */
struct db_stmt store_ack_create = {"ack_create",
    "SELECT outcome, http_status, response FROM isacd_advisory_ack("
    "$1::uuid, $2::uuid, $3, $4)",
    4, 0};

/* $1 user, $2 advisory, $3 community → verdict, the states and notes of
 * the community's organisations (its moderators and owners) */
struct db_stmt store_acks_community = {"acks_community",
    "SELECT outcome, response FROM isacd_advisory_acks_community($1::uuid,"
    " $2::uuid, $3::uuid)",
    3, 0};

/* $1 user, $2 advisory → verdict, counts per community and state (staff) */
struct db_stmt store_acks_counts = {"acks_counts",
    "SELECT g.verdict, CASE WHEN g.verdict = 'ok'"
    " THEN isacd_advisory_acks_counts($2::uuid)::text END"
    " FROM isacd_advisory_gate($1::uuid, $2::uuid, 'staff') g",
    2, 0};
