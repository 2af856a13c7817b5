//! What the team does about a message, as records in the brand's repository (likes, reposts,
//! blocks, thread gates) or as calls the PDS hands to its AppView or moderation service
//! (mutes, reports). Doing an action twice leaves one record: likes and reposts take a record
//! key derived from what they point at; a block is looked for first; a hidden reply is
//! already in the thread gate.

use relais_outbound::HttpClient;
use reqwest::Method;
use serde_json::{Value, json};

use super::brand_did;
use super::message::parse_at_uri;
use crate::bluesky::Bluesky;
use crate::bluesky::post_tid;
use crate::bluesky::xrpc::{Outcome, Xrpc, XrpcFailure};
use crate::inbox::{Author, Interaction, PostRef};
use crate::search::rfc3339_ms;
use crate::{Credentials, NetworkError};

const LIKE: &str = "app.bsky.feed.like";
const REPOST: &str = "app.bsky.feed.repost";
const BLOCK: &str = "app.bsky.graph.block";
const THREADGATE: &str = "app.bsky.feed.threadgate";
/// Pages of blocks looked through before blocking again (100 a page).
const MAX_BLOCK_PAGES: usize = 50;

fn now() -> String {
    rfc3339_ms(chrono::Utc::now().timestamp_millis())
}

/// Whether a failed call means the record is not there.
fn is_not_found(f: &XrpcFailure) -> bool {
    f.error == "RecordNotFound"
        || f.status == 404
        || (f.status == 400
            && f.message
                .to_ascii_lowercase()
                .contains("could not locate record"))
}

/// The time a TID record key encodes, in Unix milliseconds.
fn tid_ms(rkey: &str) -> Option<i64> {
    const ALPHABET: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";
    if rkey.len() != 13 {
        return None;
    }
    let mut value: u64 = 0;
    for b in rkey.bytes() {
        value = (value << 5) | ALPHABET.iter().position(|a| *a == b)? as u64;
    }
    // The top bit is always zero in a TID; 53 bits of microseconds, then 10 of clock id.
    if value >> 63 != 0 {
        return None;
    }
    i64::try_from((value >> 10) / 1000).ok()
}

/// The record key of the brand's `action` (like, repost) of `subject`: the same every time, so
/// that doing it again finds the first record instead of making a second. It carries the
/// subject's own time when the subject's key is a TID, as a key made then would.
pub(crate) fn action_rkey(action: &str, subject: &str) -> String {
    let ms = parse_at_uri(subject)
        .and_then(|(_, _, rkey)| tid_ms(rkey))
        .unwrap_or(0);
    post_tid(ms, &format!("{action}:{subject}"))
}

/// A record from the channel's PDS (`com.atproto.repo.getRecord`, no session needed): its
/// value and CID, or `None` when it does not exist there.
async fn get_record(
    bluesky: &Bluesky,
    creds: &Credentials,
    repo: &str,
    collection: &str,
    rkey: &str,
) -> Result<Option<(Value, Option<String>)>, NetworkError> {
    let service = Bluesky::service(creds)?.to_owned();
    let xrpc = Xrpc {
        http: &bluesky.http,
        service: &service,
    };
    let query = [("repo", repo), ("collection", collection), ("rkey", rkey)];
    match xrpc
        .call(
            Method::GET,
            "com.atproto.repo.getRecord",
            None,
            &query,
            None,
            None,
        )
        .await?
    {
        Outcome::Ok(v) => {
            let cid = v.get("cid").and_then(Value::as_str).map(str::to_owned);
            Ok(Some((v.get("value").cloned().unwrap_or(Value::Null), cid)))
        }
        Outcome::Failed(f) if is_not_found(&f) => Ok(None),
        Outcome::Failed(f) => Err(f.into_network_error()),
    }
}

