#!/usr/bin/env bash
# An A/B comparison on a shared machine, where one run's figures move by a third from one minute
# to the next: runs two server binaries in turn, ROUNDS times each, and prints the median server
# CPU per application, status page rate and worst p99 of each. The runs' JSON goes to a temporary
# directory, not to bench/results.
#
#   cp target/release/mektep /tmp/mektep-before   # before the change
#   cargo build --release -p mektep               # after it
#   scripts/bench_ab.sh /tmp/mektep-before target/release/mektep
#   ROUNDS=5 PARENTS=2000 BACKENDS=postgres scripts/bench_ab.sh A B
set -euo pipefail
cd "$(dirname "$0")/.."
A="$1" B="$2"
ROUNDS="${ROUNDS:-3}"
export PARENTS="${PARENTS:-2000}" POLL_SECONDS="${POLL_SECONDS:-5}" BACKENDS="${BACKENDS:-sqlite}"
out="$(mktemp -d)"
# Every run's data stays until all are done (see bench.sh on ext4's recently freed inodes).
export KEEP_DATA=1 KEEP_DATA_LIST="$out/data-dirs"
trap 'xargs -r rm -rf < "$out/data-dirs" 2>/dev/null || true' EXIT
for round in $(seq 1 "$ROUNDS"); do
  for side in A B; do
    bin="$A"; [ "$side" = B ] && bin="$B"
    MEKTEP_BIN="$bin" LABEL="$side-$round" OUT_DIR="$out" scripts/bench.sh >"$out/$side-$round.log" 2>&1 \
      || { cat "$out/$side-$round.log" >&2; exit 1; }
    grep -h "server CPU" "$out/$side-$round.log" | sed "s/^/$side round $round: /"
  done
done
python3 - "$out" <<'PY'
import glob, json, statistics, sys
out = sys.argv[1]
for side in "AB":
    runs = [json.load(open(f)) for f in sorted(glob.glob(f"{out}/*-{side}-*.json"))]
    cpu = statistics.median(r["server_cpu_ms_per_application"] for r in runs)
    rate = statistics.median((r.get("poll") or {}).get("requests_per_s", 0) for r in runs)
    p99 = statistics.median(max(s["p99_ms"] for s in r["steps"].values()) for r in runs)
    print(f"{side}: median of {len(runs)}: {cpu:.2f} ms server CPU per application, "
          f"status page {rate:.0f}/s, worst step p99 {p99:.0f} ms")
PY
