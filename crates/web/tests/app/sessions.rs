//! Sessions and the web's own defences: cookie attributes, a new session id at sign-in, an end
//! at sign-out and after idle time (on the server, not only in the browser), the security headers
//! and a script-free markup for the Content-Security-Policy, rate limits, size and time limits.

use super::*;

/// A client that keeps no cookies: the test sends exactly the cookies it means to.
fn bare_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The `name=value` a response sets, and the whole Set-Cookie line.
fn set_cookie(r: &reqwest::Response, name: &str) -> Option<(String, String)> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|line| {
            let value = line[name.len() + 1..]
                .split(';')
                .next()
                .unwrap_or("")
                .to_owned();
            (value, line.to_owned())
        })
}

/// Signs in with the cookies given (e.g. a session id an attacker planted); returns the response.
async fn sign_in_with_cookies(app: &App, cookies: &str, key: &IssuedKey) -> reqwest::Response {
    let c = bare_client();
    let r = c
        .get(format!("{}/", app.base))
        .header("cookie", cookies)
        .send()
        .await
        .expect("home page");
    // A first visit gets its anonymous id, which the form's token is bound to.
    let cookies = match set_cookie(&r, "mektep_anon") {
        Some((anon, _)) => format!("{cookies}; mektep_anon={anon}"),
        None => cookies.to_owned(),
    };
    let cookies = cookies.as_str();
    let csrf = csrf_of(&r.text().await.expect("html"));
    let ch: serde_json::Value = c
        .post(format!("{}/auth/challenge", app.base))
        .header("cookie", cookies)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .expect("challenge")
        .json()
        .await
        .expect("json");
    let data = B64.decode(ch["data"].as_str().expect("data")).expect("b64");
    let cms = CmsSigner::from_issued(key)
        .expect("signer")
        .sign(&data, true)
        .expect("sign");
    c.post(format!("{}/auth/login", app.base))
        .header("cookie", cookies)
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({ "challenge_id": ch["id"], "cms": B64.encode(cms) }))
        .send()
        .await
        .expect("login")
}

/// Whether a session cookie opens the cabinet (rather than sending to sign in).
async fn works(app: &App, session: &str) -> bool {
    let r = bare_client()
        .get(format!("{}/cabinet", app.base))
        .header("cookie", format!("mektep_session={session}"))
        .send()
        .await
        .expect("cabinet");
    r.status() == 200
}

#[tokio::test]
async fn session_cookies_are_strict_new_at_sign_in_and_dead_after_sign_out() {
    let backend = databases().await.remove(0);
    let app = start_with(
        &backend,
        WebConfig {
            cookie_secure: true,
            ..WebConfig::default()
        },
    )
    .await;
    let f = fixture();
    let c = bare_client();
    let r = c
        .get(format!("{}/login", app.base))
        .send()
        .await
        .expect("login");
    let (anon, line) = set_cookie(&r, "mektep_anon").expect("anonymous cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(line.contains(attribute), "{line}");
    }
    // A session id planted before sign-in (session fixation) is not the one after it.
    let planted = "a".repeat(43);
    let cookies = format!("mektep_anon={anon}; mektep_session={planted}");
    let r = sign_in_with_cookies(&app, &cookies, &f.parent_a.auth).await;
    assert_eq!(r.status(), 200);
    let (first, line) = set_cookie(&r, "mektep_session").expect("session cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Secure"] {
        assert!(line.contains(attribute), "{line}");
    }
    assert_ne!(first, planted);
    assert!(!works(&app, &planted).await);
    assert!(works(&app, &first).await);
    // Signing in again in the same browser opens a new session and ends the old one.
    let r = sign_in_with_cookies(&app, &format!("mektep_session={first}"), &f.parent_a.auth).await;
    let (second, _) = set_cookie(&r, "mektep_session").expect("session cookie");
    assert_ne!(second, first);
    assert!(!works(&app, &first).await, "the old session ended");
    assert!(works(&app, &second).await);
    // Sign-out ends the session on the server: the cookie, replayed, opens nothing.
    let html = c
        .get(format!("{}/cabinet", app.base))
        .header("cookie", format!("mektep_session={second}"))
        .send()
        .await
        .expect("cabinet")
        .text()
        .await
        .expect("html");
    let r = c
        .post(format!("{}/logout", app.base))
        .header("cookie", format!("mektep_session={second}"))
        .form(&[("csrf", csrf_of(&html))])
        .send()
        .await
        .expect("logout");
    assert_eq!(r.status(), 303);
    let (cleared, line) = set_cookie(&r, "mektep_session").expect("cleared");
    assert!(cleared.is_empty() && line.contains("Max-Age=0"), "{line}");
    assert!(
        !works(&app, &second).await,
        "the session ended on the server"
    );
}

