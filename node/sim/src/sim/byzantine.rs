//! Byzantine validators: equivocators (two proposals to two halves, votes both ways), silent
//! ones, stale replayers and backdaters.

use loanchain_types::{Proposal, SignedProposal, SignedVote, ValidatorIndex, Vote, VoteKind};

use super::*;

impl Sim {
    pub(super) fn byzantine_receive(&mut self, node: usize, packet: Packet) {
        let ms = match packet {
            Packet::Message(m) => vec![m],
            Packet::Batch(ms) => ms,
            Packet::Status { .. } | Packet::Certificates(_) => return,
        };
        for m in ms {
            let Node::Byzantine(b) = &mut self.nodes[node] else { return };
            match b.kind {
                ByzantineKind::Silent => return,
                ByzantineKind::Stale => {
                    if b.history.len() < REPLAY_MEMORY {
                        b.history.push(m);
                    } else {
                        let i = self.rng.index(REPLAY_MEMORY);
                        b.history[i] = m;
                    }
                }
                ByzantineKind::Equivocator => self.equivocate(node, m),
                ByzantineKind::Backdater => self.backdate(node, &m),
            }
        }
    }

    /// The equivocator: proposes two blocks when it is the proposer, and votes for the proposal
    /// to some validators and for nil (or its other block) to the others, at both steps.
    pub(super) fn equivocate(&mut self, node: usize, m: ConsensusMessage) {
        let (h, r) = (m.height(), m.round());
        self.equivocating_proposal(node, h, r);
        self.equivocating_proposal(node, h, r + 1);
        if let ConsensusMessage::Vote(v) = &m
            && v.vote.kind == VoteKind::Precommit
        {
            self.equivocating_proposal(node, h + 1, 0);
        }
        if let ConsensusMessage::Proposal(p) = m
            && p.proposal.proposer.as_usize() != node
        {
            self.equivocating_votes(node, h, r, Some(p.proposal.block_hash), None);
        }
    }

    pub(super) fn split(&mut self, node: usize) -> (Vec<usize>, Vec<usize>) {
        let others: Vec<usize> = (0..self.scenario.n).filter(|i| *i != node).collect();
        loop {
            let (mut x, mut y) = (Vec::new(), Vec::new());
            for &i in &others {
                if self.rng.chance(500_000) { x.push(i) } else { y.push(i) }
            }
            if !x.is_empty() && !y.is_empty() {
                return (x, y);
            }
        }
    }

    pub(super) fn equivocating_proposal(&mut self, node: usize, h: Height, r: Round) {
        if self.schedule.proposer(h, r).as_usize() != node {
            return;
        }
        let Node::Byzantine(b) = &mut self.nodes[node] else { return };
        if !b.proposed.insert((h, r)) {
            return;
        }
        let parent = if h <= 1 {
            Hash::ZERO
        } else {
            match self.checker.decided.get(&(h - 1)) {
                Some(p) => *p,
                None => return,
            }
        };
        // Two blocks: both acceptable (a Byzantine proposer can grind digests), or, at times, one
        // the application rejects, to exercise validation.
        let want_invalid = self.rng.chance(300_000);
        let mut blocks = Vec::new();
        let mut nonce = 1;
        while blocks.len() < 2 {
            let hash = self.build_block(node, h, r, parent, nonce);
            nonce += 1;
            let ok = self.app[&hash].digest_ok;
            if (blocks.is_empty() && ok) || (blocks.len() == 1 && ok != want_invalid) {
                blocks.push(hash);
            }
        }
        let (x, y) = self.split(node);
        for (group, hash) in [(&x, blocks[0]), (&y, blocks[1])] {
            let p = SignedProposal::sign(
                &self.keys[node],
                CHAIN_ID,
                Proposal { height: h, round: r, block_hash: hash, valid_round: None, proposer: ValidatorIndex(node as u32) },
            );
            for &to in group {
                self.send(node, to, Packet::Message(ConsensusMessage::Proposal(p.clone())));
            }
        }
        self.equivocating_votes_to(node, h, r, (&x, Some(blocks[0])), (&y, Some(blocks[1])));
    }

    pub(super) fn equivocating_votes(&mut self, node: usize, h: Height, r: Round, a: Option<Hash>, b: Option<Hash>) {
        let (x, y) = self.split(node);
        self.equivocating_votes_to(node, h, r, (&x, a), (&y, b));
    }

    pub(super) fn equivocating_votes_to(
        &mut self,
        node: usize,
        h: Height,
        r: Round,
        (x, a): (&[usize], Option<Hash>),
        (y, b): (&[usize], Option<Hash>),
    ) {
        let Node::Byzantine(byz) = &mut self.nodes[node] else { return };
        if !byz.voted.insert((h, r)) {
            return;
        }
        for kind in [VoteKind::Prevote, VoteKind::Precommit] {
            for (group, value) in [(x, a), (y, b)] {
                let v = SignedVote::sign(
                    &self.keys[node],
                    CHAIN_ID,
                    Vote { height: h, round: r, kind, block_hash: value, validator: ValidatorIndex(node as u32) },
                );
                for &to in group {
                    self.send(node, to, Packet::Message(ConsensusMessage::Vote(v.clone())));
                }
            }
        }
    }
}
