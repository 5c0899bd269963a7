//! Real `loanchain-node` validators with one peer that lies (issue 16): the lying peer runs in this
//! process on the real network crate, with the identity of the devnet's observer (an allowed peer,
//! as any member's node is), and speaks the real wire protocol. It serves altered block bodies
//! (weakness 2), or, holding a validator's consensus key, equivocates and gossips evidence, true,
//! forged and far ahead (weakness 8).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use loanchain_network::{NetworkEvent, NetworkHandle, PeerId, Topic, peer_id_from_secret};
use loanchain_node::wire::{self, Gossip, SyncRequest, SyncResponse};
use loanchain_types::{ConsensusMessage, Evidence, Hash, SignedVote, ValidatorIndex, Vote, VoteKind};
use tokio::task::JoinHandle;

use crate::common::workload::Workload;
use crate::common::{Cluster, SERIAL, now_ms};

const VALIDATORS: [usize; 4] = [0, 1, 2, 3];
const UNTIL: u64 = 900;

/// Starts the four validators, not the observer (whose identity the lying peer takes).
fn start_validators(c: &mut Cluster) {
    for i in VALIDATORS {
        c.start(i);
    }
}

/// How the lying peer changes what it passes on.
#[derive(Clone, Copy)]
enum Lie {
    /// Drops the last transaction of every block (header and certificate unchanged).
    DropLastTransaction,
}

impl Lie {
    fn apply(self, block: &mut loanchain_types::Block) {
        match self {
            Lie::DropLastTransaction => {
                block.transactions.pop();
            }
        }
    }
}

