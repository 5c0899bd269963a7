//! State behind a small trait (DESIGN §10): the node backs it with RocksDB, tests with a BTreeMap.
//!
//! [`Store`] is what a backend provides: point reads and ordered prefix iteration over committed
//! state. Execution reads through an [`Overlay`] that buffers a block's writes, and within it one
//! transaction's writes, so that a failed transaction is dropped whole. Values are typed through
//! [`Table`]s (see [`tables`]); keys are order-preserving encodings so prefix scans come out in
//! key order (claims by index, deadlines by time).

pub mod keys;
pub mod tables;

use std::collections::BTreeMap;
use std::collections::btree_map;
use std::ops::Bound;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::codec;
use crate::crypto::Hash;
use crate::error::Error;
pub use keys::KeyCodec;

/// One entry of a prefix scan.
pub type Entry = (Vec<u8>, Vec<u8>);

/// Decoded rows of a scan: (key bytes after the table prefix, value).
pub type Rows<V> = Vec<(Vec<u8>, V)>;

type Layer<'a> = std::iter::Peekable<btree_map::Range<'a, Vec<u8>, Option<Vec<u8>>>>;

/// A write set: every key a block (or transaction) changed, in key order; `None` deletes.
pub type WriteSet = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// Committed state, as a backend provides it.
pub trait Store {
    /// The value at `key`.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error>;
    /// Every entry whose key starts with `prefix`, in key order, from `start` (inclusive) on.
    fn scan<'a>(&'a self, prefix: &[u8], start: &[u8]) -> Box<dyn Iterator<Item = Result<Entry, Error>> + 'a>;
}

/// State in memory: the reference backend for tests, benchmarks and the simulator.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemStore {
    map: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl MemStore {
    /// Empty state.
    pub fn new() -> MemStore {
        MemStore::default()
    }

    /// Applies a committed block's write set, taking it by value (no copy of keys or values).
    pub fn apply_owned(&mut self, writes: WriteSet) {
        for (k, v) in writes {
            match v {
                Some(v) => self.map.insert(k, v),
                None => self.map.remove(&k),
            };
        }
    }

    /// Applies a committed block's write set.
    pub fn apply(&mut self, writes: &WriteSet) {
        for (k, v) in writes {
            match v {
                Some(v) => self.map.insert(k.clone(), v.clone()),
                None => self.map.remove(k),
            };
        }
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True if empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Every entry, in key order.
    pub fn entries(&self) -> impl Iterator<Item = (&Vec<u8>, &Vec<u8>)> {
        self.map.iter()
    }
}

impl Store for MemStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        Ok(self.map.get(key).cloned())
    }

    fn scan<'a>(&'a self, prefix: &[u8], start: &[u8]) -> Box<dyn Iterator<Item = Result<Entry, Error>> + 'a> {
        let prefix = prefix.to_vec();
        let from = if start > prefix.as_slice() { start.to_vec() } else { prefix.clone() };
        Box::new(
            self.map
                .range::<[u8], _>((Bound::Included(from.as_slice()), Bound::Unbounded))
                .take_while(move |(k, _)| k.starts_with(&prefix))
                .map(|(k, v)| Ok((k.clone(), v.clone()))),
        )
    }
}

/// A typed table: a one-byte prefix, a key type and a value type (STYLE habit 11).
pub trait Table {
    /// Name, for errors.
    const NAME: &'static str;
    /// First byte of every key of the table.
    const PREFIX: u8;
    /// Key type, encoded order-preservingly.
    type Key: KeyCodec;
    /// Value type, encoded with bcs.
    type Value: Serialize + DeserializeOwned;

    /// The full key bytes of `key`.
    fn key(key: &Self::Key) -> Vec<u8> {
        let mut out = vec![Self::PREFIX];
        key.encode_key(&mut out);
        out
    }
}

/// Block- and transaction-level write buffers over committed state.
pub struct Overlay<'s> {
    base: &'s dyn Store,
    block: WriteSet,
    tx: WriteSet,
}

impl<'s> Overlay<'s> {
    /// An empty overlay over `base`.
    pub fn new(base: &'s dyn Store) -> Overlay<'s> {
        Overlay { base, block: WriteSet::new(), tx: WriteSet::new() }
    }

    /// Raw read through both buffers.
    pub fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        if let Some(v) = self.tx.get(key) {
            return Ok(v.clone());
        }
        if let Some(v) = self.block.get(key) {
            return Ok(v.clone());
        }
        self.base.get(key)
    }

