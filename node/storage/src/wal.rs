//! The stored form of the consensus WAL (DESIGN §8: a validator persists what it signed, with
//! fsync, before sending it).
//!
//! The consensus crate keeps its [`WalEntry`], [`SafetyRecord`], [`Step`] and [`RoundValue`]
//! free of serde (it is pure and encoding-agnostic), so this module mirrors them with serde
//! derives and converts both ways. The mirror is the on-disk format of the `consensus` column
//! family: change it only as a deliberate format change.

use loanchain_consensus::{RoundValue, SafetyRecord, Step, WalEntry};
use loanchain_types::{ConsensusMessage, Hash, Height, Round};
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

impl From<StoredWalEntry> for WalEntry {
    fn from(e: StoredWalEntry) -> WalEntry {
        match e {
            StoredWalEntry::State(s) => WalEntry::State(s.into()),
            StoredWalEntry::Signed(m) => WalEntry::Signed(m),
            StoredWalEntry::Justification(ms) => WalEntry::Justification(ms),
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
        let mut seq = crate::storage::lock(&self.wal_seq);
        let mut batch = rocksdb::WriteBatch::default();
        let mut next = *seq;
        for e in entries {
            self.put_row::<crate::tables::Consensus>(&mut batch, &(e.height(), next), &StoredWalEntry::from(e));
            next += 1;
        }
        self.write(batch, true)?;
        *seq = next;
        Ok(())
    }

    /// Every WAL entry of the heights not yet committed, in append order within a height and
    /// heights in increasing order: what `Core::recover` takes after a restart.
    pub fn wal_load(&self) -> Result<Vec<WalEntry>, crate::StorageError> {
        Ok(self.scan_table::<crate::tables::Consensus>(&[], usize::MAX)?.into_iter().map(|(_, e)| e.into()).collect())
    }

    /// One past the largest sequence number stored.
    pub(crate) fn wal_next_seq(&self) -> Result<u64, crate::StorageError> {
        let entries = self.scan_table::<crate::tables::Consensus>(&[], usize::MAX)?;
        Ok(entries.iter().map(|((_, seq), _)| seq + 1).max().unwrap_or(0))
    }
}
