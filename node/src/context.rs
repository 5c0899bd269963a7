//! What the HTTP API and the chain task share: storage, the mempool, the latest status, the
//! stream of committed events and the metrics ([`NodeContext`]), and the bounds on the blocking
//! work they start ([`WorkLimits`]). Transaction admission is in [`crate::admission`].

use std::sync::Arc;

use loanchain_api::{CommittedEvent, NodeRole, NodeStatus};
use loanchain_contracts::{Hash, Params};
use loanchain_genesis::Genesis;
use loanchain_storage::Storage;
use tokio::sync::{Semaphore, broadcast, mpsc, watch};

use crate::mempool::Mempool;
use crate::metrics::Metrics;

/// The state of a node that its API and its chain task share. `S` is its storage: RocksDB in the
/// node, an in-memory store in the simulator (the chain host needs only [`crate::chain::ChainStore`]).
pub struct NodeContext<S = Storage> {
    /// The node's name in genesis.
    pub name: String,
    /// Validator or observer.
    pub role: NodeRole,
    /// The genesis this node runs.
    pub genesis: Arc<Genesis>,
    /// SHA-256 of the genesis file.
    pub genesis_hash: Hash,
    /// Committed blocks and state.
    pub storage: Arc<S>,
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

impl<S> NodeContext<S> {
    /// The contract parameters of genesis.
    pub fn params(&self) -> &Params {
        &self.genesis.params
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
