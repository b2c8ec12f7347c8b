-- 70_events.sql: events, written by triggers in the transaction of the
-- change they announce, and what a subscriber of this instance receives
-- of each (the realtime layer's only statements of substance).
--
-- Every path that changes a post, a comment, a sighting or someone's access
-- -- the API's functions, the purge, a CLI command, a foreign key's cascade
-- -- writes its events here the same way.  This file is the one place that
-- creates these triggers (CREATE OR REPLACE TRIGGER), beside their
-- functions.
--
-- Event types.  Delivered to subscribers: post.created, post.updated,
-- post.deleted, comment.created, comment.updated, comment.deleted,
-- sighting.created, member.joined, member.left.  For the realtime layer
-- only: access (someone's access to a channel or community may have
-- changed: re-ask the access definition) and credential.revoked (a
-- session or API token ended: close its sockets).

-- The next number of an event in this transaction (1, 2, ...), kept in a
-- transaction-local setting.
CREATE FUNCTION isacd_event_ord() RETURNS integer
LANGUAGE sql VOLATILE AS $$
	SELECT set_config('isacd.event_ord', (coalesce(nullif(current_setting(
		'isacd.event_ord', true), ''), '0')::integer + 1)::text, true)::integer
$$;

-- (purged: written by a batch of the purge, which sets isacd.purging for
-- its transaction; 80_privacy.sql)
CREATE FUNCTION isacd_emit(p_type text, p_community uuid, p_channel uuid,
	p_post uuid, p_comment uuid, p_org uuid, p_user uuid, p_cred uuid,
	p_tlp text, p_author uuid, p_recipients uuid[], p_lost_tlp text,
	p_lost_recipients uuid[], p_role text, p_status text) RETURNS void
LANGUAGE sql VOLATILE AS $$
	INSERT INTO events (xid, ord, seq, type, community_id, channel_id,
		post_id, comment_id, organisation_id, user_id, credential_id, tlp,
		author_id, recipients, lost_tlp, lost_recipients, role, status,
		purged)
	SELECT x.xid, x.ord, x.xid::text::bigint * 4096 + x.ord, p_type,
		p_community, p_channel, p_post, p_comment, p_org, p_user, p_cred,
		p_tlp, p_author, p_recipients, p_lost_tlp, p_lost_recipients, p_role,
		p_status, coalesce(current_setting('isacd.purging', true), '') = 'on'
	FROM (SELECT pg_current_xact_id() AS xid, isacd_event_ord() AS ord) x
$$;

-- The post.deleted events of a batch of the purge (80_privacy.sql), as one
-- statement before it deletes those posts: the same rows isacd_emit_post
-- writes, numbered on from this transaction's last event.  The trigger on
-- posts leaves them to this while isacd.purging is on: one event a post
-- written a row at a time costs the purge more than the rest of it.
CREATE FUNCTION isacd_emit_posts_deleted(p_ids uuid[]) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	base integer := coalesce(nullif(current_setting('isacd.event_ord', true),
		''), '0')::integer;
	n integer;
BEGIN
	INSERT INTO events (xid, ord, seq, type, community_id, channel_id,
		post_id, tlp, author_id, recipients, purged)
	SELECT pg_current_xact_id(), base + x.n,
		pg_current_xact_id()::text::bigint * 4096 + base + x.n, 'post.deleted',
		x.community_id, x.channel_id, x.id, x.tlp, x.author_id, x.recipients,
		true
	FROM (SELECT p.*, (row_number() OVER (ORDER BY p.id))::integer AS n
		FROM posts p WHERE p.id = ANY (p_ids)) x;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM set_config('isacd.event_ord', (base + n)::text, true);
END
$$;

-- A content event (post, comment, sighting) of post p.
CREATE FUNCTION isacd_emit_post(p_type text, p posts, p_comment uuid,
	p_org uuid, p_lost_tlp text, p_lost_recipients uuid[]) RETURNS void
LANGUAGE sql VOLATILE AS $$
	SELECT isacd_emit(p_type, p.community_id, p.channel_id, p.id, p_comment,
		p_org, NULL, NULL, p.tlp, p.author_id, p.recipients, p_lost_tlp,
		p_lost_recipients, NULL, NULL)
$$;

-- An access event: someone's access to a channel (or to a community's
-- channels, p_channel NULL; or, p_community NULL too, to all of a user's)
-- may have changed.
CREATE FUNCTION isacd_emit_access(p_community uuid, p_channel uuid,
	p_user uuid) RETURNS void
LANGUAGE sql VOLATILE AS $$
	SELECT isacd_emit('access', p_community, p_channel, NULL, NULL, NULL,
		p_user, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
$$;

-- ---- the triggers -------------------------------------------------------------

CREATE OR REPLACE FUNCTION isacd_events_posts() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		PERFORM isacd_emit_post('post.created', NEW, NULL, NULL, NULL, NULL);
	ELSIF TG_OP = 'UPDATE' THEN
		-- what a reader sees changed (not the search vector alone, nor a
		-- legal hold, which readers are not shown)
		IF (to_jsonb(OLD) - 'search' - 'updated_at' - 'legal_hold'
				- 'legal_hold_reason')
			IS DISTINCT FROM (to_jsonb(NEW) - 'search' - 'updated_at'
				- 'legal_hold' - 'legal_hold_reason') THEN
			PERFORM isacd_emit_post('post.updated', NEW, NULL, NULL, OLD.tlp,
				OLD.recipients);
		END IF;
	ELSIF coalesce(current_setting('isacd.purging', true), '') <> 'on'
		AND EXISTS (SELECT 1 FROM channels WHERE id = OLD.channel_id) THEN
		-- (a channel deleted with its posts is one access event instead;
		-- the purge writes its own, isacd_emit_posts_deleted)
		PERFORM isacd_emit_post('post.deleted', OLD, NULL, NULL, NULL, NULL);
	END IF;
	RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER posts_events AFTER INSERT OR UPDATE OR DELETE
	ON posts FOR EACH ROW EXECUTE FUNCTION isacd_events_posts();

CREATE OR REPLACE FUNCTION isacd_events_comments() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	p posts;
BEGIN
	IF TG_OP = 'DELETE'
		AND coalesce(current_setting('isacd.purging', true), '') = 'on' THEN
		RETURN NULL; -- purged with its post: the post.deleted says it all
	END IF;
	SELECT * INTO p FROM posts
	WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.post_id ELSE NEW.post_id END;
	IF NOT FOUND THEN
		RETURN NULL; -- deleted with its post: the post.deleted says it all
	END IF;
	IF TG_OP = 'INSERT' THEN
		PERFORM isacd_emit_post('comment.created', p, NEW.id, NULL, NULL,
			NULL);
	ELSIF TG_OP = 'UPDATE' THEN
		PERFORM isacd_emit_post('comment.updated', p, NEW.id, NULL, NULL,
			NULL);
	ELSE
		PERFORM isacd_emit_post('comment.deleted', p, OLD.id, NULL, NULL,
			NULL);
	END IF;
	RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER comments_events AFTER INSERT OR UPDATE OR DELETE
	ON comments FOR EACH ROW EXECUTE FUNCTION isacd_events_comments();

CREATE OR REPLACE FUNCTION isacd_events_sightings() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	p posts;
BEGIN
	SELECT * INTO p FROM posts WHERE id = NEW.post_id;
	PERFORM isacd_emit_post('sighting.created', p, NULL, NEW.organisation_id,
		NULL, NULL);
	RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER sightings_events AFTER INSERT
	ON sightings FOR EACH ROW EXECUTE FUNCTION isacd_events_sightings();

-- A membership: joined and left are delivered (the roster rule decides to
-- whom); any change is also an access event for the member.
CREATE OR REPLACE FUNCTION isacd_events_memberships() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		PERFORM isacd_emit('member.joined', NEW.community_id, NULL, NULL, NULL,
			NULL, NEW.user_id, NULL, NULL, NULL, NULL, NULL, NULL, NEW.role,
			NEW.status);
	ELSIF TG_OP = 'DELETE' THEN
		IF EXISTS (SELECT 1 FROM communities WHERE id = OLD.community_id) THEN
			PERFORM isacd_emit('member.left', OLD.community_id, NULL, NULL,
				NULL, NULL, OLD.user_id, NULL, NULL, NULL, NULL, NULL, NULL,
				OLD.role, OLD.status);
		END IF;
		PERFORM isacd_emit_access(OLD.community_id, NULL, OLD.user_id);
	ELSIF (OLD.role, OLD.status) IS DISTINCT FROM (NEW.role, NEW.status) THEN
		PERFORM isacd_emit_access(NEW.community_id, NULL, NEW.user_id);
	END IF;
	RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER memberships_events AFTER INSERT OR UPDATE OR DELETE
	ON memberships FOR EACH ROW EXECUTE FUNCTION isacd_events_memberships();

CREATE OR REPLACE FUNCTION isacd_events_channel_readers() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	r channel_readers := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
BEGIN
	PERFORM isacd_emit_access(ch.community_id, ch.id, r.user_id)
	FROM channels ch WHERE ch.id = r.channel_id;
	RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER channel_readers_events AFTER INSERT OR DELETE
	ON channel_readers FOR EACH ROW
	EXECUTE FUNCTION isacd_events_channel_readers();

-- A channel made restricted, given other posting rights, or deleted.
CREATE OR REPLACE FUNCTION isacd_events_channels() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		PERFORM isacd_emit_access(OLD.community_id, OLD.id, NULL);
	ELSIF (OLD.visibility, OLD.posting) IS DISTINCT FROM
		(NEW.visibility, NEW.posting) THEN
		PERFORM isacd_emit_access(NEW.community_id, NEW.id, NULL);
	END IF;
	RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER channels_events AFTER UPDATE OR DELETE
	ON channels FOR EACH ROW EXECUTE FUNCTION isacd_events_channels();

-- A community that starts requiring TOTP (or stops), or changes its roster.
CREATE OR REPLACE FUNCTION isacd_events_communities() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF (OLD.require_totp, OLD.roster) IS DISTINCT FROM
		(NEW.require_totp, NEW.roster) THEN
		PERFORM isacd_emit_access(NEW.id, NULL, NULL);
	END IF;
	RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER communities_events AFTER UPDATE
	ON communities FOR EACH ROW EXECUTE FUNCTION isacd_events_communities();

-- A second factor enabled or removed changes access where TOTP is required.
CREATE OR REPLACE FUNCTION isacd_events_totp() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM isacd_emit_access(NULL, NULL,
		CASE WHEN TG_OP = 'DELETE' THEN OLD.user_id ELSE NEW.user_id END);
	RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER totp_events AFTER INSERT OR UPDATE OF confirmed_at
	OR DELETE ON totp_secrets FOR EACH ROW EXECUTE FUNCTION isacd_events_totp();

-- A session or API token that ends: logout, a password change, an
-- organisation suspended, a token revoked, an account erased.  (The purge
-- deleting a credential that had ended already says nothing.)
CREATE OR REPLACE FUNCTION isacd_events_credentials() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF (TG_OP = 'DELETE' AND OLD.revoked_at IS NULL
			AND OLD.expires_at > now())
		OR (TG_OP = 'UPDATE' AND OLD.revoked_at IS NULL
			AND NEW.revoked_at IS NOT NULL) THEN
		PERFORM isacd_emit('credential.revoked', NULL, NULL, NULL, NULL, NULL,
			OLD.user_id, OLD.id, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	END IF;
	RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER sessions_events AFTER UPDATE OF revoked_at OR DELETE
	ON sessions FOR EACH ROW EXECUTE FUNCTION isacd_events_credentials();
CREATE OR REPLACE TRIGGER api_tokens_events AFTER UPDATE OF revoked_at
	OR DELETE ON api_tokens FOR EACH ROW
	EXECUTE FUNCTION isacd_events_credentials();

-- ---- reading the events --------------------------------------------------------
--
-- The position of a reader is (xid, ord): every event of a transaction
-- older than the oldest transaction still in flight (the snapshot's xmin)
-- is final -- committed or gone -- so reading those in (xid, ord) order
-- delivers each event once and in seq order, whatever order the commits
-- came in.  A long writing transaction anywhere in the database holds
-- delivery back until it ends (isacd's own are bounded by its
-- statement_timeout).

-- The events after position (p_xid, p_ord) that are final now, in order, at
-- most p_limit; and the horizon: the position up to which everything is
-- read when fewer than p_limit came ((horizon, 0)).  No event: one row
-- with the horizon alone.
CREATE FUNCTION isacd_events_after(p_xid xid8, p_ord integer,
	p_limit integer)
RETURNS TABLE (xid xid8, ord integer, seq bigint, type text,
	community_id uuid, channel_id uuid, user_id uuid, credential_id uuid,
	horizon xid8)
LANGUAGE sql STABLE AS $$
	SELECT e.xid, e.ord, e.seq, e.type, e.community_id, e.channel_id,
		e.user_id, e.credential_id, h.x
	FROM (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS x) h
	LEFT JOIN LATERAL (SELECT * FROM events e
		WHERE (e.xid, e.ord) > (p_xid, p_ord) AND e.xid < h.x
		ORDER BY e.xid, e.ord LIMIT p_limit) e ON true
	ORDER BY e.xid, e.ord
$$;

-- What the users p_users (subscribers of the event's channel, or of
-- channels of its community, on one instance) receive of event e, grouped
-- by the view they get: one row per distinct view, with its users, the
-- event's name as they receive it and its data.  Who receives it is the
-- access definition asked now: an event reaches a user exactly when GET of
-- its post would answer 200 at this moment, and shows what that GET would.
CREATE FUNCTION isacd_event_views(e events, p_users uuid[])
RETURNS TABLE (kind text, users uuid[], data json)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	p posts;
	c comments;
	s sightings;
	m memberships;
	per_reader boolean;
BEGIN
	IF e.type IN ('post.created', 'post.updated', 'comment.created',
		'comment.updated', 'comment.deleted', 'sighting.created') THEN
		SELECT * INTO p FROM posts WHERE id = e.post_id;
	END IF;
	IF e.type IN ('post.created', 'post.updated') AND p.id IS NOT NULL THEN
		-- The readers among p_users are isacd_post_readers(p.id) -- the
		-- channel's readers whom p's TLP admits -- asked with the post
		-- already in hand: its channel, TLP, author and recipients are
		-- values here, so the plan goes from each subscriber's membership
		-- to the one channel.  (Through isacd_post_readers the cached
		-- generic plan, which takes p_users for 10 users, joined every
		-- subscriber to every channel of the community and then to the
		-- post: 0.4 s for 10,000 subscribers where this takes 0.04 s.)
		-- Readers with the same key get the same view (isacd_post_view_key);
		-- the key depends on the reader beyond role, access and authorship
		-- only when p has indicators or was shared, so only then is it
		-- asked per reader (~30 us each).
		per_reader := p.shared_from IS NOT NULL
			OR EXISTS (SELECT 1 FROM post_indicators i WHERE i.post_id = p.id);
		RETURN QUERY
		WITH a AS (
			SELECT r.user_id, r.role, r.access,
				CASE WHEN per_reader
					THEN isacd_post_view_key(p, r.user_id, r.role, r.access)
					ELSE (r.user_id = p.author_id)::text END AS key
			FROM isacd_channel_access() r
			JOIN unnest(p_users) u (id) ON u.id = r.user_id
			WHERE r.channel_id = p.channel_id
				AND isacd_reads_post(r.reads, p.tlp, p.author_id, p.recipients,
					r.user_id)
		), k AS (
			SELECT a.role, a.access, array_agg(a.user_id ORDER BY a.user_id) AS us
			FROM a GROUP BY a.key, a.role, a.access
		)
		SELECT e.type, k.us, (SELECT v.j FROM isacd_post_view(p, k.us[1],
			k.role, k.access) v) FROM k;
	END IF;
	IF e.type = 'post.deleted' OR (e.type = 'post.updated'
		AND e.lost_tlp IS NOT NULL) THEN
		-- the readers it had (post.updated: before the edit) who do not
		-- read it now get post.deleted, and nothing more of it
		RETURN QUERY
		SELECT 'post.deleted', array_agg(a.user_id ORDER BY a.user_id),
			json_build_object('id', e.post_id, 'channel_id', e.channel_id)
		FROM isacd_channel_access() a
		JOIN unnest(p_users) u (id) ON u.id = a.user_id
		WHERE a.channel_id = e.channel_id
			AND isacd_reads_post(a.reads, coalesce(e.lost_tlp, e.tlp),
				e.author_id, CASE WHEN e.lost_tlp IS NULL THEN e.recipients
					ELSE e.lost_recipients END, a.user_id)
			AND NOT (e.type = 'post.updated' AND p.id IS NOT NULL
				AND isacd_reads_post(a.reads, p.tlp, p.author_id,
					p.recipients, a.user_id))
		HAVING count(*) > 0;
	END IF;
	IF e.type IN ('comment.created', 'comment.updated') AND p.id IS NOT NULL
	THEN
		SELECT * INTO c FROM comments WHERE id = e.comment_id;
		IF FOUND THEN
			RETURN QUERY
			WITH k AS (
				SELECT r.role, r.access, array_agg(r.user_id ORDER BY r.user_id)
					AS us
				FROM isacd_post_readers(p.id) r
				JOIN unnest(p_users) u (id) ON u.id = r.user_id
				GROUP BY r.role, r.access, r.user_id = c.author_id
			)
			SELECT e.type, k.us, isacd_comment_json(c, p, k.us[1], k.role,
				k.access) FROM k;
		END IF;
	END IF;
	IF e.type = 'comment.deleted' AND p.id IS NOT NULL THEN
		RETURN QUERY
		SELECT e.type, array_agg(r.user_id ORDER BY r.user_id),
			json_build_object('id', e.comment_id, 'post_id', p.id)
		FROM isacd_post_readers(p.id) r
		JOIN unnest(p_users) u (id) ON u.id = r.user_id
		HAVING count(*) > 0;
	END IF;
	IF e.type = 'sighting.created' AND p.id IS NOT NULL THEN
		SELECT * INTO s FROM sightings
		WHERE post_id = p.id AND organisation_id = e.organisation_id;
		IF FOUND THEN
			RETURN QUERY
			WITH k AS (
				SELECT r.role, us.organisation_id AS org,
					array_agg(r.user_id ORDER BY r.user_id) AS us
				FROM isacd_post_readers(p.id) r
				JOIN unnest(p_users) u (id) ON u.id = r.user_id
				JOIN users us ON us.id = r.user_id
				GROUP BY r.role, us.organisation_id = s.organisation_id,
					us.organisation_id, r.user_id = p.author_id
			)
			SELECT e.type, k.us, json_build_object('post_id', p.id,
				'total', (SELECT count(*) FROM sightings x
					WHERE x.post_id = p.id),
				'sighting', isacd_sighting_entry(s, p, cm.roster, k.us[1],
					k.role, k.org))
			FROM k JOIN communities cm ON cm.id = p.community_id;
		END IF;
	END IF;
	IF e.type IN ('member.joined', 'member.left') THEN
		-- the roster rule: active members who see the member on the roster
		SELECT * INTO m FROM memberships
		WHERE community_id = e.community_id AND user_id = e.user_id;
		RETURN QUERY
		SELECT e.type, array_agg(u.id ORDER BY u.id),
			CASE WHEN e.type = 'member.joined' AND m.user_id IS NOT NULL
				THEN isacd_member_json(m)
				ELSE json_build_object('user_id', e.user_id) END
		FROM unnest(p_users) u (id)
		JOIN isacd_standings() st ON st.user_id = u.id
			AND st.community_id = e.community_id
		JOIN communities cm ON cm.id = e.community_id
		WHERE isacd_community_verdict(st.state, st.role, false, 'member')
				= 'ok'
			AND isacd_roster_shows(u.id, st.role, cm.roster, e.user_id,
				e.role, e.status)
		HAVING count(*) > 0;
	END IF;
END
$$;

-- The deliveries of a batch of events to this instance's subscribers:
-- p_batch is [{"xid": "...", "ord": n, "users": ["uuid", ...]}, ...] in
-- event order; one row per distinct view, in the batch's order.
CREATE FUNCTION isacd_deliveries(p_batch jsonb)
RETURNS TABLE (i integer, seq bigint, kind text, community_id uuid,
	channel_id uuid, users uuid[], data json)
LANGUAGE sql STABLE AS $$
	SELECT b.i::integer, e.seq, v.kind, e.community_id, e.channel_id,
		v.users, v.data
	FROM jsonb_array_elements(p_batch) WITH ORDINALITY b (x, i)
	JOIN events e ON e.xid = (b.x ->> 'xid')::xid8
		AND e.ord = (b.x ->> 'ord')::integer
	CROSS JOIN LATERAL isacd_event_views(e, ARRAY(SELECT jsonb_array_elements_text(
		b.x -> 'users'))::uuid[]) v
	ORDER BY b.i
$$;

-- Replaying what a user missed: per channel of p_channels (those they may
-- read), 'resync' when p_since is older than what is kept (events are
-- kept 24 hours and at most what the purge left: event_horizon) or more
-- than 1,000 of its events came after it; else the channel's events after
-- p_since (and its community's member events), final now, in order, as
-- the user receives them.
CREATE FUNCTION isacd_replay(p_user uuid, p_channels uuid[], p_since bigint)
RETURNS TABLE (channel_id uuid, resync boolean, seq bigint, kind text,
	community_id uuid, data json)
LANGUAGE sql STABLE AS $$
	WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS x),
	ch AS (
		SELECT c.id, c.community_id,
			p_since < coalesce((SELECT pruned_seq FROM event_horizon), 0)
			OR (SELECT count(*) FROM (SELECT 1 FROM events e, h
				WHERE e.channel_id = c.id AND e.seq > p_since AND e.xid < h.x
				LIMIT 1001) n) > 1000 AS resync
		FROM channels c WHERE c.id = ANY (p_channels)
	),
	ev AS (
		SELECT DISTINCT ON (e.xid, e.ord) e, ch.id AS for_channel
		FROM ch, h, events e
		WHERE NOT ch.resync AND e.seq > p_since AND e.xid < h.x
			AND (e.channel_id = ch.id OR (e.channel_id IS NULL
				AND e.community_id = ch.community_id
				AND e.type IN ('member.joined', 'member.left')))
		ORDER BY e.xid, e.ord
	)
	SELECT ch.id, true, NULL::bigint, NULL, NULL::uuid, NULL::json
	FROM ch WHERE ch.resync
	UNION ALL
	(SELECT coalesce((ev.e).channel_id, ev.for_channel), false, (ev.e).seq,
		v.kind, (ev.e).community_id, v.data
	FROM ev CROSS JOIN LATERAL isacd_event_views(ev.e, ARRAY[p_user]) v
	ORDER BY (ev.e).seq)
$$;
