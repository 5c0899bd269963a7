//! Evidence of equivocation: two conflicting signed messages of one validator for one height,
//! round and step (DESIGN §8: "equivocation seen by anyone is stored as evidence").

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::message::{SignedProposal, SignedVote, VoteKind};
use crate::validator::{ValidatorIndex, ValidatorSet};
use crate::{Height, Round};

/// Proof that a validator signed two different things where the protocol allows one.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub enum Evidence {
    /// Two different votes of one kind (prevote or precommit) at one height and round.
    ConflictingVotes {
        /// The vote seen first.
        first: SignedVote,
        /// The conflicting vote.
        second: SignedVote,
    },
    /// Two different proposals at one height and round.
    ConflictingProposals {
        /// The proposal seen first.
        first: SignedProposal,
        /// The conflicting proposal.
        second: SignedProposal,
    },
}

/// What an equivocation is of: the step of the round at which the validator signed twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// Two proposals.
    Proposal,
    /// Two prevotes.
    Prevote,
    /// Two precommits.
    Precommit,
}

impl EvidenceKind {
    /// Every kind, in order.
    pub const ALL: [EvidenceKind; 3] = [EvidenceKind::Proposal, EvidenceKind::Prevote, EvidenceKind::Precommit];

    /// Its name in JSON and logs: `proposal`, `prevote`, `precommit`.
    pub fn name(self) -> &'static str {
        match self {
            EvidenceKind::Proposal => "proposal",
            EvidenceKind::Prevote => "prevote",
            EvidenceKind::Precommit => "precommit",
        }
    }
}

impl std::fmt::Display for EvidenceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Evidence {
    /// The step the equivocation is of.
    pub fn kind(&self) -> EvidenceKind {
        match self {
            Evidence::ConflictingVotes { first, .. } => match first.vote.kind {
                VoteKind::Prevote => EvidenceKind::Prevote,
                VoteKind::Precommit => EvidenceKind::Precommit,
            },
            Evidence::ConflictingProposals { .. } => EvidenceKind::Proposal,
        }
    }

    /// The validator that equivocated.
    pub fn validator(&self) -> ValidatorIndex {
        match self {
            Evidence::ConflictingVotes { first, .. } => first.vote.validator,
            Evidence::ConflictingProposals { first, .. } => first.proposal.proposer,
        }
    }

    /// The height of the equivocation.
    pub fn height(&self) -> Height {
        match self {
            Evidence::ConflictingVotes { first, .. } => first.vote.height,
            Evidence::ConflictingProposals { first, .. } => first.proposal.height,
        }
    }

    /// The round of the equivocation.
    pub fn round(&self) -> Round {
        match self {
            Evidence::ConflictingVotes { first, .. } => first.vote.round,
            Evidence::ConflictingProposals { first, .. } => first.proposal.round,
        }
    }

    /// Checks that the two messages really conflict (same signer, height, round and step,
    /// different content) and that both signatures verify.
    pub fn verify(&self, validators: &ValidatorSet, chain_id: &str) -> Result<(), Error> {
        let reject = |reason| Err(Error::NotEquivocation { height: self.height(), round: self.round(), reason });
        match self {
            Evidence::ConflictingVotes { first: a, second: b } => {
                let (x, y) = (&a.vote, &b.vote);
                if x.validator != y.validator {
                    return reject("different signers");
                }
                if (x.height, x.round, x.kind) != (y.height, y.round, y.kind) {
                    return reject("different height, round or step");
                }
                if x.block_hash == y.block_hash {
                    return reject("the votes agree");
                }
                a.verify(validators, chain_id)?;
                b.verify(validators, chain_id)
            }
            Evidence::ConflictingProposals { first: a, second: b } => {
                let (x, y) = (&a.proposal, &b.proposal);
                if x.proposer != y.proposer {
                    return reject("different signers");
                }
                if (x.height, x.round) != (y.height, y.round) {
                    return reject("different height or round");
                }
                if x == y {
                    return reject("the proposals agree");
                }
                a.verify(validators, chain_id)?;
                b.verify(validators, chain_id)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Vote;
    use crate::validator::Validator;
    use loanchain_primitives::crypto::{Hash, Keypair};

    #[test]
    fn conflicting_votes_are_evidence_agreeing_votes_are_not() {
        let k = Keypair::from_secret([1; 32]);
        let set = ValidatorSet::new(vec![Validator { name: "a".into(), public_key: k.public(), voting_power: 1 }]).unwrap();
        let vote = |h: Option<Hash>, kind| {
            SignedVote::sign(&k, "c", Vote { height: 1, round: 0, kind, block_hash: h, validator: ValidatorIndex(0) })
        };
        let a = vote(Some(Hash::digest(b"a")), VoteKind::Prevote);
        let b = vote(None, VoteKind::Prevote);
        let ev = Evidence::ConflictingVotes { first: a.clone(), second: b };
        assert!(ev.verify(&set, "c").is_ok());
        assert_eq!((ev.validator(), ev.kind()), (ValidatorIndex(0), EvidenceKind::Prevote));
        let same = Evidence::ConflictingVotes { first: a.clone(), second: a.clone() };
        assert!(same.verify(&set, "c").is_err());
        let other_step = Evidence::ConflictingVotes { first: a, second: vote(None, VoteKind::Precommit) };
        assert!(other_step.verify(&set, "c").is_err(), "a prevote and a precommit may differ");
    }
}
