/*
 * store_articles.c - knowledge articles: public reads (a draft is staff's
 * alone: isacd_article_visible), staff's writes (schema/functions/
 * 81_articles.sql).
 */
#include "store/store.h"

/* $1 user or NULL, $2 category, $3 principle, $4 q, $5 lang, $6 cursor
 * time, $7 cursor id, $8 limit + 1 → article json (no body), cursor key,
 * newest first; q is the posts' text search */
struct db_stmt store_article_list = {"article_list",
    "WITH s AS MATERIALIZED (SELECT isacd_is_staff($1::uuid) AS staff,"
    "  CASE WHEN $4::text IS NOT NULL THEN isacd_search_query($4) END AS q)"
    " SELECT isacd_article_json(a, false, s.staff)::text,"
    " a.created_at::text || '|' || a.id::text"
    " FROM s, articles a"
    " WHERE isacd_article_visible(a.status, s.staff)"
    "  AND ($2::text IS NULL OR a.category = $2)"
    "  AND ($3::int IS NULL OR $3::int = ANY (a.principles))"
    "  AND ($5::text IS NULL OR a.lang = $5)"
    "  AND (s.q IS NULL OR isacd_article_search(a) @@ s.q)"
    "  AND ($6::timestamptz IS NULL"
    "   OR (a.created_at, a.id) < ($6::timestamptz, $7::uuid))"
    " ORDER BY a.created_at DESC, a.id DESC LIMIT $8::int",
    8, 0};

/* $1 user or NULL, $2 slug → verdict, article json */
struct db_stmt store_article_get = {"article_get",
    "SELECT CASE WHEN a.id IS NOT NULL"
    "  AND isacd_article_visible(a.status, s.staff) THEN 'ok'"
    "  ELSE 'article_not_found' END,"
    " CASE WHEN isacd_article_visible(a.status, s.staff)"
    "  THEN isacd_article_json(a, true, s.staff)::text END"
    " FROM (SELECT isacd_is_staff($1::uuid) AS staff) s"
    " LEFT JOIN articles a ON a.slug = $2",
    2, 0};

/* $1 staff, $2 slug, $3 lang, $4 title, $5 summary, $6 body, $7 category,
 * $8 principles (int[]), $9 tags (text[]), $10 status, $11 translation,
 * $12 idempotency key, $13 request hash, $14 ip → verdict, status,
 * location, article json; 23505 articles_slug_key for a slug taken */
struct db_stmt store_article_create = {"article_create",
    "SELECT outcome, http_status, loc, response FROM isacd_article_create("
    "$1::uuid, $2, $3, $4, $5, $6, $7, $8::int[], $9::text[], $10, $11,"
    " $12, $13, $14::inet)",
    14, 0};

/* $1 staff, $2 slug, $3 lang, $4 title, $5 summary, $6 body, $7 category,
 * $8 principles, $9 tags, $10 status, $11 translation set, $12 translation,
 * $13 ip → verdict, article json */
struct db_stmt store_article_update = {"article_update",
    "SELECT outcome, response FROM isacd_article_update($1::uuid, $2, $3,"
    " $4, $5, $6, $7, $8::int[], $9::text[], $10, $11::boolean, $12,"
    " $13::inet)",
    13, 0};

/* $1 staff, $2 slug, $3 ip → verdict */
struct db_stmt store_article_delete = {"article_delete",
    "SELECT outcome FROM isacd_article_delete($1::uuid, $2, $3::inet)", 3, 0};
