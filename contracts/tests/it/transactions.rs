//! The transaction envelope (DESIGN §5): golden bytes, malformed input, bad signatures, the replay
//! window. Bad input gets a typed error and changes nothing.
//!
//! Regenerate the fixture deliberately with `LOANCHAIN_BLESS=1 cargo test --release -p
//! loanchain-contracts --test it transactions`: that is a wire-format change.

use crate::common::*;
use loanchain_contracts::crypto::{Hash, PublicKey};
use loanchain_contracts::ids::{LoanId, Role};
use loanchain_contracts::schedule::RepaymentMethod;
use loanchain_contracts::tx::{MAX_TX_BYTES, Payload, verify_transactions};
use loanchain_contracts::{Error, ReceiptStatus, SignedTransaction, TxBody};
use proptest::prelude::*;

fn golden(name: &str, bytes: &[u8]) {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let hex = format!("{}\n", hex::encode(bytes));
    if std::env::var("LOANCHAIN_BLESS").as_deref() == Ok("1") {
        std::fs::write(&path, hex).unwrap();
        return;
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}; run with LOANCHAIN_BLESS=1 to create it"));
    assert_eq!(stored, hex, "{path} changed: the transaction wire format moved. If deliberate, rerun with LOANCHAIN_BLESS=1");
}

/// A `FundLoan` with its investor seal, from fixed keys and fields.
fn fixture_tx() -> SignedTransaction {
    let mut c = TestChain::new();
    let borrower = key(10);
    let investor = key(11);
    let doc = c.document("JD-2026-0001", &borrower, "30000", "0.12", 12, RepaymentMethod::EqualInstallment);
    let seal = c.seal(&investor, &doc);
    let body = TxBody {
        nonce: 0x0102_0304_0506_0708,
        valid_until_height: 42,
        payload: Payload::FundLoan { loan: doc.loan_id, amount: amount("1234.56"), seal },
    };
    SignedTransaction::sign(CHAIN, body, &investor)
}

#[test]
fn golden_signed_transaction() {
    let tx = fixture_tx();
    let bytes = tx.to_bytes();
    golden("signed_transaction.hex", &bytes);
    assert_eq!(SignedTransaction::from_bytes(&bytes).unwrap(), tx);
    assert!(tx.clone().verify(CHAIN).is_ok());
    // The hash is SHA-256 of exactly these bytes.
    assert_eq!(tx.hash(), Hash::digest(&bytes));
}

#[test]
fn malformed_and_oversized_bytes_are_typed_errors() {
    let bytes = fixture_tx().to_bytes();
    assert!(matches!(SignedTransaction::from_bytes(&bytes[..bytes.len() - 1]), Err(Error::Decode { .. })));
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert!(matches!(SignedTransaction::from_bytes(&trailing), Err(Error::Decode { .. })));
    assert!(matches!(SignedTransaction::from_bytes(&vec![0u8; MAX_TX_BYTES + 1]), Err(Error::TooLarge { .. })));
    assert!(matches!(SignedTransaction::from_bytes(&[]), Err(Error::Decode { .. })));
}

/// DESIGN §4, verification rule: a public key of small order is refused when a transaction is
/// decoded, wherever it sits (the signer's, a registered account's, a seal certificate's), in bcs
/// and in JSON; so no such key is ever registered or trusted.
#[test]
fn a_key_of_small_order_anywhere_does_not_decode() {
    // The identity point: a point, of order 1.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let weak = PublicKey(identity);
    let register = TxBody {
        nonce: 7,
        valid_until_height: 42,
        payload: Payload::RegisterAccount { public_key: weak, role: Role::Investor, name: "weak".into(), id_hash: Hash::digest(b"id") },
    };
    let mut as_signer = fixture_tx();
    as_signer.signer_public_key = weak;
    let mut in_certificate = fixture_tx();
    if let Payload::FundLoan { seal, .. } = &mut in_certificate.body.payload {
        seal.body.certificate.body.signer_keys.push(weak);
    }
    for tx in [SignedTransaction::sign(CHAIN, register, &key(12)), as_signer, in_certificate] {
        match SignedTransaction::from_bytes(&tx.to_bytes()) {
            Err(Error::Decode { reason, .. }) => assert!(reason.contains("small order"), "{reason}"),
            other => panic!("decoded: {other:?}"),
        }
        let json = serde_json::to_string(&tx).unwrap();
        assert!(serde_json::from_str::<SignedTransaction>(&json).unwrap_err().to_string().contains("small order"));
    }
}

