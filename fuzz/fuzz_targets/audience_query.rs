//! Stats API v2 bodies as any client may send them: never a panic in the parser, nor in the
//! engine answering what the parser accepted (over a small day of events).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use relais_audience::engine::answer::{Site, answer};
use relais_audience::engine::goal::Goal;
use relais_audience::engine::segment::Segment;
use relais_audience::event::{Seen, classify};
use relais_audience::ingest::plausible;
use relais_audience::query::parse::parse_query;

fn day() -> &'static Segment {
    static DAY: OnceLock<Segment> = OnceLock::new();
    DAY.get_or_init(|| {
        let bodies = [
            r#"{"n":"pageview","u":"https://e.com/","d":"e.com","r":"https://bsky.app/x"}"#,
            r#"{"n":"pageview","u":"https://e.com/pricing?utm_source=nl&utm_medium=email","d":"e.com"}"#,
            r#"{"n":"Signup","u":"https://e.com/pricing","d":"e.com","p":{"plan":"pro"}}"#,
            r#"{"n":"engagement","u":"https://e.com/pricing","d":"e.com","sd":70,"e":9000}"#,
        ];
        let events: Vec<_> = bodies
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let hit = plausible::parse(b.as_bytes()).unwrap();
                let seen = Seen { at_ms: 1_700_000_000_000 + i as i64 * 60_000, ip: "8.8.8.8".parse().unwrap(), user_agent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0" };
                classify(&hit, "site", seen, (i % 2) as u64, (i % 2) as u64)
            })
            .collect();
        Segment::build(&events)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(query) = parse_query(data) else { return };
    let goals = [Goal::event("Signup"), Goal::page("/pricing*")];
    let site = Site { goals: &goals, tz: chrono_tz::Europe::Paris, start: "2023-01-01".parse().unwrap() };
    let now = "2023-11-15T12:00:00Z".parse().unwrap();
    let _ = answer(&query, &[day()], site, now);
});
