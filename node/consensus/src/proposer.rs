//! Proposer rotation weighted by voting power (DESIGN §8).
//!
//! The smooth weighted round-robin of Tendermint's proposer-priority algorithm: every step, each
//! validator's priority grows by its power; the highest priority (ties: lowest index) proposes and
//! loses the total power. After `total` steps every priority is back to zero, having chosen each
//! validator exactly `power` times, evenly spread; so the sequence is periodic and we tabulate one
//! period. The proposer of (height, round) is entry `(height + round) mod period`: a pure
//! function of the validator set, the height and the round, the same on every node.

use loanchain_types::{Height, Round, ValidatorIndex, ValidatorSet};

use crate::error::Error;

/// The proposer of every (height, round) for one validator set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProposerSchedule {
    sequence: Vec<ValidatorIndex>,
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

impl ProposerSchedule {
    /// Longest period tabulated: powers (divided by their gcd) may sum to at most this.
    pub const MAX_PERIOD: u64 = 1 << 20;

    /// The schedule of `validators`.
    pub fn new(validators: &ValidatorSet) -> Result<ProposerSchedule, Error> {
        let g = validators.validators().iter().fold(0, |g, v| gcd(g, v.voting_power));
        let weights: Vec<i128> = validators.validators().iter().map(|v| i128::from(v.voting_power / g)).collect();
        let total: i128 = weights.iter().sum();
        let period = total as u64;
        if period > Self::MAX_PERIOD {
            return Err(Error::ProposerPeriodTooLong { period, max: Self::MAX_PERIOD });
        }
        let mut priority = vec![0i128; weights.len()];
        let mut sequence = Vec::with_capacity(period as usize);
        for _ in 0..period {
            for (p, w) in priority.iter_mut().zip(&weights) {
                *p += w;
            }
            let mut best = 0;
            for i in 1..priority.len() {
                if priority[i] > priority[best] {
                    best = i;
                }
            }
            priority[best] -= total;
            sequence.push(ValidatorIndex(best as u32));
        }
        debug_assert!(priority.iter().all(|p| *p == 0), "smooth round-robin returns to zero after one period");
        Ok(ProposerSchedule { sequence })
    }

    /// The proposer of (`height`, `round`).
    pub fn proposer(&self, height: Height, round: Round) -> ValidatorIndex {
        let len = self.sequence.len() as u64;
        let k = (height % len + u64::from(round) % len) % len;
        self.sequence[k as usize]
    }

    /// One period of the rotation.
    pub fn period(&self) -> &[ValidatorIndex] {
        &self.sequence
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use loanchain_types::test_utils::validator_set as set;

    #[test]
    fn equal_power_is_plain_round_robin() {
        let s = ProposerSchedule::new(&set(&[1, 1, 1, 1])).unwrap();
        let seq: Vec<u32> = (0..8).map(|h| s.proposer(h, 0).0).collect();
        assert_eq!(seq, vec![0, 1, 2, 3, 0, 1, 2, 3]);
        // The next round of a height is the next validator.
        assert_eq!(s.proposer(5, 1), s.proposer(6, 0));
    }

    #[test]
    fn each_validator_proposes_in_proportion_to_its_power() {
        let powers = [5u64, 1, 3, 2];
        let s = ProposerSchedule::new(&set(&powers)).unwrap();
        assert_eq!(s.period().len(), 11);
        for (i, p) in powers.iter().enumerate() {
            let count = s.period().iter().filter(|v| v.0 as usize == i).count() as u64;
            assert_eq!(count, *p, "validator {i}");
        }
        // Smooth: the heaviest validator never proposes three times in a row.
        let seq: Vec<u32> = (0..33).map(|h| s.proposer(h, 0).0).collect();
        assert!(!seq.windows(3).any(|w| w.iter().all(|v| *v == 0)), "{seq:?}");
    }

    #[test]
    fn powers_are_reduced_by_their_gcd() {
        let s = ProposerSchedule::new(&set(&[1_000_000, 2_000_000])).unwrap();
        assert_eq!(s.period().len(), 3);
        assert!(matches!(ProposerSchedule::new(&set(&[1 << 21, 1])), Err(Error::ProposerPeriodTooLong { .. })));
    }

    #[test]
    fn far_heights_do_not_overflow() {
        let s = ProposerSchedule::new(&set(&[1, 2])).unwrap();
        let _ = s.proposer(u64::MAX, u32::MAX);
    }
}
