//! When the borrower does not pay: guarantor buyback (担保代偿 / 债权回购), risk-pool
//! compensation (风险池代偿), and the secondary market for claims (债权转让) (DESIGN §6).

use super::Exec;
use crate::amount::{Amount, Money};
use crate::crypto::{PublicKey, Signature};
use crate::error::Error;
use crate::event::{EventKind, Payout};
use crate::ids::{AccountId, ClaimId, LoanId, Role};
use crate::schedule::split_pro_rata;
use crate::state::tables::{Account, Claim, Claims, HolderClaims, Loan, LoanStatus};

impl Exec<'_, '_> {
    fn move_claim(&mut self, loan_id: &LoanId, index: u32, claim: &mut Claim, to: AccountId) {
        self.o.delete::<HolderClaims>(&(claim.holder, loan_id.clone(), index));
        self.o.put::<HolderClaims>(&(to, loan_id.clone(), index), &());
        claim.holder = to;
    }

    /// `GuarantorBuyback`: the guarantor pays each claim holder its outstanding principal and its
    /// share of the unpaid interest of installments already due, then holds every claim.
    pub(super) fn guarantor_buyback(&mut self, guarantor: AccountId, _acc: &Account, loan_id: &LoanId) -> Result<(), Error> {
        let mut loan = self.loan(loan_id)?;
        if loan.document.institution != guarantor {
            return Err(Error::NotGuarantor { loan: loan_id.to_string(), account: guarantor.short() });
        }
        if !matches!(loan.status, LoanStatus::Active | LoanStatus::Overdue) {
            return Err(Error::WrongLoanState {
                loan: loan_id.to_string(),
                state: loan.status.name().into(),
                action: "guarantor_buyback",
                expected: "active or overdue",
            });
        }
        let now = self.block.time;
        let due_interest = Money::sum(loan.schedule.iter().filter(|i| i.due_at <= now).map(|i| i.interest_left()))?;
        let claims: Vec<_> = self.claims(loan_id, loan.claim_count)?.into_iter().filter(|(_, c)| !c.outstanding.is_zero()).collect();
        let weights: Vec<Money> = claims.iter().map(|(_, c)| c.outstanding).collect();
        let interest_parts = split_pro_rata(due_interest, &weights)?;
        let price = Money::sum(weights.iter().copied())?.checked_add(due_interest)?;
        self.debit(&guarantor, price)?;
        let mut payouts = Vec::with_capacity(claims.len());
        for ((index, mut claim), interest) in claims.into_iter().zip(interest_parts) {
            let holder = claim.holder;
            self.credit(&holder, claim.outstanding.checked_add(interest)?)?;
            payouts.push(Payout { claim: ClaimId { loan: loan_id.clone(), index }, holder, principal: claim.outstanding, interest });
            self.move_claim(loan_id, index, &mut claim, guarantor);
            self.o.put::<Claims>(&(loan_id.clone(), index), &claim);
        }
        loan.status = LoanStatus::BoughtBack;
        loan.buyback_deadline = None;
        self.put_loan(loan_id, &loan);
        self.report_large("guarantor_buyback", guarantor, price)?;
        self.emit(Some(loan_id), EventKind::BoughtBack { guarantor, paid: price, payouts });
        Ok(())
    }

