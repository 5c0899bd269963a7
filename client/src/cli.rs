//! The command line, declared with clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// loanctl: investors, borrowers, institutions and regulators on loanchain.
#[derive(Debug, Parser)]
#[command(name = "loanctl", version, about)]
pub struct Cli {
    /// Print JSON instead of human tables (every command).
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Account keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Preview a repayment schedule exactly as the chain fixes it (offline).
    Schedule(ScheduleArgs),
    /// Exported contracts.
    #[command(subcommand)]
    Contract(ContractCommand),
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Generate a new account key file (mode 0600).
    Generate {
        /// Where to write it; refuses to overwrite.
        #[arg(long)]
        out: PathBuf,
    },
    /// Show a key file's public key and account id (never the secret).
    Show {
        /// The key file.
        file: PathBuf,
    },
}

/// The repayment methods of DESIGN §6.
#[derive(Clone, Copy, Debug, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum Method {
    /// 等额本息: equal installments.
    EqualInstallment,
    /// 等额本金: equal principal.
    EqualPrincipal,
    /// 先息后本: interest first, principal last.
    InterestFirst,
    /// 到期还本付息: everything at maturity.
    Bullet,
}

#[derive(Debug, Args)]
pub struct ScheduleArgs {
    /// Repayment method.
    #[arg(long)]
    pub method: Method,
    /// Principal in CNY, at most two decimal places (e.g. 100000.00).
    #[arg(long)]
    pub principal: String,
    /// Annual interest rate as a fraction, at most six decimal places (e.g. 0.12 for 12 %).
    #[arg(long)]
    pub rate: String,
    /// Number of periods (months).
    #[arg(long)]
    pub periods: u32,
}

#[derive(Debug, Subcommand)]
pub enum ContractCommand {
    /// Verify an exported contract offline, given only the genesis file: every seal, in the
    /// order of DESIGN §7, and the chain timestamps' commit certificates.
    Verify {
        /// The exported contract (JSON, as `loanctl contract export` writes it).
        file: PathBuf,
        /// The chain's genesis file.
        #[arg(long)]
        genesis: PathBuf,
    },
}
