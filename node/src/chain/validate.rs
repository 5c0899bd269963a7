//! The rules a proposed or fetched block must meet before this node votes for it or executes it
//! (DESIGN §8), with a typed reason when it does not.
//!
//! [`check_header`] is a pure function of the block and what it must extend ([`Parent`]);
//! [`Chain::verify_block_txs`] checks the transactions (decoding, signatures in one batch, no
//! repeat, none already committed).

use std::collections::HashSet;
use std::sync::Arc;

use loanchain_contracts::tx::verify_transactions;
use loanchain_contracts::{SignedTransaction, VerifiedTx};
use loanchain_types::{Block, Hash, Height, Round, ValidatorIndex, ValidatorSet};

use super::{Chain, ChainStore};

/// Why a block is not acceptable. Each names what was found and what was expected, so an
/// operator's log line says which rule a proposer broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    /// The header names another chain.
    #[error("chain id {0}")]
    ChainId(String),
    /// Not the height being decided.
    #[error("height {got} (expected {expected})")]
    Height {
        /// The header's.
        got: Height,
        /// The one being decided.
        expected: Height,
    },
    /// Not built on the last committed block.
    #[error("previous block hash {got} is not the last committed block {expected}")]
    PreviousBlock {
        /// The header's.
        got: Hash,
        /// Ours.
        expected: Hash,
    },
    /// The proposer executed the previous block to another state.
    #[error("app hash {got} differs from ours {ours}")]
    AppHash {
        /// The header's.
        got: Hash,
        /// Ours.
        ours: Hash,
    },
    /// The header names another validator set.
    #[error("validator set hash {0} is not the genesis set's")]
    ValidatorSet(Hash),
    /// Not proposed by the round's proposer.
    #[error("proposer {got} is not the proposer of round {round} ({expected})")]
    Proposer {
        /// The header's.
        got: ValidatorIndex,
        /// The round.
        round: Round,
        /// The round's proposer.
        expected: ValidatorIndex,
    },
    /// Block times must increase.
    #[error("time {time} not after the last block's {last}")]
    TimeNotAfterLast {
        /// The header's.
        time: u64,
        /// The last block's.
        last: u64,
    },
    /// More transactions than a block may hold.
    #[error("{count} transactions, the limit is {limit}")]
    TooManyTransactions {
        /// How many.
        count: usize,
        /// The genesis limit.
        limit: u64,
    },
    /// More transaction bytes than a block may hold.
    #[error("{bytes} bytes of transactions, the limit is {limit}")]
    TooManyBytes {
        /// How many.
        bytes: u64,
        /// The genesis limit.
        limit: u64,
    },
    /// The body is not the one the header commits to.
    #[error("body: {0}")]
    Body(String),
    /// The certificate of the previous block is missing, unexpected, for another block, or does
    /// not verify.
    #[error("last commit: {0}")]
    LastCommit(String),
    /// A transaction does not decode.
    #[error("transaction {index} does not decode: {reason}")]
    Malformed {
        /// Its position in the block.
        index: usize,
        /// Why.
        reason: String,
    },
    /// A transaction appears twice.
    #[error("transaction {0} appears twice")]
    Repeated(Hash),
    /// A transaction is already in a committed block.
    #[error("transaction {0} is already committed")]
    AlreadyCommitted(Hash),
    /// A transaction's signature (or another check of its form) fails.
    #[error("transaction {index}: {reason}")]
    Transaction {
        /// Its position in the block.
        index: usize,
        /// Why.
        reason: String,
    },
    /// This node could not read what it needs to judge (its store failed): not a vote for the
    /// block, and at commit a reason to stop.
    #[error("store: {0}")]
    Store(String),
}

/// What a block at `height + 1` must extend: the last committed block, and the genesis rules.
pub(super) struct Parent<'a> {
    pub(super) chain_id: &'a str,
    /// The last committed height.
    pub(super) height: Height,
    pub(super) block_hash: Hash,
    pub(super) app_hash: Hash,
    pub(super) time_ms: u64,
    pub(super) validators: &'a ValidatorSet,
    pub(super) max_block_txs: u64,
    pub(super) max_block_bytes: u64,
}

