# Sourced by deploy/local/stack.sh: Prometheus and Alertmanager (Debian's packages) and Jaeger v2 (built from
# its Go module), each a process of this stack -- own configuration, data under $STACK, ports moved by
# O2C_PORT_OFFSET -- never the system services the packages install.
# shellcheck shell=bash

OBS_DIR="$REPO/deploy/observability"
PROM_PORT="${O2C_PROMETHEUS_PORT:-$((19190 + PORT_OFFSET))}"
AM_PORT="${O2C_ALERTMANAGER_PORT:-$((19193 + PORT_OFFSET))}"
JAEGER_OTLP_PORT="${O2C_JAEGER_OTLP_PORT:-$((14318 + PORT_OFFSET))}"
JAEGER_QUERY_PORT="${O2C_JAEGER_QUERY_PORT:-$((16686 + PORT_OFFSET))}"
JAEGER_GRPC_PORT="${O2C_JAEGER_GRPC_PORT:-$((16685 + PORT_OFFSET))}"
OBS_READY_TIMEOUT=60
# API ports of the services (o2c.kit.ports.SERVICE_PORTS); their metrics listen 1000 above.
declare -A OBS_SERVICE_PORTS=([sales]=8101 [credit]=8102 [inventory]=8103 [dispatch]=8104 [invoicing]=8105
                              [ewaybill]=8106 [notify]=8107)

# The binary outlives `reset` (a cold build takes minutes) and is shared by every stack of this user: the own
# stacks of the test sessions, other checkouts. Keyed by the module version and go.sum, so a bump rebuilds.
JAEGER_MOD_DIR="$SCRIPT_DIR/jaeger"
TOOLS_CACHE="${O2C_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/o2c}"
jaeger_version() { awk '$1 == "github.com/jaegertracing/jaeger" { print $2; exit }' "$JAEGER_MOD_DIR/go.mod"; }
jaeger_bin() {
    printf '%s/jaeger-%s-%s/jaeger' "$TOOLS_CACHE" "$(jaeger_version)" "$(sha256sum "$JAEGER_MOD_DIR/go.sum" | cut -c1-12)"
}
jaeger_built() { [[ -x "$(jaeger_bin)" ]]; }

# A Go new enough for the module (its `go` line): one on the PATH or in /usr/local/go, else the release toolchain
# as the Go module proxy serves it (module golang.org/toolchain, what `GOTOOLCHAIN=auto` would fetch), unpacked
# once into the tools cache. Debian bookworm's golang-go (1.19) is too old for Jaeger v2.
GO_NEEDED_FOR_JAEGER="$(awk '$1 == "go" { print $2 }' "$JAEGER_MOD_DIR/go.mod")"
go_new_enough() {
    local have
    have="$(GOTOOLCHAIN=local "$1" env GOVERSION 2>/dev/null)" || return 1
    have="${have#go}"
    [[ "$(printf '%s\n%s\n' "$GO_NEEDED_FOR_JAEGER" "$have" | sort -V | head -1)" == "$GO_NEEDED_FOR_JAEGER" ]]
}
go_for_jaeger() {
    local cand arch proxy dir tmp
    for cand in "$(command -v go || true)" /usr/local/go/bin/go "$TOOLS_CACHE/go$GO_NEEDED_FOR_JAEGER/bin/go"; do
        if [[ -n "$cand" && -x "$cand" ]] && go_new_enough "$cand"; then printf '%s' "$cand"; return 0; fi
    done
    case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64 | arm64) arch=arm64 ;; *) die "jaeger: no Go toolchain for $(uname -m)" ;; esac
    proxy="$(printf '%s' "${GOPROXY:-https://proxy.golang.org}" | tr ',|' '\n\n' | grep -m1 '^https\?://' || echo https://proxy.golang.org)"
    dir="$TOOLS_CACHE/go$GO_NEEDED_FOR_JAEGER"
    tmp="$TOOLS_CACHE/go.tmp.$$"
    log "jaeger: fetching the Go $GO_NEEDED_FOR_JAEGER toolchain from $proxy (module golang.org/toolchain)" >&2
    mkdir -p "$tmp"
    curl -fsSL "$proxy/golang.org/toolchain/@v/v0.0.1-go$GO_NEEDED_FOR_JAEGER.linux-$arch.zip" -o "$tmp/go.zip" \
        || { rm -rf "$tmp"; die "jaeger: could not fetch the Go toolchain from $proxy"; }
    python3 -m zipfile -e "$tmp/go.zip" "$tmp/x" || { rm -rf "$tmp"; die "jaeger: could not unpack the Go toolchain"; }
    rm -rf "$dir"
    mv "$tmp/x/golang.org/toolchain@v0.0.1-go$GO_NEEDED_FOR_JAEGER.linux-$arch" "$dir"
    rm -rf "$tmp"
    # a module zip keeps no file modes
    chmod +x "$dir"/bin/* "$dir"/pkg/tool/*/*
    printf '%s' "$dir/bin/go"
}

