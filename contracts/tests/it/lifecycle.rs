//! Scenario tests, one per story of DESIGN §6: each reads as the story it tells.

use crate::common::*;
use loanchain_contracts::amount::Money;
use loanchain_contracts::ids::Role;
use loanchain_contracts::schedule::{self, RepaymentMethod};
use loanchain_contracts::state::tables::LoanStatus;
use loanchain_contracts::tx::Payload;
use loanchain_contracts::{EventKind, LoanId};

fn sum(ms: impl IntoIterator<Item = Money>) -> Money {
    Money::sum(ms).unwrap()
}

/// DESIGN §6 full lifecycle, three investors, for one repayment method: listing with the
/// borrower's and institution's seals, crowd-funding, disbursement with the risk margin to the
/// pool, every installment repaid and split pro rata, the loan settled.
fn full_lifecycle(method: RepaymentMethod) {
    let mut c = TestChain::new();
    let borrower = c.person(10, Role::Borrower, "0");
    let investors = [c.person(11, Role::Investor, "20000"), c.person(12, Role::Investor, "20000"), c.person(13, Role::Investor, "20000")];
    let doc = c.document("L-1", &borrower, "30000", "0.12", 6, method);
    let inst_before = c.balance(&c.institution.clone());
    c.list(&doc, &borrower);
    // Margin of grade B (4 %) is held from the institution at listing.
    assert_eq!(c.balance(&c.institution.clone()), inst_before.checked_sub(yuan("1200")).unwrap());
    c.fund(&investors[0], &doc, "10000");
    c.fund(&investors[1], &doc, "12000");
    assert_eq!(c.loan("L-1").status, LoanStatus::Funding);
    c.assert_money_conserved();
    c.fund(&investors[2], &doc, "8000");

    // 满标放款.
    let loan = c.loan("L-1");
    assert_eq!(loan.status, LoanStatus::Active);
    assert_eq!(c.balance(&borrower), yuan("30000"));
    assert_eq!(c.pool(), yuan("1200"));
    let expected = schedule::build(doc.principal, doc.annual_rate, doc.periods, method).unwrap();
    assert_eq!(loan.schedule.len(), expected.len());
    assert_eq!(sum(loan.schedule.iter().map(|i| i.principal)), yuan("30000"));
    assert_eq!(c.loan("L-1").seal_count, 5, "borrower, institution and three investors sealed");
    c.assert_money_conserved();

    // The borrower repays every installment on its due date, from money it deposits.
    let total_interest = sum(expected.iter().map(|l| l.interest));
    c.deposit(&borrower.public().account_id(), &total_interest.to_string());
    let before: Vec<Money> = investors.iter().map(|i| c.balance(i)).collect();
    for inst in c.loan("L-1").schedule {
        if c.time < inst.due_at - 2_000 {
            c.advance_to(inst.due_at - 2_000);
        }
        let payment = inst.principal.checked_add(inst.interest).unwrap();
        c.ok(&borrower, Payload::Repay { loan: doc.loan_id.clone(), amount: payment.to_string().parse().unwrap() });
        c.assert_claims_match_schedule("L-1");
        c.assert_money_conserved();
    }
    let loan = c.loan("L-1");
    assert_eq!(loan.status, LoanStatus::Repaid);
    assert_eq!(c.balance(&borrower), Money::ZERO);
    let gains: Vec<Money> = investors.iter().zip(&before).map(|(i, b)| c.balance(i).checked_sub(*b).unwrap()).collect();
    // Principal back in full, interest split pro rata (10:12:8) to within a fen per payment.
    assert_eq!(sum(gains.iter().copied()), yuan("30000").checked_add(total_interest).unwrap());
    for (gain, funded) in gains.iter().zip(["10000", "12000", "8000"]) {
        let interest = gain.checked_sub(yuan(funded)).unwrap().decimal();
        let fair = total_interest.decimal() * yuan(funded).decimal() / yuan("30000").decimal();
        assert!((interest - fair).abs() <= rust_decimal::Decimal::new(expected.len() as i64 * 2, 2), "{method}: {interest} vs {fair}");
    }
    for claim in c.claims("L-1") {
        assert_eq!(claim.outstanding, Money::ZERO);
        assert_eq!(claim.principal_received, claim.amount, "no claim is paid twice, none short");
    }
    c.assert_money_conserved();
}

