//! Consensus traffic from the network, checked before the core or any buffer holds it (issue 16,
//! weakness 4).
//!
//! On the chain task each message only passes cheap checks: a height the node is deciding or the
//! next one, a signer in the set, the proposer of its round for a proposal, a header whose hash is
//! the one proposed, and not seen before (by the hash of its bytes). What passes is verified off
//! the chain task (an [`Out::Verify`] job), in one batch per gossip message
//! ([`loanchain_types::verify_messages`], which finds bad signatures by bisection), by at most
//! [`MAX_JOBS`] jobs at once: when all are busy the message waits in the queue of the peer that
//! delivered it ([`MAX_QUEUED_PER_PEER`]), and the peers' queues are served in turn, so a flood
//! from one peer delays only that peer's messages; beyond its queue a message is dropped and
//! counted (a stalled height is re-sent every 1.5 s, so an honest message lost this way comes
//! again). Only verified messages come back, as [`Checked`].
//!
//! A height announcement is believed only with the certificate of the height it claims, verified
//! the same way; one per peer is in flight at a time.
//!
//! A peer that delivered a message whose signature failed is a suspect for
//! [`SUSPECT_FOR_MS`] after its last failure: its traffic is verified at most [`SUSPECT_MESSAGES`]
//! messages per job, one job at a time and one per [`SUSPECT_JOB_EVERY_MS`], and the rest dropped. A flood of forged messages so costs a
//! bounded share of one core, whatever its rate, and never the jobs honest peers' messages need.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::ops::Bound;
use std::sync::Arc;

use loanchain_network::{PeerId, Verdict};
use loanchain_types::{CommitCertificate, ConsensusMessage, Hash, Height, SignedProposal, ValidatorSet, verify_messages};
use prometheus_client::metrics::counter::Counter;

use super::blocks::Compact;
use super::task::{GossipToken as GossipId, Out, VerifyJob};

/// Verification jobs in flight at once.
pub(super) const MAX_JOBS: usize = 4;
/// Gossip messages of one peer waiting for a verification job; beyond, its messages are dropped.
/// Each is at most a gossip message's bound (1 MiB and a little), so a peer holds at most about
/// 16 MiB here, and the number of peers is bounded by genesis.
pub(super) const MAX_QUEUED_PER_PEER: usize = 16;
/// How long a peer stays suspect after its last message with a bad signature, ms.
pub(super) const SUSPECT_FOR_MS: u64 = 30_000;
/// Most messages of a suspect peer verified per job.
pub(super) const SUSPECT_MESSAGES: usize = 16;
/// A suspect peer's jobs start at most this often, ms.
pub(super) const SUSPECT_JOB_EVERY_MS: u64 = 100;
/// Message hashes remembered for the heights being decided; past this, nothing more is taken
/// until the next commit clears them (an honest height has a few dozen messages per round).
pub(super) const MAX_SEEN: usize = 100_000;

/// What a verification job brings back: what verified (if anything), the verdict on the gossip
/// message it came in, and that message's id.
pub struct Verified {
    pub(super) checked: Option<Checked>,
    pub(super) verdict: Verdict,
    pub(super) id: Option<GossipId>,
}

/// What came back verified.
#[allow(clippy::large_enum_variant)]
pub(super) enum Checked {
    /// Proposals and votes whose signatures verified, in the order they arrived, and how many
    /// of the job's messages delivered by `from` did not.
    Messages {
        /// The verified ones.
        good: Vec<ConsensusMessage>,
        /// Who delivered them.
        from: Option<PeerId>,
        /// How many failed.
        forged: usize,
        /// Whether `from` was a suspect when the job started.
        suspect: bool,
    },
    /// A compact proposal whose signature verified.
    Proposal {
        /// The proposal.
        proposal: SignedProposal,
        /// Its block in compact form.
        compact: Compact,
        /// Who delivered it.
        from: Option<PeerId>,
        /// Whether `from` was a suspect when the job started.
        suspect: bool,
    },
    /// `peer`'s announcement of a height: `Some` if its certificate proved it.
    Status(PeerId, Option<Height>),
}

/// What is known of a peer whose messages failed verification.
#[derive(Clone, Copy)]
struct Suspect {
    /// When its last forged message was found, ms.
    last_forged: u64,
    running: bool,
    /// When its last job started, ms.
    last_job: Option<u64>,
}

