//! The one error type of the consensus core (STYLE habit 8). All of these are configuration or
//! storage faults found at start-up: the core itself never fails on a message (bad messages are
//! dropped, conflicting ones become evidence).

use loanchain_types::{Height, PublicKey};
use thiserror::Error;

/// What can stop a [`crate::Core`] from being built or recovered.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum Error {
    /// The signing key is not a validator of the set.
    #[error("consensus key {key} is not in the validator set")]
    NotAValidator {
        /// The key, short hex.
        key: String,
    },
    /// The proposer rotation would need a table longer than the limit (reduce voting powers).
    #[error("proposer rotation period {period} (total voting power over its gcd) exceeds {max}")]
    ProposerPeriodTooLong {
        /// The period.
        period: u64,
        /// The limit.
        max: u64,
    },
    /// The write-ahead log holds entries of a height above the one the block store says is next:
    /// the block store lost a commit. Fatal: the node must not sign until an operator looks.
    #[error("the consensus WAL has entries for height {wal_height}, but the next height is {next_height}")]
    WalAhead {
        /// The highest height in the WAL.
        wal_height: Height,
        /// The height the caller asked to resume.
        next_height: Height,
    },
    /// The WAL holds a message signed by another validator: it is not this node's WAL.
    #[error("the consensus WAL holds a message signed by {signer:?}, not by this validator")]
    ForeignWal {
        /// The signer found.
        signer: Option<PublicKey>,
    },
}
