//! The HTTP API (DESIGN §11) over a real RocksDB chain (see `fixture`): every route answers its
//! JSON shape, every bad input a JSON error with the right status, submissions reach the mempool
//! or leave it unchanged, and server-sent events carry committed events.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use loanchain_api::MAX_BATCH_TXS;
use loanchain_api::{
    AccountEntry, BatchItemResult, BatchSubmitResponse, BlockInfo, CommittedEvent, ErrorBody, EvidenceList, HolderClaim, LoanDetail,
    LoanEntry, MAX_BODY_BYTES, NodeRole, NodeStatus, RiskPool, SubmitResponse, TxState, TxStatus,
};
use loanchain_contracts::export::ExportedContract;
use loanchain_contracts::views::{Alert, SupervisionSummary};
use loanchain_contracts::{Event, EventKind, Hash, SignedTransaction};
use loanchain_node::api;
use loanchain_types::{CommitCertificate, Evidence, EvidenceKind, SignedVote, ValidatorIndex, Vote, VoteKind};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::fixture::{Chain, LOAN, chain};

struct Reply {
    status: StatusCode,
    content_type: String,
    body: Vec<u8>,
}

impl Reply {
    #[track_caller]
    fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    /// Checks a JSON error with this status and code.
    #[track_caller]
    fn error(&self, status: StatusCode, code: &str) -> String {
        assert_eq!(self.status, status, "{}", String::from_utf8_lossy(&self.body));
        assert!(self.content_type.starts_with("application/json"), "error content type {}", self.content_type);
        let body: ErrorBody = self.json();
        assert_eq!(body.error.code, code, "{}", body.error.message);
        body.error.message
    }
}

async fn send(app: &Router, method: &str, uri: &str, body: Option<Vec<u8>>) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    if body.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/json");
    }
    let req = req.body(body.map(Body::from).unwrap_or_else(Body::empty)).expect("request");
    let resp = app.clone().oneshot(req).await.expect("infallible");
    let status = resp.status();
    let content_type = resp.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await.expect("body").to_vec();
    Reply { status, content_type, body }
}

async fn get(app: &Router, uri: &str) -> Reply {
    send(app, "GET", uri, None).await
}

async fn post(app: &Router, uri: &str, body: Value) -> Reply {
    send(app, "POST", uri, Some(body.to_string().into_bytes())).await
}

fn hex_of(tx: &SignedTransaction) -> String {
    hex::encode(tx.to_bytes())
}

/// The transaction with the last byte of its signature flipped.
fn corrupted(tx: &SignedTransaction) -> String {
    let mut bytes = tx.to_bytes();
    if let Some(last) = bytes.last_mut() {
        *last ^= 0x01;
    }
    hex::encode(bytes)
}

fn app(c: &Chain, role: NodeRole) -> (Router, Arc<loanchain_node::context::NodeContext>) {
    let (ctx, _) = c.context(role, 16);
    (api::router(ctx.clone()), ctx)
}

#[tokio::test]
async fn status_reports_the_chain_with_the_live_mempool_size() {
    let c = chain("status");
    let (app, ctx) = app(&c, NodeRole::Validator);
    let s: NodeStatus = get(&app, "/v1/status").await.json();
    assert_eq!((s.height, s.block_hash, s.app_hash, s.mempool_size), (2, c.status.block_hash, c.status.app_hash, 0));
    assert_eq!(s.chain_id, c.chain_id());
    assert_eq!(post(&app, "/v1/transactions", json!({ "tx": hex_of(&c.deposit(100, 1)) })).await.status, StatusCode::ACCEPTED);
    let s: NodeStatus = get(&app, "/v1/status").await.json();
    assert_eq!((s.mempool_size, ctx.mempool.len()), (1, 1));
}

