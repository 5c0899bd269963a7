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
//! | `context` | [`context::NodeContext`]: what the API and the chain task share; [`context::WorkLimits`] |
//! | `admission` | transaction admission: decode, batch-verify signatures, mempool rules, gossip |
//! | `mempool` | the bounded pool of verified transactions |
//! | `chain` | the chain task: the consensus core's host (proposals, validation, commit, block sync, evidence) |
//! | `wire` | what nodes send each other (gossip, block sync) |
//! | `metrics` | Prometheus metrics |
//! | `api` | the HTTP API under `/v1`, `/metrics`, `/dashboard` |
//! | `runtime` | starting a node: storage, network, API, gossip batcher, chain task |
#![forbid(unsafe_code)]

pub mod admission;
pub mod api;
pub mod chain;
pub mod context;
pub mod mempool;
pub mod metrics;
pub mod runtime;
pub mod wire;
