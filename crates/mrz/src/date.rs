//! A small calendar date type and the MRZ `YYMMDD` century inference.

use serde::{Serialize, Serializer};
use std::fmt;

/// A calendar date (proleptic Gregorian). Displays and serialises as `yyyy-MM-dd`.
///
/// Construct it with [`Date::new`], which rejects impossible dates
/// (month 13, day 32, 30 February, 29 February in a common year).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year, e.g. `1974`.
    pub year: i32,
    /// Month, 1-12.
    pub month: u32,
    /// Day of the month, 1-31.
    pub day: u32,
}

impl Date {
    /// A validated date, or `None` if the month or the day does not exist.
    ///
    /// ```
    /// use kyc_mrz::Date;
    /// assert!(Date::new(2024, 2, 29).is_some());
    /// assert!(Date::new(2023, 2, 29).is_none());
    /// assert!(Date::new(2023, 13, 1).is_none());
    /// ```
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// The date `days` days after 1970-01-01 (negative: before), by
    /// H. Hinnant's civil-from-days algorithm.
    ///
    /// ```
    /// use kyc_mrz::Date;
    /// assert_eq!(Date::from_unix_days(0), Date::new(1970, 1, 1).unwrap());
    /// assert_eq!(Date::from_unix_days(11_016), Date::new(2000, 2, 29).unwrap());
    /// assert_eq!(Date::from_unix_days(19_782), Date::new(2024, 2, 29).unwrap());
    /// assert_eq!(Date::from_unix_days(-1), Date::new(1969, 12, 31).unwrap());
    /// assert_eq!(Date::from_unix_days(20_780), Date::new(2026, 11, 23).unwrap());
    /// ```
    pub fn from_unix_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let y = (yoe + era * 400 + i64::from(m <= 2)) as i32;
        Date::new(y, m, d).unwrap_or(Date {
            year: 1970,
            month: 1,
            day: 1,
        })
    }

    /// Today's date in UTC from the system clock (1970-01-01 if the clock
    /// is before the epoch). The parser never calls it: callers pass the
    /// reference date in [`crate::ParseOptions`].
    pub fn today_utc() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        Date::from_unix_days(secs.div_euclid(86_400))
    }

    /// Parses `yyyy-MM-dd` (four-digit year, two-digit month and day), validating the date.
    ///
    /// ```
    /// use kyc_mrz::Date;
    /// assert_eq!(Date::from_iso("2026-11-23"), Date::new(2026, 11, 23));
    /// assert_eq!(Date::from_iso("2001-05-99"), None);
    /// ```
    pub fn from_iso(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = &b[r];
            if !part.iter().all(u8::is_ascii_digit) {
                return None;
            }
            part.iter()
                .try_fold(0u32, |acc, d| Some(acc * 10 + u32::from(d - b'0')))
        };
        let year = i32::try_from(num(0..4)?).ok()?;
        Date::new(year, num(5..7)?, num(8..10)?)
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Which century rule applies to a `YYMMDD` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateKind {
    /// Birth date: the latest century that does not put the date after the reference date.
    Birth,
    /// Expiry date: always 20YY.
    Expiry,
}

/// The result of reading a six-character MRZ date field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MrzDate {
    /// A real date.
    Valid(Date),
    /// All six positions are fillers: date unknown (allowed by ICAO 9303).
    Unknown,
    /// Digits that do not form a date (month 13, day 32, 30 February, …).
    Invalid,
    /// Characters other than digits (an OCR error or a garbled field).
    NotNumeric,
}

