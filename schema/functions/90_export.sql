-- 90_export.sql: a person's data, as one document (GET /me/export).
--
-- It gathers rows about the caller from every part of the schema (the
-- privacy, posts and agency files render them), so it comes after all of
-- them.

-- GET /me/export: everything isacd keeps about the caller, as one
-- document -- the account, its organisation, memberships, join requests,
-- readerships, sessions and API tokens (no secret), the second factor (not
-- its secret), audit entries about the caller (what others did to the
-- caller without who did it), and every post (anonymous ones too, with
-- their revisions), comment and sighting the caller wrote, the
-- acknowledgements of advisories the caller last gave for their
-- organisation, and the self-assessments the caller submitted.  Nothing about
-- other people that the caller may not read: a post the caller wrote is
-- rendered as the caller sees it, a comment on someone else's post
-- carries only the post's id.
CREATE FUNCTION isacd_me_export(p_user uuid) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'exported_at', isacd_ts(now()),
		'account', isacd_user_json(u),
		'organisation', isacd_organisation_json(o),
		'memberships', coalesce((SELECT json_agg(json_build_object(
				'community', json_build_object('id', c.id, 'name', c.name),
				'role', m.role, 'status', m.status,
				'joined_at', isacd_ts(m.joined_at)) ORDER BY m.joined_at)
			FROM memberships m JOIN communities c ON c.id = m.community_id
			WHERE m.user_id = u.id), '[]'::json),
		'join_requests', coalesce((SELECT json_agg(json_build_object(
				'id', j.id, 'community_id', j.community_id,
				'message', j.message, 'status', j.status,
				'created_at', isacd_ts(j.created_at),
				'decided_at', isacd_ts(j.decided_at)) ORDER BY j.created_at)
			FROM join_requests j WHERE j.user_id = u.id), '[]'::json),
		'channel_readerships', coalesce((SELECT json_agg(json_build_object(
				'channel_id', r.channel_id,
				'added_at', isacd_ts(r.added_at)) ORDER BY r.added_at)
			FROM channel_readers r WHERE r.user_id = u.id), '[]'::json),
		'sessions', coalesce((SELECT json_agg(json_build_object(
				'id', s.id, 'created_at', isacd_ts(s.created_at),
				'last_seen_at', isacd_ts(s.last_seen_at),
				'expires_at', isacd_ts(s.expires_at),
				'revoked_at', isacd_ts(s.revoked_at),
				'ip', host(s.ip)) ORDER BY s.created_at)
			FROM sessions s WHERE s.user_id = u.id), '[]'::json),
		'api_tokens', coalesce((SELECT json_agg(json_build_object(
				'id', t.id, 'name', t.name, 'scopes', to_json(t.scopes),
				'created_at', isacd_ts(t.created_at),
				'expires_at', isacd_ts(t.expires_at),
				'last_used_at', isacd_ts(t.last_used_at),
				'revoked_at', isacd_ts(t.revoked_at)) ORDER BY t.created_at)
			FROM api_tokens t WHERE t.user_id = u.id), '[]'::json),
		'totp', (SELECT json_build_object(
				'created_at', isacd_ts(t.created_at),
				'confirmed_at', isacd_ts(t.confirmed_at))
			FROM totp_secrets t WHERE t.user_id = u.id),
		'audit', coalesce((SELECT json_agg(json_build_object(
				'id', a.id::text, 'at', isacd_ts(a.at), 'action', a.action,
				'community_id', a.community_id,
				'by_me', a.actor_id IS NOT DISTINCT FROM u.id,
				'ip', CASE WHEN a.actor_id = u.id THEN host(a.ip) END,
				'detail', CASE WHEN a.actor_id = u.id AND (a.target_user_id
						IS NULL OR a.target_user_id = u.id)
					AND split_part(a.action, '.', 1)
						NOT IN ('channel', 'post', 'comment')
					THEN a.detail END) ORDER BY a.id)
			FROM audit_log a
			WHERE a.actor_id = u.id OR a.target_user_id = u.id), '[]'::json),
		'posts', coalesce((SELECT json_agg(json_build_object(
				'post', (SELECT v.j FROM isacd_post_view(p, u.id, r.role,
					r.access) v),
				'revisions', coalesce((SELECT json_agg(isacd_revision_json(
						rv, p, u.id, r.role) ORDER BY rv.revision)
					FROM post_revisions rv WHERE rv.post_id = p.id),
					'[]'::json)) ORDER BY p.created_at, p.id)
			FROM posts p
			LEFT JOIN isacd_post_rights(u.id) r ON r.post_id = p.id
			WHERE p.author_id = u.id), '[]'::json),
		'comments', coalesce((SELECT json_agg(json_build_object(
				'id', k.id, 'post_id', k.post_id, 'body', k.body,
				'created_at', isacd_ts(k.created_at),
				'updated_at', isacd_ts(k.updated_at))
				ORDER BY k.created_at, k.id)
			FROM comments k WHERE k.author_id = u.id), '[]'::json),
		'sightings', coalesce((SELECT json_agg(json_build_object(
				'post_id', s.post_id,
				'organisation', isacd_org_ref(s.organisation_id),
				'note', s.note, 'created_at', isacd_ts(s.created_at))
				ORDER BY s.created_at)
			FROM sightings s WHERE s.user_id = u.id), '[]'::json),
		'advisory_acks', coalesce((SELECT json_agg(json_build_object(
				'advisory_id', k.advisory_id,
				'organisation', isacd_org_ref(k.organisation_id),
				'status', k.status, 'note', k.note, 'version', k.version,
				'created_at', isacd_ts(k.created_at),
				'updated_at', isacd_ts(k.updated_at))
				ORDER BY k.created_at, k.advisory_id)
			FROM advisory_acks k WHERE k.user_id = u.id), '[]'::json),
		'assessments', coalesce((SELECT json_agg(
				isacd_assessment_json(a, u.id, false)
				ORDER BY a.created_at, a.id)
			FROM assessments a WHERE a.user_id = u.id), '[]'::json))
	FROM users u JOIN organisations o ON o.id = u.organisation_id
	WHERE u.id = p_user
$$;
