//! loanchain-load: the load generator of a loanchain devnet, for operators and benchmarks
//! (docs/DESIGN.md §11, §12; `scripts/bench.sh` drives it).
//!
//! Setup (not measured): N investors and some borrowers registered by the devnet's institutions,
//! the investors funded by the custodian bank, and enough loans listed for the expected load, all
//! by batch submission. Load: signed `FundLoan` and `Repay` transactions in the `--mix` ratio,
//! open loop at `--rate` tx/s or closed loop with `--concurrency` workers, each batch of at most
//! `--batch` sent with `POST /v1/transactions/batch`. Each transaction is followed from just before
//! its submission to the block that commits it (the generator follows `GET /v1/blocks/{h}` and
//! matches hashes). After the run, receipts are read to count failures.

mod engine;
mod setup;
mod stats;
mod track;

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use futures::{StreamExt, stream};
use loanchain_contracts::{Amount, Money, ReceiptStatus};
use serde::Serialize;

use clap::Parser;
use engine::{Generator, LoadShape};
use loanchain_client::node::NodeClient;
use setup::{Devnet, Plan};
use stats::Latency;
use track::Tracker;

/// loanchain-load: sets up accounts and loans on a devnet, then measures committed tx/s and
/// finality latency.
#[derive(Debug, Parser)]
#[command(name = "loanchain-load", version, about)]
struct Cli {
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// The node's HTTP API that the setup and the following of blocks use (and the load, unless
    /// --spread) [default: $LOANCTL_NODE or http://127.0.0.1:26601].
    #[arg(long, value_name = "URL")]
    node: Option<String>,
    /// Seconds to wait for an HTTP answer.
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    timeout: u64,
    #[command(flatten)]
    load: LoadArgs,
}

/// What a run needs besides its arguments.
struct Ctx {
    node: NodeClient,
    json: bool,
    timeout: Duration,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    let result = (|| -> Result<u8> {
        let node_url = cli
            .node
            .clone()
            .or_else(|| std::env::var("LOANCTL_NODE").ok().filter(|s| !s.is_empty()))
            .unwrap_or_else(|| loanchain_client::cli::DEFAULT_NODE.to_string());
        let timeout = Duration::from_secs(cli.timeout);
        let ctx = Ctx { node: NodeClient::new(&node_url, timeout)?, json, timeout };
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        runtime.block_on(run(&ctx, cli.load))
    })();
    match result {
        Ok(code) => std::process::ExitCode::from(code),
        Err(e) => {
            if json {
                println!("{}", serde_json::json!({ "error": { "message": format!("{e:#}") } }));
            } else {
                eprintln!("error: {e:#}");
            }
            std::process::ExitCode::from(1)
        }
    }
}

/// Fundings per listed loan.
pub const SLOTS_PER_LOAN: u32 = 200;
/// Amount of one funding, yuan (also the loans' minimum investment).
pub const SLOT_YUAN: u64 = 100;
/// Longest the run waits, after the load, for submitted transactions to be committed.
const DRAIN: Duration = Duration::from_secs(20);

/// Open or closed loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// A fixed rate, whatever the node does (--rate).
    Open,
    /// C workers, each waiting for its batch to be final (--concurrency).
    Closed,
}

/// The fund:repay ratio.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mix {
    /// Fundings per round.
    pub fund: u32,
    /// Repays per round.
    pub repay: u32,
}

impl FromStr for Mix {
    type Err = String;
    fn from_str(s: &str) -> Result<Mix, String> {
        let bad = || format!("{s:?} is not FUND:REPAY, for example 4:1 or 1:0");
        let (f, r) = s.split_once(':').ok_or_else(bad)?;
        let mix = Mix { fund: f.trim().parse().map_err(|_| bad())?, repay: r.trim().parse().map_err(|_| bad())? };
        if mix.fund == 0 || mix.fund > 1000 || mix.repay > 1000 {
            return Err(format!("{s:?}: fund must be 1 to 1000 and repay 0 to 1000 (repays need funded loans)"));
        }
        Ok(mix)
    }
}