/// DESIGN §9: admission verifies the signature and nonce; a refusal leaves the mempool unchanged.
#[tokio::test]
async fn submissions_are_admitted_once_and_refused_with_their_reason() {
    let c = chain("submit");
    let (app, ctx) = app(&c, NodeRole::Validator);
    let good = c.deposit(100, 5);
    let r = post(&app, "/v1/transactions", json!({ "tx": hex_of(&good) })).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let accepted: SubmitResponse = r.json();
    assert_eq!(accepted.tx_hash, good.hash());
    let t: TxStatus = get(&app, &format!("/v1/transactions/{}", good.hash())).await.json();
    assert_eq!((t.state, t.height, t.receipt), (TxState::Pending, None, None));

    post(&app, "/v1/transactions", json!({ "tx": hex_of(&good) })).await.error(StatusCode::CONFLICT, "duplicate_transaction");
    let forged = c.deposit(101, 5);
    post(&app, "/v1/transactions", json!({ "tx": corrupted(&forged) })).await.error(StatusCode::UNPROCESSABLE_ENTITY, "bad_signature");
    // The custodian's nonce 1 was committed in block 1.
    let replayed = c.deposit(1, 5);
    post(&app, "/v1/transactions", json!({ "tx": hex_of(&replayed) })).await.error(StatusCode::UNPROCESSABLE_ENTITY, "nonce_replayed");
    let expired = c.sign(
        &c.custodian(),
        102,
        loanchain_contracts::Payload::Withdraw {
            account: c.investor.public().account_id(),
            amount: loanchain_contracts::Amount::yuan(1),
            reference: "x".into(),
        },
    );
    let expired =
        SignedTransaction::sign(c.chain_id(), loanchain_contracts::TxBody { valid_until_height: 1, ..expired.body }, &c.custodian());
    post(&app, "/v1/transactions", json!({ "tx": hex_of(&expired) })).await.error(StatusCode::UNPROCESSABLE_ENTITY, "expired");
    assert_eq!(ctx.mempool.len(), 1, "only the good transaction waits");
    assert!(!ctx.mempool.contains(&forged.hash()));

    // A batch: one verdict per transaction, in order.
    let second = c.deposit(103, 5);
    let r =
        post(&app, "/v1/transactions/batch", json!({ "txs": [hex_of(&second), "zz", corrupted(&c.deposit(104, 5)), hex_of(&good)] })).await;
    assert_eq!(r.status, StatusCode::OK);
    let codes: Vec<String> = r
        .json::<BatchSubmitResponse>()
        .results
        .into_iter()
        .map(|v| match v {
            BatchItemResult::Accepted { tx_hash } => format!("accepted {}", tx_hash == second.hash()),
            BatchItemResult::Rejected { error } => error.code,
        })
        .collect();
    assert_eq!(codes, ["accepted true", "malformed_transaction", "bad_signature", "duplicate_transaction"]);
    assert_eq!(ctx.mempool.len(), 2);
    let too_many = vec![""; MAX_BATCH_TXS + 1];
    post(&app, "/v1/transactions/batch", json!({ "txs": too_many })).await.error(StatusCode::PAYLOAD_TOO_LARGE, "batch_too_large");
}

/// Issue 16, weakness 1: what is committed is refused as such at admission, whatever the pool
/// remembers (after a restart it remembers nothing); a signer that has no account is refused at
/// admission, since its transaction would commit only a failed receipt and leave its nonce
/// unremembered; and a transaction's status is the index's before the pool's.
#[tokio::test]
async fn committed_transactions_and_unregistered_signers_are_refused_at_admission() {
    let c = chain("recommit");
    let (app, ctx) = app(&c, NodeRole::Validator);
    for tx in &c.block1 {
        post(&app, "/v1/transactions", json!({ "tx": hex_of(tx) })).await.error(StatusCode::CONFLICT, "already_committed");
    }
    let again: Vec<String> = c.block1.iter().map(hex_of).collect();
    let r = post(&app, "/v1/transactions/batch", json!({ "txs": again })).await.json::<BatchSubmitResponse>();
    assert!(r.results.iter().all(|v| matches!(v, BatchItemResult::Rejected { error } if error.code == "already_committed")), "{r:?}");

    let stranger = loanchain_types::test_utils::keypair(0x77);
    let payload = loanchain_contracts::Payload::Deposit {
        account: stranger.public().account_id(),
        amount: loanchain_contracts::Amount::yuan(5),
        reference: "a stranger".into(),
    };
    let unregistered = c.sign(&stranger, 1, payload);
    post(&app, "/v1/transactions", json!({ "tx": hex_of(&unregistered) })).await.error(StatusCode::UNPROCESSABLE_ENTITY, "unknown_account");
    assert_eq!(ctx.mempool.len(), 0, "nothing was admitted");

    // Pooled here, then committed by a block this node did not propose: the index wins.
    let pooled = c.deposit(200, 5);
    assert_eq!(post(&app, "/v1/transactions", json!({ "tx": hex_of(&pooled) })).await.status, StatusCode::ACCEPTED);
    c.commit_next(std::slice::from_ref(&pooled));
    assert!(ctx.mempool.contains(&pooled.hash()));
    let t: TxStatus = get(&app, &format!("/v1/transactions/{}", pooled.hash())).await.json();
    assert_eq!((t.state, t.height), (TxState::Committed, Some(c.blocks.len() as u64 + 1)), "{t:?}");
}

