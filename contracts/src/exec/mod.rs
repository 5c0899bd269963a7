//! Block execution: begin-block (time-driven transitions), then every transaction in order.
//!
//! [`execute_block`] reads committed state through an [`Overlay`] and returns the block's write
//! set, receipts, events and the new app hash; the caller (node or test) commits the write set
//! atomically. A transaction either applies entirely or is rolled back, leaving only its nonce and
//! a failure receipt (DESIGN §5). Only a storage failure aborts a block.

mod begin_block;
mod custody;
mod loans;
mod membership;
mod payments;
mod recovery;

use std::borrow::Borrow;

use serde::{Deserialize, Serialize};

use crate::amount::Money;
use crate::crypto::{Hash, PublicKey};
use crate::error::{Error, ErrorClass};
use crate::event::{Event, EventKind, Receipt, ReceiptStatus};
use crate::ids::{AccountId, LoanId, Role};
use crate::params::Params;
use crate::state::tables::{
    Account, Accounts, GlobalTotals, Globals, LargeTransaction, LargeTransactions, NonceExpiry, Nonces, SealAuthorities,
};
use crate::state::{Overlay, Store, WriteSet, chain_app_hash};
use crate::tx::{Payload, VerifiedTx};

/// The block being executed: its height and its time (unix ms), the only inputs from outside
/// besides the transactions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct BlockContext {
    /// Height.
    pub height: u64,
    /// The proposer's timestamp, unix ms, checked by consensus to increase.
    pub time: u64,
}

/// What executing a block produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockOutcome {
    /// Every key changed, in key order.
    pub writes: WriteSet,
    /// One receipt per transaction, in order.
    pub receipts: Vec<Receipt>,
    /// Events of begin-block, then of the transactions.
    pub events: Vec<Event>,
    /// State commitment after the block.
    pub app_hash: Hash,
}

/// An account that exists from genesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct GenesisAccount {
    /// Its account public key.
    pub public_key: PublicKey,
    /// Its role.
    pub role: Role,
    /// Display name.
    pub name: String,
    /// Opening balance.
    pub balance: Money,
}

/// The state at height 0: genesis accounts (a seal authority's account key is also its issuing
/// key) and totals. Returns the write set and the genesis app hash.
pub fn init_genesis(params: &Params, accounts: &[GenesisAccount]) -> Result<(WriteSet, Hash), Error> {
    params.validate()?;
    let empty = crate::state::MemStore::new();
    let mut o = Overlay::new(&empty);
    let mut totals = GlobalTotals::default();
    for a in accounts {
        let id = a.public_key.account_id();
        if o.get::<Accounts>(&id)?.is_some() {
            return Err(Error::AccountExists { account: id.to_string() });
        }
        if a.name.is_empty() || a.name.len() > crate::tx::MAX_TEXT_BYTES {
            return Err(Error::InvalidField { field: "name", reason: format!("genesis account name {:?} must be 1 to 256 bytes", a.name) });
        }
        totals.genesis_money = totals.genesis_money.checked_add(a.balance)?;
        o.put::<Accounts>(
            &id,
            &Account {
                public_key: a.public_key,
                role: a.role,
                name: a.name.clone(),
                registered_by: None,
                id_hash: None,
                balance: a.balance,
                frozen: false,
                suspended: false,
            },
        );
        if a.role == Role::SealAuthority {
            o.put::<SealAuthorities>(&a.public_key, &());
        }
    }
    o.put::<Globals>(&(), &totals);
    let writes = o.into_writes();
    let hash = chain_app_hash(&Hash::ZERO, 0, &writes);
    Ok((writes, hash))
}

