//! loanchain-storage: the durable store of a loanchain node (DESIGN §10), on RocksDB.
//!
//! One RocksDB data dir holds the final blocks with their commit certificates, where each
//! transaction was executed, receipts, events and an index of events by loan, the contract state
//! (behind the contracts' [`Store`](loanchain_contracts::state::Store) trait, so execution never
//! sees RocksDB), the last committed height with its block and app hash, the consensus WAL, and
//! the equivocation evidence this node verified ([`evidence`]).
//! Every column family is declared once, with its key and value types, in [`tables`].
//!
//! # Writes and what a crash can lose
//!
//! - [`Storage::commit_block`] writes a final, executed block as ONE atomic `WriteBatch`: block,
//!   hash index, certificate, transaction locations, receipts, events, loan-event index, every
//!   state put and delete of the block, the new last-committed meta, and the removal of the
//!   consensus WAL up to that height. RocksDB's own log is on, but the batch is not fsynced
//!   (DESIGN §12: no fsync per block or transaction).
//! - [`Storage::wal_append`] writes consensus WAL entries (the safety record, what the validator
//!   signed, the justification of a lock) with `sync = true`: the fsync barrier of
//!   `Ready::persist` (STYLE habit 2). Since RocksDB has one log, that fsync also makes every
//!   earlier block commit durable.
//! - [`Storage::add_evidence`] writes one piece of evidence with `sync = true`.
//!
//! A killed process (SIGKILL, panic) loses nothing that a call returned for: RocksDB hands each
//! write to the operating system before returning. A power loss or OS crash can lose the block
//! commits made since the last fsync (the last WAL append), never part of one: the batch is
//! atomic, so after restart the meta, the blocks, the indices and the state all stand at the same
//! height. That is safe because a committed block is final by consensus, not by this disk: its
//! certificate lives at a quorum of other validators, so the node re-fetches the missing blocks by
//! sync and re-executes from [`Storage::last_committed`]`.height + 1`, reaching the same app hash.
//! What must never be lost, what this validator signed, is fsynced before it is sent, so a
//! restart can never make it sign twice.
//!
//! # Errors
//!
//! One [`StorageError`]; a failed read or write and a corrupt value are
//! [`ErrorClass::Fatal`](loanchain_contracts::ErrorClass::Fatal): the node must stop. Corrupt bytes
//! give [`StorageError::Corrupt`] (or the contracts' `Error::Storage` during execution), never a
//! panic.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cache;
pub mod error;
pub mod evidence;
pub mod state;
pub mod storage;
pub mod tables;
pub mod wal;

pub use error::StorageError;
pub use evidence::{EvidenceAdded, EvidencePage, MAX_EVIDENCE_PER_VALIDATOR_HEIGHT};
pub use state::StateSnapshot;
pub use storage::{CommittedBlock, Storage, StorageConfig};
pub use tables::{ChainMeta, LastCommitted, TxLocation};

#[cfg(test)]
mod tests {
    /// The node shares one `Storage` between its tasks.
    #[test]
    fn storage_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<crate::Storage>();
    }
}
