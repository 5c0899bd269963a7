//! Order-preserving key encoding: big-endian integers, fixed-size ids as raw bytes, labels
//! terminated by a zero byte (labels never contain one). A tuple encodes its parts in order, so
//! the encoding of a tuple's first parts is a prefix of the whole (prefix scans by loan, by holder,
//! by time).

use crate::crypto::PublicKey;
use crate::ids::{AccountId, LoanId, SealId};

/// A value usable as (part of) a state key.
pub trait KeyCodec {
    /// Appends the order-preserving encoding of `self`.
    fn encode_key(&self, out: &mut Vec<u8>);

    /// The encoding alone.
    fn key_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_key(&mut out);
        out
    }
}

impl KeyCodec for () {
    fn encode_key(&self, _out: &mut Vec<u8>) {}
}

impl KeyCodec for u8 {
    fn encode_key(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
}

impl KeyCodec for u32 {
    fn encode_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_be_bytes());
    }
}

impl KeyCodec for u64 {
    fn encode_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_be_bytes());
    }
}

impl KeyCodec for AccountId {
    fn encode_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.0.as_bytes());
    }
}

impl KeyCodec for PublicKey {
    fn encode_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_bytes());
    }
}

impl KeyCodec for LoanId {
    fn encode_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_str().as_bytes());
        out.push(0);
    }
}

impl KeyCodec for SealId {
    fn encode_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_str().as_bytes());
        out.push(0);
    }
}

macro_rules! tuple_key {
    ($($name:ident),+) => {
        impl<$($name: KeyCodec),+> KeyCodec for ($($name,)+) {
            #[allow(non_snake_case)]
            fn encode_key(&self, out: &mut Vec<u8>) {
                let ($($name,)+) = self;
                $($name.encode_key(out);)+
            }
        }
    };
}
tuple_key!(A, B);
tuple_key!(A, B, C);
tuple_key!(A, B, C, D);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn integer_keys_sort_like_numbers(a: u64, b: u64) {
            prop_assert_eq!(a.cmp(&b), a.key_bytes().cmp(&b.key_bytes()));
        }

        #[test]
        fn label_keys_sort_like_labels(a in "[A-Za-z0-9._-]{1,20}", b in "[A-Za-z0-9._-]{1,20}", i: u32, j: u32) {
            let (la, lb) = (LoanId::new(a.clone()).unwrap(), LoanId::new(b.clone()).unwrap());
            prop_assert_eq!((&la, i).cmp(&(&lb, j)), (la.clone(), i).key_bytes().cmp(&(lb.clone(), j).key_bytes()));
            prop_assert!((la.clone(), i).key_bytes().starts_with(&la.key_bytes()));
        }
    }
}
