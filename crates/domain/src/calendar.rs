//! Working days (жұмыс күндері / рабочие дни) in Kazakhstan: the receipt for an application is
//! due within a number of working days, so every deadline goes through [`WorkingCalendar`].
//!
//! Three layers decide whether a day is worked, each overriding the one before:
//! 1. the law: weekly days off (Saturday and Sunday) and the public holidays of the Labour Code,
//!    with its rule that a holiday falling on a day off moves to the next working day, except
//!    Orthodox Christmas (7 January) and Kurban Ait, which never move;
//! 2. the date of Kurban Ait, which follows the lunar calendar and is set each year;
//! 3. government decrees that move days off for a year (e.g. Saturday 1 July 2023 worked,
//!    Friday 7 July 2023 off): they cannot be computed, so they are data an administrator edits.
//!
//! All dates are local dates in Kazakhstan (one time zone, UTC+5, since 1 March 2024): callers
//! convert instants before asking.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

/// A public holiday (мереке күні / праздничный день) of Kazakhstan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Holiday {
    /// 1–2 January.
    NewYear,
    /// 7 January, Orthodox Christmas: never moved.
    OrthodoxChristmas,
    /// 8 March.
    WomensDay,
    /// 21–23 March.
    Nauryz,
    /// 1 May, Day of Unity of the People of Kazakhstan.
    UnityDay,
    /// 7 May.
    DefenderDay,
    /// 9 May.
    VictoryDay,
    /// 6 July.
    CapitalDay,
    /// 30 August.
    ConstitutionDay,
    /// 25 October.
    RepublicDay,
    /// 16 December.
    IndependenceDay,
    /// The first day of Kurban Ait (lunar; per-year data): never moved.
    KurbanAit,
}

/// The holidays with a fixed date: (month, day, holiday).
const FIXED_HOLIDAYS: [(u32, u32, Holiday); 14] = [
    (1, 1, Holiday::NewYear),
    (1, 2, Holiday::NewYear),
    (1, 7, Holiday::OrthodoxChristmas),
    (3, 8, Holiday::WomensDay),
    (3, 21, Holiday::Nauryz),
    (3, 22, Holiday::Nauryz),
    (3, 23, Holiday::Nauryz),
    (5, 1, Holiday::UnityDay),
    (5, 7, Holiday::DefenderDay),
    (5, 9, Holiday::VictoryDay),
    (7, 6, Holiday::CapitalDay),
    (8, 30, Holiday::ConstitutionDay),
    (10, 25, Holiday::RepublicDay),
    (12, 16, Holiday::IndependenceDay),
];

impl Holiday {
    pub fn message_key(self) -> &'static str {
        match self {
            Holiday::NewYear => "holiday-new-year",
            Holiday::OrthodoxChristmas => "holiday-orthodox-christmas",
            Holiday::WomensDay => "holiday-womens-day",
            Holiday::Nauryz => "holiday-nauryz",
            Holiday::UnityDay => "holiday-unity-day",
            Holiday::DefenderDay => "holiday-defender-day",
            Holiday::VictoryDay => "holiday-victory-day",
            Holiday::CapitalDay => "holiday-capital-day",
            Holiday::ConstitutionDay => "holiday-constitution-day",
            Holiday::RepublicDay => "holiday-republic-day",
            Holiday::IndependenceDay => "holiday-independence-day",
            Holiday::KurbanAit => "holiday-kurban-ait",
        }
    }

    /// Whether the day off moves to the next working day when the holiday falls on a day off.
    /// The Labour Code excepts the religious holidays.
    pub fn moves_from_day_off(self) -> bool {
        !matches!(self, Holiday::OrthodoxChristmas | Holiday::KurbanAit)
    }
}

/// What kind of day a date is, with the reason when it is not worked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    Working,
    /// A decree made this usually free day a working day (e.g. Saturday 1 July 2023).
    DecreeWorkingDay,
    /// A weekly day off (Saturday or Sunday by default).
    WeeklyDayOff,
    Holiday(Holiday),
    /// The day off a holiday moved to because it fell on a weekly day off.
    TransferredDayOff {
        from: NaiveDate,
        holiday: Holiday,
    },
    /// A day off by government decree (e.g. Friday 7 July 2023).
    DecreeDayOff,
}

