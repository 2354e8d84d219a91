//! Who is asking: the application's own authentication, behind [`ActorSource`]. The library
//! never logs anyone in; it asks the application for the [`Actor`] of each request.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use invite_core::Actor;

/// Why a request has no actor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// Nobody is logged in (401; the admin page shows the message).
    Unauthenticated(String),
    /// Send the browser to the application's login page (303 on pages, 401 on the API).
    Login(String),
}

/// The application's authentication: answers the actor of a request from its session
/// cookie, JWT, API key, anything. Implement it once; every route calls it.
///
/// ```
/// use invite_axum::{ActorSource, Rejection};
/// use invite_core::{Actor, OrgId};
/// use axum::http::request::Parts;
///
/// /// Trusts an `x-user` header, as a gateway that authenticated the user might set.
/// struct FromGateway { org: OrgId }
///
/// #[async_trait::async_trait]
/// impl ActorSource for FromGateway {
///     async fn actor(&self, parts: &Parts) -> Result<Actor, Rejection> {
///         let user = parts.headers.get("x-user").and_then(|v| v.to_str().ok());
///         match user {
///             Some(u) => Ok(Actor::admin(self.org, u, u)),
///             None => Err(Rejection::Unauthenticated("log in first".into())),
///         }
///     }
/// }
/// ```
#[async_trait::async_trait]
pub trait ActorSource: Send + Sync + 'static {
    /// The actor of this request, or why there is none.
    async fn actor(&self, parts: &Parts) -> Result<Actor, Rejection>;
}

/// The actor of the request, as the application's [`ActorSource`] answers it.
#[derive(Clone, Debug)]
pub struct CurrentActor(pub Actor);

impl FromRequestParts<AppState> for CurrentActor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match state.actors.actor(parts).await {
            Ok(actor) => Ok(CurrentActor(actor)),
            Err(Rejection::Unauthenticated(why)) => Err(ApiError::Unauthenticated(why)),
            Err(Rejection::Login(url)) => {
                Err(ApiError::Unauthenticated(format!("log in at {url}")))
            }
        }
    }
}
