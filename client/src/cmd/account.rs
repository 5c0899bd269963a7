//! `register` (an institution identifies an investor or borrower, 实名认证), `deposit` and
//! `withdraw` (the custodian bank, 资金存管), `account` (show one).

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{ArgGroup, Args, ValueEnum};
use loanchain_contracts::{AccountId, Amount, Payload, PublicKey, Role};
use serde_json::json;

use super::submit::submit_and_wait;
use super::{Ctx, parse_account, parse_amount};
use crate::tx_builder;

/// Whom an institution registers.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RegisterRole {
    /// 出借人.
    Investor,
    /// 借款人.
    Borrower,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("who").required(true).args(["account_key", "public_key"])))]
pub struct RegisterArgs {
    /// The new account's role.
    #[arg(long, value_enum)]
    pub role: RegisterRole,
    /// Display name.
    #[arg(long)]
    pub name: String,
    /// The identity document number; only its salted hash goes on chain.
    #[arg(long)]
    pub id_number: String,
    /// Salt of the hash (default: 16 random bytes, printed so the institution can keep it).
    #[arg(long)]
    pub salt: Option<String>,
    /// The new account's key file (only its public key is used).
    #[arg(long, value_name = "FILE")]
    pub account_key: Option<PathBuf>,
    /// The new account's public key, 64 hex digits.
    #[arg(long, value_name = "HEX", value_parser = parse_public_key)]
    pub public_key: Option<PublicKey>,
}

fn parse_public_key(s: &str) -> Result<PublicKey, String> {
    s.parse().map_err(|_| format!("{s:?} is not a public key of 64 hex digits"))
}

#[derive(Debug, Args)]
pub struct DepositArgs {
    /// The account credited or debited.
    #[arg(long, value_parser = parse_account)]
    pub account: AccountId,
    /// Amount in yuan, at most 2 decimal places.
    #[arg(long, value_parser = parse_amount)]
    pub amount: Amount,
    /// The bank's reference of the transfer.
    #[arg(long)]
    pub reference: String,
}

pub async fn register(ctx: &Ctx, args: RegisterArgs) -> Result<u8> {
    let key = ctx.signer("credit institution")?;
    let public_key = match (&args.account_key, args.public_key) {
        (Some(path), _) => tx_builder::account_key(path)?.public(),
        (None, Some(pk)) => pk,
        (None, None) => anyhow::bail!("pass --account-key or --public-key"),
    };
    let salt = args.salt.clone().unwrap_or_else(tx_builder::random_salt);
    let role = match args.role {
        RegisterRole::Investor => Role::Investor,
        RegisterRole::Borrower => Role::Borrower,
    };
    let payload =
        Payload::RegisterAccount { public_key, role, name: args.name.clone(), id_hash: tx_builder::id_hash(&salt, &args.id_number) };
    let tx = tx_builder::sign(&ctx.target().await?, payload, &key);
    let extra = json!({ "account": public_key.account_id(), "role": role, "salt": salt });
    submit_and_wait(ctx, tx, extra).await
}

/// `deposit` (`withdraw` = false) or `withdraw`.
pub async fn custody(ctx: &Ctx, args: DepositArgs, withdraw: bool) -> Result<u8> {
    let key = ctx.signer("custodian bank")?;
    let DepositArgs { account, amount, reference } = args;
    let payload = if withdraw { Payload::Withdraw { account, amount, reference } } else { Payload::Deposit { account, amount, reference } };
    let tx = tx_builder::sign(&ctx.target().await?, payload, &key);
    submit_and_wait(ctx, tx, json!({ "account": account, "amount": amount })).await
}

pub async fn show(ctx: &Ctx, account: Option<String>) -> Result<u8> {
    let id = match account {
        Some(a) => parse_account(&a).map_err(anyhow::Error::msg)?,
        None => ctx.my_account()?.context("name the account, or pass --key to show your own")?,
    };
    let entry = ctx.node.account(&id.to_string()).await?;
    if ctx.json {
        ctx.print_json(&entry)?;
        return Ok(0);
    }
    let a = &entry.account;
    println!("account     {}", entry.id);
    println!("name        {}", a.name);
    println!("role        {}", a.role);
    println!("balance     {}", a.balance);
    println!("frozen      {}", a.frozen);
    if a.suspended {
        println!("suspended   true");
    }
    if let Some(by) = a.registered_by {
        println!("registered  by {by}");
    }
    Ok(0)
}
