//! Many seeds of one (validators, fault mix), on a few threads, summed in seed order.

use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::scenario::{FaultMix, Scenario, UNIT_DELAY_MS};
use crate::sim::{Outcome, SimOptions, run};

/// The summary of a sweep.
#[derive(Clone, Debug, Default)]
pub struct Row {
    /// Validators.
    pub n: usize,
    /// Fault mix name.
    pub mix: String,
    /// Seeds run.
    pub seeds: u64,
    /// Seeds with an agreement violation.
    pub agreement: u64,
    /// Seeds with a validity violation.
    pub validity: u64,
    /// Seeds where an honest validator double-signed.
    pub double_sign: u64,
    /// Seeds with a bad certificate.
    pub bad_certificate: u64,
    /// Seeds without the required progress after the heal.
    pub progress_failures: u64,
    /// Heights decided, over all seeds.
    pub blocks: u64,
    /// Wall-clock seconds.
    pub wall_secs: f64,
    /// Commit latencies summed (ms), fault-free mix only.
    pub latency_sum_ms: u64,
    /// Latencies counted.
    pub latency_count: u64,
    /// Largest latency (ms).
    pub latency_max_ms: u64,
    /// Evidence reports.
    pub evidence: u64,
    /// The first failing seeds, with what failed.
    pub failing: Vec<(u64, String)>,
}

impl Row {
    /// Any violation or progress failure.
    pub fn failed(&self) -> bool {
        self.agreement + self.validity + self.double_sign + self.bad_certificate + self.progress_failures > 0
    }

    /// Mean commit latency in message delays, if measured.
    pub fn latency_delays(&self) -> Option<(f64, f64)> {
        (self.latency_count > 0).then(|| {
            (
                self.latency_sum_ms as f64 / self.latency_count as f64 / UNIT_DELAY_MS as f64,
                self.latency_max_ms as f64 / UNIT_DELAY_MS as f64,
            )
        })
    }

    fn add(&mut self, o: &Outcome) {
        self.seeds += 1;
        let v = &o.violations;
        self.agreement += u64::from(v.agreement > 0);
        self.validity += u64::from(v.validity > 0);
        self.double_sign += u64::from(v.double_sign > 0);
        self.bad_certificate += u64::from(v.bad_certificate > 0);
        self.progress_failures += u64::from(!o.progress_ok);
        self.blocks += o.heights;
        self.latency_sum_ms += o.latency_sum_ms;
        self.latency_count += o.latency_count;
        self.latency_max_ms = self.latency_max_ms.max(o.latency_max_ms);
        self.evidence += o.evidence;
        if (v.any() || !o.progress_ok) && self.failing.len() < 10 {
            let what = o.first_violation.clone().unwrap_or_else(|| "no progress after the heal".to_string());
            self.failing.push((o.seed, what));
        }
    }
}

/// Runs every seed of `seeds` for `n` validators and `mix` on `threads` threads.
pub fn sweep(seeds: Range<u64>, n: usize, mix: FaultMix, opts: &SimOptions, threads: usize) -> Row {
    // The sweep's own wall time, for its report: outside every simulated node.
    #[allow(clippy::disallowed_methods)]
    let start = Instant::now();
    let next = AtomicU64::new(seeds.start);
    let results: Mutex<Vec<Outcome>> = Mutex::new(Vec::with_capacity((seeds.end - seeds.start) as usize));
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| {
                let mut local = Vec::new();
                loop {
                    let seed = next.fetch_add(1, Ordering::Relaxed);
                    if seed >= seeds.end {
                        break;
                    }
                    local.push(run(Scenario::generate(seed, n, mix), opts.clone()));
                }
                results.lock().expect("no worker panics while holding the lock").extend(local);
            });
        }
    });
    let mut results = results.into_inner().expect("workers are done");
    results.sort_by_key(|o| o.seed);
    let mut row = Row { n, mix: mix.name().to_string(), ..Row::default() };
    for o in &results {
        row.add(o);
    }
    row.wall_secs = start.elapsed().as_secs_f64();
    row
}
