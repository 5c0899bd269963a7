//! `loanctl contract verify`: checks an exported contract offline, given only the genesis file
//! (DESIGN §7). Seal authorities come from the genesis accounts with the seal-authority role; a
//! chain timestamp's commit certificate is verified against the genesis validator set.

use anyhow::{Context, Result};
use loanchain_contracts::export::ExportedContract;
use loanchain_contracts::ids::Role;
use loanchain_contracts::seal::Certifiers;
use loanchain_genesis::Genesis;

use crate::EXIT_VERIFY_FAILED;
use crate::output::table;

/// Largest exported contract read, in bytes.
const MAX_EXPORT_BYTES: u64 = 16 << 20;

pub fn verify(file: &std::path::Path, genesis_path: &std::path::Path, json: bool) -> Result<u8> {
    let genesis = Genesis::load(genesis_path).with_context(|| format!("cannot use genesis {}", genesis_path.display()))?;
    let size = std::fs::metadata(file).with_context(|| format!("cannot read {}", file.display()))?.len();
    anyhow::ensure!(size <= MAX_EXPORT_BYTES, "{} is {size} bytes, the limit is {MAX_EXPORT_BYTES}", file.display());
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let export = ExportedContract::from_json(&text).with_context(|| format!("{} is not an exported contract", file.display()))?;
    anyhow::ensure!(
        export.document.chain_id == genesis.chain_id,
        "the contract is on chain {:?}, the genesis file is for {:?}",
        export.document.chain_id,
        genesis.chain_id
    );
    let authorities: Vec<_> = genesis.accounts_with_role(Role::SealAuthority).map(|a| a.public_key).collect();
    let validators = genesis.validator_set().context("the genesis validator set is invalid")?;
    let report = export.verify(&authorities, Some(Certifiers { validators: &validators, chain_id: &genesis.chain_id }));
    if json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "ok": report.all_ok(), "report": report }))?);
    } else {
        println!("contract {} v{}  document {}", export.document.loan_id, export.document.version, report.document_digest);
        let rows: Vec<Vec<String>> = report
            .seals
            .iter()
            .map(|s| {
                vec![
                    s.party.clone(),
                    s.account.short(),
                    s.seal_id.to_string(),
                    if s.ok { "ok".into() } else { format!("FAIL {}", s.check.clone().unwrap_or_default()) },
                    s.error.clone().unwrap_or_default(),
                ]
            })
            .collect();
        table(&["party", "account", "seal", "verdict", "why"], &rows, &[]);
        match report.first_failure() {
            None => println!("all {} seals verify", report.seals.len()),
            Some(f) => println!("the {} seal {} fails: {}", f.party, f.seal_id, f.error.clone().unwrap_or_default()),
        }
    }
    Ok(if report.all_ok() { 0 } else { EXIT_VERIFY_FAILED })
}
