//! Who may enter first grade (DOMAIN.md §4): children who are seven, and children who turn six
//! in the calendar year of admission, with no entrance tests. A child who turns six only after
//! 1 September enters at the parents' wish; a younger child is not eligible (explained, not
//! refused silently); an older child is admitted and flagged for the school's attention.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::application::Grade;
use crate::codes::MessageArg;
use crate::ids::AcademicYear;

/// From this age in full years on 1 September a first-grader is older than usual (a child
/// born in January of the year of turning seven is 7 years 8 months; 8 means a year late).
pub const OLDER_THAN_USUAL_YEARS: u32 = 8;

/// Age on 1 September of the academic year, in full years and months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AgeOnStart {
    pub years: u32,
    pub months: u32,
}

/// The outcome of the age rule, with what is needed to explain it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum AgeAssessment {
    /// Turns six in the year of admission (on or before 1 September) or is older.
    Eligible { age: AgeOnStart },
    /// Turns six in the year of admission but after 1 September: eligible if the parents
    /// confirm they want the child to start now.
    NeedsParentConfirmation {
        age: AgeOnStart,
        turns_six_on: NaiveDate,
    },
    /// Eligible, but at least [`OLDER_THAN_USUAL_YEARS`] on 1 September: the school should
    /// know (a late start, a return from abroad, special needs).
    OlderThanUsual { age: AgeOnStart },
    /// Turns six only in a later calendar year; `earliest_year` is the first intake the child
    /// can apply for.
    TooYoung {
        age: AgeOnStart,
        turns_six_on: NaiveDate,
        earliest_year: Option<AcademicYear>,
    },
    /// Grades above the first have no age rule: the previous school's documents decide.
    NoAgeRule,
}

impl AgeAssessment {
    pub fn is_eligible(&self) -> bool {
        !matches!(self, AgeAssessment::TooYoung { .. })
    }

    pub fn needs_parent_confirmation(&self) -> bool {
        matches!(self, AgeAssessment::NeedsParentConfirmation { .. })
    }

    pub fn flag_for_school(&self) -> bool {
        matches!(self, AgeAssessment::OlderThanUsual { .. })
    }

    /// Age on 1 September, when the rule applied.
    pub fn age(&self) -> Option<AgeOnStart> {
        match self {
            AgeAssessment::Eligible { age }
            | AgeAssessment::NeedsParentConfirmation { age, .. }
            | AgeAssessment::OlderThanUsual { age }
            | AgeAssessment::TooYoung { age, .. } => Some(*age),
            AgeAssessment::NoAgeRule => None,
        }
    }

    /// Fluent key of the explanation; see [`AgeAssessment::message_args`] for its variables.
    pub fn message_key(&self) -> &'static str {
        match self {
            AgeAssessment::Eligible { .. } => "age-eligible",
            AgeAssessment::NeedsParentConfirmation { .. } => "age-needs-parent-confirmation",
            AgeAssessment::OlderThanUsual { .. } => "age-older-than-usual",
            AgeAssessment::TooYoung { .. } => "age-too-young",
            AgeAssessment::NoAgeRule => "age-no-rule",
        }
    }

    /// Variables of the message: `years`, `months` (numbers: age on 1 September),
    /// `turns_six_on` (a date) and `earliest_year` (text `2027-2028`) where they apply.
    pub fn message_args(&self) -> Vec<(&'static str, MessageArg)> {
        let mut args = Vec::new();
        if let Some(age) = self.age() {
            args.push(("years", MessageArg::Number(i64::from(age.years))));
            args.push(("months", MessageArg::Number(i64::from(age.months))));
        }
        match self {
            AgeAssessment::NeedsParentConfirmation { turns_six_on, .. } => {
                args.push(("turns_six_on", MessageArg::Date(*turns_six_on)));
            }
            AgeAssessment::TooYoung {
                turns_six_on,
                earliest_year,
                ..
            } => {
                args.push(("turns_six_on", MessageArg::Date(*turns_six_on)));
                if let Some(year) = earliest_year {
                    args.push(("earliest_year", MessageArg::Text(year.to_string())));
                }
            }
            _ => {}
        }
        args
    }
}

/// Age in full years and months on `on`; zero if not yet born.
pub fn age_on(birth_date: NaiveDate, on: NaiveDate) -> AgeOnStart {
    let mut months = (i64::from(on.year()) - i64::from(birth_date.year())) * 12
        + i64::from(on.month())
        - i64::from(birth_date.month());
    if on.day() < birth_date.day() {
        months -= 1;
    }
    let months = u32::try_from(months.max(0)).unwrap_or(u32::MAX);
    AgeOnStart {
        years: months / 12,
        months: months % 12,
    }
}

/// The day the child turns six. Someone born on 29 February turns six on 1 March in a common
/// year (the day after 28 February, when the 29th would have passed).
fn sixth_birthday(birth_date: NaiveDate) -> Option<NaiveDate> {
    let year = birth_date.year() + 6;
    NaiveDate::from_ymd_opt(year, birth_date.month(), birth_date.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, 3, 1))
}

