//! Properties of schedules, due times and pro-rata splits (DESIGN §6), over random inputs, plus
//! the example-based checks of `due_time` and `split_pro_rata`, which need only the public API.

use loanchain_contracts::schedule::{ScheduleLine, build, due_time, split_pro_rata};
use loanchain_contracts::{Amount, Error, Money, PeriodKind, Rate, RepaymentMethod};
use proptest::prelude::*;

const DAY_MS: u64 = 86_400_000;
/// 2100-01-01 00:00 UTC: activations are drawn from 1970 to 2100.
const YEAR_2100_MS: u64 = 4_102_444_800_000;

/// 0.01 to 10^12 CNY, spread over every order of magnitude (a uniform draw would almost always
/// be above 10^9 and miss the small loans where rounding matters most).
fn principal() -> impl Strategy<Value = Amount> {
    (0u32..=14).prop_flat_map(|e| 1u64..=10u64.pow(e)).prop_map(|fen| Amount::new(Money::from_fen(fen).unwrap()).unwrap())
}

/// 0 to 36 % a year with up to six places, zero often.
fn annual_rate() -> impl Strategy<Value = Rate> {
    prop_oneof![1 => Just(0u64), 9 => 0u64..=360_000].prop_map(|m| Rate::from_millionths(m).unwrap())
}

fn method() -> impl Strategy<Value = RepaymentMethod> {
    proptest::sample::select(RepaymentMethod::ALL.to_vec())
}

/// Money in fen, spread over magnitudes up to 10^14 fen, zero sometimes.
fn weight() -> impl Strategy<Value = Money> {
    (0u32..=14).prop_flat_map(|e| 0u64..=10u64.pow(e)).prop_map(|fen| Money::from_fen(fen).unwrap())
}

fn sum(xs: impl IntoIterator<Item = Money>) -> Money {
    Money::sum(xs).unwrap()
}

