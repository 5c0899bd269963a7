//! The Tendermint state machine (Buchman, Kwon, Milosevic 2018, Algorithm 1), one height at a time.
//!
//! Comments `// Tendermint Lnn` name the line of Algorithm 1 a branch implements. Values are block
//! hashes; `valid(v)` is asked of the host ([`Effect::ValidateBlock`](crate::Effect::ValidateBlock)) and answered asynchronously
//! ([`Input::BlockValidated`]); until the answer arrives, the rules that need `valid(v)` wait.
//! Whether a proposal was timely (proposer-based timestamps, [`crate::is_timely`]) comes with the
//! proposal ([`Input::Proposal`]) and is kept with it in the log: it is a fact about the proposal as
//! received, not about the block, so it is not part of `valid(v)`, which the core keeps per block.

use std::collections::{BTreeMap, BTreeSet};

use loanchain_types::{
    CommitCertificate, ConsensusMessage, Evidence, Hash, Height, Keypair, Proposal, Round, SignedProposal, SignedVote, ValidatorIndex,
    ValidatorSet, Vote, VoteKind,
};

use crate::action::{Action, Effect, RoundValue, SafetyRecord, Step, WalEntry};
use crate::config::Config;
use crate::error::Error;
use crate::input::Input;
use crate::log::{Added, HeightLog, beyond_window};
use crate::proposer::ProposerSchedule;

mod rules;

/// What the host said about a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Validity {
    Pending,
    Valid,
    Invalid,
}

/// The "for the first time" guards of Algorithm 1, per round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Once {
    /// L34: prevote timeout scheduled.
    PrevoteTimeout,
    /// L36: quorum of prevotes for the proposal acted on.
    PrevoteQuorumForValue,
    /// L47: precommit timeout scheduled.
    PrecommitTimeout,
}

/// A summary of the round state, for tests, logs and metrics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoundState {
    /// Height.
    pub height: Height,
    /// Round.
    pub round: Round,
    /// Step.
    pub step: Step,
    /// lockedRound / lockedValue.
    pub locked: Option<RoundValue>,
    /// validRound / validValue.
    pub valid: Option<RoundValue>,
    /// The block decided at this height, if any (waiting for `Input::StartHeight`).
    pub decided: Option<Hash>,
}

/// The consensus core of one validator (or of an observer, which has no key and never signs).
#[derive(Debug)]
pub struct Core {
    config: Config,
    validators: ValidatorSet,
    schedule: ProposerSchedule,
    keypair: Option<Keypair>,
    me: Option<ValidatorIndex>,
    now: u64,
    started: bool,
    recovered: bool,

    height: Height,
    round: Round,
    step: Step,
    locked: Option<RoundValue>,
    valid: Option<RoundValue>,
    decided: Option<Hash>,

    log: HeightLog,
    validity: BTreeMap<Hash, Validity>,
    /// What this validator signed at this height, by (round, step): the double-sign guard.
    signed: BTreeMap<(Round, Step), ConsensusMessage>,
    awaiting_payload: Option<Round>,
    timers: BTreeSet<(u64, Round, Step)>,
    once: BTreeSet<(Round, Once)>,
    /// Messages of the next height, each with its proposal's timeliness at receipt.
    future: Vec<(ConsensusMessage, bool)>,
    /// How many of `future` each validator signed (each may fill only its share).
    future_per_signer: BTreeMap<ValidatorIndex, usize>,
    /// Equivocations reported at this height, by (validator, round, kind), so each is reported
    /// once: an equivocator's further conflicting messages add nothing.
    evidence_reported: BTreeSet<(ValidatorIndex, Round, u8)>,
}