/// The filter and its verification jobs.
pub(super) struct Inbound {
    validators: Arc<ValidatorSet>,
    chain_id: Arc<str>,
    seen: HashSet<Hash>,
    /// The committed height `seen` was filled after.
    seen_after: Height,
    /// Verification jobs running (at most [`MAX_JOBS`]).
    jobs: usize,
    /// Jobs waiting for one of them, per peer that delivered the message (`None`: unknown).
    queued: BTreeMap<Option<PeerId>, VecDeque<VerifyJob>>,
    /// The peer whose job started last (the turn goes on after it).
    served_last: Option<PeerId>,
    status_in_flight: HashSet<PeerId>,
    /// Peers whose messages failed verification: when last, whether a job of theirs runs, and
    /// when the last one started.
    suspects: BTreeMap<PeerId, Suspect>,
    /// Messages dropped: repeated, out of the height window, unknown signer, or no job free.
    dropped: Counter,
}

impl Inbound {
    pub(super) fn new(validators: ValidatorSet, chain_id: &str, dropped: Counter) -> Inbound {
        Inbound {
            validators: Arc::new(validators),
            chain_id: chain_id.into(),
            seen: HashSet::new(),
            seen_after: 0,
            jobs: 0,
            queued: BTreeMap::new(),
            served_last: None,
            status_in_flight: HashSet::new(),
            suspects: BTreeMap::new(),
            dropped,
        }
    }

    /// Whether `m` is for a height worth verifying (`last + 1` or `last + 2`) from a known signer,
    /// and new: its key in `seen` if so. The key is remembered only once its verification job is
    /// taken ([`Inbound::remember`]): a message dropped for want of room must count as new when
    /// it is re-sent, or a stalled height could never heal.
    fn fresh(&mut self, m: &ConsensusMessage, last: Height) -> Option<Hash> {
        self.fresh_as(m, last, b"")
    }

    /// [`Inbound::fresh`] for one form of `m`: a compact proposal carries its block's header and
    /// transaction list besides the proposal, so the same proposal seen plain first (in a re-send)
    /// must not make it a repeat.
    fn fresh_as(&mut self, m: &ConsensusMessage, last: Height, form: &[u8]) -> Option<Hash> {
        if self.seen_after != last {
            self.seen.clear();
            self.seen_after = last;
        }
        let height_ok = m.height() > last && m.height() <= last + 2;
        if !height_ok || self.validators.get(m.signer()).is_err() || self.seen.len() >= MAX_SEEN {
            return None;
        }
        let key = Hash::digest(&[form, &m.to_bytes()].concat());
        (!self.seen.contains(&key)).then_some(key)
    }

    /// Remembers messages whose verification was taken.
    fn remember(&mut self, keys: impl IntoIterator<Item = Hash>) {
        self.seen.extend(keys);
    }

    /// Whether `from` is a suspect, and if so whether it may have a job now (one at a time);
    /// `None` for a peer in good standing.
    fn suspect_may_run(&mut self, from: Option<PeerId>, now: u64) -> Option<bool> {
        let peer = from?;
        let s = self.suspects.get(&peer).copied()?;
        if now.saturating_sub(s.last_forged) >= SUSPECT_FOR_MS && !s.running {
            self.suspects.remove(&peer);
            return None;
        }
        Some(!s.running && s.last_job.is_none_or(|t| now.saturating_sub(t) >= SUSPECT_JOB_EVERY_MS))
    }

    /// A suspect's job started (queued or running): it has no other until this one ends.
    fn suspect_job_started(&mut self, from: Option<PeerId>, now: u64) {
        if let Some(entry) = from.and_then(|peer| self.suspects.get_mut(&peer)) {
            entry.running = true;
            entry.last_job = Some(now);
        }
    }

    /// A job of `from` found `count` forged messages (with 0: none, and a suspect's job ended).
    pub(super) fn forged(&mut self, from: Option<PeerId>, count: usize, now: u64) {
        let Some(peer) = from else { return };
        let entry = match self.suspects.get_mut(&peer) {
            Some(entry) => entry,
            None if count == 0 => return,
            None => self.suspects.entry(peer).or_insert(Suspect { last_forged: now, running: false, last_job: None }),
        };
        entry.running = false;
        if count > 0 {
            entry.last_forged = now;
        }
    }

