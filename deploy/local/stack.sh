#!/usr/bin/env bash
# o2c local infrastructure: real Apache Kafka (KRaft, jars from Maven Central),
# PostgreSQL (own cluster) and Redis, all on 127.0.0.1, no Docker.
#
# Usage: deploy/local/stack.sh <command>
#   install                 apt packages (only when missing) + Kafka jars (once per version) + Jaeger (Go build, once)
#   up                      install if needed, start what is not running, wait, write $STACK/env
#   down                    stop everything (data kept)
#   status                  one line per server (exit 3 if any is down)
#   logs [kafka|postgres|redis] [-f]   tail the logs (-f to follow)
#   reset                   down + wipe state (keeps the downloaded Kafka jars)
#   kafka-start|kafka-stop|pg-start|pg-stop|redis-start|redis-stop
#                           start/stop exactly one server (for failure tests)
#   obs-start|obs-stop      start/stop Prometheus, Alertmanager and Jaeger only
#   kafka-topics ARGS...    org.apache.kafka.tools.TopicCommand against the local broker
#   kafka-consumer-groups ARGS...   ConsumerGroupCommand against the local broker
#   kafka-run CLASS ARGS... any main class on the Kafka classpath
#   partner add NAME        onboard a partner: SCRAM user, its order-status topic, its ACLs; prints its credentials file
#   env                     print the env file path (after `up`)
#
# Environment: O2C_STACK_DIR (default <repo>/.stack), O2C_PORT_OFFSET (0; added to every default port below
# and to the services' ports, written to the env file), O2C_KAFKA_PORT (19092+offset),
# O2C_KAFKA_CONTROLLER_PORT (19093+offset), O2C_PG_PORT (15432+offset), O2C_REDIS_PORT (16379+offset);
# observability (deploy/local/observability.sh): Prometheus 19190, Alertmanager 19193, Jaeger OTLP/HTTP 14318,
# query 16686 (+offset each); O2C_TOOLS_CACHE (default ~/.cache/o2c) keeps the Jaeger binary across `reset`.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$SCRIPT_DIR/../.." && pwd)"

STACK="${O2C_STACK_DIR:-$REPO/.stack}"
mkdir -p "$STACK"
STACK="$(cd "$STACK" && pwd)"

# One offset moves every default port (o2c.kit.ports has the same numbers): a second copy on one machine.
PORT_OFFSET="${O2C_PORT_OFFSET:-0}"
[[ "$PORT_OFFSET" =~ ^[0-9]+$ ]] || { echo "O2C_PORT_OFFSET must be a whole number, not '$PORT_OFFSET'" >&2; exit 2; }
KAFKA_PORT="${O2C_KAFKA_PORT:-$((19092 + PORT_OFFSET))}"
KAFKA_CONTROLLER_PORT="${O2C_KAFKA_CONTROLLER_PORT:-$((19093 + PORT_OFFSET))}"
PG_PORT="${O2C_PG_PORT:-$((15432 + PORT_OFFSET))}"
REDIS_PORT="${O2C_REDIS_PORT:-$((16379 + PORT_OFFSET))}"

SERVICES=(sales credit inventory dispatch invoicing ewaybill notify)

KAFKA_POM="$SCRIPT_DIR/kafka/pom.xml"
KAFKA_LOG4J="$SCRIPT_DIR/kafka/log4j2.yaml"
KAFKA_DIR="$STACK/kafka"
KAFKA_LIBS="$KAFKA_DIR/libs"
KAFKA_MARKER="$KAFKA_LIBS/.o2c-fetched"
KAFKA_DATA="$KAFKA_DIR/data"
KAFKA_LOGS="$KAFKA_DIR/logs"
KAFKA_PROPS="$KAFKA_DIR/server.properties"
KAFKA_PID="$KAFKA_DIR/kafka.pid"
KAFKA_OUT="$KAFKA_LOGS/kafka.out"
KAFKA_CLUSTER_ID_FILE="$KAFKA_DIR/cluster.id"
KAFKA_HEAP="${O2C_KAFKA_HEAP:-512m}"
KAFKA_READY_TIMEOUT="${O2C_KAFKA_READY_TIMEOUT:-240}"
KAFKA_STOP_TIMEOUT=60
# SASL/SCRAM on the broker listener, ACLs by the standard authorizer (docs/security.md "The broker"). Passwords are
# $STACK/secrets/kafka-<user>; the client files below are generated from them (0600, never committed).
KAFKA_ADMIN_USER=o2c-admin
KAFKA_TEST_USER=o2c-test
KAFKA_USERS=("$KAFKA_ADMIN_USER" "$KAFKA_TEST_USER")
for _s in "${SERVICES[@]}"; do KAFKA_USERS+=("o2c-$_s"); done
KAFKA_ADMIN_PROPS="$KAFKA_DIR/admin.properties"  # the Kafka CLI's --command-config (the SRE's admin user)
KAFKA_ADMIN_ENV="$KAFKA_DIR/admin.env"           # the same for Python tools (o2c.kit's O2C_KAFKA_* options)
KAFKA_SCRAM_MARKER="$KAFKA_DIR/scram.users"      # "<user> <sha256 of its password>" per user the broker has
KAFKA_ACL_MARKER="$KAFKA_DIR/acls.applied"       # sha256 of the grants last applied (deploy/local/kafka_access.py)
PARTNERS_DIR="$STACK/partners"
PYTHON="${O2C_PYTHON:-$REPO/.venv/bin/python}"

PG_DIR="$STACK/pg"
PG_DATA="$PG_DIR/data"
PG_LOGDIR="$PG_DIR/log"
PG_LOG="$PG_LOGDIR/postgresql.log"
PG_OS_USER=postgres
PG_READY_TIMEOUT=60

REDIS_DIR="$STACK/redis"
REDIS_DATA="$REDIS_DIR/data"
REDIS_CONF="$REDIS_DIR/redis.conf"
REDIS_PID="$REDIS_DIR/redis.pid"
REDIS_LOG="$REDIS_DIR/redis.log"
REDIS_READY_TIMEOUT=20

SECRETS="$STACK/secrets"
ENV_FILE="$STACK/env"
STACK_MARKER="$STACK/.o2c-stack"

APT_PACKAGES=(postgresql redis-server kcat openjdk-17-jre-headless maven prometheus prometheus-alertmanager)

JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

# ---------------------------------------------------------------- helpers ---

log() { printf '[stack] %s\n' "$*"; }
warn() { printf '[stack] WARNING: %s\n' "$*" >&2; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }

