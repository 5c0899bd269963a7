//! Civil dates of the proleptic Gregorian calendar, as day numbers since 1970-01-01.
//!
//! Howard Hinnant's `days_from_civil` / `civil_from_days` ("chrono-Compatible Low-Level Date
//! Algorithms", <https://howardhinnant.github.io/date_algorithms.html>): the year is shifted to
//! start on March 1st, so the leap day is the last day of the shifted year, and a 400-year era
//! (146,097 days) is split into years by integer arithmetic alone. No time zone database, no
//! clock: the caller adds the fixed UTC+8 offset (DESIGN §6, calendar-month periods).
//!
//! Valid for every date whose day number fits an `i64` with room for the arithmetic (far beyond
//! any year a loan can reach); months are 1..=12, days 1..=31.

/// Days in one 400-year era of the Gregorian calendar.
const DAYS_PER_ERA: i64 = 146_097;
/// Day number (from 0000-03-01) of 1970-01-01.
const UNIX_EPOCH_SHIFT: i64 = 719_468;

/// Day number of `year-month-day`, counted from 1970-01-01 (day 0; earlier days are negative).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    debug_assert!((1..=12).contains(&month) && (1..=31).contains(&day));
    // The shifted year starts in March, so January and February belong to the previous one.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // year of era, [0, 399]
    let mp = i64::from((month + 9) % 12); // month from March, [0, 11]
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1; // day of shifted year, [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // day of era, [0, 146096]
    era * DAYS_PER_ERA + doe - UNIX_EPOCH_SHIFT
}

/// The `(year, month, day)` of day number `days` (0 = 1970-01-01); the inverse of
/// [`days_from_civil`].
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + UNIX_EPOCH_SHIFT;
    let era = z.div_euclid(DAYS_PER_ERA);
    let doe = z - era * DAYS_PER_ERA; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let day = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month as u32, day as u32)
}

/// Unix milliseconds as `YYYY-MM-DD HH:MM:SS` in UTC, the milliseconds dropped: the one formatter
/// of times for people (seal error messages, loanctl's tables).
pub fn format_utc(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64); // below 2.2·10^11 days: fits an i64
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// True for Gregorian leap years (divisible by 4, except centuries not divisible by 400).
pub(crate) fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Number of days of `month` (1..=12) in `year`.
pub(crate) fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The date `months` calendar months after `(year, month, day)`, with the day clamped to the end
/// of the target month (Jan 31 + 1 month = Feb 28, or Feb 29 in a leap year).
pub(crate) fn add_months(year: i64, month: u32, day: u32, months: u32) -> (i64, u32, u32) {
    let index = year * 12 + i64::from(month - 1) + i64::from(months);
    let (y, m) = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
    (y, m, day.min(days_in_month(y, m)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Day numbers checked against Python's `datetime.date.toordinal()` − that of 1970-01-01.
    const KNOWN: [((i64, u32, u32), i64); 9] = [
        ((1970, 1, 1), 0),
        ((1969, 12, 31), -1),
        ((2000, 2, 29), 11_016),
        ((2000, 3, 1), 11_017),
        ((1900, 3, 1), -25_508),
        ((2023, 12, 31), 19_722),
        ((2024, 2, 29), 19_782),
        ((2100, 3, 1), 47_541),
        ((1600, 1, 1), -135_140),
    ];

    #[test]
    fn known_dates_convert_both_ways() {
        for ((y, m, d), days) in KNOWN {
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
            assert_eq!(civil_from_days(days), (y, m, d), "day {days}");
        }
    }

    #[test]
    fn every_day_of_five_centuries_round_trips_and_follows_the_previous() {
        let (start, end) = (days_from_civil(1800, 1, 1), days_from_civil(2300, 12, 31));
        let mut prev = civil_from_days(start - 1);
        for z in start..=end {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
            assert!(d >= 1 && d <= days_in_month(y, m));
            let next_of_prev = if prev.2 < days_in_month(prev.0, prev.1) {
                (prev.0, prev.1, prev.2 + 1)
            } else if prev.1 < 12 {
                (prev.0, prev.1 + 1, 1)
            } else {
                (prev.0 + 1, 1, 1)
            };
            assert_eq!((y, m, d), next_of_prev);
            prev = (y, m, d);
        }
    }

    #[test]
    fn leap_years_follow_the_gregorian_rule() {
        assert!(is_leap_year(2024) && is_leap_year(2000) && is_leap_year(1600));
        assert!(!is_leap_year(2023) && !is_leap_year(1900) && !is_leap_year(2100));
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2100, 2), 28);
    }

    #[test]
    fn adding_months_clamps_to_the_month_end() {
        assert_eq!(add_months(2024, 1, 31, 1), (2024, 2, 29));
        assert_eq!(add_months(2023, 1, 31, 1), (2023, 2, 28));
        assert_eq!(add_months(2024, 1, 31, 2), (2024, 3, 31));
        assert_eq!(add_months(2024, 3, 31, 1), (2024, 4, 30));
        assert_eq!(add_months(2023, 12, 15, 1), (2024, 1, 15));
        assert_eq!(add_months(2023, 11, 30, 3), (2024, 2, 29));
        assert_eq!(add_months(2024, 2, 29, 12), (2025, 2, 28));
        assert_eq!(add_months(2024, 5, 10, 0), (2024, 5, 10));
        assert_eq!(add_months(2000, 1, 1, 600), (2050, 1, 1));
    }
}
