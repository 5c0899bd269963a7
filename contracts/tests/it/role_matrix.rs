//! The role × action matrix (DESIGN §1, §5): every transaction kind signed by an account of every
//! role. Only the allowed cells succeed; every other cell fails with `wrong_role` and leaves the
//! state unchanged but for the signer's nonce.

use crate::common::*;
use loanchain_contracts::crypto::{Hash, Keypair};
use loanchain_contracts::ids::{ClaimId, LoanId, Role, SealId};
use loanchain_contracts::schedule::RepaymentMethod;
use loanchain_contracts::state::tables::LoanStatus;
use loanchain_contracts::tx::{KINDS, Payload, TransferConsent};
use loanchain_contracts::{ReceiptStatus, SignedTransaction, TxBody};

struct World {
    chain: TestChain,
    by_role: Vec<(Role, Keypair)>,
    investor: Keypair,
    buyer: Keypair,
    frozen: Keypair,
    borrower: Keypair,
    suspended: Keypair,
}

fn world() -> World {
    let mut c = TestChain::new();
    let borrower = c.person(10, Role::Borrower, "50000");
    let investor = c.person(11, Role::Investor, "50000");
    let buyer = c.person(12, Role::Investor, "50000");
    let frozen = c.person(13, Role::Investor, "10");
    // An active loan "A" with a claim A#0 held by `investor`, and a loan "F" still funding.
    let a = c.document("A", &borrower, "1000", "0.12", 3, RepaymentMethod::EqualInstallment);
    c.list(&a, &borrower);
    c.fund(&investor, &a, "1000");
    let f = c.document("F", &borrower, "1000", "0.12", 3, RepaymentMethod::Bullet);
    c.list(&f, &borrower);
    assert_eq!(c.loan("A").status, LoanStatus::Active);
    let reg = c.regulator.clone();
    c.ok(&reg, Payload::Freeze { account: frozen.public().account_id(), reason: "setup".into() });
    let by_role = vec![
        (Role::CreditInstitution, c.institution.clone()),
        (Role::CustodianBank, c.custodian.clone()),
        (Role::Investor, investor.clone()),
        (Role::Borrower, borrower.clone()),
        (Role::Regulator, c.regulator.clone()),
        (Role::SealAuthority, c.authority.clone()),
        (Role::ValidatorInstitution, c.validator_inst.clone()),
    ];
    // The validator member institution is suspended, for ResumeInstitution.
    let validator_inst = c.validator_inst.clone();
    c.ok(&reg, Payload::SuspendInstitution { account: validator_inst.public().account_id(), reason: "setup".into() });
    World { chain: c, by_role, investor, buyer, frozen, borrower, suspended: validator_inst }
}

/// A payload of `kind` that succeeds when signed by the right account of the world.
fn payload(w: &mut World, kind: &str, signer: &Keypair) -> Payload {
    let c = &mut w.chain;
    let loan = |s: &str| LoanId::new(s).unwrap();
    match kind {
        "register_account" => Payload::RegisterAccount {
            public_key: key(50).public(),
            role: Role::Investor,
            name: "new".into(),
            id_hash: Hash::digest(b"id"),
        },
        "deposit" => Payload::Deposit { account: w.investor.public().account_id(), amount: amount("10"), reference: "r".into() },
        "withdraw" => Payload::Withdraw { account: w.investor.public().account_id(), amount: amount("10"), reference: "r".into() },
        "list_loan" => {
            let doc = c.document("NEW", &w.borrower, "500", "0.1", 2, RepaymentMethod::Bullet);
            let bs = c.seal(&w.borrower, &doc);
            let inst = c.institution.clone();
            let is = c.seal(&inst, &doc);
            Payload::ListLoan { document: doc, borrower_seal: bs, institution_seal: is }
        }
        "fund_loan" => {
            let doc = c.loan("F").document;
            let inv = w.investor.clone();
            c.fund_payload(&inv, &doc, "100")
        }
        "cancel_listing" => Payload::CancelListing { loan: loan("F") },
        "repay" => Payload::Repay { loan: loan("A"), amount: amount("1") },
        "prepay" => Payload::Prepay { loan: loan("A") },
        "guarantor_buyback" => Payload::GuarantorBuyback { loan: loan("A") },
        "transfer_claim" => {
            let claim = ClaimId { loan: loan("A"), index: 0 };
            let consent = TransferConsent {
                chain_id: CHAIN.into(),
                claim: claim.clone(),
                seller: signer.public().account_id(),
                price: amount("900"),
                buyer_nonce: 5,
                valid_until_height: c.height + 5,
            };
            let sig = consent.sign(&w.buyer);
            Payload::TransferClaim { claim, buyer: w.buyer.public(), price: amount("900"), buyer_nonce: 5, buyer_signature: sig }
        }
        "revoke_seal_cert" => Payload::RevokeSealCert { seal_id: SealId::new("S-any").unwrap(), reason: "r".into() },
        "freeze" => Payload::Freeze { account: w.investor.public().account_id(), reason: "r".into() },
        "unfreeze" => Payload::Unfreeze { account: w.frozen.public().account_id(), reason: "r".into() },
        "suspend_institution" => Payload::SuspendInstitution { account: c.institution.public().account_id(), reason: "r".into() },
        "resume_institution" => Payload::ResumeInstitution { account: w.suspended.public().account_id(), reason: "r".into() },
        other => panic!("no payload for {other}"),
    }
}

#[test]
fn every_kind_by_every_role() {
    let base = world();
    let mut allowed_cells = 0;
    for kind in KINDS {
        for (role, signer) in base.by_role.clone() {
            let mut w = World {
                chain: base.chain.clone(),
                by_role: base.by_role.clone(),
                investor: base.investor.clone(),
                buyer: base.buyer.clone(),
                frozen: base.frozen.clone(),
                borrower: base.borrower.clone(),
                suspended: base.suspended.clone(),
            };
            let p = payload(&mut w, kind, &signer);
            let allowed = p.allowed_roles().contains(&role);
            let before = digest_without_nonces(&w.chain.store);
            let body = TxBody { nonce: 1_000_000, valid_until_height: w.chain.height + 5, payload: p };
            let tx = SignedTransaction::sign(CHAIN, body, &signer);
            let out = w.chain.block(vec![tx]);
            let after = digest_without_nonces(&w.chain.store);
            match (&out.receipts[0].status, allowed) {
                (ReceiptStatus::Success, true) => {
                    allowed_cells += 1;
                    assert_ne!(before, after, "{kind} by {role} succeeded and changed the state");
                }
                (ReceiptStatus::Failed { code, message }, false) => {
                    assert_eq!(code, "wrong_role", "{kind} by {role}: {message}");
                    assert!(message.contains(role.name()), "the message names the role: {message}");
                    assert_eq!(before, after, "{kind} by {role} failed and changed nothing but the nonce");
                }
                (status, allowed) => panic!("{kind} by {role}: allowed={allowed}, got {status:?}"),
            }
        }
    }
    // Each kind has at least one allowed role.
    assert_eq!(allowed_cells, KINDS.len(), "one allowed role per kind");
}
