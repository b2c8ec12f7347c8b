-- 80_privacy.sql: what the AVG/GDPR asks of isacd, as functions -- the
-- retention preview and legal holds, the purge, erasure and export.
--
-- How long a post is kept is one rule (25_retention.sql); who governs it
-- is the access definition (20_access.sql: owners and staff).  The purge
-- runs in bounded batches, each its own transaction: a batch writes one
-- event per post it deletes (comments go with their post without one, and
-- copies shared from it lose their link with a post.updated), so a batch
-- of p_limit posts stays far below the 4,095 events a transaction may
-- write.  Afterwards no row of any table names a purged post: its
-- dependent rows go by cascade, audit entries keep their action without
-- the post, and once subscribers had time to hear of it (the settle time)
-- its events and idempotency keys are forgotten too.
--
-- Verdict words beyond the common ones: 'user_not_found' (404), 'more'
-- (an erasure has another step to run: the caller calls again).

-- ---- the retention preview ---------------------------------------------------

-- GET /communities/{c}/retention: each channel's effective retention, its
-- hold, and what the next run deletes there (counts only: they include
-- posts the caller may not read, which it is never shown).  p_next_run:
-- when this instance's next run starts (RFC 3339), or NULL.
CREATE FUNCTION isacd_retention_json(p_community uuid, p_next_run text)
RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'community_id', c.id,
		'retention_days', isacd_retention_days(NULL, c.retention_days),
		'retention_by_tlp', c.retention_by_tlp,
		'legal_hold', c.legal_hold,
		'legal_hold_reason', c.legal_hold_reason,
		'max_retention_days', isacd_max_retention(),
		'channels', coalesce((SELECT json_agg(json_build_object(
				'channel_id', ch.id,
				'name', ch.name,
				'retention_days', isacd_retention_days(ch.retention_days,
					c.retention_days),
				'retention_by_tlp', isacd_retention_by_tlp_json(
					isacd_retention_days(ch.retention_days, c.retention_days),
					c.retention_by_tlp),
				'legal_hold', ch.legal_hold OR c.legal_hold,
				'legal_hold_reason', ch.legal_hold_reason,
				'due', json_build_object('posts', coalesce(d.posts, 0),
					'comments', coalesce(d.comments, 0)))
				ORDER BY lower(ch.name), ch.id)
			FROM channels ch
			LEFT JOIN isacd_retention_due(c.id, NULL) d
				ON d.channel_id = ch.id
			WHERE ch.community_id = c.id), '[]'::json),
		'next_run_at', p_next_run)
	FROM communities c WHERE c.id = p_community
$$;

-- What the next run deletes in a community or a channel, as
-- {"posts": n, "comments": m}: the answer of a PATCH that sets retention.
CREATE FUNCTION isacd_retention_due_json(p_community uuid, p_channel uuid)
RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object('posts', coalesce(sum(d.posts), 0),
		'comments', coalesce(sum(d.comments), 0))
	FROM isacd_retention_due(p_community, p_channel) d
$$;

-- ---- legal holds ---------------------------------------------------------------

-- PATCH /communities/{c}, /channels/{c} or /posts/{p} with {legal_hold,
-- reason} (p_kind 'community', 'channel' or 'post'): an owner of the
-- community or staff.  Every change is audited with its reason; setting
-- what is already set (same reason) changes nothing.  → the verdict, and
-- the object as the caller sees it: a community or channel (whose
-- legal_hold shows), or for a post {id, legal_hold, legal_hold_reason}
-- (staff govern posts they may not read).
CREATE FUNCTION isacd_hold(p_actor uuid, p_kind text, p_id uuid,
	p_hold boolean, p_reason text, p_ip inet)
RETURNS TABLE (outcome text, response json)
LANGUAGE plpgsql AS $$
DECLARE
	g record;
	was boolean;
	was_reason text;
	v_community uuid;
	v_channel uuid;
	reason text := CASE WHEN p_hold THEN p_reason END;
	c communities;
	ch channels;
