//! The consensus host, run as the chain task: one tokio task that owns the consensus core and drives it with network
//! messages and timers, builds and checks blocks, executes and stores what is decided, and
//! fetches what it lacks from peers.
//!
//! Everything the core asks for comes as a [`loanchain_consensus::Ready`], whose effects are handed
//! out only after its WAL entries are durable (fsync), so no message is sent before the safety
//! record of it (DESIGN §8). The host side is split by concern:
//!
//! | module | what |
//! |---|---|
//! | `inbound` | consensus traffic checked (height window, repeats, signatures in batches off this task) before anything holds it |
//! | `blocks` | proposing a block from the mempool; validating a proposed block |
//! | `commit` | executing a decided block, checking its certificate, storing it atomically |
//! | `sync` | status announcements, fetching blocks from peers, answering their requests |
//! | `evidence` | storing and gossiping equivocation evidence; checking what peers gossip |

mod blocks;
mod commit;
pub mod evidence;
mod inbound;
mod sync;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use loanchain_api::NodeStatus;
use loanchain_consensus::{Config, Core, Effect, Input, Timeouts};
use loanchain_contracts::VerifiedTx;
use loanchain_network::{GossipId, NetworkEvent, NetworkHandle, PeerId, Topic, Verdict};
use loanchain_storage::LastCommitted;
use loanchain_types::{Block, CommitCertificate, ConsensusMessage, Hash, Height, Keypair, Round, ValidatorSet};
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn};

use crate::context::NodeContext;
use crate::wire::{self, Gossip};

/// The wall clock in unix milliseconds: the only clock of the node (the core sees it as ticks).
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// A block seen for a height not yet committed, with its transactions once verified.
struct Pending {
    block: Arc<Block>,
    /// The block's transactions once `validate` checked them (or this node proposed the block).
    txs: Option<Arc<Vec<Arc<VerifiedTx>>>>,
    /// For a block rebuilt from a compact proposal, its transactions as the mempool verified them
    /// (the block's own rules not yet checked).
    pooled: Option<Vec<Arc<VerifiedTx>>>,
}

/// Batches of gossiped transactions waiting for admission; beyond, batches are dropped and
/// counted (`loanchain_tx_gossip_dropped_total`). Each is at most
/// [`MAX_TX_GOSSIP_BYTES`](loanchain_types::limits::MAX_TX_GOSSIP_BYTES), so the queue holds at
/// most about 70 MiB.
const TX_GOSSIP_QUEUE: usize = 64;

/// Starts one admission worker per core for transaction gossip (no task per message) and returns
/// their queue. A batch is passed on to other peers only if it brought this node something.
fn admit_gossip_workers(ctx: Arc<NodeContext>, net: NetworkHandle) -> mpsc::Sender<(Vec<Vec<u8>>, Option<GossipId>)> {
    let (tx, rx) = mpsc::channel::<(Vec<Vec<u8>>, Option<GossipId>)>(TX_GOSSIP_QUEUE);
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    for _ in 0..workers {
        let (ctx, net, rx) = (ctx.clone(), net.clone(), rx.clone());
        tokio::spawn(async move {
            loop {
                let Some((txs, id)) = rx.lock().await.recv().await else { return };
                let admitted = ctx.admit_gossip(txs).await;
                if let Some(id) = id {
                    net.validate(id, if admitted > 0 { Verdict::Accept } else { Verdict::Ignore });
                }
            }
        });
    }
    tx
}

