//! loanctl against a running devnet (`scripts/devnet.sh`): the loan lifecycle of
//! `support::scenario` and a short load run, through the binary and the node's real HTTP API.
//!
//! Gated: set `LOANCHAIN_DEVNET_DIR` to the devnet directory (`loanchain-genesis devnet --out DIR`)
//! and, if the node is not at http://127.0.0.1:26601, `LOANCHAIN_NODE_URL`. Unset, the tests say
//! they were skipped and pass.

mod support;

use std::path::PathBuf;

use support::scenario::{lifecycle, ok_json, s};

fn devnet() -> Option<(String, PathBuf)> {
    let Some(dir) = std::env::var_os("LOANCHAIN_DEVNET_DIR").map(PathBuf::from) else {
        eprintln!("skipped: set LOANCHAIN_DEVNET_DIR (and LOANCHAIN_NODE_URL) to run loanctl against a devnet");
        return None;
    };
    let url = std::env::var("LOANCHAIN_NODE_URL").unwrap_or_else(|_| "http://127.0.0.1:26601".into());
    Some((url, dir))
}

/// A tag unique to this run, so accounts and loan ids never collide on a long-lived devnet.
fn tag() -> String {
    format!("{:x}", support::scenario::now_ms())
}

#[test]
fn loan_lifecycle_on_the_devnet() {
    let Some((url, dir)) = devnet() else { return };
    lifecycle(&url, &dir, &tag());
}

#[test]
fn short_load_on_the_devnet() {
    let Some((url, dir)) = devnet() else { return };
    let r = ok_json(&url, &["load", "--devnet", s(&dir), "--accounts", "20", "--mode", "closed", "--concurrency", "4", "--duration", "5", "--batch", "50", "--mix", "4:1"]);
    eprintln!("{r}");
    assert!(r["committed"].as_u64().unwrap() > 0, "{r}");
    assert_eq!(r["failed"], 0, "{r}");
    let l = &r["latency_ms"];
    assert!(l["p50"].as_f64().unwrap() <= l["p99"].as_f64().unwrap());
}
