//! Repayment schedules, due dates and pro-rata splits (DESIGN §6), in whole fen.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// How a loan is repaid (DESIGN §6, glossary §14).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
    pub const ALL: [RepaymentMethod; 4] = [
        RepaymentMethod::EqualInstallment,
        RepaymentMethod::EqualPrincipal,
        RepaymentMethod::InterestFirst,
        RepaymentMethod::Bullet,
    ];

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
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PeriodKind {
    /// Production: due on the same day of month as activation (clamped to month end), 23:59:59 UTC+8.
    CalendarMonth,
    /// Devnet and demos: every period lasts this many seconds.
    FixedSeconds {
        /// Length of one period in seconds (≥ 1).
        seconds: u64,
    },
}