impl Core {
    /// A core about to begin `height` (call `handle(Input::Start)` next). `keypair` is the
    /// validator's consensus key; `None` makes an observer that follows but never signs.
    pub fn new(config: Config, validators: ValidatorSet, keypair: Option<Keypair>, height: Height) -> Result<Core, Error> {
        let schedule = ProposerSchedule::new(&validators)?;
        let me = match &keypair {
            Some(k) => Some(validators.index_of(&k.public()).ok_or(Error::NotAValidator { key: k.public().short() })?),
            None => None,
        };
        Ok(Core {
            config,
            validators,
            schedule,
            keypair,
            me,
            now: 0,
            started: false,
            recovered: false,
            height,
            round: 0,
            step: Step::Propose,
            locked: None,
            valid: None,
            decided: None,
            log: HeightLog::default(),
            validity: BTreeMap::new(),
            signed: BTreeMap::new(),
            awaiting_payload: None,
            timers: BTreeSet::new(),
            once: BTreeSet::new(),
            future: Vec::new(),
            future_per_signer: BTreeMap::new(),
            evidence_reported: BTreeSet::new(),
        })
    }

    /// Rebuilds a validator from what it persisted: `next_height` is the height after the last
    /// block in the host's block store, `wal` the consensus WAL in append order (entries of lower
    /// heights are ignored). The recovered core knows its round, step, lock and valid value, and
    /// every message it signed at this height, so it never signs a different one for the same
    /// (height, round, step); `Input::Start` resumes it.
    pub fn recover(
        config: Config,
        validators: ValidatorSet,
        keypair: Option<Keypair>,
        next_height: Height,
        wal: &[WalEntry],
    ) -> Result<Core, Error> {
        let mut core = Core::new(config, validators, keypair, next_height)?;
        core.recovered = true;
        if let Some(max) = wal.iter().map(WalEntry::height).max()
            && max > next_height
        {
            return Err(Error::WalAhead { wal_height: max, next_height });
        }
        for entry in wal.iter().filter(|e| e.height() == next_height) {
            match entry {
                WalEntry::State(s) => {
                    core.round = s.round;
                    core.step = s.step;
                    core.locked = s.locked;
                    core.valid = s.valid;
                }
                WalEntry::Justification(ms) => {
                    for m in ms.iter().filter(|m| m.height() == next_height) {
                        let power = core.validators.power(m.signer());
                        if let ConsensusMessage::Vote(v) = m
                            && Some(v.vote.validator) != core.me
                            && power > 0
                        {
                            core.log.add_vote(v.clone(), power);
                        }
                    }
                }
                WalEntry::Signed(m) => {
                    if Some(m.signer()) != core.me {
                        let signer = core.validators.get(m.signer()).ok().map(|v| v.public_key);
                        return Err(Error::ForeignWal { signer });
                    }
                    let step = match m {
                        ConsensusMessage::Proposal(_) => Step::Propose,
                        ConsensusMessage::Vote(v) => step_of(v.vote.kind),
                    };
                    core.signed.insert((m.round(), step), m.clone());
                    let power = core.validators.power(m.signer());
                    match m.clone() {
                        ConsensusMessage::Proposal(p) => {
                            // Our own proposal: its block was stamped by our host's clock.
                            core.validity.insert(p.proposal.block_hash, Validity::Valid);
                            core.log.add_proposal(p, power, true);
                        }
                        ConsensusMessage::Vote(v) => {
                            core.log.add_vote(v, power);
                        }
                    }
                }
            }
        }
        // A vote signed in the current round means the step moved past it, even if the crash
        // came before the next State record.
        let latest = core.signed.range((core.round, Step::Prevote)..=(core.round, Step::Precommit)).map(|((_, step), _)| *step).max();
        if let Some(step) = latest {
            core.step = core.step.max(step);
        }
        Ok(core)
    }

    /// The validator set of the current height.
    pub fn validators(&self) -> &ValidatorSet {
        &self.validators
    }

    /// This validator's index, `None` for an observer.
    pub fn me(&self) -> Option<ValidatorIndex> {
        self.me
    }

    /// The proposer of (`height`, `round`).
    pub fn proposer(&self, height: Height, round: Round) -> ValidatorIndex {
        self.schedule.proposer(height, round)
    }

