//! `/w/{slug}/inbox/c/{id}`: one conversation — its messages oldest first (received and sent,
//! with each reply's delivery state and each received message's moderation verdict), the
//! team's internal notes, the contact with their other conversations, and the team's actions:
//! assign, status, snooze, tags, note (here), reply, approve, like, repost and moderation
//! (in [`super::reply`]).

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use relais_core::{NoteId, Permission, Timestamp, UserId};
use relais_inbox::canned::{self, Values};
use relais_publish::rules::{self, Network};
use relais_store::inbox::{
    CannedReply, Contact, Conversation, ConversationFilter, ConversationStatus, DeliveryState,
    InboxMessage, InboxSettings, Note,
};
use serde::Deserialize;

use super::filter::clean_tag;
use super::rows::late;
use super::snooze::{SnoozeError, snooze_until, zone};
use super::{
    Choice, Rights, at_handle, audit, chrome, conversation_of, found, network_label, targets,
    web_link, when, when_opt,
};
use crate::context::{Ctx, see_other};
use crate::error::WebError;
use crate::i18n::InboxMsgs;
use crate::pages::{Access, Chrome, Done, PageForm, PageResult, enter_workspace, render_status};
use crate::state::AppState;

/// Other conversations of the contact shown beside this one.
const OTHER_CONVERSATIONS: u32 = 10;
/// The longest note kept.
const MAX_NOTE_CHARS: usize = 5_000;
/// A toxicity score (0..=1000) from which a message is marked as hostile.
const TOXIC_FROM: i64 = 700;

pub struct Head {
    pub id: String,
    pub who: String,
    pub handle: String,
    pub network: String,
    pub channel: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub status_label: &'static str,
    pub assignee: Option<String>,
    pub assigned_to_me: bool,
    pub tags: Vec<String>,
    pub snoozed_until: Option<String>,
    pub late: Option<String>,
    pub problem: Option<String>,
    pub first_response: Option<String>,
    pub started: String,
}

pub struct MessageRow {
    pub id: String,
    pub outgoing: bool,
    pub author: String,
    pub handle: String,
    pub when: String,
    pub when_iso: String,
    pub link: Option<String>,
    pub kind: &'static str,
    pub text: String,
    /// `awaiting_approval`, `queued`, `sent`, `failed` for replies; empty for received ones.
    pub delivery: &'static str,
    pub delivery_label: &'static str,
    pub delivery_error: Option<String>,
    pub awaiting: bool,
    /// "42 %" when scored.
    pub toxicity: Option<String>,
    pub toxic: bool,
    /// The matched rules' reasons, in the page's language.
    pub reasons: Vec<String>,
    pub network_state: Option<&'static str>,
    /// A received message the network knows (it can be liked, hidden…).
    pub actionable: bool,
}

pub struct NoteRow {
    pub author: String,
    pub when: String,
    pub text: String,
}

pub struct AccountRow {
    pub network: String,
    pub handle: String,
    pub name: Option<String>,
    pub profile: Option<String>,
    pub followers: Option<u64>,
}

pub struct OtherConversation {
    pub href: String,
    pub preview: String,
    pub status_label: &'static str,
    pub when: String,
}

pub struct ContactPanel {
    pub href: String,
    pub name: String,
    pub note: Option<String>,
    pub accounts: Vec<AccountRow>,
    pub others: Vec<OtherConversation>,
}

/// A canned reply ready for this conversation (variables filled in).
pub struct CannedChoice {
    pub id: String,
    pub label: String,
    pub text: String,
    pub selected: bool,
}

pub struct PresenceRow {
    pub name: String,
    pub replying: bool,
}

/// What the reply box holds when the page is drawn.
#[derive(Default)]
pub struct ReplyDraft {
    pub text: String,
    pub error: Option<String>,
    /// The id the reply will have (a second send of the same form is recognised).
    pub reply_id: String,
    /// The canned reply picked without the script (`?canned=`): it fills an empty box.
    pub canned: String,
}

