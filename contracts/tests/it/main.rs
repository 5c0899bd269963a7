//! Integration tests of loanchain-contracts, one test binary (STYLE: reth's habit):
//!
//! - `lifecycle`: scenario tests, one per story of DESIGN §6.
//! - `transactions`: the transaction envelope (DESIGN §5), golden bytes, the replay window.
//! - `role_matrix`: every transaction kind signed by every role (DESIGN §1, §5).
//! - `seals`: e-seal verification, export, golden fixtures (DESIGN §7).
//! - `properties`: random sequences of transactions: money conserved, no claim paid twice.
//! - `schedule_props`, `schedule_reference`: schedules against properties and reference figures.
//! - `common`: the in-memory test chain the scenario modules share.
//!
//! Golden fixtures and reference data stay in `tests/fixtures/` and `tests/data/`, read by path
//! from `CARGO_MANIFEST_DIR`. Regenerate the fixtures deliberately with
//! `LOANCHAIN_BLESS=1 cargo test --release -p loanchain-contracts --test it`: that is a wire-format
//! change.

mod common;
mod lifecycle;
mod properties;
mod role_matrix;
mod schedule_props;
mod schedule_reference;
mod seals;
mod transactions;