    /// 风险池代偿 when the buyback window passed: the pool pays every claim holder its outstanding
    /// principal, pro rata as far as it suffices, and takes over what it paid for. A claim paid
    /// in part is split: the holder keeps the unpaid part, the pool gets a new claim for the rest.
    pub(crate) fn pool_compensate(&mut self, loan_id: &LoanId, loan: &mut Loan) -> Result<(), Error> {
        let pool = AccountId::risk_pool();
        let claims: Vec<_> =
            self.claims(loan_id, loan.claim_count)?.into_iter().filter(|(_, c)| !c.outstanding.is_zero() && c.holder != pool).collect();
        let weights: Vec<Money> = claims.iter().map(|(_, c)| c.outstanding).collect();
        let owed = Money::sum(weights.iter().copied())?;
        let mut totals = self.totals()?;
        let paid = owed.min(totals.risk_pool);
        if paid.is_zero() {
            self.emit(Some(loan_id), EventKind::PoolCompensated { paid, shortfall: owed, payouts: Vec::new() });
            loan.pool_shortfall = owed;
            return Ok(());
        }
        // paid ≤ owed, so no part exceeds its claim's outstanding principal (see split_pro_rata).
        let parts = split_pro_rata(paid, &weights)?;
        totals.risk_pool = totals.risk_pool.saturating_sub(paid);
        self.put_totals(&totals);
        let mut payouts = Vec::with_capacity(claims.len());
        for ((index, mut claim), part) in claims.into_iter().zip(parts) {
            if part.is_zero() {
                continue;
            }
            let holder = claim.holder;
            self.credit(&holder, part)?;
            payouts.push(Payout { claim: ClaimId { loan: loan_id.clone(), index }, holder, principal: part, interest: Money::ZERO });
            if part == claim.outstanding {
                self.move_claim(loan_id, index, &mut claim, pool);
            } else {
                claim.outstanding = claim.outstanding.saturating_sub(part);
                let split = Claim {
                    holder: pool,
                    original_investor: claim.original_investor,
                    amount: part,
                    outstanding: part,
                    principal_received: Money::ZERO,
                    interest_received: Money::ZERO,
                };
                let new_index = loan.claim_count;
                loan.claim_count += 1;
                self.o.put::<Claims>(&(loan_id.clone(), new_index), &split);
                self.o.put::<HolderClaims>(&(pool, loan_id.clone(), new_index), &());
            }
            self.o.put::<Claims>(&(loan_id.clone(), index), &claim);
        }
        let shortfall = owed.saturating_sub(paid);
        loan.pool_shortfall = shortfall;
        loan.status = LoanStatus::PoolCompensated;
        loan.buyback_deadline = None;
        self.emit(Some(loan_id), EventKind::PoolCompensated { paid, shortfall, payouts });
        Ok(())
    }

    /// `TransferClaim` (债权转让): the holder sells a claim of a loan being repaid to another
    /// investor, who consented to the price with its own signature and nonce.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn transfer_claim(
        &mut self,
        seller: AccountId,
        seller_acc: &Account,
        claim_id: &ClaimId,
        buyer_key: &PublicKey,
        price: &Amount,
        buyer_nonce: u64,
        valid_until: u64,
        _buyer_signature: &Signature,
    ) -> Result<(), Error> {
        if seller_acc.frozen {
            return Err(Error::AccountFrozen { account: seller.short() });
        }
        let key = (claim_id.loan.clone(), claim_id.index);
        let mut claim = self.o.get::<Claims>(&key)?.ok_or_else(|| Error::UnknownClaim { claim: claim_id.to_string() })?;
        if claim.holder != seller {
            return Err(Error::NotClaimHolder { claim: claim_id.to_string(), holder: claim.holder.short(), account: seller.short() });
        }
        if claim.outstanding.is_zero() {
            return Err(Error::ClaimSettled { claim: claim_id.to_string() });
        }
        let loan = self.loan(&claim_id.loan)?;
        if !matches!(loan.status, LoanStatus::Active | LoanStatus::Overdue) {
            return Err(Error::WrongLoanState {
                loan: claim_id.loan.to_string(),
                state: loan.status.name().into(),
                action: "transfer_claim",
                expected: "active or overdue",
            });
        }
        let buyer = buyer_key.account_id();
        if buyer == seller {
            return Err(Error::InvalidField { field: "buyer", reason: "a claim cannot be sold to its own holder".into() });
        }
        let buyer_acc = self.account(&buyer)?;
        if buyer_acc.role != Role::Investor {
            return Err(Error::AccountState {
                account: buyer.short(),
                reason: format!("is a {}, only investors buy claims", buyer_acc.role),
            });
        }
        // The buyer's consent is in the buyer's own replay window; its signature was checked
        // with the transaction's.
        self.check_window(buyer, buyer_nonce, valid_until)?;
        self.remember_nonce(buyer, buyer_nonce, valid_until);
        self.debit(&buyer, price.money())?;
        self.credit(&seller, price.money())?;
        self.move_claim(&claim_id.loan, claim_id.index, &mut claim, buyer);
        self.o.put::<Claims>(&key, &claim);
        self.report_large("transfer_claim", buyer, price.money())?;
        self.emit(
            Some(&claim_id.loan),
            EventKind::ClaimTransferred { claim: claim_id.clone(), from: seller, to: buyer, price: price.money() },
        );
        Ok(())
    }
}
