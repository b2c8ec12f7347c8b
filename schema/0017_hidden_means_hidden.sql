-- 0017_hidden_means_hidden.sql: what "hidden means hidden" needs of the
-- tables.  The functions themselves now live in schema/functions, applied
-- by `isacd migrate` after the numbered migrations.
--
-- A channel's updated_at moved whenever its event counter did, so a
-- reader learned from it that something happened in the channel that the
-- reader could not see (a TLP:RED post for others, a comment on it).  The
-- touch trigger now moves updated_at only when a column its readers see
-- changes: event_seq is bookkeeping.
DROP TRIGGER channels_touch ON channels;
CREATE TRIGGER channels_touch BEFORE UPDATE ON channels
	FOR EACH ROW EXECUTE FUNCTION isacd_touch_updated_at('event_seq');

-- An indicator row copies its post's author; a post outlives its author's
-- account (erasure), so the copy may be NULL as the post's author_id is.
ALTER TABLE post_indicators ALTER COLUMN author_id DROP NOT NULL;
