//! What nodes send each other, in bcs: gossip on the consensus and blocks topics, and the block
//! sync request-response protocol. Transactions gossip as a bcs list of signed transaction bytes.

use loanchain_contracts::codec;
use loanchain_types::{Block, BlockHeader, CommitCertificate, ConsensusMessage, Hash, Height, SignedProposal};
use serde::{Deserialize, Serialize};

/// Most blocks one sync response carries (it is also bounded by bytes).
pub const MAX_SYNC_BLOCKS: u64 = 64;
/// Bytes of blocks after which a sync response stops adding blocks (below the network's 16 MiB).
pub const MAX_SYNC_RESPONSE_BYTES: usize = 8 << 20;

/// Gossip on [`loanchain_network::Topic::Consensus`] and [`loanchain_network::Topic::Blocks`].
// A message is decoded once and moved to its handler, never kept in bulk: no box for the large variant.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Gossip {
    /// A proposal with its block in compact form: the transactions by hash. Every transaction
    /// already went to every node by transaction gossip, so a receiver rebuilds the block from its
    /// mempool and fetches the whole block by hash only when some are missing (DESIGN §9).
    Proposal {
        /// The signed proposal.
        proposal: SignedProposal,
        /// The block's header (its hash is `proposal.block_hash`).
        header: BlockHeader,
        /// The block's transactions, by hash, in order.
        tx_hashes: Vec<Hash>,
        /// The block's certificate of the previous block.
        last_commit: Option<CommitCertificate>,
    },
    /// A vote. The variant carries a [`ConsensusMessage`] so that its bytes stay those of
    /// `ConsensusMessage::Vote`; proposals are only sent as [`Gossip::Proposal`], and a receiver
    /// drops a `ConsensusMessage::Proposal` here.
    Consensus(ConsensusMessage),
    /// The messages of a height, re-sent while a height makes no progress, so that a validator
    /// that restarted or missed them can catch up. `stamp` makes each re-send distinct bytes (gossip
    /// drops repeated bytes).
    Replay {
        /// The sender's clock; only distinguishes re-sends.
        stamp: u64,
        /// Proposals and votes of one height.
        messages: Vec<ConsensusMessage>,
    },
    /// "I have committed up to `height`" (on the blocks topic), so that nodes behind fetch blocks.
    Status {
        /// The sender's last committed height.
        height: Height,
        /// The sender's clock; only distinguishes announcements.
        stamp: u64,
    },
}

/// A block sync request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncRequest {
    /// Committed blocks `from..=to` with their certificates (fewer if the answer gets large).
    Blocks {
        /// First height.
        from: Height,
        /// Last height.
        to: Height,
    },
    /// A block by hash, committed or only proposed.
    Block(Hash),
}

/// A block sync answer.
// Decoded once and moved to its handler, never kept in bulk: no box for the large variant.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncResponse {
    /// Consecutive committed blocks from the requested height, each with its certificate.
    Blocks(Vec<(Block, CommitCertificate)>),
    /// The block asked for, if known.
    Block(Option<Block>),
    /// The request was malformed.
    Refused(String),
}

/// Decodes any of the wire types, refusing trailing bytes.
pub fn decode<T: for<'de> Deserialize<'de>>(what: &'static str, bytes: &[u8]) -> Result<T, String> {
    codec::from_bytes(what, bytes).map_err(|e| e.to_string())
}

/// Encodes any of the wire types.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    codec::to_bytes(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let status = Gossip::Status { height: 7, stamp: 1 };
        assert_eq!(decode::<Gossip>("gossip", &encode(&status)).unwrap(), status);
        let req = SyncRequest::Blocks { from: 1, to: 9 };
        assert_eq!(decode::<SyncRequest>("sync request", &encode(&req)).unwrap(), req);
        assert!(decode::<Gossip>("gossip", &[0xff, 0x00]).is_err());
        let mut bytes = encode(&status);
        bytes.push(0);
        assert!(decode::<Gossip>("gossip", &bytes).is_err(), "trailing bytes are refused");
    }
}