#[tokio::test]
async fn committed_transactions_have_their_receipt_and_block_time() {
    let c = chain("txstatus");
    let (app, _) = app(&c, NodeRole::Validator);
    let listed = &c.block1[3];
    let t: TxStatus = get(&app, &format!("/v1/transactions/{}", listed.hash())).await.json();
    assert_eq!((t.state, t.height, t.index, t.block_time_ms), (TxState::Committed, Some(1), Some(3), Some(c.blocks[0].header.time_ms)));
    let receipt = t.receipt.expect("receipt");
    assert!(receipt.ok() && receipt.tx_hash == listed.hash(), "{receipt:?}");
    let t: TxStatus = get(&app, &format!("/v1/transactions/{}", Hash::digest(b"never"))).await.json();
    assert_eq!((t.state, t.receipt), (TxState::Unknown, None));
    get(&app, "/v1/transactions/not-hex").await.error(StatusCode::BAD_REQUEST, "malformed_request");
    get(&app, "/v1/transactions/abcd").await.error(StatusCode::BAD_REQUEST, "malformed_request");
}

/// DESIGN §11: errors are JSON with the right status, never a panic or a 500 for bad input.
#[tokio::test]
async fn bad_input_gets_a_json_error_with_its_status() {
    let c = chain("errors");
    let (app, ctx) = app(&c, NodeRole::Validator);
    send(&app, "POST", "/v1/transactions", Some(b"{not json".to_vec())).await.error(StatusCode::BAD_REQUEST, "malformed_request");
    post(&app, "/v1/transactions", json!({ "transaction": "00" })).await.error(StatusCode::BAD_REQUEST, "malformed_request");
    post(&app, "/v1/transactions", json!({ "tx": "not hex!" })).await.error(StatusCode::BAD_REQUEST, "malformed_transaction");
    post(&app, "/v1/transactions", json!({ "tx": "00ff00" })).await.error(StatusCode::BAD_REQUEST, "malformed_transaction");
    send(&app, "POST", "/v1/transactions/batch", Some(b"[]".to_vec())).await.error(StatusCode::BAD_REQUEST, "malformed_request");
    let huge = json!({ "tx": "00".repeat(MAX_BODY_BYTES / 2 + 1) }).to_string().into_bytes();
    send(&app, "POST", "/v1/transactions", Some(huge)).await.error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    assert!(ctx.mempool.is_empty());

    get(&app, "/v1/nothing-here").await.error(StatusCode::NOT_FOUND, "not_found");
    get(&app, "/v1/loans/L-404").await.error(StatusCode::NOT_FOUND, "not_found");
    get(&app, "/v1/loans/L-404/history").await.error(StatusCode::NOT_FOUND, "not_found");
    get(&app, "/v1/loans/L-404/contract").await.error(StatusCode::NOT_FOUND, "not_found");
    get(&app, "/v1/loans/bad%20id!").await.error(StatusCode::BAD_REQUEST, "malformed_request");
    get(&app, &format!("/v1/loans/{}", "x".repeat(65))).await.error(StatusCode::BAD_REQUEST, "malformed_request");
    get(&app, "/v1/loans?status=lost").await.error(StatusCode::BAD_REQUEST, "malformed_request");
    get(&app, "/v1/loans?limit=many").await.error(StatusCode::BAD_REQUEST, "malformed_request");
    get(&app, "/v1/loans?institution=00").await.error(StatusCode::BAD_REQUEST, "malformed_request");
    get(&app, "/v1/blocks/abc").await.error(StatusCode::BAD_REQUEST, "malformed_request");
    get(&app, "/v1/blocks/-1").await.error(StatusCode::BAD_REQUEST, "malformed_request");
    get(&app, "/v1/blocks/99").await.error(StatusCode::NOT_FOUND, "not_found");
    get(&app, "/v1/blocks/18446744073709551615").await.error(StatusCode::NOT_FOUND, "not_found");
    get(&app, "/v1/accounts/zz").await.error(StatusCode::BAD_REQUEST, "malformed_request");
    get(&app, &format!("/v1/accounts/{}", Hash::digest(b"nobody"))).await.error(StatusCode::NOT_FOUND, "not_found");
    get(&app, &format!("/v1/accounts/{}/claims", Hash::digest(b"nobody"))).await.error(StatusCode::NOT_FOUND, "not_found");
    send(&app, "DELETE", "/v1/status", None).await.error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    get(&app, "/v1/transactions").await.error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
}

