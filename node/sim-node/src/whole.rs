//! The whole node in the simulator (issue 16's design change): N validators each run the node's
//! real chain host ([`loanchain_node::chain::Chain`]) over an in-memory store
//! ([`MemChainStore`]), with real transactions, real block bodies, real signatures and real
//! execution, on a simulated network with virtual time and per-link latency. Clients submit
//! signed deposits to random validators through the node's own admission ([`admit_now`]), and
//! the validators gossip them as the node's batcher does.
//!
//! The host's background jobs (signature checks, block execution) run at once and their results
//! come back a millisecond later; its requests reach the peer they name and its answers come
//! back over the same links, through the wire encoding with its size bounds.
//!
//! The checker: agreement (one block per height, equal app hashes), validity (every stored
//! block's body matches its header and its certificate verifies), durability of what clients
//! saw committed (on every node, with the same location), and progress (a bound on the heights
//! reached). Everything follows from the seed: [`WholeOutcome::trace_hash`] is the same for the
//! same seed.

use std::collections::BTreeMap;
use std::sync::Arc;

use loanchain_api::{NodeRole, NodeStatus};
use loanchain_contracts::{Amount, Hash, Keypair, Payload, SignedTransaction, TxBody, init_genesis};
use loanchain_genesis::{DevnetFiles, DevnetSpec, devnet};
use loanchain_network::{PeerId, Topic, peer_id_from_secret};
use loanchain_node::admission::admit_now;
use loanchain_node::chain::{AnswerError, Chain, ChainStore, Event, Footprint, Incoming, Out, Purpose, ReplyToken, answer_from_storage};
use loanchain_node::context::{NodeContext, WorkLimits};
use loanchain_node::mempool::Mempool;
use loanchain_node::metrics::Metrics;
use loanchain_node::wire::{self, SyncRequest, SyncResponse, TxBatch};
use sha2::{Digest, Sha256};
use tokio::sync::{broadcast, watch};

use crate::faults::Crash;

mod check;
mod crash;
use crate::mocks::{self, Act, Mock, World};
use crate::store::MemChainStore;
use check::{check, signed_after_restart};
use loanchain_sim::rng::Rng;

/// The genesis time of every simulated chain, unix ms; virtual time starts a second later.
const GENESIS_TIME: u64 = 1_800_000_000_000;
/// How often each host is ticked (the node's task ticks every 20 ms).
const TICK_MS: u64 = 20;

/// One whole-node run.
#[derive(Clone, Debug)]
pub struct WholeOptions {
    /// The seed: everything follows from it.
    pub seed: u64,
    /// Validators (4 to 10).
    pub validators: usize,
    /// Virtual duration, ms.
    pub duration_ms: u64,
    /// Client deposits per virtual second.
    pub tx_per_second: u64,
    /// A Byzantine peer ([`crate::mocks::ALL`]), if any.
    pub mock: Option<String>,
    /// The pause after a commit, ms (`None`: the devnet's).
    pub timeout_commit_ms: Option<u64>,
    /// From this many ms into the run, gossip between the two halves of the validators stops for
    /// good, both ways, while requests still pass: what a gossip stream that dies inside a live
    /// connection does (issue 16, weakness 9, where a 7-validator devnet split so and froze).
    pub gossip_split_at_ms: Option<u64>,
    /// From and until how many ms into the run the last validator is cut off: nothing reaches it
    /// or leaves it (its requests time out).
    pub isolate_last: Option<(u64, u64)>,
    /// Each copy of a gossip message to one peer is lost with this probability, percent: what
    /// gossipsub does to a peer whose send queue is full (issue 16, weakness 10's
    /// `failed_messages`). Requests and answers travel on their own streams over TCP, which
    /// loses nothing while the connection lives (partitions and crashes end connections).
    pub loss_percent: u64,
    /// From and until how many ms into the run the validators are split in two halves: nothing
    /// passes between them (requests time out); then it heals.
    pub partition: Option<(u64, u64)>,
    /// Validators that crash and restart from their stores ([`crate::faults`]).
    pub crashes: Vec<Crash>,
}

impl WholeOptions {
    /// A run of `validators` honest validators for `duration_ms`, 20 client deposits a second, no
    /// mock and no fault ([`crate::faults::with_mix`] adds them).
    pub fn new(seed: u64, validators: usize, duration_ms: u64) -> WholeOptions {
        WholeOptions {
            seed,
            validators,
            duration_ms,
            tx_per_second: 20,
            mock: None,
            timeout_commit_ms: None,
            gossip_split_at_ms: None,
            isolate_last: None,
            loss_percent: 0,
            partition: None,
            crashes: Vec::new(),
        }
    }
}

