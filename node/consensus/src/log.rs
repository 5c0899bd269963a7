//! The message log of one height: proposals and votes per round, with running tallies of voting
//! power (the paper's "upon 2f+1 ⟨PREVOTE, h, r, id(v)⟩" conditions are look-ups here), and
//! equivocation detection. Rounds more than [`MAX_ROUNDS_AHEAD`] above the current one are not
//! logged: of those, each validator's highest-round message is kept for the round-skip rule.

use std::collections::{BTreeMap, BTreeSet};

use loanchain_types::{ConsensusMessage, Evidence, Hash, Round, SignedProposal, SignedVote, ValidatorIndex, VoteKind};

/// How far above the current round a proposal or vote may be and still enter the log: 100 rounds.
///
/// Large enough that correct validators are not that far apart in practice: a round ends only
/// when a quorum precommitted in it and the precommit timeout passed (Tendermint L47, L65), or by
/// following f+1 power to a higher round (L55). A hundred rounds are a hundred precommit timeouts
/// at least: 21 minutes with the default timeouts, 17 with devnet's, a time validators that hear
/// each other do not spend apart. Small enough that the log stays small: a validator can put at
/// most 2 × `MAX_VALUES_PER_VOTER` votes (and, in the rounds it proposes,
/// `MAX_PROPOSALS_PER_ROUND` proposals) in each round of the window, some 800 votes, where
/// without a window it could name every round up to `u32::MAX`, and every rule would scan them.
///
/// Beyond the window the log keeps each validator's highest-round message, one per validator, so
/// a validator that fell further behind still follows f+1 power there
/// (`HeightLog::round_reached_ahead`); if the window were too small for some network, only the
/// messages of those rounds would have to be sent again, not liveness lost.
pub const MAX_ROUNDS_AHEAD: Round = 100;

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
    /// Proposals from the round's proposer, in the order received (one per block hash).
    pub(crate) proposals: Vec<SignedProposal>,
    /// The block hashes of the logged proposals that were timely at some receipt (the host's
    /// verdict, [`crate::is_timely`]; our own proposals always).
    timely: BTreeSet<Hash>,
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

    /// Whether the logged proposal for `value` was timely at some receipt.
    pub(crate) fn timely(&self, value: Hash) -> bool {
        self.timely.contains(&value)
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

/// Whether a message of `round` is too far above `current` to enter the log.
pub(crate) fn beyond_window(current: Round, round: Round) -> bool {
    round > current.saturating_add(MAX_ROUNDS_AHEAD)
}

/// The log of the current height.
#[derive(Clone, Debug, Default)]
pub(crate) struct HeightLog {
    pub(crate) rounds: BTreeMap<Round, RoundLog>,
    /// Beyond the window: the message of the highest round each validator sent (the first one
    /// received of that round), with the validator's power and, for a proposal, its timeliness at
    /// receipt. Already checked like any message.
    ahead: BTreeMap<ValidatorIndex, (ConsensusMessage, u64, bool)>,
    /// The power of the validators in `ahead`.
    ahead_power: u64,
}

impl HeightLog {
    pub(crate) fn round(&self, round: Round) -> Option<&RoundLog> {
        self.rounds.get(&round)
    }

    /// How many proposals and votes are held, in every round and beyond the window.
    pub(crate) fn len(&self) -> usize {
        self.rounds.values().map(RoundLog::len).sum::<usize>() + self.ahead.len()
    }

    /// The messages kept beyond the window, by validator.
    pub(crate) fn ahead(&self) -> impl Iterator<Item = &ConsensusMessage> {
        self.ahead.values().map(|(m, ..)| m)
    }

    /// Keeps `m` (of `power`, beyond the window, `timely` if a proposal timely at receipt) if it is
    /// of a higher round than what its signer sent before beyond the window; otherwise drops it.
    pub(crate) fn keep_ahead(&mut self, m: ConsensusMessage, power: u64, timely: bool) {
        match self.ahead.get_mut(&m.signer()) {
            Some(kept) if kept.0.round() < m.round() => *kept = (m, power, timely),
            Some(_) => {}
            None => {
                self.ahead_power += power;
                self.ahead.insert(m.signer(), (m, power, timely));
            }
        }
    }

    /// Removes and returns the messages kept beyond the window that are inside the window of
    /// `current` now, with their power and timeliness, in validator order.
    pub(crate) fn take_ahead_within(&mut self, current: Round) -> Vec<(ConsensusMessage, u64, bool)> {
        let within: Vec<ValidatorIndex> =
            self.ahead.iter().filter(|(_, (m, ..))| !beyond_window(current, m.round())).map(|(v, _)| *v).collect();
        let mut out = Vec::with_capacity(within.len());
        for v in within {
            if let Some((m, power, timely)) = self.ahead.remove(&v) {
                self.ahead_power -= power;
                out.push((m, power, timely));
            }
        }
        out
    }

    /// Tendermint L55 beyond the window: the highest round R above `round` such that validators of
    /// at least `threshold` (f+1) power sent messages of rounds ≥ R. f+1 power holds a correct
    /// validator, so a correct validator reached round R or a later one; f power (maybe all
    /// Byzantine) claiming a higher round moves no one past the round the correct one is at.
    pub(crate) fn round_reached_ahead(&self, round: Round, threshold: u64) -> Option<Round> {
        if self.ahead_power < threshold {
            return None;
        }
        let mut reached: Vec<(Round, u64)> = self.ahead.values().map(|(m, p, _)| (m.round(), *p)).filter(|(r, _)| *r > round).collect();
        reached.sort_unstable_by_key(|(r, _)| std::cmp::Reverse(*r));
        let mut power = 0u64;
        reached.into_iter().find_map(|(r, p)| {
            power += p;
            (power >= threshold).then_some(r)
        })
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

    /// Adds a proposal of `power`'s proposer, already checked to come from the round's proposer;
    /// `timely` is its timeliness at this receipt. A repeat of a logged proposal that is timely
    /// marks it timely (an earlier receipt may not have been judged: the host did not know the
    /// block's time); nothing makes a proposal untimely again.
    pub(crate) fn add_proposal(&mut self, proposal: SignedProposal, power: u64, timely: bool) -> Added {
        let r = self.rounds.entry(proposal.proposal.round).or_default();
        let hash = proposal.proposal.block_hash;
        let repeat = r.proposals.contains(&proposal) || r.proposals.iter().any(|p| p.proposal == proposal.proposal);
        if repeat {
            if timely {
                r.timely.insert(hash);
            }
            return Added::Duplicate;
        }
        if let Some(first) = r.proposals.first() {
            let evidence = Evidence::ConflictingProposals { first: first.clone(), second: proposal.clone() };
            if r.proposals.len() < MAX_PROPOSALS_PER_ROUND && r.proposal_for(hash).is_none() {
                r.proposals.push(proposal);
                if timely {
                    r.timely.insert(hash);
                }
            }
            return Added::Conflict(Box::new(evidence));
        }
        r.note_sender(proposal.proposal.proposer, power);
        r.proposals.push(proposal);
        if timely {
            r.timely.insert(hash);
        }
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
