-- 0007_auth_throttle.sql: failed-login records that hold across every isacd
-- process on the database.  key is 'a:' || sha256(lower(email)) for an
-- account (the address itself is not kept) or 'i:' || ip for a client.
-- failures count within a window; reaching the limit locks the key for the
-- window, doubling with each lockout within 24 hours (capped at 24 hours).
CREATE TABLE auth_throttle (
	key text PRIMARY KEY,
	failures integer NOT NULL DEFAULT 0,
	window_start timestamptz NOT NULL DEFAULT now(),
	locked_until timestamptz,
	lockouts integer NOT NULL DEFAULT 0,
	last_lockout timestamptz
);
CREATE INDEX auth_throttle_window_idx ON auth_throttle (window_start);

CREATE FUNCTION isacd_account_key(p_email text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT 'a:' || encode(sha256(convert_to(lower(p_email), 'UTF8')), 'hex')
$$;

-- Seconds until key may try again, or NULL when it is not locked.
CREATE FUNCTION isacd_throttle_wait(p_key text) RETURNS integer
LANGUAGE sql STABLE AS $$
	SELECT greatest(ceil(extract(epoch FROM locked_until - now())), 1)::integer
	FROM auth_throttle WHERE key = p_key AND locked_until > now()
$$;

-- Record one failure for key; locks it when the limit is reached.
CREATE FUNCTION isacd_throttle_fail(p_key text, p_limit integer,
	p_window_s integer) RETURNS void
LANGUAGE plpgsql STRICT AS $$
DECLARE
	r auth_throttle%ROWTYPE;
	w interval := make_interval(secs => p_window_s);
BEGIN
	INSERT INTO auth_throttle (key) VALUES (p_key)
		ON CONFLICT (key) DO NOTHING;
	SELECT * INTO r FROM auth_throttle WHERE key = p_key FOR UPDATE;
	IF r.window_start < now() - w THEN
		r.failures := 0;
		r.window_start := now();
	END IF;
	r.failures := r.failures + 1;
	IF r.failures >= p_limit THEN
		IF r.last_lockout IS NULL OR r.last_lockout < now() - interval '24 hours' THEN
			r.lockouts := 0;
		END IF;
		r.locked_until := now() + least(w * power(2, least(r.lockouts, 16)),
			interval '24 hours');
		r.lockouts := r.lockouts + 1;
		r.last_lockout := now();
		r.failures := 0;
		r.window_start := now();
	END IF;
	UPDATE auth_throttle SET failures = r.failures,
		window_start = r.window_start, locked_until = r.locked_until,
		lockouts = r.lockouts, last_lockout = r.last_lockout
	WHERE key = p_key;
END
$$;
