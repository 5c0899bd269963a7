//! Block sync (DESIGN §9): announcing how far this node has committed, fetching certified blocks
//! from peers when behind, and answering their requests. Fetched blocks enter the same path as
//! gossiped ones: the block is held, its certificate is given to the core, the core decides, and
//! `commit` checks the certificate, executes and compares app hashes through the next header.

use std::time::{Duration, Instant};

use loanchain_consensus::Input;
use loanchain_network::{PeerId, Topic};
use loanchain_types::{Block, CommitCertificate, ConsensusMessage, Hash};
use tracing::{debug, warn};

use super::{Chain, FetchResult, now_ms};
use loanchain_types::limits::{MAX_REPLAY_BYTES, SYNC_RESPONSE_TARGET_BYTES};

use crate::wire::{self, Gossip, MAX_SYNC_BLOCKS, SyncRequest, SyncResponse};

/// How often a node announces its height.
const ANNOUNCE_EVERY: Duration = Duration::from_millis(1_000);
/// After how long a validation waiting for its block fetches the block by hash.
const FETCH_AFTER: Duration = Duration::from_millis(250);
/// After how long without a commit a validator re-sends the messages of its height.
const REPLAY_AFTER: Duration = Duration::from_millis(1_500);
/// How long sync does not ask a peer after its first wrong answer; doubled for each further one.
const FAULT_BACKOFF: Duration = Duration::from_secs(5);
/// The longest such pause.
const MAX_FAULT_BACKOFF: Duration = Duration::from_secs(600);

impl Chain {
    /// Periodic work: announcements, replays when stalled, fetching missing blocks.
    pub(super) async fn housekeeping(&mut self) {
        // A proposal whose block has not arrived within FETCH_AFTER: ask the peers for it.
        let missing: Vec<Hash> = self.unvalidated.iter().map(|(_, _, h)| *h).filter(|h| !self.pending.contains_key(h)).collect();
        for hash in missing {
            let first = *self.awaited.entry(hash).or_insert_with(Instant::now);
            let asked = self.asked.get(&hash).copied();
            if first.elapsed() >= FETCH_AFTER && asked.is_none_or(|t| t.elapsed() >= FETCH_AFTER * 4) {
                self.asked.insert(hash, Instant::now());
                debug!(%hash, "proposed block not received; fetching it");
                self.fetch_block(hash);
            }
        }
        if self.last_announce.elapsed() >= ANNOUNCE_EVERY {
            self.last_announce = Instant::now();
            // The certificate proves the claim (receivers believe nothing less).
            let certificate = self.ctx.storage.certificate(self.last.height).ok().flatten();
            let status = Gossip::Status { height: self.last.height, stamp: now_ms(), certificate };
            self.publish(Topic::Blocks, wire::encode(&status)).await;
            self.publish_status();
            if let Some((_, hash, _)) = &self.undelivered {
                let hash = *hash;
                self.fetch_block(hash);
            }
        }
        if self.last_progress.elapsed() >= REPLAY_AFTER && self.last_replay.elapsed() >= REPLAY_AFTER {
            self.last_replay = Instant::now();
            let messages = replay_within(self.core.messages(), MAX_REPLAY_BYTES);
            let state = self.core.state();
            warn!(
                height = state.height,
                round = state.round,
                step = ?state.step,
                locked = ?state.locked.map(|l| l.round),
                decided = state.decided.is_some(),
                blocks_held = self.pending.len(),
                awaiting_validation = self.unvalidated.len(),
                undelivered = self.undelivered.is_some(),
                stalled_ms = self.last_progress.elapsed().as_millis() as u64,
                "no commit lately; re-sending this height's messages"
            );
            if !messages.is_empty() {
                debug!(height = self.last.height + 1, messages = messages.len(), "no progress; re-sending this height's messages");
                let replay = Gossip::Replay { stamp: now_ms(), messages };
                self.publish(Topic::Consensus, wire::encode(&replay)).await;
            }
        }
    }

    /// Peers to ask, the ones that answered wrongly least often first; among equals, the ones
    /// that announced the highest height first.
    fn peers_by_trust(&self, peers: Vec<PeerId>) -> Vec<PeerId> {
        let mut peers = peers;
        peers.sort_by_key(|p| (self.peer_faults.get(p).map_or(0, |f| f.0), std::cmp::Reverse(self.announced.get(p).copied().unwrap_or(0))));
        peers
    }

    /// Whether `peer` answered wrongly recently enough that sync does not ask it: the pause
    /// doubles with each fault, up to [`MAX_FAULT_BACKOFF`].
    fn in_backoff(&self, peer: &PeerId) -> bool {
        self.peer_faults.get(peer).is_some_and(|(faults, last)| {
            let pause = FAULT_BACKOFF.saturating_mul(1u32 << (*faults - 1).min(16)).min(MAX_FAULT_BACKOFF);
            last.elapsed() < pause
        })
    }