impl DayKind {
    pub fn is_working(self) -> bool {
        matches!(self, DayKind::Working | DayKind::DecreeWorkingDay)
    }

    /// Fluent key naming why the day is not worked, if it is a holiday or a day off in lieu of
    /// one (not for plain weekends and working days).
    pub fn message_key(self) -> Option<&'static str> {
        match self {
            DayKind::Holiday(h) => Some(h.message_key()),
            DayKind::TransferredDayOff { .. } => Some("holiday-transferred"),
            DayKind::DecreeDayOff => Some("holiday-decree-day-off"),
            DayKind::Working | DayKind::DecreeWorkingDay | DayKind::WeeklyDayOff => None,
        }
    }
}

/// The per-year data an administrator of the city edits: Kurban Ait dates and the decrees.
/// Serialized as, for example:
/// `{"kurban_ait": {"2026": "2026-05-27"}, "extra_days_off": ["2023-07-07"],
///   "working_days": ["2023-07-01"], "weekly_days_off": ["Sat", "Sun"],
///   "after_hours_from": null}`; every field may be left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CalendarAdjustments {
    /// The first day of Kurban Ait, by year. A year without an entry has no Kurban Ait day off:
    /// see [`WorkingCalendar::kurban_ait`] to warn the administrator.
    pub kurban_ait: BTreeMap<i32, NaiveDate>,
    /// Extra days off by decree (a Friday between a holiday and a weekend, …).
    pub extra_days_off: BTreeSet<NaiveDate>,
    /// Days worked by decree although the law makes them free (working Saturdays, …).
    pub working_days: BTreeSet<NaiveDate>,
    /// The weekly days off; Saturday and Sunday unless a five-day week changes.
    pub weekly_days_off: Vec<Weekday>,
    /// If set, a submission at or after this local time counts as received the next day (the
    /// "after working hours" clause of many state-service standards). The seed standard does
    /// not say, so the default is `None`: the whole day counts.
    pub after_hours_from: Option<NaiveTime>,
}

impl Default for CalendarAdjustments {
    fn default() -> Self {
        CalendarAdjustments {
            kurban_ait: BTreeMap::new(),
            extra_days_off: BTreeSet::new(),
            working_days: BTreeSet::new(),
            weekly_days_off: vec![Weekday::Sat, Weekday::Sun],
            after_hours_from: None,
        }
    }
}

fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

impl CalendarAdjustments {
    /// The data known when this was written: Kurban Ait 2023–2026 and the 2023 decree.
    ///
    /// Only the transfer of Saturday 1 July 2023 to Friday 7 July 2023 is included: it is the
    /// one decree of 2023–2026 known here with certainty. Decrees of other years must be entered
    /// by the administrator from the government's resolution for that year.
    pub fn kazakhstan_defaults() -> Self {
        let kurban_ait = [(2023, 6, 28), (2024, 6, 17), (2025, 6, 6), (2026, 5, 27)]
            .into_iter()
            .filter_map(|(y, m, d)| Some((y, ymd(y, m, d)?)))
            .collect();
        CalendarAdjustments {
            kurban_ait,
            extra_days_off: ymd(2023, 7, 7).into_iter().collect(),
            working_days: ymd(2023, 7, 1).into_iter().collect(),
            ..Self::default()
        }
    }

    /// Checks the data makes sense; [`WorkingCalendar::new`] calls this.
    pub fn validate(&self) -> Result<(), CalendarError> {
        let all_week = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ];
        if all_week.iter().all(|d| self.weekly_days_off.contains(d)) {
            return Err(CalendarError::NoWorkingWeekday);
        }
        if let Some(date) = self.extra_days_off.intersection(&self.working_days).next() {
            return Err(CalendarError::DecreeConflict { date: *date });
        }
        for (year, date) in &self.kurban_ait {
            if date.year() != *year {
                return Err(CalendarError::KurbanAitYear {
                    year: *year,
                    date: *date,
                });
            }
        }
        Ok(())
    }
}

