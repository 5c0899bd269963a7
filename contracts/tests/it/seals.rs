//! E-seals (DESIGN §7): every verification check fails when exactly its thing is broken, checks run
//! in the DESIGN order, revocation is judged against the chain timestamp, exported contracts
//! round-trip and verify offline, and golden fixtures pin the bcs encoding (STYLE habit 10).
//!
//! Regenerate the fixtures deliberately with `LOANCHAIN_BLESS=1 cargo test --release -p
//! loanchain-contracts --test it seals`: that is a wire-format change.

use loanchain_contracts::export::{EXPORT_FORMAT, ExportedContract, MAX_EXPORT_JSON_BYTES, SealedBy};
use loanchain_contracts::seal::{
    self, CHECKS, Certifiers, ChainTimestamp, Revocation, SealCertificate, SealKind, SealProperty, SealSignature, VerifyContext,
};
use loanchain_contracts::test_utils::CertBuilder;
use loanchain_contracts::{
    Amount, ContractDocument, Domain, Error, Hash, Keypair, LoanId, PublicKey, Rate, RepaymentMethod, RiskGrade, SealId,
};
use loanchain_types::{CommitCertificate, SignedVote, ValidatorIndex, ValidatorSet, Vote, VoteKind};
use proptest::prelude::*;

const T0: u64 = 1_767_225_600_000; // 2026-01-01 00:00 UTC
const YEAR: u64 = 365 * 86_400_000;

fn key(n: u8) -> Keypair {
    Keypair::from_secret([n; 32])
}
fn authority() -> Keypair {
    key(1)
}

fn document() -> ContractDocument {
    ContractDocument {
        version: 1,
        chain_id: "loanchain-test".into(),
        loan_id: LoanId::new("JD-2026-0001").unwrap(),
        borrower: key(2).public().account_id(),
        institution: key(3).public().account_id(),
        principal: Amount::yuan(10_000),
        annual_rate: Rate::from_millionths(120_000).unwrap(),
        periods: 12,
        method: RepaymentMethod::EqualInstallment,
        grade: RiskGrade::B,
        funding_deadline: T0 + 7 * 86_400_000,
        min_investment: Amount::yuan(100),
        purpose: "经营周转".into(),
        terms_digest: Hash::digest(b"full legal text"),
    }
}

/// A certificate for the seal held by `holder`'s account, signable by `holder`, issued by `issuer`.
fn cert(id: &str, holder: &Keypair, issuer: &Keypair) -> SealCertificate {
    CertBuilder::new(id, holder, issuer).name(format!("{id} 签章")).organisation("示例").valid(T0, T0 + YEAR).issue()
}

fn property() -> SealProperty {
    SealProperty { contract_id: document().loan_id, contract_version: 1 }
}

fn seal_by(id: &str, holder: &Keypair, signed_at: u64) -> SealSignature {
    SealSignature::sign(cert(id, holder, &authority()), holder, signed_at, document().digest(), property())
}

const CHAIN: &str = "loanchain-test";

/// The four validators of the test chain, equal power.
fn validator_keys() -> Vec<Keypair> {
    (20..24).map(key).collect()
}

fn validators() -> ValidatorSet {
    loanchain_types::test_utils::validator_set_of(&validator_keys(), &[1; 4])
}

fn certifiers(set: &ValidatorSet) -> Certifiers<'_> {
    Certifiers { validators: set, chain_id: CHAIN }
}

/// A chain timestamp at `height` whose certificate carries the precommits of the first `signers`
/// validators (3 of 4 is a quorum, 2 is not).
fn ts_signed_by(height: u64, signers: usize) -> ChainTimestamp {
    let block_hash = Hash::digest(&height.to_be_bytes());
    let votes: Vec<SignedVote> = validator_keys()[..signers]
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let vote =
                Vote { height, round: 0, kind: VoteKind::Precommit, block_hash: Some(block_hash), validator: ValidatorIndex(i as u32) };
            SignedVote::sign(k, CHAIN, vote)
        })
        .collect();
    let cert = CommitCertificate::from_precommits(height, 0, block_hash, &votes);
    ChainTimestamp { height, block_hash, block_time: T0 + height * 1000, commit_certificate: bcs::to_bytes(&cert).unwrap() }
}