    /// Takes the messages of one gossip message (a vote, or a re-sent height) delivered by `from`.
    pub(super) fn messages(
        &mut self,
        messages: Vec<ConsensusMessage>,
        last: Height,
        from: Option<PeerId>,
        id: Option<GossipId>,
        now: u64,
        out: &mut Vec<Out>,
    ) {
        let total = messages.len();
        let limit = match self.suspect_may_run(from, now) {
            None => usize::MAX,
            Some(true) => SUSPECT_MESSAGES,
            Some(false) => 0,
        };
        let mut fresh: Vec<ConsensusMessage> = Vec::new();
        // A re-send may carry thousands of messages: repeats within it found by a set, not a scan.
        let mut keys: HashSet<Hash> = HashSet::new();
        for m in messages {
            if fresh.len() < limit
                && let Some(key) = self.fresh(&m, last)
                && keys.insert(key)
            {
                fresh.push(m);
            }
        }
        self.drop((total - fresh.len()) as u64);
        if fresh.is_empty() {
            verdict(out, id, Verdict::Ignore);
            return;
        }
        let suspect = limit != usize::MAX;
        let (validators, chain_id) = (self.validators.clone(), self.chain_id.clone());
        let count = fresh.len();
        let started = self.spawn(count, from, id, out, move || {
            let verdicts = verify_messages(&fresh, &validators, &chain_id);
            let forged = verdicts.iter().filter(|ok| !**ok).count();
            let good: Vec<ConsensusMessage> = fresh.into_iter().zip(verdicts).filter(|(_, ok)| *ok).map(|(m, _)| m).collect();
            let verdict = if forged > 0 { Verdict::Reject } else { Verdict::Accept };
            (Some(Checked::Messages { good, from, forged, suspect }), verdict)
        });
        if started {
            self.remember(keys);
            if suspect {
                self.suspect_job_started(from, now);
            }
        }
    }

    /// Takes a compact proposal whose proposer is the proposer of its round.
    /// A peer whose proposal's signature fails is a suspect like one whose votes fail: its
    /// proposals are then verified one job at a time, one per [`SUSPECT_JOB_EVERY_MS`], and the
    /// rest dropped, so forged proposals cannot hold the jobs honest messages need.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn proposal(
        &mut self,
        proposal: SignedProposal,
        compact: Compact,
        last: Height,
        from: Option<PeerId>,
        id: Option<GossipId>,
        now: u64,
        out: &mut Vec<Out>,
    ) {
        let p = &proposal.proposal;
        if compact.header.hash() != p.block_hash || compact.header.height != p.height {
            self.drop(1);
            verdict(out, id, Verdict::Reject);
            return;
        }
        let suspect = match self.suspect_may_run(from, now) {
            None => false,
            Some(true) => true,
            Some(false) => {
                self.drop(1);
                verdict(out, id, Verdict::Ignore);
                return;
            }
        };
        let m = ConsensusMessage::Proposal(proposal);
        let Some(key) = self.fresh_as(&m, last, b"compact") else {
            self.drop(1);
            verdict(out, id, Verdict::Ignore);
            return;
        };
        let (validators, chain_id) = (self.validators.clone(), self.chain_id.clone());
        let started = self.spawn(1, from, id, out, move || match (m.verify(&validators, &chain_id), m) {
            (Ok(()), ConsensusMessage::Proposal(proposal)) => {
                (Some(Checked::Proposal { proposal, compact, from, suspect }), Verdict::Accept)
            }
            (Ok(()), ConsensusMessage::Vote(_)) => (None, Verdict::Ignore),
            (Err(_), _) => (Some(Checked::Messages { good: Vec::new(), from, forged: 1, suspect }), Verdict::Reject),
        });
        if started {
            self.remember([key]);
            if suspect {
                self.suspect_job_started(from, now);
            }
        }
    }

    /// Takes `peer`'s claim to have committed `height`, with the certificate that proves it.
    pub(super) fn status(
        &mut self,
        peer: PeerId,
        height: Height,
        certificate: Option<CommitCertificate>,
        id: Option<GossipId>,
        out: &mut Vec<Out>,
    ) {
        let Some(cert) = certificate.filter(|c| c.height == height && height > 0) else {
            self.drop(1);
            verdict(out, id, Verdict::Ignore);
            return;
        };
        if !self.status_in_flight.insert(peer) {
            self.drop(1);
            verdict(out, id, Verdict::Ignore);
            return;
        }
        let (validators, chain_id) = (self.validators.clone(), self.chain_id.clone());
        let started = self.spawn(1, Some(peer), id, out, move || {
            let proved = cert.verify(&validators, &chain_id).is_ok();
            (Some(Checked::Status(peer, proved.then_some(height))), if proved { Verdict::Accept } else { Verdict::Reject })
        });
        if !started {
            self.status_in_flight.remove(&peer);
        }
    }

    /// For the stall log: verification jobs running, jobs waiting, message keys remembered.
    pub(super) fn load(&self) -> (usize, usize, usize) {
        (self.jobs, self.queued.values().map(VecDeque::len).sum(), self.seen.len())
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

    /// A job's result came back: its slot is free again.
    pub(super) fn job_done(&mut self, out: &mut Vec<Out>) {
        self.jobs = self.jobs.saturating_sub(1);
        if let Some(job) = self.next_queued() {
            self.jobs += 1;
            out.push(Out::Verify(job));
        }
    }

    /// The next waiting job, taking the peers in turn (after the one served last).
    fn next_queued(&mut self) -> Option<VerifyJob> {
        let after = self.served_last;
        let key = self
            .queued
            .range((Bound::Excluded(after), Bound::Unbounded))
            .map(|(k, _)| *k)
            .next()
            .or_else(|| self.queued.keys().next().copied())?;
        let queue = self.queued.get_mut(&key)?;
        let job = queue.pop_front();
        if queue.is_empty() {
            self.queued.remove(&key);
        }
        self.served_last = key;
        job
    }

    /// Asks for `job` to run off the chain task: at once if fewer than [`MAX_JOBS`] run, else
    /// after the jobs waiting, in `from`'s queue of at most [`MAX_QUEUED_PER_PEER`], the peers
    /// served in turn. False if that queue is full (the message is then ignored: not forwarded,
    /// no blame). So a peer that floods fills its own queue, and every other peer's messages still
    /// get their turn. The result, with its verdict, comes back as [`Verified`].
    fn spawn(
        &mut self,
        count: usize,
        from: Option<PeerId>,
        id: Option<GossipId>,
        out: &mut Vec<Out>,
        job: impl FnOnce() -> (Option<Checked>, Verdict) + Send + 'static,
    ) -> bool {
        let job: VerifyJob = Box::new(move || {
            let (checked, verdict) = job();
            Verified { checked, verdict, id }
        });
        if self.jobs < MAX_JOBS {
            self.jobs += 1;
            out.push(Out::Verify(job));
            return true;
        }
        let queue = self.queued.entry(from).or_default();
        if queue.len() >= MAX_QUEUED_PER_PEER {
            self.drop(count as u64);
            verdict(out, id, Verdict::Ignore);
            return false;
        }
        queue.push_back(job);
        true
    }
}

