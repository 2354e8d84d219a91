//! Errors, mapped to HTTP once: [`ApiError`] implements [`IntoResponse`], and every handler
//! returns it.
//!
//! | family | status | `code` |
//! |---|---|---|
//! | [`Refusal`] (a broken rule) | 400, 403, 404, 410, 422 or 429 | the refusal's own, see [`refusal_code`] |
//! | [`Error::Conflict`] (concurrent changes won every retry) | 409 | `conflict` |
//! | [`Error::Store`], [`Error::Entropy`] (infrastructure) | 503 | `store_unavailable`, `entropy_unavailable` |
//! | [`Error::Invariant`] (a bug) | 500 | `internal` |
//! | no actor (the application's [`crate::ActorSource`] said so) | 401 | `unauthenticated` |
//! | a body or query the API cannot read | 400 | `bad_request` |
//! | a form without its CSRF token, a cross-site write | 403 | `csrf` |
//!
//! The body is always `{"error": {"code", "message", "reason"?, "retry_after"?}}`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use invite_core::{ContactError, Error, Refusal};
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
    /// Stable snake_case code (`already_invited`, `conflict`, `store_unavailable`, ...).
    pub code: &'static str,
    /// English text for a person; never contains a link token.
    pub message: String,
    /// A finer reason where the code has several (`missing_country_code` for
    /// `invalid_contact`, say).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// When the action is allowed again (cool-downs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<chrono::DateTime<chrono::Utc>>,
}

/// The stable code and HTTP status of a refusal. Codes are snake_case and never change;
/// statuses: 404 for what does not exist (or may not be seen, R10.1), 403 forbidden, 400 for
/// input that is not valid, 410 for links that are dead, 422 for a rule the request breaks,
/// 429 for cool-downs. (To move into the core as `Refusal::code()`, issue 10.)
///
/// ```
/// use invite_axum::error::refusal_code;
/// use invite_core::Refusal;
/// let (code, status) = refusal_code(&Refusal::NoSeatsAvailable);
/// assert_eq!((code, status.as_u16()), ("no_seats_available", 422));
/// ```
pub fn refusal_code(r: &Refusal) -> (&'static str, StatusCode) {
    use Refusal::*;
    let s400 = StatusCode::BAD_REQUEST;
    let s404 = StatusCode::NOT_FOUND;
    let s410 = StatusCode::GONE;
    let s422 = StatusCode::UNPROCESSABLE_ENTITY;
    let s429 = StatusCode::TOO_MANY_REQUESTS;
    match r {
        OrganizationNotFound(_) => ("organization_not_found", s404),
        InvitationNotFound(_) => ("invitation_not_found", s404),
        MemberNotFound(_) => ("member_not_found", s404),
        Forbidden(_) => ("forbidden", StatusCode::FORBIDDEN),
        ActionNotAllowed { .. } => ("action_not_allowed", s422),
        TransitionNotAllowed { .. } => ("transition_not_allowed", s422),
        AlreadyInvited { .. } => ("already_invited", s422),
        AlreadyMember { .. } => ("already_member", s422),
        NoSeatsAvailable => ("no_seats_available", s422),
        InvalidContact(_) => ("invalid_contact", s400),
        MissingContact { .. } => ("missing_contact", s400),
        Unreachable { .. } => ("unreachable", s400),
        ChannelNotAllowed(_) => ("channel_not_allowed", s422),
        InvalidAccess(_) => ("invalid_access", s400),
        ResendCooldown { .. } => ("resend_cooldown", s429),
        FollowUpTooSoon { .. } => ("follow_up_too_soon", s429),
        UnknownLink => ("unknown_link", s404),
        LinkCancelled => ("link_cancelled", s410),
        LinkExpired => ("link_expired", s410),
        LinkSuperseded => ("link_superseded", s410),
        LinkAlreadyUsed => ("link_already_used", s410),
        InvitationFailed => ("invitation_failed", s410),
        SeatsExhausted => ("seats_exhausted", s422),
        InvalidSetting(_) => ("invalid_setting", s400),
        OutOfRange { .. } => ("out_of_range", s400),
        InvalidQuery(_) => ("invalid_query", s400),
        _ => ("refused", s422),
    }
}

fn refusal_reason(r: &Refusal) -> Option<&'static str> {
    match r {
        Refusal::InvalidContact(c) => Some(match c {
            ContactError::InvalidEmail { .. } => "invalid_email",
            ContactError::MissingCountryCode { .. } => "missing_country_code",
            ContactError::InvalidPhone { .. } => "invalid_phone",
            ContactError::Empty => "empty",
            _ => "invalid",
        }),
        _ => None,
    }
}

