//! Equivocation evidence (DESIGN §8, issue 16 weakness 8): stored once per (height, validator,
//! round, kind) and at most `MAX_EVIDENCE_PER_VALIDATOR_HEIGHT` per validator and height, listed
//! newest height first in pages of whole heights, and still there after a reopen.

use loanchain_storage::tables::{DbKey, EvidenceKey};
use loanchain_storage::{EvidenceAdded, MAX_EVIDENCE_PER_VALIDATOR_HEIGHT, Storage};
use loanchain_types::{Evidence, EvidenceKind, Hash, Proposal, SignedProposal, SignedVote, ValidatorIndex, Vote, VoteKind};

use crate::temp_dir;
use crate::workload::{CHAIN, genesis_hash, key};

/// Validator `v`'s two prevotes (or precommits) at `height` and `round`.
fn votes(v: u32, height: u64, round: u32, kind: VoteKind) -> Evidence {
    let k = key(500 + u64::from(v));
    let vote = |tag: &[u8]| {
        let vote = Vote { height, round, kind, block_hash: Some(Hash::digest(tag)), validator: ValidatorIndex(v) };
        SignedVote::sign(&k, CHAIN, vote)
    };
    Evidence::ConflictingVotes { first: vote(b"one"), second: vote(b"two") }
}

/// Validator `v`'s two proposals at `height` and `round`.
fn proposals(v: u32, height: u64, round: u32) -> Evidence {
    let k = key(500 + u64::from(v));
    let proposal = |tag: &[u8]| {
        let p = Proposal { height, round, block_hash: Hash::digest(tag), valid_round: None, proposer: ValidatorIndex(v) };
        SignedProposal::sign(&k, CHAIN, p)
    };
    Evidence::ConflictingProposals { first: proposal(b"one"), second: proposal(b"two") }
}

fn swapped(e: &Evidence) -> Evidence {
    match e.clone() {
        Evidence::ConflictingVotes { first, second } => Evidence::ConflictingVotes { first: second, second: first },
        Evidence::ConflictingProposals { first, second } => Evidence::ConflictingProposals { first: second, second: first },
    }
}

/// Every stored piece, page by page of `limit`; checks that pages hold whole heights.
fn all_pages(storage: &Storage, limit: usize) -> Vec<Evidence> {
    let mut out: Vec<Evidence> = Vec::new();
    let mut before = None;
    loop {
        let page = storage.evidence_page(before, limit).unwrap();
        assert!(!page.evidence.is_empty() || page.next_before_height.is_none(), "an empty page has no next");
        if let (Some(last), Some(first)) = (out.last(), page.evidence.first()) {
            assert!(first.height() < last.height(), "a height is split across pages: {} then {}", last.height(), first.height());
        }
        let heights: std::collections::BTreeSet<u64> = page.evidence.iter().map(Evidence::height).collect();
        assert!(page.evidence.len() <= limit || heights.len() == 1, "a page over its limit holds one height");
        out.extend(page.evidence);
        match page.next_before_height {
            Some(h) => before = Some(h),
            None => return out,
        }
    }
}

#[test]
fn evidence_is_stored_once_listed_newest_first_and_survives_a_reopen() {
    let dir = temp_dir("evidence");
    let stored = [
        votes(1, 5, 0, VoteKind::Prevote),
        proposals(2, 2, 1),
        votes(0, 9, 3, VoteKind::Precommit),
        votes(1, 5, 0, VoteKind::Precommit),
        votes(3, 5, 2, VoteKind::Prevote),
        votes(2, 2, 0, VoteKind::Prevote),
    ];
    let listed = {
        let storage = Storage::open(dir.path(), genesis_hash()).unwrap();
        assert_eq!(storage.evidence_page(None, 10).unwrap().evidence, []);
        for e in &stored {
            assert_eq!(storage.add_evidence(e).unwrap(), EvidenceAdded::Stored, "{e:?}");
        }
        // The same equivocation again, or proved by the same messages in the other order: known.
        assert_eq!(storage.add_evidence(&stored[0]).unwrap(), EvidenceAdded::Known);
        assert_eq!(storage.add_evidence(&swapped(&stored[0])).unwrap(), EvidenceAdded::Known);
        assert!(storage.has_evidence(&EvidenceKey::of(&stored[1])).unwrap());
        assert_eq!(storage.evidence_count(), stored.len() as u64);

        // Newest height first; within one, descending (validator, round, kind).
        let page = storage.evidence_page(None, 100).unwrap();
        assert_eq!(page.next_before_height, None);
        let order: Vec<(u64, u32, u32, EvidenceKind)> =
            page.evidence.iter().map(|e| (e.height(), e.validator().0, e.round(), e.kind())).collect();
        assert_eq!(
            order,
            [
                (9, 0, 3, EvidenceKind::Precommit),
                (5, 3, 2, EvidenceKind::Prevote),
                (5, 1, 0, EvidenceKind::Precommit),
                (5, 1, 0, EvidenceKind::Prevote),
                (2, 2, 1, EvidenceKind::Proposal),
                (2, 2, 0, EvidenceKind::Prevote),
            ]
        );
        // The evidence itself is kept, the first stored for its key.
        assert_eq!(page.evidence[3], stored[0]);
        page.evidence
    };

    let storage = Storage::open(dir.path(), genesis_hash()).unwrap();
    assert_eq!(storage.evidence_count(), stored.len() as u64, "counted again on open");
    assert_eq!(storage.evidence_page(None, 100).unwrap().evidence, listed, "the same after a reopen");
    assert_eq!(storage.add_evidence(&stored[2]).unwrap(), EvidenceAdded::Known, "deduplicated against what is on disk");
    assert_eq!(storage.evidence_count(), stored.len() as u64);
}