/// DESIGN §9: an observer refuses transactions.
#[tokio::test]
async fn an_observer_refuses_submissions() {
    let c = chain("observer");
    let (app, ctx) = app(&c, NodeRole::Observer);
    let tx = hex_of(&c.deposit(100, 1));
    post(&app, "/v1/transactions", json!({ "tx": tx })).await.error(StatusCode::FORBIDDEN, "read_only_observer");
    post(&app, "/v1/transactions/batch", json!({ "txs": [tx] })).await.error(StatusCode::FORBIDDEN, "read_only_observer");
    assert!(ctx.mempool.is_empty());
    assert_eq!(get(&app, "/v1/status").await.json::<NodeStatus>().role, NodeRole::Observer);
}

#[tokio::test]
async fn blocks_carry_their_certificate_and_app_hash_after() {
    let c = chain("blocks");
    let (app, _) = app(&c, NodeRole::Validator);
    let latest: BlockInfo = get(&app, "/v1/blocks/latest").await.json();
    assert_eq!((latest.header.height, latest.hash), (2, c.blocks[1].hash()));
    assert_eq!(latest.app_hash_after, Some(c.status.app_hash));
    let first: BlockInfo = get(&app, "/v1/blocks/1").await.json();
    assert_eq!(first.tx_hashes, c.block1.iter().map(SignedTransaction::hash).collect::<Vec<_>>());
    assert_eq!(first.app_hash_after, Some(c.blocks[1].header.app_hash), "block 2's header carries the app hash after block 1");
    let cert: CommitCertificate = first.certificate.expect("certificate");
    assert_eq!((cert.height, cert.block_hash), (1, c.blocks[0].hash()));
}

#[tokio::test]
async fn loans_list_filter_and_show_their_claims_history_and_contract() {
    let c = chain("loans");
    let (app, _) = app(&c, NodeRole::Validator);
    let inst = c.institution().public().account_id();
    let all: Vec<LoanEntry> = get(&app, "/v1/loans").await.json();
    assert_eq!(all.iter().map(|l| l.id.to_string()).collect::<Vec<_>>(), [LOAN]);
    assert_eq!(all[0].loan.funded.to_string(), "500.00");
    for (query, n) in [
        ("status=funding".to_string(), 1),
        ("status=active".to_string(), 0),
        (format!("institution={inst}"), 1),
        (format!("institution={inst}&status=funding&limit=5"), 1),
        (format!("institution={}", Hash::digest(b"other")), 0),
        ("limit=0".to_string(), 0),
        ("limit=99999".to_string(), 1),
    ] {
        assert_eq!(get(&app, &format!("/v1/loans?{query}")).await.json::<Vec<LoanEntry>>().len(), n, "{query}");
    }

    let detail: LoanDetail = get(&app, &format!("/v1/loans/{LOAN}")).await.json();
    assert_eq!(detail.claims.len(), 1);
    assert_eq!(detail.claims[0].claim.holder, c.investor.public().account_id());
    assert_eq!(detail.claims[0].id.to_string(), format!("{LOAN}#0"));

    let history: Vec<Event> = get(&app, &format!("/v1/loans/{LOAN}/history")).await.json();
    assert!(history.len() >= 2 && history.iter().all(|e| e.height == 1), "{history:?}");
    assert!(matches!(history[0].kind, EventKind::LoanListed { .. }), "{:?}", history[0]);
    assert_eq!(get(&app, &format!("/v1/loans/{LOAN}/history?limit=1")).await.json::<Vec<Event>>().len(), 1);

    // DESIGN §7: the export carries each seal with its chain timestamp, and verifies offline.
    let r = get(&app, &format!("/v1/loans/{LOAN}/contract")).await;
    let export = ExportedContract::from_json(std::str::from_utf8(&r.body).expect("utf-8")).expect("export");
    let parties: Vec<&str> = export.seals.iter().map(|s| s.party.as_str()).collect();
    assert_eq!(parties, ["borrower", "institution", "investor"]);
    for s in &export.seals {
        let ts = s.chain_timestamp.as_ref().expect("chain timestamp");
        assert_eq!((ts.height, ts.block_hash, ts.block_time), (1, c.blocks[0].hash(), c.blocks[0].header.time_ms));
        let cert: CommitCertificate = bcs::from_bytes(&ts.commit_certificate).expect("certificate decodes");
        assert_eq!(cert.block_hash, c.blocks[0].hash());
    }
    let authority = c.account("seal-authority").public();
    let report = export.verify(&[authority], None);
    assert!(report.seals.iter().all(|s| s.ok), "{report:?}");
}

