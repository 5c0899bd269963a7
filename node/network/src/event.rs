//! What the network tells its consumer ([`NetworkEvent`]) and the names it uses: gossip
//! [`Topic`]s, inbound [`RequestId`]s and the content id of a gossip message.

use std::fmt;

use libp2p::PeerId;
use libp2p::gossipsub::{IdentTopic, TopicHash};
use libp2p::request_response::InboundRequestId;
use sha2::{Digest, Sha256};

/// A gossip topic (DESIGN §9). Payloads are opaque bytes; each topic's consumer decodes and
/// verifies them (they are signed by their authors, so gossip itself is unsigned, DESIGN §12).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Topic {
    /// Batches of signed transactions (the mempool gossips batches, not single transactions).
    Transactions,
    /// Proposals and votes.
    Consensus,
    /// Committed blocks with their commit certificates, for nodes that follow closely.
    Blocks,
}

impl Topic {
    /// Every topic; a node subscribes to all of them.
    pub const ALL: [Topic; 3] = [Topic::Transactions, Topic::Consensus, Topic::Blocks];

    /// The gossipsub topic string.
    pub fn name(self) -> &'static str {
        match self {
            Topic::Transactions => "loanchain/tx/1",
            Topic::Consensus => "loanchain/consensus/1",
            Topic::Blocks => "loanchain/blocks/1",
        }
    }

    pub(crate) fn ident(self) -> IdentTopic {
        IdentTopic::new(self.name())
    }

    pub(crate) fn from_hash(hash: &TopicHash) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.ident().hash() == *hash)
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The content id of a gossip message: SHA-256 of its bytes. It is also the gossipsub message
/// id, so the same bytes are delivered at most once per node (within gossipsub's duplicate-cache
/// window), whoever publishes them.
pub fn content_id(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Names an inbound request until it is answered with [`crate::NetworkHandle::respond`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RequestId(pub(crate) InboundRequestId);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Which received gossip message a [`Verdict`] is about (with [`NetworkConfig::validate_gossip`](crate::NetworkConfig::validate_gossip)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GossipId {
    pub(crate) id: libp2p::gossipsub::MessageId,
    pub(crate) source: PeerId,
}

/// What the consumer found of a received gossip message: only an accepted one is forwarded to
/// other peers; a rejected one counts against the peer that delivered it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Valid: forward it.
    Accept,
    /// Invalid (a bad signature, bytes that do not decode): do not forward; the sender misbehaved.
    Reject,
    /// Not useful (a repeat, an old height): do not forward, no blame.
    Ignore,
}

/// What the network reports to its consumer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetworkEvent {
    /// A gossip message from another node (never our own), once per content id.
    Gossip {
        /// Its topic.
        topic: Topic,
        /// The connected peer that delivered it. Gossip is anonymous (no author field, DESIGN
        /// §12), so this is the relay, not necessarily the author; authenticity comes from the
        /// signatures inside `data`. `Some` for every message received from the network.
        from: Option<PeerId>,
        /// The payload.
        data: Vec<u8>,
        /// With `validate_gossip`, the message waits for a [`Verdict`] under this id before it is
        /// forwarded (`NetworkHandle::validate`); `None` otherwise.
        id: Option<GossipId>,
    },
    /// A peer asks us something (block sync); answer with [`crate::NetworkHandle::respond`]
    /// within the request timeout, or the peer gets a timeout.
    Request {
        /// Who asks.
        peer: PeerId,
        /// The request payload.
        data: Vec<u8>,
        /// Pass this to `respond`.
        reply: RequestId,
    },
    /// A peer is connected: its connection passed both allow-lists and it completed the identify
    /// exchange.
    PeerConnected(PeerId),
    /// The last connection to a connected peer closed.
    PeerDisconnected(PeerId),
    /// A connection from or to a peer outside the allow-list was refused (DESIGN §4).
    Refused {
        /// The peer, as authenticated by the noise handshake (or as dialed).
        peer: PeerId,
    },
}
