//! Listing, crowd-funding (投标), full funding and disbursement (满标放款), cancellation and
//! failed listings (流标) (DESIGN §6).

use super::Exec;
use crate::amount::Money;
use crate::crypto::Hash;
use crate::document::ContractDocument;
use crate::error::Error;
use crate::event::EventKind;
use crate::ids::{AccountId, ClaimId, LoanId, Role};
use crate::schedule;
use crate::seal::{self, ChainTimestamp, SealSignature, VerifyContext};
use crate::state::tables::{
    Account, Claim, Claims, DeadlineFloor, Deadlines, HolderClaims, Installment, InstitutionLoans, Loan, LoanStatus, Loans, Revocations,
    SealRecord, Seals,
};

/// Kinds of deadline in the index (the third part of its key).
pub(crate) mod deadline {
    /// The funding deadline: 流标 if still funding.
    pub const FUNDING: u8 = 0;
    /// An installment falls due: forced deduction.
    pub const DUE: u8 = 1;
    /// An installment's grace period ends: overdue.
    pub const GRACE_END: u8 = 2;
    /// One more day of penalty interest.
    pub const PENALTY_DAY: u8 = 3;
    /// The guarantor's buyback window ends: risk pool.
    pub const BUYBACK_END: u8 = 4;
}

impl Exec<'_, '_> {
    pub(crate) fn loan(&self, id: &LoanId) -> Result<Loan, Error> {
        self.o.get::<Loans>(id)?.ok_or_else(|| Error::UnknownLoan { loan: id.to_string() })
    }

    pub(crate) fn put_loan(&mut self, id: &LoanId, loan: &Loan) {
        self.o.put::<Loans>(id, loan);
    }

    /// Indexes a deadline, lowering the floor of the index if it is earlier (see
    /// [`DeadlineFloor`]): a transaction may schedule a time before the block's own.
    pub(crate) fn schedule_deadline(&mut self, at: u64, loan: &LoanId, kind: u8, period: u32) -> Result<(), Error> {
        self.o.put::<Deadlines>(&(at, loan.clone(), kind, period), &());
        if self.o.get::<DeadlineFloor>(&())?.is_some_and(|floor| at < floor) {
            self.o.put::<DeadlineFloor>(&(), &at);
        }
        Ok(())
    }

    /// Every claim of `loan`, in claim-id order (the order of ties in every split). Claims are
    /// numbered 0..`claim_count` and never deleted, so they are read by key, not scanned: every
    /// payment rewrites each claim, and a RocksDB scan of a loan's claims had to step over every
    /// older version still in the memtable (a third of a validator's CPU under repayments).
    pub(crate) fn claims(&self, loan: &LoanId, claim_count: u32) -> Result<Vec<(u32, Claim)>, Error> {
        (0..claim_count)
            .map(|index| {
                let claim = self.o.get::<Claims>(&(loan.clone(), index))?.ok_or_else(|| Error::Storage {
                    reason: format!("claim {index} of loan {loan} is missing (the loan counts {claim_count})"),
                })?;
                Ok((index, claim))
            })
            .collect()
    }

