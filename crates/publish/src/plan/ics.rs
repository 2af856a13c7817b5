//! The publishing calendar as iCalendar (RFC 5545), for calendar apps that subscribe to a URL.
//! Written by hand: a feed of events needs a few properties, correct escaping (`\`, `;`, `,`,
//! new lines), CRLF line ends and lines folded at 75 octets without splitting a character.

use chrono::{TimeZone, Utc};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Stable across feeds, so calendar apps update an event instead of adding a new one.
    pub uid: String,
    pub start_ms: i64,
    pub summary: String,
    pub description: String,
    pub url: Option<String>,
}

fn stamp(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.format("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_else(|| "19700101T000000Z".into())
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line, folded: at most 75 octets per line, continuation lines starting
/// with a space, never cutting a UTF-8 character.
fn line(out: &mut String, content: &str) {
    let mut used = 0;
    for c in content.chars() {
        let len = c.len_utf8();
        if used + len > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += len;
    }
    out.push_str("\r\n");
}

/// A whole calendar named `name`, stamped `now_ms`.
pub fn calendar(name: &str, events: &[Event], now_ms: i64) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//Relais//Publishing calendar//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, &format!("X-WR-CALNAME:{}", escape(name)));
    for e in events {
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}", escape(&e.uid)));
        line(&mut out, &format!("DTSTAMP:{}", stamp(now_ms)));
        line(&mut out, &format!("DTSTART:{}", stamp(e.start_ms)));
        line(&mut out, "DURATION:PT15M");
        line(&mut out, &format!("SUMMARY:{}", escape(&e.summary)));
        line(&mut out, &format!("DESCRIPTION:{}", escape(&e.description)));
        if let Some(url) = &e.url {
            line(&mut out, &format!("URL:{}", escape(url)));
        }
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_escaped_folded_and_in_utc() {
        let e = Event {
            uid: "post-1@relais".into(),
            start_ms: 1_782_896_400_000,
            summary: "Soldes ; -50 %, ce week-end\nvenez !".into(),
            description: "é".repeat(60),
            url: None,
        };
        let ics = calendar("Acme", &[e], 0);
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(ics.contains("DTSTART:20260701T090000Z\r\n"));
        assert!(ics.contains("SUMMARY:Soldes \\; -50 %\\, ce week-end\\nvenez !\r\n"));
        for l in ics.split("\r\n") {
            assert!(l.len() <= 75, "folded: {l:?}");
        }
        let unfolded = ics.replace("\r\n ", "");
        assert!(
            unfolded.contains(&format!("DESCRIPTION:{}", "é".repeat(60))),
            "folding never splits a character"
        );
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
    }
}
