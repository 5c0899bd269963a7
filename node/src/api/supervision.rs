//! `GET /v1/supervision/summary` and `GET /v1/supervision/alerts`: the regulator's views of
//! committed state (DESIGN §1), computed by `loanchain_contracts::views`.

use axum::Json;
use axum::extract::State;
use loanchain_contracts::views::{self, Alert, SupervisionSummary};

use super::error::ApiErr;
use super::{ApiState, blocking};

/// Loans by status, outstanding and overdue money, the risk pool's coverage, per institution.
pub(crate) async fn summary(State(s): State<ApiState>) -> Result<Json<SupervisionSummary>, ApiErr> {
    blocking(&s.ctx, |ctx| Ok(views::summary(&ctx.storage.snapshot())?)).await.map(Json)
}

/// Loans overdue and loans the risk pool could not fully cover.
pub(crate) async fn alerts(State(s): State<ApiState>) -> Result<Json<Vec<Alert>>, ApiErr> {
    blocking(&s.ctx, |ctx| Ok(views::alerts(&ctx.storage.snapshot())?)).await.map(Json)
}
