//! Supervision views (DESIGN §1, §11): pure functions over committed state that the regulator's
//! observer serves. They read; they never write.

use std::collections::BTreeMap;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::amount::Money;
use crate::error::Error;
use crate::ids::{AccountId, ClaimId, LoanId};
use crate::state::tables::{Claims, GlobalTotals, Globals, HolderClaims, LargeTransaction, LargeTransactions, Loan, LoanStatus, Loans};
use crate::state::{KeyCodec, Store, read, scan};

/// One institution's book.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct InstitutionBook {
    /// Loans listed, in any status.
    pub loans: u64,
    /// Principal still owed by borrowers on its loans being repaid.
    pub outstanding_principal: Money,
    /// Overdue amount (principal and interest) on its loans.
    pub overdue_amount: Money,
    /// Loans now overdue.
    pub overdue_loans: u64,
}

/// The regulator's summary of the whole chain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct SupervisionSummary {
    /// Loans by status name.
    pub loans_by_status: BTreeMap<String, u64>,
    /// Principal outstanding on all loans being repaid.
    pub outstanding_principal: Money,
    /// Overdue principal and interest.
    pub overdue_amount: Money,
    /// Overdue principal.
    pub overdue_principal: Money,
    /// Overdue principal / outstanding principal, 4 places ("0.0123" = 1.23 %).
    #[cfg_attr(feature = "json-schema", schemars(with = "String"))]
    pub overdue_rate: Decimal,
    /// The risk pool's balance.
    pub risk_pool_balance: Money,
    /// Risk pool / overdue principal, 4 places; `None` when nothing is overdue.
    #[cfg_attr(feature = "json-schema", schemars(with = "Option<String>"))]
    pub risk_pool_coverage: Option<Decimal>,
    /// Investor money in escrow for loans still funding, plus margins held.
    pub escrow: Money,
    /// Genesis money + deposits − withdrawals: what all balances, escrows and the pool add up to.
    pub custody_total: Money,
    /// Per listing institution.
    pub by_institution: BTreeMap<AccountId, InstitutionBook>,
    /// Large transactions recorded so far.
    pub large_transactions: u64,
}

fn ratio(num: Money, den: Money) -> Decimal {
    if den.is_zero() {
        return Decimal::ZERO;
    }
    (num.decimal() / den.decimal()).round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
}

/// Every loan, in id order.
pub fn loans(store: &dyn Store) -> Result<Vec<(LoanId, Loan)>, Error> {
    Ok(scan::<Loans>(store, &[], usize::MAX)?.into_iter().map(|(_, l)| (l.document.loan_id.clone(), l)).collect())
}

/// The chain-wide totals.
pub fn totals(store: &dyn Store) -> Result<GlobalTotals, Error> {
    Ok(read::<Globals>(store, &())?.unwrap_or_default())
}

/// The regulator's summary (scans every loan: an observer's query, not a consensus path).
pub fn summary(store: &dyn Store) -> Result<SupervisionSummary, Error> {
    let t = totals(store)?;
    let mut s = SupervisionSummary {
        risk_pool_balance: t.risk_pool,
        escrow: t.escrow,
        custody_total: t.genesis_money.checked_add(t.deposits)?.saturating_sub(t.withdrawals),
        large_transactions: t.large_tx_count,
        ..Default::default()
    };
    for (_, loan) in loans(store)? {
        *s.loans_by_status.entry(loan.status.name().to_string()).or_default() += 1;
        let book = s.by_institution.entry(loan.document.institution).or_default();
        book.loans += 1;
        if loan.status.is_repaying() {
            let outstanding = loan.principal_outstanding();
            let overdue = loan.overdue_amount();
            book.outstanding_principal = book.outstanding_principal.checked_add(outstanding)?;
            book.overdue_amount = book.overdue_amount.checked_add(overdue)?;
            s.outstanding_principal = s.outstanding_principal.checked_add(outstanding)?;
            s.overdue_amount = s.overdue_amount.checked_add(overdue)?;
            s.overdue_principal = s.overdue_principal.checked_add(loan.overdue_principal())?;
            if loan.schedule.iter().any(|i| i.overdue) {
                book.overdue_loans += 1;
            }
        }
    }
    s.overdue_rate = ratio(s.overdue_principal, s.outstanding_principal);
    s.risk_pool_coverage = (!s.overdue_principal.is_zero()).then(|| ratio(s.risk_pool_balance, s.overdue_principal));
    Ok(s)
}

