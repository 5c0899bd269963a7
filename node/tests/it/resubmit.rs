//! Issue 16, weakness 1, with real processes ("done means"): committed transactions submitted
//! again — to every validator's API and as gossip from a peer, before and after every validator
//! restarted (a restart empties the pool's memory of recent transactions) — are refused, never
//! enter a pool or a proposal, and the chain goes on committing; a transaction from a key no
//! account holds is refused at admission, never committed. Before the fix such a transaction was
//! committed with a failed receipt, admitted again later, and froze every height it was proposed in.

use std::time::Duration;

use loanchain_api::{BatchItemResult, BatchSubmitRequest, BatchSubmitResponse, ErrorBody, TxState};
use loanchain_contracts::{Amount, Keypair, Payload, SignedTransaction};
use loanchain_network::{NetworkHandle, Topic};
use loanchain_node::wire::{self, TxBatch};

use crate::common::workload::Workload;
use crate::common::{Cluster, SERIAL, now_ms};

const VALIDATORS: [usize; 4] = [0, 1, 2, 3];
const UNTIL: u64 = 900;

/// Posts `txs` to every validator, one by one and as one batch: each must be refused with `code`.
async fn refused_everywhere(c: &Cluster, txs: &[SignedTransaction], code: &str) {
    for i in VALIDATORS {
        for tx in txs {
            let r = c.http.post(format!("{}/v1/transactions", c.api(i))).json(&serde_json::json!({ "tx": hex::encode(tx.to_bytes()) }));
            let r = r.send().await.unwrap();
            let status = r.status();
            let body: ErrorBody = r.json().await.unwrap();
            assert!(
                status.is_client_error() && body.error.code == code,
                "{} answered {status} {body:?} for {}, not {code}",
                c.name(i),
                tx.hash()
            );
        }
        let body = BatchSubmitRequest { txs: txs.iter().map(|t| hex::encode(t.to_bytes())).collect() };
        let r: BatchSubmitResponse =
            c.http.post(format!("{}/v1/transactions/batch", c.api(i))).json(&body).send().await.unwrap().json().await.unwrap();
        for res in &r.results {
            assert!(matches!(res, BatchItemResult::Rejected { error } if error.code == code), "{} batch: {res:?}, not {code}", c.name(i));
        }
    }
}