/// Executes one block over `store` (the state after the previous block). The transactions may be
/// owned or shared (`Arc<VerifiedTx>`, as a node's mempool holds them).
pub fn execute_block<T: Borrow<VerifiedTx>>(
    store: &dyn Store,
    params: &Params,
    block: BlockContext,
    previous_app_hash: &Hash,
    txs: &[T],
) -> Result<BlockOutcome, Error> {
    let o = Overlay::new(store);
    // Seal authorities are fixed by genesis: read them once per block.
    let authorities =
        o.scan::<SealAuthorities>(&[], usize::MAX)?.into_iter().filter_map(|(k, ())| k.as_slice().try_into().ok().map(PublicKey)).collect();
    let mut ex = Exec { o, params, block, tx_hash: None, events: Vec::new(), authorities };
    ex.begin_block()?;
    let mut receipts = Vec::with_capacity(txs.len());
    for (index, tx) in txs.iter().enumerate() {
        let tx: &VerifiedTx = tx.borrow();
        let status = match ex.apply_tx(tx) {
            Ok(()) => ReceiptStatus::Success,
            Err(e) if e.class() == ErrorClass::Fatal => return Err(e),
            Err(e) => ReceiptStatus::Failed { code: e.code().to_string(), message: e.to_string() },
        };
        receipts.push(Receipt {
            tx_hash: tx.hash(),
            index: index as u32,
            kind: tx.tx().body.payload.kind().to_string(),
            signer: tx.signer(),
            status,
        });
    }
    let Exec { o, events, .. } = ex;
    let writes = o.into_writes();
    let app_hash = chain_app_hash(previous_app_hash, block.height, &writes);
    Ok(BlockOutcome { writes, receipts, events, app_hash })
}

/// The execution context of one block.
pub(crate) struct Exec<'a, 's> {
    pub(crate) o: Overlay<'s>,
    pub(crate) params: &'a Params,
    pub(crate) block: BlockContext,
    /// The transaction being applied; `None` in begin-block.
    pub(crate) tx_hash: Option<Hash>,
    events: Vec<Event>,
    /// The seal authorities of genesis.
    pub(crate) authorities: Vec<PublicKey>,
}

impl Exec<'_, '_> {
    /// Envelope checks, nonce, then the payload; rolls back the payload on error.
    fn apply_tx(&mut self, vtx: &VerifiedTx) -> Result<(), Error> {
        let tx = vtx.tx();
        let body = &tx.body;
        let signer = vtx.signer();
        self.tx_hash = Some(vtx.hash());
        // DESIGN §5 replay window. These failures change nothing at all; nor does a signer the
        // chain does not know (so a stranger's transactions cannot make state grow).
        self.check_window(signer, body.nonce, body.valid_until_height)?;
        self.account(&signer)?;
        self.remember_nonce(signer, body.nonce, body.valid_until_height);
        self.o.commit_tx();
        let events_before = self.events.len();
        let result = self.apply_payload(signer, &tx.signer_public_key, body.valid_until_height, &body.payload);
        match result {
            Ok(()) => {
                self.o.commit_tx();
                Ok(())
            }
            Err(e) => {
                self.o.rollback_tx();
                self.events.truncate(events_before);
                Err(e)
            }
        }
    }

    /// The replay window of DESIGN §5 for (signer, nonce, valid_until_height).
    pub(crate) fn check_window(&self, signer: AccountId, nonce: u64, valid_until: u64) -> Result<(), Error> {
        let height = self.block.height;
        if valid_until < height {
            return Err(Error::Expired { valid_until, height });
        }
        let max = height.saturating_add(self.params.max_tx_lifetime);
        if valid_until > max {
            return Err(Error::LifetimeTooLong { valid_until, max, height });
        }
        if self.o.get::<Nonces>(&(signer, nonce))?.is_some() {
            return Err(Error::NonceReplayed { signer: signer.short(), nonce });
        }
        Ok(())
    }

    /// Remembers (signer, nonce) until `valid_until` has passed.
    pub(crate) fn remember_nonce(&mut self, signer: AccountId, nonce: u64, valid_until: u64) {
        self.o.put::<Nonces>(&(signer, nonce), &valid_until);
        self.o.put::<NonceExpiry>(&(valid_until, signer, nonce), &());
    }