/// A verdict on a gossip message (nothing when the network does not validate).
pub(super) fn verdict(out: &mut Vec<Out>, id: Option<GossipId>, verdict: Verdict) {
    if let Some(id) = id {
        out.push(Out::Verdict(id, verdict));
    }
}

#[cfg(test)]
mod tests {
    use loanchain_types::test_utils::equal_validators;
    use loanchain_types::{SignedVote, ValidatorIndex, Vote, VoteKind};

    use super::*;

    /// A message dropped because its peer's queue was full must be taken when it is re-sent
    /// (issue 16, weakness 9: it was remembered as seen before its job was taken, so every re-send
    /// of a stalled height was dropped as a repeat and the height never healed).
    #[test]
    fn a_message_dropped_for_want_of_room_is_taken_when_re_sent() {
        let (keys, validators) = equal_validators(4);
        let mut inbound = Inbound::new(validators, "c", Counter::default());
        let peer = PeerId::random();
        let vote = |round: u32| {
            let vote = Vote { height: 1, round, kind: VoteKind::Prevote, block_hash: None, validator: ValidatorIndex(0) };
            ConsensusMessage::Vote(SignedVote::sign(&keys[0], "c", vote))
        };
        let mut out = Vec::new();
        // Every job and the peer's whole queue taken, by distinct messages.
        for round in 0..(MAX_JOBS + MAX_QUEUED_PER_PEER) as u32 {
            inbound.messages(vec![vote(round)], 0, Some(peer), None, 0, &mut out);
        }
        let jobs = |out: &[Out]| out.iter().filter(|o| matches!(o, Out::Verify(_))).count();
        assert_eq!(jobs(&out), MAX_JOBS);
        // One more: no room, dropped.
        let late = vote(1_000);
        inbound.messages(vec![late.clone()], 0, Some(peer), None, 0, &mut out);
        assert_eq!(inbound.queued.get(&Some(peer)).map(VecDeque::len), Some(MAX_QUEUED_PER_PEER));
        // Room again (one job done starts one queued), and the re-send is taken, not a repeat.
        let mut more = Vec::new();
        inbound.job_done(&mut more);
        assert_eq!(jobs(&more), 1);
        inbound.messages(vec![late], 0, Some(peer), None, 0, &mut more);
        assert_eq!(inbound.queued.get(&Some(peer)).map(VecDeque::len), Some(MAX_QUEUED_PER_PEER), "the re-sent message waits in the queue");
    }
}
