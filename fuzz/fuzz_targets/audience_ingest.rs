//! What trackers send, as any client may send it (Plausible's `/api/event`, Umami's
//! `/api/send`), and what the hit becomes: never a panic; an accepted hit has an http(s) page,
//! at most 30 properties, and classifies (source, channel, browser, robot) without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relais_audience::classify::agent::{agent_of, is_bot};
use relais_audience::event::{Seen, classify};
use relais_audience::hit::{Hit, MAX_PROPS};
use relais_audience::ingest::{plausible, umami};

fn check(hit: &Hit, data: &[u8]) {
    assert!(matches!(hit.url.scheme(), "http" | "https"));
    assert!(hit.props.len() <= MAX_PROPS);
    assert!(!hit.sites.is_empty());
    let agent = String::from_utf8_lossy(data);
    let seen = Seen { at_ms: 1_700_000_000_000, ip: "203.0.113.9".parse().unwrap(), user_agent: &agent };
    let event = classify(hit, "site", seen, 1, 2);
    assert!(!event.pathname.is_empty());
    let _ = (is_bot(&agent), agent_of(&agent));
}

fuzz_target!(|data: &[u8]| {
    if let Ok(hit) = plausible::parse(data) {
        check(&hit, data);
    }
    if let Ok(Some(hit)) = umami::parse(data) {
        check(&hit, data);
    }
});
