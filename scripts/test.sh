#!/usr/bin/env bash
# The whole test suite: installs the pinned npm packages the tests drive (compiler, clients,
# an independent Ethereum node), starts a PostgreSQL server for the indexer's tests (installing
# Debian's package if needed), installs Debian's Chromium for the explorer's browser tests, then
# runs every Rust test of the workspace (with the test-only `byzantine` feature, which lets the
# judge's test make one devnet validator equivocate).
set -euo pipefail
cd "$(dirname "$0")/.."

for dir in contracts e2e/js; do
  if [[ -f "$dir/package-lock.json" ]]; then
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
  fi
done

./scripts/chromium.sh
SEC_TEST_POSTGRES=$(./scripts/postgres.sh)
export SEC_TEST_POSTGRES

cargo test --workspace --features byzantine "$@"
