//! Executed transactions per second on the in-memory state (issue: contracts benchmark).
//!
//! `cargo bench -p loanchain-contracts --bench execute [-- --loans N --investors M --block B --rounds R
//! --phases fund-verified,repay-verified]` (`--phases` selects the optional signature-checked runs)
//!
//! Sets up N loans listed for funding by M investors each, then measures, on one core:
//! - FundLoan: N × M fundings (the last funding of each loan disburses it and fixes its
//!   schedule), with signatures already verified (`VerifiedTx::trusted`) and, on a copy of the same
//!   state, with every signature checked in batches first (each FundLoan carries three: the
//!   transaction's, the investor's seal and the seal certificate's issuer);
//! - Repay: rounds of one repayment per loan, each split among its M claim holders.
//!
//! Each block is executed and its write set applied to the store, as a node would commit it.
//! Signing and building transactions is not timed.
// A benchmark measures wall time, which the deterministic crate itself never reads.
#![allow(clippy::disallowed_methods)]

use std::time::Instant;

use loanchain_contracts::amount::{Money, Rate};
use loanchain_contracts::crypto::{Hash, Keypair};
use loanchain_contracts::document::ContractDocument;
use loanchain_contracts::exec::{BlockContext, GenesisAccount, execute_block, init_genesis};
use loanchain_contracts::ids::{LoanId, Role};
use loanchain_contracts::params::{Params, RiskGrade};
use loanchain_contracts::schedule::RepaymentMethod;
use loanchain_contracts::seal::{SealCertificate, SealProperty, SealSignature};
use loanchain_contracts::state::MemStore;
use loanchain_contracts::test_utils::CertBuilder;
use loanchain_contracts::tx::{Payload, SignedTransaction, TxBody, VerifiedTx, verify_transactions};

const CHAIN: &str = "loanchain-bench";
const T0: u64 = 1_767_225_600_000;

struct Bench {
    params: Params,
    store: MemStore,
    height: u64,
    time: u64,
    app_hash: Hash,
    nonce: u64,
}

impl Bench {
    fn sign(&mut self, key: &Keypair, payload: Payload) -> SignedTransaction {
        self.nonce += 1;
        SignedTransaction::sign(CHAIN, TxBody { nonce: self.nonce, valid_until_height: self.height + 1_000, payload }, key)
    }

    fn run(&mut self, txs: Vec<VerifiedTx>) -> usize {
        self.height += 1;
        self.time += 100;
        let out =
            execute_block(&self.store, &self.params, BlockContext { height: self.height, time: self.time }, &self.app_hash, &txs).unwrap();
        self.store.apply_owned(out.writes);
        self.app_hash = out.app_hash;
        out.receipts.iter().filter(|r| !r.ok()).count()
    }
}

fn key(i: u32, kind: u8) -> Keypair {
    let mut s = [kind; 32];
    s[..4].copy_from_slice(&i.to_be_bytes());
    Keypair::from_secret(s)
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn cert(authority: &Keypair, holder: &Keypair, seal_key: &Keypair) -> SealCertificate {
    CertBuilder::new(&format!("S-{}", &holder.public().account_id().to_string()[..12]), holder, authority)
        .name("seal")
        .organisation("bench")
        .signer_keys(vec![seal_key.public()])
        .valid(T0 - 1, T0 + 365 * 86_400_000)
        .image(b"img")
        .issue()
}

fn phase(name: &str) -> bool {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == "--phases").and_then(|i| args.get(i + 1)) {
        Some(list) => list.split(',').any(|p| p == name),
        None => true,
    }
}

fn report(what: &str, n: usize, secs: f64, failed: usize) {
    println!("{what:<44} {n:>8} tx in {secs:>7.3} s = {:>9.0} tx/s   ({failed} failed)", n as f64 / secs);
}

