//! A proposer that stamps its blocks in the past (issue 16, weakness 12, at the host): holding
//! the last validator's key (that validator's honest host does not run), whenever it is the
//! proposer of a round of the height being decided it proposes a valid empty block on node 0's
//! chain, stamped 1 ms after the last block (which, let through, would postpone every loan
//! deadline), and prevotes and precommits for it, but only once that stamp is beyond the round's
//! window of proposer-based timestamps (message delay + precision behind the clock: 3 s at devnet
//! values, round 0): a stamp within it is the protocol's to accept (sent at once after a commit,
//! last + 1 ms is simply a fast proposer's honest time). Every honest validator receives these
//! proposals untimely and prevotes nil: none may be committed ([`Mock::must_not_land`]). They
//! exist when a height starts more than the window after the last block (a long commit pause, a
//! stall); otherwise the mock is a validator that never proposes.

use loanchain_network::Topic;
use loanchain_node::chain::ChainStore;
use loanchain_node::wire::{self, Gossip, SyncRequest, SyncResponse};
use loanchain_types::{
    BlockHeader, ConsensusMessage, Hash, Proposal, SignedProposal, SignedVote, Vote, VoteKind, last_commit_hash,
    transactions_root_of_hashes,
};

use super::{Act, Mock, World};
use loanchain_sim::rng::Rng;

/// The proposer living in the past.
pub struct Backdater {
    /// Which validator it is (its index in the devnet's nodes).
    pub validator: usize,
    /// The blocks it proposed, all stamped beyond the window when sent (height, round, hash),
    /// once each (a later receipt only makes them later).
    proposed: Vec<(u64, u32, Hash)>,
}

impl Backdater {
    /// The backdater holding devnet validator `validator`'s key.
    pub fn new(validator: usize) -> Backdater {
        Backdater { validator, proposed: Vec::new() }
    }
}

impl Mock for Backdater {
    fn name(&self) -> &'static str {
        "backdater"
    }
    fn replaces(&self) -> Option<usize> {
        Some(self.validator)
    }
    fn tick(&mut self, world: &World<'_>, _rng: &mut Rng) -> Vec<Act> {
        let genesis = &world.files.genesis;
        let Some((key, me)) = world.validator(self.validator) else { return Vec::new() };
        let set = genesis.validator_set().expect("the devnet's set");
        let schedule = loanchain_consensus::ProposerSchedule::new(&set).expect("a schedule");
        let store = world.stores[0];
        let Some(last) = store.last_committed() else { return Vec::new() };
        let height = last.height + 1;
        let last_time = match last.height {
            0 => genesis.genesis_time,
            h => store.block(h).ok().flatten().map_or(genesis.genesis_time, |b| b.header.time_ms),
        };
        let last_commit = if last.height == 0 { None } else { store.certificate(last.height).ok().flatten() };
        let mut acts = Vec::new();
        for round in (0..4).filter(|&r| schedule.proposer(height, r) == me) {
            let header = BlockHeader {
                chain_id: genesis.chain_id.clone(),
                height,
                time_ms: last_time + 1,
                proposer: me,
                previous_block_hash: last.block_hash,
                transactions_root: transactions_root_of_hashes(&[]),
                last_commit_hash: last_commit_hash(last_commit.as_ref()),
                app_hash: last.app_hash,
                validator_set_hash: set.hash(),
            };
            let block_hash = header.hash();
            let c = &genesis.consensus;
            if loanchain_consensus::is_timely(header.time_ms, world.now, round, c.max_clock_drift_ms, c.message_delay_ms) {
                continue;
            }
            if !self.proposed.iter().any(|p| p.2 == block_hash) {
                self.proposed.push((height, round, block_hash));
            }
            let proposal = Proposal { height, round, block_hash, valid_round: None, proposer: me };
            let signed = SignedProposal::sign(&key, &genesis.chain_id, proposal);
            let gossip = Gossip::Proposal { proposal: signed, header, tx_hashes: Vec::new(), last_commit: last_commit.clone() };
            acts.push(Act::Publish(Topic::Consensus, wire::encode(&gossip)));
            for kind in [VoteKind::Prevote, VoteKind::Precommit] {
                let vote = Vote { height, round, kind, block_hash: Some(block_hash), validator: me };
                let m = ConsensusMessage::Vote(SignedVote::sign(&key, &genesis.chain_id, vote));
                acts.push(Act::Publish(Topic::Consensus, wire::encode(&Gossip::Consensus(m))));
            }
        }
        acts
    }
    fn answer(&mut self, request: &SyncRequest, world: &World<'_>) -> Option<SyncResponse> {
        Some(world.honest_answer(request))
    }
    fn tally(&self, world: &World<'_>) -> Option<(usize, usize)> {
        let store = world.stores[0];
        let landed = self.proposed.iter().filter(|(h, _, hash)| store.block(*h).ok().flatten().is_some_and(|b| b.hash() == *hash)).count();
        Some((self.proposed.len(), landed))
    }
    fn must_not_land(&self) -> bool {
        true
    }
}
