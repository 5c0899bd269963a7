//! Submitting one signed transaction and waiting for its finality (DESIGN §8: a committed block
//! is final), with a spinner on stderr while it waits.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use loanchain_api::{TxState, TxStatus};
use loanchain_contracts::{ReceiptStatus, SignedTransaction};
use serde_json::{Value, json};

use super::Ctx;

/// How often the transaction's status is polled.
const POLL: Duration = Duration::from_millis(200);

/// Submits `tx`; unless `--no-wait`, waits until it is committed and checks its receipt.
/// `extra` is merged into the JSON output (for example the salt of a registration) and printed
/// as `key value` lines for a person. Returns the exit code: 0, or 1 for a failed receipt.
pub async fn submit_and_wait(ctx: &Ctx, tx: SignedTransaction, extra: Value) -> Result<u8> {
    let kind = tx.body.payload.kind();
    let valid_until = tx.body.valid_until_height;
    let hash = ctx.node.submit(&tx).await?.tx_hash;
    if ctx.no_wait {
        let mut out = json!({ "tx_hash": hash, "kind": kind, "state": "submitted" });
        merge(&mut out, extra);
        print(ctx, &out)?;
        return Ok(0);
    }
    let spinner = ctx.spinner_allowed().then(|| {
        let pb = ProgressBar::new_spinner();
        pb.set_style(ProgressStyle::with_template("{spinner} {msg} {elapsed}").unwrap_or_else(|_| ProgressStyle::default_spinner()));
        pb.set_message(format!("{kind} {} waiting for finality", hash.short()));
        pb.enable_steady_tick(Duration::from_millis(100));
        pb
    });
    let result = wait_final(ctx, &hash, valid_until).await;
    if let Some(pb) = spinner {
        pb.finish_and_clear();
    }
    let status = result?;
    let mut out = serde_json::to_value(&status)?;
    merge(&mut out, extra);
    print(ctx, &out)?;
    match status.receipt.map(|r| r.status) {
        Some(ReceiptStatus::Failed { code, message }) => {
            eprintln!("error: {kind} failed: {code}: {message}");
            Ok(1)
        }
        _ => Ok(0),
    }
}

/// Polls `GET /v1/transactions/{hash}` until it is committed; fails on timeout, or once the
/// chain is past `valid_until` and the transaction is unknown (it expired).
pub async fn wait_final(ctx: &Ctx, hash: &loanchain_contracts::Hash, valid_until: u64) -> Result<TxStatus> {
    let start = Instant::now();
    loop {
        let status = ctx.node.tx_status(hash).await?;
        if status.state == TxState::Committed {
            return Ok(status);
        }
        if status.state == TxState::Unknown && ctx.node.status().await?.height > valid_until {
            bail!("transaction {hash} expired: the chain passed height {valid_until} without including it");
        }
        if start.elapsed() >= ctx.timeout {
            bail!(
                "transaction {hash} is not final after {} s (state {:?}); check later with `loanctl tx status {hash}`",
                ctx.timeout.as_secs(),
                status.state
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

fn merge(out: &mut Value, extra: Value) {
    if let (Some(o), Value::Object(e)) = (out.as_object_mut(), extra) {
        o.extend(e);
    }
}

/// Prints a transaction's outcome: its JSON, or lines for a person.
fn print(ctx: &Ctx, out: &Value) -> Result<()> {
    if ctx.json {
        return ctx.print_json(out);
    }
    let s = |k: &str| out.get(k).map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())).unwrap_or_default();
    match out.get("receipt").filter(|r| !r.is_null()) {
        None => println!("tx {} ({}) {}", s("tx_hash"), s("kind"), s("state")),
        Some(r) => {
            let verdict = match r.get("status") {
                Some(Value::String(ok)) => ok.clone(),
                Some(Value::Object(f)) => f.get("failed").map(|f| format!("FAILED {} {}", f["code"], f["message"])).unwrap_or_default(),
                _ => String::new(),
            };
            println!("tx {} ({}) committed at height {}: {verdict}", s("tx_hash"), r["kind"].as_str().unwrap_or(""), s("height"));
        }
    }
    if let Some(o) = out.as_object() {
        for (k, v) in o {
            if !["tx_hash", "kind", "state", "height", "index", "block_time_ms", "receipt"].contains(&k.as_str()) {
                println!("{k:<11} {}", v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()));
            }
        }
    }
    Ok(())
}
