//! The signed transaction envelope and every transaction kind (DESIGN §5).
//!
//! `signature = ed25519("loanchain/tx/v1" || bcs(chain_id) || bcs(body))`; the transaction hash is
//! SHA-256 of the bcs encoding of the whole signed transaction. Replay protection is a window:
//! the body carries a random `nonce` and a `valid_until_height` at most `max_tx_lifetime` blocks
//! ahead; the chain remembers committed (signer, nonce) pairs only until that height has passed.

use serde::{Deserialize, Serialize};

use crate::amount::Amount;
use crate::codec;
use crate::crypto::{BatchItem, Domain, Hash, Keypair, PublicKey, Signature, find_failing, verify_batch};
use crate::document::ContractDocument;
use crate::error::Error;
use crate::ids::{AccountId, ClaimId, LoanId, Role, SealId};
use crate::seal::SealSignature;

/// Largest encoded signed transaction a node accepts, in bytes (a `ListLoan` with two seals is
/// about 1.5 KB); declared with the chain's other limits.
pub use loanchain_types::limits::MAX_TX_BYTES;
/// Longest free-text field (names, references, reasons), in bytes.
pub const MAX_TEXT_BYTES: usize = 256;

/// What a transaction does. Each variant names the role that may sign it (checked at execution).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
// `ListLoan` carries a document and two seals and is much larger than the rest; transactions are
// decoded once and moved rarely, so boxing it would cost more clarity than it saves.
#[allow(clippy::large_enum_variant)]
pub enum Payload {
    /// A credit institution registers an investor or borrower it identified (实名认证).
    RegisterAccount {
        /// The new account's public key; its account id is SHA-256 of it.
        public_key: PublicKey,
        /// `investor` or `borrower`.
        role: Role,
        /// Display name.
        name: String,
        /// Salted hash of the identity document number; the number itself never reaches the chain.
        id_hash: Hash,
    },
    /// The custodian bank credits money received for `account` (资金存管).
    Deposit {
        /// Whose balance is credited.
        account: AccountId,
        /// How much.
        amount: Amount,
        /// The bank's reference of the incoming transfer.
        reference: String,
    },
    /// The custodian bank debits money paid out to `account`'s bank account.
    Withdraw {
        /// Whose balance is debited.
        account: AccountId,
        /// How much.
        amount: Amount,
        /// The bank's reference of the outgoing transfer.
        reference: String,
    },
    /// A credit institution lists a loan (标的) with the seals of the borrower and itself.
    ListLoan {
        /// The contract terms.
        document: ContractDocument,
        /// The borrower's seal on the document.
        borrower_seal: SealSignature,
        /// The institution's seal on the document.
        institution_seal: SealSignature,
    },
    /// An investor funds part of a listed loan (投标) and seals the contract.
    FundLoan {
        /// The loan.
        loan: LoanId,
        /// How much.
        amount: Amount,
        /// The investor's seal on the loan's document.
        seal: SealSignature,
    },
    /// The listing institution withdraws a loan still in funding; investors are refunded.
    CancelListing {
        /// The loan.
        loan: LoanId,
    },
    /// The borrower repays: oldest dues first (penalty, interest, principal).
    Repay {
        /// The loan.
        loan: LoanId,
        /// How much.
        amount: Amount,
    },
    /// The borrower repays everything now: dues, penalty, the current period's interest and all
    /// outstanding principal; later interest is not owed.
    Prepay {
        /// The loan.
        loan: LoanId,
    },
    /// The guarantor pays every claim holder its outstanding principal and the unpaid interest of
    /// due installments, and takes the claims (担保代偿).
    GuarantorBuyback {
        /// The loan.
        loan: LoanId,
    },
    /// A claim holder sells a claim (债权转让); the buyer consents and pays `price`.
    TransferClaim {
        /// The claim.
        claim: ClaimId,
        /// The buyer's public key.
        buyer: PublicKey,
        /// What the buyer pays the seller.
        price: Amount,
        /// The buyer's nonce for this consent (in the buyer's replay window).
        buyer_nonce: u64,
        /// The buyer's signature over [`TransferConsent`].
        buyer_signature: Signature,
    },
    /// A seal authority revokes a certificate it issued.
    RevokeSealCert {
        /// The certificate.
        seal_id: SealId,
        /// Why.
        reason: String,
    },
    /// The regulator freezes an account: it can no longer move money out.
    Freeze {
        /// The account.
        account: AccountId,
        /// Why.
        reason: String,
    },
    /// The regulator lifts a freeze.
    Unfreeze {
        /// The account.
        account: AccountId,
        /// Why.
        reason: String,
    },
    /// The regulator suspends an institution's business: no new listings or registrations.
    SuspendInstitution {
        /// The institution.
        account: AccountId,
        /// Why.
        reason: String,
    },
    /// The regulator lifts a suspension.
    ResumeInstitution {
        /// The institution.
        account: AccountId,
        /// Why.
        reason: String,
    },
}

