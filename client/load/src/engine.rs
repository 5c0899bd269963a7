//! The load phase: signing on worker tasks, batch submission, open loop (a fixed rate) or closed
//! loop (C workers, each waiting for its batch to be final before the next).
//!
//! The mix is of `FundLoan` (investors fund the listed loans in fixed slots, so no funding can
//! over-fund: each loan takes exactly its slots) and `Repay` (borrowers repay 1.00 on loans whose
//! slots were all seen committed). Until some loan is fully funded, a repay turn funds instead;
//! once every slot is used, only repays remain (and none if no loan activated).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use loanchain_contracts::{Amount, Payload, SignedTransaction};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::Mix;
use super::setup::World;
use super::track::{Track, Tracker, Waiter};
use loanchain_client::node::{NodeClient, Rejected};
use loanchain_client::tx_builder::{self, Target};

/// Longest a closed-loop worker waits for its batch.
const BATCH_WAIT: Duration = Duration::from_secs(30);
/// Open loop: how often what is due is sent.
const TICK: Duration = Duration::from_millis(10);
/// Open loop: most batches in flight (past it, the generator waits: it reports `lagged`).
const MAX_IN_FLIGHT: usize = 512;

/// Generates and signs the load's transactions; shared by every worker.
pub struct Generator {
    world: World,
    tracker: Arc<Tracker>,
    /// Where batches go, in turn.
    nodes: Vec<NodeClient>,
    chain_id: String,
    valid_for: u64,
    mix: Mix,
    slots_per_loan: u32,
    slot: Amount,
    repay: Amount,
    seq: AtomicU64,
    fund_seq: AtomicU64,
    batch_seq: AtomicU64,
    /// Every funding slot was used.
    pub exhausted: AtomicBool,
    /// Fundings made.
    pub funds: AtomicU64,
    /// Repays made.
    pub repays: AtomicU64,
    /// Transactions sent to the node.
    pub submitted: AtomicU64,
    /// Refused at submission (by the node, or the request failed).
    pub rejected: AtomicU64,
    /// Why they were refused, by code.
    pub reject_codes: Mutex<BTreeMap<String, u64>>,
    /// Open loop only: the generator waited for a free submission slot.
    pub lagged: AtomicBool,
}

/// What the generator signs: for which chain, valid how long, in which mix, over loans of which
/// slots.
pub struct LoadShape {
    /// The chain id transactions are signed for.
    pub chain_id: String,
    /// Blocks each transaction stays valid.
    pub valid_for: u64,
    /// Fundings to repayments.
    pub mix: Mix,
    /// Fundings each loan takes.
    pub slots_per_loan: u32,
    /// The amount of one funding.
    pub slot: Amount,
}

impl Generator {
    /// A generator over the world the setup made, sending its batches to `nodes` in turn (at
    /// least one).
    pub fn new(world: World, tracker: Arc<Tracker>, nodes: Vec<NodeClient>, shape: LoadShape) -> Generator {
        assert!(!nodes.is_empty(), "the generator needs a node to send to");
        let LoadShape { chain_id, valid_for, mix, slots_per_loan, slot } = shape;
        Generator {
            world,
            tracker,
            nodes,
            chain_id,
            valid_for,
            mix,
            slots_per_loan,
            slot,
            repay: Amount::yuan(1),
            seq: AtomicU64::new(0),
            fund_seq: AtomicU64::new(0),
            batch_seq: AtomicU64::new(0),
            exhausted: AtomicBool::new(false),
            funds: AtomicU64::new(0),
            repays: AtomicU64::new(0),
            submitted: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            reject_codes: Mutex::new(BTreeMap::new()),
            lagged: AtomicBool::new(false),
        }
    }

    fn target(&self) -> Target {
        Target { chain_id: self.chain_id.clone(), height: self.tracker.height(), valid_for: self.valid_for }
    }

    fn repay_tx(&self, loan: u32, target: &Target) -> (SignedTransaction, Track) {
        let slot = &self.world.loans[loan as usize];
        let borrower = &self.world.borrowers[slot.borrower];
        let tx = tx_builder::sign(target, Payload::Repay { loan: slot.id.clone(), amount: self.repay }, &borrower.key);
        self.repays.fetch_add(1, Ordering::Relaxed);
        let hash = tx.hash();
        (tx, Track { hash, funds_loan: None })
    }

