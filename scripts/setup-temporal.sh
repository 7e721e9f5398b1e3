#!/usr/bin/env bash
# Find or build the Temporal CLI (it contains the dev server and the Web UI).
#
# Lookup order:
#   1. $TEMPORAL_CLI_PATH
#   2. `temporal` on PATH
#   3. the cache outside the clone: ${TEMPOFLOW_CACHE_DIR:-~/.cache/tempoflow}/bin/temporal
# If none is found, it is built from the Go module proxy into the cache.
#
# Prints the path of the binary as its last line. Idempotent: a second call
# returns at once. Exit code 0 on success, 1 when no CLI can be had.
set -euo pipefail

TEMPORAL_CLI_VERSION="${TEMPORAL_CLI_VERSION:-v1.5.1}"
CACHE_DIR="${TEMPOFLOW_CACHE_DIR:-$HOME/.cache/tempoflow}"
CACHED_BIN="$CACHE_DIR/bin/temporal"

say() { printf '[setup-temporal] %s\n' "$*" >&2; }

usable() { [ -n "${1:-}" ] && [ -x "$1" ] && "$1" --version >/dev/null 2>&1; }

if [ -n "${TEMPORAL_CLI_PATH:-}" ]; then
  if usable "$TEMPORAL_CLI_PATH"; then
    echo "$TEMPORAL_CLI_PATH"
    exit 0
  fi
  say "TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not an executable Temporal CLI; fix or unset it."
  exit 1
fi

if on_path=$(command -v temporal 2>/dev/null) && usable "$on_path"; then
  echo "$on_path"
  exit 0
fi

if usable "$CACHED_BIN"; then
  echo "$CACHED_BIN"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  say "No Temporal CLI found and Go is not installed, so it cannot be built."
  say "Either install Go (https://go.dev/dl/) and run this script again,"
  say "or install the Temporal CLI (https://docs.temporal.io/cli) and put it on PATH,"
  say "or point TEMPORAL_CLI_PATH at an existing binary."
  exit 1
fi

mkdir -p "$CACHE_DIR/bin"
# One build at a time per cache: a second caller waits for the first.
exec 9>"$CACHE_DIR/build.lock"
if ! flock -n 9; then
  say "another build of the Temporal CLI is running; waiting for it..."
  flock 9
  if usable "$CACHED_BIN"; then
    echo "$CACHED_BIN"
    exit 0
  fi
fi

say "building Temporal CLI $TEMPORAL_CLI_VERSION with $(go version | awk '{print $3}') into $CACHE_DIR/bin"
say "this takes a few minutes on 2 cores; it happens once per machine"
start=$(date +%s)
tmp_bin=$(mktemp -d "$CACHE_DIR/build.XXXXXX")
trap 'rm -rf "$tmp_bin"' EXIT
# Only the CLI module itself may bypass the checksum database (when it is
# unreachable); its dependencies stay verified by its go.sum.
if ! GOBIN="$tmp_bin" GOFLAGS=-modcacherw GONOSUMDB="${GONOSUMDB:-github.com/temporalio/cli}" \
  go install -trimpath -ldflags='-s -w' "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION" 2>&1 |
  while IFS= read -r line; do
    case "$line" in
      "go: downloading "*) ;;  # hundreds of lines; summarised below
      *) say "go: $line" ;;
    esac
  done; then
  say "go install failed (see above)"
  exit 1
fi
if ! usable "$tmp_bin/temporal"; then
  say "go install finished but produced no working binary"
  exit 1
fi
mv "$tmp_bin/temporal" "$CACHED_BIN"
say "built in $(($(date +%s) - start)) s: $("$CACHED_BIN" --version)"

if [ "${TEMPOFLOW_KEEP_GO_CACHE:-0}" != "1" ]; then
  say "cleaning Go's build and module caches to spare disk (TEMPOFLOW_KEEP_GO_CACHE=1 keeps them)"
  go clean -cache -modcache >/dev/null 2>&1 || true
fi
echo "$CACHED_BIN"