/// What a run did and what the checker found.
#[derive(Clone, Debug)]
pub struct WholeOutcome {
    /// Each validator's committed height at the end.
    pub heights: Vec<u64>,
    /// The round each of node 0's blocks was decided in.
    pub rounds: Vec<u32>,
    /// Transactions clients saw committed (by the node they submitted to).
    pub committed: usize,
    /// Transactions submitted and admitted.
    pub admitted: usize,
    /// Hash of every event delivered (time, node, kind): the same for the same seed.
    pub trace_hash: String,
    /// Whether each validator's status ever said it was stale (sampled every tick from 2 s on).
    pub ever_stale: Vec<bool>,
    /// Whether each validator's status says so at the end.
    pub stale_at_end: Vec<bool>,
    /// What the checker found wrong; empty when all holds.
    pub violations: Vec<String>,
    /// Whether each validator, after its last restart, signed a certificate that node 0 holds
    /// (false for one that never restarted).
    pub signed_after_restart: Vec<bool>,
    /// The most each kind of host state held, over every node and tick.
    pub peak: Footprint,
    /// For a mock that sends transactions: how many it sent, and how many node 0 committed.
    pub mock_tally: Option<(usize, usize)>,
}

struct Node {
    chain: Chain<MemChainStore>,
    ctx: Arc<NodeContext<MemChainStore>>,
    peer: PeerId,
    /// Its index in the devnet's nodes (keys, name).
    spec: usize,
}

struct Sim {
    nodes: Vec<Node>,
    /// Until when each node is down (not started yet), ms.
    down_until: Vec<u64>,
    mock: Option<(Box<dyn Mock>, PeerId)>,
    queue: BTreeMap<(u64, u64), (usize, Event)>,
    seq: u64,
    rng: Rng,
    /// Base one-way latency of each link, ms.
    latency: Vec<Vec<u64>>,
    replies: BTreeMap<u64, (usize, Purpose)>,
    trace: Sha256,
    violations: Vec<String>,
    files: DevnetFiles,
    /// Since when gossip between the halves is lost (virtual time, ms).
    split_from: Option<u64>,
    /// When the last validator is cut off (virtual time, ms, from and until).
    isolated: Option<(u64, u64)>,
    /// When the halves are split (virtual time, ms, from and until).
    partition: Option<(u64, u64)>,
    /// Each message copy lost with this probability, percent.
    loss_percent: u64,
    /// Draws for losses only, so a run without them draws nothing more from `rng`.
    loss_rng: Rng,
    /// Whether each node is down after a crash (to restart when due).
    crashed: Vec<bool>,
    /// The height each node restarted at, last time.
    restarted_at: Vec<Option<u64>>,
}

impl Sim {
    /// Whether gossip from `from` reaches `to` at `now`.
    fn gossip_passes(&self, now: u64, from: usize, to: usize) -> bool {
        let half = self.nodes.len() / 2;
        self.split_from.is_none_or(|t| now < t || (from < half) == (to < half)) && self.link_up(now, from, to)
    }

    /// Whether anything passes between `a` and `b` at `now` (the last validator may be cut off,
    /// the halves may be split).
    fn link_up(&self, now: u64, a: usize, b: usize) -> bool {
        let (last, half) = (self.nodes.len() - 1, self.nodes.len() / 2);
        self.isolated.is_none_or(|(from, until)| now < from || now >= until || (a != last && b != last))
            && self.partition.is_none_or(|(from, until)| now < from || now >= until || (a < half) == (b < half))
    }

    /// Whether this copy of a gossip message is lost.
    fn lost(&mut self) -> bool {
        self.loss_percent > 0 && self.loss_rng.range(1, 100) <= self.loss_percent
    }

    fn push(&mut self, at: u64, node: usize, event: Event) {
        self.seq += 1;
        self.queue.insert((at, self.seq), (node, event));
    }

    fn link(&mut self, from: usize, to: usize) -> u64 {
        self.latency[from][to] + self.rng.range(0, 2)
    }

    fn index_of(&self, peer: &PeerId) -> Option<usize> {
        self.nodes.iter().position(|n| n.peer == *peer)
    }