fn retry_after(r: &Refusal) -> Option<chrono::DateTime<chrono::Utc>> {
    match r {
        Refusal::ResendCooldown { retry_after } | Refusal::FollowUpTooSoon { retry_after } => {
            Some(*retry_after)
        }
        _ => None,
    }
}

impl ApiError {
    /// The status and the body.
    pub fn parts(&self) -> (StatusCode, ErrorBody) {
        let detail = |code, message: String| ErrorDetail {
            code,
            message,
            reason: None,
            retry_after: None,
        };
        let (status, detail) = match self {
            ApiError::Core(Error::Refused(r)) => {
                let (code, status) = refusal_code(r);
                let d = ErrorDetail {
                    code,
                    message: r.to_string(),
                    reason: refusal_reason(r),
                    retry_after: retry_after(r),
                };
                (status, d)
            }
            ApiError::Core(Error::Conflict(_)) => (
                StatusCode::CONFLICT,
                detail("conflict", "concurrent change; try again".into()),
            ),
            ApiError::Core(Error::Store(_)) => (
                StatusCode::SERVICE_UNAVAILABLE,
                detail(
                    "store_unavailable",
                    "the store is unavailable; try later".into(),
                ),
            ),
            ApiError::Core(Error::Entropy(_)) => (
                StatusCode::SERVICE_UNAVAILABLE,
                detail(
                    "entropy_unavailable",
                    "the random source failed; try later".into(),
                ),
            ),
            ApiError::Core(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                detail("internal", "internal error".into()),
            ),
            ApiError::Unauthenticated(why) => (
                StatusCode::UNAUTHORIZED,
                detail("unauthenticated", why.clone()),
            ),
            ApiError::BadRequest(why) => {
                (StatusCode::BAD_REQUEST, detail("bad_request", why.clone()))
            }
            ApiError::Csrf => (
                StatusCode::FORBIDDEN,
                detail(
                    "csrf",
                    "missing or wrong CSRF token, or a cross-site request".into(),
                ),
            ),
        };
        (status, ErrorBody { error: detail })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Core(e) = &self {
            if !matches!(e, Error::Refused(_)) {
                // Store and invariant errors carry their cause; none of them holds a token.
                tracing::error!(error = %e, source = ?std::error::Error::source(e), "request failed");
            }
        }
        let (status, body) = self.parts();
        // An HTTP-date: the instant is absolute, so no clock is read here.
        let retry = body
            .error
            .retry_after
            .map(|t| t.format("%a, %d %b %Y %H:%M:%S GMT").to_string());
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
    use invite_core::{Action, Channel, InvitationId, MemberId, OrgId, Status, UserRef};

    #[test]
    fn every_refusal_has_its_own_code_and_a_4xx() {
        let t = chrono::DateTime::<chrono::Utc>::MIN_UTC;
        let all = [
            Refusal::OrganizationNotFound(OrgId::new()),
            Refusal::InvitationNotFound(InvitationId::new()),
            Refusal::MemberNotFound(MemberId::new()),
            Refusal::Forbidden("x".into()),
            Refusal::ActionNotAllowed {
                action: Action::Resend,
                status: Status::Completed,
            },
            Refusal::AlreadyInvited {
                address: "a".into(),
            },
            Refusal::AlreadyMember {
                address: "a".into(),
            },
            Refusal::NoSeatsAvailable,
            Refusal::InvalidContact(ContactError::Empty),
            Refusal::MissingContact {
                user: UserRef::new("u"),
                channel: Channel::Email,
            },
            Refusal::Unreachable {
                address: "a".into(),
                channel: Channel::Sms,
            },
            Refusal::ChannelNotAllowed(Channel::Sms),
            Refusal::InvalidAccess(invite_core::AccessError::MspNeedsClientGrants),
            Refusal::ResendCooldown { retry_after: t },
            Refusal::FollowUpTooSoon { retry_after: t },
            Refusal::UnknownLink,
            Refusal::LinkCancelled,
            Refusal::LinkExpired,
            Refusal::LinkSuperseded,
            Refusal::LinkAlreadyUsed,
            Refusal::InvitationFailed,
            Refusal::SeatsExhausted,
            Refusal::InvalidSetting("x".into()),
            Refusal::OutOfRange {
                field: "f".into(),
                allowed: "a".into(),
            },
            Refusal::InvalidQuery("q".into()),
        ];
        let mut codes = std::collections::HashSet::new();
        for r in &all {
            let (code, status) = refusal_code(r);
            assert!(status.is_client_error(), "{code}");
            assert!(
                code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{code}"
            );
            assert!(codes.insert(code), "{code} twice");
        }
    }
}
