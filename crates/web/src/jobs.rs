//! Notifications nobody's click causes: a reminder to parents whose draft was never submitted
//! before the window closes, and the staff's daily summary of their school's queue. Each
//! message names itself with a dedupe key, so several instances running this (or a restart)
//! never send one twice.

use std::time::Duration;

use chrono::{DateTime, NaiveTime, Utc};
use notify::{NotificationEvent, Recipient};
use store::StaffRoleKind;

use crate::error::AppResult;
use crate::notices;
use crate::service::{current_campaign, local_time, working_calendar};
use crate::state::AppState;

/// Reminders go out this many days before the window closes.
const REMIND_DAYS_BEFORE_CLOSE: i64 = 3;
/// The daily summary is sent from this local time on.
const SUMMARY_FROM: NaiveTime = match NaiveTime::from_hms_opt(8, 0, 0) {
    Some(t) => t,
    None => NaiveTime::MIN,
};

pub async fn run(state: AppState, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    loop {
        if let Err(e) = run_once(&state, Utc::now()).await {
            tracing::warn!(error = %domain::redact::personal_data(&e.to_string()), "scheduled notifications failed; trying again later");
        }
        match purge_expired_documents(&state, Utc::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(documents = n, "retention: documents purged"),
            Err(e) => tracing::warn!(error = %e, "retention purge failed; trying again later"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(600)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Retention: deletes the uploaded documents of refused and withdrawn applications older than
/// the configured period (each purge audited); returns how many documents went.
pub async fn purge_expired_documents(state: &AppState, now: DateTime<Utc>) -> AppResult<i64> {
    let days = state.config.retention_refused_and_withdrawn_days;
    if days == 0 {
        return Ok(0);
    }
    let cutoff = now - chrono::Duration::days(i64::from(days));
    let purged = store::purge_expired(
        &state.store,
        &state.blobs,
        cutoff,
        false,
        "system:retention",
        "jobs",
        now,
    )
    .await?;
    Ok(purged.iter().map(|p| p.documents).sum())
}

/// One pass: returns how many messages it wrote or found already queued (a repeat finds the
/// message by its dedupe key instead of adding a copy).
pub async fn run_once(state: &AppState, now: DateTime<Utc>) -> AppResult<usize> {
    let mut queued = 0;
    let local = local_time(now);
    let today = local.date();
    let (campaign_id, campaign) = current_campaign(state).await?;
    let closes = campaign.first_grade_window.closes;
    let days_left = (closes - today).num_days();
    if (0..=REMIND_DAYS_BEFORE_CLOSE).contains(&days_left) {
        for draft in state
            .store
            .applications_in_status(campaign_id, "draft")
            .await?
        {
            let parent = state.store.person(draft.parent_id).await?;
            let event = NotificationEvent::DraftReminder {
                closes_on: closes,
                url: format!("{}/applications/{}", state.config.public_url, draft.id),
            };
            for mut msg in notices::to_person(&event, &parent) {
                msg.dedupe_key = Some(format!(
                    "draft-reminder:{campaign_id}:{}:{}",
                    draft.id,
                    msg.channel.as_str()
                ));
                state.store.enqueue_notification(&msg, now).await?;
                queued += 1;
            }
        }
    }
    if local.time() >= SUMMARY_FROM {
        let calendar = working_calendar(state).await?;
        if calendar.is_working_day(today) {
            let roles = state.store.all_staff_roles().await?;
            for school in state.store.schools().await? {
                let staff: Vec<_> = roles
                    .iter()
                    .filter(|r| {
                        r.school_id == Some(school.id)
                            && matches!(
                                r.kind(),
                                Some(StaffRoleKind::Clerk | StaffRoleKind::Director)
                            )
                    })
                    .collect();
                if staff.is_empty() {
                    continue;
                }
                let waiting = state
                    .store
                    .applications_of_school(school.id, &["submitted", "under_review"])
                    .await?;
                let due_today = waiting.iter().filter(|a| a.deadline == Some(today)).count() as u32;
                let overdue = waiting
                    .iter()
                    .filter(|a| a.deadline.is_some_and(|d| d < today))
                    .count() as u32;
                let new = waiting
                    .iter()
                    .filter(|a| {
                        a.submitted_at
                            .is_some_and(|t| now - t < chrono::Duration::days(1))
                    })
                    .count() as u32;
                for role in staff {
                    let Some(person) = state.store.person_by_iin(&role.iin).await? else {
                        continue;
                    };
                    let Some(email) = person.email_confirmed_at.and(person.email.clone()) else {
                        continue;
                    };
                    let event = NotificationEvent::StaffDailySummary {
                        school: school.name(&person.language).to_owned(),
                        date: today,
                        due_today,
                        overdue,
                        new,
                        url: format!("{}/school", state.config.public_url),
                    };
                    for mut msg in notices::messages(
                        &event,
                        &Recipient {
                            email: Some(email),
                            phone: None,
                        },
                        &person.language,
                    ) {
                        msg.dedupe_key =
                            Some(format!("staff-summary:{}:{today}:{}", school.id, person.id));
                        state.store.enqueue_notification(&msg, now).await?;
                        queued += 1;
                    }
                }
            }
        }
    }
    Ok(queued)
}
