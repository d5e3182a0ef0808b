//! Facts the pages need from configuration data: the current campaign, the working calendar,
//! and Kazakhstan's local time.
//!
//! Campaign rules, the calendar, schools, streets, places and service territories change a few
//! times a year but are read on every form, upload, submission and status page, so they are read
//! once and kept for [`FRESH_FOR`]: a change made on another instance shows within that time, one
//! made here at once ([`ReferenceCache::invalidate`]).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use domain::calendar::{CalendarAdjustments, WorkingCalendar};
use domain::campaign::Campaign;
use store::{School, SchoolPlaces, Street, TerritoryRange};

use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub const FRESH_FOR: Duration = Duration::from_secs(30);

type Slot<T> = RwLock<Option<(Instant, T)>>;

#[derive(Default)]
pub struct ReferenceCache {
    campaigns: RwLock<HashMap<i64, (Instant, Arc<Campaign>)>>,
    current: Slot<(i64, Arc<Campaign>)>,
    calendar: Slot<Arc<WorkingCalendar>>,
    schools: Slot<Arc<Vec<School>>>,
    streets: Slot<Arc<Vec<Street>>>,
    places: Slot<Arc<Vec<SchoolPlaces>>>,
    territories: Slot<Arc<Vec<TerritoryRange>>>,
}

impl ReferenceCache {
    /// Forgets everything, after an administrator changed a campaign, the calendar, schools or
    /// territories.
    pub fn invalidate(&self) {
        if let Ok(mut c) = self.campaigns.write() {
            c.clear();
        }
        forget(&self.current);
        forget(&self.calendar);
        forget(&self.schools);
        forget(&self.streets);
        forget(&self.places);
        forget(&self.territories);
    }
}

fn forget<T>(slot: &Slot<T>) {
    if let Ok(mut c) = slot.write() {
        *c = None;
    }
}

fn fresh<T: Clone>(entry: Option<&(Instant, T)>) -> Option<T> {
    entry
        .filter(|(at, _)| at.elapsed() < FRESH_FOR)
        .map(|(_, v)| v.clone())
}

fn cached<T: Clone>(slot: &Slot<T>) -> Option<T> {
    slot.read().ok().and_then(|c| fresh(c.as_ref()))
}

fn keep<T: Clone>(slot: &Slot<T>, value: &T) {
    if let Ok(mut c) = slot.write() {
        *c = Some((Instant::now(), value.clone()));
    }
}

/// The kept value while fresh, else what `load` reads, kept.
async fn read_through<T: Clone>(
    slot: &Slot<T>,
    load: impl Future<Output = AppResult<T>>,
) -> AppResult<T> {
    if let Some(v) = cached(slot) {
        return Ok(v);
    }
    let v = load.await?;
    keep(slot, &v);
    Ok(v)
}

/// Kazakhstan has one time zone, UTC+5, since 1 March 2024.
pub fn local_time(at: DateTime<Utc>) -> NaiveDateTime {
    let offset = FixedOffset::east_opt(5 * 3600)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"));
    at.with_timezone(&offset).naive_local()
}

/// The campaign applications go to now: the newest one.
pub async fn current_campaign(state: &AppState) -> AppResult<(i64, Arc<Campaign>)> {
    if let Some(c) = cached(&state.cache.current) {
        return Ok(c);
    }
    let record = state
        .store
        .campaigns()
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::BadRequest("campaign-none"))?;
    let campaign: Arc<Campaign> = Arc::new(
        serde_json::from_str(&record.rules).map_err(|e| AppError::internal("campaign rules", e))?,
    );
    let current = (record.id, campaign);
    keep(&state.cache.current, &current);
    Ok(current)
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
    if let Some(c) = cached(&state.cache.calendar) {
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
    keep(&state.cache.calendar, &calendar);
    Ok(calendar)
}

/// Every school, in the order of their ids.
pub async fn schools(state: &AppState) -> AppResult<Arc<Vec<School>>> {
    read_through(&state.cache.schools, async {
        Ok(Arc::new(state.store.schools().await?))
    })
    .await
}

/// One school; a school that is not there (yet, on this instance) is looked up directly.
pub async fn school(state: &AppState, id: i64) -> AppResult<School> {
    if let Some(s) = schools(state).await?.iter().find(|s| s.id == id) {
        return Ok(s.clone());
    }
    Ok(state.store.school(id).await?)
}

/// Every street, by its Kazakh name.
pub async fn streets(state: &AppState) -> AppResult<Arc<Vec<Street>>> {
    read_through(&state.cache.streets, async {
        Ok(Arc::new(state.store.streets().await?))
    })
    .await
}

/// First-grade places of a school per language of instruction.
pub async fn school_places(state: &AppState, school_id: i64) -> AppResult<Vec<SchoolPlaces>> {
    let all = read_through(&state.cache.places, async {
        Ok(Arc::new(state.store.all_school_places().await?))
    })
    .await?;
    Ok(all
        .iter()
        .filter(|p| p.school_id == school_id)
        .cloned()
        .collect())
}

/// The schools whose service territory holds the address, by id.
pub async fn schools_serving(state: &AppState, street_id: i64, house: i64) -> AppResult<Vec<i64>> {
    let ranges = read_through(&state.cache.territories, async {
        Ok(Arc::new(state.store.territory_ranges().await?))
    })
    .await?;
    let mut schools: Vec<i64> = ranges
        .iter()
        .filter(|r| r.street_id == street_id && (r.house_from..=r.house_to).contains(&house))
        .map(|r| r.school_id)
        .collect();
    schools.sort_unstable();
    schools.dedup();
    Ok(schools)
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
    Ok(streets(state)
        .await?
        .iter()
        .find(|s| s.id == id)
        .map(|s| s.name(lang).to_owned())
        .unwrap_or_default())
}