#[test]
fn full_lifecycle_equal_installment() {
    full_lifecycle(RepaymentMethod::EqualInstallment);
}

#[test]
fn full_lifecycle_equal_principal() {
    full_lifecycle(RepaymentMethod::EqualPrincipal);
}

#[test]
fn full_lifecycle_interest_first() {
    full_lifecycle(RepaymentMethod::InterestFirst);
}

#[test]
fn full_lifecycle_bullet() {
    full_lifecycle(RepaymentMethod::Bullet);
}

/// Sets up an active 3-investor loan "L" of 30,000 and returns (chain, borrower, investors).
fn active_loan(method: RepaymentMethod, periods: u32) -> (TestChain, loanchain_contracts::Keypair, Vec<loanchain_contracts::Keypair>) {
    let mut c = TestChain::new();
    let borrower = c.person(10, Role::Borrower, "0");
    let investors =
        vec![c.person(11, Role::Investor, "20000"), c.person(12, Role::Investor, "20000"), c.person(13, Role::Investor, "20000")];
    let doc = c.document("L", &borrower, "30000", "0.12", periods, method);
    c.list(&doc, &borrower);
    c.fund(&investors[0], &doc, "10000");
    c.fund(&investors[1], &doc, "12000");
    c.fund(&investors[2], &doc, "8000");
    assert_eq!(c.loan("L").status, LoanStatus::Active);
    (c, borrower, investors)
}

#[test]
fn forced_deduction_pays_a_due_installment_from_the_borrowers_balance() {
    // DESIGN §6 强制扣款: the borrower does nothing; at the due time its balance covers it.
    let (mut c, borrower, investors) = active_loan(RepaymentMethod::EqualInstallment, 3);
    let first = c.loan("L").schedule[0].clone();
    let due = first.principal.checked_add(first.interest).unwrap();
    let before = c.balance(&investors[0]);
    c.advance_to(first.due_at);
    assert!(c.loan("L").schedule[0].is_settled());
    assert_eq!(c.balance(&borrower), yuan("30000").checked_sub(due).unwrap());
    assert!(c.balance(&investors[0]) > before);
    assert!(c.events.iter().any(|e| matches!(&e.kind, EventKind::Repaid { forced: true, .. })));
    c.assert_money_conserved();
}

#[test]
fn failed_listing_refunds_every_investor_and_the_margin() {
    // DESIGN §6 流标: not fully funded by the deadline.
    let mut c = TestChain::new();
    let borrower = c.person(10, Role::Borrower, "0");
    let a = c.person(11, Role::Investor, "5000");
    let b = c.person(12, Role::Investor, "5000");
    let inst_before = c.balance(&c.institution.clone());
    let doc = c.document("L-F", &borrower, "30000", "0.10", 6, RepaymentMethod::EqualPrincipal);
    c.list(&doc, &borrower);
    c.fund(&a, &doc, "3000");
    c.fund(&b, &doc, "4000");
    assert_eq!(c.balance(&a), yuan("2000"));
    c.advance_to(doc.funding_deadline);
    let loan = c.loan("L-F");
    assert_eq!(loan.status, LoanStatus::Failed);
    assert_eq!(c.balance(&a), yuan("5000"));
    assert_eq!(c.balance(&b), yuan("5000"));
    assert_eq!(c.balance(&c.institution.clone()), inst_before);
    assert_eq!(c.balance(&borrower), Money::ZERO);
    // Funding after the deadline is refused.
    let p = c.fund_payload(&a, &doc, "100");
    assert_eq!(c.fails(&a, p), "wrong_loan_state");
    c.assert_money_conserved();
}

