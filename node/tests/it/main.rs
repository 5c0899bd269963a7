//! The integration tests of the node, one binary (`cargo test -p loanchain-node --test it`).
//!
//! | module | what |
//! |---|---|
//! | `api` | the HTTP API in process over a real RocksDB chain (`fixture`) |
//! | `cluster` | real `loanchain-node` processes over libp2p on 127.0.0.1 (devnet helper and workload: `common`) |

mod api;
mod cluster;
mod common;
mod fixture;
