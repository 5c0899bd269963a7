//! Honest validators: the real consensus core, its `Ready` consumed as the node consumes it
//! (persist, barrier, then the effects), and the blocks a correct proposer builds.

use std::collections::VecDeque;

use loanchain_consensus::Effect;
use loanchain_types::{BlockHeader, ValidatorIndex, transactions_root};

use super::*;

impl Sim {
    pub(super) fn honest_receive(&mut self, to: usize, from: usize, packet: Packet) {
        match packet {
            Packet::Message(m) => {
                let input = self.received(m);
                self.feed(to, input);
            }
            Packet::Batch(ms) => {
                for m in ms {
                    let input = self.received(m);
                    self.feed(to, input);
                }
            }
            Packet::Status { height } => {
                // Catch-up gossip: certificates of heights the peer lacks, or every message of
                // the height we share.
                let Node::Honest(h) = &self.nodes[to] else { return };
                let committed = h.committed();
                let reply = if height <= committed {
                    let certs: Vec<CommitCertificate> =
                        h.blocks.range(height..=committed.min(height + 9)).map(|(_, b)| b.1.clone()).collect();
                    Some(Packet::Certificates(certs))
                } else {
                    match &h.core {
                        Some(core) if core.height() == height => {
                            let ms = core.messages();
                            (!ms.is_empty()).then_some(Packet::Batch(ms))
                        }
                        _ => None,
                    }
                };
                if let Some(packet) = reply {
                    self.send(to, from, packet);
                }
            }
            Packet::Certificates(certs) => {
                for c in certs {
                    self.feed(to, Input::Certificate(c));
                }
            }
        }
    }

    /// Feeds `input` (after the clock) to honest validator `node`, then everything its host must
    /// answer at once (block requests, validations, the next height).
    pub(super) fn feed(&mut self, node: usize, input: Input) {
        let mut inbox = VecDeque::new();
        if let Node::Honest(h) = &self.nodes[node] {
            match &h.core {
                Some(core) if core.now() < self.now => inbox.push_back(Input::Tick { now: self.now }),
                Some(_) => {}
                None => return,
            }
        }
        inbox.push_back(input);
        while let Some(input) = inbox.pop_front() {
            let Node::Honest(h) = &mut self.nodes[node] else { return };
            let Some(mut core) = h.core.take() else { return };
            let (now, crash_in_write) = (self.now, h.crash_in_write);
            let (wal, checker) = (&mut h.wal, &mut self.checker);
            // The disk is the validator's WAL: the append happens even when power is lost
            // inside the write, and nothing after it does.
            let written = core.step(input).persist(|entries| {
                wal.extend_from_slice(entries);
                for e in entries {
                    if let WalEntry::Signed(m) = e {
                        checker.on_signed(now, m);
                    }
                }
                if crash_in_write { Err(Crashed) } else { Ok(()) }
            });
            let Ok(effects) = written else {
                // Power lost inside the write: the core and everything not yet done are gone.
                drop(core);
                h.epoch += 1;
                h.crash_in_write = false;
                self.down[node] = true;
                self.trace(TraceKind::PowerLoss, node, node, &[]);
                return;
            };
            h.core = Some(core);
            for e in effects {
                self.honest_effect(node, e, &mut inbox);
            }
        }
    }

    pub(super) fn honest_effect(&mut self, node: usize, effect: Effect, inbox: &mut VecDeque<Input>) {
        match effect {
            Effect::Send(m) => {
                if let ConsensusMessage::Proposal(p) = &m {
                    self.proposal_sent.entry((p.proposal.height, p.proposal.round)).or_insert(self.now);
                }
                self.broadcast(node, |_| Packet::Message(m.clone()));
            }
            Effect::ScheduleTimeout { at, .. } => {
                let Node::Honest(h) = &self.nodes[node] else { return };
                let epoch = h.epoch;
                self.push(at.max(self.now), Event::Wake { node, epoch });
            }
            Effect::RequestProposal { height, round } => {
                let Node::Honest(h) = &self.nodes[node] else { return };
                let parent = h.parent(height);
                // A correct application proposes only blocks it accepts itself.
                let mut nonce = 0;
                let hash = loop {
                    let hash = self.build_block(node, height, round, parent, nonce);
                    if self.app[&hash].digest_ok {
                        break hash;
                    }
                    nonce += 1;
                };
                inbox.push_back(Input::ProposalPayload { height, round, block_hash: hash });
            }
            Effect::ValidateBlock { height, round, block_hash: hash } => {
                let Node::Honest(h) = &self.nodes[node] else { return };
                let parent = h.parent(height);
                let valid = self.app.get(&hash).is_some_and(|b| b.digest_ok && b.height == height && b.parent == parent);
                inbox.push_back(Input::BlockValidated { height, round, block_hash: hash, valid });
            }
            Effect::Commit { height, block_hash: hash, certificate: cert } => {
                self.trace(TraceKind::Commit, node, node, hash.as_bytes());
                let block = self.app.get(&hash).cloned();
                self.checker.on_commit(self.now, node, height, hash, &cert, block.as_ref());
                if self.scenario.mix == FaultMix::None
                    && let Some(t0) = self.proposal_sent.get(&(height, cert.round))
                {
                    let l = self.now - t0;
                    self.latency.0 += l;
                    self.latency.1 += 1;
                    self.latency.2 = self.latency.2.max(l);
                }
                let Node::Honest(h) = &mut self.nodes[node] else { return };
                h.blocks.insert(height, (hash, cert));
                h.wal.retain(|e| e.height() > height);
                h.last_progress = self.now;
                inbox.push_front(Input::StartHeight { height: height + 1 });
                self.check_done();
            }
            Effect::ReportEvidence(_) => self.evidence += 1,
        }
    }

    /// The application builds a block; `nonce` varies it. Its digest decides whether the
    /// application will accept it (a deterministic stand-in for transaction checks).
    pub(super) fn build_block(&mut self, proposer: usize, height: Height, round: Round, parent: Hash, nonce: u64) -> Hash {
        self.build_block_at(proposer, height, round, parent, nonce, self.now)
    }

    /// [`Sim::build_block`] with the header's time `time_ms` (the proposer's virtual clock for
    /// honest proposers; older for the `Backdater`).
    pub(super) fn build_block_at(&mut self, proposer: usize, height: Height, round: Round, parent: Hash, nonce: u64, time_ms: u64) -> Hash {
        let tx = [self.scenario.seed.to_le_bytes(), (proposer as u64).to_le_bytes(), u64::from(round).to_le_bytes(), nonce.to_le_bytes()]
            .concat();
        let header = BlockHeader {
            chain_id: CHAIN_ID.to_string(),
            height,
            time_ms,
            proposer: ValidatorIndex(proposer as u32),
            previous_block_hash: parent,
            transactions_root: transactions_root(std::slice::from_ref(&tx)),
            last_commit_hash: Hash::ZERO,
            app_hash: parent,
            validator_set_hash: Hash::ZERO,
        };
        let hash = header.hash();
        let digest_ok = u32::from(hash.0[0]) * 1000 >= self.scenario.invalid_per_mille * 256;
        self.app.insert(hash, BlockInfo { height, parent, digest_ok, round, time_ms, built_at: self.now });
        hash
    }
}
