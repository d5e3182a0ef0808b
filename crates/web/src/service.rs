//! Facts the pages need from configuration data: the current campaign, the working calendar,
//! and Kazakhstan's local time.

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use domain::calendar::{CalendarAdjustments, WorkingCalendar};
use domain::campaign::Campaign;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Kazakhstan has one time zone, UTC+5, since 1 March 2024.
pub fn local_time(at: DateTime<Utc>) -> NaiveDateTime {
    let offset = FixedOffset::east_opt(5 * 3600)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"));
    at.with_timezone(&offset).naive_local()
}

/// The campaign applications go to now: the newest one.
pub async fn current_campaign(state: &AppState) -> AppResult<(i64, Campaign)> {
    let record = state
        .store
        .campaigns()
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::BadRequest("campaign-none"))?;
    let campaign: Campaign =
        serde_json::from_str(&record.rules).map_err(|e| AppError::internal("campaign rules", e))?;
    Ok((record.id, campaign))
}

pub async fn campaign_by_id(state: &AppState, id: i64) -> AppResult<Campaign> {
    let record = state.store.campaign(id).await?;
    serde_json::from_str(&record.rules).map_err(|e| AppError::internal("campaign rules", e))
}

/// Kazakhstan's calendar with the decree days and Kurban Ait dates an administrator entered.
pub async fn working_calendar(state: &AppState) -> AppResult<WorkingCalendar> {
    let mut adj = CalendarAdjustments::kazakhstan_defaults();
    for (day, kind, _note) in state.store.calendar_days().await? {
        match kind.as_str() {
            "day_off" => {
                adj.extra_days_off.insert(day);
            }
            "working_day" => {
                adj.working_days.insert(day);
            }
            "kurban_ait" => {
                adj.kurban_ait.insert(chrono::Datelike::year(&day), day);
            }
            _ => {}
        }
    }
    WorkingCalendar::new(adj).map_err(|e| AppError::internal("working calendar", format!("{e:?}")))
}
