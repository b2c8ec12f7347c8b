-- 0018_events.sql: events that do not serialise their channel's writers,
-- and that carry what their audience needs.
--
-- Each event took its channel's next seq under the channel's row lock, so
-- a channel's writers waited on each other through every commit's flush
-- (162-264 posts/s into one channel).  Now an event is numbered by the
-- writing transaction: its id (xid8, assigned once per transaction) and
-- its order within it; a reader delivers the events of the transactions
-- older than the oldest one still in flight (pg_snapshot_xmin), so each
-- event is delivered once and in the order of its number, which gaps do
-- not disturb.  seq = xid * 4096 + ord: one number, increasing in that
-- order, within 2^53 for 2^41 transactions.
--
-- An event also keeps what decides who may read it at that moment (the
-- post's TLP, author and recipients; for an edit also those before it), so
-- the audience of a post that is gone, or of readers who lost it, is
-- known.  Events are written by triggers (schema/functions/70_events.sql),
-- so that every path that changes a post, a comment, a sighting or an
-- access right -- the API, the purge, a CLI command, a cascade -- announces
-- itself the same way, in the same transaction.

DROP TABLE events;
ALTER TABLE channels DROP COLUMN event_seq;
DROP TRIGGER channels_touch ON channels;
CREATE TRIGGER channels_touch BEFORE UPDATE ON channels
	FOR EACH ROW EXECUTE FUNCTION isacd_touch_updated_at();

CREATE TABLE events (
	xid xid8 NOT NULL,
	ord integer NOT NULL CHECK (ord BETWEEN 1 AND 4095),
	seq bigint NOT NULL,
	type text NOT NULL,
	community_id uuid,
	channel_id uuid,
	post_id uuid,
	comment_id uuid,
	organisation_id uuid,
	-- a member's, or a credential's owner
	user_id uuid,
	credential_id uuid,
	-- who may read the post at the event, and (post.updated) before it
	tlp text,
	author_id uuid,
	recipients uuid[],
	lost_tlp text,
	lost_recipients uuid[],
	-- a member event: the member's role and status
	role text,
	status text,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (xid, ord)
);
CREATE INDEX events_channel_idx ON events (channel_id, seq)
	WHERE channel_id IS NOT NULL;
CREATE INDEX events_community_idx ON events (community_id, seq)
	WHERE channel_id IS NULL AND community_id IS NOT NULL;
CREATE INDEX events_created_idx ON events (created_at);

-- How far the purge has pruned the events: a replay from before it is a
-- resync.
CREATE TABLE event_horizon (
	one boolean PRIMARY KEY DEFAULT true CHECK (one),
	pruned_seq bigint NOT NULL DEFAULT 0
);
INSERT INTO event_horizon DEFAULT VALUES;

-- Single-use tickets for a WebSocket upgrade from a browser (which cannot
-- send an Authorization header there): 30 seconds, bound to the session
-- or API token that asked for them, redeemable on any instance.  Only the
-- SHA-256 of a ticket is kept.
CREATE TABLE realtime_tickets (
	hash text PRIMARY KEY CHECK (hash ~ '^[0-9a-f]{64}$'),
	user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	session_id uuid REFERENCES sessions (id) ON DELETE CASCADE,
	token_id uuid REFERENCES api_tokens (id) ON DELETE CASCADE,
	CHECK ((session_id IS NULL) <> (token_id IS NULL)),
	expires_at timestamptz NOT NULL
);
CREATE INDEX realtime_tickets_expires_idx ON realtime_tickets (expires_at);
