//! Integration tests of loanchain-genesis (one test binary, STYLE: reth's habit):
//!
//! - `devnet`: a 4-validator + 1-observer devnet genesis validates, round-trips through JSON and
//!   bcs, has a pinned hash and encoding (golden fixture), and the contracts crate's
//!   `init_genesis` accepts it.
//! - `rules`: each rule of `Genesis::validate` rejects a genesis broken in exactly that way.
//! - `cli`: the `loanchain-genesis` binary, run in temporary directories.
//!
//! Regenerate the golden fixture deliberately with
//! `LOANCHAIN_BLESS=1 cargo test --release -p loanchain-genesis --test it`: that is a genesis
//! format change.

mod cli;
mod devnet;
mod rules;

use loanchain_genesis::{DevnetFiles, DevnetSpec};

/// 2026-01-01T00:00:00Z in unix ms.
pub const GENESIS_TIME: u64 = 1_767_225_600_000;

/// The devnet every test starts from: 4 validators, 1 observer, fixed keys and time.
pub fn fixed_devnet() -> DevnetFiles {
    loanchain_genesis::devnet(&DevnetSpec::new(4, 1, GENESIS_TIME), &[7u8; 32]).expect("the fixed devnet builds")
}

/// A fresh directory under the system temp dir, unique to this process and `name`.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("loanchain-genesis-it-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
