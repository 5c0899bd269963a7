//! loanchain-api: the node's HTTP API as data (docs/DESIGN.md §11), shared by the node that
//! serves it and `loanctl` that calls it, so the two cannot drift apart.
//!
//! - [`types`]: the JSON shapes of requests and responses;
//! - [`routes`]: every route once, with its method, path, parameters, body, answer and errors;
//!   the node's router, `loanctl`'s client and the description below all read this table;
//! - [`openapi`]: the OpenAPI 3.1 description, generated from the table and the types' JSON
//!   Schemas (schemars), served at `GET /v1/openapi.json`.
//!
//! Errors are always [`types::ErrorBody`] (`{ "error": { "code", "message" } }`) with a 4xx or
//! 5xx status.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod openapi;
pub mod routes;
pub mod types;

pub use routes::{MAX_BATCH_TXS, MAX_BODY_BYTES, Route};
pub use types::*;
