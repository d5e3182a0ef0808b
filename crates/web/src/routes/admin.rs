//! The city education department's pages: the overview, the working calendar's decree days,
//! campaign dates, and staff access. Only administrators reach them; anyone else gets 404.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, NaiveDate, Utc};
use domain::campaign::Campaign;
use serde::Deserialize;
use store::StaffRoleKind;

use crate::ctx::{Ctx, User};
use crate::error::{AppError, AppResult};
use crate::pages::render;
use crate::service::{local_time, working_calendar};
use crate::state::AppState;

fn admin(ctx: &Ctx) -> AppResult<&User> {
    let user = ctx.require_user()?;
    if !user.is_admin() {
        return Err(AppError::NotFound);
    }
    Ok(user)
}

fn back(to: &str, key: &str) -> Response {
    Redirect::to(&format!("{to}?notice={key}")).into_response()
}

#[derive(Deserialize, Default)]
pub struct Notice {
    notice: Option<String>,
    year: Option<i32>,
}

fn notice_text(ctx: &Ctx, q: &Notice) -> Option<String> {
    q.notice
        .as_deref()
        .filter(|k| k.starts_with("admin-"))
        .map(|k| ctx.t(k))
}

pub struct SchoolRow {
    pub name: String,
    pub bin: String,
    pub counts: Vec<i64>,
}

#[derive(Template)]
#[template(path = "admin_home.html")]
struct HomePage<'a> {
    ctx: &'a Ctx,
    statuses: Vec<String>,
    schools: Vec<SchoolRow>,
}

const STATUSES: [&str; 6] = [
    "submitted",
    "under_review",
    "returned",
    "accepted",
    "refused",
    "admitted",
];

pub async fn home(State(state): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    admin(&ctx)?;
    let mut schools = Vec::new();
    for s in state.store.schools().await? {
        let apps = state.store.applications_of_school(s.id, &STATUSES).await?;
        let counts = STATUSES
            .iter()
            .map(|st| apps.iter().filter(|a| a.status == *st).count() as i64)
            .collect();
        schools.push(SchoolRow {
            name: s.name(ctx.lang.code()).to_owned(),
            bin: s.bin,
            counts,
        });
    }
    let statuses = STATUSES
        .iter()
        .map(|s| ctx.t(&format!("status-{s}")))
        .collect();
    Ok(render(
        &ctx,
        &HomePage {
            ctx: &ctx,
            statuses,
            schools,
        },
    ))
}

pub struct DayRow {
    pub day: String,
    pub iso: String,
    pub kind: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "admin_calendar.html")]
struct CalendarPage<'a> {
    ctx: &'a Ctx,
    year: i32,
    days: Vec<DayRow>,
    /// The year's non-working days as the calendar now computes them.
    days_off: Vec<String>,
    notice: Option<String>,
}

pub async fn calendar(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<Notice>,
) -> AppResult<Response> {
    admin(&ctx)?;
    let year = q
        .year
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or_else(|| local_time(Utc::now()).year());
    let days = state
        .store
        .calendar_days()
        .await?
        .into_iter()
        .filter(|(d, _, _)| d.year() == year)
        .map(|(d, kind, note)| DayRow {
            day: d.format("%d.%m.%Y").to_string(),
            iso: d.to_string(),
            kind: ctx.t(&format!("admin-day-{kind}")),
            note,
        })
        .collect();
    let cal = working_calendar(&state).await?;
    let days_off = NaiveDate::from_ymd_opt(year, 1, 1)
        .into_iter()
        .flat_map(|d| d.iter_days())
        .take_while(|d| d.year() == year)
        .filter(|d| !cal.is_working_day(*d) && d.weekday().number_from_monday() <= 5)
        .map(|d| d.format("%d.%m").to_string())
        .collect();
    let notice = notice_text(&ctx, &q);
    Ok(render(
        &ctx,
        &CalendarPage {
            ctx: &ctx,
            year,
            days,
            days_off,
            notice,
        },
    ))
}

#[derive(Deserialize)]
pub struct DayForm {
    csrf: String,
    day: String,
    /// `day_off`, `working_day`, `kurban_ait`, or `remove`.
    kind: String,
    #[serde(default)]
    note: String,
}