#[test]
fn signatures_are_checked_for_the_chain_and_every_seal() {
    let tx = fixture_tx();
    // Another chain id: the signature does not verify.
    assert!(matches!(tx.clone().verify("other-chain"), Err(Error::BadSignature { .. })));
    // A tampered amount.
    let mut t = tx.clone();
    if let Payload::FundLoan { amount: a, .. } = &mut t.body.payload {
        *a = amount("9999");
    }
    assert!(matches!(t.verify(CHAIN), Err(Error::BadSignature { .. })));
    // A tampered seal, re-signed by the transaction signer: the seal's own signature fails.
    let mut t = tx.clone();
    if let Payload::FundLoan { seal, .. } = &mut t.body.payload {
        seal.body.signed_at += 1;
    }
    let t = SignedTransaction::sign(CHAIN, t.body, &key(11));
    match t.clone().verify(CHAIN) {
        Err(Error::Seal { check, .. }) => assert_eq!(check, "signer_signature"),
        other => panic!("{other:?}"),
    }
    // In a batch, the good one passes and the bad one is named.
    let results = verify_transactions(CHAIN, vec![tx, t]);
    assert!(results[0].is_ok());
    assert!(matches!(results[1], Err(Error::Seal { .. })));
}

#[test]
fn replay_window_expiry_and_lifetime() {
    let mut c = TestChain::new();
    let inv = c.person(11, Role::Investor, "100");
    let cust = c.custodian.clone();
    let deposit = |valid_until_height: u64, nonce: u64| {
        let body = TxBody {
            nonce,
            valid_until_height,
            payload: Payload::Deposit { account: inv.public().account_id(), amount: amount("1"), reference: "r".into() },
        };
        SignedTransaction::sign(CHAIN, body, &cust)
    };
    let code = |out: &loanchain_contracts::BlockOutcome, i: usize| match &out.receipts[i].status {
        ReceiptStatus::Failed { code, .. } => code.clone(),
        ReceiptStatus::Success => "ok".into(),
    };
    let h = c.height + 1;
    let max = c.params.max_tx_lifetime;
    let before = c.balance(&inv);
    let out = c.block(vec![deposit(h - 1, 1), deposit(h + max + 1, 2), deposit(h + max, 3), deposit(h + 1, 3)]);
    assert_eq!(code(&out, 0), "expired");
    assert_eq!(code(&out, 1), "lifetime_too_long");
    assert_eq!(code(&out, 2), "ok");
    assert_eq!(code(&out, 3), "nonce_replayed", "the same (signer, nonce) twice in one block");
    assert_eq!(c.balance(&inv), before.checked_add(yuan("1")).unwrap());
    // While (signer, nonce 3) could still be valid it is remembered ...
    let out = c.block(vec![deposit(c.height + 2, 3)]);
    assert_eq!(code(&out, 0), "nonce_replayed");
    // ... and forgotten once every transaction carrying it would be expired anyway.
    let h_before = c.height;
    for _ in 0..(max + 2) {
        c.block(Vec::new());
    }
    let remembered = loanchain_contracts::state::scan::<loanchain_contracts::state::tables::Nonces>(&c.store, &[], usize::MAX).unwrap();
    assert!(remembered.iter().all(|(_, until)| *until >= c.height), "only nonces still valid are kept ({h_before} → {})", c.height);
}

