//! What nodes send each other, in bcs: gossip on the consensus and blocks topics, and the block
//! sync request-response protocol. Transactions gossip as a bcs list of signed transaction bytes.

//!
//! Each message type has one size limit, from [`loanchain_types::limits`], which both the network
//! (gossipsub's message size, the request-response codec) and [`decode`] apply.

use loanchain_contracts::codec;
use loanchain_types::limits::{MAX_GOSSIP_BYTES, MAX_SYNC_REQUEST_BYTES, MAX_SYNC_RESPONSE_BYTES, MAX_TX_GOSSIP_BYTES};
use loanchain_types::{Block, BlockHeader, CommitCertificate, ConsensusMessage, Evidence, Hash, Height, Round, SignedProposal};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Most blocks one sync response carries (it is also bounded by bytes:
/// [`loanchain_types::limits::SYNC_RESPONSE_TARGET_BYTES`]).
pub const MAX_SYNC_BLOCKS: u64 = 64;

/// A message of the wire protocol: what it is called in errors and its size limit.
pub trait Message: Serialize + DeserializeOwned {
    /// What an error calls it.
    const WHAT: &'static str;
    /// Its largest encoding.
    const MAX_BYTES: usize;
}

/// Transactions gossiped together, as signed transaction bytes (encoded as a plain bcs list).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxBatch(pub Vec<Vec<u8>>);

impl Message for TxBatch {
    const WHAT: &'static str = "transaction batch";
    const MAX_BYTES: usize = MAX_TX_GOSSIP_BYTES;
}
impl Message for Gossip {
    const WHAT: &'static str = "gossip";
    const MAX_BYTES: usize = MAX_GOSSIP_BYTES;
}
impl Message for SyncRequest {
    const WHAT: &'static str = "sync request";
    const MAX_BYTES: usize = MAX_SYNC_REQUEST_BYTES;
}
impl Message for SyncResponse {
    const WHAT: &'static str = "sync response";
    const MAX_BYTES: usize = MAX_SYNC_RESPONSE_BYTES;
}

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
    /// A receiver believes the claim only if `certificate` proves `height` (none for height 0).
    Status {
        /// The sender's last committed height.
        height: Height,
        /// The sender's clock; only distinguishes announcements.
        stamp: u64,
        /// The commit certificate of `height`.
        certificate: Option<CommitCertificate>,
    },
    /// Proof that a validator equivocated, sent once by each node that stored it new (DESIGN §8).
    /// A receiver verifies it against the genesis validator set before it stores it. Last, so the
    /// bytes of the variants above are those of before it existed.
    Evidence(Evidence),
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
    /// The proposals and votes the peer holds for `height`, the one it is deciding (a stalled
    /// validator pulls them from every peer: gossip alone may lose them, issue 16 weakness 9).
    Messages {
        /// The height being decided.
        height: Height,
        /// The asker's round there: proposals of earlier rounds are not sent.
        round: Round,
        /// Whether the asker holds that round's proposal already (then it is not sent either:
        /// a compact proposal of a large block is 100 KB and more).
        have_proposal: bool,
    },
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
    /// The request was malformed, or the peer is busy.
    Refused(String),
    /// The proposals (compact, as gossiped) and votes (in one re-send) asked for, newest round
    /// first within the re-send's bound (none if the peer is not deciding that height), then the
    /// peer's height announcement with its certificate.
    Messages(Vec<Gossip>),
}

/// Decodes a message within its size limit, refusing trailing bytes.
pub fn decode<T: Message>(bytes: &[u8]) -> Result<T, String> {
    codec::from_bytes_within(T::WHAT, bytes, T::MAX_BYTES).map_err(|e| e.to_string())
}

/// Encodes a message.
pub fn encode<T: Message>(value: &T) -> Vec<u8> {
    codec::to_bytes(value)
}

