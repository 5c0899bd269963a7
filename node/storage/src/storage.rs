//! [`Storage`]: opening a data dir, the genesis state, the one atomic write of each final block,
//! and the reads the API and block sync need.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use loanchain_contracts::crypto::Hash;
use loanchain_contracts::exec::BlockOutcome;
use loanchain_contracts::ids::LoanId;
use loanchain_contracts::state::WriteSet;
use loanchain_contracts::{Event, Receipt};
use loanchain_types::{Block, CommitCertificate};
use rocksdb::{
    BlockBasedOptions, ColumnFamily, ColumnFamilyDescriptor, DB, DBCompressionType, Direction, IteratorMode, Options, ReadOptions,
    Snapshot, WriteBatch, WriteOptions,
};

use crate::cache::{DEFAULT_STATE_CACHE_BYTES, StateCache};
use crate::error::StorageError;
use crate::tables::{
    self, BlockHashes, Blocks, Certificates, ChainMeta, Consensus, DbKey, DbValue, Events, LastCommitted, LoanEvents, Meta, Receipts,
    State, Table, Transactions, TxLocation,
};

/// A decoded row of table `T`.
pub(crate) type Row<T> = (<T as Table>::Key, <T as Table>::Value);

/// How a data dir is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StorageConfig {
    /// fsync every block commit. Off by default (DESIGN §12: no fsync per block or transaction;
    /// the consensus WAL is the only per-vote fsync): a power loss may then lose the last blocks
    /// committed, which the node re-fetches and re-executes (see the crate docs).
    pub sync_commits: bool,
    /// Bytes of state kept in memory for execution's reads (see [`crate::cache`]); 0 turns the
    /// cache off.
    pub state_cache_bytes: usize,
}

impl Default for StorageConfig {
    fn default() -> StorageConfig {
        StorageConfig { sync_commits: false, state_cache_bytes: DEFAULT_STATE_CACHE_BYTES }
    }
}

/// A final block with its certificate and what executing it produced: everything
/// [`Storage::commit_block`] writes in one batch.
#[derive(Clone, Copy, Debug)]
pub struct CommittedBlock<'a> {
    /// The block.
    pub block: &'a Block,
    /// The certificate that made it final (height and hash must match the block).
    pub certificate: &'a CommitCertificate,
    /// Its execution over the state after the previous block.
    pub outcome: &'a BlockOutcome,
}

impl CommittedBlock<'_> {
    /// What ties the parts together and to the chain: the next height after `previous`, a
    /// certificate of this block, a previous block hash that is `previous`'s. Every store checks
    /// this before it writes a block.
    pub fn check_extends(&self, previous: &LastCommitted) -> Result<(), StorageError> {
        let header = &self.block.header;
        let height = header.height;
        if height != previous.height + 1 {
            return Err(StorageError::OutOfOrder { expected: previous.height + 1, got: height });
        }
        let block_hash = self.block.hash();
        let inconsistent = |reason: String| StorageError::Inconsistent { height, reason };
        if self.certificate.height != height || self.certificate.block_hash != block_hash {
            return Err(inconsistent(format!(
                "the certificate is for block {} at height {}, the block is {block_hash}",
                self.certificate.block_hash, self.certificate.height
            )));
        }
        if header.previous_block_hash != previous.block_hash {
            return Err(inconsistent(format!(
                "its previous block hash is {}, the last committed block is {}",
                header.previous_block_hash, previous.block_hash
            )));
        }
        Ok(())
    }
}

