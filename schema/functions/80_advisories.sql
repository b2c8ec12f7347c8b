-- 80_advisories.sql: the agency's advisories: publishing one to many
-- communities, a new version everywhere at once, withdrawal, and the
-- acknowledgements of organisations.
--
-- One advisory with its targets (advisory_targets); in each target
-- community its copy is a post of kind 'advisory' in the community's
-- advisories channel (posting 'agency', read-only for everyone:
-- 20_access.sql), pointing back at the advisory (posts.advisory_id).  So
-- lists, search, correlation (its CVEs are the copy's indicators),
-- realtime (the posts' triggers write post.created, post.updated and
-- post.deleted per community) and retention treat a copy as any post,
-- while every change of the advisory rewrites all its copies in the one
-- transaction that changes it.  Who receives an advisory is who may read
-- a copy (isacd_advisory_rights); staff see every advisory but receive
-- none unless they are members.
--
-- A transaction writes at most 4,095 events (70_events.sql), one per copy
-- created, changed or deleted: an advisory reaches at most 4,000
-- communities ('too_many_targets').
--
-- Each function returns a verdict word (20_access.sql): those of
-- isacd_advisory_gate, and 'no_targets', 'targets_unknown',
-- 'too_many_targets' (422), 'advisory_withdrawn' (409), 'target_not_found'
-- (404), the community gate's words, 'unchanged', 'ok'.

-- Every community has its advisories channel from the start.
CREATE OR REPLACE FUNCTION isacd_communities_advisories_channel()
RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO channels (community_id, name, description, visibility,
		posting)
	VALUES (NEW.id, 'advisories',
		'Advisories from the agency: read-only, acknowledged per organisation.',
		'community', 'agency');
	RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER communities_advisories_channel AFTER INSERT
	ON communities FOR EACH ROW
	EXECUTE FUNCTION isacd_communities_advisories_channel();

-- The targets as stored and shown: {all, kinds, community_ids}, the
-- lists sorted and without duplicates, so that equal targets compare
-- equal.
CREATE FUNCTION isacd_advisory_targets_json(p_all boolean, p_kinds text[],
	p_ids uuid[]) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_build_object('all', coalesce(p_all, false),
		'kinds', coalesce((SELECT jsonb_agg(DISTINCT k ORDER BY k)
			FROM unnest(p_kinds) k), '[]'),
		'community_ids', coalesce((SELECT jsonb_agg(DISTINCT i ORDER BY i)
			FROM unnest(p_ids) i), '[]'))
$$;

-- The communities the targets name: all of them, those of the kinds, and
-- those listed.
CREATE FUNCTION isacd_advisory_communities(p_targets jsonb)
RETURNS TABLE (community_id uuid)
LANGUAGE sql STABLE AS $$
	SELECT c.id FROM communities c
	WHERE (p_targets ->> 'all')::boolean
		OR c.kind IN (SELECT jsonb_array_elements_text(p_targets -> 'kinds'))
		OR c.id IN (SELECT jsonb_array_elements_text(
			p_targets -> 'community_ids')::uuid)
$$;

-- Whether targets can be sent to (NULL) or why not; p_old: the targets
-- an update replaces (their copies are deleted or rewritten in the same
-- transaction, each an event).
CREATE FUNCTION isacd_advisory_targets_check(p_targets jsonb,
	p_advisory uuid) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT CASE
	WHEN EXISTS (SELECT 1 FROM jsonb_array_elements_text(
			p_targets -> 'community_ids') x (id)
		WHERE NOT EXISTS (SELECT 1 FROM communities c
			WHERE c.id = x.id::uuid)) THEN 'targets_unknown'
	WHEN NOT EXISTS (SELECT 1 FROM isacd_advisory_communities(p_targets))
		THEN 'no_targets'
	WHEN (SELECT count(*) FROM (SELECT t.community_id
			FROM isacd_advisory_communities(p_targets) t
			UNION SELECT o.community_id FROM advisory_targets o
			WHERE o.advisory_id = p_advisory) u) > 4000
		THEN 'too_many_targets'
	END
$$;

-- The text of a copy: Markdown, like any post's body.
CREATE FUNCTION isacd_advisory_text(a advisories) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT concat_ws(E'\n\n', a.summary, a.body,
		CASE WHEN cardinality(a.actions) > 0 THEN E'**What to do**\n\n'
			|| (SELECT string_agg('- ' || x, E'\n' ORDER BY o)
				FROM unnest(a.actions) WITH ORDINALITY u (x, o)) END,
		CASE WHEN cardinality(a.products) > 0
			THEN E'**Affected products**\n\n'
			|| (SELECT string_agg('- ' || x, E'\n' ORDER BY o)
				FROM unnest(a.products) WITH ORDINALITY u (x, o)) END,
		CASE WHEN cardinality(a.cves) > 0
			THEN '**CVEs**: ' || array_to_string(a.cves, ', ') END,
		CASE WHEN a.source IS NOT NULL THEN '**Source**: ' || a.source END,
		'_Advisory of the agency, version ' || a.version || '._')
$$;

-- The copies advisory a lacks: one post in the advisories channel of each
-- target community that has none, with the advisory's CVEs as its
-- indicators.  Returns how many were made.
CREATE FUNCTION isacd_advisory_copy(a advisories, p_author uuid)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	v_text text := isacd_advisory_text(a);
	v_search tsvector;
	v_types text[] := array_fill('cve'::text, ARRAY[cardinality(a.cves)]);
	p record;
	n integer := 0;
BEGIN
	v_search := isacd_search_vector(a.title, v_text, '{}', a.cves);
	FOR p IN
		INSERT INTO posts (community_id, channel_id, author_id, kind, title,
			body, tlp, severity, tags, anonymous, recipients, advisory_id,
			search)
		SELECT t.community_id, ch.id, p_author, 'advisory', a.title, v_text,
			a.tlp, a.severity, '{}', false, '{}', a.id, v_search
		FROM advisory_targets t
		JOIN channels ch ON ch.community_id = t.community_id
			AND ch.posting = 'agency'
		WHERE t.advisory_id = a.id AND NOT EXISTS (SELECT 1 FROM posts x
			WHERE x.advisory_id = a.id AND x.community_id = t.community_id)
		RETURNING id
	LOOP
		IF cardinality(a.cves) > 0 THEN
			PERFORM isacd_store_indicators(p.id, v_types, a.cves);
		END IF;
		n := n + 1;
	END LOOP;
	RETURN n;
END
$$;

-- An advisory as user p_user sees it.  Staff (p_staff) see its targets as
-- given and how many communities it went to; a receiver sees the
-- communities it reached them in (with the copy there) -- never the other
-- targets, which may be communities they may not know of -- and every
-- user their own organisation's acknowledgement.
CREATE FUNCTION isacd_advisory_json(a advisories, p_user uuid,
	p_staff boolean) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'id', a.id,
		'version', a.version,
		'title', a.title,
		'summary', a.summary,
		'body', a.body,
		'severity', a.severity,
		'tlp', a.tlp,
		'source', a.source,
		'cves', to_json(a.cves),
		'products', to_json(a.products),
		'actions', to_json(a.actions),
		'status', a.status,
		'targets', CASE WHEN p_staff THEN a.targets END,
		'target_count', CASE WHEN p_staff THEN (SELECT count(*)
			FROM advisory_targets t WHERE t.advisory_id = a.id) END,
		'communities', coalesce((SELECT json_agg(json_build_object(
				'id', c.id, 'name', c.name, 'post_id', r.post_id)
				ORDER BY c.name, c.id)
			FROM isacd_advisory_rights(p_user) r
			JOIN communities c ON c.id = r.community_id
			WHERE r.advisory_id = a.id), '[]'::json),
		'acknowledgement', (SELECT json_build_object('status', k.status,
				'note', k.note, 'version', k.version,
				'updated_at', isacd_ts(k.updated_at))
			FROM advisory_acks k JOIN users u
				ON u.organisation_id = k.organisation_id
			WHERE k.advisory_id = a.id AND u.id = p_user),
		'created_at', isacd_ts(a.created_at),
		'updated_at', isacd_ts(a.updated_at),
		'withdrawn_at', isacd_ts(a.withdrawn_at))
