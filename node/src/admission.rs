//! Transaction admission: the one path by which transactions from clients
//! ([`NodeContext::submit`]) and from peers ([`NodeContext::admit_gossip`]) enter the mempool.
//! Each batch is decoded, every signature of every transaction is verified in one ed25519 batch on
//! a blocking thread (bounded by [`WorkLimits::admission`](crate::context::WorkLimits)), and the
//! mempool's rules decide; what a client submitted and the pool took is gossiped on.

use loanchain_api::NodeRole;
use loanchain_contracts::tx::verify_transactions;
use loanchain_contracts::{Error as ContractError, Hash, Params, SignedTransaction};

use crate::chain::ChainStore;
use crate::context::{NodeContext, WorkLimits};
use crate::mempool::Mempool;
use crate::mempool::MempoolError;
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
    /// The node could not read its own storage (the transaction index).
    #[error("the node could not read its storage: {0}")]
    Storage(#[from] loanchain_storage::StorageError),
}

/// One transaction's fate at admission: its hash or why not, and the bytes to gossip if admitted.
/// One admission verdict: the hash or the reason, and the bytes to gossip when admitted.
pub type Verdict = (Result<Hash, SubmitError>, Option<Vec<u8>>);

impl SubmitError {
    /// Stable snake_case code for API errors.
    pub fn code(&self) -> String {
        match self {
            SubmitError::ReadOnly => "read_only_observer".into(),
            SubmitError::Malformed(_) => "malformed_transaction".into(),
            SubmitError::Contract(e) => e.code().to_string(),
            SubmitError::Mempool(e) => e.code(),
            SubmitError::ShuttingDown => "shutting_down".into(),
            SubmitError::Storage(e) => e.code().to_string(),
        }
    }

    /// Whether the client can succeed by retrying the same bytes later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, SubmitError::Mempool(MempoolError::Full { .. }) | SubmitError::ShuttingDown)
    }
}

impl NodeContext {
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

    async fn admit(&self, raw: Vec<Vec<u8>>) -> Vec<Verdict> {
        let chain_id = self.genesis.chain_id.clone();
        let mempool = self.mempool.clone();
        let storage = self.storage.clone();
        let params = self.genesis.params.clone();
        let next_height = self.status.borrow().height + 1;
        let metrics = self.metrics.clone();
        let n = raw.len();
        let work = move || admit_now(&chain_id, &mempool, &*storage, &params, next_height, &metrics, raw);
        match WorkLimits::run(&self.limits.admission, work).await {
            Some(v) => v,
            None => (0..n).map(|_| (Err(SubmitError::ShuttingDown), None)).collect(),
        }
    }
}

/// Admission itself, synchronous (the node runs it on a blocking thread; the simulator calls it
/// directly): decodes each transaction, refuses what the pool holds or the index says is
/// committed, verifies the rest in one batch, and inserts what passes the pool's rules against
/// a consistent view of the state. One verdict per input, in order.
pub fn admit_now<S: ChainStore>(
    chain_id: &str,
    mempool: &Mempool,
    storage: &S,
    params: &Params,
    next_height: u64,
    metrics: &Metrics,
    raw: Vec<Vec<u8>>,
) -> Vec<Verdict> {
    let mut out: Vec<Option<Verdict>> = Vec::with_capacity(raw.len());
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
                // The index, not the pool's memory of recent blocks, says what is
                // committed: after a restart the pool remembers nothing.
                match storage.tx_location(&hash) {
                    Ok(None) => {}
                    Ok(Some(_)) => {
                        out.push(Some((Err(MempoolError::AlreadyCommitted(hash).into()), None)));
                        continue;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "the transaction index could not be read at admission");
                        out.push(Some((Err(e.into()), None)));
                        continue;
                    }
                }
                slots.push(out.len());
                out.push(None);
                decoded.push(tx);
                kept.push(bytes);
            }
            Err(e) => out.push(Some((Err(SubmitError::Malformed(e.to_string())), None))),
        }
    }
    let state = storage.view();
    if !decoded.is_empty() {
        metrics.verified_at_admission.inc_by(decoded.len() as u64);
        metrics.verify_batches.inc();
    }
    for ((slot, verdict), bytes) in slots.into_iter().zip(verify_transactions(chain_id, decoded)).zip(kept) {
        let result = match verdict {
            Ok(vtx) => mempool.insert(vtx, bytes.clone(), &*state, params, next_height).map(|h| (h, bytes)).map_err(SubmitError::from),
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
}
