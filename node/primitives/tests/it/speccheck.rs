//! The twelve edge cases of "Taming the many EdDSAs" (Chalkias, Garillot, Nikolaenko, SSR 2020),
//! each with the verdict of the rule (`loanchain_primitives::crypto`: ZIP-215, plus public keys of
//! small order refused at parsing), alone, in a batch of one and in batches with the others.
//!
//! `data/ed25519_speccheck_cases.json` is `cases.json` of github.com/novifinancial/ed25519-speccheck
//! at commit 65519336fda78a3d016e947df6d82848aca0c9da, unchanged (Apache-2.0). Each case signs its
//! `message` bytes as they are, without a loanchain domain.

use loanchain_primitives::{BatchItem, Error, PublicKey, Signature, verify_batch};
use serde::Deserialize;

#[derive(Deserialize)]
struct RawCase {
    message: String,
    pub_key: String,
    signature: String,
}

/// What the rule says of a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    /// The signature verifies.
    Accepted,
    /// The key decodes but the signature does not verify.
    Refused,
    /// The public key has small order: refused when it is decoded, before any signature.
    WeakKey,
}
use Verdict::*;

/// The verdict of each case, in the order of the file, with why.
const EXPECTED: [(Verdict, &str); 12] = [
    (WeakKey, "0: A has small order (and R too, s = 0)"),
    (WeakKey, "1: A has small order (R mixed)"),
    (Accepted, "2: R of small order is allowed; A mixed; the cofactored equation holds"),
    (Accepted, "3: A and R mixed; both the cofactored and the cofactorless equation hold"),
    (Accepted, "4: A and R mixed; only the cofactored equation holds, and it is the one checked"),
    (Accepted, "5: [8](R - ([s]B - [k]A)) = 0 with k reduced, as ZIP-215 computes it"),
    (Refused, "6: s is not below the group order (s > L)"),
    (Refused, "7: s is not below the group order (s >> L)"),
    (Refused, "8: non-canonical R, signed over its canonical re-encoding; ZIP-215 hashes R as given"),
    (Accepted, "9: non-canonical R, signed over R as given; ZIP-215 accepts non-canonical R"),
    (WeakKey, "10: A is a non-canonical encoding of a small-order point"),
    (WeakKey, "11: A is a non-canonical encoding of a small-order point"),
];

struct Case {
    key: PublicKey,
    message: Vec<u8>,
    signature: Signature,
    expected: Verdict,
    why: &'static str,
}

fn cases() -> Vec<Case> {
    let raw: Vec<RawCase> = serde_json::from_str(include_str!("data/ed25519_speccheck_cases.json")).expect("the vectors parse");
    assert_eq!(raw.len(), EXPECTED.len(), "the file holds the twelve cases");
    raw.into_iter()
        .zip(EXPECTED)
        .map(|(r, (expected, why))| {
            let mut key = [0u8; 32];
            hex::decode_to_slice(&r.pub_key, &mut key).expect("a key of 32 bytes");
            let mut signature = [0u8; 64];
            hex::decode_to_slice(&r.signature, &mut signature).expect("a signature of 64 bytes");
            let message = hex::decode(&r.message).expect("a message in hex");
            Case { key: PublicKey(key), message, signature: Signature(signature), expected, why }
        })
        .collect()
}

fn item(c: &Case) -> BatchItem<'_> {
    BatchItem { key: &c.key, signed_bytes: &c.message, signature: &c.signature }
}

fn weak(e: &Error) -> bool {
    matches!(e, Error::WeakPublicKey { .. })
}

#[test]
fn each_case_gets_the_rules_verdict_alone_and_in_a_batch_of_one() {
    for c in cases() {
        let parsed = PublicKey::from_bytes(c.key.0);
        let from_hex = c.key.to_hex().parse::<PublicKey>();
        let from_json = serde_json::from_str::<PublicKey>(&format!("\"{}\"", c.key.to_hex()));
        let from_bcs = bcs::from_bytes::<PublicKey>(&bcs::to_bytes(&c.key).unwrap());
        let single = c.key.verify_signed_bytes(&c.message, &c.signature);
        let batch = verify_batch(&[item(&c)]);
        match c.expected {
            WeakKey => {
                assert!(parsed.as_ref().is_err_and(weak), "{}: decoding gave {parsed:?}", c.why);
                assert!(from_hex.is_err() && from_json.is_err() && from_bcs.is_err(), "{}: hex, JSON or bcs decoded it", c.why);
                assert!(single.as_ref().is_err_and(weak), "{}: alone {single:?}", c.why);
                assert!(batch.as_ref().is_err_and(weak), "{}: batch of one {batch:?}", c.why);
                assert_eq!(parsed.unwrap_err().code(), "weak_public_key");
            }
            Accepted | Refused => {
                assert_eq!(parsed, Ok(c.key), "{}: the key decodes", c.why);
                assert_eq!(from_hex, Ok(c.key), "{}: from hex", c.why);
                assert_eq!(from_json.ok(), Some(c.key), "{}: from JSON", c.why);
                assert_eq!(from_bcs.ok(), Some(c.key), "{}: from bcs", c.why);
                let accepted = c.expected == Accepted;
                assert_eq!(single.is_ok(), accepted, "{}: alone {single:?}", c.why);
                assert_eq!(batch.is_ok(), accepted, "{}: batch of one {batch:?}", c.why);
            }
        }
    }
}

#[test]
fn batches_of_cases_fail_exactly_when_one_of_them_is_not_accepted() {
    let cases = cases();
    let accepted: Vec<&Case> = cases.iter().filter(|c| c.expected == Accepted).collect();
    let items = || -> Vec<BatchItem<'_>> { accepted.iter().map(|c| item(c)).collect() };
    assert!(verify_batch(&items()).is_ok(), "the accepted cases verify together");
    for c in cases.iter().filter(|c| c.expected != Accepted) {
        // The one refused case first and last, among all the accepted ones.
        for at in [0, accepted.len()] {
            let mut batch = items();
            batch.insert(at, item(c));
            assert!(verify_batch(&batch).is_err(), "{}: passed in a batch with the accepted cases", c.why);
        }
    }
    assert!(verify_batch(&cases.iter().map(item).collect::<Vec<_>>()).is_err(), "all twelve together");
}
