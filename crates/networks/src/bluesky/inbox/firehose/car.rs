//! CAR v1 files, as a commit frame carries its blocks: a varint-prefixed DAG-CBOR header
//! (`{version: 1, roots: [links]}`), then varint-prefixed sections, each a CID followed by the
//! block it names. Blocks borrow from the input; every declared length is checked against what
//! is left.

use std::collections::HashMap;

use super::DecodeError;
use super::cbor::{self, Cbor};
use super::cid::{Cid, read_varint};

/// The blocks of a CAR file, by the binary form of their CID.
#[derive(Debug, Default)]
pub(crate) struct Car<'a> {
    blocks: HashMap<&'a [u8], &'a [u8]>,
}

impl<'a> Car<'a> {
    /// The block `cid` names, if the file holds it.
    pub(crate) fn block(&self, cid: &Cid) -> Option<&'a [u8]> {
        self.blocks.get(cid.as_bytes()).copied()
    }

    pub(crate) fn len(&self) -> usize {
        self.blocks.len()
    }
}

/// A varint-prefixed part of `buf` at `*at`, moving `*at` past it.
fn section<'a>(buf: &'a [u8], at: &mut usize) -> Result<&'a [u8], DecodeError> {
    let rest = buf.get(*at..).unwrap_or_default();
    let (len, prefix) = read_varint(rest)?;
    let len = usize::try_from(len).map_err(|_| DecodeError::Truncated)?;
    let body = rest
        .get(prefix..)
        .and_then(|r| r.get(..len))
        .ok_or(DecodeError::Truncated)?;
    *at += prefix + len;
    Ok(body)
}

/// Reads a whole CAR v1 file.
pub(crate) fn read(bytes: &[u8]) -> Result<Car<'_>, DecodeError> {
    let mut at = 0;
    let header = cbor::decode(section(bytes, &mut at)?)?;
    if header.get("version").and_then(Cbor::as_int) != Some(1) {
        return Err(DecodeError::Invalid("a CAR file of a version other than 1"));
    }
    // The roots (the commit) are not needed: blocks are looked up by the ops' CIDs.
    let roots = header
        .get("roots")
        .and_then(Cbor::as_array)
        .ok_or(DecodeError::Invalid("a CAR header without roots"))?;
    if roots.iter().any(|r| r.as_link().is_none()) {
        return Err(DecodeError::Invalid("a CAR root that is not a link"));
    }
    let mut blocks = HashMap::new();
    while at < bytes.len() {
        let body = section(bytes, &mut at)?;
        let (_, cid_len) = Cid::read(body)?;
        let (cid, block) = body.split_at(cid_len);
        // A CID twice names the same content: the first copy is as good as the second.
        blocks.entry(cid).or_insert(block);
    }
    Ok(Car { blocks })
}

/// Hand-made CAR files for tests.
#[cfg(test)]
pub(crate) mod write {
    use crate::bluesky::inbox::firehose::cbor::write::{array, int, link, map};

    pub(crate) fn varint(mut n: u64) -> Vec<u8> {
        let mut v = Vec::new();
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                v.push(byte);
                return v;
            }
            v.push(byte | 0x80);
        }
    }

    /// A CAR file with `root` and these (CID, block) sections.
    pub(crate) fn car(root: &[u8], blocks: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
        let header = map(&[("roots", array(&[link(root)])), ("version", int(1))]);
        let mut v = varint(header.len() as u64);
        v.extend_from_slice(&header);
        for (cid, block) in blocks {
            v.extend_from_slice(&varint((cid.len() + block.len()) as u64));
            v.extend_from_slice(cid);
            v.extend_from_slice(block);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::write::*;
    use super::*;
    use crate::bluesky::inbox::firehose::cbor::write::{int, map, text};
    use crate::bluesky::inbox::firehose::cid::tests::cid_of;

    #[test]
    fn blocks_are_found_by_their_cid() {
        let a = map(&[("text", text("first"))]);
        let b = map(&[("n", int(2))]);
        let (ca, cb) = (cid_of(&a), cid_of(&b));
        let bytes = car(&ca, &[(ca.clone(), a.clone()), (cb.clone(), b.clone())]);
        let file = read(&bytes).expect("a CAR");
        assert_eq!(file.len(), 2);
        let cid = |b: &[u8]| Cid::from_bytes(b).expect("cid");
        assert_eq!(file.block(&cid(&ca)), Some(a.as_slice()));
        assert_eq!(file.block(&cid(&cb)), Some(b.as_slice()));
        assert_eq!(file.block(&cid(&cid_of(b"other"))), None);
    }

    #[test]
    fn truncations_and_lies_are_errors() {
        let a = map(&[("text", text("first"))]);
        let ca = cid_of(&a);
        let bytes = car(&ca, &[(ca.clone(), a)]);
        // Cutting inside the header or a section; cutting exactly between sections is a
        // shorter, valid file.
        let header_end = 1 + bytes[0] as usize;
        for cut in (1..bytes.len()).filter(|c| *c != header_end) {
            assert!(read(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        assert_eq!(read(&bytes[..header_end]).map(|c| c.len()), Ok(0));

        // A section that claims 2^62 bytes.
        let mut lie = bytes[..header_end].to_vec();
        lie.extend_from_slice(&varint(1 << 62));
        lie.extend_from_slice(&ca);
        assert_eq!(read(&lie).map(|c| c.len()), Err(DecodeError::Truncated));

        // Version 2 headers, and headers that are not CBOR maps.
        let v2 = map(&[("roots", vec![0x80]), ("version", int(2))]);
        let mut file = varint(v2.len() as u64);
        file.extend_from_slice(&v2);
        assert!(read(&file).is_err());
        assert!(read(&[0x01, 0x01]).is_err());
        assert!(read(&[]).is_err());
    }
}
