//! Integration tests of loanchain-storage, in one test binary (STYLE habit 13, reth style):
//!
//! - `roundtrip`: 50 blocks of real contract transactions committed both to a `MemStore` and to
//!   RocksDB: the same outcome and app hash at every block, the same prefix scans, every read.
//! - `reopen`: a data dir reopens where it stopped; another genesis is refused; misuse is typed.
//! - `kill9`: a child process committing blocks and appending to the consensus WAL is SIGKILLed at
//!   several moments; every reopen is consistent and keeps every WAL entry the child reported.
//! - `corrupt`: garbage in any column family gives a typed error, never a panic.

mod corrupt;
mod kill9;
mod reopen;
mod roundtrip;
mod workload;

use std::path::{Path, PathBuf};

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_nanos();
        let path = std::env::temp_dir().join(format!("loanchain-storage-it-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
