//! The community's people as the inbox knows them: `/w/{slug}/inbox/contacts` (search by name
//! or handle) and `/w/{slug}/inbox/contacts/{id}` (their accounts on the networks, first and
//! last seen, their conversations, a name and a note the team edits, and "merge into…" another
//! contact when one person writes from two networks). The store audits the merge.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use relais_core::{ContactId, Permission, Timestamp};
use relais_store::inbox::{Contact, ConversationFilter};
use serde::Deserialize;

use super::conversation::{AccountRow, account_rows};
use super::{Rights, audit, chrome, found, network_label, path_id, when};
use crate::context::{Ctx, see_other};
use crate::error::WebError;
use crate::i18n::InboxMsgs;
use crate::pages::{Access, Chrome, Done, PageForm, PageResult, enter_workspace, render};
use crate::state::AppState;

/// Contacts a search shows.
const SEARCH_LIMIT: u32 = 100;
/// Merge candidates a search shows.
const CANDIDATES: u32 = 20;
/// Conversations shown on a contact's page.
const CONVERSATIONS: u32 = 50;
const MAX_NAME_CHARS: usize = 200;
const MAX_NOTE_CHARS: usize = 2_000;
/// The longest search kept.
const MAX_SEARCH_CHARS: usize = 200;

pub struct ContactRow {
    pub href: String,
    pub id: String,
    pub name: String,
    /// `@handle (Network)` of each account.
    pub handles: Vec<String>,
    pub conversations: u64,
}

