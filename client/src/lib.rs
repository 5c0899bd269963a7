//! loanchain-client: `loanctl`, the command line of loanchain for investors, borrowers,
//! institutions and regulators, and the library parts other tools reuse: the typed client of the
//! node's API ([`node`]), the transaction builder ([`tx_builder`]) and key files.
//!
//! Offline commands (keys, the schedule preview, `contract verify`) need no node. The others speak
//! the node's HTTP API (`loanchain_api`): read commands print tables or `--json`; signing
//! commands build the transaction locally (`tx_builder`), sign it with `--key`, submit it, and wait for
//! finality unless `--no-wait`. The load generator is its own binary, `loanchain-load`
//! (`client/load`).
//!
//! Exit codes: 0 success; 1 the command failed (unreadable file, network error, failed receipt);
//! 2 usage error (from clap); 3 a verification found a problem (`contract verify`: a seal fails);
//! 4 the node rejected the request (HTTP 4xx).

pub mod cli;
pub mod cmd;
mod contract;
mod keys;
pub mod node;
pub mod output;
mod schedule;
pub mod tx_builder;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use clap::Parser;
use cli::{Command, ContractCommand};

/// Exit code of a verification that found a problem.
pub const EXIT_VERIFY_FAILED: u8 = 3;
/// Exit code of a request the node rejected (HTTP 4xx).
pub const EXIT_REJECTED: u8 = 4;

/// `loanctl … | head` closes the pipe early: stop quietly with the shell's SIGPIPE status (141)
/// rather than a panic and a backtrace (Rust ignores SIGPIPE, so `println!` panics instead).
fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}

/// Runs `loanctl` with the process's arguments.
pub fn main() -> ExitCode {
    quiet_on_broken_pipe();
    let cli = cli::Cli::parse();
    let json = cli.json;
    let result = run(cli);
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let rejected = e.downcast_ref::<node::Rejected>();
            if json {
                let code = rejected.map(|r| r.code.clone());
                println!("{}", serde_json::json!({ "error": { "code": code, "message": format!("{e:#}") } }));
            } else {
                eprintln!("error: {e:#}");
            }
            ExitCode::from(if rejected.is_some() { EXIT_REJECTED } else { 1 })
        }
    }
}

fn run(cli: cli::Cli) -> Result<u8> {
    let json = cli.json;
    let node_url = cli.node_url();
    let cli::Cli { no_wait, timeout, key, valid_for, command, .. } = cli;
    let command = match command {
        Command::Keys(cmd) => return keys::run(cmd, json),
        Command::Schedule(args) => return schedule::run(&args, json),
        Command::Contract(ContractCommand::Verify { file, genesis }) => return contract::verify(&file, &genesis, json),
        other => other,
    };
    let timeout = Duration::from_secs(timeout);
    let ctx = cmd::Ctx { node: node::NodeClient::new(&node_url, timeout)?, json, no_wait, timeout, key, valid_for };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        match command {
            Command::Status => cmd::chain::status(&ctx).await,
            Command::Register(args) => cmd::account::register(&ctx, args).await,
            Command::Deposit(args) => cmd::account::custody(&ctx, args, false).await,
            Command::Withdraw(args) => cmd::account::custody(&ctx, args, true).await,
            Command::Account { account } => cmd::account::show(&ctx, account).await,
            Command::Loan(cmd) => cmd::loan::run(&ctx, cmd).await,
            Command::Claims(cmd) => cmd::claims::run(&ctx, cmd).await,
            Command::Portfolio(args) => cmd::portfolio::run(&ctx, args).await,
            Command::Supervision(cmd) => cmd::chain::supervision(&ctx, cmd).await,
            Command::Tx(cmd) => cmd::chain::tx(&ctx, cmd).await,
            Command::Contract(ContractCommand::Export { loan, out }) => cmd::chain::export(&ctx, &loan, &out).await,
            Command::Keys(_) | Command::Schedule(_) | Command::Contract(ContractCommand::Verify { .. }) => unreachable!("handled above"),
        }
    })
}
