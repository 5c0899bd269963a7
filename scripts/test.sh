#!/usr/bin/env bash
# Runs every test of loanchain: formatting and lints, the purity check of the pure crates, unit,
# integration, property and scenario tests, loanctl and loanchain-load against a real devnet, and
# a short consensus simulation sweep. One profile (release) for everything.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/prereqs.sh
ensure_prereqs test

echo "==> formatting (rustfmt.toml)"
cargo fmt --all --check

echo "==> pure crates carry no I/O dependency, the consensus core and chain types no contracts"
scripts/check-purity.sh

echo "==> clippy, warnings are errors (clippy.toml keeps clocks and randomness out of the pure crates)"
cargo clippy --release --workspace --all-targets --locked -- -D warnings

echo "==> cargo test (release profile)"
cargo test --release --workspace --locked

echo "==> loanctl and loanchain-load against a real devnet (4 validators + 1 observer on ports 26800+, in ./devnet-test)"
test_devnet() { DEVNET_DIR="$PWD/devnet-test" DEVNET_BASE_PORT=26800 DEVNET_REBUILD=0 scripts/devnet.sh "$@"; }
trap 'test_devnet clean >/dev/null 2>&1 || true' EXIT
test_devnet clean >/dev/null
test_devnet up >/dev/null
LOANCHAIN_DEVNET_DIR="$PWD/devnet-test" LOANCHAIN_NODE_URL="http://127.0.0.1:26801" \
  cargo test --release --workspace --locked --test devnet -- --nocapture
test_devnet clean >/dev/null

echo "==> consensus simulation: short sweep of every fault mix (the full sweep: node/TESTING.md)"
cargo run --release --locked -p loanchain-sim -- --seeds 0..600 --validators 4,7 --faults all

echo "==> consensus simulation self-test: a deliberately broken quorum (2f) must be caught forking"
cargo test --release --locked -p loanchain-sim --features broken-quorum
