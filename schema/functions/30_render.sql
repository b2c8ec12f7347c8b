-- 30_render.sql: API objects as their readers see them, rendered as json
-- (not jsonb: json keeps the keys in the order written here, which is the
-- order of the API documentation, and isacd writes the text into its
-- responses without parsing it again).  What a reader may see of an object
-- is decided by the access functions (20_access.sql); these only apply
-- their verdicts.

CREATE FUNCTION isacd_organisation_json(o organisations) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'id', o.id,
		'name', o.name,
		'sector', o.sector,
		'country', o.country,
		'status', o.status,
		'created_at', isacd_ts(o.created_at))
$$;

CREATE FUNCTION isacd_api_token_json(t api_tokens) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'id', t.id,
		'name', t.name,
		'scopes', to_json(t.scopes),
		'created_at', isacd_ts(t.created_at),
		'expires_at', isacd_ts(t.expires_at),
		'last_used_at', isacd_ts(t.last_used_at))
$$;

-- GET /me: memberships in every standing, and join requests still pending
CREATE FUNCTION isacd_user_json(u users) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'id', u.id,
		'email', u.email,
		'display_name', u.display_name,
		'organisation', json_build_object('id', o.id, 'name', o.name),
		'platform_role', u.platform_role,
		'totp_enabled', EXISTS (SELECT 1 FROM totp_secrets t
			WHERE t.user_id = u.id AND t.confirmed_at IS NOT NULL),
		'memberships', coalesce((SELECT json_agg(x.j ORDER BY x.at)
			FROM (SELECT json_build_object('community_id', m.community_id,
					'role', m.role, 'status', m.status) AS j,
					m.joined_at AS at
				FROM memberships m WHERE m.user_id = u.id
				UNION ALL
				SELECT json_build_object('community_id', jr.community_id,
					'role', NULL, 'status', 'pending',
					'join_request_id', jr.id),
					jr.created_at
				FROM join_requests jr
				WHERE jr.user_id = u.id AND jr.status = 'pending') x),
			'[]'::json),
		'created_at', isacd_ts(u.created_at))
	FROM organisations o WHERE o.id = u.organisation_id
$$;

CREATE FUNCTION isacd_user_json(p_user uuid) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT isacd_user_json(u) FROM users u WHERE u.id = p_user
$$;

CREATE FUNCTION isacd_org_ref(p_org uuid) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object('id', o.id, 'name', o.name)
	FROM organisations o WHERE o.id = p_org
$$;

CREATE FUNCTION isacd_user_ref(p_user uuid) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object('id', u.id, 'display_name', u.display_name)
	FROM users u WHERE u.id = p_user
$$;

-- An account as others see it: id, display name, organisation.  A table
-- function, so that statements inline it: call it as
-- (SELECT a.j FROM isacd_author(id) a).  What an erased account wrote
-- (its author NULL since) is a former member's, with nothing that leads
-- back to the person.
CREATE FUNCTION isacd_author(p_user uuid) RETURNS TABLE (j json)
LANGUAGE sql STABLE AS $$
	SELECT json_build_object('id', u.id, 'display_name', u.display_name,
		'organisation', json_build_object('id', o.id, 'name', o.name))
	FROM users u JOIN organisations o ON o.id = u.organisation_id
	WHERE u.id = p_user
	UNION ALL
	SELECT json_build_object('display_name', 'former member')
	WHERE p_user IS NULL
$$;

CREATE FUNCTION isacd_author_json(p_user uuid) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT a.j FROM isacd_author(p_user) a
$$;

-- ---- communities and channels ----------------------------------------------

-- A community as a user sees it (role, state, staff from
-- isacd_communities_for).  member_count is the number of members the
-- caller can see on the roster (isacd_roster_shows; all of them for
-- platform staff): a count never tells of a member the roster hides.
CREATE FUNCTION isacd_community_json(c communities, p_user uuid,
	p_role text, p_state text, p_staff boolean) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'id', c.id,
		'name', c.name,
		'kind', c.kind,
		'description', c.description,
		'listed', c.listed,
		'join_policy', c.join_policy,
		'roster', c.roster,
		'retention_days', c.retention_days,
		'retention_by_tlp', c.retention_by_tlp,
		'effective_retention_days', isacd_retention_days(NULL,
			c.retention_days),
		'legal_hold', c.legal_hold,
		'require_totp', c.require_totp,
		'erase_content_on_leave', c.erase_content_on_leave,
		'statistics', c.statistics,
		'member_count', CASE
			WHEN p_staff THEN (SELECT count(*) FROM memberships m
				WHERE m.community_id = c.id)
			WHEN p_state = 'active' THEN (SELECT count(*) FROM memberships m
				WHERE m.community_id = c.id
					AND isacd_roster_shows(p_user, p_role, c.roster,
						m.user_id, m.role, m.status)) END,
		'membership', CASE WHEN p_role IS NOT NULL THEN
			json_build_object('role', p_role, 'status',
				CASE WHEN p_state = 'suspended' THEN 'suspended'
				ELSE 'active' END) END,
		'created_at', isacd_ts(c.created_at),
		'updated_at', isacd_ts(c.updated_at))
