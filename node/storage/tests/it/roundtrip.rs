//! 50 blocks of real contract transactions, executed over RocksDB and over `MemStore` side by
//! side (DESIGN §10: the node's state behind the same `Store` trait as the reference backend).

use std::collections::BTreeMap;

use loanchain_contracts::state::{MemStore, Store};
use loanchain_contracts::{Event, EventKind, LoanId};
use loanchain_storage::{CommittedBlock, Storage, TxLocation};

use crate::temp_dir;
use crate::workload::{all_entries, block, certify, execute, genesis, genesis_hash, loan_id, transactions};

/// Every prefix scan the contracts could make gives the same entries on both stores: whole
/// tables, partial keys, starts inside, before and after a prefix, absent prefixes.
fn assert_same_scans(storage: &dyn Store, mem: &MemStore) {
    fn collect(s: &dyn Store, prefix: &[u8], start: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        s.scan(prefix, start).map(|e| e.expect("scan")).collect()
    }
    let keys: Vec<Vec<u8>> = mem.entries().map(|(k, _)| k.clone()).collect();
    let mut prefixes: Vec<Vec<u8>> = vec![vec![], vec![0x00], vec![0x50], vec![0xff], vec![0xff, 0xff]];
    let mut tables: Vec<u8> = keys.iter().map(|k| k[0]).collect();
    tables.dedup();
    for t in tables {
        prefixes.push(vec![t]);
        let in_table: Vec<&Vec<u8>> = keys.iter().filter(|k| k[0] == t).collect();
        let middle = in_table[in_table.len() / 2];
        prefixes.push(middle[..middle.len().min(9)].to_vec());
        prefixes.push(middle.clone());
    }
    for prefix in &prefixes {
        let mut starts: Vec<Vec<u8>> = vec![vec![], prefix.clone(), vec![0xff; 40]];
        let under: Vec<&Vec<u8>> = keys.iter().filter(|k| k.starts_with(prefix)).collect();
        if let Some(k) = under.get(under.len() / 2) {
            starts.push((*k).clone());
            let mut after = (*k).clone();
            after.push(0);
            starts.push(after);
        }
        for start in &starts {
            assert_eq!(collect(storage, prefix, start), collect(mem, prefix, start), "scan of prefix {prefix:02x?} from {start:02x?}");
        }
    }
    for k in keys.iter().step_by(7) {
        assert_eq!(storage.get(k).unwrap(), mem.get(k).unwrap());
    }
    assert_eq!(storage.get(&[0x01, 0xde, 0xad]).unwrap(), None);
}

#[test]
fn fifty_blocks_match_memstore() {
    let dir = temp_dir("roundtrip");
    let storage = Storage::open(dir.path(), genesis_hash()).unwrap();
    assert_eq!(storage.last_committed(), None);
    let (writes, mut app_hash) = genesis();
    storage.init_genesis(&writes, app_hash).unwrap();
    let mut mem = MemStore::new();
    mem.apply(&writes);
    assert_eq!(all_entries(&storage), all_entries(&mem));

    let mut by_loan: BTreeMap<LoanId, Vec<Event>> = BTreeMap::new();
    let (mut ok, mut failed) = (0, 0);
    let mut previous_cert = None;
    for h in 1..=50u64 {
        let last = storage.last_committed().unwrap();
        assert_eq!((last.height, last.app_hash), (h - 1, app_hash));
        let b = block(h, last.block_hash, app_hash, &transactions(h), previous_cert.clone());
        let on_storage = execute(&storage, &b, &app_hash);
        let on_mem = execute(&mem, &b, &app_hash);
        assert_eq!(on_storage, on_mem, "block {h}: execution over RocksDB and over MemStore agree");
        let certificate = certify(&b);
        storage.commit_block(&CommittedBlock { block: &b, certificate: &certificate, outcome: &on_storage }).unwrap();
        mem.apply(&on_mem.writes);
        app_hash = on_mem.app_hash;

        let last = storage.last_committed().unwrap();
        assert_eq!((last.height, last.block_hash, last.app_hash), (h, b.hash(), app_hash));
        assert_eq!(storage.block(h).unwrap().as_ref(), Some(&b));
        assert_eq!(storage.block_by_hash(&b.hash()).unwrap().as_ref(), Some(&b));
        assert_eq!(storage.certificate(h).unwrap().as_ref(), Some(&certificate));
        for r in &on_storage.receipts {
            assert_eq!(storage.tx_location(&r.tx_hash).unwrap(), Some(TxLocation { height: h, index: r.index }));
            assert_eq!(storage.receipt(h, r.index).unwrap().as_ref(), Some(r));
            if r.ok() { ok += 1 } else { failed += 1 }
        }
        assert_eq!(storage.receipt(h, on_storage.receipts.len() as u32).unwrap(), None);
        assert_eq!(storage.events(h).unwrap(), on_storage.events);
        for e in &on_storage.events {
            if let Some(loan) = &e.loan {
                by_loan.entry(loan.clone()).or_default().push(e.clone());
            }
        }
        assert_same_scans(&storage, &mem);
        previous_cert = Some(certificate);
    }
    assert_eq!(all_entries(&storage), all_entries(&mem));
    assert!(ok > 90 && failed >= 7, "the workload succeeds and fails: {ok} ok, {failed} failed");

    // Loan history: every loan's events, oldest first; `limit` keeps the first ones.
    assert!(by_loan.len() >= 5, "loans listed: {}", by_loan.len());
    for (loan, events) in &by_loan {
        assert_eq!(&storage.loan_events(loan, usize::MAX).unwrap(), events, "events of {loan}");
        assert_eq!(storage.loan_events(loan, 1).unwrap(), events[..1].to_vec());
    }
    let funded = storage.loan_events(&loan_id(13), usize::MAX).unwrap();
    assert!(funded.iter().any(|e| matches!(e.kind, EventKind::LoanActivated { .. })), "L-13 is fully funded and disbursed: {funded:?}");
    assert!(storage.loan_events(&LoanId::new("L-none").unwrap(), 10).unwrap().is_empty());
    assert_eq!(storage.block(51).unwrap(), None);
    assert_eq!(storage.block_by_hash(&loanchain_contracts::crypto::Hash::ZERO).unwrap(), None);

    // A snapshot keeps its state and meta while later blocks are committed.
    let snapshot = storage.snapshot();
    let before = all_entries(&snapshot);
    assert_eq!(snapshot.last_committed().unwrap().unwrap().height, 50);
    let (_, outcome) = crate::workload::commit_next(&storage);
    assert!(!outcome.writes.is_empty());
    assert_eq!(all_entries(&snapshot), before, "the snapshot does not see block 51");
    assert_eq!(snapshot.last_committed().unwrap().unwrap().height, 50);
    assert_ne!(all_entries(&storage), before);
}
