#!/bin/sh
# First start of the PostgreSQL container: create Varsel's least-privilege
# roles and schema (deploy/postgres/roles.sql) in the database `varsel`.
set -eu
psql -v ON_ERROR_STOP=1 -U postgres -d varsel \
    -v owner=varsel_owner -v app=varsel_app \
    -v owner_password="${VARSEL_OWNER_PASSWORD}" \
    -v app_password="${VARSEL_APP_PASSWORD}" \
    -f /varsel/roles.sql