fn ts(height: u64) -> ChainTimestamp {
    ts_signed_by(height, 3)
}

fn revocation(id: &str, height: u64, time: u64) -> Revocation {
    Revocation { seal_id: SealId::new(id).unwrap(), revoked_at_height: height, revoked_at_time: time, reason: "key lost".into() }
}

fn check_of(r: Result<(), Error>) -> Option<&'static str> {
    match r {
        Ok(()) => None,
        Err(Error::Seal { check, .. }) => Some(check),
        Err(e) => panic!("verify returned a non-seal error: {e}"),
    }
}

/// Verifies `s` for the fixture document against the fixture authority.
fn verify_with(s: &SealSignature, rev: Option<&Revocation>, ts: Option<&ChainTimestamp>) -> Option<&'static str> {
    let authorities = [authority().public()];
    let ctx = VerifyContext {
        authorities: &authorities,
        revocation: rev,
        document_digest: document().digest(),
        chain_timestamp: ts,
        certifiers: None,
    };
    check_of(seal::verify(s, "borrower", &ctx))
}

/// Builds a seal with every fault in `faults` (check names) and verifies it: with all faults from
/// check k on, the report must name check k (DESIGN §7 order).
fn verify_with_faults(faults: &[&str]) -> Option<&'static str> {
    let has = |f: &str| faults.contains(&f);
    let signer = key(2);
    let issuer = if has("issuer_is_authority") { key(9) } else { authority() };
    let mut certificate = cert("S-001", &signer, &issuer);
    if has("issuer_signature") {
        certificate.body.valid_to += 1; // tampered after issue
    }
    let sign_key = if has("signer_key_allowed") { key(8) } else { signer };
    let signed_at = if has("validity_period") { T0 + 2 * YEAR } else { T0 + 1000 };
    let mut s = SealSignature::sign(certificate, &sign_key, signed_at, document().digest(), property());
    if has("format") {
        s.body.version = 2; // an unknown format, properly signed
        s.signature = sign_key.sign(Domain::Seal, &bcs::to_bytes(&s.body).unwrap());
    }
    if has("signer_signature") {
        s.signature.0[63] ^= 0x01;
    }
    let rev = has("not_revoked").then(|| revocation("S-001", 50, T0 + 2 * YEAR + 1));
    let digest = if has("document_digest") { Hash::digest(b"another document") } else { document().digest() };
    let timestamp = if has("chain_timestamp") { ts_signed_by(100, 2) } else { ts(100) };
    let set = validators();
    let authorities = [authority().public()];
    let ctx = VerifyContext {
        authorities: &authorities,
        revocation: rev.as_ref(),
        document_digest: digest,
        chain_timestamp: Some(&timestamp),
        certifiers: Some(certifiers(&set)),
    };
    check_of(seal::verify(&s, "borrower", &ctx))
}

#[test]
fn a_good_seal_verifies() {
    let s = seal_by("S-001", &key(2), T0 + 1000);
    assert_eq!(verify_with(&s, None, None), None);
    assert_eq!(verify_with(&s, None, Some(&ts(3))), None);
    assert_eq!(verify_with_faults(&[]), None);
}

#[test]
fn each_check_fails_alone_when_its_thing_is_broken() {
    for check in CHECKS {
        assert_eq!(verify_with_faults(&[check]), Some(check), "breaking only {check}");
    }
}

#[test]
fn checks_run_in_design_order() {
    // DESIGN §7: with every fault from check k on, check k is the one reported.
    for k in 0..CHECKS.len() {
        assert_eq!(verify_with_faults(&CHECKS[k..]), Some(CHECKS[k]), "faults {:?}", &CHECKS[k..]);
    }
    assert_eq!(verify_with_faults(&["signer_signature", "issuer_is_authority"]), Some("signer_signature"));
    assert_eq!(verify_with_faults(&["validity_period", "document_digest"]), Some("validity_period"));
}

