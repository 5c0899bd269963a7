//! The contract state behind the contracts' [`Store`] trait: point reads and ordered prefix scans
//! over the `state` column family, on the live store or on a [`StateSnapshot`].
//!
//! Prefix scans use RocksDB iterators bounded below by `max(prefix, start)` and above by the
//! prefix's successor, so they come out in key order exactly as `MemStore`'s. Every RocksDB
//! failure becomes the contracts' fatal `Error::Storage`, which aborts the block being executed.

use loanchain_contracts::Error;
use loanchain_contracts::state::{Entry, Store};
use rocksdb::{DBIterator, Snapshot};

use crate::error::StorageError;
use crate::storage::{Storage, corrupt};
use crate::tables::{DbKey, LastCommitted, Meta, State, Table};

fn read_failed(e: rocksdb::Error) -> Error {
    Error::Storage { reason: format!("RocksDB read of the state failed: {e}") }
}

/// A scan of the state column family, as the contracts expect it.
struct StateScan<'a> {
    inner: DBIterator<'a>,
}

impl Iterator for StateScan<'_> {
    type Item = Result<Entry, Error>;
    fn next(&mut self) -> Option<Self::Item> {
        // The RocksDB iterator is fused: after an error it yields nothing more.
        self.inner.next().map(|item| item.map(|(k, v)| (k.into_vec(), v.into_vec())).map_err(read_failed))
    }
}

/// The live store reads through the state cache (`cache.rs`); snapshots read RocksDB directly.
impl Store for Storage {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        match self.state_cache.get(key) {
            Ok(value) => Ok(value),
            Err(generation) => {
                let value = self.db.get_cf(self.cf::<State>(), key).map_err(read_failed)?;
                self.state_cache.fill(generation, key, value.clone());
                Ok(value)
            }
        }
    }

    fn scan<'a>(&'a self, prefix: &[u8], start: &[u8]) -> Box<dyn Iterator<Item = Result<Entry, Error>> + 'a> {
        Box::new(StateScan { inner: self.raw_iter::<State>(prefix, start, None) })
    }
}

/// The committed state and meta as of one instant: a RocksDB snapshot. Execution of a block and
/// API reads that must agree with one app hash read through it, while commits go on.
pub struct StateSnapshot<'a> {
    storage: &'a Storage,
    snapshot: Snapshot<'a>,
}

impl<'a> StateSnapshot<'a> {
    pub(crate) fn new(storage: &'a Storage) -> StateSnapshot<'a> {
        StateSnapshot { storage, snapshot: storage.db.snapshot() }
    }

    /// The last committed block the snapshot's state is the state after.
    pub fn last_committed(&self) -> Result<Option<LastCommitted>, StorageError> {
        let key = ().key_bytes();
        match self.snapshot.get_cf(self.storage.cf::<Meta>(), &key).map_err(StorageError::db("read"))? {
            None => Ok(None),
            Some(bytes) => {
                let meta: <Meta as Table>::Value = crate::tables::DbValue::decode_value(&bytes).map_err(|r| corrupt::<Meta>(&key, r))?;
                Ok(meta.last)
            }
        }
    }
}

impl Store for StateSnapshot<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        self.snapshot.get_cf(self.storage.cf::<State>(), key).map_err(read_failed)
    }

    fn scan<'a>(&'a self, prefix: &[u8], start: &[u8]) -> Box<dyn Iterator<Item = Result<Entry, Error>> + 'a> {
        Box::new(StateScan { inner: self.storage.raw_iter::<State>(prefix, start, Some(&self.snapshot)) })
    }
}
