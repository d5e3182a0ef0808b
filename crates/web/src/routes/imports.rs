//! Schools and service territories: the lists, their export, and imports from CSV with a preview
//! of every row (accepted, or rejected and why) before anything is applied — and then the whole
//! file or nothing.

use std::collections::{BTreeMap, HashSet};

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use chrono::Utc;
use domain::application::Language;
use domain::ids::Bin;
use serde::Deserialize;
use store::{SchoolImport, TerritoryImport};

use crate::ctx::Ctx;
use crate::error::{AppError, AppResult};
use crate::pages::render;
use crate::state::AppState;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
/// A city's list fits easily; a larger file is a mistake.
const MAX_IMPORT_BYTES: usize = 2 * 1024 * 1024;

fn admin(ctx: &Ctx) -> AppResult<()> {
    if ctx.require_user()?.is_admin() {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

pub struct SchoolRow {
    pub name: String,
    pub bin: String,
    pub address: String,
    pub places: String,
}

pub struct PreviewRow {
    pub line: usize,
    pub text: String,
    /// Empty when the row is accepted.
    pub problem: String,
}

#[derive(Template)]
#[template(path = "admin_schools.html")]
struct SchoolsPage<'a> {
    ctx: &'a Ctx,
    schools: Vec<SchoolRow>,
    streets: Vec<(String, String)>,
    overlaps: Vec<String>,
    uncovered: Vec<String>,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct Notice {
    notice: Option<String>,
}

pub async fn schools(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<Notice>,
) -> AppResult<Response> {
    admin(&ctx)?;
    let places = state.store.all_school_places().await?;
    let all = state.store.schools().await?;
    let schools = all
        .iter()
        .map(|s| SchoolRow {
            name: s.name(ctx.lang.code()).to_owned(),
            bin: s.bin.clone(),
            address: s.address.clone(),
            places: places
                .iter()
                .filter(|p| p.school_id == s.id)
                .map(|p| format!("{}={}", p.language, p.places))
                .collect::<Vec<_>>()
                .join(" "),
        })
        .collect();
    let streets = state.store.streets().await?;
    let ranges = state.store.territory_ranges().await?;
    let school_name = |id: i64| {
        all.iter()
            .find(|s| s.id == id)
            .map(|s| s.name(ctx.lang.code()).to_owned())
            .unwrap_or_default()
    };
    let street_name = |id: i64| {
        streets
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.name(ctx.lang.code()).to_owned())
            .unwrap_or_default()
    };
    // Where two schools claim the same houses, and which streets no school serves.
    let mut overlaps = Vec::new();
    for (i, a) in ranges.iter().enumerate() {
        for b in &ranges[i + 1..] {
            if a.street_id == b.street_id
                && a.school_id != b.school_id
                && a.house_from <= b.house_to
                && b.house_from <= a.house_to
            {
                overlaps.push(ctx.ta(
                    "territory-overlap",
                    &[
                        ("street", street_name(a.street_id)),
                        ("from", a.house_from.max(b.house_from).to_string()),
                        ("to", a.house_to.min(b.house_to).to_string()),
                        ("first", school_name(a.school_id)),
                        ("second", school_name(b.school_id)),
                    ],
                ));
            }
        }
    }
    let covered: HashSet<i64> = ranges.iter().map(|r| r.street_id).collect();
    let uncovered = streets
        .iter()
        .filter(|s| !covered.contains(&s.id))
        .map(|s| s.name(ctx.lang.code()).to_owned())
        .collect();
    let mut by_street: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in &ranges {
        by_street
            .entry(street_name(r.street_id))
            .or_default()
            .push(format!(
                "{}–{}: {}",
                r.house_from,
                r.house_to,
                school_name(r.school_id)
            ));
    }
    let streets = by_street
        .into_iter()
        .map(|(k, v)| (k, v.join("; ")))
        .collect();
    let notice = q
        .notice
        .filter(|k| k.starts_with("import-"))
        .map(|k| ctx.t(&k));
    Ok(render(
        &ctx,
        &SchoolsPage {
            ctx: &ctx,
            schools,
            streets,
            overlaps,
            uncovered,
            notice,
        },
    ))
}

/// Parses a schools file: `bin; name_kk; name_ru; address; phone; email; places` where places
/// reads like `kk=75 ru=50`. A header row (first cell `bin`) is skipped.
fn parse_schools(ctx: &Ctx, text: &str) -> (Vec<SchoolImport>, Vec<PreviewRow>) {
    let mut accepted = Vec::new();
    let mut preview = Vec::new();
    let mut seen = HashSet::new();
    for (i, row) in crate::csv::rows(text).into_iter().enumerate() {
        if i == 0 && row.first().is_some_and(|c| c.eq_ignore_ascii_case("bin")) {
            continue;
        }
        let cell = |n: usize| row.get(n).cloned().unwrap_or_default();
        let problem = (|| {
            let bin = Bin::parse(&cell(0)).map_err(|e| ctx.t(e.message_key()))?;
            if !seen.insert(bin.as_str().to_owned()) {
                return Err(ctx.t("import-err-duplicate"));
            }
            if cell(1).is_empty() || cell(2).is_empty() {
                return Err(ctx.t("import-err-name"));
            }
            let mut places = Vec::new();
            for part in cell(6).split_whitespace() {
                let (lang, n) = part
                    .split_once('=')
                    .ok_or_else(|| ctx.t("import-err-places"))?;
                let lang = Language::parse(lang).map_err(|_| ctx.t("import-err-places"))?;
                let n: i64 = n
                    .parse()
                    .ok()
                    .filter(|n| (0..=2000).contains(n))
                    .ok_or_else(|| ctx.t("import-err-places"))?;
                places.push((lang.as_str().to_owned(), n));
            }
            if places.is_empty() {
                return Err(ctx.t("import-err-places"));
            }
            Ok(SchoolImport {
                bin: bin.as_str().to_owned(),
                name_kk: cell(1),
                name_ru: cell(2),
                address: cell(3),
                phone: cell(4),
                email: cell(5),
                places,
            })
        })();
        let text = row.join(" ; ");
        match problem {
            Ok(s) => {
                accepted.push(s);
                preview.push(PreviewRow {
                    line: i + 1,
                    text,
                    problem: String::new(),
                });
            }
            Err(p) => preview.push(PreviewRow {
                line: i + 1,
                text,
                problem: p,
            }),
        }
    }
    (accepted, preview)
}

/// Parses a territories file: `bin; street_kk; street_ru; house_from; house_to`.
fn parse_territories(
    ctx: &Ctx,
    text: &str,
    known_bins: &HashSet<String>,
) -> (Vec<TerritoryImport>, Vec<PreviewRow>) {
    let mut accepted = Vec::new();
    let mut preview = Vec::new();
    for (i, row) in crate::csv::rows(text).into_iter().enumerate() {
        if i == 0 && row.first().is_some_and(|c| c.eq_ignore_ascii_case("bin")) {
            continue;
        }
        let cell = |n: usize| row.get(n).cloned().unwrap_or_default();
        let problem = (|| {
            let bin = Bin::parse(&cell(0)).map_err(|e| ctx.t(e.message_key()))?;
            if !known_bins.contains(bin.as_str()) {
                return Err(ctx.t("import-err-unknown-school"));
            }
            if cell(1).is_empty() || cell(2).is_empty() {
                return Err(ctx.t("import-err-street"));
            }
            let from: i64 = cell(3).parse().map_err(|_| ctx.t("import-err-houses"))?;
            let to: i64 = cell(4).parse().map_err(|_| ctx.t("import-err-houses"))?;
            if from < 1 || to < from || to > 9999 {
                return Err(ctx.t("import-err-houses"));
            }
            Ok(TerritoryImport {
                school_bin: bin.as_str().to_owned(),
                street_kk: cell(1),
                street_ru: cell(2),
                house_from: from,
                house_to: to,
            })
        })();
        let text = row.join(" ; ");
        match problem {
            Ok(t) => {
                accepted.push(t);
                preview.push(PreviewRow {
                    line: i + 1,
                    text,
                    problem: String::new(),
                });
            }
            Err(p) => preview.push(PreviewRow {
                line: i + 1,
                text,
                problem: p,
            }),
        }
    }
    (accepted, preview)
}

#[derive(Template)]
#[template(path = "admin_import_preview.html")]
struct PreviewPage<'a> {
    ctx: &'a Ctx,
    what: String,
    rows: Vec<PreviewRow>,
    accepted: usize,
    rejected: usize,
    data: String,
}