#[test]
fn a_validator_keeps_a_few_pieces_per_height_and_pages_hold_whole_heights() {
    let dir = temp_dir("evidence-pages");
    let storage = Storage::open(dir.path(), genesis_hash()).unwrap();
    // One validator equivocating in round after round of height 7: a few pieces are kept.
    for round in 0..10 {
        let expected = if (round as usize) < MAX_EVIDENCE_PER_VALIDATOR_HEIGHT { EvidenceAdded::Stored } else { EvidenceAdded::Full };
        assert_eq!(storage.add_evidence(&votes(0, 7, round, VoteKind::Prevote)).unwrap(), expected, "round {round}");
    }
    assert_eq!(storage.add_evidence(&proposals(0, 7, 20)).unwrap(), EvidenceAdded::Full, "every kind counts");
    // Others at that height, and the same validator at another height, are not crowded out.
    assert_eq!(storage.add_evidence(&votes(1, 7, 0, VoteKind::Prevote)).unwrap(), EvidenceAdded::Stored);
    assert_eq!(storage.add_evidence(&votes(0, 8, 0, VoteKind::Prevote)).unwrap(), EvidenceAdded::Stored);
    for h in 1..=6 {
        storage.add_evidence(&votes(2, h, 0, VoteKind::Precommit)).unwrap();
        if h % 2 == 0 {
            storage.add_evidence(&proposals(3, h, 0)).unwrap();
        }
    }
    let n = MAX_EVIDENCE_PER_VALIDATOR_HEIGHT + 1 + 1 + 6 + 3;
    assert_eq!(storage.evidence_count(), n as u64);
    let everything = storage.evidence_page(None, 1_000).unwrap().evidence;
    assert_eq!(everything.len(), n);
    assert!(everything.windows(2).all(|w| w[0].height() >= w[1].height()), "newest first");

    // Height 7 holds 4 pieces: with a limit of 2 it comes whole, alone, after height 8.
    let first = storage.evidence_page(None, 2).unwrap();
    assert_eq!(first.evidence.iter().map(Evidence::height).collect::<Vec<_>>(), [8]);
    assert_eq!(first.next_before_height, Some(8));
    let second = storage.evidence_page(Some(8), 2).unwrap();
    assert_eq!(second.evidence.len(), 4);
    assert!(second.evidence.iter().all(|e| e.height() == 7));
    assert_eq!(second.next_before_height, Some(7));
    // A cursor below everything, and a limit of 0, give empty pages.
    assert_eq!(storage.evidence_page(Some(1), 10).unwrap().evidence, []);
    assert_eq!(storage.evidence_page(Some(0), 10).unwrap().evidence, []);
    assert_eq!(storage.evidence_page(None, 0).unwrap().evidence, []);
    // Walking the pages with any limit gives everything once, in order.
    for limit in [1, 2, 3, 5, 100] {
        assert_eq!(all_pages(&storage, limit), everything, "limit {limit}");
    }
    // The key is what the listing is ordered by.
    let keys: Vec<Vec<u8>> = everything.iter().map(|e| EvidenceKey::of(e).key_bytes()).collect();
    assert!(keys.windows(2).all(|w| w[0] > w[1]));
}
