//! Issue 16, weakness 6: what a peer can make the core hold is bounded, and the round-skip rule
//! (Tendermint L55) still follows honest validators however far ahead they are.
//!
//! A message more than [`MAX_ROUNDS_AHEAD`] rounds above the current round is not stored in the
//! log; of those, the core keeps only the highest-round message of each validator, and jumps to
//! the highest round R such that validators of f+1 power sent messages of rounds ≥ R (some
//! correct validator reached R). Four validators of power 1 (f+1 = 2) unless a test says
//! otherwise.

use loanchain_consensus::{Core, Input, MAX_ROUNDS_AHEAD, Step};
use loanchain_types::test_utils::equal_validators;
use loanchain_types::{Round, SignedVote, ValidatorIndex, Vote, VoteKind};

use crate::common::*;

/// The rounds a flooding validator claims: every round up to well past the window, and the last
/// thousand rounds before `u32::MAX`.
fn flood_rounds() -> impl Iterator<Item = Round> {
    (1..=20 * MAX_ROUNDS_AHEAD).chain(Round::MAX - 999..=Round::MAX)
}

/// Prevote and precommit nil of `who` in `round`, and its proposal if it is the round's proposer.
fn everything_of(who: usize, round: Round) -> Vec<Input> {
    let mut inputs = vec![prevote(who, round, None), precommit(who, round, None)];
    if (1 + u64::from(round)) % 4 == who as u64 {
        inputs.push(proposal(1, round, block(&format!("flood {round}")), None));
    }
    inputs
}

#[test]
fn a_validator_claiming_every_round_does_not_grow_the_log_beyond_the_window() {
    let mut c = core(0);
    feed(&mut c, [Input::Start]);
    let before = c.stored_messages();
    feed(&mut c, flood_rounds().flat_map(|r| everything_of(3, r)));
    assert_eq!(c.round(), 0, "one validator (power 1 < f+1) moves no one");
    // In the window: two votes a round and a proposal every fourth round; beyond it: one message.
    let window = MAX_ROUNDS_AHEAD as usize;
    let bound = before + 2 * window + window.div_ceil(4) + 1;
    assert!(c.stored_messages() <= bound, "{} messages held, bound {bound}", c.stored_messages());
    // The height still decides in round 0.
    let v = block("v");
    let actions = feed(
        &mut c,
        [proposal(1, 0, v, None), valid(0, v, true), prevote(1, 0, Some(v)), prevote(2, 0, Some(v)), precommit(1, 0, Some(v))],
    );
    assert!(summarize(&actions).contains(&E::Precommit(0, Some(v))));
    assert_eq!(summarize(&feed(&mut c, [precommit(2, 0, Some(v))])), vec![E::Commit(v)]);
}

#[test]
fn an_equivocators_many_values_in_one_round_stop_growing_the_log() {
    // Conflicting messages of one signer, round and step are evidence: the log keeps a few (so
    // that a quorum another validator saw can be seen here too) and reports the first conflict.
    let mut c = core(0);
    feed(&mut c, [Input::Start]);
    let flood = |c: &mut Core, values: std::ops::Range<u32>| {
        let inputs = values.flat_map(|i| {
            let b = block(&format!("b{i}"));
            [prevote(3, 0, Some(b)), precommit(3, 0, Some(b)), proposal(1, 0, b, None)]
        });
        summarize(&feed(c, inputs))
    };
    let first = flood(&mut c, 0..10);
    let held = c.stored_messages();
    assert!(held <= 3 * 10, "{held}");
    assert_eq!(first.iter().filter(|e| **e == E::Evidence).count(), 3, "one report per step");
    let more = flood(&mut c, 10..100);
    assert_eq!(c.stored_messages(), held, "90 more values add nothing");
    assert!(!more.contains(&E::Evidence), "reported once");
}

#[test]
fn f_plus_one_validators_far_ahead_make_a_node_skip_to_their_round() {
    let far = 1_000_000;
    let mut c = core(0);
    feed(&mut c, [Input::Start]);
    assert!(feed(&mut c, [precommit(1, far, None)]).is_empty(), "one validator ahead: stay");
    // Tendermint L55: f+1 (v1, v2) of a higher round: StartRound(that round); the proposer of
    // round 1,000,000 at height 1 is v1.
    let actions = feed(&mut c, [precommit(2, far, None)]);
    assert_eq!(summarize(&actions), vec![E::PersistState, E::Schedule(Step::Propose, far)]);
    assert_eq!(c.round(), far);
    // Their precommits were kept and now count: with v3's, a quorum of precommits (L47).
    let actions = feed(&mut c, [precommit(3, far, None)]);
    assert_eq!(summarize(&actions), vec![E::Schedule(Step::Precommit, far)]);
}

