//! The one error type of the primitives crate (STYLE habit 8): every variant is the fault of
//! whoever supplied the bytes.

use thiserror::Error;

/// What can be wrong with bytes, hex, keys or signatures.
#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum Error {
    #[error("{what} is not valid hex of {expected_bytes} bytes")]
    BadHex { what: &'static str, expected_bytes: usize },
    #[error("{input:?} is not an account id: 64 hex digits expected")]
    BadAccountId { input: String },
    #[error("cannot decode {what}: {reason}")]
    Decode { what: &'static str, reason: String },
    #[error("{what} is {size} bytes, the limit is {max}")]
    TooLarge { what: &'static str, size: usize, max: usize },
    #[error("public key {key} is not a valid ed25519 point")]
    BadPublicKey { key: String },
    #[error("public key {key} has small order (a weak key: signatures by it could verify for any message)")]
    WeakPublicKey { key: String },
    #[error("signature by {signer} does not verify")]
    BadSignature { signer: String },
    #[error("batch of {size} signatures does not verify")]
    BatchFailed { size: usize },
}

impl Error {
    /// A stable snake_case code for receipts, API errors and scripts.
    pub fn code(&self) -> &'static str {
        match self {
            Error::BadHex { .. } => "bad_hex",
            Error::BadAccountId { .. } => "invalid_field",
            Error::Decode { .. } => "decode",
            Error::TooLarge { .. } => "too_large",
            Error::BadPublicKey { .. } => "bad_public_key",
            Error::WeakPublicKey { .. } => "weak_public_key",
            Error::BadSignature { .. } | Error::BatchFailed { .. } => "bad_signature",
        }
    }
}
