//! A small in-memory chain for scenario tests: genesis with one account per role, helpers to
//! sign, seal and execute blocks, and readers of state. Every block goes through the same path
//! as on a node: batch signature verification, then `execute_block`, then the write set applied.
#![allow(dead_code)]

use std::collections::BTreeMap;

use loanchain_contracts::amount::{Amount, Money, Rate};
use loanchain_contracts::crypto::{Hash, Keypair};
use loanchain_contracts::document::ContractDocument;
use loanchain_contracts::exec::{BlockContext, BlockOutcome, GenesisAccount, execute_block, init_genesis};
use loanchain_contracts::ids::{AccountId, LoanId, Role};
use loanchain_contracts::params::{Params, RiskGrade};
use loanchain_contracts::schedule::RepaymentMethod;
use loanchain_contracts::seal::{SealCertificate, SealKind, SealProperty, SealSignature};
use loanchain_contracts::state::tables::{Accounts, Claim, Claims, Loan, Loans};
use loanchain_contracts::state::{KeyCodec, MemStore, read, scan};
use loanchain_contracts::test_utils::CertBuilder;
use loanchain_contracts::tx::{Payload, SignedTransaction, TxBody, verify_transactions};
use loanchain_contracts::{Event, Receipt, ReceiptStatus, views};

pub const CHAIN: &str = "loanchain-test";
/// Genesis time: 2026-01-01T00:00:00Z.
pub const T0: u64 = 1_767_225_600_000;
/// Devnet-like timing: a period is 60 s, a day 10 s.
pub const PERIOD_S: u64 = 60;
pub const DAY_S: u64 = 10;

pub fn key(seed: u8) -> Keypair {
    Keypair::from_secret([seed; 32])
}

pub fn yuan(s: &str) -> Money {
    s.parse().unwrap()
}

pub fn amount(s: &str) -> Amount {
    s.parse().unwrap()
}

#[derive(Clone)]
pub struct TestChain {
    pub params: Params,
    pub store: MemStore,
    pub height: u64,
    pub time: u64,
    pub app_hash: Hash,
    pub authority: Keypair,
    pub custodian: Keypair,
    pub regulator: Keypair,
    pub institution: Keypair,
    pub validator_inst: Keypair,
    pub nonce: u64,
    pub events: Vec<Event>,
    certs: BTreeMap<AccountId, SealCertificate>,
}

impl TestChain {
    pub fn new() -> TestChain {
        TestChain::with_params(Params::devnet(CHAIN, PERIOD_S, DAY_S))
    }

    pub fn with_params(params: Params) -> TestChain {
        let (authority, custodian, regulator, institution, validator_inst) = (key(1), key(2), key(3), key(4), key(5));
        let accounts = vec![
            GenesisAccount {
                public_key: authority.public(),
                role: Role::SealAuthority,
                name: "CFCA-style seal authority".into(),
                balance: Money::ZERO,
            },
            GenesisAccount {
                public_key: custodian.public(),
                role: Role::CustodianBank,
                name: "Custodian Bank".into(),
                balance: Money::ZERO,
            },
            GenesisAccount { public_key: regulator.public(), role: Role::Regulator, name: "Regulator".into(), balance: Money::ZERO },
            GenesisAccount {
                public_key: institution.public(),
                role: Role::CreditInstitution,
                name: "Credit Institution".into(),
                balance: Money::yuan(1_000_000),
            },
            GenesisAccount {
                public_key: validator_inst.public(),
                role: Role::ValidatorInstitution,
                name: "Validator Member".into(),
                balance: Money::ZERO,
            },
        ];
        let (writes, app_hash) = init_genesis(&params, &accounts).unwrap();
        let mut store = MemStore::new();
        store.apply(&writes);
        TestChain {
            params,
            store,
            height: 0,
            time: T0,
            app_hash,
            authority,
            custodian,
            regulator,
            institution,
            validator_inst,
            nonce: 0,
            events: Vec::new(),
            certs: BTreeMap::new(),
        }
    }

    pub fn sign(&mut self, signer: &Keypair, payload: Payload) -> SignedTransaction {
        self.nonce += 1;
        let body = TxBody { nonce: self.nonce, valid_until_height: self.height + 10, payload };
        SignedTransaction::sign(CHAIN, body, signer)
    }

