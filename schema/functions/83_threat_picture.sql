-- 83_threat_picture.sql: the threat picture, counts without content.
--
-- A member's picture of their community counts the posts the member may
-- read there (the set form of the post rule: isacd_readable and
-- isacd_may_read, 20_access.sql), per ISO week, kind and severity.  The
-- agency's picture counts, across the communities that opted in, the
-- posts it may count (isacd_agency_counts: TLP:CLEAR, GREEN and AMBER),
-- per week, group (the community's kind, or the sector of the author's
-- organisation), kind and severity, and leaves out every cell that fewer
-- than isacd_k_min() organisations contributed to: a cell that is absent
-- tells nothing, where one marked "suppressed" would tell that someone in
-- that group posted that week.  Neither ever names a title, body,
-- indicator, author or organisation.

-- The start of the window of p_weeks ISO weeks that ends with this one
-- (weeks begin on Monday, UTC).
CREATE FUNCTION isacd_weeks_from(p_weeks integer) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
	SELECT (date_trunc('week', now() AT TIME ZONE 'UTC')
		- make_interval(weeks => p_weeks - 1)) AT TIME ZONE 'UTC'
$$;

CREATE FUNCTION isacd_iso_week(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT to_char(t AT TIME ZONE 'UTC', 'IYYY-"W"IW')
$$;

-- GET /communities/{c}/threat-picture: the verdict of the community gate
-- ('member'), and the counts of the posts the user may read in it.
CREATE FUNCTION isacd_threat_picture(p_user uuid, p_community uuid,
	p_weeks integer)
RETURNS TABLE (verdict text, response text)
LANGUAGE sql STABLE AS $$
	WITH g AS MATERIALIZED (
		SELECT * FROM isacd_community_gate(p_user, p_community, 'member')
	), cells AS (
		SELECT isacd_iso_week(p.created_at) AS week, p.kind, p.severity,
			count(*) AS posts
		FROM g, channels ch
		JOIN posts p ON p.channel_id = ch.id
		WHERE g.verdict = 'ok' AND ch.community_id = p_community
			AND p.created_at >= isacd_weeks_from(p_weeks)
			AND isacd_may_read(p.channel_id, p.tlp, p.author_id,
				p.recipients, (SELECT x.readable
					FROM isacd_readable(p_user) x), p_user)
		GROUP BY 1, 2, 3
	)
	SELECT g.verdict, CASE WHEN g.verdict = 'ok' THEN json_build_object(
		'community_id', p_community,
		'weeks', p_weeks,
		'from', isacd_iso_week(isacd_weeks_from(p_weeks)),
		'cells', coalesce((SELECT json_agg(json_build_object(
				'week', c.week, 'kind', c.kind, 'severity', c.severity,
				'posts', c.posts)
				ORDER BY c.week, c.kind, c.severity NULLS FIRST)
			FROM cells c), '[]'::json))::text END
	FROM g
$$;

-- GET /insights/threat-picture (staff): p_group 'community_kind' or
-- 'sector'.
CREATE FUNCTION isacd_agency_threat_picture(p_weeks integer,
	p_group text) RETURNS json
LANGUAGE sql STABLE AS $$
	WITH per AS (
		-- per cell and contributing organisation
		SELECT isacd_iso_week(p.created_at) AS week,
			CASE p_group WHEN 'sector' THEN o.sector ELSE c.kind END AS grp,
			p.kind, p.severity, u.organisation_id AS org, count(*) AS n
		FROM communities c
		JOIN channels ch ON ch.community_id = c.id
		JOIN posts p ON p.channel_id = ch.id
		LEFT JOIN users u ON u.id = p.author_id
		LEFT JOIN organisations o ON o.id = u.organisation_id
		WHERE p.created_at >= isacd_weeks_from(p_weeks)
			AND isacd_agency_counts(c.statistics, p.tlp, p.advisory_id)
		GROUP BY 1, 2, 3, 4, 5
	), cells AS (
		SELECT week, grp, kind, severity, sum(n) AS posts,
			count(org) AS organisations
		FROM per GROUP BY 1, 2, 3, 4
	)
	SELECT json_build_object(
		'weeks', p_weeks,
		'from', isacd_iso_week(isacd_weeks_from(p_weeks)),
		'group_by', p_group,
		'min_organisations', isacd_k_min(),
		'cells', coalesce(json_agg(json_build_object(
				'week', c.week, 'group', c.grp, 'kind', c.kind,
				'severity', c.severity, 'posts', c.posts)
				ORDER BY c.week, c.grp NULLS LAST, c.kind,
					c.severity NULLS FIRST)
			FILTER (WHERE c.organisations >= isacd_k_min()), '[]'::json))
	FROM cells c
$$;
