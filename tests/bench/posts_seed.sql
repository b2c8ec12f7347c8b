-- posts_seed.sql: the data set of tests/bench/posts.sh, in our own schema.
--
-- 50 communities with 20 channels each (1,000 channels: 18 community-wide,
-- 2 restricted, in each), 20 organisations, 400 authors, one bench member
-- in 20 of the communities who reads one restricted channel of each, and
-- one bench reader in one community (community 2: 2% of the posts).
-- 1,000,000 posts: channel 1 holds exactly one, channel 2 is the biggest
-- (50,000), the rest are spread evenly; TLPs mixed (5 % TLP:RED with two
-- recipients, of whom the bench member is one in half of them); bodies of
-- 500 bytes; every title says "phishing" (a common word), one in 50 has
-- each tag tag0..tag49; rare words: "narwhal" in one title, "zeppelin" in
-- ten, "walrus" in 100, and "kraken" (~950) and "basilisk" (~14,000) only
-- in communities neither bench user is in; 3 indicators per post from a
-- pool in which values repeat across communities, plus one value in
-- exactly 5,000 posts and one in exactly one.  Loaded with plain SQL, then
-- ANALYZE.
\set ON_ERROR_STOP 1
SET synchronous_commit = off;
SET maintenance_work_mem = '256MB';

-- bulk loading is faster without the post and indicator indexes: keep
-- their definitions (as the migrations made them), drop, load, make again
CREATE TEMP TABLE saved_indexes AS
SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS def
FROM pg_index WHERE indrelid IN ('posts'::regclass, 'post_indicators'::regclass)
	AND NOT indisprimary;
DO $$ DECLARE i record; BEGIN
	FOR i IN SELECT name FROM saved_indexes LOOP
		EXECUTE 'DROP INDEX ' || i.name;
	END LOOP;
END $$;

INSERT INTO organisations (name, sector, country)
SELECT 'Bench Org ' || g, 'sector ' || (g % 5), 'NL' FROM generate_series(1, 20) g;

CREATE TEMP TABLE bo AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM organisations;
-- the same (pre-computed) argon2id hash for everyone: the bench logs in once
INSERT INTO users (email, display_name, organisation_id, password_hash)
SELECT 'author' || g || '@bench.example', 'Author ' || g,
	(SELECT id FROM bo WHERE n = 1 + g % 20), :'hash'
FROM generate_series(1, 400) g;
INSERT INTO users (email, display_name, organisation_id, password_hash)
VALUES ('member@bench.example', 'Bench Member', (SELECT id FROM bo WHERE n = 1), :'hash'),
	('few@bench.example', 'Bench Reader', (SELECT id FROM bo WHERE n = 2), :'hash');

INSERT INTO communities (name, kind, listed)
SELECT 'Bench Cluster ' || g, 'sector', g % 2 = 0 FROM generate_series(1, 50) g;
-- numbered as named ('Bench Cluster 7' is n = 7, 'channel 2' is channel 2):
-- posts.sh finds its channels by name
CREATE TEMP TABLE bc AS
SELECT row_number() OVER (ORDER BY substring(name from '[0-9]+')::int) AS n, id
FROM communities;

INSERT INTO channels (community_id, name, visibility, posting)
SELECT bc.id, 'channel ' || k, CASE WHEN k > 18 THEN 'restricted' ELSE 'community' END,
	'members'
FROM bc, generate_series(1, 20) k;
CREATE TEMP TABLE bch AS
SELECT row_number() OVER (ORDER BY c.n, substring(ch.name from '[0-9]+')::int) AS n,
	ch.id, ch.community_id, ch.visibility
FROM channels ch JOIN bc c ON c.id = ch.community_id;

INSERT INTO memberships (community_id, user_id, role)
SELECT bc.id, u.id, CASE
	WHEN u.email IN ('member@bench.example', 'few@bench.example') THEN 'member'
	WHEN (substring(u.email from '[0-9]+')::int % 10) = 0 THEN 'moderator'
	ELSE 'member' END
FROM bc JOIN users u ON u.email LIKE '%@bench.example'
	AND ((u.email = 'member@bench.example' AND bc.n <= 20)
		OR (u.email = 'few@bench.example' AND bc.n = 2)
		OR (substring(u.email from '[0-9]+')::int % 50) = bc.n % 50);
INSERT INTO channel_readers (channel_id, user_id)
SELECT bch.id, u.id FROM bch, users u
WHERE u.email = 'member@bench.example' AND bch.visibility = 'restricted'
	AND bch.n % 20 = 19;

CREATE TEMP TABLE authors AS
SELECT row_number() OVER (ORDER BY id) AS n, id FROM users
WHERE email LIKE 'author%@bench.example';

