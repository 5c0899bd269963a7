//! A seed's scenario: validators and powers, the network, and the faults (STYLE habit 4).

use std::fmt;
use std::str::FromStr;

use crate::rng::Rng;

/// Which faults a run injects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultMix {
    /// A perfect network with one constant delay, no faults: measures commit latency.
    None,
    /// Latency, jitter, loss, duplication, reordering, partitions; then heal.
    Network,
    /// Crashes (also mid-write, also of every validator at once) and restarts from disk.
    Crash,
    /// Up to f Byzantine validators (equivocator, silent, stale replayer, backdater) on a jittery network.
    Byzantine,
    /// All of the above at once.
    Mixed,
}

impl FaultMix {
    /// Every mix, in table order.
    pub const ALL: [FaultMix; 5] = [FaultMix::None, FaultMix::Network, FaultMix::Crash, FaultMix::Byzantine, FaultMix::Mixed];

    /// The name on the command line and in tables.
    pub fn name(self) -> &'static str {
        match self {
            FaultMix::None => "none",
            FaultMix::Network => "network",
            FaultMix::Crash => "crash",
            FaultMix::Byzantine => "byzantine",
            FaultMix::Mixed => "mixed",
        }
    }

    fn network(self) -> bool {
        matches!(self, FaultMix::Network | FaultMix::Mixed)
    }
    fn crash(self) -> bool {
        matches!(self, FaultMix::Crash | FaultMix::Mixed)
    }
    fn byzantine(self) -> bool {
        matches!(self, FaultMix::Byzantine | FaultMix::Mixed)
    }
}

impl fmt::Display for FaultMix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FaultMix {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        FaultMix::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| format!("unknown fault mix {s:?} (none, network, crash, byzantine, mixed, all)"))
    }
}

/// The named Byzantine mocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByzantineKind {
    /// Proposes two blocks to two halves of the network and votes for both.
    Equivocator,
    /// Never sends anything.
    Silent,
    /// Replays old messages it received, to random validators.
    Stale,
    /// Proposes blocks stamped older than any correct validator accepts (DESIGN §8, block time),
    /// and votes for them; sends nothing else.
    Backdater,
}

/// A crash of one validator.
#[derive(Clone, Debug)]
pub struct Crash {
    /// When.
    pub at: u64,
    /// Who.
    pub node: usize,
    /// When it restarts.
    pub restart_at: u64,
    /// Crash inside the next write (after the WAL append, before anything is sent) rather than
    /// between events.
    pub mid_write: bool,
}

/// A partition of the validators in two sides.
#[derive(Clone, Debug)]
pub struct Partition {
    /// Start.
    pub from: u64,
    /// End (heal of this partition).
    pub until: u64,
    /// The side of each validator.
    pub side: Vec<bool>,
}

/// Everything a run does, derived from (seed, validators, mix).
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The seed.
    pub seed: u64,
    /// Number of validators.
    pub n: usize,
    /// The fault mix.
    pub mix: FaultMix,
    /// Voting powers.
    pub powers: Vec<u64>,
    /// Byzantine validators, total power < 1/3.
    pub byzantine: Vec<(usize, ByzantineKind)>,
    /// Faults stop here (partitions healed, crashed validators restarted, loss off).
    pub heal_at: u64,
    /// Link base latency (ms), `latency[from][to]`.
    pub latency: Vec<Vec<u64>>,
    /// Extra uniform jitter (ms).
    pub jitter: u64,
    /// Loss before the heal, parts per million.
    pub loss_ppm: u32,
    /// Duplication, parts per million.
    pub dup_ppm: u32,
    /// Reordering (a large extra delay) before the heal, parts per million.
    pub reorder_ppm: u32,
    /// The partitions.
    pub partitions: Vec<Partition>,
    /// The crashes.
    pub crashes: Vec<Crash>,
    /// Share of block digests the application rejects, per mille.
    pub invalid_per_mille: u32,
    /// New heights every honest validator must commit after the heal.
    pub heights_after_heal: u64,
    /// Virtual time allowed for that after the heal (ms).
    pub progress_bound: u64,
}

/// The constant link delay of the fault-free mix, the unit of "message delays".
pub const UNIT_DELAY_MS: u64 = 10;

