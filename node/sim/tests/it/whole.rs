//! The whole node in the simulator: validators running the node's chain host with real
//! transactions, bodies, signatures and execution agree, commit what clients submitted, and a
//! seed replays exactly.

use loanchain_sim::whole::{WholeOptions, run_whole};

fn options(seed: u64, validators: usize) -> WholeOptions {
    WholeOptions { seed, validators, duration_ms: 20_000, tx_per_second: 20, mock: None }
}

#[test]
fn honest_whole_nodes_agree_and_commit_what_clients_submitted() {
    for validators in [4, 7] {
        for seed in 1..=3 {
            let o = run_whole(&options(seed, validators));
            assert!(o.violations.is_empty(), "seed {seed}, {validators} validators: {:#?}", o.violations);
            assert!(o.admitted > 300, "seed {seed}: {} admitted", o.admitted);
            // All but the last second or so of submissions are final.
            assert!(
                o.committed * 10 >= o.admitted * 8,
                "seed {seed}, {validators} validators: {} of {} committed",
                o.committed,
                o.admitted
            );
            assert!(o.heights.iter().all(|&h| h >= 5), "seed {seed}: heights {:?}", o.heights);
        }
    }
}

#[test]
fn a_whole_node_seed_replays_exactly() {
    let (a, b) = (run_whole(&options(9, 4)), run_whole(&options(9, 4)));
    assert_eq!(a.trace_hash, b.trace_hash);
    assert_eq!(a.heights, b.heights);
    assert_ne!(a.trace_hash, run_whole(&options(10, 4)).trace_hash, "another seed, another run");
}

/// Every Byzantine peer mock, against 4 and 7 honest-majority validators: the checker holds
/// (agreement, valid bodies only, each transaction once, what clients saw committed everywhere,
/// progress, and a late joiner caught up).
#[test]
fn no_byzantine_peer_mock_breaks_the_whole_node() {
    for name in loanchain_sim::mocks::ALL {
        for validators in [4, 7] {
            for seed in 1..=2 {
                let o = run_whole(&WholeOptions { mock: Some(name.to_string()), ..options(seed, validators) });
                assert!(o.violations.is_empty(), "{name}, seed {seed}, {validators} validators: {:#?}", o.violations);
                assert!(o.committed * 10 >= o.admitted * 8, "{name}, seed {seed}: {} of {} committed", o.committed, o.admitted);
                eprintln!("{name} seed {seed} n={validators}: heights {:?}, {} of {} committed", o.heights, o.committed, o.admitted);
            }
        }
    }
}