$$;

CREATE FUNCTION isacd_channel_json(ch channels, p_access text) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'id', ch.id,
		'community_id', ch.community_id,
		'name', ch.name,
		'description', ch.description,
		'visibility', ch.visibility,
		'posting', ch.posting,
		'retention_days', ch.retention_days,
		'effective_retention_days', d.days,
		'effective_retention_by_tlp', isacd_retention_by_tlp_json(d.days,
			c.retention_by_tlp),
		'legal_hold', ch.legal_hold OR c.legal_hold,
		'can_post', isacd_channel_verdict(p_access, 'post', NULL) = 'ok',
		'can_moderate',
			isacd_channel_verdict(p_access, 'moderate', NULL) = 'ok',
		'created_at', isacd_ts(ch.created_at),
		'updated_at', isacd_ts(ch.updated_at))
	FROM communities c
	CROSS JOIN LATERAL (SELECT isacd_retention_days(ch.retention_days,
		c.retention_days) AS days) d
	WHERE c.id = ch.community_id
$$;

CREATE FUNCTION isacd_member_json(m memberships) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'user_id', u.id,
		'display_name', u.display_name,
		'organisation', isacd_org_ref(u.organisation_id),
		'role', m.role,
		'status', m.status,
		'joined_at', isacd_ts(m.joined_at))
	FROM users u WHERE u.id = m.user_id
$$;

CREATE FUNCTION isacd_invite_json(i invites) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'id', i.id,
		'community_id', i.community_id,
		'email', i.email,
		'organisation', isacd_org_ref(i.organisation_id),
		'role', i.role,
		'state', CASE
			WHEN i.accepted_at IS NOT NULL THEN 'accepted'
			WHEN i.revoked_at IS NOT NULL THEN 'revoked'
			WHEN i.expires_at <= now() THEN 'expired'
			ELSE 'pending' END,
		'created_at', isacd_ts(i.created_at),
		'expires_at', isacd_ts(i.expires_at),
		'created_by', isacd_user_ref(i.created_by))
$$;

CREATE FUNCTION isacd_join_request_json(j join_requests) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'id', j.id,
		'community_id', j.community_id,
		'user', json_build_object('id', u.id,
			'display_name', u.display_name,
			'organisation', isacd_org_ref(u.organisation_id)),
		'message', j.message,
		'status', j.status,
		'created_at', isacd_ts(j.created_at),
		'decided_at', isacd_ts(j.decided_at))
	FROM users u WHERE u.id = j.user_id
$$;

CREATE FUNCTION isacd_reader_json(r channel_readers) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'user_id', u.id,
		'display_name', u.display_name,
		'organisation', isacd_org_ref(u.organisation_id),
		'added_at', isacd_ts(r.added_at))
	FROM users u WHERE u.id = r.user_id
$$;

-- An audit entry.  Platform staff who are not moderators or owners of the
-- community see who changed access and when, but not which channel or post
-- (p_full false): those are the community's, and staff read none of it.
CREATE FUNCTION isacd_audit_json(a audit_log, p_full boolean) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'id', a.id::text,
		'at', isacd_ts(a.at),
		'action', a.action,
		'actor', isacd_user_ref(a.actor_id),
		'subject', isacd_user_ref(a.target_user_id),
		'detail', CASE WHEN p_full OR split_part(a.action, '.', 1)
			NOT IN ('channel', 'post', 'comment') THEN a.detail
			ELSE '{}'::jsonb END)
$$;

-- ---- posts -----------------------------------------------------------------

-- A post as the user sees it (role and access from isacd_post_rights or
-- isacd_channel_rights), with its advisory ({id, version}) when it is a
-- community's copy of one of the agency's advisories, and, per indicator, how many other posts the
-- user may read carry it (seen_in: an index-only count, isacd_may_read
-- asked of the indicator row's copies of its post).  Call it as
-- (SELECT v.j FROM isacd_post_view(p, ...) v): one row, inlined into the
-- statement and planned with it.  The set of channels the user may read
-- is a sub-select of the user alone, so the statement evaluates it once,
-- and only when a post has indicators or was shared.
CREATE FUNCTION isacd_post_view(p posts, p_user uuid, p_role text,
	p_access text) RETURNS TABLE (j json)
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
							s.recipients, (SELECT x.readable
								FROM isacd_readable(p_user) x), p_user)))
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
						o.recipients, (SELECT x.readable
						FROM isacd_readable(p_user) x), p_user))
			THEN p.shared_from END,
		'advisory', CASE WHEN p.advisory_id IS NOT NULL THEN (SELECT
				json_build_object('id', a.id, 'version', a.version)
			FROM advisories a WHERE a.id = p.advisory_id) END,
		'created_at', isacd_ts(p.created_at),
		'updated_at', isacd_ts(p.updated_at),
		'revision', p.revision,
		'can_edit', coalesce(p.author_id = p_user, false)
			AND isacd_channel_verdict(p_access, 'write', NULL) = 'ok',
		'can_delete', (coalesce(p.author_id = p_user, false)
				AND isacd_channel_verdict(p_access, 'write', NULL) = 'ok')
			OR isacd_channel_verdict(p_access, 'moderate', NULL) = 'ok')
