#!/usr/bin/env bash
# A real Temporal cluster on one machine, without Docker, in the production shape:
#
#   postgres   a private PostgreSQL instance (its own data directory and port, started
#              with pg_ctl as the `postgres` user when run as root) — never the system one
#   frontend, history, matching, worker
#              the Temporal server's four services as separate processes, all reading
#              deploy/temporal/config.yaml (the file docker-compose.yml mounts too)
#   ui         the Temporal Web UI server (deploy/ui/config.yaml)
#
# plus the schemas (deploy/temporal/setup-schema.sh: temporal + temporal_visibility
# databases) and the default namespace with tempoflow's search attributes
# (deploy/temporal/setup-namespace.sh). State lives in ${TEMPOFLOW_CLUSTER_DIR:-.tempoflow/cluster}.
#
#   scripts/cluster.sh up                 start whatever is not running (builds binaries once)
#   scripts/cluster.sh down [--purge]     stop everything (--purge also deletes the data)
#   scripts/cluster.sh status             each process, its pid and address
#   scripts/cluster.sh env                TEMPORAL_ADDRESS=... lines for `eval`/`export`
#   scripts/cluster.sh start|stop|restart <postgres|frontend|history|matching|worker|ui>
#   scripts/cluster.sh kill <service>     SIGKILL one process (fault tests)
#   scripts/cluster.sh pid <service>      its pid, exit code 1 when it is not running
#
# `up` is idempotent: it prints the addresses and returns at once when all is running.
# docs/deploy.md explains the layout; TEMPOFLOW_CLUSTER_IP (default 127.0.0.1) is the
# address the services listen on.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${TEMPOFLOW_CLUSTER_DIR:-$ROOT/.tempoflow/cluster}
SERVICES=(history matching frontend worker)
ALL=(postgres "${SERVICES[@]}" ui)

say() { printf '[cluster] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# --- state: ports and passwords, chosen once ----------------------------------------

# Picks, for each preferred port, that port when it is free on the bind address, else a
# free one between 20000 and 32767 (Temporal stores membership ports as a PostgreSQL
# smallint, so the kernel's ephemeral ports do not fit); prints them space-separated.
pick_ports() {
  node -e '
const net = require("node:net");
const [ip, ...want] = process.argv.slice(1);
const taken = new Set();
const free = (p) => new Promise((res) => {
  const s = net.createServer();
  s.once("error", () => res(false));
  s.listen(p, ip, () => s.close(() => res(true)));
});
(async () => {
  const out = [];
  for (const p of want.map(Number)) {
    let got = p;
    while (taken.has(got) || !(await free(got))) got = 20000 + Math.floor(Math.random() * 12768);
    taken.add(got);
    out.push(got);
  }
  console.log(out.join(" "));
})();' "$@"
}

random_secret() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }

load_state() {
  mkdir -p "$DIR/logs" "$DIR/run"
  if [ ! -f "$DIR/cluster.env" ]; then
    local ip=${TEMPOFLOW_CLUSTER_IP:-127.0.0.1} ports
    command -v node >/dev/null || die "node is needed to pick free ports"
    # frontend gRPC/HTTP/membership, history, matching, worker (gRPC, membership), UI, PostgreSQL
    read -r -a ports < <(pick_ports "$ip" 7233 7243 6933 7234 6934 7235 6935 7239 6939 8080 5433)
    umask 077
    cat >"$DIR/cluster.env" <<EOF
# Written once by scripts/cluster.sh up; delete the cluster (down --purge) to change it.
CLUSTER_IP=$ip
FRONTEND_GRPC_PORT=${ports[0]}
FRONTEND_HTTP_PORT=${ports[1]}
FRONTEND_MEMBERSHIP_PORT=${ports[2]}
HISTORY_GRPC_PORT=${ports[3]}
HISTORY_MEMBERSHIP_PORT=${ports[4]}
MATCHING_GRPC_PORT=${ports[5]}
MATCHING_MEMBERSHIP_PORT=${ports[6]}
WORKER_GRPC_PORT=${ports[7]}
WORKER_MEMBERSHIP_PORT=${ports[8]}
UI_PORT=${ports[9]}
PG_PORT=${ports[10]}
PG_SUPERUSER_PASSWORD=$(random_secret)
TEMPORAL_DB_PASSWORD=$(random_secret)
NUM_HISTORY_SHARDS=${NUM_HISTORY_SHARDS:-4}
EOF
    umask 022
  fi
  # shellcheck disable=SC1091
  source "$DIR/cluster.env"
  CONNECT_IP=$CLUSTER_IP
  [ "$CLUSTER_IP" = 0.0.0.0 ] && CONNECT_IP=127.0.0.1
  TEMPORAL_ADDRESS="$CONNECT_IP:$FRONTEND_GRPC_PORT"
  UI_URL="http://$CONNECT_IP:$UI_PORT"
}

