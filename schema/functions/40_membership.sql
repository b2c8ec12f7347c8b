-- 40_membership.sql: the changes of membership that need more than one
-- step, each one function so that it runs in one round trip and one
-- transaction with its audit rows.
--
-- Rules, checked here and nowhere else (on top of 20_access.sql):
--   * only active moderators and owners manage members; only owners change
--     roles;
--   * nobody acts on someone of an equal or higher role, except owners on
--     owners (and anyone on themselves when leaving);
--   * a community always keeps an active owner: the last one can neither
--     leave, be removed, demoted nor suspended ('last_owner').
-- Every function that changes owners first locks the community row, so two
-- owners demoting each other at once cannot both succeed.
--
-- Each returns a verdict word (20_access.sql), 'ok' or why not:
-- isacd_community_verdict's words, and 'member_not_found',
-- 'roles_owners_only', 'forbidden', 'last_owner', 'org_members_not_found',
-- 'offboard_forbidden', 'request_not_found', 'decided', 'unchanged', and
-- those of the invitations below.

-- Active owners of a community, under the community's row lock.
CREATE FUNCTION isacd_active_owners(p_community uuid) RETURNS bigint
LANGUAGE sql STABLE AS $$
	SELECT count(*) FROM memberships
	WHERE community_id = p_community AND role = 'owner'
		AND status = 'active'
$$;

-- The actor's verdict on a community (isacd_community_gate) and role.
CREATE FUNCTION isacd_actor_verdict(p_actor uuid, p_community uuid,
	p_need text, OUT verdict text, OUT role text)
LANGUAGE sql STABLE AS $$
	SELECT g.verdict, g.role
	FROM isacd_community_gate(p_actor, p_community, p_need) g
$$;

-- PATCH /communities/{c}/members/{u}: role and/or status.
CREATE FUNCTION isacd_member_change(p_actor uuid, p_community uuid,
	p_target uuid, p_role text, p_status text, p_ip inet)
RETURNS TABLE (outcome text, member json)
LANGUAGE plpgsql AS $$
DECLARE
	f record;
	t memberships;
	n memberships;
BEGIN
	f := isacd_actor_verdict(p_actor, p_community, 'moderate');
	IF f.verdict <> 'ok' THEN
		outcome := f.verdict; RETURN NEXT; RETURN;
	END IF;
	PERFORM 1 FROM communities WHERE id = p_community FOR UPDATE;
	SELECT * INTO t FROM memberships m
	WHERE m.community_id = p_community AND m.user_id = p_target FOR UPDATE;
	IF NOT FOUND THEN
		outcome := 'member_not_found'; RETURN NEXT; RETURN;
	END IF;
	IF p_role IS NOT NULL AND p_role <> t.role AND f.role <> 'owner' THEN
		outcome := 'roles_owners_only'; RETURN NEXT; RETURN;
	END IF;
	IF f.role <> 'owner'
		AND isacd_role_rank(t.role) >= isacd_role_rank(f.role) THEN
		outcome := 'forbidden'; RETURN NEXT; RETURN;
	END IF;
	IF coalesce(p_role, t.role) = t.role
		AND coalesce(p_status, t.status) = t.status THEN
		outcome := 'unchanged'; member := isacd_member_json(t);
		RETURN NEXT; RETURN;
	END IF;
	IF t.role = 'owner' AND t.status = 'active'
		AND (coalesce(p_role, t.role) <> 'owner'
			OR coalesce(p_status, t.status) <> 'active')
		AND isacd_active_owners(p_community) <= 1 THEN
		outcome := 'last_owner'; RETURN NEXT; RETURN;
	END IF;
	UPDATE memberships m SET role = coalesce(p_role, m.role),
		status = coalesce(p_status, m.status), updated_at = now()
	WHERE m.community_id = p_community AND m.user_id = p_target
	RETURNING * INTO n;
	IF n.role <> t.role THEN
		PERFORM isacd_audit(p_actor, 'member.role_changed', p_community,
			p_target, p_ip, jsonb_build_object(
				'before', jsonb_build_object('role', t.role),
				'after', jsonb_build_object('role', n.role)));
	END IF;
	IF n.status <> t.status THEN
		PERFORM isacd_audit(p_actor, CASE n.status
			WHEN 'suspended' THEN 'member.suspended'
			ELSE 'member.reactivated' END, p_community, p_target, p_ip,
			jsonb_build_object('role', n.role));
	END IF;
	outcome := 'ok'; member := isacd_member_json(n);
	RETURN NEXT;
