//! Helpers shared by the test modules: four validators of power 1 (quorum 3, f+1 = 2), their
//! keys, signed messages, and actions stripped of signatures and times.
//!
//! The proposer of (height h, round r) is validator (h + r) mod 4.

use loanchain_consensus::{Action, Config, Core, Effect, Input, Step, Timeouts, WalEntry, check_persist_before_send};
use loanchain_types::test_utils::{equal_validators, keypairs};
use loanchain_types::{
    ConsensusMessage, Hash, Keypair, Proposal, Round, SignedProposal, SignedVote, ValidatorIndex, ValidatorSet, Vote, VoteKind,
};

pub(crate) const CHAIN: &str = "loanchain-test";

pub(crate) fn keys() -> Vec<Keypair> {
    keypairs(4)
}

pub(crate) fn set() -> ValidatorSet {
    equal_validators(4).1
}

pub(crate) fn config() -> Config {
    Config {
        timeouts: Timeouts {
            propose_ms: 100,
            propose_delta_ms: 10,
            prevote_ms: 50,
            prevote_delta_ms: 5,
            precommit_ms: 50,
            precommit_delta_ms: 5,
        },
        ..Config::new(CHAIN)
    }
}

pub(crate) fn core(me: usize) -> Core {
    Core::new(config(), set(), Some(keys()[me].clone()), 1).unwrap()
}

pub(crate) fn block(name: &str) -> Hash {
    Hash::digest(name.as_bytes())
}

/// A proposal of (height, round) signed by `who`, which claims to be that round's proposer only
/// if it is; received timely.
pub(crate) fn proposal_by(who: usize, height: u64, round: Round, value: Hash, valid_round: Option<Round>) -> Input {
    Input::Proposal { proposal: signed_proposal(who, height, round, value, valid_round), timely: true }
}

pub(crate) fn signed_proposal(who: usize, height: u64, round: Round, value: Hash, valid_round: Option<Round>) -> SignedProposal {
    SignedProposal::sign(
        &keys()[who],
        CHAIN,
        Proposal { height, round, block_hash: value, valid_round, proposer: ValidatorIndex(who as u32) },
    )
}

/// The proposal of (height, round) by its proposer, received when the host judged its block's
/// time `timely` or not.
pub(crate) fn proposal_received(height: u64, round: Round, value: Hash, valid_round: Option<Round>, timely: bool) -> Input {
    let who = ((height + u64::from(round)) % 4) as usize;
    Input::Proposal { proposal: signed_proposal(who, height, round, value, valid_round), timely }
}

/// The proposal of (height, round) by its proposer, validator (height + round) mod 4.
pub(crate) fn proposal(height: u64, round: Round, value: Hash, valid_round: Option<Round>) -> Input {
    proposal_by(((height + u64::from(round)) % 4) as usize, height, round, value, valid_round)
}

pub(crate) fn vote_at(height: u64, who: usize, kind: VoteKind, round: Round, value: Option<Hash>) -> SignedVote {
    SignedVote::sign(&keys()[who], CHAIN, Vote { height, round, kind, block_hash: value, validator: ValidatorIndex(who as u32) })
}

pub(crate) fn vote(who: usize, kind: VoteKind, round: Round, value: Option<Hash>) -> SignedVote {
    vote_at(1, who, kind, round, value)
}

/// Precommits for `value` in `round` of height 1 from v1, v2 and v3: a quorum without us.
pub(crate) fn precommits_of_others(round: Round, value: Hash) -> Vec<SignedVote> {
    (1..4).map(|i| vote(i, VoteKind::Precommit, round, Some(value))).collect()
}

pub(crate) fn prevote(who: usize, round: Round, value: Option<Hash>) -> Input {
    Input::Vote(vote(who, VoteKind::Prevote, round, value))
}

pub(crate) fn precommit(who: usize, round: Round, value: Option<Hash>) -> Input {
    Input::Vote(vote(who, VoteKind::Precommit, round, value))
}

pub(crate) fn valid(round: Round, value: Hash, ok: bool) -> Input {
    Input::BlockValidated { height: 1, round, block_hash: value, valid: ok }
}

/// Feeds `inputs` in order, checking that each batch persists before it sends; returns every
/// action.
pub(crate) fn feed(core: &mut Core, inputs: impl IntoIterator<Item = Input>) -> Vec<Action> {
    let mut all = Vec::new();
    for (i, input) in inputs.into_iter().enumerate() {
        let actions = core.handle(input);
        check_persist_before_send(&actions).unwrap_or_else(|e| panic!("input {i}: {e}"));
        all.extend(actions);
    }
    all
}

/// An action, stripped of signatures and absolute times.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum E {
    PersistState,
    PersistSigned,
    PersistJustification,
    Propose(Round, Hash, Option<Round>),
    Prevote(Round, Option<Hash>),
    Precommit(Round, Option<Hash>),
    Schedule(Step, Round),
    RequestProposal(Round),
    Validate(Hash),
    Commit(Hash),
    Evidence,
}

pub(crate) fn summarize(actions: &[Action]) -> Vec<E> {
    actions
        .iter()
        .map(|a| match a {
            Action::Persist(WalEntry::State(_)) => E::PersistState,
            Action::Persist(WalEntry::Signed(_)) => E::PersistSigned,
            Action::Persist(WalEntry::Justification(_)) => E::PersistJustification,
            Action::Effect(Effect::Send(ConsensusMessage::Proposal(p))) => {
                E::Propose(p.proposal.round, p.proposal.block_hash, p.proposal.valid_round)
            }
            Action::Effect(Effect::Send(ConsensusMessage::Vote(v))) => match v.vote.kind {
                VoteKind::Prevote => E::Prevote(v.vote.round, v.vote.block_hash),
                VoteKind::Precommit => E::Precommit(v.vote.round, v.vote.block_hash),
            },
            Action::Effect(Effect::ScheduleTimeout { round, step, .. }) => E::Schedule(*step, *round),
            Action::Effect(Effect::RequestProposal { round, .. }) => E::RequestProposal(*round),
            Action::Effect(Effect::ValidateBlock { block_hash, .. }) => E::Validate(*block_hash),
            Action::Effect(Effect::Commit { block_hash, .. }) => E::Commit(*block_hash),
            Action::Effect(Effect::ReportEvidence(_)) => E::Evidence,
        })
        .collect()
}