#[test]
fn validity_period_is_inclusive_and_says_when() {
    let signer = key(2);
    assert_eq!(verify_with(&seal_by("S-001", &signer, T0), None, None), None);
    assert_eq!(verify_with(&seal_by("S-001", &signer, T0 + YEAR), None, None), None);
    assert_eq!(verify_with(&seal_by("S-001", &signer, T0 - 1), None, None), Some("validity_period"));
    let late = seal_by("S-001", &signer, T0 + YEAR + 1);
    let authorities = [authority().public()];
    let ctx = VerifyContext {
        authorities: &authorities,
        revocation: None,
        document_digest: document().digest(),
        chain_timestamp: None,
        certifiers: None,
    };
    let msg = seal::verify(&late, "investor", &ctx).unwrap_err().to_string();
    assert!(msg.contains("certificate S-001 expired at 2027-01-01 00:00:00.000 UTC"), "{msg}");
    assert!(msg.starts_with("seal of investor fails the check 'validity_period'"), "{msg}");
}

// DESIGN §7: a revocation is judged against the chain timestamp whenever there is one.
#[test]
fn revocation_without_chain_timestamp_uses_signed_at() {
    let s = seal_by("S-001", &key(2), T0 + 5000);
    assert_eq!(verify_with(&s, Some(&revocation("S-001", 10, T0 + 6000)), None), None, "sealed before revocation");
    assert_eq!(verify_with(&s, Some(&revocation("S-001", 10, T0 + 5000)), None), Some("not_revoked"));
    assert_eq!(verify_with(&s, Some(&revocation("S-001", 10, T0 + 4000)), None), Some("not_revoked"));
    assert_eq!(verify_with(&s, Some(&revocation("S-OTHER", 1, T0)), None), None, "another seal's revocation");
}

#[test]
fn backdated_seal_with_chain_timestamp_after_revocation_fails() {
    // Revoked in block 10 at T0+6000; the signer claims T0+1000, but the chain put it in block 12.
    let backdated = seal_by("S-001", &key(2), T0 + 1000);
    let rev = revocation("S-001", 10, T0 + 6000);
    assert_eq!(verify_with(&backdated, Some(&rev), None), None, "without a timestamp the backdating would work");
    assert_eq!(verify_with(&backdated, Some(&rev), Some(&ts(12))), Some("not_revoked"));
    assert_eq!(verify_with(&backdated, Some(&rev), Some(&ts(10))), Some("not_revoked"), "same block counts as revoked");
}

#[test]
fn seal_timestamped_before_revocation_stays_valid() {
    let s = seal_by("S-001", &key(2), T0 + 1000);
    let rev = revocation("S-001", 10, T0 + 6000);
    assert_eq!(verify_with(&s, Some(&rev), Some(&ts(9))), None);
    // The chain timestamp decides even if the claimed time is after the revocation time.
    let late_claim = seal_by("S-001", &key(2), T0 + 7000);
    assert_eq!(verify_with(&late_claim, Some(&rev), Some(&ts(9))), None);
}

fn sealed(party: &str, holder: &Keypair, id: &str, height: u64) -> SealedBy {
    SealedBy {
        party: party.into(),
        account: holder.public().account_id(),
        seal: seal_by(id, holder, T0 + height * 1000),
        tx_hash: Hash::digest(id.as_bytes()),
        chain_timestamp: Some(ts(height)),
    }
}

fn export() -> ExportedContract {
    ExportedContract::new(
        document(),
        vec![
            sealed("borrower", &key(2), "S-B", 1),
            sealed("institution", &key(3), "S-I", 1),
            sealed("investor", &key(4), "S-V1", 2),
            sealed("investor", &key(5), "S-V2", 3),
        ],
        vec![],
    )
}

fn checks(report: &loanchain_contracts::export::VerifyReport) -> Vec<Option<&str>> {
    report.seals.iter().map(|s| s.check.as_deref()).collect()
}

#[test]
fn exported_contract_round_trips_and_verifies() {
    let e = export();
    let json = e.to_json_pretty();
    let certificate_hex = hex::encode(&e.seals[0].chain_timestamp.as_ref().unwrap().commit_certificate);
    assert!(json.contains(EXPORT_FORMAT) && json.contains(&format!("\"commit_certificate\": \"{certificate_hex}\"")));
    let back = ExportedContract::from_json(&json).unwrap();
    assert_eq!(back, e);
    let set = validators();
    let report = back.verify(&[authority().public()], Some(certifiers(&set)));
    assert!(report.all_ok(), "{report:?}");
    assert_eq!(report.document_digest, document().digest());
    assert_eq!(report.seals.len(), 4);
    assert!(report.first_failure().is_none());
}

