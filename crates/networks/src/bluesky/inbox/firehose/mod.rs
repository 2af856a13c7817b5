//! The frames of `com.atproto.sync.subscribeRepos` (the "firehose"), decoded without any
//! outside library: each websocket message is two DAG-CBOR items in a row, a header
//! `{op, t}` then a body; a `#commit` body names the repository (`repo`, a DID), its
//! operations (`ops`: `{action, path, cid}`) and carries the new blocks as a CAR file
//! (`blocks`), among which the records the operations created.
//!
//! Everything here is pure and bounded: a frame over [`MAX_FRAME_BYTES`] is refused before it
//! is read, and the decoders under it never trust a declared length (see [`cbor`], [`car`]).

pub(crate) mod car;
pub(crate) mod cbor;
pub(crate) mod cid;

use base64::Engine;
use serde_json::{Map, Value};

use cbor::Cbor;
use cid::Cid;

/// The largest frame read: commits carry at most 2 MB of blocks (AT Protocol's sync limits),
/// so a bigger frame is garbage or hostile.
pub(crate) const MAX_FRAME_BYTES: usize = 5 * 1024 * 1024;

/// Why bytes could not be read as a frame, a CAR file, a CID or DAG-CBOR.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DecodeError {
    #[error("the data ends in the middle of an item, or declares more than it holds")]
    Truncated,
    #[error("items nest deeper than {} levels", cbor::MAX_DEPTH)]
    TooDeep,
    #[error("a float, which the AT Protocol data model does not allow")]
    Float,
    #[error("a frame of {0} bytes, over the limit of {MAX_FRAME_BYTES}")]
    TooLarge(usize),
    #[error("{0}")]
    Invalid(&'static str),
}

/// One operation of a commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Op<'a> {
    /// `create`, `update` or `delete`.
    pub action: &'a str,
    /// `collection/rkey`.
    pub path: &'a str,
    /// The new record's CID (none for a deletion).
    pub cid: Option<Cid>,
}

/// A `#commit` frame.
#[derive(Debug)]
pub(crate) struct Commit<'a> {
    pub seq: i64,
    /// The repository's DID.
    pub repo: &'a str,
    pub ops: Vec<Op<'a>>,
    /// A CAR file, read only when an operation is worth it.
    pub blocks: &'a [u8],
}

/// One frame of the stream.
#[derive(Debug)]
pub(crate) enum Frame<'a> {
    Commit(Commit<'a>),
    /// An account's handle or DID document changed.
    Identity {
        seq: i64,
        did: &'a str,
        handle: Option<&'a str>,
    },
    /// `#account`, `#sync` and kinds this code does not read: only their place counts.
    Other {
        seq: Option<i64>,
        kind: &'a str,
    },
    /// A note from the server (`OutdatedCursor`: the cursor was older than what it keeps).
    Info {
        name: &'a str,
        message: Option<&'a str>,
    },
    /// The server's last word before it closes (`FutureCursor`, `ConsumerTooSlow`).
    Error {
        error: &'a str,
        message: Option<&'a str>,
    },
}

impl Frame<'_> {
    /// Where the stream stands after this frame, for frames that say.
    pub(crate) fn seq(&self) -> Option<i64> {
        match self {
            Frame::Commit(commit) => Some(commit.seq),
            Frame::Identity { seq, .. } => Some(*seq),
            Frame::Other { seq, .. } => *seq,
            Frame::Info { .. } | Frame::Error { .. } => None,
        }
    }
}

fn text<'a>(item: &Cbor<'a>, key: &str) -> Option<&'a str> {
    item.get(key).and_then(Cbor::as_text)
}

