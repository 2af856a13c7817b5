//! Feeds of every format and several charsets, served from files on a loopback server, read
//! through the real client.

mod support;

use axum::Router;
use relais_sources::{FeedError, FeedOutcome, PollError, feed::MAX_ITEMS};
use support::{file, first_poll, read_feed, serve};

const RSS: &str = "application/rss+xml";
const XML: &str = "text/xml";

async fn server() -> String {
    serve(
        Router::new()
            .route("/rss091.xml", file(RSS, "rss091.xml"))
            .route("/rss092.xml", file(RSS, "rss092.xml"))
            .route("/rss10.rdf", file("application/rdf+xml", "rss10.rdf"))
            .route("/blog/rss20.xml", file(RSS, "rss20.xml"))
            .route(
                "/news/feed.atom",
                file("application/atom+xml", "atom10.xml"),
            )
            .route("/latin1-declared.xml", file(XML, "latin1-declared.xml"))
            .route(
                "/latin1-header.xml",
                file("text/xml; charset=ISO-8859-1", "latin1-undeclared.xml"),
            )
            .route(
                "/latin1-mislabelled.xml",
                file("text/xml; charset=utf-8", "latin1-undeclared.xml"),
            )
            .route("/cp1252.xml", file(XML, "windows-1252.xml"))
            .route("/broken.xml", file(RSS, "broken-truncated.xml"))
            .route("/ampersand.xml", file(RSS, "broken-ampersand.xml"))
            .route("/site/index.html", file("text/html", "page-with-feed.html"))
            .route("/subscriptions.opml", file(XML, "subscriptions.opml"))
            .route(
                "/not-xml",
                axum::routing::get(|| async { "hello, I am plain text\n" }),
            )
            .route(
                "/image.png",
                axum::routing::get(|| async {
                    (
                        [(axum::http::header::CONTENT_TYPE, "image/png")],
                        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
                    )
                }),
            ),
    )
    .await
}

fn titles(feed: &relais_sources::ParsedFeed) -> Vec<&str> {
    feed.items
        .iter()
        .map(|i| i.title.as_deref().unwrap_or(""))
        .collect()
}

#[tokio::test]
async fn rss_091_and_092() {
    let base = server().await;
    let feed = read_feed(&format!("{base}/rss091.xml")).await;
    assert_eq!(feed.title.as_deref(), Some("Les nouvelles du port"));
    assert_eq!(feed.site.as_deref(), Some("port.example"));
    assert_eq!(
        titles(&feed),
        ["Le ferry reprend ses rotations", "Travaux sur la jetée"]
    );
    let first = &feed.items[0];
    assert_eq!(
        first.key, "https://port.example/ferry",
        "no guid: the link is the key"
    );
    assert_eq!(first.lang.as_deref(), Some("fr"), "the channel's language");
    assert!(first.text.starts_with("Après trois jours"));

    let feed = read_feed(&format!("{base}/rss092.xml")).await;
    assert_eq!(feed.items.len(), 2);
    let untitled = &feed.items[0];
    assert_eq!(untitled.title, None);
    assert_eq!(untitled.text, "L'émission du samedi parle de Relais.");
    assert!(untitled.key.starts_with("sha256:"), "{}", untitled.key);
    assert_eq!(untitled.site.as_deref(), Some("radio.example"));
}

#[tokio::test]
async fn rss_10_rdf() {
    let base = server().await;
    let feed = read_feed(&format!("{base}/rss10.rdf")).await;
    assert_eq!(feed.items.len(), 1);
    let item = &feed.items[0];
    assert_eq!(item.title.as_deref(), Some("Accueil modifié"));
    assert_eq!(item.author.as_deref(), Some("Camille"));
    assert_eq!(item.published_at, Some(1_772_355_600_000)); // 2026-03-01T09:00:00Z
    assert_eq!(
        item.url.as_deref(),
        Some("https://wiki.example/page/Accueil")
    );
}

