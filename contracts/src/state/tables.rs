//! Every table of the contract state, declared once with its key and value types (STYLE habit 11),
//! and the records stored in them.

use serde::{Deserialize, Serialize};

use super::Table;
use crate::amount::Money;
use crate::crypto::{Hash, PublicKey};
use crate::document::ContractDocument;
use crate::ids::{AccountId, LoanId, Role, SealId};
use crate::seal::{Revocation, SealSignature};

macro_rules! table {
    ($(#[$meta:meta])* $name:ident, $prefix:expr, $key:ty => $value:ty) => {
        $(#[$meta])*
        pub struct $name;
        impl Table for $name {
            const NAME: &'static str = stringify!($name);
            const PREFIX: u8 = $prefix;
            type Key = $key;
            type Value = $value;
        }
    };
}

table!(/// Accounts by id.
    Accounts, 0x01, AccountId => Account);
table!(/// Committed (signer, nonce) pairs, with the height until which they stay remembered.
    Nonces, 0x02, (AccountId, u64) => u64);
table!(/// Nonces by expiry height, so begin-block forgets exactly those that expired.
    NonceExpiry, 0x03, (u64, AccountId, u64) => ());
table!(/// Loans by id.
    Loans, 0x10, LoanId => Loan);
table!(/// Claims by (loan, index).
    Claims, 0x11, (LoanId, u32) => Claim);
table!(/// Index: claims by holder.
    HolderClaims, 0x12, (AccountId, LoanId, u32) => ());
table!(/// Seals applied to each loan's contract, in order.
    Seals, 0x13, (LoanId, u32) => SealRecord);
table!(/// Index of deadlines by time: (time ms, loan, kind, period).
    Deadlines, 0x14, (u64, LoanId, u8, u32) => ());
table!(/// No deadline is earlier than this time (ms): begin-block seeks here rather than step over
    /// the RocksDB tombstones of every deadline already run. Lowered by any deadline scheduled
    /// below it; missing means "from the front" (a state from before this row existed).
    DeadlineFloor, 0x16, () => u64);
table!(/// Index: loans by listing institution.
    InstitutionLoans, 0x15, (AccountId, LoanId) => ());
table!(/// Seal certificate revocations by (issuer key, seal id).
    Revocations, 0x20, (PublicKey, SealId) => Revocation);
table!(/// Public keys of the seal authorities named in genesis.
    SealAuthorities, 0x21, PublicKey => ());
table!(/// Large transactions (大额交易报告) by (height, sequence).
    LargeTransactions, 0x30, (u64, u64) => LargeTransaction);
table!(/// Chain-wide totals.
    Globals, 0x40, () => GlobalTotals);

/// An account of the custody ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct Account {
    /// Its account public key.
    pub public_key: PublicKey,
    /// What it may do.
    pub role: Role,
    /// Display name.
    pub name: String,
    /// The institution that identified it (`None` for genesis accounts).
    pub registered_by: Option<AccountId>,
    /// Salted hash of its identity document number.
    pub id_hash: Option<Hash>,
    /// Available money.
    pub balance: Money,
    /// Frozen by the regulator: no money moves out.
    pub frozen: bool,
    /// Suspended by the regulator (institutions): no new business.
    pub suspended: bool,
}

/// Where a loan is in its life (DESIGN §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum LoanStatus {
    /// Listed, collecting investments.
    Funding,
    /// Disbursed, being repaid on schedule.
    Active,
    /// An installment is unpaid after the grace period.
    Overdue,
    /// Everything repaid.
    Repaid,
    /// 流标: not fully funded by the deadline; investors refunded.
    Failed,
    /// Withdrawn by the institution while funding; investors refunded.
    Cancelled,
    /// The guarantor bought the claims back; it now collects from the borrower.
    BoughtBack,
    /// The risk pool compensated the investors; it now collects from the borrower.
    PoolCompensated,
}

impl LoanStatus {
    /// snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            LoanStatus::Funding => "funding",
            LoanStatus::Active => "active",
            LoanStatus::Overdue => "overdue",
            LoanStatus::Repaid => "repaid",
            LoanStatus::Failed => "failed",
            LoanStatus::Cancelled => "cancelled",
            LoanStatus::BoughtBack => "bought_back",
            LoanStatus::PoolCompensated => "pool_compensated",
        }
    }

    /// True while the borrower still owes something.
    pub fn is_repaying(self) -> bool {
        matches!(self, LoanStatus::Active | LoanStatus::Overdue | LoanStatus::BoughtBack | LoanStatus::PoolCompensated)
    }
}

/// One installment of a fixed schedule, with what has been paid of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct Installment {
    /// 1-based period.
    pub period: u32,
    /// When it falls due, unix ms.
    pub due_at: u64,
    /// Principal due.
    pub principal: Money,
    /// Interest due.
    pub interest: Money,
    /// Principal paid so far.
    pub paid_principal: Money,
    /// Interest paid so far.
    pub paid_interest: Money,
    /// Interest waived by a prepayment.
    pub waived_interest: Money,
    /// Unpaid past its grace period.
    pub overdue: bool,
}

impl Installment {
    /// Unpaid principal.
    pub fn principal_left(&self) -> Money {
        self.principal.saturating_sub(self.paid_principal)
    }

