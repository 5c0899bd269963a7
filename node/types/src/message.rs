//! Consensus messages: proposals and votes, and their signed forms (DESIGN §8, STYLE habit 9).
//!
//! A signature covers `domain || bcs((chain_id, message))`, where the domain is
//! [`Domain::Proposal`] or [`Domain::Vote`]. The message names its signer by [`ValidatorIndex`];
//! verification looks the key up in the [`ValidatorSet`] of the height.

use loanchain_primitives::codec;
use loanchain_primitives::crypto::{Domain, Hash, Keypair, Signature};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::validator::{ValidatorIndex, ValidatorSet};
use crate::{Height, Round};

/// The two voting steps of a round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub enum VoteKind {
    /// First vote of a round: "this proposal is acceptable to me" (or nil).
    Prevote,
    /// Second vote: "I saw a quorum of prevotes for this block and locked on it" (or nil).
    Precommit,
}

/// A proposer's proposal of a block for a height and round. The block travels beside it; the
/// proposal names it by hash.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct Proposal {
    /// The height.
    pub height: Height,
    /// The round.
    pub round: Round,
    /// The hash of the proposed block's header.
    pub block_hash: Hash,
    /// The round in which the proposer saw a quorum of prevotes for this block (the paper's
    /// `validRound`), or `None` (the paper's -1).
    pub valid_round: Option<Round>,
    /// Who proposes; must be the proposer of (height, round).
    pub proposer: ValidatorIndex,
}

/// A prevote or precommit, for a block or for nil (`block_hash: None`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct Vote {
    /// The height.
    pub height: Height,
    /// The round.
    pub round: Round,
    /// Prevote or precommit.
    pub kind: VoteKind,
    /// The block voted for, or `None` for nil.
    pub block_hash: Option<Hash>,
    /// Who votes.
    pub validator: ValidatorIndex,
}

fn signed_bytes<T: Serialize>(domain: Domain, chain_id: &str, message: &T) -> Vec<u8> {
    domain.message(&codec::to_bytes(&(chain_id, message)))
}

/// A proposal with its proposer's signature.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct SignedProposal {
    /// The proposal.
    pub proposal: Proposal,
    /// ed25519 over `"loanchain/proposal/v1" || bcs((chain_id, proposal))`.
    pub signature: Signature,
}

impl SignedProposal {
    /// Signs `proposal` for `chain_id`.
    pub fn sign(keypair: &Keypair, chain_id: &str, proposal: Proposal) -> SignedProposal {
        let signature = keypair.sign(Domain::Proposal, &codec::to_bytes(&(chain_id, &proposal)));
        SignedProposal { proposal, signature }
    }

    /// The exact bytes the signature covers, domain included (for batch verification).
    pub fn signed_bytes(&self, chain_id: &str) -> Vec<u8> {
        signed_bytes(Domain::Proposal, chain_id, &self.proposal)
    }

    /// Checks the signature against the proposer's key in `validators`.
    pub fn verify(&self, validators: &ValidatorSet, chain_id: &str) -> Result<(), Error> {
        let v = validators.get(self.proposal.proposer)?;
        v.public_key
            .verify(Domain::Proposal, &codec::to_bytes(&(chain_id, &self.proposal)), &self.signature)
            .map_err(|_| Error::BadSignature { what: "proposal", validator: self.proposal.proposer })
    }
}

/// A vote with its voter's signature.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct SignedVote {
    /// The vote.
    pub vote: Vote,
    /// ed25519 over `"loanchain/vote/v1" || bcs((chain_id, vote))`.
    pub signature: Signature,
}

impl SignedVote {
    /// Signs `vote` for `chain_id`.
    pub fn sign(keypair: &Keypair, chain_id: &str, vote: Vote) -> SignedVote {
        let signature = keypair.sign(Domain::Vote, &codec::to_bytes(&(chain_id, &vote)));
        SignedVote { vote, signature }
    }

    /// The exact bytes the signature covers, domain included (for batch verification).
    pub fn signed_bytes(&self, chain_id: &str) -> Vec<u8> {
        signed_bytes(Domain::Vote, chain_id, &self.vote)
    }

