//! The one error type of the chain-types crate (STYLE habit 8).

use thiserror::Error;

use crate::{Height, Round, ValidatorIndex};

/// What can be wrong with a validator set, a signed message, a certificate or evidence.
///
/// All of these are the fault of whoever built or sent the value (a peer, a genesis file): none is
/// retryable as is.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum Error {
    /// A validator set needs at least one validator.
    #[error("the validator set is empty")]
    EmptyValidatorSet,
    /// More validators than a [`ValidatorIndex`] can address.
    #[error("{count} validators is more than the limit of {max}")]
    TooManyValidators {
        /// How many were given.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// Every validator needs positive voting power.
    #[error("validator {index} ({name}) has zero voting power")]
    ZeroVotingPower {
        /// Position in the set.
        index: u32,
        /// Its name.
        name: String,
    },
    /// Two validators share a consensus key.
    #[error("validators {first} and {second} share the consensus key {key}")]
    DuplicateKey {
        /// The first position.
        first: u32,
        /// The second position.
        second: u32,
        /// The shared key, short hex.
        key: String,
    },
    /// The sum of voting powers is above [`crate::ValidatorSet::MAX_TOTAL_POWER`].
    #[error("total voting power exceeds {max}")]
    TotalPowerTooLarge {
        /// The limit.
        max: u64,
    },
    /// A message names a validator index outside the set.
    #[error("validator index {index} is not in a set of {len} validators")]
    UnknownValidator {
        /// The index given.
        index: ValidatorIndex,
        /// The size of the set.
        len: usize,
    },
    /// A signature does not verify.
    #[error("the signature of validator {validator} on {what} does not verify")]
    BadSignature {
        /// What was signed.
        what: &'static str,
        /// The claimed signer.
        validator: ValidatorIndex,
    },
    /// A certificate lists its signers out of order or twice.
    #[error("commit certificate signers must be strictly increasing: {index} follows {previous}")]
    UnsortedSigners {
        /// The earlier index.
        previous: ValidatorIndex,
        /// The index that does not follow it.
        index: ValidatorIndex,
    },
    /// Not enough voting power signed.
    #[error("{what} carries voting power {got}, needs at least {needed}")]
    InsufficientPower {
        /// What was checked.
        what: &'static str,
        /// The power that signed.
        got: u64,
        /// The threshold.
        needed: u64,
    },
    /// Two messages offered as evidence do not prove equivocation.
    #[error("not evidence of equivocation at height {height} round {round}: {reason}")]
    NotEquivocation {
        /// The height of the first message.
        height: Height,
        /// The round of the first message.
        round: Round,
        /// Why not.
        reason: &'static str,
    },
    /// Bytes that do not decode.
    #[error("cannot decode {what}: {reason}")]
    Decode {
        /// What was decoded.
        what: &'static str,
        /// The decoder's message.
        reason: String,
    },
    /// A block's body is not the one its header commits to.
    #[error("the {part} of block {height} do not match its header")]
    BodyMismatch {
        /// The block's height.
        height: Height,
        /// `transactions` or `last commit`.
        part: &'static str,
    },
}
