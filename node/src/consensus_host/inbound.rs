//! Consensus traffic from the network, checked before the core or any buffer holds it (issue 16,
//! weakness 4).
//!
//! On the chain task each message only passes cheap checks: a height the node is deciding or the
//! next one, a signer in the set, the proposer of its round for a proposal, a header whose hash is
//! the one proposed, and not seen before (by the hash of its bytes). What passes is verified off
//! the chain task, in one batch per gossip message ([`loanchain_types::verify_messages`], which
//! finds bad signatures by bisection), by at most [`MAX_JOBS`] jobs at once: when all are busy the
//! message is dropped and counted (a stalled height is re-sent every 1.5 s, so an honest message
//! lost this way comes again). Only verified messages come back, as [`Checked`].
//!
//! A height announcement is believed only with the certificate of the height it claims, verified
//! the same way; one per peer is in flight at a time.

use std::collections::HashSet;
use std::sync::Arc;

use loanchain_network::PeerId;
use loanchain_types::{CommitCertificate, ConsensusMessage, Hash, Height, SignedProposal, ValidatorSet, verify_messages};
use prometheus_client::metrics::counter::Counter;
use tokio::sync::{Semaphore, mpsc};

use super::blocks::Compact;

/// Verification jobs in flight at once.
pub(super) const MAX_JOBS: usize = 4;
/// Message hashes remembered for the heights being decided; past this, nothing more is taken
/// until the next commit clears them (an honest height has a few dozen messages per round).
pub(super) const MAX_SEEN: usize = 100_000;

/// What came back verified.
#[allow(clippy::large_enum_variant)]
pub(super) enum Checked {
    /// Proposals and votes whose signatures verified, in the order they arrived.
    Messages(Vec<ConsensusMessage>),
    /// A compact proposal whose signature verified.
    Proposal(SignedProposal, Compact),
    /// `peer`'s announcement of a height: `Some` if its certificate proved it.
    Status(PeerId, Option<Height>),
}

/// The filter and its verification jobs.
pub(super) struct Inbound {
    validators: Arc<ValidatorSet>,
    chain_id: Arc<str>,
    seen: HashSet<Hash>,
    /// The committed height `seen` was filled after.
    seen_after: Height,
    jobs: Arc<Semaphore>,
    status_in_flight: HashSet<PeerId>,
    done: mpsc::Sender<Checked>,
    /// Messages dropped: repeated, out of the height window, unknown signer, or no job free.
    dropped: Counter,
}

impl Inbound {
    pub(super) fn new(validators: ValidatorSet, chain_id: &str, done: mpsc::Sender<Checked>, dropped: Counter) -> Inbound {
        Inbound {
            validators: Arc::new(validators),
            chain_id: chain_id.into(),
            seen: HashSet::new(),
            seen_after: 0,
            jobs: Arc::new(Semaphore::new(MAX_JOBS)),
            status_in_flight: HashSet::new(),
            done,
            dropped,
        }
    }

    /// Whether `m` is for a height worth verifying (`last + 1` or `last + 2`) from a known signer,
    /// and new. Remembers it.
    fn fresh(&mut self, m: &ConsensusMessage, last: Height) -> bool {
        if self.seen_after != last {
            self.seen.clear();
            self.seen_after = last;
        }
        let height_ok = m.height() > last && m.height() <= last + 2;
        if !height_ok || self.validators.get(m.signer()).is_err() || self.seen.len() >= MAX_SEEN {
            return false;
        }
        self.seen.insert(Hash::digest(&m.to_bytes()))
    }

    /// Takes the messages of one gossip message (a vote, or a re-sent height).
    pub(super) fn messages(&mut self, messages: Vec<ConsensusMessage>, last: Height) {
        let total = messages.len();
        let fresh: Vec<ConsensusMessage> = messages.into_iter().filter(|m| self.fresh(m, last)).collect();
        self.drop((total - fresh.len()) as u64);
        if fresh.is_empty() {
            return;
        }
        let (validators, chain_id) = (self.validators.clone(), self.chain_id.clone());
        self.spawn(fresh.len(), move || {
            let verdicts = verify_messages(&fresh, &validators, &chain_id);
            let good: Vec<ConsensusMessage> = fresh.into_iter().zip(verdicts).filter(|(_, ok)| *ok).map(|(m, _)| m).collect();
            (!good.is_empty()).then_some(Checked::Messages(good))
        });
    }

    /// Takes a compact proposal whose proposer is the proposer of its round.
    pub(super) fn proposal(&mut self, proposal: SignedProposal, compact: Compact, last: Height) {
        let m = ConsensusMessage::Proposal(proposal);
        if compact.header.hash() != m_block_hash(&m) || compact.header.height != m.height() || !self.fresh(&m, last) {
            self.drop(1);
            return;
        }
        let ConsensusMessage::Proposal(proposal) = m else { unreachable!("built above") };
        let (validators, chain_id) = (self.validators.clone(), self.chain_id.clone());
        self.spawn(1, move || proposal.verify(&validators, &chain_id).is_ok().then_some(Checked::Proposal(proposal, compact)));
    }

    /// Takes `peer`'s claim to have committed `height`, with the certificate that proves it.
    pub(super) fn status(&mut self, peer: PeerId, height: Height, certificate: Option<CommitCertificate>) {
        let Some(cert) = certificate.filter(|c| c.height == height && height > 0) else {
            self.drop(1);
            return;
        };
        if !self.status_in_flight.insert(peer) {
            self.drop(1);
            return;
        }
        let (validators, chain_id) = (self.validators.clone(), self.chain_id.clone());
        if !self.spawn(1, move || Some(Checked::Status(peer, cert.verify(&validators, &chain_id).is_ok().then_some(height)))) {
            self.status_in_flight.remove(&peer);
        }
    }

    /// Counts `n` messages dropped.
    pub(super) fn drop(&self, n: u64) {
        if n > 0 {
            self.dropped.inc_by(n);
        }
    }

    /// A status check of `peer` came back (verified or not).
    pub(super) fn status_done(&mut self, peer: &PeerId) {
        self.status_in_flight.remove(peer);
    }

    /// Runs `job` on a blocking thread if one of the [`MAX_JOBS`] is free; false if not.
    fn spawn(&mut self, count: usize, job: impl FnOnce() -> Option<Checked> + Send + 'static) -> bool {
        let Ok(permit) = self.jobs.clone().try_acquire_owned() else {
            self.drop(count as u64);
            return false;
        };
        let done = self.done.clone();
        tokio::spawn(async move {
            let checked = tokio::task::spawn_blocking(job).await.ok().flatten();
            drop(permit);
            if let Some(checked) = checked {
                let _ = done.send(checked).await;
            }
        });
        true
    }
}

fn m_block_hash(m: &ConsensusMessage) -> Hash {
    match m {
        ConsensusMessage::Proposal(p) => p.proposal.block_hash,
        ConsensusMessage::Vote(v) => v.vote.block_hash.unwrap_or(Hash::ZERO),
    }
}