    /// Typed read.
    pub fn get<T: Table>(&self, key: &T::Key) -> Result<Option<T::Value>, Error> {
        match self.get_raw(&T::key(key))? {
            None => Ok(None),
            Some(bytes) => decode::<T>(&bytes).map(Some),
        }
    }

    /// Typed write.
    pub fn put<T: Table>(&mut self, key: &T::Key, value: &T::Value) {
        self.tx.insert(T::key(key), Some(codec::to_bytes(value)));
    }

    /// Typed delete.
    pub fn delete<T: Table>(&mut self, key: &T::Key) {
        self.tx.insert(T::key(key), None);
    }

    /// Keeps the current transaction's writes.
    pub fn commit_tx(&mut self) {
        let tx = std::mem::take(&mut self.tx);
        self.block.extend(tx);
    }

    /// Drops the current transaction's writes.
    pub fn rollback_tx(&mut self) {
        self.tx.clear();
    }

    /// The keys the current transaction wrote so far.
    pub fn tx_keys(&self) -> impl Iterator<Item = &Vec<u8>> {
        self.tx.keys()
    }

    /// Entries of table `T` whose key starts with `prefix` (an encoded partial key), in key
    /// order, as they stand with every buffered write applied; decoding stops at `limit` entries.
    pub fn scan<T: Table>(&self, prefix: &[u8], limit: usize) -> Result<Rows<T::Value>, Error> {
        self.scan_from::<T>(prefix, prefix, limit)
    }

    /// [`Overlay::scan`] from `start` on (inclusive; table keys without the table prefix). A
    /// store seeks to `start` directly: entries deleted before it are never stepped over, which
    /// matters for RocksDB, where deleted keys stay as tombstones until compaction.
    pub fn scan_from<T: Table>(&self, prefix: &[u8], start: &[u8], limit: usize) -> Result<Rows<T::Value>, Error> {
        let mut full = vec![T::PREFIX];
        full.extend_from_slice(prefix);
        let mut full_start = vec![T::PREFIX];
        full_start.extend_from_slice(start.max(prefix));
        let mut out = Vec::new();
        for entry in self.merged(&full, &full_start) {
            if out.len() >= limit {
                break;
            }
            let (k, v) = entry?;
            out.push((k[1..].to_vec(), decode::<T>(&v)?));
        }
        Ok(out)
    }

    /// Merges base, block and transaction entries under `prefix`, in key order.
    fn merged<'a>(&'a self, prefix: &'a [u8], start: &'a [u8]) -> impl Iterator<Item = Result<Entry, Error>> + 'a {
        let layers: Vec<btree_map::Range<'a, Vec<u8>, Option<Vec<u8>>>> =
            [&self.block, &self.tx].into_iter().map(|m| m.range::<[u8], _>((Bound::Included(start), Bound::Unbounded))).collect();
        Merge { base: self.base.scan(prefix, start).peekable(), layers: layers.into_iter().map(Iterator::peekable).collect(), prefix }
    }

    /// The block's write set so far (the transaction buffer must be empty).
    pub fn into_writes(mut self) -> WriteSet {
        self.commit_tx();
        self.block
    }
}

struct Merge<'a> {
    base: std::iter::Peekable<Box<dyn Iterator<Item = Result<Entry, Error>> + 'a>>,
    layers: Vec<Layer<'a>>,
    prefix: &'a [u8],
}

impl Iterator for Merge<'_> {
    type Item = Result<Entry, Error>;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            // The smallest key among the heads; upper layers win ties.
            let mut best: Option<Vec<u8>> = match self.base.peek() {
                Some(Ok((k, _))) => Some(k.clone()),
                Some(Err(_)) => return self.base.next(),
                None => None,
            };
            for layer in &mut self.layers {
                if let Some((k, _)) = layer.peek()
                    && k.starts_with(self.prefix)
                    && best.as_ref().is_none_or(|b| *k <= b)
                {
                    best = Some((*k).clone());
                }
            }
            let key = best?;
            let mut value: Option<Option<Vec<u8>>> = None;
            if matches!(self.base.peek(), Some(Ok((k, _))) if *k == key)
                && let Some(Ok((_, v))) = self.base.next()
            {
                value = Some(Some(v));
            }
            for layer in &mut self.layers {
                if matches!(layer.peek(), Some((k, _)) if **k == key)
                    && let Some((_, v)) = layer.next()
                {
                    value = Some(v.clone());
                }
            }
            match value {
                Some(Some(v)) => return Some(Ok((key, v))),
                _ => continue, // deleted in an upper layer
            }
        }
    }
}

fn decode<T: Table>(bytes: &[u8]) -> Result<T::Value, Error> {
    bcs::from_bytes(bytes).map_err(|e| Error::Storage { reason: format!("corrupt {} entry: {e}", T::NAME) })
}

