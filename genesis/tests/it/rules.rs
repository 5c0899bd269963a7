//! Each rule of `Genesis::validate` (its module doc lists them) rejects a genesis broken in exactly
//! that one way, with the expected error. Table-driven (STYLE habit 7).

use loanchain_contracts::{GenesisAccount, Keypair, Money, PublicKey, Role};
use loanchain_genesis::net::{is_ed25519_point, peer_id_from_secret};
use loanchain_genesis::{Genesis, GenesisError};

use crate::fixed_devnet;

type Break = Box<dyn Fn(&mut Genesis)>;
type Expect = fn(&GenesisError) -> bool;

/// 32 bytes that are not an ed25519 point.
fn not_a_point() -> PublicKey {
    let bytes = (0..=255u8).map(|i| [i; 32]).find(|b| !is_ed25519_point(b)).expect("some constant byte string is off the curve");
    PublicKey(bytes)
}

fn account(role: Role, seed: u8) -> GenesisAccount {
    GenesisAccount { public_key: Keypair::from_secret([seed; 32]).public(), role, name: format!("extra {seed}"), balance: Money::ZERO }
}

fn cases() -> Vec<(&'static str, Break, Expect)> {
    use GenesisError as E;
    vec![
        ("unknown version", Box::new(|g| g.version = 2), |e| matches!(e, E::BadField { what: "version", .. })),
        ("params invalid", Box::new(|g| g.params.day_seconds = 0), |e| matches!(e, E::InvalidParams { .. })),
        (
            "chain id differs from params",
            Box::new(|g| g.chain_id = "other-chain".into()),
            |e| matches!(e, E::ChainIdMismatch { genesis, .. } if genesis == "other-chain"),
        ),
        ("genesis time unset", Box::new(|g| g.genesis_time = 0), |e| matches!(e, E::BadField { what: "genesis_time", .. })),
        ("zero propose timeout", Box::new(|g| g.consensus.timeout_propose_ms = 0), |e| {
            matches!(e, E::InvalidConsensus { field: "timeout_propose_ms", .. })
        }),
        ("huge precommit delta", Box::new(|g| g.consensus.timeout_precommit_delta_ms = u64::MAX), |e| {
            matches!(e, E::InvalidConsensus { field: "timeout_precommit_delta_ms", .. })
        }),
        ("empty blocks only", Box::new(|g| g.consensus.max_block_txs = 0), |e| {
            matches!(e, E::InvalidConsensus { field: "max_block_txs", .. })
        }),
        ("tiny blocks", Box::new(|g| g.consensus.max_block_bytes = 10), |e| {
            matches!(e, E::InvalidConsensus { field: "max_block_bytes", .. })
        }),
        ("no clock drift", Box::new(|g| g.consensus.max_clock_drift_ms = 0), |e| {
            matches!(e, E::InvalidConsensus { field: "max_clock_drift_ms", .. })
        }),
        ("no message delay", Box::new(|g| g.consensus.message_delay_ms = 0), |e| {
            matches!(e, E::InvalidConsensus { field: "message_delay_ms", .. })
        }),
        ("message delay above the minute it grows to", Box::new(|g| g.consensus.message_delay_ms = 60_001), |e| {
            matches!(e, E::InvalidConsensus { field: "message_delay_ms", .. })
        }),
        (
            "duplicate account",
            Box::new(|g| {
                let dup = g.accounts[0].clone();
                g.accounts.push(dup);
            }),
            |e| matches!(e, E::Duplicate { what: "account", .. }),
        ),
        ("account key off the curve", Box::new(|g| g.accounts[0].public_key = not_a_point()), |e| matches!(e, E::BadPublicKey { .. })),
        ("empty account name", Box::new(|g| g.accounts[0].name.clear()), |e| matches!(e, E::BadField { what: "account name", .. })),
        ("no regulator", Box::new(|g| g.accounts.retain(|a| a.role != Role::Regulator)), |e| {
            matches!(e, E::RoleCount { role: "regulator", count: 0, .. })
        }),
        ("two regulators", Box::new(|g| g.accounts.push(account(Role::Regulator, 200))), |e| {
            matches!(e, E::RoleCount { role: "regulator", count: 2, .. })
        }),
        ("no custodian bank", Box::new(|g| g.accounts.retain(|a| a.role != Role::CustodianBank)), |e| {
            matches!(e, E::RoleCount { role: "custodian_bank", count: 0, .. })
        }),
        ("no seal authority", Box::new(|g| g.accounts.retain(|a| a.role != Role::SealAuthority)), |e| {
            matches!(e, E::RoleCount { role: "seal_authority", count: 0, .. })
        }),
        (
            "no validators",
            Box::new(|g| {
                g.validators.clear();
            }),
            |e| matches!(e, E::NoValidators),
        ),
        ("validator name with a slash", Box::new(|g| g.validators[1].name = "../evil".into()), |e| {
            matches!(e, E::BadField { what: "node name", .. })
        }),
        (
            "zero voting power",
            Box::new(|g| g.validators[2].voting_power = 0),
            |e| matches!(e, E::ZeroVotingPower { validator } if validator == "validator-2"),
        ),
        (
            "total power overflows",
            Box::new(|g| {
                g.validators[0].voting_power = u64::MAX / 2 + 1;
                g.validators[1].voting_power = u64::MAX / 2 + 1;
            }),
            |e| matches!(e, E::VotingPowerOverflow),
        ),
        ("consensus key off the curve", Box::new(|g| g.validators[0].consensus_public_key = not_a_point()), |e| {
            matches!(e, E::BadPublicKey { .. })
        }),
        (
            "institution not a genesis account",
            Box::new(|g| g.validators[3].institution = Keypair::from_secret([201; 32]).public().account_id()),
            |e| matches!(e, E::BadInstitution { reason, .. } if reason.contains("not a genesis account")),
        ),
        (
            "institution is the regulator",
            Box::new(|g| {
                let regulator = g.accounts_with_role(Role::Regulator).next().unwrap().public_key.account_id();
                g.validators[3].institution = regulator;
            }),
            |e| matches!(e, E::BadInstitution { reason, .. } if reason.contains("has role regulator")),
        ),
        (
            "observer named like a validator",
            Box::new(|g| g.observers[0].name = "validator-0".into()),
            |e| matches!(e, E::Duplicate { what: "node name", value } if value == "validator-0"),
        ),
        ("peer id garbage", Box::new(|g| g.validators[1].peer_id = "12D3KooWnope".into()), |e| matches!(e, E::BadPeerId { .. })),
        (
            "peer id not ed25519-derived",
            Box::new(|g| {
                let mut sha256_multihash = vec![0x12, 0x20];
                sha256_multihash.extend_from_slice(&[9u8; 32]);
                g.observers[0].peer_id = libp2p_peer_id_string(&sha256_multihash);
            }),
            |e| matches!(e, E::BadPeerId { reason, .. } if reason.contains("ed25519")),
        ),
        ("duplicate peer id", Box::new(|g| g.observers[0].peer_id = g.validators[0].peer_id.clone()), |e| {
            matches!(e, E::Duplicate { what: "peer id", .. })
        }),
        ("address not a multiaddr", Box::new(|g| g.validators[0].p2p_address = "127.0.0.1:26600".into()), |e| {
            matches!(e, E::BadAddress { .. })
        }),
        (
            "address with another node's /p2p/",
            Box::new(|g| g.validators[0].p2p_address = format!("{}/p2p/{}", g.validators[0].p2p_address, peer_id_from_secret([1; 32]))),
            |e| matches!(e, E::BadAddress { reason, .. } if reason.contains("own peer id")),
        ),
        ("duplicate address", Box::new(|g| g.observers[0].p2p_address = g.validators[3].p2p_address.clone()), |e| {
            matches!(e, E::Duplicate { what: "p2p address", .. })
        }),
        ("duplicate consensus key", Box::new(|g| g.validators[1].consensus_public_key = g.validators[0].consensus_public_key), |e| {
            matches!(e, E::Duplicate { what: "consensus key", .. })
        }),
    ]
}

