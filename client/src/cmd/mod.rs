//! The commands that talk to a node. Each module holds its clap arguments and its `run`.

pub mod account;
pub mod chain;
pub mod claims;
pub mod loan;
pub mod portfolio;
pub mod submit;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use loanchain_contracts::{AccountId, Keypair};

use crate::node::NodeClient;
use crate::tx_builder::{self, Target};

/// What every network command gets from the global flags.
#[derive(Debug)]
pub struct Ctx {
    /// The node.
    pub node: NodeClient,
    /// `--json`.
    pub json: bool,
    /// `--no-wait`.
    pub no_wait: bool,
    /// `--timeout`.
    pub timeout: Duration,
    /// `--key`.
    pub key: Option<PathBuf>,
    /// `--valid-for`.
    pub valid_for: u64,
}

impl Ctx {
    /// The signing key of `--key`, required by signing commands.
    pub fn signer(&self, role: &str) -> Result<Keypair> {
        let path = self.key.as_ref().with_context(|| format!("this command is signed: pass --key FILE, the {role}'s account key"))?;
        tx_builder::account_key(path)
    }

    /// The account of `--key`, for read commands that default to "me".
    pub fn my_account(&self) -> Result<Option<AccountId>> {
        self.key.as_ref().map(|p| tx_builder::account_key(p).map(|k| k.public().account_id())).transpose()
    }

    /// Chain id and current height from `GET /v1/status`, to sign against.
    pub async fn target(&self) -> Result<Target> {
        let status = self.node.status().await?;
        Ok(Target { chain_id: status.chain_id, height: status.height, valid_for: self.valid_for })
    }

    /// Whether to draw a spinner: stderr is a terminal and the output is for a person.
    pub fn spinner_allowed(&self) -> bool {
        !self.json && std::io::stderr().is_terminal()
    }

    /// Prints `value` as pretty JSON on stdout.
    pub fn print_json<T: serde::Serialize>(&self, value: &T) -> Result<()> {
        println!("{}", serde_json::to_string_pretty(value)?);
        Ok(())
    }
}

/// Parses an account id argument (64 hex digits).
pub fn parse_account(s: &str) -> Result<AccountId, String> {
    s.parse::<AccountId>().map_err(|e| loanchain_contracts::Error::from(e).to_string())
}

/// Parses an amount argument (yuan, at most 2 decimal places, > 0).
pub fn parse_amount(s: &str) -> Result<loanchain_contracts::Amount, String> {
    s.parse().map_err(|e: loanchain_contracts::Error| e.to_string())
}

/// Parses a loan id argument.
pub fn parse_loan(s: &str) -> Result<loanchain_contracts::LoanId, String> {
    loanchain_contracts::LoanId::new(s).map_err(|e| e.to_string())
}

/// Formats unix milliseconds as `YYYY-MM-DD HH:MM:SS` UTC (for tables): the contracts crate's
/// formatter, the one seal messages use too.
pub use loanchain_contracts::format_utc as fmt_time;

#[cfg(test)]
mod tests {
    #[test]
    fn times_print_in_utc() {
        assert_eq!(super::fmt_time(0), "1970-01-01 00:00:00");
        assert_eq!(super::fmt_time(1_767_225_600_000), "2026-01-01 00:00:00");
        assert_eq!(super::fmt_time(1_709_210_096_000), "2024-02-29 12:34:56");
    }
}
