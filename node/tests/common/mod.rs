//! A real chain for API tests: a devnet genesis (1 validator, 1 observer) written to RocksDB in a
//! temporary directory, then two certified blocks — block 1 registers a borrower and an investor,
//! deposits for the investor, lists loan `L-1` with both seals and funds 500 of it; block 2 is
//! empty — and a [`NodeContext`] over it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use loanchain_contracts::seal::{SealCertificate, SealCertificateBody, SealKind, SealProperty, SealSignature};
use loanchain_contracts::tx::{MAX_TX_BYTES, verify_transactions};
use loanchain_contracts::{
    Amount, BlockContext, ContractDocument, Hash, Keypair, LoanId, Payload, Rate, RepaymentMethod, RiskGrade, Role, SealId, SignedTransaction, TxBody,
    execute_block, init_genesis,
};
use loanchain_genesis::devnet::{DevnetFiles, DevnetSpec, devnet};
use loanchain_node::context::NodeContext;
use loanchain_node::mempool::Mempool;
use loanchain_node::metrics::Metrics;
use loanchain_storage::{CommittedBlock, Storage};
use loanchain_types::api::{CommittedEvent, NodeRole, NodeStatus};
use loanchain_types::{Block, BlockHeader, CommitCertificate, SignedVote, ValidatorIndex, Vote, VoteKind, transactions_root};
use tokio::sync::{broadcast, watch};

