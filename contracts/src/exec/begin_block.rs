//! Begin-block: the time-driven transitions of DESIGN §6, applied from the index of deadlines so
//! that the cost is proportional to what is due, never to the number of loans; and forgetting
//! nonces whose window has passed (DESIGN §5).

use super::Exec;
use super::loans::deadline;
use crate::amount::Money;
use crate::error::{Error, ErrorClass};
use crate::event::EventKind;
use crate::ids::{AccountId, LoanId};
use crate::state::tables::{Deadlines, LoanStatus, NonceExpiry, Nonces};

/// How many index entries are read per scan.
const SCAN_BATCH: usize = 256;

fn corrupt(what: &str) -> Error {
    Error::Storage { reason: format!("corrupt {what} key") }
}

fn be_u64(b: &[u8]) -> Result<u64, Error> {
    b.try_into().map(u64::from_be_bytes).map_err(|_| corrupt("integer"))
}

/// (time, loan, kind, period) from a deadline key.
fn parse_deadline(key: &[u8]) -> Result<(u64, LoanId, u8, u32), Error> {
    if key.len() < 8 + 1 + 1 + 4 {
        return Err(corrupt("deadline"));
    }
    let time = be_u64(&key[..8])?;
    let rest = &key[8..];
    let nul = rest.iter().position(|b| *b == 0).ok_or_else(|| corrupt("deadline"))?;
    let loan = std::str::from_utf8(&rest[..nul]).ok().and_then(|s| LoanId::new(s).ok()).ok_or_else(|| corrupt("deadline"))?;
    let tail = &rest[nul + 1..];
    if tail.len() != 5 {
        return Err(corrupt("deadline"));
    }
    let period = tail[1..].try_into().map(u32::from_be_bytes).map_err(|_| corrupt("deadline"))?;
    Ok((time, loan, tail[0], period))
}

impl Exec<'_, '_> {
    pub(super) fn begin_block(&mut self) -> Result<(), Error> {
        self.forget_expired_nonces()?;
        self.run_deadlines()
    }

    /// Deletes (signer, nonce) pairs whose `valid_until_height` is below this height: a
    /// transaction carrying them would be rejected as expired anyway.
    ///
    /// The scan starts at `valid_until = height - 1`: the previous block deleted everything below
    /// `height - 1`, and its transactions could only add `valid_until >= height - 1` (an earlier
    /// one is refused as expired). Starting at the front instead made every block step over the
    /// RocksDB tombstones of all nonces ever forgotten, a cost that grew with the chain's history.
    fn forget_expired_nonces(&mut self) -> Result<(), Error> {
        let start = self.block.height.saturating_sub(1).to_be_bytes();
        loop {
            let rows = self.o.scan_from::<NonceExpiry>(&[], &start, SCAN_BATCH)?;
            let mut any = false;
            for (key, ()) in rows {
                if key.len() != 8 + 32 + 8 {
                    return Err(corrupt("nonce expiry"));
                }
                let valid_until = be_u64(&key[..8])?;
                if valid_until >= self.block.height {
                    break;
                }
                let signer = AccountId(crate::crypto::Hash(key[8..40].try_into().map_err(|_| corrupt("nonce expiry"))?));
                let nonce = be_u64(&key[40..])?;
                self.o.delete::<NonceExpiry>(&(valid_until, signer, nonce));
                self.o.delete::<Nonces>(&(signer, nonce));
                any = true;
            }
            self.o.commit_tx();
            if !any {
                return Ok(());
            }
        }
    }

    /// Runs every deadline at or before the block time, oldest first; deadlines a handler adds
    /// that are already due run in the same block.
    fn run_deadlines(&mut self) -> Result<(), Error> {
        let now = self.block.time;
        self.tx_hash = None;
        loop {
            let rows = self.o.scan::<Deadlines>(&[], SCAN_BATCH)?;
            let mut due = Vec::new();
            for (key, ()) in rows {
                let d = parse_deadline(&key)?;
                if d.0 > now {
                    break;
                }
                due.push(d);
            }
            if due.is_empty() {
                return Ok(());
            }
            for (time, loan, kind, period) in due {
                self.o.delete::<Deadlines>(&(time, loan.clone(), kind, period));
                self.o.commit_tx();
                match self.run_deadline(time, &loan, kind, period) {
                    Ok(()) => self.o.commit_tx(),
                    Err(e) if e.class() == ErrorClass::Fatal => return Err(e),
                    Err(e) => {
                        // A defect, never expected: skip this transition rather than halt the chain.
                        self.o.rollback_tx();
                        self.emit(Some(&loan), EventKind::DeadlineFailed { kind, period, code: e.code().into(), message: e.to_string() });
                    }
                }
            }
        }
    }