/// The node's durable store: one RocksDB with the column families of [`tables`].
///
/// Every method takes `&self`; commits are serialised internally (one at a time, in height
/// order) and WAL appends keep their order. Reads see each commit entirely or not at all
/// (one `WriteBatch`); for several reads of one consistent state use [`Storage::snapshot`].
pub struct Storage {
    pub(crate) db: DB,
    genesis_hash: Hash,
    /// The last committed block, cached; its lock also serialises commits.
    last: Mutex<Option<LastCommitted>>,
    /// The next WAL sequence number; its lock also orders appends.
    pub(crate) wal_seq: Mutex<u64>,
    /// fsync block commits ([`StorageConfig::sync_commits`]).
    sync_commits: bool,
    /// Recently read or written state values, always equal to the committed state.
    pub(crate) state_cache: StateCache,
    /// How many pieces of evidence are stored; its lock also serialises evidence writes.
    pub(crate) evidence_count: Mutex<u64>,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("path", &self.db.path())
            .field("genesis_hash", &self.genesis_hash)
            .field("last", &self.last_committed())
            .finish()
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks cannot leave the cached value half-updated: it is
    // assigned only after the write that it mirrors succeeded.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The smallest key greater than every key starting with `prefix` (`None`: no such bound).
pub(crate) fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

pub(crate) fn corrupt<T: Table>(key: &[u8], reason: impl Into<String>) -> StorageError {
    StorageError::Corrupt { table: T::NAME, key: hex::encode(key), reason: reason.into() }
}

impl Storage {
    /// Opens (or creates) the data dir at `path` for the chain of `genesis_hash`, with the
    /// default [`StorageConfig`]. Refuses a data dir made for another genesis.
    pub fn open(path: impl AsRef<Path>, genesis_hash: Hash) -> Result<Storage, StorageError> {
        Storage::open_with(path, genesis_hash, StorageConfig::default())
    }

