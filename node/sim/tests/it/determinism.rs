//! A seed replays exactly (STYLE habit 3, commonware's determinism test): running one seed twice
//! gives the same trace hash, for every fault mix; different seeds give different traces.

use loanchain_sim::{FaultMix, Scenario, SimOptions, run};

#[test]
fn one_seed_twice_gives_the_same_trace_hash() {
    for mix in FaultMix::ALL {
        for n in [4, 7] {
            for seed in [3u64, 1_000_003] {
                let a = run(Scenario::generate(seed, n, mix), SimOptions::default());
                let b = run(Scenario::generate(seed, n, mix), SimOptions::default());
                assert_eq!(a.trace_hash, b.trace_hash, "seed {seed} n {n} {mix} is not deterministic");
                assert_eq!((a.heights, a.events, a.virtual_ms), (b.heights, b.events, b.virtual_ms));
            }
        }
    }
}

#[test]
fn different_seeds_give_different_traces() {
    let a = run(Scenario::generate(1, 4, FaultMix::Mixed), SimOptions::default());
    let b = run(Scenario::generate(2, 4, FaultMix::Mixed), SimOptions::default());
    assert_ne!(a.trace_hash, b.trace_hash);
}

#[test]
fn checking_signatures_in_the_core_changes_nothing_for_well_signed_traffic() {
    // The sweep runs the core without signature checks (only well-signed messages exist in the
    // simulation); with them on, the run must be identical.
    for mix in [FaultMix::Byzantine, FaultMix::Mixed] {
        let off = run(Scenario::generate(11, 4, mix), SimOptions::default());
        let on = run(Scenario::generate(11, 4, mix), SimOptions { verify_signatures: true, ..SimOptions::default() });
        assert_eq!(off.trace_hash, on.trace_hash, "{mix}");
    }
}