    fn apply_payload(&mut self, signer: AccountId, signer_key: &PublicKey, valid_until: u64, p: &Payload) -> Result<(), Error> {
        p.check_static(self.params.max_periods)?;
        let account = self.account(&signer)?;
        if !p.allowed_roles().contains(&account.role) {
            return Err(Error::WrongRole {
                account: signer.short(),
                role: account.role.to_string(),
                action: p.kind(),
                allowed: p.allowed_roles().iter().map(|r| r.name()).collect::<Vec<_>>().join(" or "),
            });
        }
        match p {
            Payload::RegisterAccount { public_key, role, name, id_hash } => {
                self.register_account(signer, &account, *public_key, *role, name, *id_hash)
            }
            Payload::Deposit { account: to, amount, .. } => self.deposit(*to, amount.money()),
            Payload::Withdraw { account: from, amount, .. } => self.withdraw(*from, amount.money()),
            Payload::ListLoan { document, borrower_seal, institution_seal } => {
                self.list_loan(signer, &account, document, borrower_seal, institution_seal)
            }
            Payload::FundLoan { loan, amount, seal } => self.fund_loan(signer, &account, loan, amount.money(), seal),
            Payload::CancelListing { loan } => self.cancel_listing(signer, loan),
            Payload::Repay { loan, amount } => self.repay(signer, &account, loan, amount.money()),
            Payload::Prepay { loan } => self.prepay(signer, &account, loan),
            Payload::GuarantorBuyback { loan } => self.guarantor_buyback(signer, &account, loan),
            Payload::TransferClaim { claim, buyer, price, buyer_nonce, buyer_signature } => {
                self.transfer_claim(signer, &account, claim, buyer, price, *buyer_nonce, valid_until, buyer_signature)
            }
            Payload::RevokeSealCert { seal_id, reason } => self.revoke_seal_cert(signer, signer_key, seal_id, reason),
            Payload::Freeze { account: target, reason } => self.set_frozen(*target, true, reason),
            Payload::Unfreeze { account: target, reason } => self.set_frozen(*target, false, reason),
            Payload::SuspendInstitution { account: target, reason } => self.set_suspended(*target, true, reason),
            Payload::ResumeInstitution { account: target, reason } => self.set_suspended(*target, false, reason),
        }
    }

    // --- helpers shared by the handlers ----------------------------------------------------

    pub(crate) fn emit(&mut self, loan: Option<&LoanId>, kind: EventKind) {
        self.events.push(Event { height: self.block.height, time: self.block.time, tx_hash: self.tx_hash, loan: loan.cloned(), kind });
    }

    pub(crate) fn account(&self, id: &AccountId) -> Result<Account, Error> {
        self.o.get::<Accounts>(id)?.ok_or_else(|| Error::UnknownAccount { account: id.short() })
    }

    pub(crate) fn totals(&self) -> Result<GlobalTotals, Error> {
        self.o
            .get::<Globals>(&())?
            .ok_or_else(|| Error::Storage { reason: "the global totals are missing: state was not initialised from genesis".into() })
    }

    pub(crate) fn put_totals(&mut self, t: &GlobalTotals) {
        self.o.put::<Globals>(&(), t);
    }

    /// Adds money to an account (incoming money is accepted even while frozen), or to the risk
    /// pool when `to` is the pool's id.
    pub(crate) fn credit(&mut self, to: &AccountId, amount: Money) -> Result<(), Error> {
        if amount.is_zero() {
            return Ok(());
        }
        if *to == AccountId::risk_pool() {
            let mut t = self.totals()?;
            t.risk_pool = t.risk_pool.checked_add(amount)?;
            self.put_totals(&t);
            return Ok(());
        }
        let mut a = self.account(to)?;
        a.balance = a.balance.checked_add(amount)?;
        self.o.put::<Accounts>(to, &a);
        Ok(())
    }

    /// Takes money out of an account that is not frozen and has enough.
    pub(crate) fn debit(&mut self, from: &AccountId, amount: Money) -> Result<(), Error> {
        let mut a = self.account(from)?;
        if a.frozen {
            return Err(Error::AccountFrozen { account: from.short() });
        }
        a.balance = a.balance.checked_sub(amount).ok_or_else(|| Error::InsufficientBalance {
            account: from.short(),
            available: a.balance.to_string(),
            needed: amount.to_string(),
        })?;
        self.o.put::<Accounts>(from, &a);
        Ok(())
    }

    /// Records a large transaction (大额交易报告) when `amount` reaches the genesis threshold.
    pub(crate) fn report_large(&mut self, kind: &str, account: AccountId, amount: Money) -> Result<(), Error> {
        if amount < self.params.large_tx_threshold {
            return Ok(());
        }
        let Some(tx_hash) = self.tx_hash else { return Ok(()) };
        let mut t = self.totals()?;
        let seq = t.large_tx_count;
        t.large_tx_count += 1;
        self.put_totals(&t);
        let record = LargeTransaction { tx_hash, kind: kind.to_string(), account, amount, time: self.block.time };
        self.o.put::<LargeTransactions>(&(self.block.height, seq), &record);
        Ok(())
    }
}
