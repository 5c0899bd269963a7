//! `GET /v1/accounts/{id}`, `GET /v1/accounts/{id}/claims` and `GET /v1/risk-pool`.

use axum::Json;
use axum::extract::State;
use loanchain_api::{AccountEntry, HolderClaim, RiskPool};
use loanchain_contracts::state::read;
use loanchain_contracts::state::tables::Accounts;
use loanchain_contracts::{AccountId, views};

use super::error::ApiErr;
use super::extract::PathParam;
use super::{ApiState, blocking};

fn account_id(id: &PathParam) -> Result<AccountId, ApiErr> {
    id.parse("account id (64 hex digits)")
}

/// The account.
pub(crate) async fn account(State(s): State<ApiState>, id: PathParam) -> Result<Json<AccountEntry>, ApiErr> {
    let id = account_id(&id)?;
    blocking(&s.ctx, move |ctx| {
        let account = read::<Accounts>(&ctx.storage.snapshot(), &id)?.ok_or_else(|| ApiErr::not_found(format!("no account {id}")))?;
        Ok(AccountEntry { id, account })
    })
    .await
    .map(Json)
}

/// The claims the account holds, with their loans' status. The risk pool, which holds claims
/// without being an account, has claims too.
pub(crate) async fn claims(State(s): State<ApiState>, id: PathParam) -> Result<Json<Vec<HolderClaim>>, ApiErr> {
    let id = account_id(&id)?;
    blocking(&s.ctx, move |ctx| {
        let state = ctx.storage.snapshot();
        if id != AccountId::risk_pool() && read::<Accounts>(&state, &id)?.is_none() {
            return Err(ApiErr::not_found(format!("no account {id}")));
        }
        let claims = views::holder_claims(&state, &id)?;
        Ok(claims.into_iter().map(|(id, claim, loan_status)| HolderClaim { id, claim, loan_status }).collect())
    })
    .await
    .map(Json)
}

/// The risk pool's balance and whether genesis enables it.
pub(crate) async fn risk_pool(State(s): State<ApiState>) -> Result<Json<RiskPool>, ApiErr> {
    blocking(&s.ctx, |ctx| {
        let totals = views::totals(&ctx.storage.snapshot())?;
        Ok(RiskPool { balance: totals.risk_pool, enabled: ctx.params().risk_pool_enabled })
    })
    .await
    .map(Json)
}
