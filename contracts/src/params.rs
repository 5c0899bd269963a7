//! The genesis parameters the state machine needs (DESIGN §4, §6).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::amount::{Money, Rate};
use crate::error::Error;
use crate::schedule::PeriodKind;

/// A loan's risk grade, A (best) to E (worst); it sets the institution's risk margin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub enum RiskGrade {
    /// Best.
    A,
    /// Good.
    B,
    /// Fair.
    C,
    /// Weak.
    D,
    /// Worst.
    E,
}

impl RiskGrade {
    /// Every grade, best first.
    pub const ALL: [RiskGrade; 5] = [RiskGrade::A, RiskGrade::B, RiskGrade::C, RiskGrade::D, RiskGrade::E];
}

impl fmt::Display for RiskGrade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl FromStr for RiskGrade {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        RiskGrade::ALL
            .into_iter()
            .find(|g| g.to_string() == s)
            .ok_or_else(|| Error::InvalidField { field: "grade", reason: format!("{s:?} is not one of A, B, C, D, E") })
    }
}

/// Parameters fixed by genesis. Every node must hold the same values, so they are part of the
/// genesis file and of its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct Params {
    /// The chain id every transaction signs over (DESIGN §5).
    pub chain_id: String,
    /// Risk margin (风险保证金) per grade, as a share of principal, moved to the risk pool at
    /// disbursement: 2 %–10 % (DESIGN §6).
    pub risk_margin: BTreeMap<RiskGrade, Rate>,
    /// Days after a due time before an unpaid installment is overdue (default 1).
    pub grace_days: u32,
    /// Days after becoming overdue in which the guarantor may buy back before the pool steps in (default 2).
    pub buyback_window_days: u32,
    /// Daily penalty interest (罚息) on the overdue amount.
    pub penalty_daily_rate: Rate,
    /// Length of a repayment period.
    pub period: PeriodKind,
    /// Length of a "day" for grace, buyback window and penalty, in seconds (86,400 in production).
    pub day_seconds: u64,
    /// How many blocks ahead a transaction's `valid_until_height` may be (DESIGN §5).
    pub max_tx_lifetime: u64,
    /// Transfers of at least this amount are reported as large transactions (大额交易报告).
    pub large_tx_threshold: Money,
    /// Whether the risk pool compensates investors when the guarantor does not buy back.
    pub risk_pool_enabled: bool,
    /// How far a seal's claimed `signed_at` may lie from the including block's time, in seconds.
    pub seal_time_tolerance_seconds: u64,
    /// Longest loan term, in periods.
    pub max_periods: u32,
}

impl Params {
    /// Production-like defaults: calendar months, 1 grace day, 2-day buyback window, 0.05 %/day
    /// penalty, risk pool on.
    pub fn production(chain_id: impl Into<String>) -> Params {
        Params {
            chain_id: chain_id.into(),
            risk_margin: default_margins(),
            grace_days: 1,
            buyback_window_days: 2,
            penalty_daily_rate: Rate::from_millionths(500).expect("0.05 % is a valid rate"),
            period: PeriodKind::CalendarMonth,
            day_seconds: 86_400,
            max_tx_lifetime: 1_000,
            large_tx_threshold: Money::yuan(50_000),
            risk_pool_enabled: true,
            seal_time_tolerance_seconds: 600,
            max_periods: 360,
        }
    }

    /// Devnet defaults: a period lasts `period_seconds` and a day `day_seconds`, so a whole loan
    /// lifecycle fits in minutes.
    pub fn devnet(chain_id: impl Into<String>, period_seconds: u64, day_seconds: u64) -> Params {
        Params { period: PeriodKind::FixedSeconds { seconds: period_seconds }, day_seconds, ..Params::production(chain_id) }
    }

    /// Checks that the parameters make sense together.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |reason: String| Err(Error::InvalidParams { reason });
        if self.chain_id.is_empty() || self.chain_id.len() > 64 {
            return bad(format!("chain_id {:?} must be 1 to 64 characters", self.chain_id));
        }
        let (lo, hi) = (Decimal::new(2, 2), Decimal::new(10, 2));
        for g in RiskGrade::ALL {
            match self.risk_margin.get(&g) {
                None => return bad(format!("risk_margin has no rate for grade {g}")),
                Some(r) if r.decimal() < lo || r.decimal() > hi => {
                    return bad(format!("risk_margin of grade {g} is {r}, must be within 0.02 and 0.10"));
                }
                Some(_) => {}
            }
        }
        if self.day_seconds == 0 {
            return bad("day_seconds must be at least 1".into());
        }
        if let PeriodKind::FixedSeconds { seconds: 0 } = self.period {
            return bad("a fixed period must last at least 1 second".into());
        }
        if self.max_tx_lifetime == 0 {
            return bad("max_tx_lifetime must be at least 1 block".into());
        }
        if self.max_periods == 0 || self.max_periods > 600 {
            return bad(format!("max_periods {} must be within 1 and 600", self.max_periods));
        }
        Ok(())
    }

    /// The risk margin rate of `grade`.
    pub fn margin(&self, grade: RiskGrade) -> Rate {
        self.risk_margin.get(&grade).copied().unwrap_or(Rate::ZERO)
    }

    /// `days` "days" in milliseconds.
    pub fn days_ms(&self, days: u64) -> u64 {
        days.saturating_mul(self.day_seconds).saturating_mul(1_000)
    }
}

fn default_margins() -> BTreeMap<RiskGrade, Rate> {
    [(RiskGrade::A, 20_000), (RiskGrade::B, 40_000), (RiskGrade::C, 60_000), (RiskGrade::D, 80_000), (RiskGrade::E, 100_000)]
        .into_iter()
        .map(|(g, m)| (g, Rate::from_millionths(m).expect("table rates are valid")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_bad_values_do_not() {
        assert!(Params::production("loanchain-test").validate().is_ok());
        assert!(Params::devnet("loanchain-dev", 20, 5).validate().is_ok());
        let mut p = Params::production("x");
        p.risk_margin.remove(&RiskGrade::C);
        assert!(p.validate().unwrap_err().to_string().contains("grade C"));
        let mut p = Params::production("x");
        p.day_seconds = 0;
        assert!(p.validate().is_err());
        let p = Params::devnet("x", 0, 5);
        assert!(p.validate().is_err());
    }

    #[test]
    fn params_round_trip_through_json() {
        let p = Params::devnet("loanchain-dev", 20, 5);
        let json = serde_json::to_string_pretty(&p).unwrap();
        assert!(json.contains("\"A\": \"0.02\""), "{json}");
        let back: Params = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p);
    }
}

#[cfg(test)]
mod bcs_tests {
    use super::*;

    #[test]
    fn params_round_trip_through_bcs() {
        // Genesis is hashed and may be stored in bcs: every field must decode back.
        let p = Params::devnet("loanchain-dev", 20, 5);
        let back: Params = bcs::from_bytes(&bcs::to_bytes(&p).unwrap()).unwrap();
        assert_eq!(back, p);
    }
}