#[test]
fn cancellation_by_the_institution_refunds_investors() {
    let mut c = TestChain::new();
    let borrower = c.person(10, Role::Borrower, "0");
    let a = c.person(11, Role::Investor, "5000");
    let doc = c.document("L-C", &borrower, "30000", "0.10", 6, RepaymentMethod::Bullet);
    c.list(&doc, &borrower);
    c.fund(&a, &doc, "2500");
    // Only the listing institution may cancel; the borrower may not.
    assert_eq!(c.fails(&borrower, Payload::CancelListing { loan: doc.loan_id.clone() }), "wrong_role");
    let inst = c.institution.clone();
    c.ok(&inst, Payload::CancelListing { loan: doc.loan_id.clone() });
    assert_eq!(c.loan("L-C").status, LoanStatus::Cancelled);
    assert_eq!(c.balance(&a), yuan("5000"));
    assert_eq!(c.fails(&inst, Payload::CancelListing { loan: doc.loan_id.clone() }), "wrong_loan_state");
    c.assert_money_conserved();
}

#[test]
fn prepayment_settles_the_loan_and_waives_later_interest() {
    let (mut c, borrower, investors) = active_loan(RepaymentMethod::EqualInstallment, 6);
    let loan = c.loan("L");
    // Pay the first installment, then prepay during the second period.
    let first = &loan.schedule[0];
    c.advance_to(first.due_at - 2_000); // the repayment's block comes before the due time
    let pay1 = first.principal.checked_add(first.interest).unwrap();
    c.ok(&borrower, Payload::Repay { loan: LoanId::new("L").unwrap(), amount: pay1.to_string().parse().unwrap() });
    c.advance_to(first.due_at + 5_000);
    let remaining_principal = c.loan("L").principal_outstanding();
    let second_interest = loan.schedule[1].interest;
    let owed = remaining_principal.checked_add(second_interest).unwrap();
    c.deposit(&borrower.public().account_id(), "1000");
    let before = c.balance(&borrower);
    let before_inv: Vec<Money> = investors.iter().map(|i| c.balance(i)).collect();
    c.ok(&borrower, Payload::Prepay { loan: LoanId::new("L").unwrap() });
    assert_eq!(c.balance(&borrower), before.checked_sub(owed).unwrap(), "principal + the current period's interest");
    let loan = c.loan("L");
    assert_eq!(loan.status, LoanStatus::Repaid);
    let got = sum(investors.iter().zip(&before_inv).map(|(i, b)| c.balance(i).checked_sub(*b).unwrap()));
    assert_eq!(got, owed);
    assert!(c.events.iter().any(|e| matches!(&e.kind, EventKind::Repaid { prepayment: true, .. })));
    // Nothing is left to pay.
    assert_eq!(c.fails(&borrower, Payload::Repay { loan: LoanId::new("L").unwrap(), amount: amount("1") }), "wrong_loan_state");
    c.assert_money_conserved();
}