/// Adds or removes a decree day. The deadlines of applications awaiting a decision are
/// recomputed at once, and new ones follow (on other instances within the cache's lifetime).
pub async fn set_day(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<DayForm>,
) -> AppResult<Response> {
    ctx.check_csrf(&f.csrf)?;
    admin(&ctx)?;
    let Ok(day) = NaiveDate::parse_from_str(f.day.trim(), "%Y-%m-%d") else {
        return Ok(back("/admin/calendar", "admin-err-date"));
    };
    let kind = match f.kind.as_str() {
        "day_off" | "working_day" | "kurban_ait" => Some(f.kind.as_str()),
        "remove" => None,
        _ => return Ok(back("/admin/calendar", "admin-err-kind")),
    };
    let note: String = f.note.trim().chars().take(200).collect();
    state
        .store
        .set_calendar_day(day, kind, &note, &ctx.actor(), &ctx.source, Utc::now())
        .await?;
    state.cache.invalidate();
    // The deadlines of pending applications follow the calendar.
    follow_calendar(&state, &ctx).await?;
    Ok(Redirect::to(&format!(
        "/admin/calendar?year={}&notice=admin-saved",
        day.year()
    ))
    .into_response())
}

/// Recomputes the deadlines of every application awaiting a decision from its day of receipt,
/// by the calendar as it now stands.
async fn follow_calendar(state: &AppState, ctx: &Ctx) -> AppResult<usize> {
    let calendar = working_calendar(state).await?;
    let mut changes = Vec::new();
    for record in state.store.campaigns().await? {
        let c: Campaign = serde_json::from_str(&record.rules)
            .map_err(|e| AppError::internal("campaign rules", e))?;
        for status in ["submitted", "under_review"] {
            for a in state
                .store
                .applications_in_status(record.id, status)
                .await?
            {
                if let (Some(received), Some(old)) = (a.received_on, a.deadline) {
                    let start = received.and_time(chrono::NaiveTime::MIN);
                    let new = calendar.add_working_days(start, c.receipt_deadline_working_days);
                    if new != old {
                        changes.push((a.id, new));
                    }
                }
            }
        }
    }
    Ok(state
        .store
        .move_deadlines(&changes, &ctx.actor(), &ctx.source, Utc::now())
        .await?)
}

pub struct CampaignRow {
    pub id: i64,
    pub year: String,
    pub opens: String,
    pub closes: String,
    pub other_until: String,
    pub deadline_days: u32,
    pub policy: String,
    pub class_size: u32,
    pub max_file_mb: u64,
    pub max_total_mb: u64,
    pub documents: Vec<RequirementRow>,
}

pub struct RequirementRow {
    pub index: usize,
    pub title: String,
    pub condition: String,
    pub min: u8,
    pub max: u8,
}

/// A requirement's condition in words.
fn condition_text(ctx: &Ctx, c: &domain::campaign::RequirementCondition) -> String {
    use domain::campaign::RequirementCondition as C;
    match c {
        C::Always => ctx.t("cond-always"),
        C::BornBefore(d) => ctx.ta(
            "cond-born-before",
            &[("date", d.format("%d.%m.%Y").to_string())],
        ),
        C::BornAbroad => ctx.t("cond-born-abroad"),
        C::NotCitizen => ctx.t("cond-not-citizen"),
        C::SpecialNeeds => ctx.t("cond-special-needs"),
        C::Guardian => ctx.t("cond-guardian"),
        C::NonResident => ctx.t("cond-non-resident"),
        C::Any(all) => all
            .iter()
            .map(|c| condition_text(ctx, c))
            .collect::<Vec<_>>()
            .join(" / "),
    }
}

#[derive(Template)]
#[template(path = "admin_campaigns.html")]
struct CampaignsPage<'a> {
    ctx: &'a Ctx,
    campaigns: Vec<CampaignRow>,
    policies: Vec<(String, String)>,
    notice: Option<String>,
}

