//! What the chain host reads and writes: the [`ChainStore`] trait, implemented by the node's
//! RocksDB [`Storage`] and, in the simulator, by an in-memory store, so that the same host runs
//! over either.

use loanchain_consensus::WalEntry;
use loanchain_storage::tables::EvidenceKey;
use loanchain_storage::{CommittedBlock, EvidenceAdded, LastCommitted, Storage, StorageError, TxLocation};
use loanchain_types::{Block, CommitCertificate, Evidence, Hash, Height};

/// The chain host's storage: committed blocks and their certificates, the transaction index,
/// the consensus WAL (with the blocks this validator proposed), equivocation evidence, and the
/// contract state (the [`loanchain_contracts::Store`] supertrait) that blocks execute over. Each
/// method means what the [`Storage`] method of the same name documents.
pub trait ChainStore: loanchain_contracts::Store + Send + Sync + 'static {
    /// The last committed block (height 0 after the genesis state), `None` before genesis.
    fn last_committed(&self) -> Option<LastCommitted>;
    /// The committed block at `height`.
    fn block(&self, height: Height) -> Result<Option<Block>, StorageError>;
    /// A committed block by hash.
    fn block_by_hash(&self, hash: &Hash) -> Result<Option<Block>, StorageError>;
    /// The certificate of the committed block at `height`.
    fn certificate(&self, height: Height) -> Result<Option<CommitCertificate>, StorageError>;
    /// Where a committed transaction is.
    fn tx_location(&self, tx_hash: &Hash) -> Result<Option<TxLocation>, StorageError>;
    /// Appends to the WAL, durably, before returning.
    fn wal_append(&self, entries: &[WalEntry]) -> Result<(), StorageError>;
    /// The WAL of the heights not yet committed.
    fn wal_load(&self) -> Result<Vec<WalEntry>, StorageError>;
    /// Keeps a block this validator proposes with its height's WAL.
    fn wal_keep_proposed_block(&self, block: &Block) -> Result<(), StorageError>;
    /// The blocks kept by [`ChainStore::wal_keep_proposed_block`] for heights not yet committed.
    fn wal_proposed_blocks(&self) -> Result<Vec<Block>, StorageError>;
    /// Whether evidence of `key` is stored.
    fn has_evidence(&self, key: &EvidenceKey) -> Result<bool, StorageError>;
    /// Stores verified evidence (bounded per validator).
    fn add_evidence(&self, evidence: &Evidence) -> Result<EvidenceAdded, StorageError>;
    /// A consistent view of the contract state for admission checks while blocks commit.
    fn view(&self) -> Box<dyn loanchain_contracts::Store + '_>;
    /// Stores an executed block atomically: block, certificate, receipts, events, state changes,
    /// and the removal of its height's WAL.
    fn commit_block(&self, block: &CommittedBlock<'_>) -> Result<(), StorageError>;
}

impl ChainStore for Storage {
    fn last_committed(&self) -> Option<LastCommitted> {
        Storage::last_committed(self)
    }
    fn block(&self, height: Height) -> Result<Option<Block>, StorageError> {
        Storage::block(self, height)
    }
    fn block_by_hash(&self, hash: &Hash) -> Result<Option<Block>, StorageError> {
        Storage::block_by_hash(self, hash)
    }
    fn certificate(&self, height: Height) -> Result<Option<CommitCertificate>, StorageError> {
        Storage::certificate(self, height)
    }
    fn tx_location(&self, tx_hash: &Hash) -> Result<Option<TxLocation>, StorageError> {
        Storage::tx_location(self, tx_hash)
    }
    fn wal_append(&self, entries: &[WalEntry]) -> Result<(), StorageError> {
        Storage::wal_append(self, entries)
    }
    fn wal_load(&self) -> Result<Vec<WalEntry>, StorageError> {
        Storage::wal_load(self)
    }
    fn wal_keep_proposed_block(&self, block: &Block) -> Result<(), StorageError> {
        Storage::wal_keep_proposed_block(self, block)
    }
    fn wal_proposed_blocks(&self) -> Result<Vec<Block>, StorageError> {
        Storage::wal_proposed_blocks(self)
    }
    fn has_evidence(&self, key: &EvidenceKey) -> Result<bool, StorageError> {
        Storage::has_evidence(self, key)
    }
    fn add_evidence(&self, evidence: &Evidence) -> Result<EvidenceAdded, StorageError> {
        Storage::add_evidence(self, evidence)
    }
    fn view(&self) -> Box<dyn loanchain_contracts::Store + '_> {
        Box::new(self.snapshot())
    }
    fn commit_block(&self, block: &CommittedBlock<'_>) -> Result<(), StorageError> {
        Storage::commit_block(self, block)
    }
}
