//! The crate's one error type (STYLE habit 8): structured fields, and a [`ErrorClass`] that says
//! whether the caller, the moment (retry) or the node itself is at fault.

use libp2p::{Multiaddr, PeerId};

use crate::codec::CodecError;
use crate::event::{RequestId, Topic};

/// Who is at fault for an error, so callers can decide between fixing input, retrying and
/// stopping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorClass {
    /// The call itself was wrong (bad config, oversized payload, unknown request id, a duplicate).
    CallerFault,
    /// The network is not (yet) in a state to serve it: retry later, perhaps via another peer.
    Retryable,
    /// The network task is gone or could not start; the node cannot continue without it.
    Fatal,
}

/// Why an outbound request failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RequestFailure {
    /// The peer could not be dialed: unknown address, refused by an allow-list, or unreachable.
    #[error("the peer could not be dialed")]
    Unreachable,
    /// No response within the request timeout.
    #[error("no response within {timeout_ms} ms")]
    Timeout {
        /// The timeout that elapsed, in milliseconds.
        timeout_ms: u64,
    },
    /// The connection closed before the response arrived (or the peer dropped the request).
    #[error("the connection closed before a response arrived")]
    ConnectionClosed,
    /// The peer does not speak the block-sync protocol.
    #[error("the peer does not support the block-sync protocol")]
    UnsupportedProtocol,
    /// The response frame announced more bytes than this node accepts.
    #[error("the response announced {len} bytes, more than the limit of {max}")]
    ResponseTooLarge {
        /// Announced length.
        len: u64,
        /// Local limit.
        max: usize,
    },
    /// Another I/O error on the stream.
    #[error("stream error: {reason}")]
    Io {
        /// The underlying error, as text.
        reason: String,
    },
}

/// Everything that can go wrong in `loanchain-network`.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// The configuration is unusable.
    #[error("bad network config: {what} {value:?}: {reason}")]
    BadConfig {
        /// Which field.
        what: &'static str,
        /// Its value, as text.
        value: String,
        /// Why it is refused.
        reason: String,
    },
    /// The transport stack could not be built.
    #[error("cannot build the libp2p transport: {reason}")]
    Transport {
        /// The underlying error, as text.
        reason: String,
    },
    /// The node could not listen on its address.
    #[error("cannot listen on {addr}: {reason}")]
    Listen {
        /// The configured listen address.
        addr: Multiaddr,
        /// The underlying error, as text.
        reason: String,
    },
    /// A payload is larger than the configured limit for its kind.
    #[error("{what} of {size} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// `"gossip message"`, `"request"` or `"response"`.
        what: &'static str,
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The same bytes were already published or received recently (same content id).
    #[error("this message was already seen (same content id); not published again")]
    Duplicate,
    /// No connected peer is subscribed to the topic yet.
    #[error("no peer is subscribed to {topic}")]
    NoPeers {
        /// The topic.
        topic: Topic,
    },
    /// Gossipsub refused the message for another reason (for example full send queues).
    #[error("publishing on {topic} failed: {reason}")]
    PublishFailed {
        /// The topic.
        topic: Topic,
        /// The gossipsub error, as text.
        reason: String,
    },
    /// An outbound request failed.
    #[error("request to {peer} failed: {failure}")]
    Request {
        /// The peer asked.
        peer: PeerId,
        /// Why it failed.
        failure: RequestFailure,
    },
    /// [`crate::NetworkHandle::respond`] was called with an id that is not pending (answered,
    /// timed out, or its connection closed).
    #[error("no pending inbound request {id}")]
    UnknownRequest {
        /// The id.
        id: RequestId,
    },
    /// The network task has stopped ([`crate::NetworkHandle::shutdown`] or a crash).
    #[error("the network task has stopped")]
    Shutdown,
}

impl NetworkError {
    /// Who is at fault (STYLE habit 8).
    pub fn class(&self) -> ErrorClass {
        match self {
            NetworkError::BadConfig { .. }
            | NetworkError::TooLarge { .. }
            | NetworkError::Duplicate
            | NetworkError::UnknownRequest { .. } => ErrorClass::CallerFault,
            NetworkError::NoPeers { .. } | NetworkError::PublishFailed { .. } | NetworkError::Request { .. } => ErrorClass::Retryable,
            NetworkError::Transport { .. } | NetworkError::Listen { .. } | NetworkError::Shutdown => ErrorClass::Fatal,
        }
    }
}

impl RequestFailure {
    /// Maps a request-response stream error, recovering our typed codec errors.
    pub(crate) fn from_io(err: &std::io::Error) -> RequestFailure {
        match err.get_ref().and_then(|inner| inner.downcast_ref::<CodecError>()) {
            Some(CodecError::FrameTooLarge { len, max }) => RequestFailure::ResponseTooLarge { len: *len, max: *max },
            _ => RequestFailure::Io { reason: err.to_string() },
        }
    }
}