END
$$;

-- What leaving takes with it: explicit channel readerships.
CREATE FUNCTION isacd_drop_readers(p_community uuid, p_users uuid[])
RETURNS void
LANGUAGE sql AS $$
	DELETE FROM channel_readers r USING channels ch
	WHERE r.channel_id = ch.id AND ch.community_id = p_community
		AND r.user_id = ANY (p_users)
$$;

-- DELETE /communities/{c}/members/{u}: leave (the actor is u, in any
-- standing) or remove.
CREATE FUNCTION isacd_member_remove(p_actor uuid, p_community uuid,
	p_target uuid, p_ip inet)
RETURNS TABLE (outcome text)
LANGUAGE plpgsql AS $$
DECLARE
	f record;
	t memberships;
BEGIN
	f := isacd_actor_verdict(p_actor, p_community,
		CASE WHEN p_actor = p_target THEN 'see' ELSE 'moderate' END);
	IF f.verdict <> 'ok' THEN
		outcome := f.verdict; RETURN NEXT; RETURN;
	END IF;
	PERFORM 1 FROM communities WHERE id = p_community FOR UPDATE;
	SELECT * INTO t FROM memberships m
	WHERE m.community_id = p_community AND m.user_id = p_target FOR UPDATE;
	IF NOT FOUND THEN
		outcome := 'member_not_found'; RETURN NEXT; RETURN;
	END IF;
	IF p_actor <> p_target AND f.role <> 'owner'
		AND isacd_role_rank(t.role) >= isacd_role_rank(f.role) THEN
		outcome := 'forbidden'; RETURN NEXT; RETURN;
	END IF;
	IF t.role = 'owner' AND t.status = 'active'
		AND isacd_active_owners(p_community) <= 1 THEN
		outcome := 'last_owner'; RETURN NEXT; RETURN;
	END IF;
	DELETE FROM memberships m
	WHERE m.community_id = p_community AND m.user_id = p_target;
	PERFORM isacd_drop_readers(p_community, ARRAY[p_target]);
	PERFORM isacd_audit(p_actor, CASE WHEN p_actor = p_target
		THEN 'member.left' ELSE 'member.removed' END, p_community,
		p_target, p_ip, jsonb_build_object('role', t.role));
	outcome := 'ok'; RETURN NEXT;
END
$$;

-- DELETE /communities/{c}/organisations/{o}: a company leaves the cluster:
-- every member from it goes, its pending invitations are revoked, in one
-- audited action.
CREATE FUNCTION isacd_org_offboard(p_actor uuid, p_community uuid,
	p_org uuid, p_ip inet)
RETURNS TABLE (outcome text, removed integer, invites_revoked integer)
LANGUAGE plpgsql AS $$
DECLARE
	f record;
	v_users uuid[];
	owners_left bigint;
	org_name text;
