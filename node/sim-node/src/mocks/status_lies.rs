//! Claims heights it cannot prove (issue 16, weakness 4): every fifth tick (ten times a second) it
//! announces a height a thousand above node 0's, without a certificate, with node 0's certificate of a lower height,
//! and with a certificate whose signatures were made by no validator; it never answers a
//! request. Believed, any of these would pick it as the only sync source and stall catching up.

use loanchain_network::Topic;
use loanchain_node::chain::ChainStore;
use loanchain_node::wire::{self, Gossip, SyncRequest, SyncResponse};
use loanchain_types::test_utils::keypair;
use loanchain_types::{CommitCertificate, Hash, Keypair, SignedVote, ValidatorIndex, Vote, VoteKind};

use super::{Act, Mock, World};
use loanchain_sim::rng::Rng;

/// The boaster.
#[derive(Default)]
pub struct StatusLies {
    /// The keys it signs with (none is a validator's), made once.
    keys: Vec<Keypair>,
    ticks: u64,
}

impl Mock for StatusLies {
    fn name(&self) -> &'static str {
        "status-lies"
    }
    fn wants_a_late_joiner(&self) -> bool {
        true
    }
    fn tick(&mut self, world: &World<'_>, _rng: &mut Rng) -> Vec<Act> {
        self.ticks += 1;
        if self.ticks % 5 != 1 {
            return Vec::new();
        }
        let h = world.height();
        let claim = h + 1_000;
        let lower = world.stores[0].certificate(h).ok().flatten();
        let value = Hash::digest(&claim.to_le_bytes());
        let chain_id = &world.files.genesis.chain_id;
        if self.keys.is_empty() {
            self.keys = (0..world.files.genesis.validators.len()).map(|v| keypair(200 + v as u8)).collect();
        }
        let forged: Vec<SignedVote> = (0..world.files.genesis.validators.len() as u32)
            .map(|v| {
                let vote =
                    Vote { height: claim, round: 0, kind: VoteKind::Precommit, block_hash: Some(value), validator: ValidatorIndex(v) };
                SignedVote::sign(&self.keys[v as usize], chain_id, vote)
            })
            .collect();
        let made_up = CommitCertificate::from_precommits(claim, 0, value, forged.iter());
        [None, lower, Some(made_up)]
            .into_iter()
            .map(|certificate| Act::Publish(Topic::Blocks, wire::encode(&Gossip::Status { height: claim, stamp: world.now, certificate })))
            .collect()
    }
    fn answer(&mut self, _request: &SyncRequest, _world: &World<'_>) -> Option<SyncResponse> {
        None
    }
}
