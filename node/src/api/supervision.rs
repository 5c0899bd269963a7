//! `GET /v1/supervision/summary` and `GET /v1/supervision/alerts`: the regulator's views of
//! committed state (DESIGN §1), computed by `loanchain_contracts::views`; `GET /v1/evidence`: the
//! equivocation evidence this node verified (DESIGN §8).

use axum::Json;
use axum::extract::State;
use loanchain_api::routes::{DEFAULT_EVIDENCE_LIMIT, MAX_EVIDENCE_LIMIT};
use loanchain_api::{EvidenceEntry, EvidenceList};
use loanchain_contracts::views::{self, Alert, SupervisionSummary};
use serde::Deserialize;

use super::error::ApiErr;
use super::extract::QueryParams;
use super::{ApiState, blocking};

/// Loans by status, outstanding and overdue money, the risk pool's coverage, per institution.
pub(crate) async fn summary(State(s): State<ApiState>) -> Result<Json<SupervisionSummary>, ApiErr> {
    blocking(&s.ctx, |ctx| Ok(views::summary(&ctx.storage.snapshot())?)).await.map(Json)
}

/// Loans overdue and loans the risk pool could not fully cover.
pub(crate) async fn alerts(State(s): State<ApiState>) -> Result<Json<Vec<Alert>>, ApiErr> {
    blocking(&s.ctx, |ctx| Ok(views::alerts(&ctx.storage.snapshot())?)).await.map(Json)
}

/// `?limit=&before_height=`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct EvidenceQuery {
    limit: Option<usize>,
    before_height: Option<u64>,
}

/// One page of the evidence this node holds, newest height first, in whole heights.
pub(crate) async fn evidence(State(s): State<ApiState>, QueryParams(q): QueryParams<EvidenceQuery>) -> Result<Json<EvidenceList>, ApiErr> {
    let limit = q.limit.unwrap_or(DEFAULT_EVIDENCE_LIMIT);
    if limit == 0 {
        return Err(ApiErr::malformed(format!("limit must be 1 to {MAX_EVIDENCE_LIMIT}")));
    }
    let limit = limit.min(MAX_EVIDENCE_LIMIT);
    blocking(&s.ctx, move |ctx| {
        let total = ctx.storage.evidence_count();
        let page = ctx.storage.evidence_page(q.before_height, limit)?;
        let evidence: Vec<EvidenceEntry> = page
            .evidence
            .into_iter()
            .map(|e| {
                let validator = e.validator();
                let validator_name =
                    ctx.genesis.validators.get(validator.as_usize()).map_or_else(|| validator.to_string(), |v| v.name.clone());
                EvidenceEntry {
                    height: e.height(),
                    round: e.round(),
                    kind: e.kind(),
                    validator,
                    validator_name,
                    bcs: hex::encode(loanchain_contracts::codec::to_bytes(&e)),
                    evidence: e,
                }
            })
            .collect();
        Ok(EvidenceList { total, count: evidence.len(), evidence, next_before_height: page.next_before_height })
    })
    .await
    .map(Json)
}