/// The base58 text of a peer id's bytes (parsed by libp2p-identity, then printed).
fn libp2p_peer_id_string(bytes: &[u8]) -> String {
    libp2p_identity::PeerId::from_bytes(bytes).expect("a sha256 multihash is a peer id").to_string()
}

#[test]
fn each_rule_rejects_exactly_its_breakage() {
    let base = fixed_devnet().genesis;
    base.validate().expect("the unbroken genesis is valid");
    for (name, break_it, expect) in cases() {
        let mut g = base.clone();
        break_it(&mut g);
        let err = g.validate().expect_err(name);
        assert!(expect(&err), "{name}: unexpected error {err:?}");
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn errors_say_what_to_change() {
    let mut g = fixed_devnet().genesis;
    g.validators[2].voting_power = 0;
    assert_eq!(g.validate().unwrap_err().to_string(), "validator \"validator-2\" has voting power 0: give it at least 1 or remove it");
    let mut g = fixed_devnet().genesis;
    g.chain_id = "x".into();
    assert!(g.validate().unwrap_err().to_string().contains("set both to the same value"));
}

#[test]
fn the_message_delay_bounds_are_inclusive() {
    for delay in [1, 60_000] {
        let mut g = fixed_devnet().genesis;
        g.consensus.message_delay_ms = delay;
        g.validate().unwrap_or_else(|e| panic!("message delay {delay}: {e}"));
    }
}