$$;

-- POST /advisories (staff): the advisory, its targets and a copy in each
-- target community, in one transaction.
CREATE FUNCTION isacd_advisory_publish(p_user uuid, p_title text,
	p_summary text, p_body text, p_severity text, p_tlp text,
	p_source text, p_cves text[], p_products text[], p_actions text[],
	p_all boolean, p_kinds text[], p_ids uuid[], p_key text, p_hash text,
	p_ip inet)
RETURNS TABLE (outcome text, http_status integer, loc text,
	response text)
LANGUAGE plpgsql AS $$
DECLARE
	i record;
	a advisories;
	v_targets jsonb := isacd_advisory_targets_json(p_all, p_kinds, p_ids);
	n integer;
BEGIN
	i := isacd_idem_begin(p_user, p_key, p_hash);
	IF i.outcome IN ('busy', 'mismatch') THEN
		outcome := i.outcome; RETURN NEXT; RETURN;
	END IF;
	IF NOT isacd_is_staff(p_user) THEN
		outcome := 'not_staff'; RETURN NEXT; RETURN;
	END IF;
	IF i.outcome = 'replay' THEN
		outcome := 'replay'; http_status := i.status;
		loc := i.location; response := i.response;
		RETURN NEXT; RETURN;
	END IF;
	outcome := isacd_advisory_targets_check(v_targets, NULL);
	IF outcome IS NOT NULL THEN
		RETURN NEXT; RETURN;
	END IF;
	INSERT INTO advisories (title, summary, body, severity, tlp, source,
		cves, products, actions, targets, created_by, updated_by)
	VALUES (p_title, p_summary, p_body, p_severity, p_tlp, p_source,
		p_cves, p_products, p_actions, v_targets, p_user, p_user)
	RETURNING * INTO a;
	INSERT INTO advisory_targets (advisory_id, community_id)
	SELECT a.id, t.community_id FROM isacd_advisory_communities(v_targets) t;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM isacd_advisory_copy(a, p_user);
	PERFORM isacd_audit(p_user, 'advisory.published', NULL, NULL, p_ip,
		jsonb_build_object('advisory_id', a.id, 'version', a.version,
			'tlp', a.tlp, 'target_count', n));
	outcome := 'ok'; http_status := 201;
	loc := '/api/v1/advisories/' || a.id;
	response := isacd_advisory_json(a, p_user, true)::text;
	PERFORM isacd_idem_store(p_user, p_key, p_hash, 201, loc, response);
	RETURN NEXT;
