//! Whole loan lifecycles as signed transactions, from the keys of a generated devnet: investors
//! and borrowers registered and funded, loans listed with seals, funded by several investors
//! (which activates them), repaid in parts and prepaid to the end.

use loanchain_contracts::document::ContractDocument;
use loanchain_contracts::seal::{SealCertificate, SealKind, SealProperty, SealSignature};
use loanchain_contracts::{
    Amount, Hash, Keypair, LoanId, Payload, Rate, RepaymentMethod, RiskGrade, Role, SealId, SignedTransaction, TxBody,
};
use loanchain_genesis::DevnetFiles;
use loanchain_genesis::keys::Key;
use loanchain_genesis::seal::{SealRequest, issue_seal};

/// A person of the workload with an account key, a seal key and a seal certificate.
pub struct Person {
    pub key: Keypair,
    pub seal_key: Keypair,
    pub cert: SealCertificate,
}

/// The signers of the workload.
pub struct Workload {
    pub chain_id: String,
    pub institution: Person,
    pub custodian: Keypair,
    pub investors: Vec<Person>,
    pub borrowers: Vec<Person>,
    nonce: u64,
}

fn account(files: &DevnetFiles, name: &str) -> Key {
    files.accounts.iter().find(|(n, _)| n == name).map(|(_, k)| k.clone()).unwrap_or_else(|| panic!("devnet has no {name}"))
}

impl Workload {
    /// Signers for `investors` investors and `borrowers` borrowers; `tag` keeps keys of
    /// different runs apart.
    pub fn new(files: &DevnetFiles, tag: &str, investors: usize, borrowers: usize, now_ms: u64) -> Workload {
        let authority = account(files, "seal-authority");
        let inst_key = account(files, "institution-0");
        let inst_seal = files.seals.iter().find(|s| s.stem == "institution-0").expect("institution seal");
        let institution =
            Person { key: inst_key.keypair().clone(), seal_key: inst_seal.seal_key.keypair().clone(), cert: inst_seal.certificate.clone() };
        let person = |who: &str, i: usize| {
            let key = Keypair::from_secret(Hash::digest(format!("{tag}/{who}/{i}/account").as_bytes()).0);
            let seal_key = Keypair::from_secret(Hash::digest(format!("{tag}/{who}/{i}/seal").as_bytes()).0);
            let request = SealRequest {
                seal_id: SealId::new(format!("{tag}-{who}-{i}")).expect("valid seal id"),
                kind: SealKind::PersonalSeal,
                name: format!("{who} {i}"),
                holder: key.public().account_id(),
                organisation: format!("{who} {i}"),
                signer_keys: vec![seal_key.public()],
                valid_from_ms: now_ms - 60_000,
                valid_days: 30,
                image_digest: Hash::digest(b"seal image"),
            };
            let cert = issue_seal(&authority, request).expect("seal issued");
            Person { key, seal_key, cert }
        };
        Workload {
            chain_id: files.genesis.chain_id.clone(),
            institution,
            custodian: account(files, "custodian").keypair().clone(),
            investors: (0..investors).map(|i| person("investor", i)).collect(),
            borrowers: (0..borrowers).map(|i| person("borrower", i)).collect(),
            nonce: Hash::digest(tag.as_bytes()).0[0] as u64 * 1_000_000_000,
        }
    }

    pub fn sign(&mut self, key: &Keypair, payload: Payload, valid_until_height: u64) -> SignedTransaction {
        self.nonce += 1;
        SignedTransaction::sign(&self.chain_id, TxBody { nonce: self.nonce, valid_until_height, payload }, key)
    }