# --- binaries --------------------------------------------------------------------

pg_bin() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/pg_ctl" ] && { echo "$d"; return; }
  done
  command -v pg_ctl >/dev/null 2>&1 && dirname "$(readlink -f "$(command -v pg_ctl)")"
}

ensure_binaries() {
  PG_BIN=$(pg_bin || true)
  if [ -z "$PG_BIN" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      say "installing PostgreSQL (apt-get install postgresql)"
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql >&2 ||
        { DEBIAN_FRONTEND=noninteractive apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql >&2; }
      PG_BIN=$(pg_bin || true)
    fi
    [ -n "$PG_BIN" ] || die "PostgreSQL is not installed (pg_ctl not found); install it (Debian: apt-get install postgresql)"
  fi
  local line
  while IFS= read -r line; do
    case "$line" in TEMPORAL_SERVER=* | TEMPORAL_SQL_TOOL=* | TEMPORAL_UI_SERVER=*) export "${line?}" ;; esac
  done < <(bash "$ROOT/scripts/setup-temporal-server.sh")
  TEMPORAL_CLI=$(bash "$ROOT/scripts/setup-temporal.sh" | tail -n1)
  [ -n "${TEMPORAL_SERVER:-}" ] && [ -n "${TEMPORAL_SQL_TOOL:-}" ] && [ -n "${TEMPORAL_UI_SERVER:-}" ] && [ -n "$TEMPORAL_CLI" ] ||
    die "the Temporal binaries are not available (see above)"
}

# --- processes -------------------------------------------------------------------

# as_pg <cmd>...: runs a PostgreSQL command as the data directory's owner (PostgreSQL
# refuses to run as root).
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# PostgreSQL's folder (data directory and log): $DIR/postgres, or where that symlink
# points when the postgres user cannot reach $DIR (e.g. a clone under /root).
PG_HOME() {
  if [ -L "$DIR/postgres" ]; then readlink -f "$DIR/postgres"; else echo "$DIR/postgres"; fi
}

