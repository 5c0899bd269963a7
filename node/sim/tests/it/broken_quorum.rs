//! The checker is not vacuous: with the quorum deliberately lowered to 2f (the `broken-quorum`
//! feature of the consensus core), the simulator must find an agreement violation within a
//! bounded number of seeds, and print it.
//!
//! `cargo test --release -p loanchain-sim --features broken-quorum` (only built with that
//! feature: see `main.rs`).

use loanchain_sim::{FaultMix, Scenario, SimOptions, run};

const MAX_SEEDS: u64 = 200;

#[test]
fn a_quorum_of_2f_is_caught_forking() {
    assert!(loanchain_consensus::BROKEN_QUORUM);
    for n in [4, 7] {
        let found = (0..MAX_SEEDS).find_map(|seed| {
            let o = run(Scenario::generate(seed, n, FaultMix::Byzantine), SimOptions::default());
            (o.violations.agreement > 0).then_some((seed, o))
        });
        let (seed, o) = found.unwrap_or_else(|| panic!("no agreement violation in {MAX_SEEDS} seeds with n = {n}"));
        println!("n {n}: agreement violation at seed {seed}: {}", o.first_agreement_violation.unwrap_or_default());
    }
}
