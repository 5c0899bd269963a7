//! A deterministic chain of real contract transactions: the transactions of height `h` depend on
//! `h` alone, so a test (or a child process resuming after a kill) can build any block from the
//! stored state. Each height registers a person (investor or borrower), deposits money for the
//! previous one, and now and then lists a loan with seals, funds it, and tries a withdrawal that
//! fails; every signature goes through `verify_transactions`.

use loanchain_contracts::amount::{Amount, Money, Rate};
use loanchain_contracts::crypto::{Hash, Keypair};
use loanchain_contracts::document::ContractDocument;
use loanchain_contracts::exec::{BlockContext, BlockOutcome, GenesisAccount, execute_block, init_genesis};
use loanchain_contracts::ids::{AccountId, LoanId, Role};
use loanchain_contracts::params::{Params, RiskGrade};
use loanchain_contracts::schedule::RepaymentMethod;
use loanchain_contracts::seal::{SealKind, SealProperty, SealSignature};
use loanchain_contracts::state::{MemStore, Store, WriteSet};
use loanchain_contracts::test_utils::CertBuilder;
use loanchain_contracts::tx::{Payload, SignedTransaction, TxBody, VerifiedTx, verify_transactions};
use loanchain_storage::{CommittedBlock, Storage};
use loanchain_types::{
    Block, BlockHeader, CommitCertificate, SignedVote, ValidatorIndex, Vote, VoteKind, last_commit_hash, transactions_root,
};

pub const CHAIN: &str = "loanchain-storage-test";
/// Genesis time: 2026-01-01T00:00:00Z.
pub const T0: u64 = 1_767_225_600_000;

pub fn key(seed: u64) -> Keypair {
    let mut s = [0u8; 32];
    s[..8].copy_from_slice(&seed.to_be_bytes());
    s[31] = 0x77;
    Keypair::from_secret(s)
}

fn authority() -> Keypair {
    key(1_000_001)
}
fn custodian() -> Keypair {
    key(1_000_002)
}
fn institution() -> Keypair {
    key(1_000_003)
}
/// The one validator that signs every certificate.
pub fn validator() -> Keypair {
    key(1_000_004)
}

/// The person registered at height `h`: a borrower at odd heights, an investor at even ones.
fn person(h: u64) -> Keypair {
    key(h)
}

pub fn params() -> Params {
    Params::devnet(CHAIN, 60, 10)
}

pub fn genesis_hash() -> Hash {
    Hash::digest(b"loanchain-storage-test genesis")
}

/// The genesis write set and app hash.
pub fn genesis() -> (WriteSet, Hash) {
    let accounts = vec![
        GenesisAccount { public_key: authority().public(), role: Role::SealAuthority, name: "Seal authority".into(), balance: Money::ZERO },
        GenesisAccount { public_key: custodian().public(), role: Role::CustodianBank, name: "Custodian".into(), balance: Money::ZERO },
        GenesisAccount {
            public_key: institution().public(),
            role: Role::CreditInstitution,
            name: "Institution".into(),
            balance: Money::yuan(10_000_000),
        },
    ];
    init_genesis(&params(), &accounts).expect("valid genesis")
}

pub fn block_time(h: u64) -> u64 {
    T0 + h * 1_000
}

fn amount(s: &str) -> Amount {
    s.parse().expect("amount")
}

fn seal_key(who: &Keypair) -> Keypair {
    let mut s = who.secret_bytes();
    s[0] ^= 0x5a;
    Keypair::from_secret(s)
}

fn seal(who: &Keypair, doc: &ContractDocument, at: u64) -> SealSignature {
    let id = format!("S-{}", &who.public().account_id().to_string()[..8]);
    let cert = CertBuilder::new(&id, who, &authority())
        .kind(SealKind::ContractSeal)
        .name("合同专用章")
        .signer_keys(vec![seal_key(who).public()])
        .valid(T0 - 1_000, T0 + 10 * 365 * 86_400_000)
        .image(b"image")
        .issue();
    let property = SealProperty { contract_id: doc.loan_id.clone(), contract_version: doc.version };
    SealSignature::sign(cert, &seal_key(who), at, doc.digest(), property)
}

