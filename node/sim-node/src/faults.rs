//! The network faults and crashes of a whole-node run, and the fault mixes a sweep draws them
//! from (issue 16: the whole node under the faults the consensus simulator already has).
//!
//! A mix names what can happen; the seed chooses how much and when ([`with_mix`]), from a
//! generator of its own, so a run without faults draws nothing from the run's generator and its
//! trace is what it was before faults existed.

use loanchain_sim::rng::Rng;

use crate::whole::WholeOptions;

/// The fault mixes of a sweep, by name.
pub const MIXES: [&str; 5] = ["none", "loss", "partition", "crash", "mixed"];

/// When a crashed validator is down, and which.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Crash {
    /// The honest validator (index among the running ones).
    pub node: usize,
    /// When it stops, ms into the run: its process is gone, with its pool and everything in
    /// memory; its store (what RocksDB would hold) stays.
    pub at_ms: u64,
    /// When it starts again from its store, ms into the run.
    pub until_ms: u64,
}

/// `opts` with the faults of mix `name` ([`MIXES`]), chosen by `opts.seed`:
/// - `loss`: every copy of a gossip message to one peer lost with a probability of 1–15 %
///   (requests and answers are not: they go over TCP);
/// - `partition`: the validators split in two halves, nothing passing between them, from 1–4 s
///   into the run (at most a third of it) for 1–5 s (at most a quarter of it), then healed;
/// - `crash`: one to three crashes of seed-chosen validators in the first 60 % of the run, each
///   down 0.2–3 s (at most a quarter of the run), restarted from its store;
///
/// so every fault has healed by 85 % of the run, whose checker then asks for progress (a
/// partition that outlasted a short run once made a 4 s run's progress check fail, seed 383,
/// 7 validators, `mixed`: no node could commit while no half was a quorum).
/// - `mixed`: all three.
///
/// `None` for an unknown name.
pub fn with_mix(mut opts: WholeOptions, name: &str) -> Option<WholeOptions> {
    let mut rng = Rng::new(opts.seed ^ 0x5EED_FA17_0000_0000);
    let (loss, partition, crash) = match name {
        "none" => (false, false, false),
        "loss" => (true, false, false),
        "partition" => (false, true, false),
        "crash" => (false, false, true),
        "mixed" => (true, true, true),
        _ => return None,
    };
    if loss {
        opts.loss_percent = rng.range(1, 15);
    }
    if partition {
        let from = rng.range(1_000, 4_000).min(opts.duration_ms / 3);
        opts.partition = Some((from, from + rng.range(1_000, 5_000).min(opts.duration_ms / 4)));
    }
    if crash {
        let replaced = opts.mock.as_deref().and_then(|m| crate::mocks::by_name(m, opts.validators)).and_then(|m| m.replaces());
        let running = opts.validators - usize::from(replaced.is_some());
        let last = (opts.duration_ms * 6 / 10).max(1_001);
        opts.crashes = (0..rng.range(1, 3))
            .map(|_| {
                let at_ms = rng.range(1_000, last);
                Crash { node: rng.index(running), at_ms, until_ms: at_ms + rng.range(200, 3_000).min(opts.duration_ms / 4) }
            })
            .collect();
    }
    Some(opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mix_is_chosen_by_the_seed_alone() {
        let base = |seed| WholeOptions::new(seed, 4, 20_000);
        for name in MIXES {
            let (a, b) = (with_mix(base(3), name).unwrap(), with_mix(base(3), name).unwrap());
            assert_eq!((a.loss_percent, a.partition, &a.crashes), (b.loss_percent, b.partition, &b.crashes), "{name}");
        }
        let none = with_mix(base(3), "none").unwrap();
        assert_eq!((none.loss_percent, none.partition, none.crashes.len()), (0, None, 0));
        let mixed = with_mix(base(3), "mixed").unwrap();
        assert!((1..=15).contains(&mixed.loss_percent));
        let (from, until) = mixed.partition.unwrap();
        assert!((1_000..=4_000).contains(&from) && until > from);
        assert!((1..=3).contains(&mixed.crashes.len()));
        assert!(mixed.crashes.iter().all(|c| c.node < 4 && c.until_ms > c.at_ms && c.at_ms <= 12_000));
        assert!(with_mix(base(3), "flood").is_none());
    }
}
