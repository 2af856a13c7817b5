//! Sending alerts: by mail and by signed webhook, each alert as it is raised (`instant`
//! rules) or gathered in a digest at the digest hour (`daily`, `weekly`). An alert is marked
//! sent once one of its rule's ways delivered it; the failures are recorded on it, and when
//! every way failed it is tried again at the next tick.

use std::sync::Arc;

use relais_core::{AlertEventId, Timestamp};
use relais_listen::alert::{DigestEvery, last_digest_time};
use relais_mail::{Mail, Mailer};
use relais_networks::webhook::signature;
use relais_outbound::HttpClient;
use relais_store::listening::{AlertEvent, AlertKind, AlertRule, Delivery};
use relais_store::{Store, StoreResult};
use relais_vault::Vault;
use serde_json::{Value, json};

/// The event name webhooks receive in `X-Relais-Event`.
pub const WEBHOOK_EVENT: &str = "listen.alert";
/// Alerts a single message carries at most (a digest of a very noisy rule is cut).
const MAX_PER_MESSAGE: u32 = 200;

/// How alerts leave Relais.
#[derive(Clone)]
pub struct Courier {
    pub http: HttpClient,
    pub mailer: Option<Arc<dyn Mailer>>,
    pub vault: Option<Vault>,
    /// Where people reach Relais, for the links in messages.
    pub public_url: String,
    /// The hour (UTC) digests go out.
    pub digest_hour: u32,
}

/// The vault context a rule's webhook secret is sealed to.
pub fn secret_context(rule: &AlertRule) -> String {
    format!("alert:{}", rule.id)
}

fn kind_label(kind: AlertKind) -> &'static str {
    match kind {
        AlertKind::VolumeSpike => "pic de mentions / mention spike",
        AlertKind::NegativeSpike => "pic de mentions négatives / negative spike",
        AlertKind::Keyword => "mot-clé / keyword",
    }
}

impl Courier {
    /// Sends what is due of every enabled rule's alerts; returns how many alerts were sent.
    pub async fn deliver(
        &self,
        store: &dyn Store,
        rules: &[AlertRule],
        now: Timestamp,
    ) -> StoreResult<u32> {
        let mut sent = 0;
        for rule in rules.iter().filter(|r| r.enabled) {
            let mut events = store.unsent_alert_events(rule.id, MAX_PER_MESSAGE).await?;
            let every = match rule.delivery {
                Delivery::Instant => None,
                Delivery::Daily => Some(DigestEvery::Day),
                Delivery::Weekly => Some(DigestEvery::Week),
            };
            if let Some(every) = every {
                // A digest takes the alerts raised before its time; later ones wait for the next.
                let due = last_digest_time(every, now.millis(), self.digest_hour);
                events.retain(|e| e.fired_at.millis() < due);
            }
            if events.is_empty() {
                continue;
            }
            let ids: Vec<AlertEventId> = events.iter().map(|e| e.id).collect();
            let outcome = self.send(store, rule, &events, now).await?;
            match outcome {
                Sent::Delivered { failures } => {
                    // The ways that failed, all in one line (each write replaces the last).
                    if !failures.is_empty() {
                        let reason = failures.join("; ");
                        for id in &ids {
                            store.record_alert_error(*id, &reason).await?;
                        }
                    }
                    sent += store.mark_alert_events_sent(&ids, now).await? as u32;
                }
                Sent::Failed(reason) => {
                    tracing::warn!(rule = %rule.id, %reason, "alerts could not be sent; retried at the next tick");
                    for id in &ids {
                        store.record_alert_error(*id, &reason).await?;
                    }
                }
            }
        }
        Ok(sent)
    }

    async fn send(
        &self,
        store: &dyn Store,
        rule: &AlertRule,
        events: &[AlertEvent],
        now: Timestamp,
    ) -> StoreResult<Sent> {
        let slug = store
            .workspace_by_id(rule.workspace_id)
            .await?
            .map(|w| w.slug.to_string())
            .unwrap_or_default();
        let link = format!("{}/w/{slug}/listening/alerts", self.public_url);
        let mut lines = Vec::with_capacity(events.len());
        for event in events {
            let mention = match event.mention_id {
                Some(id) => store.mention(rule.workspace_id, id).await?,
                None => None,
            };
            lines.push(AlertLine {
                event,
                mention_url: mention.and_then(|m| m.url),
            });
        }
        let mut failures = Vec::new();
        let mut delivered = false;
        let mut tried = false;
        if let Some(to) = rule.email.as_deref().filter(|t| !t.is_empty()) {
            tried = true;
            match &self.mailer {
                Some(mailer) => match mailer.send(mail(rule, &lines, to, &link)).await {
                    Ok(()) => delivered = true,
                    Err(err) => failures.push(format!("mail: {err}")),
                },
                None => failures.push(
                    "mail: no mail server is configured; set the [mail] section of the config file"
                        .to_owned(),
                ),
            }
        }
        if let Some(url) = rule.webhook_url.as_deref().filter(|u| !u.is_empty()) {
            tried = true;
            match self
                .post_webhook(rule, url, &lines, &slug, &link, now)
                .await
            {
                Ok(()) => delivered = true,
                Err(err) => failures.push(format!("webhook: {err}")),
            }
        }
        Ok(if delivered || !tried {
            // A rule with no way out keeps its alerts on the page only: nothing to retry.
            Sent::Delivered { failures }
        } else {
            Sent::Failed(failures.join("; "))
        })
    }

