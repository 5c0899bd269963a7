//! `portfolio`: an investor's claims, what they have paid so far, and what they are expected to
//! pay from each loan's remaining schedule in proportion to the claim's share (DESIGN §6: each
//! payment is split among the holders by outstanding principal).
//!
//! The expectation is an estimate: the chain splits each payment by largest remainder to the fen,
//! so an actual part may differ from the estimate by a fen; penalty interest is not forecast.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context, Result};
use clap::Args;
use loanchain_api::LoanDetail;
use loanchain_contracts::state::tables::{Claim, Loan, LoanStatus};
use loanchain_contracts::{AccountId, Money, schedule};
use serde::Serialize;

use super::{Ctx, fmt_time, parse_account};
use crate::output::table;

#[derive(Debug, Args)]
pub struct PortfolioArgs {
    /// The investor's account id (default: the account of --key).
    #[arg(long, value_parser = parse_account)]
    pub account: Option<AccountId>,
}

/// One expected future payment to a claim.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExpectedLine {
    /// The period.
    pub period: u32,
    /// When it falls due (unknown while the loan is still funding).
    pub due_at: Option<u64>,
    /// Principal expected.
    pub principal: Money,
    /// Interest expected.
    pub interest: Money,
}

/// What a claim is expected to receive from now on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Expected {
    /// Principal still to come.
    pub principal: Money,
    /// Interest still to come.
    pub interest: Money,
    /// Per period.
    pub lines: Vec<ExpectedLine>,
}

fn share_of(part: Money, whole: Money, of: Money) -> Result<Money> {
    if whole.is_zero() {
        return Ok(Money::ZERO);
    }
    Ok(Money::round_half_up(of.decimal() * part.decimal() / whole.decimal())?)
}

/// (period, due_at, principal left, interest left) of one installment.
type Row = (u32, Option<u64>, Money, Money);

/// The payments `claim` is expected to receive from `loan`'s remaining schedule: while funding,
/// its share of the schedule the loan will get; while being repaid, its share (by outstanding
/// principal) of every unsettled installment; nothing once the loan is closed. Principal lines
/// add up to exactly the claim's outstanding principal (the last line takes the rounding).
pub fn expected(loan: &Loan, claim: &Claim) -> Result<Expected> {
    let doc = &loan.document;
    // The rows and the principal the shares are of.
    let (rows, whole, part): (Vec<Row>, Money, Money) = match loan.status {
        LoanStatus::Funding => {
            let lines = schedule::build(doc.principal, doc.annual_rate, doc.periods, doc.method)?;
            (lines.iter().map(|l| (l.period, None, l.principal, l.interest)).collect(), doc.principal.money(), claim.amount)
        }
        s if s.is_repaying() => (
            loan.schedule
                .iter()
                .filter(|i| !i.is_settled())
                .map(|i| (i.period, Some(i.due_at), i.principal_left(), i.interest_left()))
                .collect(),
            loan.principal_outstanding(),
            claim.outstanding,
        ),
        _ => return Ok(Expected::default()),
    };
    let mut out = Expected::default();
    let n = rows.len();
    for (k, (period, due_at, p, i)) in rows.into_iter().enumerate() {
        let principal = if k + 1 == n {
            part.checked_sub(out.principal).unwrap_or(Money::ZERO)
        } else {
            share_of(part, whole, p)?.min(part.saturating_sub(out.principal))
        };
        let interest = share_of(part, whole, i)?;
        out.principal = out.principal.checked_add(principal)?;
        out.interest = out.interest.checked_add(interest)?;
        out.lines.push(ExpectedLine { period, due_at, principal, interest });
    }
    Ok(out)
}

#[derive(Debug, Serialize)]
struct ClaimRow {
    claim: String,
    loan_status: LoanStatus,
    amount: Money,
    outstanding: Money,
    principal_received: Money,
    interest_received: Money,
    expected: Expected,
}