#[derive(Template)]
#[template(path = "inbox_conversation.html")]
struct ConversationPage {
    c: Chrome,
    slug: String,
    tab: &'static str,
    rights: Rights,
    conv: Head,
    messages: Vec<MessageRow>,
    notes: Vec<NoteRow>,
    contact: Option<ContactPanel>,
    members: Vec<Choice>,
    statuses: Vec<Choice>,
    canned: Vec<CannedChoice>,
    draft: ReplyDraft,
    /// Why nobody can reply here (no channel), else `None`.
    no_reply: Option<String>,
    /// The member's replies wait for an editor's approval here.
    reply_waits: bool,
    /// The count of the draft on the conversation's network: "12 / 300".
    counter: String,
    counter_over: bool,
    others: Vec<PresenceRow>,
    base: String,
    events: String,
    notice: Option<&'static str>,
}

fn head(m: &InboxMsgs, c: &Conversation, me: UserId, settings: &InboxSettings) -> Head {
    let now = Timestamp::now();
    let handle = at_handle(c.contact_handle.as_deref().unwrap_or_default());
    Head {
        id: c.id.to_string(),
        who: c
            .contact_name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| handle.clone()),
        handle,
        network: c.network.as_deref().map(network_label).unwrap_or_default(),
        channel: c.channel_name.clone().unwrap_or_default(),
        kind: m.kind(c.kind),
        status: c.status.as_str(),
        status_label: m.status(c.status),
        assignee: c.assignee_name.clone(),
        assigned_to_me: c.assignee_id == Some(me),
        tags: c.tags.clone(),
        snoozed_until: c.snoozed_until.filter(|t| *t > now).map(when),
        late: late(m, c, &targets(settings), now),
        problem: c.problem.clone(),
        first_response: when_opt(c.first_response_at),
        started: when(c.created_at),
    }
}

/// The reasons of a moderation verdict (`{"matched": [{"rule_name", "fr", "en"}…]}`) in `lang`.
fn reasons(verdict: Option<&serde_json::Value>, lang: &str) -> Vec<String> {
    let Some(matched) = verdict
        .and_then(|v| v.get("matched"))
        .and_then(|v| v.as_array())
    else {
        return Vec::new();
    };
    // French puts a space before the colon.
    let sep = if lang == "fr" { " : " } else { ": " };
    matched
        .iter()
        .filter_map(|item| {
            let text = item
                .get(lang)
                .or_else(|| item.get("en"))
                .and_then(|t| t.as_str())?;
            Some(match item.get("rule_name").and_then(|n| n.as_str()) {
                Some(rule) if !rule.is_empty() => format!("{rule}{sep}{text}"),
                _ => text.to_owned(),
            })
        })
        .collect()
}

fn message_row(m: &InboxMsgs, lang: &str, msg: InboxMessage) -> MessageRow {
    let received = !msg.outgoing;
    let author = if msg.outgoing {
        msg.author_handle.clone()
    } else {
        msg.author_name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| msg.author_handle.clone())
    };
    MessageRow {
        id: msg.id.to_string(),
        outgoing: msg.outgoing,
        handle: if msg.outgoing {
            String::new()
        } else {
            at_handle(&msg.author_handle)
        },
        author,
        when: when(msg.sent_at),
        when_iso: msg.sent_at.to_rfc3339(),
        link: web_link(msg.url.as_deref()),
        kind: m.kind(msg.kind),
        delivery: if received { "" } else { msg.delivery.as_str() },
        delivery_label: m.delivery(msg.delivery),
        delivery_error: msg.delivery_error.clone(),
        awaiting: msg.delivery == DeliveryState::AwaitingApproval,
        toxicity: msg
            .toxicity_milli
            .map(|t| format!("{} %", (t.clamp(0, 1000) + 5) / 10)),
        toxic: msg.toxicity_milli.is_some_and(|t| t >= TOXIC_FROM),
        reasons: reasons(msg.moderation.as_ref(), lang),
        network_state: m.network_state(msg.network_state),
        actionable: received && msg.network_id.is_some(),
        text: msg.text,
    }
}

/// The address of the workspace's public netiquette, when it is public and Relais knows its
/// own address.
fn netiquette_url(state: &AppState, settings: &InboxSettings, slug: &str) -> Option<String> {
    let base = state.config.public_url.trim().trim_end_matches('/');
    (settings.netiquette_public && !base.is_empty()).then(|| format!("{base}/n/{slug}"))
}

