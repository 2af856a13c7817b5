//! The inbox's moderation, set-up and figures pages over HTTP: every role's rights; moderation
//! rules of every kind checked by the rules core (a bad expression refused with what to fix,
//! nothing stored) and tried in the test box; the review queue's decisions (keep; hide, which
//! queues an `inbox.act` job); canned replies checked with their column and previewed; the
//! settings and the public netiquette page; response-time figures over seeded conversations;
//! isolation between workspaces; both languages.

#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::{App, Browser, add_workspace, app, signed_in_member};
use relais_core::audit::{Actor, AuditEvent};
use relais_core::{ChannelId, ConversationId, InboxMessageId, ReviewId, Role, Timestamp, UserId};
use relais_store::inbox::{
    ConversationStatus, DeliveryState, MessageKind, NewCannedReply, NewContactAccount,
    NewInboxMessage, NewModerationRule, NewReply, ReviewStatus,
};
use relais_store::{NewChannel, Workspace};

const MIN: i64 = 60_000;
const DAY: i64 = 86_400_000;

struct Fx {
    app: App,
    ws: Workspace,
    other: Workspace,
}

async fn fixture() -> Fx {
    let app = app().await;
    let ws = add_workspace(&app, "acme").await;
    let other = add_workspace(&app, "rival").await;
    Fx { app, ws, other }
}

async fn member(fx: &Fx, email: &str, ws: &Workspace, role: Role) -> (Browser, UserId) {
    signed_in_member(&fx.app, email, ws, role).await
}

fn audit(ws: &Workspace) -> AuditEvent {
    AuditEvent {
        workspace_id: Some(ws.id),
        actor: Actor::cli(),
        action: "test".into(),
        target: "test".into(),
        details: serde_json::Value::Null,
    }
}

/// Askama's numeric entities back to the characters, as a reader sees the page.
fn unescape(s: &str) -> String {
    s.replace("&#39;", "'")
        .replace("&#34;", "\"")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#38;", "&")
}

async fn add_channel(fx: &Fx, ws: &Workspace, name: &str) -> ChannelId {
    let channel = NewChannel {
        id: ChannelId::new(),
        workspace_id: ws.id,
        network: "mastodon".into(),
        name: name.into(),
        settings: serde_json::json!({}),
        secrets: Default::default(),
        created_by: None,
    };
    fx.app
        .store
        .create_channel(channel, audit(ws))
        .await
        .unwrap()
        .id
}

/// A message received on `channel` from `handle`, sent at `at`, starting its own conversation.
async fn receive(
    fx: &Fx,
    ws: &Workspace,
    channel: Option<ChannelId>,
    handle: &str,
    text: &str,
    at: i64,
) -> (InboxMessageId, ConversationId) {
    let network_id = format!(
        "https://mastodon.example/@{handle}/{}",
        InboxMessageId::new()
    );
    let message = NewInboxMessage {
        id: InboxMessageId::new(),
        network_id: network_id.clone(),
        kind: MessageKind::Mention,
        author: NewContactAccount {
            network: "mastodon".into(),
            author_id: format!("id-{handle}"),
            handle: format!("{handle}@mastodon.example"),
            display_name: Some(format!("{handle} Display")),
            ..NewContactAccount::default()
        },
        text: text.into(),
        lang: None,
        url: Some(network_id.clone()),
        version: None,
        parent_id: None,
        root_id: None,
        root_version: None,
        sent_at: Timestamp::from_millis(at),
        thread_candidates: Vec::new(),
        new_thread_key: network_id,
    };
    let stored = fx
        .app
        .store
        .ingest_messages(
            ws.id,
            channel,
            &[message],
            Timestamp::from_millis(at + 1000),
        )
        .await
        .unwrap();
    (stored[0].message_id, stored[0].conversation_id)
}

/// A message held for review by a watched-words rule, as the worker stores it.
async fn held(fx: &Fx, ws: &Workspace, channel: Option<ChannelId>, text: &str) -> ReviewId {
    let now = Timestamp::now().millis();
    let (message, _) = receive(fx, ws, channel, "troll", text, now - 10 * MIN).await;
    let verdict = serde_json::json!({
        "matched": [{
            "rule_id": null,
            "rule_name": "Arnaques",
            "reason": {"kind": "watched_words", "terms": ["arnaque"]},
            "en": "contains the watched word “arnaque”",
            "fr": "contient le mot surveillé «\u{a0}arnaque\u{a0}»",
        }],
        "actions": [{"type": "review"}],
    });
    fx.app
        .store
        .set_message_moderation(ws.id, message, Some(870), Some(&verdict))
        .await
        .unwrap();
    fx.app
        .store
        .open_review(
            ws.id,
            ReviewId::new(),
            message,
            &verdict,
            Timestamp::from_millis(now - 9 * MIN),
        )
        .await
        .unwrap()
}

async fn rule_count(fx: &Fx, ws: &Workspace) -> usize {
    fx.app.store.moderation_rules(ws.id).await.unwrap().len()
}

/// The fields of a new rule of `kind`, with its own settings added.
fn rule_fields<'a>(
    name: &'a str,
    kind: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("name", name),
        ("kind", kind),
        ("case_insensitive", "on"),
        ("min_letters", "12"),
        ("caps_percent", "70"),
        ("within_minutes", "10"),
        ("times", "3"),
        ("younger_than_days", "7"),
        ("min_score", "0.8"),
        ("act_review", "on"),
    ];
    fields.extend_from_slice(extra);
    fields
}