    async fn post_webhook(
        &self,
        rule: &AlertRule,
        url: &str,
        lines: &[AlertLine<'_>],
        slug: &str,
        link: &str,
        now: Timestamp,
    ) -> Result<(), String> {
        let body = serde_json::to_vec(&webhook_body(rule, lines, slug, link))
            .map_err(|e| e.to_string())?;
        let timestamp = u64::try_from(now.millis() / 1000).unwrap_or(0);
        let mut request = self
            .http
            .post(url)
            .map_err(|e| e.to_string())?
            .header("content-type", "application/json")
            .header("x-relais-event", WEBHOOK_EVENT)
            .header("x-relais-timestamp", timestamp.to_string())
            .header(
                "idempotency-key",
                lines
                    .first()
                    .map(|l| l.event.id.to_string())
                    .unwrap_or_default(),
            );
        if let Some(sealed) = &rule.webhook_secret {
            let vault = self.vault.as_ref().ok_or(
                "the secret key is not configured, so the webhook's secret cannot be read",
            )?;
            let sealed = String::from_utf8(sealed.0.clone())
                .map_err(|_| "the webhook's sealed secret is damaged; set it again".to_owned())?;
            let secret = vault
                .open(&secret_context(rule), &sealed)
                .map_err(|e| format!("the webhook's secret cannot be read: {e}"))?;
            request = request.header(
                "x-relais-signature",
                signature(secret.as_bytes(), timestamp, &body),
            );
        }
        let response = self
            .http
            .fetch(request.body(body))
            .await
            .map_err(|e| e.to_string())?;
        if response.is_success() {
            Ok(())
        } else {
            Err(format!("the receiver answered HTTP {}", response.status))
        }
    }
}

enum Sent {
    /// At least one way delivered (the others' failures are recorded), or there is no way out.
    Delivered { failures: Vec<String> },
    /// Every way failed: try again later.
    Failed(String),
}

struct AlertLine<'a> {
    event: &'a AlertEvent,
    mention_url: Option<String>,
}

fn mail(rule: &AlertRule, lines: &[AlertLine<'_>], to: &str, link: &str) -> Mail {
    let count = lines.len();
    let subject = if count == 1 {
        format!("[Relais] {} : 1 alerte / 1 alert", rule.name)
    } else {
        format!("[Relais] {} : {count} alertes / {count} alerts", rule.name)
    };
    let mut text = format!("{} — {}\n\n", rule.name, kind_label(rule.kind));
    for line in lines {
        let when = line
            .event
            .bucket_start
            .unwrap_or(line.event.fired_at)
            .to_rfc3339();
        text.push_str(&format!("- {when}  {}\n", line.event.summary));
        if let Some(url) = &line.mention_url {
            text.push_str(&format!("  {url}\n"));
        }
    }
    text.push_str(&format!("\nVoir dans Relais / See in Relais: {link}\n"));
    Mail {
        to: to.to_owned(),
        subject,
        text,
    }
}

fn webhook_body(rule: &AlertRule, lines: &[AlertLine<'_>], slug: &str, link: &str) -> Value {
    let alerts: Vec<Value> = lines
        .iter()
        .map(|line| {
            let e = line.event;
            json!({
                "id": e.id.to_string(),
                "fired_at": e.fired_at.to_rfc3339(),
                "summary": e.summary,
                "value": e.value_milli as f64 / 1000.0,
                "threshold": e.threshold_milli as f64 / 1000.0,
                "hour_start": e.bucket_start.map(|t| t.to_rfc3339()),
                "mention_id": e.mention_id.map(|m| m.to_string()),
                "mention_url": line.mention_url,
            })
        })
        .collect();
    json!({
        "event": WEBHOOK_EVENT,
        "workspace": slug,
        "rule": {
            "id": rule.id.to_string(),
            "name": rule.name,
            "kind": rule.kind.as_str(),
            "delivery": rule.delivery.as_str(),
        },
        "alerts": alerts,
        "link": link,
    })
}
