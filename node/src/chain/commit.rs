//! Executing a decided block and storing it: the certificate is checked against the genesis
//! validator set (an observer trusts no member), the transactions are executed over the state after
//! the previous block, and block, certificate, receipts, events and state changes go to RocksDB in
//! one atomic batch, on a blocking thread while the chain task goes on taking messages.

use std::sync::Arc;

use anyhow::Context;
use loanchain_api::CommittedEvent;
use loanchain_contracts::{BlockContext, BlockOutcome, execute_block};
use loanchain_storage::{CommittedBlock, LastCommitted};
use loanchain_types::{Block, CommitCertificate, Hash, Height};
use tracing::info;

use super::task::Out;
use super::{Chain, ChainStore};

impl<S: ChainStore> Chain<S> {
    /// Checks the decided block `hash` (which is in `pending`) and its certificate, then executes
    /// and stores it off the chain task; [`Chain::on_executed`] takes it from there.
    pub(super) fn commit(&mut self, height: Height, hash: Hash, certificate: CommitCertificate) -> anyhow::Result<()> {
        if height != self.last.height + 1 || self.executing.is_some() {
            return Ok(());
        }
        certificate
            .verify(&self.validators, &self.chain_id)
            .with_context(|| format!("the certificate of block {height} does not verify"))?;
        let pending = self.pending.get_mut(&hash).context("decided block not held")?;
        let block = pending.block.clone();
        let (checked, pooled) = (pending.txs.clone(), pending.pooled.take());
        if block.header.app_hash != self.last.app_hash {
            // The quorum executed the previous block to another state: stop rather than diverge.
            anyhow::bail!(
                "app hash divergence: block {height} says the state after block {} is {}, this node computed {}",
                self.last.height,
                block.header.app_hash,
                self.last.app_hash
            );
        }
        let txs = match checked {
            Some(txs) => txs,
            None => Arc::new(
                self.verify_block_txs(&block, pooled)
                    .map_err(|e| anyhow::anyhow!("block {height} was certified by a quorum but does not verify here: {e}"))?,
            ),
        };
        let context = BlockContext { height, time: block.header.time_ms };
        let (storage, params, previous) = (self.ctx.storage.clone(), self.ctx.params().clone(), self.last.app_hash);
        let job_block = block.clone();
        let job_certificate = certificate.clone();
        self.executing = Some(Executing { height, hash, block, certificate });
        // Execution and the RocksDB write run on a blocking thread: the chain task keeps taking
        // the network's messages meanwhile. The next height starts when this comes back.
        self.out.push(Out::Execute(Box::new(move || {
            let started = std::time::Instant::now();
            // Execution is deterministic: a failure here is a bug or a corrupt store, and the node
            // must stop rather than diverge.
            execute_block(&*storage, &params, context, &previous, &txs).with_context(|| format!("executing block {height}")).and_then(
                |outcome| {
                    let executed = started.elapsed();
                    storage
                        .commit_block(&CommittedBlock { block: &job_block, certificate: &job_certificate, outcome: &outcome })
                        .with_context(|| format!("storing block {height}"))?;
                    Ok(Executed { outcome, executed, applied: started.elapsed() })
                },
            )
        })));
        Ok(())
    }

    /// The decided block came back executed and stored: the node moves to it, and schedules the
    /// next height after `timeout_commit`.
    pub(super) fn on_executed(&mut self, result: anyhow::Result<Executed>) -> anyhow::Result<()> {
        let Executed { outcome, executed, applied } = result?;
        let Some(Executing { height, hash, block, certificate }) = self.executing.take() else {
            anyhow::bail!("an execution came back that was not asked for");
        };
        let tx_hashes: Vec<Hash> = outcome.receipts.iter().map(|r| r.tx_hash).collect();
        self.last = LastCommitted { height, block_hash: hash, app_hash: outcome.app_hash };
        self.last_time_ms = block.header.time_ms;
        self.best_known = self.best_known.max(height);
        self.pending.retain(|_, p| p.block.header.height > height);
        self.partial.retain(|_, c| c.header.height > height);
        self.unvalidated.retain(|(h, _, _)| *h > height);
        self.awaited.clear();
        self.asked.clear();
        self.deferred_proposal = None;
        self.undelivered = None;
        self.ctx.mempool.remove(&tx_hashes, height + 1);

        let m = &self.ctx.metrics;
        m.height.set(height as i64);
        m.blocks_committed.inc();
        m.transactions_committed.inc_by(tx_hashes.len() as u64);
        m.mempool_size.set(self.ctx.mempool.len() as i64);
        m.behind.set(self.best_known.saturating_sub(height) as i64);
        m.commit_latency.observe(self.now.saturating_sub(self.height_started) as f64 / 1_000.0);
        m.block_apply.observe(applied.as_secs_f64());
        if !outcome.events.is_empty() {
            let events =
                outcome.events.iter().map(|e| CommittedEvent { height, block_time_ms: block.header.time_ms, event: e.clone() }).collect();
            // No subscriber is not an error.
            let _ = self.ctx.events.send(Arc::new(events));
        }
        let failed = outcome.receipts.iter().filter(|r| !r.ok()).count();
        info!(height, %hash, txs = tx_hashes.len(), failed, events = outcome.events.len(), app_hash = %outcome.app_hash, round = certificate.round,
            exec_ms = executed.as_millis() as u64, store_ms = (applied - executed).as_millis() as u64, "committed");
        self.last_progress = self.now;
        self.last_heard = self.now;
        // Catching up: no reason to wait for transactions to gather.
        let pause = if self.best_known > height { 0 } else { self.ctx.genesis.consensus.timeout_commit_ms };
        self.next_height_at = Some(self.now + pause);
        self.publish_status();
        self.apply_synced()
    }
}

/// A decided block being executed and stored.
pub(super) struct Executing {
    height: Height,
    hash: Hash,
    block: Arc<Block>,
    certificate: CommitCertificate,
}

/// What an execution brought back: the outcome, and how long execution and execution + storage took.
pub struct Executed {
    outcome: BlockOutcome,
    executed: std::time::Duration,
    applied: std::time::Duration,
}
