//! Proposing a block from the mempool, rebuilding a proposed block from a compact proposal, and
//! answering the core's `valid(v)` (the rules themselves are in `validate`).

use std::sync::Arc;

use loanchain_consensus::{Input, is_timely};
use loanchain_contracts::VerifiedTx;
use loanchain_types::{
    Block, BlockHeader, CommitCertificate, Hash, Height, Round, SignedProposal, last_commit_hash, transactions_root_of_hashes,
};
use tracing::{debug, warn};

use super::{Chain, ChainStore, Pending};

/// Compact proposals held at once while their transactions are awaited: one per round is normal;
/// more means equivocation or a flood, and the rest are fetched whole by hash.
pub(super) const MAX_PARTIAL: usize = 8;

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

impl<S: ChainStore> Chain<S> {
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
            time_ms: self.now.max(self.last_time_ms + 1),
            proposer: me,
            previous_block_hash: self.last.block_hash,
            transactions_root: transactions_root_of_hashes(&hashes),
            last_commit_hash: last_commit_hash(last_commit.as_ref()),
            app_hash: self.last.app_hash,
            validator_set_hash: self.validators.hash(),
        };
        let block = Block { header, transactions, last_commit };
        let hash = block.hash();
        // Kept before the core signs the proposal: a restarted proposer that re-sends its
        // proposal from the WAL still holds the block it names (issue 16, weakness 11).
        if let Err(e) = self.ctx.storage.wal_keep_proposed_block(&block) {
            warn!(height, round, error = %e, "the proposed block could not be stored; not proposing");
            return None;
        }
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
        let (c, p, now) = (&self.ctx.genesis.consensus, &proposal.proposal, self.now);
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
        let verdict = match self.check_header(&block, height, round) {
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
}