BEGIN
	IF p_kind = 'community' THEN
		SELECT * INTO g FROM isacd_community_gate(p_actor, p_id, 'own_or_staff');
		v_community := p_id;
	ELSIF p_kind = 'channel' THEN
		SELECT * INTO g FROM isacd_channel_govern_gate(p_actor, p_id);
		v_community := g.community_id;
		v_channel := p_id;
	ELSE
		SELECT * INTO g FROM isacd_post_govern_gate(p_actor, p_id);
		v_community := g.community_id;
		v_channel := g.channel_id;
	END IF;
	outcome := g.verdict;
	IF outcome <> 'ok' THEN
		RETURN NEXT; RETURN;
	END IF;
	IF p_kind = 'community' THEN
		SELECT x.legal_hold, x.legal_hold_reason INTO was, was_reason
		FROM communities x WHERE x.id = p_id FOR UPDATE;
		UPDATE communities x SET legal_hold = p_hold, legal_hold_reason = reason
		WHERE x.id = p_id RETURNING * INTO c;
	ELSIF p_kind = 'channel' THEN
		SELECT x.legal_hold, x.legal_hold_reason INTO was, was_reason
		FROM channels x WHERE x.id = p_id FOR UPDATE;
		UPDATE channels x SET legal_hold = p_hold, legal_hold_reason = reason
		WHERE x.id = p_id RETURNING * INTO ch;
	ELSE
		SELECT x.legal_hold, x.legal_hold_reason INTO was, was_reason
		FROM posts x WHERE x.id = p_id FOR UPDATE;
		UPDATE posts x SET legal_hold = p_hold, legal_hold_reason = reason
		WHERE x.id = p_id;
	END IF;
	IF was IS DISTINCT FROM p_hold OR was_reason IS DISTINCT FROM reason THEN
		PERFORM isacd_audit(p_actor, p_kind || CASE WHEN p_hold
			THEN '.legal_hold_set' ELSE '.legal_hold_lifted' END,
			v_community, NULL, p_ip,
			jsonb_strip_nulls(jsonb_build_object(
				'channel_id', CASE WHEN p_kind = 'channel' THEN v_channel END,
				'post_id', CASE WHEN p_kind = 'post' THEN p_id END,
				'reason', p_reason)));
	ELSE
		outcome := 'unchanged';
	END IF;
	IF p_kind = 'community' THEN
		response := isacd_community_json(c, p_actor, g.role, g.state,
			g.staff);
	ELSIF p_kind = 'channel' THEN
		response := isacd_channel_json(ch, g.access);
	ELSE
		response := json_build_object('id', p_id, 'legal_hold', p_hold,
			'legal_hold_reason', reason);
	END IF;
	RETURN NEXT;
END
$$;

-- ---- the purge ---------------------------------------------------------------
--
-- One purge at a time, across every isacd process on the database: a
-- session-level advisory lock, taken by `isacd purge` on its connection and
-- by `isacd serve` on the purge's own connection for the whole run.  Each
-- batch checks it still holds the lock (a connection that broke and came
-- back has lost it).

CREATE FUNCTION isacd_purge_lock_key() RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
	SELECT 7262610318::bigint
$$;

CREATE FUNCTION isacd_purge_locked() RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT EXISTS (SELECT 1 FROM pg_locks l
		WHERE l.locktype = 'advisory' AND l.pid = pg_backend_pid()
			AND l.granted AND l.objsubid = 1
			AND ((l.classid::bigint << 32) | l.objid::bigint)
				= isacd_purge_lock_key())
$$;

-- Delete at most about p_limit posts past their retention, with everything
-- that hangs off them, for the run p_run: → per channel, the posts and
-- comments deleted.  Each community gets one audit entry per run,
-- 'retention.purged', counts only, kept up to date batch by batch.
CREATE FUNCTION isacd_purge_batch(p_limit integer, p_run uuid)
RETURNS TABLE (community_id uuid, channel_id uuid, posts bigint,
	comments bigint)
LANGUAGE plpgsql AS $$
DECLARE
	ids uuid[];
	res jsonb;
	r record;