jaeger_build() {
    local bin t0 go_bin
    bin="$(jaeger_bin)"
    if jaeger_built; then log "jaeger: $(jaeger_version) already built ($bin)"; return 0; fi
    go_bin="$(go_for_jaeger)"  # a `die` in there ends only the command substitution
    [[ -x "$go_bin" ]] || die "jaeger: no Go toolchain >= $GO_NEEDED_FOR_JAEGER to build it"
    t0="$(now)"
    log "jaeger: building github.com/jaegertracing/jaeger/cmd/jaeger $(jaeger_version) through the Go module proxy (minutes, once)"
    mkdir -p "$(dirname "$bin")"
    # -mod=readonly: exactly the versions in go.sum; GOFLAGS from the caller must not loosen that.
    (cd "$JAEGER_MOD_DIR" && GOFLAGS=-mod=readonly GOTOOLCHAIN=local nice -n 5 "$go_bin" build -trimpath \
        -ldflags='-s -w' -o "$bin.tmp.$$" github.com/jaegertracing/jaeger/cmd/jaeger) >"$STACK/jaeger-build.log" 2>&1 \
        || { tail -n 30 "$STACK/jaeger-build.log" >&2; rm -f "$bin.tmp.$$"; die "jaeger build failed (log: $STACK/jaeger-build.log)"; }
    mv "$bin.tmp.$$" "$bin"
    log "jaeger: built in $(elapsed "$t0") ($bin, $(du -h "$bin" | cut -f1))"
}

# --------------------------------------------------------------- servers ---

# pid of unit $1 when its pid file names a live process running $2
obs_pid() {
    local f="$STACK/$1/$1.pid" pid
    [[ -f "$f" ]] || return 1
    pid="$(cat "$f")"
    pid_alive "$pid" && cmdline_has "$pid" "$2" || return 1
    printf '%s' "$pid"
}

obs_spawn() {  # unit, then the command; logs to $STACK/<unit>/<unit>.log
    local unit="$1"; shift
    mkdir -p "$STACK/$unit"
    rm -f "$STACK/$unit/$unit.pid"
    # shellcheck disable=SC2016  # $$ and $@ expand in the inner shell
    setsid bash -c 'umask 077; echo $$ >"$1"; shift; exec "$@"' _ "$STACK/$unit/$unit.pid" "$@" \
        </dev/null >>"$STACK/$unit/$unit.log" 2>&1 9>&- &
    for _ in $(seq 50); do [[ -s "$STACK/$unit/$unit.pid" ]] && break; sleep 0.1; done
}

obs_wait() {  # unit, marker, url
    local deadline=$((SECONDS + OBS_READY_TIMEOUT))
    until curl -fs -o /dev/null "$3"; do
        obs_pid "$1" "$2" >/dev/null || { tail -n 20 "$STACK/$1/$1.log" >&2; die "$1 exited during startup (log: $STACK/$1/$1.log)"; }
        ((SECONDS < deadline)) || die "$1 not ready after ${OBS_READY_TIMEOUT}s (log: $STACK/$1/$1.log)"
        sleep 0.3
    done
}

prometheus_write_config() {
    local s targets=""
    for s in sales credit inventory dispatch invoicing ewaybill notify; do
        targets+="      - targets: ['127.0.0.1:$((OBS_SERVICE_PORTS[$s] + 1000 + PORT_OFFSET))']
        labels: {unit: $s}
"
    done
    cat >"$STACK/prometheus/prometheus.yml.tmp" <<EOF
# Generated by deploy/local/stack.sh -- edits are overwritten on every start. Rules: deploy/observability/.
global:
  scrape_interval: 10s
  evaluation_interval: 10s
rule_files:
  - $OBS_DIR/alerts.yml
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['127.0.0.1:$AM_PORT']
scrape_configs:
  - job_name: o2c
    static_configs:
$targets  - job_name: prometheus
    static_configs:
      - targets: ['127.0.0.1:$PROM_PORT']
  - job_name: alertmanager
    static_configs:
      - targets: ['127.0.0.1:$AM_PORT']
EOF
    mv "$STACK/prometheus/prometheus.yml.tmp" "$STACK/prometheus/prometheus.yml"
}

jaeger_write_config() {
    cat >"$STACK/jaeger/config.yaml" <<EOF
# Generated by deploy/local/stack.sh -- edits are overwritten on every start. In-memory storage: traces are
# gone when Jaeger stops (a local debugging aid, not an archive).
service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    traces:
      level: none
    logs:
      level: warn
extensions:
  jaeger_query:
    storage:
      traces: memstore
    # its own query spans would go to 127.0.0.1:4317 (nothing there): Jaeger does not trace itself here
    enable_tracing: false
    http:
      endpoint: 127.0.0.1:$JAEGER_QUERY_PORT
    grpc:
      endpoint: 127.0.0.1:$JAEGER_GRPC_PORT
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: ${O2C_JAEGER_MAX_TRACES:-20000}
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:$JAEGER_OTLP_PORT
processors:
  batch:
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
EOF
}