/// The chain task's state.
pub struct Chain {
    ctx: Arc<NodeContext>,
    net: NetworkHandle,
    core: Core,
    validators: ValidatorSet,
    chain_id: String,
    /// The last executed block.
    last: LastCommitted,
    /// Its time (genesis time at height 0).
    last_time_ms: u64,
    /// Blocks seen for heights above `last`, by hash.
    pending: HashMap<Hash, Pending>,
    /// Compact proposals waiting for some of their transactions to reach the mempool.
    partial: HashMap<Hash, blocks::Compact>,
    /// Validations asked for blocks not yet received.
    unvalidated: Vec<(Height, Round, Hash)>,
    /// Since when each missing block has been awaited, and when it was last asked for.
    awaited: HashMap<Hash, Instant>,
    asked: HashMap<Hash, Instant>,
    /// A decision whose block is not here yet.
    undelivered: Option<(Height, Hash, CommitCertificate)>,
    /// A proposal to build once the mempool has transactions or the deadline passes.
    deferred_proposal: Option<(Height, Round, u64)>,
    /// When to start the next height (after `timeout_commit`).
    next_height_at: Option<u64>,
    /// Wake-up times asked by the core.
    wake: BTreeSet<u64>,
    /// The highest height a peer said it committed.
    best_known: Height,
    /// The last height each peer said it committed.
    announced: HashMap<PeerId, Height>,
    /// Answers from each peer that did not prove what they claimed, and when the last came: such
    /// a peer is asked last, and for sync not at all for a while (`sync::FAULT_BACKOFF`).
    peer_faults: HashMap<PeerId, (u32, Instant)>,
    /// Whether a block fetch is running.
    fetching: bool,
    /// Results of background fetches.
    fetched: (mpsc::Sender<FetchResult>, mpsc::Receiver<FetchResult>),
    /// Sync answers being prepared ([`sync::SYNC_SERVERS`]).
    sync_servers: Arc<tokio::sync::Semaphore>,
    /// Transaction gossip waiting for admission (`TX_GOSSIP_QUEUE` batches at most).
    tx_gossip: mpsc::Sender<(Vec<Vec<u8>>, Option<GossipId>)>,
    /// Consensus traffic being checked, and what came back verified.
    inbound: inbound::Inbound,
    checked: mpsc::Receiver<inbound::Checked>,
    status: watch::Sender<NodeStatus>,
    height_started: Instant,
    last_progress: Instant,
    last_announce: Instant,
    last_replay: Instant,
}

/// What a background fetch brought back (moved once to the chain task, never stored in bulk).
#[allow(clippy::large_enum_variant)]
enum FetchResult {
    Blocks(PeerId, Vec<(Block, CommitCertificate)>),
    Block(PeerId, Block),
    Failed,
    /// A peer answered with something that does not prove what it claims.
    Faulty(PeerId, String),
}

impl Chain {
    /// Recovers the core from storage (the WAL of the next height) and prepares to run.
    pub fn new(
        ctx: Arc<NodeContext>,
        net: NetworkHandle,
        keypair: Option<Keypair>,
        status: watch::Sender<NodeStatus>,
    ) -> anyhow::Result<Chain> {
        let genesis = ctx.genesis.clone();
        let validators = genesis.validator_set()?;
        let last = ctx.storage.last_committed().ok_or_else(|| anyhow::anyhow!("storage has no genesis state"))?;
        let last_time_ms = match last.height {
            0 => genesis.genesis_time,
            h => ctx.storage.block(h)?.map(|b| b.header.time_ms).unwrap_or(genesis.genesis_time),
        };
        let c = &genesis.consensus;
        let mut config = Config::new(genesis.chain_id.clone());
        // Every proposal and vote reaches the core through `inbound`, verified there off this task.
        config.verify_signatures = false;
        config.timeouts = Timeouts {
            propose_ms: c.timeout_propose_ms,
            propose_delta_ms: c.timeout_propose_delta_ms,
            prevote_ms: c.timeout_prevote_ms,
            prevote_delta_ms: c.timeout_prevote_delta_ms,
            precommit_ms: c.timeout_precommit_ms,
            precommit_delta_ms: c.timeout_precommit_delta_ms,
        };
        let wal = ctx.storage.wal_load()?;
        let core = Core::recover(config, validators.clone(), keypair, last.height + 1, &wal)?;
        info!(height = last.height, app_hash = %last.app_hash, wal_entries = wal.len(), "chain state recovered");
        let now = Instant::now();
        let (checked_tx, checked) = mpsc::channel(256);
        let tx_gossip = admit_gossip_workers(ctx.clone(), net.clone());
        let inbound =
            inbound::Inbound::new(validators.clone(), &genesis.chain_id, checked_tx, net.clone(), ctx.metrics.consensus_dropped.clone());
        Ok(Chain {
            sync_servers: Arc::new(tokio::sync::Semaphore::new(sync::SYNC_SERVERS)),
            tx_gossip,
            inbound,
            checked,
            chain_id: genesis.chain_id.clone(),
            ctx,
            net,
            core,
            validators,
            last,
            last_time_ms,
            pending: HashMap::new(),
            partial: HashMap::new(),
            unvalidated: Vec::new(),
            awaited: HashMap::new(),
            asked: HashMap::new(),
            undelivered: None,
            deferred_proposal: None,
            next_height_at: None,
            wake: BTreeSet::new(),
            best_known: last.height,
            announced: HashMap::new(),
            peer_faults: HashMap::new(),
            fetching: false,
            fetched: mpsc::channel(16),
            status,
            height_started: now,
            last_progress: now,
            last_announce: now,
            last_replay: now,
        })
    }

