//! loanctl against a running devnet (`scripts/devnet.sh`): the loan lifecycle of
//! `support::scenario`, through the binary and the node's real HTTP API.
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
fn an_exported_contract_verifies_and_a_tampered_copy_names_the_bad_seal() {
    let Some((url, dir)) = devnet() else { return };
    // A loan with seals: the lifecycle lists and funds one.
    lifecycle(&url, &dir, &format!("x{}", tag()));
    let loans = ok_json(&url, &["loan", "list"]);
    // A loan every party has sealed: one with claims (investor seals).
    let id = loans
        .as_array()
        .and_then(|a| a.iter().rev().find(|l| l["loan"]["claim_count"].as_u64().unwrap_or(0) > 0))
        .and_then(|l| l["id"].as_str())
        .expect("a funded loan on the devnet")
        .to_string();
    let out_dir = tempfile_dir();
    let file = out_dir.join("contract.json");
    ok_json(&url, &["contract", "export", &id, "--out", s(&file)]);
    let genesis = dir.join("genesis.json");
    let (code, out, err) = support::scenario::loanctl(&url, &["contract", "verify", s(&file), "--genesis", s(&genesis)]);
    assert_eq!(code, 0, "the exported contract verifies: {out} {err}");
    // Flip one hex digit of the first seal signature.
    let text = std::fs::read_to_string(&file).unwrap();
    let at = text.find("\"signature\"").expect("a seal signature") + "\"signature\"".len();
    let quote = at + text[at..].find('"').unwrap() + 1;
    let mut bytes = text.into_bytes();
    bytes[quote] = if bytes[quote] == b'0' { b'1' } else { b'0' };
    let tampered = out_dir.join("tampered.json");
    std::fs::write(&tampered, bytes).unwrap();
    let (code, out, err) = support::scenario::loanctl(&url, &["contract", "verify", s(&tampered), "--genesis", s(&genesis)]);
    assert_eq!(code, 3, "a tampered contract fails verification: {out} {err}");
    let said = format!("{out}{err}").to_lowercase();
    assert!(said.contains("seal"), "the failure names the seal: {out} {err}");
    std::fs::remove_dir_all(out_dir).ok();
}

fn tempfile_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("loanctl-devnet-{}", tag()));
    std::fs::create_dir_all(&d).unwrap();
    d
}
