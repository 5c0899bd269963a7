//! The one error type of the storage crate (STYLE habit 8).
//!
//! Every variant carries what a person needs to act on it. [`StorageError::class`] reuses the
//! contracts' [`ErrorClass`]: a failed read or write, or a corrupt value, is
//! [`ErrorClass::Fatal`]: the node must stop rather than sign or serve from a store it cannot
//! trust. A data dir made for another chain, or blocks handed over out of order, are the caller's
//! fault ([`ErrorClass::Client`]).

use loanchain_contracts::ErrorClass;
use loanchain_contracts::crypto::Hash;
use thiserror::Error;

/// Everything that can go wrong in the node's storage.
#[derive(Debug, Error)]
pub enum StorageError {
    /// RocksDB failed (I/O error, full disk, lock held by another process...).
    #[error("RocksDB {op} failed: {source}")]
    Db {
        /// The operation: "open", "write", "read", "iterate"...
        op: &'static str,
        /// RocksDB's error.
        #[source]
        source: rocksdb::Error,
    },
    /// A stored key or value does not decode: the store is corrupt (or written by another format).
    #[error("corrupt {table} entry at key {key}: {reason}")]
    Corrupt {
        /// The column family.
        table: &'static str,
        /// The key, in hex.
        key: String,
        /// What does not decode.
        reason: String,
    },
    /// The data dir belongs to another chain.
    #[error("the data dir was created for genesis {stored}, this node runs genesis {given}: use another data dir")]
    GenesisMismatch {
        /// The genesis hash recorded in the data dir.
        stored: Hash,
        /// The genesis hash the node was started with.
        given: Hash,
    },
    /// `init_genesis` on a store that already has state.
    #[error("genesis state is already initialised (last committed height {height})")]
    AlreadyInitialised {
        /// The last committed height.
        height: u64,
    },
    /// A block commit before `init_genesis`.
    #[error("genesis state is not initialised: call init_genesis first")]
    NotInitialised,
    /// A block that does not follow the last committed one.
    #[error("block {got} cannot be committed: the next height is {expected}")]
    OutOfOrder {
        /// `last_committed + 1`.
        expected: u64,
        /// The height handed over.
        got: u64,
    },
    /// The parts of a committed block do not belong together.
    #[error("inconsistent commit of block {height}: {reason}")]
    Inconsistent {
        /// The block's height.
        height: u64,
        /// What does not match.
        reason: String,
    },
}

impl StorageError {
    /// Whose fault it is: a failed read or write and a corrupt value are fatal.
    pub fn class(&self) -> ErrorClass {
        match self {
            StorageError::Db { .. } | StorageError::Corrupt { .. } => ErrorClass::Fatal,
            StorageError::GenesisMismatch { .. }
            | StorageError::AlreadyInitialised { .. }
            | StorageError::NotInitialised
            | StorageError::OutOfOrder { .. }
            | StorageError::Inconsistent { .. } => ErrorClass::Client,
        }
    }

    /// A stable snake_case code, for logs and API errors.
    pub fn code(&self) -> &'static str {
        match self {
            StorageError::Db { .. } => "storage_io",
            StorageError::Corrupt { .. } => "storage_corrupt",
            StorageError::GenesisMismatch { .. } => "genesis_mismatch",
            StorageError::AlreadyInitialised { .. } => "already_initialised",
            StorageError::NotInitialised => "not_initialised",
            StorageError::OutOfOrder { .. } => "out_of_order",
            StorageError::Inconsistent { .. } => "inconsistent_commit",
        }
    }

    pub(crate) fn db(op: &'static str) -> impl FnOnce(rocksdb::Error) -> StorageError {
        move |source| StorageError::Db { op, source }
    }
}

impl From<StorageError> for loanchain_contracts::Error {
    /// Execution sees a storage failure as the contracts' fatal `Error::Storage`.
    fn from(e: StorageError) -> loanchain_contracts::Error {
        loanchain_contracts::Error::Storage { reason: e.to_string() }
    }
}
