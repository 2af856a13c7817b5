//! Just enough of an HTTP/1.1 response parser for the load generator: the status, where the
//! message ends (Content-Length or chunked), and whether the server will close the connection.
//!
//! Written here rather than taken from an HTTP client so that the generator costs the same, and
//! as little as possible, whichever server it measures. It never panics on what a server sends:
//! anything it does not understand is an [`Malformed`] error.

use std::ops::Range;

/// Headers longer than this are refused: no server under test sends that much.
const MAX_HEAD: usize = 64 * 1024;

/// A complete response at the start of a buffer.
#[derive(Debug, PartialEq, Eq)]
pub struct Parsed {
    pub status: u16,
    /// Bytes of the buffer this response takes (head and body); the next response starts there.
    pub consumed: usize,
    /// The server said it closes the connection after this response.
    pub close: bool,
    pub body: Body,
}

/// Where the body's bytes are in the buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Body {
    /// One run of bytes (Content-Length, or no body).
    Plain(Range<usize>),
    /// The data of each chunk, in order.
    Chunked(Vec<Range<usize>>),
}

impl Parsed {
    /// The body, decoded; `buf` must be the buffer this was parsed from.
    pub fn body_bytes(&self, buf: &[u8]) -> Vec<u8> {
        let ranges: &[Range<usize>] = match &self.body {
            Body::Plain(r) => std::slice::from_ref(r),
            Body::Chunked(rs) => rs,
        };
        let mut out = Vec::new();
        for r in ranges {
            if let Some(part) = buf.get(r.clone()) {
                out.extend_from_slice(part);
            }
        }
        out
    }

    /// Body length in bytes (decoded).
    pub fn body_len(&self) -> usize {
        match &self.body {
            Body::Plain(r) => r.len(),
            Body::Chunked(rs) => rs.iter().map(|r| r.len()).sum(),
        }
    }
}

/// What is wrong with a response, in words.
#[derive(Debug, PartialEq, Eq)]
pub struct Malformed(pub &'static str);

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed HTTP response: {}", self.0)
    }
}

impl std::error::Error for Malformed {}

/// Parses the response at the start of `buf`: `Ok(None)` when more bytes are needed.
pub fn parse(buf: &[u8]) -> Result<Option<Parsed>, Malformed> {
    let Some(head_len) = find(buf, b"\r\n\r\n").map(|i| i + 4) else {
        return if buf.len() > MAX_HEAD {
            Err(Malformed("the headers are longer than 64 KiB"))
        } else {
            Ok(None)
        };
    };
    let head = std::str::from_utf8(&buf[..head_len])
        .map_err(|_| Malformed("the headers are not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let (version, status) = status_line_parts(status_line)?;

    let mut length: Option<usize> = None;
    let mut chunked = false;
    let mut close = version == "HTTP/1.0";
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line
            .split_once(':')
            .ok_or(Malformed("a header line has no colon"))?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Malformed("Content-Length is not a number"));
            }
            let n: usize = value
                .parse()
                .map_err(|_| Malformed("Content-Length is too large"))?;
            if length.is_some_and(|m| m != n) {
                return Err(Malformed("two different Content-Length headers"));
            }
            length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value
                .rsplit(',')
                .next()
                .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"));
        } else if name.eq_ignore_ascii_case("connection") {
            for token in value.split(',').map(str::trim) {
                if token.eq_ignore_ascii_case("close") {
                    close = true;
                } else if token.eq_ignore_ascii_case("keep-alive") {
                    close = false;
                }
            }
        }
    }

    // 1xx, 204 and 304 have no body whatever the headers say.
    if status < 200 || status == 204 || status == 304 {
        return Ok(Some(Parsed {
            status,
            consumed: head_len,
            close,
            body: Body::Plain(head_len..head_len),
        }));
    }
    if chunked {
        return Ok(
            parse_chunks(buf, head_len)?.map(|(chunks, consumed)| Parsed {
                status,
                consumed,
                close,
                body: Body::Chunked(chunks),
            }),
        );
    }
    let Some(length) = length else {
        return Err(Malformed(
            "neither Content-Length nor chunked: the body would end only when the connection closes",
        ));
    };
    let end = head_len
        .checked_add(length)
        .ok_or(Malformed("Content-Length is too large"))?;
    if buf.len() < end {
        return Ok(None);
    }
    Ok(Some(Parsed {
        status,
        consumed: end,
        close,
        body: Body::Plain(head_len..end),
    }))
}

