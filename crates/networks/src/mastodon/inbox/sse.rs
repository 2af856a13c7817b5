//! Server-sent events (the `text/event-stream` format Mastodon's streaming API speaks), read a
//! chunk at a time as they arrive: lines end with LF, CR or CRLF (a CRLF may be split across
//! two chunks), `event:` names the event, `data:` lines make its payload, lines that start
//! with `:` are comments (Mastodon's heartbeat, `:thump`), and a blank line ends an event.

/// The longest line kept: a notification with its status and accounts is a few kilobytes;
/// a line this long is no Mastodon event.
pub(crate) const MAX_LINE: usize = 1024 * 1024;

/// One event: its name (`message` when the server gave none) and its data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SseEvent {
    pub name: String,
    pub data: String,
}

/// An event or a line longer than [`MAX_LINE`]: the stream cannot be followed further.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TooLong;

#[derive(Debug, Default)]
pub(crate) struct SseParser {
    line: Vec<u8>,
    name: String,
    data: String,
    has_data: bool,
    /// The last byte was a CR: a LF right after it ends no second line.
    after_cr: bool,
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads `bytes` and returns the events they complete, in order. The result does not
    /// depend on how the stream was cut into chunks.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<SseEvent>, TooLong> {
        let mut events = Vec::new();
        for &b in bytes {
            let after_cr = std::mem::replace(&mut self.after_cr, b == b'\r');
            match b {
                b'\n' if after_cr => {}
                b'\r' | b'\n' => self.end_line(&mut events)?,
                _ => {
                    if self.line.len() >= MAX_LINE {
                        return Err(TooLong);
                    }
                    self.line.push(b);
                }
            }
        }
        Ok(events)
    }

    fn end_line(&mut self, events: &mut Vec<SseEvent>) -> Result<(), TooLong> {
        let line = std::mem::take(&mut self.line);
        if line.is_empty() {
            let name = std::mem::take(&mut self.name);
            let mut data = std::mem::take(&mut self.data);
            if std::mem::take(&mut self.has_data) {
                data.pop(); // the line feed after the last data line
                events.push(SseEvent {
                    name: if name.is_empty() {
                        "message".to_owned()
                    } else {
                        name
                    },
                    data,
                });
            }
            return Ok(());
        }
        if line.first() == Some(&b':') {
            return Ok(()); // a comment: the heartbeat
        }
        let text = String::from_utf8_lossy(&line);
        let (field, value) = match text.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (text.as_ref(), ""),
        };
        match field {
            "event" => self.name = value.to_owned(),
            "data" => {
                if self.data.len() + value.len() >= MAX_LINE {
                    return Err(TooLong);
                }
                self.data.push_str(value);
                self.data.push('\n');
                self.has_data = true;
            }
            // `id` and `retry` serve browsers' reconnection; Relais resumes by its cursor.
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(parser: &mut SseParser, chunks: &[&[u8]]) -> Vec<SseEvent> {
        chunks
            .iter()
            .flat_map(|c| parser.feed(c).expect("short lines"))
            .collect()
    }

    fn event(name: &str, data: &str) -> SseEvent {
        SseEvent {
            name: name.into(),
            data: data.into(),
        }
    }

    #[test]
    fn events_comments_and_line_ends() {
        let stream = b":connected\n\nevent: notification\ndata: {\"id\":\"1\"}\n\n:thump\n\n\
                       event:update\r\ndata:a\r\ndata: b\r\n\r\ndata: unnamed\r\r";
        let events = all(&mut SseParser::new(), &[stream]);
        assert_eq!(
            events,
            [
                event("notification", "{\"id\":\"1\"}"),
                event("update", "a\nb"),
                event("message", "unnamed"),
            ]
        );
    }

    #[test]
    fn any_cut_gives_the_same_events() {
        let stream: &[u8] =
            b"event: notification\r\ndata: {\"x\": \"\xc3\xa9t\xc3\xa9\"}\r\n\r\n:thump\r\n\r\nevent: delete\ndata: 5\n\n";
        let whole = all(&mut SseParser::new(), &[stream]);
        assert_eq!(whole.len(), 2);
        assert_eq!(whole[0].data, "{\"x\": \"été\"}");
        for cut in 0..stream.len() {
            let (a, b) = stream.split_at(cut);
            assert_eq!(all(&mut SseParser::new(), &[a, b]), whole, "cut at {cut}");
        }
        // Byte by byte, too.
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(all(&mut SseParser::new(), &bytes), whole);
    }

    #[test]
    fn an_event_without_data_or_unfinished_is_not_given() {
        let mut p = SseParser::new();
        assert!(p.feed(b"event: notification\n\n").expect("ok").is_empty());
        assert!(p.feed(b"data: half").expect("ok").is_empty());
        assert_eq!(
            p.feed(b"\n\n").expect("ok"),
            [event("message", "half")],
            "the name of an event without data does not carry over"
        );
    }

    #[test]
    fn a_line_without_end_is_refused_at_the_cap() {
        let mut p = SseParser::new();
        let big = vec![b'x'; MAX_LINE];
        assert!(p.feed(&big).is_ok());
        assert_eq!(p.feed(b"x"), Err(TooLong));
        let mut p = SseParser::new();
        let half = format!("data: {}\n", "y".repeat(MAX_LINE / 2));
        assert!(p.feed(half.as_bytes()).is_ok());
        assert_eq!(p.feed(half.as_bytes()), Err(TooLong));
    }
}
