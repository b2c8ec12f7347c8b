-- 0003_users.sql: accounts.  platform_role 'staff' is agency staff who
-- onboard clusters; everyone else is 'user'.
CREATE TABLE users (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
	display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
	organisation_id uuid NOT NULL REFERENCES organisations (id),
	platform_role text NOT NULL DEFAULT 'user'
		CHECK (platform_role IN ('staff', 'user')),
	password_hash text NOT NULL,
	password_changed_at timestamptz NOT NULL DEFAULT now(),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_organisation_idx ON users (organisation_id);
CREATE TRIGGER users_touch BEFORE UPDATE ON users
	FOR EACH ROW EXECUTE FUNCTION isacd_touch_updated_at();

ALTER TABLE organisations ADD CONSTRAINT organisations_created_by_fkey
	FOREIGN KEY (created_by) REFERENCES users (id) ON DELETE SET NULL;
