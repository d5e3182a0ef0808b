//! One parent's whole path over HTTP, as a browser with NCALayer walks it: the sign-in page, a
//! challenge signed with the AUTH key, the application form, the four documents, the review
//! page's document signed with the SIGN key, submission, and the status page.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use reqwest::{Method, StatusCode};

use super::people::{Child, Parent};
use super::report::Tally;

/// Files every parent uploads (shared: the server cannot tell, and the generator saves memory).
pub struct Files {
    pub photos: [Vec<u8>; 2],
    pub health_forms: [Vec<u8>; 2],
}

pub struct Target {
    pub client: reqwest::Client,
    pub base: String,
    pub files: Files,
    /// How many times a parent reloads the status page after submitting.
    pub polls: usize,
    /// Retry a step the server refused politely (503), after a short pause, up to this often.
    pub max_retries: usize,
    /// The pause before such a retry (the server asks for a minute; a bench cannot wait that).
    pub retry_pause: Duration,
    /// `--phased`: every parent waits for all the others after each step.
    pub phases: Option<super::phases::Phases>,
}

/// A finished parent: what the poll-only phase needs to reload their status page.
pub struct Session {
    pub cookies: String,
    pub application: String,
}

/// Why a parent stopped; the kind is what the report counts.
pub struct Failure(pub String);

impl Failure {
    /// A request that failed on its way, with the step it was for.
    fn at(step: &str, e: reqwest::Error) -> Failure {
        Failure(format!("{step}: {}", Failure::from(e).0))
    }
}

impl From<reqwest::Error> for Failure {
    fn from(e: reqwest::Error) -> Failure {
        let kind = if e.is_timeout() {
            "timeout"
        } else if e.is_connect() {
            "connect"
        } else if e.is_body() || e.is_decode() {
            "body"
        } else {
            "transport"
        };
        // The innermost cause tells a reset apart from a refused connection or a closed one.
        let mut cause: &dyn std::error::Error = &e;
        while let Some(source) = cause.source() {
            cause = source;
        }
        Failure(format!("{kind}: {cause}"))
    }
}

/// Cookies of one browser.
#[derive(Default)]
struct Jar(Vec<(String, String)>);

impl Jar {
    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn take(&mut self, r: &reqwest::Response) {
        for v in r.headers().get_all(reqwest::header::SET_COOKIE) {
            let Some((pair, attrs)) = v
                .to_str()
                .ok()
                .map(|s| s.split_once(';').unwrap_or((s, "")))
            else {
                continue;
            };
            let Some((name, value)) = pair.trim().split_once('=') else {
                continue;
            };
            self.0.retain(|(k, _)| k != name);
            let gone = value.is_empty() || attrs.to_ascii_lowercase().contains("max-age=0");
            if !gone {
                self.0.push((name.to_owned(), value.to_owned()));
            }
        }
    }
}

enum Body {
    None,
    Form(String),
    Json(String),
    Multipart { boundary: String, body: Vec<u8> },
}

struct Browser<'a> {
    t: &'a Target,
    jar: Jar,
    tally: &'a mut Tally,
}

impl Browser<'_> {
    /// Sends one request, timing it under `step`. A polite refusal (503 with Retry-After) is
    /// counted and the request repeated after a pause; every other answer is returned.
    async fn send(
        &mut self,
        step: &'static str,
        method: Method,
        path: &str,
        body: &Body,
        headers: &[(&str, &str)],
    ) -> Result<(StatusCode, Option<String>, String), Failure> {
        for _ in 0..=self.t.max_retries {
            let mut rb = self
                .t
                .client
                .request(method.clone(), format!("{}{path}", self.t.base))
                .header("cookie", self.jar.header())
                .header("accept-language", "kk")
                .header("sec-fetch-site", "same-origin");
            for (k, v) in headers {
                rb = rb.header(*k, *v);
            }
            rb = match body {
                Body::None => rb,
                Body::Form(s) => rb
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(s.clone()),
                Body::Json(s) => rb
                    .header("content-type", "application/json")
                    .body(s.clone()),
                Body::Multipart { boundary, body } => rb
                    .header(
                        "content-type",
                        format!("multipart/form-data; boundary={boundary}"),
                    )
                    .body(body.clone()),
            };
            let started = Instant::now();
            let r = rb.send().await.map_err(|e| Failure::at(step, e))?;
            let status = r.status();
            self.jar.take(&r);
            let location = r
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let polite = status == StatusCode::SERVICE_UNAVAILABLE
                && r.headers().contains_key(reqwest::header::RETRY_AFTER);
            let text = r.text().await.map_err(|e| Failure::at(step, e))?;
            let took = started.elapsed();
            if polite {
                self.tally.refused += 1;
                self.tally.refused_latency.push(took);
                // Spread the retries so that refused parents do not come back all at once.
                let jitter = (took.as_micros() % 1000) as u64;
                tokio::time::sleep(self.t.retry_pause + Duration::from_millis(jitter)).await;
                continue;
            }
            if status.is_server_error() {
                return Err(Failure(format!("{step}: status {}", status.as_u16())));
            }
            self.tally.steps.entry(step).or_default().push(took);
            if let Some(phases) = &self.t.phases {
                phases.step_done(step).await?;
            }
            return Ok((status, location, text));
        }
        Err(Failure(format!("{step}: still refused after retries")))
    }
}

