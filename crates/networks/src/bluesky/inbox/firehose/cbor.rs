//! A strict DAG-CBOR decoder: the subset of CBOR that AT Protocol writes (maps with text keys,
//! arrays, text and byte strings, 64-bit integers, booleans, null, and tag 42 for CID links).
//!
//! It reads bytes from the network, so it trusts nothing they declare: a length is checked
//! against what is left before anything is read or reserved, nesting stops at [`MAX_DEPTH`],
//! and anything outside the subset (floats, indefinite lengths, other tags, `undefined`,
//! duplicate keys) is an error rather than a guess. Strings borrow from the input.

use std::collections::BTreeMap;

use super::DecodeError;
use super::cid::Cid;

/// Deepest nesting of arrays and maps accepted (records nest a handful of levels).
pub(crate) const MAX_DEPTH: usize = 64;

/// The CBOR tag of a CID link in DAG-CBOR.
const CID_TAG: u64 = 42;

/// One decoded item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Cbor<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Bytes(&'a [u8]),
    Text(&'a str),
    Array(Vec<Cbor<'a>>),
    Map(BTreeMap<&'a str, Cbor<'a>>),
    Link(Cid),
}

impl<'a> Cbor<'a> {
    /// The value under `key`, for a map.
    pub(crate) fn get(&self, key: &str) -> Option<&Cbor<'a>> {
        match self {
            Cbor::Map(map) => map.get(key),
            _ => None,
        }
    }

    pub(crate) fn as_text(&self) -> Option<&'a str> {
        match self {
            Cbor::Text(text) => Some(text),
            _ => None,
        }
    }

    pub(crate) fn as_int(&self) -> Option<i64> {
        match self {
            Cbor::Int(n) => Some(*n),
            _ => None,
        }
    }

    pub(crate) fn as_bytes(&self) -> Option<&'a [u8]> {
        match self {
            Cbor::Bytes(bytes) => Some(bytes),
            _ => None,
        }
    }

    pub(crate) fn as_array(&self) -> Option<&[Cbor<'a>]> {
        match self {
            Cbor::Array(items) => Some(items),
            _ => None,
        }
    }

    pub(crate) fn as_link(&self) -> Option<&Cid> {
        match self {
            Cbor::Link(cid) => Some(cid),
            _ => None,
        }
    }
}

/// Exactly one item: bytes left after it are an error.
pub(crate) fn decode(bytes: &[u8]) -> Result<Cbor<'_>, DecodeError> {
    let (item, rest) = decode_prefix(bytes)?;
    if !rest.is_empty() {
        return Err(DecodeError::Invalid("bytes after the end of a CBOR item"));
    }
    Ok(item)
}

