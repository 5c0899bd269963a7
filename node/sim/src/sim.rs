//! The discrete-event loop (STYLE's mysticeti model): a binary heap of timed events, virtual
//! milliseconds, one seeded generator for the network; validators are the real consensus core
//! behind the same [`loanchain_consensus::Ready`] as the node, or Byzantine mocks.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use loanchain_consensus::{Config, Core, Input, ProposerSchedule, Timeouts, WalEntry};
use loanchain_types::test_utils::validator_set_of;
use loanchain_types::{CommitCertificate, ConsensusMessage, Hash, Height, Keypair, Round, ValidatorSet};
use sha2::{Digest, Sha256};

use crate::checker::{BlockInfo, Checker, Violations};
use crate::rng::Rng;
use crate::scenario::{ByzantineKind, FaultMix, Scenario};

mod byzantine;
mod honest;
pub mod pbts;

/// The chain id of simulated chains.
pub const CHAIN_ID: &str = "loanchain-sim";
/// How often a validator checks whether it is stuck (ms).
const GOSSIP_MS: u64 = 250;
/// A validator that has not changed height for this long asks its peers for help (ms).
const STALL_MS: u64 = 500;
/// How often a stale replayer replays (ms).
const REPLAY_MS: u64 = 150;
/// Messages a stale replayer remembers.
const REPLAY_MEMORY: usize = 512;
/// A run that processes more events than this counts as a progress failure.
const MAX_EVENTS: u64 = 20_000_000;

/// Options of a run that are not part of the scenario.
#[derive(Clone, Debug)]
pub struct SimOptions {
    /// The core checks every signature it receives (as in the node, which always does; here it is
    /// optional because honest and mock validators only send well-signed messages).
    pub verify_signatures: bool,
    /// The checker verifies the signatures of the first certificate of each height.
    pub check_certificate_signatures: bool,
    /// Print every event.
    pub trace: bool,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions { verify_signatures: false, check_certificate_signatures: true, trace: false }
    }
}

/// The result of one run.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The scenario's seed.
    pub seed: u64,
    /// Number of validators.
    pub n: usize,
    /// The fault mix.
    pub mix: FaultMix,
    /// Safety violations.
    pub violations: Violations,
    /// The first violation, described.
    pub first_violation: Option<String>,
    /// The first agreement violation, described.
    pub first_agreement_violation: Option<String>,
    /// Every honest validator committed the required new heights in time after the heal.
    pub progress_ok: bool,
    /// Heights decided.
    pub heights: u64,
    /// Virtual time at the end (ms).
    pub virtual_ms: u64,
    /// Events processed.
    pub events: u64,
    /// Sum of commit latencies, proposal broadcast to commit, of the fault-free mix (ms).
    pub latency_sum_ms: u64,
    /// Number of latencies summed.
    pub latency_count: u64,
    /// Largest latency (ms).
    pub latency_max_ms: u64,
    /// Evidence reports by honest validators.
    pub evidence: u64,
    /// Blocks the `Backdater` mock proposed stamped beyond the bound of their round.
    pub backdated: u64,
    /// SHA-256 over every event: equal for equal runs.
    pub trace_hash: [u8; 32],
}

/// What one simulated link carries from one validator to another.
#[derive(Clone)]
enum Packet {
    /// A proposal or vote.
    Message(ConsensusMessage),
    /// Catch-up gossip: every message the sender holds for the height the receiver is stuck at.
    Batch(Vec<ConsensusMessage>),
    /// "I am stuck at `height`": asks peers for help.
    Status { height: Height },
    /// Sync: commit certificates of heights the receiver lacks.
    Certificates(Vec<CommitCertificate>),
}