/// Reads `YYMMDD` with century inference.
///
/// Birth dates: with `C` the reference date's century, `C + YY` unless that
/// is after the reference date, then `C - 100 + YY`. For reference dates in
/// 2000-2099 this is "YY <= reference YY -> 20YY else 19YY", refined so that
/// a birth date later in the reference year itself goes to the previous
/// century (a birth date is never in the future). Expiry dates: always 20YY.
pub(crate) fn read_mrz_date(field: &[u8], kind: DateKind, reference: Date) -> MrzDate {
    if field.len() != 6 {
        return MrzDate::NotNumeric;
    }
    if field.iter().all(|&c| c == b'<') {
        return MrzDate::Unknown;
    }
    if !field.iter().all(u8::is_ascii_digit) {
        return MrzDate::NotNumeric;
    }
    let two = |i: usize| u32::from(field[i] - b'0') * 10 + u32::from(field[i + 1] - b'0');
    let (yy, mm, dd) = (two(0), two(2), two(4));
    // yy < 100, so the conversion cannot fail.
    let yy = i32::try_from(yy).unwrap_or(0);
    let year = match kind {
        DateKind::Expiry => 2000 + yy,
        DateKind::Birth => {
            let century = reference.year - reference.year.rem_euclid(100);
            let candidate = century + yy;
            if (candidate, mm, dd) > (reference.year, reference.month, reference.day) {
                candidate - 100
            } else {
                candidate
            }
        }
    };
    match Date::new(year, mm, dd) {
        Some(d) => MrzDate::Valid(d),
        None => MrzDate::Invalid,
    }
}

/// Formats a date as `YYMMDD` (year modulo 100).
pub(crate) fn to_yymmdd(d: Date) -> String {
    format!("{:02}{:02}{:02}", d.year.rem_euclid(100), d.month, d.day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r() -> Date {
        Date::new(2026, 11, 23).unwrap()
    }

    #[test]
    fn validation() {
        assert!(Date::new(2000, 2, 29).is_some());
        assert!(Date::new(1900, 2, 29).is_none());
        assert!(Date::new(2024, 2, 30).is_none());
        assert!(Date::new(2024, 4, 31).is_none());
        assert!(Date::new(2024, 0, 1).is_none());
        assert!(Date::new(2024, 1, 0).is_none());
        assert!(Date::new(2024, 12, 32).is_none());
    }

    #[test]
    fn display_and_serialise() {
        let d = Date::new(1974, 8, 12).unwrap();
        assert_eq!(d.to_string(), "1974-08-12");
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"1974-08-12\"");
    }

    #[test]
    fn century_inference() {
        let birth = |s: &str| read_mrz_date(s.as_bytes(), DateKind::Birth, r());
        assert_eq!(
            birth("740812"),
            MrzDate::Valid(Date::new(1974, 8, 12).unwrap())
        );
        assert_eq!(
            birth("110101"),
            MrzDate::Valid(Date::new(2011, 1, 1).unwrap())
        );
        assert_eq!(
            birth("261123"),
            MrzDate::Valid(Date::new(2026, 11, 23).unwrap())
        );
        // Later in the reference year: not in the future, so the previous century.
        assert_eq!(
            birth("261124"),
            MrzDate::Valid(Date::new(1926, 11, 24).unwrap())
        );
        assert_eq!(
            birth("270101"),
            MrzDate::Valid(Date::new(1927, 1, 1).unwrap())
        );
        let exp = |s: &str| read_mrz_date(s.as_bytes(), DateKind::Expiry, r());
        assert_eq!(
            exp("950712"),
            MrzDate::Valid(Date::new(2095, 7, 12).unwrap())
        );
        assert_eq!(
            exp("000229"),
            MrzDate::Valid(Date::new(2000, 2, 29).unwrap())
        );
    }

    #[test]
    fn invalid_and_unknown() {
        let birth = |s: &str| read_mrz_date(s.as_bytes(), DateKind::Birth, r());
        assert_eq!(birth("741312"), MrzDate::Invalid);
        assert_eq!(birth("740832"), MrzDate::Invalid);
        assert_eq!(birth("740230"), MrzDate::Invalid);
        assert_eq!(birth("74O812"), MrzDate::NotNumeric);
        assert_eq!(birth("<<<<<<"), MrzDate::Unknown);
        assert_eq!(birth("7408"), MrzDate::NotNumeric);
    }

    #[test]
    fn iso_parse() {
        assert_eq!(Date::from_iso("1974-08-12"), Date::new(1974, 8, 12));
        assert_eq!(Date::from_iso("1974-O8-12"), None);
        assert_eq!(Date::from_iso("1974-8-12"), None);
        assert_eq!(Date::from_iso("é974-08-12"), None);
    }

    #[test]
    fn yymmdd() {
        assert_eq!(to_yymmdd(Date::new(2034, 3, 14).unwrap()), "340314");
        assert_eq!(to_yymmdd(Date::new(1990, 3, 15).unwrap()), "900315");
    }
}