$$;

-- Two readers of post p with the same key get the same isacd_post_view of
-- it: the realtime layer renders a post once per key, not once per
-- subscriber.  The view depends on its reader through their role and
-- access, whether they wrote the post, and -- only when the post has
-- indicators (seen_in) or was shared (shared_from) -- the channels they
-- read and the posts sharing an indicator with p that TLP admits them to
-- as who they are (a TLP:RED post they wrote or receive: such a reader
-- gets a key of their own).
CREATE FUNCTION isacd_post_view_key(p posts, p_user uuid, p_role text,
	p_access text) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT concat_ws('|', p_role, p_access, p.author_id = p_user,
		CASE WHEN p.shared_from IS NOT NULL OR EXISTS (SELECT 1
				FROM post_indicators i WHERE i.post_id = p.id)
			THEN (SELECT md5(x.readable::text)
				FROM isacd_readable(p_user) x) END,
		CASE WHEN EXISTS (SELECT 1 FROM post_indicators i
				JOIN post_indicators s ON s.type = i.type AND s.value = i.value
				WHERE i.post_id = p.id
					AND isacd_tlp_admits(s.tlp, s.author_id, s.recipients, p_user)
					AND NOT coalesce(isacd_tlp_admits(s.tlp, s.author_id,
						s.recipients, NULL), false))
			THEN p_user::text END)
$$;

-- For the functions that build one post.
CREATE FUNCTION isacd_post_json(p posts, p_user uuid, p_role text,
	p_access text) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT v.j FROM isacd_post_view(p, p_user, p_role, p_access) v
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
		'can_edit', coalesce(c.author_id = p_user, false),
		'can_delete', coalesce(c.author_id = p_user, false)
			OR isacd_channel_verdict(p_access, 'moderate', NULL) = 'ok')
$$;

-- A revision is what the post said before an edit.  Whether a reader may
-- see it is the post's rule asked of the revision's own TLP and recipients
-- (isacd_may_read, in the statement): a post lowered from RED keeps its RED
-- past from its new readers.
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

-- One sighting as user p_user (p_role in the community, of organisation
-- p_org) is shown it in the list of post p's sightings, or NULL when it is
-- not listed to them.  The organisations are named to moderators and
-- owners, to everyone when the roster is open ('members'), and their own
-- to each user.  On an anonymous post, a reader who does not see the
-- author sees their own organisation's sighting only: naming the others
-- would narrow the author down to the one left.
CREATE FUNCTION isacd_sighting_entry(s sightings, p posts, p_roster text,
	p_user uuid, p_role text, p_org uuid) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN s.organisation_id = p_org
			OR isacd_shows_author(p.anonymous, p.author_id, p.author_id,
				p_user, p_role)
		THEN json_build_object(
			'organisation', CASE WHEN isacd_moderates(p_role)
					OR p_roster = 'members' OR s.organisation_id = p_org
				THEN isacd_org_ref(s.organisation_id) END,
			'count', 1,
			'note', s.note,
			'created_at', isacd_ts(s.created_at),
			'mine', s.organisation_id = p_org) END
$$;

-- GET /posts/{p}/sightings as the user sees them: the total, and each
-- sighting isacd_sighting_entry lists, oldest first.
CREATE FUNCTION isacd_sightings_json(p posts, p_user uuid, p_role text)
RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'post_id', p.id,
		'total', count(s.post_id),
		'organisations', coalesce(json_agg(x.j
			ORDER BY s.created_at, s.organisation_id)
			FILTER (WHERE x.j IS NOT NULL), '[]'::json))
	FROM communities c
	JOIN users me ON me.id = p_user
	LEFT JOIN sightings s ON s.post_id = p.id
	LEFT JOIN LATERAL (SELECT isacd_sighting_entry(s, p, c.roster, p_user,
		p_role, me.organisation_id) AS j) x ON s.post_id IS NOT NULL
	WHERE c.id = p.community_id
$$;