/// Starts the lying peer under the observer's identity (the observer process is not started). It
/// announces validator-0's latest height with its true certificate every 100 ms, ten times as
/// often as honest nodes (a true claim: the lie is in the bodies), and answers every sync request
/// with validator-0's answer, altered by `lie`. The task counts the blocks it altered.
async fn start_liar(c: &Cluster, lie: Lie) -> (NetworkHandle, Arc<AtomicU64>) {
    let (http, api) = (c.http.clone(), c.api(0));
    let latest = Arc::new(std::sync::Mutex::new(Gossip::Status { height: 0, stamp: 0, certificate: None }));
    let follow = latest.clone();
    // Follows validator-0 over its API, so that the claim is always its newest proved height.
    tokio::spawn(async move {
        loop {
            if let Ok(r) = http.get(format!("{api}/v1/status")).send().await
                && let Ok(s) = r.json::<loanchain_api::NodeStatus>().await
                && let Ok(r) = http.get(format!("{api}/v1/blocks/{}", s.height)).send().await
                && let Ok(b) = r.json::<loanchain_api::BlockInfo>().await
            {
                *follow.lock().unwrap() = Gossip::Status { height: s.height, stamp: 0, certificate: b.certificate };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let (net, task) = start_liar_announcing(
        c,
        move |_| match latest.lock().unwrap().clone() {
            Gossip::Status { height, certificate, .. } => Gossip::Status { height, stamp: now_ms(), certificate },
            other => other,
        },
        lie,
    )
    .await;
    let altered = Arc::new(AtomicU64::new(0));
    let count = altered.clone();
    tokio::spawn(async move {
        if let Ok(n) = task.await {
            count.store(n, Ordering::SeqCst);
        }
    });
    (net, altered)
}

/// [`start_liar`] with the announcement made by `announce` from the liar's latest honest answer.
async fn start_liar_announcing(
    c: &Cluster,
    announce: impl Fn(u64) -> Gossip + Send + 'static,
    lie: Lie,
) -> (NetworkHandle, JoinHandle<u64>) {
    let (net, mut events) = c.probe_network("liar").await;
    let honest: PeerId = peer_id_from_secret(c.files.nodes[0].node_key.keypair().secret_bytes());
    let handle = net.clone();
    let task = tokio::spawn(async move {
        let mut altered = 0u64;
        let mut ticker = tokio::time::interval(Duration::from_millis(100));
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Some(NetworkEvent::Request { data, reply, .. }) => {
                        let Ok(request) = wire::decode::<SyncRequest>(&data) else { continue };
                        let Ok(bytes) = net.request(honest, wire::encode(&request)).await else { continue };
                        let Ok(mut answer) = wire::decode::<SyncResponse>(&bytes) else { continue };
                        match &mut answer {
                            SyncResponse::Blocks(blocks) => blocks.iter_mut().filter(|(b, _)| !b.transactions.is_empty()).for_each(|(b, _)| {
                                lie.apply(b);
                                altered += 1;
                            }),
                            SyncResponse::Block(Some(b)) if !b.transactions.is_empty() => {
                                lie.apply(b);
                                altered += 1;
                            }
                            _ => {}
                        }
                        let _ = net.respond(reply, wire::encode(&answer)).await;
                    }
                    Some(_) => {}
                    None => return altered,
                },
                _ = ticker.tick() => {
                    let _ = net.publish(Topic::Blocks, wire::encode(&announce(altered))).await;
                }
            }
        }
    });
    (handle, task)
}

/// Issue 16, weakness 2: a validator catching up from a peer that serves altered bodies under true
/// headers and certificates stores only the certified blocks, and gets them from honest peers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn altered_block_bodies_from_a_peer_are_refused_and_fetched_elsewhere() {
    let _serial = SERIAL.lock().await;
    let mut c = Cluster::new(4, 1, 27_600);
    start_validators(&mut c);
    c.wait_height(&VALIDATORS, 1, Duration::from_secs(30)).await;
    let mut w = Workload::new(&c.files, "b1", 20, 0, now_ms());
    let regs = w.registrations(UNTIL);
    c.run_ok(0, &regs).await;
    let (liar, altered) = start_liar(&c, Lie::DropLastTransaction).await;
    // Which peer a restarted node asks first is a race the liar, announcing ten times as often,
    // usually wins; a node that asked an honest peer first proves nothing here, so it is killed
    // and restarted again (at most ten times) until the liar was asked.
    let mut tries = 0;
    let mut top = 0;
    while tries < 10 && !c.log(3).contains("does not prove what it claims") {
        tries += 1;
        c.kill(3);
        for _ in 0..3 {
            let deposits = w.deposits(10, UNTIL);
            c.run_ok(0, &deposits).await;
        }
        top = c.height(0).await.unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
        c.start(3);
        c.wait_height(&[3], top, Duration::from_secs(60)).await;
        // Whoever it asked, it holds the certified bodies.
        for h in 1..=top {
            let (honest, restarted) = (c.block(0, h).await.unwrap(), c.block(3, h).await.unwrap());
            assert_eq!(restarted.hash, honest.hash, "height {h}");
            assert_eq!(restarted.tx_hashes, honest.tx_hashes, "validator-3 stored another body at height {h}");
        }
    }
    // It goes on with the others.
    c.wait_height(&VALIDATORS, top + 2, Duration::from_secs(30)).await;
    liar.shutdown().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let altered = altered.load(Ordering::SeqCst);
    assert!(
        c.log(3).contains("does not prove what it claims"),
        "validator-3 was offered altered bodies and refused them ({tries} restarts)"
    );
    assert!(altered > 0, "the liar altered blocks");
    println!("the liar altered {altered} blocks; validator-3 refused them and caught up to {top} from honest peers ({tries} restarts)");
}

/// Issue 16, weakness 4: a peer that claims a height it cannot prove does not make nodes believe
/// they are behind (nor pick it to sync from): a claim is believed only with the claimed height's
/// certificate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claimed_height_without_its_certificate_is_not_believed() {
    let _serial = SERIAL.lock().await;
    let mut c = Cluster::new(4, 1, 27_650);
    start_validators(&mut c);
    c.wait_height(&VALIDATORS, 2, Duration::from_secs(30)).await;
    // A certificate of another height does not prove this one either.
    let old = c.block(0, 1).await.unwrap().certificate;
    let (liar, _task) = start_liar_announcing(
        &c,
        move |n| Gossip::Status {
            height: 1_000_000 + n,
            stamp: now_ms(),
            certificate: if n.is_multiple_of(2) { old.clone() } else { None },
        },
        Lie::DropLastTransaction,
    )
    .await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    for i in VALIDATORS {
        let s = c.status(i).await.expect("serving");
        assert!(s.behind < 100, "{} believes it is {} blocks behind", c.name(i), s.behind);
    }
    let h = c.height(0).await.unwrap();
    c.wait_height(&VALIDATORS, h + 2, Duration::from_secs(30)).await;
    liar.shutdown().await;
}