fn field<'h>(html: &'h str, before: &str) -> Option<&'h str> {
    html.split(before).nth(1)?.split('"').next()
}

fn csrf(step: &str, html: &str) -> Result<String, Failure> {
    field(html, "name=\"csrf\" value=\"")
        .map(str::to_owned)
        .ok_or_else(|| Failure(format!("{step}: no CSRF token")))
}

fn expect_redirect(
    step: &str,
    (status, location, _): &(StatusCode, Option<String>, String),
) -> Result<String, Failure> {
    match location {
        Some(l) if status.is_redirection() && !l.contains("error=") => Ok(l.clone()),
        Some(l) if l.contains("error=") => Err(Failure(format!(
            "{step}: refused ({})",
            l.split("error=").nth(1).unwrap_or_default()
        ))),
        _ => Err(Failure(format!("{step}: status {}", status.as_u16()))),
    }
}

/// The documents form's body, as the application page sends it: every chosen file under
/// `file:<kind>` (kind, file name, type, bytes).
fn multipart(csrf: &str, files: &[(&str, &str, &str, &[u8])]) -> Body {
    let size: usize = files.iter().map(|(_, _, _, data)| data.len()).sum();
    let boundary = format!("----mektepbench{:016x}", size as u64 ^ 0x5eed_f00d);
    let mut body = Vec::with_capacity(size + 1024);
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n")
            .as_bytes(),
    );
    for (kind, name, mime, data) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file:{kind}\"; filename=\"{name}\"\r\nContent-Type: {mime}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Body::Multipart { boundary, body }
}

fn form(pairs: &[(&str, &str)]) -> Result<Body, Failure> {
    serde_urlencoded::to_string(pairs)
        .map(Body::Form)
        .map_err(|e| Failure(format!("form: {e}")))
}

