-- 50_posts.sql: the writes on posts, one function each, so that a request
-- is one round trip and one transaction: the access check (20_access.sql),
-- the TLP rules, the change, its revision, its audit row and its
-- idempotency key commit together or not at all (and its events, written
-- by the triggers of 70_events.sql).
--
-- Each returns a verdict word (20_access.sql): isacd_channel_verdict's
-- words ('post_hidden' or 'channel_hidden' for what the caller may not
-- know of), and 'busy' (409: the first request with this Idempotency-Key
-- is still in flight), 'mismatch' (422: the key was used with another
-- body), 'replay' (the first answer again), 'not_author' (403: editing is
-- the author's), 'not_author_or_moderator' (403: deleting),
-- 'no_recipients', 'bad_recipients', 'recipients_not_red' (422),
-- 'tlp_share' (422: only TLP:CLEAR and TLP:GREEN may leave their channel),
-- 'same_channel' (422), 'comment_not_found' (404), 'sighting_exists'
-- (409), 'read_only' (403: the advisories channel, where only the agency
-- posts and nobody writes under its posts), 'unchanged', 'ok'.

-- The TLP rules of a post's audience for user p_user (role p_role) in
-- p_channel: NULL when they hold.  TLP:RED needs recipients the user may
-- name (isacd_recipient_ok); any other id gets the same 'bad_recipients',
-- which never tells which one, nor who reads the channel.
CREATE FUNCTION isacd_tlp_check(p_user uuid, p_role text, p_channel uuid,
	p_tlp text, p_recipients uuid[]) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT CASE
	WHEN p_tlp = 'TLP:RED' AND cardinality(p_recipients) = 0
		THEN 'no_recipients'
	WHEN p_tlp = 'TLP:RED' AND EXISTS (SELECT 1
		FROM unnest(p_recipients) x (id)
		WHERE NOT isacd_recipient_ok(p_user, p_role, p_channel, x.id))
		THEN 'bad_recipients'
	WHEN p_tlp <> 'TLP:RED' AND cardinality(p_recipients) > 0
		THEN 'recipients_not_red'
	END
$$;

-- The indicators of a post, with the post's copies of what decides who may
-- read them (the one place that writes them; a trigger on posts keeps the
-- copies equal to the post afterwards).
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

-- The copies of a post in its indicator rows follow the post.
CREATE OR REPLACE FUNCTION isacd_posts_copy_to_indicators() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE post_indicators SET community_id = NEW.community_id,
		channel_id = NEW.channel_id, tlp = NEW.tlp, author_id = NEW.author_id,
		recipients = NEW.recipients
	WHERE post_id = NEW.id;
	RETURN NULL;
END
$$;

-- POST /channels/{c}/posts
CREATE FUNCTION isacd_post_create(p_user uuid, p_channel uuid, p_kind text,
	p_title text, p_body text, p_tlp text, p_severity text, p_tags text[],
	p_anonymous boolean, p_recipients uuid[], p_ind_types text[],
	p_ind_values text[], p_key text, p_hash text)
RETURNS TABLE (outcome text, http_status integer, loc text,
	response text)
LANGUAGE plpgsql AS $$
DECLARE
	i record;
	r record;
	p posts;
BEGIN
	i := isacd_idem_begin(p_user, p_key, p_hash);
	IF i.outcome IN ('busy', 'mismatch') THEN
		outcome := i.outcome; RETURN NEXT; RETURN;
	END IF;
	SELECT * INTO r FROM isacd_channel_rights(p_user) x
	WHERE x.channel_id = p_channel;
	outcome := isacd_channel_verdict(r.access, 'post', 'channel_hidden');
	IF outcome <> 'ok' THEN
		RETURN NEXT; RETURN;
	END IF;
	-- a retry gets the first answer, if the caller may still see it
	IF i.outcome = 'replay' THEN
		outcome := 'replay'; http_status := i.status;
		loc := i.location; response := i.response;
		RETURN NEXT; RETURN;
	END IF;
	outcome := isacd_tlp_check(p_user, r.role, p_channel, p_tlp,
		p_recipients);
	IF outcome IS NOT NULL THEN
		RETURN NEXT; RETURN;
	END IF;
	INSERT INTO posts (community_id, channel_id, author_id, kind, title,
		body, tlp, severity, tags, anonymous, recipients, search)
	VALUES (r.community_id, p_channel, p_user, p_kind, p_title, p_body,
		p_tlp, p_severity, p_tags, p_anonymous, p_recipients,
		isacd_search_vector(p_title, p_body, p_tags, p_ind_values))
	RETURNING * INTO p;
	PERFORM isacd_store_indicators(p.id, p_ind_types, p_ind_values);
	outcome := 'ok'; http_status := 201;
	loc := '/api/v1/posts/' || p.id;
	response := isacd_post_json(p, p_user, r.role, r.access)::text;
	PERFORM isacd_idem_store(p_user, p_key, p_hash, 201, loc, response);
	RETURN NEXT;
END
$$;

-- PATCH /posts/{p}: the author only; each edit keeps a revision of what
-- was there.  NULL arguments leave a field as it is (p_recipients NULL:
-- unchanged; raising to TLP:RED needs recipients, lowering drops them).
-- Recipients are checked when they change or the post becomes TLP:RED.
CREATE FUNCTION isacd_post_update(p_user uuid, p_post uuid, p_kind text,
	p_title text, p_body text, p_tlp text, p_severity_set boolean,
	p_severity text, p_tags text[], p_recipients uuid[],
	p_ind_types text[], p_ind_values text[])
RETURNS TABLE (outcome text, response text)
LANGUAGE plpgsql AS $$
DECLARE
	r record;
	o posts;
	n posts;
	new_tlp text;
	new_rcpt uuid[];
BEGIN
	SELECT * INTO r FROM isacd_post_rights(p_user) x WHERE x.post_id = p_post;
	outcome := isacd_channel_verdict(r.access, 'write', 'post_hidden');
	IF outcome <> 'ok' THEN
		RETURN NEXT; RETURN;
	END IF;
	SELECT * INTO o FROM posts WHERE id = p_post FOR UPDATE;
	IF o.author_id IS DISTINCT FROM p_user THEN
		outcome := 'not_author'; RETURN NEXT; RETURN;
	END IF;
	new_tlp := coalesce(p_tlp, o.tlp);
	new_rcpt := CASE WHEN new_tlp <> 'TLP:RED' AND p_recipients IS NULL
		THEN '{}' ELSE coalesce(p_recipients, o.recipients) END;
	IF new_tlp <> o.tlp OR new_rcpt <> o.recipients THEN
		outcome := isacd_tlp_check(p_user, r.role, o.channel_id, new_tlp,
			new_rcpt);
		IF outcome IS NOT NULL THEN
			RETURN NEXT; RETURN;
		END IF;
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
		response := isacd_post_json(o, p_user, r.role, r.access)::text;
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
	outcome := 'ok';
	response := isacd_post_json(n, p_user, r.role, r.access)::text;
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
	outcome := isacd_channel_verdict(r.access, 'write', 'post_hidden');
	IF outcome <> 'ok' THEN
		RETURN NEXT; RETURN;
	END IF;
	SELECT * INTO o FROM posts WHERE id = p_post FOR UPDATE;
	IF o.author_id IS DISTINCT FROM p_user
		AND isacd_channel_verdict(r.access, 'moderate', NULL) <> 'ok' THEN
		outcome := 'not_author_or_moderator'; RETURN NEXT; RETURN;
	END IF;
	DELETE FROM posts WHERE id = p_post;
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
-- both communities -- each entry naming only what that community's
-- moderators may see: the source's names the post that was shared, the
-- target's the copy and its channel.  The author sharing their own
-- anonymous post shares it anonymously: the copy must not name them where
-- the original does not.
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
	i := isacd_idem_begin(p_user, p_key, p_hash);
	IF i.outcome IN ('busy', 'mismatch') THEN
		outcome := i.outcome; RETURN NEXT; RETURN;
	END IF;
	SELECT * INTO r FROM isacd_post_rights(p_user) x WHERE x.post_id = p_post;
	outcome := isacd_channel_verdict(r.access, 'read', 'post_hidden');
	IF outcome <> 'ok' THEN
		RETURN NEXT; RETURN;
	END IF;
	SELECT * INTO o FROM posts WHERE id = p_post;
	IF o.tlp NOT IN ('TLP:CLEAR', 'TLP:GREEN') THEN
		outcome := 'tlp_share'; RETURN NEXT; RETURN;
	END IF;
	SELECT * INTO tr FROM isacd_channel_rights(p_user) x
	WHERE x.channel_id = p_target;
	outcome := isacd_channel_verdict(tr.access, 'post', 'channel_hidden');
	IF outcome <> 'ok' THEN
		RETURN NEXT; RETURN;
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
	PERFORM isacd_store_indicators(n.id,
		(SELECT array_agg(x.type ORDER BY x.ord) FROM post_indicators x
			WHERE x.post_id = o.id),
		(SELECT array_agg(x.value ORDER BY x.ord) FROM post_indicators x
			WHERE x.post_id = o.id));
	PERFORM isacd_audit(p_user, 'post.shared', o.community_id, NULL, p_ip,
		jsonb_build_object('post_id', o.id));
	IF tr.community_id <> o.community_id THEN
		PERFORM isacd_audit(p_user, 'post.shared', tr.community_id, NULL,
			p_ip, jsonb_build_object('copy_id', n.id,
				'to_channel_id', p_target));
	END IF;
	outcome := 'ok'; http_status := 201;
	loc := '/api/v1/posts/' || n.id;
	response := isacd_post_json(n, p_user, tr.role, tr.access)::text;
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
	i := isacd_idem_begin(p_user, p_key, p_hash);
	IF i.outcome IN ('busy', 'mismatch') THEN
		outcome := i.outcome; RETURN NEXT; RETURN;
	END IF;
	SELECT * INTO r FROM isacd_post_rights(p_user) x WHERE x.post_id = p_post;
	outcome := isacd_channel_verdict(r.access, 'write', 'post_hidden');
	IF outcome <> 'ok' THEN
		RETURN NEXT; RETURN;
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
	outcome := isacd_channel_verdict(r.access, 'write', 'post_hidden');
	IF outcome <> 'ok' THEN
		RETURN NEXT; RETURN;
	END IF;
	SELECT * INTO c FROM comments x
	WHERE x.id = p_comment AND x.post_id = p_post FOR UPDATE;
	IF NOT FOUND THEN
		outcome := 'comment_not_found'; RETURN NEXT; RETURN;
	END IF;
	SELECT * INTO o FROM posts WHERE id = p_post;
	IF p_body IS NOT NULL THEN
		IF c.author_id IS DISTINCT FROM p_user THEN
			outcome := 'not_author'; RETURN NEXT; RETURN;
		END IF;
		UPDATE comments x SET body = p_body, updated_at = now()
		WHERE x.id = p_comment RETURNING * INTO c;
		outcome := 'ok';
		response := isacd_comment_json(c, o, p_user, r.role, r.access)::text;
		RETURN NEXT; RETURN;
	END IF;
	IF c.author_id IS DISTINCT FROM p_user
		AND isacd_channel_verdict(r.access, 'moderate', NULL) <> 'ok' THEN
		outcome := 'not_author_or_moderator'; RETURN NEXT; RETURN;
	END IF;
	DELETE FROM comments x WHERE x.id = p_comment;
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
	i := isacd_idem_begin(p_user, p_key, p_hash);
	IF i.outcome IN ('busy', 'mismatch') THEN
		outcome := i.outcome; RETURN NEXT; RETURN;
	END IF;
	SELECT * INTO r FROM isacd_post_rights(p_user) x WHERE x.post_id = p_post;
	outcome := isacd_channel_verdict(r.access, 'write', 'post_hidden');
	IF outcome <> 'ok' THEN
		RETURN NEXT; RETURN;
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
		outcome := 'sighting_exists'; RETURN NEXT; RETURN;
	END IF;
	outcome := 'ok'; http_status := 201;
	loc := '/api/v1/posts/' || o.id || '/sightings';
	response := json_build_object('post_id', s.post_id,
		'organisation', isacd_org_ref(s.organisation_id),
		'note', s.note, 'created_at', isacd_ts(s.created_at))::text;
	PERFORM isacd_idem_store(p_user, p_key, p_hash, 201, loc, response);
	RETURN NEXT;
END
$$;

-- ---- reading -----------------------------------------------------------------

-- A page of one channel's posts the user may read, newest first: the ids
-- and times of at most p_limit posts after the cursor (p_reads: the user
-- reads the channel, from its gate).  The statement is planned apart from
-- the page's rendering, with the planner held to the one plan that reads
-- no more posts than the page shows -- the ordered walk of
-- posts_channel_idx, cut at the limit -- whatever the statistics say: a
-- generic plan, not knowing the limit, took a bitmap of the whole channel
-- and sorted it (a page of 50 read 950 posts in a channel of 1,000), and
-- no other index orders posts by time (0019).  A page after a cursor is a
-- statement of its own, so that the cursor starts the walk in every plan
-- (as "no cursor or before it" it was a filter of a generic plan: a deep
-- page read every newer post of the channel).
CREATE FUNCTION isacd_channel_page(p_user uuid, p_channel uuid,
	p_reads boolean, p_kind text, p_tlp text, p_tag text,
	p_time timestamptz, p_id uuid, p_limit integer)
RETURNS TABLE (id uuid, created_at timestamptz)
LANGUAGE plpgsql STABLE
SET enable_bitmapscan = off SET enable_sort = off SET enable_seqscan = off
AS $$
BEGIN
	-- (plpgsql: each statement is planned once per connection, not per call)
	IF p_time IS NULL THEN
		RETURN QUERY
		SELECT p.id, p.created_at FROM posts p
		WHERE p_reads AND p.channel_id = p_channel
			AND isacd_reads_post(p_reads, p.tlp, p.author_id, p.recipients,
				p_user)
			AND (p_kind IS NULL OR p.kind = p_kind)
			AND (p_tlp IS NULL OR p.tlp = p_tlp)
			AND (p_tag IS NULL OR p.tags @> ARRAY[p_tag])
		ORDER BY p.created_at DESC, p.id DESC LIMIT p_limit;
	ELSE
		RETURN QUERY
		SELECT p.id, p.created_at FROM posts p
		WHERE p_reads AND p.channel_id = p_channel
			AND (p.created_at, p.id) < (p_time, p_id)
			AND isacd_reads_post(p_reads, p.tlp, p.author_id, p.recipients,
				p_user)
			AND (p_kind IS NULL OR p.kind = p_kind)
			AND (p_tlp IS NULL OR p.tlp = p_tlp)
			AND (p_tag IS NULL OR p.tags @> ARRAY[p_tag])
		ORDER BY p.created_at DESC, p.id DESC LIMIT p_limit;
	END IF;
END
$$;
