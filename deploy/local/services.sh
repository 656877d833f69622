#!/usr/bin/env bash
# Runs the o2c services (and the local IRP / NIC sandboxes) as background processes against the local stack.
# Usage: deploy/local/services.sh up|down|status|logs [SERVICE]
set -euo pipefail
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$SCRIPT_DIR/../.." && pwd)"
STACK="${O2C_STACK_DIR:-$REPO/.stack}"
RUN="$STACK/services"
PY="$REPO/.venv/bin/python"
# The services' logs may carry customer data: created 0600 (owner only), and older ones made private.
umask 077
mkdir -p "$RUN"
find "$RUN" -maxdepth 1 -name '*.log' -type f -exec chmod 600 {} + 2>/dev/null || true

# name  module  port (before O2C_PORT_OFFSET, which the stack's env file sets; o2c.kit.ports has the same table)
UNITS=(
  "irp-sandbox o2c.invoicing.adapters.irp_sandbox 8205"
  "nic-sandbox o2c.ewaybill.adapters.sandbox_server 8206"
  "sales o2c.sales 8101"
  "credit o2c.credit 8102"
  "inventory o2c.inventory 8103"
  "dispatch o2c.dispatch 8104"
  "invoicing o2c.invoicing 8105"
  "ewaybill o2c.ewaybill 8106"
  "notify o2c.notify 8107"
)

module_exists() { "$PY" -c "import importlib.util,sys; sys.exit(0 if importlib.util.find_spec('$1') else 1)" 2>/dev/null; }
# Ours: the pid in this stack's pid file is alive and still runs that unit's module (not a reused pid).
running() {
  [[ -f "$RUN/$1.pid" ]] || return 1
  local pid; pid=$(cat "$RUN/$1.pid")
  kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-m $(unit_module "$1")"
}
unit_module() { local u n m p; for u in "${UNITS[@]}"; do read -r n m p <<<"$u"; [[ "$n" == "$1" ]] && echo "$m"; done; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
offset() { echo "${O2C_PORT_OFFSET:-0}"; }

load_env() {
  [[ -f "$STACK/env" ]] || { echo "no $STACK/env: run 'make up' first" >&2; exit 1; }
  set -a; . "$STACK/env"; set +a
}

cmd_up() {
  load_env
  local started=()
  for unit in "${UNITS[@]}"; do
    read -r name module port <<<"$unit"
    port=$((port + $(offset)))
    if ! module_exists "$module"; then continue; fi
    if running "$name"; then continue; fi
    # Another copy's process on this port would answer our probes: refuse rather than report it as ours.
    if port_open "$port"; then
      echo "$name: port $port is in use by a process this stack did not start (another copy? set O2C_PORT_OFFSET)" >&2
      exit 1
    fi
    # Each service listens on its own default port (its ServiceDefinition); O2C_<SVC>_HTTP_PORT overrides.
    # Its instance id (static Kafka group membership) is stable across restarts and unique among live ones.
    # Each service authenticates to Kafka as its own user (o2c-<service>; its ACLs: o2c.contracts.access).
    local instance=()
    if [[ "$name" != *sandbox ]]; then
      local kafka_pw="$STACK/secrets/kafka-o2c-$name"
      [[ -s "$kafka_pw" ]] || { echo "$name: no Kafka password in $kafka_pw: run 'make up' first" >&2; exit 1; }
      instance=("O2C_${name^^}_INSTANCE_ID=${name}-${port}" "O2C_KAFKA_SASL_USERNAME=o2c-$name"
                "O2C_KAFKA_SASL_PASSWORD=$(cat "$kafka_pw")")
    fi
    nohup env "${instance[@]}" "$PY" -m "$module" >>"$RUN/$name.log" 2>&1 &
    echo $! >"$RUN/$name.pid"
    started+=("$name:$port")
  done
  for entry in "${started[@]}"; do
    local name=${entry%%:*} port=${entry##*:}
    # Services answer /readyz (database, migrations, broker); a sandbox is ready when it answers at all.
    local probe=(curl -fs "http://127.0.0.1:$port/readyz")
    [[ "$name" == *sandbox ]] && probe=(curl -s -o /dev/null "http://127.0.0.1:$port/")
    local deadline=$((SECONDS + 90))
    until "${probe[@]}" >/dev/null 2>&1; do
      if ! running "$name"; then echo "$name exited; see $RUN/$name.log" >&2; tail -20 "$RUN/$name.log" >&2; exit 1; fi
      if (( SECONDS > deadline )); then echo "$name not ready after 90s; see $RUN/$name.log" >&2; exit 1; fi
      sleep 0.5
    done
    if [[ "$name" == *sandbox ]]; then echo "  $name ready on :$port"
    else echo "  $name ready on :$port (metrics on :$((port + 1000)), O2C_${name^^}_METRICS_PORT overrides)"; fi
  done
  [[ ${#started[@]} -gt 0 ]] || echo "  services: nothing to start (all running or none built yet)"
}

cmd_down() {
  for unit in "${UNITS[@]}"; do
    read -r name _ _ <<<"$unit"
    if running "$name"; then
      kill "$(cat "$RUN/$name.pid")" 2>/dev/null || true
      for _ in $(seq 1 40); do running "$name" || break; sleep 0.25; done
      running "$name" && kill -9 "$(cat "$RUN/$name.pid")" 2>/dev/null || true
    fi
    rm -f "$RUN/$name.pid"
  done
}

cmd_status() {
  [[ -f "$STACK/env" ]] && load_env
  for unit in "${UNITS[@]}"; do
    read -r name module port <<<"$unit"
    port=$((port + $(offset)))
    module_exists "$module" || continue
    if running "$name"; then
      local pid rss; pid=$(cat "$RUN/$name.pid"); rss=$(awk '/VmRSS/{print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
      printf '  %-12s up    pid %-7s port %-5s rss %s MiB\n' "$name" "$pid" "$port" "$((rss / 1024))"
    else
      printf '  %-12s down\n' "$name"
    fi
  done
}

case "${1:-status}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  logs) tail -n 100 "$RUN/${2:-sales}.log" ;;
  *) echo "usage: $0 up|down|status|logs [SERVICE]" >&2; exit 2 ;;
esac
