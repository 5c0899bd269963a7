# Sourced by the scripts: installs what a fresh Debian machine with only Rust lacks, and only that.
# RocksDB's bindgen needs libclang (DESIGN §13); the tests (`ensure_prereqs test`) also need
# libfaketime, which sets one validator's clock back in node/tests/it/clock.rs. Nothing else comes
# from apt.

ensure_prereqs() {
  local missing=() pkgs=(clang libclang-dev)
  [ "${1:-}" = test ] && pkgs+=(libfaketime)
  for pkg in "${pkgs[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "==> installing ${missing[*]} (needed to build RocksDB, and libfaketime by the tests)"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  command -v cargo >/dev/null || { echo "cargo not found: install Rust (rustup) first" >&2; exit 1; }
  # The test command checks formatting and lints: rustup's default profile has both; a minimal
  # one does not.
  if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
    command -v rustup >/dev/null || { echo "cargo fmt and cargo clippy are missing and rustup is not there to add them" >&2; exit 1; }
    echo "==> adding rustfmt and clippy (rustup component add)"
    rustup component add rustfmt clippy
  fi
}
