//! Proposer-based timestamps in the core (DESIGN §8, "Block time"; issue 16, weakness 12): the
//! host's verdict on a proposal's time (`Input::Proposal { timely }`) decides the prevote of
//! Tendermint L22 only; it is kept with the proposal, so a verdict on the block arriving later
//! (`BlockValidated`) meets it; L28 and L36 do not ask for it.
//!
//! Four validators of power 1 (quorum 3, f+1 = 2); at height 1 round r's proposer is v(1 + r).

use loanchain_consensus::{Core, Input, RoundValue, Step, WalEntry};
use loanchain_types::{Hash, Round};

use crate::common::*;

/// The prevote actions a validator's step emitted, stripped.
fn prevotes(actions: &[loanchain_consensus::Action]) -> Vec<E> {
    summarize(actions).into_iter().filter(|e| matches!(e, E::Prevote(..))).collect()
}

/// Validator 0 at height 1 after Start and round `0`'s proposal of `v`, received `timely` or not.
fn received(v: Hash, timely: bool) -> Core {
    let mut c = core(0);
    feed(&mut c, [Input::Start, proposal_received(1, 0, v, None, timely)]);
    c
}

#[test]
fn l22_a_valid_block_received_untimely_gets_a_nil_prevote() {
    let v = block("v");
    let mut c = received(v, false);
    // L22-L26: valid(v), not locked, but not timely: nil.
    assert_eq!(summarize(&c.handle(valid(0, v, true))), vec![E::PersistSigned, E::Prevote(0, None)]);
    assert_eq!(c.state().step, Step::Prevote);
    // The same proposal received timely: v.
    let mut c = received(v, true);
    assert_eq!(summarize(&c.handle(valid(0, v, true))), vec![E::PersistSigned, E::Prevote(0, Some(v))]);
}

#[test]
fn l22_an_invalid_block_received_timely_still_gets_a_nil_prevote() {
    let v = block("v");
    let mut c = received(v, true);
    assert_eq!(prevotes(&c.handle(valid(0, v, false))), vec![E::Prevote(0, None)]);
}

#[test]
fn a_timely_repeat_of_a_proposal_makes_it_timely_and_an_untimely_one_changes_nothing() {
    let v = block("v");
    // First without a verdict on its time (the host lacked the header), then again, timely:
    // validity arrives after both.
    let mut c = received(v, false);
    assert!(prevotes(&c.handle(proposal_received(1, 0, v, None, true))).is_empty(), "a repeat asks nothing");
    assert_eq!(prevotes(&c.handle(valid(0, v, true))), vec![E::Prevote(0, Some(v))]);
    // Timely first, then an untimely repeat (a late re-send): still timely.
    let mut c = received(v, true);
    c.handle(proposal_received(1, 0, v, None, false));
    assert_eq!(prevotes(&c.handle(valid(0, v, true))), vec![E::Prevote(0, Some(v))]);
}

#[test]
fn l36_a_validator_that_found_the_proposal_untimely_still_locks_on_a_quorum_of_prevotes() {
    // The others found it timely and prevoted it: valid(v) and the quorum are enough (L36), so a
    // validator whose clock is off still precommits the correct validators' blocks.
    let v = block("v");
    let mut c = received(v, false);
    assert_eq!(prevotes(&c.handle(valid(0, v, true))), vec![E::Prevote(0, None)]);
    let actions = feed(&mut c, [prevote(1, 0, Some(v)), prevote(2, 0, Some(v)), prevote(3, 0, Some(v))]);
    assert!(summarize(&actions).contains(&E::Precommit(0, Some(v))), "{:?}", summarize(&actions));
    assert_eq!(c.state().locked, Some(RoundValue { round: 0, value: v }));
}

#[test]
fn l28_a_proposal_with_a_proof_of_lock_is_prevoted_even_when_received_untimely() {
    // A quorum prevoted v in round 0 (so v was timely for f+1 correct validators then); v2
    // re-proposes it in round 1 with vr = 0, and it reaches us after its time's bound.
    let v = block("v");
    let mut c = core(0);
    feed(
        &mut c,
        [
            Input::Start,
            prevote(1, 0, Some(v)),
            prevote(2, 0, Some(v)),
            prevote(3, 0, Some(v)),
            precommit(1, 1, None),
            precommit(2, 1, None), // L55: f+1 in round 1
        ],
    );
    assert_eq!(c.state().round, 1);
    feed(&mut c, [proposal_received(1, 1, v, Some(0), false)]);
    // L28-L32: not locked, valid(v), proof of lock in round 0: prevote v, whatever the time.
    assert_eq!(prevotes(&c.handle(valid(1, v, true))), vec![E::Prevote(1, Some(v))]);
}

#[test]
fn a_proposal_of_the_next_height_keeps_its_verdict_until_that_height_starts() {
    for timely in [false, true] {
        let (v, w) = (block("v"), block("w"));
        let mut c = core(0);
        c.handle(Input::Start);
        // Height 2, round 0 (proposer v2) arrives while height 1 is being decided.
        c.handle(proposal_received(2, 0, w, None, timely));
        let cert = loanchain_types::CommitCertificate::from_precommits(1, 0, v, precommits_of_others(0, v).iter());
        feed(&mut c, [Input::Certificate(cert), Input::StartHeight { height: 2 }]);
        assert_eq!(c.height(), 2);
        let actions = c.handle(Input::BlockValidated { height: 2, round: 0, block_hash: w, valid: true });
        let expected = if timely { Some(w) } else { None };
        assert_eq!(prevotes(&actions), vec![E::Prevote(0, expected)], "timely {timely}");
    }
}

#[test]
fn a_proposal_beyond_the_round_window_keeps_its_verdict_until_its_round_is_reached() {
    // Round 150 (proposer v(1 + 150) mod 4 = v3) is beyond the window of round 0: kept aside with
    // its verdict; v3's proposal and v1's prevote there are f+1, so we skip to it (L55).
    const R: Round = 150;
    for timely in [false, true] {
        let v = block("far");
        let mut c = core(0);
        c.handle(Input::Start);
        let mut actions = c.handle(proposal_received(1, R, v, None, timely));
        actions.extend(c.handle(prevote(1, R, Some(v))));
        assert_eq!(c.state().round, R);
        assert!(summarize(&actions).contains(&E::Validate(v)));
        let expected = if timely { Some(v) } else { None };
        assert_eq!(prevotes(&c.handle(valid(R, v, true))), vec![E::Prevote(R, expected)], "timely {timely}");
    }
}

#[test]
fn the_validators_own_proposal_is_timely_also_after_a_restart() {
    // v1 proposes round 0 (ProposalPayload) and prevotes it; recovered from a WAL that holds only
    // the proposal (crash before the prevote), it prevotes it again, without a host verdict.
    let v = block("v");
    let mut c = core(1);
    let mut actions = c.handle(Input::Start);
    actions.extend(c.handle(Input::ProposalPayload { height: 1, round: 0, block_hash: v }));
    assert_eq!(prevotes(&actions), vec![E::Prevote(0, Some(v))]);
    let mut wal: Vec<WalEntry> = actions
        .iter()
        .filter_map(|a| match a {
            loanchain_consensus::Action::Persist(e) => Some(e.clone()),
            _ => None,
        })
        .collect();
    wal.truncate(2);
    let mut r = Core::recover(config(), set(), Some(keys()[1].clone()), 1, &wal).unwrap();
    assert_eq!(prevotes(&r.handle(Input::Start)), vec![E::Prevote(0, Some(v))]);
}
