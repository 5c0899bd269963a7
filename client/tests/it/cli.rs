//! loanctl's offline commands, run as a process: the schedule preview, keys, and `contract verify`
//! of a contract sealed by three parties and timestamped by a real commit certificate of a devnet
//! genesis; tampering is caught and the failing seal named; bad arguments are usage errors.

use std::path::{Path, PathBuf};
use std::process::Command;

use loanchain_contracts::document::ContractDocument;
use loanchain_contracts::export::{ExportedContract, SealedBy};
use loanchain_contracts::seal::{ChainTimestamp, SealProperty, SealSignature};
use loanchain_contracts::test_utils::CertBuilder;
use loanchain_contracts::{Amount, Hash, Keypair, LoanId, Rate, RepaymentMethod, RiskGrade};
use loanchain_genesis::{DevnetSpec, devnet};
use loanchain_types::{CommitCertificate, SignedVote, ValidatorIndex, Vote, VoteKind};

const T0: u64 = 1_767_225_600_000;

fn loanctl(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_loanctl")).args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("loanctl-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn schedule_preview_matches_the_chain_and_prints_json() {
    let (code, out, err) =
        loanctl(&["schedule", "--method", "equal_installment", "--principal", "100000", "--rate", "0.12", "--periods", "12", "--json"]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(lines.len(), 12);
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(l["period"], serde_json::json!(i + 1));
        for key in ["principal", "interest", "payment"] {
            assert!(l[key].is_string(), "{key} is a string: {l}");
        }
    }
    // DESIGN §6: 100,000.00 at 12 % over 12 months pays 8,884.88 a month.
    assert_eq!(lines[0]["payment"], "8884.88");
    let (code, out, _) = loanctl(&["schedule", "--method", "bullet", "--principal", "1000", "--rate", "0.1", "--periods", "6"]);
    assert_eq!(code, 0);
    assert!(out.contains("period") && out.contains("1050.00"), "{out}");
}

#[test]
fn bad_arguments_are_usage_errors_or_clear_failures_never_panics() {
    for args in [
        &["schedule", "--principal", "1"][..],
        &["nope"],
        &["schedule", "--method", "weekly", "--principal", "1", "--rate", "0", "--periods", "1"],
        &[],
    ] {
        let (code, _, err) = loanctl(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!((err.contains("error:") || err.contains("Usage")) && !err.contains("panicked"), "{err}");
    }
    for (args, says) in [
        (&["schedule", "--method", "bullet", "--principal", "abc", "--rate", "0.1", "--periods", "6"][..], "principal"),
        (&["schedule", "--method", "bullet", "--principal", "10.001", "--rate", "0.1", "--periods", "6"], "decimal places"),
        (&["schedule", "--method", "bullet", "--principal", "10", "--rate", "0.1", "--periods", "0"], "periods"),
        (&["keys", "show", "/nonexistent/key.json"], "cannot read"),
    ] {
        let (code, _, err) = loanctl(args);
        assert_eq!(code, 1, "{args:?}");
        assert!(err.contains(says) && !err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn keys_generate_and_show_round_trip() {
    let dir = temp_dir("keys");
    let file = dir.join("alice.json");
    let (code, out, err) = loanctl(&["keys", "generate", "--out", file.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{err}");
    let made: serde_json::Value = serde_json::from_str(&out).unwrap();
    let (code, out, _) = loanctl(&["keys", "show", file.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0);
    let shown: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(made, shown);
    assert!(!std::fs::read_to_string(&file).unwrap().is_empty());
    assert!(!out.contains("secret"), "never print the secret");
    let (code, _, err) = loanctl(&["keys", "generate", "--out", file.to_str().unwrap()]);
    assert_eq!(code, 1, "refuses to overwrite: {err}");
}

/// A devnet genesis (4 validators), and a contract sealed by borrower, institution and one
/// investor, each seal timestamped at height 7 by a certificate of validators 0..3.
fn sealed_contract(dir: &Path, signers: usize) -> (PathBuf, ExportedContract) {
    let files = devnet(&DevnetSpec::new(4, 0, T0), &[9; 32]).unwrap();
    let genesis_path = dir.join("genesis.json");
    files.genesis.save(&genesis_path).unwrap();
    let key = |stem: &str| files.accounts.iter().find(|(s, _)| s == stem).unwrap().1.clone();
    let authority = key("seal-authority");
    let institution = key("institution-0");
    let inst_seal = files.seals.iter().find(|s| s.stem == "institution-0").unwrap();
    let borrower = Keypair::from_secret([21; 32]);
    let investor = Keypair::from_secret([22; 32]);
    let cert_for = |holder: &Keypair, seal_key: &Keypair, id: &str| {
        CertBuilder::new(id, holder, authority.keypair())
            .name(format!("seal {id}"))
            .organisation("person")
            .signer_keys(vec![seal_key.public()])
            .valid(T0, T0 + 365 * 86_400_000)
            .issue()
    };
    let doc = ContractDocument {
        version: 1,
        chain_id: files.genesis.chain_id.clone(),
        loan_id: LoanId::new("JD-2026-0001").unwrap(),
        borrower: borrower.public().account_id(),
        institution: institution.account_id(),
        principal: "30000".parse::<Amount>().unwrap(),
        annual_rate: "0.12".parse::<Rate>().unwrap(),
        periods: 12,
        method: RepaymentMethod::EqualInstallment,
        grade: RiskGrade::B,
        funding_deadline: T0 + 86_400_000,
        min_investment: "100".parse().unwrap(),
        purpose: "working capital".into(),
        terms_digest: Hash::digest(b"terms"),
    };
    let property = || SealProperty { contract_id: doc.loan_id.clone(), contract_version: 1 };
    let block_hash = Hash::digest(b"block 7");
    let votes: Vec<SignedVote> = files.nodes[..signers]
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let vote =
                Vote { height: 7, round: 0, kind: VoteKind::Precommit, block_hash: Some(block_hash), validator: ValidatorIndex(i as u32) };
            SignedVote::sign(n.consensus_key.as_ref().unwrap().keypair(), &files.genesis.chain_id, vote)
        })
        .collect();
    let cert = CommitCertificate::from_precommits(7, 0, block_hash, &votes);
    let ts = ChainTimestamp { height: 7, block_hash, block_time: T0 + 7_000, commit_certificate: bcs::to_bytes(&cert).unwrap() };
    let digest = doc.digest();
    let b_key = Keypair::from_secret([31; 32]);
    let v_key = Keypair::from_secret([32; 32]);
    let seals = vec![
        (
            "borrower",
            borrower.public().account_id(),
            SealSignature::sign(cert_for(&borrower, &b_key, "P-B"), &b_key, T0 + 6_000, digest, property()),
        ),
        (
            "institution",
            institution.account_id(),
            SealSignature::sign(inst_seal.certificate.clone(), inst_seal.seal_key.keypair(), T0 + 6_000, digest, property()),
        ),
        (
            "investor",
            investor.public().account_id(),
            SealSignature::sign(cert_for(&investor, &v_key, "P-I"), &v_key, T0 + 6_500, digest, property()),
        ),
    ];
    let seals = seals
        .into_iter()
        .map(|(party, account, seal)| SealedBy {
            party: party.into(),
            account,
            seal,
            tx_hash: Hash::digest(party.as_bytes()),
            chain_timestamp: Some(ts.clone()),
        })
        .collect();
    (genesis_path, ExportedContract::new(doc, seals, Vec::new()))
}

fn verify(dir: &Path, genesis: &Path, export: &ExportedContract, json: bool) -> (i32, String, String) {
    let file = dir.join("contract.json");
    std::fs::write(&file, export.to_json_pretty()).unwrap();
    let mut args = vec!["contract", "verify", file.to_str().unwrap(), "--genesis", genesis.to_str().unwrap()];
    if json {
        args.push("--json");
    }
    loanctl(&args)
}

#[test]
fn contract_verify_accepts_a_good_contract_and_names_the_bad_seal() {
    let dir = temp_dir("verify");
    let (genesis, good) = sealed_contract(&dir, 3);
    let (code, out, err) = verify(&dir, &genesis, &good, false);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("all 3 seals verify"), "{out}");

    // The investor's seal altered after signing: exit 3, the investor's seal named.
    let mut bad = good.clone();
    bad.seals[2].seal.signature.0[10] ^= 1;
    let (code, out, _) = verify(&dir, &genesis, &bad, false);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("the investor seal P-I fails") && out.contains("signer_signature"), "{out}");

    // The document changed (principal): every seal fails its digest; the first named is the borrower's.
    let mut bad = good.clone();
    bad.document.principal = "90000".parse().unwrap();
    let (code, out, _) = verify(&dir, &genesis, &bad, true);
    assert_eq!(code, 3);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["ok"], false);
    for s in v["report"]["seals"].as_array().unwrap() {
        assert_eq!(s["check"], "document_digest", "{s}");
    }
}

#[test]
fn contract_verify_rejects_a_timestamp_without_a_quorum() {
    let dir = temp_dir("quorum");
    // Two of four validators signed: not more than 2/3 of the voting power.
    let (genesis, weak) = sealed_contract(&dir, 2);
    let (code, out, _) = verify(&dir, &genesis, &weak, false);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("chain_timestamp"), "{out}");
}

#[test]
fn contract_verify_refuses_garbage_with_a_clear_error() {
    let dir = temp_dir("garbage");
    let (genesis, _) = sealed_contract(&dir, 3);
    let file = dir.join("garbage.json");
    std::fs::write(&file, "{ not json").unwrap();
    let (code, _, err) = loanctl(&["contract", "verify", file.to_str().unwrap(), "--genesis", genesis.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("not an exported contract") && !err.contains("panicked"), "{err}");
}
