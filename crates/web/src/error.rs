//! Refusals as pages. A handler returns a [`WebError`]; the context middleware renders it as a
//! full page in the visitor's language (it knows the language; the handler's error does not
//! need to).

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use relais_core::{DomainError, ErrorCode};
use relais_store::StoreError;

use crate::context::Ctx;
use crate::i18n::{Lang, error_text};

#[derive(Clone, Debug)]
pub struct WebError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
}

impl WebError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "this page does not exist, or you may not see it",
        )
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "your role in this workspace does not allow this; ask a manager or an admin",
        )
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "an internal error happened; the server log has the details",
        )
    }
}

pub fn status_for(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::NotFound | ErrorCode::UnknownWorkspace | ErrorCode::UnknownUser => {
            StatusCode::NOT_FOUND
        }
        ErrorCode::Forbidden | ErrorCode::CsrfRejected => StatusCode::FORBIDDEN,
        ErrorCode::Unauthenticated | ErrorCode::WrongCredentials => StatusCode::UNAUTHORIZED,
        ErrorCode::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::SlugTaken
        | ErrorCode::NameTaken
        | ErrorCode::EmailTaken
        | ErrorCode::AlreadyMember
        | ErrorCode::LastAdmin
        | ErrorCode::SetupDone => StatusCode::CONFLICT,
        ErrorCode::InvitationExpired => StatusCode::GONE,
        ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

impl From<DomainError> for WebError {
    fn from(e: DomainError) -> Self {
        Self::new(status_for(e.code), e.code, e.message)
    }
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        if !matches!(e, StoreError::Conflict(_) | StoreError::NotFound(_)) {
            tracing::error!(error = %e, "storage error");
        }
        DomainError::from(e).into()
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let mut r = self.status.into_response();
        r.extensions_mut().insert(self);
        r
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate<'a> {
    m: &'static crate::i18n::Msgs,
    lang: &'a str,
    message: String,
    code: &'a str,
    logged_in: bool,
}

pub struct ErrorPage;

impl ErrorPage {
    pub fn render(status: StatusCode, ctx: &Ctx, err: &WebError) -> Response {
        Self::page(status, ctx.lang, err.code, &err.message, ctx.user.is_some())
    }

    pub fn plain(status: StatusCode, lang: Lang, code: ErrorCode) -> Response {
        let english = match code {
            ErrorCode::CsrfRejected => {
                "the form expired or did not come from Relais; reload the page and try again"
            }
            ErrorCode::Unavailable => {
                "the database does not answer; check that it runs and try again"
            }
            ErrorCode::InvalidInput => "the form is too large",
            _ => "something went wrong",
        };
        Self::page(status, lang, code, english, false)
    }

    fn page(
        status: StatusCode,
        lang: Lang,
        code: ErrorCode,
        english: &str,
        logged_in: bool,
    ) -> Response {
        let t = ErrorTemplate {
            m: lang.msgs(),
            lang: lang.code(),
            message: error_text(lang, code, english),
            code: code.as_str(),
            logged_in,
        };
        match t.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, english.to_owned()).into_response(),
        }
    }
}