/// Typed read of committed state.
pub fn read<T: Table>(store: &dyn Store, key: &T::Key) -> Result<Option<T::Value>, Error> {
    Overlay::new(store).get::<T>(key)
}

/// Typed prefix scan of committed state (at most `limit` entries), as (key bytes after the
/// table prefix, value).
pub fn scan<T: Table>(store: &dyn Store, prefix: &[u8], limit: usize) -> Result<Rows<T::Value>, Error> {
    Overlay::new(store).scan::<T>(prefix, limit)
}

/// The state commitment after a block (DESIGN §10): SHA-256 over the previous app hash, the
/// height and the block's write set in key order, each entry as `u32 BE key length || key ||
/// 0 (deleted) | 1 || u32 BE value length || value`. Identical inputs give identical hashes on
/// every node. The input is streamed into the hasher, never built as one buffer.
pub fn chain_app_hash(previous: &Hash, height: u64, writes: &WriteSet) -> Hash {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"loanchain/app-hash/v1");
    h.update(previous.as_bytes());
    h.update(height.to_be_bytes());
    for (k, v) in writes {
        h.update((k.len() as u32).to_be_bytes());
        h.update(k);
        match v {
            None => h.update([0u8]),
            Some(v) => {
                h.update([1u8]);
                h.update((v.len() as u32).to_be_bytes());
                h.update(v);
            }
        }
    }
    Hash(h.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::AccountId;
    use crate::state::tables::Nonces;

    #[test]
    fn overlay_layers_read_write_and_roll_back() {
        let a = AccountId(Hash::digest(b"a"));
        let mut base = MemStore::new();
        let mut o = Overlay::new(&base);
        o.put::<Nonces>(&(a, 1), &10);
        o.commit_tx();
        o.put::<Nonces>(&(a, 2), &20);
        assert_eq!(o.get::<Nonces>(&(a, 2)).unwrap(), Some(20));
        o.rollback_tx();
        assert_eq!(o.get::<Nonces>(&(a, 2)).unwrap(), None);
        assert_eq!(o.get::<Nonces>(&(a, 1)).unwrap(), Some(10));
        let w = o.into_writes();
        base.apply(&w);
        let mut o = Overlay::new(&base);
        o.put::<Nonces>(&(a, 0), &5);
        o.delete::<Nonces>(&(a, 1));
        o.put::<Nonces>(&(a, 3), &30);
        let mut prefix = Vec::new();
        a.encode_key(&mut prefix);
        let got: Vec<u64> = o.scan::<Nonces>(&prefix, 100).unwrap().into_iter().map(|(_, v)| v).collect();
        assert_eq!(got, vec![5, 30], "scan merges layers in key order and hides deletions");
    }

    proptest::proptest! {
        /// A scan from `start` is exactly the full scan without the keys before `start`, whatever
        /// lies in the base store, the block layer and the transaction layer.
        #[test]
        fn a_scan_from_a_start_is_the_tail_of_the_full_scan(
            base_nonces in proptest::collection::btree_set(0u64..64, 0..24),
            block_ops in proptest::collection::vec((0u64..64, proptest::bool::ANY), 0..24),
            tx_ops in proptest::collection::vec((0u64..64, proptest::bool::ANY), 0..24),
            start in 0u64..70,
        ) {
            let a = AccountId(Hash::digest(b"a"));
            let mut base = MemStore::new();
            let mut o = Overlay::new(&base);
            for n in &base_nonces {
                o.put::<Nonces>(&(a, *n), n);
            }
            let writes = o.into_writes();
            base.apply(&writes);
            let mut o = Overlay::new(&base);
            let apply = |o: &mut Overlay<'_>, ops: &[(u64, bool)]| for (n, put) in ops {
                if *put { o.put::<Nonces>(&(a, *n), &(n + 100)) } else { o.delete::<Nonces>(&(a, *n)) }
            };
            apply(&mut o, &block_ops);
            o.commit_tx();
            apply(&mut o, &tx_ops);
            let mut prefix = Vec::new();
            a.encode_key(&mut prefix);
            let mut from = prefix.clone();
            start.encode_key(&mut from);
            let full = o.scan::<Nonces>(&prefix, usize::MAX).unwrap();
            let tail = o.scan_from::<Nonces>(&prefix, &from, usize::MAX).unwrap();
            let expected: Vec<_> = full.into_iter().filter(|(k, _)| k[..] >= from[..]).collect();
            proptest::prop_assert_eq!(tail, expected);
        }
    }
}
