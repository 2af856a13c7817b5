//! Listening's pages over HTTP: queries checked (errors with their column, the form kept) and
//! tried on sample lines; the stream of mentions with its filters, paging, triage, live count
//! and CSV; the analysis' share of voice; sources (validation, OPML import, health); alert
//! rules (keywords checked, webhook secrets sealed and never shown); roles and isolation
//! between workspaces; both languages.

#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::listening::mention;
use common::{App, Browser, Upload, add_workspace, app_with_config, signed_in_member};
use relais_core::audit::{Actor, AuditEvent};
use relais_core::{ChannelId, ListenQueryId, ListenSourceId, MentionId, Role, Timestamp};
use relais_store::listening::{
    AlertKind, NewAlertEvent, NewListenQuery, NewListenSource, NewMention, PollState, QueryRole,
    Sentiment, SourceKind,
};
use relais_store::{NewChannel, Workspace};
use relais_web::WebConfig;

const DAY: i64 = 86_400_000;
/// 2024-05-01T12:00:00Z.
const MAY_1: i64 = 1_714_564_800_000;

fn vault() -> relais_vault::Vault {
    relais_vault::Vault::from_bytes(&[7u8; 32])
}

struct Fx {
    app: App,
    ws: Workspace,
    other: Workspace,
}

async fn fixture() -> Fx {
    let config = WebConfig {
        public_url: "http://relais.test".into(),
        vault: Some(vault()),
        ..Default::default()
    };
    let app = app_with_config(None, config).await;
    let ws = add_workspace(&app, "acme").await;
    let other = add_workspace(&app, "rival").await;
    Fx { app, ws, other }
}