/// Why calendar data was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("every day of the week is a day off")]
    NoWorkingWeekday,
    #[error("{date} is both an extra day off and a working day")]
    DecreeConflict { date: NaiveDate },
    #[error("Kurban Ait for {year} is given as {date}, in another year")]
    KurbanAitYear { year: i32, date: NaiveDate },
}

impl CalendarError {
    pub fn message_key(&self) -> &'static str {
        match self {
            CalendarError::NoWorkingWeekday => "err-calendar-no-working-weekday",
            CalendarError::DecreeConflict { .. } => "err-calendar-decree-conflict",
            CalendarError::KurbanAitYear { .. } => "err-calendar-kurban-ait-year",
        }
    }
}

/// Days that the law (holidays and their transfers) takes off in one year.
type YearDaysOff = BTreeMap<NaiveDate, DayKind>;

/// The working-day calendar of Kazakhstan with a city's adjustments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingCalendar {
    adjustments: CalendarAdjustments,
}

/// Remembers the last computed year while a loop walks day by day.
struct YearCache<'a> {
    calendar: &'a WorkingCalendar,
    year: Option<i32>,
    days_off: YearDaysOff,
}

impl YearCache<'_> {
    fn kind(&mut self, date: NaiveDate) -> DayKind {
        if self.year != Some(date.year()) {
            self.days_off = self.calendar.law_days_off(date.year());
            self.year = Some(date.year());
        }
        self.calendar.kind_with(date, &self.days_off)
    }
}

impl WorkingCalendar {
    pub fn new(adjustments: CalendarAdjustments) -> Result<Self, CalendarError> {
        adjustments.validate()?;
        Ok(WorkingCalendar { adjustments })
    }

    /// The calendar with [`CalendarAdjustments::kazakhstan_defaults`].
    pub fn kazakhstan() -> Self {
        // The defaults are valid by construction (tested), so no validation round trip.
        WorkingCalendar {
            adjustments: CalendarAdjustments::kazakhstan_defaults(),
        }
    }

    pub fn adjustments(&self) -> &CalendarAdjustments {
        &self.adjustments
    }

    /// The first day of Kurban Ait in `year`, if the administrator entered it.
    pub fn kurban_ait(&self, year: i32) -> Option<NaiveDate> {
        self.adjustments.kurban_ait.get(&year).copied()
    }

    fn is_weekly_day_off(&self, date: NaiveDate) -> bool {
        self.adjustments.weekly_days_off.contains(&date.weekday())
    }

    /// Holidays of `year` and the days off they moved to, by law alone (no decrees).
    fn law_days_off(&self, year: i32) -> YearDaysOff {
        let mut holidays: Vec<(NaiveDate, Holiday)> = FIXED_HOLIDAYS
            .iter()
            .filter_map(|(m, d, h)| Some((ymd(year, *m, *d)?, *h)))
            .collect();
        if let Some(date) = self.kurban_ait(year) {
            holidays.push((date, Holiday::KurbanAit));
        }
        holidays.sort_by_key(|(date, _)| *date);

        let mut days_off: YearDaysOff = holidays
            .iter()
            .map(|(date, h)| (*date, DayKind::Holiday(*h)))
            .collect();
        // In date order, so that consecutive holidays on a weekend (1–2 January, 21–23 March)
        // chain: each moved day lands on the first day not already taken off.
        for (date, holiday) in &holidays {
            if !holiday.moves_from_day_off() || !self.is_weekly_day_off(*date) {
                continue;
            }
            let mut candidate = *date;
            // Bounded: a week always has a working weekday (validated), and the holidays of a
            // year are few, so a free day is found within a few weeks.
            for _ in 0..62 {
                let Some(next) = candidate.succ_opt() else {
                    break;
                };
                candidate = next;
                if !self.is_weekly_day_off(candidate) && !days_off.contains_key(&candidate) {
                    days_off.insert(
                        candidate,
                        DayKind::TransferredDayOff {
                            from: *date,
                            holiday: *holiday,
                        },
                    );
                    break;
                }
            }
        }
        days_off
    }