/// Walks one parent through the whole path; on success the session can reload the status page.
pub async fn apply(
    t: &Target,
    parent: &Parent,
    child: &Child,
    school: usize,
    tally: &mut Tally,
) -> Result<Session, Failure> {
    let mut b = Browser {
        t,
        jar: Jar::default(),
        tally,
    };
    // Sign in: the page gives the anonymous CSRF token, the script asks for a challenge, and
    // NCALayer signs it with the AUTH key (attached CMS, as `encapsulate: true`).
    let (_, _, html) = b
        .send("login_page", Method::GET, "/login", &Body::None, &[])
        .await?;
    let token = csrf("login_page", &html)?;
    let (status, _, text) = b
        .send(
            "challenge",
            Method::POST,
            "/auth/challenge",
            &Body::None,
            &[("x-csrf-token", &token)],
        )
        .await?;
    let ch: serde_json::Value = serde_json::from_str(&text)
        .map_err(|_| Failure(format!("challenge: status {}", status.as_u16())))?;
    let data = ch["data"]
        .as_str()
        .and_then(|d| B64.decode(d).ok())
        .ok_or_else(|| Failure("challenge: no data".into()))?;
    let cms = parent
        .auth
        .sign(&data, true)
        .map_err(|e| Failure(format!("signing: {e}")))?;
    let login = serde_json::json!({ "challenge_id": ch["id"], "cms": B64.encode(cms) }).to_string();
    let (status, _, _) = b
        .send(
            "sign_in",
            Method::POST,
            "/auth/login",
            &Body::Json(login),
            &[("x-csrf-token", &token)],
        )
        .await?;
    if status != StatusCode::OK {
        return Err(Failure(format!("sign_in: status {}", status.as_u16())));
    }
    // The application form, filled in and sent.
    let (_, _, html) = b
        .send(
            "application_form",
            Method::GET,
            "/applications/new",
            &Body::None,
            &[],
        )
        .await?;
    let token = csrf("application_form", &html)?;
    let birth = child.birth_date.format("%Y-%m-%d").to_string();
    // Street k's houses 1–60 belong to school k: the child lives in the school's territory.
    let street = (school % 11 + 1).to_string();
    let house = (10 + school % 40).to_string();
    let created = b
        .send(
            "create",
            Method::POST,
            "/applications/new",
            &form(&[
                ("csrf", &token),
                ("child_iin", &child.iin),
                ("child_birth_date", &birth),
                ("child_surname", "Серікова"),
                ("child_given_name", child.given_name),
                ("citizenship", "citizen"),
                ("relation", "mother"),
                ("street_id", &street),
                ("house", &house),
                ("school_id", &street),
                ("language", "kk"),
                ("grade", "1"),
                ("study_form", "full_time"),
                ("consent", "on"),
            ])?,
            &[],
        )
        .await?;
    let application = expect_redirect("create", &created)?;
    let application = application
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .to_owned();
    if !application.starts_with("/applications/") {
        return Err(Failure("create: form refused".into()));
    }
    // The documents: two health forms (PDF scans) and the two photos (JPEG), chosen on the
    // application page and sent with its one upload button.
    let uploads: [(&str, &str, &str, &[u8]); 4] = [
        (
            "health_063u",
            "063u.pdf",
            "application/pdf",
            &t.files.health_forms[0],
        ),
        (
            "health_026u3",
            "026u3.pdf",
            "application/pdf",
            &t.files.health_forms[1],
        ),
        ("photo_3x4", "photo1.jpg", "image/jpeg", &t.files.photos[0]),
        ("photo_3x4", "photo2.jpg", "image/jpeg", &t.files.photos[1]),
    ];
    let r = b
        .send(
            "upload",
            Method::POST,
            &format!("{application}/documents"),
            &multipart(&token, &uploads),
            &[],
        )
        .await?;
    expect_redirect("upload", &r)?;
    // Review: the page carries the exact document to sign; NCALayer signs it with the SIGN key.
    let (_, _, review) = b
        .send(
            "review",
            Method::GET,
            &format!("{application}/review"),
            &Body::None,
            &[],
        )
        .await?;
    let token = csrf("review", &review)?;
    let content = field(&review, "data-content=\"")
        .and_then(|c| B64.decode(c).ok())
        .ok_or_else(|| Failure("review: no document to sign".into()))?;
    let submit_key = field(&review, "name=\"submit_key\" value=\"")
        .ok_or_else(|| Failure("review: no submit key".into()))?
        .to_owned();
    let cms = parent
        .sign
        .sign(&content, true)
        .map_err(|e| Failure(format!("signing: {e}")))?;
    let cms = B64.encode(cms);
    let submitted = b
        .send(
            "submit",
            Method::POST,
            &format!("{application}/submit"),
            &form(&[("csrf", &token), ("submit_key", &submit_key), ("cms", &cms)])?,
            &[],
        )
        .await?;
    let to = expect_redirect("submit", &submitted)?;
    if !to.contains("notice-submitted") {
        return Err(Failure("submit: not acknowledged".into()));
    }
    b.tally.acknowledged += 1;
    // The parent watches the status page.
    for _ in 0..t.polls.max(1) {
        let (status, _, page) = b
            .send("status", Method::GET, &application, &Body::None, &[])
            .await?;
        if status != StatusCode::OK || !page.contains("class=\"tag submitted\"") {
            return Err(Failure(format!(
                "status: not shown as submitted ({})",
                status.as_u16()
            )));
        }
    }
    Ok(Session {
        cookies: b.jar.header(),
        application,
    })
}

/// Reloads status pages of finished parents for `duration`, `concurrency` at a time.
pub async fn poll_only(
    t: Arc<Target>,
    sessions: Arc<Vec<Session>>,
    concurrency: usize,
    duration: Duration,
) -> (Vec<Duration>, u64) {
    let until = Instant::now() + duration;
    let mut workers = Vec::new();
    for w in 0..concurrency {
        let t = t.clone();
        let sessions = sessions.clone();
        workers.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut errors = 0u64;
            let mut i = w;
            while Instant::now() < until && !sessions.is_empty() {
                let s = &sessions[i % sessions.len()];
                i += concurrency;
                let started = Instant::now();
                let ok = match t
                    .client
                    .get(format!("{}{}", t.base, s.application))
                    .header("cookie", &s.cookies)
                    .header("accept-language", "kk")
                    .send()
                    .await
                {
                    Ok(r) if r.status() == StatusCode::OK => r
                        .text()
                        .await
                        .map(|p| p.contains("class=\"tag submitted\""))
                        .unwrap_or(false),
                    _ => false,
                };
                if ok {
                    samples.push(started.elapsed());
                } else {
                    errors += 1;
                }
            }
            (samples, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for w in workers {
        if let Ok((s, e)) = w.await {
            all.extend(s);
            errors += e;
        }
    }
    (all, errors)
}