/// Reads one websocket message as a frame.
pub(crate) fn decode_frame(bytes: &[u8]) -> Result<Frame<'_>, DecodeError> {
    if bytes.len() > MAX_FRAME_BYTES {
        return Err(DecodeError::TooLarge(bytes.len()));
    }
    let (header, rest) = cbor::decode_prefix(bytes)?;
    let body = cbor::decode(rest)?;
    if !matches!(body, Cbor::Map(_)) {
        return Err(DecodeError::Invalid("a frame body that is not a map"));
    }
    match header.get("op").and_then(Cbor::as_int) {
        Some(1) => {}
        Some(-1) => {
            return Ok(Frame::Error {
                error: text(&body, "error").unwrap_or("an unnamed error"),
                message: text(&body, "message"),
            });
        }
        _ => return Err(DecodeError::Invalid("a frame header without a known op")),
    }
    let kind = text(&header, "t").ok_or(DecodeError::Invalid("a message frame without a type"))?;
    let seq = body.get("seq").and_then(Cbor::as_int);
    Ok(match kind {
        "#commit" => Frame::Commit(commit(&body, seq)?),
        "#identity" => Frame::Identity {
            seq: seq.ok_or(DecodeError::Invalid("an identity frame without a seq"))?,
            did: text(&body, "did")
                .ok_or(DecodeError::Invalid("an identity frame without a DID"))?,
            handle: text(&body, "handle"),
        },
        "#info" => Frame::Info {
            name: text(&body, "name").unwrap_or("an unnamed note"),
            message: text(&body, "message"),
        },
        _ => Frame::Other { seq, kind },
    })
}

fn commit<'a>(body: &Cbor<'a>, seq: Option<i64>) -> Result<Commit<'a>, DecodeError> {
    let ops = body
        .get("ops")
        .and_then(Cbor::as_array)
        .ok_or(DecodeError::Invalid("a commit without ops"))?
        .iter()
        .map(|op| {
            Ok(Op {
                action: text(op, "action")
                    .ok_or(DecodeError::Invalid("an op without an action"))?,
                path: text(op, "path").ok_or(DecodeError::Invalid("an op without a path"))?,
                cid: op.get("cid").and_then(Cbor::as_link).cloned(),
            })
        })
        .collect::<Result<Vec<_>, DecodeError>>()?;
    Ok(Commit {
        seq: seq.ok_or(DecodeError::Invalid("a commit without a seq"))?,
        repo: text(body, "repo").ok_or(DecodeError::Invalid("a commit without a repo"))?,
        ops,
        blocks: body
            .get("blocks")
            .and_then(Cbor::as_bytes)
            .unwrap_or_default(),
    })
}

/// A record a commit created, in its JSON form.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Created<'a> {
    pub collection: &'a str,
    pub rkey: &'a str,
    pub cid: Cid,
    pub record: Value,
}

/// The records `commit` created in the collections `wanted` accepts. The CAR file is read only
/// when there is one; a record whose block is missing, does not match its CID or is not valid
/// AT Protocol data is left out (and logged), the others still come.
pub(crate) fn created_records<'a>(
    commit: &Commit<'a>,
    wanted: impl Fn(&str) -> bool,
) -> Result<Vec<Created<'a>>, DecodeError> {
    let mut ops = commit
        .ops
        .iter()
        .filter(|op| op.action == "create")
        .filter_map(|op| {
            let (collection, rkey) = op.path.split_once('/')?;
            Some((collection, rkey, op.cid.as_ref()?))
        })
        .filter(|(collection, _, _)| wanted(collection))
        .peekable();
    if ops.peek().is_none() {
        return Ok(Vec::new());
    }
    let blocks = car::read(commit.blocks)?;
    let mut created = Vec::new();
    for (collection, rkey, cid) in ops {
        let Some(block) = blocks.block(cid) else {
            tracing::debug!(
                repo = commit.repo,
                collection,
                rkey,
                "firehose: a created record without its block"
            );
            continue;
        };
        if !cid.names(block) {
            tracing::warn!(
                repo = commit.repo,
                collection,
                rkey,
                "firehose: a block that does not match its CID, left out"
            );
            continue;
        }
        match cbor::decode(block) {
            Ok(item) => created.push(Created {
                collection,
                rkey,
                cid: cid.clone(),
                record: to_json(&item),
            }),
            Err(e) => {
                tracing::debug!(repo = commit.repo, collection, rkey, %e, "firehose: an unreadable record, left out");
            }
        }
    }
    Ok(created)
}

