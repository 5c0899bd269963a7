//! Repayment schedules, due dates and pro-rata splits (DESIGN §6), in whole fen.
//!
//! - [`build`] turns a loan's principal, annual rate, term and [`RepaymentMethod`] into its
//!   schedule: one [`ScheduleLine`] per period (one line for a bullet loan), every amount rounded
//!   half-up to the fen, the rate per period being `annual / 12` whatever a period lasts.
//! - [`due_time`] says when a period falls due, for calendar-month or fixed-length periods.
//! - [`split_pro_rata`] divides a repayment (or a compensation) among claim holders by largest
//!   remainder, so the parts always sum exactly to the whole.
//!
//! # Rounding, exactly
//!
//! Each rounded quantity is the exact rational value of the DESIGN formula rounded half-up; no
//! intermediate is rounded first:
//!
//! - `round(balance·r)` is evaluated as `round(balance·annual/12)` with the division last. With
//!   `r` first truncated (0.1/12 = 0.008333…), a product that is exactly half a fen (0.60 at 10 %
//!   gives 0.005) would round down instead of up.
//! - The equal installment `A` is computed in exact integer arithmetic: with `annual = m/10^6`,
//!   `D = 12·10^6`, `g = D + m` and the principal `p` in fen,
//!   `A = p·m·g^n / (D·(g^n − D^n))` fen, rounded half-up by one exact division of naturals
//!   (`num-bigint`). `(1+r)^n` has thousands of digits for 600 periods. Evaluated in Decimal's
//!   28 digits, an `A` that is exactly a half fen (these occur: at 12 % over 2 periods whenever
//!   `p·10201 ≡ 10050 (mod 20100)`; at 10 % 144.60 over 2 periods gives 73.205) rounds up only if
//!   the accumulated error happens to point up, and `P·r·(1+r)^n` overflows Decimal at high
//!   rates over long terms (100 % over 600 periods). Exact integers make the rounding a
//!   guarantee rather than an observation.
//!
//! # When the rounded principal would overshoot
//!
//! `round(P/n)` (equal principal, and the equal installment at rate 0) may exceed `P/n` by up to
//! half a fen, and an installment rounded up repays that much extra principal every period, the
//! excess compounding at the period rate. The first `n − 1` periods can then repay more than `P`,
//! leaving "the remainder" for the last negative: 0.20 over 8 periods gives 7 × 0.03 = 0.21; at
//! rate 0 this needs `P < n(n−1)/2` fen, but at high rates over long terms ordinary loans reach
//! it (10,000.00 at 36 % over 360 periods: A = 300.01 against an exact 300.0069…, and the
//! balance is gone after 352 periods; 1,000.00 at 12 % over 360: one period early). The rule here:
//! no period repays more principal than is outstanding, `principal_k = min(due principal,
//! balance)`. Every line until the balance runs out follows the DESIGN formula unchanged; the
//! line where it runs out pays the rest of the balance plus its interest; the lines after it are
//! all zero (no principal, no interest on a zero balance). The principal still sums to exactly
//! `P` and no amount is negative. Callers must treat a zero line as paid when it falls due.

use std::fmt;
use std::str::FromStr;

use num_bigint::BigUint;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::amount::{Amount, Money, Rate};
use crate::calendar::{add_months, civil_from_days, days_from_civil};
use crate::error::Error;

/// How a loan is repaid (DESIGN §6, glossary §14).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum RepaymentMethod {
    /// 等额本息: equal installments.
    EqualInstallment,
    /// 等额本金: equal principal.
    EqualPrincipal,
    /// 先息后本: interest every period, principal with the last.
    InterestFirst,
    /// 到期还本付息: principal and all interest at maturity.
    Bullet,
}

impl RepaymentMethod {
    /// Every method, in a fixed order.
    pub const ALL: [RepaymentMethod; 4] =
        [RepaymentMethod::EqualInstallment, RepaymentMethod::EqualPrincipal, RepaymentMethod::InterestFirst, RepaymentMethod::Bullet];