    fn kind_with(&self, date: NaiveDate, law_days_off: &YearDaysOff) -> DayKind {
        let law = law_days_off.get(&date).copied();
        if self.adjustments.working_days.contains(&date) {
            return DayKind::DecreeWorkingDay;
        }
        if let Some(kind) = law {
            return kind;
        }
        if self.adjustments.extra_days_off.contains(&date) {
            return DayKind::DecreeDayOff;
        }
        if self.is_weekly_day_off(date) {
            return DayKind::WeeklyDayOff;
        }
        DayKind::Working
    }

    fn cache(&self) -> YearCache<'_> {
        YearCache {
            calendar: self,
            year: None,
            days_off: YearDaysOff::new(),
        }
    }

    /// What kind of day `date` is.
    pub fn day_kind(&self, date: NaiveDate) -> DayKind {
        self.cache().kind(date)
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.day_kind(date).is_working()
    }

    /// Fluent key of the holiday (or day off in lieu, or decree day off) on `date`; `None` on
    /// working days and plain weekends.
    pub fn holiday_name_key(&self, date: NaiveDate) -> Option<&'static str> {
        self.day_kind(date).message_key()
    }

    /// `date` itself if it is a working day, else the first working day after it.
    /// Saturates at the last representable date.
    pub fn next_working_day_on_or_after(&self, date: NaiveDate) -> NaiveDate {
        let mut cache = self.cache();
        let mut day = date;
        while !cache.kind(day).is_working() {
            match day.succ_opt() {
                Some(next) => day = next,
                None => return NaiveDate::MAX,
            }
        }
        day
    }

    /// The day an application handed in or submitted at `received_at` (local time) counts as
    /// received: that day if it is a working day (and before `after_hours_from`, if set), else
    /// the next working day.
    pub fn receipt_day(&self, received_at: NaiveDateTime) -> NaiveDate {
        let mut day = received_at.date();
        if let Some(end) = self.adjustments.after_hours_from
            && received_at.time() >= end
        {
            day = day.succ_opt().unwrap_or(NaiveDate::MAX);
        }
        self.next_working_day_on_or_after(day)
    }

    /// The deadline `n` working days after receipt: the receipt day (see
    /// [`WorkingCalendar::receipt_day`]) is day 0, and the result is the n-th working day after
    /// it (day 0 itself for `n = 0`). Saturates at the last representable date.
    pub fn add_working_days(&self, received_at: NaiveDateTime, n: u32) -> NaiveDate {
        let mut cache = self.cache();
        let mut day = self.receipt_day(received_at);
        let mut left = n;
        while left > 0 {
            match day.succ_opt() {
                Some(next) => day = next,
                None => return NaiveDate::MAX,
            }
            if cache.kind(day).is_working() {
                left -= 1;
            }
        }
        day
    }

    /// Working days from `from` to `to`: the count of working days in `(from, to]` when
    /// `to >= from`, minus the count in `(to, from]` otherwise. So
    /// `working_days_between(deadline, today) > 0` means overdue by that many working days, and
    /// `working_days_between(day0, add_working_days(day0, n)) == n`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let (low, high, sign) = if to >= from {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        let mut cache = self.cache();
        let count = low
            .iter_days()
            .skip(1)
            .take_while(|d| *d <= high)
            .filter(|d| cache.kind(*d).is_working())
            .count();
        sign * i64::try_from(count).unwrap_or(i64::MAX)
    }
}

