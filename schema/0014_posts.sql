-- 0014_posts.sql: threat posts with TLP 2.0 enforced as their audience,
-- their revisions, comments, sightings and indicators; the events the
-- realtime layer will read; idempotency keys.
--
-- "May this user read post P" is defined here once, on top of
-- isacd_channel_rights (0012): the user may read the post's channel, and
-- the post's TLP admits the user (isacd_tlp_admits: TLP:RED only for its
-- author and its recipients -- not moderators, owners or staff).
-- isacd_post_rights(user) is that definition as an inlinable table; a list
-- inside one channel uses the channel's rights as its gate and
-- isacd_tlp_admits on each row, which is the same definition in the shape
-- an index scan in created_at order can serve.

CREATE TABLE posts (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
	channel_id uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
	author_id uuid REFERENCES users (id) ON DELETE SET NULL,
	kind text NOT NULL CHECK (kind IN ('incident', 'vulnerability',
		'advisory', 'indicators', 'question', 'discussion')),
	title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
	body text NOT NULL CHECK (octet_length(body) <= 65536),
	tlp text NOT NULL CHECK (tlp IN ('TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER',
		'TLP:AMBER+STRICT', 'TLP:RED')),
	severity text CHECK (severity IN ('info', 'low', 'medium', 'high',
		'critical')),
	tags text[] NOT NULL DEFAULT '{}',
	anonymous boolean NOT NULL DEFAULT false,
	-- TLP:RED only: who may read it besides the author
	recipients uuid[] NOT NULL DEFAULT '{}',
	CHECK ((tlp = 'TLP:RED') = (cardinality(recipients) > 0)),
	-- a cross-post points at the post it was shared from
	shared_from uuid REFERENCES posts (id) ON DELETE SET NULL,
	revision integer NOT NULL DEFAULT 0,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
-- the page of a channel, newest first, never grows with the channel
CREATE INDEX posts_channel_idx ON posts (channel_id, created_at DESC, id DESC);
CREATE INDEX posts_author_idx ON posts (author_id);
-- newest first across channels: search walks it when a word is common
CREATE INDEX posts_created_idx ON posts (created_at DESC, id DESC);
CREATE INDEX posts_shared_idx ON posts (shared_from) WHERE shared_from IS NOT NULL;

-- every edit keeps what was there before it
CREATE TABLE post_revisions (
	post_id uuid NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
	revision integer NOT NULL,
	editor_id uuid REFERENCES users (id) ON DELETE SET NULL,
	edited_at timestamptz NOT NULL DEFAULT now(),
	kind text NOT NULL,
	title text NOT NULL,
	body text NOT NULL,
	tlp text NOT NULL,
	severity text,
	tags text[] NOT NULL,
	recipients uuid[] NOT NULL,
	PRIMARY KEY (post_id, revision)
);

CREATE TABLE comments (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	post_id uuid NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
	author_id uuid REFERENCES users (id) ON DELETE SET NULL,
	body text NOT NULL CHECK (length(body) >= 1 AND octet_length(body) <= 16384),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comments_post_idx ON comments (post_id, created_at DESC, id DESC);

-- "we saw this too": one per organisation and post
CREATE TABLE sightings (
	post_id uuid NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
	organisation_id uuid NOT NULL REFERENCES organisations (id),
	user_id uuid REFERENCES users (id) ON DELETE SET NULL,
	note text CHECK (note IS NULL OR octet_length(note) <= 1024),
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (post_id, organisation_id)
);

-- indicators of a post, normalised (domain/indicator.c), with copies of
-- what of the post decides who may read it: its community and channel, its
-- creation time, TLP, author and recipients.  Correlation then reads one
-- index, in time order, and asks isacd_may_read of the copies, touching
-- posts only for the page it shows.  Today only the TLP and the recipients
-- change after a post is made; whatever changes, a trigger on posts copies
-- it in the same statement (posts_copy_to_indicators), so that a copy is
-- never staler than the post.
CREATE TABLE post_indicators (
	post_id uuid NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
	ord integer NOT NULL,
	type text NOT NULL CHECK (type IN ('ipv4', 'ipv6', 'cidr', 'domain',
		'url', 'email', 'md5', 'sha1', 'sha256', 'cve')),
	value text NOT NULL CHECK (length(value) BETWEEN 1 AND 2048),
	community_id uuid NOT NULL,
	channel_id uuid NOT NULL,
	created_at timestamptz NOT NULL,
	tlp text NOT NULL,
	author_id uuid NOT NULL,
	recipients uuid[] NOT NULL,
	PRIMARY KEY (post_id, ord)
);
-- (everything isacd_may_read needs is in the index: counts are
-- index-only, and a value's posts come newest first)
CREATE INDEX post_indicators_value_idx ON post_indicators
	(type, value, created_at DESC, post_id DESC)
	INCLUDE (channel_id, tlp, author_id, recipients);

CREATE FUNCTION isacd_posts_copy_to_indicators() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE post_indicators SET community_id = NEW.community_id,
		channel_id = NEW.channel_id, tlp = NEW.tlp, author_id = NEW.author_id,
		recipients = NEW.recipients
	WHERE post_id = NEW.id;
	RETURN NULL;
END
$$;
CREATE TRIGGER posts_copy_to_indicators
	AFTER UPDATE OF community_id, channel_id, tlp, author_id, recipients
	ON posts FOR EACH ROW
	WHEN ((OLD.community_id, OLD.channel_id, OLD.tlp, OLD.author_id,
		OLD.recipients) IS DISTINCT FROM (NEW.community_id, NEW.channel_id,
		NEW.tlp, NEW.author_id, NEW.recipients))
	EXECUTE FUNCTION isacd_posts_copy_to_indicators();

-- the per-channel sequence of events: assigned under the channel's row
-- lock, so that commit order and seq order agree
ALTER TABLE channels ADD COLUMN event_seq bigint NOT NULL DEFAULT 0;

CREATE TABLE events (
	channel_id uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
	seq bigint NOT NULL,
	type text NOT NULL,
	post_id uuid,
	comment_id uuid,
	organisation_id uuid,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (channel_id, seq)
);
CREATE INDEX events_created_idx ON events (created_at);

-- Idempotency-Key: a retry with the same key and body gets the first
-- answer; kept 24 hours, per user, in the same transaction as what the
-- first request created
CREATE TABLE idempotency_keys (
	user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
	request_hash text NOT NULL,
	status integer NOT NULL,
	response text NOT NULL,
	location text,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- ---- may this user read post P: the one definition -------------------------

-- The TLP part: TLP:RED admits its author and its recipients only.
CREATE FUNCTION isacd_tlp_admits(p_tlp text, p_author uuid,
	p_recipients uuid[], p_user uuid) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT p_tlp <> 'TLP:RED' OR p_author = p_user OR p_user = ANY (p_recipients)
$$;

-- The posts a user may know of, with what the user may do in their
-- channel: readable ones have access 'read', 'post' or 'moderate'; a
-- suspended member or one missing TOTP sees the standing instead (403).
-- A post outside the set does not exist for the user.
CREATE FUNCTION isacd_post_rights(p_user uuid)
RETURNS TABLE (post_id uuid, channel_id uuid, community_id uuid, role text,
	access text)
LANGUAGE sql STABLE AS $$
	SELECT p.id, r.channel_id, r.community_id, r.role, r.access
	FROM isacd_channel_rights(p_user) r
	JOIN posts p ON p.channel_id = r.channel_id
	WHERE isacd_tlp_admits(p.tlp, p.author_id, p.recipients, p_user)
$$;

-- The same definition for many posts at once (search, correlation, the bulk
-- lookup, seen_in): the channels the user may read, computed once per
-- statement, and a check per post that needs no other table.  A post P is
-- readable exactly when isacd_may_read(P, isacd_readable_channels(user))
-- holds, which is isacd_post_rights with a readable access: the same
-- channel rights and the same TLP rule.  The set is a jsonb object keyed
-- by channel id, whose keys PostgreSQL keeps sorted: a check is a binary
-- search (~0.3 us among 400 channels, where = ANY of an array parameter
-- compares with every element, ~2.5 us), and since no index answers
-- "constant ? column", it stays a filter on the rows the selective part
-- of a query found, never a scan of every post of every readable channel.
CREATE FUNCTION isacd_readable_channels(p_user uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_object_agg(r.channel_id, true), '{}')
	FROM isacd_channel_rights(p_user) r
	WHERE r.access IN ('read', 'post', 'moderate')
$$;

CREATE FUNCTION isacd_may_read(p_channel uuid, p_tlp text, p_author uuid,
	p_recipients uuid[], p_readable jsonb, p_user uuid) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT p_readable ? p_channel::text
		AND isacd_tlp_admits(p_tlp, p_author, p_recipients, p_user)
$$;

-- Whether a reader sees who wrote something on a post: always, unless the
-- post is anonymous and it is the post's author's; then only the author
-- and the community's moderators and owners (accountability) do.
CREATE FUNCTION isacd_shows_author(p_anonymous boolean, p_post_author uuid,
	p_writer uuid, p_user uuid, p_role text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT NOT p_anonymous OR p_writer IS DISTINCT FROM p_post_author
		OR p_writer = p_user OR p_role IN ('owner', 'moderator')
$$;

CREATE FUNCTION isacd_author_json(p_user uuid) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object('id', u.id, 'display_name', u.display_name,
		'organisation', isacd_org_ref(u.organisation_id))
	FROM users u WHERE u.id = p_user
$$;

CREATE FUNCTION isacd_comment_json(c comments, p posts, p_user uuid,
	p_role text, p_access text) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'id', c.id,
		'post_id', c.post_id,
		'author', CASE WHEN isacd_shows_author(p.anonymous, p.author_id,
				c.author_id, p_user, p_role)
			THEN isacd_author_json(c.author_id) END,
		'body', c.body,
		'created_at', isacd_ts(c.created_at),
		'updated_at', isacd_ts(c.updated_at),
		'can_edit', c.author_id = p_user,
		'can_delete', c.author_id = p_user OR p_access = 'moderate')
$$;

-- A revision is what the post said before an edit; it is shown only to
-- those its own TLP admitted (a post lowered from RED keeps its RED past
-- from its new readers).
CREATE FUNCTION isacd_revision_json(v post_revisions, p posts, p_user uuid,
	p_role text) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'revision', v.revision,
		'edited_at', isacd_ts(v.edited_at),
		'editor', CASE WHEN isacd_shows_author(p.anonymous, p.author_id,
				v.editor_id, p_user, p_role)
			THEN isacd_author_json(v.editor_id) END,
		'kind', v.kind,
		'title', v.title,
		'body', v.body,
		'tlp', v.tlp,
		'severity', v.severity,
		'tags', to_json(v.tags),
		'recipients', CASE WHEN v.tlp = 'TLP:RED' THEN to_json(v.recipients)
			END)
$$;

-- ---- events --------------------------------------------------------------

-- One event of a channel, its seq taken under the channel's row lock: a
-- second writer to the channel waits for this transaction, so seq order is
-- commit order.  Returns the seq.
CREATE FUNCTION isacd_event(p_channel uuid, p_type text, p_post uuid,
	p_comment uuid, p_org uuid) RETURNS bigint
LANGUAGE sql AS $$
	WITH s AS (
		UPDATE channels SET event_seq = event_seq + 1 WHERE id = p_channel
		RETURNING event_seq
	)
	INSERT INTO events (channel_id, seq, type, post_id, comment_id,
		organisation_id)
	SELECT p_channel, s.event_seq, p_type, p_post, p_comment, p_org FROM s
	RETURNING seq
$$;

-- ---- idempotency ---------------------------------------------------------

-- Begin a creating request with an Idempotency-Key: 'new' (go on; the
-- key's transaction lock is held until commit), 'replay' (status, location
-- and response of the first request), 'mismatch' (the key was used with
-- another body: 422), 'busy' (the first request is still in flight: 409).
CREATE FUNCTION isacd_idem_begin(p_user uuid, p_key text, p_hash text,
	OUT outcome text, OUT status integer, OUT location text,
	OUT response text)
LANGUAGE plpgsql AS $$
DECLARE
	k idempotency_keys;
BEGIN
	IF NOT pg_try_advisory_xact_lock(hashtextextended(p_user::text || ':'
		|| p_key, 7)) THEN
		outcome := 'busy'; RETURN;
	END IF;
	DELETE FROM idempotency_keys
	WHERE user_id = p_user AND key = p_key
		AND created_at < now() - interval '24 hours';
	SELECT * INTO k FROM idempotency_keys
	WHERE user_id = p_user AND key = p_key;
	IF NOT FOUND THEN
		outcome := 'new'; RETURN;
	END IF;
	IF k.request_hash <> p_hash THEN
		outcome := 'mismatch'; RETURN;
	END IF;
	outcome := 'replay';
	status := k.status;
	location := k.location;
	response := k.response;
END
$$;

CREATE FUNCTION isacd_idem_store(p_user uuid, p_key text, p_hash text,
	p_status integer, p_location text, p_response text) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO idempotency_keys (user_id, key, request_hash, status,
		location, response)
	SELECT p_user, p_key, p_hash, p_status, p_location, p_response
	WHERE p_key IS NOT NULL
$$;

-- ---- search ----------------------------------------------------------------
--
-- A post's search vector holds its title (weight A), tags and indicator
-- values (B) and body (C), title and body stemmed as English and as Dutch,
-- tags and indicator values kept as they are ('simple').  Dutch inflection
-- doubles a consonant after a short vowel (aanval, aanvallen); the Snowball
-- stemmer keeps it (aanval, aanvall), so both the vector and the query
-- undouble a final consonant pair of Dutch stems.  Who may find a post is,
-- as for every set of posts, isacd_may_read.

ALTER TABLE posts ADD COLUMN search tsvector NOT NULL DEFAULT ''::tsvector;
CREATE INDEX posts_search_idx ON posts USING gin (search);

-- CIDR indicators that contain an address: inet containment (>>=)
CREATE INDEX post_indicators_cidr_idx ON post_indicators
	USING gist ((value::inet) inet_ops) WHERE type = 'cidr';

-- Dutch stems with a final doubled consonant undoubled, positions kept.
CREATE FUNCTION isacd_nl_vector(p_text text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT coalesce(string_agg('''' || replace(replace(regexp_replace(
			v.lexeme, '([bcdfghjklmnpqrstvwxz])\1$', '\1'), '\', '\\'),
			'''', '''''') || ''':' || array_to_string(v.positions, ','), ' ')
			::tsvector, ''::tsvector)
	FROM unnest(to_tsvector('dutch', p_text)) v
	WHERE v.positions IS NOT NULL
$$;

-- The words of one text, stemmed as English and as Dutch, at one weight.
CREATE FUNCTION isacd_search_words(p_text text, p_weight "char")
RETURNS tsvector
LANGUAGE sql IMMUTABLE AS $$
	SELECT setweight(to_tsvector('english', p_text), p_weight)
		|| setweight(isacd_nl_vector(p_text), p_weight)
$$;

CREATE FUNCTION isacd_search_vector(p_title text, p_body text,
	p_tags text[], p_values text[]) RETURNS tsvector
LANGUAGE sql IMMUTABLE AS $$
	SELECT isacd_search_words(p_title, 'A')
		|| setweight(to_tsvector('simple', array_to_string(p_tags, ' ')
			|| ' ' || array_to_string(coalesce(p_values, '{}'), ' ')), 'B')
		|| isacd_search_words(p_body, 'C')
$$;

-- websearch syntax (words, "phrases", -excluded), in English, in Dutch
-- (undoubled as the vector is) and as written; a form equal to another is
-- left out (it would match nothing more, and the planner would count its
-- words two or three times over when it estimates how many posts match).
CREATE FUNCTION isacd_search_query(p_q text) RETURNS tsquery
LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT CASE WHEN x.en = x.nl AND x.nl = x.si THEN x.en
		WHEN x.en = x.nl OR x.nl = x.si THEN x.en || x.si
		WHEN x.en = x.si THEN x.en || x.nl
		ELSE x.en || x.nl || x.si END
	FROM (SELECT websearch_to_tsquery('english', p_q) AS en,
		regexp_replace(websearch_to_tsquery('dutch', p_q)::text,
			'([bcdfghjklmnpqrstvwxz])\1''', '\1''', 'g')::tsquery AS nl,
		websearch_to_tsquery('simple', p_q) AS si) x
$$;

-- ---- correlation -----------------------------------------------------------

-- How many other posts the user may read carry this indicator
-- (p_readable: isacd_readable_channels of the user): an index-only count,
-- isacd_may_read asked of the indicator row's copies of the post.
CREATE FUNCTION isacd_seen_in(p_user uuid, p_readable jsonb, p_post uuid,
	p_type text, p_value text) RETURNS bigint
LANGUAGE sql STABLE AS $$
	SELECT count(*) FROM post_indicators j
	WHERE j.type = p_type AND j.value = p_value AND j.post_id <> p_post
		AND isacd_may_read(j.channel_id, j.tlp, j.author_id, j.recipients,
			p_readable, p_user)
$$;

-- A post as the user sees it (role and access from isacd_post_rights),
-- with, per indicator, how many other posts the user may read carry it.
CREATE FUNCTION isacd_post_json(p posts, p_user uuid, p_role text,
	p_access text, p_readable jsonb) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'id', p.id,
		'community_id', p.community_id,
		'channel_id', p.channel_id,
		'kind', p.kind,
		'title', p.title,
		'body', p.body,
		'tlp', p.tlp,
		'severity', p.severity,
		'tags', to_json(p.tags),
		'indicators', coalesce((SELECT json_agg(json_build_object(
				'type', i.type, 'value', i.value,
				'seen_in', isacd_seen_in(p_user, p_readable, p.id, i.type,
					i.value))
				ORDER BY i.ord)
			FROM post_indicators i WHERE i.post_id = p.id), '[]'::json),
		'anonymous', p.anonymous,
		'author', CASE WHEN isacd_shows_author(p.anonymous, p.author_id,
				p.author_id, p_user, p_role)
			THEN isacd_author_json(p.author_id) END,
		'recipients', CASE WHEN p.tlp = 'TLP:RED' THEN to_json(p.recipients)
			END,
		'shared_from', CASE WHEN p.shared_from IS NOT NULL AND EXISTS (
				SELECT 1 FROM posts o WHERE o.id = p.shared_from
					AND isacd_may_read(o.channel_id, o.tlp, o.author_id,
						o.recipients, p_readable, p_user))
			THEN p.shared_from END,
		'created_at', isacd_ts(p.created_at),
		'updated_at', isacd_ts(p.updated_at),
		'revision', p.revision,
		'can_edit', p.author_id = p_user AND p_access IN ('read', 'post', 'moderate'),
		'can_delete', (p.author_id = p_user AND p_access IN ('read', 'post', 'moderate'))
			OR p_access = 'moderate')
$$;

-- A post as a search or correlation result: enough to decide whether to
-- open it, with its community and channel named (the caller joins them:
-- without a FROM of its own the function is inlined, where a per-row call
-- cost ~90 us, 1.8 s for a lookup naming 20,000 posts).
CREATE FUNCTION isacd_post_ref_json(p posts, c communities, ch channels)
RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'id', p.id,
		'title', p.title,
		'kind', p.kind,
		'tlp', p.tlp,
		'severity', p.severity,
		'community', json_build_object('id', c.id, 'name', c.name),
		'channel', json_build_object('id', ch.id, 'name', ch.name),
		'created_at', isacd_ts(p.created_at))
$$;

-- The pieces of search's statements (isacd_search_window and
-- isacd_search_listed), written once.
CREATE FUNCTION isacd_search_sql(p_part text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE p_part
	-- $1 query, $2 readable, $3 user, $4 community, $5 kind, $6 tlp
	WHEN 'matching' THEN $m$
		p.search @@ $1
		AND isacd_may_read(p.channel_id, p.tlp, p.author_id,
			p.recipients, $2, $3)
		AND ($4::uuid IS NULL OR p.community_id = $4)
		AND ($5::text IS NULL OR p.kind = $5)
		AND ($6::text IS NULL OR p.tlp = $6)$m$
	-- a window's posts, newest first, as three arrays
	WHEN 'arrays' THEN $a$
		SELECT array_agg(w.id ORDER BY w.created_at DESC, w.id DESC) AS ids,
			array_agg(w.created_at ORDER BY w.created_at DESC, w.id DESC)
				AS times,
			array_agg(w.rank ORDER BY w.created_at DESC, w.id DESC) AS ranks
		FROM (SELECT p.id, p.created_at, ts_rank(p.search, $1) AS rank$a$
	END
$$;

-- The newest p_want posts the user may read that match q, at or after
-- p_since and older than the bound, as the GIN index lists them: with
-- index and sequential scans off, the plan is a bitmap of the GIN index,
-- with the created_at index's when the range is short, so that only the
-- matches are read (an ordered walk of the created_at index, which the
-- planner would often pick, reads every post on the way).
CREATE FUNCTION isacd_search_listed(p_q tsquery, p_readable jsonb,
	p_user uuid, p_community uuid, p_kind text, p_tlp text,
	p_since timestamptz, p_before_time timestamptz, p_before_id uuid,
	p_want integer,
	OUT ids uuid[], OUT times timestamptz[], OUT ranks float4[])
LANGUAGE plpgsql STABLE
SET enable_indexscan = off SET enable_seqscan = off AS $$
BEGIN
	EXECUTE isacd_search_sql('arrays') || $g$
		FROM posts p WHERE $g$ || isacd_search_sql('matching') || $g$
			AND ($7::timestamptz IS NULL OR p.created_at >= $7)
			AND ($8::timestamptz IS NULL OR (p.created_at, p.id) < ($8, $9))
		ORDER BY p.created_at DESC, p.id DESC LIMIT $10) w$g$
	INTO ids, times, ranks
	USING p_q, p_readable, p_user, p_community, p_kind, p_tlp, p_since,
		p_before_time, p_before_id, p_want;
END
$$;

-- One window of a search: the 500 newest posts the user may read that
-- match q, older than the bound (when given), with their rank.  Where they
-- are found decides the cost, and the planner's model misjudges it (it
-- prices a tsvector match at one operator, ~100x too low), so the choice
-- is made here, with costs measured on 1,000,000 posts (microseconds):
-- walking the newest posts, 2.7 a post; the GIN index's list of the
-- matches, 0.2 a match, and 1 a match read; the created_at index's list
-- of a time range, 0.2 a post.
--
--   * a word the statistics say is in at most p_gin_first posts: the GIN
--     index lists its posts, the newest 500 readable kept;
--   * a commoner one: walk the newest p_walk posts.  If that did not fill
--     the window, the share of walked posts that were readable matches
--     tells how much further the rest lies (counted twice over): walk on
--     when that is cheaper, else ask both indexes for the matches of the
--     time range the rest should lie in, so that only those are read, and
--     for any still missing, the GIN index's list of everything older.
--
-- Every way gives the same window; only its cost differs (the last three
-- parameters are there for the tests that show it).
CREATE FUNCTION isacd_search_window(p_q tsquery, p_readable jsonb,
	p_user uuid, p_community uuid, p_kind text, p_tlp text,
	p_since timestamptz, p_before_time timestamptz, p_before_id uuid,
	p_gin_first float8 DEFAULT 20000, p_walk integer DEFAULT 2000,
	p_walk_us float8 DEFAULT 2.7,
	OUT ids uuid[], OUT times timestamptz[], OUT ranks float4[])
-- (VOLATILE only because PostgreSQL allows EXPLAIN in no other kind; it
-- reads and writes nothing else)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	-- $1 query, $2 readable, $3 user, $4 community, $5 kind, $6 tlp,
	-- $7 since, $8 and $9 the bound, $10 how many, $11 how many to walk
	older CONSTANT text := $o$
		($7::timestamptz IS NULL OR p.created_at >= $7)
		AND ($8::timestamptz IS NULL OR (p.created_at, p.id) < ($8, $9))$o$;
	-- the walk: the newest $11 posts, then the matching ones among them
	walk CONSTANT text := isacd_search_sql('arrays') || $w$
		FROM (SELECT * FROM posts p WHERE $w$ || older || $w$
			ORDER BY p.created_at DESC, p.id DESC LIMIT $11) p
		WHERE $w$ || isacd_search_sql('matching') || $w$
		ORDER BY p.created_at DESC, p.id DESC LIMIT $10) w$w$;
	plan json;
	estimate float8;
	total float8;
	want integer := 500;
	walked integer := p_walk;
	found integer;
	walk_from timestamptz;
	low timestamptz;
	bound_time timestamptz := p_before_time;
	bound_id uuid := p_before_id;
	more record;
BEGIN
	EXECUTE 'EXPLAIN (FORMAT JSON) SELECT 1 FROM posts p WHERE p.search @@ $1'
		INTO plan USING p_q;
	estimate := (plan -> 0 -> 'Plan' ->> 'Plan Rows')::float8;
	IF estimate > p_gin_first THEN
		SELECT greatest(c.reltuples, 1) INTO total FROM pg_class c
		WHERE c.oid = 'posts'::regclass;
		FOR step IN 1 .. 3 LOOP
			walk_from := bound_time;
			IF walk_from IS NULL THEN
				SELECT max(p.created_at) INTO walk_from FROM posts p
				WHERE p_since IS NULL OR p.created_at >= p_since;
			END IF;
			EXECUTE walk INTO more
				USING p_q, p_readable, p_user, p_community, p_kind, p_tlp,
					p_since, bound_time, bound_id, want, walked;
			found := coalesce(cardinality(more.ids), 0);
			ids := ids || more.ids;
			times := times || more.times;
			ranks := ranks || more.ranks;
			want := want - found;
			IF want = 0 THEN
				RETURN;
			END IF;
			-- the window is not full, so the walk went through all its
			-- posts: the last of them bounds what is left (none: the end)
			EXECUTE 'SELECT p.created_at, p.id FROM posts p WHERE ' || older
				|| ' ORDER BY p.created_at DESC, p.id DESC OFFSET $10 - 1'
				|| ' LIMIT 1'
				INTO bound_time, bound_id
				USING p_q, p_readable, p_user, p_community, p_kind, p_tlp,
					p_since, bound_time, bound_id, walked;
			IF bound_id IS NULL THEN
				RETURN;
			END IF;
			EXIT WHEN found = 0;
			-- the posts the rest should lie in, at the rate found
			walked := least(ceil(2.0 * want * walked / found), 1e7)::integer;
			IF step = 3 OR p_walk_us * walked / 2
					> 0.2 * estimate + 0.2 * walked
						+ estimate * walked / total THEN
				low := bound_time
					- (walk_from - bound_time) * (2.0 * want / found);
				EXIT WHEN p_since IS NOT NULL AND low <= p_since;
				more := isacd_search_listed(p_q, p_readable, p_user,
					p_community, p_kind, p_tlp, low, bound_time, bound_id,
					want);
				ids := ids || more.ids;
				times := times || more.times;
				ranks := ranks || more.ranks;
				want := want - coalesce(cardinality(more.ids), 0);
				IF want = 0 THEN
					RETURN;
				END IF;
				-- the rest is older than the range
				bound_time := low;
				bound_id := '00000000-0000-0000-0000-000000000000';
				EXIT;
			END IF;
		END LOOP;
	END IF;
	more := isacd_search_listed(p_q, p_readable, p_user, p_community,
		p_kind, p_tlp, p_since, bound_time, bound_id, want);
	ids := ids || more.ids;
	times := times || more.times;
	ranks := ranks || more.ranks;
END
$$;

-- GET /search: the posts the user may read that match p_q, best first
-- within windows of the 500 newest matches (isacd_search_window), so a
-- page never ranks more than 500 posts however many match; once a
-- window's results are all given, paging goes on into the next 500 older
-- matches, so every match can be reached.  A result's cursor key is
-- "rank|id" in the first window and "rank|id|time|id" after, the window's
-- bound being its newer neighbour's oldest match (exclusive).
CREATE FUNCTION isacd_search(p_user uuid, p_q text, p_community uuid,
	p_kind text, p_tlp text, p_since timestamptz, p_cur_rank float4,
	p_cur_id uuid, p_limit integer, p_win_time timestamptz, p_win_id uuid)
RETURNS TABLE (j text, k text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	q tsquery := isacd_search_query(p_q);
	readable jsonb := isacd_readable_channels(p_user);
	win_time timestamptz := p_win_time;
	win_id uuid := p_win_id;
	cur_rank float4 := p_cur_rank;
	cur_id uuid := p_cur_id;
	want integer := p_limit;
	w record;
	suffix text;
	n integer;
BEGIN
	LOOP
		w := isacd_search_window(q, readable, p_user, p_community, p_kind,
			p_tlp, p_since, win_time, win_id);
		EXIT WHEN w.ids IS NULL;
		suffix := CASE WHEN win_time IS NOT NULL
			THEN '|' || win_time::text || '|' || win_id::text ELSE '' END;
		-- the page: only its posts are read again, for the reference and
		-- the snippet (over the body's first 8,000 characters: a 64 KiB
		-- body costs ts_headline ~20 ms)
		RETURN QUERY
			SELECT json_build_object('post', isacd_post_ref_json(p, c, ch),
				'rank', x.rank,
				'snippet', ts_headline('english', left(p.body, 8000), q,
					'MaxFragments=2, MaxWords=24, MinWords=8, StartSel=**, '
					'StopSel=**, FragmentDelimiter=" ... "'))::text,
				x.rank::text || '|' || x.id::text || suffix
			FROM (SELECT u.id, u.rank
				FROM unnest(w.ids, w.ranks) AS u (id, rank)
				WHERE cur_rank IS NULL OR (u.rank, u.id) < (cur_rank, cur_id)
				ORDER BY u.rank DESC, u.id DESC LIMIT want) x
			JOIN posts p ON p.id = x.id
			JOIN communities c ON c.id = p.community_id
			JOIN channels ch ON ch.id = p.channel_id
			ORDER BY x.rank DESC, x.id DESC;
		GET DIAGNOSTICS n = ROW_COUNT;
		want := want - n;
		EXIT WHEN want <= 0 OR cardinality(w.ids) < 500;
		win_time := w.times[500];
		win_id := w.ids[500];
		cur_rank := NULL;
		cur_id := NULL;
	END LOOP;
END
$$;

-- Millisecond RFC 3339, for STIX.
CREATE FUNCTION isacd_ts_ms(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;
