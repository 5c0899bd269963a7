//! The libp2p stack: TCP + noise + yamux, and one behaviour composed of the allow-list,
//! identify, gossipsub and request-response (DESIGN §9).
//!
//! Choices (DESIGN §12):
//! - **allow-list first**: `allow_block_list::Behaviour<AllowedPeers>` denies any connection whose
//!   noise-authenticated peer id is not in genesis, before the other behaviours run a protocol on
//!   it, and denies dialing such a peer;
//! - **gossipsub, anonymous**: `MessageAuthenticity::Anonymous` with `ValidationMode::Anonymous`,
//!   so no per-message libp2p signature (our payloads are signed already) and no author or
//!   sequence number on the wire; inbound messages that carry them are rejected;
//! - **content-addressed ids**: message id = SHA-256 of the payload, so duplicates are dropped by
//!   content whoever publishes them;
//! - **sizes**: `max_transmit_size` = the payload limit plus room for the protobuf envelope;
//! - **flood publish** (gossipsub's default) sends our own messages to every subscribed peer at
//!   once, not just the mesh: the lowest latency for a small permissioned network;
//! - **control messages within what peers accept**: gossipsub 0.50 sends IHAVEs of up to 5,000
//!   message ids but accepts 16 KiB of control per RPC, so after a burst of gossip a peer's
//!   honest IHAVE failed to decode, the receiver closed that peer's stream, and yamux dropped
//!   what came on it while the connection stayed up: that peer's gossip never reached it again
//!   (issue 16, weakness 9). Both bounds come from the limits table
//!   ([`MAX_GOSSIP_CONTROL_IDS`], [`MAX_GOSSIP_CONTROL_BYTES`]);
//! - **a small mesh** (D = 2) and IDONTWANT on publish: since the publisher reaches everyone
//!   directly, forwarding is only a repair path, and every forwarded copy costs the receiver
//!   decryption and a content hash before it is dropped as a duplicate.

use std::time::Duration;

use libp2p::allow_block_list::{self, AllowedPeers};
use libp2p::gossipsub::{self, MessageAuthenticity, MessageId, ValidationMode};
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::NetworkBehaviour;
use libp2p::{Swarm, SwarmBuilder, identify, noise, tcp, yamux};

use crate::codec::{FrameCodec, SYNC_PROTOCOL};
use crate::config::{NetworkConfig, keypair_from_secret};
use crate::error::NetworkError;
use crate::event::{Topic, content_id};
use loanchain_types::limits::{GOSSIP_TOPICS, MAX_GOSSIP_CONTROL_BYTES, MAX_GOSSIP_CONTROL_IDS};

const _: () = assert!(Topic::ALL.len() <= GOSSIP_TOPICS);

/// The identify protocol version: peers announce it, so a mismatch is visible in logs.
pub const PROTOCOL_VERSION: &str = "/loanchain/1";

/// Room for the gossipsub protobuf envelope (topic, control) around a payload.
const ENVELOPE_BYTES: usize = 64 << 10;

/// A connection without any open stream is closed after this long; gossipsub keeps connections to
/// subscribed peers busy, so in practice connections to validators stay up.
const IDLE_CONNECTION_TIMEOUT: Duration = Duration::from_secs(3600);

/// Peers each node forwards a gossip message to (gossipsub's D), besides the publisher's flood.
const MESH_N: usize = 2;

/// The composed behaviour; field order is the order in which connections are offered, so the
/// allow-list sees them first.
#[derive(NetworkBehaviour)]
pub(crate) struct Behaviour {
    pub allow: allow_block_list::Behaviour<AllowedPeers>,
    pub identify: identify::Behaviour,
    pub gossip: gossipsub::Behaviour,
    pub sync: request_response::Behaviour<FrameCodec>,
}

/// The gossipsub configuration for `config` (see the module doc).
fn gossip_config(config: &NetworkConfig) -> Result<gossipsub::Config, NetworkError> {
    let mut builder = gossipsub::ConfigBuilder::default();
    if config.validate_gossip {
        builder.validate_messages();
    }
    builder
        .validation_mode(ValidationMode::Anonymous)
        .message_id_fn(|m: &gossipsub::Message| MessageId::new(&content_id(&m.data)))
        .max_transmit_size(config.max_message_bytes + ENVELOPE_BYTES)
        .heartbeat_interval(config.gossip_heartbeat)
        .flood_publish(true)
        // Every publisher floods to all peers already; mesh forwarding only repairs a lost direct
        // send, so a small mesh is enough and each extra copy is bytes to decrypt and hash. With
        // gossipsub's default (6) every node of a 5-node devnet forwarded every message to every
        // other: about 20 KB of loopback traffic per 1.5 KB funding (measured, /proc/net/dev).
        .mesh_n(MESH_N)
        .mesh_n_low(1)
        .mesh_n_high(MESH_N + 1)
        .mesh_outbound_min(1)
        // The publisher tells its peers not to send its own message back.
        .idontwant_on_publish(true)
        // What one IHAVE or IWANT names, and the control bytes a peer's RPC may carry: the
        // second holds the first for every topic (see the module doc).
        .max_control_messages_sent(MAX_GOSSIP_CONTROL_IDS)
        .max_control_message_size(MAX_GOSSIP_CONTROL_BYTES)
        .build()
        .map_err(|e| NetworkError::BadConfig { what: "gossipsub", value: String::new(), reason: e.to_string() })
}

