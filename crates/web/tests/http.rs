//! HTTP-level tests of the web layer: every workspace route as each role and from another
//! workspace, CSRF refusals, the first-run page, login throttling, invitations with real SMTP,
//! language choice, the REST API and the operations endpoints.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use common::*;
use relais_core::{Role, UserId};
use relais_store::Workspace;

/// Workspace `alpha` with one member per role, and `bravo` with its own admin (the outsider).
struct Team {
    app: App,
    alpha: Workspace,
    ids: Vec<(Role, UserId)>,
    outsider: UserId,
}

fn email_of(role: Role) -> String {
    format!("{}@alpha.test", role.as_str())
}

async fn team() -> Team {
    let app = app().await;
    let alpha = add_workspace(&app, "alpha").await;
    let bravo = add_workspace(&app, "bravo").await;
    let mut ids = Vec::new();
    for role in Role::ALL {
        let id = add_user(&app, &email_of(role), role == Role::Admin).await;
        add_member(&app, &alpha, id, role).await;
        ids.push((role, id));
    }
    let outsider = add_user(&app, "boss@bravo.test", true).await;
    add_member(&app, &bravo, outsider, Role::Admin).await;
    Team {
        app,
        alpha,
        ids,
        outsider,
    }
}

impl Team {
    fn id(&self, role: Role) -> UserId {
        self.ids.iter().find(|(r, _)| *r == role).unwrap().1
    }
}

/// A route to try: method, path, form fields, who may, and the status when allowed.
type RouteCase<'a> = (
    &'a str,
    String,
    Vec<(&'a str, &'a str)>,
    &'a [Role],
    StatusCode,
);

/// Who may do what, route by route. `None` in the role column is the outsider from bravo.
async fn check(
    team: &Team,
    who: Option<Role>,
    method: &str,
    path: &str,
    fields: &[(&str, &str)],
    allowed_for: &[Role],
    ok: StatusCode,
) {
    let mut b = Browser::new(&team.app);
    match who {
        Some(r) => b.login(&email_of(r)).await,
        None => b.login("boss@bravo.test").await,
    }
    let answer = if method == "GET" {
        b.get(path).await
    } else {
        b.post(path, fields).await
    };
    let expected = match who {
        // Another workspace's pages answer as if they did not exist.
        None => StatusCode::NOT_FOUND,
        Some(r) if allowed_for.contains(&r) => ok,
        Some(_) => StatusCode::FORBIDDEN,
    };
    assert_eq!(
        answer.status,
        expected,
        "{who:?} {method} {path}: {}",
        &answer.body[..answer.body.len().min(400)]
    );
    if expected == StatusCode::FORBIDDEN {
        assert!(
            answer.body.contains("data-code=\"forbidden\""),
            "a refusal page explains: {path}"
        );
    }
    if who.is_none() {
        assert!(
            !answer.body.contains("alpha"),
            "nothing of alpha leaks to an outsider: {path}"
        );
    }
}

