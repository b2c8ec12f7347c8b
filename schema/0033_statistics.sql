-- 0033_statistics.sql: a community's consent to the agency's statistics.
--
-- statistics 'agency': the community's owner lets the agency count its
-- posts (TLP:CLEAR, GREEN and AMBER only) in the threat picture, as counts
-- per week, kind and severity of at least five contributing organisations;
-- never a title, body, indicator, author or organisation.  'none', the
-- default, keeps the community out of it.

ALTER TABLE communities ADD COLUMN statistics text NOT NULL DEFAULT 'none'
	CHECK (statistics IN ('none', 'agency'));
