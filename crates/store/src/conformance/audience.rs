//! Conformance scenarios of [`crate::AudienceStore`].

use std::sync::Arc;

use relais_core::audit::AuditEvent;
use relais_core::{GoalId, LinkId, SiteId, Timestamp, WorkspaceId};

use super::audit;
use super::planning::two_workspaces;
use crate::audience::{GoalKind, NewLink, NewSite};
use crate::{Conflict, Store, StoreError};

fn ws_audit(ws: WorkspaceId, action: &str) -> AuditEvent {
    AuditEvent {
        workspace_id: Some(ws),
        ..audit(action)
    }
}

fn new_site(ws: WorkspaceId, domain: &str) -> NewSite {
    NewSite {
        id: SiteId::new(),
        workspace_id: ws,
        domain: domain.into(),
        time_zone: "Europe/Paris".into(),
        created_by: None,
    }
}

pub async fn sites_belong_to_one_workspace(store: Arc<dyn Store>) {
    let (a, b) = two_workspaces(&store).await;
    let shop = store
        .create_site(new_site(a, "shop.example.com"), ws_audit(a, "site.create"))
        .await
        .unwrap();
    store
        .create_site(new_site(a, "blog.example.com"), ws_audit(a, "site.create"))
        .await
        .unwrap();
    let taken = store
        .create_site(new_site(b, "shop.example.com"), ws_audit(b, "site.create"))
        .await
        .unwrap_err();
    assert!(
        matches!(taken, StoreError::Conflict(Conflict::SiteTaken)),
        "{taken:?}"
    );

    let listed: Vec<String> = store
        .sites(a)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.domain)
        .collect();
    assert_eq!(listed, ["blog.example.com", "shop.example.com"]);
    assert!(store.sites(b).await.unwrap().is_empty());
    assert_eq!(store.site(a, shop.id).await.unwrap(), Some(shop.clone()));
    assert_eq!(
        store.site(b, shop.id).await.unwrap(),
        None,
        "another workspace sees nothing"
    );
    assert_eq!(
        store.site_named(a, "shop.example.com").await.unwrap(),
        Some(shop.clone())
    );
    assert_eq!(store.site_named(b, "shop.example.com").await.unwrap(), None);
    assert_eq!(store.all_sites().await.unwrap().len(), 2);

    assert!(
        !store
            .delete_site(b, shop.id, ws_audit(b, "site.delete"))
            .await
            .unwrap()
    );
    assert!(
        store
            .delete_site(a, shop.id, ws_audit(a, "site.delete"))
            .await
            .unwrap()
    );
    assert_eq!(store.site(a, shop.id).await.unwrap(), None);
    // The domain is free again.
    store
        .create_site(new_site(b, "shop.example.com"), ws_audit(b, "site.create"))
        .await
        .unwrap();
}