BEGIN
	IF NOT isacd_purge_locked() THEN
		RAISE EXCEPTION 'the purge lock is not held by this connection'
			USING ERRCODE = 'lock_not_available';
	END IF;
	-- the events of this transaction are the purge's (70_events.sql)
	PERFORM set_config('isacd.purging', 'on', true);
	-- due posts, weighed by the events deleting them writes: one, and one
	-- per copy shared from the post (its link goes)
	SELECT array_agg(x.post_id) INTO ids FROM (
		SELECT w.post_id, row_number() OVER (ORDER BY w.post_id) AS n,
			sum(w.weight) OVER (ORDER BY w.post_id) AS events
		FROM (SELECT d.post_id, 1 + (SELECT count(*) FROM posts s
				WHERE s.shared_from = d.post_id) AS weight
			FROM isacd_due_posts(p_limit) d LIMIT p_limit) w) x
	WHERE x.n = 1 OR x.events <= 2 * p_limit;
	IF ids IS NULL THEN
		RETURN;
	END IF;
	SELECT coalesce(jsonb_agg(jsonb_build_object('community_id', g.cm,
			'channel_id', g.ch, 'posts', g.posts, 'comments', g.comments)),
		'[]') INTO res
	FROM (SELECT p.community_id AS cm, p.channel_id AS ch, count(*) AS posts,
			sum((SELECT count(*) FROM comments c WHERE c.post_id = p.id))
				AS comments
		FROM posts p WHERE p.id = ANY (ids)
		GROUP BY p.community_id, p.channel_id) g;
	-- the audit trail keeps what was done, not to which post
	UPDATE audit_log a SET detail = (a.detail - 'post_id' - 'copy_id'
		- 'comment_id') || '{"post": "purged"}'
	WHERE (a.detail ? 'post_id' AND (a.detail ->> 'post_id') = ANY (ids::text[]))
		OR (a.detail ? 'copy_id' AND (a.detail ->> 'copy_id') = ANY (ids::text[]));
	PERFORM isacd_emit_posts_deleted(ids);
	-- what hangs off them, a statement a table (their cascades would go a
	-- row at a time, and write a comment.deleted a comment: the post's
	-- event says it all)
	DELETE FROM post_indicators i WHERE i.post_id = ANY (ids);
	DELETE FROM comments k WHERE k.post_id = ANY (ids);
	DELETE FROM post_revisions v WHERE v.post_id = ANY (ids);
	DELETE FROM sightings s WHERE s.post_id = ANY (ids);
	DELETE FROM posts p WHERE p.id = ANY (ids);
	FOR r IN SELECT (x ->> 'community_id')::uuid AS cm,
			sum((x ->> 'posts')::bigint) AS posts,
			sum((x ->> 'comments')::bigint) AS comments,
			jsonb_agg(x - 'community_id') AS channels
		FROM jsonb_array_elements(res) x GROUP BY 1
	LOOP
		-- [{channel_id, posts, comments}, ...]: this batch's added to the
		-- run's
		UPDATE audit_log a SET detail = jsonb_build_object('run', p_run,
			'posts', (a.detail ->> 'posts')::bigint + r.posts,
			'comments', (a.detail ->> 'comments')::bigint + r.comments,
			'channels', (SELECT jsonb_agg(jsonb_build_object(
					'channel_id', y.ch, 'posts', y.posts,
					'comments', y.comments) ORDER BY y.ch)
				FROM (SELECT z ->> 'channel_id' AS ch,
						sum((z ->> 'posts')::bigint) AS posts,
						sum((z ->> 'comments')::bigint) AS comments
					FROM (SELECT jsonb_array_elements(a.detail -> 'channels')
						UNION ALL SELECT jsonb_array_elements(r.channels)) w (z)
					GROUP BY 1) y))
		WHERE a.community_id = r.cm AND a.action = 'retention.purged'
			AND a.detail ->> 'run' = p_run::text;
		IF NOT FOUND THEN
			PERFORM isacd_audit(NULL, 'retention.purged', r.cm, NULL, NULL,
				jsonb_build_object('run', p_run, 'posts', r.posts,
					'comments', r.comments, 'channels', r.channels));
		END IF;
	END LOOP;
	RETURN QUERY SELECT (x ->> 'community_id')::uuid,
		(x ->> 'channel_id')::uuid, (x ->> 'posts')::bigint,
		(x ->> 'comments')::bigint
	FROM jsonb_array_elements(res) x;
END
$$;

