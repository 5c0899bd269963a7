//! Golden fixtures: the exact bytes of the signed and hashed chain types (STYLE habit 10).
//!
//! A change to any of these bytes is a change of the wire and storage format: a node of the old
//! format would reject the new one's votes and certificates. Regenerate deliberately with
//! `LOANCHAIN_BLESS=1 cargo test --release -p loanchain-types --test it fixtures` and say why in the commit.

use std::path::PathBuf;

use loanchain_types::test_utils::{keypairs, named_validator_set};
use loanchain_types::{
    Block, BlockHeader, CommitCertificate, Hash, Keypair, Proposal, SignedProposal, SignedVote, ValidatorIndex, ValidatorSet, Vote,
    VoteKind, transactions_root,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

const CHAIN: &str = "loanchain-fixture";

fn keys() -> Vec<Keypair> {
    keypairs(4)
}

fn validators(keys: &[Keypair]) -> ValidatorSet {
    let powers: Vec<u64> = (0..keys.len() as u64).map(|i| 10 + i).collect();
    named_validator_set("bank-", keys, &powers)
}

fn header(set: &ValidatorSet) -> BlockHeader {
    let txs = vec![b"tx-one".to_vec(), b"tx-two".to_vec()];
    BlockHeader {
        chain_id: CHAIN.into(),
        height: 42,
        time_ms: 1_700_000_000_123,
        proposer: ValidatorIndex(2),
        previous_block_hash: Hash::digest(b"block 41"),
        transactions_root: transactions_root(&txs),
        last_commit_hash: Hash::digest(b"certificate of 41"),
        app_hash: Hash::digest(b"state after 41"),
        validator_set_hash: set.hash(),
    }
}

/// Compares the bcs hex of `value` with `tests/fixtures/<name>.hex`, or rewrites it when blessing.
fn check<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(name: &str, value: &T) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(format!("{name}.hex"));
    let hex_now = hex::encode(bcs::to_bytes(value).unwrap());
    if std::env::var("LOANCHAIN_BLESS").as_deref() == Ok("1") {
        std::fs::write(&path, format!("{hex_now}\n")).unwrap();
        return;
    }
    let stored =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}; run with LOANCHAIN_BLESS=1 to create it", path.display()));
    assert_eq!(stored.trim(), hex_now, "the encoding of {name} changed: this is a wire-format change; bless deliberately");
    let decoded: T = bcs::from_bytes(&hex::decode(stored.trim()).unwrap()).unwrap();
    assert_eq!(&decoded, value, "{name} does not decode back to itself");
}

#[test]
fn signed_vote_bytes_are_pinned() {
    let k = keys();
    let set = validators(&k);
    let v = SignedVote::sign(
        &k[1],
        CHAIN,
        Vote { height: 42, round: 3, kind: VoteKind::Prevote, block_hash: Some(header(&set).hash()), validator: ValidatorIndex(1) },
    );
    v.verify(&set, CHAIN).unwrap();
    check("signed_vote", &v);
}

#[test]
fn signed_proposal_bytes_are_pinned() {
    let k = keys();
    let set = validators(&k);
    let p = SignedProposal::sign(
        &k[2],
        CHAIN,
        Proposal { height: 42, round: 3, block_hash: header(&set).hash(), valid_round: Some(1), proposer: ValidatorIndex(2) },
    );
    p.verify(&set, CHAIN).unwrap();
    check("signed_proposal", &p);
}

#[test]
fn block_header_bytes_and_hash_are_pinned() {
    let set = validators(&keys());
    let h = header(&set);
    check("block_header", &h);
    // The block hash is SHA-256 of exactly those bytes.
    assert_eq!(h.hash(), Hash::digest(&bcs::to_bytes(&h).unwrap()));
    let block = Block { header: h.clone(), transactions: vec![b"tx-one".to_vec(), b"tx-two".to_vec()], last_commit: None };
    assert!(block.transactions_match());
    assert_eq!(block.hash(), h.hash());
}

#[test]
fn commit_certificate_bytes_are_pinned() {
    let k = keys();
    let set = validators(&k);
    let b = header(&set).hash();
    let precommits: Vec<SignedVote> = [3u32, 0, 2]
        .iter()
        .map(|&i| {
            SignedVote::sign(
                &k[i as usize],
                CHAIN,
                Vote { height: 42, round: 3, kind: VoteKind::Precommit, block_hash: Some(b), validator: ValidatorIndex(i) },
            )
        })
        .collect();
    let cert = CommitCertificate::from_precommits(42, 3, b, &precommits);
    cert.verify(&set, CHAIN).unwrap();
    check("commit_certificate", &cert);
}
