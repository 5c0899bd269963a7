//! Blocks and block headers (DESIGN §8).
//!
//! The block hash is SHA-256 of bcs(header); the header commits to the transactions through
//! [`transactions_root`] and to the certificate the block carries through [`last_commit_hash`], so
//! a certificate of the header proves the whole block once [`Block::check_body`] passes. Transactions are opaque bcs bytes to this crate: the contracts crate
//! defines and checks them, consensus never looks inside.

use loanchain_primitives::codec;
use loanchain_primitives::crypto::Hash;
use serde::{Deserialize, Serialize};

use crate::Height;
use crate::certificate::CommitCertificate;
use crate::error::Error;
use crate::validator::ValidatorIndex;

/// Everything a block commits to, except the transactions themselves (committed by their root).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct BlockHeader {
    /// The chain this block belongs to.
    pub chain_id: String,
    /// Its height (the first block is 1).
    pub height: Height,
    /// The proposer's clock, unix milliseconds; validators check it increases and is not too far in
    /// the future.
    pub time_ms: u64,
    /// The validator that proposed it.
    pub proposer: ValidatorIndex,
    /// The hash of the block at `height - 1` ([`Hash::ZERO`] for the first block).
    pub previous_block_hash: Hash,
    /// [`transactions_root`] of the block's transactions.
    pub transactions_root: Hash,
    /// [`last_commit_hash`] of the block's `last_commit`: the header, and so the block hash that
    /// validators sign, covers the certificate the block carries.
    pub last_commit_hash: Hash,
    /// The app hash of the state after the previous block (execution may lag one block: DESIGN §12).
    pub app_hash: Hash,
    /// [`crate::ValidatorSet::hash`] of the set that decides this height.
    pub validator_set_hash: Hash,
}

impl BlockHeader {
    /// The block hash: SHA-256 of bcs(header).
    pub fn hash(&self) -> Hash {
        Hash::of(self)
    }
}

/// A block: header, opaque transactions, and the commit certificate of the previous block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct Block {
    /// The header.
    pub header: BlockHeader,
    /// The transactions, each the bcs bytes of a signed transaction.
    pub transactions: Vec<Vec<u8>>,
    /// The certificate that made the previous block final (`None` for the first block).
    pub last_commit: Option<CommitCertificate>,
}

impl Block {
    /// The block hash (the header's).
    pub fn hash(&self) -> Hash {
        self.header.hash()
    }

    /// Whether the header's transactions root matches the transactions.
    pub fn transactions_match(&self) -> bool {
        transactions_root(&self.transactions) == self.header.transactions_root
    }

    /// Checks that the body (transactions and last commit) is the one the header commits to. A
    /// certificate proves a header; only a body that passes this is the block it certified, so
    /// every body is checked before it is kept, executed, stored or served.
    pub fn check_body(&self) -> Result<(), Error> {
        if !self.transactions_match() {
            return Err(Error::BodyMismatch { height: self.header.height, part: "transactions" });
        }
        if last_commit_hash(self.last_commit.as_ref()) != self.header.last_commit_hash {
            return Err(Error::BodyMismatch { height: self.header.height, part: "last commit" });
        }
        Ok(())
    }

    /// Canonical bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        codec::to_bytes(self)
    }
}

/// What a header commits to for the certificate its block carries: SHA-256 of bcs of the optional
/// certificate.
pub fn last_commit_hash(last_commit: Option<&CommitCertificate>) -> Hash {
    Hash::of(&last_commit)
}

/// The Merkle root of a list of transactions (RFC 6962 shape): a leaf is
/// `SHA-256(0x00 || SHA-256(tx))`, an inner node `SHA-256(0x01 || left || right)`, an odd node is
/// promoted unchanged; the empty list has root `SHA-256("")`. Leaves hash the transaction hash, so
/// a proof of inclusion can start from the transaction hash of DESIGN §5.
pub fn transactions_root(transactions: &[Vec<u8>]) -> Hash {
    let hashes: Vec<Hash> = transactions.iter().map(|tx| Hash::digest(tx)).collect();
    transactions_root_of_hashes(&hashes)
}