/// The record of the post at `uri`: from the channel's PDS when it hosts it, else from the
/// AppView (`app.bsky.feed.getPosts`).
async fn read_post(
    bluesky: &Bluesky,
    creds: &mut Credentials,
    uri: &str,
) -> Result<(Value, Option<String>), NetworkError> {
    let (repo, collection, rkey) = parse_at_uri(uri)
        .ok_or_else(|| NetworkError::Rejected(format!("`{uri}` is not a post URI")))?;
    if let Ok(Some(found)) = get_record(bluesky, creds, repo, collection, rkey).await {
        return Ok(found);
    }
    match bluesky
        .authed(
            creds,
            Method::GET,
            "app.bsky.feed.getPosts",
            &[("uris", uri)],
            None,
            None,
        )
        .await?
    {
        Ok(v) => {
            let post = v.get("posts").and_then(|p| p.get(0)).ok_or_else(|| {
                NetworkError::Rejected(format!("the post {uri} no longer exists"))
            })?;
            let cid = post.get("cid").and_then(Value::as_str).map(str::to_owned);
            Ok((post.get("record").cloned().unwrap_or(Value::Null), cid))
        }
        Err(f) if matches!(f.status, 501 | 502) => Err(NetworkError::Transient(format!(
            "the post {uri} is not on the channel's PDS, which has no AppView to read it from"
        ))),
        Err(f) => Err(f.into_network_error()),
    }
}

/// `post` as a `com.atproto.repo.strongRef`, reading its CID when the message lacks it.
async fn strong_ref(
    bluesky: &Bluesky,
    creds: &mut Credentials,
    post: &PostRef,
) -> Result<Value, NetworkError> {
    let cid = match post.version.as_deref().filter(|c| !c.is_empty()) {
        Some(cid) => cid.to_owned(),
        None => read_post(bluesky, creds, &post.id)
            .await?
            .1
            .ok_or_else(|| NetworkError::Rejected(format!("the CID of {} is unknown", post.id)))?,
    };
    Ok(json!({ "uri": post.id, "cid": cid }))
}

/// A procedure through the session; its failure as an error.
async fn procedure(
    bluesky: &Bluesky,
    creds: &mut Credentials,
    method: &str,
    body: &Value,
) -> Result<Result<Value, XrpcFailure>, NetworkError> {
    bluesky
        .authed(creds, Method::POST, method, &[], Some(body), None)
        .await
}

/// Creates `record` in the brand's `collection`, at `rkey` when given. A key already taken is
/// success when the record is there: an earlier attempt made it.
async fn create(
    bluesky: &Bluesky,
    creds: &mut Credentials,
    brand: &str,
    collection: &str,
    rkey: Option<&str>,
    record: Value,
) -> Result<(), NetworkError> {
    let mut body = json!({ "repo": brand, "collection": collection, "record": record });
    if let Some(rkey) = rkey {
        body["rkey"] = json!(rkey);
    }
    match procedure(bluesky, creds, "com.atproto.repo.createRecord", &body).await? {
        Ok(_) => Ok(()),
        Err(f) => match rkey {
            Some(rkey) if !matches!(f.status, 401 | 429) => {
                match get_record(bluesky, creds, brand, collection, rkey).await? {
                    Some(_) => Ok(()),
                    None => Err(f.into_network_error()),
                }
            }
            _ => Err(f.into_network_error()),
        },
    }
}

/// Likes or reposts `post`.
async fn point_at(
    bluesky: &Bluesky,
    creds: &mut Credentials,
    brand: &str,
    collection: &str,
    post: &PostRef,
) -> Result<(), NetworkError> {
    let rkey = action_rkey(collection, &post.id);
    if get_record(bluesky, creds, brand, collection, &rkey)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let subject = strong_ref(bluesky, creds, post).await?;
    let record = json!({ "$type": collection, "subject": subject, "createdAt": now() });
    create(bluesky, creds, brand, collection, Some(&rkey), record).await
}

