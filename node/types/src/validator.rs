//! The validator set and its quorum arithmetic (DESIGN §8: n = 3f+1 tolerates f Byzantine).
//!
//! Thresholds are in voting power, not in heads: a *quorum* is strictly more than 2/3 of the
//! total power (the "2f+1" of the paper), and the *f+1* threshold is strictly more than 1/3 (at
//! least one correct validator is among any set of that power).

use std::fmt;

use loanchain_primitives::crypto::{Hash, PublicKey};
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The position of a validator in its [`ValidatorSet`]; messages and certificates name signers by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct ValidatorIndex(pub u32);

impl ValidatorIndex {
    /// The index as a `usize`, for indexing the set.
    pub fn as_usize(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for ValidatorIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// One validator: a member institution's consensus identity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct Validator {
    /// Human name (the institution's), for logs and the dashboard.
    pub name: String,
    /// The consensus key that signs proposals and votes (DESIGN §4), not the account key.
    pub public_key: PublicKey,
    /// Voting power, positive.
    pub voting_power: u64,
}

/// The ordered set of validators of a height. The order is part of consensus (indices, proposer
/// rotation, certificate encoding).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(try_from = "Vec<Validator>", into = "Vec<Validator>")]
pub struct ValidatorSet {
    validators: Vec<Validator>,
    total_power: u64,
}

impl TryFrom<Vec<Validator>> for ValidatorSet {
    type Error = Error;
    fn try_from(validators: Vec<Validator>) -> Result<Self, Error> {
        ValidatorSet::new(validators)
    }
}

impl From<ValidatorSet> for Vec<Validator> {
    fn from(set: ValidatorSet) -> Self {
        set.validators
    }
}

impl ValidatorSet {
    /// Upper bound on the total voting power, so that `3 * power` never overflows.
    pub const MAX_TOTAL_POWER: u64 = 1 << 60;
    /// Upper bound on the number of validators ([`crate::limits::MAX_VALIDATORS`]).
    pub const MAX_VALIDATORS: usize = crate::limits::MAX_VALIDATORS;

    /// A set from its validators, in consensus order. Rejects an empty set, zero power, a shared
    /// key, and totals above [`Self::MAX_TOTAL_POWER`].
    pub fn new(validators: Vec<Validator>) -> Result<ValidatorSet, Error> {
        if validators.is_empty() {
            return Err(Error::EmptyValidatorSet);
        }
        if validators.len() > Self::MAX_VALIDATORS {
            return Err(Error::TooManyValidators { count: validators.len(), max: Self::MAX_VALIDATORS });
        }
        let mut total: u64 = 0;
        for (i, v) in validators.iter().enumerate() {
            if v.voting_power == 0 {
                return Err(Error::ZeroVotingPower { index: i as u32, name: v.name.clone() });
            }
            total = total
                .checked_add(v.voting_power)
                .filter(|t| *t <= Self::MAX_TOTAL_POWER)
                .ok_or(Error::TotalPowerTooLarge { max: Self::MAX_TOTAL_POWER })?;
            if let Some(j) = validators[..i].iter().position(|w| w.public_key == v.public_key) {
                return Err(Error::DuplicateKey { first: j as u32, second: i as u32, key: v.public_key.short() });
            }
        }
        Ok(ValidatorSet { validators, total_power: total })
    }

    /// The validators, in consensus order.
    pub fn validators(&self) -> &[Validator] {
        &self.validators
    }

    /// How many validators.
    pub fn len(&self) -> usize {
        self.validators.len()
    }

    /// Always false: a set has at least one validator.
    pub fn is_empty(&self) -> bool {
        self.validators.is_empty()
    }

    /// The validator at `index`.
    pub fn get(&self, index: ValidatorIndex) -> Result<&Validator, Error> {
        self.validators.get(index.as_usize()).ok_or(Error::UnknownValidator { index, len: self.validators.len() })
    }

