//! The one error type of the contracts crate (STYLE habit 8).
//!
//! Messages say what is wrong in words a person can act on ("account 3f2a… has 10.00 CNY
//! available, needs 25.00"). [`Error::code`] is a stable machine-readable code, carried in failure
//! receipts and API errors; [`Error::class`] tells whose fault it is.

use thiserror::Error;

/// Whose fault an error is, so a caller knows whether to fix its input, retry, or stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorClass {
    /// The input is wrong: fix it, do not retry it as is.
    Client,
    /// The input may succeed later (for example once funds arrive).
    Retryable,
    /// The process cannot go on safely (a failed storage read or write).
    Fatal,
}

/// Everything that can go wrong in the state machine, its codec, its crypto and its seals.
#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum Error {
    // --- encoding and crypto -------------------------------------------------------------
    /// Hex, keys and batches, as the primitives report them.
    #[error(transparent)]
    Primitive(loanchain_primitives::Error),
    #[error("cannot decode {what}: {reason}")]
    Decode { what: &'static str, reason: String },
    #[error("{what} is {size} bytes, the limit is {max}")]
    TooLarge { what: &'static str, size: usize, max: usize },
    #[error("signature by {signer} does not verify")]
    BadSignature { signer: String },

    // --- values --------------------------------------------------------------------------
    #[error("amount {value} {reason}")]
    InvalidAmount { value: String, reason: &'static str },
    #[error("rate {value} {reason}")]
    InvalidRate { value: String, reason: &'static str },
    #[error("invalid {field}: {reason}")]
    InvalidField { field: &'static str, reason: String },
    #[error("arithmetic overflow in {what}")]
    Overflow { what: &'static str },
    #[error("invalid parameters: {reason}")]
    InvalidParams { reason: String },

    // --- envelope and replay window (DESIGN §5) -------------------------------------------
    #[error("transaction is for chain {got:?}, this chain is {expected:?}")]
    WrongChain { expected: String, got: String },
    #[error("transaction expired: valid until height {valid_until}, chain is at {height}")]
    Expired { valid_until: u64, height: u64 },
    #[error("valid_until_height {valid_until} is too far ahead: at most {max} at height {height}")]
    LifetimeTooLong { valid_until: u64, max: u64, height: u64 },
    #[error("nonce {nonce} of signer {signer} was already used")]
    NonceReplayed { signer: String, nonce: u64 },

    // --- accounts and roles ---------------------------------------------------------------
    #[error("account {account} is not registered")]
    UnknownAccount { account: String },
    #[error("account {account} is already registered")]
    AccountExists { account: String },
    #[error("account {account} is a {role}; {action} needs {allowed}")]
    WrongRole { account: String, role: String, action: &'static str, allowed: String },
    #[error("account {account} is frozen by the regulator and cannot move money")]
    AccountFrozen { account: String },
    #[error("institution {account} is suspended by the regulator")]
    InstitutionSuspended { account: String },
    #[error("account {account} has {available} CNY available, needs {needed}")]
    InsufficientBalance { account: String, available: String, needed: String },

    // --- loans and claims (DESIGN §6) -----------------------------------------------------
    #[error("loan {loan} does not exist")]
    UnknownLoan { loan: String },
    #[error("loan {loan} already exists")]
    LoanExists { loan: String },
    #[error("loan {loan} is {state}; {action} needs it {expected}")]
    WrongLoanState { loan: String, state: String, action: &'static str, expected: &'static str },
    #[error("{amount} CNY is below loan {loan}'s minimum investment of {minimum}")]
    BelowMinimum { loan: String, amount: String, minimum: String },
    #[error("{amount} CNY would over-fund loan {loan}: only {remaining} remains to be funded")]
    OverFunding { loan: String, amount: String, remaining: String },
    #[error("loan {loan}'s funding deadline has passed")]
    FundingClosed { loan: String },
    #[error("claim {claim} does not exist")]
    UnknownClaim { claim: String },
    #[error("claim {claim} is held by {holder}, not by {account}")]
    NotClaimHolder { claim: String, holder: String, account: String },
    #[error("claim {claim} has no outstanding principal left")]
    ClaimSettled { claim: String },
    #[error("account {account} is not the guarantor of loan {loan}")]
    NotGuarantor { loan: String, account: String },
    #[error("account {account} is not the borrower of loan {loan}")]
    NotBorrower { loan: String, account: String },
    #[error("loan {loan}: {reason}")]
    NotAllowed { loan: String, reason: &'static str },
    #[error("the risk pool is disabled by genesis")]
    RiskPoolDisabled,
    #[error("{amount} CNY exceeds what loan {loan} still owes ({owed})")]
    Overpayment { loan: String, amount: String, owed: String },
    #[error("account {account} {reason}")]
    AccountState { account: String, reason: String },

    // --- e-seals (DESIGN §7) --------------------------------------------------------------
    #[error("seal of {party} fails the check '{check}': {detail}")]
    Seal { party: String, check: &'static str, detail: String },
    #[error("seal certificate {seal_id} was issued by {issuer}, not by {signer}")]
    NotSealIssuer { seal_id: String, issuer: String, signer: String },
    #[error("seal certificate {seal_id} is already revoked")]
    AlreadyRevoked { seal_id: String },

    // --- storage --------------------------------------------------------------------------
    #[error("state storage failed: {reason}")]
    Storage { reason: String },
}

impl From<loanchain_primitives::Error> for Error {
    fn from(e: loanchain_primitives::Error) -> Error {
        use loanchain_primitives::Error as P;
        // What the contracts also report of their own inputs keeps one variant; the rest is
        // carried as it is.
        match e {
            P::BadAccountId { input } => Error::InvalidField { field: "account", reason: format!("{input:?} is not 64 hex digits") },
            P::Decode { what, reason } => Error::Decode { what, reason },
            P::TooLarge { what, size, max } => Error::TooLarge { what, size, max },
            P::BadSignature { signer } => Error::BadSignature { signer },
            other => Error::Primitive(other),
        }
    }
}

impl Error {
    /// A stable snake_case code for receipts, API errors and scripts.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Primitive(e) => e.code(),
            Error::Decode { .. } => "decode",
            Error::TooLarge { .. } => "too_large",
            Error::BadSignature { .. } => "bad_signature",
            Error::InvalidAmount { .. } => "invalid_amount",
            Error::InvalidRate { .. } => "invalid_rate",
            Error::InvalidField { .. } => "invalid_field",
            Error::Overflow { .. } => "overflow",
            Error::InvalidParams { .. } => "invalid_params",
            Error::WrongChain { .. } => "wrong_chain",
            Error::Expired { .. } => "expired",
            Error::LifetimeTooLong { .. } => "lifetime_too_long",
            Error::NonceReplayed { .. } => "nonce_replayed",
            Error::UnknownAccount { .. } => "unknown_account",
            Error::AccountExists { .. } => "account_exists",
            Error::WrongRole { .. } => "wrong_role",
            Error::AccountFrozen { .. } => "account_frozen",
            Error::InstitutionSuspended { .. } => "institution_suspended",
            Error::InsufficientBalance { .. } => "insufficient_balance",
            Error::UnknownLoan { .. } => "unknown_loan",
            Error::LoanExists { .. } => "loan_exists",
            Error::WrongLoanState { .. } => "wrong_loan_state",
            Error::BelowMinimum { .. } => "below_minimum",
            Error::OverFunding { .. } => "over_funding",
            Error::FundingClosed { .. } => "funding_closed",
            Error::UnknownClaim { .. } => "unknown_claim",
            Error::NotClaimHolder { .. } => "not_claim_holder",
            Error::ClaimSettled { .. } => "claim_settled",
            Error::NotGuarantor { .. } => "not_guarantor",
            Error::NotBorrower { .. } => "not_borrower",
            Error::NotAllowed { .. } => "not_allowed",
            Error::RiskPoolDisabled => "risk_pool_disabled",
            Error::Overpayment { .. } => "overpayment",
            Error::AccountState { .. } => "account_state",
            Error::Seal { .. } => "bad_seal",
            Error::NotSealIssuer { .. } => "not_seal_issuer",
            Error::AlreadyRevoked { .. } => "already_revoked",
            Error::Storage { .. } => "storage",
        }
    }

    /// Whose fault the error is.
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::Storage { .. } => ErrorClass::Fatal,
            Error::InsufficientBalance { .. } => ErrorClass::Retryable,
            _ => ErrorClass::Client,
        }
    }
}
