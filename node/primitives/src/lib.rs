//! loanchain-primitives: the vocabulary every loanchain crate shares (docs/DESIGN.md §4, §5).
//!
//! SHA-256 [`Hash`]es, ed25519 [`PublicKey`]s, [`Signature`]s and [`Keypair`]s, signatures made
//! over `domain || message` with one [`Domain`] per use (STYLE habit 9), one verification rule for
//! single and batch verification (ZIP-215, plus public keys of small order refused at parsing;
//! [`crypto`] states it) with its cache of checks already done, the canonical bcs [`codec`] of
//! everything hashed or signed, and the [`AccountId`] derived from an account key.
//!
//! It sits below both the chain types (`loanchain-types`, and through them the consensus core)
//! and the loan contracts (`loanchain-contracts`), so neither has to depend on the other for
//! these. No I/O, no clock, no randomness (key generation takes the caller's generator).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod account;
pub mod codec;
pub mod crypto;
mod error;
mod sigcache;

pub use account::AccountId;
pub use crypto::{BatchItem, Domain, Hash, Keypair, PublicKey, Signature, find_failing, verify_batch};
pub use error::Error;