#[test]
fn changed_principal_fails_every_seal_on_document_digest() {
    let mut e = export();
    e.document.principal = Amount::yuan(100_000);
    let report = e.verify(&[authority().public()], None);
    assert!(!report.all_ok());
    assert_eq!(checks(&report), vec![Some("document_digest"); 4]);
    assert_eq!(report.first_failure().unwrap().party, "borrower");
}

#[test]
fn export_reports_which_seal_fails_and_why() {
    let auth = [authority().public()];
    // A revoked investor seal, timestamped after the revocation.
    let mut e = export();
    e.revocations.push(revocation("S-V2", 3, T0));
    let report = e.verify(&auth, None);
    assert_eq!(checks(&report), vec![None, None, None, Some("not_revoked")]);
    let bad = report.first_failure().unwrap();
    assert_eq!((bad.party.as_str(), bad.seal_id.as_str()), ("investor", "S-V2"));
    assert!(bad.error.as_deref().unwrap().contains("revoked at height 3"), "{bad:?}");

    // A seal whose certificate is held by someone else than the sealing account.
    let mut e = export();
    e.seals[2].account = key(7).public().account_id();
    assert_eq!(checks(&e.verify(&auth, None))[2], Some("holder_is_account"));

    // The "borrower" seal is a valid seal, but not by the document's borrower.
    let mut e = export();
    e.seals[0] = sealed("borrower", &key(6), "S-X", 1);
    assert_eq!(checks(&e.verify(&auth, None))[0], Some("party_account"));

    // A commit certificate without a quorum, or for another block, names the chain timestamp.
    let set = validators();
    let mut e = export();
    e.seals[2].chain_timestamp = Some(ts_signed_by(2, 2));
    assert_eq!(checks(&e.verify(&auth, Some(certifiers(&set)))), vec![None, None, Some("chain_timestamp"), None]);
    let mut e = export();
    e.seals[1].chain_timestamp.as_mut().unwrap().block_hash = Hash::digest(b"another block");
    let report = e.verify(&auth, Some(certifiers(&set)));
    assert_eq!(checks(&report), vec![None, Some("chain_timestamp"), None, None]);
    assert!(report.seals[1].error.as_deref().unwrap().contains("the certificate is for height"), "{report:?}");
    let mut e = export();
    e.seals[3].chain_timestamp.as_mut().unwrap().commit_certificate = vec![0xc0, 0x01];
    assert_eq!(checks(&e.verify(&auth, Some(certifiers(&set))))[3], Some("chain_timestamp"));

    // An unknown authority fails every seal.
    assert_eq!(checks(&export().verify(&[key(9).public()], None)), vec![Some("issuer_is_authority"); 4]);
}

#[test]
fn missing_required_seals_are_reported() {
    let mut e = export();
    e.seals.retain(|s| s.party != "borrower");
    let report = e.verify(&[authority().public()], None);
    let bad = report.first_failure().unwrap();
    assert_eq!((bad.party.as_str(), bad.check.as_deref()), ("borrower", Some("seal_present")));
    assert_eq!(bad.account, document().borrower);
    assert!(!report.all_ok());

    let mut e = export();
    e.seals.retain(|s| s.party == "borrower");
    let report = e.verify(&[authority().public()], None);
    let missing: Vec<&str> = report.seals.iter().filter(|s| !s.ok).map(|s| s.party.as_str()).collect();
    assert_eq!(missing, vec!["institution", "investor"]);
}

