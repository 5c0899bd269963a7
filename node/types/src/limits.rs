//! Every size limit of the chain and its network, declared once (DESIGN appendix A).
//!
//! The limits below are chosen; everything after "derived" is computed from them, so that a
//! receiver never refuses what an honest sender is allowed to send: a block at its limit fits a sync
//! answer, a compact proposal of the largest block fits a gossip message, a batch of transactions
//! fits the gossip message it is chunked into. The compile-time assertions at the end check the
//! orderings; a test in this module checks the worst-case encodings against the bounds.
//!
//! | limit | value | who enforces it |
//! |---|---|---|
//! | [`MAX_TX_BYTES`] | 64 KiB | the mempool, at admission |
//! | [`MAX_BLOCK_TXS`] | 20,000 | genesis validation (caps `max_block_txs`) |
//! | [`MAX_BLOCK_TX_BYTES`] | 4 MiB | genesis validation (caps `max_block_bytes`) |
//! | [`MAX_VALIDATORS`] | 1,000 | [`crate::ValidatorSet::new`] |
//! | [`TX_GOSSIP_CHUNK_BYTES`] | 1 MiB | the transaction gossip batcher |
//! | [`MAX_REPLAY_BYTES`] | 1 MiB | the re-send of a stalled height's messages |
//! | [`SYNC_RESPONSE_TARGET_BYTES`] | 8 MiB | the sync server, when it packs blocks |
//! | [`MAX_SYNC_REQUEST_BYTES`] | 1 KiB | the network (request-response codec) |
//! | [`MAX_GOSSIP_CONTROL_IDS`] | 1,000 | the network: message ids in one IHAVE or IWANT (gossipsub) |
//! | derived: [`MAX_CERTIFICATE_BYTES`], [`MAX_BLOCK_BYTES`], [`MAX_COMPACT_PROPOSAL_BYTES`], [`MAX_TX_GOSSIP_BYTES`] | | |
//! | derived: [`MAX_GOSSIP_BYTES`] | | the network (gossipsub) and `wire::decode` |
//! | derived: [`MAX_SYNC_RESPONSE_BYTES`] | | the network (request-response codec) and `wire::decode` |
//! | derived: [`MAX_GOSSIP_CONTROL_BYTES`] | | the network: control bytes accepted in one gossip RPC (gossipsub) |

/// Largest signed transaction, in bytes. Far above any real one (a listing with its sealed
/// contract is about 1.5 KiB), small enough that a block holds dozens at the limit.
pub const MAX_TX_BYTES: usize = 64 << 10;

/// Most transactions one block may hold (the cap on genesis `max_block_txs`).
pub const MAX_BLOCK_TXS: usize = 20_000;

/// Most bytes of transactions one block may hold (the cap on genesis `max_block_bytes`).
pub const MAX_BLOCK_TX_BYTES: usize = 4 << 20;

/// Most validators a set may have. A consortium has tens; the bound keeps a commit certificate
/// within [`MAX_CERTIFICATE_BYTES`].
pub const MAX_VALIDATORS: usize = 1_000;

/// Transaction gossip is published in messages of about this many bytes of transactions (a
/// message closes before the transaction that would cross it).
pub const TX_GOSSIP_CHUNK_BYTES: usize = 1 << 20;

/// The re-sent messages of a stalled height are packed up to this many bytes, newest round first.
pub const MAX_REPLAY_BYTES: usize = 1 << 20;

/// A sync answer adds blocks while it stays within this many bytes (it always carries at least one
/// block, which may be up to [`MAX_BLOCK_BYTES`] plus its certificate).
pub const SYNC_RESPONSE_TARGET_BYTES: usize = 8 << 20;

/// Largest sync request: a range of heights or one block hash.
pub const MAX_SYNC_REQUEST_BYTES: usize = 1 << 10;

// Derived.

/// Room for one header's or one signed proposal's fixed fields (a chain id is at most 64 bytes).
const HEADER_BYTES: usize = 512;

/// Largest commit certificate: its fixed fields and one (index, signature) per validator (bcs
/// writes a signature as 64 bytes after a length byte).
pub const MAX_CERTIFICATE_BYTES: usize = HEADER_BYTES + MAX_VALIDATORS * (4 + 1 + 64);

/// Largest encoded block: header, transactions with their length prefixes (at most 3 bytes each
/// for [`MAX_TX_BYTES`]), and the certificate of the previous block.
pub const MAX_BLOCK_BYTES: usize = HEADER_BYTES + MAX_BLOCK_TX_BYTES + MAX_BLOCK_TXS * 3 + 5 + MAX_CERTIFICATE_BYTES;

/// Largest compact proposal: the signed proposal, the header, 33 bytes per transaction hash and
/// the previous block's certificate.
pub const MAX_COMPACT_PROPOSAL_BYTES: usize = 2 * HEADER_BYTES + MAX_BLOCK_TXS * 33 + 5 + MAX_CERTIFICATE_BYTES;

/// Largest transaction gossip message: a chunk may cross [`TX_GOSSIP_CHUNK_BYTES`] by its last
/// transaction, plus the length prefixes.
pub const MAX_TX_GOSSIP_BYTES: usize = TX_GOSSIP_CHUNK_BYTES + MAX_TX_BYTES + (TX_GOSSIP_CHUNK_BYTES / 64) * 3 + 5;

/// Largest gossip message on any topic.
pub const MAX_GOSSIP_BYTES: usize = max(max(MAX_COMPACT_PROPOSAL_BYTES, MAX_TX_GOSSIP_BYTES), MAX_REPLAY_BYTES + HEADER_BYTES);

