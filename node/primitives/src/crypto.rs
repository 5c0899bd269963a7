//! Hashing and domain-separated ed25519 signatures (STYLE habit 9).
//!
//! Every signature in loanchain is made over `domain || message`, where the domain is one of the
//! constants of [`Domain`]. No domain is a prefix of another, so a signature made for one use (a
//! vote, say) can never verify as another (a transaction or a seal).

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
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
macro_rules! fixed_bytes {
    ($(#[$meta:meta])* $name:ident, $len:expr) => {
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
                Ok($name(out))
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
                    d.deserialize_bytes(V).map($name)
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
    PublicKey,
    32
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
    fn verifying_key(&self) -> Result<VerifyingKey, Error> {
        if let Some(key) = CACHE.key(&self.0) {
            return Ok(key);
        }
        // Small-order ("weak") keys are refused: with them, batch and single verification could
        // disagree, and nodes must agree on every verdict.
        match VerifyingKey::from_bytes(&self.0) {
            Ok(k) if !k.is_weak() => {
                CACHE.remember_key(self.0, k);
                Ok(k)
            }
            _ => Err(Error::BadPublicKey { key: self.short() }),
        }
    }

    /// Checks `signature` over `domain || message` (strict verification: no malleable signatures,
    /// no small-order keys).
    pub fn verify(&self, domain: Domain, message: &[u8], signature: &Signature) -> Result<(), Error> {
        let key = self.verifying_key()?;
        let sig = ed25519_dalek::Signature::from_bytes(&signature.0);
        key.verify_strict(&domain.message(message), &sig).map_err(|_| Error::BadSignature { signer: self.short() })
    }

    /// Checks `signature` over bytes that already carry their domain (see [`Domain::message`]),
    /// with strict verification.
    pub fn verify_signed_bytes(&self, signed_bytes: &[u8], signature: &Signature) -> Result<(), Error> {
        let key = self.verifying_key()?;
        let sig = ed25519_dalek::Signature::from_bytes(&signature.0);
        key.verify_strict(signed_bytes, &sig).map_err(|_| Error::BadSignature { signer: self.short() })
    }

    /// The account id of whoever holds this key: SHA-256 of the key (DESIGN §4).
    pub fn account_id(&self) -> crate::AccountId {
        crate::AccountId(Hash::digest(&self.0))
    }
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

/// Verifies many signatures at once (ed25519 batch verification, about twice the speed of one by
/// one). On failure it does not say which one failed: callers then check one by one.
///
/// Signatures this process already found valid over the same bytes with the same key (a seal
/// certificate's, repeated in every funding) are not checked again; see [`crate::sigcache`].
pub fn verify_batch(items: &[BatchItem<'_>]) -> Result<(), Error> {
    let triples: Vec<Hash> = items.iter().map(|i| triple(&i.key.0, &i.signature.0, i.signed_bytes)).collect();
    let known = CACHE.known(&triples);
    let todo: Vec<&BatchItem<'_>> = items.iter().zip(&known).filter(|(_, k)| !**k).map(|(i, _)| i).collect();
    if todo.is_empty() {
        return Ok(());
    }
    let mut keys = Vec::with_capacity(todo.len());
    for item in &todo {
        keys.push(item.key.verifying_key()?);
    }
    let messages: Vec<&[u8]> = todo.iter().map(|i| i.signed_bytes).collect();
    let sigs: Vec<ed25519_dalek::Signature> = todo.iter().map(|i| ed25519_dalek::Signature::from_bytes(&i.signature.0)).collect();
    ed25519_dalek::verify_batch(&messages, &sigs, &keys).map_err(|_| Error::BatchFailed { size: items.len() })?;
    CACHE.remember_verified(triples.into_iter().zip(known).filter(|(_, k)| !k).map(|(t, _)| t));
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
