//! Serves true headers and certificates with altered bodies (issue 16, weakness 2): it announces
//! node 0's height with its true certificate ten times a second, so a node catching up asks it,
//! and answers every sync and fetch with node 0's blocks, the last transaction of each dropped.

use loanchain_network::Topic;
use loanchain_node::chain::ChainStore;
use loanchain_node::wire::{self, Gossip, SyncRequest, SyncResponse};

use super::{Act, Mock, World};
use loanchain_sim::rng::Rng;

/// The liar.
#[derive(Default)]
pub struct AlteredBodies {
    last_announce: u64,
}

impl Mock for AlteredBodies {
    fn name(&self) -> &'static str {
        "altered-bodies"
    }
    fn wants_a_late_joiner(&self) -> bool {
        true
    }
    fn tick(&mut self, world: &World<'_>, _rng: &mut Rng) -> Vec<Act> {
        if world.now < self.last_announce + 100 {
            return vec![];
        }
        self.last_announce = world.now;
        let height = world.height();
        let certificate = world.stores[0].certificate(height).ok().flatten();
        vec![Act::Publish(Topic::Blocks, wire::encode(&Gossip::Status { height, stamp: world.now, certificate }))]
    }
    fn answer(&mut self, request: &SyncRequest, world: &World<'_>) -> Option<SyncResponse> {
        let mut answer = world.honest_answer(request);
        match &mut answer {
            SyncResponse::Blocks(blocks) => blocks.iter_mut().for_each(|(b, _)| {
                b.transactions.pop();
            }),
            SyncResponse::Block(Some(b)) => {
                b.transactions.pop();
            }
            _ => {}
        }
        Some(answer)
    }
}
