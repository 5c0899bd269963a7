//! loanchain-sim: a deterministic discrete-event simulator of loanchain consensus (DESIGN §8,
//! STYLE habits 3 and 4).
//!
//! N validators run the real [`loanchain_consensus::Core`], consuming its
//! [`loanchain_consensus::Ready`] as the node does, over a simulated network with virtual time: per-link latency
//! and jitter, loss, duplication, reordering, partitions that heal; crashes (also inside a WAL
//! write, also of every validator at once) and restarts from the persisted WAL and block store
//! only, through [`loanchain_consensus::Core::recover`]; and up to f Byzantine validators as
//! named mocks (equivocator, silent, stale replayer, backdater). A checker verifies agreement, validity, that
//! no honest validator double-signs, certificates, and progress after the heal.
//!
//! The whole node (the node's chain host with real blocks, transactions and execution) runs in
//! `loanchain-sim-node` (`node/sim-node`), which this crate's generator serves.
//!
//! Everything follows from the seed: a failure prints its seed, and replaying the seed gives the
//! same trace hash.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod checker;
pub mod rng;
pub mod scenario;
pub mod sim;
pub mod sweep;

pub use scenario::{FaultMix, Scenario};
pub use sim::{Outcome, SimOptions, run};
