-- Least-privilege PostgreSQL roles for Varsel.
--
-- Two login roles and one schema:
--   :owner  owns the schema `varsel` and runs `varsel migrate` (DDL);
--   :app    is what `varsel serve` connects as: it reads and writes rows,
--           cannot create, alter or drop anything, and cannot change or
--           delete an entry of the hash-chained audit log.
--
-- Run once as a superuser, in the database Varsel will use:
--   psql -v ON_ERROR_STOP=1 -d varsel \
--        -v owner=varsel_owner -v app=varsel_app \
--        -v owner_password=… -v app_password=… \
--        -f deploy/postgres/roles.sql
-- then, as the owner, create the tables and close the audit log:
--   VARSEL_DATABASE__URL=postgres://varsel_owner@…/varsel varsel migrate
--   psql -v ON_ERROR_STOP=1 -d varsel -U varsel_owner -v app=varsel_app \
--        -f deploy/postgres/append-only-audit.sql
-- and serve as the app role, which never migrates:
--   VARSEL_DATABASE__URL=postgres://varsel_app@…/varsel
--   VARSEL_DATABASE__MIGRATE_ON_START=false varsel serve
-- Later upgrades: stop, `varsel migrate` as the owner, start. Tables a new
-- migration creates get the app role's rights from the default privileges
-- below. tests/api/deploy.rs runs exactly these steps against a real server.

\set ON_ERROR_STOP 1

SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'owner', :'owner_password') \gexec
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'app', :'app_password') \gexec

-- Nobody else may connect to this database or create objects in it.
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database()) \gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO %I, %I', current_database(), :'owner', :'app') \gexec
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- Varsel's tables live in their own schema, owned by the owner role.
SELECT format('CREATE SCHEMA varsel AUTHORIZATION %I', :'owner') \gexec
SELECT format('ALTER ROLE %I SET search_path = varsel', :'owner') \gexec
SELECT format('ALTER ROLE %I SET search_path = varsel', :'app') \gexec
SELECT format('GRANT USAGE ON SCHEMA varsel TO %I', :'app') \gexec

-- Rows, not structure, for the app role; the audit log is append-only.
SELECT format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA varsel GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I', :'owner', :'app') \gexec
SELECT format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA varsel GRANT USAGE, SELECT ON SEQUENCES TO %I', :'owner', :'app') \gexec
SELECT format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA varsel GRANT EXECUTE ON FUNCTIONS TO %I', :'owner', :'app') \gexec
