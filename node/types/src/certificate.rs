//! Commit certificates: the proof that a block is final (DESIGN §8).
//!
//! A certificate is a quorum (strictly more than 2/3 of the voting power) of precommit signatures
//! for one block at one height and round. Anyone holding the validator set can check it, without
//! trusting whoever handed it over: an observer node, `loanctl contract verify`, a syncing node.

use loanchain_primitives::crypto::{BatchItem, Hash, Signature, verify_batch};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::message::{SignedVote, Vote, VoteKind};
use crate::validator::{ValidatorIndex, ValidatorSet};
use crate::{Height, Round};

/// One precommit signature inside a certificate.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct CommitSignature {
    /// The signer.
    pub validator: ValidatorIndex,
    /// Its signature on `Vote { height, round, Precommit, Some(block_hash), validator }`.
    pub signature: Signature,
}

/// A quorum of precommits for `block_hash` at (`height`, `round`). Signers are listed in strictly
/// increasing index order, so a certificate has one encoding.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct CommitCertificate {
    /// The height of the block.
    pub height: Height,
    /// The round in which the block was decided.
    pub round: Round,
    /// The block's hash.
    pub block_hash: Hash,
    /// The precommit signatures, by increasing validator index.
    pub signatures: Vec<CommitSignature>,
}

