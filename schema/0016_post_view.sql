-- 0016_post_view.sql: two measured fixes on 1,000,000 posts (0014 and 0015
-- have landed, so they are redefined here, not edited there).
--
-- 1. A page of a channel's posts cost ~0.5 ms a post.  isacd_post_json
--    cannot be inlined (its body has subqueries), so PostgreSQL runs it per
--    post through its SQL-function executor, and every function it calls
--    that reads a table (isacd_seen_in per indicator, isacd_author_json,
--    and isacd_org_ref inside it) was set up and planned again for every
--    post.  The post as a reader sees it is now isacd_post_view, a
--    one-statement table function, which PostgreSQL inlines into the
--    calling statement: planned once, with the seen_in counts and the
--    author as plain subqueries.  A page of 50 went from ~28 ms to ~3 ms.
--    isacd_post_json and isacd_author_json stay, each a call of the one
--    definition, for the functions that build one post or comment.
--
-- 2. Search for a common word whose newest posts do not hold it (a burst
--    of other posts, or posts of channels the user does not read) listed
--    every match of the word from the GIN index when the first walk found
--    none: 1.9 s for a word in every post.  The walk now goes on, four
--    times as far each time, while that is cheaper than the listing.

-- An account as others see it: id, display name, organisation.
CREATE FUNCTION isacd_author(p_user uuid) RETURNS TABLE (j json)
LANGUAGE sql STABLE AS $$
	SELECT json_build_object('id', u.id, 'display_name', u.display_name,
		'organisation', json_build_object('id', o.id, 'name', o.name))
	FROM users u JOIN organisations o ON o.id = u.organisation_id
	WHERE u.id = p_user
$$;

CREATE OR REPLACE FUNCTION isacd_author_json(p_user uuid) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT a.j FROM isacd_author(p_user) a
$$;

-- A post as the user sees it (role and access from isacd_post_rights,
-- p_readable from isacd_readable_channels), with, per indicator, how many
-- other posts the user may read carry it (seen_in: an index-only count,
-- isacd_may_read asked of the indicator row's copies of its post).  Call
-- it as (SELECT v.j FROM isacd_post_view(p, ...) v): one row, inlined.
CREATE FUNCTION isacd_post_view(p posts, p_user uuid, p_role text,
	p_access text, p_readable jsonb) RETURNS TABLE (j json)
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
				'seen_in', (SELECT count(*) FROM post_indicators s
					WHERE s.type = i.type AND s.value = i.value
						AND s.post_id <> p.id
						AND isacd_may_read(s.channel_id, s.tlp, s.author_id,
							s.recipients, p_readable, p_user)))
				ORDER BY i.ord)
			FROM post_indicators i WHERE i.post_id = p.id), '[]'::json),
		'anonymous', p.anonymous,
		'author', CASE WHEN isacd_shows_author(p.anonymous, p.author_id,
				p.author_id, p_user, p_role)
			THEN (SELECT a.j FROM isacd_author(p.author_id) a) END,
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
		'can_edit', p.author_id = p_user
			AND p_access IN ('read', 'post', 'moderate'),
		'can_delete', (p.author_id = p_user
				AND p_access IN ('read', 'post', 'moderate'))
			OR p_access = 'moderate')
$$;

CREATE OR REPLACE FUNCTION isacd_post_json(p posts, p_user uuid,
	p_role text, p_access text, p_readable jsonb) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT v.j FROM isacd_post_view(p, p_user, p_role, p_access, p_readable) v
$$;

-- isacd_post_view counts in place; nothing else called it
DROP FUNCTION isacd_seen_in(uuid, jsonb, uuid, text, text);

-- isacd_search_window as 0014 has it (its costs and ways are explained
-- there), except that a walk that found nothing goes on.
CREATE OR REPLACE FUNCTION isacd_search_window(p_q tsquery, p_readable jsonb,
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
		FOR step IN 1 .. 4 LOOP
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
			IF found = 0 THEN
				-- nothing the user may read matched: the matches lie further
				-- back than the statistics say (a burst of other posts, or of
				-- channels the user does not read), and no rate is known yet.
				-- Walk four times as far while that costs less than listing
				-- every match (~1.2 us a match), else list them.
				walked := walked * 4;
				EXIT WHEN step = 4 OR p_walk_us * walked > 1.2 * estimate;
				CONTINUE;
			END IF;
			-- the posts the rest should lie in, at the rate found
			walked := least(ceil(2.0 * want * walked / found), 1e7)::integer;
			IF step = 4 OR p_walk_us * walked / 2
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
