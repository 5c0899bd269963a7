//! A one-process stand-in for a node's HTTP API, for loanctl's tests: the real contracts state
//! machine over an in-memory store, a block every 50 ms of what was submitted, no consensus, no
//! network. It serves exactly the routes and JSON types of `loanchain_api` that loanctl
//! uses, so the binary can be driven end to end before (and besides) the real node.
#![allow(dead_code)]

pub mod scenario;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use loanchain_api::*;
use loanchain_contracts::state::tables::{Accounts, Loans};
use loanchain_contracts::state::{KeyCodec, MemStore, read, scan};
use loanchain_contracts::tx::verify_transactions;
use loanchain_contracts::{
    AccountId, BlockContext, Event, Hash, LoanId, Params, Receipt, SignedTransaction, execute_block, init_genesis, views,
};
use loanchain_genesis::Genesis;
use loanchain_types::{BlockHeader, ValidatorIndex};

struct Chain {
    params: Params,
    store: MemStore,
    height: u64,
    time: u64,
    app_hash: Hash,
    genesis_hash: Hash,
    pending: Vec<SignedTransaction>,
    receipts: HashMap<Hash, (u64, u64, Receipt)>,
    blocks: Vec<BlockInfo>,
    events: Vec<Event>,
}

type Shared = Arc<Mutex<Chain>>;

