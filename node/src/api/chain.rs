//! `GET /v1/status`, `GET /v1/blocks/latest`, `GET /v1/blocks/{height}` and `GET /metrics`.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use loanchain_api::{BlockInfo, NodeStatus};
use loanchain_contracts::Hash;

use super::error::ApiErr;
use super::extract::PathParam;
use super::{ApiState, blocking};
use crate::context::NodeContext;

/// The content type of `prometheus-client`'s text encoding (it ends with `# EOF`).
pub const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The latest status of the chain task (which republishes it on every commit and peer change),
/// with the mempool size read live.
pub(crate) async fn status(State(s): State<ApiState>) -> Json<NodeStatus> {
    let mut status = s.ctx.status.borrow().clone();
    status.mempool_size = s.ctx.mempool.len();
    Json(status)
}

pub(crate) async fn latest_block(State(s): State<ApiState>) -> Result<Json<BlockInfo>, ApiErr> {
    blocking(&s.ctx, |ctx| {
        let height = ctx.storage.last_committed().map(|l| l.height).unwrap_or(0);
        if height == 0 {
            return Err(ApiErr::not_found("no block has been committed yet"));
        }
        block_info(ctx, height)
    })
    .await
    .map(Json)
}

pub(crate) async fn block(State(s): State<ApiState>, height: PathParam) -> Result<Json<BlockInfo>, ApiErr> {
    let height: u64 = height.parse("block height")?;
    blocking(&s.ctx, move |ctx| block_info(ctx, height)).await.map(Json)
}

fn block_info(ctx: &NodeContext, height: u64) -> Result<BlockInfo, ApiErr> {
    let block = ctx.storage.block(height)?.ok_or_else(|| ApiErr::not_found(format!("no block at height {height}")))?;
    let certificate = ctx.storage.certificate(height)?;
    // The app hash after block h: the last commit's, or what block h + 1's header carries.
    let app_hash_after = match ctx.storage.last_committed() {
        Some(last) if last.height == height => Some(last.app_hash),
        _ => ctx.storage.block(height + 1)?.map(|next| next.header.app_hash),
    };
    Ok(BlockInfo {
        hash: block.hash(),
        tx_hashes: block.transactions.iter().map(|tx| Hash::digest(tx)).collect(),
        header: block.header,
        certificate,
        app_hash_after,
    })
}

pub(crate) async fn metrics(State(s): State<ApiState>) -> impl IntoResponse {
    s.ctx.metrics.mempool_size.set(i64::try_from(s.ctx.mempool.len()).unwrap_or(i64::MAX));
    ([(header::CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE)], s.ctx.metrics.render())
}
