//! What the host feeds the core.

use loanchain_types::{CommitCertificate, Hash, Height, Round, SignedProposal, SignedVote};

/// One event for [`crate::Core::handle`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// Begin (a new core: round 0 of its height) or resume (a recovered core: the persisted round,
    /// re-sending what it had signed there). Call once, after [`crate::Core::new`] or
    /// [`crate::Core::recover`].
    Start,
    /// The host's clock, unix milliseconds. The core fires every timeout due at `now`, and uses
    /// `now` to compute the `at` of the timeouts it schedules. Never goes backwards.
    Tick {
        /// Current time.
        now: u64,
    },
    /// A proposal from the network (its block travels beside it, to the host).
    Proposal {
        /// The proposal.
        proposal: SignedProposal,
        /// Whether the host found the block's time timely when this proposal arrived: within its
        /// clock ± the precision and the round's message delay ([`crate::is_timely`], DESIGN §8,
        /// "Block time"). False when the host does not know the block's time. Used only by
        /// Tendermint L22 (a proposal without a proof-of-lock round). A proposal received more
        /// than once counts as timely if one receipt was.
        timely: bool,
    },
    /// A prevote or precommit from the network.
    Vote(SignedVote),
    /// The host's answer to [`crate::Effect::RequestProposal`]: the block it built, by hash.
    ProposalPayload {
        /// Height asked for.
        height: Height,
        /// Round asked for.
        round: Round,
        /// The new block's hash.
        block_hash: Hash,
    },
    /// The host's answer to [`crate::Effect::ValidateBlock`] (the paper's `valid(v)`).
    BlockValidated {
        /// Height of the proposal.
        height: Height,
        /// Round of the proposal.
        round: Round,
        /// The block.
        block_hash: Hash,
        /// Whether the block is acceptable (well formed, right parent and time, transactions apply).
        valid: bool,
    },
    /// A commit certificate for the current height obtained by sync (DESIGN §9): decides the height
    /// without the round's messages.
    Certificate(CommitCertificate),
    /// After [`crate::Effect::Commit`] and once the host has stored the block: begin `height`
    /// (which must be the decided height + 1).
    StartHeight {
        /// The new height.
        height: Height,
    },
}
