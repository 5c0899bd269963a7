#!/usr/bin/env python3
"""Reference repayment schedules for loanchain, written from the text of DESIGN §6 alone.

Writes schedule_reference.json next to this file; contracts/tests/it/schedule_reference.rs checks
that loanchain_contracts::schedule::build reproduces every line of every case.

DESIGN §6, as implemented here (every amount in whole fen, each rounded half-up; r = annual/12):
  - equal_installment: A = P·r·(1+r)^n / ((1+r)^n − 1), rounded (A = round(P/n) when r = 0);
    interest_k = round(balance·r); principal_k = A − interest_k; the last period pays the
    remaining balance plus its interest.
  - equal_principal: principal_k = round(P/n), the last takes the remainder;
    interest_k = round(balance·r).
  - interest_first: interest round(P·r) each period, all principal with the last.
  - bullet: one line at period n: principal P, interest round(P·r·n).
  - No period repays more principal than is still outstanding (min(due, balance)); without this,
    round(P/n) rounded up could make "the remainder" of a tiny loan negative (0.20 over 8 periods).

Every value is computed exactly before its single rounding: r = annual/12 is never truncated
(0.1/12 = 0.008333...). We multiply through by 12 (and by 12^n for the installment), so the only
inexact operation is the final division, done at a precision (PREC digits) far beyond the
distance of any non-half-fen quotient from a half fen. A quotient that is exactly k + 1/2 fen is
a terminating decimal, which decimal division returns exactly, so ROUND_HALF_UP sees it.

Usage: python3 schedule_reference.py   (only the standard `decimal` module; deterministic output)
"""

import decimal
from decimal import Decimal, ROUND_HALF_UP

# (12 + annual)^n for n = 600 and annual with 6 places has < 5,000 significant digits.
PREC = 20000
decimal.getcontext().prec = PREC
decimal.getcontext().Emax = decimal.MAX_EMAX
decimal.getcontext().Emin = decimal.MIN_EMIN
decimal.getcontext().traps[decimal.Inexact] = False

FEN = Decimal("0.01")
TWELVE = Decimal(12)
ZERO = Decimal("0.00")


def fen(x):
    """x rounded half-up to the fen."""
    return x.quantize(FEN, rounding=ROUND_HALF_UP)


def period_interest(balance, annual, months=1):
    """round(balance · r · months) with r = annual/12, dividing last."""
    return fen(balance * annual * months / TWELVE)


def installment(principal, annual, n):
    """round(P·r·(1+r)^n / ((1+r)^n − 1)); round(P/n) at r = 0.

    With r = a/12: (1+r)^n = (12+a)^n / 12^n, so the formula equals
    P·a·(12+a)^n / (12·((12+a)^n − 12^n)), all exact but the last division.
    """
    if annual == 0:
        return fen(principal / n)
    grown = (TWELVE + annual) ** n
    base = TWELVE ** n
    return fen(principal * annual * grown / (TWELVE * (grown - base)))


def amortize(principal, annual, n, due_principal):
    lines, balance = [], principal
    for k in range(1, n + 1):
        interest = period_interest(balance, annual)
        if k == n:
            part = balance
        else:
            part = min(due_principal(interest), balance)
        balance -= part
        lines.append((k, part, interest))
    assert balance == 0
    return lines


def schedule(principal, annual, n, method):
    P, a = Decimal(principal), Decimal(annual)
    if method == "bullet":
        return [(n, P, period_interest(P, a, n))]
    if method == "interest_first":
        i = period_interest(P, a)
        return [(k, P if k == n else ZERO, i) for k in range(1, n + 1)]
    if method == "equal_principal":
        share = fen(P / n)
        return amortize(P, a, n, lambda _i: share)
    if method == "equal_installment":
        A = installment(P, a, n)
        return amortize(P, a, n, lambda i: A - i)
    raise ValueError(method)


def naive_installment(principal, annual, n):
    """The formula read literally at 60 digits (r truncated first): a diagnostic only."""
    with decimal.localcontext() as ctx:
        ctx.prec = 60
        P, a = Decimal(principal), Decimal(annual)
        if a == 0:
            return fen(P / n)
        r = a / TWELVE
        g = (1 + r) ** n
        return fen(P * r * g / (g - 1))