#[derive(Debug, Args)]
pub struct LoadArgs {
    /// The devnet directory (`loanchain-genesis devnet --out DIR`): its keys sign the setup.
    #[arg(long, value_name = "DIR")]
    pub devnet: PathBuf,
    /// Investor accounts to create.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub accounts: u32,
    /// Open loop (--rate) or closed loop (--concurrency).
    #[arg(long, value_enum)]
    pub mode: Mode,
    /// Open loop: transactions per second.
    #[arg(long, required_if_eq("mode", "open"), value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub rate: Option<u64>,
    /// Closed loop: concurrent workers.
    #[arg(long, required_if_eq("mode", "closed"), value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub concurrency: Option<u64>,
    /// Seconds of load.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub duration: u64,
    /// FUND:REPAY ratio of the load.
    #[arg(long, default_value = "4:1")]
    pub mix: Mix,
    /// Most transactions per batch submission.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=5000))]
    pub batch: u64,
    /// Loans to list (default: enough fundings for the expected load).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub loans: Option<u64>,
    /// Closed loop: the throughput to plan loans for, tx/s.
    #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u64).range(1..))]
    pub expected_tps: u64,
    /// Read at most this many receipts after the run to count failures (default: all).
    #[arg(long)]
    pub receipts: Option<usize>,
    /// Send the load's batches to every validator of the devnet in turn (their API addresses
    /// from DIR/<validator>/config.json), as each institution's clients would use its own node;
    /// setup and the following of blocks still use --node.
    #[arg(long)]
    pub spread: bool,
}

/// How big the setup is for these arguments.
pub fn plan(args: &LoadArgs, max_loans: u64) -> Result<Plan> {
    let tps = match args.mode {
        Mode::Open => args.rate.unwrap_or(1),
        Mode::Closed => args.expected_tps,
    };
    let expected = tps.saturating_mul(args.duration);
    let fund_share = f64::from(args.mix.fund) / f64::from(args.mix.fund + args.mix.repay);
    let slots = (expected as f64 * fund_share * 1.1).ceil() as u64 + u64::from(SLOTS_PER_LOAN);
    let loans = args.loans.unwrap_or(slots.div_ceil(u64::from(SLOTS_PER_LOAN))).clamp(1, max_loans);
    let investors = u64::from(args.accounts);
    let per_investor = (loans * u64::from(SLOTS_PER_LOAN)).div_ceil(investors);
    let deposit_fen = (per_investor * SLOT_YUAN + 1_000).saturating_mul(100);
    Ok(Plan {
        investors: investors as usize,
        borrowers: loans.min(100) as usize,
        loans: loans as usize,
        slots_per_loan: SLOTS_PER_LOAN,
        slot: Money::yuan(SLOT_YUAN),
        deposit: Amount::new(Money::from_fen(deposit_fen)?)?,
    })
}

/// What `load` prints.
#[derive(Debug, Serialize)]
pub struct Report {
    mode: Mode,
    #[serde(skip_serializing_if = "Option::is_none")]
    rate: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    concurrency: Option<u64>,
    batch: u64,
    accounts: u32,
    loans: usize,
    submitted: u64,
    committed: u64,
    failed: u64,
    rejected: u64,
    not_final: u64,
    duration_s: f64,
    committed_tps: f64,
    latency_ms: Latency,
    fund_txs: u64,
    repay_txs: u64,
    receipts_checked: usize,
    failure_codes: BTreeMap<String, u64>,
    rejection_codes: BTreeMap<String, u64>,
    funding_slots_exhausted: bool,
    generator_lagged: bool,
    follower_errors: usize,
}