pub async fn campaigns(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<Notice>,
) -> AppResult<Response> {
    admin(&ctx)?;
    let mut rows = Vec::new();
    for r in state.store.campaigns().await? {
        let c: Campaign =
            serde_json::from_str(&r.rules).map_err(|e| AppError::internal("campaign rules", e))?;
        rows.push(CampaignRow {
            id: r.id,
            year: r.academic_year,
            opens: c.first_grade_window.opens.to_string(),
            closes: c.first_grade_window.closes.to_string(),
            other_until: c.other_grades_until.to_string(),
            deadline_days: c.receipt_deadline_working_days,
            policy: c.allocation_policy.as_str().to_owned(),
            class_size: c.class_size_max,
            max_file_mb: c.attachments.max_file_bytes / (1024 * 1024),
            max_total_mb: c.attachments.max_total_bytes / (1024 * 1024),
            documents: c
                .document_requirements
                .iter()
                .enumerate()
                .map(|(index, r)| RequirementRow {
                    index,
                    title: r
                        .kind
                        .title_key()
                        .map(|k| ctx.t(k))
                        .unwrap_or_else(|| r.kind.as_str().to_owned()),
                    condition: condition_text(&ctx, &r.condition),
                    min: r.min_files,
                    max: r.max_files,
                })
                .collect(),
        });
    }
    let notice = notice_text(&ctx, &q);
    let policies = domain::allocation::AllocationPolicy::ALL
        .iter()
        .map(|p| (p.as_str().to_owned(), ctx.t(p.label_key())))
        .collect();
    Ok(render(
        &ctx,
        &CampaignsPage {
            ctx: &ctx,
            campaigns: rows,
            policies,
            notice,
        },
    ))
}

#[derive(Deserialize)]
pub struct CampaignForm {
    csrf: String,
    opens: String,
    closes: String,
    other_until: String,
    deadline_days: u32,
    /// Unchanged when absent.
    #[serde(default)]
    policy: String,
    class_size: Option<u32>,
}

/// Changes a campaign's dates. Its past is not rewritten: once the window opened, the opening
/// day stays, and no window is closed behind people who are applying today.
pub async fn update_campaign(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<CampaignForm>,
) -> AppResult<Response> {
    ctx.check_csrf(&f.csrf)?;
    admin(&ctx)?;
    let record = state.store.campaign(id).await?;
    let mut c: Campaign =
        serde_json::from_str(&record.rules).map_err(|e| AppError::internal("campaign rules", e))?;
    let parse = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
    let (Some(opens), Some(closes), Some(other_until)) =
        (parse(&f.opens), parse(&f.closes), parse(&f.other_until))
    else {
        return Ok(back("/admin/campaigns", "admin-err-date"));
    };
    let today = local_time(Utc::now()).date();
    if c.first_grade_window.opens <= today && opens != c.first_grade_window.opens {
        return Ok(back("/admin/campaigns", "admin-err-past"));
    }
    if closes < today && closes != c.first_grade_window.closes {
        return Ok(back("/admin/campaigns", "admin-err-past"));
    }
    c.first_grade_window.opens = opens;
    c.first_grade_window.closes = closes;
    c.other_grades_until = other_until;
    c.receipt_deadline_working_days = f.deadline_days;
    if !f.policy.is_empty() {
        c.allocation_policy = match domain::allocation::AllocationPolicy::parse(&f.policy) {
            Ok(p) => p,
            Err(_) => return Ok(back("/admin/campaigns", "admin-err-kind")),
        };
    }
    if let Some(size) = f.class_size {
        c.class_size_max = size;
    }
    if c.validate().is_err() {
        return Ok(back("/admin/campaigns", "admin-err-campaign"));
    }
    let rules = serde_json::to_string(&c).map_err(|e| AppError::internal("campaign rules", e))?;
    state
        .store
        .update_campaign_rules(id, &rules, &ctx.actor(), &ctx.source, Utc::now())
        .await?;
    state.cache.invalidate();
    follow_calendar(&state, &ctx).await?;
    Ok(back("/admin/campaigns", "admin-saved"))
}