/// The equal part `due` is paid every period until the balance runs out: the line where it does
/// pays the rest of the balance (less than `due`), every later line is zero (module doc of
/// `schedule`). `due_of(line)` is the principal the formula asks of that line.
fn check_capped_tail(lines: &[ScheduleLine], p: Money, due_of: impl Fn(&ScheduleLine) -> Money) -> Result<(), TestCaseError> {
    let mut balance = p;
    let mut ran_out = false;
    for line in &lines[..lines.len() - 1] {
        if ran_out {
            prop_assert_eq!(line.payment, Money::ZERO, "period {} after the balance ran out", line.period);
        } else if line.principal != due_of(line) {
            prop_assert!(
                line.principal == balance && balance < due_of(line),
                "period {}: {:?} with balance {}",
                line.period,
                line,
                balance
            );
            ran_out = true;
        }
        balance = balance.checked_sub(line.principal).unwrap();
    }
    prop_assert_eq!(lines[lines.len() - 1].principal, balance);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn schedules_repay_exactly_the_principal(p in principal(), r in annual_rate(), n in 1u32..=360, m in method()) {
        let lines = build(p, r, n, m).unwrap();
        prop_assert_eq!(sum(lines.iter().map(|l| l.principal)), p.money());
        for l in &lines {
            // Money is non-negative by construction; the payment is the sum of the two parts.
            prop_assert_eq!(l.payment, l.principal.checked_add(l.interest).unwrap());
        }
        let periods: Vec<u32> = lines.iter().map(|l| l.period).collect();
        if m == RepaymentMethod::Bullet {
            prop_assert_eq!(periods, vec![n]);
        } else {
            prop_assert_eq!(periods, (1..=n).collect::<Vec<_>>());
        }
        match m {
            RepaymentMethod::EqualInstallment => {
                // Every payment but the last equals A (the first line's), until the balance runs out.
                let a = lines[0].payment;
                check_capped_tail(&lines, p.money(), |l| a.checked_sub(l.interest).unwrap())?;
                let paid_a = lines[..lines.len() - 1].iter().filter(|l| l.payment == a).count();
                let zero = lines.iter().filter(|l| l.payment == Money::ZERO).count();
                prop_assert!(paid_a + zero + 2 >= lines.len(), "{:?}", lines);
            }
            RepaymentMethod::EqualPrincipal => {
                let share = lines[0].principal;
                check_capped_tail(&lines, p.money(), |_| share)?;
                // interest falls (weakly) as the balance falls
                prop_assert!(lines.windows(2).all(|w| w[0].interest >= w[1].interest));
            }
            RepaymentMethod::InterestFirst => {
                prop_assert!(lines.iter().all(|l| l.interest == lines[0].interest));
                prop_assert!(lines[..lines.len() - 1].iter().all(|l| l.principal == Money::ZERO));
            }
            RepaymentMethod::Bullet => prop_assert_eq!(lines[0].principal, p.money()),
        }
    }

    #[test]
    fn zero_rate_means_zero_interest(p in principal(), n in 1u32..=360, m in method()) {
        let lines = build(p, Rate::ZERO, n, m).unwrap();
        prop_assert!(lines.iter().all(|l| l.interest == Money::ZERO));
    }

    #[test]
    fn split_parts_sum_to_the_total_and_respect_the_weights(
        weights in proptest::collection::vec(weight(), 1..40),
        total_fen in 0u64..=100_000_000_000_000_000,
        within in any::<bool>(),
    ) {
        let w_sum: u128 = weights.iter().map(|w| u128::from(w.fen())).sum();
        prop_assume!(w_sum > 0);
        // Half the time total ≤ W (the risk-pool shortfall case).
        let t = if within { u128::from(total_fen) % (w_sum + 1) } else { u128::from(total_fen) };
        let total = Money::from_fen(t as u64).unwrap();
        let parts = split_pro_rata(total, &weights).unwrap();
        prop_assert_eq!(parts.len(), weights.len());
        prop_assert_eq!(sum(parts.iter().copied()), total);
        for (i, (part, w)) in parts.iter().zip(&weights).enumerate() {
            // within one fen of the exact share t·w/W
            let (x, exact) = (u128::from(part.fen()) * w_sum, t * u128::from(w.fen()));
            prop_assert!(x + w_sum > exact && x < exact + w_sum, "part {} = {} of weight {}", i, part, w);
            if t <= w_sum {
                prop_assert!(part <= w, "part {} = {} exceeds its weight {} (total {} ≤ W)", i, part, w, total);
            }
            for (j, (other, v)) in parts.iter().zip(&weights).enumerate().skip(i + 1) {
                if w < v {
                    prop_assert!(part <= other, "w{} < w{} but part {} > {}", i, j, part, other);
                } else if w > v {
                    prop_assert!(part >= other, "w{} > w{} but part {} < {}", i, j, part, other);
                } else {
                    // equal weights, equal remainders: the lower index gets the leftover fen first
                    let ok = *part == *other || part.fen() == other.fen() + 1;
                    prop_assert!(ok, "equal weights {}: {} vs {}", w, part, other);
                }
            }
        }
    }

    #[test]
    fn fixed_periods_are_strictly_increasing(
        start in 0u64..=YEAR_2100_MS,
        seconds in 1u64..=100_000_000,
        k in 1u32..600,
    ) {
        let kind = PeriodKind::FixedSeconds { seconds };
        let (a, b) = (due_time(start, kind, k).unwrap(), due_time(start, kind, k + 1).unwrap());
        prop_assert!(start < a && a < b);
        prop_assert_eq!(b - a, seconds * 1_000);
    }

    #[test]
    fn calendar_periods_are_strictly_increasing_months_at_23_59_59_utc8(start in 0u64..=YEAR_2100_MS, k in 1u32..600) {
        let due = |k| due_time(start, PeriodKind::CalendarMonth, k).unwrap();
        let (a, b) = (due(k), due(k + 1));
        prop_assert!(start < a && a < b);
        // 23:59:59 UTC+8 = 15:59:59 UTC; consecutive due dates are 28 to 31 days apart.
        prop_assert_eq!((a + 8 * 3_600_000) % DAY_MS, DAY_MS - 1_000);
        prop_assert!((28 * DAY_MS..=31 * DAY_MS).contains(&(b - a)), "{} days", (b - a) / DAY_MS);
        if k == 1 {
            prop_assert!((27 * DAY_MS..32 * DAY_MS).contains(&(a - start)));
        }
    }
}