-- What else the purge sweeps, kind by kind (p_what), at most p_limit rows
-- (p_dry: none, and no limit; → how many there are):
--   sessions, api_tokens      ended (expired or revoked)
--   realtime_tickets          expired
--   invites                   no longer pending for 30 days
--   join_requests             decided 30 days ago
--   idempotency_keys          older than 24 hours (their lifetime)
--   auth_throttle             login-failure records whose window, lock and
--                             24-hour memory of lockouts have passed
--                             (p_window_s: ISACD_LOGIN_WINDOW_S)
--   events                    older than the replay window (24 hours); the
--                             horizon moves past them, so a replay from
--                             before is a resync
--   audit_ips, session_ips    IP addresses older than p_ip_days
--                             (ISACD_IP_RETENTION_DAYS) are dropped
CREATE FUNCTION isacd_purge_sweep(p_what text, p_limit integer,
	p_ip_days integer, p_window_s integer, p_dry boolean)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	n integer := CASE WHEN p_dry THEN NULL ELSE p_limit END;
	t tid[];
	top bigint;
BEGIN
	IF p_what = 'sessions' THEN
		t := ARRAY(SELECT ctid FROM sessions
			WHERE expires_at < now() OR revoked_at IS NOT NULL LIMIT n);
		IF NOT p_dry THEN DELETE FROM sessions WHERE ctid = ANY (t); END IF;
	ELSIF p_what = 'api_tokens' THEN
		t := ARRAY(SELECT ctid FROM api_tokens
			WHERE expires_at < now() OR revoked_at IS NOT NULL LIMIT n);
		IF NOT p_dry THEN DELETE FROM api_tokens WHERE ctid = ANY (t); END IF;
	ELSIF p_what = 'realtime_tickets' THEN
		t := ARRAY(SELECT ctid FROM realtime_tickets
			WHERE expires_at < now() LIMIT n);
		IF NOT p_dry THEN
			DELETE FROM realtime_tickets WHERE ctid = ANY (t);
		END IF;
	ELSIF p_what = 'invites' THEN
		t := ARRAY(SELECT ctid FROM invites
			WHERE least(accepted_at, revoked_at, superseded_at, expires_at)
				< now() - interval '30 days' LIMIT n);
		IF NOT p_dry THEN DELETE FROM invites WHERE ctid = ANY (t); END IF;
	ELSIF p_what = 'join_requests' THEN
		t := ARRAY(SELECT ctid FROM join_requests
			WHERE status <> 'pending'
				AND decided_at < now() - interval '30 days' LIMIT n);
		IF NOT p_dry THEN
			DELETE FROM join_requests WHERE ctid = ANY (t);
		END IF;
	ELSIF p_what = 'idempotency_keys' THEN
		t := ARRAY(SELECT ctid FROM idempotency_keys
			WHERE created_at < now() - interval '24 hours' LIMIT n);
		IF NOT p_dry THEN
			DELETE FROM idempotency_keys WHERE ctid = ANY (t);
		END IF;
	ELSIF p_what = 'auth_throttle' THEN
		t := ARRAY(SELECT ctid FROM auth_throttle
			WHERE window_start < now() - make_interval(secs => p_window_s)
				AND (locked_until IS NULL OR locked_until < now())
				AND (last_lockout IS NULL
					OR last_lockout < now() - interval '24 hours')
			LIMIT n);
		IF NOT p_dry THEN
			DELETE FROM auth_throttle WHERE ctid = ANY (t);
		END IF;
	ELSIF p_what = 'events' THEN
		t := ARRAY(SELECT ctid FROM events
			WHERE created_at < now() - interval '24 hours' LIMIT n);
		IF NOT p_dry THEN
			WITH d AS (DELETE FROM events WHERE ctid = ANY (t) RETURNING seq)
			SELECT max(seq) INTO top FROM d;
			UPDATE event_horizon SET pruned_seq = greatest(pruned_seq, top)
			WHERE top IS NOT NULL;
		END IF;
	ELSIF p_what = 'audit_ips' THEN
		t := ARRAY(SELECT ctid FROM audit_log WHERE ip IS NOT NULL
			AND at < now() - make_interval(days => p_ip_days) LIMIT n);
		IF NOT p_dry THEN
			UPDATE audit_log SET ip = NULL WHERE ctid = ANY (t);
		END IF;
	ELSIF p_what = 'session_ips' THEN
		t := ARRAY(SELECT ctid FROM sessions WHERE ip IS NOT NULL
			AND created_at < now() - make_interval(days => p_ip_days) LIMIT n);
		IF NOT p_dry THEN
			UPDATE sessions SET ip = NULL WHERE ctid = ANY (t);
		END IF;
	ELSE
		RAISE EXCEPTION 'unknown sweep %', p_what;
	END IF;
	RETURN cardinality(t);
