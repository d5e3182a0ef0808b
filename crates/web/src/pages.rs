//! Rendering pages: the layout's shared pieces, cookies, and the error page every failure ends
//! in.

use askama::Template;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use crate::ctx::{ANON_COOKIE, Ctx, LANG_COOKIE, cookie};
use crate::error::{AppError, ErrorPage};
use crate::i18n::{Lang, Tr};

/// Renders a page and sets the anonymous cookie on a first visit.
pub fn render<T: Template>(ctx: &Ctx, page: &T) -> Response {
    match page.render() {
        Ok(html) => {
            let mut response = Html(html).into_response();
            if let Some(anon) = &ctx.new_anon {
                set_cookie(&mut response, ANON_COOKIE, anon, None, ctx.secure_cookies);
            }
            response
        }
        Err(e) => AppError::from(e).into_response(),
    }
}

/// Adds a cookie: HttpOnly and SameSite=Lax always, Secure when the service is behind TLS.
pub fn set_cookie(
    response: &mut Response,
    name: &str,
    value: &str,
    max_age_seconds: Option<i64>,
    secure: bool,
) {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age_seconds {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    if let Ok(v) = HeaderValue::from_str(&c) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The ARIA attributes of a form control: when the form came back with an error for `field`,
/// the control is marked invalid and described by that error (read out when it gets the focus),
/// then by its hint. `field` and `hint` are element ids written in the templates, not input.
pub fn aria(errors: &[(String, String)], field: &str, hint: &str) -> String {
    let invalid = errors.iter().any(|(f, _)| f == field);
    let described: Vec<String> = [
        invalid.then(|| format!("{field}-error")),
        (!hint.is_empty()).then(|| hint.to_owned()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut attrs = String::new();
    if invalid {
        attrs.push_str(r#" aria-invalid="true""#);
    }
    if !described.is_empty() {
        attrs.push_str(&format!(r#" aria-describedby="{}""#, described.join(" ")));
    }
    attrs
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate<'a> {
    ctx: &'a Ctx,
    status: u16,
    message: String,
}

/// Turns the bare status of an [`AppError`] into a page in the reader's language, or JSON for
/// scripts, both carrying the request id.
pub async fn render_error_pages(request: Request, next: Next) -> Response {
    let headers = request.headers().clone();
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    // The framework's own refusals (a form that does not parse, a body too large) carry no
    // ErrorPage: they get the same translated page as ours instead of plain English text.
    if response.extensions().get::<ErrorPage>().is_none() {
        let status = response.status();
        let key = match status.as_u16() {
            400 | 415 | 422 => Some("error-bad-request"),
            413 => Some("error-payload-too-large"),
            408 => Some("error-request-timeout"),
            _ => None,
        };
        let plain = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|t| t.starts_with("text/plain"));
        if let (Some(message_key), true) = (key, plain) {
            response.extensions_mut().insert(ErrorPage {
                status,
                message_key,
            });
        }
    }
    let Some(error) = response.extensions_mut().remove::<ErrorPage>() else {
        return response;
    };
    let lang = cookie(&headers, LANG_COOKIE)
        .and_then(Lang::parse)
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or_default();
    let tr = Tr::new(lang);
    let request_id = response
        .headers()
        .get("x-request-id")
        .or_else(|| headers.get("x-request-id"))
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let message = tr.t(error.message_key);
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"));
    let mut out = if wants_json {
        let body = serde_json::json!({ "error": error.message_key, "message": message, "request_id": request_id });
        (error.status, axum::Json(body)).into_response()
    } else {
        let ctx = Ctx {
            lang,
            tr,
            user: None,
            csrf: String::new(),
            new_anon: None,
            request_id,
            path,
            source: String::new(),
            demo: false,
            secure_cookies: false,
        };
        let page = ErrorTemplate {
            ctx: &ctx,
            status: error.status.as_u16(),
            message,
        };
        match page.render() {
            Ok(html) => (error.status, Html(html)).into_response(),
            Err(_) => error.status.into_response(),
        }
    };
    for (name, value) in response.headers() {
        if name == header::SET_COOKIE || name == header::RETRY_AFTER {
            out.headers_mut().append(name.clone(), value.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::aria;

    #[test]
    fn a_control_with_an_error_is_invalid_and_described_by_it_then_its_hint() {
        let errors = vec![("child_iin".to_owned(), "wrong".to_owned())];
        assert_eq!(
            aria(&errors, "child_iin", "child_iin-hint"),
            r#" aria-invalid="true" aria-describedby="child_iin-error child_iin-hint""#
        );
        assert_eq!(aria(&errors, "house", ""), "");
        assert_eq!(
            aria(&errors, "school_id", "school_id-hint"),
            r#" aria-describedby="school_id-hint""#
        );
    }
}
