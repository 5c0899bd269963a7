//! Integration tests of loanchain-storage, in one test binary (STYLE habit 13, reth style):
//!
//! - `roundtrip`: 50 blocks of real contract transactions committed both to a `MemStore` and to
//!   RocksDB: the same outcome and app hash at every block, the same prefix scans, every read.
//! - `reopen`: a data dir reopens where it stopped; another genesis is refused; misuse is typed.
//! - `kill9`: a child process committing blocks and appending to the consensus WAL is SIGKILLed at
//!   several moments; every reopen is consistent and keeps every WAL entry the child reported.
//! - `corrupt`: garbage in any column family gives a typed error, never a panic.
//! - `evidence`: equivocation evidence is stored once per (height, validator, round, kind), a few
//!   per validator and height, listed newest first in whole heights, and survives a reopen.

mod corrupt;
mod evidence;
mod kill9;
mod reopen;
mod roundtrip;
mod workload;

/// A fresh directory under the system temp dir, removed on drop.
pub fn temp_dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new().prefix(&format!("loanchain-storage-it-{name}-")).tempdir().expect("create temp dir")
}