/// Gossips `txs` from the probe peer until the network takes them (after a restart the validators
/// dial the probe again first). Gossip is deduplicated by content: the same transactions in
/// another order are a new message.
async fn gossip(probe: &NetworkHandle, txs: &[SignedTransaction]) {
    let bytes = wire::encode(&TxBatch(txs.iter().map(SignedTransaction::to_bytes).collect()));
    let mut last = None;
    for _ in 0..100 {
        match probe.publish(Topic::Transactions, bytes.clone()).await {
            Ok(()) => return,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the probe could not gossip in 10 s: {last:?}");
}

/// Transactions node `i` refused at admission so far, from clients and from gossip.
async fn rejected(c: &Cluster, i: usize) -> u64 {
    let text = c.http.get(format!("{}/metrics", c.api(i))).send().await.unwrap().text().await.unwrap();
    let value =
        text.lines().find_map(|l| l.strip_prefix("loanchain_transactions_rejected_total ").and_then(|v| v.trim().parse::<f64>().ok()));
    value.unwrap_or_else(|| panic!("{} has no loanchain_transactions_rejected_total", c.name(i))) as u64
}

/// Every transaction of `txs` is committed on every validator, by its index (a copy in a pool
/// would make it "pending").
async fn committed_everywhere(c: &Cluster, txs: &[SignedTransaction]) {
    for i in VALIDATORS {
        for tx in txs {
            let s = c.tx(i, &tx.hash()).await.unwrap_or_else(|| panic!("{} does not know {}", c.name(i), tx.hash()));
            assert_eq!(s.state, TxState::Committed, "{} says {:?} for committed {}", c.name(i), s.state, tx.hash());
        }
    }
}

/// New deposits commit, and every validator goes 8 heights on (each has proposed about twice,
/// each time with the resubmitted transactions in reach of its pool, had it taken them).
async fn still_commits(c: &Cluster, w: &mut Workload) {
    let start = c.height(0).await.expect("validator-0 answers");
    let fresh = w.deposits(1, UNTIL);
    c.run_ok(1, &fresh).await;
    c.wait_height(&VALIDATORS, start + 8, Duration::from_secs(60)).await;
    for i in VALIDATORS {
        let size = c.status(i).await.expect("answers").mempool_size;
        assert_eq!(size, 0, "{}'s pool holds {size} transactions: resubmitted ones were taken", c.name(i));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committed_transactions_submitted_again_before_and_after_restarts_never_stop_the_chain() {
    let _serial = SERIAL.lock().await;
    let mut c = Cluster::new(4, 1, 27_960);
    // The observer process does not run: the probe takes its identity to gossip.
    for i in VALIDATORS {
        c.start(i);
    }
    c.wait_height(&VALIDATORS, 1, Duration::from_secs(30)).await;
    let (probe, _events) = c.probe_network("resubmitter").await;
    let mut w = Workload::new(&c.files, "resubmit", 6, 2, now_ms());
    let mut committed = Vec::new();
    let regs = w.registrations(UNTIL);
    c.run_ok(0, &regs).await;
    committed.extend(regs);
    let deps = w.deposits(1_000, UNTIL);
    c.run_ok(1, &deps).await;
    committed.extend(deps);
    // A registered signer's transaction that fails: committed all the same, with a failed receipt.
    let account = w.investors[0].key.public().account_id();
    let custodian = w.custodian.clone();
    let overdraft = w.sign(&custodian, Payload::Withdraw { account, amount: Amount::yuan(1_000_000), reference: "too much".into() }, UNTIL);
    let hashes = c.submit_all(2, std::slice::from_ref(&overdraft)).await;
    let statuses = c.wait_committed(2, &hashes, Duration::from_secs(30)).await;
    assert!(!statuses[0].receipt.as_ref().expect("a receipt").ok(), "the overdraft was refused in execution, not admission");
    committed.push(overdraft);
    // A key no account holds: refused at admission by every validator, before and after restarts.
    let stranger = Keypair::from_secret([0x5a; 32]);
    let deposit = Payload::Deposit { account: stranger.public().account_id(), amount: Amount::yuan(1), reference: "stranger".into() };
    let unregistered = w.sign(&stranger, deposit, UNTIL);
    refused_everywhere(&c, std::slice::from_ref(&unregistered), "unknown_account").await;

    for (k, round) in ["before restarts", "after every validator restarted"].into_iter().enumerate() {
        println!("resubmitting {} committed transactions {round}", committed.len());
        refused_everywhere(&c, &committed, "already_committed").await;
        refused_everywhere(&c, std::slice::from_ref(&unregistered), "unknown_account").await;
        let mut all = committed.clone();
        all.push(unregistered.clone());
        if k == 1 {
            all.reverse();
        }
        let mut before = Vec::new();
        for i in VALIDATORS {
            before.push(rejected(&c, i).await);
        }
        gossip(&probe, &all).await;
        // The gossip reached every validator's admission, which refused all of it.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        for i in VALIDATORS {
            while rejected(&c, i).await < before[i] + all.len() as u64 {
                assert!(
                    std::time::Instant::now() < deadline,
                    "{} did not refuse the {} gossiped transactions in 20 s",
                    c.name(i),
                    all.len()
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        still_commits(&c, &mut w).await;
        committed_everywhere(&c, &committed).await;
        assert!(c.tx(0, &unregistered.hash()).await.is_none_or(|s| s.state != TxState::Committed), "the stranger's deposit was committed");
        if k == 0 {
            let h = c.height(0).await.expect("validator-0 answers");
            for i in VALIDATORS {
                c.kill(i);
            }
            for i in VALIDATORS {
                c.start(i);
            }
            c.wait_height(&VALIDATORS, h + 1, Duration::from_secs(60)).await;
        }
    }
    let height = c.height(0).await.unwrap() - 1;
    let hashes = c.block_hashes(&VALIDATORS, height).await;
    assert!(hashes.windows(2).all(|p| p[0] == p[1]), "validators differ at height {height}: {hashes:?}");
    probe.shutdown().await;
}