/// The workspace's canned replies filled in for this conversation, the page's language first.
fn canned_choices(
    replies: Vec<CannedReply>,
    values: &Values<'_>,
    lang: &str,
    chosen: &str,
) -> Vec<CannedChoice> {
    let mut choices: Vec<(bool, CannedChoice)> = replies
        .into_iter()
        .filter_map(|r| {
            // A template is checked when it is saved; one that cannot be filled is left out
            // rather than sent with its braces.
            let text = canned::render(&r.body, values).ok()?;
            let id = r.id.to_string();
            Some((
                r.lang != lang,
                CannedChoice {
                    selected: id == chosen,
                    id,
                    label: format!("{} ({})", r.name, r.lang),
                    text,
                },
            ))
        })
        .collect();
    choices.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.label.cmp(&b.1.label)));
    choices.into_iter().map(|(_, c)| c).collect()
}

async fn contact_panel(
    state: &AppState,
    access: &Access,
    m: &InboxMsgs,
    conv: &Conversation,
) -> Result<Option<ContactPanel>, WebError> {
    let ws = access.workspace.id;
    let slug = access.workspace.slug.as_str();
    let Some(contact_id) = conv.contact_id else {
        return Ok(None);
    };
    let Some(contact) = state.store.contact(ws, contact_id).await? else {
        return Ok(None);
    };
    let filter = ConversationFilter {
        contact: Some(contact_id),
        ..ConversationFilter::default()
    };
    let others = state
        .store
        .list_conversations(ws, &filter, Timestamp::now(), None, OTHER_CONVERSATIONS + 1)
        .await?
        .into_iter()
        .filter(|c| c.id != conv.id)
        .take(OTHER_CONVERSATIONS as usize)
        .map(|c| OtherConversation {
            href: format!("/w/{slug}/inbox/c/{}", c.id),
            status_label: m.status(c.status),
            when: when(c.last_message_at),
            preview: c.preview,
        })
        .collect();
    Ok(Some(ContactPanel {
        href: format!("/w/{slug}/inbox/contacts/{}", contact.id),
        accounts: account_rows(&contact),
        name: contact.name,
        note: contact.note,
        others,
    }))
}

/// A contact's accounts as the pages show them.
pub fn account_rows(contact: &Contact) -> Vec<AccountRow> {
    contact
        .accounts
        .iter()
        .map(|a| AccountRow {
            network: network_label(&a.network),
            handle: at_handle(&a.handle),
            name: a.display_name.clone(),
            profile: web_link(a.profile_url.as_deref()),
            followers: a.followers,
        })
        .collect()
}

/// The count of `text` on `network` as the composer shows it ("12 / 300"), and whether it is
/// over; empty without a limit.
pub fn counter(network: Option<&str>, text: &str) -> (String, bool) {
    let Some(network) = network.and_then(|n| Network::parse(n).ok()) else {
        return (String::new(), false);
    };
    let count = rules::count(network, text);
    match count.limit {
        Some(limit) => (format!("{} / {limit}", count.used), count.used > limit),
        None => (String::new(), false),
    }
}

fn notice(m: &InboxMsgs, done: &str) -> Option<&'static str> {
    Some(match done {
        "assigned" => m.assigned,
        "unassigned" => m.unassigned_done,
        "status" => m.status_changed,
        "snoozed" => m.snoozed_done,
        "tagged" => m.tagged,
        "untagged" => m.untagged,
        "noted" => m.noted,
        "replied" => m.replied,
        "reply_waiting" => m.reply_waiting,
        "reply_already" => m.reply_already,
        "approved" => m.approved,
        "approve_already" => m.approve_already,
        "acted" => m.acted,
        "bad_tag" => m.bad_tag,
        "bad_note" => m.bad_note,
        "bad_snooze" => m.bad_snooze,
        "past_snooze" => m.past_snooze,
        "bad_assignee" => m.bad_assignee,
        "reason_needed" => m.reason_needed,
        _ => return None,
    })
}

