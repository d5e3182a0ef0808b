//! The walk-in queue of the paper channel: a page the school shows on a screen or kiosk where a
//! parent takes a ticket, and the clerk's page that calls the next ticket and closes the
//! service. Waiting and service times are measured against the standard's 15 + 15 minutes.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use store::walkin::WalkinTicket;

use crate::ctx::Ctx;
use crate::error::{AppError, AppResult};
use crate::pages::render;
use crate::service::local_time;
use crate::state::AppState;

/// The standard's limit for waiting, and for the service itself.
const LIMIT: Duration = Duration::minutes(15);

fn today() -> chrono::NaiveDate {
    local_time(Utc::now()).date()
}

fn minutes(d: Duration) -> String {
    format!("{}:{:02}", d.num_minutes(), d.num_seconds().rem_euclid(60))
}

#[derive(Template)]
#[template(path = "walkin_board.html")]
struct BoardPage<'a> {
    ctx: &'a Ctx,
    school_id: i64,
    school: String,
    serving: Vec<i64>,
    waiting: usize,
}

/// The school's screen: who is being served, how many wait, and the button to take a ticket.
pub async fn board(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(school_id): Path<i64>,
) -> AppResult<Response> {
    let school = state.store.school(school_id).await?;
    let tickets = state.store.walkin_tickets(school_id, today()).await?;
    let serving = tickets
        .iter()
        .filter(|t| t.called_at.is_some() && t.served_at.is_none())
        .map(|t| t.number)
        .collect();
    let waiting = tickets.iter().filter(|t| t.called_at.is_none()).count();
    Ok(render(
        &ctx,
        &BoardPage {
            ctx: &ctx,
            school_id,
            school: school.name(ctx.lang.code()).to_owned(),
            serving,
            waiting,
        },
    ))
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn take(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(school_id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> AppResult<Response> {
    ctx.check_csrf(&f.csrf)?;
    state.store.school(school_id).await?;
    let ticket = state
        .store
        .take_walkin_ticket(school_id, today(), Utc::now())
        .await?;
    Ok(Redirect::to(&format!("/walkin/ticket/{}", ticket.id)).into_response())
}

#[derive(Template)]
#[template(path = "walkin_ticket.html")]
struct TicketPage<'a> {
    ctx: &'a Ctx,
    t: WalkinTicket,
    school: String,
    ahead: usize,
}

pub async fn ticket(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let t = state
        .store
        .walkin_ticket(id)
        .await?
        .ok_or(AppError::NotFound)?;
    let school = crate::service::school(&state, t.school_id)
        .await?
        .name(ctx.lang.code())
        .to_owned();
    let ahead = state
        .store
        .walkin_tickets(t.school_id, t.day)
        .await?
        .iter()
        .filter(|o| o.called_at.is_none() && o.number < t.number)
        .count();
    Ok(render(
        &ctx,
        &TicketPage {
            ctx: &ctx,
            t,
            school,
            ahead,
        },
    ))
}

pub struct TicketRow {
    pub id: i64,
    pub number: i64,
    pub issued: String,
    pub wait: String,
    pub wait_over: bool,
    pub service: String,
    pub service_over: bool,
    pub mine: bool,
    pub open: bool,
}

#[derive(Template)]
#[template(path = "walkin_desk.html")]
struct DeskPage<'a> {
    ctx: &'a Ctx,
    school_id: i64,
    rows: Vec<TicketRow>,
    waiting: usize,
    average_wait: String,
    average_service: String,
    over_limit: usize,
}

fn staff_school(ctx: &Ctx) -> AppResult<(i64, i64)> {
    let user = ctx.require_user()?;
    let school = user.staff_school().ok_or(AppError::NotFound)?;
    Ok((user.person.id, school))
}

fn span(from: DateTime<Utc>, to: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Duration {
    to.unwrap_or(now) - from
}

/// The clerk's desk: the day's tickets with waiting and service times.
pub async fn desk(State(state): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    let (me, school_id) = staff_school(&ctx)?;
    let now = Utc::now();
    let tickets = state.store.walkin_tickets(school_id, today()).await?;
    let rows: Vec<TicketRow> = tickets
        .iter()
        .map(|t| {
            let wait = span(t.issued_at, t.called_at, now);
            let service = t.called_at.map(|c| span(c, t.served_at, now));
            TicketRow {
                id: t.id,
                number: t.number,
                issued: local_time(t.issued_at).format("%H:%M").to_string(),
                wait: minutes(wait),
                wait_over: wait > LIMIT,
                service: service.map(minutes).unwrap_or_default(),
                service_over: service.is_some_and(|s| s > LIMIT),
                mine: t.called_by == Some(me) && t.served_at.is_none(),
                open: t.served_at.is_none(),
            }
        })
        .collect();
    let called: Vec<&WalkinTicket> = tickets.iter().filter(|t| t.called_at.is_some()).collect();
    let served: Vec<&WalkinTicket> = tickets.iter().filter(|t| t.served_at.is_some()).collect();
    let average = |spans: Vec<Duration>| {
        if spans.is_empty() {
            "—".to_owned()
        } else {
            minutes(spans.iter().fold(Duration::zero(), |a, b| a + *b) / spans.len() as i32)
        }
    };
    let page = DeskPage {
        ctx: &ctx,
        school_id,
        waiting: tickets.iter().filter(|t| t.called_at.is_none()).count(),
        average_wait: average(
            called
                .iter()
                .map(|t| span(t.issued_at, t.called_at, now))
                .collect(),
        ),
        average_service: average(
            served
                .iter()
                .filter_map(|t| t.called_at.map(|c| span(c, t.served_at, now)))
                .collect(),
        ),
        over_limit: rows
            .iter()
            .filter(|r| r.wait_over || r.service_over)
            .count(),
        rows,
    };
    Ok(render(&ctx, &page))
}

pub async fn call_next(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<CsrfForm>,
) -> AppResult<Response> {
    ctx.check_csrf(&f.csrf)?;
    let (me, school_id) = staff_school(&ctx)?;
    state
        .store
        .call_next_walkin(school_id, today(), me, &ctx.source, Utc::now())
        .await?;
    Ok(Redirect::to("/school/walkin").into_response())
}

pub async fn finish(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> AppResult<Response> {
    ctx.check_csrf(&f.csrf)?;
    let (me, school_id) = staff_school(&ctx)?;
    state
        .store
        .finish_walkin(school_id, id, me, &ctx.source, Utc::now())
        .await?;
    Ok(Redirect::to("/school/walkin").into_response())
}