-- the indicator values of post g (an IPv4 from a pool of 200,000, a
-- domain from 100,000, a sha256 from 500,000), computed once, so that the
-- search vector can hold them from the start
CREATE TEMP TABLE iv AS
SELECT g, md5('bench post ' || g)::uuid AS id,
	ARRAY['10.' || (h % 200000 / 65536) || '.' || (h % 65536 / 256) || '.' || (h % 256),
		'host' || (h % 100000) || '.example.net',
		encode(sha256(convert_to('v' || (h % 500000), 'UTF8')), 'hex')] AS v
FROM (SELECT g, abs(hashtext('bench post ' || g)) AS h
	FROM generate_series(1, 1000000) g) x;

-- the posts and their indicators go in without triggers: their events
-- (at most 4,095 a transaction) and copies are not wanted here, and the
-- search vector and the indicators' copies of their post are made below
SET session_replication_role = replica;

-- channel numbers: post 1 goes to channel 1 alone; posts 2..50001 to
-- channel 2; the rest round-robin over channels 3..1000
INSERT INTO posts (id, community_id, channel_id, author_id, kind, title, body,
	tlp, tags, recipients, anonymous, created_at, updated_at, search)
SELECT iv.id, ch.community_id, ch.id, a.id,
	(ARRAY['incident','vulnerability','advisory','indicators','question','discussion'])[1 + g % 6],
	t.title,
	repeat('Lorem ipsum dolor sit amet, attackers used phishing mails. ', 8),
	t.tlp,
	ARRAY['bench', 'tag' || (g % 50)],
	CASE WHEN t.tlp = 'TLP:RED' THEN ARRAY[(SELECT id FROM users WHERE email =
		CASE WHEN g % 2 = 0 THEN 'member@bench.example' ELSE 'author1@bench.example' END),
		a.id] ELSE '{}' END,
	g % 17 = 0,
	now() - make_interval(secs => 1000000 - g),
	now() - make_interval(secs => 1000000 - g),
	-- isacd_search_vector, with the body's part (the same for every post
	-- here) computed once
	isacd_search_words(t.title, 'A')
		|| setweight(to_tsvector('simple', 'bench tag' || (g % 50) || ' '
			|| array_to_string(iv.v, ' ')), 'B')
		|| bodyv.v
FROM iv
CROSS JOIN (SELECT isacd_search_words(repeat('Lorem ipsum dolor sit amet, '
	|| 'attackers used phishing mails. ', 8), 'C') AS v) bodyv
CROSS JOIN LATERAL (SELECT CASE WHEN g = 1 THEN 1 WHEN g <= 50001 THEN 2
	ELSE 3 + (g % 998) END AS cn) x
JOIN bch ch ON ch.n = x.cn
JOIN authors a ON a.n = 1 + g % 400
CROSS JOIN LATERAL (SELECT CASE WHEN g % 20 = 0 THEN 'TLP:RED'
	WHEN g % 5 = 0 THEN 'TLP:AMBER' WHEN g % 7 = 0 THEN 'TLP:AMBER+STRICT'
	WHEN g % 3 = 0 THEN 'TLP:CLEAR' ELSE 'TLP:GREEN' END AS tlp,
	'Bench post ' || g || ' about phishing and ransomware'
		|| CASE WHEN g % 100000 = 7 THEN ' seen near a zeppelin' ELSE '' END
		|| CASE WHEN g = 30001 THEN ' and a narwhal' ELSE '' END
		|| CASE WHEN g % 10000 = 13 THEN ' and a walrus' ELSE '' END
		-- past channel 2, channels 401.. are in communities 21..50, which
		-- neither bench reader is in: matches they may never read, ~950
		-- and ~14,000 of them
		|| CASE WHEN g > 50001 AND g % 998 = 500 THEN ' and a kraken'
			ELSE '' END
		|| CASE WHEN g > 50001 AND g % 998 >= 398 AND g % 40 = 1
			THEN ' and a basilisk' ELSE '' END
		AS title) t;

INSERT INTO post_indicators (post_id, ord, type, value, community_id, channel_id,
	created_at, tlp, author_id, recipients)
SELECT p.id, k, (ARRAY['ipv4', 'domain', 'sha256'])[k], iv.v[k],
	p.community_id, p.channel_id, p.created_at, p.tlp, p.author_id, p.recipients
FROM iv JOIN posts p ON p.id = iv.id, generate_series(1, 3) k;
-- a value in exactly 5,000 posts (across communities) and one in one post
UPDATE post_indicators SET value = '198.51.100.77'
WHERE ord = 1 AND post_id IN (SELECT id FROM posts ORDER BY id LIMIT 5000);
UPDATE post_indicators SET value = '203.0.113.201'
WHERE ord = 1 AND post_id = (SELECT id FROM posts ORDER BY id DESC LIMIT 1);

RESET session_replication_role;

DO $$ DECLARE i record; BEGIN
	FOR i IN SELECT def FROM saved_indexes LOOP
		EXECUTE i.def;
	END LOOP;
END $$;
VACUUM ANALYZE;