/// Draws the conversation page, with the reply box holding `draft`.
pub async fn page(
    state: &AppState,
    ctx: &Ctx,
    access: &Access,
    conv: Conversation,
    draft: ReplyDraft,
    done: &str,
    status: StatusCode,
) -> PageResult {
    let m = ctx.m().inbox;
    let lang = ctx.lang.code();
    let ws = &access.workspace;
    let slug = ws.slug.to_string();
    let settings = state.store.inbox_settings(ws.id).await?;
    let messages = state
        .store
        .conversation_messages(ws.id, conv.id)
        .await?
        .into_iter()
        .map(|msg| message_row(m, lang, msg))
        .collect();
    let notes = state
        .store
        .conversation_notes(ws.id, conv.id)
        .await?
        .into_iter()
        .map(|n| NoteRow {
            author: n.author_label,
            when: when(n.created_at),
            text: n.text,
        })
        .collect();
    let contact = contact_panel(state, access, m, &conv).await?;
    // Only members who may answer can be handed a conversation.
    let members: Vec<(String, String)> = state
        .store
        .members(ws.id)
        .await?
        .into_iter()
        .filter(|mb| mb.role.allows(Permission::Answer))
        .map(|mb| (mb.user.id.to_string(), mb.user.name.to_string()))
        .collect();
    let assignee = conv.assignee_id.map(|a| a.to_string()).unwrap_or_default();
    let members = Choice::list(
        std::iter::once(("", m.nobody))
            .chain(members.iter().map(|(id, n)| (id.as_str(), n.as_str()))),
        &assignee,
    );
    let statuses = Choice::list(
        ConversationStatus::ALL
            .iter()
            .map(|s| (s.as_str(), m.status(*s))),
        conv.status.as_str(),
    );
    let agent = access.user.name.to_string();
    let netiquette = netiquette_url(state, &settings, &slug);
    let values = Values {
        contact_name: conv.contact_name.as_deref(),
        contact_handle: conv.contact_handle.as_deref(),
        brand: &ws.name,
        agent_name: Some(&agent),
        netiquette_url: netiquette.as_deref(),
    };
    let canned = canned_choices(
        state.store.canned_replies(ws.id).await?,
        &values,
        lang,
        draft.canned.trim(),
    );
    let mut draft = draft;
    if draft.text.is_empty()
        && let Some(chosen) = canned.iter().find(|c| c.selected)
    {
        draft.text = chosen.text.clone();
    }
    if draft.reply_id.is_empty() {
        draft.reply_id = relais_core::InboxMessageId::new().to_string();
    }
    let (counter, counter_over) = counter(conv.network.as_deref(), &draft.text);
    let no_reply = conv
        .network
        .is_none()
        .then(|| relais_inbox::reply::ReplyProblem::NoChannel.describe(lang));
    let others = state
        .store
        .presence(ws.id, conv.id, Timestamp::now())
        .await?
        .into_iter()
        .filter(|p| p.user_id != access.user.id)
        .map(|p| PresenceRow {
            name: p.user_name,
            replying: p.replying,
        })
        .collect();
    let id = conv.id.to_string();
    render_status(
        status,
        &ConversationPage {
            c: chrome(ctx, m.conversation_title, ws, &format!("/c/{id}")),
            tab: "conversations",
            rights: Rights::of(access),
            conv: head(m, &conv, access.user.id, &settings),
            messages,
            notes,
            contact,
            members,
            statuses,
            canned,
            draft,
            no_reply,
            reply_waits: settings.approve_contributor_replies
                && !access.role.allows(Permission::Approve),
            counter,
            counter_over,
            others,
            base: format!("/w/{slug}/inbox/c/{id}"),
            events: format!("/w/{slug}/inbox/events?since={}", Timestamp::now().millis()),
            slug,
            notice: notice(m, done),
        },
    )
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct ShowParams {
    /// A canned reply to put in the reply box (the picker without the script).
    canned: String,
}

pub async fn show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
    Query(done): Query<Done>,
    Query(params): Query<ShowParams>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    let conv = conversation_of(&state, &access, &id).await?;
    let draft = ReplyDraft {
        canned: params.canned,
        ..ReplyDraft::default()
    };
    page(
        &state,
        &ctx,
        &access,
        conv,
        draft,
        &done.done,
        StatusCode::OK,
    )
    .await
}

/// Back to the conversation with a notice.
pub fn back(slug: &str, conv: &Conversation, done: &str) -> axum::response::Response {
    see_other(&format!("/w/{slug}/inbox/c/{}?done={done}", conv.id))
}

