//! Byzantine peers for the whole-node simulation, one file each (issue 16): each takes the
//! network identity of the devnet's observer (an allowed peer, as any member's node is) or, for
//! the ones that sign consensus messages, a validator's key (that validator's honest host does
//! not run). They see the honest nodes' stores (what a peer following the chain would know) and
//! act every tick; the simulator delivers what they publish to every honest node and their
//! answers to the nodes that asked them.

mod altered_bodies;
mod backdater;
mod forged_proposals;
mod garbage_flood;
mod huge_rounds;
mod resubmitter;
mod status_lies;
mod torsion;

use loanchain_genesis::DevnetFiles;
use loanchain_network::Topic;
use loanchain_node::chain::{ChainStore, answer_from_storage};
use loanchain_node::wire::{SyncRequest, SyncResponse};

use crate::store::MemChainStore;
use loanchain_sim::rng::Rng;

/// What a mock sees: the time, the honest nodes' stores, the devnet.
pub struct World<'a> {
    /// Virtual time, unix ms.
    pub now: u64,
    /// Every honest node's store (index 0 is the one mocks follow).
    pub stores: Vec<&'a MemChainStore>,
    /// The devnet: genesis, keys.
    pub files: &'a DevnetFiles,
}

impl World<'_> {
    /// The height node 0 committed.
    pub fn height(&self) -> u64 {
        self.stores[0].last_committed().map_or(0, |l| l.height)
    }

    /// Devnet validator `validator`'s consensus key and its index in the validator set, for
    /// the mocks that hold a validator's key.
    pub fn validator(&self, validator: usize) -> Option<(loanchain_types::Keypair, loanchain_types::ValidatorIndex)> {
        let key = self.files.nodes[validator].consensus_key.as_ref()?.keypair().clone();
        let set = self.files.genesis.validator_set().ok()?;
        let me =
            (0..set.len() as u32).map(loanchain_types::ValidatorIndex).find(|&v| set.get(v).is_ok_and(|x| x.public_key == key.public()))?;
        Some((key, me))
    }

    /// Node 0's honest answer to `request`.
    pub fn honest_answer(&self, request: &SyncRequest) -> SyncResponse {
        answer_from_storage(self.stores[0], Ok(request.clone()), self.height())
    }
}

/// What a mock does in a tick.
pub enum Act {
    /// Gossip to every honest node.
    Publish(Topic, Vec<u8>),
    /// A transaction submitted to honest node `usize` through its admission.
    Submit(usize, Vec<u8>),
}

/// A Byzantine peer.
pub trait Mock {
    /// Its name in reports.
    fn name(&self) -> &'static str;
    /// The validator whose key it holds and whose honest host it replaces, if any.
    fn replaces(&self) -> Option<usize> {
        None
    }
    /// Whether the last validator should join late (at a third of the run), so that it syncs and
    /// meets this mock's answers.
    fn wants_a_late_joiner(&self) -> bool {
        false
    }
    /// What it does at `world.now`.
    fn tick(&mut self, world: &World<'_>, rng: &mut Rng) -> Vec<Act>;
    /// Its answer to a request from an honest node; `None` leaves it unanswered (it times out).
    fn answer(&mut self, request: &SyncRequest, world: &World<'_>) -> Option<SyncResponse>;
    /// For a mock that sends transactions: how many it sent, and how many node 0 committed.
    fn tally(&self, _world: &World<'_>) -> Option<(usize, usize)> {
        None
    }
    /// Whether what [`Mock::tally`] counts must never be committed (a violation if it is).
    fn must_not_land(&self) -> bool {
        false
    }
}

/// Every mock, by name.
pub const ALL: [&str; 8] =
    ["altered-bodies", "status-lies", "garbage-flood", "resubmitter", "forged-proposals", "huge-rounds", "torsion", "backdater"];

/// The mock named `name`, for a devnet of `validators`.
pub fn by_name(name: &str, validators: usize) -> Option<Box<dyn Mock>> {
    Some(match name {
        "altered-bodies" => Box::new(altered_bodies::AlteredBodies::default()),
        "status-lies" => Box::new(status_lies::StatusLies::default()),
        "garbage-flood" => Box::new(garbage_flood::GarbageFlood::default()),
        "resubmitter" => Box::new(resubmitter::Resubmitter::default()),
        "forged-proposals" => Box::new(forged_proposals::ForgedProposals),
        "huge-rounds" => Box::new(huge_rounds::HugeRounds { validator: validators - 1 }),
        "torsion" => Box::new(torsion::Torsion::default()),
        "backdater" => Box::new(backdater::Backdater::new(validators - 1)),
        _ => return None,
    })
}