pid_of() { # prints the pid of a running service, or fails
  local svc=$1 pid
  if [ "$svc" = postgres ]; then
    [ -f "$(PG_HOME)/data/postmaster.pid" ] || return 1
    pid=$(head -n1 "$(PG_HOME)/data/postmaster.pid" 2>/dev/null) || return 1
    [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q postgres || return 1
  else
    [ -f "$DIR/run/$svc.pid" ] || return 1
    pid=$(cat "$DIR/run/$svc.pid")
    [ -r "/proc/$pid/cmdline" ] || return 1
    case "$svc" in
      ui) tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "deploy/ui" || return 1 ;;
      *) tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "--service=$svc" || return 1 ;;
    esac
    [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
  fi
  echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_ready() { # svc: its port accepts connections
  local svc=$1 port deadline=$(($(date +%s) + 120))
  port=$(ready_port_of "$svc")
  until port_open "$CONNECT_IP" "$port"; do
    if ! pid_of "$svc" >/dev/null; then
      tail -n 5 "$DIR/logs/$svc.log" >&2
      die "$svc exited (log: $DIR/logs/$svc.log)"
    fi
    [ "$(date +%s)" -lt "$deadline" ] || die "$svc did not open $CONNECT_IP:$port within 120 s (log: $DIR/logs/$svc.log)"
    sleep 0.3
  done
}

start_postgres() {
  local home data
  home=$(PG_HOME)
  data="$home/data"
  if [ ! -f "$data/PG_VERSION" ]; then
    if [ "$(id -u)" = 0 ] && [ ! -e "$DIR/postgres" ] && ! runuser -u postgres -- test -x "$DIR"; then
      # A parent of $DIR is closed to other users: keep the data where postgres can reach it.
      local elsewhere
      elsewhere="/var/lib/tempoflow/cluster-$(printf '%s' "$DIR" | cksum | cut -d' ' -f1)/postgres"
      say "the postgres user cannot reach $DIR; PostgreSQL's data goes to $elsewhere"
      mkdir -p "$elsewhere"
      chmod 755 "$(dirname "$(dirname "$elsewhere")")" "$(dirname "$elsewhere")"
      ln -s "$elsewhere" "$DIR/postgres"
      home=$elsewhere
      data="$home/data"
    fi
    mkdir -p "$home"
    [ "$(id -u)" = 0 ] && chown postgres: "$home"
    chmod 700 "$home"
    say "initialising PostgreSQL in $data"
    local pwfile="$home/.pwfile"
    (umask 077 && printf '%s\n' "$PG_SUPERUSER_PASSWORD" >"$pwfile")
    [ "$(id -u)" = 0 ] && chown postgres: "$pwfile"
    as_pg "$PG_BIN/initdb" -D "$data" --username=postgres --pwfile="$pwfile" --auth=scram-sha-256 \
      --encoding=UTF8 --locale=C >"$DIR/logs/initdb.log" 2>&1 || { rm -f "$pwfile"; die "initdb failed (see $DIR/logs/initdb.log)"; }
    rm -f "$pwfile"
    echo "include_if_exists = 'tempoflow.conf'" | as_pg tee -a "$data/postgresql.conf" >/dev/null
  fi
  # Rewritten on every start: TCP only (no socket shared with the system instance),
  # enough connections for four services (each up to 20 + 10 visibility connections).
  as_pg tee "$data/tempoflow.conf" >/dev/null <<EOF
listen_addresses = '$CLUSTER_IP'
port = $PG_PORT
unix_socket_directories = ''
max_connections = 200
EOF
  if pid_of postgres >/dev/null; then return; fi
  say "starting PostgreSQL on $CONNECT_IP:$PG_PORT"
  as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$home/postgres.log" -w -t 60 start >/dev/null ||
    die "PostgreSQL did not start (log: $home/postgres.log)"
}

psql_super() {
  PGPASSWORD=$PG_SUPERUSER_PASSWORD "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$CONNECT_IP" -p "$PG_PORT" -U postgres -d postgres -tA "$@"
}

setup_database() {
  if [ "$(psql_super -c "SELECT 1 FROM pg_roles WHERE rolname = 'temporal'")" != 1 ]; then
    say "creating the PostgreSQL role temporal"
    psql_super -c "CREATE ROLE temporal LOGIN CREATEDB PASSWORD '$TEMPORAL_DB_PASSWORD'"
  fi
  POSTGRES_SEEDS=$CONNECT_IP DB_PORT=$PG_PORT POSTGRES_USER=temporal SQL_PASSWORD=$TEMPORAL_DB_PASSWORD \
    TEMPORAL_SQL_TOOL=$TEMPORAL_SQL_TOOL bash "$ROOT/deploy/temporal/setup-schema.sh" >"$DIR/logs/setup-schema.log" 2>&1 ||
    die "schema setup failed (see $DIR/logs/setup-schema.log)"
}

# The environment deploy/temporal/config.yaml reads (names of Temporal's Docker images).
temporal_env() {
  export BIND_ON_IP=$CLUSTER_IP TEMPORAL_BROADCAST_ADDRESS=$CONNECT_IP
  export POSTGRES_SEEDS=$CONNECT_IP DB_PORT=$PG_PORT POSTGRES_USER=temporal POSTGRES_PWD=$TEMPORAL_DB_PASSWORD
  export NUM_HISTORY_SHARDS FRONTEND_GRPC_PORT FRONTEND_HTTP_PORT FRONTEND_MEMBERSHIP_PORT
  export HISTORY_GRPC_PORT HISTORY_MEMBERSHIP_PORT MATCHING_GRPC_PORT MATCHING_MEMBERSHIP_PORT
  export WORKER_GRPC_PORT WORKER_MEMBERSHIP_PORT
  export DYNAMIC_CONFIG_FILE_PATH="$ROOT/deploy/temporal/dynamicconfig.yaml"
  export LOG_LEVEL=${TEMPOFLOW_CLUSTER_LOG_LEVEL:-warn}
}

# The port a service is reachable at once it is up. The internal worker service serves
# no gRPC (its grpcPort only names it in the membership ring): its membership port.
ready_port_of() {
  case "$1" in
    frontend) echo "$FRONTEND_GRPC_PORT" ;; history) echo "$HISTORY_GRPC_PORT" ;;
    matching) echo "$MATCHING_GRPC_PORT" ;; worker) echo "$WORKER_MEMBERSHIP_PORT" ;; ui) echo "$UI_PORT" ;;
  esac
}

start_service() {
  local svc=$1
  if pid_of "$svc" >/dev/null; then return; fi
  say "starting $svc"
  echo "=== $(date -u +%FT%TZ) scripts/cluster.sh starts $svc" >>"$DIR/logs/$svc.log"
  (
    cd "$ROOT"
    if [ "$svc" = ui ]; then
      export TEMPORAL_ADDRESS TEMPORAL_UI_PORT=$UI_PORT TEMPORAL_UI_IP=$CLUSTER_IP
      exec setsid "$TEMPORAL_UI_SERVER" --root "$ROOT" --config deploy/ui --env config start
    else
      temporal_env
      exec setsid "$TEMPORAL_SERVER" --root "$ROOT" --config deploy/temporal --env config --allow-no-auth start --service="$svc"
    fi
  ) >>"$DIR/logs/$svc.log" 2>&1 </dev/null &
  echo $! >"$DIR/run/$svc.pid"
}

