//! loanctl's network commands, run as a process against a mock node (tests/support:
//! the real contracts state machine behind the node's API types, a block every 50 ms): a whole
//! loan lifecycle from registration to repayment, a failed receipt (exit 1), a 4xx (exit 4),
//! and `--no-wait`.

use crate::support::MockNode;
use crate::support::scenario::{devnet_dir, lifecycle, loanctl};

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