#[tokio::test]
async fn rss_20_content_links_dates() {
    let base = server().await;
    let feed = read_feed(&format!("{base}/blog/rss20.xml")).await;
    assert_eq!(feed.title.as_deref(), Some("Le blog de l’atelier"));
    assert_eq!(feed.site.as_deref(), Some("atelier.example"));
    let [first, second, future] = &feed.items[..] else {
        panic!("three items: {:?}", feed.items);
    };

    assert_eq!(first.key, "atelier-2026-001");
    assert_eq!(
        first.title.as_deref(),
        Some("Nouvel atelier & nouveaux horaires")
    );
    assert_eq!(
        first.text, "Nous déménageons rue des Lilas.\nMerci à tous…",
        "content:encoded wins over description; script dropped, entities decoded"
    );
    assert_eq!(
        first.url.as_deref(),
        Some(format!("{base}/blog/nouvel-atelier").as_str()),
        "a relative link is resolved against the feed's address"
    );
    assert_eq!(first.site.as_deref(), Some("127.0.0.1"));
    assert_eq!(first.author.as_deref(), Some("Sam"));
    assert_eq!(first.lang.as_deref(), Some("fr-FR"));
    assert_eq!(first.published_at, Some(1_772_440_200_000)); // 2026-03-02T08:30:00Z

    assert_eq!(second.title.as_deref(), Some("Premier vélo du mois"));
    assert_eq!(
        second.url.as_deref(),
        Some("https://atelier.example/blog/premier-velo"),
        "a permalink guid is the address"
    );

    assert_eq!(future.published_at, None, "a date in 2100 is dropped");
    assert_eq!(feed.dropped, 0);
}

#[tokio::test]
async fn atom_10() {
    let base = server().await;
    let feed = read_feed(&format!("{base}/news/feed.atom")).await;
    assert_eq!(feed.title.as_deref(), Some("Harbour & Co news"));
    assert_eq!(
        feed.site.as_deref(),
        Some("harbour.example"),
        "the alternate link, not self"
    );
    let [spring, plain] = &feed.items[..] else {
        panic!("two entries: {:?}", feed.items);
    };
    assert_eq!(spring.title.as_deref(), Some("Spring opening"));
    assert_eq!(spring.text, "We open on March 20.\nSee you there!");
    assert_eq!(
        spring.url.as_deref(),
        Some(format!("{base}/news/news/spring").as_str())
    );
    assert_eq!(spring.author.as_deref(), Some("Alex"));
    assert_eq!(
        spring.published_at,
        Some(1_772_438_400_000),
        "published before updated"
    );
    assert_eq!(spring.lang.as_deref(), Some("en"));

    assert_eq!(plain.title.as_deref(), Some("Less than 3 < 4"));
    assert_eq!(plain.text, "Plain text where <b> is not a tag.");
    assert_eq!(
        plain.author.as_deref(),
        Some("Harbour Team"),
        "the feed's author"
    );
    assert_eq!(plain.lang.as_deref(), Some("fr"));
    assert_eq!(plain.url, None);
}

#[tokio::test]
async fn charsets_declared_in_the_header_or_not_at_all() {
    let base = server().await;
    let expected = "Café à la crème, déjà ouvert";
    for path in [
        "latin1-declared.xml",
        "latin1-header.xml",
        "latin1-mislabelled.xml",
    ] {
        let feed = read_feed(&format!("{base}/{path}")).await;
        assert_eq!(feed.title.as_deref(), Some("Le café"), "{path}");
        assert_eq!(feed.items[0].title.as_deref(), Some(expected), "{path}");
        assert_eq!(feed.items[0].text, "Ici, on parle français.", "{path}");
    }
    let feed = read_feed(&format!("{base}/cp1252.xml")).await;
    assert_eq!(
        feed.items[0].title.as_deref(),
        Some("“L’été” coûte 5 € – enfin")
    );
    assert_eq!(feed.items[0].text, "Œuvre réalisée…");
}

#[tokio::test]
async fn a_bare_ampersand_is_repaired() {
    let base = server().await;
    let feed = read_feed(&format!("{base}/ampersand.xml")).await;
    assert_eq!(feed.title.as_deref(), Some("Tom & Jerry fan club"));
    let item = &feed.items[0];
    assert_eq!(item.title.as_deref(), Some("Tom & Jerry are back & better"));
    assert_eq!(item.text, "Café & cinéma");
    assert_eq!(item.url.as_deref(), Some("https://fans.example/?a=1&b=2"));
}

