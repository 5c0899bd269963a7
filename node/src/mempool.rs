//! The mempool (DESIGN §9): transactions whose signatures this node verified once, waiting for a
//! block.
//!
//! Admission checks what can be checked before execution — the signatures (in one ed25519 batch,
//! by the caller), the static payload rules, the replay window against committed state, and
//! duplicates in the pool — so a proposer's block is made only of transactions that will at least
//! reach execution. The pool is bounded: a full pool refuses with [`MempoolError::Full`]. Order is
//! first come, first served (an insertion sequence, never hash-map order); a proposer takes a
//! prefix. A block's transactions that are in the pool are not verified again.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use loanchain_contracts::state::read;
use loanchain_contracts::state::tables::{Accounts, Nonces};
use loanchain_contracts::{AccountId, Error as ContractError, Hash, Params, Store, VerifiedTx};

/// Why the pool refused a transaction. Each has a stable code for the API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MempoolError {
    /// The pool holds its maximum; try again after the next blocks.
    #[error("the mempool is full ({capacity} transactions); retry after the next block")]
    Full {
        /// The bound.
        capacity: usize,
    },
    /// The same transaction is already waiting.
    #[error("transaction {0} is already in the mempool")]
    Duplicate(Hash),
    /// Another pending transaction already uses this (signer, nonce).
    #[error("nonce {nonce} of {signer} is already used by a pending transaction")]
    NonceInPool {
        /// The signer.
        signer: String,
        /// The nonce.
        nonce: u64,
    },
    /// A rule of the contracts refused it (replayed nonce, expired, bad field, ...).
    #[error(transparent)]
    Rejected(#[from] ContractError),
    /// It is already in a committed block.
    #[error("transaction {0} is already committed")]
    AlreadyCommitted(Hash),
    /// Larger than a block may carry.
    #[error("transaction is {size} bytes, the limit is {limit}")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
}

impl MempoolError {
    /// Stable snake_case code for API errors.
    pub fn code(&self) -> String {
        match self {
            MempoolError::Full { .. } => "mempool_full".into(),
            MempoolError::Duplicate(_) => "duplicate_transaction".into(),
            MempoolError::AlreadyCommitted(_) => "already_committed".into(),
            MempoolError::NonceInPool { .. } => "nonce_replayed".into(),
            MempoolError::Rejected(e) => e.code().to_string(),
            MempoolError::TooLarge { .. } => "transaction_too_large".into(),
        }
    }
}

/// A transaction in the pool: verified, with its canonical bytes.
#[derive(Clone, Debug)]
pub struct PooledTx {
    /// The verified transaction.
    pub tx: Arc<VerifiedTx>,
    /// Its bcs bytes, as they go into a block.
    pub bytes: Arc<Vec<u8>>,
}

#[derive(Default)]
struct Inner {
    by_hash: HashMap<Hash, (u64, PooledTx)>,
    order: BTreeMap<u64, Hash>,
    nonces: HashSet<(AccountId, u64)>,
    /// (valid_until_height, seq) of every pooled transaction: expiry without scanning the pool.
    expiry: BTreeSet<(u64, u64)>,
    next_seq: u64,
    /// Hashes committed in the last [`RECENT_BLOCKS`] blocks: an admission that read the state
    /// before such a commit must not put the transaction back (the check and the removal both
    /// happen under the pool's lock, so one of them sees the other).
    recent: VecDeque<Vec<Hash>>,
    recent_set: HashSet<Hash>,
}

/// How many blocks of committed hashes the pool remembers.
const RECENT_BLOCKS: usize = 64;

/// The bounded pool, shared by the API (admission) and the chain task (proposals, commits).
pub struct Mempool {
    inner: Mutex<Inner>,
    capacity: usize,
    max_tx_bytes: usize,
}