BEGIN
	f := isacd_actor_verdict(p_actor, p_community, 'moderate');
	IF f.verdict <> 'ok' THEN
		outcome := f.verdict; RETURN NEXT; RETURN;
	END IF;
	PERFORM 1 FROM communities WHERE id = p_community FOR UPDATE;
	SELECT name INTO org_name FROM organisations WHERE id = p_org;
	SELECT array_agg(m.user_id) INTO v_users
	FROM memberships m JOIN users u ON u.id = m.user_id
	WHERE m.community_id = p_community AND u.organisation_id = p_org;
	IF v_users IS NULL THEN
		outcome := 'org_members_not_found'; RETURN NEXT; RETURN;
	END IF;
	IF f.role <> 'owner' AND EXISTS (SELECT 1 FROM memberships m
		WHERE m.community_id = p_community AND m.user_id = ANY (v_users)
			AND m.user_id <> p_actor AND m.role <> 'member') THEN
		outcome := 'offboard_forbidden'; RETURN NEXT; RETURN;
	END IF;
	SELECT count(*) INTO owners_left FROM memberships m
	WHERE m.community_id = p_community AND m.role = 'owner'
		AND m.status = 'active' AND NOT (m.user_id = ANY (v_users));
	IF owners_left = 0 THEN
		outcome := 'last_owner'; RETURN NEXT; RETURN;
	END IF;
	DELETE FROM memberships m
	WHERE m.community_id = p_community AND m.user_id = ANY (v_users);
	PERFORM isacd_drop_readers(p_community, v_users);
	UPDATE invites i SET revoked_at = now(), revoked_by = p_actor
	WHERE i.community_id = p_community AND i.organisation_id = p_org
		AND i.accepted_at IS NULL AND i.revoked_at IS NULL
		AND i.superseded_at IS NULL AND i.expires_at > now();
	GET DIAGNOSTICS invites_revoked = ROW_COUNT;
	removed := cardinality(v_users);
	PERFORM isacd_audit(p_actor, 'organisation.removed', p_community,
		NULL, p_ip, jsonb_build_object('organisation_id', p_org,
			'name', org_name, 'user_ids', to_jsonb(v_users),
			'invites_revoked', invites_revoked));
	outcome := 'ok'; RETURN NEXT;
END
$$;

-- POST .../join-requests/{r}/approve|deny
CREATE FUNCTION isacd_join_decide(p_actor uuid, p_community uuid,
	p_request uuid, p_approve boolean, p_ip inet)
RETURNS TABLE (outcome text, request json)
LANGUAGE plpgsql AS $$
DECLARE
	f record;
	j join_requests;
BEGIN
	f := isacd_actor_verdict(p_actor, p_community, 'moderate');
	IF f.verdict <> 'ok' THEN
		outcome := f.verdict; RETURN NEXT; RETURN;
	END IF;
	SELECT * INTO j FROM join_requests r
	WHERE r.id = p_request AND r.community_id = p_community FOR UPDATE;
	IF NOT FOUND THEN
		outcome := 'request_not_found'; RETURN NEXT; RETURN;
	END IF;
	IF j.status <> 'pending' THEN
		outcome := 'decided'; request := isacd_join_request_json(j);
		RETURN NEXT; RETURN;
	END IF;
	UPDATE join_requests r SET status = CASE WHEN p_approve
		THEN 'approved' ELSE 'denied' END,
		decided_at = now(), decided_by = p_actor
	WHERE r.id = p_request RETURNING * INTO j;
	IF p_approve THEN
		INSERT INTO memberships (community_id, user_id, role)
		VALUES (p_community, j.user_id, 'member')
		ON CONFLICT DO NOTHING;
	END IF;
	PERFORM isacd_audit(p_actor, CASE WHEN p_approve
		THEN 'join_request.approved' ELSE 'join_request.denied' END,
		p_community, j.user_id, p_ip,
		jsonb_build_object('join_request_id', j.id));
	outcome := 'ok'; request := isacd_join_request_json(j);
	RETURN NEXT;
END
$$;

-- ---- invitations -------------------------------------------------------------
--
-- Words beyond the common ones: 'locked' (429, wait in seconds),
-- 'invite_not_found' (404), 'invite_gone' (410: used, revoked or expired),
-- 'wrong_email', 'wrong_org', 'org_suspended' (403), 'already_member'
-- (the invited address), 'is_member' (the caller), 'email_taken',
-- 'invite_pending' (409), 'invite_owners_only' (403),
-- 'org_unknown' (422).

-- POST /invites/accept by a signed-in user: the invitation must be for
-- their e-mail address and organisation.  Attempts are counted per client
-- address like logins (the caller passes the throttle key and limits).
CREATE FUNCTION isacd_invite_accept_existing(p_hash text, p_user uuid,
	p_ip inet, p_limit integer, p_window_s integer)