/// An event of the discrete-event loop, at a virtual time.
enum Event {
    /// A packet arrives at `to`.
    Deliver { to: usize, from: usize, packet: Packet },
    /// A timeout the core of `node` asked for, valid while the node's `epoch` (its life) lasts.
    Wake { node: usize, epoch: u64 },
    /// `node` checks whether it is stuck and asks for help.
    Gossip { node: usize },
    /// The crash `scenario.crashes[idx]` begins.
    Crash { idx: usize },
    /// The crash `scenario.crashes[idx]` ends.
    Restart { idx: usize },
    /// The network faults end and every crashed validator restarts.
    Heal,
    /// The progress bound after the heal passed.
    Deadline,
    /// A stale replayer replays old messages.
    Replay { node: usize },
}

/// The kind of a trace record. The discriminant is the byte fed to the trace hash: keep it.
#[derive(Clone, Copy, Debug)]
#[repr(u8)]
enum TraceKind {
    /// A packet delivered (detail: a message's signature, a batch's length, a height).
    Deliver = 1,
    /// A timer of an honest validator fired.
    Wake = 2,
    /// A stuck validator broadcast its height (detail: the height).
    Status = 3,
    /// A crash began (detail: whether inside a WAL write).
    Crash = 4,
    /// A crash ended.
    Restart = 5,
    /// The network healed.
    Heal = 6,
    /// The progress deadline passed.
    Deadline = 7,
    /// A validator lost power inside a WAL write.
    PowerLoss = 8,
    /// An honest validator committed a block (detail: its hash).
    Commit = 9,
}

