//! Block times with real processes (DESIGN §8, "Block time"; issue 16, weakness 12): one of four
//! validators runs with its clock 30 s behind (libfaketime, `FAKETIME=-30s`), so it stamps its
//! blocks `last + 1 ms`, the attack of the issue. With a commit pause of 4 s its blocks are more
//! than 4 s old when they are proposed; precision 500 ms and message delay 1 s refuse them. Ports
//! 27800–27807.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use loanchain_consensus::message_delay_in_round;
use loanchain_types::ValidatorIndex;

use crate::common::{Cluster, SERIAL, now_ms};

/// Debian's libfaketime (package `libfaketime`, which scripts/test.sh installs).
const FAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";
const PRECISION_MS: u64 = 500;
const DELAY_MS: u64 = 1_000;
const COMMIT_PAUSE_MS: u64 = 4_000;
/// What the observation adds to a block's age: from a correct validator's receipt to its commit
/// (validation, two vote exchanges on loopback), and the 100 ms between polls.
const SLACK_MS: u64 = 1_000;
const HEIGHTS: u64 = 10;

/// Unix ms of the first `YYYY-MM-DDTHH:MM:SS.ffffffZ` in `log` (tracing's timestamps, read from
/// the process's own clock).
fn first_timestamp_ms(log: &str) -> Option<u64> {
    let b = log.as_bytes();
    let num = |s: &[u8]| -> Option<u64> { std::str::from_utf8(s).ok()?.parse().ok() };
    (0..b.len().saturating_sub(20)).find_map(|i| {
        let s = &b[i..i + 20];
        let shape = s[4] == b'-' && s[7] == b'-' && s[10] == b'T' && s[13] == b':' && s[16] == b':' && s[19] == b'.';
        if !shape || !s[..4].iter().all(u8::is_ascii_digit) {
            return None;
        }
        let (y, m, d) = (num(&s[..4])? as i64, num(&s[5..7])? as i64, num(&s[8..10])? as i64);
        let (hh, mm, ss) = (num(&s[11..13])?, num(&s[14..16])?, num(&s[17..19])?);
        let millis = num(&b[i + 20..i + 23])?;
        // Days from the civil date (H. Hinnant's algorithm).
        let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * m + 2) / 5 + d - 1;
        let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
        Some(days as u64 * 86_400_000 + ((hh * 60 + mm) * 60 + ss) * 1_000 + millis)
    })
}

/// `log` without its ANSI colour sequences.
fn plain(log: &str) -> String {
    let mut out = String::with_capacity(log.len());
    let mut chars = log.chars();
    while let Some(ch) = chars.next() {
        if ch == '\u{1b}' {
            chars.by_ref().find(|c| c.is_ascii_alphabetic());
        } else {
            out.push(ch);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validator_whose_clock_is_30_s_behind_gets_no_backdated_block_committed() {
    let _serial = SERIAL.lock().await;
    assert!(Path::new(FAKETIME).is_file(), "{FAKETIME} is missing: install libfaketime (scripts/test.sh does)");
    let mut c = Cluster::with_consensus(4, 0, 27_800, |p| {
        p.max_clock_drift_ms = PRECISION_MS;
        p.message_delay_ms = DELAY_MS;
        p.timeout_commit_ms = COMMIT_PAUSE_MS;
    });
    c.start_with_env(0, &[("LD_PRELOAD", FAKETIME), ("FAKETIME", "-30s"), ("FAKETIME_DONT_FAKE_MONOTONIC", "1")]);
    for i in 1..4 {
        c.start(i);
    }
    // When each height first shows at validator-1 (a correct clock), polled every 100 ms.
    let mut seen: BTreeMap<u64, u64> = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(150);
    loop {
        let height = c.height(1).await.unwrap_or(0);
        seen.entry(height).or_insert_with(now_ms);
        if height >= HEIGHTS {
            break;
        }
        assert!(Instant::now() < deadline, "only {height} of {HEIGHTS} heights in 150 s; validator-1 log:\n{}", c.log(1));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The faked clock reached the binary: validator-0 logs 30 s earlier than validator-1.
    let (behind, honest) = (first_timestamp_ms(&c.log(0)), first_timestamp_ms(&c.log(1)));
    let skew = honest.zip(behind).map(|(h, b)| h as i64 - b as i64);
    assert!(skew.is_some_and(|s| (25_000..35_000).contains(&s)), "validator-0's clock is not 30 s behind: {skew:?} ms");

    let (mut wrong, mut oldest) = (Vec::new(), i64::MIN);
    for h in 2..=HEIGHTS {
        let b = c.block(1, h).await.unwrap_or_else(|| panic!("validator-1 has no block {h}"));
        let round = b.certificate.as_ref().map_or(0, |cert| cert.round);
        if b.header.proposer == ValidatorIndex(0) {
            wrong.push(format!("height {h}: proposed by validator-0 (round {round}), time {}", b.header.time_ms));
        }
        // Heights seen as they appeared (not two between polls): their age at commit.
        if let Some(at) = seen.get(&h) {
            let age = *at as i64 - b.header.time_ms as i64;
            oldest = oldest.max(age);
            let bound = (PRECISION_MS + message_delay_in_round(DELAY_MS, round) + SLACK_MS) as i64;
            if age.abs() > bound {
                wrong.push(format!(
                    "height {h}: {age} ms old when committed, bound {bound} (proposer {}, round {round})",
                    b.header.proposer
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "blocks with times off the wall clock were committed:\n{}", wrong.join("\n"));
    // Not vacuous: validator-0 did propose, and the correct validators refused its proposals as
    // not timely (and it refused theirs, 30 s ahead of its clock).
    let refusals = |i: usize, proposer: &str| {
        plain(&c.log(i)).lines().filter(|l| l.contains("proposal not timely") && l.contains(&format!("proposer={proposer} "))).count()
    };
    let refused = refusals(1, "#0") + refusals(2, "#0") + refusals(3, "#0");
    assert!(refused >= 3, "the correct validators refused only {refused} of validator-0's proposals: it proposed too rarely to tell");
    assert!(refusals(0, "#1") + refusals(0, "#2") + refusals(0, "#3") > 0, "validator-0 found every correct proposal timely");
    // The validator with the wrong clock still follows the chain (its votes for correct blocks
    // count; only its own proposals are refused).
    c.wait_height(&[0], HEIGHTS, Duration::from_secs(30)).await;
    println!(
        "{HEIGHTS} heights; validator-0's proposals refused {refused} times by the others, none committed; oldest block at \
         commit {oldest} ms; validator-0's clock {} ms behind",
        skew.unwrap_or_default()
    );
}
