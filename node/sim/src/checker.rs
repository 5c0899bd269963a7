//! The properties every run is checked against: agreement, validity, no double signing by honest
//! validators, valid certificates, and progress after the heal.

use std::collections::BTreeMap;

use loanchain_consensus::Step;
use loanchain_types::{CommitCertificate, ConsensusMessage, Hash, Height, Round, ValidatorIndex, ValidatorSet};

use crate::sim::pbts::backdating_bound;

/// A block the simulated application built.
#[derive(Clone, Debug)]
pub struct BlockInfo {
    /// Its height.
    pub height: Height,
    /// The parent it names.
    pub parent: Hash,
    /// Whether the application accepts its digest.
    pub digest_ok: bool,
    /// The round it was built for.
    pub round: Round,
    /// The time in its header (ms).
    pub time_ms: u64,
    /// The virtual time at which it was built (ms): every clock is the virtual clock, so an
    /// honest proposer's header time is this.
    pub built_at: u64,
}

/// What went wrong in a run, counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Violations {
    /// Two different blocks final at one height.
    pub agreement: u64,
    /// A final block that no one proposed, that the application rejects, with the wrong parent, or
    /// stamped further in the past than its round's timeliness bound allows (`pbts::backdating_bound`).
    pub validity: u64,
    /// An honest validator signed two different messages for one (height, round, step).
    pub double_sign: u64,
    /// A certificate below quorum, for another block, or with a bad signature.
    pub bad_certificate: u64,
}

impl Violations {
    /// Any safety violation at all.
    pub fn any(&self) -> bool {
        self.agreement + self.validity + self.double_sign + self.bad_certificate > 0
    }
}

/// The checker of one run.
#[derive(Debug)]
pub struct Checker {
    validators: ValidatorSet,
    chain_id: String,
    check_signatures: bool,
    /// The first block decided at each height.
    pub decided: BTreeMap<Height, Hash>,
    signed: BTreeMap<(ValidatorIndex, Height, Round, Step), ConsensusMessage>,
    /// The violations so far.
    pub violations: Violations,
    /// A description of the first violation.
    pub first: Option<String>,
    /// A description of the first agreement violation.
    pub first_agreement: Option<String>,
}

impl Checker {
    /// A checker for `validators`.
    pub fn new(validators: ValidatorSet, chain_id: String, check_signatures: bool) -> Checker {
        Checker {
            validators,
            chain_id,
            check_signatures,
            decided: BTreeMap::new(),
            signed: BTreeMap::new(),
            violations: Violations::default(),
            first: None,
            first_agreement: None,
        }
    }

    fn note(&mut self, what: String) {
        if self.first.is_none() {
            self.first = Some(what);
        }
    }

    /// An honest validator made a signature durable (it may now leave).
    pub fn on_signed(&mut self, now: u64, m: &ConsensusMessage) {
        let step = match m {
            ConsensusMessage::Proposal(_) => Step::Propose,
            ConsensusMessage::Vote(v) => match v.vote.kind {
                loanchain_types::VoteKind::Prevote => Step::Prevote,
                loanchain_types::VoteKind::Precommit => Step::Precommit,
            },
        };
        let key = (m.signer(), m.height(), m.round(), step);
        match self.signed.get(&key) {
            Some(old) if old != m => {
                self.violations.double_sign += 1;
                self.note(format!("t={now}: honest validator {} signed twice at {:?}", m.signer(), key));
            }
            Some(_) => {}
            None => {
                self.signed.insert(key, m.clone());
            }
        }
    }

    /// An honest validator committed `hash` at `height` with `cert`.
    pub fn on_commit(&mut self, now: u64, node: usize, height: Height, hash: Hash, cert: &CommitCertificate, block: Option<&BlockInfo>) {
        let first_at_height = match self.decided.get(&height) {
            Some(h) if *h != hash => {
                self.violations.agreement += 1;
                let what = format!("t={now}: node {node} committed {hash:?} at height {height}, another node {h:?}");
                self.first_agreement.get_or_insert_with(|| what.clone());
                self.note(what);
                false
            }
            Some(_) => false,
            None => {
                self.decided.insert(height, hash);
                true
            }
        };
        let parent = if height == 1 { Some(Hash::ZERO) } else { self.decided.get(&(height - 1)).copied() };
        match block {
            // DESIGN §8, block time: a correct validator prevotes a new block only if its time is
            // at most the bound behind its clock at receipt, which is after the block was built.
            Some(b) if b.built_at.saturating_sub(b.time_ms) > backdating_bound(b.round) => {
                self.violations.validity += 1;
                let age = b.built_at - b.time_ms;
                self.note(format!("t={now}: node {node} committed {hash:?} at height {height}, stamped {age} ms before it was built"));
            }
            Some(b) if b.digest_ok && b.height == height && Some(b.parent) == parent => {}
            _ => {
                self.violations.validity += 1;
                self.note(format!("t={now}: node {node} committed an invalid or unknown block {hash:?} at height {height}"));
            }
        }
        let structure_ok = cert.height == height
            && cert.block_hash == hash
            && cert.signed_power(&self.validators).is_ok_and(|p| self.validators.is_quorum(p));
        let signatures_ok = !(self.check_signatures && first_at_height) || cert.verify_signatures(&self.validators, &self.chain_id).is_ok();
        if !(structure_ok && signatures_ok) {
            self.violations.bad_certificate += 1;
            self.note(format!("t={now}: node {node} committed height {height} with a bad certificate"));
        }
    }
}
