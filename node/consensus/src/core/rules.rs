//! The upon-rules of Algorithm 1 (each names its lines), applied after every input until none
//! fires. They read the round state and the message log of [`Core`] and act through its
//! `vote`, `decide` and timeout helpers in the parent module.

use loanchain_types::{CommitCertificate, ConsensusMessage, Hash, VoteKind};

use crate::action::{Action, RoundValue, Step, WalEntry};

use super::{Core, Once, Validity};

impl Core {
    pub(super) fn apply_rules(&mut self, out: &mut Vec<Action>) {
        loop {
            if self.decided.is_some() {
                return;
            }
            if self.rule_decide(out) || self.rule_round_skip(out) {
                continue;
            }
            let fired = self.rule_prevote_on_proposal(out)
                || self.rule_prevote_timeout(out)
                || self.rule_prevote_quorum_for_value(out)
                || self.rule_prevote_quorum_for_nil(out)
                || self.rule_precommit_timeout(out);
            if !fired {
                return;
            }
        }
    }

    /// Tendermint L49-L54: 2f+1 ⟨PRECOMMIT, h, r, id(v)⟩ for any round r decides v.
    ///
    /// The paper also asks for the proposal and valid(v). We decide on the precommit quorum alone,
    /// as CometBFT does: 2f+1 precommits hold f+1 correct ones, each of which validated v; a node
    /// that missed the proposal fetches the block by hash, proved by the certificate.
    fn rule_decide(&mut self, out: &mut Vec<Action>) -> bool {
        let quorum = self.quorum();
        let found = self
            .log
            .rounds
            .iter()
            .find_map(|(round, r)| r.precommits.tallies().find_map(|(v, p)| v.filter(|_| p >= quorum)).map(|v| (*round, v)));
        let Some((round, value)) = found else { return false };
        let r = self.log.round(round).expect("round with a quorum is in the log");
        let cert = CommitCertificate::from_precommits(self.height, round, value, r.precommits.votes_for(Some(value)));
        self.decide(value, cert, out);
        true
    }

    /// Tendermint L55-L56: f+1 messages of a round above ours: StartRound(that round). Beyond the
    /// round window, where one message per validator is kept, the highest round R such that f+1
    /// power sent messages of rounds ≥ R (a correct validator reached R): always above the
    /// window's rounds, so it comes first.
    fn rule_round_skip(&mut self, out: &mut Vec<Action>) -> bool {
        let threshold = self.validators.f_plus_one_power();
        let ahead = self.log.round_reached_ahead(self.round, threshold);
        match ahead.or_else(|| self.log.rounds_above_with_senders(self.round, threshold)) {
            Some(round) => {
                self.start_round(round, out);
                true
            }
            None => false,
        }
    }

    /// Tendermint L22-L27 and L28-L33: prevote on the round's proposal.
    fn rule_prevote_on_proposal(&mut self, out: &mut Vec<Action>) -> bool {
        if self.step != Step::Propose {
            return false;
        }
        let quorum = self.quorum();
        let Some(r) = self.log.round(self.round) else { return false };
        let mut choice: Option<Option<Hash>> = None;
        for p in &r.proposals {
            let v = p.proposal.block_hash;
            let validity = self.validity.get(&v).copied().unwrap_or(Validity::Pending);
            if validity == Validity::Pending {
                continue;
            }
            let valid = validity == Validity::Valid;
            match p.proposal.valid_round {
                // Tendermint L22: ⟨PROPOSAL, h, r, v, -1⟩ while step = propose.
                None => {
                    // L23-L26 with proposer-based timestamps (CometBFT 1.0, DESIGN §8): prevote v if
                    // valid(v) ∧ timely(v) ∧ (lockedRound = -1 ∨ lockedValue = v), else nil.
                    let ok = valid && r.timely(v) && self.locked.is_none_or(|l| l.value == v);
                    choice = Some(if ok { Some(v) } else { None });
                    break;
                }
                // Tendermint L28: ⟨PROPOSAL, h, r, v, vr⟩ ∧ 2f+1 ⟨PREVOTE, h, vr, id(v)⟩, 0 ≤ vr < r.
                // Not timeliness (as in CometBFT): a quorum prevoted v in vr, so v was timely for
                // the f+1 correct validators in it when it was first proposed.
                Some(vr) if vr < self.round => {
                    let pol = self.log.round(vr).map_or(0, |x| x.prevotes.power_for(Some(v)));
                    if pol >= quorum {
                        // L29-L32: prevote v if valid(v) ∧ (lockedRound ≤ vr ∨ lockedValue = v), else nil.
                        let ok = valid && self.locked.is_none_or(|l| l.round <= vr || l.value == v);
                        choice = Some(if ok { Some(v) } else { None });
                        break;
                    }
                }
                Some(_) => {}
            }
        }
        let Some(value) = choice else { return false };
        self.vote(VoteKind::Prevote, value, out);
        // L27 / L33: step ← prevote.
        self.step = Step::Prevote;
        true
    }