impl Default for WorkingCalendar {
    fn default() -> Self {
        Self::kazakhstan()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn at(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
        date(y, m, d).and_hms_opt(h, 0, 0).unwrap()
    }

    #[test]
    fn defaults_are_valid() {
        assert_eq!(
            CalendarAdjustments::kazakhstan_defaults().validate(),
            Ok(())
        );
        assert_eq!(
            WorkingCalendar::new(CalendarAdjustments::kazakhstan_defaults()).unwrap(),
            WorkingCalendar::kazakhstan()
        );
    }

    /// (date, its weekday as a check of the test itself, working?, holiday key).
    #[test]
    fn real_days_of_2022_to_2027() {
        use Weekday::*;
        let cal = WorkingCalendar::kazakhstan();
        let cases: &[(NaiveDate, Weekday, bool, Option<&str>)] = &[
            // 2022: 1–2 January on Saturday–Sunday: both move, chained, to 3 and 4 January.
            (date(2022, 1, 1), Sat, false, Some("holiday-new-year")),
            (date(2022, 1, 2), Sun, false, Some("holiday-new-year")),
            (date(2022, 1, 3), Mon, false, Some("holiday-transferred")),
            (date(2022, 1, 4), Tue, false, Some("holiday-transferred")),
            (date(2022, 1, 5), Wed, true, None),
            // 2023: 1 January on Sunday moves past the 2 January holiday to 3 January.
            (date(2023, 1, 1), Sun, false, Some("holiday-new-year")),
            (date(2023, 1, 2), Mon, false, Some("holiday-new-year")),
            (date(2023, 1, 3), Tue, false, Some("holiday-transferred")),
            (date(2023, 1, 4), Wed, true, None),
            // 7 January 2023 on Saturday: never moved.
            (
                date(2023, 1, 7),
                Sat,
                false,
                Some("holiday-orthodox-christmas"),
            ),
            (date(2023, 1, 9), Mon, true, None),
            (date(2023, 5, 7), Sun, false, Some("holiday-defender-day")),
            (date(2023, 5, 8), Mon, false, Some("holiday-transferred")),
            (date(2023, 5, 9), Tue, false, Some("holiday-victory-day")),
            (date(2023, 6, 28), Wed, false, Some("holiday-kurban-ait")),
            // The 2023 decree: Saturday 1 July worked, Friday 7 July off.
            (date(2023, 7, 1), Sat, true, None),
            (date(2023, 7, 6), Thu, false, Some("holiday-capital-day")),
            (date(2023, 7, 7), Fri, false, Some("holiday-decree-day-off")),
            (date(2023, 7, 8), Sat, false, None),
            // 2024: 7 January on Sunday is not moved.
            (
                date(2024, 1, 7),
                Sun,
                false,
                Some("holiday-orthodox-christmas"),
            ),
            (date(2024, 1, 8), Mon, true, None),
            (date(2024, 3, 8), Fri, false, Some("holiday-womens-day")),
            (date(2024, 6, 17), Mon, false, Some("holiday-kurban-ait")),
            (date(2024, 7, 6), Sat, false, Some("holiday-capital-day")),
            (date(2024, 7, 8), Mon, false, Some("holiday-transferred")),
            (
                date(2024, 12, 16),
                Mon,
                false,
                Some("holiday-independence-day"),
            ),
            (date(2024, 12, 17), Tue, true, None),
            // 2025: 8 March on Saturday → Monday 10 March off.
            (date(2025, 3, 8), Sat, false, Some("holiday-womens-day")),
            (date(2025, 3, 10), Mon, false, Some("holiday-transferred")),
            (date(2025, 3, 11), Tue, true, None),
            (date(2025, 6, 6), Fri, false, Some("holiday-kurban-ait")),
            (
                date(2025, 8, 30),
                Sat,
                false,
                Some("holiday-constitution-day"),
            ),
            (date(2025, 9, 1), Mon, false, Some("holiday-transferred")),
            (date(2025, 10, 25), Sat, false, Some("holiday-republic-day")),
            (date(2025, 10, 27), Mon, false, Some("holiday-transferred")),
            // 2026: Nauryz on Saturday–Monday: the Saturday and Sunday move to 24 and 25 March.
            (date(2026, 3, 20), Fri, true, None),
            (date(2026, 3, 21), Sat, false, Some("holiday-nauryz")),
            (date(2026, 3, 22), Sun, false, Some("holiday-nauryz")),
            (date(2026, 3, 23), Mon, false, Some("holiday-nauryz")),
            (date(2026, 3, 24), Tue, false, Some("holiday-transferred")),
            (date(2026, 3, 25), Wed, false, Some("holiday-transferred")),
            (date(2026, 3, 26), Thu, true, None),
            (date(2026, 5, 27), Wed, false, Some("holiday-kurban-ait")),
            // 2027: Nauryz on Sunday–Tuesday: one day moves, to Wednesday 24 March.
            (date(2027, 3, 21), Sun, false, Some("holiday-nauryz")),
            (date(2027, 3, 24), Wed, false, Some("holiday-transferred")),
            (date(2027, 3, 25), Thu, true, None),
            // Plain days.
            (date(2026, 4, 1), Wed, true, None),
            (date(2026, 4, 4), Sat, false, None),
        ];
        for (d, weekday, working, key) in cases {
            assert_eq!(d.weekday(), *weekday, "test premise for {d}");
            assert_eq!(cal.is_working_day(*d), *working, "{d}");
            assert_eq!(cal.holiday_name_key(*d), *key, "{d}");
        }
    }

    #[test]
    fn transferred_day_remembers_its_holiday() {
        let cal = WorkingCalendar::kazakhstan();
        assert_eq!(
            cal.day_kind(date(2026, 3, 25)),
            DayKind::TransferredDayOff {
                from: date(2026, 3, 22),
                holiday: Holiday::Nauryz
            }
        );
    }

    #[test]
    fn kurban_ait_on_a_weekend_is_not_moved_and_missing_years_have_none() {
        let mut adj = CalendarAdjustments::default();
        adj.kurban_ait.insert(2030, date(2030, 4, 13)); // a Saturday
        let cal = WorkingCalendar::new(adj).unwrap();
        assert_eq!(date(2030, 4, 13).weekday(), Weekday::Sat);
        assert_eq!(
            cal.holiday_name_key(date(2030, 4, 13)),
            Some("holiday-kurban-ait")
        );
        assert!(cal.is_working_day(date(2030, 4, 15)));
        assert_eq!(cal.kurban_ait(2031), None);
        assert_eq!(WorkingCalendar::kazakhstan().kurban_ait(2027), None);
    }

    #[test]
    fn transfers_stay_within_their_year() {
        let cal = WorkingCalendar::kazakhstan();
        for year in 2000..2200 {
            for (d, kind) in cal.law_days_off(year) {
                assert_eq!(d.year(), year, "{kind:?}");
            }
        }
    }

    #[test]
    fn decree_overrides_law() {
        let mut adj = CalendarAdjustments::default();
        // A decree can make a moved day worked again, and a weekday free.
        adj.working_days.insert(date(2025, 3, 10));
        adj.extra_days_off.insert(date(2025, 3, 11));
        let cal = WorkingCalendar::new(adj).unwrap();
        assert_eq!(cal.day_kind(date(2025, 3, 10)), DayKind::DecreeWorkingDay);
        assert_eq!(cal.day_kind(date(2025, 3, 11)), DayKind::DecreeDayOff);
    }

    #[test]
    fn invalid_adjustments() {
        let adj = CalendarAdjustments {
            weekly_days_off: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
                Weekday::Sat,
                Weekday::Sun,
            ],
            ..CalendarAdjustments::default()
        };
        assert_eq!(
            WorkingCalendar::new(adj),
            Err(CalendarError::NoWorkingWeekday)
        );

        let mut adj = CalendarAdjustments::default();
        adj.working_days.insert(date(2026, 1, 3));
        adj.extra_days_off.insert(date(2026, 1, 3));
        let err = WorkingCalendar::new(adj).unwrap_err();
        assert_eq!(
            err,
            CalendarError::DecreeConflict {
                date: date(2026, 1, 3)
            }
        );
        assert_eq!(err.message_key(), "err-calendar-decree-conflict");

        let mut adj = CalendarAdjustments::default();
        adj.kurban_ait.insert(2026, date(2025, 6, 6));
        assert!(matches!(
            WorkingCalendar::new(adj),
            Err(CalendarError::KurbanAitYear { year: 2026, .. })
        ));
    }