RETURNS TABLE (outcome text, wait integer, community_id uuid, user_json json)
LANGUAGE plpgsql AS $$
DECLARE
	v_key text := 'v:' || coalesce(host(p_ip), '');
	i invites;
	u users;
BEGIN
	wait := isacd_throttle_begin(v_key, p_limit, p_window_s);
	IF wait IS NOT NULL THEN
		outcome := 'locked'; RETURN NEXT; RETURN;
	END IF;
	SELECT * INTO i FROM invites v WHERE v.token_hash = p_hash FOR UPDATE;
	IF NOT FOUND OR i.accepted_at IS NOT NULL OR i.revoked_at IS NOT NULL
		OR i.expires_at <= now() THEN
		PERFORM isacd_throttle_failed(v_key, p_limit, p_window_s);
		outcome := CASE WHEN i.id IS NULL THEN 'invite_not_found'
			ELSE 'invite_gone' END;
		RETURN NEXT; RETURN;
	END IF;
	UPDATE auth_throttle SET failures = greatest(failures - 1, 0)
	WHERE auth_throttle.key = v_key;
	SELECT * INTO u FROM users WHERE id = p_user;
	community_id := i.community_id;
	IF lower(u.email) <> lower(i.email) THEN
		outcome := 'wrong_email'; RETURN NEXT; RETURN;
	END IF;
	IF u.organisation_id <> i.organisation_id THEN
		outcome := 'wrong_org'; RETURN NEXT; RETURN;
	END IF;
	IF EXISTS (SELECT 1 FROM memberships m
		WHERE m.community_id = i.community_id AND m.user_id = p_user) THEN
		outcome := 'is_member'; RETURN NEXT; RETURN;
	END IF;
	UPDATE invites v SET accepted_at = now(), accepted_by = p_user
	WHERE v.id = i.id;
	INSERT INTO memberships (community_id, user_id, role)
	VALUES (i.community_id, p_user, i.role);
	-- a pending join request is settled by the invitation, on the record
	UPDATE join_requests r SET status = 'approved', decided_at = now(),
		decided_by = i.created_by
	WHERE r.community_id = i.community_id AND r.user_id = p_user
		AND r.status = 'pending';
	IF FOUND THEN
		PERFORM isacd_audit(i.created_by, 'join_request.approved',
			i.community_id, p_user, p_ip,
			jsonb_build_object('via_invite_id', i.id));
	END IF;
	PERFORM isacd_audit(p_user, 'invite.accepted', i.community_id, p_user,
		p_ip, jsonb_build_object('invite_id', i.id, 'role', i.role));
	outcome := 'ok'; user_json := isacd_user_json(p_user);
	RETURN NEXT;
END
$$;

-- POST /invites/accept without an account, step 1 (before the password is
-- hashed): counts the attempt and says whether an account can be made.
CREATE FUNCTION isacd_invite_check(p_hash text, p_ip inet, p_limit integer,
	p_window_s integer)
RETURNS TABLE (outcome text, wait integer, email text)
LANGUAGE plpgsql AS $$
DECLARE
	v_key text := 'v:' || coalesce(host(p_ip), '');
	i invites;
BEGIN
	wait := isacd_throttle_begin(v_key, p_limit, p_window_s);
	IF wait IS NOT NULL THEN
		outcome := 'locked'; RETURN NEXT; RETURN;
	END IF;
	SELECT * INTO i FROM invites v WHERE v.token_hash = p_hash;
	IF NOT FOUND OR i.accepted_at IS NOT NULL OR i.revoked_at IS NOT NULL
		OR i.expires_at <= now() THEN
		PERFORM isacd_throttle_failed(v_key, p_limit, p_window_s);
		outcome := CASE WHEN i.id IS NULL THEN 'invite_not_found'
			ELSE 'invite_gone' END;
		RETURN NEXT; RETURN;
	END IF;
	UPDATE auth_throttle SET failures = greatest(failures - 1, 0)
	WHERE auth_throttle.key = v_key;
	email := i.email;
	outcome := CASE WHEN EXISTS (SELECT 1 FROM users u
		WHERE lower(u.email) = lower(i.email)) THEN 'email_taken'
		ELSE 'ok' END;
	RETURN NEXT;
