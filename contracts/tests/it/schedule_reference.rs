//! The schedules of `schedule::build` against reference figures computed independently, in
//! Python's `decimal` module, from the text of DESIGN §6 (`tests/data/schedule_reference.py`,
//! which writes `tests/data/schedule_reference.json`; regenerate with
//! `python3 contracts/tests/data/schedule_reference.py`).

use loanchain_contracts::schedule::{ScheduleLine, build};
use loanchain_contracts::{Amount, Rate, RepaymentMethod};
use serde::Deserialize;

#[derive(Deserialize)]
struct Reference {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    principal: Amount,
    annual_rate: Rate,
    periods: u32,
    method: RepaymentMethod,
    lines: Vec<ScheduleLine>,
}

fn reference() -> Reference {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/schedule_reference.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("cannot parse {path}: {e}"))
}

#[test]
fn every_reference_line_matches_build() {
    let cases = reference().cases;
    assert!(cases.len() >= 24, "only {} reference cases", cases.len());
    for method in RepaymentMethod::ALL {
        assert!(cases.iter().any(|c| c.method == method), "no reference case for {method}");
    }
    for case in &cases {
        let got = build(case.principal, case.annual_rate, case.periods, case.method)
            .unwrap_or_else(|e| panic!("{}: build failed: {e}", case.name));
        assert_eq!(got.len(), case.lines.len(), "{}: number of lines", case.name);
        for (g, want) in got.iter().zip(&case.lines) {
            assert_eq!(g, want, "{}: {} at {} over {} ({})", case.name, case.principal, case.annual_rate, case.periods, case.method);
        }
    }
}

/// DESIGN §6's own figure, checked here too so that it cannot vanish from the reference data.
#[test]
fn the_design_example_is_in_the_reference() {
    let cases = reference().cases;
    let example = cases
        .iter()
        .find(|c| {
            c.method == RepaymentMethod::EqualInstallment
                && c.principal == Amount::yuan(100_000)
                && c.annual_rate.to_string() == "0.12"
                && c.periods == 12
        })
        .expect("the 100,000.00 at 12 % over 12 months case");
    assert!(example.lines[..11].iter().all(|l| l.payment.to_string() == "8884.88"));
}
