//! Integration tests of `loanchain-network` on loopback (DESIGN §4, §9, §12): a full mesh of four
//! nodes, gossip delivered once per content id, large messages, block-sync request-response and
//! its typed failures, the genesis allow-list, redial after a restart, and the error surface.
//!
//! Every wait is bounded by `tokio::time::timeout`, so a failure is a panic with a reason, never a
//! hang. `RUST_LOG=loanchain_network=debug` shows the nodes' logs.

use std::time::{Duration, Instant};

use loanchain_network::{
    ErrorClass, Multiaddr, Network, NetworkConfig, NetworkError, NetworkEvent, NetworkHandle, PeerId, RequestFailure, Topic, content_id,
    peer_id_from_secret,
};
use tokio::sync::mpsc;
use tokio::time::timeout;

/// Bound on any single wait in these tests.
const WAIT: Duration = Duration::from_secs(20);

struct Node {
    net: NetworkHandle,
    events: mpsc::Receiver<NetworkEvent>,
    peer: PeerId,
}

impl Node {
    /// The node's dialable address: `/ip4/127.0.0.1/tcp/PORT/p2p/PEER`.
    fn addr(&self) -> Multiaddr {
        self.net.listen_addrs()[0].clone().with_p2p(self.peer).expect("no /p2p/ suffix yet")
    }
}

fn init_logs() {
    let _ = tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).with_test_writer().try_init();
}

fn loopback() -> Multiaddr {
    "/ip4/127.0.0.1/tcp/0".parse().unwrap()
}

fn config(secret: [u8; 32], peers: Vec<Multiaddr>, allowed: Vec<PeerId>) -> NetworkConfig {
    let mut config = NetworkConfig::new(secret, loopback());
    config.peers = peers;
    config.allowed = allowed;
    config.redial_min = Duration::from_millis(100);
    config.redial_max = Duration::from_secs(1);
    config
}

async fn start(config: NetworkConfig) -> Node {
    let peer = config.local_peer_id();
    let (net, events) = timeout(WAIT, Network::start(config)).await.expect("start timed out").expect("start failed");
    assert_eq!(net.local_peer_id(), peer);
    Node { net, events, peer }
}

/// Polls `ready` every 20 ms until it holds; panics with `what` after [`WAIT`].
async fn wait_until(what: &str, ready: impl Fn() -> bool) {
    let polled = async {
        while !ready() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    timeout(WAIT, polled).await.unwrap_or_else(|_| panic!("timed out waiting for {what}"));
}

/// Every event a node reports within `window`.
async fn collect(events: &mut mpsc::Receiver<NetworkEvent>, window: Duration) -> Vec<NetworkEvent> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + window;
    while let Ok(Some(event)) = tokio::time::timeout_at(deadline, events.recv()).await {
        seen.push(event);
    }
    seen
}

