-- realtime_seed.sql: the data set of tests/bench/realtime.sh.
--
-- One community with eleven community-wide channels ('hot', the channel of
-- the fan-out, and 'ten 1' .. 'ten 10'), :n subscribers who are members
-- (each its own user, so an event's audience is :n users to ask about) and
-- one writer, each with a session whose bearer token is known:
-- 'isacd_s_' || lpad(i, 43, '0') for subscriber i, and lpad('w', 43, 'w')
-- for the writer (the shape auth_parse_bearer accepts, stored as
-- SHA-256 as a login would store it).  The tokens are written to the file
-- :'tokens', one a line.
\set ON_ERROR_STOP 1
SET synchronous_commit = off;

INSERT INTO organisations (name, sector, country) VALUES ('RT Bench Org', 'bench', 'NL');
INSERT INTO users (email, display_name, organisation_id, password_hash)
SELECT 'sub' || g || '@rt.example', 'Subscriber ' || g,
	(SELECT id FROM organisations WHERE name = 'RT Bench Org'), 'x'
FROM generate_series(1, :n) g;
INSERT INTO users (email, display_name, organisation_id, password_hash)
VALUES ('writer@rt.example', 'Writer', (SELECT id FROM organisations WHERE name = 'RT Bench Org'), 'x');
INSERT INTO communities (name, kind) VALUES ('RT Bench', 'sector');
INSERT INTO channels (community_id, name, visibility, posting)
SELECT (SELECT id FROM communities WHERE name = 'RT Bench'), c, 'community', 'members'
FROM unnest(ARRAY['hot', 'ten 1', 'ten 2', 'ten 3', 'ten 4', 'ten 5', 'ten 6', 'ten 7',
	'ten 8', 'ten 9', 'ten 10']) c;
-- a transaction writes at most 4,095 events (one member.joined each):
-- 4,000 memberships a statement
CREATE TEMP TABLE mu AS
SELECT row_number() OVER (ORDER BY email) AS n, id,
	CASE WHEN email = 'writer@rt.example' THEN 'owner' ELSE 'member' END AS role
FROM users WHERE email LIKE '%@rt.example';
SELECT format('INSERT INTO memberships (community_id, user_id, role)
	SELECT (SELECT id FROM communities WHERE name = %L), id, role FROM mu
	WHERE n > %s AND n <= %s', 'RT Bench', g, g + 4000)
FROM generate_series(0, (SELECT count(*) FROM mu), 4000) g \gexec

CREATE TEMP TABLE tok AS
SELECT u.id AS user_id, CASE WHEN u.email = 'writer@rt.example' THEN 'isacd_s_' || lpad('w', 43, 'w')
	ELSE 'isacd_s_' || lpad(substring(u.email from '[0-9]+'), 43, '0') END AS token,
	coalesce(substring(u.email from '[0-9]+')::int, 0) AS n
FROM users u WHERE u.email LIKE '%@rt.example';
INSERT INTO sessions (user_id, token_hash, expires_at)
SELECT user_id, encode(sha256(convert_to(token, 'UTF8')), 'hex'), now() + interval '1 day' FROM tok;
\o :tokens
\pset format unaligned
\pset tuples_only on
SELECT token FROM tok WHERE n > 0 ORDER BY n;
\o
VACUUM ANALYZE;