# (name, principal, annual rate, periods, method)
CASES = [
    ("design example: 100,000.00 at 12 % over 12 months", "100000.00", "0.12", 12, "equal_installment"),
    ("rate 0", "100000.00", "0", 12, "equal_installment"),
    ("one period", "5000.00", "0.18", 1, "equal_installment"),
    ("1.00 over 3 periods", "1.00", "0.12", 3, "equal_installment"),
    ("one fen over 3 periods", "0.01", "0.24", 3, "equal_installment"),
    ("largest principal, 36 %, 360 periods", "999999999999.99", "0.36", 360, "equal_installment"),
    ("10^12 at one millionth over 600 periods", "1000000000000.00", "0.000001", 600, "equal_installment"),
    ("six-place rate", "12345.67", "0.123456", 24, "equal_installment"),
    ("installment exactly 73.205 (10 %, non-terminating r)", "144.60", "0.1", 2, "equal_installment"),
    ("installment exactly 51.005 (12 %)", "100.50", "0.12", 2, "equal_installment"),
    ("mortgage-like, 360 periods", "250000.00", "0.0435", 360, "equal_installment"),
    ("balance runs out early at rate 0", "0.20", "0", 8, "equal_installment"),
    ("installment rounds to the interest alone: 36 % over 360", "1000.00", "0.36", 360, "equal_installment"),
    ("A rounded up compounds: paid off 8 periods early", "10000.00", "0.36", 360, "equal_installment"),
    ("A rounded up compounds at 12 % over 360", "1000.00", "0.12", 360, "equal_installment"),
    ("600 periods", "1000000.00", "0.049", 600, "equal_installment"),
    ("design example, equal principal", "100000.00", "0.12", 12, "equal_principal"),
    ("round(P/n) overshoots: 0.20 over 8", "0.20", "0.12", 8, "equal_principal"),
    ("1.00 over 3 periods, equal principal", "1.00", "0.1", 3, "equal_principal"),
    ("largest principal, equal principal, 360", "999999999999.99", "0.36", 360, "equal_principal"),
    ("six-place rate, odd term", "7777.77", "0.123457", 7, "equal_principal"),
    ("one fen, one period", "0.01", "0.05", 1, "equal_principal"),
    ("interest exactly half a fen", "0.60", "0.1", 1, "equal_principal"),
    ("design example, interest first", "100000.00", "0.12", 12, "interest_first"),
    ("interest first, half-fen interest", "0.60", "0.1", 4, "interest_first"),
    ("largest principal, interest first, 360", "999999999999.99", "0.35", 360, "interest_first"),
    ("interest first at rate 0", "1.00", "0", 3, "interest_first"),
    ("design example, bullet", "100000.00", "0.12", 12, "bullet"),
    ("bullet, one fen, one period", "0.01", "0.36", 1, "bullet"),
    ("bullet, largest principal at 100 % over 600", "999999999999.99", "1", 600, "bullet"),
    ("bullet, six-place rate", "3333.33", "0.075001", 5, "bullet"),
    ("bullet, one millionth", "1.00", "0.000001", 3, "bullet"),
]


def quote(text):
    """A JSON string literal; the texts written here are plain ASCII without quotes or backslashes."""
    assert text.isascii() and '"' not in text and "\\" not in text, text
    return '"' + text + '"'


def case_json(name, principal, annual, n, method, lines):
    head = (f'    {{"name": {quote(name)}, "principal": {quote(principal)}, "annual_rate": {quote(annual)}, '
            f'"periods": {n}, "method": {quote(method)}, "lines": [\n')
    body = ",\n".join(
        f'      {{"period": {k}, "principal": {quote(str(p))}, "interest": {quote(str(i))}, '
        f'"payment": {quote(str(p + i))}}}'
        for k, p, i in lines
    )
    return head + body + "\n    ]}"


def main():
    cases = []
    for name, principal, annual, n, method in CASES:
        lines = schedule(principal, annual, n, method)
        assert sum(p for _, p, _ in lines) == Decimal(principal), name
        assert all(p >= 0 and i >= 0 for _, p, i in lines), name
        if method == "equal_installment":
            exact = installment(Decimal(principal), Decimal(annual), n)
            naive = naive_installment(principal, annual, n)
            if exact != naive:
                print(f"note: {name}: A = {exact} exactly, {naive} with r truncated to 60 digits")
        if name.startswith("design example: "):
            assert all(str(p + i) == "8884.88" for _, p, i in lines[:-1]), lines[0]
        cases.append(case_json(name, principal, annual, n, method, lines))
    here = __file__.rsplit("/", 1)[0] + "/" if "/" in __file__ else ""
    path = here + "schedule_reference.json"
    with open(path, "w") as f:
        f.write('{\n  "generator": "contracts/tests/data/schedule_reference.py",\n  "cases": [\n')
        f.write(",\n".join(cases))
        f.write("\n  ]\n}\n")
    print(f"wrote {len(cases)} cases to {path}")


if __name__ == "__main__":
    main()