struct Scheduled {
    at: u64,
    seq: u64,
    event: Event,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> Ordering {
        // Min-heap on (time, sequence number): ties run in the order they were scheduled.
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

struct Honest {
    core: Option<Core>,
    epoch: u64,
    /// The durable consensus WAL (survives crashes).
    wal: Vec<WalEntry>,
    /// The durable block store: hash and certificate per height (survives crashes).
    blocks: BTreeMap<Height, (Hash, CommitCertificate)>,
    last_progress: u64,
    crash_in_write: bool,
}

impl Honest {
    fn committed(&self) -> Height {
        self.blocks.last_key_value().map_or(0, |(h, _)| *h)
    }
    fn parent(&self, height: Height) -> Hash {
        if height <= 1 { Hash::ZERO } else { self.blocks.get(&(height - 1)).map_or(Hash::ZERO, |b| b.0) }
    }
}

struct Byzantine {
    kind: ByzantineKind,
    proposed: BTreeSet<(Height, Round)>,
    voted: BTreeSet<(Height, Round)>,
    history: Vec<ConsensusMessage>,
}

// A simulation holds at most a few nodes: the size of the variants does not matter.
#[allow(clippy::large_enum_variant)]
enum Node {
    Honest(Honest),
    Byzantine(Byzantine),
}

/// A crash inside a write: the WAL append happened, nothing after it did.
struct Crashed;

/// One simulation run.
pub struct Sim {
    scenario: Scenario,
    opts: SimOptions,
    validators: ValidatorSet,
    schedule: ProposerSchedule,
    keys: Vec<Keypair>,
    core_config: Config,
    rng: Rng,
    now: u64,
    seq: u64,
    queue: BinaryHeap<Scheduled>,
    nodes: Vec<Node>,
    down: Vec<bool>,
    checker: Checker,
    app: BTreeMap<Hash, BlockInfo>,
    proposal_sent: BTreeMap<(Height, Round), u64>,
    target: Option<Height>,
    done: bool,
    progress_ok: bool,
    events: u64,
    latency: (u64, u64, u64),
    evidence: u64,
    backdated: u64,
    trace_hash: Sha256,
}

/// The consensus key of simulated validator `i` (fixed, so traces are comparable across seeds).
pub fn validator_key(i: usize) -> Keypair {
    Keypair::from_secret(Hash::digest_parts(&[b"loanchain-sim/validator", &(i as u64).to_le_bytes()]).0)
}

/// The core timeouts used in simulation (ms).
pub fn sim_timeouts() -> Timeouts {
    Timeouts { propose_ms: 200, propose_delta_ms: 100, prevote_ms: 100, prevote_delta_ms: 50, precommit_ms: 100, precommit_delta_ms: 50 }
}

/// Runs `scenario` to its end and checks it.
pub fn run(scenario: Scenario, opts: SimOptions) -> Outcome {
    let mut sim = Sim::new(scenario, opts);
    sim.start();
    while !sim.done {
        let Some(Scheduled { at, seq: _, event }) = sim.queue.pop() else { break };
        sim.now = at;
        sim.events += 1;
        if sim.events > MAX_EVENTS {
            sim.progress_ok = false;
            break;
        }
        sim.handle(event);
    }
    sim.outcome()
}

impl Sim {
    fn new(scenario: Scenario, opts: SimOptions) -> Sim {
        let keys: Vec<Keypair> = (0..scenario.n).map(validator_key).collect();
        let validators = validator_set_of(&keys, &scenario.powers);
        let schedule = ProposerSchedule::new(&validators).expect("small powers");
        let core_config = Config {
            timeouts: sim_timeouts(),
            verify_signatures: opts.verify_signatures,
            verify_certificates: opts.verify_signatures,
            ..Config::new(CHAIN_ID)
        };
        let nodes = (0..scenario.n)
            .map(|i| match scenario.byzantine_kind(i) {
                Some(kind) => Node::Byzantine(Byzantine { kind, proposed: BTreeSet::new(), voted: BTreeSet::new(), history: Vec::new() }),
                None => Node::Honest(Honest {
                    core: Some(
                        Core::new(core_config.clone(), validators.clone(), Some(keys[i].clone()), 1).expect("validator key is in the set"),
                    ),
                    epoch: 0,
                    wal: Vec::new(),
                    blocks: BTreeMap::new(),
                    last_progress: 0,
                    crash_in_write: false,
                }),
            })
            .collect();
        let checker = Checker::new(validators.clone(), CHAIN_ID.to_string(), opts.check_certificate_signatures);
        let rng = Rng::new(scenario.seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ scenario.n as u64 ^ ((scenario.mix as u64) << 32));
        Sim {
            down: vec![false; scenario.n],
            scenario,
            opts,
            validators,
            schedule,
            keys,
            core_config,
            rng,
            now: 0,
            seq: 0,
            queue: BinaryHeap::new(),
            nodes,
            checker,
            app: BTreeMap::new(),
            proposal_sent: BTreeMap::new(),
            target: None,
            done: false,
            progress_ok: false,
            events: 0,
            latency: (0, 0, 0),
            evidence: 0,
            backdated: 0,
            trace_hash: Sha256::new(),
        }
    }

    fn push(&mut self, at: u64, event: Event) {
        self.seq += 1;
        self.queue.push(Scheduled { at, seq: self.seq, event });
    }

    fn start(&mut self) {
        for i in 0..self.scenario.n {
            match &self.nodes[i] {
                Node::Honest(_) => {
                    self.feed(i, Input::Start);
                    self.push(GOSSIP_MS + i as u64, Event::Gossip { node: i });
                }
                Node::Byzantine(b) if b.kind == ByzantineKind::Stale => self.push(REPLAY_MS, Event::Replay { node: i }),
                Node::Byzantine(_) => {}
            }
        }
        for idx in 0..self.scenario.crashes.len() {
            let c = &self.scenario.crashes[idx];
            let (at, restart_at) = (c.at, c.restart_at);
            self.push(at, Event::Crash { idx });
            self.push(restart_at, Event::Restart { idx });
        }
        self.push(self.scenario.heal_at, Event::Heal);
        self.push(self.scenario.heal_at + self.scenario.progress_bound, Event::Deadline);
    }

    /// Feeds one record to the trace hash (and prints it with `--trace`): the time, the kind, the
    /// two validators concerned (the same twice when one), and a detail.
    fn trace(&mut self, kind: TraceKind, from: usize, to: usize, detail: &[u8]) {
        self.trace_hash.update(self.now.to_le_bytes());
        self.trace_hash.update([kind as u8, from as u8, to as u8]);
        self.trace_hash.update(detail);
        if self.opts.trace {
            println!("t={:>7} {kind:?} {from}->{to} {}", self.now, hex::encode(&detail[..detail.len().min(8)]));
        }
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Deliver { to, from, packet } => {
                let detail: Vec<u8> = match &packet {
                    Packet::Message(m) => m.signature().0.to_vec(),
                    Packet::Batch(ms) => (ms.len() as u64).to_le_bytes().to_vec(),
                    Packet::Status { height } => height.to_le_bytes().to_vec(),
                    Packet::Certificates(cs) => cs.first().map_or(0, |c| c.height).to_le_bytes().to_vec(),
                };
                self.trace(TraceKind::Deliver, from, to, &detail);
                if self.down[to] {
                    return;
                }
                match &self.nodes[to] {
                    Node::Honest(_) => self.honest_receive(to, from, packet),
                    Node::Byzantine(_) => self.byzantine_receive(to, packet),
                }
            }
            Event::Wake { node, epoch } => {
                if let Node::Honest(h) = &self.nodes[node]
                    && h.epoch == epoch
                    && !self.down[node]
                {
                    self.trace(TraceKind::Wake, node, node, &[]);
                    self.feed(node, Input::Tick { now: self.now });
                }
            }
            Event::Gossip { node } => {
                self.push(self.now + GOSSIP_MS, Event::Gossip { node });
                let Node::Honest(h) = &self.nodes[node] else { return };
                if self.down[node] || self.now.saturating_sub(h.last_progress) < STALL_MS {
                    return;
                }
                let height = h.core.as_ref().map_or(1, Core::height);
                self.trace(TraceKind::Status, node, node, &height.to_le_bytes());
                self.broadcast(node, |_| Packet::Status { height });
            }
            Event::Crash { idx } => {
                let c = self.scenario.crashes[idx].clone();
                self.trace(TraceKind::Crash, c.node, c.node, &[c.mid_write as u8]);
                if c.mid_write {
                    if let Node::Honest(h) = &mut self.nodes[c.node] {
                        h.crash_in_write = !self.down[c.node];
                    }
                } else {
                    self.crash(c.node);
                }
            }
            Event::Restart { idx } => {
                let node = self.scenario.crashes[idx].node;
                self.trace(TraceKind::Restart, node, node, &[]);
                if self.down[node] {
                    self.restart(node);
                } else if let Node::Honest(h) = &mut self.nodes[node] {
                    h.crash_in_write = false;
                }
            }
            Event::Heal => {
                self.trace(TraceKind::Heal, 0, 0, &[]);
                for i in 0..self.scenario.n {
                    if let Node::Honest(h) = &mut self.nodes[i] {
                        h.crash_in_write = false;
                    }
                    if self.down[i] {
                        self.restart(i);
                    }
                }
                let best = self.honest().map(|h| h.committed()).max().unwrap_or(0);
                self.target = Some(best + self.scenario.heights_after_heal);
                self.check_done();
            }
            Event::Deadline => {
                self.trace(TraceKind::Deadline, 0, 0, &[]);
                if self.opts.trace {
                    for (i, n) in self.nodes.iter().enumerate() {
                        if let Node::Honest(h) = n {
                            println!(
                                "node {i}: down {} committed {} state {:?}",
                                self.down[i],
                                h.committed(),
                                h.core.as_ref().map(Core::state)
                            );
                        }
                    }
                }
                self.progress_ok = false;
                self.done = true;
            }
            Event::Replay { node } => {
                self.push(self.now + REPLAY_MS, Event::Replay { node });
                let Node::Byzantine(b) = &self.nodes[node] else { return };
                if b.history.is_empty() {
                    return;
                }
                for _ in 0..3 {
                    let Node::Byzantine(b) = &self.nodes[node] else { return };
                    let m = b.history[self.rng.index(b.history.len())].clone();
                    let to = self.rng.index(self.scenario.n);
                    self.send(node, to, Packet::Message(m));
                }
            }
        }
    }

    fn honest(&self) -> impl Iterator<Item = &Honest> {
        self.nodes.iter().filter_map(|n| match n {
            Node::Honest(h) => Some(h),
            Node::Byzantine(_) => None,
        })
    }

    fn check_done(&mut self) {
        if let Some(target) = self.target
            && self.honest().all(|h| h.committed() >= target)
        {
            self.progress_ok = true;
            self.done = true;
        }
    }

    fn crash(&mut self, node: usize) {
        if let Node::Honest(h) = &mut self.nodes[node]
            && h.core.take().is_some()
        {
            h.epoch += 1;
            h.crash_in_write = false;
            self.down[node] = true;
        }
    }

    fn restart(&mut self, node: usize) {
        let config = self.core_config.clone();
        let validators = self.validators.clone();
        let key = self.keys[node].clone();
        let Node::Honest(h) = &mut self.nodes[node] else { return };
        // Only what was persisted: the WAL and the block store.
        let core = Core::recover(config, validators, Some(key), h.committed() + 1, &h.wal).expect("a validator's own WAL recovers");
        h.core = Some(core);
        h.last_progress = self.now;
        self.down[node] = false;
        self.feed(node, Input::Start);
        let height = self.node_height(node);
        self.broadcast(node, |_| Packet::Status { height });
    }

    fn node_height(&self, node: usize) -> Height {
        match &self.nodes[node] {
            Node::Honest(h) => h.core.as_ref().map_or(h.committed() + 1, Core::height),
            Node::Byzantine(_) => 0,
        }
    }

    // ----------------------------------------------------------------------------------------
    // Network

    fn send(&mut self, from: usize, to: usize, packet: Packet) {
        if from == to {
            return;
        }
        let now = self.now;
        if self.scenario.partitions.iter().any(|p| p.from <= now && now < p.until && p.side[from] != p.side[to]) {
            return;
        }
        let faulty = now < self.scenario.heal_at;
        if faulty && self.rng.chance(self.scenario.loss_ppm) {
            return;
        }
        let base = self.scenario.latency[from][to];
        let mut delay = base + self.rng.range(0, self.scenario.jitter);
        if faulty && self.rng.chance(self.scenario.reorder_ppm) {
            delay += self.rng.range(50, 500);
        }
        if self.rng.chance(self.scenario.dup_ppm) {
            let again = base + self.rng.range(0, self.scenario.jitter + 20);
            self.push(now + again, Event::Deliver { to, from, packet: packet.clone() });
        }
        self.push(now + delay, Event::Deliver { to, from, packet });
    }

    fn broadcast(&mut self, from: usize, make: impl Fn(usize) -> Packet) {
        for to in 0..self.scenario.n {
            if to != from {
                let packet = make(to);
                self.send(from, to, packet);
            }
        }
    }

    fn outcome(mut self) -> Outcome {
        let heights = self.checker.decided.len() as u64;
        for (h, hash) in &self.checker.decided {
            self.trace_hash.update(h.to_le_bytes());
            self.trace_hash.update(hash.as_bytes());
        }
        Outcome {
            seed: self.scenario.seed,
            n: self.scenario.n,
            mix: self.scenario.mix,
            violations: self.checker.violations.clone(),
            first_violation: self.checker.first.clone(),
            first_agreement_violation: self.checker.first_agreement.clone(),
            progress_ok: self.progress_ok,
            heights,
            virtual_ms: self.now,
            events: self.events,
            latency_sum_ms: self.latency.0,
            latency_count: self.latency.1,
            latency_max_ms: self.latency.2,
            evidence: self.evidence,
            backdated: self.backdated,
            trace_hash: self.trace_hash.finalize().into(),
        }
    }
}