#[test]
fn overdue_then_guarantor_buyback_then_the_borrower_repays_the_guarantor() {
    let (mut c, borrower, investors) = active_loan(RepaymentMethod::InterestFirst, 3);
    // The borrower spends the loan: nothing is left for the forced deduction.
    let cust = c.custodian.clone();
    c.ok(&cust, Payload::Withdraw { account: borrower.public().account_id(), amount: amount("30000"), reference: "spent".into() });
    let first = c.loan("L").schedule[0].clone();
    c.advance_to(first.due_at);
    c.advance(DAY_S * 1_000); // grace of one day ends
    let loan = c.loan("L");
    assert_eq!(loan.status, LoanStatus::Overdue);
    assert!(loan.schedule[0].overdue);
    c.advance(DAY_S * 1_000); // one day of penalty interest
    assert!(c.loan("L").penalty_due > Money::ZERO, "罚息 accrues");

    // The guarantor buys back within the window: principal + unpaid due interest.
    let inst = c.institution.clone();
    let before: Vec<Money> = investors.iter().map(|i| c.balance(i)).collect();
    let inst_before = c.balance(&inst);
    c.ok(&inst, Payload::GuarantorBuyback { loan: LoanId::new("L").unwrap() });
    let paid = yuan("30000").checked_add(first.interest).unwrap();
    assert_eq!(c.balance(&inst), inst_before.checked_sub(paid).unwrap());
    let got: Vec<Money> = investors.iter().zip(&before).map(|(i, b)| c.balance(i).checked_sub(*b).unwrap()).collect();
    assert_eq!(sum(got.iter().copied()), paid);
    assert!(got[1] > got[0] && got[0] > got[2], "pro rata 12:10:8");
    assert_eq!(c.loan("L").status, LoanStatus::BoughtBack);
    assert!(c.claims("L").iter().all(|cl| cl.holder == inst.public().account_id()));
    // The pool is not used once the guarantor bought back.
    let pool = c.pool();
    c.advance(3 * DAY_S * 1_000);
    assert_eq!(c.pool(), pool);

    // 追偿: the borrower later repays everything, to the guarantor.
    c.deposit(&borrower.public().account_id(), "40000");
    let inst_mid = c.balance(&inst);
    let owed = {
        let l = c.loan("L");
        let mut o = l.penalty_due;
        for i in &l.schedule {
            o = o.checked_add(i.principal_left()).unwrap().checked_add(i.interest_left()).unwrap();
        }
        o
    };
    c.ok(&borrower, Payload::Repay { loan: LoanId::new("L").unwrap(), amount: owed.to_string().parse().unwrap() });
    assert_eq!(c.balance(&inst), inst_mid.checked_add(owed).unwrap());
    assert_eq!(c.loan("L").status, LoanStatus::Repaid);
    for (i, b) in investors.iter().zip(&before) {
        assert_eq!(c.balance(i), b.checked_add(got[investors.iter().position(|x| x.public() == i.public()).unwrap()]).unwrap());
    }
    c.assert_money_conserved();
}

fn default_without_buyback(extra_margin_loan: bool) -> (TestChain, Vec<loanchain_contracts::Keypair>, Vec<Money>) {
    let mut c = TestChain::new();
    if extra_margin_loan {
        // Another loan's margin fills the pool: 4 % of 100,000.
        let b2 = c.person(20, Role::Borrower, "0");
        let big = c.person(21, Role::Investor, "100000");
        let doc = c.document("BIG", &b2, "100000", "0.12", 12, RepaymentMethod::EqualInstallment);
        c.list(&doc, &b2);
        c.fund(&big, &doc, "100000");
    }
    let borrower = c.person(10, Role::Borrower, "0");
    let investors = vec![c.person(11, Role::Investor, "2000"), c.person(12, Role::Investor, "2000"), c.person(13, Role::Investor, "2000")];
    let doc = c.document("D", &borrower, "3000", "0.12", 3, RepaymentMethod::EqualPrincipal);
    c.list(&doc, &borrower);
    c.fund(&investors[0], &doc, "1000");
    c.fund(&investors[1], &doc, "1100");
    c.fund(&investors[2], &doc, "900");
    let cust = c.custodian.clone();
    c.ok(&cust, Payload::Withdraw { account: borrower.public().account_id(), amount: amount("3000"), reference: "spent".into() });
    let before: Vec<Money> = investors.iter().map(|i| c.balance(i)).collect();
    let due = c.loan("D").schedule[0].due_at;
    c.advance_to(due);
    c.advance(DAY_S * 1_000);
    assert_eq!(c.loan("D").status, LoanStatus::Overdue);
    c.advance(2 * DAY_S * 1_000); // the buyback window passes
    (c, investors, before)
}

#[test]
fn overdue_without_buyback_the_risk_pool_compensates_in_full() {
    let (c, investors, before) = default_without_buyback(true);
    let loan = c.loan("D");
    assert_eq!(loan.status, LoanStatus::PoolCompensated);
    assert_eq!(loan.pool_shortfall, Money::ZERO);
    let got: Vec<Money> = investors.iter().zip(&before).map(|(i, b)| c.balance(i).checked_sub(*b).unwrap()).collect();
    assert_eq!(got, vec![yuan("1000"), yuan("1100"), yuan("900")], "outstanding principal, each in full");
    assert!(c.claims("D").iter().all(|cl| cl.holder == loanchain_contracts::AccountId::risk_pool()));
    c.assert_money_conserved();
}

