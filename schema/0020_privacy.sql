-- 0020_privacy.sql: what retention, legal hold, erasure and secrets at
-- rest need of the tables.  The rules themselves are functions
-- (schema/functions/25_retention.sql, 80_privacy.sql).

-- Legal hold: a community, a channel or a post on hold keeps its posts
-- whatever their retention says, until the hold is lifted.  The reason is
-- for those who govern (owners, staff) and the audit trail.
ALTER TABLE communities ADD COLUMN legal_hold boolean NOT NULL DEFAULT false,
	ADD COLUMN legal_hold_reason text
		CHECK (legal_hold_reason IS NULL OR length(legal_hold_reason) <= 500);
ALTER TABLE channels ADD COLUMN legal_hold boolean NOT NULL DEFAULT false,
	ADD COLUMN legal_hold_reason text
		CHECK (legal_hold_reason IS NULL OR length(legal_hold_reason) <= 500);
ALTER TABLE posts ADD COLUMN legal_hold boolean NOT NULL DEFAULT false,
	ADD COLUMN legal_hold_reason text
		CHECK (legal_hold_reason IS NULL OR length(legal_hold_reason) <= 500);

-- updated_at tells readers that something they see changed: who created
-- a community or channel (which an erasure clears) and why it is held
-- are not shown to them.
DROP TRIGGER communities_touch ON communities;
CREATE TRIGGER communities_touch BEFORE UPDATE ON communities
	FOR EACH ROW EXECUTE FUNCTION isacd_touch_updated_at('created_by',
		'legal_hold_reason');
DROP TRIGGER channels_touch ON channels;
CREATE TRIGGER channels_touch BEFORE UPDATE ON channels
	FOR EACH ROW EXECUTE FUNCTION isacd_touch_updated_at('created_by',
		'legal_hold_reason');

-- An erased recipient leaves a TLP:RED post: the post may end with no
-- recipient (its author alone reads it).  Recipients are still for
-- TLP:RED only.
ALTER TABLE posts DROP CONSTRAINT posts_check;
ALTER TABLE posts ADD CONSTRAINT posts_recipients_red
	CHECK (tlp = 'TLP:RED' OR cardinality(recipients) = 0);

-- TOTP secrets are sealed (AES-256-GCM) with a key the operator provides:
-- v1$<key id>$<base64 of nonce, ciphertext and tag>.  A plain base32
-- secret of before is sealed when `isacd serve` starts.
ALTER TABLE totp_secrets DROP CONSTRAINT totp_secrets_secret_check;
ALTER TABLE totp_secrets ADD CONSTRAINT totp_secrets_secret_check
	CHECK (secret ~ '^([A-Z2-7]{32}|v1\$[0-9a-f]{8}\$[A-Za-z0-9+/]+={0,2})$');

-- The events the purge writes: once their subscribers had the time to
-- hear of them, the purge forgets every event of the posts it deleted.
ALTER TABLE events ADD COLUMN purged boolean NOT NULL DEFAULT false;

-- Audit entries that name a post, found when the post is purged (the
-- entry keeps the action, not the post).
CREATE INDEX audit_log_post_idx ON audit_log ((detail ->> 'post_id'))
	WHERE detail ? 'post_id';
CREATE INDEX audit_log_copy_idx ON audit_log ((detail ->> 'copy_id'))
	WHERE detail ? 'copy_id';
-- IP addresses to drop after ISACD_IP_RETENTION_DAYS
CREATE INDEX audit_log_ip_idx ON audit_log (at) WHERE ip IS NOT NULL;
CREATE INDEX audit_log_target_idx ON audit_log (target_user_id)
	WHERE target_user_id IS NOT NULL;

-- What an erasure looks for: what the person wrote, and where they are a
-- TLP:RED recipient.
CREATE INDEX comments_author_idx ON comments (author_id)
	WHERE author_id IS NOT NULL;
CREATE INDEX sightings_user_idx ON sightings (user_id)
	WHERE user_id IS NOT NULL;
CREATE INDEX posts_recipients_idx ON posts USING gin (recipients)
	WHERE tlp = 'TLP:RED';

-- What the purge sweeps when it has ended.
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
CREATE INDEX api_tokens_expires_idx ON api_tokens (expires_at);
