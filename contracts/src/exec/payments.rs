//! Repayment (还款), prepayment (提前还款), forced deduction (强制扣款) and the pro-rata split of
//! every payment among the current claim holders (DESIGN §6).
//!
//! A payment settles, in order: accrued penalty interest, then each unsettled installment oldest
//! first, interest before principal. The principal part and the interest part (interest and
//! penalty) are each split among the claims with outstanding principal, in proportion to it, by
//! largest remainder; so a claim never receives more principal than it has outstanding and the
//! parts always sum exactly to the payment.

use super::Exec;
use crate::amount::Money;
use crate::error::Error;
use crate::event::{EventKind, Payout};
use crate::ids::{AccountId, ClaimId, LoanId};
use crate::schedule::split_pro_rata;
use crate::state::tables::{Account, Claims, Loan, LoanStatus};

/// How a payment was applied to a loan.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    pub penalty: Money,
    pub interest: Money,
    pub principal: Money,
}

/// Everything the borrower still owes: penalty and every unsettled installment.
pub(crate) fn total_owed(loan: &Loan) -> Result<Money, Error> {
    let mut owed = loan.penalty_due;
    for i in &loan.schedule {
        owed = owed.checked_add(i.principal_left())?.checked_add(i.interest_left())?;
    }
    Ok(owed)
}

/// What is due by `period` (inclusive): penalty and the unsettled installments up to it.
pub(crate) fn owed_through(loan: &Loan, period: u32) -> Result<Money, Error> {
    let mut owed = loan.penalty_due;
    for i in loan.schedule.iter().filter(|i| i.period <= period) {
        owed = owed.checked_add(i.principal_left())?.checked_add(i.interest_left())?;
    }
    Ok(owed)
}

/// Applies `amount` to the loan's dues in order; `amount` must not exceed [`total_owed`].
fn allocate(loan: &mut Loan, amount: Money) -> Result<Applied, Error> {
    let mut left = amount;
    let mut applied = Applied::default();
    let take = |left: &mut Money, due: Money| -> Money {
        let t = (*left).min(due);
        *left = left.saturating_sub(t);
        t
    };
    let p = take(&mut left, loan.penalty_due);
    loan.penalty_due = loan.penalty_due.saturating_sub(p);
    loan.penalty_paid = loan.penalty_paid.checked_add(p)?;
    applied.penalty = p;
    for inst in loan.schedule.iter_mut() {
        if left.is_zero() {
            break;
        }
        let i = take(&mut left, inst.interest_left());
        inst.paid_interest = inst.paid_interest.checked_add(i)?;
        applied.interest = applied.interest.checked_add(i)?;
        let pr = take(&mut left, inst.principal_left());
        inst.paid_principal = inst.paid_principal.checked_add(pr)?;
        applied.principal = applied.principal.checked_add(pr)?;
        if inst.is_settled() {
            inst.overdue = false;
        }
    }
    if !left.is_zero() {
        return Err(Error::Storage { reason: format!("allocation left {left} unapplied: the caller did not bound the payment") });
    }
    Ok(applied)
}

impl Exec<'_, '_> {
    /// Splits `principal` and `interest` among the loan's claims in proportion to their
    /// outstanding principal and credits each holder.
    pub(crate) fn distribute(
        &mut self,
        loan_id: &LoanId,
        claim_count: u32,
        principal: Money,
        interest: Money,
    ) -> Result<Vec<Payout>, Error> {
        let claims: Vec<_> = self.claims(loan_id, claim_count)?.into_iter().filter(|(_, c)| !c.outstanding.is_zero()).collect();
        if claims.is_empty() {
            if principal.is_zero() && interest.is_zero() {
                return Ok(Vec::new());
            }
            return Err(Error::Storage { reason: format!("loan {loan_id} received a payment but has no outstanding claim") });
        }
        let weights: Vec<Money> = claims.iter().map(|(_, c)| c.outstanding).collect();
        let principal_parts = split_pro_rata(principal, &weights)?;
        let interest_parts = split_pro_rata(interest, &weights)?;
        let mut payouts = Vec::with_capacity(claims.len());
        for (((index, mut claim), p), i) in claims.into_iter().zip(principal_parts).zip(interest_parts) {
            claim.outstanding =
                claim.outstanding.checked_sub(p).ok_or_else(|| Error::Storage { reason: "a principal part exceeded its claim".into() })?;
            claim.principal_received = claim.principal_received.checked_add(p)?;
            claim.interest_received = claim.interest_received.checked_add(i)?;
            self.credit(&claim.holder, p.checked_add(i)?)?;
            self.o.put::<Claims>(&(loan_id.clone(), index), &claim);
            payouts.push(Payout { claim: ClaimId { loan: loan_id.clone(), index }, holder: claim.holder, principal: p, interest: i });
        }
        Ok(payouts)
    }

