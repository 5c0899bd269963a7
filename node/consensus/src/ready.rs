//! The core's answer to one input, as raft-rs's `Ready`: WAL entries to make durable, and effects
//! that are handed out only once they are (STYLE habit 2).
//!
//! There is no other way to reach the effects than [`Ready::persist`], so a host cannot send a
//! signed message before the WAL record of it is durable: the double-sign discipline is in the
//! type, not in each host's care. The node binary and the simulator consume the same value.

use crate::action::{Action, Effect, WalEntry};

/// What one [`crate::Core::step`] asks of the host: first persist [`Ready::wal`], then carry out
/// the effects in order.
#[derive(Debug)]
#[must_use = "a Ready holds signed messages: persist its WAL entries, then carry out its effects"]
pub struct Ready {
    wal: Vec<WalEntry>,
    effects: Vec<Effect>,
}

impl Ready {
    pub(crate) fn from_actions(actions: Vec<Action>) -> Ready {
        debug_assert!(crate::action::check_persist_before_send(&actions).is_ok());
        let mut ready = Ready { wal: Vec::new(), effects: Vec::new() };
        for action in actions {
            match action {
                Action::Persist(entry) => ready.wal.push(entry),
                Action::Effect(effect) => ready.effects.push(effect),
            }
        }
        ready
    }

    /// The entries to append to the WAL, in order (read-only: to look, not to skip the write).
    pub fn wal(&self) -> &[WalEntry] {
        &self.wal
    }

    /// Whether the step asked nothing at all.
    pub fn is_empty(&self) -> bool {
        self.wal.is_empty() && self.effects.is_empty()
    }

    /// Writes the WAL entries with `write` (which must make them durable, fsync, before it
    /// returns; it is not called when there are none), then hands out the effects in the order
    /// the core emitted them. On a write error nothing is handed out: the step's messages are
    /// never sent, and the core must be recovered from what the WAL holds.
    pub fn persist<E>(self, write: impl FnOnce(&[WalEntry]) -> Result<(), E>) -> Result<Vec<Effect>, E> {
        if !self.wal.is_empty() {
            write(&self.wal)?;
        }
        Ok(self.effects)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::{SafetyRecord, Step};

    fn state() -> WalEntry {
        WalEntry::State(SafetyRecord { height: 1, round: 0, step: Step::Propose, locked: None, valid: None })
    }

    #[test]
    fn effects_come_out_only_after_a_successful_write() {
        let effect = Effect::RequestProposal { height: 1, round: 0 };
        let ready = Ready::from_actions(vec![Action::Persist(state()), effect.clone().into()]);
        assert_eq!(ready.wal(), &[state()]);
        let failed: Result<Vec<Effect>, &str> = ready.persist(|_| Err("disk full"));
        assert_eq!(failed, Err("disk full"));

        let ready = Ready::from_actions(vec![Action::Persist(state()), effect.clone().into()]);
        let mut written = Vec::new();
        let effects = ready.persist(|entries| {
            written.extend_from_slice(entries);
            Ok::<(), ()>(())
        });
        assert_eq!(effects, Ok(vec![effect]));
        assert_eq!(written, vec![state()]);
    }

    #[test]
    fn nothing_to_persist_does_not_write() {
        let ready = Ready::from_actions(vec![Effect::RequestProposal { height: 1, round: 0 }.into()]);
        let effects = ready.persist(|_| -> Result<(), ()> { panic!("no entries, no write") });
        assert_eq!(effects.map(|e| e.len()), Ok(1));
    }
}