    #[test]
    fn six_day_week_moves_only_sunday_holidays() {
        let adj = CalendarAdjustments {
            weekly_days_off: vec![Weekday::Sun],
            ..CalendarAdjustments::default()
        };
        let cal = WorkingCalendar::new(adj).unwrap();
        assert!(cal.is_working_day(date(2026, 4, 4))); // a Saturday
        // Nauryz 2026: only Sunday 22 March moves, to Tuesday 24 March.
        assert!(!cal.is_working_day(date(2026, 3, 24)));
        assert!(cal.is_working_day(date(2026, 3, 25)));
    }

    #[test]
    fn deadlines() {
        let cal = WorkingCalendar::kazakhstan();
        let cases = [
            // Friday before the moved 8 March 2025: Mon 10 off, so Tue 11 is day 1.
            (at(2025, 3, 7, 10), 5, date(2025, 3, 17)),
            (at(2025, 3, 7, 23), 1, date(2025, 3, 11)),
            // Submitted on Saturday of Nauryz 2026: received Thursday 26 March (day 0).
            (at(2026, 3, 21, 12), 0, date(2026, 3, 26)),
            (at(2026, 3, 21, 12), 5, date(2026, 4, 2)),
            // Around the 2023 decree: Sat 1 July worked, Thu 6 and Fri 7 July off.
            (at(2023, 6, 30, 9), 1, date(2023, 7, 1)),
            (at(2023, 6, 30, 9), 5, date(2023, 7, 10)),
            // The opening of the 2026 campaign: Wednesday 1 April, midnight.
            (at(2026, 4, 1, 0), 5, date(2026, 4, 8)),
            // Over New Year 2026 (1–2 Jan Thu–Fri, 7 Jan Wed).
            (at(2025, 12, 31, 15), 2, date(2026, 1, 6)),
            (at(2025, 12, 31, 15), 3, date(2026, 1, 8)),
            (at(2025, 12, 31, 15), 4, date(2026, 1, 9)),
        ];
        for (received, n, expected) in cases {
            assert_eq!(
                cal.add_working_days(received, n),
                expected,
                "{received} + {n}"
            );
        }
    }