    /// Executes one block at `time` with `txs`; every signature must verify.
    pub fn block_at(&mut self, time: u64, txs: Vec<SignedTransaction>) -> BlockOutcome {
        let verified: Vec<_> = verify_transactions(CHAIN, txs).into_iter().map(|r| r.expect("test transactions are signed")).collect();
        self.height += 1;
        self.time = time;
        let ctx = BlockContext { height: self.height, time };
        let out = execute_block(&self.store, &self.params, ctx, &self.app_hash, &verified).unwrap();
        self.store.apply(&out.writes);
        self.app_hash = out.app_hash;
        self.events.extend(out.events.iter().cloned());
        out
    }

    /// One block, one second after the last.
    pub fn block(&mut self, txs: Vec<SignedTransaction>) -> BlockOutcome {
        self.block_at(self.time + 1_000, txs)
    }

    pub fn submit(&mut self, signer: &Keypair, payload: Payload) -> Receipt {
        let tx = self.sign(signer, payload);
        self.block(vec![tx]).receipts.remove(0)
    }

    #[track_caller]
    pub fn ok(&mut self, signer: &Keypair, payload: Payload) {
        let r = self.submit(signer, payload);
        assert!(r.ok(), "{} failed: {:?}", r.kind, r.status);
    }

    /// Submits and returns the failure code.
    #[track_caller]
    pub fn fails(&mut self, signer: &Keypair, payload: Payload) -> String {
        match self.submit(signer, payload).status {
            ReceiptStatus::Failed { code, .. } => code,
            ReceiptStatus::Success => panic!("expected a failure"),
        }
    }

    /// Empty blocks until `time` (one block at exactly that time).
    pub fn advance_to(&mut self, time: u64) -> BlockOutcome {
        assert!(time > self.time);
        self.block_at(time, Vec::new())
    }

    pub fn advance(&mut self, ms: u64) -> BlockOutcome {
        self.advance_to(self.time + ms)
    }

    /// Registers an investor or borrower (by the institution) and deposits `money` for it.
    pub fn person(&mut self, seed: u8, role: Role, money: &str) -> Keypair {
        let k = key(seed);
        let inst = self.institution.clone();
        self.ok(
            &inst,
            Payload::RegisterAccount { public_key: k.public(), role, name: format!("{role} {seed}"), id_hash: Hash::digest(&[seed]) },
        );
        if money != "0" {
            self.deposit(&k.public().account_id(), money);
        }
        k
    }

    pub fn deposit(&mut self, to: &AccountId, money: &str) {
        let c = self.custodian.clone();
        self.ok(&c, Payload::Deposit { account: *to, amount: amount(money), reference: "bank-ref".into() });
    }

    /// A seal authority certificate for `who` (cached), whose seal key is derived from its seed.
    pub fn cert(&mut self, who: &Keypair) -> SealCertificate {
        let holder = who.public().account_id();
        if let Some(c) = self.certs.get(&holder) {
            return c.clone();
        }
        let cert = CertBuilder::new(&format!("S-{}", &holder.to_string()[..8]), who, &self.authority)
            .kind(SealKind::ContractSeal)
            .name("合同专用章")
            .organisation("test")
            .signer_keys(vec![seal_key(who).public()])
            .valid(T0 - 1_000, T0 + 10 * 365 * 86_400_000)
            .image(b"image")
            .issue();
        self.certs.insert(holder, cert.clone());
        cert
    }

    pub fn seal(&mut self, who: &Keypair, doc: &ContractDocument) -> SealSignature {
        let cert = self.cert(who);
        let property = SealProperty { contract_id: doc.loan_id.clone(), contract_version: doc.version };
        SealSignature::sign(cert, &seal_key(who), self.time + 1_000, doc.digest(), property)
    }

    pub fn document(
        &self,
        id: &str,
        borrower: &Keypair,
        principal: &str,
        rate: &str,
        periods: u32,
        method: RepaymentMethod,
    ) -> ContractDocument {
        ContractDocument {
            version: 1,
            chain_id: CHAIN.into(),
            loan_id: LoanId::new(id).unwrap(),
            borrower: borrower.public().account_id(),
            institution: self.institution.public().account_id(),
            principal: amount(principal),
            annual_rate: rate.parse::<Rate>().unwrap(),
            periods,
            method,
            grade: RiskGrade::B,
            funding_deadline: self.time + 3_600_000,
            min_investment: amount("100"),
            purpose: "working capital".into(),
            terms_digest: Hash::digest(b"terms"),
        }
    }

