//! Block sync (DESIGN §9): announcing how far this node has committed, fetching certified blocks
//! from peers when behind, and answering their requests. Fetched blocks enter the same path as
//! gossiped ones: the block is held, its certificate is given to the core, the core decides, and
//! `commit` checks the certificate, executes and compares app hashes through the next header.

use loanchain_consensus::Input;
use loanchain_network::{PeerId, Topic};
use loanchain_types::{Block, CommitCertificate, ConsensusMessage, Hash, Round};
use tracing::{debug, warn};

use super::task::{AnswerError, Out, Purpose};
use super::{Chain, ChainStore};
use loanchain_types::limits::{MAX_REPLAY_BYTES, SYNC_RESPONSE_TARGET_BYTES};

use crate::wire::{self, Gossip, MAX_SYNC_BLOCKS, SyncRequest, SyncResponse};

/// How often a node announces its height, ms.
const ANNOUNCE_EVERY_MS: u64 = 1_000;
/// After how long a validation waiting for its block fetches the block by hash, ms.
const FETCH_AFTER_MS: u64 = 250;
/// After how long without a commit a validator re-sends the messages of its height, ms.
const REPLAY_AFTER_MS: u64 = 1_500;
/// After how long without a commit a validator pulls the height's messages from every peer, and
/// how often while it stays so, ms. Gossip can lose a message for good (a gossip stream that died
/// inside a live connection did, issue 16 weakness 9); a request goes on a stream of its own.
const PULL_AFTER_MS: u64 = 500;
/// How often one peer's pulls are answered, ms; more often, the answer is "busy".
const PULL_ANSWER_EVERY_MS: u64 = 200;
/// How long sync does not ask a peer after its first wrong answer, ms; doubled for each further one.
const FAULT_BACKOFF_MS: u64 = 5_000;
/// A sync request unanswered this long does not stop the node from asking another peer (the
/// first may be cut off: its answer, or the timeout, can take the whole request timeout, 10 s).
const SYNC_RETRY_MS: u64 = 3_000;
/// The longest such pause, ms.
const MAX_FAULT_BACKOFF_MS: u64 = 600_000;

impl<S: ChainStore> Chain<S> {
    /// Periodic work: announcements, replays when stalled, fetching missing blocks.
    pub(super) fn housekeeping(&mut self) {
        let now = self.now;
        // A proposal whose block has not arrived within FETCH_AFTER_MS: ask the peers for it.
        let missing: Vec<Hash> = self.unvalidated.iter().map(|(_, _, h)| *h).filter(|h| !self.pending.contains_key(h)).collect();
        for hash in missing {
            let first = *self.awaited.entry(hash).or_insert(now);
            let asked = self.asked.get(&hash).copied();
            if now.saturating_sub(first) >= FETCH_AFTER_MS && asked.is_none_or(|t| now.saturating_sub(t) >= FETCH_AFTER_MS * 4) {
                self.asked.insert(hash, now);
                debug!(%hash, "proposed block not received; fetching it");
                self.fetch_block(hash);
            }
        }
        if now.saturating_sub(self.last_announce) >= ANNOUNCE_EVERY_MS {
            self.last_announce = now;
            // Behind with no answer coming: ask again (another peer, if the one asked is silent).
            if self.best_known > self.last.height && self.executing.is_none() {
                self.sync();
            }
            // The certificate proves the claim (receivers believe nothing less).
            let certificate = self.ctx.storage.certificate(self.last.height).ok().flatten();
            let status = Gossip::Status { height: self.last.height, stamp: now, certificate };
            self.out.push(Out::Publish(Topic::Blocks, wire::encode(&status)));
            // Also when nothing else changed: staleness is a matter of time.
            self.publish_status();
            if let Some((_, hash, _)) = &self.undelivered {
                let hash = *hash;
                self.fetch_block(hash);
            }
        }
        // Stalled: no commit for a while since the height began (the pause after a commit is not
        // a stall; a re-send then would only race the height's first proposal).
        let since = self.last_progress.max(self.height_started);
        // Not once the height is decided: then the node waits for its own execution, or for the
        // block (which it fetches), not for anyone's votes.
        if self.next_height_at.is_none()
            && self.executing.is_none()
            && self.core.state().decided.is_none()
            && now.saturating_sub(since) >= PULL_AFTER_MS
            && now.saturating_sub(self.last_pull) >= PULL_AFTER_MS
        {
            self.last_pull = now;
            let (height, round) = (self.last.height + 1, self.core.round());
            let have_proposal = self.core.messages().iter().any(|m| matches!(m, ConsensusMessage::Proposal(_)) && m.round() == round);
            for &peer in &self.peers {
                let request = SyncRequest::Messages { height, round, have_proposal };
                self.out.push(Out::Request { peer, request, purpose: Purpose::Messages });
            }
        }
        if now.saturating_sub(since) >= REPLAY_AFTER_MS && now.saturating_sub(self.last_replay) >= REPLAY_AFTER_MS {
            self.last_replay = now;
            let messages = replay_within(self.core.messages(), MAX_REPLAY_BYTES);
            let state = self.core.state();
            let (verify_jobs, verify_queued, seen) = self.inbound.load();
            warn!(
                held_messages = messages.len(),
                verify_jobs,
                verify_queued,
                seen,
                height = state.height,
                round = state.round,
                step = ?state.step,
                locked = ?state.locked.map(|l| l.round),
                decided = state.decided.is_some(),
                blocks_held = self.pending.len(),
                awaiting_validation = self.unvalidated.len(),
                undelivered = self.undelivered.is_some(),
                stalled_ms = now.saturating_sub(since),
                "no commit lately; re-sending this height's messages"
            );
            if !messages.is_empty() {
                debug!(height = self.last.height + 1, messages = messages.len(), "no progress; re-sending this height's messages");
                let replay = Gossip::Replay { stamp: now, messages };
                self.out.push(Out::Publish(Topic::Consensus, wire::encode(&replay)));
            }
        }
    }

