//! The stream, `/w/{slug}/listening/mentions`: mentions newest first under the filters of the
//! address, a page at a time (keyset: "older" carries the last one's place), each with what is
//! known of it and the actions of triage (tag, mute, send to the inbox). A small JSON answer
//! tells the page's script how many newer mentions arrived, so the page can offer them without
//! reloading by itself.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use relais_core::{Permission, Timestamp};
use relais_store::listening::{ListenQuery, Mention, Sentiment, SourceKind};
use serde::Deserialize;

use super::filter::{StreamParams, cursor};
use super::{Choice, Rights, audit, chrome, mention_of, query_names, web_link, when};
use crate::context::{Ctx, see_other};
use crate::error::WebError;
use crate::i18n::ListenMsgs;
use crate::pages::{Chrome, Done, PageForm, PageResult, enter_workspace, render_status};
use crate::state::AppState;

/// Mentions per page.
const PAGE: u32 = 50;
/// Newer mentions counted at most by the live check ("100+").
const NEW_CAP: u32 = 100;

pub struct MentionRow {
    id: String,
    title: String,
    text: String,
    author: String,
    reach: Option<u64>,
    site: String,
    link: Option<String>,
    lang: String,
    sentiment: &'static str,
    sentiment_label: &'static str,
    score: String,
    when: String,
    when_iso: String,
    tags: Vec<String>,
    queries: Vec<String>,
    kind: &'static str,
    muted: bool,
    duplicate: bool,
    inbox_sent: Option<String>,
}

/// A score in thousandths as a signed decimal (`+0.42`, `-1.00`).
fn score(milli: i64) -> String {
    format!("{:+.2}", milli as f64 / 1000.0)
}

fn row(l: &ListenMsgs, m: Mention, queries: &[ListenQuery]) -> MentionRow {
    MentionRow {
        id: m.id.to_string(),
        title: m.title.unwrap_or_default(),
        link: web_link(m.url.as_deref()),
        text: m.text,
        author: m.author.unwrap_or_default(),
        reach: m.reach,
        site: m.site.unwrap_or_default(),
        lang: m.lang.unwrap_or_default(),
        sentiment: m.sentiment.as_str(),
        sentiment_label: l.sentiment(m.sentiment),
        score: score(m.score_milli),
        when: when(m.at),
        when_iso: m.at.to_rfc3339(),
        tags: m.tags,
        queries: query_names(&m.query_ids, queries)
            .map(str::to_owned)
            .collect(),
        kind: l.source_kind(m.source_kind),
        muted: m.muted,
        duplicate: m.duplicate_of.is_some(),
        inbox_sent: m.inbox_sent_at.map(when),
    }
}

#[derive(Template)]
#[template(path = "listening_mentions.html")]
struct StreamPage {
    c: Chrome,
    slug: String,
    tab: &'static str,
    rights: Rights,
    params: StreamParams,
    queries: Vec<Choice>,
    sentiments: Vec<Choice>,
    kinds: Vec<Choice>,
    mentions: Vec<MentionRow>,
    /// This page's address with its filters, for the forms' return.
    back: String,
    /// The filters without paging, for the CSV, the newest page and the live check.
    filters: String,
    older: Option<String>,
    /// When this first page was made (Unix ms): the live check counts what was found since.
    live_after: Option<String>,
    unread: Vec<&'static str>,
    notice: Option<&'static str>,
}

pub async fn show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(params): Query<StreamParams>,
    Query(done): Query<Done>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    let m = ctx.m();
    let l = m.listen;
    let ws = &access.workspace;
    let (filter, unread) = params.filter();
    let queries = state.store.listen_queries(ws.id).await?;
    let mut found = state.store.mentions(ws.id, &filter, PAGE + 1).await?;
    let older = if found.len() > PAGE as usize {
        found.truncate(PAGE as usize);
        found.last().map(|last| {
            let next = StreamParams {
                before: cursor(last.at, last.id),
                ..params.clone()
            };
            next.query_string(true)
        })
    } else {
        None
    };
    // The live count asks what was found after this page was made (publication times are
    // the sources' and may be older than the newest shown).
    let live_after = params
        .before
        .is_empty()
        .then(|| Timestamp::now().millis().to_string());
    let notice = match done.done.as_str() {
        "tagged" => Some(l.tagged),
        "untagged" => Some(l.untagged),
        "muted" => Some(l.muted_done),
        "unmuted" => Some(l.unmuted_done),
        "inbox" => Some(l.sent_to_inbox),
        "inbox_already" => Some(l.already_in_inbox),
        "bad_tag" => Some(l.bad_tag),
        _ => None,
    };
    let unread_labels = unread
        .fields
        .iter()
        .map(|f| match *f {
            "query" => l.filter_query,
            "sentiment" => l.filter_sentiment,
            "kind" => l.filter_kind,
            "from" => l.filter_from,
            "to" => l.filter_to,
            _ => l.filter_page,
        })
        .collect();
    let query_choices = Choice::queries(l.any, &queries, params.query.trim());
    let sentiments = Choice::list(
        std::iter::once(("", l.any))
            .chain(Sentiment::ALL.iter().map(|s| (s.as_str(), l.sentiment(*s)))),
        &params.sentiment,
    );
    let kinds = Choice::list(
        std::iter::once(("", l.any)).chain(
            SourceKind::ALL
                .iter()
                .map(|k| (k.as_str(), l.source_kind(*k))),
        ),
        &params.kind,
    );
    let mentions = found.into_iter().map(|x| row(l, x, &queries)).collect();
    let slug = ws.slug.to_string();
    let filters = params.query_string(false);
    let here = if filters.is_empty() {
        "/mentions".to_owned()
    } else {
        format!("/mentions?{filters}")
    };
    render_status(
        axum::http::StatusCode::OK,
        &StreamPage {
            c: chrome(&ctx, l.tab_mentions, ws, &here),
            slug,
            tab: "mentions",
            rights: Rights::of(&access),
            back: params.query_string(true),
            params,
            queries: query_choices,
            sentiments,
            kinds,
            mentions,
            filters,
            older,
            live_after,
            unread: unread_labels,
            notice,
        },
    )
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct SinceParam {
    since: String,
}