    /// The current height.
    pub fn height(&self) -> Height {
        self.height
    }

    /// The current round.
    pub fn round(&self) -> Round {
        self.round
    }

    /// The host time last seen.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// The round state.
    pub fn state(&self) -> RoundState {
        RoundState {
            height: self.height,
            round: self.round,
            step: self.step,
            locked: self.locked,
            valid: self.valid,
            decided: self.decided,
        }
    }

    /// Every proposal and vote held for the current height, for a host that helps a lagging peer
    /// (catch-up gossip): what a peer needs to reach the same conclusions, also the messages kept
    /// beyond the round window (they can make the peer skip rounds).
    pub fn messages(&self) -> Vec<ConsensusMessage> {
        let mut out = Vec::new();
        for r in self.log.rounds.values() {
            out.extend(r.proposals.iter().cloned().map(ConsensusMessage::Proposal));
            out.extend(r.prevotes.all().cloned().map(ConsensusMessage::Vote));
            out.extend(r.precommits.all().cloned().map(ConsensusMessage::Vote));
        }
        out.extend(self.log.ahead().cloned());
        out
    }

    /// How many messages the core holds: proposals and votes of the current height, and those
    /// buffered for the next one. For tests and metrics: it shows the memory a peer can make the
    /// core spend, which the log's limits bound.
    pub fn stored_messages(&self) -> usize {
        self.log.len() + self.future.len()
    }

    /// The quorum threshold. The `broken-quorum` test feature lowers it to 2f on purpose.
    fn quorum(&self) -> u64 {
        #[cfg(not(feature = "broken-quorum"))]
        {
            self.validators.quorum_power()
        }
        #[cfg(feature = "broken-quorum")]
        {
            // Deliberately unsafe (2f for n = 3f+1): only for the simulator's self-test.
            (self.validators.total_power() * 2 / 3).max(1)
        }
    }

    /// Handles one input: what to persist, and what to do once it is durable. The
    /// [`crate::Ready`] hands out the effects only after the WAL entries were written.
    pub fn step(&mut self, input: Input) -> crate::Ready {
        crate::Ready::from_actions(self.handle(input))
    }

    /// Handles one input and returns what the host must do, in the order the core emitted it:
    /// for tests that check that order. Hosts call [`Core::step`].
    pub fn handle(&mut self, input: Input) -> Vec<Action> {
        let mut out = Vec::new();
        match input {
            Input::Start => {
                if !self.started {
                    self.started = true;
                    if self.recovered {
                        self.resume(&mut out);
                    } else {
                        self.start_round(0, &mut out);
                    }
                }
            }
            Input::Tick { now } => {
                self.now = self.now.max(now);
                while let Some(&(at, round, step)) = self.timers.first() {
                    if at > self.now {
                        break;
                    }
                    self.timers.pop_first();
                    self.on_timeout(round, step, &mut out);
                }
            }
            Input::Proposal { proposal, timely } => self.on_message(ConsensusMessage::Proposal(proposal), timely, &mut out),
            Input::Vote(v) => self.on_message(ConsensusMessage::Vote(v), false, &mut out),
            Input::ProposalPayload { height, round, block_hash } => {
                if height == self.height
                    && round == self.round
                    && self.step == Step::Propose
                    && self.decided.is_none()
                    && self.awaiting_payload == Some(round)
                {
                    // Tendermint L18-L19: proposal ← getValue(); broadcast PROPOSAL(h, r, v, -1).
                    self.awaiting_payload = None;
                    self.validity.insert(block_hash, Validity::Valid);
                    self.propose(block_hash, None, &mut out);
                }
            }
            Input::BlockValidated { height, block_hash, valid, .. } => {
                if height == self.height
                    && let Some(v) = self.validity.get_mut(&block_hash)
                    && *v == Validity::Pending
                {
                    *v = if valid { Validity::Valid } else { Validity::Invalid };
                }
            }
            Input::Certificate(cert) => self.on_certificate(cert, &mut out),
            Input::StartHeight { height } => {
                if self.decided.is_some() && height == self.height + 1 {
                    self.start_height(height, &mut out);
                }
            }
        }
        if self.started {
            self.apply_rules(&mut out);
        }
        out
    }

