//! loanctl's network commands and `load`, run as a process against a mock node (tests/support:
//! the real contracts state machine behind the node's API types, a block every 50 ms): a whole
//! loan lifecycle from registration to repayment, a failed receipt (exit 1), a 4xx (exit 4),
//! `--no-wait`, and both load modes with their JSON report.

use crate::support::MockNode;
use crate::support::scenario::{devnet_dir, lifecycle, loanctl, ok_json, s};

#[test]
fn a_loan_lifecycle_through_loanctl() {
    let dir = devnet_dir("lifecycle");
    let node = MockNode::start(&dir);
    lifecycle(&node.url, &dir, "1");
}

#[test]
fn a_node_that_is_not_there_is_a_runtime_error() {
    let (code, _, err) = loanctl("http://127.0.0.1:9", &["status", "--timeout", "2"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("cannot reach"), "{err}");
    let (code, _, err) = loanctl("ftp://x", &["status"]);
    assert_eq!(code, 1, "{err}");
}

#[test]
fn load_reports_both_modes_as_json() {
    let dir = devnet_dir("load");
    let node = MockNode::start(&dir);
    let n = node.url.as_str();
    let d = s(&dir);
    let r = ok_json(n, &["load", "--devnet", d, "--accounts", "5", "--mode", "closed", "--concurrency", "2", "--duration", "2", "--loans", "2", "--batch", "20"]);
    for key in ["submitted", "committed", "failed", "rejected", "duration_s", "committed_tps", "concurrency"] {
        assert!(r[key].is_number(), "{key}: {r}");
    }
    assert_eq!(r["mode"], "closed");
    assert!(r["committed"].as_u64().unwrap() > 0, "{r}");
    assert_eq!(r["failed"], 0, "{r}");
    assert_eq!(r["rejected"], 0, "{r}");
    let l = &r["latency_ms"];
    let f = |k: &str| l[k].as_f64().unwrap();
    assert!(f("p50") > 0.0 && f("p50") <= f("p90") && f("p90") <= f("p99") && f("p99") <= f("max"), "{r}");

    let r = ok_json(n, &["load", "--devnet", d, "--accounts", "3", "--mode", "open", "--rate", "200", "--duration", "2", "--mix", "1:1", "--batch", "10"]);
    assert_eq!(r["mode"], "open");
    assert_eq!(r["rate"], 200);
    assert!(r["committed"].as_u64().unwrap() >= 300, "{r}");
    assert_eq!(r["failed"], 0, "{r}");
}
