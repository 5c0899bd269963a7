//! Proposer-based timestamps in the simulator (DESIGN §8, "Block time"): the sim's precision and
//! message delay, honest validators' verdict on each proposal they receive, and the `Backdater` mock, a proposer that stamps its blocks older than any
//! correct validator accepts. Every clock here is the virtual clock, so the precision only has to
//! be non-zero; the delay covers the links after the heal (at most 40 ms latency, 10 ms jitter and
//! 20 ms more for a duplicate), not the reordering before it (up to 500 ms more), which the
//! per-round growth absorbs in later rounds.

use loanchain_consensus::{Input, is_timely, message_delay_in_round};
use loanchain_types::{ConsensusMessage, Height, Proposal, Round, SignedProposal, SignedVote, ValidatorIndex, Vote, VoteKind};

use super::{CHAIN_ID, Node, Packet, Sim};

/// The clock precision of simulated validators (ms).
pub const PRECISION_MS: u64 = 10;
/// The message-delay bound of round 0 in simulation (ms).
pub const MESSAGE_DELAY_MS: u64 = 100;

/// How far in the past a block proposed in `round` may be stamped and still be timely for a
/// validator that receives it at once: the precision plus the round's message delay.
pub fn backdating_bound(round: Round) -> u64 {
    PRECISION_MS + message_delay_in_round(MESSAGE_DELAY_MS, round)
}

impl Sim {
    /// What an honest validator feeds its core for a message received now: a proposal with the
    /// verdict of [`is_timely`] on its block's time against the virtual clock (the application
    /// knows every block built; a proposal of a block it does not know is not timely).
    pub(super) fn received(&self, m: ConsensusMessage) -> Input {
        match m {
            ConsensusMessage::Proposal(p) => {
                let time = self.app.get(&p.proposal.block_hash).map(|b| b.time_ms);
                let round = p.proposal.round;
                let timely = time.is_some_and(|t| is_timely(t, self.now, round, PRECISION_MS, MESSAGE_DELAY_MS));
                Input::Proposal { proposal: p, timely }
            }
            ConsensusMessage::Vote(v) => Input::Vote(v),
        }
    }

    /// The Backdater: when it is a round's proposer (learnt from any message of that height, as
    /// the equivocator does), it proposes a block the application accepts, on the decided parent,
    /// stamped more than [`backdating_bound`] before now, and prevotes and precommits it. It
    /// sends nothing else. No correct validator prevotes such a block (it is not timely at any
    /// receipt, which comes after now), so with less than a third of the power its blocks are
    /// never decided; the checker's validity rule says so.
    pub(super) fn backdate(&mut self, node: usize, m: &ConsensusMessage) {
        let (h, r) = (m.height(), m.round());
        self.backdated_proposal(node, h, r);
        self.backdated_proposal(node, h, r.saturating_add(1));
        if let ConsensusMessage::Vote(v) = m
            && v.vote.kind == VoteKind::Precommit
        {
            self.backdated_proposal(node, h + 1, 0);
        }
    }

    fn backdated_proposal(&mut self, node: usize, h: Height, r: Round) {
        if self.schedule.proposer(h, r).as_usize() != node {
            return;
        }
        let parent = match h {
            0 => return,
            1 => loanchain_types::Hash::ZERO,
            _ => match self.checker.decided.get(&(h - 1)) {
                Some(p) => *p,
                None => return,
            },
        };
        let Node::Byzantine(b) = &mut self.nodes[node] else { return };
        if !b.proposed.insert((h, r)) {
            return;
        }
        // Just beyond the bound, or up to a second more.
        let age = backdating_bound(r) + 1 + self.rng.range(0, 1_000);
        let Some(time_ms) = self.now.checked_sub(age) else { return };
        let mut nonce = 1;
        let hash = loop {
            let hash = self.build_block_at(node, h, r, parent, nonce, time_ms);
            if self.app[&hash].digest_ok {
                break hash;
            }
            nonce += 1;
        };
        self.backdated += 1;
        let me = ValidatorIndex(node as u32);
        let proposal = SignedProposal::sign(
            &self.keys[node],
            CHAIN_ID,
            Proposal { height: h, round: r, block_hash: hash, valid_round: None, proposer: me },
        );
        let mut messages = vec![ConsensusMessage::Proposal(proposal)];
        for kind in [VoteKind::Prevote, VoteKind::Precommit] {
            let vote = Vote { height: h, round: r, kind, block_hash: Some(hash), validator: me };
            messages.push(ConsensusMessage::Vote(SignedVote::sign(&self.keys[node], CHAIN_ID, vote)));
        }
        for m in messages {
            self.broadcast(node, |_| Packet::Message(m.clone()));
        }
    }
}
