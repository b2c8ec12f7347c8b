-- 0006_totp.sql: TOTP (RFC 6238) second factor.  A row with confirmed_at
-- NULL is an enrolment waiting for its first code.  last_step is the last
-- 30-second step whose code was accepted: a code is never accepted twice.
CREATE TABLE totp_secrets (
	user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	secret text NOT NULL CHECK (secret ~ '^[A-Z2-7]{32}$'),
	confirmed_at timestamptz,
	last_step bigint NOT NULL DEFAULT 0,
	created_at timestamptz NOT NULL DEFAULT now()
);

-- The account as GET /me shows it: one definition for /me, login and PATCH.
CREATE FUNCTION isacd_user_json(u users) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
		'id', u.id,
		'email', u.email,
		'display_name', u.display_name,
		'organisation', jsonb_build_object('id', o.id, 'name', o.name),
		'platform_role', u.platform_role,
		'totp_enabled', EXISTS (SELECT 1 FROM totp_secrets t
			WHERE t.user_id = u.id AND t.confirmed_at IS NOT NULL),
		'memberships', '[]'::jsonb,
		'created_at', isacd_ts(u.created_at))
	FROM organisations o WHERE o.id = u.organisation_id
$$;

CREATE FUNCTION isacd_user_json(p_user uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT isacd_user_json(u) FROM users u WHERE u.id = p_user
$$;