    fn carry(&mut self, now: u64, from: usize, out: Vec<Out>) {
        for o in out {
            match o {
                Out::Publish(topic, bytes) => {
                    let up: Vec<usize> = (0..self.nodes.len())
                        .filter(|&to| to != from && now >= self.down_until[to] && self.gossip_passes(now, from, to))
                        .collect();
                    for to in up {
                        if self.lost() {
                            continue;
                        }
                        let at = now + self.link(from, to);
                        let incoming = Incoming::Gossip { topic, from: Some(self.nodes[from].peer), data: bytes.clone(), id: None };
                        self.push(at, to, Event::Network(incoming));
                    }
                }
                // Gossip here has no validation mode: nothing awaits a verdict.
                Out::Verdict(..) => {}
                Out::Request { peer, request, purpose } => {
                    let Some(to) = self.index_of(&peer) else {
                        self.ask_mock(now, from, peer, &request, purpose);
                        continue;
                    };
                    if now < self.down_until[to] || !self.link_up(now, from, to) {
                        // Nobody answers: the request times out.
                        let answer = Err(AnswerError::Failed("timeout".into()));
                        self.push(now + 5_000, from, Event::Answered { peer, purpose, answer });
                        continue;
                    }
                    self.seq += 1;
                    let token = self.seq;
                    self.replies.insert(token, (from, purpose));
                    let at = now + self.link(from, to);
                    let incoming =
                        Incoming::Request { peer: self.nodes[from].peer, data: wire::encode(&request), reply: ReplyToken(token) };
                    self.push(at, to, Event::Network(incoming));
                }
                Out::Respond(reply, answer) => self.answer(now, from, reply, answer),
                Out::Serve { reply, request, last, .. } => {
                    let answer = answer_from_storage(&*self.nodes[from].ctx.storage, request, last);
                    self.answer(now, from, reply, answer);
                }
                Out::Verify(job) => {
                    let verified = job();
                    self.push(now + 1, from, Event::Verified(verified));
                }
                Out::Execute(job) => {
                    let executed = job();
                    self.push(now + 2, from, Event::Executed(executed));
                }
                Out::Admit(txs, _) => {
                    self.admit(from, txs);
                }
            }
        }
    }

    /// A request to the Byzantine peer: its answer, or a timeout.
    fn ask_mock(&mut self, now: u64, from: usize, peer: PeerId, request: &SyncRequest, purpose: Purpose) {
        let Some((mut mock, mock_peer)) = self.mock.take() else { return };
        let answer = if mock_peer == peer {
            let world = World { now, stores: self.nodes.iter().map(|n| &*n.ctx.storage).collect(), files: &self.files };
            mock.answer(request, &world)
        } else {
            None
        };
        self.mock = Some((mock, mock_peer));
        let (at, answer) = match answer {
            Some(a) => (now + 5, wire::decode::<SyncResponse>(&wire::encode(&a)).map_err(|e| AnswerError::Malformed(e.to_string()))),
            None => (now + 5_000, Err(AnswerError::Failed("timeout".into()))),
        };
        self.push(at, from, Event::Answered { peer, purpose, answer });
    }

    /// The Byzantine peer's tick: what it publishes reaches every node that is up.
    fn mock_tick(&mut self, now: u64) {
        let Some((mut mock, peer)) = self.mock.take() else { return };
        let acts = {
            let world = World { now, stores: self.nodes.iter().map(|n| &*n.ctx.storage).collect(), files: &self.files };
            mock.tick(&world, &mut self.rng)
        };
        self.mock = Some((mock, peer));
        for act in acts {
            match act {
                Act::Publish(topic, data) => {
                    let up: Vec<usize> = (0..self.nodes.len()).filter(|&to| now >= self.down_until[to]).collect();
                    for to in up {
                        let incoming = Incoming::Gossip { topic, from: Some(peer), data: data.clone(), id: None };
                        self.push(now + 5, to, Event::Network(incoming));
                    }
                }
                Act::Submit(to, tx) => {
                    if to < self.nodes.len() && now >= self.down_until[to] {
                        self.admit(to, vec![tx]);
                    }
                }
            }
        }
    }

