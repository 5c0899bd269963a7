//! The `loanchain-genesis` binary, run in temporary directories under `std::env::temp_dir()`.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use loanchain_contracts::seal::{SealCertificate, SealKind};
use loanchain_contracts::{Hash, Role};
use loanchain_genesis::{Genesis, KeyKind, NodeConfig, NodeRole, read_key};

use crate::temp_dir;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loanchain-genesis")).args(args).env_remove("RUST_BACKTRACE").output().expect("the binary runs")
}

fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn ok(args: &[&str]) -> String {
    let out = run(args);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{args:?} failed: {stdout}{stderr}");
    stdout
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn devnet_writes_every_file_and_refuses_to_overwrite() {
    let dir = temp_dir("cli-devnet");
    let out = dir.join("net");
    let o = out.to_str().unwrap();
    let summary = ok(&["devnet", "--validators", "4", "--observers", "1", "--out", o, "--base-port", "27000"]);
    assert!(summary.contains("validator-3") && summary.contains("observer-0"), "{summary}");

    let g = Genesis::load(out.join("genesis.json")).unwrap();
    assert_eq!((g.validators.len(), g.observers.len()), (4, 1));
    assert!(summary.contains(&g.hash().to_hex()), "the summary prints the genesis hash");
    for (i, name) in ["validator-0", "validator-1", "validator-2", "validator-3", "observer-0"].iter().enumerate() {
        let node_dir = out.join(name);
        let c = NodeConfig::load(node_dir.join("config.json")).unwrap();
        assert_eq!(c.p2p_listen, format!("/ip4/127.0.0.1/tcp/{}", 27_000 + 2 * i));
        assert_eq!(c.api_listen.to_string(), format!("127.0.0.1:{}", 27_001 + 2 * i));
        assert_eq!(c.peers.len(), 4);
        assert_eq!(c.genesis_hash, g.hash());
        assert_eq!(read_key(node_dir.join("node.json")).unwrap().kind(), KeyKind::Node);
        let validator = i < 4;
        assert_eq!(c.role, if validator { NodeRole::Validator } else { NodeRole::Observer });
        assert_eq!(node_dir.join("consensus.json").exists(), validator);
        #[cfg(unix)]
        assert_eq!(mode(&node_dir.join("node.json")), 0o600, "secret keys are private");
    }
    let accounts = ["custodian", "regulator", "seal-authority", "institution-0", "institution-1", "institution-2", "institution-3"];
    for stem in accounts {
        let key = read_key(out.join(format!("accounts/{stem}.json"))).unwrap();
        assert!(g.accounts.iter().any(|a| a.public_key == key.public()), "{stem} is a genesis account");
    }
    let authority = read_key(out.join("accounts/seal-authority.json")).unwrap();
    for i in 0..4 {
        let cert = loanchain_genesis::seal::read_certificate(out.join(format!("seals/institution-{i}.json"))).unwrap();
        assert_eq!(cert.body.issuer, authority.public());
        assert_eq!(cert.body.holder, g.validators[i].institution);
        let image = std::fs::read(out.join(format!("seals/institution-{i}.svg"))).unwrap();
        assert_eq!(cert.body.image_digest, Hash::digest(&image));
        let seal_key = read_key(out.join(format!("seals/institution-{i}.key.json"))).unwrap();
        assert_eq!(cert.body.signer_keys, vec![seal_key.public()]);
    }

    let again = run(&["devnet", "--validators", "4", "--out", o]);
    let (_, stderr) = text(&again);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr.contains("already exists") && stderr.contains("--force"), "{stderr}");
    assert_eq!(Genesis::load(out.join("genesis.json")).unwrap(), g, "nothing was touched");

    ok(&["devnet", "--validators", "2", "--observers", "0", "--out", o, "--force", "--chain-id", "loanchain-other"]);
    let g2 = Genesis::load(out.join("genesis.json")).unwrap();
    assert_eq!((g2.validators.len(), g2.chain_id.as_str()), (2, "loanchain-other"));
    assert!(!out.join("validator-3").exists(), "--force replaces the old devnet");

    // --force does not delete a directory that is not a devnet.
    let unrelated = dir.join("unrelated");
    std::fs::create_dir_all(&unrelated).unwrap();
    std::fs::write(unrelated.join("precious.txt"), "keep").unwrap();
    let refused = run(&["devnet", "--validators", "1", "--out", unrelated.to_str().unwrap(), "--force"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(unrelated.join("precious.txt").exists());

    let v = ok(&["validate", out.join("genesis.json").to_str().unwrap()]);
    assert!(v.contains(&g2.hash().to_hex()), "{v}");
    std::fs::write(dir.join("broken.json"), g2.to_json().replace("\"voting_power\": 1", "\"voting_power\": 0")).unwrap();
    let bad = run(&["validate", dir.join("broken.json").to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad).1.contains("voting power 0"), "{}", text(&bad).1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn keys_generate_and_show_round_trip_without_printing_secrets() {
    let dir = temp_dir("cli-keys");
    for kind in ["account", "consensus", "node", "seal"] {
        let path = dir.join(format!("{kind}.json"));
        let p = path.to_str().unwrap();
        ok(&["keys", "generate", "--kind", kind, "--out", p]);
        let key = read_key(&path).unwrap();
        assert_eq!(key.kind().name(), kind);
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o600);
        let shown = ok(&["keys", "show", p]);
        assert!(shown.contains(kind) && shown.contains(&key.public().to_hex()), "{shown}");
        let secret = hex::encode(key.keypair().secret_bytes());
        assert!(!shown.contains(&secret), "show never prints the secret");
        match key.kind() {
            KeyKind::Account => assert!(shown.contains(&key.account_id().to_string())),
            KeyKind::Node => assert!(shown.contains(&key.peer_id().to_string())),
            _ => {}
        }
        let again = run(&["keys", "generate", "--kind", kind, "--out", p]);
        assert_eq!(again.status.code(), Some(1), "an existing key file is not overwritten");
        assert_eq!(read_key(&path).unwrap().public(), key.public());
    }
    let a = read_key(dir.join("account.json")).unwrap();
    ok(&["keys", "generate", "--kind", "account", "--out", dir.join("account.json").to_str().unwrap(), "--force"]);
    assert_ne!(read_key(dir.join("account.json")).unwrap().public(), a.public(), "--force writes a fresh key");
    std::fs::write(dir.join("junk.json"), "{\"kind\": \"node\"}").unwrap();
    let junk = run(&["keys", "show", dir.join("junk.json").to_str().unwrap()]);
    assert_eq!(junk.status.code(), Some(1));
    assert!(text(&junk).1.contains("not a valid key file"), "{}", text(&junk).1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn seal_issue_makes_a_certificate_the_contracts_crate_accepts() {
    let dir = temp_dir("cli-seal");
    let p = |name: &str| dir.join(name).to_str().unwrap().to_string();
    ok(&["keys", "generate", "--kind", "account", "--out", &p("authority.json")]);
    ok(&["keys", "generate", "--kind", "account", "--out", &p("holder.json")]);
    ok(&["keys", "generate", "--kind", "seal", "--out", &p("seal.json")]);
    let extra = read_key(p("seal.json")).unwrap();
    let holder = read_key(p("holder.json")).unwrap().account_id().to_string();
    std::fs::write(p("image.png"), b"not really a png, but bytes to hash").unwrap();
    let other_signer = loanchain_contracts::Keypair::from_secret([5; 32]).public().to_hex();
    let common = |image: &str| -> Vec<String> {
        [
            "seal",
            "issue",
            "--authority-key",
            &p("authority.json"),
            "--holder",
            &holder,
            "--signer-key",
            &p("seal.json"),
            "--signer-key",
            &other_signer,
            "--seal-id",
            "CFCA-2026-0001",
            "--name",
            "合同专用章",
            "--organisation",
            "Example Micro-Credit Co.",
            "--kind",
            "contract",
            "--valid-from-ms",
            "1767225600000",
            "--valid-days",
            "365",
            "--image",
            image,
        ]
        .map(String::from)
        .to_vec()
    };
    // To stdout, image from a file.
    let args = common(&p("image.png"));
    let stdout = ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let cert: SealCertificate = serde_json::from_str(&stdout).unwrap();
    cert.verify_issuer_signature().unwrap();
    assert_eq!(cert.body.kind, SealKind::ContractSeal);
    assert_eq!(cert.body.holder.to_string(), holder);
    assert_eq!(cert.body.signer_keys[0], extra.public());
    assert_eq!(cert.body.signer_keys[1].to_hex(), other_signer);
    assert_eq!(cert.body.valid_to, 1_767_225_600_000 + 365 * 86_400_000);
    assert_eq!(cert.body.image_digest, Hash::digest(b"not really a png, but bytes to hash"));
    assert_eq!(cert.body.issuer, read_key(p("authority.json")).unwrap().public());

    // To a file, image from standard input.
    let mut args = common("-");
    args.extend(["--out".to_string(), p("cert.json")]);
    let mut child =
        Command::new(env!("CARGO_BIN_EXE_loanchain-genesis")).args(&args).stdin(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), b"image from stdin").unwrap();
    assert!(child.wait().unwrap().success());
    let cert = loanchain_genesis::seal::read_certificate(p("cert.json")).unwrap();
    assert_eq!(cert.body.image_digest, Hash::digest(b"image from stdin"));

    // A seal key is not an authority key.
    let mut args = common(&p("image.png"));
    args[3] = p("seal.json");
    let wrong = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(wrong.status.code(), Some(1));
    assert!(text(&wrong).1.contains("account key is needed"), "{}", text(&wrong).1);
    assert_eq!(Role::SealAuthority.name(), "seal_authority");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_arguments_exit_2_with_usage_and_never_panic() {
    let cases: &[&[&str]] = &[
        &[],
        &["bogus"],
        &["devnet", "--validators", "4"],
        &["devnet", "--validators", "0", "--out", "x"],
        &["devnet", "--validators", "many", "--out", "x"],
        &["devnet", "--validators", "4", "--out", "x", "--base-port", "70000"],
        &["keys", "generate", "--kind", "wizard", "--out", "x"],
        &["keys", "show"],
        &["seal", "issue", "--holder", "zz"],
        &[
            "seal",
            "issue",
            "--authority-key",
            "a",
            "--holder",
            &"ab".repeat(32),
            "--signer-key",
            "s",
            "--seal-id",
            "bad id",
            "--name",
            "n",
            "--organisation",
            "o",
            "--kind",
            "contract",
            "--valid-from-ms",
            "0",
            "--valid-days",
            "1",
            "--image",
            "-",
        ],
        &[
            "seal",
            "issue",
            "--authority-key",
            "a",
            "--holder",
            &"ab".repeat(32),
            "--signer-key",
            "s",
            "--seal-id",
            "S1",
            "--name",
            "n",
            "--organisation",
            "o",
            "--kind",
            "stamp",
            "--valid-from-ms",
            "0",
            "--valid-days",
            "1",
            "--image",
            "-",
        ],
        &["validate"],
    ];
    for args in cases {
        let out = run(args);
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("Usage") || stderr.contains("usage") || stderr.contains("--help"), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    // Runtime failures are not usage errors: exit 1, one line, no panic.
    let out = run(&["validate", "/nonexistent/genesis.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!text(&out).1.contains("panicked"));
}
