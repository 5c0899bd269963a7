//! The custody ledger (资金存管): the custodian bank credits deposits and debits withdrawals.
//! The chain never holds money; it mirrors the bank's client-money ledger (DESIGN §1).

use super::Exec;
use crate::amount::Money;
use crate::error::Error;
use crate::event::EventKind;
use crate::ids::{AccountId, Role};

impl Exec<'_, '_> {
    fn check_custody_target(&self, target: &AccountId) -> Result<(), Error> {
        let a = self.account(target)?;
        if matches!(a.role, Role::Regulator | Role::SealAuthority) {
            return Err(Error::AccountState { account: target.short(), reason: format!("is a {} and holds no custody balance", a.role) });
        }
        Ok(())
    }

    pub(super) fn deposit(&mut self, to: AccountId, amount: Money) -> Result<(), Error> {
        self.check_custody_target(&to)?;
        self.credit(&to, amount)?;
        let mut t = self.totals()?;
        t.deposits = t.deposits.checked_add(amount)?;
        self.put_totals(&t);
        self.report_large("deposit", to, amount)?;
        self.emit(None, EventKind::Deposited { account: to, amount });
        Ok(())
    }

    pub(super) fn withdraw(&mut self, from: AccountId, amount: Money) -> Result<(), Error> {
        self.check_custody_target(&from)?;
        self.debit(&from, amount)?;
        let mut t = self.totals()?;
        t.withdrawals = t.withdrawals.checked_add(amount)?;
        self.put_totals(&t);
        self.report_large("withdraw", from, amount)?;
        self.emit(None, EventKind::Withdrawn { account: from, amount });
        Ok(())
    }
}
