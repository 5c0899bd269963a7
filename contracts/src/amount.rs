//! Money in fen precision and interest rates, as `rust_decimal::Decimal` (never a float).
//!
//! - [`Money`] is a non-negative sum with exactly two decimal places: balances, escrows, the parts of
//!   a schedule or a split.
//! - [`Amount`] is money a transaction names: strictly positive and at most 10^12 (DESIGN §5).
//! - [`Rate`] is a non-negative rate with at most six decimal places, at most 1 (100 %).
//!
//! JSON carries all three as strings ("8884.88", "0.12"); bcs carries money as a u64 count of fen
//! and rates as a u64 count of millionths, so that every value has exactly one encoding.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Largest amount a single transaction may name: 10^12 CNY.
pub const MAX_AMOUNT_YUAN: i64 = 1_000_000_000_000;
/// Largest balance the ledger can hold: 10^15 CNY (10^17 fen fits a u64 with room to spare).
const MAX_MONEY_FEN: u64 = 100_000_000_000_000_000;

/// A non-negative sum of money with exactly two decimal places.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(Decimal);

impl Money {
    /// Zero yuan.
    pub const ZERO: Money = Money(Decimal::from_parts(0, 0, 0, false, 2));

    /// `fen` hundredths of a yuan.
    pub fn from_fen(fen: u64) -> Result<Money, Error> {
        if fen > MAX_MONEY_FEN {
            return Err(Error::Overflow { what: "money" });
        }
        Ok(Money(Decimal::new(fen as i64, 2)))
    }

    /// Whole yuan, for tests and fixtures.
    pub fn yuan(yuan: u64) -> Money {
        Money::from_fen(yuan.saturating_mul(100)).unwrap_or(Money::ZERO)
    }

    /// Exactly `d`, if it is non-negative, has at most two decimal places and is within range.
    pub fn from_decimal(d: Decimal) -> Result<Money, Error> {
        let d = d.normalize();
        if d.is_sign_negative() && !d.is_zero() {
            return Err(Error::InvalidAmount { value: d.to_string(), reason: "is negative" });
        }
        if d.scale() > 2 {
            return Err(Error::InvalidAmount { value: d.to_string(), reason: "has more than 2 decimal places (fen)" });
        }
        let mut d = d.abs();
        d.rescale(2);
        if d.mantissa() > MAX_MONEY_FEN as i128 {
            return Err(Error::InvalidAmount { value: d.to_string(), reason: "is too large" });
        }
        Ok(Money(d))
    }

    /// `d` rounded half-up to the fen (DESIGN §6: every schedule amount is rounded half-up).
    /// Negative values are an arithmetic error of the caller.
    pub fn round_half_up(d: Decimal) -> Result<Money, Error> {
        Money::from_decimal(d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero))
    }

    /// `d` rounded down to the fen (the floor of a pro-rata share).
    pub fn floor(d: Decimal) -> Result<Money, Error> {
        Money::from_decimal(d.round_dp_with_strategy(2, RoundingStrategy::ToZero))
    }

    /// The value as a decimal with scale 2.
    pub fn decimal(self) -> Decimal {
        self.0
    }

    /// The value in fen.
    pub fn fen(self) -> u64 {
        // The invariant (scale 2, 0 ≤ mantissa ≤ MAX_MONEY_FEN) makes this exact.
        self.0.mantissa() as u64
    }

    /// True for zero.
    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// `self + other`, or an overflow error past 10^15 CNY.
    pub fn checked_add(self, other: Money) -> Result<Money, Error> {
        Money::from_fen(self.fen() + other.fen())
    }

    /// `self - other`, or `None` if that would be negative.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.fen().checked_sub(other.fen()).map(|f| Money(Decimal::new(f as i64, 2)))
    }

    /// `self - other`, floored at zero.
    pub fn saturating_sub(self, other: Money) -> Money {
        self.checked_sub(other).unwrap_or(Money::ZERO)
    }

    /// The smaller of the two.
    pub fn min(self, other: Money) -> Money {
        if self <= other { self } else { other }
    }

    /// Sum of an iterator of money.
    pub fn sum<I: IntoIterator<Item = Money>>(items: I) -> Result<Money, Error> {
        items.into_iter().try_fold(Money::ZERO, Money::checked_add)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Money {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let d = Decimal::from_str_exact(s.trim())
            .map_err(|_| Error::InvalidAmount { value: s.to_string(), reason: "is not a decimal number" })?;
        Money::from_decimal(d)
    }
}

impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() { s.serialize_str(&self.to_string()) } else { s.serialize_u64(self.fen()) }
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
            s.parse().map_err(serde::de::Error::custom)
        } else {
            Money::from_fen(u64::deserialize(d)?).map_err(serde::de::Error::custom)
        }
    }
}

#[cfg(feature = "json-schema")]
impl schemars::JsonSchema for Money {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Money".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[0-9]+(\\.[0-9]{1,2})?$",
            "description": "CNY (yuan) with at most two decimals (fen), e.g. \"1000.00\"",
        })
    }
}

#[cfg(feature = "json-schema")]
impl schemars::JsonSchema for Rate {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Rate".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[0-9]+(\\.[0-9]{1,6})?$",
            "description": "a rate from 0 to 1 with at most six decimals, e.g. \"0.12\"",
        })
    }
}

/// Money named by a transaction: strictly positive, at most 10^12 CNY, at most two places.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct Amount(Money);