async fn read_file(ctx: &Ctx, multipart: &mut Multipart) -> AppResult<String> {
    let broken = |_| AppError::BadRequest("app-err-upload-broken");
    let mut csrf = String::new();
    while let Some(field) = multipart.next_field().await.map_err(broken)? {
        match field.name().unwrap_or_default() {
            "csrf" => csrf = field.text().await.map_err(broken)?,
            "file" => {
                ctx.check_csrf(&csrf)?;
                let mut data = Vec::new();
                let mut field = field;
                while let Some(chunk) = field.chunk().await.map_err(broken)? {
                    if data.len() + chunk.len() > MAX_IMPORT_BYTES {
                        return Err(AppError::BadRequest("import-err-too-large"));
                    }
                    data.extend_from_slice(&chunk);
                }
                return String::from_utf8(data)
                    .map_err(|_| AppError::BadRequest("import-err-encoding"));
            }
            _ => {}
        }
    }
    Err(AppError::BadRequest("app-err-upload-empty"))
}

async fn known_bins(state: &AppState) -> AppResult<HashSet<String>> {
    Ok(state
        .store
        .schools()
        .await?
        .into_iter()
        .map(|s| s.bin)
        .collect())
}

/// Step one: the file is read and every row judged; nothing is written yet.
pub async fn preview(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(what): Path<String>,
    mut multipart: Multipart,
) -> AppResult<Response> {
    admin(&ctx)?;
    let text = read_file(&ctx, &mut multipart).await?;
    let rows = match what.as_str() {
        "schools" => parse_schools(&ctx, &text).1,
        "territories" => parse_territories(&ctx, &text, &known_bins(&state).await?).1,
        _ => return Err(AppError::NotFound),
    };
    let rejected = rows.iter().filter(|r| !r.problem.is_empty()).count();
    let page = PreviewPage {
        ctx: &ctx,
        what,
        accepted: rows.len() - rejected,
        rejected,
        rows,
        data: B64.encode(text.as_bytes()),
    };
    Ok(render(&ctx, &page))
}

