//! `POST /v1/transactions`, `POST /v1/transactions/batch` and `GET /v1/transactions/{hash}`.
//!
//! Admission is [`NodeContext::submit`](crate::context::NodeContext::submit) in
//! [`crate::admission`]: signatures verified
//! in one batch, the mempool's checks, gossip. A refusal changes nothing.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use loanchain_api::{
    ApiError, BatchItemResult, BatchSubmitRequest, BatchSubmitResponse, MAX_BATCH_TXS, NodeRole, SubmitRequest, SubmitResponse, TxState,
    TxStatus,
};
use loanchain_contracts::Hash;

use super::error::ApiErr;
use super::extract::{JsonBody, PathParam};
use super::{ApiState, blocking};
use crate::admission::SubmitError;

fn read_only() -> ApiErr {
    SubmitError::ReadOnly.into()
}

fn decode_hex(tx: &str) -> Result<Vec<u8>, SubmitError> {
    hex::decode(tx.trim()).map_err(|e| SubmitError::Malformed(format!("the transaction is not hex: {e}")))
}

/// One transaction: 202 with its hash once the mempool holds it.
pub(crate) async fn submit(
    State(s): State<ApiState>,
    JsonBody(req): JsonBody<SubmitRequest>,
) -> Result<(StatusCode, Json<SubmitResponse>), ApiErr> {
    if s.ctx.role == NodeRole::Observer {
        return Err(read_only());
    }
    let bytes = decode_hex(&req.tx)?;
    match s.ctx.submit(vec![bytes]).await.pop() {
        Some(Ok(tx_hash)) => Ok((StatusCode::ACCEPTED, Json(SubmitResponse { tx_hash }))),
        Some(Err(e)) => Err(e.into()),
        None => Err(ApiErr::internal("admission gave no verdict")),
    }
}

/// Many transactions, verified in one batch: 200 with one verdict per transaction, in order.
pub(crate) async fn submit_batch(
    State(s): State<ApiState>,
    JsonBody(req): JsonBody<BatchSubmitRequest>,
) -> Result<Json<BatchSubmitResponse>, ApiErr> {
    if s.ctx.role == NodeRole::Observer {
        return Err(read_only());
    }
    if req.txs.len() > MAX_BATCH_TXS {
        return Err(ApiErr::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_large",
            format!("{} transactions in one batch; the limit is {MAX_BATCH_TXS}", req.txs.len()),
        ));
    }
    // Hex errors are answered in place; the rest go to admission together.
    let decoded: Vec<Result<Vec<u8>, SubmitError>> = req.txs.iter().map(|t| decode_hex(t)).collect();
    let raw: Vec<Vec<u8>> = decoded.iter().filter_map(|d| d.as_ref().ok().cloned()).collect();
    let mut verdicts = s.ctx.submit(raw).await.into_iter();
    let results = decoded
        .into_iter()
        .map(|d| {
            let verdict = match d {
                Ok(_) => verdicts.next().unwrap_or(Err(SubmitError::ShuttingDown)),
                Err(e) => Err(e),
            };
            match verdict {
                Ok(tx_hash) => BatchItemResult::Accepted { tx_hash },
                Err(e) => BatchItemResult::Rejected { error: ApiError::from(&e) },
            }
        })
        .collect();
    Ok(Json(BatchSubmitResponse { results }))
}

/// Pending (in this node's mempool), committed (with its receipt), or unknown.
pub(crate) async fn status(State(s): State<ApiState>, hash: PathParam) -> Result<Json<TxStatus>, ApiErr> {
    let tx_hash: Hash = hash.parse("transaction hash (64 hex digits)")?;
    let unknown = TxStatus { tx_hash, state: TxState::Unknown, height: None, index: None, block_time_ms: None, receipt: None };
    // The index first: a transaction committed by a block this node did not build may still sit
    // in its pool until the node has applied that block.
    blocking(&s.ctx, move |ctx| {
        let Some(at) = ctx.storage.tx_location(&tx_hash)? else {
            let state = if ctx.mempool.contains(&tx_hash) { TxState::Pending } else { TxState::Unknown };
            return Ok(TxStatus { state, ..unknown });
        };
        let receipt = ctx.storage.receipt(at.height, at.index)?;
        let block_time_ms = ctx.storage.block(at.height)?.map(|b| b.header.time_ms);
        Ok(TxStatus { state: TxState::Committed, height: Some(at.height), index: Some(at.index), block_time_ms, receipt, ..unknown })
    })
    .await
    .map(Json)
}