    /// The snake_case name used in JSON and on the CLI.
    pub fn name(self) -> &'static str {
        match self {
            RepaymentMethod::EqualInstallment => "equal_installment",
            RepaymentMethod::EqualPrincipal => "equal_principal",
            RepaymentMethod::InterestFirst => "interest_first",
            RepaymentMethod::Bullet => "bullet",
        }
    }
}

impl fmt::Display for RepaymentMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for RepaymentMethod {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        RepaymentMethod::ALL.into_iter().find(|m| m.name() == s).ok_or_else(|| Error::InvalidField {
            field: "method",
            reason: format!("{s:?} is not one of {}", RepaymentMethod::ALL.map(RepaymentMethod::name).join(", ")),
        })
    }
}

/// How long a repayment period is (a genesis parameter, DESIGN §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    /// Production: due on the same day of month as activation (clamped to month end), 23:59:59 UTC+8.
    CalendarMonth,
    /// Devnet and demos: every period lasts this many seconds.
    FixedSeconds {
        /// Length of one period in seconds (≥ 1).
        seconds: u64,
    },
}

/// Longest term [`build`] accepts, in periods: the ceiling of `Params::max_periods`.
pub const MAX_PERIODS: u32 = 600;

/// Months per year: the rate per period is the annual rate / 12 (DESIGN §6).
const MONTHS_PER_YEAR: u64 = 12;
/// A rate is a count of millionths, so the period rate is `millionths / RATE_DENOM`.
const RATE_DENOM: u64 = MONTHS_PER_YEAR * 1_000_000;
/// UTC+8 (China Standard Time, no daylight saving), in milliseconds.
const UTC8_OFFSET_MS: i128 = 8 * 3_600_000;
/// Milliseconds per civil day.
const MS_PER_DAY: i128 = 86_400_000;
/// 23:59:59 as milliseconds after midnight: the instant a calendar-month installment falls due.
const DUE_TIME_OF_DAY_MS: i128 = MS_PER_DAY - 1_000;

/// One installment of a schedule: what falls due at the end of `period`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct ScheduleLine {
    /// The period (1-based) at whose end the line is due; see [`due_time`].
    pub period: u32,
    /// Principal repaid.
    pub principal: Money,
    /// Interest paid.
    pub interest: Money,
    /// `principal + interest`.
    pub payment: Money,
}

impl ScheduleLine {
    fn new(period: u32, principal: Money, interest: Money) -> Result<ScheduleLine, Error> {
        Ok(ScheduleLine { period, principal, interest, payment: principal.checked_add(interest)? })
    }
}