stop_service() { # svc signal
  local svc=$1 sig=${2:-TERM} pid i
  if [ "$svc" = postgres ]; then
    pid_of postgres >/dev/null || return 0
    say "stopping PostgreSQL"
    as_pg "$PG_BIN/pg_ctl" -D "$(PG_HOME)/data" -m fast -w -t 60 stop >/dev/null
    return
  fi
  pid=$(pid_of "$svc") || return 0
  say "stopping $svc ($pid, SIG$sig)"
  kill -"$sig" "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do
    pid_of "$svc" >/dev/null || break
    sleep 0.2
  done
  if pid_of "$svc" >/dev/null; then kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; fi
  rm -f "$DIR/run/$svc.pid"
}

setup_namespace() {
  TEMPORAL_ADDRESS=$TEMPORAL_ADDRESS TEMPORAL_CLI=$TEMPORAL_CLI bash "$ROOT/deploy/temporal/setup-namespace.sh" \
    >"$DIR/logs/setup-namespace.log" 2>&1 || die "namespace setup failed (see $DIR/logs/setup-namespace.log)"
}

print_addresses() {
  cat <<EOF
TEMPORAL_ADDRESS=$TEMPORAL_ADDRESS
TEMPORAL_NAMESPACE=default
TEMPORAL_UI_URL=$UI_URL
TEMPOFLOW_CLUSTER_POSTGRES=$CONNECT_IP:$PG_PORT
TEMPOFLOW_CLUSTER_DIR=$DIR
EOF
}

status() {
  local svc pid addr rc=0
  printf '%-9s %-8s %-8s %s\n' SERVICE STATE PID ADDRESS
  for svc in "${ALL[@]}"; do
    case "$svc" in
      postgres) addr="$CONNECT_IP:$PG_PORT" ;;
      ui) addr=$UI_URL ;;
      *) addr="$CONNECT_IP:$(ready_port_of "$svc")" ;;
    esac
    if pid=$(pid_of "$svc"); then printf '%-9s %-8s %-8s %s\n' "$svc" running "$pid" "$addr"
    else printf '%-9s %-8s %-8s %s\n' "$svc" stopped - "$addr"; rc=3; fi
  done
  return $rc
}

up() {
  ensure_binaries
  start_postgres
  setup_database
  local svc
  # One at a time, in this order: the first process to start on a fresh database
  # writes the cluster metadata, and concurrent first starts race for it.
  for svc in "${SERVICES[@]}"; do
    start_service "$svc"
    wait_ready "$svc"
  done
  setup_namespace
  start_service ui
  wait_ready ui
  say "cluster is up (logs in $DIR/logs)"
  status >&2 || true
  print_addresses
}

down() {
  local svc
  for svc in ui worker frontend matching history; do stop_service "$svc" TERM; done
  if [ -f "$(PG_HOME)/data/PG_VERSION" ]; then
    PG_BIN=$(pg_bin || true)
    [ -n "$PG_BIN" ] && stop_service postgres
  fi
  if [ "${1:-}" = --purge ]; then
    say "deleting $DIR"
    if [ -L "$DIR/postgres" ]; then
      local elsewhere
      elsewhere=$(PG_HOME)
      rm -rf "$elsewhere"
      rmdir "$(dirname "$elsewhere")" "$(dirname "$(dirname "$elsewhere")")" 2>/dev/null || true
    fi
    rm -rf "$DIR"
  fi
}

valid_service() {
  local s
  for s in "${ALL[@]}"; do [ "$s" = "${1:-}" ] && return 0; done
  die "unknown service '${1:-}'; one of: ${ALL[*]}"
}

cmd=${1:-}
shift || true
case "$cmd" in
  up) load_state; up ;;
  down) [ -f "$DIR/cluster.env" ] || { say "no cluster in $DIR"; exit 0; }; load_state; down "$@" ;;
  status) [ -f "$DIR/cluster.env" ] || { say "no cluster in $DIR (scripts/cluster.sh up)"; exit 3; }; load_state; status ;;
  env) [ -f "$DIR/cluster.env" ] || die "no cluster in $DIR (scripts/cluster.sh up)"; load_state; print_addresses ;;
  pid) valid_service "${1:-}"; load_state; pid_of "$1" ;;
  start | restart | stop | kill)
    valid_service "${1:-}"
    load_state
    PG_BIN=$(pg_bin || true)
    case "$cmd" in
      stop) stop_service "$1" TERM ;;
      kill)
        pid=$(pid_of "$1") || die "$1 is not running"
        say "SIGKILL $1 ($pid)"
        kill -KILL "$pid"
        ;;
      start | restart)
        ensure_binaries
        [ "$cmd" = restart ] && stop_service "$1" TERM
        if [ "$1" = postgres ]; then start_postgres; else start_service "$1"; wait_ready "$1"; fi
        ;;
    esac
    ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
