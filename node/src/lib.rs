//! loanchain-node: the validator and observer of loanchain (DESIGN §8–§11).
//!
//! A validator runs the Tendermint core of `loanchain-consensus` over the libp2p network of
//! `loanchain-network`, executes committed blocks with the contracts state machine, and keeps
//! everything in RocksDB through `loanchain-storage`. An observer is the same program without a
//! consensus key: it follows the chain, verifies every commit certificate against the genesis
//! validator set, executes, and serves the read-only API and the regulator's dashboard.
//!
//! | module | what |
//! |---|---|
//! | `context` | [`context::NodeContext`]: what the API and the chain task share; transaction admission |
//! | `mempool` | the bounded pool of verified transactions |
//! | `metrics` | Prometheus metrics |
//! | `api` | the HTTP API under `/v1`, `/metrics`, `/dashboard` |
#![forbid(unsafe_code)]

pub mod api;
pub mod context;
pub mod mempool;
pub mod metrics;
pub mod chain;
pub mod runtime;
pub mod wire;
