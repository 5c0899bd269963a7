//! Hashing and domain-separated ed25519 signatures (STYLE habit 9).
//!
//! Every signature in loanchain is made over `domain || message`, where the domain is one of the
//! constants of [`Domain`]. No domain is a prefix of another, so a signature made for one use (a
//! vote, say) can never verify as another (a transaction or a seal).
//!
//! # The verification rule
//!
//! One rule for every signature, checked alone ([`PublicKey::verify`]) or in a batch
//! ([`verify_batch`]): **ZIP-215, plus public keys of small order refused at parsing.**
//! [ZIP-215](https://zips.z.cash/zip-0215) is the rule of the `ed25519-zebra` crate, which does the
//! checking. For a public key `A`, a signature `(R, s)` and the signed bytes `M`:
//!
//! - `A` and `R` must be encodings of curve points; non-canonical encodings are accepted, and the
//!   challenge `k = SHA-512(R || A || M) mod ℓ` hashes the bytes as given;
//! - `s` must be canonical, an integer below the group order `ℓ`;
//! - the cofactored equation `[8][s]B = [8]R + [8][k]A` must hold (never the cofactorless
//!   `[s]B = R + [k]A`), so a small-order component of `R` or `A` never changes the verdict;
//! - beyond ZIP-215, `A` must not have small order (order dividing 8): with such a key and `s = 0`
//!   the equation holds for a small-order `R` and any message. Decoding a [`PublicKey`] (serde,
//!   hex, [`PublicKey::from_bytes`]) refuses it with [`Error::WeakPublicKey`], and so does every
//!   verification, for a key built directly from its bytes.
//!
//! A batch checks a random linear combination of the same cofactored equations (with 128-bit
//! coefficients), so its verdict is the AND of the single verdicts: it passes whenever they all
//! hold, and otherwise fails except with probability at most 2⁻¹²⁸. Nodes batch differently, and
//! agree anyway. The coefficients come from ChaCha20 seeded with SHA-256 over every key, signature
//! and signed bytes of the batch: no ambient randomness here, and whoever chooses a batch cannot
//! choose its coefficients. Signatures are ordinary RFC 8032 signatures, made with `ed25519-dalek`.

use std::fmt;
use std::str::FromStr;

use chacha20::ChaCha20Rng;
use curve25519_dalek::edwards::CompressedEdwardsY;
use ed25519_dalek::{Signer as _, SigningKey};
use ed25519_zebra::{VerificationKey, VerificationKeyBytes};
use rand_core::SeedableRng as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::sigcache::{CACHE, triple};

/// The use a signature is made for. The byte strings are part of the wire format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Domain {
    /// A transaction: `"loanchain/tx/v1" || bcs(chain_id) || bcs(body)` (DESIGN §5).
    Transaction,
    /// One party's seal on a contract document (DESIGN §7).
    Seal,
    /// A seal authority's signature on a seal certificate (DESIGN §7).
    SealCertificate,
    /// A buyer's consent to pay for a transferred claim.
    ClaimTransferConsent,
    /// A consensus proposal (DESIGN §8).
    Proposal,
    /// A consensus vote (prevote or precommit, DESIGN §8).
    Vote,
}

impl Domain {
    /// Every domain, for tests that check they are prefix-free.
    pub const ALL: [Domain; 6] =
        [Domain::Transaction, Domain::Seal, Domain::SealCertificate, Domain::ClaimTransferConsent, Domain::Proposal, Domain::Vote];

    /// The bytes that prefix every message signed in this domain.
    pub const fn tag(self) -> &'static [u8] {
        match self {
            Domain::Transaction => b"loanchain/tx/v1",
            Domain::Seal => b"loanchain/seal/v1",
            Domain::SealCertificate => b"loanchain/seal-cert/v1",
            Domain::ClaimTransferConsent => b"loanchain/claim-transfer/v1",
            Domain::Proposal => b"loanchain/proposal/v1",
            Domain::Vote => b"loanchain/vote/v1",
        }
    }

    /// `domain || message`: the exact bytes that are signed.
    pub fn message(self, message: &[u8]) -> Vec<u8> {
        let tag = self.tag();
        let mut out = Vec::with_capacity(tag.len() + message.len());
        out.extend_from_slice(tag);
        out.extend_from_slice(message);
        out
    }
}

