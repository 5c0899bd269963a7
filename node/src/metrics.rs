//! Prometheus metrics (DESIGN §11), served at `/metrics` in the text exposition format.
//!
//! Committed tx/s is `rate(loanchain_transactions_committed_total[1m])`; commit latency is the
//! time from a height's start to its commit.
//!
//! Each metric is declared once, in the `metrics!` list below: its field, its type (and how it
//! is built when `Default` will not do), its name under the `loanchain` prefix and its help text,
//! which is also the field's doc. Counters get `_total` appended by the exposition format.

use std::sync::atomic::AtomicI64;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// A gauge of whole numbers (heights, counts).
type IntGauge = Gauge<i64, AtomicI64>;

/// Declares [`Metrics`]: one line per metric, `field: Type [= constructor] => "name", "help";`,
/// with optional doc lines before it that continue the help in the field's doc.
macro_rules! metrics {
    (@init $ty:ty) => { <$ty>::default() };
    (@init $ty:ty, $init:expr) => { $init };
    ($( $(#[doc = $doc:literal])* $field:ident: $ty:ty $(= $init:expr)? => $name:literal, $help:literal; )*) => {
        /// Every metric the node exports.
        pub struct Metrics {
            registry: Registry,
            $(
                #[doc = concat!($help, ".")]
                $(#[doc = $doc])*
                pub $field: $ty,
            )*
        }

        impl Metrics {
            /// The names of every metric, without the `loanchain_` prefix or a counter's `_total`.
            pub const NAMES: &'static [&'static str] = &[$($name),*];

            /// A registry with every metric registered under the `loanchain` prefix.
            pub fn new() -> Metrics {
                let mut registry = Registry::with_prefix("loanchain");
                $(
                    let $field: $ty = metrics!(@init $ty $(, $init)?);
                    registry.register($name, $help, $field.clone());
                )*
                Metrics { registry, $($field),* }
            }
        }
    };
}

metrics! {
    height: IntGauge => "height", "Height of the last executed block";
    round: IntGauge => "round", "Consensus round at the height being decided";
    commit_latency: Histogram = Histogram::new([0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0].into_iter())
        => "commit_latency_seconds", "Seconds from the start of a height to its commit";
    block_apply: Histogram = Histogram::new([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5].into_iter())
        => "block_apply_seconds", "Seconds spent executing a decided block and writing it to RocksDB";
    /// Successful or not.
    transactions_committed: Counter => "transactions_committed", "Transactions committed";
    blocks_committed: Counter => "blocks_committed", "Blocks committed";
    mempool_size: IntGauge => "mempool_size", "Transactions waiting in the mempool";
    peers: IntGauge => "peers", "Connected peers";
    behind: IntGauge => "blocks_behind", "Blocks known to exist but not executed yet";
    transactions_rejected: Counter => "transactions_rejected", "Transactions refused at admission";
    /// From clients or gossip.
    verified_at_admission: Counter
        => "transactions_verified_at_admission", "Transactions whose signatures were verified at admission";
    /// Each is then verified once more than the ideal.
    verified_in_blocks: Counter
        => "transactions_verified_in_blocks", "Transactions verified when a block carried them and the mempool did not hold them";
    /// At admission and in blocks.
    verify_batches: Counter => "verify_batches", "Batches of signatures verified together";
    blocks_rebuilt: Counter => "blocks_rebuilt", "Proposed blocks rebuilt from the mempool from a compact proposal";
    /// A compact proposal whose transactions did not all arrive in time, or a decided block this
    /// node never received.
    blocks_fetched: Counter => "blocks_fetched", "Blocks fetched whole from a peer by hash";
    /// A block whose body is not the one its header commits to, a sync answer out of order: the
    /// peer is asked last afterwards.
    peer_faults: Counter => "peer_faults", "Answers from peers that did not prove what they claimed";
    /// Repeated, outside the heights being decided, from an unknown signer, an announcement without
    /// its certificate, or no verification job free.
    consensus_dropped: Counter => "consensus_messages_dropped", "Consensus messages dropped before verification";
    tx_gossip_dropped: Counter => "tx_gossip_dropped", "Transaction gossip batches dropped because the admission queue was full";
    /// Found by this node's consensus core or gossiped by a peer and verified; each once.
    evidence_stored: Counter => "evidence_stored", "Pieces of equivocation evidence stored";
    /// It did not prove an equivocation, or was of a height too far ahead.
    evidence_refused: Counter => "evidence_refused", "Pieces of gossiped equivocation evidence refused";
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
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

    /// The names `/metrics` exposes (those before the list became a macro, then each added since):
    /// dashboards and alerts read them.
    #[test]
    fn every_declared_metric_is_exported_under_its_name() {
        let names = [
            "height",
            "round",
            "commit_latency_seconds",
            "block_apply_seconds",
            "transactions_committed",
            "blocks_committed",
            "mempool_size",
            "peers",
            "blocks_behind",
            "transactions_rejected",
            "transactions_verified_at_admission",
            "transactions_verified_in_blocks",
            "verify_batches",
            "blocks_rebuilt",
            "blocks_fetched",
            "peer_faults",
            "consensus_messages_dropped",
            "tx_gossip_dropped",
            "evidence_stored",
            "evidence_refused",
        ];
        assert_eq!(Metrics::NAMES, names);
        let text = Metrics::new().render();
        for name in names {
            assert!(text.contains(&format!("# TYPE loanchain_{name} ")), "{name} missing: {text}");
        }
    }
}
