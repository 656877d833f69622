#!/usr/bin/env bash
# One database and one login role per service; no service may connect to another's database.
set -euo pipefail
for svc in sales credit inventory dispatch invoicing ewaybill notify; do
  psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" <<SQL
CREATE ROLE o2c_${svc} LOGIN PASSWORD '${O2C_SERVICE_PASSWORD}';
CREATE DATABASE o2c_${svc} OWNER o2c_${svc};
REVOKE CONNECT ON DATABASE o2c_${svc} FROM PUBLIC;
SQL
done