async fn failure(url: String) -> PollError {
    let poll = first_poll(&url).await;
    assert_eq!(
        poll.state.failures, 1,
        "{url}: the failure is on the source"
    );
    assert!(poll.state.last_error.is_some());
    match poll.outcome {
        FeedOutcome::Failed(error) => error,
        other => panic!("{url}: expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn truncated_xml_is_a_failure_that_says_so() {
    let base = server().await;
    let error = failure(format!("{base}/broken.xml")).await;
    assert!(
        matches!(error, PollError::NotAFeed(FeedError::BrokenXml { .. })),
        "{error:?}"
    );
    assert!(error.to_string().contains("XML is broken"), "{error}");
}

#[tokio::test]
async fn an_html_page_points_to_its_feed() {
    let base = server().await;
    let error = failure(format!("{base}/site/index.html")).await;
    let PollError::NotAFeed(FeedError::HtmlPage { feed_links }) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(feed_links, &[format!("{base}/blog/feed.xml")]);
    assert!(
        error
            .to_string()
            .contains(&format!("its feed may be at {base}/blog/feed.xml")),
        "{error}"
    );
}

#[tokio::test]
async fn other_documents_are_named() {
    let base = server().await;
    let error = failure(format!("{base}/not-xml")).await;
    assert!(
        error.to_string().contains("hello, I am plain text"),
        "{error}"
    );
    let error = failure(format!("{base}/image.png")).await;
    assert!(error.to_string().contains("image/png"), "{error}");
    let error = failure(format!("{base}/subscriptions.opml")).await;
    assert!(error.to_string().contains("OPML import"), "{error}");
    assert_eq!(error.code(), "feed.other_xml");
}

#[tokio::test]
async fn a_huge_feed_is_cut_to_the_newest_items() {
    let total = MAX_ITEMS + 137; // 637 = 7² × 13
    let items: String = (0..total)
        .map(|i| {
            // The file lists the items shuffled (i × 11 mod 637 visits every minute once), so
            // that "the newest" is not simply "the first".
            let minute = (i * 11) % total;
            let text = if minute.is_multiple_of(50) {
                "long text ".repeat(2500)
            } else {
                format!("text {minute}")
            };
            format!(
                "<item><guid>g{minute}</guid><title>Item {minute}</title>\
                 <pubDate>{}</pubDate><description>{text}</description></item>",
                httpdate_at(START + minute as u64 * 60),
            )
        })
        .collect();
    let doc = format!("<rss version=\"2.0\"><channel><title>Big</title>{items}</channel></rss>");
    let base = serve(Router::new().route(
        "/big.xml",
        axum::routing::get(move || {
            let doc = doc.clone();
            async move { doc }
        }),
    ))
    .await;
    let feed = read_feed(&format!("{base}/big.xml")).await;
    assert_eq!(feed.items.len(), MAX_ITEMS);
    assert_eq!(feed.dropped, total - MAX_ITEMS);
    let mut minutes: Vec<i64> = feed
        .items
        .iter()
        .filter_map(|i| i.published_at)
        .map(|t| (t / 1000 - START as i64) / 60)
        .collect();
    minutes.sort_unstable();
    let expected: Vec<i64> = ((total - MAX_ITEMS) as i64..total as i64).collect();
    assert_eq!(minutes, expected, "the {} newest are kept", MAX_ITEMS);
    let longest = feed
        .items
        .iter()
        .map(|i| i.text.chars().count())
        .max()
        .unwrap_or(0);
    let cap = relais_sources::feed::MAX_TEXT_CHARS;
    // The cut falls on a space, which is not kept at the very end.
    assert!(
        (cap - 1..=cap).contains(&longest),
        "texts are capped: {longest}"
    );
}

/// 2026-03-01T00:00:00Z.
const START: u64 = 1_772_323_200;

fn httpdate_at(unix_seconds: u64) -> String {
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix_seconds))
}
