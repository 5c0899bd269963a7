//! CFCA-style electronic seals (电子签章, DESIGN §7): certificates, seal signatures, verification.
//!
//! The structures follow the fields of GB/T 38540 / GM/T 0031 with ed25519 and SHA-256 in place of
//! SM2/SM3, so they are "in the style of" those standards, not interoperable with CFCA tools:
//!
//! - [`SealCertificate`] (`SESeal`): a seal authority (电子认证服务机构) binds a seal — its id, kind,
//!   name, holder account, organisation, the public keys allowed to sign with it, a validity period
//!   and the digest of the seal image — to its issuer key, signed in [`Domain::SealCertificate`]
//!   over `bcs(body)`.
//! - [`SealSignature`] (`SES_Signature`): one party seals one contract document. The signed body
//!   ("to be signed") carries the certificate, the claimed signing time, the document digest, the
//!   contract id and version and the signer key; the signature is ed25519 in [`Domain::Seal`] over
//!   `"loanchain/seal/v1" || bcs(body)`.
//! - [`Revocation`]: an on-chain revocation of a certificate, at a block height and time.
//! - [`ChainTimestamp`]: the block that made the sealing transaction final, acting as the trusted
//!   timestamp (the role of a TSA token).
//!
//! [`verify`] runs the checks in the order of DESIGN §7 and names the first one that fails:
//! `format` → `signer_signature` → `signer_key_allowed` → `issuer_signature` →
//! `issuer_is_authority` → `validity_period` → `not_revoked` → `document_digest` →
//! `chain_timestamp`. Revocation is judged against the chain timestamp whenever there is one, so a
//! backdated `signed_at` cannot slip past a revocation.

use serde::{Deserialize, Serialize};

use crate::codec;
use crate::crypto::{Domain, Hash, Keypair, PublicKey, Signature};
use crate::error::Error;
use crate::ids::{AccountId, LoanId, SealId};
use loanchain_types::{CommitCertificate, ValidatorSet};

/// The only version of certificates and seal signatures this crate makes and accepts.
pub const SEAL_VERSION: u8 = 1;
/// Longest seal name and organisation, in bytes.
pub const MAX_SEAL_TEXT_BYTES: usize = 128;
/// Most public keys one certificate may allow to sign.
pub const MAX_SIGNER_KEYS: usize = 8;

/// What kind of seal a certificate stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SealKind {
    /// 公章: an organisation's official seal.
    OfficialSeal,
    /// 合同专用章: an organisation's seal for contracts.
    ContractSeal,
    /// 个人签章: a natural person's seal.
    PersonalSeal,
}

/// Everything a seal authority signs about a seal (the `SESeal` content).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct SealCertificateBody {
    /// Format version, [`SEAL_VERSION`].
    pub version: u8,
    /// Serial of the seal, chosen by the authority.
    pub seal_id: SealId,
    /// Kind of seal.
    pub kind: SealKind,
    /// Seal name as shown on the image ("XX小贷公司合同专用章"), at most 128 bytes.
    pub name: String,
    /// The account that holds the seal.
    pub holder: AccountId,
    /// The organisation the seal belongs to (the person's name for a personal seal), at most 128 bytes.
    pub organisation: String,
    /// The seal keys allowed to sign with this seal: 1 to 8, no duplicates.
    pub signer_keys: Vec<PublicKey>,
    /// Start of validity, unix milliseconds.
    pub valid_from: u64,
    /// End of validity (inclusive), unix milliseconds; later than `valid_from`.
    pub valid_to: u64,
    /// SHA-256 of the seal image.
    pub image_digest: Hash,
    /// The issuing seal authority's public key.
    pub issuer: PublicKey,
}

/// A seal certificate: the body and the issuer's signature over it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct SealCertificate {
    /// What the issuer certifies.
    pub body: SealCertificateBody,
    /// ed25519 in [`Domain::SealCertificate`] over `bcs(body)`, by `body.issuer`.
    pub issuer_signature: Signature,
}