/// Builds the swarm (not yet listening or dialing).
/// Weight of one invalid message (gossipsub's P4, which squares the count): three messages this
/// node rejected put a peer below the graylist threshold (-80), so its messages are dropped before
/// they are decoded; the count halves every second, so a peer that stops is heard again within
/// seconds.
const INVALID_MESSAGE_WEIGHT: f64 = -10.0;

/// Peer scoring on what this node rejected only (with `validate_gossip`, no honest node forwards
/// a message it rejected, so a rejected message blames the peer that made it). Every other
/// component is off: mesh delivery rates, time in mesh and slow-peer penalties would count a quiet
/// or briefly cut-off honest validator against it, and IP colocation means nothing when every peer
/// is in genesis.
fn peer_scoring() -> (gossipsub::PeerScoreParams, gossipsub::PeerScoreThresholds) {
    let topic = gossipsub::TopicScoreParams {
        topic_weight: 1.0,
        time_in_mesh_weight: 0.0,
        first_message_deliveries_weight: 0.0,
        mesh_message_deliveries_weight: 0.0,
        mesh_failure_penalty_weight: 0.0,
        invalid_message_deliveries_weight: INVALID_MESSAGE_WEIGHT,
        invalid_message_deliveries_decay: 0.5,
        ..Default::default()
    };
    let params = gossipsub::PeerScoreParams {
        topics: Topic::ALL.into_iter().map(|t| (t.ident().hash(), topic.clone())).collect(),
        app_specific_weight: 0.0,
        ip_colocation_factor_weight: 0.0,
        behaviour_penalty_weight: 0.0,
        slow_peer_weight: 0.0,
        decay_interval: Duration::from_secs(1),
        ..Default::default()
    };
    (params, gossipsub::PeerScoreThresholds::default())
}

pub(crate) fn build_swarm(config: &NetworkConfig) -> Result<Swarm<Behaviour>, NetworkError> {
    let keypair = keypair_from_secret(config.node_secret);
    let gossip_config = gossip_config(config)?;
    let codec = FrameCodec { max_request_bytes: config.max_request_bytes, max_response_bytes: config.max_response_bytes };
    let sync_config = request_response::Config::default().with_request_timeout(config.request_timeout);
    let transport_error = |e: &dyn std::fmt::Display| NetworkError::Transport { reason: e.to_string() };

    let mut swarm = SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(tcp::Config::default().nodelay(true), noise::Config::new, yamux::Config::default)
        .map_err(|e| transport_error(&e))?
        .with_behaviour(|key| {
            let mut allow = allow_block_list::Behaviour::<AllowedPeers>::default();
            for peer in &config.allowed {
                allow.allow_peer(*peer);
            }
            let mut gossip = gossipsub::Behaviour::new(MessageAuthenticity::Anonymous, gossip_config)?;
            if config.validate_gossip {
                let (params, thresholds) = peer_scoring();
                gossip.with_peer_score(params, thresholds)?;
            }
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(Behaviour {
                allow,
                identify: identify::Behaviour::new(identify::Config::new(PROTOCOL_VERSION.into(), key.public())),
                gossip,
                sync: request_response::Behaviour::with_codec(codec, [(SYNC_PROTOCOL, ProtocolSupport::Full)], sync_config),
            })
        })
        .map_err(|e| transport_error(&e))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(IDLE_CONNECTION_TIMEOUT))
        .build();

    for topic in Topic::ALL {
        swarm.behaviour_mut().gossip.subscribe(&topic.ident()).map_err(|e| NetworkError::BadConfig {
            what: "topic",
            value: topic.to_string(),
            reason: e.to_string(),
        })?;
    }
    Ok(swarm)
}

#[cfg(test)]
mod tests {
    use super::*;
    use libp2p::Multiaddr;

    /// Bytes one message id takes in an IHAVE or IWANT: a protobuf tag, a one-byte length, the
    /// 32-byte SHA-256 content id.
    const ID_ON_THE_WIRE: usize = 1 + 1 + 32;

    /// Issue 16, weakness 9: the control bytes a node accepts in one RPC must hold the largest
    /// IHAVE a peer with the same configuration sends it (gossipsub 0.50's defaults: IHAVEs of up
    /// to 5,000 ids, 16 KiB of control accepted). Otherwise the receiver fails to decode that
    /// RPC and closes its inbound stream, and the peer's gossip is dropped for good inside a live
    /// connection: a 7-validator devnet froze so under load.
    #[test]
    fn the_largest_ihave_a_peer_sends_fits_the_control_bytes_a_node_accepts() {
        let config = gossip_config(&NetworkConfig::new([1; 32], "/ip4/127.0.0.1/tcp/0".parse::<Multiaddr>().unwrap())).unwrap();
        let topic = Topic::ALL.iter().map(|t| t.ident().hash().as_str().len() + 2).max().unwrap();
        // One IHAVE per topic in a heartbeat, each in its own RPC; counted as if all were in one.
        let largest = Topic::ALL.len() * (topic + 4 + config.max_control_messages_sent() * ID_ON_THE_WIRE);
        assert!(
            largest <= config.max_control_message_size(),
            "an IHAVE of {} ids takes up to {largest} bytes; a node accepts {}",
            config.max_control_messages_sent(),
            config.max_control_message_size()
        );
    }
}