END
$$;

-- Forget the posts the purge deleted at least p_settle_s seconds ago:
-- their events (subscribers have heard of them by now; a replay from
-- before them is a resync) and the idempotency keys whose answers name
-- them.  → events, keys deleted.
CREATE FUNCTION isacd_purge_forget(p_settle_s integer,
	OUT events bigint, OUT keys bigint)
LANGUAGE plpgsql AS $$
DECLARE
	gone uuid[];
	top bigint;
BEGIN
	gone := ARRAY(SELECT DISTINCT e.post_id FROM events e
		WHERE e.purged AND e.type = 'post.deleted'
			AND e.created_at < now() - make_interval(secs => p_settle_s));
	events := 0;
	keys := 0;
	IF cardinality(gone) = 0 THEN
		RETURN;
	END IF;
	WITH d AS (DELETE FROM events e WHERE e.post_id = ANY (gone)
		RETURNING e.seq)
	SELECT count(*), max(d.seq) INTO events, top FROM d;
	UPDATE event_horizon SET pruned_seq = greatest(pruned_seq, top)
	WHERE top IS NOT NULL;
	DELETE FROM idempotency_keys k
	WHERE substring(k.location FROM '^/api/v1/posts/([0-9a-f-]{36})')::uuid
			= ANY (gone)
		OR (k.response ~ '"shared_from"' AND (k.response::jsonb ->> 'shared_from')::uuid
			= ANY (gone));
	GET DIAGNOSTICS keys = ROW_COUNT;
END
$$;

-- ---- erasure -------------------------------------------------------------------
--
-- DELETE /me and staff DELETE /users/{u}: the account's personal data goes
-- (e-mail, display name, password hash, TOTP secret, sessions and tokens,
-- invitations to its address, join requests, memberships, its login-failure
-- record); what it wrote stays, as a former member's, with no link back
-- (author NULL), except in communities that erase content on leave, where
-- it is deleted; its id leaves every TLP:RED recipient list.  The audit
-- trail keeps the actions, with a pseudonym (a fresh random id, recorded
-- nowhere else) in place of the person.  The last active owner of a
-- community cannot be erased ('last_owner').
--
-- Content is rewritten in bounded steps, each writing at most p_limit
-- events: while there is some, the answer is 'more' and the caller calls
-- again; the last step erases the account, under the lock of the
-- communities it owns, in one transaction ('ok').

CREATE FUNCTION isacd_erase_step(p_actor uuid, p_user uuid, p_ip inet,
	p_limit integer)
RETURNS TABLE (outcome text)
LANGUAGE plpgsql AS $$
DECLARE
	u users;
	n integer;
	pseudonym uuid := gen_random_uuid();
	email_re text;