/// The header rules of DESIGN §8 for a block proposed in `round` by `proposer`, against its
/// parent. No clock is read: closeness to this node's clock is a fact about a proposal as
/// received (`Chain::timely`, proposer-based timestamps, Tendermint L22 only), while validity is
/// deterministic, so the core may keep its verdict per block.
pub(super) fn check_header(block: &Block, parent: &Parent, round: Round, proposer: ValidatorIndex) -> Result<(), BlockError> {
    let h = &block.header;
    if h.chain_id != parent.chain_id {
        return Err(BlockError::ChainId(h.chain_id.clone()));
    }
    let expected = parent.height + 1;
    if h.height != expected {
        return Err(BlockError::Height { got: h.height, expected });
    }
    if h.previous_block_hash != parent.block_hash {
        return Err(BlockError::PreviousBlock { got: h.previous_block_hash, expected: parent.block_hash });
    }
    if h.app_hash != parent.app_hash {
        return Err(BlockError::AppHash { got: h.app_hash, ours: parent.app_hash });
    }
    if h.validator_set_hash != parent.validators.hash() {
        return Err(BlockError::ValidatorSet(h.validator_set_hash));
    }
    if h.proposer != proposer {
        return Err(BlockError::Proposer { got: h.proposer, round, expected: proposer });
    }
    if h.time_ms <= parent.time_ms {
        return Err(BlockError::TimeNotAfterLast { time: h.time_ms, last: parent.time_ms });
    }
    if block.transactions.len() as u64 > parent.max_block_txs {
        return Err(BlockError::TooManyTransactions { count: block.transactions.len(), limit: parent.max_block_txs });
    }
    let bytes: u64 = block.transactions.iter().map(|t| t.len() as u64).sum();
    if bytes > parent.max_block_bytes {
        return Err(BlockError::TooManyBytes { bytes, limit: parent.max_block_bytes });
    }
    block.check_body().map_err(|e| BlockError::Body(e.to_string()))?;
    match (&block.last_commit, parent.height) {
        (None, 0) => {}
        (Some(cert), h) if h > 0 => {
            if cert.height != h || cert.block_hash != parent.block_hash {
                return Err(BlockError::LastCommit(format!(
                    "names block {} at height {}, not the last committed",
                    cert.block_hash, cert.height
                )));
            }
            cert.verify(parent.validators, parent.chain_id).map_err(|e| BlockError::LastCommit(e.to_string()))?;
        }
        (None, _) => return Err(BlockError::LastCommit("missing".into())),
        (Some(_), _) => return Err(BlockError::LastCommit("the first block carries none".into())),
    }
    Ok(())
}

impl<S: ChainStore> Chain<S> {
    /// The parent a block at the next height must extend.
    pub(super) fn parent(&self) -> Parent<'_> {
        let c = &self.ctx.genesis.consensus;
        Parent {
            chain_id: &self.chain_id,
            height: self.last.height,
            block_hash: self.last.block_hash,
            app_hash: self.last.app_hash,
            time_ms: self.last_time_ms,
            validators: &self.validators,
            max_block_txs: u64::from(c.max_block_txs),
            max_block_bytes: c.max_block_bytes,
        }
    }

    /// [`check_header`] for a block proposed for (`height`, `round`).
    pub(super) fn check_header(&self, block: &Block, height: Height, round: Round) -> Result<(), BlockError> {
        if height != self.last.height + 1 {
            return Err(BlockError::Height { got: height, expected: self.last.height + 1 });
        }
        check_header(block, &self.parent(), round, self.core.proposer(height, round))
    }

    /// Every transaction decodes and every signature verifies, and none is repeated or already
    /// committed. `pooled` are the block's transactions as this node's mempool verified them (a
    /// block rebuilt from a compact proposal): they are not decoded or verified again. Otherwise
    /// those the mempool holds are taken from it and the rest go through one batch.
    pub(super) fn verify_block_txs(&self, block: &Block, pooled: Option<Vec<Arc<VerifiedTx>>>) -> Result<Vec<Arc<VerifiedTx>>, BlockError> {
        let mut seen = HashSet::with_capacity(block.transactions.len());
        // A transaction enters the chain once: its hash indexes its receipt.
        let once = |hash: Hash, seen: &mut HashSet<Hash>| -> Result<(), BlockError> {
            if !seen.insert(hash) {
                return Err(BlockError::Repeated(hash));
            }
            match self.ctx.storage.tx_location(&hash) {
                Ok(None) => Ok(()),
                Ok(Some(_)) => Err(BlockError::AlreadyCommitted(hash)),
                Err(e) => Err(BlockError::Store(e.to_string())),
            }
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
            let index = out.len();
            let tx = SignedTransaction::from_bytes(bytes).map_err(|e| BlockError::Malformed { index, reason: e.to_string() })?;
            let hash = tx.hash();
            once(hash, &mut seen)?;
            match self.ctx.mempool.get(&hash) {
                Some(p) => out.push(Some(p.tx)),
                None => {
                    slots.push(index);
                    out.push(None);
                    todo.push(tx);
                }
            }
        }
        if !todo.is_empty() {
            self.ctx.metrics.verified_in_blocks.inc_by(todo.len() as u64);
            self.ctx.metrics.verify_batches.inc();
        }
        for (index, verdict) in slots.into_iter().zip(verify_transactions(&self.chain_id, todo)) {
            out[index] = Some(Arc::new(verdict.map_err(|e| BlockError::Transaction { index, reason: e.to_string() })?));
        }
        Ok(out.into_iter().flatten().collect())
    }
}

