//! Floods every topic (issue 16, weaknesses 3, 4 and 7): every tick (50 a second), random bytes on
//! each topic; every fifth tick, a re-send of the height being decided made of a hundred votes
//! under validators' names with signatures of other keys (a thousand forged votes a second to
//! every node); once a second, a message over the gossip bound (the real node's gossipsub drops
//! those by size before the host sees them). At every tick, the forged votes and the oversized
//! message made one run of this mock cost thirty honest runs, most of it the mock's own signing
//! and the simulator hashing a megabyte per node per tick, which kept the long sweep out of
//! reach; the real-process garbage peer (`node/tests/it/byzantine.rs`) floods at full rate.

use loanchain_network::Topic;
use loanchain_node::wire::{self, Gossip, SyncRequest, SyncResponse};
use loanchain_types::limits::MAX_GOSSIP_BYTES;
use loanchain_types::test_utils::keypair;
use loanchain_types::{ConsensusMessage, Hash, Keypair, SignedVote, ValidatorIndex, Vote, VoteKind};

use super::{Act, Mock, World};
use loanchain_sim::rng::Rng;

/// The flooder.
#[derive(Default)]
pub struct GarbageFlood {
    /// The keys it signs with (none is a validator's), made once.
    keys: Vec<Keypair>,
    ticks: u64,
}

impl Mock for GarbageFlood {
    fn name(&self) -> &'static str {
        "garbage-flood"
    }
    fn tick(&mut self, world: &World<'_>, rng: &mut Rng) -> Vec<Act> {
        let mut acts = Vec::new();
        for topic in Topic::ALL {
            let junk: Vec<u8> = (0..rng.range(1, 512)).map(|_| rng.next_u64() as u8).collect();
            acts.push(Act::Publish(topic, junk));
        }
        if self.ticks.is_multiple_of(50) {
            acts.push(Act::Publish(Topic::Consensus, vec![0; MAX_GOSSIP_BYTES + 1]));
        }
        self.ticks += 1;
        if self.ticks % 5 != 1 {
            return acts;
        }
        if self.keys.is_empty() {
            self.keys = (0..50).map(|i| keypair(100 + i)).collect();
        }
        let height = world.height() + 1;
        let validators = world.files.genesis.validators.len() as u32;
        let chain_id = &world.files.genesis.chain_id;
        let messages = (0..100u32)
            .map(|i| {
                let kind = if i % 2 == 0 { VoteKind::Prevote } else { VoteKind::Precommit };
                let vote = Vote {
                    height,
                    round: i % 3,
                    kind,
                    block_hash: Some(Hash::digest(&i.to_le_bytes())),
                    validator: ValidatorIndex(i % validators),
                };
                ConsensusMessage::Vote(SignedVote::sign(&self.keys[(i % 50) as usize], chain_id, vote))
            })
            .collect();
        acts.push(Act::Publish(Topic::Consensus, wire::encode(&Gossip::Replay { stamp: world.now, messages })));
        acts
    }
    fn answer(&mut self, _request: &SyncRequest, _world: &World<'_>) -> Option<SyncResponse> {
        Some(SyncResponse::Refused("no".into()))
    }
}