async fn run(ctx: &Ctx, args: LoadArgs) -> Result<u8> {
    let devnet = Devnet::read(&args.devnet)?;
    let status = ctx.node.status().await?;
    anyhow::ensure!(
        status.chain_id == devnet.genesis.chain_id,
        "the node runs chain {:?}, the devnet directory is for {:?}",
        status.chain_id,
        devnet.genesis.chain_id
    );
    let valid_for = devnet.genesis.params.max_tx_lifetime.saturating_sub(2).max(1);
    // Grade A margin is 2 %: each loan ties up 2 % of its principal from its institution's balance.
    let plan = plan(&args, 100_000)?;
    eprintln!(
        "setup: {} investors, {} borrowers, {} loans of {} x {}.00 on {} institution(s) at {}",
        plan.investors,
        plan.borrowers,
        plan.loans,
        SLOTS_PER_LOAN,
        SLOT_YUAN,
        devnet.institutions.len(),
        ctx.node.base()
    );
    let tracker = Tracker::new(status.height, plan.loans, SLOTS_PER_LOAN);
    let follower = tokio::spawn(tracker.clone().follow(ctx.node.clone()));
    let target = loanchain_client::tx_builder::Target { chain_id: status.chain_id.clone(), height: status.height, valid_for };
    let setup_timeout = ctx.timeout.max(Duration::from_secs(120));
    let world = match setup::setup(&ctx.node, &tracker, &devnet, &target, &plan, setup_timeout).await {
        Ok(w) => w,
        Err(e) => {
            tracker.finish();
            let _ = follower.await;
            return Err(e);
        }
    };
    let targets = if args.spread { validator_clients(&args.devnet, &devnet, ctx.timeout)? } else { vec![ctx.node.clone()] };
    // Setup transactions were not measured; start the figures from here.
    let g = Arc::new(Generator::new(
        world,
        tracker.clone(),
        targets.clone(),
        LoadShape {
            chain_id: status.chain_id.clone(),
            valid_for,
            mix: args.mix,
            slots_per_loan: SLOTS_PER_LOAN,
            slot: Amount::yuan(SLOT_YUAN),
        },
    ));
    let duration = Duration::from_secs(args.duration);
    let progress = (!ctx.json && std::io::stderr().is_terminal()).then(|| {
        let pb = indicatif::ProgressBar::new_spinner();
        pb.enable_steady_tick(Duration::from_millis(200));
        let (g, t) = (g.clone(), tracker.clone());
        tokio::spawn(async move {
            loop {
                pb.set_message(format!(
                    "load: submitted {} committed {} rejected {} height {}",
                    g.submitted.load(Ordering::Relaxed),
                    t.committed(),
                    g.rejected.load(Ordering::Relaxed),
                    t.height()
                ));
                if pb.is_finished() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        })
    });
    eprintln!(
        "load: {:?} loop for {} s, batches of at most {}, mix {}:{}, sent to {}",
        args.mode,
        args.duration,
        args.batch,
        args.mix.fund,
        args.mix.repay,
        targets.iter().map(|n| n.base().to_string()).collect::<Vec<_>>().join(", ")
    );
    let start = Instant::now();
    match args.mode {
        Mode::Open => engine::open_loop(g.clone(), args.rate.unwrap_or(1), args.batch as usize, duration).await,
        Mode::Closed => engine::closed_loop(g.clone(), args.concurrency.unwrap_or(1) as usize, args.batch as usize, duration).await,
    }
    let sent_until = Instant::now();
    while tracker.pending() > 0 && sent_until.elapsed() < DRAIN {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (latencies, committed, last_commit) = tracker.finish();
    let _ = follower.await;
    if let Some(p) = progress {
        p.abort();
    }
    let end = last_commit.unwrap_or(sent_until).max(start + Duration::from_millis(1));
    let duration_s = end.duration_since(start).as_secs_f64();

    let check: Vec<_> = match args.receipts {
        Some(n) if n < committed.len() => committed.iter().step_by(committed.len().div_ceil(n.max(1))).copied().collect(),
        _ => committed.clone(),
    };
    let mut failure_codes = BTreeMap::new();
    let mut failed = 0;
    let node = &ctx.node;
    let results: Vec<_> =
        stream::iter(check.iter().copied()).map(|h| async move { node.tx_status(&h).await }).buffer_unordered(32).collect().await;
    for r in results {
        let s = r.context("reading receipts after the run")?;
        if let Some(ReceiptStatus::Failed { code, .. }) = s.receipt.map(|r| r.status) {
            failed += 1;
            *failure_codes.entry(code).or_insert(0u64) += 1;
        }
    }
    let submitted = g.submitted.load(Ordering::Relaxed);
    let rejected = g.rejected.load(Ordering::Relaxed);
    let report = Report {
        mode: args.mode,
        rate: args.rate.filter(|_| args.mode == Mode::Open),
        concurrency: args.concurrency.filter(|_| args.mode == Mode::Closed),
        batch: args.batch,
        accounts: args.accounts,
        loans: plan.loans,
        submitted,
        committed: committed.len() as u64,
        failed,
        rejected,
        not_final: submitted.saturating_sub(rejected).saturating_sub(committed.len() as u64),
        duration_s: (duration_s * 1000.0).round() / 1000.0,
        committed_tps: ((committed.len() as f64 / duration_s) * 10.0).round() / 10.0,
        latency_ms: Latency::from_micros(latencies),
        fund_txs: g.funds.load(Ordering::Relaxed),
        repay_txs: g.repays.load(Ordering::Relaxed),
        receipts_checked: check.len(),
        failure_codes,
        rejection_codes: g.reject_codes.lock().map(|c| c.clone()).unwrap_or_default(),
        funding_slots_exhausted: g.exhausted.load(Ordering::Relaxed),
        generator_lagged: g.lagged.load(Ordering::Relaxed),
        follower_errors: tracker.errors(),
    };
    print_report(ctx, &report)?;
    Ok(0)
}

/// A client of each validator's API, from the devnet directory's node configs.
fn validator_clients(dir: &std::path::Path, devnet: &Devnet, timeout: Duration) -> Result<Vec<loanchain_client::node::NodeClient>> {
    devnet
        .genesis
        .validators
        .iter()
        .map(|v| {
            let path = dir.join(&v.name).join("config.json");
            let config = loanchain_genesis::NodeConfig::load(&path).with_context(|| format!("--spread reads {}", path.display()))?;
            loanchain_client::node::NodeClient::new(&format!("http://{}", config.api_listen), timeout)
        })
        .collect()
}

fn print_report(ctx: &Ctx, r: &Report) -> Result<()> {
    if ctx.json {
        println!("{}", serde_json::to_string_pretty(r)?);
        return Ok(());
    }
    let knob = match r.mode {
        Mode::Open => format!("rate {} tx/s", r.rate.unwrap_or(0)),
        Mode::Closed => format!("concurrency {}", r.concurrency.unwrap_or(0)),
    };
    println!("mode           {:?}, {knob}, batch {}", r.mode, r.batch);
    println!("submitted      {} ({} fund, {} repay)", r.submitted, r.fund_txs, r.repay_txs);
    println!("committed      {}", r.committed);
    println!("failed         {} of {} receipts read {:?}", r.failed, r.receipts_checked, r.failure_codes);
    println!("rejected       {} at submission {:?}", r.rejected, r.rejection_codes);
    println!("not final      {}", r.not_final);
    println!("duration       {:.3} s", r.duration_s);
    println!("committed tps  {:.1}", r.committed_tps);
    let l = &r.latency_ms;
    println!("latency ms     p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1}", l.p50, l.p90, l.p99, l.max);
    if r.funding_slots_exhausted {
        println!("note: every funding slot was used; pass --loans or --expected-tps to list more loans");
    }
    if r.generator_lagged {
        println!("note: the open loop had 512 batches in flight and waited: the node was slower than the rate");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> LoadArgs {
        Cli::try_parse_from(["loanchain-load", "--devnet", "d"].iter().chain(extra)).unwrap().load
    }

    #[test]
    fn modes_take_their_own_knob() {
        assert_eq!(args(&["--accounts", "10", "--mode", "open", "--rate", "500", "--duration", "5"]).rate, Some(500));
        let closed = args(&["--accounts", "10", "--mode", "closed", "--concurrency", "8", "--mix", "3:1"]);
        assert_eq!((closed.concurrency, closed.mix), (Some(8), Mix { fund: 3, repay: 1 }));
        for bad in [&["--mode", "open"][..], &["--mode", "closed"], &["--mode", "open", "--rate", "0"]] {
            assert!(Cli::try_parse_from(["loanchain-load", "--devnet", "d"].iter().chain(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn mixes_parse_or_say_why_not() {
        assert_eq!("4:1".parse::<Mix>(), Ok(Mix { fund: 4, repay: 1 }));
        assert_eq!("1:0".parse::<Mix>(), Ok(Mix { fund: 1, repay: 0 }));
        for bad in ["4", "0:1", "a:b", "4:1:1", ""] {
            assert!(bad.parse::<Mix>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_plan_lists_enough_loans_and_funds_every_investor_for_its_slots() {
        let p =
            plan(&args(&["--accounts", "10", "--mode", "open", "--rate", "1000", "--duration", "10", "--mix", "1:0"]), 100_000).unwrap();
        // 10,000 fundings, 10 % spare, one loan more: 11,200 slots = 56 loans.
        assert_eq!(p.loans, 56);
        assert_eq!(p.investors, 10);
        assert_eq!(p.borrowers, 56);
        let per_investor = (p.loans as u64 * 200).div_ceil(10);
        assert!(p.deposit.money() >= Money::yuan(per_investor * SLOT_YUAN));
        let p = plan(&args(&["--mode", "closed", "--concurrency", "4", "--loans", "3"]), 100_000).unwrap();
        assert_eq!((p.loans, p.borrowers), (3, 3));
        let p = plan(&args(&["--mode", "open", "--rate", "1000000", "--duration", "3600"]), 500).unwrap();
        assert_eq!(p.loans, 500);
    }
}
