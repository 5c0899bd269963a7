//! loanchain-sim-node: the whole node in a deterministic simulation (issue 16).
//!
//! Validators run the node's real chain host ([`loanchain_node::chain::Chain`]) over
//! [`store::MemChainStore`], an in-memory `ChainStore` checked against RocksDB's by
//! `tests/it/store.rs`, with real transactions, block bodies, signatures and execution, on a
//! seeded network in virtual time ([`whole`]), with message loss, partitions that heal and
//! crashes with restarts ([`faults`]); Byzantine peers are mocks, one file each ([`mocks`]). The consensus core alone, with block digests and its fault mixes, is simulated by
//! `loanchain-sim` (`node/sim`), which stays free of I/O crates; this crate links the node, so it
//! cannot be, and its determinism is checked by replay (same trace hash for the same seed) and by
//! the deterministic crates' clippy rules (`clippy.toml`).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod faults;
pub mod mocks;
pub mod store;
pub mod whole;
