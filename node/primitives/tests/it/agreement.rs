//! Issue 16, weakness 5: batch and single ed25519 verification give the same verdict, on random
//! mixes of valid signatures, invalid ones, torsioned ones (a small-order point added to R or to
//! the public key) and small-order keys.
//!
//! Nodes verify the signatures they receive in batches that differ from node to node; a
//! signature that one batch accepts and another refuses would split them on a certified block.

use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use ed25519_dalek::hazmat::ExpandedSecretKey;
use loanchain_primitives::{BatchItem, Domain, Keypair, PublicKey, Signature, verify_batch};
use proptest::prelude::*;
use sha2::{Digest, Sha512};

/// How one signature of a mix is made.
#[derive(Clone)]
enum Kind {
    /// Signed as every client signs.
    Valid,
    /// A valid signature presented with other bytes.
    WrongMessage,
    /// A valid signature with one of its 512 bits flipped.
    FlippedBit(u16),
    /// `R' = rB + T` with `T = EIGHT_TORSION[torsion]` (not the identity), `s = r + H(R', A, M)·a`:
    /// the cofactored equation holds, the cofactorless one does not.
    TorsionR { torsion: usize, nonce: [u8; 32] },
    /// The key `A' = aB + T` (of mixed order), `R = rB`, `s = r + H(R, A', M)·a`: the cofactorless
    /// equation holds only when `H(R, A', M)·T` vanishes.
    TorsionA { torsion: usize, nonce: [u8; 32] },
    /// A small-order key `A = EIGHT_TORSION[a]` with `R = EIGHT_TORSION[r]` and `s = 0`, which
    /// satisfies the cofactored equation for every message.
    WeakKey { a: usize, r: usize },
}

impl std::fmt::Debug for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Kind::Valid => write!(f, "Valid"),
            Kind::WrongMessage => write!(f, "WrongMessage"),
            Kind::FlippedBit(bit) => write!(f, "FlippedBit({bit})"),
            Kind::TorsionR { torsion, nonce } => write!(f, "TorsionR {{ torsion: {torsion}, nonce: {}… }}", hex::encode(&nonce[..4])),
            Kind::TorsionA { torsion, nonce } => write!(f, "TorsionA {{ torsion: {torsion}, nonce: {}… }}", hex::encode(&nonce[..4])),
            Kind::WeakKey { a, r } => write!(f, "WeakKey {{ a: {a}, r: {r} }}"),
        }
    }
}

impl Kind {
    /// The verdict of the rule (ZIP-215, small-order keys refused): valid and torsioned
    /// signatures verify, the rest do not.
    fn expected(&self) -> bool {
        matches!(self, Kind::Valid | Kind::TorsionR { .. } | Kind::TorsionA { .. })
    }
}

/// One signature to check, with the bytes it is presented with.
#[derive(Clone)]
struct Case {
    kind: Kind,
    key: PublicKey,
    signed_bytes: Vec<u8>,
    signature: Signature,
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} by {:?} over {}", self.kind, self.key, hex::encode(&self.signed_bytes))
    }
}

fn scalar(bytes: [u8; 32]) -> Scalar {
    Scalar::from_bytes_mod_order(bytes)
}

/// `H(R || A || M)` reduced mod the group order, as RFC 8032 defines it.
fn challenge(r: &[u8; 32], a: &[u8; 32], message: &[u8]) -> Scalar {
    let mut h = Sha512::new();
    h.update(r);
    h.update(a);
    h.update(message);
    Scalar::from_bytes_mod_order_wide(&h.finalize().into())
}

fn signature(r: &EdwardsPoint, s: &Scalar) -> Signature {
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(r.compress().as_bytes());
    out[32..].copy_from_slice(s.as_bytes());
    Signature(out)
}

