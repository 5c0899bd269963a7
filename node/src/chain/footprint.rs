//! What the chain host holds in memory, counted (issue 16: "honest nodes' memory stays
//! bounded"): the whole-node simulation samples it every tick, checks the bounds declared here,
//! and checks that nothing grows with the length of a run.

use super::blocks::MAX_PARTIAL;
use super::inbound::{MAX_QUEUED_PER_PEER, MAX_SEEN};
use super::{Chain, ChainStore};

/// Counts of what the host holds, each for one kind of state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Footprint {
    /// Blocks held for heights not yet committed (proposed, rebuilt, fetched).
    pub blocks: usize,
    /// Compact proposals waiting for their transactions.
    pub partial: usize,
    /// Blocks awaited, asked for or being fetched by hash, and certified blocks from sync waiting
    /// to execute.
    pub awaited: usize,
    /// Proposals and votes the consensus core holds (this height and the next).
    pub consensus_messages: usize,
    /// Gossip waiting for a verification job, over all peers.
    pub queued: usize,
    /// Message hashes remembered to drop duplicates.
    pub seen: usize,
    /// Per-peer records: heights announced, faults, pulls answered.
    pub peer_records: usize,
}

impl Footprint {
    /// The larger of each count.
    pub fn max(self, other: Footprint) -> Footprint {
        Footprint {
            blocks: self.blocks.max(other.blocks),
            partial: self.partial.max(other.partial),
            awaited: self.awaited.max(other.awaited),
            consensus_messages: self.consensus_messages.max(other.consensus_messages),
            queued: self.queued.max(other.queued),
            seen: self.seen.max(other.seen),
            peer_records: self.peer_records.max(other.peer_records),
        }
    }

    /// The bounds the host declares, for a network of `peers` allowed peers: compact proposals
    /// held ([`MAX_PARTIAL`]), gossip queued ([`MAX_QUEUED_PER_PEER`] per peer), hashes
    /// remembered ([`MAX_SEEN`]), and one record of each kind per peer. What else it holds is
    /// bounded by heights and rounds (pruned at each commit; rounds by the core's window), which
    /// the simulation checks by comparing the two halves of a run.
    pub fn check_bounds(&self, peers: usize) -> Result<(), String> {
        let bounds = [
            ("compact proposals held", self.partial, MAX_PARTIAL),
            ("gossip messages queued", self.queued, MAX_QUEUED_PER_PEER * peers),
            ("message hashes remembered", self.seen, MAX_SEEN),
            ("per-peer records", self.peer_records, 3 * peers),
        ];
        match bounds.iter().find(|(_, n, max)| n > max) {
            Some((what, n, max)) => Err(format!("{what}: {n}, above the bound {max}")),
            None => Ok(()),
        }
    }
}

impl<S: ChainStore> Chain<S> {
    /// What this host holds now.
    pub fn footprint(&self) -> Footprint {
        let (_, queued, seen) = self.inbound.load();
        Footprint {
            blocks: self.pending.len(),
            partial: self.partial.len(),
            awaited: self.awaited.len().max(self.asked.len()) + self.fetches.len() + self.synced.len(),
            consensus_messages: self.core.stored_messages(),
            queued,
            seen,
            peer_records: self.announced.len() + self.peer_faults.len() + self.pulls_answered.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_declared_bound_is_checked() {
        let peers = 5;
        assert!(Footprint::default().check_bounds(peers).is_ok());
        let at_bounds = Footprint {
            partial: MAX_PARTIAL,
            queued: MAX_QUEUED_PER_PEER * peers,
            seen: MAX_SEEN,
            peer_records: 3 * peers,
            ..Footprint::default()
        };
        assert!(at_bounds.check_bounds(peers).is_ok());
        for over in [
            Footprint { partial: MAX_PARTIAL + 1, ..at_bounds },
            Footprint { queued: MAX_QUEUED_PER_PEER * peers + 1, ..at_bounds },
            Footprint { seen: MAX_SEEN + 1, ..at_bounds },
            Footprint { peer_records: 3 * peers + 1, ..at_bounds },
        ] {
            assert!(over.check_bounds(peers).is_err(), "{over:?}");
        }
        assert_eq!(at_bounds.max(Footprint { blocks: 3, ..Footprint::default() }).blocks, 3);
    }
}
