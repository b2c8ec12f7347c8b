-- 0030_advisories.sql: the agency's advisories, one advisory with its
-- target communities, delivered into each one's read-only `advisories`
-- channel as a post; acknowledgements per organisation.
--
-- One advisory, not N unrelated copies: the advisory row holds what the
-- agency wrote (and its version), advisory_targets the communities it was
-- sent to, and each copy in a community is an ordinary post of kind
-- 'advisory' that points back at it (posts.advisory_id), so that lists,
-- search, correlation, realtime and retention treat it as any post, while
-- an update rewrites every copy in one transaction and a withdrawal
-- deletes them all.  Acknowledgements belong to the advisory, not to a
-- copy: they outlive a withdrawal, for the agency's counts.
--
-- The `advisories` channel of a community is the channel whose posting is
-- 'agency': everyone in the community reads it and nobody writes in it
-- (schema/functions/20_access.sql); only the agency's advisories post
-- there.  A trigger (schema/functions/80_advisories.sql) makes it with
-- every new community; this migration makes it for those that exist.

ALTER TABLE channels DROP CONSTRAINT channels_posting_check;
ALTER TABLE channels ADD CONSTRAINT channels_posting_check
	CHECK (posting IN ('members', 'moderators', 'agency'));
-- one advisories channel per community
CREATE UNIQUE INDEX channels_agency_key ON channels (community_id)
	WHERE posting = 'agency';

-- A channel already named "advisories" keeps its content under another
-- name (on the record), so that the agency's channel can take the name.
WITH renamed AS (
	UPDATE channels ch
	SET name = 'advisories-' || left(ch.id::text, 8)
	WHERE lower(ch.name) = 'advisories'
	RETURNING ch.id, ch.community_id, ch.name
)
INSERT INTO audit_log (actor_id, action, community_id, detail)
SELECT NULL, 'channel.updated', r.community_id,
	jsonb_build_object('channel_id', r.id,
		'before', jsonb_build_object('name', 'advisories'),
		'after', jsonb_build_object('name', r.name))
FROM renamed r;

INSERT INTO channels (community_id, name, description, visibility, posting)
SELECT c.id, 'advisories',
	'Advisories from the agency: read-only, acknowledged per organisation.',
	'community', 'agency'
FROM communities c;

CREATE TABLE advisories (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
	title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
	summary text NOT NULL CHECK (length(summary) BETWEEN 1 AND 2000),
	body text NOT NULL CHECK (octet_length(body) BETWEEN 1 AND 32768),
	severity text NOT NULL CHECK (severity IN ('info', 'low', 'medium',
		'high', 'critical')),
	-- what may be sent to many communities: never AMBER+STRICT or RED
	tlp text NOT NULL CHECK (tlp IN ('TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER')),
	source text CHECK (source IS NULL OR length(source) BETWEEN 1 AND 200),
	cves text[] NOT NULL DEFAULT '{}' CHECK (cardinality(cves) <= 100),
	products text[] NOT NULL DEFAULT '{}' CHECK (cardinality(products) <= 50),
	actions text[] NOT NULL DEFAULT '{}' CHECK (cardinality(actions) <= 20),
	-- the targets as the agency gave them: {all, kinds, community_ids}
	targets jsonb NOT NULL,
	status text NOT NULL DEFAULT 'published'
		CHECK (status IN ('published', 'withdrawn')),
	created_by uuid REFERENCES users (id) ON DELETE SET NULL,
	updated_by uuid REFERENCES users (id) ON DELETE SET NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	withdrawn_at timestamptz,
	withdrawn_by uuid REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX advisories_created_idx ON advisories (created_at DESC, id DESC);

-- what each version said before the next replaced it
CREATE TABLE advisory_versions (
	advisory_id uuid NOT NULL REFERENCES advisories (id) ON DELETE CASCADE,
	version integer NOT NULL,
	title text NOT NULL,
	summary text NOT NULL,
	body text NOT NULL,
	severity text NOT NULL,
	tlp text NOT NULL,
	source text,
	cves text[] NOT NULL,
	products text[] NOT NULL,
	actions text[] NOT NULL,
	targets jsonb NOT NULL,
	edited_by uuid REFERENCES users (id) ON DELETE SET NULL,
	edited_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (advisory_id, version)
);

CREATE TABLE advisory_targets (
	advisory_id uuid NOT NULL REFERENCES advisories (id) ON DELETE CASCADE,
	community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
	PRIMARY KEY (advisory_id, community_id)
);
CREATE INDEX advisory_targets_community_idx
	ON advisory_targets (community_id, advisory_id);

-- a post that is a community's copy of an advisory
ALTER TABLE posts ADD COLUMN advisory_id uuid
	REFERENCES advisories (id) ON DELETE CASCADE;
CREATE INDEX posts_advisory_idx ON posts (advisory_id, community_id)
	WHERE advisory_id IS NOT NULL;

-- one state per organisation and advisory: the latest wins
CREATE TABLE advisory_acks (
	advisory_id uuid NOT NULL REFERENCES advisories (id) ON DELETE CASCADE,
	organisation_id uuid NOT NULL
		REFERENCES organisations (id) ON DELETE CASCADE,
	user_id uuid REFERENCES users (id) ON DELETE SET NULL,
	status text NOT NULL CHECK (status IN ('read', 'applies',
		'does_not_apply', 'mitigated')),
	note text CHECK (note IS NULL OR length(note) BETWEEN 1 AND 2000),
	-- the advisory's version when it was acknowledged
	version integer NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (advisory_id, organisation_id)
);
CREATE INDEX advisory_acks_user_idx ON advisory_acks (user_id);