/// Publishes junk on every topic as fast as gossip takes it: badly signed votes and proposals for
/// the heights being decided, re-sends full of them, announcements with forged certificates,
/// transactions that do not decode, and bytes that are nothing at all. Returns how many messages
/// it published.
async fn start_flooder(c: &Cluster) -> (NetworkHandle, JoinHandle<u64>) {
    use loanchain_types::{
        BlockHeader, CommitCertificate, CommitSignature, ConsensusMessage, Hash, Proposal, SignedProposal, SignedVote, ValidatorIndex,
        Vote, VoteKind,
    };
    let (net, mut events) = c.probe_network("flooder").await;
    let chain_id = c.files.genesis.chain_id.clone();
    let status_url = format!("{}/v1/status", c.api(0));
    let http = c.http.clone();
    let handle = net.clone();
    let task = tokio::spawn(async move {
        let forger = loanchain_types::Keypair::from_secret([0x66; 32]);
        let mut sent = 0u64;
        let mut n = 0u32;
        let mut height = 1;
        let mut ticker = tokio::time::interval(Duration::from_millis(10));
        loop {
            tokio::select! {
                event = events.recv() => if event.is_none() { return sent },
                _ = ticker.tick() => {
                    if n.is_multiple_of(100)
                        && let Ok(r) = http.get(&status_url).send().await
                        && let Ok(s) = r.json::<loanchain_api::NodeStatus>().await
                    {
                        height = s.height + 1;
                    }
                    n += 1;
                    // Forged signatures cost the flooder nothing (it shares the machine's two
                    // cores with the validators): 64 bytes that are no one's signature.
                    let vote = |h: u64, r: u32, v: u32| {
                        let vote = Vote { height: h, round: r, kind: VoteKind::Prevote, block_hash: Some(Hash::digest(&r.to_le_bytes())), validator: ValidatorIndex(v) };
                        let mut signature = [0u8; 64];
                        signature[..4].copy_from_slice(&r.to_le_bytes());
                        signature[32..36].copy_from_slice(&v.to_le_bytes());
                        ConsensusMessage::Vote(SignedVote { vote, signature: loanchain_types::Signature(signature) })
                    };
                    let header = BlockHeader {
                        chain_id: chain_id.clone(),
                        height,
                        time_ms: now_ms(),
                        proposer: ValidatorIndex(n % 4),
                        previous_block_hash: Hash::digest(&n.to_le_bytes()),
                        transactions_root: Hash::ZERO,
                        last_commit_hash: Hash::ZERO,
                        app_hash: Hash::ZERO,
                        validator_set_hash: Hash::ZERO,
                    };
                    let proposal = SignedProposal::sign(&forger, &chain_id, Proposal { height, round: n % 3, block_hash: header.hash(), valid_round: None, proposer: ValidatorIndex(n % 4) });
                    let forged_cert = CommitCertificate {
                        height: height + 1_000,
                        round: 0,
                        block_hash: Hash::digest(b"no such block"),
                        signatures: (0..4).map(|v| CommitSignature { validator: ValidatorIndex(v), signature: forger.sign(loanchain_types::Domain::Vote, b"x") }).collect(),
                    };
                    let messages = [
                        (Topic::Consensus, wire::encode(&Gossip::Consensus(vote(height, n, n % 4)))),
                        (Topic::Consensus, wire::encode(&Gossip::Consensus(vote(height + 1, n, n % 4)))),
                        (Topic::Consensus, wire::encode(&Gossip::Proposal { proposal, header, tx_hashes: vec![Hash::digest(&n.to_be_bytes())], last_commit: None })),
                        (Topic::Consensus, wire::encode(&Gossip::Replay { stamp: u64::from(n), messages: (0..200).map(|k| vote(height, n * 200 + k, k % 4)).collect() })),
                        (Topic::Blocks, wire::encode(&Gossip::Status { height: height + 1_000, stamp: u64::from(n), certificate: Some(forged_cert) })),
                        (Topic::Transactions, wire::encode(&wire::TxBatch((0..100).map(|k| format!("not a transaction {n} {k}").into_bytes()).collect()))),
                        (Topic::Consensus, format!("garbage {n}").into_bytes()),
                        (Topic::Blocks, format!("garbage {n}").into_bytes()),
                        (Topic::Transactions, format!("garbage {n}").into_bytes()),
                    ];
                    for (topic, bytes) in messages {
                        if net.publish(topic, bytes).await.is_ok() {
                            sent += 1;
                        }
                    }
                }
            }
        }
    });
    (handle, task)
}