#[derive(serde::Serialize)]
struct NewCount {
    /// Newer mentions under the same filters (at most [`NEW_CAP`]).
    count: u32,
    /// More than `count`.
    capped: bool,
}

/// How many mentions were found since a page was shown (`since`, Unix ms), under the page's
/// filters.
pub async fn count_new(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(params): Query<StreamParams>,
    Query(since): Query<SinceParam>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    let mut filter = params.unpaged_filter();
    filter.found_after = Some(Timestamp::from_millis(
        since
            .since
            .trim()
            .parse()
            .unwrap_or_else(|_| Timestamp::now().millis()),
    ));
    let found = state
        .store
        .mentions(access.workspace.id, &filter, NEW_CAP + 1)
        .await?;
    let newer = found.len() as u32;
    Ok(Json(NewCount {
        count: newer.min(NEW_CAP),
        capped: newer > NEW_CAP,
    })
    .into_response())
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct ActionForm {
    tag: String,
    /// The stream's query string to return to.
    back: String,
}

/// A tag as people type it: trimmed, 1 to 50 characters, no control characters.
fn clean_tag(raw: &str) -> Option<String> {
    let t = raw.trim();
    (!t.is_empty() && t.chars().count() <= 50 && !t.chars().any(char::is_control))
        .then(|| t.to_owned())
}

/// Tag, untag, mute, unmute, or send to the inbox; then back to the stream as it was.
pub async fn act(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id, action)): Path<(String, String, String)>,
    PageForm(form): PageForm<ActionForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::TriageMentions)?;
    let mention = mention_of(&state, &access, &id).await?;
    let ws = access.workspace.id;
    let target = mention.id.to_string();
    let done = match action.as_str() {
        "tag" | "untag" => match clean_tag(&form.tag) {
            None => "bad_tag",
            Some(tag) => {
                let details = serde_json::json!({ "tag": tag });
                let name = format!("listen.mention.{action}");
                let event = audit(&access, &ctx, &name, target, details);
                if action == "tag" {
                    state.store.tag_mention(ws, mention.id, &tag, event).await?;
                    "tagged"
                } else {
                    state
                        .store
                        .untag_mention(ws, mention.id, &tag, event)
                        .await?;
                    "untagged"
                }
            }
        },
        "mute" | "unmute" => {
            let muted = action == "mute";
            let name = format!("listen.mention.{action}");
            let event = audit(&access, &ctx, &name, target, serde_json::Value::Null);
            state
                .store
                .set_mention_muted(ws, mention.id, muted, event)
                .await?;
            if muted { "muted" } else { "unmuted" }
        }
        "inbox" => {
            let event = audit(
                &access,
                &ctx,
                "listen.mention.inbox",
                target,
                serde_json::Value::Null,
            );
            let now = Timestamp::now();
            let sent = state
                .store
                .mark_mention_sent_to_inbox(ws, mention.id, now, event)
                .await?;
            if sent {
                // Answered through the channel its search used, when it came from one.
                let channel = match mention.source_id {
                    Some(source) => state
                        .store
                        .listen_source(ws, source)
                        .await?
                        .and_then(|s| s.channel_id),
                    None => None,
                };
                let message = relais_inbox_worker::incoming::from_mention(&mention);
                state
                    .store
                    .ingest_messages(ws, channel, &[message], now)
                    .await?;
                "inbox"
            } else {
                "inbox_already"
            }
        }
        _ => return Err(WebError::not_found()),
    };
    // The return address is rebuilt from the filters it holds, never taken as it came.
    let back = StreamParams::from_query_string(&form.back).query_string(true);
    let sep = if back.is_empty() { "" } else { "&" };
    Ok(see_other(&format!(
        "/w/{slug}/listening/mentions?done={done}{sep}{back}#m-{}",
        mention.id
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_read_as_signed_decimals() {
        assert_eq!(score(420), "+0.42");
        assert_eq!(score(-1000), "-1.00");
        assert_eq!(score(0), "+0.00");
        assert_eq!(score(994), "+0.99");
    }

    #[test]
    fn tags_are_trimmed_and_bounded() {
        assert_eq!(clean_tag("  urgent "), Some("urgent".to_owned()));
        assert_eq!(clean_tag("   "), None);
        assert_eq!(clean_tag(&"x".repeat(51)), None);
        assert_eq!(clean_tag("a\u{7}b"), None);
    }
}