pub fn loan_id(listed_at: u64) -> LoanId {
    LoanId::new(format!("L-{listed_at}")).expect("loan id")
}

/// The loan listed at `h` (h ≡ 3 mod 10), borrowed by the borrower registered at `h - 2`.
fn document(h: u64) -> ContractDocument {
    ContractDocument {
        version: 1,
        chain_id: CHAIN.into(),
        loan_id: loan_id(h),
        borrower: person(h - 2).public().account_id(),
        institution: institution().public().account_id(),
        principal: amount("1000"),
        annual_rate: "0.12".parse::<Rate>().expect("rate"),
        periods: 3,
        method: RepaymentMethod::EqualInstallment,
        grade: RiskGrade::B,
        funding_deadline: block_time(h) + 3_600_000,
        min_investment: amount("100"),
        purpose: "working capital".into(),
        terms_digest: Hash::digest(b"terms"),
    }
}

/// The transactions of height `h` (h ≥ 1).
pub fn transactions(h: u64) -> Vec<SignedTransaction> {
    let mut out = Vec::new();
    let mut i = 0u64;
    let mut sign = |who: &Keypair, payload: Payload| {
        i += 1;
        SignedTransaction::sign(CHAIN, TxBody { nonce: h * 16 + i, valid_until_height: h + 5, payload }, who)
    };
    let role = if h % 2 == 1 { Role::Borrower } else { Role::Investor };
    let p = person(h);
    out.push(sign(
        &institution(),
        Payload::RegisterAccount { public_key: p.public(), role, name: format!("{role} {h}"), id_hash: Hash::digest(&h.to_be_bytes()) },
    ));
    if h >= 2 {
        let to: AccountId = person(h - 1).public().account_id();
        out.push(sign(&custodian(), Payload::Deposit { account: to, amount: amount("1000"), reference: format!("ref-{h}") }));
    }
    let t = block_time(h);
    if h % 10 == 3 {
        let doc = document(h);
        let (b, inst) = (person(h - 2), institution());
        out.push(sign(
            &inst,
            Payload::ListLoan { borrower_seal: seal(&b, &doc, t), institution_seal: seal(&inst, &doc, t), document: doc },
        ));
    }
    if h >= 13 && (h % 10 == 4 || h % 10 == 5) {
        // Investors registered at h-5 and h-7 (even heights), deposited one block later.
        let listed = h - h % 10 + 3;
        let investor = person(if h % 10 == 4 { listed - 1 } else { listed - 3 });
        let doc = document(listed);
        let s = seal(&investor, &doc, t);
        out.push(sign(&investor, Payload::FundLoan { loan: doc.loan_id.clone(), amount: amount("500"), seal: s }));
    }
    if h.is_multiple_of(7) {
        // Fails (insufficient balance): a failure receipt, only the nonce is kept.
        out.push(sign(
            &custodian(),
            Payload::Withdraw { account: person(h - 1).public().account_id(), amount: amount("999999"), reference: "too much".into() },
        ));
    }
    out
}

pub fn verified(txs: &[SignedTransaction]) -> Vec<VerifiedTx> {
    verify_transactions(CHAIN, txs.to_vec()).into_iter().map(|r| r.expect("test transactions are signed")).collect()
}

/// The block of height `h` carrying `txs`, linked to the previous block.
pub fn block(
    h: u64,
    previous_block_hash: Hash,
    previous_app_hash: Hash,
    txs: &[SignedTransaction],
    last_commit: Option<CommitCertificate>,
) -> Block {
    let transactions: Vec<Vec<u8>> = txs.iter().map(SignedTransaction::to_bytes).collect();
    let header = BlockHeader {
        chain_id: CHAIN.into(),
        height: h,
        time_ms: block_time(h),
        proposer: ValidatorIndex(0),
        previous_block_hash,
        transactions_root: transactions_root(&transactions),
        last_commit_hash: last_commit_hash(last_commit.as_ref()),
        app_hash: previous_app_hash,
        validator_set_hash: Hash::ZERO,
    };
    Block { header, transactions, last_commit }
}

