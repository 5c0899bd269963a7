//! Every column family of the node's RocksDB, declared once with its key and value types
//! (STYLE habit 11, reth's `tables`), and the small records stored in them.
//!
//! Keys are order-preserving: big-endian integers, hashes as their 32 bytes, loan ids as their
//! bytes closed by a zero byte (ids never contain one), tuples as their parts in order, so a
//! tuple's first parts are a prefix of the whole (events of a height, events of a loan). Values are
//! bcs, except the contract state, whose keys and values are the contracts' own bytes, verbatim.
//!
//! | column family | key | value |
//! |---|---|---|
//! | `blocks` | height | [`Block`] |
//! | `block_hashes` | block hash | height |
//! | `certificates` | height | [`CommitCertificate`] |
//! | `transactions` | tx hash | [`TxLocation`] |
//! | `receipts` | (height, index) | [`Receipt`] |
//! | `events` | (height, seq) | [`Event`] |
//! | `loan_events` | (loan, height, seq) | `()` |
//! | `state` | contract key bytes | contract value bytes |
//! | `meta` | `()` | [`ChainMeta`] |
//! | `consensus` | (height, seq) | [`StoredWalEntry`] |
//! | `evidence` | [`EvidenceKey`]: (height, validator, round, kind) | [`Evidence`] |

use loanchain_contracts::crypto::Hash;
use loanchain_contracts::ids::LoanId;
use loanchain_contracts::{Event, Receipt};
use loanchain_types::{Block, CommitCertificate, Evidence, EvidenceKind, Height, Round, ValidatorIndex};
use serde::{Deserialize, Serialize};

use crate::wal::StoredWalEntry;

/// A key type of a column family: order-preserving bytes, and back.
pub trait DbKey: Sized {
    /// Appends the encoding.
    fn encode_key(&self, out: &mut Vec<u8>);
    /// Decodes a whole key.
    fn decode_key(bytes: &[u8]) -> Result<Self, String>;
    /// The encoding alone.
    fn key_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_key(&mut out);
        out
    }
}

/// A value type of a column family.
pub trait DbValue: Sized {
    /// The stored bytes.
    fn encode_value(&self) -> Vec<u8>;
    /// Decodes stored bytes.
    fn decode_value(bytes: &[u8]) -> Result<Self, String>;
}

/// A column family with its key and value types.
pub trait Table {
    /// The column family's name.
    const NAME: &'static str;
    /// Key type.
    type Key: DbKey;
    /// Value type.
    type Value: DbValue;
}

macro_rules! tables {
    ($($(#[$meta:meta])* $name:ident = $cf:literal, $key:ty => $value:ty;)+) => {
        $(
            $(#[$meta])*
            #[derive(Debug)]
            pub struct $name;
            impl Table for $name {
                const NAME: &'static str = $cf;
                type Key = $key;
                type Value = $value;
            }
        )+
        /// The names of every column family, to create them on open.
        pub const ALL: &[&str] = &[$($cf),+];
    };
}

tables! {
    /// Final blocks by height.
    Blocks = "blocks", u64 => Block;
    /// Heights by block hash.
    BlockHashes = "block_hashes", Hash => u64;
    /// The commit certificate of each height (the one that made the block final).
    Certificates = "certificates", u64 => CommitCertificate;
    /// Where each executed transaction is.
    Transactions = "transactions", Hash => TxLocation;
    /// Receipts by (height, index in the block).
    Receipts = "receipts", (u64, u32) => Receipt;
    /// Events by (height, sequence in the block).
    Events = "events", (u64, u32) => Event;
    /// Index: events of a loan, by (loan, height, sequence).
    LoanEvents = "loan_events", (LoanId, u64, u32) => ();
    /// The contract state: the contracts' own keys and values, verbatim.
    State = "state", RawKey => RawValue;
    /// The chain this data dir belongs to and how far it is.
    Meta = "meta", () => ChainMeta;
    /// The consensus WAL of the heights not yet committed, by (height, append sequence).
    Consensus = "consensus", (u64, u64) => StoredWalEntry;
    /// Verified equivocation evidence, at most one per (height, validator, round, kind), in
    /// height order (`crate::evidence`).
    EvidenceByHeight = "evidence", EvidenceKey => Evidence;
}

/// Where one piece of evidence is stored: what it is evidence of. Two pieces with one key prove
/// the same thing, so the first stored is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EvidenceKey {
    /// The height of the equivocation.
    pub height: Height,
    /// The validator that equivocated.
    pub validator: ValidatorIndex,
    /// The round.
    pub round: Round,
    /// The step.
    pub kind: EvidenceKind,
}

impl EvidenceKey {
    /// The key of `evidence`.
    pub fn of(evidence: &Evidence) -> EvidenceKey {
        EvidenceKey { height: evidence.height(), validator: evidence.validator(), round: evidence.round(), kind: evidence.kind() }
    }
}

/// Where a transaction is: its block and its index there (the receipt's index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxLocation {
    /// Block height.
    pub height: u64,
    /// Index in the block's executed transactions.
    pub index: u32,
}

/// The last committed block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastCommitted {
    /// Its height (0 for the genesis state).
    pub height: u64,
    /// Its hash ([`Hash::ZERO`] for the genesis state).
    pub block_hash: Hash,
    /// The app hash of the state after it.
    pub app_hash: Hash,
}

