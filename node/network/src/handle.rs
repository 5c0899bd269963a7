//! [`NetworkHandle`]: what consumers hold (STYLE habit 11). Every call is a message to the swarm
//! task; the answers come back on oneshot channels, so no libp2p type crosses this boundary
//! except [`PeerId`] and [`Multiaddr`].

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use libp2p::{Multiaddr, PeerId};
use tokio::sync::{mpsc, oneshot};

use crate::error::{NetworkError, RequestFailure};
use crate::event::{GossipId, RequestId, Topic, Verdict};

/// A request from a handle to the swarm task.
pub(crate) enum Command {
    Publish { topic: Topic, data: Vec<u8>, reply: oneshot::Sender<Result<(), NetworkError>> },
    Request { peer: PeerId, data: Vec<u8>, reply: oneshot::Sender<Result<Vec<u8>, NetworkError>> },
    Respond { id: RequestId, data: Vec<u8>, reply: oneshot::Sender<Result<(), NetworkError>> },
    Shutdown { done: oneshot::Sender<()> },
    Validate { id: GossipId, verdict: Verdict },
}

/// State the swarm task publishes for cheap synchronous reads.
#[derive(Default)]
pub(crate) struct Shared {
    state: Mutex<SharedState>,
    pub dropped_events: AtomicU64,
}

#[derive(Default)]
pub(crate) struct SharedState {
    pub listen_addrs: Vec<Multiaddr>,
    pub connected: HashSet<PeerId>,
    pub topic_peers: HashMap<Topic, usize>,
}

impl Shared {
    /// The state; a poisoned lock still holds consistent plain data, so it is used as is.
    pub fn lock(&self) -> MutexGuard<'_, SharedState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Limits the handle checks before bothering the swarm task.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub max_message_bytes: usize,
    pub max_request_bytes: usize,
    pub max_response_bytes: usize,
    pub request_timeout: Duration,
}

/// A cheap, cloneable handle to the running network.
#[derive(Clone)]
pub struct NetworkHandle {
    pub(crate) commands: mpsc::Sender<Command>,
    pub(crate) shared: Arc<Shared>,
    pub(crate) local_peer_id: PeerId,
    pub(crate) limits: Limits,
}

impl NetworkHandle {
    async fn call<T>(&self, make: impl FnOnce(oneshot::Sender<Result<T, NetworkError>>) -> Command) -> Result<T, NetworkError> {
        let (tx, rx) = oneshot::channel();
        self.commands.send(make(tx)).await.map_err(|_| NetworkError::Shutdown)?;
        rx.await.map_err(|_| NetworkError::Shutdown)?
    }

    /// Reports what the consumer found of a received gossip message (with `validate_gossip`):
    /// accepted ones are forwarded, rejected ones count against the peer that delivered them.
    /// Never waits: with the command queue full the verdict is dropped, and the message is then
    /// not forwarded (gossipsub forgets unvalidated messages).
    pub fn validate(&self, id: GossipId, verdict: Verdict) {
        let _ = self.commands.try_send(Command::Validate { id, verdict });
    }

    /// Gossips `data` on `topic` to every subscribed peer. Fails with
    /// [`NetworkError::Duplicate`] if the same bytes were already seen, [`NetworkError::NoPeers`]
    /// if nobody is subscribed yet, [`NetworkError::TooLarge`] above the message limit.
    pub async fn publish(&self, topic: Topic, data: Vec<u8>) -> Result<(), NetworkError> {
        let max = self.limits.max_message_bytes;
        if data.len() > max {
            return Err(NetworkError::TooLarge { what: "gossip message", size: data.len(), max });
        }
        self.call(|reply| Command::Publish { topic, data, reply }).await
    }

    /// Sends a block-sync request to `peer` (dialing it if it is allowed and its address is known)
    /// and waits for the response, at most the request timeout.
    pub async fn request(&self, peer: PeerId, data: Vec<u8>) -> Result<Vec<u8>, NetworkError> {
        let max = self.limits.max_request_bytes;
        if data.len() > max {
            return Err(NetworkError::TooLarge { what: "request", size: data.len(), max });
        }
        let timeout = self.limits.request_timeout;
        // The swarm enforces the timeout; this outer bound only guards against a stuck task.
        match tokio::time::timeout(timeout + Duration::from_secs(1), self.call(|reply| Command::Request { peer, data, reply })).await {
            Ok(result) => result,
            Err(_) => Err(NetworkError::Request { peer, failure: RequestFailure::Timeout { timeout_ms: timeout.as_millis() as u64 } }),
        }
    }

    /// Answers the inbound request `id` (from [`crate::NetworkEvent::Request`]).
    pub async fn respond(&self, id: RequestId, data: Vec<u8>) -> Result<(), NetworkError> {
        let max = self.limits.max_response_bytes;
        if data.len() > max {
            return Err(NetworkError::TooLarge { what: "response", size: data.len(), max });
        }
        self.call(|reply| Command::Respond { id, data, reply }).await
    }

    /// Stops the swarm task and waits until it has stopped; the event stream then ends. Later
    /// calls on any clone fail with [`NetworkError::Shutdown`].
    pub async fn shutdown(&self) {
        let (done, stopped) = oneshot::channel();
        if self.commands.send(Command::Shutdown { done }).await.is_ok() {
            let _ = stopped.await;
        }
    }

    /// This node's peer id.
    pub fn local_peer_id(&self) -> PeerId {
        self.local_peer_id
    }

    /// The addresses the node listens on (known once `Network::start` returns).
    pub fn listen_addrs(&self) -> Vec<Multiaddr> {
        self.shared.lock().listen_addrs.clone()
    }

    /// How many peers are connected (see [`crate::NetworkEvent::PeerConnected`]).
    pub fn connected_peers(&self) -> usize {
        self.shared.lock().connected.len()
    }

    /// The connected peers, for example to spread sync requests over several of them.
    pub fn peers(&self) -> Vec<PeerId> {
        self.shared.lock().connected.iter().copied().collect()
    }

    /// How many connected peers are subscribed to `topic`: a publish reaches them directly.
    pub fn topic_peers(&self, topic: Topic) -> usize {
        self.shared.lock().topic_peers.get(&topic).copied().unwrap_or(0)
    }

    /// Events dropped because the consumer did not keep up (the event channel was full).
    pub fn dropped_events(&self) -> u64 {
        self.shared.dropped_events.load(Ordering::Relaxed)
    }
}