#[derive(Debug, Default, Serialize)]
struct Totals {
    invested: Money,
    outstanding: Money,
    principal_received: Money,
    interest_received: Money,
    expected_principal: Money,
    expected_interest: Money,
}

pub async fn run(ctx: &Ctx, args: PortfolioArgs) -> Result<u8> {
    let account = match args.account {
        Some(a) => a,
        None => ctx.my_account()?.context("pass --account ID, or --key to see your own portfolio")?,
    };
    let id = account.to_string();
    let balance = ctx.node.account(&id).await?.account.balance;
    let claims = ctx.node.claims(&id).await?;
    let mut loans: HashMap<String, LoanDetail> = HashMap::new();
    let mut rows = Vec::new();
    let mut totals = Totals::default();
    // Upcoming payments by due time (None: the loan is still funding).
    let mut upcoming: BTreeMap<Option<u64>, (Money, Money)> = BTreeMap::new();
    for hc in claims {
        let loan_id = hc.id.loan.to_string();
        if !loans.contains_key(&loan_id) {
            let detail = ctx.node.loan(&loan_id).await?;
            loans.insert(loan_id.clone(), detail);
        }
        let e = expected(&loans[&loan_id].loan, &hc.claim)?;
        for l in &e.lines {
            let slot = upcoming.entry(l.due_at).or_insert((Money::ZERO, Money::ZERO));
            slot.0 = slot.0.checked_add(l.principal)?;
            slot.1 = slot.1.checked_add(l.interest)?;
        }
        let c = &hc.claim;
        totals.invested = totals.invested.checked_add(c.amount)?;
        totals.outstanding = totals.outstanding.checked_add(c.outstanding)?;
        totals.principal_received = totals.principal_received.checked_add(c.principal_received)?;
        totals.interest_received = totals.interest_received.checked_add(c.interest_received)?;
        totals.expected_principal = totals.expected_principal.checked_add(e.principal)?;
        totals.expected_interest = totals.expected_interest.checked_add(e.interest)?;
        rows.push(ClaimRow {
            claim: hc.id.to_string(),
            loan_status: hc.loan_status,
            amount: c.amount,
            outstanding: c.outstanding,
            principal_received: c.principal_received,
            interest_received: c.interest_received,
            expected: e,
        });
    }
    if ctx.json {
        let upcoming: Vec<_> =
            upcoming.iter().map(|(due, (p, i))| serde_json::json!({ "due_at": due, "principal": p, "interest": i })).collect();
        ctx.print_json(
            &serde_json::json!({ "account": account, "balance": balance, "claims": rows, "totals": totals, "upcoming": upcoming }),
        )?;
        return Ok(0);
    }
    println!("account {account}  balance {balance}");
    let table_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.claim.clone(),
                r.loan_status.name().into(),
                r.amount.to_string(),
                r.outstanding.to_string(),
                r.principal_received.to_string(),
                r.interest_received.to_string(),
                r.expected.interest.to_string(),
            ]
        })
        .collect();
    table(
        &["claim", "loan status", "invested", "outstanding", "principal recv", "interest recv", "interest to come"],
        &table_rows,
        &[2, 3, 4, 5, 6],
    );
    println!(
        "total: invested {}, outstanding {}, received {} principal + {} interest; to come {} principal + {} interest",
        totals.invested,
        totals.outstanding,
        totals.principal_received,
        totals.interest_received,
        totals.expected_principal,
        totals.expected_interest
    );
    if !upcoming.is_empty() {
        println!();
        let rows: Vec<Vec<String>> = upcoming
            .iter()
            .map(|(due, (p, i))| vec![due.map(fmt_time).unwrap_or_else(|| "after funding".into()), p.to_string(), i.to_string()])
            .collect();
        table(&["due (UTC)", "principal", "interest"], &rows, &[1, 2]);
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use loanchain_contracts::state::tables::Installment;
    use loanchain_contracts::{AccountId, Amount, ContractDocument, Hash, LoanId, Rate, RepaymentMethod, RiskGrade};

    use super::*;

    fn m(s: &str) -> Money {
        s.parse().unwrap()
    }

    fn loan(status: LoanStatus, principal: &str, schedule: Vec<Installment>) -> Loan {
        let document = ContractDocument {
            version: 1,
            chain_id: "c".into(),
            loan_id: LoanId::new("L").unwrap(),
            borrower: AccountId(Hash::digest(b"b")),
            institution: AccountId(Hash::digest(b"i")),
            principal: principal.parse::<Amount>().unwrap(),
            annual_rate: "0.12".parse::<Rate>().unwrap(),
            periods: 3,
            method: RepaymentMethod::EqualPrincipal,
            grade: RiskGrade::B,
            funding_deadline: 1,
            min_investment: "100".parse().unwrap(),
            purpose: String::new(),
            terms_digest: Hash::ZERO,
        };
        Loan { status, schedule, ..Loan::listed(document, Hash::ZERO, 1, Money::ZERO) }
    }

    fn inst(period: u32, p: &str, i: &str, paid_p: &str, paid_i: &str) -> Installment {
        Installment {
            period,
            due_at: u64::from(period) * 1000,
            principal: m(p),
            interest: m(i),
            paid_principal: m(paid_p),
            paid_interest: m(paid_i),
            waived_interest: Money::ZERO,
            overdue: false,
        }
    }

    fn claim(amount: &str, outstanding: &str) -> Claim {
        let who = AccountId(Hash::digest(b"x"));
        Claim {
            holder: who,
            original_investor: who,
            amount: m(amount),
            outstanding: m(outstanding),
            principal_received: Money::ZERO,
            interest_received: Money::ZERO,
        }
    }

    #[test]
    fn a_repaying_loan_pays_each_claim_its_share_of_what_is_left() {
        // 3,000 at 1 %/month equal principal; period 1 paid; claims 2,000 and 1,000 of the rest.
        let l = loan(
            LoanStatus::Active,
            "3000",
            vec![inst(1, "1000", "30", "1000", "30"), inst(2, "1000", "20", "0", "0"), inst(3, "1000", "10", "0", "0")],
        );
        let big = expected(&l, &claim("2000", "1333.33")).unwrap();
        let small = expected(&l, &claim("1000", "666.67")).unwrap();
        assert_eq!(big.principal, m("1333.33"));
        assert_eq!(small.principal, m("666.67"));
        assert_eq!(big.lines.len(), 2);
        assert_eq!(big.lines[0].due_at, Some(2000));
        assert_eq!(big.interest, m("20.00"), "2/3 of 20 + 10");
        assert_eq!(small.interest, m("10.00"));
        let sum = |e: &Expected| Money::sum(e.lines.iter().map(|l| l.principal)).unwrap();
        assert_eq!(sum(&big), big.principal);
        assert_eq!(sum(&small), small.principal);
    }

    #[test]
    fn a_funding_loan_forecasts_its_schedule_and_a_closed_loan_nothing() {
        let l = loan(LoanStatus::Funding, "3000", vec![]);
        let e = expected(&l, &claim("300", "300")).unwrap();
        assert_eq!(e.principal, m("300"));
        assert_eq!(e.interest, m("6.00"), "a tenth of 30 + 20 + 10");
        assert!(e.lines.iter().all(|l| l.due_at.is_none()));
        for s in [LoanStatus::Repaid, LoanStatus::Failed, LoanStatus::Cancelled] {
            assert_eq!(expected(&loan(s, "3000", vec![]), &claim("300", "0")).unwrap(), Expected::default());
        }
    }

    #[test]
    fn a_claim_with_nothing_outstanding_expects_nothing() {
        let l = loan(
            LoanStatus::Active,
            "3000",
            vec![inst(1, "1000", "30", "1000", "30"), inst(2, "1000", "20", "0", "0"), inst(3, "1000", "10", "0", "0")],
        );
        let e = expected(&l, &claim("500", "0")).unwrap();
        assert_eq!((e.principal, e.interest), (Money::ZERO, Money::ZERO));
    }
}
