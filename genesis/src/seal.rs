//! Issuing seal certificates (DESIGN §7): the seal authority's side of `loanchain-genesis seal issue`.

use std::path::Path;

use loanchain_contracts::seal::{SEAL_VERSION, SealCertificate, SealCertificateBody, SealKind};
use loanchain_contracts::{AccountId, Hash, PublicKey, SealId};

use crate::error::GenesisError;
use crate::genesis::{read_limited, write_atomic};
use crate::keys::{Key, KeyKind};

/// Milliseconds in a calendar day (seal validity is in real days, whatever the devnet's "day").
pub const DAY_MS: u64 = 86_400_000;
/// Largest seal certificate file [`read_certificate`] reads.
pub const MAX_CERTIFICATE_BYTES: u64 = 64 << 10;

/// What the authority is asked to certify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealRequest {
    /// Serial of the seal.
    pub seal_id: SealId,
    /// Official, contract or personal seal.
    pub kind: SealKind,
    /// Seal name as shown on the image.
    pub name: String,
    /// The account that holds the seal.
    pub holder: AccountId,
    /// The organisation (or the person, for a personal seal).
    pub organisation: String,
    /// The seal keys allowed to sign with it.
    pub signer_keys: Vec<PublicKey>,
    /// Start of validity, unix ms.
    pub valid_from_ms: u64,
    /// Validity in calendar days (≥ 1).
    pub valid_days: u64,
    /// SHA-256 of the seal image.
    pub image_digest: Hash,
}

/// Signs a certificate for `request` with the seal authority's account key (which is its issuing
/// key: the chain accepts the certificate if that key belongs to a genesis seal authority).
pub fn issue_seal(authority: &Key, request: SealRequest) -> Result<SealCertificate, GenesisError> {
    if authority.kind() != KeyKind::Account {
        return Err(GenesisError::BadField {
            what: "authority key",
            value: authority.kind().name().into(),
            reason: "a seal authority issues with its account key (the one listed in genesis)".into(),
        });
    }
    if request.valid_days == 0 {
        return Err(GenesisError::BadField {
            what: "valid_days",
            value: "0".into(),
            reason: "a seal must be valid for at least 1 day".into(),
        });
    }
    let valid_to = request.valid_days.checked_mul(DAY_MS).and_then(|d| d.checked_add(request.valid_from_ms)).ok_or_else(|| {
        GenesisError::BadField {
            what: "valid_days",
            value: request.valid_days.to_string(),
            reason: "the end of validity overflows a u64 of milliseconds".into(),
        }
    })?;
    let body = SealCertificateBody {
        version: SEAL_VERSION,
        seal_id: request.seal_id,
        kind: request.kind,
        name: request.name,
        holder: request.holder,
        organisation: request.organisation,
        signer_keys: request.signer_keys,
        valid_from: request.valid_from_ms,
        valid_to,
        image_digest: request.image_digest,
        issuer: authority.public(),
    };
    SealCertificate::issue(body, authority.keypair())
        .map_err(|source| GenesisError::Contracts { context: "issuing the seal certificate", source })
}

/// The certificate as pretty JSON.
pub fn certificate_json(cert: &SealCertificate) -> String {
    serde_json::to_string_pretty(cert).expect("a certificate always encodes as JSON") + "\n"
}

/// Writes a certificate as pretty JSON.
pub fn write_certificate(path: impl AsRef<Path>, cert: &SealCertificate) -> Result<(), GenesisError> {
    write_atomic(path.as_ref(), certificate_json(cert).as_bytes(), None)
}

/// Reads a certificate and checks its fields and issuer signature (not whether the issuer is a
/// genesis seal authority: that needs the genesis).
pub fn read_certificate(path: impl AsRef<Path>) -> Result<SealCertificate, GenesisError> {
    let path = path.as_ref();
    let bytes = read_limited(path, "seal certificate", MAX_CERTIFICATE_BYTES)?;
    let cert: SealCertificate =
        serde_json::from_slice(&bytes).map_err(|source| GenesisError::Json { path: path.into(), what: "seal certificate", source })?;
    cert.check_fields().map_err(|source| GenesisError::Contracts { context: "checking the seal certificate", source })?;
    cert.verify_issuer_signature().map_err(|source| GenesisError::Contracts { context: "checking the issuer signature", source })?;
    Ok(cert)
}

/// A simple SVG seal image (a red ring with the organisation and the seal name), so the devnet's
/// certificates certify the digest of a real image file.
pub fn seal_image_svg(organisation: &str, name: &str) -> String {
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    format!(
        concat!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"200\" height=\"200\" viewBox=\"0 0 200 200\">\n",
            "  <circle cx=\"100\" cy=\"100\" r=\"92\" fill=\"none\" stroke=\"#c00\" stroke-width=\"6\"/>\n",
            "  <text x=\"100\" y=\"70\" text-anchor=\"middle\" font-size=\"14\" fill=\"#c00\">{}</text>\n",
            "  <text x=\"100\" y=\"110\" text-anchor=\"middle\" font-size=\"36\" fill=\"#c00\">&#9733;</text>\n",
            "  <text x=\"100\" y=\"150\" text-anchor=\"middle\" font-size=\"12\" fill=\"#c00\">{}</text>\n",
            "</svg>\n"
        ),
        esc(organisation),
        esc(name)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(signer: PublicKey) -> SealRequest {
        SealRequest {
            seal_id: SealId::new("S-1").unwrap(),
            kind: SealKind::ContractSeal,
            name: "Contract seal".into(),
            holder: Key::from_secret(KeyKind::Account, [8; 32]).account_id(),
            organisation: "Org".into(),
            signer_keys: vec![signer],
            valid_from_ms: 1_000,
            valid_days: 2,
            image_digest: Hash::digest(seal_image_svg("Org", "Contract seal").as_bytes()),
        }
    }

    #[test]
    fn issued_certificates_verify_and_bad_requests_are_refused() {
        let authority = Key::from_secret(KeyKind::Account, [1; 32]);
        let signer = Key::from_secret(KeyKind::Seal, [2; 32]).public();
        let cert = issue_seal(&authority, request(signer)).unwrap();
        cert.verify_issuer_signature().unwrap();
        assert_eq!(cert.body.valid_to, 1_000 + 2 * DAY_MS);
        assert_eq!(cert.body.issuer, authority.public());

        let seal_key = Key::from_secret(KeyKind::Seal, [1; 32]);
        assert!(issue_seal(&seal_key, request(signer)).unwrap_err().to_string().contains("account key"));
        let zero_days = SealRequest { valid_days: 0, ..request(signer) };
        assert!(issue_seal(&authority, zero_days).is_err());
        let overflow = SealRequest { valid_days: u64::MAX / 1000, ..request(signer) };
        assert!(issue_seal(&authority, overflow).unwrap_err().to_string().contains("overflows"));
        let no_signer = SealRequest { signer_keys: vec![], ..request(signer) };
        assert!(issue_seal(&authority, no_signer).is_err());
    }
}
