//! Events and receipts: what every transaction and every time-driven transition leaves behind for
//! audit (DESIGN §6 "every transition emits an event").

use serde::{Deserialize, Serialize};

use crate::amount::Money;
use crate::crypto::Hash;
use crate::ids::{AccountId, ClaimId, LoanId, Role, SealId};

/// One payment to one claim holder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct Payout {
    /// The claim.
    pub claim: ClaimId,
    /// Who received the money.
    pub holder: AccountId,
    /// Principal part.
    pub principal: Money,
    /// Interest and penalty part.
    pub interest: Money,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum EventKind {
    AccountRegistered {
        account: AccountId,
        role: Role,
        by: AccountId,
    },
    Deposited {
        account: AccountId,
        amount: Money,
    },
    Withdrawn {
        account: AccountId,
        amount: Money,
    },
    LoanListed {
        institution: AccountId,
        borrower: AccountId,
        principal: Money,
        margin_held: Money,
    },
    LoanFunded {
        claim: ClaimId,
        investor: AccountId,
        amount: Money,
        funded: Money,
    },
    /// 满标放款: escrow paid to the borrower, margin to the risk pool, schedule fixed.
    LoanActivated {
        borrower: AccountId,
        disbursed: Money,
        margin_to_pool: Money,
        first_due_at: u64,
    },
    /// 流标.
    ListingFailed {
        refunded: Money,
    },
    ListingCancelled {
        refunded: Money,
    },
    Refunded {
        claim: ClaimId,
        investor: AccountId,
        amount: Money,
    },
    /// A repayment, split among the claim holders.
    Repaid {
        payer: AccountId,
        amount: Money,
        principal: Money,
        interest: Money,
        penalty: Money,
        forced: bool,
        prepayment: bool,
        payouts: Vec<Payout>,
    },
    /// 逾期.
    LoanOverdue {
        period: u32,
        overdue_amount: Money,
        buyback_deadline: Option<u64>,
    },
    /// The borrower caught up: no installment is overdue any more.
    OverdueCured,
    /// 罚息.
    PenaltyAccrued {
        amount: Money,
        on: Money,
    },
    /// 担保代偿.
    BoughtBack {
        guarantor: AccountId,
        paid: Money,
        payouts: Vec<Payout>,
    },
    BuybackWindowExpired {
        risk_pool_enabled: bool,
    },
    /// 风险池代偿.
    PoolCompensated {
        paid: Money,
        shortfall: Money,
        payouts: Vec<Payout>,
    },
    LoanSettled,
    /// 债权转让.
    ClaimTransferred {
        claim: ClaimId,
        from: AccountId,
        to: AccountId,
        price: Money,
    },
    SealRevoked {
        seal_id: SealId,
        issuer: AccountId,
    },
    AccountFrozen {
        account: AccountId,
        reason: String,
    },
    AccountUnfrozen {
        account: AccountId,
        reason: String,
    },
    InstitutionSuspended {
        account: AccountId,
        reason: String,
    },
    InstitutionResumed {
        account: AccountId,
        reason: String,
    },
    /// A time-driven transition failed and was skipped (a defect to report, never expected).
    DeadlineFailed {
        kind: u8,
        period: u32,
        code: String,
        message: String,
    },
}

/// An event with where it happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct Event {
    /// Block height.
    pub height: u64,
    /// Block time, unix ms.
    pub time: u64,
    /// The transaction, or `None` for a time-driven transition.
    pub tx_hash: Option<Hash>,
    /// The loan concerned, if any.
    pub loan: Option<LoanId>,
    /// What happened.
    pub kind: EventKind,
}

/// Outcome of one transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReceiptStatus {
    /// Applied entirely.
    Success,
    /// Rejected: nothing changed but the nonce (unless the nonce itself was the problem).
    Failed {
        /// Stable error code (see `Error::code`).
        code: String,
        /// Message for a person.
        message: String,
    },
}

/// A transaction's receipt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct Receipt {
    /// The transaction.
    pub tx_hash: Hash,
    /// Its position in the block.
    pub index: u32,
    /// Its kind.
    pub kind: String,
    /// Its signer.
    pub signer: AccountId,
    /// What happened.
    pub status: ReceiptStatus,
}

impl Receipt {
    /// True on success.
    pub fn ok(&self) -> bool {
        matches!(self.status, ReceiptStatus::Success)
    }
}