END
$$;

-- Step 2, with the hash: the account, its membership and a session, in
-- one transaction.  The invitation is checked again under its row lock.
CREATE FUNCTION isacd_invite_accept_new(p_hash text, p_display_name text,
	p_password_hash text, p_session_hash text, p_lifetime_s integer,
	p_ip inet)
RETURNS TABLE (outcome text, community_id uuid, expires_at text,
	user_json json)
LANGUAGE plpgsql AS $$
DECLARE
	i invites;
	uid uuid;
	exp timestamptz;
BEGIN
	SELECT * INTO i FROM invites v WHERE v.token_hash = p_hash FOR UPDATE;
	IF NOT FOUND THEN
		outcome := 'invite_not_found'; RETURN NEXT; RETURN;
	END IF;
	IF i.accepted_at IS NOT NULL OR i.revoked_at IS NOT NULL
		OR i.expires_at <= now() THEN
		outcome := 'invite_gone'; RETURN NEXT; RETURN;
	END IF;
	IF EXISTS (SELECT 1 FROM users u WHERE lower(u.email) = lower(i.email)) THEN
		outcome := 'email_taken'; RETURN NEXT; RETURN;
	END IF;
	IF EXISTS (SELECT 1 FROM organisations o WHERE o.id = i.organisation_id
		AND o.status <> 'active') THEN
		outcome := 'org_suspended'; RETURN NEXT; RETURN;
	END IF;
	INSERT INTO users (email, display_name, organisation_id, password_hash)
	VALUES (i.email, p_display_name, i.organisation_id, p_password_hash)
	RETURNING id INTO uid;
	UPDATE invites v SET accepted_at = now(), accepted_by = uid
	WHERE v.id = i.id;
	INSERT INTO memberships (community_id, user_id, role)
	VALUES (i.community_id, uid, i.role);
	INSERT INTO sessions (user_id, token_hash, expires_at, ip)
	VALUES (uid, p_session_hash, now() + make_interval(secs => p_lifetime_s),
		p_ip)
	RETURNING sessions.expires_at INTO exp;
	PERFORM isacd_audit(uid, 'invite.accepted', i.community_id, uid, p_ip,
		jsonb_build_object('invite_id', i.id, 'role', i.role,
			'account', 'created'));
	outcome := 'ok'; community_id := i.community_id;
	expires_at := isacd_ts(exp); user_json := isacd_user_json(uid);
	RETURN NEXT;
END
$$;

-- POST /communities/{c}/invites.  Whether the address has an account, and
-- in which organisation, is never asked: the answer would tell the inviter
-- something about an account they cannot see.  An invitation for the
-- wrong organisation fails when it is accepted ('wrong_org').  An expired
-- invitation of the address is superseded, so that it can be invited
-- again.
CREATE FUNCTION isacd_invite_create(p_actor uuid, p_community uuid,
	p_email text, p_org uuid, p_role text, p_hash text, p_ip inet)
RETURNS TABLE (outcome text, invite json)
LANGUAGE plpgsql AS $$
DECLARE
	f record;
	i invites;