    /// [`Storage::open`] with an explicit configuration.
    pub fn open_with(path: impl AsRef<Path>, genesis_hash: Hash, config: StorageConfig) -> Result<Storage, StorageError> {
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.create_missing_column_families(true);
        opts.set_compression_type(DBCompressionType::Lz4);
        // Most reads during execution and admission ask for keys that do not exist yet (a new
        // nonce, a new claim, a transaction not yet committed): whole-key Bloom filters in the
        // memtable and in every table file answer those without a search, which otherwise grows
        // with the number of files history leaves behind.
        let mut table = BlockBasedOptions::default();
        table.set_bloom_filter(10.0, false);
        table.set_whole_key_filtering(true);
        let cfs = tables::ALL.iter().map(|name| {
            let mut cf = Options::default();
            cf.set_compression_type(DBCompressionType::Lz4);
            cf.set_block_based_table_factory(&table);
            cf.set_memtable_prefix_bloom_ratio(0.05);
            cf.set_memtable_whole_key_filtering(true);
            ColumnFamilyDescriptor::new(*name, cf)
        });
        let db = DB::open_cf_descriptors(&opts, path.as_ref(), cfs).map_err(StorageError::db("open"))?;
        let state_cache = StateCache::new(config.state_cache_bytes);
        let mut storage = Storage {
            db,
            genesis_hash,
            last: Mutex::new(None),
            wal_seq: Mutex::new(0),
            sync_commits: config.sync_commits,
            state_cache,
            evidence_count: Mutex::new(0),
        };
        match storage.read::<Meta>(&())? {
            Some(meta) if meta.genesis_hash != genesis_hash => {
                return Err(StorageError::GenesisMismatch { stored: meta.genesis_hash, given: genesis_hash });
            }
            Some(meta) => *storage.last.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner) = meta.last,
            None => {
                let mut batch = WriteBatch::default();
                storage.put_row::<Meta>(&mut batch, &(), &ChainMeta { genesis_hash, last: None });
                storage.write(batch, true)?;
            }
        }
        let next_seq = storage.wal_next_seq()?;
        *storage.wal_seq.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner) = next_seq;
        let evidence = storage.count_evidence()?;
        *storage.evidence_count.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner) = evidence;
        tracing::info!(path = %storage.db.path().display(), last = ?storage.last_committed(), evidence, "storage opened");
        Ok(storage)
    }

    /// The genesis this data dir belongs to.
    pub fn genesis_hash(&self) -> Hash {
        self.genesis_hash
    }

    /// Writes the genesis state (the write set and app hash of `init_genesis`) as height 0, whose
    /// block hash is [`Hash::ZERO`] (the first block's previous hash). Once per data dir.
    pub fn init_genesis(&self, writes: &WriteSet, app_hash: Hash) -> Result<(), StorageError> {
        let mut last = lock(&self.last);
        if let Some(l) = *last {
            return Err(StorageError::AlreadyInitialised { height: l.height });
        }
        let mut batch = WriteBatch::default();
        self.put_writes(&mut batch, writes);
        let genesis = LastCommitted { height: 0, block_hash: Hash::ZERO, app_hash };
        self.put_row::<Meta>(&mut batch, &(), &ChainMeta { genesis_hash: self.genesis_hash, last: Some(genesis) });
        self.write(batch, true)?;
        self.state_cache.apply(writes);
        *last = Some(genesis);
        Ok(())
    }

    /// Stores a final, executed block in ONE atomic `WriteBatch`: the block and its hash index,
    /// its certificate, the location of each transaction, the receipts, the events and the loan
    /// event index, every state write of the outcome, the new last-committed meta, and the removal
    /// of the consensus WAL up to its height. Not fsynced unless [`StorageConfig::sync_commits`].
    ///
    /// Checks only what ties the parts together (the next height, the certificate names this
    /// block, the previous block hash links): executing the block and comparing app hashes is the
    /// caller's job.
    pub fn commit_block(&self, c: &CommittedBlock<'_>) -> Result<(), StorageError> {
        let mut last = lock(&self.last);
        let previous = (*last).ok_or(StorageError::NotInitialised)?;
        c.check_extends(&previous)?;
        let height = c.block.header.height;
        let block_hash = c.block.hash();
        let inconsistent = |reason: String| StorageError::Inconsistent { height, reason };

        let mut batch = WriteBatch::default();
        self.put_row::<Blocks>(&mut batch, &height, c.block);
        self.put_row::<BlockHashes>(&mut batch, &block_hash, &height);
        self.put_row::<Certificates>(&mut batch, &height, c.certificate);
        for r in &c.outcome.receipts {
            self.put_row::<Transactions>(&mut batch, &r.tx_hash, &TxLocation { height, index: r.index });
            self.put_row::<Receipts>(&mut batch, &(height, r.index), r);
        }
        for (seq, e) in c.outcome.events.iter().enumerate() {
            let seq = u32::try_from(seq).map_err(|_| inconsistent("more than 2^32 events".into()))?;
            self.put_row::<Events>(&mut batch, &(height, seq), e);
            if let Some(loan) = &e.loan {
                self.put_row::<LoanEvents>(&mut batch, &(loan.clone(), height, seq), &());
            }
        }
        self.put_writes(&mut batch, &c.outcome.writes);
        let now = LastCommitted { height, block_hash, app_hash: c.outcome.app_hash };
        self.put_row::<Meta>(&mut batch, &(), &ChainMeta { genesis_hash: self.genesis_hash, last: Some(now) });
        // Point deletes of the few WAL keys up to this height (rather than a range tombstone per
        // block, which RocksDB reads would have to step over until compaction). The previous
        // commit deleted every key below its own height in the same atomic batch, so the scan
        // seeks there: from the front it stepped over the tombstones of every earlier height.
        let wal_end = (height + 1, 0u64).key_bytes();
        let wal_start = (previous.height, 0u64).key_bytes();
        for item in self.raw_iter::<Consensus>(&[], &wal_start, None) {
            let (k, _) = item.map_err(StorageError::db("iterate"))?;
            if *k >= *wal_end {
                break;
            }
            batch.delete_cf(self.cf::<Consensus>(), k);
        }
        self.write(batch, self.sync_commits)?;
        self.state_cache.apply(&c.outcome.writes);
        *last = Some(now);
        tracing::debug!(height, %block_hash, txs = c.outcome.receipts.len(), writes = c.outcome.writes.len(), "block committed");
        Ok(())
    }

    // --- reads ---------------------------------------------------------------------------

    /// The last committed block (height 0 with [`Hash::ZERO`] after the genesis state), or
    /// `None` before [`Storage::init_genesis`]. After a restart, execution resumes at its
    /// height + 1.
    pub fn last_committed(&self) -> Option<LastCommitted> {
        *lock(&self.last)
    }

    /// The block at `height`.
    pub fn block(&self, height: u64) -> Result<Option<Block>, StorageError> {
        self.read::<Blocks>(&height)
    }

    /// The block with hash `hash`.
    pub fn block_by_hash(&self, hash: &Hash) -> Result<Option<Block>, StorageError> {
        match self.read::<BlockHashes>(hash)? {
            None => Ok(None),
            Some(height) => self.block(height),
        }
    }

    /// The certificate that made the block at `height` final.
    pub fn certificate(&self, height: u64) -> Result<Option<CommitCertificate>, StorageError> {
        self.read::<Certificates>(&height)
    }

    /// Where the transaction with hash `tx_hash` was executed.
    pub fn tx_location(&self, tx_hash: &Hash) -> Result<Option<TxLocation>, StorageError> {
        self.read::<Transactions>(tx_hash)
    }

    /// The receipt of transaction `index` of block `height`.
    pub fn receipt(&self, height: u64, index: u32) -> Result<Option<Receipt>, StorageError> {
        self.read::<Receipts>(&(height, index))
    }

    /// The events of block `height`, in order.
    pub fn events(&self, height: u64) -> Result<Vec<Event>, StorageError> {
        Ok(self.scan_table::<Events>(&height.key_bytes(), usize::MAX)?.into_iter().map(|(_, e)| e).collect())
    }

    /// The first `limit` events of `loan`, oldest first.
    pub fn loan_events(&self, loan: &LoanId, limit: usize) -> Result<Vec<Event>, StorageError> {
        let mut out = Vec::new();
        for ((_, height, seq), ()) in self.scan_table::<LoanEvents>(&loan.key_bytes(), limit)? {
            let key = (height, seq);
            let event =
                self.read::<Events>(&key)?.ok_or_else(|| corrupt::<LoanEvents>(&key.key_bytes(), "indexes an event that is not stored"))?;
            out.push(event);
        }
        Ok(out)
    }

    /// A consistent view of the committed state and its meta at this instant (a RocksDB
    /// snapshot): commits made after it are invisible to it.
    pub fn snapshot(&self) -> crate::state::StateSnapshot<'_> {
        crate::state::StateSnapshot::new(self)
    }

    // --- typed access to the column families -------------------------------------------------

    pub(crate) fn cf<T: Table>(&self) -> &ColumnFamily {
        self.db.cf_handle(T::NAME).expect("every column family of tables::ALL is created on open")
    }

    pub(crate) fn read<T: Table>(&self, key: &T::Key) -> Result<Option<T::Value>, StorageError> {
        let k = key.key_bytes();
        match self.db.get_pinned_cf(self.cf::<T>(), &k).map_err(StorageError::db("read"))? {
            None => Ok(None),
            Some(v) => T::Value::decode_value(&v).map(Some).map_err(|reason| corrupt::<T>(&k, reason)),
        }
    }

    pub(crate) fn put_row<T: Table>(&self, batch: &mut WriteBatch, key: &T::Key, value: &T::Value) {
        batch.put_cf(self.cf::<T>(), key.key_bytes(), value.encode_value());
    }

    pub(crate) fn write(&self, batch: WriteBatch, sync: bool) -> Result<(), StorageError> {
        let mut opts = WriteOptions::default();
        opts.set_sync(sync);
        self.db.write_opt(batch, &opts).map_err(StorageError::db("write"))
    }

    fn put_writes(&self, batch: &mut WriteBatch, writes: &WriteSet) {
        let cf = self.cf::<State>();
        for (k, v) in writes {
            match v {
                Some(v) => batch.put_cf(cf, k, v),
                None => batch.delete_cf(cf, k),
            }
        }
    }

    /// Raw entries of `T` whose key starts with `prefix`, from `start` on (inclusive), in key
    /// order, optionally as of a snapshot.
    pub(crate) fn raw_iter<'a, T: Table>(
        &'a self,
        prefix: &[u8],
        start: &[u8],
        snapshot: Option<&Snapshot<'_>>,
    ) -> rocksdb::DBIterator<'a> {
        let from = if start > prefix { start.to_vec() } else { prefix.to_vec() };
        let mut ro = ReadOptions::default();
        if let Some(s) = snapshot {
            ro.set_snapshot(s);
        }
        ro.set_iterate_lower_bound(from.clone());
        if let Some(end) = prefix_end(prefix) {
            ro.set_iterate_upper_bound(end);
        }
        self.db.iterator_cf_opt(self.cf::<T>(), ro, IteratorMode::From(&from, Direction::Forward))
    }

    /// Decoded entries of `T` under `prefix`, at most `limit`.
    pub(crate) fn scan_table<T: Table>(&self, prefix: &[u8], limit: usize) -> Result<Vec<Row<T>>, StorageError> {
        let mut out = Vec::new();
        for item in self.raw_iter::<T>(prefix, prefix, None) {
            if out.len() >= limit {
                break;
            }
            let (k, v) = item.map_err(StorageError::db("iterate"))?;
            let key = T::Key::decode_key(&k).map_err(|reason| corrupt::<T>(&k, reason))?;
            let value = T::Value::decode_value(&v).map_err(|reason| corrupt::<T>(&k, reason))?;
            out.push((key, value));
        }
        Ok(out)
    }
}