/// Splits transactions into gossip batches of about
/// [`TX_GOSSIP_CHUNK_BYTES`](loanchain_types::limits::TX_GOSSIP_CHUNK_BYTES) each: a batch closes
/// before the transaction that would take it over, so each one fits [`TxBatch::MAX_BYTES`].
pub fn tx_batches(txs: Vec<Vec<u8>>) -> Vec<TxBatch> {
    let mut out = Vec::new();
    let mut current = Vec::new();
    let mut bytes = 0;
    for tx in txs {
        if !current.is_empty() && bytes + tx.len() > loanchain_types::limits::TX_GOSSIP_CHUNK_BYTES {
            out.push(TxBatch(std::mem::take(&mut current)));
            bytes = 0;
        }
        bytes += tx.len();
        current.push(tx);
    }
    if !current.is_empty() {
        out.push(TxBatch(current));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let status = Gossip::Status { height: 7, stamp: 1, certificate: None };
        assert_eq!(decode::<Gossip>(&encode(&status)).unwrap(), status);
        let req = SyncRequest::Blocks { from: 1, to: 9 };
        assert_eq!(decode::<SyncRequest>(&encode(&req)).unwrap(), req);
        assert!(decode::<Gossip>(&[0xff, 0x00]).is_err());
        let mut bytes = encode(&status);
        bytes.push(0);
        assert!(decode::<Gossip>(&bytes).is_err(), "trailing bytes are refused");
    }

    /// The bcs tag of each variant is its position: one added anywhere but last would change the
    /// bytes of every variant after it, which nodes already running could no longer decode.
    #[test]
    fn gossip_variants_keep_their_tags() {
        let vote = loanchain_types::Vote {
            height: 1,
            round: 0,
            kind: loanchain_types::VoteKind::Prevote,
            block_hash: None,
            validator: loanchain_types::ValidatorIndex(0),
        };
        let signed = loanchain_types::SignedVote { vote, signature: loanchain_types::Signature([0; 64]) };
        let evidence = Evidence::ConflictingVotes { first: signed.clone(), second: signed.clone() };
        let tags = [
            encode(&Gossip::Consensus(ConsensusMessage::Vote(signed)))[0],
            encode(&Gossip::Replay { stamp: 0, messages: vec![] })[0],
            encode(&Gossip::Status { height: 7, stamp: 1, certificate: None })[0],
            encode(&Gossip::Evidence(evidence.clone()))[0],
        ];
        assert_eq!(tags, [1, 2, 3, 4], "Proposal is 0");
        assert_eq!(
            encode(&Gossip::Status { height: 7, stamp: 1, certificate: None }),
            [3, 7, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(decode::<Gossip>(&encode(&Gossip::Evidence(evidence.clone()))).unwrap(), Gossip::Evidence(evidence));
    }

    #[test]
    fn a_sync_answer_of_many_blocks_decodes_within_its_limit() {
        // Issue 16, weakness 3: answers were packed up to 8 MiB but decoded within 1 MiB.
        let block = |h| Block {
            header: BlockHeader {
                chain_id: "c".into(),
                height: h,
                time_ms: h,
                proposer: loanchain_types::ValidatorIndex(0),
                previous_block_hash: Hash::ZERO,
                transactions_root: Hash::ZERO,
                last_commit_hash: Hash::ZERO,
                app_hash: Hash::ZERO,
                validator_set_hash: Hash::ZERO,
            },
            transactions: vec![vec![1u8; 200]; 5_000],
            last_commit: None,
        };
        let cert = |h| CommitCertificate { height: h, round: 0, block_hash: Hash::ZERO, signatures: vec![] };
        let answer = SyncResponse::Blocks((1..=7).map(|h| (block(h), cert(h))).collect());
        let bytes = encode(&answer);
        assert!(bytes.len() > 6 << 20, "{} bytes", bytes.len());
        assert_eq!(decode::<SyncResponse>(&bytes).unwrap(), answer);
    }

    #[test]
    fn transaction_batches_are_cut_by_bytes() {
        let txs: Vec<Vec<u8>> = (0..5_000).map(|i| vec![(i % 251) as u8; 300 + i % 700]).collect();
        let total: usize = txs.iter().map(Vec::len).sum();
        let batches = tx_batches(txs.clone());
        assert!(batches.len() >= total / loanchain_types::limits::TX_GOSSIP_CHUNK_BYTES);
        for b in &batches {
            let bytes = encode(b);
            assert!(bytes.len() <= TxBatch::MAX_BYTES, "{} bytes", bytes.len());
            assert_eq!(&decode::<TxBatch>(&bytes).unwrap(), b);
        }
        let back: Vec<Vec<u8>> = batches.into_iter().flat_map(|b| b.0).collect();
        assert_eq!(back, txs, "every transaction once, in order");
        // One transaction at the limit still travels.
        let big = vec![vec![9u8; loanchain_types::limits::MAX_TX_BYTES]; 3];
        let batches = tx_batches(big);
        assert!(batches.iter().all(|b| encode(b).len() <= TxBatch::MAX_BYTES));
    }
}