/// The schedule of a loan of `principal` at `annual_rate` over `periods` periods (DESIGN §6).
///
/// Every amount is rounded half-up to the fen; `r = annual_rate / 12`; `balance` is the principal
/// outstanding at the start of a period.
///
/// - [`RepaymentMethod::EqualInstallment`]: `A = round(P·r·(1+r)^n / ((1+r)^n − 1))`, or
///   `round(P/n)` when `r = 0`; each period pays `interest = round(balance·r)` and
///   `principal = A − interest`; the last pays the remaining balance plus its interest.
/// - [`RepaymentMethod::EqualPrincipal`]: `principal = round(P/n)`, the last takes the remainder;
///   `interest = round(balance·r)`.
/// - [`RepaymentMethod::InterestFirst`]: `round(P·r)` interest each period, all principal with the
///   last.
/// - [`RepaymentMethod::Bullet`]: one line, period `n`: principal `P`, interest `round(P·r·n)`.
///
/// No period repays more principal than is outstanding (see the module doc), so the principal of
/// all lines sums exactly to `P`, no amount is negative and `payment = principal + interest` on
/// every line. Lines are numbered 1..=n, except the single bullet line, numbered n.
///
/// Errors: `periods` is 0 or above [`MAX_PERIODS`] ([`Error::InvalidField`]); an amount beyond
/// the money range ([`Error::Overflow`]).
pub fn build(principal: Amount, annual_rate: Rate, periods: u32, method: RepaymentMethod) -> Result<Vec<ScheduleLine>, Error> {
    if periods == 0 || periods > MAX_PERIODS {
        return Err(Error::InvalidField { field: "periods", reason: format!("{periods} is not within 1 and {MAX_PERIODS}") });
    }
    let p = principal.money();
    match method {
        // DESIGN §6 到期还本付息: one payment P + round(P·r·n) at maturity.
        RepaymentMethod::Bullet => Ok(vec![ScheduleLine::new(periods, p, interest(p, annual_rate, periods)?)?]),
        // DESIGN §6 先息后本: interest round(P·r) each period, principal with the last.
        RepaymentMethod::InterestFirst => {
            let i = interest(p, annual_rate, 1)?;
            (1..=periods).map(|k| ScheduleLine::new(k, if k == periods { p } else { Money::ZERO }, i)).collect()
        }
        // DESIGN §6 等额本金: principal_k = round(P/n), the last takes the remainder.
        RepaymentMethod::EqualPrincipal => {
            let part = round_div(p, periods)?;
            amortize(p, annual_rate, periods, |_| Ok(part))
        }
        // DESIGN §6 等额本息: principal_k = A − round(balance·r).
        RepaymentMethod::EqualInstallment => {
            let a = if annual_rate.is_zero() {
                round_div(p, periods)?
            } else {
                Money::from_fen(installment_fen(p.fen(), annual_rate.millionths(), periods))?
            };
            // A ≥ round(P·r) ≥ round(balance·r), as A's exact value exceeds P·r and balance ≤ P.
            amortize(p, annual_rate, periods, |i| a.checked_sub(i).ok_or(Error::Overflow { what: "installment" }))
        }
    }
}

/// Lines 1..=n of an amortizing schedule: interest on the outstanding balance, the principal
/// `due(interest)` capped at the balance, and the whole remaining balance in the last period.
fn amortize(p: Money, annual_rate: Rate, periods: u32, due: impl Fn(Money) -> Result<Money, Error>) -> Result<Vec<ScheduleLine>, Error> {
    let mut balance = p;
    let mut lines = Vec::with_capacity(periods as usize);
    for k in 1..=periods {
        let i = interest(balance, annual_rate, 1)?;
        let principal = if k == periods { balance } else { due(i)?.min(balance) };
        balance = balance.saturating_sub(principal); // principal ≤ balance
        lines.push(ScheduleLine::new(k, principal, i)?);
    }
    Ok(lines)
}

/// `round(balance · annual/12 · months)`, the division last so that exact half fens stay exact.
///
/// `balance·annual·months` is exact (mantissa below 10^14 · 10^6 · 600 ≪ 2^96). Dividing it by 12
/// gives either a terminating decimal, represented exactly (which covers every exact half fen), or
/// one ending in repeated 3s or 6s, at least 1/12 of 10^-8 away from any half fen while Decimal's
/// error is below 10^-17: the rounding is always that of the exact value.
fn interest(balance: Money, annual_rate: Rate, months: u32) -> Result<Money, Error> {
    let overflow = || Error::Overflow { what: "interest" };
    let product =
        balance.decimal().checked_mul(annual_rate.decimal()).and_then(|x| x.checked_mul(Decimal::from(months))).ok_or_else(overflow)?;
    Money::round_half_up(product.checked_div(Decimal::from(MONTHS_PER_YEAR)).ok_or_else(overflow)?)
}

/// `round(p / n)`; exact half fens are terminating decimals, so Decimal division rounds right.
fn round_div(p: Money, n: u32) -> Result<Money, Error> {
    Money::round_half_up(p.decimal().checked_div(Decimal::from(n)).ok_or(Error::Overflow { what: "principal share" })?)
}

