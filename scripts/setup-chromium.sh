#!/usr/bin/env bash
# Finds (or installs) the Chromium that the web view's browser tests drive
# with playwright-core (test/integration/web-view.test.ts); playwright's own
# browser download is never used. Prints the binary's path on its last line.
#
#   TEMPOFLOW_CHROMIUM=/path/to/chromium  use that binary
#   otherwise: chromium or chromium-browser on PATH, else `apt-get install
#   chromium` (Debian's package; as root, or through sudo without a password)
set -euo pipefail

found() {
  echo "chromium: $1 ($("$1" --version 2>/dev/null | head -n1 || echo 'version unknown'))" >&2
  echo "$1"
  exit 0
}

if [ -n "${TEMPOFLOW_CHROMIUM:-}" ]; then
  [ -x "$TEMPOFLOW_CHROMIUM" ] || { echo "TEMPOFLOW_CHROMIUM=$TEMPOFLOW_CHROMIUM is not an executable file" >&2; exit 1; }
  found "$TEMPOFLOW_CHROMIUM"
fi
for name in chromium chromium-browser; do
  if path=$(command -v "$name"); then found "$path"; fi
done

if ! command -v apt-get >/dev/null; then
  echo "no chromium found and no apt-get to install it: install Chromium and set TEMPOFLOW_CHROMIUM to its binary" >&2
  exit 1
fi
if [ "$(id -u)" = "0" ]; then as_root=(); elif sudo -n true 2>/dev/null; then as_root=(sudo -n); else
  echo "no chromium found: run \`sudo apt-get install chromium\` (or set TEMPOFLOW_CHROMIUM)" >&2
  exit 1
fi
echo "installing Debian's chromium (apt-get install chromium)..." >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq -o DPkg::Lock::Timeout=600 >&2
"${as_root[@]}" apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 chromium >&2
for name in chromium chromium-browser; do
  if path=$(command -v "$name"); then found "$path"; fi
done
echo "apt-get installed chromium but no chromium binary is on PATH" >&2
exit 1