/// Serde support for fixed-size byte strings: hex in JSON, raw bytes (a bcs tuple) in binary.
/// `$check` turns decoded bytes into a value or refuses them; without it, any bytes are one.
macro_rules! fixed_bytes {
    ($(#[$meta:meta])* $name:ident, $len:expr) => {
        fixed_bytes!($(#[$meta])* $name, $len, |bytes| Ok($name(bytes)));
    };
    ($(#[$meta:meta])* $name:ident, $len:expr, $check:expr) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// Length in bytes.
            pub const LEN: usize = $len;

            /// The raw bytes.
            pub fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }

            /// Lower-case hex of the bytes.
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }

            /// The first bytes in hex followed by an ellipsis, for messages meant for people.
            pub fn short(&self) -> String {
                format!("{}…", hex::encode(&self.0[..4]))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&hex::encode(self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.short())
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let mut out = [0u8; $len];
                hex::decode_to_slice(s, &mut out).map_err(|_| Error::BadHex {
                    what: stringify!($name),
                    expected_bytes: $len,
                })?;
                let check: fn([u8; $len]) -> Result<$name, Error> = $check;
                check(out)
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                if s.is_human_readable() {
                    s.serialize_str(&hex::encode(self.0))
                } else {
                    // One length-prefixed byte string: a single copy instead of one serializer
                    // call per byte (a tuple), which dominated encoding time.
                    s.serialize_bytes(&self.0)
                }
            }
        }

        #[cfg(feature = "json-schema")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                let pattern = format!("^[0-9a-fA-F]{{{}}}$", 2 * $len);
                schemars::json_schema!({
                    "type": "string",
                    "pattern": pattern,
                    "description": concat!(stringify!($name), ": ", stringify!($len), " bytes in hex"),
                })
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                if d.is_human_readable() {
                    let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                    s.parse().map_err(serde::de::Error::custom)
                } else {
                    struct V;
                    impl<'de> serde::de::Visitor<'de> for V {
                        type Value = [u8; $len];
                        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                            write!(f, "{} bytes", $len)
                        }
                        fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
                            v.try_into().map_err(|_| E::invalid_length(v.len(), &self))
                        }
                    }
                    let check: fn([u8; $len]) -> Result<$name, Error> = $check;
                    check(d.deserialize_bytes(V)?).map_err(serde::de::Error::custom)
                }
            }
        }
    };
}
fixed_bytes!(
    /// A SHA-256 digest.
    Hash,
    32
);
fixed_bytes!(
    /// An ed25519 public key (compressed Edwards point).
    ///
    /// Decoding one (serde, hex) refuses bytes that the verification rule (module doc) does not
    /// take as a key: not a point ([`Error::BadPublicKey`]) or of small order
    /// ([`Error::WeakPublicKey`]). A value built directly from its bytes is checked when it verifies.
    PublicKey,
    32,
    PublicKey::from_bytes
);
fixed_bytes!(
    /// An ed25519 signature.
    Signature,
    64
);

impl Hash {
    /// The all-zero digest: the parent of the first block and the app hash before genesis state.
    pub const ZERO: Hash = Hash([0u8; 32]);

    /// SHA-256 of `bytes`.
    pub fn digest(bytes: &[u8]) -> Hash {
        Hash(Sha256::digest(bytes).into())
    }

    /// SHA-256 over the concatenation of `parts`, without copying them.
    pub fn digest_parts(parts: &[&[u8]]) -> Hash {
        let mut h = Sha256::new();
        for p in parts {
            h.update(p);
        }
        Hash(h.finalize().into())
    }

    /// SHA-256 of the canonical (bcs) encoding of `value`.
    pub fn of<T: Serialize + ?Sized>(value: &T) -> Hash {
        Hash::digest(&crate::codec::to_bytes(value))
    }
}

impl PublicKey {
    /// `bytes` as a public key, if the verification rule (module doc) takes them as one: the
    /// encoding of a curve point (non-canonical encodings included, as ZIP-215 reads them) that
    /// does not have small order.
    pub fn from_bytes(bytes: [u8; 32]) -> Result<PublicKey, Error> {
        let key = PublicKey(bytes);
        key.verifying_key()?;
        Ok(key)
    }