    /// An answer travels back to the node that asked, through the wire's encoding and bounds.
    fn answer(&mut self, now: u64, from: usize, reply: ReplyToken, answer: SyncResponse) {
        let Some((to, purpose)) = self.replies.remove(&reply.0) else { return };
        if !self.link_up(now, from, to) {
            let answer = Err(AnswerError::Failed("timeout".into()));
            self.push(now + 5_000, to, Event::Answered { peer: self.nodes[from].peer, purpose, answer });
            return;
        }
        let answer = wire::decode::<SyncResponse>(&wire::encode(&answer)).map_err(|e| AnswerError::Malformed(e.to_string()));
        let at = now + self.link(from, to);
        self.push(at, to, Event::Answered { peer: self.nodes[from].peer, purpose, answer });
    }

    /// Admission on node `at`, as the node admits: what it admits.
    fn admit(&mut self, at: usize, txs: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
        let ctx = &self.nodes[at].ctx;
        let next_height = ctx.storage.last_committed().map_or(1, |l| l.height + 1);
        let verdicts = admit_now(&ctx.genesis.chain_id, &ctx.mempool, &*ctx.storage, &ctx.genesis.params, next_height, &ctx.metrics, txs);
        verdicts.into_iter().filter_map(|(v, bytes)| v.ok().and(bytes)).collect()
    }

    fn record(&mut self, now: u64, node: usize, event: &Event) {
        let kind = match event {
            Event::Start => "start".to_string(),
            Event::Tick => "tick".to_string(),
            Event::Network(Incoming::Gossip { topic, data, .. }) => format!("gossip {topic} {}", hex::encode(&Sha256::digest(data)[..8])),
            Event::Network(Incoming::Request { data, .. }) => format!("request {}", hex::encode(&Sha256::digest(data)[..8])),
            Event::Network(other) => format!("peer {}", matches!(other, Incoming::PeerConnected(_))),
            Event::Answered { purpose, .. } => format!("answer {purpose:?}"),
            Event::Verified(_) => "verified".to_string(),
            Event::Executed(_) => "executed".to_string(),
        };
        self.trace.update(format!("{now} {node} {kind}\n").as_bytes());
    }
}

fn account(files: &DevnetFiles, name: &str) -> Keypair {
    files.accounts.iter().find(|(n, _)| n == name).map(|(_, k)| k.keypair().clone()).unwrap_or_else(|| panic!("the devnet has no {name}"))
}

