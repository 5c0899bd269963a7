//! A write-through cache of the contract state in front of RocksDB, for the reads of block
//! execution (DESIGN §12: "cache hot state").
//!
//! A repayment reads every claim of its loan and every holder's account, and a RocksDB point read
//! costs microseconds (memtable and level lookups); the same few thousand keys are read block after
//! block. The cache holds recently read or written state values (including "absent"), and is
//! updated with every committed write set right after the RocksDB write succeeded, so it always
//! equals the committed state.
//!
//! A read that misses goes to RocksDB and fills the cache, unless a commit happened in between:
//! the fill carries the generation it started in and is dropped if a commit bumped it, so a value
//! read before a commit can never be cached after it. The cache is only ever looked up by key,
//! never iterated, so its hash order cannot reach consensus. Bounded by bytes: when full it is
//! emptied and refills with what is used next.

use std::collections::HashMap;
use std::sync::Mutex;

use loanchain_contracts::state::WriteSet;

use crate::storage::lock;

/// Cached bytes (keys and values) at most, by default.
pub const DEFAULT_STATE_CACHE_BYTES: usize = 64 << 20;

/// Bytes an entry is counted for beyond its key and value (the map's own overhead, roughly).
const ENTRY_OVERHEAD: usize = 64;

pub(crate) struct StateCache {
    inner: Mutex<Inner>,
    max_bytes: usize,
}

#[derive(Default)]
struct Inner {
    map: HashMap<Vec<u8>, Option<Vec<u8>>>,
    bytes: usize,
    generation: u64,
}

fn entry_bytes(key_len: usize, value: &Option<Vec<u8>>) -> usize {
    key_len + value.as_ref().map_or(0, Vec::len) + ENTRY_OVERHEAD
}

impl Inner {
    fn insert(&mut self, key: Vec<u8>, value: Option<Vec<u8>>, max_bytes: usize) {
        let key_len = key.len();
        let added = entry_bytes(key_len, &value);
        if added > max_bytes {
            if let Some(old) = self.map.remove(&key) {
                self.bytes -= entry_bytes(key_len, &old);
            }
            return;
        }
        if self.bytes + added > max_bytes {
            self.map.clear();
            self.bytes = 0;
        }
        // One lookup: the replaced value, if any, comes back from the insert.
        if let Some(old) = self.map.insert(key, value) {
            self.bytes -= entry_bytes(key_len, &old);
        }
        self.bytes += added;
    }
}

impl StateCache {
    pub fn new(max_bytes: usize) -> StateCache {
        StateCache { inner: Mutex::new(Inner::default()), max_bytes }
    }

    /// `Some(value)` on a hit (the value may be "absent"), `None` on a miss, with the generation
    /// to pass to [`StateCache::fill`].
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, u64> {
        let inner = lock(&self.inner);
        match inner.map.get(key) {
            Some(v) => Ok(v.clone()),
            None => Err(inner.generation),
        }
    }

    /// Caches what a read that missed found in RocksDB, unless a commit happened since the miss.
    pub fn fill(&self, generation: u64, key: &[u8], value: Option<Vec<u8>>) {
        let mut inner = lock(&self.inner);
        if inner.generation == generation {
            inner.insert(key.to_vec(), value, self.max_bytes);
        }
    }

    /// Mirrors a write set that was just written to RocksDB.
    pub fn apply(&self, writes: &WriteSet) {
        let mut inner = lock(&self.inner);
        inner.generation += 1;
        for (k, v) in writes {
            inner.insert(k.clone(), v.clone(), self.max_bytes);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        lock(&self.inner).map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writes(pairs: &[(&[u8], Option<&[u8]>)]) -> WriteSet {
        pairs.iter().map(|(k, v)| (k.to_vec(), v.map(<[u8]>::to_vec))).collect()
    }

    #[test]
    fn a_fill_from_before_a_commit_is_dropped() {
        let cache = StateCache::new(1 << 20);
        let generation = cache.get(b"k").unwrap_err();
        cache.apply(&writes(&[(b"other", Some(b"x"))]));
        cache.fill(generation, b"k", Some(b"stale".to_vec()));
        assert!(cache.get(b"k").is_err(), "a value read before a commit was cached after it");
        let generation = cache.get(b"k").unwrap_err();
        cache.fill(generation, b"k", Some(b"fresh".to_vec()));
        assert_eq!(cache.get(b"k"), Ok(Some(b"fresh".to_vec())));
    }

    #[test]
    fn commits_overwrite_and_delete() {
        let cache = StateCache::new(1 << 20);
        cache.apply(&writes(&[(b"a", Some(b"1")), (b"b", Some(b"2"))]));
        cache.apply(&writes(&[(b"a", Some(b"3")), (b"b", None)]));
        assert_eq!(cache.get(b"a"), Ok(Some(b"3".to_vec())));
        assert_eq!(cache.get(b"b"), Ok(None));
    }

    #[test]
    fn it_stays_within_its_bound() {
        let max = 10 * (ENTRY_OVERHEAD + 8);
        let cache = StateCache::new(max);
        for i in 0u32..100 {
            cache.apply(&writes(&[(&i.to_be_bytes(), Some(&[0u8; 4]))]));
            assert!(lock(&cache.inner).bytes <= max);
        }
        assert!(cache.len() <= 10);
        assert_eq!(cache.get(&99u32.to_be_bytes()), Ok(Some(vec![0u8; 4])));
        // An entry larger than the whole cache is not kept.
        cache.apply(&writes(&[(b"huge", Some(&vec![1u8; max]))]));
        assert!(cache.get(b"huge").is_err());
    }
}