fn invalid(field: &'static str, reason: String) -> Error {
    Error::InvalidField { field, reason }
}

fn check_body(body: &SealCertificateBody) -> Result<(), Error> {
    if body.version != SEAL_VERSION {
        return Err(invalid("version", format!("certificate version {} is not supported (expected {SEAL_VERSION})", body.version)));
    }
    if body.name.is_empty() {
        return Err(invalid("name", "a seal needs a name".into()));
    }
    for (what, text) in [("seal name", &body.name), ("organisation", &body.organisation)] {
        if text.len() > MAX_SEAL_TEXT_BYTES {
            return Err(Error::TooLarge { what, size: text.len(), max: MAX_SEAL_TEXT_BYTES });
        }
    }
    if body.signer_keys.is_empty() {
        return Err(invalid("signer_keys", "a certificate must allow at least one signer key".into()));
    }
    if body.signer_keys.len() > MAX_SIGNER_KEYS {
        return Err(Error::TooLarge { what: "signer keys", size: body.signer_keys.len(), max: MAX_SIGNER_KEYS });
    }
    for (i, key) in body.signer_keys.iter().enumerate() {
        if body.signer_keys[..i].contains(key) {
            return Err(invalid("signer_keys", format!("key {} is listed twice", key.short())));
        }
    }
    if body.valid_from >= body.valid_to {
        return Err(invalid(
            "valid_to",
            format!("validity ends at {} but starts at {}", format_time(body.valid_to), format_time(body.valid_from)),
        ));
    }
    Ok(())
}

impl SealCertificate {
    /// The issuer signs `body`: the seal authority's side of `loanchain-genesis seal issue`.
    ///
    /// Fails if a field is malformed (see [`SealCertificate::check_fields`]) or if `body.issuer` is
    /// not `issuer`'s public key.
    pub fn issue(body: SealCertificateBody, issuer: &Keypair) -> Result<SealCertificate, Error> {
        check_body(&body)?;
        if body.issuer != issuer.public() {
            return Err(invalid(
                "issuer",
                format!("the body names issuer {} but is signed with key {}", body.issuer.short(), issuer.public().short()),
            ));
        }
        let issuer_signature = issuer.sign(Domain::SealCertificate, &codec::to_bytes(&body));
        Ok(SealCertificate { body, issuer_signature })
    }

    /// Static checks: version 1, a non-empty name and an organisation of at most 128 bytes each,
    /// 1 to 8 distinct signer keys, `valid_from < valid_to`.
    pub fn check_fields(&self) -> Result<(), Error> {
        check_body(&self.body)
    }

    /// The seal's serial.
    pub fn id(&self) -> &SealId {
        &self.body.seal_id
    }

    /// Checks the issuer's signature over the body (not whether the issuer is a seal authority).
    pub fn verify_issuer_signature(&self) -> Result<(), Error> {
        Ok(self.body.issuer.verify(Domain::SealCertificate, &codec::to_bytes(&self.body), &self.issuer_signature)?)
    }
}

/// The `property` of a seal signature: which contract, in which version, is sealed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct SealProperty {
    /// The contract (loan) id.
    pub contract_id: LoanId,
    /// The contract document's version.
    pub contract_version: u32,
}

/// What a signer signs when it seals a document (the `TBS_Sign` of `SES_Signature`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct SealSignatureBody {
    /// Format version, [`SEAL_VERSION`].
    pub version: u8,
    /// The certificate of the seal used.
    pub certificate: SealCertificate,
    /// When the signer says it sealed, unix milliseconds (trusted only through a chain timestamp).
    pub signed_at: u64,
    /// SHA-256 of the canonical contract document ([`crate::ContractDocument::digest`]).
    pub document_digest: Hash,
    /// Which contract and version.
    pub property: SealProperty,
    /// The key that signed; must be one of the certificate's signer keys.
    pub signer: PublicKey,
}