/// Runs one whole-node simulation.
pub fn run_whole(opts: &WholeOptions) -> WholeOutcome {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&opts.seed.to_le_bytes());
    let mut files = devnet(&DevnetSpec::new(opts.validators, 1, GENESIS_TIME), &seed).expect("a devnet of 4 to 10 validators");
    if let Some(pause) = opts.timeout_commit_ms {
        files.genesis.consensus.timeout_commit_ms = pause;
    }
    let mock = opts.mock.as_deref().map(|name| mocks::by_name(name, opts.validators).unwrap_or_else(|| panic!("no mock named {name}")));
    let replaced = mock.as_ref().and_then(|m| m.replaces());
    let late = mock.as_ref().is_some_and(|m| m.wants_a_late_joiner());
    // The Byzantine peer takes the observer's network identity.
    let mock_peer = peer_id_from_secret(files.nodes[opts.validators].node_key.keypair().secret_bytes());
    let genesis = Arc::new(files.genesis.clone());
    let (writes, app_hash) = init_genesis(&genesis.params, &genesis.accounts).expect("the devnet's genesis state");
    let mut nodes = Vec::new();
    for (i, n) in files.nodes.iter().enumerate().take(opts.validators).filter(|(i, _)| Some(*i) != replaced) {
        nodes.push(honest_node(n, i, &genesis, Arc::new(MemChainStore::with_genesis(&writes, app_hash))));
    }
    let mut rng = Rng::new(opts.seed);
    let count = nodes.len();
    let latency = (0..count).map(|_| (0..count).map(|_| rng.range(2, 31)).collect()).collect();
    let start = GENESIS_TIME + 1_000;
    let end = start + opts.duration_ms;
    let mut down_until = vec![start; count];
    if late {
        down_until[count - 1] = start + opts.duration_ms / 3;
    }
    let mut sim = Sim {
        nodes,
        down_until,
        mock: mock.map(|m| (m, mock_peer)),
        queue: BTreeMap::new(),
        seq: 0,
        rng,
        latency,
        replies: BTreeMap::new(),
        trace: Sha256::new(),
        violations: Vec::new(),
        files: files.clone(),
        split_from: opts.gossip_split_at_ms.map(|t| start + t),
        isolated: opts.isolate_last.map(|(a, b)| (start + a, start + b)),
        partition: opts.partition.map(|(a, b)| (start + a, start + b)),
        loss_percent: opts.loss_percent,
        loss_rng: Rng::new(opts.seed ^ 0x1055_0000_0000_0000),
        crashed: vec![false; count],
        restarted_at: vec![None; count],
    };
    // Crashes and restarts, in time order; a crash of a node that is down is ignored, and so is
    // the restart it would have had.
    let mut plan: Vec<(u64, usize, Option<u64>)> = Vec::new();
    for c in opts.crashes.iter().filter(|c| c.node < count) {
        plan.push((start + c.at_ms, c.node, Some(start + c.until_ms)));
        plan.push((start + c.until_ms, c.node, None));
    }
    plan.sort_by_key(|&(at, node, until)| (at, until.is_none(), node));
    let mut plan = plan.into_iter().peekable();
    let mut ever_stale = vec![false; count];
    // The last heal (a partition's or a cut's end, a restart): the highest height then, to check
    // that every node commits after it.
    let heal_at = [opts.partition.map(|p| p.1), opts.isolate_last.map(|p| p.1), opts.crashes.iter().map(|c| c.until_ms).max()]
        .into_iter()
        .flatten()
        .max()
        .map(|t| start + t);
    let mut top_at_heal = None;
    let mut peak = Footprint::default();
    let peers = files.nodes.len();
    for i in 0..count {
        let up = sim.down_until[i];
        for j in (0..count).filter(|&j| j != i) {
            let (peer, at) = (sim.nodes[j].peer, up.max(sim.down_until[j]));
            sim.push(at, i, Event::Network(Incoming::PeerConnected(peer)));
        }
        if sim.mock.is_some() {
            sim.push(up, i, Event::Network(Incoming::PeerConnected(mock_peer)));
        }
        let at = up + sim.rng.range(1, 50);
        sim.push(at, i, Event::Start);
    }
    // Client deposits, from the custodian to the institutions, each to a random validator.
    let custodian = account(&files, "custodian");
    let institutions: Vec<_> = (0..opts.validators).map(|i| account(&files, &format!("institution-{i}")).public().account_id()).collect();
    let every = 1_000 / opts.tx_per_second.max(1);
    let mut submitted: Vec<(Hash, usize)> = Vec::new();
    let mut next_submit = start + 500;
    let mut next_tick = start;
    let mut nonce = 0u64;
    let mut admitted = 0;

    loop {
        let queued = sim.queue.first_key_value().map_or(u64::MAX, |(&(at, _), _)| at);
        let planned = plan.peek().map_or(u64::MAX, |p| p.0);
        let now = queued.min(next_submit).min(next_tick).min(planned);
        if now > end {
            break;
        }
        if now == planned {
            match plan.next() {
                Some((at, node, Some(until))) => sim.crash(at, node, until),
                Some((at, node, None)) => sim.restart(at, node, &genesis),
                None => {}
            }
            continue;
        }
        if now == next_tick {
            if top_at_heal.is_none() && heal_at.is_some_and(|h| now >= h) {
                let top = sim.nodes.iter().map(|n| n.ctx.storage.last_committed().map_or(0, |l| l.height)).max();
                top_at_heal = Some((now - start, top.unwrap_or(0)));
            }
            next_tick += TICK_MS;
            for (i, stale) in ever_stale.iter_mut().enumerate() {
                if now >= sim.down_until[i] {
                    sim.push(now, i, Event::Tick);
                    // After the first two seconds: before its peers connect a node is stale.
                    *stale |= now >= start + 2_000 && sim.nodes[i].ctx.status.borrow().stale;
                    let footprint = sim.nodes[i].chain.footprint();
                    if let Err(e) = footprint.check_bounds(peers)
                        && peak.check_bounds(peers).is_ok()
                    {
                        sim.violations.push(format!("memory: {} at {} ms: {e}", sim.nodes[i].ctx.name, now - start));
                    }
                    peak = peak.max(footprint);
                }
            }
            sim.mock_tick(now);
            continue;
        }
        if now == next_submit {
            next_submit += every;
            nonce += 1;
            let to = sim.rng.index(count);
            if now < sim.down_until[to] {
                continue;
            }
            let height = sim.nodes[to].ctx.storage.last_committed().map_or(0, |l| l.height);
            let payload = Payload::Deposit {
                account: institutions[nonce as usize % institutions.len()],
                amount: Amount::yuan(1 + nonce % 7),
                reference: format!("sim {nonce}"),
            };
            let tx = SignedTransaction::sign(&genesis.chain_id, TxBody { nonce, valid_until_height: height + 100, payload }, &custodian);
            let accepted = sim.admit(to, vec![tx.to_bytes()]);
            if !accepted.is_empty() {
                admitted += 1;
                submitted.push((tx.hash(), to));
                sim.carry(now, to, vec![Out::Publish(Topic::Transactions, wire::encode(&TxBatch(accepted)))]);
            }
            continue;
        }
        let ((at, _), (node, event)) = sim.queue.pop_first().expect("the queue is not empty");
        if at < sim.down_until[node] {
            continue;
        }
        sim.record(at, node, &event);
        match sim.nodes[node].chain.handle(at, event) {
            Ok(out) => sim.carry(at, node, out),
            Err(e) => sim.violations.push(format!("{} stopped at {at}: {e:#}", sim.nodes[node].ctx.name)),
        }
    }
    check(&mut sim, &submitted, opts, top_at_heal);
    let (mock_tally, must_not_land) = sim.mock.as_ref().map_or((None, false), |(mock, _)| {
        let world = World { now: end, stores: sim.nodes.iter().map(|n| &*n.ctx.storage).collect(), files: &sim.files };
        (mock.tally(&world), mock.must_not_land())
    });
    if let Some((sent, landed)) = mock_tally.filter(|t| must_not_land && t.1 > 0) {
        sim.violations.push(format!("{landed} of the {sent} the Byzantine peer sent were committed"));
    }
    let committed = submitted.iter().filter(|(h, to)| sim.nodes[*to].ctx.storage.tx_location(h).ok().flatten().is_some()).count();
    WholeOutcome {
        heights: sim.nodes.iter().map(|n| n.ctx.storage.last_committed().map_or(0, |l| l.height)).collect(),
        rounds: (1..=sim.nodes[0].ctx.storage.last_committed().map_or(0, |l| l.height))
            .filter_map(|h| sim.nodes[0].ctx.storage.certificate(h).ok().flatten().map(|c| c.round))
            .collect(),
        committed,
        admitted,
        trace_hash: hex::encode(sim.trace.clone().finalize()),
        ever_stale,
        stale_at_end: sim.nodes.iter().map(|n| n.ctx.status.borrow().stale).collect(),
        signed_after_restart: signed_after_restart(&sim),
        peak,
        mock_tally,
        violations: sim.violations,
    }
}

