//! Content identifiers (CIDs) as AT Protocol uses them: version 1 only, a codec (DAG-CBOR for
//! records, raw for blobs) and a multihash (SHA-256). Read from their binary form (in CBOR
//! links and CAR sections) and written as AT Protocol writes them in JSON: `b` followed by
//! lower-case base32 without padding (`bafyrei…`).

use sha2::{Digest, Sha256};

use super::DecodeError;

/// The multihash code of SHA-256, the only hash AT Protocol repositories use.
const SHA2_256: u64 = 0x12;
/// Longest digest accepted: SHA-512 is 64 bytes; anything longer is garbage.
const MAX_DIGEST: u64 = 64;
/// A varint of more than 9 bytes does not fit the 63 bits multiformats allows.
const MAX_VARINT_BYTES: usize = 9;

/// A CIDv1 in binary form.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Cid {
    bytes: Vec<u8>,
    hash_code: u64,
    /// Where the digest starts in `bytes`.
    digest_at: usize,
}

/// An unsigned LEB128 varint at the start of `buf`: its value and its length in bytes.
pub(crate) fn read_varint(buf: &[u8]) -> Result<(u64, usize), DecodeError> {
    let mut value: u64 = 0;
    for (i, byte) in buf.iter().enumerate().take(MAX_VARINT_BYTES) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    if buf.len() < MAX_VARINT_BYTES {
        Err(DecodeError::Truncated)
    } else {
        Err(DecodeError::Invalid("a varint longer than 9 bytes"))
    }
}

impl Cid {
    /// The CID at the start of `buf`, and how many bytes it takes.
    pub(crate) fn read(buf: &[u8]) -> Result<(Cid, usize), DecodeError> {
        let mut at = 0;
        let next = |at: &mut usize| -> Result<u64, DecodeError> {
            let (value, len) = read_varint(buf.get(*at..).unwrap_or_default())?;
            *at += len;
            Ok(value)
        };
        if buf.first() == Some(&0x12) {
            return Err(DecodeError::Invalid(
                "a version 0 CID, which AT Protocol does not use",
            ));
        }
        if next(&mut at)? != 1 {
            return Err(DecodeError::Invalid("a CID of a version other than 1"));
        }
        let _codec = next(&mut at)?;
        let hash_code = next(&mut at)?;
        let digest_len = next(&mut at)?;
        if digest_len > MAX_DIGEST {
            return Err(DecodeError::Invalid("a CID digest longer than 64 bytes"));
        }
        let digest_at = at;
        // digest_len ≤ 64: the addition cannot overflow.
        let end = at + digest_len as usize;
        let bytes = buf.get(..end).ok_or(DecodeError::Truncated)?;
        Ok((
            Cid {
                bytes: bytes.to_vec(),
                hash_code,
                digest_at,
            },
            end,
        ))
    }

    /// The CID that is exactly `bytes`.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Cid, DecodeError> {
        let (cid, len) = Cid::read(bytes)?;
        if len != bytes.len() {
            return Err(DecodeError::Invalid("bytes after the end of a CID"));
        }
        Ok(cid)
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Whether `block` is the content this CID names. Only SHA-256 is checked (the hash
    /// AT Protocol uses); a CID with another hash is taken at its word.
    pub(crate) fn names(&self, block: &[u8]) -> bool {
        if self.hash_code != SHA2_256 {
            return true;
        }
        self.bytes.get(self.digest_at..) == Some(Sha256::digest(block).as_slice())
    }

    /// `b` and lower-case base32 (RFC 4648, no padding): how AT Protocol writes a CID.
    pub(crate) fn to_text(&self) -> String {
        const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
        let mut out = String::with_capacity(1 + self.bytes.len() * 8 / 5 + 1);
        out.push('b');
        let mut buffer: u32 = 0;
        let mut bits = 0;
        for byte in &self.bytes {
            buffer = (buffer << 8) | u32::from(*byte);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
            }
        }
        if bits > 0 {
            out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
        }
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The binary CIDv1 (DAG-CBOR, SHA-256) of `block`, as a PDS makes it.
    pub(crate) fn cid_of(block: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0x01, 0x71, 0x12, 0x20];
        bytes.extend_from_slice(&Sha256::digest(block));
        bytes
    }

    #[test]
    fn a_cid_reads_and_writes_as_atproto_does() {
        // The CID of the empty DAG-CBOR map `a0`, as the reference implementations write it
        // (checked with Python's hashlib and base64 too).
        let bytes = cid_of(&[0xa0]);
        let cid = Cid::from_bytes(&bytes).expect("a CID");
        assert_eq!(
            cid.to_text(),
            "bafyreigbtj4x7ip5legnfznufuopl4sg4knzc2cof6duas4b3q2fy6swua"
        );
        assert!(cid.names(&[0xa0]));
        assert!(!cid.names(&[0xa1]), "another block");

        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(Cid::read(&longer).map(|(_, n)| n), Ok(bytes.len()));
        assert!(Cid::from_bytes(&longer).is_err(), "trailing bytes");
    }

    #[test]
    fn malformed_cids_are_refused() {
        let bytes = cid_of(b"x");
        for cut in 0..bytes.len() {
            assert!(Cid::read(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut v0 = vec![0x12, 0x20];
        v0.extend_from_slice(&[0; 32]);
        assert!(Cid::read(&v0).is_err(), "version 0");
        assert!(Cid::read(&[0x02, 0x71, 0x12, 0x00]).is_err(), "version 2");
        // A declared digest of 2^62 bytes is refused, not allocated.
        let huge = [
            0x01, 0x71, 0x12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f,
        ];
        assert!(Cid::read(&huge).is_err());
        assert_eq!(
            read_varint(&[0xff; 12]).map(|v| v.0),
            Err(DecodeError::Invalid("a varint longer than 9 bytes"))
        );
        assert_eq!(read_varint(&[0x80, 0x01]), Ok((128, 2)));
    }
}
