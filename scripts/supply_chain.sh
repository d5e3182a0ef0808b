#!/usr/bin/env bash
# Supply chain: every dependency from crates.io only, with a licence compatible with
# AGPL-3.0-or-later, none banned, and no known vulnerability (RustSec advisories). The policy and
# every exception with its reason are in deny.toml. Installs cargo-deny when it is missing.
# The advisory database is cloned from github.com; where github.com cannot be reached the check
# says so loudly and runs the offline checks (licences, bans, sources) only — unless
# MEKTEP_REQUIRE_ADVISORIES=1, which makes an unreachable database a failure (set it in CI
# wherever github.com is reachable).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo deny --version >/dev/null 2>&1; then
  echo "== installing cargo-deny"
  cargo install cargo-deny --locked
fi

if timeout 120 cargo deny fetch db >/dev/null 2>&1; then
  echo "== cargo deny: advisories, licences, bans, sources"
  cargo deny --log-level error check --disable-fetch advisories licenses bans sources
else
  if [ "${MEKTEP_REQUIRE_ADVISORIES:-0}" = 1 ]; then
    echo "FAIL: the RustSec advisory database (github.com/rustsec/advisory-db) cannot be fetched" >&2
    exit 1
  fi
  echo "== WARNING: the RustSec advisory database (github.com/rustsec/advisory-db) cannot be fetched"
  echo "   from here: NOT checked for known vulnerabilities. Checking licences, bans and sources."
  cargo deny --log-level error check licenses bans sources
fi