#[derive(Deserialize)]
pub struct ApplyForm {
    csrf: String,
    data: String,
}

/// Step two: the same file, judged again, is applied whole — or not at all if any row fails.
pub async fn apply(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(what): Path<String>,
    Form(f): Form<ApplyForm>,
) -> AppResult<Response> {
    ctx.check_csrf(&f.csrf)?;
    admin(&ctx)?;
    let text = B64
        .decode(f.data.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or(AppError::BadRequest("import-err-encoding"))?;
    let now = Utc::now();
    let done = match what.as_str() {
        "schools" => {
            let (rows, preview) = parse_schools(&ctx, &text);
            if preview.iter().any(|r| !r.problem.is_empty()) || rows.is_empty() {
                return Ok(Redirect::to("/admin/schools?notice=import-refused").into_response());
            }
            state
                .store
                .import_schools(&rows, &ctx.actor(), &ctx.source, now)
                .await
        }
        "territories" => {
            let (rows, preview) = parse_territories(&ctx, &text, &known_bins(&state).await?);
            if preview.iter().any(|r| !r.problem.is_empty()) || rows.is_empty() {
                return Ok(Redirect::to("/admin/schools?notice=import-refused").into_response());
            }
            state
                .store
                .import_territories(&rows, &ctx.actor(), &ctx.source, now)
                .await
        }
        _ => return Err(AppError::NotFound),
    };
    match done {
        Ok(_) => {
            state.cache.invalidate();
            Ok(Redirect::to("/admin/schools?notice=import-applied").into_response())
        }
        Err(store::StoreError::Conflict(_)) => {
            Ok(Redirect::to("/admin/schools?notice=import-refused").into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The schools as a file in the import's own format, so an export can be edited and imported.
pub async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(format): Path<String>,
) -> AppResult<Response> {
    admin(&ctx)?;
    let places = state.store.all_school_places().await?;
    let rows = state
        .store
        .schools()
        .await?
        .into_iter()
        .map(|s| {
            let p = places
                .iter()
                .filter(|p| p.school_id == s.id)
                .map(|p| format!("{}={}", p.language, p.places))
                .collect::<Vec<_>>()
                .join(" ");
            [s.bin, s.name_kk, s.name_ru, s.address, s.phone, s.email, p]
                .into_iter()
                .map(docs::Cell::Text)
                .collect()
        })
        .collect();
    let table = docs::Table {
        headers: [
            "bin", "name_kk", "name_ru", "address", "phone", "email", "places",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    };
    crate::routes::order::export(table, &format, "schools")
}