END
$$;

-- PATCH /advisories/{a} (staff).  NULL arguments keep a field (p_source:
-- p_source_set).  A change of what it says is a new version: every copy
-- shows it at once, each keeping its previous text as a revision.  New
-- targets (p_targets_set) get their copy; targets dropped lose theirs; a
-- change of targets alone is no new version (what receivers see does not
-- change).
CREATE FUNCTION isacd_advisory_update(p_user uuid, p_advisory uuid,
	p_title text, p_summary text, p_body text, p_severity text,
	p_tlp text, p_source_set boolean, p_source text, p_cves text[],
	p_products text[], p_actions text[], p_targets_set boolean,
	p_all boolean, p_kinds text[], p_ids uuid[], p_ip inet)
RETURNS TABLE (outcome text, response text)
LANGUAGE plpgsql AS $$
DECLARE
	o advisories;
	n advisories;
	v_targets jsonb;
	v_content boolean;
	v_text text;
	v_search tsvector;
BEGIN
	SELECT g.verdict INTO outcome
	FROM isacd_advisory_gate(p_user, p_advisory, 'staff') g;
	IF outcome <> 'ok' THEN
		RETURN NEXT; RETURN;
	END IF;
	SELECT * INTO o FROM advisories WHERE id = p_advisory FOR UPDATE;
	IF o.status = 'withdrawn' THEN
		outcome := 'advisory_withdrawn'; RETURN NEXT; RETURN;
	END IF;
	v_targets := CASE WHEN p_targets_set
		THEN isacd_advisory_targets_json(p_all, p_kinds, p_ids)
		ELSE o.targets END;
	v_content := (coalesce(p_title, o.title), coalesce(p_summary, o.summary),
		coalesce(p_body, o.body), coalesce(p_severity, o.severity),
		coalesce(p_tlp, o.tlp), CASE WHEN p_source_set THEN p_source
			ELSE o.source END, coalesce(p_cves, o.cves),
		coalesce(p_products, o.products), coalesce(p_actions, o.actions))
		IS DISTINCT FROM (o.title, o.summary, o.body, o.severity, o.tlp,
		o.source, o.cves, o.products, o.actions);
	IF NOT v_content AND v_targets = o.targets THEN
		outcome := 'unchanged';
		response := isacd_advisory_json(o, p_user, true)::text;
		RETURN NEXT; RETURN;
	END IF;
	IF v_targets <> o.targets THEN
		outcome := isacd_advisory_targets_check(v_targets, o.id);
		IF outcome IS NOT NULL THEN
			RETURN NEXT; RETURN;
		END IF;
	END IF;
	IF v_content THEN
		INSERT INTO advisory_versions (advisory_id, version, title, summary,
			body, severity, tlp, source, cves, products, actions, targets,
			edited_by)
		VALUES (o.id, o.version, o.title, o.summary, o.body, o.severity,
			o.tlp, o.source, o.cves, o.products, o.actions, o.targets,
			p_user);
	END IF;
	UPDATE advisories x SET title = coalesce(p_title, x.title),
		summary = coalesce(p_summary, x.summary),
		body = coalesce(p_body, x.body),
		severity = coalesce(p_severity, x.severity),
		tlp = coalesce(p_tlp, x.tlp),
		source = CASE WHEN p_source_set THEN p_source ELSE x.source END,
		cves = coalesce(p_cves, x.cves),
		products = coalesce(p_products, x.products),
		actions = coalesce(p_actions, x.actions),
		targets = v_targets,
		version = x.version + CASE WHEN v_content THEN 1 ELSE 0 END,
		updated_by = p_user,
		updated_at = CASE WHEN v_content THEN now() ELSE x.updated_at END
	WHERE x.id = o.id RETURNING * INTO n;
	IF v_targets <> o.targets THEN
		DELETE FROM posts p WHERE p.advisory_id = n.id
			AND p.community_id NOT IN (SELECT t.community_id
				FROM isacd_advisory_communities(v_targets) t);
		DELETE FROM advisory_targets t WHERE t.advisory_id = n.id
			AND t.community_id NOT IN (SELECT c.community_id
				FROM isacd_advisory_communities(v_targets) c);
		INSERT INTO advisory_targets (advisory_id, community_id)
		SELECT n.id, c.community_id FROM isacd_advisory_communities(v_targets) c
		ON CONFLICT DO NOTHING;
	END IF;
	IF v_content THEN
		v_text := isacd_advisory_text(n);
		v_search := isacd_search_vector(n.title, v_text, '{}', n.cves);
		INSERT INTO post_revisions (post_id, revision, editor_id, kind,
			title, body, tlp, severity, tags, recipients)
		SELECT p.id, p.revision + 1, p_user, p.kind, p.title, p.body, p.tlp,
			p.severity, p.tags, p.recipients
		FROM posts p WHERE p.advisory_id = n.id;
		UPDATE posts p SET title = n.title, body = v_text, tlp = n.tlp,
			severity = n.severity, search = v_search,
			revision = p.revision + 1, updated_at = now()
		WHERE p.advisory_id = n.id;
		IF n.cves <> o.cves THEN
			DELETE FROM post_indicators i USING posts p
			WHERE i.post_id = p.id AND p.advisory_id = n.id;
			IF cardinality(n.cves) > 0 THEN
				PERFORM isacd_store_indicators(p.id,
					array_fill('cve'::text, ARRAY[cardinality(n.cves)]), n.cves)
				FROM posts p WHERE p.advisory_id = n.id;
			END IF;
		END IF;
	END IF;
	PERFORM isacd_advisory_copy(n, p_user);
	PERFORM isacd_audit(p_user, 'advisory.updated', NULL, NULL, p_ip,
		jsonb_build_object('advisory_id', n.id, 'version', n.version,
			'targets_changed', v_targets <> o.targets));
	outcome := 'ok';
	response := isacd_advisory_json(n, p_user, true)::text;
	RETURN NEXT;
