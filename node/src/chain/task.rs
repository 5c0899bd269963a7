//! The chain task: the only part of the chain host that is async. It reads the wall clock, waits
//! for the network's events, the answers to requests and the results of background jobs, hands
//! each to [`Chain::handle`] as an [`Event`], and carries out the [`Out`]s it returns: it moves
//! bytes and runs jobs, and decides nothing.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use loanchain_network::{GossipId, NetworkEvent, NetworkHandle, PeerId, RequestId, Topic, Verdict};
use loanchain_types::{Hash, Height};
use tokio::sync::{Semaphore, mpsc};
use tracing::debug;

use super::commit::Executed;
use super::inbound::Verified;
use super::sync::answer_from_storage;
use super::{Chain, now_ms};
use crate::context::NodeContext;
use crate::wire::{self, SyncRequest, SyncResponse};

/// What a request to a peer was for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Committed blocks after ours (block sync).
    Sync,
    /// One block by hash.
    Fetch(Hash),
    /// The proposals and votes of the height being decided.
    Messages,
}

/// Why a request brought no answer to use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnswerError {
    /// The request failed (timeout, disconnection, refused stream): nobody's fault.
    Failed(String),
    /// The answer does not decode: the peer's fault.
    Malformed(String),
}

/// A gossip message awaiting the host's verdict, as the host names it: the task keeps the
/// network's id for it (the simulator makes its own).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GossipToken(pub u64);

/// A peer's request awaiting the host's answer, as the host names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReplyToken(pub u64);

/// What the network brings the host: the network's events, with its ids replaced by tokens.
pub enum Incoming {
    /// A gossip message on `topic`, relayed by `from`; `id` when the network waits for a verdict.
    Gossip { topic: Topic, from: Option<PeerId>, data: Vec<u8>, id: Option<GossipToken> },
    /// A peer's request, to answer once through `reply`.
    Request { peer: PeerId, data: Vec<u8>, reply: ReplyToken },
    /// A peer connected.
    PeerConnected(PeerId),
    /// A peer disconnected.
    PeerDisconnected(PeerId),
    /// A connection from a peer not in genesis was refused.
    Refused(PeerId),
}

/// One input of the chain host's state machine.
#[allow(clippy::large_enum_variant)]
pub enum Event {
    /// The node starts (the core's clock, then its `Start`).
    Start,
    /// The clock moved (timers, housekeeping).
    Tick,
    /// Something from the network.
    Network(Incoming),
    /// A peer's answer to an [`Out::Request`].
    Answered { peer: PeerId, purpose: Purpose, answer: Result<SyncResponse, AnswerError> },
    /// An [`Out::Verify`] job's result.
    Verified(Verified),
    /// An [`Out::Execute`] job's result.
    Executed(anyhow::Result<Executed>),
}

/// A signature check run off the chain task.
pub type VerifyJob = Box<dyn FnOnce() -> Verified + Send>;
/// A block execution and its atomic write, run off the chain task.
pub type ExecuteJob = Box<dyn FnOnce() -> anyhow::Result<Executed> + Send>;

/// One thing the chain host asks the task to do. They come out of [`Chain::handle`] only after
/// the WAL entries of the same step were written (`Ready::persist`), so nothing here can leave
/// before the record of it.
pub enum Out {
    /// Gossip `bytes` on `topic`.
    Publish(Topic, Vec<u8>),
    /// The verdict on a gossip message (forwarded only if accepted).
    Verdict(GossipToken, Verdict),
    /// Ask `peer`; the answer comes back as [`Event::Answered`].
    Request { peer: PeerId, request: SyncRequest, purpose: Purpose },
    /// Answer a peer's request with what the host holds.
    Respond(ReplyToken, SyncResponse),
    /// Answer a peer's request from committed storage (up to height `last`), off the task, by
    /// at most [`SYNC_SERVERS`] at once; beyond them the answer is "busy".
    Serve { peer: PeerId, reply: ReplyToken, request: Result<SyncRequest, String>, last: Height },
    /// Run a signature check; the result comes back as [`Event::Verified`].
    Verify(VerifyJob),
    /// Execute and store a decided block; the result comes back as [`Event::Executed`].
    Execute(ExecuteJob),
    /// Admit gossiped transactions (bounded queue; when full the batch is dropped and counted).
    Admit(Vec<Vec<u8>>, Option<GossipToken>),
}

