//! loanctl: the command line of loanchain for investors, borrowers, institutions and regulators.
//!
//! Today it holds the commands that need no node (DESIGN §11, issue 5's offline parts): account
//! keys, the repayment-schedule preview, and offline verification of an exported contract against
//! a genesis file. The commands that talk to a node arrive with the node's HTTP API.
//!
//! Exit codes: 0 success; 1 the command failed (unreadable file, bad input); 2 usage error (from
//! clap); 3 a verification found a problem (`contract verify`: a seal fails).

mod cli;
mod contract;
mod keys;
mod output;
mod schedule;

use std::process::ExitCode;

use clap::Parser;

/// Exit code of a verification that found a problem.
pub const EXIT_VERIFY_FAILED: u8 = 3;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let json = cli.json;
    let result = match cli.command {
        cli::Command::Keys(cmd) => keys::run(cmd, json),
        cli::Command::Schedule(args) => schedule::run(&args, json),
        cli::Command::Contract(cmd) => contract::run(cmd, json),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if json {
                println!("{}", serde_json::json!({ "error": { "message": format!("{e:#}") } }));
            } else {
                eprintln!("error: {e:#}");
            }
            ExitCode::from(1)
        }
    }
}
