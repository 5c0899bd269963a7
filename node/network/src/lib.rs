//! The loanchain peer-to-peer layer: gossip of transactions, consensus messages and blocks,
//! request-response for block sync, and the genesis allow-list, behind a small handle.
//!
//! DESIGN §9 and §12: libp2p over TCP + noise + yamux; gossipsub without per-message libp2p
//! signatures (our payloads are signed) and with content-addressed message ids; raised message
//! size limits for blocks; identify; only peers listed in genesis may connect (DESIGN §4).
//!
//! Consumers see [`NetworkHandle`], [`NetworkEvent`], [`NetworkError`] and the re-exported
//! [`PeerId`] and [`Multiaddr`], never a libp2p behaviour or swarm (STYLE habit 11):
//!
//! ```no_run
//! # async fn demo(secret: [u8; 32], peers: Vec<loanchain_network::Multiaddr>, allowed: Vec<loanchain_network::PeerId>) -> Result<(), loanchain_network::NetworkError> {
//! use loanchain_network::{Network, NetworkConfig, NetworkEvent, Topic};
//! let mut config = NetworkConfig::new(secret, "/ip4/127.0.0.1/tcp/0".parse().unwrap());
//! config.peers = peers;
//! config.allowed = allowed;
//! let (net, mut events) = Network::start(config).await?;
//! while let Some(event) = events.recv().await {
//!     match event {
//!         NetworkEvent::Gossip { topic: Topic::Transactions, data, .. } => { /* to the mempool */ }
//!         NetworkEvent::Request { data, reply, .. } => net.respond(reply, data).await?,
//!         _ => {}
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! | module | what |
//! |---|---|
//! | `config` | [`NetworkConfig`], built by hand or from a node's `config.json` and genesis |
//! | `event` | [`NetworkEvent`], [`Topic`], [`RequestId`], [`content_id`] |
//! | `handle` | [`NetworkHandle`]: publish, request, respond, peer counts, shutdown |
//! | `codec` | the length-prefixed block-sync frames and their bounds |
//! | `behaviour` | the libp2p stack and its configuration choices |
//! | `driver` | the swarm task: commands, events, allow-list reports, redial with backoff |
//! | `error` | [`NetworkError`] and its [`ErrorClass`] |

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod behaviour;
pub mod codec;
mod config;
mod driver;
mod error;
mod event;
mod handle;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

pub use behaviour::PROTOCOL_VERSION;
pub use config::{
    DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_REQUEST_BYTES, DEFAULT_MAX_RESPONSE_BYTES, MIN_LIMIT_BYTES, NetworkConfig, peer_id_from_secret,
    peer_of,
};
pub use error::{ErrorClass, NetworkError, RequestFailure};
pub use event::{GossipId, NetworkEvent, RequestId, Topic, Verdict, content_id};
pub use handle::NetworkHandle;
pub use libp2p::{Multiaddr, PeerId};

/// Commands queued from handles to the swarm task before senders wait.
const COMMAND_CAPACITY: usize = 1024;
/// How long `start` waits for the listener to report its address.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(10);

/// Starts the network.
pub struct Network;

impl Network {
    /// Builds the swarm, listens (waiting until the listen address is known, so a port-0 address
    /// can be read from [`NetworkHandle::listen_addrs`]), dials the configured peers and spawns
    /// the swarm task on the current tokio runtime.
    pub async fn start(config: NetworkConfig) -> Result<(NetworkHandle, mpsc::Receiver<NetworkEvent>), NetworkError> {
        config.validate()?;
        let swarm = behaviour::build_swarm(&config)?;
        let local_peer_id = *swarm.local_peer_id();
        let shared = Arc::new(handle::Shared::default());
        let (event_tx, event_rx) = mpsc::channel(config.event_capacity);
        let (command_tx, command_rx) = mpsc::channel(COMMAND_CAPACITY);

        let mut driver = driver::Driver::new(swarm, &config, event_tx, shared.clone());
        driver.listen(config.listen.clone(), LISTEN_TIMEOUT).await?;
        driver.dial_configured();
        tokio::spawn(driver.run(command_rx));

        let limits = handle::Limits {
            max_message_bytes: config.max_message_bytes,
            max_request_bytes: config.max_request_bytes,
            max_response_bytes: config.max_response_bytes,
            request_timeout: config.request_timeout,
        };
        Ok((NetworkHandle { commands: command_tx, shared, local_peer_id, limits }, event_rx))
    }
}
