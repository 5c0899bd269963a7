//! `loanctl schedule`: the repayment schedule a loan would get, computed by the very function the
//! chain runs at disbursement (`loanchain_contracts::schedule::build`).

use anyhow::{Context, Result};
use loanchain_contracts::schedule::{self, RepaymentMethod};
use loanchain_contracts::{Amount, Money, Rate};

use crate::cli::{Method, ScheduleArgs};
use crate::output::table;

fn method(m: Method) -> RepaymentMethod {
    match m {
        Method::EqualInstallment => RepaymentMethod::EqualInstallment,
        Method::EqualPrincipal => RepaymentMethod::EqualPrincipal,
        Method::InterestFirst => RepaymentMethod::InterestFirst,
        Method::Bullet => RepaymentMethod::Bullet,
    }
}

pub fn run(args: &ScheduleArgs, json: bool) -> Result<u8> {
    let principal: Amount = args.principal.parse().with_context(|| format!("--principal {}", args.principal))?;
    let rate: Rate = args.rate.parse().with_context(|| format!("--rate {}", args.rate))?;
    let lines = schedule::build(principal, rate, args.periods, method(args.method)).context("cannot build the schedule")?;
    if json {
        println!("{}", serde_json::to_string_pretty(&lines)?);
        return Ok(0);
    }
    let rows: Vec<Vec<String>> =
        lines.iter().map(|l| vec![l.period.to_string(), l.principal.to_string(), l.interest.to_string(), l.payment.to_string()]).collect();
    table(&["period", "principal", "interest", "payment"], &rows, &[0, 1, 2, 3]);
    let total = |f: fn(&schedule::ScheduleLine) -> Money| Money::sum(lines.iter().map(f));
    println!("total: principal {}, interest {}, payments {}", total(|l| l.principal)?, total(|l| l.interest)?, total(|l| l.payment)?);
    Ok(0)
}
