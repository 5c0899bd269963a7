//! The local development network (DESIGN §11 `scripts/devnet.sh`): a genesis, keys, node configs
//! and seal certificates for N validators and M observers on 127.0.0.1.
//!
//! [`devnet`] is a pure function of a [`DevnetSpec`] and a 32-byte seed: every secret is
//! `SHA-256("loanchain/devnet-key/v1" || seed || label)` for a label naming the key, so tests are
//! deterministic and the binary gets fresh keys by passing a fresh random seed. [`DevnetFiles::write`]
//! lays the result out on disk:
//!
//! ```text
//! DIR/genesis.json
//! DIR/<node>/config.json, node.json, consensus.json (validators only)
//! DIR/accounts/custodian.json, regulator.json, seal-authority.json, institution-<i>.json
//! DIR/seals/institution-<i>.json (certificate), institution-<i>.key.json (seal key), institution-<i>.svg (image)
//! ```

use std::fs;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use loanchain_contracts::seal::{SealCertificate, SealKind};
use loanchain_contracts::{GenesisAccount, Hash, Money, Params, Role, SealId};

use crate::config::{NodeConfig, NodeRole};
use crate::error::GenesisError;
use crate::genesis::{ConsensusParams, GENESIS_VERSION, Genesis, ObserverEntry, ValidatorEntry};
use crate::keys::{Key, KeyKind, write_key};
use crate::net::TcpMultiaddr;
use crate::seal::{SealRequest, issue_seal, seal_image_svg, write_certificate};

/// Most validators (and most observers) a devnet may have.
pub const MAX_DEVNET_NODES: usize = 100;

/// What devnet to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DevnetSpec {
    /// Chain id.
    pub chain_id: String,
    /// Number of validators (1 to 100), each run by its own credit institution.
    pub validators: usize,
    /// Number of observers (0 to 100).
    pub observers: usize,
    /// First port: node `i` (validators first, then observers) gets p2p `base + 2i`, API `base + 2i + 1`.
    pub base_port: u16,
    /// Length of a repayment period, seconds.
    pub period_seconds: u64,
    /// Length of a "day" (grace, buyback window, penalty), seconds.
    pub day_seconds: u64,
    /// Genesis time, unix ms (also the start of the seals' validity).
    pub genesis_time: u64,
    /// Opening balance of each credit institution (for risk margins and buybacks).
    pub institution_balance: Money,
    /// Validity of the institutions' seal certificates, in calendar days.
    pub seal_valid_days: u64,
}

impl DevnetSpec {
    /// The defaults of `loanchain-genesis devnet`: chain `loanchain-devnet`, ports from 26600,
    /// 30-second periods, 5-second days, 10 million yuan per institution, seals valid 365 days.
    pub fn new(validators: usize, observers: usize, genesis_time: u64) -> DevnetSpec {
        DevnetSpec {
            chain_id: "loanchain-devnet".into(),
            validators,
            observers,
            base_port: 26_600,
            period_seconds: 30,
            day_seconds: 5,
            genesis_time,
            institution_balance: Money::yuan(10_000_000),
            seal_valid_days: 365,
        }
    }
}

/// One node of the devnet.
#[derive(Clone, Debug)]
pub struct DevnetNode {
    /// Its config (paths relative to its directory `DIR/<name>`).
    pub config: NodeConfig,
    /// Its node key.
    pub node_key: Key,
    /// Its consensus key (validators only).
    pub consensus_key: Option<Key>,
}

/// One institution's seal.
#[derive(Clone, Debug)]
pub struct DevnetSeal {
    /// File stem under `DIR/seals/` (the institution's account file stem).
    pub stem: String,
    /// The certificate, issued by the devnet seal authority.
    pub certificate: SealCertificate,
    /// The seal key the certificate allows.
    pub seal_key: Key,
    /// The seal image (SVG) whose digest the certificate carries.
    pub image: String,
}

/// Everything [`devnet`] makes.
#[derive(Clone, Debug)]
pub struct DevnetFiles {
    /// The genesis.
    pub genesis: Genesis,
    /// Validators, then observers.
    pub nodes: Vec<DevnetNode>,
    /// Account keys by file stem under `DIR/accounts/`.
    pub accounts: Vec<(String, Key)>,
    /// The credit institutions' seals.
    pub seals: Vec<DevnetSeal>,
}

