//! Proposing a block from the mempool, rebuilding a proposed block from a compact proposal, and
//! validating a proposed block (Tendermint's `valid(v)`).

use std::sync::Arc;

use loanchain_consensus::{Input, is_timely};
use loanchain_contracts::tx::verify_transactions;
use loanchain_contracts::{SignedTransaction, VerifiedTx};
use loanchain_types::{
    Block, BlockHeader, CommitCertificate, Hash, Height, Round, SignedProposal, last_commit_hash, transactions_root_of_hashes,
};
use tracing::{debug, warn};

use super::{Chain, Pending, now_ms};

/// Compact proposals held at once while their transactions are awaited: one per round is normal;
/// more means equivocation or a flood, and the rest are fetched whole by hash.
const MAX_PARTIAL: usize = 8;

/// A proposed block known by header and transaction hashes, not yet rebuilt from the mempool.
pub(super) struct Compact {
    pub(super) header: BlockHeader,
    pub(super) tx_hashes: Vec<Hash>,
    pub(super) last_commit: Option<CommitCertificate>,
    /// The round it was proposed in.
    pub(super) round: Round,
}

/// Compact proposals held incomplete for one (height, round): one is normal, two is an
/// equivocation to keep as evidence; more are fetched whole if they are ever needed.
const MAX_PARTIAL_PER_ROUND: usize = 2;

impl Chain {
    /// Tendermint `getValue()`: a block of the oldest mempool transactions on top of the last
    /// executed block. Returns the input that hands its hash to the core.
    pub(super) fn build_proposal(&mut self, height: Height, round: Round) -> Option<Input> {
        if height != self.last.height + 1 {
            return None;
        }
        let me = self.core.me()?;
        let c = &self.ctx.genesis.consensus;
        let pooled = self.ctx.mempool.batch(c.max_block_txs as usize, c.max_block_bytes as usize, height);
        let transactions: Vec<Vec<u8>> = pooled.iter().map(|p| (*p.bytes).clone()).collect();
        let txs: Vec<Arc<VerifiedTx>> = pooled.iter().map(|p| p.tx.clone()).collect();
        let hashes: Vec<Hash> = txs.iter().map(|t| t.hash()).collect();
        let last_commit = match self.last.height {
            0 => None,
            h => match self.ctx.storage.certificate(h) {
                Ok(Some(cert)) => Some(cert),
                _ => {
                    warn!(height = h, "no certificate for the last block; cannot propose");
                    return None;
                }
            },
        };
        let header = BlockHeader {
            chain_id: self.chain_id.clone(),
            height,
            time_ms: now_ms().max(self.last_time_ms + 1),
            proposer: me,
            previous_block_hash: self.last.block_hash,
            transactions_root: transactions_root_of_hashes(&hashes),
            last_commit_hash: last_commit_hash(last_commit.as_ref()),
            app_hash: self.last.app_hash,
            validator_set_hash: self.validators.hash(),
        };
        let block = Block { header, transactions, last_commit };
        let hash = block.hash();
        debug!(height, round, txs = txs.len(), %hash, "proposing");
        self.pending.insert(hash, Pending { block: Arc::new(block), txs: Some(Arc::new(txs)), pooled: None });
        Some(Input::ProposalPayload { height, round, block_hash: hash })
    }

    /// Holds a compact proposal's block: rebuilt at once if the mempool has every transaction,
    /// else kept to retry as transaction gossip arrives (and fetched whole after a while, like any
    /// block that does not arrive). Returns whether a block was added.
    pub(super) fn add_compact(&mut self, hash: Hash, compact: Compact) -> bool {
        if compact.header.height <= self.last.height || self.pending.contains_key(&hash) || self.partial.contains_key(&hash) {
            return false;
        }
        if compact.tx_hashes.len() > self.ctx.genesis.consensus.max_block_txs as usize {
            warn!(%hash, txs = compact.tx_hashes.len(), "compact proposal over the block limit dropped");
            return false;
        }
        // The block rebuilt from these hashes is the header's only if the header commits to them
        // (the mempool holds each transaction under its hash).
        if transactions_root_of_hashes(&compact.tx_hashes) != compact.header.transactions_root
            || last_commit_hash(compact.last_commit.as_ref()) != compact.header.last_commit_hash
        {
            warn!(%hash, height = compact.header.height, "compact proposal whose body is not its header's dropped");
            return false;
        }
        if self.rebuild(hash, &compact) {
            return true;
        }
        let same_round = self.partial.values().filter(|c| c.header.height == compact.header.height && c.round == compact.round).count();
        if self.partial.len() < MAX_PARTIAL && same_round < MAX_PARTIAL_PER_ROUND {
            self.partial.insert(hash, compact);
        }
        false
    }

