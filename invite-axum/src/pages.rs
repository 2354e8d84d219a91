//! Server-rendered pages: the minijinja environment (templates in `templates/`, HTML-escaped
//! by their `.html` name) and the one render function every page goes through.

use crate::i18n::Lang;
use crate::state::AppState;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::{Environment, Value, context};

/// The templates, compiled into the crate.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    (
        "dashboard.html",
        include_str!("../templates/dashboard.html"),
    ),
    ("table.html", include_str!("../templates/table.html")),
    ("dialogs.html", include_str!("../templates/dialogs.html")),
    ("members.html", include_str!("../templates/members.html")),
    ("member.html", include_str!("../templates/member.html")),
    (
        "invitation.html",
        include_str!("../templates/invitation.html"),
    ),
    ("signup.html", include_str!("../templates/signup.html")),
    ("message.html", include_str!("../templates/message.html")),
];

/// The page script and style, served from `/assets/`.
pub(crate) const ADMIN_JS: &str = include_str!("../templates/admin.js");
pub(crate) const ADMIN_CSS: &str = include_str!("../templates/admin.css");

/// The environment with every template loaded.
pub(crate) fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    for (name, source) in TEMPLATES {
        if let Err(e) = env.add_template(name, source) {
            // A template that does not parse is a bug of this crate, caught by every test.
            panic!("template {name} does not parse: {e}");
        }
    }
    env
}

/// Which template, in which language.
pub(crate) struct Page {
    template: &'static str,
    lang: Lang,
}

impl Page {
    pub(crate) fn new(template: &'static str, lang: Lang) -> Self {
        Self { template, lang }
    }
}

/// Renders a page to a string: the template's own context plus `base`, `lang` and the
/// strings `t`.
pub(crate) fn render_html(
    state: &AppState,
    page: &Page,
    ctx: Value,
) -> Result<String, minijinja::Error> {
    let strings = page.lang.strings();
    let full = context! {
        base => &state.base,
        lang => page.lang.code(),
        other_lang => match page.lang { Lang::En => "ru", Lang::Ru => "en" },
        t => strings,
        errors => page.lang.errors(),
        ..ctx
    };
    state
        .templates
        .get_template(page.template)
        .and_then(|t| t.render(full))
}

/// Renders a page into a response with `status`.
pub(crate) fn render(state: &AppState, page: Page, ctx: Value, status: StatusCode) -> Response {
    match render_html(state, &page, ctx) {
        Ok(html) => {
            let mut response = (status, Html(html)).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
                ),
            );
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            response
        }
        Err(e) => {
            tracing::error!(error = %e, template = page.template, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}
