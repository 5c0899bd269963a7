//! Table-driven tests of the round state machine (STYLE habit 7, malachite's driver tests): each
//! step feeds one input and states the exact actions and the new round state. Each test names
//! the lines of Algorithm 1 it checks.
//!
//! Four validators of power 1 (quorum 3, f+1 = 2). The proposer of (height h, round r) is
//! validator (h + r) mod 4, so at height 1: round 0 → v1, round 1 → v2, round 2 → v3, round 3 → v0.

use loanchain_consensus::{Action, Core, Effect, Input, RoundState, RoundValue, Step, Timeouts, WalEntry, check_persist_before_send};
use loanchain_types::{CommitCertificate, ConsensusMessage, Hash, Proposal, Round, SignedProposal, ValidatorIndex, VoteKind};

use crate::common::*;

/// Start, then round 0's proposal of `value` (by v1), valid: a validator that is not the proposer
/// prevotes `value`.
fn prevoted(value: Hash) -> Vec<Input> {
    vec![Input::Start, proposal(1, 0, value, None), valid(0, value, true)]
}

/// [`prevoted`], then v1's and v2's prevotes for `value`: with ours a quorum, so the validator
/// locks on `value` in round 0 and precommits it (L36-L41).
fn locked_in_round_0(value: Hash) -> Vec<Input> {
    let mut inputs = prevoted(value);
    inputs.extend([prevote(1, 0, Some(value)), prevote(2, 0, Some(value))]);
    inputs
}

/// Validator `me` rebuilt from `wal`, about to run `next_height`.
fn recover(me: usize, next_height: u64, wal: &[WalEntry]) -> Result<Core, loanchain_consensus::Error> {
    Core::recover(config(), set(), Some(keys()[me].clone()), next_height, wal)
}

struct TestStep {
    desc: &'static str,
    input: Input,
    expected_actions: Vec<E>,
    new_state: RoundState,
}

fn state(round: Round, step: Step, locked: Option<(Round, Hash)>, valid: Option<(Round, Hash)>) -> RoundState {
    let rv = |x: Option<(Round, Hash)>| x.map(|(round, value)| RoundValue { round, value });
    RoundState { height: 1, round, step, locked: rv(locked), valid: rv(valid), decided: None }
}

/// The state of height 1 at (round, step), locked on `lock` which is also the valid value.
fn locked(round: Round, step: Step, lock: (Round, Hash)) -> RoundState {
    state(round, step, Some(lock), Some(lock))
}

fn decided(mut s: RoundState, value: Hash) -> RoundState {
    s.decided = Some(value);
    s
}

/// Runs the steps; returns every action emitted (for WAL-based tests).
fn run(core: &mut Core, steps: Vec<TestStep>) -> Vec<Action> {
    let mut all = Vec::new();
    for (i, step) in steps.into_iter().enumerate() {
        let actions = core.handle(step.input);
        check_persist_before_send(&actions).unwrap_or_else(|e| panic!("step {i} ({}): {e}", step.desc));
        assert_eq!(summarize(&actions), step.expected_actions, "step {i}: {}", step.desc);
        assert_eq!(core.state(), step.new_state, "step {i}: {}", step.desc);
        all.extend(actions);
    }
    all
}

