//! The scenarios loanctl's process tests run, against the mock node (tests/it/mock_node.rs) and
//! against a real devnet (tests/devnet.rs).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use loanchain_contracts::seal::SealKind;
use loanchain_contracts::{Hash, SealId};
use loanchain_genesis::keys::{Key, KeyKind, read_key, write_key};
use loanchain_genesis::seal::{SealRequest, issue_seal, write_certificate};
use loanchain_genesis::{DevnetSpec, devnet};
use serde_json::Value;

/// Runs `exe` with `args` and `--node node`: exit code, stdout, stderr.
fn run(exe: &str, node: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(exe).args(args).args(["--node", node]).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Runs `loanctl` (this support module serves the tests of the client crate, where cargo names
/// that binary, and of the load generator's crate, where it names `loanchain-load`).
#[allow(clippy::option_env_unwrap)] // the panic names the crate whose tests may call it
pub fn loanctl(node: &str, args: &[&str]) -> (i32, String, String) {
    run(option_env!("CARGO_BIN_EXE_loanctl").expect("loanctl's tests run in the client crate"), node, args)
}

/// Runs `loanchain-load`.
#[allow(clippy::option_env_unwrap)] // the panic names the crate whose tests may call it
pub fn load(node: &str, args: &[&str]) -> (i32, String, String) {
    run(option_env!("CARGO_BIN_EXE_loanchain-load").expect("the load generator's tests run in its crate"), node, args)
}

#[track_caller]
fn json_of(what: (i32, String, String), args: &[&str]) -> Value {
    let (code, out, err) = what;
    assert_eq!(code, 0, "{args:?}: {out} {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

/// `loanctl ARGS --json`, which must succeed, as JSON.
#[track_caller]
pub fn ok_json(node: &str, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    json_of(loanctl(node, &all), args)
}

/// `loanchain-load ARGS --json`, which must succeed, as JSON.
#[track_caller]
pub fn load_json(node: &str, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    json_of(load(node, &all), args)
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

pub fn devnet_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("loanctl-mock-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let files = devnet(&DevnetSpec::new(2, 0, now_ms() - 3_600_000), &[7; 32]).unwrap();
    files.write(&dir, false).unwrap();
    dir
}

/// A person's account key, seal key and certificate (issued by the devnet seal authority).
pub fn person(dir: &Path, name: &str) -> (PathBuf, PathBuf, PathBuf, String) {
    let secret: [u8; 32] = Hash::digest(name.as_bytes()).0;
    let account = Key::from_secret(KeyKind::Account, secret);
    let seal = Key::from_secret(KeyKind::Seal, Hash::digest(&secret).0);
    // Written beside, never inside, the devnet directory.
    let out = std::env::temp_dir().join(format!("loanctl-people-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let (key_file, seal_file, cert_file) =
        (out.join(format!("{name}.json")), out.join(format!("{name}.seal.json")), out.join(format!("{name}.cert.json")));
    write_key(&key_file, &account, true).unwrap();
    write_key(&seal_file, &seal, true).unwrap();
    let authority = read_key(dir.join("accounts/seal-authority.json")).unwrap();
    let request = SealRequest {
        seal_id: SealId::new(format!("seal-{name}")).unwrap(),
        kind: SealKind::PersonalSeal,
        name: format!("{name} seal"),
        holder: account.account_id(),
        organisation: name.into(),
        signer_keys: vec![seal.public()],
        valid_from_ms: now_ms() - 60_000,
        valid_days: 1,
        image_digest: Hash::digest(name.as_bytes()),
    };
    write_certificate(&cert_file, &issue_seal(&authority, request).unwrap()).unwrap();
    (key_file, seal_file, cert_file, account.account_id().to_string())
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A whole loan through loanctl on the node at `n`, with the devnet keys of `dir`: register an
/// investor and a borrower, deposit, list a loan sealed by both, fund it fully (it activates),
/// show it, list claims, portfolio, repay, a failed receipt (exit 1), a 404 (exit 4),
/// `--no-wait`, prepay. `tag` makes the accounts and the loan id unique on a long-lived chain.
pub fn lifecycle(n: &str, dir: &Path, tag: &str) {
    let loan = format!("JD-{tag}");
    let status = ok_json(n, &["status"]);
    assert!(status["chain_id"].is_string());

    let inst = dir.join("accounts/institution-0.json");
    let custodian = dir.join("accounts/custodian.json");
    let (inv_key, inv_seal, inv_cert, investor) = person(dir, &format!("investor-{tag}"));
    let (bor_key, bor_seal, bor_cert, borrower) = person(dir, &format!("borrower-{tag}"));

    let r = ok_json(
        n,
        &[
            "register",
            "--key",
            s(&inst),
            "--role",
            "investor",
            "--name",
            "Li Lei",
            "--id-number",
            "110101199003074514",
            "--account-key",
            s(&inv_key),
        ],
    );
    assert_eq!(r["state"], "committed");
    assert_eq!(r["receipt"]["status"], "success");
    assert_eq!(r["account"], investor.as_str());
    assert_eq!(r["salt"].as_str().unwrap().len(), 32);
    assert!(!r.to_string().contains("110101199003074514"), "the id number never leaves");
    let pk = read_key(&bor_key).unwrap().public().to_hex();
    ok_json(
        n,
        &[
            "register",
            "--key",
            s(&inst),
            "--role",
            "borrower",
            "--name",
            "Han Meimei",
            "--id-number",
            "X1",
            "--salt",
            "s",
            "--public-key",
            &pk,
        ],
    );
    ok_json(n, &["deposit", "--key", s(&custodian), "--account", &investor, "--amount", "5000", "--reference", "bank-1"]);
    let acct = ok_json(n, &["account", &investor]);
    assert_eq!(acct["account"]["balance"], "5000.00");

    let r = ok_json(
        n,
        &[
            "loan",
            "create",
            "--key",
            s(&inst),
            "--id",
            &loan,
            "--borrower",
            &borrower,
            "--principal",
            "3000",
            "--rate",
            "0.12",
            "--periods",
            "3",
            "--method",
            "equal_principal",
            "--seal-cert",
            s(&dir.join("seals/institution-0.json")),
            "--seal-key",
            s(&dir.join("seals/institution-0.key.json")),
            "--borrower-seal-cert",
            s(&bor_cert),
            "--borrower-seal-key",
            s(&bor_seal),
        ],
    );
    assert_eq!(r["receipt"]["status"], "success", "{r}");
    let listed = ok_json(n, &["loan", "list", "--status", "funding"]);
    assert!(listed.as_array().unwrap().iter().any(|l| l["id"] == loan.as_str()), "{listed}");
    let (code, out, _) = loanctl(n, &["loan", "list"]);
    assert!(code == 0 && out.contains(&loan) && out.contains("funding"), "{out}");

    let r = ok_json(
        n,
        &["loan", "fund", &loan, "--key", s(&inv_key), "--amount", "3000", "--seal-cert", s(&inv_cert), "--seal-key", s(&inv_seal)],
    );
    assert_eq!(r["receipt"]["status"], "success", "{r}");
    let shown = ok_json(n, &["loan", "show", &loan]);
    assert_eq!(shown["loan"]["status"], "active");
    assert_eq!(shown["claims"].as_array().unwrap().len(), 1);
    let claims = ok_json(n, &["claims", "list", "--key", s(&inv_key)]);
    assert_eq!(claims[0]["claim"]["outstanding"], "3000.00");
    let p = ok_json(n, &["portfolio", "--account", &investor]);
    assert_eq!(p["totals"]["expected_principal"], "3000.00");
    assert_eq!(p["totals"]["expected_interest"], "60.00", "1 %/month on 3000, 2000, 1000");
    assert_eq!(p["balance"], "2000.00");

    // Repay what is due now: nothing yet, so the first installment (1,000 + 30).
    let r = ok_json(n, &["loan", "repay", &loan, "--key", s(&bor_key)]);
    assert_eq!(r["amount"], "1030.00");
    assert_eq!(r["receipt"]["status"], "success", "{r}");
    let p = ok_json(n, &["portfolio", "--key", s(&inv_key)]);
    assert_eq!(p["totals"]["principal_received"], "1000.00");
    assert_eq!(p["totals"]["expected_interest"], "30.00");

    // A failed receipt exits 1 and says why; a 4xx exits 4; --no-wait returns the hash.
    let (code, out, err) =
        loanctl(n, &["withdraw", "--key", s(&custodian), "--account", &investor, "--amount", "999999", "--reference", "w", "--json"]);
    assert_eq!(code, 1, "{out} {err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(v["receipt"]["status"]["failed"]["code"].is_string(), "{v}");
    let (code, _, err) = loanctl(n, &["loan", "show", "NOPE"]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("not_found"), "{err}");
    let r = ok_json(n, &["deposit", "--key", s(&custodian), "--account", &investor, "--amount", "1", "--reference", "b", "--no-wait"]);
    assert_eq!(r["state"], "submitted");
    let hash = r["tx_hash"].as_str().unwrap().to_string();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let t = ok_json(n, &["tx", "status", &hash]);
    assert_eq!(t["state"], "committed");
    // 债权转让: the investor sells its claim to Carol, who consents with her own key.
    let (carol_key, _, _, carol) = person(dir, &format!("carol-{tag}"));
    ok_json(
        n,
        &["register", "--key", s(&inst), "--role", "investor", "--name", "Carol", "--id-number", "C1", "--account-key", s(&carol_key)],
    );
    ok_json(n, &["deposit", "--key", s(&custodian), "--account", &carol, "--amount", "2500", "--reference", "c"]);
    let claim = format!("{loan}#0");
    let (code, _, err) = loanctl(
        n,
        &["claims", "transfer", &claim, "--to", &investor, "--price", "1990", "--key", s(&inv_key), "--buyer-key", s(&carol_key)],
    );
    assert!(code == 1 && err.contains("--buyer-key"), "the buyer key must be --to's: {err}");
    let r =
        ok_json(n, &["claims", "transfer", &claim, "--to", &carol, "--price", "1990", "--key", s(&inv_key), "--buyer-key", s(&carol_key)]);
    assert_eq!(r["receipt"]["status"], "success", "{r}");
    let held = ok_json(n, &["claims", "list", "--holder", &carol]);
    assert_eq!(held[0]["claim"]["outstanding"], "2000.00", "{held}");
    assert_eq!(ok_json(n, &["account", &carol])["account"]["balance"], "510.00");
    // The tables for a person print without error.
    for args in [
        &["status"][..],
        &["loan", "show", &loan],
        &["loan", "history", &loan],
        &["portfolio", "--account", &carol],
        &["claims", "list", "--holder", &carol],
        &["account", &carol],
    ] {
        let (code, out, err) = loanctl(n, args);
        assert!(code == 0 && !out.is_empty(), "{args:?}: {out} {err}");
    }
    // Signing without --key, or with a key of the wrong kind, is a clear error (exit 1).
    let (code, _, err) = loanctl(n, &["loan", "prepay", &loan]);
    assert!(code == 1 && err.contains("--key"), "{err}");
    let (code, _, err) = loanctl(n, &["loan", "prepay", &loan, "--key", s(&bor_seal)]);
    assert!(code == 1 && err.contains("account"), "{err}");
    // The borrower holds 3,000 − 1,030 and owes 2,000 of principal plus the current interest.
    let (code, _, err) = loanctl(n, &["loan", "prepay", &loan, "--key", s(&bor_key)]);
    assert!(code == 1 && err.contains("insufficient_balance"), "{err}");
    ok_json(n, &["deposit", "--key", s(&custodian), "--account", &borrower, "--amount", "100", "--reference", "b"]);
    let r = ok_json(n, &["loan", "prepay", &loan, "--key", s(&bor_key)]);
    assert_eq!(r["receipt"]["status"], "success", "{r}");
    assert_eq!(ok_json(n, &["loan", "show", &loan])["loan"]["status"], "repaid");
}
