//! The integration tests of the node, one binary (`cargo test -p loanchain-node --test it`).
//!
//! | module | what |
//! |---|---|
//! | `api` | the HTTP API in process over a real RocksDB chain (`fixture`) |
//! | `byzantine` | real node processes with a peer that lies, speaking the wire protocol in process |
//! | `clock` | real node processes, one with its clock 30 s behind (libfaketime): block times |
//! | `cluster` | real `loanchain-node` processes over libp2p on 127.0.0.1 (devnet helper and workload: `common`) |
//! | `resubmit` | real node processes: committed transactions submitted again, by API and gossip, before and after restarts |

mod api;
mod byzantine;
mod clock;
mod cluster;
mod common;
mod fixture;
mod resubmit;
