//! The message log of one height: proposals and votes per round, with running tallies of voting
//! power (the paper's "upon 2f+1 ⟨PREVOTE, h, r, id(v)⟩" conditions are look-ups here), and
//! equivocation detection.

use std::collections::{BTreeMap, BTreeSet};

use loanchain_types::{Evidence, Hash, Round, SignedProposal, SignedVote, ValidatorIndex, VoteKind};

/// Most distinct proposals kept per round. Only an equivocating proposer sends more than one; we
/// keep a few (so a correct node can still lock on whichever one gathered a quorum) and report the
/// rest as evidence.
const MAX_PROPOSALS_PER_ROUND: usize = 4;

/// Votes of one kind in one round.
#[derive(Clone, Debug, Default)]
pub(crate) struct VoteSet {
    votes: BTreeMap<ValidatorIndex, SignedVote>,
    power_by_value: BTreeMap<Option<Hash>, u64>,
    total: u64,
}

impl VoteSet {
    /// Power of the votes for `value`.
    pub(crate) fn power_for(&self, value: Option<Hash>) -> u64 {
        self.power_by_value.get(&value).copied().unwrap_or(0)
    }

    /// Power of all votes, whatever their value.
    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    /// Every (value, power) with votes, in value order.
    pub(crate) fn tallies(&self) -> impl Iterator<Item = (Option<Hash>, u64)> + '_ {
        self.power_by_value.iter().map(|(v, p)| (*v, *p))
    }

    /// The votes for `value`.
    pub(crate) fn votes_for(&self, value: Option<Hash>) -> impl Iterator<Item = &SignedVote> {
        self.votes.values().filter(move |v| v.vote.block_hash == value)
    }

    pub(crate) fn all(&self) -> impl Iterator<Item = &SignedVote> {
        self.votes.values()
    }
}

/// Everything received in one round.
#[derive(Clone, Debug, Default)]
pub(crate) struct RoundLog {
    /// Proposals from the round's proposer, in the order received.
    pub(crate) proposals: Vec<SignedProposal>,
    pub(crate) prevotes: VoteSet,
    pub(crate) precommits: VoteSet,
    senders: BTreeSet<ValidatorIndex>,
    senders_power: u64,
}

impl RoundLog {
    /// Power of the distinct validators that sent anything in this round (Tendermint L55).
    pub(crate) fn senders_power(&self) -> u64 {
        self.senders_power
    }

    fn note_sender(&mut self, who: ValidatorIndex, power: u64) {
        if self.senders.insert(who) {
            self.senders_power += power;
        }
    }

    /// The proposal for `value`, if any.
    pub(crate) fn proposal_for(&self, value: Hash) -> Option<&SignedProposal> {
        self.proposals.iter().find(|p| p.proposal.block_hash == value)
    }
}

/// What adding a message did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Added {
    /// New information.
    New,
    /// Seen before, byte for byte.
    Duplicate,
    /// Conflicts with an earlier message of the same signer, round and step.
    Conflict(Box<Evidence>),
}

/// The log of the current height.
#[derive(Clone, Debug, Default)]
pub(crate) struct HeightLog {
    pub(crate) rounds: BTreeMap<Round, RoundLog>,
}

impl HeightLog {
    pub(crate) fn round(&self, round: Round) -> Option<&RoundLog> {
        self.rounds.get(&round)
    }

    /// Adds a vote of `power`, already checked to be of this height and from a validator.
    pub(crate) fn add_vote(&mut self, vote: SignedVote, power: u64) -> Added {
        let r = self.rounds.entry(vote.vote.round).or_default();
        let set = match vote.vote.kind {
            VoteKind::Prevote => &mut r.prevotes,
            VoteKind::Precommit => &mut r.precommits,
        };
        if let Some(existing) = set.votes.get(&vote.vote.validator) {
            if *existing == vote {
                return Added::Duplicate;
            }
            if existing.vote == vote.vote {
                // Same vote, different signature bytes: ed25519 is deterministic, so only a
                // malleated copy can do this; it proves nothing and counts nothing.
                return Added::Duplicate;
            }
            return Added::Conflict(Box::new(Evidence::ConflictingVotes { first: existing.clone(), second: vote }));
        }
        let who = vote.vote.validator;
        *set.power_by_value.entry(vote.vote.block_hash).or_insert(0) += power;
        set.total += power;
        set.votes.insert(who, vote);
        r.note_sender(who, power);
        Added::New
    }

    /// Adds a proposal of `power`'s proposer, already checked to come from the round's proposer.
    pub(crate) fn add_proposal(&mut self, proposal: SignedProposal, power: u64) -> Added {
        let r = self.rounds.entry(proposal.proposal.round).or_default();
        if r.proposals.contains(&proposal) {
            return Added::Duplicate;
        }
        if let Some(first) = r.proposals.first() {
            if first.proposal == proposal.proposal {
                return Added::Duplicate;
            }
            let evidence = Evidence::ConflictingProposals { first: first.clone(), second: proposal.clone() };
            if r.proposals.len() < MAX_PROPOSALS_PER_ROUND
                && r.proposal_for(proposal.proposal.block_hash).is_none()
            {
                r.proposals.push(proposal);
            }
            return Added::Conflict(Box::new(evidence));
        }
        r.note_sender(proposal.proposal.proposer, power);
        r.proposals.push(proposal);
        Added::New
    }

    /// Rounds above `round` in which validators of at least `threshold` power sent something
    /// (Tendermint L55), highest first.
    pub(crate) fn rounds_above_with_senders(&self, round: Round, threshold: u64) -> Option<Round> {
        self.rounds
            .range(round.saturating_add(1)..)
            .rev()
            .find(|(_, r)| r.senders_power() >= threshold)
            .map(|(round, _)| *round)
    }
}
