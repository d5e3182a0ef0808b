#!/usr/bin/env bash
# The opening-minute rush, measured. For each database it starts the release server in demo mode
# on a fresh database, runs `mektep bench` against it (test parents walk the whole path over
# HTTP), checks the database afterwards, and writes bench/results/<backend>-<UTC date>.json.
#
#   scripts/bench.sh                      20,000 parents, 200 at a time, SQLite then PostgreSQL
#   PARENTS=2000 scripts/bench.sh         a shorter run
#   BACKENDS=sqlite scripts/bench.sh      one database
#   RATE=500 CONCURRENCY=3000 LABEL=overload scripts/bench.sh   open loop: arrivals per second
#   MEKTEP_BIN=/tmp/mektep-before scripts/bench.sh   that binary instead of a fresh build
#   scripts/bench.sh --smoke              20 parents, both databases, debug build, nothing written
#                                         (for scripts/test.sh: proves the path still works end to end)
#
# The machine's description (nproc, CPU model, memory, kernel) is in every JSON file.
set -euo pipefail
cd "$(dirname "$0")/.."

PARENTS="${PARENTS:-20000}"
CONCURRENCY="${CONCURRENCY:-200}"
BACKENDS="${BACKENDS:-sqlite postgres}"
POLL_SECONDS="${POLL_SECONDS:-10}"
LABEL="${LABEL:-}"
RATE="${RATE:-}"
PG_URL="${MEKTEP_BENCH_POSTGRES_URL:-${MEKTEP_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}}"
OUT_DIR="${OUT_DIR:-bench/results}"
PROFILE="${PROFILE:-release}"
KEYS="${KEYS:-64}"
if [ "${1:-}" = "--smoke" ]; then
  PARENTS=20 CONCURRENCY=5 POLL_SECONDS=1 OUT_DIR="$(mktemp -d)" PROFILE="${PROFILE_SMOKE:-debug}" KEYS=4
fi

TARGET="${CARGO_TARGET_DIR:-target}"
if [ -n "${MEKTEP_BIN:-}" ]; then
  BIN="$MEKTEP_BIN"   # a binary kept aside, for an A/B comparison (scripts/bench_ab.sh)
else
  if [ "$PROFILE" = release ]; then cargo build --release -p mektep; else cargo build -p mektep; fi
  BIN="$TARGET/$PROFILE/mektep"
fi
mkdir -p "$OUT_DIR"

# The servers' data directories are removed when the script ends, not after each run: ext4
# skips inodes freed in the last minutes when it creates a file, and a run right after thousands
# of files were deleted spent 13% of the server's time looking for a free inode (a state the
# service itself is not in during the rush). KEEP_DATA=1 leaves them for the caller to remove.
DATA_DIRS=()
# A failed run keeps them too, with the server's log.
cleanup() {
  local rc=$?
  if [ "$rc" -eq 0 ] && [ "${KEEP_DATA:-}" != 1 ] && [ "${#DATA_DIRS[@]}" -gt 0 ]; then rm -rf "${DATA_DIRS[@]}"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

for backend in $BACKENDS; do
  data="$(mktemp -d)"
  DATA_DIRS+=("$data")
  [ "${KEEP_DATA:-}" = 1 ] && echo "$data" >> "${KEEP_DATA_LIST:-/dev/null}"
  stamp="$(date -u +%Y%m%dT%H%M%SZ)"
  db_name=""
  unset MEKTEP_DATABASE_URL
  if [ "$backend" = postgres ]; then
    db_name="mektep_bench_${stamp,,}"
    psql "$PG_URL" -qc "create database $db_name" >/dev/null
    export MEKTEP_DATABASE_URL="${PG_URL%/*}/$db_name"
  fi
  port="$(free_port)"
  # Every test parent comes from 127.0.0.1: the per-address limits are set for the whole run,
  # as for one enormous carrier-grade NAT (the same limits hold per session: each parent has one).
  export MEKTEP_RATE_LIMITS__SIGN_IN_BURST=1000000 MEKTEP_RATE_LIMITS__SIGN_IN_PER_HOUR=100000000
  export MEKTEP_RATE_LIMITS__UPLOAD_BURST=1000000 MEKTEP_RATE_LIMITS__UPLOAD_PER_HOUR=100000000
  "$BIN" serve --demo --data-dir "$data" --listen "127.0.0.1:$port" >"$data/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 120); do
    grep -q "Mektep is ready" "$data/server.log" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$data/server.log" >&2; exit 1; }
    sleep 0.5
  done
  name="$backend${LABEL:+-$LABEL}-$stamp"
  echo "== $name: $PARENTS parents, $CONCURRENCY at a time${RATE:+, $RATE arriving per second} (server pid $pid)"
  status=0
  "$BIN" bench --url "http://127.0.0.1:$port" --server-pid "$pid" --data-dir "$data" \
    --parents "$PARENTS" --concurrency "$CONCURRENCY" --poll-seconds "$POLL_SECONDS" \
    ${RATE:+--rate "$RATE"} --keys "$KEYS" --keys-cache "$TARGET/bench-keys.pem" \
    --out "$OUT_DIR/$name.json" || status=$?
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ -n "$db_name" ]; then
    unset MEKTEP_DATABASE_URL
    psql "$PG_URL" -qc "drop database if exists $db_name" >/dev/null 2>&1 || true
  fi
  if [ "$status" -ne 0 ]; then
    echo "FAIL: $name (server log: $data/server.log)" >&2
    exit "$status"
  fi
  echo "   written $OUT_DIR/$name.json"
done