    /// The decompressed key, after the key half of the rule: a point, not of small order.
    fn verifying_key(&self) -> Result<VerificationKey, Error> {
        if let Some(key) = CACHE.key(&self.0) {
            return Ok(key);
        }
        // The same decompression as ed25519-zebra's (curve25519-dalek's), so both agree on what
        // is a point.
        let point = CompressedEdwardsY(self.0).decompress().ok_or_else(|| Error::BadPublicKey { key: self.short() })?;
        if point.is_small_order() {
            return Err(Error::WeakPublicKey { key: self.short() });
        }
        let key = VerificationKey::try_from(self.0).map_err(|_| Error::BadPublicKey { key: self.short() })?;
        CACHE.remember_key(self.0, key);
        Ok(key)
    }

    /// Checks `signature` over `domain || message`, by the rule of the module doc.
    pub fn verify(&self, domain: Domain, message: &[u8], signature: &Signature) -> Result<(), Error> {
        self.verify_signed_bytes(&domain.message(message), signature)
    }

    /// Checks `signature` over bytes that already carry their domain (see [`Domain::message`]),
    /// by the rule of the module doc.
    pub fn verify_signed_bytes(&self, signed_bytes: &[u8], signature: &Signature) -> Result<(), Error> {
        let key = self.verifying_key()?;
        let sig = ed25519_zebra::Signature::from_bytes(&signature.0);
        key.verify(&sig, signed_bytes).map_err(|_| Error::BadSignature { signer: self.short() })
    }

    /// The account id of whoever holds this key: SHA-256 of the key (DESIGN §4).
    pub fn account_id(&self) -> crate::AccountId {
        crate::AccountId(Hash::digest(&self.0))
    }
}

/// Which of `n` items fail a batch check, found by halving: `check(indices)` says whether every
/// item of `indices` passes. One call when all pass; one failing item among n costs about 2·log2(n)
/// calls, so a few bad items do not make every good one be checked alone. Where both halves of a
/// failing range fail, its items are checked one by one instead of halving further: bad items are
/// then dense, and halving on would check each of them about log2(n) times (a peer forging a
/// whole batch would get that amplification for free). So the items checked stay below 4·n
/// however many fail: the halving follows one path down (at most 3·n), and the one range checked
/// singly is at most n. The result is exact provided `check` of a set passes exactly when each
/// of its items passes alone (true of [`verify_batch`]: one rule for batches and singles).
pub fn find_failing(n: usize, check: impl Fn(&[usize]) -> bool) -> Vec<bool> {
    let all: Vec<usize> = (0..n).collect();
    let mut failing = vec![false; n];
    if n == 0 || check(&all) {
        return failing;
    }
    // `range` failed as a whole.
    let mut range = all.as_slice();
    while let [_, _, ..] = range {
        let (left, right) = range.split_at(range.len() / 2);
        match (check(left), check(right)) {
            (true, _) => range = right,
            (false, true) => range = left,
            (false, false) => {
                for &i in range {
                    failing[i] = !check(&[i]);
                }
                return failing;
            }
        }
    }
    failing[range[0]] = true;
    failing
}

/// One signature to check in a batch: the signer, the full signed bytes (domain included) and the signature.
pub struct BatchItem<'a> {
    /// The signer's public key.
    pub key: &'a PublicKey,
    /// `domain || message`, as returned by [`Domain::message`].
    pub signed_bytes: &'a [u8],
    /// The signature.
    pub signature: &'a Signature,
}

/// What the seed of a batch's coefficients starts with (not a signature domain: nothing is signed
/// with it).
const BATCH_SEED_TAG: &[u8] = b"loanchain/batch-coefficients/v1";

