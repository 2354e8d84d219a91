//! Cross-site request forgery protection.
//!
//! - **Forms** (the signup page) use a double-submit token: the GET sets a random 256-bit
//!   token in an `HttpOnly; SameSite=Strict` cookie and in a hidden field; the POST must bring
//!   both, equal (compared in constant time). A forged cross-site form has neither the cookie
//!   (SameSite) nor the value.
//! - **Every write** (POST, PUT, PATCH, DELETE) is refused when the browser says it comes from
//!   another site (`Sec-Fetch-Site: cross-site`, or an `Origin` whose host is not `Host`).
//! - **The JSON API** takes only `Content-Type: application/json` bodies, which a cross-site
//!   form cannot send without a CORS preflight, and the router answers no preflight.

use crate::error::ApiError;
use axum::extract::Request;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;

/// The cookie and the form field holding the token.
pub const CSRF_COOKIE: &str = "invite_csrf";

/// A fresh random token (256 bits, URL-safe base64).
pub fn new_token() -> Result<String, invite_core::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(invite_core::Error::Entropy)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Whether the form's token matches the cookie's.
pub fn verify(headers: &HeaderMap, form_token: &str) -> bool {
    let Some(cookie) = crate::cookies::get(headers, CSRF_COOKIE) else {
        return false;
    };
    !cookie.is_empty() && constant_time_eq(cookie.as_bytes(), form_token.as_bytes())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether the browser says this request comes from another site.
pub fn is_cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return site == "cross-site";
    }
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (origin, host) {
        (Some("null"), _) => true,
        (Some(origin), Some(host)) => {
            let origin_host = origin.split_once("://").map_or(origin, |(_, h)| h);
            !origin_host.eq_ignore_ascii_case(host)
        }
        _ => false,
    }
}

/// Middleware: refuses cross-site writes with 403 `csrf`.
pub async fn refuse_cross_site_writes(request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe && is_cross_site(request.headers()) {
        return ApiError::Csrf.into_response();
    }
    next.run(request).await
}