/// One party's seal on one contract document (`SES_Signature`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct SealSignature {
    /// The signed content.
    pub body: SealSignatureBody,
    /// ed25519 in [`Domain::Seal`] over `bcs(body)`, by `body.signer`.
    pub signature: Signature,
}

impl SealSignature {
    /// Seals a document: signs `"loanchain/seal/v1" || bcs(body)` with `key`, which becomes the
    /// body's `signer`. It does not check that `key` is allowed by the certificate: [`verify`] does.
    pub fn sign(
        certificate: SealCertificate,
        key: &Keypair,
        signed_at: u64,
        document_digest: Hash,
        property: SealProperty,
    ) -> SealSignature {
        let body = SealSignatureBody { version: SEAL_VERSION, certificate, signed_at, document_digest, property, signer: key.public() };
        let signature = key.sign(Domain::Seal, &codec::to_bytes(&body));
        SealSignature { body, signature }
    }

    /// The account that holds the seal (the certificate's holder).
    pub fn holder(&self) -> AccountId {
        self.body.certificate.body.holder
    }

    /// The seal's serial.
    pub fn seal_id(&self) -> &SealId {
        self.body.certificate.id()
    }

    /// The two signatures a seal carries, as (key, signed bytes with domain, signature): the
    /// signer's over the body and the issuer's over the certificate, for batch verification.
    pub fn signed_messages(&self) -> [(PublicKey, Vec<u8>, Signature); 2] {
        let cert = &self.body.certificate;
        [
            (self.body.signer, Domain::Seal.message(&codec::to_bytes(&self.body)), self.signature),
            (cert.body.issuer, Domain::SealCertificate.message(&codec::to_bytes(&cert.body)), cert.issuer_signature),
        ]
    }

    /// The canonical (bcs) bytes of the whole seal, as carried in transactions and fixtures.
    pub fn to_bytes(&self) -> Vec<u8> {
        codec::to_bytes(self)
    }

    /// Decodes canonical bytes ([`codec::from_bytes`]: size-bounded, no trailing bytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<SealSignature, Error> {
        Ok(codec::from_bytes("seal signature", bytes)?)
    }
}

/// The on-chain revocation of a seal certificate (a `RevokeSealCert` transaction, DESIGN §5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct Revocation {
    /// The revoked seal.
    pub seal_id: SealId,
    /// Height of the block that carried the revocation.
    pub revoked_at_height: u64,
    /// That block's time, unix milliseconds.
    pub revoked_at_time: u64,
    /// Why, in words (lost key, seal withdrawn…).
    pub reason: String,
}

/// The block that made the transaction carrying a seal final: the seal's trusted timestamp.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct ChainTimestamp {
    /// Block height.
    pub height: u64,
    /// Block hash.
    pub block_hash: Hash,
    /// Block time, unix milliseconds.
    pub block_time: u64,
    /// The commit certificate of the block, encoded by the consensus crate (opaque here; hex in JSON).
    #[serde(with = "hex_bytes")]
    #[cfg_attr(feature = "json-schema", schemars(with = "String"))]
    pub commit_certificate: Vec<u8>,
}

/// Serde for opaque byte strings: hex in JSON, bcs bytes in binary.
mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() { s.serialize_str(&hex::encode(bytes)) } else { s.serialize_bytes(bytes) }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        if d.is_human_readable() {
            let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
            hex::decode(s.as_ref()).map_err(|e| serde::de::Error::custom(format!("commit certificate is not hex: {e}")))
        } else {
            Vec::<u8>::deserialize(d)
        }
    }
}

/// The validators whose commit certificates make chain timestamps trustworthy: the genesis
/// validator set of `chain_id`.
#[derive(Clone, Copy, Debug)]
pub struct Certifiers<'a> {
    /// The validator set.
    pub validators: &'a ValidatorSet,
    /// The chain whose votes the certificates carry.
    pub chain_id: &'a str,
}