#[tokio::test]
async fn every_role_is_held_to_its_rights() {
    let fx = fixture().await;
    let review = held(&fx, &fx.ws, None, "une arnaque").await;
    let rule = fx
        .app
        .store
        .create_moderation_rule(
            fx.ws.id,
            NewModerationRule {
                id: relais_core::ModerationRuleId::new(),
                name: "Mots".into(),
                rule: serde_json::json!({"kind": "watched_words", "terms": ["arnaque"], "actions": [{"type": "review"}]}),
                enabled: true,
                created_by: None,
            },
            audit(&fx.ws),
        )
        .await
        .unwrap();
    let canned = fx
        .app
        .store
        .create_canned_reply(
            fx.ws.id,
            NewCannedReply {
                id: relais_core::CannedReplyId::new(),
                name: "Merci".into(),
                lang: "fr".into(),
                body: "Merci {{first_name}} !".into(),
                created_by: None,
            },
            audit(&fx.ws),
        )
        .await
        .unwrap();
    let words = rule_fields("Spam", "watched_words", &[("terms", "spam")]);
    let mut tried = words.clone();
    tried.push(("sample", "spam"));
    let reply_fields = vec![("name", "x"), ("lang", "en"), ("body", "Hi")];
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/w/acme/inbox/rules".into(), words.clone()),
        ("/w/acme/inbox/rules/test".into(), tried),
        (format!("/w/acme/inbox/rules/{}", rule.id), words.clone()),
        (format!("/w/acme/inbox/rules/{}/disable", rule.id), vec![]),
        (format!("/w/acme/inbox/rules/{}/delete", rule.id), vec![]),
        ("/w/acme/inbox/canned".into(), reply_fields.clone()),
        ("/w/acme/inbox/canned/preview".into(), vec![("body", "Hi")]),
        (
            format!("/w/acme/inbox/canned/{}", canned.id),
            reply_fields.clone(),
        ),
        (format!("/w/acme/inbox/canned/{}/delete", canned.id), vec![]),
        ("/w/acme/inbox/settings".into(), vec![("netiquette", "x")]),
        (
            format!("/w/acme/inbox/review/{review}/keep"),
            vec![("reason", "fine")],
        ),
        (format!("/w/acme/inbox/review/{review}/hide"), vec![]),
        (format!("/w/acme/inbox/review/{review}/block"), vec![]),
    ];
    for role in [Role::Analyst, Role::Contributor] {
        let email = format!("{}@acme.example", role.as_str());
        let (mut b, _) = member(&fx, &email, &fx.ws, role).await;
        for page in ["review", "review?show=decided", "rules", "canned", "sla"] {
            let a = b.get(&format!("/w/acme/inbox/{page}")).await;
            assert_eq!(a.status, StatusCode::OK, "{role:?} sees {page}");
        }
        // What they may not do is not offered.
        let rules = b.get("/w/acme/inbox/rules").await;
        assert!(rules.body.contains("Mots") && !rules.body.contains("id=\"rule-form\""));
        let queue = b.get("/w/acme/inbox/review").await;
        assert!(queue.body.contains("une arnaque") && !queue.body.contains("/keep\""));
        assert_eq!(
            b.get("/w/acme/inbox/settings").await.status,
            StatusCode::FORBIDDEN
        );
        for (path, fields) in &posts {
            let a = b.post(path, fields).await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{role:?} POST {path}");
        }
    }
    // Nothing changed.
    assert_eq!(rule_count(&fx, &fx.ws).await, 1);
    assert_eq!(
        fx.app.store.canned_replies(fx.ws.id).await.unwrap().len(),
        1
    );
    let r = fx
        .app
        .store
        .review(fx.ws.id, review)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.status, ReviewStatus::Pending);
    assert_eq!(fx.app.store.jobs_waiting("inbox.act").await.unwrap(), 0);
    // An editor may.
    let (mut editor, _) = member(&fx, "ed@acme.example", &fx.ws, Role::Editor).await;
    assert_eq!(
        editor.get("/w/acme/inbox/settings").await.status,
        StatusCode::OK
    );
    let a = editor.post("/w/acme/inbox/rules", &words).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(rule_count(&fx, &fx.ws).await, 2);
}

