-- The two PostgreSQL roles of Closeloop (idempotent; run as a superuser).
--   closeloop_owner  owns every table and runs migrations (DATABASE_URL of `manage.py migrate`).
--   closeloop_app    what the web, worker and beat processes connect as: owns nothing, no BYPASSRLS,
--                    so row-level security always applies. Table privileges are granted after each migrate.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'closeloop_owner') THEN
    CREATE ROLE closeloop_owner LOGIN CREATEDB PASSWORD 'closeloop_owner';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'closeloop_app') THEN
    CREATE ROLE closeloop_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD 'closeloop_app';
  END IF;
END
$$;
ALTER ROLE closeloop_app NOBYPASSRLS NOSUPERUSER;
-- The owner may switch to the application role: the test suite migrates as owner, then runs as the app.
GRANT closeloop_app TO closeloop_owner;
-- Full-text search under row-level security (the feedback inbox's GIN index): PostgreSQL uses an index for a
-- condition on a table with a policy only when the condition's function is LEAKPROOF, and ts_match_vq (the
-- `tsvector @@ tsquery` operator) is not marked so by default. It returns true or false and raises no error that
-- depends on a row's contents, so it is marked here, in this database and in template1 (so in every database
-- created afterwards: the app's and the test suite's). Without it search still works, by a scan of the stored
-- documents instead of the index. Run this file again in an existing app database to mark it there.
ALTER FUNCTION ts_match_vq(tsvector, tsquery) LEAKPROOF;
\connect template1
ALTER FUNCTION ts_match_vq(tsvector, tsquery) LEAKPROOF;