#[test]
fn fixed_periods_fall_due_every_period_length() {
    let kind = PeriodKind::FixedSeconds { seconds: 20 };
    assert_eq!(due_time(1_000, kind, 1).unwrap(), 21_000);
    assert_eq!(due_time(1_000, kind, 3).unwrap(), 61_000);
    assert!(matches!(due_time(1_000, kind, 0), Err(Error::InvalidField { .. })));
    assert!(matches!(due_time(1_000, PeriodKind::FixedSeconds { seconds: 0 }, 1), Err(Error::InvalidParams { .. })));
    assert!(matches!(due_time(u64::MAX - 1, kind, 1), Err(Error::Overflow { .. })));
}

/// Instants checked with Python's `datetime` in UTC+8.
#[test]
fn calendar_months_fall_due_at_23_59_59_utc8_clamped_to_month_end() {
    let due = |start, k| due_time(start, PeriodKind::CalendarMonth, k).unwrap();
    // Activated 2024-01-31 10:00 UTC+8 (leap year).
    let jan31 = 1_706_666_400_000;
    assert_eq!(due(jan31, 1), 1_709_222_399_000); // 2024-02-29 23:59:59
    assert_eq!(due(jan31, 2), 1_711_900_799_000); // 2024-03-31 23:59:59
    assert_eq!(due(jan31, 13), 1_740_758_399_000); // 2025-02-28 23:59:59
    // Activated 2023-01-31 12:00 UTC+8: 2023-02-28 23:59:59.
    assert_eq!(due(1_675_137_600_000, 1), 1_677_599_999_000);
    // 2023-12-14 23:59:59.999 UTC+8 is still the 14th, 00:00:00.000 the next millisecond the
    // 15th, whatever the date in UTC (15:59:59.999 / 16:00 on the 14th). December → January.
    assert_eq!(due(1_702_569_599_999, 1), 1_705_247_999_000); // 2024-01-14 23:59:59
    assert_eq!(due(1_702_569_600_000, 1), 1_705_334_399_000); // 2024-01-15 23:59:59
    assert!(matches!(due_time(jan31, PeriodKind::CalendarMonth, 0), Err(Error::InvalidField { .. })));
    assert!(matches!(due_time(u64::MAX, PeriodKind::CalendarMonth, 1), Err(Error::Overflow { .. })));
}

#[test]
fn split_gives_leftover_fen_by_largest_remainder_then_index() {
    let money = |s: &str| s.parse::<Money>().unwrap();
    let w = |xs: &[&str]| xs.iter().map(|s| money(s)).collect::<Vec<_>>();
    let s = |xs: Vec<Money>| xs.iter().map(|m| m.to_string()).collect::<Vec<_>>();
    assert_eq!(s(split_pro_rata(money("100"), &w(&["1", "1", "1"])).unwrap()), ["33.34", "33.33", "33.33"]);
    // Floors 1, 0, 0 fen with remainders 5/10, 6/10, 9/10 fen: the 2 leftover fen go to the
    // larger remainders, not to the largest weight.
    assert_eq!(s(split_pro_rata(money("0.03"), &w(&["0.05", "0.02", "0.03"])).unwrap()), ["0.01", "0.01", "0.01"]);
    assert_eq!(s(split_pro_rata(money("10"), &w(&["0", "4"])).unwrap()), ["0.00", "10.00"]);
    assert_eq!(split_pro_rata(Money::ZERO, &[]).unwrap(), vec![]);
    assert_eq!(split_pro_rata(Money::ZERO, &w(&["0", "0"])).unwrap(), vec![Money::ZERO; 2]);
    assert!(matches!(split_pro_rata(money("1"), &w(&["0"])), Err(Error::InvalidField { .. })));
    assert!(matches!(split_pro_rata(money("1"), &[]), Err(Error::InvalidField { .. })));
}
