//! Membership and supervision: registering accounts, revoking seal certificates, freezing
//! accounts and suspending institutions (DESIGN §5).

use super::Exec;
use crate::crypto::{Hash, PublicKey};
use crate::error::Error;
use crate::event::EventKind;
use crate::ids::{AccountId, Role, SealId};
use crate::seal::Revocation;
use crate::state::tables::{Account, Accounts, Revocations, SealAuthorities};

impl Exec<'_, '_> {
    /// 实名认证: an active credit institution registers an investor or borrower it identified.
    pub(super) fn register_account(
        &mut self,
        institution: AccountId,
        inst: &Account,
        public_key: PublicKey,
        role: Role,
        name: &str,
        id_hash: Hash,
    ) -> Result<(), Error> {
        if inst.suspended {
            return Err(Error::InstitutionSuspended { account: institution.short() });
        }
        let id = public_key.account_id();
        if self.o.get::<Accounts>(&id)?.is_some() {
            return Err(Error::AccountExists { account: id.short() });
        }
        let account = Account {
            public_key,
            role,
            name: name.to_string(),
            registered_by: Some(institution),
            id_hash: Some(id_hash),
            balance: crate::amount::Money::ZERO,
            frozen: false,
            suspended: false,
        };
        self.o.put::<Accounts>(&id, &account);
        self.emit(None, EventKind::AccountRegistered { account: id, role, by: institution });
        Ok(())
    }

    /// A seal authority revokes a certificate it issued; seals made before stay valid (DESIGN §7).
    pub(super) fn revoke_seal_cert(
        &mut self,
        signer: AccountId,
        signer_key: &PublicKey,
        seal_id: &SealId,
        reason: &str,
    ) -> Result<(), Error> {
        if self.o.get::<SealAuthorities>(signer_key)?.is_none() {
            return Err(Error::AccountState { account: signer.short(), reason: "is not a seal authority named in genesis".into() });
        }
        let key = (*signer_key, seal_id.clone());
        if self.o.get::<Revocations>(&key)?.is_some() {
            return Err(Error::AlreadyRevoked { seal_id: seal_id.to_string() });
        }
        let revocation = Revocation {
            seal_id: seal_id.clone(),
            revoked_at_height: self.block.height,
            revoked_at_time: self.block.time,
            reason: reason.to_string(),
        };
        self.o.put::<Revocations>(&key, &revocation);
        self.emit(None, EventKind::SealRevoked { seal_id: seal_id.clone(), issuer: signer });
        Ok(())
    }

    /// 冻结 / 解冻.
    pub(super) fn set_frozen(&mut self, target: AccountId, frozen: bool, reason: &str) -> Result<(), Error> {
        let mut a = self.account(&target)?;
        if a.role == Role::Regulator {
            return Err(Error::AccountState { account: target.short(), reason: "is the regulator and cannot be frozen".into() });
        }
        if a.frozen == frozen {
            let state = if frozen { "is already frozen" } else { "is not frozen" };
            return Err(Error::AccountState { account: target.short(), reason: state.into() });
        }
        a.frozen = frozen;
        self.o.put::<Accounts>(&target, &a);
        let reason = reason.to_string();
        let kind = if frozen {
            EventKind::AccountFrozen { account: target, reason }
        } else {
            EventKind::AccountUnfrozen { account: target, reason }
        };
        self.emit(None, kind);
        Ok(())
    }

    /// 暂停交易 / 恢复: an institution may not list loans or register accounts while suspended;
    /// its obligations (buyback) go on.
    pub(super) fn set_suspended(&mut self, target: AccountId, suspended: bool, reason: &str) -> Result<(), Error> {
        let mut a = self.account(&target)?;
        if !matches!(a.role, Role::CreditInstitution | Role::CustodianBank | Role::ValidatorInstitution) {
            return Err(Error::AccountState { account: target.short(), reason: format!("is a {}, not an institution", a.role) });
        }
        if a.suspended == suspended {
            let state = if suspended { "is already suspended" } else { "is not suspended" };
            return Err(Error::AccountState { account: target.short(), reason: state.into() });
        }
        a.suspended = suspended;
        self.o.put::<Accounts>(&target, &a);
        let reason = reason.to_string();
        let kind = if suspended {
            EventKind::InstitutionSuspended { account: target, reason }
        } else {
            EventKind::InstitutionResumed { account: target, reason }
        };
        self.emit(None, kind);
        Ok(())
    }
}
