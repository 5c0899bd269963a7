#!/usr/bin/env bash
# Proves the crate graph of docs/DESIGN.md §2 (STYLE habit 5):
# - the deterministic crates compile without tokio, libp2p or rocksdb;
# - the consensus core, the chain types and the simulator do not depend on the loan contracts
#   (a block's transactions are opaque bytes to them);
# - loanctl speaks HTTP to nodes and never carries the libp2p stack or RocksDB. It may use the
#   key-only libp2p-identity crate, through loanchain-genesis, to read peer ids in genesis files.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0

# check CRATE FORBIDDEN_REGEX WHAT: fails if the crate's normal/build dependency tree matches.
check() {
  local crate=$1 forbidden=$2 what=$3 tree bad
  tree=$(cargo tree -p "$crate" --edges normal,build --prefix none --locked)
  bad=$(printf '%s\n' "$tree" | grep -E "^($forbidden) " | sort -u || true)
  if [ -n "$bad" ]; then
    echo "FAIL: $crate depends on: $bad" >&2
    status=1
  else
    echo "ok: $crate has no $what"
  fi
}

for crate in loanchain-primitives loanchain-contracts loanchain-types loanchain-consensus loanchain-sim; do
  check "$crate" 'tokio|libp2p|rocksdb|librocksdb-sys' "tokio, libp2p or rocksdb"
done
for crate in loanchain-primitives loanchain-types loanchain-consensus loanchain-sim; do
  check "$crate" 'loanchain-contracts' "dependency on the loan contracts"
done
check loanchain-client 'libp2p|libp2p-swarm|libp2p-core|libp2p-tcp|rocksdb|librocksdb-sys' "libp2p stack and no rocksdb"
exit $status
