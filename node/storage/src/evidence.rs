//! Equivocation evidence (DESIGN §8): what the consensus core found, or a peer proved, kept
//! durably in the `evidence` column family and listed newest height first.
//!
//! Storage is bounded per height: at most one piece per (height, validator, round, kind), the key
//! ([`EvidenceKey`]), and at most [`MAX_EVIDENCE_PER_VALIDATOR_HEIGHT`] per validator and height
//! (one is proof enough; more only repeat it), so a height holds at most that many per validator.
//! Storage does not verify: the caller checks `Evidence::verify` against the genesis validator set
//! and the chain id before it adds anything.

use loanchain_types::{Evidence, Height};
use rocksdb::{Direction, IteratorMode, WriteBatch};

use crate::error::StorageError;
use crate::storage::{Storage, corrupt, lock};
use crate::tables::{DbKey, DbValue, EvidenceByHeight, EvidenceKey};

/// Most pieces of evidence kept for one validator at one height: as many as a round has steps.
pub const MAX_EVIDENCE_PER_VALIDATOR_HEIGHT: usize = 3;

/// What [`Storage::add_evidence`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvidenceAdded {
    /// New: written and fsynced.
    Stored,
    /// Evidence with the same key (height, validator, round, kind) is stored: nothing changed.
    Known,
    /// The validator already has [`MAX_EVIDENCE_PER_VALIDATOR_HEIGHT`] pieces at this height:
    /// nothing changed.
    Full,
}

/// One page of [`Storage::evidence_page`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EvidencePage {
    /// Newest height first; within a height in descending (validator, round, kind). Whole heights
    /// only.
    pub evidence: Vec<Evidence>,
    /// When more evidence is stored below this page: the `before_height` of the next page (the
    /// lowest height of this one).
    pub next_before_height: Option<Height>,
}

impl Storage {
    /// Stores `evidence` (fsynced) unless evidence of the same (height, validator, round, kind)
    /// is stored or the validator has [`MAX_EVIDENCE_PER_VALIDATOR_HEIGHT`] at that height.
    pub fn add_evidence(&self, evidence: &Evidence) -> Result<EvidenceAdded, StorageError> {
        let mut count = lock(&self.evidence_count);
        let key = EvidenceKey::of(evidence);
        if self.read::<EvidenceByHeight>(&key)?.is_some() {
            return Ok(EvidenceAdded::Known);
        }
        let bytes = key.key_bytes();
        let of_validator = &bytes[..12];
        let mut held = 0;
        for item in self.raw_iter::<EvidenceByHeight>(of_validator, of_validator, None) {
            item.map_err(StorageError::db("iterate"))?;
            held += 1;
            if held >= MAX_EVIDENCE_PER_VALIDATOR_HEIGHT {
                return Ok(EvidenceAdded::Full);
            }
        }
        let mut batch = WriteBatch::default();
        self.put_row::<EvidenceByHeight>(&mut batch, &key, evidence);
        self.write(batch, true)?;
        *count += 1;
        Ok(EvidenceAdded::Stored)
    }

    /// Whether evidence with this key is stored.
    pub fn has_evidence(&self, key: &EvidenceKey) -> Result<bool, StorageError> {
        Ok(self.read::<EvidenceByHeight>(key)?.is_some())
    }

    /// How many pieces of evidence are stored.
    pub fn evidence_count(&self) -> u64 {
        *lock(&self.evidence_count)
    }

    /// The evidence of heights below `before_height` (all heights if `None`), newest first, in
    /// whole heights: as many heights as fit in `limit` pieces, and always the first height whole
    /// even if it alone holds more (at most [`MAX_EVIDENCE_PER_VALIDATOR_HEIGHT`] per validator).
    /// `limit` 0 gives an empty page.
    pub fn evidence_page(&self, before_height: Option<Height>, limit: usize) -> Result<EvidencePage, StorageError> {
        if limit == 0 {
            return Ok(EvidencePage::default());
        }
        // Backwards from the last key below height `before` (8 bytes: every key of that height,
        // 17 bytes, sorts after it).
        let before = before_height.map(|h| h.key_bytes());
        let mode = match &before {
            Some(b) => IteratorMode::From(b, Direction::Reverse),
            None => IteratorMode::End,
        };
        let mut out: Vec<Evidence> = Vec::new();
        let mut group: Vec<Evidence> = Vec::new();
        let mut group_height = None;
        let mut more = false;
        let fits = |out: &Vec<Evidence>, group: &Vec<Evidence>| out.is_empty() || out.len() + group.len() <= limit;
        for item in self.db.iterator_cf(self.cf::<EvidenceByHeight>(), mode) {
            let (k, v) = item.map_err(StorageError::db("iterate"))?;
            let key = EvidenceKey::decode_key(&k).map_err(|r| corrupt::<EvidenceByHeight>(&k, r))?;
            let evidence = Evidence::decode_value(&v).map_err(|r| corrupt::<EvidenceByHeight>(&k, r))?;
            if group_height != Some(key.height) {
                // A height is complete: it joins the page if it fits; a full page, or one it does
                // not fit, ends here, with this height or the one just read left for the next.
                if !group.is_empty() {
                    if !fits(&out, &group) {
                        more = true;
                        break;
                    }
                    out.append(&mut group);
                    if out.len() >= limit {
                        more = true;
                        break;
                    }
                }
                group_height = Some(key.height);
            }
            group.push(evidence);
        }
        if !more && !group.is_empty() {
            if fits(&out, &group) {
                out.append(&mut group);
            } else {
                more = true;
            }
        }
        let next_before_height = if more { out.last().map(Evidence::height) } else { None };
        Ok(EvidencePage { evidence: out, next_before_height })
    }

    /// Counts the stored evidence (once, on open).
    pub(crate) fn count_evidence(&self) -> Result<u64, StorageError> {
        let mut n = 0;
        for item in self.db.iterator_cf(self.cf::<EvidenceByHeight>(), IteratorMode::Start) {
            item.map_err(StorageError::db("iterate"))?;
            n += 1;
        }
        Ok(n)
    }
}
