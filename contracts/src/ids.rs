//! Identifiers of accounts, loans, claims and seals, and the roles accounts play.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;
pub use loanchain_primitives::AccountId;

/// Checks a human-chosen identifier: 1 to 64 characters from `[A-Za-z0-9._-]`.
fn check_label(field: &'static str, s: &str) -> Result<(), Error> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if s.is_empty() || s.len() > 64 || !s.chars().all(ok_char) {
        return Err(Error::InvalidField { field, reason: format!("{s:?} must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' or '-'") });
    }
    Ok(())
}

macro_rules! label_id {
    ($(#[$meta:meta])* $name:ident, $field:literal) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps an identifier.
            pub fn new(s: impl Into<String>) -> Result<Self, Error> {
                let s = s.into();
                check_label($field, &s)?;
                Ok($name(s))
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                $name::new(s)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::new(s).map_err(serde::de::Error::custom)
            }
        }
    };
}

label_id!(
    /// A loan (contract number), chosen by the listing institution, unique on the chain.
    LoanId,
    "loan_id"
);
label_id!(
    /// A seal certificate's serial, chosen by its issuing seal authority.
    SealId,
    "seal_id"
);

/// A claim (债权): one funding of one loan. Shown as `LOAN#INDEX`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct ClaimId {
    /// The loan the claim is a share of.
    pub loan: LoanId,
    /// Order of creation within the loan, from 0.
    pub index: u32,
}

impl fmt::Display for ClaimId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.loan, self.index)
    }
}

impl fmt::Debug for ClaimId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClaimId({self})")
    }
}

impl FromStr for ClaimId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = || Error::InvalidField { field: "claim_id", reason: format!("{s:?} is not LOAN#INDEX") };
        let (loan, index) = s.rsplit_once('#').ok_or_else(bad)?;
        Ok(ClaimId { loan: LoanId::new(loan)?, index: index.parse().map_err(|_| bad())? })
    }
}

/// What an account may do on the chain (DESIGN §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 信贷服务机构: lists and guarantees loans, registers the people it identified.
    CreditInstitution,
    /// 资金存管银行: credits deposits and debits withdrawals of the custody ledger.
    CustodianBank,
    /// 出借人: funds loans, holds and transfers claims.
    Investor,
    /// 借款人: seals its loan contract and repays.
    Borrower,
    /// 监管机构: freezes accounts and suspends institutions.
    Regulator,
    /// 电子认证服务机构: issues and revokes seal certificates.
    SealAuthority,
    /// A member institution that runs a validator and has no business role on the ledger.
    ValidatorInstitution,
}

impl Role {
    /// Every role, in a fixed order (used by the role × action matrix test and the CLI).
    pub const ALL: [Role; 7] = [
        Role::CreditInstitution,
        Role::CustodianBank,
        Role::Investor,
        Role::Borrower,
        Role::Regulator,
        Role::SealAuthority,
        Role::ValidatorInstitution,
    ];

    /// The snake_case name used in JSON and on the CLI.
    pub fn name(self) -> &'static str {
        match self {
            Role::CreditInstitution => "credit_institution",
            Role::CustodianBank => "custodian_bank",
            Role::Investor => "investor",
            Role::Borrower => "borrower",
            Role::Regulator => "regulator",
            Role::SealAuthority => "seal_authority",
            Role::ValidatorInstitution => "validator_institution",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Role {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Role::ALL.into_iter().find(|r| r.name() == s).ok_or_else(|| Error::InvalidField {
            field: "role",
            reason: format!("{s:?} is not one of {}", Role::ALL.map(Role::name).join(", ")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_checked() {
        assert!(LoanId::new("JD-2026-0001").is_ok());
        assert!(LoanId::new("").is_err());
        assert!(LoanId::new("a b").is_err());
        assert!(LoanId::new("x".repeat(65)).is_err());
        assert!(serde_json::from_str::<LoanId>("\"bad id\"").is_err());
    }

    #[test]
    fn claim_ids_round_trip() {
        let c: ClaimId = "JD-1#12".parse().unwrap();
        assert_eq!(c.loan.as_str(), "JD-1");
        assert_eq!(c.index, 12);
        assert_eq!(c.to_string(), "JD-1#12");
        assert!("JD-1".parse::<ClaimId>().is_err());
        assert!("JD-1#x".parse::<ClaimId>().is_err());
    }

    #[test]
    fn roles_parse_by_name() {
        for r in Role::ALL {
            assert_eq!(r.name().parse::<Role>().unwrap(), r);
            assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{}\"", r.name()));
        }
        assert!("banker".parse::<Role>().is_err());
    }
}
