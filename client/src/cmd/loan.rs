//! `loan`: list and show loans; list a new one (ListLoan, with the borrower's and the
//! institution's seals), fund, repay, prepay, buy back, cancel (DESIGN §6).

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use loanchain_contracts::state::tables::{Loan, LoanStatus};
use loanchain_contracts::{Amount, ContractDocument, Hash, LoanId, Money, Payload, Rate, RepaymentMethod, RiskGrade};
use serde_json::json;

use super::submit::submit_and_wait;
use super::{Ctx, fmt_time, parse_account, parse_amount, parse_loan};
use crate::cli::Method;
use crate::output::table;
use crate::tx_builder::{self, Sealer};

/// Loan statuses accepted by `--status`.
const STATUSES: [&str; 8] = ["funding", "active", "overdue", "repaid", "failed", "cancelled", "bought_back", "pool_compensated"];

fn parse_status(s: &str) -> Result<String, String> {
    if STATUSES.contains(&s) { Ok(s.to_string()) } else { Err(format!("{s:?} is not one of {}", STATUSES.join(", "))) }
}

#[derive(Debug, Subcommand)]
pub enum LoanCommand {
    /// List loans.
    List {
        /// Only loans in this status.
        #[arg(long, value_parser = parse_status)]
        status: Option<String>,
        /// Only loans listed by this institution (account id).
        #[arg(long, value_parser = parse_account)]
        institution: Option<loanchain_contracts::AccountId>,
        /// At most this many.
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Show a loan: terms, schedule, claims.
    Show {
        /// The loan id.
        #[arg(value_parser = parse_loan)]
        loan: LoanId,
    },
    /// A loan's history of events.
    History {
        /// The loan id.
        #[arg(value_parser = parse_loan)]
        loan: LoanId,
    },
    /// Institution: list a new loan (ListLoan) sealed by the borrower and the institution.
    #[command(alias = "list-new")]
    Create(Box<CreateArgs>),
    /// Investor: fund a loan (投标) and seal its contract.
    Fund {
        /// The loan id.
        #[arg(value_parser = parse_loan)]
        loan: LoanId,
        /// Amount in yuan.
        #[arg(long, value_parser = parse_amount)]
        amount: Amount,
        /// The investor's seal certificate file.
        #[arg(long, value_name = "FILE")]
        seal_cert: PathBuf,
        /// The investor's seal key file.
        #[arg(long, value_name = "FILE")]
        seal_key: PathBuf,
    },
    /// Borrower: repay; without --amount, what is due now (or the next installment).
    Repay {
        /// The loan id.
        #[arg(value_parser = parse_loan)]
        loan: LoanId,
        /// Amount in yuan.
        #[arg(long, value_parser = parse_amount)]
        amount: Option<Amount>,
    },
    /// Borrower: repay everything now (提前还款).
    Prepay {
        /// The loan id.
        #[arg(value_parser = parse_loan)]
        loan: LoanId,
    },
    /// Guarantor: buy the claims back (担保代偿).
    Buyback {
        /// The loan id.
        #[arg(value_parser = parse_loan)]
        loan: LoanId,
    },
    /// Institution: withdraw a loan still funding; investors are refunded.
    Cancel {
        /// The loan id.
        #[arg(value_parser = parse_loan)]
        loan: LoanId,
    },
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Contract number (1 to 64 of A-Z a-z 0-9 . _ -).
    #[arg(long, value_parser = parse_loan)]
    pub id: LoanId,
    /// The borrower's account id.
    #[arg(long, value_parser = parse_account)]
    pub borrower: loanchain_contracts::AccountId,
    /// Principal in yuan.
    #[arg(long, value_parser = parse_amount)]
    pub principal: Amount,
    /// Annual rate as a fraction (0.12 = 12 %).
    #[arg(long)]
    pub rate: String,
    /// Number of periods.
    #[arg(long)]
    pub periods: u32,
    /// Repayment method.
    #[arg(long)]
    pub method: Method,
    /// Risk grade A-E (sets the risk margin).
    #[arg(long, default_value = "B")]
    pub grade: String,
    /// Smallest investment, yuan.
    #[arg(long, default_value = "100", value_parser = parse_amount)]
    pub min_investment: Amount,
    /// Funding window from now, in minutes.
    #[arg(long, default_value_t = 60)]
    pub funding_minutes: u64,
    /// What the loan is for.
    #[arg(long, default_value = "working capital")]
    pub purpose: String,
    /// The full legal text (its SHA-256 goes in the document); default: the purpose text.
    #[arg(long, value_name = "FILE")]
    pub terms: Option<PathBuf>,
    /// The institution's seal certificate file.
    #[arg(long, value_name = "FILE")]
    pub seal_cert: PathBuf,
    /// The institution's seal key file.
    #[arg(long, value_name = "FILE")]
    pub seal_key: PathBuf,
    /// The borrower's seal certificate file.
    #[arg(long, value_name = "FILE")]
    pub borrower_seal_cert: PathBuf,
    /// The borrower's seal key file.
    #[arg(long, value_name = "FILE")]
    pub borrower_seal_key: PathBuf,
}

pub async fn run(ctx: &Ctx, cmd: LoanCommand) -> Result<u8> {
    match cmd {
        LoanCommand::List { status, institution, limit } => list(ctx, status, institution.map(|i| i.to_string()), limit).await,
        LoanCommand::Show { loan } => show(ctx, &loan).await,
        LoanCommand::History { loan } => {
            let events = ctx.node.loan_history(loan.as_str()).await?;
            if ctx.json {
                ctx.print_json(&events)?;
            } else {
                let rows: Vec<Vec<String>> = events
                    .iter()
                    .map(|e| {
                        let kind = serde_json::to_value(&e.kind).unwrap_or_default();
                        let (name, detail) = match kind {
                            serde_json::Value::Object(m) => m.into_iter().next().map(|(k, v)| (k, v.to_string())).unwrap_or_default(),
                            other => (other.as_str().unwrap_or_default().to_string(), String::new()),
                        };
                        vec![e.height.to_string(), fmt_time(e.time), name, detail]
                    })
                    .collect();
                table(&["height", "time (UTC)", "event", "detail"], &rows, &[0]);
            }
            Ok(0)
        }
        LoanCommand::Create(args) => create(ctx, *args).await,
        LoanCommand::Fund { loan, amount, seal_cert, seal_key } => {
            let key = ctx.signer("investor")?;
            let sealer = Sealer::read(&seal_cert, &seal_key)?;
            anyhow::ensure!(
                sealer.holder() == key.public().account_id(),
                "the seal certificate belongs to {}, not to the signer {}",
                sealer.holder(),
                key.public().account_id()
            );
            let detail = ctx.node.loan(loan.as_str()).await?;
            let doc = &detail.loan.document;
            let payload = tx_builder::fund_loan(&loan, doc.version, detail.loan.document_digest, amount, &sealer, tx_builder::now_ms());
            let tx = tx_builder::sign(&ctx.target().await?, payload, &key);
            submit_and_wait(ctx, tx, json!({ "loan": loan, "amount": amount })).await
        }
        LoanCommand::Repay { loan, amount } => {
            let key = ctx.signer("borrower")?;
            let amount = match amount {
                Some(a) => a,
                None => {
                    let detail = ctx.node.loan(loan.as_str()).await?;
                    let due = due_now(&detail.loan, tx_builder::now_ms());
                    Amount::new(due).with_context(|| format!("nothing is owed on {loan}"))?
                }
            };
            let tx = tx_builder::sign(&ctx.target().await?, Payload::Repay { loan: loan.clone(), amount }, &key);
            submit_and_wait(ctx, tx, json!({ "loan": loan, "amount": amount })).await
        }
        LoanCommand::Prepay { loan } => simple(ctx, "borrower", Payload::Prepay { loan }).await,
        LoanCommand::Buyback { loan } => simple(ctx, "guarantor", Payload::GuarantorBuyback { loan }).await,
        LoanCommand::Cancel { loan } => simple(ctx, "credit institution", Payload::CancelListing { loan }).await,
    }
}

async fn simple(ctx: &Ctx, role: &str, payload: Payload) -> Result<u8> {
    let key = ctx.signer(role)?;
    let loan = payload.loan().cloned();
    let tx = tx_builder::sign(&ctx.target().await?, payload, &key);
    submit_and_wait(ctx, tx, json!({ "loan": loan })).await
}

/// What a `repay` without `--amount` pays: penalty and every unsettled installment due by `now`;
/// if none is due yet, the next installment's remainder.
pub fn due_now(loan: &Loan, now: u64) -> Money {
    let left =
        |i: &loanchain_contracts::state::tables::Installment| i.principal_left().checked_add(i.interest_left()).unwrap_or(Money::ZERO);
    let due = Money::sum(loan.schedule.iter().filter(|i| i.due_at <= now).map(left)).unwrap_or(Money::ZERO);
    let due = due.checked_add(loan.penalty_due).unwrap_or(due);
    if !due.is_zero() {
        return due;
    }
    loan.schedule.iter().map(left).find(|m| !m.is_zero()).unwrap_or(Money::ZERO)
}

async fn list(ctx: &Ctx, status: Option<String>, institution: Option<String>, limit: Option<u32>) -> Result<u8> {
    let loans = ctx.node.loans(status.as_deref(), institution.as_deref(), limit).await?;
    if ctx.json {
        ctx.print_json(&loans)?;
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = loans
        .iter()
        .map(|e| {
            let d = &e.loan.document;
            vec![
                e.id.to_string(),
                e.loan.status.name().into(),
                d.principal.to_string(),
                e.loan.funded.to_string(),
                d.annual_rate.to_string(),
                d.periods.to_string(),
                d.method.name().into(),
                d.grade.to_string(),
                d.institution.short(),
            ]
        })
        .collect();
    table(&["loan", "status", "principal", "funded", "rate", "periods", "method", "grade", "institution"], &rows, &[2, 3, 4, 5]);
    Ok(0)
}

async fn show(ctx: &Ctx, id: &LoanId) -> Result<u8> {
    let d = ctx.node.loan(id.as_str()).await?;
    if ctx.json {
        ctx.print_json(&d)?;
        return Ok(0);
    }
    let (l, doc) = (&d.loan, &d.loan.document);
    println!("loan          {}  ({})", d.id, l.status.name());
    println!("borrower      {}", doc.borrower);
    println!("institution   {}  (guarantor)", doc.institution);
    println!("principal     {}  funded {}", doc.principal, l.funded);
    println!("rate          {}  {} periods  {}  grade {}", doc.annual_rate, doc.periods, doc.method, doc.grade);
    println!("deadline      {} UTC", fmt_time(doc.funding_deadline));
    println!("document      {}", l.document_digest);
    if l.status.is_repaying() || l.status == LoanStatus::Repaid {
        println!("outstanding   {}  penalty due {}", l.principal_outstanding(), l.penalty_due);
        let rows: Vec<Vec<String>> = l
            .schedule
            .iter()
            .map(|i| {
                let state = if i.is_settled() {
                    "paid"
                } else if i.overdue {
                    "OVERDUE"
                } else {
                    ""
                };
                vec![
                    i.period.to_string(),
                    fmt_time(i.due_at),
                    i.principal.to_string(),
                    i.interest.to_string(),
                    i.paid_principal.to_string(),
                    i.paid_interest.to_string(),
                    state.into(),
                ]
            })
            .collect();
        table(&["period", "due (UTC)", "principal", "interest", "paid principal", "paid interest", ""], &rows, &[0, 2, 3, 4, 5]);
    }
    let rows: Vec<Vec<String>> = d
        .claims
        .iter()
        .map(|c| {
            vec![
                c.id.to_string(),
                c.claim.holder.short(),
                c.claim.amount.to_string(),
                c.claim.outstanding.to_string(),
                c.claim.principal_received.to_string(),
                c.claim.interest_received.to_string(),
            ]
        })
        .collect();
    println!();
    table(&["claim", "holder", "amount", "outstanding", "principal recv", "interest recv"], &rows, &[2, 3, 4, 5]);
    Ok(0)
}

async fn create(ctx: &Ctx, a: CreateArgs) -> Result<u8> {
    let key = ctx.signer("credit institution")?;
    let institution = Sealer::read(&a.seal_cert, &a.seal_key).context("the institution's seal")?;
    let borrower = Sealer::read(&a.borrower_seal_cert, &a.borrower_seal_key).context("the borrower's seal")?;
    anyhow::ensure!(
        institution.holder() == key.public().account_id(),
        "the institution's seal certificate belongs to {}, not to the signer",
        institution.holder()
    );
    anyhow::ensure!(
        borrower.holder() == a.borrower,
        "the borrower's seal certificate belongs to {}, not to --borrower {}",
        borrower.holder(),
        a.borrower
    );
    let annual_rate: Rate = a.rate.parse().with_context(|| format!("--rate {}", a.rate))?;
    let grade: RiskGrade = a.grade.parse().with_context(|| format!("--grade {}", a.grade))?;
    let terms_digest = match &a.terms {
        Some(p) => Hash::digest(&std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?),
        None => Hash::digest(a.purpose.as_bytes()),
    };
    let now = tx_builder::now_ms();
    let target = ctx.target().await?;
    let document = ContractDocument {
        version: 1,
        chain_id: target.chain_id.clone(),
        loan_id: a.id.clone(),
        borrower: a.borrower,
        institution: key.public().account_id(),
        principal: a.principal,
        annual_rate,
        periods: a.periods,
        method: method(a.method),
        grade,
        funding_deadline: now.saturating_add(a.funding_minutes.saturating_mul(60_000)),
        min_investment: a.min_investment,
        purpose: a.purpose.clone(),
        terms_digest,
    };
    let digest = document.digest();
    let tx = tx_builder::sign(&target, tx_builder::list_loan(document, &borrower, &institution, now), &key);
    submit_and_wait(ctx, tx, json!({ "loan": a.id, "document_digest": digest })).await
}

/// The chain's repayment method for the CLI's.
pub fn method(m: Method) -> RepaymentMethod {
    match m {
        Method::EqualInstallment => RepaymentMethod::EqualInstallment,
        Method::EqualPrincipal => RepaymentMethod::EqualPrincipal,
        Method::InterestFirst => RepaymentMethod::InterestFirst,
        Method::Bullet => RepaymentMethod::Bullet,
    }
}