/// The one row of `meta`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainMeta {
    /// The genesis this data dir was made for.
    pub genesis_hash: Hash,
    /// The last committed block; `None` until the genesis state is written.
    pub last: Option<LastCommitted>,
}

/// A contract state key, verbatim.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RawKey(pub Vec<u8>);

/// A contract state value, verbatim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawValue(pub Vec<u8>);

// --- keys -----------------------------------------------------------------------------------

fn take<const N: usize>(bytes: &[u8], what: &str) -> Result<[u8; N], String> {
    bytes.try_into().map_err(|_| format!("{what} key is {} bytes, expected {N}", bytes.len()))
}

impl DbKey for () {
    fn encode_key(&self, _out: &mut Vec<u8>) {}
    fn decode_key(bytes: &[u8]) -> Result<(), String> {
        if bytes.is_empty() { Ok(()) } else { Err(format!("unit key is {} bytes, expected 0", bytes.len())) }
    }
}

impl DbKey for u64 {
    fn encode_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_be_bytes());
    }
    fn decode_key(bytes: &[u8]) -> Result<u64, String> {
        take::<8>(bytes, "u64").map(u64::from_be_bytes)
    }
}

impl DbKey for Hash {
    fn encode_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_bytes());
    }
    fn decode_key(bytes: &[u8]) -> Result<Hash, String> {
        take::<32>(bytes, "hash").map(Hash)
    }
}

impl DbKey for (u64, u32) {
    fn encode_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0.to_be_bytes());
        out.extend_from_slice(&self.1.to_be_bytes());
    }
    fn decode_key(bytes: &[u8]) -> Result<(u64, u32), String> {
        let b = take::<12>(bytes, "(u64, u32)")?;
        Ok((u64::from_be_bytes(b[..8].try_into().expect("8 bytes")), u32::from_be_bytes(b[8..].try_into().expect("4 bytes"))))
    }
}

impl DbKey for (u64, u64) {
    fn encode_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0.to_be_bytes());
        out.extend_from_slice(&self.1.to_be_bytes());
    }
    fn decode_key(bytes: &[u8]) -> Result<(u64, u64), String> {
        let b = take::<16>(bytes, "(u64, u64)")?;
        Ok((u64::from_be_bytes(b[..8].try_into().expect("8 bytes")), u64::from_be_bytes(b[8..].try_into().expect("8 bytes"))))
    }
}

impl DbKey for LoanId {
    fn encode_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_str().as_bytes());
        out.push(0);
    }
    fn decode_key(bytes: &[u8]) -> Result<LoanId, String> {
        let Some((&0, id)) = bytes.split_last() else { return Err("loan id key is not closed by a zero byte".into()) };
        let id = std::str::from_utf8(id).map_err(|e| format!("loan id key is not UTF-8: {e}"))?;
        LoanId::new(id).map_err(|e| e.to_string())
    }
}