impl Scenario {
    /// The scenario of `seed`.
    pub fn generate(seed: u64, n: usize, mix: FaultMix) -> Scenario {
        // Mix the parameters into the seed so that (4, network, 5) and (7, crash, 5) differ.
        let mut rng = Rng::new(seed ^ ((n as u64) << 56) ^ ((mix as u64) << 48));
        let powers: Vec<u64> = if rng.chance(500_000) { vec![1; n] } else { (0..n).map(|_| rng.range(1, 4)).collect() };
        let total: u64 = powers.iter().sum();

        let mut s = Scenario {
            seed,
            n,
            mix,
            powers,
            byzantine: Vec::new(),
            heal_at: 0,
            latency: vec![vec![UNIT_DELAY_MS; n]; n],
            jitter: 0,
            loss_ppm: 0,
            dup_ppm: 0,
            reorder_ppm: 0,
            partitions: Vec::new(),
            crashes: Vec::new(),
            invalid_per_mille: 0,
            heights_after_heal: 20,
            progress_bound: 60_000,
        };
        if mix == FaultMix::None {
            return s;
        }
        s.heights_after_heal = 3;
        s.heal_at = rng.range(1_000, 6_000);
        s.invalid_per_mille = 50;
        for from in 0..n {
            for to in 0..n {
                s.latency[from][to] = rng.range(5, 40);
            }
        }
        s.jitter = rng.range(0, 10);
        if mix.byzantine() {
            // Up to f: any set of power strictly below a third.
            let max = (total - 1) / 3;
            let mut order: Vec<usize> = (0..n).collect();
            for i in (1..n).rev() {
                order.swap(i, rng.index(i + 1));
            }
            let want = rng.range(1, 2);
            let mut power = 0;
            for i in order {
                if s.byzantine.len() as u64 == want {
                    break;
                }
                if power + s.powers[i] <= max {
                    power += s.powers[i];
                    let kind = match rng.range(0, 4) {
                        0 | 1 => ByzantineKind::Equivocator,
                        2 => ByzantineKind::Silent,
                        3 => ByzantineKind::Stale,
                        _ => ByzantineKind::Backdater,
                    };
                    s.byzantine.push((i, kind));
                }
            }
            s.byzantine.sort_by_key(|b| b.0);
        }
        if mix.network() {
            s.loss_ppm = rng.range(0, 150_000) as u32;
            s.dup_ppm = rng.range(0, 50_000) as u32;
            s.reorder_ppm = rng.range(0, 50_000) as u32;
            for _ in 0..rng.range(0, 3) {
                let from = rng.range(0, s.heal_at - 1);
                let until = rng.range(from + 1, s.heal_at);
                let mut side: Vec<bool> = (0..n).map(|_| rng.chance(500_000)).collect();
                if side.iter().all(|x| *x) || side.iter().all(|x| !*x) {
                    let i = rng.index(n);
                    side[i] = !side[i];
                }
                s.partitions.push(Partition { from, until, side });
            }
        } else if mix.byzantine() {
            s.dup_ppm = 10_000;
        }
        if mix.crash() {
            let honest: Vec<usize> = (0..n).filter(|i| !s.byzantine.iter().any(|b| b.0 == *i)).collect();
            if rng.chance(100_000) {
                // Every honest validator at once: the chain halts, then resumes (DESIGN §8).
                let at = rng.range(0, s.heal_at / 2);
                for &node in &honest {
                    let restart_at = rng.range(at + 1, s.heal_at);
                    s.crashes.push(Crash { at, node, restart_at, mid_write: false });
                }
            }
            for _ in 0..rng.range(1, 4) {
                let node = honest[rng.index(honest.len())];
                let at = rng.range(0, s.heal_at - 1);
                let restart_at = rng.range(at + 1, s.heal_at.min(at + 3_000));
                s.crashes.push(Crash { at, node, restart_at, mid_write: rng.chance(400_000) });
            }
        }
        s
    }

    /// Whether validator `i` is Byzantine, and how.
    pub fn byzantine_kind(&self, i: usize) -> Option<ByzantineKind> {
        self.byzantine.iter().find(|b| b.0 == i).map(|b| b.1)
    }
}