/// The first-grade age rule for a child born on `birth_date` applying for `academic_year`.
pub fn assess_age(birth_date: NaiveDate, academic_year: AcademicYear) -> AgeAssessment {
    let start = academic_year.starts_on();
    let age = age_on(birth_date, start);
    let turns_six_on = sixth_birthday(birth_date).unwrap_or(NaiveDate::MAX);
    let year_of_six = birth_date.year().saturating_add(6);
    if year_of_six > academic_year.start_year() {
        return AgeAssessment::TooYoung {
            age,
            turns_six_on,
            earliest_year: AcademicYear::starting(year_of_six).ok(),
        };
    }
    if turns_six_on > start {
        return AgeAssessment::NeedsParentConfirmation { age, turns_six_on };
    }
    if age.years >= OLDER_THAN_USUAL_YEARS {
        return AgeAssessment::OlderThanUsual { age };
    }
    AgeAssessment::Eligible { age }
}

/// The age rule for any grade: first grade as [`assess_age`], other grades have none.
pub fn assess_for_grade(
    grade: Grade,
    birth_date: NaiveDate,
    academic_year: AcademicYear,
) -> AgeAssessment {
    if grade.is_first() {
        assess_age(birth_date, academic_year)
    } else {
        AgeAssessment::NoAgeRule
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn age(years: u32, months: u32) -> AgeOnStart {
        AgeOnStart { years, months }
    }

    #[test]
    fn table_for_2026_2027() {
        let year = AcademicYear::parse("2026-2027").unwrap();
        let intake_2027 = AcademicYear::parse("2027-2028").ok();
        let cases = [
            // Turns six on or before 1 September 2026.
            (date(2020, 1, 1), AgeAssessment::Eligible { age: age(6, 8) }),
            (date(2020, 9, 1), AgeAssessment::Eligible { age: age(6, 0) }),
            (
                date(2020, 3, 15),
                AgeAssessment::Eligible { age: age(6, 5) },
            ),
            // Seven.
            (
                date(2019, 3, 15),
                AgeAssessment::Eligible { age: age(7, 5) },
            ),
            (date(2019, 1, 1), AgeAssessment::Eligible { age: age(7, 8) }),
            (
                date(2018, 9, 2),
                AgeAssessment::Eligible { age: age(7, 11) },
            ),
            // Turns six after 1 September 2026: the parents confirm.
            (
                date(2020, 9, 2),
                AgeAssessment::NeedsParentConfirmation {
                    age: age(5, 11),
                    turns_six_on: date(2026, 9, 2),
                },
            ),
            (
                date(2020, 12, 31),
                AgeAssessment::NeedsParentConfirmation {
                    age: age(5, 8),
                    turns_six_on: date(2026, 12, 31),
                },
            ),
            // Too young: turns six in 2027.
            (
                date(2021, 1, 1),
                AgeAssessment::TooYoung {
                    age: age(5, 8),
                    turns_six_on: date(2027, 1, 1),
                    earliest_year: intake_2027,
                },
            ),
            (
                date(2026, 10, 1),
                AgeAssessment::TooYoung {
                    age: age(0, 0),
                    turns_six_on: date(2032, 10, 1),
                    earliest_year: AcademicYear::parse("2032-2033").ok(),
                },
            ),
            // Older than usual: eight or more on 1 September.
            (
                date(2018, 9, 1),
                AgeAssessment::OlderThanUsual { age: age(8, 0) },
            ),
            (
                date(2015, 5, 20),
                AgeAssessment::OlderThanUsual { age: age(11, 3) },
            ),
        ];
        for (birth, expected) in cases {
            assert_eq!(assess_age(birth, year), expected, "born {birth}");
        }
    }

    #[test]
    fn leap_day_birth() {
        // Born 29 Feb 2020: turns six on 1 Mar 2026 (2026 has no 29 Feb), well before September.
        let year = AcademicYear::parse("2026-2027").unwrap();
        assert_eq!(sixth_birthday(date(2020, 2, 29)), Some(date(2026, 3, 1)));
        assert_eq!(
            assess_age(date(2020, 2, 29), year),
            AgeAssessment::Eligible { age: age(6, 6) }
        );
    }

    #[test]
    fn flags_and_keys() {
        let year = AcademicYear::parse("2026-2027").unwrap();
        let young = assess_age(date(2021, 1, 1), year);
        assert!(!young.is_eligible());
        assert_eq!(young.message_key(), "age-too-young");
        assert_eq!(
            young.message_args(),
            vec![
                ("years", MessageArg::Number(5)),
                ("months", MessageArg::Number(8)),
                ("turns_six_on", MessageArg::Date(date(2027, 1, 1))),
                ("earliest_year", MessageArg::Text("2027-2028".to_owned())),
            ]
        );
        let late = assess_age(date(2020, 10, 5), year);
        assert!(late.is_eligible() && late.needs_parent_confirmation() && !late.flag_for_school());
        let old = assess_age(date(2017, 1, 1), year);
        assert!(old.is_eligible() && old.flag_for_school());
        assert_eq!(
            assess_for_grade(Grade::new(5).unwrap(), date(2021, 1, 1), year),
            AgeAssessment::NoAgeRule
        );
        assert!(AgeAssessment::NoAgeRule.is_eligible());
        assert_eq!(
            assess_for_grade(Grade::FIRST, date(2021, 1, 1), year),
            young
        );
    }

    #[test]
    fn extreme_birth_dates_do_not_panic() {
        let year = AcademicYear::parse("2026-2027").unwrap();
        for birth in [NaiveDate::MIN, NaiveDate::MAX, date(1900, 1, 1)] {
            let _ = assess_age(birth, year);
        }
    }

    #[test]
    fn serde_shape() {
        let a = AgeAssessment::Eligible { age: age(6, 8) };
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"outcome":"eligible","age":{"years":6,"months":8}}"#
        );
    }
}
