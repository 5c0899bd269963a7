//! The load generator's setup, from a devnet directory (`loanchain-genesis devnet --out DIR`):
//! fresh investor and borrower keys with seal certificates issued by the devnet's seal authority,
//! registered by an institution, investors funded by the custodian, and loans listed with the
//! borrowers' and institutions' seals. Everything is sent with batch submission and checked:
//! a setup transaction that fails stops the run, with its receipt.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use futures::{StreamExt, stream};
use loanchain_api::BatchItemResult;
use loanchain_contracts::seal::SealKind;
use loanchain_contracts::{
    AccountId, Amount, ContractDocument, Hash, Keypair, LoanId, Money, Payload, Rate, ReceiptStatus, RepaymentMethod, RiskGrade, Role,
    SealId, SignedTransaction,
};
use loanchain_genesis::Genesis;
use loanchain_genesis::keys::{Key, read_key};
use loanchain_genesis::seal::{SealRequest, issue_seal};

use super::track::{Track, Tracker, Waiter};
use loanchain_client::node::NodeClient;
use loanchain_client::tx_builder::{self, Sealer, Target};

/// Most transactions per setup batch (a listing is about 3 KB of hex: 500 stay under the body limit).
const SETUP_BATCH: usize = 500;

/// A person the load generator made: account key and seal.
#[derive(Clone, Debug)]
pub struct Person {
    /// Account key.
    pub key: Keypair,
    /// Seal (certificate from the devnet seal authority).
    pub sealer: Sealer,
}

impl Person {
    /// Its account.
    pub fn account(&self) -> AccountId {
        self.key.public().account_id()
    }
}

/// A loan listed by the setup.
#[derive(Clone, Debug)]
pub struct LoanSlot {
    /// Id.
    pub id: LoanId,
    /// Document version and digest (what each funding seals).
    pub version: u32,
    /// Digest.
    pub digest: Hash,
    /// Index of its borrower.
    pub borrower: usize,
}

/// The devnet's keys the generator signs with.
pub struct Devnet {
    /// The genesis.
    pub genesis: Genesis,
    /// The custodian bank's key.
    pub custodian: Keypair,
    /// The seal authority's key.
    pub authority: Key,
    /// Institutions with their seals.
    pub institutions: Vec<Person>,
}

impl Devnet {
    /// Reads `DIR/genesis.json`, `DIR/accounts/{custodian,seal-authority,institution-i}.json` and
    /// `DIR/seals/institution-i.{json,key.json}`.
    pub fn read(dir: &Path) -> Result<Devnet> {
        let genesis = Genesis::load(dir.join("genesis.json")).with_context(|| format!("{} is not a devnet directory", dir.display()))?;
        let account =
            |stem: &str| read_key(dir.join("accounts").join(format!("{stem}.json"))).with_context(|| format!("devnet key {stem}"));
        let custodian = account("custodian")?.keypair().clone();
        let authority = account("seal-authority")?;
        let mut institutions = Vec::new();
        for i in 0.. {
            let stem = format!("institution-{i}");
            if !dir.join("accounts").join(format!("{stem}.json")).exists() {
                break;
            }
            let key = account(&stem)?.keypair().clone();
            let seals = dir.join("seals");
            let sealer = Sealer::read(&seals.join(format!("{stem}.json")), &seals.join(format!("{stem}.key.json")))?;
            institutions.push(Person { key, sealer });
        }
        anyhow::ensure!(!institutions.is_empty(), "{} has no accounts/institution-0.json", dir.display());
        Ok(Devnet { genesis, custodian, authority, institutions })
    }

    /// A fresh person `label` with a personal seal valid for a day.
    pub fn person(&self, run: &[u8; 32], label: &str) -> Result<Person> {
        let derive = |what: &str| Keypair::from_secret(Hash::digest_parts(&[b"loanctl/load/v1", run, what.as_bytes(), label.as_bytes()]).0);
        let key = derive("account");
        let seal_key = derive("seal");
        let seal_id = SealId::new(format!("load-{}-{label}", hex::encode(&run[..4])))?;
        let request = SealRequest {
            seal_id,
            kind: SealKind::PersonalSeal,
            name: format!("{label} personal seal"),
            holder: key.public().account_id(),
            organisation: label.to_string(),
            signer_keys: vec![seal_key.public()],
            valid_from_ms: tx_builder::now_ms().saturating_sub(3_600_000),
            valid_days: 2,
            image_digest: Hash::digest(label.as_bytes()),
        };
        let certificate = issue_seal(&self.authority, request)?;
        Ok(Person { key, sealer: Sealer { certificate, key: seal_key } })
    }
}

