//! loanchain-load run as a process against the mock node of loanctl's tests (the real contracts
//! state machine behind the node's API types, a block every 50 ms): both load modes and their
//! JSON report.

#[path = "../../tests/support/mod.rs"]
mod support;

use support::MockNode;
use support::scenario::{devnet_dir, load, load_json, s};

#[test]
fn both_modes_report_as_json() {
    let dir = devnet_dir("load");
    let node = MockNode::start(&dir);
    let n = node.url.as_str();
    let d = s(&dir);
    let r = load_json(
        n,
        &["--devnet", d, "--accounts", "5", "--mode", "closed", "--concurrency", "2", "--duration", "2", "--loans", "2", "--batch", "20"],
    );
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

    let r = load_json(
        n,
        &["--devnet", d, "--accounts", "3", "--mode", "open", "--rate", "200", "--duration", "2", "--mix", "1:1", "--batch", "10"],
    );
    assert_eq!(r["mode"], "open");
    assert_eq!(r["rate"], 200);
    assert!(r["committed"].as_u64().unwrap() >= 300, "{r}");
    assert_eq!(r["failed"], 0, "{r}");
}

#[test]
fn usage_errors_exit_2_and_a_missing_node_exits_1() {
    let (code, _, err) = load("http://127.0.0.1:9", &["--devnet", "d", "--mode", "open"]);
    assert_eq!(code, 2, "--rate is required in open mode: {err}");
    let dir = devnet_dir("load-unreachable");
    let (code, _, err) = load("http://127.0.0.1:9", &["--devnet", s(&dir), "--mode", "closed", "--concurrency", "1", "--timeout", "2"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("cannot reach"), "{err}");
}
