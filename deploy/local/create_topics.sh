#!/usr/bin/env bash
# Create every topic o2c declares (libs/contracts: o2c.contracts.topics) on the broker at
# $O2C_KAFKA_BOOTSTRAP (default 127.0.0.1:19092). Idempotent: existing topics are left alone.
# The local broker has auto.create.topics.enable=false, so run this after the broker is up.
# Extra arguments go to the CLI, e.g. --prefix run42- or --replication-factor 3.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${O2C_PYTHON:-$here/../../.venv/bin/python}"
# Creating topics is the admin's: its credentials (and the broker's address) from the stack (deploy/local/stack.sh).
admin_env="${O2C_STACK_DIR:-$here/../../.stack}/kafka/admin.env"
if [[ -f "$admin_env" ]]; then set -a; . "$admin_env"; set +a; fi
export O2C_KAFKA_BOOTSTRAP="${O2C_KAFKA_BOOTSTRAP:-127.0.0.1:19092}"
exec "$python" -m o2c.contracts.topics create --bootstrap "$O2C_KAFKA_BOOTSTRAP" "$@"
