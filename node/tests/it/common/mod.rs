//! A devnet of real `loanchain-node` processes on 127.0.0.1 for the multi-process tests, and an
//! HTTP client for their API.

#![allow(dead_code)]

pub mod workload;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use loanchain_api::{BatchItemResult, BatchSubmitRequest, BatchSubmitResponse, BlockInfo, NodeStatus, TxState, TxStatus};
use loanchain_contracts::{Hash, SignedTransaction};
use loanchain_genesis::{ConsensusParams, DevnetFiles, DevnetSpec, devnet};
use loanchain_network::{Network, NetworkConfig, NetworkEvent, NetworkHandle, PeerId, peer_id_from_secret};

/// The multi-process tests run one at a time: they share two cores.
pub static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

/// Generated devnet files and the node processes.
pub struct Cluster {
    pub dir: tempfile::TempDir,
    pub files: DevnetFiles,
    procs: Vec<Option<Child>>,
    pub http: reqwest::Client,
}

impl Cluster {
    /// Writes a devnet of `validators` + `observers` with ports from `base_port`.
    pub fn new(validators: usize, observers: usize, base_port: u16) -> Cluster {
        Cluster::with_consensus(validators, observers, base_port, |_| {})
    }

    /// [`Cluster::new`] with the devnet's consensus parameters changed by `change`.
    pub fn with_consensus(validators: usize, observers: usize, base_port: u16, change: impl FnOnce(&mut ConsensusParams)) -> Cluster {
        let mut spec = DevnetSpec::new(validators, observers, now_ms() - 1_000);
        spec.base_port = base_port;
        let mut seed = [0u8; 32];
        seed[..2].copy_from_slice(&base_port.to_be_bytes());
        let mut files = devnet(&spec, &seed).expect("devnet generated");
        change(&mut files.genesis.consensus);
        files.genesis.validate().expect("the changed genesis is valid");
        let hash = files.genesis.hash();
        for node in &mut files.nodes {
            node.config.genesis_hash = hash;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        files.write(dir.path(), true).expect("devnet written");
        let n = files.nodes.len();
        Cluster { dir, files, procs: (0..n).map(|_| None).collect(), http: reqwest::Client::new() }
    }

    pub fn len(&self) -> usize {
        self.files.nodes.len()
    }

    pub fn name(&self, i: usize) -> &str {
        &self.files.nodes[i].config.name
    }

    pub fn node_dir(&self, i: usize) -> PathBuf {
        self.dir.path().join(self.name(i))
    }

    pub fn is_observer(&self, i: usize) -> bool {
        self.files.nodes[i].consensus_key.is_none()
    }

    pub fn api(&self, i: usize) -> String {
        format!("http://{}", self.files.nodes[i].config.api_listen)
    }

    /// Sets node `i`'s mempool capacity in its config.json (before it starts).
    pub fn set_mempool_capacity(&mut self, i: usize, capacity: usize) {
        let path = self.node_dir(i).join("config.json");
        let mut config: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        config["mempool_capacity"] = capacity.into();
        std::fs::write(&path, serde_json::to_vec_pretty(&config).unwrap()).unwrap();
    }

    /// Starts node `i` (appending to its log).
    pub fn start(&mut self, i: usize) {
        self.start_with_env(i, &[]);
    }

    /// Starts node `i` with these environment variables added (appending to its log).
    pub fn start_with_env(&mut self, i: usize, env: &[(&str, &str)]) {
        let dir = self.node_dir(i);
        let log = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("node.log")).unwrap();
        let role = if self.is_observer(i) { "--observer" } else { "--validator" };
        let child = Command::new(env!("CARGO_BIN_EXE_loanchain-node"))
            .arg("--config")
            .arg(dir.join("config.json"))
            .arg(role)
            .env("RUST_LOG", std::env::var("NODE_LOG").unwrap_or("info".into()))
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("node started");
        self.procs[i] = Some(child);
    }

    pub fn start_all(&mut self) {
        for i in 0..self.len() {
            self.start(i);
        }
    }