/// Sync answers being prepared from storage at once.
pub(super) const SYNC_SERVERS: usize = 2;

/// Batches of gossiped transactions waiting for admission; beyond, batches are dropped and
/// counted (`loanchain_tx_gossip_dropped_total`). Each is at most
/// [`MAX_TX_GOSSIP_BYTES`](loanchain_types::limits::MAX_TX_GOSSIP_BYTES), so the queue holds at
/// most about 70 MiB.
const TX_GOSSIP_QUEUE: usize = 64;

/// Gossip messages awaiting a verdict whose ids the task keeps at most: beyond, the oldest is
/// forgotten (the network drops an unvalidated message after a while).
const MAX_AWAITING_VERDICT: usize = 100_000;

/// What the task needs to carry out [`Out`]s, and the network ids behind the host's tokens.
struct Io {
    ctx: Arc<NodeContext>,
    net: NetworkHandle,
    back: mpsc::Sender<Event>,
    sync_servers: Arc<Semaphore>,
    tx_gossip: mpsc::Sender<(Vec<Vec<u8>>, Option<GossipId>)>,
    next_token: u64,
    /// By token, which grows: the first entry is the oldest.
    gossip_ids: BTreeMap<GossipToken, GossipId>,
    replies: BTreeMap<ReplyToken, RequestId>,
}

/// Runs the chain host until the network's event stream ends (or the host stops with an error).
pub async fn run(mut chain: Chain, net: NetworkHandle, mut events: mpsc::Receiver<NetworkEvent>) -> anyhow::Result<()> {
    let ctx = chain.ctx.clone();
    let (back, mut results) = mpsc::channel::<Event>(256);
    let mut io = Io {
        tx_gossip: admit_gossip_workers(ctx.clone(), net.clone()),
        ctx,
        net,
        back,
        sync_servers: Arc::new(Semaphore::new(SYNC_SERVERS)),
        next_token: 0,
        gossip_ids: BTreeMap::new(),
        replies: BTreeMap::new(),
    };
    io.carry(chain.handle(now_ms(), Event::Start)?).await;
    let mut ticker = tokio::time::interval(Duration::from_millis(20));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        let wait = chain.next_wake().saturating_sub(now_ms()).min(1_000);
        let event = tokio::select! {
            event = events.recv() => match event {
                Some(event) => Event::Network(io.incoming(event)),
                None => return Ok(()),
            },
            Some(result) = results.recv() => result,
            _ = tokio::time::sleep(Duration::from_millis(wait)) => Event::Tick,
            _ = ticker.tick() => Event::Tick,
        };
        let out = chain.handle(now_ms(), event)?;
        io.carry(out).await;
    }
}

impl Io {
    /// The network's event with its ids kept here and tokens in their place.
    fn incoming(&mut self, event: NetworkEvent) -> Incoming {
        self.next_token += 1;
        let token = self.next_token;
        match event {
            NetworkEvent::Gossip { topic, from, data, id } => {
                let id = id.map(|id| {
                    if self.gossip_ids.len() >= MAX_AWAITING_VERDICT {
                        self.gossip_ids.pop_first();
                    }
                    self.gossip_ids.insert(GossipToken(token), id);
                    GossipToken(token)
                });
                Incoming::Gossip { topic, from, data, id }
            }
            NetworkEvent::Request { peer, data, reply } => {
                self.replies.insert(ReplyToken(token), reply);
                Incoming::Request { peer, data, reply: ReplyToken(token) }
            }
            NetworkEvent::PeerConnected(peer) => Incoming::PeerConnected(peer),
            NetworkEvent::PeerDisconnected(peer) => Incoming::PeerDisconnected(peer),
            NetworkEvent::Refused { peer } => Incoming::Refused(peer),
        }
    }

    /// The network's id of a gossip message, once (its verdict is given once).
    fn gossip_id(&mut self, token: GossipToken) -> Option<GossipId> {
        self.gossip_ids.remove(&token)
    }