    /// Registrations of every investor and borrower, by the institution.
    pub fn registrations(&mut self, until: u64) -> Vec<SignedTransaction> {
        let people: Vec<(Keypair, Role, String)> = self
            .investors
            .iter()
            .enumerate()
            .map(|(i, p)| (p.key.clone(), Role::Investor, format!("investor {i}")))
            .chain(self.borrowers.iter().enumerate().map(|(i, p)| (p.key.clone(), Role::Borrower, format!("borrower {i}"))))
            .collect();
        let inst = self.institution.key.clone();
        people
            .into_iter()
            .map(|(k, role, name)| {
                let id_hash = Hash::digest(format!("salt/{name}").as_bytes());
                self.sign(&inst, Payload::RegisterAccount { public_key: k.public(), role, name, id_hash }, until)
            })
            .collect()
    }

    /// A deposit of `yuan` to every investor and borrower, by the custodian.
    pub fn deposits(&mut self, yuan: u64, until: u64) -> Vec<SignedTransaction> {
        let ids: Vec<_> = self.investors.iter().chain(&self.borrowers).map(|p| p.key.public().account_id()).collect();
        let custodian = self.custodian.clone();
        ids.into_iter()
            .map(|account| {
                self.sign(&custodian, Payload::Deposit { account, amount: Amount::yuan(yuan), reference: "devnet".into() }, until)
            })
            .collect()
    }

    /// The contract of loan `id` for borrower `b`.
    pub fn document(&self, id: &str, b: usize, principal_yuan: u64, now_ms: u64) -> ContractDocument {
        ContractDocument {
            version: 1,
            chain_id: self.chain_id.clone(),
            loan_id: LoanId::new(id).expect("valid loan id"),
            borrower: self.borrowers[b].key.public().account_id(),
            institution: self.institution.key.public().account_id(),
            principal: Amount::yuan(principal_yuan),
            annual_rate: "0.12".parse::<Rate>().expect("rate"),
            periods: 6,
            method: RepaymentMethod::EqualInstallment,
            grade: RiskGrade::B,
            funding_deadline: now_ms + 3_600_000,
            min_investment: Amount::yuan(100),
            purpose: "working capital".into(),
            terms_digest: Hash::digest(b"standard terms v1"),
        }
    }

    fn seal(p: &Person, doc: &ContractDocument, now_ms: u64) -> SealSignature {
        let property = SealProperty { contract_id: doc.loan_id.clone(), contract_version: doc.version };
        SealSignature::sign(p.cert.clone(), &p.seal_key, now_ms, doc.digest(), property)
    }

    /// The listing of `doc` with the borrower's and the institution's seals.
    pub fn list(&mut self, doc: &ContractDocument, b: usize, now_ms: u64, until: u64) -> SignedTransaction {
        let borrower_seal = Self::seal(&self.borrowers[b], doc, now_ms);
        let institution_seal = Self::seal(&self.institution, doc, now_ms);
        let inst = self.institution.key.clone();
        self.sign(&inst, Payload::ListLoan { document: doc.clone(), borrower_seal, institution_seal }, until)
    }

    /// Investor `i` funds `yuan` of `doc`.
    pub fn fund(&mut self, doc: &ContractDocument, i: usize, yuan: u64, now_ms: u64, until: u64) -> SignedTransaction {
        let seal = Self::seal(&self.investors[i], doc, now_ms);
        let key = self.investors[i].key.clone();
        self.sign(&key, Payload::FundLoan { loan: doc.loan_id.clone(), amount: Amount::yuan(yuan), seal }, until)
    }

    /// Borrower `b` repays `yuan` of `loan`.
    pub fn repay(&mut self, loan: &LoanId, b: usize, yuan: u64, until: u64) -> SignedTransaction {
        let key = self.borrowers[b].key.clone();
        self.sign(&key, Payload::Repay { loan: loan.clone(), amount: Amount::yuan(yuan) }, until)
    }

    /// Borrower `b` pays `loan` off.
    pub fn prepay(&mut self, loan: &LoanId, b: usize, until: u64) -> SignedTransaction {
        let key = self.borrowers[b].key.clone();
        self.sign(&key, Payload::Prepay { loan: loan.clone() }, until)
    }
}