/// Waits for the first event matching `pick`, discarding others.
async fn next_matching<T>(events: &mut mpsc::Receiver<NetworkEvent>, what: &str, mut pick: impl FnMut(NetworkEvent) -> Option<T>) -> T {
    let found = async {
        while let Some(event) = events.recv().await {
            if let Some(found) = pick(event) {
                return found;
            }
        }
        panic!("event stream ended while waiting for {what}");
    };
    timeout(WAIT, found).await.unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

fn gossip_copies(events: &[NetworkEvent], topic: Topic, data: &[u8]) -> usize {
    events.iter().filter(|e| matches!(e, NetworkEvent::Gossip { topic: t, data: d, .. } if *t == topic && d == data)).count()
}

/// `n` nodes with secrets `[base + i; 32]`, all allowing each other; node `i` dials nodes
/// `0..i`, so every pair is dialed once. Returns when every node sees `n - 1` connected peers
/// subscribed to every topic.
async fn mesh(n: u8, base: u8) -> Vec<Node> {
    mesh_with(n, base, |_, _| {}).await
}

/// [`mesh`], with `tweak(i, config)` applied to node `i`'s configuration before it starts.
async fn mesh_with(n: u8, base: u8, tweak: impl Fn(usize, &mut NetworkConfig)) -> Vec<Node> {
    init_logs();
    let secrets: Vec<[u8; 32]> = (0..n).map(|i| [base + i; 32]).collect();
    let allowed: Vec<PeerId> = secrets.iter().map(|s| peer_id_from_secret(*s)).collect();
    let mut nodes: Vec<Node> = Vec::new();
    for (i, secret) in secrets.iter().enumerate() {
        let peers = nodes.iter().map(Node::addr).collect();
        let mut config = config(*secret, peers, allowed.clone());
        tweak(i, &mut config);
        nodes.push(start(config).await);
    }
    for node in &nodes {
        let net = node.net.clone();
        let want = usize::from(n) - 1;
        wait_until("a full mesh", move || net.connected_peers() == want && Topic::ALL.iter().all(|t| net.topic_peers(*t) == want)).await;
    }
    nodes
}

// DESIGN §9, §12: gossip reaches every other node exactly once; the message id is the content,
// so publishing the same bytes again (from anyone) delivers nothing new.
#[tokio::test(flavor = "multi_thread")]
async fn gossip_reaches_a_full_mesh_once_per_content_id() {
    let mut nodes = mesh(4, 10).await;
    let data = b"a signed batch of transactions".to_vec();
    nodes[0].net.publish(Topic::Transactions, data.clone()).await.unwrap();
    let again = nodes[0].net.publish(Topic::Transactions, data.clone()).await.unwrap_err();
    assert!(matches!(again, NetworkError::Duplicate), "{again}");
    assert_eq!(again.class(), ErrorClass::CallerFault);

    let mesh_peers: Vec<PeerId> = nodes.iter().map(|n| n.peer).collect();
    for node in &mut nodes[1..] {
        let from = next_matching(&mut node.events, "the gossip message", |e| match e {
            NetworkEvent::Gossip { topic: Topic::Transactions, from, data: d, .. } if d == data => Some(from),
            _ => None,
        })
        .await;
        let from = from.expect("gossip from the network names its relay");
        assert!(mesh_peers.contains(&from) && from != node.peer);
    }
    // A node that already has the bytes cannot publish them again either.
    let relay = nodes[2].net.publish(Topic::Transactions, data.clone()).await.unwrap_err();
    assert!(matches!(relay, NetworkError::Duplicate), "{relay}");
    // No second copy anywhere, and the sender never hears its own message.
    for node in &mut nodes {
        let late = collect(&mut node.events, Duration::from_millis(1500)).await;
        assert_eq!(gossip_copies(&late, Topic::Transactions, &data), 0, "a second copy reached {}", node.peer);
    }
    // Other bytes on another topic still flow, from any node.
    let vote = b"a signed prevote".to_vec();
    nodes[3].net.publish(Topic::Consensus, vote.clone()).await.unwrap();
    for node in &mut nodes[..3] {
        next_matching(&mut node.events, "the vote", |e| {
            matches!(e, NetworkEvent::Gossip { topic: Topic::Consensus, data: ref d, .. } if *d == vote).then_some(())
        })
        .await;
    }
    assert_eq!(content_id(&data).len(), 32);
}

// Issue 16, weakness 9: a burst of gossip made the next heartbeat's IHAVEs list more message ids
// than the receiver's limit on control bytes (gossipsub 0.50's defaults: up to 5,000 ids of 32
// bytes per IHAVE, 16 KiB of control per RPC). The receiver then closed its inbound stream, and
// yamux drops what arrives on a closed stream without telling the sender, so that peer's gossip
// no longer reached it while the connection stayed up: a 7-validator devnet under load froze,
// split in two halves. After such a burst every node must still hear every other directly.
#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_gossip_does_not_cut_any_link() {
    let mut nodes = mesh_with(6, 90, |_, c| c.gossip_heartbeat = Duration::from_millis(200)).await;
    for i in 0..3_000u32 {
        nodes[0].net.publish(Topic::Transactions, i.to_be_bytes().to_vec()).await.unwrap();
    }
    // A few heartbeats: every node's IHAVEs for the burst go to the peers outside its mesh.
    tokio::time::sleep(Duration::from_secs(2)).await;
    for node in &mut nodes {
        collect(&mut node.events, Duration::from_millis(10)).await;
    }
    let marker = |from: usize, i: u8| format!("after the burst, from {from}, {i}").into_bytes();
    for i in 0..10u8 {
        for (n, node) in nodes.iter().enumerate() {
            node.net.publish(Topic::Consensus, marker(n, i)).await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let peers: Vec<PeerId> = nodes.iter().map(|n| n.peer).collect();
    let mut cut = Vec::new();
    for (to, node) in nodes.iter_mut().enumerate() {
        let seen = collect(&mut node.events, Duration::from_secs(2)).await;
        for (from, peer) in peers.iter().enumerate().filter(|(from, _)| *from != to) {
            let direct = (0..10u8).any(|i| {
                let m = marker(from, i);
                seen.iter().any(|e| matches!(e, NetworkEvent::Gossip { from: Some(f), data, .. } if f == peer && *data == m))
            });
            if !direct {
                cut.push((from, to));
            }
        }
    }
    assert!(cut.is_empty(), "links (from, to) that no longer carry gossip after the burst: {cut:?}");
}

// DESIGN §9: the maximum message size is raised for blocks; gossipsub's default is 64 KiB.
#[tokio::test(flavor = "multi_thread")]
async fn a_one_mebibyte_block_is_gossiped_and_oversized_ones_are_refused() {
    let mut nodes = mesh(3, 20).await;
    let block: Vec<u8> = (0..1u32 << 20).map(|i| (i * 31 % 251) as u8).collect();
    nodes[0].net.publish(Topic::Blocks, block.clone()).await.unwrap();
    for node in &mut nodes[1..] {
        let got = next_matching(&mut node.events, "the 1 MiB block", |e| match e {
            NetworkEvent::Gossip { topic: Topic::Blocks, data, .. } => Some(data),
            _ => None,
        })
        .await;
        assert_eq!(got.len(), block.len());
        assert!(got == block, "the block arrived altered");
    }
    let too_big = vec![7u8; loanchain_network::DEFAULT_MAX_MESSAGE_BYTES + 1];
    let err = nodes[0].net.publish(Topic::Blocks, too_big).await.unwrap_err();
    assert!(matches!(err, NetworkError::TooLarge { what: "gossip message", size, max } if size == max + 1), "{err}");
}

/// Answers every request on `node` with `answer(request)`; stops when the node's events end.
fn serve(mut node: Node, answer: fn(Vec<u8>) -> Vec<u8>) -> (NetworkHandle, PeerId) {
    let (net, peer) = (node.net.clone(), node.peer);
    tokio::spawn(async move {
        while let Some(event) = node.events.recv().await {
            if let NetworkEvent::Request { data, reply, .. } = event {
                let _ = node.net.respond(reply, answer(data)).await;
            }
        }
    });
    (net, peer)
}

// DESIGN §9: block sync uses request-response; failures are typed and bounded in time.
#[tokio::test(flavor = "multi_thread")]
async fn requests_round_trip_and_fail_typed_within_the_timeout() {
    // The silent node (the last) holds an inbound request longer than the asker waits: with equal
    // timeouts the two timers race, and when the silent side gives up first the asker sees the
    // stream end (a `ConnectionClosed`/I/O failure) instead of its own timeout.
    let mut nodes = mesh_with(3, 30, |i, config| {
        if i == 2 {
            config.request_timeout = Duration::from_secs(60);
        }
    })
    .await;
    let silent = nodes.pop().unwrap();
    let asker = nodes.pop().unwrap();
    let (_server, server_peer) = serve(nodes.pop().unwrap(), |mut req| {
        req.reverse();
        req
    });

    let response = asker.net.request(server_peer, b"blocks 7..9".to_vec()).await.unwrap();
    assert_eq!(response, b"9..7 skcolb".to_vec());

    // Allowed but never started: no address, no connection.
    let (offline_secret, stranger_secret) = ([38u8; 32], [39u8; 32]);
    for (peer, what) in
        [(peer_id_from_secret(offline_secret), "an offline peer"), (peer_id_from_secret(stranger_secret), "a peer outside genesis")]
    {
        let started = Instant::now();
        let err = asker.net.request(peer, b"x".to_vec()).await.unwrap_err();
        assert!(matches!(err, NetworkError::Request { failure: RequestFailure::Unreachable, .. }), "{what}: {err}");
        assert_eq!(err.class(), ErrorClass::Retryable);
        assert!(started.elapsed() < Duration::from_secs(5), "{what}: took {:?}", started.elapsed());
    }

    // A peer that never answers: the request times out (10 s default), typed.
    let silent_peer = silent.peer;
    let _keep_silent_alive = silent;
    let started = Instant::now();
    let err = asker.net.request(silent_peer, b"anyone?".to_vec()).await.unwrap_err();
    assert!(matches!(err, NetworkError::Request { failure: RequestFailure::Timeout { .. }, .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(12), "took {:?}", started.elapsed());

    let big = vec![0u8; loanchain_network::DEFAULT_MAX_REQUEST_BYTES + 1];
    assert!(matches!(asker.net.request(server_peer, big).await, Err(NetworkError::TooLarge { what: "request", .. })));
}

// An oversized frame is a typed error on the receiving side, not a panic or an allocation; a
// response is checked against the sender's limit first, and answering twice is refused.
#[tokio::test(flavor = "multi_thread")]
async fn oversized_frames_and_stale_replies_are_typed_errors() {
    init_logs();
    let (a, b) = ([40u8; 32], [41u8; 32]);
    let allowed = vec![peer_id_from_secret(a), peer_id_from_secret(b)];
    let mut server = start(config(a, vec![], allowed.clone())).await;
    let mut small = config(b, vec![server.addr()], allowed);
    small.max_response_bytes = 2048;
    let asker = start(small).await;
    let server_peer = server.peer;
    let asking = tokio::spawn(async move { asker.net.request(server_peer, b"a big block please".to_vec()).await });

    let reply = next_matching(&mut server.events, "the request", |e| match e {
        NetworkEvent::Request { reply, data, .. } if data == b"a big block please" => Some(reply),
        _ => None,
    })
    .await;
    let err = server.net.respond(reply, vec![0u8; loanchain_network::DEFAULT_MAX_RESPONSE_BYTES + 1]).await.unwrap_err();
    assert!(matches!(err, NetworkError::TooLarge { what: "response", .. }), "{err}");
    server.net.respond(reply, vec![1u8; 10_000]).await.unwrap();
    let stale = server.net.respond(reply, vec![]).await.unwrap_err();
    assert!(matches!(stale, NetworkError::UnknownRequest { id } if id == reply), "{stale}");

    let err = timeout(WAIT, asking).await.expect("request hung").unwrap().unwrap_err();
    assert!(matches!(err, NetworkError::Request { failure: RequestFailure::ResponseTooLarge { len: 10_000, max: 2048 }, .. }), "{err}");
}

// DESIGN §4: only peers listed in genesis may connect; anything else is refused at the
// connection and reported. The outsider knows the members and allows them, but they refuse it.
#[tokio::test(flavor = "multi_thread")]
async fn a_peer_outside_the_allow_list_is_refused_and_its_gossip_goes_nowhere() {
    let mut members = mesh(2, 50).await;
    let outsider_secret = [59u8; 32];
    let member_peers: Vec<PeerId> = members.iter().map(|m| m.peer).collect();
    let outsider = start(config(outsider_secret, members.iter().map(Node::addr).collect(), member_peers.clone())).await;

    for member in &mut members {
        let refused = next_matching(&mut member.events, "a refusal", |e| match e {
            NetworkEvent::Refused { peer } => Some(peer),
            _ => None,
        })
        .await;
        assert_eq!(refused, outsider.peer);
    }
    // While it keeps redialing, it never counts as connected, on either side.
    for _ in 0..10 {
        assert_eq!(outsider.net.connected_peers(), 0);
        assert_eq!(outsider.net.topic_peers(Topic::Transactions), 0);
        assert!(members.iter().all(|m| m.net.connected_peers() == 1 && !m.net.peers().contains(&outsider.peer)));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let err = outsider.net.publish(Topic::Transactions, b"let me in".to_vec()).await.unwrap_err();
    assert!(matches!(err, NetworkError::NoPeers { topic: Topic::Transactions }), "{err}");
    for member in &mut members {
        let seen = collect(&mut member.events, Duration::from_millis(1000)).await;
        assert_eq!(gossip_copies(&seen, Topic::Transactions, b"let me in"), 0);
        assert!(seen.iter().all(|e| !matches!(e, NetworkEvent::PeerConnected(p) if *p == outsider.peer)));
    }
    // Members cannot reach it either: dialing a peer outside genesis is refused locally.
    let err = members[0].net.request(outsider.peer, b"hello".to_vec()).await.unwrap_err();
    assert!(matches!(err, NetworkError::Request { failure: RequestFailure::Unreachable, .. }), "{err}");
}

// DESIGN §9: a dropped connection is redialed with backoff; a node that restarts on its address
// is reconnected without any action from its consumer.
#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_peer_is_redialed() {
    init_logs();
    let (a, b) = ([60u8; 32], [61u8; 32]);
    let allowed = vec![peer_id_from_secret(a), peer_id_from_secret(b)];
    let first_b = start(config(b, vec![], allowed.clone())).await;
    let b_addr = first_b.addr();
    let mut node_a = start(config(a, vec![b_addr.clone()], allowed.clone())).await;
    let b_peer = first_b.peer;
    next_matching(&mut node_a.events, "the first connection", |e| (e == NetworkEvent::PeerConnected(b_peer)).then_some(())).await;

    first_b.net.shutdown().await;
    next_matching(&mut node_a.events, "the disconnection", |e| (e == NetworkEvent::PeerDisconnected(b_peer)).then_some(())).await;
    assert_eq!(node_a.net.connected_peers(), 0);

    let mut again = config(b, vec![], allowed);
    again.listen = first_b.net.listen_addrs()[0].clone();
    let _second_b = start(again).await;
    next_matching(&mut node_a.events, "the reconnection", |e| (e == NetworkEvent::PeerConnected(b_peer)).then_some(())).await;
    assert_eq!(node_a.net.connected_peers(), 1);
}

// STYLE habit 8: bad input is a typed caller error; a stopped network answers `Shutdown`.
#[tokio::test(flavor = "multi_thread")]
async fn errors_are_typed_and_classed() {
    init_logs();
    let me = [70u8; 32];
    let other = peer_id_from_secret([71; 32]);
    let at = |s: &str| s.parse::<Multiaddr>().unwrap();

    let mut no_suffix = config(me, vec![at("/ip4/127.0.0.1/tcp/1")], vec![other]);
    let err = Network::start(no_suffix.clone()).await.err().expect("a peer without /p2p/ must be refused");
    assert!(matches!(err, NetworkError::BadConfig { what: "peer", .. }) && err.class() == ErrorClass::CallerFault, "{err}");

    no_suffix.peers = vec![at(&format!("/ip4/127.0.0.1/tcp/1/p2p/{}", peer_id_from_secret([72; 32])))];
    let err = Network::start(no_suffix.clone()).await.err().expect("a peer outside the allow-list must be refused");
    assert!(err.to_string().contains("not in the allow-list"), "{err}");

    let mut tiny = config(me, vec![], vec![other]);
    tiny.max_message_bytes = 10;
    assert!(matches!(Network::start(tiny).await.err(), Some(NetworkError::BadConfig { what: "max_message_bytes", .. })));

    let mut udp = config(me, vec![], vec![other]);
    udp.listen = at("/ip4/127.0.0.1/udp/0");
    let err = Network::start(udp).await.err().expect("TCP cannot listen on UDP");
    assert!(matches!(err, NetworkError::Listen { .. }) && err.class() == ErrorClass::Fatal, "{err}");

    let mut node = start(config(me, vec![], vec![other])).await;
    assert_eq!(node.net.connected_peers(), 0);
    let err = node.net.publish(Topic::Consensus, b"vote".to_vec()).await.unwrap_err();
    assert!(matches!(err, NetworkError::NoPeers { .. }) && err.class() == ErrorClass::Retryable, "{err}");
    let clone = node.net.clone();
    node.net.shutdown().await;
    assert!(matches!(clone.publish(Topic::Consensus, b"vote".to_vec()).await, Err(NetworkError::Shutdown)));
    assert!(matches!(clone.request(other, b"x".to_vec()).await, Err(NetworkError::Shutdown)));
    assert_eq!(timeout(WAIT, node.events.recv()).await.expect("the event stream must end"), None);
    clone.shutdown().await; // a second shutdown is harmless
}

// A consumer that stops reading never stalls the swarm: events beyond the channel's capacity are
// dropped and counted, and the node keeps serving.
#[tokio::test(flavor = "multi_thread")]
async fn a_slow_consumer_loses_counted_events_but_never_stalls_the_swarm() {
    init_logs();
    let (a, b) = ([80u8; 32], [81u8; 32]);
    let allowed = vec![peer_id_from_secret(a), peer_id_from_secret(b)];
    let mut cramped = config(a, vec![], allowed.clone());
    cramped.event_capacity = 4;
    let reader_less = start(cramped).await;
    let sender = start(config(b, vec![reader_less.addr()], allowed)).await;
    let (net, sender_net) = (reader_less.net.clone(), sender.net.clone());
    wait_until("the two nodes to connect", move || {
        net.topic_peers(Topic::Transactions) == 1 && sender_net.topic_peers(Topic::Transactions) == 1
    })
    .await;
    for i in 0..50u32 {
        sender.net.publish(Topic::Transactions, i.to_be_bytes().to_vec()).await.unwrap();
    }
    let net = reader_less.net.clone();
    wait_until("dropped events to be counted", move || net.dropped_events() > 0).await;
    // The swarm still runs: the unread node still publishes, and the sender receives.
    let mut sender = sender;
    reader_less.net.publish(Topic::Consensus, b"still alive".to_vec()).await.unwrap();
    next_matching(&mut sender.events, "gossip from the unread node", |e| {
        matches!(e, NetworkEvent::Gossip { topic: Topic::Consensus, ref data, .. } if data == b"still alive").then_some(())
    })
    .await;
    assert!(reader_less.events.len() <= 4);
}

// DESIGN §4: the allow-list is genesis's validators and observers, and a node key's libp2p
// identity is the one genesis lists for it, so devnet nodes admit each other.
#[tokio::test(flavor = "multi_thread")]
async fn configs_from_a_devnet_genesis_admit_each_other() {
    init_logs();
    let spec = loanchain_genesis::DevnetSpec::new(4, 1, 1_700_000_000);
    let devnet = loanchain_genesis::devnet(&spec, &[9; 32]).unwrap();
    let configs: Vec<NetworkConfig> = devnet
        .nodes
        .iter()
        .map(|n| NetworkConfig::from_genesis(&n.config, &devnet.genesis, n.node_key.keypair().secret_bytes()).unwrap())
        .collect();
    let listed: Vec<PeerId> = devnet.genesis.allowed_peer_ids().iter().map(|p| p.parse().unwrap()).collect();
    assert_eq!(listed.len(), 5);
    for (config, node) in configs.iter().zip(&devnet.nodes) {
        assert_eq!(config.local_peer_id(), node.node_key.peer_id());
        assert_eq!(config.allowed, listed);
        assert_eq!(config.peers.len(), 4);
        assert!(config.peers.iter().all(|p| loanchain_network::peer_of(p).is_some_and(|peer| peer != config.local_peer_id())));
    }
    // Run two of them on loopback port 0 (the devnet's fixed ports are not ours to take here).
    let mut first = configs[0].clone();
    (first.listen, first.peers) = (loopback(), vec![]);
    let mut first = start(first).await;
    let mut observer = configs[4].clone();
    (observer.listen, observer.peers) = (loopback(), vec![first.addr()]);
    let observer = start(observer).await;
    let observer_peer = observer.peer;
    next_matching(&mut first.events, "the observer", |e| (e == NetworkEvent::PeerConnected(observer_peer)).then_some(())).await;
    let net = observer.net.clone();
    wait_until("the observer to see the validator", move || net.connected_peers() == 1).await;
    assert_eq!(observer.net.peers(), vec![first.peer]);
}

mod frames {
    use futures::io::Cursor;
    use loanchain_network::codec::{CodecError, read_frame, write_frame};

    #[tokio::test]
    async fn frames_round_trip_and_oversized_ones_are_refused_before_reading() {
        let mut wire = Vec::new();
        write_frame(&mut wire, b"block 7", 1024).await.unwrap();
        assert_eq!(wire[..4], 7u32.to_be_bytes());
        assert_eq!(read_frame(&mut Cursor::new(&wire), 1024).await.unwrap(), b"block 7");

        // A prefix announcing 4 GiB is refused from the prefix alone.
        let liar = u32::MAX.to_be_bytes().to_vec();
        let err = read_frame(&mut Cursor::new(&liar), 1024).await.unwrap_err();
        assert!(matches!(err, CodecError::FrameTooLarge { len, max: 1024 } if len == u64::from(u32::MAX)), "{err}");

        let err = read_frame(&mut Cursor::new(&wire), 6).await.unwrap_err();
        assert!(matches!(err, CodecError::FrameTooLarge { len: 7, max: 6 }), "{err}");

        let err = read_frame(&mut Cursor::new(&wire[..6]), 1024).await.unwrap_err();
        assert!(matches!(err, CodecError::Io(ref e) if e.kind() == std::io::ErrorKind::UnexpectedEof), "{err}");

        let mut out = Vec::new();
        let err = write_frame(&mut out, &[0u8; 2000], 1024).await.unwrap_err();
        assert!(matches!(err, CodecError::FrameTooLarge { len: 2000, max: 1024 }), "{err}");
        assert!(out.is_empty(), "nothing is written for a refused frame");
    }
}
