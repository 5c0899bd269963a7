//! Starting a node: config and genesis, storage (initialised at first start, resumed afterwards —
//! never replayed from genesis), the network, the HTTP API, the transaction gossip batcher and the
//! chain task. `main.rs` and the in-process tests both start nodes through [`start`].

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use loanchain_api::{NodeRole, NodeStatus};
use loanchain_contracts::init_genesis;
use loanchain_genesis::keys::{KeyKind, read_key_of};
use loanchain_genesis::{Genesis, NodeConfig};
use loanchain_network::{Network, NetworkConfig, NetworkHandle, Topic};
use loanchain_storage::Storage;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::chain::Chain;
use crate::context::{NodeContext, WorkLimits};
use crate::mempool::Mempool;
use crate::metrics::Metrics;
use crate::wire;

/// How long the gossip batcher gathers admitted transactions before publishing them.
const GOSSIP_BATCH_WINDOW: Duration = Duration::from_millis(10);
/// Most transactions gathered before a publish (each gossip message is also cut by bytes:
/// [`wire::tx_batches`]).
const GOSSIP_BATCH_TXS: usize = 2_000;

/// A running node.
pub struct RunningNode {
    /// What the API serves.
    pub context: Arc<NodeContext>,
    /// The network.
    pub network: NetworkHandle,
    /// The chain task; ends with an error if the node had to stop (storage failure, divergence).
    pub chain: JoinHandle<anyhow::Result<()>>,
    /// The API server.
    pub api: JoinHandle<std::io::Result<()>>,
    /// The address the API listens on.
    pub api_addr: std::net::SocketAddr,
    /// How long from `start` until the API served.
    pub startup: Duration,
    shutdown: watch::Sender<bool>,
}

impl RunningNode {
    /// Stops the API and the network; the chain task ends with the network's event stream.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        self.network.shutdown().await;
        let _ = self.api.await;
        let _ = tokio::time::timeout(Duration::from_secs(5), self.chain).await;
    }
}

/// Starts the node of `config_path`. `role` is what the command line asked for; it must match the
/// config.
pub async fn start(config_path: &Path, role: NodeRole) -> anyhow::Result<RunningNode> {
    let started = Instant::now();
    let config = NodeConfig::load(config_path).with_context(|| format!("loading {}", config_path.display()))?;
    let genesis = Genesis::load(&config.genesis_file).with_context(|| format!("loading {}", config.genesis_file.display()))?;
    let genesis_hash = genesis.hash();
    if genesis_hash != config.genesis_hash {
        bail!("genesis {} has hash {genesis_hash}, the config expects {}", config.genesis_file.display(), config.genesis_hash);
    }
    let config_role = match config.role {
        loanchain_genesis::config::NodeRole::Validator => NodeRole::Validator,
        loanchain_genesis::config::NodeRole::Observer => NodeRole::Observer,
    };
    if config_role != role {
        bail!("{} describes a {:?} node, but it was started as {role:?}", config_path.display(), config_role);
    }
    let keypair = match role {
        NodeRole::Validator => {
            let file = config.consensus_key_file.as_ref().context("a validator needs consensus_key_file")?;
            Some(read_key_of(file, KeyKind::Consensus)?.keypair().clone())
        }
        NodeRole::Observer => None,
    };
    let node_key = read_key_of(&config.node_key_file, KeyKind::Node)?;

    let storage =
        Arc::new(Storage::open(&config.data_dir, genesis_hash).with_context(|| format!("opening {}", config.data_dir.display()))?);
    if storage.last_committed().is_none() {
        let (writes, app_hash) = init_genesis(&genesis.params, &genesis.accounts)?;
        storage.init_genesis(&writes, app_hash)?;
        info!(%app_hash, "genesis state written");
    }
    let last = storage.last_committed().context("storage has no genesis state")?;

    let mut net_config = NetworkConfig::from_genesis(&config, &genesis, node_key.keypair().secret_bytes())?;
    // Gossip is passed on only once this node found it valid (DESIGN §9).
    net_config.validate_gossip = true;
    let (network, events) = Network::start(net_config).await?;

    let genesis = Arc::new(genesis);
    let initial = NodeStatus {
        name: config.name.clone(),
        role,
        chain_id: genesis.chain_id.clone(),
        genesis_hash,
        height: last.height,
        block_hash: (last.height > 0).then_some(last.block_hash),
        app_hash: last.app_hash,
        block_time_ms: genesis.genesis_time,
        round: 0,
        peers: 0,
        mempool_size: 0,
        behind: 0,
        stale: false,
    };
    let (status_tx, status_rx) = watch::channel(initial);
    let (gossip_tx, gossip_rx) = mpsc::channel(1024);
    let context = Arc::new(NodeContext {
        name: config.name.clone(),
        role,
        genesis: genesis.clone(),
        genesis_hash,
        storage,
        mempool: Arc::new(Mempool::new(config.mempool_capacity, loanchain_types::limits::MAX_TX_BYTES)),
        status: status_rx,
        events: broadcast::channel(4096).0,
        metrics: Arc::new(Metrics::new()),
        gossip: (role == NodeRole::Validator).then_some(gossip_tx),
        limits: WorkLimits::per_core(),
    });
    context.metrics.height.set(last.height as i64);

    let chain = Chain::new(context.clone(), keypair, status_tx)?;
    let chain = tokio::spawn(crate::chain::run(chain, network.clone(), events));
    tokio::spawn(gossip_batcher(network.clone(), gossip_rx));

    let listener =
        tokio::net::TcpListener::bind(config.api_listen).await.with_context(|| format!("binding the API to {}", config.api_listen))?;
    let api_addr = listener.local_addr()?;
    let (shutdown, mut shutdown_rx) = watch::channel(false);
    let api = tokio::spawn(crate::api::serve(listener, context.clone(), async move {
        let _ = shutdown_rx.wait_for(|stop| *stop).await;
    }));
    let startup = started.elapsed();
    info!(name = %config.name, ?role, height = last.height, api = %api_addr, startup_ms = startup.as_millis() as u64, "node serving");
    Ok(RunningNode { context, network, chain, api, api_addr, startup, shutdown })
}

/// Publishes admitted transactions to the other validators in batches.
async fn gossip_batcher(network: NetworkHandle, mut rx: mpsc::Receiver<Vec<Vec<u8>>>) {
    while let Some(mut batch) = rx.recv().await {
        let deadline = tokio::time::Instant::now() + GOSSIP_BATCH_WINDOW;
        while batch.len() < GOSSIP_BATCH_TXS {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(more)) => batch.extend(more),
                _ => break,
            }
        }
        for chunk in wire::tx_batches(batch) {
            if let Err(e) = network.publish(Topic::Transactions, wire::encode(&chunk)).await {
                warn!(error = %e, txs = chunk.0.len(), "transaction gossip failed");
            }
        }
    }
}