fn err(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (status, Json(ErrorBody { error: ApiError { code: code.into(), message: message.into() } })).into_response()
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

impl Chain {
    fn accept(&mut self, hex_tx: &str) -> Result<Hash, ApiError> {
        let bad = |code: &str, message: String| ApiError { code: code.into(), message };
        let bytes = hex::decode(hex_tx).map_err(|e| bad("bad_encoding", e.to_string()))?;
        let tx = SignedTransaction::from_bytes(&bytes).map_err(|e| bad("bad_encoding", e.to_string()))?;
        let hash = tx.hash();
        tx.clone().verify(&self.params.chain_id).map_err(|e| bad("bad_signature", e.to_string()))?;
        self.pending.push(tx);
        Ok(hash)
    }

    fn make_block(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let txs = std::mem::take(&mut self.pending);
        let verified: Vec<_> = verify_transactions(&self.params.chain_id, txs).into_iter().map(Result::unwrap).collect();
        self.height += 1;
        self.time = now_ms().max(self.time + 1);
        let ctx = BlockContext { height: self.height, time: self.time };
        let out = execute_block(&self.store, &self.params, ctx, &self.app_hash, &verified).expect("the mock's blocks execute");
        self.store.apply(&out.writes);
        self.app_hash = out.app_hash;
        self.events.extend(out.events);
        let header = BlockHeader {
            chain_id: self.params.chain_id.clone(),
            height: self.height,
            time_ms: self.time,
            proposer: ValidatorIndex(0),
            previous_block_hash: self.blocks.last().map(|b| b.hash).unwrap_or(Hash::ZERO),
            transactions_root: Hash::ZERO,
            last_commit_hash: Hash::ZERO,
            app_hash: self.app_hash,
            validator_set_hash: Hash::ZERO,
        };
        for r in out.receipts {
            self.receipts.insert(r.tx_hash, (self.height, self.time, r));
        }
        let tx_hashes = verified.iter().map(|t| t.hash()).collect();
        self.blocks.push(BlockInfo { hash: header.hash(), header, tx_hashes, certificate: None, app_hash_after: Some(self.app_hash) });
    }
}

async fn status(State(c): State<Shared>) -> Json<NodeStatus> {
    let c = c.lock().unwrap();
    Json(NodeStatus {
        name: "mock".into(),
        role: NodeRole::Validator,
        chain_id: c.params.chain_id.clone(),
        genesis_hash: c.genesis_hash,
        height: c.height,
        block_hash: c.blocks.last().map(|b| b.hash),
        app_hash: c.app_hash,
        block_time_ms: c.time,
        round: 0,
        peers: 0,
        mempool_size: c.pending.len(),
        behind: 0,
        stale: false,
    })
}

async fn submit(State(c): State<Shared>, Json(req): Json<SubmitRequest>) -> Response {
    match c.lock().unwrap().accept(&req.tx) {
        Ok(tx_hash) => (StatusCode::ACCEPTED, Json(SubmitResponse { tx_hash })).into_response(),
        Err(e) => err(StatusCode::BAD_REQUEST, &e.code, e.message),
    }
}

async fn submit_batch(State(c): State<Shared>, Json(req): Json<BatchSubmitRequest>) -> Json<BatchSubmitResponse> {
    let mut c = c.lock().unwrap();
    let results = req
        .txs
        .iter()
        .map(|t| match c.accept(t) {
            Ok(tx_hash) => BatchItemResult::Accepted { tx_hash },
            Err(error) => BatchItemResult::Rejected { error },
        })
        .collect();
    Json(BatchSubmitResponse { results })
}

async fn tx_status(State(c): State<Shared>, UrlPath(hash): UrlPath<String>) -> Response {
    let Ok(hash) = hash.parse::<Hash>() else { return err(StatusCode::BAD_REQUEST, "bad_hash", "not a hash") };
    let c = c.lock().unwrap();
    let status = match c.receipts.get(&hash) {
        Some((h, t, r)) => TxStatus {
            tx_hash: hash,
            state: TxState::Committed,
            height: Some(*h),
            index: Some(r.index),
            block_time_ms: Some(*t),
            receipt: Some(r.clone()),
        },
        None if c.pending.iter().any(|p| p.hash() == hash) => {
            TxStatus { tx_hash: hash, state: TxState::Pending, height: None, index: None, block_time_ms: None, receipt: None }
        }
        None => TxStatus { tx_hash: hash, state: TxState::Unknown, height: None, index: None, block_time_ms: None, receipt: None },
    };
    Json(status).into_response()
}

async fn block(State(c): State<Shared>, UrlPath(h): UrlPath<u64>) -> Response {
    let c = c.lock().unwrap();
    match h.checked_sub(1).and_then(|i| c.blocks.get(i as usize)) {
        Some(b) => Json(b.clone()).into_response(),
        None => err(StatusCode::NOT_FOUND, "not_found", format!("no block {h}")),
    }
}

async fn loan(State(c): State<Shared>, UrlPath(id): UrlPath<String>) -> Response {
    let c = c.lock().unwrap();
    let Ok(id) = LoanId::new(id) else { return err(StatusCode::BAD_REQUEST, "bad_loan_id", "bad id") };
    let Some(loan) = read::<Loans>(&c.store, &id).unwrap() else { return err(StatusCode::NOT_FOUND, "not_found", format!("no loan {id}")) };
    let prefix = id.key_bytes();
    let claims = scan::<loanchain_contracts::state::tables::Claims>(&c.store, &prefix, usize::MAX)
        .unwrap()
        .into_iter()
        .map(|(k, claim)| {
            let index = u32::from_be_bytes(k[prefix.len()..].try_into().unwrap());
            ClaimEntry { id: loanchain_contracts::ClaimId { loan: id.clone(), index }, claim }
        })
        .collect();
    Json(LoanDetail { id, loan, claims }).into_response()
}

async fn history(State(c): State<Shared>, UrlPath(id): UrlPath<String>) -> Json<Vec<Event>> {
    let c = c.lock().unwrap();
    Json(c.events.iter().filter(|e| e.loan.as_ref().is_some_and(|l| l.as_str() == id)).cloned().collect())
}

async fn loans(State(c): State<Shared>) -> Json<Vec<LoanEntry>> {
    let c = c.lock().unwrap();
    Json(views::loans(&c.store).unwrap().into_iter().map(|(id, loan)| LoanEntry { id, loan }).collect())
}

async fn account(State(c): State<Shared>, UrlPath(id): UrlPath<String>) -> Response {
    let c = c.lock().unwrap();
    let Ok(id) = id.parse::<AccountId>() else { return err(StatusCode::BAD_REQUEST, "bad_account", "bad id") };
    match read::<Accounts>(&c.store, &id).unwrap() {
        Some(account) => Json(AccountEntry { id, account }).into_response(),
        None => err(StatusCode::NOT_FOUND, "not_found", format!("no account {id}")),
    }
}

async fn claims(State(c): State<Shared>, UrlPath(id): UrlPath<String>) -> Response {
    let c = c.lock().unwrap();
    let Ok(id) = id.parse::<AccountId>() else { return err(StatusCode::BAD_REQUEST, "bad_account", "bad id") };
    let list = views::holder_claims(&c.store, &id)
        .unwrap()
        .into_iter()
        .map(|(id, claim, loan_status)| HolderClaim { id, claim, loan_status })
        .collect::<Vec<_>>();
    Json(list).into_response()
}

/// A running mock node; its URL is `http://ADDR`.
pub struct MockNode {
    pub url: String,
}

impl MockNode {
    /// Starts a mock node for the devnet genesis in `dir`, on its own thread and runtime.
    pub fn start(dir: &Path) -> MockNode {
        let genesis = Genesis::load(dir.join("genesis.json")).unwrap();
        let (writes, app_hash) = init_genesis(&genesis.params, &genesis.accounts).unwrap();
        let mut store = MemStore::new();
        store.apply(&writes);
        let chain = Arc::new(Mutex::new(Chain {
            params: genesis.params.clone(),
            store,
            height: 0,
            time: genesis.genesis_time,
            app_hash,
            genesis_hash: genesis.hash(),
            pending: Vec::new(),
            receipts: HashMap::new(),
            blocks: Vec::new(),
            events: Vec::new(),
        }));
        let (tx, rx) = std::sync::mpsc::channel::<SocketAddr>();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(async move {
                let app = Router::new()
                    .route("/v1/status", get(status))
                    .route("/v1/transactions", post(submit))
                    .route("/v1/transactions/batch", post(submit_batch))
                    .route("/v1/transactions/{hash}", get(tx_status))
                    .route("/v1/blocks/{height}", get(block))
                    .route("/v1/loans", get(loans))
                    .route("/v1/loans/{id}", get(loan))
                    .route("/v1/loans/{id}/history", get(history))
                    .route("/v1/accounts/{id}", get(account))
                    .route("/v1/accounts/{id}/claims", get(claims))
                    .with_state(chain.clone());
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                tokio::spawn(async move {
                    loop {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        chain.lock().unwrap().make_block();
                    }
                });
                axum::serve(listener, app).await.unwrap();
            });
        });
        let addr = rx.recv().unwrap();
        MockNode { url: format!("http://{addr}") }
    }
}
