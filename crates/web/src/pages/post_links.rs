//! A post's links turned into tracked links when it is composed, and what they brought shown on
//! the post's page: clicks per channel, and the visits and conversions on the workspace's sites
//! that carry the post's campaign tag.
//!
//! Each channel gets its own short link for each address (tagged `utm_source` = the network,
//! `utm_medium` = `social`, `utm_campaign` = one name per post), so the post's page can say
//! which network the visitors came from.

use std::collections::BTreeMap;

use chrono::Utc;
use relais_analytics::SiteInfo;
use relais_audience::links::{Campaign, build_target, random_slug, rewrite_links};
use relais_audience::query::{
    Condition, DateRange, Dimension, EventDimension, Filter, Include, Metric, Operator, Pagination,
    Query, VisitDimension,
};
use relais_core::audit::AuditEvent;
use relais_core::{LinkId, PostId};
use relais_store::audience::{Link, NewLink};

use super::Access;
use crate::context::Ctx;
use crate::error::WebError;
use crate::state::AppState;

/// The links a post will use, made once the post exists.
pub struct Pending {
    pub links: Vec<NewLink>,
}

/// Eight random characters from the readable alphabet of slugs.
pub(super) fn random() -> Result<String, WebError> {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).map_err(WebError::internal)?;
    Ok(random_slug(bytes))
}

/// Gives every channel its own parts with its links replaced by tracked links.
pub async fn track(
    state: &AppState,
    access: &Access,
    channels: &[String],
    parts: &[String],
    variants: &BTreeMap<String, Vec<String>>,
) -> Result<(BTreeMap<String, Vec<String>>, Pending), WebError> {
    let campaign = format!("post-{}", random()?.to_lowercase());
    let mut out = BTreeMap::new();
    let mut links = Vec::new();
    for name in channels {
        let Some(channel) = state
            .store
            .channel_by_name(access.workspace.id, name)
            .await?
        else {
            continue; // the composer's own checks will refuse it
        };
        let own = variants.get(name).unwrap_or(&parts.to_vec()).clone();
        let mut rewritten = Vec::with_capacity(own.len());
        for part in &own {
            let mut failed = None;
            let text = rewrite_links(part, |url| {
                let tags = Campaign {
                    source: Some(channel.network.clone()),
                    medium: Some("social".into()),
                    campaign: Some(campaign.clone()),
                    content: None,
                    term: None,
                };
                let target = build_target(url, &tags).ok()?;
                let slug = match random() {
                    Ok(s) => s,
                    Err(e) => {
                        failed = Some(e);
                        return None;
                    }
                };
                let short = format!("{}/l/{slug}", state.config.public_url);
                links.push(NewLink {
                    id: LinkId::new(),
                    workspace_id: access.workspace.id,
                    slug,
                    target: target.to_string(),
                    title: Some(format!("{name} · {url}")),
                    campaign: Some(campaign.clone()),
                    expires_at: None,
                    password_hash: None,
                    post_id: None,
                    created_by: Some(access.user.id),
                });
                Some(short)
            });
            if let Some(e) = failed {
                return Err(e);
            }
            rewritten.push(text);
        }
        out.insert(name.clone(), rewritten);
    }
    Ok((out, Pending { links }))
}

/// Stores the post's links, now that the post exists.
pub async fn keep(
    state: &AppState,
    ctx: &Ctx,
    access: &Access,
    post: PostId,
    pending: Pending,
) -> Result<(), WebError> {
    for mut link in pending.links {
        link.post_id = Some(post);
        let event = AuditEvent {
            workspace_id: Some(access.workspace.id),
            actor: access.actor(ctx),
            action: "link.create".into(),
            target: link.slug.clone(),
            details: serde_json::json!({ "post": post.to_string() }),
        };
        state.store.create_link(link, event).await?;
    }
    Ok(())
}

/// One tracked link of a post, as its page shows it.
pub struct PostLinkLine {
    pub short: String,
    pub network: String,
    pub target: String,
    pub clicks: u64,
}

