//! A small sweep of every fault mix: no agreement or validity violation, no honest double
//! signature, only valid certificates, and progress after the heal (DESIGN §8). The full sweep
//! is the binary: see node/TESTING.md. Not built with the `broken-quorum` feature (see `main.rs`),
//! whose forks it would report.

use loanchain_sim::scenario::UNIT_DELAY_MS;
use loanchain_sim::sweep::sweep;
use loanchain_sim::{FaultMix, Scenario, SimOptions, run};

const SEEDS: u64 = 30;

#[test]
fn every_fault_mix_is_safe_and_live() {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(2);
    for n in [4, 7] {
        for mix in FaultMix::ALL {
            let row = sweep(0..SEEDS, n, mix, &SimOptions::default(), threads);
            assert!(
                !row.failed(),
                "validators {n} faults {mix}: {row:?}\nreplay: cargo run -p loanchain-sim --release -- --seed {} \
                 --validators {n} --faults {mix}",
                row.failing.first().map_or(0, |f| f.0)
            );
            assert!(row.blocks >= SEEDS * 3, "validators {n} faults {mix}: too few blocks {}", row.blocks);
            if matches!(mix, FaultMix::Byzantine | FaultMix::Mixed) {
                assert!(row.evidence > 0, "validators {n} faults {mix}: equivocation never reported");
            }
        }
    }
}

#[test]
fn fault_free_commit_takes_three_message_delays_with_equal_power() {
    // Proposal, prevote, precommit: with one constant delay on every link and equal voting power
    // every commit comes exactly three delays after its proposal.
    for n in [4, 7] {
        for seed in 0..5 {
            let mut sc = Scenario::generate(seed, n, FaultMix::None);
            sc.powers = vec![1; n];
            let o = run(sc, SimOptions::default());
            assert!(o.progress_ok && !o.violations.any());
            assert_eq!(o.heights, 20);
            assert_eq!(o.latency_count, 20 * n as u64, "every validator's commit of every height is measured");
            assert_eq!(o.latency_sum_ms, 3 * UNIT_DELAY_MS * o.latency_count, "n {n} seed {seed}");
            assert_eq!(o.latency_max_ms, 3 * UNIT_DELAY_MS);
        }
    }
}

#[test]
fn crashing_every_validator_halts_then_resumes_without_a_fork() {
    // Find scenarios of the crash mix that take every honest validator down at once.
    let mut found = 0;
    for seed in 0..400 {
        let sc = Scenario::generate(seed, 4, FaultMix::Crash);
        let all_down = sc.crashes.iter().filter(|c| c.at == sc.crashes[0].at).count() == 4;
        if !all_down {
            continue;
        }
        found += 1;
        let o = run(sc, SimOptions::default());
        assert!(!o.violations.any() && o.progress_ok, "seed {seed}: {o:?}");
        if found == 5 {
            break;
        }
    }
    assert!(found > 0, "no scenario crashed every validator");
}
