-- purge_seed.sql: the data set of tests/bench/purge.sh, in our own schema,
-- as posts_seed.sql builds its own (plain SQL, indexes made after, ANALYZE).
--
-- :n posts (psql -v n=...) over 10 communities of 10 channels each, by 100
-- authors in 5 organisations; each community keeps posts 365 days.  Every
-- other post is 400 days old (due), the rest are an hour old or younger
-- (kept).  What hangs off each post, as a busy cluster has it: 3
-- indicators, one comment, and for one post in ten a revision and a
-- sighting; 5 % are TLP:RED with two recipients; bodies of 500 bytes.
\set ON_ERROR_STOP 1
SET synchronous_commit = off;
SET maintenance_work_mem = '256MB';
-- no triggers while loading (the events of post.created and the copies to
-- indicators, made here by hand): the bench runs as the superuser
SET session_replication_role = replica;

CREATE TEMP TABLE saved_indexes AS
SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS def
FROM pg_index WHERE indrelid IN ('posts'::regclass, 'post_indicators'::regclass,
		'comments'::regclass)
	AND NOT indisprimary;
DO $$ DECLARE i record; BEGIN
	FOR i IN SELECT name FROM saved_indexes LOOP
		EXECUTE 'DROP INDEX ' || i.name;
	END LOOP;
END $$;

INSERT INTO organisations (name, sector, country)
SELECT 'Purge Org ' || g, 'energy', 'NL' FROM generate_series(1, 5) g;
CREATE TEMP TABLE bo AS SELECT row_number() OVER (ORDER BY id) AS n, id
FROM organisations WHERE name LIKE 'Purge Org %';
INSERT INTO users (email, display_name, organisation_id, password_hash)
SELECT 'author' || g || '@purge.example', 'Author ' || g,
	(SELECT id FROM bo WHERE n = 1 + g % 5), :'hash'
FROM generate_series(1, 100) g;
CREATE TEMP TABLE authors AS
SELECT row_number() OVER (ORDER BY id) AS n, id, organisation_id FROM users
WHERE email LIKE 'author%@purge.example';

INSERT INTO communities (name, kind, listed, retention_days)
SELECT 'Purge Cluster ' || g, 'sector', true, 365 FROM generate_series(1, 10) g;
CREATE TEMP TABLE bc AS SELECT row_number() OVER (ORDER BY id) AS n, id
FROM communities WHERE name LIKE 'Purge Cluster %';
INSERT INTO channels (community_id, name, visibility, posting)
SELECT bc.id, 'channel ' || k, 'community', 'members'
FROM bc, generate_series(1, 10) k;
CREATE TEMP TABLE bch AS SELECT row_number() OVER (ORDER BY id) AS n, id,
	community_id FROM channels WHERE name LIKE 'channel %';
INSERT INTO memberships (community_id, user_id, role)
SELECT bc.id, a.id, CASE WHEN a.n % 10 = 0 THEN 'owner' ELSE 'member' END
FROM bc, authors a;

CREATE TEMP TABLE g AS
SELECT g, md5('purge post ' || g)::uuid AS id,
	1 + g % 100 AS cn, 1 + g % 100 AS an,
	CASE WHEN g % 2 = 1 THEN now() - interval '400 days' - make_interval(secs => g)
		ELSE now() - make_interval(secs => g % 3600) END AS at,
	CASE WHEN g % 20 = 0 THEN 'TLP:RED' WHEN g % 5 = 0 THEN 'TLP:AMBER'
		WHEN g % 3 = 0 THEN 'TLP:CLEAR' ELSE 'TLP:GREEN' END AS tlp
FROM generate_series(1, :n) g;

INSERT INTO posts (id, community_id, channel_id, author_id, kind, title, body,
	tlp, tags, recipients, created_at, updated_at, revision, search)
SELECT g.id, ch.community_id, ch.id, a.id, 'incident',
	'Purge post ' || g.g || ' about phishing',
	repeat('Lorem ipsum dolor sit amet, attackers used phishing mails. ', 8),
	g.tlp, ARRAY['bench'],
	CASE WHEN g.tlp = 'TLP:RED' THEN ARRAY[a.id,
		(SELECT id FROM authors WHERE n = 1 + (g.an + 1) % 100)] ELSE '{}' END,
	g.at, g.at, CASE WHEN g.g % 10 = 0 THEN 1 ELSE 0 END,
	to_tsvector('simple', 'purge post ' || g.g || ' about phishing')
FROM g JOIN bch ch ON ch.n = g.cn JOIN authors a ON a.n = g.an;

INSERT INTO post_indicators (post_id, ord, type, value, community_id, channel_id,
	created_at, tlp, author_id, recipients)
SELECT p.id, k, (ARRAY['ipv4', 'domain', 'sha256'])[k],
	(ARRAY['10.' || (h % 250) || '.' || (h / 250 % 250) || '.' || (h / 62500 % 250),
		'host' || (h % 100000) || '.example.net',
		encode(sha256(convert_to('v' || h, 'UTF8')), 'hex')])[k],
	p.community_id, p.channel_id, p.created_at, p.tlp, p.author_id, p.recipients
FROM posts p CROSS JOIN LATERAL (SELECT abs(hashtext(p.id::text)::bigint) AS h) x,
	generate_series(1, 3) k;

INSERT INTO comments (post_id, author_id, body, created_at, updated_at)
SELECT p.id, p.author_id, 'Seen here too; blocked at the edge.', p.created_at,
	p.created_at
FROM posts p;

INSERT INTO post_revisions (post_id, revision, editor_id, edited_at, kind, title,
	body, tlp, severity, tags, recipients)
SELECT p.id, 1, p.author_id, p.created_at, p.kind, p.title || ' (draft)', p.body,
	p.tlp, NULL, p.tags, p.recipients
FROM posts p WHERE p.revision = 1;

INSERT INTO sightings (post_id, organisation_id, user_id, note, created_at)
SELECT p.id, a.organisation_id, a.id, 'seen', p.created_at
FROM posts p JOIN authors a ON a.id = p.author_id WHERE p.revision = 1;

DO $$ DECLARE i record; BEGIN
	FOR i IN SELECT def FROM saved_indexes LOOP
		EXECUTE i.def;
	END LOOP;
END $$;

SET session_replication_role = origin;

-- the baseline: a plain table of as many rows, as old, with a key and
-- 500-byte rows, and nothing hanging off them
CREATE TABLE bench_plain (id uuid PRIMARY KEY, created_at timestamptz NOT NULL,
	body text NOT NULL);
INSERT INTO bench_plain SELECT g.id, g.at, repeat('x', 500) FROM g;
CREATE INDEX ON bench_plain (created_at);
VACUUM ANALYZE;
