//! The PBTS timeliness rule (`is_timely`, `message_delay_in_round`): boundaries exact, monotone in
//! the round, no overflow at the extremes of u64 and u32, and the integer growth against
//! CometBFT's `message_delay × 1.1^round` (property tests, STYLE habit 7).

use loanchain_consensus::{MAX_MESSAGE_DELAY_MS, is_timely, message_delay_in_round};
use proptest::prelude::*;

/// The rule in unbounded integers: `received − delay(round) − precision ≤ block ≤ received + precision`.
fn model(block: u64, received: u64, round: u32, precision: u64, delay: u64) -> bool {
    let d = i128::from(message_delay_in_round(delay, round));
    let (b, r, p) = (i128::from(block), i128::from(received), i128::from(precision));
    r - d - p <= b && b <= r + p
}

/// Any u64, with the extremes and small values drawn often.
fn ms() -> impl Strategy<Value = u64> {
    prop_oneof![Just(0), Just(1), Just(u64::MAX), Just(u64::MAX - 1), 0..100_000u64, any::<u64>()]
}

fn rounds() -> impl Strategy<Value = u32> {
    prop_oneof![Just(0), Just(1), Just(u32::MAX), Just(u32::MAX - 1), 0..200u32, any::<u32>()]
}

#[test]
fn the_delay_grows_a_tenth_per_round_rounded_up_to_the_cap() {
    // From 2 s (devnet's delay, CometBFT's first default), as DESIGN §8 quotes it.
    let table = [(0, 2_000), (1, 2_200), (2, 2_420), (3, 2_662), (4, 2_929), (10, 5_191)];
    for (round, expected) in table {
        assert_eq!(message_delay_in_round(2_000, round), expected, "round {round}");
    }
    assert_eq!(message_delay_in_round(2_000, 35), 56_306);
    assert_eq!(message_delay_in_round(2_000, 36), MAX_MESSAGE_DELAY_MS, "the cap is reached in round 36");
    assert_eq!(message_delay_in_round(1_000, 43), MAX_MESSAGE_DELAY_MS, "from 1 s in round 43");
    assert!(message_delay_in_round(1_000, 42) < MAX_MESSAGE_DELAY_MS);
    // Tiny bases grow by at least 1 ms a round.
    assert_eq!(message_delay_in_round(0, 3), 3);
    assert_eq!(message_delay_in_round(1, 5), 6);
    // A base above the cap is kept, never shortened, never grown.
    assert_eq!(message_delay_in_round(90_000, 0), 90_000);
    assert_eq!(message_delay_in_round(90_000, u32::MAX), 90_000);
    assert_eq!(message_delay_in_round(u64::MAX, u32::MAX), u64::MAX);
}

#[test]
fn boundaries_are_inclusive() {
    // received 10 s, precision 500 ms, delay 2 s in round 0: [7.5 s, 10.5 s].
    let (received, precision, delay) = (10_000, 500, 2_000);
    assert!(is_timely(7_500, received, 0, precision, delay));
    assert!(!is_timely(7_499, received, 0, precision, delay));
    assert!(is_timely(10_500, received, 0, precision, delay));
    assert!(!is_timely(10_501, received, 0, precision, delay));
    // Round 1 allows 200 ms more in the past, nothing more in the future.
    assert!(is_timely(7_300, received, 1, precision, delay));
    assert!(!is_timely(7_299, received, 1, precision, delay));
    assert!(!is_timely(10_501, received, 1, precision, delay));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    /// The saturating bounds give exactly the rule's answer in unbounded integers, at every
    /// extreme (and the functions never overflow: release builds trap on overflow).
    #[test]
    fn equals_the_unbounded_rule(block in ms(), received in ms(), round in rounds(), precision in ms(), delay in ms()) {
        prop_assert_eq!(is_timely(block, received, round, precision, delay), model(block, received, round, precision, delay));
    }

    /// The lower bound is exact: `received − delay(round) − precision` is timely, one less is not.
    #[test]
    fn the_past_boundary_is_exact(received in 0..u64::MAX / 2, round in rounds(), precision in 0..u64::MAX / 8, delay in 0..u64::MAX / 8) {
        let earliest = received as i128 - i128::from(message_delay_in_round(delay, round)) - i128::from(precision);
        prop_assume!(earliest >= 1);
        let earliest = earliest as u64;
        prop_assert!(is_timely(earliest, received, round, precision, delay));
        prop_assert!(!is_timely(earliest - 1, received, round, precision, delay));
    }

    /// The upper bound is exact: `received + precision` is timely, one more is not.
    #[test]
    fn the_future_boundary_is_exact(received in 0..u64::MAX / 2, round in rounds(), precision in 0..u64::MAX / 4, delay in ms()) {
        let latest = received + precision;
        prop_assert!(is_timely(latest, received, round, precision, delay));
        prop_assert!(!is_timely(latest + 1, received, round, precision, delay));
    }

    /// A later round never refuses what an earlier one accepted, and its delay is never smaller.
    #[test]
    fn monotone_in_the_round(block in ms(), received in ms(), round in rounds(), later in rounds(), precision in ms(), delay in ms()) {
        let (a, b) = (round.min(later), round.max(later));
        prop_assert!(message_delay_in_round(delay, a) <= message_delay_in_round(delay, b));
        if is_timely(block, received, a, precision, delay) {
            prop_assert!(is_timely(block, received, b, precision, delay));
        }
    }

    /// Between the base and the cap, never below CometBFT's `delay × 1.1^round` and never above
    /// `(delay + 10) × 1.1^round − 10` (each round adds a tenth, rounded up).
    #[test]
    fn growth_brackets_cometbft_s_float_rule(delay in 0..=MAX_MESSAGE_DELAY_MS, round in 0..120u32) {
        let d = message_delay_in_round(delay, round);
        let growth = 1.1f64.powi(round as i32);
        let low = (delay as f64 * growth).min(MAX_MESSAGE_DELAY_MS as f64);
        let high = ((delay as f64 + 10.0) * growth - 10.0).min(MAX_MESSAGE_DELAY_MS as f64);
        prop_assert!(d as f64 >= low * (1.0 - 1e-12), "round {round}: {d} < {low}");
        prop_assert!(d as f64 <= high * (1.0 + 1e-12), "round {round}: {d} > {high}");
        prop_assert!(d >= delay && d <= MAX_MESSAGE_DELAY_MS);
    }
}
