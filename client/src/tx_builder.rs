//! Building and signing transactions (DESIGN §5) and seals (DESIGN §7): pure functions of their
//! inputs, so tests check that what loanctl builds verifies as the chain verifies it.

use std::path::Path;

use anyhow::{Context, Result};
use loanchain_contracts::seal::{SealCertificate, SealProperty, SealSignature};
use loanchain_contracts::tx::TransferConsent;
use loanchain_contracts::{AccountId, Amount, ClaimId, ContractDocument, Hash, Keypair, LoanId, Payload, SignedTransaction, TxBody};
use loanchain_genesis::keys::{KeyKind, read_key, read_key_of};
use loanchain_genesis::seal::read_certificate;

/// Domain of the salted identity-number hash of `RegisterAccount` (实名认证): the number itself
/// never leaves the institution.
pub const ID_HASH_DOMAIN: &[u8] = b"loanchain/id-number/v1";

/// Where a transaction goes: the chain and the height it is signed against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The chain id (from `GET /v1/status`).
    pub chain_id: String,
    /// The last committed height.
    pub height: u64,
    /// Blocks ahead the transaction stays valid.
    pub valid_for: u64,
}

impl Target {
    /// The last height at which the transaction may be included.
    pub fn valid_until(&self) -> u64 {
        self.height.saturating_add(self.valid_for)
    }
}

/// A random nonce (DESIGN §5: the chain remembers (signer, nonce) only within the window).
pub fn random_nonce() -> u64 {
    rand::random()
}

/// Signs `payload` with `key` for `target`, with `nonce`.
pub fn sign_with_nonce(target: &Target, payload: Payload, key: &Keypair, nonce: u64) -> SignedTransaction {
    SignedTransaction::sign(&target.chain_id, TxBody { nonce, valid_until_height: target.valid_until(), payload }, key)
}

/// Signs `payload` with `key` for `target`, with a random nonce.
pub fn sign(target: &Target, payload: Payload, key: &Keypair) -> SignedTransaction {
    sign_with_nonce(target, payload, key, random_nonce())
}

/// The salted hash of an identity document number.
pub fn id_hash(salt: &str, id_number: &str) -> Hash {
    Hash::digest_parts(&[ID_HASH_DOMAIN, salt.as_bytes(), &[0], id_number.trim().as_bytes()])
}

/// A fresh random salt, 16 bytes in hex.
pub fn random_salt() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// Reads an account key file (refusing seal, node and consensus keys).
pub fn account_key(path: &Path) -> Result<Keypair> {
    let key = read_key_of(path, KeyKind::Account).with_context(|| format!("cannot use account key {}", path.display()))?;
    Ok(key.keypair().clone())
}

/// A party's seal: its certificate and the seal key the certificate allows.
#[derive(Clone, Debug)]
pub struct Sealer {
    /// The certificate issued by a seal authority.
    pub certificate: SealCertificate,
    /// The seal key.
    pub key: Keypair,
}

impl Sealer {
    /// Reads a certificate file (as `loanchain-genesis seal issue` writes it) and a seal key file.
    pub fn read(certificate: &Path, key: &Path) -> Result<Sealer> {
        let certificate =
            read_certificate(certificate).with_context(|| format!("cannot use seal certificate {}", certificate.display()))?;
        let key = read_key(key).with_context(|| format!("cannot use seal key {}", key.display()))?;
        anyhow::ensure!(
            key.kind() == KeyKind::Seal || key.kind() == KeyKind::Account,
            "a {} key cannot seal: pass the seal key the certificate allows",
            key.kind()
        );
        let sealer = Sealer { certificate, key: key.keypair().clone() };
        anyhow::ensure!(
            sealer.certificate.body.signer_keys.contains(&sealer.key.public()),
            "the seal key {} is not one the certificate {} allows",
            sealer.key.public().short(),
            sealer.certificate.body.seal_id
        );
        Ok(sealer)
    }

    /// The account holding the seal.
    pub fn holder(&self) -> AccountId {
        self.certificate.body.holder
    }

    /// Seals `document` (given by its id, version and digest) at `signed_at` (unix ms).
    pub fn seal(&self, loan: &LoanId, version: u32, digest: Hash, signed_at: u64) -> SealSignature {
        let property = SealProperty { contract_id: loan.clone(), contract_version: version };
        SealSignature::sign(self.certificate.clone(), &self.key, signed_at, digest, property)
    }

    /// Seals a whole document.
    pub fn seal_document(&self, document: &ContractDocument, signed_at: u64) -> SealSignature {
        self.seal(&document.loan_id, document.version, document.digest(), signed_at)
    }
}

/// `ListLoan`: the document with the borrower's and the institution's seals.
pub fn list_loan(document: ContractDocument, borrower: &Sealer, institution: &Sealer, signed_at: u64) -> Payload {
    let borrower_seal = borrower.seal_document(&document, signed_at);
    let institution_seal = institution.seal_document(&document, signed_at);
    Payload::ListLoan { document, borrower_seal, institution_seal }
}

/// `FundLoan`: the investor's seal on the loan's document (known by its digest) and the amount.
pub fn fund_loan(loan: &LoanId, version: u32, digest: Hash, amount: Amount, investor: &Sealer, signed_at: u64) -> Payload {
    Payload::FundLoan { loan: loan.clone(), amount, seal: investor.seal(loan, version, digest, signed_at) }
}