    /// The voting power of `index`, 0 if it is not in the set.
    pub fn power(&self, index: ValidatorIndex) -> u64 {
        self.validators.get(index.as_usize()).map_or(0, |v| v.voting_power)
    }

    /// The index of the validator with consensus key `key`.
    pub fn index_of(&self, key: &PublicKey) -> Option<ValidatorIndex> {
        self.validators.iter().position(|v| v.public_key == *key).map(|i| ValidatorIndex(i as u32))
    }

    /// Every index, in order.
    pub fn indices(&self) -> impl Iterator<Item = ValidatorIndex> + '_ {
        (0..self.validators.len() as u32).map(ValidatorIndex)
    }

    /// The sum of voting powers.
    pub fn total_power(&self) -> u64 {
        self.total_power
    }

    /// The smallest power strictly above 2/3 of the total: a quorum ("2f+1").
    pub fn quorum_power(&self) -> u64 {
        self.total_power * 2 / 3 + 1
    }

    /// The smallest power strictly above 1/3 of the total ("f+1"): any set with this power holds a
    /// correct validator.
    pub fn f_plus_one_power(&self) -> u64 {
        self.total_power / 3 + 1
    }

    /// Whether `power` is a quorum (strictly more than 2/3 of the total).
    pub fn is_quorum(&self, power: u64) -> bool {
        power >= self.quorum_power()
    }

    /// Whether `power` is strictly more than 1/3 of the total.
    pub fn is_f_plus_one(&self, power: u64) -> bool {
        power >= self.f_plus_one_power()
    }

    /// The largest power that may be Byzantine while the protocol stays safe and live
    /// (strictly less than 1/3 of the total).
    pub fn max_faulty_power(&self) -> u64 {
        (self.total_power - 1) / 3
    }

    /// The hash of the set, carried in block headers: SHA-256 of bcs of the validator list.
    pub fn hash(&self) -> Hash {
        Hash::of(&self.validators)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use loanchain_primitives::crypto::Keypair;

    fn set(powers: &[u64]) -> ValidatorSet {
        crate::test_utils::validator_set(powers)
    }

    #[test]
    fn thresholds_match_3f_plus_1() {
        // n = 3f+1 equal powers: quorum 2f+1, f+1 threshold f+1.
        for f in 0..5u64 {
            let s = set(&vec![1; (3 * f + 1) as usize]);
            assert_eq!(s.quorum_power(), 2 * f + 1, "f={f}");
            assert_eq!(s.f_plus_one_power(), f + 1, "f={f}");
            assert_eq!(s.max_faulty_power(), f, "f={f}");
        }
        // Unequal powers: strictly more than 2/3 and 1/3.
        let s = set(&[5, 1, 1, 2]); // total 9
        assert_eq!(s.quorum_power(), 7);
        assert!(!s.is_quorum(6));
        assert_eq!(s.f_plus_one_power(), 4);
        assert_eq!(s.max_faulty_power(), 2);
    }

    #[test]
    fn rejects_bad_sets() {
        assert_eq!(ValidatorSet::new(vec![]), Err(Error::EmptyValidatorSet));
        let k = Keypair::from_secret([1; 32]).public();
        let v = |p| Validator { name: "a".into(), public_key: k, voting_power: p };
        assert!(matches!(ValidatorSet::new(vec![v(0)]), Err(Error::ZeroVotingPower { .. })));
        assert!(matches!(ValidatorSet::new(vec![v(1), v(1)]), Err(Error::DuplicateKey { .. })));
        assert!(matches!(ValidatorSet::new(vec![v(u64::MAX)]), Err(Error::TotalPowerTooLarge { .. })));
    }

    #[test]
    fn serde_round_trip_revalidates() {
        let s = set(&[1, 2, 3]);
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<ValidatorSet>(&json).unwrap(), s);
        let bytes = bcs::to_bytes(&s).unwrap();
        assert_eq!(bcs::from_bytes::<ValidatorSet>(&bytes).unwrap(), s);
        assert!(serde_json::from_str::<ValidatorSet>("[]").is_err());
    }
}
