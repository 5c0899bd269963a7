//! Forges compact proposals (issue 16, weakness 4): every tick, for the height being decided and
//! its first rounds, a proposal in the round proposer's name signed by another key, and one
//! signed by a key of no validator, each with a made-up header and transaction list.

use loanchain_network::Topic;
use loanchain_node::wire::{self, Gossip, SyncRequest, SyncResponse};
use loanchain_types::test_utils::keypair;
use loanchain_types::{BlockHeader, Hash, Proposal, SignedProposal, ValidatorIndex, last_commit_hash, transactions_root_of_hashes};

use super::{Act, Mock, World};
use loanchain_sim::rng::Rng;

/// The forger.
pub struct ForgedProposals;

impl Mock for ForgedProposals {
    fn name(&self) -> &'static str {
        "forged-proposals"
    }
    fn tick(&mut self, world: &World<'_>, rng: &mut Rng) -> Vec<Act> {
        let genesis = &world.files.genesis;
        let set = genesis.validator_set().expect("the devnet's set");
        let schedule = loanchain_consensus::ProposerSchedule::new(&set).expect("a schedule");
        let height = world.height() + 1;
        let mut acts = Vec::new();
        for round in 0..3 {
            let proposer = schedule.proposer(height, round);
            let tx_hashes: Vec<Hash> = (0..rng.range(0, 5)).map(|_| Hash::digest(&rng.next_u64().to_le_bytes())).collect();
            let header = BlockHeader {
                chain_id: genesis.chain_id.clone(),
                height,
                time_ms: world.now,
                proposer,
                previous_block_hash: Hash::digest(b"somewhere"),
                transactions_root: transactions_root_of_hashes(&tx_hashes),
                last_commit_hash: last_commit_hash(None),
                app_hash: Hash::digest(b"some state"),
                validator_set_hash: set.hash(),
            };
            let proposal = Proposal { height, round, block_hash: header.hash(), valid_round: None, proposer };
            for key in [keypair(1 + (proposer.0 as u8 + 1) % 9), keypair(250)] {
                let signed = SignedProposal::sign(&key, &genesis.chain_id, proposal.clone());
                let gossip = Gossip::Proposal { proposal: signed, header: header.clone(), tx_hashes: tx_hashes.clone(), last_commit: None };
                acts.push(Act::Publish(Topic::Consensus, wire::encode(&gossip)));
            }
        }
        let _ = ValidatorIndex(0);
        acts
    }
    fn answer(&mut self, _request: &SyncRequest, _world: &World<'_>) -> Option<SyncResponse> {
        None
    }
}
