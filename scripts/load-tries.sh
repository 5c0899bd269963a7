#!/usr/bin/env bash
# Fresh devnets loaded at once, try after try (issue 16, weakness 9): each try starts a new devnet
# of N validators, runs `loanchain-load --mode open` against validator-0 from its first block, and
# checks that every transaction became final and that every validator is still committing 8 s
# and 12 s after the load (a stopped chain shows the same heights twice). Prints one line per try
# and exits 1 if any try froze or left transactions not final.
#
#   scripts/load-tries.sh [--validators N] [--tries T] [--rate R] [--duration S] [--mix F:R]
#
# Defaults: 7 validators, 10 tries, 500 tx/s for 20 s, fundings only (1:0), as the issue's
# reproduction. Environment: LOAD_TRIES_DIR (default ./devnet-tries), LOAD_TRIES_BASE_PORT
# (default 26900), CARGO_TARGET_DIR. Not run by scripts/test.sh: ten tries take about 8 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VALIDATORS=7 TRIES=10 RATE=500 DURATION=20 MIX=1:0
while [ $# -gt 0 ]; do
  case "$1" in
    --validators) VALIDATORS=$2; shift 2 ;;
    --tries) TRIES=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --mix) MIX=$2; shift 2 ;;
    *) echo "usage: $0 [--validators N] [--tries T] [--rate R] [--duration S] [--mix F:R]" >&2; exit 2 ;;
  esac
done
export DEVNET_DIR=${LOAD_TRIES_DIR:-$ROOT/devnet-tries}
export DEVNET_BASE_PORT=${LOAD_TRIES_BASE_PORT:-26900}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
case "$TARGET" in /*) ;; *) TARGET=$ROOT/$TARGET ;; esac
LOAD=$TARGET/release/loanchain-load
trap 'scripts/devnet.sh down >/dev/null 2>&1 || true' EXIT

heights() { scripts/devnet.sh status 2>/dev/null | awk '/^validator-/{printf "%s ", $4}'; }

failed=0
for try in $(seq 1 "$TRIES"); do
  scripts/devnet.sh clean >/dev/null 2>&1
  scripts/devnet.sh up --validators "$VALIDATORS" >/dev/null
  report=$("$LOAD" --devnet "$DEVNET_DIR" --node "http://127.0.0.1:$((DEVNET_BASE_PORT + 1))" \
    --mode open --rate "$RATE" --duration "$DURATION" --mix "$MIX" 2>&1)
  not_final=$(echo "$report" | awk '/^not final/{print $3}')
  tps=$(echo "$report" | awk '/^committed tps/{print $3}')
  sleep 8
  first=$(heights)
  sleep 4
  second=$(heights)
  verdict=ok
  if [ "$first" = "$second" ]; then verdict=FROZEN; fi
  if [ "${not_final:-x}" != 0 ]; then verdict="$verdict, ${not_final:-?} not final"; fi
  [ "$verdict" = ok ] || failed=1
  echo "try $try: committed tps ${tps:-?}, not final ${not_final:-?}, heights ${second% }: $verdict"
done
exit $failed
