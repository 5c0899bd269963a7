//! The command line, declared with clap. The arguments of the commands that talk to a node live
//! beside their code in `cmd/` and `load/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::cmd::account::{DepositArgs, RegisterArgs};
use crate::cmd::chain::{SupervisionCommand, TxCommand};
use crate::cmd::claims::ClaimsCommand;
use crate::cmd::loan::LoanCommand;
use crate::cmd::portfolio::PortfolioArgs;

/// Where `--node` points when neither the flag nor `LOANCTL_NODE` is set.
pub const DEFAULT_NODE: &str = "http://127.0.0.1:26601";

const AFTER_HELP: &str = "\
Node: --node URL, else the environment variable LOANCTL_NODE, else http://127.0.0.1:26601.

Exit codes:
  0  success
  1  runtime or network error, or the transaction's receipt failed (or it was not final in time)
  2  usage error (bad or missing arguments)
  3  a verification found a problem (contract verify: a seal fails)
  4  the node rejected the request (HTTP 4xx: bad signature, replayed nonce, unknown loan...)";

/// loanctl: investors, borrowers, institutions and regulators on loanchain.
#[derive(Debug, Parser)]
#[command(name = "loanctl", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    /// Print JSON instead of human tables (every command).
    #[arg(long, global = true)]
    pub json: bool,
    /// The node's HTTP API [default: $LOANCTL_NODE or http://127.0.0.1:26601].
    #[arg(long, global = true, value_name = "URL")]
    pub node: Option<String>,
    /// Signing commands: print the transaction hash once the node accepted it, without waiting
    /// for finality.
    #[arg(long, global = true)]
    pub no_wait: bool,
    /// Seconds to wait for an HTTP answer and for finality.
    #[arg(long, global = true, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// Signing commands: the account key file that signs the transaction.
    #[arg(long, global = true, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Signing commands: blocks ahead the transaction stays valid (at most the genesis
    /// max_tx_lifetime).
    #[arg(long, global = true, value_name = "BLOCKS", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    pub valid_for: u64,
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The node URL: the flag, else `LOANCTL_NODE`, else [`DEFAULT_NODE`].
    pub fn node_url(&self) -> String {
        self.node
            .clone()
            .or_else(|| std::env::var("LOANCTL_NODE").ok().filter(|s| !s.is_empty()))
            .unwrap_or_else(|| DEFAULT_NODE.to_string())
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Account keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Preview a repayment schedule exactly as the chain fixes it (offline).
    Schedule(ScheduleArgs),
    /// Exported contracts: export from a node, verify offline.
    #[command(subcommand)]
    Contract(ContractCommand),
    /// The node's status: chain, height, peers, mempool.
    Status,
    /// Institution: register an investor or borrower it identified (实名认证).
    Register(RegisterArgs),
    /// Custodian bank: credit money received for an account (资金存管).
    Deposit(DepositArgs),
    /// Custodian bank: debit money paid out to an account's bank account.
    Withdraw(DepositArgs),
    /// Show an account: role, balance, frozen.
    Account {
        /// The account id (64 hex digits); default: the account of --key.
        account: Option<String>,
    },
    /// Loans: list, show, create (list a new loan), fund, repay, prepay, buyback, cancel.
    #[command(subcommand)]
    Loan(LoanCommand),
    /// Claims (债权): list, transfer.
    #[command(subcommand)]
    Claims(ClaimsCommand),
    /// An investor's claims, money received and expected future repayments.
    Portfolio(PortfolioArgs),
    /// Regulator: the chain-wide summary and alerts.
    #[command(subcommand)]
    Supervision(SupervisionCommand),
    /// Transactions: status and receipt.
    #[command(subcommand)]
    Tx(TxCommand),
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
    /// Export a loan's contract from the node: its document, every seal with its chain
    /// timestamp, and the revocations of their certificates.
    Export {
        /// The loan id.
        loan: String,
        /// Where to write the JSON (refuses to overwrite).
        #[arg(long)]
        out: PathBuf,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("loanctl").chain(args.iter().copied()))
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_go_anywhere_and_the_node_has_a_default() {
        let cli = parse(&["loan", "list", "--json", "--node", "http://n:1", "--timeout", "5"]).unwrap();
        assert!(cli.json);
        assert_eq!(cli.node_url(), "http://n:1");
        assert_eq!(cli.timeout, 5);
        let cli = parse(&["status"]).unwrap();
        assert_eq!(cli.valid_for, 100);
        assert!(!cli.no_wait);
    }

    #[test]
    fn bad_arguments_are_usage_errors() {
        for args in [
            &["loan", "fund", "L1"][..],
            &["loan", "list", "--status", "sleeping"],
            &["register", "--role", "investor", "--name", "A", "--id-number", "1"],
            &["register", "--role", "regulator", "--name", "A", "--id-number", "1", "--public-key", "00"],
            &["register", "--role", "investor", "--name", "A", "--id-number", "1", "--public-key", "00", "--account-key", "f"],
            &["deposit", "--account", "x"],
            &["claims", "transfer", "L#1", "--to", "x", "--price", "1"],
            &["load", "--devnet", "d", "--accounts", "10", "--mode", "open", "--duration", "5"],
            &["load", "--devnet", "d", "--accounts", "10", "--mode", "closed", "--duration", "5"],
            &["load", "--devnet", "d", "--accounts", "10", "--mode", "sideways", "--rate", "5"],
            &["status", "--timeout", "0"],
            &["tx"],
        ] {
            let err = parse(args).expect_err(&format!("{args:?} parses"));
            assert_eq!(err.exit_code(), 2, "{args:?}: {err}");
        }
    }
}