    // ----------------------------------------------------------------------------------------
    // Heights and rounds

    fn start_height(&mut self, height: Height, out: &mut Vec<Action>) {
        self.height = height;
        // Tendermint L53: reset locked/valid and empty the message log.
        self.locked = None;
        self.valid = None;
        self.decided = None;
        self.log = HeightLog::default();
        self.validity.clear();
        self.signed.clear();
        self.awaiting_payload = None;
        self.timers.clear();
        self.once.clear();
        self.evidence_reported.clear();
        self.started = true;
        // Tendermint L54: StartRound(0).
        self.start_round(0, out);
        let future = std::mem::take(&mut self.future);
        self.future_per_signer.clear();
        for (m, timely) in future {
            if m.height() == self.height {
                self.on_message(m, timely, out);
            }
        }
    }

    /// Tendermint L11: StartRound(round).
    fn start_round(&mut self, round: Round, out: &mut Vec<Action>) {
        // L12-L13
        self.round = round;
        self.step = Step::Propose;
        self.awaiting_payload = None;
        self.persist_state(out);
        let proposer = self.schedule.proposer(self.height, round);
        if Some(proposer) == self.me {
            if let Some(ConsensusMessage::Proposal(p)) = self.signed.get(&(round, Step::Propose)).cloned() {
                // Already proposed in this round before a restart: the same proposal again.
                self.resend(ConsensusMessage::Proposal(p), out);
            } else if let Some(valid) = self.valid {
                // L14-L15: proposal ← validValue, with validRound.
                self.propose(valid.value, Some(valid.round), out);
            } else {
                // L16-L17: proposal ← getValue(), answered by Input::ProposalPayload.
                self.awaiting_payload = Some(round);
                out.push(Effect::RequestProposal { height: self.height, round }.into());
            }
        }
        // L20 (for every validator: a proposer whose host is slow to build a block must not stall
        // the round either).
        self.schedule_timeout(Step::Propose, out);
        // Messages kept beyond the window of the old round that are inside the new one's.
        for (m, power, timely) in self.log.take_ahead_within(round) {
            self.accept(m, power, timely, out);
        }
    }

    /// Resumes a recovered core in its persisted round and step.
    fn resume(&mut self, out: &mut Vec<Action>) {
        match self.step {
            Step::Propose => {
                let round = self.round;
                // Re-enter the round; a proposal signed before the crash is re-sent as is.
                self.start_round(round, out);
            }
            step => {
                let mine: Vec<ConsensusMessage> =
                    self.signed.range((self.round, Step::Propose)..=(self.round, Step::Precommit)).map(|(_, m)| m.clone()).collect();
                for m in mine {
                    self.resend(m, out);
                }
                self.schedule_timeout(step, out);
            }
        }
    }

    fn schedule_timeout(&mut self, step: Step, out: &mut Vec<Action>) {
        let at = self.now.saturating_add(self.config.timeouts.duration(step, self.round));
        self.timers.insert((at, self.round, step));
        out.push(Effect::ScheduleTimeout { height: self.height, round: self.round, step, at }.into());
    }

    fn on_timeout(&mut self, round: Round, step: Step, out: &mut Vec<Action>) {
        if round != self.round || self.decided.is_some() || !self.started {
            return;
        }
        match step {
            // Tendermint L57-L60: OnTimeoutPropose.
            Step::Propose if self.step == Step::Propose => {
                self.vote(VoteKind::Prevote, None, out);
                self.step = Step::Prevote;
            }
            // Tendermint L61-L64: OnTimeoutPrevote.
            Step::Prevote if self.step == Step::Prevote => {
                self.vote(VoteKind::Precommit, None, out);
                self.step = Step::Precommit;
            }
            // Tendermint L65-L67: OnTimeoutPrecommit. There is no round after the last one: the
            // height can still decide on a quorum of precommits of any round (L49).
            Step::Precommit => {
                if let Some(next) = round.checked_add(1) {
                    self.start_round(next, out);
                }
            }
            _ => {}
        }
    }