/// Every transaction kind, by name, in a fixed order (for the role × action matrix and the API).
pub const KINDS: [&str; 15] = [
    "register_account",
    "deposit",
    "withdraw",
    "list_loan",
    "fund_loan",
    "cancel_listing",
    "repay",
    "prepay",
    "guarantor_buyback",
    "transfer_claim",
    "revoke_seal_cert",
    "freeze",
    "unfreeze",
    "suspend_institution",
    "resume_institution",
];

impl Payload {
    /// The snake_case name of the kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Payload::RegisterAccount { .. } => KINDS[0],
            Payload::Deposit { .. } => KINDS[1],
            Payload::Withdraw { .. } => KINDS[2],
            Payload::ListLoan { .. } => KINDS[3],
            Payload::FundLoan { .. } => KINDS[4],
            Payload::CancelListing { .. } => KINDS[5],
            Payload::Repay { .. } => KINDS[6],
            Payload::Prepay { .. } => KINDS[7],
            Payload::GuarantorBuyback { .. } => KINDS[8],
            Payload::TransferClaim { .. } => KINDS[9],
            Payload::RevokeSealCert { .. } => KINDS[10],
            Payload::Freeze { .. } => KINDS[11],
            Payload::Unfreeze { .. } => KINDS[12],
            Payload::SuspendInstitution { .. } => KINDS[13],
            Payload::ResumeInstitution { .. } => KINDS[14],
        }
    }

    /// The roles allowed to sign this kind (DESIGN §1, §5).
    pub fn allowed_roles(&self) -> &'static [Role] {
        match self {
            Payload::RegisterAccount { .. }
            | Payload::ListLoan { .. }
            | Payload::CancelListing { .. }
            | Payload::GuarantorBuyback { .. } => &[Role::CreditInstitution],
            Payload::Deposit { .. } | Payload::Withdraw { .. } => &[Role::CustodianBank],
            Payload::FundLoan { .. } | Payload::TransferClaim { .. } => &[Role::Investor],
            Payload::Repay { .. } | Payload::Prepay { .. } => &[Role::Borrower],
            Payload::RevokeSealCert { .. } => &[Role::SealAuthority],
            Payload::Freeze { .. } | Payload::Unfreeze { .. } | Payload::SuspendInstitution { .. } | Payload::ResumeInstitution { .. } => {
                &[Role::Regulator]
            }
        }
    }

    /// The loan the transaction is about, if any (for indices and history).
    pub fn loan(&self) -> Option<&LoanId> {
        match self {
            Payload::ListLoan { document, .. } => Some(&document.loan_id),
            Payload::FundLoan { loan, .. }
            | Payload::CancelListing { loan }
            | Payload::Repay { loan, .. }
            | Payload::Prepay { loan }
            | Payload::GuarantorBuyback { loan } => Some(loan),
            Payload::TransferClaim { claim, .. } => Some(&claim.loan),
            _ => None,
        }
    }

    /// Checks bounds that need no state: text lengths, document fields.
    pub fn check_static(&self, max_periods: u32) -> Result<(), Error> {
        let text = |field: &'static str, s: &str| {
            if s.len() > MAX_TEXT_BYTES {
                Err(Error::InvalidField { field, reason: format!("is {} bytes, the limit is {MAX_TEXT_BYTES}", s.len()) })
            } else {
                Ok(())
            }
        };
        match self {
            Payload::RegisterAccount { name, role, .. } => {
                text("name", name)?;
                if name.is_empty() {
                    return Err(Error::InvalidField { field: "name", reason: "must not be empty".into() });
                }
                if !matches!(role, Role::Investor | Role::Borrower) {
                    return Err(Error::InvalidField {
                        field: "role",
                        reason: format!("an institution registers investors and borrowers, not a {role}"),
                    });
                }
                Ok(())
            }
            Payload::Deposit { reference, .. } | Payload::Withdraw { reference, .. } => text("reference", reference),
            Payload::ListLoan { document, .. } => document.check(max_periods),
            Payload::RevokeSealCert { reason, .. }
            | Payload::Freeze { reason, .. }
            | Payload::Unfreeze { reason, .. }
            | Payload::SuspendInstitution { reason, .. }
            | Payload::ResumeInstitution { reason, .. } => text("reason", reason),
            _ => Ok(()),
        }
    }
}

