//! The in-memory `ChainStore` of the simulator answers as the node's RocksDB `Storage` does: the
//! same operations on both (genesis, WAL entries and a proposed block, two executed blocks, one
//! with a transaction, evidence up to the bound) give the same answers to every read the chain
//! host makes.

use loanchain_consensus::{RoundValue, SafetyRecord, Step, WalEntry};
use loanchain_contracts::{Amount, BlockContext, Payload, SignedTransaction, TxBody, execute_block, init_genesis};
use loanchain_genesis::{DevnetSpec, devnet};
use loanchain_node::chain::ChainStore;
use loanchain_sim_node::store::MemChainStore;
use loanchain_storage::tables::EvidenceKey;
use loanchain_storage::{CommittedBlock, EvidenceAdded, MAX_EVIDENCE_PER_VALIDATOR_HEIGHT, Storage, StorageError};
use loanchain_types::test_utils::keypair;
use loanchain_types::{
    Block, BlockHeader, CommitCertificate, Evidence, Hash, SignedVote, ValidatorIndex, Vote, VoteKind, last_commit_hash, transactions_root,
};

const GENESIS_TIME: u64 = 1_700_000_000_000;

struct Chain {
    files: loanchain_genesis::DevnetFiles,
    writes: loanchain_contracts::state::WriteSet,
    app_hash: Hash,
}

fn chain() -> Chain {
    let files = devnet(&DevnetSpec::new(4, 0, GENESIS_TIME), &[7; 32]).unwrap();
    let (writes, app_hash) = init_genesis(&files.genesis.params, &files.genesis.accounts).unwrap();
    Chain { files, writes, app_hash }
}

fn block_on(store: &dyn ChainStore, c: &Chain, transactions: Vec<Vec<u8>>) -> Block {
    let last = store.last_committed().unwrap();
    let height = last.height + 1;
    let last_commit = store.certificate(last.height).unwrap();
    let header = BlockHeader {
        chain_id: c.files.genesis.chain_id.clone(),
        height,
        time_ms: GENESIS_TIME + height * 1_000,
        proposer: ValidatorIndex(0),
        previous_block_hash: last.block_hash,
        transactions_root: transactions_root(&transactions),
        last_commit_hash: last_commit_hash(last_commit.as_ref()),
        app_hash: last.app_hash,
        validator_set_hash: c.files.genesis.validator_set().unwrap().hash(),
    };
    Block { header, transactions, last_commit }
}

fn precommit(height: u64, round: u32, value: &[u8], who: u32) -> SignedVote {
    let vote = Vote { height, round, kind: VoteKind::Precommit, block_hash: Some(Hash::digest(value)), validator: ValidatorIndex(who) };
    SignedVote::sign(&keypair(who as u8 + 1), "c", vote)
}

/// Executes `block` over `store` and commits it; the outcome's app hash.
fn commit(store: &dyn ChainStore, c: &Chain, block: &Block) -> Result<Hash, StorageError> {
    let certificate =
        CommitCertificate::from_precommits(block.header.height, 0, block.hash(), [&precommit(block.header.height, 0, b"x", 0)]);
    let certificate = CommitCertificate { block_hash: block.hash(), ..certificate };
    let txs: Vec<_> = block.transactions.iter().map(|b| SignedTransaction::from_bytes(b).unwrap()).collect();
    let verified: Vec<_> =
        loanchain_contracts::tx::verify_transactions(&c.files.genesis.chain_id, txs).into_iter().map(Result::unwrap).collect();
    let context = BlockContext { height: block.header.height, time: block.header.time_ms };
    let previous = store.last_committed().unwrap().app_hash;
    let outcome = execute_block(store, &c.files.genesis.params, context, &previous, &verified).unwrap();
    store.commit_block(&CommittedBlock { block, certificate: &certificate, outcome: &outcome })?;
    Ok(outcome.app_hash)
}

