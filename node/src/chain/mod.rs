//! The chain host: the consensus core's host, as a state machine like the core. It takes one
//! [`task::Event`] at a time with the time (network messages, answers to its requests, results
//! of its background jobs, the clock) in [`Chain::handle`] and returns what to do as
//! [`task::Out`]s (gossip, verdicts, requests, answers, signature checks, block executions):
//! it builds and checks blocks, has decided blocks executed and stored, and fetches what it
//! lacks from peers. It reads no clock and iterates no hash map; the async chain task
//! ([`task::run`]) only moves bytes and runs the jobs.
//!
//! Everything the core asks for comes as a [`loanchain_consensus::Ready`], whose effects are handed
//! out only after its WAL entries are durable (fsync), so no message is sent before the safety
//! record of it (DESIGN §8). The host side is split by concern:
//!
//! | module | what |
//! |---|---|
//! | `inbound` | consensus traffic checked (height window, repeats, signatures in batches off this task) before anything holds it |
//! | `blocks` | proposing a block from the mempool; rebuilding compact proposals; answering `valid(v)` |
//! | `validate` | the block rules, with a typed [`BlockError`](validate::BlockError) |
//! | `commit` | executing a decided block, checking its certificate, storing it atomically |
//! | `sync` | status announcements, fetching blocks from peers, answering their requests |
//! | `evidence` | storing and gossiping equivocation evidence; checking what peers gossip |
//! | `task` | the async chain task: events in, outs carried out |

mod blocks;
mod commit;
pub mod evidence;
mod footprint;
mod inbound;
mod store;
mod sync;
mod task;
mod validate;

pub use commit::Executed;
pub use footprint::Footprint;
pub use inbound::Verified;
pub use store::ChainStore;
pub use sync::answer_from_storage;
pub use task::run;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use loanchain_api::NodeStatus;
use loanchain_consensus::{Config, Core, Effect, Input, Timeouts};
use loanchain_contracts::VerifiedTx;
use loanchain_network::{PeerId, Topic, Verdict};
use loanchain_storage::{LastCommitted, Storage};
use loanchain_types::{Block, CommitCertificate, ConsensusMessage, Hash, Height, Keypair, Round, ValidatorSet};
use tokio::sync::watch;
use tracing::{debug, info, warn};

use crate::context::NodeContext;
use crate::wire::{self, Gossip};
use inbound::verdict;
pub use task::{AnswerError, Event, ExecuteJob, GossipToken, Incoming, Out, Purpose, ReplyToken, VerifyJob};

/// After how long without proof that the chain moves the node's status says it is stale, ms
/// (peers announce their height every second, and an idle chain still commits empty blocks).
pub const STALE_AFTER_MS: u64 = 5_000;

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

/// The chain host's state, over its storage `S`.
pub struct Chain<S: ChainStore = Storage> {
    ctx: Arc<NodeContext<S>>,
    core: Core,
    /// The time of the event being handled, unix ms (the only clock the host sees).
    now: u64,
    /// What the event being handled asks the task to do.
    out: Vec<Out>,
    /// The peers connected now.
    peers: BTreeSet<PeerId>,
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
    /// Since when each missing block has been awaited, and when it was last asked for (ms).
    awaited: HashMap<Hash, u64>,
    asked: HashMap<Hash, u64>,
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
    announced: BTreeMap<PeerId, Height>,
    /// Answers from each peer that did not prove what they claimed, and when the last came: such
    /// a peer is asked last, and for sync not at all for a while (`sync::FAULT_BACKOFF`).
    peer_faults: BTreeMap<PeerId, (u32, u64)>,
    /// The block sync request out, to which peer and since when (ms).
    sync_out: Option<(PeerId, u64)>,
    /// Blocks being fetched by hash, and the peers not yet asked (the next to ask last).
    fetches: BTreeMap<Hash, Vec<PeerId>>,
    /// Certified blocks a sync answer brought, applied one at a time as each is executed.
    synced: VecDeque<(Block, CommitCertificate, PeerId)>,
    /// The decided block being executed and stored off this task, and where the result comes.
    executing: Option<commit::Executing>,
    /// Consensus traffic being checked.
    inbound: inbound::Inbound,
    status: watch::Sender<NodeStatus>,
    /// When the height began, the last commit came, the last announcement and re-send left (ms).
    height_started: u64,
    last_progress: u64,
    last_announce: u64,
    last_replay: u64,
    /// When this node last heard proof that the chain moves: its own commit, a peer's verified
    /// proposal, vote or height announcement (ms).
    last_heard: u64,
    /// When this node last pulled the height's messages from its peers (ms).
    last_pull: u64,
    /// When each peer's last pull was answered (ms); bounded by the allow-list.
    pulls_answered: BTreeMap<PeerId, u64>,
}