    /// Checks one party's seal on `document` as the chain does at inclusion (DESIGN §7): the
    /// certificate belongs to `party_account`, names this contract, was made near the block's
    /// time, is not revoked as of this block, and verifies. Signatures were already checked when
    /// the transaction was verified.
    fn check_seal(
        &self,
        party: &str,
        party_account: AccountId,
        document: &ContractDocument,
        digest: Hash,
        s: &SealSignature,
    ) -> Result<(), Error> {
        let fail = |check: &'static str, detail: String| Err(Error::Seal { party: party.to_string(), check, detail });
        if s.holder() != party_account {
            return fail(
                "holder",
                format!("the certificate belongs to {}, not to the {party} {}", s.holder().short(), party_account.short()),
            );
        }
        let prop = &s.body.property;
        if prop.contract_id != document.loan_id || prop.contract_version != document.version {
            return fail(
                "property",
                format!(
                    "the seal names contract {} v{}, not {} v{}",
                    prop.contract_id, prop.contract_version, document.loan_id, document.version
                ),
            );
        }
        let tolerance = self.params.seal_time_tolerance_seconds.saturating_mul(1000);
        if s.body.signed_at.abs_diff(self.block.time) > tolerance {
            return fail(
                "signed_at_near_block_time",
                format!(
                    "signed_at {} is more than {} s from the block time {}",
                    s.body.signed_at, self.params.seal_time_tolerance_seconds, self.block.time
                ),
            );
        }
        let revocation = self.o.get::<Revocations>(&(s.body.certificate.body.issuer, s.seal_id().clone()))?;
        // The including block is the seal's chain timestamp: a revocation at or before this height
        // rejects it, whatever `signed_at` claims.
        let here = ChainTimestamp {
            height: self.block.height,
            block_hash: Hash::ZERO,
            block_time: self.block.time,
            commit_certificate: Vec::new(),
        };
        let ctx = VerifyContext {
            authorities: &self.authorities,
            revocation: revocation.as_ref(),
            document_digest: digest,
            chain_timestamp: Some(&here),
            certifiers: None,
        };
        seal::verify_after_signatures(s, party, &ctx)
    }

    fn record_seal(&mut self, loan_id: &LoanId, loan: &mut Loan, party: &str, account: AccountId, s: &SealSignature) {
        let record = SealRecord {
            party: party.to_string(),
            account,
            seal: s.clone(),
            tx_hash: self.tx_hash.unwrap_or(Hash::ZERO),
            height: self.block.height,
        };
        self.o.put::<Seals>(&(loan_id.clone(), loan.seal_count), &record);
        loan.seal_count += 1;
    }

    /// `ListLoan`: the institution lists a loan it guarantees and posts its risk margin, held until
    /// disbursement (then it goes to the risk pool) or refunded if the listing fails.
    pub(super) fn list_loan(
        &mut self,
        institution: AccountId,
        inst: &Account,
        doc: &ContractDocument,
        borrower_seal: &SealSignature,
        institution_seal: &SealSignature,
    ) -> Result<(), Error> {
        if inst.suspended {
            return Err(Error::InstitutionSuspended { account: institution.short() });
        }
        if doc.chain_id != self.params.chain_id {
            return Err(Error::WrongChain { expected: self.params.chain_id.clone(), got: doc.chain_id.clone() });
        }
        if doc.institution != institution {
            return Err(Error::InvalidField {
                field: "institution",
                reason: format!("the document names {}, but {} signed", doc.institution.short(), institution.short()),
            });
        }
        let borrower = self.account(&doc.borrower)?;
        if borrower.role != Role::Borrower {
            return Err(Error::AccountState { account: doc.borrower.short(), reason: format!("is a {}, not a borrower", borrower.role) });
        }
        if borrower.frozen {
            return Err(Error::AccountFrozen { account: doc.borrower.short() });
        }
        if self.o.get::<Loans>(&doc.loan_id)?.is_some() {
            return Err(Error::LoanExists { loan: doc.loan_id.to_string() });
        }
        if doc.funding_deadline <= self.block.time {
            return Err(Error::InvalidField {
                field: "funding_deadline",
                reason: format!("{} is not after the block time {}", doc.funding_deadline, self.block.time),
            });
        }
        // The schedule must be computable now, so that disbursement can never fail.
        schedule::build(doc.principal, doc.annual_rate, doc.periods, doc.method)?;
        let digest = doc.digest();
        self.check_seal("borrower", doc.borrower, doc, digest, borrower_seal)?;
        self.check_seal("institution", institution, doc, digest, institution_seal)?;

        let margin = Money::round_half_up(doc.principal.money().decimal() * self.params.margin(doc.grade).decimal())?;
        self.debit(&institution, margin)?;
        let mut totals = self.totals()?;
        totals.escrow = totals.escrow.checked_add(margin)?;
        self.put_totals(&totals);

        let mut loan = Loan::listed(doc.clone(), digest, self.block.height, margin);
        self.record_seal(&doc.loan_id, &mut loan, "borrower", doc.borrower, borrower_seal);
        self.record_seal(&doc.loan_id, &mut loan, "institution", institution, institution_seal);
        self.put_loan(&doc.loan_id, &loan);
        self.o.put::<InstitutionLoans>(&(institution, doc.loan_id.clone()), &());
        self.schedule_deadline(doc.funding_deadline, &doc.loan_id, deadline::FUNDING, 0)?;
        self.report_large("list_loan", doc.borrower, doc.principal.money())?;
        self.emit(
            Some(&doc.loan_id),
            EventKind::LoanListed { institution, borrower: doc.borrower, principal: doc.principal.money(), margin_held: margin },
        );
        Ok(())
    }

