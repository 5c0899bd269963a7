//! The node's HTTP API, as a typed client over the JSON shapes of `loanchain_api`.
//!
//! A 4xx answer becomes [`Rejected`] (the caller's fault: exit code 4); anything else that goes
//! wrong (connection refused, timeout, 5xx, an answer of the wrong shape) is an ordinary error.

use std::fmt;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use loanchain_api::routes;
use loanchain_api::{
    AccountEntry, BatchSubmitRequest, BatchSubmitResponse, BlockInfo, ErrorBody, HolderClaim, LoanDetail, LoanEntry, NodeStatus, RiskPool,
    SubmitRequest, SubmitResponse, TxStatus,
};
use loanchain_contracts::views::{Alert, SupervisionSummary};
use loanchain_contracts::{Event, Hash, SignedTransaction};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The node refused the request (HTTP 4xx), with its error code and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejected {
    /// HTTP status.
    pub status: u16,
    /// The node's error code (`nonce_replayed`, `not_found`...).
    pub code: String,
    /// The node's message.
    pub message: String,
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the node rejected the request ({} {}): {}", self.status, self.code, self.message)
    }
}

impl std::error::Error for Rejected {}

/// A client of one node's API.
#[derive(Clone, Debug)]
pub struct NodeClient {
    base: String,
    http: reqwest::Client,
}

impl NodeClient {
    /// A client of the node at `base` (`http://host:port`), each request bounded by `timeout`.
    pub fn new(base: &str, timeout: Duration) -> Result<NodeClient> {
        let base = base.trim_end_matches('/').to_string();
        anyhow::ensure!(base.starts_with("http://") || base.starts_with("https://"), "--node {base:?} must start with http://");
        let http =
            reqwest::Client::builder().timeout(timeout).pool_max_idle_per_host(256).build().context("cannot set up the HTTP client")?;
        Ok(NodeClient { base, http })
    }

    /// The node's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn decode<T: DeserializeOwned>(&self, what: &str, resp: reqwest::Response) -> Result<T> {
        let status = resp.status();
        let bytes = resp.bytes().await.with_context(|| format!("{what}: reading the answer from {}", self.base))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).with_context(|| format!("{what}: the node's answer has an unexpected shape"));
        }
        let (code, message) = match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(body) => (body.error.code, body.error.message),
            Err(_) => {
                let text: String = String::from_utf8_lossy(&bytes).chars().take(300).collect();
                let reason = status.canonical_reason().unwrap_or("no reason given");
                (
                    format!("http_{}", status.as_u16()),
                    if text.trim().is_empty() { format!("{reason} (not a loanchain API answer)") } else { text },
                )
            }
        };
        if status.is_client_error() {
            return Err(Rejected { status: status.as_u16(), code, message }.into());
        }
        Err(anyhow!("{what}: the node answered {status}: {code}: {message}"))
    }

    /// GETs `path` (a route's path, filled) and decodes the answer.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let what = format!("GET {path}");
        let resp = self.http.get(self.url(path)).send().await.with_context(|| format!("{what}: cannot reach the node at {}", self.base))?;
        self.decode(&what, resp).await
    }

    async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T> {
        let what = format!("POST {path}");
        let resp = self
            .http
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .with_context(|| format!("{what}: cannot reach the node at {}", self.base))?;
        self.decode(&what, resp).await
    }

    /// `GET /v1/status`.
    pub async fn status(&self) -> Result<NodeStatus> {
        self.get(routes::STATUS.path).await
    }

    /// `POST /v1/transactions`.
    pub async fn submit(&self, tx: &SignedTransaction) -> Result<SubmitResponse> {
        self.post(routes::SUBMIT.path, &SubmitRequest { tx: hex::encode(tx.to_bytes()) }).await
    }

    /// `POST /v1/transactions/batch` with transactions already encoded in hex.
    pub async fn submit_batch_hex(&self, txs: Vec<String>) -> Result<BatchSubmitResponse> {
        self.post(routes::SUBMIT_BATCH.path, &BatchSubmitRequest { txs }).await
    }

    /// `GET /v1/transactions/{hash}`.
    pub async fn tx_status(&self, hash: &Hash) -> Result<TxStatus> {
        self.get(&routes::TX_STATUS.path_with(&[&hash.to_hex()])).await
    }

    /// `GET /v1/blocks/{height}`.
    pub async fn block(&self, height: u64) -> Result<BlockInfo> {
        self.get(&routes::BLOCK.path_with(&[&height.to_string()])).await
    }

    /// `GET /v1/loans?status=&institution=&limit=`.
    pub async fn loans(&self, status: Option<&str>, institution: Option<&str>, limit: Option<u32>) -> Result<Vec<LoanEntry>> {
        let mut q = Vec::new();
        q.extend(status.map(|s| format!("status={s}")));
        q.extend(institution.map(|s| format!("institution={s}")));
        q.extend(limit.map(|l| format!("limit={l}")));
        let path = if q.is_empty() { routes::LOANS.path.to_string() } else { format!("{}?{}", routes::LOANS.path, q.join("&")) };
        self.get(&path).await
    }

    /// `GET /v1/loans/{id}`.
    pub async fn loan(&self, id: &str) -> Result<LoanDetail> {
        self.get(&routes::LOAN.path_with(&[id])).await
    }

    /// `GET /v1/loans/{id}/history`.
    pub async fn loan_history(&self, id: &str) -> Result<Vec<Event>> {
        self.get(&routes::LOAN_HISTORY.path_with(&[id])).await
    }

    /// `GET /v1/loans/{id}/contract`, as JSON (decoded by the caller into an export).
    pub async fn loan_contract(&self, id: &str) -> Result<serde_json::Value> {
        self.get(&routes::LOAN_CONTRACT.path_with(&[id])).await
    }

    /// `GET /v1/accounts/{id}`.
    pub async fn account(&self, id: &str) -> Result<AccountEntry> {
        self.get(&routes::ACCOUNT.path_with(&[id])).await
    }

    /// `GET /v1/accounts/{id}/claims`.
    pub async fn claims(&self, id: &str) -> Result<Vec<HolderClaim>> {
        self.get(&routes::ACCOUNT_CLAIMS.path_with(&[id])).await
    }

    /// `GET /v1/risk-pool`.
    pub async fn risk_pool(&self) -> Result<RiskPool> {
        self.get(routes::RISK_POOL.path).await
    }

    /// `GET /v1/supervision/summary`.
    pub async fn supervision_summary(&self) -> Result<SupervisionSummary> {
        self.get(routes::SUPERVISION_SUMMARY.path).await
    }

    /// `GET /v1/supervision/alerts`.
    pub async fn supervision_alerts(&self) -> Result<Vec<Alert>> {
        self.get(routes::SUPERVISION_ALERTS.path).await
    }
}
