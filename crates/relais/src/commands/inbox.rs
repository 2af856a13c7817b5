//! `relais inbox …` and `relais analyze toxicity`: the team inbox from the command line, for
//! scripting and measurement.

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use relais_core::audit::{Actor, AuditEvent};
use relais_core::{ConversationId, InboxMessageId, Timestamp};
use relais_listen::lang::{Lang, LanguageSet};
use relais_moderation::toxicity::ToxicityScorer;
use relais_store::inbox::{
    ConversationFilter, ConversationStatus, DeliveryState, InboxMessage, NewReply,
};

use super::listen::each_line;
use super::open_store;
use super::post::workspace;
use crate::cli::{InboxListArgs, InboxReplyArgs, InboxStatus, TextLang};

/// Prints the toxicity of each line of standard input, in their order.
pub fn analyze_toxicity(lang: TextLang) -> Result<()> {
    let scorer = ToxicityScorer::new().context("the toxicity data built into Relais is damaged")?;
    let languages = LanguageSet::french_english();
    each_line(|text, out| {
        let lang = match lang {
            TextLang::Fr => Some(Lang::French),
            TextLang::En => Some(Lang::English),
            TextLang::Auto => languages.detect(text),
        };
        let (toxic, score) = match lang {
            Some(lang) => {
                let t = scorer.score(text, lang);
                (t.toxic, t.score)
            }
            None => (false, 0.0),
        };
        let score = (f64::from(score.clamp(0.0, 1.0)) * 1000.0).round() / 1000.0;
        let line = serde_json::json!({
            "lang": lang.map(Lang::code),
            "toxic": toxic,
            "score": score,
        });
        writeln!(out, "{line}").context("cannot write to standard output")
    })
}

fn message_json(m: &InboxMessage) -> serde_json::Value {
    serde_json::json!({
        "id": m.id.to_string(),
        "network_id": m.network_id,
        "author_handle": m.author_handle,
        "text": m.text,
        "outgoing": m.outgoing,
        "kind": m.kind.as_str(),
        "delivery": m.delivery.as_str(),
        "url": m.url,
        "sent_at": m.sent_at.to_rfc3339(),
    })
}

/// Prints the workspace's conversations, one JSON object a line, most recent first.
pub async fn list(args: InboxListArgs) -> Result<()> {
    let (store, _file) = open_store(&args.data, true).await?;
    let ws = workspace(store.as_ref(), &args.workspace).await?;
    let filter = ConversationFilter {
        status: args.status.map(|s| match s {
            InboxStatus::Open => ConversationStatus::Open,
            InboxStatus::Pending => ConversationStatus::Pending,
            InboxStatus::Closed => ConversationStatus::Closed,
        }),
        ..ConversationFilter::default()
    };
    let now = Timestamp::now();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut after = None;
    let mut listed = 0u32;
    while listed < args.limit {
        let page = store
            .list_conversations(ws.id, &filter, now, after, (args.limit - listed).min(200))
            .await?;
        let Some(last) = page.last() else { break };
        after = Some((last.last_message_at, last.id));
        for c in &page {
            let messages = store.conversation_messages(ws.id, c.id).await?;
            let line = serde_json::json!({
                "id": c.id.to_string(),
                "channel": c.channel_name,
                "network": c.network,
                "status": c.status.as_str(),
                "snoozed_until": c.snoozed_until.map(Timestamp::to_rfc3339),
                "assignee": c.assignee_name,
                "contact": c.contact_handle,
                "tags": c.tags,
                "messages": messages.iter().map(message_json).collect::<Vec<_>>(),
            });
            writeln!(out, "{line}").context("cannot write to standard output")?;
        }
        listed += page.len() as u32;
    }
    out.flush().context("cannot write to standard output")?;
    store.close().await;
    Ok(())
}

/// Queues a reply in a conversation and, with `--wait`, sends it and reports the outcome.
pub async fn reply(args: InboxReplyArgs) -> Result<()> {
    let (store, file) = open_store(&args.data, true).await?;
    let ws = workspace(store.as_ref(), &args.workspace).await?;
    let id: ConversationId = args.conversation.parse().map_err(|_| {
        anyhow!(
            "`{}` is not a conversation id; take one from `relais inbox list`",
            args.conversation
        )
    })?;
    let conversation = store
        .conversation(ws.id, id)
        .await?
        .ok_or_else(|| anyhow!("no conversation {id} in workspace `{}`", ws.slug))?;
    if let Err(problem) = relais_inbox::reply::check(conversation.network.as_deref(), &args.text) {
        bail!("the reply was not queued: {problem}");
    }
    let message_id = InboxMessageId::new();
    let now = Timestamp::now();
    let reply = NewReply {
        id: message_id,
        conversation_id: id,
        sender_id: None,
        sender_label: "cli".into(),
        text: args.text.clone(),
        delivery: DeliveryState::Queued,
        written_at: now,
        send: Some(relais_inbox_worker::reply::reply_job(
            ws.id, message_id, now,
        )),
    };
    let audit = AuditEvent {
        workspace_id: Some(ws.id),
        actor: Actor::cli(),
        action: "inbox.reply".into(),
        target: id.to_string(),
        details: serde_json::json!({ "message_id": message_id.to_string() }),
    };
    if store.add_reply(ws.id, reply, audit).await?.is_none() {
        bail!("the conversation {id} is gone");
    }
    println!("reply {message_id} queued in conversation {id}");
    if !args.wait {
        store.close().await;
        return Ok(());
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker = super::worker(
        store.clone(),
        &args.data,
        &file,
        format!("cli-{}", std::process::id()),
    )?
    .with_idle(Duration::from_millis(200));
    let working = tokio::spawn(worker.run(stop_rx));
    let deadline = Instant::now() + Duration::from_secs(args.timeout);
    let outcome = loop {
        match store.inbox_message(ws.id, message_id).await? {
            Some(m) if m.delivery == DeliveryState::Sent => break Ok(m),
            Some(m) if m.delivery == DeliveryState::Failed => {
                break Err(anyhow!(
                    "the reply was not published: {}",
                    m.delivery_error.unwrap_or_else(|| "unknown reason".into())
                ));
            }
            None => break Err(anyhow!("the reply disappeared")),
            Some(_) if Instant::now() >= deadline => {
                break Err(anyhow!(
                    "not published after {} s; it stays queued (a running `relais serve` will send it)",
                    args.timeout
                ));
            }
            Some(_) => tokio::time::sleep(Duration::from_millis(150)).await,
        }
    };
    let _ = stop_tx.send(true);
    let _ = working.await;
    store.close().await;
    let sent = outcome?;
    println!(
        "{}",
        sent.url
            .or(sent.network_id)
            .unwrap_or_else(|| "published".into())
    );
    Ok(())
}