impl<S: ChainStore> Chain<S> {
    /// Recovers the core from storage (the WAL of the next height) and prepares to run.
    pub fn new(ctx: Arc<NodeContext<S>>, keypair: Option<Keypair>, status: watch::Sender<NodeStatus>) -> anyhow::Result<Chain<S>> {
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
        // The blocks this validator proposed at the next height, kept with the WAL: its
        // recovered proposals name them, and peers may ask for them.
        let mut pending = HashMap::new();
        for block in ctx.storage.wal_proposed_blocks()?.into_iter().filter(|b| b.header.height == last.height + 1) {
            pending.insert(block.hash(), Pending { block: Arc::new(block), txs: None, pooled: None });
        }
        if !pending.is_empty() {
            info!(height = last.height + 1, blocks = pending.len(), "proposed blocks recovered with the WAL");
        }
        let inbound = inbound::Inbound::new(validators.clone(), &genesis.chain_id, ctx.metrics.consensus_dropped.clone());
        Ok(Chain {
            inbound,
            chain_id: genesis.chain_id.clone(),
            ctx,
            core,
            now: 0,
            out: Vec::new(),
            peers: BTreeSet::new(),
            validators,
            last,
            last_time_ms,
            pending,
            partial: HashMap::new(),
            unvalidated: Vec::new(),
            awaited: HashMap::new(),
            asked: HashMap::new(),
            undelivered: None,
            deferred_proposal: None,
            next_height_at: None,
            wake: BTreeSet::new(),
            best_known: last.height,
            announced: BTreeMap::new(),
            peer_faults: BTreeMap::new(),
            sync_out: None,
            fetches: BTreeMap::new(),
            synced: VecDeque::new(),
            executing: None,
            status,
            height_started: 0,
            last_progress: 0,
            last_announce: 0,
            last_replay: 0,
            last_pull: 0,
            last_heard: 0,
            pulls_answered: BTreeMap::new(),
        })
    }

    /// Handles one event at `now` (unix ms; never earlier than the last): the state machine's
    /// one entry. Returns what the task must do, in order; everything the core signed in it is
    /// already in the WAL. An error is fatal: the node stops rather than diverge.
    pub fn handle(&mut self, now: u64, event: Event) -> anyhow::Result<Vec<Out>> {
        self.now = self.now.max(now);
        match event {
            Event::Start => {
                self.height_started = self.now;
                self.last_progress = self.now;
                self.last_announce = self.now;
                self.last_replay = self.now;
                self.last_heard = self.now;
                // `feed` ticks the core's clock first: at time 0 every timeout would be due at
                // once, and round 0 timed out before its proposal could arrive.
                self.feed(Input::Start)?;
                self.publish_status();
            }
            Event::Tick => self.on_time()?,
            Event::Network(event) => self.on_network(event)?,
            Event::Answered { peer, purpose, answer } => self.on_answer(peer, purpose, answer)?,
            Event::Verified(v) => {
                self.inbound.job_done(&mut self.out);
                verdict(&mut self.out, v.id, v.verdict);
                if let Some(checked) = v.checked {
                    self.on_checked(checked)?;
                }
            }
            Event::Executed(result) => self.on_executed(result)?,
        }
        Ok(std::mem::take(&mut self.out))
    }

