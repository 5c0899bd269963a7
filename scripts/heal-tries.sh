#!/usr/bin/env bash
# A validator paused and resumed under load, try after try (issue 16, weakness 10): each try starts
# a fresh devnet of 4 validators, runs `loanchain-load --mode open --rate 40 --mix 1:0` against
# validator-0, pauses validator-3 (SIGSTOP) for 20 s, resumes it (SIGCONT), and 30 s later looks
# at the last 20 committed blocks: a validator that took part again signed some of their
# certificates. Prints one line per try (its signatures and proposals in those blocks, its
# height) and exits 1 if it signed none in any try ("mute").
#
#   scripts/heal-tries.sh [--tries T] [--pause S]
#
# Environment: HEAL_TRIES_DIR (default ./devnet-heal), HEAL_TRIES_BASE_PORT (default 26950),
# CARGO_TARGET_DIR. Not run by scripts/test.sh: a try takes about 75 s.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TRIES=5 PAUSE=20
while [ $# -gt 0 ]; do
  case "$1" in
    --tries) TRIES=$2; shift 2 ;;
    --pause) PAUSE=$2; shift 2 ;;
    *) echo "usage: $0 [--tries T] [--pause S]" >&2; exit 2 ;;
  esac
done
export DEVNET_DIR=${HEAL_TRIES_DIR:-$ROOT/devnet-heal}
export DEVNET_BASE_PORT=${HEAL_TRIES_BASE_PORT:-26950}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
case "$TARGET" in /*) ;; *) TARGET=$ROOT/$TARGET ;; esac
LOAD=$TARGET/release/loanchain-load
API="http://127.0.0.1:$((DEVNET_BASE_PORT + 1))"
trap 'kill -CONT "$(cat "$DEVNET_DIR/validator-3/node.pid" 2>/dev/null)" 2>/dev/null || true; scripts/devnet.sh down >/dev/null 2>&1 || true' EXIT

# Of the last 20 blocks validator-0 committed: how many certificates validator 3 signed, how many
# blocks it proposed.
took_part() {
  python3 - "$API" <<'EOF'
import json, sys, urllib.request
api = sys.argv[1]
get = lambda path: json.load(urllib.request.urlopen(api + path, timeout=5))
top = get("/v1/status")["height"]
signed = proposed = 0
for h in range(max(1, top - 19), top + 1):
    b = get(f"/v1/blocks/{h}")
    signed += any(s["validator"] == 3 for s in (b.get("certificate") or {}).get("signatures", []))
    proposed += b["header"]["proposer"] == 3
print(signed, proposed, top)
EOF
}

failed=0
for try in $(seq 1 "$TRIES"); do
  scripts/devnet.sh clean >/dev/null 2>&1
  scripts/devnet.sh up >/dev/null
  "$LOAD" --devnet "$DEVNET_DIR" --node "$API" --mode open --rate 40 --duration $((PAUSE + 45)) --mix 1:0 >/dev/null 2>&1 &
  load=$!
  sleep 10
  pid=$(cat "$DEVNET_DIR/validator-3/node.pid")
  kill -STOP "$pid"
  sleep "$PAUSE"
  kill -CONT "$pid"
  sleep 30
  read -r signed proposed top < <(took_part)
  v3=$(curl -s "http://127.0.0.1:$((DEVNET_BASE_PORT + 7))/v1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["height"])' 2>/dev/null || echo "?")
  verdict=ok
  [ "$signed" -gt 0 ] || { verdict=MUTE; failed=1; }
  echo "try $try: validator-3 signed $signed and proposed $proposed of the last 20 blocks (top $top, its height $v3): $verdict"
  wait "$load" || true
done
exit $failed
