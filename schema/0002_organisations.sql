-- 0002_organisations.sql: the companies and agencies whose people use isacd.
CREATE TABLE organisations (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	sector text CHECK (sector IS NULL OR length(sector) BETWEEN 1 AND 100),
	country text CHECK (country IS NULL OR country ~ '^[A-Z]{2}$'),
	created_at timestamptz NOT NULL DEFAULT now(),
	created_by uuid
);
-- names are unique regardless of case: "Acme BV" and "ACME bv" are one
CREATE UNIQUE INDEX organisations_name_key ON organisations (lower(name));
CREATE INDEX organisations_created_idx ON organisations (created_at DESC, id DESC);

CREATE FUNCTION isacd_organisation_json(o organisations) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
		'id', o.id,
		'name', o.name,
		'sector', o.sector,
		'country', o.country,
		'created_at', isacd_ts(o.created_at))
$$;
