//! The peer: the best any scheduler could do at the same concurrency against the same
//! receiver. C tasks take the posts in due order from a counter in memory, each waits until its
//! post is due and sends it with the webhook connector itself (the same HTTP client settings,
//! the same signed JSON, the same idempotency key shape), with no queue, no database, no
//! intent recorded before nor result after.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use relais_core::TargetId;
use relais_networks::{Connector, Credentials, OutgoingPost, connector_for};
use tokio::task::JoinSet;

use super::figures::{Outcome, due_ms};
use super::receiver::{Receiver, now_us};
use super::{Cpu, Spec, post_text, sleep_until_wall_ms};

/// How long before the first due time the peer's schedule starts (its clients are ready).
const LEAD: Duration = Duration::from_secs(2);

/// Sends `spec.posts` posts to a fresh receiver, due as Relais's are, and says how it went.
pub async fn run(spec: &Spec) -> Result<Outcome> {
    let secret = relais_vault::generate_key()?;
    let receiver = Receiver::start(&secret, spec.receiver_delay)?;
    let connector: Arc<dyn Connector> = connector_for("webhook", super::http_client()?)
        .ok_or_else(|| anyhow!("this Relais has no webhook connector"))?
        .into();
    let creds = Credentials {
        settings: serde_json::json!({ "url": receiver.url }),
        secrets: [("secret".to_owned(), secret)].into(),
        changed: false,
    };
    let t0_ms = (now_us() / 1000) + i64::try_from(LEAD.as_millis()).unwrap_or(2000);
    let spread_ms = i64::try_from(spec.spread.as_millis()).unwrap_or(i64::MAX);
    // Keys shaped as the publisher's (`<target id>/<part>`), so that the bytes on the wire match.
    let plan: Arc<Vec<(String, i64)>> = Arc::new(
        (0..spec.posts)
            .map(|i| {
                (
                    format!("{}/0", TargetId::new()),
                    due_ms(t0_ms, i, spec.posts, spread_ms),
                )
            })
            .collect(),
    );
    let next = Arc::new(AtomicUsize::new(0));
    let created_at_ms = now_us() / 1000;
    let cpu = Cpu::sample(None);
    let mut clients = JoinSet::new();
    for _ in 0..spec.concurrency {
        let (connector, plan, next) = (connector.clone(), plan.clone(), next.clone());
        let mut creds = creds.clone();
        clients.spawn(async move {
            let mut failed = 0usize;
            let mut first_error = None;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((key, due)) = plan.get(i) else {
                    break;
                };
                sleep_until_wall_ms(*due).await;
                let post = OutgoingPost {
                    text: post_text(i),
                    media: Vec::new(),
                    reply_to: None,
                    langs: Vec::new(),
                    idempotency_key: key.clone(),
                    created_at_ms,
                };
                if let Err(e) = connector.publish(&mut creds, &post).await {
                    failed += 1;
                    first_error.get_or_insert_with(|| e.to_string());
                }
            }
            (failed, first_error)
        });
    }
    let mut failed = 0;
    let mut first_error = None;
    while let Some(joined) = clients.join_next().await {
        let (f, e) = joined.context("a client of the peer failed")?;
        failed += f;
        if first_error.is_none() {
            first_error = e;
        }
    }
    let used = cpu.since(None);
    let received = receiver.finish().await;
    if let Some(e) = first_error {
        eprintln!("  peer: {failed} posts refused; the first: {e}");
    }
    let due: HashMap<String, i64> = plan.iter().cloned().collect();
    let mut outcome = Outcome::from_arrivals(&due, &received.arrivals);
    outcome.failed = failed;
    outcome.cpu = used;
    Ok(outcome)
}
