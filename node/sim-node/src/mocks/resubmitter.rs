//! Resubmits committed transactions (issue 16, weakness 1): every 200 ms it takes transactions
//! from node 0's committed blocks and submits them to every honest node's admission, and gossips
//! them on the transaction topic. Admitted again, they would enter proposals that every other
//! validator refuses as already committed.

use loanchain_network::Topic;
use loanchain_node::chain::ChainStore;
use loanchain_node::wire::{self, SyncRequest, SyncResponse, TxBatch};

use super::{Act, Mock, World};
use loanchain_sim::rng::Rng;

/// The replayer of committed transactions.
#[derive(Default)]
pub struct Resubmitter {
    last: u64,
}

impl Mock for Resubmitter {
    fn name(&self) -> &'static str {
        "resubmitter"
    }
    fn tick(&mut self, world: &World<'_>, rng: &mut Rng) -> Vec<Act> {
        if world.now < self.last + 200 || world.height() == 0 {
            return vec![];
        }
        self.last = world.now;
        let h = rng.range(1, world.height());
        let Ok(Some(block)) = world.stores[0].block(h) else { return vec![] };
        let txs: Vec<Vec<u8>> = block.transactions.into_iter().take(20).collect();
        let mut acts: Vec<Act> = (0..world.stores.len()).flat_map(|i| txs.iter().map(move |t| Act::Submit(i, t.clone()))).collect();
        if !txs.is_empty() {
            acts.push(Act::Publish(Topic::Transactions, wire::encode(&TxBatch(txs))));
        }
        acts
    }
    fn answer(&mut self, request: &SyncRequest, world: &World<'_>) -> Option<SyncResponse> {
        Some(world.honest_answer(request))
    }
}