    async fn carry(&mut self, out: Vec<Out>) {
        for o in out {
            match o {
                Out::Publish(topic, bytes) => {
                    if let Err(e) = self.net.publish(topic, bytes).await {
                        // No peers yet, or a repeat: the periodic replay covers what was lost.
                        debug!(%topic, error = %e, "publish failed");
                    }
                }
                Out::Verdict(token, verdict) => {
                    if let Some(id) = self.gossip_id(token) {
                        self.net.validate(id, verdict);
                    }
                }
                Out::Request { peer, request, purpose } => {
                    let (net, back) = (self.net.clone(), self.back.clone());
                    tokio::spawn(async move {
                        let answer = match net.request(peer, wire::encode(&request)).await {
                            Ok(bytes) => wire::decode::<SyncResponse>(&bytes).map_err(|e| AnswerError::Malformed(e.to_string())),
                            Err(e) => Err(AnswerError::Failed(e.to_string())),
                        };
                        let _ = back.send(Event::Answered { peer, purpose, answer }).await;
                    });
                }
                Out::Respond(reply, answer) => {
                    let Some(reply) = self.replies.remove(&reply) else { continue };
                    let net = self.net.clone();
                    tokio::spawn(async move {
                        if let Err(e) = net.respond(reply, wire::encode(&answer)).await {
                            debug!(error = %e, "answer not delivered");
                        }
                    });
                }
                Out::Serve { peer, reply, request, last } => {
                    if let Some(reply) = self.replies.remove(&reply) {
                        self.serve(peer, reply, request, last);
                    }
                }
                Out::Verify(job) => {
                    let back = self.back.clone();
                    tokio::spawn(async move {
                        if let Ok(verified) = tokio::task::spawn_blocking(job).await {
                            let _ = back.send(Event::Verified(verified)).await;
                        }
                    });
                }
                Out::Execute(job) => {
                    let back = self.back.clone();
                    tokio::task::spawn_blocking(move || {
                        let _ = back.blocking_send(Event::Executed(job()));
                    });
                }
                Out::Admit(txs, token) => {
                    let id = token.and_then(|t| self.gossip_id(t));
                    // Admission verifies signatures off this task, in a bounded queue: when it
                    // is full the batch is dropped and counted (its transactions reach this node
                    // again in the proposal that carries them).
                    if let Err(e) = self.tx_gossip.try_send((txs, id)) {
                        self.ctx.metrics.tx_gossip_dropped.inc();
                        if let (_, Some(id)) = e.into_inner() {
                            self.net.validate(id, Verdict::Ignore);
                        }
                    }
                }
            }
        }
    }

    /// A sync answer from storage on a blocking thread, by at most [`SYNC_SERVERS`] at once; a
    /// request beyond them is refused as busy, and the peer asks another.
    fn serve(&self, peer: PeerId, reply: RequestId, request: Result<SyncRequest, String>, last: Height) {
        let (net, storage) = (self.net.clone(), self.ctx.storage.clone());
        let Ok(permit) = self.sync_servers.clone().try_acquire_owned() else {
            tokio::spawn(async move {
                let _ = net.respond(reply, wire::encode(&SyncResponse::Refused("busy".into()))).await;
            });
            return;
        };
        tokio::spawn(async move {
            let answer = tokio::task::spawn_blocking(move || answer_from_storage(&*storage, request, last))
                .await
                .unwrap_or_else(|_| SyncResponse::Refused("internal error".into()));
            drop(permit);
            if let Err(e) = net.respond(reply, wire::encode(&answer)).await {
                debug!(%peer, error = %e, "sync answer not delivered");
            }
        });
    }
}

/// Starts one admission worker per core for transaction gossip (no task per message) and returns
/// their queue. A batch is passed on to other peers only if it brought this node something.
fn admit_gossip_workers(ctx: Arc<NodeContext>, net: NetworkHandle) -> mpsc::Sender<(Vec<Vec<u8>>, Option<GossipId>)> {
    let (tx, rx) = mpsc::channel::<(Vec<Vec<u8>>, Option<GossipId>)>(TX_GOSSIP_QUEUE);
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    for _ in 0..workers {
        let (ctx, net, rx) = (ctx.clone(), net.clone(), rx.clone());
        tokio::spawn(async move {
            loop {
                let Some((txs, id)) = rx.lock().await.recv().await else { return };
                let admitted = ctx.admit_gossip(txs).await;
                if let Some(id) = id {
                    net.validate(id, if admitted > 0 { Verdict::Accept } else { Verdict::Ignore });
                }
            }
        });
    }
    tx
}
