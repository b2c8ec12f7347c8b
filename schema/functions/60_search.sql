-- 60_search.sql: full-text search over the posts a user may read.
--
-- A post's search vector holds its title (weight A), tags and indicator
-- values (B) and body (C), title and body stemmed as English and as Dutch,
-- tags and indicator values kept as they are ('simple').  Dutch inflection
-- doubles a consonant after a short vowel (aanval, aanvallen); the Snowball
-- stemmer keeps it (aanval, aanvall), so both the vector and the query
-- undouble a final consonant pair of Dutch stems.  Who may find a post is,
-- as for every set of posts, isacd_may_read with isacd_readable.

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
	readable jsonb := (SELECT x.readable FROM isacd_readable(p_user) x);
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
