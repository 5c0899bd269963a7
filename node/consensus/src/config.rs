//! Configuration of the core: chain id, timeouts, signature checking.

use loanchain_types::Round;

use crate::action::Step;

/// The longest any timeout grows to, in milliseconds: a minute. After a long outage the round
/// numbers are high; without a cap their timeouts would keep a healed network waiting for
/// minutes or hours per round (CometBFT users met exactly that). A base longer than the cap is
/// kept: the cap bounds growth, it does not shorten what genesis asks for.
pub const MAX_TIMEOUT_MS: u64 = 60_000;

/// Timeouts in milliseconds: `base + delta * round`, so they grow per round until the network's
/// real delay fits (the paper's partial-synchrony argument, §4 of Buchman et al.), up to
/// [`MAX_TIMEOUT_MS`] (or the base, if that is longer). The argument needs only that timeouts
/// eventually exceed the real delay: a minute is far above any delay between member data centres.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Wait for a proposal, round 0.
    pub propose_ms: u64,
    /// Added per round.
    pub propose_delta_ms: u64,
    /// Wait for more prevotes after a quorum of mixed prevotes, round 0.
    pub prevote_ms: u64,
    /// Added per round.
    pub prevote_delta_ms: u64,
    /// Wait for more precommits after a quorum of mixed precommits, round 0.
    pub precommit_ms: u64,
    /// Added per round.
    pub precommit_delta_ms: u64,
}

impl Timeouts {
    /// The timeout of `step` in `round`.
    pub fn duration(&self, step: Step, round: Round) -> u64 {
        let (base, delta) = match step {
            Step::Propose => (self.propose_ms, self.propose_delta_ms),
            Step::Prevote => (self.prevote_ms, self.prevote_delta_ms),
            Step::Precommit => (self.precommit_ms, self.precommit_delta_ms),
        };
        base.saturating_add(delta.saturating_mul(u64::from(round))).min(base.max(MAX_TIMEOUT_MS))
    }
}

impl Default for Timeouts {
    /// Values for a LAN of validators (CometBFT's defaults, scaled to loanchain's latency budget).
    fn default() -> Self {
        Timeouts {
            propose_ms: 1_000,
            propose_delta_ms: 500,
            prevote_ms: 500,
            prevote_delta_ms: 250,
            precommit_ms: 500,
            precommit_delta_ms: 250,
        }
    }
}

/// How a [`crate::Core`] runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The chain id, bound into every signature.
    pub chain_id: String,
    /// The timeouts.
    pub timeouts: Timeouts,
    /// Whether the core checks the signature of each proposal and vote it receives. On in
    /// [`Config::new`]. The node turns it off: its host verifies every message from the network in
    /// batches off the chain task before the core sees it (`node/src/chain/inbound.rs`),
    /// and checking again would put that work back on the chain task. The simulator turns it off
    /// by default (its network only carries correctly signed messages; `--verify-signatures` turns
    /// it back on). Structural checks (signer in the set, right proposer) are always made.
    pub verify_signatures: bool,
    /// Whether the core checks the signatures of a commit certificate it is given (sync). On in
    /// [`Config::new`] and in the node, which verifies no certificate before the core; the
    /// simulator sets it with `verify_signatures`.
    pub verify_certificates: bool,
    /// How many messages of the next height to keep while this height is not decided.
    pub max_future_messages: usize,
}

impl Config {
    /// A configuration with default timeouts and signature checking on.
    pub fn new(chain_id: impl Into<String>) -> Config {
        Config {
            chain_id: chain_id.into(),
            timeouts: Timeouts::default(),
            verify_signatures: true,
            verify_certificates: true,
            max_future_messages: 4096,
        }
    }
}