/// Builds a devnet from `spec`, deriving every key from `seed`. The genesis it returns validates.
pub fn devnet(spec: &DevnetSpec, seed: &[u8; 32]) -> Result<DevnetFiles, GenesisError> {
    let bad = |what: &'static str, value: String, reason: &str| GenesisError::BadField { what, value, reason: reason.into() };
    if spec.validators == 0 || spec.validators > MAX_DEVNET_NODES {
        return Err(bad("validators", spec.validators.to_string(), "a devnet has 1 to 100 validators"));
    }
    if spec.observers > MAX_DEVNET_NODES {
        return Err(bad("observers", spec.observers.to_string(), "a devnet has 0 to 100 observers"));
    }
    let nodes = spec.validators + spec.observers;
    let last_port = u64::from(spec.base_port) + 2 * nodes as u64 - 1;
    if spec.base_port == 0 || last_port > u64::from(u16::MAX) {
        return Err(bad("base_port", spec.base_port.to_string(), "base_port must be ≥ 1 and leave 2 ports per node below 65536"));
    }
    let key = |kind: KeyKind, label: &str| {
        let secret = Hash::digest_parts(&[b"loanchain/devnet-key/v1", seed, label.as_bytes()]);
        Key::from_secret(kind, secret.0)
    };

    let mut accounts: Vec<(String, Key, Role, String, Money)> = vec![
        ("custodian".into(), key(KeyKind::Account, "account/custodian"), Role::CustodianBank, "Devnet Custodian Bank".into(), Money::ZERO),
        ("regulator".into(), key(KeyKind::Account, "account/regulator"), Role::Regulator, "Devnet Regulator".into(), Money::ZERO),
        (
            "seal-authority".into(),
            key(KeyKind::Account, "account/seal-authority"),
            Role::SealAuthority,
            "Devnet Seal Authority".into(),
            Money::ZERO,
        ),
    ];
    for i in 0..spec.validators {
        let stem = format!("institution-{i}");
        let k = key(KeyKind::Account, &format!("account/{stem}"));
        accounts.push((stem, k, Role::CreditInstitution, format!("Devnet Micro-Credit Institution {i}"), spec.institution_balance));
    }

    let names: Vec<String> =
        (0..spec.validators).map(|i| format!("validator-{i}")).chain((0..spec.observers).map(|i| format!("observer-{i}"))).collect();
    let node_keys: Vec<Key> = names.iter().map(|n| key(KeyKind::Node, &format!("node/{n}"))).collect();
    let consensus_keys: Vec<Key> = names[..spec.validators].iter().map(|n| key(KeyKind::Consensus, &format!("consensus/{n}"))).collect();
    let ports = |i: usize| (spec.base_port + 2 * i as u16, spec.base_port + 2 * i as u16 + 1);
    let p2p = |i: usize| TcpMultiaddr::new(Ipv4Addr::LOCALHOST, ports(i).0);

    let params = Params::devnet(spec.chain_id.clone(), spec.period_seconds, spec.day_seconds);
    let validators = (0..spec.validators)
        .map(|i| ValidatorEntry {
            name: names[i].clone(),
            institution: accounts[3 + i].1.account_id(),
            consensus_public_key: consensus_keys[i].public(),
            peer_id: node_keys[i].peer_id().to_string(),
            p2p_address: p2p(i).to_string(),
            voting_power: 1,
        })
        .collect();
    let observers = (spec.validators..nodes)
        .map(|i| ObserverEntry { name: names[i].clone(), peer_id: node_keys[i].peer_id().to_string(), p2p_address: p2p(i).to_string() })
        .collect();
    let genesis = Genesis {
        version: GENESIS_VERSION,
        chain_id: spec.chain_id.clone(),
        genesis_time: spec.genesis_time,
        params,
        consensus: ConsensusParams::devnet(),
        validators,
        observers,
        accounts: accounts
            .iter()
            .map(|(_, k, role, name, balance)| GenesisAccount {
                public_key: k.public(),
                role: *role,
                name: name.clone(),
                balance: *balance,
            })
            .collect(),
    };
    genesis.validate()?;
    let genesis_hash = genesis.hash();

    let nodes = (0..nodes)
        .map(|i| {
            let validator = i < spec.validators;
            let peers = (0..names.len()).filter(|&j| j != i).map(|j| p2p(j).with_peer(node_keys[j].peer_id()).to_string()).collect();
            let config = NodeConfig {
                name: names[i].clone(),
                role: if validator { NodeRole::Validator } else { NodeRole::Observer },
                chain_id: spec.chain_id.clone(),
                genesis_file: PathBuf::from("../genesis.json"),
                genesis_hash,
                node_key_file: PathBuf::from("node.json"),
                consensus_key_file: validator.then(|| PathBuf::from("consensus.json")),
                data_dir: PathBuf::from("data"),
                p2p_listen: p2p(i).to_string(),
                api_listen: SocketAddr::from((Ipv4Addr::LOCALHOST, ports(i).1)),
                peers,
                mempool_capacity: crate::config::DEFAULT_MEMPOOL_CAPACITY,
            };
            DevnetNode { config, node_key: node_keys[i].clone(), consensus_key: validator.then(|| consensus_keys[i].clone()) }
        })
        .collect();

    let authority = accounts[2].1.clone();
    let seals = accounts[3..]
        .iter()
        .map(|(stem, k, _, org, _)| {
            let seal_key = key(KeyKind::Seal, &format!("seal/{stem}"));
            let name = format!("{org} Contract Seal");
            let image = seal_image_svg(org, &name);
            let request = SealRequest {
                seal_id: SealId::new(format!("devnet-{stem}-contract")).expect("devnet seal ids are valid labels"),
                kind: SealKind::ContractSeal,
                name,
                holder: k.account_id(),
                organisation: org.clone(),
                signer_keys: vec![seal_key.public()],
                valid_from_ms: spec.genesis_time,
                valid_days: spec.seal_valid_days,
                image_digest: Hash::digest(image.as_bytes()),
            };
            let certificate = issue_seal(&authority, request)?;
            Ok(DevnetSeal { stem: stem.clone(), certificate, seal_key, image })
        })
        .collect::<Result<_, GenesisError>>()?;

    Ok(DevnetFiles { genesis, nodes, accounts: accounts.into_iter().map(|(stem, k, ..)| (stem, k)).collect(), seals })
}

