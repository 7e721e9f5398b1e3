#!/usr/bin/env bash
# Waits for the Temporal frontend, registers the namespace tempoflow runs in (unless
# it exists) and tempoflow's search attributes in it (TfWorkflow, TfReleaseType:
# Keyword; TfReleaseTime: Datetime — the list of src/client/search-attributes.ts,
# checked by test/unit/deploy/compose.test.ts). Idempotent.
#
# Run by scripts/cluster.sh on one machine and by the `temporal-setup-namespace`
# service of docker-compose.yml (temporalio/admin-tools image). Registering the
# attributes here means workers and CLIs need no operator rights on the cluster.
#
# Environment: TEMPORAL_ADDRESS (default 127.0.0.1:7233), TEMPORAL_NAMESPACE (default),
# TEMPORAL_NAMESPACE_RETENTION (7d), TEMPORAL_CLI (temporal), SETUP_TIMEOUT_SECONDS (120).
set -euo pipefail

cli=${TEMPORAL_CLI:-temporal}
export TEMPORAL_ADDRESS=${TEMPORAL_ADDRESS:-127.0.0.1:7233}
namespace=${TEMPORAL_NAMESPACE:-default}
retention=${TEMPORAL_NAMESPACE_RETENTION:-7d}
deadline=$(($(date +%s) + ${SETUP_TIMEOUT_SECONDS:-120}))

say() { printf '[setup-namespace] %s\n' "$*" >&2; }
# Retries a command until it succeeds or the deadline passes (services join the
# membership ring at their own pace, so the first calls may fail).
retry() {
  local out
  until out=$("$@" 2>&1); do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      say "gave up after ${SETUP_TIMEOUT_SECONDS:-120}s: $*"
      printf '%s\n' "$out" >&2
      return 1
    fi
    sleep 1
  done
}

say "waiting for the frontend at $TEMPORAL_ADDRESS"
retry "$cli" operator cluster health
if "$cli" operator namespace describe --namespace "$namespace" >/dev/null 2>&1; then
  say "namespace $namespace exists"
else
  say "creating namespace $namespace (retention $retention)"
  retry "$cli" operator namespace create --namespace "$namespace" --retention "$retention" \
    --description "tempoflow runs"
fi

# Search attributes: the namespace must be visible to the frontend's cache first.
retry "$cli" operator search-attribute list --namespace "$namespace"
existing=$("$cli" operator search-attribute list --namespace "$namespace" -o json)
add() { # type name...
  local type=$1 name missing=() flags=()
  shift
  for name in "$@"; do
    grep -q "\"$name\"" <<<"$existing" || { missing+=("$name"); flags+=(--name "$name"); }
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "registering ${missing[*]} ($type)"
    retry "$cli" operator search-attribute create --namespace "$namespace" --type "$type" "${flags[@]}"
  fi
}
add Keyword TfWorkflow TfReleaseType
add Datetime TfReleaseTime
say "namespace $namespace is ready for tempoflow"