/// What a post's campaign brought to the workspace's sites.
#[derive(Default)]
pub struct Brought {
    pub visitors: u64,
    pub visits: u64,
    pub conversions: u64,
}

fn number(v: &serde_json::Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

fn campaign_filter(campaign: &str) -> Filter {
    Filter::Condition(Condition {
        operator: Operator::Is,
        dimension: Dimension::Visit(VisitDimension::UtmCampaign),
        clauses: vec![campaign.to_owned()],
        case_sensitive: true,
    })
}

fn all_time(metrics: &[Metric], dimensions: Vec<Dimension>, filter: Filter) -> Query {
    Query {
        site_id: String::new(),
        metrics: metrics.to_vec(),
        date_range: DateRange::All,
        dimensions,
        filter: Some(filter),
        order_by: Vec::new(),
        include: Include::default(),
        pagination: Pagination::default(),
    }
}

/// The post's links with their clicks, and the visits its campaign brought.
pub async fn of_post(
    state: &AppState,
    access: &Access,
    post: PostId,
) -> Result<(Vec<PostLinkLine>, Brought), WebError> {
    let links: Vec<Link> = state.store.links_of_post(access.workspace.id, post).await?;
    let Some(ingest) = state.audience.get() else {
        return Ok((Vec::new(), Brought::default()));
    };
    let events = ingest.events();
    let clicks_only = Filter::Condition(Condition {
        operator: Operator::Is,
        dimension: Dimension::Event(EventDimension::Name),
        clauses: vec!["click".into()],
        case_sensitive: true,
    });
    let mut lines = Vec::new();
    for link in &links {
        let site = SiteInfo {
            id: link.id.to_string(),
            goals: Vec::new(),
            tz: chrono_tz::UTC,
            start: chrono::DateTime::from_timestamp_millis(link.created_at.millis())
                .unwrap_or_default()
                .date_naive(),
        };
        let q = all_time(&[Metric::Events], vec![], clicks_only.clone());
        let clicks = events
            .answer(&site, &q, Utc::now())
            .await
            .ok()
            .and_then(|a| a.results.first().map(|r| number(&r.metrics[0])))
            .unwrap_or(0);
        let network = url::Url::parse(&link.target)
            .ok()
            .and_then(|u| {
                u.query_pairs()
                    .find(|(k, _)| k == "utm_source")
                    .map(|(_, v)| v.into_owned())
            })
            .unwrap_or_default();
        lines.push(PostLinkLine {
            short: format!("{}/l/{}", state.config.public_url, link.slug),
            network,
            target: link.target.clone(),
            clicks,
        });
    }
    let mut brought = Brought::default();
    let Some(campaign) = links.iter().find_map(|l| l.campaign.clone()) else {
        return Ok((lines, brought));
    };
    for site in state.store.sites(access.workspace.id).await? {
        let info = crate::api::audience::site_info(state, &site)
            .await
            .map_err(|_| WebError::internal("cannot read a site's goals"))?;
        let q = all_time(
            &[Metric::Visitors, Metric::Visits],
            vec![],
            campaign_filter(&campaign),
        );
        if let Ok(a) = events.answer(&info, &q, Utc::now()).await
            && let Some(row) = a.results.first()
        {
            brought.visitors += number(&row.metrics[0]);
            brought.visits += number(&row.metrics[1]);
        }
        if !info.goals.is_empty() {
            let goal = Filter::Condition(Condition {
                operator: Operator::Is,
                dimension: Dimension::Event(EventDimension::Goal),
                clauses: info.goals.iter().map(|g| g.display_name()).collect(),
                case_sensitive: true,
            });
            let q = all_time(
                &[Metric::Visitors],
                vec![],
                Filter::And(vec![campaign_filter(&campaign), goal]),
            );
            if let Ok(a) = events.answer(&info, &q, Utc::now()).await
                && let Some(row) = a.results.first()
            {
                brought.conversions += number(&row.metrics[0]);
            }
        }
    }
    Ok((lines, brought))
}