    /// Rebuilds the held compact proposals whose transactions have all arrived. Returns whether
    /// any block was added.
    pub(super) fn rebuild_partial(&mut self) -> bool {
        let mut added = false;
        for (hash, compact) in std::mem::take(&mut self.partial) {
            if compact.header.height <= self.last.height || self.pending.contains_key(&hash) {
                continue;
            }
            if self.rebuild(hash, &compact) {
                added = true;
            } else {
                self.partial.insert(hash, compact);
            }
        }
        added
    }

    /// The block of `compact` from the mempool's transactions, held with their verified forms
    /// (the block rules are checked by `validate`, as for any block). False if one is missing.
    fn rebuild(&mut self, hash: Hash, compact: &Compact) -> bool {
        let Some(pooled) = self.ctx.mempool.get_all(&compact.tx_hashes) else { return false };
        let block = Block {
            header: compact.header.clone(),
            transactions: pooled.iter().map(|p| (*p.bytes).clone()).collect(),
            last_commit: compact.last_commit.clone(),
        };
        debug!(height = block.header.height, %hash, txs = pooled.len(), "block rebuilt from the mempool");
        self.ctx.metrics.blocks_rebuilt.inc();
        let verified = pooled.into_iter().map(|p| p.tx).collect();
        self.pending.insert(hash, Pending { block: Arc::new(block), txs: None, pooled: Some(verified) });
        true
    }

    /// Whether a proposal received now names a block of time `time_ms` (`None`: unknown) close
    /// enough to this node's clock (proposer-based timestamps, DESIGN §8): the core's input for
    /// Tendermint L22. With `report`, a refusal is logged (first-hand proposals, not re-sends,
    /// which are late by nature): many of them point at a wrong clock, ours or the proposer's.
    pub(super) fn timely(&self, proposal: &SignedProposal, time_ms: Option<u64>, report: bool) -> bool {
        let (c, p, now) = (&self.ctx.genesis.consensus, &proposal.proposal, now_ms());
        let Some(time_ms) = time_ms else { return false };
        let timely = is_timely(time_ms, now, p.round, c.max_clock_drift_ms, c.message_delay_ms);
        if !timely && report {
            let off_ms = time_ms as i128 - now as i128;
            warn!(height = p.height, round = p.round, proposer = %p.proposer, block_time_ms = time_ms, off_ms, "proposal not timely: its block time is too far from this node's clock; prevoting nil");
        }
        timely
    }

    /// Tendermint `valid(v)`: `None` while the block has not arrived.
    pub(super) fn validate(&mut self, height: Height, round: Round, hash: Hash) -> Option<bool> {
        let pending = self.pending.get_mut(&hash)?;
        let block = pending.block.clone();
        // Moved, not copied: once the block's rules hold, its verified transactions are `txs`.
        let pooled = pending.pooled.take();
        let verdict = match self.check_block(&block, height, round) {
            Ok(()) => self.verify_block_txs(&block, pooled),
            Err(reason) => {
                // Keep the pool's verdicts with the block.
                if let Some(p) = self.pending.get_mut(&hash) {
                    p.pooled = pooled;
                }
                Err(reason)
            }
        };
        match verdict {
            Ok(txs) => {
                debug!(height, round, %hash, txs = txs.len(), "block valid");
                if let Some(p) = self.pending.get_mut(&hash) {
                    p.txs = Some(Arc::new(txs));
                }
                Some(true)
            }
            Err(reason) => {
                warn!(height, round, %hash, %reason, "invalid block proposed");
                Some(false)
            }
        }
    }

