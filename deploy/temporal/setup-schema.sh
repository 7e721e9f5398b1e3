#!/usr/bin/env bash
# Creates Temporal's two PostgreSQL databases (persistence and visibility) and brings
# their schemas to the version of the temporal-sql-tool that runs it. Idempotent, and
# the same command upgrades the schemas after a server upgrade (run it before starting
# the new server version).
#
# Run by scripts/cluster.sh on one machine and by the `temporal-setup-schema` service
# of docker-compose.yml (temporalio/admin-tools image). The schemas are the ones
# compiled into temporal-sql-tool (`--schema-name`), so no schema files are needed.
#
# Environment (the names of Temporal's Docker images):
#   POSTGRES_SEEDS (host, default 127.0.0.1), DB_PORT (5432), POSTGRES_USER (temporal),
#   SQL_PASSWORD (the user's password), DBNAME (temporal),
#   VISIBILITY_DBNAME (temporal_visibility), TEMPORAL_SQL_TOOL (temporal-sql-tool).
set -euo pipefail

tool=${TEMPORAL_SQL_TOOL:-temporal-sql-tool}
host=${POSTGRES_SEEDS:-127.0.0.1}
port=${DB_PORT:-5432}
user=${POSTGRES_USER:-temporal}
export SQL_PASSWORD=${SQL_PASSWORD:-${POSTGRES_PWD:-}}

sql() { "$tool" --plugin postgres12 --ep "$host" -p "$port" -u "$user" --db "$1" "${@:2}"; }

for pair in "${DBNAME:-temporal}:postgresql/v12/temporal" "${VISIBILITY_DBNAME:-temporal_visibility}:postgresql/v12/visibility"; do
  db=${pair%%:*}
  schema=${pair#*:}
  echo "[setup-schema] database $db on $host:$port (schema $schema)"
  sql "$db" create-database             # CREATE DATABASE unless it exists
  sql "$db" setup-schema -v 0.0         # the schema_version tables (IF NOT EXISTS)
  sql "$db" update-schema --schema-name "$schema"   # every version newer than the current one
done