#[tokio::test]
async fn accounts_claims_risk_pool_and_supervision() {
    let c = chain("accounts");
    let (app, _) = app(&c, NodeRole::Validator);
    let investor = c.investor.public().account_id();
    let a: AccountEntry = get(&app, &format!("/v1/accounts/{investor}")).await.json();
    assert_eq!((a.id, a.account.balance.to_string()), (investor, "500.00".to_string()));
    let claims: Vec<HolderClaim> = get(&app, &format!("/v1/accounts/{investor}/claims")).await.json();
    assert_eq!(claims.len(), 1);
    assert_eq!((claims[0].id.to_string(), claims[0].loan_status.name()), (format!("{LOAN}#0"), "funding"));
    let borrower = c.borrower.public().account_id();
    assert!(get(&app, &format!("/v1/accounts/{borrower}/claims")).await.json::<Vec<HolderClaim>>().is_empty());

    let pool: RiskPool = get(&app, "/v1/risk-pool").await.json();
    assert_eq!((pool.balance.to_string(), pool.enabled), ("0.00".to_string(), c.files.genesis.params.risk_pool_enabled));
    let summary: SupervisionSummary = get(&app, "/v1/supervision/summary").await.json();
    assert_eq!(summary.loans_by_status.get("funding"), Some(&1));
    // The investor's 500 in escrow, plus the institution's risk margin.
    assert!(summary.escrow > loanchain_contracts::Money::yuan(500), "{}", summary.escrow);
    assert_eq!(summary.by_institution.get(&c.institution().public().account_id()).map(|b| b.loans), Some(1));
    assert!(get(&app, "/v1/supervision/alerts").await.json::<Vec<Alert>>().is_empty());
}

