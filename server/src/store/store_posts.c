/*
 * store_posts.c - threat posts, their revisions, comments and sightings.
 *
 * Who may read a post is isacd_reads_post (schema/functions/20_access.sql):
 * the user reads the post's channel and the post's TLP admits the user.  A
 * statement on one post starts from its gate (isacd_post_gate, the row
 * form); a page of one channel asks the rule of each row with the channel's
 * gate, so that the index on (channel_id, created_at, id) serves the page
 * in order and it never grows with the channel; statements over many
 * channels use the set form (isacd_readable, isacd_may_read).  Writes are
 * SQL functions (schema/functions/50_posts.sql): the access check, the
 * change, its revision, event, audit and idempotency key in one
 * transaction.
 */
#include "store/store.h"

/* $1 user, $2 channel, $3 kind, $4 title, $5 body, $6 tlp, $7 severity,
 * $8 tags text[], $9 anonymous, $10 recipients uuid[], $11 indicator types
 * text[], $12 indicator values text[], $13 idempotency key, $14 request
 * hash → verdict, status, location, post json */
struct db_stmt store_post_create = {"post_create",
    "SELECT outcome, http_status, loc, response"
    " FROM isacd_post_create($1::uuid, $2::uuid, $3, $4, $5, $6, $7,"
    " $8::text[], $9::boolean, $10::uuid[], $11::text[], $12::text[], $13,"
    " $14)",
    14, 0};

/* $1 user, $2 channel, $3 kind, $4 tlp, $5 tag, $6 cursor time, $7 cursor
 * id, $8 limit + 1 → verdict, post json, cursor key: the posts of the
 * channel the user may read, newest first */
struct db_stmt store_post_list = {"post_list",
    "WITH g AS MATERIALIZED ("
    " SELECT * FROM isacd_channel_gate($1::uuid, $2::uuid, 'read'))"
    " SELECT g.verdict, x.j, x.k FROM g"
    " LEFT JOIN LATERAL ("
    "  SELECT (SELECT v.j FROM isacd_post_view(p, $1::uuid, g.role,"
    "   g.access) v)::text AS j,"
    "   p.created_at::text || '|' || p.id::text AS k"
    "  FROM isacd_channel_page($1::uuid, $2::uuid, g.verdict = 'ok', $3,"
    "   $4, $5, $6::timestamptz, $7::uuid, $8::int) pg"
    "  JOIN posts p ON p.id = pg.id"
    "  ORDER BY pg.created_at DESC, pg.id DESC"
    " ) x ON true",
    8, 0};

/* The post $2 as user $1 sees it: verdict, then post json; the statement
 * goes on with FROM g LEFT JOIN posts p ... (p is NULL unless the verdict
 * is 'ok').  The gate's columns are plain columns so that isacd_post_view
 * is inlined. */
#define POST_ONE                                                               \
	"SELECT g.verdict, (SELECT v.j FROM isacd_post_view(p, $1::uuid,"      \
	" g.role, g.access) v)::text"
#define POST_ONE_FROM                                                          \
	" FROM isacd_post_gate($1::uuid, $2::uuid, 'read') g"                  \
	" LEFT JOIN posts p ON p.id = $2::uuid AND g.verdict = 'ok'"

/* $1 user, $2 post → verdict, post json */
struct db_stmt store_post_get = {"post_get", POST_ONE POST_ONE_FROM, 2, 0};

/* $1 user, $2 post, $3 kind, $4 title, $5 body, $6 tlp, $7 severity set,
 * $8 severity, $9 tags, $10 recipients, $11 indicator types, $12 values
 * → verdict, post json */
struct db_stmt store_post_update = {"post_update",
    "SELECT outcome, response"
    " FROM isacd_post_update($1::uuid, $2::uuid, $3, $4, $5, $6,"
    " $7::boolean, $8, $9::text[], $10::uuid[], $11::text[], $12::text[])",
    12, 0};