    /// Peers to ask, the ones that answered wrongly least often first; among equals, the ones
    /// that announced the highest height first (then by peer id: the order is deterministic).
    fn peers_by_trust(&self, peers: impl IntoIterator<Item = PeerId>) -> Vec<PeerId> {
        let mut peers: Vec<PeerId> = peers.into_iter().collect();
        peers.sort_by_key(|p| {
            (self.peer_faults.get(p).map_or(0, |f| f.0), std::cmp::Reverse(self.announced.get(p).copied().unwrap_or(0)), *p)
        });
        peers
    }

    /// Whether `peer` answered wrongly recently enough that sync does not ask it: the pause
    /// doubles with each fault, up to [`MAX_FAULT_BACKOFF_MS`].
    fn in_backoff(&self, peer: &PeerId) -> bool {
        self.peer_faults.get(peer).is_some_and(|(faults, last)| {
            let pause = FAULT_BACKOFF_MS.saturating_mul(1u64 << (*faults - 1).min(16)).min(MAX_FAULT_BACKOFF_MS);
            self.now.saturating_sub(*last) < pause
        })
    }

    /// Asks the most trusted peer that announced a height above ours for the committed blocks
    /// after ours: one request at a time, unless the one out has gone unanswered for
    /// [`SYNC_RETRY_MS`], when another peer is asked too.
    pub(super) fn sync(&mut self) {
        if !self.synced.is_empty() || self.sync_out.is_some_and(|(_, since)| self.now.saturating_sub(since) < SYNC_RETRY_MS) {
            return;
        }
        let waiting_on = self.sync_out.map(|(p, _)| p);
        let ahead: Vec<PeerId> = self
            .announced
            .iter()
            .filter(|(p, h)| **h > self.last.height && !self.in_backoff(p) && Some(**p) != waiting_on)
            .map(|(p, _)| *p)
            .collect();
        let Some(&peer) = self.peers_by_trust(ahead).first() else { return };
        self.sync_out = Some((peer, self.now));
        let from = self.last.height + 1;
        let to = self.best_known.min(from + MAX_SYNC_BLOCKS - 1);
        self.out.push(Out::Request { peer, request: SyncRequest::Blocks { from, to }, purpose: Purpose::Sync });
    }