BEGIN
	f := isacd_actor_verdict(p_actor, p_community, 'moderate');
	outcome := CASE
		WHEN f.verdict <> 'ok' THEN f.verdict
		WHEN p_role <> 'member' AND f.role <> 'owner'
			THEN 'invite_owners_only'
		WHEN NOT EXISTS (SELECT 1 FROM organisations o WHERE o.id = p_org
			AND o.status = 'active') THEN 'org_unknown'
		-- the roster shows moderators every member: nothing new told
		WHEN EXISTS (SELECT 1 FROM memberships m JOIN users u
			ON u.id = m.user_id WHERE m.community_id = p_community
			AND lower(u.email) = lower(p_email)) THEN 'already_member'
		END;
	IF outcome IS NOT NULL THEN
		RETURN NEXT; RETURN;
	END IF;
	UPDATE invites v SET superseded_at = now()
	WHERE v.community_id = p_community AND lower(v.email) = lower(p_email)
		AND v.accepted_at IS NULL AND v.revoked_at IS NULL
		AND v.superseded_at IS NULL AND v.expires_at <= now();
	INSERT INTO invites (community_id, email, organisation_id, role,
		token_hash, expires_at, created_by)
	VALUES (p_community, p_email, p_org, p_role, p_hash,
		now() + interval '7 days', p_actor)
	ON CONFLICT DO NOTHING
	RETURNING * INTO i;
	IF NOT FOUND THEN
		outcome := 'invite_pending'; RETURN NEXT; RETURN;
	END IF;
	PERFORM isacd_audit(p_actor, 'invite.created', p_community, NULL, p_ip,
		jsonb_build_object('invite_id', i.id, 'email', i.email,
			'role', i.role, 'organisation_id', p_org));
	outcome := 'ok'; invite := isacd_invite_json(i);
	RETURN NEXT;
END
$$;

-- PATCH /organisations/{o} (staff).  Suspending cuts the company off in
-- one step: every session and API token of its users ends now, and the
-- access layer refuses them until it is active again.  Words:
-- 'organisation_not_found', 'own_organisation' (a staff member may not
-- suspend their own), 'ok'.
CREATE FUNCTION isacd_org_update(p_actor uuid, p_org uuid, p_name text,
	p_sector_set boolean, p_sector text, p_country_set boolean,
	p_country text, p_status text, p_ip inet)
RETURNS TABLE (outcome text, organisation json, sessions_ended integer,
	tokens_revoked integer)
LANGUAGE plpgsql AS $$
DECLARE
	o organisations;
	n organisations;
	ch jsonb;
BEGIN
	SELECT * INTO o FROM organisations WHERE id = p_org FOR UPDATE;
	IF NOT FOUND THEN
		outcome := 'organisation_not_found'; RETURN NEXT; RETURN;
	END IF;
	IF p_status = 'suspended' AND EXISTS (SELECT 1 FROM users u
		WHERE u.id = p_actor AND u.organisation_id = p_org) THEN
		outcome := 'own_organisation'; RETURN NEXT; RETURN;
	END IF;
	UPDATE organisations x SET name = coalesce(p_name, x.name),
		sector = CASE WHEN p_sector_set THEN p_sector ELSE x.sector END,
		country = CASE WHEN p_country_set THEN p_country ELSE x.country END,
		status = coalesce(p_status, x.status)
	WHERE x.id = p_org RETURNING * INTO n;
	sessions_ended := 0;
	tokens_revoked := 0;
	IF n.status = 'suspended' AND o.status <> 'suspended' THEN
		UPDATE sessions s SET revoked_at = now() FROM users u
		WHERE s.user_id = u.id AND u.organisation_id = p_org
			AND s.revoked_at IS NULL;
		GET DIAGNOSTICS sessions_ended = ROW_COUNT;
		UPDATE api_tokens t SET revoked_at = now() FROM users u
		WHERE t.user_id = u.id AND u.organisation_id = p_org
			AND t.revoked_at IS NULL;
		GET DIAGNOSTICS tokens_revoked = ROW_COUNT;
		PERFORM isacd_audit(p_actor, 'organisation.suspended', NULL, NULL,
			p_ip, jsonb_build_object('organisation_id', p_org,
				'sessions_ended', sessions_ended,
				'tokens_revoked', tokens_revoked));
	ELSIF n.status = 'active' AND o.status <> 'active' THEN
		PERFORM isacd_audit(p_actor, 'organisation.reactivated', NULL, NULL,
			p_ip, jsonb_build_object('organisation_id', p_org));
	END IF;
	ch := isacd_changes(to_jsonb(o) - 'status', to_jsonb(n) - 'status');
	IF ch IS NOT NULL THEN
		PERFORM isacd_audit(p_actor, 'organisation.updated', NULL, NULL,
			p_ip, ch || jsonb_build_object('organisation_id', p_org));
	END IF;
	outcome := 'ok'; organisation := isacd_organisation_json(n);
	RETURN NEXT;
END
$$;
