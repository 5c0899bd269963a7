//! Proposer-based timestamps (PBTS, as in CometBFT 1.0): whether a proposal, as received, names a
//! block whose time is close to the receiver's clock (DESIGN §8, "Block time").
//!
//! The rule is a pure function of four numbers; hosts call it when a proposal arrives and hand the
//! answer to the core as [`crate::Input::Proposal`]'s `timely`. The core never reads a clock: it
//! uses the answer only in the rule of Tendermint L22 (a proposal without a proof-of-lock round),
//! where a correct validator prevotes a block only if it is valid, timely and not against its
//! lock. A block that reaches L28 (a proof-of-lock round) was prevoted by a quorum, so by f+1
//! correct validators, for each of which it was timely in the round its first quorum formed.

use loanchain_types::Round;

use crate::config::MAX_TIMEOUT_MS;

/// The message-delay bound stops growing here: a minute (or the genesis value, if that is
/// larger; genesis allows at most [`MAX_TIMEOUT_MS`], the same minute). Two reasons:
/// - the arithmetic stays bounded: [`message_delay_in_round`] takes at most about 110 steps from
///   any base, whatever the round (up to `u32::MAX`), and cannot overflow;
/// - it bounds what a Byzantine proposer can ever do with time: however many rounds failed, a
///   block it stamps in the past is refused by every correct validator once it is more than
///   `precision + 60 s` older than their clocks at receipt.
///
/// A minute is also the cap of the round timeouts ([`MAX_TIMEOUT_MS`]), for the same reason: a
/// healed network must not keep paying for the rounds an outage cost. From 2 s (devnet's delay,
/// and CometBFT's first default) it is reached in round 36, from 1 s in round 43.
pub const MAX_MESSAGE_DELAY_MS: u64 = MAX_TIMEOUT_MS;

/// The message-delay bound of `round`: `message_delay_ms` in round 0, and each further round adds
/// a tenth of the previous round's bound, rounded up (so at least 1 ms), up to
/// [`MAX_MESSAGE_DELAY_MS`] (or `message_delay_ms` itself, if larger). This is CometBFT 1.0's
/// adaptive synchrony, `message_delay × 1.1^round`, in integers: never below that product, at
/// most `(message_delay_ms + 10) × 1.1^round − 10`. If the genesis value is too small for the real
/// network, proposals are refused as late in the first rounds only: the bound grows until they fit
/// (CometBFT added the growth after chains halted with a too small genesis value).
pub fn message_delay_in_round(message_delay_ms: u64, round: Round) -> u64 {
    let cap = message_delay_ms.max(MAX_MESSAGE_DELAY_MS);
    let mut delay = message_delay_ms;
    for _ in 0..round {
        if delay >= cap {
            break;
        }
        delay = delay.saturating_add(delay.div_ceil(10).max(1));
    }
    delay.min(cap)
}

/// Whether a proposal received at `received_at_ms` (the receiver's clock, unix ms) for a block
/// stamped `block_time_ms`, in `round`, is timely:
///
/// `received − message_delay(round) − precision ≤ block_time ≤ received + precision`
///
/// where `precision_ms` bounds how far two correct clocks differ and `message_delay(round)` is
/// [`message_delay_in_round`]. Both bounds are inclusive; they saturate at 0 and `u64::MAX`, which
/// is exact (every `u64` lies on the right side of a bound that is out of range), so the answer
/// is the one the rule gives in unbounded integers.
pub fn is_timely(block_time_ms: u64, received_at_ms: u64, round: Round, precision_ms: u64, message_delay_ms: u64) -> bool {
    let delay = message_delay_in_round(message_delay_ms, round);
    let earliest = received_at_ms.saturating_sub(delay).saturating_sub(precision_ms);
    let latest = received_at_ms.saturating_add(precision_ms);
    earliest <= block_time_ms && block_time_ms <= latest
}
