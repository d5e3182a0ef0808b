#!/usr/bin/env bash
# The whole test suite, on SQLite and on PostgreSQL. This is the README's test command and what
# CI runs (.ci/run calls it). It installs what it needs when it is missing, from Debian's
# packages, so that it passes on a fresh Debian machine too.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_URL="${MEKTEP_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
export MEKTEP_TEST_POSTGRES_URL="$PG_URL"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=""
need_pkg() { # need_pkg COMMAND PACKAGE…
  local cmd=$1; shift
  if ! command -v "$cmd" >/dev/null 2>&1; then
    echo "== installing $* (for $cmd)"
    if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  fi
}

# Text extraction from rendered PDFs (the Kazakh-letters test) and OpenSSL cross-checks.
need_pkg pdftotext poppler-utils
need_pkg openssl openssl

# PostgreSQL: use the one running at 127.0.0.1:5432; start or install it if it is not there.
pg_ready() { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; }
if ! pg_ready; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    need_pkg pg_ctlcluster postgresql
  fi
  echo "== starting PostgreSQL"
  for v in $(ls /etc/postgresql 2>/dev/null); do
    as_root pg_ctlcluster --skip-systemctl-redirect "$v" main start 2>/dev/null || true
  done
  for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
  # A fresh install uses peer auth: allow the postgres user over TCP from this machine.
  if ! psql "$PG_URL" -c 'select 1' >/dev/null 2>&1; then
    for hba in /etc/postgresql/*/main/pg_hba.conf; do
      grep -q '^host all postgres 127.0.0.1/32 trust' "$hba" || sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
    done
    for v in $(ls /etc/postgresql); do as_root pg_ctlcluster --skip-systemctl-redirect "$v" main reload || true; done
  fi
fi
if ! psql "$PG_URL" -qtAc 'select 1' >/dev/null 2>&1; then
  echo "FAIL: PostgreSQL is not reachable at $PG_URL; the suite must run on both databases" >&2
  exit 1
fi
# Databases left by earlier runs of the suite.
for db in $(psql "$PG_URL" -qtAc "select datname from pg_database where datname like 'mektep_test_%'"); do
  psql "$PG_URL" -qc "drop database if exists $db" >/dev/null 2>&1 || true
done

# Faults: kill -9 the real server while parents submit; nothing acknowledged may be lost.
need_pkg python3 python3
BIN="${CARGO_TARGET_DIR:-target}/debug/mektep"
echo "== crash test (kill -9 during 500 concurrent submissions, restart, check)"
cargo build -p mektep
python3 scripts/crash_test.py "$BIN" --parents 500 --children 2 --kill-after 300

# Faults: the documents' disk full (a 2 MiB tmpfs, or RLIMIT_FSIZE where mounting is not allowed).
echo "== disk full test (translated refusal, nothing corrupted, uploads work again)"
python3 scripts/disk_full_test.py "$BIN"

# Faults: PostgreSQL restarted under load. It restarts the shared cluster: alone, before cargo test.
echo "== PostgreSQL restart test (Mektep recovers by itself, nothing acknowledged lost)"
python3 scripts/pg_restart_test.py "$BIN"

# Supply chain: licences, sources, bans; RustSec advisories where github.com is reachable.
echo "== supply chain (cargo deny)"
scripts/supply_chain.sh

echo "== cargo test (every database test runs on SQLite and on PostgreSQL at ${PG_URL%%@*}@…)"
cargo test --workspace "$@"

# Fuzzing: a short run of every target (README: longer runs).
echo "== fuzzing (20 s a target)"
MEKTEP_BIN="$BIN" scripts/fuzz.sh 20

# The load generator, 20 parents on each database: the whole path still works end to end under it
# (the figures come from scripts/bench.sh without --smoke; see bench/README.md).
echo "== load generator smoke run (20 parents, SQLite and PostgreSQL)"
scripts/bench.sh --smoke

# Browser tests: the demo on SQLite in Debian's Chromium (e2e/run.sh installs Chromium and the npm
# packages when they are missing). They run last, so the output ends with their summary.
echo "== browser tests (e2e/run.sh: Chromium, playwright-core, axe-core)"
cargo build -p mektep
MEKTEP_BIN="${CARGO_TARGET_DIR:-target}/debug/mektep" e2e/run.sh