/// Issue 16, weakness 8: the evidence a node stored is served at `/v1/evidence`, newest height
/// first with the validator's name, both messages structured and as bcs; `limit` and the
/// `before_height` cursor page it in whole heights; a bad query is a JSON 400. Observers serve it.
#[tokio::test]
async fn stored_evidence_is_served_newest_first_in_pages() {
    let c = chain("evidence");
    let (app, _) = app(&c, NodeRole::Observer);
    let empty: EvidenceList = get(&app, "/v1/evidence").await.json();
    assert_eq!((empty.total, empty.count, empty.evidence, empty.next_before_height), (0, 0, vec![], None));

    let key = c.files.nodes[0].consensus_key.as_ref().expect("validator key").keypair().clone();
    let pair = |height, kind| {
        let vote = |tag: &[u8]| {
            let vote = Vote { height, round: 1, kind, block_hash: Some(Hash::digest(tag)), validator: ValidatorIndex(0) };
            SignedVote::sign(&key, c.chain_id(), vote)
        };
        Evidence::ConflictingVotes { first: vote(b"one"), second: vote(b"two") }
    };
    let stored = [pair(1, VoteKind::Prevote), pair(3, VoteKind::Prevote), pair(2, VoteKind::Precommit), pair(2, VoteKind::Prevote)];
    for e in &stored {
        assert_eq!(c.storage.add_evidence(e).expect("stored"), loanchain_storage::EvidenceAdded::Stored);
    }

    let all: EvidenceList = get(&app, "/v1/evidence").await.json();
    assert_eq!((all.total, all.count, all.next_before_height), (4, 4, None));
    let listed: Vec<(u64, u32, EvidenceKind, &str)> =
        all.evidence.iter().map(|e| (e.height, e.round, e.kind, e.validator_name.as_str())).collect();
    assert_eq!(
        listed,
        [
            (3, 1, EvidenceKind::Prevote, "validator-0"),
            (2, 1, EvidenceKind::Precommit, "validator-0"),
            (2, 1, EvidenceKind::Prevote, "validator-0"),
            (1, 1, EvidenceKind::Prevote, "validator-0"),
        ]
    );
    let set = c.files.genesis.validator_set().expect("validator set");
    for entry in &all.evidence {
        let decoded: Evidence = bcs::from_bytes(&hex::decode(&entry.bcs).expect("hex")).expect("bcs of evidence");
        assert_eq!(decoded, entry.evidence);
        assert!(stored.contains(&decoded));
        decoded.verify(&set, c.chain_id()).expect("it proves an equivocation");
    }
    let raw: Value = get(&app, "/v1/evidence?limit=1").await.json();
    assert_eq!(raw["evidence"][0]["kind"], "prevote");
    assert!(raw["evidence"][0]["evidence"]["ConflictingVotes"]["second"]["signature"].is_string(), "{raw}");

    // Pages of whole heights, walked by the cursor: height 2 holds two pieces and comes whole.
    let heights = |l: &EvidenceList| l.evidence.iter().map(|e| e.height).collect::<Vec<_>>();
    let p1: EvidenceList = get(&app, "/v1/evidence?limit=1").await.json();
    assert_eq!((heights(&p1), p1.count, p1.total, p1.next_before_height), (vec![3], 1, 4, Some(3)));
    let p2: EvidenceList = get(&app, "/v1/evidence?limit=1&before_height=3").await.json();
    assert_eq!((heights(&p2), p2.count, p2.next_before_height), (vec![2, 2], 2, Some(2)));
    let p3: EvidenceList = get(&app, "/v1/evidence?limit=1&before_height=2").await.json();
    assert_eq!((heights(&p3), p3.next_before_height), (vec![1], None));
    let p: EvidenceList = get(&app, "/v1/evidence?limit=3").await.json();
    assert_eq!((heights(&p), p.next_before_height), (vec![3, 2, 2], Some(2)));
    assert_eq!(heights(&get(&app, "/v1/evidence?limit=99999").await.json()), [3, 2, 2, 1], "a large limit is capped, not refused");
    assert_eq!(get(&app, "/v1/evidence?before_height=1").await.json::<EvidenceList>().count, 0);

    for bad in ["limit=many", "limit=0", "limit=-1", "before_height=-1", "before_height=x", "before_height=18446744073709551616"] {
        get(&app, &format!("/v1/evidence?{bad}")).await.error(StatusCode::BAD_REQUEST, "malformed_request");
    }
}

