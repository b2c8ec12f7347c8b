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

-- The pieces of search's statements, written once.
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
	-- $7 since, $8 and $9 the window's bound, $11 and $12 the time range
	-- being looked at: [$11, $12)
	WHEN 'in range' THEN $r$
		($7::timestamptz IS NULL OR p.created_at >= $7)
		AND ($8::timestamptz IS NULL OR (p.created_at, p.id) < ($8, $9))
		AND ($11::timestamptz IS NULL OR p.created_at >= $11)
		AND p.created_at < $12$r$
	-- the newest $10 of them, as three arrays newest first
	WHEN 'arrays' THEN $a$
		SELECT array_agg(w.id ORDER BY w.created_at DESC, w.id DESC) AS ids,
			array_agg(w.created_at ORDER BY w.created_at DESC, w.id DESC)
				AS times,
			array_agg(w.rank ORDER BY w.created_at DESC, w.id DESC) AS ranks
		FROM (SELECT p.id, p.created_at, ts_rank(p.search, $1) AS rank$a$
	WHEN 'newest' THEN $n$
		ORDER BY p.created_at DESC, p.id DESC LIMIT $10) w$n$
	END
$$;

-- The three ways search_window finds the newest matches of a time range
-- [p_from, p_to) (p_from NULL: from the first post).  Each is a statement
-- of its own with the planner settings that give it its plan; a SET on a
-- function ends with it, and JIT is off (a plan priced with a disabled
-- node would be compiled, for a second).

-- By the index's words and communities, in no time order: every match in
-- the communities p_communities (those of the channels the user reads)
-- is read, then the newest kept.  The plan is a bitmap of the index (the
-- planner decides whether to ask it per community); the time range is
-- checked on the posts read (OFFSET 0 keeps it out of the scan: a bitmap
-- of the created_at index over a long range costs more than it saves).
CREATE FUNCTION isacd_search_listed(p_q tsquery, p_readable jsonb,
	p_user uuid, p_community uuid, p_kind text, p_tlp text,
	p_since timestamptz, p_before_time timestamptz, p_before_id uuid,
	p_want integer, p_from timestamptz, p_to timestamptz,
	p_communities uuid[],
	OUT ids uuid[], OUT times timestamptz[], OUT ranks float4[])
LANGUAGE plpgsql STABLE
SET enable_indexscan = off SET enable_seqscan = off SET jit = off AS $$
BEGIN
	EXECUTE isacd_search_sql('arrays') || $g$
		FROM (SELECT * FROM posts p WHERE p.community_id = ANY ($13)
			AND $g$ || isacd_search_sql('matching') || $g$ OFFSET 0) p
		WHERE $g$ || isacd_search_sql('in range')
		|| isacd_search_sql('newest')
	INTO ids, times, ranks
	USING p_q, p_readable, p_user, p_community, p_kind, p_tlp, p_since,
		p_before_time, p_before_id, p_want, p_from, p_to, p_communities;
END
$$;

-- By the index's hours and days (UTC): one index scan per hour or day
-- lists the matches made then, and only those are read.  The time range
-- is the whole days inside it and the hours of the partial days at its
-- ends, and is checked exactly on the posts read (kept out of the scan
-- as for listing).
CREATE FUNCTION isacd_search_hours(p_q tsquery, p_readable jsonb,
	p_user uuid, p_community uuid, p_kind text, p_tlp text,
	p_since timestamptz, p_before_time timestamptz, p_before_id uuid,
	p_want integer, p_from timestamptz, p_to timestamptz,
	p_hours timestamp[], p_days timestamp[],
	OUT ids uuid[], OUT times timestamptz[], OUT ranks float4[])
LANGUAGE plpgsql STABLE
SET enable_indexscan = off SET enable_seqscan = off SET jit = off AS $$
BEGIN
	EXECUTE isacd_search_sql('arrays') || $g$
		FROM (SELECT * FROM posts p
			WHERE (date_trunc('hour', p.created_at AT TIME ZONE 'UTC')
					= ANY ($13)
				OR date_trunc('day', p.created_at AT TIME ZONE 'UTC')
					= ANY ($14))
				AND $g$ || isacd_search_sql('matching') || $g$ OFFSET 0) p
		WHERE $g$ || isacd_search_sql('in range')
		|| isacd_search_sql('newest')
	INTO ids, times, ranks
	USING p_q, p_readable, p_user, p_community, p_kind, p_tlp, p_since,
		p_before_time, p_before_id, p_want, p_from, p_to, p_hours, p_days;
END
$$;

-- By the channels the user reads (p_channels): each channel's posts of
-- the range, by the channel's index, every one of them read and matched
-- (the way for a common word, which most of them hold).
CREATE FUNCTION isacd_search_walked(p_q tsquery, p_readable jsonb,
	p_user uuid, p_community uuid, p_kind text, p_tlp text,
	p_since timestamptz, p_before_time timestamptz, p_before_id uuid,
	p_want integer, p_from timestamptz, p_to timestamptz,
	p_channels uuid[],
	OUT ids uuid[], OUT times timestamptz[], OUT ranks float4[])