/// The first item of `bytes` and what follows it (a firehose frame is two items in a row).
pub(crate) fn decode_prefix(bytes: &[u8]) -> Result<(Cbor<'_>, &[u8]), DecodeError> {
    let mut reader = Reader { buf: bytes, pos: 0 };
    let item = reader.item(0)?;
    Ok((item, bytes.get(reader.pos..).unwrap_or_default()))
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// The next `len` bytes, when there are that many.
    fn take(&mut self, len: u64) -> Result<&'a [u8], DecodeError> {
        let len = usize::try_from(len).map_err(|_| DecodeError::Truncated)?;
        if len > self.remaining() {
            return Err(DecodeError::Truncated);
        }
        let start = self.pos;
        self.pos += len;
        self.buf.get(start..self.pos).ok_or(DecodeError::Truncated)
    }

    /// An item's first byte and its argument: major type, additional info, value.
    fn head(&mut self) -> Result<(u8, u8, u64), DecodeError> {
        let first = *self.take(1)?.first().ok_or(DecodeError::Truncated)?;
        let (major, info) = (first >> 5, first & 0x1f);
        let value = match info {
            0..=23 => u64::from(info),
            24..=27 => {
                let width = 1u64 << (info - 24);
                self.take(width)?
                    .iter()
                    .fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
            }
            31 => {
                return Err(DecodeError::Invalid(
                    "an indefinite length, which DAG-CBOR forbids",
                ));
            }
            _ => return Err(DecodeError::Invalid("a reserved CBOR additional value")),
        };
        Ok((major, info, value))
    }

    fn item(&mut self, depth: usize) -> Result<Cbor<'a>, DecodeError> {
        if depth > MAX_DEPTH {
            return Err(DecodeError::TooDeep);
        }
        let (major, info, value) = self.head()?;
        match major {
            0 => i64::try_from(value)
                .map(Cbor::Int)
                .map_err(|_| DecodeError::Invalid("an integer beyond 64-bit signed")),
            1 => i64::try_from(value)
                .map(|n| Cbor::Int(-1 - n))
                .map_err(|_| DecodeError::Invalid("an integer beyond 64-bit signed")),
            2 => self.take(value).map(Cbor::Bytes),
            3 => std::str::from_utf8(self.take(value)?)
                .map(Cbor::Text)
                .map_err(|_| DecodeError::Invalid("text that is not UTF-8")),
            4 => {
                // Every item takes at least a byte: a count beyond what is left is a lie,
                // found before anything is reserved for it.
                if value > self.remaining() as u64 {
                    return Err(DecodeError::Truncated);
                }
                let mut items = Vec::with_capacity(value as usize);
                for _ in 0..value {
                    items.push(self.item(depth + 1)?);
                }
                Ok(Cbor::Array(items))
            }
            5 => {
                if value > (self.remaining() / 2) as u64 {
                    return Err(DecodeError::Truncated);
                }
                let mut map = BTreeMap::new();
                for _ in 0..value {
                    let Cbor::Text(key) = self.item(depth + 1)? else {
                        return Err(DecodeError::Invalid("a map key that is not text"));
                    };
                    let item = self.item(depth + 1)?;
                    if map.insert(key, item).is_some() {
                        return Err(DecodeError::Invalid("a map with the same key twice"));
                    }
                }
                Ok(Cbor::Map(map))
            }
            6 if value == CID_TAG => {
                let Cbor::Bytes(bytes) = self.item(depth + 1)? else {
                    return Err(DecodeError::Invalid("a CID link that is not a byte string"));
                };
                // The byte string holds the multibase "identity" prefix, then the CID.
                match bytes.split_first() {
                    Some((0, cid)) => Cid::from_bytes(cid).map(Cbor::Link),
                    _ => Err(DecodeError::Invalid("a CID link without its 0x00 prefix")),
                }
            }
            6 => Err(DecodeError::Invalid("a CBOR tag other than 42 (CID link)")),
            _ => match info {
                20 => Ok(Cbor::Bool(false)),
                21 => Ok(Cbor::Bool(true)),
                22 => Ok(Cbor::Null),
                25..=27 => Err(DecodeError::Float),
                _ => Err(DecodeError::Invalid(
                    "a CBOR simple value other than true, false and null",
                )),
            },
        }
    }
}

/// Hand-made CBOR for tests: just enough to write frames, CARs and records.
#[cfg(test)]
pub(crate) mod write {
    pub(crate) fn head(major: u8, value: u64) -> Vec<u8> {
        let m = major << 5;
        match value {
            0..=23 => vec![m | value as u8],
            24..=0xff => vec![m | 24, value as u8],
            0x100..=0xffff => {
                let mut v = vec![m | 25];
                v.extend_from_slice(&(value as u16).to_be_bytes());
                v
            }
            0x1_0000..=0xffff_ffff => {
                let mut v = vec![m | 26];
                v.extend_from_slice(&(value as u32).to_be_bytes());
                v
            }
            _ => {
                let mut v = vec![m | 27];
                v.extend_from_slice(&value.to_be_bytes());
                v
            }
        }
    }

    pub(crate) fn text(s: &str) -> Vec<u8> {
        let mut v = head(3, s.len() as u64);
        v.extend_from_slice(s.as_bytes());
        v
    }

    pub(crate) fn bytes(b: &[u8]) -> Vec<u8> {
        let mut v = head(2, b.len() as u64);
        v.extend_from_slice(b);
        v
    }

    pub(crate) fn int(n: i64) -> Vec<u8> {
        if n >= 0 {
            head(0, n as u64)
        } else {
            head(1, (-1 - n) as u64)
        }
    }

    pub(crate) fn array(items: &[Vec<u8>]) -> Vec<u8> {
        let mut v = head(4, items.len() as u64);
        items.iter().for_each(|i| v.extend_from_slice(i));
        v
    }

    /// A map; DAG-CBOR sorts keys (length first), which the decoder does not require.
    pub(crate) fn map(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut v = head(5, entries.len() as u64);
        for (k, item) in entries {
            v.extend_from_slice(&text(k));
            v.extend_from_slice(item);
        }
        v
    }

    pub(crate) fn link(cid: &[u8]) -> Vec<u8> {
        let mut v = head(6, 42);
        let mut b = vec![0];
        b.extend_from_slice(cid);
        v.extend_from_slice(&bytes(&b));
        v
    }

    pub(crate) const NULL: u8 = 0xf6;
}