/// The equal installment in fen for `p` fen at `m` millionths a year over `n` periods, `m > 0`:
/// `round(p·m·g^n / (D·(g^n − D^n)))` with `D = 12·10^6`, `g = D + m`, which is
/// `P·r·(1+r)^n / ((1+r)^n − 1)` with `r = m / D`, multiplied through by `D^n`.
///
/// Half-up rounding of `Num/Den` is `floor((2Num + Den) / 2Den)`, one exact division of
/// naturals (`num-bigint`; `(1+r)^600` has about 14,000 bits). Bound: `A = P·r / (1 − (1+r)^-n)
/// ≤ P·r / (1 − 1/(1+r)) = P·(1+r)` and `r ≤ 1/12`, so the rounded `A` is at most `2p`, which
/// fits a `u64` (p < 2^57).
fn installment_fen(p: u64, m: u64, n: u32) -> u64 {
    let g_n = BigUint::from(RATE_DENOM + m).pow(n);
    let den = (&g_n - BigUint::from(RATE_DENOM).pow(n)) * RATE_DENOM; // g^n > D^n since m > 0
    let num = g_n * p * m;
    let rounded = (num * 2u32 + &den) / (den * 2u32);
    // Unreachable by the bound above; u64::MAX is outside the money range, so a caller's
    // `Money::from_fen` would refuse it rather than use a wrong amount.
    u64::try_from(&rounded).unwrap_or(u64::MAX)
}

/// Unix milliseconds at which `period` (1-based) falls due for a loan activated at `start_ms`.
///
/// - [`PeriodKind::FixedSeconds`]: `start + period·seconds·1000`.
/// - [`PeriodKind::CalendarMonth`] (DESIGN §6): the activation's civil date in UTC+8 is day `D` of
///   its month; period `k` falls due `k` months later on day `min(D, last day of that month)` at
///   23:59:59 UTC+8. Clamping is from the activation day each time, never from the previous due
///   date: activated Jan 31, the loan falls due Feb 28 (29), Mar 31, Apr 30, …
///
/// Strictly increasing in `period` for both kinds. Errors: `period` 0 ([`Error::InvalidField`]),
/// a fixed period of 0 seconds ([`Error::InvalidParams`]), a time past `u64` ([`Error::Overflow`]).
pub fn due_time(start_ms: u64, kind: PeriodKind, period: u32) -> Result<u64, Error> {
    if period == 0 {
        return Err(Error::InvalidField { field: "period", reason: "periods are numbered from 1".into() });
    }
    let overflow = || Error::Overflow { what: "due time" };
    match kind {
        PeriodKind::FixedSeconds { seconds: 0 } => {
            Err(Error::InvalidParams { reason: "a fixed period must last at least 1 second".into() })
        }
        PeriodKind::FixedSeconds { seconds } => u64::from(period)
            .checked_mul(seconds)
            .and_then(|s| s.checked_mul(1_000))
            .and_then(|ms| start_ms.checked_add(ms))
            .ok_or_else(overflow),
        PeriodKind::CalendarMonth => {
            // start_ms < 2^64 ms is under 2.2·10^11 days: every step below fits an i64.
            let local_day = (i128::from(start_ms) + UTC8_OFFSET_MS).div_euclid(MS_PER_DAY) as i64;
            let (y, m, d) = civil_from_days(local_day);
            let (y, m, d) = add_months(y, m, d, period);
            let due_local_ms = i128::from(days_from_civil(y, m, d)) * MS_PER_DAY + DUE_TIME_OF_DAY_MS;
            u64::try_from(due_local_ms - UTC8_OFFSET_MS).map_err(|_| overflow())
        }
    }
}