/// Edits what a campaign asks for: the set of documents (starting from the standard's or
/// current practice's), how many files each, and the size limits. Applications already
/// submitted keep what they were submitted with.
pub async fn update_documents(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
    };
    ctx.check_csrf(&field("csrf").unwrap_or_default())?;
    admin(&ctx)?;
    let record = state.store.campaign(id).await?;
    let mut c: Campaign =
        serde_json::from_str(&record.rules).map_err(|e| AppError::internal("campaign rules", e))?;
    match field("preset").as_deref() {
        Some("standard") => c.document_requirements = domain::campaign::standard_documents(),
        Some("practice") => {
            c.document_requirements = domain::campaign::current_practice_documents()
        }
        _ => {
            let mut kept = Vec::new();
            for (i, mut r) in c.document_requirements.into_iter().enumerate() {
                if field(&format!("remove_{i}")).is_some() {
                    continue;
                }
                let number = |name: String| field(&name).and_then(|v| v.parse::<u8>().ok());
                if let (Some(min), Some(max)) =
                    (number(format!("min_{i}")), number(format!("max_{i}")))
                {
                    r.min_files = min;
                    r.max_files = max;
                }
                kept.push(r);
            }
            c.document_requirements = kept;
        }
    }
    const MIB: u64 = 1024 * 1024;
    if let Some(mb) = field("max_file_mb").and_then(|v| v.parse::<u64>().ok()) {
        c.attachments.max_file_bytes = mb.clamp(1, 50) * MIB;
    }
    if let Some(mb) = field("max_total_mb").and_then(|v| v.parse::<u64>().ok()) {
        c.attachments.max_total_bytes = mb.clamp(1, 200) * MIB;
    }
    if c.validate().is_err() {
        return Ok(back("/admin/campaigns", "admin-err-documents"));
    }
    let rules = serde_json::to_string(&c).map_err(|e| AppError::internal("campaign rules", e))?;
    state
        .store
        .update_campaign_rules(id, &rules, &ctx.actor(), &ctx.source, Utc::now())
        .await?;
    state.cache.invalidate();
    Ok(back("/admin/campaigns", "admin-saved"))
}

/// Opens next year's campaign with the standard's defaults, to be adjusted before it opens.
pub async fn create_campaign(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<CsrfForm>,
) -> AppResult<Response> {
    ctx.check_csrf(&f.csrf)?;
    admin(&ctx)?;
    let latest = state.store.campaigns().await?.into_iter().next();
    let year = match latest {
        Some(r) => domain::ids::AcademicYear::parse(&r.academic_year)
            .map_err(|e| AppError::internal("academic year", format!("{e:?}")))?
            .next()
            .map_err(|e| AppError::internal("academic year", format!("{e:?}")))?,
        None => domain::ids::AcademicYear::next_intake_on_or_after(local_time(Utc::now()).date())
            .map_err(|e| AppError::internal("academic year", format!("{e:?}")))?,
    };
    let campaign = Campaign::standard_defaults(year);
    let rules =
        serde_json::to_string(&campaign).map_err(|e| AppError::internal("campaign rules", e))?;
    state
        .store
        .create_campaign(year.as_str(), &rules, &ctx.actor(), &ctx.source, Utc::now())
        .await?;
    state.cache.invalidate();
    Ok(back("/admin/campaigns", "admin-saved"))
}

pub struct RoleRow {
    pub id: i64,
    pub iin: String,
    pub name: String,
    pub role: String,
    pub school: String,
}

#[derive(Template)]
#[template(path = "admin_staff.html")]
struct StaffPage<'a> {
    ctx: &'a Ctx,
    roles: Vec<RoleRow>,
    schools: Vec<(i64, String)>,
    notice: Option<String>,
}

pub async fn staff(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<Notice>,
) -> AppResult<Response> {
    admin(&ctx)?;
    let schools: Vec<(i64, String)> = state
        .store
        .schools()
        .await?
        .into_iter()
        .map(|s| (s.id, s.name(ctx.lang.code()).to_owned()))
        .collect();
    let mut roles = Vec::new();
    for r in state.store.all_staff_roles().await? {
        let name = state
            .store
            .person_by_iin(&r.iin)
            .await?
            .map(|p| p.full_name())
            .unwrap_or_default();
        let school = r
            .school_id
            .and_then(|id| schools.iter().find(|(s, _)| *s == id))
            .map(|(_, n)| n.clone())
            .unwrap_or_default();
        roles.push(RoleRow {
            id: r.id,
            iin: r.iin.clone(),
            name,
            role: ctx.t(&format!("admin-role-{}", r.role)),
            school,
        });
    }
    let notice = notice_text(&ctx, &q);
    Ok(render(
        &ctx,
        &StaffPage {
            ctx: &ctx,
            roles,
            schools,
            notice,
        },
    ))
}

