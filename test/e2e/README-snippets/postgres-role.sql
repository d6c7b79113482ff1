-- Least-privilege PostgreSQL role for the Mister Smith services (supervisor, projector, bridge and
-- the CLI's runtime commands). Proven by test/int/security/postgresRole.test.ts, which runs this
-- file as is.
--
-- Run it as the role that owns the schema (the one that ran `mister-smith migrate`), connected to
-- the application database, after the migrations:
--
--   psql "$OWNER_DATABASE_URL" -v app_role=mister_smith_app -v app_password='...' \
--        -v app_db=mister_smith -f postgres-role.sql
--
-- Then give the services DATABASE_URL=postgres://mister_smith_app:...@host/mister_smith.
-- Migrations (DDL) and projection rebuilds (which create and swap shadow tables) keep running as
-- the owner: this role can read and write rows, never change the schema.

CREATE ROLE :"app_role" LOGIN PASSWORD :'app_password'
  NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;

GRANT CONNECT ON DATABASE :"app_db" TO :"app_role";

-- Rows only: no CREATE on the schemas, no TRUNCATE, REFERENCES or TRIGGER on the tables.
GRANT USAGE ON SCHEMA agents, tasks, mister_smith TO :"app_role";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA agents, tasks, mister_smith TO :"app_role";
-- bigserial ids (outbox, dead letters): nextval needs USAGE.
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA agents, tasks, mister_smith TO :"app_role";
-- The outbox trigger functions run with the privileges of whoever writes the row.
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA agents, tasks, mister_smith TO :"app_role";

-- Tables, sequences and functions that later migrations create (run by this same owner) get the
-- same grants without running this file again.
ALTER DEFAULT PRIVILEGES IN SCHEMA agents, tasks, mister_smith
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app_role";
ALTER DEFAULT PRIVILEGES IN SCHEMA agents, tasks, mister_smith
  GRANT USAGE, SELECT ON SEQUENCES TO :"app_role";
ALTER DEFAULT PRIVILEGES IN SCHEMA agents, tasks, mister_smith
  GRANT EXECUTE ON FUNCTIONS TO :"app_role";

-- To remove the role later (in every database where it has privileges, then once):
--   REASSIGN OWNED BY mister_smith_app TO <owner>; DROP OWNED BY mister_smith_app; DROP ROLE mister_smith_app;