#[test]
fn from_json_rejects_bad_input_with_typed_errors() {
    let deep = "[".repeat(100_000);
    for garbage in ["", "{", "null", "[1,2]", "{\"format\":1}", "\u{0}\u{ff}", &deep[..]] {
        assert_eq!(ExportedContract::from_json(garbage).unwrap_err().code(), "decode", "{garbage:.20}");
    }
    let mut e = export();
    e.format = "loanchain-contract/v0".into();
    let err = ExportedContract::from_json(&e.to_json_pretty()).unwrap_err();
    assert!(matches!(err, Error::InvalidField { field: "format", .. }), "{err}");
    let huge = " ".repeat(MAX_EXPORT_JSON_BYTES + 1);
    assert!(matches!(ExportedContract::from_json(&huge), Err(Error::TooLarge { .. })));
    let bad_key = export().to_json_pretty().replacen("\"signer\": \"", "\"signer\": \"zz", 1);
    assert_eq!(ExportedContract::from_json(&bad_key).unwrap_err().code(), "decode");
}

// --- golden fixtures (STYLE habit 10) -----------------------------------------------------------

fn fixture_certificate() -> SealCertificate {
    let holder = key(2);
    CertBuilder::new("CFCA-TEST-0001", &holder, &authority())
        .kind(SealKind::ContractSeal)
        .name("示例小额贷款有限公司合同专用章")
        .organisation("示例小额贷款有限公司")
        .signer_keys(vec![holder.public(), key(3).public()])
        .valid(T0, T0 + YEAR)
        .image(b"seal image")
        .issue()
}

fn fixture_signature() -> SealSignature {
    let property = SealProperty { contract_id: LoanId::new("JD-FIXTURE-1").unwrap(), contract_version: 1 };
    SealSignature::sign(fixture_certificate(), &key(2), T0 + 3_600_000, Hash::digest(b"fixture document"), property)
}

fn golden(name: &str, bytes: &[u8]) {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let hex = format!("{}\n", hex::encode(bytes));
    if std::env::var("LOANCHAIN_BLESS").as_deref() == Ok("1") {
        std::fs::create_dir_all(format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"))).unwrap();
        std::fs::write(&path, hex).unwrap();
        return;
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}; run with LOANCHAIN_BLESS=1 to create it"));
    assert_eq!(stored, hex, "{path} changed: the seal wire format moved. If deliberate, rerun with LOANCHAIN_BLESS=1");
}

#[test]
fn golden_seal_certificate() {
    let c = fixture_certificate();
    let bytes = bcs::to_bytes(&c).unwrap();
    golden("seal_certificate.hex", &bytes);
    assert_eq!(bcs::from_bytes::<SealCertificate>(&bytes).unwrap(), c);
}

#[test]
fn golden_seal_signature() {
    let s = fixture_signature();
    golden("seal_signature.hex", &s.to_bytes());
    let stored = std::fs::read_to_string(format!("{}/tests/fixtures/seal_signature.hex", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let decoded = SealSignature::from_bytes(&hex::decode(stored.trim()).unwrap()).unwrap();
    assert_eq!(decoded, s);
    let ctx = VerifyContext {
        authorities: &[authority().public()],
        revocation: None,
        document_digest: Hash::digest(b"fixture document"),
        chain_timestamp: None,
        certifiers: None,
    };
    seal::verify(&decoded, "institution", &ctx).unwrap();
}

// --- properties -----------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Flipping any single byte of an encoded seal makes decoding or verification fail, never panic.
    #[test]
    fn any_flipped_byte_is_caught(index in any::<prop::sample::Index>(), mask in 1u8..=255) {
        let mut bytes = fixture_signature().to_bytes();
        let i = index.index(bytes.len());
        bytes[i] ^= mask;
        if let Ok(s) = SealSignature::from_bytes(&bytes) {
            let authorities: [PublicKey; 1] = [authority().public()];
            let ctx = VerifyContext {
                authorities: &authorities,
                revocation: None,
                document_digest: Hash::digest(b"fixture document"),
                chain_timestamp: None,
                certifiers: None,
            };
            prop_assert!(seal::verify(&s, "borrower", &ctx).is_err(), "byte {} ^ {:#04x} still verifies", i, mask);
        }
    }

    /// Arbitrary bytes and text never panic the decoders.
    #[test]
    fn decoders_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600), text in ".{0,200}") {
        let _ = SealSignature::from_bytes(&bytes);
        let _ = ExportedContract::from_json(&text);
        let _ = ExportedContract::from_json(&String::from_utf8_lossy(&bytes));
    }
}
