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

/// How many bytes [`to_bytes`] of `value` would be, without writing them.
pub fn encoded_len<T: Serialize + ?Sized>(value: &T) -> usize {
    bcs::serialized_size(value).expect("bcs sizing of a loanchain value cannot fail: all inputs are size-bounded")
}

/// Decodes canonical bytes; trailing bytes, non-canonical encodings and input over
/// [`MAX_DECODE_BYTES`] are errors.
pub fn from_bytes<T: DeserializeOwned>(what: &'static str, bytes: &[u8]) -> Result<T, Error> {
    from_bytes_within(what, bytes, MAX_DECODE_BYTES)
}

/// [`from_bytes`] with another size limit, for messages whose bound is not an object's (a sync
/// answer carrying blocks: `loanchain_types::limits`).
pub fn from_bytes_within<T: DeserializeOwned>(what: &'static str, bytes: &[u8], max: usize) -> Result<T, Error> {
    if bytes.len() > max {
        return Err(Error::TooLarge { what, size: bytes.len(), max });
    }
    bcs::from_bytes(bytes).map_err(|e| Error::Decode { what, reason: e.to_string() })
}