#[test]
fn overdue_without_buyback_a_short_risk_pool_pays_pro_rata() {
    let (c, investors, before) = default_without_buyback(false);
    // The pool holds only this loan's margin: 4 % of 3,000 = 120.
    let loan = c.loan("D");
    assert_eq!(loan.status, LoanStatus::PoolCompensated);
    assert_eq!(loan.pool_shortfall, yuan("2880"));
    assert_eq!(c.pool(), Money::ZERO);
    let got: Vec<Money> = investors.iter().zip(&before).map(|(i, b)| c.balance(i).checked_sub(*b).unwrap()).collect();
    assert_eq!(sum(got.iter().copied()), yuan("120"));
    assert_eq!(got, vec![yuan("40"), yuan("44"), yuan("36")], "pro rata 10:11:9");
    // Investors keep the unpaid part of their claims; the pool holds the part it paid for.
    let claims = c.claims("D");
    let pool_part = sum(claims.iter().filter(|cl| cl.holder == loanchain_contracts::AccountId::risk_pool()).map(|cl| cl.outstanding));
    assert_eq!(pool_part, yuan("120"));
    c.assert_claims_match_schedule("D");
    c.assert_money_conserved();
}

#[test]
fn claim_transfer_mid_life_sends_later_repayments_to_the_buyer() {
    let (mut c, borrower, investors) = active_loan(RepaymentMethod::EqualPrincipal, 3);
    let buyer = c.person(30, Role::Investor, "20000");
    let claim: loanchain_contracts::ClaimId = "L#0".parse().unwrap();
    let consent = loanchain_contracts::tx::TransferConsent {
        chain_id: CHAIN.into(),
        claim: claim.clone(),
        seller: investors[0].public().account_id(),
        price: amount("10050"),
        buyer_nonce: 777,
        valid_until_height: c.height + 10,
    };
    let sig = consent.sign(&buyer);
    let body = loanchain_contracts::TxBody {
        nonce: 4242,
        valid_until_height: c.height + 10,
        payload: Payload::TransferClaim {
            claim: claim.clone(),
            buyer: buyer.public(),
            price: amount("10050"),
            buyer_nonce: 777,
            buyer_signature: sig,
        },
    };
    let seller_before = c.balance(&investors[0]);
    let tx = loanchain_contracts::SignedTransaction::sign(CHAIN, body, &investors[0]);
    let out = c.block(vec![tx.clone()]);
    assert!(out.receipts[0].ok(), "{:?}", out.receipts[0]);
    assert_eq!(c.balance(&investors[0]), seller_before.checked_add(yuan("10050")).unwrap());
    assert_eq!(c.balance(&buyer), yuan("9950"));
    assert_eq!(c.claims("L")[0].holder, buyer.public().account_id());
    // The same transaction again is a replay.
    let out = c.block(vec![tx]);
    assert!(matches!(&out.receipts[0].status, loanchain_contracts::ReceiptStatus::Failed { code, .. } if code == "nonce_replayed"));

    let first = c.loan("L").schedule[0].clone();
    let seller_mid = c.balance(&investors[0]);
    let buyer_mid = c.balance(&buyer);
    c.advance_to(first.due_at); // forced deduction from the borrower's disbursed balance
    assert!(c.loan("L").schedule[0].is_settled());
    assert_eq!(c.balance(&investors[0]), seller_mid, "the seller gets nothing more");
    assert!(c.balance(&buyer) > buyer_mid, "the buyer is paid");
    let _ = borrower;
    c.assert_money_conserved();
}

