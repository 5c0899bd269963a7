//! The one driver: persist, fsync barrier, then everything else (STYLE habit 2, raft-rs `Ready`).
//!
//! Both the node binary and the simulator call [`drive`]; neither executes actions itself, so the
//! double-sign discipline lives in one place: no signed message leaves before the WAL record of it
//! is durable.

use loanchain_types::{CommitCertificate, ConsensusMessage, Evidence, Hash, Height, Round};

use crate::action::{Action, Step, WalEntry};
use crate::core::Core;
use crate::input::Input;

/// What a host (the node's runtime, or the simulator) provides to the core.
pub trait Host {
    /// A failure to persist. The driver stops at it: nothing of the batch is sent.
    type Error;

    /// Appends `entries` to the consensus WAL and makes them durable (fsync) before returning:
    /// the barrier between persisting and sending.
    fn persist(&mut self, entries: &[WalEntry]) -> Result<(), Self::Error>;
    /// Broadcasts a signed message to every validator.
    fn send(&mut self, message: ConsensusMessage);
    /// Arranges `Input::Tick { now }` at host time `at` or later.
    fn schedule_timeout(&mut self, height: Height, round: Round, step: Step, at: u64);
    /// Builds a block for (height, round); answers later with `Input::ProposalPayload`.
    fn request_proposal(&mut self, height: Height, round: Round);
    /// Checks a proposed block; answers later with `Input::BlockValidated`.
    fn validate_block(&mut self, height: Height, round: Round, block_hash: Hash);
    /// Stores and executes a final block; then feeds `Input::StartHeight { height: height + 1 }`.
    fn commit(&mut self, height: Height, block_hash: Hash, certificate: CommitCertificate);
    /// Receives proof that a validator equivocated (see [`Action::ReportEvidence`]). What to do
    /// with it is the host's choice: the node logs a warning, the simulator counts it; neither
    /// stores nor gossips it.
    fn report_evidence(&mut self, evidence: Evidence);
}

/// Feeds `input` to `core` and executes the resulting actions on `host`: first every `Persist`
/// (one durable write), then the rest in the order the core emitted them. Returns the persist
/// error, if any, having sent nothing.
pub fn drive<H: Host>(core: &mut Core, input: Input, host: &mut H) -> Result<(), H::Error> {
    let actions = core.handle(input);
    debug_assert!(crate::action::check_persist_before_send(&actions).is_ok());
    let entries: Vec<WalEntry> = actions
        .iter()
        .filter_map(|a| match a {
            Action::Persist(e) => Some(e.clone()),
            _ => None,
        })
        .collect();
    if !entries.is_empty() {
        host.persist(&entries)?;
    }
    for action in actions {
        match action {
            Action::Persist(_) => {}
            Action::Send(m) => host.send(m),
            Action::ScheduleTimeout { height, round, step, at } => host.schedule_timeout(height, round, step, at),
            Action::RequestProposal { height, round } => host.request_proposal(height, round),
            Action::ValidateBlock { height, round, block_hash } => host.validate_block(height, round, block_hash),
            Action::Commit { height, block_hash, certificate } => host.commit(height, block_hash, certificate),
            Action::ReportEvidence(e) => host.report_evidence(e),
        }
    }
    Ok(())
}