    // ----------------------------------------------------------------------------------------
    // Messages

    /// A proposal or vote from the network; `timely` is the proposal's timeliness at receipt
    /// (unused for votes).
    fn on_message(&mut self, m: ConsensusMessage, timely: bool, out: &mut Vec<Action>) {
        if m.height() != self.height {
            if m.height() == self.height + 1 {
                self.buffer_next_height(m, timely);
            }
            return;
        }
        let signer = m.signer();
        let Ok(v) = self.validators.get(signer) else { return };
        let power = v.voting_power;
        if Some(signer) == self.me && !self.signed.values().any(|s| *s == m) {
            // A message "from us" that we did not sign in this life or the last: a replay of an
            // older life's message or a forgery. Our own messages enter the log when we sign them.
            return;
        }
        if self.config.verify_signatures && m.verify(&self.validators, &self.config.chain_id).is_err() {
            return;
        }
        if let ConsensusMessage::Proposal(p) = &m
            && p.proposal.proposer != self.schedule.proposer(p.proposal.height, p.proposal.round)
        {
            return;
        }
        if beyond_window(self.round, m.round()) {
            // Too far ahead to log (MAX_ROUNDS_AHEAD); kept, if its signer's highest, for L55.
            self.log.keep_ahead(m, power, timely);
            return;
        }
        self.accept(m, power, timely, out);
    }

    /// Keeps a message of the next height until it starts: signed by a validator of the set (the
    /// set is the same at every height), and within that validator's share of
    /// `max_future_messages` (at least 16), so no validator can push out the others' messages.
    fn buffer_next_height(&mut self, m: ConsensusMessage, timely: bool) {
        let signer = m.signer();
        if self.validators.get(signer).is_err() || self.future.len() >= self.config.max_future_messages {
            return;
        }
        let share = (self.config.max_future_messages / self.validators.len()).max(16);
        if self.future_per_signer.get(&signer).copied().unwrap_or(0) >= share {
            return;
        }
        if self.config.verify_signatures && m.verify(&self.validators, &self.config.chain_id).is_err() {
            return;
        }
        *self.future_per_signer.entry(signer).or_default() += 1;
        self.future.push((m, timely));
    }

    /// Adds a checked message of this height, inside the round window, to the log.
    fn accept(&mut self, m: ConsensusMessage, power: u64, timely: bool, out: &mut Vec<Action>) {
        let added = match m {
            ConsensusMessage::Proposal(p) => {
                let (round, hash) = (p.proposal.round, p.proposal.block_hash);
                let added = self.log.add_proposal(p, power, timely);
                if self.log.round(round).is_some_and(|r| r.proposal_for(hash).is_some()) {
                    self.request_validation(round, hash, out);
                }
                added
            }
            ConsensusMessage::Vote(v) => self.log.add_vote(v, power),
        };
        if let Added::Conflict(evidence) = added {
            self.report(*evidence, out);
        }
    }

    fn request_validation(&mut self, round: Round, block_hash: Hash, out: &mut Vec<Action>) {
        if let std::collections::btree_map::Entry::Vacant(e) = self.validity.entry(block_hash) {
            e.insert(Validity::Pending);
            out.push(Effect::ValidateBlock { height: self.height, round, block_hash }.into());
        }
    }

    fn report(&mut self, evidence: Evidence, out: &mut Vec<Action>) {
        let kind = match &evidence {
            Evidence::ConflictingProposals { .. } => 0,
            Evidence::ConflictingVotes { first, .. } => 1 + first.vote.kind as u8,
        };
        // Only messages of the current height reach the log, so its evidence is of this height.
        debug_assert_eq!(evidence.height(), self.height);
        if self.evidence_reported.insert((evidence.validator(), evidence.round(), kind)) {
            out.push(Effect::ReportEvidence(evidence).into());
        }
    }