#[tokio::test]
async fn an_idle_session_ends_on_the_server() {
    for backend in databases().await {
        let app = start(&backend).await;
        let f = fixture();
        let r = sign_in_with_cookies(&app, "", &f.parent_a.auth).await;
        let (token, _) = set_cookie(&r, "mektep_session").expect("session");
        assert!(works(&app, &token).await);
        // 31 minutes later (the default idle time is 30): the server has forgotten it.
        let later = Utc::now() + chrono::Duration::minutes(31);
        let idle = chrono::Duration::minutes(app.state.config.session_idle_minutes);
        assert_eq!(idle, chrono::Duration::minutes(30));
        assert!(
            app.store
                .session(&token, later, idle)
                .await
                .expect("session")
                .is_none()
        );
        assert!(!works(&app, &token).await, "{}", backend.0);
    }
    // The idle time is the configured one: with none allowed, the next request is anonymous.
    let backend = databases().await.remove(0);
    let app = start_with(
        &backend,
        WebConfig {
            session_idle_minutes: 0,
            ..WebConfig::default()
        },
    )
    .await;
    let r = sign_in_with_cookies(&app, "", &fixture().parent_a.auth).await;
    let (token, _) = set_cookie(&r, "mektep_session").expect("session");
    assert!(!works(&app, &token).await);
}

/// Checks the headers every answer must carry; returns what is missing.
pub(super) fn missing_security_headers(h: &reqwest::header::HeaderMap) -> Vec<&'static str> {
    let get = |name: &str| h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mut missing = Vec::new();
    let csp = get("content-security-policy");
    let csp_ok = (csp.contains("script-src 'self'")
        && csp.contains("frame-ancestors 'none'")
        && !csp.contains("unsafe-inline")
        && !csp.contains("unsafe-eval"))
        // Uploaded documents: a sandbox with nothing allowed to run.
        || (csp.starts_with("sandbox") && csp.contains("default-src 'none'"));
    if !csp_ok {
        missing.push("content-security-policy");
    }
    if get("x-content-type-options") != "nosniff" {
        missing.push("x-content-type-options");
    }
    if !matches!(
        get("referrer-policy"),
        "same-origin" | "no-referrer" | "strict-origin-when-cross-origin"
    ) {
        missing.push("referrer-policy");
    }
    if get("x-frame-options") != "DENY" {
        missing.push("x-frame-options");
    }
    missing
}