END
$$;

-- POST /advisories/{a}/withdraw (staff): every copy is deleted (each
-- community's subscribers get post.deleted); the advisory and its
-- acknowledgements stay for the agency's counts.  Withdrawing again
-- changes nothing.
CREATE FUNCTION isacd_advisory_withdraw(p_user uuid, p_advisory uuid,
	p_ip inet)
RETURNS TABLE (outcome text, response text)
LANGUAGE plpgsql AS $$
DECLARE
	o advisories;
	n integer;
BEGIN
	SELECT g.verdict INTO outcome
	FROM isacd_advisory_gate(p_user, p_advisory, 'staff') g;
	IF outcome <> 'ok' THEN
		RETURN NEXT; RETURN;
	END IF;
	SELECT * INTO o FROM advisories WHERE id = p_advisory FOR UPDATE;
	IF o.status = 'withdrawn' THEN
		outcome := 'unchanged';
		response := isacd_advisory_json(o, p_user, true)::text;
		RETURN NEXT; RETURN;
	END IF;
	DELETE FROM posts p WHERE p.advisory_id = o.id;
	GET DIAGNOSTICS n = ROW_COUNT;
	UPDATE advisories x SET status = 'withdrawn', withdrawn_at = now(),
		withdrawn_by = p_user
	WHERE x.id = o.id RETURNING * INTO o;
	PERFORM isacd_audit(p_user, 'advisory.withdrawn', NULL, NULL, p_ip,
		jsonb_build_object('advisory_id', o.id, 'version', o.version,
			'copies_deleted', n));
	outcome := 'ok';
	response := isacd_advisory_json(o, p_user, true)::text;
	RETURN NEXT;
END
$$;

-- An acknowledgement as its readers see it.
CREATE FUNCTION isacd_ack_json(k advisory_acks) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'advisory_id', k.advisory_id,
		'organisation', isacd_org_ref(k.organisation_id),
		'status', k.status,
		'note', k.note,
		'version', k.version,
		'created_at', isacd_ts(k.created_at),
		'updated_at', isacd_ts(k.updated_at))