/// Issue 16, weakness 4 ("done means"): a peer sending garbage on every topic does not slow the
/// chain's commits by more than 20 %. Heights committed in 10 s of an idle chain (its pace is set
/// by the timeouts) are compared with the next 10 s under the flood.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_flooding_every_topic_with_garbage_slows_commits_by_at_most_a_fifth() {
    let _serial = SERIAL.lock().await;
    let mut c = Cluster::new(4, 1, 27_680);
    start_validators(&mut c);
    c.wait_height(&VALIDATORS, 2, Duration::from_secs(30)).await;
    let window = Duration::from_secs(10);
    let h0 = c.height(0).await.unwrap();
    tokio::time::sleep(window).await;
    let h1 = c.height(0).await.unwrap();
    let (flooder, task) = start_flooder(&c).await;
    tokio::time::sleep(window).await;
    let h2 = c.height(0).await.unwrap();
    flooder.shutdown().await;
    let sent = task.await.unwrap();
    let (quiet, flooded) = (h1 - h0, h2 - h1);
    println!("{quiet} heights in {window:?} without the flood, {flooded} with it ({sent} junk messages published)");
    assert!(sent > 1_000, "the flood ran: {sent} messages");
    assert!(flooded * 5 >= quiet * 4, "the flood slowed commits from {quiet} to {flooded} heights in {window:?}");
    c.wait_height(&VALIDATORS, h2 + 2, Duration::from_secs(30)).await;
}

/// The evidence node `i` serves (`GET /v1/evidence`), as JSON; `None` while it does not answer 200.
async fn evidence(c: &Cluster, i: usize) -> Option<serde_json::Value> {
    let r = c.http.get(format!("{}/v1/evidence", c.api(i))).timeout(Duration::from_secs(2)).send().await.ok()?;
    if !r.status().is_success() {
        return None;
    }
    r.json().await.ok()
}

/// Whether `list` holds an equivocation of `validator` of `kind` at `round` of one of `heights`.
fn holds(list: &serde_json::Value, validator: &str, kind: &str, round: u32, heights: &[u64]) -> bool {
    list["evidence"].as_array().is_some_and(|all| {
        all.iter().any(|e| {
            e["validator_name"] == validator
                && e["round"] == round
                && e["kind"] == kind
                && e["height"].as_u64().is_some_and(|h| heights.contains(&h))
        })
    })
}

/// The value of counter `name` in node `i`'s `/metrics`.
async fn counter(c: &Cluster, i: usize, name: &str) -> Option<u64> {
    let text = c.http.get(format!("{}/metrics", c.api(i))).send().await.ok()?.text().await.ok()?;
    text.lines().find_map(|l| l.strip_prefix(&format!("loanchain_{name}_total "))).and_then(|v| v.trim().parse().ok())
}

