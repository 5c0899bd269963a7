//! What the core asks the host to do, and what it asks the host to persist.

use loanchain_types::{CommitCertificate, ConsensusMessage, Evidence, Hash, Height, Round};

/// Re-exported so hosts can name the message type without depending on loanchain-types directly.
pub use loanchain_types::ConsensusMessage as Message;

/// The step of a round (the paper's `step_p`), also the kind of a timeout and of a signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// Waiting for (or making) the round's proposal.
    Propose,
    /// Prevoted; collecting prevotes.
    Prevote,
    /// Precommitted; collecting precommits.
    Precommit,
}

/// A round and the block decided on in it: the paper's (lockedRound, lockedValue) and
/// (validRound, validValue) pairs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RoundValue {
    /// The round.
    pub round: Round,
    /// The block hash.
    pub value: Hash,
}

/// The part of the state a validator must not forget across a restart: where it is, what it is
/// locked on. Persisted with every change, before any signature that depends on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SafetyRecord {
    /// Current height.
    pub height: Height,
    /// Current round.
    pub round: Round,
    /// Current step.
    pub step: Step,
    /// lockedRound / lockedValue (Tendermint L38).
    pub locked: Option<RoundValue>,
    /// validRound / validValue (Tendermint L42).
    pub valid: Option<RoundValue>,
}

/// One record of the consensus write-ahead log. The host appends these, durably, in order;
/// [`crate::Core::recover`] rebuilds the core from them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WalEntry {
    /// The safety state changed (new round, new lock, new valid value).
    State(SafetyRecord),
    /// The validator signed this message: it must never sign a different one for the same
    /// (height, round, step).
    Signed(ConsensusMessage),
    /// Messages of others that justify a lock or valid value (the quorum of prevotes, Tendermint
    /// L36): kept so that after a restart the validator can still show peers why it is locked.
    /// Without them a restarted validator could stay locked on a block no one else can be
    /// convinced of, and a height could stall forever.
    Justification(Vec<ConsensusMessage>),
}

impl WalEntry {
    /// The height the entry belongs to.
    pub fn height(&self) -> Height {
        match self {
            WalEntry::State(s) => s.height,
            WalEntry::Signed(m) => m.height(),
            WalEntry::Justification(ms) => ms.first().map_or(0, ConsensusMessage::height),
        }
    }
}

/// One thing the core emits: a WAL entry to persist, or an effect for the host once the batch's
/// entries are durable. [`crate::Ready`] separates the two for hosts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Append to the consensus WAL, durably, before any `Send` of the same batch leaves.
    Persist(WalEntry),
    /// Something for the host to do after the batch's `Persist` entries are durable.
    Effect(Effect),
}

impl From<Effect> for Action {
    fn from(effect: Effect) -> Action {
        Action::Effect(effect)
    }
}

/// What the core asks of its host, to be done only after the WAL entries of the same step are
/// durable ([`crate::Ready::persist`] hands these out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Broadcast a message this validator signed to every validator.
    Send(ConsensusMessage),
    /// Feed `Input::Tick { now }` with `now >= at` at time `at`.
    ScheduleTimeout {
        /// Height.
        height: Height,
        /// Round.
        round: Round,
        /// Step.
        step: Step,
        /// Host time (ms) at which it fires.
        at: u64,
    },
    /// This validator proposes: build a block for (height, round) and answer with
    /// `Input::ProposalPayload` (the paper's `getValue()`).
    RequestProposal {
        /// Height.
        height: Height,
        /// Round.
        round: Round,
    },
    /// Check the block a proposal names and answer with `Input::BlockValidated` (`valid(v)`).
    ValidateBlock {
        /// Height.
        height: Height,
        /// Round of the proposal that named it.
        round: Round,
        /// The block.
        block_hash: Hash,
    },
    /// The block is final: store it with its certificate, execute it, then feed
    /// `Input::StartHeight { height: height + 1 }`. If the host lacks the block body (the node
    /// missed the proposal), it fetches it by hash: the certificate proves it.
    Commit {
        /// Height decided.
        height: Height,
        /// The block.
        block_hash: Hash,
        /// A quorum of precommits for it.
        certificate: CommitCertificate,
    },
    /// A validator equivocated: the proof, for the host to record. Emitted once per (validator,
    /// height, round, step); the core keeps no copy. (The node stores, gossips and serves it; the
    /// simulator counts it.)
    ReportEvidence(Evidence),
}

/// Checks the double-sign discipline of one batch: every `Send` is preceded, in the batch, by a
/// `Persist(Signed)` of the same message. The core guarantees it; hosts and tests may assert it.
pub fn check_persist_before_send(actions: &[Action]) -> Result<(), String> {
    for (i, a) in actions.iter().enumerate() {
        if let Action::Effect(Effect::Send(m)) = a {
            let persisted = actions[..i].iter().any(|p| matches!(p, Action::Persist(WalEntry::Signed(s)) if s == m));
            if !persisted {
                return Err(format!("action {i} sends {m:?} before persisting it"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_and_steps_order() {
        assert!(Step::Propose < Step::Prevote && Step::Prevote < Step::Precommit);
    }
}