pub async fn goals_are_unique_and_go_with_their_site(store: Arc<dyn Store>) {
    let (a, b) = two_workspaces(&store).await;
    let site = store
        .create_site(new_site(a, "example.com"), ws_audit(a, "site.create"))
        .await
        .unwrap();
    let signup = store
        .add_goal(
            a,
            site.id,
            GoalKind::Event,
            "Signup",
            ws_audit(a, "goal.add"),
        )
        .await
        .unwrap()
        .unwrap();
    let again = store
        .add_goal(
            a,
            site.id,
            GoalKind::Event,
            "Signup",
            ws_audit(a, "goal.add"),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.id, signup.id, "adding a goal twice keeps one");
    let pricing = store
        .add_goal(
            a,
            site.id,
            GoalKind::Page,
            "/pricing*",
            ws_audit(a, "goal.add"),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .add_goal(
                b,
                site.id,
                GoalKind::Event,
                "Intruder",
                ws_audit(b, "goal.add")
            )
            .await
            .unwrap(),
        None,
        "a site of another workspace takes no goal"
    );
    let goals = store.goals(a, site.id).await.unwrap();
    assert_eq!(
        goals
            .iter()
            .map(|g| (g.kind, g.value.as_str()))
            .collect::<Vec<_>>(),
        [(GoalKind::Event, "Signup"), (GoalKind::Page, "/pricing*")]
    );
    assert!(store.goals(b, site.id).await.unwrap().is_empty());
    assert!(
        !store
            .delete_goal(b, site.id, pricing.id, ws_audit(b, "goal.delete"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_goal(a, site.id, GoalId::new(), ws_audit(a, "goal.delete"))
            .await
            .unwrap()
    );
    assert!(
        store
            .delete_goal(a, site.id, pricing.id, ws_audit(a, "goal.delete"))
            .await
            .unwrap()
    );
    assert_eq!(store.goals(a, site.id).await.unwrap().len(), 1);
    assert!(
        store
            .delete_site(a, site.id, ws_audit(a, "site.delete"))
            .await
            .unwrap()
    );
    assert!(store.goals(a, site.id).await.unwrap().is_empty());
}

pub async fn one_salt_per_day_then_forgotten(store: Arc<dyn Store>) {
    // Two processes racing for the day's salt both get the first one stored.
    let (first, second) = tokio::join!(
        store.visitor_salt("2024-05-01", "sealed-a"),
        store.visitor_salt("2024-05-01", "sealed-b"),
    );
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(first, second);
    assert!(first == "sealed-a" || first == "sealed-b");
    assert_eq!(
        store.visitor_salt("2024-05-01", "sealed-c").await.unwrap(),
        first
    );
    assert_eq!(
        store.visitor_salt("2024-05-02", "sealed-d").await.unwrap(),
        "sealed-d"
    );
    assert_eq!(store.forget_salts_before("2024-05-02").await.unwrap(), 1);
    assert_eq!(
        store.visitor_salt("2024-05-01", "sealed-e").await.unwrap(),
        "sealed-e",
        "a forgotten day's salt cannot come back"
    );
}

fn new_link(ws: WorkspaceId, slug: &str) -> NewLink {
    NewLink {
        id: LinkId::new(),
        workspace_id: ws,
        slug: slug.into(),
        target: "https://shop.example.com/?utm_source=bluesky&utm_campaign=noel".into(),
        title: Some("Noël".into()),
        campaign: Some("noel".into()),
        expires_at: Some(Timestamp::from_millis(1_900_000_000_000)),
        password_hash: Some("$argon2id$fake".into()),
        post_id: None,
        created_by: None,
    }
}

pub async fn links_have_unique_slugs_and_stay_in_their_workspace(store: Arc<dyn Store>) {
    let (a, b) = two_workspaces(&store).await;
    let noel = store
        .create_link(new_link(a, "Noel24"), ws_audit(a, "link.create"))
        .await
        .unwrap();
    let taken = store
        .create_link(new_link(b, "Noel24"), ws_audit(b, "link.create"))
        .await
        .unwrap_err();
    assert!(
        matches!(taken, StoreError::Conflict(Conflict::LinkSlugTaken)),
        "{taken:?}"
    );
    let other = store
        .create_link(new_link(a, "noel24"), ws_audit(a, "link.create"))
        .await
        .unwrap();
    assert_ne!(other.id, noel.id, "slugs keep their case");

    assert_eq!(
        store.link_by_slug("Noel24").await.unwrap(),
        Some(noel.clone())
    );
    assert_eq!(store.link_by_slug("missing").await.unwrap(), None);
    assert_eq!(store.link(a, noel.id).await.unwrap(), Some(noel.clone()));
    assert_eq!(store.link(b, noel.id).await.unwrap(), None);
    let listed: Vec<String> = store
        .links(a)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.slug)
        .collect();
    assert_eq!(listed.len(), 2);
    assert!(store.links(b).await.unwrap().is_empty());
    assert_eq!(noel.password_hash.as_deref(), Some("$argon2id$fake"));

    assert!(
        !store
            .delete_link(b, noel.id, ws_audit(b, "link.delete"))
            .await
            .unwrap()
    );
    assert!(
        store
            .delete_link(a, noel.id, ws_audit(a, "link.delete"))
            .await
            .unwrap()
    );
    assert_eq!(store.link_by_slug("Noel24").await.unwrap(), None);

    store
        .set_campaign_cost(
            a,
            "noel",
            Some((12_500, "EUR".into())),
            ws_audit(a, "campaign.cost"),
        )
        .await
        .unwrap();
    store
        .set_campaign_cost(
            a,
            "noel",
            Some((15_000, "EUR".into())),
            ws_audit(a, "campaign.cost"),
        )
        .await
        .unwrap();
    store
        .set_campaign_cost(
            a,
            "ete",
            Some((4_000, "EUR".into())),
            ws_audit(a, "campaign.cost"),
        )
        .await
        .unwrap();
    let costs = store.campaign_costs(a).await.unwrap();
    assert_eq!(
        costs
            .iter()
            .map(|c| (c.campaign.as_str(), c.cost_cents))
            .collect::<Vec<_>>(),
        [("ete", 4000), ("noel", 15000)]
    );
    assert!(store.campaign_costs(b).await.unwrap().is_empty());
    store
        .set_campaign_cost(a, "ete", None, ws_audit(a, "campaign.cost"))
        .await
        .unwrap();
    assert_eq!(store.campaign_costs(a).await.unwrap().len(), 1);
}

pub async fn funnels_follow_their_site_goals(store: Arc<dyn Store>) {
    let (a, b) = two_workspaces(&store).await;
    let site = store
        .create_site(new_site(a, "example.com"), ws_audit(a, "site.create"))
        .await
        .unwrap();
    let other = store
        .create_site(new_site(a, "other.example.com"), ws_audit(a, "site.create"))
        .await
        .unwrap();
    let goal = |kind, value: &'static str, site| {
        let store = store.clone();
        async move {
            store
                .add_goal(a, site, kind, value, ws_audit(a, "goal.add"))
                .await
                .unwrap()
                .unwrap()
                .id
        }
    };
    let pricing = goal(GoalKind::Page, "/pricing", site.id).await;
    let signup = goal(GoalKind::Event, "Signup", site.id).await;
    let foreign = goal(GoalKind::Event, "Elsewhere", other.id).await;
    let funnel = store
        .add_funnel(
            a,
            site.id,
            "Trial",
            &[pricing, signup],
            ws_audit(a, "funnel.add"),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(funnel.steps, vec![pricing, signup]);
    assert_eq!(
        store
            .add_funnel(a, site.id, "One", &[pricing], ws_audit(a, "funnel.add"))
            .await
            .unwrap(),
        None,
        "two steps at least"
    );
    assert_eq!(
        store
            .add_funnel(
                a,
                site.id,
                "Mixed",
                &[pricing, foreign],
                ws_audit(a, "funnel.add")
            )
            .await
            .unwrap(),
        None,
        "another site's goal"
    );
    assert_eq!(
        store
            .add_funnel(
                b,
                site.id,
                "Theirs",
                &[pricing, signup],
                ws_audit(b, "funnel.add")
            )
            .await
            .unwrap(),
        None
    );
    assert!(
        store
            .add_funnel(
                a,
                site.id,
                "Trial",
                &[signup, pricing],
                ws_audit(a, "funnel.add")
            )
            .await
            .is_err(),
        "names are unique per site"
    );
    assert_eq!(
        store.funnels(a, site.id).await.unwrap(),
        vec![funnel.clone()]
    );
    assert!(store.funnels(b, site.id).await.unwrap().is_empty());
    assert!(
        !store
            .delete_funnel(b, site.id, funnel.id, ws_audit(b, "funnel.delete"))
            .await
            .unwrap()
    );
    assert!(
        store
            .delete_funnel(a, site.id, funnel.id, ws_audit(a, "funnel.delete"))
            .await
            .unwrap()
    );
    assert!(store.funnels(a, site.id).await.unwrap().is_empty());
}