#[tokio::test]
async fn rules_of_every_kind_are_checked_stored_and_switched() {
    let fx = fixture().await;
    let (mut ed, _) = member(&fx, "ed@acme.example", &fx.ws, Role::Editor).await;
    // (rule name, kind, the kind's own fields)
    type Kind<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>);
    let kinds: [Kind; 8] = [
        (
            "Mots",
            "watched_words",
            vec![("terms", "arnaque\nrembours*\n\nservice client nul")],
        ),
        ("Codes", "regex", vec![("pattern", r"code\s*promo")]),
        ("Liens", "links", vec![("allowed_domains", "exemple.fr")]),
        ("Cris", "shouting", vec![]),
        ("Répétitions", "repeated", vec![]),
        ("Comptes neufs", "new_account", vec![]),
        (
            "Insultes",
            "toxicity",
            vec![("act_hide", "on"), ("act_report", "on")],
        ),
        (
            "Bloqués",
            "block_list",
            vec![("handles", "@troll\nspam.example"), ("network", "Mastodon")],
        ),
    ];
    for (name, kind, extra) in &kinds {
        let a = ed
            .post("/w/acme/inbox/rules", &rule_fields(name, kind, extra))
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{kind}: {}", a.body);
        assert_eq!(
            a.location.as_deref(),
            Some("/w/acme/inbox/rules?done=created")
        );
    }
    let rows = fx.app.store.moderation_rules(fx.ws.id).await.unwrap();
    assert_eq!(rows.len(), 8);
    for (row, (name, kind, _)) in rows.iter().zip(&kinds) {
        assert_eq!(row.name, *name);
        assert_eq!(row.rule["kind"], *kind);
        assert!(row.enabled);
        for column in ["id", "name", "enabled"] {
            assert!(row.rule.get(column).is_none(), "{kind} stores {column}");
        }
    }
    assert_eq!(
        rows[0].rule["terms"],
        serde_json::json!(["arnaque", "rembours*", "service client nul"])
    );
    assert_eq!(rows[1].rule["pattern"], r"code\s*promo");
    assert_eq!(
        rows[3].rule["min_caps_ratio"]
            .as_f64()
            .map(|r| (r * 100.0).round()),
        Some(70.0)
    );
    assert_eq!(rows[4].rule["within"], 600);
    assert_eq!(
        rows[6].rule["actions"],
        serde_json::json!([{"type": "review"}, {"type": "hide"}, {"type": "report"}])
    );
    assert_eq!(rows[7].rule["network"], "mastodon");
    let page = ed.get("/w/acme/inbox/rules").await;
    assert!(
        page.body.contains("rembours*") && page.body.contains("10 min"),
        "{}",
        page.body
    );
    assert!(unescape(&page.body).contains("links outside exemple.fr"));

    // A bad expression: the core's words with the place to fix, the form kept, nothing stored.
    let a = ed
        .post(
            "/w/acme/inbox/rules",
            &rule_fields("Cassée", "regex", &[("pattern", "rembours(")]),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = unescape(&a.body);
    assert!(body.contains("id=\"rule-errors\""), "{body}");
    assert!(body.contains("cannot be read, line 1, column"), "{body}");
    assert!(body.contains("value=\"rembours(\""), "the pattern is kept");
    assert!(body.contains("value=\"Cassée\""), "the name is kept");
    // The form's own problems, every one at once, in French.
    ed.post("/lang", &[("lang", "fr"), ("next", "/w/acme/inbox/rules")])
        .await;
    let a = ed
        .post(
            "/w/acme/inbox/rules",
            &[
                ("name", "Cris"),
                ("kind", "shouting"),
                ("min_letters", "douze"),
                ("caps_percent", "150"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = unescape(&a.body);
    assert!(
        body.contains("Lettres au minimum\u{a0}: écrivez un nombre entier"),
        "{body}"
    );
    assert!(
        body.contains("Majuscules (%)\u{a0}: écrivez une part"),
        "{body}"
    );
    // And a rule without any action, in the core's French.
    let mut no_action = rule_fields("Rien", "watched_words", &[("terms", "x")]);
    no_action.retain(|(k, _)| *k != "act_review");
    let a = ed.post("/w/acme/inbox/rules", &no_action).await;
    assert!(unescape(&a.body).contains("aucune action"), "{}", a.body);
    // A name already taken.
    let a = ed
        .post(
            "/w/acme/inbox/rules",
            &rule_fields("Mots", "watched_words", &[("terms", "x")]),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unescape(&a.body).contains("Une autre règle porte ce nom"));
    assert_eq!(rule_count(&fx, &fx.ws).await, 8);

    // Edit: the form comes back filled in, and saving changes the rule, not its state.
    let words = &rows[0];
    let form = ed
        .get(&format!("/w/acme/inbox/rules?edit={}", words.id))
        .await;
    assert!(
        form.body.contains("arnaque\nrembours*\nservice client nul"),
        "{}",
        form.body
    );
    let a = ed
        .post(&format!("/w/acme/inbox/rules/{}/disable", words.id), &[])
        .await;
    assert_eq!(
        a.location.as_deref(),
        Some("/w/acme/inbox/rules?done=disabled")
    );
    let a = ed
        .post(
            &format!("/w/acme/inbox/rules/{}", words.id),
            &rule_fields(
                "Mots",
                "watched_words",
                &[
                    ("terms", "escroc*"),
                    ("act_tag", "on"),
                    ("tag_name", "arnaque"),
                ],
            ),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let rows = fx.app.store.moderation_rules(fx.ws.id).await.unwrap();
    assert_eq!(rows[0].rule["terms"], serde_json::json!(["escroc*"]));
    assert_eq!(
        rows[0].rule["actions"],
        serde_json::json!([{"type": "review"}, {"type": "tag", "name": "arnaque"}])
    );
    assert!(!rows[0].enabled, "editing keeps the rule off");
    let a = ed
        .post(&format!("/w/acme/inbox/rules/{}/delete", rows[1].id), &[])
        .await;
    assert_eq!(
        a.location.as_deref(),
        Some("/w/acme/inbox/rules?done=deleted")
    );
    assert_eq!(rule_count(&fx, &fx.ws).await, 7);
    let log = fx
        .app
        .store
        .audit_log(Some(fx.ws.id), None, 50)
        .await
        .unwrap();
    for action in [
        "inbox.rule.create",
        "inbox.rule.update",
        "inbox.rule.disable",
        "inbox.rule.delete",
    ] {
        assert!(
            log.iter().any(|r| r.event.action == action),
            "{action} audited"
        );
    }
}

#[tokio::test]
async fn the_test_box_tries_a_rule_as_the_rules_core_reads_it() {
    let fx = fixture().await;
    let (mut ed, _) = member(&fx, "ed@acme.example", &fx.ws, Role::Editor).await;
    let try_words = |sample: &'static str| {
        let mut f = rule_fields(
            "Arnaques",
            "watched_words",
            &[("terms", "rembours*\narnaque")],
        );
        f.push(("sample", sample));
        f
    };
    let a = ed
        .post(
            "/w/acme/inbox/rules/test",
            &try_words("JE VEUX UN REMBOURSEMENT"),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    let body = unescape(&a.body);
    assert!(body.contains("class=\"test-match\""), "{body}");
    assert!(
        body.contains("Matches: contains the watched word “rembours*”"),
        "{body}"
    );
    // Accents fold both ways: arnaque finds Arnaqué.
    let a = ed
        .post("/w/acme/inbox/rules/test", &try_words("Quelle Arnaqué !"))
        .await;
    let body = unescape(&a.body);
    assert!(body.contains("class=\"test-match\""), "{body}");
    assert!(body.contains("“arnaque”"), "{body}");
    let a = ed
        .post(
            "/w/acme/inbox/rules/test",
            &try_words("Merci pour le colis"),
        )
        .await;
    let body = unescape(&a.body);
    assert!(
        body.contains("class=\"test-nomatch\"") && body.contains("Does not match."),
        "{body}"
    );
    assert!(body.contains("Merci pour le colis"), "the sample is kept");
    // A rule that cannot work says why instead.
    let mut bad = rule_fields("Codes", "regex", &[("pattern", "a{2,1}")]);
    bad.push(("sample", "aaa"));
    let a = ed.post("/w/acme/inbox/rules/test", &bad).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("id=\"rule-errors\"") && !a.body.contains("id=\"test-result\""));
    // A toxicity rule gets the sample's score.
    let mut toxic = rule_fields("Insultes", "toxicity", &[]);
    toxic.push(("sample", "Thank you so much for the quick answer"));
    let body = ed.post("/w/acme/inbox/rules/test", &toxic).await.body;
    assert!(body.contains("id=\"test-score\""), "{body}");
    // Rules that need an author's history cannot be tried on a text.
    let mut repeated = rule_fields("Répétitions", "repeated", &[]);
    repeated.push(("sample", "encore"));
    let body = unescape(&ed.post("/w/acme/inbox/rules/test", &repeated).await.body);
    assert!(body.contains("cannot be tried on a text alone"), "{body}");
    // Nothing was stored by testing; the reason is given in French on a French page.
    assert_eq!(rule_count(&fx, &fx.ws).await, 0);
    ed.post("/lang", &[("lang", "fr"), ("next", "/w/acme/inbox/rules")])
        .await;
    let a = ed
        .post("/w/acme/inbox/rules/test", &try_words("remboursez-moi"))
        .await;
    let body = unescape(&a.body);
    assert!(
        body.contains("Correspond\u{a0}: contient le mot surveillé «\u{a0}rembours*\u{a0}»"),
        "{body}"
    );
}

#[tokio::test]
async fn review_decisions_keep_or_act_on_the_network() {
    let fx = fixture().await;
    let channel = add_channel(&fx, &fx.ws, "Acme Masto").await;
    let (mut ed, ed_id) = member(&fx, "ed@acme.example", &fx.ws, Role::Editor).await;
    let kept = held(
        &fx,
        &fx.ws,
        Some(channel),
        "une arnaque <script>alert(1)</script>",
    )
    .await;
    let hidden = held(&fx, &fx.ws, Some(channel), "encore une arnaque").await;
    let blocked = held(&fx, &fx.ws, Some(channel), "arnaque arnaque").await;

    let page = ed.get("/w/acme/inbox/review").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains("<script>alert(1)"),
        "the text is escaped"
    );
    assert!(
        page.body
            .contains("&#60;script&#62;alert(1)&#60;/script&#62;")
    );
    assert!(
        page.body
            .contains("Arnaques: contains the watched word “arnaque”")
    );
    assert!(page.body.contains("Acme Masto · mastodon") && page.body.contains("0.87"));
    assert!(
        page.body.contains("/w/acme/inbox/c/"),
        "a link to the conversation"
    );
    // Oldest first.
    let first = page.body.find(&format!("rv-{kept}")).unwrap();
    assert!(first < page.body.find(&format!("rv-{hidden}")).unwrap());

    let a = ed
        .post(
            &format!("/w/acme/inbox/review/{kept}/keep"),
            &[("reason", "")],
        )
        .await;
    assert_eq!(
        a.location.as_deref(),
        Some("/w/acme/inbox/review?done=kept")
    );
    let r = fx.app.store.review(fx.ws.id, kept).await.unwrap().unwrap();
    assert_eq!(r.status, ReviewStatus::Approved);
    assert_eq!(r.decided_by, Some(ed_id));
    assert_eq!(
        fx.app.store.jobs_waiting("inbox.act").await.unwrap(),
        0,
        "keeping acts on nothing"
    );

    let a = ed
        .post(
            &format!("/w/acme/inbox/review/{hidden}/hide"),
            &[("reason", "scam, again")],
        )
        .await;
    assert_eq!(
        a.location.as_deref(),
        Some("/w/acme/inbox/review?done=hidden")
    );
    let r = fx
        .app
        .store
        .review(fx.ws.id, hidden)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.status, ReviewStatus::Removed);
    assert_eq!(fx.app.store.jobs_waiting("inbox.act").await.unwrap(), 1);
    let job = fx
        .app
        .store
        .claim_job("test", Timestamp::now(), 60_000)
        .await
        .unwrap()
        .expect("an inbox.act job");
    assert_eq!(job.kind, "inbox.act");
    assert_eq!(job.workspace_id, Some(fx.ws.id));
    assert_eq!(job.payload["action"], "hide");
    assert_eq!(job.payload["message_id"], r.message.id.to_string());
    assert_eq!(job.payload["reason"], "scam, again");
    assert_eq!(job.payload["user_id"], ed_id.to_string());
    assert_eq!(job.payload["actor_label"], "ed@acme.example");

    // Blocking acts on the author and leaves the message to decide; the rules' reasons stand in
    // for a reason not typed.
    let a = ed
        .post(&format!("/w/acme/inbox/review/{blocked}/block"), &[])
        .await;
    assert_eq!(
        a.location.as_deref(),
        Some("/w/acme/inbox/review?done=blocked")
    );
    let r = fx
        .app
        .store
        .review(fx.ws.id, blocked)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.status, ReviewStatus::Pending);
    let job = fx
        .app
        .store
        .claim_job("test", Timestamp::now(), 60_000)
        .await
        .unwrap()
        .expect("a block job");
    assert_eq!(job.payload["action"], "block");
    assert_eq!(
        job.payload["reason"],
        "Arnaques: contains the watched word “arnaque”"
    );

    // A decided review is not decided again (and queues nothing).
    let a = ed
        .post(&format!("/w/acme/inbox/review/{hidden}/delete"), &[])
        .await;
    assert_eq!(
        a.location.as_deref(),
        Some("/w/acme/inbox/review?done=already")
    );
    assert_eq!(
        fx.app.store.jobs_waiting("inbox.act").await.unwrap(),
        2,
        "no third job"
    );
    let a = ed
        .post(&format!("/w/acme/inbox/review/{blocked}/approve"), &[])
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);

    let waiting = ed.get("/w/acme/inbox/review").await.body;
    assert!(waiting.contains(&format!("rv-{blocked}")) && !waiting.contains(&format!("rv-{kept}")));
    let decided = ed.get("/w/acme/inbox/review?show=decided").await.body;
    assert!(decided.contains(&format!("rv-{kept}")) && decided.contains(&format!("rv-{hidden}")));
    assert!(
        decided.contains("decided by ed")
            && decided.contains("kept")
            && decided.contains("removed")
    );
    let log = fx
        .app
        .store
        .audit_log(Some(fx.ws.id), None, 50)
        .await
        .unwrap();
    let removal = log
        .iter()
        .find(|r| r.event.action == "inbox.review.remove")
        .expect("the removal audited");
    assert_eq!(removal.event.details["reason"], "scam, again");
    assert!(log.iter().any(|r| r.event.action == "inbox.review.keep"));

    // In French, the reasons stored in French.
    ed.post("/lang", &[("lang", "fr"), ("next", "/w/acme/inbox/review")])
        .await;
    let page = ed.get("/w/acme/inbox/review").await.body;
    assert!(
        page.contains("Arnaques: contient le mot surveillé «\u{a0}arnaque\u{a0}»"),
        "{page}"
    );
    assert!(page.contains("Bloquer l’auteur"));
}

