//! Builders for tests, here and in the crates that use this one (cargo feature `test-utils`, as a
//! dev-dependency): not part of the chain's API and never compiled into a node.
//!
//! - [`CertBuilder`]: a seal certificate (DESIGN §7) with every field of
//!   [`SealCertificateBody`] defaulted, so a test names only what it cares about.

use crate::crypto::{Hash, Keypair, PublicKey};
use crate::ids::SealId;
use crate::seal::{SEAL_VERSION, SealCertificate, SealCertificateBody, SealKind};

/// A seal certificate under construction: `CertBuilder::new(id, &holder, &issuer)`, then the
/// fields that differ from the defaults, then [`CertBuilder::issue`] (or [`CertBuilder::body`]).
///
/// Defaults: a [`SealKind::PersonalSeal`] named `id`, organisation `"test"`, signable by the
/// holder's own key, valid from 0 to `u64::MAX`, image digest `SHA-256(id)`.
#[derive(Clone, Debug)]
pub struct CertBuilder {
    body: SealCertificateBody,
    issuer: Keypair,
}

impl CertBuilder {
    /// Seal `id` (a valid [`SealId`], or this panics) held by `holder`'s account, issued by
    /// `issuer`.
    pub fn new(id: &str, holder: &Keypair, issuer: &Keypair) -> CertBuilder {
        let body = SealCertificateBody {
            version: SEAL_VERSION,
            seal_id: SealId::new(id).expect("a test seal id is valid"),
            kind: SealKind::PersonalSeal,
            name: id.into(),
            holder: holder.public().account_id(),
            organisation: "test".into(),
            signer_keys: vec![holder.public()],
            valid_from: 0,
            valid_to: u64::MAX,
            image_digest: Hash::digest(id.as_bytes()),
            issuer: issuer.public(),
        };
        CertBuilder { body, issuer: issuer.clone() }
    }

    /// The kind of seal.
    pub fn kind(mut self, kind: SealKind) -> CertBuilder {
        self.body.kind = kind;
        self
    }

    /// The seal's name.
    pub fn name(mut self, name: impl Into<String>) -> CertBuilder {
        self.body.name = name.into();
        self
    }

    /// The organisation the seal belongs to.
    pub fn organisation(mut self, organisation: impl Into<String>) -> CertBuilder {
        self.body.organisation = organisation.into();
        self
    }

    /// The keys allowed to sign with the seal (in place of the holder's own key).
    pub fn signer_keys(mut self, keys: Vec<PublicKey>) -> CertBuilder {
        self.body.signer_keys = keys;
        self
    }

    /// Validity from `from` to `to` (inclusive), unix milliseconds.
    pub fn valid(mut self, from: u64, to: u64) -> CertBuilder {
        self.body.valid_from = from;
        self.body.valid_to = to;
        self
    }

    /// The seal image whose SHA-256 the certificate carries.
    pub fn image(mut self, image: &[u8]) -> CertBuilder {
        self.body.image_digest = Hash::digest(image);
        self
    }

    /// The body as built, unsigned (for tests that break a field before issuing).
    pub fn body(self) -> SealCertificateBody {
        self.body
    }

    /// The certificate, signed by the issuer; panics if a field is malformed.
    pub fn issue(self) -> SealCertificate {
        SealCertificate::issue(self.body, &self.issuer).expect("a test certificate issues")
    }
}