impl Mempool {
    /// An empty pool for at most `capacity` transactions of at most `max_tx_bytes` each.
    pub fn new(capacity: usize, max_tx_bytes: usize) -> Mempool {
        Mempool { inner: Mutex::new(Inner::default()), capacity, max_tx_bytes }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent maps (every method updates them
        // together before anything can fail), so a poisoned lock is safe to use.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many transactions wait.
    pub fn len(&self) -> usize {
        self.lock().by_hash.len()
    }

    /// Whether none wait.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `hash` waits here.
    pub fn contains(&self, hash: &Hash) -> bool {
        self.lock().by_hash.contains_key(hash)
    }

    /// The pooled transaction with this hash.
    pub fn get(&self, hash: &Hash) -> Option<PooledTx> {
        self.lock().by_hash.get(hash).map(|(_, p)| p.clone())
    }

    /// The pooled transactions with these hashes, in order, if the pool holds every one (one lock,
    /// for rebuilding a block from a compact proposal).
    pub fn get_all(&self, hashes: &[Hash]) -> Option<Vec<PooledTx>> {
        let inner = self.lock();
        hashes.iter().map(|h| inner.by_hash.get(h).map(|(_, p)| p.clone())).collect()
    }

    /// Admits a verified transaction after the checks that need no execution: size, static
    /// payload rules, the replay window at `next_height` against `state`, and the pool's own
    /// duplicates and bound. Changes nothing when it refuses.
    pub fn insert(
        &self,
        tx: VerifiedTx,
        bytes: Vec<u8>,
        state: &dyn Store,
        params: &Params,
        next_height: u64,
    ) -> Result<Hash, MempoolError> {
        if bytes.len() > self.max_tx_bytes {
            return Err(MempoolError::TooLarge { size: bytes.len(), limit: self.max_tx_bytes });
        }
        let body = &tx.tx().body;
        body.payload.check_static(params.max_periods)?;
        check_window(params, next_height, body.valid_until_height)?;
        let signer = tx.signer();
        // A signer with no account would commit only a failed receipt, and the chain remembers
        // no nonce for it: refused here, so it never reaches a block (issue 16, weakness 1).
        if read::<Accounts>(state, &signer)?.is_none() {
            return Err(ContractError::UnknownAccount { account: signer.short() }.into());
        }
        if read::<Nonces>(state, &(signer, body.nonce))?.is_some() {
            return Err(ContractError::NonceReplayed { signer: signer.short(), nonce: body.nonce }.into());
        }
        let hash = tx.hash();
        let nonce = body.nonce;
        let mut inner = self.lock();
        if inner.by_hash.contains_key(&hash) {
            return Err(MempoolError::Duplicate(hash));
        }
        if inner.recent_set.contains(&hash) {
            return Err(MempoolError::AlreadyCommitted(hash));
        }
        if inner.nonces.contains(&(signer, nonce)) {
            return Err(MempoolError::NonceInPool { signer: signer.short(), nonce });
        }
        if inner.by_hash.len() >= self.capacity {
            return Err(MempoolError::Full { capacity: self.capacity });
        }
        let seq = inner.next_seq;
        inner.next_seq += 1;
        inner.order.insert(seq, hash);
        inner.nonces.insert((signer, nonce));
        inner.expiry.insert((body.valid_until_height, seq));
        inner.by_hash.insert(hash, (seq, PooledTx { tx: Arc::new(tx), bytes: Arc::new(bytes) }));
        Ok(hash)
    }

    /// The oldest transactions, at most `max_txs` of them and `max_bytes` in all, still valid at
    /// `height`. They stay in the pool until [`Mempool::remove`] after their block commits.
    pub fn batch(&self, max_txs: usize, max_bytes: usize, height: u64) -> Vec<PooledTx> {
        let inner = self.lock();
        let mut out = Vec::new();
        let mut size = 0usize;
        for hash in inner.order.values() {
            if out.len() >= max_txs {
                break;
            }
            let (_, p) = &inner.by_hash[hash];
            if p.tx.tx().body.valid_until_height < height {
                continue;
            }
            if size + p.bytes.len() > max_bytes {
                break;
            }
            size += p.bytes.len();
            out.push(p.clone());
        }
        out
    }

    /// Drops committed transactions and every one that expired before `next_height`.
    pub fn remove(&self, committed: &[Hash], next_height: u64) {
        let mut inner = self.lock();
        for hash in committed {
            remove_one(&mut inner, hash);
            inner.recent_set.insert(*hash);
        }
        inner.recent.push_back(committed.to_vec());
        while inner.recent.len() > RECENT_BLOCKS {
            if let Some(old) = inner.recent.pop_front() {
                for h in old {
                    inner.recent_set.remove(&h);
                }
            }
        }
        while let Some(&(valid_until, seq)) = inner.expiry.first() {
            if valid_until >= next_height {
                break;
            }
            match inner.order.get(&seq).copied() {
                Some(hash) => remove_one(&mut inner, &hash),
                None => {
                    inner.expiry.pop_first();
                }
            }
        }
    }
}

fn remove_one(inner: &mut Inner, hash: &Hash) {
    if let Some((seq, p)) = inner.by_hash.remove(hash) {
        inner.order.remove(&seq);
        inner.expiry.remove(&(p.tx.tx().body.valid_until_height, seq));
        inner.nonces.remove(&(p.tx.signer(), p.tx.tx().body.nonce));
    }
}

/// The replay window of DESIGN §5 as the next block will check it.
fn check_window(params: &Params, height: u64, valid_until: u64) -> Result<(), ContractError> {
    if valid_until < height {
        return Err(ContractError::Expired { valid_until, height });
    }
    let max = height.saturating_add(params.max_tx_lifetime);
    if valid_until > max {
        return Err(ContractError::LifetimeTooLong { valid_until, max, height });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use loanchain_contracts::tx::verify_transactions;
    use loanchain_contracts::{Amount, GenesisAccount, Keypair, MemStore, Money, Payload, Role, SignedTransaction, TxBody, init_genesis};

    use loanchain_types::test_utils::keypair;

    use super::*;

    /// A state where the custodian keys of `seeds` are registered accounts (only registered
    /// signers are admitted).
    fn registered(seeds: &[u8]) -> MemStore {
        let accounts: Vec<GenesisAccount> = seeds
            .iter()
            .map(|s| GenesisAccount {
                public_key: keypair(*s).public(),
                role: Role::CustodianBank,
                name: format!("c{s}"),
                balance: Money::ZERO,
            })
            .collect();
        let (writes, _) = init_genesis(&Params::production("c"), &accounts).expect("genesis");
        let mut store = MemStore::new();
        store.apply_owned(writes);
        store
    }

    fn tx(key: &Keypair, nonce: u64, valid_until_height: u64) -> (VerifiedTx, Vec<u8>) {
        let body = TxBody {
            nonce,
            valid_until_height,
            payload: Payload::Withdraw { account: key.public().account_id(), amount: Amount::yuan(1), reference: "r".into() },
        };
        let signed = SignedTransaction::sign("c", body, key);
        let bytes = signed.to_bytes();
        let v = verify_transactions("c", vec![signed]).pop().unwrap().unwrap();
        (v, bytes)
    }

    #[test]
    fn admits_in_order_and_refuses_duplicates_bounds_and_windows() {
        let key = keypair(7);
        let pool = Mempool::new(2, 10_000);
        let store = registered(&[7]);
        let params = Params::production("c");
        let (a, ab) = tx(&key, 1, 10);
        let (b, bb) = tx(&key, 2, 10);
        let (c, cb) = tx(&key, 3, 10);
        let a_again = (a.clone(), ab.clone());
        let ha = pool.insert(a.clone(), ab.clone(), &store, &params, 1).unwrap();
        assert_eq!(pool.insert(a, ab, &store, &params, 1), Err(MempoolError::Duplicate(ha)));
        pool.insert(b, bb, &store, &params, 1).unwrap();
        assert_eq!(pool.insert(c.clone(), cb.clone(), &store, &params, 1), Err(MempoolError::Full { capacity: 2 }));
        assert_eq!(pool.batch(10, usize::MAX, 1).first().map(|p| p.tx.hash()), Some(ha));
        pool.remove(&[ha], 2);
        assert_eq!(pool.len(), 1);
        // An admission that raced with the commit cannot bring it back.
        assert_eq!(pool.insert(a_again.0, a_again.1, &store, &params, 2), Err(MempoolError::AlreadyCommitted(ha)));
        let (old, ob) = tx(&key, 4, 1);
        assert!(matches!(pool.insert(old, ob, &store, &params, 2), Err(MempoolError::Rejected(ContractError::Expired { .. }))));
        let (far, fb) = tx(&key, 5, 5_000);
        assert_eq!(pool.insert(far, fb, &store, &params, 2).unwrap_err().code(), "lifetime_too_long");
        pool.insert(c, cb, &store, &params, 2).unwrap();
        // Expired transactions leave at the height they can no longer enter.
        pool.remove(&[], 11);
        assert!(pool.is_empty());
    }

    #[test]
    fn get_all_answers_only_when_every_transaction_is_pooled() {
        let key = keypair(9);
        let pool = Mempool::new(10, 10_000);
        let (store, params) = (registered(&[9]), Params::production("c"));
        let (a, ab) = tx(&key, 1, 10);
        let (b, bb) = tx(&key, 2, 10);
        let (c, _) = tx(&key, 3, 10);
        let ha = pool.insert(a, ab, &store, &params, 1).unwrap();
        let hb = pool.insert(b, bb, &store, &params, 1).unwrap();
        let got = pool.get_all(&[hb, ha]).unwrap();
        assert_eq!(got.iter().map(|p| p.tx.hash()).collect::<Vec<_>>(), vec![hb, ha]);
        assert!(pool.get_all(&[ha, c.hash()]).is_none());
        assert_eq!(pool.get_all(&[]).map(|v| v.len()), Some(0));
    }

    #[test]
    fn a_pending_nonce_is_not_admitted_twice() {
        let key = keypair(8);
        let pool = Mempool::new(10, 10_000);
        let (a, ab) = tx(&key, 9, 10);
        let (b, bb) = tx(&key, 9, 11);
        let store = registered(&[8]);
        pool.insert(a, ab, &store, &Params::production("c"), 1).unwrap();
        let err = pool.insert(b, bb, &store, &Params::production("c"), 1).unwrap_err();
        assert_eq!(err.code(), "nonce_replayed");
    }

    #[test]
    fn a_signer_without_an_account_is_refused() {
        let pool = Mempool::new(10, 10_000);
        let (a, ab) = tx(&keypair(5), 1, 10);
        let err = pool.insert(a, ab, &registered(&[6]), &Params::production("c"), 1).unwrap_err();
        assert_eq!(err.code(), "unknown_account");
        assert_eq!(pool.len(), 0);
    }
}