    /// Tendermint L34-L35: 2f+1 prevotes of any values, for the first time: schedule OnTimeoutPrevote.
    fn rule_prevote_timeout(&mut self, out: &mut Vec<Action>) -> bool {
        if self.step != Step::Prevote || self.once.contains(&(self.round, Once::PrevoteTimeout)) {
            return false;
        }
        let total = self.log.round(self.round).map_or(0, |r| r.prevotes.total());
        if total < self.quorum() {
            return false;
        }
        self.once.insert((self.round, Once::PrevoteTimeout));
        self.schedule_timeout(Step::Prevote, out);
        true
    }

    /// Tendermint L36-L43: proposal v ∧ 2f+1 prevotes for v ∧ valid(v), step ≥ prevote, first time.
    fn rule_prevote_quorum_for_value(&mut self, out: &mut Vec<Action>) -> bool {
        if self.step < Step::Prevote || self.once.contains(&(self.round, Once::PrevoteQuorumForValue)) {
            return false;
        }
        let quorum = self.quorum();
        let Some(r) = self.log.round(self.round) else { return false };
        let found = r.prevotes.tallies().find_map(|(v, p)| match v {
            Some(v) if p >= quorum && r.proposal_for(v).is_some() && self.validity.get(&v) == Some(&Validity::Valid) => Some(v),
            _ => None,
        });
        let Some(value) = found else { return false };
        let justification: Vec<ConsensusMessage> = if self.me.is_some() {
            r.prevotes.votes_for(Some(value)).filter(|v| Some(v.vote.validator) != self.me).cloned().map(ConsensusMessage::Vote).collect()
        } else {
            Vec::new()
        };
        self.once.insert((self.round, Once::PrevoteQuorumForValue));
        if self.me.is_some() {
            out.push(Action::Persist(WalEntry::Justification(justification)));
        }
        let here = RoundValue { round: self.round, value };
        // L42: validValue ← v, validRound ← round (also when step = precommit).
        self.valid = Some(here);
        if self.step == Step::Prevote {
            // L38-L39: lockedValue ← v, lockedRound ← round; persisted before the precommit.
            self.locked = Some(here);
            self.persist_state(out);
            // L40-L41: broadcast PRECOMMIT(id(v)); step ← precommit.
            self.vote(VoteKind::Precommit, Some(value), out);
            self.step = Step::Precommit;
        } else {
            self.persist_state(out);
        }
        true
    }

    /// Tendermint L44-L46: 2f+1 prevotes for nil while step = prevote: precommit nil.
    fn rule_prevote_quorum_for_nil(&mut self, out: &mut Vec<Action>) -> bool {
        if self.step != Step::Prevote {
            return false;
        }
        let nil = self.log.round(self.round).map_or(0, |r| r.prevotes.power_for(None));
        if nil < self.quorum() {
            return false;
        }
        self.vote(VoteKind::Precommit, None, out);
        self.step = Step::Precommit;
        true
    }

    /// Tendermint L47-L48: 2f+1 precommits of any values, for the first time: schedule OnTimeoutPrecommit.
    fn rule_precommit_timeout(&mut self, out: &mut Vec<Action>) -> bool {
        if self.once.contains(&(self.round, Once::PrecommitTimeout)) {
            return false;
        }
        let total = self.log.round(self.round).map_or(0, |r| r.precommits.total());
        if total < self.quorum() {
            return false;
        }
        self.once.insert((self.round, Once::PrecommitTimeout));
        self.schedule_timeout(Step::Precommit, out);
        true
    }
}
