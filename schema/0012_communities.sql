-- 0012_communities.sql: communities (clusters), memberships, channels,
-- channel readers, invites, join requests, and the one definition of who
-- may do what in them.
--
-- "Who may do what" lives here and nowhere else: isacd_standing() says what
-- a user's membership in each community is worth, isacd_communities_for()
-- which communities a user may see and as what, isacd_channel_rights()
-- which channels a user may read, post in or moderate.  They are inlinable
-- SQL table functions (one SELECT, STABLE, not STRICT), so a statement that
-- joins them is planned as if the rule were written into it, and every
-- statement that touches community content goes through them.

ALTER TABLE organisations ADD COLUMN status text NOT NULL DEFAULT 'active'
	CHECK (status IN ('active', 'suspended'));

CREATE TABLE communities (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	kind text NOT NULL CHECK (kind IN ('sector', 'regional', 'thematic')),
	description text CHECK (description IS NULL OR length(description) <= 2000),
	listed boolean NOT NULL DEFAULT false,
	join_policy text NOT NULL DEFAULT 'invite'
		CHECK (join_policy IN ('invite', 'request')),
	roster text NOT NULL DEFAULT 'moderators'
		CHECK (roster IN ('members', 'moderators')),
	retention_days integer CHECK (retention_days IS NULL OR retention_days >= 1),
	retention_by_tlp jsonb,
	require_totp boolean NOT NULL DEFAULT false,
	erase_content_on_leave boolean NOT NULL DEFAULT false,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	created_by uuid REFERENCES users (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX communities_name_key ON communities (lower(name));
CREATE INDEX communities_created_idx ON communities (created_at DESC, id DESC);
CREATE TRIGGER communities_touch BEFORE UPDATE ON communities
	FOR EACH ROW EXECUTE FUNCTION isacd_touch_updated_at();

CREATE TABLE memberships (
	community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
	user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role text NOT NULL CHECK (role IN ('owner', 'moderator', 'member')),
	status text NOT NULL DEFAULT 'active'
		CHECK (status IN ('active', 'suspended')),
	joined_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (community_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);
CREATE INDEX memberships_joined_idx
	ON memberships (community_id, joined_at DESC, user_id DESC);

CREATE TABLE channels (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
	name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	description text CHECK (description IS NULL OR length(description) <= 2000),
	visibility text NOT NULL CHECK (visibility IN ('community', 'restricted')),
	posting text NOT NULL CHECK (posting IN ('members', 'moderators')),
	retention_days integer CHECK (retention_days IS NULL OR retention_days >= 1),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	created_by uuid REFERENCES users (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX channels_name_key ON channels (community_id, lower(name));
CREATE INDEX channels_community_idx
	ON channels (community_id, created_at DESC, id DESC);
CREATE TRIGGER channels_touch BEFORE UPDATE ON channels
	FOR EACH ROW EXECUTE FUNCTION isacd_touch_updated_at();

-- explicit readers of a restricted channel (moderators and owners of the
-- community read every channel without a row here)
CREATE TABLE channel_readers (
	channel_id uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
	user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	added_at timestamptz NOT NULL DEFAULT now(),
	added_by uuid REFERENCES users (id) ON DELETE SET NULL,
	PRIMARY KEY (channel_id, user_id)
);
CREATE INDEX channel_readers_user_idx ON channel_readers (user_id);
CREATE INDEX channel_readers_added_idx
	ON channel_readers (channel_id, added_at DESC, user_id DESC);

-- single-use invitations, bound to an e-mail address and an organisation;
-- only the SHA-256 of the token is kept
CREATE TABLE invites (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
	email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
	organisation_id uuid NOT NULL REFERENCES organisations (id),
	role text NOT NULL CHECK (role IN ('owner', 'moderator', 'member')),
	token_hash text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
	created_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL,
	created_by uuid REFERENCES users (id) ON DELETE SET NULL,
	accepted_at timestamptz,
	accepted_by uuid REFERENCES users (id) ON DELETE SET NULL,
	revoked_at timestamptz,
	revoked_by uuid REFERENCES users (id) ON DELETE SET NULL,
	-- an expired invitation that a new one for the same address replaced
	superseded_at timestamptz
);
CREATE INDEX invites_community_idx ON invites (community_id, created_at DESC, id DESC);
-- one open invitation per address and community (an expired one is
-- superseded when the address is invited again)
CREATE UNIQUE INDEX invites_pending_key ON invites (community_id, lower(email))
	WHERE accepted_at IS NULL AND revoked_at IS NULL AND superseded_at IS NULL;

CREATE TABLE join_requests (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
	user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	message text CHECK (message IS NULL OR length(message) <= 1000),
	status text NOT NULL DEFAULT 'pending'
		CHECK (status IN ('pending', 'approved', 'denied')),
	created_at timestamptz NOT NULL DEFAULT now(),
	decided_at timestamptz,
	decided_by uuid REFERENCES users (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX join_requests_pending_key ON join_requests (community_id, user_id)
	WHERE status = 'pending';
CREATE INDEX join_requests_community_idx
	ON join_requests (community_id, created_at DESC, id DESC);
CREATE INDEX join_requests_user_idx ON join_requests (user_id);

-- the audit trail of a community: every access change, with its actor
ALTER TABLE audit_log ADD COLUMN community_id uuid
	REFERENCES communities (id) ON DELETE CASCADE;
CREATE INDEX audit_log_community_idx ON audit_log (community_id, id DESC)
	WHERE community_id IS NOT NULL;

-- ---- who may do what: the one definition ---------------------------------

-- What each of a user's memberships is worth: 'active', 'suspended', or
-- 'totp_required' when the community requires TOTP and the user has none.
CREATE FUNCTION isacd_standing(p_user uuid)
RETURNS TABLE (community_id uuid, role text, state text)
LANGUAGE sql STABLE AS $$
	SELECT m.community_id, m.role,
		CASE
		WHEN m.status <> 'active' THEN 'suspended'
		WHEN c.require_totp AND NOT EXISTS (SELECT 1 FROM totp_secrets t
			WHERE t.user_id = p_user AND t.confirmed_at IS NOT NULL)
			THEN 'totp_required'
		ELSE 'active' END
	FROM memberships m JOIN communities c ON c.id = m.community_id
	WHERE m.user_id = p_user
$$;

-- The communities a user may see, and as what: listed ones, those the user
-- belongs to (in any standing), and all of them for platform staff.  state
-- is the standing, or 'outsider'; role is NULL for outsiders.  staff says
-- whether the user is platform staff (who govern, but read no content).
CREATE FUNCTION isacd_communities_for(p_user uuid)
RETURNS TABLE (community_id uuid, role text, state text, staff boolean)
LANGUAGE sql STABLE AS $$
	SELECT c.id, s.role, coalesce(s.state, 'outsider'),
		u.platform_role = 'staff'
	FROM users u CROSS JOIN communities c
	LEFT JOIN isacd_standing(p_user) s ON s.community_id = c.id
	WHERE u.id = p_user
		AND (c.listed OR s.community_id IS NOT NULL
			OR u.platform_role = 'staff')
$$;

-- The channels a user may know of, with what the user may do there:
-- 'moderate' (moderators and owners: read, post, manage), 'post', 'read'
-- (posting: moderators), or the standing that keeps the user out for now
-- ('suspended', 'totp_required').  A restricted channel is in the set only
-- for its explicit readers and the community's moderators and owners; a
-- channel outside the set does not exist for the user.
CREATE FUNCTION isacd_channel_rights(p_user uuid)
RETURNS TABLE (channel_id uuid, community_id uuid, role text, access text)
LANGUAGE sql STABLE AS $$
	SELECT ch.id, ch.community_id, s.role,
		CASE
		WHEN s.state <> 'active' THEN s.state
		WHEN s.role IN ('owner', 'moderator') THEN 'moderate'
		WHEN ch.posting = 'members' THEN 'post'
		ELSE 'read' END
	FROM isacd_standing(p_user) s
	JOIN channels ch ON ch.community_id = s.community_id
	WHERE ch.visibility = 'community'
		OR s.role IN ('owner', 'moderator')
		OR EXISTS (SELECT 1 FROM channel_readers r
			WHERE r.channel_id = ch.id AND r.user_id = p_user)
$$;

-- Role ranks for "nobody acts on someone of an equal or higher role".
CREATE FUNCTION isacd_role_rank(p_role text) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE p_role WHEN 'owner' THEN 3 WHEN 'moderator' THEN 2
		WHEN 'member' THEN 1 ELSE 0 END
$$;

-- ---- how they are shown ----------------------------------------------------

CREATE FUNCTION isacd_community_json(c communities, p_role text,
	p_state text, p_staff boolean) RETURNS json
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
		'require_totp', c.require_totp,
		'erase_content_on_leave', c.erase_content_on_leave,
		'member_count', CASE WHEN p_role IS NOT NULL OR p_staff THEN
			(SELECT count(*) FROM memberships m
			 WHERE m.community_id = c.id) END,
		'membership', CASE WHEN p_role IS NOT NULL THEN
			json_build_object('role', p_role, 'status',
				CASE WHEN p_state = 'suspended' THEN 'suspended'
				ELSE 'active' END) END,
		'created_at', isacd_ts(c.created_at),
		'updated_at', isacd_ts(c.updated_at))
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
		'can_post', p_access IN ('post', 'moderate'),
		'can_moderate', p_access = 'moderate',
		'created_at', isacd_ts(ch.created_at),
		'updated_at', isacd_ts(ch.updated_at))
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

CREATE OR REPLACE FUNCTION isacd_organisation_json(o organisations)
RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'id', o.id,
		'name', o.name,
		'sector', o.sector,
		'country', o.country,
		'status', o.status,
		'created_at', isacd_ts(o.created_at))
$$;

-- GET /me: memberships in every standing, and join requests still pending
CREATE OR REPLACE FUNCTION isacd_user_json(u users) RETURNS json
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
