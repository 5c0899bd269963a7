//! The swarm task: owns the libp2p swarm, executes [`Command`]s from handles, turns swarm events
//! into [`NetworkEvent`]s, and keeps the configured peers dialed (redial with exponential
//! backoff after a drop or a failed dial).
//!
//! A peer counts as connected once identify completes over one of its connections, not when
//! the TCP/noise handshake finishes: a remote that refuses us (allow-list) closes the connection
//! before running any protocol, so a refused node never counts the refusing peer as connected.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::StreamExt;
use libp2p::allow_block_list::NotAllowed;
use libp2p::gossipsub::{self, PublishError, TopicHash};
use libp2p::request_response::{self, OutboundFailure, OutboundRequestId, ResponseChannel};
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::swarm::{ConnectionDenied, DialError, ListenError, SwarmEvent};
use libp2p::{Multiaddr, PeerId, Swarm, identify};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tracing::{debug, info, warn};

use crate::behaviour::{Behaviour, BehaviourEvent, PROTOCOL_VERSION};
use crate::config::{NetworkConfig, peer_of};
use crate::error::{NetworkError, RequestFailure};
use crate::event::{GossipId, NetworkEvent, RequestId, Topic, Verdict};
use crate::handle::{Command, Shared};

/// How often due redials are checked.
const REDIAL_TICK: Duration = Duration::from_millis(100);

/// Where the answer to one outbound request goes.
type ResponseSender = oneshot::Sender<Result<Vec<u8>, NetworkError>>;

/// A configured peer and when to dial it next.
struct DialTarget {
    addr: Multiaddr,
    backoff: Duration,
    next: Option<Instant>,
}

pub(crate) struct Driver {
    swarm: Swarm<Behaviour>,
    events: mpsc::Sender<NetworkEvent>,
    shared: Arc<Shared>,
    request_timeout: Duration,
    max_message_bytes: usize,
    validate_gossip: bool,
    redial_min: Duration,
    redial_max: Duration,
    targets: HashMap<PeerId, DialTarget>,
    /// Open connections per peer.
    connections: HashMap<PeerId, u32>,
    /// Peers that completed identify (the "connected" set).
    connected: HashSet<PeerId>,
    topic_peers: HashMap<TopicHash, HashSet<PeerId>>,
    pending_requests: HashMap<OutboundRequestId, ResponseSender>,
    inbound: HashMap<RequestId, ResponseChannel<Vec<u8>>>,
}

impl Driver {
    pub fn new(swarm: Swarm<Behaviour>, config: &NetworkConfig, events: mpsc::Sender<NetworkEvent>, shared: Arc<Shared>) -> Driver {
        let targets = config
            .peers
            .iter()
            .filter_map(|addr| Some((peer_of(addr)?, DialTarget { addr: addr.clone(), backoff: config.redial_min, next: None })))
            .collect();
        Driver {
            swarm,
            events,
            shared,
            request_timeout: config.request_timeout,
            max_message_bytes: config.max_message_bytes,
            validate_gossip: config.validate_gossip,
            redial_min: config.redial_min,
            redial_max: config.redial_max,
            targets,
            connections: HashMap::new(),
            connected: HashSet::new(),
            topic_peers: HashMap::new(),
            pending_requests: HashMap::new(),
            inbound: HashMap::new(),
        }
    }

    /// Starts listening and waits (at most `limit`) for the first listen address.
    pub async fn listen(&mut self, addr: Multiaddr, limit: Duration) -> Result<(), NetworkError> {
        let listen_error = |reason: String| NetworkError::Listen { addr: addr.clone(), reason };
        self.swarm.listen_on(addr.clone()).map_err(|e| listen_error(e.to_string()))?;
        let deadline = Instant::now() + limit;
        while self.shared.lock().listen_addrs.is_empty() {
            match tokio::time::timeout_at(deadline, self.swarm.select_next_some()).await {
                Ok(SwarmEvent::ListenerError { error, .. }) => return Err(listen_error(error.to_string())),
                Ok(SwarmEvent::ListenerClosed { reason: Err(error), .. }) => return Err(listen_error(error.to_string())),
                Ok(event) => self.on_swarm_event(event),
                Err(_) => return Err(listen_error(format!("no listen address within {limit:?}"))),
            }
        }
        Ok(())
    }