/// What the buyer of a claim signs (domain `loanchain/claim-transfer/v1`): the claim, the seller,
/// the price, and a nonce and expiry in the buyer's replay window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct TransferConsent {
    /// The chain.
    pub chain_id: String,
    /// The claim bought.
    pub claim: ClaimId,
    /// The seller (current holder).
    pub seller: AccountId,
    /// The price.
    pub price: Amount,
    /// The buyer's nonce.
    pub buyer_nonce: u64,
    /// Same expiry as the carrying transaction.
    pub valid_until_height: u64,
}

impl TransferConsent {
    /// The buyer's signature over this consent.
    pub fn sign(&self, buyer: &Keypair) -> Signature {
        buyer.sign(Domain::ClaimTransferConsent, &codec::to_bytes(self))
    }

    /// Checks the buyer's signature.
    pub fn verify(&self, buyer: &PublicKey, signature: &Signature) -> Result<(), Error> {
        Ok(buyer.verify(Domain::ClaimTransferConsent, &codec::to_bytes(self), signature)?)
    }
}

/// The signed part of a transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct TxBody {
    /// Random, chosen by the client; (signer, nonce) may be committed only once in its window.
    pub nonce: u64,
    /// Last height at which the transaction may be included.
    pub valid_until_height: u64,
    /// What it does.
    pub payload: Payload,
}

/// A transaction with its signer and signature (DESIGN §5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct SignedTransaction {
    /// The signed body.
    pub body: TxBody,
    /// The signer's account public key.
    pub signer_public_key: PublicKey,
    /// ed25519 over `"loanchain/tx/v1" || bcs(chain_id) || bcs(body)`.
    pub signature: Signature,
}

fn signing_bytes(chain_id: &str, body: &TxBody) -> Vec<u8> {
    let mut out = codec::to_bytes(chain_id);
    out.extend_from_slice(&codec::to_bytes(body));
    out
}

impl SignedTransaction {
    /// Signs `body` for `chain_id`.
    pub fn sign(chain_id: &str, body: TxBody, key: &Keypair) -> SignedTransaction {
        let signature = key.sign(Domain::Transaction, &signing_bytes(chain_id, &body));
        SignedTransaction { body, signer_public_key: key.public(), signature }
    }

    /// The signer's account.
    pub fn signer(&self) -> AccountId {
        self.signer_public_key.account_id()
    }

    /// The canonical bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        codec::to_bytes(self)
    }

    /// Decodes canonical bytes, refusing anything over [`MAX_TX_BYTES`].
    pub fn from_bytes(bytes: &[u8]) -> Result<SignedTransaction, Error> {
        if bytes.len() > MAX_TX_BYTES {
            return Err(Error::TooLarge { what: "transaction", size: bytes.len(), max: MAX_TX_BYTES });
        }
        Ok(codec::from_bytes("transaction", bytes)?)
    }

    /// SHA-256 of the canonical bytes.
    pub fn hash(&self) -> Hash {
        Hash::digest(&self.to_bytes())
    }

    /// Every signature the transaction carries, each with what it is for: its own, the signer's
    /// and the issuer's signature of each seal, and a claim buyer's consent. The chain verifies
    /// all of them once, before execution (DESIGN §12).
    pub fn signed_messages(&self, chain_id: &str) -> Vec<SignedMessage> {
        let mut out = vec![SignedMessage {
            what: SignatureOf::Transaction,
            key: self.signer_public_key,
            bytes: Domain::Transaction.message(&signing_bytes(chain_id, &self.body)),
            signature: self.signature,
        }];
        let mut seal = |party: &'static str, s: &SealSignature| {
            let [signer, issuer] = s.signed_messages();
            for ((key, bytes, signature), issuer_part) in [(signer, false), (issuer, true)] {
                out.push(SignedMessage { what: SignatureOf::Seal { party, issuer: issuer_part }, key, bytes, signature });
            }
        };
        match &self.body.payload {
            Payload::ListLoan { borrower_seal, institution_seal, .. } => {
                seal("borrower", borrower_seal);
                seal("institution", institution_seal);
            }
            Payload::FundLoan { seal: s, .. } => seal("investor", s),
            Payload::TransferClaim { claim, buyer, price, buyer_nonce, buyer_signature } => {
                let consent = TransferConsent {
                    chain_id: chain_id.to_string(),
                    claim: claim.clone(),
                    seller: self.signer(),
                    price: *price,
                    buyer_nonce: *buyer_nonce,
                    valid_until_height: self.body.valid_until_height,
                };
                out.push(SignedMessage {
                    what: SignatureOf::TransferConsent,
                    key: *buyer,
                    bytes: Domain::ClaimTransferConsent.message(&codec::to_bytes(&consent)),
                    signature: *buyer_signature,
                });
            }
            _ => {}
        }
        out
    }

    /// Checks every signature of the transaction, one at a time (see [`verify_transactions`]
    /// for batches).
    pub fn verify(self, chain_id: &str) -> Result<VerifiedTx, Error> {
        for m in self.signed_messages(chain_id) {
            m.verify()?;
        }
        Ok(VerifiedTx::new(self))
    }
}

