//! Following committed blocks and matching their transaction hashes to what the load generator
//! submitted: exact and cheap (one `GET /v1/blocks/{h}` per block), with no per-transaction polling.
//!
//! A transaction is registered *before* it is sent, so a block that commits it can never be seen
//! first. Its latency is from just before the HTTP submission to the moment the follower fetched
//! the block that carries it (so it includes up to one follower poll interval).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use loanchain_contracts::Hash;
use tokio::sync::Notify;

use loanchain_client::node::NodeClient;

/// How often the follower asks for the height when it has caught up.
pub const POLL: Duration = Duration::from_millis(20);

/// Wakes one submitter when all of its transactions are committed (or given up).
#[derive(Debug)]
pub struct Waiter {
    remaining: AtomicUsize,
    notify: Notify,
}

impl Waiter {
    /// A waiter for `n` transactions.
    pub fn new(n: usize) -> Arc<Waiter> {
        Arc::new(Waiter { remaining: AtomicUsize::new(n), notify: Notify::new() })
    }

    /// Expects `n` more transactions.
    pub fn add(&self, n: usize) {
        self.remaining.fetch_add(n, Ordering::AcqRel);
    }

    fn done(&self, n: usize) {
        if n > 0 && self.remaining.fetch_sub(n, Ordering::AcqRel) == n {
            self.notify.notify_one();
        }
    }

    /// Waits until every transaction is done, or `timeout`; true if all were.
    pub async fn wait(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.remaining.load(Ordering::Acquire) == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, self.notify.notified()).await.is_err() {
                return self.remaining.load(Ordering::Acquire) == 0;
            }
        }
    }
}

#[derive(Debug)]
struct Pending {
    submitted: Instant,
    waiter: Option<Arc<Waiter>>,
    /// Counted in the load figures (false for setup transactions).
    measured: bool,
    /// For a funding: the loan's index, to learn when it is fully funded.
    funds_loan: Option<u32>,
}

#[derive(Debug, Default)]
struct Inner {
    pending: HashMap<Hash, Pending>,
    latencies_us: Vec<u64>,
    committed: Vec<Hash>,
    last_commit: Option<Instant>,
    height: u64,
    fundings_seen: Vec<u32>,
    active: Vec<u32>,
}

/// What the follower knows; shared by the submitters.
#[derive(Debug)]
pub struct Tracker {
    inner: Mutex<Inner>,
    slots_per_loan: u32,
    stop: AtomicBool,
    errors: AtomicUsize,
}

/// A transaction to track.
#[derive(Clone, Copy, Debug)]
pub struct Track {
    /// Its hash.
    pub hash: Hash,
    /// For a funding: the loan's index.
    pub funds_loan: Option<u32>,
}

