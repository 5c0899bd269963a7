//! A proposer that stamps its blocks in the past (DESIGN §8, block time; issue 16, weakness 12):
//! every Byzantine validator of the seed's scenario is a `Backdater`, which proposes blocks the
//! application accepts, on the decided parent, stamped just beyond (or up to a second beyond) the
//! timeliness bound of their round, and votes for them. No honest validator commits one (the
//! checker counts it as a validity violation: stamped further back than the bound), and every
//! honest validator still commits after the heal. Not built with `broken-quorum`.

use loanchain_sim::scenario::ByzantineKind;
use loanchain_sim::{FaultMix, Scenario, SimOptions, run};

#[test]
fn blocks_stamped_in_the_past_are_never_committed_and_the_chain_goes_on() {
    let mut backdated = 0;
    for n in [4, 7] {
        for mix in [FaultMix::Byzantine, FaultMix::Mixed] {
            for seed in 0..20 {
                let mut sc = Scenario::generate(seed, n, mix);
                for b in &mut sc.byzantine {
                    b.1 = ByzantineKind::Backdater;
                }
                let o = run(sc, SimOptions::default());
                assert!(
                    !o.violations.any() && o.progress_ok,
                    "n {n} {mix} seed {seed}: {:?} progress {} first: {:?}",
                    o.violations,
                    o.progress_ok,
                    o.first_violation
                );
                backdated += o.backdated;
            }
        }
    }
    assert!(backdated >= 20, "the backdaters proposed only {backdated} blocks: the test would prove nothing");
    println!("backdaters proposed {backdated} blocks stamped beyond the bound; honest validators committed none");
}
