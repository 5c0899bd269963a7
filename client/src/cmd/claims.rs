//! `claims list` and `claims transfer` (债权转让: the seller signs, the buyer consents).

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;
use loanchain_contracts::{AccountId, Amount, ClaimId};
use serde_json::json;

use super::submit::submit_and_wait;
use super::{Ctx, parse_account, parse_amount};
use crate::output::table;
use crate::tx_builder;

fn parse_claim(s: &str) -> Result<ClaimId, String> {
    s.parse().map_err(|e: loanchain_contracts::Error| e.to_string())
}

#[derive(Debug, Subcommand)]
pub enum ClaimsCommand {
    /// The claims an account holds (default: the account of --key).
    List {
        /// The holder's account id.
        #[arg(long, value_parser = parse_account)]
        holder: Option<AccountId>,
    },
    /// Sell a claim (signed by the holder with --key); the buyer consents with its own key.
    Transfer {
        /// The claim, LOAN#INDEX.
        #[arg(value_parser = parse_claim)]
        claim: ClaimId,
        /// The buyer's account id.
        #[arg(long, value_parser = parse_account)]
        to: AccountId,
        /// What the buyer pays, yuan.
        #[arg(long, value_parser = parse_amount)]
        price: Amount,
        /// The buyer's account key file: it signs the consent.
        #[arg(long, value_name = "FILE")]
        buyer_key: PathBuf,
    },
}

pub async fn run(ctx: &Ctx, cmd: ClaimsCommand) -> Result<u8> {
    match cmd {
        ClaimsCommand::List { holder } => {
            let holder = match holder {
                Some(h) => h,
                None => ctx.my_account()?.context("pass --holder ID, or --key to list your own claims")?,
            };
            let claims = ctx.node.claims(&holder.to_string()).await?;
            if ctx.json {
                ctx.print_json(&claims)?;
                return Ok(0);
            }
            let rows: Vec<Vec<String>> = claims
                .iter()
                .map(|c| {
                    vec![
                        c.id.to_string(),
                        c.loan_status.name().into(),
                        c.claim.amount.to_string(),
                        c.claim.outstanding.to_string(),
                        c.claim.principal_received.to_string(),
                        c.claim.interest_received.to_string(),
                        c.claim.original_investor.short(),
                    ]
                })
                .collect();
            table(
                &["claim", "loan status", "amount", "outstanding", "principal recv", "interest recv", "original investor"],
                &rows,
                &[2, 3, 4, 5],
            );
            Ok(0)
        }
        ClaimsCommand::Transfer { claim, to, price, buyer_key } => {
            let seller = ctx.signer("claim holder")?;
            let buyer = tx_builder::account_key(&buyer_key)?;
            anyhow::ensure!(
                buyer.public().account_id() == to,
                "--buyer-key is the key of {}, not of --to {to}",
                buyer.public().account_id()
            );
            let tx = tx_builder::transfer_claim(&ctx.target().await?, claim.clone(), price, &seller, &buyer);
            submit_and_wait(ctx, tx, json!({ "claim": claim.to_string(), "to": to, "price": price })).await
        }
    }
}
