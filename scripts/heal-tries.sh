#!/usr/bin/env bash
# A validator paused, or cut off, and healed under load, try after try (issue 16, weakness 10):
# each try starts a fresh devnet of 4 validators, runs `loanchain-load --mode open --rate 40
# --mix 1:0` against validator-0, then takes validator-3 out for S seconds and brings it back:
#   --mode stop       SIGSTOP, then SIGCONT (default; S defaults to 20);
#   --mode partition  an nftables cut of every packet to and from validator-3's process except its
#                     API (S defaults to 30): the process runs from its start in a cgroup of its own
#                     and the rules match sockets by that cgroup, so the connections it dialled
#                     (from ports nobody knows in advance) are cut too. Needs root; installs
#                     nftables through apt when `nft` is missing.
# 30 s after the heal it looks at the last 20 committed blocks: a validator that took part again
# signed some of their certificates. Prints one line per try (its signatures and proposals in
# those blocks, its height, and for a cut whether its status said stale at the cut's end) and
# exits 1 if it signed none in any try ("mute"), or if a cut-off validator did not say stale.
#
#   scripts/heal-tries.sh [--tries T] [--pause S] [--mode stop|partition]
#
# Environment: HEAL_TRIES_DIR (default ./devnet-heal), HEAL_TRIES_BASE_PORT (default 26950),
# CARGO_TARGET_DIR. Not run by scripts/test.sh: a try takes about 75 s.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TRIES=5 PAUSE= MODE=stop
while [ $# -gt 0 ]; do
  case "$1" in
    --tries) TRIES=$2; shift 2 ;;
    --pause) PAUSE=$2; shift 2 ;;
    --mode) MODE=$2; shift 2 ;;
    *) echo "usage: $0 [--tries T] [--pause S] [--mode stop|partition]" >&2; exit 2 ;;
  esac
done
case "$MODE" in
  stop) PAUSE=${PAUSE:-20} ;;
  partition) PAUSE=${PAUSE:-30} ;;
  *) echo "heal-tries: --mode stop or partition, not $MODE" >&2; exit 2 ;;
esac
export DEVNET_DIR=${HEAL_TRIES_DIR:-$ROOT/devnet-heal}
export DEVNET_BASE_PORT=${HEAL_TRIES_BASE_PORT:-26950}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
case "$TARGET" in /*) ;; *) TARGET=$ROOT/$TARGET ;; esac
LOAD=$TARGET/release/loanchain-load
API="http://127.0.0.1:$((DEVNET_BASE_PORT + 1))"
CGROUP_ROOT=
CGROUP=loanchain-heal-$$
TABLE=loanchain_heal_$$
heal() { [ "$MODE" = partition ] && nft delete table inet "$TABLE" 2>/dev/null || true; }
cleanup() {
  heal
  kill -CONT "$(cat "$DEVNET_DIR/validator-3/node.pid" 2>/dev/null)" 2>/dev/null || true
  scripts/devnet.sh down >/dev/null 2>&1 || true
  [ -n "$CGROUP_ROOT" ] && rmdir "$CGROUP_ROOT/$CGROUP" 2>/dev/null || true
}
trap cleanup EXIT

if [ "$MODE" = partition ]; then
  [ "$(id -u)" = 0 ] || { echo "heal-tries: --mode partition needs root (nftables rules); skipped" >&2; exit 2; }
  if ! command -v nft >/dev/null; then
    echo "heal-tries: installing nftables" >&2
    (apt-get install -y nftables || { apt-get update && apt-get install -y nftables; }) >/dev/null
  fi
  # The cgroup v2 hierarchy: /sys/fs/cgroup itself, or its "unified" mount beside v1 controllers.
  for d in /sys/fs/cgroup /sys/fs/cgroup/unified; do
    [ -f "$d/cgroup.procs" ] && [ "$(stat -fc %T "$d")" = cgroup2fs ] && { CGROUP_ROOT=$d; break; }
  done
  [ -n "$CGROUP_ROOT" ] || { echo "heal-tries: no cgroup v2 hierarchy to match validator-3's sockets by; skipped" >&2; exit 2; }
  mkdir -p "$CGROUP_ROOT/$CGROUP"
fi
# nft names a cgroup by its path under /sys/fs/cgroup.
CGROUP_PATH=${CGROUP_ROOT#/sys/fs/cgroup}; CGROUP_PATH=${CGROUP_PATH#/}${CGROUP_PATH:+/}$CGROUP
V3_API=$((DEVNET_BASE_PORT + 7))

cut_off() {
  nft -f - <<RULES
table inet $TABLE {
  chain output {
    type filter hook output priority 0; policy accept;
    socket cgroupv2 level 1 "$CGROUP_PATH" tcp sport $V3_API accept
    socket cgroupv2 level 1 "$CGROUP_PATH" drop
  }
  chain input {
    type filter hook input priority 0; policy accept;
    socket cgroupv2 level 1 "$CGROUP_PATH" tcp dport $V3_API accept
    socket cgroupv2 level 1 "$CGROUP_PATH" drop
  }
}
RULES
}

v3_status() { # FIELD: validator-3's /v1/status field, or "?"
  curl -s -m 3 "http://127.0.0.1:$V3_API/v1/status" | python3 -c "import json,sys; print(str(json.load(sys.stdin)['$1']).lower())" 2>/dev/null || echo "?"
}

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
  if [ "$MODE" = partition ]; then
    # Restarted inside its cgroup, so that every socket it makes belongs to it.
    scripts/devnet.sh kill validator-3 >/dev/null
    (echo "$BASHPID" > "$CGROUP_ROOT/$CGROUP/cgroup.procs"; exec scripts/devnet.sh start validator-3) >/dev/null
  fi
  "$LOAD" --devnet "$DEVNET_DIR" --node "$API" --mode open --rate 40 --duration $((PAUSE + 45)) --mix 1:0 >/dev/null 2>&1 &
  load=$!
  sleep 10
  pid=$(cat "$DEVNET_DIR/validator-3/node.pid")
  stale=-
  if [ "$MODE" = stop ]; then
    kill -STOP "$pid"
    sleep "$PAUSE"
    kill -CONT "$pid"
  else
    cut_off
    sleep "$PAUSE"
    stale=$(v3_status stale)
    heal
  fi
  sleep 30
  read -r signed proposed top < <(took_part)
  v3=$(v3_status height)
  verdict=ok
  [ "$signed" -gt 0 ] || { verdict=MUTE; failed=1; }
  [ "$MODE" = stop ] || [ "$stale" = true ] || { verdict="$verdict, NOT STALE during the cut"; failed=1; }
  echo "try $try ($MODE $PAUSE s): validator-3 signed $signed and proposed $proposed of the last 20 blocks (top $top, its height $v3, stale at the cut's end: $stale): $verdict"
  wait "$load" || true
done
exit $failed
