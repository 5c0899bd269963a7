//! loanchain-contracts: the deterministic loan-contract state machine of loanchain.
//!
//! Everything the member institutions agree on by consensus is decided here: the custody ledger,
//! the life of every micro-credit loan contract (listing, crowd-funding, disbursement, schedules,
//! repayment, overdue, guarantor buyback, risk pool, claim transfer), supervision, and the
//! CFCA-style electronic seals that bind each party to a contract (DESIGN §4–§7).
//!
//! The crate has no I/O, no clock, no randomness and no async. Its only process-wide state is a
//! cache of signature checks (decompressed keys, signatures already found valid) that changes how
//! fast a verdict comes, never the verdict. The node runs it inside consensus
//! over RocksDB; `loanctl` uses it to build, sign and verify transactions and seals; tests run it
//! over the in-memory state.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod amount;
mod calendar;
pub use calendar::{civil_from_days, format_utc};
pub mod document;
pub mod error;
pub mod export;
pub mod ids;
pub mod params;
pub mod schedule;
pub mod seal;

/// The canonical codec and the crypto primitives, from `loanchain-primitives` (re-exported so the
/// crates above the contracts have one path to them).
pub use loanchain_primitives::{codec, crypto};
#[cfg(any(test, feature = "test-utils"))]
pub mod test_utils;

pub use amount::{Amount, Money, Rate};
pub use crypto::{Domain, Hash, Keypair, PublicKey, Signature};
pub use document::ContractDocument;
pub use error::{Error, ErrorClass};
pub use ids::{AccountId, ClaimId, LoanId, Role, SealId};
pub use params::{Params, RiskGrade};
pub use schedule::{PeriodKind, RepaymentMethod, ScheduleLine};
pub mod event;
pub mod exec;
pub mod state;
pub mod tx;
pub mod views;

pub use event::{Event, EventKind, Receipt, ReceiptStatus};
pub use exec::{BlockContext, BlockOutcome, GenesisAccount, execute_block, init_genesis};
pub use state::{MemStore, Store};
pub use tx::{Payload, SignedTransaction, TxBody, VerifiedTx};