/// Every read the chain host makes, as one comparable value.
fn reads(store: &dyn ChainStore, tx: &Hash, blocks: &[Block]) -> String {
    let mut out = format!(
        "last {:?}\nwal {:?}\nproposed {:?}\ntx {:?}\n",
        store.last_committed(),
        store.wal_load(),
        store.wal_proposed_blocks(),
        store.tx_location(tx)
    );
    for h in 0..=3 {
        out += &format!("block {h} {:?} cert {:?}\n", store.block(h).unwrap().map(|b| b.hash()), store.certificate(h).unwrap());
    }
    for b in blocks {
        out += &format!("by hash {:?}\n", store.block_by_hash(&b.hash()).unwrap().map(|b| b.header.height));
    }
    let state: Vec<_> = store.scan(&[], &[]).map(Result::unwrap).collect();
    out += &format!("state {} keys, {:?}\n", state.len(), Hash::digest(&format!("{state:?}").into_bytes()));
    out
}

/// The same story on one store; returns the reads after each step.
fn story(store: &dyn ChainStore, c: &Chain) -> Vec<String> {
    let mut seen = Vec::new();
    let state = |height, round| {
        WalEntry::State(SafetyRecord {
            height,
            round,
            step: Step::Prevote,
            locked: Some(RoundValue { round, value: Hash::digest(b"v") }),
            valid: None,
        })
    };
    let custodian = c.files.accounts.iter().find(|(n, _)| n == "custodian").unwrap().1.keypair().clone();
    let institution = c.files.accounts.iter().find(|(n, _)| n == "institution-0").unwrap().1.keypair().clone();
    let deposit = SignedTransaction::sign(
        &c.files.genesis.chain_id,
        TxBody {
            nonce: 1,
            valid_until_height: 50,
            payload: Payload::Deposit { account: institution.public().account_id(), amount: Amount::yuan(10), reference: "test".into() },
        },
        &custodian,
    );
    let tx = deposit.hash();

    let first = block_on(store, c, vec![]);
    store.wal_append(&[state(1, 0)]).unwrap();
    store.wal_keep_proposed_block(&first).unwrap();
    store.wal_append(&[state(1, 1), state(2, 0)]).unwrap();
    seen.push(reads(store, &tx, std::slice::from_ref(&first)));

    commit(store, c, &first).unwrap();
    seen.push(reads(store, &tx, std::slice::from_ref(&first)));

    let second = block_on(store, c, vec![deposit.to_bytes()]);
    // Out of order and mismatched commits are refused, and change nothing.
    let mut skipped = block_on(store, c, vec![]);
    skipped.header.height += 1;
    assert!(matches!(commit(store, c, &skipped), Err(StorageError::OutOfOrder { .. })));
    let mut stray = second.clone();
    stray.header.previous_block_hash = Hash::digest(b"elsewhere");
    assert!(matches!(commit(store, c, &stray), Err(StorageError::Inconsistent { .. })));
    commit(store, c, &second).unwrap();
    seen.push(reads(store, &tx, &[first.clone(), second.clone()]));

    // Evidence: stored once, known after, and bounded per validator and height.
    let mut added = Vec::new();
    for round in 0..(MAX_EVIDENCE_PER_VALIDATOR_HEIGHT as u32 + 2) {
        let e = Evidence::ConflictingVotes { first: precommit(3, round, b"one", 2), second: precommit(3, round, b"another", 2) };
        added.push((store.add_evidence(&e).unwrap(), store.add_evidence(&e).unwrap(), store.has_evidence(&EvidenceKey::of(&e)).unwrap()));
    }
    assert_eq!(added[0], (EvidenceAdded::Stored, EvidenceAdded::Known, true));
    assert_eq!(added.last().unwrap().0, EvidenceAdded::Full);
    seen.push(format!("{added:?}"));
    seen
}

#[test]
fn the_in_memory_store_answers_as_rocksdb_does() {
    let c = chain();
    let dir = tempfile::tempdir().unwrap();
    let rocks = Storage::open(dir.path(), Hash::digest(b"genesis")).unwrap();
    rocks.init_genesis(&c.writes, c.app_hash).unwrap();
    let memory = MemChainStore::with_genesis(&c.writes, c.app_hash);
    let (a, b) = (story(&rocks, &c), story(&memory, &c));
    assert_eq!(a.len(), b.len());
    for (step, (a, b)) in a.iter().zip(&b).enumerate() {
        assert_eq!(a, b, "step {step}: RocksDB and the in-memory store differ");
    }
    assert!(a[2].contains("tx Ok(Some(TxLocation { height: 2"), "the deposit is indexed: {}", a[2]);
    assert!(a[1].contains("wal Ok([State(SafetyRecord { height: 2"), "committing height 1 keeps height 2's WAL: {}", a[1]);
}