/// An item in AT Protocol's JSON form: links as `{"$link": "b…"}`, bytes as
/// `{"$bytes": base64}`.
pub(crate) fn to_json(item: &Cbor<'_>) -> Value {
    match item {
        Cbor::Null => Value::Null,
        Cbor::Bool(b) => Value::Bool(*b),
        Cbor::Int(n) => Value::from(*n),
        Cbor::Text(t) => Value::from(*t),
        Cbor::Bytes(b) => {
            let encoded = base64::engine::general_purpose::STANDARD_NO_PAD.encode(b);
            Value::Object(Map::from_iter([(
                "$bytes".to_owned(),
                Value::from(encoded),
            )]))
        }
        Cbor::Link(cid) => Value::Object(Map::from_iter([(
            "$link".to_owned(),
            Value::from(cid.to_text()),
        )])),
        Cbor::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        Cbor::Map(map) => Value::Object(
            map.iter()
                .map(|(k, v)| ((*k).to_owned(), to_json(v)))
                .collect(),
        ),
    }
}

/// Hand-made frames for tests.
#[cfg(test)]
pub(crate) mod write {
    use super::car::write::car;
    use super::cbor::write::{NULL, array, bytes, int, link, map, text};
    use super::cid::tests::cid_of;

    /// A `#commit` frame of `repo` creating `records` (collection/rkey, DAG-CBOR record).
    pub(crate) fn commit(seq: i64, repo: &str, records: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let root = cid_of(b"commit node");
        let mut blocks = vec![(root.clone(), b"commit node".to_vec())];
        let mut ops = Vec::new();
        for (path, record) in records {
            let cid = cid_of(record);
            ops.push(map(&[
                ("action", text("create")),
                ("cid", link(&cid)),
                ("path", text(path)),
            ]));
            blocks.push((cid, record.clone()));
        }
        let mut frame = map(&[("op", int(1)), ("t", text("#commit"))]);
        frame.extend_from_slice(&map(&[
            ("blocks", bytes(&car(&root, &blocks))),
            ("commit", link(&root)),
            ("ops", array(&ops)),
            ("rebase", vec![0xf4]),
            ("repo", text(repo)),
            ("rev", text("3lrev")),
            ("seq", int(seq)),
            ("since", vec![NULL]),
            ("time", text("2026-03-01T10:00:00.000Z")),
            ("tooBig", vec![0xf4]),
        ]));
        frame
    }
}

#[cfg(test)]
mod tests {
    use super::cbor::write::{array, int, map, text};
    use super::cid::tests::cid_of;
    use super::*;

    fn post(text_: &str) -> Vec<u8> {
        map(&[
            ("$type", text("app.bsky.feed.post")),
            ("createdAt", text("2026-03-01T10:00:00.000Z")),
            ("text", text(text_)),
        ])
    }

    #[test]
    fn a_commit_frame_gives_its_created_records() {
        let record = post("hello");
        let like = map(&[("$type", text("app.bsky.feed.like"))]);
        let bytes = write::commit(
            42,
            "did:plc:fan",
            &[
                ("app.bsky.feed.post/3lpost", record.clone()),
                ("app.bsky.feed.like/3llike", like),
            ],
        );
        let Ok(Frame::Commit(commit)) = decode_frame(&bytes) else {
            panic!("a commit");
        };
        assert_eq!(
            (commit.seq, commit.repo, commit.ops.len()),
            (42, "did:plc:fan", 2)
        );
        let posts = created_records(&commit, |c| c == "app.bsky.feed.post").expect("records");
        assert_eq!(posts.len(), 1);
        assert_eq!(
            (posts[0].collection, posts[0].rkey),
            ("app.bsky.feed.post", "3lpost")
        );
        assert_eq!(posts[0].cid.as_bytes(), cid_of(&record).as_slice());
        assert_eq!(posts[0].record["text"], "hello");
        assert_eq!(posts[0].record["$type"], "app.bsky.feed.post");
        // Nothing wanted: the CAR file is not even read.
        assert_eq!(created_records(&commit, |_| false), Ok(Vec::new()));
    }