BEGIN
	SELECT * INTO u FROM users WHERE id = p_user;
	IF NOT FOUND THEN
		outcome := 'user_not_found'; RETURN NEXT; RETURN;
	END IF;
	IF EXISTS (SELECT 1 FROM memberships m
		WHERE m.user_id = p_user AND m.role = 'owner' AND m.status = 'active'
			AND isacd_active_owners(m.community_id) <= 1) THEN
		outcome := 'last_owner'; RETURN NEXT; RETURN;
	END IF;
	outcome := 'more';
	-- communities that erase content on leave: what the person wrote there
	DELETE FROM posts p WHERE p.id IN (SELECT x.id FROM posts x
		JOIN communities c ON c.id = x.community_id
		WHERE x.author_id = p_user AND c.erase_content_on_leave
		LIMIT p_limit);
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n > 0 THEN
		RETURN NEXT; RETURN;
	END IF;
	DELETE FROM comments k WHERE k.id IN (SELECT x.id FROM comments x
		JOIN posts p ON p.id = x.post_id
		JOIN communities c ON c.id = p.community_id
		WHERE x.author_id = p_user AND c.erase_content_on_leave
		LIMIT p_limit);
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n > 0 THEN
		RETURN NEXT; RETURN;
	END IF;
	DELETE FROM sightings s USING posts p, communities c
	WHERE s.user_id = p_user AND p.id = s.post_id
		AND c.id = p.community_id AND c.erase_content_on_leave;
	-- elsewhere it stays, a former member's
	UPDATE posts p SET author_id = NULL WHERE p.id IN (SELECT x.id
		FROM posts x WHERE x.author_id = p_user LIMIT p_limit);
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n > 0 THEN
		RETURN NEXT; RETURN;
	END IF;
	UPDATE comments k SET author_id = NULL WHERE k.id IN (SELECT x.id
		FROM comments x WHERE x.author_id = p_user LIMIT p_limit);
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n > 0 THEN
		RETURN NEXT; RETURN;
	END IF;
	-- TLP:RED posts it received
	UPDATE posts p SET recipients = array_remove(p.recipients, p_user)
	WHERE p.id IN (SELECT x.id FROM posts x
		WHERE x.tlp = 'TLP:RED' AND x.recipients @> ARRAY[p_user]
		LIMIT p_limit);
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n > 0 THEN
		RETURN NEXT; RETURN;
	END IF;

	-- the account itself, at once
	PERFORM 1 FROM communities c WHERE c.id IN (SELECT m.community_id
		FROM memberships m WHERE m.user_id = p_user AND m.role = 'owner')
	ORDER BY c.id FOR UPDATE;
	IF EXISTS (SELECT 1 FROM memberships m
		WHERE m.user_id = p_user AND m.role = 'owner' AND m.status = 'active'
			AND isacd_active_owners(m.community_id) <= 1) THEN
		outcome := 'last_owner'; RETURN NEXT; RETURN;
	END IF;
	UPDATE post_revisions v SET recipients = array_remove(v.recipients, p_user)
	WHERE v.recipients @> ARRAY[p_user];
	UPDATE post_indicators i SET recipients = array_remove(i.recipients, p_user),
		author_id = CASE WHEN i.author_id = p_user THEN NULL ELSE i.author_id END
	WHERE i.recipients @> ARRAY[p_user] OR i.author_id = p_user;
	UPDATE events e SET recipients = array_remove(e.recipients, p_user),
		lost_recipients = array_remove(e.lost_recipients, p_user),
		author_id = CASE WHEN e.author_id = p_user THEN NULL
			ELSE e.author_id END
	WHERE e.recipients @> ARRAY[p_user] OR e.lost_recipients @> ARRAY[p_user]
		OR e.author_id = p_user;
	-- the audit trail: the actions stay, the person becomes a pseudonym
	UPDATE audit_log a SET detail = a.detail
		|| jsonb_build_object('actor_pseudonym', pseudonym)
	WHERE a.actor_id = p_user;
	UPDATE audit_log a SET detail = a.detail
		|| jsonb_build_object('subject_pseudonym', pseudonym)
	WHERE a.target_user_id = p_user;
	email_re := regexp_replace(u.email, '([^A-Za-z0-9])', '\\\1', 'g');
	UPDATE audit_log a SET detail = regexp_replace(regexp_replace(
			a.detail::text, email_re, 'erased', 'gi'),
			p_user::text, pseudonym::text, 'g')::jsonb
	WHERE a.detail::text ~* email_re OR strpos(a.detail::text, p_user::text) > 0;
	DELETE FROM invites i WHERE lower(i.email) = lower(u.email);
	DELETE FROM auth_throttle t WHERE t.key = isacd_account_key(u.email);
	DELETE FROM idempotency_keys k WHERE strpos(k.response, p_user::text) > 0;
	-- (memberships, readerships, join requests, sessions, tokens, tickets,
	-- the TOTP secret and its own idempotency keys go by cascade; open
	-- sockets close on the credential.revoked events that writes)
	DELETE FROM users x WHERE x.id = p_user;
	PERFORM isacd_audit(CASE WHEN p_actor = p_user THEN NULL ELSE p_actor END,
		'account.erased', NULL, NULL,
		CASE WHEN p_actor = p_user THEN NULL ELSE p_ip END,
		jsonb_build_object('pseudonym', pseudonym, 'by',
			CASE WHEN p_actor = p_user THEN 'self' ELSE 'staff' END));
	outcome := 'ok'; RETURN NEXT;
END
$$;