fn build(kind: Kind, seed: u8, message: &[u8]) -> Case {
    let secret = [seed; 32];
    let keypair = Keypair::from_secret(secret);
    let a = ExpandedSecretKey::from(&secret).scalar;
    let signed_bytes = Domain::Transaction.message(message);
    let case = |key, signed_bytes, signature| Case { kind: kind.clone(), key, signed_bytes, signature };
    match &kind {
        Kind::Valid => case(keypair.public(), signed_bytes, keypair.sign(Domain::Transaction, message)),
        Kind::WrongMessage => {
            let signature = keypair.sign(Domain::Transaction, message);
            case(keypair.public(), Domain::Transaction.message(&[message, b"!"].concat()), signature)
        }
        Kind::FlippedBit(bit) => {
            let mut signature = keypair.sign(Domain::Transaction, message);
            signature.0[usize::from(bit / 8)] ^= 1 << (bit % 8);
            case(keypair.public(), signed_bytes, signature)
        }
        Kind::TorsionR { torsion, nonce } => {
            let r = scalar(*nonce);
            let big_r = EdwardsPoint::mul_base(&r) + EIGHT_TORSION[*torsion];
            let key = keypair.public();
            let k = challenge(big_r.compress().as_bytes(), &key.0, &signed_bytes);
            case(key, signed_bytes, signature(&big_r, &(r + k * a)))
        }
        Kind::TorsionA { torsion, nonce } => {
            let r = scalar(*nonce);
            let big_r = EdwardsPoint::mul_base(&r);
            let point = CompressedEdwardsY(keypair.public().0).decompress().expect("a generated key is a point");
            let key = PublicKey((point + EIGHT_TORSION[*torsion]).compress().to_bytes());
            let k = challenge(big_r.compress().as_bytes(), &key.0, &signed_bytes);
            case(key, signed_bytes, signature(&big_r, &(r + k * a)))
        }
        Kind::WeakKey { a, r } => {
            let key = PublicKey(EIGHT_TORSION[*a].compress().to_bytes());
            case(key, signed_bytes, signature(&EIGHT_TORSION[*r], &Scalar::ZERO))
        }
    }
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        3 => Just(Kind::Valid),
        1 => Just(Kind::WrongMessage),
        1 => (0..512u16).prop_map(Kind::FlippedBit),
        2 => (1..8usize, any::<[u8; 32]>()).prop_map(|(torsion, nonce)| Kind::TorsionR { torsion, nonce }),
        1 => (1..8usize, any::<[u8; 32]>()).prop_map(|(torsion, nonce)| Kind::TorsionA { torsion, nonce }),
        1 => (0..8usize, 0..8usize).prop_map(|(a, r)| Kind::WeakKey { a, r }),
    ]
}

/// A mix of up to 12 signatures by 4 signers (so some batches hold several signatures by one key).
fn mix() -> impl Strategy<Value = Vec<Case>> {
    prop::collection::vec((kind(), 0..4u8, prop::collection::vec(any::<u8>(), 0..48)), 1..12)
        .prop_map(|v| v.into_iter().map(|(kind, seed, message)| build(kind, 200 + seed, &message)).collect())
}

fn item(c: &Case) -> BatchItem<'_> {
    BatchItem { key: &c.key, signed_bytes: &c.signed_bytes, signature: &c.signature }
}

fn single(c: &Case) -> bool {
    c.key.verify_signed_bytes(&c.signed_bytes, &c.signature).is_ok()
}

/// What a batch remembered (the verified-signature cache) is what a single verification says:
/// torsioned signatures that passed a batch verify alone, and stay accepted in later batches
/// (remembered), while a copy with another message is still checked and refused.
#[test]
fn a_remembered_verdict_is_the_single_verdict() {
    for torsion in 1..8 {
        let message = format!("deposit {torsion}");
        let valid = build(Kind::Valid, 210, message.as_bytes());
        let torsioned = build(Kind::TorsionR { torsion, nonce: [torsion as u8; 32] }, 211, message.as_bytes());
        assert!(verify_batch(&[item(&valid), item(&torsioned)]).is_ok(), "torsion {torsion} in a batch");
        assert!(single(&torsioned), "torsion {torsion} alone, after the batch remembered it");
        assert!(verify_batch(&[item(&torsioned)]).is_ok(), "torsion {torsion} remembered");
        let other = Case { signed_bytes: Domain::Transaction.message(b"another deposit"), ..torsioned.clone() };
        assert!(verify_batch(&[item(&torsioned), item(&other)]).is_err() && !single(&other));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    /// The batch verdict is the AND of the single verdicts, and every signature alone in a batch
    /// gets its single verdict.
    #[test]
    fn batch_and_single_verification_agree(cases in mix()) {
        let items: Vec<BatchItem<'_>> = cases.iter().map(item).collect();
        let batch = verify_batch(&items).is_ok();
        let singles: Vec<bool> = cases.iter().map(single).collect();
        prop_assert_eq!(batch, singles.iter().all(|ok| *ok), "batch verdict against single verdicts {:?}", singles);
        for (c, ok) in cases.iter().zip(&singles) {
            prop_assert_eq!(verify_batch(&[item(c)]).is_ok(), *ok, "{:?} alone in a batch", c.kind);
        }
    }

    /// Each kind of signature gets the verdict of the rule, alone and in a batch of one.
    #[test]
    fn each_kind_gets_the_rules_verdict(kind in kind(), seed in 0..4u8, message in prop::collection::vec(any::<u8>(), 0..48)) {
        let c = build(kind, 200 + seed, &message);
        prop_assert_eq!(single(&c), c.kind.expected(), "{:?} alone", c.kind);
        prop_assert_eq!(verify_batch(&[item(&c)]).is_ok(), c.kind.expected(), "{:?} in a batch of one", c.kind);
    }
}
