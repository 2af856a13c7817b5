//! Server-rendered pages. Each file is one area; they share the page frame ([`Chrome`]) and the
//! workspace gate ([`enter_workspace`]) that every `/w/{slug}` page passes through.

pub mod account;
pub mod audience;
pub mod audience_dashboard;
pub mod audit;
pub mod calendar;
pub mod channels;
pub mod connect;
pub mod feeds;
pub mod fields;
pub mod inbox;
pub mod join;
pub mod library;
pub mod links;
pub mod listening;
pub mod members;
pub mod moderation;
pub mod notify;
pub mod post;
pub mod post_links;
pub mod publish;
pub mod queue;
pub mod session;
pub mod setup;
pub mod tokens;
pub mod workspaces;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use relais_core::audit::Actor;
use relais_core::{ErrorCode, Permission, Role, Slug};
use relais_store::{User, Workspace};

use crate::context::Ctx;
use crate::error::WebError;
use crate::i18n::{Lang, Msgs};
use crate::state::AppState;

pub type PageResult = Result<Response, WebError>;

/// A submitted form. Unlike `axum::Form`, a form that cannot be read is refused with a page
/// that says what to do, in the visitor's language, rather than a bare text answer.
pub struct PageForm<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for PageForm<T> {
    type Rejection = WebError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Form::<T>::from_request(req, state)
            .await
            .map(|f| PageForm(f.0))
            .map_err(|e| {
                WebError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ErrorCode::InvalidInput,
                    format!("the form could not be read ({e}); reload the page and try again"),
                )
            })
    }
}

/// `?done=…` after a form: which notice the page shows.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct Done {
    pub done: String,
}

pub struct NavItem {
    pub href: String,
    pub label: &'static str,
    pub active: bool,
}

pub struct NavWorkspace {
    pub slug: String,
    pub name: String,
    pub items: Vec<NavItem>,
}

/// What the frame around every page shows.
pub struct Chrome {
    pub m: &'static Msgs,
    pub lang: &'static str,
    pub other_lang: &'static str,
    pub csrf: String,
    pub title: String,
    pub here: String,
    pub user_name: Option<String>,
    pub ws: Option<NavWorkspace>,
}

/// The capabilities, in the order of the navigation: (path segment, label, one-line pitch).
pub fn capabilities(m: &'static Msgs) -> [(&'static str, &'static str, &'static str); 7] {
    [
        ("publish", m.nav_publish, m.cap_publish),
        ("inbox", m.nav_inbox, m.cap_inbox),
        ("listening", m.nav_listening, m.cap_listening),
        ("community", m.nav_community, m.cap_community),
        ("contests", m.nav_contests, m.cap_contests),
        ("audience", m.nav_audience, m.cap_audience),
        ("reports", m.nav_reports, m.cap_reports),
    ]
}

impl Chrome {
    pub fn new(ctx: &Ctx, title: &str, here: &str) -> Self {
        Self {
            m: ctx.m(),
            lang: ctx.lang.code(),
            other_lang: match ctx.lang {
                Lang::En => "fr",
                Lang::Fr => "en",
            },
            csrf: ctx.csrf.clone(),
            title: title.to_owned(),
            here: here.to_owned(),
            user_name: ctx.user.as_ref().map(|u| u.name.to_string()),
            ws: None,
        }
    }

    /// The frame of a workspace page, with the capability navigation; `section` is lit.
    pub fn workspace(ctx: &Ctx, title: &str, here: &str, ws: &Workspace, section: &str) -> Self {
        let m = ctx.m();
        let slug = ws.slug.as_str();
        let mut items: Vec<NavItem> = capabilities(m)
            .into_iter()
            .map(|(seg, label, _)| NavItem {
                href: format!("/w/{slug}/{seg}"),
                label,
                active: seg == section,
            })
            .collect();
        items.push(NavItem {
            href: format!("/w/{slug}/settings"),
            label: m.nav_settings,
            active: section == "settings",
        });
        let mut chrome = Self::new(ctx, title, here);
        chrome.ws = Some(NavWorkspace {
            slug: slug.to_owned(),
            name: ws.name.clone(),
            items,
        });
        chrome
    }
}

pub fn render(t: &impl Template) -> PageResult {
    t.render()
        .map(|html| Html(html).into_response())
        .map_err(WebError::internal)
}

pub fn render_status(status: StatusCode, t: &impl Template) -> PageResult {
    render(t).map(|mut r| {
        *r.status_mut() = status;
        r
    })
}

/// The logged-in user, or a redirect to the login page.
pub fn require_user(ctx: &Ctx) -> Result<&User, WebError> {
    ctx.user.as_ref().ok_or_else(|| {
        WebError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            "log in first",
        )
    })
}

/// A member's way into one workspace.
pub struct Access {
    pub user: User,
    pub workspace: Workspace,
    pub role: Role,
}

impl Access {
    pub fn require(&self, permission: Permission) -> Result<(), WebError> {
        if self.role.allows(permission) {
            Ok(())
        } else {
            Err(WebError::forbidden())
        }
    }

    pub fn actor(&self, ctx: &Ctx) -> Actor {
        Actor {
            user_id: Some(self.user.id),
            label: self.user.email.to_string(),
            origin: ctx.ip.clone(),
        }
    }
}

/// Opens `/w/{slug}` for the logged-in user. A workspace the user is not a member of answers
/// exactly as one that does not exist: its name is not disclosed.
pub async fn enter_workspace(state: &AppState, ctx: &Ctx, slug: &str) -> Result<Access, WebError> {
    let user = require_user(ctx)?.clone();
    let slug = Slug::parse(slug).map_err(|_| WebError::not_found())?;
    // No such workspace and not a member look the same: a stranger learns nothing.
    let store = &state.store;
    let (workspace, role) = state
        .reads
        .memberships
        .read((slug.as_str().to_owned(), user.id), || {
            store.membership_by_slug(&slug, user.id)
        })
        .await?
        .ok_or_else(WebError::not_found)?;
    Ok(Access {
        user,
        workspace,
        role,
    })
}

/// Roles offered in the pickers: those this member may hand out.
pub struct RoleOption {
    pub value: &'static str,
    pub label: &'static str,
}

pub fn role_options(m: &'static Msgs, actor: Role) -> Vec<RoleOption> {
    Role::ALL
        .into_iter()
        .filter(|r| actor.may_assign(None, *r))
        .map(|r| RoleOption {
            value: r.as_str(),
            label: m.role(r),
        })
        .collect()
}

/// Only same-site paths may be a redirect target, never another host. Control characters are
/// refused too: browsers drop tabs and newlines from a URL (so `/\t/evil.example` would lead
/// to `//evil.example`), and others cannot go in the `Location` header at all.
pub fn safe_next(next: &str) -> String {
    if next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.contains(char::is_control)
    {
        next.to_owned()
    } else {
        "/workspaces".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_stay_on_site() {
        assert_eq!(safe_next("/w/acme"), "/w/acme");
        assert_eq!(safe_next("//evil.example"), "/workspaces");
        assert_eq!(safe_next("https://evil.example"), "/workspaces");
        assert_eq!(safe_next("/\\evil.example"), "/workspaces");
    }

    #[test]
    fn redirects_refuse_control_characters() {
        // Caught by the `web_headers` fuzz target: a browser drops the tab and goes off site.
        assert_eq!(safe_next("/\t/evil.example"), "/workspaces");
        assert_eq!(safe_next("/\n/evil.example"), "/workspaces");
        // And a NUL cannot be put in a `Location` header (the redirect would be a 500).
        assert_eq!(safe_next("/\0"), "/workspaces");
    }
}