now() { printf '%s' "${EPOCHREALTIME/,/.}"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

as_root() {
    if [[ $EUID -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

# Random secret: hex only, so it is safe inside URLs and KEY=value lines.
gen_secret() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# Log files may carry customer data: 0600 (owner only), also those an older stack created 0644. The servers
# are started with umask 077, so files they create later (rotation) are private too.
private_logs() {
    local f
    for f in "$KAFKA_OUT" "$REDIS_LOG"; do
        [[ -e "$f" ]] || { mkdir -p "$(dirname "$f")"; (umask 077; : >>"$f"); }
    done
    find "$STACK" -maxdepth 4 \( -name '*.log' -o -name '*.log.*' -o -name '*.out' \) -type f -exec chmod 600 {} + 2>/dev/null || true
}

# Secret kept in $STACK/secrets/<name>, generated once.
secret() {
    local f="$SECRETS/$1"
    if [[ ! -s "$f" ]]; then
        mkdir -p "$SECRETS"
        chmod 700 "$SECRETS"
        (umask 077; gen_secret >"$f.tmp" && mv "$f.tmp" "$f")
    fi
    cat "$f"
}

init_stack_dir() {
    mkdir -p "$STACK"
    [[ -e "$STACK_MARKER" ]] || printf 'o2c local stack state (see deploy/local/README.md)\n' >"$STACK_MARKER"
}

# Is something listening on 127.0.0.1:$1 ?
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

# Process RSS in MiB (from /proc), "-" when unknown.
rss_mib() {
    local kb
    kb="$(awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || true)"
    if [[ -n "$kb" ]]; then awk -v k="$kb" 'BEGIN { printf "%.0fMiB", k / 1024 }'; else printf -- '-'; fi
}

# Sum of RSS (MiB) of a pid and its direct children, and their count.
tree_rss() {
    local root="$1" total=0 n=0 p stat ppid kb
    for p in /proc/[0-9]*; do
        p="${p#/proc/}"
        if [[ "$p" != "$root" ]]; then
            stat="$(cat "/proc/$p/stat" 2>/dev/null)" || continue
            stat="${stat##*) }"
            ppid="$(awk '{ print $2 }' <<<"$stat")"
            [[ "$ppid" == "$root" ]] || continue
        fi
        kb="$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null || true)"
        [[ -n "$kb" ]] || continue
        total=$((total + kb)); n=$((n + 1))
    done
    awk -v k="$total" -v n="$n" 'BEGIN { printf "%.0fMiB in %d procs", k / 1024, n }'
}

cmdline_has() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"; }

# Serialize mutating commands (two `up`s at once would race).
with_lock() {
    init_stack_dir
    exec 9>"$STACK/.lock"
    if ! flock -w 600 9; then die "could not lock $STACK/.lock"; fi
}

# Prometheus, Alertmanager, Jaeger: their own file, sourced (same helpers, same lock).
# shellcheck source=deploy/local/observability.sh
. "$SCRIPT_DIR/observability.sh"

# ---------------------------------------------------------------- install ---

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing_packages() {
    local p
    for p in "${APT_PACKAGES[@]}"; do
        pkg_installed "$p" || printf '%s\n' "$p"
    done
}

kafka_version() { sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_POM" | head -1; }

kafka_marker_expected() {
    printf 'kafka_version=%s pom_sha256=%s\n' "$(kafka_version)" "$(sha256sum "$KAFKA_POM" | cut -d' ' -f1)"
}

kafka_jars_ok() { [[ -f "$KAFKA_MARKER" ]] && [[ "$(cat "$KAFKA_MARKER")" == "$(kafka_marker_expected)" ]]; }

install_needed() {
    [[ -z "$(missing_packages)" ]] || return 0
    kafka_jars_ok || return 0
    jaeger_built || return 0
    return 1
}

cmd_install() {
    init_stack_dir
    local t0 missing
    t0="$(now)"
    mapfile -t missing < <(missing_packages)
    if ((${#missing[@]})); then
        log "apt: installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        as_root apt-get update -q
        as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
    else
        log "apt: ${APT_PACKAGES[*]} already installed"
    fi

    if kafka_jars_ok; then
        log "kafka: jars for $(kafka_version) already in $KAFKA_LIBS"
    else
        log "kafka: fetching kafka_2.13:$(kafka_version) and its runtime dependencies from Maven Central"
        local tmp="$KAFKA_DIR/libs.tmp.$$"
        rm -rf "$tmp"
        mkdir -p "$tmp"
        # Output goes to a file (Maven 3.8 prints stray ANSI resets even with -B -q).
        mvn -B -q -f "$KAFKA_POM" \
            org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
            -DoutputDirectory="$tmp" -DincludeScope=runtime >"$KAFKA_DIR/maven.log" 2>&1 \
            || { rm -rf "$tmp"; cat "$KAFKA_DIR/maven.log" >&2; die "maven could not fetch the Kafka jars (log: $KAFKA_DIR/maven.log)"; }
        ls "$tmp"/kafka_2.13-*.jar >/dev/null 2>&1 || { rm -rf "$tmp"; die "kafka_2.13 jar missing after maven run"; }
        kafka_marker_expected >"$tmp/.o2c-fetched"
        rm -rf "$KAFKA_LIBS"
        mv "$tmp" "$KAFKA_LIBS"
        log "kafka: $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars in $KAFKA_LIBS ($(du -sh "$KAFKA_LIBS" | cut -f1))"
    fi
    jaeger_build
    log "install done in $(elapsed "$t0")"
}

# ------------------------------------------------------------------ kafka ---

kafka_pid() {
    local pid
    [[ -f "$KAFKA_PID" ]] || return 1
    pid="$(cat "$KAFKA_PID")"
    pid_alive "$pid" && cmdline_has "$pid" "kafka.Kafka" || return 1
    printf '%s' "$pid"
}

kafka_running() { kafka_pid >/dev/null; }

# Every topic's name, one a line, as the admin sees them; fails when the broker does not answer. (Python, not
# kcat: Debian's kcat links librdkafka < 2.6, whose SCRAM-SHA-512 Kafka 4 refuses.)
kafka_metadata() {
    [[ -f "$KAFKA_ADMIN_ENV" ]] || return 1
    (set -a; . "$KAFKA_ADMIN_ENV"; set +a; timeout 20 "$PYTHON" "$SCRIPT_DIR/kafka_access.py" topics 9>&-) 2>/dev/null
}

kafka_ready() { kafka_metadata >/dev/null; }

kafka_password() { secret "kafka-$1"; }

# The broker's configuration on stdout (it holds the admin password: written 0600).
kafka_render_config() {
    cat <<EOF
# Generated by deploy/local/stack.sh -- edits are overwritten on every start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
# Clients (and the broker itself) authenticate with SCRAM-SHA-512 on BROKER. The controller listener stays
# plaintext on 127.0.0.1: the combined broker/controller talks to itself there as ANONYMOUS, which therefore is
# a super user beside the admin (a process on this machine reaching that port is trusted, like PostgreSQL's
# local superuser).
listeners=BROKER://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=BROKER://127.0.0.1:$KAFKA_PORT
inter.broker.listener.name=BROKER
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,BROKER:SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.broker.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$KAFKA_ADMIN_USER" password="$(kafka_password "$KAFKA_ADMIN_USER")";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:$KAFKA_ADMIN_USER;User:ANONYMOUS
log.dirs=$KAFKA_DATA
num.partitions=6
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# topics are declared by the project (deploy/local/create_topics.sh)
auto.create.topics.enable=false
EOF
}

kafka_write_config() {
    mkdir -p "$KAFKA_DATA" "$KAFKA_LOGS"
    (umask 077; kafka_render_config >"$KAFKA_PROPS.tmp")
    mv "$KAFKA_PROPS.tmp" "$KAFKA_PROPS"
    kafka_write_client_files
}

# A running broker started with another configuration (before SASL, other ports) is restarted by `up`.
kafka_config_changed() { [[ -f "$KAFKA_PROPS" ]] && ! cmp -s <(kafka_render_config) "$KAFKA_PROPS"; }

# The admin's client settings for the Kafka CLI and the Python tools (0600, in the stack dir).
kafka_write_client_files() {
    local pw
    pw="$(kafka_password "$KAFKA_ADMIN_USER")"
    mkdir -p "$KAFKA_DIR"
    (
        umask 077
        printf '%s\n' "security.protocol=SASL_PLAINTEXT" "sasl.mechanism=SCRAM-SHA-512" \
            "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"$KAFKA_ADMIN_USER\" password=\"$pw\";" \
            >"$KAFKA_ADMIN_PROPS.tmp"
        printf '%s\n' "O2C_KAFKA_BOOTSTRAP=127.0.0.1:$KAFKA_PORT" "O2C_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT" \
            "O2C_KAFKA_SASL_MECHANISM=SCRAM-SHA-512" "O2C_KAFKA_SASL_USERNAME=$KAFKA_ADMIN_USER" \
            "O2C_KAFKA_SASL_PASSWORD=$pw" >"$KAFKA_ADMIN_ENV.tmp"
    )
    mv "$KAFKA_ADMIN_PROPS.tmp" "$KAFKA_ADMIN_PROPS"
    mv "$KAFKA_ADMIN_ENV.tmp" "$KAFKA_ADMIN_ENV"
}

kafka_scram_line() { printf '%s %s\n' "$1" "$(kafka_password "$1" | sha256sum | cut -d' ' -f1)"; }

# Users whose current password the broker does not have yet (per the marker), one a line.
kafka_scram_missing() {
    local u
    for u in "${KAFKA_USERS[@]}"; do
        grep -qxF "$(kafka_scram_line "$u")" "$KAFKA_SCRAM_MARKER" 2>/dev/null || printf '%s\n' "$u"
    done
}

# The broker does not have the admin's current password (its SCRAM credentials were never set, or changed).
kafka_admin_unknown() { ! grep -qxF "$(kafka_scram_line "$KAFKA_ADMIN_USER")" "$KAFKA_SCRAM_MARKER" 2>/dev/null; }

# Creates (or re-keys) a SCRAM user, as the admin (or, given, through another way in: kafka_scram_bootstrap).
kafka_scram_set() {
    local user="$1"; shift
    local via=("$@")
    ((${#via[@]})) || via=(--bootstrap-server "127.0.0.1:$KAFKA_PORT" --command-config "$KAFKA_ADMIN_PROPS")
    log "kafka: SCRAM-SHA-512 credentials for $user"
    # The tool echoes its arguments when it fails: never into a log, and redacted on the terminal. (ConfigCommand
    # takes SCRAM credentials only as --add-config; its --add-config-file refuses them.)
    local out
    if ! out="$(kafka_classpath_java kafka.admin.ConfigCommand "${via[@]}" --alter --entity-type users \
        --entity-name "$user" --add-config "SCRAM-SHA-512=[iterations=4096,password=$(kafka_password "$user")]" 2>&1)"
    then
        sed -e 's/password=[^],]*/password=***/g' <<<"$out" | tail -n 20 >&2
        die "kafka: could not set the SCRAM credentials of $user"
    fi
    { grep -v "^$user " "$KAFKA_SCRAM_MARKER" 2>/dev/null || true; kafka_scram_line "$user"; } | (umask 077; cat >"$KAFKA_SCRAM_MARKER.tmp")
    mv "$KAFKA_SCRAM_MARKER.tmp" "$KAFKA_SCRAM_MARKER"
}

KAFKA_SCRAM_CHANGED=0
kafka_scram_sync() {
    local u missing
    mapfile -t missing < <(kafka_scram_missing)
    for u in "${missing[@]}"; do kafka_scram_set "$u"; KAFKA_SCRAM_CHANGED=1; done
    return 0
}

# The services' and the test fixtures' ACLs (o2c.contracts.access via deploy/local/kafka_access.py), applied
# again only when the computed grants change.
KAFKA_ACLS_CHANGED=0
kafka_acls_sync() {
    local spec want
    KAFKA_ACLS_CHANGED=0
    spec="$("$PYTHON" "$SCRIPT_DIR/kafka_access.py" spec 9>&-)" || die "kafka: could not compute the ACLs"
    want="$(printf '%s\n%s\n' "$spec" "$(cat "$KAFKA_CLUSTER_ID_FILE" 2>/dev/null)" | sha256sum | cut -d' ' -f1)"
    [[ -f "$KAFKA_ACL_MARKER" && "$(cat "$KAFKA_ACL_MARKER")" == "$want" ]] && return 0
    log "kafka: applying ACLs ($(wc -l <<<"$spec") grants, deploy/local/kafka_access.py)"
    (set -a; . "$KAFKA_ADMIN_ENV"; set +a; "$PYTHON" "$SCRIPT_DIR/kafka_access.py" apply 9>&-) >/dev/null \
        || die "kafka: could not apply the ACLs"
    printf '%s' "$want" >"$KAFKA_ACL_MARKER"
    KAFKA_ACLS_CHANGED=1
}

kafka_format_once() {
    if [[ -f "$KAFKA_DATA/meta.properties" ]]; then
        return 0
    fi
    # 16 random bytes, URL-safe base64 without padding (what kafka-storage random-uuid prints). Like Kafka's own
    # Uuid.randomUuid, never one starting with "-": the format tool would read it as an option (1 in 64 ids).
    while [[ ! -s "$KAFKA_CLUSTER_ID_FILE" || "$(head -c 1 "$KAFKA_CLUSTER_ID_FILE")" == "-" ]]; do
        head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$KAFKA_CLUSTER_ID_FILE"
    done
    log "kafka: formatting storage (cluster id $(cat "$KAFKA_CLUSTER_ID_FILE"), SCRAM users ${KAFKA_USERS[*]})"
    # Every user's SCRAM credentials go into the first metadata records: the broker answers SASL from its start.
    local scram=() u
    for u in "${KAFKA_USERS[@]}"; do scram+=(--add-scram "SCRAM-SHA-512=[name=$u,password=$(kafka_password "$u")]"); done
    "$JAVA" -Xmx256m -Dlog4j2.configurationFile="$KAFKA_LOG4J" -Dkafka.logs.dir="$KAFKA_LOGS" \
        -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format \
        -t "$(cat "$KAFKA_CLUSTER_ID_FILE")" -c "$KAFKA_PROPS" -g "${scram[@]}" >>"$KAFKA_OUT" 2>&1 9>&- \
        || { tail -n 20 "$KAFKA_OUT" >&2; die "kafka storage format failed (see $KAFKA_OUT)"; }
    for u in "${KAFKA_USERS[@]}"; do kafka_scram_line "$u"; done >"$KAFKA_SCRAM_MARKER"
    rm -f "$KAFKA_ACL_MARKER"
}

# Starts the JVM in the background; does not wait. Sets KAFKA_SPAWNED=1 if it
# started one, 0 if the broker was already running. (Functions here always
# return 0 on success and report through globals: `set -e` is switched off
# inside a function that is called as an `if` condition.)
KAFKA_SPAWNED=0
kafka_spawn() {
    KAFKA_SPAWNED=0
    if kafka_running; then return 0; fi
    kafka_jars_ok || die "Kafka jars missing: run '$0 install'"
    local p
    for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
        port_open "$p" && die "kafka: port $p is already in use by another process (set O2C_KAFKA_PORT / O2C_KAFKA_CONTROLLER_PORT)"
    done
    kafka_write_config
    kafka_format_once
    # The broker cannot admit its own admin before the admin has SCRAM credentials (a stack formatted before
    # SASL, or its admin password changed): add them on one plaintext start first.
    if kafka_admin_unknown; then kafka_scram_bootstrap; fi
    kafka_launch
    KAFKA_SPAWNED=1
}

# Starts the broker's JVM with $KAFKA_PROPS in the background and waits for its pid file.
kafka_launch() {
    printf '\n===== %s starting kafka =====\n' "$(date -Is)" >>"$KAFKA_OUT"
    rm -f "$KAFKA_PID"  # stale after a crash; the wait below must see the new one
    # setsid: own session, so the broker outlives the shell that started it.
    # The inner shell writes its own pid and execs java, so the pid file is the JVM's.
    # shellcheck disable=SC2016  # $$ and $@ expand in the inner shell
    private_logs
    setsid bash -c 'umask 077; echo $$ >"$1"; shift; exec "$@"' _ "$KAFKA_PID" \
        "$JAVA" "-Xms$KAFKA_HEAP" "-Xmx$KAFKA_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
        -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
        -Dkafka.logs.dir="$KAFKA_LOGS" -Dlog4j2.configurationFile="$KAFKA_LOG4J" \
        -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_PROPS" \
        </dev/null >>"$KAFKA_OUT" 2>&1 9>&- &
    # wait until the pid file is written by the child
    for _ in $(seq 50); do [[ -s "$KAFKA_PID" ]] && break; sleep 0.1; done
}

# The in-place upgrade of a stack formatted before SASL/SCRAM: SCRAM users can only be created through a broker
# listener (KRaft's controller listener refuses AlterUserScramCredentials), and none can authenticate before
# they exist. So the broker starts once with its BROKER listener plaintext (127.0.0.1 only, ANONYMOUS a super
# user, for the seconds this takes), gets every user's credentials, and stops; `up` then starts it with SASL.
kafka_scram_bootstrap() {
    local u deadline missing
    log "kafka: adding SCRAM users to a stack formatted without them (one plaintext start on 127.0.0.1)"
    (umask 077; kafka_render_config | sed -e 's/BROKER:SASL_PLAINTEXT/BROKER:PLAINTEXT/' \
        -e '/^sasl\./d' -e '/^listener\.name\.broker\./d' >"$KAFKA_PROPS")
    kafka_launch
    deadline=$((SECONDS + KAFKA_READY_TIMEOUT))
    until timeout 15 kcat -b "127.0.0.1:$KAFKA_PORT" -L -m 5 -t __o2c_readiness_probe >/dev/null 2>&1; do
        kafka_running || { tail -n 30 "$KAFKA_OUT" >&2; die "kafka exited during its plaintext start"; }
        ((SECONDS < deadline)) || die "kafka (plaintext start) not ready after ${KAFKA_READY_TIMEOUT}s"
        sleep 1
    done
    mapfile -t missing < <(kafka_scram_missing)
    for u in "${missing[@]}"; do kafka_scram_set "$u" --bootstrap-server "127.0.0.1:$KAFKA_PORT"; done
    kafka_stop
    kafka_write_config
}

kafka_wait_ready() {
    local deadline=$((SECONDS + KAFKA_READY_TIMEOUT))
    while ((SECONDS < deadline)); do
        if ! kafka_running; then
            tail -n 30 "$KAFKA_LOGS/server.log" "$KAFKA_OUT" >&2 2>/dev/null || true
            die "kafka exited during startup (logs: $KAFKA_LOGS)"
        fi
        kafka_ready && return 0
        sleep 1
    done
    tail -n 30 "$KAFKA_LOGS/server.log" >&2 2>/dev/null || true
    die "kafka not ready after ${KAFKA_READY_TIMEOUT}s (logs: $KAFKA_LOGS)"
}

kafka_start() {
    local t0
    t0="$(now)"
    kafka_spawn
    if ((KAFKA_SPAWNED == 0)); then log "kafka: already running (pid $(kafka_pid))"; return 0; fi
    kafka_wait_ready
    log "kafka: ready on 127.0.0.1:$KAFKA_PORT (pid $(kafka_pid), $(elapsed "$t0"))"
}

kafka_stop() {
    local pid
    if ! pid="$(kafka_pid)"; then log "kafka: not running"; rm -f "$KAFKA_PID"; return 0; fi
    log "kafka: stopping (SIGTERM to pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + KAFKA_STOP_TIMEOUT))
    while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.5; done
    if pid_alive "$pid"; then
        warn "kafka did not exit within ${KAFKA_STOP_TIMEOUT}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 1
    fi
    rm -f "$KAFKA_PID"
    log "kafka: stopped"
}

kafka_classpath_java() {
    kafka_jars_ok || die "Kafka jars missing: run '$0 install'"
    "$JAVA" -Xmx256m -XX:TieredStopAtLevel=1 -Dorg.apache.logging.log4j.level=WARN -cp "$KAFKA_LIBS/*" "$@" 9>&-
}

has_bootstrap_arg() {
    local a
    for a in "$@"; do [[ "$a" == --bootstrap-server* ]] && return 0; done
    return 1
}

kafka_tool() {
    local cls="$1"; shift
    # The admin's client settings unless the caller brings its own.
    local auth=(--command-config "$KAFKA_ADMIN_PROPS")
    [[ " $* " == *" --command-config"* ]] && auth=()
    if has_bootstrap_arg "$@"; then
        kafka_classpath_java "$cls" "$@" "${auth[@]}"
    else
        kafka_classpath_java "$cls" --bootstrap-server "127.0.0.1:$KAFKA_PORT" "$@" "${auth[@]}"
    fi
}

# --------------------------------------------------------------- postgres ---

pg_bin() {
    local v d
    if [[ -f "$PG_DATA/PG_VERSION" ]]; then
        v="$(cat "$PG_DATA/PG_VERSION")"
        [[ -x "/usr/lib/postgresql/$v/bin/postgres" ]] || die "cluster in $PG_DATA is PostgreSQL $v but /usr/lib/postgresql/$v is not installed"
        printf '/usr/lib/postgresql/%s/bin' "$v"
        return
    fi
    d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
    [[ -n "$d" ]] || die "PostgreSQL server binaries not found: run '$0 install'"
    printf '%s' "$d"
}

# Unix socket dir: in the state dir unless the socket path would exceed the
# 107-byte sun_path limit, then a per-stack dir in /tmp.
pg_socket_dir() {
    local d="$PG_DIR/run"
    if (( ${#d} + 20 > 100 )); then
        d="/tmp/o2c-pg-$(printf '%s' "$STACK" | sha256sum | cut -c1-12)"
    fi
    printf '%s' "$d"
}

as_pg() { runuser -u "$PG_OS_USER" -- "$@"; }

# 9>&-: the server must not inherit the stack lock.
pg_ctl_() { as_pg "$(pg_bin)/pg_ctl" -D "$PG_DATA" "$@" 9>&-; }

pg_pid() {
    local pid
    [[ -f "$PG_DATA/postmaster.pid" ]] || return 1
    pid="$(head -1 "$PG_DATA/postmaster.pid")"
    pid_alive "$pid" && cmdline_has "$pid" "postgres" || return 1
    printf '%s' "$pid"
}

pg_running() { pg_pid >/dev/null; }

# Make sure the postgres OS user can reach $PG_DIR (o+x on parents, like a home dir).
pg_ensure_traversable() {
    local d="$PG_DIR"
    while [[ "$d" != "/" ]]; do
        d="$(dirname "$d")"
        if ! as_pg test -x "$d" 2>/dev/null; then
            log "postgres: adding o+x to $d so the '$PG_OS_USER' user can reach $PG_DIR"
            chmod o+x "$d"
        fi
    done
}

pg_admin_psql() {
    PGPASSWORD="$(secret pg_o2c_admin)" PGCONNECT_TIMEOUT=10 \
        "$(pg_bin)/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U o2c_admin "$@"
}

pg_init_once() {
    id "$PG_OS_USER" >/dev/null 2>&1 || die "OS user '$PG_OS_USER' missing: run '$0 install'"
    mkdir -p "$PG_DIR"
    pg_ensure_traversable
    if [[ -f "$PG_DATA/PG_VERSION" ]]; then return 0; fi
    log "postgres: initdb in $PG_DATA"
    local pwfile
    mkdir -p "$PG_DATA" "$PG_LOGDIR"
    chown -R "$PG_OS_USER:$PG_OS_USER" "$PG_DIR"
    chmod 700 "$PG_DATA"
    pwfile="$PG_DIR/.pwfile"
    (umask 077; secret pg_o2c_admin >"$pwfile")
    chown "$PG_OS_USER" "$pwfile"
    as_pg "$(pg_bin)/initdb" -D "$PG_DATA" -U o2c_admin --pwfile="$pwfile" \
        --auth-local=scram-sha-256 --auth-host=scram-sha-256 \
        --encoding=UTF8 --locale=C.UTF-8 >"$PG_LOGDIR/initdb.log" 2>&1 \
        || { rm -f "$pwfile"; cat "$PG_LOGDIR/initdb.log" >&2; die "initdb failed"; }
    rm -f "$pwfile"
    printf "\n# o2c local stack settings (deploy/local/stack.sh)\ninclude 'o2c.conf'\n" >>"$PG_DATA/postgresql.conf"
}

pg_write_config() {
    local sock
    sock="$(pg_socket_dir)"
    mkdir -p "$sock" "$PG_LOGDIR"
    chown "$PG_OS_USER:$PG_OS_USER" "$sock" "$PG_LOGDIR"
    chmod 755 "$sock"
    cat >"$PG_DATA/o2c.conf.tmp" <<EOF
# Generated by deploy/local/stack.sh -- edits are overwritten on every start.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$sock'
max_connections = 300
shared_buffers = 128MB
fsync = on
synchronous_commit = on
full_page_writes = on
password_encryption = 'scram-sha-256'
timezone = 'UTC'
log_timezone = 'UTC'
log_line_prefix = '%m [%p] %q%u@%d '
log_min_duration_statement = 1000
# A slow statement is logged without its bound values (customer names, addresses).
log_parameter_max_length = 0
log_parameter_max_length_on_error = 0
EOF
    mv "$PG_DATA/o2c.conf.tmp" "$PG_DATA/o2c.conf"
    cat >"$PG_DATA/pg_hba.conf.tmp" <<'EOF'
# Generated by deploy/local/stack.sh. Password (SCRAM) everywhere; which
# database a role may enter is decided by CONNECT privileges
# (REVOKE CONNECT ... FROM PUBLIC on every service database).
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 scram-sha-256
host    all       all   127.0.0.1/32  scram-sha-256
EOF
    mv "$PG_DATA/pg_hba.conf.tmp" "$PG_DATA/pg_hba.conf"
    chown "$PG_OS_USER:$PG_OS_USER" "$PG_DATA/o2c.conf" "$PG_DATA/pg_hba.conf"
    chmod 600 "$PG_DATA/o2c.conf" "$PG_DATA/pg_hba.conf"
}

pg_provision_spec() {
    local s
    printf 'v1 port=%s\n' "$PG_PORT"
    for s in "${SERVICES[@]}"; do printf '%s %s\n' "$s" "$(secret "pg_o2c_$s")"; done
}

# Roles and databases, one per service. Idempotent; skipped when the marker
# says it was already done for this set of services and passwords.
# Sets PG_PROVISIONED=1 when it ran.
PG_PROVISIONED=0
pg_provision() {
    PG_PROVISIONED=0
    local marker="$PG_DIR/provisioned" want
    want="$(pg_provision_spec | sha256sum | cut -d' ' -f1)"
    if [[ -f "$marker" && "$(cat "$marker")" == "$want" ]]; then
        local n
        n="$(pg_admin_psql -d postgres -tA -c "SELECT count(*) FROM pg_database WHERE datname LIKE 'o2c\_%'" 2>/dev/null || echo 0)"
        [[ "$n" == "${#SERVICES[@]}" ]] && return 0
    fi
    log "postgres: provisioning roles and databases (${SERVICES[*]})"
    {
        echo "REVOKE CONNECT ON DATABASE postgres FROM PUBLIC;"
        echo "REVOKE CONNECT ON DATABASE template1 FROM PUBLIC;"
        local s pw
        for s in "${SERVICES[@]}"; do
            pw="$(secret "pg_o2c_$s")"
            cat <<EOF
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'o2c_$s') THEN
    CREATE ROLE o2c_$s LOGIN PASSWORD '$pw';
  ELSE
    ALTER ROLE o2c_$s LOGIN PASSWORD '$pw';
  END IF;
END
\$\$;
SELECT 'CREATE DATABASE o2c_$s OWNER o2c_$s' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'o2c_$s')
\\gexec
ALTER DATABASE o2c_$s OWNER TO o2c_$s;
REVOKE ALL ON DATABASE o2c_$s FROM PUBLIC;
GRANT ALL ON DATABASE o2c_$s TO o2c_$s;
EOF
        done
    } | pg_admin_psql -d postgres -f - >/dev/null
    printf '%s' "$want" >"$marker"
    PG_PROVISIONED=1
}

PG_STARTED=0
pg_start() {
    local t0
    t0="$(now)"
    PG_STARTED=0
    pg_init_once
    if pg_running; then log "postgres: already running (pid $(pg_pid))"; return 0; fi
    port_open "$PG_PORT" && die "postgres: port $PG_PORT is already in use by another process (set O2C_PG_PORT)"
    pg_write_config
    # -w -t: pg_ctl itself waits for the server to accept connections.
    pg_ctl_ -l "$PG_LOG" -w -t "$PG_READY_TIMEOUT" start >/dev/null \
        || { tail -n 30 "$PG_LOG" >&2; die "postgres did not start (log: $PG_LOG)"; }
    local deadline=$((SECONDS + PG_READY_TIMEOUT))
    until "$(pg_bin)/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; do
        ((SECONDS < deadline)) || die "postgres not ready after ${PG_READY_TIMEOUT}s"
        sleep 0.2
    done
    PG_STARTED=1
    log "postgres: ready on 127.0.0.1:$PG_PORT (pid $(pg_pid), $(elapsed "$t0"))"
}

pg_stop() {
    if ! pg_running; then log "postgres: not running"; return 0; fi
    log "postgres: stopping (pg_ctl stop -m fast)"
    pg_ctl_ stop -m fast -w -t 60 >/dev/null
    log "postgres: stopped"
}

# ------------------------------------------------------------------ redis ---

redis_pid() {
    local pid
    [[ -f "$REDIS_PID" ]] || return 1
    pid="$(cat "$REDIS_PID")"
    pid_alive "$pid" && cmdline_has "$pid" "redis-server" || return 1
    printf '%s' "$pid"
}

redis_running() { redis_pid >/dev/null; }

redis_cli() { timeout 10 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }

REDIS_STARTED=0
redis_start() {
    local t0
    t0="$(now)"
    REDIS_STARTED=0
    if redis_running; then log "redis: already running (pid $(redis_pid))"; return 0; fi
    port_open "$REDIS_PORT" && die "redis: port $REDIS_PORT is already in use by another process (set O2C_REDIS_PORT)"
    mkdir -p "$REDIS_DATA"
    cat >"$REDIS_CONF" <<EOF
# Generated by deploy/local/stack.sh -- edits are overwritten on every start.
bind 127.0.0.1
port $REDIS_PORT
protected-mode yes
daemonize yes
supervised no
pidfile $REDIS_PID
logfile $REDIS_LOG
loglevel notice
dir $REDIS_DATA
appendonly yes
appendfsync everysec
save 3600 1 300 100 60 10000
databases 16
EOF
    private_logs
    (umask 077; redis-server "$REDIS_CONF" 9>&-) || die "redis-server failed to start (log: $REDIS_LOG)"
    local deadline=$((SECONDS + REDIS_READY_TIMEOUT))
    until [[ "$(redis_cli ping 2>/dev/null)" == "PONG" ]]; do
        ((SECONDS < deadline)) || { tail -n 20 "$REDIS_LOG" >&2; die "redis not ready after ${REDIS_READY_TIMEOUT}s"; }
        sleep 0.2
    done
    for _ in $(seq 50); do redis_running && break; sleep 0.1; done
    REDIS_STARTED=1
    log "redis: ready on 127.0.0.1:$REDIS_PORT (pid $(redis_pid || echo '?'), $(elapsed "$t0"))"
}

redis_stop() {
    local pid
    if ! pid="$(redis_pid)"; then log "redis: not running"; return 0; fi
    log "redis: stopping (SHUTDOWN)"
    redis_cli shutdown >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 30))
    while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
    if pid_alive "$pid"; then warn "redis did not exit; SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
    log "redis: stopped"
}

# -------------------------------------------------------------------- env ---

ENV_CHANGED=0
write_env() {
    local s up tmp="$ENV_FILE.tmp"
    ENV_CHANGED=0
    (
        umask 077
        {
            echo "# Generated by deploy/local/stack.sh up -- contains passwords, never commit."
            echo "O2C_STACK_DIR=$STACK"
            # the services, services.sh and the demo of this copy take their ports from it
            echo "O2C_PORT_OFFSET=$PORT_OFFSET"
            echo "O2C_KAFKA_BOOTSTRAP=127.0.0.1:$KAFKA_PORT"
            # What make's tests, the demo driver and bench/ authenticate as: the test fixtures' user (its ACLs:
            # the per-run prefixes only). services.sh gives each service its own user instead.
            echo "O2C_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT"
            echo "O2C_KAFKA_SASL_MECHANISM=SCRAM-SHA-512"
            echo "O2C_KAFKA_SASL_USERNAME=$KAFKA_TEST_USER"
            echo "O2C_KAFKA_SASL_PASSWORD=$(kafka_password "$KAFKA_TEST_USER")"
            echo "O2C_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
            echo "O2C_PG_ADMIN_URL=postgresql://o2c_admin:$(secret pg_o2c_admin)@127.0.0.1:$PG_PORT/postgres"
            for s in "${SERVICES[@]}"; do
                up="$(tr '[:lower:]' '[:upper:]' <<<"$s")"
                echo "O2C_${up}_DATABASE_URL=postgresql+asyncpg://o2c_$s:$(secret "pg_o2c_$s")@127.0.0.1:$PG_PORT/o2c_$s"
            done
            # seals each webhook subscription's own signing secret at rest (notify refuses to start without it)
            echo "O2C_NOTIFY_WEBHOOK_SECRETS_KEY=$(secret notify_webhook_secrets_key)"
            obs_env
        } >"$tmp"
    )
    if [[ -f "$ENV_FILE" ]] && cmp -s "$tmp" "$ENV_FILE"; then
        rm -f "$tmp"
        return 0
    fi
    mv "$tmp" "$ENV_FILE"
    ENV_CHANGED=1
}

run_create_topics() {
    local script="$SCRIPT_DIR/create_topics.sh"
    if [[ ! -x "$script" ]]; then return 0; fi
    log "kafka: running deploy/local/create_topics.sh"
    # shellcheck disable=SC1090
    (set -a; . "$ENV_FILE"; set +a
     export O2C_KAFKA_PORT="$KAFKA_PORT" O2C_KAFKA_CONTROLLER_PORT="$KAFKA_CONTROLLER_PORT" O2C_PG_PORT="$PG_PORT" O2C_REDIS_PORT="$REDIS_PORT"
     # topic creation is the admin's (no service or test user may create the registry's topics)
     set -a; . "$KAFKA_ADMIN_ENV"; set +a
     "$script" 9>&-)
}

# --------------------------------------------------------------- commands ---

cmd_up() {
    with_lock
    local t0 ti started=() changed=0 t_kafka t_pg t_redis
    local dt_install="" dt_kafka="" dt_pg="" dt_redis=""
    t0="$(now)"
    if install_needed; then
        ti="$(now)"
        cmd_install
        dt_install="$(elapsed "$ti")"
    fi

    # Kafka's JVM takes longest: spawn it first, start the others while it boots. A broker running with another
    # configuration (a stack from before SASL/SCRAM) is restarted with this one: the upgrade happens in place.
    if kafka_running && { kafka_config_changed || kafka_admin_unknown; }; then
        log "kafka: its configuration changed (SASL/SCRAM, ACLs): restarting it"
        kafka_stop
    fi
    t_kafka="$(now)"
    kafka_spawn
    ((KAFKA_SPAWNED)) && log "kafka: starting (pid $(cat "$KAFKA_PID"))"

    t_pg="$(now)"
    pg_start
    if ((PG_STARTED)); then started+=(postgres); dt_pg="$(elapsed "$t_pg")"; fi
    pg_provision
    ((PG_PROVISIONED)) && changed=1

    t_redis="$(now)"
    redis_start
    if ((REDIS_STARTED)); then started+=(redis); dt_redis="$(elapsed "$t_redis")"; fi

    if ((KAFKA_SPAWNED)); then
        kafka_wait_ready
        started+=(kafka)
        dt_kafka="$(elapsed "$t_kafka")"
        log "kafka: ready on 127.0.0.1:$KAFKA_PORT (pid $(kafka_pid), $dt_kafka since spawn)"
    else
        log "kafka: already running (pid $(kafka_pid))"
        kafka_write_client_files
        kafka_ready || die "kafka process is running but does not answer a metadata request on $KAFKA_PORT"
    fi
    kafka_scram_sync
    ((KAFKA_SCRAM_CHANGED)) && changed=1
    kafka_acls_sync
    ((KAFKA_ACLS_CHANGED)) && changed=1

    obs_start
    ((${#OBS_STARTED[@]})) && started+=("${OBS_STARTED[@]}")

    write_env
    ((ENV_CHANGED)) && changed=1
    private_logs
    # Every `up` (not only when Kafka was started), so topics added to the
    # script are created on a running broker; the script must be idempotent.
    run_create_topics

    echo
    if ((${#started[@]} == 0 && changed == 0)); then
        log "everything is already up; nothing changed ($(elapsed "$t0"))"
    else
        log "up in $(elapsed "$t0")${dt_install:+ (install $dt_install)}; started: ${started[*]:-none}"
        if [[ -n "$dt_kafka" ]]; then log "  kafka    ready after $dt_kafka"; fi
        if [[ -n "$dt_pg" ]]; then log "  postgres ready after $dt_pg"; fi
        if [[ -n "$dt_redis" ]]; then log "  redis    ready after $dt_redis"; fi
    fi
    cmd_status || true
    log "env file: $ENV_FILE   (use: set -a; . $ENV_FILE; set +a)"
}

cmd_down() {
    with_lock
    obs_stop
    kafka_stop
    redis_stop
    pg_stop
}

cmd_status() {
    local all_up=0 pid topics md n_int n_all
    if pid="$(kafka_pid)"; then
        if md="$(kafka_metadata)"; then
            n_all="$(grep -c . <<<"$md" || true)"
            n_int="$(grep -c '^__' <<<"$md" || true)"
            topics="topics=$((n_all - n_int)) (+$n_int internal)"
        else
            topics="NOT ANSWERING metadata requests"; all_up=1
        fi
        printf '%-9s up    pid=%-8s port=%-6s rss=%-9s %s\n' kafka "$pid" "$KAFKA_PORT" "$(rss_mib "$pid")" "$topics"
    else
        printf '%-9s down  port=%s\n' kafka "$KAFKA_PORT"; all_up=1
    fi
    if [[ -f "$PG_DATA/PG_VERSION" ]] && pid="$(pg_pid)"; then
        printf '%-9s up    pid=%-8s port=%-6s rss=%-9s (with backends: %s)\n' postgres "$pid" "$PG_PORT" "$(rss_mib "$pid")" "$(tree_rss "$pid")"
    else
        printf '%-9s down  port=%s\n' postgres "$PG_PORT"; all_up=1
    fi
    if pid="$(redis_pid)"; then
        printf '%-9s up    pid=%-8s port=%-6s rss=%-9s keys=%s\n' redis "$pid" "$REDIS_PORT" "$(rss_mib "$pid")" "$(redis_cli dbsize 2>/dev/null || echo '?')"
    else
        printf '%-9s down  port=%s\n' redis "$REDIS_PORT"; all_up=1
    fi
    obs_status || all_up=1
    ((all_up == 0)) || return 3
}

cmd_logs() {
    local which="${1:-all}" follow=()
    [[ "${2:-}" == "-f" || "$which" == "-f" ]] && follow=(-F)
    [[ "$which" == "-f" ]] && which=all
    local files=()
    case "$which" in
        kafka) files=("$KAFKA_LOGS/server.log" "$KAFKA_OUT") ;;
        postgres | pg) files=("$PG_LOG") ;;
        redis) files=("$REDIS_LOG") ;;
        all) files=("$KAFKA_LOGS/server.log" "$PG_LOG" "$REDIS_LOG") ;;
        *) die "logs: unknown server '$which' (kafka|postgres|redis)" ;;
    esac
    local existing=() f
    for f in "${files[@]}"; do [[ -f "$f" ]] && existing+=("$f"); done
    ((${#existing[@]})) || die "no log files yet under $STACK"
    tail -n "${O2C_LOG_LINES:-50}" "${follow[@]}" "${existing[@]}"
}

# Partner onboarding (docs/operations.md): a SCRAM user, its own order-status topic, READ on that topic only and
# its own consumer-group prefix. Prints the credentials file to hand over.
cmd_partner() {
    local action="${1:-}" name="${2:-}" prefix="" topic partitions user pw file
    [[ "${3:-}" == --topic-prefix ]] && prefix="${4:-}"  # a test run's: its services publish under the prefix
    [[ "$action" == add && -n "$name" ]] || die "usage: $0 partner add NAME [--topic-prefix PREFIX]"
    [[ -z "$prefix" || "$prefix" =~ ^[A-Za-z0-9.-]+$ ]] || die "topic prefix '$prefix': letters, digits, '.', '-'"
    [[ "$name" =~ ^[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?$ ]] \
        || die "partner name '$name': letters, digits and inner hyphens, at most 64"
    kafka_running && kafka_ready || die "kafka is not up: run 'make up' first"
    user="partner-$name"
    read -r topic partitions < <("$PYTHON" -c 'import sys; from o2c.contracts import access as a
print(sys.argv[2] + a.partner_topic_name(sys.argv[1]), a.PARTNER_PARTITIONS)' "$name" "$prefix")
    pw="$(kafka_password "$user")"
    kafka_scram_set "$user" >/dev/null
    kafka_tool org.apache.kafka.tools.TopicCommand --create --if-not-exists --topic "$topic" --partitions "$partitions" \
        --replication-factor 1 --config retention.ms=-1 >/dev/null || die "partner $name: could not create $topic"
    (set -a; . "$KAFKA_ADMIN_ENV"; set +a; "$PYTHON" "$SCRIPT_DIR/kafka_access.py" partner "$name" $prefix 9>&-) \
        || die "partner $name: could not grant the ACLs"
    mkdir -p "$PARTNERS_DIR"
    chmod 700 "$PARTNERS_DIR"
    file="$PARTNERS_DIR/$name.env"
    (
        umask 077
        printf '%s\n' "# Kafka credentials of partner $name (deploy/local/stack.sh partner add) -- secret, never commit." \
            "O2C_KAFKA_BOOTSTRAP=127.0.0.1:$KAFKA_PORT" "O2C_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT" \
            "O2C_KAFKA_SASL_MECHANISM=SCRAM-SHA-512" "O2C_KAFKA_SASL_USERNAME=$user" "O2C_KAFKA_SASL_PASSWORD=$pw" \
            "O2C_PARTNER_TOPIC=$topic" "O2C_PARTNER_GROUP_PREFIX=partner-$name" \
            "# the same for the reference subscriber (examples/partner-subscriber)" \
            "O2C_PARTNER_NAME=$name" "O2C_PARTNER_BOOTSTRAP=127.0.0.1:$KAFKA_PORT" "O2C_PARTNER_USERNAME=$user" \
            "O2C_PARTNER_PASSWORD=$pw" "O2C_PARTNER_TOPIC_PREFIX=$prefix" >"$file.tmp"
    )
    mv "$file.tmp" "$file"
    log "partner $name: user $user reads $topic in consumer groups partner-$name, partner-$name.*"
    printf '%s\n' "$file"
}

cmd_reset() {
    cmd_down
    [[ -f "$STACK_MARKER" ]] || die "$STACK does not look like a stack dir (no .o2c-stack); refusing to wipe"
    log "reset: wiping state in $STACK (keeping downloaded Kafka jars)"
    local e
    for e in "$STACK"/* "$STACK"/.[!.]*; do
        [[ -e "$e" ]] || continue
        case "$(basename "$e")" in
            .o2c-stack | .lock) ;;
            kafka)
                find "$e" -mindepth 1 -maxdepth 1 ! -name libs -exec rm -rf {} + ;;
            *) rm -rf "$e" ;;
        esac
    done
    rm -rf "/tmp/o2c-pg-$(printf '%s' "$STACK" | sha256sum | cut -c1-12)"
    log "reset done; run '$0 up' to start from scratch"
}

usage() { sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

main() {
    local cmd="${1:-}"
    [[ $# -gt 0 ]] && shift
    case "$cmd" in
        install) with_lock; cmd_install ;;
        up) cmd_up ;;
        down) cmd_down ;;
        status) cmd_status ;;
        logs) cmd_logs "$@" ;;
        reset) cmd_reset ;;
        kafka-start) with_lock; kafka_start ;;
        kafka-stop) with_lock; kafka_stop ;;
        pg-start) with_lock; pg_start; pg_provision ;;
        pg-stop) with_lock; pg_stop ;;
        redis-start) with_lock; redis_start ;;
        redis-stop) with_lock; redis_stop ;;
        obs-start) with_lock; obs_start ;;
        obs-stop) with_lock; obs_stop ;;
        kafka-topics) kafka_tool org.apache.kafka.tools.TopicCommand "$@" ;;
        kafka-consumer-groups) kafka_tool org.apache.kafka.tools.consumer.group.ConsumerGroupCommand "$@" ;;
        kafka-run) kafka_classpath_java "$@" ;;
        partner) with_lock; cmd_partner "$@" ;;
        env) [[ -f "$ENV_FILE" ]] || die "no env file yet: run '$0 up'"; printf '%s\n' "$ENV_FILE" ;;
        -h | --help | help | "") usage ;;
        *) usage >&2; die "unknown command: $cmd" ;;
    esac
}

main "$@"
