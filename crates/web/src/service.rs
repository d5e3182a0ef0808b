//! Facts the pages need from configuration data: the current campaign, the working calendar,
//! and Kazakhstan's local time.
//!
//! Campaign rules and the calendar change a few times a year but are read on every form, upload
//! and submission, so they are parsed once and kept for [`FRESH_FOR`]: a change made on another
//! instance shows within that time, one made here at once ([`ReferenceCache::invalidate`]).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use domain::calendar::{CalendarAdjustments, WorkingCalendar};
use domain::campaign::Campaign;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub const FRESH_FOR: Duration = Duration::from_secs(30);

#[derive(Default)]
pub struct ReferenceCache {
    campaigns: RwLock<HashMap<i64, (Instant, Arc<Campaign>)>>,
    calendar: RwLock<Option<(Instant, Arc<WorkingCalendar>)>>,
}

impl ReferenceCache {
    /// Forgets everything, after an administrator changed a campaign or the calendar.
    pub fn invalidate(&self) {
        if let Ok(mut c) = self.campaigns.write() {
            c.clear();
        }
        if let Ok(mut c) = self.calendar.write() {
            *c = None;
        }
    }
}

fn fresh<T: Clone>(entry: Option<&(Instant, T)>) -> Option<T> {
    entry
        .filter(|(at, _)| at.elapsed() < FRESH_FOR)
        .map(|(_, v)| v.clone())
}

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

pub async fn campaign_by_id(state: &AppState, id: i64) -> AppResult<Arc<Campaign>> {
    if let Some(c) = state
        .cache
        .campaigns
        .read()
        .ok()
        .and_then(|m| fresh(m.get(&id)))
    {
        return Ok(c);
    }
    let record = state.store.campaign(id).await?;
    let campaign: Arc<Campaign> = Arc::new(
        serde_json::from_str(&record.rules).map_err(|e| AppError::internal("campaign rules", e))?,
    );
    if let Ok(mut m) = state.cache.campaigns.write() {
        m.insert(id, (Instant::now(), campaign.clone()));
    }
    Ok(campaign)
}

/// Kazakhstan's calendar with the decree days and Kurban Ait dates an administrator entered.
pub async fn working_calendar(state: &AppState) -> AppResult<Arc<WorkingCalendar>> {
    if let Some(c) = state
        .cache
        .calendar
        .read()
        .ok()
        .and_then(|c| fresh(c.as_ref()))
    {
        return Ok(c);
    }
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
    let calendar = Arc::new(
        WorkingCalendar::new(adj)
            .map_err(|e| AppError::internal("working calendar", format!("{e:?}")))?,
    );
    if let Ok(mut c) = state.cache.calendar.write() {
        *c = Some((Instant::now(), calendar.clone()));
    }
    Ok(calendar)
}

/// The name of a street in the reader's language, or nothing.
pub async fn street_name(
    state: &AppState,
    street_id: Option<i64>,
    lang: &str,
) -> AppResult<String> {
    let Some(id) = street_id else {
        return Ok(String::new());
    };
    Ok(state
        .store
        .streets()
        .await?
        .into_iter()
        .find(|s| s.id == id)
        .map(|s| s.name(lang).to_owned())
        .unwrap_or_default())
}
