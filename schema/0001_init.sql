-- 0001_init.sql: the ground floor.
--
-- schema_migrations itself is created by `isacd migrate` before any file
-- runs.  Here: the conventions every later migration relies on.
-- Migration files must not contain BEGIN/COMMIT: each runs in its own
-- transaction opened by the migrator.

-- Case-insensitive text for e-mail addresses and names that must be unique
-- regardless of case is done with unique indexes on lower(...), not citext,
-- so no extension is required.

-- A helper for "updated_at" columns.
CREATE FUNCTION isacd_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.updated_at := now();
	RETURN NEW;
END
$$;

-- RFC 3339 UTC text for API output ("2026-11-28T14:00:00Z").
CREATE FUNCTION isacd_ts(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$$;