    #[test]
    fn a_block_that_lies_about_its_cid_is_left_out() {
        let bytes = write::commit(1, "did:plc:fan", &[("app.bsky.feed.post/3l", post("x"))]);
        // Change the record's text in the CAR (the same length: the frame stays well formed).
        let at = bytes
            .windows(2)
            .rposition(|w| w == [0x61, b'x'])
            .expect("the text")
            + 1;
        let mut forged = bytes.clone();
        forged[at] = b'y';
        let Ok(Frame::Commit(commit)) = decode_frame(&forged) else {
            panic!("a commit");
        };
        assert_eq!(created_records(&commit, |_| true), Ok(Vec::new()));
    }

    #[test]
    fn other_frames_are_harmless() {
        let frame = |header: Vec<u8>, body: Vec<u8>| [header, body].concat();
        let identity = frame(
            map(&[("op", int(1)), ("t", text("#identity"))]),
            map(&[
                ("did", text("did:plc:fan")),
                ("handle", text("fan.test")),
                ("seq", int(7)),
            ]),
        );
        assert!(matches!(
            decode_frame(&identity),
            Ok(Frame::Identity {
                seq: 7,
                did: "did:plc:fan",
                handle: Some("fan.test")
            })
        ));
        let account = frame(
            map(&[("op", int(1)), ("t", text("#account"))]),
            map(&[
                ("active", vec![0xf5]),
                ("did", text("did:plc:fan")),
                ("seq", int(8)),
            ]),
        );
        let read = decode_frame(&account).expect("an account frame");
        assert_eq!(read.seq(), Some(8));
        let info = frame(
            map(&[("op", int(1)), ("t", text("#info"))]),
            map(&[("name", text("OutdatedCursor"))]),
        );
        assert!(matches!(
            decode_frame(&info),
            Ok(Frame::Info {
                name: "OutdatedCursor",
                ..
            })
        ));
        let error = frame(
            map(&[("op", int(-1))]),
            map(&[
                ("error", text("FutureCursor")),
                ("message", text("Cursor in the future.")),
            ]),
        );
        assert!(matches!(
            decode_frame(&error),
            Ok(Frame::Error {
                error: "FutureCursor",
                ..
            })
        ));

        assert!(decode_frame(&map(&[("op", int(1))])).is_err(), "no body");
        assert!(
            decode_frame(&frame(map(&[("op", int(2))]), map(&[]))).is_err(),
            "unknown op"
        );
        assert!(decode_frame(&frame(map(&[("op", int(1))]), array(&[]))).is_err());
        assert_eq!(
            decode_frame(&vec![0; MAX_FRAME_BYTES + 1]).map(|f| f.seq()),
            Err(DecodeError::TooLarge(MAX_FRAME_BYTES + 1))
        );
    }

    #[test]
    fn every_truncated_commit_is_an_error() {
        let bytes = write::commit(3, "did:plc:fan", &[("app.bsky.feed.post/3l", post("hi"))]);
        for cut in 0..bytes.len() {
            if let Ok(Frame::Commit(commit)) = decode_frame(&bytes[..cut]) {
                panic!("cut at {cut} read as commit {}", commit.seq);
            }
        }
    }

    #[test]
    fn records_become_atproto_json() {
        let cid = cid_of(b"blob");
        let bytes = map(&[
            ("ref", super::cbor::write::link(&cid)),
            ("raw", super::cbor::write::bytes(&[0xff, 0x00])),
            ("size", int(-5)),
        ]);
        let item = cbor::decode(&bytes).expect("decodes");
        let json = to_json(&item);
        assert_eq!(
            json["ref"]["$link"],
            Cid::from_bytes(&cid).expect("cid").to_text()
        );
        assert_eq!(json["raw"]["$bytes"], "/wA");
        assert_eq!(json["size"], -5);
    }
}
