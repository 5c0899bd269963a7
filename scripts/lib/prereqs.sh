# Sourced by the scripts: installs what a fresh Debian machine with only Rust lacks, and only that.
# RocksDB's bindgen needs libclang (DESIGN §13); nothing else comes from apt.

ensure_prereqs() {
  local missing=()
  for pkg in clang libclang-dev; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "==> installing ${missing[*]} (needed to build RocksDB)"
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