#[test]
fn the_skip_goes_to_the_highest_round_that_f_plus_one_power_reached() {
    let mut c = core(0);
    feed(&mut c, [Input::Start]);
    // v1 at 1,000,000 then at 1,000,500 (its highest is kept); v2 at 3,000,000: f+1 power sent
    // messages of rounds ≥ 1,000,500, not ≥ 3,000,000.
    feed(&mut c, [prevote(1, 1_000_000, None), prevote(1, 1_000_500, None)]);
    assert_eq!(c.round(), 0);
    feed(&mut c, [prevote(2, 3_000_000, None)]);
    assert_eq!(c.round(), 1_000_500);
    // v2's message is still beyond the window of the new round; v3 joining it at 3,000,000 is f+1.
    feed(&mut c, [precommit(3, 3_000_000, None)]);
    assert_eq!(c.round(), 3_000_000);
}

/// Seven validators of power 1: f = 2, f+1 = 3. Validator 0 is the one under test.
fn core_of_seven() -> Core {
    let (keys, set) = equal_validators(7);
    Core::new(config(), set, Some(keys[0].clone()), 1).unwrap()
}

fn vote_of_seven(who: usize, round: Round) -> Input {
    let keys = equal_validators(7).0;
    let vote = Vote { height: 1, round, kind: VoteKind::Prevote, block_hash: None, validator: ValidatorIndex(who as u32) };
    Input::Vote(SignedVote::sign(&keys[who], CHAIN, vote))
}

#[test]
fn f_byzantine_validators_claiming_a_huge_round_move_no_one() {
    let mut c = core_of_seven();
    feed(&mut c, [Input::Start]);
    // v5 and v6 (power 2 = f) claim the last rounds.
    feed(&mut c, [vote_of_seven(5, Round::MAX), vote_of_seven(6, Round::MAX - 1), vote_of_seven(6, Round::MAX)]);
    assert_eq!(c.round(), 0, "f power proves nothing: it may be all Byzantine");
    // One correct validator at 2,000,000 makes f+1 at rounds ≥ 2,000,000: that far and no further.
    feed(&mut c, [vote_of_seven(1, 2_000_000)]);
    assert_eq!(c.round(), 2_000_000);
}

#[test]
fn a_single_validator_at_the_last_round_moves_no_one() {
    let mut c = core(0);
    feed(&mut c, [Input::Start]);
    feed(&mut c, everything_of(3, Round::MAX));
    feed(&mut c, everything_of(3, Round::MAX - 2));
    assert_eq!(c.round(), 0);
    assert_eq!(c.stored_messages(), 1, "beyond the window: one message of v3, its highest");
}

/// Issue 16, weakness 4: the next height's buffer (`Config::max_future_messages`) holds each
/// validator's share, so one validator signing thousands of next-height messages cannot push out
/// the honest ones that arrive after it, and forged ones are not buffered at all.
#[test]
fn one_validator_cannot_fill_the_next_heights_buffer() {
    let mut c = core(0);
    feed(&mut c, [Input::Start]);
    // Validator 3 signs 10,000 next-height prevotes; then come 5,000 forged ones "of validator 1".
    let flood = (0..10_000).map(|r| Input::Vote(vote_at(2, 3, VoteKind::Prevote, r, None)));
    let forged = (0..5_000).map(|r| {
        let mut v = vote_at(2, 3, VoteKind::Prevote, r, None);
        v.vote.validator = ValidatorIndex(1);
        Input::Vote(v)
    });
    feed(&mut c, flood.chain(forged));
    // Then the honest prevotes of validators 1 and 2 for the next height's block.
    let next = block("height 2");
    feed(&mut c, [1, 2].map(|who| Input::Vote(vote_at(2, who, VoteKind::Prevote, 0, Some(next)))));
    // Height 1 is decided by a certificate; height 2 starts with the buffered messages.
    let decided = block("height 1");
    let votes = precommits_of_others(0, decided);
    let cert = loanchain_types::CommitCertificate::from_precommits(1, 0, decided, votes.iter());
    feed(&mut c, [Input::Certificate(cert), Input::StartHeight { height: 2 }]);
    assert_eq!(c.height(), 2);
    // Our prevote on the proposal completes the quorum with the two buffered ones: a precommit.
    let actions = feed(&mut c, [proposal(2, 0, next, None), Input::BlockValidated { height: 2, round: 0, block_hash: next, valid: true }]);
    let e = summarize(&actions);
    assert!(e.contains(&E::Prevote(0, Some(next))), "{e:?}");
    assert!(e.contains(&E::Precommit(0, Some(next))), "the buffered honest prevotes were kept: {e:?}");
}