    /// Checks the signature against the voter's key in `validators`.
    pub fn verify(&self, validators: &ValidatorSet, chain_id: &str) -> Result<(), Error> {
        let v = validators.get(self.vote.validator)?;
        v.public_key
            .verify(Domain::Vote, &codec::to_bytes(&(chain_id, &self.vote)), &self.signature)
            .map_err(|_| Error::BadSignature { what: "vote", validator: self.vote.validator })
    }
}

/// What validators gossip to each other.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub enum ConsensusMessage {
    /// A signed proposal (the block itself travels beside it).
    Proposal(SignedProposal),
    /// A signed prevote or precommit.
    Vote(SignedVote),
}

impl ConsensusMessage {
    /// The height the message is for.
    pub fn height(&self) -> Height {
        match self {
            ConsensusMessage::Proposal(p) => p.proposal.height,
            ConsensusMessage::Vote(v) => v.vote.height,
        }
    }

    /// The round the message is for.
    pub fn round(&self) -> Round {
        match self {
            ConsensusMessage::Proposal(p) => p.proposal.round,
            ConsensusMessage::Vote(v) => v.vote.round,
        }
    }

    /// Who signed it.
    pub fn signer(&self) -> ValidatorIndex {
        match self {
            ConsensusMessage::Proposal(p) => p.proposal.proposer,
            ConsensusMessage::Vote(v) => v.vote.validator,
        }
    }

    /// The signature.
    pub fn signature(&self) -> &Signature {
        match self {
            ConsensusMessage::Proposal(p) => &p.signature,
            ConsensusMessage::Vote(v) => &v.signature,
        }
    }

    /// Checks the signature against `validators`.
    pub fn verify(&self, validators: &ValidatorSet, chain_id: &str) -> Result<(), Error> {
        match self {
            ConsensusMessage::Proposal(p) => p.verify(validators, chain_id),
            ConsensusMessage::Vote(v) => v.verify(validators, chain_id),
        }
    }

    /// Canonical bytes, for the wire.
    pub fn to_bytes(&self) -> Vec<u8> {
        codec::to_bytes(self)
    }