impl ChainTimestamp {
    /// Checks the timestamp: its certificate decodes, names this block and height, and carries
    /// more than 2/3 of the voting power of `certifiers` in valid precommit signatures.
    pub fn verify(&self, certifiers: Certifiers<'_>) -> Result<(), String> {
        let cert: CommitCertificate = codec::from_bytes("commit certificate", &self.commit_certificate)
            .map_err(|e| format!("the commit certificate does not decode: {e}"))?;
        if cert.height != self.height || cert.block_hash != self.block_hash {
            return Err(format!(
                "the certificate is for height {} block {}, the timestamp names height {} block {}",
                cert.height,
                cert.block_hash.short(),
                self.height,
                self.block_hash.short()
            ));
        }
        cert.verify(certifiers.validators, certifiers.chain_id).map_err(|e| e.to_string())
    }
}

/// What a seal is verified against.
#[derive(Clone, Copy, Debug)]
pub struct VerifyContext<'a> {
    /// Public keys of the genesis seal authorities.
    pub authorities: &'a [PublicKey],
    /// The revocation of this seal, if any. A revocation of another seal id is ignored.
    pub revocation: Option<&'a Revocation>,
    /// Digest of the document the seal must be on.
    pub document_digest: Hash,
    /// The seal's chain timestamp, if the transaction carrying it is final.
    pub chain_timestamp: Option<&'a ChainTimestamp>,
    /// Who certifies the chain timestamp; without them, its commit certificate is not checked.
    pub certifiers: Option<Certifiers<'a>>,
}

/// The check names [`verify`] reports, in the order it runs them (DESIGN §7).
pub const CHECKS: [&str; 9] = [
    "format",
    "signer_signature",
    "signer_key_allowed",
    "issuer_signature",
    "issuer_is_authority",
    "validity_period",
    "not_revoked",
    "document_digest",
    "chain_timestamp",
];

/// Verifies one seal for `party` (a name for messages: "borrower", "institution", "investor").
///
/// Runs the checks in the order of DESIGN §7 and stops at the first failure, returned as
/// [`Error::Seal`] whose `check` names it (see [`CHECKS`]):
/// 1. `format`: the seal and its certificate are version 1 and well-formed
///    ([`SealCertificate::check_fields`]); a structural gate before any cryptography, as
///    GB/T 38540 verifiers check the data format first;
/// 2. `signer_signature`: the signer's signature over the body;
/// 3. `signer_key_allowed`: the signer key is one of the certificate's signer keys;
/// 4. `issuer_signature`: the issuer's signature over the certificate;
/// 5. `issuer_is_authority`: the issuer is one of `ctx.authorities`;
/// 6. `validity_period`: `valid_from ≤ signed_at ≤ valid_to`;
/// 7. `not_revoked`: with a chain timestamp, revoked iff its height ≥ the revocation's height;
///    without one, revoked iff `signed_at` ≥ the revocation's time;
/// 8. `document_digest`: the seal is on `ctx.document_digest`;
/// 9. `chain_timestamp`: if there are both a chain timestamp and `ctx.certifiers`, its commit certificate verifies.
pub fn verify(seal: &SealSignature, party: &str, ctx: &VerifyContext<'_>) -> Result<(), Error> {
    verify_checks(seal, party, ctx, true)
}

/// [`verify`] without the two signature checks, for a seal whose signatures were already
/// verified in a batch with its transaction's (the chain checks each signature once, DESIGN §12;
/// see [`SealSignature::signed_messages`]). Every other check runs, in the same order.
pub fn verify_after_signatures(seal: &SealSignature, party: &str, ctx: &VerifyContext<'_>) -> Result<(), Error> {
    verify_checks(seal, party, ctx, false)
}

