//! Read-only chain commands: `status`, `tx status`, `supervision summary|alerts`, `contract export`.

use std::path::Path;

use anyhow::{Context, Result};
use clap::Subcommand;
use loanchain_contracts::export::ExportedContract;
use loanchain_contracts::{Hash, ReceiptStatus};

use super::{Ctx, fmt_time};
use crate::output::table;

fn parse_hash(s: &str) -> Result<Hash, String> {
    s.parse().map_err(|_| format!("{s:?} is not a transaction hash of 64 hex digits"))
}

#[derive(Debug, Subcommand)]
pub enum TxCommand {
    /// Where a transaction is (pending, committed, unknown) and its receipt.
    Status {
        /// The transaction hash.
        #[arg(value_parser = parse_hash)]
        hash: Hash,
    },
}

#[derive(Debug, Subcommand)]
pub enum SupervisionCommand {
    /// Loans by status, outstanding and overdue principal, overdue rate, risk-pool coverage.
    Summary,
    /// Loans overdue and loans the risk pool could not fully cover.
    Alerts,
}

pub async fn status(ctx: &Ctx) -> Result<u8> {
    let s = ctx.node.status().await?;
    if ctx.json {
        ctx.print_json(&s)?;
        return Ok(0);
    }
    println!("node        {} ({:?}) at {}", s.name, s.role, ctx.node.base());
    println!("chain       {}  genesis {}", s.chain_id, s.genesis_hash);
    println!("height      {}  round {}  block time {} UTC", s.height, s.round, fmt_time(s.block_time_ms));
    if let Some(h) = s.block_hash {
        println!("block       {h}");
    }
    println!("app hash    {}", s.app_hash);
    println!("peers       {}  mempool {}  behind {}", s.peers, s.mempool_size, s.behind);
    Ok(0)
}

pub async fn tx(ctx: &Ctx, cmd: TxCommand) -> Result<u8> {
    let TxCommand::Status { hash } = cmd;
    let s = ctx.node.tx_status(&hash).await?;
    if ctx.json {
        ctx.print_json(&s)?;
    } else {
        println!("tx          {}", s.tx_hash);
        println!("state       {:?}", s.state);
        if let (Some(h), Some(i)) = (s.height, s.index) {
            println!("block       height {h}, index {i}{}", s.block_time_ms.map(|t| format!(", {} UTC", fmt_time(t))).unwrap_or_default());
        }
        if let Some(r) = &s.receipt {
            println!("kind        {}  signer {}", r.kind, r.signer);
            match &r.status {
                ReceiptStatus::Success => println!("receipt     success"),
                ReceiptStatus::Failed { code, message } => println!("receipt     FAILED {code}: {message}"),
            }
        }
    }
    Ok(match s.receipt.map(|r| r.status) {
        Some(ReceiptStatus::Failed { .. }) => 1,
        _ => 0,
    })
}

pub async fn supervision(ctx: &Ctx, cmd: SupervisionCommand) -> Result<u8> {
    match cmd {
        SupervisionCommand::Summary => {
            let s = ctx.node.supervision_summary().await?;
            let pool = ctx.node.risk_pool().await.ok();
            if ctx.json {
                let mut v = serde_json::to_value(&s)?;
                if let (Some(o), Some(p)) = (v.as_object_mut(), pool) {
                    o.insert("risk_pool_enabled".into(), p.enabled.into());
                }
                ctx.print_json(&v)?;
                return Ok(0);
            }
            let by_status: Vec<String> = s.loans_by_status.iter().map(|(k, v)| format!("{k} {v}")).collect();
            println!("loans               {}", if by_status.is_empty() { "none".into() } else { by_status.join(", ") });
            println!("outstanding         {}", s.outstanding_principal);
            println!("overdue             {} (principal {}), rate {}", s.overdue_amount, s.overdue_principal, s.overdue_rate);
            let coverage = s.risk_pool_coverage.map(|c| c.to_string()).unwrap_or_else(|| "n/a (nothing overdue)".into());
            let enabled = pool.map(|p| if p.enabled { "" } else { " (disabled)" }).unwrap_or_default();
            println!("risk pool           {}{enabled}, coverage {coverage}", s.risk_pool_balance);
            println!("escrow              {}", s.escrow);
            println!("custody total       {}", s.custody_total);
            println!("large transactions  {}", s.large_transactions);
            let rows: Vec<Vec<String>> = s
                .by_institution
                .iter()
                .map(|(id, b)| {
                    vec![
                        id.short(),
                        b.loans.to_string(),
                        b.outstanding_principal.to_string(),
                        b.overdue_amount.to_string(),
                        b.overdue_loans.to_string(),
                    ]
                })
                .collect();
            if !rows.is_empty() {
                println!();
                table(&["institution", "loans", "outstanding", "overdue", "overdue loans"], &rows, &[1, 2, 3, 4]);
            }
            Ok(0)
        }
        SupervisionCommand::Alerts => {
            let alerts = ctx.node.supervision_alerts().await?;
            if ctx.json {
                ctx.print_json(&alerts)?;
            } else if alerts.is_empty() {
                println!("no alerts");
            } else {
                let rows: Vec<Vec<String>> =
                    alerts.iter().map(|a| vec![a.loan.to_string(), a.kind.clone(), a.amount.to_string()]).collect();
                table(&["loan", "alert", "amount"], &rows, &[2]);
            }
            Ok(0)
        }
    }
}

/// `contract export`: fetches the contract, checks it reads as an export, writes it.
pub async fn export(ctx: &Ctx, loan: &str, out: &Path) -> Result<u8> {
    anyhow::ensure!(!out.exists(), "{} exists; refusing to overwrite it", out.display());
    let value = ctx.node.loan_contract(loan).await?;
    let export = ExportedContract::from_json(&value.to_string()).context("the node's contract is not an export this tool reads")?;
    std::fs::write(out, export.to_json_pretty() + "\n").with_context(|| format!("cannot write {}", out.display()))?;
    if ctx.json {
        ctx.print_json(
            &serde_json::json!({ "loan": loan, "out": out, "seals": export.seals.len(), "document_digest": export.document.digest() }),
        )?;
    } else {
        println!(
            "wrote {} ({} seals); check it offline with `loanctl contract verify {} --genesis GENESIS`",
            out.display(),
            export.seals.len(),
            out.display()
        );
    }
    Ok(0)
}