    /// When the host next needs the clock (its earliest timer), unix ms.
    pub fn next_wake(&self) -> u64 {
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
    fn on_time(&mut self) -> anyhow::Result<()> {
        if self.rebuild_partial() {
            self.retry_validations()?;
            self.deliver_decided()?;
        }
        let now = self.now;
        if self.wake.first().is_some_and(|&t| t <= now) {
            self.wake.retain(|&t| t > now);
            self.feed(Input::Tick { now })?;
        }
        if self.next_height_at.is_some_and(|t| t <= now) {
            self.next_height_at = None;
            self.height_started = now;
            self.feed(Input::StartHeight { height: self.last.height + 1 })?;
        }
        if let Some((height, round, deadline)) = self.deferred_proposal
            && (deadline <= now || !self.ctx.mempool.is_empty())
        {
            self.deferred_proposal = None;
            self.propose(height, round)?;
        }
        self.housekeeping();
        Ok(())
    }

    /// Feeds one input to the core, then everything the host must answer at once.
    fn feed(&mut self, input: Input) -> anyhow::Result<()> {
        let mut inbox = VecDeque::from([input]);
        // The core's clock first: it schedules timeouts from it, and a height started after the
        // commit pause must count its timeouts from now, not from the last tick.
        if self.core.now() < self.now {
            inbox.push_front(Input::Tick { now: self.now });
        }
        while let Some(input) = inbox.pop_front() {
            // A failed WAL write is fatal: the node must not send what it could not persist.
            let effects = self
                .core
                .step(input)
                .persist(|entries| self.ctx.storage.wal_append(entries))
                .map_err(|e| anyhow::anyhow!("consensus WAL write failed: {e}"))?;
            for effect in effects {
                self.on_effect(effect, &mut inbox)?;
            }
        }
        self.ctx.metrics.round.set(i64::from(self.core.round()));
        Ok(())
    }

    fn on_effect(&mut self, effect: Effect, inbox: &mut VecDeque<Input>) -> anyhow::Result<()> {
        match effect {
            Effect::Send(message) => self.send(message),
            Effect::ScheduleTimeout { at, .. } => {
                self.wake.insert(at);
            }
            Effect::RequestProposal { height, round } => {
                if self.ctx.mempool.is_empty() {
                    // Wait a little for transactions rather than fill the chain with empty
                    // blocks, but well within the others' propose timeout.
                    let wait = self.ctx.genesis.consensus.timeout_propose_ms / 2;
                    self.deferred_proposal = Some((height, round, self.now + wait));
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
            Effect::ReportEvidence(evidence) => self.on_evidence_found(evidence)?,
        }
        Ok(())
    }

    /// Builds a proposal now (the deferred path).
    fn propose(&mut self, height: Height, round: Round) -> anyhow::Result<()> {
        if let Some(input) = self.build_proposal(height, round) {
            self.feed(input)?;
        }
        Ok(())
    }

    fn send(&mut self, message: ConsensusMessage) {
        if let Some(gossip) = self.gossip_of(message) {
            self.out.push(Out::Publish(Topic::Consensus, wire::encode(&gossip)));
        }
    }

    /// How `message` travels: a proposal compact, with its block's header and transaction list
    /// (`None` if this node no longer holds the block), a vote as itself.
    fn gossip_of(&self, message: ConsensusMessage) -> Option<Gossip> {
        match message {
            ConsensusMessage::Proposal(p) => match self.pending.get(&p.proposal.block_hash) {
                Some(pending) => {
                    let tx_hashes = match &pending.txs {
                        Some(txs) => txs.iter().map(|t| t.hash()).collect(),
                        None => pending.block.transactions.iter().map(|b| Hash::digest(b)).collect(),
                    };
                    let block = &pending.block;
                    Some(Gossip::Proposal { proposal: p, header: block.header.clone(), tx_hashes, last_commit: block.last_commit.clone() })
                }
                None => {
                    warn!(height = p.proposal.height, "proposal of a block this node no longer holds; not sent");
                    None
                }
            },
            vote @ ConsensusMessage::Vote(_) => Some(Gossip::Consensus(vote)),
        }
    }

    fn on_network(&mut self, event: Incoming) -> anyhow::Result<()> {
        match event {
            Incoming::Gossip { topic: Topic::Transactions, data, id, .. } => match wire::decode::<wire::TxBatch>(&data) {
                // Admission verifies signatures off the chain task.
                Ok(wire::TxBatch(txs)) => self.out.push(Out::Admit(txs, id)),
                Err(e) => {
                    debug!(error = %e, "malformed transaction gossip dropped");
                    verdict(&mut self.out, id, Verdict::Reject);
                }
            },
            Incoming::Gossip { from, data, id, .. } => match wire::decode::<Gossip>(&data) {
                Ok(g) => self.on_gossip(g, from, id)?,
                Err(e) => {
                    debug!(error = %e, "malformed gossip dropped");
                    verdict(&mut self.out, id, Verdict::Reject);
                }
            },
            Incoming::Request { peer, data, reply } => self.answer(peer, &data, reply),
            Incoming::PeerConnected(peer) => {
                info!(%peer, "peer connected");
                self.peers.insert(peer);
                self.publish_status();
            }
            Incoming::PeerDisconnected(peer) => {
                info!(%peer, "peer disconnected");
                self.peers.remove(&peer);
                self.publish_status();
            }
            Incoming::Refused(peer) => warn!(%peer, "connection refused: peer not in genesis"),
        }
        Ok(())
    }

    /// Gossip goes through [`inbound`] first: nothing reaches the core, `partial` or `pending`
    /// before its signature is verified.
    fn on_gossip(&mut self, gossip: Gossip, from: Option<PeerId>, id: Option<GossipToken>) -> anyhow::Result<()> {
        let (last, now, out) = (self.last.height, self.now, &mut self.out);
        match gossip {
            Gossip::Proposal { proposal, header, tx_hashes, last_commit } => {
                let p = &proposal.proposal;
                if p.proposer != self.core.proposer(p.height, p.round) {
                    debug!(height = p.height, round = p.round, "proposal from another than the round's proposer dropped");
                    self.inbound.drop(1);
                    verdict(out, id, Verdict::Reject);
                } else {
                    let compact = blocks::Compact { header, tx_hashes, last_commit, round: p.round };
                    self.inbound.proposal(proposal, compact, last, from, id, now, out);
                }
            }
            Gossip::Consensus(ConsensusMessage::Vote(v)) => {
                self.inbound.messages(vec![ConsensusMessage::Vote(v)], last, from, id, now, out)
            }
            // No node sends a plain proposal here (`send` makes every proposal compact; re-sent
            // proposals travel in `Gossip::Replay`): one that arrives is dropped.
            Gossip::Consensus(ConsensusMessage::Proposal(p)) => {
                debug!(height = p.proposal.height, "plain proposal gossip dropped: proposals travel compact");
                verdict(out, id, Verdict::Ignore);
            }
            Gossip::Replay { messages, .. } => self.inbound.messages(messages, last, from, id, now, out),
            Gossip::Evidence(evidence) => {
                let v = self.on_evidence_gossip(evidence, from)?;
                verdict(&mut self.out, id, v);
            }
            Gossip::Status { height, certificate, .. } => {
                // Only news is checked: a peer repeating its height proves nothing new.
                match from {
                    Some(peer) if self.announced.get(&peer).is_none_or(|h| height > *h) => {
                        self.inbound.status(peer, height, certificate, id, out)
                    }
                    _ => verdict(out, id, Verdict::Ignore),
                }
            }
        }
        Ok(())
    }

    /// What [`inbound`] verified.
    fn on_checked(&mut self, checked: inbound::Checked) -> anyhow::Result<()> {
        match checked {
            inbound::Checked::Messages { good, from, forged, suspect } => {
                if forged > 0 || suspect {
                    if forged > 0 {
                        debug!(peer = ?from, forged, "consensus messages with bad signatures dropped");
                    }
                    self.inbound.forged(from, forged, self.now);
                }
                if !good.is_empty() {
                    self.last_heard = self.now;
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
                    self.feed(input)?;
                }
            }
            inbound::Checked::Proposal { proposal, compact, from, suspect } => {
                if suspect {
                    // A suspect's job ended without a forgery.
                    self.inbound.forged(from, 0, self.now);
                }
                self.last_heard = self.now;
                debug!(height = compact.header.height, round = proposal.proposal.round, txs = compact.tx_hashes.len(), "proposal received");
                let timely = self.timely(&proposal, Some(compact.header.time_ms), true);
                if self.add_compact(proposal.proposal.block_hash, compact) {
                    self.retry_validations()?;
                }
                self.feed(Input::Proposal { proposal, timely })?;
            }
            inbound::Checked::Status(peer, proved) => {
                self.inbound.status_done(&peer);
                if let Some(height) = proved {
                    if height >= self.last.height {
                        self.last_heard = self.now;
                    }
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
        let now = self.now;
        let entry = self.peer_faults.entry(peer).or_insert((0, now));
        *entry = (entry.0.saturating_add(1), now);
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
    fn retry_validations(&mut self) -> anyhow::Result<()> {
        let waiting = std::mem::take(&mut self.unvalidated);
        for (height, round, hash) in waiting {
            match self.validate(height, round, hash) {
                Some(valid) => self.feed(Input::BlockValidated { height, round, block_hash: hash, valid })?,
                None => self.unvalidated.push((height, round, hash)),
            }
        }
        Ok(())
    }

    /// The status the API shows, and the gauges that mirror it.
    fn publish_status(&self) {
        self.ctx.metrics.peers.set(self.peers.len() as i64);
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
            peers: self.peers.len(),
            mempool_size: self.ctx.mempool.len(),
            behind: self.best_known.saturating_sub(self.last.height),
            stale: self.peers.is_empty() || self.now.saturating_sub(self.last_heard) > STALE_AFTER_MS,
        };
        self.status.send_replace(status);
    }
}