fn verify_checks(seal: &SealSignature, party: &str, ctx: &VerifyContext<'_>, check_signatures: bool) -> Result<(), Error> {
    let fail = |check: &'static str, detail: String| Err(Error::Seal { party: party.to_string(), check, detail });
    let body = &seal.body;
    let cert = &body.certificate;
    let id = cert.id();

    if body.version != SEAL_VERSION {
        return fail("format", format!("seal version {} is not supported (expected {SEAL_VERSION})", body.version));
    }
    if let Err(e) = cert.check_fields() {
        return fail("format", format!("certificate {id} is malformed: {e}"));
    }
    if check_signatures && body.signer.verify(Domain::Seal, &codec::to_bytes(body), &seal.signature).is_err() {
        return fail(
            "signer_signature",
            format!(
                "the signature by seal key {} does not verify: the seal was altered after signing or signed with another key",
                body.signer.short()
            ),
        );
    }
    if !cert.body.signer_keys.contains(&body.signer) {
        return fail(
            "signer_key_allowed",
            format!("key {} is not one of the {} signer keys of certificate {id}", body.signer.short(), cert.body.signer_keys.len()),
        );
    }
    if check_signatures && cert.verify_issuer_signature().is_err() {
        return fail(
            "issuer_signature",
            format!(
                "the issuer signature on certificate {id} does not verify with issuer key {}: the certificate was altered or not issued by that key",
                cert.body.issuer.short()
            ),
        );
    }
    if !ctx.authorities.contains(&cert.body.issuer) {
        return fail(
            "issuer_is_authority",
            format!("certificate {id} was issued by {}, which is not a seal authority in genesis", cert.body.issuer.short()),
        );
    }
    let (from, to, at) = (cert.body.valid_from, cert.body.valid_to, body.signed_at);
    if at < from {
        return fail(
            "validity_period",
            format!("certificate {id} is valid from {}, but the seal was signed at {}", format_time(from), format_time(at)),
        );
    }
    if at > to {
        return fail(
            "validity_period",
            format!("certificate {id} expired at {}, but the seal was signed at {}", format_time(to), format_time(at)),
        );
    }
    if let Some(rev) = ctx.revocation.filter(|r| &r.seal_id == id) {
        match ctx.chain_timestamp {
            Some(ts) if ts.height >= rev.revoked_at_height => {
                return fail(
                    "not_revoked",
                    format!(
                        "certificate {id} was revoked at height {} ({}), and the chain timestamped this seal at height {}",
                        rev.revoked_at_height, rev.reason, ts.height
                    ),
                );
            }
            None if at >= rev.revoked_at_time => {
                return fail(
                    "not_revoked",
                    format!(
                        "certificate {id} was revoked at {} ({}), and the seal was signed at {}",
                        format_time(rev.revoked_at_time),
                        rev.reason,
                        format_time(at)
                    ),
                );
            }
            _ => {}
        }
    }
    if body.document_digest != ctx.document_digest {
        return fail(
            "document_digest",
            format!(
                "the seal is on document digest {}, but the document's digest is {}: the document was changed after sealing",
                body.document_digest.short(),
                ctx.document_digest.short()
            ),
        );
    }
    if let (Some(ts), Some(certifiers)) = (ctx.chain_timestamp, ctx.certifiers)
        && let Err(why) = ts.verify(certifiers)
    {
        return fail(
            "chain_timestamp",
            format!("the chain timestamp at height {} (block {}) does not verify: {why}", ts.height, ts.block_hash.short()),
        );
    }
    Ok(())
}

