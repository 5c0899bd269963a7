//! What the HTTP API and the chain task share: storage, the mempool, the latest status, the
//! stream of committed events and the metrics; and transaction admission, the one path by which
//! transactions from clients and from peers enter the mempool.

use std::sync::Arc;

use loanchain_contracts::tx::verify_transactions;
use loanchain_contracts::{Error as ContractError, Hash, Params, SignedTransaction};
use loanchain_genesis::Genesis;
use loanchain_storage::Storage;
use loanchain_api::{CommittedEvent, NodeRole, NodeStatus};
use tokio::sync::{Semaphore, broadcast, mpsc, watch};

use crate::mempool::{Mempool, MempoolError};
use crate::metrics::Metrics;

/// Why a submitted transaction was not admitted. Nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// This node is an observer: it does not accept transactions for the network.
    #[error("this node is a read-only observer; submit transactions to a validator")]
    ReadOnly,
    /// The bytes are not a signed transaction.
    #[error("malformed transaction: {0}")]
    Malformed(String),
    /// A signature or a contract rule refused it.
    #[error(transparent)]
    Contract(#[from] ContractError),
    /// The mempool refused it.
    #[error(transparent)]
    Mempool(#[from] MempoolError),
    /// The node is shutting down.
    #[error("the node is shutting down")]
    ShuttingDown,
}

impl SubmitError {
    /// Stable snake_case code for API errors.
    pub fn code(&self) -> String {
        match self {
            SubmitError::ReadOnly => "read_only_observer".into(),
            SubmitError::Malformed(_) => "malformed_transaction".into(),
            SubmitError::Contract(e) => e.code().to_string(),
            SubmitError::Mempool(e) => e.code(),
            SubmitError::ShuttingDown => "shutting_down".into(),
        }
    }

    /// Whether the client can succeed by retrying the same bytes later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, SubmitError::Mempool(MempoolError::Full { .. }) | SubmitError::ShuttingDown)
    }
}

/// The state of a node that its API and its chain task share.
pub struct NodeContext {
    /// The node's name in genesis.
    pub name: String,
    /// Validator or observer.
    pub role: NodeRole,
    /// The genesis this node runs.
    pub genesis: Arc<Genesis>,
    /// SHA-256 of the genesis file.
    pub genesis_hash: Hash,
    /// Committed blocks and state.
    pub storage: Arc<Storage>,
    /// Verified transactions waiting for a block.
    pub mempool: Arc<Mempool>,
    /// The latest status, updated by the chain task after each commit and round change.
    pub status: watch::Receiver<NodeStatus>,
    /// Committed events, one message per block, for server-sent events.
    pub events: broadcast::Sender<Arc<Vec<CommittedEvent>>>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Admitted transaction bytes to gossip to the other validators (`None` on observers).
    pub gossip: Option<mpsc::Sender<Vec<Vec<u8>>>>,
    /// Bounds on the blocking work clients and peers can start at once.
    pub limits: WorkLimits,
}

/// How many blocking jobs of each kind run at once. Each job runs on its own OS thread, and the
/// kernel shares the CPU among runnable threads, not among tasks: thirty-two concurrent API reads
/// once left the chain task's worker thread a thirty-third of the node's CPU, long enough for a
/// proposer to miss the others' propose timeout. Jobs beyond the bound wait as cheap async tasks.
pub struct WorkLimits {
    /// API reads from RocksDB.
    pub reads: Semaphore,
    /// Admission batches (decoding and signature verification).
    pub admission: Semaphore,
}

impl WorkLimits {
    /// At most `jobs` of each kind at once (at least one).
    pub fn new(jobs: usize) -> WorkLimits {
        let jobs = jobs.max(1);
        WorkLimits { reads: Semaphore::new(jobs), admission: Semaphore::new(jobs) }
    }

    /// One job of each kind per CPU core.
    pub fn per_core() -> WorkLimits {
        WorkLimits::new(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2))
    }

    /// Runs `job` on a blocking thread once one of `kind`'s permits is free. `None` if the job
    /// panicked or the runtime is shutting down.
    pub async fn run<T, F>(kind: &Semaphore, job: F) -> Option<T>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let _permit = kind.acquire().await.ok()?;
        match tokio::task::spawn_blocking(job).await {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::error!(error = %e, "a blocking job failed");
                None
            }
        }
    }
}

impl NodeContext {
    /// The contract parameters of genesis.
    pub fn params(&self) -> &Params {
        &self.genesis.params
    }