/// Verifies many signatures at once (ed25519 batch verification, about twice the speed of one by
/// one), by the rule of the module doc: `Ok` exactly when every one of them verifies alone. On
/// failure it does not say which one failed: callers then check one by one. A key the rule refuses
/// gives that key's error.
///
/// Signatures this process already found valid over the same bytes with the same key (a seal
/// certificate's, repeated in every funding) are not checked again; see [`crate::sigcache`].
pub fn verify_batch(items: &[BatchItem<'_>]) -> Result<(), Error> {
    let triples: Vec<Hash> = items.iter().map(|i| triple(&i.key.0, &i.signature.0, i.signed_bytes)).collect();
    let known = CACHE.known(&triples);
    let todo: Vec<(&BatchItem<'_>, &Hash)> = items.iter().zip(&triples).zip(&known).filter(|(_, k)| !**k).map(|(t, _)| t).collect();
    if todo.is_empty() {
        return Ok(());
    }
    let mut batch = ed25519_zebra::batch::Verifier::new();
    // The coefficients' seed commits to every key, signature and signed bytes of the batch.
    let mut seed = Sha256::new();
    seed.update(BATCH_SEED_TAG);
    for (item, triple) in &todo {
        item.key.verifying_key()?;
        let sig = ed25519_zebra::Signature::from_bytes(&item.signature.0);
        batch.queue((VerificationKeyBytes::from(item.key.0), sig, item.signed_bytes));
        seed.update(triple.0);
    }
    let coefficients = ChaCha20Rng::from_seed(seed.finalize().into());
    batch.verify(coefficients).map_err(|_| Error::BatchFailed { size: items.len() })?;
    CACHE.remember_verified(todo.into_iter().map(|(_, t)| *t));
    Ok(())
}

/// An ed25519 key pair. Its secret half never leaves the process except through [`Keypair::secret_bytes`].
#[derive(Clone)]
pub struct Keypair {
    signing: SigningKey,
}

impl fmt::Debug for Keypair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Keypair({})", self.public().short())
    }
}

impl Keypair {
    /// A key pair from 32 secret bytes (a seed).
    pub fn from_secret(secret: [u8; 32]) -> Keypair {
        Keypair { signing: SigningKey::from_bytes(&secret) }
    }

    /// A fresh key pair from a cryptographic random generator (only the tools call this; the state
    /// machine never does).
    pub fn generate<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> Keypair {
        let mut secret = [0u8; 32];
        rng.fill_bytes(&mut secret);
        Keypair::from_secret(secret)
    }