fn contact_row(slug: &str, c: Contact) -> ContactRow {
    ContactRow {
        href: format!("/w/{slug}/inbox/contacts/{}", c.id),
        id: c.id.to_string(),
        handles: account_rows(&c)
            .into_iter()
            .map(|a| format!("{} ({})", a.handle, a.network))
            .collect(),
        name: c.name,
        conversations: c.conversation_count,
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct SearchParams {
    q: String,
    /// On a contact's page: the search for the contact to merge into.
    merge_q: String,
}

fn search_text(raw: &str) -> String {
    raw.trim().chars().take(MAX_SEARCH_CHARS).collect()
}

#[derive(Template)]
#[template(path = "inbox_contacts.html")]
struct ContactsPage {
    c: Chrome,
    slug: String,
    tab: &'static str,
    q: String,
    contacts: Vec<ContactRow>,
}

pub async fn list(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(params): Query<SearchParams>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    let m = ctx.m().inbox;
    let ws = &access.workspace;
    let q = search_text(&params.q);
    let contacts = state
        .store
        .contacts(ws.id, &q, SEARCH_LIMIT)
        .await?
        .into_iter()
        .map(|c| contact_row(ws.slug.as_str(), c))
        .collect();
    render(&ContactsPage {
        c: chrome(&ctx, m.tab_contacts, ws, "/contacts"),
        slug: ws.slug.to_string(),
        tab: "contacts",
        q,
        contacts,
    })
}

pub struct ContactConversation {
    pub href: String,
    pub preview: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub network: String,
    pub when: String,
}

pub struct AccountSeen {
    pub account: AccountRow,
    pub first_seen: String,
    pub last_seen: String,
}

#[derive(Template)]
#[template(path = "inbox_contact.html")]
struct ContactPage {
    c: Chrome,
    slug: String,
    tab: &'static str,
    rights: Rights,
    id: String,
    name: String,
    note: String,
    accounts: Vec<AccountSeen>,
    conversations: Vec<ContactConversation>,
    merge_q: String,
    candidates: Vec<ContactRow>,
    notice: Option<&'static str>,
}

fn notice(m: &InboxMsgs, done: &str) -> Option<&'static str> {
    Some(match done {
        "saved" => m.contact_saved,
        "merged" => m.contact_merged,
        "bad_name" => m.bad_contact_name,
        "bad_merge" => m.bad_merge,
        _ => return None,
    })
}

async fn contact_of(state: &AppState, access: &Access, id: &str) -> Result<Contact, WebError> {
    let id: ContactId = path_id(id)?;
    found(state.store.contact(access.workspace.id, id).await?)
}

pub async fn show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
    Query(params): Query<SearchParams>,
    Query(done): Query<Done>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    let m = ctx.m().inbox;
    let contact = contact_of(&state, &access, &id).await?;
    let ws = &access.workspace;
    let slug = ws.slug.to_string();
    let filter = ConversationFilter {
        contact: Some(contact.id),
        ..ConversationFilter::default()
    };
    let conversations = state
        .store
        .list_conversations(ws.id, &filter, Timestamp::now(), None, CONVERSATIONS)
        .await?
        .into_iter()
        .map(|c| ContactConversation {
            href: format!("/w/{slug}/inbox/c/{}", c.id),
            status: c.status.as_str(),
            status_label: m.status(c.status),
            network: c.network.as_deref().map(network_label).unwrap_or_default(),
            when: when(c.last_message_at),
            preview: c.preview,
        })
        .collect();
    let merge_q = search_text(&params.merge_q);
    let candidates = if merge_q.is_empty() {
        Vec::new()
    } else {
        state
            .store
            .contacts(ws.id, &merge_q, CANDIDATES + 1)
            .await?
            .into_iter()
            .filter(|c| c.id != contact.id)
            .take(CANDIDATES as usize)
            .map(|c| contact_row(&slug, c))
            .collect()
    };
    let accounts = account_rows(&contact)
        .into_iter()
        .zip(&contact.accounts)
        .map(|(account, a)| AccountSeen {
            account,
            first_seen: when(a.first_seen_at),
            last_seen: when(a.last_seen_at),
        })
        .collect();
    let here = format!("/contacts/{}", contact.id);
    render(&ContactPage {
        c: chrome(&ctx, &contact.name, ws, &here),
        tab: "contacts",
        rights: Rights::of(&access),
        id: contact.id.to_string(),
        name: contact.name,
        note: contact.note.unwrap_or_default(),
        accounts,
        conversations,
        merge_q,
        candidates,
        notice: notice(m, &done.done),
        slug,
    })
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct EditForm {
    name: String,
    note: String,
}

/// Whether a name and a note typed by the team can be kept.
fn readable(name: &str, note: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && !name.chars().any(char::is_control)
        && note.chars().count() <= MAX_NOTE_CHARS
}

pub async fn edit(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
    PageForm(form): PageForm<EditForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::Answer)?;
    let contact = contact_of(&state, &access, &id).await?;
    let here = format!("/w/{slug}/inbox/contacts/{}", contact.id);
    let name = form.name.trim();
    let note = form.note.trim();
    if !readable(name, note) {
        return Ok(see_other(&format!("{here}?done=bad_name")));
    }
    let details = serde_json::json!({ "name": name });
    let event = audit(
        &access,
        &ctx,
        "inbox.contact.update",
        contact.id.to_string(),
        details,
    );
    let note = (!note.is_empty()).then_some(note);
    let changed = state
        .store
        .update_contact(access.workspace.id, contact.id, name, note, event)
        .await?;
    found(changed.then_some(()))?;
    Ok(see_other(&format!("{here}?done=saved")))
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct MergeForm {
    /// The contact that stays (this one's accounts and conversations move to it).
    into: String,
}

/// Merges this contact into another one: the other stays, this one is gone.
pub async fn merge(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
    PageForm(form): PageForm<MergeForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::Answer)?;
    let absorbed = contact_of(&state, &access, &id).await?;
    let here = format!("/w/{slug}/inbox/contacts/{}", absorbed.id);
    let Ok(kept) = form.into.trim().parse::<ContactId>() else {
        return Ok(see_other(&format!("{here}?done=bad_merge")));
    };
    let details = serde_json::json!({
        "kept": kept.to_string(),
        "absorbed": absorbed.id.to_string(),
        "absorbed_name": absorbed.name,
    });
    let event = audit(
        &access,
        &ctx,
        "inbox.contact.merge",
        kept.to_string(),
        details,
    );
    let merged = state
        .store
        .merge_contacts(access.workspace.id, kept, absorbed.id, event)
        .await?;
    if !merged {
        return Ok(see_other(&format!("{here}?done=bad_merge")));
    }
    Ok(see_other(&format!(
        "/w/{slug}/inbox/contacts/{kept}?done=merged"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_notes_are_bounded() {
        assert!(readable("Léa", ""));
        assert!(!readable("", "note"));
        assert!(!readable(&"x".repeat(201), ""));
        assert!(!readable("a\u{7}", ""));
        assert!(!readable("Léa", &"n".repeat(2_001)));
        assert_eq!(search_text(&format!("  {}", "q".repeat(300))).len(), 200);
    }
}