    /// Admits transactions submitted by a client: decodes each, verifies every signature in one
    /// batch off the async workers, checks each against the mempool's rules, and gossips the
    /// admitted ones. One verdict per input, in order.
    pub async fn submit(&self, raw: Vec<Vec<u8>>) -> Vec<Result<Hash, SubmitError>> {
        if self.role == NodeRole::Observer {
            return raw.iter().map(|_| Err(SubmitError::ReadOnly)).collect();
        }
        let verdicts = self.admit(raw).await;
        let accepted: Vec<Vec<u8>> = verdicts.iter().filter_map(|(v, b)| v.as_ref().ok().and(b.clone())).collect();
        if !accepted.is_empty()
            && let Some(gossip) = &self.gossip
        {
            // Gossip is best effort: if the batcher is saturated the transaction still waits in
            // this node's mempool and goes into its next proposal.
            let _ = gossip.try_send(accepted);
        }
        verdicts.into_iter().map(|(v, _)| v).collect()
    }

    /// Admits transactions a peer gossiped (already gossiped on; never re-published by us).
    pub async fn admit_gossip(&self, raw: Vec<Vec<u8>>) -> usize {
        self.admit(raw).await.iter().filter(|(v, _)| v.is_ok()).count()
    }

    async fn admit(&self, raw: Vec<Vec<u8>>) -> Vec<(Result<Hash, SubmitError>, Option<Vec<u8>>)> {
        let chain_id = self.genesis.chain_id.clone();
        let mempool = self.mempool.clone();
        let storage = self.storage.clone();
        let params = self.genesis.params.clone();
        let next_height = self.status.borrow().height + 1;
        let metrics = self.metrics.clone();
        let n = raw.len();
        let work = move || {
            let mut out: Vec<Option<(Result<Hash, SubmitError>, Option<Vec<u8>>)>> = Vec::with_capacity(raw.len());
            let mut decoded = Vec::new();
            let mut slots = Vec::new();
            let mut kept = Vec::new();
            for bytes in raw {
                // Skip what the pool already holds without verifying it again.
                match SignedTransaction::from_bytes(&bytes) {
                    Ok(tx) => {
                        let hash = tx.hash();
                        if mempool.contains(&hash) {
                            out.push(Some((Err(MempoolError::Duplicate(hash).into()), None)));
                            continue;
                        }
                        slots.push(out.len());
                        out.push(None);
                        decoded.push(tx);
                        kept.push(bytes);
                    }
                    Err(e) => out.push(Some((Err(SubmitError::Malformed(e.to_string())), None))),
                }
            }
            let state = storage.snapshot();
            if !decoded.is_empty() {
                metrics.verified_at_admission.inc_by(decoded.len() as u64);
                metrics.verify_batches.inc();
            }
            for ((slot, verdict), bytes) in slots.into_iter().zip(verify_transactions(&chain_id, decoded)).zip(kept) {
                let result = match verdict {
                    Ok(vtx) => mempool
                        .insert(vtx, bytes.clone(), &state, &params, next_height)
                        .map(|h| (h, bytes))
                        .map_err(SubmitError::from),
                    Err(e) => Err(SubmitError::from(e)),
                };
                out[slot] = Some(match result {
                    Ok((h, b)) => (Ok(h), Some(b)),
                    Err(e) => (Err(e), None),
                });
            }
            let out: Vec<_> = out.into_iter().flatten().collect();
            let rejected = out.iter().filter(|(v, _)| v.is_err()).count();
            metrics.transactions_rejected.inc_by(rejected as u64);
            metrics.mempool_size.set(mempool.len() as i64);
            out
        };
        match WorkLimits::run(&self.limits.admission, work).await {
            Some(v) => v,
            None => (0..n).map(|_| (Err(SubmitError::ShuttingDown), None)).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn blocking_jobs_of_a_kind_never_exceed_their_bound() {
        let limits = Arc::new(WorkLimits::new(2));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let jobs: Vec<_> = (0..12)
            .map(|i| {
                let (limits, running, most) = (limits.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    WorkLimits::run(&limits.reads, move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(15));
                        running.fetch_sub(1, Ordering::SeqCst);
                        i
                    })
                    .await
                })
            })
            .collect();
        let mut done = Vec::new();
        for job in jobs {
            done.push(job.await.unwrap());
        }
        assert_eq!(done, (0..12).map(Some).collect::<Vec<_>>());
        assert_eq!(most.load(Ordering::SeqCst), 2, "two permits: two jobs at once, never more");
        // The other kind has its own permits.
        assert_eq!(limits.admission.available_permits(), 2);
    }

    #[tokio::test]
    async fn a_panicking_job_is_none_and_frees_its_permit() {
        let limits = WorkLimits::new(1);
        assert_eq!(WorkLimits::run(&limits.reads, || -> u8 { panic!("a defect") }).await, None);
        assert_eq!(WorkLimits::run(&limits.reads, || 7u8).await, Some(7));
    }
}
