-- 0009_auth_throttle_attempts.sql: count a login attempt when it starts.
--
-- 0007 counted a failure after the password check, so guesses sent in
-- parallel all passed the lock check before any of them was counted.  Now
-- an attempt is counted (under the row lock) before the password is
-- checked; a success gives the attempt back (IP) or clears the counter
-- (account), a failure only decides whether the key locks.

-- Lock key now for the window, doubled per lockout within 24 h (max 24 h);
-- returns the seconds to wait.  The caller holds the row lock.
CREATE FUNCTION isacd_throttle_lock(p_key text, p_window_s integer)
RETURNS integer
LANGUAGE sql AS $$
	UPDATE auth_throttle SET
		lockouts = CASE WHEN last_lockout IS NULL
			OR last_lockout < now() - interval '24 hours'
			THEN 1 ELSE lockouts + 1 END,
		locked_until = now() + least(
			make_interval(secs => p_window_s) * power(2,
				CASE WHEN last_lockout IS NULL
					OR last_lockout < now() - interval '24 hours'
				THEN 0 ELSE least(lockouts, 16) END),
			interval '24 hours'),
		last_lockout = now(),
		failures = 0,
		window_start = now()
	WHERE key = p_key
	RETURNING greatest(ceil(extract(epoch FROM locked_until - now())), 1)::integer
$$;

-- Begin an attempt: the seconds to wait when key is locked (or its
-- allowance is used up by attempts in flight, which locks it), else NULL
-- after counting the attempt.
CREATE FUNCTION isacd_throttle_begin(p_key text, p_limit integer,
	p_window_s integer) RETURNS integer
LANGUAGE plpgsql STRICT AS $$
DECLARE
	r auth_throttle%ROWTYPE;
BEGIN
	INSERT INTO auth_throttle (key) VALUES (p_key)
		ON CONFLICT (key) DO NOTHING;
	SELECT * INTO r FROM auth_throttle WHERE key = p_key FOR UPDATE;
	IF r.locked_until > now() THEN
		RETURN greatest(ceil(extract(epoch FROM r.locked_until - now())), 1)::integer;
	END IF;
	IF r.window_start < now() - make_interval(secs => p_window_s) THEN
		UPDATE auth_throttle SET failures = 1, window_start = now()
		WHERE key = p_key;
		RETURN NULL;
	END IF;
	IF r.failures >= p_limit THEN
		RETURN isacd_throttle_lock(p_key, p_window_s);
	END IF;
	UPDATE auth_throttle SET failures = failures + 1 WHERE key = p_key;
	RETURN NULL;
END
$$;

-- An attempt counted by isacd_throttle_begin failed: lock when the count
-- has reached the limit.
CREATE FUNCTION isacd_throttle_failed(p_key text, p_limit integer,
	p_window_s integer) RETURNS void
LANGUAGE plpgsql STRICT AS $$
BEGIN
	PERFORM 1 FROM auth_throttle
	WHERE key = p_key AND failures >= p_limit
		AND (locked_until IS NULL OR locked_until <= now())
	FOR UPDATE;
	IF FOUND THEN
		PERFORM isacd_throttle_lock(p_key, p_window_s);
	END IF;
END
$$;

-- One way to spell a client's key everywhere: 'i:' and the bare address.
CREATE FUNCTION isacd_ip_key(p_ip inet) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT 'i:' || host(p_ip)
$$;