/// Largest sync answer: the target, or one block at its limit with its certificate, whichever is
/// more.
pub const MAX_SYNC_RESPONSE_BYTES: usize = max(SYNC_RESPONSE_TARGET_BYTES, MAX_BLOCK_BYTES + MAX_CERTIFICATE_BYTES) + HEADER_BYTES;

/// Message ids one gossipsub control message names at most: the IHAVE one heartbeat sends one
/// peer, an IWANT. Every publisher floods its messages to every peer, so IHAVE is only a repair
/// path; a thousand ids covers several heartbeats of a loaded devnet's messages.
pub const MAX_GOSSIP_CONTROL_IDS: usize = 1_000;

/// Gossip topics (the network has three: transactions, consensus, blocks).
pub const GOSSIP_TOPICS: usize = 3;

/// Control bytes one gossip RPC may carry: an IHAVE of [`MAX_GOSSIP_CONTROL_IDS`] 32-byte ids
/// (34 bytes each on the wire) for every topic, with room for topic names and framing. A receiver
/// that accepted less would fail to decode a peer's honest IHAVE and close the stream the peer's
/// gossip comes on, for good (issue 16, weakness 9: gossipsub 0.50 sends up to 5,000 ids and
/// accepts 16 KiB).
pub const MAX_GOSSIP_CONTROL_BYTES: usize = GOSSIP_TOPICS * (MAX_GOSSIP_CONTROL_IDS * 34 + 256) + (4 << 10);

const fn max(a: usize, b: usize) -> usize {
    if a > b { a } else { b }
}

// A block at its limit fits a sync answer, and a transaction fits everything that carries one.
const _: () = assert!(MAX_BLOCK_BYTES + MAX_CERTIFICATE_BYTES <= MAX_SYNC_RESPONSE_BYTES);
const _: () = assert!(MAX_TX_BYTES <= TX_GOSSIP_CHUNK_BYTES && MAX_TX_BYTES <= MAX_BLOCK_TX_BYTES);
const _: () = assert!(MAX_COMPACT_PROPOSAL_BYTES <= MAX_GOSSIP_BYTES && MAX_TX_GOSSIP_BYTES <= MAX_GOSSIP_BYTES);
// Gossip stays far below what one libp2p stream frame carries comfortably.
const _: () = assert!(MAX_GOSSIP_BYTES <= 4 << 20 && MAX_SYNC_RESPONSE_BYTES <= 16 << 20);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_utils::keypair;
    use crate::{Block, BlockHeader, CommitCertificate, CommitSignature, Hash, Proposal, SignedProposal, ValidatorIndex};
    use loanchain_primitives::codec;

    fn header() -> BlockHeader {
        BlockHeader {
            chain_id: "x".repeat(64),
            height: u64::MAX,
            time_ms: u64::MAX,
            proposer: ValidatorIndex(u32::MAX),
            previous_block_hash: Hash::digest(b"p"),
            transactions_root: Hash::digest(b"t"),
            last_commit_hash: Hash::digest(b"c"),
            app_hash: Hash::digest(b"a"),
            validator_set_hash: Hash::digest(b"v"),
        }
    }

    fn certificate() -> CommitCertificate {
        let signature = keypair(1).sign(crate::Domain::Vote, b"x");
        CommitCertificate {
            height: u64::MAX,
            round: u32::MAX,
            block_hash: Hash::digest(b"b"),
            signatures: (0..MAX_VALIDATORS as u32).map(|i| CommitSignature { validator: ValidatorIndex(i), signature }).collect(),
        }
    }

    #[test]
    fn the_worst_case_encodings_fit_their_bounds() {
        let cert = certificate();
        assert!(codec::to_bytes(&cert).len() <= MAX_CERTIFICATE_BYTES);
        assert!(codec::to_bytes(&header()).len() <= HEADER_BYTES);
        // The largest block: as many transactions as allowed, filling the byte limit.
        let per_tx = MAX_BLOCK_TX_BYTES / MAX_BLOCK_TXS;
        let block = Block { header: header(), transactions: vec![vec![7u8; per_tx]; MAX_BLOCK_TXS], last_commit: Some(cert.clone()) };
        assert!(codec::to_bytes(&block).len() <= MAX_BLOCK_BYTES);
        // The fewest, largest transactions.
        let block = Block {
            header: header(),
            transactions: vec![vec![7u8; MAX_TX_BYTES]; MAX_BLOCK_TX_BYTES / MAX_TX_BYTES],
            last_commit: Some(cert.clone()),
        };
        assert!(codec::to_bytes(&block).len() <= MAX_BLOCK_BYTES);
        let proposal = SignedProposal::sign(
            &keypair(0),
            &"x".repeat(64),
            Proposal {
                height: u64::MAX,
                round: u32::MAX,
                block_hash: Hash::digest(b"b"),
                valid_round: Some(u32::MAX),
                proposer: ValidatorIndex(0),
            },
        );
        let compact = (proposal, header(), vec![Hash::digest(b"h"); MAX_BLOCK_TXS], Some(cert));
        assert!(codec::to_bytes(&compact).len() <= MAX_COMPACT_PROPOSAL_BYTES);
        // The smallest transactions make the most length prefixes in a gossip chunk.
        let chunk = vec![vec![1u8; 64]; TX_GOSSIP_CHUNK_BYTES / 64];
        assert!(codec::to_bytes(&chunk).len() <= MAX_TX_GOSSIP_BYTES);
    }
}