/// Submits `txs` in batches, tracks them to commitment, and checks every receipt.
pub async fn submit_checked(
    node: &NodeClient,
    tracker: &Arc<Tracker>,
    what: &str,
    txs: Vec<SignedTransaction>,
    timeout: Duration,
) -> Result<()> {
    if txs.is_empty() {
        return Ok(());
    }
    let started = Instant::now();
    let hashes: Vec<Hash> = txs.iter().map(SignedTransaction::hash).collect();
    let waiter = Waiter::new(txs.len());
    for chunk in txs.chunks(SETUP_BATCH) {
        let tracks: Vec<Track> = chunk.iter().map(|t| Track { hash: t.hash(), funds_loan: None }).collect();
        tracker.register(&tracks, Instant::now(), Some(&waiter), false);
        let hex: Vec<String> = chunk.iter().map(|t| hex::encode(t.to_bytes())).collect();
        let resp = node.submit_batch_hex(hex).await.with_context(|| format!("setup: submitting {what}"))?;
        for (t, r) in tracks.iter().zip(&resp.results) {
            if let BatchItemResult::Rejected { error } = r {
                tracker.forget(&[t.hash]);
                bail!("setup: the node rejected a {what} transaction: {}: {}", error.code, error.message);
            }
        }
    }
    if !waiter.wait(timeout).await {
        bail!("setup: {} {what} transactions not committed after {} s", tracker.pending(), timeout.as_secs());
    }
    let statuses: Vec<_> = stream::iter(hashes).map(|h| async move { node.tx_status(&h).await }).buffer_unordered(32).collect().await;
    for s in statuses {
        let s = s.with_context(|| format!("setup: reading a {what} receipt"))?;
        if let Some(ReceiptStatus::Failed { code, message }) = s.receipt.map(|r| r.status) {
            bail!("setup: a {what} transaction {} failed: {code}: {message}", s.tx_hash);
        }
    }
    eprintln!("setup: {} {what} committed in {:.1} s", txs.len(), started.elapsed().as_secs_f64());
    Ok(())
}

/// What the setup made.
pub struct World {
    /// Investors.
    pub investors: Vec<Person>,
    /// Borrowers.
    pub borrowers: Vec<Person>,
    /// Listed loans.
    pub loans: Vec<LoanSlot>,
}

/// Sizes of the setup.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Investors.
    pub investors: usize,
    /// Borrowers.
    pub borrowers: usize,
    /// Loans.
    pub loans: usize,
    /// Fundings per loan.
    pub slots_per_loan: u32,
    /// Amount of one funding.
    pub slot: Money,
    /// Deposit per investor.
    pub deposit: Amount,
}

/// Registers, deposits and lists what `plan` says; returns the world to load.
pub async fn setup(
    node: &NodeClient,
    tracker: &Arc<Tracker>,
    devnet: &Devnet,
    target: &Target,
    plan: &Plan,
    timeout: Duration,
) -> Result<World> {
    let run: [u8; 32] = rand::random();
    let tag = hex::encode(&run[..4]);
    let investors = (0..plan.investors).map(|i| devnet.person(&run, &format!("investor-{i}"))).collect::<Result<Vec<_>>>()?;
    let borrowers = (0..plan.borrowers).map(|i| devnet.person(&run, &format!("borrower-{i}"))).collect::<Result<Vec<_>>>()?;
    let inst = |i: usize| &devnet.institutions[i % devnet.institutions.len()];
    let register = |(i, p, role): (usize, &Person, Role)| {
        let payload = Payload::RegisterAccount {
            public_key: p.key.public(),
            role,
            name: format!("load {role} {i}"),
            id_hash: tx_builder::id_hash(&tag, &format!("{role}-{i}")),
        };
        tx_builder::sign(target, payload, &inst(i).key)
    };
    let regs: Vec<SignedTransaction> = investors
        .iter()
        .enumerate()
        .map(|(i, p)| (i, p, Role::Investor))
        .chain(borrowers.iter().enumerate().map(|(i, p)| (i, p, Role::Borrower)))
        .map(register)
        .collect();
    submit_checked(node, tracker, "registrations", regs, timeout).await?;

    let target = &Target { height: tracker.height(), ..target.clone() };
    let deposits: Vec<SignedTransaction> = investors
        .iter()
        .map(|p| {
            let payload = Payload::Deposit { account: p.account(), amount: plan.deposit, reference: format!("load-{tag}") };
            tx_builder::sign(target, payload, &devnet.custodian)
        })
        .collect();
    let principal = Amount::new(Money::from_fen(plan.slot.fen() * u64::from(plan.slots_per_loan))?)?;
    let now = tx_builder::now_ms();
    let mut loans = Vec::with_capacity(plan.loans);
    let mut listings = Vec::with_capacity(plan.loans);
    for j in 0..plan.loans {
        let b = j % borrowers.len().max(1);
        let document = ContractDocument {
            version: 1,
            chain_id: target.chain_id.clone(),
            loan_id: LoanId::new(format!("load-{tag}-{j}"))?,
            borrower: borrowers[b].account(),
            institution: inst(j).key.public().account_id(),
            principal,
            annual_rate: Rate::from_millionths(120_000)?,
            periods: 12,
            method: RepaymentMethod::EqualInstallment,
            grade: RiskGrade::A,
            funding_deadline: now + 6 * 3_600_000,
            min_investment: Amount::new(plan.slot)?,
            purpose: "loanctl load".into(),
            terms_digest: Hash::digest(b"loanctl load terms"),
        };
        loans.push(LoanSlot { id: document.loan_id.clone(), version: document.version, digest: document.digest(), borrower: b });
        listings.push(tx_builder::sign(target, tx_builder::list_loan(document, &borrowers[b].sealer, &inst(j).sealer, now), &inst(j).key));
    }
    submit_checked(node, tracker, "deposits", deposits, timeout).await?;
    submit_checked(node, tracker, "listings", listings, timeout).await?;
    Ok(World { investors, borrowers, loans })
}
