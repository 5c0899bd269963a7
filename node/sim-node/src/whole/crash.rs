//! Crashes and restarts of honest validators in a whole-node run ([`crate::faults`]): what a
//! killed process loses (everything queued for it, its pool, its memory) and what it keeps (its
//! store), and how its peers see it go and come back.

use std::sync::Arc;

use loanchain_node::chain::{AnswerError, ChainStore, Event, Incoming};
use sha2::Digest;

use super::{Sim, honest_node};

impl Sim {
    /// Node `i` crashes until `until`: everything queued for it is gone (its process is), its
    /// peers see it disconnect, and the requests it was to answer fail at the askers as a closed
    /// connection does. Its store stays. A node that is down already is left as it is.
    pub(super) fn crash(&mut self, now: u64, i: usize, until: u64) {
        if now < self.down_until[i] {
            return;
        }
        self.down_until[i] = until;
        self.crashed[i] = true;
        self.trace.update(format!("{now} {i} crash\n").as_bytes());
        let peer = self.nodes[i].peer;
        for (key, (node, event)) in std::mem::take(&mut self.queue) {
            if node != i {
                self.queue.insert(key, (node, event));
            } else if let Event::Network(Incoming::Request { reply, .. }) = event
                && let Some((asker, purpose)) = self.replies.remove(&reply.0)
            {
                let answer = Err(AnswerError::Failed("connection closed".into()));
                self.push(now, asker, Event::Answered { peer, purpose, answer });
            }
        }
        // Answers to its own requests have no one to reach.
        self.replies.retain(|_, (asker, _)| *asker != i);
        let up: Vec<usize> = (0..self.nodes.len()).filter(|&j| j != i && now >= self.down_until[j]).collect();
        for j in up {
            self.push(now, j, Event::Network(Incoming::PeerDisconnected(peer)));
        }
    }

    /// Node `i` starts again from its store, with an empty pool and nothing else in memory, if
    /// it crashed and is due.
    pub(super) fn restart(&mut self, now: u64, i: usize, genesis: &Arc<loanchain_genesis::Genesis>) {
        if !self.crashed[i] || now < self.down_until[i] {
            return;
        }
        self.crashed[i] = false;
        self.trace.update(format!("{now} {i} restart\n").as_bytes());
        let (spec, store) = (self.nodes[i].spec, self.nodes[i].ctx.storage.clone());
        self.restarted_at[i] = Some(store.last_committed().map_or(0, |l| l.height));
        self.nodes[i] = honest_node(&self.files.nodes[spec], spec, genesis, store);
        let peer = self.nodes[i].peer;
        let up: Vec<usize> = (0..self.nodes.len()).filter(|&j| j != i && now >= self.down_until[j]).collect();
        for j in up {
            let other = self.nodes[j].peer;
            self.push(now, i, Event::Network(Incoming::PeerConnected(other)));
            self.push(now, j, Event::Network(Incoming::PeerConnected(peer)));
        }
        if let Some(mock_peer) = self.mock.as_ref().map(|(_, p)| *p) {
            self.push(now, i, Event::Network(Incoming::PeerConnected(mock_peer)));
        }
        self.push(now + 1, i, Event::Start);
    }
}