$$;

-- POST /advisories/{a}/acks: a receiver acknowledges for their
-- organisation; one state per organisation, the latest wins (with the
-- version it was given for).  http_status 201 for the organisation's
-- first, 200 when it replaced one.
CREATE FUNCTION isacd_advisory_ack(p_user uuid, p_advisory uuid,
	p_status text, p_note text)
RETURNS TABLE (outcome text, http_status integer, response text)
LANGUAGE plpgsql AS $$
DECLARE
	r record;
BEGIN
	SELECT g.verdict INTO outcome
	FROM isacd_advisory_gate(p_user, p_advisory, 'ack') g;
	IF outcome <> 'ok' THEN
		RETURN NEXT; RETURN;
	END IF;
	INSERT INTO advisory_acks AS k (advisory_id, organisation_id, user_id,
		status, note, version)
	SELECT a.id, u.organisation_id, u.id, p_status, p_note, a.version
	FROM advisories a, users u WHERE a.id = p_advisory AND u.id = p_user
	ON CONFLICT (advisory_id, organisation_id) DO UPDATE
		SET user_id = EXCLUDED.user_id, status = EXCLUDED.status,
			note = EXCLUDED.note, version = EXCLUDED.version,
			updated_at = now()
	RETURNING isacd_ack_json(k) AS j, (xmax = 0) AS inserted INTO r;
	outcome := 'ok';
	http_status := CASE WHEN r.inserted THEN 201 ELSE 200 END;
	response := r.j::text;
	RETURN NEXT;
END
$$;

-- GET /advisories/{a}/acks?community_id=c, for a moderator or owner of c:
-- the state and note of each organisation of c, acknowledged or not.
CREATE FUNCTION isacd_advisory_acks_community(p_user uuid,
	p_advisory uuid, p_community uuid)