/* $1 user, $2 post, $3 ip → outcome */
struct db_stmt store_post_delete = {"post_delete",
    "SELECT outcome FROM isacd_post_delete($1::uuid, $2::uuid, $3::inet)", 3,
    0};

/* $1 user, $2 post, $3 target channel, $4 key, $5 hash, $6 ip
 * → outcome, status, location, post json */
struct db_stmt store_post_share = {"post_share",
    "SELECT outcome, http_status, loc, response FROM isacd_post_share("
    "$1::uuid, $2::uuid, $3::uuid, $4, $5, $6::inet)",
    6, 0};

/* $1 user, $2 post, $3 cursor (unused), $4 cursor revision, $5 limit + 1
 * → verdict, revision json, cursor key: newest first, the revisions the
 * post's rule admits the user to when asked of the revision's own TLP and
 * recipients (a post lowered from RED keeps its RED past from its new
 * readers) */
struct db_stmt store_revision_list = {"revision_list",
    "WITH g AS MATERIALIZED ("
    " SELECT * FROM isacd_post_gate($1::uuid, $2::uuid, 'read'))"
    " SELECT g.verdict, x.j, x.k FROM g"
    " LEFT JOIN LATERAL ("
    "  SELECT isacd_revision_json(v, p, $1::uuid, g.role)::text AS j,"
    "   v.revision::text AS k"
    "  FROM post_revisions v JOIN posts p ON p.id = v.post_id"
    "  WHERE v.post_id = $2::uuid AND $3::text IS NULL"
    "   AND isacd_reads_post(g.verdict = 'ok', v.tlp, p.author_id,"
    "    v.recipients, $1::uuid)"
    "   AND ($4::int IS NULL OR v.revision < $4::int)"
    "  ORDER BY v.revision DESC LIMIT $5::int"
    " ) x ON true",
    5, 0};

/* $1 user, $2 post, $3 cursor time, $4 cursor id, $5 limit + 1
 * → verdict, comment json, cursor key; newest first */
struct db_stmt store_comment_list = {"comment_list",
    "WITH g AS MATERIALIZED ("
    " SELECT * FROM isacd_post_gate($1::uuid, $2::uuid, 'read'))"
    " SELECT g.verdict, x.j, x.k FROM g"
    " LEFT JOIN LATERAL ("
    "  SELECT isacd_comment_json(c, p, $1::uuid, g.role, g.access)::text"
    "   AS j, c.created_at::text || '|' || c.id::text AS k"
    "  FROM comments c JOIN posts p ON p.id = c.post_id"
    "  WHERE c.post_id = $2::uuid AND g.verdict = 'ok'"
    "   AND ($3::timestamptz IS NULL"
    "    OR (c.created_at, c.id) < ($3::timestamptz, $4::uuid))"
    "  ORDER BY c.created_at DESC, c.id DESC LIMIT $5::int"
    " ) x ON true",
    5, 0};

/* $1 user, $2 post, $3 body, $4 key, $5 hash
 * → verdict, status, location, comment json */
struct db_stmt store_comment_create = {"comment_create",
    "SELECT outcome, http_status, loc, response FROM isacd_comment_create("
    "$1::uuid, $2::uuid, $3, $4, $5)",
    5, 0};

/* $1 user, $2 post, $3 comment, $4 new body (NULL: delete), $5 ip
 * → verdict, comment json */
struct db_stmt store_comment_change = {"comment_change",
    "SELECT outcome, response FROM isacd_comment_change($1::uuid, $2::uuid,"
    " $3::uuid, $4, $5::inet)",
    5, 0};

/* $1 user, $2 post → verdict, sightings json */
struct db_stmt store_sighting_list = {"sighting_list",
    "SELECT g.verdict, isacd_sightings_json(p, $1::uuid, g.role)::text" POST_ONE_FROM,
    2, 0};

/* $1 user, $2 post, $3 note, $4 key, $5 hash
 * → verdict, status, location, sighting json */
