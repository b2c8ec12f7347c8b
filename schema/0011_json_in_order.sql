-- 0011_json_in_order.sql: API objects as json, not jsonb.
--
-- isacd writes the JSON PostgreSQL renders straight into its responses
-- (compacted, never parsed again).  jsonb sorts keys by length, so an
-- organisation came out as {"id", "name", "sector", "country", ...} and a
-- user with "email" before "display_name" before "organisation"; json keeps
-- the order written here, which is the order of the API documentation.
DROP FUNCTION isacd_user_json(uuid);
DROP FUNCTION isacd_user_json(users);
DROP FUNCTION isacd_organisation_json(organisations);
DROP FUNCTION isacd_api_token_json(api_tokens);

CREATE FUNCTION isacd_organisation_json(o organisations) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'id', o.id,
		'name', o.name,
		'sector', o.sector,
		'country', o.country,
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
		'memberships', '[]'::json,
		'created_at', isacd_ts(u.created_at))
	FROM organisations o WHERE o.id = u.organisation_id
$$;

CREATE FUNCTION isacd_user_json(p_user uuid) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT isacd_user_json(u) FROM users u WHERE u.id = p_user
$$;
