//! Garbage in any column family gives a typed, fatal error, never a panic (STYLE habit 8).

use loanchain_contracts::ErrorClass;
use loanchain_contracts::crypto::Hash;
use loanchain_contracts::state::Table as _;
use loanchain_contracts::state::tables::Accounts;
use loanchain_storage::tables::{self, DbKey};
use loanchain_storage::{Storage, StorageError};

use crate::temp_dir;
use crate::workload::{block, commit_next, genesis, genesis_hash, loan_id, transactions};

/// Writes `value` at `key` of column family `cf`, behind the storage's back.
fn poke(dir: &std::path::Path, cf: &str, key: &[u8], value: &[u8]) {
    let db = rocksdb::DB::open_cf(&rocksdb::Options::default(), dir, tables::ALL).expect("raw open");
    db.put_cf(db.cf_handle(cf).expect("cf"), key, value).expect("raw put");
}

fn assert_corrupt<T: std::fmt::Debug>(r: Result<T, StorageError>, table: &str) {
    match r {
        Err(e @ StorageError::Corrupt { .. }) => {
            assert_eq!(e.class(), ErrorClass::Fatal);
            assert!(matches!(&e, StorageError::Corrupt { table: t, .. } if *t == table), "{e}");
        }
        other => panic!("expected a corrupt {table} entry, got {other:?}"),
    }
}

#[test]
fn garbage_gives_typed_errors() {
    let dir = temp_dir("corrupt");
    let (block3, app_hash) = {
        let storage = Storage::open(dir.path(), genesis_hash()).unwrap();
        let (writes, app_hash) = genesis();
        storage.init_genesis(&writes, app_hash).unwrap();
        for _ in 0..15 {
            commit_next(&storage);
        }
        (storage.block(3).unwrap().unwrap(), storage.last_committed().unwrap().app_hash)
    };
    let garbage = [0xffu8, 0xfe, 0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80];
    poke(dir.path(), "blocks", &3u64.key_bytes(), &garbage);
    // Event 2 of block 3 is the listing of loan L-3.
    poke(dir.path(), "events", &(3u64, 2u32).key_bytes(), &garbage);
    poke(dir.path(), "receipts", &(2u64, 0u32).key_bytes(), &[]);
    poke(dir.path(), "loan_events", b"L-13\0xx", &[]);
    // Evidence with a kind byte that names no kind, and evidence that is not evidence.
    poke(dir.path(), "evidence", &[[0u8; 16].as_slice(), &[9]].concat(), &[]);
    // The genesis accounts: the contracts' own keys, values that are not accounts.
    let (writes, _) = genesis();
    for key in writes.keys().filter(|k| k[0] == Accounts::PREFIX) {
        poke(dir.path(), "state", key, &garbage);
    }

    let storage = Storage::open(dir.path(), genesis_hash()).unwrap();
    assert_corrupt(storage.block(3), "blocks");
    assert_corrupt(storage.block_by_hash(&block3.hash()), "blocks");
    assert_corrupt(storage.events(3), "events");
    assert_corrupt(storage.receipt(2, 0), "receipts");
    assert_corrupt(storage.loan_events(&loan_id(3), 10), "events");
    assert_corrupt(storage.loan_events(&loan_id(13), 10), "loan_events");
    assert_eq!(storage.loan_events(&loan_id(13), 2).unwrap().len(), 2, "the entries before the bad key still read");
    assert!(storage.block(4).unwrap().is_some() && storage.events(13).is_ok(), "the rest of the store reads");
    assert_corrupt(storage.evidence_page(None, 10), "evidence");
    // Execution over a corrupt state value stops with the contracts' fatal storage error.
    let b = block(16, Hash::ZERO, app_hash, &transactions(16), None);
    let txs: Vec<_> = b.transactions.iter().map(|t| loanchain_contracts::SignedTransaction::from_bytes(t).unwrap()).collect();
    let ctx = loanchain_contracts::BlockContext { height: 16, time: b.header.time_ms };
    let e = loanchain_contracts::execute_block(&storage, &crate::workload::params(), ctx, &app_hash, &crate::workload::verified(&txs))
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::Fatal, "{e}");
    drop(storage);

    // Corrupt meta or consensus WAL: the data dir does not open.
    poke(dir.path(), "consensus", &(16u64, 0u64).key_bytes(), &garbage);
    assert_corrupt(Storage::open(dir.path(), genesis_hash()), "consensus");
    poke(dir.path(), "meta", &[], &garbage);
    assert_corrupt(Storage::open(dir.path(), genesis_hash()), "meta");
}