/// `TransferClaim`, signed by the seller for `target`, with the buyer's consent over the same
/// expiry (DESIGN §6 债权转让).
pub fn transfer_claim(target: &Target, claim: ClaimId, price: Amount, seller: &Keypair, buyer: &Keypair) -> SignedTransaction {
    let buyer_nonce = random_nonce();
    let consent = TransferConsent {
        chain_id: target.chain_id.clone(),
        claim: claim.clone(),
        seller: seller.public().account_id(),
        price,
        buyer_nonce,
        valid_until_height: target.valid_until(),
    };
    let buyer_signature = consent.sign(buyer);
    sign(target, Payload::TransferClaim { claim, buyer: buyer.public(), price, buyer_nonce, buyer_signature }, seller)
}

/// Now, unix milliseconds (the `signed_at` a seal claims; the chain accepts it within the
/// genesis `seal_time_tolerance_seconds` of the including block's time).
pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use loanchain_contracts::test_utils::CertBuilder;
    use loanchain_contracts::{RepaymentMethod, RiskGrade, Role};

    use super::*;

    const CHAIN: &str = "loanchain-test";

    fn target() -> Target {
        Target { chain_id: CHAIN.into(), height: 40, valid_for: 100 }
    }

    fn sealer(authority: &Keypair, holder: &Keypair, seed: u8) -> Sealer {
        let key = Keypair::from_secret([seed; 32]);
        let certificate = CertBuilder::new(&format!("S-{seed}"), holder, authority)
            .name("seal")
            .organisation("org")
            .signer_keys(vec![key.public()])
            .valid(0, u64::MAX / 2)
            .image(b"img")
            .issue();
        Sealer { certificate, key }
    }

    fn terms(borrower: &Keypair, institution: &Keypair) -> ContractDocument {
        ContractDocument {
            version: 1,
            chain_id: CHAIN.into(),
            loan_id: LoanId::new("L-1").unwrap(),
            borrower: borrower.public().account_id(),
            institution: institution.public().account_id(),
            principal: "5000".parse().unwrap(),
            annual_rate: "0.1".parse().unwrap(),
            periods: 6,
            method: RepaymentMethod::EqualInstallment,
            grade: RiskGrade::B,
            funding_deadline: 1_000_000,
            min_investment: "100".parse().unwrap(),
            purpose: "stock".into(),
            terms_digest: Hash::digest(b"terms"),
        }
    }

    #[test]
    fn built_transactions_verify_as_the_chain_verifies_them() {
        let (authority, institution, borrower, investor, custodian) = (
            Keypair::from_secret([1; 32]),
            Keypair::from_secret([2; 32]),
            Keypair::from_secret([3; 32]),
            Keypair::from_secret([4; 32]),
            Keypair::from_secret([5; 32]),
        );
        let t = target();
        let doc = terms(&borrower, &institution);
        let list = list_loan(doc.clone(), &sealer(&authority, &borrower, 10), &sealer(&authority, &institution, 11), 500);
        let fund = fund_loan(&doc.loan_id, doc.version, doc.digest(), "100".parse().unwrap(), &sealer(&authority, &investor, 12), 600);
        let register =
            Payload::RegisterAccount { public_key: investor.public(), role: Role::Investor, name: "A".into(), id_hash: id_hash("s", "1") };
        let deposit = Payload::Deposit { account: investor.public().account_id(), amount: "10".parse().unwrap(), reference: "r".into() };
        for (payload, key) in [(list, &institution), (fund, &investor), (register, &institution), (deposit, &custodian)] {
            let tx = sign(&t, payload, key);
            assert_eq!(tx.body.valid_until_height, 140);
            let bytes = tx.to_bytes();
            let back = SignedTransaction::from_bytes(&bytes).unwrap();
            back.clone().verify(CHAIN).unwrap();
            assert!(back.verify("another-chain").is_err(), "the chain id is signed");
        }
        let transfer = transfer_claim(&t, ClaimId { loan: doc.loan_id.clone(), index: 0 }, "99.5".parse().unwrap(), &investor, &custodian);
        transfer.clone().verify(CHAIN).unwrap();
        let mut forged = transfer;
        if let Payload::TransferClaim { price, .. } = &mut forged.body.payload {
            *price = "1".parse().unwrap();
        }
        assert!(forged.verify(CHAIN).is_err());
    }

    #[test]
    fn seals_name_the_document_and_are_checked_by_the_contract_rules() {
        let (authority, institution, borrower) =
            (Keypair::from_secret([1; 32]), Keypair::from_secret([2; 32]), Keypair::from_secret([3; 32]));
        let doc = terms(&borrower, &institution);
        let s = sealer(&authority, &borrower, 10).seal_document(&doc, 77);
        assert_eq!(s.body.document_digest, doc.digest());
        assert_eq!(s.body.property.contract_id, doc.loan_id);
        assert_eq!(s.body.signed_at, 77);
        assert_eq!(s.holder(), borrower.public().account_id());
        assert!(doc.check(360).is_ok());
    }

    #[test]
    fn id_hashes_are_salted_and_never_the_number() {
        let a = id_hash("salt-1", "110101199003074514");
        assert_ne!(a, id_hash("salt-2", "110101199003074514"));
        assert_eq!(a, id_hash("salt-1", " 110101199003074514 "));
        assert!(!a.to_hex().contains("110101199003074514"));
        assert_eq!(random_salt().len(), 32);
        assert_ne!(random_nonce(), random_nonce());
    }
}