    /// SIGKILL, no goodbye.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.procs[i].take() {
            c.kill().ok();
            c.wait().ok();
        }
    }

    /// The network of a peer in this process that takes the observer's identity (an allowed
    /// peer) while no observer process runs: a probe, or a lying peer.
    pub async fn probe_network(&self, who: &str) -> (NetworkHandle, tokio::sync::mpsc::Receiver<NetworkEvent>) {
        let node = self.files.nodes.iter().find(|n| n.consensus_key.is_none()).expect("the devnet has an observer");
        let config = NetworkConfig::from_genesis(&node.config, &self.files.genesis, node.node_key.keypair().secret_bytes()).unwrap();
        Network::start(config).await.unwrap_or_else(|e| panic!("the {who}'s network: {e}"))
    }

    /// Node `i`'s peer id on the network.
    pub fn peer_id(&self, i: usize) -> PeerId {
        peer_id_from_secret(self.files.nodes[i].node_key.keypair().secret_bytes())
    }

    pub fn log(&self, i: usize) -> String {
        std::fs::read_to_string(self.node_dir(i).join("node.log")).unwrap_or_default()
    }

    pub async fn status(&self, i: usize) -> Option<NodeStatus> {
        let r = self.http.get(format!("{}/v1/status", self.api(i))).timeout(Duration::from_secs(2)).send().await.ok()?;
        r.json().await.ok()
    }

    pub async fn height(&self, i: usize) -> Option<u64> {
        self.status(i).await.map(|s| s.height)
    }

    /// Waits until every node of `nodes` has committed `height`.
    pub async fn wait_height(&self, nodes: &[usize], height: u64, timeout: Duration) {
        let start = Instant::now();
        loop {
            let mut all = true;
            for &i in nodes {
                if self.height(i).await.is_none_or(|h| h < height) {
                    all = false;
                }
            }
            if all {
                return;
            }
            if start.elapsed() > timeout {
                let mut seen = Vec::new();
                let mut tails = String::new();
                for &i in nodes {
                    let h = self.height(i).await;
                    if h.is_none_or(|h| h < height) {
                        let log = self.log(i);
                        let tail: Vec<&str> = log.lines().rev().take(3).collect();
                        tails.push_str(&format!(
                            "\n{} log ends: {}",
                            self.name(i),
                            tail.into_iter().rev().collect::<Vec<_>>().join("\n  ")
                        ));
                    }
                    seen.push((self.name(i).to_string(), h));
                }
                panic!("nodes did not reach height {height} within {timeout:?}: {seen:?}{tails}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub async fn block(&self, i: usize, height: u64) -> Option<BlockInfo> {
        let r = self.http.get(format!("{}/v1/blocks/{height}", self.api(i))).send().await.ok()?;
        if !r.status().is_success() {
            return None;
        }
        r.json().await.ok()
    }

    /// Submits in batches to node `i`; panics on any rejection.
    pub async fn submit_all(&self, i: usize, txs: &[SignedTransaction]) -> Vec<Hash> {
        let mut hashes = Vec::new();
        for chunk in txs.chunks(500) {
            let body = BatchSubmitRequest { txs: chunk.iter().map(|t| hex::encode(t.to_bytes())).collect() };
            let r: BatchSubmitResponse = self
                .http
                .post(format!("{}/v1/transactions/batch", self.api(i)))
                .json(&body)
                .send()
                .await
                .expect("batch submitted")
                .json()
                .await
                .expect("batch answer");
            for res in r.results {
                match res {
                    BatchItemResult::Accepted { tx_hash } => hashes.push(tx_hash),
                    BatchItemResult::Rejected { error } => panic!("transaction rejected: {} {}", error.code, error.message),
                }
            }
        }
        hashes
    }

    pub async fn tx(&self, i: usize, hash: &Hash) -> Option<TxStatus> {
        let r = self.http.get(format!("{}/v1/transactions/{hash}", self.api(i))).send().await.ok()?;
        r.json().await.ok()
    }

    /// Waits until every hash is committed on node `i`; returns their statuses.
    pub async fn wait_committed(&self, i: usize, hashes: &[Hash], timeout: Duration) -> Vec<TxStatus> {
        let start = Instant::now();
        let mut out = Vec::with_capacity(hashes.len());
        for h in hashes {
            loop {
                if let Some(s) = self.tx(i, h).await
                    && s.state == TxState::Committed
                {
                    out.push(s);
                    break;
                }
                assert!(start.elapsed() < timeout, "transaction {h} not committed within {timeout:?} on {}", self.name(i));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        out
    }

    /// Submits and waits; asserts every receipt succeeded.
    pub async fn run_ok(&self, i: usize, txs: &[SignedTransaction]) -> Vec<TxStatus> {
        let hashes = self.submit_all(i, txs).await;
        let statuses = self.wait_committed(i, &hashes, Duration::from_secs(60)).await;
        for s in &statuses {
            let r = s.receipt.as_ref().expect("committed transactions have receipts");
            assert!(r.ok(), "receipt of {} ({}) failed: {:?}", s.tx_hash, r.kind, r.status);
        }
        statuses
    }

    /// The block hash at `height` on every node in `nodes` (all must have it).
    pub async fn block_hashes(&self, nodes: &[usize], height: u64) -> Vec<Hash> {
        let mut out = Vec::new();
        for &i in nodes {
            out.push(self.block(i, height).await.unwrap_or_else(|| panic!("{} has no block {height}", self.name(i))).hash);
        }
        out
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for i in 0..self.procs.len() {
            self.kill(i);
        }
    }
}
