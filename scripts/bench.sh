#!/usr/bin/env bash
# The throughput benchmark (DESIGN §12): a fresh devnet of 4 validators + 1 observer, an open-loop
# rate sweep with `loanchain-load`, and a JSON report on stdout (also written to bench-report.json):
#   - the highest rate whose run was sustained: committed tx/s >= 90 % of the offered rate, every
#     transaction final, p99 finality under 2 s;
#   - the latency percentiles of a run at half that rate;
#   - the CPU the node processes used during each run (cores: 2.0 = both cores of this machine).
#
# Environment: BENCH_RATES (default "250 500 750 1000 1250 1500 2000 3000 4000 6000"), BENCH_DURATION
# seconds per run (default 20), BENCH_ACCOUNTS (default 200), BENCH_MIX (FUND:REPAY, default 4:1), BENCH_DIR (default ./devnet-bench),
# BENCH_BASE_PORT (default 26700). The machine should be otherwise idle.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RATES=${BENCH_RATES:-"250 500 750 1000 1250 1500 2000 3000 4000 6000"}
DURATION=${BENCH_DURATION:-20}
ACCOUNTS=${BENCH_ACCOUNTS:-200}
MIX=${BENCH_MIX:-4:1}
export DEVNET_DIR=${BENCH_DIR:-$ROOT/devnet-bench}
export DEVNET_BASE_PORT=${BENCH_BASE_PORT:-26700}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
case "$TARGET" in /*) ;; *) TARGET=$ROOT/$TARGET ;; esac
LOAD=$TARGET/release/loanchain-load
NODE_URL="http://127.0.0.1:$((DEVNET_BASE_PORT + 1))"
CLK_TCK=$(getconf CLK_TCK)

log() { echo "bench: $*" >&2; }

echo "==> a fresh devnet in $DEVNET_DIR" >&2
scripts/devnet.sh clean >&2
scripts/devnet.sh up >&2
trap 'scripts/devnet.sh down >&2' EXIT

node_ticks() { # utime + stime of every node process, in clock ticks
  local total=0 d pid
  for d in "$DEVNET_DIR"/validator-* "$DEVNET_DIR"/observer-*; do
    pid=$(cat "$d/node.pid" 2>/dev/null) || continue
    [ -r "/proc/$pid/stat" ] || continue
    # Fields 14 and 15 after the command name (which is in parentheses and has no spaces here).
    set -- $(sed 's/.*) //' "/proc/$pid/stat")
    total=$((total + ${12} + ${13}))
  done
  echo "$total"
}

num() { # num KEY: the first number after "KEY": in the JSON on stdin
  grep -o "\"$1\": *[0-9.eE+-]*" | head -1 | sed 's/.*: *//'
}

run() { # run RATE: one load run; prints its JSON line with the nodes' CPU added
  local rate=$1 t0 t1 s0 s1 out cpu
  t0=$(node_ticks); s0=$(date +%s.%N)
  out=$("$LOAD" --devnet "$DEVNET_DIR" --node "$NODE_URL" --mode open --rate "$rate" \
        --duration "$DURATION" --accounts "$ACCOUNTS" --mix "$MIX" --json 2>/dev/null | tr -d '\n')
  t1=$(node_ticks); s1=$(date +%s.%N)
  cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$CLK_TCK" -v s0="$s0" -v s1="$s1" 'BEGIN { printf "%.2f", (b - a) / hz / (s1 - s0) }')
  echo "{\"offered_rate\":$rate,\"node_cpu_cores\":$cpu,\"load\":$out}"
}

results=()
best=0
best_json=null
for rate in $RATES; do
  log "offering $rate tx/s for $DURATION s"
  r=$(run "$rate")
  results+=("$r")
  tps=$(echo "$r" | num committed_tps); p99=$(echo "$r" | num p99); nf=$(echo "$r" | num not_final)
  log "  committed $tps tx/s, p99 ${p99} ms, not final ${nf:-?}, node CPU $(echo "$r" | num node_cpu_cores) cores"
  if awk -v t="$tps" -v r="$rate" -v p="$p99" -v n="${nf:-1}" 'BEGIN { exit !(t >= 0.9 * r && p < 2000 && n == 0) }'; then
    best=$rate; best_json=$r
  else
    log "  not sustained; the sweep stops here"
    break
  fi
done

half_json=null
if [ "$best" -gt 0 ]; then
  half=$((best / 2))
  log "half of the best sustained rate: $half tx/s"
  half_json=$(run "$half")
fi

report=$(printf '{"machine":{"cores":%s},"mix":"%s","duration_s_per_run":%s,"best_sustained_rate":%s,"best_run":%s,"half_rate_run":%s,"sweep":[%s]}' \
  "$(nproc)" "$MIX" "$DURATION" "$best" "$best_json" "$half_json" "$(IFS=,; echo "${results[*]}")")
echo "$report" > bench-report.json
echo "$report"