/// Whether the brand already blocks `did`.
async fn blocks(
    bluesky: &Bluesky,
    creds: &Credentials,
    brand: &str,
    did: &str,
) -> Result<bool, NetworkError> {
    let service = Bluesky::service(creds)?.to_owned();
    let xrpc = Xrpc {
        http: &bluesky.http,
        service: &service,
    };
    let mut page: Option<String> = None;
    for _ in 0..MAX_BLOCK_PAGES {
        let mut query = vec![("repo", brand), ("collection", BLOCK), ("limit", "100")];
        if let Some(cursor) = &page {
            query.push(("cursor", cursor));
        }
        let body = match xrpc
            .call(
                Method::GET,
                "com.atproto.repo.listRecords",
                None,
                &query,
                None,
                None,
            )
            .await?
        {
            Outcome::Ok(v) => v,
            Outcome::Failed(f) => return Err(f.into_network_error()),
        };
        let records = body
            .get("records")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        if records
            .iter()
            .any(|r| r.pointer("/value/subject").and_then(Value::as_str) == Some(did))
        {
            return Ok(true);
        }
        page = body
            .get("cursor")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if records.is_empty() || page.is_none() {
            break;
        }
    }
    Ok(false)
}

fn did_of(author: &Author) -> Result<&str, NetworkError> {
    Some(author.id.as_str())
        .filter(|id| id.starts_with("did:"))
        .ok_or_else(|| NetworkError::Rejected(format!("`{}` is not a DID", author.id)))
}

/// Hides `reply` in the brand's thread, through the thread gate of the thread's first post.
async fn hide(
    bluesky: &Bluesky,
    creds: &mut Credentials,
    brand: &str,
    reply: &PostRef,
) -> Result<(), NetworkError> {
    let (record, _) = read_post(bluesky, creds, &reply.id).await?;
    let root = record
        .pointer("/reply/root/uri")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            NetworkError::Unsupported(format!(
                "{} is not a reply: only replies can be hidden",
                reply.id
            ))
        })?
        .to_owned();
    let (root_did, _, root_rkey) = parse_at_uri(&root).ok_or_else(|| {
        NetworkError::Rejected(format!("the thread's root `{root}` is not a post URI"))
    })?;
    if root_did != brand {
        return Err(NetworkError::Unsupported(format!(
            "Bluesky lets only the author of a thread's first post hide its replies; this reply is in a \
             thread started by {root_did}: block, mute or report its author instead"
        )));
    }
    let existing = get_record(bluesky, creds, brand, THREADGATE, root_rkey).await?;
    let (mut gate, swap) = match existing {
        Some((gate, cid)) if gate.is_object() => (gate, cid),
        // A new gate without `allow` leaves replies open to everyone.
        _ => (
            json!({ "$type": THREADGATE, "post": root, "createdAt": now() }),
            None,
        ),
    };
    let mut hidden = gate
        .get("hiddenReplies")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if hidden.iter().any(|h| h.as_str() == Some(reply.id.as_str())) {
        return Ok(());
    }
    hidden.push(json!(reply.id));
    gate["hiddenReplies"] = Value::Array(hidden);
    let mut body =
        json!({ "repo": brand, "collection": THREADGATE, "rkey": root_rkey, "record": gate });
    // Compare and swap: a gate changed meanwhile (by the app) is not overwritten.
    if let Some(cid) = swap {
        body["swapRecord"] = json!(cid);
    }
    match procedure(bluesky, creds, "com.atproto.repo.putRecord", &body).await? {
        Ok(_) => Ok(()),
        Err(f) => Err(f.into_network_error()),
    }
}

/// What the AppView or moderation service answers, with a clear word when the PDS has none.
fn appview_failure(f: XrpcFailure, what: &str) -> NetworkError {
    if matches!(f.status, 501 | 502) || f.error == "MethodNotImplemented" {
        NetworkError::Transient(format!(
            "the channel's PDS has no service to {what} (HTTP {} {})",
            f.status, f.error
        ))
    } else {
        f.into_network_error()
    }
}

