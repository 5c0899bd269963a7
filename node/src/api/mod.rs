//! The HTTP API (DESIGN §11): axum routes under `/v1`, `/metrics` and `/dashboard`.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::routing::get;

use crate::context::NodeContext;

/// The routes.
pub fn router(ctx: Arc<NodeContext>) -> Router {
    Router::new().route("/v1/status", get(status)).with_state(ctx)
}

async fn status(State(ctx): State<Arc<NodeContext>>) -> axum::Json<loanchain_types::api::NodeStatus> {
    axum::Json(ctx.status.borrow().clone())
}

/// Serves until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    ctx: Arc<NodeContext>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(ctx)).with_graceful_shutdown(shutdown).await
}
