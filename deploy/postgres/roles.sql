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
