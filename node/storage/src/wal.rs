//! The stored form of the consensus WAL (DESIGN §8: a validator persists what it signed, with
//! fsync, before sending it).
//!
//! The consensus crate keeps its [`WalEntry`], [`SafetyRecord`], [`Step`] and [`RoundValue`]
//! free of serde (it is pure and encoding-agnostic), so this module mirrors them with serde
//! derives and converts both ways. The mirror is the on-disk format of the `consensus` column
//! family: change it only as a deliberate format change.

use loanchain_consensus::{RoundValue, SafetyRecord, Step, WalEntry};
use loanchain_types::{Block, ConsensusMessage, Hash, Height, Round};
use serde::{Deserialize, Serialize};

/// [`Step`], stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredStep {
    /// [`Step::Propose`].
    Propose,
    /// [`Step::Prevote`].
    Prevote,
    /// [`Step::Precommit`].
    Precommit,
}

/// [`RoundValue`], stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRoundValue {
    /// The round.
    pub round: Round,
    /// The block hash.
    pub value: Hash,
}

/// [`SafetyRecord`], stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSafetyRecord {
    /// Current height.
    pub height: Height,
    /// Current round.
    pub round: Round,
    /// Current step.
    pub step: StoredStep,
    /// lockedRound / lockedValue.
    pub locked: Option<StoredRoundValue>,
    /// validRound / validValue.
    pub valid: Option<StoredRoundValue>,
}

/// [`WalEntry`], stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredWalEntry {
    /// [`WalEntry::State`].
    State(StoredSafetyRecord),
    /// [`WalEntry::Signed`].
    Signed(ConsensusMessage),
    /// [`WalEntry::Justification`].
    Justification(Vec<ConsensusMessage>),
    /// A block this validator proposed, kept with its height's WAL so that a restarted proposer
    /// still holds the block its recovered proposal names (issue 16, weakness 11). Not a
    /// [`WalEntry`]: the core knows blocks by hash only. Added last: older entries keep their
    /// encoding.
    ProposedBlock(Block),
}

impl From<Step> for StoredStep {
    fn from(s: Step) -> StoredStep {
        match s {
            Step::Propose => StoredStep::Propose,
            Step::Prevote => StoredStep::Prevote,
            Step::Precommit => StoredStep::Precommit,
        }
    }
}

impl From<StoredStep> for Step {
    fn from(s: StoredStep) -> Step {
        match s {
            StoredStep::Propose => Step::Propose,
            StoredStep::Prevote => Step::Prevote,
            StoredStep::Precommit => Step::Precommit,
        }
    }
}

impl From<RoundValue> for StoredRoundValue {
    fn from(r: RoundValue) -> StoredRoundValue {
        StoredRoundValue { round: r.round, value: r.value }
    }
}

impl From<StoredRoundValue> for RoundValue {
    fn from(r: StoredRoundValue) -> RoundValue {
        RoundValue { round: r.round, value: r.value }
    }
}

impl From<&SafetyRecord> for StoredSafetyRecord {
    fn from(s: &SafetyRecord) -> StoredSafetyRecord {
        StoredSafetyRecord {
            height: s.height,
            round: s.round,
            step: s.step.into(),
            locked: s.locked.map(Into::into),
            valid: s.valid.map(Into::into),
        }
    }
}

impl From<StoredSafetyRecord> for SafetyRecord {
    fn from(s: StoredSafetyRecord) -> SafetyRecord {
        SafetyRecord {
            height: s.height,
            round: s.round,
            step: s.step.into(),
            locked: s.locked.map(Into::into),
            valid: s.valid.map(Into::into),
        }
    }
}

impl From<&WalEntry> for StoredWalEntry {
    fn from(e: &WalEntry) -> StoredWalEntry {
        match e {
            WalEntry::State(s) => StoredWalEntry::State(s.into()),
            WalEntry::Signed(m) => StoredWalEntry::Signed(m.clone()),
            WalEntry::Justification(ms) => StoredWalEntry::Justification(ms.clone()),
        }
    }
}

impl StoredWalEntry {
    /// The consensus entry, or `None` for a proposed block.
    fn into_entry(self) -> Option<WalEntry> {
        match self {
            StoredWalEntry::State(s) => Some(WalEntry::State(s.into())),
            StoredWalEntry::Signed(m) => Some(WalEntry::Signed(m)),
            StoredWalEntry::Justification(ms) => Some(WalEntry::Justification(ms)),
            StoredWalEntry::ProposedBlock(_) => None,
        }
    }
}

impl crate::Storage {
    /// Appends `entries` to the consensus WAL and makes them durable before returning: one
    /// `WriteBatch` written with `sync = true` (fsync of RocksDB's log), the barrier of
    /// `Ready::persist` between persisting a vote and sending it. The entries of a height are
    /// removed by the atomic commit of that height's block.
    pub fn wal_append(&self, entries: &[WalEntry]) -> Result<(), crate::StorageError> {
        if entries.is_empty() {
            return Ok(());
        }
        let stored: Vec<(Height, StoredWalEntry)> = entries.iter().map(|e| (e.height(), e.into())).collect();
        self.wal_write(&stored, true)
    }

    /// Keeps a block this validator is about to propose with the WAL of its height, removed with
    /// it when the height commits. Written without fsync: the proposal's own WAL record, appended
    /// after it with fsync, makes both durable (RocksDB has one log), so a proposal that survives
    /// a crash always has its block.
    pub fn wal_keep_proposed_block(&self, block: &Block) -> Result<(), crate::StorageError> {
        self.wal_write(&[(block.header.height, StoredWalEntry::ProposedBlock(block.clone()))], false)
    }

    /// The blocks kept by [`Storage::wal_keep_proposed_block`] for heights not yet committed.
    pub fn wal_proposed_blocks(&self) -> Result<Vec<Block>, crate::StorageError> {
        Ok(self
            .scan_table::<crate::tables::Consensus>(&[], usize::MAX)?
            .into_iter()
            .filter_map(|(_, e)| match e {
                StoredWalEntry::ProposedBlock(block) => Some(block),
                _ => None,
            })
            .collect())
    }

    fn wal_write(&self, entries: &[(Height, StoredWalEntry)], sync: bool) -> Result<(), crate::StorageError> {
        let mut seq = crate::storage::lock(&self.wal_seq);
        let mut batch = rocksdb::WriteBatch::default();
        let mut next = *seq;
        for (height, e) in entries {
            self.put_row::<crate::tables::Consensus>(&mut batch, &(*height, next), e);
            next += 1;
        }
        self.write(batch, sync)?;
        *seq = next;
        Ok(())
    }

    /// Every WAL entry of the heights not yet committed, in append order within a height and
    /// heights in increasing order: what `Core::recover` takes after a restart.
    pub fn wal_load(&self) -> Result<Vec<WalEntry>, crate::StorageError> {
        Ok(self.scan_table::<crate::tables::Consensus>(&[], usize::MAX)?.into_iter().filter_map(|(_, e)| e.into_entry()).collect())
    }

    /// One past the largest sequence number stored.
    pub(crate) fn wal_next_seq(&self) -> Result<u64, crate::StorageError> {
        let entries = self.scan_table::<crate::tables::Consensus>(&[], usize::MAX)?;
        Ok(entries.iter().map(|((_, seq), _)| seq + 1).max().unwrap_or(0))
    }
}
