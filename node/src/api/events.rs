//! `GET /v1/events`: committed events as server-sent events.
//!
//! The stream opens with a comment line, then sends each [`CommittedEvent`] of each committed
//! block as one `data:` line of JSON (SSE event type `message`). A subscriber too slow to keep up
//! with the node's broadcast buffer gets one `event: lagged` message whose data is
//! `{"skipped": N}` (N blocks of events it missed) and the stream goes on from the oldest block
//! still buffered. The stream ends when the node shuts down.

use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures::stream::{self, Stream, StreamExt};
use loanchain_api::CommittedEvent;
use tokio::sync::broadcast::error::RecvError;

use super::ApiState;

fn message(e: &CommittedEvent) -> SseEvent {
    match serde_json::to_string(e) {
        Ok(json) => SseEvent::default().data(json),
        // Unreachable for these types; a client still learns something went wrong.
        Err(err) => SseEvent::default().event("error").data(err.to_string()),
    }
}

fn lagged(skipped: u64) -> SseEvent {
    SseEvent::default().event("lagged").data(serde_json::json!({ "skipped": skipped }).to_string())
}

pub(crate) async fn stream(State(s): State<ApiState>) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let rx = s.ctx.events.subscribe();
    let updates = stream::unfold(rx, |mut rx| async move {
        let batch: Vec<Result<SseEvent, Infallible>> = match rx.recv().await {
            Ok(events) => events.iter().map(|e| Ok(message(e))).collect(),
            Err(RecvError::Lagged(n)) => vec![Ok(lagged(n))],
            Err(RecvError::Closed) => return None,
        };
        Some((stream::iter(batch), rx))
    })
    .flatten();
    let mut shutdown = s.shutdown.clone();
    let stopped = async move {
        match shutdown.as_mut() {
            // Also ends if the server is gone (the sender dropped).
            Some(rx) => {
                let _ = rx.wait_for(|stop| *stop).await;
            }
            None => std::future::pending::<()>().await,
        }
    };
    let hello = stream::once(async { Ok(SseEvent::default().comment("loanchain committed events")) });
    Sse::new(hello.chain(updates).take_until(stopped)).keep_alive(KeepAlive::default())
}
