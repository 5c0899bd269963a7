//! The devnet genesis (DESIGN §4): valid, stable, and accepted by the state machine.

use loanchain_contracts::{Role, init_genesis};
use loanchain_genesis::net::parse_ed25519_peer_id;
use loanchain_genesis::{Genesis, NodeConfig, NodeRole};

use crate::{GENESIS_TIME, fixed_devnet, temp_dir};

fn golden(name: &str, contents: &str) {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var("LOANCHAIN_BLESS").as_deref() == Ok("1") {
        std::fs::write(&path, contents).unwrap();
        return;
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}; run with LOANCHAIN_BLESS=1 to create it"));
    assert_eq!(stored, contents, "{path} changed: the genesis format moved. If deliberate, rerun with LOANCHAIN_BLESS=1");
}

#[test]
fn devnet_genesis_validates_and_has_the_expected_shape() {
    let files = fixed_devnet();
    let g = &files.genesis;
    g.validate().unwrap();
    assert_eq!(g.validators.len(), 4);
    assert_eq!(g.observers.len(), 1);
    assert_eq!(g.genesis_time, GENESIS_TIME);
    assert_eq!(g.total_voting_power(), Some(4));
    assert_eq!(g.accounts_with_role(Role::Regulator).count(), 1);
    assert_eq!(g.accounts_with_role(Role::CustodianBank).count(), 1);
    assert_eq!(g.accounts_with_role(Role::SealAuthority).count(), 1);
    assert_eq!(g.accounts_with_role(Role::CreditInstitution).count(), 4);
    // Ports: p2p = base + 2i, api = base + 2i + 1 (validators first, then observers).
    for (i, node) in files.nodes.iter().enumerate() {
        let c = &node.config;
        assert_eq!(c.p2p_listen, format!("/ip4/127.0.0.1/tcp/{}", 26_600 + 2 * i));
        assert_eq!(c.api_listen.to_string(), format!("127.0.0.1:{}", 26_601 + 2 * i));
        assert_eq!(c.peers.len(), 4, "every other node is a peer");
        assert!(c.peers.iter().all(|p| !p.starts_with(&c.p2p_listen)));
        assert_eq!(c.genesis_hash, g.hash());
        assert_eq!(c.role == NodeRole::Validator, i < 4);
        assert_eq!(node.consensus_key.is_some(), i < 4);
        c.validate().unwrap();
    }
    for (v, node) in g.validators.iter().zip(&files.nodes) {
        assert_eq!(v.peer_id, node.node_key.peer_id().to_string());
        assert_eq!(parse_ed25519_peer_id(&v.peer_id).unwrap(), node.node_key.peer_id());
        assert_eq!(Some(v.consensus_public_key), node.consensus_key.as_ref().map(|k| k.public()));
    }
    assert_eq!(g.allowed_peer_ids().len(), 5);
    // Each institution's seal verifies and names a genesis seal authority as issuer.
    let authority = g.accounts_with_role(Role::SealAuthority).next().unwrap().public_key;
    for (seal, v) in files.seals.iter().zip(&g.validators) {
        seal.certificate.verify_issuer_signature().unwrap();
        assert_eq!(seal.certificate.body.issuer, authority);
        assert_eq!(seal.certificate.body.holder, v.institution);
        assert_eq!(seal.certificate.body.signer_keys, vec![seal.seal_key.public()]);
    }
}

#[test]
fn devnet_is_a_pure_function_of_spec_and_seed() {
    let (a, b) = (fixed_devnet(), fixed_devnet());
    assert_eq!(a.genesis, b.genesis);
    assert_eq!(a.genesis.hash(), b.genesis.hash());
    let other = loanchain_genesis::devnet(&loanchain_genesis::DevnetSpec::new(4, 1, GENESIS_TIME), &[8u8; 32]).unwrap();
    assert_ne!(other.genesis.hash(), a.genesis.hash(), "another seed gives other keys");
}

#[test]
fn genesis_round_trips_through_json_and_bcs() {
    let g = fixed_devnet().genesis;
    let json = g.to_json();
    let back = Genesis::from_json(json.as_bytes()).unwrap();
    assert_eq!(back, g);
    let bytes = g.to_bcs();
    let back = Genesis::from_bcs(&bytes).unwrap();
    assert_eq!(back, g);
    assert_eq!(back.hash(), g.hash());
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert!(Genesis::from_bcs(&trailing).is_err(), "trailing bytes are refused");
}

#[test]
fn genesis_hash_and_encoding_are_pinned() {
    // STYLE habit 10: changing these bytes is a deliberate genesis format change.
    let g = fixed_devnet().genesis;
    golden("devnet_genesis.bcs.hex", &format!("{}\n", hex::encode(g.to_bcs())));
    golden("devnet_genesis.hash", &format!("{}\n", g.hash()));
}

#[test]
fn init_genesis_accepts_the_devnet_accounts_and_params() {
    let g = fixed_devnet().genesis;
    let (writes, app_hash) = init_genesis(&g.params, &g.accounts).unwrap();
    assert!(!writes.is_empty());
    assert_ne!(app_hash, loanchain_contracts::Hash::ZERO);
}

#[test]
fn save_load_and_node_configs_on_disk() {
    let dir = temp_dir("save-load");
    let files = fixed_devnet();
    let written = files.write(&dir.join("net"), false).unwrap();
    assert_eq!(written.len(), 1 + (3 * 4 + 2) + 7 + 3 * 4);
    let g = Genesis::load(dir.join("net/genesis.json")).unwrap();
    assert_eq!(g, files.genesis);
    // Relative paths in config.json resolve against its directory.
    let c = NodeConfig::load(dir.join("net/validator-2/config.json")).unwrap();
    assert_eq!(c.genesis_file, dir.join("net/validator-2/../genesis.json"));
    assert_eq!(Genesis::load(&c.genesis_file).unwrap().hash(), c.genesis_hash);
    let node_key = loanchain_genesis::read_key_of(&c.node_key_file, loanchain_genesis::KeyKind::Node).unwrap();
    assert_eq!(node_key.peer_id().to_string(), g.validators[2].peer_id);
    let consensus = loanchain_genesis::read_key(c.consensus_key_file.unwrap()).unwrap();
    assert_eq!(consensus.public(), g.validators[2].consensus_public_key);
    // A size limit guards the loader.
    let big = dir.join("big.json");
    std::fs::write(&big, vec![b' '; (loanchain_genesis::MAX_GENESIS_BYTES + 1) as usize]).unwrap();
    assert!(Genesis::load(&big).unwrap_err().to_string().contains("more than"));
    assert!(Genesis::load(dir.join("missing.json")).unwrap_err().to_string().contains("missing.json"));
    std::fs::remove_dir_all(&dir).unwrap();
}