/// `HTTP/1.1 200 OK` → ("HTTP/1.1", 200).
fn status_line_parts(line: &str) -> Result<(&str, u16), Malformed> {
    let mut parts = line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(Malformed("the status line does not start with HTTP/1."));
    }
    let code = parts.next().unwrap_or_default();
    if code.len() != 3 {
        return Err(Malformed("the status code is not three digits"));
    }
    let status = code
        .parse()
        .map_err(|_| Malformed("the status code is not three digits"))?;
    Ok((version, status))
}

/// The data ranges of a chunked body, and where its message ends.
type Chunks = (Vec<Range<usize>>, usize);

/// Chunks from `at` to the end of the trailers: their data ranges and the end of the message.
fn parse_chunks(buf: &[u8], mut at: usize) -> Result<Option<Chunks>, Malformed> {
    let mut chunks = Vec::new();
    loop {
        let rest = buf.get(at..).unwrap_or_default();
        let Some(line_len) = find(rest, b"\r\n") else {
            return if rest.len() > 1024 {
                Err(Malformed("a chunk size line is longer than 1 KiB"))
            } else {
                Ok(None)
            };
        };
        let line = std::str::from_utf8(&rest[..line_len])
            .map_err(|_| Malformed("a chunk size line is not UTF-8"))?;
        let hex = line.split(';').next().unwrap_or_default().trim();
        if hex.is_empty() || hex.len() > 15 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Malformed("a chunk size is not a short hexadecimal number"));
        }
        let size = usize::from_str_radix(hex, 16)
            .map_err(|_| Malformed("a chunk size is not hexadecimal"))?;
        at += line_len + 2;
        if size == 0 {
            // Trailers (usually none), then an empty line.
            loop {
                let rest = buf.get(at..).unwrap_or_default();
                let Some(len) = find(rest, b"\r\n") else {
                    return if rest.len() > MAX_HEAD {
                        Err(Malformed("the trailers are longer than 64 KiB"))
                    } else {
                        Ok(None)
                    };
                };
                at += len + 2;
                if len == 0 {
                    return Ok(Some((chunks, at)));
                }
            }
        }
        let data_end = at
            .checked_add(size)
            .ok_or(Malformed("a chunk size is too large"))?;
        let Some(after) = buf.get(data_end..data_end.saturating_add(2)) else {
            return Ok(None);
        };
        if after.len() < 2 {
            return Ok(None);
        }
        if after != b"\r\n" {
            return Err(Malformed("a chunk's data is not followed by CRLF"));
        }
        chunks.push(at..data_end);
        at = data_end + 2;
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(raw: &[u8]) -> Parsed {
        parse(raw).expect("valid").expect("complete")
    }

    #[test]
    fn content_length_body_and_keep_alive() {
        let raw =
            b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nContent-Length: 3\r\n\r\nok\nHTTP/1.1";
        let p = full(raw);
        assert_eq!(p.status, 200);
        assert!(!p.close);
        assert_eq!(p.body_bytes(raw), b"ok\n");
        assert_eq!(p.consumed, raw.len() - "HTTP/1.1".len());
    }

    #[test]
    fn incomplete_until_every_byte_is_there() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        for cut in 0..raw.len() {
            assert_eq!(parse(&raw[..cut]), Ok(None), "cut at {cut}");
        }
        assert_eq!(full(raw).body_len(), 5);
    }

    #[test]
    fn chunked_body_with_extension_and_trailer() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
                    4;name=x\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: 1\r\n\r\n";
        let p = full(raw);
        assert_eq!(p.body_bytes(raw), b"Wikipedia in\r\n\r\nchunks.");
        assert_eq!(p.consumed, raw.len());
        for cut in 0..raw.len() {
            assert_eq!(parse(&raw[..cut]), Ok(None), "cut at {cut}");
        }
    }

    #[test]
    fn close_and_bodiless_statuses() {
        let p =
            full(b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\nConnection: close\r\n\r\n");
        assert_eq!((p.status, p.body_len(), p.close), (304, 0, true));
        let p = full(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
        assert!(p.close, "HTTP/1.0 closes unless told otherwise");
    }

    #[test]
    fn refuses_what_it_cannot_frame() {
        for raw in [
            &b"SSH-2.0-OpenSSH\r\n\r\n"[..],
            b"HTTP/1.1 2000 OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\na",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            b"HTTP/1.1 200 OK\r\n\r\nbody until close",
            b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY",
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        ] {
            assert!(parse(raw).is_err(), "{}", String::from_utf8_lossy(raw));
        }
        assert!(parse(&vec![b'a'; MAX_HEAD + 1]).is_err());
    }
}
