//! Begin-block: the time-driven transitions of DESIGN §6, applied from the index of deadlines so
//! that the cost is proportional to what is due, never to the number of loans; and forgetting
//! nonces whose window has passed (DESIGN §5).

use super::Exec;
use super::loans::deadline;
use crate::amount::Money;
use crate::error::{Error, ErrorClass};
use crate::event::EventKind;
use crate::ids::{AccountId, LoanId};
use crate::state::KeyCodec;
use crate::state::tables::{DeadlineFloor, Deadlines, LoanStatus, NonceExpiry, Nonces};

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
        let start = self.block.height.saturating_sub(1).key_bytes();
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
    ///
    /// The scan seeks to the [`DeadlineFloor`]: run deadlines are deleted, and from the front of
    /// the index a RocksDB scan stepped over the tombstone of every deadline ever run (8 % of an
    /// idle follower's CPU after a benchmark sweep). Afterwards the floor moves up to the first
    /// deadline left (or just past the block time if none is left), written only by a block that
    /// ran a deadline: a block with nothing due changes no state.
    fn run_deadlines(&mut self) -> Result<(), Error> {
        let now = self.block.time;
        self.tx_hash = None;
        let mut ran_any = false;
        loop {
            // Re-read: a handler may have scheduled a deadline below the floor.
            let start = self.o.get::<DeadlineFloor>(&())?.unwrap_or(0).key_bytes();
            let rows = self.o.scan_from::<Deadlines>(&[], &start, SCAN_BATCH)?;
            let mut due = Vec::new();
            let mut next = None;
            for (key, ()) in rows {
                let d = parse_deadline(&key)?;
                if d.0 > now {
                    next = Some(d.0);
                    break;
                }
                due.push(d);
            }
            if due.is_empty() {
                let floor = next.unwrap_or(now.saturating_add(1));
                if ran_any && self.o.get::<DeadlineFloor>(&())? != Some(floor) {
                    self.o.put::<DeadlineFloor>(&(), &floor);
                    self.o.commit_tx();
                }
                return Ok(());
            }
            ran_any = true;
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
            self.schedule_deadline(grace_end, loan_id, deadline::GRACE_END, period)?;
        }
        if let Some(next) = loan.schedule.get(pos + 1) {
            let (at, p) = (next.due_at, next.period);
            self.schedule_deadline(at, loan_id, deadline::DUE, p)?;
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
            self.schedule_deadline(end, loan_id, deadline::BUYBACK_END, 0)?;
            buyback_deadline = Some(end);
        }
        if loan.penalty_next_at.is_none() {
            let next = now.saturating_add(self.params.days_ms(1));
            loan.penalty_next_at = Some(next);
            self.schedule_deadline(next, loan_id, deadline::PENALTY_DAY, 0)?;
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
        self.schedule_deadline(next, loan_id, deadline::PENALTY_DAY, 0)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::BlockContext;
    use crate::params::Params;
    use crate::state::{MemStore, Overlay};

    /// Runs begin-block at `time` over `store`, with `schedule` deadlines added afterwards as a
    /// transaction of the block would; applies the writes and returns the periods that ran (each
    /// names a loan that does not exist, so it runs as a `DeadlineFailed` event).
    fn block(store: &mut MemStore, params: &Params, time: u64, schedule: &[(u64, u32)]) -> Vec<u32> {
        let mut ex = Exec {
            o: Overlay::new(&*store),
            params,
            block: BlockContext { height: 1, time },
            tx_hash: None,
            events: Vec::new(),
            authorities: Vec::new(),
        };
        ex.run_deadlines().unwrap();
        let loan = LoanId::new("L-nowhere").unwrap();
        for &(at, period) in schedule {
            ex.schedule_deadline(at, &loan, deadline::FUNDING, period).unwrap();
            ex.o.commit_tx();
        }
        let ran = ex
            .events
            .iter()
            .map(|e| match e.kind {
                EventKind::DeadlineFailed { period, .. } => period,
                ref other => panic!("unexpected event {other:?}"),
            })
            .collect();
        let writes = ex.o.into_writes();
        store.apply_owned(writes);
        ran
    }

    fn floor(store: &MemStore) -> Option<u64> {
        Overlay::new(store).get::<DeadlineFloor>(&()).unwrap()
    }

    #[test]
    fn the_floor_follows_the_first_deadline_left_and_a_deadline_below_it_still_runs() {
        let params = Params::devnet("floor-test", 30, 60);
        let mut store = MemStore::new();
        // Nothing has run yet: no floor, the scan starts from the front.
        assert_eq!(block(&mut store, &params, 1_000, &[(900, 1), (5_000, 2)]), Vec::<u32>::new());
        assert_eq!(floor(&store), None);
        // Deadline 1 runs; the floor moves to deadline 2.
        assert_eq!(block(&mut store, &params, 1_100, &[]), vec![1]);
        assert_eq!(floor(&store), Some(5_000));
        // A transaction schedules a time below the floor (even before the block's own): the floor
        // comes down with it and the next block runs it, in time order, but not deadline 2.
        assert_eq!(block(&mut store, &params, 1_200, &[(1_150, 3), (1_250, 4)]), Vec::<u32>::new());
        assert_eq!(floor(&store), Some(1_150));
        assert_eq!(block(&mut store, &params, 1_300, &[]), vec![3, 4]);
        assert_eq!(floor(&store), Some(5_000));
        // An idle block writes nothing at all.
        let mut ex = Exec {
            o: Overlay::new(&store),
            params: &params,
            block: BlockContext { height: 9, time: 1_400 },
            tx_hash: None,
            events: Vec::new(),
            authorities: Vec::new(),
        };
        ex.run_deadlines().unwrap();
        assert!(ex.o.into_writes().is_empty(), "an idle block moved the floor");
        // The last one runs; none is left, so the floor goes just past the block time.
        assert_eq!(block(&mut store, &params, 6_000, &[]), vec![2]);
        assert_eq!(floor(&store), Some(6_001));
    }

    proptest::proptest! {
        /// Whatever the floor does, each block runs exactly the deadlines a plain model runs:
        /// every one scheduled before the block at or before its time, oldest first.
        #[test]
        fn the_floor_never_hides_a_due_deadline(
            blocks in proptest::collection::vec((1u64..500, proptest::collection::vec(0u64..3_000, 0..6)), 1..40)
        ) {
            let params = Params::devnet("floor-prop", 30, 60);
            let mut store = MemStore::new();
            let mut pending = std::collections::BTreeSet::new();
            let (mut time, mut next_period) = (1_000u64, 0u32);
            for (step, offsets) in blocks {
                time += step;
                // Deadlines from 1,000 ms before the block to 2,000 after it.
                let schedule: Vec<(u64, u32)> = offsets.iter().map(|o| { next_period += 1; (time + o - 1_000, next_period) }).collect();
                let expected: Vec<(u64, u32)> = pending.iter().copied().filter(|(t, _)| *t <= time).collect();
                for e in &expected {
                    pending.remove(e);
                }
                let ran = block(&mut store, &params, time, &schedule);
                proptest::prop_assert_eq!(ran, expected.iter().map(|(_, p)| *p).collect::<Vec<_>>());
                pending.extend(schedule);
            }
        }
    }
}
