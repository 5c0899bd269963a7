//! `loanchain-node`: wires config, logging and the runtime together (DESIGN §2: nothing else).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgGroup, Parser, ValueEnum};
use loanchain_api::NodeRole;
use loanchain_node::runtime;
use tracing_subscriber::EnvFilter;

/// A loanchain validator or regulator observer.
#[derive(Parser, Debug)]
#[command(name = "loanchain-node", version, about)]
#[command(group(ArgGroup::new("role").required(true).args(["validator", "observer"])))]
struct Args {
    /// The node's config.json (written by `loanchain-genesis devnet`).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Run as a validator: votes with the consensus key of the config.
    #[arg(long)]
    validator: bool,
    /// Run as a read-only observer: follows and verifies the chain, serves the API and dashboard.
    #[arg(long)]
    observer: bool,
    /// Log format on stderr. The level comes from RUST_LOG (default `info`).
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match args.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    let role = if args.observer { NodeRole::Observer } else { NodeRole::Validator };
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(args.config, role)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: PathBuf, role: NodeRole) -> anyhow::Result<()> {
    let mut node = runtime::start(&config, role).await?;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        result = &mut node.chain => {
            return match result {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(e.context("the chain task stopped")),
                Err(e) => Err(anyhow::anyhow!("the chain task panicked: {e}")),
            };
        }
        _ = tokio::signal::ctrl_c() => tracing::info!("interrupted; stopping"),
        _ = term.recv() => tracing::info!("terminated; stopping"),
    }
    node.stop().await;
    Ok(())
}