/// A one-signer commit certificate for `block`.
pub fn certify(block: &Block) -> CommitCertificate {
    let vote = Vote {
        height: block.header.height,
        round: 0,
        kind: VoteKind::Precommit,
        block_hash: Some(block.hash()),
        validator: ValidatorIndex(0),
    };
    let signed = SignedVote::sign(&validator(), CHAIN, vote);
    CommitCertificate::from_precommits(block.header.height, 0, block.hash(), [&signed])
}

pub fn execute(store: &dyn Store, block: &Block, previous_app_hash: &Hash) -> BlockOutcome {
    let txs: Vec<SignedTransaction> =
        block.transactions.iter().map(|b| SignedTransaction::from_bytes(b).expect("stored transaction decodes")).collect();
    let ctx = BlockContext { height: block.header.height, time: block.header.time_ms };
    execute_block(store, &params(), ctx, previous_app_hash, &verified(&txs)).expect("execution")
}

/// Builds, executes (over the storage itself) and commits the next block; returns its outcome.
pub fn commit_next(storage: &Storage) -> (Block, BlockOutcome) {
    let last = storage.last_committed().expect("genesis is initialised");
    let h = last.height + 1;
    let last_commit = if last.height == 0 { None } else { storage.certificate(last.height).expect("read") };
    let b = block(h, last.block_hash, last.app_hash, &transactions(h), last_commit);
    let outcome = execute(storage, &b, &last.app_hash);
    let certificate = certify(&b);
    storage.commit_block(&CommittedBlock { block: &b, certificate: &certificate, outcome: &outcome }).expect("commit");
    (b, outcome)
}

/// Replays the stored blocks 1..=`up_to` on a fresh MemStore from genesis; checks each block's
/// certificate and links on the way. Returns the state and the app hash.
pub fn replay(storage: &Storage, up_to: u64) -> (MemStore, Hash) {
    let (writes, mut app_hash) = genesis();
    let mut mem = MemStore::new();
    mem.apply_owned(writes);
    let mut previous = Hash::ZERO;
    for h in 1..=up_to {
        let b = storage.block(h).expect("read").unwrap_or_else(|| panic!("block {h} is stored"));
        assert_eq!(b.header.previous_block_hash, previous, "block {h} links to block {}", h - 1);
        let cert = storage.certificate(h).expect("read").unwrap_or_else(|| panic!("certificate {h} is stored"));
        assert_eq!(cert.block_hash, b.hash());
        let outcome = execute(&mem, &b, &app_hash);
        mem.apply_owned(outcome.writes);
        app_hash = outcome.app_hash;
        previous = b.hash();
    }
    (mem, app_hash)
}

/// Every state entry of a store, in key order.
pub fn all_entries(store: &dyn Store) -> Vec<(Vec<u8>, Vec<u8>)> {
    store.scan(&[], &[]).map(|e| e.expect("scan")).collect()
}

/// The `i`-th WAL batch a validator appends at height `h`: its safety record and prevote, then
/// its precommit with the prevotes that justify its lock.
pub fn wal_batch(h: u64, i: u32) -> Vec<loanchain_consensus::WalEntry> {
    use loanchain_consensus::{RoundValue, SafetyRecord, Step, WalEntry};
    use loanchain_types::ConsensusMessage;
    let value = Hash::digest(&h.to_be_bytes());
    let vote = |kind| {
        ConsensusMessage::Vote(SignedVote::sign(
            &validator(),
            CHAIN,
            Vote { height: h, round: 0, kind, block_hash: Some(value), validator: ValidatorIndex(0) },
        ))
    };
    if i == 0 {
        vec![
            WalEntry::State(SafetyRecord { height: h, round: 0, step: Step::Prevote, locked: None, valid: None }),
            WalEntry::Signed(vote(VoteKind::Prevote)),
        ]
    } else {
        let lock = RoundValue { round: 0, value };
        vec![
            WalEntry::State(SafetyRecord { height: h, round: 0, step: Step::Precommit, locked: Some(lock), valid: Some(lock) }),
            WalEntry::Justification(vec![vote(VoteKind::Prevote)]),
            WalEntry::Signed(vote(VoteKind::Precommit)),
        ]
    }
}