async fn member(fx: &Fx, email: &str, ws: &Workspace, role: Role) -> Browser {
    signed_in_member(&fx.app, email, ws, role).await.0
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

async fn add_query(
    fx: &Fx,
    ws: &Workspace,
    name: &str,
    text: &str,
    role: QueryRole,
) -> ListenQueryId {
    fx.app
        .store
        .create_listen_query(
            NewListenQuery {
                id: ListenQueryId::new(),
                workspace_id: ws.id,
                name: name.into(),
                query: text.into(),
                role,
                created_by: None,
            },
            audit(ws),
        )
        .await
        .unwrap()
        .id
}

async fn insert(fx: &Fx, mentions: Vec<NewMention>) -> Vec<MentionId> {
    common::listening::insert(&fx.app, mentions).await
}

/// A feed source of `ws` polled every 15 minutes, made outside the pages.
async fn add_feed(fx: &Fx, ws: &Workspace, target: &str) -> ListenSourceId {
    let source = NewListenSource {
        id: ListenSourceId::new(),
        workspace_id: ws.id,
        kind: SourceKind::Feed,
        target: target.into(),
        label: None,
        interval_secs: 900,
        enabled: true,
        channel_id: None,
        created_by: None,
    };
    let made = fx.app.store.create_listen_source(source, audit(ws)).await;
    made.unwrap().id
}

/// Each of `actions` has a line in the workspace's audit log.
async fn assert_audited(fx: &Fx, actions: &[&str]) {
    let log = fx
        .app
        .store
        .audit_log(Some(fx.ws.id), None, 50)
        .await
        .unwrap();
    for action in actions {
        assert!(
            log.iter().any(|r| r.event.action == *action),
            "{action} audited"
        );
    }
}

/// `&amp;` back to `&`, as a browser reads an attribute.
fn unescape(s: &str) -> String {
    s.replace("&amp;", "&")
        .replace("&#x2f;", "/")
        .replace("&#47;", "/")
}

/// The `href="…"` of the element holding `marker` (written after its `href`).
fn href_of(page: &str, marker: &str) -> String {
    let at = page.find(marker).unwrap_or_else(|| panic!("no {marker}"));
    let start = page[..at].rfind("href=\"").unwrap() + 6;
    let end = page[start..].find('"').unwrap();
    unescape(&page[start..start + end])
}

/// How many `<li class="mention` the page lists.
fn listed(page: &str) -> usize {
    page.matches("<li class=\"mention").count()
}

#[tokio::test]
async fn queries_are_checked_kept_listed_counted_and_tried() {
    let fx = fixture().await;
    let mut editor = member(&fx, "editor@acme.test", &fx.ws, Role::Editor).await;
    let page = editor.get("/w/acme/listening").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("id=\"query-form\""),
        "an editor may write queries"
    );

    // An invalid text: refused with its column, and what was typed stays in the form.
    let bad = "(relais OR colis) NEAR retard";
    let column = relais_listen::query::Query::parse(bad).unwrap_err().column;
    let refused = editor
        .post(
            "/w/acme/listening/queries",
            &[
                ("name", "Colis en retard"),
                ("role", "topic"),
                ("query", bad),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains(&format!("Column {column}:")),
        "the error names its column: {}",
        refused.body
    );
    assert!(refused.body.contains("id=\"query-error\""));
    assert!(refused.body.contains("value=\"Colis en retard\""));
    assert!(
        refused
            .body
            .contains("(relais OR colis) NEAR retard</textarea>")
    );
    assert!(refused.body.contains("<option value=\"topic\" selected>"));
    assert!(
        fx.app
            .store
            .listen_queries(fx.ws.id)
            .await
            .unwrap()
            .is_empty()
    );

    // A valid one is listed, with its role.
    let made = editor
        .post(
            "/w/acme/listening/queries",
            &[
                ("name", "Acme"),
                ("role", "brand"),
                ("query", "acme OR \"acme app\""),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let twice = editor
        .post(
            "/w/acme/listening/queries",
            &[("name", "Acme"), ("role", "brand"), ("query", "acme")],
        )
        .await;
    assert_eq!(
        twice.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "names are unique"
    );
    assert!(twice.body.contains("id=\"name-error\""));
    let queries = fx.app.store.listen_queries(fx.ws.id).await.unwrap();
    assert_eq!(queries.len(), 1);
    let acme = queries[0].id;

    // Its counts: 2 mentions in the last day (1 negative), 1 more earlier in the week, 1 older.
    let now = Timestamp::now().millis();
    let mut fresh = mention(&fx.ws, "acme est nul", now - 3_600_000);
    fresh.sentiment = Sentiment::Negative;
    let fresh2 = mention(&fx.ws, "acme super", now - 7_200_000);
    let week = mention(&fx.ws, "acme ok", now - 3 * DAY);
    let old = mention(&fx.ws, "acme ancien", now - 20 * DAY);
    let mut all = vec![fresh, fresh2, week, old];
    for m in &mut all {
        m.query_ids = vec![acme];
    }
    insert(&fx, all).await;
    let page = editor.get("/w/acme/listening?done=created").await;
    let row_start = page.body.find(&format!("id=\"q-{acme}\"")).unwrap();
    let row = &page.body[row_start..row_start + page.body[row_start..].find("</tr>").unwrap()];
    assert!(row.contains(">Acme<"), "{row}");
    assert!(row.contains(">Brand<"), "{row}");
    let cells: Vec<&str> = row
        .split("<td class=\"num\">")
        .skip(1)
        .map(|c| &c[..c.find("</td>").unwrap()])
        .collect();
    assert_eq!(
        cells,
        ["2", "3", "33.3%"],
        "24 h, 7 days, negative share: {row}"
    );

    // Editing keeps the id; the text is checked again.
    let edit = editor.get(&format!("/w/acme/listening?edit={acme}")).await;
    assert!(
        edit.body
            .contains(&format!("action=\"/w/acme/listening/queries/{acme}\""))
    );
    let updated = editor
        .post(
            &format!("/w/acme/listening/queries/{acme}"),
            &[
                ("name", "Acme FR"),
                ("role", "brand"),
                ("query", "acme lang:fr"),
            ],
        )
        .await;
    assert_eq!(updated.status, StatusCode::SEE_OTHER);
    let q = fx
        .app
        .store
        .listen_query(fx.ws.id, acme)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (q.name.as_str(), q.query.as_str()),
        ("Acme FR", "acme lang:fr")
    );
    let bad_edit = editor
        .post(
            &format!("/w/acme/listening/queries/{acme}"),
            &[("name", "Acme FR"), ("role", "brand"), ("query", "-acme")],
        )
        .await;
    assert_eq!(bad_edit.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad_edit
            .body
            .contains(&format!("action=\"/w/acme/listening/queries/{acme}\""))
    );

    // The test box: which lines match, nothing saved.
    let tried = editor
        .post(
            "/w/acme/listening/test",
            &[
                ("editing", ""),
                ("name", "Essai"),
                ("role", "brand"),
                ("query", "rembours* NEAR/3 colis -emploi"),
                (
                    "samples",
                    "On m'a remboursé le colis\nOffre d'emploi : remboursement colis\nRien à voir",
                ),
            ],
        )
        .await;
    assert_eq!(tried.status, StatusCode::OK);
    let results = &tried.body[tried.body.find("id=\"test-results\"").unwrap()..];
    let results = &results[..results.find("</ul>").unwrap()];
    assert_eq!(results.matches("class=\"match\"").count(), 1, "{results}");
    assert_eq!(results.matches("class=\"nomatch\"").count(), 2, "{results}");
    assert!(
        results.contains("class=\"match\">✓ matches — On m&#39;a remboursé le colis"),
        "{results}"
    );
    assert!(tried.body.contains("value=\"Essai\""), "the form is kept");
    let tried_bad = editor
        .post(
            "/w/acme/listening/test",
            &[
                ("name", ""),
                ("role", "brand"),
                ("query", "colis NEAR"),
                ("samples", "colis"),
            ],
        )
        .await;
    assert_eq!(tried_bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let column = relais_listen::query::Query::parse("colis NEAR")
        .unwrap_err()
        .column;
    assert!(tried_bad.body.contains(&format!("Column {column}:")));
    assert_eq!(
        fx.app.store.listen_queries(fx.ws.id).await.unwrap().len(),
        1
    );

    // Deleting.
    let gone = editor
        .post(&format!("/w/acme/listening/queries/{acme}/delete"), &[])
        .await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    assert!(
        fx.app
            .store
            .listen_queries(fx.ws.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_audited(
        &fx,
        &[
            "listen.query.create",
            "listen.query.update",
            "listen.query.delete",
        ],
    )
    .await;
}

#[tokio::test]
async fn the_stream_filters_pages_triages_and_counts_new_mentions() {
    let fx = fixture().await;
    let acme = add_query(&fx, &fx.ws, "Acme", "acme", QueryRole::Brand).await;
    let mut a = mention(&fx.ws, "ALPHA acme est nul", MAY_1);
    a.sentiment = Sentiment::Negative;
    a.score_milli = -640;
    a.lang = Some("fr".into());
    a.author = Some("jean".into());
    a.reach = Some(1200);
    a.title = Some("Titre <b>gras</b>".into());
    a.query_ids = vec![acme];
    let mut b = mention(&fx.ws, "BRAVO acme is great", MAY_1 + DAY);
    b.sentiment = Sentiment::Positive;
    b.lang = Some("en".into());
    b.author = Some("jane".into());
    b.query_ids = vec![acme];
    let mut c = mention(&fx.ws, "CHARLIE <script>alert(1)</script>", MAY_1 + 2 * DAY);
    c.lang = Some("fr".into());
    c.url = Some("javascript:alert(1)".into());
    let ids = insert(&fx, vec![a, b, c]).await;
    let mut rival = mention(&fx.other, "DELTA other workspace", MAY_1);
    rival.key = "rival-1".into();
    let rival_id = insert(&fx, vec![rival]).await[0];

    let mut contributor = member(&fx, "contrib@acme.test", &fx.ws, Role::Contributor).await;
    let all = contributor.get("/w/acme/listening/mentions").await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(listed(&all.body), 3);
    assert!(
        !all.body.contains("DELTA"),
        "another workspace's mention never shows"
    );
    // Newest first.
    let (pa, pb, pc) = (
        all.body.find("ALPHA").unwrap(),
        all.body.find("BRAVO").unwrap(),
        all.body.find("CHARLIE").unwrap(),
    );
    assert!(pc < pb && pb < pa);
    // Outside text is escaped, and only web links are links.
    assert!(
        all.body
            .contains("CHARLIE &#60;script&#62;alert(1)&#60;/script&#62;")
    );
    assert!(!all.body.contains("<script>alert(1)"));
    assert!(!all.body.contains("href=\"javascript:"));
    assert!(all.body.contains("Titre &#60;b&#62;gras&#60;/b&#62;"));
    assert!(all.body.contains("href=\"https://news.example/a\""));
    assert!(all.body.contains("-0.64"), "the score is shown");
    assert!(all.body.contains("1200"), "the reach is shown");

    let only = |page: &str| -> Vec<&'static str> {
        ["ALPHA", "BRAVO", "CHARLIE"]
            .into_iter()
            .filter(|w| page.contains(w))
            .collect()
    };
    let by_query = format!("query={acme}");
    let cases: [(&str, &[&str]); 8] = [
        ("sentiment=negative", &["ALPHA"]),
        ("sentiment=positive", &["BRAVO"]),
        (&by_query, &["ALPHA", "BRAVO"]),
        ("lang=fr", &["ALPHA", "CHARLIE"]),
        ("author=jane", &["BRAVO"]),
        ("from=2024-05-02", &["BRAVO", "CHARLIE"]),
        ("to=2024-05-02", &["ALPHA", "BRAVO"]),
        ("from=2024-05-02&to=2024-05-02&text=bravo", &["BRAVO"]),
    ];
    for (filter, expected) in cases {
        let page = contributor
            .get(&format!("/w/acme/listening/mentions?{filter}"))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(only(&page.body), expected, "{filter}");
    }
    let unread = contributor
        .get("/w/acme/listening/mentions?from=2024-13-45")
        .await;
    assert!(
        unread.body.contains("could not be read"),
        "a bad date is said"
    );
    assert_eq!(listed(&unread.body), 3);

    // Triage: tag, untag, mute (hidden unless asked), send to the inbox once.
    let a_id = ids[0];
    let back = "sentiment=negative";
    let tagged = contributor
        .post(
            &format!("/w/acme/listening/mentions/{a_id}/tag"),
            &[("tag", " urgent "), ("back", back)],
        )
        .await;
    assert_eq!(tagged.status, StatusCode::SEE_OTHER);
    let to = tagged.location.unwrap();
    assert!(
        to.starts_with("/w/acme/listening/mentions?done=tagged&sentiment=negative"),
        "back to the same filters: {to}"
    );
    let by_tag = contributor
        .get("/w/acme/listening/mentions?tag=urgent")
        .await;
    assert_eq!(only(&by_tag.body), ["ALPHA"]);
    let stored = fx.app.store.mention(fx.ws.id, a_id).await.unwrap().unwrap();
    assert_eq!(stored.tags, ["urgent"]);
    let untagged = contributor
        .post(
            &format!("/w/acme/listening/mentions/{a_id}/untag"),
            &[("tag", "urgent"), ("back", "")],
        )
        .await;
    assert_eq!(untagged.status, StatusCode::SEE_OTHER);
    assert!(
        fx.app
            .store
            .mention(fx.ws.id, a_id)
            .await
            .unwrap()
            .unwrap()
            .tags
            .is_empty()
    );
    let bad_back = contributor
        .post(
            &format!("/w/acme/listening/mentions/{a_id}/mute"),
            &[("back", "x=1&before=//evil.example")],
        )
        .await;
    assert_eq!(bad_back.status, StatusCode::SEE_OTHER);
    let to = bad_back.location.unwrap();
    assert!(
        to.starts_with("/w/acme/listening/mentions?done=muted"),
        "{to}"
    );
    let hidden = contributor.get("/w/acme/listening/mentions").await;
    assert_eq!(
        only(&hidden.body),
        ["BRAVO", "CHARLIE"],
        "muted ones are hidden"
    );
    let shown = contributor.get("/w/acme/listening/mentions?muted=1").await;
    assert_eq!(listed(&shown.body), 3);
    assert!(shown.body.contains("class=\"mention muted\""));

    let sent = contributor
        .post(
            &format!("/w/acme/listening/mentions/{}/inbox", ids[1]),
            &[("back", "")],
        )
        .await;
    assert!(sent.location.unwrap().contains("?done=inbox#m-"));
    let first_at = fx
        .app
        .store
        .mention(fx.ws.id, ids[1])
        .await
        .unwrap()
        .unwrap()
        .inbox_sent_at
        .expect("marked for the inbox");
    let again = contributor
        .post(
            &format!("/w/acme/listening/mentions/{}/inbox", ids[1]),
            &[("back", "")],
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let page = contributor.get(&again.location.unwrap()).await;
    assert!(
        page.body
            .contains("already sent to the inbox; it was not sent twice"),
        "a second send is refused politely"
    );
    let still = fx
        .app
        .store
        .mention(fx.ws.id, ids[1])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(still.inbox_sent_at, Some(first_at));
    // It is now a conversation of the inbox, once, whose message is the mention's text.
    let conversations = fx
        .app
        .store
        .list_conversations(
            fx.ws.id,
            &relais_store::inbox::ConversationFilter::default(),
            Timestamp::now(),
            None,
            10,
        )
        .await
        .unwrap();
    assert_eq!(conversations.len(), 1, "sent once, one conversation");
    let messages = fx
        .app
        .store
        .conversation_messages(fx.ws.id, conversations[0].id)
        .await
        .unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].text, still.text);
    assert_eq!(messages[0].network_id.as_deref(), Some(still.key.as_str()));

    // Another workspace's mention: 404, even for a right the member holds.
    let foreign = contributor
        .post(
            &format!("/w/acme/listening/mentions/{rival_id}/tag"),
            &[("tag", "x")],
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert!(
        fx.app
            .store
            .mention(fx.other.id, rival_id)
            .await
            .unwrap()
            .unwrap()
            .tags
            .is_empty()
    );
    let unknown = contributor
        .post(&format!("/w/acme/listening/mentions/{a_id}/explode"), &[])
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    // Live: nothing newer than the newest shown, then one more arrives.
    let page = contributor.get("/w/acme/listening/mentions?lang=fr").await;
    let at = page.body.find("data-poll=\"").unwrap() + "data-poll=\"".len();
    let poll = unescape(&page.body[at..at + page.body[at..].find('"').unwrap()]);
    assert!(
        poll.starts_with("/w/acme/listening/mentions/new?lang=fr&since="),
        "{poll}"
    );
    let none = contributor.get(&poll).await;
    assert_eq!(none.status, StatusCode::OK);
    assert_eq!(none.json()["count"], 0, "{}", none.body);
    // Found after the page was made: one published later, one published long before (a
    // feed's old item found late), and one the filters leave out.
    let found_now = Timestamp::from_millis(Timestamp::now().millis() + 1000);
    let mut newer = mention(&fx.ws, "ECHO arrived later", MAY_1 + 3 * DAY);
    newer.lang = Some("fr".into());
    newer.found_at = found_now;
    let mut older = mention(&fx.ws, "GOLF published long ago", MAY_1 - 30 * DAY);
    older.lang = Some("fr".into());
    older.found_at = found_now;
    let mut english = mention(&fx.ws, "FOXTROT in English", MAY_1 + 3 * DAY);
    english.lang = Some("en".into());
    english.found_at = found_now;
    insert(&fx, vec![newer, older, english]).await;
    let two = contributor.get(&poll).await;
    assert_eq!(
        two.json()["count"],
        2,
        "what was found since, under the filters: {}",
        two.body
    );
    assert_eq!(two.json()["capped"], false);
}

#[tokio::test]
async fn the_stream_pages_by_keyset() {
    let fx = fixture().await;
    let many: Vec<NewMention> = (0..57)
        .map(|i| mention(&fx.ws, &format!("item-{i:03}-end"), MAY_1 + i * 60_000))
        .collect();
    insert(&fx, many).await;
    let mut analyst = member(&fx, "analyst@acme.test", &fx.ws, Role::Analyst).await;
    let first = analyst.get("/w/acme/listening/mentions?lang=").await;
    assert_eq!(listed(&first.body), 50);
    assert!(first.body.contains("item-056-end") && !first.body.contains("item-006-end"));
    let older = href_of(&first.body, "id=\"older\"");
    assert!(older.contains("before="), "{older}");
    let second = analyst.get(&older).await;
    assert_eq!(listed(&second.body), 7);
    for i in 0..7 {
        assert!(second.body.contains(&format!("item-{i:03}-end")));
    }
    assert!(
        !second.body.contains("item-007-end"),
        "no mention shown twice"
    );
    assert!(!second.body.contains("id=\"older\""), "the end");
    assert!(
        !second.body.contains("data-poll"),
        "only the newest page counts new ones"
    );
}

#[tokio::test]
async fn the_csv_holds_every_filtered_mention_with_formulas_defused() {
    let fx = fixture().await;
    let acme = add_query(&fx, &fx.ws, "Acme", "acme", QueryRole::Brand).await;
    let mut risky = mention(&fx.ws, "=HYPERLINK(\"http://evil.example\",\"x\")", MAY_1);
    risky.author = Some("@jean".into());
    risky.title = Some("Une, virgule".into());
    risky.sentiment = Sentiment::Negative;
    risky.score_milli = -420;
    risky.query_ids = vec![acme];
    let mut plain = mention(&fx.ws, "deux\nlignes", MAY_1 + DAY);
    plain.sentiment = Sentiment::Positive;
    insert(&fx, vec![risky, plain]).await;
    let mut analyst = member(&fx, "analyst@acme.test", &fx.ws, Role::Analyst).await;

    let csv = analyst.get("/w/acme/listening/mentions.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(
        csv.headers.get("content-type").unwrap(),
        "text/csv; charset=utf-8"
    );
    assert!(
        csv.headers
            .get("content-disposition")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("acme-mentions-")
    );
    let mut lines = csv.body.split("\r\n");
    assert_eq!(
        lines.next().unwrap(),
        "id,time,source,site,url,author,reach,language,sentiment,score,title,text,tags,queries,muted,duplicate_of,sent_to_inbox"
    );
    assert!(
        csv.body.contains("\"deux\nlignes\""),
        "a text on two lines is quoted"
    );
    let risky_line = csv
        .body
        .split("\r\n")
        .find(|l| l.contains("HYPERLINK"))
        .unwrap();
    assert!(
        risky_line.contains(",\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\","),
        "{risky_line}"
    );
    assert!(risky_line.contains(",'@jean,"), "{risky_line}");
    assert!(
        risky_line.contains(",negative,-0.420,\"Une, virgule\","),
        "{risky_line}"
    );
    assert!(risky_line.contains(",Acme,false,"), "{risky_line}");
    assert!(
        risky_line.contains(",2024-05-01T12:00:00Z,feed,news.example,https://news.example/a,"),
        "{risky_line}"
    );
    // Header, two rows, and the end of the last line.
    assert_eq!(csv.body.matches("\r\n").count(), 3);

    let filtered = analyst
        .get("/w/acme/listening/mentions.csv?sentiment=positive")
        .await;
    assert_eq!(filtered.body.matches("\r\n").count(), 2);
    assert!(!filtered.body.contains("HYPERLINK"));
    // The page's export link carries its filters.
    let page = analyst
        .get("/w/acme/listening/mentions?sentiment=positive&before=1.x")
        .await;
    assert_eq!(
        href_of(&page.body, "id=\"csv\""),
        "/w/acme/listening/mentions.csv?sentiment=positive"
    );
    // Exports longer than one read of the store are whole.
    let bulk: Vec<NewMention> = (0..1_003)
        .map(|i| mention(&fx.ws, &format!("bulk {i}"), MAY_1 - DAY - i))
        .collect();
    insert(&fx, bulk).await;
    let all = analyst
        .get("/w/acme/listening/mentions.csv?sentiment=neutral")
        .await;
    assert_eq!(
        all.body
            .split("\r\n")
            .filter(|l| l.contains(",bulk "))
            .count(),
        1_003
    );
    let mut ids: Vec<&str> = all
        .body
        .split("\r\n")
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| &l[..36])
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 1_003, "no row twice");
}

#[tokio::test]
async fn the_analysis_shows_share_of_voice_computed_right() {
    let fx = fixture().await;
    let acme = add_query(&fx, &fx.ws, "Acme", "acme", QueryRole::Brand).await;
    let rival = add_query(&fx, &fx.ws, "Rival", "rival", QueryRole::Competitor).await;
    let topic = add_query(&fx, &fx.ws, "Livraison", "livraison", QueryRole::Topic).await;
    let now = Timestamp::now().millis();
    let hour = 3_600_000;
    // Acme: 3 alone + 1 shared = 4; Rival: 1 alone + 1 shared = 2; the topic is not a voice.
    let mut set = Vec::new();
    for (i, (text, queries, sentiment)) in [
        ("acme colis parfait", vec![acme], Sentiment::Positive),
        ("acme colis abime", vec![acme], Sentiment::Negative),
        ("acme colis retard", vec![acme], Sentiment::Negative),
        (
            "acme contre rival colis",
            vec![acme, rival],
            Sentiment::Neutral,
        ),
        ("rival colis", vec![rival], Sentiment::Neutral),
        ("livraison colis", vec![topic], Sentiment::Neutral),
    ]
    .into_iter()
    .enumerate()
    {
        let mut m = mention(&fx.ws, text, now - (i as i64 + 1) * hour);
        m.query_ids = queries;
        m.sentiment = sentiment;
        m.author = match i {
            0..=2 => Some("jean".into()),
            3 | 4 => Some("marie".into()),
            _ => None,
        };
        m.reach = Some(100 * (i as u64 + 1));
        set.push(m);
    }
    // Older than 7 days: only in the 30-day view.
    let mut old = mention(&fx.ws, "acme ancien", now - 10 * DAY);
    old.query_ids = vec![acme];
    set.push(old);
    insert(&fx, set).await;

    let mut analyst = member(&fx, "analyst@acme.test", &fx.ws, Role::Analyst).await;
    let week = analyst.get("/w/acme/listening/analysis?period=7").await;
    assert_eq!(week.status, StatusCode::OK);
    let voices = &week.body[week.body.find("id=\"voices\"").unwrap()..];
    let voices = &voices[..voices.find("</table>").unwrap()];
    let row = |name: &str| -> Vec<String> {
        let at = voices.find(&format!(" {name}</td>")).unwrap();
        let row = &voices[at..at + voices[at..].find("</tr>").unwrap()];
        row.split("<td class=\"num\">")
            .skip(1)
            .map(|c| c[..c.find("</td>").unwrap()].to_owned())
            .collect()
    };
    assert_eq!(row("Acme"), ["4", "66.7%"]);
    assert_eq!(row("Rival"), ["2", "33.3%"]);
    assert!(
        !voices.contains("Livraison"),
        "a topic has no share of voice"
    );
    assert!(
        week.body.contains("id=\"total\">6<"),
        "each mention counted once"
    );
    // The charts, and their tables for screen readers.
    assert!(week.body.contains("<svg class=\"chart\""));
    assert!(week.body.matches("class=\"s0\"").count() >= 1);
    let days = &week.body[week.body.find("id=\"sentiment-days\"").unwrap()..];
    let days = &days[..days.find("</table>").unwrap()];
    let cells: u64 = days
        .split("<td>")
        .skip(1)
        .map(|c| c[..c.find("</td>").unwrap()].parse::<u64>().unwrap())
        .sum();
    assert_eq!(cells, 6, "the sentiment table counts every mention: {days}");
    // Top authors and terms: the queries' own words and stop words are left out.
    let authors = &week.body[week.body.find("id=\"top-authors\"").unwrap()..];
    assert!(authors.find("jean").unwrap() < authors.find("marie").unwrap());
    let terms = &week.body[week.body.find("id=\"top-terms\"").unwrap()..];
    let terms = &terms[..terms.find("</section>").unwrap()];
    assert!(
        terms.contains("<td>colis</td><td class=\"num\">6</td>"),
        "{terms}"
    );
    assert!(!terms.contains("<td>acme</td>") && !terms.contains("<td>contre</td>"));

    let month = analyst.get("/w/acme/listening/analysis?period=30").await;
    let voices = &month.body[month.body.find("id=\"voices\"").unwrap()..];
    assert!(
        voices.contains("<td class=\"num\">5</td><td class=\"num\">71.4%</td>"),
        "5 of 7"
    );
}

#[tokio::test]
async fn sources_are_validated_imported_and_their_health_shown() {
    let fx = fixture().await;
    let mut editor = member(&fx, "editor@acme.test", &fx.ws, Role::Editor).await;
    let added = editor
        .post(
            "/w/acme/listening/sources",
            &[
                ("kind", "feed"),
                ("target", " https://blog.example/feed "),
                ("label", "Blog"),
                ("interval", "30"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let sources = fx.app.store.listen_sources(fx.ws.id).await.unwrap();
    assert_eq!(sources.len(), 1);
    assert_eq!(sources[0].target, "https://blog.example/feed");
    assert_eq!(sources[0].interval_secs, 1800);

    for (target, kind) in [
        ("ftp://blog.example/feed", "feed"),
        ("blog.example", "page"),
        ("javascript:alert(1)", "page"),
    ] {
        let bad = editor
            .post(
                "/w/acme/listening/sources",
                &[
                    ("kind", kind),
                    ("target", target),
                    ("label", ""),
                    ("interval", "15"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{target}");
        assert!(
            bad.body.contains("starting with http:// or https://"),
            "{target}"
        );
        assert!(
            bad.body.contains(&format!("value=\"{target}\"")),
            "the address is kept: {target}"
        );
    }
    let again = editor
        .post(
            "/w/acme/listening/sources",
            &[
                ("kind", "feed"),
                ("target", "https://blog.example/feed"),
                ("interval", "15"),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("already has this source"));

    // A network search needs a connected account of that network.
    let no_channel = editor
        .post(
            "/w/acme/listening/sources",
            &[
                ("kind", "bluesky"),
                ("target", "acme"),
                ("channel", ""),
                ("interval", "15"),
            ],
        )
        .await;
    assert_eq!(no_channel.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_channel.body.contains("connected Bluesky account"));
    let channel = fx
        .app
        .store
        .create_channel(
            NewChannel {
                id: ChannelId::new(),
                workspace_id: fx.ws.id,
                network: "bluesky".into(),
                name: "Acme Bsky".into(),
                settings: serde_json::json!({ "handle": "acme.example" }),
                secrets: Default::default(),
                created_by: None,
            },
            audit(&fx.ws),
        )
        .await
        .unwrap();
    let narrowed = editor
        .post(
            "/w/acme/listening/sources",
            &[
                ("kind", "bluesky"),
                ("target", "in:x acme"),
                ("channel", &channel.id.to_string()),
                ("interval", "15"),
            ],
        )
        .await;
    assert_eq!(
        narrowed.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "in: is for YouTube and Reddit"
    );
    let search = editor
        .post(
            "/w/acme/listening/sources",
            &[
                ("kind", "bluesky"),
                ("target", "acme -emploi"),
                ("channel", &channel.id.to_string()),
                ("interval", "15"),
            ],
        )
        .await;
    assert_eq!(search.status, StatusCode::SEE_OTHER, "{}", search.body);
    let wrong_network = editor
        .post(
            "/w/acme/listening/sources",
            &[
                ("kind", "mastodon"),
                ("target", "acme"),
                ("channel", &channel.id.to_string()),
                ("interval", "15"),
            ],
        )
        .await;
    assert_eq!(wrong_network.status, StatusCode::UNPROCESSABLE_ENTITY);

    // OPML: one new feed, one the workspace has, one that is no web address.
    let opml = br#"<?xml version="1.0"?>
<opml version="2.0"><head><title>Abonnements</title></head><body>
  <outline text="Presse">
    <outline type="rss" text="Nouveau" xmlUrl="https://news.example/rss.xml" htmlUrl="https://news.example/"/>
    <outline type="rss" text="Le blog" xmlUrl="https://blog.example/feed"/>
    <outline type="rss" text="Casse" xmlUrl="ftp://old.example/feed"/>
  </outline>
</body></opml>"#;
    let imported = editor
        .post_multipart(
            "/w/acme/listening/sources/opml",
            &[],
            &[Upload::new("opml", "subs.opml", "text/x-opml", opml)],
        )
        .await;
    assert_eq!(imported.status, StatusCode::SEE_OTHER, "{}", imported.body);
    let report = editor.get(&imported.location.unwrap()).await;
    assert!(
        report
            .body
            .contains("Import done: 1 added, 1 already there, 1 skipped"),
        "{}",
        report.body
    );
    let sources = fx.app.store.listen_sources(fx.ws.id).await.unwrap();
    let feed = sources
        .iter()
        .find(|s| s.target == "https://news.example/rss.xml")
        .expect("imported");
    assert_eq!(feed.label.as_deref(), Some("Nouveau"));
    assert_eq!(sources.len(), 3);
    let not_opml = editor
        .post_multipart(
            "/w/acme/listening/sources/opml",
            &[],
            &[Upload::new(
                "opml",
                "page.html",
                "text/html",
                b"<html><body>hi</body></html>",
            )],
        )
        .await;
    assert_eq!(not_opml.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(not_opml.body.contains("not an OPML file"));

    // Health: a failing source says why and when.
    let blog = sources
        .iter()
        .find(|s| s.target == "https://blog.example/feed")
        .unwrap();
    fx.app
        .store
        .record_poll(
            blog.id,
            PollState {
                failures: 3,
                last_error: Some("the server answered 503 Service Unavailable".into()),
                last_error_at: Some(Timestamp::from_millis(MAY_1)),
                last_success_at: Some(Timestamp::from_millis(MAY_1 - DAY)),
                next_poll_at: Some(Timestamp::from_millis(MAY_1 + DAY)),
                ..PollState::default()
            },
        )
        .await
        .unwrap();
    let page = editor.get("/w/acme/listening/sources").await;
    let row = &page.body[page.body.find(&format!("id=\"s-{}\"", blog.id)).unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("health-failing"), "{row}");
    assert!(row.contains("the server answered 503 Service Unavailable"));
    assert!(
        row.contains("2024-05-01 12:00 UTC"),
        "the error's time: {row}"
    );
    assert!(
        row.contains("2024-04-30 12:00 UTC"),
        "the last success: {row}"
    );
    assert!(row.contains("<dd>3</dd>"), "failures in a row: {row}");
    assert!(
        page.body.contains("Acme Bsky (bluesky)"),
        "the search's account"
    );

    // Its label and interval change; a made-up interval is refused and changes nothing.
    let edited = editor
        .post(
            &format!("/w/acme/listening/sources/{}", blog.id),
            &[("label", "Le blog"), ("interval", "60")],
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER);
    let refused = editor
        .post(
            &format!("/w/acme/listening/sources/{}", blog.id),
            &[("label", "Autre"), ("interval", "0")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let s = fx
        .app
        .store
        .listen_source(fx.ws.id, blog.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (s.label.as_deref(), s.interval_secs),
        (Some("Le blog"), 3600)
    );

    // Off, on, deleted; each audited.
    for action in ["disable", "enable", "delete"] {
        let done = editor
            .post(
                &format!("/w/acme/listening/sources/{}/{action}", blog.id),
                &[],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{action}");
        if action == "disable" {
            let s = fx
                .app
                .store
                .listen_source(fx.ws.id, blog.id)
                .await
                .unwrap()
                .unwrap();
            assert!(!s.enabled);
        }
    }
    assert!(
        fx.app
            .store
            .listen_source(fx.ws.id, blog.id)
            .await
            .unwrap()
            .is_none()
    );
    assert_audited(
        &fx,
        &[
            "listen.source.create",
            "listen.source.update",
            "listen.source.disable",
            "listen.source.enable",
            "listen.source.delete",
        ],
    )
    .await;
}

#[tokio::test]
async fn alert_rules_check_keywords_and_seal_webhook_secrets() {
    let fx = fixture().await;
    let acme = add_query(&fx, &fx.ws, "Acme", "acme", QueryRole::Brand).await;
    let mut editor = member(&fx, "editor@acme.test", &fx.ws, Role::Editor).await;
    let bad = editor
        .post(
            "/w/acme/listening/alerts",
            &[
                ("name", "Crise"),
                ("kind", "keyword"),
                ("keywords", "boycott NEAR"),
                ("k", "3"),
                ("min_mentions", "5"),
                ("delivery", "instant"),
                ("email", ""),
                ("webhook_url", "https://hooks.example/relais"),
                ("webhook_secret", "very-secret-value"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let column = relais_listen::query::Query::parse("boycott NEAR")
        .unwrap_err()
        .column;
    assert!(
        bad.body.contains(&format!("Column {column}:")),
        "{}",
        bad.body
    );
    assert!(
        !bad.body.contains("very-secret-value"),
        "a secret is never sent back"
    );
    assert!(bad.body.contains("value=\"Crise\""), "the form is kept");
    assert!(fx.app.store.alert_rules(fx.ws.id).await.unwrap().is_empty());

    let made = editor
        .post(
            "/w/acme/listening/alerts",
            &[
                ("name", "Crise"),
                ("kind", "keyword"),
                ("keywords", "boycott OR crise"),
                ("k", "3"),
                ("min_mentions", "5"),
                ("delivery", "daily"),
                ("email", "cm@acme.test"),
                ("webhook_url", "https://hooks.example/relais"),
                ("webhook_secret", "very-secret-value"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let spike = editor
        .post(
            "/w/acme/listening/alerts",
            &[
                ("name", "Pic Acme"),
                ("kind", "negative_spike"),
                ("query", &acme.to_string()),
                ("k", "2,5"),
                ("min_mentions", "8"),
                ("delivery", "instant"),
            ],
        )
        .await;
    assert_eq!(spike.status, StatusCode::SEE_OTHER, "{}", spike.body);
    let rules = fx.app.store.alert_rules(fx.ws.id).await.unwrap();
    let crise = rules.iter().find(|r| r.name == "Crise").unwrap();
    assert_eq!(crise.kind, AlertKind::Keyword);
    assert_eq!(crise.keywords.as_deref(), Some("boycott OR crise"));
    let sealed = String::from_utf8(crise.webhook_secret.clone().unwrap().0).unwrap();
    assert_ne!(sealed, "very-secret-value");
    assert_eq!(
        vault()
            .open(&format!("alert:{}", crise.id), &sealed)
            .unwrap(),
        "very-secret-value",
        "sealed to its rule"
    );
    assert_eq!(
        crise.webhook_url.as_deref(),
        Some("https://hooks.example/relais")
    );
    // The page and the audit log show the receiver's origin only (its path may be its secret).
    let listed = editor.get("/w/acme/listening/alerts").await;
    assert!(
        listed.body.contains("https://hooks.example/…"),
        "{}",
        listed.body
    );
    assert!(!listed.body.contains("hooks.example/relais"));
    let log = fx
        .app
        .store
        .audit_log(Some(fx.ws.id), None, 50)
        .await
        .unwrap();
    assert!(
        log.iter()
            .all(|r| !r.event.details.to_string().contains("hooks.example/relais")),
        "the audit log keeps no webhook path"
    );
    let pic = rules.iter().find(|r| r.name == "Pic Acme").unwrap();
    assert_eq!(
        (pic.query_id, pic.k_milli, pic.min_mentions),
        (Some(acme), 2500, 8)
    );
    assert!(pic.webhook_secret.is_none());

    // Alerts are told in the page's language.
    fx.app
        .store
        .record_alert_event(NewAlertEvent {
            workspace_id: fx.ws.id,
            rule_id: pic.id,
            fired_at: Timestamp::from_millis(MAY_1),
            summary: "64 % negative mentions in the hour".into(),
            value_milli: 640,
            threshold_milli: 300,
            bucket_start: Some(Timestamp::from_millis(MAY_1 - 3_600_000)),
            mention_id: None,
        })
        .await
        .unwrap()
        .unwrap();
    let page = editor.get("/w/acme/listening/alerts").await;
    assert!(!page.body.contains("very-secret-value"));
    assert!(page.body.contains("<span class=\"chip\">signed</span>"));
    assert!(
        page.body
            .contains("64 % negative mentions in the hour from 2024-05-01 11:00 UTC")
    );
    assert!(page.body.contains("waiting to be sent"));
    editor.accept_language = Some("fr".into());
    let fr = editor.get("/w/acme/listening/alerts").await;
    assert!(
        fr.body.contains("64 % de mentions négatives dans l’heure"),
        "{}",
        fr.body
    );

    for action in ["disable", "enable", "delete"] {
        let done = editor
            .post(
                &format!("/w/acme/listening/alerts/{}/{action}", pic.id),
                &[],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{action}");
    }
    assert!(
        fx.app
            .store
            .alert_rule(fx.ws.id, pic.id)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn roles_are_checked_on_the_server() {
    let fx = fixture().await;
    let query = add_query(&fx, &fx.ws, "Acme", "acme", QueryRole::Brand).await;
    let m = insert(&fx, vec![mention(&fx.ws, "acme", MAY_1)]).await[0];
    let source = add_feed(&fx, &fx.ws, "https://blog.example/feed").await;
    let mut editor = member(&fx, "editor@acme.test", &fx.ws, Role::Editor).await;
    editor
        .post(
            "/w/acme/listening/alerts",
            &[
                ("name", "Pic"),
                ("kind", "volume_spike"),
                ("k", "3"),
                ("min_mentions", "5"),
                ("delivery", "instant"),
            ],
        )
        .await;
    let rule = fx.app.store.alert_rules(fx.ws.id).await.unwrap()[0].id;

    let mut analyst = member(&fx, "analyst@acme.test", &fx.ws, Role::Analyst).await;
    for page in [
        "",
        "/mentions",
        "/analysis",
        "/sources",
        "/alerts",
        "/mentions.csv",
    ] {
        let got = analyst.get(&format!("/w/acme/listening{page}")).await;
        assert_eq!(got.status, StatusCode::OK, "an analyst sees {page}");
        assert!(
            !got.body
                .contains("method=\"post\" action=\"/w/acme/listening"),
            "no forms on {page}"
        );
    }
    let posts = [
        "/w/acme/listening/queries".to_owned(),
        format!("/w/acme/listening/queries/{query}"),
        format!("/w/acme/listening/queries/{query}/delete"),
        format!("/w/acme/listening/sources/{source}"),
        "/w/acme/listening/test".to_owned(),
        format!("/w/acme/listening/mentions/{m}/tag"),
        format!("/w/acme/listening/mentions/{m}/untag"),
        format!("/w/acme/listening/mentions/{m}/mute"),
        format!("/w/acme/listening/mentions/{m}/unmute"),
        format!("/w/acme/listening/mentions/{m}/inbox"),
        "/w/acme/listening/sources".to_owned(),
        "/w/acme/listening/sources/opml".to_owned(),
        format!("/w/acme/listening/sources/{source}/disable"),
        format!("/w/acme/listening/sources/{source}/enable"),
        format!("/w/acme/listening/sources/{source}/delete"),
        "/w/acme/listening/alerts".to_owned(),
        format!("/w/acme/listening/alerts/{rule}/disable"),
        format!("/w/acme/listening/alerts/{rule}/enable"),
        format!("/w/acme/listening/alerts/{rule}/delete"),
    ];
    let fields = [
        ("name", "X"),
        ("role", "brand"),
        ("query", "x"),
        ("tag", "x"),
        ("kind", "feed"),
        ("target", "https://x.example/feed"),
    ];
    for path in &posts {
        let refused = analyst.post(path, &fields).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "analyst POST {path}");
    }
    let still = fx.app.store.mention(fx.ws.id, m).await.unwrap().unwrap();
    assert!(still.tags.is_empty() && !still.muted && still.inbox_sent_at.is_none());
    assert_eq!(
        fx.app.store.listen_queries(fx.ws.id).await.unwrap().len(),
        1
    );
    assert!(
        fx.app
            .store
            .listen_source(fx.ws.id, source)
            .await
            .unwrap()
            .unwrap()
            .enabled
    );

    // A contributor triages mentions but does not manage listening.
    let mut contributor = member(&fx, "contrib@acme.test", &fx.ws, Role::Contributor).await;
    let tagged = contributor
        .post(
            &format!("/w/acme/listening/mentions/{m}/tag"),
            &[("tag", "vu")],
        )
        .await;
    assert_eq!(tagged.status, StatusCode::SEE_OTHER);
    let page = contributor.get("/w/acme/listening").await;
    assert!(
        !page.body.contains("id=\"query-form\""),
        "no query form for a contributor"
    );
    let stream = contributor.get("/w/acme/listening/mentions").await;
    assert!(
        stream.body.contains(&format!("/mentions/{m}/mute")),
        "triage buttons shown"
    );
    for path in [
        "/w/acme/listening/queries".to_owned(),
        "/w/acme/listening/sources".to_owned(),
        "/w/acme/listening/alerts".to_owned(),
        format!("/w/acme/listening/sources/{source}/delete"),
    ] {
        let refused = contributor.post(&path, &fields).await;
        assert_eq!(
            refused.status,
            StatusCode::FORBIDDEN,
            "contributor POST {path}"
        );
    }
    assert_eq!(
        fx.app.store.listen_queries(fx.ws.id).await.unwrap().len(),
        1
    );

    // Without a login: to the login page.
    let mut stranger = Browser::new(&fx.app);
    let out = stranger.get("/w/acme/listening").await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(out.location.unwrap().starts_with("/login"));
}

#[tokio::test]
async fn another_workspace_s_rows_are_not_found() {
    let fx = fixture().await;
    let theirs_query = add_query(&fx, &fx.other, "Rival", "rival", QueryRole::Brand).await;
    let mut theirs = mention(&fx.other, "theirs", MAY_1);
    theirs.key = "theirs".into();
    let theirs_mention = insert(&fx, vec![theirs]).await[0];
    let theirs_source = add_feed(&fx, &fx.other, "https://rival.example/feed").await;
    // An admin of both would see them; an admin of one only is a stranger to the other.
    let mut admin = member(&fx, "admin@acme.test", &fx.ws, Role::Admin).await;
    let q = theirs_query.to_string();
    for (path, fields) in [
        (
            format!("/w/acme/listening/mentions/{theirs_mention}/tag"),
            vec![("tag", "x")],
        ),
        (
            format!("/w/acme/listening/mentions/{theirs_mention}/inbox"),
            vec![],
        ),
        (
            format!("/w/acme/listening/queries/{q}"),
            vec![("name", "x"), ("query", "x")],
        ),
        (format!("/w/acme/listening/queries/{q}/delete"), vec![]),
        (
            format!("/w/acme/listening/sources/{theirs_source}/delete"),
            vec![],
        ),
        (
            "/w/acme/listening/test".to_owned(),
            vec![("editing", q.as_str()), ("query", "x")],
        ),
    ] {
        let answer = admin.post(&path, &fields).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
    }
    let edit = admin.get(&format!("/w/acme/listening?edit={q}")).await;
    assert_eq!(edit.status, StatusCode::NOT_FOUND);
    let rival_page = admin.get("/w/rival/listening").await;
    assert_eq!(
        rival_page.status,
        StatusCode::NOT_FOUND,
        "not a member there"
    );
    assert!(
        fx.app
            .store
            .mention(fx.other.id, theirs_mention)
            .await
            .unwrap()
            .unwrap()
            .tags
            .is_empty()
    );
    assert!(
        fx.app
            .store
            .listen_source(fx.other.id, theirs_source)
            .await
            .unwrap()
            .is_some()
    );
    // A filter naming their query finds nothing here.
    let filtered = admin
        .get(&format!("/w/acme/listening/mentions?query={q}"))
        .await;
    assert_eq!(listed(&filtered.body), 0);
    let csv = admin
        .get(&format!("/w/acme/listening/mentions.csv?query={q}"))
        .await;
    assert_eq!(csv.body.matches("\r\n").count(), 1, "the header only");
}

#[tokio::test]
async fn pages_render_in_french_and_in_english() {
    let fx = fixture().await;
    let acme = add_query(&fx, &fx.ws, "Acme", "acme", QueryRole::Competitor).await;
    let mut one = mention(&fx.ws, "acme", Timestamp::now().millis() - 60_000);
    one.query_ids = vec![acme];
    insert(&fx, vec![one]).await;
    let mut editor = member(&fx, "editor@acme.test", &fx.ws, Role::Editor).await;
    editor.accept_language = Some("fr-FR,fr;q=0.9".into());
    let fr = editor.get("/w/acme/listening").await;
    assert_eq!(fr.status, StatusCode::OK);
    assert!(fr.body.contains("<html lang=\"fr\">"));
    assert!(fr.body.contains("Tester cette requête"));
    assert!(fr.body.contains(">Concurrent<"));
    assert!(
        fr.body.contains("aria-current=\"page\">Veille</a>"),
        "the section is lit"
    );
    let fr_stream = editor.get("/w/acme/listening/mentions").await;
    assert!(
        fr_stream
            .body
            .contains("Envoyer dans la boîte de réception")
    );
    let fr_analysis = editor.get("/w/acme/listening/analysis?period=7").await;
    assert!(fr_analysis.body.contains("Part de voix"));
    assert!(fr_analysis.body.contains("100,0 %"), "French numbers");
    editor.accept_language = Some("en".into());
    let en = editor.get("/w/acme/listening").await;
    assert!(en.body.contains("<html lang=\"en\">"));
    assert!(en.body.contains("Test this query"));
    assert!(en.body.contains(">Competitor<"));
    assert!(!en.body.contains("On its way"), "no longer a page to come");
    let en_sources = editor.get("/w/acme/listening/sources").await;
    assert!(en_sources.body.contains("Import feeds (OPML)"));
}
