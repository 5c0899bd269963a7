//! `loanchain-sim`: sweeps seeds of the consensus simulator, or replays one.
//!
//! ```text
//! loanchain-sim --seeds 0..10000 --validators 4,7 --faults all [--threads 2] [--verify-signatures]
//! loanchain-sim --seed 1234 --validators 7 --faults mixed [--trace]
//! ```
//! `--faults` takes a comma list of none, network, crash, byzantine, mixed (all faults together),
//! or `all` for every one of them. Exits 1 on any violation or progress failure.

use std::process::ExitCode;

use loanchain_sim::sweep::{Row, sweep};
use loanchain_sim::{FaultMix, Scenario, SimOptions, run};

struct Args {
    seeds: std::ops::Range<u64>,
    single: Option<u64>,
    validators: Vec<usize>,
    mixes: Vec<FaultMix>,
    threads: usize,
    opts: SimOptions,
}

fn parse() -> Result<Args, String> {
    let mut args = Args {
        seeds: 0..100,
        single: None,
        validators: vec![4, 7],
        mixes: FaultMix::ALL.to_vec(),
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()).min(2),
        opts: SimOptions::default(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--seeds" => {
                let v = value()?;
                let (lo, hi) = v.split_once("..").ok_or("--seeds takes A..B")?;
                let lo: u64 = lo.parse().map_err(|_| format!("bad seed {lo}"))?;
                let hi: u64 = hi.parse().map_err(|_| format!("bad seed {hi}"))?;
                args.seeds = lo..hi;
            }
            "--seed" => args.single = Some(value()?.parse().map_err(|_| "bad --seed")?),
            "--validators" => {
                args.validators = value()?
                    .split(',')
                    .map(|s| s.parse::<usize>().map_err(|_| format!("bad validator count {s}")))
                    .collect::<Result<_, _>>()?;
                if args.validators.iter().any(|n| !(1..=100).contains(n)) {
                    return Err("validator counts must be 1..=100".into());
                }
            }
            "--faults" => {
                let v = value()?;
                args.mixes = if v == "all" { FaultMix::ALL.to_vec() } else { v.split(',').map(str::parse).collect::<Result<_, _>>()? };
            }
            "--threads" => args.threads = value()?.parse().map_err(|_| "bad --threads")?,
            "--verify-signatures" => args.opts.verify_signatures = true,
            "--no-certificate-signatures" => args.opts.check_certificate_signatures = false,
            "--trace" => args.opts.trace = true,
            "-h" | "--help" => {
                println!(
                    "loanchain-sim --seeds A..B --validators 4,7 --faults all|none,network,crash,byzantine,mixed \
                     [--threads N] [--verify-signatures] [--no-certificate-signatures]\n\
                     loanchain-sim --seed N --validators 7 --faults mixed [--trace]"
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("loanchain-sim: {e}");
            return ExitCode::from(2);
        }
    };
    if loanchain_consensus::BROKEN_QUORUM {
        println!("NOTE: built with the broken-quorum test feature: violations are expected");
    }
    if let Some(seed) = args.single {
        let mut failed = false;
        for &n in &args.validators {
            for &mix in &args.mixes {
                let scenario = Scenario::generate(seed, n, mix);
                println!("scenario: {scenario:?}");
                let o = run(scenario, args.opts.clone());
                println!(
                    "seed {seed} validators {n} faults {mix}: heights {} virtual {} ms events {} progress {} \
                     violations {:?} evidence {} trace {}",
                    o.heights,
                    o.virtual_ms,
                    o.events,
                    if o.progress_ok { "ok" } else { "FAILED" },
                    o.violations,
                    o.evidence,
                    hex::encode(o.trace_hash)
                );
                if let Some(v) = &o.first_violation {
                    println!("first violation: {v}");
                }
                failed |= o.violations.any() || !o.progress_ok;
            }
        }
        return if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS };
    }
    println!(
        "{:>3} {:<9} {:>7} {:>6} {:>6} {:>6} {:>6} {:>6} {:>9} {:>8} {:>10} {:>9} {:>8}",
        "n", "faults", "seeds", "agree", "valid", "dblsig", "badcrt", "noprog", "blocks", "wall s", "blocks/s", "lat mean", "lat max"
    );
    let mut rows: Vec<Row> = Vec::new();
    for &n in &args.validators {
        for &mix in &args.mixes {
            let row = sweep(args.seeds.clone(), n, mix, &args.opts, args.threads);
            let (mean, max) = row.latency_delays().map_or(("-".into(), "-".into()), |(a, b)| (format!("{a:.2}"), format!("{b:.2}")));
            println!(
                "{:>3} {:<9} {:>7} {:>6} {:>6} {:>6} {:>6} {:>6} {:>9} {:>8.1} {:>10.0} {:>9} {:>8}",
                row.n,
                row.mix,
                row.seeds,
                row.agreement,
                row.validity,
                row.double_sign,
                row.bad_certificate,
                row.progress_failures,
                row.blocks,
                row.wall_secs,
                row.blocks as f64 / row.wall_secs.max(1e-9),
                mean,
                max
            );
            for (seed, what) in &row.failing {
                println!(
                    "    FAIL seed {seed}: {what}\n    replay: cargo run -p loanchain-sim --release -- --seed {seed} --validators {n} --faults {mix}"
                );
            }
            rows.push(row);
        }
    }
    println!("(lat = commit latency of the fault-free mix, proposal broadcast to commit, in message delays)");
    if rows.iter().any(Row::failed) { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