    /// Unpaid interest (after any waiver).
    pub fn interest_left(&self) -> Money {
        self.interest.saturating_sub(self.paid_interest).saturating_sub(self.waived_interest)
    }

    /// True when nothing is left to pay.
    pub fn is_settled(&self) -> bool {
        self.principal_left().is_zero() && self.interest_left().is_zero()
    }
}

/// A loan contract and its progress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct Loan {
    /// The sealed terms.
    pub document: ContractDocument,
    /// SHA-256 of the document, which every seal signs (kept so it is computed once).
    pub document_digest: Hash,
    /// Where it stands.
    pub status: LoanStatus,
    /// Height of the listing.
    pub listed_height: u64,
    /// Money funded so far (held in escrow until disbursement).
    pub funded: Money,
    /// Claims created (the next claim index).
    pub claim_count: u32,
    /// Seals applied (the next seal index).
    pub seal_count: u32,
    /// Disbursement time, unix ms.
    pub activated_at: Option<u64>,
    /// The fixed schedule, from disbursement on.
    pub schedule: Vec<Installment>,
    /// Risk margin the institution posted to the pool.
    pub margin_posted: Money,
    /// Penalty interest accrued and not yet paid.
    pub penalty_due: Money,
    /// Penalty interest paid so far.
    pub penalty_paid: Money,
    /// When the loan last became overdue, unix ms.
    pub overdue_since: Option<u64>,
    /// End of the guarantor's buyback window, unix ms.
    pub buyback_deadline: Option<u64>,
    /// Time of the next penalty accrual, while penalty interest runs.
    pub penalty_next_at: Option<u64>,
    /// What the risk pool could not pay when it compensated.
    pub pool_shortfall: Money,
    /// When it reached a final status, unix ms.
    pub closed_at: Option<u64>,
}

impl Loan {
    /// A loan just listed at `listed_height`: funding, nothing funded, no schedule yet, with the
    /// institution's risk margin `margin_posted` (DESIGN §6).
    pub fn listed(document: ContractDocument, document_digest: Hash, listed_height: u64, margin_posted: Money) -> Loan {
        Loan {
            document,
            document_digest,
            status: LoanStatus::Funding,
            listed_height,
            funded: Money::ZERO,
            claim_count: 0,
            seal_count: 0,
            activated_at: None,
            schedule: Vec::new(),
            margin_posted,
            penalty_due: Money::ZERO,
            penalty_paid: Money::ZERO,
            overdue_since: None,
            buyback_deadline: None,
            penalty_next_at: None,
            pool_shortfall: Money::ZERO,
            closed_at: None,
        }
    }
}

impl Loan {
    /// Principal still owed by the borrower.
    pub fn principal_outstanding(&self) -> Money {
        Money::sum(self.schedule.iter().map(Installment::principal_left)).unwrap_or(Money::ZERO)
    }

    /// Money overdue: unpaid principal and interest of overdue installments.
    pub fn overdue_amount(&self) -> Money {
        Money::sum(
            self.schedule.iter().filter(|i| i.overdue).map(|i| i.principal_left().checked_add(i.interest_left()).unwrap_or(Money::ZERO)),
        )
        .unwrap_or(Money::ZERO)
    }

    /// Principal of overdue installments still owed.
    pub fn overdue_principal(&self) -> Money {
        Money::sum(self.schedule.iter().filter(|i| i.overdue).map(Installment::principal_left)).unwrap_or(Money::ZERO)
    }
}

/// A claim (债权): one investor's share of one loan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct Claim {
    /// Current creditor: an investor, the guarantor after buyback, or the risk pool.
    pub holder: AccountId,
    /// Who funded it.
    pub original_investor: AccountId,
    /// Principal funded (or taken over, for a claim split off to the risk pool).
    pub amount: Money,
    /// Principal still owed on it.
    pub outstanding: Money,
    /// Principal received by its holders so far.
    pub principal_received: Money,
    /// Interest and penalty received by its holders so far.
    pub interest_received: Money,
}

/// One seal applied to a contract, with the transaction that carried it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct SealRecord {
    /// `borrower`, `institution` or `investor`.
    pub party: String,
    /// The sealing account.
    pub account: AccountId,
    /// The seal.
    pub seal: SealSignature,
    /// The carrying transaction.
    pub tx_hash: Hash,
    /// The including block's height: with its hash and certificate, the chain timestamp.
    pub height: u64,
}

/// A transfer at or above the large-transaction threshold (大额交易报告).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct LargeTransaction {
    /// The transaction.
    pub tx_hash: Hash,
    /// Its kind.
    pub kind: String,
    /// The account the money belongs to.
    pub account: AccountId,
    /// How much.
    pub amount: Money,
    /// Block time, unix ms.
    pub time: u64,
}

/// Chain-wide totals, kept so that money conservation can be checked at any block.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct GlobalTotals {
    /// Balances given by genesis.
    pub genesis_money: Money,
    /// All deposits ever credited.
    pub deposits: Money,
    /// All withdrawals ever debited.
    pub withdrawals: Money,
    /// Investor money held for loans still funding.
    pub escrow: Money,
    /// The risk pool's balance.
    pub risk_pool: Money,
    /// Large transactions recorded (the next sequence number source).
    pub large_tx_count: u64,
}