/// What a signature carried by a transaction is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureOf {
    /// The transaction's own signature.
    Transaction,
    /// A seal's signature: by the sealing party, or by the certificate's issuer.
    Seal {
        /// `borrower`, `institution` or `investor`.
        party: &'static str,
        /// True for the issuer's signature on the certificate.
        issuer: bool,
    },
    /// A claim buyer's consent.
    TransferConsent,
}

/// One signature to check: key, exact signed bytes (domain included) and signature.
#[derive(Clone, Debug)]
pub struct SignedMessage {
    /// What it is for, so a failure can be named.
    pub what: SignatureOf,
    /// The signing key.
    pub key: PublicKey,
    /// `domain || message`.
    pub bytes: Vec<u8>,
    /// The signature.
    pub signature: Signature,
}

impl SignedMessage {
    /// Checks it alone, with an error that names which signature failed.
    pub fn verify(&self) -> Result<(), Error> {
        self.key.verify_signed_bytes(&self.bytes, &self.signature).map_err(|_| match self.what {
            SignatureOf::Transaction => Error::BadSignature { signer: self.key.short() },
            SignatureOf::Seal { party, issuer: false } => Error::Seal {
                party: party.to_string(),
                check: "signer_signature",
                detail: format!("the signature by seal key {} does not verify", self.key.short()),
            },
            SignatureOf::Seal { party, issuer: true } => Error::Seal {
                party: party.to_string(),
                check: "issuer_signature",
                detail: format!("the issuer signature by {} on the certificate does not verify", self.key.short()),
            },
            SignatureOf::TransferConsent => Error::BadSignature { signer: format!("claim buyer {}", self.key.short()) },
        })
    }
}

/// A transaction whose signature was checked, with its hash computed once. Only the verifying
/// functions of this module (and [`VerifiedTx::trusted`]) make one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedTx {
    tx: SignedTransaction,
    hash: Hash,
    signer: AccountId,
}

impl VerifiedTx {
    fn new(tx: SignedTransaction) -> VerifiedTx {
        let hash = tx.hash();
        let signer = tx.signer();
        VerifiedTx { tx, hash, signer }
    }

    /// Wraps a transaction whose signature was already checked by this node (for example by the
    /// mempool, or a block this node executed before a restart). Never call it on input from outside.
    pub fn trusted(tx: SignedTransaction) -> VerifiedTx {
        VerifiedTx::new(tx)
    }

    /// The transaction.
    pub fn tx(&self) -> &SignedTransaction {
        &self.tx
    }

    /// Its hash.
    pub fn hash(&self) -> Hash {
        self.hash
    }

    /// Its signer's account.
    pub fn signer(&self) -> AccountId {
        self.signer
    }

    /// Unwraps.
    pub fn into_inner(self) -> SignedTransaction {
        self.tx
    }
}

/// Verifies many transactions with ed25519 batch verification (DESIGN §12): every signature of
/// every transaction in one batch. If the batch fails it is halved until each bad transaction is
/// found, and only those are checked alone (for their typed error): one bad transaction among n
/// costs about 2·log2(n) batches, so one bad signature does not make a whole batch of good ones
/// be checked one by one, and however many are bad, fewer than 4·n are checked in all
/// ([`find_failing`]).
pub fn verify_transactions(chain_id: &str, txs: Vec<SignedTransaction>) -> Vec<Result<VerifiedTx, Error>> {
    let messages: Vec<Vec<SignedMessage>> = txs.iter().map(|t| t.signed_messages(chain_id)).collect();
    let bad = find_failing(txs.len(), |range| {
        let items: Vec<BatchItem<'_>> = range
            .iter()
            .flat_map(|&i| messages[i].iter())
            .map(|m| BatchItem { key: &m.key, signed_bytes: &m.bytes, signature: &m.signature })
            .collect();
        verify_batch(&items).is_ok()
    });
    txs.into_iter().zip(bad).map(|(t, bad)| if bad { t.verify(chain_id) } else { Ok(VerifiedTx::new(t)) }).collect()
}