OBS_STARTED=()
obs_start() {
    OBS_STARTED=()
    local p
    mkdir -p "$STACK/prometheus/data" "$STACK/alertmanager/data" "$STACK/jaeger"
    if ! obs_pid alertmanager prometheus-alertmanager >/dev/null; then
        port_open "$AM_PORT" && die "alertmanager: port $AM_PORT is already in use (set O2C_ALERTMANAGER_PORT)"
        # --cluster.listen-address= : a single instance, no gossip port.
        obs_spawn alertmanager prometheus-alertmanager --config.file="$OBS_DIR/alertmanager.yml" \
            --storage.path="$STACK/alertmanager/data" --web.listen-address="127.0.0.1:$AM_PORT" \
            --cluster.listen-address= --log.level=warn
        OBS_STARTED+=(alertmanager)
    fi
    if ! obs_pid prometheus "prometheus --config.file=$STACK" >/dev/null; then
        port_open "$PROM_PORT" && die "prometheus: port $PROM_PORT is already in use (set O2C_PROMETHEUS_PORT)"
        prometheus_write_config
        obs_spawn prometheus prometheus --config.file="$STACK/prometheus/prometheus.yml" \
            --storage.tsdb.path="$STACK/prometheus/data" --storage.tsdb.retention.time=2d \
            --web.listen-address="127.0.0.1:$PROM_PORT" --web.enable-lifecycle --log.level=warn
        OBS_STARTED+=(prometheus)
    fi
    if ! obs_pid jaeger "$(jaeger_bin)" >/dev/null; then
        jaeger_built || die "jaeger is not built: run '$0 install'"
        for p in "$JAEGER_OTLP_PORT" "$JAEGER_QUERY_PORT" "$JAEGER_GRPC_PORT"; do
            port_open "$p" && die "jaeger: port $p is already in use (set O2C_JAEGER_*_PORT)"
        done
        jaeger_write_config
        obs_spawn jaeger "$(jaeger_bin)" --config "$STACK/jaeger/config.yaml"
        OBS_STARTED+=(jaeger)
    fi
    ((${#OBS_STARTED[@]})) || return 0
    obs_wait alertmanager prometheus-alertmanager "http://127.0.0.1:$AM_PORT/-/ready"
    obs_wait prometheus "prometheus --config.file=$STACK" "http://127.0.0.1:$PROM_PORT/-/ready"
    obs_wait jaeger "$(jaeger_bin)" "http://127.0.0.1:$JAEGER_QUERY_PORT/api/services"
    log "observability: ${OBS_STARTED[*]} ready (Prometheus :$PROM_PORT, Alertmanager :$AM_PORT, Jaeger OTLP :$JAEGER_OTLP_PORT query :$JAEGER_QUERY_PORT)"
}

obs_stop() {
    local unit marker pid
    for unit in jaeger prometheus alertmanager; do
        case "$unit" in
            jaeger) marker="$(jaeger_bin)" ;;
            prometheus) marker="prometheus --config.file=$STACK" ;;
            alertmanager) marker=prometheus-alertmanager ;;
        esac
        pid="$(obs_pid "$unit" "$marker")" || { rm -f "$STACK/$unit/$unit.pid"; continue; }
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 100); do pid_alive "$pid" || break; sleep 0.1; done
        pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
        rm -f "$STACK/$unit/$unit.pid"
        log "$unit: stopped"
    done
}

obs_status() {
    local rc=0 pid
    if pid="$(obs_pid prometheus "prometheus --config.file=$STACK")"; then
        printf '%-12s up    pid=%-8s port=%-6s rss=%s\n' prometheus "$pid" "$PROM_PORT" "$(rss_mib "$pid")"
    else printf '%-12s down  port=%s\n' prometheus "$PROM_PORT"; rc=3; fi
    if pid="$(obs_pid alertmanager prometheus-alertmanager)"; then
        printf '%-12s up    pid=%-8s port=%-6s rss=%s\n' alertmanager "$pid" "$AM_PORT" "$(rss_mib "$pid")"
    else printf '%-12s down  port=%s\n' alertmanager "$AM_PORT"; rc=3; fi
    # the bench counts the trace backend's CPU from this pid file: $STACK/jaeger/jaeger.pid
    if pid="$(obs_pid jaeger "$(jaeger_bin)")"; then
        printf '%-12s up    pid=%-8s port=%-6s rss=%s query=http://127.0.0.1:%s\n' jaeger "$pid" "$JAEGER_OTLP_PORT" \
            "$(rss_mib "$pid")" "$JAEGER_QUERY_PORT"
    else printf '%-12s down  port=%s\n' jaeger "$JAEGER_OTLP_PORT"; rc=3; fi
    return "$rc"
}

obs_env() {
    echo "O2C_PROMETHEUS_URL=http://127.0.0.1:$PROM_PORT"
    echo "O2C_ALERTMANAGER_URL=http://127.0.0.1:$AM_PORT"
    echo "O2C_JAEGER_QUERY_URL=http://127.0.0.1:$JAEGER_QUERY_PORT"
    echo "O2C_JAEGER_PID_FILE=$STACK/jaeger/jaeger.pid"
}