#[tokio::test]
async fn every_workspace_route_checks_the_role_and_the_workspace() {
    let t = team().await;
    let all = Role::ALL;
    let managers = [Role::Admin, Role::Manager];
    let analyst = t.id(Role::Analyst).to_string();
    let settings = |tail: &str| format!("/w/alpha/settings{tail}");
    // (method, path, form fields, who may, status when allowed)
    let mut routes: Vec<RouteCase> = Vec::new();
    for seg in [
        "",
        "/publish",
        "/inbox",
        "/listening",
        "/community",
        "/contests",
        "/audience",
        "/reports",
        "/settings",
        "/publish/channels",
    ] {
        routes.push((
            "GET",
            format!("/w/alpha{seg}"),
            vec![],
            &all,
            StatusCode::OK,
        ));
    }
    routes.push((
        "GET",
        settings("/tokens"),
        vec![],
        &managers,
        StatusCode::OK,
    ));
    routes.push(("GET", settings("/audit"), vec![], &managers, StatusCode::OK));
    routes.push((
        "POST",
        settings("/invitations"),
        vec![("email", "new@x.test"), ("role", "analyst")],
        &managers,
        StatusCode::OK,
    ));
    routes.push((
        "POST",
        settings("/tokens"),
        vec![("name", "zap"), ("role", "analyst")],
        &managers,
        StatusCode::OK,
    ));
    routes.push((
        "POST",
        settings(&format!("/members/{analyst}/role")),
        vec![("role", "analyst")],
        &managers,
        StatusCode::SEE_OTHER,
    ));
    for who in Role::ALL.into_iter().map(Some).chain([None]) {
        for (method, path, fields, allowed, ok) in &routes {
            check(&t, who, method, path, fields, allowed, *ok).await;
        }
    }
    // Creating a workspace is for instance administrators only.
    for role in [
        Role::Manager,
        Role::Editor,
        Role::Contributor,
        Role::Analyst,
    ] {
        let mut b = Browser::new(&t.app);
        b.login(&email_of(role)).await;
        assert!(
            !b.get("/workspaces").await.body.contains("create-workspace"),
            "{role} is not offered the form"
        );
        assert_eq!(
            b.post("/workspaces", &[("name", "N"), ("slug", "new-one")])
                .await
                .status,
            StatusCode::FORBIDDEN,
            "{role}"
        );
    }
    // A malformed form gets a page that says what to do.
    let mut b = Browser::new(&t.app);
    b.login(&email_of(Role::Admin)).await;
    let token = b.csrf.clone().unwrap();
    let r = axum::http::Request::post("/workspaces")
        .header(
            "cookie",
            b.cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; "),
        )
        .header("x-csrf-token", token)
        .header("content-type", "application/json")
        .body(axum::body::Body::from("{}"))
        .unwrap();
    let a = b.send(r).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("reload the page"), "{}", a.body);
    // Revoking and removing, last because they change the fixture.
    let token = t.app.store.api_tokens(t.alpha.id).await.unwrap()[0]
        .id
        .to_string();
    let invitation = t
        .app
        .store
        .pending_invitations(t.alpha.id, relais_core::Timestamp::now())
        .await
        .unwrap()[0]
        .id
        .to_string();
    for who in [
        Some(Role::Editor),
        Some(Role::Contributor),
        Some(Role::Analyst),
        None,
    ] {
        check(
            &t,
            who,
            "POST",
            &format!("/w/alpha/settings/tokens/{token}/revoke"),
            &[],
            &managers,
            StatusCode::SEE_OTHER,
        )
        .await;
        check(
            &t,
            who,
            "POST",
            &format!("/w/alpha/settings/invitations/{invitation}/revoke"),
            &[],
            &managers,
            StatusCode::SEE_OTHER,
        )
        .await;
        check(
            &t,
            who,
            "POST",
            &format!("/w/alpha/settings/members/{analyst}/remove"),
            &[],
            &managers,
            StatusCode::SEE_OTHER,
        )
        .await;
    }
    assert_eq!(
        t.app
            .store
            .role_of(t.alpha.id, t.id(Role::Analyst))
            .await
            .unwrap(),
        Some(Role::Analyst),
        "no refused removal happened"
    );
    check(
        &t,
        Some(Role::Manager),
        "POST",
        &format!("/w/alpha/settings/tokens/{token}/revoke"),
        &[],
        &managers,
        StatusCode::SEE_OTHER,
    )
    .await;
    check(
        &t,
        Some(Role::Manager),
        "POST",
        &format!("/w/alpha/settings/members/{analyst}/remove"),
        &[],
        &managers,
        StatusCode::SEE_OTHER,
    )
    .await;
    assert_eq!(
        t.app
            .store
            .role_of(t.alpha.id, t.id(Role::Analyst))
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn managers_cannot_touch_admins_and_the_last_admin_stays() {
    let t = team().await;
    let admin = t.id(Role::Admin).to_string();
    let mut m = Browser::new(&t.app);
    m.login(&email_of(Role::Manager)).await;
    let a = m
        .post(
            &format!("/w/alpha/settings/members/{admin}/role"),
            &[("role", "analyst")],
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = m
        .post(
            "/w/alpha/settings/invitations",
            &[("email", "x@y.test"), ("role", "admin")],
        )
        .await;
    assert_eq!(
        a.status,
        StatusCode::FORBIDDEN,
        "a manager cannot invite an admin"
    );
    let a = m
        .post(
            "/w/alpha/settings/tokens",
            &[("name", "t"), ("role", "admin")],
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "nor make an admin token");

    let mut boss = Browser::new(&t.app);
    boss.login(&email_of(Role::Admin)).await;
    let a = boss
        .post(
            &format!("/w/alpha/settings/members/{admin}/role"),
            &[("role", "editor")],
        )
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert!(a.body.contains("at least one admin"), "{}", a.body);
    assert_eq!(
        t.app
            .store
            .role_of(t.alpha.id, t.id(Role::Admin))
            .await
            .unwrap(),
        Some(Role::Admin)
    );
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_login_and_back() {
    let t = team().await;
    let mut b = Browser::new(&t.app);
    let a = b.get("/w/alpha/settings").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(
        a.location.as_deref(),
        Some("/login?next=%2Fw%2Falpha%2Fsettings")
    );
    let a = b
        .post(
            "/login",
            &[
                ("email", "editor@alpha.test"),
                ("password", PASSWORD),
                ("next", "/w/alpha/settings"),
            ],
        )
        .await;
    assert_eq!(a.location.as_deref(), Some("/w/alpha/settings"));
    b.get("/workspaces").await;
    let a = b
        .post(
            "/login",
            &[
                ("email", "editor@alpha.test"),
                ("password", PASSWORD),
                ("next", "//evil.test/"),
            ],
        )
        .await;
    assert_eq!(
        a.location.as_deref(),
        Some("/workspaces"),
        "no open redirect"
    );
}

#[tokio::test]
async fn forms_without_the_right_csrf_token_are_refused() {
    let t = team().await;
    let mut admin = Browser::new(&t.app);
    admin.login(&email_of(Role::Admin)).await;
    let before = t.app.store.all_workspaces().await.unwrap().len();

    let missing = admin
        .post_raw("/workspaces", &[("name", "X"), ("slug", "xx")])
        .await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    assert!(missing.body.contains("csrf_rejected"));
    let forged = admin
        .post_raw(
            "/workspaces",
            &[
                ("csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                ("name", "X"),
                ("slug", "xx"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // A token is bound to its session: another user's valid token does not work here.
    let mut other = Browser::new(&t.app);
    other.login(&email_of(Role::Editor)).await;
    let stolen = other.csrf.clone().unwrap();
    let a = admin
        .post_raw(
            "/workspaces",
            &[("csrf", stolen.as_str()), ("name", "X"), ("slug", "xx")],
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // A pre-login token stops working once logged in.
    let mut anon = Browser::new(&t.app);
    anon.get("/login").await;
    let pre = anon.csrf.clone().unwrap();
    anon.login(&email_of(Role::Admin)).await;
    let a = anon
        .post_raw(
            "/workspaces",
            &[("csrf", pre.as_str()), ("name", "X"), ("slug", "xx")],
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);

    assert_eq!(
        t.app.store.all_workspaces().await.unwrap().len(),
        before,
        "nothing was created"
    );
    let ok = admin
        .post("/workspaces", &[("name", "X"), ("slug", "xx")])
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "the right token passes");
    // Logging out is a form too.
    let a = admin.post_raw("/logout", &[]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn first_run_creates_one_admin_then_is_closed() {
    let app = app().await;
    let mut b = Browser::new(&app);
    let a = b.get("/").await;
    assert_eq!(a.location.as_deref(), Some("/setup"));
    b.get("/setup").await;
    let a = b
        .post(
            "/setup",
            &[
                ("name", "Ada"),
                ("email", "ada@x.test"),
                ("password", "short"),
                ("password2", "short"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("at least 10 characters"), "says what to do");
    assert!(a.body.contains("ada@x.test"), "keeps what was typed");
    let a = b
        .post(
            "/setup",
            &[
                ("name", "Ada"),
                ("email", "ada@x.test"),
                ("password", PASSWORD),
                ("password2", "another long one"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.store.count_users().await.unwrap(),
        0,
        "nothing half-made"
    );
    let a = b
        .post(
            "/setup",
            &[
                ("name", "Ada"),
                ("email", "ada@x.test"),
                ("password", PASSWORD),
                ("password2", PASSWORD),
            ],
        )
        .await;
    assert_eq!(a.location.as_deref(), Some("/workspaces"));
    let page = b.get("/workspaces").await;
    assert!(
        page.body.contains("id=\"create-workspace\""),
        "the first admin may create workspaces"
    );
    let a = b
        .post("/workspaces", &[("name", "Acme"), ("slug", "Not A Slug")])
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("acme-france"));
    let a = b
        .post("/workspaces", &[("name", "Acme"), ("slug", "acme")])
        .await;
    assert_eq!(a.location.as_deref(), Some("/w/acme"));
    let a = b
        .post("/workspaces", &[("name", "Acme again"), ("slug", "acme")])
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert!(a.body.contains("already used"));

    let mut late = Browser::new(&app);
    assert_eq!(late.get("/setup").await.location.as_deref(), Some("/login"));
    late.get("/login").await;
    let a = late
        .post(
            "/setup",
            &[
                ("name", "Eve"),
                ("email", "eve@x.test"),
                ("password", PASSWORD),
                ("password2", PASSWORD),
            ],
        )
        .await;
    assert_eq!(a.location.as_deref(), Some("/login"));
    assert_eq!(
        app.store.count_users().await.unwrap(),
        1,
        "no second admin through setup"
    );
}

#[tokio::test]
async fn login_is_throttled_after_five_failures() {
    let t = team().await;
    let mut b = Browser::new(&t.app);
    b.get("/login").await;
    for _ in 0..5 {
        let a = b
            .post(
                "/login",
                &[
                    ("email", "editor@alpha.test"),
                    ("password", "wrong password!"),
                ],
            )
            .await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
        assert!(a.body.contains("wrong e-mail or password"));
    }
    let a = b
        .post(
            "/login",
            &[("email", "editor@alpha.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        a.status,
        StatusCode::TOO_MANY_REQUESTS,
        "locked even with the right password"
    );
    assert!(a.body.contains("minute"));
    let unknown = b
        .post(
            "/login",
            &[("email", "nobody@alpha.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        unknown.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the address is locked too"
    );
}

#[tokio::test]
async fn session_cookies_are_http_only_and_logout_ends_them() {
    let t = team().await;
    let mut b = Browser::new(&t.app);
    b.get("/login").await;
    let a = b
        .post(
            "/login",
            &[("email", "analyst@alpha.test"), ("password", PASSWORD)],
        )
        .await;
    let cookie = a
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("relais_session="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain http here; Secure comes with an https public URL"
    );
    let session = b.cookies.get("relais_session").cloned().unwrap();
    b.get("/workspaces").await;
    let out = b.post("/logout", &[]).await;
    assert_eq!(out.location.as_deref(), Some("/login"));
    // Replaying the old cookie opens nothing.
    let mut replay = Browser::new(&t.app);
    replay.cookies.insert("relais_session".into(), session);
    assert_eq!(replay.get("/w/alpha").await.status, StatusCode::SEE_OTHER);
}

struct Captured(std::sync::Mutex<Vec<relais_mail::Mail>>);

#[async_trait::async_trait]
impl relais_mail::Mailer for Captured {
    async fn send(&self, mail: relais_mail::Mail) -> Result<(), relais_mail::MailError> {
        self.0.lock().unwrap().push(mail);
        Ok(())
    }
}

#[tokio::test]
async fn an_invitation_by_real_smtp_makes_a_member_with_the_chosen_role() {
    let sink = relais_testkit::smtp::SmtpSink::start().await;
    let mailer = relais_mail::SmtpMailer::new(&relais_mail::SmtpConfig {
        host: "127.0.0.1".into(),
        port: sink.port,
        security: relais_mail::Security::None,
        from: "Relais <relais@relais.test>".into(),
        ..Default::default()
    })
    .unwrap();
    let app = app_with(Some(Arc::new(mailer))).await;
    let ws = add_workspace(&app, "acme").await;
    let admin = add_user(&app, "ada@acme.test", true).await;
    add_member(&app, &ws, admin, Role::Admin).await;
    let mut b = Browser::new(&app);
    b.login("ada@acme.test").await;
    let a = b
        .post(
            "/w/acme/settings/invitations",
            &[("email", "Zoe@Acme.test"), ("role", "contributor")],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        a.body.contains("zoe@acme.test"),
        "the page confirms the mail"
    );
    assert!(
        !a.body.contains("/invite/inv_"),
        "a mailed link is not shown"
    );
    let mails = sink.messages();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, vec!["zoe@acme.test".to_owned()]);
    let link_at = mails[0]
        .data
        .find("http://relais.test/invite/")
        .expect("the mail carries the link");
    let link: String = mails[0].data[link_at..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    let path = link.trim_start_matches("http://relais.test").to_owned();

    let mut zoe = Browser::new(&app);
    let page = zoe.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("acme") && page.body.contains("Contributor"));
    let a = zoe
        .post(
            &path,
            &[
                ("name", "Zoé"),
                ("password", PASSWORD),
                ("password2", PASSWORD),
            ],
        )
        .await;
    assert_eq!(a.location.as_deref(), Some("/w/acme"), "{}", a.body);
    assert_eq!(
        zoe.get("/w/acme").await.status,
        StatusCode::OK,
        "logged in and a member"
    );
    let members = app.store.members(ws.id).await.unwrap();
    assert!(
        members
            .iter()
            .any(|m| m.user.email.as_str() == "zoe@acme.test" && m.role == Role::Contributor)
    );
    // The link works once.
    let again = Browser::new(&app).get(&path).await;
    assert_eq!(again.status, StatusCode::GONE);
    // Everything is in the audit log, with who and from where.
    let log = app.store.audit_log(Some(ws.id), None, 20).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|r| r.event.action.as_str()).collect();
    assert!(
        actions.contains(&"invitation.create") && actions.contains(&"invitation.accept"),
        "{actions:?}"
    );
    let created = log
        .iter()
        .find(|r| r.event.action == "invitation.create")
        .unwrap();
    assert_eq!(created.event.actor.label, "ada@acme.test");
    let audit_page = b.get("/w/acme/settings/audit").await;
    assert!(audit_page.body.contains("invitation.accept"));
}

#[tokio::test]
async fn without_mail_the_inviter_gets_the_link_and_wrong_accounts_cannot_use_it() {
    let captured = Arc::new(Captured(std::sync::Mutex::new(Vec::new())));
    let _ = captured.clone();
    let app = app().await;
    let ws = add_workspace(&app, "acme").await;
    let admin = add_user(&app, "ada@acme.test", true).await;
    add_member(&app, &ws, admin, Role::Admin).await;
    add_user(&app, "bob@acme.test", false).await;
    let mut b = Browser::new(&app);
    b.login("ada@acme.test").await;
    let a = b
        .post(
            "/w/acme/settings/invitations",
            &[("email", "bob@acme.test"), ("role", "analyst")],
        )
        .await;
    let at = a
        .body
        .find("http://relais.test/invite/")
        .expect("the link is shown to copy");
    let link: String = a.body[at..].chars().take_while(|c| *c != '"').collect();
    let path = link.trim_start_matches("http://relais.test").to_owned();
    // Ada (logged in) is not Bob: refused.
    let page = b.get(&path).await;
    assert!(page.body.contains("another e-mail address"));
    // Bob has an account: he must log in, then joins.
    let mut bob = Browser::new(&app);
    assert!(bob.get(&path).await.body.contains("log in first"));
    bob.login("bob@acme.test").await;
    bob.get(&path).await;
    let a = bob.post(&path, &[]).await;
    assert_eq!(a.location.as_deref(), Some("/w/acme"));
    assert_eq!(app.store.members(ws.id).await.unwrap().len(), 2);
}

#[tokio::test]
async fn the_language_follows_the_browser_then_the_switch() {
    let t = team().await;
    let mut b = Browser::new(&t.app);
    b.accept_language = Some("fr-FR,fr;q=0.9,en;q=0.5".into());
    let page = b.get("/login").await;
    assert!(page.body.contains("<html lang=\"fr\">") && page.body.contains("Connexion à Relais"));
    b.login("editor@alpha.test").await;
    let home = b.get("/w/alpha").await;
    for label in [
        "Publier",
        "Boîte de réception",
        "Veille",
        "Communauté",
        "Concours &#38; événements",
        "Audience",
        "Rapports",
        "Paramètres",
    ] {
        assert!(home.body.contains(label), "French navigation has {label}");
    }
    let a = b
        .post("/lang", &[("lang", "en"), ("next", "/w/alpha")])
        .await;
    assert_eq!(a.location.as_deref(), Some("/w/alpha"));
    let home = b.get("/w/alpha").await;
    for label in [
        "Publish",
        "Inbox",
        "Listening",
        "Community",
        "Contests &#38; events",
        "Audience",
        "Reports",
        "Settings",
    ] {
        assert!(home.body.contains(label), "English navigation has {label}");
    }
    let user = t
        .app
        .store
        .user_by_id(t.id(Role::Editor))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        user.locale.as_deref(),
        Some("en"),
        "the choice is kept on the account"
    );
}

#[tokio::test]
async fn names_are_escaped_in_pages() {
    let t = team().await;
    let mut b = Browser::new(&t.app);
    b.login(&email_of(Role::Admin)).await;
    let a = b
        .post(
            "/workspaces",
            &[("name", "<script>alert(1)</script>"), ("slug", "xss")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let page = b.get("/w/xss").await;
    assert!(!page.body.contains("<script>alert(1)</script>"));
    assert!(
        page.body.contains("&#60;script&#62;alert(1)"),
        "shown as text"
    );
    assert!(page.headers.get("content-security-policy").is_some());
    assert_eq!(page.headers.get("x-frame-options").unwrap(), "DENY");
}

#[tokio::test]
async fn api_tokens_are_scoped_to_their_workspace_and_role() {
    let t = team().await;
    let mut admin = Browser::new(&t.app);
    admin.login(&email_of(Role::Admin)).await;
    let mut tokens = std::collections::HashMap::new();
    for role in ["analyst", "contributor", "manager"] {
        let a = admin
            .post(
                "/w/alpha/settings/tokens",
                &[("name", role), ("role", role)],
            )
            .await;
        let at =
            a.body.find("id=\"new-token\" value=\"").unwrap() + "id=\"new-token\" value=\"".len();
        let token: String = a.body[at..].chars().take_while(|c| *c != '"').collect();
        assert!(token.starts_with("rls_"));
        tokens.insert(role, token);
    }
    let analyst = tokens["analyst"].as_str();
    let contributor = tokens["contributor"].as_str();
    let manager = tokens["manager"].as_str();

    assert_eq!(
        api(&t.app, "GET", "/api/v1/workspace", None, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        api(&t.app, "GET", "/api/v1/workspace", Some("rls_forged"), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let ws = api(&t.app, "GET", "/api/v1/workspace", Some(analyst), None).await;
    assert_eq!(ws.json()["slug"], "alpha");
    let members = api(&t.app, "GET", "/api/v1/members", Some(analyst), None)
        .await
        .json();
    let emails: Vec<&str> = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails.len(), 5);
    assert!(
        !emails.contains(&"boss@bravo.test"),
        "another workspace's members never show"
    );
    assert_eq!(
        api(&t.app, "GET", "/api/v1/audit-log", Some(analyst), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    let invite = serde_json::json!({ "email": "new@alpha.test", "role": "editor" });
    let refused = api(
        &t.app,
        "POST",
        "/api/v1/invitations",
        Some(contributor),
        Some(invite.clone()),
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::FORBIDDEN,
        "a contributor's token cannot do a manager's work"
    );
    assert_eq!(refused.json()["error"]["code"], "forbidden");
    let made = api(
        &t.app,
        "POST",
        "/api/v1/invitations",
        Some(manager),
        Some(invite),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    assert!(
        made.json()["link"]
            .as_str()
            .unwrap()
            .starts_with("http://relais.test/invite/inv_")
    );
    let admin_invite = api(
        &t.app,
        "POST",
        "/api/v1/invitations",
        Some(manager),
        Some(serde_json::json!({ "email": "a@b.test", "role": "admin" })),
    )
    .await;
    assert_eq!(admin_invite.status, StatusCode::FORBIDDEN);
    let bad = api(
        &t.app,
        "POST",
        "/api/v1/invitations",
        Some(manager),
        Some(serde_json::json!({ "email": "nope", "role": "editor" })),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["error"]["code"], "invalid_email");
    let log = api(
        &t.app,
        "GET",
        "/api/v1/audit-log?limit=5",
        Some(manager),
        None,
    )
    .await
    .json();
    assert_eq!(log["entries"][0]["action"], "invitation.create");
    assert_eq!(log["entries"][0]["actor"], "api-token:manager");

    // Revoked in the UI: the API closes at once.
    let id = t
        .app
        .store
        .api_tokens(t.alpha.id)
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.name == "analyst")
        .unwrap()
        .id;
    admin.get("/w/alpha/settings/tokens").await;
    admin
        .post(&format!("/w/alpha/settings/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(
        api(&t.app, "GET", "/api/v1/workspace", Some(analyst), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let _ = t.outsider;
}

#[tokio::test]
async fn openapi_health_and_metrics_answer() {
    let t = team().await;
    let doc = api(&t.app, "GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert_eq!(doc.json()["openapi"], "3.1.0");
    let health = api(&t.app, "GET", "/healthz", None, None).await;
    assert_eq!(
        (health.status, health.body.as_str()),
        (StatusCode::OK, "ok\n")
    );
    let metrics = api(&t.app, "GET", "/metrics", None, None).await;
    assert!(
        metrics.body.contains(
            "relais_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"
        ),
        "{}",
        metrics.body
    );
    t.app.store.close().await;
    let down = api(&t.app, "GET", "/healthz", None, None).await;
    assert_eq!(
        down.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "503 once the database is gone"
    );
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions() {
    let t = team().await;
    let mut here = Browser::new(&t.app);
    here.login("editor@alpha.test").await;
    let mut phone = Browser::new(&t.app);
    phone.login("editor@alpha.test").await;
    here.get("/account").await;
    let wrong = here
        .post(
            "/account/password",
            &[
                ("current", "not it at all"),
                ("password", "a brand new secret"),
                ("password2", "a brand new secret"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("current password is wrong"));
    let ok = here
        .post(
            "/account/password",
            &[
                ("current", PASSWORD),
                ("password", "a brand new secret"),
                ("password2", "a brand new secret"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(
        here.get("/w/alpha").await.status,
        StatusCode::OK,
        "this session goes on"
    );
    assert_eq!(
        phone.get("/w/alpha").await.status,
        StatusCode::SEE_OTHER,
        "the other one ended"
    );
    let mut again = Browser::new(&t.app);
    again.get("/login").await;
    let old = again
        .post(
            "/login",
            &[("email", "editor@alpha.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        old.status,
        StatusCode::UNAUTHORIZED,
        "the old password no longer works"
    );
    let new = again
        .post(
            "/login",
            &[
                ("email", "editor@alpha.test"),
                ("password", "a brand new secret"),
            ],
        )
        .await;
    assert_eq!(new.status, StatusCode::SEE_OTHER);
    let log = t.app.store.audit_log(None, None, 10).await.unwrap();
    assert!(
        log.iter()
            .any(|r| r.event.action == "user.password_change"
                && r.event.target == "editor@alpha.test")
    );
}

#[tokio::test]
async fn only_an_admin_renames_the_workspace_and_the_address_stays() {
    let t = team().await;
    let mut manager = Browser::new(&t.app);
    manager.login(&email_of(Role::Manager)).await;
    assert!(
        !manager
            .get("/w/alpha/settings")
            .await
            .body
            .contains("workspace-name")
    );
    assert_eq!(
        manager
            .post("/w/alpha/settings/rename", &[("name", "Nope")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let mut admin = Browser::new(&t.app);
    admin.login(&email_of(Role::Admin)).await;
    let a = admin
        .post("/w/alpha/settings/rename", &[("name", "Alpha Brands")])
        .await;
    assert_eq!(a.location.as_deref(), Some("/w/alpha/settings"));
    assert!(admin.get("/w/alpha").await.body.contains("Alpha Brands"));
    let empty = admin
        .post("/w/alpha/settings/rename", &[("name", "   ")])
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn cookies_are_secure_when_relais_is_served_over_https() {
    let config = relais_web::WebConfig {
        public_url: "https://relais.example".into(),
        ..Default::default()
    };
    let app = app_with_config(None, config).await;
    add_user(&app, "ada@x.test", true).await;
    let mut b = Browser::new(&app);
    let first = b.get("/login").await;
    let csrf_cookie = first
        .headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csrf_cookie.contains("; Secure"), "{csrf_cookie}");
    let a = b
        .post("/login", &[("email", "ada@x.test"), ("password", PASSWORD)])
        .await;
    let session = a
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("relais_session="))
        .unwrap();
    assert!(
        session.contains("; Secure") && session.contains("HttpOnly"),
        "{session}"
    );
}