#[test]
fn a_frozen_account_cannot_move_money() {
    let (mut c, borrower, investors) = active_loan(RepaymentMethod::Bullet, 2);
    let reg = c.regulator.clone();
    let inv = &investors[0];
    let other = c.person(31, Role::Investor, "5000");
    let doc2 = c.document("L2", &borrower, "1000", "0.1", 1, RepaymentMethod::Bullet);
    c.list(&doc2, &borrower);
    c.ok(&reg, Payload::Freeze { account: inv.public().account_id(), reason: "court order".into() });
    let p = c.fund_payload(inv, &doc2, "500");
    assert_eq!(c.fails(inv, p), "account_frozen");
    let cust = c.custodian.clone();
    assert_eq!(
        c.fails(&cust, Payload::Withdraw { account: inv.public().account_id(), amount: amount("1"), reference: "x".into() }),
        "account_frozen"
    );
    let consent = loanchain_contracts::tx::TransferConsent {
        chain_id: CHAIN.into(),
        claim: "L#0".parse().unwrap(),
        seller: inv.public().account_id(),
        price: amount("1"),
        buyer_nonce: 1,
        valid_until_height: c.height + 10,
    };
    let sig = consent.sign(&other);
    let p = Payload::TransferClaim {
        claim: "L#0".parse().unwrap(),
        buyer: other.public(),
        price: amount("1"),
        buyer_nonce: 1,
        buyer_signature: sig,
    };
    let body = loanchain_contracts::TxBody { nonce: 9, valid_until_height: c.height + 10, payload: p };
    let out = c.block(vec![loanchain_contracts::SignedTransaction::sign(CHAIN, body, inv)]);
    assert!(!out.receipts[0].ok());
    // A frozen borrower neither repays nor is force-deducted; incoming money is still credited.
    c.ok(&reg, Payload::Freeze { account: borrower.public().account_id(), reason: "fraud inquiry".into() });
    assert_eq!(c.fails(&borrower, Payload::Repay { loan: LoanId::new("L").unwrap(), amount: amount("1") }), "account_frozen");
    c.deposit(&inv.public().account_id(), "10");
    assert_eq!(c.fails(&reg, Payload::Freeze { account: inv.public().account_id(), reason: "again".into() }), "account_state");
    c.ok(&reg, Payload::Unfreeze { account: inv.public().account_id(), reason: "lifted".into() });
    let p = c.fund_payload(inv, &doc2, "500");
    c.ok(inv, p);
    c.assert_money_conserved();
}

#[test]
fn a_revoked_seal_cannot_seal_after_revocation_but_earlier_seals_stay_valid() {
    let mut c = TestChain::new();
    let borrower = c.person(10, Role::Borrower, "0");
    let a = c.person(11, Role::Investor, "5000");
    let doc = c.document("L-R", &borrower, "2000", "0.1", 2, RepaymentMethod::Bullet);
    c.list(&doc, &borrower);
    c.fund(&a, &doc, "1000");
    // The authority revokes the investor's seal certificate.
    let cert = c.cert(&a);
    let auth = c.authority.clone();
    c.ok(&auth, Payload::RevokeSealCert { seal_id: cert.body.seal_id.clone(), reason: "key compromised".into() });
    assert_eq!(c.fails(&auth, Payload::RevokeSealCert { seal_id: cert.body.seal_id.clone(), reason: "again".into() }), "already_revoked");
    // A new seal with that certificate is refused, even with a backdated signed_at.
    let p = c.fund_payload(&a, &doc, "500");
    assert_eq!(c.fails(&a, p), "bad_seal");
    // Only a seal authority revokes.
    assert_eq!(c.fails(&a, Payload::RevokeSealCert { seal_id: cert.body.seal_id.clone(), reason: "x".into() }), "wrong_role");
    // The seal made before the revocation stays on the contract and still verifies offline.
    let export = loanchain_contracts::views::contract_export(&c.store, &doc.loan_id, &|_, _| None).unwrap();
    let report = export.verify(&[c.authority.public()], None);
    let investor_seal = report.seals.iter().find(|s| s.party == "investor").unwrap();
    assert!(investor_seal.ok, "{investor_seal:?}");
    assert!(report.all_ok(), "{report:?}");
}
