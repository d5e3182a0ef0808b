#!/usr/bin/env bash
# Mektep in a real browser: starts the demo on a fresh SQLite data folder and the NCALayer
# stand-in with the demo parent's keys, then runs the browser tests (node's test runner driving
# Debian's Chromium through playwright-core). Installs what is missing: Chromium, Node.js,
# poppler-utils and zbar-tools from Debian's packages, and the npm packages of e2e/ (npm ci).
# Exits non-zero when a test fails; the last lines are the test runner's summary.
#
#   MEKTEP_BIN         the binary to test (default: target/debug/mektep, built by the caller)
#   UPDATE_SCREENSHOTS=1  write the README's screenshots to docs/screenshots/
#   E2E_FILES          test files to run (default: every e2e/tests/*.test.js)
set -euo pipefail
E2E="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$E2E")"
cd "$ROOT"

BIN="${MEKTEP_BIN:-target/debug/mektep}"
RESULTS="$E2E/test-results"
NCALAYER_PORT=13579

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if [ ! -x "$BIN" ]; then
  echo "FAIL: no mektep binary at $BIN (build it with 'cargo build -p mektep' or set MEKTEP_BIN)" >&2
  exit 1
fi
if [ ! -x /usr/bin/chromium ]; then
  echo "== installing chromium (Debian)"
  apt_install chromium
fi
if ! command -v node >/dev/null 2>&1; then
  echo "== installing nodejs and npm (Debian)"
  apt_install nodejs npm
fi
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "FAIL: playwright-core needs Node.js 20 or newer; this is $(node --version)" >&2
  exit 1
fi
# PDF text and pages (the receipt's address, the README's picture) and the QR code reader.
command -v pdftotext >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 || { echo "== installing poppler-utils"; apt_install poppler-utils; }
command -v zbarimg >/dev/null 2>&1 || { echo "== installing zbar-tools (QR codes)"; apt_install zbar-tools; }
if [ ! -d "$E2E/node_modules/playwright-core" ] || [ ! -d "$E2E/node_modules/axe-core" ]; then
  echo "== npm ci (e2e)"
  (cd "$E2E" && npm ci --no-audit --no-fund --loglevel=error)
fi

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if port_busy "$NCALAYER_PORT"; then
  echo "FAIL: 127.0.0.1:$NCALAYER_PORT is taken (a running NCALayer or another test run?); the page's NCALayer client only talks to that port" >&2
  exit 1
fi
free_port() { node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

mkdir -p "$RESULTS"
DATA="$(mktemp -d "${TMPDIR:-/tmp}/mektep-e2e.XXXXXX")"
SERVER_PID=""
NCA_PID=""
cleanup() {
  if [ -n "$NCA_PID" ]; then kill "$NCA_PID" 2>/dev/null || true; { wait "$NCA_PID"; } 2>/dev/null || true; fi
  if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; { wait "$SERVER_PID"; } 2>/dev/null || true; fi
  rm -rf "$DATA"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits until FILE has a line matching PATTERN while PID lives; SECONDS at most.
wait_for_line() {
  local file=$1 pattern=$2 pid=$3 limit=$4 what=$5
  for _ in $(seq 1 $((limit * 5))); do
    grep -q "$pattern" "$file" 2>/dev/null && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "FAIL: $what stopped before it was ready:" >&2; tail -n 30 "$file" >&2; return 1
    fi
    sleep 0.2
  done
  echo "FAIL: $what not ready after ${limit}s:" >&2; tail -n 30 "$file" >&2; return 1
}

# The service reads its configuration from MEKTEP_* variables, DATABASE_URL and ./mektep.toml
# and refuses unknown keys: it runs in the data folder, without the caller's variables, on the
# defaults plus the flags below (SQLite in the data folder).
CLEAN_ENV="env -u DATABASE_URL $(compgen -e | { grep '^MEKTEP_' || true; } | sed 's/^/-u /' | tr '\n' ' ')"
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"
PORT="$(free_port)"
echo "== mektep serve --demo on 127.0.0.1:$PORT (data in $DATA, log in $RESULTS/server.log)"
(cd "$DATA" && exec $CLEAN_ENV RUST_LOG="${RUST_LOG:-warn}" "$BIN" serve --demo --data-dir "$DATA" --listen "127.0.0.1:$PORT") >"$RESULTS/server.log" 2>&1 &
SERVER_PID=$!
wait_for_line "$RESULTS/server.log" "Mektep is ready" "$SERVER_PID" 300 "mektep serve"

PEOPLE="$DATA/demo-pki/people"
echo "== NCALayer stand-in on wss://127.0.0.1:$NCALAYER_PORT with the demo parent's keys"
(cd "$DATA" && exec $CLEAN_ENV "$BIN" pki ncalayer --auth "$PEOPLE/parent-auth.pem" --sign "$PEOPLE/parent-sign.pem") >"$RESULTS/ncalayer.log" 2>&1 &
NCA_PID=$!
wait_for_line "$RESULTS/ncalayer.log" "NCALayer stand-in on" "$NCA_PID" 30 "the NCALayer stand-in"

echo "== browser tests"
export E2E_BASE_URL="http://127.0.0.1:$PORT" E2E_DATA_DIR="$DATA"
# shellcheck disable=SC2086
FILES=${E2E_FILES:-$(ls "$E2E"/tests/*.test.js)}
set +e
# A test that hangs (a browser waiting for something that never comes) fails after 3 minutes.
node --test --test-concurrency=1 --test-timeout=180000 --test-reporter=spec $FILES
status=$?
set -e
exit $status