#[test]
fn no_template_has_inline_script_event_handlers_or_style_attributes() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("templates").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let html = std::fs::read_to_string(entry.path())
            .expect("template")
            .to_ascii_lowercase();
        for (i, _) in html.match_indices("<script") {
            let tag = html[i..].split('>').next().unwrap_or("");
            if !tag.contains(" src=") {
                found.push(format!("{name}: inline <script>"));
            }
        }
        for (i, _) in html.match_indices("<style") {
            found.push(format!("{name}: <style> at {i}"));
        }
        for bad in [" style=\"", " style='", "javascript:"] {
            if html.contains(bad) {
                found.push(format!("{name}: {bad}"));
            }
        }
        // on…= event handler attributes.
        let bytes = html.as_bytes();
        for (i, _) in html.match_indices(" on") {
            let rest = &bytes[i + 3..];
            let letters = rest.iter().take_while(|b| b.is_ascii_lowercase()).count();
            if letters > 2 && rest.get(letters) == Some(&b'=') {
                found.push(format!(
                    "{name}: handler {}",
                    String::from_utf8_lossy(&bytes[i..i + 3 + letters])
                ));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

#[tokio::test]
async fn sign_in_sms_codes_and_uploads_are_rate_limited_with_a_translated_page() {
    let backend = databases().await.remove(0);
    let rate = |burst| web::rate_limit::Rate {
        burst,
        per_hour: 60,
    };
    let app = start_with(
        &backend,
        WebConfig {
            rate_limits: web::rate_limit::RateLimits {
                // Signing in takes two (challenge and signature).
                sign_in: rate(3),
                sms: rate(2),
                upload: rate(2),
            },
            ..WebConfig::default()
        },
    )
    .await;
    let f = fixture();
    let c = client();
    sign_in(&app, &c, &f.parent_a.auth).await;
    let (_, html) = page(&c, &format!("{}/cabinet", app.base)).await;
    let csrf = csrf_of(&html);
    let challenge = || {
        c.post(format!("{}/auth/challenge", app.base))
            .header("x-csrf-token", &csrf)
    };
    assert_eq!(challenge().send().await.expect("ch").status(), 200);
    for (lang, text) in [
        ("kk", "Сұраныстар тым көп"),
        ("ru", "Слишком много запросов"),
        ("en", "Too many requests"),
    ] {
        // The language chosen on the site (browsers' English is not taken from the header).
        let r = challenge()
            .header("cookie", format!("mektep_lang={lang}"))
            .send()
            .await
            .expect("ch");
        assert_eq!(r.status(), 429);
        let wait: u64 = r.headers()["retry-after"]
            .to_str()
            .expect("retry-after")
            .parse()
            .expect("seconds");
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(r.text().await.expect("html").contains(text), "{lang}");
    }
    // The script asks for JSON and gets it.
    let r = challenge()
        .header("accept", "application/json")
        .send()
        .await
        .expect("ch");
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["error"], "error-too-many-requests");
    // SMS codes: two guesses, then a pause.
    for limited in [false, false, true] {
        let r = c
            .post(format!("{}/cabinet/confirm-phone", app.base))
            .form(&[("csrf", csrf.as_str()), ("code", "123456")])
            .send()
            .await
            .expect("code");
        assert_eq!(r.status() == 429, limited, "{}", r.status());
    }
    // Uploads (to an application that does not exist: counted all the same).
    for expected in [404, 404, 429] {
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .text("kind", "photo_3x4");
        let r = c
            .post(format!("{}/applications/9999/documents", app.base))
            .multipart(form)
            .send()
            .await
            .expect("upload");
        assert_eq!(r.status(), expected);
    }
    // Other pages are not limited.
    assert_eq!(page(&c, &format!("{}/cabinet", app.base)).await.0, 200);
}

#[tokio::test]
async fn a_request_body_too_large_or_too_slow_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let backend = databases().await.remove(0);
    let app = start_with(
        &backend,
        WebConfig {
            request_timeout_seconds: 1,
            ..WebConfig::default()
        },
    )
    .await;
    // A form far over the form limit: a translated 413.
    let big = "x".repeat(200 * 1024);
    let r = client()
        .post(format!("{}/logout", app.base))
        .header("cookie", "mektep_lang=en")
        .form(&[("csrf", big.as_str())])
        .send()
        .await
        .expect("big");
    assert_eq!(r.status(), 413);
    assert!(r.text().await.expect("html").contains("too large"));
    // A body that stops arriving (slowloris): the request ends with 408 after the time limit.
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut s = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    s.write_all(
        b"POST /logout HTTP/1.1\r\nHost: x\r\nCookie: mektep_lang=en\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ncsrf=",
    )
    .await
    .expect("write");
    let started = std::time::Instant::now();
    // The whole answer: the status, then the translated page with the security headers.
    let mut answer = Vec::new();
    let mut chunk = vec![0u8; 4096];
    while !String::from_utf8_lossy(&answer).contains("</html>") {
        let n = tokio::time::timeout(std::time::Duration::from_secs(10), s.read(&mut chunk))
            .await
            .expect("answered before the test's own limit")
            .expect("read");
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&chunk[..n]);
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert!(
        answer.contains("That took too long"),
        "translated: {answer}"
    );
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("content-security-policy"),
        "{answer}"
    );
}

#[tokio::test]
async fn a_language_link_from_another_site_does_not_change_the_persons_profile() {
    let app = start(&databases().await.remove(0)).await;
    let f = fixture();
    let c = client();
    assert_eq!(sign_in(&app, &c, &f.parent_a.auth).await.status(), 200);
    let language = || async {
        app.store
            .person_by_iin("900512400123")
            .await
            .expect("person")
            .expect("signed in before")
            .language
    };
    let before = language().await;
    assert_ne!(
        before, "ru",
        "the test needs a profile in another language first"
    );
    let switch = |to: &'static str, site: &'static str| {
        c.get(format!("{}/lang/{to}?next=/cabinet", app.base))
            .header("sec-fetch-site", site)
            .send()
    };
    // A link on another site: this browser's cookie only, not what notifications are written in.
    let r = switch("ru", "cross-site").await.expect("cross-site");
    assert_eq!(r.status(), 303);
    assert_eq!(language().await, before);
    // The site's own switch: the profile follows.
    switch("ru", "same-origin").await.expect("same-origin");
    assert_eq!(language().await, "ru");
}
