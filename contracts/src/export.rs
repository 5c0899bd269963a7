//! The exportable contract (JSON): the document with every seal and its chain timestamp, and its
//! offline verification (DESIGN §7).
//!
//! `loanctl contract export ID` writes an [`ExportedContract`]; `loanctl contract verify FILE` reads
//! it back with [`ExportedContract::from_json`] and checks it with [`ExportedContract::verify`],
//! given only the genesis seal authorities (and, to check chain timestamps, the validator set). The
//! report names, for every seal, the party, the account, and the first check that fails.

use serde::{Deserialize, Serialize};

use crate::crypto::{Hash, PublicKey};
use crate::document::ContractDocument;
use crate::error::Error;
use crate::ids::{AccountId, SealId};
use crate::seal::{self, Certifiers, ChainTimestamp, Revocation, SealSignature, VerifyContext};

/// The `format` tag of an exported contract.
pub const EXPORT_FORMAT: &str = "loanchain-contract/v1";
/// Largest exported contract [`ExportedContract::from_json`] reads, in bytes.
pub const MAX_EXPORT_JSON_BYTES: usize = 16 << 20;
/// The `seal_id` of a [`SealReport`] for a seal that is missing from the contract.
pub const MISSING_SEAL_ID: &str = "-";

/// The party names a contract's seals carry.
pub const PARTIES: [&str; 3] = ["borrower", "institution", "investor"];

/// One party's seal on the exported contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct SealedBy {
    /// `"borrower"`, `"institution"` or `"investor"`.
    pub party: String,
    /// The party's account; must be the seal certificate's holder.
    pub account: AccountId,
    /// The seal.
    pub seal: SealSignature,
    /// Hash of the transaction that carried the seal (`ListLoan` or `FundLoan`).
    pub tx_hash: Hash,
    /// The block that made that transaction final, if it is final.
    pub chain_timestamp: Option<ChainTimestamp>,
}

/// A contract document with all its seals, chain timestamps and the revocations of their certificates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct ExportedContract {
    /// [`EXPORT_FORMAT`].
    pub format: String,
    /// The sealed document.
    pub document: ContractDocument,
    /// Every party's seal: the borrower, the institution and each investor.
    pub seals: Vec<SealedBy>,
    /// The on-chain revocations of any of the seals' certificates.
    pub revocations: Vec<Revocation>,
}

/// The verdict on one seal (or on a seal that should be there and is not).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct SealReport {
    /// The party the seal is for.
    pub party: String,
    /// The party's account (for a missing investor seal, where no account is known: all zeros).
    pub account: AccountId,
    /// The seal's id, or [`MISSING_SEAL_ID`] when the seal is missing.
    pub seal_id: SealId,
    /// Whether every check passed.
    pub ok: bool,
    /// Why not, for people.
    pub error: Option<String>,
    /// The first check that failed (a [`seal::CHECKS`] name, or one of the contract-level checks
    /// `holder_is_account`, `party_account`, `property`, `seal_present`).
    pub check: Option<String>,
}

/// The verdict on a whole exported contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct VerifyReport {
    /// The digest recomputed from the exported document.
    pub document_digest: Hash,
    /// One report per seal in the file, then one per required seal that is missing.
    pub seals: Vec<SealReport>,
}

impl VerifyReport {
    /// True if there is at least one seal and no report failed.
    pub fn all_ok(&self) -> bool {
        !self.seals.is_empty() && self.seals.iter().all(|s| s.ok)
    }

    /// The first failing report, in file order.
    pub fn first_failure(&self) -> Option<&SealReport> {
        self.seals.iter().find(|s| !s.ok)
    }
}

fn failure(party: &str, check: &'static str, detail: String) -> Error {
    Error::Seal { party: party.to_string(), check, detail }
}

impl ExportedContract {
    /// Builds an export in the current format.
    pub fn new(document: ContractDocument, seals: Vec<SealedBy>, revocations: Vec<Revocation>) -> ExportedContract {
        ExportedContract { format: EXPORT_FORMAT.to_string(), document, seals, revocations }
    }

