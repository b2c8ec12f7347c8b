-- Run once by the postgres image, on its first start (an empty data
-- volume), as its superuser: isacd gets a login role of its own that is not
-- a superuser and cannot create roles or databases, and owns its database,
-- which is all its migrations need.  It has no password: it connects over
-- the unix socket (shared through the pgsocket volume), where the image
-- trusts local connections; over TCP it cannot log in at all.
CREATE ROLE isacd LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE isacd OWNER isacd;
