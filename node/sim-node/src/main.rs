//! `loanchain-sim-node`: sweeps the whole-node simulation over seeds, validator counts,
//! Byzantine peer mocks and fault mixes, and prints one line per (validators, mock, faults) with
//! the runs, violations, heights and transactions committed; exits 1 on any violation, printing
//! each with its seed and the command that replays it.
//!
//! ```sh
//! loanchain-sim-node --seeds 0..100 --validators 4,7 --mocks all --faults all --duration-ms 20000 --jobs 2
//! loanchain-sim-node --seeds 17..18 --validators 7 --mocks altered-bodies --faults crash   # replay one seed
//! ```

use std::process::ExitCode;

use loanchain_sim_node::whole::{WholeOptions, run_whole};
use loanchain_sim_node::{faults, mocks};

struct Args {
    seeds: std::ops::Range<u64>,
    validators: Vec<usize>,
    mocks: Vec<Option<String>>,
    faults: Vec<String>,
    duration_ms: u64,
    tx_per_second: u64,
    /// Runs at once (threads); each run is single-threaded and independent of the others.
    jobs: usize,
}

fn parse() -> Result<Args, String> {
    let mut args = Args {
        seeds: 0..10,
        validators: vec![4, 7],
        mocks: vec![None],
        faults: vec!["none".into()],
        duration_ms: 20_000,
        tx_per_second: 20,
        jobs: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--seeds" => {
                let (a, b) = value.split_once("..").ok_or("--seeds A..B")?;
                args.seeds = a.parse().map_err(|_| "--seeds A..B")?..b.parse().map_err(|_| "--seeds A..B")?;
            }
            "--validators" => {
                args.validators = value.split(',').map(|v| v.parse().map_err(|_| "--validators N,M")).collect::<Result<_, _>>()?;
                if args.validators.iter().any(|&n| !(4..=10).contains(&n)) {
                    return Err("--validators: each between 4 and 10".into());
                }
            }
            "--mocks" => {
                args.mocks = match value.as_str() {
                    "none" => vec![None],
                    "all" => std::iter::once(None).chain(mocks::ALL.iter().map(|m| Some(m.to_string()))).collect(),
                    list => list.split(',').map(|m| if m == "none" { None } else { Some(m.to_string()) }).collect(),
                };
                if let Some(bad) = args.mocks.iter().flatten().find(|m| !mocks::ALL.contains(&m.as_str())) {
                    return Err(format!("no mock named {bad}; the mocks: none, {}", mocks::ALL.join(", ")));
                }
            }
            "--faults" => {
                args.faults = match value.as_str() {
                    "all" => faults::MIXES.iter().map(|m| m.to_string()).collect(),
                    list => list.split(',').map(str::to_string).collect(),
                };
                if let Some(bad) = args.faults.iter().find(|f| !faults::MIXES.contains(&f.as_str())) {
                    return Err(format!("no fault mix named {bad}; the mixes: {}", faults::MIXES.join(", ")));
                }
            }
            "--duration-ms" => args.duration_ms = value.parse().map_err(|_| "--duration-ms MS")?,
            "--tx-per-second" => args.tx_per_second = value.parse().map_err(|_| "--tx-per-second N")?,
            "--jobs" => args.jobs = value.parse().ok().filter(|&j| j > 0).ok_or("--jobs N, at least 1")?,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(args)
}

/// Runs every seed, `jobs` at a time, and returns the outcomes in seed order (so the report and
/// its violations read the same whatever `jobs` is).
fn run_all(
    seeds: std::ops::Range<u64>,
    jobs: usize,
    options: impl Fn(u64) -> WholeOptions + Sync,
) -> Vec<(u64, loanchain_sim_node::whole::WholeOutcome)> {
    let next = std::sync::atomic::AtomicU64::new(seeds.start);
    let mut done: Vec<_> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..jobs)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let seed = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if seed >= seeds.end {
                            return mine;
                        }
                        mine.push((seed, run_whole(&options(seed))));
                    }
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().expect("a simulation run panicked")).collect()
    });
    done.sort_by_key(|(seed, _)| *seed);
    done
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("loanchain-sim-node: {e}");
            return ExitCode::from(2);
        }
    };
    println!(
        "{:<11} {:<17} {:<10} {:>6} {:>10} {:>12} {:>20} {:>22}",
        "validators", "mock", "faults", "runs", "violations", "min height", "committed / admitted", "peak blocks/msgs/seen"
    );
    let mut failed = false;
    for &validators in &args.validators {
        for mock in &args.mocks {
            for mix in &args.faults {
                let (mut runs, mut violations, mut low, mut committed, mut admitted) = (0u64, 0usize, u64::MAX, 0usize, 0usize);
                let mut peak = loanchain_node::chain::Footprint::default();
                let options = |seed| {
                    let base = WholeOptions {
                        tx_per_second: args.tx_per_second,
                        mock: mock.clone(),
                        ..WholeOptions::new(seed, validators, args.duration_ms)
                    };
                    faults::with_mix(base, mix).expect("a mix checked by parse")
                };
                let mock_name = mock.as_deref().unwrap_or("none");
                for (seed, o) in run_all(args.seeds.clone(), args.jobs, options) {
                    runs += 1;
                    low = low.min(o.heights.iter().copied().min().unwrap_or(0));
                    committed += o.committed;
                    admitted += o.admitted;
                    peak = peak.max(o.peak);
                    for v in &o.violations {
                        violations += 1;
                        failed = true;
                        eprintln!(
                            "VIOLATION seed {seed}, {validators} validators, mock {mock_name}, faults {mix}: {v}\n  heights at the end {:?}\n  replay: loanchain-sim-node --seeds {seed}..{} --validators {validators} --mocks {mock_name} --faults {mix} --duration-ms {} --tx-per-second {}",
                            o.heights,
                            seed + 1,
                            args.duration_ms,
                            args.tx_per_second
                        );
                    }
                }
                println!(
                    "{:<11} {:<17} {:<10} {:>6} {:>10} {:>12} {:>20} {:>22}",
                    validators,
                    mock_name,
                    mix,
                    runs,
                    violations,
                    if runs == 0 { 0 } else { low },
                    format!("{committed} / {admitted}"),
                    format!("{} / {} / {}", peak.blocks, peak.consensus_messages, peak.seen)
                );
            }
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
