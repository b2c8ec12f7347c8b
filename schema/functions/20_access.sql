-- 20_access.sql: who may see and do what -- the one access definition.
--
-- Each question has one function here, and every statement, event and
-- export asks it; nothing restates a rule, not even as its negation.
--
--   what a membership is worth            isacd_standings()
--   may know of a community, as what      isacd_communities_for(user)
--   may moderate                          isacd_moderates(role), with the
--                                         standing 'active'
--   may know of / read / post in a        isacd_channel_access() for every
--     channel                             (user, channel);
--                                         isacd_channel_rights(user)
--   may read a post                       isacd_reads_post: the user reads
--                                         the post's channel and its TLP
--                                         admits the user (isacd_tlp_admits);
--                                         row forms isacd_post_access() for
--                                         every (user, post),
--                                         isacd_post_rights(user) and
--                                         isacd_post_readers(post); set form
--                                         isacd_readable(user) +
--                                         isacd_may_read(...); a page of one
--                                         channel asks it with the channel's
--                                         gate
--   sees who wrote something              isacd_shows_author
--   sees a member on the roster           isacd_roster_shows
--   may name a TLP:RED recipient          isacd_recipient_ok
--   is platform staff                     isacd_is_staff
--   receives an advisory                  isacd_advisory_rights(user): a
--                                         copy the user may read (the post
--                                         rule); staff see every advisory
--   may read a knowledge article          isacd_article_visible
--   speaks for an organisation            isacd_org_verdict (its users)
--   the organisations of a community      isacd_community_organisations
--   what an aggregate may describe        isacd_k_min (at least five
--                                         organisations), and the posts
--                                         the agency may count:
--                                         isacd_agency_counts
--   governs retention and legal holds     isacd_community_verdict
--                                         'own_or_staff';
--                                         isacd_channel_govern_gate,
--                                         isacd_post_govern_gate
--
-- and the verdict of a request, a word the C side maps to an HTTP answer
-- in one table (auth/auth.c, api/api_access.c): isacd_community_verdict,
-- isacd_channel_verdict, isacd_advisory_gate, isacd_org_verdict.
--
-- The table functions are inlinable SQL (one SELECT, STABLE, not STRICT):
-- PostgreSQL plans a statement that joins them as if the rule were written
-- into it, and pushes a filter on user_id or channel_id down into the
-- body, so the per-user form is an index lookup on memberships and the
-- per-post form one on the post's community.