    /// Asks the most trusted peer that announced a height above ours for the committed blocks
    /// after ours (one fetch at a time).
    pub(super) fn sync(&mut self) {
        if self.fetching || !self.synced.is_empty() {
            return;
        }
        let ahead: Vec<PeerId> =
            self.announced.iter().filter(|(p, h)| **h > self.last.height && !self.in_backoff(p)).map(|(p, _)| *p).collect();
        let Some(&peer) = self.peers_by_trust(ahead).first() else { return };
        self.fetching = true;
        let from = self.last.height + 1;
        let to = self.best_known.min(from + MAX_SYNC_BLOCKS - 1);
        let request = wire::encode(&SyncRequest::Blocks { from, to });
        let net = self.net.clone();
        let done = self.fetched.0.clone();
        tokio::spawn(async move {
            let result = match net.request(peer, request).await {
                Ok(bytes) => match wire::decode::<SyncResponse>(&bytes) {
                    Ok(SyncResponse::Blocks(blocks)) => FetchResult::Blocks(peer, blocks),
                    Ok(other) => {
                        debug!(%peer, ?other, "unexpected sync answer");
                        FetchResult::Failed
                    }
                    Err(e) => FetchResult::Faulty(peer, format!("malformed sync answer: {e}")),
                },
                Err(e) => {
                    debug!(%peer, error = %e, "block sync request failed");
                    FetchResult::Failed
                }
            };
            let _ = done.send(result).await;
        });
    }

    /// Asks the connected peers, most trusted first, for the block `hash` until one answers with
    /// that block and a body that matches its header.
    pub(super) fn fetch_block(&mut self, hash: Hash) {
        let net = self.net.clone();
        let done = self.fetched.0.clone();
        let request = wire::encode(&SyncRequest::Block(hash));
        let peers = self.peers_by_trust(net.peers());
        tokio::spawn(async move {
            for peer in peers {
                let Ok(bytes) = net.request(peer, request.clone()).await else { continue };
                match wire::decode::<SyncResponse>(&bytes) {
                    Ok(SyncResponse::Block(Some(block))) if block.hash() == hash => match block.check_body() {
                        Ok(()) => {
                            let _ = done.send(FetchResult::Block(peer, block)).await;
                            return;
                        }
                        Err(e) => {
                            let _ = done.send(FetchResult::Faulty(peer, e.to_string())).await;
                        }
                    },
                    Ok(SyncResponse::Block(Some(_))) => {
                        let _ = done.send(FetchResult::Faulty(peer, format!("answered another block than {hash}"))).await;
                    }
                    Ok(_) => {}
                    Err(e) => {
                        let _ = done.send(FetchResult::Faulty(peer, format!("malformed block answer: {e}"))).await;
                    }
                }
            }
        });
    }

    /// Feeds what a fetch brought: each block is held and its certificate given to the core.
    pub(super) async fn on_fetched(&mut self, result: FetchResult) -> anyhow::Result<()> {
        match result {
            FetchResult::Failed => self.fetching = false,
            FetchResult::Faulty(peer, reason) => {
                self.fault(peer, reason);
                // A sync answer that failed to decode ends that sync; the next goes elsewhere.
                self.fetching = false;
            }
            FetchResult::Block(peer, block) => {
                self.ctx.metrics.blocks_fetched.inc();
                self.add_block(block, peer);
                self.deliver_decided()?;
                self.retry_validations().await?;
            }
            FetchResult::Blocks(peer, blocks) => {
                self.fetching = false;
                let mut expected = self.last.height + 1;
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
                self.apply_synced().await?;
            }
        }
        Ok(())
    }

    /// Applies the next synced block once the previous one is executed: the block is held, its
    /// certificate given to the core, which decides, and the commit path executes it off this
    /// task ([`Chain::on_executed`] calls this again). When the queue is spent and peers are
    /// still ahead, the next sync starts at once.
    pub(super) async fn apply_synced(&mut self) -> anyhow::Result<()> {
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
                self.feed(Input::StartHeight { height }).await?;
            }
            // The core checks the certificate's power and signatures and decides.
            self.feed(Input::Certificate(certificate)).await?;
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

    /// Answers a peer's sync request off the chain task: a block held for a height being decided
    /// is answered here (a clone of what is held); everything else is read from storage on a
    /// blocking thread, by at most [`SYNC_SERVERS`] at once. A request beyond them is refused as
    /// busy, and the peer asks another.
    pub(super) fn answer(&self, peer: PeerId, data: &[u8], reply: loanchain_network::RequestId) {
        let request = wire::decode::<SyncRequest>(data);
        let held = match &request {
            Ok(SyncRequest::Block(hash)) => self.pending.get(hash).map(|p| p.block.clone()),
            _ => None,
        };
        let (net, storage, last) = (self.net.clone(), self.ctx.storage.clone(), self.last.height);
        let Ok(permit) = self.sync_servers.clone().try_acquire_owned() else {
            tokio::spawn(async move {
                let _ = net.respond(reply, wire::encode(&SyncResponse::Refused("busy".into()))).await;
            });
            return;
        };
        tokio::spawn(async move {
            let answer = match held {
                Some(block) => SyncResponse::Block(Some((*block).clone())),
                None => tokio::task::spawn_blocking(move || answer_from_storage(&storage, request, last))
                    .await
                    .unwrap_or_else(|_| SyncResponse::Refused("internal error".into())),
            };
            drop(permit);
            if let Err(e) = net.respond(reply, wire::encode(&answer)).await {
                debug!(%peer, error = %e, "sync answer not delivered");
            }
        });
    }
}

/// Sync answers being prepared at once.
pub(super) const SYNC_SERVERS: usize = 2;

/// A sync answer from committed storage, up to the committed height `last`.
fn answer_from_storage(storage: &loanchain_storage::Storage, request: Result<SyncRequest, String>, last: u64) -> SyncResponse {
    match request {
        Err(e) => SyncResponse::Refused(e),
        Ok(SyncRequest::Block(hash)) => SyncResponse::Block(storage.block_by_hash(&hash).ok().flatten()),
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