/// The conversation a form acts on, after the member's right to work the inbox is checked.
async fn acting(
    state: &AppState,
    ctx: &Ctx,
    slug: &str,
    id: &str,
) -> Result<(Access, Conversation), WebError> {
    let access = enter_workspace(state, ctx, slug).await?;
    access.require(Permission::Answer)?;
    let conv = conversation_of(state, &access, id).await?;
    Ok((access, conv))
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct AssignForm {
    /// Empty: nobody; `me`; or a member's id.
    assignee: String,
}

pub async fn assign(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
    PageForm(form): PageForm<AssignForm>,
) -> PageResult {
    let (access, conv) = acting(&state, &ctx, &slug, &id).await?;
    let ws = access.workspace.id;
    let assignee: Option<UserId> = match form.assignee.trim() {
        "" => None,
        "me" => Some(access.user.id),
        raw => {
            let Ok(user) = raw.parse::<UserId>() else {
                return Ok(back(&slug, &conv, "bad_assignee"));
            };
            // Only a member who may answer can be handed a conversation.
            let may = state
                .store
                .role_of(ws, user)
                .await?
                .is_some_and(|r| r.allows(Permission::Answer));
            if !may {
                return Ok(back(&slug, &conv, "bad_assignee"));
            }
            Some(user)
        }
    };
    let details = serde_json::json!({ "assignee": assignee.map(|u| u.to_string()) });
    let event = audit(
        &access,
        &ctx,
        "inbox.conversation.assign",
        conv.id.to_string(),
        details,
    );
    let changed = state
        .store
        .assign_conversation(ws, conv.id, assignee, event)
        .await?;
    found(changed.then_some(()))?;
    let done = if assignee.is_some() {
        "assigned"
    } else {
        "unassigned"
    };
    Ok(back(&slug, &conv, done))
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct StatusForm {
    status: String,
}

pub async fn set_status(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
    PageForm(form): PageForm<StatusForm>,
) -> PageResult {
    let (access, conv) = acting(&state, &ctx, &slug, &id).await?;
    let Some(status) = ConversationStatus::parse(form.status.trim()) else {
        return Err(WebError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            relais_core::ErrorCode::InvalidInput,
            "the status must be open, pending or closed",
        ));
    };
    let details = serde_json::json!({ "status": status.as_str() });
    let event = audit(
        &access,
        &ctx,
        "inbox.conversation.status",
        conv.id.to_string(),
        details,
    );
    let changed = state
        .store
        .set_conversation_status(
            access.workspace.id,
            conv.id,
            status,
            None,
            Timestamp::now(),
            event,
        )
        .await?;
    found(changed.then_some(()))?;
    Ok(back(&slug, &conv, "status"))
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct SnoozeForm {
    /// `1h`, `tomorrow`, `monday` or `until`.
    preset: String,
    /// A `datetime-local` value, with `until`.
    until: String,
    /// The browser's time zone (the page's script fills it in).
    tz: String,
}

pub async fn snooze(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
    PageForm(form): PageForm<SnoozeForm>,
) -> PageResult {
    let (access, conv) = acting(&state, &ctx, &slug, &id).await?;
    let now = Timestamp::now();
    let until = match snooze_until(&form.preset, &form.until, zone(&form.tz), now) {
        Ok(until) => until,
        Err(SnoozeError::Past) => return Ok(back(&slug, &conv, "past_snooze")),
        Err(SnoozeError::Unreadable) => return Ok(back(&slug, &conv, "bad_snooze")),
    };
    let details = serde_json::json!({ "until": until.to_rfc3339(), "zone": form.tz.trim() });
    let event = audit(
        &access,
        &ctx,
        "inbox.conversation.snooze",
        conv.id.to_string(),
        details,
    );
    let changed = state
        .store
        .set_conversation_status(
            access.workspace.id,
            conv.id,
            ConversationStatus::Open,
            Some(until),
            now,
            event,
        )
        .await?;
    found(changed.then_some(()))?;
    Ok(back(&slug, &conv, "snoozed"))
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct TagForm {
    tag: String,
}

/// Adds (`add` true) or removes a tag.
async fn tag_or_untag(
    state: AppState,
    ctx: Ctx,
    slug: String,
    id: String,
    form: TagForm,
    add: bool,
) -> PageResult {
    let (access, conv) = acting(&state, &ctx, &slug, &id).await?;
    let Some(tag) = clean_tag(&form.tag) else {
        return Ok(back(&slug, &conv, "bad_tag"));
    };
    let ws = access.workspace.id;
    let action = if add {
        "inbox.conversation.tag"
    } else {
        "inbox.conversation.untag"
    };
    let details = serde_json::json!({ "tag": tag });
    let event = audit(&access, &ctx, action, conv.id.to_string(), details);
    if add {
        state
            .store
            .tag_conversation(ws, conv.id, &tag, event)
            .await?;
        Ok(back(&slug, &conv, "tagged"))
    } else {
        state
            .store
            .untag_conversation(ws, conv.id, &tag, event)
            .await?;
        Ok(back(&slug, &conv, "untagged"))
    }
}

pub async fn tag(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
    PageForm(form): PageForm<TagForm>,
) -> PageResult {
    tag_or_untag(state, ctx, slug, id, form, true).await
}

pub async fn untag(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
    PageForm(form): PageForm<TagForm>,
) -> PageResult {
    tag_or_untag(state, ctx, slug, id, form, false).await
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct NoteForm {
    text: String,
}

pub async fn note(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
    PageForm(form): PageForm<NoteForm>,
) -> PageResult {
    let (access, conv) = acting(&state, &ctx, &slug, &id).await?;
    let text = form.text.trim();
    if text.is_empty() || text.chars().count() > MAX_NOTE_CHARS {
        return Ok(back(&slug, &conv, "bad_note"));
    }
    let note = Note {
        id: NoteId::new(),
        conversation_id: conv.id,
        author_id: Some(access.user.id),
        author_label: access.user.name.to_string(),
        text: text.to_owned(),
        created_at: Timestamp::now(),
    };
    let details = serde_json::json!({ "note_id": note.id.to_string() });
    let event = audit(
        &access,
        &ctx,
        "inbox.conversation.note",
        conv.id.to_string(),
        details,
    );
    let added = state
        .store
        .add_note(access.workspace.id, note, event)
        .await?;
    found(added.then_some(()))?;
    Ok(back(&slug, &conv, "noted"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_reasons_come_in_the_pages_language() {
        let verdict = serde_json::json!({
            "matched": [
                { "rule_name": "Insultes", "fr": "mot surveillé « nul »", "en": "watched word \"nul\"" },
                { "en": "shouting" }
            ],
            "actions": []
        });
        assert_eq!(
            reasons(Some(&verdict), "fr"),
            ["Insultes : mot surveillé « nul »", "shouting"]
        );
        assert_eq!(
            reasons(Some(&verdict), "en"),
            ["Insultes: watched word \"nul\"", "shouting"]
        );
        assert!(reasons(None, "en").is_empty());
        assert!(reasons(Some(&serde_json::json!("odd")), "en").is_empty());
    }

    #[test]
    fn the_counter_uses_the_networks_count() {
        assert_eq!(counter(Some("bluesky"), "héllo"), ("5 / 300".into(), false));
        assert_eq!(
            counter(Some("bluesky"), &"é".repeat(301)),
            ("301 / 300".into(), true)
        );
        assert_eq!(counter(None, "x"), (String::new(), false));
    }

    #[test]
    fn canned_replies_are_filled_in_and_the_pages_language_comes_first() {
        let reply = |name: &str, lang: &str, body: &str| CannedReply {
            id: relais_core::CannedReplyId::new(),
            workspace_id: relais_core::WorkspaceId::new(),
            name: name.into(),
            lang: lang.into(),
            body: body.into(),
            updated_at: Timestamp::from_millis(0),
        };
        let values = Values {
            contact_name: Some("Léa Martin"),
            contact_handle: Some("lea.test"),
            brand: "Acme",
            agent_name: Some("Sam"),
            netiquette_url: None,
        };
        let choices = canned_choices(
            vec![
                reply("Thanks", "en", "Hi {{first_name}}"),
                reply(
                    "Merci",
                    "fr",
                    "Merci {{first_name}} — {{agent_name}}, {{brand}}",
                ),
                reply("Broken", "fr", "Oops {{nope}}"),
            ],
            &values,
            "fr",
            "",
        );
        let texts: Vec<&str> = choices.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["Merci Léa — Sam, Acme", "Hi Léa"]);
        assert_eq!(choices[0].label, "Merci (fr)");
    }
}