#[tokio::test]
async fn openapi_metrics_and_dashboard() {
    let c = chain("docs");
    let (app, _) = app(&c, NodeRole::Validator);
    let doc: Value = get(&app, "/v1/openapi.json").await.json();
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")));
    assert_eq!(
        doc["paths"].as_object().map(|p| p.len()),
        Some(loanchain_api::routes::ALL.len()),
        "the route table and the description agree"
    );
    let paths = doc["paths"].as_object().expect("paths");
    for p in [
        "/v1/status",
        "/v1/transactions",
        "/v1/transactions/batch",
        "/v1/transactions/{hash}",
        "/v1/blocks/latest",
        "/v1/blocks/{height}",
        "/v1/loans",
        "/v1/loans/{id}",
        "/v1/loans/{id}/history",
        "/v1/loans/{id}/contract",
        "/v1/accounts/{id}",
        "/v1/accounts/{id}/claims",
        "/v1/risk-pool",
        "/v1/supervision/summary",
        "/v1/supervision/alerts",
        "/v1/evidence",
        "/v1/events",
        "/v1/openapi.json",
        "/metrics",
        "/dashboard",
    ] {
        assert!(paths.contains_key(p), "openapi.json describes {p}");
        // Every documented path is served (not the JSON 404 of unknown routes).
        let uri = p.replace("{hash}", &Hash::ZERO.to_string()).replace("{height}", "1").replace("{id}", LOAN);
        if !p.ends_with("/events") && !uri.contains("accounts") && p != "/v1/transactions" && !p.ends_with("batch") {
            assert_eq!(get(&app, &uri).await.status, StatusCode::OK, "GET {uri}");
        }
    }
    assert_eq!(paths.len(), 20, "no undocumented extras: {:?}", paths.keys().collect::<Vec<_>>());

    let m = get(&app, "/metrics").await;
    assert_eq!(m.status, StatusCode::OK);
    assert!(m.content_type.starts_with("application/openmetrics-text"), "{}", m.content_type);
    let text = String::from_utf8(m.body).expect("utf-8");
    assert!(text.contains("loanchain_height 2"), "{text}");

    let d = get(&app, "/dashboard").await;
    assert!(d.status == StatusCode::OK && d.content_type.starts_with("text/html"));
    let html = String::from_utf8(d.body).expect("utf-8");
    for needle in [
        "/v1/status",
        "/v1/supervision/summary",
        "/v1/supervision/alerts",
        "/v1/evidence?limit=20",
        "Equivocation evidence",
        "no equivocation evidence",
        "e.validator_name",
        "setInterval(refresh, 2000)",
    ] {
        assert!(html.contains(needle), "the dashboard uses {needle}");
    }
    assert!(!html.contains("http://") && !html.contains("https://"), "no external resource");
}

/// Reads the event stream until `want` appears; returns everything read.
async fn read_until(resp: &mut reqwest::Response, seen: &mut String, want: &str) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while !seen.contains(want) {
            match resp.chunk().await.expect("stream") {
                Some(chunk) => seen.push_str(&String::from_utf8_lossy(&chunk)),
                None => panic!("the stream ended before {want:?}: {seen}"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {want:?} within 10 s: {seen}"));
}

/// `GET /v1/events` over a real socket: each committed event as a `data:` line, `event: lagged`
/// for a subscriber that fell behind, and the stream ends when the server shuts down.
#[tokio::test]
async fn server_sent_events_deliver_committed_events_and_report_lag() {
    let c = chain("sse");
    // A broadcast buffer of 2 blocks, so a burst of 5 makes the subscriber lag.
    let (ctx, _status) = c.context(NodeRole::Observer, 2);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(api::serve(listener, ctx.clone(), async move {
        let _ = stopped.await;
    }));

    let status: NodeStatus = reqwest::get(format!("http://{addr}/v1/status")).await.expect("status").json().await.expect("json");
    assert_eq!(status.height, 2);
    let mut resp = reqwest::get(format!("http://{addr}/v1/events")).await.expect("events");
    assert!(resp.headers()[header::CONTENT_TYPE.as_str()].to_str().expect("ascii").starts_with("text/event-stream"));
    let mut seen = String::new();
    read_until(&mut resp, &mut seen, "loanchain committed events").await;

    let stored = c.storage.events(1).expect("events");
    let committed: Vec<CommittedEvent> =
        stored.iter().map(|e| CommittedEvent { height: 1, block_time_ms: e.time, event: e.clone() }).collect();
    assert!(ctx.events.send(Arc::new(committed.clone())).is_ok(), "the stream subscribed");
    let last = serde_json::to_string(&committed[committed.len() - 1]).expect("json");
    read_until(&mut resp, &mut seen, &format!("data: {last}\n\n")).await;
    let delivered: Vec<CommittedEvent> =
        seen.lines().filter_map(|l| l.strip_prefix("data: ")).map(|d| serde_json::from_str(d).expect("a CommittedEvent")).collect();
    assert_eq!(delivered, committed, "one data line per event, in order");

    // A burst while the stream task cannot run (this test's runtime has one thread).
    for h in 3..8 {
        let one = CommittedEvent { height: h, block_time_ms: h, event: Event { height: h, ..stored[0].clone() } };
        let _ = ctx.events.send(Arc::new(vec![one]));
    }
    read_until(&mut resp, &mut seen, "event: lagged").await;
    read_until(&mut resp, &mut seen, "\"height\":7").await;
    assert!(seen.contains("\"skipped\":3"), "{seen}");

    // Shutdown ends the open stream, so the server stops.
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), server).await.expect("the server stops").expect("join").expect("serve");
}
