//! The HTTP API (DESIGN §11): axum routes under `/v1`, `/metrics` and `/dashboard`.
//!
//! The routes and their JSON shapes are the table of [`loanchain_api::routes`], the contract with
//! `loanctl`. Every handler reads committed state through one storage snapshot (so a response
//! agrees with a single app hash) on a blocking thread, and every failure is an [`ApiErr`]: JSON
//! `{ "error": { "code", "message" } }` with its status — 400 for what cannot be read, 403 on an
//! observer, 404 for unknown ids and paths, 405, 413 over [`MAX_BODY_BYTES`], 422 for contract
//! rules, 503 when the mempool is full. Bad input never reaches an `unwrap` or a 500.
//!
//! | file | routes |
//! |---|---|
//! | `chain` | status, blocks, `/metrics` |
//! | `tx` | submit one, submit a batch, transaction status |
//! | `loans` | loan list, detail, history, contract export |
//! | `accounts` | account, its claims, risk pool |
//! | `supervision` | the regulator's summary and alerts, equivocation evidence |
//! | `events` | server-sent committed events |
//! | `dashboard` | the regulator's HTML dashboard |

mod accounts;
mod chain;
mod dashboard;
pub mod error;
mod events;
mod extract;
mod loans;
mod supervision;
mod tx;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post};
use loanchain_api::MAX_BODY_BYTES;
use tokio::sync::watch;

pub use error::ApiErr;

use crate::context::NodeContext;

/// What every handler gets: the node's shared context, and the signal that ends long-lived
/// responses (server-sent events) when the server shuts down.
#[derive(Clone)]
pub(crate) struct ApiState {
    ctx: Arc<NodeContext>,
    shutdown: Option<watch::Receiver<bool>>,
}

/// The API's routes over `ctx` (no shutdown signal: event streams end only with the client).
pub fn router(ctx: Arc<NodeContext>) -> Router {
    build(ApiState { ctx, shutdown: None })
}

fn build(state: ApiState) -> Router {
    use loanchain_api::routes as r;
    Router::new()
        .route(r::STATUS.path, get(chain::status))
        .route(r::SUBMIT.path, post(tx::submit))
        .route(r::SUBMIT_BATCH.path, post(tx::submit_batch))
        .route(r::TX_STATUS.path, get(tx::status))
        .route(r::LATEST_BLOCK.path, get(chain::latest_block))
        .route(r::BLOCK.path, get(chain::block))
        .route(r::LOANS.path, get(loans::list))
        .route(r::LOAN.path, get(loans::detail))
        .route(r::LOAN_HISTORY.path, get(loans::history))
        .route(r::LOAN_CONTRACT.path, get(loans::contract))
        .route(r::ACCOUNT.path, get(accounts::account))
        .route(r::ACCOUNT_CLAIMS.path, get(accounts::claims))
        .route(r::RISK_POOL.path, get(accounts::risk_pool))
        .route(r::SUPERVISION_SUMMARY.path, get(supervision::summary))
        .route(r::SUPERVISION_ALERTS.path, get(supervision::alerts))
        .route(r::EVIDENCE.path, get(supervision::evidence))
        .route(r::EVENTS.path, get(events::stream))
        .route(r::OPENAPI.path, get(openapi))
        .route(r::METRICS.path, get(chain::metrics))
        .route(r::DASHBOARD.path, get(dashboard::page))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// `GET /v1/openapi.json`: the description generated from the route table and the types, once
/// per process (it never changes while the node runs, and anyone may ask for it).
async fn openapi() -> axum::response::Response {
    use axum::response::IntoResponse;
    static DOC: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| loanchain_api::openapi::document().to_string());
    ([(axum::http::header::CONTENT_TYPE, "application/json")], DOC.as_str()).into_response()
}

/// Serves the API on `listener` until `shutdown` completes; then stops accepting, ends the event
/// streams and waits for the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    ctx: Arc<NodeContext>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop, stopped) = watch::channel(false);
    let app = build(ApiState { ctx, shutdown: Some(stopped) });
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "HTTP API listening");
    }
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop.send(true);
        })
        .await
}

async fn not_found(uri: axum::http::Uri) -> ApiErr {
    ApiErr::not_found(format!("no route {}", uri.path()))
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiErr {
    ApiErr::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", format!("{method} is not allowed on {}", uri.path()))
}

/// Runs `f` (storage reads) on a blocking thread, at most [`crate::context::WorkLimits`] of them
/// at once. A panic in it is a 500, not a dead worker.
pub(crate) async fn blocking<T, F>(ctx: &Arc<NodeContext>, f: F) -> Result<T, ApiErr>
where
    T: Send + 'static,
    F: FnOnce(&NodeContext) -> Result<T, ApiErr> + Send + 'static,
{
    let job_ctx = ctx.clone();
    crate::context::WorkLimits::run(&ctx.limits.reads, move || f(&job_ctx)).await.ok_or_else(|| ApiErr::internal("the read failed"))?
}
