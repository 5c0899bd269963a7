//! The message log of one height: proposals and votes per round, with running tallies of voting
//! power (the paper's "upon 2f+1 ⟨PREVOTE, h, r, id(v)⟩" conditions are look-ups here), and
//! equivocation detection.

use std::collections::{BTreeMap, BTreeSet};

use loanchain_types::{Evidence, Hash, Round, SignedProposal, SignedVote, ValidatorIndex, VoteKind};

/// Most distinct proposals kept per round. Only an equivocating proposer sends more than one; we
/// keep a few (so a correct node can still lock on whichever one gathered a quorum) and report the
/// rest as evidence.
const MAX_PROPOSALS_PER_ROUND: usize = 4;

/// Most distinct values counted per validator in one vote set. A correct validator votes once; an
/// equivocator's conflicting votes are still counted toward each value they name (up to this bound),
/// because a correct validator that happened to receive the "wrong" one first must still be able to
/// see a quorum that others saw (the liveness role of CometBFT's VoteSetMaj23). Safety is unaffected:
/// two quorums for different values intersect in more than f power, so in a correct validator.
const MAX_VALUES_PER_VOTER: usize = 4;

/// Votes of one kind in one round.
#[derive(Clone, Debug, Default)]
pub(crate) struct VoteSet {
    /// The first vote of each validator: counts toward the total.
    first: BTreeMap<ValidatorIndex, SignedVote>,
    /// Every counted vote, by value then validator.
    by_value: BTreeMap<Option<Hash>, BTreeMap<ValidatorIndex, SignedVote>>,
    /// Values counted per validator.
    values_of: BTreeMap<ValidatorIndex, usize>,
    power_by_value: BTreeMap<Option<Hash>, u64>,
    total: u64,
}

impl VoteSet {
    /// Power of the validators that voted for `value`.
    pub(crate) fn power_for(&self, value: Option<Hash>) -> u64 {
        self.power_by_value.get(&value).copied().unwrap_or(0)
    }

    /// Power of the validators that voted, each counted once whatever its votes.
    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    /// Every (value, power) with votes, in value order.
    pub(crate) fn tallies(&self) -> impl Iterator<Item = (Option<Hash>, u64)> + '_ {
        self.power_by_value.iter().map(|(v, p)| (*v, *p))
    }

    /// The votes for `value`.
    pub(crate) fn votes_for(&self, value: Option<Hash>) -> impl Iterator<Item = &SignedVote> {
        self.by_value.get(&value).into_iter().flat_map(|m| m.values())
    }

    /// Every counted vote.
    pub(crate) fn all(&self) -> impl Iterator<Item = &SignedVote> {
        self.by_value.values().flat_map(|m| m.values())
    }

    /// How many votes are held (each validator's first vote is also a counted one).
    pub(crate) fn len(&self) -> usize {
        self.values_of.values().sum()
    }

    fn add(&mut self, vote: SignedVote, power: u64) -> Added {
        let who = vote.vote.validator;
        let value = vote.vote.block_hash;
        if self.by_value.get(&value).is_some_and(|m| m.contains_key(&who)) {
            // Seen (ed25519 is deterministic: another signature on the same vote is a malleated
            // copy and proves nothing more).
            return Added::Duplicate;
        }
        let conflict = self.first.get(&who).map(|first| Evidence::ConflictingVotes { first: first.clone(), second: vote.clone() });
        let counted = self.values_of.entry(who).or_insert(0);
        if *counted < MAX_VALUES_PER_VOTER {
            *counted += 1;
            *self.power_by_value.entry(value).or_insert(0) += power;
            self.by_value.entry(value).or_default().insert(who, vote.clone());
        }
        match conflict {
            Some(evidence) => Added::Conflict(Box::new(evidence)),
            None => {
                self.total += power;
                self.first.insert(who, vote);
                Added::New
            }
        }
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

    /// How many proposals and votes are held.
    pub(crate) fn len(&self) -> usize {
        self.proposals.len() + self.prevotes.len() + self.precommits.len()
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

    /// How many proposals and votes are held, in every round.
    pub(crate) fn len(&self) -> usize {
        self.rounds.values().map(RoundLog::len).sum()
    }

    /// Adds a vote of `power`, already checked to be of this height and from a validator.
    pub(crate) fn add_vote(&mut self, vote: SignedVote, power: u64) -> Added {
        let r = self.rounds.entry(vote.vote.round).or_default();
        let who = vote.vote.validator;
        let added = match vote.vote.kind {
            VoteKind::Prevote => r.prevotes.add(vote, power),
            VoteKind::Precommit => r.precommits.add(vote, power),
        };
        if added == Added::New {
            r.note_sender(who, power);
        }
        added
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
            if r.proposals.len() < MAX_PROPOSALS_PER_ROUND && r.proposal_for(proposal.proposal.block_hash).is_none() {
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
        // Nothing is above the last round (a saturating `round + 1` would find `round` itself,
        // and the round-skip rule would fire forever).
        let next = round.checked_add(1)?;
        self.rounds.range(next..).rev().find(|(_, r)| r.senders_power() >= threshold).map(|(round, _)| *round)
    }
}
