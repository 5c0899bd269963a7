//! A node's own configuration (`config.json`): which node it is, where its keys and data live,
//! where it listens and whom it dials. Not part of consensus; the genesis hash it carries lets the
//! node refuse to start on another genesis than the one it was set up for.
//!
//! Relative paths are relative to the directory of `config.json`; [`NodeConfig::load`] resolves
//! them, so a devnet directory can be moved as a whole.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use loanchain_contracts::Hash;
use serde::{Deserialize, Serialize};

use crate::error::GenesisError;
use crate::genesis::{read_limited, write_atomic};
use crate::net::TcpMultiaddr;
use crate::validate::check_node_name;

/// Largest config file [`NodeConfig::load`] reads.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;
/// Transactions a node's mempool holds at most unless its config says otherwise.
pub const DEFAULT_MEMPOOL_CAPACITY: usize = 50_000;
/// The largest `mempool_capacity` a config may ask for.
pub const MAX_MEMPOOL_CAPACITY: usize = 1_000_000;

fn default_mempool_capacity() -> usize {
    DEFAULT_MEMPOOL_CAPACITY
}

pub use loanchain_types::NodeRole;

/// The contents of a node's `config.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// The node's name in genesis.
    pub name: String,
    /// Validator or observer.
    pub role: NodeRole,
    /// The chain it belongs to.
    pub chain_id: String,
    /// The genesis file.
    pub genesis_file: PathBuf,
    /// The genesis hash the node expects ([`crate::Genesis::hash`]).
    pub genesis_hash: Hash,
    /// Its node key file (libp2p identity).
    pub node_key_file: PathBuf,
    /// Its consensus key file (validators only).
    pub consensus_key_file: Option<PathBuf>,
    /// Where it keeps its database and safety record.
    pub data_dir: PathBuf,
    /// Where libp2p listens: `/ip4/A.B.C.D/tcp/PORT` (as in the genesis entry).
    pub p2p_listen: String,
    /// Where the HTTP API (and an observer's dashboard) listens: `A.B.C.D:PORT`.
    pub api_listen: SocketAddr,
    /// Whom to dial at start: every other node, as `/ip4/…/tcp/…/p2p/<peer id>`.
    pub peers: Vec<String>,
    /// Transactions the mempool holds at most (1 to 1,000,000; default 50,000). A full pool
    /// refuses submissions with a retryable error; a node whose pool lacks a proposed block's
    /// transactions fetches the block whole from a peer.
    #[serde(default = "default_mempool_capacity")]
    pub mempool_capacity: usize,
}

impl NodeConfig {
    /// Static checks: the name, a consensus key iff validator, multiaddrs that parse (each peer
    /// with its `/p2p/` peer id).
    pub fn validate(&self) -> Result<(), GenesisError> {
        check_node_name(&self.name)?;
        let bad = |what: &'static str, value: String, reason: String| GenesisError::BadField { what, value, reason };
        match (self.role, &self.consensus_key_file) {
            (NodeRole::Validator, None) => {
                return Err(bad("consensus_key_file", "null".into(), "a validator needs its consensus key file".into()));
            }
            (NodeRole::Observer, Some(p)) => {
                return Err(bad("consensus_key_file", p.display().to_string(), "an observer has no consensus key".into()));
            }
            _ => {}
        }
        if !(1..=MAX_MEMPOOL_CAPACITY).contains(&self.mempool_capacity) {
            return Err(bad("mempool_capacity", self.mempool_capacity.to_string(), format!("must be 1 to {MAX_MEMPOOL_CAPACITY}")));
        }
        let listen: TcpMultiaddr = self.p2p_listen.parse().map_err(|reason| bad("p2p_listen", self.p2p_listen.clone(), reason))?;
        if listen.peer.is_some() {
            return Err(bad("p2p_listen", self.p2p_listen.clone(), "a listen address carries no /p2p/ suffix".into()));
        }
        for peer in &self.peers {
            let addr: TcpMultiaddr = peer.parse().map_err(|reason| bad("peer", peer.clone(), reason))?;
            if addr.peer.is_none() {
                return Err(bad("peer", peer.clone(), "end it with /p2p/<peer id> so the node can authenticate the peer".into()));
            }
        }
        Ok(())
    }

    /// Reads and validates a config file, resolving relative paths against its directory.
    pub fn load(path: impl AsRef<Path>) -> Result<NodeConfig, GenesisError> {
        let path = path.as_ref();
        let bytes = read_limited(path, "node config", MAX_CONFIG_BYTES)?;
        let mut config: NodeConfig =
            serde_json::from_slice(&bytes).map_err(|source| GenesisError::Json { path: path.into(), what: "node config", source })?;
        config.validate()?;
        let base = path.parent().unwrap_or(Path::new("."));
        for p in [&mut config.genesis_file, &mut config.node_key_file, &mut config.data_dir]
            .into_iter()
            .chain(config.consensus_key_file.as_mut())
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        Ok(config)
    }

    /// Writes the config as pretty JSON (paths as given, so relative paths stay relative).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), GenesisError> {
        let json = serde_json::to_string_pretty(self).expect("a node config always encodes as JSON") + "\n";
        write_atomic(path.as_ref(), json.as_bytes(), None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::peer_id_from_secret;

    fn config() -> NodeConfig {
        NodeConfig {
            name: "validator-0".into(),
            role: NodeRole::Validator,
            chain_id: "loanchain-test".into(),
            genesis_file: "../genesis.json".into(),
            genesis_hash: Hash::ZERO,
            node_key_file: "node.json".into(),
            consensus_key_file: Some("consensus.json".into()),
            data_dir: "data".into(),
            p2p_listen: "/ip4/127.0.0.1/tcp/26600".into(),
            api_listen: "127.0.0.1:26601".parse().unwrap(),
            peers: vec![format!("/ip4/127.0.0.1/tcp/26602/p2p/{}", peer_id_from_secret([1; 32]))],
            mempool_capacity: DEFAULT_MEMPOOL_CAPACITY,
        }
    }

    #[test]
    fn configs_are_checked() {
        config().validate().unwrap();
        let cases = [
            NodeConfig { consensus_key_file: None, ..config() },
            NodeConfig { role: NodeRole::Observer, ..config() },
            NodeConfig { p2p_listen: "127.0.0.1:26600".into(), ..config() },
            NodeConfig { peers: vec!["/ip4/127.0.0.1/tcp/26602".into()], ..config() },
            NodeConfig { name: "a/b".into(), ..config() },
            NodeConfig { mempool_capacity: 0, ..config() },
            NodeConfig { mempool_capacity: MAX_MEMPOOL_CAPACITY + 1, ..config() },
        ];
        for bad in cases {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
        let json = serde_json::to_string(&config()).unwrap();
        assert_eq!(serde_json::from_str::<NodeConfig>(&json).unwrap(), config());
        // A config written before `mempool_capacity` existed still loads, with the default.
        let mut old: serde_json::Value = serde_json::from_str(&json).unwrap();
        old.as_object_mut().unwrap().remove("mempool_capacity");
        assert_eq!(serde_json::from_value::<NodeConfig>(old).unwrap().mempool_capacity, DEFAULT_MEMPOOL_CAPACITY);
    }
}