    /// Decodes canonical bytes from the wire (size-bounded, trailing bytes rejected).
    pub fn from_bytes(bytes: &[u8]) -> Result<ConsensusMessage, Error> {
        codec::from_bytes("consensus message", bytes).map_err(|e| Error::Decode { what: "consensus message", reason: e.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (Vec<Keypair>, ValidatorSet) {
        crate::test_utils::equal_validators(4)
    }

    #[test]
    fn vote_signature_binds_chain_signer_and_content() {
        let (keys, set) = setup();
        let vote =
            Vote { height: 3, round: 1, kind: VoteKind::Precommit, block_hash: Some(Hash::digest(b"b")), validator: ValidatorIndex(2) };
        let sv = SignedVote::sign(&keys[2], "loanchain-test", vote.clone());
        assert!(sv.verify(&set, "loanchain-test").is_ok());
        assert!(sv.verify(&set, "other-chain").is_err(), "a vote must not cross chains");
        let mut forged = sv.clone();
        forged.vote.validator = ValidatorIndex(1);
        assert!(forged.verify(&set, "loanchain-test").is_err(), "a vote must not change signer");
        let mut nil = sv.clone();
        nil.vote.block_hash = None;
        assert!(nil.verify(&set, "loanchain-test").is_err());
        let mut outside = sv.clone();
        outside.vote.validator = ValidatorIndex(9);
        assert!(matches!(outside.verify(&set, "loanchain-test"), Err(Error::UnknownValidator { .. })));
    }

    #[test]
    fn a_vote_signature_is_not_a_proposal_signature() {
        let (keys, set) = setup();
        let p = Proposal { height: 1, round: 0, block_hash: Hash::digest(b"b"), valid_round: None, proposer: ValidatorIndex(0) };
        let sp = SignedProposal::sign(&keys[0], "c", p.clone());
        assert!(sp.verify(&set, "c").is_ok());
        // Same key, same bytes, vote domain: must not verify as a proposal.
        let sig = keys[0].sign(Domain::Vote, &codec::to_bytes(&("c", &p)));
        assert!(SignedProposal { proposal: p, signature: sig }.verify(&set, "c").is_err());
    }

    #[test]
    fn wire_round_trip() {
        let (keys, _) = setup();
        let m = ConsensusMessage::Vote(SignedVote::sign(
            &keys[1],
            "c",
            Vote { height: 1, round: 0, kind: VoteKind::Prevote, block_hash: None, validator: ValidatorIndex(1) },
        ));
        assert_eq!(ConsensusMessage::from_bytes(&m.to_bytes()).unwrap(), m);
        let mut bytes = m.to_bytes();
        bytes.push(0);
        assert!(ConsensusMessage::from_bytes(&bytes).is_err(), "trailing bytes are rejected");
    }
}

/// Verifies many messages at once: `verdicts[i]` says whether `messages[i]` is signed by the
/// validator it names. One batch when all are good; when the batch fails it is halved until each
/// bad message is found ([`find_failing`](loanchain_primitives::crypto::find_failing)), so one bad
/// message among n costs about 2·log2(n) batches rather than n single checks, and however many
/// are bad, fewer than 4·n messages are checked in all.
pub fn verify_messages(messages: &[ConsensusMessage], validators: &ValidatorSet, chain_id: &str) -> Vec<bool> {
    use loanchain_primitives::crypto::{BatchItem, find_failing, verify_batch};
    let bytes: Vec<Vec<u8>> = messages
        .iter()
        .map(|m| match m {
            ConsensusMessage::Proposal(p) => p.signed_bytes(chain_id),
            ConsensusMessage::Vote(v) => v.signed_bytes(chain_id),
        })
        .collect();
    let keys: Vec<Option<&crate::PublicKey>> = messages.iter().map(|m| validators.get(m.signer()).ok().map(|v| &v.public_key)).collect();
    let known: Vec<usize> = (0..messages.len()).filter(|&i| keys[i].is_some()).collect();
    let failing = find_failing(known.len(), |range| {
        let items: Vec<BatchItem<'_>> = range
            .iter()
            .map(|&k| known[k])
            .map(|i| BatchItem { key: keys[i].expect("filtered"), signed_bytes: &bytes[i], signature: messages[i].signature() })
            .collect();
        verify_batch(&items).is_ok()
    });
    let mut verdicts = vec![false; messages.len()];
    for (k, i) in known.into_iter().enumerate() {
        verdicts[i] = !failing[k];
    }
    verdicts
}

#[cfg(test)]
mod batch_tests {
    use proptest::prelude::*;

    use super::*;
    use crate::test_utils::equal_validators;

    proptest! {
        /// The batch verdicts are the one-by-one verdicts, whatever the mix of good, forged,
        /// altered and unknown-signer messages.
        #[test]
        fn batch_verdicts_equal_single_verdicts(kinds in proptest::collection::vec(0u8..4, 0..40)) {
            let (keys, set) = equal_validators(4);
            let messages: Vec<ConsensusMessage> = kinds
                .iter()
                .enumerate()
                .map(|(i, kind)| {
                    let validator = ValidatorIndex((i % 4) as u32);
                    let vote = Vote { height: 3, round: i as u32, kind: VoteKind::Prevote, block_hash: None, validator };
                    let mut signed = SignedVote::sign(&keys[i % 4], "c", vote);
                    match kind {
                        0 => {}
                        // Signed by another validator's key.
                        1 => signed.signature = SignedVote::sign(&keys[(i + 1) % 4], "c", signed.vote.clone()).signature,
                        // Altered after signing.
                        2 => signed.vote.round += 1_000,
                        // A signer outside the set.
                        _ => signed.vote.validator = ValidatorIndex(9),
                    }
                    ConsensusMessage::Vote(signed)
                })
                .collect();
            let single: Vec<bool> = messages.iter().map(|m| m.verify(&set, "c").is_ok()).collect();
            prop_assert_eq!(verify_messages(&messages, &set, "c"), single);
        }
    }
}