RETURNS TABLE (outcome text, response text)
LANGUAGE plpgsql STABLE AS $$
BEGIN
	SELECT g.verdict INTO outcome
	FROM isacd_advisory_gate(p_user, p_advisory, 'see') g;
	IF outcome = 'ok' THEN
		SELECT g.verdict INTO outcome
		FROM isacd_community_gate(p_user, p_community, 'moderate') g;
	END IF;
	IF outcome = 'ok' AND NOT EXISTS (SELECT 1 FROM advisory_targets t
		WHERE t.advisory_id = p_advisory AND t.community_id = p_community)
	THEN
		outcome := 'target_not_found';
	END IF;
	IF outcome <> 'ok' THEN
		RETURN NEXT; RETURN;
	END IF;
	SELECT json_build_object(
		'advisory_id', a.id,
		'community_id', p_community,
		'version', a.version,
		'organisations', coalesce((SELECT json_agg(json_build_object(
				'organisation', json_build_object('id', o.id, 'name', o.name),
				'status', k.status,
				'note', k.note,
				'version', k.version,
				'updated_at', isacd_ts(k.updated_at))
				ORDER BY lower(o.name), o.id)
			FROM isacd_community_organisations(p_community) x
			JOIN organisations o ON o.id = x.organisation_id
			LEFT JOIN advisory_acks k ON k.advisory_id = a.id
				AND k.organisation_id = o.id), '[]'::json))::text
	INTO response
	FROM advisories a WHERE a.id = p_advisory;
	RETURN NEXT;
END
$$;

-- GET /advisories/{a}/acks for staff: per target community and state, how
-- many of its organisations acknowledged so (and how many did not yet),
-- and the same over the distinct organisations of all targets: counts
-- only, never an organisation, a person or a note.
CREATE FUNCTION isacd_advisory_acks_counts(p_advisory uuid) RETURNS json
LANGUAGE sql STABLE AS $$
	WITH orgs AS (
		SELECT t.community_id, x.organisation_id, k.status
		FROM advisory_targets t
		CROSS JOIN LATERAL isacd_community_organisations(t.community_id) x
		LEFT JOIN advisory_acks k ON k.advisory_id = t.advisory_id
			AND k.organisation_id = x.organisation_id
		WHERE t.advisory_id = p_advisory
	), per AS (
		SELECT t.community_id, count(o.organisation_id) AS organisations,
			count(*) FILTER (WHERE o.status = 'read') AS read,
			count(*) FILTER (WHERE o.status = 'applies') AS applies,
			count(*) FILTER (WHERE o.status = 'does_not_apply')
				AS does_not_apply,
			count(*) FILTER (WHERE o.status = 'mitigated') AS mitigated,
			count(o.organisation_id) FILTER (WHERE o.status IS NULL)
				AS pending
		FROM advisory_targets t
		LEFT JOIN orgs o ON o.community_id = t.community_id
		WHERE t.advisory_id = p_advisory
		GROUP BY t.community_id
	), dist AS (
		SELECT DISTINCT organisation_id, status FROM orgs
	)
	SELECT json_build_object(
		'advisory_id', a.id,
		'version', a.version,
		'status', a.status,
		'target_count', (SELECT count(*) FROM per),
		'totals', (SELECT json_build_object(
				'organisations', count(*),
				'read', count(*) FILTER (WHERE d.status = 'read'),
				'applies', count(*) FILTER (WHERE d.status = 'applies'),
				'does_not_apply',
					count(*) FILTER (WHERE d.status = 'does_not_apply'),
				'mitigated', count(*) FILTER (WHERE d.status = 'mitigated'),
				'pending', count(*) FILTER (WHERE d.status IS NULL))
			FROM dist d),
		'communities', coalesce((SELECT json_agg(json_build_object(
				'community', json_build_object('id', c.id, 'name', c.name,
					'kind', c.kind),
				'organisations', per.organisations,
				'read', per.read,
				'applies', per.applies,
				'does_not_apply', per.does_not_apply,
				'mitigated', per.mitigated,
				'pending', per.pending)
				ORDER BY lower(c.name), c.id)
			FROM per JOIN communities c ON c.id = per.community_id),
			'[]'::json))
	FROM advisories a WHERE a.id = p_advisory
$$;
