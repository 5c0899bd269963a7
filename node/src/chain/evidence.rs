//! Equivocation evidence (DESIGN §8): what the core reports is stored and gossiped once; what a
//! peer gossips is checked, deduplicated against storage, verified and stored, and not published
//! again (gossipsub relays it already).

use loanchain_network::{PeerId, Topic};
use loanchain_storage::EvidenceAdded;
use loanchain_storage::tables::EvidenceKey;
use loanchain_types::{Evidence, Height};
use tracing::{debug, warn};

use super::task::Out;
use super::{Chain, ChainStore};
use crate::wire::{self, Gossip};

/// Gossiped evidence of a height more than this many above the last committed one is refused:
/// the core reports evidence of the height it decides (the last committed + 1), and a peer one
/// block ahead reports the next. Without a bound, an equivocator signing pairs at every height to
/// come could fill every node's disk.
pub const EVIDENCE_HEIGHTS_AHEAD: Height = 2;

/// Why gossiped evidence was refused; nothing was stored.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceRefused {
    /// Its two messages do not prove an equivocation (not conflicting, or a bad signature).
    #[error(transparent)]
    NotEvidence(#[from] loanchain_types::Error),
    /// Of a height too far above the last committed one.
    #[error("evidence of height {height} is more than {EVIDENCE_HEIGHTS_AHEAD} above the last committed height {last}")]
    TooFarAhead {
        /// The evidence's height.
        height: Height,
        /// The last committed height.
        last: Height,
    },
}

impl<S: ChainStore> Chain<S> {
    /// The core found an equivocation among messages whose signatures it verified: stored, and
    /// gossiped if this node did not hold it already.
    pub(super) fn on_evidence_found(&mut self, evidence: Evidence) -> anyhow::Result<()> {
        if self.store_evidence(&evidence, None)? {
            self.out.push(Out::Publish(Topic::Consensus, wire::encode(&Gossip::Evidence(evidence))));
        }
        Ok(())
    }

    /// Evidence gossiped by a peer: stored if new and it proves an equivocation.
    /// Returns the gossip verdict: stored evidence is not forwarded (every node gossips what its
    /// own core finds), refused evidence blames the peer that sent it.
    pub(super) fn on_evidence_gossip(&mut self, evidence: Evidence, from: Option<PeerId>) -> anyhow::Result<loanchain_network::Verdict> {
        match self.check_gossiped(&evidence) {
            Ok(true) => {
                self.store_evidence(&evidence, from)?;
                Ok(loanchain_network::Verdict::Ignore)
            }
            Ok(false) => {
                debug!(height = evidence.height(), validator = %evidence.validator(), "evidence already held");
                Ok(loanchain_network::Verdict::Ignore)
            }
            Err(e) => {
                self.ctx.metrics.evidence_refused.inc();
                warn!(peer = ?from, error = %e, "gossiped evidence refused");
                Ok(loanchain_network::Verdict::Reject)
            }
        }
    }

    /// Whether gossiped evidence is to be stored: `Ok(false)` if evidence of its key is held
    /// (checked before the signatures, which cost more).
    fn check_gossiped(&self, evidence: &Evidence) -> Result<bool, EvidenceRefused> {
        let (height, last) = (evidence.height(), self.last.height);
        if height > last.saturating_add(EVIDENCE_HEIGHTS_AHEAD) {
            return Err(EvidenceRefused::TooFarAhead { height, last });
        }
        // A failed read is not the peer's fault: the write that follows reports it.
        if self.ctx.storage.has_evidence(&EvidenceKey::of(evidence)).unwrap_or(false) {
            return Ok(false);
        }
        evidence.verify(&self.validators, &self.chain_id)?;
        Ok(true)
    }

    /// Stores verified evidence; whether it was new. A failed write is fatal, as every storage
    /// write of the chain task.
    fn store_evidence(&mut self, evidence: &Evidence, from: Option<PeerId>) -> anyhow::Result<bool> {
        let added = self.ctx.storage.add_evidence(evidence).map_err(|e| anyhow::anyhow!("evidence write failed: {e}"))?;
        let name = self.validators.get(evidence.validator()).map(|v| v.name.as_str()).unwrap_or("?");
        match added {
            EvidenceAdded::Stored => {
                self.ctx.metrics.evidence_stored.inc();
                let source = if from.is_some() { "gossip" } else { "this node's consensus" };
                warn!(
                    validator = name,
                    height = evidence.height(),
                    round = evidence.round(),
                    kind = %evidence.kind(),
                    source,
                    "equivocation evidence stored"
                );
                Ok(true)
            }
            EvidenceAdded::Known | EvidenceAdded::Full => {
                debug!(validator = name, height = evidence.height(), round = evidence.round(), ?added, "evidence not stored again");
                Ok(false)
            }
        }
    }
}