    /// `FundLoan` (投标): funds move from the investor's balance to escrow, a claim is created
    /// and the investor's seal recorded; the funding that fills the loan disburses it.
    pub(super) fn fund_loan(
        &mut self,
        investor: AccountId,
        inv: &Account,
        loan_id: &LoanId,
        amount: Money,
        s: &SealSignature,
    ) -> Result<(), Error> {
        if inv.frozen {
            return Err(Error::AccountFrozen { account: investor.short() });
        }
        let mut loan = self.loan(loan_id)?;
        if loan.status != LoanStatus::Funding {
            return Err(Error::WrongLoanState {
                loan: loan_id.to_string(),
                state: loan.status.name().into(),
                action: "fund_loan",
                expected: "funding",
            });
        }
        if self.block.time >= loan.document.funding_deadline {
            return Err(Error::FundingClosed { loan: loan_id.to_string() });
        }
        let principal = loan.document.principal.money();
        let remaining = principal.saturating_sub(loan.funded);
        if amount > remaining {
            return Err(Error::OverFunding { loan: loan_id.to_string(), amount: amount.to_string(), remaining: remaining.to_string() });
        }
        // The last piece may be below the minimum, or nobody could ever fill the loan.
        let minimum = loan.document.min_investment.money();
        if amount < minimum && amount != remaining {
            return Err(Error::BelowMinimum { loan: loan_id.to_string(), amount: amount.to_string(), minimum: minimum.to_string() });
        }
        self.check_seal("investor", investor, &loan.document, loan.document_digest, s)?;
        self.debit(&investor, amount)?;
        let mut totals = self.totals()?;
        totals.escrow = totals.escrow.checked_add(amount)?;
        self.put_totals(&totals);

        let index = loan.claim_count;
        loan.claim_count += 1;
        loan.funded = loan.funded.checked_add(amount)?;
        let claim = Claim {
            holder: investor,
            original_investor: investor,
            amount,
            outstanding: amount,
            principal_received: Money::ZERO,
            interest_received: Money::ZERO,
        };
        self.o.put::<Claims>(&(loan_id.clone(), index), &claim);
        self.o.put::<HolderClaims>(&(investor, loan_id.clone(), index), &());
        self.record_seal(loan_id, &mut loan, "investor", investor, s);
        self.report_large("fund_loan", investor, amount)?;
        self.emit(
            Some(loan_id),
            EventKind::LoanFunded { claim: ClaimId { loan: loan_id.clone(), index }, investor, amount, funded: loan.funded },
        );
        if loan.funded == principal {
            self.activate(loan_id, &mut loan)?;
        }
        self.put_loan(loan_id, &loan);
        Ok(())
    }