impl CommitCertificate {
    /// Builds a certificate from precommits for one (height, round, block); the caller checks they
    /// agree. Sorts by signer and drops repeated signers.
    pub fn from_precommits<'a>(
        height: Height,
        round: Round,
        block_hash: Hash,
        precommits: impl IntoIterator<Item = &'a SignedVote>,
    ) -> CommitCertificate {
        let mut signatures: Vec<CommitSignature> =
            precommits.into_iter().map(|v| CommitSignature { validator: v.vote.validator, signature: v.signature }).collect();
        signatures.sort();
        signatures.dedup_by_key(|s| s.validator);
        CommitCertificate { height, round, block_hash, signatures }
    }

    /// The precommit vote that signature `i` signs.
    pub fn precommit(&self, i: usize) -> SignedVote {
        let s = &self.signatures[i];
        SignedVote {
            vote: Vote {
                height: self.height,
                round: self.round,
                kind: VoteKind::Precommit,
                block_hash: Some(self.block_hash),
                validator: s.validator,
            },
            signature: s.signature,
        }
    }

    /// The voting power of the signers, after checking they are in the set and strictly increasing.
    /// Does not check signatures.
    pub fn signed_power(&self, validators: &ValidatorSet) -> Result<u64, Error> {
        let mut power = 0u64;
        let mut previous: Option<ValidatorIndex> = None;
        for s in &self.signatures {
            if let Some(p) = previous
                && s.validator <= p
            {
                return Err(Error::UnsortedSigners { previous: p, index: s.validator });
            }
            power += validators.get(s.validator)?.voting_power;
            previous = Some(s.validator);
        }
        Ok(power)
    }

    /// Checks every signature, in one batch; if the batch fails, one by one to name the culprit.
    pub fn verify_signatures(&self, validators: &ValidatorSet, chain_id: &str) -> Result<(), Error> {
        let votes: Vec<SignedVote> = (0..self.signatures.len()).map(|i| self.precommit(i)).collect();
        let bytes: Vec<Vec<u8>> = votes.iter().map(|v| v.signed_bytes(chain_id)).collect();
        let mut items = Vec::with_capacity(votes.len());
        for (v, b) in votes.iter().zip(&bytes) {
            let key = &validators.get(v.vote.validator)?.public_key;
            items.push(BatchItem { key, signed_bytes: b, signature: &v.signature });
        }
        if verify_batch(&items).is_ok() {
            return Ok(());
        }
        for v in &votes {
            v.verify(validators, chain_id)?;
        }
        // The batch failed but each one verifies: only a malformed key can do that.
        Err(Error::BadSignature { what: "commit certificate", validator: votes[0].vote.validator })
    }

    /// Full check: signers in the set, in order, with a quorum of voting power, and every signature
    /// valid for `chain_id`. This is what an observer or `loanctl` runs.
    pub fn verify(&self, validators: &ValidatorSet, chain_id: &str) -> Result<(), Error> {
        let power = self.signed_power(validators)?;
        if !validators.is_quorum(power) {
            return Err(Error::InsufficientPower { what: "commit certificate", got: power, needed: validators.quorum_power() });
        }
        self.verify_signatures(validators, chain_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use loanchain_primitives::crypto::Keypair;

    fn setup(powers: &[u64]) -> (Vec<Keypair>, ValidatorSet) {
        let keys = crate::test_utils::keypairs(powers.len());
        let set = crate::test_utils::validator_set_of(&keys, powers);
        (keys, set)
    }

    fn precommits(keys: &[Keypair], who: &[u32], block: Hash) -> Vec<SignedVote> {
        who.iter()
            .map(|&i| {
                SignedVote::sign(
                    &keys[i as usize],
                    "c",
                    Vote { height: 5, round: 2, kind: VoteKind::Precommit, block_hash: Some(block), validator: ValidatorIndex(i) },
                )
            })
            .collect()
    }

    #[test]
    fn quorum_of_valid_precommits_verifies() {
        let (keys, set) = setup(&[1, 1, 1, 1]);
        let b = Hash::digest(b"block");
        let cert = CommitCertificate::from_precommits(5, 2, b, &precommits(&keys, &[3, 0, 1], b));
        assert_eq!(cert.signatures.iter().map(|s| s.validator.0).collect::<Vec<_>>(), vec![0, 1, 3]);
        assert!(cert.verify(&set, "c").is_ok());
        assert!(cert.verify(&set, "other").is_err());
    }

    #[test]
    fn two_of_four_is_not_a_quorum() {
        let (keys, set) = setup(&[1, 1, 1, 1]);
        let b = Hash::digest(b"block");
        let cert = CommitCertificate::from_precommits(5, 2, b, &precommits(&keys, &[0, 1], b));
        assert_eq!(cert.verify(&set, "c"), Err(Error::InsufficientPower { what: "commit certificate", got: 2, needed: 3 }));
    }

    #[test]
    fn power_not_heads_counts() {
        let (keys, set) = setup(&[7, 1, 1, 1]); // total 10, quorum 7
        let b = Hash::digest(b"block");
        assert!(CommitCertificate::from_precommits(5, 2, b, &precommits(&keys, &[0], b)).verify(&set, "c").is_ok());
        assert!(CommitCertificate::from_precommits(5, 2, b, &precommits(&keys, &[1, 2, 3], b)).verify(&set, "c").is_err());
    }

    #[test]
    fn tampering_is_caught_and_named() {
        let (keys, set) = setup(&[1, 1, 1, 1]);
        let b = Hash::digest(b"block");
        let mut cert = CommitCertificate::from_precommits(5, 2, b, &precommits(&keys, &[0, 1, 2], b));
        cert.signatures[1].signature.0[0] ^= 1;
        assert_eq!(cert.verify(&set, "c"), Err(Error::BadSignature { what: "vote", validator: ValidatorIndex(1) }));
        let mut cert = CommitCertificate::from_precommits(5, 2, b, &precommits(&keys, &[0, 1, 2], b));
        cert.block_hash = Hash::digest(b"other");
        assert!(cert.verify(&set, "c").is_err());
        let mut cert = CommitCertificate::from_precommits(5, 2, b, &precommits(&keys, &[0, 1, 2], b));
        cert.signatures.swap(0, 1);
        assert!(matches!(cert.verify(&set, "c"), Err(Error::UnsortedSigners { .. })));
        let mut cert = CommitCertificate::from_precommits(5, 2, b, &precommits(&keys, &[0, 1, 2], b));
        cert.signatures[2] = cert.signatures[1].clone();
        assert!(matches!(cert.verify(&set, "c"), Err(Error::UnsortedSigners { .. })), "a signer counted twice");
    }
}