fn wal_of(actions: &[Action]) -> Vec<WalEntry> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Persist(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

/// The happy path of a non-proposer: L11-L20, L22-L27, L34, L36-L43, L49-L54.
fn happy_path_steps() -> Vec<TestStep> {
    let v = block("v");
    vec![
        TestStep {
            desc: "L11/L20: start round 0, not the proposer: wait for the proposal",
            input: Input::Start,
            expected_actions: vec![E::PersistState, E::Schedule(Step::Propose, 0)],
            new_state: state(0, Step::Propose, None, None),
        },
        TestStep {
            desc: "L22: a proposal from the proposer is validated first",
            input: proposal(1, 0, v, None),
            expected_actions: vec![E::Validate(v)],
            new_state: state(0, Step::Propose, None, None),
        },
        TestStep {
            desc: "L23-L24, L27: valid and not locked: prevote v",
            input: valid(0, v, true),
            expected_actions: vec![E::PersistSigned, E::Prevote(0, Some(v))],
            new_state: state(0, Step::Prevote, None, None),
        },
        TestStep {
            desc: "two prevotes (ours and v1's) are not a quorum",
            input: prevote(1, 0, Some(v)),
            expected_actions: vec![],
            new_state: state(0, Step::Prevote, None, None),
        },
        TestStep {
            desc: "L34 then L36-L42: quorum of prevotes for v: timeout, lock, precommit v, valid v",
            input: prevote(2, 0, Some(v)),
            expected_actions: vec![
                E::Schedule(Step::Prevote, 0),
                E::PersistJustification,
                E::PersistState,
                E::PersistSigned,
                E::Precommit(0, Some(v)),
            ],
            new_state: locked(0, Step::Precommit, (0, v)),
        },
        TestStep {
            desc: "two precommits: no decision yet",
            input: precommit(1, 0, Some(v)),
            expected_actions: vec![],
            new_state: locked(0, Step::Precommit, (0, v)),
        },
        TestStep {
            desc: "L49-L51: quorum of precommits for v: decide",
            input: precommit(2, 0, Some(v)),
            expected_actions: vec![E::Commit(v)],
            new_state: decided(locked(0, Step::Precommit, (0, v)), v),
        },
    ]
}

#[test]
fn happy_path_non_proposer() {
    let mut c = core(0);
    run(&mut c, happy_path_steps());
    // L52-L54: next height, locks reset, round 0; height 2's proposer is v2.
    let actions = c.handle(Input::StartHeight { height: 2 });
    assert_eq!(summarize(&actions), vec![E::PersistState, E::Schedule(Step::Propose, 0)]);
    let s = c.state();
    assert_eq!((s.height, s.round, s.step, s.locked, s.valid, s.decided), (2, 0, Step::Propose, None, None, None));
}

#[test]
fn the_commit_carries_a_verifiable_certificate() {
    let mut c = core(0);
    let actions = run(&mut c, happy_path_steps());
    let Some(Action::Effect(Effect::Commit { certificate, height: 1, .. })) = actions.last() else { panic!("no commit") };
    certificate.verify(&set(), CHAIN).unwrap();
    assert_eq!(certificate.signatures.len(), 3);
}

#[test]
fn proposer_requests_a_block_then_proposes_and_prevotes_it() {
    let v = block("fresh");
    let mut c = core(1);
    run(
        &mut c,
        vec![
            TestStep {
                desc: "L14, L16-L17: the proposer asks the host for a block (getValue)",
                input: Input::Start,
                expected_actions: vec![E::PersistState, E::RequestProposal(0), E::Schedule(Step::Propose, 0)],
                new_state: state(0, Step::Propose, None, None),
            },
            TestStep {
                desc: "L19 then L22-L24: broadcast the proposal, then prevote it",
                input: Input::ProposalPayload { height: 1, round: 0, block_hash: v },
                expected_actions: vec![E::PersistSigned, E::Propose(0, v, None), E::PersistSigned, E::Prevote(0, Some(v))],
                new_state: state(0, Step::Prevote, None, None),
            },
            TestStep {
                desc: "a payload for a round we are not in is ignored",
                input: Input::ProposalPayload { height: 1, round: 0, block_hash: block("late") },
                expected_actions: vec![],
                new_state: state(0, Step::Prevote, None, None),
            },
        ],
    );
}

#[test]
fn timeouts_lead_to_nil_votes_and_the_next_round() {
    let mut c = core(0);
    run(
        &mut c,
        vec![
            TestStep {
                desc: "start",
                input: Input::Start,
                expected_actions: vec![E::PersistState, E::Schedule(Step::Propose, 0)],
                new_state: state(0, Step::Propose, None, None),
            },
            TestStep {
                desc: "L57-L60: timeout propose: prevote nil",
                input: Input::Tick { now: 100 },
                expected_actions: vec![E::PersistSigned, E::Prevote(0, None)],
                new_state: state(0, Step::Prevote, None, None),
            },
            TestStep {
                desc: "a prevote nil",
                input: prevote(1, 0, None),
                expected_actions: vec![],
                new_state: state(0, Step::Prevote, None, None),
            },
            TestStep {
                desc: "L34 and L44-L46: quorum of nil prevotes: timeout scheduled, precommit nil",
                input: prevote(2, 0, None),
                expected_actions: vec![E::Schedule(Step::Prevote, 0), E::PersistSigned, E::Precommit(0, None)],
                new_state: state(0, Step::Precommit, None, None),
            },
            TestStep {
                desc: "L61: a prevote timeout after precommitting does nothing",
                input: Input::Tick { now: 150 },
                expected_actions: vec![],
                new_state: state(0, Step::Precommit, None, None),
            },
            TestStep {
                desc: "a precommit nil",
                input: precommit(1, 0, None),
                expected_actions: vec![],
                new_state: state(0, Step::Precommit, None, None),
            },
            TestStep {
                desc: "L47-L48: quorum of precommits (nil): schedule the precommit timeout",
                input: precommit(3, 0, None),
                expected_actions: vec![E::Schedule(Step::Precommit, 0)],
                new_state: state(0, Step::Precommit, None, None),
            },
            TestStep {
                desc: "L65-L67: timeout precommit: round 1 (proposer v2), longer propose timeout",
                input: Input::Tick { now: 200 },
                expected_actions: vec![E::PersistState, E::Schedule(Step::Propose, 1)],
                new_state: state(1, Step::Propose, None, None),
            },
        ],
    );
}

#[test]
fn timeouts_grow_per_round() {
    let mut c = core(0);
    let mut at = Vec::new();
    let mut now = 0;
    for input in [Input::Start, prevote(1, 5, None), prevote(2, 5, None)] {
        for a in c.handle(input) {
            if let Action::Effect(Effect::ScheduleTimeout { at: t, round, step: Step::Propose, .. }) = a {
                at.push((round, t - now));
            }
        }
        now = c.now();
    }
    // Round 0: 100 ms; round 5 (reached by L55): 100 + 5 * 10.
    assert_eq!(at, vec![(0, 100), (5, 150)]);
}

#[test]
fn a_locked_validator_prevotes_nil_for_another_block_and_unlocks_on_a_newer_pol() {
    let (v, w) = (block("v"), block("w"));
    let mut c = core(0);
    // Lock on v in round 0 (L36-L38), without deciding.
    feed(&mut c, locked_in_round_0(v));
    feed(&mut c, [precommit(1, 0, None), precommit(2, 0, None)]);
    assert_eq!(c.state(), locked(0, Step::Precommit, (0, v)));
    run(
        &mut c,
        vec![
            TestStep {
                desc: "L65: the precommit timeout (L47: at 0 + 50 ms) fires: round 1",
                input: Input::Tick { now: 50 },
                expected_actions: vec![E::PersistState, E::Schedule(Step::Propose, 1)],
                new_state: locked(1, Step::Propose, (0, v)),
            },
            TestStep {
                desc: "L22: proposal of w without a proof of lock",
                input: proposal(1, 1, w, None),
                expected_actions: vec![E::Validate(w)],
                new_state: locked(1, Step::Propose, (0, v)),
            },
            TestStep {
                desc: "L25-L26: locked on v, so prevote nil for w even though w is valid",
                input: valid(1, w, true),
                expected_actions: vec![E::PersistSigned, E::Prevote(1, None)],
                new_state: locked(1, Step::Prevote, (0, v)),
            },
            // The others prevote w in round 1 (we missed the proposal's quorum: we precommit nil).
            TestStep {
                desc: "prevote w from v1",
                input: prevote(1, 1, Some(w)),
                expected_actions: vec![],
                new_state: locked(1, Step::Prevote, (0, v)),
            },
            TestStep {
                desc: "prevote w from v2",
                input: prevote(2, 1, Some(w)),
                expected_actions: vec![E::Schedule(Step::Prevote, 1)],
                new_state: locked(1, Step::Prevote, (0, v)),
            },
            TestStep {
                desc: "L36: quorum for w in round 1 (v3 too): relock on w, precommit w, valid w",
                input: prevote(3, 1, Some(w)),
                expected_actions: vec![E::PersistJustification, E::PersistState, E::PersistSigned, E::Precommit(1, Some(w))],
                new_state: locked(1, Step::Precommit, (1, w)),
            },
        ],
    );
}

#[test]
fn l28_a_proof_of_lock_newer_than_our_lock_wins() {
    let (v, w) = (block("v"), block("w"));
    let mut c = core(0);
    // Lock on v in round 0.
    feed(&mut c, locked_in_round_0(v));
    assert_eq!(c.state().locked, Some(RoundValue { round: 0, value: v }));
    // Round 1's prevotes for w reach us late; f+1 messages of round 2 move us there (L55).
    run(
        &mut c,
        vec![
            TestStep {
                desc: "prevote w round 1 from v1",
                input: prevote(1, 1, Some(w)),
                expected_actions: vec![],
                new_state: locked(0, Step::Precommit, (0, v)),
            },
            TestStep {
                desc: "L55: f+1 (v1, v2) in round 1: skip to round 1",
                input: prevote(2, 1, Some(w)),
                expected_actions: vec![E::PersistState, E::Schedule(Step::Propose, 1)],
                new_state: locked(1, Step::Propose, (0, v)),
            },
            TestStep {
                desc: "prevote w round 1 from v3: a quorum for w in round 1 (no proposal seen: no lock)",
                input: prevote(3, 1, Some(w)),
                expected_actions: vec![],
                new_state: locked(1, Step::Propose, (0, v)),
            },
            TestStep {
                desc: "L55: f+1 in round 2: skip to round 2 (proposer v3)",
                input: precommit(1, 2, None),
                expected_actions: vec![],
                new_state: locked(1, Step::Propose, (0, v)),
            },
            TestStep {
                desc: "L55: second sender of round 2",
                input: precommit(2, 2, None),
                expected_actions: vec![E::PersistState, E::Schedule(Step::Propose, 2)],
                new_state: locked(2, Step::Propose, (0, v)),
            },
            TestStep {
                desc: "L28: proposal w with vr = 1 (proof of lock in round 1)",
                input: proposal(1, 2, w, Some(1)),
                expected_actions: vec![E::Validate(w)],
                new_state: locked(2, Step::Propose, (0, v)),
            },
            TestStep {
                desc: "L29-L30: lockedRound 0 <= vr 1: prevote w",
                input: valid(2, w, true),
                expected_actions: vec![E::PersistSigned, E::Prevote(2, Some(w))],
                new_state: locked(2, Step::Prevote, (0, v)),
            },
        ],
    );
}

#[test]
fn l28_an_older_proof_of_lock_does_not_unlock() {
    let (v, w) = (block("v"), block("w"));
    let mut c = core(0);
    // Prevotes for w in round 0 (no proposal seen), then lock on v in round 1.
    let actions = feed(
        &mut c,
        [
            Input::Start,
            prevote(1, 0, Some(w)),
            prevote(2, 0, Some(w)),
            prevote(3, 0, Some(w)),
            precommit(1, 1, None),
            precommit(2, 1, None), // L55 to round 1, proposer v2
            proposal(1, 1, v, None),
            valid(1, v, true),
            prevote(1, 1, Some(v)),
            prevote(3, 1, Some(v)),
        ],
    );
    assert_eq!(c.state().locked, Some(RoundValue { round: 1, value: v }));
    // L47: our precommit for v and the two nil ones are a quorum of precommits in round 1: the
    // precommit timeout is scheduled; when it fires, round 2 (L65).
    let at = actions
        .iter()
        .find_map(|a| match a {
            Action::Effect(Effect::ScheduleTimeout { round: 1, step: Step::Precommit, at, .. }) => Some(*at),
            _ => None,
        })
        .expect("L47 scheduled the precommit timeout of round 1");
    c.handle(Input::Tick { now: at });
    assert_eq!(c.state().round, 2);
    let actions = c.handle(proposal(1, 2, w, Some(0)));
    assert_eq!(summarize(&actions), vec![E::Validate(w)]);
    let actions = c.handle(valid(2, w, true));
    // L31: locked in round 1 > vr 0 on another block: prevote nil.
    assert_eq!(summarize(&actions), vec![E::PersistSigned, E::Prevote(2, None)]);
}

#[test]
fn an_invalid_block_gets_a_nil_prevote() {
    let v = block("bad");
    let mut c = core(0);
    feed(&mut c, [Input::Start, proposal(1, 0, v, None)]);
    // L25: valid(v) is false.
    assert_eq!(summarize(&c.handle(valid(0, v, false))), vec![E::PersistSigned, E::Prevote(0, None)]);
    // L36 needs valid(v): a quorum of prevotes for the invalid block does not make us precommit it.
    c.handle(prevote(1, 0, Some(v)));
    let actions = c.handle(prevote(2, 0, Some(v)));
    assert_eq!(summarize(&actions), vec![E::Schedule(Step::Prevote, 0)]);
    assert_eq!(c.state().locked, None);
}

#[test]
fn proposals_from_the_wrong_proposer_and_bad_signatures_are_dropped() {
    let v = block("v");
    let mut c = core(0);
    c.handle(Input::Start);
    // Round 0's proposer is v1; v2 signs a proposal claiming to be v1... and one as itself.
    let forged = SignedProposal {
        proposal: Proposal { height: 1, round: 0, block_hash: v, valid_round: None, proposer: ValidatorIndex(1) },
        signature: keys()[2].sign(loanchain_types::Domain::Proposal, b"whatever"),
    };
    assert!(c.handle(Input::Proposal { proposal: forged, timely: true }).is_empty());
    assert!(c.handle(proposal_by(2, 1, 0, v, None)).is_empty());
    let mut bad_vote = vote(1, VoteKind::Prevote, 0, Some(v));
    bad_vote.signature.0[0] ^= 1;
    c.handle(Input::Vote(bad_vote));
    assert!(c.messages().is_empty(), "nothing was accepted");
}

#[test]
fn equivocation_is_reported_once() {
    let (v, w) = (block("v"), block("w"));
    let mut c = core(0);
    c.handle(Input::Start);
    assert!(c.handle(prevote(2, 0, Some(v))).is_empty());
    let actions = c.handle(prevote(2, 0, Some(w)));
    assert_eq!(summarize(&actions), vec![E::Evidence]);
    let Some(Action::Effect(Effect::ReportEvidence(evidence))) = actions.first() else { unreachable!() };
    evidence.verify(&set(), CHAIN).unwrap();
    assert!(c.handle(prevote(2, 0, None)).is_empty(), "one report per validator, round and step");
    // Two proposals from round 0's proposer.
    c.handle(proposal(1, 0, v, None));
    let actions = c.handle(proposal(1, 0, w, None));
    assert_eq!(summarize(&actions), vec![E::Validate(w), E::Evidence]);
    let Some(Action::Effect(Effect::ReportEvidence(evidence))) = actions.last() else { unreachable!() };
    evidence.verify(&set(), CHAIN).unwrap();
}

#[test]
fn equivocation_is_reported_again_at_the_next_height() {
    // What was reported is remembered per height: a new height's equivocation is new evidence.
    let (v, w) = (block("v"), block("w"));
    let mut c = core(0);
    c.handle(Input::Start);
    c.handle(prevote(2, 0, Some(v)));
    assert_eq!(summarize(&c.handle(prevote(2, 0, Some(w)))), vec![E::Evidence]);
    c.handle(Input::Certificate(CommitCertificate::from_precommits(1, 0, v, &precommits_of_others(0, v))));
    c.handle(Input::StartHeight { height: 2 });
    let at_height_2 = |value| Input::Vote(vote_at(2, 2, VoteKind::Prevote, 0, Some(value)));
    assert!(c.handle(at_height_2(v)).is_empty());
    assert_eq!(summarize(&c.handle(at_height_2(w))), vec![E::Evidence]);
}

#[test]
fn a_sync_certificate_decides_the_height() {
    let v = block("v");
    let mut c = core(0);
    c.handle(Input::Start);
    let votes = precommits_of_others(3, v);
    let short = CommitCertificate::from_precommits(1, 3, v, &votes[..2]);
    assert!(c.handle(Input::Certificate(short)).is_empty(), "2 of 4 is not a quorum");
    let mut forged = CommitCertificate::from_precommits(1, 3, v, &votes);
    forged.signatures[0].signature.0[5] ^= 1;
    assert!(c.handle(Input::Certificate(forged)).is_empty(), "signatures are checked");
    let cert = CommitCertificate::from_precommits(1, 3, v, &votes);
    assert_eq!(summarize(&c.handle(Input::Certificate(cert))), vec![E::Commit(v)]);
}

#[test]
fn messages_of_the_next_height_wait_for_it() {
    let v = block("v");
    let mut c = core(0);
    run(&mut c, happy_path_steps());
    // Height 2, round 0: proposer v2.
    assert!(c.handle(proposal(2, 0, v, None)).is_empty());
    let actions = c.handle(Input::StartHeight { height: 2 });
    assert_eq!(summarize(&actions), vec![E::PersistState, E::Schedule(Step::Propose, 0), E::Validate(v)]);
}

#[test]
fn an_observer_follows_without_signing() {
    let v = block("v");
    let mut c = Core::new(config(), set(), None, 1).unwrap();
    let mut all = feed(&mut c, prevoted(v));
    all.extend(feed(&mut c, (1..4).map(|i| prevote(i, 0, Some(v)))));
    all.extend(feed(&mut c, (1..4).map(|i| precommit(i, 0, Some(v)))));
    assert!(all.iter().all(|a| !matches!(a, Action::Effect(Effect::Send(_)) | Action::Persist(_))));
    assert!(matches!(all.last(), Some(Action::Effect(Effect::Commit { block_hash, .. })) if *block_hash == v));
}

#[test]
fn recovery_resends_what_was_signed_and_never_signs_differently() {
    let v = block("v");
    let mut c = core(0);
    let actions = feed(&mut c, prevoted(v));
    // Crash right after persisting the prevote for v (it may or may not have left).
    let mut r = recover(0, 1, &wal_of(&actions)).unwrap();
    assert_eq!(r.state(), state(0, Step::Prevote, None, None), "the signed prevote moves the step");
    let resumed = r.handle(Input::Start);
    assert_eq!(
        summarize(&resumed),
        vec![E::PersistSigned, E::Prevote(0, Some(v)), E::Schedule(Step::Prevote, 0)],
        "the same prevote again, and a timeout to keep going"
    );
    // The old life's propose timeout (100 ms) died with it: at that time only the resumed prevote
    // timeout fires (L61: precommit nil); no nil prevote in round 0.
    assert_eq!(summarize(&r.handle(Input::Tick { now: 100 })), vec![E::PersistSigned, E::Precommit(0, None)]);
    // Our own old prevote echoed back by a peer is accepted as ours.
    assert!(r.handle(prevote(0, 0, Some(v))).is_empty());
    // A forged "own" vote that we never signed is dropped: the recovered node still counts one
    // prevote from itself.
    assert!(r.handle(prevote(0, 0, None)).is_empty());
    let sent: Vec<E> = summarize(&resumed).into_iter().filter(|e| matches!(e, E::Prevote(..))).collect();
    assert_eq!(sent, vec![E::Prevote(0, Some(v))]);
}

#[test]
fn recovery_keeps_the_lock() {
    let v = block("v");
    let mut c = core(0);
    let mut actions = feed(&mut c, locked_in_round_0(v));
    actions.extend(feed(
        &mut c,
        [
            precommit(1, 0, None),
            precommit(2, 0, None),
            Input::Tick { now: 50 }, // L47's precommit timeout fires (L65): round 1
        ],
    ));
    let mut r = recover(0, 1, &wal_of(&actions)).unwrap();
    assert_eq!(r.state(), locked(1, Step::Propose, (0, v)));
    r.handle(Input::Start);
    // Round 1's proposer offers another block without proof of lock: the recovered lock says nil.
    r.handle(proposal(1, 1, block("w"), None));
    let a = r.handle(valid(1, block("w"), true));
    assert_eq!(summarize(&a), vec![E::PersistSigned, E::Prevote(1, None)]);
}

#[test]
fn recovery_refuses_a_wal_from_the_future_or_another_validator() {
    let mut c = core(0);
    let wal = wal_of(&c.handle(Input::Start));
    assert!(recover(0, 0, &wal).is_err());
    let mut c1 = core(1);
    let wal1: Vec<WalEntry> = wal_of(&c1.handle(Input::Start));
    let mut c1_actions = c1.handle(Input::ProposalPayload { height: 1, round: 0, block_hash: block("x") });
    c1_actions.retain(|a| matches!(a, Action::Persist(_)));
    let mut foreign = wal1;
    foreign.extend(wal_of(&c1_actions));
    assert!(recover(0, 1, &foreign).is_err());
}

#[test]
fn a_recovered_proposer_re_proposes_the_same_block() {
    let v = block("v");
    let mut c = core(1);
    let mut actions = c.handle(Input::Start);
    actions.extend(c.handle(Input::ProposalPayload { height: 1, round: 0, block_hash: v }));
    // Keep only the proposal's record (crash before the prevote was persisted).
    let mut wal = wal_of(&actions);
    wal.truncate(2);
    let mut r = recover(1, 1, &wal).unwrap();
    let resumed = r.handle(Input::Start);
    let proposals: Vec<E> = summarize(&resumed).into_iter().filter(|e| matches!(e, E::Propose(..))).collect();
    assert_eq!(proposals, vec![E::Propose(0, v, None)]);
    assert!(!summarize(&resumed).contains(&E::RequestProposal(0)), "no new block for a round already proposed in");
}

#[test]
fn an_equivocators_second_vote_still_counts_toward_its_value() {
    // v1 sends us a prevote for w first, and (to others) one for v. Others may see a quorum for v
    // with v1's v-prevote; we must be able to see it too once we get that vote, or a validator
    // locked elsewhere could never be convinced (liveness). Safety is unaffected: two quorums for
    // different values still share a correct validator.
    let (v, w) = (block("v"), block("w"));
    let mut c = core(0);
    feed(&mut c, prevoted(v));
    assert!(c.handle(prevote(1, 0, Some(w))).is_empty());
    assert_eq!(summarize(&c.handle(prevote(1, 0, Some(v)))), vec![E::Evidence]);
    // Ours + v1's (second) + v2's = 3 for v: L36 locks. The any-value total counts v1 once.
    let actions = c.handle(prevote(2, 0, Some(v)));
    assert_eq!(
        summarize(&actions),
        vec![E::Schedule(Step::Prevote, 0), E::PersistJustification, E::PersistState, E::PersistSigned, E::Precommit(0, Some(v))]
    );
    assert_eq!(c.state().locked, Some(RoundValue { round: 0, value: v }));
}

#[test]
fn a_restarted_validator_can_still_justify_its_lock() {
    // The quorum of prevotes behind a lock is persisted with it: after a restart the validator
    // still holds it and can hand it to peers (catch-up gossip), who need it to follow a
    // re-proposal of the locked block (L28). Without it a height can stall forever.
    let v = block("v");
    let mut c = core(0);
    let actions = feed(&mut c, locked_in_round_0(v));
    let r = recover(0, 1, &wal_of(&actions)).unwrap();
    let prevotes_for_v = r
        .messages()
        .into_iter()
        .filter(|m| matches!(m, ConsensusMessage::Vote(x) if x.vote.kind == VoteKind::Prevote && x.vote.block_hash == Some(v)))
        .count();
    assert_eq!(prevotes_for_v, 3, "ours and the two that made the quorum");
}

/// Issue 16, weakness 6: the round number saturates instead of overflowing. f+1 validators at
/// the last round make a node skip to it (Tendermint L55); a quorum of nil precommits there and
/// the precommit timeout would start round `u32::MAX + 1`.
#[test]
fn the_last_round_saturates_instead_of_overflowing() {
    let mut c = core(0);
    feed(&mut c, [Input::Start]);
    let last = Round::MAX;
    feed(&mut c, [prevote(1, last, None), prevote(2, last, None)]);
    assert_eq!(c.round(), last, "f+1 at a higher round: skip to it");
    let actions = feed(&mut c, [precommit(1, last, None), precommit(2, last, None), precommit(3, last, None)]);
    let at = actions
        .iter()
        .find_map(|a| match a {
            Action::Effect(Effect::ScheduleTimeout { step: Step::Precommit, at, .. }) => Some(*at),
            _ => None,
        })
        .expect("a quorum of precommits schedules the precommit timeout");
    feed(&mut c, [Input::Tick { now: at }]);
    assert_eq!(c.round(), last, "there is no round after the last one");
}

/// Issue 16, weakness 6: timeouts grow per round up to a cap, so a network that stalled for
/// thousands of rounds resumes within the cap once it heals (not after an hour).
#[test]
fn timeouts_grow_per_round_up_to_the_cap() {
    let t = Timeouts::default();
    assert!(t.duration(Step::Propose, 1) > t.duration(Step::Propose, 0), "they grow");
    for step in [Step::Propose, Step::Prevote, Step::Precommit] {
        assert_eq!(t.duration(step, Round::MAX), loanchain_consensus::MAX_TIMEOUT_MS, "{step:?}");
        assert!(t.duration(step, 1_000) <= loanchain_consensus::MAX_TIMEOUT_MS);
    }
    // A base above the cap is kept as it is: the cap bounds growth, it does not shorten a base.
    let slow = Timeouts { propose_ms: 2 * loanchain_consensus::MAX_TIMEOUT_MS, ..Timeouts::default() };
    assert_eq!(slow.duration(Step::Propose, 7), 2 * loanchain_consensus::MAX_TIMEOUT_MS);
}