/// A unix-millisecond time for people: `2026-03-01 08:00:00.000 UTC (1772352000000 ms)`.
pub fn format_time(ms: u64) -> String {
    format!("{}.{:03} UTC ({ms} ms)", crate::calendar::format_utc(ms), ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(issuer: &Keypair, signer: &Keypair) -> SealCertificateBody {
        crate::test_utils::CertBuilder::new("S-001", signer, issuer)
            .kind(SealKind::ContractSeal)
            .name("示例小贷公司合同专用章")
            .organisation("示例小贷公司")
            .valid(1_000, 2_000)
            .image(b"image")
            .body()
    }

    #[test]
    fn issue_checks_fields_and_issuer() {
        let (ca, k) = (Keypair::from_secret([1; 32]), Keypair::from_secret([2; 32]));
        let cert = SealCertificate::issue(body(&ca, &k), &ca).unwrap();
        assert!(cert.verify_issuer_signature().is_ok());
        assert_eq!(cert.id().as_str(), "S-001");
        assert!(matches!(SealCertificate::issue(body(&ca, &k), &k), Err(Error::InvalidField { field: "issuer", .. })));
        type Case = (fn(&mut SealCertificateBody), &'static str);
        let cases: Vec<Case> = vec![
            (|b| b.version = 2, "invalid_field"),
            (|b| b.name.clear(), "invalid_field"),
            (|b| b.name = "x".repeat(129), "too_large"),
            (|b| b.organisation = "x".repeat(129), "too_large"),
            (|b| b.signer_keys.clear(), "invalid_field"),
            (|b| b.signer_keys = (0..9u8).map(|i| Keypair::from_secret([i; 32]).public()).collect(), "too_large"),
            (|b| b.signer_keys.push(b.signer_keys[0]), "invalid_field"),
            (|b| b.valid_to = b.valid_from, "invalid_field"),
        ];
        for (i, (break_it, code)) in cases.into_iter().enumerate() {
            let mut b = body(&ca, &k);
            break_it(&mut b);
            let err = SealCertificate::issue(b, &ca).unwrap_err();
            assert_eq!(err.code(), code, "case {i}: {err}");
        }
        let mut ok = body(&ca, &k);
        ok.name = "x".repeat(128);
        ok.organisation.clear();
        ok.signer_keys = (0..8u8).map(|i| Keypair::from_secret([i; 32]).public()).collect();
        assert!(SealCertificate::issue(ok, &ca).is_ok());
    }

    #[test]
    fn signatures_are_domain_separated() {
        let (ca, k) = (Keypair::from_secret([1; 32]), Keypair::from_secret([2; 32]));
        let cert = SealCertificate::issue(body(&ca, &k), &ca).unwrap();
        let bytes = codec::to_bytes(&cert.body);
        assert!(ca.public().verify(Domain::SealCertificate, &bytes, &cert.issuer_signature).is_ok());
        assert!(ca.public().verify(Domain::Seal, &bytes, &cert.issuer_signature).is_err());
        let prop = SealProperty { contract_id: LoanId::new("L-1").unwrap(), contract_version: 1 };
        let seal = SealSignature::sign(cert, &k, 1_500, Hash::digest(b"doc"), prop);
        let bytes = codec::to_bytes(&seal.body);
        assert!(k.public().verify(Domain::Seal, &bytes, &seal.signature).is_ok());
        assert!(k.public().verify(Domain::SealCertificate, &bytes, &seal.signature).is_err());
        assert_eq!(seal.holder(), k.public().account_id());
        assert_eq!(SealSignature::from_bytes(&seal.to_bytes()).unwrap(), seal);
    }

    #[test]
    fn commit_certificate_is_hex_in_json() {
        let ts = ChainTimestamp { height: 7, block_hash: Hash::ZERO, block_time: 9, commit_certificate: vec![0xab, 0x01] };
        let json = serde_json::to_value(&ts).unwrap();
        assert_eq!(json["commit_certificate"], "ab01");
        assert_eq!(serde_json::from_value::<ChainTimestamp>(json).unwrap(), ts);
        assert_eq!(codec::from_bytes::<ChainTimestamp>("ts", &codec::to_bytes(&ts)).unwrap(), ts);
        let bad = r#"{"height":1,"block_hash":"00","block_time":1,"commit_certificate":"zz"}"#;
        assert!(serde_json::from_str::<ChainTimestamp>(bad).is_err());
    }

    #[test]
    fn times_read_as_dates() {
        assert_eq!(format_time(0), "1970-01-01 00:00:00.000 UTC (0 ms)");
        assert_eq!(format_time(1_772_352_000_123), "2026-03-01 08:00:00.123 UTC (1772352000123 ms)");
        assert_eq!(format_time(951_782_400_000), "2000-02-29 00:00:00.000 UTC (951782400000 ms)");
        assert!(format_time(u64::MAX).ends_with(&format!("({} ms)", u64::MAX)));
    }
}
