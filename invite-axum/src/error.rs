//! Errors, mapped to HTTP once: [`ApiError`] implements [`IntoResponse`], and every handler
//! returns it. The library's errors carry their own stable code and HTTP status
//! ([`Error::code`], [`Error::http_status`], [`invite_core::Refusal::code`]); this module
//! adds only the web layer's own three and never restates the core's table.
//!
//! | family | status | `code` |
//! |---|---|---|
//! | a refusal (a broken rule) | the refusal's 4xx: 403, 404, 409, 410, 422 or 429 | the refusal's own (`already_invited`, `link_expired`, ...) |
//! | [`Error::Conflict`] (concurrent changes won every retry) | 409 | `conflict` |
//! | [`Error::Store`], [`Error::Entropy`] (infrastructure) | 503 | `unavailable` |
//! | [`Error::Invariant`] (a bug) | 500 | `internal` |
//! | no actor (the application's [`crate::ActorSource`] said so) | 401 | `unauthenticated` |
//! | a body, path or query the API cannot read | 400 | `bad_request` |
//! | a form without its CSRF token, a cross-site write | 403 | `csrf` |
//!
//! The body is always `{"error": {"code", "status", "message", "details"?}}`: for the
//! library's errors, exactly the core's JSON of [`Error`] (`details` are a refusal's fields),
//! so a client reads the same shape from the API as from the library.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use invite_core::{Error, Refusal};
use serde::Serialize;
use utoipa::ToSchema;

/// Any failure of a route.
#[derive(Debug)]
pub enum ApiError {
    /// A failure of the library.
    Core(Error),
    /// The application's actor source found no actor.
    Unauthenticated(String),
    /// The request could not be read (malformed JSON, a bad parameter).
    BadRequest(String),
    /// A write without its CSRF token, or from another site.
    Csrf,
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError::Core(e)
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        ApiError::Core(Error::Refused(r))
    }
}

/// The JSON body of every error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong, with a stable code to branch on.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code (`already_invited`, `conflict`, `unavailable`, ...).
    pub code: &'static str,
    /// The HTTP status it is answered with.
    pub status: u16,
    /// English text for a person; never contains a link token or an infrastructure cause.
    pub message: String,
    /// A refusal's fields (`{"address": ...}`, `{"retry_after": ...}`, `{"MissingCountryCode":
    /// {"input": ...}}`), as the core serializes them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

impl ErrorDetail {
    /// The detail of a library error: its code and status, and the message and details of
    /// its own JSON (which keeps infrastructure causes out).
    pub fn of(e: &Error) -> Self {
        let json = serde_json::to_value(e).unwrap_or_default();
        let message = json
            .get("message")
            .and_then(|m| m.as_str())
            .map_or_else(|| e.code().to_owned(), str::to_owned);
        Self {
            code: e.code(),
            status: e.http_status(),
            message,
            details: json.get("details").cloned(),
        }
    }

    fn web(code: &'static str, status: StatusCode, message: String) -> Self {
        Self {
            code,
            status: status.as_u16(),
            message,
            details: None,
        }
    }
}

/// When a refused action is allowed again (cool-downs), for the `Retry-After` header.
fn retry_after(e: &Error) -> Option<chrono::DateTime<chrono::Utc>> {
    match e {
        Error::Refused(
            Refusal::ResendCooldown { retry_after } | Refusal::FollowUpTooSoon { retry_after },
        ) => Some(*retry_after),
        _ => None,
    }
}

impl ApiError {
    /// The status and the body.
    pub fn parts(&self) -> (StatusCode, ErrorBody) {
        let detail = match self {
            ApiError::Core(e) => ErrorDetail::of(e),
            ApiError::Unauthenticated(why) => {
                ErrorDetail::web("unauthenticated", StatusCode::UNAUTHORIZED, why.clone())
            }
            ApiError::BadRequest(why) => {
                ErrorDetail::web("bad_request", StatusCode::BAD_REQUEST, why.clone())
            }
            ApiError::Csrf => ErrorDetail::web(
                "csrf",
                StatusCode::FORBIDDEN,
                "missing or wrong CSRF token, or a cross-site request".into(),
            ),
        };
        let status =
            StatusCode::from_u16(detail.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, ErrorBody { error: detail })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut retry = None;
        if let ApiError::Core(e) = &self {
            if !matches!(e, Error::Refused(_)) {
                // Store and invariant errors carry their cause; none of them holds a token.
                tracing::error!(error = %e, source = ?std::error::Error::source(e), "request failed");
            }
            // An HTTP-date: the instant is absolute, so no clock is read here.
            retry = retry_after(e).map(|t| t.format("%a, %d %b %Y %H:%M:%S GMT").to_string());
        }
        let (status, body) = self.parts();
        let mut response = (status, Json(body)).into_response();
        if let Some(v) = retry.and_then(|s| HeaderValue::from_str(&s).ok()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

/// What every route answers.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;
    use invite_core::store::{Conflict, StoreError};

    #[test]
    fn the_status_and_code_are_the_cores() {
        let cases = [
            Error::from(Refusal::AlreadyInvited {
                address: "bob@example.com".into(),
            }),
            Error::from(Refusal::LinkExpired),
            Error::from(StoreError::Conflict(Conflict::Version {
                entity: "invitation",
                id: "x".into(),
            })),
            Error::from(StoreError::Backend("database is down".into())),
        ];
        for e in cases {
            let (status, body) = ApiError::Core(clone(&e)).parts();
            assert_eq!(status.as_u16(), e.http_status());
            assert_eq!(body.error.code, e.code());
            assert!(!body.error.message.contains("database is down"));
        }
        let (_, body) = ApiError::from(Refusal::AlreadyInvited {
            address: "bob@example.com".into(),
        })
        .parts();
        assert_eq!(
            body.error.details,
            Some(serde_json::json!({"address": "bob@example.com"}))
        );
    }

    fn clone(e: &Error) -> Error {
        match e {
            Error::Refused(r) => Error::Refused(r.clone()),
            Error::Conflict(_) => Error::from(StoreError::Conflict(Conflict::Version {
                entity: "invitation",
                id: "x".into(),
            })),
            _ => Error::from(StoreError::Backend("database is down".into())),
        }
    }
}
