//! Kill -9 at arbitrary moments (DESIGN §10: a node killed at any instant restarts to a
//! consistent state).
//!
//! The test re-executes its own binary as a child process (selected by `CHILD_ENV`, holding the
//! data dir) that commits blocks in a loop and, before each block, appends two consensus WAL
//! batches, printing a line after each call returns. The parent SIGKILLs it
//! (`Child::kill` sends SIGKILL on Unix) at several moments, reopens the data dir, and checks:
//! the meta height is the highest block stored and no reported commit is missing (a killed
//! process loses nothing RocksDB returned for); the state is exactly a `MemStore` replay of the
//! stored blocks (same app hash); every WAL entry the child reported as appended is still there,
//! in order. Then the next child resumes from the same dir.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use loanchain_consensus::WalEntry;
use loanchain_storage::Storage;

use crate::temp_dir;
use crate::workload::{all_entries, commit_next, genesis, genesis_hash, replay, wal_batch};

const CHILD_ENV: &str = "LOANCHAIN_STORAGE_KILL9_CHILD_DIR";

/// The child's body: runs only when re-executed by `kill9_at_any_moment_recovers`.
#[test]
fn child_process() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else { return };
    let storage = Storage::open(&dir, genesis_hash()).expect("child opens");
    if storage.last_committed().is_none() {
        let (writes, app_hash) = genesis();
        storage.init_genesis(&writes, app_hash).expect("genesis");
    }
    println!("READY {}", storage.last_committed().expect("initialised").height);
    loop {
        let h = storage.last_committed().expect("initialised").height + 1;
        for i in 0..2 {
            storage.wal_append(&wal_batch(h, i)).expect("wal append");
            println!("WAL {h} {i}");
        }
        commit_next(&storage);
        println!("COMMIT {h}");
    }
}

/// What one child reported before it was killed.
#[derive(Default)]
struct Report {
    ready: bool,
    wal: Vec<(u64, u32)>,
    commits: Vec<u64>,
}

fn spawn_and_kill(dir: &std::path::Path, delay: Duration) -> Report {
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "kill9::child_process", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn child");
    let report = Arc::new(Mutex::new(Report::default()));
    let stdout = child.stdout.take().expect("piped stdout");
    let reader = {
        let report = Arc::clone(&report);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // libtest may print "test kill9::child_process ... " before the first line.
                let tokens: Vec<&str> = line.split_whitespace().collect();
                let start = tokens.iter().position(|t| ["READY", "WAL", "COMMIT"].contains(t)).unwrap_or(tokens.len());
                let parts = &tokens[start..];
                let mut r = report.lock().unwrap();
                match parts {
                    ["READY", _] => r.ready = true,
                    ["WAL", h, i] => r.wal.push((h.parse().unwrap(), i.parse().unwrap())),
                    ["COMMIT", h] => r.commits.push(h.parse().unwrap()),
                    _ => {}
                }
            }
        })
    };
    let started = Instant::now();
    while !report.lock().unwrap().ready {
        assert!(started.elapsed() < Duration::from_secs(60), "the child did not start");
        if let Some(status) = child.try_wait().expect("wait") {
            panic!("the child exited early: {status}");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(delay);
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    reader.join().expect("reader");
    Arc::try_unwrap(report).ok().expect("reader finished").into_inner().unwrap()
}

#[test]
fn kill9_at_any_moment_recovers() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let dir = temp_dir("kill9");
    let started = Instant::now();
    // Every WAL batch any child reported, in report order.
    let mut reported: Vec<(u64, u32)> = Vec::new();
    let mut last_height = 0;
    for (round, delay_ms) in [40u64, 3, 250, 0, 120, 500, 17, 75].into_iter().enumerate() {
        let report = spawn_and_kill(dir.path(), Duration::from_millis(delay_ms));
        reported.extend(&report.wal);

        let storage = Storage::open(dir.path(), genesis_hash()).expect("reopen after SIGKILL");
        let last = storage.last_committed().expect("genesis survived");
        let h = last.height;
        // The meta height is the highest block stored, and the batch is all or nothing.
        assert!(storage.block(h).unwrap().is_some() || h == 0, "round {round}: block {h} is stored");
        assert_eq!(storage.block(h + 1).unwrap(), None, "round {round}: nothing past height {h}");
        assert_eq!(storage.certificate(h + 1).unwrap(), None);
        assert!(storage.events(h + 1).unwrap().is_empty());
        assert_eq!(storage.receipt(h + 1, 0).unwrap(), None);
        if let Some(&c) = report.commits.last() {
            assert!(c <= h && h <= c + 1, "round {round}: the child reported commit {c}, the store is at {h}");
        }
        assert!(h >= last_height, "round {round}: height went back from {last_height} to {h}");
        last_height = h;

        // The state is exactly what replaying the stored blocks gives.
        let (mem, app_hash) = replay(&storage, h);
        assert_eq!(app_hash, last.app_hash, "round {round}: app hash at height {h}");
        assert_eq!(all_entries(&storage), all_entries(&mem), "round {round}: state at height {h}");

        // Every WAL batch reported for a height not yet committed is there, in order.
        let loaded = storage.wal_load().unwrap();
        assert!(loaded.iter().all(|e| e.height() > h), "round {round}: WAL of committed heights is removed");
        let expected: Vec<WalEntry> = reported.iter().filter(|(wh, _)| *wh > h).flat_map(|&(wh, i)| wal_batch(wh, i)).collect();
        assert!(is_subsequence(&expected, &loaded), "round {round}: reported WAL entries {expected:?} missing from {loaded:?}");
        eprintln!(
            "kill9 round {round}: killed {delay_ms} ms after start, {} commits and {} WAL batches reported, recovered at height {h} with {} WAL entries",
            report.commits.len(),
            report.wal.len(),
            loaded.len()
        );
    }
    assert!(last_height >= 3, "the children made progress: height {last_height}");
    eprintln!("kill9: {} rounds in {:.1} s, final height {last_height}", 8, started.elapsed().as_secs_f64());
}

fn is_subsequence(needle: &[WalEntry], hay: &[WalEntry]) -> bool {
    let mut it = hay.iter();
    needle.iter().all(|n| it.any(|h| h == n))
}