impl Tracker {
    /// A tracker from `height` on, for `loans` loans of `slots_per_loan` fundings each.
    pub fn new(height: u64, loans: usize, slots_per_loan: u32) -> Arc<Tracker> {
        let inner = Inner { height, fundings_seen: vec![0; loans], ..Default::default() };
        Arc::new(Tracker { inner: Mutex::new(inner), slots_per_loan, stop: AtomicBool::new(false), errors: AtomicUsize::new(0) })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers transactions about to be submitted.
    pub fn register(&self, txs: &[Track], submitted: Instant, waiter: Option<&Arc<Waiter>>, measured: bool) {
        let mut inner = self.lock();
        for t in txs {
            inner.pending.insert(t.hash, Pending { submitted, waiter: waiter.cloned(), measured, funds_loan: t.funds_loan });
        }
    }

    /// Forgets transactions the node refused (or that were given up).
    pub fn forget(&self, hashes: &[Hash]) {
        let mut inner = self.lock();
        for h in hashes {
            if let Some(p) = inner.pending.remove(h)
                && let Some(w) = p.waiter
            {
                w.done(1);
            }
        }
    }

    /// Records a committed block's transactions, seen at `now`.
    pub fn on_block(&self, height: u64, hashes: &[Hash], now: Instant) {
        let mut inner = self.lock();
        inner.height = inner.height.max(height);
        for h in hashes {
            let Some(p) = inner.pending.remove(h) else { continue };
            if p.measured {
                inner.latencies_us.push(now.saturating_duration_since(p.submitted).as_micros() as u64);
                inner.committed.push(*h);
                inner.last_commit = Some(now);
            }
            if let Some(loan) = p.funds_loan
                && let Some(seen) = inner.fundings_seen.get_mut(loan as usize)
            {
                *seen += 1;
                if *seen == self.slots_per_loan {
                    inner.active.push(loan);
                }
            }
            if let Some(w) = p.waiter {
                w.done(1);
            }
        }
    }

    /// The last committed height seen.
    pub fn height(&self) -> u64 {
        self.lock().height
    }

    /// Transactions submitted and not yet seen committed.
    pub fn pending(&self) -> usize {
        self.lock().pending.len()
    }

    /// Committed measured transactions so far.
    pub fn committed(&self) -> usize {
        self.lock().committed.len()
    }

    /// A fully funded loan picked by `pick` (an index into the active list), if any.
    pub fn active_loan(&self, pick: usize) -> Option<u32> {
        let inner = self.lock();
        (!inner.active.is_empty()).then(|| inner.active[pick % inner.active.len()])
    }

    /// Latencies (µs), committed hashes, and the time of the last commit; stops the follower.
    pub fn finish(&self) -> (Vec<u64>, Vec<Hash>, Option<Instant>) {
        self.stop.store(true, Ordering::Release);
        let mut inner = self.lock();
        (std::mem::take(&mut inner.latencies_us), std::mem::take(&mut inner.committed), inner.last_commit)
    }

    /// Block fetch errors so far (transient network errors the follower retried).
    pub fn errors(&self) -> usize {
        self.errors.load(Ordering::Relaxed)
    }

    /// Follows the chain from the tracker's height until [`Tracker::finish`].
    pub async fn follow(self: Arc<Self>, node: NodeClient) {
        let mut next = self.height() + 1;
        while !self.stop.load(Ordering::Acquire) {
            let tip = match node.status().await {
                Ok(s) => s.height,
                Err(_) => {
                    self.errors.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(POLL * 5).await;
                    continue;
                }
            };
            while next <= tip && !self.stop.load(Ordering::Acquire) {
                match node.block(next).await {
                    Ok(b) => {
                        self.on_block(next, &b.tx_hashes, Instant::now());
                        next += 1;
                    }
                    Err(_) => {
                        self.errors.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(POLL * 5).await;
                        break;
                    }
                }
            }
            if next > tip {
                tokio::time::sleep(POLL).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(i: u8) -> Hash {
        Hash::digest(&[i])
    }

    #[tokio::test]
    async fn commits_are_matched_timed_and_wake_the_submitter() {
        let t = Tracker::new(10, 2, 2);
        let w = Waiter::new(3);
        let start = Instant::now();
        let txs =
            [Track { hash: h(1), funds_loan: Some(1) }, Track { hash: h(2), funds_loan: Some(1) }, Track { hash: h(3), funds_loan: None }];
        t.register(&txs, start, Some(&w), true);
        assert_eq!(t.pending(), 3);
        assert_eq!(t.active_loan(0), None);
        t.on_block(11, &[h(9), h(1), h(2)], start + Duration::from_millis(250));
        assert_eq!(t.active_loan(5), Some(1), "both fundings of loan 1 are in");
        assert_eq!(t.height(), 11);
        assert!(!w.wait(Duration::from_millis(10)).await);
        t.forget(&[h(3)]);
        assert!(w.wait(Duration::from_millis(10)).await);
        let (lat, committed, last) = t.finish();
        assert_eq!(lat, vec![250_000, 250_000]);
        assert_eq!(committed, vec![h(1), h(2)]);
        assert_eq!(last, Some(start + Duration::from_millis(250)));
        assert_eq!(t.pending(), 0);
    }
}
