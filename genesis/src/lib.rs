//! loanchain-genesis: the genesis file of a loanchain network, with the tools to make one.
//!
//! - [`Genesis`] (DESIGN §4): chain id, time, loan parameters, consensus parameters, validators,
//!   observers and genesis accounts; [`Genesis::validate`] checks every rule a node relies on,
//!   [`Genesis::hash`] is SHA-256 of its bcs encoding.
//! - [`keys`]: the one key-file format for account, consensus, node (libp2p) and seal keys.
//! - [`seal`]: seal certificates issued by a seal authority (DESIGN §7).
//! - [`NodeConfig`]: a node's own `config.json`.
//! - [`devnet`](devnet::devnet): a whole local network from a seed, deterministic for tests.
//!
//! The binary `loanchain-genesis` wraps these (`devnet`, `keys`, `seal issue`, `validate`). The
//! crate does no networking: peer ids come from the light `libp2p-identity` crate.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod config;
pub mod devnet;
mod error;
mod genesis;
pub mod keys;
pub mod net;
pub mod seal;
mod validate;

pub use config::{DEFAULT_MEMPOOL_CAPACITY, MAX_MEMPOOL_CAPACITY, NodeConfig, NodeRole};
pub use devnet::{DevnetFiles, DevnetNode, DevnetSpec, devnet};
pub use error::GenesisError;
pub use genesis::{ConsensusParams, GENESIS_VERSION, Genesis, MAX_GENESIS_BYTES, ObserverEntry, ValidatorEntry};
pub use keys::{Key, KeyFile, KeyKind, read_key, read_key_of, write_key};
pub use validate::check_node_name;