/// Alerts a regulator acts on: loans overdue, and loans the risk pool could not fully cover.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct Alert {
    /// The loan.
    pub loan: LoanId,
    /// `overdue` or `pool_shortfall`.
    pub kind: String,
    /// The amount concerned.
    pub amount: Money,
}

/// Current alerts, by loan id.
pub fn alerts(store: &dyn Store) -> Result<Vec<Alert>, Error> {
    let mut out = Vec::new();
    for (id, loan) in loans(store)? {
        if loan.status == LoanStatus::Overdue || (loan.status.is_repaying() && loan.schedule.iter().any(|i| i.overdue)) {
            out.push(Alert { loan: id.clone(), kind: "overdue".into(), amount: loan.overdue_amount() });
        }
        if !loan.pool_shortfall.is_zero() {
            out.push(Alert { loan: id, kind: "pool_shortfall".into(), amount: loan.pool_shortfall });
        }
    }
    Ok(out)
}

/// Large transactions from `from_height` on, oldest first, at most `limit`.
pub fn large_transactions(store: &dyn Store, from_height: u64, limit: usize) -> Result<Vec<(u64, LargeTransaction)>, Error> {
    let all = scan::<LargeTransactions>(store, &[], usize::MAX)?;
    Ok(all
        .into_iter()
        .filter_map(|(k, v)| {
            let h = u64::from_be_bytes(k.get(..8)?.try_into().ok()?);
            (h >= from_height).then_some((h, v))
        })
        .take(limit)
        .collect())
}

/// An investor's (or any holder's) claims, with their loans' status.
pub fn holder_claims(store: &dyn Store, holder: &AccountId) -> Result<Vec<(ClaimId, crate::state::tables::Claim, LoanStatus)>, Error> {
    let mut out = Vec::new();
    let prefix = holder.key_bytes();
    for (key, ()) in scan::<HolderClaims>(store, &prefix, usize::MAX)? {
        let rest = &key[prefix.len()..];
        let Some(nul) = rest.iter().position(|b| *b == 0) else { continue };
        let Ok(loan) = LoanId::new(String::from_utf8_lossy(&rest[..nul]).into_owned()) else { continue };
        let Ok(index) = rest[nul + 1..].try_into().map(u32::from_be_bytes) else { continue };
        let Some(claim) = read::<Claims>(store, &(loan.clone(), index))? else { continue };
        let status = read::<Loans>(store, &loan)?.map(|l| l.status).unwrap_or(LoanStatus::Failed);
        out.push((ClaimId { loan, index }, claim, status));
    }
    Ok(out)
}

/// Finds the chain timestamp (block hash and commit certificate) of the block at `height` that
/// carried transaction `tx_hash`; the node answers from its block store, tests with `None`.
pub type TimestampLookup<'a> = &'a dyn Fn(u64, crate::crypto::Hash) -> Option<crate::seal::ChainTimestamp>;

/// The exportable contract of `loan` (DESIGN §7): its document, every seal with the transaction
/// and chain timestamp that carried it, and the revocations of any of their certificates.
pub fn contract_export(
    store: &dyn Store,
    loan: &LoanId,
    timestamp_of: TimestampLookup<'_>,
) -> Result<crate::export::ExportedContract, Error> {
    use crate::state::tables::{Revocations, Seals};
    let l = read::<Loans>(store, loan)?.ok_or_else(|| Error::UnknownLoan { loan: loan.to_string() })?;
    let mut seals = Vec::new();
    let mut revocations = Vec::new();
    for (_, rec) in scan::<Seals>(store, &loan.key_bytes(), usize::MAX)? {
        let cert = &rec.seal.body.certificate.body;
        if let Some(rev) = read::<Revocations>(store, &(cert.issuer, cert.seal_id.clone()))?
            && !revocations.contains(&rev)
        {
            revocations.push(rev);
        }
        seals.push(crate::export::SealedBy {
            party: rec.party,
            account: rec.account,
            chain_timestamp: timestamp_of(rec.height, rec.tx_hash),
            seal: rec.seal,
            tx_hash: rec.tx_hash,
        });
    }
    Ok(crate::export::ExportedContract::new(l.document, seals, revocations))
}
