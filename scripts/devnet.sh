#!/usr/bin/env bash
# A local devnet: N validators + M observers on 127.0.0.1, data under ./devnet/.
#
#   scripts/devnet.sh up [--validators N] [--observers M]   build if needed, generate, start; idempotent
#   scripts/devnet.sh down                                   stop every node (data kept)
#   scripts/devnet.sh status [--json]                        role, API, height, app hash of each node
#   scripts/devnet.sh logs [NAME] [-f]                       the last lines of each node's log (or follow one)
#   scripts/devnet.sh kill NAME                              SIGKILL one node (fault injection)
#   scripts/devnet.sh start NAME                             start one stopped node
#   scripts/devnet.sh clean                                  down, then delete ./devnet
#
# Environment: DEVNET_DIR (default ./devnet), DEVNET_BASE_PORT (default 26600),
# DEVNET_PERIOD_SECONDS (30), DEVNET_DAY_SECONDS (5), CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DEVNET_DIR=${DEVNET_DIR:-$ROOT/devnet}
BASE_PORT=${DEVNET_BASE_PORT:-26600}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
case "$TARGET" in /*) ;; *) TARGET=$ROOT/$TARGET ;; esac
BIN=$TARGET/release

die() { echo "devnet: $*" >&2; exit 1; }

# GET http://127.0.0.1:PORT/PATH with bash alone (a fresh machine may lack curl); prints the body.
http_get() {
  local port=$1 path=$2
  timeout 3 bash -c '
    exec 3<>/dev/tcp/127.0.0.1/'"$port"' || exit 1
    printf "GET '"$path"' HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3
    sed "1,/^\r\{0,1\}$/d" <&3' 2>/dev/null
}

json_field() { # json_field KEY: the string or number value of "KEY" in the JSON on stdin
  sed -n 's/.*"'"$1"'": *"\{0,1\}\([^",}]*\)"\{0,1\} *[,}]\{0,1\}.*/\1/p' | head -1
}

nodes() { # every node directory, validators first
  local d
  for d in "$DEVNET_DIR"/validator-* "$DEVNET_DIR"/observer-*; do
    [ -f "$d/config.json" ] && echo "$d"
  done
  return 0
}

node_role() { json_field role < "$1/config.json"; }
node_api_port() { sed -n 's/.*"api_listen": *"127.0.0.1:\([0-9]*\)".*/\1/p' "$1/config.json"; }

node_pid() { # prints the pid if the node runs
  local pidfile=$1/node.pid pid
  [ -f "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  kill -0 "$pid" 2>/dev/null && grep -q loanchain-node "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}

build() {
  if [ ! -x "$BIN/loanchain-node" ] || [ ! -x "$BIN/loanchain-genesis" ] || [ ! -x "$BIN/loanctl" ] || [ ! -x "$BIN/loanchain-load" ] || [ "${DEVNET_REBUILD:-1}" = 1 ]; then
    source scripts/lib/prereqs.sh
    ensure_prereqs
    echo "==> building the binaries (release; the first build compiles RocksDB, ~20 min on 2 cores)" >&2
    cargo build --release --workspace --locked --bins >&2
  fi
}

start_node() {
  local d=$1 name role
  name=$(basename "$d")
  if node_pid "$d" >/dev/null; then return 0; fi
  local port
  port=$(node_api_port "$d")
  # Another process (another devnet's node, say) on this node's API port would answer in its
  # place, and every check after this would ask the wrong chain.
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port $port ($name's API) is already in use by another process: stop it (another devnet? its scripts/devnet.sh down) or set DEVNET_BASE_PORT"
  fi
  role=$(node_role "$d")
  nohup "$BIN/loanchain-node" --config "$d/config.json" "--$role" >>"$d/node.log" 2>&1 &
  echo $! > "$d/node.pid"
  echo "started $name ($role, pid $!, API http://127.0.0.1:$(node_api_port "$d"))"
}

cmd_up() {
  local validators=4 observers=1
  while [ $# -gt 0 ]; do
    case $1 in
      --validators) validators=$2; shift 2 ;;
      --observers) observers=$2; shift 2 ;;
      *) die "unknown option $1 (up [--validators N] [--observers M])" ;;
    esac
  done
  build
  local have
  have=$(ls -d "$DEVNET_DIR"/validator-* 2>/dev/null | wc -l || true)
  # A genesis this build no longer reads (an older format) is replaced like one of another shape.
  if [ ! -f "$DEVNET_DIR/genesis.json" ] || [ "$have" != "$validators" ] || [ "$(ls -d "$DEVNET_DIR"/observer-* 2>/dev/null | wc -l || true)" != "$observers" ] \
    || ! "$BIN/loanchain-genesis" validate "$DEVNET_DIR/genesis.json" >/dev/null 2>&1; then
    [ -f "$DEVNET_DIR/genesis.json" ] && { echo "==> the devnet in $DEVNET_DIR has another shape or an older genesis format; replacing it"; cmd_down; }
    echo "==> generating a devnet of $validators validators and $observers observer(s) in $DEVNET_DIR"
    "$BIN/loanchain-genesis" devnet --validators "$validators" --observers "$observers" --out "$DEVNET_DIR" \
      --base-port "$BASE_PORT" --period-seconds "${DEVNET_PERIOD_SECONDS:-30}" --day-seconds "${DEVNET_DAY_SECONDS:-5}" --force >/dev/null
  fi
  local d
  for d in $(nodes); do start_node "$d"; done
  echo "==> waiting for every node to serve and commit"
  local deadline=$((SECONDS + 60)) ok
  while :; do
    ok=1
    for d in $(nodes); do
      h=$(http_get "$(node_api_port "$d")" /v1/status | json_field height || true)
      [ -n "$h" ] && [ "$h" -ge 1 ] || ok=0
    done
    [ $ok = 1 ] && break
    [ $SECONDS -ge $deadline ] && { cmd_status; die "the devnet did not come up within 60 s; see scripts/devnet.sh logs"; }
    sleep 0.5
  done
  cmd_status
}

