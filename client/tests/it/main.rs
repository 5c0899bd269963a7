//! Integration tests of loanctl, one test binary (STYLE: reth's habit), both running the binary as
//! a process:
//!
//! - `cli`: the offline commands (schedule preview, keys, `contract verify`).
//! - `mock_node`: the network commands against a mock node (`tests/support`).
//!
//! `tests/devnet.rs` stays a binary of its own (`--test devnet`): scripts/test.sh runs it alone
//! against a live devnet. It shares `tests/support` with this one.

#[path = "../support/mod.rs"]
mod support;

mod cli;
mod mock_node;