    #[test]
    fn after_hours_rule_when_configured() {
        let adj = CalendarAdjustments {
            after_hours_from: NaiveTime::from_hms_opt(18, 30, 0),
            ..CalendarAdjustments::kazakhstan_defaults()
        };
        let cal = WorkingCalendar::new(adj).unwrap();
        // Friday 18:29 counts on Friday; 18:30 counts on Monday.
        assert_eq!(
            cal.receipt_day(date(2026, 4, 3).and_hms_opt(18, 29, 59).unwrap()),
            date(2026, 4, 3)
        );
        assert_eq!(
            cal.receipt_day(date(2026, 4, 3).and_hms_opt(18, 30, 0).unwrap()),
            date(2026, 4, 6)
        );
        assert_eq!(
            WorkingCalendar::kazakhstan()
                .receipt_day(date(2026, 4, 3).and_hms_opt(23, 59, 0).unwrap()),
            date(2026, 4, 3)
        );
    }

    #[test]
    fn next_working_day() {
        let cal = WorkingCalendar::kazakhstan();
        assert_eq!(
            cal.next_working_day_on_or_after(date(2026, 3, 20)),
            date(2026, 3, 20)
        );
        assert_eq!(
            cal.next_working_day_on_or_after(date(2026, 3, 21)),
            date(2026, 3, 26)
        );
        assert_eq!(
            cal.next_working_day_on_or_after(date(2023, 7, 6)),
            date(2023, 7, 10)
        );
        // At the end of representable time it saturates instead of overflowing.
        assert_eq!(
            cal.next_working_day_on_or_after(NaiveDate::MAX),
            NaiveDate::MAX
        );
    }