    /// Asks the connected peers, most trusted first, for the block `hash`, one after the other
    /// until one answers with that block and a body that matches its header.
    pub(super) fn fetch_block(&mut self, hash: Hash) {
        if self.fetches.contains_key(&hash) {
            return;
        }
        let peers = self.peers_by_trust(self.peers.iter().copied());
        self.fetches.insert(hash, peers.into_iter().rev().collect());
        self.fetch_next(hash);
    }

    /// Asks the next peer for `hash`, or gives up when none is left (a later fetch starts over).
    fn fetch_next(&mut self, hash: Hash) {
        let Some(remaining) = self.fetches.get_mut(&hash) else { return };
        match remaining.pop() {
            Some(peer) => self.out.push(Out::Request { peer, request: SyncRequest::Block(hash), purpose: Purpose::Fetch(hash) }),
            None => {
                self.fetches.remove(&hash);
            }
        }
    }

    /// A peer's answer to a sync or fetch request.
    pub(super) fn on_answer(&mut self, peer: PeerId, purpose: Purpose, answer: Result<SyncResponse, AnswerError>) -> anyhow::Result<()> {
        match purpose {
            Purpose::Fetch(hash) => match answer {
                Ok(SyncResponse::Block(Some(block))) if block.hash() == hash => {
                    if self.add_block(block, peer) {
                        self.fetches.remove(&hash);
                        self.ctx.metrics.blocks_fetched.inc();
                        self.deliver_decided()?;
                        self.retry_validations()?;
                    } else {
                        self.fetch_next(hash);
                    }
                }
                Ok(SyncResponse::Block(Some(_))) => {
                    self.fault(peer, format!("answered another block than {hash}"));
                    self.fetch_next(hash);
                }
                Err(AnswerError::Malformed(e)) => {
                    self.fault(peer, format!("malformed block answer: {e}"));
                    self.fetch_next(hash);
                }
                _ => self.fetch_next(hash),
            },
            Purpose::Messages => match answer {
                // Checked like gossip: the height window, repeats, signatures off this task.
                Ok(SyncResponse::Messages(messages)) => {
                    for m in messages {
                        match m {
                            g @ (Gossip::Proposal { .. } | Gossip::Consensus(_) | Gossip::Replay { .. } | Gossip::Status { .. }) => {
                                self.on_gossip(g, Some(peer), None)?
                            }
                            _ => {
                                self.fault(peer, "answered a pull of messages with other gossip".into());
                                break;
                            }
                        }
                    }
                }
                Ok(SyncResponse::Refused(_)) | Err(AnswerError::Failed(_)) => {}
                Ok(other) => self.fault(peer, format!("answered a pull of messages with {}", response_kind(&other))),
                Err(AnswerError::Malformed(e)) => self.fault(peer, format!("malformed messages answer: {e}")),
            },
            Purpose::Sync => {
                // An answer to an earlier request, from a peer asked before another, is used too.
                if self.sync_out.is_some_and(|(p, _)| p == peer) {
                    self.sync_out = None;
                }
                match answer {
                    Ok(SyncResponse::Blocks(blocks)) => self.on_synced(peer, blocks)?,
                    Ok(other) => debug!(%peer, ?other, "unexpected sync answer"),
                    // A sync answer that failed to decode ends that sync; the next goes elsewhere.
                    Err(AnswerError::Malformed(e)) => self.fault(peer, format!("malformed sync answer: {e}")),
                    Err(AnswerError::Failed(e)) => debug!(%peer, error = %e, "block sync request failed"),
                }
            }
        }
        Ok(())
    }

    /// Certified blocks a sync answer brought: queued in order, applied one at a time.
    fn on_synced(&mut self, peer: PeerId, blocks: Vec<(Block, CommitCertificate)>) -> anyhow::Result<()> {
        // After what is committed and what an earlier answer queued.
        let mut expected = self.synced.back().map_or(self.last.height, |(b, _, _)| b.header.height) + 1;
        for (block, certificate) in blocks {
            let height = block.header.height;
            if height < expected {
                continue;
            }
            if height != expected || certificate.height != height || certificate.block_hash != block.hash() {
                self.fault(peer, format!("sync answer out of order or mismatched at height {height}"));
                break;
            }
            self.synced.push_back((block, certificate, peer));
            expected += 1;
        }
        self.apply_synced()
    }