-- Owners and moderators moderate: the one spelling of it.
CREATE FUNCTION isacd_moderates(p_role text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT coalesce(p_role IN ('owner', 'moderator'), false)
$$;

-- Role ranks for "nobody acts on someone of an equal or higher role".
CREATE FUNCTION isacd_role_rank(p_role text) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE p_role WHEN 'owner' THEN 3 WHEN 'moderator' THEN 2
		WHEN 'member' THEN 1 ELSE 0 END
$$;

-- What each membership is worth: 'active' -- the one standing that grants
-- anything -- or what keeps the member out for now: 'suspended', or
-- 'totp_required' when the community requires TOTP and the user has none.
CREATE FUNCTION isacd_standings()
RETURNS TABLE (user_id uuid, community_id uuid, role text, state text)
LANGUAGE sql STABLE AS $$
	SELECT m.user_id, m.community_id, m.role,
		CASE
		WHEN m.status = 'suspended' THEN 'suspended'
		WHEN c.require_totp AND NOT EXISTS (SELECT 1 FROM totp_secrets t
			WHERE t.user_id = m.user_id AND t.confirmed_at IS NOT NULL)
			THEN 'totp_required'
		WHEN m.status = 'active' THEN 'active'
		ELSE 'suspended' END
	FROM memberships m JOIN communities c ON c.id = m.community_id
$$;

CREATE FUNCTION isacd_standing(p_user uuid)
RETURNS TABLE (community_id uuid, role text, state text)
LANGUAGE sql STABLE AS $$
	SELECT s.community_id, s.role, s.state FROM isacd_standings() s
	WHERE s.user_id = p_user
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

-- The channels each member may know of, with what they may do there:
-- access 'moderate' (read, post, manage), 'post', 'read' (read, and take
-- part under posts: comments, sightings, one's own posts), 'read_only'
-- (the community's advisories channel, whose posting is 'agency': every
-- member reads it, nobody writes in it or manages it, moderators and
-- owners included; only the agency's advisories post there), or the
-- standing that keeps them out for now ('suspended', 'totp_required');
-- reads says whether they may read it now.  A restricted channel is known
-- only to its explicit readers and to the community's moderators and
-- owners; a channel outside the set does not exist for the user.
-- Platform staff who are not members have no channels at all.
CREATE FUNCTION isacd_channel_access()
RETURNS TABLE (user_id uuid, channel_id uuid, community_id uuid, role text,
	access text, reads boolean)
LANGUAGE sql STABLE AS $$
	SELECT s.user_id, ch.id, ch.community_id, s.role,
		CASE WHEN s.state = 'active' THEN
			CASE WHEN ch.posting = 'agency' THEN 'read_only'
			WHEN isacd_moderates(s.role) THEN 'moderate'
			WHEN ch.posting = 'members' THEN 'post'
			ELSE 'read' END
		ELSE s.state END,
		s.state = 'active'
	FROM isacd_standings() s
	JOIN channels ch ON ch.community_id = s.community_id
	WHERE ch.visibility = 'community' OR isacd_moderates(s.role)
		OR EXISTS (SELECT 1 FROM channel_readers r
			WHERE r.channel_id = ch.id AND r.user_id = s.user_id)
$$;

CREATE FUNCTION isacd_channel_rights(p_user uuid)
RETURNS TABLE (channel_id uuid, community_id uuid, role text, access text,
	reads boolean)
LANGUAGE sql STABLE AS $$
	SELECT a.channel_id, a.community_id, a.role, a.access, a.reads
	FROM isacd_channel_access() a WHERE a.user_id = p_user
$$;

-- The TLP part of reading a post: TLP:RED admits its author and its
-- recipients only (not moderators, owners or staff); the other labels
-- admit the channel's readers.
CREATE FUNCTION isacd_tlp_admits(p_tlp text, p_author uuid,
	p_recipients uuid[], p_user uuid) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT p_tlp <> 'TLP:RED' OR p_author = p_user OR p_user = ANY (p_recipients)
$$;

-- May user U read post P: U reads P's channel, and P's TLP admits U.  The
-- one rule; the forms below differ only in how they know whether U reads
-- the channel (a lookup per user and channel, or the set of channels U
-- reads).
CREATE FUNCTION isacd_reads_post(p_reads_channel boolean, p_tlp text,
	p_author uuid, p_recipients uuid[], p_user uuid) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT p_reads_channel
		AND isacd_tlp_admits(p_tlp, p_author, p_recipients, p_user)
$$;

-- Every (user, post) where the user may know of the post: the user knows
-- of its channel and its TLP admits the user; reads says whether the user
-- may read it now (false: a suspended member, or one lacking TOTP, who
-- gets a 403 rather than a 404).
CREATE FUNCTION isacd_post_access()
RETURNS TABLE (user_id uuid, post_id uuid, channel_id uuid,
	community_id uuid, role text, access text, reads boolean)
LANGUAGE sql STABLE AS $$
	SELECT a.user_id, p.id, a.channel_id, a.community_id, a.role, a.access,
		isacd_reads_post(a.reads, p.tlp, p.author_id, p.recipients,
			a.user_id)
	FROM isacd_channel_access() a JOIN posts p ON p.channel_id = a.channel_id
	WHERE isacd_tlp_admits(p.tlp, p.author_id, p.recipients, a.user_id)
$$;

-- The row form for one user: the posts the user may know of.
CREATE FUNCTION isacd_post_rights(p_user uuid)
RETURNS TABLE (post_id uuid, channel_id uuid, community_id uuid, role text,
	access text, reads boolean)
LANGUAGE sql STABLE AS $$
	SELECT a.post_id, a.channel_id, a.community_id, a.role, a.access,
		a.reads
	FROM isacd_post_access() a WHERE a.user_id = p_user
$$;

-- The row form for one post: who may read it now, with their role in its
-- community (the audience of a post's events).
CREATE FUNCTION isacd_post_readers(p_post uuid)
RETURNS TABLE (user_id uuid, role text, access text)
LANGUAGE sql STABLE AS $$
	SELECT a.user_id, a.role, a.access FROM isacd_post_access() a
	WHERE a.post_id = p_post AND a.reads
$$;

-- The set form, for statements over many posts at once (a channel's page,
-- search, correlation, the bulk lookup, seen_in): the channels the user
-- may read, computed once per statement, and a check per post that needs
-- no other table.  A post P is readable exactly when
-- isacd_may_read(P..., isacd_readable(user)) holds, which is
-- isacd_post_access with reads: the same channel rule and the same TLP
-- rule.  The set is a jsonb object keyed by channel id, whose keys
-- PostgreSQL keeps sorted: a check is a binary search.  isacd_readable is
-- a one-row table function, so that a statement inlines it and plans it
-- once (a scalar SQL function that reads a table is planned again at every
-- execution).  Call it as (SELECT x.readable FROM isacd_readable(u) x).
CREATE FUNCTION isacd_readable(p_user uuid) RETURNS TABLE (readable jsonb)
LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_object_agg(r.channel_id, true), '{}')
	FROM isacd_channel_rights(p_user) r WHERE r.reads
$$;

CREATE FUNCTION isacd_may_read(p_channel uuid, p_tlp text, p_author uuid,
	p_recipients uuid[], p_readable jsonb, p_user uuid) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT isacd_reads_post(p_readable ? p_channel::text, p_tlp, p_author,
		p_recipients, p_user)
$$;

-- Whether a reader sees who wrote something on a post: always, unless the
-- post is anonymous and it is the post's author's; then only the author
-- and the community's moderators and owners (accountability) do.
CREATE FUNCTION isacd_shows_author(p_anonymous boolean, p_post_author uuid,
	p_writer uuid, p_user uuid, p_role text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT NOT p_anonymous OR p_writer IS DISTINCT FROM p_post_author
		OR p_writer = p_user OR isacd_moderates(p_role)
$$;

-- The roster rule: a viewer (p_viewer_role: their role in the community,
-- already known to be an active member) sees member m when the viewer
-- moderates, m is the viewer, or m is active and the roster is open to
-- members ('members') or m moderates.  A suspended member is seen by
-- moderators, owners and themselves only.
CREATE FUNCTION isacd_roster_shows(p_viewer uuid, p_viewer_role text,
	p_roster text, p_member uuid, p_member_role text, p_member_status text)
RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT isacd_moderates(p_viewer_role) OR p_member = p_viewer
		OR (p_member_status = 'active'
			AND (p_roster = 'members' OR isacd_moderates(p_member_role)))
$$;

-- Whether user p_user (role p_role in the channel's community) may name
-- p_who as a recipient of a TLP:RED post in channel p_channel: someone the
-- user can see there -- themselves; on the roster as the user sees it,
-- when everyone in the community reads the channel or p_who moderates
-- (moderators and owners read every channel); or the shown author of a
-- post the user may read in the channel.  Whether p_who can read the
-- channel now is not asked: the answer would tell the user something the
-- roster does not show (a reader list, a missing second factor), and a
-- recipient reads the post only while they may read its channel anyway.
CREATE FUNCTION isacd_recipient_ok(p_user uuid, p_role text,
	p_channel uuid, p_who uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT p_who = p_user
		OR EXISTS (SELECT 1 FROM channels ch
			JOIN communities c ON c.id = ch.community_id
			JOIN memberships m ON m.community_id = ch.community_id
				AND m.user_id = p_who
			WHERE ch.id = p_channel
				AND (ch.visibility = 'community' OR isacd_moderates(m.role))
				AND isacd_roster_shows(p_user, p_role, c.roster, m.user_id,
					m.role, m.status))
		OR EXISTS (SELECT 1 FROM posts p
			WHERE p.channel_id = p_channel AND p.author_id = p_who
				AND isacd_tlp_admits(p.tlp, p.author_id, p.recipients, p_user)
				AND isacd_shows_author(p.anonymous, p.author_id, p.author_id,
					p_user, p_role))
$$;

-- ---- the agency ---------------------------------------------------------------

-- Platform staff: the agency's people, who govern the platform and read no
-- community's content unless they are members themselves.  The one
-- spelling of it (an unknown user is not staff).
CREATE FUNCTION isacd_is_staff(p_user uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT coalesce((SELECT u.platform_role = 'staff' FROM users u
		WHERE u.id = p_user), false)
$$;

-- The advisories a user receives: each one with a copy the user may read
-- now (the post rule, asked of the copies in the advisories channels the
-- user reads), with the community of that copy and the user's role there.
-- A withdrawn advisory has no copies left, so nobody receives it any
-- more; staff see every advisory without receiving it
-- (isacd_advisory_gate).
CREATE FUNCTION isacd_advisory_rights(p_user uuid)
RETURNS TABLE (advisory_id uuid, community_id uuid, post_id uuid,
	role text)
LANGUAGE sql STABLE AS $$
	SELECT p.advisory_id, p.community_id, p.id, r.role
	FROM isacd_channel_rights(p_user) r
	JOIN channels ch ON ch.id = r.channel_id AND ch.posting = 'agency'
	JOIN posts p ON p.channel_id = ch.id AND p.advisory_id IS NOT NULL
	WHERE isacd_reads_post(r.reads, p.tlp, p.author_id, p.recipients,
		p_user)
$$;

-- The organisations of a community: those of its members, in any
-- standing.  Whose acknowledgements a community's moderators see, whom
-- the agency's counts of a community count, whose self-assessments make
-- its benchmark.
CREATE FUNCTION isacd_community_organisations(p_community uuid)
RETURNS TABLE (organisation_id uuid)
LANGUAGE sql STABLE AS $$
	SELECT DISTINCT u.organisation_id
	FROM memberships m JOIN users u ON u.id = m.user_id
	WHERE m.community_id = p_community
$$;

-- A knowledge article is public once published; a draft is the agency's
-- (staff) alone.
CREATE FUNCTION isacd_article_visible(p_status text, p_staff boolean)
RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT p_status = 'published' OR coalesce(p_staff, false)
$$;

-- The fewest organisations an aggregate may describe (k-anonymity): a
-- benchmark, an insight or a cell of the threat picture over fewer is
-- suppressed, never approximated.
CREATE FUNCTION isacd_k_min() RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
	SELECT 5
$$;

-- Whether the agency may count a post of a community in its statistics:
-- the community's owner opted in (statistics 'agency') and the post's TLP
-- lets a number about it leave the community (TLP:CLEAR, GREEN and AMBER;
-- never AMBER+STRICT or RED).  The agency's own advisories are not the
-- communities' threat picture.
CREATE FUNCTION isacd_agency_counts(p_statistics text, p_tlp text,
	p_advisory uuid) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT p_statistics = 'agency'
		AND p_tlp IN ('TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER')
		AND p_advisory IS NULL
$$;

-- ---- verdicts ----------------------------------------------------------------
--
-- What a request may do, as one word: 'ok', or why not.  The C side maps
-- each word to its answer in one table (api/api_access.c); a word it does
-- not know is a bug it logs and answers 500.

-- A community route's verdict from isacd_communities_for's columns (all
-- NULL: the community is hidden).  p_need: 'see' (listed, member or
-- staff), 'member' (an active member: community content), 'moderate',
-- 'own', 'moderate_or_staff', 'own_or_staff'.
CREATE FUNCTION isacd_community_verdict(p_state text, p_role text,
	p_staff boolean, p_need text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE
	WHEN p_state IS NULL THEN 'community_hidden'
	WHEN p_need = 'see' THEN 'ok'
	WHEN p_staff AND p_need IN ('moderate_or_staff', 'own_or_staff')
		THEN 'ok'
	WHEN p_state = 'active' THEN CASE
		WHEN p_need = 'member' THEN 'ok'
		WHEN p_need IN ('moderate', 'moderate_or_staff') THEN
			CASE WHEN isacd_moderates(p_role) THEN 'ok'
			ELSE 'not_moderator' END
		WHEN p_need IN ('own', 'own_or_staff') THEN
			CASE WHEN p_role = 'owner' THEN 'ok'
			WHEN p_need = 'own' THEN 'owners_only'
			ELSE 'not_owner' END
		ELSE 'denied' END
	WHEN p_state = 'outsider' THEN
		CASE WHEN p_staff THEN 'staff_no_content' ELSE 'not_member' END
	WHEN p_state IN ('suspended', 'totp_required') THEN p_state
	ELSE 'denied' END
$$;

-- A channel's (or a post's) verdict from the access column of
-- isacd_channel_rights or isacd_post_rights (NULL: hidden, which is
-- p_hidden: 'channel_hidden' or 'post_hidden').  p_need: 'read', 'write'
-- (under a post: comment, sight, edit or delete one's own), 'post',
-- 'moderate'.  In a read-only channel every need but 'read' is
-- 'read_only'.
CREATE FUNCTION isacd_channel_verdict(p_access text, p_need text,
	p_hidden text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE
	WHEN p_access IS NULL THEN p_hidden
	WHEN p_access = 'moderate'
		OR (p_access = 'post' AND p_need IN ('read', 'write', 'post'))
		OR (p_access = 'read' AND p_need IN ('read', 'write'))
		OR (p_access = 'read_only' AND p_need = 'read') THEN 'ok'
	WHEN p_access IN ('suspended', 'totp_required', 'read_only')
		THEN p_access
	WHEN p_need = 'post' THEN 'cannot_post'
	WHEN p_need = 'moderate' THEN 'not_moderator'
	ELSE 'denied' END
$$;

-- ---- gates: one row with the verdict of a request on one object ------------
--
-- A statement starts from the gate of what it acts on, acts only when the
-- verdict is 'ok', and returns the verdict beside its result; the gate
-- always has one row (an object the user may not know of has the verdict
-- of a hidden one, exactly as an unknown id).

CREATE FUNCTION isacd_community_gate(p_user uuid, p_community uuid,
	p_need text)
RETURNS TABLE (verdict text, role text, state text, staff boolean)
LANGUAGE sql STABLE AS $$
	SELECT isacd_community_verdict(f.state, f.role, f.staff, p_need),
		f.role, f.state, coalesce(f.staff, false)
	FROM (SELECT 1) one
	LEFT JOIN isacd_communities_for(p_user) f
		ON f.community_id = p_community
$$;

CREATE FUNCTION isacd_channel_gate(p_user uuid, p_channel uuid,
	p_need text)
RETURNS TABLE (verdict text, community_id uuid, role text, access text)
LANGUAGE sql STABLE AS $$
	SELECT isacd_channel_verdict(r.access, p_need, 'channel_hidden'),
		r.community_id, r.role, r.access
	FROM (SELECT 1) one
	LEFT JOIN isacd_channel_rights(p_user) r ON r.channel_id = p_channel
$$;

CREATE FUNCTION isacd_post_gate(p_user uuid, p_post uuid, p_need text)
RETURNS TABLE (verdict text, channel_id uuid, community_id uuid,
	role text, access text)
LANGUAGE sql STABLE AS $$
	SELECT isacd_channel_verdict(r.access, p_need, 'post_hidden'),
		r.channel_id, r.community_id, r.role, r.access
	FROM (SELECT 1) one
	LEFT JOIN isacd_post_rights(p_user) r ON r.post_id = p_post
$$;

-- A request on an advisory: one row, with its verdict and whether the user
-- is staff.  p_need: 'see' (staff, or a receiver: isacd_advisory_rights),
-- 'staff' (the agency's own view: a receiver who is not staff gets
-- 'not_staff'), 'ack' (a receiver, for their organisation: staff who
-- receive nothing get 'not_recipient').  An advisory the user neither
-- receives nor, as staff, sees is 'advisory_hidden', exactly as an
-- unknown id.
CREATE FUNCTION isacd_advisory_gate(p_user uuid, p_advisory uuid,
	p_need text)
RETURNS TABLE (verdict text, staff boolean, receives boolean)
LANGUAGE sql STABLE AS $$
	SELECT CASE
		WHEN a.id IS NULL OR NOT (s.staff OR x.receives)
			THEN 'advisory_hidden'
		WHEN p_need = 'see' THEN 'ok'
		WHEN p_need = 'staff' THEN
			CASE WHEN s.staff THEN 'ok' ELSE 'not_staff' END
		WHEN p_need = 'ack' THEN
			CASE WHEN x.receives THEN 'ok' ELSE 'not_recipient' END
		ELSE 'denied' END,
		s.staff, x.receives
	FROM (SELECT isacd_is_staff(p_user) AS staff) s
	LEFT JOIN advisories a ON a.id = p_advisory
	CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1
		FROM isacd_advisory_rights(p_user) r
		WHERE r.advisory_id = p_advisory) AS receives) x
$$;

-- Whether the user speaks for organisation p_org: its own users do;
-- nobody else (not moderators, not staff) sees or makes its
-- self-assessments.  'organisation_not_found' for an unknown one (every
-- organisation is visible to everyone signed in), 'not_your_organisation'
-- otherwise.
CREATE FUNCTION isacd_org_verdict(p_user uuid, p_org uuid) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT CASE
		WHEN NOT EXISTS (SELECT 1 FROM organisations o WHERE o.id = p_org)
			THEN 'organisation_not_found'
		WHEN EXISTS (SELECT 1 FROM users u WHERE u.id = p_user
			AND u.organisation_id = p_org) THEN 'ok'
		ELSE 'not_your_organisation' END
$$;

-- ---- governing retention and legal holds -----------------------------------
--
-- Who sets how long content is kept, and holds it: the owners of a
-- community (for it, its channels and its posts) and platform staff (for
-- all of them) -- isacd_community_verdict's 'own_or_staff'.  A channel or a
-- post an owner may not know of (a TLP:RED post for others) is hidden from
-- them as from anyone; staff govern what they cannot read, and know the
-- channels of every community from its retention preview.

CREATE FUNCTION isacd_channel_govern_gate(p_user uuid, p_channel uuid)
RETURNS TABLE (verdict text, community_id uuid, role text, state text,
	staff boolean, access text)
LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN ch.id IS NULL THEN 'channel_hidden'
		WHEN g.staff THEN 'ok'
		WHEN r.access IS NULL THEN 'channel_hidden'
		ELSE g.verdict END,
		ch.community_id, g.role, g.state, coalesce(g.staff, false), r.access
	FROM (SELECT 1) one
	LEFT JOIN channels ch ON ch.id = p_channel
	LEFT JOIN LATERAL isacd_community_gate(p_user, ch.community_id,
		'own_or_staff') g ON true
	LEFT JOIN isacd_channel_rights(p_user) r ON r.channel_id = ch.id
$$;

CREATE FUNCTION isacd_post_govern_gate(p_user uuid, p_post uuid)
RETURNS TABLE (verdict text, channel_id uuid, community_id uuid)
LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN p.id IS NULL THEN 'post_hidden'
		WHEN g.staff THEN 'ok'
		WHEN r.access IS NULL THEN 'post_hidden'
		ELSE g.verdict END,
		p.channel_id, p.community_id
	FROM (SELECT 1) one
	LEFT JOIN posts p ON p.id = p_post
	LEFT JOIN LATERAL isacd_community_gate(p_user, p.community_id,
		'own_or_staff') g ON true
	LEFT JOIN isacd_post_rights(p_user) r ON r.post_id = p.id
$$;