    pub fn list(&mut self, doc: &ContractDocument, borrower: &Keypair) {
        let bs = self.seal(borrower, doc);
        let inst = self.institution.clone();
        let is = self.seal(&inst, doc);
        self.ok(&inst, Payload::ListLoan { document: doc.clone(), borrower_seal: bs, institution_seal: is });
    }

    pub fn fund_payload(&mut self, investor: &Keypair, doc: &ContractDocument, money: &str) -> Payload {
        let seal = self.seal(investor, doc);
        Payload::FundLoan { loan: doc.loan_id.clone(), amount: amount(money), seal }
    }

    #[track_caller]
    pub fn fund(&mut self, investor: &Keypair, doc: &ContractDocument, money: &str) {
        let p = self.fund_payload(investor, doc, money);
        self.ok(investor, p);
    }

    pub fn balance(&self, who: &Keypair) -> Money {
        self.balance_of(&who.public().account_id())
    }

    pub fn balance_of(&self, id: &AccountId) -> Money {
        read::<Accounts>(&self.store, id).unwrap().map(|a| a.balance).unwrap_or(Money::ZERO)
    }

    pub fn loan(&self, id: &str) -> Loan {
        read::<Loans>(&self.store, &LoanId::new(id).unwrap()).unwrap().expect("loan exists")
    }

    pub fn try_loan(&self, id: &str) -> Option<Loan> {
        read::<Loans>(&self.store, &LoanId::new(id).unwrap()).unwrap()
    }

    pub fn claims(&self, id: &str) -> Vec<Claim> {
        let loan = LoanId::new(id).unwrap();
        scan::<Claims>(&self.store, &loan.key_bytes(), usize::MAX).unwrap().into_iter().map(|(_, c)| c).collect()
    }

    pub fn pool(&self) -> Money {
        views::totals(&self.store).unwrap().risk_pool
    }

    /// DESIGN §5: all balances + escrows + risk pool = genesis + deposits − withdrawals, with
    /// each side recomputed from state, not from the running totals alone.
    #[track_caller]
    pub fn assert_money_conserved(&self) {
        let t = views::totals(&self.store).unwrap();
        let balances = Money::sum(scan::<Accounts>(&self.store, &[], usize::MAX).unwrap().into_iter().map(|(_, a)| a.balance)).unwrap();
        let mut escrow = Money::ZERO;
        for (_, l) in views::loans(&self.store).unwrap() {
            if l.status == loanchain_contracts::state::tables::LoanStatus::Funding {
                escrow = escrow.checked_add(l.funded).unwrap().checked_add(l.margin_posted).unwrap();
            }
        }
        assert_eq!(escrow, t.escrow, "escrow total matches the loans in funding");
        let inside = balances.checked_add(escrow).unwrap().checked_add(t.risk_pool).unwrap();
        let outside = t.genesis_money.checked_add(t.deposits).unwrap().checked_sub(t.withdrawals).unwrap();
        assert_eq!(inside, outside, "money is conserved");
    }

    /// Claims' outstanding principal adds up to what the borrower still owes on the schedule.
    #[track_caller]
    pub fn assert_claims_match_schedule(&self, id: &str) {
        let loan = self.loan(id);
        if !loan.status.is_repaying() && loan.status != loanchain_contracts::state::tables::LoanStatus::Repaid {
            return;
        }
        let claims = Money::sum(self.claims(id).iter().map(|c| c.outstanding)).unwrap();
        assert_eq!(claims, loan.principal_outstanding(), "claims of {id} match its schedule");
    }
}

/// The seal key of an account: separate from its account key (DESIGN §4).
pub fn seal_key(who: &Keypair) -> Keypair {
    let mut s = who.secret_bytes();
    s[0] ^= 0x5a;
    Keypair::from_secret(s)
}

/// A digest of the whole state except the replay-window tables: what a failed transaction must
/// leave unchanged (DESIGN §5: nothing changes but the nonce).
pub fn digest_without_nonces(store: &MemStore) -> Hash {
    use loanchain_contracts::state::Table;
    use loanchain_contracts::state::tables::{NonceExpiry, Nonces};
    let mut bytes = Vec::new();
    for (k, v) in store.entries() {
        if k[0] == Nonces::PREFIX || k[0] == NonceExpiry::PREFIX {
            continue;
        }
        bytes.extend_from_slice(&(k.len() as u32).to_be_bytes());
        bytes.extend_from_slice(k);
        bytes.extend_from_slice(&(v.len() as u32).to_be_bytes());
        bytes.extend_from_slice(v);
    }
    Hash::digest(&bytes)
}
