//! Block sync (DESIGN §9): announcing how far this node has committed, fetching certified blocks
//! from peers when behind, and answering their requests. Fetched blocks enter the same path as
//! gossiped ones: the block is held, its certificate is given to the core, the core decides, and
//! `commit` checks the certificate, executes and compares app hashes through the next header.

use std::time::{Duration, Instant};

use loanchain_consensus::Input;
use loanchain_network::{PeerId, Topic};
use loanchain_types::{Block, CommitCertificate, Hash};
use tracing::{debug, warn};

use super::{Chain, FetchResult, now_ms};
use crate::wire::{self, Gossip, MAX_SYNC_BLOCKS, MAX_SYNC_RESPONSE_BYTES, SyncRequest, SyncResponse};

/// How often a node announces its height.
const ANNOUNCE_EVERY: Duration = Duration::from_millis(1_000);
/// After how long a validation waiting for its block fetches the block by hash.
const FETCH_AFTER: Duration = Duration::from_millis(250);
/// After how long without a commit a validator re-sends the messages of its height.
const REPLAY_AFTER: Duration = Duration::from_millis(1_500);

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
            let status = Gossip::Status { height: self.last.height, stamp: now_ms() };
            self.publish(Topic::Blocks, wire::encode(&status)).await;
            self.publish_status();
            if let Some((_, hash, _)) = &self.undelivered {
                let hash = *hash;
                self.fetch_block(hash);
            }
        }
        if self.last_progress.elapsed() >= REPLAY_AFTER && self.last_replay.elapsed() >= REPLAY_AFTER {
            self.last_replay = Instant::now();
            let messages = self.core.messages();
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

    /// Asks `peer` for the committed blocks after ours (one fetch at a time).
    pub(super) fn fetch_blocks(&mut self, peer: PeerId) {
        if self.fetching {
            return;
        }
        self.fetching = true;
        let from = self.last.height + 1;
        let to = self.best_known.min(from + MAX_SYNC_BLOCKS - 1);
        let request = wire::encode(&SyncRequest::Blocks { from, to });
        let net = self.net.clone();
        let done = self.fetched.0.clone();
        tokio::spawn(async move {
            let result = match net.request(peer, request).await {
                Ok(bytes) => match wire::decode::<SyncResponse>("sync response", &bytes) {
                    Ok(SyncResponse::Blocks(blocks)) => FetchResult::Blocks(blocks),
                    Ok(other) => {
                        debug!(%peer, ?other, "unexpected sync answer");
                        FetchResult::Failed
                    }
                    Err(e) => {
                        warn!(%peer, error = %e, "malformed sync answer");
                        FetchResult::Failed
                    }
                },
                Err(e) => {
                    debug!(%peer, error = %e, "block sync request failed");
                    FetchResult::Failed
                }
            };
            let _ = done.send(result).await;
        });
    }

    /// Asks every connected peer, in turn, for the block `hash` until one has it.
    pub(super) fn fetch_block(&mut self, hash: Hash) {
        let net = self.net.clone();
        let done = self.fetched.0.clone();
        let request = wire::encode(&SyncRequest::Block(hash));
        tokio::spawn(async move {
            for peer in net.peers() {
                if let Ok(bytes) = net.request(peer, request.clone()).await
                    && let Ok(SyncResponse::Block(Some(block))) = wire::decode::<SyncResponse>("sync response", &bytes)
                    && block.hash() == hash
                {
                    let _ = done.send(FetchResult::Block(block)).await;
                    return;
                }
            }
        });
    }

    /// Feeds what a fetch brought: each block is held and its certificate given to the core.
    pub(super) async fn on_fetched(&mut self, result: FetchResult) -> anyhow::Result<()> {
        match result {
            FetchResult::Failed => self.fetching = false,
            FetchResult::Block(block) => {
                self.ctx.metrics.blocks_fetched.inc();
                self.add_block(block);
                self.deliver_decided()?;
                self.retry_validations().await?;
            }
            FetchResult::Blocks(blocks) => {
                self.fetching = false;
                for (block, certificate) in blocks {
                    let height = block.header.height;
                    if height <= self.last.height {
                        continue;
                    }
                    if height != self.last.height + 1 || certificate.height != height || certificate.block_hash != block.hash() {
                        warn!(height, "sync answer out of order or mismatched; dropped");
                        break;
                    }
                    self.add_block(block);
                    if self.next_height_at.take().is_some() {
                        self.feed(Input::StartHeight { height }).await?;
                    }
                    // The core checks the certificate's power and signatures, decides, and the
                    // commit path executes. Then the next height starts without delay.
                    self.feed(Input::Certificate(certificate)).await?;
                    if self.last.height < height {
                        break;
                    }
                    self.next_height_at = None;
                    self.feed(Input::StartHeight { height: height + 1 }).await?;
                }
            }
        }
        Ok(())
    }

    /// Answers a peer's sync request from storage (and from the proposals held, for a block by
    /// hash).
    pub(super) fn answer(&self, data: &[u8]) -> SyncResponse {
        match wire::decode::<SyncRequest>("sync request", data) {
            Err(e) => SyncResponse::Refused(e),
            Ok(SyncRequest::Block(hash)) => {
                if let Some(p) = self.pending.get(&hash) {
                    return SyncResponse::Block(Some((*p.block).clone()));
                }
                SyncResponse::Block(self.ctx.storage.block_by_hash(&hash).ok().flatten())
            }
            Ok(SyncRequest::Blocks { from, to }) => {
                if from == 0 || to < from {
                    return SyncResponse::Refused(format!("bad range {from}..={to}"));
                }
                let to = to.min(from.saturating_add(MAX_SYNC_BLOCKS - 1)).min(self.last.height);
                let mut out: Vec<(Block, CommitCertificate)> = Vec::new();
                let mut size = 0usize;
                for h in from..=to {
                    let (Ok(Some(block)), Ok(Some(cert))) = (self.ctx.storage.block(h), self.ctx.storage.certificate(h)) else {
                        break;
                    };
                    size += block.transactions.iter().map(Vec::len).sum::<usize>() + 1024;
                    out.push((block, cert));
                    if size >= MAX_SYNC_RESPONSE_BYTES {
                        break;
                    }
                }
                SyncResponse::Blocks(out)
            }
        }
    }
}
