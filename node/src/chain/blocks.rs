//! Proposing a block from the mempool, and validating a proposed block (Tendermint's `valid(v)`).

use std::sync::Arc;

use loanchain_consensus::Input;
use loanchain_contracts::tx::verify_transactions;
use loanchain_contracts::{SignedTransaction, VerifiedTx};
use loanchain_types::{Block, BlockHeader, Hash, Height, Round, transactions_root};
use tracing::{debug, warn};

use super::{Chain, Pending, now_ms};

/// Transaction bytes a proposal carries at most, below the genesis block limit: a proposal
/// gossips with its block, and measured on the devnet, gossip messages of about 2 MiB queued
/// behind transaction gossip did not arrive while 250 KiB ones did. A receiver that misses a
/// block fetches it by hash (`sync.rs`).
pub(super) const MAX_PROPOSAL_TX_BYTES: usize = 512 << 10;

impl Chain {
    /// Tendermint `getValue()`: a block of the oldest mempool transactions on top of the last
    /// executed block. Returns the input that hands its hash to the core.
    pub(super) fn build_proposal(&mut self, height: Height, round: Round) -> Option<Input> {
        if height != self.last.height + 1 {
            return None;
        }
        let Some(me) = self.core.me() else { return None };
        let c = &self.ctx.genesis.consensus;
        let max_bytes = (c.max_block_bytes as usize).min(MAX_PROPOSAL_TX_BYTES);
        let pooled = self.ctx.mempool.batch(c.max_block_txs as usize, max_bytes, height);
        let transactions: Vec<Vec<u8>> = pooled.iter().map(|p| (*p.bytes).clone()).collect();
        let txs: Vec<VerifiedTx> = pooled.iter().map(|p| (*p.tx).clone()).collect();
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
            transactions_root: transactions_root(&transactions),
            app_hash: self.last.app_hash,
            validator_set_hash: self.validators.hash(),
        };
        let block = Block { header, transactions, last_commit };
        let hash = block.hash();
        debug!(height, round, txs = txs.len(), %hash, "proposing");
        self.pending.insert(hash, Pending { block: Arc::new(block), txs: Some(Arc::new(txs)) });
        Some(Input::ProposalPayload { height, round, block_hash: hash })
    }

    /// Tendermint `valid(v)`: `None` while the block has not arrived.
    pub(super) fn validate(&mut self, height: Height, round: Round, hash: Hash) -> Option<bool> {
        let pending = self.pending.get(&hash)?;
        let block = pending.block.clone();
        let verdict = self.check_block(&block, height, round).and_then(|()| self.verify_block_txs(&block));
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
        if h.time_ms <= self.last_time_ms {
            return Err(format!("time {} not after the last block's {}", h.time_ms, self.last_time_ms));
        }
        if h.time_ms > now_ms() + c.max_clock_drift_ms {
            return Err(format!("time {} is too far in the future", h.time_ms));
        }
        if block.transactions.len() > c.max_block_txs as usize {
            return Err(format!("{} transactions", block.transactions.len()));
        }
        let bytes: usize = block.transactions.iter().map(Vec::len).sum();
        if bytes as u64 > c.max_block_bytes {
            return Err(format!("{bytes} bytes of transactions"));
        }
        if !block.transactions_match() {
            return Err("transactions root does not match".into());
        }
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

    /// Every transaction decodes and every signature verifies. Those already in the mempool were
    /// verified at admission and are not verified again; the rest go through one batch.
    pub(super) fn verify_block_txs(&self, block: &Block) -> Result<Vec<VerifiedTx>, String> {
        let mut out: Vec<Option<VerifiedTx>> = Vec::with_capacity(block.transactions.len());
        let mut todo = Vec::new();
        let mut slots = Vec::new();
        let mut seen = std::collections::HashSet::with_capacity(block.transactions.len());
        for bytes in &block.transactions {
            let tx = SignedTransaction::from_bytes(bytes).map_err(|e| format!("transaction {}: {e}", out.len()))?;
            let hash = tx.hash();
            // A transaction enters the chain once: its hash indexes its receipt.
            if !seen.insert(hash) {
                return Err(format!("transaction {hash} appears twice"));
            }
            if matches!(self.ctx.storage.tx_location(&hash), Ok(Some(_))) {
                return Err(format!("transaction {hash} is already committed"));
            }
            match self.ctx.mempool.get(&hash) {
                Some(p) => out.push(Some((*p.tx).clone())),
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
            out[slot] = Some(verdict.map_err(|e| format!("transaction {slot}: {e}"))?);
        }
        Ok(out.into_iter().flatten().collect())
    }
}
