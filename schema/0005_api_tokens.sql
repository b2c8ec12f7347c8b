-- 0005_api_tokens.sql: personal API tokens for automation.  Scopes are
-- {read} or {read,write}; the secret is shown once and only its SHA-256 kept.
CREATE TABLE api_tokens (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	token_hash text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
	scopes text[] NOT NULL
		CHECK (scopes = '{read}' OR scopes = '{read,write}'),
	created_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL,
	last_used_at timestamptz,
	revoked_at timestamptz
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id, created_at DESC)
	WHERE revoked_at IS NULL;

CREATE FUNCTION isacd_api_token_json(t api_tokens) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
		'id', t.id,
		'name', t.name,
		'scopes', to_jsonb(t.scopes),
		'created_at', isacd_ts(t.created_at),
		'expires_at', isacd_ts(t.expires_at),
		'last_used_at', isacd_ts(t.last_used_at))
$$;