    /// Applies the next synced block once the previous one is executed: the block is held, its
    /// certificate given to the core, which decides, and the commit path executes it off this
    /// task ([`Chain::on_executed`] calls this again). When the queue is spent and peers are
    /// still ahead, the next sync starts at once.
    pub(super) fn apply_synced(&mut self) -> anyhow::Result<()> {
        while self.executing.is_none() {
            let Some((block, certificate, peer)) = self.synced.pop_front() else {
                if self.best_known > self.last.height {
                    self.sync();
                }
                return Ok(());
            };
            let height = block.header.height;
            if height <= self.last.height {
                continue;
            }
            if height != self.last.height + 1 || !self.add_block(block, peer) {
                self.synced.clear();
                return Ok(());
            }
            if self.next_height_at.take().is_some() {
                self.feed(Input::StartHeight { height })?;
            }
            // The core checks the certificate's power and signatures and decides.
            self.feed(Input::Certificate(certificate))?;
            // A height the core had decided already waited only for this block.
            self.deliver_decided()?;
            if self.executing.is_none() && self.last.height < height {
                // The certificate did not decide the height (the core refused it): what follows
                // cannot apply either.
                debug!(%peer, height, "a synced certificate did not decide its height; the rest of the answer dropped");
                self.synced.clear();
            }
        }
        Ok(())
    }

    /// Answers a peer's request: a block held for a height being decided, and the messages of
    /// that height, at once (at most one such answer per peer per [`PULL_ANSWER_EVERY_MS`]);
    /// everything else from storage, off the chain task.
    pub(super) fn answer(&mut self, peer: PeerId, data: &[u8], reply: super::ReplyToken) {
        let request = wire::decode::<SyncRequest>(data);
        if let Ok(SyncRequest::Messages { height, round, have_proposal }) = request {
            let last = self.pulls_answered.get(&peer).copied();
            let answer = if last.is_some_and(|t| self.now.saturating_sub(t) < PULL_ANSWER_EVERY_MS) {
                SyncResponse::Refused("busy".into())
            } else {
                self.pulls_answered.insert(peer, self.now);
                let mut gossip = if height == self.last.height + 1 { self.pull_answer(round, have_proposal) } else { Vec::new() };
                // And how far this node has committed, proved: a puller that gossip cut off from
                // the heights decided since learns of them here, and syncs.
                let certificate = self.ctx.storage.certificate(self.last.height).ok().flatten();
                gossip.push(Gossip::Status { height: self.last.height, stamp: self.now, certificate });
                SyncResponse::Messages(gossip)
            };
            self.out.push(Out::Respond(reply, answer));
            return;
        }
        let held = match &request {
            Ok(SyncRequest::Block(hash)) => self.pending.get(hash).map(|p| p.block.clone()),
            _ => None,
        };
        match held {
            Some(block) => self.out.push(Out::Respond(reply, SyncResponse::Block(Some((*block).clone())))),
            None => self.out.push(Out::Serve { peer, reply, request, last: self.last.height }),
        }
    }
}

impl<S: ChainStore> Chain<S> {
    /// The answer to a pull of this height's messages by a peer at `round`: the proposals of that
    /// round (unless it `has` it) and later ones, compact, newest round first, within
    /// [`SYNC_RESPONSE_TARGET_BYTES`] less the votes' share, and the height's votes in one
    /// re-send within [`MAX_REPLAY_BYTES`].
    fn pull_answer(&self, round: Round, has: bool) -> Vec<Gossip> {
        let (mut proposals, votes): (Vec<ConsensusMessage>, Vec<ConsensusMessage>) =
            self.core.messages().into_iter().partition(|m| matches!(m, ConsensusMessage::Proposal(_)));
        proposals.retain(|p| p.round() > round || (p.round() == round && !has));
        proposals.sort_by_key(|m| std::cmp::Reverse(m.round()));
        let mut out = Vec::new();
        let mut used = 0;
        for p in proposals {
            let Some(gossip) = self.gossip_of(p) else { continue };
            used += loanchain_contracts::codec::encoded_len(&gossip);
            if used > SYNC_RESPONSE_TARGET_BYTES - MAX_REPLAY_BYTES {
                break;
            }
            out.push(gossip);
        }
        let votes = replay_within(votes, MAX_REPLAY_BYTES);
        if !votes.is_empty() {
            out.push(Gossip::Replay { stamp: self.now, messages: votes });
        }
        out
    }
}

