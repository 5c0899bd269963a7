//! loanchain-types: the chain types every loanchain component agrees on (DESIGN §8).
//!
//! Blocks and their headers, the validator set with its quorum arithmetic, consensus proposals and
//! votes with their domain-separated ed25519 signatures, commit certificates (the proof that a block
//! is final) and equivocation evidence. The consensus core, the node, the simulator, an observer and
//! the `loanctl` CLI all use these types, so this crate is light: no I/O, no async, no clock, and
//! nothing of the loan contracts (a block's transactions are opaque bytes here).
//!
//! Everything that is hashed or signed is encoded with bcs ([`loanchain_primitives::codec`]); the
//! exact bytes of a signed vote, a signed proposal, a block header and a commit certificate are
//! pinned by golden fixtures in `tests/fixtures/` (STYLE habit 10).
//!
//! Signatures are made over `domain || bcs((chain_id, message))` with [`Domain::Proposal`] or
//! [`Domain::Vote`] (STYLE habit 9), so a vote cannot be replayed as a proposal, a transaction or a
//! seal, nor on another chain.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod block;
pub mod certificate;
pub mod error;
pub mod evidence;
pub mod limits;
pub mod message;
mod role;
#[cfg(any(test, feature = "test-utils"))]
pub mod test_utils;
pub mod validator;

pub use block::{Block, BlockHeader, last_commit_hash, transactions_root, transactions_root_of_hashes};
pub use certificate::{CommitCertificate, CommitSignature};
pub use error::Error;
pub use evidence::{Evidence, EvidenceKind};
pub use loanchain_primitives::crypto::{Domain, Hash, Keypair, PublicKey, Signature};
pub use message::{ConsensusMessage, Proposal, SignedProposal, SignedVote, Vote, VoteKind, verify_messages};
pub use role::NodeRole;
pub use validator::{Validator, ValidatorIndex, ValidatorSet};

/// A block height. The first block has height 1.
pub type Height = u64;

/// A consensus round within a height, starting at 0.
pub type Round = u32;