#[cfg(test)]
mod tests {
    use loanchain_types::test_utils::equal_validators;
    use loanchain_types::{BlockHeader, last_commit_hash, transactions_root};

    use super::*;

    const CHAIN: &str = "loanchain-test";

    fn first_block(validators: &ValidatorSet, time_ms: u64, transactions: Vec<Vec<u8>>) -> Block {
        let header = BlockHeader {
            chain_id: CHAIN.into(),
            height: 1,
            time_ms,
            proposer: ValidatorIndex(0),
            previous_block_hash: Hash::ZERO,
            transactions_root: transactions_root(&transactions),
            last_commit_hash: last_commit_hash(None),
            app_hash: Hash::digest(b"genesis state"),
            validator_set_hash: validators.hash(),
        };
        Block { header, transactions, last_commit: None }
    }

    fn genesis(validators: &ValidatorSet) -> Parent<'_> {
        Parent {
            chain_id: CHAIN,
            height: 0,
            block_hash: Hash::ZERO,
            app_hash: Hash::digest(b"genesis state"),
            time_ms: 1_000,
            validators,
            max_block_txs: 2,
            max_block_bytes: 100,
        }
    }

    #[test]
    fn a_block_that_extends_its_parent_passes() {
        let (_, validators) = equal_validators(4);
        let block = first_block(&validators, 2_000, vec![vec![1; 10]]);
        assert_eq!(check_header(&block, &genesis(&validators), 0, ValidatorIndex(0)), Ok(()));
    }

    #[test]
    fn each_broken_rule_is_named() {
        let (_, validators) = equal_validators(4);
        let parent = genesis(&validators);
        let check = |block: &Block| check_header(block, &parent, 0, ValidatorIndex(0)).unwrap_err();

        let mut b = first_block(&validators, 2_000, vec![]);
        b.header.chain_id = "other".into();
        assert_eq!(check(&b), BlockError::ChainId("other".into()));

        let b = first_block(&validators, 1_000, vec![]);
        assert_eq!(check(&b), BlockError::TimeNotAfterLast { time: 1_000, last: 1_000 });

        // Far ahead of any clock is still valid: timeliness is judged apart (PBTS).
        let b = first_block(&validators, u64::MAX, vec![]);
        assert_eq!(check_header(&b, &parent, 0, ValidatorIndex(0)), Ok(()));

        let b = first_block(&validators, 2_000, vec![vec![1], vec![2], vec![3]]);
        assert_eq!(check(&b), BlockError::TooManyTransactions { count: 3, limit: 2 });

        let b = first_block(&validators, 2_000, vec![vec![1; 101]]);
        assert_eq!(check(&b), BlockError::TooManyBytes { bytes: 101, limit: 100 });

        let mut b = first_block(&validators, 2_000, vec![vec![1]]);
        b.transactions[0] = vec![2];
        assert!(matches!(check(&b), BlockError::Body(_)));

        let mut b = first_block(&validators, 2_000, vec![]);
        b.header.proposer = ValidatorIndex(1);
        assert_eq!(check(&b), BlockError::Proposer { got: ValidatorIndex(1), round: 0, expected: ValidatorIndex(0) });

        let mut b = first_block(&validators, 2_000, vec![]);
        b.header.app_hash = Hash::ZERO;
        assert!(matches!(check(&b), BlockError::AppHash { .. }));
    }
}
