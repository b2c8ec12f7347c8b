-- 0008_audit_log.sql: who did what, when, from where.  Logins, failed
-- logins, logouts, password, TOTP and token changes land here; the
-- communities issue adds access changes.  ip is personal data and is
-- dropped after ISACD_IP_RETENTION_DAYS by the purge job.
CREATE TABLE audit_log (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at timestamptz NOT NULL DEFAULT now(),
	actor_id uuid REFERENCES users (id) ON DELETE SET NULL,
	action text NOT NULL,
	target_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
	ip inet,
	detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, at);