cmd_down() {
  local d pid pids=()
  for d in $(nodes); do
    if pid=$(node_pid "$d"); then kill "$pid" 2>/dev/null || true; pids+=("$pid"); fi
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  for d in $(nodes); do rm -f "$d/node.pid"; done
  echo "devnet stopped (${#pids[@]} node(s)); data kept in $DEVNET_DIR"
}

cmd_status() {
  local json=0
  [ "${1:-}" = "--json" ] && json=1
  [ -d "$DEVNET_DIR" ] || { [ $json = 1 ] && echo "[]" || echo "no devnet in $DEVNET_DIR"; return 0; }
  local d name role port body height app first=1
  [ $json = 1 ] && printf '['
  [ $json = 0 ] && printf '%-14s %-10s %-24s %-8s %s\n' NAME ROLE API HEIGHT APP_HASH
  for d in $(nodes); do
    name=$(basename "$d"); role=$(node_role "$d"); port=$(node_api_port "$d")
    body=$(http_get "$port" /v1/status || true)
    height=$(echo "$body" | json_field height); app=$(echo "$body" | json_field app_hash)
    if [ $json = 1 ]; then
      [ $first = 1 ] || printf ','
      first=0
      printf '{"name":"%s","role":"%s","api":"http://127.0.0.1:%s","height":%s,"app_hash":%s}' \
        "$name" "$role" "$port" "${height:-null}" "$([ -n "$app" ] && echo "\"$app\"" || echo null)"
    else
      printf '%-14s %-10s %-24s %-8s %s\n' "$name" "$role" "http://127.0.0.1:$port" "${height:-down}" "${app:--}"
    fi
  done
  [ $json = 1 ] && printf ']\n'
  return 0
}

cmd_logs() {
  local name="" follow=0
  while [ $# -gt 0 ]; do
    case $1 in -f) follow=1; shift ;; *) name=$1; shift ;; esac
  done
  if [ -n "$name" ]; then
    [ -f "$DEVNET_DIR/$name/node.log" ] || die "no log for $name"
    if [ $follow = 1 ]; then tail -f "$DEVNET_DIR/$name/node.log"; else tail -n 40 "$DEVNET_DIR/$name/node.log"; fi
  else
    for d in $(nodes); do echo "== $(basename "$d")"; tail -n 10 "$d/node.log" 2>/dev/null || true; done
  fi
}

cmd_kill() {
  local d=$DEVNET_DIR/${1:?kill NAME} pid
  pid=$(node_pid "$d") || die "$1 is not running"
  kill -9 "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  rm -f "$d/node.pid"
  echo "killed $1 (pid $pid, SIGKILL)"
}

cmd_start() {
  local d=$DEVNET_DIR/${1:?start NAME}
  [ -f "$d/config.json" ] || die "no node $1"
  DEVNET_REBUILD=0 build
  start_node "$d"
}

case ${1:-} in
  up) shift; cmd_up "$@" ;;
  down) cmd_down ;;
  status) shift; cmd_status "$@" ;;
  logs) shift; cmd_logs "$@" ;;
  kill) shift; cmd_kill "$@" ;;
  start) shift; cmd_start "$@" ;;
  clean) cmd_down; rm -rf "$DEVNET_DIR"; echo "removed $DEVNET_DIR" ;;
  *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