/// The reason type of a report, from the team's words.
fn reason_type(reason: &str) -> &'static str {
    let lower = reason.to_lowercase();
    let rude = [
        "rude", "harass", "insult", "abus", "hate", "haine", "harcèle", "harcel", "injur", "grossi",
    ];
    if rude.iter().any(|w| lower.contains(w)) {
        "com.atproto.moderation.defs#reasonRude"
    } else {
        "com.atproto.moderation.defs#reasonOther"
    }
}

fn delete_refusal() -> NetworkError {
    NetworkError::Unsupported(
        "Bluesky lets no one delete another account's post; hide it instead".into(),
    )
}

pub(crate) async fn act(
    http: &HttpClient,
    creds: &mut Credentials,
    interaction: &Interaction,
) -> Result<(), NetworkError> {
    // Refused before logging in: no session is needed to say no.
    if let Interaction::Delete { .. } = interaction {
        return Err(delete_refusal());
    }
    let bluesky = Bluesky::new(http.clone());
    let brand = brand_did(&bluesky, creds).await?;
    match interaction {
        Interaction::Like { message } => point_at(&bluesky, creds, &brand, LIKE, message).await,
        Interaction::Repost { message } => point_at(&bluesky, creds, &brand, REPOST, message).await,
        Interaction::Hide { message } => hide(&bluesky, creds, &brand, message).await,
        Interaction::Block { author, .. } => {
            let did = did_of(author)?;
            if blocks(&bluesky, creds, &brand, did).await? {
                return Ok(());
            }
            let record = json!({ "$type": BLOCK, "subject": did, "createdAt": now() });
            create(&bluesky, creds, &brand, BLOCK, None, record).await
        }
        Interaction::Mute { author } => {
            let body = json!({ "actor": did_of(author)? });
            match procedure(&bluesky, creds, "app.bsky.graph.muteActor", &body).await? {
                Ok(_) => Ok(()),
                Err(f) => Err(appview_failure(f, "keep mutes (an AppView)")),
            }
        }
        Interaction::Report {
            message,
            author,
            reason,
        } => {
            let subject = match strong_ref(&bluesky, creds, message).await {
                Ok(strong) => {
                    json!({ "$type": "com.atproto.repo.strongRef", "uri": strong["uri"], "cid": strong["cid"] })
                }
                // The post is gone or unreadable: report its author instead.
                Err(_) => {
                    json!({ "$type": "com.atproto.admin.defs#repoRef", "did": did_of(author)? })
                }
            };
            let body =
                json!({ "reasonType": reason_type(reason), "reason": reason, "subject": subject });
            match procedure(
                &bluesky,
                creds,
                "com.atproto.moderation.createReport",
                &body,
            )
            .await?
            {
                Ok(_) => Ok(()),
                Err(f) => Err(appview_failure(f, "take reports (a moderation service)")),
            }
        }
        Interaction::Delete { .. } => Err(delete_refusal()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_keys_are_stable_tids_at_the_subjects_time() {
        let subject = format!(
            "at://did:plc:brand/app.bsky.feed.post/{}",
            post_tid(1_772_359_200_000, "x")
        );
        let like = action_rkey(LIKE, &subject);
        assert_eq!(like, action_rkey(LIKE, &subject), "the same every time");
        assert_ne!(
            like,
            action_rkey(REPOST, &subject),
            "a repost is another record"
        );
        assert_eq!(tid_ms(&like), Some(1_772_359_200_000));
        assert_eq!(
            tid_ms(&action_rkey(LIKE, "at://did:plc:a/app.bsky.feed.post/self")),
            Some(0)
        );
        assert_eq!(tid_ms("zzzzzzzzzzzzz"), None);
        assert_eq!(tid_ms("short"), None);
    }

    #[test]
    fn reports_name_rudeness_or_other() {
        assert_eq!(
            reason_type("Harcèlement répété"),
            "com.atproto.moderation.defs#reasonRude"
        );
        assert_eq!(
            reason_type("rude reply"),
            "com.atproto.moderation.defs#reasonRude"
        );
        assert_eq!(
            reason_type("usurpation d'identité"),
            "com.atproto.moderation.defs#reasonOther"
        );
    }
}