#[tokio::test]
async fn canned_replies_are_checked_with_their_column_and_previewed() {
    let fx = fixture().await;
    let (mut ed, _) = member(&fx, "ed@acme.example", &fx.ws, Role::Editor).await;
    let a = ed
        .post(
            "/w/acme/inbox/canned",
            &[
                ("name", "Bonjour"),
                ("lang", "fr"),
                ("body", "Bonjour {{prenom}} !"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = unescape(&a.body);
    assert!(
        body.contains("column 9: unknown variable `prenom`"),
        "{body}"
    );
    assert!(body.contains("Bonjour {{prenom}} !"), "the text is kept");
    assert!(
        fx.app
            .store
            .canned_replies(fx.ws.id)
            .await
            .unwrap()
            .is_empty()
    );
    let a = ed
        .post(
            "/w/acme/inbox/canned",
            &[
                ("name", "Open"),
                ("lang", "en"),
                ("body", "Hi {{first_name"),
            ],
        )
        .await;
    assert!(
        unescape(&a.body).contains("column 4: `{{` is never closed"),
        "{}",
        a.body
    );

    // The preview fills the variables in with sample values.
    let a = ed
        .post(
            "/w/acme/inbox/canned/preview",
            &[
                ("name", "Bonjour"),
                ("lang", "fr"),
                (
                    "body",
                    "Bonjour {{first_name}}, {{ agent_name }} pour {{brand}}. {{netiquette_url}}",
                ),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        a.body
            .contains("Bonjour Léa, ed pour acme. http://relais.test/n/acme"),
        "{}",
        a.body
    );
    for (name, lang, text) in [
        ("Bonjour", "fr", "Bonjour {{first_name}}, merci !"),
        ("Hello", "en", "Hello {{ name }}, thanks from {{brand}}."),
    ] {
        let a = ed
            .post(
                "/w/acme/inbox/canned",
                &[("name", name), ("lang", lang), ("body", text)],
            )
            .await;
        assert_eq!(
            a.location.as_deref(),
            Some("/w/acme/inbox/canned?done=created"),
            "{}",
            a.body
        );
    }
    let stored = fx.app.store.canned_replies(fx.ws.id).await.unwrap();
    assert_eq!(stored.len(), 2);
    let page = unescape(&ed.get("/w/acme/inbox/canned").await.body);
    assert!(
        page.contains("Bonjour Léa, merci !")
            && page.contains("Hello Léa Martin, thanks from acme.")
    );
    let fr_at = page.find("id=\"canned-fr\"").unwrap();
    let en_at = page.find("id=\"canned-en\"").unwrap();
    let bonjour_at = page.find("Bonjour Léa").unwrap();
    assert!(
        fr_at < bonjour_at && bonjour_at < en_at,
        "grouped by language"
    );
    assert!(
        page.contains("{{first_name}}") && page.contains("{{netiquette_url}}"),
        "variables listed"
    );
    // The same name in the same language is refused.
    let a = ed
        .post(
            "/w/acme/inbox/canned",
            &[("name", "Bonjour"), ("lang", "fr"), ("body", "Salut")],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fr = stored.iter().find(|c| c.lang == "fr").unwrap();
    let a = ed
        .post(
            &format!("/w/acme/inbox/canned/{}", fr.id),
            &[
                ("name", "Bonjour"),
                ("lang", "fr"),
                ("body", "Salut {{handle}}"),
            ],
        )
        .await;
    assert_eq!(
        a.location.as_deref(),
        Some("/w/acme/inbox/canned?done=updated")
    );
    let page = ed.get("/w/acme/inbox/canned").await.body;
    assert!(page.contains("Salut @lea.example"), "{page}");
    let a = ed
        .post(&format!("/w/acme/inbox/canned/{}/delete", fr.id), &[])
        .await;
    assert_eq!(
        a.location.as_deref(),
        Some("/w/acme/inbox/canned?done=deleted")
    );
    assert_eq!(
        fx.app.store.canned_replies(fx.ws.id).await.unwrap().len(),
        1
    );
    // In French, the error too.
    ed.post("/lang", &[("lang", "fr"), ("next", "/w/acme/inbox/canned")])
        .await;
    let a = ed
        .post(
            "/w/acme/inbox/canned",
            &[("name", "X"), ("lang", "fr"), ("body", "ok {{x}}")],
        )
        .await;
    assert!(
        unescape(&a.body).contains("colonne 4 : variable `x` inconnue"),
        "{}",
        a.body
    );
}

#[tokio::test]
async fn settings_are_saved_and_the_netiquette_is_public_only_when_asked() {
    let fx = fixture().await;
    let (mut ed, _) = member(&fx, "ed@acme.example", &fx.ws, Role::Editor).await;
    let mut anonymous = Browser::new(&fx.app);
    assert_eq!(anonymous.get("/n/acme").await.status, StatusCode::NOT_FOUND);

    let text = "Soyez courtois.\nPas d’insultes <b>ni</b> de spam.\n\n\nLes liens vers des boutiques sont masqués.";
    let a = ed
        .post(
            "/w/acme/inbox/settings",
            &[
                ("first_response", "1,5"),
                ("first_response_unit", "hours"),
                ("resolution", "2"),
                ("resolution_unit", "hours"),
                ("approve_contributor_replies", "on"),
                ("netiquette", text),
            ],
        )
        .await;
    assert_eq!(
        a.location.as_deref(),
        Some("/w/acme/inbox/settings?done=saved"),
        "{}",
        a.body
    );
    let saved = fx.app.store.inbox_settings(fx.ws.id).await.unwrap();
    assert_eq!(saved.first_response_minutes, Some(90));
    assert_eq!(saved.resolution_minutes, Some(120));
    assert!(saved.approve_contributor_replies && !saved.netiquette_public);
    // Saved but private: still not found.
    assert_eq!(anonymous.get("/n/acme").await.status, StatusCode::NOT_FOUND);
    let page = ed.get("/w/acme/inbox/settings").await.body;
    assert!(
        page.contains("value=\"90\"") && page.contains("value=\"2\""),
        "targets shown back"
    );

    // Public without a text is refused; a bad target too; with both right, anyone reads it.
    let a = ed
        .post(
            "/w/acme/inbox/settings",
            &[("netiquette", "  "), ("netiquette_public", "on")],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        a.body
            .contains("Write the netiquette before showing it publicly.")
    );
    let a = ed
        .post(
            "/w/acme/inbox/settings",
            &[
                ("first_response", "soon"),
                ("netiquette", text),
                ("netiquette_public", "on"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        a.body
            .contains("First response: write a number of minutes or hours")
    );
    let kept = fx.app.store.inbox_settings(fx.ws.id).await.unwrap();
    assert_eq!(kept.first_response_minutes, Some(90), "nothing saved");
    let a = ed
        .post(
            "/w/acme/inbox/settings",
            &[
                ("first_response", "30"),
                ("first_response_unit", "minutes"),
                ("netiquette", text),
                ("netiquette_public", "on"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let public = anonymous.get("/n/acme").await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(
        public.body.contains(
            "<p>Soyez courtois.<br>Pas d’insultes &#60;b&#62;ni&#60;/b&#62; de spam.</p>"
        ),
        "{}",
        public.body
    );
    assert!(
        public
            .body
            .contains("<p>Les liens vers des boutiques sont masqués.</p>")
    );
    assert!(public.body.contains(">acme<"), "the workspace's name");
    assert!(
        !public.body.contains("/w/acme"),
        "nothing else of the workspace"
    );
    let page = ed.get("/w/acme/inbox/settings").await.body;
    assert!(
        page.contains("href=\"http://relais.test/n/acme\""),
        "{page}"
    );
    assert_eq!(
        anonymous.get("/n/rival").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        anonymous.get("/n/nobody").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        anonymous.get("/n/NOT%20A%20SLUG").await.status,
        StatusCode::NOT_FOUND
    );
    // In French for a French browser.
    anonymous.accept_language = Some("fr-FR,fr;q=0.9".into());
    let public = anonymous.get("/n/acme").await;
    assert!(public.body.contains("lang=\"fr\""));
    let log = fx
        .app
        .store
        .audit_log(Some(fx.ws.id), None, 50)
        .await
        .unwrap();
    assert_eq!(
        log.iter()
            .filter(|r| r.event.action == "inbox.settings.save")
            .count(),
        2
    );
}

/// The text of the cells of the row of `table` headed `who`.
fn row_cells(page: &str, table: &str, who: &str) -> Vec<String> {
    let start = page
        .find(&format!("id=\"{table}\""))
        .unwrap_or_else(|| panic!("no {table}"));
    let table_html = &page[start..start + page[start..].find("</table>").unwrap()];
    let head = format!("<th scope=\"row\">{who}</th>");
    let at = table_html
        .find(&head)
        .unwrap_or_else(|| panic!("no row {who} in {table}"));
    let row = &table_html[at..at + table_html[at..].find("</tr>").unwrap()];
    row.split("<td")
        .skip(1)
        .map(|cell| {
            let text = &cell[cell.find('>').unwrap() + 1..];
            let text = &text[..text.find("</td>").unwrap_or(text.len())];
            // The cell's text before any drawing.
            let text = text.split("<br>").next().unwrap_or("");
            text.trim().to_owned()
        })
        .collect()
}

/// A conversation of `fx.ws` started at `start`, answered by `who` after `minutes` and assigned
/// to them.
async fn answered(
    fx: &Fx,
    start: i64,
    minutes: i64,
    who: UserId,
    channel: Option<ChannelId>,
) -> ConversationId {
    let store = &fx.app.store;
    let (_, conv) = receive(fx, &fx.ws, channel, "fan", "Bonjour ?", start).await;
    let reply = InboxMessageId::new();
    store
        .add_reply(
            fx.ws.id,
            NewReply {
                id: reply,
                conversation_id: conv,
                sender_id: Some(who),
                sender_label: "x".into(),
                text: "Bonjour !".into(),
                delivery: DeliveryState::Queued,
                written_at: Timestamp::from_millis(start + minutes * MIN - 1000),
                send: None,
            },
            audit(&fx.ws),
        )
        .await
        .unwrap();
    let at = Timestamp::from_millis(start + minutes * MIN);
    let sent = store
        .reply_sent(fx.ws.id, reply, &format!("r-{reply}"), None, None, at)
        .await
        .unwrap();
    assert!(sent);
    store
        .assign_conversation(fx.ws.id, conv, Some(who), audit(&fx.ws))
        .await
        .unwrap();
    conv
}

#[tokio::test]
async fn response_times_are_figured_per_member_and_channel() {
    let fx = fixture().await;
    let (mut ana, ana_id) = member(&fx, "ana@acme.example", &fx.ws, Role::Editor).await;
    let (_, bob_id) = member(&fx, "bob@acme.example", &fx.ws, Role::Contributor).await;
    let masto = add_channel(&fx, &fx.ws, "Acme Masto").await;
    let store = &fx.app.store;
    store
        .save_inbox_settings(
            fx.ws.id,
            &relais_store::inbox::InboxSettings {
                first_response_minutes: Some(30),
                ..Default::default()
            },
            audit(&fx.ws),
        )
        .await
        .unwrap();
    let now = Timestamp::now().millis();
    let closed = answered(&fx, now - 2 * DAY, 10, ana_id, Some(masto)).await;
    store
        .set_conversation_status(
            fx.ws.id,
            closed,
            ConversationStatus::Closed,
            None,
            Timestamp::from_millis(now - 2 * DAY + 125 * MIN),
            audit(&fx.ws),
        )
        .await
        .unwrap();
    answered(&fx, now - 2 * DAY, 50, ana_id, Some(masto)).await;
    answered(&fx, now - 40 * DAY, 20, bob_id, None).await;
    // Waiting for a day, unassigned: overdue.
    receive(&fx, &fx.ws, Some(masto), "waiting", "Allô ?", now - DAY).await;
    // Another workspace's conversations never count.
    receive(&fx, &fx.other, None, "elsewhere", "Hé", now - DAY).await;

    let page = ana.get("/w/acme/inbox/sla").await;
    assert_eq!(page.status, StatusCode::OK);
    let body = page.body;
    assert!(body.contains("<dd>30 min</dd>"), "the target shown");
    // Conversations, answered, median, p90, within target, resolved, median resolution,
    // resolved within target, overdue.
    assert_eq!(
        row_cells(&body, "sla-overall", "Whole team"),
        ["3", "2", "10 min", "50 min", "50%", "1", "2 h 05", "—", "1"]
    );
    assert_eq!(
        row_cells(&body, "sla-members", "ana"),
        ["2", "2", "10 min", "50 min", "50%", "1", "2 h 05", "—", "0"]
    );
    let unassigned = row_cells(&body, "sla-members", "Unassigned");
    assert_eq!(unassigned[..2], ["1", "0"]);
    assert_eq!(unassigned[8], "1");
    assert!(
        !body.contains("<th scope=\"row\">bob</th>"),
        "bob's conversation is older"
    );
    assert_eq!(
        row_cells(&body, "sla-channels", "Acme Masto")[..3],
        ["3", "2", "10 min"]
    );
    assert!(body.contains("class=\"sla-bar\""));

    let body = ana.get("/w/acme/inbox/sla?days=90").await.body;
    assert_eq!(
        row_cells(&body, "sla-overall", "Whole team")[..4],
        ["4", "3", "20 min", "50 min"]
    );
    assert_eq!(
        row_cells(&body, "sla-members", "bob")[..3],
        ["1", "1", "20 min"]
    );
    assert_eq!(
        row_cells(&body, "sla-channels", "No channel")[..2],
        ["1", "1"]
    );
    // An unknown period falls back to 30 days; a week holds the same three.
    let body = ana.get("/w/acme/inbox/sla?days=12").await.body;
    assert_eq!(row_cells(&body, "sla-overall", "Whole team")[0], "3");
    let body = ana.get("/w/acme/inbox/sla?days=7").await.body;
    assert_eq!(row_cells(&body, "sla-overall", "Whole team")[0], "3");

    // The other workspace has only its own, and says so in French.
    let (mut rival, _) = member(&fx, "r@rival.example", &fx.other, Role::Analyst).await;
    rival
        .post("/lang", &[("lang", "fr"), ("next", "/w/rival/inbox/sla")])
        .await;
    let body = rival.get("/w/rival/inbox/sla?days=7").await.body;
    assert!(
        body.contains("Toute l’équipe") && body.contains("<dd>aucun objectif</dd>"),
        "{body}"
    );
    assert_eq!(
        row_cells(&body, "sla-overall", "Toute l’équipe")[..2],
        ["1", "0"]
    );
}

#[tokio::test]
async fn another_workspace_s_rows_are_not_found() {
    let fx = fixture().await;
    let (mut ed, _) = member(&fx, "ed@acme.example", &fx.ws, Role::Editor).await;
    let theirs = held(&fx, &fx.other, None, "arnaque ailleurs").await;
    let their_rule = fx
        .app
        .store
        .create_moderation_rule(
            fx.other.id,
            NewModerationRule {
                id: relais_core::ModerationRuleId::new(),
                name: "Leur règle".into(),
                rule: serde_json::json!({"kind": "toxicity", "min_score": 0.9, "actions": [{"type": "review"}]}),
                enabled: true,
                created_by: None,
            },
            audit(&fx.other),
        )
        .await
        .unwrap();
    let their_reply = fx
        .app
        .store
        .create_canned_reply(
            fx.other.id,
            NewCannedReply {
                id: relais_core::CannedReplyId::new(),
                name: "Leur réponse".into(),
                lang: "fr".into(),
                body: "Merci".into(),
                created_by: None,
            },
            audit(&fx.other),
        )
        .await
        .unwrap();
    let words = rule_fields("X", "watched_words", &[("terms", "x")]);
    let not_found = [
        ed.get(&format!("/w/acme/inbox/rules?edit={}", their_rule.id))
            .await,
        ed.get(&format!("/w/acme/inbox/canned?edit={}", their_reply.id))
            .await,
        ed.post(&format!("/w/acme/inbox/review/{theirs}/hide"), &[])
            .await,
        ed.post(&format!("/w/acme/inbox/rules/{}", their_rule.id), &words)
            .await,
        ed.post(
            &format!("/w/acme/inbox/rules/{}/delete", their_rule.id),
            &[],
        )
        .await,
        ed.post(
            &format!("/w/acme/inbox/canned/{}/delete", their_reply.id),
            &[],
        )
        .await,
        ed.post(
            &format!("/w/acme/inbox/canned/{}", their_reply.id),
            &[("name", "x"), ("lang", "fr"), ("body", "x")],
        )
        .await,
        ed.post("/w/acme/inbox/review/not-an-id/keep", &[]).await,
        ed.get("/w/rival/inbox/review").await,
        ed.get("/w/rival/inbox/sla").await,
    ];
    for (i, a) in not_found.iter().enumerate() {
        assert_eq!(a.status, StatusCode::NOT_FOUND, "request {i}");
    }
    // Their queue, rules and replies never show here, and are untouched.
    for page in ["review", "rules", "canned"] {
        let body = ed.get(&format!("/w/acme/inbox/{page}")).await.body;
        assert!(
            !body.contains("ailleurs") && !body.contains("Leur "),
            "{page}"
        );
    }
    assert_eq!(rule_count(&fx, &fx.other).await, 1);
    let r = fx
        .app
        .store
        .review(fx.other.id, theirs)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.status, ReviewStatus::Pending);
    assert_eq!(fx.app.store.jobs_waiting("inbox.act").await.unwrap(), 0);
}