    fn run_deadline(&mut self, time: u64, loan_id: &LoanId, kind: u8, period: u32) -> Result<(), Error> {
        match kind {
            deadline::FUNDING => self.fail_listing(loan_id),
            deadline::DUE => self.on_due(loan_id, period),
            deadline::GRACE_END => self.on_grace_end(loan_id, period),
            deadline::PENALTY_DAY => self.on_penalty_day(time, loan_id),
            deadline::BUYBACK_END => self.on_buyback_end(time, loan_id),
            other => Err(corrupt(&format!("deadline kind {other}"))),
        }
    }

    /// An installment falls due: 强制扣款 if the balance suffices, else the grace period starts;
    /// the next installment's due time is indexed.
    fn on_due(&mut self, loan_id: &LoanId, period: u32) -> Result<(), Error> {
        let mut loan = self.loan(loan_id)?;
        if !loan.status.is_repaying() {
            return Ok(());
        }
        let Some(pos) = loan.schedule.iter().position(|i| i.period == period) else { return Ok(()) };
        if !loan.schedule[pos].is_settled() {
            self.forced_deduction(loan_id, &mut loan, period)?;
        }
        let due_at = loan.schedule[pos].due_at;
        if !loan.schedule[pos].is_settled() {
            let grace_end = due_at.saturating_add(self.params.days_ms(self.params.grace_days.into()));
            self.schedule_deadline(grace_end, loan_id, deadline::GRACE_END, period);
        }
        if let Some(next) = loan.schedule.get(pos + 1) {
            let (at, p) = (next.due_at, next.period);
            self.schedule_deadline(at, loan_id, deadline::DUE, p);
        }
        self.put_loan(loan_id, &loan);
        Ok(())
    }

    /// 逾期: the grace period of an installment ended with it unpaid.
    fn on_grace_end(&mut self, loan_id: &LoanId, period: u32) -> Result<(), Error> {
        let mut loan = self.loan(loan_id)?;
        if !loan.status.is_repaying() {
            return Ok(());
        }
        let now = self.block.time;
        let Some(inst) = loan.schedule.iter().find(|i| i.period == period) else { return Ok(()) };
        if inst.is_settled() {
            return Ok(());
        }
        for i in loan.schedule.iter_mut().filter(|i| i.period <= period && !i.is_settled()) {
            i.overdue = true;
        }
        let mut buyback_deadline = None;
        if loan.status == LoanStatus::Active {
            loan.status = LoanStatus::Overdue;
            loan.overdue_since = Some(now);
            let end = now.saturating_add(self.params.days_ms(self.params.buyback_window_days.into()));
            loan.buyback_deadline = Some(end);
            self.schedule_deadline(end, loan_id, deadline::BUYBACK_END, 0);
            buyback_deadline = Some(end);
        }
        if loan.penalty_next_at.is_none() {
            let next = now.saturating_add(self.params.days_ms(1));
            loan.penalty_next_at = Some(next);
            self.schedule_deadline(next, loan_id, deadline::PENALTY_DAY, 0);
        }
        let overdue_amount = loan.overdue_amount();
        self.put_loan(loan_id, &loan);
        self.emit(Some(loan_id), EventKind::LoanOverdue { period, overdue_amount, buyback_deadline });
        Ok(())
    }

    /// 罚息: one day of penalty interest on the overdue amount, while there is one.
    fn on_penalty_day(&mut self, time: u64, loan_id: &LoanId) -> Result<(), Error> {
        let mut loan = self.loan(loan_id)?;
        if loan.penalty_next_at != Some(time) {
            return Ok(()); // superseded
        }
        let overdue = loan.overdue_amount();
        if overdue.is_zero() || !loan.status.is_repaying() {
            loan.penalty_next_at = None;
            self.put_loan(loan_id, &loan);
            return Ok(());
        }
        let penalty = Money::round_half_up(overdue.decimal() * self.params.penalty_daily_rate.decimal())?;
        loan.penalty_due = loan.penalty_due.checked_add(penalty)?;
        let next = time.saturating_add(self.params.days_ms(1));
        loan.penalty_next_at = Some(next);
        self.schedule_deadline(next, loan_id, deadline::PENALTY_DAY, 0);
        self.put_loan(loan_id, &loan);
        if !penalty.is_zero() {
            self.emit(Some(loan_id), EventKind::PenaltyAccrued { amount: penalty, on: overdue });
        }
        Ok(())
    }

    /// The buyback window ended without a buyback: the risk pool steps in, if genesis enables it.
    fn on_buyback_end(&mut self, time: u64, loan_id: &LoanId) -> Result<(), Error> {
        let mut loan = self.loan(loan_id)?;
        if loan.status != LoanStatus::Overdue || loan.buyback_deadline != Some(time) {
            return Ok(());
        }
        let enabled = self.params.risk_pool_enabled;
        self.emit(Some(loan_id), EventKind::BuybackWindowExpired { risk_pool_enabled: enabled });
        if enabled {
            self.pool_compensate(loan_id, &mut loan)?;
        }
        self.put_loan(loan_id, &loan);
        Ok(())
    }
}
