//! The academic year (оқу жылы / учебный год) a campaign admits children for.

use chrono::{Datelike, NaiveDate};

use super::string_type;

/// Years outside this range are typing mistakes, not campaigns.
const FIRST_YEAR: i32 = 2000;
const LAST_YEAR: i32 = 2199;

/// Why a text is not an academic year.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AcademicYearError {
    #[error("academic year must look like 2026-2027")]
    Format,
    #[error("the second year must follow the first (2026-2027)")]
    NotConsecutive,
    #[error("academic year must start between {FIRST_YEAR} and {LAST_YEAR}")]
    OutOfRange,
}

impl AcademicYearError {
    pub fn message_key(&self) -> &'static str {
        match self {
            AcademicYearError::Format => "err-academic-year-format",
            AcademicYearError::NotConsecutive => "err-academic-year-consecutive",
            AcademicYearError::OutOfRange => "err-academic-year-range",
        }
    }
}

/// An academic year such as `2026-2027`; it starts on 1 September of its first year, the day
/// admission takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AcademicYear {
    start: i32,
    /// `YYYY-YYYY` in ASCII, kept so `as_str` can lend it like the other identifiers.
    text: [u8; 9],
}

impl AcademicYear {
    /// Parses `2026-2027` or `2026/2027` (also with spaces around the separator, or an en dash).
    pub fn parse(input: &str) -> Result<Self, AcademicYearError> {
        let text = input.trim();
        let (first, second) = text
            .split_once(['-', '/', '–'])
            .ok_or(AcademicYearError::Format)?;
        let year = |s: &str| -> Result<i32, AcademicYearError> {
            let s = s.trim();
            if s.len() != 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(AcademicYearError::Format);
            }
            s.parse().map_err(|_| AcademicYearError::Format)
        };
        let (start, end) = (year(first)?, year(second)?);
        if end != start + 1 {
            return Err(AcademicYearError::NotConsecutive);
        }
        Self::starting(start)
    }

    /// The academic year that starts on 1 September of `start_year`.
    pub fn starting(start_year: i32) -> Result<Self, AcademicYearError> {
        if !(FIRST_YEAR..=LAST_YEAR).contains(&start_year) {
            return Err(AcademicYearError::OutOfRange);
        }
        let mut text = [0u8; 9];
        let formatted = format!("{start_year:04}-{:04}", start_year + 1);
        text.copy_from_slice(formatted.as_bytes());
        Ok(AcademicYear {
            start: start_year,
            text,
        })
    }

    /// The academic year in progress on `date`, counting the summer to the year that is ending:
    /// a child admitted on `date` studies in this year. 1 September 2026 → 2026-2027,
    /// 31 August 2026 → 2025-2026. Dates outside 2000–2199 give `OutOfRange`.
    pub fn for_admission_date(date: NaiveDate) -> Result<Self, AcademicYearError> {
        let start = if date.month() >= 9 {
            date.year()
        } else {
            date.year() - 1
        };
        Self::starting(start)
    }

    /// The first academic year that starts on or after `date`: the intake a first-grade
    /// application made on `date` is for. 1 April 2026 → 2026-2027, 1 September 2026 →
    /// 2026-2027, 2 September 2026 → 2027-2028.
    pub fn next_intake_on_or_after(date: NaiveDate) -> Result<Self, AcademicYearError> {
        let this_year = Self::starting(date.year())?;
        if date <= this_year.starts_on() {
            Ok(this_year)
        } else {
            Self::starting(date.year() + 1)
        }
    }

    pub fn start_year(&self) -> i32 {
        self.start
    }

    pub fn end_year(&self) -> i32 {
        self.start + 1
    }

    /// 1 September of the start year: admission takes effect on this day.
    pub fn starts_on(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.start, 9, 1).unwrap_or(NaiveDate::MIN)
    }

    /// Canonical form `2026-2027`.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.text).unwrap_or("")
    }

    pub fn next(&self) -> Result<Self, AcademicYearError> {
        Self::starting(self.start + 1)
    }
}

string_type!(AcademicYear, AcademicYearError);

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn parses_common_forms() {
        for text in ["2026-2027", "2026/2027", " 2026 - 2027 ", "2026–2027"] {
            let year = AcademicYear::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(year.as_str(), "2026-2027");
            assert_eq!(year.to_string(), "2026-2027");
            assert_eq!(year.start_year(), 2026);
            assert_eq!(year.end_year(), 2027);
            assert_eq!(year.starts_on(), date(2026, 9, 1));
        }
    }

    #[test]
    fn rejects() {
        let cases = [
            ("", AcademicYearError::Format),
            ("2026", AcademicYearError::Format),
            ("26-27", AcademicYearError::Format),
            ("2026-27", AcademicYearError::Format),
            ("+2026-2027", AcademicYearError::Format),
            ("2026-2027-2028", AcademicYearError::Format),
            ("２０２６-2027", AcademicYearError::Format),
            ("2026-2028", AcademicYearError::NotConsecutive),
            ("2027-2026", AcademicYearError::NotConsecutive),
            ("1999-2000", AcademicYearError::OutOfRange),
            ("2200-2201", AcademicYearError::OutOfRange),
        ];
        for (text, expected) in cases {
            assert_eq!(AcademicYear::parse(text), Err(expected.clone()), "{text:?}");
            assert!(expected.message_key().starts_with("err-academic-year-"));
        }
    }

    #[test]
    fn year_of_a_date() {
        let cases = [
            (date(2026, 9, 1), 2026, 2026),
            (date(2026, 8, 31), 2025, 2026),
            (date(2026, 4, 1), 2025, 2026),
            (date(2026, 9, 2), 2026, 2027),
            (date(2027, 1, 15), 2026, 2027),
            (date(2026, 12, 31), 2026, 2027),
        ];
        for (d, admission, intake) in cases {
            assert_eq!(
                AcademicYear::for_admission_date(d).unwrap().start_year(),
                admission,
                "{d}"
            );
            assert_eq!(
                AcademicYear::next_intake_on_or_after(d)
                    .unwrap()
                    .start_year(),
                intake,
                "{d}"
            );
        }
    }

    #[test]
    fn ordering_and_serde() {
        let a = AcademicYear::parse("2025-2026").unwrap();
        let b = a.next().unwrap();
        assert!(a < b);
        assert_eq!(b.as_str(), "2026-2027");
        assert_eq!(serde_json::to_string(&b).unwrap(), "\"2026-2027\"");
        assert_eq!(
            serde_json::from_str::<AcademicYear>("\"2026/2027\"").unwrap(),
            b
        );
    }
}
