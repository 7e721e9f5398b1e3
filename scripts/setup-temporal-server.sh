#!/usr/bin/env bash
# Find or build the binaries of a real Temporal cluster (scripts/cluster.sh):
#   temporal-server     go.temporal.io/server/cmd/server          (frontend, history, matching, worker)
#   temporal-sql-tool   go.temporal.io/server/cmd/tools/sql       (schema setup; schemas are compiled in)
#   temporal-ui-server  github.com/temporalio/ui-server/v2/cmd/server  (the Web UI)
# The versions are those inside the Temporal CLI that scripts/setup-temporal.sh builds
# (server 1.29.1, UI 2.42.1), so the dev server and the cluster run the same server code.
#
# Lookup order for each: $TEMPORAL_SERVER_PATH / $TEMPORAL_SQL_TOOL_PATH /
# $TEMPORAL_UI_SERVER_PATH, then the binary of that name on PATH, then the cache
# ${TEMPOFLOW_CACHE_DIR:-~/.cache/tempoflow}/bin (the Temporal CLI's cache). Missing ones
# are built from the Go module proxy into the cache, under the same lock as the CLI
# build, so two builds never run at once.
#
# Prints three lines NAME=path (TEMPORAL_SERVER, TEMPORAL_SQL_TOOL, TEMPORAL_UI_SERVER).
# Idempotent: a second call returns at once. Exit code 0 on success, 1 otherwise.
set -euo pipefail

SERVER_VERSION="${TEMPORAL_SERVER_VERSION:-v1.29.1}"
UI_VERSION="${TEMPORAL_UI_SERVER_VERSION:-v2.42.1}"
CACHE_DIR="${TEMPOFLOW_CACHE_DIR:-$HOME/.cache/tempoflow}"
BIN="$CACHE_DIR/bin"

say() { printf '[setup-temporal-server] %s\n' "$*" >&2; }

# usable <path> <version-without-v>: executable and reports that version.
usable() { [ -n "${1:-}" ] && [ -x "$1" ] && "$1" --version 2>/dev/null | grep -qF "${2}"; }

# find <override-var> <name-on-path> <cached-name> <version>: prints a usable path or nothing.
find_bin() {
  local override=${!1:-} on_path
  if [ -n "$override" ]; then
    if usable "$override" "$4"; then echo "$override"; return; fi
    say "$1=$override is not an executable $3 ${4}; fix or unset it."
    exit 1
  fi
  if on_path=$(command -v "$2" 2>/dev/null) && usable "$on_path" "$4"; then echo "$on_path"; return; fi
  if usable "$BIN/$3" "$4"; then echo "$BIN/$3"; fi
}

resolve() {
  server=$(find_bin TEMPORAL_SERVER_PATH temporal-server temporal-server "${SERVER_VERSION#v}")
  sql_tool=$(find_bin TEMPORAL_SQL_TOOL_PATH temporal-sql-tool temporal-sql-tool "${SERVER_VERSION#v}")
  ui=$(find_bin TEMPORAL_UI_SERVER_PATH temporal-ui-server temporal-ui-server "${UI_VERSION#v}")
}

print() {
  echo "TEMPORAL_SERVER=$server"
  echo "TEMPORAL_SQL_TOOL=$sql_tool"
  echo "TEMPORAL_UI_SERVER=$ui"
}

resolve
if [ -n "$server" ] && [ -n "$sql_tool" ] && [ -n "$ui" ]; then
  print
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  say "The Temporal server binaries are missing and Go is not installed, so they cannot be built."
  say "Install Go (https://go.dev/dl/) and run this script again, or point TEMPORAL_SERVER_PATH,"
  say "TEMPORAL_SQL_TOOL_PATH and TEMPORAL_UI_SERVER_PATH at existing binaries."
  exit 1
fi

mkdir -p "$BIN"
# One Go build at a time per cache (shared with scripts/setup-temporal.sh, which also
# cleans Go's caches when it finishes): a second caller waits for the first.
exec 9>"$CACHE_DIR/build.lock"
if ! flock -n 9; then
  say "another build is running in $CACHE_DIR; waiting for it..."
  flock 9
  resolve
  if [ -n "$server" ] && [ -n "$sql_tool" ] && [ -n "$ui" ]; then
    print
    exit 0
  fi
fi

tmp_bin=$(mktemp -d "$CACHE_DIR/build.XXXXXX")
trap 'rm -rf "$tmp_bin"' EXIT

# go_install <gobin> <package@version>...: quiet about the hundreds of download lines.
go_install() {
  local gobin=$1
  shift
  GOBIN="$gobin" GOFLAGS=-modcacherw go install -trimpath -ldflags='-s -w' "$@" 2>&1 |
    while IFS= read -r line; do
      case "$line" in
        "go: downloading "*) ;;
        *) say "go: $line" ;;
      esac
    done
  return "${PIPESTATUS[0]}"
}

if [ -z "$server" ] || [ -z "$sql_tool" ]; then
  say "building temporal-server and temporal-sql-tool $SERVER_VERSION with $(go version | awk '{print $3}') into $BIN"
  say "this takes several minutes on 2 cores; it happens once per machine"
  start=$(date +%s)
  mkdir -p "$tmp_bin/server"
  if ! go_install "$tmp_bin/server" "go.temporal.io/server/cmd/server@$SERVER_VERSION" "go.temporal.io/server/cmd/tools/sql@$SERVER_VERSION"; then
    say "go install of the Temporal server failed (see above)"
    exit 1
  fi
  mv "$tmp_bin/server/server" "$BIN/temporal-server"
  mv "$tmp_bin/server/sql" "$BIN/temporal-sql-tool"
  say "built temporal-server and temporal-sql-tool in $(($(date +%s) - start)) s"
fi

if [ -z "$ui" ]; then
  say "building the Temporal UI server $UI_VERSION into $BIN"
  start=$(date +%s)
  mkdir -p "$tmp_bin/ui"
  if ! go_install "$tmp_bin/ui" "github.com/temporalio/ui-server/v2/cmd/server@$UI_VERSION"; then
    say "go install of the Temporal UI server failed (see above)"
    exit 1
  fi
  mv "$tmp_bin/ui/server" "$BIN/temporal-ui-server"
  say "built temporal-ui-server in $(($(date +%s) - start)) s"
fi

resolve
if [ -z "$server" ] || [ -z "$sql_tool" ] || [ -z "$ui" ]; then
  say "the build finished but did not produce working binaries of the expected versions"
  exit 1
fi

if [ "${TEMPOFLOW_KEEP_GO_CACHE:-0}" != "1" ]; then
  say "cleaning Go's build and module caches to spare disk (TEMPOFLOW_KEEP_GO_CACHE=1 keeps them)"
  go clean -cache -modcache >/dev/null 2>&1 || true
fi
print
