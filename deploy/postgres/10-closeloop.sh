#!/bin/sh
# docker-entrypoint-initdb.d hook: create the roles and the database owned by closeloop_owner.
set -e
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -f /closeloop/roles.sql
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -c "CREATE DATABASE closeloop OWNER closeloop_owner"