/// Polls `check` every 200 ms until it holds; panics with `what` after `within`.
async fn eventually<F: std::future::Future<Output = bool>>(within: Duration, what: impl Fn() -> String, mut check: impl FnMut() -> F) {
    let start = std::time::Instant::now();
    while !check().await {
        assert!(start.elapsed() < within, "{}", what());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Issue 16, weakness 8: a validator that signs two prevotes for one height and round is caught by
/// every validator, which stores the evidence durably, gossips it and serves it at `/v1/evidence`;
/// a restarted validator still serves it. Evidence a peer gossips is stored when it verifies and
/// refused (counted, not stored) when it is forged or of a height far ahead. The equivocator is an
/// in-process peer with the observer's network identity (the observer process is not started) and
/// validator-3's consensus key (validator-3's process is not started): the three others are a
/// quorum.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_equivocation_is_stored_gossiped_and_served_by_every_validator() {
    let _serial = SERIAL.lock().await;
    let honest = [0, 1, 2];
    let mut c = Cluster::new(4, 1, 27_700);
    for i in honest {
        c.start(i);
    }
    c.wait_height(&honest, 2, Duration::from_secs(30)).await;

    let (net, mut events) = c.probe_network("equivocator").await;
    // The evidence the honest validators gossip, as the equivocator receives it.
    let gossiped = tokio::spawn(async move {
        let mut seen = Vec::new();
        while let Some(event) = events.recv().await {
            if let NetworkEvent::Gossip { topic: Topic::Consensus, data, .. } = event
                && let Ok(Gossip::Evidence(e)) = wire::decode::<Gossip>(&data)
            {
                seen.push(e);
            }
        }
        seen
    });
    let start = std::time::Instant::now();
    while net.topic_peers(Topic::Consensus) < honest.len() {
        assert!(start.elapsed() < Duration::from_secs(20), "the equivocator did not join the consensus topic");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let key = c.files.nodes[3].consensus_key.as_ref().expect("validator-3's consensus key").keypair().clone();
    let set = c.files.genesis.validator_set().unwrap();
    let me = (0..set.len() as u32).map(ValidatorIndex).find(|&v| set.get(v).unwrap().public_key == key.public()).unwrap();
    let chain_id = c.files.genesis.chain_id.clone();
    let vote = |height, round, kind, value: &[u8]| {
        SignedVote::sign(&key, &chain_id, Vote { height, round, kind, block_hash: Some(Hash::digest(value)), validator: me })
    };

    // The height being decided (validator-0's last committed + 1) and the next, in case it commits
    // meanwhile: the next is buffered and replayed when the core starts it.
    let current = c.height(0).await.unwrap() + 1;
    let heights = [current, current + 1];
    let published = std::time::Instant::now();
    for height in heights {
        for value in [&b"one"[..], &b"another"[..]] {
            let gossip = Gossip::Consensus(ConsensusMessage::Vote(vote(height, 0, VoteKind::Prevote, value)));
            net.publish(Topic::Consensus, wire::encode(&gossip)).await.expect("the conflicting prevote is published");
        }
    }
    // Evidence as gossip: of a past height no core sees votes of any more (stored when verified),
    // forged (a signature altered), and of a height far ahead (both refused).
    let pair = |height, round| Evidence::ConflictingVotes {
        first: vote(height, round, VoteKind::Precommit, b"one"),
        second: vote(height, round, VoteKind::Precommit, b"another"),
    };
    let mut forged = pair(1, 6);
    if let Evidence::ConflictingVotes { second, .. } = &mut forged {
        second.signature.0[0] ^= 1;
    }
    for evidence in [pair(1, 5), forged, pair(current + 1_000, 0)] {
        net.publish(Topic::Consensus, wire::encode(&Gossip::Evidence(evidence))).await.expect("the evidence is published");
    }

    let name = c.name(3).to_string();
    for i in honest {
        let what = || format!("{} does not serve the evidence of {name} at heights {heights:?} and 1", c.name(i));
        eventually(Duration::from_secs(20), what, || async {
            evidence(&c, i).await.is_some_and(|l| holds(&l, &name, "prevote", 0, &heights) && holds(&l, &name, "precommit", 5, &[1]))
                && counter(&c, i, "evidence_refused").await.is_some_and(|n| n >= 2)
        })
        .await;
        let list = evidence(&c, i).await.unwrap();
        assert!(!holds(&list, &name, "precommit", 6, &[1]), "{} stored forged evidence: {list}", c.name(i));
        assert!(!holds(&list, &name, "precommit", 0, &[current + 1_000]), "{} stored evidence far ahead: {list}", c.name(i));
        assert!(counter(&c, i, "evidence_stored").await.is_some_and(|n| n >= 2), "{}", c.name(i));
        assert_eq!(list["total"], list["count"], "{list}");
    }
    let served_after = published.elapsed();

    // Durable: a restarted validator serves it from its own storage.
    c.kill(0);
    c.start(0);
    let start = std::time::Instant::now();
    let list = loop {
        if let Some(list) = evidence(&c, 0).await {
            break list;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "validator-0 did not come back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        holds(&list, &name, "prevote", 0, &heights) && holds(&list, &name, "precommit", 5, &[1]),
        "after a restart validator-0 lost the evidence: {list}"
    );
    net.shutdown().await;

    // The validators that found the equivocation gossiped it, each at most once per piece.
    let gossiped = gossiped.await.unwrap();
    assert!(gossiped.iter().any(|e| e.validator() == me && heights.contains(&e.height())), "no validator gossiped the evidence");
    for h in heights {
        let n = gossiped.iter().filter(|e| e.height() == h).count();
        assert!(n <= honest.len(), "evidence of height {h} gossiped {n} times by {} validators", honest.len());
    }
    println!(
        "evidence of {name} at heights {heights:?} served by validators 0-2 {served_after:?} after the prevotes were published, and \
         after a restart; {} pieces gossiped to the equivocator",
        gossiped.len()
    );
}
