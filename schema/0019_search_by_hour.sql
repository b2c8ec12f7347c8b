-- 0019_search_by_hour.sql: the search index also knows when a post was
-- made (its hour and its day, in UTC) and in which community.
--
-- A window of search is the 500 newest matches the user may read.  The
-- GIN index of 0014 lists a word's matches in no useful order, so a
-- window of a word in 2% of the posts listed all 20,000 matches (or
-- walked 60,000 posts) to keep 500.  With the hour and the day as keys of
-- the same index, "the matches of this word in these hours" is one index
-- scan per hour that reads no post, so search walks back through time an
-- hour or a day at a time and reads only the matches of the hours it
-- needs; with the community as a key, "the matches in the communities
-- whose channels the user reads" skips the others before any post is
-- read.  btree_gin (a trusted contrib extension) indexes the timestamps
-- and uuids; the expressions are immutable (UTC, no session time zone).
-- The index replaces posts_search_idx: a query on the words alone uses
-- it as well.  It has no pending list (fastupdate off): every scan of a
-- GIN index reads all of its pending list, and a search now makes tens of
-- scans (a tag in 2% of the posts: 48 ms instead of 10 ms with 4,000 posts
-- pending); a post written costs its entries at once instead (~0.3 ms).

CREATE EXTENSION IF NOT EXISTS btree_gin;

CREATE INDEX posts_search_time_idx ON posts USING gin (
	date_trunc('hour', created_at AT TIME ZONE 'UTC'),
	date_trunc('day', created_at AT TIME ZONE 'UTC'),
	community_id, search) WITH (fastupdate = off);
DROP INDEX posts_search_idx;

-- A channel's page must walk posts_channel_idx newest first and stop at
-- its limit, whatever the statistics say.  The index of the time alone,
-- (created_at DESC, id DESC), gave the planner a second ordered walk --
-- all posts newest first, keeping the channel's -- which it took when the
-- statistics made the channel look dense among the newest posts, and
-- which reads the whole table when they are wrong.  Search needs only the
-- first and the last time a post was made, so the time is indexed as an
-- expression the page's order cannot use.
CREATE INDEX posts_created_utc_idx ON posts ((created_at AT TIME ZONE 'UTC'));
DROP INDEX posts_created_idx;