LANGUAGE plpgsql STABLE
SET enable_bitmapscan = off SET enable_seqscan = off SET jit = off AS $$
BEGIN
	EXECUTE isacd_search_sql('arrays') || $g$
		FROM unnest($13::uuid[]) c (id)
		CROSS JOIN LATERAL (SELECT * FROM posts p
			WHERE p.channel_id = c.id AND $g$ || isacd_search_sql('in range')
			|| $g$ OFFSET 0) p
		WHERE $g$ || isacd_search_sql('matching')
		|| isacd_search_sql('newest')
	INTO ids, times, ranks
	USING p_q, p_readable, p_user, p_community, p_kind, p_tlp, p_since,
		p_before_time, p_before_id, p_want, p_from, p_to, p_channels;
END
$$;

-- One window of a search: the 500 newest posts the user may read that
-- match q, older than the bound (when given), with their rank.  It walks
-- back through time from the bound, a range at a time, each range as
-- long as the rate of readable matches says it takes to fill the window
-- (and a quarter again), and finds each range's matches the cheapest of
-- three ways: by the hours and days of the index (isacd_search_hours), by
-- the channels the user reads (isacd_search_walked), or, for all that is
-- left, by the words and communities alone (isacd_search_listed).  The
-- planner cannot choose among them (it prices a tsvector match at one
-- operator, ~100x too low), so the choice is made here, with costs in
-- microseconds from EXPLAIN ANALYZE on 1,000,000 posts (their ratios are
-- what counts): an index scan 20, and 0.004 a posting of the words it
-- goes through (a common word's postings are spread over every hour, so
-- a scan of an hour decodes them all); reading a match 1.5; reading and
-- matching a post 2.7, and 2 a channel to start.  The estimates rest on
-- the planner's count of the word's matches, the user's share of the
-- channels taken as its share of the posts, all spread evenly over the
-- time from the first post to the last.  A range that finds none makes
-- the next eight times as long; one that finds some sets the rate.  The
-- way that lists all that is left wins unless a range costs half of it
-- or less: a range may not be the last (the rate is a guess until one
-- has found some; a word whose matches are all in communities the user
-- is not in costs a range, then the listing).
--
-- Every way gives the same window; only its cost differs (p_way and
-- p_span are there for the tests that show it: 'listed', 'hours' or
-- 'walked' for every range, and the first range's length).
CREATE FUNCTION isacd_search_window(p_q tsquery, p_readable jsonb,
	p_user uuid, p_community uuid, p_kind text, p_tlp text,
	p_since timestamptz, p_before_time timestamptz, p_before_id uuid,
	p_way text DEFAULT NULL, p_span interval DEFAULT NULL,
	OUT ids uuid[], OUT times timestamptz[], OUT ranks float4[])
-- (VOLATILE only because PostgreSQL allows EXPLAIN in no other kind; it
-- reads and writes nothing else)
LANGUAGE plpgsql VOLATILE SET jit = off AS $$
DECLARE
	scan_us CONSTANT float8 := 20;
	posting_us CONSTANT float8 := 0.004;
	match_us CONSTANT float8 := 1.5;
	post_us CONSTANT float8 := 2.7;
	channel_us CONSTANT float8 := 2;
	chans uuid[];
	comms uuid[];
	plan json;
	matches float8;
	reach float8;
	total float8;
	channel_count float8;
	first_at timestamptz;
	last_at timestamptz;
	span float8;
	rate float8;
	lo timestamptz;
	hi timestamptz;
	floor_at timestamptz;
	seconds float8;
	from_utc timestamp;
	to_utc timestamp;
	day_from timestamp;
	day_to timestamp;
	hours timestamp[];
	days timestamp[];
	list_cost float8;
	hours_cost float8;
	walk_cost float8;
	way text;
	want integer := 500;
	found integer;
	first boolean := true;
	more record;
BEGIN
	-- the channels the user reads (in the community asked for), and their
	-- communities: a post elsewhere is not readable
	SELECT array_agg(ch.id), array_agg(DISTINCT ch.community_id)
	INTO chans, comms
	FROM jsonb_object_keys(p_readable) k JOIN channels ch ON ch.id = k::uuid
	WHERE p_community IS NULL OR ch.community_id = p_community;
	-- (by posts_created_utc_idx)
	SELECT min(p.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
		max(p.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
	INTO first_at, last_at FROM posts p;
	IF chans IS NULL OR last_at IS NULL THEN
		RETURN;
	END IF;
	EXECUTE 'EXPLAIN (FORMAT JSON) SELECT 1 FROM posts p WHERE p.search @@ $1'
		INTO plan USING p_q;
	matches := (plan -> 0 -> 'Plan' ->> 'Plan Rows')::float8;
	-- the posts the user reads: its share of the channels, of the posts
	SELECT greatest(max(c.reltuples) FILTER (WHERE c.oid = 'posts'::regclass),
			1),
		greatest(max(c.reltuples) FILTER (WHERE c.oid = 'channels'::regclass),
			cardinality(chans))
	INTO total, channel_count FROM pg_class c
	WHERE c.oid IN ('posts'::regclass, 'channels'::regclass);
	reach := total * cardinality(chans) / channel_count;
	span := greatest(extract(epoch FROM last_at - first_at), 1);
	-- readable matches a second, as if spread evenly
	rate := matches * least(reach / total, 1) / span;
	hi := least(p_before_time, last_at) + interval '1 microsecond';
	floor_at := greatest(first_at, p_since);
	LOOP
		EXIT WHEN hi <= floor_at;
		-- the next range: where the rest of the window should lie
		seconds := CASE WHEN p_span IS NOT NULL AND first
			THEN extract(epoch FROM p_span)
			ELSE greatest(1.25 * want / greatest(rate, 1e-12), 0.001) END;
		lo := CASE WHEN seconds >= extract(epoch FROM hi - floor_at)
			THEN floor_at ELSE hi - seconds * interval '1 second' END;
		-- its whole days (UTC) and the hours at its ends
		from_utc := lo AT TIME ZONE 'UTC';
		to_utc := hi AT TIME ZONE 'UTC';
		day_from := date_trunc('day', from_utc + interval '1 day'
			- interval '1 microsecond');
		day_to := date_trunc('day', to_utc);
		IF day_from < day_to THEN
			days := ARRAY(SELECT generate_series(day_from,
				day_to - interval '1 day', interval '1 day'));
			hours := ARRAY(SELECT generate_series(date_trunc('hour', from_utc),
					day_from - interval '1 hour', interval '1 hour')
				UNION ALL SELECT generate_series(day_to, date_trunc('hour',
					to_utc - interval '1 microsecond'), interval '1 hour'));
		ELSE
			days := '{}';
			hours := ARRAY(SELECT generate_series(date_trunc('hour', from_utc),
				date_trunc('hour', to_utc - interval '1 microsecond'),
				interval '1 hour'));
		END IF;
		-- what each way would cost: listing reads every match in the
		-- user's communities, however old (a bitmap has no order)
		list_cost := least(cardinality(comms) * (scan_us
				+ posting_us * matches) + matches * reach / total * match_us,
			scan_us + posting_us * matches + matches * match_us);
		hours_cost := (cardinality(hours) + cardinality(days))
				* (scan_us + posting_us * matches)
			+ matches * least(extract(epoch FROM date_trunc('hour',
				to_utc - interval '1 microsecond') + interval '1 hour'
				- date_trunc('hour', from_utc)) / span, 1) * match_us;
		walk_cost := cardinality(chans) * channel_us
			+ reach * least(extract(epoch FROM hi - lo) / span, 1) * post_us;
		way := coalesce(p_way, CASE
			WHEN list_cost <= 2 * least(hours_cost, walk_cost) THEN 'listed'
			WHEN hours_cost <= walk_cost THEN 'hours'
			ELSE 'walked' END);
		RAISE DEBUG 'search window: % [%, %), us: listed %, hours % (% scans)'
			', walked % (% channels)', way, lo, hi, round(list_cost),
			round(hours_cost), cardinality(hours) + cardinality(days),
			round(walk_cost), cardinality(chans);
		IF way = 'listed' THEN
			-- everything left, at once
			lo := NULL;
			more := isacd_search_listed(p_q, p_readable, p_user, p_community,
				p_kind, p_tlp, p_since, p_before_time, p_before_id, want,
				NULL, hi, comms);
		ELSIF way = 'hours' THEN
			more := isacd_search_hours(p_q, p_readable, p_user, p_community,
				p_kind, p_tlp, p_since, p_before_time, p_before_id, want, lo,
				hi, hours, days);
		ELSE
			more := isacd_search_walked(p_q, p_readable, p_user, p_community,
				p_kind, p_tlp, p_since, p_before_time, p_before_id, want, lo,
				hi, chans);
		END IF;
		found := coalesce(cardinality(more.ids), 0);
		ids := ids || more.ids;
		times := times || more.times;
		ranks := ranks || more.ranks;
		want := want - found;
		EXIT WHEN want = 0 OR lo IS NULL OR lo <= floor_at;
		rate := CASE WHEN found > 0
			THEN found / greatest(extract(epoch FROM hi - lo), 1e-6)
			ELSE rate / 8 END;
		hi := lo;
		first := false;
	END LOOP;
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