/// An honest validator, devnet node `spec`: the node's chain host over `store` (at genesis, or
/// what a crashed node left), with an empty pool.
fn honest_node(
    n: &loanchain_genesis::DevnetNode,
    spec: usize,
    genesis: &Arc<loanchain_genesis::Genesis>,
    store: Arc<MemChainStore>,
) -> Node {
    let app_hash = store.last_committed().map_or(Hash::ZERO, |l| l.app_hash);
    let status = NodeStatus {
        name: n.config.name.clone(),
        role: NodeRole::Validator,
        chain_id: genesis.chain_id.clone(),
        genesis_hash: genesis.hash(),
        height: 0,
        block_hash: None,
        app_hash,
        block_time_ms: GENESIS_TIME,
        round: 0,
        peers: 0,
        mempool_size: 0,
        behind: 0,
        stale: false,
    };
    let (status_tx, status_rx) = watch::channel(status);
    let ctx = Arc::new(NodeContext {
        name: n.config.name.clone(),
        role: NodeRole::Validator,
        genesis: genesis.clone(),
        genesis_hash: genesis.hash(),
        storage: store,
        mempool: Arc::new(Mempool::new(10_000, loanchain_types::limits::MAX_TX_BYTES)),
        status: status_rx,
        events: broadcast::channel(16).0,
        metrics: Arc::new(Metrics::new()),
        gossip: None,
        limits: WorkLimits::new(1),
    });
    let key = n.consensus_key.as_ref().map(|k| k.keypair().clone());
    let chain = Chain::new(ctx.clone(), key, status_tx).expect("the chain host starts over its store");
    Node { chain, ctx, peer: peer_id_from_secret(n.node_key.keypair().secret_bytes()), spec }
}