fn main() {
    let loans = arg("--loans", 1_000);
    let investors = arg("--investors", 50);
    let block = arg("--block", 1_000);
    let rounds = arg("--rounds", 5);
    let per_investment: u64 = 1_000;
    println!("loans {loans} × investors {investors}, {block} tx per block, one core, in-memory state");

    let authority = key(0, 1);
    let custodian = key(0, 2);
    let institution = key(0, 3);
    let borrowers: Vec<Keypair> = (0..loans as u32).map(|i| key(i, 4)).collect();
    let invs: Vec<Keypair> = (0..investors as u32).map(|i| key(i, 5)).collect();
    let mut accounts = vec![
        GenesisAccount { public_key: authority.public(), role: Role::SealAuthority, name: "authority".into(), balance: Money::ZERO },
        GenesisAccount { public_key: custodian.public(), role: Role::CustodianBank, name: "bank".into(), balance: Money::ZERO },
        GenesisAccount {
            public_key: institution.public(),
            role: Role::CreditInstitution,
            name: "institution".into(),
            balance: Money::yuan(1_000_000_000),
        },
    ];
    for b in &borrowers {
        accounts.push(GenesisAccount { public_key: b.public(), role: Role::Borrower, name: "b".into(), balance: Money::ZERO });
    }
    for i in &invs {
        accounts.push(GenesisAccount {
            public_key: i.public(),
            role: Role::Investor,
            name: "i".into(),
            balance: Money::yuan(per_investment * loans as u64 * 2),
        });
    }
    let params = Params::devnet(CHAIN, 3_600, 600);
    let (writes, app_hash) = init_genesis(&params, &accounts).unwrap();
    let mut store = MemStore::new();
    store.apply(&writes);
    let mut b = Bench { params, store, height: 0, time: T0, app_hash, nonce: 0 };

    // Listing (not timed).
    let inst_seal_key = key(0, 6);
    let inst_cert = cert(&authority, &institution, &inst_seal_key);
    let mut docs = Vec::with_capacity(loans);
    let mut listing = Vec::new();
    for (i, borrower) in borrowers.iter().enumerate() {
        let doc = ContractDocument {
            version: 1,
            chain_id: CHAIN.into(),
            loan_id: LoanId::new(format!("L-{i:06}")).unwrap(),
            borrower: borrower.public().account_id(),
            institution: institution.public().account_id(),
            principal: Money::yuan(per_investment * investors as u64).to_string().parse().unwrap(),
            annual_rate: Rate::from_millionths(120_000).unwrap(),
            periods: 12,
            method: RepaymentMethod::EqualInstallment,
            grade: RiskGrade::A,
            funding_deadline: T0 + 86_400_000,
            min_investment: "100".parse().unwrap(),
            purpose: "bench".into(),
            terms_digest: Hash::digest(b"terms"),
        };
        let bkey = key(i as u32, 7);
        let bs = SealSignature::sign(
            cert(&authority, borrower, &bkey),
            &bkey,
            T0,
            doc.digest(),
            SealProperty { contract_id: doc.loan_id.clone(), contract_version: 1 },
        );
        let is = SealSignature::sign(
            inst_cert.clone(),
            &inst_seal_key,
            T0,
            doc.digest(),
            SealProperty { contract_id: doc.loan_id.clone(), contract_version: 1 },
        );
        listing.push(VerifiedTx::trusted(
            b.sign(&institution, Payload::ListLoan { document: doc.clone(), borrower_seal: bs, institution_seal: is }),
        ));
        docs.push(doc);
    }
    for chunk in listing.chunks(block) {
        assert_eq!(b.run(chunk.to_vec()), 0, "listing failed");
    }

    // FundLoan transactions, investor-major so each block touches many loans.
    let inv_certs: Vec<(SealCertificate, Keypair)> = invs
        .iter()
        .enumerate()
        .map(|(j, inv)| {
            let k = key(j as u32, 8);
            (cert(&authority, inv, &k), k)
        })
        .collect();
    let mut funding = Vec::with_capacity(loans * investors);
    for (j, inv) in invs.iter().enumerate() {
        for doc in &docs {
            let (c, k) = &inv_certs[j];
            let seal =
                SealSignature::sign(c.clone(), k, T0, doc.digest(), SealProperty { contract_id: doc.loan_id.clone(), contract_version: 1 });
            funding.push(b.sign(
                inv,
                Payload::FundLoan { loan: doc.loan_id.clone(), amount: Money::yuan(per_investment).to_string().parse().unwrap(), seal },
            ));
        }
    }
    let base_store = b.store.clone();
    let (base_height, base_time, base_hash) = (b.height, b.time, b.app_hash);

    let trusted: Vec<VerifiedTx> = funding.iter().cloned().map(VerifiedTx::trusted).collect();
    let start = Instant::now();
    let mut failed = 0;
    for chunk in trusted.chunks(block) {
        failed += b.run(chunk.to_vec());
    }
    report("FundLoan, signatures excluded", trusted.len(), start.elapsed().as_secs_f64(), failed);
    let funded_hash = b.app_hash;

    let mut v = Bench { params: b.params.clone(), store: base_store, height: base_height, time: base_time, app_hash: base_hash, nonce: 0 };
    if phase("fund-verified") {
        let start = Instant::now();
        let mut failed = 0;
        for chunk in funding.chunks(block) {
            let verified: Vec<VerifiedTx> = verify_transactions(CHAIN, chunk.to_vec()).into_iter().map(|r| r.unwrap()).collect();
            failed += v.run(verified);
        }
        report("FundLoan, 3 signatures each checked (batch)", funding.len(), start.elapsed().as_secs_f64(), failed);
        assert_eq!(v.app_hash, funded_hash, "the same blocks give the same state either way");
    }

    // Repay: every loan is active with `investors` claims.
    let mut repays = Vec::new();
    for _ in 0..rounds {
        for (i, doc) in docs.iter().enumerate() {
            repays.push(b.sign(&borrowers[i], Payload::Repay { loan: doc.loan_id.clone(), amount: "100.00".parse().unwrap() }));
        }
    }
    let repay_store = b.store.clone();
    let (rh, rt, rhash) = (b.height, b.time, b.app_hash);
    let trusted: Vec<VerifiedTx> = repays.iter().cloned().map(VerifiedTx::trusted).collect();
    let start = Instant::now();
    let mut failed = 0;
    for chunk in trusted.chunks(block) {
        failed += b.run(chunk.to_vec());
    }
    report(&format!("Repay split {investors} ways, signatures excluded"), trusted.len(), start.elapsed().as_secs_f64(), failed);
    let mut v = Bench { params: b.params.clone(), store: repay_store, height: rh, time: rt, app_hash: rhash, nonce: 0 };
    if phase("repay-verified") {
        let start = Instant::now();
        let mut failed = 0;
        for chunk in repays.chunks(block) {
            let verified: Vec<VerifiedTx> = verify_transactions(CHAIN, chunk.to_vec()).into_iter().map(|r| r.unwrap()).collect();
            failed += v.run(verified);
        }
        report(&format!("Repay split {investors} ways, signature checked"), repays.len(), start.elapsed().as_secs_f64(), failed);
    }
    println!("state: {} keys", b.store.len());
}
