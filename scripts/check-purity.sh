#!/usr/bin/env bash
# The deterministic crates must compile without tokio, libp2p or rocksdb (DESIGN §2, STYLE habit 5).
# Add each new pure crate to PURE_CRATES.
set -euo pipefail
cd "$(dirname "$0")/.."
PURE_CRATES="loanchain-contracts loanchain-types loanchain-consensus loanchain-sim"
status=0
for crate in $PURE_CRATES; do
  tree=$(cargo tree -p "$crate" --edges normal,build --prefix none --locked)
  bad=$(printf '%s\n' "$tree" | grep -E '^(tokio|libp2p|rocksdb|librocksdb-sys) ' | sort -u || true)
  if [ -n "$bad" ]; then
    echo "FAIL: $crate depends on: $bad" >&2
    status=1
  else
    echo "ok: $crate has no tokio, libp2p or rocksdb"
  fi
done
# loanctl speaks HTTP to nodes: never the libp2p stack or RocksDB (DESIGN §2). It may use the
# key-only libp2p-identity crate, through loanchain-genesis, to read peer ids in genesis files.
for crate in loanchain-client; do
  tree=$(cargo tree -p "$crate" --edges normal,build --prefix none --locked)
  bad=$(printf '%s\n' "$tree" | grep -E '^(libp2p|libp2p-swarm|libp2p-core|libp2p-tcp|rocksdb|librocksdb-sys) ' | sort -u || true)
  if [ -n "$bad" ]; then
    echo "FAIL: $crate depends on: $bad" >&2
    status=1
  else
    echo "ok: $crate has no libp2p stack and no rocksdb"
  fi
done
exit $status
