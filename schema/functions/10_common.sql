-- 10_common.sql: helpers every other function file uses: time as text, the
-- audit trail, login throttling, idempotency keys.
--
-- The files of schema/functions hold every isacd_ function, each written
-- once, in its current form.  `isacd migrate` applies them after the
-- numbered migrations whenever they changed: in one transaction it drops
-- every isacd_ function (trigger functions are replaced instead, since
-- their triggers hold them) and runs these files in name order, so a fix
-- to a function is an edit here, never a copy in a new migration.  Tables,
-- columns, indexes and data stay in the numbered migrations, which never
-- change once landed.  These files therefore create functions (and
-- replace trigger functions) and nothing else; the numbered migrations
-- never call a function defined here.

-- A helper for "updated_at" columns: the row changed in a column its
-- readers see.  Trigger arguments name columns that are bookkeeping, not
-- content, so that an UPDATE of those alone does not move updated_at (a
-- reader must not learn from updated_at that something it cannot see
-- happened).  An UPDATE that changes nothing does not move it either.
CREATE OR REPLACE FUNCTION isacd_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	o jsonb := to_jsonb(OLD) - 'updated_at';
	n jsonb := to_jsonb(NEW) - 'updated_at';
BEGIN
	IF TG_NARGS > 0 THEN
		o := o - TG_ARGV;
		n := n - TG_ARGV;
	END IF;
	IF o IS DISTINCT FROM n THEN
		NEW.updated_at := now();
	END IF;
	RETURN NEW;
END
$$;

-- RFC 3339 UTC text for API output ("2026-11-28T14:00:00Z").
CREATE FUNCTION isacd_ts(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$$;

-- Millisecond RFC 3339, for STIX.
CREATE FUNCTION isacd_ts_ms(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- ---- the audit trail -------------------------------------------------------

-- A change in the audit trail: {"before": {...}, "after": {...}} of the
-- keys whose values differ (updated_at aside); NULL when nothing changed.
CREATE FUNCTION isacd_changes(p_old jsonb, p_new jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN count(*) = 0 THEN NULL ELSE jsonb_build_object(
		'before', jsonb_object_agg(k, p_old -> k),
		'after', jsonb_object_agg(k, p_new -> k)) END
	FROM jsonb_object_keys(p_new) k
	WHERE k <> 'updated_at' AND (p_old -> k) IS DISTINCT FROM (p_new -> k)
$$;

CREATE FUNCTION isacd_audit(p_actor uuid, p_action text, p_community uuid,
	p_target uuid, p_ip inet, p_detail jsonb) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO audit_log (actor_id, action, community_id, target_user_id,
		ip, detail)
	VALUES (p_actor, p_action, p_community, p_target, p_ip,
		coalesce(p_detail, '{}'))
$$;

-- ---- login throttling ------------------------------------------------------
--
-- auth_throttle keys: 'a:' || sha256(lower(email)) for an account (the
-- address itself is not kept), 'i:' || address for a client, 'v:' ||
-- address for invitation attempts.  An attempt is counted (under the row
-- lock) before the credential is checked; a success gives it back.

CREATE FUNCTION isacd_account_key(p_email text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT 'a:' || encode(sha256(convert_to(lower(p_email), 'UTF8')), 'hex')
$$;

-- One way to spell a client's key everywhere: 'i:' and the bare address.
CREATE FUNCTION isacd_ip_key(p_ip inet) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT 'i:' || host(p_ip)
$$;

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

-- ---- idempotency -----------------------------------------------------------

-- Begin a creating request with an Idempotency-Key: 'new' (go on; the
-- key's transaction lock is held until commit), 'replay' (status, location
-- and response of the first request), 'mismatch' (the key was used with
-- another body: 422), 'busy' (the first request is still in flight: 409).
-- Without a key: 'new'.
CREATE FUNCTION isacd_idem_begin(p_user uuid, p_key text, p_hash text,
	OUT outcome text, OUT status integer, OUT location text,
	OUT response text)
LANGUAGE plpgsql AS $$
DECLARE
	k idempotency_keys;
BEGIN
	IF p_key IS NULL THEN
		outcome := 'new'; RETURN;
	END IF;
	IF NOT pg_try_advisory_xact_lock(hashtextextended(p_user::text || ':'
		|| p_key, 7)) THEN
		outcome := 'busy'; RETURN;
	END IF;
	DELETE FROM idempotency_keys
	WHERE user_id = p_user AND key = p_key
		AND created_at < now() - interval '24 hours';
	SELECT * INTO k FROM idempotency_keys
	WHERE user_id = p_user AND key = p_key;
	IF NOT FOUND THEN
		outcome := 'new'; RETURN;
	END IF;
	IF k.request_hash <> p_hash THEN
		outcome := 'mismatch'; RETURN;
	END IF;
	outcome := 'replay';
	status := k.status;
	location := k.location;
	response := k.response;
END
$$;

CREATE FUNCTION isacd_idem_store(p_user uuid, p_key text, p_hash text,
	p_status integer, p_location text, p_response text) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO idempotency_keys (user_id, key, request_hash, status,
		location, response)
	SELECT p_user, p_key, p_hash, p_status, p_location, p_response
	WHERE p_key IS NOT NULL
$$;
