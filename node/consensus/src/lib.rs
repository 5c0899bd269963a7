//! loanchain-consensus: the pure Tendermint consensus core of loanchain (DESIGN §8).
//!
//! # Protocol
//!
//! Tendermint as in Buchman, Kwon and Milosevic, "The latest gossip on BFT consensus" (2018),
//! Algorithm 1. Validators with voting power decide one block per height. A height runs in
//! rounds; each round has a proposer (rotation weighted by voting power, [`ProposerSchedule`]) and
//! three steps:
//!
//! 1. **propose**: the proposer broadcasts a block (by hash; the body travels beside it); everyone
//!    else waits `timeout_propose(r)`.
//! 2. **prevote**: a validator prevotes the proposal if the block is valid, the proposal was timely
//!    when it arrived (its block time close to the receiver's clock, [`is_timely`]: proposer-based
//!    timestamps, DESIGN §8) and it is not locked on another block (L22); or if the proposal carries
//!    a proof-of-lock round `vr` no older than its lock and the block is valid (L28, where
//!    timeliness is not asked: a quorum prevoted it in `vr`); otherwise nil.
//! 3. **precommit**: on a quorum (> 2/3 of the power) of prevotes for the proposal, a validator
//!    *locks* on it and precommits it; on a quorum of nil prevotes, or at `timeout_prevote(r)`, it
//!    precommits nil.
//!
//! A quorum of precommits for a block in any round decides it: the precommits form its
//! [`loanchain_types::CommitCertificate`]. A quorum of mixed precommits starts
//! `timeout_precommit(r)`, after which the next round begins; f+1 power of messages from a higher
//! round makes a lagging validator jump to it (L55). Timeouts grow linearly with the round (up to
//! [`MAX_TIMEOUT_MS`]), so after the network stabilises a round eventually lasts long enough to
//! decide. Messages more than [`MAX_ROUNDS_AHEAD`] rounds above the current one are not logged;
//! the highest one of each validator is kept, so f+1 power far ahead still makes a lagging
//! validator jump (to the highest round R such that f+1 power sent messages of rounds ≥ R).
//!
//! **Safety** (no two different blocks decided at a height, whatever the network does, with
//! Byzantine power < 1/3): two quorums intersect in a correct validator; a correct validator
//! locked on v in round r prevotes only v in later rounds unless shown a quorum of prevotes for
//! another block in a round after r, which cannot exist once v was decided in r. **Liveness** after
//! the network stabilises: `validValue`/`validRound` let a proposer re-propose the block some
//! validators may be locked on, with the proof-of-lock round, so the locked validators accept it.
//!
//! # Shape
//!
//! [`Core::handle`] maps an [`Input`] to a list of [`Action`]s: no async, sockets, disk, clock or
//! randomness (STYLE habit 1). Blocks are digests here; the host builds and validates them.
//! [`Core::step`] returns them as a [`Ready`], whose effects are handed out only after its WAL
//! entries are durable (STYLE habit 2). A validator persists the [`WalEntry::Signed`] record of every message before
//! it can leave, and [`Core::recover`] rebuilds a validator from its WAL, so a restart can never
//! make it sign two different messages for one (height, round, step). Conflicting messages of
//! another validator become [`loanchain_types::Evidence`], reported once to the host
//! ([`Effect::ReportEvidence`]).
//!
//! State that is iterated lives in `BTreeMap`s; the output depends only on the inputs.
//! The `broken-quorum` feature lowers the quorum to 2f, on purpose, only so the simulator can show
//! that its agreement checker catches the resulting forks.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod action;
mod config;
mod core;
mod error;
mod input;
mod log;
mod proposer;
mod ready;
mod timely;

pub use action::{Action, Effect, Message, RoundValue, SafetyRecord, Step, WalEntry, check_persist_before_send};
pub use config::{Config, MAX_TIMEOUT_MS, Timeouts};
pub use core::{Core, RoundState};
pub use error::Error;
pub use input::Input;
pub use log::MAX_ROUNDS_AHEAD;
pub use proposer::ProposerSchedule;
pub use ready::Ready;
pub use timely::{MAX_MESSAGE_DELAY_MS, is_timely, message_delay_in_round};

/// Whether this build has the deliberately broken quorum (the `broken-quorum` test feature).
pub const BROKEN_QUORUM: bool = cfg!(feature = "broken-quorum");