    /// Registers every configured peer's address and dials them all.
    pub fn dial_configured(&mut self) {
        let peers: Vec<(PeerId, Multiaddr)> = self.targets.iter().map(|(p, t)| (*p, t.addr.clone())).collect();
        for (peer, addr) in peers {
            self.swarm.add_peer_address(peer, addr);
            self.dial(peer);
        }
    }

    /// Runs until shutdown or until every handle is dropped.
    pub async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        let mut tick = tokio::time::interval(REDIAL_TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let done = loop {
            tokio::select! {
                command = commands.recv() => match command {
                    None => break None,
                    Some(command) => if let Some(done) = self.on_command(command) {
                        break Some(done);
                    },
                },
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                _ = tick.tick() => self.redial_due(),
            }
        };
        info!("network task stopped");
        {
            let mut state = self.shared.lock();
            state.connected.clear();
            state.topic_peers.clear();
        }
        drop(self);
        if let Some(done) = done {
            let _ = done.send(());
        }
    }

    /// Hands an event to the consumer without ever blocking the swarm; returns whether it was
    /// delivered (a full channel drops and counts it, a closed one just drops it).
    fn emit(&self, event: NetworkEvent) -> bool {
        match self.events.try_send(event) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(event)) => {
                let dropped = self.shared.dropped_events.fetch_add(1, Ordering::Relaxed) + 1;
                // Logged at 1, 2, 4, 8, … drops: an overloaded node must not also flood its log.
                if dropped.is_power_of_two() {
                    warn!(dropped, kind = event_kind(&event), "event channel full: the consumer is not keeping up; events dropped");
                }
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    fn dial(&mut self, peer: PeerId) {
        let Some(target) = self.targets.get(&peer) else { return };
        let opts = DialOpts::peer_id(peer).addresses(vec![target.addr.clone()]).condition(PeerCondition::DisconnectedAndNotDialing).build();
        if let Err(error) = self.swarm.dial(opts) {
            // Already connected or dialing is not a failure; anything else is retried later.
            if !matches!(error, DialError::DialPeerConditionFalse(_)) {
                debug!(%peer, %error, "dial failed");
                self.schedule_redial(peer);
            }
        }
    }

    fn schedule_redial(&mut self, peer: PeerId) {
        let (min, max) = (self.redial_min, self.redial_max);
        if let Some(target) = self.targets.get_mut(&peer)
            && target.next.is_none()
        {
            target.next = Some(Instant::now() + target.backoff);
            target.backoff = (target.backoff * 2).clamp(min, max);
        }
    }

    fn redial_due(&mut self) {
        let now = Instant::now();
        let due: Vec<PeerId> = self.targets.iter().filter(|(_, t)| t.next.is_some_and(|at| at <= now)).map(|(p, _)| *p).collect();
        for peer in due {
            if let Some(target) = self.targets.get_mut(&peer) {
                target.next = None;
            }
            if !self.swarm.is_connected(&peer) {
                self.dial(peer);
            }
        }
    }

    fn publish_topic_peers(&self) {
        let counts = Topic::ALL.into_iter().map(|t| (t, self.topic_peers.get(&t.ident().hash()).map_or(0, |s| s.len()))).collect();
        self.shared.lock().topic_peers = counts;
    }

    /// Executes a command; returns the acknowledgement channel when it asks the task to stop.
    fn on_command(&mut self, command: Command) -> Option<oneshot::Sender<()>> {
        match command {
            Command::Publish { topic, data, reply } => {
                let result = self.swarm.behaviour_mut().gossip.publish(topic.ident(), data).map(|_| ()).map_err(|e| match e {
                    PublishError::Duplicate => NetworkError::Duplicate,
                    PublishError::NoPeersSubscribedToTopic => NetworkError::NoPeers { topic },
                    other => NetworkError::PublishFailed { topic, reason: other.to_string() },
                });
                let _ = reply.send(result);
            }
            Command::Request { peer, data, reply } => {
                let id = self.swarm.behaviour_mut().sync.send_request(&peer, data);
                self.pending_requests.insert(id, reply);
            }
            Command::Respond { id, data, reply } => {
                let result = match self.inbound.remove(&id) {
                    None => Err(NetworkError::UnknownRequest { id }),
                    Some(channel) => {
                        self.swarm.behaviour_mut().sync.send_response(channel, data).map_err(|_| NetworkError::UnknownRequest { id })
                    }
                };
                let _ = reply.send(result);
            }
            Command::Shutdown { done } => return Some(done),
            Command::Validate { id, verdict } => {
                let acceptance = match verdict {
                    Verdict::Accept => gossipsub::MessageAcceptance::Accept,
                    Verdict::Reject => gossipsub::MessageAcceptance::Reject,
                    Verdict::Ignore => gossipsub::MessageAcceptance::Ignore,
                };
                // False when the message already left the cache: nothing to forward any more.
                let _ = self.swarm.behaviour_mut().gossip.report_message_validation_result(&id.id, &id.source, acceptance);
            }
        }
        None
    }

    pub fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                info!(%address, "listening");
                self.shared.lock().listen_addrs.push(address);
            }
            SwarmEvent::ExpiredListenAddr { address, .. } => self.shared.lock().listen_addrs.retain(|a| *a != address),
            SwarmEvent::ConnectionEstablished { peer_id, .. } => {
                *self.connections.entry(peer_id).or_default() += 1;
            }
            SwarmEvent::ConnectionClosed { peer_id, num_established, cause, .. } => {
                if num_established > 0 {
                    self.connections.insert(peer_id, num_established);
                    return;
                }
                self.connections.remove(&peer_id);
                for peers in self.topic_peers.values_mut() {
                    peers.remove(&peer_id);
                }
                self.publish_topic_peers();
                if self.connected.remove(&peer_id) {
                    info!(peer = %peer_id, ?cause, "peer disconnected");
                    self.shared.lock().connected.remove(&peer_id);
                    self.emit(NetworkEvent::PeerDisconnected(peer_id));
                }
                self.schedule_redial(peer_id);
            }
            SwarmEvent::IncomingConnectionError { peer_id, error, .. } => match (peer_id, error) {
                (Some(peer), ListenError::Denied { cause }) => self.refused(peer, &cause),
                (peer, error) => debug!(?peer, %error, "inbound connection failed"),
            },
            SwarmEvent::OutgoingConnectionError { peer_id, error, .. } => {
                if let (Some(peer), DialError::Denied { cause }) = (peer_id, &error) {
                    self.refused(peer, cause);
                } else {
                    debug!(peer = ?peer_id, %error, "outbound connection failed");
                }
                if let Some(peer) = peer_id
                    && !self.swarm.is_connected(&peer)
                {
                    self.schedule_redial(peer);
                }
            }
            SwarmEvent::Behaviour(event) => self.on_behaviour_event(event),
            _ => {}
        }
    }

    fn refused(&mut self, peer: PeerId, cause: &ConnectionDenied) {
        if cause.downcast_ref::<NotAllowed>().is_some() {
            warn!(%peer, "refused: not in genesis");
            self.emit(NetworkEvent::Refused { peer });
        } else {
            warn!(%peer, %cause, "connection denied");
        }
    }

    fn on_behaviour_event(&mut self, event: BehaviourEvent) {
        match event {
            BehaviourEvent::Allow(never) => match never {},
            BehaviourEvent::Identify(identify::Event::Received { peer_id, info, .. }) => {
                if info.protocol_version != PROTOCOL_VERSION {
                    warn!(peer = %peer_id, version = %info.protocol_version, "peer announces another protocol version");
                }
                if self.connections.contains_key(&peer_id) && self.connected.insert(peer_id) {
                    info!(peer = %peer_id, "peer connected");
                    self.shared.lock().connected.insert(peer_id);
                    if let Some(target) = self.targets.get_mut(&peer_id) {
                        target.backoff = self.redial_min;
                        target.next = None;
                    }
                    self.emit(NetworkEvent::PeerConnected(peer_id));
                }
            }
            BehaviourEvent::Identify(_) => {}
            BehaviourEvent::Gossip(event) => self.on_gossip(event),
            BehaviourEvent::Sync(event) => self.on_sync(event),
        }
    }

    /// Rejects a message the consumer never sees (with `validate_gossip`; a no-op otherwise).
    fn reject(&mut self, id: &GossipId) {
        if self.validate_gossip {
            let _ = self.swarm.behaviour_mut().gossip.report_message_validation_result(
                &id.id,
                &id.source,
                gossipsub::MessageAcceptance::Reject,
            );
        }
    }

    fn on_gossip(&mut self, event: gossipsub::Event) {
        match event {
            gossipsub::Event::Message { propagation_source, message, message_id } => {
                let id = GossipId { id: message_id, source: propagation_source };
                // The transmit limit leaves room for the envelope; the payload limit is exact.
                if message.data.len() > self.max_message_bytes {
                    warn!(peer = %propagation_source, size = message.data.len(), "oversized gossip payload dropped");
                    self.reject(&id);
                } else if let Some(topic) = Topic::from_hash(&message.topic) {
                    let id = self.validate_gossip.then_some(id);
                    self.emit(NetworkEvent::Gossip { topic, from: Some(propagation_source), data: message.data, id });
                } else {
                    self.reject(&id);
                }
            }
            gossipsub::Event::Subscribed { peer_id, topic, .. } => {
                self.topic_peers.entry(topic).or_default().insert(peer_id);
                self.publish_topic_peers();
            }
            gossipsub::Event::Unsubscribed { peer_id, topic } => {
                if let Some(peers) = self.topic_peers.get_mut(&topic) {
                    peers.remove(&peer_id);
                }
                self.publish_topic_peers();
            }
            gossipsub::Event::GossipsubNotSupported { peer_id } => warn!(peer = %peer_id, "peer does not speak gossipsub"),
            gossipsub::Event::SlowPeer { peer_id, failed_messages } => warn!(peer = %peer_id, ?failed_messages, "slow gossip peer"),
        }
    }

    fn on_sync(&mut self, event: request_response::Event<Vec<u8>, Vec<u8>>) {
        match event {
            request_response::Event::Message { peer, message, .. } => match message {
                request_response::Message::Request { request_id, request, channel } => {
                    let id = RequestId(request_id);
                    // Undelivered, the channel is dropped at once and the peer learns it quickly.
                    if self.emit(NetworkEvent::Request { peer, data: request, reply: id }) {
                        self.inbound.insert(id, channel);
                    }
                }
                request_response::Message::Response { request_id, response } => {
                    if let Some(reply) = self.pending_requests.remove(&request_id) {
                        let _ = reply.send(Ok(response));
                    }
                }
            },
            request_response::Event::OutboundFailure { peer, request_id, error, .. } => {
                let failure = match &error {
                    OutboundFailure::DialFailure => RequestFailure::Unreachable,
                    OutboundFailure::Timeout => RequestFailure::Timeout { timeout_ms: self.request_timeout.as_millis() as u64 },
                    OutboundFailure::ConnectionClosed => RequestFailure::ConnectionClosed,
                    OutboundFailure::UnsupportedProtocols => RequestFailure::UnsupportedProtocol,
                    OutboundFailure::Io(e) => RequestFailure::from_io(e),
                };
                debug!(%peer, %error, "request failed");
                if let Some(reply) = self.pending_requests.remove(&request_id) {
                    let _ = reply.send(Err(NetworkError::Request { peer, failure }));
                }
            }
            request_response::Event::InboundFailure { peer, request_id, error, .. } => {
                debug!(%peer, %error, "inbound request failed");
                self.inbound.remove(&RequestId(request_id));
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }
}

/// The name of an event's variant, for logs (a gossip payload may be megabytes).
fn event_kind(event: &NetworkEvent) -> &'static str {
    match event {
        NetworkEvent::Gossip { .. } => "gossip",
        NetworkEvent::Request { .. } => "request",
        NetworkEvent::PeerConnected(_) => "peer connected",
        NetworkEvent::PeerDisconnected(_) => "peer disconnected",
        NetworkEvent::Refused { .. } => "refused",
    }
}