/// Splits `total` among `weights` in proportion (DESIGN §6 repayment split): part `i` is
/// `floor(total·w_i / W)` fen, `W = Σ w`, and the fen left over go one each to the largest
/// remainders `total·w_i mod W`, ties to the lower index (callers pass claims in claim-id order).
///
/// The parts sum exactly to `total`. Errors: `W = 0` while `total > 0` ([`Error::InvalidField`]).
/// `W = 0` and `total = 0` gives zeros (no weights give an empty vector).
///
/// **No part exceeds its weight when `total ≤ W`** (pro-rata risk-pool compensation relies on
/// it). Proof: the leftover is `L = Σ rem_i / W`, an integer, and each `rem_i / W < 1`, so `L` is
/// smaller than the number of positive remainders; sorted by remainder, the `L` extra fen thus go
/// only to parts with `rem_i > 0`. A part with `rem_i = 0` is exactly `total·w_i/W ≤ w_i`. A part
/// with `rem_i > 0` has `floor(total·w_i/W) < total·w_i/W ≤ w_i`, so its floor is at most
/// `w_i − 1` fen and with the extra fen it is at most `w_i`.
///
/// Monotone: `w_i < w_j` gives `part_i ≤ part_j` (equal floors imply `rem_i < rem_j`), and equal
/// weights differ by at most one fen, the lower index getting it.
pub fn split_pro_rata(total: Money, weights: &[Money]) -> Result<Vec<Money>, Error> {
    let t = u128::from(total.fen());
    // Each weight is below 2^57 fen, so the sum and t·w (< 2^114) fit a u128.
    let w_sum: u128 = weights.iter().map(|w| u128::from(w.fen())).sum();
    if w_sum == 0 {
        if t > 0 {
            return Err(Error::InvalidField {
                field: "weights",
                reason: format!("cannot split {total} CNY among weights that sum to zero"),
            });
        }
        return Ok(vec![Money::ZERO; weights.len()]);
    }
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    let mut given = 0u128;
    for (i, w) in weights.iter().enumerate() {
        let share = t * u128::from(w.fen());
        parts.push(share / w_sum);
        remainders.push((share % w_sum, i));
        given += share / w_sum;
    }
    let left = (t - given) as usize; // < weights.len()
    if left > 0 {
        remainders.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for &(_, i) in &remainders[..left] {
            parts[i] += 1;
        }
    }
    parts.into_iter().map(|fen| Money::from_fen(fen as u64)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(s: &str) -> Money {
        s.parse().unwrap()
    }

    fn rate(s: &str) -> Rate {
        s.parse().unwrap()
    }

    fn amount(s: &str) -> Amount {
        s.parse().unwrap()
    }

    fn payments(lines: &[ScheduleLine]) -> Vec<String> {
        lines.iter().map(|l| l.payment.to_string()).collect()
    }

    #[test]
    fn design_example_pays_8884_88_a_month() {
        // DESIGN §6 equal installment: 100,000.00 at 12 %/yr over 12 months.
        let lines = build(Amount::yuan(100_000), rate("0.12"), 12, RepaymentMethod::EqualInstallment).unwrap();
        assert_eq!(lines.len(), 12);
        assert!(lines[..11].iter().all(|l| l.payment == money("8884.88")), "{:?}", payments(&lines));
        assert_eq!(lines[0].interest, money("1000.00"));
        assert_eq!(lines[0].principal, money("7884.88"));
        assert_eq!(Money::sum(lines.iter().map(|l| l.principal)).unwrap(), money("100000.00"));
        assert_eq!((1..=12).collect::<Vec<u32>>(), lines.iter().map(|l| l.period).collect::<Vec<_>>());
    }

    #[test]
    fn periods_must_be_within_one_and_the_ceiling() {
        for n in [0, MAX_PERIODS + 1] {
            let err = build(Amount::yuan(1), rate("0.1"), n, RepaymentMethod::Bullet).unwrap_err();
            assert!(matches!(err, Error::InvalidField { field: "periods", .. }), "{err}");
        }
    }

    #[test]
    fn bullet_is_one_line_at_maturity() {
        let lines = build(Amount::yuan(100_000), rate("0.12"), 12, RepaymentMethod::Bullet).unwrap();
        assert_eq!(
            lines,
            vec![ScheduleLine { period: 12, principal: money("100000"), interest: money("12000"), payment: money("112000") }]
        );
    }

    #[test]
    fn interest_first_pays_principal_last() {
        let lines = build(Amount::yuan(1_000), rate("0.06"), 3, RepaymentMethod::InterestFirst).unwrap();
        assert_eq!(payments(&lines), ["5.00", "5.00", "1005.00"]);
    }

    #[test]
    fn exact_half_fens_round_up() {
        // 0.60 · 0.1/12 = 0.005 exactly: a truncated r (0.00833…) would give 0.00.
        let lines = build(amount("0.60"), rate("0.1"), 1, RepaymentMethod::EqualPrincipal).unwrap();
        assert_eq!(lines[0].interest, money("0.01"));
        // 144.60 at 10 % over 2: A = 73.205 exactly.
        assert_eq!(installment_fen(14_460, 100_000, 2), 7_321);
        // 100.50 at 12 % over 2: A = 51.005 exactly, and one fen less rounds down.
        assert_eq!(installment_fen(10_050, 120_000, 2), 5_101);
        assert_eq!(installment_fen(10_049, 120_000, 2), 5_100);
    }

    #[test]
    fn installment_over_one_period_is_principal_plus_interest() {
        // n = 1: A = P·(1+r) = p·(D+m)/D fen.
        for (p, m) in [(1, 1), (10_000, 120_000), (99_999_999_999_999, 1_000_000), (12_345, 333_333)] {
            let exact = (2 * u128::from(p) * u128::from(RATE_DENOM + m) + u128::from(RATE_DENOM)) / (2 * u128::from(RATE_DENOM));
            assert_eq!(u128::from(installment_fen(p, m, 1)), exact, "p={p} m={m}");
        }
    }

    #[test]
    fn overshooting_principal_is_capped_at_the_balance() {
        // round(0.20/8) = 0.03, and 7 × 0.03 > 0.20 (module doc).
        let lines = build(amount("0.20"), rate("0.12"), 8, RepaymentMethod::EqualPrincipal).unwrap();
        let principal: Vec<String> = lines.iter().map(|l| l.principal.to_string()).collect();
        assert_eq!(principal, ["0.03", "0.03", "0.03", "0.03", "0.03", "0.03", "0.02", "0.00"]);
        assert_eq!(lines[7].payment, Money::ZERO);
    }

    #[test]
    fn at_rate_zero_installment_and_principal_methods_agree() {
        let a = build(amount("1000.01"), Rate::ZERO, 7, RepaymentMethod::EqualInstallment).unwrap();
        let b = build(amount("1000.01"), Rate::ZERO, 7, RepaymentMethod::EqualPrincipal).unwrap();
        assert_eq!(a, b);
        assert_eq!(payments(&a), ["142.86", "142.86", "142.86", "142.86", "142.86", "142.86", "142.85"]);
    }

    #[test]
    fn extreme_inputs_build_without_overflow() {
        for method in RepaymentMethod::ALL {
            for r in ["1", "0.000001", "0"] {
                let lines = build(Amount::yuan(1_000_000_000_000), rate(r), MAX_PERIODS, method).unwrap();
                assert_eq!(Money::sum(lines.iter().map(|l| l.principal)).unwrap(), Amount::yuan(1_000_000_000_000).money());
            }
        }
    }

    #[test]
    fn schedule_lines_serialize_with_string_amounts() {
        let line = ScheduleLine { period: 1, principal: money("7884.88"), interest: money("1000"), payment: money("8884.88") };
        let json = serde_json::to_string(&line).unwrap();
        assert_eq!(json, r#"{"period":1,"principal":"7884.88","interest":"1000.00","payment":"8884.88"}"#);
        assert_eq!(serde_json::from_str::<ScheduleLine>(&json).unwrap(), line);
    }
}