impl Amount {
    /// Validates `m` as a transaction amount.
    pub fn new(m: Money) -> Result<Amount, Error> {
        if m.is_zero() {
            return Err(Error::InvalidAmount { value: m.to_string(), reason: "must be positive" });
        }
        if m.decimal() > Decimal::from(MAX_AMOUNT_YUAN) {
            return Err(Error::InvalidAmount { value: m.to_string(), reason: "exceeds 10^12 CNY" });
        }
        Ok(Amount(m))
    }

    /// Whole yuan, for tests and fixtures; panics on zero or out of range.
    pub fn yuan(yuan: u64) -> Amount {
        Amount::new(Money::yuan(yuan)).expect("a positive whole-yuan amount within 10^12")
    }

    /// The amount as money.
    pub fn money(self) -> Money {
        self.0
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl FromStr for Amount {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Amount::new(s.parse()?)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Amount::new(Money::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A rate (annual interest, daily penalty, risk margin): 0 ≤ r ≤ 1, at most six decimal places.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Rate(Decimal);

impl Rate {
    const SCALE: u32 = 6;
    const MAX_MILLIONTHS: u64 = 1_000_000;

    /// Zero.
    pub const ZERO: Rate = Rate(Decimal::from_parts(0, 0, 0, false, 6));

    /// `millionths` / 10^6.
    pub fn from_millionths(millionths: u64) -> Result<Rate, Error> {
        if millionths > Self::MAX_MILLIONTHS {
            return Err(Error::InvalidRate { value: format!("{millionths}e-6"), reason: "exceeds 1 (100 %)" });
        }
        Ok(Rate(Decimal::new(millionths as i64, Self::SCALE)))
    }

    /// Exactly `d`, if it is in range with at most six places.
    pub fn from_decimal(d: Decimal) -> Result<Rate, Error> {
        let d = d.normalize();
        if d.is_sign_negative() && !d.is_zero() {
            return Err(Error::InvalidRate { value: d.to_string(), reason: "is negative" });
        }
        if d.scale() > Self::SCALE {
            return Err(Error::InvalidRate { value: d.to_string(), reason: "has more than 6 decimal places" });
        }
        if d > Decimal::ONE {
            return Err(Error::InvalidRate { value: d.to_string(), reason: "exceeds 1 (100 %)" });
        }
        let mut d = d.abs();
        d.rescale(Self::SCALE);
        Ok(Rate(d))
    }

    /// The rate as a decimal.
    pub fn decimal(self) -> Decimal {
        self.0
    }

    /// The rate in millionths.
    pub fn millionths(self) -> u64 {
        self.0.mantissa() as u64
    }

    /// True for zero.
    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.normalize(), f)
    }
}

impl fmt::Debug for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Rate({self})")
    }
}

impl FromStr for Rate {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let d = Decimal::from_str_exact(s.trim())
            .map_err(|_| Error::InvalidRate { value: s.to_string(), reason: "is not a decimal number" })?;
        Rate::from_decimal(d)
    }
}

impl Serialize for Rate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() { s.serialize_str(&self.to_string()) } else { s.serialize_u64(self.millionths()) }
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
            s.parse().map_err(serde::de::Error::custom)
        } else {
            Rate::from_millionths(u64::deserialize(d)?).map_err(serde::de::Error::custom)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_parses_fen_and_rejects_the_rest() {
        assert_eq!("10".parse::<Money>().unwrap().to_string(), "10.00");
        assert_eq!("10.5".parse::<Money>().unwrap().fen(), 1050);
        assert!("10.555".parse::<Money>().is_err());
        assert!("-1".parse::<Money>().is_err());
        assert!("1e3".parse::<Money>().is_err());
        assert!("abc".parse::<Money>().is_err());
        assert!("0".parse::<Amount>().is_err());
        assert!("1000000000000.01".parse::<Amount>().is_err());
        assert!("1000000000000".parse::<Amount>().is_ok());
    }

    #[test]
    fn money_encodes_canonically() {
        let a: Money = "10.5".parse().unwrap();
        let b: Money = "10.50".parse().unwrap();
        assert_eq!(bcs::to_bytes(&a).unwrap(), bcs::to_bytes(&b).unwrap());
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"10.50\"");
        let back: Money = bcs::from_bytes(&bcs::to_bytes(&a).unwrap()).unwrap();
        assert_eq!(back, a);
    }

    #[test]
    fn rounding_is_half_up_to_the_fen() {
        let r = |s: &str| Money::round_half_up(s.parse().unwrap()).unwrap().to_string();
        assert_eq!(r("1.005"), "1.01");
        assert_eq!(r("1.0049"), "1.00");
        assert_eq!(r("2.675"), "2.68");
        assert_eq!(Money::floor("1.019".parse().unwrap()).unwrap().to_string(), "1.01");
    }

    #[test]
    fn rates_are_bounded() {
        assert_eq!("0.12".parse::<Rate>().unwrap().millionths(), 120_000);
        assert!("0.1234567".parse::<Rate>().is_err());
        assert!("1.5".parse::<Rate>().is_err());
        assert!("-0.1".parse::<Rate>().is_err());
        assert_eq!(serde_json::to_string(&"0.12".parse::<Rate>().unwrap()).unwrap(), "\"0.12\"");
    }

    #[test]
    fn subtraction_never_goes_negative() {
        assert_eq!(Money::yuan(1).checked_sub(Money::yuan(2)), None);
        assert_eq!(Money::yuan(3).checked_sub(Money::yuan(2)), Some(Money::yuan(1)));
    }
}
