//! Prometheus metrics (DESIGN §11), served at `/metrics` in the text exposition format.
//!
//! Committed tx/s is `rate(loanchain_transactions_committed_total[1m])`; commit latency is the
//! time from a height's start to its commit.

use std::sync::atomic::AtomicI64;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Every metric the node exports.
pub struct Metrics {
    registry: Registry,
    /// Height of the last executed block.
    pub height: Gauge<i64, AtomicI64>,
    /// Consensus round at the height being decided.
    pub round: Gauge<i64, AtomicI64>,
    /// Seconds from the start of a height to its commit.
    pub commit_latency: Histogram,
    /// Seconds spent executing a decided block and writing it to RocksDB.
    pub block_apply: Histogram,
    /// Transactions committed (successful or not).
    pub transactions_committed: Counter,
    /// Blocks committed.
    pub blocks_committed: Counter,
    /// Transactions waiting in the mempool.
    pub mempool_size: Gauge<i64, AtomicI64>,
    /// Connected peers.
    pub peers: Gauge<i64, AtomicI64>,
    /// Blocks known to exist but not executed yet.
    pub behind: Gauge<i64, AtomicI64>,
    /// Transactions refused at admission.
    pub transactions_rejected: Counter,
    /// Transactions whose signatures this node verified at admission (from clients or gossip).
    pub verified_at_admission: Counter,
    /// Transactions whose signatures this node verified when a block carried them and the
    /// mempool did not hold them (each is then verified once more than the ideal).
    pub verified_in_blocks: Counter,
    /// Batches handed to ed25519 batch verification (admission and blocks).
    pub verify_batches: Counter,
    /// Proposed blocks rebuilt from the mempool from a compact proposal.
    pub blocks_rebuilt: Counter,
    /// Blocks fetched whole from a peer by hash (a compact proposal whose transactions did not
    /// all arrive in time, or a decided block this node never received).
    pub blocks_fetched: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A registry with every metric registered under the `loanchain` prefix.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("loanchain");
        let height = Gauge::<i64, AtomicI64>::default();
        let round = Gauge::<i64, AtomicI64>::default();
        let commit_latency =
            Histogram::new([0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0].into_iter());
        let block_apply = Histogram::new([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5].into_iter());
        let transactions_committed = Counter::default();
        let blocks_committed = Counter::default();
        let mempool_size = Gauge::<i64, AtomicI64>::default();
        let peers = Gauge::<i64, AtomicI64>::default();
        let behind = Gauge::<i64, AtomicI64>::default();
        let transactions_rejected = Counter::default();
        let verified_at_admission = Counter::default();
        let verified_in_blocks = Counter::default();
        let verify_batches = Counter::default();
        let blocks_rebuilt = Counter::default();
        let blocks_fetched = Counter::default();
        registry.register("height", "Height of the last executed block", height.clone());
        registry.register("round", "Consensus round at the height being decided", round.clone());
        registry.register(
            "commit_latency_seconds",
            "Seconds from the start of a height to its commit",
            commit_latency.clone(),
        );
        registry.register(
            "block_apply_seconds",
            "Seconds spent executing a decided block and writing it to RocksDB",
            block_apply.clone(),
        );
        registry.register("transactions_committed", "Transactions committed", transactions_committed.clone());
        registry.register("blocks_committed", "Blocks committed", blocks_committed.clone());
        registry.register("mempool_size", "Transactions waiting in the mempool", mempool_size.clone());
        registry.register("peers", "Connected peers", peers.clone());
        registry.register("blocks_behind", "Blocks known to exist but not executed yet", behind.clone());
        registry.register(
            "transactions_rejected",
            "Transactions refused at admission",
            transactions_rejected.clone(),
        );
        registry.register(
            "transactions_verified_at_admission",
            "Transactions whose signatures were verified at admission",
            verified_at_admission.clone(),
        );
        registry.register(
            "transactions_verified_in_blocks",
            "Transactions verified when a block carried them and the mempool did not hold them",
            verified_in_blocks.clone(),
        );
        registry.register("verify_batches", "Batches of signatures verified together", verify_batches.clone());
        registry.register(
            "blocks_rebuilt",
            "Proposed blocks rebuilt from the mempool from a compact proposal",
            blocks_rebuilt.clone(),
        );
        registry.register("blocks_fetched", "Blocks fetched whole from a peer by hash", blocks_fetched.clone());
        Metrics {
            registry,
            height,
            round,
            commit_latency,
            block_apply,
            transactions_committed,
            blocks_committed,
            mempool_size,
            peers,
            behind,
            transactions_rejected,
            verified_at_admission,
            verified_in_blocks,
            verify_batches,
            blocks_rebuilt,
            blocks_fetched,
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Encoding into a String cannot fail (fmt::Write for String is infallible).
        let _ = encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_metric() {
        let m = Metrics::new();
        m.height.set(42);
        m.transactions_committed.inc_by(7);
        let text = m.render();
        assert!(text.contains("loanchain_height 42"), "{text}");
        assert!(text.contains("loanchain_transactions_committed_total 7"), "{text}");
        assert!(text.contains("loanchain_commit_latency_seconds_bucket"), "{text}");
        assert!(text.contains("loanchain_block_apply_seconds_bucket"), "{text}");
        assert!(text.contains("loanchain_mempool_size"), "{text}");
    }
}
