-- 25_retention.sql: how long a post is kept -- the one rule of retention,
-- asked by the community and channel views (30_render.sql), the preview
-- and the purge (80_privacy.sql).
--
--   * A channel's retention_days overrides its community's; NULL on both
--     keeps posts.
--   * ISACD_MAX_RETENTION_DAYS bounds either: a value is refused above it
--     when it is set, and a bound lowered afterwards applies at once.
--   * The community's retention_by_tlp shortens the retention of the posts
--     of a TLP (even of posts otherwise kept), never lengthens it.
--   * A legal hold on the community, the channel or the post keeps the
--     post, whatever its retention says, until the hold is lifted.
--   * A post is due when it is older (created_at) than its retention.

-- The platform's maximum: isacd puts ISACD_MAX_RETENTION_DAYS on each of
-- its connections (-c isacd.max_retention_days=N); 730 when unset.
CREATE FUNCTION isacd_max_retention() RETURNS integer
LANGUAGE sql STABLE AS $$
	SELECT coalesce(nullif(current_setting('isacd.max_retention_days', true),
		'')::integer, 730)
$$;

-- The days a channel keeps its posts, before TLP: NULL keeps them.
CREATE FUNCTION isacd_retention_days(p_channel_days integer,
	p_community_days integer) RETURNS integer
LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN coalesce(p_channel_days, p_community_days) IS NOT NULL
		THEN least(coalesce(p_channel_days, p_community_days),
			isacd_max_retention()) END
$$;

-- The days posts of TLP p_tlp are kept where the channel keeps posts
-- p_days (isacd_retention_days): shortened, never lengthened, by the
-- community's retention_by_tlp.  NULL keeps them.
CREATE FUNCTION isacd_retention_for(p_days integer, p_by_tlp jsonb,
	p_tlp text) RETURNS integer
LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN t.days IS NULL THEN p_days
		ELSE least(p_days, t.days) END
	FROM (SELECT CASE WHEN p_by_tlp ? p_tlp THEN
		least((p_by_tlp ->> p_tlp)::integer, isacd_max_retention())
		END AS days) t
$$;

-- The TLP 2.0 labels, in their order.
CREATE FUNCTION isacd_tlp_labels() RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
	SELECT ARRAY['TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER', 'TLP:AMBER+STRICT',
		'TLP:RED']
$$;

-- The labels whose posts a channel keeps for less than p_days, with their
-- days: {"TLP:RED": 30, ...} ({} when none).
CREATE FUNCTION isacd_retention_by_tlp_json(p_days integer, p_by_tlp jsonb)
RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT coalesce(json_object_agg(t.tlp, x.days ORDER BY t.ord), '{}'::json)
	FROM unnest(isacd_tlp_labels()) WITH ORDINALITY t (tlp, ord)
	CROSS JOIN LATERAL (SELECT isacd_retention_for(p_days, p_by_tlp, t.tlp)
		AS days) x
	WHERE x.days IS DISTINCT FROM p_days
$$;

-- Every channel's retention per label, where its posts are not kept for
-- ever and no hold keeps them: posts of channel_id with label tlp made
-- before `before` are due (unless the post itself is held).
CREATE FUNCTION isacd_retention_cutoffs()
RETURNS TABLE (community_id uuid, channel_id uuid, tlp text, days integer,
	before timestamptz)
LANGUAGE sql STABLE AS $$
	SELECT ch.community_id, ch.id, t.tlp, d.days,
		now() - make_interval(days => d.days)
	FROM channels ch JOIN communities c ON c.id = ch.community_id
	CROSS JOIN unnest(isacd_tlp_labels()) t (tlp)
	CROSS JOIN LATERAL (SELECT isacd_retention_for(isacd_retention_days(
		ch.retention_days, c.retention_days), c.retention_by_tlp, t.tlp)
		AS days) d
	WHERE NOT ch.legal_hold AND NOT c.legal_hold AND d.days IS NOT NULL
$$;

-- The posts past their retention: what the purge deletes next, at most
-- p_each of each channel and label (NULL: all).  Each cutoff walks its
-- channel's posts by time (posts_channel_idx) from the newest it no
-- longer keeps down, and stops at p_each: a batch of the purge finds its
-- posts without reading those it keeps or those a later batch deletes
-- (one scan of every post would grow with the table and with the dead
-- rows of the batches before).
CREATE FUNCTION isacd_due_posts(p_each integer DEFAULT NULL)
RETURNS TABLE (community_id uuid, channel_id uuid, post_id uuid)
LANGUAGE sql STABLE AS $$
	SELECT k.community_id, k.channel_id, p.id
	FROM isacd_retention_cutoffs() k
	CROSS JOIN LATERAL (SELECT x.id FROM posts x
		WHERE x.channel_id = k.channel_id AND x.created_at < k.before
			AND x.tlp = k.tlp AND NOT x.legal_hold
		ORDER BY x.created_at DESC, x.id DESC
		LIMIT p_each) p
$$;

-- What is due per channel, in one community or channel (NULL: all):
-- posts, and the comments that go with them.
CREATE FUNCTION isacd_retention_due(p_community uuid, p_channel uuid)
RETURNS TABLE (community_id uuid, channel_id uuid, posts bigint,
	comments bigint)
LANGUAGE sql STABLE AS $$
	SELECT d.community_id, d.channel_id, count(*),
		coalesce(sum((SELECT count(*) FROM comments c
			WHERE c.post_id = d.post_id)), 0)::bigint
	FROM isacd_due_posts() d
	WHERE (p_community IS NULL OR d.community_id = p_community)
		AND (p_channel IS NULL OR d.channel_id = p_channel)
	GROUP BY d.community_id, d.channel_id
$$;