impl DbKey for (LoanId, u64, u32) {
    fn encode_key(&self, out: &mut Vec<u8>) {
        self.0.encode_key(out);
        (self.1, self.2).encode_key(out);
    }
    fn decode_key(bytes: &[u8]) -> Result<(LoanId, u64, u32), String> {
        let split = bytes.len().checked_sub(12).ok_or("loan event key is too short")?;
        let loan = LoanId::decode_key(&bytes[..split])?;
        let (height, seq) = <(u64, u32)>::decode_key(&bytes[split..])?;
        Ok((loan, height, seq))
    }
}

/// Height, validator and round big-endian, then the kind as one byte (0 proposal, 1 prevote,
/// 2 precommit): 17 bytes, whose first 8 (the height) and first 12 (height, validator) are prefixes.
impl DbKey for EvidenceKey {
    fn encode_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.height.to_be_bytes());
        out.extend_from_slice(&self.validator.0.to_be_bytes());
        out.extend_from_slice(&self.round.to_be_bytes());
        out.push(EvidenceKind::ALL.iter().position(|k| *k == self.kind).expect("every kind is in ALL") as u8);
    }
    fn decode_key(bytes: &[u8]) -> Result<EvidenceKey, String> {
        let b = take::<17>(bytes, "evidence")?;
        let kind = *EvidenceKind::ALL.get(usize::from(b[16])).ok_or_else(|| format!("evidence kind byte {} is not 0, 1 or 2", b[16]))?;
        Ok(EvidenceKey {
            height: u64::from_be_bytes(b[..8].try_into().expect("8 bytes")),
            validator: ValidatorIndex(u32::from_be_bytes(b[8..12].try_into().expect("4 bytes"))),
            round: u32::from_be_bytes(b[12..16].try_into().expect("4 bytes")),
            kind,
        })
    }
}

impl DbKey for RawKey {
    fn encode_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }
    fn decode_key(bytes: &[u8]) -> Result<RawKey, String> {
        Ok(RawKey(bytes.to_vec()))
    }
}

// --- values ---------------------------------------------------------------------------------

macro_rules! bcs_values {
    ($($ty:ty),+) => {$(
        impl DbValue for $ty {
            fn encode_value(&self) -> Vec<u8> {
                loanchain_contracts::codec::to_bytes(self)
            }
            fn decode_value(bytes: &[u8]) -> Result<$ty, String> {
                bcs::from_bytes(bytes).map_err(|e| e.to_string())
            }
        }
    )+};
}
bcs_values!(Block, CommitCertificate, u64, TxLocation, Receipt, Event, (), ChainMeta, StoredWalEntry, Evidence);

impl DbValue for RawValue {
    fn encode_value(&self) -> Vec<u8> {
        self.0.clone()
    }
    fn decode_value(bytes: &[u8]) -> Result<RawValue, String> {
        Ok(RawValue(bytes.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_sort_like_their_values() {
        let a = (LoanId::new("L-1").unwrap(), 7u64, 2u32);
        let b = (LoanId::new("L-10").unwrap(), 1u64, 0u32);
        assert_eq!(<(LoanId, u64, u32)>::decode_key(&a.key_bytes()).unwrap(), a);
        assert!(a.key_bytes() < b.key_bytes(), "L-1 sorts before L-10 whatever follows");
        assert!((3u64, 9u32).key_bytes() < (4u64, 0u32).key_bytes());
        assert!(u64::decode_key(&[1, 2]).is_err());
        assert!(LoanId::decode_key(b"no-terminator").is_err());

        let key = |height, validator, round, kind| EvidenceKey { height, validator: ValidatorIndex(validator), round, kind };
        let ordered = [
            key(2, 0, 0, EvidenceKind::Precommit),
            key(2, 1, 0, EvidenceKind::Proposal),
            key(2, 1, 0, EvidenceKind::Prevote),
            key(2, 1, 7, EvidenceKind::Proposal),
            key(3, 0, 0, EvidenceKind::Proposal),
        ];
        for pair in ordered.windows(2) {
            assert!(pair[0].key_bytes() < pair[1].key_bytes(), "{pair:?}");
        }
        for k in ordered {
            assert_eq!(EvidenceKey::decode_key(&k.key_bytes()).unwrap(), k);
        }
        let mut bad = ordered[0].key_bytes();
        bad[16] = 3;
        assert!(EvidenceKey::decode_key(&bad).is_err());
        assert!(EvidenceKey::decode_key(&bad[..16]).is_err());
    }
}