    /// Runs until the network's event stream ends.
    pub async fn run(mut self, mut events: mpsc::Receiver<NetworkEvent>) -> anyhow::Result<()> {
        self.feed(Input::Start).await?;
        self.publish_status();
        let mut ticker = tokio::time::interval(Duration::from_millis(20));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            let next_wake = self.next_wake();
            let sleep = tokio::time::sleep(Duration::from_millis(next_wake.saturating_sub(now_ms()).min(1_000)));
            tokio::select! {
                event = events.recv() => match event {
                    Some(event) => self.on_network(event).await?,
                    None => return Ok(()),
                },
                Some(result) = self.fetched.1.recv() => self.on_fetched(result).await?,
                Some(checked) = self.checked.recv() => self.on_checked(checked).await?,
                _ = sleep => self.on_time().await?,
                _ = ticker.tick() => self.on_time().await?,
            }
        }
    }

    fn next_wake(&self) -> u64 {
        let mut at = self.wake.first().copied().unwrap_or(u64::MAX);
        if let Some(t) = self.next_height_at {
            at = at.min(t);
        }
        if let Some((_, _, t)) = self.deferred_proposal {
            at = at.min(t);
        }
        at
    }

    /// Timers: the core's timeouts, the next height, a deferred proposal, announcements.
    async fn on_time(&mut self) -> anyhow::Result<()> {
        if self.rebuild_partial() {
            self.retry_validations().await?;
            self.deliver_decided()?;
        }
        let now = now_ms();
        if self.wake.first().is_some_and(|&t| t <= now) {
            self.wake.retain(|&t| t > now);
            self.feed(Input::Tick { now }).await?;
        }
        if self.next_height_at.is_some_and(|t| t <= now) {
            self.next_height_at = None;
            self.height_started = Instant::now();
            self.feed(Input::StartHeight { height: self.last.height + 1 }).await?;
        }
        if let Some((height, round, deadline)) = self.deferred_proposal
            && (deadline <= now || !self.ctx.mempool.is_empty())
        {
            self.deferred_proposal = None;
            self.propose(height, round).await?;
        }
        self.housekeeping().await;
        Ok(())
    }

    /// Feeds one input to the core, then everything the host must answer at once.
    async fn feed(&mut self, input: Input) -> anyhow::Result<()> {
        let mut inbox = VecDeque::from([input]);
        while let Some(input) = inbox.pop_front() {
            // A failed WAL write is fatal: the node must not send what it could not persist.
            let effects = self
                .core
                .step(input)
                .persist(|entries| self.ctx.storage.wal_append(entries))
                .map_err(|e| anyhow::anyhow!("consensus WAL write failed: {e}"))?;
            for effect in effects {
                self.on_effect(effect, &mut inbox).await?;
            }
        }
        self.ctx.metrics.round.set(i64::from(self.core.round()));
        Ok(())
    }

    async fn on_effect(&mut self, effect: Effect, inbox: &mut VecDeque<Input>) -> anyhow::Result<()> {
        match effect {
            Effect::Send(message) => self.send(message).await,
            Effect::ScheduleTimeout { at, .. } => {
                self.wake.insert(at);
            }
            Effect::RequestProposal { height, round } => {
                if self.ctx.mempool.is_empty() {
                    // Wait a little for transactions rather than fill the chain with empty
                    // blocks, but well within the others' propose timeout.
                    let wait = self.ctx.genesis.consensus.timeout_propose_ms / 2;
                    self.deferred_proposal = Some((height, round, now_ms() + wait));
                } else {
                    inbox.extend(self.build_proposal(height, round));
                }
            }
            Effect::ValidateBlock { height, round, block_hash: hash } => match self.validate(height, round, hash) {
                Some(valid) => inbox.push_back(Input::BlockValidated { height, round, block_hash: hash, valid }),
                None => self.unvalidated.push((height, round, hash)),
            },
            Effect::Commit { height, block_hash: hash, certificate } => {
                self.rebuild_partial();
                if self.pending.contains_key(&hash) {
                    self.commit(height, hash, certificate)?;
                } else {
                    debug!(height, %hash, "decided a block this node has not received; fetching it");
                    self.undelivered = Some((height, hash, certificate));
                    self.fetch_block(hash);
                }
            }
            Effect::ReportEvidence(evidence) => self.on_evidence_found(evidence).await?,
        }
        Ok(())
    }

    /// Builds a proposal now (the deferred path).
    async fn propose(&mut self, height: Height, round: Round) -> anyhow::Result<()> {
        if let Some(input) = self.build_proposal(height, round) {
            self.feed(input).await?;
        }
        Ok(())
    }

    async fn send(&mut self, message: ConsensusMessage) {
        let gossip = match &message {
            ConsensusMessage::Proposal(p) => match self.pending.get(&p.proposal.block_hash) {
                Some(pending) => {
                    let tx_hashes = match &pending.txs {
                        Some(txs) => txs.iter().map(|t| t.hash()).collect(),
                        None => pending.block.transactions.iter().map(|b| Hash::digest(b)).collect(),
                    };
                    let block = &pending.block;
                    Gossip::Proposal {
                        proposal: p.clone(),
                        header: block.header.clone(),
                        tx_hashes,
                        last_commit: block.last_commit.clone(),
                    }
                }
                None => {
                    warn!(height = p.proposal.height, "proposal of a block this node no longer holds; not sent");
                    return;
                }
            },
            ConsensusMessage::Vote(_) => Gossip::Consensus(message),
        };
        self.publish(Topic::Consensus, wire::encode(&gossip)).await;
    }

    async fn publish(&self, topic: Topic, bytes: Vec<u8>) {
        if let Err(e) = self.net.publish(topic, bytes).await {
            // No peers yet, or a repeat: the periodic replay covers what was lost.
            debug!(%topic, error = %e, "publish failed");
        }
    }

    async fn on_network(&mut self, event: NetworkEvent) -> anyhow::Result<()> {
        match event {
            NetworkEvent::Gossip { topic: Topic::Transactions, data, id, .. } => {
                match wire::decode::<wire::TxBatch>(&data) {
                    Ok(wire::TxBatch(txs)) => {
                        // Admission verifies signatures off this task, in a bounded queue: when
                        // it is full the batch is dropped and counted (its transactions reach
                        // this node again in the proposal that carries them).
                        if let Err(e) = self.tx_gossip.try_send((txs, id)) {
                            self.ctx.metrics.tx_gossip_dropped.inc();
                            let (_, id) = e.into_inner();
                            self.inbound.verdict(id, Verdict::Ignore);
                        }
                    }
                    Err(e) => {
                        debug!(error = %e, "malformed transaction gossip dropped");
                        self.inbound.verdict(id, Verdict::Reject);
                    }
                }
            }
            NetworkEvent::Gossip { from, data, id, .. } => match wire::decode::<Gossip>(&data) {
                Ok(g) => self.on_gossip(g, from, id).await?,
                Err(e) => {
                    debug!(error = %e, "malformed gossip dropped");
                    self.inbound.verdict(id, Verdict::Reject);
                }
            },
            NetworkEvent::Request { peer, data, reply } => self.answer(peer, &data, reply),
            NetworkEvent::PeerConnected(peer) => {
                info!(%peer, "peer connected");
                self.publish_status();
            }
            NetworkEvent::PeerDisconnected(peer) => {
                info!(%peer, "peer disconnected");
                self.publish_status();
            }
            NetworkEvent::Refused { peer } => warn!(%peer, "connection refused: peer not in genesis"),
        }
        Ok(())
    }

    /// Gossip goes through [`inbound`] first: nothing reaches the core, `partial` or `pending`
    /// before its signature is verified.
    async fn on_gossip(&mut self, gossip: Gossip, from: Option<PeerId>, id: Option<GossipId>) -> anyhow::Result<()> {
        let last = self.last.height;
        match gossip {
            Gossip::Proposal { proposal, header, tx_hashes, last_commit } => {
                let p = &proposal.proposal;
                if p.proposer != self.core.proposer(p.height, p.round) {
                    debug!(height = p.height, round = p.round, "proposal from another than the round's proposer dropped");
                    self.inbound.drop(1);
                    self.inbound.verdict(id, Verdict::Reject);
                } else {
                    let compact = blocks::Compact { header, tx_hashes, last_commit, round: p.round };
                    self.inbound.proposal(proposal, compact, last, id);
                }
            }
            Gossip::Consensus(ConsensusMessage::Vote(v)) => self.inbound.messages(vec![ConsensusMessage::Vote(v)], last, from, id),
            // No node sends a plain proposal here (`send` makes every proposal compact; re-sent
            // proposals travel in `Gossip::Replay`): one that arrives is dropped.
            Gossip::Consensus(ConsensusMessage::Proposal(p)) => {
                debug!(height = p.proposal.height, "plain proposal gossip dropped: proposals travel compact");
                self.inbound.verdict(id, Verdict::Ignore);
            }
            Gossip::Replay { messages, .. } => self.inbound.messages(messages, last, from, id),
            Gossip::Evidence(evidence) => {
                let verdict = self.on_evidence_gossip(evidence, from)?;
                self.inbound.verdict(id, verdict);
            }
            Gossip::Status { height, certificate, .. } => {
                // Only news is checked: a peer repeating its height proves nothing new.
                match from {
                    Some(peer) if self.announced.get(&peer).is_none_or(|h| height > *h) => {
                        self.inbound.status(peer, height, certificate, id)
                    }
                    _ => self.inbound.verdict(id, Verdict::Ignore),
                }
            }
        }
        Ok(())
    }

    /// What [`inbound`] verified.
    async fn on_checked(&mut self, checked: inbound::Checked) -> anyhow::Result<()> {
        match checked {
            inbound::Checked::Messages { good, from, forged, suspect } => {
                if forged > 0 || suspect {
                    if forged > 0 {
                        debug!(peer = ?from, forged, "consensus messages with bad signatures dropped");
                    }
                    self.inbound.forged(from, forged);
                }
                for m in good {
                    let input = match m {
                        ConsensusMessage::Proposal(p) => {
                            // A re-sent proposal carries no header: its block's time is known only
                            // if the block or its compact proposal is here. If not, it is not
                            // timely: a block whose time this node never saw is not prevoted (a
                            // timely receipt of the compact proposal later still counts).
                            let hash = &p.proposal.block_hash;
                            let time = self.pending.get(hash).map(|b| b.block.header.time_ms);
                            let time = time.or_else(|| self.partial.get(hash).map(|c| c.header.time_ms));
                            let timely = self.timely(&p, time, false);
                            Input::Proposal { proposal: p, timely }
                        }
                        ConsensusMessage::Vote(v) => Input::Vote(v),
                    };
                    self.feed(input).await?;
                }
            }
            inbound::Checked::Proposal(proposal, compact) => {
                debug!(height = compact.header.height, round = proposal.proposal.round, txs = compact.tx_hashes.len(), "proposal received");
                let timely = self.timely(&proposal, Some(compact.header.time_ms), true);
                if self.add_compact(proposal.proposal.block_hash, compact) {
                    self.retry_validations().await?;
                }
                self.feed(Input::Proposal { proposal, timely }).await?;
            }
            inbound::Checked::Status(peer, proved) => {
                self.inbound.status_done(&peer);
                if let Some(height) = proved {
                    self.best_known = self.best_known.max(height);
                    self.ctx.metrics.behind.set(self.best_known.saturating_sub(self.last.height) as i64);
                    self.announced.insert(peer, height);
                    if height > self.last.height {
                        self.sync();
                    }
                }
            }
        }
        Ok(())
    }

    /// Holds a block received whole (a sync answer, a fetch by hash) if its body is the one its
    /// header commits to; otherwise the sender is marked faulty and the block dropped.
    fn add_block(&mut self, block: Block, from: PeerId) -> bool {
        if let Err(e) = block.check_body() {
            self.fault(from, e.to_string());
            return false;
        }
        let hash = block.hash();
        self.partial.remove(&hash);
        self.pending.entry(hash).or_insert_with(|| Pending { block: Arc::new(block), txs: None, pooled: None });
        true
    }

    /// Records that `peer` answered with something that does not prove what it claims.
    fn fault(&mut self, peer: PeerId, reason: String) {
        warn!(%peer, %reason, "a peer answered with what does not prove what it claims; it is asked last from now on");
        let entry = self.peer_faults.entry(peer).or_insert((0, Instant::now()));
        *entry = (entry.0.saturating_add(1), Instant::now());
        self.ctx.metrics.peer_faults.inc();
    }

    /// Commits the decided block that was waiting for its block, if it is now held.
    fn deliver_decided(&mut self) -> anyhow::Result<()> {
        if let Some((height, hash, certificate)) = self.undelivered.take() {
            if self.pending.contains_key(&hash) {
                self.commit(height, hash, certificate)?;
            } else {
                self.undelivered = Some((height, hash, certificate));
            }
        }
        Ok(())
    }

    /// Answers the validations that waited for a block now received.
    async fn retry_validations(&mut self) -> anyhow::Result<()> {
        let waiting = std::mem::take(&mut self.unvalidated);
        for (height, round, hash) in waiting {
            match self.validate(height, round, hash) {
                Some(valid) => self.feed(Input::BlockValidated { height, round, block_hash: hash, valid }).await?,
                None => self.unvalidated.push((height, round, hash)),
            }
        }
        Ok(())
    }

    /// The status the API shows, and the gauges that mirror it.
    fn publish_status(&self) {
        self.ctx.metrics.peers.set(self.net.connected_peers() as i64);
        let status = NodeStatus {
            name: self.ctx.name.clone(),
            role: self.ctx.role,
            chain_id: self.chain_id.clone(),
            genesis_hash: self.ctx.genesis_hash,
            height: self.last.height,
            block_hash: (self.last.height > 0).then_some(self.last.block_hash),
            app_hash: self.last.app_hash,
            block_time_ms: self.last_time_ms,
            round: self.core.round(),
            peers: self.net.connected_peers(),
            mempool_size: self.ctx.mempool.len(),
            behind: self.best_known.saturating_sub(self.last.height),
        };
        self.status.send_replace(status);
    }
}
