//! The contract document (借款合同) every party seals (DESIGN §6–§7).
//!
//! The document is fixed at listing; the borrower and the institution seal it in `ListLoan`, each
//! investor seals the very same digest in `FundLoan`. Its digest is SHA-256 of its bcs encoding.

use serde::{Deserialize, Serialize};

use crate::amount::{Amount, Rate};
use crate::crypto::Hash;
use crate::error::Error;
use crate::ids::{AccountId, LoanId};
use crate::params::RiskGrade;
use crate::schedule::RepaymentMethod;

/// Longest `purpose` text, in bytes.
pub const MAX_PURPOSE_BYTES: usize = 256;

/// The terms of one loan contract, as sealed by every party.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct ContractDocument {
    /// Version of the document (the `property` a seal names); 1 for a new contract.
    pub version: u32,
    /// The chain the contract lives on.
    pub chain_id: String,
    /// Contract number, chosen by the institution.
    pub loan_id: LoanId,
    /// 借款人.
    pub borrower: AccountId,
    /// The listing credit institution, which is also the guarantor.
    pub institution: AccountId,
    /// Principal to be raised.
    pub principal: Amount,
    /// Annual interest rate.
    pub annual_rate: Rate,
    /// Number of periods.
    pub periods: u32,
    /// Repayment method.
    pub method: RepaymentMethod,
    /// Risk grade A–E, which sets the institution's risk margin.
    pub grade: RiskGrade,
    /// Funding deadline, unix milliseconds: not fully funded by then, the listing fails (流标).
    pub funding_deadline: u64,
    /// Smallest amount one investor may fund.
    pub min_investment: Amount,
    /// What the loan is for, in words.
    pub purpose: String,
    /// SHA-256 of the full legal text, which is kept off-chain.
    pub terms_digest: Hash,
}

impl ContractDocument {
    /// SHA-256 of the canonical encoding: what every seal signs.
    pub fn digest(&self) -> Hash {
        Hash::of(self)
    }

    /// Static checks that need no state.
    pub fn check(&self, max_periods: u32) -> Result<(), Error> {
        let bad = |field: &'static str, reason: String| Err(Error::InvalidField { field, reason });
        if self.version == 0 {
            return bad("version", "must be at least 1".into());
        }
        if self.periods == 0 || self.periods > max_periods {
            return bad("periods", format!("{} must be within 1 and {max_periods}", self.periods));
        }
        if self.purpose.len() > MAX_PURPOSE_BYTES {
            return bad("purpose", format!("is {} bytes, the limit is {MAX_PURPOSE_BYTES}", self.purpose.len()));
        }
        if self.min_investment > self.principal {
            return bad("min_investment", format!("{} exceeds the principal {}", self.min_investment, self.principal));
        }
        if self.borrower == self.institution {
            return bad("borrower", "the borrower cannot be its own institution".into());
        }
        Ok(())
    }
}
