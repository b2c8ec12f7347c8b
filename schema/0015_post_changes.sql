-- 0015_post_changes.sql: the writes on posts, one function each, so that a
-- request is one round trip and one transaction: the access check (0012,
-- 0014), the TLP rules, the change, its revision, its event row, its audit
-- row and its idempotency key commit together or not at all.
--
-- Outcomes are words the API maps to statuses: 'busy' (409: the first
-- request with this Idempotency-Key is still in flight), 'mismatch' (422:
-- the key was used with another body), 'replay' (the first answer again),
-- 'hidden' (404: no such post), 'target_hidden' (404: no such channel),
-- 'suspended' / 'totp_required' (403), 'cannot_post' (403:
-- a moderators-only channel), 'not_author' (403: editing is the author's),
-- 'not_author_or_moderator' (403: deleting), 'no_recipients',
-- 'recipients_not_red', 'bad_recipients' (422, with the ids), 'tlp'
-- (422: only TLP:CLEAR and TLP:GREEN may leave their channel),
-- 'same_channel' (422), 'exists' (409), 'unchanged', 'ok'.

-- The recipients of a TLP:RED post that cannot read its channel.
CREATE FUNCTION isacd_bad_recipients(p_channel uuid, p_recipients uuid[])
RETURNS uuid[]
LANGUAGE sql STABLE AS $$
	SELECT coalesce(array_agg(x.id ORDER BY x.o), '{}')
	FROM unnest(p_recipients) WITH ORDINALITY x (id, o)
	WHERE NOT EXISTS (SELECT 1 FROM isacd_channel_rights(x.id) r
		WHERE r.channel_id = p_channel
			AND r.access IN ('read', 'post', 'moderate'))
$$;

-- The TLP rules of a post's audience; NULL when they hold.
CREATE FUNCTION isacd_tlp_check(p_channel uuid, p_tlp text,
	p_recipients uuid[], OUT outcome text, OUT bad uuid[])
LANGUAGE plpgsql STABLE AS $$
BEGIN
	IF p_tlp = 'TLP:RED' THEN
		IF cardinality(p_recipients) = 0 THEN
			outcome := 'no_recipients'; RETURN;
		END IF;
		bad := isacd_bad_recipients(p_channel, p_recipients);
		IF cardinality(bad) > 0 THEN
			outcome := 'bad_recipients'; RETURN;
		END IF;
	ELSIF cardinality(p_recipients) > 0 THEN
		outcome := 'recipients_not_red';
	END IF;
END
$$;

CREATE FUNCTION isacd_store_indicators(p_post uuid, p_types text[],
	p_values text[]) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO post_indicators (post_id, ord, type, value, community_id,
		channel_id, created_at, tlp, author_id, recipients)
	SELECT p.id, x.o, x.t, x.v, p.community_id, p.channel_id, p.created_at,
		p.tlp, p.author_id, p.recipients
	FROM posts p, unnest(p_types, p_values) WITH ORDINALITY x (t, v, o)
	WHERE p.id = p_post
$$;

-- POST /channels/{c}/posts
CREATE FUNCTION isacd_post_create(p_user uuid, p_channel uuid, p_kind text,
	p_title text, p_body text, p_tlp text, p_severity text, p_tags text[],
	p_anonymous boolean, p_recipients uuid[], p_ind_types text[],
	p_ind_values text[], p_key text, p_hash text)
RETURNS TABLE (outcome text, http_status integer, loc text,
	response text, bad_ids uuid[])
LANGUAGE plpgsql AS $$
DECLARE
	i record;
	r record;
	t record;
	p posts;
BEGIN
	IF p_key IS NOT NULL THEN
		SELECT * INTO i FROM isacd_idem_begin(p_user, p_key, p_hash);
		IF i.outcome IN ('busy', 'mismatch') THEN
			outcome := i.outcome; RETURN NEXT; RETURN;
		END IF;
	ELSE
		SELECT 'new' AS outcome, NULL::integer AS status,
			NULL::text AS location, NULL::text AS response INTO i;
	END IF;
	SELECT * INTO r FROM isacd_channel_rights(p_user) x
	WHERE x.channel_id = p_channel;
	IF NOT FOUND THEN
		outcome := 'target_hidden'; RETURN NEXT; RETURN;
	END IF;
	IF r.access IN ('suspended', 'totp_required') THEN
		outcome := r.access; RETURN NEXT; RETURN;
	END IF;
	IF r.access NOT IN ('post', 'moderate') THEN
		outcome := 'cannot_post'; RETURN NEXT; RETURN;
	END IF;
	-- a retry gets the first answer, if the caller may still see it
	IF i.outcome = 'replay' THEN
		outcome := 'replay'; http_status := i.status;
		loc := i.location; response := i.response;
		RETURN NEXT; RETURN;
	END IF;
	SELECT * INTO t FROM isacd_tlp_check(p_channel, p_tlp, p_recipients);
	IF t.outcome IS NOT NULL THEN
		outcome := t.outcome; bad_ids := t.bad; RETURN NEXT; RETURN;
	END IF;
	INSERT INTO posts (community_id, channel_id, author_id, kind, title,
		body, tlp, severity, tags, anonymous, recipients, search)
	VALUES (r.community_id, p_channel, p_user, p_kind, p_title, p_body,
		p_tlp, p_severity, p_tags, p_anonymous, p_recipients,
		isacd_search_vector(p_title, p_body, p_tags, p_ind_values))
	RETURNING * INTO p;
	PERFORM isacd_store_indicators(p.id, p_ind_types, p_ind_values);
	PERFORM isacd_event(p_channel, 'post.created', p.id, NULL, NULL);
	outcome := 'ok'; http_status := 201;
	loc := '/api/v1/posts/' || p.id;
	response := isacd_post_json(p, p_user, r.role, r.access,
		isacd_readable_channels(p_user))::text;
	PERFORM isacd_idem_store(p_user, p_key, p_hash, 201, loc, response);
	RETURN NEXT;
END
$$;

-- PATCH /posts/{p}: the author only; each edit keeps a revision of what
-- was there.  NULL arguments leave a field as it is (p_recipients NULL:
-- unchanged; raising to TLP:RED needs recipients, lowering drops them).
CREATE FUNCTION isacd_post_update(p_user uuid, p_post uuid, p_kind text,
	p_title text, p_body text, p_tlp text, p_severity_set boolean,
	p_severity text, p_tags text[], p_recipients uuid[],
	p_ind_types text[], p_ind_values text[])
RETURNS TABLE (outcome text, response text, bad_ids uuid[])
LANGUAGE plpgsql AS $$
DECLARE
	r record;
	t record;
	o posts;
	n posts;
	new_tlp text;
	new_rcpt uuid[];
BEGIN
	SELECT * INTO r FROM isacd_post_rights(p_user) x WHERE x.post_id = p_post;
	IF NOT FOUND THEN
		outcome := 'hidden'; RETURN NEXT; RETURN;
	END IF;
	IF r.access IN ('suspended', 'totp_required') THEN
		outcome := r.access; RETURN NEXT; RETURN;
	END IF;
	SELECT * INTO o FROM posts WHERE id = p_post FOR UPDATE;
	IF o.author_id IS DISTINCT FROM p_user THEN
		outcome := 'not_author'; RETURN NEXT; RETURN;
	END IF;
	new_tlp := coalesce(p_tlp, o.tlp);
	new_rcpt := CASE WHEN new_tlp <> 'TLP:RED' AND p_recipients IS NULL
		THEN '{}' ELSE coalesce(p_recipients, o.recipients) END;
	SELECT * INTO t FROM isacd_tlp_check(o.channel_id, new_tlp, new_rcpt);
	IF t.outcome IS NOT NULL THEN
		outcome := t.outcome; bad_ids := t.bad; RETURN NEXT; RETURN;
	END IF;
	IF coalesce(p_kind, o.kind) = o.kind AND coalesce(p_title, o.title) = o.title
		AND coalesce(p_body, o.body) = o.body AND new_tlp = o.tlp
		AND (NOT p_severity_set OR p_severity IS NOT DISTINCT FROM o.severity)
		AND coalesce(p_tags, o.tags) = o.tags AND new_rcpt = o.recipients
		AND (p_ind_types IS NULL OR (SELECT coalesce(array_agg(x.type
			ORDER BY x.ord), '{}') = p_ind_types AND coalesce(
			array_agg(x.value ORDER BY x.ord), '{}') = p_ind_values
			FROM post_indicators x WHERE x.post_id = p_post)) THEN
		outcome := 'unchanged';
		response := isacd_post_json(o, p_user, r.role, r.access,
			isacd_readable_channels(p_user))::text;
		RETURN NEXT; RETURN;
	END IF;
	INSERT INTO post_revisions (post_id, revision, editor_id, kind, title,
		body, tlp, severity, tags, recipients)
	VALUES (o.id, o.revision + 1, p_user, o.kind, o.title, o.body, o.tlp,
		o.severity, o.tags, o.recipients);
	UPDATE posts x SET kind = coalesce(p_kind, x.kind),
		title = coalesce(p_title, x.title), body = coalesce(p_body, x.body),
		tlp = new_tlp,
		severity = CASE WHEN p_severity_set THEN p_severity ELSE x.severity END,
		tags = coalesce(p_tags, x.tags), recipients = new_rcpt,
		revision = x.revision + 1, updated_at = now(),
		search = isacd_search_vector(coalesce(p_title, x.title),
			coalesce(p_body, x.body), coalesce(p_tags, x.tags),
			coalesce(p_ind_values, (SELECT array_agg(i.value ORDER BY i.ord)
				FROM post_indicators i WHERE i.post_id = x.id)))
	WHERE x.id = p_post RETURNING * INTO n;
	IF p_ind_types IS NOT NULL THEN
		DELETE FROM post_indicators x WHERE x.post_id = p_post;
		PERFORM isacd_store_indicators(p_post, p_ind_types, p_ind_values);
	END IF;
	PERFORM isacd_event(n.channel_id, 'post.updated', n.id, NULL, NULL);
	outcome := 'ok';
	response := isacd_post_json(n, p_user, r.role, r.access,
		isacd_readable_channels(p_user))::text;
	RETURN NEXT;
END
$$;

-- DELETE /posts/{p}: the author, or a moderator or owner of the community
-- (audited when it is someone else's post).  The post goes with its
-- comments, revisions, sightings and indicators.
CREATE FUNCTION isacd_post_delete(p_user uuid, p_post uuid, p_ip inet)
RETURNS TABLE (outcome text)
LANGUAGE plpgsql AS $$
DECLARE
	r record;
	o posts;
BEGIN
	SELECT * INTO r FROM isacd_post_rights(p_user) x WHERE x.post_id = p_post;
	IF NOT FOUND THEN
		outcome := 'hidden'; RETURN NEXT; RETURN;
	END IF;
	IF r.access IN ('suspended', 'totp_required') THEN
		outcome := r.access; RETURN NEXT; RETURN;
	END IF;
	SELECT * INTO o FROM posts WHERE id = p_post FOR UPDATE;
	IF o.author_id IS DISTINCT FROM p_user AND r.access <> 'moderate' THEN
		outcome := 'not_author_or_moderator'; RETURN NEXT; RETURN;
	END IF;
	DELETE FROM posts WHERE id = p_post;
	PERFORM isacd_event(o.channel_id, 'post.deleted', o.id, NULL, NULL);
	IF o.author_id IS DISTINCT FROM p_user THEN
		PERFORM isacd_audit(p_user, 'post.deleted', o.community_id, NULL,
			p_ip, jsonb_build_object('post_id', o.id,
				'channel_id', o.channel_id));
	END IF;
	outcome := 'ok'; RETURN NEXT;
END
$$;

-- POST /posts/{p}/share: a copy of a TLP:CLEAR or TLP:GREEN post in
-- another channel the user may post in, linked to the original, audited in
-- both communities.  The author sharing their own anonymous post shares it
-- anonymously: the copy must not name them where the original does not.
CREATE FUNCTION isacd_post_share(p_user uuid, p_post uuid, p_target uuid,
	p_key text, p_hash text, p_ip inet)
RETURNS TABLE (outcome text, http_status integer, loc text,
	response text)
LANGUAGE plpgsql AS $$
DECLARE
	i record;
	r record;
	tr record;
	o posts;
	n posts;
BEGIN
	IF p_key IS NOT NULL THEN
		SELECT * INTO i FROM isacd_idem_begin(p_user, p_key, p_hash);
		IF i.outcome IN ('busy', 'mismatch') THEN
			outcome := i.outcome; RETURN NEXT; RETURN;
		END IF;
	ELSE
		SELECT 'new' AS outcome, NULL::integer AS status,
			NULL::text AS location, NULL::text AS response INTO i;
	END IF;
	SELECT * INTO r FROM isacd_post_rights(p_user) x WHERE x.post_id = p_post;
	IF NOT FOUND THEN
		outcome := 'hidden'; RETURN NEXT; RETURN;
	END IF;
	IF r.access IN ('suspended', 'totp_required') THEN
		outcome := r.access; RETURN NEXT; RETURN;
	END IF;
	SELECT * INTO o FROM posts WHERE id = p_post;
	IF o.tlp NOT IN ('TLP:CLEAR', 'TLP:GREEN') THEN
		outcome := 'tlp'; RETURN NEXT; RETURN;
	END IF;
	SELECT * INTO tr FROM isacd_channel_rights(p_user) x
	WHERE x.channel_id = p_target;
	IF NOT FOUND THEN
		outcome := 'target_hidden'; RETURN NEXT; RETURN;
	END IF;
	IF tr.access IN ('suspended', 'totp_required') THEN
		outcome := tr.access; RETURN NEXT; RETURN;
	END IF;
	IF tr.access NOT IN ('post', 'moderate') THEN
		outcome := 'cannot_post'; RETURN NEXT; RETURN;
	END IF;
	-- a retry gets the first answer, if the caller may still see it
	IF i.outcome = 'replay' THEN
		outcome := 'replay'; http_status := i.status;
		loc := i.location; response := i.response;
		RETURN NEXT; RETURN;
	END IF;
	IF p_target = o.channel_id THEN
		outcome := 'same_channel'; RETURN NEXT; RETURN;
	END IF;
	INSERT INTO posts (community_id, channel_id, author_id, kind, title,
		body, tlp, severity, tags, anonymous, recipients, shared_from,
		search)
	VALUES (tr.community_id, p_target, p_user, o.kind, o.title, o.body,
		o.tlp, o.severity, o.tags, o.anonymous AND o.author_id = p_user, '{}',
		o.id, o.search)
	RETURNING * INTO n;
	INSERT INTO post_indicators (post_id, ord, type, value, community_id,
		channel_id, created_at, tlp, author_id, recipients)
	SELECT n.id, x.ord, x.type, x.value, n.community_id, n.channel_id,
		n.created_at, n.tlp, n.author_id, n.recipients
	FROM post_indicators x WHERE x.post_id = o.id;
	PERFORM isacd_event(p_target, 'post.created', n.id, NULL, NULL);
	PERFORM isacd_audit(p_user, 'post.shared', o.community_id, NULL, p_ip,
		jsonb_build_object('post_id', o.id, 'to_channel_id', p_target,
			'to_community_id', tr.community_id, 'copy_id', n.id));
	IF tr.community_id <> o.community_id THEN
		PERFORM isacd_audit(p_user, 'post.shared', tr.community_id, NULL,
			p_ip, jsonb_build_object('copy_id', n.id,
				'to_channel_id', p_target));
	END IF;
	outcome := 'ok'; http_status := 201;
	loc := '/api/v1/posts/' || n.id;
	response := isacd_post_json(n, p_user, tr.role, tr.access,
		isacd_readable_channels(p_user))::text;
	PERFORM isacd_idem_store(p_user, p_key, p_hash, 201, loc, response);
	RETURN NEXT;
END
$$;

-- POST /posts/{p}/comments: any reader of the post.
CREATE FUNCTION isacd_comment_create(p_user uuid, p_post uuid, p_body text,
	p_key text, p_hash text)
RETURNS TABLE (outcome text, http_status integer, loc text,
	response text)
LANGUAGE plpgsql AS $$
DECLARE
	i record;
	r record;
	o posts;
	c comments;
BEGIN
	IF p_key IS NOT NULL THEN
		SELECT * INTO i FROM isacd_idem_begin(p_user, p_key, p_hash);
		IF i.outcome IN ('busy', 'mismatch') THEN
			outcome := i.outcome; RETURN NEXT; RETURN;
		END IF;
	ELSE
		SELECT 'new' AS outcome, NULL::integer AS status,
			NULL::text AS location, NULL::text AS response INTO i;
	END IF;
	SELECT * INTO r FROM isacd_post_rights(p_user) x WHERE x.post_id = p_post;
	IF NOT FOUND THEN
		outcome := 'hidden'; RETURN NEXT; RETURN;
	END IF;
	IF r.access IN ('suspended', 'totp_required') THEN
		outcome := r.access; RETURN NEXT; RETURN;
	END IF;
	-- a retry gets the first answer, if the caller may still see it
	IF i.outcome = 'replay' THEN
		outcome := 'replay'; http_status := i.status;
		loc := i.location; response := i.response;
		RETURN NEXT; RETURN;
	END IF;
	SELECT * INTO o FROM posts WHERE id = p_post;
	INSERT INTO comments (post_id, author_id, body)
	VALUES (p_post, p_user, p_body) RETURNING * INTO c;
	PERFORM isacd_event(o.channel_id, 'comment.created', o.id, c.id, NULL);
	outcome := 'ok'; http_status := 201;
	loc := '/api/v1/posts/' || o.id || '/comments/' || c.id;
	response := isacd_comment_json(c, o, p_user, r.role, r.access)::text;
	PERFORM isacd_idem_store(p_user, p_key, p_hash, 201, loc, response);
	RETURN NEXT;
END
$$;

-- PATCH (p_body given) or DELETE (p_body NULL) of a comment: its author
-- edits it; its author or a moderator or owner deletes it.
CREATE FUNCTION isacd_comment_change(p_user uuid, p_post uuid,
	p_comment uuid, p_body text, p_ip inet)
RETURNS TABLE (outcome text, response text)
LANGUAGE plpgsql AS $$
DECLARE
	r record;
	o posts;
	c comments;
BEGIN
	SELECT * INTO r FROM isacd_post_rights(p_user) x WHERE x.post_id = p_post;
	IF NOT FOUND THEN
		outcome := 'hidden'; RETURN NEXT; RETURN;
	END IF;
	IF r.access IN ('suspended', 'totp_required') THEN
		outcome := r.access; RETURN NEXT; RETURN;
	END IF;
	SELECT * INTO c FROM comments x
	WHERE x.id = p_comment AND x.post_id = p_post FOR UPDATE;
	IF NOT FOUND THEN
		outcome := 'not_found'; RETURN NEXT; RETURN;
	END IF;
	SELECT * INTO o FROM posts WHERE id = p_post;
	IF p_body IS NOT NULL THEN
		IF c.author_id IS DISTINCT FROM p_user THEN
			outcome := 'not_author'; RETURN NEXT; RETURN;
		END IF;
		UPDATE comments x SET body = p_body, updated_at = now()
		WHERE x.id = p_comment RETURNING * INTO c;
		PERFORM isacd_event(o.channel_id, 'comment.updated', o.id, c.id,
			NULL);
		outcome := 'ok';
		response := isacd_comment_json(c, o, p_user, r.role, r.access)::text;
		RETURN NEXT; RETURN;
	END IF;
	IF c.author_id IS DISTINCT FROM p_user AND r.access <> 'moderate' THEN
		outcome := 'not_author_or_moderator'; RETURN NEXT; RETURN;
	END IF;
	DELETE FROM comments x WHERE x.id = p_comment;
	PERFORM isacd_event(o.channel_id, 'comment.deleted', o.id, c.id, NULL);
	IF c.author_id IS DISTINCT FROM p_user THEN
		PERFORM isacd_audit(p_user, 'comment.deleted', o.community_id, NULL,
			p_ip, jsonb_build_object('post_id', o.id, 'comment_id', c.id));
	END IF;
	outcome := 'ok'; RETURN NEXT;
END
$$;

-- POST /posts/{p}/sightings: one per organisation and post.
CREATE FUNCTION isacd_sighting_create(p_user uuid, p_post uuid,
	p_note text, p_key text, p_hash text)
RETURNS TABLE (outcome text, http_status integer, loc text,
	response text)
LANGUAGE plpgsql AS $$
DECLARE
	i record;
	r record;
	o posts;
	s sightings;
	org uuid;
BEGIN
	IF p_key IS NOT NULL THEN
		SELECT * INTO i FROM isacd_idem_begin(p_user, p_key, p_hash);
		IF i.outcome IN ('busy', 'mismatch') THEN
			outcome := i.outcome; RETURN NEXT; RETURN;
		END IF;
	ELSE
		SELECT 'new' AS outcome, NULL::integer AS status,
			NULL::text AS location, NULL::text AS response INTO i;
	END IF;
	SELECT * INTO r FROM isacd_post_rights(p_user) x WHERE x.post_id = p_post;
	IF NOT FOUND THEN
		outcome := 'hidden'; RETURN NEXT; RETURN;
	END IF;
	IF r.access IN ('suspended', 'totp_required') THEN
		outcome := r.access; RETURN NEXT; RETURN;
	END IF;
	-- a retry gets the first answer, if the caller may still see it
	IF i.outcome = 'replay' THEN
		outcome := 'replay'; http_status := i.status;
		loc := i.location; response := i.response;
		RETURN NEXT; RETURN;
	END IF;
	SELECT * INTO o FROM posts WHERE id = p_post;
	SELECT organisation_id INTO org FROM users WHERE id = p_user;
	INSERT INTO sightings (post_id, organisation_id, user_id, note)
	VALUES (p_post, org, p_user, p_note)
	ON CONFLICT DO NOTHING RETURNING * INTO s;
	IF NOT FOUND THEN
		outcome := 'exists'; RETURN NEXT; RETURN;
	END IF;
	PERFORM isacd_event(o.channel_id, 'sighting.created', o.id, NULL, org);
	outcome := 'ok'; http_status := 201;
	loc := '/api/v1/posts/' || o.id || '/sightings';
	response := json_build_object('post_id', s.post_id,
		'organisation', isacd_org_ref(s.organisation_id),
		'note', s.note, 'created_at', isacd_ts(s.created_at))::text;
	PERFORM isacd_idem_store(p_user, p_key, p_hash, 201, loc, response);
	RETURN NEXT;
END
$$;

-- GET /posts/{p}/sightings as the user sees them: the organisations are
-- named to moderators and owners, to everyone when the roster is open
-- ('members'), and their own to each user; never the author's organisation
-- of an anonymous post to those who may not see its author.
CREATE FUNCTION isacd_sightings_json(p posts, p_user uuid, p_role text)
RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'post_id', p.id,
		'total', count(s.post_id),
		'organisations', coalesce(json_agg(json_build_object(
			'organisation', CASE WHEN
				(p_role IN ('owner', 'moderator') OR c.roster = 'members'
					OR s.organisation_id = me.organisation_id)
				AND (isacd_shows_author(p.anonymous, p.author_id,
					p.author_id, p_user, p_role)
					OR s.organisation_id <> author.organisation_id
					OR s.organisation_id = me.organisation_id)
				THEN isacd_org_ref(s.organisation_id) END,
			'count', 1,
			'note', s.note,
			'created_at', isacd_ts(s.created_at),
			'mine', s.organisation_id = me.organisation_id)
			ORDER BY s.created_at, s.organisation_id)
			FILTER (WHERE s.post_id IS NOT NULL), '[]'::json))
	FROM communities c
	JOIN users me ON me.id = p_user
	LEFT JOIN users author ON author.id = p.author_id
	LEFT JOIN sightings s ON s.post_id = p.id
	WHERE c.id = p.community_id
	GROUP BY c.roster, me.organisation_id, author.organisation_id
$$;