    fn on_certificate(&mut self, cert: CommitCertificate, out: &mut Vec<Action>) {
        if cert.height != self.height || self.decided.is_some() {
            return;
        }
        let Ok(power) = cert.signed_power(&self.validators) else { return };
        if power < self.quorum() {
            return;
        }
        if self.config.verify_certificates && cert.verify_signatures(&self.validators, &self.config.chain_id).is_err() {
            return;
        }
        self.decide(cert.block_hash, cert, out);
    }

    // ----------------------------------------------------------------------------------------
    // Signing (persist before send)

    fn persist_state(&mut self, out: &mut Vec<Action>) {
        if self.me.is_some() {
            out.push(Action::Persist(WalEntry::State(SafetyRecord {
                height: self.height,
                round: self.round,
                step: self.step,
                locked: self.locked,
                valid: self.valid,
            })));
        }
    }

    /// Re-sends a message signed earlier; it is persisted again (idempotent) so that every `Send`
    /// of a batch follows its `Persist`.
    fn resend(&mut self, m: ConsensusMessage, out: &mut Vec<Action>) {
        out.push(Action::Persist(WalEntry::Signed(m.clone())));
        out.push(Effect::Send(m).into());
    }

    /// Signs `m` unless a different message was signed for the same (round, step) at this height;
    /// persists it, sends it, and delivers it to ourselves.
    fn sign_and_send(&mut self, step: Step, m: ConsensusMessage, out: &mut Vec<Action>) {
        let key = (m.round(), step);
        if let Some(existing) = self.signed.get(&key) {
            if *existing == m {
                let m = existing.clone();
                self.resend(m, out);
            }
            // A different message for a (height, round, step) already signed: never.
            return;
        }
        self.signed.insert(key, m.clone());
        out.push(Action::Persist(WalEntry::Signed(m.clone())));
        out.push(Effect::Send(m.clone()).into());
        let power = self.validators.power(m.signer());
        match m {
            ConsensusMessage::Proposal(p) => {
                // Our own proposal is timely by construction: our host stamped the block.
                self.log.add_proposal(p, power, true);
            }
            ConsensusMessage::Vote(v) => {
                self.log.add_vote(v, power);
            }
        }
    }

    fn propose(&mut self, value: Hash, valid_round: Option<Round>, out: &mut Vec<Action>) {
        let (Some(me), Some(key)) = (self.me, self.keypair.as_ref()) else { return };
        let proposal = Proposal { height: self.height, round: self.round, block_hash: value, valid_round, proposer: me };
        let signed = SignedProposal::sign(key, &self.config.chain_id, proposal);
        self.sign_and_send(Step::Propose, ConsensusMessage::Proposal(signed), out);
    }

    fn vote(&mut self, kind: VoteKind, value: Option<Hash>, out: &mut Vec<Action>) {
        let (Some(me), Some(key)) = (self.me, self.keypair.as_ref()) else { return };
        let vote = Vote { height: self.height, round: self.round, kind, block_hash: value, validator: me };
        let signed = SignedVote::sign(key, &self.config.chain_id, vote);
        self.sign_and_send(step_of(kind), ConsensusMessage::Vote(signed), out);
    }

    fn decide(&mut self, value: Hash, certificate: CommitCertificate, out: &mut Vec<Action>) {
        self.decided = Some(value);
        self.timers.clear();
        self.awaiting_payload = None;
        out.push(Effect::Commit { height: self.height, block_hash: value, certificate }.into());
    }
}

fn step_of(kind: VoteKind) -> Step {
    match kind {
        VoteKind::Prevote => Step::Prevote,
        VoteKind::Precommit => Step::Precommit,
    }
}
