//! loanchain-load against a running devnet (`scripts/devnet.sh`), through the binary and the
//! node's real HTTP API.
//!
//! Gated: set `LOANCHAIN_DEVNET_DIR` to the devnet directory (`loanchain-genesis devnet --out DIR`)
//! and, if the node is not at http://127.0.0.1:26601, `LOANCHAIN_NODE_URL`. Unset, the test says
//! it was skipped and passes.

#[path = "../../tests/support/mod.rs"]
mod support;

use std::path::PathBuf;

use support::scenario::{load_json, s};

#[test]
fn short_load_on_the_devnet() {
    let Some(dir) = std::env::var_os("LOANCHAIN_DEVNET_DIR").map(PathBuf::from) else {
        eprintln!("skipped: set LOANCHAIN_DEVNET_DIR (and LOANCHAIN_NODE_URL) to run loanchain-load against a devnet");
        return;
    };
    let url = std::env::var("LOANCHAIN_NODE_URL").unwrap_or_else(|_| "http://127.0.0.1:26601".into());
    // --spread: the batches go to every validator in turn, and gossip brings them to the proposers.
    let r = load_json(
        &url,
        &[
            "--devnet",
            s(&dir),
            "--accounts",
            "20",
            "--mode",
            "closed",
            "--concurrency",
            "4",
            "--duration",
            "5",
            "--batch",
            "50",
            "--mix",
            "4:1",
            "--spread",
        ],
    );
    eprintln!("{r}");
    assert!(r["committed"].as_u64().unwrap() > 0, "{r}");
    assert_eq!(r["failed"], 0, "{r}");
    let l = &r["latency_ms"];
    assert!(l["p50"].as_f64().unwrap() <= l["p99"].as_f64().unwrap());
}