struct db_stmt store_sighting_create = {"sighting_create",
    "SELECT outcome, http_status, loc, response FROM isacd_sighting_create("
    "$1::uuid, $2::uuid, $3, $4, $5)",
    5, 0};

/* an indicator row x the caller may read (rc: the readable channels, the
 * cursor $7, $8): isacd_may_read of the row's copies of its post */
#define INDICATOR_READABLE                                                     \
	"isacd_may_read(x.channel_id, x.tlp, x.author_id, x.recipients,"       \
	" rc.readable, $1::uuid) AND ($7::timestamptz IS NULL"                 \
	" OR (x.created_at, x.post_id) < ($7::timestamptz, $8::uuid))"

/* $1 user, $2 type, $3 value, $4 other type, $5 other value (an IPv4 and
 * its IPv4-mapped IPv6, either way), $6 address for containing CIDRs,
 * $7 cursor time, $8 cursor id, $9 limit + 1
 * → post reference json, cursor key: the posts the user may read that
 *   carry the indicator, newest first */
struct db_stmt store_indicator_posts = {"indicator_posts",
    /* each kind of match comes newest first from post_indicators_value_idx
     * (the CIDRs from their GiST index, then sorted), checked on the
     * index's copies of the post and cut at the page; the three are merged
     * and only the page's posts are read */
    "WITH rc AS MATERIALIZED ("
    " SELECT x.readable FROM isacd_readable($1::uuid) x),"
    " m AS ("
    "  SELECT DISTINCT ON (i.created_at, i.post_id) i.created_at, i.post_id"
    "  FROM ("
    "   (SELECT x.created_at, x.post_id FROM post_indicators x, rc"
    "    WHERE x.type = $2 AND x.value = $3 AND " INDICATOR_READABLE
    "    ORDER BY x.created_at DESC, x.post_id DESC LIMIT $9::int)"
    "   UNION ALL (SELECT x.created_at, x.post_id FROM post_indicators x, rc"
    "    WHERE $4::text IS NOT NULL AND x.type = $4 AND x.value = $5"
    "     AND " INDICATOR_READABLE
    "    ORDER BY x.created_at DESC, x.post_id DESC LIMIT $9::int)"
    "   UNION ALL (SELECT x.created_at, x.post_id FROM post_indicators x, rc"
    "    WHERE $6::inet IS NOT NULL AND x.type = 'cidr'"
    "     AND x.value::inet >>= $6::inet AND " INDICATOR_READABLE
    "    ORDER BY x.created_at DESC, x.post_id DESC LIMIT $9::int)"
    "  ) i ORDER BY i.created_at DESC, i.post_id DESC LIMIT $9::int)"
    " SELECT json_build_object('post', isacd_post_ref_json(p, c, ch),"
    /* (OFFSET 0: the post's own indicators by its key, then the test;
     * else a generic plan ORs three index scans per post) */
    "  'matched', (SELECT json_agg(json_build_object('type', i.type,"
    "   'value', i.value) ORDER BY i.ord) FROM (SELECT * FROM"
    "    post_indicators i WHERE i.post_id = p.id OFFSET 0) i"
    "   WHERE (i.type = $2 AND i.value = $3)"
    "    OR (i.type = $4 AND i.value = $5) OR ($6::inet IS NOT NULL"
    "     AND i.type = 'cidr' AND i.value::inet >>= $6::inet)))::text,"
    " p.created_at::text || '|' || p.id::text"
    " FROM m JOIN posts p ON p.id = m.post_id"
    " JOIN communities c ON c.id = p.community_id"
    " JOIN channels ch ON ch.id = p.channel_id"
    " ORDER BY m.created_at DESC, m.post_id DESC",
    9, 0};

/* $1 user, $2 indexes int[], $3 types, $4 values, $5 other types, $6 other
 * values, $7 addresses (text[], NULL where none)
 * → one row per value: {index, type, value, total, posts: the 20 newest
 *   the user may read} as json text, in index order */