/// Genesis time: 2026-01-01T00:00:00Z.
pub const T0: u64 = 1_767_225_600_000;
/// The loan block 1 lists.
pub const LOAN: &str = "L-1";

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_nanos();
        let path = std::env::temp_dir().join(format!("loanchain-api-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The chain and the handles a test drives it with.
pub struct Chain {
    pub files: DevnetFiles,
    pub storage: Arc<Storage>,
    pub blocks: Vec<Block>,
    /// The signed transactions of block 1, in order.
    pub block1: Vec<SignedTransaction>,
    pub borrower: Keypair,
    pub investor: Keypair,
    pub status: NodeStatus,
    // Last: the directory outlives the database.
    pub dir: TempDir,
}

impl Chain {
    pub fn chain_id(&self) -> &str {
        &self.files.genesis.chain_id
    }

    pub fn account(&self, stem: &str) -> Keypair {
        self.files.accounts.iter().find(|(s, _)| s == stem).map(|(_, k)| k.keypair().clone()).expect("devnet account")
    }

    pub fn custodian(&self) -> Keypair {
        self.account("custodian")
    }

    pub fn institution(&self) -> Keypair {
        self.account("institution-0")
    }

    /// A transaction valid for the next block.
    pub fn sign(&self, who: &Keypair, nonce: u64, payload: Payload) -> SignedTransaction {
        let height = self.storage.last_committed().expect("initialised").height;
        SignedTransaction::sign(self.chain_id(), TxBody { nonce, valid_until_height: height + 10, payload }, who)
    }

    /// A custodian deposit of `yuan` to the investor: always admissible with a fresh nonce.
    pub fn deposit(&self, nonce: u64, yuan: u64) -> SignedTransaction {
        let payload = Payload::Deposit { account: self.investor.public().account_id(), amount: Amount::yuan(yuan), reference: format!("api-test-{nonce}") };
        self.sign(&self.custodian(), nonce, payload)
    }

    /// A [`NodeContext`] over this chain with a fresh mempool, metrics and event channel.
    pub fn context(&self, role: NodeRole, events: usize) -> (Arc<NodeContext>, watch::Sender<NodeStatus>) {
        let (status_tx, status) = watch::channel(NodeStatus { role, ..self.status.clone() });
        let (events, _) = broadcast::channel::<Arc<Vec<CommittedEvent>>>(events);
        let metrics = Arc::new(Metrics::new());
        metrics.height.set(self.status.height as i64);
        let ctx = NodeContext {
            name: self.status.name.clone(),
            role,
            genesis: Arc::new(self.files.genesis.clone()),
            genesis_hash: self.files.genesis.hash(),
            storage: self.storage.clone(),
            mempool: Arc::new(Mempool::new(100, MAX_TX_BYTES)),
            status,
            events,
            metrics,
            gossip: None,
        };
        (Arc::new(ctx), status_tx)
    }
}

fn person(seed: u8) -> Keypair {
    Keypair::from_secret([seed; 32])
}

/// A seal certificate for `who` issued by the devnet seal authority; `who` signs with its own key.
fn certificate(files: &DevnetFiles, who: &Keypair) -> SealCertificate {
    let authority = files.accounts.iter().find(|(s, _)| s == "seal-authority").map(|(_, k)| k.keypair().clone()).expect("seal authority");
    let holder = who.public().account_id();
    let body = SealCertificateBody {
        version: 1,
        seal_id: SealId::new(format!("S-{}", &holder.to_string()[..8])).expect("seal id"),
        kind: SealKind::ContractSeal,
        name: "合同专用章".into(),
        holder,
        organisation: "api test".into(),
        signer_keys: vec![who.public()],
        valid_from: T0,
        valid_to: T0 + 365 * 86_400_000,
        image_digest: Hash::digest(b"image"),
        issuer: authority.public(),
    };
    SealCertificate::issue(body, &authority).expect("certificate")
}

fn seal(cert: SealCertificate, key: &Keypair, doc: &ContractDocument, at: u64) -> SealSignature {
    let property = SealProperty { contract_id: doc.loan_id.clone(), contract_version: doc.version };
    SealSignature::sign(cert, key, at, doc.digest(), property)
}

/// Executes, certifies (with validator-0's consensus key) and commits a block of `txs`.
fn commit(files: &DevnetFiles, storage: &Storage, txs: &[SignedTransaction], last_commit: Option<CommitCertificate>) -> (Block, CommitCertificate) {
    let genesis = &files.genesis;
    let last = storage.last_committed().expect("initialised");
    let height = last.height + 1;
    let transactions: Vec<Vec<u8>> = txs.iter().map(SignedTransaction::to_bytes).collect();
    let header = BlockHeader {
        chain_id: genesis.chain_id.clone(),
        height,
        time_ms: T0 + height * 1_000,
        proposer: ValidatorIndex(0),
        previous_block_hash: last.block_hash,
        transactions_root: transactions_root(&transactions),
        app_hash: last.app_hash,
        validator_set_hash: Hash::ZERO,
    };
    let block = Block { header, transactions, last_commit };
    let verified: Vec<_> = verify_transactions(&genesis.chain_id, txs.to_vec()).into_iter().map(|v| v.expect("signed")).collect();
    let ctx = BlockContext { height, time: block.header.time_ms };
    let outcome = execute_block(storage, &genesis.params, ctx, &last.app_hash, &verified).expect("execution");
    assert!(outcome.receipts.iter().all(|r| r.ok()), "every fixture transaction succeeds: {:?}", outcome.receipts);
    let key = files.nodes[0].consensus_key.as_ref().expect("validator key").keypair().clone();
    let vote = Vote { height, round: 0, kind: VoteKind::Precommit, block_hash: Some(block.hash()), validator: ValidatorIndex(0) };
    let signed = SignedVote::sign(&key, &genesis.chain_id, vote);
    let certificate = CommitCertificate::from_precommits(height, 0, block.hash(), [&signed]);
    storage.commit_block(&CommittedBlock { block: &block, certificate: &certificate, outcome: &outcome }).expect("commit");
    (block, certificate)
}

/// The chain of the module docs.
pub fn chain(name: &str) -> Chain {
    let dir = TempDir::new(name);
    let files = devnet(&DevnetSpec::new(1, 1, T0), &[7; 32]).expect("devnet");
    let genesis = &files.genesis;
    let storage = Arc::new(Storage::open(dir.path(), genesis.hash()).expect("open storage"));
    let (writes, app_hash) = init_genesis(&genesis.params, &genesis.accounts).expect("genesis");
    storage.init_genesis(&writes, app_hash).expect("init genesis");

    let custodian = files.accounts.iter().find(|(s, _)| s == "custodian").map(|(_, k)| k.keypair().clone()).expect("custodian");
    let institution = files.accounts.iter().find(|(s, _)| s == "institution-0").map(|(_, k)| k.keypair().clone()).expect("institution");
    let (borrower, investor) = (person(0xb0), person(0x1e));
    let t1 = T0 + 1_000;
    let doc = ContractDocument {
        version: 1,
        chain_id: genesis.chain_id.clone(),
        loan_id: LoanId::new(LOAN).expect("loan id"),
        borrower: borrower.public().account_id(),
        institution: institution.public().account_id(),
        principal: "1000".parse().expect("amount"),
        annual_rate: "0.12".parse::<Rate>().expect("rate"),
        periods: 3,
        method: RepaymentMethod::EqualInstallment,
        grade: RiskGrade::B,
        funding_deadline: t1 + 3_600_000,
        min_investment: "100".parse().expect("amount"),
        purpose: "working capital".into(),
        terms_digest: Hash::digest(b"terms"),
    };
    let inst_seal = &files.seals[0];
    let sign = |who: &Keypair, nonce: u64, payload: Payload| SignedTransaction::sign(&genesis.chain_id, TxBody { nonce, valid_until_height: 10, payload }, who);
    let block1 = vec![
        sign(&institution, 1, Payload::RegisterAccount { public_key: borrower.public(), role: Role::Borrower, name: "Borrower".into(), id_hash: Hash::digest(b"b") }),
        sign(&institution, 2, Payload::RegisterAccount { public_key: investor.public(), role: Role::Investor, name: "Investor".into(), id_hash: Hash::digest(b"i") }),
        sign(&custodian, 1, Payload::Deposit { account: investor.public().account_id(), amount: Amount::yuan(1_000), reference: "ref-1".into() }),
        sign(&institution, 3, Payload::ListLoan {
            borrower_seal: seal(certificate(&files, &borrower), &borrower, &doc, t1),
            institution_seal: seal(inst_seal.certificate.clone(), inst_seal.seal_key.keypair(), &doc, t1),
            document: doc.clone(),
        }),
        sign(&investor, 1, Payload::FundLoan { loan: doc.loan_id.clone(), amount: Amount::yuan(500), seal: seal(certificate(&files, &investor), &investor, &doc, t1) }),
    ];
    let (b1, c1) = commit(&files, &storage, &block1, None);
    let (b2, _) = commit(&files, &storage, &[], Some(c1));
    let last = storage.last_committed().expect("committed");
    let status = NodeStatus {
        name: "validator-0".into(),
        role: NodeRole::Validator,
        chain_id: genesis.chain_id.clone(),
        genesis_hash: genesis.hash(),
        height: last.height,
        block_hash: Some(last.block_hash),
        app_hash: last.app_hash,
        block_time_ms: b2.header.time_ms,
        round: 0,
        peers: 0,
        mempool_size: 0,
        behind: 0,
    };
    Chain { files, storage, blocks: vec![b1, b2], block1, borrower, investor, status, dir }
}
