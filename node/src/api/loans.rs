//! `GET /v1/loans`, `GET /v1/loans/{id}`, `GET /v1/loans/{id}/history` and
//! `GET /v1/loans/{id}/contract`.

use axum::Json;
use axum::extract::State;
use loanchain_api::{ClaimEntry, LoanDetail, LoanEntry};
use loanchain_contracts::export::ExportedContract;
use loanchain_contracts::seal::ChainTimestamp;
use loanchain_contracts::state::tables::{Claims, InstitutionLoans, Loan, LoanStatus, Loans};
use loanchain_contracts::state::{KeyCodec, read, scan};
use loanchain_contracts::{AccountId, ClaimId, Event, Hash, LoanId, Store, views};
use serde::Deserialize;

use super::error::ApiErr;
use super::extract::{PathParam, QueryParams};
use super::{ApiState, blocking};
use crate::context::NodeContext;

use loanchain_api::routes::{DEFAULT_HISTORY_LIMIT, DEFAULT_LOAN_LIMIT, MAX_HISTORY_LIMIT, MAX_LOAN_LIMIT};

/// `?status=&institution=&limit=`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct LoanQuery {
    status: Option<String>,
    institution: Option<String>,
    limit: Option<usize>,
}

fn parse_status(s: &str) -> Result<LoanStatus, ApiErr> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|_| {
        ApiErr::malformed(format!(
            "{s:?} is not a loan status (funding, active, overdue, repaid, failed, cancelled, bought_back, pool_compensated)"
        ))
    })
}

fn loan_id(id: &PathParam) -> Result<LoanId, ApiErr> {
    id.parse("loan id (1 to 64 characters of A-Z, a-z, 0-9, '.', '_', '-')")
}

/// Loans in id order, filtered by status and listing institution, at most `limit` (default
/// 100, at most 1000).
pub(crate) async fn list(State(s): State<ApiState>, QueryParams(q): QueryParams<LoanQuery>) -> Result<Json<Vec<LoanEntry>>, ApiErr> {
    let status = q.status.as_deref().filter(|s| !s.is_empty()).map(parse_status).transpose()?;
    let institution: Option<AccountId> = match q.institution.as_deref().filter(|s| !s.is_empty()) {
        Some(i) => Some(i.parse().map_err(|_| ApiErr::malformed(format!("institution {i:?} is not an account id (64 hex digits)")))?),
        None => None,
    };
    let limit = q.limit.unwrap_or(DEFAULT_LOAN_LIMIT).min(MAX_LOAN_LIMIT);
    blocking(&s.ctx, move |ctx| {
        let state = ctx.storage.snapshot();
        let wanted = |l: &Loan| status.is_none_or(|s| l.status == s);
        let loans: Vec<LoanEntry> = match institution {
            // The index of loans by institution: only this institution's loans are read.
            Some(inst) => {
                let mut out = Vec::new();
                for (key, ()) in scan::<InstitutionLoans>(&state, &inst.key_bytes(), usize::MAX)? {
                    if out.len() >= limit {
                        break;
                    }
                    let Some(id) = key
                        .get(32..key.len().saturating_sub(1))
                        .and_then(|b| std::str::from_utf8(b).ok())
                        .and_then(|s| LoanId::new(s).ok())
                    else {
                        continue;
                    };
                    if let Some(loan) = read::<Loans>(&state, &id)?
                        && wanted(&loan)
                    {
                        out.push(LoanEntry { id, loan });
                    }
                }
                out
            }
            None => {
                views::loans(&state)?.into_iter().filter(|(_, l)| wanted(l)).take(limit).map(|(id, loan)| LoanEntry { id, loan }).collect()
            }
        };
        Ok(loans)
    })
    .await
    .map(Json)
}

fn read_loan(state: &dyn Store, id: &LoanId) -> Result<Loan, ApiErr> {
    read::<Loans>(state, id)?.ok_or_else(|| ApiErr::not_found(format!("no loan {id}")))
}

/// The loan with its claims in funding order.
pub(crate) async fn detail(State(s): State<ApiState>, id: PathParam) -> Result<Json<LoanDetail>, ApiErr> {
    let id = loan_id(&id)?;
    blocking(&s.ctx, move |ctx| {
        let state = ctx.storage.snapshot();
        let loan = read_loan(&state, &id)?;
        let mut claims = Vec::with_capacity(loan.claim_count as usize);
        for index in 0..loan.claim_count {
            if let Some(claim) = read::<Claims>(&state, &(id.clone(), index))? {
                claims.push(ClaimEntry { id: ClaimId { loan: id.clone(), index }, claim });
            }
        }
        Ok(LoanDetail { id, loan, claims })
    })
    .await
    .map(Json)
}

/// `?limit=` of the history.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct HistoryQuery {
    limit: Option<usize>,
}

/// Every event of the loan, oldest first.
pub(crate) async fn history(
    State(s): State<ApiState>,
    id: PathParam,
    QueryParams(q): QueryParams<HistoryQuery>,
) -> Result<Json<Vec<Event>>, ApiErr> {
    let id = loan_id(&id)?;
    let limit = q.limit.unwrap_or(DEFAULT_HISTORY_LIMIT).min(MAX_HISTORY_LIMIT);
    blocking(&s.ctx, move |ctx| {
        read_loan(&ctx.storage.snapshot(), &id)?;
        Ok(ctx.storage.loan_events(&id, limit)?)
    })
    .await
    .map(Json)
}

/// The chain timestamp of the block that carried `tx_hash` (DESIGN §7): its height, hash,
/// time and commit certificate (bcs). `None` if the block is not stored.
fn chain_timestamp(ctx: &NodeContext, height: u64, tx_hash: Hash) -> Option<ChainTimestamp> {
    let height = match ctx.storage.tx_location(&tx_hash) {
        Ok(Some(at)) => at.height,
        _ => height,
    };
    let block = ctx.storage.block(height).ok()??;
    let certificate = ctx.storage.certificate(height).ok()??;
    Some(ChainTimestamp {
        height,
        block_hash: block.hash(),
        block_time: block.header.time_ms,
        commit_certificate: loanchain_contracts::codec::to_bytes(&certificate),
    })
}

/// The exportable contract: document, seals with their chain timestamps, revocations.
pub(crate) async fn contract(State(s): State<ApiState>, id: PathParam) -> Result<Json<ExportedContract>, ApiErr> {
    let id = loan_id(&id)?;
    blocking(&s.ctx, move |ctx| {
        let state = ctx.storage.snapshot();
        let lookup = |height: u64, tx_hash: Hash| chain_timestamp(ctx, height, tx_hash);
        Ok(views::contract_export(&state, &id, &lookup)?)
    })
    .await
    .map(Json)
}
