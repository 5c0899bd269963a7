//! The HTTP API (DESIGN §11): axum routes under `/v1`, `/metrics` and `/dashboard`.