    /// 满标放款: escrow to the borrower, the margin to the risk pool, the schedule fixed from now.
    fn activate(&mut self, loan_id: &LoanId, loan: &mut Loan) -> Result<(), Error> {
        let doc = &loan.document;
        let lines = schedule::build(doc.principal, doc.annual_rate, doc.periods, doc.method)?;
        let start = self.block.time;
        let mut installments = Vec::with_capacity(lines.len());
        for line in lines {
            installments.push(Installment {
                period: line.period,
                due_at: schedule::due_time(start, self.params.period, line.period)?,
                principal: line.principal,
                interest: line.interest,
                paid_principal: Money::ZERO,
                paid_interest: Money::ZERO,
                waived_interest: Money::ZERO,
                overdue: false,
            });
        }
        let mut totals = self.totals()?;
        let held = loan.funded.checked_add(loan.margin_posted)?;
        totals.escrow =
            totals.escrow.checked_sub(held).ok_or_else(|| Error::Storage { reason: "escrow total below a loan's escrow".into() })?;
        totals.risk_pool = totals.risk_pool.checked_add(loan.margin_posted)?;
        self.put_totals(&totals);
        let borrower = doc.borrower;
        self.credit(&borrower, loan.funded)?;
        let first = installments
            .first()
            .ok_or_else(|| Error::InvalidField { field: "periods", reason: "the schedule has no installment".into() })?;
        self.schedule_deadline(first.due_at, loan_id, deadline::DUE, first.period)?;
        let first_due_at = first.due_at;
        loan.schedule = installments;
        loan.activated_at = Some(start);
        loan.status = LoanStatus::Active;
        self.emit(
            Some(loan_id),
            EventKind::LoanActivated { borrower, disbursed: loan.funded, margin_to_pool: loan.margin_posted, first_due_at },
        );
        Ok(())
    }

    /// `CancelListing`: only the listing institution, only while funding.
    pub(super) fn cancel_listing(&mut self, institution: AccountId, loan_id: &LoanId) -> Result<(), Error> {
        let mut loan = self.loan(loan_id)?;
        if loan.document.institution != institution {
            return Err(Error::NotGuarantor { loan: loan_id.to_string(), account: institution.short() });
        }
        if loan.status != LoanStatus::Funding {
            return Err(Error::WrongLoanState {
                loan: loan_id.to_string(),
                state: loan.status.name().into(),
                action: "cancel_listing",
                expected: "funding",
            });
        }
        let refunded = self.refund_all(loan_id, &mut loan)?;
        loan.status = LoanStatus::Cancelled;
        loan.closed_at = Some(self.block.time);
        self.put_loan(loan_id, &loan);
        self.emit(Some(loan_id), EventKind::ListingCancelled { refunded });
        Ok(())
    }

    /// 流标 at the funding deadline.
    pub(crate) fn fail_listing(&mut self, loan_id: &LoanId) -> Result<(), Error> {
        let mut loan = self.loan(loan_id)?;
        if loan.status != LoanStatus::Funding {
            return Ok(());
        }
        let refunded = self.refund_all(loan_id, &mut loan)?;
        loan.status = LoanStatus::Failed;
        loan.closed_at = Some(self.block.time);
        self.put_loan(loan_id, &loan);
        self.emit(Some(loan_id), EventKind::ListingFailed { refunded });
        Ok(())
    }

    /// Returns every investor's escrow and the institution's margin.
    fn refund_all(&mut self, loan_id: &LoanId, loan: &mut Loan) -> Result<Money, Error> {
        let mut refunded = Money::ZERO;
        for (index, mut claim) in self.claims(loan_id, loan.claim_count)? {
            let amount = claim.outstanding;
            self.credit(&claim.holder, amount)?;
            claim.outstanding = Money::ZERO;
            self.o.put::<Claims>(&(loan_id.clone(), index), &claim);
            refunded = refunded.checked_add(amount)?;
            self.emit(
                Some(loan_id),
                EventKind::Refunded { claim: ClaimId { loan: loan_id.clone(), index }, investor: claim.holder, amount },
            );
        }
        let institution = loan.document.institution;
        self.credit(&institution, loan.margin_posted)?;
        let mut totals = self.totals()?;
        let held = refunded.checked_add(loan.margin_posted)?;
        totals.escrow =
            totals.escrow.checked_sub(held).ok_or_else(|| Error::Storage { reason: "escrow total below a loan's escrow".into() })?;
        self.put_totals(&totals);
        loan.funded = Money::ZERO;
        loan.margin_posted = Money::ZERO;
        Ok(refunded)
    }
}