#[cfg(test)]
mod tests {
    use super::write::*;
    use super::*;
    use crate::bluesky::inbox::firehose::cid::tests::cid_of;

    #[test]
    fn every_kind_of_item_decodes() {
        let cid = cid_of(b"block");
        let bytes = map(&[
            ("text", text("été 🎉")),
            ("small", int(23)),
            ("big", int(i64::MAX)),
            ("neg", int(-1_000_000)),
            ("min", int(i64::MIN)),
            ("raw", super::write::bytes(&[1, 2, 3])),
            ("list", array(&[vec![0xf4], vec![0xf5], vec![NULL]])),
            ("link", link(&cid)),
        ]);
        let item = decode(&bytes).expect("decodes");
        assert_eq!(item.get("text").and_then(Cbor::as_text), Some("été 🎉"));
        assert_eq!(item.get("small").and_then(Cbor::as_int), Some(23));
        assert_eq!(item.get("big").and_then(Cbor::as_int), Some(i64::MAX));
        assert_eq!(item.get("neg").and_then(Cbor::as_int), Some(-1_000_000));
        assert_eq!(item.get("min").and_then(Cbor::as_int), Some(i64::MIN));
        assert_eq!(
            item.get("raw").and_then(Cbor::as_bytes),
            Some(&[1u8, 2, 3][..])
        );
        assert_eq!(
            item.get("list").and_then(Cbor::as_array),
            Some(&[Cbor::Bool(false), Cbor::Bool(true), Cbor::Null][..])
        );
        assert_eq!(
            item.get("link").and_then(Cbor::as_link).map(Cid::as_bytes),
            Some(cid.as_slice())
        );

        // Two items in a row: the first, and the rest.
        let mut two = int(7);
        two.extend_from_slice(&text("x"));
        let (first, rest) = decode_prefix(&two).expect("prefix");
        assert_eq!(first, Cbor::Int(7));
        assert_eq!(decode(rest), Ok(Cbor::Text("x")));
        assert!(decode(&two).is_err(), "one item only");
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = map(&[
            ("a", array(&[text("hello"), int(300), link(&cid_of(b"z"))])),
            ("b", super::write::bytes(&[9; 40])),
        ]);
        assert!(decode(&bytes).is_ok());
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn declared_lengths_beyond_the_input_are_refused_without_allocating() {
        // A byte string, a text, an array and a map each claiming 2^64 - 1 of something.
        for major in [2u8, 3, 4, 5] {
            let mut huge = vec![(major << 5) | 27];
            huge.extend_from_slice(&u64::MAX.to_be_bytes());
            assert_eq!(decode(&huge), Err(DecodeError::Truncated), "major {major}");
        }
        // An array of a million items in six bytes.
        assert_eq!(decode(&head(4, 1_000_000)), Err(DecodeError::Truncated));
    }

    #[test]
    fn nesting_stops_at_the_limit() {
        let nested = |depth: usize| {
            let mut v = vec![0x81; depth];
            v.push(NULL);
            v
        };
        assert!(decode(&nested(MAX_DEPTH)).is_ok());
        assert_eq!(decode(&nested(MAX_DEPTH + 1)), Err(DecodeError::TooDeep));
        // A hundred thousand levels: refused, no stack overflow.
        assert_eq!(decode(&nested(100_000)), Err(DecodeError::TooDeep));
    }

    #[test]
    fn what_dag_cbor_forbids_is_refused() {
        let cases: [(&str, Vec<u8>); 9] = [
            ("half float", vec![0xf9, 0x3c, 0x00]),
            ("double", vec![0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0]),
            ("undefined", vec![0xf7]),
            ("indefinite array", vec![0x9f, 0xff]),
            ("reserved info", vec![0x1c]),
            ("tag 0", [head(6, 0), text("2026")].concat()),
            ("integer key", vec![0xa1, 0x01, 0x02]),
            (
                "duplicate key",
                [vec![0xa2], text("k"), int(1), text("k"), int(2)].concat(),
            ),
            ("u64 beyond i64", head(0, u64::MAX)),
        ];
        for (what, bytes) in cases {
            assert!(decode(&bytes).is_err(), "{what} accepted");
        }
        assert_eq!(decode(&[0xf9, 0x3c, 0x00]), Err(DecodeError::Float));
        assert!(
            decode(&[0x62, 0xff, 0xfe]).is_err(),
            "text that is not UTF-8"
        );
        assert!(
            decode(&[0xd8, 0x2a, 0x41, 0x01]).is_err(),
            "a link without a CID"
        );
        assert!(
            decode(&[0xd8, 0x2a, 0x01]).is_err(),
            "a link that is not bytes"
        );
    }
}
