//! Builders for tests (the `test-utils` feature): deterministic keys and validator sets.
//!
//! The convention every test of the chain types, the consensus core and the simulator follows:
//! validator `i` is named `v{i}` and, unless the test brings its own keys, has the consensus key
//! [`keypair`]`(i + 1)`. The builders panic on an invalid set (zero power, a shared key): they are
//! for tests, which want the panic.

use crate::{Keypair, Validator, ValidatorSet};

/// The key whose secret is 32 bytes of `seed`.
pub fn keypair(seed: u8) -> Keypair {
    Keypair::from_secret([seed; 32])
}

/// The keys of validators `0..n`: validator `i` has [`keypair`]`(i + 1)`.
pub fn keypairs(n: usize) -> Vec<Keypair> {
    assert!(n < 256, "seeds are bytes: at most 255 validators");
    (1..=n).map(|seed| keypair(seed as u8)).collect()
}

/// The set of validators with `keys[i]` and `powers[i]`, named `{prefix}{i}`.
pub fn named_validator_set(prefix: &str, keys: &[Keypair], powers: &[u64]) -> ValidatorSet {
    assert_eq!(keys.len(), powers.len(), "one power per key");
    let validators = keys
        .iter()
        .zip(powers)
        .enumerate()
        .map(|(i, (k, p))| Validator { name: format!("{prefix}{i}"), public_key: k.public(), voting_power: *p })
        .collect();
    ValidatorSet::new(validators).expect("a valid test validator set")
}

/// The set of validators with `keys[i]` and `powers[i]`, named `v{i}`.
pub fn validator_set_of(keys: &[Keypair], powers: &[u64]) -> ValidatorSet {
    named_validator_set("v", keys, powers)
}

/// Validators with these powers and the keys of [`keypairs`], named `v{i}`.
pub fn validator_set(powers: &[u64]) -> ValidatorSet {
    validator_set_of(&keypairs(powers.len()), powers)
}

/// `n` validators of power 1 (the keys of [`keypairs`]), with their keys.
pub fn equal_validators(n: usize) -> (Vec<Keypair>, ValidatorSet) {
    let keys = keypairs(n);
    let set = validator_set_of(&keys, &vec![1; n]);
    (keys, set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_follow_the_convention() {
        let (keys, set) = equal_validators(4);
        assert_eq!(keys.len(), 4);
        assert_eq!(set.total_power(), 4);
        let v2 = &set.validators()[2];
        assert_eq!((v2.name.as_str(), v2.public_key, v2.voting_power), ("v2", keypair(3).public(), 1));
        assert_eq!(validator_set(&[1, 1, 1, 1]), set);
        assert_eq!(named_validator_set("bank-", &keys[..1], &[7]).validators()[0].name, "bank-0");
    }
}