    /// The next transaction, signed; `None` when nothing more can be made.
    pub fn next(&self) -> Option<(SignedTransaction, Track)> {
        let target = self.target();
        let i = self.seq.fetch_add(1, Ordering::Relaxed);
        let turn = (i % u64::from(self.mix.fund + self.mix.repay)) as u32;
        let pick = rand::random::<u32>() as usize;
        if turn >= self.mix.fund
            && let Some(loan) = self.tracker.active_loan(pick)
        {
            return Some(self.repay_tx(loan, &target));
        }
        let slot = self.fund_seq.fetch_add(1, Ordering::Relaxed);
        let loan = slot / u64::from(self.slots_per_loan);
        if loan >= self.world.loans.len() as u64 {
            self.exhausted.store(true, Ordering::Relaxed);
            return (self.mix.repay > 0).then(|| self.tracker.active_loan(pick)).flatten().map(|l| self.repay_tx(l, &target));
        }
        let l = &self.world.loans[loan as usize];
        let investor = &self.world.investors[(slot % self.world.investors.len() as u64) as usize];
        let payload = tx_builder::fund_loan(&l.id, l.version, l.digest, self.slot, &investor.sealer, tx_builder::now_ms());
        let tx = tx_builder::sign(&target, payload, &investor.key);
        self.funds.fetch_add(1, Ordering::Relaxed);
        let hash = tx.hash();
        Some((tx, Track { hash, funds_loan: Some(loan as u32) }))
    }

    fn reject(&self, code: &str, n: u64) {
        self.rejected.fetch_add(n, Ordering::Relaxed);
        *self.reject_codes.lock().unwrap_or_else(|e| e.into_inner()).entry(code.to_string()).or_default() += n;
    }

    /// Signs `n` transactions and submits them as one batch; the waiter (closed loop) is woken
    /// when all are committed or refused. Returns how many were made.
    pub async fn send_batch(&self, n: usize, waiter: Option<&Arc<Waiter>>) -> usize {
        let made: Vec<(SignedTransaction, Track)> = (0..n).map_while(|_| self.next()).collect();
        if made.is_empty() {
            return 0;
        }
        let hex: Vec<String> = made.iter().map(|(tx, _)| hex::encode(tx.to_bytes())).collect();
        let tracks: Vec<Track> = made.iter().map(|(_, t)| *t).collect();
        if let Some(w) = waiter {
            w.add(tracks.len());
        }
        self.tracker.register(&tracks, Instant::now(), waiter, true);
        self.submitted.fetch_add(tracks.len() as u64, Ordering::Relaxed);
        let node = &self.nodes[(self.batch_seq.fetch_add(1, Ordering::Relaxed) % self.nodes.len() as u64) as usize];
        match node.submit_batch_hex(hex).await {
            Ok(resp) => {
                for (t, r) in tracks.iter().zip(&resp.results) {
                    if let loanchain_api::BatchItemResult::Rejected { error } = r {
                        self.tracker.forget(&[t.hash]);
                        self.reject(&error.code, 1);
                    }
                }
            }
            Err(e) => {
                let hashes: Vec<_> = tracks.iter().map(|t| t.hash).collect();
                self.tracker.forget(&hashes);
                let code = e.downcast_ref::<Rejected>().map(|r| r.code.clone()).unwrap_or_else(|| "request_failed".into());
                self.reject(&code, hashes.len() as u64);
            }
        }
        tracks.len()
    }
}

/// Open loop: `rate` transactions a second for `duration`, what is due sent every 10 ms in
/// batches of at most `batch`, each batch signed and sent on its own task.
pub async fn open_loop(g: Arc<Generator>, rate: u64, batch: usize, duration: Duration) {
    let start = Instant::now();
    let sem = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut tasks = JoinSet::new();
    let mut scheduled: u64 = 0;
    let mut tick = tokio::time::interval(TICK);
    while start.elapsed() < duration {
        tick.tick().await;
        let due = (rate as f64 * start.elapsed().as_secs_f64().min(duration.as_secs_f64())) as u64;
        while scheduled < due {
            let n = (due - scheduled).min(batch as u64);
            scheduled += n;
            let permit = match sem.clone().try_acquire_owned() {
                Ok(p) => p,
                Err(_) => {
                    g.lagged.store(true, Ordering::Relaxed);
                    let Ok(p) = sem.clone().acquire_owned().await else { return };
                    p
                }
            };
            let g = g.clone();
            tasks.spawn(async move {
                g.send_batch(n as usize, None).await;
                drop(permit);
            });
        }
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
}

/// Closed loop: `concurrency` workers, each sending a batch and waiting for it to be final.
pub async fn closed_loop(g: Arc<Generator>, concurrency: usize, batch: usize, duration: Duration) {
    let deadline = Instant::now() + duration;
    let mut tasks = JoinSet::new();
    for _ in 0..concurrency {
        let g = g.clone();
        tasks.spawn(async move {
            while Instant::now() < deadline {
                let waiter = Waiter::new(0);
                if g.send_batch(batch, Some(&waiter)).await == 0 {
                    break;
                }
                waiter.wait(BATCH_WAIT).await;
            }
        });
    }
    while tasks.join_next().await.is_some() {}
}