/// [`transactions_root`] from the transaction hashes (SHA-256 of each transaction's bytes), for a
/// node that already holds them.
pub fn transactions_root_of_hashes(hashes: &[Hash]) -> Hash {
    if hashes.is_empty() {
        return Hash::digest(b"");
    }
    let mut level: Vec<Hash> = hashes.iter().map(|h| Hash::digest_parts(&[&[0u8], h.as_bytes()])).collect();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [l, r] => Hash::digest_parts(&[&[1u8], l.as_bytes(), r.as_bytes()]),
                [one] => *one,
                _ => unreachable!("chunks(2) yields one or two"),
            })
            .collect();
    }
    level[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_depends_on_order_and_content() {
        let a = vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()];
        let b = vec![b"b".to_vec(), b"a".to_vec(), b"c".to_vec()];
        assert_ne!(transactions_root(&a), transactions_root(&b));
        assert_ne!(transactions_root(&a), transactions_root(&a[..2]));
        assert_ne!(transactions_root(&[]), transactions_root(&[vec![]]));
        // An inner node cannot pass for a leaf (domain bytes 0x00 / 0x01).
        let two = transactions_root(&a[..2]);
        let leaf = |t: &[u8]| Hash::digest_parts(&[&[0u8], Hash::digest(t).as_bytes()]);
        assert_eq!(two, Hash::digest_parts(&[&[1u8], leaf(b"a").as_bytes(), leaf(b"b").as_bytes()]));
    }

    #[test]
    fn the_root_of_the_hashes_is_the_root_of_the_transactions() {
        for n in 0..9 {
            let txs: Vec<Vec<u8>> = (0..n).map(|i| vec![i as u8; i + 1]).collect();
            let hashes: Vec<Hash> = txs.iter().map(|t| Hash::digest(t)).collect();
            assert_eq!(transactions_root_of_hashes(&hashes), transactions_root(&txs), "{n} transactions");
        }
    }
}

#[cfg(test)]
mod body_tests {
    use super::*;

    fn block(txs: Vec<Vec<u8>>, last_commit: Option<CommitCertificate>) -> Block {
        let header = BlockHeader {
            chain_id: "c".into(),
            height: 2,
            time_ms: 1,
            proposer: ValidatorIndex(0),
            previous_block_hash: Hash::ZERO,
            transactions_root: transactions_root(&txs),
            last_commit_hash: last_commit_hash(last_commit.as_ref()),
            app_hash: Hash::ZERO,
            validator_set_hash: Hash::ZERO,
        };
        Block { header, transactions: txs, last_commit }
    }

    #[test]
    fn a_body_other_than_the_headers_is_refused() {
        let cert = CommitCertificate { height: 1, round: 0, block_hash: Hash::digest(b"one"), signatures: vec![] };
        let good = block(vec![b"a".to_vec(), b"b".to_vec()], Some(cert.clone()));
        assert_eq!(good.check_body(), Ok(()));
        let mut dropped = good.clone();
        dropped.transactions.pop();
        assert_eq!(dropped.check_body(), Err(Error::BodyMismatch { height: 2, part: "transactions" }));
        let mut swapped = good.clone();
        swapped.transactions.swap(0, 1);
        assert!(swapped.check_body().is_err());
        let mut other_commit = good.clone();
        other_commit.last_commit = Some(CommitCertificate { round: 1, ..cert });
        assert_eq!(other_commit.check_body(), Err(Error::BodyMismatch { height: 2, part: "last commit" }));
        let mut no_commit = good.clone();
        no_commit.last_commit = None;
        assert!(no_commit.check_body().is_err());
        // The block hash is the header's: none of these changed it, which is why the body is checked.
        assert_eq!(dropped.hash(), good.hash());
    }
}