#[derive(Deserialize)]
pub struct GrantForm {
    csrf: String,
    iin: String,
    role: String,
    #[serde(default)]
    school_id: String,
}

/// Grants a role to an IIN: the person's next request carries exactly the roles in force.
pub async fn grant(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<GrantForm>,
) -> AppResult<Response> {
    ctx.check_csrf(&f.csrf)?;
    admin(&ctx)?;
    // Staff sign in with NCA certificates, whose IIN is taken as issued: twelve digits.
    let iin = f.iin.trim();
    if iin.len() != 12 || !iin.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(back("/admin/staff", "admin-err-iin"));
    }
    let Some(role) = StaffRoleKind::parse(&f.role) else {
        return Ok(back("/admin/staff", "admin-err-kind"));
    };
    let school = f.school_id.parse::<i64>().ok();
    if role != StaffRoleKind::Admin && school.is_none() {
        return Ok(back("/admin/staff", "admin-err-school"));
    }
    let school = if role == StaffRoleKind::Admin {
        None
    } else {
        school
    };
    state
        .store
        .grant_staff_role(iin, role, school, &ctx.actor(), &ctx.source, Utc::now())
        .await?;
    Ok(back("/admin/staff", "admin-saved"))
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn revoke(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> AppResult<Response> {
    ctx.check_csrf(&f.csrf)?;
    let user = admin(&ctx)?;
    // An administrator cannot lock the city out by revoking their own last role.
    if state
        .store
        .staff_roles(&user.person.iin)
        .await?
        .iter()
        .any(|r| r.id == id)
    {
        return Ok(back("/admin/staff", "admin-err-self"));
    }
    state
        .store
        .revoke_staff_role(id, &ctx.actor(), &ctx.source, Utc::now())
        .await?;
    Ok(back("/admin/staff", "admin-saved"))
}

pub struct DeliveryRow {
    pub id: i64,
    pub at: String,
    pub channel: String,
    pub recipient: String,
    pub kind: String,
    pub status: String,
    pub status_code: String,
    pub attempts: i64,
    pub last_error: String,
}

#[derive(Template)]
#[template(path = "admin_outbox.html")]
struct DeliveryPage<'a> {
    ctx: &'a Ctx,
    rows: Vec<DeliveryRow>,
    counts: store::outbox::OutboxCounts,
    status: String,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct DeliveryQuery {
    #[serde(default)]
    status: String,
    notice: Option<String>,
}

/// The delivery log: every message, its channel, attempts, last error, delivered or given up.
pub async fn delivery_log(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<DeliveryQuery>,
) -> AppResult<Response> {
    admin(&ctx)?;
    let filter = store::outbox::OutboxFilter {
        status: store::outbox::OutboxStatus::parse(&q.status),
        ..Default::default()
    };
    let rows = state
        .store
        .outbox_log(&filter, 200)
        .await?
        .into_iter()
        .map(|m| DeliveryRow {
            id: m.id,
            at: local_time(m.created_at)
                .format("%d.%m.%Y %H:%M")
                .to_string(),
            channel: ctx.t(&format!("outbox-channel-{}", m.channel.as_str())),
            recipient: m.recipient,
            kind: m.kind,
            status: ctx.t(&format!("outbox-status-{}", m.status.as_str())),
            status_code: m.status.as_str().to_owned(),
            attempts: m.attempts,
            last_error: m.last_error.unwrap_or_default(),
        })
        .collect();
    let counts = state.store.outbox_counts().await?;
    let notice = q
        .notice
        .as_deref()
        .filter(|k| k.starts_with("admin-"))
        .map(|k| ctx.t(k));
    Ok(render(
        &ctx,
        &DeliveryPage {
            ctx: &ctx,
            rows,
            counts,
            status: q.status,
            notice,
        },
    ))
}

pub async fn resend(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> AppResult<Response> {
    ctx.check_csrf(&f.csrf)?;
    admin(&ctx)?;
    state
        .store
        .resend(id, &ctx.actor(), &ctx.source, Utc::now())
        .await?;
    Ok(back("/admin/outbox", "admin-resent"))
}

pub struct ReportRow {
    pub school: String,
    pub language: String,
    pub applied: usize,
    pub accepted: usize,
    pub refused: usize,
    pub places_left: i64,
}

#[derive(Template)]
#[template(path = "admin_reports.html")]
struct ReportsPage<'a> {
    ctx: &'a Ctx,
    per_day: String,
    on_time: String,
    walkin: String,
    rows: Vec<ReportRow>,
    schools: Vec<(String, String)>,
    filter: ReportFilter,
    /// The filter again, for the export links.
    query: String,
}

/// The campaign in figures: per school and language, per day, receipts on time.
/// What a report covers: one school or all, and a span of submission days.
#[derive(Deserialize, Default, Clone)]
pub struct ReportFilter {
    #[serde(default)]
    school: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

impl ReportFilter {
    fn school_id(&self) -> Option<i64> {
        self.school.parse().ok()
    }
    fn day(s: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
    }
    fn keeps(&self, school: Option<i64>, day: Option<NaiveDate>) -> bool {
        self.school_id().is_none_or(|s| school == Some(s))
            && Self::day(&self.from).is_none_or(|f| day.is_some_and(|d| d >= f))
            && Self::day(&self.to).is_none_or(|t| day.is_some_and(|d| d <= t))
    }
}

async fn report(
    state: &AppState,
    ctx: &Ctx,
    filter: &ReportFilter,
) -> AppResult<(Vec<(String, f64)>, Vec<(String, f64)>, Vec<ReportRow>)> {
    let (campaign_id, _) = crate::service::current_campaign(state).await?;
    let apps: Vec<_> = state
        .store
        .submitted_applications(campaign_id)
        .await?
        .into_iter()
        .filter(|a| filter.keeps(a.school_id, a.submitted_at.map(|t| local_time(t).date())))
        .collect();
    let mut per_day: std::collections::BTreeMap<NaiveDate, f64> = std::collections::BTreeMap::new();
    for a in &apps {
        if let Some(t) = a.submitted_at {
            *per_day.entry(local_time(t).date()).or_default() += 1.0;
        }
    }
    let per_day = per_day
        .into_iter()
        .map(|(d, n)| (d.format("%d.%m").to_string(), n))
        .collect();
    let decided: Vec<_> = apps
        .iter()
        .filter(|a| a.decided_at.is_some() && a.deadline.is_some())
        .collect();
    let late = decided
        .iter()
        .filter(|a| a.decided_at.map(|t| local_time(t).date()) > a.deadline)
        .count();
    let on_time = vec![
        (ctx.t("report-on-time"), (decided.len() - late) as f64),
        (ctx.t("report-late"), late as f64),
    ];
    let mut rows = Vec::new();
    for school in state.store.schools().await? {
        if filter.school_id().is_some_and(|id| id != school.id) {
            continue;
        }
        for p in state.store.school_places(school.id).await? {
            let of = |statuses: &[&str]| {
                apps.iter()
                    .filter(|a| {
                        a.school_id == Some(school.id)
                            && a.language.as_deref() == Some(p.language.as_str())
                            && statuses.contains(&a.status.as_str())
                    })
                    .count()
            };
            let accepted = of(&["accepted", "admitted"]);
            rows.push(ReportRow {
                school: school.name(ctx.lang.code()).to_owned(),
                language: crate::routes::school::language_label(ctx, Some(&p.language)),
                applied: apps
                    .iter()
                    .filter(|a| {
                        a.school_id == Some(school.id)
                            && a.language.as_deref() == Some(p.language.as_str())
                    })
                    .count(),
                accepted,
                refused: of(&["refused"]),
                places_left: p.places - accepted as i64,
            });
        }
    }
    Ok((per_day, on_time, rows))
}

pub async fn reports(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(filter): Query<ReportFilter>,
) -> AppResult<Response> {
    admin(&ctx)?;
    let (per_day, on_time, rows) = report(&state, &ctx, &filter).await?;
    let opts = |description: String| docs::ChartOptions {
        description,
        no_data_text: ctx.t("report-no-data"),
        ..Default::default()
    };
    // The paper channel against the standard's 15 minutes of waiting and 15 of service.
    let (_, campaign) = crate::service::current_campaign(&state).await?;
    let tickets = state
        .store
        .walkin_tickets_since(campaign.first_grade_window.opens)
        .await?;
    let limit = chrono::Duration::minutes(15);
    let waits: Vec<chrono::Duration> = tickets
        .iter()
        .filter_map(|t| t.called_at.map(|c| c - t.issued_at))
        .collect();
    let services: Vec<chrono::Duration> = tickets
        .iter()
        .filter_map(|t| Some(t.served_at? - t.called_at?))
        .collect();
    let walkin_series = vec![
        (
            ctx.t("report-wait-within"),
            waits.iter().filter(|d| **d <= limit).count() as f64,
        ),
        (
            ctx.t("report-wait-over"),
            waits.iter().filter(|d| **d > limit).count() as f64,
        ),
        (
            ctx.t("report-service-within"),
            services.iter().filter(|d| **d <= limit).count() as f64,
        ),
        (
            ctx.t("report-service-over"),
            services.iter().filter(|d| **d > limit).count() as f64,
        ),
    ];
    let schools = state
        .store
        .schools()
        .await?
        .into_iter()
        .map(|s| (s.id.to_string(), s.name(ctx.lang.code()).to_owned()))
        .collect();
    let query = format!(
        "school={}&from={}&to={}",
        filter.school, filter.from, filter.to
    );
    let page = ReportsPage {
        ctx: &ctx,
        schools,
        query,
        filter: filter.clone(),
        walkin: docs::bar_chart_svg(
            &ctx.t("report-walkin-title"),
            &walkin_series,
            &opts(ctx.t("report-walkin-desc")),
        ),
        per_day: docs::line_chart_svg(
            &ctx.t("report-per-day"),
            &per_day,
            &opts(ctx.t("report-per-day-desc")),
        ),
        on_time: docs::bar_chart_svg(
            &ctx.t("report-on-time-title"),
            &on_time,
            &opts(ctx.t("report-on-time-desc")),
        ),
        rows,
    };
    Ok(render(&ctx, &page))
}

pub async fn reports_export(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(format): Path<String>,
    Query(filter): Query<ReportFilter>,
) -> AppResult<Response> {
    admin(&ctx)?;
    let (_, _, rows) = report(&state, &ctx, &filter).await?;
    let table = docs::Table {
        headers: [
            "app-school",
            "app-language",
            "report-applied",
            "report-accepted",
            "report-refused",
            "report-places-left",
        ]
        .iter()
        .map(|k| ctx.t(k))
        .collect(),
        rows: rows
            .into_iter()
            .map(|r| {
                vec![
                    docs::Cell::Text(r.school),
                    docs::Cell::Text(r.language),
                    docs::Cell::Number(r.applied as f64),
                    docs::Cell::Number(r.accepted as f64),
                    docs::Cell::Number(r.refused as f64),
                    docs::Cell::Number(r.places_left as f64),
                ]
            })
            .collect(),
    };
    crate::routes::order::export(table, &format, "report")
}

pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub details: String,
    pub source: String,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage<'a> {
    ctx: &'a Ctx,
    rows: Vec<AuditRow>,
    actor: String,
    object: String,
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    object: String,
}

/// The audit log, newest first, searchable by actor and object.
pub async fn audit(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<AuditQuery>,
) -> AppResult<Response> {
    admin(&ctx)?;
    let rows = state
        .store
        .audit_search(q.actor.trim(), q.object.trim(), 200)
        .await?
        .into_iter()
        .map(|r| AuditRow {
            id: r.id,
            at: local_time(r.at).format("%d.%m.%Y %H:%M:%S").to_string(),
            actor: r.actor,
            action: r.action,
            object: r.object,
            details: r.details.chars().take(200).collect(),
            source: r.source,
        })
        .collect();
    Ok(render(
        &ctx,
        &AuditPage {
            ctx: &ctx,
            rows,
            actor: q.actor,
            object: q.object,
        },
    ))
}