    /// Pretty-printed JSON, as `loanctl contract export` writes it.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("an exported contract has only string map keys and always serialises")
    }

    /// Reads an exported contract: at most [`MAX_EXPORT_JSON_BYTES`], valid JSON of the right shape,
    /// format [`EXPORT_FORMAT`]. Every failure is a typed error ([`Error::TooLarge`],
    /// [`Error::Decode`], [`Error::InvalidField`]), never a panic.
    pub fn from_json(s: &str) -> Result<ExportedContract, Error> {
        if s.len() > MAX_EXPORT_JSON_BYTES {
            return Err(Error::TooLarge { what: "exported contract", size: s.len(), max: MAX_EXPORT_JSON_BYTES });
        }
        let export: ExportedContract =
            serde_json::from_str(s).map_err(|e| Error::Decode { what: "exported contract", reason: e.to_string() })?;
        if export.format != EXPORT_FORMAT {
            return Err(Error::InvalidField {
                field: "format",
                reason: format!("{:?} is not a format this tool reads (expected {EXPORT_FORMAT:?})", export.format),
            });
        }
        Ok(export)
    }

    /// Verifies every seal offline against `authorities` (the genesis seal authorities).
    ///
    /// The document digest is recomputed from the document. Each seal is checked by
    /// [`seal::verify`] with the revocation of its seal id (the earliest, if the file lists several)
    /// and its chain timestamp (whose commit certificate is checked against `certifiers`, if given); then
    /// the contract-level checks: `holder_is_account` (the certificate's holder is the seal's
    /// `account`), `party_account` (the borrower's and the institution's seals are by the
    /// document's borrower and institution; the party is a known one), `property` (the seal names
    /// this contract id and version). Finally a `seal_present` failure is reported for each of the
    /// borrower, the institution and (at least one) investor that has no seal in the file.
    pub fn verify(&self, authorities: &[PublicKey], certifiers: Option<Certifiers<'_>>) -> VerifyReport {
        let digest = self.document.digest();
        let mut reports: Vec<SealReport> = self
            .seals
            .iter()
            .map(|sealed| {
                let verdict = self.verify_one(sealed, digest, authorities, certifiers);
                let (error, check) = match verdict {
                    Ok(()) => (None, None),
                    Err(e @ Error::Seal { check, .. }) => (Some(e.to_string()), Some(check.to_string())),
                    Err(e) => (Some(e.to_string()), Some(e.code().to_string())),
                };
                SealReport {
                    party: sealed.party.clone(),
                    account: sealed.account,
                    seal_id: sealed.seal.seal_id().clone(),
                    ok: error.is_none(),
                    error,
                    check,
                }
            })
            .collect();
        let doc = &self.document;
        let required = [("borrower", doc.borrower), ("institution", doc.institution), ("investor", AccountId(Hash::ZERO))];
        for (party, account) in required {
            if self.seals.iter().any(|s| s.party == party) {
                continue;
            }
            let missing = SealId::new(MISSING_SEAL_ID).expect("\"-\" is a valid seal id label");
            let whose = if party == "investor" { "any investor".to_string() } else { format!("the {party} (account {account})") };
            let detail = format!("contract {} carries no seal of {whose}", doc.loan_id);
            reports.push(SealReport {
                party: party.to_string(),
                account,
                seal_id: missing,
                ok: false,
                error: Some(failure(party, "seal_present", detail).to_string()),
                check: Some("seal_present".to_string()),
            });
        }
        VerifyReport { document_digest: digest, seals: reports }
    }

    fn verify_one(
        &self,
        sealed: &SealedBy,
        digest: Hash,
        authorities: &[PublicKey],
        certifiers: Option<Certifiers<'_>>,
    ) -> Result<(), Error> {
        let id = sealed.seal.seal_id();
        let revocation = self.revocations.iter().filter(|r| &r.seal_id == id).min_by_key(|r| (r.revoked_at_height, r.revoked_at_time));
        let ctx = VerifyContext {
            authorities,
            revocation,
            document_digest: digest,
            chain_timestamp: sealed.chain_timestamp.as_ref(),
            certifiers,
        };
        let party = sealed.party.as_str();
        seal::verify(&sealed.seal, party, &ctx)?;
        let holder = sealed.seal.holder();
        if holder != sealed.account {
            return Err(failure(
                party,
                "holder_is_account",
                format!("certificate {id} is held by account {}, not by the sealing account {}", holder, sealed.account),
            ));
        }
        let doc = &self.document;
        let expected = match party {
            "borrower" => Some(doc.borrower),
            "institution" => Some(doc.institution),
            "investor" => None,
            other => {
                return Err(failure(
                    party,
                    "party_account",
                    format!("{other:?} is not a contract party (expected one of {})", PARTIES.join(", ")),
                ));
            }
        };
        if let Some(expected) = expected.filter(|e| *e != sealed.account) {
            return Err(failure(
                party,
                "party_account",
                format!("contract {}'s {party} is account {expected}, but this seal is by {}", doc.loan_id, sealed.account),
            ));
        }
        let prop = &sealed.seal.body.property;
        if prop.contract_id != doc.loan_id || prop.contract_version != doc.version {
            return Err(failure(
                party,
                "property",
                format!(
                    "the seal names contract {} version {}, but the document is contract {} version {}",
                    prop.contract_id, prop.contract_version, doc.loan_id, doc.version
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(oks: &[bool]) -> VerifyReport {
        let seals = oks
            .iter()
            .enumerate()
            .map(|(i, ok)| SealReport {
                party: "investor".into(),
                account: AccountId(Hash::digest(&[i as u8])),
                seal_id: SealId::new(format!("S-{i}")).unwrap(),
                ok: *ok,
                error: (!ok).then(|| "broken".to_string()),
                check: (!ok).then(|| "document_digest".to_string()),
            })
            .collect();
        VerifyReport { document_digest: Hash::ZERO, seals }
    }

    #[test]
    fn a_report_is_ok_only_with_seals_and_no_failure() {
        assert!(!report(&[]).all_ok(), "a contract without seals is not verified");
        assert!(report(&[true, true]).all_ok());
        let r = report(&[true, false, false]);
        assert!(!r.all_ok());
        assert_eq!(r.first_failure().unwrap().seal_id.as_str(), "S-1");
        assert!(SealId::new(MISSING_SEAL_ID).is_ok());
    }

    #[test]
    fn from_json_errors_are_typed() {
        assert_eq!(ExportedContract::from_json("{}").unwrap_err().code(), "decode");
        let big = "x".repeat(MAX_EXPORT_JSON_BYTES + 1);
        assert_eq!(ExportedContract::from_json(&big).unwrap_err().code(), "too_large");
    }
}
