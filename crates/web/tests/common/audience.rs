//! An app with the audience started: an embedded event store in a temporary directory, two
//! workspaces with sites (one with a fixed id for Umami's tracker), a goal, and an analyst API
//! token per workspace.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;

use relais_analytics::embedded::Embedded;
use relais_analytics::ingest::Ingest;
use relais_core::{Role, SiteId};
use relais_store::NewApiToken;
use relais_store::audience::{GoalKind, NewSite};

use super::{App, add_workspace, cli_audit};

pub const UMAMI_SITE: &str = "5c5b2f2e-2d0e-4c9b-9a43-0e8f3f1f6a11";

pub struct Audience {
    pub app: App,
    pub token: String,
    pub other_token: String,
}

pub async fn audience() -> Audience {
    audience_of(super::app().await).await
}

/// The same, on an app already made (one served on a socket, say).
pub async fn audience_of(app: App) -> Audience {
    let dir = tempfile::tempdir().unwrap().keep();
    let engine = Embedded::open(&dir).unwrap();
    let ingest = Ingest::new(app.store.clone(), Arc::new(engine), None)
        .await
        .unwrap();
    app.state.audience.set(Arc::new(ingest)).ok().unwrap();
    let alpha = add_workspace(&app, "alpha").await;
    let bravo = add_workspace(&app, "bravo").await;
    for (ws, domain, id) in [
        (alpha.id, "shop.example.com", SiteId::new()),
        (alpha.id, "blog.example.com", UMAMI_SITE.parse().unwrap()),
        (bravo.id, "bravo.example.org", SiteId::new()),
    ] {
        let site = app
            .store
            .create_site(
                NewSite {
                    id,
                    workspace_id: ws,
                    domain: domain.into(),
                    time_zone: "Europe/Paris".into(),
                    created_by: None,
                },
                cli_audit("site.create"),
            )
            .await
            .unwrap();
        app.store
            .add_goal(
                ws,
                site.id,
                GoalKind::Event,
                "Signup",
                cli_audit("goal.add"),
            )
            .await
            .unwrap();
    }
    let mut tokens = Vec::new();
    for ws in [alpha.id, bravo.id] {
        let token = relais_web::auth::secret::new_secret("rls_");
        app.store
            .create_api_token(
                NewApiToken {
                    workspace_id: ws,
                    name: "stats".into(),
                    role: Role::Analyst,
                    token_hash: relais_web::auth::secret::hash_secret(&token),
                    created_by: None,
                },
                cli_audit("token.create"),
            )
            .await
            .unwrap();
        tokens.push(token);
    }
    Audience {
        app,
        other_token: tokens.pop().unwrap(),
        token: tokens.pop().unwrap(),
    }
}
