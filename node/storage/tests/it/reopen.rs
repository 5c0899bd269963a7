//! A data dir reopens exactly where it stopped (DESIGN §9: a restart resumes from the persisted
//! state, never by replaying from genesis) and refuses another chain.

use loanchain_contracts::ErrorClass;
use loanchain_contracts::crypto::Hash;
use loanchain_contracts::state::MemStore;
use loanchain_storage::{CommittedBlock, Storage, StorageConfig, StorageError};

use crate::temp_dir;
use crate::workload::{all_entries, block, certify, commit_next, execute, genesis, genesis_hash, transactions, wal_batch};

#[test]
fn reopen_resumes_where_it_stopped() {
    let dir = temp_dir("reopen");
    let (last, entries, wal) = {
        let storage = Storage::open(dir.path(), genesis_hash()).unwrap();
        let (writes, app_hash) = genesis();
        storage.init_genesis(&writes, app_hash).unwrap();
        for _ in 0..20 {
            commit_next(&storage);
        }
        storage.wal_append(&wal_batch(21, 0)).unwrap();
        storage.wal_append(&wal_batch(21, 1)).unwrap();
        let wal = storage.wal_load().unwrap();
        assert_eq!(wal, [wal_batch(21, 0), wal_batch(21, 1)].concat());
        (storage.last_committed().unwrap(), all_entries(&storage), wal)
    };
    // Reopened with fsynced commits this time: the format does not depend on the option.
    let storage = Storage::open_with(dir.path(), genesis_hash(), StorageConfig { sync_commits: true, ..StorageConfig::default() }).unwrap();
    assert_eq!(storage.last_committed(), Some(last));
    assert_eq!(last.height, 20);
    assert_eq!(all_entries(&storage), entries);
    assert_eq!(storage.wal_load().unwrap(), wal);
    assert_eq!(storage.block(20).unwrap().unwrap().hash(), last.block_hash);

    // Appends after a reopen come after the entries already there; committing a height removes
    // its WAL entries (and those below), not those of the next height.
    storage.wal_append(&wal_batch(22, 0)).unwrap();
    assert_eq!(storage.wal_load().unwrap(), [wal.clone(), wal_batch(22, 0)].concat());
    commit_next(&storage);
    assert_eq!(storage.wal_load().unwrap(), wal_batch(22, 0));
    assert_eq!(storage.last_committed().unwrap().height, 21);
}

/// A block a validator proposed stays with its height's WAL across a reopen (issue 16, weakness
/// 11: a restarted proposer re-sent its proposal without the block), is not a consensus entry,
/// and goes with the WAL when the height commits.
#[test]
fn a_proposed_block_is_kept_with_the_wal_until_its_height_commits() {
    let dir = temp_dir("proposed");
    let proposed = {
        let storage = Storage::open(dir.path(), genesis_hash()).unwrap();
        let (writes, app_hash) = genesis();
        storage.init_genesis(&writes, app_hash).unwrap();
        for _ in 0..3 {
            commit_next(&storage);
        }
        let last = storage.last_committed().unwrap();
        let proposed = block(4, last.block_hash, last.app_hash, &transactions(3), None);
        storage.wal_keep_proposed_block(&proposed).unwrap();
        // The proposal's record, fsynced, follows the block (and makes it durable too).
        storage.wal_append(&wal_batch(4, 0)).unwrap();
        proposed
    };
    let storage = Storage::open(dir.path(), genesis_hash()).unwrap();
    assert_eq!(storage.wal_proposed_blocks().unwrap(), vec![proposed.clone()]);
    assert_eq!(storage.wal_load().unwrap(), wal_batch(4, 0), "the block is not a consensus entry");
    commit_next(&storage);
    assert_eq!(storage.last_committed().unwrap().height, 4);
    assert_eq!(storage.wal_proposed_blocks().unwrap(), Vec::new());
    assert_eq!(storage.wal_load().unwrap(), Vec::new());
}

#[test]
fn another_genesis_and_misuse_are_typed_errors() {
    let dir = temp_dir("genesis");
    {
        let storage = Storage::open(dir.path(), genesis_hash()).unwrap();
        let (writes, app_hash) = genesis();
        let b = block(1, Hash::ZERO, app_hash, &transactions(1), None);
        let cert = certify(&b);
        let mut mem = MemStore::new();
        mem.apply(&writes);
        let outcome = execute(&mem, &b, &app_hash);
        let commit = CommittedBlock { block: &b, certificate: &cert, outcome: &outcome };
        let e = storage.commit_block(&commit).unwrap_err();
        assert!(matches!(e, StorageError::NotInitialised), "{e}");

        storage.init_genesis(&writes, app_hash).unwrap();
        let e = storage.init_genesis(&writes, app_hash).unwrap_err();
        assert!(matches!(e, StorageError::AlreadyInitialised { height: 0 }), "{e}");

        let wrong_cert = certify(&block(1, Hash::ZERO, Hash::ZERO, &[], None));
        let e = storage.commit_block(&CommittedBlock { certificate: &wrong_cert, ..commit }).unwrap_err();
        assert!(matches!(e, StorageError::Inconsistent { height: 1, .. }), "{e}");
        let unlinked = block(1, Hash::digest(b"elsewhere"), app_hash, &transactions(1), None);
        let unlinked_cert = certify(&unlinked);
        let e = storage.commit_block(&CommittedBlock { block: &unlinked, certificate: &unlinked_cert, outcome: &outcome }).unwrap_err();
        assert!(matches!(e, StorageError::Inconsistent { height: 1, .. }), "{e}");

        storage.commit_block(&commit).unwrap();
        let e = storage.commit_block(&commit).unwrap_err();
        assert!(matches!(e, StorageError::OutOfOrder { expected: 2, got: 1 }), "{e}");
        assert_eq!(e.class(), ErrorClass::Client);
        assert_eq!(storage.last_committed().unwrap().height, 1, "failed commits change nothing");
    }
    let other = Hash::digest(b"another chain");
    let e = Storage::open(dir.path(), other).unwrap_err();
    match &e {
        StorageError::GenesisMismatch { stored, given } => assert_eq!((*stored, *given), (genesis_hash(), other)),
        e => panic!("expected GenesisMismatch, got {e}"),
    }
    assert_eq!(e.class(), ErrorClass::Client);
    assert_eq!(e.code(), "genesis_mismatch");
    // The refused open did not change the data dir.
    let storage = Storage::open(dir.path(), genesis_hash()).unwrap();
    assert_eq!(storage.last_committed().unwrap().height, 1);
}