struct db_stmt store_indicator_lookup = {"indicator_lookup",
    /* counted and ordered on post_indicators_value_idx and its copies of
     * the posts: only the posts named are read */
    "WITH rc AS MATERIALIZED ("
    " SELECT x.readable FROM isacd_readable($1::uuid) x),"
    " q AS ("
    " SELECT * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[],"
    "  $6::text[], $7::text[]) AS q (n, type, value, alt_type, alt_value, ip)"
    "), i AS ("
    " SELECT q.n, x.* FROM q JOIN post_indicators x"
    "  ON x.type = q.type AND x.value = q.value"
    " UNION ALL SELECT q.n, x.* FROM q JOIN post_indicators x"
    "  ON x.type = q.alt_type AND x.value = q.alt_value"
    " UNION ALL SELECT q.n, x.* FROM q JOIN post_indicators x"
    "  ON x.type = 'cidr' AND x.value::inet >>= q.ip::inet"
    "  WHERE q.ip IS NOT NULL"
    "), m AS ("
    " SELECT DISTINCT i.n, i.post_id, i.created_at FROM i, rc"
    " WHERE isacd_may_read(i.channel_id, i.tlp, i.author_id, i.recipients,"
    "  rc.readable, $1::uuid)"
    "), r AS ("
    " SELECT m.n, m.post_id,"
    "  row_number() OVER (PARTITION BY m.n ORDER BY m.created_at DESC,"
    "   m.post_id DESC) AS k"
    " FROM m"
    "), t AS ("
    " SELECT n, count(*) AS total FROM r GROUP BY n"
    "), a AS ("
    " SELECT r.n, json_agg(isacd_post_ref_json(p, c, ch) ORDER BY r.k)"
    "  AS posts"
    " FROM r JOIN posts p ON p.id = r.post_id"
    " JOIN communities c ON c.id = p.community_id"
    " JOIN channels ch ON ch.id = p.channel_id"
    " WHERE r.k <= 20 GROUP BY r.n"
    ")"
    " SELECT json_build_object('index', q.n, 'type', q.type, 'value', q.value,"
    "  'total', coalesce(t.total, 0),"
    "  'posts', coalesce(a.posts, '[]'::json))::text"
    " FROM q LEFT JOIN t ON t.n = q.n LEFT JOIN a ON a.n = q.n"
    " ORDER BY q.n",
    7, 0};

/* $1 user, $2 query text, $3 community or NULL, $4 kind, $5 tlp, $6 since,
 * $7 cursor rank, $8 cursor id, $9 limit + 1, $10 and $11 the cursor's
 * window bound (NULL in the first window)
 * → result json (post reference, rank, snippet), cursor key
 *   (rank|id[|time|id]): over the posts the user may read, best first
 *   within windows of the 500 newest matches (isacd_search) */
struct db_stmt store_search = {"search",
    "SELECT j, k FROM isacd_search($1::uuid, $2, $3::uuid, $4, $5,"
    " $6::timestamptz, $7::float4, $8::uuid, $9::int, $10::timestamptz,"
    " $11::uuid)",
    11, 0};

/* $1 user, $2 post → verdict, post json, millisecond created and
 * modified, the author's organisation id, name and creation time (NULL for
 * an anonymous post: the export never names who wrote it) */
struct db_stmt store_post_stix = {"post_stix",
    POST_ONE
    ","
    " isacd_ts_ms(p.created_at), isacd_ts_ms(p.updated_at),"
    " CASE WHEN NOT p.anonymous THEN o.id END,"
    " CASE WHEN NOT p.anonymous THEN o.name END,"
    " CASE WHEN NOT p.anonymous THEN isacd_ts_ms(o.created_at) END" POST_ONE_FROM
    " LEFT JOIN users u ON u.id = p.author_id"
    " LEFT JOIN organisations o ON o.id = u.organisation_id",
    2, 0};