    /// The header rules of DESIGN §8, against the last executed block.
    fn check_block(&self, block: &Block, height: Height, round: Round) -> Result<(), String> {
        let h = &block.header;
        let c = &self.ctx.genesis.consensus;
        if h.chain_id != self.chain_id {
            return Err(format!("chain id {}", h.chain_id));
        }
        if h.height != height || height != self.last.height + 1 {
            return Err(format!("height {} (expected {})", h.height, self.last.height + 1));
        }
        if h.previous_block_hash != self.last.block_hash {
            return Err("previous block hash does not match".into());
        }
        if h.app_hash != self.last.app_hash {
            return Err(format!("app hash {} differs from ours {}", h.app_hash, self.last.app_hash));
        }
        if h.validator_set_hash != self.validators.hash() {
            return Err("validator set hash".into());
        }
        if h.proposer != self.core.proposer(height, round) {
            return Err(format!("proposer {} is not the proposer of round {round}", h.proposer));
        }
        // The only rule on time that is part of validity: deterministic, so the core may keep
        // the verdict per block. Closeness to the clock is a fact about a proposal as received
        // (`timely`, Tendermint L22 only).
        if h.time_ms <= self.last_time_ms {
            return Err(format!("time {} not after the last block's {}", h.time_ms, self.last_time_ms));
        }
        if block.transactions.len() > c.max_block_txs as usize {
            return Err(format!("{} transactions", block.transactions.len()));
        }
        let bytes: usize = block.transactions.iter().map(Vec::len).sum();
        if bytes as u64 > c.max_block_bytes {
            return Err(format!("{bytes} bytes of transactions"));
        }
        block.check_body().map_err(|e| e.to_string())?;
        match (&block.last_commit, self.last.height) {
            (None, 0) => {}
            (Some(cert), h) if h > 0 => {
                if cert.height != h || cert.block_hash != self.last.block_hash {
                    return Err("last commit names another block".into());
                }
                cert.verify(&self.validators, &self.chain_id).map_err(|e| format!("last commit: {e}"))?;
            }
            _ => return Err("last commit missing or unexpected".into()),
        }
        Ok(())
    }

    /// Every transaction decodes and every signature verifies, and none is repeated or already
    /// committed. `pooled` are the block's transactions as this node's mempool verified them (a
    /// block rebuilt from a compact proposal): they are not decoded or verified again. Otherwise
    /// those the mempool holds are taken from it and the rest go through one batch.
    pub(super) fn verify_block_txs(&self, block: &Block, pooled: Option<Vec<Arc<VerifiedTx>>>) -> Result<Vec<Arc<VerifiedTx>>, String> {
        let mut seen = std::collections::HashSet::with_capacity(block.transactions.len());
        // A transaction enters the chain once: its hash indexes its receipt.
        let once = |hash: Hash, seen: &mut std::collections::HashSet<Hash>| -> Result<(), String> {
            if !seen.insert(hash) {
                return Err(format!("transaction {hash} appears twice"));
            }
            if matches!(self.ctx.storage.tx_location(&hash), Ok(Some(_))) {
                return Err(format!("transaction {hash} is already committed"));
            }
            Ok(())
        };
        if let Some(pooled) = pooled.filter(|p| p.len() == block.transactions.len()) {
            for tx in &pooled {
                once(tx.hash(), &mut seen)?;
            }
            return Ok(pooled);
        }
        let mut out: Vec<Option<Arc<VerifiedTx>>> = Vec::with_capacity(block.transactions.len());
        let mut todo = Vec::new();
        let mut slots = Vec::new();
        for bytes in &block.transactions {
            let tx = SignedTransaction::from_bytes(bytes).map_err(|e| format!("transaction {}: {e}", out.len()))?;
            let hash = tx.hash();
            once(hash, &mut seen)?;
            match self.ctx.mempool.get(&hash) {
                Some(p) => out.push(Some(p.tx)),
                None => {
                    slots.push(out.len());
                    out.push(None);
                    todo.push(tx);
                }
            }
        }
        if !todo.is_empty() {
            self.ctx.metrics.verified_in_blocks.inc_by(todo.len() as u64);
            self.ctx.metrics.verify_batches.inc();
        }
        for (slot, verdict) in slots.into_iter().zip(verify_transactions(&self.chain_id, todo)) {
            out[slot] = Some(Arc::new(verdict.map_err(|e| format!("transaction {slot}: {e}"))?));
        }
        Ok(out.into_iter().flatten().collect())
    }
}