    /// Takes `amount` from the borrower and applies it to the loan.
    fn pay(
        &mut self,
        loan_id: &LoanId,
        loan: &mut Loan,
        payer: AccountId,
        amount: Money,
        forced: bool,
        prepayment: bool,
    ) -> Result<(), Error> {
        self.debit(&payer, amount)?;
        let applied = allocate(loan, amount)?;
        let interest_part = applied.interest.checked_add(applied.penalty)?;
        let payouts = self.distribute(loan_id, loan.claim_count, applied.principal, interest_part)?;
        self.report_large(if prepayment { "prepay" } else { "repay" }, payer, amount)?;
        self.emit(
            Some(loan_id),
            EventKind::Repaid {
                payer,
                amount,
                principal: applied.principal,
                interest: applied.interest,
                penalty: applied.penalty,
                forced,
                prepayment,
                payouts,
            },
        );
        self.after_payment(loan_id, loan);
        Ok(())
    }

    /// Status changes a payment can cause: cured (back to active) or settled (repaid).
    fn after_payment(&mut self, loan_id: &LoanId, loan: &mut Loan) {
        if loan.status == LoanStatus::Overdue && !loan.schedule.iter().any(|i| i.overdue) {
            loan.status = LoanStatus::Active;
            loan.overdue_since = None;
            loan.buyback_deadline = None;
            self.emit(Some(loan_id), EventKind::OverdueCured);
        }
        if loan.schedule.iter().all(|i| i.is_settled()) && loan.penalty_due.is_zero() {
            loan.status = LoanStatus::Repaid;
            loan.closed_at = Some(self.block.time);
            loan.penalty_next_at = None;
            loan.overdue_since = None;
            loan.buyback_deadline = None;
            self.emit(Some(loan_id), EventKind::LoanSettled);
        }
    }

    fn repaying_loan(&self, borrower: AccountId, loan_id: &LoanId, action: &'static str) -> Result<Loan, Error> {
        let loan = self.loan(loan_id)?;
        if loan.document.borrower != borrower {
            return Err(Error::NotBorrower { loan: loan_id.to_string(), account: borrower.short() });
        }
        if !loan.status.is_repaying() {
            return Err(Error::WrongLoanState {
                loan: loan_id.to_string(),
                state: loan.status.name().into(),
                action,
                expected: "active, overdue, bought back or pool compensated",
            });
        }
        Ok(loan)
    }

    /// `Repay`: any amount up to what is owed; oldest dues first.
    pub(super) fn repay(&mut self, borrower: AccountId, _acc: &Account, loan_id: &LoanId, amount: Money) -> Result<(), Error> {
        let mut loan = self.repaying_loan(borrower, loan_id, "repay")?;
        let owed = total_owed(&loan)?;
        if amount > owed {
            return Err(Error::Overpayment { loan: loan_id.to_string(), amount: amount.to_string(), owed: owed.to_string() });
        }
        self.pay(loan_id, &mut loan, borrower, amount, false, false)?;
        self.put_loan(loan_id, &loan);
        Ok(())
    }

    /// `Prepay`: dues and penalty, the current period's full interest and all outstanding
    /// principal; the interest of later periods is waived.
    pub(super) fn prepay(&mut self, borrower: AccountId, _acc: &Account, loan_id: &LoanId) -> Result<(), Error> {
        let mut loan = self.repaying_loan(borrower, loan_id, "prepay")?;
        let now = self.block.time;
        let mut current_seen = false;
        for inst in loan.schedule.iter_mut() {
            if inst.due_at > now {
                if current_seen {
                    inst.waived_interest = inst.waived_interest.checked_add(inst.interest_left())?;
                }
                current_seen = true;
            }
        }
        let amount = total_owed(&loan)?;
        self.pay(loan_id, &mut loan, borrower, amount, false, true)?;
        self.put_loan(loan_id, &loan);
        Ok(())
    }

    /// 强制扣款 at a due time: if the borrower's balance covers everything due through `period`,
    /// it is deducted. Returns whether it was.
    pub(crate) fn forced_deduction(&mut self, loan_id: &LoanId, loan: &mut Loan, period: u32) -> Result<bool, Error> {
        let owed = owed_through(loan, period)?;
        if owed.is_zero() {
            return Ok(false);
        }
        let borrower = loan.document.borrower;
        let acc = self.account(&borrower)?;
        if acc.frozen || acc.balance < owed {
            return Ok(false);
        }
        self.pay(loan_id, loan, borrower, owed, true, false)?;
        Ok(true)
    }
}