/// What kind of answer `r` is, for logs.
fn response_kind(r: &SyncResponse) -> &'static str {
    match r {
        SyncResponse::Blocks(_) => "blocks",
        SyncResponse::Block(_) => "a block",
        SyncResponse::Refused(_) => "a refusal",
        SyncResponse::Messages(_) => "messages",
    }
}

/// A sync answer from committed storage, up to the committed height `last`.
pub fn answer_from_storage(storage: &impl ChainStore, request: Result<SyncRequest, String>, last: u64) -> SyncResponse {
    match request {
        Err(e) => SyncResponse::Refused(e),
        Ok(SyncRequest::Block(hash)) => SyncResponse::Block(storage.block_by_hash(&hash).ok().flatten()),
        // Storage holds only committed heights; the live messages are the chain host's.
        Ok(SyncRequest::Messages { .. }) => SyncResponse::Messages(Vec::new()),
        Ok(SyncRequest::Blocks { from, to }) => {
            if from == 0 || to < from {
                return SyncResponse::Refused(format!("bad range {from}..={to}"));
            }
            let to = to.min(from.saturating_add(MAX_SYNC_BLOCKS - 1)).min(last);
            let mut out: Vec<(Block, CommitCertificate)> = Vec::new();
            // The answer's exact encoded size: a block is added only while the answer stays
            // within the target (the first always, which the limit leaves room for).
            let mut size = 5usize;
            for h in from..=to {
                let (Ok(Some(block)), Ok(Some(cert))) = (storage.block(h), storage.certificate(h)) else {
                    break;
                };
                let entry = loanchain_contracts::codec::encoded_len(&(&block, &cert));
                if !out.is_empty() && size + entry > SYNC_RESPONSE_TARGET_BYTES {
                    break;
                }
                size += entry;
                out.push((block, cert));
            }
            SyncResponse::Blocks(out)
        }
    }
}

/// The messages to re-send, newest round first, within `budget` encoded bytes (a height with many
/// rounds has more votes than one gossip message carries; the newest are the ones that help).
fn replay_within(mut messages: Vec<ConsensusMessage>, budget: usize) -> Vec<ConsensusMessage> {
    messages.sort_by_key(|m| std::cmp::Reverse(m.round()));
    let mut used = 0;
    messages.retain(|m| {
        used += loanchain_contracts::codec::encoded_len(m) + 5;
        used <= budget
    });
    messages
}

#[cfg(test)]
mod tests {
    use loanchain_types::test_utils::keypair;
    use loanchain_types::{SignedVote, ValidatorIndex, Vote, VoteKind};

    use super::*;
    use crate::wire::Message;

    #[test]
    fn a_replay_of_many_rounds_fits_one_gossip_message_newest_first() {
        let key = keypair(1);
        let messages: Vec<ConsensusMessage> = (0..20_000u32)
            .map(|round| {
                let vote = Vote { height: 5, round, kind: VoteKind::Prevote, block_hash: None, validator: ValidatorIndex(0) };
                ConsensusMessage::Vote(SignedVote::sign(&key, "c", vote))
            })
            .collect();
        let kept = replay_within(messages, MAX_REPLAY_BYTES);
        assert!(!kept.is_empty() && kept.len() < 20_000);
        assert_eq!(kept[0].round(), 19_999, "the newest round first");
        let gossip = Gossip::Replay { stamp: u64::MAX, messages: kept };
        assert!(wire::encode(&gossip).len() <= Gossip::MAX_BYTES);
    }
}
