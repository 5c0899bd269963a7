//! [`NetworkConfig`]: the node key, where to listen, whom to dial, whom to allow, and the size and
//! time limits; [`NetworkConfig::from_genesis`] builds it from a node's `config.json` and genesis.

use std::fmt;
use std::time::Duration;

use libp2p::multiaddr::Protocol;
use libp2p::{Multiaddr, PeerId};
use loanchain_genesis::{Genesis, NodeConfig};

use crate::error::NetworkError;

/// Default largest gossip payload: the largest message the node sends on any topic
/// ([`loanchain_types::limits::MAX_GOSSIP_BYTES`]; gossipsub's own default is 64 KiB, DESIGN §9).
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = loanchain_types::limits::MAX_GOSSIP_BYTES;
/// Default largest block-sync request (requests name heights and hashes).
pub const DEFAULT_MAX_REQUEST_BYTES: usize = loanchain_types::limits::MAX_SYNC_REQUEST_BYTES;
/// Default largest block-sync response (a run of blocks with their certificates).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = loanchain_types::limits::MAX_SYNC_RESPONSE_BYTES;
/// Smallest limit accepted for any payload kind.
pub const MIN_LIMIT_BYTES: usize = 1024;

/// How a node joins the network.
#[derive(Clone)]
pub struct NetworkConfig {
    /// The node key's 32 ed25519 secret bytes (DESIGN §4); the libp2p identity is derived from it.
    pub node_secret: [u8; 32],
    /// Where to listen, for example `/ip4/127.0.0.1/tcp/0`.
    pub listen: Multiaddr,
    /// Whom to dial at start and redial after a drop: each address ends in `/p2p/<peer id>`.
    pub peers: Vec<Multiaddr>,
    /// The only peers that may connect (the genesis validators and observers).
    pub allowed: Vec<PeerId>,
    /// Largest gossip payload, published or received.
    pub max_message_bytes: usize,
    /// Largest block-sync request.
    pub max_request_bytes: usize,
    /// Largest block-sync response.
    pub max_response_bytes: usize,
    /// How long a request may wait for its response.
    pub request_timeout: Duration,
    /// First redial delay after a drop or a failed dial; doubles up to `redial_max`.
    pub redial_min: Duration,
    /// Longest redial delay.
    pub redial_max: Duration,
    /// Gossipsub heartbeat (mesh maintenance and lazy gossip).
    pub gossip_heartbeat: Duration,
    /// Events buffered for the consumer; beyond this, events are dropped and counted.
    pub event_capacity: usize,
    /// Whether received gossip is forwarded only once the consumer accepts it
    /// (`NetworkHandle::validate`), so that no node passes on what it found invalid. Off by default
    /// (a consumer that never reports would stop all forwarding); the node turns it on.
    pub validate_gossip: bool,
}

impl fmt::Debug for NetworkConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NetworkConfig")
            .field("peer_id", &self.local_peer_id())
            .field("listen", &self.listen)
            .field("peers", &self.peers)
            .field("allowed", &self.allowed)
            .field("max_message_bytes", &self.max_message_bytes)
            .field("max_request_bytes", &self.max_request_bytes)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}

/// The libp2p peer id of an ed25519 node key.
pub fn peer_id_from_secret(secret: [u8; 32]) -> PeerId {
    keypair_from_secret(secret).public().to_peer_id()
}

pub(crate) fn keypair_from_secret(secret: [u8; 32]) -> libp2p::identity::Keypair {
    let mut bytes = secret;
    // Infallible for 32 bytes: every 32-byte string is an ed25519 secret key.
    libp2p::identity::Keypair::ed25519_from_bytes(&mut bytes).expect("32 bytes are an ed25519 secret key")
}

/// The peer id of a `/…/p2p/<peer id>` address, if it ends in one.
pub fn peer_of(addr: &Multiaddr) -> Option<PeerId> {
    match addr.iter().last() {
        Some(Protocol::P2p(peer)) => Some(peer),
        _ => None,
    }
}

impl NetworkConfig {
    /// A config with the default limits, no peers and an empty allow-list.
    pub fn new(node_secret: [u8; 32], listen: Multiaddr) -> NetworkConfig {
        NetworkConfig {
            node_secret,
            listen,
            peers: Vec::new(),
            allowed: Vec::new(),
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            request_timeout: Duration::from_secs(10),
            redial_min: Duration::from_millis(250),
            redial_max: Duration::from_secs(10),
            gossip_heartbeat: Duration::from_millis(500),
            event_capacity: 8192,
            validate_gossip: false,
        }
    }

    /// The config of the node described by `node` in the network of `genesis`: its listen
    /// address and peers from `config.json`, the allow-list from genesis (validators and
    /// observers, DESIGN §4), and the default limits.
    pub fn from_genesis(node: &NodeConfig, genesis: &Genesis, node_secret: [u8; 32]) -> Result<NetworkConfig, NetworkError> {
        let parse_addr = |what: &'static str, s: &str| {
            s.parse::<Multiaddr>().map_err(|e| NetworkError::BadConfig { what, value: s.into(), reason: e.to_string() })
        };
        let mut config = NetworkConfig::new(node_secret, parse_addr("p2p_listen", &node.p2p_listen)?);
        config.peers = node.peers.iter().map(|p| parse_addr("peer", p)).collect::<Result<_, _>>()?;
        config.allowed = genesis
            .allowed_peer_ids()
            .into_iter()
            .map(|p| {
                p.parse::<PeerId>().map_err(|e| NetworkError::BadConfig { what: "genesis peer_id", value: p.into(), reason: e.to_string() })
            })
            .collect::<Result<_, _>>()?;
        config.validate()?;
        Ok(config)
    }

    /// The peer id this node will have.
    pub fn local_peer_id(&self) -> PeerId {
        peer_id_from_secret(self.node_secret)
    }

    /// Static checks: every peer address names an allowed peer that is not us, and the limits
    /// and durations are usable.
    pub fn validate(&self) -> Result<(), NetworkError> {
        let bad = |what: &'static str, value: String, reason: &str| NetworkError::BadConfig { what, value, reason: reason.into() };
        let me = self.local_peer_id();
        for addr in &self.peers {
            let Some(peer) = peer_of(addr) else {
                return Err(bad("peer", addr.to_string(), "end it with /p2p/<peer id> so the peer can be authenticated"));
            };
            if peer == me {
                return Err(bad("peer", addr.to_string(), "this is the node's own peer id"));
            }
            if !self.allowed.contains(&peer) {
                return Err(bad("peer", addr.to_string(), "the peer is not in the allow-list, so the connection would be refused"));
            }
        }
        for (what, value) in [
            ("max_message_bytes", self.max_message_bytes),
            ("max_request_bytes", self.max_request_bytes),
            ("max_response_bytes", self.max_response_bytes),
        ] {
            if !(MIN_LIMIT_BYTES..=u32::MAX as usize).contains(&value) {
                return Err(bad(what, value.to_string(), "must be between 1 KiB and 4 GiB"));
            }
        }
        for (what, value) in
            [("request_timeout", self.request_timeout), ("redial_min", self.redial_min), ("gossip_heartbeat", self.gossip_heartbeat)]
        {
            if value.is_zero() {
                return Err(bad(what, format!("{value:?}"), "must be positive"));
            }
        }
        if self.redial_max < self.redial_min {
            return Err(bad("redial_max", format!("{:?}", self.redial_max), "must be at least redial_min"));
        }
        if self.event_capacity == 0 {
            return Err(bad("event_capacity", "0".into(), "must be positive"));
        }
        Ok(())
    }
}