impl DevnetFiles {
    /// Writes the devnet under `dir` and returns the files written. An existing `dir` is refused
    /// unless `force`; with `force`, it is removed first, but only if it is empty or holds a
    /// `genesis.json` (so a mistyped `--out` cannot wipe an unrelated directory).
    pub fn write(&self, dir: &Path, force: bool) -> Result<Vec<PathBuf>, GenesisError> {
        if dir.exists() {
            let empty = fs::read_dir(dir).map_err(|e| GenesisError::io(dir, e))?.next().is_none();
            if !force {
                return Err(GenesisError::AlreadyExists { path: dir.into() });
            }
            if !empty && !dir.join("genesis.json").is_file() {
                return Err(GenesisError::BadField {
                    what: "output directory",
                    value: dir.display().to_string(),
                    reason: "it is not empty and holds no genesis.json: refusing to delete what may not be a devnet".into(),
                });
            }
            fs::remove_dir_all(dir).map_err(|e| GenesisError::io(dir, e))?;
        }
        let mut written = Vec::new();
        let mkdir = |p: &Path| fs::create_dir_all(p).map_err(|e| GenesisError::io(p, e));
        mkdir(dir)?;
        let path = dir.join("genesis.json");
        self.genesis.save(&path)?;
        written.push(path);
        for node in &self.nodes {
            let node_dir = dir.join(&node.config.name);
            mkdir(&node_dir)?;
            let mut files = vec![(node_dir.join("node.json"), &node.node_key)];
            files.extend(node.consensus_key.as_ref().map(|k| (node_dir.join("consensus.json"), k)));
            for (path, key) in files {
                write_key(&path, key, false)?;
                written.push(path);
            }
            let path = node_dir.join("config.json");
            node.config.save(&path)?;
            written.push(path);
        }
        let accounts_dir = dir.join("accounts");
        mkdir(&accounts_dir)?;
        for (stem, key) in &self.accounts {
            let path = accounts_dir.join(format!("{stem}.json"));
            write_key(&path, key, false)?;
            written.push(path);
        }
        let seals_dir = dir.join("seals");
        mkdir(&seals_dir)?;
        for seal in &self.seals {
            let cert = seals_dir.join(format!("{}.json", seal.stem));
            write_certificate(&cert, &seal.certificate)?;
            let key = seals_dir.join(format!("{}.key.json", seal.stem));
            write_key(&key, &seal.seal_key, false)?;
            let image = seals_dir.join(format!("{}.svg", seal.stem));
            fs::write(&image, &seal.image).map_err(|e| GenesisError::io(&image, e))?;
            written.extend([cert, key, image]);
        }
        Ok(written)
    }
}