    #[test]
    fn overdue_counts() {
        let cal = WorkingCalendar::kazakhstan();
        let deadline = date(2026, 4, 2);
        assert_eq!(cal.working_days_between(deadline, deadline), 0);
        assert_eq!(cal.working_days_between(deadline, date(2026, 4, 3)), 1);
        assert_eq!(cal.working_days_between(deadline, date(2026, 4, 5)), 1);
        assert_eq!(cal.working_days_between(deadline, date(2026, 4, 6)), 2);
        // (20 March, 2 April] over Nauryz 2026: 26, 27, 30, 31 March, 1 and 2 April.
        assert_eq!(cal.working_days_between(date(2026, 3, 20), deadline), 6);
        assert_eq!(cal.working_days_between(deadline, date(2026, 3, 20)), -6);
        // A whole year: 2026 has 365 days, 104 weekend days, and the law's days off on weekdays.
        let days_2026 = cal.working_days_between(date(2025, 12, 31), date(2026, 12, 31));
        let weekday_days_off = cal
            .law_days_off(2026)
            .keys()
            .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
            .count();
        assert_eq!(
            days_2026,
            365 - 104 - i64::try_from(weekday_days_off).unwrap()
        );
    }

    #[test]
    fn extreme_dates_do_not_panic() {
        let cal = WorkingCalendar::kazakhstan();
        let last = NaiveDate::MAX.and_hms_opt(12, 0, 0).unwrap();
        assert_eq!(cal.add_working_days(last, 10), NaiveDate::MAX);
        let _ = cal.is_working_day(NaiveDate::MIN);
        let _ = cal.working_days_between(NaiveDate::MAX, NaiveDate::MAX);
    }

    #[test]
    fn adjustments_serde() {
        let adj = CalendarAdjustments::kazakhstan_defaults();
        let json = serde_json::to_string(&adj).unwrap();
        assert_eq!(
            serde_json::from_str::<CalendarAdjustments>(&json).unwrap(),
            adj
        );
        let partial: CalendarAdjustments = serde_json::from_str(
            r#"{"kurban_ait": {"2027": "2027-05-16"}, "working_days": ["2027-01-09"]}"#,
        )
        .unwrap();
        assert_eq!(partial.weekly_days_off, vec![Weekday::Sat, Weekday::Sun]);
        assert_eq!(partial.kurban_ait.get(&2027), Some(&date(2027, 5, 16)));
        assert!(serde_json::from_str::<CalendarAdjustments>(r#"{"kurban": {}}"#).is_err());
    }

    fn arb_received() -> impl Strategy<Value = NaiveDateTime> {
        (0i64..(5 * 366), 0u32..24, 0u32..60).prop_map(|(days, h, m)| {
            (date(2022, 12, 1) + chrono::Duration::days(days))
                .and_hms_opt(h, m, 0)
                .unwrap()
        })
    }

    proptest! {
        #[test]
        fn deadline_is_a_working_day(received in arb_received(), n in 0u32..40) {
            let cal = WorkingCalendar::kazakhstan();
            prop_assert!(cal.is_working_day(cal.add_working_days(received, n)));
        }

        #[test]
        fn deadline_is_strictly_monotone(received in arb_received(), n in 0u32..40) {
            let cal = WorkingCalendar::kazakhstan();
            prop_assert!(cal.add_working_days(received, n) < cal.add_working_days(received, n + 1));
        }

        #[test]
        fn deadline_counts_back(received in arb_received(), n in 0u32..40) {
            let cal = WorkingCalendar::kazakhstan();
            let day0 = cal.add_working_days(received, 0);
            let deadline = cal.add_working_days(received, n);
            prop_assert!(day0 >= received.date());
            prop_assert!(n == 0 || deadline > day0);
            prop_assert_eq!(cal.working_days_between(day0, deadline), i64::from(n));
            prop_assert_eq!(cal.working_days_between(deadline, day0), -i64::from(n));
        }

        #[test]
        fn next_working_day_is_first(days in 0i64..(5 * 366)) {
            let cal = WorkingCalendar::kazakhstan();
            let start = date(2022, 12, 1) + chrono::Duration::days(days);
            let next = cal.next_working_day_on_or_after(start);
            prop_assert!(cal.is_working_day(next));
            prop_assert!(start.iter_days().take_while(|d| *d < next).all(|d| !cal.is_working_day(d)));
        }
    }
}
