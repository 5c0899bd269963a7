//! Canonical encoding: bcs for everything that is hashed, signed or stored.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::Error;

/// Largest encoded object the state machine accepts from outside (a transaction, a seal).
pub const MAX_DECODE_BYTES: usize = 1 << 20;

/// The canonical bytes of `value`.
///
/// bcs fails only on sequences longer than 2^31 elements; no loanchain value can hold that many,
/// since every input is bounded by [`MAX_DECODE_BYTES`] long before.
pub fn to_bytes<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    bcs::to_bytes(value).expect("bcs encoding of a loanchain value cannot fail: all inputs are size-bounded")
}

/// Decodes canonical bytes; trailing bytes, non-canonical encodings and oversized input are errors.
pub fn from_bytes<T: DeserializeOwned>(what: &'static str, bytes: &[u8]) -> Result<T, Error> {
    if bytes.len() > MAX_DECODE_BYTES {
        return Err(Error::TooLarge { what, size: bytes.len(), max: MAX_DECODE_BYTES });
    }
    bcs::from_bytes(bytes).map_err(|e| Error::Decode { what, reason: e.to_string() })
}