#[test]
fn bad_payloads_fail_with_typed_errors_and_change_nothing() {
    let mut c = TestChain::new();
    let borrower = c.person(10, Role::Borrower, "0");
    let inv = c.person(11, Role::Investor, "100");
    let doc = c.document("L", &borrower, "1000", "0.1", 2, RepaymentMethod::Bullet);
    c.list(&doc, &borrower);
    let cases: Vec<(loanchain_contracts::Keypair, Payload, &str)> = vec![
        (inv.clone(), c.fund_payload(&inv, &doc, "500"), "insufficient_balance"),
        (inv.clone(), c.fund_payload(&inv, &doc, "50"), "below_minimum"),
        (borrower.clone(), Payload::Repay { loan: LoanId::new("L").unwrap(), amount: amount("1") }, "wrong_loan_state"),
        (borrower.clone(), Payload::Repay { loan: LoanId::new("NOPE").unwrap(), amount: amount("1") }, "unknown_loan"),
        (
            c.custodian.clone(),
            Payload::Withdraw { account: inv.public().account_id(), amount: amount("100.01"), reference: "r".into() },
            "insufficient_balance",
        ),
        (
            c.custodian.clone(),
            Payload::Deposit { account: key(99).public().account_id(), amount: amount("1"), reference: "r".into() },
            "unknown_account",
        ),
        (
            c.custodian.clone(),
            Payload::Deposit { account: inv.public().account_id(), amount: amount("1"), reference: "x".repeat(300) },
            "invalid_field",
        ),
        (
            c.institution.clone(),
            Payload::RegisterAccount { public_key: inv.public(), role: Role::Investor, name: "again".into(), id_hash: Hash::ZERO },
            "account_exists",
        ),
        (
            c.institution.clone(),
            Payload::RegisterAccount { public_key: key(77).public(), role: Role::Regulator, name: "fake".into(), id_hash: Hash::ZERO },
            "invalid_field",
        ),
    ];
    for (signer, payload, expected) in cases {
        let before = digest_without_nonces(&c.store);
        let code = c.fails(&signer, payload);
        assert_eq!(code, expected);
        assert_eq!(digest_without_nonces(&c.store), before, "{expected} changed nothing");
    }
    // The message names the numbers a person needs.
    let p = c.fund_payload(&inv, &doc, "500");
    match c.submit(&inv, p).status {
        ReceiptStatus::Failed { message, .. } => assert!(message.contains("100.00") && message.contains("500.00"), "{message}"),
        s => panic!("{s:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Flipping any byte of a signed transaction gives a decode error or a failed verification,
    /// never a panic and never a valid transaction with other content.
    #[test]
    fn any_flipped_byte_is_caught(pos in 0usize..2_000, bit in 0u8..8) {
        let tx = fixture_tx();
        let mut bytes = tx.to_bytes();
        let pos = pos % bytes.len();
        bytes[pos] ^= 1 << bit;
        if let Ok(decoded) = SignedTransaction::from_bytes(&bytes) {
            prop_assert!(decoded == tx || decoded.verify(CHAIN).is_err());
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = SignedTransaction::from_bytes(&bytes);
    }
}

#[test]
fn events_and_receipts_round_trip_through_bcs_and_json() {
    // The node stores them with bcs and serves them as JSON.
    let mut c = TestChain::new();
    let borrower = c.person(10, Role::Borrower, "0");
    let inv = c.person(11, Role::Investor, "1000");
    let doc = c.document("L", &borrower, "1000", "0.1", 2, RepaymentMethod::Bullet);
    c.list(&doc, &borrower);
    let p = c.fund_payload(&inv, &doc, "1000");
    let out = c.block(vec![c.clone().sign(&inv, p)]);
    assert!(!out.events.is_empty());
    for e in &out.events {
        let back: loanchain_contracts::Event = bcs::from_bytes(&bcs::to_bytes(e).unwrap()).unwrap();
        assert_eq!(&back, e);
        let back: loanchain_contracts::Event = serde_json::from_str(&serde_json::to_string(e).unwrap()).unwrap();
        assert_eq!(&back, e);
    }
    for r in &out.receipts {
        let back: loanchain_contracts::Receipt = bcs::from_bytes(&bcs::to_bytes(r).unwrap()).unwrap();
        assert_eq!(&back, r);
    }
    let tx = fixture_tx();
    let json = serde_json::to_string(&tx).unwrap();
    assert_eq!(serde_json::from_str::<SignedTransaction>(&json).unwrap(), tx);
}

#[test]
fn an_unknown_signer_changes_nothing_not_even_a_nonce() {
    let mut c = TestChain::new();
    let stranger = key(200);
    let before = c.store.clone();
    let body = TxBody { nonce: 1, valid_until_height: c.height + 5, payload: Payload::Prepay { loan: LoanId::new("L").unwrap() } };
    let out = c.block(vec![SignedTransaction::sign(CHAIN, body, &stranger)]);
    assert!(matches!(&out.receipts[0].status, ReceiptStatus::Failed { code, .. } if code == "unknown_account"));
    assert!(out.writes.is_empty(), "nothing written: {:?}", out.writes.keys().collect::<Vec<_>>());
    assert_eq!(c.store, before);
}

proptest! {
    /// Batch verification with bisection gives every transaction the verdict it gets alone,
    /// whatever the mix of good ones, ones signed for another chain and ones with a broken seal.
    #[test]
    fn batch_verdicts_are_the_single_verdicts(kinds in proptest::collection::vec(0u8..3, 0..24)) {
        let good = fixture_tx();
        let txs: Vec<SignedTransaction> = kinds
            .iter()
            .enumerate()
            .map(|(i, kind)| {
                let mut body = good.body.clone();
                body.nonce = i as u64 + 1;
                match kind {
                    0 => SignedTransaction::sign(CHAIN, body, &key(11)),
                    1 => SignedTransaction::sign("other-chain", body, &key(11)),
                    _ => {
                        if let Payload::FundLoan { seal, .. } = &mut body.payload {
                            seal.body.signed_at += 1;
                        }
                        SignedTransaction::sign(CHAIN, body, &key(11))
                    }
                }
            })
            .collect();
        let single: Vec<bool> = txs.iter().map(|t| t.clone().verify(CHAIN).is_ok()).collect();
        let batch: Vec<bool> = verify_transactions(CHAIN, txs).iter().map(Result::is_ok).collect();
        prop_assert_eq!(batch, single);
    }
}
