//! A validator voting for huge rounds (issue 16, weakness 6): it holds the last validator's key
//! (that validator's honest host does not run) and every tick signs nil prevotes and precommits
//! for the height being decided at rounds near `u32::MAX` and at random rounds far ahead. One
//! validator's power is less than f + 1: no honest node may jump to its rounds, overflow, or keep
//! its votes without bound.

use loanchain_network::Topic;
use loanchain_node::wire::{self, Gossip, SyncRequest, SyncResponse};
use loanchain_types::{ConsensusMessage, SignedVote, Vote, VoteKind};

use super::{Act, Mock, World};
use loanchain_sim::rng::Rng;

/// The validator in a hurry.
pub struct HugeRounds {
    /// Which validator it is (its index in the devnet's nodes).
    pub validator: usize,
}

impl Mock for HugeRounds {
    fn name(&self) -> &'static str {
        "huge-rounds"
    }
    fn replaces(&self) -> Option<usize> {
        Some(self.validator)
    }
    fn tick(&mut self, world: &World<'_>, rng: &mut Rng) -> Vec<Act> {
        let genesis = &world.files.genesis;
        let Some((key, me)) = world.validator(self.validator) else { return vec![] };
        let height = world.height() + 1;
        let rounds = [u32::MAX, u32::MAX - 1, rng.range(1_000, u64::from(u32::MAX)) as u32, rng.range(101, 10_000) as u32];
        let mut messages = Vec::new();
        for round in rounds {
            for kind in [VoteKind::Prevote, VoteKind::Precommit] {
                let vote = Vote { height, round, kind, block_hash: None, validator: me };
                messages.push(ConsensusMessage::Vote(SignedVote::sign(&key, &genesis.chain_id, vote)));
            }
        }
        messages.into_iter().map(|m| Act::Publish(Topic::Consensus, wire::encode(&Gossip::Consensus(m)))).collect()
    }
    fn answer(&mut self, request: &SyncRequest, world: &World<'_>) -> Option<SyncResponse> {
        Some(world.honest_answer(request))
    }
}