    /// The 32 secret bytes, for writing a key file.
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }

    /// The public key.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.signing.verifying_key().to_bytes())
    }

    /// Signs `domain || message`.
    pub fn sign(&self, domain: Domain, message: &[u8]) -> Signature {
        Signature(self.signing.sign(&domain.message(message)).to_bytes())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn find_failing_names_exactly_the_failing_items() {
        for n in 0..40usize {
            for bad in [vec![], vec![0], vec![n / 2], (0..n).filter(|i| i % 3 == 0).collect::<Vec<_>>(), (0..n).collect()] {
                let bad: Vec<usize> = bad.into_iter().filter(|&i| i < n).collect();
                let calls = std::cell::Cell::new(0);
                let found = super::find_failing(n, |r| {
                    calls.set(calls.get() + 1);
                    !r.iter().any(|i| bad.contains(i))
                });
                let expected: Vec<bool> = (0..n).map(|i| bad.contains(&i)).collect();
                assert_eq!(found, expected, "n {n} bad {bad:?}");
                if bad.is_empty() {
                    assert_eq!(calls.get(), usize::from(n > 0), "all good: one batch");
                }
            }
        }
    }

    /// A peer that sends a batch of forged signatures must not make the node check each of them
    /// log2(n) times: the items checked stay within four times the batch, however many are bad
    /// (weakness 7's bisection, which without a bound amplified a flood of forgeries).
    #[test]
    fn finding_the_failing_items_checks_at_most_four_times_the_batch() {
        for n in [1usize, 2, 3, 7, 64, 100, 128, 1_000] {
            let patterns: [Box<dyn Fn(usize) -> bool>; 5] =
                [Box::new(|_| true), Box::new(|i| i % 2 == 0), Box::new(|i| i % 7 == 3), Box::new(|i| i == n - 1), Box::new(|_| false)];
            for (p, bad) in patterns.iter().enumerate() {
                let items = std::cell::Cell::new(0);
                let found = super::find_failing(n, |r| {
                    items.set(items.get() + r.len());
                    !r.iter().any(|&i| bad(i))
                });
                assert_eq!(found, (0..n).map(bad).collect::<Vec<_>>(), "n {n} pattern {p}");
                assert!(items.get() <= 4 * n, "n {n} pattern {p}: {} items checked for a batch of {n}", items.get());
            }
        }
    }

    use super::*;

    #[test]
    fn domains_are_prefix_free() {
        for a in Domain::ALL {
            for b in Domain::ALL {
                if a != b {
                    assert!(!b.tag().starts_with(a.tag()), "{a:?} is a prefix of {b:?}");
                }
            }
        }
    }

    #[test]
    fn a_signature_does_not_cross_domains() {
        let k = Keypair::from_secret([7; 32]);
        let sig = k.sign(Domain::Vote, b"hello");
        assert!(k.public().verify(Domain::Vote, b"hello", &sig).is_ok());
        for d in Domain::ALL.into_iter().filter(|d| *d != Domain::Vote) {
            assert!(k.public().verify(d, b"hello", &sig).is_err(), "{d:?} accepted a vote signature");
        }
    }

    #[test]
    fn batch_verification_catches_one_bad_signature() {
        let keys: Vec<Keypair> = (0..8u8).map(|i| Keypair::from_secret([i; 32])).collect();
        let msgs: Vec<Vec<u8>> = (0..8u8).map(|i| Domain::Transaction.message(&[i; 10])).collect();
        let pubs: Vec<PublicKey> = keys.iter().map(Keypair::public).collect();
        let mut sigs: Vec<Signature> = keys.iter().enumerate().map(|(i, k)| k.sign(Domain::Transaction, &[i as u8; 10])).collect();
        let items = |sigs: &[Signature]| -> Result<(), Error> {
            let items: Vec<BatchItem<'_>> =
                (0..8).map(|i| BatchItem { key: &pubs[i], signed_bytes: &msgs[i], signature: &sigs[i] }).collect();
            verify_batch(&items)
        };
        assert!(items(&sigs).is_ok());
        sigs[5].0[3] ^= 1;
        assert!(items(&sigs).is_err());
    }

    #[test]
    fn decoding_a_public_key_refuses_what_the_rule_refuses() {
        let good = Keypair::from_secret([3; 32]).public();
        // The identity (order 1) and (0, -1) (order 2): points, of small order.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let mut order_two = [0xff; 32];
        order_two[0] = 0xec;
        order_two[31] = 0x7f;
        let not_a_point = (0..=255u8).map(|i| [i; 32]).find(|b| CompressedEdwardsY(*b).decompress().is_none()).unwrap();
        let decode = |bytes: [u8; 32]| {
            let key = PublicKey(bytes);
            let json = serde_json::from_str::<PublicKey>(&serde_json::to_string(&key).unwrap()).map_err(|e| e.to_string());
            let bin = bcs::from_bytes::<PublicKey>(&bcs::to_bytes(&key).unwrap()).map_err(|e| e.to_string());
            (PublicKey::from_bytes(bytes), key.to_hex().parse::<PublicKey>(), json, bin)
        };
        assert_eq!(decode(good.0), (Ok(good), Ok(good), Ok(good), Ok(good)));
        for weak in [identity, order_two] {
            let (bytes, hex, json, bin) = decode(weak);
            let refused = Error::WeakPublicKey { key: PublicKey(weak).short() };
            assert_eq!((bytes, hex), (Err(refused.clone()), Err(refused.clone())));
            assert_eq!(refused.code(), "weak_public_key");
            assert!(json.unwrap_err().contains("small order") && bin.is_err());
        }
        let (bytes, hex, json, bin) = decode(not_a_point);
        assert!(matches!(bytes, Err(Error::BadPublicKey { .. })) && matches!(hex, Err(Error::BadPublicKey { .. })));
        assert!(json.is_err() && bin.is_err());
    }

    #[test]
    fn hex_round_trip_and_errors() {
        let h = Hash::digest(b"abc");
        assert_eq!(h.to_hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(h.to_hex().parse::<Hash>().unwrap(), h);
        assert!("zz".parse::<Hash>().is_err());
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(serde_json::from_str::<Hash>(&json).unwrap(), h);
        let bin = bcs::to_bytes(&h).unwrap();
        assert_eq!(bin.len(), 33, "a digest is one length-prefixed byte string in bcs");
        assert!(bcs::from_bytes::<Hash>(&bcs::to_bytes(&vec![0u8; 31]).unwrap()).is_err(), "31 bytes are not a digest");
    }
}
