//! An in-memory [`ChainStore`] for whole-node simulation: what the node keeps in RocksDB, kept in
//! ordered maps behind one lock, with the same rules (a commit must be the next height, name its
//! certificate and extend the last block; evidence is bounded per validator and height; a commit
//! removes its height's WAL). `tests/it/store.rs` runs the same operations on both stores and
//! compares every answer.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use loanchain_consensus::WalEntry;
use loanchain_contracts::state::{Entry, MemStore, WriteSet};
use loanchain_contracts::{Error as ContractError, Store};
use loanchain_node::chain::ChainStore;
use loanchain_storage::tables::EvidenceKey;
use loanchain_storage::{CommittedBlock, EvidenceAdded, LastCommitted, MAX_EVIDENCE_PER_VALIDATOR_HEIGHT, StorageError, TxLocation};
use loanchain_types::{Block, CommitCertificate, Evidence, Hash, Height};

/// One simulated node's storage.
#[derive(Default)]
pub struct MemChainStore {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    state: MemStore,
    last: Option<LastCommitted>,
    blocks: BTreeMap<Height, (Block, CommitCertificate)>,
    by_hash: BTreeMap<Hash, Height>,
    txs: BTreeMap<Hash, TxLocation>,
    /// WAL rows by (height, sequence): consensus entries, or a proposed block.
    wal: BTreeMap<(Height, u64), WalRow>,
    next_seq: u64,
    evidence: BTreeMap<EvidenceKey, Evidence>,
}

#[derive(Clone)]
enum WalRow {
    Entry(WalEntry),
    Proposed(Block),
}

impl MemChainStore {
    /// A store holding the genesis state (`writes`, whose app hash is `app_hash`) at height 0.
    pub fn with_genesis(writes: &WriteSet, app_hash: Hash) -> MemChainStore {
        let store = MemChainStore::default();
        {
            let mut inner = store.lock();
            inner.state.apply(writes);
            inner.last = Some(LastCommitted { height: 0, block_hash: Hash::ZERO, app_hash });
        }
        store
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A copy of the contract state (for the checker's conservation and equality checks).
    pub fn state(&self) -> MemStore {
        self.lock().state.clone()
    }

    fn append(&self, rows: impl IntoIterator<Item = (Height, WalRow)>) {
        let mut inner = self.lock();
        for (height, row) in rows {
            let seq = inner.next_seq;
            inner.next_seq += 1;
            inner.wal.insert((height, seq), row);
        }
    }
}

impl Store for MemChainStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, ContractError> {
        self.lock().state.get(key)
    }

    fn scan<'a>(&'a self, prefix: &[u8], start: &[u8]) -> Box<dyn Iterator<Item = Result<Entry, ContractError>> + 'a> {
        // The lock is not held across the caller's iteration: the entries are read at once.
        let entries: Vec<Result<Entry, ContractError>> = self.lock().state.scan(prefix, start).collect();
        Box::new(entries.into_iter())
    }
}

impl ChainStore for MemChainStore {
    fn last_committed(&self) -> Option<LastCommitted> {
        self.lock().last
    }
    fn block(&self, height: Height) -> Result<Option<Block>, StorageError> {
        Ok(self.lock().blocks.get(&height).map(|(b, _)| b.clone()))
    }
    fn block_by_hash(&self, hash: &Hash) -> Result<Option<Block>, StorageError> {
        let inner = self.lock();
        Ok(inner.by_hash.get(hash).and_then(|h| inner.blocks.get(h)).map(|(b, _)| b.clone()))
    }
    fn certificate(&self, height: Height) -> Result<Option<CommitCertificate>, StorageError> {
        Ok(self.lock().blocks.get(&height).map(|(_, c)| c.clone()))
    }
    fn tx_location(&self, tx_hash: &Hash) -> Result<Option<TxLocation>, StorageError> {
        Ok(self.lock().txs.get(tx_hash).copied())
    }
    fn wal_append(&self, entries: &[WalEntry]) -> Result<(), StorageError> {
        self.append(entries.iter().map(|e| (e.height(), WalRow::Entry(e.clone()))));
        Ok(())
    }
    fn wal_load(&self) -> Result<Vec<WalEntry>, StorageError> {
        Ok(self
            .lock()
            .wal
            .values()
            .filter_map(|row| match row {
                WalRow::Entry(e) => Some(e.clone()),
                WalRow::Proposed(_) => None,
            })
            .collect())
    }
    fn wal_keep_proposed_block(&self, block: &Block) -> Result<(), StorageError> {
        self.append([(block.header.height, WalRow::Proposed(block.clone()))]);
        Ok(())
    }
    fn wal_proposed_blocks(&self) -> Result<Vec<Block>, StorageError> {
        Ok(self
            .lock()
            .wal
            .values()
            .filter_map(|row| match row {
                WalRow::Proposed(b) => Some(b.clone()),
                WalRow::Entry(_) => None,
            })
            .collect())
    }
    fn has_evidence(&self, key: &EvidenceKey) -> Result<bool, StorageError> {
        Ok(self.lock().evidence.contains_key(key))
    }
    fn add_evidence(&self, evidence: &Evidence) -> Result<EvidenceAdded, StorageError> {
        let mut inner = self.lock();
        let key = EvidenceKey::of(evidence);
        if inner.evidence.contains_key(&key) {
            return Ok(EvidenceAdded::Known);
        }
        let held = inner.evidence.keys().filter(|k| k.height == key.height && k.validator == key.validator).count();
        if held >= MAX_EVIDENCE_PER_VALIDATOR_HEIGHT {
            return Ok(EvidenceAdded::Full);
        }
        inner.evidence.insert(key, evidence.clone());
        Ok(EvidenceAdded::Stored)
    }
    fn view(&self) -> Box<dyn Store + '_> {
        // A copy: the simulator admits between commits, never during one.
        Box::new(self.lock().state.clone())
    }
    fn commit_block(&self, c: &CommittedBlock<'_>) -> Result<(), StorageError> {
        let mut inner = self.lock();
        let previous = inner.last.ok_or(StorageError::NotInitialised)?;
        c.check_extends(&previous)?;
        let (height, block_hash) = (c.block.header.height, c.block.hash());
        inner.blocks.insert(height, (c.block.clone(), c.certificate.clone()));
        inner.by_hash.insert(block_hash, height);
        for r in &c.outcome.receipts {
            inner.txs.insert(r.tx_hash, TxLocation { height, index: r.index });
        }
        inner.state.apply(&c.outcome.writes);
        inner.wal.retain(|(h, _), _| *h > height);
        inner.last = Some(LastCommitted { height, block_hash, app_hash: c.outcome.app_hash });
        Ok(())
    }
}
