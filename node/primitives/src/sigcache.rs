//! What signature checking may remember between calls (DESIGN §12): public keys already
//! decompressed, and (key, signed bytes, signature) triples already found valid.
//!
//! A funding carries three signatures, one of them the seal authority's signature on the
//! investor's seal certificate, the same bytes in every funding by that investor; and every
//! signature checks a key that was seen before. Remembering both saves about half of the
//! elliptic-curve work of a funding. The cache changes only how fast a verdict comes, never the
//! verdict: a triple enters only after it verified; the verdict of the rule (`crate::crypto`) on a
//! triple is always the same, alone or in any batch; and a key enters only after it decompressed
//! and was found not of small order, the key half of the rule.
//!
//! Both maps are bounded; when one is full it is emptied and refills from what is used next
//! (simpler than least-recently-used, and the working set of a consortium is small).

use std::collections::{HashMap, HashSet};
use std::sync::{LazyLock, Mutex, MutexGuard};

use ed25519_zebra::VerificationKey;

use crate::crypto::Hash;

/// Keys kept decompressed at most.
const MAX_KEYS: usize = 100_000;
/// Verified triples remembered at most (32 bytes each).
const MAX_VERIFIED: usize = 500_000;

/// The process-wide cache.
pub(crate) static CACHE: LazyLock<SigCache> = LazyLock::new(SigCache::default);

#[derive(Default)]
pub(crate) struct SigCache {
    keys: Mutex<HashMap<[u8; 32], VerificationKey>>,
    verified: Mutex<HashSet<Hash>>,
}

/// Locks `m`; a poisoned lock only means another thread panicked while holding a cache, whose
/// contents stay valid (each insert is a single operation).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SigCache {
    /// The decompressed key for `bytes`, if it was seen before.
    pub fn key(&self, bytes: &[u8; 32]) -> Option<VerificationKey> {
        lock(&self.keys).get(bytes).copied()
    }

    /// Remembers a key that decompressed and is not of small order.
    pub fn remember_key(&self, bytes: [u8; 32], key: VerificationKey) {
        let mut keys = lock(&self.keys);
        if keys.len() >= MAX_KEYS {
            keys.clear();
        }
        keys.insert(bytes, key);
    }

    /// Which of `triples` were found valid before.
    pub fn known(&self, triples: &[Hash]) -> Vec<bool> {
        let verified = lock(&self.verified);
        triples.iter().map(|t| verified.contains(t)).collect()
    }

    /// Remembers triples that just verified.
    pub fn remember_verified(&self, triples: impl IntoIterator<Item = Hash>) {
        let mut verified = lock(&self.verified);
        for t in triples {
            if verified.len() >= MAX_VERIFIED {
                verified.clear();
            }
            verified.insert(t);
        }
    }
}

/// The identity of one signature check: SHA-256 over the key, the signature and the signed bytes
/// (fixed-length fields first, so no two triples share an encoding).
pub(crate) fn triple(key: &[u8; 32], signature: &[u8; 64], signed_bytes: &[u8]) -> Hash {
    Hash::digest_parts(&[key, signature, signed_bytes])
}

#[cfg(test)]
mod tests {
    use crate::Error;
    use crate::crypto::{BatchItem, Domain, Keypair, PublicKey, Signature, verify_batch};

    fn item<'a>(key: &'a PublicKey, bytes: &'a [u8], sig: &'a Signature) -> BatchItem<'a> {
        BatchItem { key, signed_bytes: bytes, signature: sig }
    }

    #[test]
    fn a_remembered_signature_does_not_vouch_for_another() {
        let k = Keypair::from_secret([91; 32]);
        let public = k.public();
        let (a, b) = (Domain::SealCertificate.message(b"certificate a"), Domain::SealCertificate.message(b"certificate b"));
        let sig_a = k.sign(Domain::SealCertificate, b"certificate a");
        let sig_b = k.sign(Domain::SealCertificate, b"certificate b");
        assert!(verify_batch(&[item(&public, &a, &sig_a)]).is_ok());
        // Now remembered: still accepted, alone and in a batch with a fresh valid one.
        assert!(verify_batch(&[item(&public, &a, &sig_a)]).is_ok());
        assert!(verify_batch(&[item(&public, &a, &sig_a), item(&public, &b, &sig_b)]).is_ok());
        // The remembered signature over other bytes, another key, or a bad one beside it: refused.
        assert!(verify_batch(&[item(&public, &b, &sig_a)]).is_err());
        let other = Keypair::from_secret([92; 32]).public();
        assert!(verify_batch(&[item(&other, &a, &sig_a)]).is_err());
        let mut forged = sig_b;
        forged.0[0] ^= 1;
        assert!(verify_batch(&[item(&public, &a, &sig_a), item(&public, &b, &forged)]).is_err());
        assert!(verify_batch(&[item(&public, &b, &forged)]).is_err(), "a failed batch must not remember anything");
    }

    #[test]
    fn a_weak_key_is_refused_every_time() {
        // The identity point: decompresses, but has small order; with R the identity too and
        // s = 0, the cofactored equation holds for any message, so only the key check refuses it.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let weak = PublicKey(identity);
        let bytes = Domain::Transaction.message(b"x");
        let mut sig = Signature([0u8; 64]);
        sig.0[..32].copy_from_slice(&identity);
        let refused = Err(Error::WeakPublicKey { key: weak.short() });
        for _ in 0..2 {
            assert_eq!(verify_batch(&[item(&weak, &bytes, &sig)]), refused);
            assert_eq!(weak.verify(Domain::Transaction, b"x", &sig), refused);
        }
    }
}
